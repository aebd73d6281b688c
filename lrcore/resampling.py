"""How sure are we? The percentile bootstrap and repeated stratified k-fold cross-validation.

A metric measured on 114 tumours is one draw from what other 114 tumours would have given.
The **bootstrap** imitates those other draws by resampling the tumours we have, with
replacement, and reads a confidence interval off the spread of the metric over the
resamples (the *percentile* interval, as ``scipy.stats.bootstrap(method="percentile")``).
**Cross-validation** refits the model on other training sets: it measures how much the score
moves when the data the model is fitted and judged on change.

Every resample is described by how many times it holds each original sample, so the four
counts of the confusion matrix are matrix products over those multiplicities, and the pairs that
the ROC AUC counts come from per-score sums of them, a running sum and a product of those:
thousands of resamples take a few milliseconds, and since all of these add whole and half
numbers in float64 they are exact, whatever the thread count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from lrcore._validation import (
    _real,
    _shape,
    _show,
    _type_name,
    check_column,
    check_count,
    check_finite,
    check_fits,
    check_labels,
    check_memory,
    check_same_dtype,
    check_same_rows,
    check_tensor,
    checked_by,
)
from lrcore.model import logistic_regression
from lrcore.preprocessing import fit_standardizer, standardize

#: The metrics that :func:`bootstrap_metrics` and :func:`cross_validate` return, in this order.
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


class ConfidenceInterval(NamedTuple):
    """A metric on the whole sample and its percentile bootstrap interval."""

    estimate: float  #: the metric on the sample itself
    low: float
    high: float
    num_undefined: int  #: resamples where the metric was 0/0, left out of the interval


def _check_confidence(confidence: object) -> float:
    number = _real("confidence", confidence)  # Fraction and numpy numbers too, as the README allows
    if not 0 < number < 1:
        raise ValueError(f"confidence must be in (0, 1), such as 0.95, got {_show(confidence)}")
    return number


def _check_bootstrap_indices_args(n: object, num_resamples: object, seed: object) -> dict:
    n = check_count("n", n, minimum=1)
    num_resamples = check_count("num_resamples", num_resamples, minimum=1)
    seed = check_count("seed", seed)
    if seed >= 2**64:
        raise ValueError(f"seed must be < 2**64 (a torch.Generator seed), got {_show(seed)}")
    check_memory("bootstrap_indices", _bootstrap_indices_bytes(n, num_resamples), "draw fewer resamples")
    return {"n": n, "num_resamples": num_resamples, "seed": seed}


def _bootstrap_indices_bytes(n: int, num_resamples: int) -> int:
    """Peak bytes of :func:`bootstrap_indices`: its (num_resamples, n) int64 result, and 2 MiB for torch's own."""
    return 8 * n * num_resamples + 2**21


@checked_by(_check_bootstrap_indices_args)
def bootstrap_indices(n: int, num_resamples: int, seed: int) -> Tensor:
    """Indices of ``num_resamples`` bootstrap resamples of ``n`` samples, drawn with replacement.

    Parameters
    ----------
    n : int
        Number of samples, ``>= 1``.
    num_resamples : int
        ``>= 1``.
    seed : int
        In [0, 2**64), the seed of the ``torch.Generator`` that draws them: the same seed gives
        the same resamples.

    Returns
    -------
    Tensor of shape (num_resamples, n), dtype int64
        Row ``r`` lists the samples of resample ``r``, each drawn uniformly from ``0 .. n - 1``.
    """
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(n, (num_resamples, n), generator=generator)


def _check_scores(y_score: object, y_true: object) -> tuple[Tensor, Tensor]:
    y_score = check_column("y_score", y_score)
    y_true = check_labels("y_true", y_true)
    check_same_rows("y_score", y_score, "y_true", y_true)
    check_same_dtype("y_score", y_score, "y_true", y_true)
    return y_score.detach().double().ravel(), y_true.detach().double().ravel()


def _check_indices(indices: object, n: int, name: str = "indices", rows: str = "y_score", ndim: int = 2) -> Tensor:
    """Integer indices into the ``n`` rows of ``rows``: (num_resamples, m), or (m,) for ``ndim=1``; as int64."""
    indices = check_tensor(name, indices, floating=False)
    if indices.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"{name} must have dtype torch.int64 or torch.int32, got {indices.dtype}")
    if indices.ndim != ndim:
        shape = "(num_resamples, m)" if ndim == 2 else "(m,)"
        raise ValueError(f"{name} must have shape {shape}, got shape {_shape(indices)}")
    if bool((indices < 0).any() | (indices >= n).any()):
        raise ValueError(
            f"{name} must lie in [0, {n}) to index {rows}'s {n} rows, got {indices.min()}..{indices.max()}"
        )
    return indices.long()


