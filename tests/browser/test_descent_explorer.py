"""The gradient-descent explorer of chapters 06, 11 and 12, in Chromium.

The reader's moves are keyboard moves on the sliders (Home, End, the arrow keys) and clicks on
*Play* and *Next step*. After each, the learning rate, momentum, step and loss that the page
shows must be what ``lrcore.fit`` gives for that setting, computed here from the chapter's data
(the first feature, standardized in float64, from the lab's start w = 4, b = -4); and the dot
on the map must sit at that step's (w, b). Then the figure without JavaScript (its fallback
image), in print, and in dark mode (axe-core on the figure).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import pytest
from book_site import AXE
from theme import luminance, switch_to_dark


@dataclass(frozen=True)
class Chapter:
    path: str
    root: str
    rate: float  # the setting the figure starts at
    momentum: float
    num_steps: int


CHAPTERS = {
    "06": Chapter("book/06_gradient_descent.html", "lrx-gd-rates", 0.1, 0.0, 1000),
    "11": Chapter("book/11_learning_rate.html", "lrx-lr-rates", 8.0, 0.0, 1000),
    "12": Chapter("book/12_conditioning.html", "lrx-cond-momentum", 0.1, 0.9, 400),
}

#: What the page shows: the status line's numbers, the sliders' outputs, the dot on the map.
SHOWN_JS = """root => {
  const status = root.querySelector('.lrx-status');
  const now = root.querySelector('.lrx-now');
  const value = (part) => document.getElementById(root.id + '-' + part + '-value');
  return {
    rate: status.dataset.rate, momentum: status.dataset.momentum, step: status.dataset.step,
    loss: status.dataset.loss, text: status.textContent,
    outputs: ['lr', 'momentum', 'step'].map(p => value(p) && value(p).textContent),
    valuetext: root.querySelector('input[id$="-lr"]').getAttribute('aria-valuetext'),
    dot: [Number(now.getAttribute('cx')), Number(now.getAttribute('cy'))],
    path: root.querySelector('.lrx-path').getAttribute('points'),
  };
}"""
DATA_JS = "root => JSON.parse(root.querySelector('script.lrx-data').textContent)"


@functools.cache
def _feature():
    """The chapters' one-feature data: the first column of the split, standardized in float64."""
    import torch

    import lrcore

    X, y = lrcore.load_breast_cancer_means()
    X_train, _, _, y_train, _, _ = lrcore.train_val_test_split(X, y)
    x_train, y_train_t = lrcore.to_tensors(X_train, y_train, dtype=torch.float64)
    return lrcore.standardize(x_train, *lrcore.fit_standardizer(x_train))[:, :1], y_train_t


@functools.cache
def _run(rate: float, momentum: float, num_steps: int):
    """``lrcore.fit`` from the lab's start: iterates and the loss at each, as plain lists."""
    import torch

    import lrcore

    x1, y = _feature()
    w0, b0 = torch.tensor([[4.0]], dtype=torch.float64), torch.tensor([[-4.0]], dtype=torch.float64)
    history = lrcore.fit(x1, y, w0, b0, rate, num_steps + 1, momentum=momentum)
    return history.weights[:, 0, 0].tolist(), history.biases[:, 0, 0].tolist(), history.train_loss.tolist()


def _same_at_four_digits(shown: str, value: float) -> bool:
    """``shown`` is ``value`` to 4 significant digits (one unit of the last digit of slack for a tie)."""
    unit = 10 ** (math.floor(math.log10(abs(value))) - 3)
    return abs(float(shown) - value) <= 1.01 * unit


def _check_shown(spec: Chapter, data: dict, shown: dict) -> None:
    rate, momentum, step = float(shown["rate"]), float(shown["momentum"]), int(shown["step"])
    assert rate in data["rates"] and momentum in data["momenta"] and step in data["steps"], shown
    assert shown["outputs"][0] == shown["rate"] == shown["valuetext"]
    assert shown["outputs"][2] == shown["step"]
    if len(data["momenta"]) > 1:
        assert shown["outputs"][1] == shown["momentum"]
    ws, bs, losses = _run(rate, momentum, spec.num_steps)
    assert _same_at_four_digits(shown["loss"], losses[step]), (shown, losses[step])
    assert f"training loss {shown['loss']}" in shown["text"] and f"after {step} steps" in shown["text"]
    w, b = ws[step], bs[step]
    frame, box = data["frame"], data["map"]
    if frame["w"][0] <= w <= frame["w"][1] and frame["b"][0] <= b <= frame["b"][1]:
        x = box["left"] + (w - frame["w"][0]) / (frame["w"][1] - frame["w"][0]) * box["width"]
        y = box["top"] + box["height"] - (b - frame["b"][0]) / (frame["b"][1] - frame["b"][0]) * box["height"]
        assert shown["dot"] == pytest.approx([x, y], abs=0.3), (shown, w, b)


