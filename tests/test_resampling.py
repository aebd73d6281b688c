"""lrcore.resampling against scikit-learn and SciPy.

References: ``sklearn.metrics`` for every metric on every resample, ``scipy.stats.bootstrap
(method="percentile")`` for the intervals (on the very resamples SciPy drew, exactly; on
resamples each library draws itself, within Monte Carlo tolerance), the coverage of the
intervals on distributions whose true value is known, ``RepeatedStratifiedKFold`` /
``StratifiedKFold`` for the folds (the same indices for the same seed) and ``cross_val_score``
for the scores, with lrcore's fit wrapped as an estimator and with scikit-learn's own
``LogisticRegression``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import sklearn.metrics as skm
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import lrcore
from lrcore.resampling import METRICS

SKLEARN_METRICS = {
    "accuracy": lambda y, p, t: skm.accuracy_score(y, p >= t),
    "precision": lambda y, p, t: skm.precision_score(y, p >= t),
    "recall": lambda y, p, t: skm.recall_score(y, p >= t),
    "f1": lambda y, p, t: skm.f1_score(y, p >= t),
    "roc_auc": lambda y, p, t: skm.roc_auc_score(y, p),
}
SCORING = {"accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "f1", "roc_auc": "roc_auc"}


def _scores(n: int, seed: int, dtype=torch.float64, ties: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels and scores that separate the classes only partly (and, with ``ties``, on a coarse grid)."""
    g = torch.Generator().manual_seed(seed)
    y = (torch.rand(n, 1, generator=g) < 0.4).to(dtype)
    p = torch.sigmoid(1.5 * (2 * y - 1) + torch.randn(n, 1, generator=g, dtype=torch.float64)).to(dtype)
    return (torch.round(p * 10) / 10 if ties else p), y


def _numpy_metric(metric: str, y: np.ndarray, p: np.ndarray, threshold: float) -> np.ndarray:
    """A metric on each row of (B, n) arrays, in numpy: counts, and the AUC from average ranks."""
    flagged, positive = p >= threshold, y == 1
    tp, fp = (flagged & positive).sum(-1), (flagged & ~positive).sum(-1)
    fn, tn = (~flagged & positive).sum(-1), (~flagged & ~positive).sum(-1)
    if metric == "roc_auc":  # Mann-Whitney U from the ranks (ties get the average rank)
        n_pos, n_neg = positive.sum(-1), (~positive).sum(-1)
        rank_sum = (scipy.stats.rankdata(p, axis=-1) * positive).sum(-1)
        return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return {
        "accuracy": (tp + tn) / (tp + fp + fn + tn),
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "f1": 2 * tp / (2 * tp + fp + fn),
    }[metric]


@pytest.fixture(scope="module")
def book_data() -> tuple[pd.DataFrame, pd.Series]:
    """Train + validation of the book's split (455 tumours), raw features."""
    X, y = lrcore.load_breast_cancer_means()
    X_train, X_val, _, y_train, y_val, _ = lrcore.train_val_test_split(X, y)
    return pd.concat([X_train, X_val]), pd.concat([y_train, y_val])


# -- bootstrap_indices --------------------------------------------------------------------------


def test_bootstrap_indices_are_seeded_draws_with_replacement():
    idx = lrcore.bootstrap_indices(50, 4000, seed=3)
    assert idx.shape == (4000, 50) and idx.dtype == torch.int64
    assert int(idx.min()) == 0 and int(idx.max()) == 49
    assert torch.equal(idx, lrcore.bootstrap_indices(50, 4000, seed=3))
    assert not torch.equal(idx, lrcore.bootstrap_indices(50, 4000, seed=4))
    # Each sample appears once per resample on average, and a resample holds about 1 - 1/e of them.
    counts = torch.bincount(idx.ravel(), minlength=50) / 4000
    assert torch.allclose(counts, torch.ones(50, dtype=counts.dtype), atol=0.05)
    distinct = torch.tensor([row.unique().numel() for row in idx[:500]], dtype=torch.float64).mean() / 50
    assert abs(distinct.item() - (1 - (1 - 1 / 50) ** 50)) < 0.01


# -- bootstrap_metrics against scikit-learn ------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("threshold", [0.1, 0.5])
def test_bootstrap_metrics_match_sklearn_on_every_resample(dtype, ties, threshold):
    p, y = _scores(80, seed=1, dtype=dtype, ties=ties)
    idx = lrcore.bootstrap_indices(80, 40, seed=2)
    got = lrcore.bootstrap_metrics(p, y, idx, threshold)
    assert list(got) == list(METRICS)
    for r in range(40):
        y_r, p_r = y[idx[r]].ravel().numpy(), p[idx[r]].ravel().numpy()
        for name, reference in SKLEARN_METRICS.items():
            assert got[name][r].item() == pytest.approx(reference(y_r, p_r, threshold), abs=1e-12), (name, r)


