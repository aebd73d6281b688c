"""Fix the serious accessibility violations that axe-core finds in the theme's markup, and make
the theme's pages light enough for a phone (issue 21).

``tests/browser`` runs axe-core on every page and fails on any serious or critical violation.
Those it found came from the theme and from docutils, not from the chapters; each is fixed
here, at its source, without turning any rule off:

- ``label-content-name-mismatch`` (serious), pydata-sphinx-theme's search button and colour
  mode switch: the accessible name did not contain the visible text (the button said
  "Search Ctrl+K" but was named "Search"; Font Awesome turned the switch icons' titles into
  SVG text). ``accessible_theme/templates/`` overrides the two components, copies
  of pydata-sphinx-theme 0.17.1's with only those attributes changed.
- ``label-content-name-mismatch`` (serious, axe-core 4.14), myst-nb's hidden-code toggle: it
  writes ``<summary aria-label="Toggle hidden content">`` around the visible "Show code cell
  source", so a voice-control user who says what they see cannot press it. The label goes;
  the summary's name is then its visible text (the hidden "Hide ..." half is ``display: none``).
- ``color-contrast`` (serious): sphinx-book-theme's light-mode link colour #176de8 has a
  contrast of 4.2-4.3:1 on the tinted backgrounds of admonitions, exercises and solutions
  (WCAG AA asks 4.5:1). ``accessible_theme/static/accessible-theme.css`` darkens it to #145fcc.
- ``aria-required-children`` (critical), the bibliography: docutils writes each entry of the
  ``role="list"`` citation list as ``role="doc-biblioentry"``, a role that DPUB-ARIA 1.1
  deprecated and that a list may not contain. Each entry becomes ``role="listitem"``, which
  is what DPUB-ARIA tells authors to use instead.

Light pages (issue 21; ``tests/browser/test_mobile_performance.py`` measures them on a phone
profile). After the html build (not the ``singlehtml`` one the PDF is printed from), every page
of the site is rewritten, idempotently:

- **Icons without a script.** pydata-sphinx-theme loads ``fontawesome.js`` (1.45 MB) on every
  page to turn its ``<i class="fa-solid fa-...">`` icons into SVG in the browser. Those icons
  (about 17, ``accessible_theme/icons.json``: the SVG paths of Font Awesome Free 6.5.2's solid
  icons, CC BY 4.0, extracted from the theme's own ``fontawesome.js``) are written into the pages
  as the same inline ``<svg class="svg-inline--fa ...">`` the script made, with its CSS in
  ``accessible-theme.css``; the script and its files are removed. An icon not in
  ``icons.json`` is a warning (it fails the ``-W`` build): add it there.
  The theme's style sheets also draw a few icons from Font Awesome's icon font (admonition
  titles, breadcrumbs, download links): the 156 KB font is subset to those glyphs
  (``_static/fa-solid-subset.woff``, with fontTools, which matplotlib already requires).
- **Search when the reader searches.** The theme loads ``searchtools.js``, ``language_data.js``
  and the whole ``searchindex.js`` synchronously on every page, for the search-as-you-type it
  offers when ``search_as_you_type`` is set (this book does not set it). They stay only on
  ``search.html``, where the search box's form takes the reader; focusing a search box
  prefetches the index so that the search page opens at once.
- **No restyle of the whole page on load.** The theme's first script sets the colour theme to
  "auto", which its main script resolves to "light" or "dark" once the page is parsed,
  restyling every element in one long task; it is resolved at once instead.
- **Scripts off the critical path.** Every script Sphinx and the extensions add is deferred
  (``html-page-context``), except ``documentation_options.js``, which inline scripts extend as
  the page parses; the search page keeps its order.
- **Images sized and lazy.** Each ``<img>`` of the site's own files (``_images``) or an inline
  PNG gets its ``width`` and ``height`` (no layout shift while it loads; the CSS keeps its
  aspect ratio when it is scaled down); images below a phone's first screen (all but a first
  image with at most ``FOLD_CHARACTERS`` of text before it) load lazily.
- **A meta description** for every page, from its first paragraph of prose.
- **No layout of the whole page at start-up.** pydata-sphinx-theme's script read ``scrollWidth``
  of every code block, output and table at start-up, to give those that scroll ``tabindex="0"``
  (a keyboard reaches and scrolls them: axe-core's ``scrollable-region-focusable``): that laid out
  the whole of a long chapter in one long task, and undid ``content-visibility: auto``, which lets
  the browser skip the sections off the screen (``accessible-theme.css``). The built
  ``pydata-sphinx-theme.js`` gets ``accessible_theme/lazy_tab_stops.js`` instead of that
  function: each element is measured when it comes near the screen. Until then the tabindex
  written into the page holds: ``tabindex="0"`` on every block that could scroll on a phone 320
  pixels wide (a code line longer than ``PHONE_COLUMNS`` characters, a table, a figure), so no scrollable
  region is ever out of a keyboard's reach; one that does not scroll after all becomes -1 when it
  is measured. A theme whose script differs is a warning (it fails the ``-W`` build).
- **Only the figure laid out at once.** The style sheet lets the browser skip a chapter's
  sections while they are off the screen, but not one with an interactive figure; in such a
  section the blocks around the figure come in ``offscreen-run`` containers that it may skip
  (``skip_offscreen_runs``; chapter 12's blocking time on a phone: about 550 ms to under 200).
"""

