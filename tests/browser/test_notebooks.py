"""Each chapter's notebook download, as linked from its page (book/_ext/notebook_downloads.py).

The notebook must be valid, round-trip through jupytext, hold the chapter's cells unchanged,
and start with a cell that installs what the chapter needs where ``lrcore`` is missing (Colab,
a fresh Jupyter) and does nothing where it is importable. One chapter's download is run whole
in a Jupyter kernel, from a folder outside the repository, as a reader would run it.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import operator
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from book_site import CHAPTER_PAGES, ROOT, page_id
from jupytext.compare import compare_notebooks
from nbclient import NotebookClient
from packaging.requirements import Requirement

chapters = pytest.mark.parametrize("path", CHAPTER_PAGES, ids=page_id)


def _requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            requirement = Requirement(line)
            pins[requirement.name.lower().replace("_", "-")] = str(requirement.specifier)
    return pins


def _repository() -> tuple[str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return config["url"].rstrip("/"), config.get("branch", "main")


def download(audit, path: str) -> nbformat.NotebookNode:
    links = audit(path)["notebook_links"]
    assert len(links) == 1, f"{path} must link exactly one notebook download, found {links}"
    assert links[0].endswith(f"/_downloads/notebooks/{Path(path).stem}.ipynb"), links
    with urllib.request.urlopen(links[0], timeout=30) as response:  # the local test server
        text = response.read().decode()
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    return notebook


def test_pages_that_are_not_notebooks_offer_none(audit):
    assert audit("book/references.html")["notebook_links"] == []


@chapters
def test_download_is_a_valid_notebook_that_jupytext_round_trips(audit, path):
    notebook = download(audit, path)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for fmt in ("md:myst", "py:percent"):
        back = jupytext.reads(jupytext.writes(notebook, fmt), fmt)
        compare_notebooks(back, notebook, fmt)


@chapters
def test_download_holds_the_chapter_after_the_install_cell(audit, path):
    """The chapter's cells, unchanged but for ``{literalinclude}``, shown as the code it includes."""
    notebook = download(audit, path)
    source = jupytext.read(ROOT / path.replace(".html", ".md"))
    assert [c.cell_type for c in notebook.cells[1:]] == [c.cell_type for c in source.cells]
    for downloaded, original in zip(notebook.cells[1:], source.cells, strict=True):
        included = re.findall(r"\{literalinclude\} \.\./lrcore/(\w+)\.py\n:pyobject: ([\w.]+)", original.source)
        if not included:
            assert downloaded.source == original.source
            continue
        assert "{literalinclude}" not in downloaded.source
        for module, name in included:
            code = inspect.getsource(operator.attrgetter(name)(importlib.import_module(f"lrcore.{module}")))
            assert f"```python\n{code.rstrip()}\n```" in downloaded.source, f"{module}.{name} not shown"
    assert all(c.get("outputs", []) == [] for c in notebook.cells), "a download is to be run, not read"


def _run_install_cell(source: str, monkeypatch, lrcore_importable: bool) -> list[list[str]]:
    """Execute the install cell here; return the commands it ran (none are really run)."""
    commands = []
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name == "lrcore" and not lrcore_importable:
            return None
        return real_find_spec(name, *args, **kwargs)

    def run(command, **kwargs):
        commands.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(subprocess, "run", run)
    exec(compile(source, "<install cell>", "exec"), {"__name__": "__main__"})
    return commands


@chapters
def test_install_cell_installs_lrcore_and_the_pins_only_where_lrcore_is_missing(audit, path, monkeypatch):
    cell = download(audit, path).cells[0]
    assert cell.cell_type == "code" and "install" in cell.metadata.get("tags", [])

    assert _run_install_cell(cell.source, monkeypatch, lrcore_importable=True) == []

    (command,) = _run_install_cell(cell.source, monkeypatch, lrcore_importable=False)
    assert command[:5] == [sys.executable, "-m", "pip", "install", "--quiet"]
    lrcore, *pinned = command[5:]
    url, branch = _repository()
    assert lrcore == f"lrcore @ git+{url}.git@{branch}"
    assert Requirement(lrcore).name == "lrcore"
    pins = _requirement_pins()
    names = set()
    for spec in pinned:
        requirement = Requirement(spec)
        name = requirement.name.lower()
        assert pins.get(name) == str(requirement.specifier), f"{spec} is not the pin of requirements.txt"
        names.add(name)
    assert {"torch", "numpy"} <= names, "lrcore's own dependencies must be pinned too"


def test_a_downloaded_notebook_runs_in_jupyter(audit, tmp_path):
    """The sigmoid chapter's download, run whole in a kernel from an empty folder."""
    notebook = download(audit, "book/03_model.html")
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources=resources).execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    assert notebook.cells[0].outputs == [], "the install cell must be silent where lrcore is installed"
