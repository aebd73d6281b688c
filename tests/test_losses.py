"""lrcore.losses against torch.nn.functional and a 60-digit mpmath reference."""

from __future__ import annotations

import math
import warnings

import mpmath
import pytest
import torch
import torch.nn.functional as F

import lrcore


def _tol(dtype: torch.dtype) -> dict:
    return {"rtol": 1e-6, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-14, "atol": 1e-14}


def _mp_bce_from_logit(z: float, y: float) -> float:
    """Exact per-sample BCE of sigmoid(z), -y log s - (1 - y) log(1 - s), to 60 digits."""
    with mpmath.workdps(60):
        zm = mpmath.mpf(z)
        # -log s = log(1 + e^-z), -log(1 - s) = log(1 + e^z)
        value = mpmath.log1p(mpmath.exp(-zm)) if y == 1 else mpmath.log1p(mpmath.exp(zm))
        return float(value)


# ---------------------------------------------------------------------------- textbook BCE


@pytest.mark.parametrize("seed", range(4))
def test_bce_against_F_binary_cross_entropy(make_problem, dtype, seed, assert_pure):
    p = make_problem(n=50, d=3, dtype=dtype, seed=seed)
    loss = assert_pure(lrcore.binary_cross_entropy, p.s, p.y)
    assert loss.shape == () and loss.dtype == dtype and loss.device == p.s.device
    torch.testing.assert_close(loss, F.binary_cross_entropy(p.s, p.y), **_tol(dtype))


def test_bce_docstring_value():
    # -log(0.5) = log 2 = 0.693147...
    loss = lrcore.binary_cross_entropy(
        torch.tensor([[0.5]], dtype=torch.float64), torch.tensor([[1.0]], dtype=torch.float64)
    )
    assert loss.item() == pytest.approx(math.log(2), rel=1e-15)


