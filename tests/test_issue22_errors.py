"""Issue 22, classes 4, 6, 7 and 8: errors that name the argument, no figure left open, invalid input refused.

Class 4: each snippet of the issue raises a TypeError or ValueError that names the argument of
the function called (not one of a function it calls), or gives the right value. Class 6: a
figure whose drawing raises is closed. Class 7: input that used to be drawn or run is refused,
the explorers' size limits included. Class 8: messages in the function's own words, huge ints
shown short, numpy and Fraction grid values matched. (The lrk-* folders of class 8 are tested
in tests/test_chapter_kernels.py.) Every message is pinned; references are numpy or plain Python.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import lrcore
from lrcore import explorers
from lrcore.explorers import descent as descent_module
from lrcore.explorers import threshold as threshold_module

F32, F64 = torch.float32, torch.float64
BIG = 10**400


def t(values, dtype=F64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype)


#: One feature whose classes overlap: the loss has a unique minimum.
X1 = [[-1.0], [-0.5], [0.3], [1.2], [0.1], [-0.2], [0.5], [-0.7]]
Y1 = [[0.0], [1.0], [1.0], [0.0], [1.0], [0.0], [1.0], [0.0]]
#: Two features, 40 samples, overlapping classes: fit_newton converges on every fold.
_G = torch.Generator().manual_seed(22)
X2 = torch.randn(40, 2, generator=_G, dtype=F64)
Y2 = (torch.rand(40, 1, generator=_G, dtype=F64) < torch.sigmoid(X2[:, :1] - X2[:, 1:])).double()


def _descent(x=None, y=None, **kwargs):
    args = {"name": "t", "learning_rates": [0.1], "num_steps": 5, "w_range": (-1.0, 1.0), "b_range": (-1.0, 1.0)}
    args.update(kwargs)
    x = t(X1) if x is None else x
    y = t(Y1) if y is None else y
    return explorers.descent_explorer(x, y, t([[0.0]]), t([[0.0]]), **args)


def _folds():
    return lrcore.stratified_k_fold(Y2, 2)


def _curve():
    return lrcore.calibration_curve(t([[0.05], [0.15], [0.35], [0.85]]), t([[0.0], [0.0], [1.0], [1.0]]))


def _script_data(figure) -> dict:
    """The JSON a figure's script reads."""
    found = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', figure.html, re.S)
    return json.loads(found.group(1))


@pytest.fixture
def figures_unchanged():
    """No test may leave a figure open: the open figures afterwards are those before."""
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before


# ------------------------------------------------------------------------- class 4: named errors