def _check_score_threshold(threshold: object, dtype: torch.dtype) -> float:
    """A finite real threshold, rounded to the scores' dtype: ``score >= threshold`` then flags what
    :func:`lrcore.predict` flags, which compares in the score's dtype (float32 0.29999998 is not
    >= 0.29999999 in float64, but is in float32)."""
    number = _real("threshold", threshold)
    if not np.isfinite(number):
        raise ValueError(f"threshold must be a finite number, got {_show(threshold)}")
    check_fits("threshold", number, dtype)
    return float(torch.tensor(number, dtype=torch.float64).to(dtype))


def _divide(numerator: Tensor, denominator: Tensor) -> Tensor:
    """numerator / denominator, NaN where the denominator is 0: an undefined metric, not a zero."""
    return torch.where(denominator > 0, numerator / denominator.clamp_min(1), torch.nan)


def bootstrap_metrics(y_score: Tensor, y_true: Tensor, indices: Tensor, threshold: float = 0.5) -> dict[str, Tensor]:
    """Accuracy, precision, recall, F1 and ROC AUC on every resample, at once.

    A sample counts as predicted malignant when ``y_score >= threshold``, as in
    :func:`lrcore.predict`. A metric that is 0/0 on a resample (recall and ROC AUC on a
    resample without a malignant tumour, precision on one without a predicted malignant
    tumour, F1 on one with neither) is NaN there: the resample cannot measure it, and counting
    it as 0 (scikit-learn's default) would drag the interval down.

    Parameters
    ----------
    y_score : Tensor of shape (n, 1)
        Probabilities of the positive class (or any score: the ROC AUC uses only their order,
        and ``threshold`` must then be on the same scale), finite.
    y_true : Tensor of shape (n, 1)
        True labels, 0 or 1 (floating).
    indices : Tensor of shape (num_resamples, m), dtype int64
        Each row a resample, as :func:`bootstrap_indices` draws them; a row ``arange(n)`` is
        the sample itself.
    threshold : float, default 0.5
        Any finite number on ``y_score``'s scale.

    Returns
    -------
    dict of str to Tensor of shape (num_resamples,), float64
        Keys ``"accuracy"``, ``"precision"``, ``"recall"``, ``"f1"``, ``"roc_auc"``.
    """
    score, label = _check_scores(y_score, y_true)
    threshold = _check_score_threshold(threshold, y_score.dtype)
    n = score.shape[0]
    indices = _check_indices(indices, n)
    num_resamples = indices.shape[0]
    check_memory(
        f"bootstrap_metrics of {num_resamples} resamples of {indices.shape[1]} of n={n} scores",
        _bootstrap_metrics_bytes(n, num_resamples, indices.shape[1]),
        "use fewer resamples at a time",
    )
    return _bootstrap_metrics(score, label, indices, threshold)


#: Multiplicities (resamples x samples) that :func:`_bootstrap_metrics` holds at once, about 4 MB in float64.
_BLOCK_ELEMENTS = 2**19


def _bootstrap_metrics_bytes(n: int, num_resamples: int, m: int) -> int:
    """Peak bytes of :func:`bootstrap_metrics` on ``n`` scores and ``num_resamples`` rows of ``m`` indices.

    Counted: the checks' temporaries (the scores and labels in float64, a bool per index, the
    indices as int64: 10 bytes per index, the input's own int32 or int64 aside); 12 float64 or
    int64 vectors of ``n`` (the four cells, the ranks, the sort of ``torch.unique``); 10
    float64 or int64 matrices of one block of multiplicities (:func:`_block_size`); the five
    results, and 1 MiB for the interpreter.
    """
    block = _block_size(n, m) * max(n, m)
    return 10 * num_resamples * m + 8 * 12 * n + 8 * 10 * block + 8 * 5 * num_resamples + 2**20