def test_the_sample_itself_gives_lrcore_metrics():
    p, y = _scores(120, seed=5, ties=True)
    whole = lrcore.bootstrap_metrics(p, y, torch.arange(120).unsqueeze(0), threshold=0.3)
    expected = lrcore.compute_metrics((p >= 0.3).long(), y)
    for name in ("accuracy", "precision", "recall", "f1"):
        assert whole[name].item() == pytest.approx(expected[name], abs=1e-12)
    assert whole["roc_auc"].item() == pytest.approx(lrcore.auc(*lrcore.roc_curve(p, y)[:2]), abs=1e-12)


def test_bootstrap_metrics_do_not_depend_on_the_order_of_a_resample():
    p, y = _scores(60, seed=7)
    idx = lrcore.bootstrap_indices(60, 30, seed=1)
    shuffled = idx[:, torch.randperm(60, generator=torch.Generator().manual_seed(0))]
    a, b = lrcore.bootstrap_metrics(p, y, idx), lrcore.bootstrap_metrics(p, y, shuffled)
    assert all(torch.equal(a[name], b[name]) for name in METRICS)


def test_undefined_metrics_are_nan_not_zero():
    # One malignant tumour among six: a third of the resamples hold none.
    y = torch.tensor([[1.0], [0.0], [0.0], [0.0], [0.0], [0.0]])
    p = torch.tensor([[0.9], [0.2], [0.3], [0.7], [0.1], [0.4]])
    idx = torch.tensor([[1, 2, 3, 4, 5, 1], [1, 2, 4, 5, 5, 2], [0, 1, 2, 3, 4, 5]])
    got = lrcore.bootstrap_metrics(p, y, idx, threshold=0.5)
    # Resample 0: no malignant tumour, one false alarm: recall, AUC undefined; precision 0; F1 0.
    assert torch.isnan(got["recall"][0]) and torch.isnan(got["roc_auc"][0])
    assert got["precision"][0].item() == 0.0 and got["f1"][0].item() == 0.0
    assert got["accuracy"][0].item() == pytest.approx(5 / 6)
    # Resample 1: no malignant tumour and nothing flagged: precision, recall, F1 and AUC undefined.
    assert all(torch.isnan(got[name][1]) for name in ("precision", "recall", "f1", "roc_auc"))
    assert got["accuracy"][1].item() == 1.0
    # Resample 2 is the sample: everything defined.
    assert not any(torch.isnan(got[name][2]) for name in METRICS)


def test_undefined_resamples_are_counted_and_left_out_of_the_interval():
    y = torch.tensor([[1.0], [0.0], [0.0], [0.0], [0.0], [0.0], [1.0], [0.0]])
    p = torch.tensor([[0.9], [0.2], [0.3], [0.7], [0.1], [0.4], [0.35], [0.6]])
    ci = lrcore.bootstrap_confidence_intervals(p, y, threshold=0.5, num_resamples=5000, seed=0)
    recall = lrcore.bootstrap_metrics(p, y, lrcore.bootstrap_indices(8, 5000, 0), 0.5)["recall"]
    expected_missing = 5000 * (6 / 8) ** 8  # P(no malignant tumour in a resample of 8) = (6/8)^8 = 0.10
    assert ci["recall"].num_undefined == int(torch.isnan(recall).sum())
    assert abs(ci["recall"].num_undefined - expected_missing) < 4 * np.sqrt(expected_missing)
    assert ci["accuracy"].num_undefined == 0
    assert (ci["recall"].low, ci["recall"].high) == lrcore.percentile_interval(recall[~torch.isnan(recall)])
    assert ci["recall"].estimate == 0.5


