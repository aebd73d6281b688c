"""The loss over a grid of (w, b) for a one-feature model, computed from logits."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from lrcore._validation import check_count, check_labels, check_matrix, check_same_dtype, check_same_rows


def _check_range(name: str, value: object) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (low, high), got {value!r}")
    low, high = (float(v) for v in value)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name} must have finite ends, got {value!r}")
    if not low < high:
        raise ValueError(f"{name} must satisfy low < high, got {value!r}")
    return low, high


def loss_landscape(
    x: Tensor,
    y: Tensor,
    w_range: tuple[float, float] = (-10, 5),
    b_range: tuple[float, float] = (-10, 5),
    num: int = 100,
) -> tuple[Tensor, Tensor, Tensor]:
    """Mean BCE of the model ``sigmoid(w x + b)`` at every point of a ``num x num`` grid.

    Computed from the logits, so it is finite everywhere, however far the grid reaches.
    It is also vectorised: the loss splits into ``mean_i softplus(w x_i + b)`` (one batched
    call over the whole grid) minus ``w mean(y x) + b mean(y)`` (two numbers).

    Parameters
    ----------
    x : Tensor of shape (n, 1)
        One (standardized) feature.
    y : Tensor of shape (n, 1)
        Labels, 0 or 1.
    w_range, b_range : pair of float
        Inclusive ends of the grid.
    num : int
        Points per axis, >= 2.

    Returns
    -------
    J : Tensor of shape (num, num)
        ``J[i, j]`` is the loss at ``w = ws[i]``, ``b = bs[j]``; plot it with
        ``contourf(ws, bs, J.T)``.
    ws, bs : Tensor of shape (num,)
        The grid, of ``x``'s dtype.
    """
    x = check_matrix("x", x, columns=1)
    y = check_labels("y", y)
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    num = check_count("num", num, minimum=2)
    w_low, w_high = _check_range("w_range", w_range)
    b_low, b_high = _check_range("b_range", b_range)
    ws = torch.linspace(w_low, w_high, num, dtype=x.dtype, device=x.device)
    bs = torch.linspace(b_low, b_high, num, dtype=x.dtype, device=x.device)
    xs = x.reshape(-1)
    softplus_mean = torch.empty(num, num, dtype=x.dtype, device=x.device)
    # A few rows of w at a time through one reused (rows, num, n) buffer of about 4 MB: large
    # enough that each call does real work, small enough to stay in cache and to spare the
    # allocator hundreds of MB of fresh pages per call.
    rows = max(1, 2**20 // (num * xs.numel()))
    buffer = torch.empty(rows, num, xs.numel(), dtype=x.dtype, device=x.device)
    for start in range(0, num, rows):
        w_block = ws[start : start + rows]
        z = buffer[: w_block.shape[0]]
        torch.add(bs[None, :, None], w_block[:, None, None] * xs, out=z)
        # softplus returns z itself above z = 20, off by log1p(exp(-20)) < 2.1e-9: far below
        # what a contour plot shows, and it keeps the inner loop to one fused kernel, written in
        # place (F.softplus has no out= argument, and a new block per call costs page faults).
        torch.ops.aten.softplus.out(z, 1, 20, out=z)
        torch.mean(z, dim=-1, out=softplus_mean[start : start + w_block.shape[0]])
    linear_part = ws[:, None] * (y * x).mean() + bs[None, :] * y.mean()
    return softplus_mean - linear_part, ws, bs
