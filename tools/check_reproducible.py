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
[--variant NAME ...] [pytest args]``; ``make nbval`` runs ``as-built`` (the build's own
setting), ``make reproducible`` the three others.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from chapter_kernels import ENVIRONMENT, THREAD_VARIABLES  # noqa: E402


def threads(count: int) -> dict[str, str]:
    return {name: str(count) for name in THREAD_VARIABLES}


#: ``as-built``: the declared environment, as the build ran (``make nbval``); the others
#: (``make reproducible``) change what a different machine would change.
VARIANTS: dict[str, dict[str, str]] = {
    "as-built": {},
    "threads-2": threads(2),
    "threads-4": threads(4),
    "cpu-default": {"ATEN_CPU_CAPABILITY": "default"},
}


def nbval_command(build_dir: Path, extra: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "-p", "tests.nbval_book", "--nbval", "--nbval-current-env",
        "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider", "-q",
        str(build_dir / "jupyter_execute"), *extra,
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="default: all but as-built")
    args, extra = parser.parse_known_args()
    if not (args.build_dir / "jupyter_execute").is_dir():
        parser.error(f"no executed notebooks in {args.build_dir / 'jupyter_execute'}: build the book first")
    results = []
    for name in args.variant or [name for name in VARIANTS if name != "as-built"]:
        environment = {**os.environ, **ENVIRONMENT, **VARIANTS[name]}
        setting = " ".join(f"{k}={v}" for k, v in VARIANTS[name].items()) or "the declared environment"
        print(f"--- strict nbval, {name}: {setting}", flush=True)
        start = time.perf_counter()
        code = subprocess.run(nbval_command(args.build_dir, extra), cwd=ROOT, env=environment).returncode
        results.append((name, code, time.perf_counter() - start))
    print("\nthe build's notebooks, re-run under strict nbval:")
    for name, code, seconds in results:
        print(f"  {name:12s} {'passed' if code == 0 else 'FAILED':6s} {seconds:6.0f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