CLASS_4 = [
    pytest.param(
        lambda: lrcore.angle_between(torch.tensor(1.0), torch.tensor([1.0, 0.0])),
        ValueError,
        r"^u must have at least one dimension, shape \(\.\.\., D\), got a 0-d tensor \(a scalar\)$",
        id="angle_between-0d-u",
    ),
    pytest.param(
        lambda: lrcore.angle_between(torch.tensor([1.0, 0.0]), torch.tensor(2.0)),
        ValueError,
        r"^v must have at least one dimension",
        id="angle_between-0d-v",
    ),
    pytest.param(
        lambda: lrcore.bootstrap_indices(5, 2, 2**64),
        ValueError,
        r"^seed must be < 2\*\*64 \(a torch.Generator seed\), got 18446744073709551616$",
        id="bootstrap_indices-seed-2**64",
    ),
    pytest.param(
        lambda: lrcore.bootstrap_confidence_intervals(t([[0.2], [0.7]]), t([[1.0], [1.0]]), num_resamples=10),
        ValueError,
        r"^y_true must hold both classes \(0 and 1\): recall, F1 and ROC AUC are undefined \(0/0\) on a sample "
        r"of one class, got only label 1 in 2 rows$",
        id="bootstrap_confidence_intervals-one-class",
    ),
    pytest.param(
        lambda: lrcore.plot_sigmoid(z_range=(-1e39, 1e39)),
        ValueError,
        r"^z_range must have ends of at most 3.403e\+38",
        id="plot_sigmoid-beyond-float32",
    ),
    pytest.param(
        lambda: _descent(w_range=(0.0, 1e-12), b_range=(0.0, 1e-12)),
        ValueError,
        r"^w_range and b_range must frame a part of the landscape where the loss varies \(to 4 significant "
        r"digits\), got a loss of 0.6931 everywhere in w_range=\(0.0, 1e-12\), b_range=\(0.0, 1e-12\): widen them$",
        id="descent_explorer-flat-frame",
    ),
    pytest.param(
        lambda: _descent(w_range=(0.0, 1e-4), b_range=(0.0, 1e-4)),
        ValueError,
        r"^w_range and b_range must frame a part of the landscape where the loss varies",
        id="descent_explorer-geometric-zero",
    ),
    pytest.param(
        lambda: lrcore.cross_validate(X2, Y2, _folds(), lambda x, y: None),
        TypeError,
        r"^train must return a pair \(w, b\), got NoneType; lrcore.fit_newton returns \(w, b, history\): "
        r"pass lambda x, y: lrcore.fit_newton\(x, y\)\[:2\]$",
        id="cross_validate-train-None",
    ),
    pytest.param(
        lambda: lrcore.cross_validate(X2, Y2, _folds(), lambda x, y: (torch.zeros(2, 1, dtype=F64),) * 3),
        TypeError,
        r"^train must return a pair \(w, b\), got a tuple of 3 values",
        id="cross_validate-train-three-values",
    ),
    pytest.param(
        lambda: lrcore.cross_validate(X2, Y2, _folds(), lrcore.fit_newton),
        TypeError,
        r"^train must return a pair \(w, b\), got a tuple of 3 values; lrcore.fit_newton returns",
        id="cross_validate-fit_newton-as-it-is",
    ),
    pytest.param(
        lambda: lrcore.cross_validate(X2, Y2, _folds(), lambda x, y: (torch.zeros(1, 1, dtype=F64),) * 2),
        ValueError,
        r"^the w that train returns must have shape \(2, 1\) for x of shape \(40, 2\), got shape \(1, 1\)$",
        id="cross_validate-train-w-shape",
    ),
    pytest.param(
        lambda: lrcore.cross_validate(X2, Y2, _folds(), lambda x, y: (torch.zeros(2, 1), torch.zeros(1, 1))),
        TypeError,
        r"^x and the w that train returns must have the same dtype, got torch.float64 and torch.float32$",
        id="cross_validate-train-dtype",
    ),
    pytest.param(
        lambda: lrcore.cross_validate(
            X2, Y2, _folds(), lambda x, y: (torch.full((2, 1), float("nan"), dtype=F64), torch.zeros(1, 1, dtype=F64))
        ),
        ValueError,
        r"^the w that train returns must contain only finite values, got NaN or inf$",
        id="cross_validate-train-nan",
    ),
    pytest.param(
        lambda: lrcore.plot_reliability_diagram(_curve()._replace(edges=t([0.0, 0.1, float("nan"), 1.0]))),
        ValueError,
        r"^curve.edges must be at least 2 non-decreasing probabilities in \[0, 1\] \(no NaN or inf\), got ",
        id="plot_reliability_diagram-nan-edge",
    ),
]


@pytest.mark.filterwarnings("ignore::lrcore.UndefinedMetricWarning")
@pytest.mark.parametrize(("call", "exc", "pattern"), CLASS_4)
def test_class_4_each_snippet_names_its_argument(call, exc, pattern, figures_unchanged):
    with pytest.raises(exc, match=pattern):
        call()


