"""Fix the serious accessibility violations that axe-core finds in the theme's markup.

``tests/browser`` runs axe-core on every page and fails on any serious or critical violation.
Those it found came from the theme and from docutils, not from the chapters; each is fixed
here, at its source, without turning any rule off:

- ``label-content-name-mismatch`` (serious), pydata-sphinx-theme's search button and colour
  mode switch: the accessible name did not contain the visible text (the button said
  "Search Ctrl+K" but was named "Search"; Font Awesome turned the switch icons' titles into
  SVG text). ``accessible_theme/templates/`` overrides the two components, copies
  of pydata-sphinx-theme 0.17.1's with only those attributes changed.
- ``color-contrast`` (serious): sphinx-book-theme's light-mode link colour #176de8 has a
  contrast of 4.2-4.3:1 on the tinted backgrounds of admonitions, exercises and solutions
  (WCAG AA asks 4.5:1). ``accessible_theme/static/accessible-theme.css`` darkens it to #145fcc.
- ``aria-required-children`` (critical), the bibliography: docutils writes each entry of the
  ``role="list"`` citation list as ``role="doc-biblioentry"``, a role that DPUB-ARIA 1.1
  deprecated and that a list may not contain. Each entry becomes ``role="listitem"``, which
  is what DPUB-ARIA tells authors to use instead.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

HERE = Path(__file__).resolve().parent / "accessible_theme"
STYLESHEET = "accessible-theme.css"


def add_paths(app: Sphinx, config: Config) -> None:
    config.templates_path = [str(HERE / "templates"), *config.templates_path]
    config.html_static_path = [*config.html_static_path, str(HERE / "static")]


def fix_bibliography_roles(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", add_paths)
    app.connect("html-page-context", fix_bibliography_roles)
    app.add_css_file(STYLESHEET, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
