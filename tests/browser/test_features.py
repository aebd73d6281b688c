"""What a reader does on the site: search, open a solution, switch to dark mode."""

from __future__ import annotations

import io
import json

import numpy as np
from book_site import BUILD, SCREENSHOTS, page_id
from PIL import Image

#: The chapter that introduces the sigmoid, and the one with the exercises.
SIGMOID_CHAPTER = "book/03_model.html"
EXERCISES = "book/09_exercises.html"
#: The chapter with the gradient-descent animation (matplotlib's jshtml player), and its glue.
ANIMATION_CHAPTER = "book/11_learning_rate.html"
ANIMATION_GLUE = BUILD / "jupyter_execute" / "book" / "11_learning_rate.glue.json"


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


def _luminance(rgb: tuple[int, ...]) -> float:
    """WCAG relative luminance of an sRGB colour, 0 (black) to 1 (white)."""
    linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(css: str) -> tuple[int, ...]:
    return tuple(int(float(v)) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


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
    light_page = _rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    toggle = page.locator(".theme-switch-button").first
    for _ in range(3):  # the toggle cycles light -> dark -> auto
        if html.get_attribute("data-theme") == "dark":
            break
        toggle.click()
    assert html.get_attribute("data-theme") == "dark", "the toggle never set data-theme=dark"
    assert html.get_attribute("data-mode") == "dark"
    dark_page = _rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert _luminance(dark_page) < 0.1 < _luminance(light_page), "the page did not turn dark"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dark_shot = SCREENSHOTS / f"{page_id(SIGMOID_CHAPTER)}-dark.png"
    page.screenshot(path=str(dark_shot), full_page=True, animations="disabled")
    figures = page.locator(".bd-article img")
    assert figures.count() >= 1
    for index in range(figures.count()):
        figure = figures.nth(index)
        figure.scroll_into_view_if_needed()
        background = _rgb(figure.evaluate("e => getComputedStyle(e).backgroundColor"))
        assert _luminance(background) > 0.5, f"figure {index} lost its light background: {background}"
        shot = Image.open(io.BytesIO(figure.screenshot(animations="disabled"))).convert("RGB")
        width, height = shot.size
        corners = [shot.getpixel((x, y)) for x in (3, width - 4) for y in (3, height - 4)]
        assert all(_luminance(c) > 0.35 for c in corners), f"figure {index} has dark margins in dark mode: {corners}"
        pixels = np.asarray(shot).reshape(-1, 3)
        darkest = tuple(int(v) for v in pixels[np.argmin(pixels @ np.array([0.2126, 0.7152, 0.0722]))])
        assert all(_contrast(c, darkest) >= 4.5 for c in corners), f"figure {index}: ink {darkest} washed out"
        assert _contrast(corners[0], dark_page) >= 3, f"figure {index} does not stand out from the dark page"
    assert visit.console_errors == []
    page.context.close()


#: The player's parts, and a log of the frames the reader sees. matplotlib's player keeps
#: its state in a global ``anim<id>`` (its buttons call it); its ``frames`` are Image objects.
PLAYER_JS = """() => {
  const img = document.querySelector('div.animation img[id^="_anim_img"]');
  const id = img.id.slice('_anim_img'.length);
  window.__player = {img, anim: window['anim' + id], slider: document.getElementById('_anim_slider' + id), shown: []};
  const {anim, shown} = window.__player;
  new MutationObserver(() => shown.push(anim.frames.findIndex(f => f.src === img.src)))
    .observe(img, {attributes: true, attributeFilter: ['src']});
  return Promise.all(anim.frames.map(f => f.decode())).then(() => ({
    frames: anim.frames.length,
    distinct: new Set(anim.frames.map(f => f.src)).size,
    sizes: [...new Set(anim.frames.map(f => `${f.naturalWidth}x${f.naturalHeight}`))],
    interval: anim.interval,
  }));
}"""
#: The frame on screen: its index in the player's frames, the slider's value, and whether it plays.
STATE_JS = """() => {
  const {img, anim, slider} = window.__player;
  return {frame: anim.frames.findIndex(f => f.src === img.src), slider: Number(slider.value),
          playing: anim.timer !== null && anim.timer !== undefined, decoded: img.complete && img.naturalWidth > 0};
}"""
#: Takes the log of frames shown since the last call, with repeats of one frame merged.
SHOWN_JS = """() => {
  const shown = window.__player.shown.splice(0);
  return shown.filter((frame, i) => i === 0 || frame !== shown[i - 1]);
}"""
#: The buttons in the player's order and the Font Awesome icon each must show. matplotlib
#: asks a CDN for them; the chapter drops that link and the theme's own icons draw them.
PLAYER_BUTTONS = {
    "Decrease speed": "minus",
    "First frame": "backward-fast",
    "Previous frame": "backward-step",
    "Play backwards": "play",
    "Pause": "pause",
    "Play": "play",
    "Next frame": "forward-step",
    "Last frame": "forward-fast",
    "Increase speed": "plus",
}

#: Each button's icon (the theme's Font Awesome replaces ``<i class="fa ...">`` by an SVG) and its width.
ICONS_JS = "bs => bs.map(b => b.querySelector('svg')).map(s => [s?.dataset.icon, s?.getBoundingClientRect().width])"


def test_learning_rate_animation_plays(open_page):
    """The gradient-descent animation plays in the static page, frame by frame, with no kernel.

    A reader presses the buttons and drags the slider; the test checks what is on screen after
    each: the frame shown, the slider, and that "Play" walks through every frame in order and
    stops on the last (the player's mode is "once"), that "Pause" stops it.
    """
    page, visit = open_page(ANIMATION_CHAPTER)
    assert page.locator("div.animation").count() == 1, "expected exactly one animation player"
    player = page.evaluate(PLAYER_JS)
    glued = json.loads(ANIMATION_GLUE.read_text())["lr_anim_frames"]["data"]["text/plain"]
    assert player["frames"] == int(glued) >= 10, (player, glued)
    assert player["distinct"] == player["frames"], "two frames of the animation are the same image"
    assert len(player["sizes"]) == 1 and player["sizes"][0] != "0x0", player["sizes"]
    last = player["frames"] - 1
    assert page.evaluate(STATE_JS) == {"frame": 0, "slider": 0, "playing": False, "decoded": True}

    buttons = page.locator("div.animation .anim-buttons button")
    assert buttons.evaluate_all("bs => bs.map(b => b.title)") == list(PLAYER_BUTTONS)
    icons = buttons.evaluate_all(ICONS_JS)
    assert [icon for icon, _ in icons] == list(PLAYER_BUTTONS.values()), icons
    assert all(width > 0 for _, width in icons), icons

    def press(title: str) -> None:
        page.locator(f"div.animation button[title='{title}']").click()

    press("Next frame")
    assert page.evaluate(STATE_JS) == {"frame": 1, "slider": 1, "playing": False, "decoded": True}
    assert page.evaluate(SHOWN_JS) == [1]

    press("Play")
    assert page.evaluate(STATE_JS)["playing"]
    timeout = 5 * player["frames"] * player["interval"] + 10_000
    page.wait_for_function("() => window.__player.anim.timer === null", timeout=timeout)
    assert page.evaluate(STATE_JS) == {"frame": last, "slider": last, "playing": False, "decoded": True}
    assert page.evaluate(SHOWN_JS) == list(range(2, last + 1)), "Play skipped or repeated a frame"

    press("First frame")
    press("Play")
    page.wait_for_function("() => Number(window.__player.slider.value) >= 3", timeout=timeout)
    press("Pause")
    paused = page.evaluate(STATE_JS)
    assert not paused["playing"] and 3 <= paused["frame"] == paused["slider"] < last, paused
    page.wait_for_timeout(4 * player["interval"])  # four ticks: a running player would have moved
    assert page.evaluate(STATE_JS) == paused
    assert page.evaluate(SHOWN_JS) == list(range(paused["frame"] + 1))

    middle = last // 2
    page.locator("div.animation input.anim-slider").fill(str(middle))  # dragging the slider
    assert page.evaluate(STATE_JS) == {"frame": middle, "slider": middle, "playing": False, "decoded": True}
    assert page.evaluate(SHOWN_JS) == [middle]
    press("Play backwards")
    page.wait_for_function("() => window.__player.anim.timer === null", timeout=timeout)
    assert page.evaluate(STATE_JS) == {"frame": 0, "slider": 0, "playing": False, "decoded": True}
    assert page.evaluate(SHOWN_JS) == list(range(middle - 1, -1, -1))

    assert visit.console_errors == [] and visit.failed_requests == [] and visit.foreign_requests == []
    page.context.close()