def test_class_4_valid_snippets_give_the_right_value():
    score, y = t([[0.2], [0.7], [0.4]]), t([[0.0], [1.0], [0.0]])
    # threshold=2**70 flags nothing: accuracy is the fraction of benign, recall 0, precision undefined.
    result = lrcore.bootstrap_metrics(score, y, torch.arange(3)[None], 2**70)
    assert result["accuracy"].item() == float(np.mean(y.numpy() == 0))
    assert result["recall"].item() == 0.0 and np.isnan(result["precision"].item())
    # A metric no resample can measure (precision, with no score at the threshold) has NaN ends,
    # while the others are percentile intervals of bootstrap_metrics' values (numpy's reference).
    intervals = lrcore.bootstrap_confidence_intervals(score, y, threshold=0.9, num_resamples=50, seed=3)
    assert np.isnan(intervals["precision"].estimate)
    assert np.isnan(intervals["precision"].low) and np.isnan(intervals["precision"].high)
    assert intervals["precision"].num_undefined == 50
    accuracy = lrcore.bootstrap_metrics(score, y, lrcore.bootstrap_indices(3, 50, 3), 0.9)["accuracy"].numpy()
    assert (intervals["accuracy"].low, intervals["accuracy"].high) == pytest.approx(
        tuple(np.percentile(accuracy, [2.5, 97.5])), rel=1e-12
    )
    assert lrcore.angle_between(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])).item() == pytest.approx(np.pi / 2)


def test_class_4_cross_validate_accepts_fit_newton_wrapped_and_leaves_inputs_unchanged():
    x, y, folds = X2.clone(), Y2.clone(), _folds()
    copies = [x.clone(), y.clone()] + [part.clone() for fold in folds for part in fold]
    scores = lrcore.cross_validate(x, y, folds, lambda xs, ys: lrcore.fit_newton(xs, ys)[:2])
    assert set(scores) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert all(torch.isfinite(v).all() and ((v >= 0) & (v <= 1)).all() for v in scores.values())
    after = [x, y] + [part for fold in folds for part in fold]
    assert all(torch.equal(a, b) for a, b in zip(copies, after, strict=True))


# ------------------------------------------------------------------------ class 6: no figure left open


def test_class_6_descent_explorer_closes_its_figure_when_contour_raises(monkeypatch):
    kept = plt.figure()  # a figure of the caller's, which must stay
    before = plt.get_fignums()

    def broken_contour(*args, **kwargs):
        raise ValueError("Contour levels must be increasing (planted)")

    monkeypatch.setattr(plt.Axes, "contour", broken_contour)
    with pytest.raises(ValueError, match=r"^Contour levels must be increasing \(planted\)$"):
        _descent()
    assert plt.get_fignums() == before
    monkeypatch.undo()
    _descent()  # and a call that succeeds closes its own figure too
    assert plt.get_fignums() == before
    plt.close(kept)


def test_class_6_narrow_ranges_that_raised_in_contour_now_draw(figures_unchanged):
    for w_range, b_range in [((0.0, 0.01), (0.0, 0.01)), ((1e20, 1.001e20), (0.0, 1.0))]:
        figure = _descent(w_range=w_range, b_range=b_range)
        assert "<svg" in figure.html and "lrx-fallback" in figure.html


def test_class_6_contour_levels_are_distinct_increasing_and_unchanged_where_they_worked():
    grid = np.add.outer(np.linspace(0, 3, 60) ** 2, np.linspace(0, 2, 60) ** 2) + 0.2
    for J in (grid, grid * 0.1, grid * 0.001):  # loss ranges 13, 1.3, 0.013: the old formula worked on each
        reference = J.min() + np.geomspace(1e-3, J.max() - J.min(), 13)[:-1]
        np.testing.assert_array_equal(descent_module._contour_levels(J), reference)
    for J in (grid * 1e-4 + 0.69, grid + 1e20, np.full((3, 3), 0.6931)):
        levels = descent_module._contour_levels(J)
        assert (np.diff(levels) > 0).all() and (levels > J.min()).all() and (levels <= J.max()).all()
    assert descent_module._contour_levels(np.full((3, 3), 0.6931)).size == 0


# ----------------------------------------------------------------------- class 7: invalid input refused