from __future__ import annotations

import base64
import html
import json
import logging as std_logging  # sphinx.util.logging takes the name `logging` below
import re
import struct
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders.html._assets import _JavaScript
from sphinx.config import Config
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent / "accessible_theme"
STYLESHEET = "accessible-theme.css"
#: Font Awesome's solid icons the pages use, by name: ``{"viewBox": ..., "d": ...}``.
ICONS: dict[str, dict[str, str]] = json.loads((HERE / "icons.json").read_text())
#: The files of the icon script, relative to the html output folder; removed after the build.
FONTAWESOME_FILES = ("_static/scripts/fontawesome.js", "_static/scripts/fontawesome.js.map",
                     "_static/scripts/fontawesome.js.LICENSE.txt")  # fmt: skip
#: A Font Awesome icon element as the templates write it: empty, classes naming a ``fa-`` icon.
ICON = re.compile(r'<(i|span)\s+class="([^"]*\bfa-[^"]*)"([^>]*)>\s*</\1>')
#: Classes of Font Awesome that are a style or a size, not an icon.
FA_MODIFIERS = {"fa-solid", "fa-regular", "fa-brands", "fa-lg", "fa-xs", "fa-sm", "fa-xl", "fa-fw", "fa-2x"}
FONTAWESOME_SCRIPT = re.compile(r'\s*(?:<!-- So that users can add custom icons -->\s*)?'
                                r'<script[^>]*src="[^"]*/fontawesome\.js[^"]*"[^>]*></script>')  # fmt: skip
#: The theme's first script sets the colour theme to "auto", which its main script, once the page
#: is parsed, resolves to "light" or "dark": a change of the root's attribute that restyles the
#: whole page in a long task. Resolved at once, the main script's value is the same.
THEME_AUTO = 'document.documentElement.dataset.theme = localStorage.getItem("theme") || "{mode}";'
THEME_RESOLVED = (
    'var pstTheme = localStorage.getItem("theme") || "{mode}";\n'
    '    document.documentElement.dataset.theme = pstTheme !== "auto" ? pstTheme :\n'
    '      matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";'
)
SEARCH_SCRIPTS = re.compile(r'\s*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|'
                            r'searchindex\.js)"></script>')  # fmt: skip
