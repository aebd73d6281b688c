"""Gradient descent on the one-feature loss landscape, with sliders for the learning rate and the momentum.

:func:`descent_paths` runs :func:`lrcore.fit` once per setting of a grid of learning rates
and momenta, and keeps the iterates and the losses at a few steps (every step at first,
then ever sparser). :func:`descent_explorer` turns them into one HTML output: the contour map
of :func:`lrcore.loss_landscape` as SVG lines, the path of the chosen setting over it and its
loss curve beside it, drawn by ``descent.js``; a PNG of the same figure for readers without
JavaScript and for print.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from contourpy import contour_generator
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from lrcore._validation import (
    _real,
    _show,
    _type_name,
    check_count,
    check_fraction,
    check_labels,
    check_matrix,
    check_memory,
    check_params,
    check_positive_number,
    check_same_dtype,
    check_same_rows,
)
from lrcore.explorers import _html
from lrcore.landscape import _check_range, loss_landscape
from lrcore.losses import binary_cross_entropy_with_logits
from lrcore.model import linear
from lrcore.newton import fit_newton
from lrcore.optim import fit
from lrcore.plotting import COLORS

#: Significant digits of every number the figure stores (parameters, losses, settings).
DIGITS = 4

#: The SVG's drawing: a 780 x 330 view box, the landscape on the left, the loss curve on the right.
_VIEW = (780, 330)
_MAP = {"left": 62, "top": 12, "width": 330, "height": 270}
_LOSS = {"left": 482, "top": 12, "width": 282, "height": 270}
_CONTOUR_GRID = 60
_NUM_LEVELS = 12

#: The most points a figure records: ``len(learning_rates) * len(momenta) * (frames per path)``.
#: Each costs about 22 bytes of the page (w, b and the loss, 4 digits each); 12,000 keep the
#: data near 260 KB (the book's largest, chapter 12's 14 x 7 grid of 60 frames, records 5,880).
#: A 100 x 10 grid of 60 frames would be 60,000 points, 1.3 MB: ``descent_explorer`` refuses it.
MAX_POINTS = 12_000


@dataclass(frozen=True)
class DescentPaths:
    """The iterates of gradient descent for every setting of a grid, at the recorded steps.

    Attributes
    ----------
    learning_rates : ndarray of shape (R,)
    momenta : ndarray of shape (M,)
    steps : ndarray of shape (F,)
        The recorded steps, increasing, from 0 to ``num_steps``.
    weights, biases : ndarray of shape (R, M, F)
        ``weights[r, m, f]`` is ``w`` after ``steps[f]`` steps with learning rate
        ``learning_rates[r]`` and momentum ``momenta[m]``, float64.
    losses : ndarray of shape (R, M, F)
        The training loss (mean BCE) at those parameters.
    """

    learning_rates: np.ndarray
    momenta: np.ndarray
    steps: np.ndarray
    weights: np.ndarray
    biases: np.ndarray
    losses: np.ndarray


def log_spaced(low: float, high: float, num: int, digits: int = 3) -> list[float]:
    """``num`` numbers from ``low`` to ``high``, evenly spaced on a log scale and rounded to ``digits`` digits.

    Rounded, so that a slider shows the very value the run used (``0.178``, not ``0.17782794``).

    Parameters
    ----------
    low, high : float
        Positive, ``low < high``.
    num : int
        At least 2.
    digits : int, default 3
        Significant digits, 1 to 4.

    Returns
    -------
    list of float, increasing; ``num`` of them unless rounding merged neighbours. Past the
    density where every rounded value between the ends is hit, a larger ``num`` changes
    nothing: the values are then listed directly, without the ``num`` points.
    """
    low, high = _check_range("(low, high)", (low, high))
    if low <= 0:
        raise ValueError(f"low must be positive for a log scale, got {_show(low)}")
    num = check_count("num", num, minimum=2)
    digits = check_count("digits", digits, minimum=1)
    if digits > DIGITS:
        raise ValueError(f"digits must be at most {DIGITS}, the digits the figure stores, got {digits}")
    # A rounded value's interval spans more than 10**-digits in log; at half that step, each holds a point.
    decades = math.log10(high) - math.log10(low)
    if (num - 1) * 10.0**-digits >= 2 * math.log(10) * decades:
        check_memory(
            f"log_spaced with digits={digits} over {decades:.3g} decades",
            _rounded_between_bytes(decades, digits),
            "narrow (low, high) or use fewer digits",
        )
        return _rounded_between(low, high, digits)
    check_memory(f"log_spaced with num={_show(num)}", _log_spaced_bytes(num), "ask for fewer values")
    return sorted({_html.round_significant(v, digits) for v in np.geomspace(low, high, num)})


def _log_spaced_bytes(num: int) -> int:
    """Peak bytes of :func:`log_spaced` below the density where it lists values directly.

    numpy's ``geomspace`` (its result and 3 temporaries of ``num`` float64), and at most
    ``num`` distinct rounded floats in a set and then a list (about 100 bytes each); 1 MiB.
    """
    return 32 * num + 100 * num + 2**20


def _rounded_between_bytes(decades: float, digits: int) -> int:
    """Peak bytes of :func:`_rounded_between`: at most ``9 * 10**(digits - 1)`` values a decade, 48
    bytes each in the list (a float and its pointer, with the list's spare room); 1 MiB."""
    return 48 * 9 * 10 ** (digits - 1) * (math.ceil(decades) + 3) + 2**20


def _rounded_between(low: float, high: float, digits: int) -> list[float]:
    """Every number of ``digits`` significant digits from ``low`` to ``high``, both rounded, increasing.

    What :func:`log_spaced` returns once its points are dense enough to hit them all.
    """
    first, last = (_html.round_significant(v, digits) for v in (low, high))
    values: list[float] = []
    for exponent in range(math.floor(math.log10(first)) - 1, math.floor(math.log10(last)) + 2):
        for mantissa in range(10 ** (digits - 1), 10**digits):  # increasing, so the list is sorted
            value = float(f"{mantissa}e{exponent - digits + 1}")
            if first <= value <= last and (not values or value > values[-1]):
                values.append(value)
    return values


def frame_steps(num_steps: int, num_frames: int) -> list[int]:
    """The steps a figure records: every step up to ``num_frames // 2``, then ever sparser up to ``num_steps``.

    The first steps are where paths differ most (a zigzag, an overshoot); later the
    iterates change slowly and a geometric spacing follows them with few frames.

    Returns
    -------
    list of int, increasing, from 0 to ``num_steps``, at most ``num_frames`` of them.
    """
    num_steps = check_count("num_steps", num_steps, minimum=1)
    num_frames = check_count("num_frames", num_frames, minimum=2)
    if num_steps >= 2**1000:  # beyond what a float's logarithm spacing can place
        raise ValueError(f"num_steps must be below 2**1000, got {_show(num_steps)}")
    if num_steps + 1 <= num_frames:
        return list(range(num_steps + 1))
    single = num_frames // 2
    count = num_frames - single
    if count == 1:
        rest = [num_steps]
    elif num_steps < 2**53:  # numpy's int64 holds every step exactly
        rest = np.geomspace(single, num_steps, count).round().astype(int).tolist()
    else:  # Python ints: int64 would wrap around past 2**63
        ratio = (math.log(num_steps) - math.log(single)) / (count - 1)
        rest = [round(math.exp(math.log(single) + k * ratio)) for k in range(count - 1)] + [num_steps]
    return sorted({*range(single), *(min(step, num_steps) for step in rest)})


def _increasing(name: str, values: object, check_one) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a sequence of numbers, got {_type_name(values)}")
    checked = [check_one(f"{name}[{i}]", v) for i, v in enumerate(values)]
    if not checked:
        raise ValueError(f"{name} must hold at least one value, got none")
    if any(b <= a for a, b in zip(checked, checked[1:], strict=False)):
        raise ValueError(f"{name} must be strictly increasing, got {_show(list(values))}")
    return checked


def descent_paths(
    x: Tensor,
    y: Tensor,
    w: Tensor,
    b: Tensor,
    learning_rates: Sequence[float],
    momenta: Sequence[float],
    num_steps: int,
    steps: Sequence[int],
) -> DescentPaths:
    """Run :func:`lrcore.fit` (heavy ball when the momentum is > 0) for every setting and keep ``steps``.

    Computed in float64 whatever ``x``'s dtype, so that the rounded numbers the figure
    stores are the same on every machine. That needs ``x`` itself to be the same: pass data
    standardized in float64 (a float32 standardization can differ in its last bit from one
    CPU to another). And it holds only for settings at which the iteration is not chaotic:
    well above the local limit, a run amplifies every rounding difference.

    Parameters
    ----------
    x : Tensor of shape (n, 1)
        One (standardized) feature.
    y : Tensor of shape (n, 1)
        Labels, 0 or 1.
    w, b : Tensor of shape (1, 1)
        The start, the same for every setting.
    learning_rates : sequence of float, shape (R,)
        Positive, strictly increasing.
    momenta : sequence of float, shape (M,)
        In [0, 1), strictly increasing.
    num_steps : int
        ``>= 1``.
    steps : sequence of int, shape (F,)
        Strictly increasing steps in ``[0, num_steps]``.

    Returns
    -------
    DescentPaths
    """
    x = check_matrix("x", x, columns=1).detach()
    y = check_labels("y", y).detach()
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    w, b = (t.detach() for t in check_params(x, w, b))
    rates = _increasing("learning_rates", learning_rates, check_positive_number)
    moms = _increasing("momenta", momenta, check_fraction)
    num_steps = check_count("num_steps", num_steps, minimum=1)
    kept = _increasing("steps", steps, lambda name, v: float(check_count(name, v)))
    if kept[-1] > num_steps:
        raise ValueError(f"steps must lie in [0, num_steps={num_steps}], got {_show(int(kept[-1]))}")
    kept_index = torch.tensor([int(k) for k in kept])
    x64, y64, w64, b64 = (t.to(torch.float64) for t in (x, y, w, b))
    shape = (len(rates), len(moms), len(kept))
    weights, biases, losses = np.empty(shape), np.empty(shape), np.empty(shape)
    for r, rate in enumerate(rates):
        for m, momentum in enumerate(moms):
            # One step more than shown: train_loss[k] is the loss at the iterate after k steps,
            # so the extra step gives the loss at step num_steps. Its iterate is not used.
            history = fit(x64, y64, w64, b64, rate, num_steps + 1, momentum=momentum)
            weights[r, m] = history.weights[kept_index, 0, 0].numpy()
            biases[r, m] = history.biases[kept_index, 0, 0].numpy()
            losses[r, m] = history.train_loss[kept_index].numpy()
    return DescentPaths(
        learning_rates=np.array(rates),
        momenta=np.array(moms),
        steps=np.array([int(k) for k in kept]),
        weights=weights,
        biases=biases,
        losses=losses,
    )


def _scale(value: float, low: float, high: float, start: float, length: float) -> float:
    return start + (value - low) / (high - low) * length


def _contours(J: np.ndarray, ws: np.ndarray, bs: np.ndarray, levels: np.ndarray, frame: dict) -> list[str]:
    """SVG path data of the contour lines, in the view box's pixels (one decimal)."""
    (w_low, w_high), (b_low, b_high) = frame["w"], frame["b"]
    generator = contour_generator(ws, bs, J.T)
    paths = []
    for level in levels:
        parts = []
        for line in generator.lines(level):
            points, last = [], None
            for wv, bv in line:
                px = round(_scale(wv, w_low, w_high, _MAP["left"], _MAP["width"]), 1)
                py = round(_scale(bv, b_low, b_high, _MAP["top"] + _MAP["height"], -_MAP["height"]), 1)
                # Points closer than a pixel to the last one kept add bytes, not detail.
                if last is None or abs(px - last[0]) + abs(py - last[1]) >= 1.5:
                    points.append(f"{px:g},{py:g}")
                    last = (px, py)
            if len(points) > 1:
                parts.append("M" + "L".join(points))
        paths.append("".join(parts))
    return paths


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {_type_name(value)}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty, got {_show(value)}")
    return value


def _grid_index(name: str, grid: list[float], value: object, default: float) -> int:
    if value is None:
        value = default
    index = _html.matching_index(grid, value, _real(name, value), rel_tol=1e-12)
    if index is None:
        raise ValueError(f"{name} must be one of the grid's values {_show(grid)}, got {_show(value)}")
    return index


def descent_explorer(
    x: Tensor,
    y: Tensor,
    w: Tensor,
    b: Tensor,
    *,
    name: str,
    learning_rates: Sequence[float],
    momenta: Sequence[float] = (0.0,),
    num_steps: int,
    w_range: tuple[float, float],
    b_range: tuple[float, float],
    description: str | None = None,
    initial_learning_rate: float | None = None,
    initial_momentum: float | None = None,
    num_frames: int = 60,
) -> _html.HTMLFigure:
    """The interactive figure: gradient descent over the contour map of the loss, next to its loss curve.

    A slider chooses the learning rate (and one the momentum, if ``momenta`` has more than
    one value), a step slider and play / step buttons move along the path. The numbers it
    shows (learning rate, momentum, step, ``w``, ``b``, loss) are those of
    :func:`descent_paths`, rounded to 4 significant digits.

    Parameters
    ----------
    x, y, w, b, learning_rates, momenta, num_steps
        As for :func:`descent_paths` (one feature, the start ``w``, ``b``).
    name : str
        Lower-case letters, digits and hyphens: the figure's element ids derive from it, so
        two figures on one page need two names.
    w_range, b_range : pair of float
        The frame of the contour map. A path that leaves it is drawn to the frame's edge
        and marked as leaving.
    description : str, optional
        What the figure shows, in words: shown under it and named by its drawing's ``aria``
        description. Default: the panels, the start, the number of steps, the sliders' grids
        and the setting the static image shows (:func:`_default_description`).
    initial_learning_rate, initial_momentum : float, optional
        The setting shown first, one of the grid's values (default: the smallest of each); a
        ``numpy.float32`` that equals one of them in float32 counts.
    num_frames : int, default 60
        Recorded steps per path (:func:`frame_steps`). The figure records at most
        :data:`MAX_POINTS` (12,000) points: ``len(learning_rates) * len(momenta)`` settings
        times the recorded steps.

    Returns
    -------
    HTMLFigure
        One HTML output: style, fallback PNG, controls, SVG, data and script; its ``data``
        is the :class:`DescentPaths` it draws, unrounded.

    Raises
    ------
    TypeError, ValueError
        On a bad argument, naming it; also where the loss has no minimum to mark (``y`` of
        one class, a constant ``x``, or separable data), where it is flat over the frame to
        4 digits, and above :data:`MAX_POINTS`.
    """
    name = _html.check_name(name)
    if description is not None:
        description = _check_text("description", description)
    w_low, w_high = _check_range("w_range", w_range)
    b_low, b_high = _check_range("b_range", b_range)
    num_steps = check_count("num_steps", num_steps, minimum=1)
    steps = frame_steps(num_steps, num_frames)
    rates = _increasing("learning_rates", learning_rates, check_positive_number)
    moms = _increasing("momenta", momenta, check_fraction)
    for arg, grid in (("learning_rates", rates), ("momenta", moms)):
        if [_html.round_significant(v, DIGITS) for v in grid] != grid:
            # The figure shows each setting to DIGITS digits: it must be the very value the run used.
            raise ValueError(
                f"{arg} must have at most {DIGITS} significant digits (the figure shows them so; "
                f"log_spaced rounds a grid), got {_show(grid)}"
            )
    r0 = _grid_index("initial_learning_rate", rates, initial_learning_rate, rates[0])
    m0 = _grid_index("initial_momentum", moms, initial_momentum, moms[0])
    if len(rates) * len(moms) * len(steps) > MAX_POINTS:
        raise ValueError(
            f"learning_rates, momenta and num_frames must record at most {MAX_POINTS:,} points in one figure "
            f"(lrcore.explorers.descent.MAX_POINTS, about 260 KB of page), got {len(rates)} x {len(moms)} settings "
            f"x {len(steps)} frames = {len(rates) * len(moms) * len(steps):,}: use fewer values or frames"
        )
    _check_has_minimum(x, y)
    paths = descent_paths(x, y, w, b, rates, moms, num_steps, steps)
    if description is None:
        description = _default_description(paths, float(w.reshape(-1)[0]), float(b.reshape(-1)[0]), r0, m0)

    x64 = x.detach().to(torch.float64)
    y64 = y.detach().to(torch.float64)
    J, _, _ = loss_landscape(x64, y64, (w_low, w_high), (b_low, b_high), num=_CONTOUR_GRID)
    # Rounded before contouring, so that the lines (and the PNG) do not move with last-bit differences.
    J = np.vectorize(lambda v: _html.round_significant(v, DIGITS))(J.numpy())
    # The grid's coordinates from numpy: torch.linspace's last bits depend on the CPU's vector
    # kernels, and the PNG's antialiased lines would move with them.
    ws, bs = np.linspace(w_low, w_high, _CONTOUR_GRID), np.linspace(b_low, b_high, _CONTOUR_GRID)
    levels = _contour_levels(J)
    if not len(levels):
        raise ValueError(
            f"w_range and b_range must frame a part of the landscape where the loss varies (to {DIGITS} significant "
            f"digits), got a loss of {J.min():.{DIGITS}g} everywhere in w_range={_show(tuple(w_range))}, "
            f"b_range={_show(tuple(b_range))}: widen them"
        )
    # The minimum, by Newton's method: the cross on the map and the dashed line under the loss curve.
    w_star, b_star, _ = fit_newton(x64, y64)
    loss_star = binary_cross_entropy_with_logits(linear(x64, w_star, b_star), y64).item()
    frame = {"w": [w_low, w_high], "b": [b_low, b_high]}

    weights = np.clip(paths.weights, w_low - 0.05 * (w_high - w_low), w_high + 0.05 * (w_high - w_low))
    biases = np.clip(paths.biases, b_low - 0.05 * (b_high - b_low), b_high + 0.05 * (b_high - b_low))
    outside = (paths.weights < w_low) | (paths.weights > w_high) | (paths.biases < b_low) | (paths.biases > b_high)
    loss_top = _html.round_significant(1.15 * float(paths.losses[..., 0].max()), 2)
    settings = [(r, m) for r in range(len(rates)) for m in range(len(moms))]
    data = {
        "rates": _html.round_all(rates, DIGITS),
        "momenta": _html.round_all(moms, DIGITS),
        "steps": paths.steps.tolist(),
        # One list per setting, rates outer, momenta inner: settings[r * M + m].
        "w": [_html.round_all(weights[r, m], DIGITS) for r, m in settings],
        "b": [_html.round_all(biases[r, m], DIGITS) for r, m in settings],
        "loss": [_html.round_all(paths.losses[r, m], DIGITS) for r, m in settings],
        # The first recorded frame at which each path is outside the frame, -1 if it never is.
        "out": [int(np.argmax(outside[r, m])) if outside[r, m].any() else -1 for r, m in settings],
        "frame": frame,
        "map": _MAP,
        "lossBox": _LOSS,
        "lossTop": loss_top,
        "best": _html.round_significant(loss_star, DIGITS),
        "initial": [r0, m0, len(steps) - 1],
    }

    # Rounded like everything the PNG draws, so that its pixels do not move with last-bit differences.
    minimum = tuple(_html.round_significant(v.item(), DIGITS) for v in (w_star, b_star))
    fallback = _fallback(paths, r0, m0, J, ws, bs, levels, frame, loss_top, minimum, data["best"])
    try:
        image = _html.fallback_image(fallback, alt=description, dpi=72)
    finally:  # closed however this ends
        plt.close(fallback)
    svg = _svg(name, J, ws, bs, levels, frame, (w_star.item(), b_star.item()), num_steps, loss_top)
    root = _html.element_id(name)
    controls = [
        _slider(f"{root}-lr", "Learning rate", len(rates) - 1, r0, f"{rates[r0]:g}"),
        _slider(f"{root}-momentum", "Momentum", len(moms) - 1, m0, f"{moms[m0]:g}") if len(moms) > 1 else "",
        _slider(f"{root}-step", "Step", len(steps) - 1, len(steps) - 1, str(num_steps)),
        f'<button type="button" class="lrx-play" aria-controls="{root}-svg">Play</button>',
        f'<button type="button" class="lrx-next" aria-controls="{root}-svg">Next step</button>',
    ]
    body = (
        f'<figure class="{_html.ROOT_CLASS} lrx-descent" id="{root}">'
        f"{_html.style_tag(_CSS)}"
        f"{image}"
        f'<div class="lrx-live" hidden>'
        f'<div class="lrx-controls">{"".join(controls)}</div>'
        f'<p class="lrx-status" id="{root}-status" aria-live="polite"></p>'
        f"{svg}"
        f"</div>"
        f'<figcaption id="{root}-description">{html.escape(description)}</figcaption>'
        f'<script type="application/json" class="lrx-data">{_html.to_json(data)}</script>'
        f"<script>(function (root) {{\n{_html.read_script('descent.js')}\n}})"
        f'(document.getElementById("{root}"));</script>'
        f"</figure>"
    )
    setting = f"learning rate {rates[r0]:g}" + (f", momentum {moms[m0]:g}" if len(moms) > 1 else "")
    text = f"Interactive figure ({setting}, {num_steps} steps): {description}"
    return _html.HTMLFigure(body, text, data=paths)


def _check_has_minimum(x: Tensor, y: Tensor) -> None:
    """Refuse data whose loss has no minimum for the figure to mark: one class, a constant or a separating ``x``.

    ``x`` (n, 1), ``y`` (n, 1), checked. With one feature, the loss has a unique finite minimum
    exactly when both classes are present and their values of ``x`` overlap (neither class lies
    wholly on one side of the other, touching included): otherwise the weight grows without bound.
    """
    xs, ys = x.detach().double().reshape(-1), y.detach().reshape(-1)
    if bool((ys == ys[0]).all()):
        raise ValueError(
            f"y must hold both classes (0 and 1) for the loss to have a minimum, got only {ys[0].item():g}s"
        )
    if bool((xs == xs[0]).all()):
        raise ValueError(
            f"x must not be constant: the loss then depends on w and b only through w * {xs[0].item():g} + b, and has "
            "no unique minimum to mark"
        )
    x0, x1 = xs[ys == 0], xs[ys == 1]
    if bool(x0.max() <= x1.min()) or bool(x1.max() <= x0.min()):
        raise ValueError(
            "x and y must not be linearly separable (every x of one class on one side of every x of the other, "
            f"got class 0 in [{x0.min().item():g}, {x0.max().item():g}] and class 1 in "
            f"[{x1.min().item():g}, {x1.max().item():g}]): the loss "
            "then falls towards 0 as the weight grows without bound, and has no minimum to mark"
        )


def _contour_levels(J: np.ndarray) -> np.ndarray:
    """The contour heights: above the lowest grid point, spaced geometrically, distinct and increasing.

    From 1e-3 above the floor (or, where the loss varies by less than that, a thousandth of its
    range) to the range, so that the floor of the valley gets as many lines as the walls;
    empty where the loss is flat.
    """
    low, span = float(J.min()), float(J.max() - J.min())
    if not span > 0:
        return np.array([])
    levels = low + np.geomspace(1e-3 if span > 1e-3 else span * 1e-3, span, _NUM_LEVELS + 1)[:-1]
    return np.unique(levels[levels > low])  # a level that rounds onto the floor (a loss of 1e20) is dropped


def _slider(element: str, label: str, maximum: int, value: int, shown: str) -> str:
    return (
        f'<label for="{element}">{label} '
        f'<input type="range" id="{element}" min="0" max="{maximum}" step="1" value="{value}" '
        f'aria-valuetext="{html.escape(shown)}">'
        f'<output for="{element}" id="{element}-value">{html.escape(shown)}</output></label>'
    )


def _ticks(low: float, high: float) -> list[float]:
    return [float(t) for t in MaxNLocator(5).tick_values(low, high) if low - 1e-9 <= t <= high + 1e-9]


def _svg(name, J, ws, bs, levels, frame, minimum, num_steps, loss_top) -> str:
    """The static part of the drawing: axes, ticks, contour lines; ``descent.js`` adds the paths."""
    root = _html.element_id(name)
    (w_low, w_high), (b_low, b_high) = frame["w"], frame["b"]
    m, lb = _MAP, _LOSS
    parts = [
        f'<svg id="{root}-svg" class="lrx-svg" viewBox="0 0 {_VIEW[0]} {_VIEW[1]}" role="img" '
        f'aria-labelledby="{root}-title" aria-describedby="{root}-description">',
        f'<title id="{root}-title">Gradient descent on the loss landscape, and its loss curve</title>',
        f'<defs><clipPath id="{root}-clip-map"><rect x="{m["left"]}" y="{m["top"]}" width="{m["width"]}" '
        f'height="{m["height"]}"/></clipPath><clipPath id="{root}-clip-loss"><rect x="{lb["left"]}" '
        f'y="{lb["top"]}" width="{lb["width"]}" height="{lb["height"]}"/></clipPath></defs>',
        f'<g clip-path="url(#{root}-clip-map)">',
    ]
    for k, d in enumerate(_contours(J, ws, bs, levels, frame)):
        opacity = round(0.9 - 0.6 * k / max(1, len(levels) - 1), 2)
        parts.append(f'<path class="lrx-contour" d="{d}" stroke-opacity="{opacity:g}"/>')
    px = _scale(minimum[0], w_low, w_high, m["left"], m["width"])
    py = _scale(minimum[1], b_low, b_high, m["top"] + m["height"], -m["height"])
    parts.append(
        f'<path class="lrx-minimum" d="M{px - 5:.1f},{py - 5:.1f}l10,10M{px - 5:.1f},{py + 5:.1f}l10,-10"/></g>'
    )
    for box in (m, lb):
        parts.append(
            f'<rect class="lrx-axes" x="{box["left"]}" y="{box["top"]}" '
            f'width="{box["width"]}" height="{box["height"]}"/>'
        )
    bottom = m["top"] + m["height"]
    for t in _ticks(w_low, w_high):
        tx = _scale(t, w_low, w_high, m["left"], m["width"])
        parts.append(f'<text x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle">{t:g}</text>')
    for t in _ticks(b_low, b_high):
        ty = _scale(t, b_low, b_high, bottom, -m["height"])
        parts.append(f'<text x="{m["left"] - 6}" y="{ty + 4:.1f}" text-anchor="end">{t:g}</text>')
    parts.append(f'<text x="{m["left"] + m["width"] / 2:g}" y="{bottom + 34}" text-anchor="middle">weight w</text>')
    parts.append(
        f'<text transform="translate({m["left"] - 40},{m["top"] + m["height"] / 2:g}) rotate(-90)" '
        f'text-anchor="middle">bias b</text>'
    )
    # The loss panel: steps on a log(1 + k) axis, so the first steps, where most happens, get room.
    for k in (0, 1, 10, 100, 1000, 10000, 100000):
        if k > num_steps:
            break
        tx = lb["left"] + math.log10(1 + k) / math.log10(1 + num_steps) * lb["width"]
        parts.append(f'<text x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle">{k}</text>')
    for t in _ticks(0, loss_top):
        ty = _scale(t, 0, loss_top, bottom, -lb["height"])
        parts.append(f'<text x="{lb["left"] - 6}" y="{ty + 4:.1f}" text-anchor="end">{t:g}</text>')
    parts.append(f'<text x="{lb["left"] + lb["width"] / 2:g}" y="{bottom + 34}" text-anchor="middle">step</text>')
    parts.append(
        f'<text transform="translate({lb["left"] - 40},{lb["top"] + lb["height"] / 2:g}) rotate(-90)" '
        f'text-anchor="middle">training loss</text>'
    )
    parts.append(
        f'<g clip-path="url(#{root}-clip-map)"><polyline class="lrx-ghost lrx-path-all" points=""/>'
        f'<polyline class="lrx-path" points=""/><circle class="lrx-start" r="4"/><circle class="lrx-now" r="5"/></g>'
        f'<g clip-path="url(#{root}-clip-loss)"><line class="lrx-best"/><polyline class="lrx-ghost lrx-loss-all" '
        f'points=""/><polyline class="lrx-loss" points=""/><circle class="lrx-loss-now" r="4"/></g>'
        f'<text class="lrx-leaving" x="{m["left"] + 6}" y="{m["top"] + 16}"></text>'
        "</svg>"
    )
    return "".join(parts)


_CSS = """
.lrx-descent .lrx-contour { fill: none; stroke: var(--lrx-contour); stroke-width: 1; }
.lrx-descent .lrx-minimum { stroke: var(--lrx-fg); stroke-width: 2; fill: none; }
.lrx-descent .lrx-axes { fill: none; stroke: var(--lrx-muted); stroke-width: 1; }
.lrx-descent .lrx-path, .lrx-descent .lrx-loss { fill: none; stroke: var(--lrx-red); stroke-width: 2.2;
  stroke-linejoin: round; }
.lrx-descent .lrx-ghost { fill: none; stroke: var(--lrx-red); stroke-width: 1; stroke-opacity: 0.35; }
.lrx-descent .lrx-start { fill: var(--lrx-bg); stroke: var(--lrx-red); stroke-width: 2; }
.lrx-descent .lrx-now, .lrx-descent .lrx-loss-now { fill: var(--lrx-red); stroke: var(--lrx-bg); stroke-width: 1.5; }
.lrx-descent .lrx-best { stroke: var(--lrx-muted); stroke-dasharray: 4 3; }
.lrx-descent .lrx-leaving { fill: var(--lrx-red); font-weight: bold; }
.lrx-descent figcaption { font-size: 0.92em; color: var(--lrx-muted); margin-top: 0.3em; }
.lrx-descent input[type="range"] { width: 11em; }
"""


def _default_description(paths: DescentPaths, w0: float, b0: float, r0: int, m0: int) -> str:
    """The figure in words, from what it draws: its panels, its start, its grids, the static image's setting."""
    rates, moms = paths.learning_rates, paths.momenta
    num_steps = int(paths.steps[-1])
    with_momentum = len(moms) > 1
    setting = "learning rate and momentum" if with_momentum else "learning rate"
    sliders = f"the learning rate ({len(rates)} values from {rates[0]:g} to {rates[-1]:g})"
    shown = f"the learning rate {rates[r0]:g}"
    if with_momentum:
        sliders += f", the momentum ({len(moms)} values from {moms[0]:g} to {moms[-1]:g})"
        shown += f" with momentum {moms[m0]:g}"
    return (
        f"Gradient descent{' with momentum' if with_momentum else ''} on the one-feature loss landscape, "
        f"from w = {w0:g}, b = {b0:g}, for {num_steps} steps. Left: contour lines of the training loss over "
        f"(w, b), the minimum marked by a cross, and the path of the chosen {setting} (faint: the whole run; "
        "bold: up to the chosen step). Right: the training loss against the step (logarithmic axis), the loss "
        f"at the minimum dashed. The sliders choose {sliders} and the step. Without JavaScript, the image "
        f"shows the whole run of {shown}."
    )


def _fallback(paths, r0, m0, J, ws, bs, levels, frame, loss_top, minimum, loss_star):
    """The static figure: the first setting's path over the contour lines, and its loss curve."""
    fig, (ax_map, ax_loss) = plt.subplots(1, 2, figsize=(9.6, 3.9), layout="constrained", width_ratios=(1.15, 1))
    try:
        _draw_fallback(ax_map, ax_loss, paths, r0, m0, J, ws, bs, levels, frame, loss_top, minimum, loss_star)
    except BaseException:  # matplotlib's contour can raise: the figure must not stay open
        plt.close(fig)
        raise
    return fig


def _draw_fallback(ax_map, ax_loss, paths, r0, m0, J, ws, bs, levels, frame, loss_top, minimum, loss_star) -> None:
    """Draw the static figure's two panels: the path over the contour lines, and its loss curve."""
    ax_map.contour(ws, bs, J.T, levels=levels, colors="#0b3d6b", linewidths=0.8, alpha=0.7)
    w_path = _html.round_all(np.clip(paths.weights[r0, m0], *frame["w"]), DIGITS)
    b_path = _html.round_all(np.clip(paths.biases[r0, m0], *frame["b"]), DIGITS)
    ax_map.plot(w_path, b_path, color=COLORS["red"], lw=2)
    ax_map.plot(w_path[:1], b_path[:1], "o", color=COLORS["red"], mfc="white")
    # The cross and the dashed line of the live figure, so that the caption holds without JavaScript too.
    ax_map.plot(*minimum, "x", color="black", ms=8, mew=1.5)
    ax_map.set(xlim=frame["w"], ylim=frame["b"], xlabel="weight w", ylabel="bias b")
    steps = paths.steps.astype(float)
    ax_loss.plot(steps, _html.round_all(paths.losses[r0, m0], DIGITS), color=COLORS["red"], lw=2)
    # A line through data points, not axhline: that would widen the symlog axis to negative steps.
    ax_loss.plot([steps[0], steps[-1]], [loss_star, loss_star], color="gray", ls="--", lw=1)
    ax_loss.set_xscale("symlog", linthresh=1)
    ax_loss.set(ylim=(0, loss_top), xlabel="step", ylabel="training loss")
    rate, momentum = paths.learning_rates[r0], paths.momenta[m0]
    setting = f"learning rate {rate:g}" + (f", momentum {momentum:g}" if len(paths.momenta) > 1 else "")
    ax_map.set_title(setting, fontsize=11)
    ax_loss.set_title(f"{int(paths.steps[-1])} steps", fontsize=11)
    for ax in (ax_map, ax_loss):
        ax.grid(False)