def _block_size(n: int, m: int) -> int:
    """Resamples at a time: ``_BLOCK_ELEMENTS`` multiplicities, at least one resample."""
    return max(1, _BLOCK_ELEMENTS // max(n, m))


def _bootstrap_metrics(score: Tensor, label: Tensor, indices: Tensor, threshold: float) -> dict[str, Tensor]:
    """The five metrics on each resample (a row of ``indices``, (R, m)) of ``score``, ``label`` (n,).

    float64 throughout; a metric that is 0/0 on a resample is NaN there, not 0. A block of
    resamples at a time, so that memory does not grow with R.
    """
    n, num_resamples = score.shape[0], indices.shape[0]
    flagged = (score >= threshold).double()
    place = torch.unique(score, return_inverse=True)[1]  # each score's rank among the distinct scores
    metrics = {name: torch.empty(num_resamples, dtype=torch.float64) for name in METRICS}
    block = _block_size(n, indices.shape[1])
    for start in range(0, num_resamples, block):
        rows = indices[start : start + block]
        # counts[r, i] = how many times resample r holds sample i (a bincount per row, in one call).
        offsets = torch.arange(rows.shape[0]).unsqueeze(1) * n
        counts = torch.bincount((rows + offsets).ravel(), minlength=rows.shape[0] * n)
        counts = counts.reshape(rows.shape[0], n).double()
        tp, fp = counts @ (flagged * label), counts @ (flagged * (1 - label))
        fn, tn = counts @ ((1 - flagged) * label), counts @ ((1 - flagged) * (1 - label))
        part = slice(start, start + rows.shape[0])
        metrics["accuracy"][part] = (tp + tn) / (tp + fp + fn + tn)
        metrics["precision"][part] = _divide(tp, tp + fp)
        metrics["recall"][part] = _divide(tp, tp + fn)
        metrics["f1"][part] = _divide(2 * tp, 2 * tp + fp + fn)
        metrics["roc_auc"][part] = _divide(_pairs_ranked_right(counts, label, place), (tp + fn) * (fp + tn))
    return metrics


def _pairs_ranked_right(counts: Tensor, label: Tensor, place: Tensor) -> Tensor:
    """Per resample, the (malignant, benign) pairs whose malignant score is the higher, ties counting 1/2.

    ``counts`` (B, n): each resample's multiplicities; ``label`` (n,); ``place`` (n,): each
    score's rank among the g distinct scores. The multiplicities of each class summed at each
    distinct score (B, g), then a running sum from the lowest score up, give for every malignant
    sample the benign ones scored lower, plus half those tied: no (n_pos, n_neg) matrix of pairs.
    Sums of whole and half numbers in float64: exact.
    """
    g = int(place.max()) + 1
    malignant = counts.new_zeros(counts.shape[0], g).index_add_(1, place, counts * label)
    benign = counts.new_zeros(counts.shape[0], g).index_add_(1, place, counts * (1 - label))
    below = benign.cumsum(dim=1) - benign  # benign samples with a strictly lower score
    return (malignant * (below + 0.5 * benign)).sum(dim=1)


def _check_percentile_interval_args(values: object, confidence: object) -> dict:
    values = check_tensor("values", values)
    if values.ndim != 1:
        raise ValueError(f"values must have shape (num_resamples,), got shape {_shape(values)}")
    confidence = _check_confidence(confidence)
    if bool(torch.isinf(values).any()):
        raise ValueError("values must be finite or NaN (undefined), got inf")
    if bool(torch.isnan(values).all()):
        raise ValueError("values must hold at least one defined (non-NaN) value, got only NaN")
    return {"confidence": confidence}


@checked_by(_check_percentile_interval_args)
def percentile_interval(values: Tensor, confidence: float = 0.95) -> tuple[float, float]:
    """The percentile bootstrap interval: the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles.

    Quantiles interpolate linearly between order statistics, as ``numpy.percentile``,
    ``torch.quantile`` and ``scipy.stats.bootstrap(method="percentile")`` do. NaN values
    (resamples where the metric was undefined) are left out.

    Parameters
    ----------
    values : Tensor of shape (num_resamples,)
        A metric on each resample (floating).
    confidence : float, default 0.95
        In (0, 1).

    Returns
    -------
    low, high : float
    """
    defined = values[~torch.isnan(values)].double()
    alpha = (1 - confidence) / 2
    low, high = _quantiles(defined, torch.tensor([alpha, 1 - alpha], dtype=torch.float64)).tolist()
    return low, high


def _quantiles(values: Tensor, q: Tensor) -> Tensor:
    """``torch.quantile(values, q)``, on ``values`` halved where the interpolation ``a + (b - a) t`` overflows.

    Between -1.7e308 and 1.7e308 the difference ``b - a`` is inf in float64; halving is exact,
    so the halves' quantiles, doubled, are the quantiles. Sorted once, for up to any length
    (``torch.quantile`` itself stops at 2**24 values).
    """
    ordered = values.sort().values
    scale = 2.0 if bool(torch.isinf(ordered[-1] - ordered[0])) else 1.0
    ordered = ordered / scale
    position = q * (len(ordered) - 1)
    below = position.floor().long()
    above = torch.clamp(below + 1, max=len(ordered) - 1)
    weight = position - below
    a, b = ordered[below], ordered[above]
    return torch.where(weight < 0.5, a + (b - a) * weight, b - (b - a) * (1 - weight)) * scale


def bootstrap_confidence_intervals(
    y_score: Tensor,
    y_true: Tensor,
    threshold: float = 0.5,
    num_resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, ConfidenceInterval]:
    """Each metric of :func:`bootstrap_metrics` with its percentile bootstrap interval.

    Parameters
    ----------
    y_score : Tensor of shape (n, 1)
    y_true : Tensor of shape (n, 1)
    threshold : float, default 0.5
    num_resamples : int, default 10_000
    seed : int, default 0
    confidence : float, default 0.95

    Returns
    -------
    dict of str to ConfidenceInterval
        Keys as :func:`bootstrap_metrics`'s; the estimate is the metric on the whole sample
        (NaN where it is 0/0 there). ``low`` and ``high`` are NaN when the metric is 0/0 on
        every resample (precision when no score reaches ``threshold``, or a few resamples of
        a rare class): no resample could measure it, and ``num_undefined`` is ``num_resamples``.

    Raises
    ------
    ValueError
        For bad arguments, and for ``y_true`` of one class only.
    """
    _, label = _check_scores(y_score, y_true)
    if bool((label == label[0]).all()):
        raise ValueError(
            f"y_true must hold both classes (0 and 1): recall, F1 and ROC AUC are undefined (0/0) on a sample of "
            f"one class, got only label {label[0].item():g} in {len(label)} rows"
        )
    confidence = _check_confidence(confidence)
    n, num_resamples = y_score.shape[0], check_count("num_resamples", num_resamples, minimum=1)
    # The indices (8 bytes each), bootstrap_metrics on them, and percentile_interval's sort of one metric.
    check_memory(
        f"bootstrap_confidence_intervals of {_show(num_resamples)} resamples of n={n} scores",
        _bootstrap_indices_bytes(n, num_resamples) + _bootstrap_metrics_bytes(n, num_resamples, n) + 48 * num_resamples,
        "draw fewer resamples",
    )
    indices = bootstrap_indices(n, num_resamples, seed)
    whole = bootstrap_metrics(y_score, y_true, torch.arange(y_score.shape[0]).unsqueeze(0), threshold)
    resampled = bootstrap_metrics(y_score, y_true, indices, threshold)
    return {name: _interval(whole[name].item(), values, confidence) for name, values in resampled.items()}


def _interval(estimate: float, values: Tensor, confidence: float) -> ConfidenceInterval:
    """The interval of one metric over the resamples (R,); NaN ends when no resample could measure it."""
    num_undefined = int(torch.isnan(values).sum())
    if num_undefined == len(values):
        return ConfidenceInterval(estimate, float("nan"), float("nan"), num_undefined)
    return ConfidenceInterval(estimate, *percentile_interval(values, confidence), num_undefined)


def stratified_k_fold(
    y: Tensor, num_folds: int = 5, num_repeats: int = 1, seed: int = 0
) -> list[tuple[Tensor, Tensor]]:
    """Repeated stratified k-fold splits: the folds of scikit-learn's ``RepeatedStratifiedKFold``.

    In each repeat, the samples of each class are dealt into ``num_folds`` folds of sizes
    as equal as possible, in a random order; each fold is the test part once. Given the same
    ``seed``, the folds are exactly those of
    ``RepeatedStratifiedKFold(n_splits=num_folds, n_repeats=num_repeats, random_state=seed)``
    (and of ``StratifiedKFold(num_folds, shuffle=True, random_state=seed)`` for one repeat):
    they are drawn, as scikit-learn draws them, from numpy's ``RandomState(seed)``, whose
    stream numpy keeps the same across versions and machines.

    Parameters
    ----------
    y : Tensor of shape (n, 1)
        Labels, 0 or 1 (floating); each class needs at least ``num_folds`` samples.
    num_folds : int, default 5
        ``>= 2``.
    num_repeats : int, default 1
        ``>= 1``.
    seed : int, default 0
        In [0, 2**32).

    Returns
    -------
    list of (train, test) pairs of index Tensors, dtype int64, sorted
        ``num_repeats * num_folds`` pairs, the folds of repeat 0 first.
    """
    y = check_labels("y", y)
    num_folds = check_count("num_folds", num_folds, minimum=2)
    num_repeats = check_count("num_repeats", num_repeats, minimum=1)
    seed = check_count("seed", seed)
    if seed >= 2**32:
        raise ValueError(f"seed must be < 2**32 (numpy's seeds are 32-bit), got {_show(seed)}")
    labels = y.detach().cpu().ravel().numpy()
    first_label = labels[0]
    class_sizes = np.bincount((labels != first_label).astype(np.int64), minlength=2)
    if class_sizes.min() < num_folds:
        raise ValueError(
            f"y must hold at least num_folds={_show(num_folds)} samples of each class, got {class_sizes.min()} "
            f"of label {1 - first_label if class_sizes[1] < num_folds else first_label:g}"
        )
    check_memory(
        f"stratified_k_fold of {_show(num_repeats)} repeats x {num_folds} folds of n={len(labels)} samples",
        _stratified_k_fold_bytes(len(labels), num_folds, num_repeats),
        "use fewer repeats",
    )
    return _stratified_folds(labels, num_folds, num_repeats, seed)


#: Bytes of one index tensor beside its indices: the tensor object, its storage and the allocator's rounding.
_TENSOR_BYTES = 2048


def _stratified_k_fold_bytes(n: int, num_folds: int, num_repeats: int) -> int:
    """Peak bytes of :func:`stratified_k_fold`: each fold's ``n`` int64 indices (train and test
    together), a byte per sample for the allocator's slack and two tensors' overhead; a
    repeat's working vectors (5 of ``n``); 1 MiB."""
    return num_repeats * num_folds * (9 * n + 2 * _TENSOR_BYTES) + 5 * 8 * n + 2**20


def _stratified_folds(labels: np.ndarray, num_folds: int, num_repeats: int, seed: int) -> list[tuple[Tensor, Tensor]]:
    """``num_repeats * num_folds`` (train, test) index pairs, drawn as ``RepeatedStratifiedKFold`` draws them.

    ``labels`` (n,): 0 or 1, each class at least ``num_folds`` times. Each class is dealt
    into the folds in a random order from numpy's ``RandomState(seed)``.
    """
    # Classes numbered by order of first appearance, as scikit-learn does: it fixes the order of the draws.
    encoded = (labels != labels[0]).astype(np.int64)
    # Fold f gets every num_folds-th sample of the labels sorted by class: sizes as equal as possible.
    in_order = np.sort(encoded)
    allocation = np.array([np.bincount(in_order[f::num_folds], minlength=2) for f in range(num_folds)])
    rng = np.random.RandomState(seed)
    splits = []
    for _ in range(num_repeats):
        fold_of = np.empty(len(labels), dtype=np.int64)
        for k in (0, 1):
            folds_for_class = np.arange(num_folds).repeat(allocation[:, k])
            rng.shuffle(folds_for_class)
            fold_of[encoded == k] = folds_for_class
        fold_of_t = torch.from_numpy(fold_of)
        for f in range(num_folds):
            splits.append((torch.nonzero(fold_of_t != f).ravel(), torch.nonzero(fold_of_t == f).ravel()))
    return splits


def cross_validate(
    x: Tensor,
    y: Tensor,
    folds: list[tuple[Tensor, Tensor]],
    train: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]],
    threshold: float = 0.5,
) -> dict[str, Tensor]:
    """Fit on each fold's training part and score on its test part.

    Each fold standardizes with the mean and standard deviation of *its own* training part
    (:func:`fit_standardizer`), then calls ``train``, then predicts its test part with
    :func:`logistic_regression`. Statistics from all of ``x`` would let the test part of each
    fold shape the features the model is fitted on: a leak, small but real, that flatters
    the score.

    Parameters
    ----------
    x : Tensor of shape (n, D)
        Raw (unstandardized) features, floating.
    y : Tensor of shape (n, 1)
        Labels, 0 or 1, of ``x``'s dtype.
    folds : list of (train, test) pairs of index Tensors
        As :func:`stratified_k_fold` returns them.
    train : callable ``(x_train, y_train) -> (w, b)``
        Fits the model on standardized features and returns exactly the pair ``(w, b)``:
        finite tensors of ``x``'s dtype, ``w`` of shape (D, 1), ``b`` of shape (1, 1). Anything
        else is a TypeError or ValueError naming ``train``; :func:`lrcore.fit_newton`, which
        returns ``(w, b, history)``, is passed as ``lambda x, y: lrcore.fit_newton(x, y)[:2]``.
    threshold : float, default 0.5
        On the predicted probability.

    Returns
    -------
    dict of str to Tensor of shape (len(folds),), float64
        Each metric of :func:`bootstrap_metrics` on each fold's test part, in the folds' order.
    """
    x = check_tensor("x", x)
    y = check_labels("y", y)
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D with shape (n, D), got shape {_shape(x)}")
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    if not isinstance(folds, (list, tuple)) or not folds:
        raise TypeError(f"folds must be a non-empty list of (train, test) index pairs, got {folds!r:.60}")
    if not callable(train):
        raise TypeError(f"train must be callable as train(x_train, y_train) -> (w, b), got {type(train).__name__}")
    _check_score_threshold(threshold, x.dtype)
    checked = []
    for number, fold in enumerate(folds):
        if not isinstance(fold, (list, tuple)) or len(fold) != 2:
            raise TypeError(f"folds[{number}] must be a (train, test) pair of index tensors, got {type(fold).__name__}")
        checked.append(
            tuple(_check_indices(part, x.shape[0], f"folds[{number}][{k}]", "x", ndim=1) for k, part in enumerate(fold))
        )
    return _cross_validate(x, y, checked, _checked_train(train, x), threshold)


