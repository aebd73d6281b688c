"""The GitHub Actions workflow that builds, tests and publishes the book stays valid.

``check-jsonschema`` validates it against the GitHub workflow schema that it vendors (no
network). The schema cannot tell a deploy that runs on pull requests from one that does not,
so the publishing rules are checked on the parsed file too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
ON_PUSH_TO_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def validate(path: Path) -> subprocess.CompletedProcess:
    command = [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def test_workflow_matches_the_github_schema():
    result = validate(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path):
    """Positive control: a job without ``runs-on`` and a misspelt key fail validation."""
    broken = WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest", 1)
    path = tmp_path / "broken.yml"
    path.write_text(broken)
    result = validate(path)
    assert result.returncode != 0 and "runs-on" in result.stdout


def test_triggers_push_to_main_and_pull_requests(workflow):
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert "pull_request" in workflow["on"]


def test_build_job_runs_the_readme_commands(workflow):
    runs = [step.get("run", "") for step in workflow["jobs"]["build"]["steps"]]
    assert "make book" in runs and "make test" in runs
    assert runs.index("make book") < runs.index("make test")
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme


def test_only_a_push_to_main_uploads_and_deploys(workflow):
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uploads = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert len(uploads) == 1
    assert uploads[0]["if"] == ON_PUSH_TO_MAIN and uploads[0]["with"]["path"] == "_build/html"
    assert deploy["if"] == ON_PUSH_TO_MAIN and deploy["needs"] == "build"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


def test_the_site_is_built_with_the_address_pages_reports(workflow):
    """The build that deploys asks Pages where the site goes (actions/configure-pages) and builds with
    it, ``make book`` and ``make test`` alike (``test`` runs ``book`` again): the notebooks link to
    it and install lrcore's wheel from it (book/_ext/notebook_downloads.py reads LRBOOK_BASE_URL)."""
    build = workflow["jobs"]["build"]
    steps = build["steps"]
    (pages,) = [s for s in steps if s.get("uses", "").startswith("actions/configure-pages@")]
    assert pages["if"] == ON_PUSH_TO_MAIN, "only the build that deploys asks (a pull request gets no Pages URL)"
    assert build["permissions"] == {"contents": "read", "pages": "read"}
    runs = [s.get("run") for s in steps]
    for command in ("make book", "make test"):
        step = steps[runs.index(command)]
        assert steps.index(pages) < steps.index(step)
        assert step["env"]["LRBOOK_BASE_URL"] == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}", command
    extension = (ROOT / "book" / "_ext" / "notebook_downloads.py").read_text()
    assert 'BASE_URL_VARIABLE = "LRBOOK_BASE_URL"' in extension


def test_permissions_and_concurrency(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert "concurrency" in workflow
