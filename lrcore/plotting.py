"""Figures of the book. Each helper draws on an Axes and returns it; none calls ``plt.show()``.

Colours come from the colour-blind-safe Okabe-Ito palette and lines are thick enough to read
on the light and the dark theme alike (the book saves figures on a white background).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from numbers import Real

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter
from torch import Tensor

from lrcore._validation import _show, _type_name, check_bool, check_labels, check_matrix, check_params, check_same_rows
from lrcore.calibration import CalibrationCurve
from lrcore.landscape import _check_range
from lrcore.optim import History

#: Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
COLORS = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "red": "#D55E00", "purple": "#CC79A7"}

#: One colour per class in every figure of the book (benign blue, malignant orange, as in
#: :func:`plot_decision_boundary`): a reader learns them once.
CLASS_COLORS = {"benign": COLORS["blue"], "malignant": COLORS["orange"]}


def _axes(ax: Axes | None) -> Axes:
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {_type_name(ax)}")
    return plt.subplots(figsize=(6, 4), layout="constrained")[1] if ax is None else ax


def _numpy(t) -> np.ndarray:
    if isinstance(t, Tensor):
        t = t.detach().cpu()
        # numpy has no bfloat16; float32 holds every bfloat16 and float16 value exactly.
        return (t.float() if t.dtype in (torch.bfloat16, torch.float16) else t).numpy()
    return np.asarray(t)


def _closes_figure_on_error(plot: Callable[..., Axes]) -> Callable[..., Axes]:
    """Close the figures a plotting call opened if it raises: a failed call leaves no figure behind."""

    @functools.wraps(plot)
    def call(*args, **kwargs) -> Axes:
        before = set(plt.get_fignums())
        try:
            return plot(*args, **kwargs)
        except BaseException:
            for number in set(plt.get_fignums()) - before:
                plt.close(number)
            raise

    return call


def _array(name: str, value: object, ndim: int) -> np.ndarray:
    """``value`` (a tensor, an array or a sequence of numbers) as a non-empty float64 array of ``ndim`` dimensions."""
    if isinstance(value, Tensor) and (value.layout != torch.strided or value.is_meta):
        raise TypeError(f"{name} must be a dense tensor with values, got layout {value.layout} on {value.device}")
    if isinstance(value, (str, bytes, Mapping)) or value is None:
        raise TypeError(f"{name} must be numbers (a tensor, an array or a sequence), got {_type_name(value)}")
    try:
        array = _numpy(value)
        if array.dtype.kind not in "biuf":
            raise TypeError
        array = array.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be real numbers (a tensor, an array or a sequence), got {_type_name(value)}"
        ) from None
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    return array


def _check_history(name: str, history: object, *, one_feature: bool = False) -> History:
    if not isinstance(history, History):
        raise TypeError(f"{name} must be a History (what lrcore.fit returns), got {_type_name(history)}")
    if one_feature and history.weights.shape[1] != 1:
        raise ValueError(
            f"{name} must be a one-feature run, with weights of shape (k, 1, 1), got {tuple(history.weights.shape)}"
        )
    return history


def _check_rates(names: tuple[str, str], first: object, second: object) -> tuple[np.ndarray, np.ndarray]:
    """Two 1-D curves of equal length with values in [0, 1], such as (fpr, tpr)."""
    arrays = tuple(_array(name, value, 1) for name, value in zip(names, (first, second), strict=True))
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same length, got {arrays[0].size} and {arrays[1].size}"
        )
    for name, array in zip(names, arrays, strict=True):
        if not (np.isfinite(array).all() and (array >= 0).all() and (array <= 1).all()):
            raise ValueError(f"{name} must hold rates in [0, 1], got values outside it or NaN")
    return arrays


def _check_label(label: object) -> None:
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label must be a str or None, got {_type_name(label)}")


@_closes_figure_on_error
def plot_sigmoid(z_range: tuple[float, float] = (-10, 10), ax: Axes | None = None) -> Axes:
    """The sigmoid on ``z_range`` (finite ends, low < high), with ``s(0) = 0.5`` marked."""
    from lrcore import _numerics  # here, not at the top: issue 24 owns the module's imports

    low, high = _check_range("z_range", z_range)
    largest = torch.finfo(torch.float32).max
    if max(abs(low), abs(high)) > largest:
        raise ValueError(f"z_range must have ends of at most {largest:.4g} in size (float32), got {_show(z_range)}")
    ax = _axes(ax)
    z = _numerics.linspace(low, high, 401, torch.float32)
    ax.plot(z, torch.sigmoid(z), color=COLORS["blue"], lw=2.5, label=r"$s(z) = 1 / (1 + e^{-z})$")
    ax.axhline(0.5, color="gray", lw=1, ls="--")
    ax.axvline(0, color="gray", lw=1, ls="--")
    ax.plot([0], [0.5], "o", color=COLORS["red"], label=r"$s(0) = 0.5$")
    ax.set(xlabel="$z$", ylabel="$s(z)$", ylim=(-0.03, 1.03))
    ax.legend(loc="upper left")
    return ax


@_closes_figure_on_error
def plot_bce_per_sample(ax: Axes | None = None) -> Axes:
    """Per-sample BCE against the predicted probability, for target 1 and for target 0."""
    ax = _axes(ax)
    p = torch.linspace(0.001, 0.999, 999, dtype=torch.float64)
    ax.plot(p, -torch.log(p), color=CLASS_COLORS["malignant"], lw=2.5, label=r"target $y=1$: $-\log\hat y$")
    ax.plot(
        p, -torch.log1p(-p), color=CLASS_COLORS["benign"], lw=2.5, ls="--", label=r"target $y=0$: $-\log(1-\hat y)$"
    )
    ax.set(xlabel=r"predicted probability $\hat y$", ylabel="loss of one sample", ylim=(0, 7))
    ax.legend(loc="upper center")
    return ax


@_closes_figure_on_error
def plot_loss_landscape(
    J: Tensor,
    ws: Tensor,
    bs: Tensor,
    trajectory: History | None = None,
    ax: Axes | None = None,
    levels: int | Sequence[float] = 30,
    log_scale: bool = False,
) -> Axes:
    """Filled contours of ``J[i, j]`` (at ``ws[i]``, ``bs[j]``), with an optional GD path.

    NaN and infinite entries stay blank, which is how the naive float32 landscape shows its holes.

    Parameters
    ----------
    J : Tensor of shape (num_w, num_b)
    ws : Tensor of shape (num_w,)
    bs : Tensor of shape (num_b,)
    trajectory : History, optional
        A one-feature run of :func:`lrcore.fit`, drawn from its start to its end.
    ax : Axes, optional
    levels : int or sequence of float, default 30
        An int: that many level boundaries, from the smallest to the largest finite entry of
        ``J``. A sequence: the boundaries themselves, increasing; give two panels the same
        ones and they share one colour scale (entries outside it take the end colours).
    log_scale : bool, default False
        Space an int number of levels geometrically and map them to colours on a logarithmic
        scale. A linear scale spends most colours on the steep walls and paints the floor of a
        valley in one dark colour; a logarithmic one resolves the floor. Needs positive levels.

    Returns
    -------
    Axes
    """
    J = _array("J", J, 2)
    ws, bs = _array("ws", ws, 1), _array("bs", bs, 1)
    if J.shape != (ws.size, bs.size):
        raise ValueError(f"J must have shape (len(ws), len(bs)) = ({ws.size}, {bs.size}), got {J.shape}")
    for name, grid in (("ws", ws), ("bs", bs)):
        if not np.isfinite(grid).all() or (np.diff(grid) <= 0).any():
            raise ValueError(f"{name} must be finite and strictly increasing")
    if trajectory is not None:
        _check_history("trajectory", trajectory, one_feature=True)
    log_scale = check_bool("log_scale", log_scale)
    finite = J[np.isfinite(J)]
    if finite.size == 0:
        raise ValueError("J must have at least one finite entry, got none")
    if isinstance(levels, int) and finite.min() == finite.max():
        raise ValueError(f"J must not be constant to draw contours, got every finite entry equal to {finite[0]:g}")
    if isinstance(levels, bool) or not isinstance(levels, (int, Sequence, np.ndarray, Tensor)):
        raise TypeError(f"levels must be an int or a sequence of numbers, got {type(levels).__name__}")
    if isinstance(levels, int):
        if levels < 2:
            raise ValueError(f"levels must be at least 2, got {levels}")
        if log_scale and finite.min() <= 0:
            raise ValueError(f"log_scale needs a positive J, got a smallest finite entry of {float(finite.min())!r}")
        spacing = np.geomspace if log_scale else np.linspace
        bounds = spacing(finite.min(), finite.max(), levels)
    else:
        bounds = np.asarray(_numpy(levels), dtype=np.float64)
        if bounds.ndim != 1 or len(bounds) < 2 or not np.isfinite(bounds).all() or (np.diff(bounds) <= 0).any():
            raise ValueError(f"levels must hold at least 2 finite, increasing numbers, got {bounds.tolist()}")
        if log_scale and bounds[0] <= 0:
            raise ValueError(f"log_scale needs positive levels, got {float(bounds[0])!r} first")
    ax = _axes(ax)
    # Finite entries beyond the given levels take the end colours (an arrow on the colour bar).
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max", (True, True): "both"}[
        (bool(finite.min() < bounds[0]), bool(finite.max() > bounds[-1]))
    ]
    contour = ax.contourf(
        _numpy(ws),
        _numpy(bs),
        J.T,
        levels=bounds,
        cmap="viridis",
        norm=LogNorm(bounds[0], bounds[-1]) if log_scale else None,
        extend=extend,
    )
    colorbar = ax.figure.colorbar(contour, ax=ax, label="mean BCE $J(w, b)$")
    if log_scale:
        # Ticks at 1, 2 and 5 times powers of ten, written as plain numbers (0.5, not 5e-1).
        colorbar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        colorbar.ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        colorbar.ax.yaxis.set_minor_formatter(NullFormatter())
    if trajectory is not None:
        w_path = _numpy(trajectory.weights[:, 0, 0])
        b_path = _numpy(trajectory.biases[:, 0, 0])
        ax.plot(w_path, b_path, color="white", lw=3.5)
        ax.plot(w_path, b_path, color=COLORS["red"], lw=2, label="gradient-descent path")
        ax.plot(w_path[0], b_path[0], "o", ms=8, mec="white", color=COLORS["red"], label="start")
        ax.plot(w_path[-1], b_path[-1], "*", ms=14, mec="white", color=COLORS["orange"], label="end")
        ax.legend(loc="lower left")
    ax.set(xlabel="weight $w$", ylabel="bias $b$")
    return ax


@_closes_figure_on_error
def plot_loss_curves(history: History, ax: Axes | None = None, log_x: bool = False) -> Axes:
    """Train (and validation) loss against the step (every ``history.record_every``-th)."""
    _check_history("history", history)
    log_x = check_bool("log_x", log_x)
    ax = _axes(ax)
    steps = _numpy(history.steps)
    ax.plot(steps, _numpy(history.train_loss), color=COLORS["blue"], lw=2.5, label="train")
    if history.val_loss is not None:
        ax.plot(steps, _numpy(history.val_loss), color=COLORS["orange"], lw=2.5, ls="--", label="validation")
    ax.set(xlabel="step", ylabel="mean BCE")
    if log_x:
        ax.set_xscale("symlog")
    ax.legend()
    return ax


@_closes_figure_on_error
def plot_metric_curves(curves: Mapping[str, Sequence[float]], ax: Axes | None = None) -> Axes:
    """One line per metric (name -> value at every step, each in [0, 1], as :func:`plot_roc_curve` requires)."""
    if not isinstance(curves, Mapping):
        raise TypeError(f"curves must be a mapping from names to values (a dict), got {_type_name(curves)}")
    if not curves:
        raise ValueError("curves must hold at least one curve, got an empty mapping")
    for name in curves:
        if not isinstance(name, str):
            raise TypeError(f"curves must have str keys (the legend's names), got {_type_name(name)}")
    arrays = {name: _array(f"curves[{name!r}]", values, 1) for name, values in curves.items()}
    for name, array in arrays.items():
        if not (np.isfinite(array).all() and (array >= 0).all() and (array <= 1).all()):
            bad = array[~(np.isfinite(array) & (array >= 0) & (array <= 1))][0]
            raise ValueError(f"curves[{name!r}] must hold metrics in [0, 1], got {bad:g}")
    ax = _axes(ax)
    styles = itertools.cycle(["-", "--", ":", "-."])
    for (name, values), color, style in zip(arrays.items(), itertools.cycle(COLORS.values()), styles):
        ax.plot(np.arange(len(values)), values, color=color, ls=style, lw=2.5, label=name)
    ax.set(xlabel="step", ylabel="value on the validation split", ylim=(-0.02, 1.02))
    ax.legend(loc="lower right")
    return ax


@_closes_figure_on_error
def plot_confusion_matrix(cm: Tensor, ax: Axes | None = None) -> Axes:
    """The 2 x 2 counts ``[[TN, FP], [FN, TP]]`` as an annotated heat map."""
    counts = _array("cm", cm, 2)
    if counts.shape != (2, 2):
        raise ValueError(f"cm must have shape (2, 2), got {counts.shape}")
    if not (np.isfinite(counts).all() and (counts >= 0).all() and (counts == np.round(counts)).all()):
        raise ValueError(f"cm must hold counts (whole numbers >= 0), got {counts.tolist()}")
    # Integer counts as they came (float64 rounds 2**63 - 1 up, past int64); others from float64.
    exact = _numpy(cm)
    counts = exact.astype(np.int64) if exact.dtype.kind in "iu" else counts.astype(np.int64)
    ax = _axes(ax)
    ax.imshow(counts, cmap="Blues", vmin=0)
    names = [["TN", "FP"], ["FN", "TP"]]
    for i in range(2):
        for j in range(2):
            dark = counts[i, j] > counts.max() / 2
            ax.text(
                j,
                i,
                f"{names[i][j]}\n{counts[i, j]}",
                ha="center",
                va="center",
                fontsize=14,
                color="white" if dark else "black",
            )
    labels = ["benign (0)", "malignant (1)"]
    ax.set(xticks=[0, 1], yticks=[0, 1], xticklabels=labels, yticklabels=labels, xlabel="predicted", ylabel="true")
    return ax


@_closes_figure_on_error
def plot_decision_boundary(
    x: Tensor,
    y: Tensor,
    w: Tensor,
    b: Tensor,
    feature_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    probability_levels: Sequence[float] | None = None,
) -> Axes:
    """The two classes of a two-feature data set and the line where the model hesitates.

    The model predicts malignant where ``w1 x1 + w2 x2 + b >= 0``, i.e. where the probability
    is at least 1/2; the boundary is the line ``w1 x1 + w2 x2 + b = 0``, drawn across the
    data's range. Benign samples are blue circles, malignant ones orange triangles.

    Parameters
    ----------
    x : Tensor of shape (n, 2)
    y : Tensor of shape (n, 1)
        Labels, 0 or 1.
    w : Tensor of shape (2, 1)
        Not both zero: a model with ``w = 0`` predicts the same probability everywhere and
        has no boundary.
    b : Tensor of shape (1, 1)
    feature_names : pair of str, optional
        Axis labels; default ``$x_1$`` and ``$x_2$``.
    ax : Axes, optional
    probability_levels : sequence of float in (0, 1), optional
        Also draw the dashed lines where the predicted probability equals each level (the
        line for ``p`` is ``w1 x1 + w2 x2 + b = log(p / (1 - p))``).

    Returns
    -------
    Axes
    """
    x = check_matrix("x", x, columns=2)
    y = check_labels("y", y)
    check_same_rows("x", x, "y", y)
    w, b = check_params(x, w, b)
    if not bool((w != 0).any()):
        raise ValueError("w must not be zero: the model then predicts the same probability everywhere, no boundary")
    if feature_names is not None and (
        isinstance(feature_names, str)
        or not isinstance(feature_names, Sequence)
        or len(feature_names) != 2
        or not all(isinstance(name, str) for name in feature_names)
    ):
        raise TypeError(f"feature_names must be a pair of str or None, got {feature_names!r}")
    if probability_levels is not None and (
        isinstance(probability_levels, (str, Mapping)) or not isinstance(probability_levels, Sequence | np.ndarray)
    ):
        raise TypeError(
            f"probability_levels must be a sequence of numbers or None, got {_type_name(probability_levels)}"
        )
    levels = [] if probability_levels is None else list(probability_levels)
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, Real):
            raise TypeError(f"probability_levels must hold real numbers, got {type(level).__name__}")
        if not 0 < level < 1:
            raise ValueError(f"probability_levels must hold numbers in (0, 1), got {level!r}")
    return _draw_decision_boundary(x, y, w, b, feature_names, _axes(ax), levels)


def _draw_decision_boundary(
    x: Tensor, y: Tensor, w: Tensor, b: Tensor, feature_names: Sequence[str] | None, ax: Axes, levels: list[float]
) -> Axes:
    """Scatter ``x`` (n, 2) by label ``y`` (n, 1); draw ``w1 x1 + w2 x2 + b = 0`` and the ``levels`` lines.

    ``w`` (2, 1), not zero; ``b`` (1, 1). The line of level ``p`` is where the logit is ``log(p / (1 - p))``.
    """
    points, labels = _numpy(x).astype(np.float64), _numpy(y).ravel()
    (w1, w2), bias = _numpy(w).ravel().astype(np.float64), float(_numpy(b).ravel()[0])
    for label, name, color, marker in (
        (0, "benign (0)", CLASS_COLORS["benign"], "o"),
        (1, "malignant (1)", CLASS_COLORS["malignant"], "^"),
    ):
        chosen = points[labels == label]
        ax.scatter(chosen[:, 0], chosen[:, 1], s=28, color=color, marker=marker, edgecolor="black", lw=0.4, label=name)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.05 * np.maximum(high - low, 1e-12)
    low, high = low - pad, high + pad

    def line(offset: float) -> tuple[np.ndarray, np.ndarray]:
        return _line_points(w1, w2, bias, offset, low, high)

    ax.plot(*line(0.0), color="black", lw=2.5, label="decision boundary ($p = 0.5$)")
    for level in levels:
        ax.plot(*line(float(np.log(level / (1 - level)))), color="gray", lw=1.2, ls="--", label=f"$p = {level:g}$")
    names = ("$x_1$", "$x_2$") if feature_names is None else feature_names
    ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), xlabel=names[0], ylabel=names[1])
    ax.legend(loc="best")
    return ax


def _line_points(
    w1: float, w2: float, bias: float, offset: float, low: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """200 points of ``w1 x1 + w2 x2 + b = offset`` in the box ``[low, high]``.

    Parametrised along the axis the line is least steep on, so a steep line is drawn too.
    """
    if abs(w2) >= abs(w1):
        x1 = np.linspace(low[0], high[0], 200)
        return x1, (offset - bias - w1 * x1) / w2
    x2 = np.linspace(low[1], high[1], 200)
    return (offset - bias - w2 * x2) / w1, x2


@_closes_figure_on_error
def plot_roc_curve(fpr: Tensor, tpr: Tensor, ax: Axes | None = None, label: str | None = None) -> Axes:
    """True- against false-positive rate (from :func:`lrcore.roc_curve`), with the chance diagonal.

    Consecutive points are joined by straight lines, the segments whose area
    :func:`lrcore.auc` adds up. Call it again on the same ``ax`` to compare models.
    """
    fpr, tpr = _check_rates(("fpr", "tpr"), fpr, tpr)
    _check_label(label)
    ax = _axes(ax)
    if not any(line.get_gid() == "chance" for line in ax.lines):  # once, however many curves
        ax.plot([0, 1], [0, 1], color="gray", lw=1, ls="--", label="chance", gid="chance")
    ax.plot(_numpy(fpr), _numpy(tpr), color=_next_color(ax), lw=2.5, label=label)
    ax.set(
        xlabel="false-positive rate (1 - specificity)",
        ylabel="true-positive rate (recall)",
        xlim=(-0.02, 1.02),
        ylim=(-0.02, 1.02),
        aspect="equal",
    )
    if label is not None:
        ax.legend(loc="lower right")
    return ax


@_closes_figure_on_error
def plot_precision_recall_curve(
    precision: Tensor, recall: Tensor, ax: Axes | None = None, label: str | None = None
) -> Axes:
    """Precision against recall (from :func:`lrcore.precision_recall_curve`), as a step curve.

    Drawn as scikit-learn's ``PrecisionRecallDisplay`` draws it: steps, not straight lines,
    because precision does not vary linearly between two thresholds. Call it again on the
    same ``ax`` to compare models.
    """
    precision, recall = _check_rates(("precision", "recall"), precision, recall)
    _check_label(label)
    ax = _axes(ax)
    ax.plot(_numpy(recall), _numpy(precision), color=_next_color(ax), lw=2.5, drawstyle="steps-post", label=label)
    ax.set(xlabel="recall", ylabel="precision", xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
    if label is not None:
        ax.legend(loc="lower left")
    return ax


@_closes_figure_on_error
def plot_reliability_diagram(
    curve: CalibrationCurve, ax: Axes | None = None, counts_ax: Axes | None = None, label: str | None = None
) -> Axes:
    """The reliability diagram of a :func:`lrcore.calibration_curve`, with the counts per bin beneath.

    Each point is a non-empty bin: its mean predicted probability across, its fraction of
    positive samples up. A calibrated model's points lie on the dashed diagonal. The bars on
    ``counts_ax`` show how many samples each bin holds: a point that stands for two samples
    says little. Without ``ax`` (and ``counts_ax``), a figure with both panels is made; with
    ``ax`` only, no counts are drawn. Call it again on the same axes to compare models.

    Returns
    -------
    Axes
        ``ax``, the diagram's.
    """
    if not isinstance(curve, CalibrationCurve):
        raise TypeError(
            f"curve must be a CalibrationCurve (what lrcore.calibration_curve returns), got {_type_name(curve)}"
        )
    if counts_ax is not None and not isinstance(counts_ax, Axes):
        raise TypeError(f"counts_ax must be a matplotlib Axes or None, got {_type_name(counts_ax)}")
    if ax is None and counts_ax is not None:
        raise ValueError("counts_ax needs ax too: pass both, or neither to make a new figure")
    if counts_ax is not None and counts_ax is ax:
        raise ValueError("counts_ax must be another Axes than ax: the counts go beneath the diagram")
    _check_label(label)
    fraction, mean = _check_rates(("curve.fraction_positive", "curve.mean_predicted"), *curve[:2])
    edges, counts = _array("curve.edges", curve.edges, 1), _array("curve.counts", curve.counts, 1)
    bins = _array("curve.bins", curve.bins, 1)
    if not counts.shape == bins.shape == fraction.shape:
        raise ValueError(
            f"curve.counts, curve.bins and the curve's points must have the same length, got "
            f"{counts.size}, {bins.size} and {fraction.size}"
        )
    _check_bins(edges, counts, bins)
    if ax is None:
        figure = plt.figure(figsize=(6, 6.4), layout="constrained")
        ax, counts_ax = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    else:
        _axes(ax)
    color = _next_color(ax)
    if not any(line.get_gid() == "chance" for line in ax.lines):  # once, however many curves
        ax.plot([0, 1], [0, 1], color="gray", lw=1, ls="--", label="perfectly calibrated", gid="chance")
    ax.plot(mean, fraction, "o-", color=color, lw=2.5, ms=6, label=label)
    ax.set(ylabel="fraction of positives in the bin", xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
    if label is not None:
        ax.legend(loc="upper left")
    if counts_ax is None:
        ax.set_xlabel("mean predicted probability in the bin")
        return ax
    per_bin = np.zeros(edges.size - 1)
    per_bin[bins.astype(np.int64)] = counts
    counts_ax.stairs(per_bin, edges, color=color, lw=2, fill=False)
    counts_ax.stairs(per_bin, edges, color=color, alpha=0.2, fill=True)
    counts_ax.set(xlabel="predicted probability", ylabel="samples")
    return ax


def _check_bins(edges: np.ndarray, counts: np.ndarray, bins: np.ndarray) -> None:
    """A :class:`CalibrationCurve`'s bins as :func:`lrcore.calibration_curve` makes them, or a ValueError naming them.

    ``edges``: at least 2 non-decreasing probabilities in [0, 1]; ``bins``: whole, strictly
    increasing indices of its bins; ``counts``: whole numbers >= 1 (only non-empty bins have points).
    """
    if edges.size < 2 or not ((edges >= 0) & (edges <= 1)).all() or (np.diff(edges) < 0).any():
        raise ValueError(
            f"curve.edges must be at least 2 non-decreasing probabilities in [0, 1] (no NaN or inf), got {_show(edges)}"
        )
    if not ((bins == np.round(bins)) & (bins >= 0) & (bins < edges.size - 1)).all() or (np.diff(bins) <= 0).any():
        raise ValueError(
            f"curve.bins must be strictly increasing whole indices of the {edges.size - 1} bins that curve.edges "
            f"bound, got {_show(bins)}"
        )
    if not (np.isfinite(counts) & (counts >= 1) & (counts == np.round(counts))).all():
        raise ValueError(f"curve.counts must be whole numbers >= 1 (samples in a non-empty bin), got {_show(counts)}")


def _next_color(ax: Axes) -> str:
    """An Okabe-Ito colour not yet used by a curve on ``ax`` (the gray chance line aside)."""
    used = sum(1 for line in ax.lines if line.get_gid() != "chance")
    return list(COLORS.values())[used % len(COLORS)]


def use_book_style() -> None:
    """Matplotlib settings shared by every chapter: readable fonts, opaque white figures.

    An opaque background keeps the axes' black text legible when the theme switches to dark
    mode; a transparent PNG would put black labels on a dark page.
    """
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.fontsize": 10,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
    )
