"""The formulas arrive typeset: the build wrote MathJax's output into the pages (book/_ext/prerender_math.py).

Every page of the table of contents loads no MathJax, shows no raw TeX, holds one
``<mjx-container>`` with assistive MathML per formula Sphinx wrote (counted in the page's
doctree, so a formula lost on the way is seen), and its equation links land on equations; each
page is checked in the one visit the page audit makes of it (``audit``, conftest.py).
Positive controls: a page with one formula left untypeset, and one that loads MathJax, fail
the same checks. A few equations look as MathJax in the browser draws them, light and dark
(the page with its TeX put back and MathJax loaded, screenshots compared pixel by pixel), and
copying a selection copies the formulas' TeX.
"""

from __future__ import annotations

import html
import io
import pickle
import posixpath
import re
from urllib.parse import urlsplit

import pytest
from book_site import BUILD, MATH_JS, RAW_DELIMITERS, SITE, TOC_PAGES, TYPESET_JS, page_id

pages = pytest.mark.parametrize("path", TOC_PAGES, ids=page_id)

MATHJAX_REQUEST = re.compile(r"/mathjax/.*\.js$")


def doctree_formulas(docname: str) -> int | None:
    """How many formulas Sphinx read for the page (math and math_block nodes of its doctree)."""
    from docutils import nodes

    doctree = BUILD / ".doctrees" / f"{docname}.doctree"
    if not doctree.is_file():
        return None
    tree = pickle.loads(doctree.read_bytes())
    return sum(1 for _ in tree.findall(lambda node: isinstance(node, (nodes.math, nodes.math_block))))


def problems(page, requests: list[str], expected: int | None) -> list[str]:
    """What keeps the loaded page from being prerendered math: [] when nothing does."""
    return problems_seen(page.evaluate(TYPESET_JS), page.evaluate(MATH_JS), requests, expected)


def problems_seen(found: dict, math: dict, requests: list[str], expected: int | None) -> list[str]:
    """``problems`` from what a visit recorded: ``TYPESET_JS``'s and ``MATH_JS``'s results, the requests."""
    out = [f"loads MathJax: {s}" for s in found["scripts"]]
    out += [f"requested {url}" for url in requests if MATHJAX_REQUEST.search(urlsplit(url).path)]
    for number, containers in enumerate(found["formulas"], 1):
        if len(containers) != 1:
            out.append(f"formula {number} has {len(containers)} typeset containers")
        elif not containers[0]:
            out.append(f"formula {number} has no assistive MathML")
    if found["containers"] != len(found["formulas"]):
        out.append(f"{found['containers']} mjx-container for {len(found['formulas'])} formulas")
    if expected is not None and found["article"] != expected:
        out.append(f"{found['article']} formulas in the article, Sphinx wrote {expected}")
    out += [f"raw {d} in the text" for d in RAW_DELIMITERS if d in math["text"]]
    out += [f"MathJax error {e!r}" for e in math["errors"]]
    return out


def load(browser, url: str, **options):
    context = browser.new_context(service_workers="block", **options)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(url, wait_until="load")
    return context, page, requests


@pages
def test_page_arrives_with_its_formulas_typeset(audit, path):
    """From the audit's visit of the page (conftest.py), which records what ``problems`` reads."""
    visit = audit(path)
    expected = doctree_formulas(path.removesuffix(".html"))
    assert problems_seen(visit["typeset"], visit["math"], visit["visit"].requests, expected) == []


def _targets(path: str) -> list[tuple[str, str]]:
    """``(page, id)`` of every link of the page to an equation."""
    page = SITE / path
    links = re.findall(r'href="([^"#]*)#(equation-[^"]+)"', page.read_text())
    folder = posixpath.dirname(path)
    return [
        (posixpath.normpath(posixpath.join(folder, target)) if target else path, anchor) for target, anchor in links
    ]


def test_equation_links_land_on_numbered_typeset_equations():
    links = {target for path in TOC_PAGES for target in _targets(path)}
    assert len(links) > 20, "the book links its equations"
    for target, anchor in sorted(links):
        text = (SITE / target).read_text()
        match = re.search(rf'<div [^>]*id="{re.escape(anchor)}"[^>]*>\s*<span class="eqno">\(([^)]+)\)', text)
        assert match, f"{target}#{anchor}: no numbered equation with that id"
        assert text.find("<mjx-container", match.end()) < text.find("</div>", match.end()) != -1, (
            f"{target}#{anchor}: not typeset"
        )


PLANTED_FORMULA = '<p>Planted: <span class="math notranslate nohighlight">\\(x^2 + 1\\)</span></p>'
PLANTED_MATHJAX = '<script defer src="../_static/mathjax/tex-chtml.js"></script>'


