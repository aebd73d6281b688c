"""Build the book: ``jupyter-book build``, or the site without solutions for a course in progress.

The default build is plain ``jupyter-book build . -W -n --keep-going`` (zero warnings allowed),
into ``--build-dir`` (default ``_build``: ``html``, ``.doctrees``, ``jupyter_execute``,
``.jupyter_cache``). It is fast by itself: ``book/_ext/parallel_execution.py`` executes the
chapters the cache does not hold on every core before Sphinx reads them. ``--jobs N`` sets how
many (``LRBOOK_EXECUTION_JOBS``); ``--serial`` is ``--jobs 1``, Jupyter Book's own
one-chapter-at-a-time execution (the baseline of ``benchmarks/bench_build.py``).

``--hide-solutions`` builds the site for a course in progress into ``_build/hidden-solutions/html``:
sphinx-exercise's ``hide_solutions = True`` (made to work with gated solutions by
``tools/hide_gated_solutions.py``), no page sources, download button or chapter notebooks (they
contain the solutions), and the execution cache of the default build, so nothing executes twice.
It also sets the Sphinx tag ``solutions_hidden``, for prose that mentions the solutions
(an ``{only} not solutions_hidden`` directive leaves it out of the hidden build). Jupyter Book
has no option for these, so this one asks it to translate ``_config.yml`` into a Sphinx
``conf.py`` (``jupyter-book config sphinx``; ``_config.yml`` stays the one source of truth),
adds them, and runs ``sphinx-build`` on it with the same strictness.
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


def build(build_dir: Path = BUILD, jobs: str | None = None) -> int:
    """``jupyter-book build`` into ``build_dir`` (which must be named ``_build``, as Jupyter Book names it)."""
    if build_dir.name != "_build":
        raise SystemExit(f"--build-dir must end in _build (Jupyter Book's name for it), not {build_dir}")
    command = [str(BIN / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going"]
    if build_dir != BUILD:
        command += ["--path-output", str(build_dir.parent)]
    environment = dict(os.environ)
    if jobs is not None:
        environment["LRBOOK_EXECUTION_JOBS"] = jobs
    return subprocess.run(command, cwd=ROOT, env=environment).returncode


def build_hidden_solutions(build_dir: Path) -> int:
    conf = sphinx_conf(build_dir / ".sphinx-conf", hide_solutions=True)
    command = [
        str(BIN / "sphinx-build"), "-b", "html", "-W", "-n", "--keep-going", "-t", "solutions_hidden",
        "-c", str(conf.parent), "-d", str(build_dir / ".doctrees"), str(ROOT), str(build_dir / "html"),
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", help="chapters executed at once (default: one per core)")
    parser.add_argument("--serial", action="store_true", help="one chapter at a time: --jobs 1")
    parser.add_argument("--build-dir", type=Path, default=BUILD, help="instead of _build (for benchmarks)")
    parser.add_argument(
        "--hide-solutions",
        action="store_true",
        help=f"no solutions, for a course in progress (default build dir {HIDDEN_SOLUTIONS_BUILD.relative_to(ROOT)})",
    )
    args = parser.parse_args()
    if args.hide_solutions:
        build_dir = HIDDEN_SOLUTIONS_BUILD if args.build_dir == BUILD else args.build_dir
        return build_hidden_solutions(build_dir.resolve())
    return build(args.build_dir.resolve(), "1" if args.serial else args.jobs)


if __name__ == "__main__":
    sys.exit(main())
