"""The page rewriting of book/_ext/accessible_theme.py (issue 21), without a build or a browser:
icons as inline SVG, search scripts only on the search page, images sized and lazy, the meta
description, the hidden-code toggle's name; and the vendored axe-core's version."""

from __future__ import annotations

import base64
import struct
import sys
import zlib
from pathlib import Path

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import accessible_theme as theme  # noqa: E402

PAGE_HEAD = """<html><head>
  <!-- So that users can add custom icons -->
  <script defer src="../_static/scripts/fontawesome.js?digest=55c26ed414f5f8a31ebb"></script>
    <script src="../_static/searchtools.js"></script>
    <script src="../_static/language_data.js"></script>
    <script src="../searchindex.js"></script>
  </head><body>
<button><i class="fa-solid fa-magnifying-glass" aria-hidden="true"></i> Search</button>
<span class="fa-solid fa-bars"></span>
<i class="theme-switch fa-solid fa-moon               fa-lg" data-mode="dark"  aria-hidden="true"></i>
"""


def png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return b"\x89PNG\r\n\x1a\n" + chunk


def test_icons_become_inline_svg_and_the_script_goes(tmp_path):
    page = tmp_path / "book" / "x.html"
    text, missing = theme.lighten_page(PAGE_HEAD + "</body></html>", page, tmp_path)
    assert not missing
    assert "fontawesome.js" not in text
    assert "<i " not in text and 'class="fa-solid fa-bars"' not in text
    assert text.count("<svg") == 3
    assert 'class="svg-inline--fa theme-switch fa-moon fa-lg" data-mode="dark"  aria-hidden="true"' in text
    assert text.count("aria-hidden") == 3  # added where missing, never twice
    assert f'viewBox="{theme.ICONS["bars"]["viewBox"]}"' in text


def test_an_unknown_icon_is_reported_and_left():
    text, missing = theme.lighten_page('<i class="fa-solid fa-unicorn-x"></i>', Path("/site/a.html"), Path("/site"))
    assert missing == ["unicorn-x"]
    assert '<i class="fa-solid fa-unicorn-x"></i>' in text


def test_search_scripts_only_on_the_search_page(tmp_path):
    text, _ = theme.lighten_page(PAGE_HEAD, tmp_path / "book" / "x.html", tmp_path)
    assert 'searchindex.js"' not in text and "searchtools.js" not in text
    assert theme.SEARCH_PREFETCH in text
    search, _ = theme.lighten_page(PAGE_HEAD, tmp_path / "search.html", tmp_path)
    assert '<script src="../searchindex.js"></script>' in search


def test_rewriting_twice_changes_nothing(tmp_path):
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "a.png").write_bytes(png(800, 600))
    source = PAGE_HEAD + '<img alt="a" src="../_images/a.png" /><img alt="b" src="../_images/a.png" />'
    once, _ = theme.lighten_page(source, tmp_path / "book" / "x.html", tmp_path)
    twice, _ = theme.lighten_page(once, tmp_path / "book" / "x.html", tmp_path)
    assert once == twice


def test_images_get_their_size_and_all_but_the_first_load_lazily(tmp_path):
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "a.png").write_bytes(png(1311, 331))
    inline = "data:image/png;base64," + base64.b64encode(png(20, 10) + b"\0" * 100).decode()
    text = theme.size_images(
        f'<img alt="a" src="../_images/a.png" /><img alt="b" src="../_images/a.png">'
        f'<img class="lrx-fallback" alt="c" src="{inline}" /><img alt="d" src="../_images/missing.png" />',
        tmp_path / "book" / "x.html",
        tmp_path,
    )
    images = text.split("<img")[1:]
    assert 'width="1311" height="331" />' in images[0] and "lazy" not in images[0]
    assert 'width="1311" height="331" loading="lazy">' in images[1]
    assert 'width="20" height="10"' in images[2] and "lazy" not in images[2]  # inline: nothing to defer
    assert "width" not in images[3] and 'loading="lazy"' in images[3]


