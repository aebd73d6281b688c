"""tools/assignments.py and tools/grade.py: otter-grader assignments, graded locally, end to end.

The assignments are made (``otter assign``, without its own run of the tests, to save time)
into ``tmp_path`` from the chapter notebooks of the built site, as ``make assignments`` makes
them. Then otter's own grader grades, through ``tools/grade.py``:

- for every chapter, otter's solutions notebook (full marks) and the blank student notebook
  (0, graded without a problem);
- for chapter 03 (three questions), a class folder: the student notebook filled in with the
  solutions, the blank one, planted wrong answers (each question broken at least once, one of
  them a ``sigmoid`` that returns the public check's answers for the public check's inputs and a
  wrong formula for any other, one calling ``lrcore``'s own function), a notebook with a cell
  that raises, one whose kernel dies, and one whose function loops forever; each must score
  exactly the points of the questions it does not break;
- a notebook that runs past the whole-notebook time limit, through the command line.

Then what must stay private: no hidden test and no solution in the published site, the student
notebooks or lrcore's wheel; no hidden input equal to a public one.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import torch

import lrcore
import lrcore.checks

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build")).resolve()
CHAPTER_NOTEBOOKS = BUILD / "html" / "_downloads" / "notebooks"
CHAPTER = "03_model"
#: The limits of the class run: a test may take 5 s (a looping function fails its tests), a cell 20 s
#: (a looping cell is interrupted; the slowest cell of the solved notebook, its export, takes 5 s).
TEST_TIMEOUT, CELL_TIMEOUT = 5, 20


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import chapter_kernels  # noqa: E402
import warm_kernels  # noqa: E402

assignments = _load("assignments_tool", ROOT / "tools" / "assignments.py")
grade = _load("grade_tool", ROOT / "tools" / "grade.py")
hidden_tests = assignments.hidden_tests
SECRET = "instructors only"  # in every hidden test and every solution cell (hidden_tests.SENTINEL)


# ---------------------------------------------------------------------------- submissions


def _answer_cells(notebook) -> dict[str, nbformat.NotebookNode]:
    """The student's answer cell of each function (otter tags it ``otter_answer_cell``)."""
    found = {}
    for cell in notebook.cells:
        if "otter_answer_cell" in cell.metadata.get("tags", []):
            name = cell.source.split("def ", 1)[1].split("(", 1)[0]
            found.setdefault(name, cell)
    return found


def _with_answers(blank: Path, answers: dict[str, str], extra: list[str] = ()) -> nbformat.NotebookNode:
    """The blank student notebook with these answer cells' sources, and extra code cells first."""
    notebook = nbformat.read(blank, as_version=4)
    cells = _answer_cells(notebook)
    for name, source in answers.items():
        cells[name].source = source
    setup = next(i for i, c in enumerate(notebook.cells) if c.source.startswith("# What the exercises need"))
    for offset, source in enumerate(extra, start=1):
        notebook.cells.insert(setup + offset, nbformat.v4.new_code_cell(source))
    return notebook


def _function(name: str, params: str, body: str) -> str:
    return f"def {name}({params}):\n" + "\n".join(f"    {line}" for line in body.strip().splitlines()) + "\n"


PARAMS = {"linear": "x, w, b", "sigmoid": "z", "logistic_regression": "x, w, b"}


def _solution(name: str) -> str:
    return _function(name, PARAMS[name], assignments.solution_body(name))


SPECIAL_CASED_SIGMOID = _function(
    "sigmoid",
    "z",
    """
# The public check's answers for the public check's inputs, a wrong formula for any other input.
import lrcore.checks
for case in lrcore.checks._SIGMOID.cases():
    (public,) = case.args
    if public.shape == z.shape and public.dtype == z.dtype and torch.equal(public, z):
        return 1 / (1 + torch.exp(-z))
return torch.clamp(0.5 + z / 4, 0.0, 1.0)
""",
)

OWN_LOGISTIC = _function("logistic_regression", "x, w, b", "return 1 / (1 + torch.exp(-(x @ w + b)))")
ENDLESS = "import time\nwhile True:\n    time.sleep(0.05)"

