"""Issue 22: valid inputs give right, finite results in the newer modules (one test per class fixed).

Class 1 (wrong or non-finite results from valid input), class 5 (valid numbers accepted) and the
errors of class 4 that these fixes name. Each property compares with an independent reference
(numpy in float64, Python's exact integers and fractions, lrcore.predict's own comparison).
"""

from __future__ import annotations

from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import lrcore
from lrcore import explorers
from lrcore.explorers import threshold as threshold_module

F64 = torch.float64


def _softplus_mean_reference(x, y, w, b):
    """Mean BCE from logits, in float64 numpy, at one (w, b)."""
    z = (w * x + b) * (1 - 2 * y)
    return float(np.mean(np.logaddexp(0.0, z)))


# ------------------------------------------------------------------- grids beyond the dtype's range


@given(
    reach=st.floats(1.0, 3.3e38),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    num=st.integers(2, 9),
)
def test_loss_landscape_grid_reaching_the_dtype_limit_is_finite_and_right(reach, dtype, num):
    x = torch.tensor([[1.0], [2.0], [-1.0]], dtype=dtype)
    y = torch.tensor([[1.0], [0.0], [0.0]], dtype=dtype)
    if dtype == torch.float64:
        reach = reach / 3.3e38 * 2.9e307 + 1  # up to 2.9e307: logits (|x| <= 2) and their sum of 3 stay finite
    J, ws, bs = lrcore.loss_landscape(x, y, w_range=(-reach, reach), b_range=(0.0, 1.0), num=num)
    assert torch.isfinite(ws).all() and torch.isfinite(bs).all()
    np.testing.assert_allclose(ws.double().numpy(), np.linspace(-reach, reach, num), rtol=0, atol=reach * 1e-6)
    assert ws[0].item() == np.float64(np.array(-reach, dtype=ws.numpy().dtype))
    assert ws[-1].item() == np.float64(np.array(reach, dtype=ws.numpy().dtype))
    for i in range(num):
        for j in range(num):
            xs, ys = x.double().numpy().ravel(), y.double().numpy().ravel()
            expected = _softplus_mean_reference(xs, ys, ws[i].item(), bs[j].item())
            if expected <= torch.finfo(dtype).max:
                assert J[i, j].item() == pytest.approx(expected, rel=1e-5, abs=2.1e-9)


def test_loss_landscape_issue_cases():
    x = torch.tensor([[1.0], [2.0], [-1.0]])
    y = torch.tensor([[1.0], [0.0], [0.0]])
    J, ws, _ = lrcore.loss_landscape(x, y, w_range=(-2e38, 2e38), b_range=(0.0, 1.0), num=5)
    assert torch.isfinite(J).all() and ws[2].item() == 0.0
    assert J[2, 0].item() == pytest.approx(np.log(2), rel=1e-6)  # w = 0, b = 0: every p = 1/2
    # float64: high - low = 5.8e307 * 2 fits; a grid of (-1e308, 1e308) is refused (its sums overflow), named.
    J64, _, _ = lrcore.loss_landscape(x.double(), y.double(), w_range=(-2.9e307, 2.9e307), b_range=(0.0, 1.0), num=5)
    with pytest.raises(ValueError, match=r"^w_range and b_range reach logits up to"):
        lrcore.loss_landscape(x.double(), y.double(), w_range=(-1e308, 1e308), b_range=(0.0, 1.0), num=5)
    assert torch.isfinite(J64).all() and J64[2, 0].item() == pytest.approx(np.log(2))


def test_linspace_matches_torch_on_ordinary_ranges_and_halves_beyond():
    from lrcore._numerics import linspace

    for low, high, num in [(-10.0, 5.0, 100), (0.001, 0.999, 999), (-2.0, 2.0, 7)]:
        for dtype in (torch.float32, torch.float64):
            assert torch.equal(linspace(low, high, num, dtype), torch.linspace(low, high, num, dtype=dtype))
    grid = linspace(-1e308, 1e308, 5, torch.float64)
    assert grid.tolist() == [-1e308, -5e307, 0.0, 5e307, 1e308]


