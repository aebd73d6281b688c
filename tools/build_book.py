"""Build the book with Sphinx's parallel reader, from jupyter-book's own configuration.

``jupyter-book build`` (1.x) runs Sphinx with one process, so the chapters execute one after
another. Sphinx can read, and therefore execute, documents in parallel (``-j``), and myst-nb
is parallel-safe. This script asks jupyter-book to translate ``_config.yml`` into a Sphinx
``conf.py`` (``jupyter-book config sphinx``), so ``_config.yml`` stays the one source of
truth, and runs ``sphinx-build -j`` on it with the same strictness as
``jupyter-book build . -W -n --keep-going`` and one document per parallel task. The kernels'
environment (one thread each, which also suits two kernels on two cores) is declared once, in
``book/_ext/chapter_kernels.py``, for this build and every other. Output goes where jupyter-book puts it:
``_build/html``, ``_build/.doctrees``, ``_build/jupyter_execute``, ``_build/.jupyter_cache``.

Usage: ``python tools/build_book.py [--jobs N] [--serial] [--hide-solutions]``; ``--serial``
runs plain ``jupyter-book build .`` instead (the baseline of ``benchmarks/bench_build.py``).
``--hide-solutions`` builds the site for a course in progress into ``_build/hidden-solutions/html``:
sphinx-exercise's ``hide_solutions = True`` (made to work with gated solutions by
``tools/hide_gated_solutions.py``), no page sources, download button or chapter notebooks (they
contain the solutions), and the execution cache of the default build, so nothing executes twice.
It also sets the Sphinx tag ``solutions_hidden``, for prose that mentions the solutions
(an ``{only} not solutions_hidden`` directive leaves it out of the hidden build).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
HIDDEN_SOLUTIONS_BUILD = BUILD / "hidden-solutions"
BIN = Path(sys.executable).parent


def sphinx_conf(confdir: Path, hide_solutions: bool = False) -> Path:
    """Write jupyter-book's translation of ``_config.yml`` to ``confdir/conf.py``."""
    with tempfile.TemporaryDirectory() as scratch:
        # `jupyter-book config sphinx` writes conf.py next to _config.yml; work on a copy of
        # the two configuration files so that the source tree is never touched.
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy(ROOT / name, scratch)
        subprocess.run([BIN / "jupyter-book", "config", "sphinx", scratch], check=True, capture_output=True)
        generated = Path(scratch, "conf.py").read_text()
    confdir.mkdir(parents=True, exist_ok=True)
    # The generated file names local extensions but does not put their folder on sys.path
    # (jupyter-book build does that itself), and its relative paths are relative to the
    # source directory, which is the repository root here.
    header = f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
    footer = f"""
# Added by tools/build_book.py:
# - sphinxcontrib-bibtex reads bibfiles relative to the conf.py folder, which is not the root;
bibtex_bibfiles = [{str(ROOT)!r} + "/" + path for path in bibtex_bibfiles]
# - the extensions that do not declare themselves parallel-safe, loaded first by one that
#   declares them (book/_ext/declare_parallel_safe.py says why they are);
# - one document per parallel task, so that no core idles while the other has chapters queued
#   (book/_ext/one_document_per_task.py);
# - jupyter-cache made safe for chapters cached by two processes at once
#   (book/_ext/parallel_safe_cache.py).
extensions = ["declare_parallel_safe", "one_document_per_task", "parallel_safe_cache"] + extensions
"""
    if hide_solutions:
        footer += f"""
# - --hide-solutions: no solution on any page, and no page source or chapter notebook to download
#   (they contain the solutions); hide_gated_solutions makes sphinx-exercise's hide_solutions
#   work with gated solutions;
sys.path.insert(0, {str(ROOT / "tools")!r})
extensions = [e for e in extensions if e != "notebook_downloads"] + ["hide_gated_solutions"]
hide_solutions = True
html_copy_source = False
html_theme_options = {{**globals().get("html_theme_options", {{}}), "use_download_button": False}}
# - the chapters execute to the same outputs as in the default build: share its cache.
nb_execution_cache_path = {str(BUILD / ".jupyter_cache")!r}
"""
    conf = confdir / "conf.py"
    conf.write_text(header + generated + footer)
    return conf


def build(jobs: str, build_dir: Path = BUILD, hide_solutions: bool = False) -> int:
    conf = sphinx_conf(build_dir / ".sphinx-conf", hide_solutions)
    command = [
        str(BIN / "sphinx-build"), "-b", "html", "-j", jobs, "-W", "-n", "--keep-going",
        "-c", str(conf.parent), "-d", str(build_dir / ".doctrees"), str(ROOT), str(build_dir / "html"),
    ]  # fmt: skip
    if hide_solutions:
        # For prose that mentions the solutions: an {only} not solutions_hidden directive leaves it out.
        command += ["-t", "solutions_hidden"]
    return subprocess.run(command, cwd=ROOT).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default=str(max(2, os.cpu_count() or 1)), help="Sphinx -j (default: cores, >= 2)")
    parser.add_argument("--serial", action="store_true", help="plain single-job `jupyter-book build .`")
    parser.add_argument("--build-dir", type=Path, default=BUILD, help="instead of _build (for benchmarks)")
    parser.add_argument(
        "--hide-solutions",
        action="store_true",
        help=f"no solutions, for a course in progress (default build dir {HIDDEN_SOLUTIONS_BUILD.relative_to(ROOT)})",
    )
    args = parser.parse_args()
    if args.hide_solutions:
        if args.serial:
            parser.error("--hide-solutions builds with the parallel build only, not with --serial")
        build_dir = HIDDEN_SOLUTIONS_BUILD if args.build_dir == BUILD else args.build_dir
        return build(args.jobs, build_dir.resolve(), hide_solutions=True)
    if args.serial:
        command = [str(BIN / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going"]
        if args.build_dir != BUILD:
            command += ["--path-output", str(args.build_dir.parent)]
        return subprocess.run(command, cwd=ROOT).returncode
    return build(args.jobs, args.build_dir.resolve())


if __name__ == "__main__":
    sys.exit(main())
