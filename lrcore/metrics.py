"""Classification metrics on 0/1 predictions, with malignant (1) as the positive class.

Where a ratio is 0/0 (no predicted positives for precision, no actual positives for recall)
the functions return 0.0 and emit :class:`UndefinedMetricWarning`, as scikit-learn does
with its default ``zero_division="warn"``; they never return NaN.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from lrcore._validation import (
    check_finite,
    check_labels,
    check_matrix,
    check_same_dtype,
    check_same_rows,
    check_tensor,
    check_threshold,
)


class UndefinedMetricWarning(UserWarning):
    """A metric was 0/0 and has been reported as 0."""


def _check_binary(name: str, t: object) -> Tensor:
    t = check_tensor(name, t, floating=False)
    if t.ndim != 2 or t.shape[1] != 1:
        raise ValueError(f"{name} must have shape (n, 1), got shape {tuple(t.shape)}")
    if not bool(((t == 0) | (t == 1)).all()):
        raise ValueError(f"{name} must contain only 0 and 1 (threshold probabilities first), got other values")
    return t


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
    y_pred = _check_binary("y_pred", y_pred)
    y_true = _check_binary("y_true", y_true)
    check_same_rows("y_pred", y_pred, "y_true", y_true)
    index = 2 * y_true.long() + y_pred.long()  # 0 = TN, 1 = FP, 2 = FN, 3 = TP
    return torch.bincount(index.reshape(-1), minlength=4).reshape(2, 2)


def _ratio(numerator: int, denominator: int, metric: str, why: str) -> float:
    if denominator == 0:
        warnings.warn(f"{metric} is 0/0 ({why}); reporting 0.0", UndefinedMetricWarning, stacklevel=3)
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
        Keys ``"accuracy"``, ``"precision"``, ``"recall"``, ``"f1"``.
    """
    x = check_matrix("x", x)
    y_true = check_labels("y_true", y_true)
    check_same_rows("x", x, "y_true", y_true)
    weights = check_tensor("weights", weights)
    biases = check_tensor("biases", biases)
    check_finite("weights", weights)
    check_finite("biases", biases)
    check_same_dtype("x", x, "weights", weights)
    check_same_dtype("x", x, "biases", biases)
    d = x.shape[1]
    if weights.ndim != 3 or weights.shape[1:] != (d, 1):
        raise ValueError(f"weights must have shape (k, {d}, 1), got shape {tuple(weights.shape)}")
    if tuple(biases.shape) != (weights.shape[0], 1, 1):
        raise ValueError(f"biases must have shape ({weights.shape[0]}, 1, 1), got shape {tuple(biases.shape)}")
    check_threshold(threshold)
    # (n, D) @ (D, k) + (1, k): the logits of every step at once; compare probabilities, as
    # lrcore.predict does, so that both agree at the threshold itself.
    logits = x @ weights[:, :, 0].T + biases[:, 0, 0]
    predicted = torch.sigmoid(logits) >= threshold
    positive = y_true.bool()
    # Counts in x's dtype before dividing: integer / integer would give float32 ratios.
    tp = (predicted & positive).sum(dim=0).to(x.dtype)
    fp = (predicted & ~positive).sum(dim=0).to(x.dtype)
    fn = (~predicted & positive).sum(dim=0).to(x.dtype)
    tn = (~predicted & ~positive).sum(dim=0).to(x.dtype)

    def ratio(numerator: Tensor, denominator: Tensor) -> Tensor:
        return torch.where(denominator > 0, numerator / denominator.clamp_min(1), 0.0)

    return {
        "accuracy": (tp + tn) / x.shape[0],
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
    }
