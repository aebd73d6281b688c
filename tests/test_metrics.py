"""lrcore.metrics against sklearn.metrics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
import torch
from sklearn.exceptions import UndefinedMetricWarning as SkUndefinedMetricWarning

import lrcore

SCALAR_METRICS = {
    # lrcore function: sklearn function(y_true, y_pred)
    "accuracy": (lrcore.accuracy, skm.accuracy_score),
    "precision": (lrcore.precision, skm.precision_score),
    "recall": (lrcore.recall, skm.recall_score),
    "f1": (lrcore.f1_score, skm.f1_score),
}

KINDS = {
    "bool": lambda a: torch.from_numpy(a.astype(bool)),
    "int64": lambda a: torch.from_numpy(a.astype(np.int64)),
    "int32": lambda a: torch.from_numpy(a.astype(np.int32)),
    "float32": lambda a: torch.from_numpy(a.astype(np.float32)),
    "float64": lambda a: torch.from_numpy(a.astype(np.float64)),
}


def _column(kind: str, values) -> torch.Tensor:
    return KINDS[kind](np.asarray(values)).reshape(-1, 1)


def _sklearn_with_warning(fn, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, bool]:
    """sklearn's value (default zero_division="warn") and whether it warned UndefinedMetricWarning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn(y_true, y_pred)
    return float(value), any(issubclass(w.category, SkUndefinedMetricWarning) for w in caught)


def _lrcore_with_warning(fn, y_pred: torch.Tensor, y_true: torch.Tensor):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn(y_pred, y_true)
    return value, [w for w in caught if issubclass(w.category, lrcore.UndefinedMetricWarning)]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("seed", range(8))
def test_metrics_against_sklearn_random(kind, seed, assert_pure):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    # Vary the class balance so that some seeds give few or no positives.
    y_true = (rng.random(n) < rng.random()).astype(int)
    y_pred = (rng.random(n) < rng.random()).astype(int)
    pred_t, true_t = _column(kind, y_pred), _column(kind, y_true)
    for name, (ours, theirs) in SCALAR_METRICS.items():
        expected, sk_warned = _sklearn_with_warning(theirs, y_true, y_pred)
        value, warned = _lrcore_with_warning(lambda p, t, ours=ours: assert_pure(ours, p, t), pred_t, true_t)
        assert isinstance(value, float), name
        assert not math.isnan(value), name
        assert value == pytest.approx(expected, abs=1e-15), name
        assert bool(warned) == sk_warned, name
    cm = assert_pure(lrcore.confusion_matrix, pred_t, true_t)
    assert cm.dtype == torch.int64 and cm.shape == (2, 2) and cm.device == pred_t.device
    np.testing.assert_array_equal(cm.numpy(), skm.confusion_matrix(y_true, y_pred, labels=[0, 1]))


@pytest.mark.parametrize("seed", range(4))
def test_compute_metrics_against_sklearn(seed, assert_pure):
    rng = np.random.default_rng(100 + seed)
    y_true = rng.integers(0, 2, 80)
    y_pred = rng.integers(0, 2, 80)
    result = assert_pure(lrcore.compute_metrics, _column("float32", y_pred), _column("float32", y_true))
    assert list(result) == ["accuracy", "precision", "recall", "f1"]
    for name, (_, theirs) in SCALAR_METRICS.items():
        assert result[name] == pytest.approx(theirs(y_true, y_pred), abs=1e-15)


def test_mixed_kinds_of_pred_and_true():
    # Thresholded probabilities come as bool; labels as float: the counts must not care.
    y_true = np.array([1, 0, 1, 1, 0, 0, 1])
    y_pred = np.array([1, 1, 0, 1, 0, 0, 1])
    cm = lrcore.confusion_matrix(_column("bool", y_pred), _column("float64", y_true))
    np.testing.assert_array_equal(cm.numpy(), skm.confusion_matrix(y_true, y_pred, labels=[0, 1]))
    assert lrcore.precision(_column("bool", y_pred), _column("float32", y_true)) == skm.precision_score(y_true, y_pred)


def test_confusion_matrix_layout():
    # Docstring example: pred [1, 0, 1], true [1, 1, 0] -> TN 0, FP 1, FN 1, TP 1.
    cm = lrcore.confusion_matrix(torch.tensor([[1], [0], [1]]), torch.tensor([[1], [1], [0]]))
    assert cm.tolist() == [[0, 1], [1, 1]]
    assert cm.tolist() == skm.confusion_matrix([1, 1, 0], [1, 0, 1], labels=[0, 1]).tolist()


