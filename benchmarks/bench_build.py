"""Build speed of the book: the parallel build against plain ``jupyter-book build .``.

Both builds run on the same commit, clean (no cache, no doctrees), back to back and in
alternating order, each into its own folder under a temporary directory; the ratio of their
best wall times is the figure of merit (goal: parallel <= 0.65x serial). Then, on the
parallel build's folder, three incremental rebuilds count how many chapters execute:
nothing changed (goal 0), one chapter's code edited (goal 1), ``lrcore`` edited (goal: all).
The edits are made in a scratch copy of the tracked files, never in the working tree.

Usage: ``python benchmarks/bench_build.py [--rounds N]``. Takes several minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def copy_tracked_files(destination: Path) -> Path:
    """A scratch copy of the repository's tracked files (what a fresh clone has)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return destination


def build(source: Path, build_dir: Path, *, serial: bool) -> tuple[float, set[str]]:
    """Run one build; return its wall time and the chapters it executed."""
    command = [PYTHON, str(source / "tools" / "build_book.py"), "--build-dir", str(build_dir)]
    if serial:
        command.append("--serial")
    start = time.perf_counter()
    result = subprocess.run(command, cwd=source, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed ({' '.join(command)}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    executed = set(re.findall(r"([\w-]+)\.md: Executing notebook", result.stdout + result.stderr))
    return seconds, executed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="clean builds of each kind (best is kept)")
    args = parser.parse_args()
    print(f"machine: {platform.platform()} | {os.cpu_count()} CPUs | Python {platform.python_version()}")

    with tempfile.TemporaryDirectory(prefix="lrbook-bench-") as scratch:
        source = copy_tracked_files(Path(scratch) / "src")
        chapters = sorted(p.stem for p in (source / "book").glob("[0-9][0-9]_*.md"))
        times: dict[str, list[float]] = {"serial": [], "parallel": []}
        for round_index in range(args.rounds):
            order = ["serial", "parallel"] if round_index % 2 == 0 else ["parallel", "serial"]
            for kind in order:
                build_dir = Path(scratch) / f"{kind}-{round_index}" / "_build"
                seconds, executed = build(source, build_dir, serial=kind == "serial")
                if set(chapters) - executed:
                    sys.exit(f"a clean {kind} build did not execute {sorted(set(chapters) - executed)}")
                times[kind].append(seconds)
                print(f"clean {kind:8s} build: {seconds:6.1f} s, executed {len(executed)} chapters")
        serial, parallel = min(times["serial"]), min(times["parallel"])
        ratio = parallel / serial

        build_dir = Path(scratch) / "parallel-0" / "_build"
        _, nothing = build(source, build_dir, serial=False)
        chapter = source / "book" / f"{chapters[0]}.md"
        text = chapter.read_text()
        chapter.write_text(text.replace("```{code-cell} ipython3\n", "```{code-cell} ipython3\n# edited\n", 1))
        _, one = build(source, build_dir, serial=False)
        init = source / "lrcore" / "__init__.py"
        init.write_text(init.read_text() + "\n# edited\n")
        _, everything = build(source, build_dir, serial=False)

    rows = [
        ("clean build, parallel vs `jupyter-book build .`", f"{parallel:.1f} s", f"{serial:.1f} s", f"{ratio:.2f}x",
         "<= 0.65x", ratio <= 0.65),
        ("rebuild, nothing changed", f"{len(nothing)} executed", "", "", "0", not nothing),
        (f"rebuild, code of {chapters[0]} edited", f"{len(one)} executed", "", "", "1", one == {chapters[0]}),
        ("rebuild, lrcore edited", f"{len(everything)} executed", "", "", f"{len(chapters)}",
         everything >= set(chapters)),
    ]  # fmt: skip
    print("\n| benchmark | lrcore book | baseline | ratio | goal | met? |\n|---|---:|---:|---:|---|---|")
    for name, candidate, baseline, ratio_text, goal, met in rows:
        print(f"| {name} | {candidate} | {baseline} | {ratio_text} | {goal} | {'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
