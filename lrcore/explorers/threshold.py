"""The threshold explorer: a slider for the decision threshold over the ROC and precision-recall curves.

Everything the figure shows is computed here, at build time, by ``lrcore``: the curves by
:func:`lrcore.roc_curve` and :func:`lrcore.precision_recall_curve`, and at every threshold of a
grid the confusion matrix (:func:`lrcore.confusion_matrix`), the four ratios
(:func:`lrcore.compute_metrics`) and, if costs are given, the cost per sample of chapter 13,
``(cost_fn * FN + cost_fp * FP) / n``. The page's script only looks them up: moving the slider
moves the point on both curves and swaps the numbers, with no kernel and no computation.

The output is one self-contained HTML fragment: the data as JSON, the drawing code
(``threshold.js``, inlined), a scoped ``<style>`` and, for readers without JavaScript (and for
print), a PNG of the same figure at the initial threshold. The script builds the controls, so
a reader without JavaScript sees the image and its description only.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from html import escape
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import torch
from torch import Tensor

from lrcore._validation import _real, _show, _type_name, check_column, check_non_negative_number, check_same_rows
from lrcore.explorers import _html
from lrcore.metrics import (
    UndefinedMetricWarning,
    _check_binary,
    _check_curve_args,
    compute_metrics,
    confusion_matrix,
    precision_recall_curve,
    roc_curve,
)
from lrcore.plotting import (
    COLORS,
    plot_confusion_matrix,
    plot_precision_recall_curve,
    plot_roc_curve,
    use_book_style,
)

#: The thresholds of chapter 13's sweep: 0.01, 0.02, ..., 0.99.
DEFAULT_THRESHOLDS = tuple(round(k / 100, 2) for k in range(1, 100))
#: Decimals of the numbers shown next to the figure (as chapter 13's text shows them).
SHOWN_DECIMALS = 3
#: Decimals of the curves' coordinates in the JSON: a fiftieth of a pixel on the 222-pixel plots.
COORD_DECIMALS = 4
#: The most samples (rows of ``logits``) one figure takes: its two curves hold a point per distinct
#: score, about 20 bytes of the page each, so 5,000 samples add about 100 KB (the book's 114, 2 KB);
#: 100,000 would make a figure of 2 MB. Above it, :func:`threshold_explorer` refuses.
MAX_SAMPLES = 5_000
#: The most slider positions (``thresholds``): about 75 bytes of the page each (the book's 99, 7 KB).
MAX_THRESHOLDS = 1_000


@dataclass(frozen=True)
class ThresholdSweep:
    """What the threshold explorer shows, computed by :func:`threshold_sweep`.

    Attributes
    ----------
    thresholds : tuple of float, length k
        The slider's thresholds on the predicted probability, increasing.
    counts : tuple of (tn, fp, fn, tp), length k
        The confusion matrix at each threshold (predicting 1 for ``sigmoid(logit) >= t``).
    metrics : tuple of dict, length k
        ``compute_metrics`` at each threshold; ``"precision"`` is ``None`` where nothing is
        predicted positive (0/0), ``"recall"`` never is (the data hold a positive sample).
    costs : tuple of float, length k, or None
        ``(cost_fn * FN + cost_fp * FP) / n`` at each threshold, ``None`` without costs.
    roc : tuple of Tensor
        ``(fpr, tpr)`` of :func:`lrcore.roc_curve` on the logits.
    pr : tuple of Tensor
        ``(precision, recall)`` of :func:`lrcore.precision_recall_curve` on the logits.
    cost_fn, cost_fp : float or None
        The costs the sweep was given, as floats; both ``None`` without costs.
    """

    thresholds: tuple[float, ...]
    counts: tuple[tuple[int, int, int, int], ...]
    metrics: tuple[dict[str, float | None], ...]
    costs: tuple[float, ...] | None
    roc: tuple[Tensor, Tensor]
    pr: tuple[Tensor, Tensor]
    cost_fn: float | None
    cost_fp: float | None


def _check_thresholds(thresholds: object) -> tuple[float, ...]:
    if isinstance(thresholds, (str, bytes)) or not hasattr(thresholds, "__iter__"):
        raise TypeError(f"thresholds must be a sequence of numbers in (0, 1), got {_type_name(thresholds)}")
    values = tuple(_real("thresholds", t) for t in thresholds)
    if len(values) < 2:
        raise ValueError(f"thresholds must hold at least 2 values for a slider, got {len(values)}")
    for t in values:
        if not 0 < t < 1:
            raise ValueError(f"thresholds must lie in (0, 1), got {_show(t)}")
    for low, high in zip(values, values[1:]):  # noqa: B905 (one shorter on purpose)
        if not low < high:
            raise ValueError(f"thresholds must be strictly increasing, got {low:g} then {high:g}")
    return values


def _check_costs(cost_fn: object, cost_fp: object) -> tuple[float | None, float | None]:
    if (cost_fn is None) != (cost_fp is None):
        raise ValueError(
            f"cost_fn and cost_fp must be given together or not at all, got cost_fn={_show(cost_fn)} "
            f"and cost_fp={_show(cost_fp)}"
        )
    if cost_fn is None:
        return None, None
    return check_non_negative_number("cost_fn", cost_fn), check_non_negative_number("cost_fp", cost_fp)


def threshold_sweep(
    logits: Tensor,
    y_true: Tensor,
    thresholds: object = DEFAULT_THRESHOLDS,
    *,
    cost_fn: float | None = None,
    cost_fp: float | None = None,
) -> ThresholdSweep:
    """The confusion matrix, metrics and cost at every threshold of a grid, and the two curves.

    Parameters
    ----------
    logits : Tensor of shape (n, 1)
        The model's scores ``x w + b``, floating (float64 in the book).
    y_true : Tensor of shape (n, 1)
        True labels, 0 or 1; both classes must be present.
    thresholds : sequence of float, length k >= 2
        Thresholds on the probability ``sigmoid(logits)``, strictly increasing in (0, 1);
        default 0.01, 0.02, ..., 0.99, the grid of chapter 13.
    cost_fn, cost_fp : float >= 0, optional
        The cost of a missed positive and of a false alarm (both or neither).

    Returns
    -------
    ThresholdSweep
        Predicting 1 where ``sigmoid(logits) >= t``, as chapter 13 does.

    Raises
    ------
    TypeError, ValueError
        On a bad argument, naming it.
    """
    logits = check_column("logits", logits).detach()
    y_true = _check_binary("y_true", y_true)
    check_same_rows("logits", logits, "y_true", y_true)
    values = _check_thresholds(thresholds)
    cost_fn, cost_fp = _check_costs(cost_fn, cost_fp)
    _check_curve_args(logits, y_true, negatives=True)  # both classes must be present
    return _sweep_thresholds(logits, y_true, values, cost_fn, cost_fp)


def _sweep_thresholds(
    logits: Tensor, y_true: Tensor, values: tuple[float, ...], cost_fn: float | None, cost_fp: float | None
) -> ThresholdSweep:
    """Counts, metrics and cost (if costs are given) at each threshold in ``values``, and the curves.

    ``logits``, ``y_true`` : (n, 1), both classes present. Predicts 1 where
    ``sigmoid(logits) >= t``; an undefined precision (nothing flagged) is recorded as None.
    """
    fpr, tpr, _ = roc_curve(logits, y_true)
    precision, recall, _ = precision_recall_curve(logits, y_true)
    probabilities = torch.sigmoid(logits)
    counts, metrics, costs = [], [], []
    for t in values:
        y_pred = (probabilities >= t).long()
        (tn, fp), (fn, tp) = confusion_matrix(y_pred, y_true).tolist()
        with warnings.catch_warnings():
            # 0/0 precision (nothing flagged) is shown as undefined, not as lrcore's conventional 0.
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            shown: dict[str, float | None] = dict(compute_metrics(y_pred, y_true))
        if tp + fp == 0:
            shown["precision"] = None
        counts.append((tn, fp, fn, tp))
        metrics.append(shown)
        if cost_fn is not None:
            costs.append(_cost(cost_fn, fn, cost_fp, fp, y_true.shape[0]))
    return ThresholdSweep(
        thresholds=values,
        counts=tuple(counts),
        metrics=tuple(metrics),
        costs=tuple(costs) if cost_fn is not None else None,
        roc=(fpr, tpr),
        pr=(precision, recall),
        cost_fn=cost_fn,
        cost_fp=cost_fp,
    )


def _cost(cost_fn: float, fn: int, cost_fp: float, fp: int, n: int) -> float:
    """``(cost_fn * fn + cost_fp * fp) / n``, divided first where the products overflow (costs of 1e308)."""
    cost = (cost_fn * fn + cost_fp * fp) / n
    return cost if cost < float("inf") else cost_fn * (fn / n) + cost_fp * (fp / n)


def _shown(value: float | None) -> str:
    return "undefined (0/0)" if value is None else f"{value:.{SHOWN_DECIMALS}f}"


def _decimals(values: tuple[float, ...]) -> int:
    """The fewest decimals that write every threshold exactly (2 for 0.01, ..., 0.99), or else tell them apart.

    A float has at most 17 significant digits, so 17 decimals write thresholds in (0, 1) apart.
    """
    exact = next((d for d in range(18) if all(round(v, d) == v for v in values)), None)
    if exact is not None:
        return exact
    return next(d for d in range(18) if len({f"{v:.{d}f}" for v in values}) == len(set(values)) or d == 17)


def _sweep_data(sweep: ThresholdSweep, initial: int) -> dict[str, Any]:
    """The JSON the page's script reads: curve coordinates rounded, numbers as the page shows them."""

    def coords(x: Tensor, y: Tensor) -> list[list[float]]:
        return [
            [round(a, COORD_DECIMALS), round(b, COORD_DECIMALS)] for a, b in zip(x.tolist(), y.tolist(), strict=True)
        ]

    n = sum(sweep.counts[0])
    decimals = _decimals(sweep.thresholds)
    points = []
    for (tn, fp, fn, tp), shown in zip(sweep.counts, sweep.metrics, strict=True):
        precision = shown["precision"]
        points.append(
            [
                round(fp / (fp + tn), COORD_DECIMALS),
                round(tp / (tp + fn), COORD_DECIMALS),
                round(shown["recall"], COORD_DECIMALS),
                None if precision is None else round(precision, COORD_DECIMALS),
            ]
        )
    shown = {key: [_shown(m[key]) for m in sweep.metrics] for key in ("precision", "recall", "f1", "accuracy")}
    if sweep.costs is not None:
        shown["cost"] = [_shown(c) for c in sweep.costs]
    return {
        "thresholds": [f"{t:.{decimals}f}" for t in sweep.thresholds],
        "initial": initial,
        "n": n,
        "positives": sweep.counts[0][2] + sweep.counts[0][3],
        "cost": None if sweep.cost_fn is None else {"fn": f"{sweep.cost_fn:g}", "fp": f"{sweep.cost_fp:g}"},
        "roc": coords(*sweep.roc),
        "pr": coords(sweep.pr[1], sweep.pr[0]),  # (recall, precision): x first
        "points": points,
        "counts": [list(c) for c in sweep.counts],
        "shown": shown,
    }


