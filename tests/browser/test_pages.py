"""Every page of the table of contents, as a reader's browser shows it, with the network cut.

Each test reads the one visit that ``audit`` makes of a page (conftest.py), which also saves
the page's full-page screenshot under ``<build>/screenshots/``.
"""

from __future__ import annotations

import pytest
from book_site import BLOCKING_IMPACTS, MATH_JS, RAW_DELIMITERS, SCREENSHOTS, SITE, TOC_PAGES, page_id

pages = pytest.mark.parametrize("path", TOC_PAGES, ids=page_id)


@pages
def test_page_loads_without_console_errors_or_failed_requests(audit, path):
    visit = audit(path)["visit"]
    assert visit.console_errors == [], f"{path}: console errors"
    assert visit.failed_requests == [], f"{path}: failed requests"


@pages
def test_page_requests_nothing_but_the_local_site(audit, path):
    assert audit(path)["visit"].foreign_requests == [], f"{path} asked another host"


@pages
def test_every_image_loaded_and_has_alt_text(audit, path):
    for image in audit(path)["images"]:
        assert image["complete"] and image["naturalWidth"] > 0, f"{path}: image {image['src']} did not load"
        assert (image["alt"] or "").strip(), f"{path}: image {image['src']} has no alt text"


@pages
def test_math_is_typeset(audit, path):
    record = audit(path)
    math = record["math"]
    if not record["source_has_math"]:
        assert math["math"] == 0
        return
    assert math["containers"] > 0, f"{path} has math but MathJax typeset none"
    assert math["typeset"] == math["math"], f"{path}: {math['math'] - math['typeset']} formulas left untypeset"
    assert math["errors"] == [], f"{path}: MathJax errors"
    for delimiter in RAW_DELIMITERS:
        assert delimiter not in math["text"], f"{path}: raw {delimiter} left in the text"


def _describe(violation: dict) -> str:
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"


@pages
def test_no_serious_accessibility_violation(audit, path):
    violations = [v for v in audit(path)["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert violations == [], f"{path}:\n" + "\n".join(map(_describe, violations))


@pages
def test_screenshot_saved(audit, path):
    audit(path)
    shot = SCREENSHOTS / f"{page_id(path)}.png"
    assert shot.is_file() and shot.stat().st_size > 10_000, f"no screenshot of {path}"


def test_math_checks_see_untypeset_tex(browser, server):
    """Positive control: a formula planted untypeset (and MathJax blocked), the checks above find it.

    The site's formulas are typeset when it is built (book/_ext/prerender_math.py): the page
    gets one more, as TeX, in its article.
    """
    article = '<article class="bd-article">'
    formula = '<p><span class="math notranslate nohighlight">\\(x^2\\)</span></p>'
    planted = (SITE / "book/03_model.html").read_text().replace(article, article + formula, 1)
    context = browser.new_context()
    context.route("**/mathjax/**", lambda route: route.abort())
    context.route("**/book/03_model.html", lambda route: route.fulfill(body=planted, content_type="text/html"))
    page = context.new_page()
    page.goto(server + "book/03_model.html", wait_until="load")
    math = page.evaluate(MATH_JS)
    context.close()
    assert math["math"] > 0 and math["typeset"] < math["math"]
    assert any(delimiter in math["text"] for delimiter in RAW_DELIMITERS)
