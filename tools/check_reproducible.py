"""Prove that what the chapters show does not depend on the thread count or the CPU code path.

The build executes every chapter in the declared environment (``book/_ext/chapter_kernels.py``:
one thread). This re-runs the executed notebooks under strict nbval (``tests/nbval_book.py``:
every visible output, and every glued number as the text shows it) under other settings:

- 2 and 4 threads for PyTorch, OpenMP, OpenBLAS and MKL (a float32 sum adds in another
  order);
- ``ATEN_CPU_CAPABILITY=default``: PyTorch's plain C++ kernels instead of the AVX2/AVX-512
  ones this CPU would get, which is what another CPU can give (vector widths change the
  order of the additions too).

Each setting must pass. Usage: ``python tools/check_reproducible.py [--build-dir _build]
[--variant NAME ... | --every-setting] [--jobs N] [pytest args]``; ``make nbval`` runs ``as-built``
(the build's own setting), ``make reproducible`` the three others, and ``make test`` all four
side by side (``--every-setting``), beside the phone profile's pages.

**Both cores busy.** Each setting runs its chapters ``--jobs`` at a time (default: one per core),
over pytest-xdist with ``--dist loadfile``: a chapter's cells stay together, in order, in one
kernel of their own, and every kernel gets the setting's environment (one thread as built, or
the 2 or 4 threads the variant sets on purpose), so the result does not depend on ``--jobs``;
``--jobs 1`` is one chapter after another, as before. Several settings run side by side, each
``--jobs // settings`` chapters at a time (at least one), and each prints its output whole when
it is done: one setting after another had left the cores idle 17 % of the time (each setting's
start and its last chapter), and the three settings of ``make reproducible`` took 117 s one after
the other and 96 s side by side, three chapters at a time on the 2-core machine.

**Kernels forked from a warm process.** For each setting, one server started in that setting's
environment imports PyTorch, SciPy, matplotlib and ipykernel once, and every chapter's kernel
is forked from it (``tools/warm_kernels.py``): 36-39 s a setting instead of 46-50 s (measured on
the 2-core machine). The build itself runs every chapter in a kernel started from nothing, so a
chapter that relies on an import it never made fails there. ``--fresh-kernels`` starts every
kernel from nothing here too, as happens by itself on a system without ``fork`` (Windows).

**Idle threads sleep.** A setting with several threads also sets ``OMP_WAIT_POLICY=PASSIVE``:
OpenMP's idle threads then sleep instead of spinning between PyTorch's parallel regions. The
chapters run mostly small operations, so with the default (active) policy their extra threads
spent most of their time spinning: two 2-thread kernels on two cores took turns (threads-2
took 156 s two chapters at a time against about 100 s one at a time), and chapters 06 and 14
under threads-2 used 58 s of CPU against 17 s with the passive policy (measured on the 2-core
machine). The policy decides only what an idle thread does, never how an operation splits its
work among the threads, so what the chapters compute is the same, and these settings run
``--jobs`` chapters at a time like the others.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
sys.path.insert(0, str(ROOT / "tools"))
import warm_kernels  # noqa: E402
from chapter_kernels import ENVIRONMENT, THREAD_VARIABLES  # noqa: E402


def threads(count: int) -> dict[str, str]:
    """``count`` threads for every library, whose idle threads sleep (see the module's docstring)."""
    return {**{name: str(count) for name in THREAD_VARIABLES}, "OMP_WAIT_POLICY": "PASSIVE"}


#: ``as-built``: the declared environment, as the build ran (``make nbval``); the others
#: (``make reproducible``) change what a different machine would change.
VARIANTS: dict[str, dict[str, str]] = {
    "as-built": {},
    "threads-2": threads(2),
    "threads-4": threads(4),
    "cpu-default": {"ATEN_CPU_CAPABILITY": "default"},
}


def nbval_command(build_dir: Path, extra: list[str], jobs: int = 1, chapters: list[str] | None = None) -> list[str]:
    """The pytest command; ``chapters``: only these notebooks (stems), else every one the build executed."""
    executed = build_dir / "jupyter_execute"
    if chapters:
        found = [executed / "book" / f"{stem}.ipynb" for stem in chapters]
    else:
        found = sorted(executed.rglob("*.ipynb"))
    parallel = ["-n", str(min(jobs, len(found) or 1)), "--dist", "loadfile"]
    parallel = parallel if jobs > 1 else []
    notebooks = [str(path) for path in found] or [str(executed)]
    return [
        sys.executable, "-m", "pytest", "-p", "tests.nbval_book", "--nbval", "--nbval-current-env",
        "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider", "-q",
        *parallel, *notebooks, *extra,
    ]  # fmt: skip


def job_count(text: str) -> int:
    """``--jobs``: a positive number, or ``auto`` for one per core (physical, as pytest-xdist's ``auto``)."""
    if text == "auto":
        try:
            import psutil  # ipykernel's dependency

            return psutil.cpu_count(logical=False) or psutil.cpu_count() or 1
        except ImportError:
            return os.cpu_count() or 1
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"--jobs takes a positive number or auto, not {text!r}")
    return int(text)