@pytest.mark.parametrize("plant", ["formula", "mathjax"])
def test_checks_fail_a_page_with_a_formula_left_to_the_browser(browser, server, plant):
    """Positive controls: one untypeset formula in the article; MathJax loaded by the page."""
    original = (SITE / "book/03_model.html").read_text()
    if plant == "formula":
        planted = original.replace('<article class="bd-article">', '<article class="bd-article">' + PLANTED_FORMULA, 1)
    else:
        planted = original.replace("</head>", PLANTED_MATHJAX + "</head>", 1)
    assert planted != original
    context = browser.new_context(service_workers="block")
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.route(server + "book/planted.html", lambda route: route.fulfill(body=planted, content_type="text/html"))
    page = context.new_page()
    page.goto(server + "book/planted.html", wait_until="load")
    if plant == "mathjax":
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    found = problems(page, requests, doctree_formulas("book/03_model"))
    context.close()
    assert found, "the checks passed a page with a formula left to the browser"
    if plant == "formula":
        assert "raw \\( in the text" in found and any("formulas in the article" in p for p in found)
    else:
        assert any(p.startswith("loads MathJax") for p in found) and any("tex-chtml.js" in p for p in found)


#: A prerendered formula, and its TeX (data-tex) and kind.
CONTAINER = re.compile(r"<mjx-container\b[^>]*>.*?</mjx-container>", re.S)
TEX = re.compile(r'\bdata-tex="([^"]*)"')
MATHJAX_HEAD = (
    '<script>window.MathJax = {"options": {"processHtmlClass": '
    '"tex2jax_process|mathjax_process|math|output_area"}}</script>\n'
    '<script defer="defer" src="../_static/mathjax/tex-chtml.js"></script>\n'
)


def as_sphinx_wrote_it(prerendered: str) -> str:
    """The page with each formula's TeX back in place of its typeset form, and MathJax loaded."""

    def tex(match: re.Match) -> str:
        source = html.escape(html.unescape(TEX.search(match[0])[1]), quote=False)
        return f"\\[{source}\\]" if 'display="true"' in match[0].split(">", 1)[0] else f"\\({source}\\)"

    page = CONTAINER.sub(tex, prerendered)
    page = re.sub(r'<style id="MJX-CHTML-styles">.*?</style>', "", page, flags=re.S)
    return page.replace("</head>", MATHJAX_HEAD + "</head>", 1)


#: Equations compared: (page, CSS selector of the element screenshot).
EQUATIONS = [
    pytest.param("book/03_model.html", "#equation-eq-model-affine", id="03-underbraces"),
    pytest.param("book/04_binary_cross_entropy.html", "div.math[id^=equation-]", id="04-first-numbered"),
    pytest.param("book/12_conditioning.html", "div.math[id^=equation-]", id="12-first-numbered"),
    pytest.param("book/03_model.html", ".bd-article p:has(> span.math)", id="03-inline"),
]


def _pixels(png: bytes):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("path", "selector"), EQUATIONS)
def test_prerendered_equations_look_as_mathjax_draws_them(browser, server, path, selector, scheme):
    import numpy as np

    shots = []
    for kind in ("prerendered", "browser"):
        context = browser.new_context(
            service_workers="block", color_scheme=scheme, viewport={"width": 1280, "height": 900}
        )
        if kind == "browser":
            page_html = as_sphinx_wrote_it((SITE / path).read_text())
            context.route(server + path, lambda route: route.fulfill(body=page_html, content_type="text/html"))  # noqa: B023
        page = context.new_page()
        page.goto(server + path, wait_until="load")
        if kind == "browser":
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise")
            assert page.locator("mjx-container").count() > 0
        page.evaluate("() => document.fonts.ready.then(() => true)")
        assert page.evaluate("() => document.documentElement.dataset.theme") == scheme
        element = page.locator(selector).first
        element.scroll_into_view_if_needed()
        shots.append(element.screenshot(animations="disabled", caret="hide"))
        context.close()
    prerendered, typeset = (_pixels(shot) for shot in shots)
    assert abs(prerendered.shape[0] - typeset.shape[0]) <= 1 and prerendered.shape[1] == typeset.shape[1]
    height = min(prerendered.shape[0], typeset.shape[0])
    differ = np.abs(prerendered[:height] - typeset[:height]).max(axis=2) > 48
    assert differ.mean() < 0.005, f"{path} {selector} ({scheme}): {differ.mean():.2%} of the pixels differ"


def test_copying_a_selection_copies_the_formulas_tex(browser, server):
    context, page, _ = load(browser, server + "book/03_model.html")
    copied = page.evaluate("""() => {
      const paragraph = [...document.querySelectorAll('.bd-article p')].find(p => p.querySelector('mjx-container'));
      const selection = document.getSelection();
      selection.selectAllChildren(paragraph);
      const data = new DataTransfer();
      document.dispatchEvent(new ClipboardEvent('copy', {clipboardData: data, bubbles: true, cancelable: true}));
      return {text: data.getData('text/plain'), tex: paragraph.querySelector('mjx-container').dataset.tex};
    }""")
    context.close()
    assert f"${copied['tex'].strip()}$" in copied["text"]
