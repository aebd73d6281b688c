"""Standardization: statistics fitted on the training split, applied to every split."""

from __future__ import annotations

import torch
from torch import Tensor

from lrcore import _numerics
from lrcore._validation import check_matrix, check_same_dtype, checked_by


def _check_fit_standardizer_args(x: object) -> None:
    check_matrix("x", x)


def _check_standardize_args(x: object, mean: object, std: object) -> None:
    x = check_matrix("x", x)
    d = x.shape[1]
    for name, stat in (("mean", mean), ("std", std)):
        stat = check_matrix(name, stat)
        if tuple(stat.shape) != (1, d):
            raise ValueError(f"{name} must have shape (1, {d}) to match x, got shape {tuple(stat.shape)}")
        check_same_dtype("x", x, name, stat)
    if not bool((std > 0).all()):
        raise ValueError("std must be strictly positive, got a zero or negative entry")


@checked_by(_check_fit_standardizer_args)
def fit_standardizer(x: Tensor) -> tuple[Tensor, Tensor]:
    """Per-feature mean and population standard deviation (dividing by N, not N - 1) of ``x``.

    Both are computed in float64, as scikit-learn's ``StandardScaler`` does, then rounded to
    ``x``'s dtype. A feature that does not vary (a variance within its own float64 rounding
    error, ``StandardScaler``'s test), or whose std rounds to 0, gets std 1: standardizing it
    gives zeros, not a division by zero.

    Parameters
    ----------
    x : Tensor of shape (n, D)
        Training features only: statistics from validation or test data would leak them.
        Float32 or float64, finite; gradients do not flow (the result is detached).

    Returns
    -------
    mean : Tensor of shape (1, D)
        Finite for every finite ``x`` (the mean of finite numbers is within their range).
    std : Tensor of shape (1, D)
        Strictly positive and finite.

    Examples
    --------
    >>> mean, std = fit_standardizer(torch.tensor([[1.0, 5.0], [3.0, 5.0]]))
    >>> mean, std
    (tensor([[2., 5.]]), tensor([[1., 1.]]))
    """
    mean, var, scale = _scaled_mean_and_var(x.detach().double())
    eps = torch.finfo(torch.float64).eps
    n = x.shape[0]
    # scikit-learn's _is_constant_feature: a variance within its own rounding error is zero.
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    std = (var.sqrt() * scale).to(x.dtype)
    std = torch.where(constant | (std == 0), torch.ones_like(std), std)
    return (mean * scale).to(x.dtype), std


def _scaled_mean_and_var(wide: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Column means and variances of ``wide / scale``, and ``scale``, each of shape (1, D).

    ``scale`` is 1 unless the float64 sums overflow (data near float64's largest value); then
    each column is scaled to [-1, 1] first. The test for a constant feature holds at any scale.
    """
    scale = torch.ones(1, wide.shape[1], dtype=torch.float64, device=wide.device)
    mean, var = _mean_and_var(wide)
    if not bool(torch.isfinite(mean).all() & torch.isfinite(var).all()):
        scale = wide.abs().amax(dim=0, keepdim=True).clamp_min(torch.finfo(torch.float64).tiny)
        mean, var = _mean_and_var(wide / scale)
    return mean, var, scale


def _mean_and_var(x: Tensor) -> tuple[Tensor, Tensor]:
    """Column means and population variances, each of shape (1, D).

    The variance is the corrected two-pass formula that scikit-learn uses: the rounding error of
    the mean (a large mean, a small spread) is subtracted back out, as ``mean(x - m)**2``.
    """
    mean = x.mean(dim=0, keepdim=True)
    deviations = x - mean
    variance = (deviations**2).mean(dim=0, keepdim=True) - deviations.mean(dim=0, keepdim=True) ** 2
    return mean, variance.clamp_min(0)


@checked_by(_check_standardize_args)
def standardize(x: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """Subtract the mean, then divide by the standard deviation, feature by feature.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    mean, std : Tensor of shape (1, D)
        From :func:`fit_standardizer` on the training split.

    Returns
    -------
    Tensor of shape (n, D)
        ``(x - mean) / std``; a new tensor, ``x`` is unchanged. Gradients flow through it.
        A difference that overflows on the way (``3e38 - (-3e38)`` in float32) is redone
        without overflow; where the true result is beyond the dtype's range it is ``inf``, with
        a :class:`~lrcore.NonFiniteWarning`.
    """
    result = (x - mean) / std
    if not bool(torch.isfinite(result).all()):
        # x - mean overflowed: halve both first (exact), and double after dividing.
        result = (x / 2 - mean / 2) / std * 2
        _numerics.warn_if_not_finite(result, "standardize's result", "it is beyond the dtype's range; use float64")
    return result