#: Prefetches the search index the first time a search box gets the focus (inline: no request).
SEARCH_PREFETCH = (
    "<script>document.addEventListener('focusin',function f(e){if(!e.target.matches||"
    "!e.target.matches('input[name=q]'))return;document.removeEventListener('focusin',f);"
    "var l=document.createElement('link');l.rel='prefetch';l.href=DOCUMENTATION_OPTIONS.URL_ROOT"
    "+'searchindex.js';document.head.appendChild(l)})</script>"
)
SEARCH_PREFETCH_MARK = "searchindex.js';document.head"
#: Scripts that must run as the page parses (inline scripts extend them).
SYNC_SCRIPTS = ("_static/documentation_options.js",)
#: The theme's icon font (Font Awesome Free 6.5.2 solid, SIL OFL 1.1) and its subset.
ICON_FONT_SOURCE = "_static/vendor/fontawesome/webfonts/fa-solid-900.ttf"
ICON_FONT = "_static/fa-solid-subset.woff"
CSS_RULE = re.compile(r"([^{}]*)\{([^{}]*)\}")
CSS_ESCAPE = re.compile(r"\\(f[0-9a-fA-F]{3})")
IMG = re.compile(r"<img\b[^>]*>")
TAG = re.compile(r"<[^>]*>")
#: About a phone's first screen of text (412 x 823 CSS pixels: some 30 lines of 45 characters).
FOLD_CHARACTERS = 1000
ATTRIBUTE = re.compile(r'\s([a-zA-Z-]+)="([^"]*)"')
#: A page's description: at most this many characters, cut at a word.
DESCRIPTION_LENGTH = 160
#: pydata-sphinx-theme 0.17.1's addTabStopsToScrollableElements, as its minified script has it
#: (``{name}`` the function, ``{debounce}`` its debounce helper), and what replaces it.
THEME_SCRIPT = "_static/scripts/pydata-sphinx-theme.js"
TAB_STOPS = re.compile(
    r'function (?P<name>[\w$]+)\(\)\{const e=\(\)=>\{document\.querySelectorAll\(\["pre",'
    r'"\.nboutput > \.output_area","\.cell_output > \.output","\.jp-RenderedHTMLCommon",'
    r'"\.pst-scrollable-table-container"\]\.join\(", "\)\)\.forEach\(e=>\{e\.tabIndex=e\.scrollWidth>'
    r"e\.clientWidth\|\|e\.scrollHeight>e\.clientHeight\?0:-1\}\)\},t=(?P<debounce>[\w$]+)\(e,300\);"
    r'window\.addEventListener\("resize",t\),new MutationObserver\(t\)\.observe\(document\.getElementById'
    r'\("main-content"\),\{subtree:!0,childList:!0\}\),e\(\)\}'
)
LAZY_TAB_STOPS = HERE / "lazy_tab_stops.js"
LAZY_MARK = "addTabStopsToScrollableElements,\n  // made lazy"
#: A code line longer than this may scroll on a phone 320 CSS pixels wide (measured: lines of 30
#: characters do, in the theme's code font); such a block gets ``tabindex="0"`` at build time.
PHONE_COLUMNS = 28
PRE = re.compile(r"<pre\b([^>]*)>(.*?)</pre>", re.S)
TABLE_CONTAINER = '<div class="pst-scrollable-table-container">'
HTML_OUTPUT = re.compile(r'<div class="output text_html">')
OUTPUT_END = re.compile(r'<div class="(?:cell|output)\b|</section>|</article>')
#: Where a paragraph is not the page's prose.
NOT_PROSE = (nodes.Admonition, nodes.sidebar, nodes.topic, nodes.footnote, nodes.citation, nodes.table,
             nodes.figure, nodes.caption, nodes.legend, nodes.field_list, nodes.container)  # fmt: skip


def add_paths(app: Sphinx, config: Config) -> None:
    config.templates_path = [str(HERE / "templates"), *config.templates_path]
    config.html_static_path = [*config.html_static_path, str(HERE / "static")]