# ---------------------------------------------------------------------------- zero division

ZERO_DIVISION_CASES = {
    # name: (y_pred, y_true)
    "no_predicted_positive": ([0, 0, 0, 0], [1, 0, 1, 0]),
    "no_actual_positive": ([1, 0, 1, 0], [0, 0, 0, 0]),
    "no_positive_at_all": ([0, 0, 0], [0, 0, 0]),
    "all_positive_right": ([1, 1], [1, 1]),
    "single_negative_sample": ([0], [0]),
}


@pytest.mark.parametrize("case", list(ZERO_DIVISION_CASES))
@pytest.mark.parametrize("metric", ["precision", "recall", "f1"])
@pytest.mark.parametrize("kind", ["bool", "int64", "float32"])
def test_zero_division_like_sklearn(case, metric, kind):
    y_pred, y_true = ZERO_DIVISION_CASES[case]
    ours, theirs = SCALAR_METRICS[metric]
    expected, sk_warned = _sklearn_with_warning(theirs, np.array(y_true), np.array(y_pred))
    value, warned = _lrcore_with_warning(ours, _column(kind, y_pred), _column(kind, y_true))
    assert value == pytest.approx(expected, abs=1e-15)
    assert not math.isnan(value)
    assert len(warned) == int(sk_warned)


def test_zero_division_values_and_warning_category():
    none = torch.zeros(4, 1)
    with pytest.warns(lrcore.UndefinedMetricWarning, match="precision"):
        assert lrcore.precision(none, torch.tensor([[1.0], [0.0], [1.0], [0.0]])) == 0.0
    with pytest.warns(lrcore.UndefinedMetricWarning, match="recall"):
        assert lrcore.recall(torch.tensor([[1.0], [0.0], [1.0], [0.0]]), none) == 0.0
    with pytest.warns(lrcore.UndefinedMetricWarning, match="F1"):
        assert lrcore.f1_score(none, none) == 0.0
    assert issubclass(lrcore.UndefinedMetricWarning, UserWarning)