def _open(open_page, spec: Chapter, **options):
    page, visit = open_page(spec.path, **options)
    root = page.locator(f"#{spec.root}")
    root.scroll_into_view_if_needed()
    return page, visit, root


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_keyboard_moves_show_lrcore_numbers(open_page, chapter):
    spec = CHAPTERS[chapter]
    page, visit, root = _open(open_page, spec)
    data = root.evaluate(DATA_JS)
    assert root.locator("img.lrx-fallback").is_hidden() and root.locator("svg.lrx-svg").is_visible()
    shown = root.evaluate(SHOWN_JS)
    assert float(shown["rate"]) == spec.rate and float(shown["momentum"]) == spec.momentum
    assert int(shown["step"]) == spec.num_steps
    _check_shown(spec, data, shown)

    rate = root.locator("input[id$='-lr']")
    rate.focus()
    paths = {shown["path"]}
    for key in ["Home", "ArrowRight", "ArrowRight", "End", "ArrowLeft", "ArrowLeft", "ArrowLeft"]:
        page.keyboard.press(key)
        shown = root.evaluate(SHOWN_JS)
        _check_shown(spec, data, shown)
        paths.add(shown["path"])
    assert float(shown["rate"]) == data["rates"][-4]
    assert len(paths) >= 5, "moving the learning rate did not move the path"

    if len(data["momenta"]) > 1:
        root.locator("input[id$='-momentum']").focus()
        for key in ["Home", "ArrowRight", "End"]:
            page.keyboard.press(key)
            shown = root.evaluate(SHOWN_JS)
            _check_shown(spec, data, shown)
        assert float(shown["momentum"]) == data["momenta"][-1]

    root.locator("input[id$='-step']").focus()
    for key, step in [("Home", 0), ("ArrowRight", 1), ("ArrowRight", 2), ("End", spec.num_steps)]:
        page.keyboard.press(key)
        shown = root.evaluate(SHOWN_JS)
        assert int(shown["step"]) == step
        _check_shown(spec, data, shown)
    page.keyboard.press("Home")
    root.locator("button.lrx-next").click()
    assert root.evaluate(SHOWN_JS)["step"] == "1"
    assert visit.console_errors == []
    page.context.close()


def test_play_walks_the_path_and_pauses(open_page):
    spec = CHAPTERS["11"]
    page, visit, root = _open(open_page, spec)
    status = root.locator(".lrx-status")
    play = root.locator("button.lrx-play")
    play.click()  # at the last step, Play starts over from step 0
    assert play.text_content() == "Pause" and play.get_attribute("aria-pressed") == "true"
    assert status.get_attribute("aria-live") == "off"  # no announcement per frame
    page.wait_for_function(f"() => Number(document.querySelector('#{spec.root} .lrx-status').dataset.step) >= 5")
    play.click()
    assert play.text_content() == "Play" and status.get_attribute("aria-live") == "polite"
    paused = root.evaluate(SHOWN_JS)
    assert 5 <= int(paused["step"]) < spec.num_steps
    page.wait_for_timeout(500)  # four ticks: a running player would have moved
    assert root.evaluate(SHOWN_JS) == paused
    _check_shown(spec, root.evaluate(DATA_JS), paused)
    play.click()
    page.wait_for_function(
        f"() => document.querySelector('#{spec.root} .lrx-play').textContent === 'Play'", timeout=30_000
    )
    assert int(root.evaluate(SHOWN_JS)["step"]) == spec.num_steps  # it stops at the last step
    assert visit.console_errors == []
    page.context.close()


def test_a_path_that_leaves_the_frame_is_marked(open_page):
    spec = CHAPTERS["11"]
    page, _, root = _open(open_page, spec)
    data = root.evaluate(DATA_JS)
    assert data["out"][-1] >= 0, "the largest rate of 11 should leave the frame"
    root.locator("input[id$='-lr']").focus()
    page.keyboard.press("End")
    assert "left the frame" in root.locator(".lrx-leaving").text_content()
    assert "outside the frame" in root.evaluate(SHOWN_JS)["text"]
    page.keyboard.press("Home")
    assert root.locator(".lrx-leaving").text_content() == ""
    page.context.close()


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_without_javascript_the_fallback_image_shows(browser, server, chapter):
    # Not open_page: it waits for MathJax, which never starts without JavaScript.
    spec = CHAPTERS[chapter]
    context = browser.new_context(java_script_enabled=False, service_workers="block")
    page = context.new_page()
    page.goto(server + spec.path, wait_until="load")
    root = page.locator(f"#{spec.root}")
    root.scroll_into_view_if_needed()
    image = root.locator("img.lrx-fallback")
    assert image.is_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") > 500
    assert image.get_attribute("alt") == root.locator("figcaption").text_content()
    assert root.locator("figcaption").is_visible()
    assert not root.locator(".lrx-live").is_visible() and not root.locator("input").first.is_visible()
    page.context.close()


def test_in_print_the_fallback_image_replaces_the_controls(open_page):
    page, _, root = _open(open_page, CHAPTERS["12"])
    assert root.locator("input[type=range]").first.is_visible()
    page.emulate_media(media="print")
    assert root.locator("img.lrx-fallback").is_visible()
    assert not root.locator("input[type=range]").first.is_visible() and not root.locator("svg.lrx-svg").is_visible()
    page.context.close()


def test_dark_mode_switches_the_figure_colours(open_page):
    spec = CHAPTERS["06"]
    page, visit, root = _open(open_page, spec)
    colours = """r => [getComputedStyle(r.querySelector('svg text')).fill,
                       getComputedStyle(r.querySelector('.lrx-contour')).stroke]"""
    light = root.evaluate(colours)
    switch_to_dark(page)
    dark = root.evaluate(colours)
    page_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert luminance(page_background) < 0.1
    assert all(luminance(a) < 0.1 < 0.4 < luminance(b) for a, b in zip(light, dark, strict=True)), (light, dark)
    # axe-core on the figure in dark mode: colour contrast of its text, labels, names.
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(f"() => axe.run('#{spec.root}', {{resultTypes: ['violations'], preload: false}})")
    serious = [
        (
            v["id"],
            v["impact"],
            [node["target"] for node in v["nodes"]][:3],
            [node["any"][0]["message"] for node in v["nodes"] if node["any"]][:1],
        )
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert visit.console_errors == []
    page.context.close()
