"""lrcore.calibration against scikit-learn, a plain-Python reference and cases computed by hand."""

from __future__ import annotations

import copy
from fractions import Fraction
from re import escape

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sklearn.calibration
import sklearn.metrics
import torch

import lrcore

F32, F64 = torch.float32, torch.float64


def column(values, dtype=F64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype).reshape(-1, 1)


def random_problem(seed: int, dtype=F64):
    """Probabilities and labels drawn from them; some with ties and values exactly on bin edges."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    p = rng.random(n)
    if seed % 3 == 1:
        p = np.round(p, 1)  # ties, and values on the edges of 10 equal-width bins
    elif seed % 3 == 2:
        p = rng.choice(np.linspace(0, 1, 11), n)  # numpy's own edges, as scikit-learn computes them
    y = (rng.random(n) < p).astype(np.float64)
    n_bins = int(rng.integers(1, 16))
    p = torch.tensor(p, dtype=dtype).numpy().astype(np.float64)  # what the dtype holds
    return p, y, n_bins


def ece_reference(p: np.ndarray, y: np.ndarray, edges: list[float]) -> float:
    """The ECE by its definition, one sample at a time, with the bins (e_k, e_k+1] (the first closed)."""
    n_bins, total = len(edges) - 1, 0.0
    for k in range(n_bins):
        members = [
            i
            for i in range(len(p))
            if (edges[k] < p[i] or (k == 0 and p[i] >= edges[0])) and (p[i] <= edges[k + 1] or k == n_bins - 1)
        ]
        if members:
            mean_p = sum(p[i] for i in members) / len(members)
            frac = sum(y[i] for i in members) / len(members)
            total += len(members) / len(p) * abs(frac - mean_p)
    return total


# ------------------------------------------------------------------------------------ calibration_curve


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("seed", range(60))
def test_calibration_curve_matches_sklearn(seed, strategy):
    p, y, n_bins = random_problem(seed)
    prob_true, prob_pred = sklearn.calibration.calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    curve = lrcore.calibration_curve(column(p), column(y), n_bins, strategy)
    assert curve.fraction_positive.shape == prob_true.shape  # empty bins are left out, as in scikit-learn
    np.testing.assert_allclose(curve.fraction_positive.numpy(), prob_true, rtol=0, atol=1e-14)
    np.testing.assert_allclose(curve.mean_predicted.numpy(), prob_pred, rtol=0, atol=1e-14)
    # The edges and the counts, from numpy and plain counting.
    edges = (
        np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
        if strategy == "quantile"
        else np.linspace(0, 1, n_bins + 1)
    )
    np.testing.assert_array_equal(curve.edges.numpy(), edges)
    bin_of = np.searchsorted(edges[1:-1], p)  # what scikit-learn does, spelled out here
    counts = np.array([(bin_of == k).sum() for k in range(n_bins)])
    np.testing.assert_array_equal(curve.bins.numpy(), np.flatnonzero(counts))
    np.testing.assert_array_equal(curve.counts.numpy(), counts[counts > 0])
    assert curve.counts.sum().item() == len(p)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("seed", range(20))
def test_calibration_curve_float32_and_integer_labels(seed, strategy):
    p, y, n_bins = random_problem(seed, dtype=F32)
    prob_true, prob_pred = sklearn.calibration.calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    curve = lrcore.calibration_curve(
        column(p, F32), torch.tensor(y, dtype=torch.int64).reshape(-1, 1), n_bins, strategy
    )
    assert curve.mean_predicted.dtype == F64  # computed in float64 whatever the input
    np.testing.assert_allclose(curve.fraction_positive.numpy(), prob_true, rtol=0, atol=1e-14)
    np.testing.assert_allclose(curve.mean_predicted.numpy(), prob_pred, rtol=0, atol=1e-14)


def test_calibration_curve_by_hand():
    # 3 equal-width bins [0, 1/3], (1/3, 2/3], (2/3, 1]: 0.1, 0.2, 0.3 | 0.4, 0.65 | 0.7, 0.8, 0.9, 1.
    p = column([0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0])
    y = column([0, 0, 0, 0, 1, 1, 1, 1, 1])
    curve = lrcore.calibration_curve(p, y, n_bins=3)
    torch.testing.assert_close(curve.fraction_positive, column([0.0, 0.5, 1.0]).reshape(-1))
    torch.testing.assert_close(curve.mean_predicted, column([0.2, 0.525, 0.85]).reshape(-1))
    assert curve.counts.tolist() == [3, 2, 4] and curve.bins.tolist() == [0, 1, 2]
    # An empty middle bin is left out; its index is missing from bins.
    curve = lrcore.calibration_curve(column([0.05, 0.95, 0.9]), column([0, 1, 0]), n_bins=5)
    assert curve.bins.tolist() == [0, 4] and curve.counts.tolist() == [1, 2]
    torch.testing.assert_close(curve.fraction_positive, torch.tensor([0.0, 0.5], dtype=F64))


def test_a_probability_on_an_edge_goes_to_the_lower_bin():
    curve = lrcore.calibration_curve(column([0.0, 0.5, 1.0]), column([0, 1, 1]), n_bins=2)
    assert curve.counts.tolist() == [2, 1]  # 0.5 is in [0, 0.5], 1.0 in (0.5, 1]


def test_one_bin_is_the_mean():
    p, y = column([0.1, 0.4, 0.8, 0.9]), column([0, 1, 1, 0])
    curve = lrcore.calibration_curve(p, y, n_bins=1)
    assert curve.counts.tolist() == [4]
    torch.testing.assert_close(curve.mean_predicted, torch.tensor([0.55], dtype=F64))
    torch.testing.assert_close(curve.fraction_positive, torch.tensor([0.5], dtype=F64))
    assert lrcore.expected_calibration_error(p, y, n_bins=1) == pytest.approx(0.05, abs=1e-15)


# ------------------------------------------------------------------------------------ ECE


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("seed", range(40))
def test_ece_matches_a_reference_by_the_definition(seed, strategy):
    p, y, n_bins = random_problem(seed)
    curve = lrcore.calibration_curve(column(p), column(y), n_bins, strategy)
    expected = ece_reference(p, y, curve.edges.tolist())
    assert lrcore.expected_calibration_error(column(p), column(y), n_bins, strategy) == pytest.approx(
        expected, rel=1e-12, abs=1e-15
    )


def test_ece_by_hand():
    # Bins of width 0.1: {0.2, 0.2} -> 1 positive of 2, gap |0.5 - 0.2| = 0.3, weight 2/4;
    # {0.9, 0.9} -> 2 of 2, gap |1 - 0.9| = 0.1, weight 2/4. ECE = 0.15 + 0.05 = 0.2.
    p, y = column([0.2, 0.2, 0.9, 0.9]), column([0, 1, 1, 1])
    assert lrcore.expected_calibration_error(p, y) == pytest.approx(0.2, abs=1e-15)
    # Weighted by the counts, not by the bins: 3 samples at 0.05 (none positive), 1 at 0.95 (positive).
    # Per bin the gaps are 0.05 and 0.05; ECE = 3/4 * 0.05 + 1/4 * 0.05 = 0.05 (the unweighted mean too);
    # with 2 of the 3 low samples positive the low gap is |2/3 - 0.05|: ECE = 3/4 * (2/3 - 0.05) + 1/4 * 0.05.
    p = column([0.05, 0.05, 0.05, 0.95])
    assert lrcore.expected_calibration_error(p, column([0, 0, 0, 1])) == pytest.approx(0.05, abs=1e-15)
    expected = float(Fraction(3, 4) * (Fraction(2, 3) - Fraction(1, 20)) + Fraction(1, 4) * Fraction(1, 20))
    assert lrcore.expected_calibration_error(p, column([1, 1, 0, 1])) == pytest.approx(expected, abs=1e-15)
    # Predicting the base rate for everyone is perfectly calibrated, and useless.
    assert lrcore.expected_calibration_error(column([0.25] * 8), column([1, 0, 0, 0, 1, 0, 0, 0])) == 0.0
    # Sure and always wrong: the largest possible ECE.
    assert lrcore.expected_calibration_error(column([0.0, 1.0]), column([1, 0])) == 1.0


def test_ece_with_quantile_bins_by_hand():
    # 4 samples, 2 quantile bins: the median edge is 0.5 (between 0.3 and 0.7): {0.1, 0.3} and {0.7, 0.9}.
    p, y = column([0.1, 0.3, 0.7, 0.9]), column([0, 1, 1, 1])
    curve = lrcore.calibration_curve(p, y, n_bins=2, strategy="quantile")
    torch.testing.assert_close(curve.edges, torch.tensor([0.1, 0.5, 0.9], dtype=F64))
    assert lrcore.expected_calibration_error(p, y, 2, "quantile") == pytest.approx(0.5 * 0.3 + 0.5 * 0.2, abs=1e-15)


# ------------------------------------------------------------------------------------ Brier


@pytest.mark.parametrize("seed", range(30))
def test_brier_matches_sklearn(seed, dtype=F64):
    p, y, _ = random_problem(seed)
    expected = sklearn.metrics.brier_score_loss(y, p)
    assert lrcore.brier_score(column(p), column(y)) == pytest.approx(expected, rel=1e-13, abs=1e-16)
    p32 = column(p, F32)
    expected32 = sklearn.metrics.brier_score_loss(y, p32.numpy().ravel().astype(np.float64))
    assert lrcore.brier_score(p32, column(y, F32)) == pytest.approx(expected32, rel=1e-13, abs=1e-16)


def test_brier_by_hand():
    assert lrcore.brier_score(column([0.9, 0.2]), column([1, 0])) == pytest.approx((0.01 + 0.04) / 2, abs=1e-16)
    assert lrcore.brier_score(column([0.5] * 4), column([0, 1, 1, 0])) == 0.25
    assert lrcore.brier_score(column([0.0, 1.0]), column([0, 1])) == 0.0


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("seed", range(30))
def test_brier_decomposition_adds_up(seed, strategy):
    p, y, n_bins = random_problem(seed)
    parts = lrcore.brier_decomposition(column(p), column(y), n_bins, strategy)
    total = (
        parts.reliability
        - parts.resolution
        + parts.uncertainty
        + parts.within_bin_variance
        - parts.within_bin_covariance
    )
    assert total == pytest.approx(sklearn.metrics.brier_score_loss(y, p), abs=1e-14)
    # Each part from its definition, with the bins of the curve.
    curve = lrcore.calibration_curve(column(p), column(y), n_bins, strategy)
    share = curve.counts.numpy() / len(p)
    frac, mean = curve.fraction_positive.numpy(), curve.mean_predicted.numpy()
    assert parts.reliability == pytest.approx(float((share * (mean - frac) ** 2).sum()), abs=1e-15)
    assert parts.resolution == pytest.approx(float((share * (frac - y.mean()) ** 2).sum()), abs=1e-15)
    assert parts.uncertainty == pytest.approx(y.mean() * (1 - y.mean()), abs=1e-15)
    assert parts.reliability >= 0 and parts.resolution >= 0 and parts.within_bin_variance >= 0


def test_brier_decomposition_is_murphys_when_bins_are_constant():
    # Two forecast values, each alone in its bin: no spread inside a bin, so REL - RES + UNC is the score.
    p = column([0.2, 0.2, 0.2, 0.2, 0.2, 0.7, 0.7, 0.7, 0.7])
    y = column([0, 0, 0, 1, 0, 1, 1, 0, 1])
    parts = lrcore.brier_decomposition(p, y)
    assert parts.within_bin_variance == 0.0 and parts.within_bin_covariance == 0.0
    # By hand: o = 4/9; bin 0.2 has 1/5 positive, bin 0.7 has 3/4.
    o = Fraction(4, 9)
    rel = (
        Fraction(5, 9) * (Fraction(1, 5) - Fraction(1, 5)) ** 2
        + Fraction(4, 9) * (Fraction(7, 10) - Fraction(3, 4)) ** 2
    )
    res = Fraction(5, 9) * (Fraction(1, 5) - o) ** 2 + Fraction(4, 9) * (Fraction(3, 4) - o) ** 2
    assert parts.reliability == pytest.approx(float(rel), abs=1e-15)
    assert parts.resolution == pytest.approx(float(res), abs=1e-15)
    assert parts.uncertainty == pytest.approx(float(o * (1 - o)), abs=1e-15)
    assert float(rel - res + o * (1 - o)) == pytest.approx(lrcore.brier_score(p, y), abs=1e-15)


# ------------------------------------------------------------------------------------ contract

BAD_INPUTS = [
    (lambda: lrcore.calibration_curve([[0.5]], column([1])), TypeError, "y_prob must be a torch.Tensor, got list"),
    (
        lambda: lrcore.calibration_curve(column([0.5, 1.5]), column([0, 1])),
        ValueError,
        "y_prob must contain probabilities in [0, 1], got 1.5",
    ),
    (
        lambda: lrcore.calibration_curve(column([0.5, float("nan")]), column([0, 1])),
        ValueError,
        "y_prob must contain only finite values, got NaN or inf",
    ),
    (
        lambda: lrcore.calibration_curve(torch.tensor([0.5, 0.2], dtype=F64), column([0, 1])),
        ValueError,
        "y_prob must be 2-D with shape (n, 1), got shape (2,); reshape it with y_prob.reshape(-1, 1)",
    ),
    (
        lambda: lrcore.calibration_curve(column([0.5, 0.2]), column([0, 2])),
        ValueError,
        "y_true must contain only 0 and 1 (threshold probabilities first), got other values",
    ),
    (
        lambda: lrcore.calibration_curve(column([0.5, 0.2]), column([0, 1, 1])),
        ValueError,
        "y_prob and y_true must have the same number of rows (samples), got 2 and 3",
    ),
    (lambda: lrcore.calibration_curve(column([0.5]), column([1]), n_bins=0), ValueError, "n_bins must be >= 1, got 0"),
    (
        lambda: lrcore.calibration_curve(column([0.5]), column([1]), n_bins=2.0),
        TypeError,
        "n_bins must be an int, got float",
    ),
    (
        lambda: lrcore.calibration_curve(column([0.5]), column([1]), n_bins=True),
        TypeError,
        "n_bins must be an int, got bool",
    ),
    (
        lambda: lrcore.calibration_curve(column([0.5]), column([1]), strategy="equal"),
        ValueError,
        "strategy must be 'uniform' or 'quantile', got 'equal'",
    ),
    (
        lambda: lrcore.calibration_curve(column([0.5]), column([1]), strategy=None),
        TypeError,
        "strategy must be a str, 'uniform' or 'quantile', got NoneType",
    ),
    (
        lambda: lrcore.expected_calibration_error(column([0.5]), column([1]), n_bins=-3),
        ValueError,
        "n_bins must be >= 1, got -3",
    ),
    (
        lambda: lrcore.brier_score(column([-0.1]), column([1])),
        ValueError,
        "y_prob must contain probabilities in [0, 1], got -0.1",
    ),
    (
        lambda: lrcore.brier_score(column([0.1], torch.float16), column([1])),
        TypeError,
        "y_prob must have dtype torch.float32 or torch.float64, got torch.float16; convert it with y_prob.float()",
    ),
    (
        lambda: lrcore.brier_decomposition(column([0.1]), torch.tensor([[0.5]])),
        ValueError,
        "y_true must contain only 0 and 1",
    ),
    (
        lambda: lrcore.brier_decomposition(column([0.1]), column([1]), strategy="Uniform"),
        ValueError,
        "strategy must be 'uniform' or 'quantile', got 'Uniform'",
    ),
]


@pytest.mark.parametrize(("call", "exc", "message"), BAD_INPUTS)
def test_bad_input_raises_naming_the_argument(call, exc, message):
    with pytest.raises(exc, match=escape(message)):
        call()


def test_too_many_bins_are_refused_before_allocating():
    with pytest.raises(
        ValueError, match=escape("calibration_curve with n_bins=10000000000 would need 745 GiB of memory")
    ):
        lrcore.expected_calibration_error(column([0.5]), column([1]), n_bins=10**10)


@pytest.mark.parametrize(
    "function",
    [lrcore.calibration_curve, lrcore.expected_calibration_error, lrcore.brier_score, lrcore.brier_decomposition],
)
def test_inputs_are_not_modified_and_grad_tensors_are_used_detached(function):
    p, y, _ = random_problem(4)
    y_prob, y_true = column(p), column(y)
    before = copy.deepcopy((y_prob, y_true))
    plain = function(y_prob, y_true)
    assert torch.equal(y_prob, before[0]) and torch.equal(y_true, before[1])
    again = function(y_prob.clone().requires_grad_(), y_true)
    if isinstance(plain, lrcore.CalibrationCurve):
        assert all(torch.equal(a, b) for a, b in zip(plain, again, strict=True))
    else:
        assert plain == again


# ------------------------------------------------------------------------------------ proper scoring rules


def test_bce_and_brier_are_proper_but_ece_is_not():
    """Expected score under Bernoulli(q): smallest at p = q for BCE and Brier; ECE rewards the base rate."""
    q = 0.8
    grid = np.linspace(0.01, 0.99, 99)
    expected_bce = -(q * np.log(grid) + (1 - q) * np.log(1 - grid))
    expected_brier = q * (1 - grid) ** 2 + (1 - q) * grid**2
    assert grid[np.argmin(expected_bce)] == pytest.approx(q) and grid[np.argmin(expected_brier)] == pytest.approx(q)
    # lrcore's Brier on a sample with a fraction q of positives is that same curve.
    y = column([1] * 8 + [0] * 2)
    for p in (0.3, 0.8, 0.95):
        assert lrcore.brier_score(column([p] * 10), y) == pytest.approx(q * (1 - p) ** 2 + (1 - q) * p**2, abs=1e-15)


# ------------------------------------------------------------------------------------ the diagram


@pytest.fixture
def no_figures_left():
    plt.close("all")
    yield
    plt.close("all")


def test_reliability_diagram_draws_the_curve_and_the_counts(no_figures_left):
    p = column([0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0])
    y = column([0, 0, 0, 0, 1, 1, 1, 1, 1])
    curve = lrcore.calibration_curve(p, y, n_bins=3)
    ax = lrcore.plot_reliability_diagram(curve, label="model")
    diagonal, line = ax.lines
    assert diagonal.get_gid() == "chance"
    np.testing.assert_allclose(line.get_xdata(), curve.mean_predicted.numpy())
    np.testing.assert_allclose(line.get_ydata(), curve.fraction_positive.numpy())
    counts_ax = [other for other in ax.figure.axes if other is not ax]
    assert len(counts_ax) == 1
    stairs = counts_ax[0].patches[0]
    np.testing.assert_allclose(stairs.get_data().values, [3, 2, 4])
    np.testing.assert_allclose(stairs.get_data().edges, curve.edges.numpy())
    # A second model on the same axes: another colour, one diagonal, counts of the empty bin at 0.
    other = lrcore.calibration_curve(column([0.05, 0.95, 0.9]), column([0, 1, 0]), n_bins=3)
    lrcore.plot_reliability_diagram(other, ax=ax, counts_ax=counts_ax[0], label="other")
    assert sum(line.get_gid() == "chance" for line in ax.lines) == 1
    assert ax.lines[1].get_color() != ax.lines[2].get_color()
    np.testing.assert_allclose(counts_ax[0].patches[2].get_data().values, [1, 0, 2])


def test_reliability_diagram_on_one_axes_draws_no_counts(no_figures_left):
    _fig, ax = plt.subplots()
    curve = lrcore.calibration_curve(column([0.2, 0.8]), column([0, 1]))
    assert lrcore.plot_reliability_diagram(curve, ax=ax) is ax
    assert len(ax.figure.axes) == 1 and ax.get_xlabel() == "mean predicted probability in the bin"


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        (
            {"curve": (0.5, 0.5)},
            TypeError,
            "curve must be a CalibrationCurve (what lrcore.calibration_curve returns), got tuple",
        ),
        ({"counts_ax": "below"}, TypeError, "counts_ax must be a matplotlib Axes or None, got str"),
        ({"label": 3}, TypeError, "label must be a str or None, got int"),
    ],
)
def test_reliability_diagram_validates_and_leaves_no_figure(kwargs, exc, message, no_figures_left):
    curve = lrcore.calibration_curve(column([0.2, 0.8]), column([0, 1]))
    with pytest.raises(exc, match=escape(message)):
        lrcore.plot_reliability_diagram(**{"curve": curve, **kwargs})
    assert plt.get_fignums() == []


def test_reliability_diagram_refuses_inconsistent_axes_and_curves(no_figures_left):
    curve = lrcore.calibration_curve(column([0.2, 0.8]), column([0, 1]))
    _fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="counts_ax needs ax too"):
        lrcore.plot_reliability_diagram(curve, counts_ax=ax)
    with pytest.raises(ValueError, match="counts_ax must be another Axes than ax"):
        lrcore.plot_reliability_diagram(curve, ax=ax, counts_ax=ax)
    plt.close("all")
    broken = curve._replace(counts=torch.tensor([1, 1, 1]))
    with pytest.raises(
        ValueError, match=escape("curve.counts, curve.bins and the curve's points must have the same length")
    ):
        lrcore.plot_reliability_diagram(broken)
    with pytest.raises(ValueError, match="curve.fraction_positive must hold rates in"):
        lrcore.plot_reliability_diagram(curve._replace(fraction_positive=torch.tensor([0.0, 2.0])))
    with pytest.raises(ValueError, match=r"^curve.bins must be strictly increasing whole indices of the 10 bins"):
        lrcore.plot_reliability_diagram(curve._replace(bins=torch.tensor([0, 10])))
    assert plt.get_fignums() == []