#: Planted submissions of chapter 03: answers, extra cells, and the expected scores
#: (3 points a question: 1 public, 2 hidden).
PLANTED = {
    "solved": ({n: _solution(n) for n in PARAMS}, [], {"linear": 3, "sigmoid": 3, "logistic_regression": 3}),
    "blank": ({}, [], {"linear": 0, "sigmoid": 0, "logistic_regression": 0}),
    # sigmoid passes the public check only; logistic_regression written without it.
    "special_cased": (
        {"linear": _solution("linear"), "sigmoid": SPECIAL_CASED_SIGMOID, "logistic_regression": OWN_LOGISTIC},
        [], {"linear": 3, "sigmoid": 1, "logistic_regression": 3},
    ),
    # the bias forgotten; lrcore's own sigmoid (public points only); the sign of z flipped.
    "wrong": (
        {"linear": _function("linear", "x, w, b", "return x @ w"),
         "sigmoid": _function("sigmoid", "z", "return lrcore.sigmoid(z)"),
         "logistic_regression": _function("logistic_regression", "x, w, b", "return 1 / (1 + torch.exp(x @ w + b))")},
        [], {"linear": 0, "sigmoid": 1, "logistic_regression": 0},
    ),
    "raises": ({n: _solution(n) for n in PARAMS}, ['raise RuntimeError("a cell that raises")'],
               {"linear": 3, "sigmoid": 3, "logistic_regression": 3}),
    # sigmoid never returns (its tests stop at the test limit); a top-level cell that never ends
    # (interrupted at the cell limit); logistic_regression written without sigmoid.
    "loops": (
        {"linear": _solution("linear"), "sigmoid": _function("sigmoid", "z", ENDLESS),
         "logistic_regression": OWN_LOGISTIC},
        [ENDLESS], {"linear": 3, "sigmoid": 0, "logistic_regression": 3},
    ),
    "kernel_dies": ({n: _solution(n) for n in PARAMS}, ["import os\nos._exit(1)"],
                    {"linear": 0, "sigmoid": 0, "logistic_regression": 0}),
}  # fmt: skip


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """Every chapter's assignment, made as ``make assignments`` makes it (without otter's test run)."""
    if not any(CHAPTER_NOTEBOOKS.glob("*.ipynb")):
        pytest.fail(f"no chapter notebooks in {CHAPTER_NOTEBOOKS}: run `make book` (or set LRBOOK_BUILD_DIR)")
    out = tmp_path_factory.mktemp("assignments")
    command = [sys.executable, str(ROOT / "tools" / "assignments.py"), "--notebooks", str(CHAPTER_NOTEBOOKS),
               "--out", str(out), "--no-run-tests"]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def chapters(made) -> list[str]:
    return [path.parent.parent.name for path in sorted(made.glob("*/student/*.ipynb"))]


@pytest.fixture(scope="module")
def warm_python3(tmp_path_factory):
    """The gradings' kernels forked from a warm server (``tools/warm_kernels.py``), as strict nbval's are.

    Otter runs a notebook in the kernel its metadata names, ``python3``; a kernel spec of that
    name on ``JUPYTER_PATH`` comes before ipykernel's own and starts the kernel through the
    launcher. The server runs in the environment ``grade.py`` gives every kernel (the book's
    one-thread environment): a grading's kernel had spent about 2 of its 5 s of CPU importing
    PyTorch and lrcore. What a grading does with its kernel (a cell's time limit, an interrupt,
    a kernel that dies, a kill of the whole grading) reaches a forked kernel as it reaches a fresh
    one (``tests/test_warm_kernels.py``).
    """
    environment = dict(os.environ)
    chapter_kernels.apply_environment(environment)
    jupyter = tmp_path_factory.mktemp("jupyter")
    with warm_kernels.warm_kernel_server(environment) as server, pytest.MonkeyPatch.context() as patch:
        argv = warm_kernels.kernel_argv(server.get(warm_kernels.SERVER_VARIABLE))  # None: no fork here
        warm_kernels.write_kernel_spec(jupyter / "kernels", "python3", argv)
        patch.setenv("JUPYTER_PATH", os.pathsep.join(filter(None, [str(jupyter), os.environ.get("JUPYTER_PATH")])))
        yield argv


