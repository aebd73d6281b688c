"""lrcore's version: the one number written in ``pyproject.toml`` (``[project] version``).

Nothing else writes it. In a source tree (this repository, or its editable install) it is read
from the ``pyproject.toml`` beside the package, so a bumped version shows at once, without a
reinstall; from an installed wheel, it is the wheel's metadata, which the build wrote from that
same file. The site's footer, the PDF's title page, the wheel's name and the notebooks' first
cell all read ``pyproject.toml`` too (``book/_ext/release_version.py``).
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

#: What ``__version__`` says of an lrcore that has neither (a copied folder): no version at all.
UNKNOWN = "0+unknown"


def from_pyproject(pyproject: Path) -> str | None:
    """``[project] version`` of ``pyproject`` if it is lrcore's, else None."""
    if not pyproject.is_file():
        return None
    project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    if project.get("name") != "lrcore" or "version" not in project:
        return None
    return str(project["version"])


def version() -> str:
    """The source tree's ``pyproject.toml``, else the installed distribution's metadata."""
    found = from_pyproject(Path(__file__).resolve().parents[1] / "pyproject.toml")
    if found is not None:
        return found
    try:
        return importlib.metadata.version("lrcore")
    except importlib.metadata.PackageNotFoundError:
        return UNKNOWN
