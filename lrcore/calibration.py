"""Calibration: does a predicted probability of 0.8 come true 80 % of the time?

A model is *calibrated* when, among the samples it gives a probability near ``p``, a
fraction near ``p`` is positive. The functions here group the predictions into bins of
probability and compare, in each bin, the mean prediction with the fraction of positives
(the reliability diagram), summarise the gap in one number (the expected calibration error)
and compute the Brier score with its decomposition. Probabilities are those of the positive
class (malignant, 1). Everything is computed in float64, whatever the input's dtype.

The binning is scikit-learn's (``sklearn.calibration.calibration_curve``): with ``n_bins``
bins of edges ``e_0 < e_1 < ... < e_B``, bin ``k`` holds the probabilities in
``(e_k, e_{k+1}]`` (the first bin also holds ``e_0``). ``strategy="uniform"`` takes equal-width
edges ``k / B``; ``strategy="quantile"`` takes the quantiles of the predictions, so that the
bins hold about as many samples each.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from lrcore._validation import (
    _type_name,
    check_count,
    check_memory,
    check_probabilities,
    check_same_rows,
    checked_by,
)
from lrcore.metrics import _check_binary

STRATEGIES = ("uniform", "quantile")


class CalibrationCurve(NamedTuple):
    """The points of a reliability diagram, one per non-empty bin (what :func:`calibration_curve` returns).

    Attributes
    ----------
    fraction_positive : Tensor of shape (k,)
        Fraction of positive samples in each non-empty bin: scikit-learn's ``prob_true``.
    mean_predicted : Tensor of shape (k,)
        Mean predicted probability in each non-empty bin: scikit-learn's ``prob_pred``.
    counts : Tensor of shape (k,), int64
        Number of samples in each non-empty bin (at least 1).
    bins : Tensor of shape (k,), int64
        Index of each non-empty bin among the ``n_bins``, increasing.
    edges : Tensor of shape (n_bins + 1,)
        Edges of all the bins, non-decreasing, from the lowest to the highest (equal-width
        edges run from 0 to 1). Quantile edges can repeat, leaving a bin empty.
    """

    fraction_positive: Tensor
    mean_predicted: Tensor
    counts: Tensor
    bins: Tensor
    edges: Tensor


class BrierDecomposition(NamedTuple):
    """The parts of the Brier score over bins (what :func:`brier_decomposition` returns).

    ``brier = reliability - resolution + uncertainty + within_bin_variance - within_bin_covariance``,
    exactly (up to rounding). All are floats; the first four are >= 0.
    """

    reliability: float
    resolution: float
    uncertainty: float
    within_bin_variance: float
    within_bin_covariance: float


def _check_inputs(y_prob: object, y_true: object) -> tuple[Tensor, Tensor]:
    """Probabilities (n, 1) in [0, 1] and 0/1 labels (n, 1), both as float64 columns."""
    y_prob = check_probabilities("y_prob", y_prob).detach()
    y_true = _check_binary("y_true", y_true)
    check_same_rows("y_prob", y_prob, "y_true", y_true)
    return y_prob.double().reshape(-1), y_true.double().reshape(-1)


def _check_strategy(strategy: object) -> str:
    if not isinstance(strategy, str):
        raise TypeError(f"strategy must be a str, 'uniform' or 'quantile', got {_type_name(strategy)}")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")
    return strategy


def _bin_edges(p: Tensor, n_bins: int, strategy: str) -> Tensor:
    """The ``n_bins + 1`` edges, float64."""
    # k * (1 / B), as numpy.linspace computes them (not k / B): a probability that lies exactly
    # on an edge then falls in the same bin as in scikit-learn.
    fractions = torch.arange(n_bins + 1, dtype=torch.float64) * (1.0 / n_bins)
    fractions[-1] = 1.0
    if strategy == "uniform":
        return fractions
    # Linear interpolation between order statistics, with numpy.percentile's arithmetic
    # (scikit-learn passes the fractions as percentages): when an edge falls on a sample, a
    # rounding of 1e-17 decides that sample's bin, so the rounding has to be the same.
    fractions = fractions * 100 / 100
    ordered = p.sort().values
    position = (p.shape[0] - 1) * fractions
    below = position.floor()
    weight = position - below
    low = ordered[below.long()]
    high = ordered[(below.long() + 1).clamp_max(p.shape[0] - 1)]
    step = high - low
    return torch.where(weight >= 0.5, high - step * (1 - weight), low + step * weight)


def calibration_curve(y_prob: Tensor, y_true: Tensor, n_bins: int = 10, strategy: str = "uniform") -> CalibrationCurve:
    """Bin the predictions; in each bin, the fraction of positives against the mean prediction.

    For a calibrated model the points lie on the diagonal: the samples given about ``p`` are
    positive a fraction ``p`` of the time. ``fraction_positive`` and ``mean_predicted`` are
    ``sklearn.calibration.calibration_curve(y_true, y_prob, n_bins=n_bins, strategy=strategy)``;
    like it, empty bins are left out. ``counts``, ``bins`` and ``edges`` say how many samples
    each point stands for and where the bins are, for the histogram under the diagram.

    Parameters
    ----------
    y_prob : Tensor of shape (n, 1)
        Predicted probabilities of the positive class, in [0, 1], float32 or float64.
    y_true : Tensor of shape (n, 1)
        True labels, 0 or 1 (any real dtype).
    n_bins : int, default 10
        Number of bins, ``>= 1``.
    strategy : {"uniform", "quantile"}, default "uniform"
        Equal-width bins on [0, 1], or bins at the quantiles of ``y_prob`` (about equal counts).

    Returns
    -------
    CalibrationCurve
        ``(fraction_positive, mean_predicted, counts, bins, edges)``, float64 (counts and bins
        int64); the first four of shape (k,), k the number of non-empty bins.

    Examples
    --------
    >>> y_prob = torch.tensor([[0.1], [0.2], [0.3], [0.4], [0.65], [0.7], [0.8], [0.9], [1.0]])
    >>> y_true = torch.tensor([[0], [0], [0], [0], [1], [1], [1], [1], [1]])
    >>> curve = calibration_curve(y_prob, y_true, n_bins=3)
    >>> curve.fraction_positive, curve.counts
    (tensor([0.0000, 0.5000, 1.0000], dtype=torch.float64), tensor([3, 2, 4]))
    """
    p, y = _check_inputs(y_prob, y_true)
    n_bins = check_count("n_bins", n_bins, minimum=1)
    strategy = _check_strategy(strategy)
    # Refuse a silly n_bins before allocating (brier_decomposition's needs are counted too).
    check_memory(
        f"calibration_curve with n_bins={n_bins}", _calibration_bytes(p.shape[0], n_bins, strategy), "use fewer bins"
    )
    return _calibration_curve(p, y, n_bins, strategy)


def _calibration_bytes(n: int, n_bins: int, strategy: str) -> int:
    """Peak bytes of :func:`calibration_curve` (and :func:`brier_decomposition`) on ``n`` samples.

    Counted per bin, 8 bytes each: 10 vectors of ``n_bins + 1`` (the edges and their inner
    copy, the counts, the two sums, the non-empty bins and what is gathered at them,
    ``brier_decomposition``'s positions), and 8 more for the quantile edges' interpolation
    (the fractions, positions, weights, the order statistics below and above, their step and
    the two branches of the rounding); per sample, 16 (the float64 copies, checked twice by
    ``brier_decomposition``, the sort, each sample's bin, what ``brier_decomposition`` gathers
    there and its products); 1 MiB.
    """
    per_bin = 8 * (10 + 8 * (strategy == "quantile"))
    return per_bin * (n_bins + 1) + 8 * 16 * n + 2**20


def _calibration_curve(p: Tensor, y: Tensor, n_bins: int, strategy: str) -> CalibrationCurve:
    """Bin the probabilities ``p`` (n,); per non-empty bin, the fraction of ``y`` (n,) that is 1 and the mean ``p``.

    Both float64. The bins are equal-width on [0, 1] (``"uniform"``) or at ``p``'s quantiles.
    """
    edges = _bin_edges(p, n_bins, strategy)
    # searchsorted's default side: a probability equal to an inner edge goes to the lower bin.
    bin_of = torch.searchsorted(edges[1:-1].contiguous(), p)
    counts = torch.bincount(bin_of, minlength=n_bins)
    sum_prob = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, bin_of, p)
    sum_true = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, bin_of, y)
    bins = torch.nonzero(counts).reshape(-1)
    counts = counts[bins]
    return CalibrationCurve(sum_true[bins] / counts, sum_prob[bins] / counts, counts, bins, edges)


def expected_calibration_error(y_prob: Tensor, y_true: Tensor, n_bins: int = 10, strategy: str = "uniform") -> float:
    """The gap between the reliability diagram and its diagonal, averaged over the samples.

    ``ECE = sum_k (n_k / n) |fraction_positive_k - mean_predicted_k|`` over the bins of
    :func:`calibration_curve`: each bin's gap weighted by its share of the samples. The
    default (10 equal-width bins, weighted by count) is the usual one
    (Naeini, Cooper and Hauskrecht 2015; Guo et al. 2017), applied here to the probability of
    the positive class rather than to the probability of the predicted class.

    Parameters
    ----------
    y_prob, y_true, n_bins, strategy
        As in :func:`calibration_curve`.

    Returns
    -------
    float in [0, 1]
        0 when every bin's mean prediction equals its fraction of positives.

    Examples
    --------
    >>> y_prob = torch.tensor([[0.2], [0.2], [0.9], [0.9]], dtype=torch.float64)
    >>> y_true = torch.tensor([[0], [1], [1], [1]])
    >>> round(expected_calibration_error(y_prob, y_true), 12)  # |0.5 - 0.2| / 2 + |1 - 0.9| / 2
    0.2
    """
    curve = calibration_curve(y_prob, y_true, n_bins, strategy)
    weights = curve.counts.double() / curve.counts.sum()
    return (weights * (curve.fraction_positive - curve.mean_predicted).abs()).sum().item()


def _check_brier_score_args(y_prob: object, y_true: object) -> dict:
    p, y = _check_inputs(y_prob, y_true)
    return {"y_prob": p, "y_true": y}


@checked_by(_check_brier_score_args)
def brier_score(y_prob: Tensor, y_true: Tensor) -> float:
    """Mean squared difference between the predicted probability and the 0/1 label.

    ``(1/n) sum_i (p_i - y_i)^2``, as ``sklearn.metrics.brier_score_loss(y_true, y_prob)``.
    Like the BCE, it is a *proper* scoring rule: its expected value under the true
    probability ``q`` is smallest at ``p = q``. 0 is perfect; always predicting 0.5 scores 0.25.

    Parameters
    ----------
    y_prob : Tensor of shape (n, 1)
        Probabilities of the positive class, in [0, 1].
    y_true : Tensor of shape (n, 1)
        Labels, 0 or 1 (any real dtype).

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> y_prob = torch.tensor([[0.9], [0.2]], dtype=torch.float64)
    >>> round(brier_score(y_prob, torch.tensor([[1], [0]])), 12)  # (0.1**2 + 0.2**2) / 2
    0.025
    """
    return ((y_prob - y_true) ** 2).mean().item()


def brier_decomposition(
    y_prob: Tensor, y_true: Tensor, n_bins: int = 10, strategy: str = "uniform"
) -> BrierDecomposition:
    """Murphy's decomposition of the Brier score over the bins of :func:`calibration_curve`.

    With bin ``k`` holding ``n_k`` samples of mean prediction ``p_k`` and fraction of
    positives ``o_k``, and ``o`` the overall fraction of positives:

    * ``reliability = sum_k (n_k / n) (p_k - o_k)^2``: the calibration error (smaller is better);
    * ``resolution = sum_k (n_k / n) (o_k - o)^2``: how far the bins' outcomes are from the
      base rate (larger is better);
    * ``uncertainty = o (1 - o)``: the Brier score of always predicting ``o``; a property of
      the data, not of the model.

    Murphy's identity ``brier = reliability - resolution + uncertainty`` holds exactly when
    every prediction in a bin equals the bin's mean. Otherwise two more terms make it exact
    (Stephenson, Coelho and Jolliffe 2008): ``within_bin_variance``, the mean of
    ``(p_i - p_k)^2``, and ``within_bin_covariance``, twice the mean of
    ``(p_i - p_k)(y_i - o_k)``, which enter as ``+ within_bin_variance - within_bin_covariance``.

    Parameters
    ----------
    y_prob, y_true, n_bins, strategy
        As in :func:`calibration_curve`.

    Returns
    -------
    BrierDecomposition
        ``(reliability, resolution, uncertainty, within_bin_variance, within_bin_covariance)``.
    """
    curve = calibration_curve(y_prob, y_true, n_bins, strategy)
    p, y = _check_inputs(y_prob, y_true)
    return _brier_parts(p, y, curve)


def _brier_parts(p: Tensor, y: Tensor, curve: CalibrationCurve) -> BrierDecomposition:
    """Murphy's three parts and the two within-bin terms, from ``p``, ``y`` (n,) and their ``curve``.

    ``brier = reliability - resolution + uncertainty + within_bin_variance - within_bin_covariance``.
    """
    n = p.shape[0]
    share = curve.counts.double() / n
    base_rate = y.mean()
    # Each sample's bin mean and bin fraction, to measure the spread inside the bins.
    bin_of = torch.searchsorted(curve.edges[1:-1].contiguous(), p)
    position = torch.full((curve.edges.shape[0] - 1,), -1, dtype=torch.int64)
    position[curve.bins] = torch.arange(curve.bins.shape[0])
    p_bin = curve.mean_predicted[position[bin_of]]
    o_bin = curve.fraction_positive[position[bin_of]]
    return BrierDecomposition(
        reliability=(share * (curve.mean_predicted - curve.fraction_positive) ** 2).sum().item(),
        resolution=(share * (curve.fraction_positive - base_rate) ** 2).sum().item(),
        uncertainty=(base_rate * (1 - base_rate)).item(),
        within_bin_variance=((p - p_bin) ** 2).mean().item(),
        within_bin_covariance=(2 * (p - p_bin) * (y - o_bin)).mean().item(),
    )