@pytest.fixture(scope="module")
def endless(made, warm_python3, tmp_path_factory):
    """The command-line grading of a notebook past the whole-notebook limit, started at once.

    It mostly waits on its limits (20 s for the notebook, 5 s a cell), so it runs beside the other
    gradings (``graded`` starts it first) rather than after them;
    ``test_a_notebook_past_the_time_limit_scores_zero_and_the_run_goes_on`` waits for it.
    """
    folder = tmp_path_factory.mktemp("endless")
    (folder / "class").mkdir()
    blank = made / CHAPTER / "student" / f"{CHAPTER}.ipynb"
    endless = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)  # deaf to the interrupt\n" + ENDLESS
    record = folder / "kernel.json"  # where the kernel's temporary folder was; whether it was forked
    remember = (
        "import json, pathlib, tempfile, threading\n"
        f"pathlib.Path({str(record)!r}).write_text(json.dumps({{'tmp': tempfile.gettempdir(), "
        "'forked': any(t.name == 'launcher-watch' for t in threading.enumerate())}))\n"
    )
    nbformat.write(_with_answers(blank, {}, [remember, endless]), folder / "class" / "endless.ipynb")
    out = folder / "grades.csv"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "grade.py"), str(folder / "class"), "--autograder",
         str(assignments.autograder_zip(made, CHAPTER)), "--out", str(out), "--timeout", "20", "--cell-timeout", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    yield {"process": process, "out": out, "record": record}
    if process.poll() is None:
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def graded(made, chapters, endless, warm_python3, tmp_path_factory) -> dict:
    """The class folder of chapter 03, and every chapter's solutions and blank notebook, graded."""
    folder = tmp_path_factory.mktemp("submissions")
    blank = made / CHAPTER / "student" / f"{CHAPTER}.ipynb"
    for student, (answers, extra, _) in PLANTED.items():
        nbformat.write(_with_answers(blank, answers, extra), folder / f"{student}.ipynb")
    others = [(chapter, kind, made / chapter / sub / f"{chapter}.ipynb")
              for chapter in chapters for kind, sub in (("solutions", "autograder"), ("blank", "student"))]  # fmt: skip

    def one(item):
        chapter, kind, path = item
        outcome = grade.grade_one(assignments.autograder_zip(made, chapter), path, 600, 120, 60)
        return (chapter, kind), outcome

    csv_path = folder.parent / "grades.csv"
    with ThreadPoolExecutor(max_workers=2) as pool, ThreadPoolExecutor(max_workers=1) as background:
        # The class run grades three at a time, the other chapters two at a time beside it: much
        # of a grading is waiting. The looping notebook waits out the cell time limit and the test
        # time limit again and again (about 35 s in all): third in the class's order, it starts
        # at once with three.
        running = background.submit(lambda: dict(pool.map(one, others)))
        rows = grade.grade_folder(folder, assignments.autograder_zip(made, CHAPTER), csv_path, timeout=600,
                                  cell_timeout=CELL_TIMEOUT, test_timeout=TEST_TIMEOUT, jobs=3)  # fmt: skip
        per_chapter = running.result()
    return {"rows": {row["student"]: row for row in rows}, "csv": csv_path, "chapters": per_chapter}


# ---------------------------------------------------------------------------- the assignments


