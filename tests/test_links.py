"""No broken internal link or anchor in the built site (no browser needed).

Every ``href`` and ``src`` (and ``srcset``) of every HTML file under ``<build>/html`` that
points into the site must resolve to a file, and where it has a fragment, to an element with
that ``id`` (or an ``<a name>``) in the target page. The build folder is ``$LRBOOK_BUILD_DIR``,
default ``_build``. Links to other sites are not followed (the site must work offline; the
browser tests check that no page *loads* anything from elsewhere).
"""

from __future__ import annotations

import os
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build")).resolve() / "html"
#: Every page of the site. Not the theme's Jinja macro files that Sphinx copies into _static
#: (``webpack-macros.html``): templates, not pages, that nothing links to.
PAGES = sorted(p for p in SITE.rglob("*.html") if "_static" not in p.relative_to(SITE).parts) if SITE.is_dir() else []
LINK_ATTRIBUTES = {"href", "src", "srcset", "poster", "data"}
#: Schemes that leave the site, or that are not addresses at all.
EXTERNAL_SCHEMES = {"http", "https", "mailto", "tel", "ftp", "data", "javascript", "blob", "about"}


#: Tags whose address attribute the browser fetches as the page loads (``<a href>`` it does not).
LOADING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src", "audio": "src",
           "embed": "src", "object": "data", "link": "href"}  # fmt: skip
#: ``<link rel>`` values that are not fetched (``canonical``, ``prev``/``next``, ``search``...).
NOT_FETCHED = {"canonical", "prev", "next", "index", "search", "author", "license", "alternate", "help"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str, str]] = []  # (line, tag, value)
        self.loads: list[tuple[int, str, str]] = []  # what the browser fetches: (line, tag, value)
        self.ids: set[str] = set()
        self.scripts: list[str] = []  # inline script bodies
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in LINK_ATTRIBUTES and not (tag == "link" and self._is_hint(attrs)):
                values = [v.strip().split()[0] for v in value.split(",") if v.strip()] if name == "srcset" else [value]
                self.links.extend((line, tag, v) for v in values)
                rel = set((dict(attrs).get("rel") or "").split())
                if LOADING.get(tag) == name and not (tag == "link" and rel and rel <= NOT_FETCHED):
                    self.loads.extend((line, tag, v) for v in values)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.scripts.append(data)

    @staticmethod
    def _is_hint(attrs) -> bool:
        """``<link rel="preconnect"|"dns-prefetch">`` names a host, not a resource."""
        rel = dict(attrs).get("rel") or ""
        return any(r in rel.split() for r in ("preconnect", "dns-prefetch"))


@cache
def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def broken_links(page_path: Path, site: Path) -> list[str]:
    """Every internal link of one page that leads nowhere, as "line: value (why)"."""
    problems = []
    for line, _tag, value in parse(page_path).links:
        parts = urlsplit(value)
        if parts.scheme in EXTERNAL_SCHEMES or parts.netloc:
            continue
        if parts.scheme:
            problems.append(f"{line}: {value} (unknown scheme)")
            continue
        if not parts.path:
            target = page_path  # "#fragment" or "?query": this page
        elif parts.path.startswith("/"):
            problems.append(f"{line}: {value} (absolute path: breaks under a project sub-path)")
            continue
        else:
            target = (page_path.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
        if not target.is_relative_to(site):
            problems.append(f"{line}: {value} (leaves the site)")
        elif not target.is_file():
            problems.append(f"{line}: {value} (no file {target.relative_to(site)})")
        elif parts.fragment and target.suffix == ".html":
            fragment = unquote(parts.fragment)
            if fragment not in parse(target).ids:
                problems.append(f"{line}: {value} (no id {fragment!r} in {target.relative_to(site)})")
    return problems


XML_NAMESPACES = r"http://www\.w3\.org/(?:2000/svg|1999/xlink|1999/xhtml)\b"


def test_the_site_is_built():
    assert (SITE / "index.html").is_file(), f"no built site in {SITE}: run `make book` (or set LRBOOK_BUILD_DIR)"
    assert len(PAGES) > 3


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(SITE).as_posix())
def test_every_internal_link_and_anchor_resolves(page):
    assert broken_links(page, SITE) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(SITE).as_posix())
def test_no_page_loads_anything_from_another_site(page):
    """Scripts, styles, images, fonts: all from the site itself (MathJax included), no CDN."""
    parsed = parse(page)
    foreign = [f"{line}: <{tag}> {value}" for line, tag, value in parsed.loads if urlsplit(value).netloc]
    assert foreign == []
    assert scripts_naming_other_sites(parsed.scripts) == [], "an inline script names another site"


def scripts_naming_other_sites(scripts: list[str]) -> list[str]:
    """The inline scripts that hold an address; XML namespace names (the SVG that a figure's script
    draws is created in ``http://www.w3.org/2000/svg``) are identifiers that are never fetched."""
    return [s for s in scripts if re.search(r"https?://", re.sub(XML_NAMESPACES, "", s))]


def test_an_svg_namespace_is_not_another_site():
    svg = 'const NS = "http://www.w3.org/2000/svg"; document.createElementNS(NS, "svg");'
    cdn = 'const s = document.createElement("script"); s.src = "https://cdn.example.org/plot.js";'
    assert scripts_naming_other_sites([svg]) == []
    assert scripts_naming_other_sites([svg, cdn]) == [cdn]
    assert scripts_naming_other_sites(["fetch('http://www.w3.org/2000/svgs.json')"]) != []


def test_no_stylesheet_or_script_of_the_site_loads_from_another_site():
    """No ``url(...)`` or ``@import`` of the site's CSS (fonts, images) points to another site."""
    pattern = re.compile(r"(?:url\(\s*['\"]?|@import\s+['\"])(https?:)?//", re.IGNORECASE)
    offenders = [
        path.relative_to(SITE).as_posix()
        for path in sorted(SITE.rglob("*.css"))
        if pattern.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_the_checker_catches_broken_links_and_anchors(tmp_path):
    """Positive control on a throw-away site: each kind of breakage is reported, good links are not."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text('<p id="there">x</p>')
    (tmp_path / "img.png").write_bytes(b"png")
    (tmp_path / "page.html").write_text(
        '<a id="top" href="#top">ok</a> <a href="sub/#there">ok</a> <a href="sub/">ok</a>'
        ' <img src="img.png" srcset="img.png 1x, img.png 2x"> <a href="https://example.org/x">external</a>'
        ' <a href="#nowhere">1</a> <a href="missing.html">2</a> <a href="sub/index.html#gone">3</a>'
        ' <img src="nothing.png"> <a href="../outside.html">4</a> <a href="/root.html">5</a>'
    )
    problems = broken_links(tmp_path / "page.html", tmp_path.resolve())
    assert [p.split(" (")[0].split(": ", 1)[1] for p in problems] == [
        "#nowhere", "missing.html", "sub/index.html#gone", "nothing.png", "../outside.html", "/root.html",
    ]  # fmt: skip