RELIABILITY = [
    ("counts", [float("nan"), 1.0, 1.0, 1.0], r"^curve.counts must be whole numbers >= 1"),
    ("counts", [float("inf"), 1.0, 1.0, 1.0], r"^curve.counts must be whole numbers >= 1"),
    ("counts", [-1, 1, 1, 1], r"^curve.counts must be whole numbers >= 1"),
    ("counts", [0, 1, 1, 1], r"^curve.counts must be whole numbers >= 1"),
    ("counts", [1.5, 1, 1, 1], r"^curve.counts must be whole numbers >= 1"),
    ("bins", [0.0, 1.5, 3.0, 8.0], r"^curve.bins must be strictly increasing whole indices of the 10 bins"),
    ("bins", [0, 1, 1, 8], r"^curve.bins must be strictly increasing whole indices of the 10 bins"),
    ("bins", [0, 1, 3, 10], r"^curve.bins must be strictly increasing whole indices of the 10 bins"),
    ("edges", [0.0] + [0.1 * k for k in range(1, 10)] + [float("inf")], r"^curve.edges must be at least 2"),
    ("edges", [float("-inf")] + [0.1 * k for k in range(1, 11)], r"^curve.edges must be at least 2"),
    ("edges", [0.1 * k for k in range(11)][::-1], r"^curve.edges must be at least 2 non-decreasing"),
    ("edges", [0.2 * k for k in range(11)], r"^curve.edges must be at least 2 non-decreasing probabilities in"),
]


@pytest.mark.parametrize(("field", "values", "pattern"), RELIABILITY)
def test_class_7_reliability_diagram_refuses_what_calibration_curve_cannot_return(
    field, values, pattern, figures_unchanged
):
    curve = _curve()
    assert curve.bins.tolist() == [0, 1, 3, 8]  # the fixture's non-empty bins, as the values above assume
    broken = curve._replace(**{field: torch.tensor(values, dtype=F64)})
    copies = [v.clone() for v in broken]
    with pytest.raises(ValueError, match=pattern):
        lrcore.plot_reliability_diagram(broken)
    for copy, after in zip(copies, broken, strict=True):  # unchanged (NaN where NaN was)
        np.testing.assert_array_equal(after.numpy(), copy.numpy())


def test_class_7_reliability_diagram_still_draws_a_valid_curve(figures_unchanged):
    ax = lrcore.plot_reliability_diagram(_curve())
    plt.close(ax.figure)


@pytest.mark.parametrize("bad", [float("nan"), 2.0, -0.5, float("inf")])
def test_class_7_metric_curves_refuse_what_the_roc_curve_refuses(bad, figures_unchanged):
    values = [0.2, 0.5, bad, 0.9]
    with pytest.raises(ValueError, match=r"^curves\['f1'\] must hold metrics in \[0, 1\], got (nan|2|-0.5|inf)$"):
        lrcore.plot_metric_curves({"recall": [0.1, 0.2, 0.3, 0.4], "f1": values})
    with pytest.raises(ValueError, match=r"^tpr must hold rates in \[0, 1\]"):
        lrcore.plot_roc_curve([0.0, 0.3, 0.6, 1.0], values)
    ax = lrcore.plot_metric_curves({"f1": [0.0, 0.5, 1.0]})  # the ends of [0, 1] are metrics
    plt.close(ax.figure)


def _tiny(dtype) -> str:
    return re.escape(f"{torch.finfo(dtype).tiny:.4g}")


def test_class_7_a_learning_rate_whose_step_rounds_to_zero_is_refused():
    for dtype, rate in ((F32, 1e-46), (F32, 1e-39), (F64, 1e-320)):
        x, y = t(X1, dtype), t(Y1, dtype)
        w, b = torch.zeros(1, 1, dtype=dtype), torch.zeros(1, 1, dtype=dtype)
        message = rf"^learning_rate must be at least {_tiny(dtype)} \(the smallest normal number of {dtype}\): "
        with pytest.raises(ValueError, match=message + rf"a smaller step rounds to 0 there, got {rate:g}$"):
            lrcore.fit(x, y, w, b, rate, 5)
        with pytest.raises(ValueError, match=message):
            lrcore.gradient_descent_step(x, y, w, b, rate)
        with pytest.raises(ValueError, match=message):
            lrcore.fit_minibatch(x, y, w, b, rate, 2, 4, seed=0)
        # The smallest normal rate itself is a step: it is taken (and moves nothing visible here).
        history = lrcore.fit(x, y, w, b, torch.finfo(dtype).tiny, 5)
        assert torch.isfinite(history.train_loss).all()
    x, y, w, b = t(X1), t(Y1), torch.zeros(1, 1, dtype=F64), torch.zeros(1, 1, dtype=F64)
    with pytest.raises(ValueError, match=rf"^learning_rate \* lr_schedule\(0\) must be at least {_tiny(F64)} .*got 0$"):
        lrcore.fit_minibatch(x, y, w, b, 1e-300, 2, 4, seed=0, lr_schedule=lambda epoch: 1e-300)