@given(reach=st.floats(1.0, 3.4e38))
def test_plot_sigmoid_wide_range_draws_finite_points(reach):
    ax = lrcore.plot_sigmoid(z_range=(-reach, reach))
    z, s = ax.lines[0].get_data()
    plt.close(ax.figure)
    assert np.isfinite(np.asarray(z)).all() and np.isfinite(np.asarray(s)).all()
    assert np.asarray(z)[0] == np.float32(-reach) and np.asarray(z)[-1] == np.float32(reach)


def test_plot_sigmoid_beyond_float32_names_z_range():
    message = r"^z_range must have ends of at most 3.403e\+38 in size \(float32\), got \(-1e\+39, 1e\+39\)$"
    with pytest.raises(ValueError, match=message):
        lrcore.plot_sigmoid(z_range=(-1e39, 1e39))
    assert not plt.get_fignums()


# ------------------------------------------------------------------------ integers past int64


@given(num_steps=st.integers(1, 10**300), num_frames=st.integers(2, 40))
def test_frame_steps_are_increasing_exact_ints_from_0_to_num_steps(num_steps, num_frames):
    steps = explorers.frame_steps(num_steps, num_frames)
    assert all(isinstance(s, int) for s in steps)
    assert steps[0] == 0 and steps[-1] == num_steps and len(steps) <= num_frames
    assert all(a < b for a, b in zip(steps, steps[1:], strict=False))
    if num_steps < 2**53 and num_steps + 1 > num_frames:  # the numpy path, as before
        single = num_frames // 2
        count = num_frames - single
        reference = [num_steps] if count == 1 else np.geomspace(single, num_steps, count).round().astype(int).tolist()
        assert steps == sorted({*range(single), *reference})


def test_frame_steps_issue_cases():
    assert explorers.frame_steps(10**19, 5)[-1] == 10**19
    assert explorers.frame_steps(10**19, 5)[:2] == [0, 1]
    assert explorers.frame_steps(10**30, 5)[-1] == 10**30
    with pytest.raises(ValueError, match=r"^num_steps must be below 2\*\*1000, got an int of 401 digits$"):
        explorers.frame_steps(10**400, 5)


@given(count=st.integers(0, 2**63 - 1))
def test_confusion_matrix_plot_shows_int64_counts_exactly(count):
    cm = torch.tensor([[count, 0], [1, 2]], dtype=torch.int64)
    ax = lrcore.plot_confusion_matrix(cm)
    texts = [t.get_text() for t in ax.texts]
    plt.close(ax.figure)
    assert texts[0] == f"TN\n{count}"


# -------------------------------------------------------------------------- quantiles and thresholds


@given(
    values=st.lists(st.floats(-1.7976931348623157e308, 1.7976931348623157e308), min_size=1, max_size=40),
    confidence=st.floats(0.01, 0.99),
)
def test_percentile_interval_matches_numpy_also_at_the_float64_limit(values, confidence):
    t = torch.tensor(values, dtype=F64)
    low, high = lrcore.percentile_interval(t, confidence)
    alpha = (1 - confidence) / 2
    halves = np.percentile(np.asarray(values) / 2, [100 * alpha, 100 * (1 - alpha)]) * 2  # halving is exact
    assert np.isfinite([low, high]).all() and low <= high
    np.testing.assert_allclose([low, high], halves, rtol=1e-12, atol=1e-300)


def test_percentile_interval_issue_cases():
    interval = lrcore.percentile_interval(torch.tensor([-1.7e308, 1.7e308], dtype=F64))
    assert interval == pytest.approx((-1.6150e308, 1.6150e308), rel=1e-12)
    big = torch.arange(2**24 + 3, dtype=F64)
    low, high = lrcore.percentile_interval(big, 0.5)
    assert (low, high) == pytest.approx(tuple(np.percentile(big.numpy(), [25, 75])))