def _checked_train(train: Callable, x: Tensor) -> Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """``train``, with what it returns checked: a pair ``(w, b)`` of finite tensors of ``x``'s dtype,
    shapes (D, 1) and (1, 1). Anything else (None, three values) is a TypeError or ValueError naming ``train``."""
    shapes = {"w": (x.shape[1], 1), "b": (1, 1)}

    def checked(x_train: Tensor, y_train: Tensor) -> tuple[Tensor, Tensor]:
        result = train(x_train, y_train)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            many = isinstance(result, (tuple, list))
            got = f"a {type(result).__name__} of {len(result)} values" if many else _type_name(result)
            raise TypeError(
                f"train must return a pair (w, b), got {got}; lrcore.fit_newton returns (w, b, history): "
                "pass lambda x, y: lrcore.fit_newton(x, y)[:2]"
            )
        for part, t in zip(("w", "b"), result, strict=True):
            t = check_tensor(f"the {part} that train returns", t)
            if tuple(t.shape) != shapes[part]:
                raise ValueError(
                    f"the {part} that train returns must have shape {shapes[part]} for x of shape {_shape(x)}, "
                    f"got shape {_shape(t)}"
                )
            check_same_dtype("x", x, f"the {part} that train returns", t)
            check_finite(f"the {part} that train returns", t)
        return result[0], result[1]

    return checked


def _cross_validate(
    x: Tensor, y: Tensor, folds: list[tuple[Tensor, Tensor]], train: Callable, threshold: float
) -> dict[str, Tensor]:
    """Each fold: standardize with its training part's statistics, ``train``, score its test part.

    ``x`` (n, D) raw, ``y`` (n, 1); ``folds`` of (train, test) int64 index tensors. Returns each
    metric of :func:`bootstrap_metrics`, shape (len(folds),).
    """
    scores: dict[str, list[Tensor]] = {name: [] for name in METRICS}
    for train_index, test_index in folds:
        mean, std = fit_standardizer(x[train_index])
        w, b = train(standardize(x[train_index], mean, std), y[train_index])
        p_test = logistic_regression(standardize(x[test_index], mean, std), w, b)
        whole = torch.arange(len(test_index)).unsqueeze(0)
        for name, value in bootstrap_metrics(p_test, y[test_index], whole, threshold).items():
            scores[name].append(value)
    return {name: torch.cat(values) for name, values in scores.items()}
