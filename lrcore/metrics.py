"""Classification metrics, with malignant (1) as the positive class.

On 0/1 predictions: where a ratio is 0/0 (no predicted positives for precision, no actual
positives for recall) the functions return 0.0 and emit :class:`UndefinedMetricWarning`, as
scikit-learn does with its default ``zero_division="warn"``; they never return NaN.

On scores (probabilities or logits): :func:`roc_curve` and :func:`precision_recall_curve`
sweep the threshold over every distinct score and return the same arrays as their
``sklearn.metrics`` namesakes. When ``y_true`` lacks a class that a curve divides by (either
class for the ROC curve, the positive class for precision-recall), scikit-learn warns and
returns NaN or a conventional value; these functions raise ``ValueError`` instead, since a
curve made of 0/0 has nothing to show.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from lrcore import _numerics
from lrcore._validation import (
    _shape,
    check_column,
    check_finite,
    check_labels,
    check_matrix,
    check_memory,
    check_same_dtype,
    check_same_rows,
    check_tensor,
    check_threshold,
    checked_by,
    external_stacklevel,
)


class UndefinedMetricWarning(UserWarning):
    """A metric was 0/0 and has been reported as 0."""


def _check_binary(name: str, t: object) -> Tensor:
    t = check_tensor(name, t, floating=False).detach()
    if t.dtype.is_complex:
        raise TypeError(f"{name} must have a real dtype (bool, integer or floating), got {t.dtype}")
    if t.ndim != 2 or t.shape[1] != 1:
        raise ValueError(f"{name} must have shape (n, 1), got shape {tuple(t.shape)}")
    if not bool(((t == 0) | (t == 1)).all()):
        raise ValueError(f"{name} must contain only 0 and 1 (threshold probabilities first), got other values")
    return t


def _check_confusion_matrix_args(y_pred: object, y_true: object) -> dict:
    y_pred = _check_binary("y_pred", y_pred)
    y_true = _check_binary("y_true", y_true)
    check_same_rows("y_pred", y_pred, "y_true", y_true)
    return {"y_pred": y_pred, "y_true": y_true}


@checked_by(_check_confusion_matrix_args)
def confusion_matrix(y_pred: Tensor, y_true: Tensor) -> Tensor:
    """Counts of the four outcomes, laid out as scikit-learn does.

    Parameters
    ----------
    y_pred : Tensor of shape (n, 1)
        Predicted labels, 0 or 1 (any dtype, bool included).
    y_true : Tensor of shape (n, 1)
        True labels, 0 or 1.

    Returns
    -------
    Tensor of shape (2, 2), dtype int64
        ``[[TN, FP], [FN, TP]]``: rows are the true class, columns the predicted one.

    Examples
    --------
    >>> confusion_matrix(torch.tensor([[1], [0], [1]]), torch.tensor([[1], [1], [0]]))
    tensor([[0, 1],
            [1, 1]])
    """
    index = 2 * y_true.long() + y_pred.long()  # 0 = TN, 1 = FP, 2 = FN, 3 = TP
    return torch.bincount(index.reshape(-1), minlength=4).reshape(2, 2)


def _ratio(numerator: int, denominator: int, metric: str, why: str) -> float:
    if denominator == 0:
        warnings.warn(
            f"{metric} is 0/0 ({why}); reporting 0.0", UndefinedMetricWarning, stacklevel=external_stacklevel()
        )
        return 0.0
    return numerator / denominator


def accuracy(y_pred: Tensor, y_true: Tensor) -> float:
    """Fraction of predictions that are right: ``(TP + TN) / n``.

    Parameters
    ----------
    y_pred, y_true : Tensor of shape (n, 1), values 0 or 1

    Returns
    -------
    float in [0, 1]
    """
    (tn, _fp), (_fn, tp) = confusion_matrix(y_pred, y_true).tolist()
    return (tp + tn) / y_true.shape[0]


def precision(y_pred: Tensor, y_true: Tensor) -> float:
    """Of the samples predicted malignant, the fraction that are: ``TP / (TP + FP)``.

    Parameters
    ----------
    y_pred, y_true : Tensor of shape (n, 1), values 0 or 1

    Returns
    -------
    float in [0, 1]
        0.0 with an :class:`UndefinedMetricWarning` when nothing is predicted positive.
    """
    (_tn, fp), (_fn, tp) = confusion_matrix(y_pred, y_true).tolist()
    return _ratio(tp, tp + fp, "precision", "no sample was predicted positive")


def recall(y_pred: Tensor, y_true: Tensor) -> float:
    """Of the malignant samples, the fraction found: ``TP / (TP + FN)``.

    Parameters
    ----------
    y_pred, y_true : Tensor of shape (n, 1), values 0 or 1

    Returns
    -------
    float in [0, 1]
        0.0 with an :class:`UndefinedMetricWarning` when there is no positive sample.
    """
    (_tn, _fp), (fn, tp) = confusion_matrix(y_pred, y_true).tolist()
    return _ratio(tp, tp + fn, "recall", "there is no positive sample")


def f1_score(y_pred: Tensor, y_true: Tensor) -> float:
    """Harmonic mean of precision and recall: ``2 TP / (2 TP + FP + FN)``.

    This form equals ``2 P R / (P + R)`` whenever that is defined, and needs no special
    case when precision or recall is 0/0.

    Parameters
    ----------
    y_pred, y_true : Tensor of shape (n, 1), values 0 or 1

    Returns
    -------
    float in [0, 1]
        0.0 with an :class:`UndefinedMetricWarning` when there is neither a positive sample
        nor a positive prediction.
    """
    (_tn, fp), (fn, tp) = confusion_matrix(y_pred, y_true).tolist()
    return _ratio(2 * tp, 2 * tp + fp + fn, "F1", "no positive sample and no positive prediction")


def compute_metrics(y_pred: Tensor, y_true: Tensor) -> dict[str, float]:
    """Accuracy, precision, recall and F1 in one dictionary.

    Parameters
    ----------
    y_pred, y_true : Tensor of shape (n, 1), values 0 or 1

    Returns
    -------
    dict
        Keys ``"accuracy"``, ``"precision"``, ``"recall"``, ``"f1"``.
    """
    return {
        "accuracy": accuracy(y_pred, y_true),
        "precision": precision(y_pred, y_true),
        "recall": recall(y_pred, y_true),
        "f1": f1_score(y_pred, y_true),
    }


def _check_trajectory_args(x: object, y_true: object, weights: object, biases: object, threshold: object) -> dict:
    x = check_matrix("x", x).detach()
    y_true = check_labels("y_true", y_true).detach()
    check_same_rows("x", x, "y_true", y_true)
    check_same_dtype("x", x, "y_true", y_true)
    weights = check_tensor("weights", weights).detach()
    biases = check_tensor("biases", biases).detach()
    check_same_dtype("x", x, "weights", weights)
    check_same_dtype("x", x, "biases", biases)
    d = x.shape[1]
    if weights.ndim != 3 or weights.shape[1:] != (d, 1):
        raise ValueError(f"weights must have shape (k, {d}, 1), got shape {tuple(weights.shape)}")
    if tuple(biases.shape) != (weights.shape[0], 1, 1):
        raise ValueError(
            f"biases must have shape ({weights.shape[0]}, 1, 1) to match weights of shape {tuple(weights.shape)}, "
            f"got shape {tuple(biases.shape)}"
        )
    threshold = check_threshold(threshold)
    k = weights.shape[0]
    check_memory(
        f"metrics_along_trajectory of {k} parameter sets on n={x.shape[0]} samples",
        _trajectory_bytes(x.shape[0], d, k, x.element_size()),
        "pass fewer steps at a time (a slice of weights and biases), or record fewer (fit's record_every)",
    )
    check_finite("weights", weights)
    check_finite("biases", biases)
    return {"x": x, "y_true": y_true, "weights": weights, "biases": biases, "threshold": threshold}


def _trajectory_block(n: int) -> int:
    """Parameter sets :func:`metrics_along_trajectory` evaluates at once (its ``block``): 2**22 logits."""
    return max(1, 2**22 // n)


def _trajectory_bytes(n: int, d: int, k: int, itemsize: int) -> int:
    """Peak bytes of :func:`metrics_along_trajectory` on ``k`` parameter sets of ``d`` weights and ``n`` samples.

    Counted: the finiteness checks (a bool per number of ``x``, ``y_true``, the weights and
    biases); per block, the logits, the probabilities, the flags as bool and as counts, a
    spare of the logits' size, and the block's weights; the four metrics
    in the counting dtype twice (the blocks' parts and their concatenation) and once in ``x``'s
    dtype, with four tensor objects of about 2 KiB per block; 1 MiB.
    """
    count = itemsize if n <= 2**24 else 8
    block = _trajectory_block(n)
    temporaries = block * n * (3 * itemsize + 1 + count) + block * d * itemsize
    results = 4 * k * (2 * count + itemsize) + 4 * 2048 * -(-k // block)
    return (k + n) * (d + 1) + temporaries + results + 2**20


@checked_by(_check_trajectory_args)
def metrics_along_trajectory(
    x: Tensor, y_true: Tensor, weights: Tensor, biases: Tensor, threshold: float = 0.5
) -> dict[str, Tensor]:
    """Accuracy, precision, recall and F1 of every parameter set in a trajectory, batched.

    The same numbers as calling :func:`compute_metrics` on the predictions of each
    ``(weights[k], biases[k])`` in turn, but from one matrix product for all ``k``: a
    10 000-step run costs one (n, 10 001) product instead of 10 001 Python-level evaluations.
    0/0 ratios are 0, as in the scalar functions (without a warning per step).

    Parameters
    ----------
    x : Tensor of shape (n, D)
    y_true : Tensor of shape (n, 1)
        Labels, 0 or 1.
    weights : Tensor of shape (k, D, 1)
        For example ``History.weights``.
    biases : Tensor of shape (k, 1, 1)
    threshold : float, default 0.5
        Predict 1 where the probability is ``>= threshold``.

    Returns
    -------
    dict of Tensor of shape (k,)
        Keys ``"accuracy"``, ``"precision"``, ``"recall"``, ``"f1"``, of ``x``'s dtype, from
        detached inputs; a block of steps at a time, so memory stays near 16 MB.
    """
    # Counts are exact integers in float32 up to 2**24 samples; beyond, count in float64.
    count_dtype = x.dtype if x.shape[0] <= 2**24 else torch.float64
    # Steps at a time: (n, block) logits of about 16 MB; the book's runs are one block.
    block = max(1, 2**22 // x.shape[0])
    parts = [
        _trajectory_metrics(x, y_true, w_block, b_block, threshold, count_dtype)
        for w_block, b_block in zip(weights.split(block), biases.split(block), strict=True)
    ]
    return {key: torch.cat([part[key] for part in parts]).to(x.dtype) for key in parts[0]}


def _trajectory_metrics(
    x: Tensor, y_true: Tensor, weights: Tensor, biases: Tensor, threshold: float, count_dtype: torch.dtype
) -> dict[str, Tensor]:
    """The four metrics of each of the k parameter sets in ``weights`` (k, D, 1), ``biases`` (k, 1, 1)."""
    # (n, D) @ (D, k) + (1, k): the logits of every step at once; compare probabilities, as
    # lrcore.predict does, so that both agree at the threshold itself.
    logits = torch.addmm(biases[:, 0, 0], x, weights[:, :, 0].T)
    predicted = (torch.sigmoid(logits) >= threshold).to(count_dtype)  # (n, k) of 0.0 / 1.0
    # Counts as products with the labels: one (1, n) @ (n, k) product instead of four masked
    # sums over the (n, k) matrix. They are exact integers (see the caller), so the ratios are
    # computed in that dtype too.
    labels = y_true.to(count_dtype)
    tp = (labels.T @ predicted).reshape(-1)
    predicted_positive = predicted.sum(dim=0)
    fp = predicted_positive - tp
    fn = labels.sum() - tp
    tn = x.shape[0] - tp - fp - fn

    def ratio(numerator: Tensor, denominator: Tensor) -> Tensor:
        return torch.where(denominator > 0, numerator / denominator.clamp_min(1), 0.0)

    return {
        "accuracy": (tp + tn) / x.shape[0],
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
    }


# ---------------------------------------------------------------------------- curves over thresholds


def _counts_at_thresholds(y_score: Tensor, y_true: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """True and false positives when predicting 1 for ``score >= t``, for each distinct score ``t``.

    ``y_score``, ``y_true`` : (n, 1). Returns ``(tps, fps, thresholds)``, each of shape (k,),
    thresholds decreasing; the counts are int64.
    """
    scores = y_score.reshape(-1)
    order = torch.argsort(scores, descending=True, stable=True)
    scores = scores[order]
    positive = y_true.reshape(-1)[order].long()
    # The last sample of each run of tied scores: all of a tie lands on the same side of a threshold.
    end = torch.tensor([scores.shape[0] - 1], device=scores.device)
    last = torch.cat([torch.nonzero(scores.diff()).reshape(-1), end])
    tps = positive.cumsum(0)[last]
    fps = last + 1 - tps
    return tps, fps, scores[last]


def _check_curve_args(y_score: object, y_true: object, *, negatives: bool) -> tuple[Tensor, Tensor]:
    """The checks of :func:`roc_curve` (``negatives=True``) and :func:`precision_recall_curve`."""
    y_score = check_column("y_score", y_score).detach()
    y_true = _check_binary("y_true", y_true)
    check_same_rows("y_score", y_score, "y_true", y_true)
    if not bool((y_true == 1).any()):
        raise ValueError(
            "y_true must contain at least one positive sample (1), got only 0: recall and the true-positive "
            "rate would be 0/0 at every threshold"
        )
    if negatives and not bool((y_true == 0).any()):
        raise ValueError(
            "y_true must contain at least one negative sample (0), got only 1: the false-positive rate "
            "would be 0/0 at every threshold"
        )
    return y_score, y_true


def roc_curve(y_score: Tensor, y_true: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The receiver operating characteristic: true- against false-positive rate, threshold by threshold.

    Predicting malignant for ``y_score >= t`` and sweeping ``t`` from above the highest score
    down to the lowest traces the curve from (0, 0) to (1, 1). Outputs are those of
    ``sklearn.metrics.roc_curve(y_true, y_score)`` with its default ``drop_intermediate=True``:
    points that lie on a straight segment between their neighbours are dropped, and the first
    threshold is ``inf`` (nothing predicted positive).

    Only the order of the scores matters, so probabilities and logits give the same rates.
    Prefer logits in float32: probabilities round to exactly 1 from a logit of about 16.6,
    which ties samples that the logits tell apart.

    Parameters
    ----------
    y_score : Tensor of shape (n, 1)
        Scores, higher meaning more likely malignant: probabilities or logits, floating.
    y_true : Tensor of shape (n, 1)
        True labels, 0 or 1 (any dtype); both classes must be present.

    Returns
    -------
    fpr : Tensor of shape (k,)
        False-positive rate ``FP / (FP + TN)`` at each threshold, increasing from 0 to 1.
    tpr : Tensor of shape (k,)
        True-positive rate (recall) ``TP / (TP + FN)``, increasing from 0 to 1.
    thresholds : Tensor of shape (k,)
        Decreasing; ``thresholds[0]`` is ``inf``. All three have ``y_score``'s dtype.

    Raises
    ------
    ValueError
        If ``y_true`` holds a single class: one of the two rates would be 0/0 (scikit-learn
        warns and returns NaN).

    Examples
    --------
    >>> y_score, y_true = torch.tensor([[0.1], [0.4], [0.35], [0.8]]), torch.tensor([[0], [0], [1], [1]])
    >>> fpr, tpr, thresholds = roc_curve(y_score, y_true)
    >>> fpr, tpr
    (tensor([0.0000, 0.0000, 0.5000, 0.5000, 1.0000]), tensor([0.0000, 0.5000, 0.5000, 1.0000, 1.0000]))
    """
    return _roc_curve(*_check_curve_args(y_score, y_true, negatives=True))


def _roc_curve(y_score: Tensor, y_true: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """False- and true-positive rates at every distinct score, as ``sklearn.metrics.roc_curve``.

    ``y_score``, ``y_true`` : (n, 1), both classes present. Returns ``fpr``, ``tpr`` and
    ``thresholds``, each of shape (k,): a point on a straight segment between its neighbours
    is dropped, and the first threshold is ``inf`` (nothing predicted positive).
    """
    tps, fps, thresholds = _counts_at_thresholds(y_score, y_true)
    if tps.shape[0] > 2:
        # Keep a point where the curve bends: the second difference of fps or tps is nonzero.
        bends = (fps.diff(n=2) != 0) | (tps.diff(n=2) != 0)
        keep = torch.cat([bends.new_ones(1), bends, bends.new_ones(1)])
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    zero = tps.new_zeros(1)
    tps, fps = torch.cat([zero, tps]), torch.cat([zero, fps])
    dtype = y_score.dtype
    thresholds = torch.cat([thresholds.new_full((1,), torch.inf), thresholds])
    return fps.to(dtype) / fps[-1].to(dtype), tps.to(dtype) / tps[-1].to(dtype), thresholds


def precision_recall_curve(y_score: Tensor, y_true: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Precision and recall when predicting malignant for ``y_score >= t``, for every distinct score ``t``.

    Outputs are those of ``sklearn.metrics.precision_recall_curve(y_true, y_score)``:
    thresholds increase, and a final point ``precision = 1, recall = 0`` (no threshold) closes
    the curve, so ``precision`` and ``recall`` have one more entry than ``thresholds``. No
    point is dropped. Precision is always defined here: every threshold is a score, so at
    least one sample is predicted positive.

    Parameters
    ----------
    y_score : Tensor of shape (n, 1)
        Probabilities or logits, floating.
    y_true : Tensor of shape (n, 1)
        True labels, 0 or 1 (any dtype); at least one must be 1.

    Returns
    -------
    precision : Tensor of shape (k + 1,)
        ``TP / (TP + FP)`` at each threshold, then 1.
    recall : Tensor of shape (k + 1,)
        ``TP / (TP + FN)`` at each threshold (decreasing), then 0.
    thresholds : Tensor of shape (k,)
        The distinct scores, increasing. All three have ``y_score``'s dtype.

    Raises
    ------
    ValueError
        If ``y_true`` has no positive sample: recall would be 0/0 (scikit-learn warns and
        sets it to 1).

    Examples
    --------
    >>> y_score, y_true = torch.tensor([[0.1], [0.4], [0.35], [0.8]]), torch.tensor([[0], [0], [1], [1]])
    >>> precision, recall, thresholds = precision_recall_curve(y_score, y_true)
    >>> precision, recall
    (tensor([0.5000, 0.6667, 0.5000, 1.0000, 1.0000]), tensor([1.0000, 1.0000, 0.5000, 0.5000, 0.0000]))
    """
    return _precision_recall_curve(*_check_curve_args(y_score, y_true, negatives=False))


def _precision_recall_curve(y_score: Tensor, y_true: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Precision and recall at every distinct score, as ``sklearn.metrics.precision_recall_curve``.

    ``y_score``, ``y_true`` : (n, 1), a positive present. Returns ``precision``, ``recall``
    (k + 1,) and ``thresholds`` (k,), increasing; the last point, precision 1 and recall 0,
    has no threshold.
    """
    tps, fps, thresholds = _counts_at_thresholds(y_score, y_true)
    dtype = y_score.dtype
    precision = tps.to(dtype) / (tps + fps).to(dtype)
    recall = tps.to(dtype) / tps[-1].to(dtype)
    return (
        torch.cat([precision.flip(0), precision.new_ones(1)]),
        torch.cat([recall.flip(0), recall.new_zeros(1)]),
        thresholds.flip(0),
    )


def _check_curve(name: str, t: object) -> Tensor:
    t = check_tensor(name, t)
    if t.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape (k,), got shape {_shape(t)}")
    check_finite(name, t)
    return t


def auc(x: Tensor, y: Tensor) -> float:
    """Area under the curve through the points ``(x[i], y[i])``, by the trapezoidal rule.

    ``auc(fpr, tpr)`` of :func:`roc_curve` is the ROC AUC: the probability that a random
    malignant sample scores higher than a random benign one (ties count one half). As in
    ``sklearn.metrics.auc``, ``x`` may increase or decrease; the area is positive either way.

    Parameters
    ----------
    x : Tensor of shape (k,)
        Monotonic (non-decreasing or non-increasing), at least 2 points.
    y : Tensor of shape (k,)
        Of ``x``'s dtype.

    Returns
    -------
    float
        Finite for every valid input whose area is within float64's range; an area beyond it
        is ``inf``, with a :class:`~lrcore.NonFiniteWarning`.

    Examples
    --------
    >>> auc(torch.tensor([0.0, 0.5, 1.0]), torch.tensor([0.0, 1.0, 1.0]))
    0.75
    """
    x = _check_curve("x", x).detach()
    y = _check_curve("y", y).detach()
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    check_same_dtype("x", x, "y", y)
    if x.shape[0] < 2:
        raise ValueError(f"x must have at least 2 points to enclose an area, got {x.shape[0]}")
    dx = x.diff()
    if bool((dx < 0).any()) and not bool((dx <= 0).all()):
        raise ValueError("x must be monotonic (non-decreasing or non-increasing), got both rises and falls")
    return _trapezoid_area(x, y)


def _trapezoid_area(x: Tensor, y: Tensor) -> float:
    """Area under the points ``(x[i], y[i])``, shapes (k,), ``x`` monotonic: the trapezoidal rule.

    A decreasing ``x`` (the precision-recall curve's recall) gives the same positive area.
    """
    direction = -1.0 if bool((x.diff() < 0).any()) else 1.0
    area = torch.trapezoid(y, x)
    if not bool(torch.isfinite(area)):  # the sum overflowed; float64 holds any sum of float32 areas
        area = torch.trapezoid(y.double(), x.double())
        _numerics.warn_if_not_finite(area, "auc's area", "it is beyond float64's range")
    return direction * area.item()