# -- percentile_interval and the intervals against scipy.stats.bootstrap -------------------------


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("num_resamples", [2, 7, 1000, 9999])
def test_percentile_interval_on_fixed_values_matches_scipy(confidence, num_resamples):
    values = np.random.default_rng(num_resamples).normal(size=num_resamples)

    class Given:  # scipy.stats.bootstrap's way of being handed a bootstrap distribution
        bootstrap_distribution = values

    scipy_ci = scipy.stats.bootstrap(
        (np.arange(3.0),),
        np.mean,
        n_resamples=0,
        bootstrap_result=Given,
        method="percentile",
        confidence_level=confidence,
    ).confidence_interval
    low, high = lrcore.percentile_interval(torch.from_numpy(values), confidence)
    assert low == pytest.approx(scipy_ci.low, abs=1e-12) and high == pytest.approx(scipy_ci.high, abs=1e-12)
    numpy_ci = np.percentile(values, [50 * (1 - confidence), 50 * (1 + confidence)])
    assert (low, high) == pytest.approx(tuple(numpy_ci), abs=1e-12)


@pytest.mark.parametrize("metric", METRICS)
def test_intervals_on_scipys_own_resamples_are_scipys(metric):
    """Hand scipy.stats.bootstrap the sample numbers 0..n-1: the statistic sees the resamples it drew."""
    p, y = _scores(100, seed=11)
    drawn = []

    def statistic(resampled_indices, axis=-1):
        rows = np.atleast_2d(resampled_indices).astype(np.int64)
        drawn.append(rows)
        return lrcore.bootstrap_metrics(p, y, torch.from_numpy(rows), 0.5)[metric].numpy()

    result = scipy.stats.bootstrap(
        (np.arange(100),), statistic, n_resamples=3000, vectorized=True, method="percentile", rng=0, batch=1000
    )
    indices = torch.from_numpy(np.concatenate(drawn))
    assert indices.shape == (3000, 100)
    low, high = lrcore.percentile_interval(lrcore.bootstrap_metrics(p, y, indices, 0.5)[metric])
    assert low == pytest.approx(result.confidence_interval.low, abs=1e-12)
    assert high == pytest.approx(result.confidence_interval.high, abs=1e-12)


@pytest.mark.parametrize("metric", METRICS)
def test_intervals_match_scipy_within_monte_carlo_tolerance(metric):
    """Each library draws its own 20 000 resamples; the ends agree to within the Monte Carlo error.

    The ends of a 95 % interval from B resamples move by about sqrt(0.025 * 0.975 / B) / f, f the
    density of the metric there: about 0.001 here (the metrics' spread is 0.02 to 0.05). The
    count-based metrics also move on a grid of 1/n or so. Tolerance: 0.012, a grid step plus
    several Monte Carlo standard errors.
    """
    p, y = _scores(114, seed=13)
    ours = lrcore.bootstrap_confidence_intervals(p, y, threshold=0.5, num_resamples=20_000, seed=1)[metric]
    y_np, p_np = y.ravel().numpy(), p.ravel().numpy()

    def statistic(y_b, p_b, axis=-1):
        return _numpy_metric(metric, y_b, p_b, 0.5)

    theirs = scipy.stats.bootstrap(
        (y_np, p_np), statistic, paired=True, vectorized=True, n_resamples=20_000, method="percentile", rng=2
    ).confidence_interval
    assert ours.low == pytest.approx(theirs.low, abs=0.012)
    assert ours.high == pytest.approx(theirs.high, abs=0.012)
    assert ours.low < ours.estimate < ours.high


