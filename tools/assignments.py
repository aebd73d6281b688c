"""Graded assignments made with otter-grader, from the same notebooks as the students' exercises.

For every chapter with student exercises, ``tools/student_notebooks.py`` makes the exercise
notebook from the chapter notebook of the built site; this turns that very notebook into an
otter-grader *master notebook* (otter's own format: a raw ``# ASSIGNMENT CONFIG`` cell, and per
question raw ``# BEGIN QUESTION`` / ``# BEGIN SOLUTION`` / ``# BEGIN TESTS`` cells) and runs
``otter assign`` on it, so assignments and chapters cannot drift. Each function the student
writes is one question:

- the prompt is the exercise notebook's "Your turn" cell; the solution cell is the stub's
  signature and docstring (lrcore's) with the body of ``assignments/solutions.py`` between
  ``# BEGIN SOLUTION NO PROMPT`` and ``# END SOLUTION``, and the stub's
  ``raise NotImplementedError`` as the student's prompt;
- the public test (``PUBLIC_POINTS``) is ``lrcore.checks.check_<name>``, the check the exercise
  notebook runs, with its report and hints as the failure message;
- the hidden test (``HIDDEN_POINTS``) runs the same comparison with lrcore's function on the
  inputs of ``assignments/hidden_tests.py`` (other shapes, dtypes, seeds, edge values), and
  fails a function that is lrcore's own or calls it under the same name.

Output, per chapter, in ``_build/assignments/<chapter>/`` (not part of the published site):
``student/<chapter>.ipynb`` (give it to the students), ``autograder/<chapter>-autograder.zip``
(upload it to Gradescope, or grade locally with ``tools/grade.py``), ``autograder/<chapter>.ipynb``
(the solutions, with every test), and ``master/`` (the master notebook, the input of otter assign).
``_build/assignments/assignments.json`` lists the chapters, questions and points.

Usage: ``python tools/assignments.py [--notebooks DIR] [--out DIR] [--chapters 03_model ...]
[--no-run-tests]``. Build the book first (``make book``): the chapter notebooks are read from
``_build/html/_downloads/notebooks``, and lrcore's wheel from beside them.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_NOTEBOOKS = ROOT / "_build" / "html" / "_downloads" / "notebooks"
DEFAULT_OUT = ROOT / "_build" / "assignments"
PUBLIC_POINTS = 1
HIDDEN_POINTS = 2
#: The exact versions the autograder installs (on Gradescope), read from the book's requirements.
GRADING_PACKAGES = ("torch", "numpy", "pandas", "scikit-learn", "scipy", "matplotlib", "contourpy", "seaborn",
                    "otter-grader")  # fmt: skip


def _load(name: str, path: Path):
    """A module from its file (``assignments/`` is not a package, and this script's name is taken)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


student_notebooks = _load("student_notebooks", ROOT / "tools" / "student_notebooks.py")
hidden_tests = _load("lrcore_assignments_hidden_tests", ROOT / "assignments" / "hidden_tests.py")
solutions = _load("lrcore_assignments_solutions", ROOT / "assignments" / "solutions.py")


# ---------------------------------------------------------------------------- sources of a question


def solution_body(name: str) -> str:
    """The body of ``assignments/solutions.py``'s ``name`` (after its docstring), dedented."""
    source = textwrap.dedent(inspect.getsource(getattr(solutions, name)))
    node = ast.parse(source).body[0]
    lines = source.splitlines()
    return textwrap.dedent("\n".join(lines[node.body[1].lineno - 1 : node.end_lineno]))


def solution_cell(path: Path, name: str) -> str:
    """lrcore's signature and docstring of ``name``, the solution body, and the student's prompt."""
    stub = student_notebooks.stub_source(path, name).splitlines()
    head, prompt = stub[:-1], stub[-1]
    indent = prompt[: len(prompt) - len(prompt.lstrip())]
    body = textwrap.indent(solution_body(name), indent)
    return "\n".join([
        *head,
        f"{indent}# BEGIN SOLUTION NO PROMPT",
        f"{indent}# Solution of {name} ({hidden_tests.SENTINEL.split(': ')[0]}: instructors only)",
        body,
        f"{indent}# END SOLUTION",
        f'{indent}""" # BEGIN PROMPT',
        prompt,
        f'{indent}""" # END PROMPT',
    ])  # fmt: skip


#: Seconds one test may run before it fails as "an endless loop?" (LRCORE_TEST_TIME_LIMIT overrides
#: it, in the kernel that runs the test): a looping function costs its question, not the notebook.
TEST_TIME_LIMIT = 60

_REPORT = """\
    import contextlib
    import io
    import os
    import signal

    class TimeLimit(BaseException):  # not an Exception: lrcore.checks reports those as failed cases
        pass

    def stop(*_):
        raise TimeLimit

    limit = int(os.environ.get("LRCORE_TEST_TIME_LIMIT", "{limit}"))
    alarm = hasattr(signal, "SIGALRM")
    if alarm:
        previous = signal.signal(signal.SIGALRM, stop)
        signal.alarm(limit)
    report = io.StringIO()
    try:
        with contextlib.redirect_stdout(report):
            passed = {call}
    except TimeLimit:
        raise AssertionError(f"{name} ran longer than {{limit}} s: an endless loop?") from None
    finally:
        if alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    assert passed, "\\n" + report.getvalue()"""


def public_test(name: str) -> str:
    """The public test cell: lrcore.checks.check_<name>, its report (hints included) as the message."""
    return "\n".join([
        '""" # BEGIN TEST CONFIG',
        f"points: {PUBLIC_POINTS}",
        f"failure_message: Run lrcore.checks.check_{name}({name}) to see every case and the hints.",
        '""" # END TEST CONFIG',
        f"def test_{name}_public({name}):",
        "    import lrcore.checks",
        "",
        _REPORT.format(call=f"lrcore.checks.check_{name}({name})", name=name, limit=TEST_TIME_LIMIT),
        "",
        f"test_{name}_public({name})",
    ])  # fmt: skip


def hidden_test(name: str) -> str:
    """The hidden test cell: the same comparison on ``assignments/hidden_tests.py``'s inputs."""
    cases = textwrap.dedent(inspect.getsource(hidden_tests.HIDDEN[name]))
    cases = "def cases():" + cases.split("):", 1)[1]  # the case function, renamed
    return "\n".join([
        '""" # BEGIN TEST CONFIG',
        f"points: {HIDDEN_POINTS}",
        "hidden: true",
        '""" # END TEST CONFIG',
        f"def test_{name}_hidden({name}):",
        f'    """{hidden_tests.SENTINEL}."""  # a docstring: otter keeps it, not comments',
        "    import dataclasses",
        "",
        "    import lrcore",
        "    import lrcore.checks",
        "",
        f"    fn, reference = {name}, lrcore.{name}",
        "    code = getattr(fn, '__code__', None)",
        "    names = set(code.co_names) if code is not None else set()",
        "    own = getattr(fn, '__module__', None) or ''",
        f"    assert not own.startswith('lrcore') and not {{'lrcore', '{name}'}} <= names, (",
        f"        '{name} must be your own code, not lrcore.{name}'",
        "    )",
        "",
        textwrap.indent(cases, "    "),
        "",
        "    spec = next(s for s in vars(lrcore.checks).values()",
        "                if isinstance(s, lrcore.checks._Spec) and s.reference is reference)",
        "    spec = dataclasses.replace(spec, cases=cases)",
        _REPORT.format(call="lrcore.checks._run(spec, fn)", name=name, limit=TEST_TIME_LIMIT),
        "",
        f"test_{name}_hidden({name})",
    ])  # fmt: skip


# ---------------------------------------------------------------------------- the master notebook

INTRO = """\
# Assignment: {title}

This is the chapter *{title}* of the book *Logistic Regression and Gradient Descent, Executed*
([read it in the book]({page})), with the code of {count} taken out for you to write: {names}.
Each is a question worth {points} points.

**How to work on it**

1. Run the notebook from the top (*Run All*): it runs as it is, before you write anything. Its
   first code cells install `lrcore` where it is missing, and start the grader (`otter`).
2. At each ✏️ **Your turn**, replace `raise NotImplementedError("TODO")` with your code. The
   docstring says what the function receives and must return, with the shapes.
3. Run that cell, then the `grader.check(...)` cell under it. It runs the public test: the check
   of `lrcore.checks`, which compares your function with `lrcore`'s own on several inputs and,
   when it recognises a common mistake, prints a hint.
4. Passing the public test earns {public} point(s) of each question. The other {hidden} come from
   a hidden test that your instructor runs after you submit, on other inputs (other shapes,
   values and edge cases): write the function the docstring describes, not one that only fits the
   public test's inputs, and write it yourself (calling `lrcore`'s function of the same name earns
   no hidden points).
5. The rest of the chapter calls `lrcore.<name>(...)`, the book's tested version, so its results
   do not depend on yours.
6. To submit, save the notebook and run the last cell: it checks everything and writes a zip to
   hand in, as your instructor says (Gradescope, or the course's folder).
"""


GRADER = """\
# The grader, otter-grader: installed where it is missing (a fresh kernel). It reads the public
# tests from this notebook's file, so keep the notebook's name ({notebook}). In Colab, otter stops
# here (it wants a ./tests folder there): run the cells below one by one, skipping those that call
# grader, check each function with lrcore.checks.check_<name>(<name>), and submit the .ipynb.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("otter") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "otter-grader=={version}"], check=True)

import otter

grader = otter.Notebook("{notebook}")
"""


def _pinned(package: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == package:
            return line.split("#", 1)[0].split("==", 1)[1].strip()
    raise LookupError(f"{package} is not pinned in requirements.txt")


def _config(chapter: str, wheel: Path | None) -> str:
    config = {
        "name": chapter,
        "requirements": "requirements.txt",
        "overwrite_requirements": False,
        "export_cell": {"pdf": False, "run_tests": True},
        "init_cell": False,  # ours, after the install cell: it installs otter where it is missing
        "check_all_cell": True,
        "python_version": "3.11",  # the book's (otter's default would be 3.13)
        "generate": {"pdf": False, "show_stdout": True, "show_hidden": False},
        "tests": {"files": False, "ok_format": False},
        "run_tests": True,
    }
    if wheel is not None:
        config["autograder_files"] = [wheel.name]
    return "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False)


def _raw(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(source)


def master_notebook(student: nbformat.NotebookNode, wheel: Path | None = None) -> nbformat.NotebookNode:
    """The otter master notebook of an exercise notebook (``student_notebooks.student_notebook``)."""
    chapter = student.metadata["lrcore_exercises"]["chapter"]
    functions = student.metadata["lrcore_exercises"]["functions"]
    intro, install, setup, *rest = student.cells
    title = intro.source.splitlines()[0].removeprefix("# Exercises: ")
    page = next((line.split("](", 1)[1].split(")", 1)[0] for line in intro.source.splitlines() if "](" in line), "")
    names = ", ".join(f"`{name}`" for name in functions)
    count = "one function" if len(functions) == 1 else f"{len(functions)} functions"
    text = INTRO.format(title=title, page=page, count=count, names=names, points=PUBLIC_POINTS + HIDDEN_POINTS,
                        public=PUBLIC_POINTS, hidden=HIDDEN_POINTS)  # fmt: skip
    grader = nbformat.v4.new_code_cell(
        GRADER.format(version=_pinned("otter-grader"), notebook=f"{chapter}.ipynb"),
        metadata={"deletable": False, "editable": False},
    )
    cells = [_raw(_config(chapter, wheel)), nbformat.v4.new_markdown_cell(text), install, grader, setup]
    for index, cell in enumerate(rest):
        exercise = cell.metadata.get("lrcore_exercise", {})
        following = rest[index + 1].metadata.get("lrcore_exercise", {}) if index + 1 < len(rest) else {}
        if following.get("role") == "stub":  # the "Your turn" cell: the question's prompt
            name = following["function"]
            cells += [_raw(f"# BEGIN QUESTION\nname: {name}\npoints: {PUBLIC_POINTS + HIDDEN_POINTS}"), cell]
        elif exercise.get("role") == "stub":
            name = exercise["function"]
            path = ROOT / "lrcore" / _module_of(name)
            cells += [_raw("# BEGIN SOLUTION"), nbformat.v4.new_code_cell(solution_cell(path, name)),
                      _raw("# END SOLUTION")]  # fmt: skip
        elif exercise.get("role") == "check":
            name = exercise["function"]
            cells += [_raw("# BEGIN TESTS"), nbformat.v4.new_code_cell(public_test(name)),
                      nbformat.v4.new_code_cell(hidden_test(name)), _raw("# END TESTS"),
                      _raw("# END QUESTION")]  # fmt: skip
        else:
            cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=dict(student.metadata))
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
    nbformat.validate(notebook)
    return notebook


def _module_of(name: str) -> str:
    import lrcore

    return inspect.getmodule(getattr(lrcore, name)).__name__.split(".", 1)[1] + ".py"


#: Where pip finds PyTorch's CPU build (``torch==X+cpu``) on the grading machine.
CPU_TORCH_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


def _requirements(wheel: Path | None) -> str:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if "==" in spec:
            package, version = spec.split("==", 1)
            pins[package.lower()] = f"{package}=={version}"
    lines = [pins[p] for p in GRADING_PACKAGES if p in pins]
    # PyPI's torch for Linux is the CUDA build, with several GB of NVIDIA libraries that a grader
    # never uses; the book's torch is PyTorch's CPU build, which PyTorch's own index serves.
    cpu = [f"{line}+cpu" if line.startswith("torch==") and "+" not in line else line for line in lines]
    lines = [CPU_TORCH_INDEX, *cpu]
    if wheel is not None:
        lines.append(f"/autograder/source/files/{wheel.name}")  # otter puts autograder_files in files/
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- otter assign


def make_assignment(chapter_notebook: Path, out: Path, wheel: Path | None, run_tests: bool = True) -> dict | None:
    """Write one chapter's assignment into ``out/<chapter>``; return its summary, or None."""
    student = student_notebooks.student_notebook(chapter_notebook)
    if student is None:
        return None
    chapter = chapter_notebook.stem
    target = out / chapter
    if target.exists():
        shutil.rmtree(target)
    master = target / "master"
    master.mkdir(parents=True)
    nbformat.write(master_notebook(student, wheel), master / f"{chapter}.ipynb")
    (master / "requirements.txt").write_text(_requirements(wheel))
    if wheel is not None:
        shutil.copy2(wheel, master / wheel.name)
    command = [sys.executable, "-m", "otter", "assign", f"{chapter}.ipynb", str(target)]
    if not run_tests:
        command.append("--no-run-tests")
    done = subprocess.run(command, cwd=master, capture_output=True, text=True)
    if done.returncode != 0:  # otter assign fails when a test fails on the solutions
        raise RuntimeError(f"otter assign failed on {chapter}:\n{done.stdout}\n{done.stderr}")
    (zipped,) = (target / "autograder").glob(f"{chapter}-autograder_*.zip")
    zipped.rename(target / "autograder" / f"{chapter}-autograder.zip")
    functions = student.metadata["lrcore_exercises"]["functions"]
    return {
        "chapter": chapter,
        "questions": {name: PUBLIC_POINTS + HIDDEN_POINTS for name in functions},
        "public_points": PUBLIC_POINTS,
        "hidden_points": HIDDEN_POINTS,
        "student": f"{chapter}/student/{chapter}.ipynb",
        "autograder": f"{chapter}/autograder/{chapter}-autograder.zip",
        "solutions": f"{chapter}/autograder/{chapter}.ipynb",
    }


def autograder_zip(out: Path, chapter: str) -> Path:
    """The autograder zip of a chapter's assignment in ``out``."""
    return out / chapter / "autograder" / f"{chapter}-autograder.zip"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=DEFAULT_NOTEBOOKS, help="the chapter notebooks")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write (default {DEFAULT_OUT})")
    parser.add_argument("--chapters", nargs="*", help="only these chapters (e.g. 03_model)")
    parser.add_argument("--no-run-tests", action="store_true", help="do not grade the solutions (faster)")
    args = parser.parse_args()
    chapters = sorted(args.notebooks.resolve().glob("[0-9][0-9]_*.ipynb"))
    if not chapters:
        raise SystemExit(f"no chapter notebooks in {args.notebooks}: build the book first (make book)")
    if args.chapters:
        chapters = [c for c in chapters if c.stem in args.chapters]
    wheels = sorted(args.notebooks.resolve().parent.glob("lrcore-*-py3-none-any.whl"))
    wheel = wheels[-1] if wheels else None
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    summaries = []
    for chapter in chapters:
        summary = make_assignment(chapter, out, wheel, run_tests=not args.no_run_tests)
        if summary is not None:
            summaries.append(summary)
            print(f"{chapter.stem}: {len(summary['questions'])} questions -> {out / chapter.stem}", flush=True)
    index = out / "assignments.json"
    previous = json.loads(index.read_text()) if index.exists() and args.chapters else []
    kept = [s for s in previous if s["chapter"] not in {s["chapter"] for s in summaries}]
    index.write_text(json.dumps(sorted(kept + summaries, key=lambda s: s["chapter"]), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
