"""Figures of the book. Each helper draws on an Axes and returns it; none calls ``plt.show()``.

Colours come from the colour-blind-safe Okabe-Ito palette and lines are thick enough to read
on the light and the dark theme alike (the book saves figures on a white background).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from torch import Tensor

from lrcore.optim import History

#: Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
COLORS = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "red": "#D55E00", "purple": "#CC79A7"}


def _axes(ax: Axes | None) -> Axes:
    return plt.subplots(figsize=(6, 4), layout="constrained")[1] if ax is None else ax


def _numpy(t) -> np.ndarray:
    return t.detach().cpu().numpy() if isinstance(t, Tensor) else np.asarray(t)


def plot_sigmoid(z_range: tuple[float, float] = (-10, 10), ax: Axes | None = None) -> Axes:
    """The sigmoid on ``z_range``, with ``s(0) = 0.5`` marked."""
    ax = _axes(ax)
    z = torch.linspace(*z_range, 401)
    ax.plot(z, torch.sigmoid(z), color=COLORS["blue"], lw=2.5, label=r"$s(z) = 1 / (1 + e^{-z})$")
    ax.axhline(0.5, color="gray", lw=1, ls="--")
    ax.axvline(0, color="gray", lw=1, ls="--")
    ax.plot([0], [0.5], "o", color=COLORS["red"], label=r"$s(0) = 0.5$")
    ax.set(xlabel="$z$", ylabel="$s(z)$", ylim=(-0.03, 1.03))
    ax.legend(loc="upper left")
    return ax


def plot_bce_per_sample(ax: Axes | None = None) -> Axes:
    """Per-sample BCE against the predicted probability, for target 1 and for target 0."""
    ax = _axes(ax)
    p = torch.linspace(0.001, 0.999, 999, dtype=torch.float64)
    ax.plot(p, -torch.log(p), color=COLORS["blue"], lw=2.5, label=r"target $y=1$: $-\log\hat y$")
    ax.plot(p, -torch.log1p(-p), color=COLORS["orange"], lw=2.5, ls="--", label=r"target $y=0$: $-\log(1-\hat y)$")
    ax.set(xlabel=r"predicted probability $\hat y$", ylabel="loss of one sample", ylim=(0, 7))
    ax.legend(loc="upper center")
    return ax


def plot_loss_landscape(
    J: Tensor,
    ws: Tensor,
    bs: Tensor,
    trajectory: History | None = None,
    ax: Axes | None = None,
    levels: int = 30,
) -> Axes:
    """Filled contours of ``J[i, j]`` (at ``ws[i]``, ``bs[j]``), with an optional GD path.

    NaN entries stay blank, which is how the naive float32 landscape shows its holes.
    """
    ax = _axes(ax)
    J = _numpy(J)
    finite = J[np.isfinite(J)]
    contour = ax.contourf(
        _numpy(ws), _numpy(bs), J.T, levels=np.linspace(finite.min(), finite.max(), levels), cmap="viridis"
    )
    ax.figure.colorbar(contour, ax=ax, label="mean BCE $J(w, b)$")
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


def plot_loss_curves(history: History, ax: Axes | None = None, log_x: bool = False) -> Axes:
    """Train (and validation) loss against the step."""
    ax = _axes(ax)
    steps = np.arange(history.num_steps)
    ax.plot(steps, _numpy(history.train_loss), color=COLORS["blue"], lw=2.5, label="train")
    if history.val_loss is not None:
        ax.plot(steps, _numpy(history.val_loss), color=COLORS["orange"], lw=2.5, ls="--", label="validation")
    ax.set(xlabel="step", ylabel="mean BCE")
    if log_x:
        ax.set_xscale("symlog")
    ax.legend()
    return ax


def plot_metric_curves(curves: Mapping[str, Sequence[float]], ax: Axes | None = None) -> Axes:
    """One line per metric (name -> value at every step)."""
    ax = _axes(ax)
    styles = itertools.cycle(["-", "--", ":", "-."])
    for (name, values), color, style in zip(curves.items(), itertools.cycle(COLORS.values()), styles):
        ax.plot(np.arange(len(values)), _numpy(values), color=color, ls=style, lw=2.5, label=name)
    ax.set(xlabel="step", ylabel="value on the validation split", ylim=(-0.02, 1.02))
    ax.legend(loc="lower right")
    return ax


def plot_confusion_matrix(cm: Tensor, ax: Axes | None = None) -> Axes:
    """The 2 x 2 counts ``[[TN, FP], [FN, TP]]`` as an annotated heat map."""
    ax = _axes(ax)
    counts = _numpy(cm)
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
