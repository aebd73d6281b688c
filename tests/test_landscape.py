"""lrcore.loss_landscape against a plain double loop with F.binary_cross_entropy_with_logits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lrcore


def _one_feature(dtype: torch.dtype, n: int = 30, seed: int = 0, separable: bool = False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, generator=g, dtype=torch.float64)
    if separable:
        y = (x > 0).double()
    else:
        y = torch.bernoulli(torch.sigmoid(2 * x - 0.5), generator=g)
    return x.to(dtype), y.to(dtype)


def _loop_reference(x, y, ws, bs):
    """Float64 loss at every grid point, one F.binary_cross_entropy_with_logits call per point."""
    xd, yd = x.double(), y.double()
    J = torch.empty(len(ws), len(bs), dtype=torch.float64)
    for i, w in enumerate(ws):
        for j, b in enumerate(bs):
            J[i, j] = F.binary_cross_entropy_with_logits(float(w) * xd + float(b), yd)
    return J


@pytest.mark.parametrize(
    ("w_range", "b_range"),
    [((-10, 5), (-10, 5)), ((-2.5, 3.0), (0.0, 1.0)), ((-1e4, 1e4), (-1e4, 1e4)), ((-1e6, 1e6), (-3.0, 3.0))],
)
@pytest.mark.parametrize("seed", range(2))
def test_landscape_against_double_loop(dtype, w_range, b_range, seed, assert_pure):
    x, y = _one_feature(dtype, seed=seed, separable=seed == 1)
    num = 7
    J, ws, bs = assert_pure(lrcore.loss_landscape, x, y, w_range, b_range, num)
    assert J.shape == (num, num) and ws.shape == (num,) and bs.shape == (num,)
    assert J.dtype == ws.dtype == bs.dtype == dtype
    assert J.device == ws.device == bs.device == x.device
    assert torch.isfinite(J).all()

    eps = torch.finfo(dtype).eps
    # The grid: num evenly spaced points including both ends (rounding relative to the width).
    for got, (low, high) in ((ws, w_range), (bs, b_range)):
        np.testing.assert_allclose(
            got.double().numpy(), np.linspace(low, high, num), rtol=0, atol=4 * eps * (high - low)
        )
        assert got[0].item() == low and got[-1].item() == high
    # The loss at the grid points lrcore returns, evaluated point by point in float64.
    ref = _loop_reference(x, y, ws.tolist(), bs.tolist())
    # The loss is of order |w x| + |b|, so rounding scales with the size of the grid. Above
    # z = 20 F.softplus returns z, off by log1p(exp(-20)) < 2.1e-9 (the documented approximation).
    scale = max(abs(v) for v in (*w_range, *b_range)) * x.abs().max().item() + 1.0
    atol = 64 * eps * scale + (2.1e-9 if dtype == torch.float64 else 0.0)
    torch.testing.assert_close(J.double(), ref, rtol=8 * eps, atol=atol)


def test_landscape_indexing_J_at_ws_i_bs_j(assert_pure):
    x, y = _one_feature(torch.float64, seed=3)
    J, ws, bs = assert_pure(lrcore.loss_landscape, x, y, (-3, 2), (-1, 4), 5)
    # Non-square ranges: swapping the axes would put J[i, j] at (bs[i], ws[j]).
    for i, j in [(0, 4), (4, 0), (1, 3), (2, 2)]:
        expected = F.binary_cross_entropy_with_logits(ws[i] * x + bs[j], y)
        assert J[i, j].item() == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
    assert ws[0].item() == -3 and ws[-1].item() == 2 and bs[0].item() == -1 and bs[-1].item() == 4


def test_landscape_default_grid(dtype):
    x, y = _one_feature(dtype, seed=4)
    J, ws, bs = lrcore.loss_landscape(x, y)
    # Defaults from the signature: w_range = b_range = (-10, 5), num = 100.
    assert J.shape == (100, 100)
    assert ws[0].item() == -10 and ws[-1].item() == 5 and bs[0].item() == -10 and bs[-1].item() == 5
    ref = F.binary_cross_entropy_with_logits(ws[37].double() * x.double() + bs[61].double(), y.double())
    assert J[37, 61].item() == pytest.approx(ref.item(), rel=1e-5 if dtype == torch.float32 else 1e-12)


def test_landscape_huge_range_no_nan_float32():
    # A naive sigmoid-then-log landscape has NaN/inf holes here in float32; lrcore must not.
    x, y = _one_feature(torch.float32, n=100, seed=5, separable=True)
    J, _, _ = lrcore.loss_landscape(x, y, w_range=(-1e4, 1e4), b_range=(-1e4, 1e4), num=25)
    assert torch.isfinite(J).all()
    assert (J >= -1e-3 * J.abs().max()).all()  # a mean BCE is >= 0, up to float32 cancellation
