"""lrcore.explorers.descent: its paths against torch.optim.SGD, its HTML, its arguments.

The browser side (the sliders, the drawn path, the shown numbers, dark mode, the fallback
without JavaScript) is tested in ``tests/browser/test_descent_explorer.py`` on the built chapters.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html.parser
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from sklearn.linear_model import LogisticRegression

from lrcore.explorers import DescentPaths, descent_explorer, descent_paths, frame_steps, log_spaced
from lrcore.explorers._html import read_script, round_significant

ROOT = Path(__file__).resolve().parents[1]
RATES = [0.3, 1.0, 3.0, 9.0]
MOMENTA = [0.0, 0.5, 0.9]
W_RANGE, B_RANGE = (-1.0, 4.0), (-3.0, 1.0)


def _problem(n: int = 60, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One standardized feature whose classes overlap (a minimum exists), and a start away from it."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, generator=generator, dtype=torch.float64)
    y = (torch.rand(n, 1, generator=generator, dtype=torch.float64) < torch.sigmoid(2 * x + 0.5)).double()
    x = (x - x.mean()) / x.std(correction=0)
    return x, y, torch.tensor([[3.0]], dtype=torch.float64), torch.tensor([[-2.0]], dtype=torch.float64)


def _sgd(x, y, w, b, rate, momentum, num_steps):
    """The reference: torch.optim.SGD (heavy ball) on the mean BCE, gradients by autograd.

    Returns the iterates (num_steps + 1, 2) and the loss at each of them (num_steps + 1,).
    """
    theta = torch.nn.Parameter(torch.cat([w, b]).reshape(-1).clone())
    optimizer = torch.optim.SGD([theta], lr=rate, momentum=momentum)
    iterates, losses = [], []
    for _ in range(num_steps + 1):
        loss = F.binary_cross_entropy_with_logits(x[:, 0] * theta[0] + theta[1], y[:, 0])
        iterates.append(theta.detach().clone())
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return torch.stack(iterates).numpy(), np.array(losses)


class _Parsed(html.parser.HTMLParser):
    """Elements of an HTML fragment: every non-void tag closed in order, attributes, text by id."""

    VOID = {"img", "input", "br", "meta", "link", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.tags: list[tuple[str, dict]] = []
        self.text_of: dict[str, str] = {}
        self.scripts: list[tuple[dict, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1][0] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        for _tag, attrs in self.stack:
            if "id" in attrs:
                self.text_of[attrs["id"]] = self.text_of.get(attrs["id"], "") + data
        if self.stack and self.stack[-1][0] == "script":
            self.scripts.append((self.stack[-1][1], data))


def _parse(fragment: str) -> _Parsed:
    parser = _Parsed()
    parser.feed(fragment)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


def _embedded(fragment: str) -> dict:
    (data,) = [text for attrs, text in _parse(fragment).scripts if attrs.get("type") == "application/json"]
    return json.loads(data)


def _explorer(**overrides):
    x, y, w, b = _problem()
    arguments = dict(
        name="test-descent",
        learning_rates=RATES,
        momenta=MOMENTA,
        num_steps=120,
        w_range=W_RANGE,
        b_range=B_RANGE,
        description="A test figure: paths over the landscape.",
        num_frames=30,
    )
    arguments.update(overrides)
    return descent_explorer(x, y, w, b, **arguments)


@pytest.fixture(scope="module")
def figure():
    return _explorer()


# --- the paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("momentum", MOMENTA)
@pytest.mark.parametrize("rate", [0.3, 3.0])
def test_paths_are_those_of_torch_sgd(rate, momentum):
    x, y, w, b = _problem()
    steps = [0, 1, 2, 5, 17, 60, 120]
    paths = descent_paths(x, y, w, b, [rate], [momentum], 120, steps)
    iterates, losses = _sgd(x, y, w, b, rate, momentum, 120)
    np.testing.assert_allclose(paths.weights[0, 0], iterates[steps, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(paths.biases[0, 0], iterates[steps, 1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(paths.losses[0, 0], losses[steps], rtol=1e-10)
    np.testing.assert_array_equal(paths.steps, steps)


def test_paths_of_float32_data_are_computed_in_float64():
    x, y, w, b = _problem()
    paths32 = descent_paths(x.float(), y.float(), w.float(), b.float(), [1.0], [0.5], 40, [0, 40])
    iterates, _ = _sgd(x.float().double(), y, w, b, 1.0, 0.5, 40)
    assert paths32.weights.dtype == np.float64
    np.testing.assert_allclose(paths32.weights[0, 0], iterates[[0, 40], 0], rtol=1e-10)


def test_figure_data_are_the_paths_rounded_to_four_digits(figure):
    x, y, w, b = _problem()
    data = _embedded(figure.html)
    steps = data["steps"]
    assert steps == frame_steps(120, 30)
    assert data["rates"] == RATES and data["momenta"] == MOMENTA
    assert isinstance(figure.data, DescentPaths)
    for r, rate in enumerate(RATES):
        for m, momentum in enumerate(MOMENTA):
            iterates, losses = _sgd(x, y, w, b, rate, momentum, 120)
            s = r * len(MOMENTA) + m
            w_ref, b_ref = iterates[steps, 0], iterates[steps, 1]
            outside = (w_ref < W_RANGE[0]) | (w_ref > W_RANGE[1]) | (b_ref < B_RANGE[0]) | (b_ref > B_RANGE[1])
            assert data["out"][s] == (int(np.argmax(outside)) if outside.any() else -1)
            # Inside the frame, the stored numbers are the reference's to 4 significant digits;
            # outside it, the path is drawn to 5 % beyond the frame's edge.
            w_clip = np.clip(w_ref, W_RANGE[0] - 0.25, W_RANGE[1] + 0.25)
            b_clip = np.clip(b_ref, B_RANGE[0] - 0.2, B_RANGE[1] + 0.2)
            np.testing.assert_allclose(data["w"][s], w_clip, rtol=6e-4, atol=1e-12)
            np.testing.assert_allclose(data["b"][s], b_clip, rtol=6e-4, atol=1e-12)
            np.testing.assert_allclose(data["loss"][s], losses[steps], rtol=6e-4)
            assert all(v == round_significant(v, 4) for v in data["w"][s] + data["b"][s] + data["loss"][s])
    assert any(out >= 0 for out in data["out"]), "no path leaves the frame: the clipping is not tested"


def test_best_is_the_loss_at_the_minimum(figure):
    x, y, _, _ = _problem()
    model = LogisticRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(x.numpy(), y[:, 0].numpy())
    logits = torch.from_numpy(model.decision_function(x.numpy()))
    loss_star = F.binary_cross_entropy_with_logits(logits, y[:, 0]).item()
    assert _embedded(figure.html)["best"] == pytest.approx(loss_star, rel=6e-4)


def test_contour_lines_follow_level_sets(figure):
    x, y, _, _ = _problem()
    data = _embedded(figure.html)
    box = data["map"]
    paths = re.findall(r'<path class="lrx-contour" d="([^"]*)"', figure.html)
    assert len(paths) >= 8
    for d in paths:
        pixels = np.array([[float(v) for v in point.split(",")] for point in re.findall(r"[-\d.]+,[-\d.]+", d)])
        assert pixels.size, "an empty contour line"
        w = W_RANGE[0] + (pixels[:, 0] - box["left"]) / box["width"] * (W_RANGE[1] - W_RANGE[0])
        b = B_RANGE[0] + (box["top"] + box["height"] - pixels[:, 1]) / box["height"] * (B_RANGE[1] - B_RANGE[0])
        assert (W_RANGE[0] - 1e-6 <= w).all() and (w <= W_RANGE[1] + 1e-6).all()
        logits = torch.from_numpy(w)[:, None] * x[:, 0] + torch.from_numpy(b)[:, None]
        heights = F.binary_cross_entropy_with_logits(logits, y[:, 0].expand_as(logits), reduction="none").mean(1)
        # One level per path: the loss along it varies by the grid's interpolation only.
        assert (heights.max() - heights.min()) / heights.mean() < 0.03, d[:80]


# --- the HTML --------------------------------------------------------------------------------


def test_html_is_well_formed_and_accessible(figure):
    parsed = _parse(figure.html)
    ids = [attrs["id"] for _, attrs in parsed.tags if "id" in attrs]
    assert len(ids) == len(set(ids)) and all(i.startswith("lrx-test-descent") for i in ids)
    inputs = [attrs for tag, attrs in parsed.tags if tag == "input"]
    assert len(inputs) == 3 and all(attrs["type"] == "range" for attrs in inputs)
    labelled = {attrs["for"] for tag, attrs in parsed.tags if tag == "label"}
    assert {attrs["id"] for attrs in inputs} <= labelled
    label_text = dict(re.findall(r'<label for="([^"]+)">([^<]+)<', figure.html))
    assert {label_text[f"lrx-test-descent-{part}"].strip() for part in ("lr", "momentum", "step")} == {
        "Learning rate",
        "Momentum",
        "Step",
    }
    buttons = [attrs for tag, attrs in parsed.tags if tag == "button"]
    assert len(buttons) == 2 and all(attrs["type"] == "button" for attrs in buttons)
    (svg,) = [attrs for tag, attrs in parsed.tags if tag == "svg"]
    assert svg["role"] == "img" and parsed.text_of[svg["aria-labelledby"]].strip()
    assert parsed.text_of[svg["aria-describedby"]] == "A test figure: paths over the landscape."
    (status,) = [attrs for _, attrs in parsed.tags if attrs.get("aria-live")]
    assert status["aria-live"] == "polite"
    (img,) = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert img["alt"] == "A test figure: paths over the landscape." and img["class"] == "lrx-fallback"
    # Without JavaScript only the image shows: the interactive part starts hidden.
    (live,) = [attrs for _, attrs in parsed.tags if attrs.get("class") == "lrx-live"]
    assert "hidden" in live
    assert "http://" not in figure.html and "https://" not in figure.html.replace("https://www.w3.org", "")


def test_html_is_deterministic():
    assert _explorer().html == _explorer().html


def test_html_does_not_depend_on_the_cpu_code_path(figure):
    """PyTorch's plain kernels (another CPU's) give the same bytes, the PNG's included.

    ``torch.linspace`` alone differs in its last bits between the two code paths; a PNG traced
    on such a grid differs in its antialiased pixels (strict nbval caught it in chapter 11).
    """
    script = (
        "import hashlib, sys; sys.path.insert(0, 'tests'); from test_explorer_descent import _explorer; "
        "print(hashlib.sha256(_explorer().html.encode()).hexdigest())"
    )
    environment = {**os.environ, "ATEN_CPU_CAPABILITY": "default"}
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == hashlib.sha256(figure.html.encode()).hexdigest()


def test_png_fallback_has_no_version_metadata(figure):
    (src,) = re.findall(r'src="data:image/png;base64,([^"]+)"', figure.html)
    png = base64.b64decode(src)
    assert png.startswith(b"\x89PNG") and b"Software" not in png and b"matplotlib" not in png
    image = Image.open(io.BytesIO(png))
    assert image.size[0] > 400 and image.size[1] > 150


def test_the_script_is_inlined_once_per_figure(figure):
    script = read_script("descent.js")
    assert "fetch(" not in script and "import " not in script
    assert figure.html.count(script) == 1
    assert 'document.getElementById("lrx-test-descent")' in figure.html


def test_plain_text_is_the_description(figure):
    assert repr(figure).endswith("A test figure: paths over the landscape.")
    assert figure._repr_html_() == figure.html


def test_default_description_says_what_is_drawn():
    # Written out by hand from _explorer's arguments (the start of _problem, RATES, MOMENTA, 120 steps).
    x, y, w, b = _problem()
    figure = _explorer(description=None)
    text = figure.html
    start = f"from w = {w.item():g}, b = {b.item():g}, for 120 steps."
    assert f"Gradient descent with momentum on the one-feature loss landscape, {start}" in text
    assert (
        f"The sliders choose the learning rate ({len(RATES)} values from {RATES[0]:g} to {RATES[-1]:g}), "
        f"the momentum ({len(MOMENTA)} values from {MOMENTA[0]:g} to {MOMENTA[-1]:g}) and the step." in text
    )
    assert f"the image shows the whole run of the learning rate {RATES[0]:g} with momentum {MOMENTA[0]:g}." in text
    one = _explorer(description=None, momenta=[0.0], learning_rates=[1.0, 3.0], initial_learning_rate=3.0)
    assert "Gradient descent on the one-feature" in one.html and "momentum" not in repr(one)
    assert "learning rate (2 values from 1 to 3) and the step." in repr(one)
    assert repr(one).endswith("the image shows the whole run of the learning rate 3.")


def test_one_momentum_has_no_momentum_slider():
    parsed = _parse(_explorer(momenta=[0.0], learning_rates=[1.0, 3.0]).html)
    assert [attrs["id"] for tag, attrs in parsed.tags if tag == "input"] == [
        "lrx-test-descent-lr",
        "lrx-test-descent-step",
    ]


def test_initial_setting_is_shown_first():
    figure = _explorer(initial_learning_rate=3.0, initial_momentum=0.9)
    parsed = _parse(figure.html)
    sliders = {attrs["id"]: attrs for tag, attrs in parsed.tags if tag == "input"}
    assert sliders["lrx-test-descent-lr"]["value"] == "2" and sliders["lrx-test-descent-momentum"]["value"] == "2"
    assert _embedded(figure.html)["initial"][:2] == [2, 2]


def test_inputs_are_not_modified():
    x, y, w, b = _problem()
    before = [copy.deepcopy(t) for t in (x, y, w, b)]
    rates, momenta = list(RATES), list(MOMENTA)
    descent_explorer(
        x,
        y,
        w,
        b,
        name="a",
        learning_rates=rates,
        momenta=momenta,
        num_steps=20,
        w_range=W_RANGE,
        b_range=B_RANGE,
        description="d",
    )
    for t, t0 in zip((x, y, w, b), before, strict=True):
        assert torch.equal(t, t0)
    assert rates == RATES and momenta == MOMENTA


# --- the grids -------------------------------------------------------------------------------


@pytest.mark.parametrize(("num_steps", "num_frames"), [(1000, 60), (400, 60), (50, 60), (7, 2), (1000, 3), (30, 31)])
def test_frame_steps(num_steps, num_frames):
    steps = frame_steps(num_steps, num_frames)
    assert steps[0] == 0 and steps[-1] == num_steps
    assert all(b > a for a, b in zip(steps, steps[1:], strict=False)) and len(steps) <= num_frames
    if num_steps + 1 <= num_frames:
        assert steps == list(range(num_steps + 1))
    else:
        assert steps[: num_frames // 2] == list(range(num_frames // 2))


def test_log_spaced():
    grid = log_spaced(0.01, 30, 25)
    assert grid[0] == 0.01 and grid[-1] == 30 and len(grid) == 25
    assert all(v == round_significant(v, 3) for v in grid)
    ratios = np.diff(np.log(grid))
    np.testing.assert_allclose(ratios, ratios.mean(), rtol=0.02)


# --- the arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"name": 3}, TypeError, "name must be a str, got int"),
        ({"name": "Bad Name"}, ValueError, "name must be 1 to 40 lower-case letters"),
        ({"learning_rates": [1.0, 0.5]}, ValueError, r"learning_rates must be strictly increasing, got \[1.0, 0.5\]"),
        ({"learning_rates": []}, ValueError, "learning_rates must hold at least one value"),
        ({"learning_rates": "fast"}, TypeError, "learning_rates must be a sequence of numbers, got str"),
        ({"learning_rates": [0.0, 1.0]}, ValueError, r"learning_rates\[0\] must be"),
        ({"learning_rates": [0.12345]}, ValueError, "learning_rates must have at most 4 significant digits"),
        ({"momenta": [0.0, 1.0]}, ValueError, r"momenta\[1\] must be"),
        ({"initial_learning_rate": 2.0}, ValueError, r"initial_learning_rate must be one of the grid's values"),
        ({"initial_momentum": True}, TypeError, "initial_momentum must be a real number, got bool"),
        ({"description": "  "}, ValueError, "description must not be empty"),
        ({"description": 3}, TypeError, "description must be a str, got int"),
        ({"w_range": (4.0, -1.0)}, ValueError, "w_range must satisfy low < high"),
        ({"num_steps": 0}, ValueError, "num_steps must be"),
        ({"num_frames": 1}, ValueError, "num_frames must be"),
    ],
)
def test_bad_arguments_are_named(overrides, error, message):
    with pytest.raises(error, match=message):
        _explorer(num_steps=overrides.pop("num_steps", 10), **overrides)


def test_two_features_are_refused():
    x, y, w, b = _problem()
    with pytest.raises(ValueError, match=re.escape("x must have shape (n, 1), got shape (60, 2)")):
        descent_paths(torch.cat([x, x], 1), y, w, b, [1.0], [0.0], 5, [0, 5])


def test_steps_beyond_num_steps_are_refused():
    x, y, w, b = _problem()
    with pytest.raises(ValueError, match=r"steps must lie in \[0, num_steps=5\], got 6"):
        descent_paths(x, y, w, b, [1.0], [0.0], 5, [0, 6])


def test_log_spaced_refuses_a_non_positive_low():
    with pytest.raises(ValueError, match="low must be positive for a log scale, got 0"):
        log_spaced(0, 1, 5)
