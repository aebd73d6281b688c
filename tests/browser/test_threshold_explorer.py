"""The interactive threshold figure of chapters 07 and 13, in Chromium.

The reader's moves are keyboard moves (Home, End, the arrow keys on the slider). After each,
the confusion matrix, precision, recall, F1, accuracy and (in 13) the cost that the page shows
must be what ``lrcore.confusion_matrix`` and ``lrcore.compute_metrics`` give for that
threshold, computed here from the chapter's model, retrained the way the chapter trains it;
and the dot on each curve must sit at that threshold's rates. Then the figure without
JavaScript (its fallback image), in print, and in dark mode (axe-core on the figure).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from book_site import AXE
from theme import luminance, switch_to_dark

#: The slider's grid in both chapters: 0.01, 0.02, ..., 0.99 (13's cost sweep).
GRID = [round(k / 100, 2) for k in range(1, 100)]
#: The plot's geometry in threshold.js: x = LEFT + v * PLOT, y = TOP + (1 - v) * PLOT.
LEFT, TOP, PLOT = 52, 24, 222
#: Key presses on the slider and the threshold each one leads to (from the chapter's start).
MOVES = [
    ("Home", 0.01),
    ("ArrowRight", 0.02),
    *[("ArrowRight", None)] * 7,
    ("ArrowRight", 0.10),
    *[("ArrowUp", None)] * 19,
    ("ArrowUp", 0.30),
    ("End", 0.99),
    *[("ArrowLeft", None)] * 48,
    ("ArrowLeft", 0.50),
    ("ArrowDown", 0.49),
    ("PageDown", None),
]


@dataclass(frozen=True)
class Chapter:
    path: str
    root: str
    initial: float
    costs: tuple[int, int] | None


CHAPTERS = {
    "07": Chapter("book/07_metrics.html", "lrx-metrics-threshold", 0.5, None),
    "13": Chapter("book/13_threshold.html", "lrx-thr-threshold", 0.20, (10, 1)),
}


@functools.cache
def _validation_logits(chapter: str):
    """The chapter's model's logits on the validation split, trained as the chapter trains it."""
    import torch

    import lrcore

    X, y = lrcore.load_breast_cancer_means()
    X_train, X_val, _, y_train, y_val, _ = lrcore.train_val_test_split(X, y)
    x_train, x_val, y_train_t, y_val_t = lrcore.to_tensors(X_train, X_val, y_train, y_val, dtype=torch.float64)
    mean, std = lrcore.fit_standardizer(x_train)
    x_train, x_val = lrcore.standardize(x_train, mean, std), lrcore.standardize(x_val, mean, std)
    torch.manual_seed(0)
    w0, b0 = torch.randn(10, 1).double(), torch.zeros(1, 1, dtype=torch.float64)
    if chapter == "07":  # 07: learning rate 1e-3, 10 000 steps, no penalty
        history = lrcore.fit(x_train, y_train_t, w0, b0, 1e-3, 10_000)
        return lrcore.linear(x_val, history.w, history.b), y_val_t
    w, b, _ = lrcore.fit_newton(x_train, y_train_t, l2=0.01)  # 13: the final model, chapter 12's penalised minimum
    return x_val @ w + b, y_val_t


def _expected(chapter: str, t: float) -> dict:
    """What the page must show at threshold t, from lrcore, at the page's precision."""
    import torch

    import lrcore

    logits, y_val = _validation_logits(chapter)
    y_pred = (torch.sigmoid(logits) >= t).long()
    (tn, fp), (fn, tp) = lrcore.confusion_matrix(y_pred, y_val).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lrcore.UndefinedMetricWarning)
        metrics = lrcore.compute_metrics(y_pred, y_val)
    shown = {key: f"{value:.3f}" for key, value in metrics.items()}
    if tp + fp == 0:
        shown["precision"] = "undefined (0/0)"
    costs = CHAPTERS[chapter].costs
    if costs:
        shown["cost"] = f"{(costs[0] * fn + costs[1] * fp) / y_val.shape[0]:.3f}"
    precision = tp / (tp + fp) if tp + fp else None
    return {
        "cells": {"tn": f"TN {tn}", "fp": f"FP {fp}", "fn": f"FN {fn}", "tp": f"TP {tp}"},
        "shown": shown,
        "roc": (fp / (fp + tn), tp / (tp + fn)),
        "pr": (tp / (tp + fn), precision),
    }


SHOWN_JS = """root => ({
  t: root.querySelector('output').textContent,
  caption: root.querySelector('[data-shown="t"]').textContent,
  valuetext: root.querySelector('input[type=range]').getAttribute('aria-valuetext'),
  cells: Object.fromEntries([...root.querySelectorAll('[data-cell]')].map(e => [e.dataset.cell, e.textContent])),
  shown: Object.fromEntries([...root.querySelectorAll('[data-metric]')].map(e => [e.dataset.metric, e.textContent])),
  roc: ['cx', 'cy'].map(a => Number(root.querySelector('[id$="-roc-point"]').getAttribute(a))),
  pr: ['cx', 'cy'].map(a => Number(root.querySelector('[id$="-pr-point"]').getAttribute(a))),
  prShown: root.querySelector('[id$="-pr-point"]').style.display !== 'none',
})"""


