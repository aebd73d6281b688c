"""Property-based tests of the public functions that tests/test_properties.py does not reach (issue 22).

For each function, with hypothesis:

* generated VALID inputs give a finite result equal to an independent reference
  (scikit-learn, numpy or scipy, torch.autograd, PyTorch's own ``DataLoader`` + ``SGD``), and
  leave every input unchanged (compared with clones taken before the call);
* generated INVALID inputs (one argument broken: wrong type, NaN, wrong shape or value) raise
  ``TypeError`` or ``ValueError`` whose message names that argument, and leave the other
  inputs unchanged.

The figures, the explorers, the data set and the book's style are in
``tests/test_properties_figures.py``. Example counts are small in the default ``ci`` profile
(``make unit``) and 50 times larger under ``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``).
"""

from __future__ import annotations

import copy
import math
import os
import re
import warnings
from fractions import Fraction

import numpy as np
import pytest
import sklearn.metrics as skm
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve as sk_calibration_curve
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import lrcore

FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
SEEDS = st.integers(0, 2**31 - 1)
DTYPES = st.sampled_from([torch.float32, torch.float64])


def examples(n: int) -> settings:
    """``n`` examples in ``make unit`` (the ``ci`` profile), 50 times as many in ``make fuzz``."""
    return settings(max_examples=50 * n if FUZZ else n)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _labels(n: int, g: torch.Generator, dtype=torch.float64) -> torch.Tensor:
    """(n, 1) random 0/1 labels with both classes present."""
    y = torch.randint(0, 2, (n, 1), generator=g).to(dtype)
    y[0], y[-1] = 0, 1
    return y


def snapshot(values: dict) -> dict:
    return {k: v.clone() if isinstance(v, torch.Tensor) else copy.deepcopy(v) for k, v in values.items()}


def assert_unchanged(before: dict, after: dict) -> None:
    """Every tensor argument holds what it held before the call (values, dtype, shape)."""
    for key, old in before.items():
        new = after[key]
        if isinstance(old, torch.Tensor):
            assert new.dtype == old.dtype and new.shape == old.shape, f"{key} changed dtype or shape"
            assert torch.equal(new.isnan(), old.isnan()) if old.is_floating_point() else True
            assert torch.equal(new.nan_to_num(), old.nan_to_num()), f"{key} was modified"


def raises_naming(arg: str, fn, *args, **kwargs) -> str:
    """Call ``fn``; it must raise TypeError or ValueError whose message names ``arg``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((TypeError, ValueError)) as info:
            fn(*args, **kwargs)
    message = str(info.value)
    # The argument as a word of its own: "n" must not be found in "must", nor "y" in "y_true".
    assert re.search(rf"(?<![\w.]){re.escape(arg)}(?!\w)", message), (
        f"{fn.__name__}({arg}=...) raised {type(info.value).__name__} without naming {arg}: {message}"
    )
    return message


# ============================================================================ metrics and calibration

INT_OR_FLOAT = st.sampled_from([torch.int64, torch.int32, torch.bool, torch.float32, torch.float64])


@examples(30)
@given(seed=SEEDS, n=st.integers(1, 40), pred_dtype=INT_OR_FLOAT, true_dtype=INT_OR_FLOAT)
def test_f1_score_against_sklearn(seed, n, pred_dtype, true_dtype):
    g = _gen(seed)
    y_pred = torch.randint(0, 2, (n, 1), generator=g).to(pred_dtype)
    y_true = torch.randint(0, 2, (n, 1), generator=g).to(true_dtype)
    args = {"y_pred": y_pred, "y_true": y_true}
    before = snapshot(args)
    undefined = not bool(y_pred.any() or y_true.any())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = lrcore.f1_score(**args)
    expected = skm.f1_score(y_true.int().numpy().ravel(), y_pred.int().numpy().ravel(), zero_division=0.0)
    assert isinstance(got, float) and math.isfinite(got)
    assert got == pytest.approx(expected, abs=1e-15)
    # Neither a positive sample nor a positive prediction: 0/0, reported as 0 with a warning.
    assert any(issubclass(w.category, lrcore.UndefinedMetricWarning) for w in caught) == undefined
    assert_unchanged(before, args)


def _probabilities(n: int, g: torch.Generator, dtype, n_bins: int = 10) -> torch.Tensor:
    """(n, 1) probabilities, a third of them exactly on the edges k / n_bins (and 0, 1)."""
    p = torch.rand(n, 1, generator=g, dtype=torch.float64)
    on_edge = torch.rand(n, 1, generator=g) < 1 / 3
    edges = torch.randint(0, n_bins + 1, (n, 1), generator=g).double() * (1.0 / n_bins)
    return torch.where(on_edge, edges, p).clamp(0, 1).to(dtype)


@examples(30)
@given(seed=SEEDS, n=st.integers(1, 40), dtype=DTYPES, label_dtype=INT_OR_FLOAT)
def test_brier_score_against_sklearn(seed, n, dtype, label_dtype):
    g = _gen(seed)
    y_prob = _probabilities(n, g, dtype)
    y_true = torch.randint(0, 2, (n, 1), generator=g).to(label_dtype)
    args = {"y_prob": y_prob, "y_true": y_true}
    before = snapshot(args)
    got = lrcore.brier_score(**args)
    # scikit-learn needs to be told which label is positive when only one is present.
    expected = skm.brier_score_loss(y_true.int().numpy().ravel(), y_prob.double().numpy().ravel(), pos_label=1)
    assert isinstance(got, float) and 0 <= got <= 1
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert_unchanged(before, args)


def _reference_bins(p: np.ndarray, n_bins: int, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's binning, in numpy: the edges and each probability's bin."""
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        edges = np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
    return edges, np.searchsorted(edges[1:-1], p)


