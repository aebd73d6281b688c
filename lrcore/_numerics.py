"""Sums and products that do not overflow on their way to a representable answer.

A float32 sum of a few numbers near 3e38 overflows to inf although its mean is an ordinary
float32, and ``x @ w`` can overflow in a product whose total is 0. The functions here take the
fast path first and redo the work more carefully only when the fast result is not finite, so
ordinary inputs pay one ``isfinite`` check and get bit-for-bit the fast result.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from lrcore._validation import NonFiniteWarning, external_stacklevel


def _all_finite(t: Tensor) -> bool:
    return bool(torch.isfinite(t).all())


def _scale(t: Tensor) -> Tensor:
    """Largest absolute entry of ``t``, detached, or 1 for an all-zero tensor."""
    largest = t.detach().abs().max()
    return torch.where(largest > 0, largest, torch.ones_like(largest))


def affine(a: Tensor, b: Tensor, c: Tensor | None = None) -> Tensor:
    """``a @ b + c``, recomputed without intermediate overflow where the plain result is not finite.

    float32 is recomputed in float64 (whose range holds any sum of float32 products); float64 with
    both factors scaled to [-1, 1] first. Entries whose true value is beyond the dtype's range
    stay infinite.
    """
    result = a @ b if c is None else a @ b + c
    if _all_finite(result) or not (_all_finite(a) and _all_finite(b)):
        return result
    if a.dtype == torch.float32:
        wide = a.double() @ b.double()
        return (wide if c is None else wide + c.double()).to(a.dtype)
    scale_a, scale_b = _scale(a), _scale(b)
    small, large = sorted((scale_a, scale_b), key=float)
    scaled = (a / scale_a) @ (b / scale_b)
    if c is not None:
        scaled = scaled + c / small / large
    return scaled * small * large


def mean_of_products(x: Tensor, r: Tensor) -> Tensor:
    """``x^T r / n`` for ``x`` (n, D) and ``r`` (n, 1), without overflow in the sum: shape (D, 1)."""
    result = x.T @ r / x.shape[0]
    if _all_finite(result) or not (_all_finite(x) and _all_finite(r)):
        return result
    return mean(x * r, dim=0, keepdim=True).T


def mean(t: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """``t.mean(...)``, recomputed on ``t`` scaled to [-1, 1] where the plain sum overflowed."""
    result = t.mean() if dim is None else t.mean(dim=dim, keepdim=keepdim)
    if _all_finite(result) or not _all_finite(t):
        return result
    scale = _scale(t)
    return ((t / scale).mean() if dim is None else (t / scale).mean(dim=dim, keepdim=keepdim)) * scale


def linspace(low: float, high: float, num: int, dtype: torch.dtype, device: torch.device | str = "cpu") -> Tensor:
    """``torch.linspace(low, high, num)``, also where ``high - low`` exceeds the dtype's range.

    ``torch.linspace`` steps by ``(high - low) / (num - 1)``, which is inf for ``(-2e38, 2e38)``
    in float32 (or ``(-1e308, 1e308)`` in float64) and fills the grid with inf and NaN. There the
    grid of the halves is doubled: exact, as doubling is. Ordinary ranges get torch's grid, bit for bit.
    """
    largest = torch.finfo(dtype).max
    if high / 2 - low / 2 <= largest / 2:
        return torch.linspace(low, high, num, dtype=dtype, device=device)
    return torch.linspace(low / 2, high / 2, num, dtype=dtype, device=device) * 2


def warn_if_not_finite(result: Tensor, what: str, hint: str) -> None:
    """Warn (:class:`NonFiniteWarning`) if ``result`` holds NaN or inf, naming lrcore's caller's line."""
    if not _all_finite(result):
        bad = int((~torch.isfinite(result)).sum())
        warnings.warn(
            f"{what} has {bad} non-finite value{'s' if bad != 1 else ''} (NaN or inf): {hint}",
            NonFiniteWarning,
            stacklevel=external_stacklevel(),
        )
