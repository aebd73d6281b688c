"""Show the book's version, ``pyproject.toml``'s ``[project] version``, at the foot of every page.

The version is one number, written once, in ``pyproject.toml``; this extension reads it when the
build starts and never has it typed anywhere else:

- Sphinx's ``version`` and ``release`` (``|version|`` and ``|release|`` in a page);
- the theme's ``extra_footer`` (sphinx-book-theme's last footer item), on every page of the site,
  of the site without solutions and of the single page the PDF is printed from:
  ``<p class="lrbook-version">Version 0.2.0 ...</p>``;
- ``html_context["lrbook_version"]`` for templates.

The wheel (``lrcore-<version>-py3-none-any.whl``) and the first cell of every notebook
(``notebook_downloads.py``), ``lrcore.__version__`` (``lrcore/_version.py``) and the PDF's title
page (``tools/build_pdf.py``) read the same file. ``tests/test_release.py`` checks that the
built site, its wheel and its notebooks all say the version ``pyproject.toml`` says.
"""

from __future__ import annotations

import html
import tomllib
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

#: The class of the footer's paragraph (tests and the print style find it by it).
CSS_CLASS = "lrbook-version"


def book_version(root: Path) -> str:
    """``[project] version`` of ``root/pyproject.toml``: the version of lrcore and of the book."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    version = project.get("version")
    if project.get("name") != "lrcore" or not isinstance(version, str) or not version:
        raise ExtensionError(f"release_version: no lrcore [project] version in {root / 'pyproject.toml'}")
    return version


def footer_html(version: str) -> str:
    """The paragraph at the foot of every page."""
    text = html.escape(version)
    return f'<p class="{CSS_CLASS}">Version {text} of the book and of <code>lrcore</code>, its package.</p>'


def set_version(app: Sphinx, config) -> None:
    version = book_version(Path(app.srcdir))
    config.version = config.release = version
    theme_options = dict(config.html_theme_options or {})
    if theme_options.get("extra_footer"):
        raise ExtensionError("release_version: html_theme_options already has an extra_footer; merge it here")
    theme_options["extra_footer"] = footer_html(version)
    config.html_theme_options = theme_options
    config.html_context = {**(config.html_context or {}), "lrbook_version": version}


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", set_version)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