@pytest.fixture
def one_thread():
    """Many small products: one thread is faster than two that contend with other processes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_percentile_intervals_cover_a_known_proportion_and_auc(one_thread):
    """Coverage on distributions whose true value is known: about 95 % of the 95 % intervals hold it.

    Accuracy of "always benign" on labels with P(malignant) = 0.3 is a proportion with true
    value 0.7; the AUC of scores N(1, 1) (malignant) against N(0, 1) (benign) is
    Phi(1 / sqrt(2)) = 0.7602. With 250 experiments the coverage's standard error is 0.014,
    so [0.90, 0.99] leaves room for the percentile bootstrap's known slight under-coverage.
    """
    true_auc = scipy.stats.norm.cdf(1 / np.sqrt(2))
    g = torch.Generator().manual_seed(0)
    held = {"accuracy": 0, "roc_auc": 0}
    experiments = 250
    for k in range(experiments):
        y = (torch.rand(150, 1, generator=g, dtype=torch.float64) < 0.3).double()
        score = y + torch.randn(150, 1, generator=g, dtype=torch.float64)
        idx = lrcore.bootstrap_indices(150, 1000, seed=k)
        always_benign = lrcore.bootstrap_metrics(torch.zeros_like(y), y, idx, threshold=0.5)["accuracy"]
        auc = lrcore.bootstrap_metrics(score, y, idx)["roc_auc"]
        for name, values, truth in (("accuracy", always_benign, 0.7), ("roc_auc", auc, true_auc)):
            low, high = lrcore.percentile_interval(values)
            held[name] += low <= truth <= high
    for name, count in held.items():
        assert 0.90 <= count / experiments <= 0.99, (name, count / experiments)


def test_confidence_intervals_are_seeded_and_nested():
    p, y = _scores(114, seed=17)
    a = lrcore.bootstrap_confidence_intervals(p, y, num_resamples=2000, seed=5)
    assert a == lrcore.bootstrap_confidence_intervals(p, y, num_resamples=2000, seed=5)
    narrow = lrcore.bootstrap_confidence_intervals(p, y, num_resamples=2000, seed=5, confidence=0.8)
    for name in METRICS:
        assert a[name].low <= narrow[name].low <= narrow[name].high <= a[name].high
        assert a[name].num_undefined == 0


def test_inputs_are_not_modified():
    p, y = _scores(50, seed=19)
    idx = lrcore.bootstrap_indices(50, 10, 0)
    copies = [t.clone() for t in (p, y, idx)]
    lrcore.bootstrap_metrics(p, y, idx, 0.5)
    lrcore.bootstrap_confidence_intervals(p, y, num_resamples=10)
    values = torch.tensor([0.3, float("nan"), 0.1], dtype=torch.float64)
    lrcore.percentile_interval(values)
    assert all(torch.equal(a, b) for a, b in zip(copies, (p, y, idx), strict=True))
    assert torch.isnan(values[1]) and values[0].item() == 0.3


# -- stratified_k_fold against scikit-learn ------------------------------------------------------


@pytest.mark.parametrize(("num_folds", "num_repeats", "seed"), [(5, 10, 0), (3, 2, 42), (10, 3, 7), (2, 1, 2**32 - 1)])
@pytest.mark.parametrize("first_label", [0.0, 1.0])
def test_folds_are_sklearns_repeated_stratified_k_fold(num_folds, num_repeats, seed, first_label):
    labels = (np.random.default_rng(seed % 1000).random(97) < 0.37).astype(np.float64)
    labels[0] = first_label  # scikit-learn numbers the classes by first appearance
    y = torch.from_numpy(labels).reshape(-1, 1)
    ours = lrcore.stratified_k_fold(y, num_folds, num_repeats, seed)
    cv = RepeatedStratifiedKFold(n_splits=num_folds, n_repeats=num_repeats, random_state=seed)
    theirs = list(cv.split(np.zeros((97, 1)), labels))
    assert len(ours) == len(theirs) == num_folds * num_repeats
    for (train, test), (sk_train, sk_test) in zip(ours, theirs, strict=True):
        assert train.dtype == test.dtype == torch.int64
        assert np.array_equal(train.numpy(), sk_train) and np.array_equal(test.numpy(), sk_test)
    if num_repeats == 1:
        single = StratifiedKFold(num_folds, shuffle=True, random_state=seed).split(np.zeros((97, 1)), labels)
        assert all(np.array_equal(test.numpy(), sk_test) for (_, test), (_, sk_test) in zip(ours, single, strict=True))


def test_each_repeat_partitions_the_samples_keeping_the_class_balance(book_data):
    _, y = book_data
    y_t = torch.tensor(y.to_numpy(), dtype=torch.float64).reshape(-1, 1)
    folds = lrcore.stratified_k_fold(y_t, 5, 3, seed=0)
    for repeat in range(3):
        tests = [test for _, test in folds[5 * repeat : 5 * repeat + 5]]
        assert torch.equal(torch.sort(torch.cat(tests)).values, torch.arange(len(y)))
        for train, test in folds[5 * repeat : 5 * repeat + 5]:
            assert torch.equal(torch.sort(torch.cat([train, test])).values, torch.arange(len(y)))
            assert abs(int(y_t[test].sum()) - int(y_t.sum()) / 5) <= 1


# -- cross_validate against cross_val_score -----------------------------------------------------


class LrcoreGradientDescent(ClassifierMixin, BaseEstimator):
    """lrcore.fit wrapped as a scikit-learn estimator (the book's model: gradient descent with L2)."""

    def __init__(self, learning_rate=0.3, num_steps=706, l2=1e-3, threshold=0.5):
        self.learning_rate, self.num_steps, self.l2, self.threshold = learning_rate, num_steps, l2, threshold

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        x = torch.from_numpy(np.asarray(X, dtype=np.float64))
        self.w_, self.b_ = _book_train(self.learning_rate, self.num_steps, self.l2)(
            x, torch.from_numpy(np.asarray(y, dtype=np.float64)).reshape(-1, 1)
        )
        return self

    def predict_proba(self, X):
        p = lrcore.logistic_regression(torch.from_numpy(np.asarray(X, dtype=np.float64)), self.w_, self.b_)
        return np.hstack([1 - p.numpy(), p.numpy()])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= self.threshold).astype(np.int64)


