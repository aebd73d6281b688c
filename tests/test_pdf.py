"""The whole book as a PDF (``make pdf``, ``tools/build_pdf.py``), as the site publishes it.

It must open with a plausible number of pages; hold every chapter of ``_toc.yml`` (read from
the chapter files, so a new chapter is covered), each on the page the contents give, with its
number; show no raw MyST or LaTeX in its text outside code; have its formulas typeset by MathJax
(its fonts embedded) and at least as many images as the site's pages show; every solution of
the site; and every internal link must land on a destination that exists. The site links it, and
its title page shows the version of ``pyproject.toml``.
The build folder is ``$LRBOOK_BUILD_DIR``, default ``_build`` (``make test`` builds it first).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import tomllib
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from build_pdf import PDF_NAME, parts  # noqa: E402


def normal(text: str) -> str:
    """Ligatures (fi) and typographic quotes as plain letters, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(str.maketrans("‘’“”", "''\"\""))
    return " ".join(text.split())


BUILD = Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build")).resolve()
SITE = BUILD / "html"
PDF = SITE / PDF_NAME
CHAPTERS = [(docname, normal(title)) for part in parts() for docname, title in part["chapters"]]
#: MyST and LaTeX that must never reach the reader's text (code may show them).
RAW = ("{glue", "{ref}", "{eq}", "{numref}", "{cite", "$$", "\\begin", "\\end{", "\\frac", "\\(", "\\[", ":::", "```{")


def anchor(docname: str) -> str:
    """The named destination of a chapter's first page (book-print.js)."""
    return "lrbook-" + re.sub(r"[^A-Za-z0-9]+", "-", docname)


def chapter_number(docname: str) -> str | None:
    match = re.search(r"(?:^|/)(\d+)_[^/]*$", docname)
    return str(int(match.group(1))) if match else None


@cache
def reader() -> PdfReader:
    if not PDF.is_file():
        pytest.fail(f"no PDF at {PDF}: run `make pdf` (or `make book`)")
    return PdfReader(PDF)


def is_code_font(font: dict | None) -> bool:
    name = str((font or {}).get("/BaseFont", ""))
    return any(mono in name for mono in ("Mono", "Courier", "Code", "Consol", "Menlo"))


def _texts_of_pages(path: Path, first: int, step: int) -> list[tuple[int, str, str]]:
    """(page index, all its text, its text outside code) for pages first, first + step, ... of the PDF."""
    pages = PdfReader(path).pages
    result = []
    for index in range(first, len(pages), step):
        prose: list[str] = []

        def visit(text, cm, tm, font, size, prose=prose):
            if not is_code_font(font):
                prose.append(text)

        whole = pages[index].extract_text(visitor_text=visit)
        result.append((index, normal(whole), normal("".join(prose))))
    return result


@cache
def page_texts() -> tuple[tuple[str, str], ...]:
    """Per page: (all its text, its text outside code), whitespace collapsed.

    pypdf parses each page's content stream in Python (about 0.2 s a page, 250 pages) on one core,
    so the pages are shared out among one process per core (every n-th page to each), and put
    back in order.
    """
    reader()  # fails the test with a clear message when there is no PDF
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = pool.map(_texts_of_pages, [PDF] * workers, range(workers), [workers] * workers)
        pages = sorted(page for part in parts for page in part)
    assert [index for index, _, _ in pages] == list(range(len(reader().pages)))
    return tuple((whole, prose) for _, whole, prose in pages)


def whole_text() -> str:
    return " ".join(text for text, _ in page_texts())


def destination_pages() -> dict[str, int]:
    named = reader().named_destinations
    return {name.lstrip("/"): reader().get_destination_page_number(dest) for name, dest in named.items()}


def site_pages() -> list[Path]:
    return [SITE / f"{docname}.html" for docname, _ in CHAPTERS] + [SITE / "book" / "intro.html"]