def test_class_7_mismatched_dtypes_are_refused():
    score, y = t([[0.2], [0.7]], F32), t([[0.0], [1.0]])
    dtypes = r"must have the same dtype, got torch.float32 and torch.float64$"
    with pytest.raises(TypeError, match=r"^y_score and y_true " + dtypes):
        lrcore.bootstrap_metrics(score, y, torch.arange(2)[None])
    with pytest.raises(TypeError, match=r"^y_score and y_true " + dtypes):
        lrcore.bootstrap_confidence_intervals(score, y, num_resamples=10)
    with pytest.raises(TypeError, match=r"^x and y " + dtypes):
        lrcore.cross_validate(X2.float(), Y2, _folds(), lambda xs, ys: lrcore.fit_newton(xs, ys)[:2])


def test_class_7_descent_explorer_refuses_more_points_than_its_limit(figures_unchanged):
    assert descent_module.MAX_POINTS == 12_000
    rates = [round(0.01 * k, 2) for k in range(1, 101)]
    momenta = [round(0.09 * k, 2) for k in range(10)]
    message = (
        r"^learning_rates, momenta and num_frames must record at most 12,000 points in one figure "
        r"\(lrcore.explorers.descent.MAX_POINTS, about 260 KB of page\), got 100 x 10 settings x 60 frames = "
        r"60,000: use fewer values or frames$"
    )
    with pytest.raises(ValueError, match=message):
        _descent(learning_rates=rates, momenta=momenta, num_steps=1000)
    # num_steps=59 records 60 frames (every step): 20 x 10 x 60 = 12,000 is allowed, 21 x 10 x 60 is not.
    figure = _descent(learning_rates=rates[:20], momenta=momenta, num_steps=59)
    assert figure.data.weights.shape == (20, 10, 60)
    assert len(figure.html) < 600_000
    with pytest.raises(ValueError, match=r"^learning_rates, momenta and num_frames .* got 21 x 10 settings x 60"):
        _descent(learning_rates=rates[:21], momenta=momenta, num_steps=59)


def test_class_7_threshold_explorer_refuses_more_samples_or_thresholds_than_its_limits(figures_unchanged):
    assert (threshold_module.MAX_SAMPLES, threshold_module.MAX_THRESHOLDS) == (5_000, 1_000)
    g = torch.Generator().manual_seed(7)

    def data(n):
        z = torch.randn(n, 1, generator=g, dtype=F64)
        return z, (torch.rand(n, 1, generator=g, dtype=F64) < torch.sigmoid(2 * z)).double()

    logits, y = data(5_001)
    with pytest.raises(
        ValueError, match=r"^logits must have at most 5,000 rows \(samples\) for one figure .* got 5,001$"
    ):
        explorers.threshold_explorer(logits, y, name="t", description="d")
    logits, y = data(5_000)
    figure = explorers.threshold_explorer(logits, y, name="t", description="d")
    assert len(figure.html) < 400_000  # the largest figure allowed weighs kilobytes, not megabytes
    many = [k / 1002 for k in range(1, 1002)]
    with pytest.raises(ValueError, match=r"^thresholds must have at most 1,000 values for one figure .* got 1,001$"):
        explorers.threshold_explorer(logits[:50], y[:50], name="t", description="d", thresholds=many, initial=many[0])


# ----------------------------------------------------------------------------- class 8: messages