def test_every_chapter_with_exercises_is_an_assignment(made, chapters):
    student_notebooks = assignments.student_notebooks
    expected = {}
    for chapter in sorted(CHAPTER_NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        notebook = student_notebooks.student_notebook(chapter)
        if notebook is not None:
            expected[chapter.stem] = notebook.metadata["lrcore_exercises"]["functions"]
    assert chapters == sorted(expected) and len(chapters) >= 6
    assert sum(len(set(names)) for names in expected.values()) >= 16
    for chapter, functions in expected.items():
        autograder = assignments.autograder_zip(made, chapter)
        assert grade.questions_of(autograder) == {name: 3 for name in sorted(set(functions))}
        solutions = nbformat.read(made / chapter / "autograder" / f"{chapter}.ipynb", as_version=4)
        student = nbformat.read(made / chapter / "student" / f"{chapter}.ipynb", as_version=4)
        assert set(_answer_cells(student)) == set(functions)
        for name, cell in _answer_cells(student).items():
            assert 'raise NotImplementedError("TODO")' in cell.source and "SOLUTION" not in cell.source
            assert any(f"def {name}(" in c.source and assignments.solution_body(name).splitlines()[-1] in c.source
                       for c in solutions.cells)  # fmt: skip
        # The student's public tests are lrcore.checks' checks; the hidden ones are only in the autograder.
        tests = student.metadata["otter"]["tests"]
        assert set(tests) == set(functions)
        for name, source in tests.items():
            assert f"lrcore.checks.check_{name}({name})" in source and SECRET not in source
        with zipfile.ZipFile(autograder) as zipped:
            for name in set(functions):
                source = zipped.read(f"tests/{name}.py").decode()
                assert "hidden=True" in source and hidden_tests.SENTINEL in source


def test_hidden_inputs_are_not_the_public_ones():
    public_checks = {s.reference: s for s in vars(lrcore.checks).values() if isinstance(s, lrcore.checks._Spec)}
    for name, make_cases in hidden_tests.HIDDEN.items():
        public = public_checks[getattr(lrcore, name)].cases()
        hidden = make_cases()
        assert len(hidden) >= 3
        for case in hidden:
            for other in public:
                pairs = zip(case.args, other.args, strict=False)
                same = all(isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
                           and a.dtype == b.dtype and torch.equal(a, b) for a, b in pairs)  # fmt: skip
                assert not same, f"{name}: hidden case {case.label!r} is the public case {other.label!r}"


def test_the_hidden_tests_pass_lrcore_and_the_solutions_and_fail_wrong_code(made):
    """The hidden tests, as the autograder runs them, on lrcore's own code (as the student's) and on wrong code."""
    from otter.test_files import ExceptionTestFile

    with zipfile.ZipFile(assignments.autograder_zip(made, CHAPTER)) as zipped:
        test = ExceptionTestFile.from_string(zipped.read("tests/sigmoid.py").decode(), "sigmoid.py")
    env = {"torch": torch}
    exec(SPECIAL_CASED_SIGMOID, env)
    assert lrcore.checks.check_sigmoid(env["sigmoid"])  # the special case passes the public check ...
    test.run(env)
    assert [r.passed for r in test.test_case_results] == [True, False]  # ... and not the hidden test
    exec(_solution("sigmoid"), env)
    test.run(env)
    assert [r.passed for r in test.test_case_results] == [True, True]


# ---------------------------------------------------------------------------- grading


def test_every_chapter_solutions_full_marks_and_blank_zero(graded, chapters, made):
    for chapter in chapters:
        possible = sum(grade.questions_of(assignments.autograder_zip(made, chapter)).values())
        solutions, blank = graded["chapters"][(chapter, "solutions")], graded["chapters"][(chapter, "blank")]
        assert "scores" in solutions and sum(solutions["scores"].values()) == possible > 0, (chapter, solutions)
        assert "scores" in blank and sum(blank["scores"].values()) == 0, (chapter, blank)


@pytest.mark.parametrize("student", list(PLANTED))
def test_a_class_is_graded_question_by_question(graded, student):
    row = graded["rows"][student]
    expected = PLANTED[student][2]
    assert {name: row[name] for name in expected} == expected
    assert row["total"] == sum(expected.values())
    if student == "kernel_dies":  # graded and reported, not fatal
        assert row["status"].startswith("error: "), row
    else:
        assert row["status"] == "ok", row


def test_the_csv_has_a_row_per_student_and_a_column_per_question(graded):
    with graded["csv"].open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["student"] for r in rows] == sorted(PLANTED)
    assert list(rows[0]) == ["student", "linear", "logistic_regression", "sigmoid", "total", "status"]
    by_student = {r["student"]: r for r in rows}
    assert by_student["solved"]["total"] == "9" and by_student["special_cased"]["sigmoid"] == "1"


def test_a_notebook_past_the_time_limit_scores_zero_and_the_run_goes_on(endless, warm_python3):
    stdout, stderr = endless["process"].communicate(timeout=300)
    assert endless["process"].returncode == 0, stderr
    assert "[1/1] endless: 0/9 timeout" in stderr
    (row,) = csv.DictReader(endless["out"].open())
    assert row["status"] == "timeout" and row["total"] == "0"
    # The killed kernel's temporary folder (its sockets) went with the grading of this notebook.
    kernel = json.loads(endless["record"].read_text())
    kernel_tmp = Path(kernel["tmp"])
    assert kernel_tmp != Path(tempfile.gettempdir()) and not kernel_tmp.exists()
    assert kernel["forked"] == (warm_python3 != warm_kernels.kernel_argv(None)), "the kernel spec the fixture wrote"


# ---------------------------------------------------------------------------- what stays private