def article(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    return html[html.find("<article") : html.find("</article>")]


def test_opens_with_a_plausible_page_count():
    pages = len(reader().pages)
    # A title page, the contents, a page per part, and every chapter at least two pages long.
    assert 2 * len(CHAPTERS) <= pages <= 40 * len(CHAPTERS), pages
    assert reader().metadata is not None


def test_the_title_page_shows_the_version_of_pyproject():
    """The one version (pyproject.toml's, as the site's footer and the notebooks' first cell show it)."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    title_page = page_texts()[0][0]
    assert re.search(rf"\bVersion {re.escape(version)}(?![\w.])", title_page), title_page


def test_every_chapter_starts_where_the_contents_say_with_its_number():
    pages = destination_pages()
    texts = page_texts()
    contents = " ".join(text for text, _ in texts[1:4])
    for docname, title in CHAPTERS:
        assert anchor(docname) in pages, f"no destination for {docname}"
        page = pages[anchor(docname)]
        text = texts[page][0]
        assert title in text, f"{docname}: {title!r} is not on page {page + 1}"
        number = chapter_number(docname)
        if number is not None:
            assert f"Chapter {number}" in text, f"{docname}: no 'Chapter {number}' on page {page + 1}"
        # The contents give the title, its number and the page (counted from 1) it starts on.
        entry = re.escape(title) + r"[ .]*" + str(page + 1) + r"\b"
        if number is not None:
            entry = re.escape(number) + r" ?" + entry
        assert re.search(entry, contents), f"contents: no entry {entry!r}"


def test_every_chapter_title_is_in_the_text_and_the_outline():
    text = whole_text()
    outline_titles = []

    def walk(entries):
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                outline_titles.append(normal(entry.title))

    walk(reader().outline)
    for docname, title in CHAPTERS:
        assert title in text, docname
        # Chromium's outline drops the spaces where a heading wraps or a label ends ("1The data set").
        label = (chapter_number(docname) or "") + title.replace(" ", "")
        assert label in [entry.replace(" ", "") for entry in outline_titles], f"{docname}: {title!r} not in the outline"


def test_no_raw_myst_or_latex_outside_code():
    found = {}
    for number, (_, prose) in enumerate(page_texts(), start=1):
        for raw in RAW:
            if raw in prose:
                found.setdefault(raw, []).append(number)
    assert not found, f"raw markup on pages {found}"


def test_code_is_there():
    # Code is printed in a monospace font, and the chapters show lrcore's source.
    texts = page_texts()
    code_chars = sum(len(whole) - len(prose) for whole, prose in texts)
    assert code_chars > 10_000
    assert "def fit_standardizer" in whole_text()


def test_math_is_typeset_with_mathjax_fonts_embedded():
    # MathJax's CHTML output draws formulas with its own web fonts; Chromium embeds them (as
    # Type 3 fonts, their glyphs as drawings) like every other font of the page.
    fonts = {}
    for page in reader().pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            name = str(descriptor.get("/FontName", font.get("/BaseFont")))
            embedded = "/CharProcs" in font or any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[name] = fonts.get(name, True) and embedded
    mathjax = [name for name in fonts if "MathJax" in name]
    assert len(mathjax) >= 3, f"no MathJax fonts in the PDF: {sorted(fonts)}"
    assert all(fonts.values()), f"fonts not embedded: {[name for name, embedded in fonts.items() if not embedded]}"


def test_equations_keep_the_sites_numbers():
    # Sphinx numbers the equations through the whole book; the PDF shows the site's numbers.
    numbers = set()
    for path in site_pages():
        numbers.update(re.findall(r'<span class="eqno">(\(\d+\))', article(path)))
    assert len(numbers) >= 10
    text = whole_text()
    assert not [number for number in numbers if number not in text]


def count_images() -> int:
    seen = set()
    for page in reader().pages:
        resources = page.get("/Resources") or {}

        def walk(resources, seen=seen):
            for xobject in (resources.get("/XObject") or {}).values():
                obj = xobject.get_object()
                if obj.get("/Subtype") == "/Image":
                    seen.add(xobject.idnum if hasattr(xobject, "idnum") else id(obj))
                elif obj.get("/Subtype") == "/Form" and "/Resources" in obj:
                    walk(obj["/Resources"].get_object())

        walk(resources)
    return len(seen)


def test_figures_are_embedded():
    sources = set()
    for path in site_pages():
        html = article(path)
        html = re.sub(r"<noscript>.*?</noscript>", "", html, flags=re.S)
        sources.update(re.findall(r'<img[^>]*\ssrc="([^"]+)"', html))
    assert sources, "the site shows no image"
    assert count_images() >= len(sources), (count_images(), len(sources))


def test_every_solution_is_printed():
    solutions = sum(article(path).count('class="solution') for path in site_pages())
    assert solutions > 0
    assert whole_text().count("Solution to") >= solutions


def test_internal_links_resolve():
    pages = len(reader().pages)
    destinations = destination_pages()
    internal = 0
    for number, page in enumerate(reader().pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            action = action.get_object() if action is not None else {}
            destination = annotation.get("/Dest", action.get("/D"))
            if destination is not None:
                internal += 1
                if isinstance(destination, list):
                    assert reader().get_destination_page_number(destination) < pages
                else:
                    name = str(destination).lstrip("/")
                    assert name in destinations, f"page {number}: link to {name!r}, which is not a destination"
                    assert 0 <= destinations[name] < pages
            else:
                uri = str(action.get("/URI", ""))
                # A book built without an address (no $LRBOOK_BASE_URL, no html: baseurl:) links
                # into its own built site (tools/build_pdf.py's site_url), which its title page shows.
                local = uri.startswith(SITE.as_uri() + "/")
                assert local or uri.startswith(("https://", "http://", "mailto:")), f"page {number}: link to {uri!r}"
                assert not re.match(r"https?://(127\.|localhost)", uri), (
                    f"page {number}: link to the print server {uri}"
                )
    assert internal > 100


def test_the_site_links_the_pdf():
    for docname, _ in CHAPTERS:
        html = (SITE / f"{docname}.html").read_text(encoding="utf-8")
        assert f'href="../{PDF_NAME}"' in html, f"{docname}: no link to the PDF"
