"""Make the site complete on its own: every file a page loads is served by the site itself.

The theme's scripts, styles and fonts are already local. Two things were not:

- **MathJax.** Sphinx's default ``mathjax_path`` loads it from a CDN. ``_config.yml`` sets it
  to ``mathjax/tex-chtml.js``, a path relative to ``_static``, and this extension copies
  MathJax there from the Python package ``sphinx-mathjax-offline`` (pinned in
  ``requirements.txt``; it ships MathJax 3.2.2, so building needs no Node.js): the combined
  component ``tex-chtml.js`` and every folder it may load from at run time (the CHTML fonts,
  the TeX extensions that ``autoload`` fetches on first use, the menu's accessibility and
  speech modules, the SVG output the menu can switch to). The other combined components are
  left out: no page loads them. That package is only a source of files here, not a Sphinx
  extension (its own ``setup`` would copy all 24 MB). The build fails if the package is
  missing, is not MathJax 3, or if ``mathjax_path`` points anywhere else.
- **A favicon.** With none declared, every browser asks for ``/favicon.ico`` and gets a 404
  (a failed request and a console error on every page). Each page now links a small SVG
  icon, written into ``_static``.

And one thing was there for nothing: jupyter-book always loads ``sphinx_thebe``, which puts
on every page a script naming thebe's CDN URL (``unpkg.com``), a thebe configuration and
``sphinx-thebe.js``/``.css``, although no launch button uses thebe. Under Sphinx 7.4 its inline
script is even written twice (the builder re-adds inline scripts registered after its init as
``''`` instead of ``None``, so they are not recognised as the same), and the second copy
throws "Identifier 'THEBE_JS_URL' has already been declared" in every page's console. When
neither ``launch_buttons: thebe`` nor ``thebe_config.always_load`` asks for thebe, this
extension disconnects sphinx-thebe's two handlers and drops its files from the pages.
"""

from __future__ import annotations

import re
import shutil
from importlib import metadata
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
#: Where MathJax lands, relative to the html output folder, and the script the pages load.
MATHJAX = Path("_static") / "mathjax"
ENTRY = "tex-chtml.js"
FAVICON = "_static/favicon.svg"
#: The handlers of sphinx_thebe that add its scripts and its per-page configuration.
THEBE_HANDLERS = ("init_thebe_core", "update_thebe_context")
#: A sigmoid curve, white on blue.
FAVICON_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#1f4e79"/>
<path d="M4 25 C 15 25, 17 7, 28 7" stroke="#ffffff" stroke-width="3" fill="none" stroke-linecap="round"/>
</svg>
"""


#: The Python distribution that ships MathJax, and the folder of MathJax inside it.
MATHJAX_DISTRIBUTION = "sphinx-mathjax-offline"
MATHJAX_FOLDER = "sphinx-mathjax-offline/static/mathjax"
#: How MathJax's startup component states its version.
MATHJAX_VERSION = re.compile(rb'VERSION="(\d+\.\d+\.\d+)"')


def mathjax_package() -> Path:
    """MathJax's folder in the installed ``sphinx-mathjax-offline``, checked to be MathJax 3."""
    try:
        folder = Path(metadata.distribution(MATHJAX_DISTRIBUTION).locate_file(MATHJAX_FOLDER))
    except metadata.PackageNotFoundError:
        folder = None
    if folder is None or not (folder / ENTRY).is_file():
        raise ExtensionError(
            f"offline_site: MathJax is missing: pip install -r requirements.txt (it comes from {MATHJAX_DISTRIBUTION})"
        )
    version = MATHJAX_VERSION.search((folder / ENTRY).read_bytes())
    if version is None or not version[1].startswith(b"3."):
        found = version[1].decode() if version else "an unknown version"
        raise ExtensionError(f"offline_site: {MATHJAX_DISTRIBUTION} ships MathJax {found}, the book needs 3.x")
    return folder


def check_config(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    mathjax_package()
    expected = f"mathjax/{ENTRY}"
    if app.config.mathjax_path != expected:
        raise ExtensionError(f"offline_site: mathjax_path is {app.config.mathjax_path!r}, expected {expected!r}")


def thebe_wanted(config) -> bool:
    launch = config.html_theme_options.get("launch_buttons", {}) or {}
    return bool(launch.get("thebe")) or str((config.thebe_config or {}).get("always_load")).lower() == "true"


def drop_idle_thebe(app: Sphinx, config) -> None:
    if "sphinx_thebe" not in app.extensions or thebe_wanted(config):
        return
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(getattr(app.events, "listeners", {}).get(event, [])):
            handler = listener.handler
            if handler.__module__ == "sphinx_thebe" and handler.__name__ in THEBE_HANDLERS:
                app.disconnect(listener.id)


def drop_thebe_files(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if "sphinx_thebe" not in app.extensions or thebe_wanted(app.config):
        return
    css = context.get("css_files")
    if isinstance(css, list):
        css[:] = [c for c in css if not str(getattr(c, "filename", c)).endswith("sphinx-thebe.css")]


def link_favicon(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if not context.get("favicon_url"):
        context["favicon_url"] = context["pathto"](FAVICON, 1)


def copy_files(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = mathjax_package()
    target = Path(app.outdir) / MATHJAX
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(source / ENTRY, target / ENTRY)
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        shutil.copytree(folder, target / folder.name)
    Path(app.outdir, FAVICON).write_text(FAVICON_SVG)
    LOGGER.info(f"offline_site: MathJax copied to {target}")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", drop_idle_thebe)
    app.connect("builder-inited", check_config)
    app.connect("html-page-context", drop_thebe_files)
    app.connect("html-page-context", link_favicon)
    app.connect("build-finished", copy_files)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