HUGE_INTS = [
    pytest.param(
        lambda: lrcore.fit(t(X1), t(Y1), t([[0.0]]), t([[0.0]]), 0.1, 5, record_every=BIG), id="fit-record_every"
    ),
    pytest.param(lambda: lrcore.train_val_test_split(np.zeros((20, 2)), np.arange(20) % 2, seed=BIG), id="split-seed"),
    pytest.param(
        lambda: lrcore.train_val_test_split(np.zeros((20, 2)), np.arange(20) % 2, val_size=BIG), id="split-val_size"
    ),
    pytest.param(lambda: lrcore.loss_landscape(t(X1), t(Y1), (-1, 1), (-1, 1), num=BIG), id="loss_landscape-num"),
    pytest.param(lambda: lrcore.stratified_k_fold(t(Y1), num_folds=BIG), id="stratified_k_fold-num_folds"),
    pytest.param(lambda: lrcore.stratified_k_fold(t(Y1), 2, seed=BIG), id="stratified_k_fold-seed"),
    pytest.param(lambda: lrcore.bootstrap_indices(5, 2, BIG), id="bootstrap_indices-seed"),
    pytest.param(lambda: _descent(initial_learning_rate=BIG), id="descent_explorer-initial_learning_rate"),
]


@pytest.mark.parametrize("call", HUGE_INTS)
def test_class_8_a_400_digit_int_is_described_not_printed(call, figures_unchanged):
    with pytest.raises(ValueError) as caught:
        call()
    message = str(caught.value)
    assert "an int of 401 digits" in message and not re.search(r"\d{40}", message), message


def test_class_8_cross_validate_speaks_of_its_own_arguments():
    folds = [(torch.tensor([0, 1, 2]), torch.tensor([3, 40]))]
    with pytest.raises(ValueError, match=r"^folds\[0\]\[1\] must lie in \[0, 40\) to index x's 40 rows, got 3..40$"):
        lrcore.cross_validate(X2, Y2, folds, lambda xs, ys: lrcore.fit_newton(xs, ys)[:2])
    with pytest.raises(
        TypeError, match=r"^folds\[0\]\[0\] must have dtype torch.int64 or torch.int32, got torch.float"
    ):
        lrcore.cross_validate(X2, Y2, [(torch.tensor([0.0, 1.0]), torch.tensor([3]))], lambda xs, ys: None)
    with pytest.raises(ValueError, match=r"^folds\[0\]\[0\] must have shape \(m,\), got shape \(1, 2\)$"):
        lrcore.cross_validate(X2, Y2, [(torch.tensor([[0, 1]]), torch.tensor([3]))], lambda xs, ys: None)
    with pytest.raises(ValueError, match=r"^threshold must be a finite number"):
        lrcore.cross_validate(X2, Y2, _folds(), lambda xs, ys: None, threshold=float("nan"))
    for call in (
        lambda: lrcore.cross_validate(X2, Y2, folds, lambda xs, ys: None),
        lambda: lrcore.cross_validate(X2, Y2, _folds(), lambda xs, ys: None),
    ):
        with pytest.raises((TypeError, ValueError)) as caught:
            call()
        assert "indices" not in str(caught.value) and "y_score" not in str(caught.value)


@pytest.mark.parametrize(
    ("x", "y", "pattern"),
    [
        (t([[-1.0], [1.0]]), t([[0.0], [1.0]]), r"^x and y must not be linearly separable \(every x of one class "),
        (t([[-1.0], [0.0], [1.0]]), t([[0.0], [1.0], [1.0]]), r"^x and y must not be linearly separable"),
        (t([[0.0], [0.0], [1.0]]), t([[0.0], [1.0], [1.0]]), r"^x and y must not be linearly separable"),
        (t([[2.0], [2.0], [2.0]]), t([[0.0], [1.0], [1.0]]), r"^x must not be constant"),
        (t([[-1.0], [0.0], [1.0]]), t([[1.0], [1.0], [1.0]]), r"^y must hold both classes \(0 and 1\)"),
    ],
)
def test_class_8_descent_explorer_says_why_there_is_no_minimum_in_its_own_words(x, y, pattern, figures_unchanged):
    with pytest.raises(ValueError, match=pattern) as caught:
        _descent(x, y)
    assert "l2" not in str(caught.value)  # descent_explorer has no l2 to pass


