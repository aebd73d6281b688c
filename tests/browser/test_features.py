"""What a reader does on the site: search, open a solution, switch to dark mode."""

from __future__ import annotations

import io

import numpy as np
from book_site import SCREENSHOTS, page_id
from PIL import Image
from theme import contrast, luminance, rgb, switch_to_dark

#: The chapter that introduces the sigmoid, and the one with the exercises.
SIGMOID_CHAPTER = "book/03_model.html"
EXERCISES = "book/09_exercises.html"


def test_search_finds_the_sigmoid_chapter(open_page):
    page, visit = open_page("search.html?q=sigmoid")
    page.wait_for_selector("#search-results ul.search li a", timeout=20_000)
    page.wait_for_function("() => document.querySelector('#search-results p.search-summary')?.textContent.length > 0")
    links = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.getAttribute('href'))")
    assert any(href.split("#")[0].endswith(SIGMOID_CHAPTER) for href in links), links
    assert visit.console_errors == [] and visit.failed_requests == [] and visit.foreign_requests == []
    page.context.close()


def test_search_reports_no_result_for_an_absent_word(open_page):
    """Positive control: the search above is not a page that lists everything."""
    page, _ = open_page("search.html?q=qwzxvbnm")
    page.wait_for_function("() => document.querySelector('#search-results p.search-summary')?.textContent.length > 0")
    assert page.locator("#search-results ul.search li").count() == 0
    page.context.close()


def test_solutions_are_collapsed_until_clicked(open_page):
    page, visit = open_page(EXERCISES)
    solutions = page.locator("div.solution")
    count = solutions.count()
    assert count >= 1, "no sphinx-exercise solution on the exercises page"
    shown = "els => els.map(e => e.checkVisibility({opacityProperty: true, visibilityProperty: true}))"
    assert all(page.eval_on_selector_all("div.solution > .admonition-title", shown)), "a solution's title is hidden"
    assert not any(page.eval_on_selector_all("div.solution > section", shown)), "a solution is open before any click"
    for index in range(count):
        solution = solutions.nth(index)
        button = solution.locator("button.toggle-button")
        button.click()
        solution.locator(":scope > section").wait_for(state="visible", timeout=5_000)
        assert button.get_attribute("aria-expanded") == "true"
    # Positive control: the check above does see open solutions (once their fade-in has ended).
    page.wait_for_function(f"() => ({shown})([...document.querySelectorAll('div.solution > section')]).every(Boolean)")
    button.click()  # and the last one closes again
    solutions.nth(count - 1).locator(":scope > section").wait_for(state="hidden", timeout=5_000)
    assert visit.console_errors == []
    page.context.close()


def test_dark_mode_toggle_keeps_figures_readable(open_page):
    """In dark mode the figures keep a light, opaque background and their dark ink.

    The theme dims images a little in dark mode (a CSS filter) and sets their background to
    white (to a light grey for notebook outputs); matplotlib's figures are opaque white PNGs.
    Checked on the pixels the reader sees: the figure's margin stays light, its darkest ink
    keeps at least the 4.5:1 contrast of WCAG AA against it.
    """
    page, visit = open_page(SIGMOID_CHAPTER)
    html = page.locator("html")
    assert html.get_attribute("data-theme") == "light"
    light_page = rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    switch_to_dark(page)
    assert html.get_attribute("data-mode") == "dark"
    dark_page = rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert luminance(dark_page) < 0.1 < luminance(light_page), "the page did not turn dark"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dark_shot = SCREENSHOTS / f"{page_id(SIGMOID_CHAPTER)}-dark.png"
    page.screenshot(path=str(dark_shot), full_page=True, animations="disabled")
    figures = page.locator(".bd-article img")
    assert figures.count() >= 1
    for index in range(figures.count()):
        figure = figures.nth(index)
        figure.scroll_into_view_if_needed()
        background = rgb(figure.evaluate("e => getComputedStyle(e).backgroundColor"))
        assert luminance(background) > 0.5, f"figure {index} lost its light background: {background}"
        shot = Image.open(io.BytesIO(figure.screenshot(animations="disabled"))).convert("RGB")
        width, height = shot.size
        corners = [shot.getpixel((x, y)) for x in (3, width - 4) for y in (3, height - 4)]
        assert all(luminance(c) > 0.35 for c in corners), f"figure {index} has dark margins in dark mode: {corners}"
        pixels = np.asarray(shot).reshape(-1, 3)
        darkest = tuple(int(v) for v in pixels[np.argmin(pixels @ np.array([0.2126, 0.7152, 0.0722]))])
        assert all(contrast(c, darkest) >= 4.5 for c in corners), f"figure {index}: ink {darkest} washed out"
        assert contrast(corners[0], dark_page) >= 3, f"figure {index} does not stand out from the dark page"
    assert visit.console_errors == []
    page.context.close()