def test_image_size_reads_png_gif_jpeg_and_svg():
    assert theme.image_size(png(3, 4)) == (3, 4)
    assert theme.image_size(b"GIF89a" + struct.pack("<HH", 5, 6)) == (5, 6)
    jpeg = (
        b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 4) + b"\0\0" + b"\xff\xc0" + struct.pack(">HBHH", 11, 8, 70, 90)
    )
    assert theme.image_size(jpeg + b"\0" * 8) == (90, 70)
    assert theme.image_size(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 16">') == (32, 16)
    assert theme.image_size(b"not an image") is None


def rst(text: str) -> nodes.document:
    document = new_document("test", get_default_settings(Parser))
    Parser().parse(text, document)
    return document


def test_description_is_the_first_paragraph_of_prose_shortened():
    doctree = rst(
        "Title\n=====\n\n.. note::\n\n   A note that comes first and is long enough to count as prose.\n\n"
        "Short.\n\nThe model turns the features of a sample into a probability, " + "word " * 40 + "\n"
    )
    text = theme.description(doctree)
    assert text.startswith("The model turns the features")
    assert len(text) <= theme.DESCRIPTION_LENGTH and text.endswith("…")
    assert theme.description(None, "Fallback") == "Fallback"


def test_the_toggle_is_named_by_its_visible_text():
    context = {"body": '<details><summary aria-label="Toggle hidden content">\n<p>Show code cell source</p>'}
    theme.fix_toggle_names(None, "page", "page.html", context, None)
    assert context["body"].startswith("<details><summary>\n")


def test_the_browser_tests_use_axe_core_4_14_or_newer():
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from book_site import AXE, AXE_VERSION

    header = AXE.read_text(encoding="utf-8")[:100]
    assert header.startswith(f"/*! axe v{AXE_VERSION}")
    assert tuple(int(part) for part in AXE_VERSION.split(".")) >= (4, 14)
    assert (AXE.parent / "LICENSE-MPL-2.0.txt").is_file()


def test_the_colour_theme_is_resolved_before_the_page_renders():
    head = '<script data-cfasync="false">\n' + theme.THEME_AUTO.format(mode="auto") + "\n</script>"
    text, _ = theme.lighten_page(head, Path("/site/book/x.html"), Path("/site"))
    assert theme.THEME_AUTO.format(mode="auto") not in text
    assert 'matchMedia("(prefers-color-scheme: dark)")' in text
    assert theme.lighten_page(text, Path("/site/book/x.html"), Path("/site"))[0] == text


def test_a_first_image_below_a_screen_of_text_loads_lazily(tmp_path):
    prose = "<p>" + "word " * 300 + "</p>"
    text = theme.size_images(f'<article>{prose}<img alt="a" src="x.png" /></article>', tmp_path / "x.html", tmp_path)
    assert 'loading="lazy"' in text
    text = theme.size_images(
        '<article><p>A line.</p><img alt="a" src="x.png" /></article>', tmp_path / "x.html", tmp_path
    )
    assert 'loading="lazy"' not in text


def test_blocks_that_could_scroll_on_a_phone_are_focusable_at_build_time():
    long_line = "x" * (theme.PHONE_COLUMNS + 1)
    short = "y" * theme.PHONE_COLUMNS
    source = (
        f'<pre><span class="n">{long_line[:10]}</span>{long_line[10:]}\nshort</pre>'
        f"<pre>{short}\n{short}</pre>"
        f'<pre tabindex="-1">{long_line}</pre>'
        '<div class="pst-scrollable-table-container"><table></table></div>'
        '<div class="output text_html"><div><table class="dataframe"></table></div></div>'
        '<div class="output text_html"><div class="lrx lrx-threshold"></div></div>'
        '<div class="output text_html"><img src="a.png"></div><div class="cell"><table></table></div>'
    )
    text = theme.static_tab_stops(source)
    assert text.count('tabindex="0"') == 4
    assert f'<pre tabindex="0"><span class="n">{long_line[:10]}' in text  # tags do not count as characters
    assert f"<pre>{short}" in text and f'<pre tabindex="-1">{long_line}</pre>' in text
    assert '<div class="pst-scrollable-table-container" tabindex="0">' in text
    assert text.count('<div class="output text_html" tabindex="0">') == 2  # the table, the figure
    assert '<div class="output text_html"><img' in text  # an image scales down: no tab stop
    assert theme.static_tab_stops(text) == text
    # &lt; is one character on the page
    assert theme.static_tab_stops("<pre>" + "&lt;" * theme.PHONE_COLUMNS + "</pre>") == "<pre>" + "&lt;" * 28 + "</pre>"


def test_the_themes_start_up_measure_of_every_block_becomes_lazy(tmp_path):
    import pydata_sphinx_theme

    original = (
        Path(pydata_sphinx_theme.__file__).parent / "theme/pydata_sphinx_theme/static/scripts/pydata-sphinx-theme.js"
    ).read_text(encoding="utf-8")
    script = tmp_path / theme.THEME_SCRIPT
    script.parent.mkdir(parents=True)
    script.write_text(original, encoding="utf-8")
    theme.lazy_tab_stops(tmp_path)
    lazy = script.read_text(encoding="utf-8")
    match = theme.TAB_STOPS.search(original)
    assert match is not None and theme.TAB_STOPS.search(lazy) is None
    assert "new IntersectionObserver" in lazy and theme.LAZY_MARK in lazy
    assert f"function {match['name']}(){{" in lazy and f"{match['debounce']}(update, 300)" in lazy
    assert "__NAME__" not in lazy and "__DEBOUNCE__" not in lazy
    # the rest of the theme's script is untouched, and a second pass changes nothing
    assert lazy.startswith(original[: match.start()]) and lazy.endswith(original[match.end() :])
    theme.lazy_tab_stops(tmp_path)
    assert script.read_text(encoding="utf-8") == lazy


def test_a_theme_script_without_the_start_up_measure_is_a_warning(tmp_path, caplog):
    script = tmp_path / theme.THEME_SCRIPT
    script.parent.mkdir(parents=True)
    script.write_text("(()=>{})();", encoding="utf-8")
    warnings = []
    real = theme.LOGGER.warning
    theme.LOGGER.warning = lambda *args: warnings.append(args)
    try:
        theme.lazy_tab_stops(tmp_path)
    finally:
        theme.LOGGER.warning = real
    assert warnings and "addTabStopsToScrollableElements" in warnings[0][0]
    assert script.read_text(encoding="utf-8") == "(()=>{})();"


def _chapter_with_figure() -> nodes.document:
    """A chapter: a plain section, and a section whose subsection holds an interactive figure."""
    doc = new_document("chapter", get_default_settings(Parser))
    chapter = nodes.section("", nodes.title("", "Chapter"), ids=["chapter"])
    plain = nodes.section("", nodes.title("", "Plain"), nodes.paragraph("", "text"), ids=["plain"])
    figure = nodes.raw("", '<figure class="lrx lrx-descent" id="lrx-x"></figure>', format="html")
    sub = nodes.section("", nodes.title("", "Sub"), nodes.paragraph("", "before"), figure,
                        nodes.paragraph("", "after"), ids=["sub"])  # fmt: skip
    momentum = nodes.section("", nodes.title("", "Momentum"), nodes.paragraph("", "one"),
                             nodes.math_block("", "x"), sub, nodes.paragraph("", "end"), ids=["momentum"])  # fmt: skip
    chapter.extend([plain, momentum])
    doc.append(chapter)
    return doc


class _Builder:
    def __init__(self, name: str) -> None:
        self.builder = type("B", (), {"name": name})()


def _shape(node: nodes.Node) -> list:
    """The tree as nested lists of tag names, ``run`` for an offscreen-run container."""
    out = []
    for child in node.children:
        if isinstance(child, nodes.container) and theme.OFFSCREEN_RUN in child["classes"]:
            out.append(["run", *_shape(child)])
        elif isinstance(child, nodes.section):
            out.append([f"section#{child['ids'][0]}", *_shape(child)])
        else:
            out.append(child.tagname)
    return out


def test_the_blocks_around_an_interactive_figure_come_in_runs_the_browser_may_skip():
    doc = _chapter_with_figure()
    theme.skip_offscreen_runs(_Builder("html"), doc, "chapter")
    assert _shape(doc) == [[
        "section#chapter", "title",
        ["section#plain", "title", "paragraph"],  # the style sheet skips it whole: left as it was
        ["section#momentum", "title", ["run", "paragraph", "math_block"],
         ["section#sub", "title", ["run", "paragraph"], "raw", ["run", "paragraph"]],
         ["run", "paragraph"]],
    ]]  # fmt: skip


def test_the_pdf_keeps_every_block_as_it_was():
    doc = _chapter_with_figure()
    before = _shape(doc)
    theme.skip_offscreen_runs(_Builder("singlehtml"), doc, "chapter")
    assert _shape(doc) == before
