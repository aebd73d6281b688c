"""Build speed of the book: chapters executed on every core against Jupyter Book's one at a time.

The parallel build is plain ``jupyter-book build .`` with ``book/_ext/parallel_execution.py``
at its default (one worker per core); the baseline is the same build with
``LRBOOK_EXECUTION_JOBS=1``, which is what Jupyter Book does on its own. Both builds run on
the same commit, clean (no cache, no doctrees), back to back and in alternating order, each
into its own folder under a temporary directory; the ratio of their best wall times is the
figure of merit (goal: parallel <= 0.65x serial). Then, on the parallel build's folder, four
incremental rebuilds count the chapters Sphinx re-reads and the chapters that execute: nothing
changed (goal: none executes), one chapter's prose edited (goal: at most that chapter; the
cache is keyed on code, so none), one chapter's code edited (goal: that chapter only),
``lrcore`` edited (goal: all). The edits are made in a scratch copy of the tracked files,
never in the working tree.

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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Build:
    seconds: float
    executed: set[str]  # chapters run by the kernel (not taken from the cache)
    reread: int  # documents Sphinx read again (added or changed)


def build(source: Path, build_dir: Path, *, serial: bool) -> Build:
    """Run one build; return its wall time, the chapters it executed and the pages it re-read."""
    command = [PYTHON, str(source / "tools" / "build_book.py"), "--build-dir", str(build_dir)]
    if serial:
        command.append("--serial")
    start = time.perf_counter()
    result = subprocess.run(command, cwd=source, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed ({' '.join(command)}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    log = result.stdout + result.stderr
    # by myst-nb as it reads, or by parallel_execution before
    executed = set(re.findall(r"([\w-]+)\.md: Executing notebook", log))
    executed |= set(re.findall(r"parallel_execution: (?:[\w-]+/)*([\w-]+) executed in", log))
    added, changed = map(int, re.search(r"(\d+) added, (\d+) changed, \d+ removed", log).groups())
    return Build(seconds, executed, added + changed)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in ``path`` by ``new``; fail loudly if there is none."""
    text = path.read_text()
    if old not in text:
        sys.exit(f"{path}: nothing to edit ({old!r} not found)")
    path.write_text(text.replace(old, new, 1))


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
                clean = build(source, build_dir, serial=kind == "serial")
                if set(chapters) - clean.executed:
                    sys.exit(f"a clean {kind} build did not execute {sorted(set(chapters) - clean.executed)}")
                times[kind].append(clean.seconds)
                print(f"clean {kind:8s} build: {clean.seconds:6.1f} s, executed {len(clean.executed)} chapters")
        for round_index, (s_time, p_time) in enumerate(zip(times["serial"], times["parallel"], strict=True)):
            print(f"round {round_index + 1}: parallel / serial = {p_time / s_time:.2f}")
        serial, parallel = min(times["serial"]), min(times["parallel"])
        ratio = parallel / serial  # best against best: the noise of a shared machine only ever slows a run

        build_dir = Path(scratch) / "parallel-0" / "_build"
        nothing = build(source, build_dir, serial=False)
        prose_chapter, code_chapter = chapters[1], chapters[0]
        edit(source / "book" / f"{prose_chapter}.md", "\n## ", "\nAn edited sentence.\n\n## ")
        prose = build(source, build_dir, serial=False)
        edit(source / "book" / f"{code_chapter}.md", "```{code-cell} ipython3\n", "```{code-cell} ipython3\n# edited\n")
        code = build(source, build_dir, serial=False)
        init = source / "lrcore" / "__init__.py"
        init.write_text(init.read_text() + "\n# edited\n")
        package = build(source, build_dir, serial=False)

    def rebuild(name: str, result: Build, goal: str, met: bool) -> tuple[str, str, str, str, str, bool]:
        executed = ", ".join(sorted(result.executed)) if 0 < len(result.executed) < 3 else len(result.executed)
        return (name, f"re-read {result.reread}, executed {executed} ({result.seconds:.0f} s)", "", "", goal, met)

    rows = [
        ("clean build, parallel vs one chapter at a time", f"{parallel:.1f} s", f"{serial:.1f} s", f"{ratio:.2f}x",
         "<= 0.65x", ratio <= 0.65),
        rebuild("rebuild, nothing changed", nothing, "executed 0", not nothing.executed),
        rebuild(f"rebuild, prose of {prose_chapter} edited", prose, "executed <= 1", prose.executed <= {prose_chapter}),
        rebuild(f"rebuild, code of {code_chapter} edited", code, "executed 1", code.executed == {code_chapter}),
        rebuild("rebuild, lrcore edited", package, f"executed {len(chapters)}", package.executed >= set(chapters)),
    ]  # fmt: skip
    print("\n| benchmark | lrcore book | baseline | ratio | goal | met? |\n|---|---:|---:|---:|---|---|")
    for name, candidate, baseline, ratio_text, goal, met in rows:
        print(f"| {name} | {candidate} | {baseline} | {ratio_text} | {goal} | {'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