def test_bce_sure_and_right_is_zero(dtype):
    # 0 log 0 = 0: a prediction of exactly 1 for a positive and 0 for a negative costs nothing.
    y_pred = torch.tensor([[1.0], [0.0], [1.0], [0.0]], dtype=dtype)
    y_true = torch.tensor([[1.0], [0.0], [1.0], [0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = lrcore.binary_cross_entropy(y_pred, y_true)
    assert loss.item() == 0.0
    assert loss.item() == F.binary_cross_entropy(y_pred, y_true).item()


def test_bce_mixed_sure_and_unsure_is_finite(dtype):
    y_pred = torch.tensor([[1.0], [0.0], [0.25]], dtype=dtype)
    y_true = torch.tensor([[1.0], [0.0], [1.0]], dtype=dtype)
    loss = lrcore.binary_cross_entropy(y_pred, y_true)
    # Only the third sample contributes: -log(0.25) / 3 = log(4) / 3.
    assert loss.item() == pytest.approx(math.log(4) / 3, rel=1e-6)


@pytest.mark.parametrize(("y_pred", "y_true"), [(0.0, 1.0), (1.0, 0.0)])
def test_bce_sure_and_wrong_is_inf(dtype, y_pred, y_true):
    # -log(0) = +inf is the formula's value (torch clamps the log at -100 and would give 100).
    preds = torch.tensor([[y_pred], [0.5]], dtype=dtype)
    labels = torch.tensor([[y_true], [1.0]], dtype=dtype)
    loss = lrcore.binary_cross_entropy(preds, labels)
    assert loss.item() == math.inf


@pytest.mark.parametrize("seed", range(3))
def test_bce_equals_stable_loss_where_finite(make_problem, seed):
    p = make_problem(n=40, d=2, dtype=torch.float64, seed=seed)
    torch.testing.assert_close(
        lrcore.binary_cross_entropy(p.s, p.y), F.binary_cross_entropy_with_logits(p.z, p.y), rtol=1e-13, atol=1e-13
    )


# ---------------------------------------------------------------------------- stable BCE


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_bce_with_logits_against_F(make_problem, dtype, seed, scale, assert_pure):
    p = make_problem(n=50, d=3, dtype=dtype, seed=seed)
    z = p.z * scale
    loss = assert_pure(lrcore.binary_cross_entropy_with_logits, z, p.y)
    assert loss.shape == () and loss.dtype == dtype and loss.device == z.device
    torch.testing.assert_close(loss, F.binary_cross_entropy_with_logits(z, p.y), **_tol(dtype))
    # And against the textbook formula of torch in float64, where the probabilities are not saturated.
    if scale == 1.0:
        torch.testing.assert_close(
            loss.double(), F.binary_cross_entropy(torch.sigmoid(z.double()), p.y.double()), **_tol(dtype)
        )


@pytest.mark.parametrize(
    "z", [-1e4, -745.0, -100.0, -25.0, -17.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 17.0, 25.0, 100.0, 745.0, 1e4]
)
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_with_logits_extreme_single_sample(dtype, z, y):
    z_t = torch.tensor([[z]], dtype=dtype)
    y_t = torch.tensor([[y]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = lrcore.binary_cross_entropy_with_logits(z_t, y_t)
    assert torch.isfinite(loss)
    expected = _mp_bce_from_logit(float(z_t.item()), y)
    # Relative precision of the dtype; atol = smallest normal number for results that underflow
    # (e.g. log1p(exp(-1e4)) ~ 1e-4343 is 0 in any dtype).
    rtol = 4 * torch.finfo(dtype).eps
    assert loss.item() == pytest.approx(expected, rel=rtol, abs=torch.finfo(dtype).tiny)


@pytest.mark.parametrize("z", [-30.0, -1.0, -1e-30, 0.0, 1e-30, 1.0, 30.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_with_logits_gradient_through_autograd_is_sigmoid_minus_y(dtype, z, y):
    """Autograd through the loss agrees with torch's own loss, at the kink z = 0 too (w = b = 0)."""
    z_ours = torch.tensor([[z]], dtype=dtype, requires_grad=True)
    z_torch = z_ours.detach().clone().requires_grad_()
    y_t = torch.tensor([[y]], dtype=dtype)
    lrcore.binary_cross_entropy_with_logits(z_ours, y_t).backward()
    F.binary_cross_entropy_with_logits(z_torch, y_t).backward()
    torch.testing.assert_close(z_ours.grad, z_torch.grad, **_tol(dtype))
    torch.testing.assert_close(z_ours.grad, torch.sigmoid(z_ours.detach()) - y_t, **_tol(dtype))


def test_bce_with_logits_documented_extremes_float32():
    # From the task statement and the docstring: z = 1e4, y = 0 costs 1e4; sure-and-right costs 0.
    one = torch.ones(1, 1)
    assert lrcore.binary_cross_entropy_with_logits(torch.tensor([[1e4]]), 0 * one).item() == 1e4
    assert lrcore.binary_cross_entropy_with_logits(torch.tensor([[-1e4]]), one).item() == 1e4
    assert (
        lrcore.binary_cross_entropy_with_logits(torch.tensor([[1e4], [-1e4]]), torch.tensor([[1.0], [0.0]])).item()
        == 0.0
    )


def test_bce_with_logits_relative_precision_z25_float64():
    # log1p(exp(-25)) = 1.3887943864867583e-11 (mpmath, 60 digits); a naive log(sigmoid) would lose most digits.
    loss = lrcore.binary_cross_entropy_with_logits(
        torch.tensor([[25.0]], dtype=torch.float64), torch.tensor([[1.0]], dtype=torch.float64)
    )
    expected = _mp_bce_from_logit(25.0, 1.0)
    assert expected == pytest.approx(math.log1p(math.exp(-25.0)), rel=1e-15)
    assert loss.item() == pytest.approx(expected, rel=1e-14)


def test_bce_with_logits_batch_of_extremes(dtype):
    z = torch.tensor([[-1e4], [-50.0], [-3.0], [0.0], [3.0], [50.0], [1e4]], dtype=dtype)
    y = torch.tensor([[0.0], [1.0], [0.0], [1.0], [1.0], [0.0], [1.0]], dtype=dtype)
    loss = lrcore.binary_cross_entropy_with_logits(z, y)
    expected = (
        sum(_mp_bce_from_logit(zi, yi) for zi, yi in zip(z.double().ravel().tolist(), y.ravel().tolist(), strict=True))
        / 7
    )
    assert loss.item() == pytest.approx(expected, rel=4 * torch.finfo(dtype).eps)
    torch.testing.assert_close(loss, F.binary_cross_entropy_with_logits(z, y), **_tol(dtype))