@examples(30)
@given(
    seed=SEEDS,
    n=st.integers(2, 60),
    n_bins=st.integers(1, 12),
    strategy=st.sampled_from(["uniform", "quantile"]),
    dtype=DTYPES,
)
def test_calibration_against_sklearn_and_numpy(seed, n, n_bins, strategy, dtype):
    g = _gen(seed)
    y_prob = _probabilities(n, g, dtype, n_bins)
    y_true = _labels(n, g, torch.int64)
    args = {"y_prob": y_prob, "y_true": y_true, "n_bins": n_bins, "strategy": strategy}
    before = snapshot(args)
    p, y = y_prob.double().numpy().ravel(), y_true.numpy().ravel().astype(np.float64)

    curve = lrcore.calibration_curve(**args)
    prob_true, prob_pred = sk_calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    np.testing.assert_allclose(curve.fraction_positive.numpy(), prob_true, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(curve.mean_predicted.numpy(), prob_pred, rtol=1e-12, atol=1e-15)
    edges, bin_of = _reference_bins(p, n_bins, strategy)
    counts = np.bincount(bin_of, minlength=n_bins)
    np.testing.assert_allclose(curve.edges.numpy(), edges, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(curve.bins.numpy(), np.flatnonzero(counts))
    np.testing.assert_array_equal(curve.counts.numpy(), counts[counts > 0])
    assert int(curve.counts.sum()) == n

    # The ECE and Murphy's decomposition, by their definitions, in numpy.
    nonempty = np.flatnonzero(counts)
    sum_p = np.bincount(bin_of, weights=p, minlength=n_bins)[nonempty]
    sum_y = np.bincount(bin_of, weights=y, minlength=n_bins)[nonempty]
    n_k = counts[nonempty]
    ece = lrcore.expected_calibration_error(**args)
    assert ece == pytest.approx(np.abs(sum_y - sum_p).sum() / n, rel=1e-10, abs=1e-14)
    assert 0 <= ece <= 1

    parts = lrcore.brier_decomposition(**args)
    p_k, o_k, o = sum_p / n_k, sum_y / n_k, y.mean()
    position = np.searchsorted(nonempty, bin_of)
    expected = {
        "reliability": (n_k * (p_k - o_k) ** 2).sum() / n,
        "resolution": (n_k * (o_k - o) ** 2).sum() / n,
        "uncertainty": o * (1 - o),
        "within_bin_variance": ((p - p_k[position]) ** 2).mean(),
        "within_bin_covariance": (2 * (p - p_k[position]) * (y - o_k[position])).mean(),
    }
    for name, value in expected.items():
        got = getattr(parts, name)
        assert math.isfinite(got) and got == pytest.approx(value, rel=1e-9, abs=1e-13), name
    brier = skm.brier_score_loss(y, p)
    identity = parts.reliability - parts.resolution + parts.uncertainty
    assert identity + parts.within_bin_variance - parts.within_bin_covariance == pytest.approx(brier, abs=1e-12)
    assert_unchanged(before, args)


# ============================================================================ resampling


@examples(30)
@given(n=st.integers(1, 50), num_resamples=st.integers(1, 20), seed=st.integers(0, 2**64 - 1))
def test_bootstrap_indices_shape_range_and_seed(n, num_resamples, seed):
    torch.manual_seed(12345)
    first = lrcore.bootstrap_indices(n, num_resamples, seed)
    torch.manual_seed(54321)  # the global generator plays no part
    again = lrcore.bootstrap_indices(n, num_resamples, seed)
    assert first.shape == (num_resamples, n) and first.dtype == torch.int64
    assert int(first.min()) >= 0 and int(first.max()) < n
    assert torch.equal(first, again)
    # Another seed, another draw (equal by chance with probability n**-(n R) < 2**-64 here).
    if n >= 2 and n * num_resamples >= 64:
        assert not torch.equal(first, lrcore.bootstrap_indices(n, num_resamples, (seed + 1) % 2**64))


def _reference_metrics(score: np.ndarray, label: np.ndarray, threshold) -> dict[str, float]:
    """The five metrics of one sample, in numpy; NaN where a metric is 0/0."""
    flagged = score >= threshold
    tp = np.sum(flagged & (label == 1))
    fp = np.sum(flagged & (label == 0))
    fn = np.sum(~flagged & (label == 1))
    tn = np.sum(~flagged & (label == 0))

    def ratio(a, b):
        return a / b if b > 0 else math.nan

    pos, neg = score[label == 1], score[label == 0]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return {
        "accuracy": (tp + tn) / len(score),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "roc_auc": ratio(pairs, len(pos) * len(neg)),
    }


@examples(20)
@given(
    seed=SEEDS,
    n=st.integers(2, 25),
    num_resamples=st.integers(1, 25),
    threshold=st.sampled_from([0.05, 0.3, 0.5, 0.75, Fraction(1, 2), np.float32(0.25), 1.0]),
    confidence=st.sampled_from([0.5, 0.9, 0.95, Fraction(4, 5), np.float64(0.99)]),
    dtype=DTYPES,
    ties=st.integers(2, 10),
)
def test_bootstrap_confidence_intervals_against_numpy(seed, n, num_resamples, threshold, confidence, dtype, ties):
    g = _gen(seed)
    y_score = (torch.randint(0, ties + 1, (n, 1), generator=g).double() / ties).to(dtype)  # with ties
    y_true = _labels(n, g, dtype)
    args = {"y_score": y_score, "y_true": y_true, "threshold": threshold}
    kwargs = {"num_resamples": num_resamples, "seed": seed, "confidence": confidence}
    before = snapshot(args)
    got = lrcore.bootstrap_confidence_intervals(**args, **kwargs)

    # The threshold compared in the scores' dtype, as predict compares.
    score, label = y_score.numpy().ravel(), y_true.numpy().ravel()
    t = np.asarray(float(threshold), dtype=score.dtype)
    whole = _reference_metrics(score, label, t)
    assert whole["roc_auc"] == pytest.approx(skm.roc_auc_score(label, score), abs=1e-12)
    indices = lrcore.bootstrap_indices(n, num_resamples, seed).numpy()
    resampled = [_reference_metrics(score[row], label[row], t) for row in indices]
    alpha = (1 - float(confidence)) / 2
    assert list(got) == ["accuracy", "precision", "recall", "f1", "roc_auc"]
    for name, interval in got.items():
        values = np.array([r[name] for r in resampled])
        defined = values[~np.isnan(values)]
        assert interval.estimate == pytest.approx(whole[name], abs=1e-12, nan_ok=True), name
        assert interval.num_undefined == len(values) - len(defined), name
        if len(defined) == 0:
            assert math.isnan(interval.low) and math.isnan(interval.high), name
            continue
        low, high = np.percentile(defined, [100 * alpha, 100 * (1 - alpha)])
        assert interval.low == pytest.approx(low, rel=1e-12, abs=1e-12), name
        assert interval.high == pytest.approx(high, rel=1e-12, abs=1e-12), name
        assert 0 <= interval.low <= interval.high <= 1
    assert_unchanged(before, args)


@examples(30)
@given(
    seed=SEEDS,
    n_pos=st.integers(2, 25),
    n_neg=st.integers(2, 25),
    num_folds=st.integers(2, 6),
    num_repeats=st.integers(1, 3),
    dtype=DTYPES,
)
def test_stratified_k_fold_against_sklearn(seed, n_pos, n_neg, num_folds, num_repeats, dtype):
    num_folds = min(num_folds, n_pos, n_neg)
    g = _gen(seed)
    y = torch.cat([torch.ones(n_pos), torch.zeros(n_neg)])[torch.randperm(n_pos + n_neg, generator=g)]
    y = y.reshape(-1, 1).to(dtype)
    before = snapshot({"y": y})
    folds = lrcore.stratified_k_fold(y, num_folds, num_repeats, seed)
    assert len(folds) == num_folds * num_repeats
    n = n_pos + n_neg
    labels = y.numpy().ravel()
    splitter = RepeatedStratifiedKFold(n_splits=num_folds, n_repeats=num_repeats, random_state=seed)
    for (train, test), (train_ref, test_ref) in zip(folds, splitter.split(np.zeros(n), labels), strict=True):
        assert train.dtype == test.dtype == torch.int64
        np.testing.assert_array_equal(train.numpy(), train_ref)
        np.testing.assert_array_equal(test.numpy(), test_ref)
    for repeat in range(num_repeats):
        tests = [test.numpy() for _, test in folds[repeat * num_folds : (repeat + 1) * num_folds]]
        # Every index is in exactly one test fold per repeat, and the training part is the rest.
        assert sorted(np.concatenate(tests).tolist()) == list(range(n))
        for train, test in folds[repeat * num_folds : (repeat + 1) * num_folds]:
            assert sorted(train.tolist() + test.tolist()) == list(range(n))
            assert (np.diff(train.numpy()) > 0).all() and (np.diff(test.numpy()) > 0).all()
        # Each class is dealt evenly: its count per fold differs by at most 1 across the folds.
        for k in (0, 1):
            per_fold = [int((labels[t] == k).sum()) for t in tests]
            assert max(per_fold) - min(per_fold) <= 1
    again = lrcore.stratified_k_fold(y, num_folds, num_repeats, seed)  # the same seed, the same folds
    assert all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in zip(folds, again, strict=True))
    assert_unchanged(before, {"y": y})


def _train(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A deterministic 'fit' of any kind: what cross_validate does with (w, b) is what is tested."""
    w = x.T @ (y - 0.5) / x.shape[0]
    b = (y.mean() - 0.4).reshape(1, 1)
    return w, b


@examples(20)
@given(
    seed=SEEDS,
    n=st.integers(8, 40),
    d=st.integers(1, 4),
    num_folds=st.integers(2, 4),
    threshold=st.sampled_from([0.3, 0.5, 0.6, Fraction(1, 2), np.float32(0.45)]),
    dtype=DTYPES,
)
def test_cross_validate_against_a_manual_loop(seed, n, d, num_folds, threshold, dtype):
    g = _gen(seed)
    x = (torch.randn(n, d, generator=g, dtype=torch.float64) * 3 + 5).to(dtype)
    y = torch.zeros(n, 1, dtype=dtype)
    y[torch.randperm(n, generator=g)[: max(num_folds, n // 2)]] = 1
    labels = y.numpy().ravel()
    folds_np = list(StratifiedKFold(num_folds, shuffle=True, random_state=seed).split(np.zeros(n), labels))
    folds = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in folds_np]
    seen = []

    def train(xs, ys):
        seen.append((xs.clone(), ys.clone()))
        return _train(xs, ys)

    args = {"x": x, "y": y, "folds": folds}
    before = snapshot(args)
    got = lrcore.cross_validate(x, y, folds, train, threshold)
    assert list(got) == ["accuracy", "precision", "recall", "f1", "roc_auc"]
    xn = x.double().numpy()
    for k, (train_index, test_index) in enumerate(folds_np):
        # Standardized with the training part's own statistics (population std, as StandardScaler).
        mean, std = xn[train_index].mean(0), xn[train_index].std(0)
        xs_train = (xn[train_index] - mean) / std
        rtol = 1e-4 if dtype == torch.float32 else 1e-10
        np.testing.assert_allclose(seen[k][0].double().numpy(), xs_train, rtol=rtol, atol=rtol)
        np.testing.assert_array_equal(seen[k][1].numpy().ravel(), labels[train_index])
        w, b = (t.double().numpy() for t in _train(seen[k][0], seen[k][1]))
        z = ((xn[test_index] - mean) / std) @ w + b
        p = (1 / (1 + np.exp(-z))).ravel().astype(x.numpy().dtype)
        truth = labels[test_index]
        flagged = (p >= np.asarray(float(threshold), dtype=p.dtype)).astype(int)
        expected = {
            "accuracy": skm.accuracy_score(truth, flagged),
            "precision": skm.precision_score(truth, flagged, zero_division=np.nan),
            "recall": skm.recall_score(truth, flagged, zero_division=np.nan),
            "f1": skm.f1_score(truth, flagged, zero_division=np.nan),
            "roc_auc": skm.roc_auc_score(truth, p),
        }
        for name, value in expected.items():
            assert got[name].dtype == torch.float64 and got[name].shape == (num_folds,)
            # float32 probabilities near the threshold may round either way: compared as float64 first.
            assert got[name][k].item() == pytest.approx(value, abs=1e-9, nan_ok=True), (name, k)
    assert_unchanged(before, args)


# ============================================================================ optimisation


@examples(30)
@given(
    seed=SEEDS,
    n=st.integers(1, 30),
    d=st.integers(1, 5),
    learning_rate=st.floats(1e-4, 10),
    dtype=DTYPES,
)
def test_gradient_descent_step_against_autograd(seed, n, d, learning_rate, dtype):
    g = _gen(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64).to(dtype)
    y = torch.randint(0, 2, (n, 1), generator=g).to(dtype)
    w = torch.randn(d, 1, generator=g, dtype=torch.float64).to(dtype)
    b = torch.randn(1, 1, generator=g, dtype=torch.float64).to(dtype)
    args = {"x": x, "y": y, "w": w, "b": b, "learning_rate": learning_rate}
    before = snapshot(args)
    loss, w_new, b_new = lrcore.gradient_descent_step(**args)

    w_ref, b_ref = w.double().clone().requires_grad_(), b.double().clone().requires_grad_()
    loss_ref = F.binary_cross_entropy_with_logits(x.double() @ w_ref + b_ref, y.double())
    loss_ref.backward()
    tol = 2e-5 if dtype == torch.float32 else 1e-12
    assert loss.dtype == w_new.dtype == b_new.dtype == dtype
    assert torch.isfinite(loss) and torch.isfinite(w_new).all() and torch.isfinite(b_new).all()
    torch.testing.assert_close(loss.double(), loss_ref.detach(), rtol=tol, atol=tol)
    scale = tol * (1 + learning_rate)
    torch.testing.assert_close(w_new.double(), (w_ref - learning_rate * w_ref.grad).detach(), rtol=tol, atol=scale)
    torch.testing.assert_close(b_new.double(), (b_ref - learning_rate * b_ref.grad).detach(), rtol=tol, atol=scale)
    assert_unchanged(before, args)


def _sgd_reference(x, y, w, b, learning_rate, num_epochs, batch_size, seed, l2, drop_last):
    """PyTorch's loop (nn.Linear, BCEWithLogitsLoss, SGD over a shuffling DataLoader): parameters after each step."""
    model = nn.Linear(x.shape[1], 1).to(x.dtype)
    with torch.no_grad():
        model.weight.copy_(w.T)
        model.bias.copy_(b.reshape(1))
    loader = DataLoader(
        TensorDataset(x, y),
        batch_size=batch_size,
        shuffle=True,
        drop_last=drop_last,
        generator=torch.Generator().manual_seed(seed),
    )
    optimizer = torch.optim.SGD(
        [{"params": [model.weight], "weight_decay": l2}, {"params": [model.bias]}], lr=learning_rate
    )
    weights, biases = [model.weight.detach().T.clone()], [model.bias.detach().reshape(1, 1).clone()]
    for _ in range(num_epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            F.binary_cross_entropy_with_logits(model(xb), yb).backward()
            optimizer.step()
            weights.append(model.weight.detach().T.clone())
            biases.append(model.bias.detach().reshape(1, 1).clone())
    return torch.stack(weights), torch.stack(biases)


@examples(12)
@given(
    seed=SEEDS,
    n=st.integers(2, 16),
    d=st.integers(1, 3),
    num_epochs=st.integers(0, 4),
    batch_fraction=st.floats(0, 1),
    learning_rate=st.floats(1e-3, 2),
    l2=st.sampled_from([0.0, 0.05]),
    drop_last=st.booleans(),
)
def test_fit_minibatch_against_dataloader_and_sgd(seed, n, d, num_epochs, batch_fraction, learning_rate, l2, drop_last):
    g = _gen(seed)
    batch_size = 1 + round(batch_fraction * (n - 1))
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = _labels(n, g)
    w = torch.randn(d, 1, generator=g, dtype=torch.float64)
    b = torch.zeros(1, 1, dtype=torch.float64)
    x_val, y_val = x[: max(1, n // 2)] * 0.5, y[: max(1, n // 2)]
    args = {"x": x, "y": y, "w": w, "b": b, "x_val": x_val, "y_val": y_val}
    before = snapshot(args)
    history = lrcore.fit_minibatch(
        x, y, w, b, learning_rate, num_epochs, batch_size, seed, x_val=x_val, y_val=y_val, l2=l2, drop_last=drop_last
    )
    weights, biases = _sgd_reference(x, y, w, b, learning_rate, num_epochs, batch_size, seed, l2, drop_last)
    torch.testing.assert_close(history.weights, weights, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(history.biases, biases, rtol=1e-10, atol=1e-12)
    # Losses over the whole training and validation sets before each step.
    steps = weights.shape[0] - 1
    train = [F.binary_cross_entropy_with_logits(x @ weights[k] + biases[k], y) for k in range(steps)]
    val = [F.binary_cross_entropy_with_logits(x_val @ weights[k] + biases[k], y_val) for k in range(steps)]
    assert history.train_loss.shape == history.val_loss.shape == (steps,)
    if steps:
        torch.testing.assert_close(history.train_loss, torch.stack(train), rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(history.val_loss, torch.stack(val), rtol=1e-10, atol=1e-12)
    assert torch.isfinite(history.weights).all()
    assert_unchanged(before, args)


# ============================================================================ geometry


@examples(30)
@given(
    seed=SEEDS,
    k=st.integers(1, 6),
    d=st.integers(1, 6),
    log_scale=st.floats(-30, 30),
    dtype=DTYPES,
)
def test_angle_between_against_numpy(seed, k, d, log_scale, dtype):
    g = _gen(seed)
    u = (torch.randn(k, d, generator=g, dtype=torch.float64) * 10**log_scale).to(dtype)
    v = torch.randn(d, generator=g, dtype=torch.float64).to(dtype)
    u[u.abs().amax(-1) == 0] = 1  # no zero vector
    if not bool((v != 0).any()):
        v[0] = 1
    args = {"u": u, "v": v}
    before = snapshot(args)
    got = lrcore.angle_between(u, v)
    assert got.shape == (k,) and got.dtype == dtype and torch.isfinite(got).all()
    # Reference: the arccos of the cosine, in float64 on the unit vectors; accurate to about 1.5e-8 rad
    # (its error near 0 and pi is sqrt(eps)), far finer than float32's.
    un, vn = u.double().numpy(), v.double().numpy()
    un = un / np.abs(un).max(-1, keepdims=True)
    un = un / np.linalg.norm(un, axis=-1, keepdims=True)
    vn = vn / np.abs(vn).max()
    vn = vn / np.linalg.norm(vn)
    reference = np.arccos(np.clip(un @ vn, -1, 1))
    np.testing.assert_allclose(got.double().numpy(), reference, atol=3e-6 if dtype == torch.float32 else 1e-7)
    assert bool((got >= 0).all() and (got <= math.pi + 1e-6).all())
    # Symmetric, and a positive scale of either vector does not move it.
    torch.testing.assert_close(lrcore.angle_between(v, u), got, rtol=0, atol=0)
    torch.testing.assert_close(lrcore.angle_between(u * 2, v), got, rtol=0, atol=0)
    assert_unchanged(before, args)


# ============================================================================ invalid input, every function


def _valid(dtype) -> dict[str, tuple]:
    """Function name -> (function, valid keyword arguments), small and fresh for every example."""
    g = _gen(0)
    n = 12
    x = torch.randn(n, 2, generator=g, dtype=dtype)
    y = torch.tensor([[0.0], [1.0]] * (n // 2), dtype=dtype)
    s = torch.rand(n, 1, generator=g, dtype=dtype)
    ints = y.long()
    w, b = torch.randn(2, 1, generator=g, dtype=dtype), torch.zeros(1, 1, dtype=dtype)
    # Both classes in every part (y alternates 0, 1).
    folds = [(torch.arange(0, 6), torch.arange(6, n)), (torch.arange(6, n), torch.arange(0, 6))]
    return {
        "f1_score": (lrcore.f1_score, {"y_pred": ints, "y_true": ints.flip(0)}),
        "brier_score": (lrcore.brier_score, {"y_prob": s, "y_true": y}),
        "calibration_curve": (lrcore.calibration_curve, {"y_prob": s, "y_true": y, "n_bins": 4}),
        "expected_calibration_error": (lrcore.expected_calibration_error, {"y_prob": s, "y_true": y}),
        "brier_decomposition": (lrcore.brier_decomposition, {"y_prob": s, "y_true": y, "strategy": "quantile"}),
        "bootstrap_indices": (lrcore.bootstrap_indices, {"n": 5, "num_resamples": 3, "seed": 0}),
        "bootstrap_confidence_intervals": (
            lrcore.bootstrap_confidence_intervals,
            {"y_score": s, "y_true": y, "num_resamples": 20, "seed": 1, "confidence": 0.9, "threshold": 0.5},
        ),
        "stratified_k_fold": (lrcore.stratified_k_fold, {"y": y, "num_folds": 3, "num_repeats": 2, "seed": 0}),
        "cross_validate": (lrcore.cross_validate, {"x": x, "y": y, "folds": folds, "train": _train}),
        "gradient_descent_step": (
            lrcore.gradient_descent_step,
            {"x": x, "y": y, "w": w, "b": b, "learning_rate": 0.1},
        ),
        "fit_minibatch": (
            lrcore.fit_minibatch,
            {
                "x": x,
                "y": y,
                "w": w,
                "b": b,
                "learning_rate": 0.1,
                "num_epochs": 2,
                "batch_size": 4,
                "seed": 0,
                "x_val": x[:4],
                "y_val": y[:4],
            },
        ),
        "angle_between": (lrcore.angle_between, {"u": x, "v": w.reshape(-1)}),
    }


def _nan_at(t: torch.Tensor, value=math.nan) -> torch.Tensor:
    t = t.clone() if t.is_floating_point() else t.double()
    t.view(-1)[t.numel() // 2] = value
    return t


#: (function, argument, how to break it): a function of the valid value (or of the dtype).
BREAKS = {
    "y_pred": [lambda t: _nan_at(t, 2.0), lambda t: t.tolist(), lambda t: t[:-1], lambda t: _nan_at(t)],
    "y_true": [lambda t: _nan_at(t, 0.5), lambda t: None, lambda t: t[:-1], lambda t: _nan_at(t), lambda t: t[None]],
    "y_prob": [lambda t: _nan_at(t, 1.5), lambda t: _nan_at(t), lambda t: t.numpy(), lambda t: t.reshape(-1)[:-1]],
    "y_score": [lambda t: _nan_at(t), lambda t: _nan_at(t, math.inf), lambda t: t.reshape(1, -1), lambda t: "0.5"],
    "y": [lambda t: _nan_at(t, 0.5), lambda t: t.tolist(), lambda t: t[:0], lambda t: _nan_at(t), lambda t: t.T],
    "x": [lambda t: _nan_at(t), lambda t: t.numpy(), lambda t: t[:-1], lambda t: t.reshape(-1), lambda t: t.long()],
    "w": [lambda t: _nan_at(t), lambda t: t.T, lambda t: t.tolist(), lambda t: t[:1]],
    "b": [lambda t: _nan_at(t, math.inf), lambda t: t.reshape(1), lambda t: 0.0],
    "x_val": [lambda t: _nan_at(t), lambda t: t[:, :1], lambda t: t.numpy()],
    "y_val": [lambda t: _nan_at(t, 0.5), lambda t: t[:-1]],
    "u": [lambda t: _nan_at(t), lambda t: t.numpy(), lambda t: t * 0, lambda t: t[:, :1]],
    "v": [lambda t: _nan_at(t, math.inf), lambda t: t.tolist(), lambda t: t * 0],
    "n_bins": [lambda v: 0, lambda v: True, lambda v: 2.5, lambda v: "10", lambda v: None],
    "strategy": [lambda v: "quantiles", lambda v: 1, lambda v: None],
    "n": [lambda v: 0, lambda v: -1, lambda v: 5.0, lambda v: True],
    "num_resamples": [lambda v: 0, lambda v: 2.0, lambda v: np.bool_(True), lambda v: "3"],
    "seed": [lambda v: -1, lambda v: 0.5, lambda v: None, lambda v: 2**64],
    "confidence": [lambda v: 0.0, lambda v: 1.0, lambda v: math.nan, lambda v: "0.9", lambda v: True],
    "threshold": [lambda v: math.nan, lambda v: math.inf, lambda v: "0.5", lambda v: None, lambda v: 10**400],
    "num_folds": [lambda v: 1, lambda v: 100, lambda v: 2.0, lambda v: None],
    "num_repeats": [lambda v: 0, lambda v: 1.5],
    "folds": [lambda v: [], lambda v: None, lambda v: [(v[0][0],)], lambda v: [(v[0][0], v[0][1] + 100)]],
    "train": [lambda v: None, lambda v: "fit"],
    "learning_rate": [lambda v: 0.0, lambda v: -0.1, lambda v: math.nan, lambda v: "0.1", lambda v: True],
    "num_epochs": [lambda v: -1, lambda v: 1.0, lambda v: 10**400],
    "batch_size": [lambda v: 0, lambda v: 13, lambda v: 4.0],
}

INVALID_CASES = sorted(
    (name, arg, k)
    for name, (_, kwargs) in _valid(torch.float64).items()
    for arg in kwargs
    if arg in BREAKS
    for k in range(len(BREAKS[arg]))
)


@pytest.mark.parametrize(("name", "arg", "k"), INVALID_CASES)
@examples(2)
@given(dtype=DTYPES)
def test_invalid_argument_raises_naming_it(name, arg, k, dtype):
    fn, kwargs = _valid(dtype)[name]
    broken = BREAKS[arg][k](kwargs[arg])
    before = snapshot(kwargs)
    raises_naming(arg, fn, **{**kwargs, arg: broken})
    assert_unchanged(before, kwargs)
