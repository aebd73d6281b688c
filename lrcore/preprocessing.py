"""Standardization: statistics fitted on the training split, applied to every split."""

from __future__ import annotations

import torch
from torch import Tensor

from lrcore._validation import check_matrix, check_same_dtype


def fit_standardizer(x: Tensor) -> tuple[Tensor, Tensor]:
    """Per-feature mean and population standard deviation of ``x``.

    The standard deviation divides by N (not N - 1), as scikit-learn's ``StandardScaler``
    does. A feature that does not vary gets std 1 instead of 0, so standardizing it gives
    zeros rather than a division by zero (``StandardScaler`` does the same).

    Parameters
    ----------
    x : Tensor of shape (n, D)
        Training features only: statistics from validation or test data would leak them.

    Returns
    -------
    mean : Tensor of shape (1, D)
    std : Tensor of shape (1, D)
        Strictly positive.

    Examples
    --------
    >>> mean, std = fit_standardizer(torch.tensor([[1.0, 5.0], [3.0, 5.0]]))
    >>> mean, std
    (tensor([[2., 5.]]), tensor([[1., 1.]]))
    """
    x = check_matrix("x", x)
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, keepdim=True, correction=0)
    # Same rule as scikit-learn's _handle_zeros_in_scale: a spread this small is rounding
    # noise around a constant column, and dividing by it would blow the noise up.
    tiny = 10 * torch.finfo(x.dtype).eps * mean.abs().clamp_min(1.0)
    std = torch.where(std < tiny, torch.ones_like(std), std)
    return mean, std


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
        ``(x - mean) / std``; a new tensor, ``x`` is unchanged.
    """
    x = check_matrix("x", x)
    d = x.shape[1]
    for name, stat in (("mean", mean), ("std", std)):
        stat = check_matrix(name, stat)
        if tuple(stat.shape) != (1, d):
            raise ValueError(f"{name} must have shape (1, {d}) to match x, got shape {tuple(stat.shape)}")
        check_same_dtype("x", x, name, stat)
    if not bool((std > 0).all()):
        raise ValueError("std must be strictly positive, got a zero or negative entry")
    return (x - mean) / std