def run_setting(name: str, args: argparse.Namespace, extra: list[str], jobs: int, output=None) -> tuple[int, float]:
    """Strict nbval of the chapters under setting ``name``, ``jobs`` chapters at a time: exit code and seconds.

    ``output``: a file for everything it prints (None: this process's streams).
    """
    environment = {**os.environ, **ENVIRONMENT, **VARIANTS[name]}
    setting = " ".join(f"{k}={v}" for k, v in VARIANTS[name].items()) or "the declared environment"
    print(f"--- strict nbval, {name}: {setting}; {jobs} chapter(s) at a time", file=output or sys.stdout, flush=True)
    start = time.perf_counter()
    command = nbval_command(args.build_dir, extra, jobs, args.chapter)
    streams = {} if output is None else {"stdout": output, "stderr": subprocess.STDOUT}
    if args.fresh_kernels or not warm_kernels.SUPPORTED:
        if not args.fresh_kernels:
            print("no fork or Unix sockets here: every kernel starts from nothing (slower)", file=output, flush=True)
        code = subprocess.run(command, cwd=ROOT, env=environment, **streams).returncode
    else:
        with warm_kernels.warm_kernel_server(environment) as server:
            code = subprocess.run(command, cwd=ROOT, env={**environment, **server}, **streams).returncode
    return code, time.perf_counter() - start


def side_by_side(names: list[str], args: argparse.Namespace, extra: list[str]) -> list[tuple[int, float]]:
    """Every setting at once, each ``--jobs // settings`` chapters at a time (at least one); each
    setting's output printed whole once it is done, in order."""
    jobs = max(1, args.jobs // len(names))
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(len(names)) as pool:
        logs = [open(Path(folder) / f"{name}.log", "w+") for name in names]  # noqa: SIM115 (closed below)
        running = [pool.submit(run_setting, names[i], args, extra, jobs, logs[i]) for i in range(len(names))]
        results = []
        for future, log in zip(running, logs, strict=True):
            try:
                results.append(future.result())  # a server that did not start raises: its log first
            finally:
                log.seek(0)
                sys.stdout.write(log.read())
                sys.stdout.flush()
                log.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="default: all but as-built")
    parser.add_argument(
        "--every-setting", action="store_true", help="as built and the three others, side by side (make test)"
    )
    parser.add_argument("--chapter", action="append", help="only this chapter (its stem; make check)")
    parser.add_argument("--jobs", type=job_count, default="auto", help="chapters at a time (default: one per core)")
    parser.add_argument(
        "--fresh-kernels", action="store_true", help="start every kernel from nothing, as the build does (slower)"
    )
    args, extra = parser.parse_known_args()
    if not (args.build_dir / "jupyter_execute").is_dir():
        parser.error(f"no executed notebooks in {args.build_dir / 'jupyter_execute'}: build the book first")
    for stem in args.chapter or []:
        if not (args.build_dir / "jupyter_execute" / "book" / f"{stem}.ipynb").is_file():
            parser.error(f"the build executed no chapter {stem!r} (in {args.build_dir / 'jupyter_execute' / 'book'})")
    if args.every_setting and args.variant:
        parser.error("--every-setting runs every --variant already")
    names = list(VARIANTS) if args.every_setting else args.variant or [n for n in VARIANTS if n != "as-built"]
    if len(names) > 1 and args.jobs > 1:
        results = side_by_side(names, args, extra)
    else:
        results = [run_setting(name, args, extra, args.jobs) for name in names]
    print("\nthe build's notebooks, re-run under strict nbval:")
    for name, (code, seconds) in zip(names, results, strict=True):
        print(f"  {name:12s} {'passed' if code == 0 else 'FAILED':6s} {seconds:6.0f} s")
    return 0 if all(code == 0 for code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