def _fallback_figure(sweep: ThresholdSweep, initial: int):
    """The static figure at the initial threshold: both curves with the threshold's point, and its matrix."""
    t = f"{sweep.thresholds[initial]:.{_decimals(sweep.thresholds)}f}"
    tn, fp, fn, tp = sweep.counts[initial]
    shown = sweep.metrics[initial]
    fig, (ax_roc, ax_pr, ax_cm) = plt.subplots(
        1, 3, figsize=(11, 3.7), layout="constrained", gridspec_kw={"width_ratios": [1, 1, 0.8]}
    )
    try:
        plot_roc_curve(*sweep.roc, ax=ax_roc, label="ROC curve")
        ax_roc.plot([fp / (fp + tn)], [tp / (tp + fn)], "o", ms=9, color=COLORS["red"], label=f"t = {t}")
        ax_roc.legend(loc="lower right")
        plot_precision_recall_curve(*sweep.pr, ax=ax_pr, label="precision-recall curve")
        if shown["precision"] is not None:
            ax_pr.plot([shown["recall"]], [shown["precision"]], "o", ms=9, color=COLORS["red"], label=f"t = {t}")
        ax_pr.legend(loc="lower left")
        plot_confusion_matrix(torch.tensor([[tn, fp], [fn, tp]]), ax=ax_cm)
        ax_cm.set_title(f"threshold t = {t}")
    except BaseException:
        plt.close(fig)
        raise
    return fig


