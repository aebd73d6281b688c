"""book/_ext/prerender_math.py without a browser: how a typeset page replaces Sphinx's, and the fallback.

The browser side (every page of the built site, screenshots) is tests/browser/test_math_prerendered.py.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import prerender_math  # noqa: E402
from prerender_math import PrerenderError, rewrite  # noqa: E402

BASE = "http://127.0.0.1:8000/"
PAGE = """<html><head>
    <script>window.MathJax = {"options": {"processHtmlClass": "math"}}</script>
    <script defer="defer" src="../_static/mathjax/tex-chtml.js"></script>
</head><body><p>Let <span class="math notranslate nohighlight">\\(x &lt; 1\\)</span>.</p>
<div class="math notranslate nohighlight" id="equation-eq-a">
<span class="eqno">(1)<a class="headerlink" href="#equation-eq-a">#</a></span>\\[
y = 2
\\]</div></body></html>
"""


def typeset(*formulas: tuple[str, str], errors=()) -> dict:
    return {
        "formulas": [[{"html": f"<mjx-container>{html}</mjx-container>", "tex": tex}] for tex, html in formulas],
        "css": f'@font-face {{src: url("{BASE}_static/mathjax/output/chtml/fonts/woff-v2/MathJax_Zero.woff")}}',
        "errors": list(errors),
    }


def test_typeset_formulas_replace_the_tex_and_mathjax_goes():
    page, count = rewrite(PAGE, typeset(("x < 1", "X"), ("\ny = 2\n", "Y")), "../", BASE)
    assert count == 2
    assert "mathjax/tex-chtml.js" not in page and "window.MathJax" not in page
    assert '<span class="math notranslate nohighlight"><mjx-container>X</mjx-container></span>' in page
    # The number, its id and permalink stay; only the TeX is replaced.
    assert (
        '<div class="math notranslate nohighlight" id="equation-eq-a">\n<span class="eqno">(1)<a class="headerlink"'
        ' href="#equation-eq-a">#</a></span><mjx-container>Y</mjx-container></div>'
    ) in page
    assert 'url("../_static/mathjax/output/chtml/fonts/woff-v2/MathJax_Zero.woff")' in page and BASE not in page
    assert f'<script defer="defer" src="../{prerender_math.COPY_JS}"></script>' in page


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (typeset(("x < 1", "X")), "2 math elements in the HTML, 1 in the browser"),
        (typeset(("x < 1", "X"), ("y = 3", "Y")), "formula 2"),
        (typeset(("x < 1", "X"), ("y = 2", "Y"), errors=["Undefined control sequence"]), "MathJax errors"),
        ({**typeset(("x < 1", "X")), "formulas": [[], []]}, "formula 1"),
    ],
    ids=["a-formula-missing", "another-tex", "mathjax-error", "not-typeset"],
)
def test_a_page_that_does_not_match_is_refused(result, message):
    with pytest.raises(PrerenderError, match=message):
        rewrite(PAGE, result, "../", BASE)


def test_without_chromium_the_site_keeps_mathjax_and_says_so_in_one_line(tmp_path, monkeypatch, caplog):
    (tmp_path / "book").mkdir()
    (tmp_path / "_static").mkdir()
    (tmp_path / "book" / "page.html").write_text(PAGE)
    monkeypatch.setattr(prerender_math, "find_chromium", lambda: (None, "no Chromium found: install one"))
    monkeypatch.delenv(prerender_math.ENV_SWITCH, raising=False)
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(name="html"))
    with caplog.at_level(logging.INFO):
        prerender_math.prerender_site(app, None)
    assert (tmp_path / "book" / "page.html").read_text() == PAGE
    lines = [r.getMessage() for r in caplog.records if "prerender_math" in r.getMessage()]
    assert lines == ["prerender_math: formulas left to MathJax in the reader's browser: no Chromium found: install one"]


def test_the_single_page_of_the_pdf_is_not_prerendered(tmp_path):
    (tmp_path / "page.html").write_text(PAGE)
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(name="singlehtml"))
    prerender_math.prerender_site(app, None)
    assert (tmp_path / "page.html").read_text() == PAGE
