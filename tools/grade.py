"""Grade a folder of submitted notebooks locally with otter-grader: no Docker, no network.

``python tools/grade.py SUBMISSIONS --assignment 03_model --out grades.csv`` grades every
submission in ``SUBMISSIONS`` with the assignment's autograder zip (``make assignments`` writes
it to ``_build/assignments/<chapter>/autograder/<chapter>-autograder.zip``; ``--autograder ZIP``
takes another) and writes one CSV: a row per student, a column per question (its points), the
total, and a status (``ok``, ``timeout``, or ``error: ...``).

A submission is a notebook (``alice.ipynb``), the zip that the notebook's last cell exports
(``alice.zip``), or a folder with one of them in it (``alice/...``): the student is the name of
the file or folder. Each is graded by otter's own local grader (``otter.api.grade_submission``,
what ``otter run`` does) in a process of its own, which runs the notebook in a fresh kernel with
the book's kernel environment (``book/_ext/chapter_kernels.py``). Three limits keep a bad
notebook from stopping the run:

- a test that runs longer than ``--test-timeout`` seconds fails ("an endless loop?"): the
  function loops, its question costs its points, the rest is graded;
- a cell that runs longer than ``--cell-timeout`` seconds is interrupted (as an error in that
  cell) and grading goes on with the next;
- a notebook whose grading takes longer than ``--timeout`` seconds in all, or whose kernel or
  grading process dies, scores 0 with the status ``timeout`` or ``error: ...``.

Progress goes to stderr, one line per submission. ``--jobs N`` grades N submissions at a time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ASSIGNMENTS = ROOT / "_build" / "assignments"


def find_submissions(folder: Path) -> dict[str, Path]:
    """``{student: path}``: notebooks and zips in ``folder``, and folders that hold one."""
    found: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix in {".ipynb", ".zip"}:
            found[entry.stem] = entry
        elif entry.is_dir():
            inside = sorted(
                p for p in entry.rglob("*") if p.suffix in {".ipynb", ".zip"} and ".ipynb_checkpoints" not in p.parts
            )
            if inside:
                found[entry.name] = inside[0]
    return found


def questions_of(autograder: Path) -> dict[str, float]:
    """``{question: points}`` of an autograder zip, in the order of its test files."""
    sys.path.insert(0, str(ROOT))
    from otter.test_files import ExceptionTestFile

    points = {}
    with zipfile.ZipFile(autograder) as zipped:
        for name in sorted(n for n in zipped.namelist() if n.startswith("tests/") and n.endswith(".py")):
            test = ExceptionTestFile.from_string(zipped.read(name).decode(), path=name)
            points[test.name] = sum(case.points for case in test.test_cases)
    return points


def check_environment(autograder: Path) -> None:
    """Refuse to grade where ``lrcore`` is not the version the assignment was made with.

    A submitted notebook's first cell installs the assignment's wheel where ``import lrcore``
    finds another version; run here, it would install into the instructor's environment.
    """
    with zipfile.ZipFile(autograder) as zipped:
        wheels = [n.rsplit("/", 1)[-1] for n in zipped.namelist() if re.fullmatch(r"files/lrcore-[^/]+\.whl", n)]
    wanted = {name.split("-")[1] for name in wheels}
    command = [sys.executable, "-c", "import lrcore; print(lrcore.__version__)"]
    found = subprocess.run(command, cwd=tempfile.gettempdir(), capture_output=True, text=True).stdout.strip()
    if wanted and found not in wanted:
        raise SystemExit(
            f"this environment's lrcore is {found or 'missing'}, the assignment's is {', '.join(sorted(wanted))}: "
            "install that version (pip install -e . in the book's checkout, or its wheel) before grading, so "
            "that no submitted notebook installs it here"
        )


# ---------------------------------------------------------------------------- one submission


def _worker(autograder: Path, submission: Path, result: Path, cell_timeout: int) -> None:
    """Grade one submission in this process; write ``{question: score}`` or the error to ``result``."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import chapter_kernels
    import nbconvert.preprocessors
    from otter.api import grade_submission

    chapter_kernels.install()

    class Execute(nbconvert.preprocessors.ExecutePreprocessor):
        """otter's executor with a time limit per cell: a cell past it is interrupted, the rest runs."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.timeout, self.interrupt_on_timeout = cell_timeout, True

    nbconvert.preprocessors.ExecutePreprocessor = Execute  # otter imports it when it grades
    try:
        with tempfile.TemporaryDirectory() as work:
            os.chdir(work)  # otter and the notebook write their files here
            results = grade_submission(str(submission), str(autograder), quiet=True)
        if results.catastrophic_error is not None:
            raise RuntimeError(str(results.catastrophic_error))
        scores = {name: results.get_score(name) for name in results.test_files}
        result.write_text(json.dumps({"scores": scores}))
    except BaseException as error:  # noqa: BLE001 (any failure is the submission's result)
        message = " ".join(str(error).split())[:200]
        result.write_text(json.dumps({"error": f"{type(error).__name__}: {message}"}))


def grade_one(autograder: Path, submission: Path, timeout: float, cell_timeout: int, test_timeout: int) -> dict:
    """Grade one submission in its own process group; ``{"scores": ...}`` or ``{"error"/"timeout": ...}``."""
    with tempfile.TemporaryDirectory() as work:
        result = Path(work) / "result.json"
        command = [sys.executable, __file__, "--worker", str(autograder), str(submission.resolve()), str(result),
                   "--cell-timeout", str(cell_timeout)]  # fmt: skip
        # TMPDIR: whatever the worker and its kernel leave in the temporary folder (a killed
        # kernel's sockets, in its lrk-* folder) goes with this folder.
        env = {**os.environ, "LRCORE_TEST_TIME_LIMIT": str(test_timeout), "TMPDIR": work}
        process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the worker and the kernel it started
            process.communicate()
            return {"timeout": f"grading took longer than {timeout:g} s"}
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        if result.exists():
            return json.loads(result.read_text())
        last = stderr.strip().splitlines()[-1:] or [f"exit status {process.returncode}"]
        return {"error": f"the grading process died: {last[0][:200]}"}


# ---------------------------------------------------------------------------- a class


def grade_folder(
    submissions: Path,
    autograder: Path,
    out: Path,
    *,
    timeout: float = 600,
    cell_timeout: int = 120,
    test_timeout: int = 60,
    jobs: int = 1,
) -> list[dict]:
    """Grade every submission of ``submissions``; write the CSV ``out``; return its rows."""
    questions = questions_of(autograder)
    check_environment(autograder)
    found = find_submissions(submissions)
    if not found:
        raise SystemExit(f"no submissions (.ipynb, .zip, or folders with one) in {submissions}")
    total_possible = sum(questions.values())
    rows: dict[str, dict] = {}
    started = time.monotonic()

    def grade(item: tuple[str, Path]) -> tuple[str, dict, float]:
        student, path = item
        begin = time.monotonic()
        return student, grade_one(autograder, path, timeout, cell_timeout, test_timeout), time.monotonic() - begin

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for done, (student, outcome, seconds) in enumerate(pool.map(grade, found.items()), start=1):
            scores = outcome.get("scores", {})
            row = {"student": student}
            for name in questions:
                row[name] = float(scores.get(name, 0.0))
            row["total"] = sum(row[name] for name in questions)
            row["status"] = "ok" if "scores" in outcome else (
                "timeout" if "timeout" in outcome else f"error: {outcome['error']}")  # fmt: skip
            rows[student] = row
            elapsed = time.monotonic() - started
            left = elapsed / done * (len(found) - done)
            print(f"[{done}/{len(found)}] {student}: {row['total']:g}/{total_possible:g} {row['status']} "
                  f"({seconds:.0f} s; about {left / 60:.0f} min left)", file=sys.stderr, flush=True)  # fmt: skip
    ordered = [rows[student] for student in found]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student", *questions, "total", "status"])
        writer.writeheader()
        for row in ordered:
            writer.writerow({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row.items()})
    return ordered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        parser.add_argument("--worker", nargs=3, type=Path, metavar=("AUTOGRADER", "SUBMISSION", "RESULT"))
        parser.add_argument("--cell-timeout", type=int, required=True)
        args = parser.parse_args()
        _worker(*args.worker, cell_timeout=args.cell_timeout)
        return 0
    parser.add_argument("submissions", type=Path, help="a folder of submitted notebooks (.ipynb, .zip, or folders)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--assignment", help="a chapter, e.g. 03_model: its autograder from `make assignments`")
    which.add_argument("--autograder", type=Path, help="an autograder zip made by otter assign")
    parser.add_argument("--assignments", type=Path, default=DEFAULT_ASSIGNMENTS, help="where `make assignments` wrote")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="the CSV to write (default grades.csv)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for one notebook in all (default 600)")
    parser.add_argument("--cell-timeout", type=int, default=120, help="seconds for one cell (default 120)")
    parser.add_argument("--test-timeout", type=int, default=60, help="seconds for one test (default 60)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at a time (default 1)")
    args = parser.parse_args()
    chapter = args.assignment
    autograder = args.autograder or args.assignments / chapter / "autograder" / f"{chapter}-autograder.zip"
    if not autograder.is_file():
        raise SystemExit(f"no autograder zip at {autograder}: run `make assignments` first")
    rows = grade_folder(args.submissions, autograder.resolve(), args.out, timeout=args.timeout,
                        cell_timeout=args.cell_timeout, test_timeout=args.test_timeout, jobs=args.jobs)  # fmt: skip
    print(f"wrote {args.out}: {len(rows)} students, {sum(r['status'] == 'ok' for r in rows)} graded without a problem")
    return 0


if __name__ == "__main__":
    sys.exit(main())