def test_compute_metrics_all_negative_warns_and_never_nan():
    none = torch.zeros(5, 1, dtype=torch.int64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = lrcore.compute_metrics(none, none)
    assert result == {"accuracy": 1.0, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    # precision, recall and F1 are all 0/0 here; sklearn warns for each of them too.
    assert sum(issubclass(w.category, lrcore.UndefinedMetricWarning) for w in caught) == 3


def test_accuracy_against_sklearn_on_model_predictions(test64):
    # Thresholded probabilities of a fixed model, as the book uses them (bool predictions).
    x, y = test64
    w = torch.linspace(-1, 1, 10, dtype=torch.float64).reshape(-1, 1)
    pred = torch.sigmoid(x @ w) >= 0.5
    y_np, p_np = y.numpy().ravel().astype(int), pred.numpy().ravel().astype(int)
    assert lrcore.accuracy(pred, y) == pytest.approx(skm.accuracy_score(y_np, p_np), abs=1e-15)
    assert lrcore.f1_score(pred, y) == pytest.approx(skm.f1_score(y_np, p_np), abs=1e-15)


# ---------------------------------------------------------------------------- metrics_along_trajectory


def _trajectory(dtype, k: int = 6, n: int = 57, d: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = (torch.rand(n, 1, generator=g, dtype=torch.float64) < 0.4).double()
    weights = torch.randn(k, d, 1, generator=g, dtype=torch.float64) * 2
    biases = torch.randn(k, 1, 1, generator=g, dtype=torch.float64)
    # Step 0 predicts nothing positive (precision 0/0), the last one everything (recall defined).
    weights[0], biases[0] = 0.0, -50.0
    weights[-1], biases[-1] = 0.0, 50.0
    return x.to(dtype), y.to(dtype), weights.to(dtype), biases.to(dtype)


def _sklearn_along(x, y, weights, biases, threshold):
    """sklearn metrics of each step's thresholded float64 probabilities, zero_division=0."""
    y_np = y.numpy().ravel().astype(int)
    out = {name: [] for name in SCALAR_METRICS}
    for w, b in zip(weights.double(), biases.double(), strict=True):
        pred = (torch.sigmoid(x.double() @ w + b) >= threshold).numpy().ravel().astype(int)
        out["accuracy"].append(skm.accuracy_score(y_np, pred))
        out["precision"].append(skm.precision_score(y_np, pred, zero_division=0))
        out["recall"].append(skm.recall_score(y_np, pred, zero_division=0))
        out["f1"].append(skm.f1_score(y_np, pred, zero_division=0))
    return out


@pytest.mark.parametrize("threshold", [0.5, 0.2])
@pytest.mark.parametrize("seed", range(3))
def test_metrics_along_trajectory_against_sklearn(dtype, threshold, seed, assert_pure):
    x, y, weights, biases = _trajectory(dtype, seed=seed)
    result = assert_pure(lrcore.metrics_along_trajectory, x, y, weights, biases, threshold=threshold)
    expected = _sklearn_along(x, y, weights, biases, threshold)
    assert list(result) == ["accuracy", "precision", "recall", "f1"]
    # Counts over n = 57 samples: the ratios are exact to the dtype's rounding.
    tol = 1e-6 if dtype == torch.float32 else 1e-14
    for name, values in result.items():
        assert values.shape == (weights.shape[0],) and values.dtype == dtype and values.device == x.device, name
        assert not torch.isnan(values).any(), name
        np.testing.assert_allclose(values.double().numpy(), expected[name], rtol=0, atol=tol, err_msg=name)


def test_metrics_along_trajectory_of_a_fit(train64, val64):
    x, y = train64
    x_val, y_val = val64
    history = lrcore.fit(x, y, torch.zeros(10, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64), 0.5, 25)
    result = lrcore.metrics_along_trajectory(x_val, y_val, history.weights, history.biases)
    expected = _sklearn_along(x_val, y_val, history.weights, history.biases, 0.5)
    for name, values in result.items():
        assert values.shape == (26,)
        np.testing.assert_allclose(values.numpy(), expected[name], rtol=0, atol=1e-14, err_msg=name)


def test_metrics_along_trajectory_zero_division_is_zero_without_warning():
    x, y, weights, biases = _trajectory(torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # documented: no warning per step
        result = lrcore.metrics_along_trajectory(x, y, weights[:1], biases[:1])
    assert result["precision"].tolist() == [0.0] and result["recall"].tolist() == [0.0]
    assert result["f1"].tolist() == [0.0]


# ---------------------------------------------------------------------------- curves over thresholds


def _scores_and_labels(seed: int):
    """A random case with many ties: scores rounded to 1 or 2 decimals, or drawn from a few values."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 200))
    y_true = (rng.random(n) < rng.uniform(0.05, 0.95)).astype(int)
    y_true[rng.integers(n)] = 1
    y_true[rng.integers(n)] = 0
    if y_true.min() == y_true.max():  # both draws hit the same sample: force both classes
        y_true[0], y_true[-1] = 0, 1
    kind = seed % 4
    if kind == 0:
        scores = np.round(rng.random(n), 1)  # probabilities, heavy ties
    elif kind == 1:
        scores = np.round(rng.random(n) + 0.3 * y_true, 2)  # informative, some ties
    elif kind == 2:
        scores = rng.normal(size=n) + y_true  # logits, no ties
    else:
        scores = rng.choice([-2.0, 0.0, 0.5, 3.0], size=n)  # four distinct values only
    return scores, y_true


def _score_column(scores, dtype):
    return torch.tensor(scores, dtype=dtype).reshape(-1, 1)


def _label_column(y_true, kind):
    return _column(kind, y_true)


@pytest.mark.parametrize("seed", range(40))
def test_roc_curve_against_sklearn(seed, dtype, assert_pure):
    scores, y_true = _scores_and_labels(seed)
    y_score = _score_column(scores, dtype)
    kind = ["float64", "int64", "bool", "float32"][seed % 4]
    fpr, tpr, thresholds = assert_pure(lrcore.roc_curve, y_score, _label_column(y_true, kind))
    # sklearn sees the same scores (rounded to float32 when dtype is), so the same ties.
    sk_fpr, sk_tpr, sk_thresholds = skm.roc_curve(y_true, y_score.numpy().ravel())
    for got in (fpr, tpr, thresholds):
        assert got.ndim == 1 and got.dtype == dtype and got.device == y_score.device
    assert fpr.shape == sk_fpr.shape
    assert thresholds[0].item() == np.inf
    np.testing.assert_array_equal(thresholds.numpy().astype(np.float64), sk_thresholds)
    tol = 1e-7 if dtype == torch.float32 else 0  # float64 rates are the same divisions as sklearn's
    np.testing.assert_allclose(fpr.numpy(), sk_fpr, rtol=tol, atol=0)
    np.testing.assert_allclose(tpr.numpy(), sk_tpr, rtol=tol, atol=0)
    area = lrcore.auc(fpr, tpr)
    assert isinstance(area, float)
    assert area == pytest.approx(skm.roc_auc_score(y_true, y_score.numpy().ravel()), abs=1e-6 if tol else 1e-12)
    assert area == pytest.approx(skm.auc(sk_fpr, sk_tpr), abs=1e-6 if tol else 1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_precision_recall_curve_against_sklearn(seed, dtype, assert_pure):
    scores, y_true = _scores_and_labels(seed)
    y_score = _score_column(scores, dtype)
    kind = ["bool", "float32", "int64", "float64"][seed % 4]
    precision, recall, thresholds = assert_pure(lrcore.precision_recall_curve, y_score, _label_column(y_true, kind))
    sk_precision, sk_recall, sk_thresholds = skm.precision_recall_curve(y_true, y_score.numpy().ravel())
    for got in (precision, recall, thresholds):
        assert got.ndim == 1 and got.dtype == dtype and got.device == y_score.device
    assert precision.shape == recall.shape == (thresholds.shape[0] + 1,)
    assert precision[-1].item() == 1 and recall[-1].item() == 0  # the closing point
    np.testing.assert_array_equal(thresholds.numpy(), sk_thresholds)
    tol = 1e-7 if dtype == torch.float32 else 0
    np.testing.assert_allclose(precision.numpy(), sk_precision, rtol=tol, atol=0)
    np.testing.assert_allclose(recall.numpy(), sk_recall, rtol=tol, atol=0)
    # Average precision is the step integral of this curve, as sklearn computes it.
    average_precision = -torch.sum(torch.diff(recall) * precision[:-1]).item()
    expected = skm.average_precision_score(y_true, y_score.numpy().ravel())
    assert average_precision == pytest.approx(expected, abs=1e-6 if tol else 1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_curves_of_logits_and_probabilities_agree(seed):
    # Only the order of the scores matters (float64: the sigmoid is strictly increasing here).
    rng = np.random.default_rng(seed)
    logits = torch.tensor(rng.normal(scale=3, size=(120, 1)))
    y_true = torch.tensor((rng.random((120, 1)) < torch.sigmoid(logits).numpy()).astype(float))
    for curve in (lrcore.roc_curve, lrcore.precision_recall_curve):
        from_logits, from_probabilities = curve(logits, y_true), curve(torch.sigmoid(logits), y_true)
        for a, b in zip(from_logits[:2], from_probabilities[:2], strict=True):
            assert torch.equal(a, b)


def test_roc_curve_drops_collinear_points():
    # A perfect ranking: of the 6 thresholds, sklearn (drop_intermediate=True) keeps the first, the
    # corner (0, 1) and the last; the points in between lie on the two straight segments.
    y_score = torch.tensor([[0.9], [0.8], [0.7], [0.6], [0.5], [0.4]], dtype=torch.float64)
    y_true = torch.tensor([[1], [1], [1], [0], [0], [0]])
    fpr, tpr, thresholds = lrcore.roc_curve(y_score, y_true)
    assert fpr.tolist() == [0.0, 0.0, 0.0, 1.0] and tpr.tolist() == [0.0, 1 / 3, 1.0, 1.0]
    assert thresholds.tolist() == [np.inf, 0.9, 0.7, 0.4]
    assert lrcore.auc(fpr, tpr) == 1.0


def test_roc_curve_all_tied_and_two_samples():
    fpr, tpr, thresholds = lrcore.roc_curve(torch.full((6, 1), 0.5), torch.tensor([[0], [1], [0], [1], [1], [0]]))
    assert fpr.tolist() == [0.0, 1.0] and tpr.tolist() == [0.0, 1.0] and thresholds.tolist() == [np.inf, 0.5]
    assert lrcore.auc(fpr, tpr) == 0.5  # a constant score cannot rank: chance
    fpr, tpr, _ = lrcore.roc_curve(torch.tensor([[0.2], [0.7]]), torch.tensor([[1], [0]]))
    sk_fpr, sk_tpr, _ = skm.roc_curve([1, 0], [0.2, 0.7])
    np.testing.assert_array_equal(fpr.numpy(), sk_fpr)
    np.testing.assert_array_equal(tpr.numpy(), sk_tpr)
    assert lrcore.auc(fpr, tpr) == 0.0  # perfectly wrong ranking


@pytest.mark.parametrize("missing", [0, 1])
def test_roc_curve_single_class_raises_where_sklearn_gives_nan(missing):
    present = 1 - missing
    y_true = torch.full((5, 1), present)
    y_score = torch.tensor([[0.1], [0.4], [0.35], [0.8], [0.8]])
    with pytest.warns(SkUndefinedMetricWarning):
        sk_fpr, sk_tpr, _ = skm.roc_curve(y_true.numpy().ravel(), y_score.numpy().ravel())
    assert np.isnan(sk_tpr if missing == 1 else sk_fpr).all()
    with pytest.warns(SkUndefinedMetricWarning):
        assert np.isnan(skm.roc_auc_score(y_true.numpy().ravel(), y_score.numpy().ravel()))
    word = "positive" if missing == 1 else "negative"
    with pytest.raises(ValueError, match=f"^y_true must contain at least one {word} sample \\({missing}\\)"):
        lrcore.roc_curve(y_score, y_true)


def test_precision_recall_curve_without_positive_raises_where_sklearn_sets_recall_one():
    y_true = torch.zeros(4, 1)
    y_score = torch.tensor([[0.1], [0.4], [0.35], [0.8]])
    with pytest.warns(UserWarning, match="No positive class found"):
        _, sk_recall, _ = skm.precision_recall_curve(y_true.numpy().ravel(), y_score.numpy().ravel())
    assert sk_recall[:-1].tolist() == [1.0] * 4
    with pytest.raises(ValueError, match=r"^y_true must contain at least one positive sample \(1\)"):
        lrcore.precision_recall_curve(y_score, y_true)


def test_precision_recall_curve_all_positive_is_defined():
    y_true = torch.ones(4, 1)
    y_score = torch.tensor([[0.1], [0.4], [0.4], [0.8]], dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        precision, recall, thresholds = lrcore.precision_recall_curve(y_score, y_true)
    sk = skm.precision_recall_curve(y_true.numpy().ravel(), y_score.numpy().ravel())
    for got, expected in zip((precision, recall, thresholds), sk, strict=True):
        np.testing.assert_array_equal(got.numpy(), expected)
    assert precision.tolist() == [1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("seed", range(10))
def test_auc_against_sklearn(seed, dtype):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 30))
    x = np.sort(np.round(rng.random(k), 1))  # non-decreasing, with repeats
    if seed % 2:
        x = x[::-1].copy()  # non-increasing: the area is still positive
    y = rng.normal(size=k)
    xt, yt = torch.tensor(x, dtype=dtype), torch.tensor(y, dtype=dtype)
    got = lrcore.auc(xt, yt)
    assert isinstance(got, float)
    expected = skm.auc(xt.numpy(), yt.numpy())
    assert got == pytest.approx(expected, abs=1e-6 if dtype == torch.float32 else 1e-12)


def test_auc_examples_and_purity(assert_pure):
    x, y = torch.tensor([0.0, 0.5, 1.0]), torch.tensor([0.0, 1.0, 1.0])
    assert assert_pure(lrcore.auc, x, y) == 0.75
    assert lrcore.auc(x.flip(0), y.flip(0)) == 0.75
    assert lrcore.auc(torch.tensor([1.0, 1.0]), torch.tensor([0.0, 5.0])) == 0.0  # a vertical segment


def test_curves_on_a_fitted_model(train64, test64):
    # What the book plots: the test-split curves of a model trained on the training split.
    x, y = train64
    x_test, y_test = test64
    w, b, _ = lrcore.fit_newton(x, y, l2=1e-3)
    logits = x_test @ w + b
    fpr, tpr, _ = lrcore.roc_curve(logits, y_test)
    y_np, s_np = y_test.numpy().ravel(), logits.numpy().ravel()
    assert lrcore.auc(fpr, tpr) == pytest.approx(skm.roc_auc_score(y_np, s_np), abs=1e-12)
    assert lrcore.auc(fpr, tpr) > 0.95
    precision, recall, _ = lrcore.precision_recall_curve(logits, y_test)
    ap = -torch.sum(torch.diff(recall) * precision[:-1]).item()
    assert ap == pytest.approx(skm.average_precision_score(y_np, s_np), abs=1e-12)