def fix_bibliography_roles(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def fix_toggle_names(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """myst-nb's hidden-code toggle: named by its visible text, not by a label that omits it."""
    body = context.get("body")
    if body and '<summary aria-label="Toggle hidden content">' in body:
        context["body"] = body.replace('<summary aria-label="Toggle hidden content">', "<summary>")


def defer_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Every script file of the page deferred, but those inline scripts need as the page parses."""
    files = context.get("script_files")
    if not isinstance(files, list) or pagename == "search":
        return
    for index, script in enumerate(files):
        if not isinstance(script, _JavaScript) or not script.filename:
            continue
        attributes = script.attributes
        if "defer" in attributes or "async" in attributes or attributes.get("type") == "module":
            continue
        if any(str(script.filename).endswith(name) for name in SYNC_SCRIPTS):
            continue
        # The builder's own list, restored after each page: replace, never mutate, the asset.
        files[index] = _JavaScript(script.filename, priority=script.priority, **{**attributes, "defer": "defer"})


def paragraph_text(paragraph: nodes.paragraph) -> str:
    return " ".join(paragraph.astext().split())


def description(doctree: nodes.document | None, fallback: str = "") -> str:
    """The first paragraph of the page's prose (outside admonitions, figures, cells...), shortened."""
    text = ""
    if doctree is not None:
        for paragraph in doctree.findall(nodes.paragraph):
            parent, inside = paragraph.parent, False
            while parent is not None:
                if isinstance(parent, NOT_PROSE):
                    inside = True
                    break
                parent = parent.parent
            candidate = paragraph_text(paragraph)
            if not inside and len(candidate.split()) >= 6:
                text = candidate
                break
    text = text or fallback
    if len(text) > DESCRIPTION_LENGTH:
        text = text[: DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


def add_description(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if 'name="description"' in context.get("metatags", ""):
        return
    title = html.unescape(re.sub(r"<[^>]+>", "", context.get("title") or ""))
    book = context.get("docstitle") or app.config.html_title or ""
    fallback = f"{title} – {book}" if title and book else title or book
    text = description(doctree, fallback)
    context["metatags"] = context.get("metatags", "") + f'\n<meta name="description" content="{html.escape(text)}" />'


def svg_icon(match: re.Match) -> str:
    """The inline SVG that fontawesome.js would have made of one ``<i class="fa-...">``."""
    classes = match.group(2).split()
    names = [c[3:] for c in classes if c.startswith("fa-") and c not in FA_MODIFIERS]
    known = [name for name in names if name in ICONS]
    if not known:
        raise KeyError(" ".join(names) or match.group(2))
    icon = ICONS[known[0]]
    attributes = match.group(3)
    hidden = "" if "aria-hidden" in attributes else ' aria-hidden="true"'
    kept = " ".join(c for c in classes if c not in ("fa-solid", "fas"))
    return (
        f'<svg class="svg-inline--fa {kept}"{attributes}{hidden} focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="{icon["viewBox"]}">'
        f'<path fill="currentColor" d="{icon["d"]}"></path></svg>'
    )


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or SVG (with a viewBox or width/height), else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                return None
            marker, length = data[index + 1], struct.unpack(">H", data[index + 2 : index + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return width, height
            index += 2 + length
        return None
    head = data[:2048].decode("utf-8", "replace")
    if "<svg" in head:
        tag = head[head.index("<svg") : head.find(">", head.index("<svg")) + 1]
        width, height = re.search(r'\swidth="([\d.]+)(?:px)?"', tag), re.search(r'\sheight="([\d.]+)(?:px)?"', tag)
        if width and height:
            return round(float(width[1])), round(float(height[1]))
        box = re.search(r'viewBox="[\d.-]+[ ,]+[\d.-]+[ ,]+([\d.]+)[ ,]+([\d.]+)"', tag)
        if box:
            return round(float(box[1])), round(float(box[2]))
    return None


def _image_data(src: str, page: Path, outdir: Path) -> bytes | None:
    if src.startswith("data:image/") and ";base64," in src:
        encoded = src.split(";base64,", 1)[1]
        return base64.b64decode(encoded[:4096] + "=" * (-len(encoded[:4096]) % 4), validate=False)
    if re.match(r"^[a-z]+:", src) or src.startswith("/"):
        return None
    file = (page.parent / src.split("?", 1)[0].split("#", 1)[0]).resolve()
    if outdir.resolve() not in file.parents or not file.is_file():
        return None
    with file.open("rb") as handle:
        return handle.read(65536)


def size_images(text: str, page: Path, outdir: Path) -> str:
    """Every image with its width and height; those below a phone's first screen load lazily."""
    article = text.find("<article")
    article = 0 if article < 0 else article
    first = True

    def one(match: re.Match) -> str:
        nonlocal first
        tag = match.group(0)
        attributes = dict(ATTRIBUTE.findall(tag))
        src = html.unescape(attributes.get("src", ""))
        # Above the fold: the page's first image, if no more than a phone screen of text comes before it.
        before = TAG.sub("", text[article : match.start()]) if first and match.start() > article else ""
        is_first, first = first and len(" ".join(before.split())) <= FOLD_CHARACTERS, False
        added = []
        if "width" not in attributes and "height" not in attributes and "style" not in attributes:
            data = _image_data(src, page, outdir)
            size = image_size(data) if data else None
            if size:
                added.append(f'width="{size[0]}" height="{size[1]}"')
        if not is_first and "loading" not in attributes and not src.startswith("data:"):
            added.append('loading="lazy"')
        if not added:
            return tag
        end = -2 if tag.endswith("/>") else -1
        return tag[:end].rstrip() + " " + " ".join(added) + (" />" if end == -2 else ">")

    return IMG.sub(one, text)


def static_tab_stops(text: str) -> str:
    """``tabindex="0"`` on every block that could scroll on a phone (the module's docstring): a
    ``<pre>`` with a line longer than ``PHONE_COLUMNS``, a table's scroll container, an HTML
    output with a table or an interactive figure (``lrcore.explorers``, 412 pixels wide or more)."""

    def pre(match: re.Match) -> str:
        attributes, body = match.group(1), match.group(2)
        if "tabindex" in attributes:
            return match.group(0)
        lines = html.unescape(TAG.sub("", body)).split("\n")
        if max(len(line) for line in lines) <= PHONE_COLUMNS:
            return match.group(0)
        return f'<pre{attributes} tabindex="0">{body}</pre>'

    text = PRE.sub(pre, text)
    text = text.replace(TABLE_CONTAINER, TABLE_CONTAINER[:-1] + ' tabindex="0">')
    pieces, last = [], 0
    for match in HTML_OUTPUT.finditer(text):
        end = OUTPUT_END.search(text, match.end())
        output = text[match.end() : end.start() if end else len(text)]
        if "<table" in output or 'class="lrx' in output:
            pieces += [text[last : match.end() - 1], ' tabindex="0">']
            last = match.end()
    return "".join(pieces) + text[last:]


def lazy_tab_stops(outdir: Path) -> None:
    """The theme's start-up check of every scrollable block replaced by the lazy one."""
    script = outdir / THEME_SCRIPT
    if not script.is_file():
        return
    text = script.read_text(encoding="utf-8")
    if LAZY_MARK in text:
        return
    match = TAB_STOPS.search(text)
    if match is None:
        LOGGER.warning(
            "accessible_theme: %s has no addTabStopsToScrollableElements as pydata-sphinx-theme 0.17.1 "
            "wrote it: it still lays out the whole page at start-up (update TAB_STOPS)",
            THEME_SCRIPT,
        )
        return
    lazy = LAZY_TAB_STOPS.read_text(encoding="utf-8").strip()
    lazy = lazy.replace("__NAME__", match["name"]).replace("__DEBOUNCE__", match["debounce"])
    script.write_text(text[: match.start()] + lazy + text[match.end() :], encoding="utf-8")


def lighten_page(text: str, page: Path, outdir: Path) -> tuple[str, list[str]]:
    """One page of the site, rewritten as the module says; and the icons it could not inline."""
    missing: list[str] = []

    def icon(match: re.Match) -> str:
        try:
            return svg_icon(match)
        except KeyError as error:
            missing.append(str(error.args[0]))
            return match.group(0)

    text = FONTAWESOME_SCRIPT.sub("", text)
    for mode in ("auto", "light", "dark"):
        text = text.replace(THEME_AUTO.format(mode=mode), THEME_RESOLVED.format(mode=mode))
    text = ICON.sub(icon, text)
    if page.name != "search.html" and SEARCH_SCRIPTS.search(text):
        text = SEARCH_SCRIPTS.sub("", text)
        if SEARCH_PREFETCH_MARK not in text:
            text = text.replace("</head>", SEARCH_PREFETCH + "\n</head>", 1)
    text = size_images(text, page, outdir)
    text = static_tab_stops(text)
    return text, missing


def css_icon_codepoints(static: Path) -> set[int]:
    """The icon-font characters the theme's style sheets show by themselves (admonition titles,
    breadcrumbs, download links...): in custom properties, or in ``content`` outside the
    ``.fa-*`` classes (those draw the ``<i>`` icons, which are inline SVG now)."""
    codepoints: set[int] = set()
    for sheet in static.rglob("*.css"):
        for selector, body in CSS_RULE.findall(sheet.read_text(encoding="utf-8", errors="replace")):
            for declaration in body.split(";"):
                name, _, value = declaration.partition(":")
                name = name.strip()
                if name.startswith("--") or (name == "content" and ".fa" not in selector):
                    codepoints.update(int(code, 16) for code in CSS_ESCAPE.findall(value))
                    codepoints.update(ord(char) for char in value if 0xE000 <= ord(char) <= 0xF8FF)
    return codepoints


def subset_icon_font(outdir: Path) -> None:
    """The few glyphs of Font Awesome's solid font that the style sheets show, as a small WOFF
    (accessible-theme.css declares it after the theme's 156 KB font, so browsers fetch it instead)."""
    from fontTools import subset

    # fontTools logs each step of a subset at INFO, which the build's logging lets through as
    # fifty lines of noise in every build; its warnings still show.
    std_logging.getLogger("fontTools").setLevel(std_logging.WARNING)
    source = outdir / ICON_FONT_SOURCE
    if not source.is_file():
        LOGGER.warning("accessible_theme: %s is missing: the icon font is not subset", ICON_FONT_SOURCE)
        return
    options = subset.Options()
    options.flavor = "woff"  # zlib: WOFF2 would need brotli
    options.layout_features = []
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(css_icon_codepoints(outdir / "_static")))
    subsetter.subset(font)
    subset.save_font(font, str(outdir / ICON_FONT), options)


def lighten_site(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name not in ("html", "singlehtml"):
        return
    outdir = Path(app.outdir)
    if app.builder.name == "singlehtml":
        # The PDF's single page keeps the theme as it is, but its style sheet names the subset font.
        subset_icon_font(outdir)
        return
    for page in sorted(outdir.rglob("*.html")):
        if any(part.startswith("_") for part in page.relative_to(outdir).parts[:-1]):
            continue  # _static, _sources, _downloads: not pages of the site
        text = page.read_text(encoding="utf-8")
        lightened, missing = lighten_page(text, page, outdir)
        for name in sorted(set(missing)):
            LOGGER.warning(
                "accessible_theme: %s uses the icon %r, which book/_ext/accessible_theme/icons.json "
                "lacks: add its SVG path there (it stays a Font Awesome <i>, blank without fontawesome.js)",
                page.relative_to(outdir),
                name,
            )
        if lightened != text:
            page.write_text(lightened, encoding="utf-8")
    for name in FONTAWESOME_FILES:
        (outdir / name).unlink(missing_ok=True)
    lazy_tab_stops(outdir)
    subset_icon_font(outdir)


#: An interactive figure's HTML (``lrcore.explorers``: ``<figure class="lrx lrx-descent" ...>``).
INTERACTIVE = re.compile(r'class="lrx[ "]')
#: The class of a run of blocks that the browser may skip while it is off the screen.
OFFSCREEN_RUN = "offscreen-run"


def _interactive(node: nodes.Node) -> bool:
    return any(INTERACTIVE.search(raw.astext()) for raw in node.findall(nodes.raw))


def _wrap_runs(section: nodes.section) -> None:
    """Each run of the section's blocks without an interactive figure, in one ``offscreen-run``
    container; a subsection with the figure is kept and its own blocks wrapped the same way."""
    kept: list[nodes.Node] = []
    run: list[nodes.Node] = []
    for child in list(section.children):
        if isinstance(child, nodes.title) or _interactive(child):
            if run:
                kept.append(nodes.container("", *run, classes=[OFFSCREEN_RUN]))
                run = []
            if isinstance(child, nodes.section):
                _wrap_runs(child)
            kept.append(child)
        else:
            run.append(child)
    if run:
        kept.append(nodes.container("", *run, classes=[OFFSCREEN_RUN]))
    section.children = []
    section.extend(kept)


def skip_offscreen_runs(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """In a chapter's section that holds an interactive figure, the blocks around the figure in
    runs that the browser lays out only when they come near the screen.

    ``accessible-theme.css`` lets the browser skip each section of a chapter while it is off the
    screen, but not a section with an interactive figure, whose script reads the figure's text.
    Such a section was laid out whole at load: in chapter 12 its 2,800 elements, most of the
    page's blocking time on a phone. Now only the figure (and the title above it) is laid out at
    once. The site's pages only: the PDF prints every block.
    """
    if app.builder.name != "html":
        return
    chapters = [child for child in doctree.children if isinstance(child, nodes.section)]
    for section in [child for chapter in chapters for child in chapter.children if isinstance(child, nodes.section)]:
        if _interactive(section):
            _wrap_runs(section)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", add_paths)
    app.connect("doctree-resolved", skip_offscreen_runs)
    app.connect("html-page-context", fix_bibliography_roles)
    app.connect("html-page-context", fix_toggle_names)
    app.connect("html-page-context", add_description)
    # Late, after every extension (MathJax, sphinx-thebe, the PDF link) has added its scripts.
    app.connect("html-page-context", defer_scripts, priority=900)
    # After prerender_math (800), which opens the pages in Chromium as Sphinx wrote them.
    app.connect("build-finished", lighten_site, priority=900)
    app.add_css_file(STYLESHEET, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
