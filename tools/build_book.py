"""Build the book with Sphinx's parallel reader, from jupyter-book's own configuration.

``jupyter-book build`` (1.x) runs Sphinx with one process, so the chapters execute one after
another. Sphinx can read, and therefore execute, documents in parallel (``-j``), and myst-nb
is parallel-safe. This script asks jupyter-book to translate ``_config.yml`` into a Sphinx
``conf.py`` (``jupyter-book config sphinx``), so ``_config.yml`` stays the one source of
truth, and runs ``sphinx-build -j`` on it with the same strictness as
``jupyter-book build . -W -n --keep-going``. Output goes where jupyter-book puts it:
``_build/html``, ``_build/.doctrees``, ``_build/jupyter_execute``, ``_build/.jupyter_cache``.

Usage: ``python tools/build_book.py [--jobs N] [--serial]``; ``--serial`` runs plain
``jupyter-book build .`` instead (the baseline of ``benchmarks/bench_build.py``).
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
BIN = Path(sys.executable).parent


def sphinx_conf(confdir: Path) -> Path:
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
#   declares them (book/_ext/declare_parallel_safe.py says why they are).
extensions = ["declare_parallel_safe"] + extensions
"""
    conf = confdir / "conf.py"
    conf.write_text(header + generated + footer)
    return conf


def build(jobs: str, build_dir: Path = BUILD) -> int:
    conf = sphinx_conf(build_dir / ".sphinx-conf")
    command = [
        str(BIN / "sphinx-build"), "-b", "html", "-j", jobs, "-W", "-n", "--keep-going",
        "-c", str(conf.parent), "-d", str(build_dir / ".doctrees"), str(ROOT), str(build_dir / "html"),
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default=str(max(2, os.cpu_count() or 1)), help="Sphinx -j (default: cores, >= 2)")
    parser.add_argument("--serial", action="store_true", help="plain single-job `jupyter-book build .`")
    parser.add_argument("--build-dir", type=Path, default=BUILD, help="instead of _build (for benchmarks)")
    args = parser.parse_args()
    if args.serial:
        command = [str(BIN / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going"]
        if args.build_dir != BUILD:
            command += ["--path-output", str(args.build_dir.parent)]
        return subprocess.run(command, cwd=ROOT).returncode
    return build(args.jobs, args.build_dir.resolve())


if __name__ == "__main__":
    sys.exit(main())