def _book_train(learning_rate=0.3, num_steps=706, l2=1e-3):
    def train(x, y):
        w0 = torch.randn(x.shape[1], 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        history = lrcore.fit(x, y, w0, torch.zeros(1, 1, dtype=torch.float64), learning_rate, num_steps, l2=l2)
        return history.w, history.b

    return train


@pytest.mark.parametrize("threshold", [0.1, 0.5])
def test_cross_validate_matches_cross_val_score_with_lrcore_fit_wrapped(book_data, threshold, one_thread):
    """Same folds, same model, StandardScaler in a Pipeline: the scores agree to 1e-12 (they are equal)."""
    X, y = book_data
    x, y_t = lrcore.to_tensors(X, y, dtype=torch.float64)
    folds = lrcore.stratified_k_fold(y_t, 5, 2, seed=0)
    ours = lrcore.cross_validate(x, y_t, folds, _book_train(num_steps=200), threshold)
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0)
    model = make_pipeline(StandardScaler(), LrcoreGradientDescent(num_steps=200, threshold=threshold))
    for name in METRICS:
        theirs = cross_val_score(model, X.to_numpy(), y.to_numpy(), cv=cv, scoring=SCORING[name])
        assert ours[name].shape == (10,) and ours[name].dtype == torch.float64
        np.testing.assert_allclose(ours[name].numpy(), theirs, rtol=0, atol=1e-12, err_msg=name)


def test_cross_validate_matches_sklearns_own_logistic_regression(book_data, one_thread):
    """An estimator that is scikit-learn's own: L2-penalised logistic regression to convergence.

    lrcore.fit_newton minimises the mean BCE + (l2 / 2)||w||^2, which is LogisticRegression(C)
    with C = 1 / (l2 * n_train); every training part has 364 of the 455 tumours. Both converge
    far below 1e-8, so the decisions at 0.5 and the ranking are the same: scores agree to 1e-12.
    """
    X, y = book_data
    x, y_t = lrcore.to_tensors(X, y, dtype=torch.float64)
    folds = lrcore.stratified_k_fold(y_t, 5, 3, seed=1)
    assert {len(train) for train, _ in folds} == {364}
    l2 = 1e-2
    ours = lrcore.cross_validate(x, y_t, folds, lambda xs, ys: lrcore.fit_newton(xs, ys, l2=l2)[:2])
    reference = LogisticRegression(C=1 / (l2 * 364), solver="newton-cholesky", tol=1e-12, max_iter=1000)
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=3, random_state=1)
    for name in METRICS:
        theirs = cross_val_score(
            make_pipeline(StandardScaler(), reference), X.to_numpy(), y.to_numpy(), cv=cv, scoring=SCORING[name]
        )
        np.testing.assert_allclose(ours[name].numpy(), theirs, rtol=0, atol=1e-12, err_msg=name)


def test_each_fold_is_standardized_with_its_own_training_statistics(book_data):
    X, y = book_data
    x, y_t = lrcore.to_tensors(X, y, dtype=torch.float64)
    folds = lrcore.stratified_k_fold(y_t, 5, 1, seed=0)
    seen = []

    def train(xs, ys):
        seen.append(xs)
        return lrcore.fit_newton(xs, ys, l2=1e-2)[:2]

    lrcore.cross_validate(x, y_t, folds, train)
    for xs, (train_index, _) in zip(seen, folds, strict=True):
        assert xs.shape == (len(train_index), 10)
        assert torch.allclose(xs.mean(dim=0), torch.zeros(10, dtype=torch.float64), atol=1e-12)
        assert torch.allclose(xs.std(dim=0, correction=0), torch.ones(10, dtype=torch.float64), atol=1e-12)
    x_copy = x.clone()
    lrcore.cross_validate(x, y_t, folds, train)
    assert torch.equal(x, x_copy)


def test_exports():
    from lrcore import resampling

    for name in (
        "bootstrap_indices",
        "bootstrap_metrics",
        "percentile_interval",
        "bootstrap_confidence_intervals",
        "stratified_k_fold",
        "cross_validate",
        "ConfidenceInterval",
    ):
        assert getattr(lrcore, name) is getattr(resampling, name) and name in lrcore.__all__
