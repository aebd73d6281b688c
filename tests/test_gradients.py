"""lrcore.gradients against torch.autograd, torch.func and central finite differences."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.func import grad, jacrev, vmap

import lrcore

GRADIENT_FUNCTIONS = [lrcore.compute_gradients, lrcore.compute_gradients_chain_rule]
GRADIENT_IDS = ["closed_form", "chain_rule"]


def _mean_bce(x, y, w, b):
    """The objective J(w, b) of the model, computed by torch from the logits."""
    return F.binary_cross_entropy_with_logits(x @ w + b, y)


def _autograd_reference(x, y, w, b):
    """dJ/dw, dJ/db with torch.autograd through the textbook chain sigmoid -> BCE."""
    w = w.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    loss = F.binary_cross_entropy(torch.sigmoid(x @ w + b), y)
    return torch.autograd.grad(loss, (w, b))


def _finite_differences(x, y, w, b, h=1e-6):
    """Central differences of J(w, b) in float64, one coordinate at a time."""
    theta = torch.cat([w, b]).reshape(-1).clone()
    d = w.shape[0]
    out = torch.empty_like(theta)
    for k in range(theta.numel()):
        plus, minus = theta.clone(), theta.clone()
        plus[k] += h
        minus[k] -= h
        j_plus = _mean_bce(x, y, plus[:d].reshape(-1, 1), plus[d:].reshape(1, 1))
        j_minus = _mean_bce(x, y, minus[:d].reshape(-1, 1), minus[d:].reshape(1, 1))
        out[k] = (j_plus - j_minus) / (2 * h)
    return out[:d].reshape(-1, 1), out[d:].reshape(1, 1)


# ---------------------------------------------------------------------------- full gradient


@pytest.mark.parametrize("fn", GRADIENT_FUNCTIONS, ids=GRADIENT_IDS)
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("n", "d"), [(1, 1), (13, 4), (200, 10)])
def test_gradient_against_autograd_and_torch_func(make_problem, fn, seed, n, d, assert_pure):
    p = make_problem(n=n, d=d, dtype=torch.float64, seed=seed)
    dw, db = assert_pure(fn, p.x, p.s, p.y)
    assert dw.shape == (d, 1) and db.shape == (1, 1)
    assert dw.dtype == db.dtype == torch.float64

    ref_dw, ref_db = _autograd_reference(p.x, p.y, p.w, p.b)
    torch.testing.assert_close(dw, ref_dw, rtol=0, atol=1e-12)
    torch.testing.assert_close(db, ref_db, rtol=0, atol=1e-12)

    func_dw, func_db = grad(lambda w, b: _mean_bce(p.x, p.y, w, b), argnums=(0, 1))(p.w, p.b)
    torch.testing.assert_close(dw, func_dw, rtol=0, atol=1e-12)
    torch.testing.assert_close(db, func_db, rtol=0, atol=1e-12)


@pytest.mark.parametrize("fn", GRADIENT_FUNCTIONS, ids=GRADIENT_IDS)
@pytest.mark.parametrize("seed", range(3))
def test_gradient_against_central_differences(make_problem, fn, seed):
    p = make_problem(n=25, d=3, dtype=torch.float64, seed=seed)
    dw, db = fn(p.x, p.s, p.y)
    fd_dw, fd_db = _finite_differences(p.x, p.y, p.w, p.b)
    # Truncation O(h^2) ~ 1e-12 plus rounding O(eps / h) ~ 1e-10.
    torch.testing.assert_close(dw, fd_dw, rtol=0, atol=1e-8)
    torch.testing.assert_close(db, fd_db, rtol=0, atol=1e-8)


@pytest.mark.parametrize("seed", range(5))
def test_chain_rule_equals_closed_form(make_problem, seed):
    p = make_problem(n=60, d=5, dtype=torch.float64, seed=seed)
    # Independent closed form: (1/n) X^T (s - y) and mean(s - y), written out here.
    residual = p.s - p.y
    ref_dw = p.x.T @ residual / p.x.shape[0]
    ref_db = residual.sum().reshape(1, 1) / p.x.shape[0]
    for fn in GRADIENT_FUNCTIONS:
        dw, db = fn(p.x, p.s, p.y)
        torch.testing.assert_close(dw, ref_dw, rtol=0, atol=1e-13)
        torch.testing.assert_close(db, ref_db, rtol=0, atol=1e-13)
    cw, cb = lrcore.compute_gradients_chain_rule(p.x, p.s, p.y)
    fw, fb = lrcore.compute_gradients(p.x, p.s, p.y)
    torch.testing.assert_close(cw, fw, rtol=0, atol=1e-13)
    torch.testing.assert_close(cb, fb, rtol=0, atol=1e-13)


@pytest.mark.parametrize("fn", GRADIENT_FUNCTIONS, ids=GRADIENT_IDS)
def test_gradient_output_follows_input(make_problem, dtype, fn, assert_pure):
    p = make_problem(n=30, d=4, dtype=dtype, seed=7)
    dw, db = assert_pure(fn, p.x, p.s, p.y)
    assert dw.shape == (4, 1) and db.shape == (1, 1)
    assert dw.dtype == db.dtype == dtype
    assert dw.device == db.device == p.x.device
    ref_dw, ref_db = _autograd_reference(p.x.double(), p.y.double(), p.w.double(), p.b.double())
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(dw.double(), ref_dw, rtol=0, atol=tol)
    torch.testing.assert_close(db.double(), ref_db, rtol=0, atol=tol)


def test_closed_form_docstring_example():
    # x = ones(2, 3), s = 0.5, y = 1: residual -0.5 everywhere, so dw = -0.5 * ones(3, 1), db = -0.5.
    dw, db = lrcore.compute_gradients(torch.ones(2, 3), torch.full((2, 1), 0.5), torch.ones(2, 1))
    assert dw.tolist() == [[-0.5]] * 3 and db.tolist() == [[-0.5]]


def test_chain_rule_with_saturated_right_predictions_float32():
    # In float32, sigmoid(20) is exactly 1.0. A sure and right prediction has derivative
    # dJ/dz = s - y = 0, so it must not spoil the gradient of the other samples.
    x = torch.tensor([[20.0], [1.0], [-0.5]])
    y = torch.tensor([[1.0], [0.0], [1.0]])
    w, b = torch.ones(1, 1), torch.zeros(1, 1)
    s = torch.sigmoid(x @ w + b)
    assert s[0].item() == 1.0
    ref_dw, ref_db = grad(lambda w, b: _mean_bce(x, y, w, b), argnums=(0, 1))(w, b)
    for fn in GRADIENT_FUNCTIONS:
        dw, db = fn(x, s, y)
        assert torch.isfinite(dw).all() and torch.isfinite(db).all(), fn.__name__
        torch.testing.assert_close(dw, ref_dw, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(db, ref_db, rtol=1e-6, atol=1e-6)


def test_closed_form_finite_when_sure_and_wrong():
    # s = 0 for a positive: dJ/dz = s - y = -1, finite, as autograd through the logits says.
    x = torch.tensor([[-200.0], [1.0]], dtype=torch.float64)
    y = torch.tensor([[1.0], [0.0]], dtype=torch.float64)
    w, b = torch.full((1, 1), 5.0, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    s = torch.sigmoid(x @ w + b)
    assert s[0].item() == 0.0
    dw, db = lrcore.compute_gradients(x, s, y)
    ref_dw, ref_db = grad(lambda w, b: _mean_bce(x, y, w, b), argnums=(0, 1))(w, b)
    torch.testing.assert_close(dw, ref_dw, rtol=0, atol=1e-12)
    torch.testing.assert_close(db, ref_db, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- chain-rule factors


def _per_sample_bce(s, y):
    """Loss of one sample as a function of its prediction (torch's textbook BCE)."""
    return F.binary_cross_entropy(s, y)


@pytest.mark.parametrize("seed", range(4))
def test_dJi_dS_against_torch_func_and_autograd(make_problem, seed, assert_pure):
    p = make_problem(n=50, d=3, dtype=torch.float64, seed=seed)
    out = assert_pure(lrcore.dJi_dS, p.s, p.y)
    assert out.shape == (50, 1) and out.dtype == torch.float64
    # torch.func: derivative of each sample's loss with respect to its own prediction.
    ref = vmap(grad(_per_sample_bce))(p.s.reshape(-1), p.y.reshape(-1)).reshape(-1, 1)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    # torch.autograd: the gradient of the summed loss has the per-sample derivatives as entries.
    s = p.s.detach().clone().requires_grad_(True)
    (ref_autograd,) = torch.autograd.grad(F.binary_cross_entropy(s, p.y, reduction="sum"), s)
    torch.testing.assert_close(out, ref_autograd, rtol=1e-12, atol=1e-12)


def test_dJi_dS_sure_and_wrong_is_infinite():
    # Documented: -y / s with y = 1, s = 0 is -inf; (1 - y) / (1 - s) with y = 0, s = 1 is +inf.
    # Reference: autograd of the one term of the loss that is present.
    s = torch.tensor([[0.0], [1.0]], dtype=torch.float64, requires_grad=True)
    terms = torch.stack([-torch.log(s[0, 0]), -torch.log1p(-s[1, 0])])
    (ref,) = torch.autograd.grad(terms.sum(), s)
    out = lrcore.dJi_dS(s.detach(), torch.tensor([[1.0], [0.0]], dtype=torch.float64))
    assert ref.tolist() == [[-torch.inf], [torch.inf]]
    assert out.tolist() == ref.tolist()


def test_dJi_dS_sure_and_right_is_finite():
    # With 0 log 0 = 0 (as binary_cross_entropy uses), the loss of a sample with y = 0 is
    # -log(1 - s) alone, whose derivative at s = 0 is 1; with y = 1 it is -log(s), derivative -1
    # at s = 1. Reference: autograd of the one term of the loss that is present.
    s = torch.tensor([[0.0], [1.0]], dtype=torch.float64, requires_grad=True)
    terms = torch.stack([-torch.log1p(-s[0, 0]), -torch.log(s[1, 0])])
    (ref,) = torch.autograd.grad(terms.sum(), s)
    assert ref.tolist() == [[1.0], [-1.0]]
    out = lrcore.dJi_dS(s.detach(), torch.tensor([[0.0], [1.0]], dtype=torch.float64))
    assert torch.isfinite(out).all(), f"dJi_dS of sure-and-right predictions gave {out.ravel().tolist()}"
    torch.testing.assert_close(out, ref)


def test_dJi_dS_output_follows_input(make_problem, dtype, assert_pure):
    p = make_problem(n=20, d=2, dtype=dtype, seed=11)
    out = assert_pure(lrcore.dJi_dS, p.s, p.y)
    assert out.shape == (20, 1) and out.dtype == dtype and out.device == p.s.device
    s64 = p.s.double()
    # Written out: -y / s + (1 - y) / (1 - s), in float64 at the same probabilities.
    ref = torch.where(p.y.double() == 1, -1 / s64, 1 / (1 - s64))
    torch.testing.assert_close(out.double(), ref, rtol=1e-5 if dtype == torch.float32 else 1e-13, atol=0)


@pytest.mark.parametrize("seed", range(3))
def test_dS_dZ_against_derivative_of_sigmoid(dtype, seed, assert_pure):
    z = (torch.randn(40, 1, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 4).to(dtype)
    s = torch.sigmoid(z)
    out = assert_pure(lrcore.dS_dZ, s)
    assert out.shape == (40, 1) and out.dtype == dtype and out.device == z.device
    ref_func = vmap(grad(torch.sigmoid))(z.reshape(-1)).reshape(-1, 1)
    zz = z.detach().clone().requires_grad_(True)
    (ref_autograd,) = torch.autograd.grad(torch.sigmoid(zz).sum(), zz)
    tol = {"rtol": 1e-6, "atol": 1e-7} if dtype == torch.float32 else {"rtol": 1e-13, "atol": 1e-15}
    torch.testing.assert_close(out, ref_func, **tol)
    torch.testing.assert_close(out, ref_autograd, **tol)


def test_dS_dZ_at_the_ends_and_middle():
    # s (1 - s): 0 at s = 0 and s = 1, maximal 1/4 at s = 1/2.
    out = lrcore.dS_dZ(torch.tensor([[0.0], [0.5], [1.0]], dtype=torch.float64))
    assert out.tolist() == [[0.0], [0.25], [0.0]]


@pytest.mark.parametrize(("n", "d"), [(1, 1), (9, 4)])
def test_dZ_dW_and_dZ_dB_against_jacobian_of_affine_map(make_problem, dtype, n, d, assert_pure):
    p = make_problem(n=n, d=d, dtype=dtype, seed=3)
    jac_w, jac_b = jacrev(lambda w, b: p.x @ w + b, argnums=(0, 1))(p.w, p.b)  # (n, 1, D, 1), (n, 1, 1, 1)
    out_w = assert_pure(lrcore.dZ_dW, p.x)
    out_b = assert_pure(lrcore.dZ_dB, p.x)
    assert out_w.shape == (n, d) and out_b.shape == (n, 1)
    assert out_w.dtype == out_b.dtype == dtype
    assert out_w.device == out_b.device == p.x.device
    torch.testing.assert_close(out_w, jac_w.reshape(n, d), rtol=0, atol=0)
    torch.testing.assert_close(out_b, jac_b.reshape(n, 1), rtol=0, atol=0)


def test_dZ_dW_is_a_copy():
    x = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    out = lrcore.dZ_dW(x)
    assert out.data_ptr() != x.data_ptr()
    out += 1
    assert not torch.equal(out, x)


@pytest.mark.parametrize("seed", range(3))
def test_factors_multiply_to_autograd_gradient(make_problem, seed):
    # (1/n) sum_i dJi/ds_i * ds_i/dz_i * dz_i/dw  is the autograd gradient.
    p = make_problem(n=30, d=3, dtype=torch.float64, seed=seed)
    dJ_dz = lrcore.dJi_dS(p.s, p.y) * lrcore.dS_dZ(p.s)
    dw = (dJ_dz * lrcore.dZ_dW(p.x)).mean(dim=0).reshape(-1, 1)
    db = (dJ_dz * lrcore.dZ_dB(p.x)).mean().reshape(1, 1)
    ref_dw, ref_db = _autograd_reference(p.x, p.y, p.w, p.b)
    torch.testing.assert_close(dw, ref_dw, rtol=0, atol=1e-12)
    torch.testing.assert_close(db, ref_db, rtol=0, atol=1e-12)