@pytest.mark.parametrize("initial", [0.3, np.float32(0.3), np.float64(0.3), Fraction(3, 10), np.float16(0.3)])
def test_class_8_threshold_explorer_finds_a_numpy_or_fraction_threshold(initial, figures_unchanged):
    thresholds = [0.1, 0.2, 0.3, 0.4]
    figure = explorers.threshold_explorer(
        t(X1), t(Y1), name="t", description="d", thresholds=thresholds, initial=initial
    )
    data = _script_data(figure)
    assert data["thresholds"][data["initial"]] == "0.3" and data["initial"] == thresholds.index(0.3)


def test_class_8_grid_matching_takes_the_nearest_of_values_a_float32_cannot_tell_apart():
    from lrcore.explorers import _html

    grid = [0.3, 0.30000001, 0.5]  # both first values round to float32 0.30000001192...
    assert _html.matching_index(grid, np.float32(0.3), float(np.float32(0.3))) == 1
    assert _html.matching_index(grid, 0.3, 0.3) == 0  # an exact float matches exactly
    assert _html.matching_index(grid, np.float32(0.4), float(np.float32(0.4))) is None
    with pytest.raises(ValueError, match=r"^initial must be one of thresholds, got 0.25$"):
        explorers.threshold_explorer(t(X1), t(Y1), name="t", description="d", thresholds=[0.2, 0.3], initial=0.25)


def test_class_8_descent_explorer_finds_a_float32_learning_rate(figures_unchanged):
    x, y = t(X1), t(Y1)
    copies = (x.clone(), y.clone())
    figure = _descent(x, y, learning_rates=[0.1, 0.178, 0.3], initial_learning_rate=np.float32(0.178))
    assert _script_data(figure)["initial"][0] == 1
    assert torch.equal(x, copies[0]) and torch.equal(y, copies[1])


def _bce(x: np.ndarray, y: np.ndarray, w: float, b: float) -> float:
    """Mean BCE of one feature at (w, b), from logits, in numpy: the reference of the losses fit records."""
    z = w * x + b
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def test_class_8_a_loss_that_rises_far_above_its_start_warns(recwarn):
    x, y = t(X1), t(Y1)
    w, b = torch.zeros(1, 1, dtype=F64), torch.zeros(1, 1, dtype=F64)
    with pytest.warns(lrcore.DivergenceWarning) as caught:
        history = lrcore.fit(x, y, w, b, 1e37, 50)
    first, last = np.log(2), _bce(x.numpy(), y.numpy(), history.weights[-2].item(), history.biases[-2].item())
    assert history.train_loss[-1].item() == pytest.approx(last, rel=1e-12) and np.isfinite(last)
    assert last > 10 * first and torch.isfinite(history.weights).all()
    (warning,) = caught
    assert re.fullmatch(
        r"fit diverged: the training loss rose from 0.693 to " + re.escape(f"{last:.3g}") + r" in 49 steps, more than "
        r"DIVERGENCE_FACTOR=10 times its start, though no number overflowed yet; learning_rate=1e\+37 is too "
        r"large for this problem, try a smaller one",
        str(warning.message),
    )
    assert issubclass(lrcore.DivergenceWarning, lrcore.NonFiniteWarning)  # one filter covers both
    with pytest.warns(lrcore.DivergenceWarning):
        lrcore.fit_minibatch(x, y, w, b, 1e37, 20, 4, seed=0)
    recwarn.clear()
    # A converging rate, and one above the stable limit whose loss oscillates, do not warn.
    for rate in (1.0, 30.0):
        history = lrcore.fit(x, y, w, b, rate, 200)
        assert history.train_loss[-1].item() <= 10 * history.train_loss[0].item()
    assert not [w for w in recwarn if issubclass(w.category, lrcore.NonFiniteWarning)]
