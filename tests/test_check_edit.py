"""``make check`` (tools/check_edit.py): which checks an edit selects, and what it reports skipped.

On a small made-up book (its own ``lrcore``, chapters and tests), where the right answer is
known, and a few facts of the real one that hold whatever the chapters say.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


check_edit = _load("check_edit")
check_reproducible = _load("check_reproducible")

FENCE = "```"
FILES = {
    "lrcore/__init__.py": """
        from lrcore.model import predict
        from lrcore.optim import fit
        import importlib as _importlib
        _LAZY_MODULES = {"plotting": ("plot_curve",)}
        if False:
            from lrcore.plotting import plot_curve
        """,
    "lrcore/_validation.py": "def check(x):\n    return x\n",
    "lrcore/model.py": "from lrcore._validation import check\n\ndef predict(x):\n    return check(x)\n",
    "lrcore/optim.py": "from lrcore.model import predict\n\ndef fit(x):\n    return predict(x)\n",
    "lrcore/plotting.py": "def plot_curve(x):\n    return x\n",
    "book/01_model.md": f"""
        # Model
        {FENCE}{{literalinclude}} ../lrcore/model.py
        :pyobject: predict
        {FENCE}
        {FENCE}{{code-cell}} ipython3
        import lrcore
        lrcore.predict(1)
        {FENCE}
        """,
    "book/02_fit.md": f"""
        # Fit
        The word fit and plot_curve in prose select nothing.
        {FENCE}{{code-cell}} ipython3
        from lrcore import fit
        fit(1)
        {FENCE}
        """,
    "book/03_plots.md": f"""
        # Plots
        {FENCE}{{code-cell}} ipython3
        %matplotlib inline
        from lrcore.plotting import plot_curve
        {FENCE}
        """,
    "book/intro.md": "# Intro\n\nNo code.\n",
    "book/references.bib": "@book{a, title={A}}\n",
    "tests/conftest.py": "",
    "tests/test_model.py": "import lrcore\n\ndef test_predict():\n    assert lrcore.predict(1) == 1\n",
    "tests/test_optim.py": "from lrcore import fit\n\ndef test_fit():\n    assert fit(1) == 1\n",
    "tests/test_plotting.py": "import lrcore.plotting\n",
    "tests/test_api.py": "import lrcore\n\ndef test_all():\n    assert lrcore.__all__\n",
    "tests/test_prose.py": 'BOOK = ROOT / "book"\nCHAPTERS = sorted(BOOK.glob("*.md"))\n',
    "tests/test_build.py": "build_book = load('tools/build_book.py')\n",
    "tests/test_links.py": "",
    "tools/build_book.py": "",
}


@pytest.fixture
def book(tmp_path) -> Path:
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return tmp_path


def test_a_chapter_edit_checks_that_chapter_and_the_tests_that_read_the_chapters(book):
    plan = check_edit.plan(["book/02_fit.md"], book)
    assert set(plan.chapters) == {"02_fit"}
    assert set(plan.unit_tests) == {"tests/test_prose.py"}
    assert plan.build and not plan.all_unit_tests and not plan.unmapped and plan.chapter_edits_only
    assert not check_edit.plan(["book/02_fit.md", "lrcore/optim.py"], book).chapter_edits_only


def test_a_chapter_edit_runs_that_chapters_cases_of_the_tests_made_per_chapter():
    nodeids = [
        "tests/test_machinery.py::test_includes[01_model]",
        "tests/test_machinery.py::test_includes[02_fit]",
        "tests/test_machinery.py::test_a_made_up_book_builds",
        "tests/test_exercises.py::test_exercises_are_balanced",
        "tests/test_exercises.py::test_a_planted_violation_is_caught",
    ]
    kept = check_edit.chapter_items(nodeids, ["02_fit"], ["01_model", "02_fit", "03_plots"])
    assert kept == [nodeids[1], nodeids[2], nodeids[3], nodeids[4]]


def test_a_module_edit_reaches_the_chapters_and_tests_that_show_or_call_it(book):
    plan = check_edit.plan(["lrcore/optim.py"], book)
    assert set(plan.chapters) == {"02_fit"}  # `from lrcore import fit`; prose mentions do not count
    assert set(plan.unit_tests) == {"tests/test_optim.py", "tests/test_api.py"}  # its own; the whole API


def test_a_module_edit_reaches_what_imports_it_directly_or_not(book):
    plan = check_edit.plan(["lrcore/_validation.py"], book)
    # model uses _validation, optim uses model: 01 includes model.py, 02 calls fit.
    assert set(plan.chapters) == {"01_model", "02_fit"}
    assert set(plan.unit_tests) == {"tests/test_model.py", "tests/test_optim.py", "tests/test_api.py"}


def test_a_lazy_module_is_reached_through_its_names(book):
    plan = check_edit.plan(["lrcore/plotting.py"], book)
    assert set(plan.chapters) == {"03_plots"}  # parsed despite the %matplotlib magic
    assert set(plan.unit_tests) == {"tests/test_plotting.py", "tests/test_api.py"}


def test_a_file_beside_a_module_is_that_modules_and_a_removed_module_reaches_everything(book):
    (book / "lrcore" / "plotting.js").write_text("")
    assert set(check_edit.plan(["lrcore/plotting.js"], book).chapters) == {"03_plots"}
    plan = check_edit.plan(["lrcore/old.py"], book)  # no such file any more
    assert plan.all_unit_tests and set(plan.chapters) == {"01_model", "02_fit", "03_plots"}


def test_the_test_setup_or_the_pins_reach_everything(book):
    assert check_edit.plan(["tests/conftest.py"], book).all_unit_tests
    plan = check_edit.plan(["requirements.txt"], book)
    assert plan.all_unit_tests and set(plan.chapters) == {"01_model", "02_fit", "03_plots"}


def test_other_files_reach_the_tests_that_name_them_and_the_rest_is_reported(book):
    plan = check_edit.plan(["tools/build_book.py", "README.md", "tests/test_model.py", "book/references.bib"], book)
    assert set(plan.unit_tests) == {"tests/test_build.py", "tests/test_model.py"}
    assert plan.build and not plan.chapters
    assert plan.unmapped == ["README.md"]
    lines = check_edit.describe(plan, ["README.md"], book)
    assert "  no check selected for: README.md" in lines
    assert any("strict nbval of 3 chapter(s) the edit does not reach" in line for line in lines)
    assert any("make browser" in line for line in lines) and any("make reproducible" in line for line in lines)


def test_changed_files_are_the_diff_against_the_base_and_the_untracked_files(book):
    def git(*args):
        subprocess.run(["git", *args], cwd=book, check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    (book / "book" / "01_model.md").write_text("# Model, edited\n")
    (book / "lrcore" / "new.py").write_text("")
    (book / "tests" / "test_plotting.py").unlink()
    assert check_edit.changed_files("HEAD", book) == ["book/01_model.md", "lrcore/new.py", "tests/test_plotting.py"]


def test_the_real_book(tmp_path):
    chapters = sorted(p.stem for p in (ROOT / "book").glob("*.md") if "{code-cell}" in p.read_text())
    assert set(check_edit.plan([f"book/{chapters[0]}.md"]).chapters) == {chapters[0]}
    # Every module uses _validation: an edit of it reaches every chapter and every module's tests.
    plan = check_edit.plan(["lrcore/_validation.py"])
    assert sorted(plan.chapters) == chapters
    own = {f"tests/test_{p.stem}.py" for p in (ROOT / "lrcore").glob("[a-z]*.py")}
    assert own & {f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py")} <= set(plan.unit_tests)
    unnamed = "notes/" + "-".join(["a", "file", "no", "test", "names"])  # not spelled out here: this file would name it
    assert check_edit.plan([unnamed]).unmapped == [unnamed]


def test_nbval_runs_the_chapters_asked_for_on_the_cores_asked_for(tmp_path):
    command = check_reproducible.nbval_command(tmp_path, [], jobs=2, chapters=["01_a", "02_b", "03_c"])
    assert command[command.index("-n") + 1] == "2" and command[command.index("--dist") + 1] == "loadfile"
    assert [c for c in command if c.endswith(".ipynb")] == [
        str(tmp_path / "jupyter_execute" / "book" / f"{s}.ipynb") for s in ("01_a", "02_b", "03_c")
    ]
    one = check_reproducible.nbval_command(tmp_path, [], jobs=2, chapters=["01_a"])
    assert one[one.index("-n") + 1] == "1"
    assert "-n" not in check_reproducible.nbval_command(tmp_path, [], jobs=1)
    assert check_reproducible.nbval_command(tmp_path, [])[-1] == str(tmp_path / "jupyter_execute")


def test_without_fork_the_settings_run_in_kernels_started_from_nothing(tmp_path, monkeypatch, capsys):
    """No warm server where forking is not supported (Windows): nbval keeps its own kernels."""
    (tmp_path / "jupyter_execute" / "book").mkdir(parents=True)
    (tmp_path / "jupyter_execute" / "book" / "01_a.ipynb").write_text("{}")
    warm = check_reproducible.warm_kernels
    monkeypatch.setattr(warm, "SUPPORTED", False)
    monkeypatch.delenv(warm.SERVER_VARIABLE, raising=False)
    environments = []

    def run(command, cwd, env):
        environments.append(env)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(check_reproducible.subprocess, "run", run)
    argv = ["check_reproducible.py", "--build-dir", str(tmp_path), "--variant", "threads-2", "--jobs", "1"]
    monkeypatch.setattr(sys, "argv", argv)
    assert check_reproducible.main() == 0
    assert warm.SERVER_VARIABLE not in environments[0] and environments[0]["OMP_NUM_THREADS"] == "2"
    assert "every kernel starts from nothing" in capsys.readouterr().out


def test_every_setting_runs_side_by_side_and_prints_in_order(tmp_path, monkeypatch, capsys):
    """make test's four settings at once: each its environment, --jobs // 4 chapters at a time, output in order."""
    (tmp_path / "jupyter_execute" / "book").mkdir(parents=True)
    (tmp_path / "jupyter_execute" / "book" / "01_a.ipynb").write_text("{}")
    monkeypatch.setattr(check_reproducible.warm_kernels, "SUPPORTED", False)
    running, seen = [], []

    def run(command, cwd, env, stdout, stderr):
        running.append(1)
        deadline = time.monotonic() + 10
        while len(running) < 4:  # returns only once all four have started: they run at once
            assert time.monotonic() < deadline, "the settings ran one after the other"
            time.sleep(0.01)
        seen.append(command)
        stdout.write(f"ran with {env.get('OMP_NUM_THREADS')} threads, {env.get('ATEN_CPU_CAPABILITY')} code\n")
        return subprocess.CompletedProcess(command, 0 if env["OMP_NUM_THREADS"] != "4" else 1)

    monkeypatch.setattr(check_reproducible.subprocess, "run", run)
    argv = ["check_reproducible.py", "--build-dir", str(tmp_path), "--jobs", "2", "--every-setting"]
    monkeypatch.setattr(sys, "argv", argv)
    assert check_reproducible.main() == 1, "threads-4 failed"
    out = capsys.readouterr().out
    assert all("-n" not in command for command in seen), "one chapter at a time in each setting"
    shown = ["1 threads, None code", "2 threads, None code", "4 threads, None code", "1 threads, default code"]
    assert [out.index(f"ran with {text}") for text in shown] == sorted(out.index(f"ran with {t}") for t in shown)
    assert re.search(r"as-built +passed.*\n +threads-2 +passed.*\n +threads-4 +FAILED.*\n +cpu-default +passed", out)
    monkeypatch.setattr(sys, "argv", ["check_reproducible.py", "--every-setting", "--variant", "as-built"])
    with pytest.raises(SystemExit):
        check_reproducible.main()
    assert "--every-setting runs every --variant already" in capsys.readouterr().err


def test_the_check_of_a_dry_run_prints_its_plan():
    result = subprocess.run(
        [sys.executable, "tools/check_edit.py", "--dry-run", "--files", "README.md"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "changed: README.md" in result.stdout and "skipped (make test runs them):" in result.stdout
