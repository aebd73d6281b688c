"""The loss over a grid of (w, b) for a one-feature model, computed from logits."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import torch
from torch import Tensor

from lrcore import _numerics, _validation
from lrcore._validation import (
    _show,
    _type_name,
    check_count,
    check_labels,
    check_matrix,
    check_memory,
    check_same_dtype,
    check_same_rows,
)


def _check_range(name: str, value: object) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (low, high), got {_show(value)}")
    ends = []
    for end in value:
        if isinstance(end, (bool, np.bool_)) or not isinstance(end, Real):
            raise TypeError(f"{name} must hold two real numbers, got {_type_name(end)}")
        try:
            ends.append(float(end))
        except OverflowError:
            ends.append(math.inf)
    low, high = ends
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name} must have finite ends, got {_show(value)}")
    if not low < high:
        raise ValueError(f"{name} must satisfy low < high, got {_show(value)}")
    return low, high


def loss_landscape(
    x: Tensor,
    y: Tensor,
    w_range: tuple[float, float] = (-10, 5),
    b_range: tuple[float, float] = (-10, 5),
    num: int = 100,
) -> tuple[Tensor, Tensor, Tensor]:
    """Mean BCE of the model ``sigmoid(w x + b)`` at every point of a ``num x num`` grid.

    Computed from the logits, so it is finite and >= 0 everywhere, however far the grid
    reaches (float32 grids whose sums would overflow are computed in float64 and rounded).
    It is also vectorised: the loss of sample ``i`` is ``softplus((1 - 2 y_i)(w x_i + b))``, and
    ``(1 - 2 y_i)(w x_i + b) = w a_i + b c_i`` with ``a_i = (1 - 2 y_i) x_i`` and
    ``c_i = 1 - 2 y_i`` computed once: one addition and one softplus per grid point and
    sample. No large terms cancel, so a loss near 0 keeps its digits.

    Parameters
    ----------
    x : Tensor of shape (n, 1)
        One (standardized) feature. If it requires grad, its detached values are used.
    y : Tensor of shape (n, 1)
        Labels, 0 or 1.
    w_range, b_range : pair of float
        Finite inclusive ends, ``low < high``.
    num : int
        Points per axis, >= 2.

    Returns
    -------
    J : Tensor of shape (num, num)
        ``J[i, j]`` is the loss at ``w = ws[i]``, ``b = bs[j]``; plot it with
        ``contourf(ws, bs, J.T)``. ``inf`` (with a :class:`~lrcore.NonFiniteWarning`) only
        where a float32 loss exceeds float32's range.
    ws, bs : Tensor of shape (num,)
        The grid, of ``x``'s dtype.

    Raises
    ------
    ValueError
        For bad arguments; when the grid and its buffers would need more memory than
        ``lrcore._validation.MEMORY_BUDGET_BYTES`` (the message gives the largest ``num``
        that fits); and, in float64, when the logits reach beyond ``1.8e308 / n``.
    """
    x = check_matrix("x", x, columns=1).detach()
    y = check_labels("y", y).detach()
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    num = check_count("num", num, minimum=2)
    w_low, w_high = _check_range("w_range", w_range)
    b_low, b_high = _check_range("b_range", b_range)
    largest = torch.finfo(x.dtype).max
    for name, ends in (("w_range", (w_low, w_high)), ("b_range", (b_low, b_high))):
        if max(abs(end) for end in ends) > largest:
            raise ValueError(f"{name} must have ends of at most {largest:.4g} in size for {x.dtype}, got {ends}")
    n = x.shape[0]
    largest_logit = max(abs(w_low), abs(w_high)) * x.abs().max().item() + max(abs(b_low), abs(b_high))
    dtype = x.dtype
    if largest_logit * n > torch.finfo(dtype).max:
        if dtype == torch.float64:
            raise ValueError(
                f"w_range and b_range reach logits up to {largest_logit:.3g}, and a sum of {n} such losses "
                f"overflows torch.float64: narrow the ranges"
            )
        dtype = torch.float64  # float32 sums that would overflow: compute in float64, round at the end
    itemsize = torch.finfo(dtype).bits // 8
    check_memory(
        f"loss_landscape on a {_show(num)} x {_show(num)} grid",
        _landscape_bytes(num, n, itemsize),
        f"use num <= {_largest_num(n, itemsize)}",
    )
    ws = _numerics.linspace(w_low, w_high, num, x.dtype, x.device)
    bs = _numerics.linspace(b_low, b_high, num, x.dtype, x.device)
    J = _loss_grid(x, y, ws, bs, dtype)
    if dtype != x.dtype:
        J = J.to(x.dtype)
        _numerics.warn_if_not_finite(J, "loss_landscape's J", f"the loss there exceeds {x.dtype}'s range")
    return J, ws, bs


def _loss_grid(x: Tensor, y: Tensor, ws: Tensor, bs: Tensor, dtype: torch.dtype) -> Tensor:
    """Mean BCE of ``sigmoid(w x + b)`` at every ``(ws[i], bs[j])``: a (num, num) tensor.

    ``x``, ``y`` : (n, 1); ``ws``, ``bs`` : (num,). Sample i's loss is
    ``softplus(w a_i + b c_i)`` with ``c_i = 1 - 2 y_i`` and ``a_i = c_i x_i``, computed in
    ``dtype`` (float64 where float32 sums would overflow).
    """
    num, n = ws.shape[0], x.shape[0]
    signs = 1 - 2 * y.reshape(-1).to(dtype)  # c: +1 for a benign sample, -1 for a malignant one
    a = signs * x.reshape(-1).to(dtype)
    b_terms = bs.to(dtype)[None, :, None] * signs  # (1, num, n): b c_i, the same for every w
    J = torch.empty(num, num, dtype=dtype, device=x.device)
    # A few rows of w at a time through one reused (rows, num, n) buffer of about 4 MB.
    rows = max(1, 2**20 // (num * n))
    buffer = torch.empty(rows, num, n, dtype=dtype, device=x.device)
    for start in range(0, num, rows):
        w_block = ws[start : start + rows].to(dtype)
        z = buffer[: w_block.shape[0]]
        torch.add(b_terms, w_block[:, None, None] * a, out=z)  # the margins w a_i + b c_i
        # softplus returns z itself above z = 20, off by log1p(exp(-20)) < 2.1e-9, far below
        # what a contour plot shows; in place, as F.softplus has no out= argument.
        torch.ops.aten.softplus.out(z, 1, 20, out=z)
        torch.mean(z, dim=-1, out=J[start : start + w_block.shape[0]])
    return J


def _landscape_bytes(num: int, n: int, itemsize: int) -> int:
    """The grid (num, num), the signed bias terms (num, n), the work buffer and one temporary of its size, 4 MiB."""
    rows = max(1, 2**20 // (num * n))
    return (num * num + num * n + 2 * rows * num * n) * itemsize + 2**22


def _largest_num(n: int, itemsize: int) -> int:
    """The largest ``num`` whose grid fits the memory budget, by doubling then bisecting."""

    def fits(num: int) -> bool:
        return _landscape_bytes(num, n, itemsize) <= _validation.MEMORY_BUDGET_BYTES

    low, high = 2, 4
    while fits(high):
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low