def _check_shown(chapter: str, shown: dict, t: float) -> None:
    expected = _expected(chapter, t)
    assert shown["t"] == shown["caption"] == f"{t:.2f}" and shown["valuetext"] == f"t = {t:.2f}"
    assert shown["cells"] == expected["cells"], t
    assert shown["shown"] == expected["shown"], t
    fpr, tpr = expected["roc"]
    assert shown["roc"] == pytest.approx([LEFT + fpr * PLOT, TOP + (1 - tpr) * PLOT], abs=0.05), t
    recall, precision = expected["pr"]
    assert shown["prShown"] == (precision is not None)
    if precision is not None:
        assert shown["pr"] == pytest.approx([LEFT + recall * PLOT, TOP + (1 - precision) * PLOT], abs=0.05), t


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_keyboard_moves_show_lrcore_numbers(open_page, chapter):
    spec = CHAPTERS[chapter]
    page, visit = open_page(spec.path)
    root = page.locator(f"#{spec.root}")
    root.scroll_into_view_if_needed()
    slider = root.locator("input[type=range]")
    # A native slider with a visible label, the numbers in a polite live region, named SVG images.
    label = root.locator(f"label[for='{slider.get_attribute('id')}']")
    assert label.is_visible() and "threshold" in label.inner_text()
    assert root.locator("[aria-live=polite] table").count() == 2
    for svg in root.locator("svg").all():
        assert svg.get_attribute("role") == "img"
        title = root.locator(f"#{svg.get_attribute('aria-labelledby')}")
        assert title.count() == 1 and len(title.text_content()) > 20
    assert root.locator(".lrx-description").is_visible()
    assert not root.locator("img.lrx-fallback").is_visible(), "the script did not replace the fallback image"

    _check_shown(chapter, root.evaluate(SHOWN_JS), spec.initial)
    slider.focus()
    index, seen = GRID.index(spec.initial), set()
    for key, expected_t in MOVES:
        before = root.evaluate(SHOWN_JS)
        page.keyboard.press(key)
        index = {"Home": 0, "End": len(GRID) - 1}.get(key, index)
        if key in ("ArrowRight", "ArrowUp"):
            index += 1
        elif key in ("ArrowLeft", "ArrowDown"):
            index -= 1
        shown = root.evaluate(SHOWN_JS)
        if key == "PageDown":  # the browser's own larger step: whatever it is, the numbers follow
            index = GRID.index(float(shown["t"]))
            assert index < GRID.index(0.49)
        assert float(shown["t"]) == GRID[index]
        if expected_t is not None:
            assert GRID[index] == expected_t
        _check_shown(chapter, shown, GRID[index])
        if shown["cells"] != before["cells"]:
            assert shown["roc"] != before["roc"], "the counts changed but the dot did not move"
        seen.add(tuple(shown["roc"]))
    assert len(seen) >= 5, "the dot on the ROC curve hardly moved"
    assert visit.console_errors == [] and visit.failed_requests == [] and visit.foreign_requests == []
    page.context.close()


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_without_javascript_the_fallback_image_shows(browser, server, chapter):
    """A context with JavaScript off (open_page waits for MathJax, which never runs there)."""
    spec = CHAPTERS[chapter]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    local = urlsplit(server).netloc
    context.route(
        "**/*", lambda route: route.continue_() if urlsplit(route.request.url).netloc == local else route.abort()
    )
    page = context.new_page()
    page.goto(server + spec.path, wait_until="load")
    root = page.locator(f"#{spec.root}")
    image = root.locator("img.lrx-fallback")
    image.scroll_into_view_if_needed()
    assert image.is_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") > 500
    assert image.get_attribute("alt").startswith(f"At threshold {spec.initial:.2f}:")
    assert root.locator(".lrx-description").is_visible()
    assert root.locator("input").count() == 0 and not root.locator(".lrx-live").is_visible()
    context.close()


def test_in_print_the_fallback_image_replaces_the_controls(open_page):
    page, _ = open_page(CHAPTERS["13"].path)
    root = page.locator(f"#{CHAPTERS['13'].root}")
    assert root.locator("input[type=range]").is_visible()
    page.emulate_media(media="print")
    assert root.locator("img.lrx-fallback").is_visible()
    assert not root.locator("input[type=range]").is_visible() and not root.locator("svg").first.is_visible()
    page.context.close()


def test_dark_mode_switches_the_figure_colours(open_page):
    page, visit = open_page(CHAPTERS["13"].path)
    root = page.locator(f"#{CHAPTERS['13'].root}")
    root.scroll_into_view_if_needed()
    text_fill = "r => getComputedStyle(r.querySelector('svg text')).fill"
    light = root.evaluate(text_fill)
    switch_to_dark(page)
    dark = root.evaluate(text_fill)
    page_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert luminance(light) < 0.1 < 0.5 < luminance(dark), (light, dark)
    assert luminance(page_background) < 0.1
    # axe-core on the figure in dark mode: colour contrast of its text, labels, names.
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(f"() => axe.run('#{CHAPTERS['13'].root}', {{resultTypes: ['violations'], preload: false}})")
    serious = [(v["id"], v["impact"]) for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert visit.console_errors == []
    page.context.close()
