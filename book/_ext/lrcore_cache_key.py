"""Keep jupyter-cache honest: a change to lrcore (or to the pinned requirements) re-executes.

jupyter-cache keys a notebook on its cells' source alone, so after an edit to ``lrcore`` it
would serve outputs computed by the old code. This extension hashes everything the chapters
import from this repository, plus ``requirements.txt``, and puts the cache in a folder named
by that hash. Sphinx sees ``nb_execution_cache_path`` change, re-reads every chapter, and the
new, empty cache executes them; with nothing changed the folder, and so the cache, is the
same and nothing runs. Folders of older hashes are removed.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
KEY_LENGTH = 16


def source_key(root: Path) -> str:
    """SHA-256 over the paths and bytes of lrcore's source and the requirements."""
    digest = hashlib.sha256()
    files = sorted(root.joinpath("lrcore").rglob("*.py")) + [root / "requirements.txt"]
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:KEY_LENGTH]


def set_cache_path(app: Sphinx, config: Config) -> None:
    root = Path(app.srcdir)
    base = Path(config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    key = source_key(root)
    for stale in base.glob("lrcore-*"):
        if stale.name != f"lrcore-{key}" and stale.is_dir():
            shutil.rmtree(stale)
    config.nb_execution_cache_path = str((base / f"lrcore-{key}").resolve())
    LOGGER.info(f"lrcore source key {key}: jupyter-cache at {config.nb_execution_cache_path}")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", set_cache_path, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