@given(seed=st.integers(0, 2**31 - 1), t=st.floats(1e-6, 1 - 1e-6), n=st.integers(2, 30))
def test_bootstrap_metrics_flags_what_predict_flags_in_float32(seed, t, n):
    g = torch.Generator().manual_seed(seed)
    score = torch.rand(n, 1, generator=g)  # float32
    score[0] = torch.tensor(t, dtype=torch.float32)  # a score at the threshold's float32 rounding
    y = torch.randint(0, 2, (n, 1), generator=g).float()
    y[0], y[-1] = 1.0, 0.0
    flagged = (score >= t).double()  # torch compares a float32 tensor with a float in float32, as predict does
    tp = float(((flagged == 1) & (y.double() == 1)).sum())
    recall = lrcore.bootstrap_metrics(score, y, torch.arange(n)[None], t)["recall"].item()
    assert recall == tp / float(y.sum())


def test_bootstrap_metrics_issue_case_float32_threshold():
    score, y = torch.tensor([[0.29999998], [0.1]]), torch.tensor([[1.0], [0.0]])
    predicted = (score >= 0.29999999).double()
    assert lrcore.bootstrap_metrics(score, y, torch.arange(2)[None], 0.29999999)["recall"].item() == predicted[0].item()


@pytest.mark.parametrize("number", [Fraction(1, 2), np.float32(0.5), np.float64(0.5), np.int64(0)])
def test_valid_numbers_are_accepted_as_threshold(number):
    score, y = torch.tensor([[0.2], [0.7]], dtype=F64), torch.tensor([[0.0], [1.0]], dtype=F64)
    result = lrcore.bootstrap_metrics(score, y, torch.arange(2)[None], number)
    assert result["accuracy"].item() == (1.0 if number == 0.5 else 0.5)
    intervals = lrcore.bootstrap_confidence_intervals(score, y, threshold=number, num_resamples=20)
    assert intervals["accuracy"].estimate == result["accuracy"].item()


@pytest.mark.parametrize("confidence", [Fraction(9, 10), np.float32(0.9), np.float64(0.9)])
def test_valid_numbers_are_accepted_as_confidence(confidence):
    values = torch.arange(11, dtype=F64)
    assert lrcore.percentile_interval(values, confidence) == pytest.approx((0.5, 9.5))
    score, y = torch.tensor([[0.2], [0.7]], dtype=F64), torch.tensor([[0.0], [1.0]], dtype=F64)
    lrcore.bootstrap_confidence_intervals(score, y, num_resamples=20, confidence=confidence)


def test_huge_threshold_names_threshold():
    score, y = torch.tensor([[0.2], [0.7]]), torch.tensor([[0.0], [1.0]])
    with pytest.raises(ValueError, match=r"^threshold must be at most 3.403e\+38 in absolute value"):
        lrcore.bootstrap_metrics(score, y, torch.arange(2)[None], 2**200)
    with pytest.raises(ValueError, match=r"^threshold must be a finite number, got an int of 401 digits, too large"):
        lrcore.bootstrap_metrics(score, y, torch.arange(2)[None], 10**400)


# ------------------------------------------------------------------------------- the explorers' numbers


@given(
    cost=st.floats(1e-300, 1.7976931348623157e308), fn=st.integers(0, 50), fp=st.integers(0, 50), n=st.integers(1, 50)
)
def test_threshold_cost_is_finite_and_exact_to_rounding(cost, fn, fp, n):
    result = threshold_module._cost(cost, fn, cost, fp, max(n, fn + fp))
    exact = Fraction(cost) * (fn + fp) / max(n, fn + fp)
    assert np.isfinite(result)
    assert result == pytest.approx(float(exact), rel=1e-15)


def test_threshold_decimals_tell_close_thresholds_apart():
    assert threshold_module._decimals((0.5, 0.5000001, 0.5000002)) == 7
    assert threshold_module._decimals((0.01, 0.5, 0.99)) == 2
    values = (0.5, 0.5 + 2**-52)
    d = threshold_module._decimals(values)
    assert len({f"{v:.{d}f}" for v in values}) == 2


def test_descent_script_draws_a_diverged_loss_at_the_top_and_names_it():
    script = lrcore.explorers.descent.__file__.rsplit("/", 1)[0] + "/descent.js"
    text = open(script, encoding="utf-8").read()
    assert "loss === null ? Infinity : loss" in text and '"inf (diverged)"' in text