def threshold_explorer(
    logits: Tensor,
    y_true: Tensor,
    *,
    name: str,
    description: str,
    thresholds: object = DEFAULT_THRESHOLDS,
    initial: float = 0.5,
    cost_fn: float | None = None,
    cost_fp: float | None = None,
) -> _html.HTMLFigure:
    """The interactive threshold figure, as one self-contained HTML output.

    A slider sets the threshold; the point on the ROC and precision-recall curves moves, and
    the confusion matrix, precision, recall, F1, accuracy and (with costs) the cost per sample
    change, all looked up in what :func:`threshold_sweep` computed.

    Parameters
    ----------
    logits : Tensor of shape (n, 1)
        The model's scores on the split to show (the validation split in the book); at most
        :data:`MAX_SAMPLES` (5,000) rows, so that the figure stays light.
    y_true : Tensor of shape (n, 1)
        Its labels, 0 or 1, both present.
    name : str
        1 to 40 lower-case letters, digits and hyphens, starting with a letter: the ids of the
        figure's elements derive from it (``lrx-<name>-...``), so the HTML is the same in every
        build. Unique on its page.
    description : str
        The visible text beside the figure that says what it shows (plain text); also what a
        plain-text display of the output shows.
    thresholds : sequence of float
        The slider's positions, see :func:`threshold_sweep`; at most :data:`MAX_THRESHOLDS` (1,000).
    initial : float
        Where the slider starts: one of ``thresholds`` (a ``numpy.float32`` that equals one
        of them in float32 counts, as does a ``Fraction`` equal to one). The fallback image shows this threshold.
    cost_fn, cost_fp : float >= 0, optional
        Costs of a missed positive and of a false alarm; if given, the cost per sample is shown.

    Returns
    -------
    HTMLFigure
        Its HTML: the fallback image and the description, the data (JSON), the script.

    Raises
    ------
    TypeError, ValueError
        On a bad argument, naming it.
    """
    name = _html.check_name(name)
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, got {_type_name(description)}")
    if not description.strip():
        raise ValueError("description must say what the figure shows, got an empty string")
    sweep = threshold_sweep(logits, y_true, thresholds, cost_fn=cost_fn, cost_fp=cost_fp)
    for arg, size, limit, what in (
        ("logits", sum(sweep.counts[0]), MAX_SAMPLES, "rows (samples)"),
        ("thresholds", len(sweep.thresholds), MAX_THRESHOLDS, "values"),
    ):
        if size > limit:
            raise ValueError(
                f"{arg} must have at most {limit:,} {what} for one figure "
                f"(lrcore.explorers.threshold.MAX_{'SAMPLES' if arg == 'logits' else 'THRESHOLDS'}: "
                f"a page's figure should weigh kilobytes), got {size:,}"
            )
    index = _html.matching_index(list(sweep.thresholds), initial, _real("initial", initial))
    if index is None:
        raise ValueError(f"initial must be one of thresholds, got {_show(initial)}")
    data = _sweep_data(sweep, index)
    tn, fp, fn, tp = sweep.counts[index]
    alt = (
        f"At threshold {data['thresholds'][index]}: the ROC curve and the precision-recall curve, each with the "
        f"point of that threshold marked, and the confusion matrix (TN {tn}, FP {fp}, FN {fn}, TP {tp})."
    )
    with matplotlib.rc_context():
        use_book_style()  # the chapters' look, restored on exit: the output does not depend on the caller's style
        fig = _fallback_figure(sweep, index)
        try:
            image = _html.fallback_image(fig, alt)
        finally:
            plt.close(fig)
    root = _html.element_id(name)
    call = f"lrThresholdExplorer(document.getElementById({json.dumps(root)}));"
    html = (
        f'<div class="{_html.ROOT_CLASS} lrx-threshold" id="{root}">'
        + _html.style_tag(_CSS)
        + image
        + '<div class="lrx-live" hidden></div>'
        + f'<p class="lrx-description" id="{root}-description">{escape(description)}</p>'
        + f'<script type="application/json" id="{root}-data">{_html.to_json(data)}</script>'
        + f"<script>{_html.read_script('threshold.js')}\n{call}</script>"
        + "</div>"
    )
    return _html.HTMLFigure(html, description)