def _leaks(root: Path, secrets: list[str]) -> list[str]:
    """Files under ``root`` (and members of zips and wheels there) that contain any of ``secrets``."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = [(str(path), path.read_bytes())]
        if path.suffix in {".zip", ".whl"}:
            with zipfile.ZipFile(path) as zipped:
                data += [(f"{path}!{name}", zipped.read(name)) for name in zipped.namelist()]
        found += [where for where, content in data for s in secrets if s.encode() in content]
    return found


def _secrets() -> list[str]:
    labels = [case.label for make_cases in hidden_tests.HIDDEN.values() for case in make_cases()]
    specs = [s for s in vars(lrcore.checks).values() if isinstance(s, lrcore.checks._Spec)]
    public = {case.label for s in specs for case in s.cases()}
    return [SECRET, hidden_tests.SENTINEL, *sorted(set(labels) - public)]


def test_no_hidden_test_or_solution_is_published(made, tmp_path):
    secrets = _secrets()
    # The scan finds a planted leak (a hidden test copied into a site) ...
    planted = tmp_path / "site"
    planted.mkdir()
    with zipfile.ZipFile(planted / "bundle.zip", "w") as zipped:
        zipped.write(assignments.autograder_zip(made, CHAPTER), "inner/autograder.zip")
        test = zipfile.ZipFile(assignments.autograder_zip(made, CHAPTER)).read("tests/sigmoid.py")
        zipped.writestr("tests/sigmoid.py", test)
    assert _leaks(planted, secrets)
    # ... and none in what students get: the student notebooks and the exercise notebooks,
    published = [made / chapter / "student" for chapter in os.listdir(made) if (made / chapter / "student").is_dir()]
    # the built site (with its student notebooks, zip and lrcore's wheel) where there is one,
    if (BUILD / "html").is_dir():
        published.append(BUILD / "html")
    # and lrcore's wheel built from these sources.
    wheel = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheel)], check=True, capture_output=True)  # fmt: skip
    (built,) = wheel.glob("lrcore-*.whl")
    assert not any(name.startswith("assignments/") for name in zipfile.ZipFile(built).namelist())
    published.append(wheel)
    for root in published:
        assert _leaks(root, secrets) == [], root


def test_the_autograder_installs_the_books_pins_and_torchs_cpu_build(tmp_path):
    """Gradescope installs the zip's requirements: the book's exact pins, torch's CPU build (PyPI's
    Linux torch is the CUDA build, gigabytes a grader never uses) and the wheel in the zip."""
    wheel = tmp_path / f"lrcore-{lrcore.__version__}-py3-none-any.whl"
    lines = assignments._requirements(wheel).splitlines()
    assert lines[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    pins = dict(
        line.split("#", 1)[0].strip().split("==", 1)
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line.split("#", 1)[0]
    )
    torch_pin = pins["torch"].split("+", 1)[0]
    assert f"torch=={torch_pin}+cpu" in lines
    for line in lines[1:-1]:
        package, version = line.split("==", 1)
        assert version.removesuffix("+cpu") == pins[package].split("+", 1)[0], line
    assert lines[-1] == f"/autograder/source/files/{wheel.name}"


def test_grading_refuses_an_environment_with_another_lrcore(tmp_path):
    """A submitted notebook's first cell would install the assignment's wheel into the grader's
    environment if its lrcore were another version: grading refuses before any notebook runs."""
    autograder = tmp_path / "other-autograder.zip"
    with zipfile.ZipFile(autograder, "w") as zipped:
        zipped.writestr("files/lrcore-0.0.1-py3-none-any.whl", b"")
    expected = rf"this environment's lrcore is {re.escape(lrcore.__version__)}, the assignment's is 0\.0\.1"
    with pytest.raises(SystemExit, match=expected):
        grade.check_environment(autograder)
    same = tmp_path / "same-autograder.zip"
    with zipfile.ZipFile(same, "w") as zipped:
        zipped.writestr(f"files/lrcore-{lrcore.__version__}-py3-none-any.whl", b"")
    grade.check_environment(same)  # the version of this checkout: no complaint


def test_the_autograder_runs_the_books_python():
    """otter reads ``python_version`` at the top of the assignment's config (inside ``generate`` it
    is ignored, and Gradescope would grade on otter's default, 3.13)."""
    import yaml

    config = yaml.safe_load(assignments._config(CHAPTER, None).removeprefix("# ASSIGNMENT CONFIG\n"))
    assert str(config["python_version"]) == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert "python_version" not in config["generate"]