# Scoped to the figure's root class; colours from the shared light/dark variables (_html.BASE_CSS).
_CSS = """
.lrx-threshold .lrx-plots { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: flex-start; }
.lrx-threshold svg { width: 300px; }
.lrx-threshold .lrx-axis { stroke: var(--lrx-fg); stroke-width: 1; fill: none; }
.lrx-threshold .lrx-grid { stroke: var(--lrx-grid); stroke-width: 1; }
.lrx-threshold .lrx-chance { stroke: var(--lrx-muted); stroke-width: 1; stroke-dasharray: 4 3; fill: none; }
.lrx-threshold .lrx-curve { stroke: var(--lrx-blue); stroke-width: 2.5; fill: none; }
.lrx-threshold .lrx-point { fill: var(--lrx-red); stroke: var(--lrx-fg); stroke-width: 1.5; }
.lrx-threshold input[type="range"] { width: 18rem; max-width: 100%; }
.lrx-threshold table { border-collapse: collapse; margin: 0.3rem 0; }
.lrx-threshold caption { caption-side: top; text-align: left; font-weight: 600; }
.lrx-threshold th, .lrx-threshold td { border: 1px solid var(--lrx-grid); padding: 0.15rem 0.6rem; text-align: center; }
.lrx-threshold td, .lrx-threshold .lrx-status { font-variant-numeric: tabular-nums; }
"""
