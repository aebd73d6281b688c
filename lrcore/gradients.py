"""Gradients of the mean binary cross-entropy: closed form, and the chain rule factor by factor.

With ``s_i = sigmoid(z_i)`` and ``z_i = x_i w + b``, the chain rule gives

    dJ/dw = (1/N) sum_i dJ_i/ds_i * ds_i/dz_i * dz_i/dw

and the first two factors multiply to ``s_i - y_i``, so ``dJ/dw = (1/N) X^T (s - y)``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from lrcore import _numerics
from lrcore._validation import (
    check_labels,
    check_matrix,
    check_probabilities,
    check_same_dtype,
    check_same_rows,
    checked_by,
)


def _check_gradient_inputs(x: Tensor, y_pred: Tensor, y_true: Tensor) -> None:
    check_matrix("x", x)
    check_probabilities("y_pred", y_pred)
    check_labels("y_true", y_true)
    check_same_rows("x", x, "y_pred", y_pred)
    check_same_rows("y_pred", y_pred, "y_true", y_true)
    check_same_dtype("x", x, "y_pred", y_pred)
    check_same_dtype("y_pred", y_pred, "y_true", y_true)


@checked_by(_check_gradient_inputs)
def compute_gradients(x: Tensor, y_pred: Tensor, y_true: Tensor) -> tuple[Tensor, Tensor]:
    """Closed-form gradient of the mean BCE with respect to ``w`` and ``b``.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    y_pred : Tensor of shape (n, 1)
        ``sigmoid(x w + b)``.
    y_true : Tensor of shape (n, 1)
        Labels, 0 or 1.

    Returns
    -------
    dw : Tensor of shape (D, 1)
        ``(1/n) x^T (y_pred - y_true)``; finite for every valid input (a sum that would
        overflow is redone on scaled values).
    db : Tensor of shape (1, 1)
        ``(1/n) sum (y_pred - y_true)``

    Examples
    --------
    >>> dw, db = compute_gradients(torch.ones(2, 3), torch.full((2, 1), 0.5), torch.ones(2, 1))
    >>> dw.shape, db
    (torch.Size([3, 1]), tensor([[-0.5000]]))
    """
    residual = y_pred - y_true
    return _numerics.mean_of_products(x, residual), residual.mean().reshape(1, 1)


def _check_dJi_dS_args(y_pred: object, y_true: object) -> None:
    check_probabilities("y_pred", y_pred)
    check_labels("y_true", y_true)
    check_same_rows("y_pred", y_pred, "y_true", y_true)
    check_same_dtype("y_pred", y_pred, "y_true", y_true)


@checked_by(_check_dJi_dS_args)
def dJi_dS(y_pred: Tensor, y_true: Tensor) -> Tensor:
    """Derivative of each sample's loss with respect to its prediction.

    ``dJ_i/ds_i = -y_i / s_i + (1 - y_i) / (1 - s_i)``, that is ``-1 / s_i`` for a
    malignant sample and ``1 / (1 - s_i)`` for a benign one. It is infinite where the
    prediction is sure and wrong (``s = 0`` for ``y = 1``), where the product with
    ``ds/dz`` is not: one reason to simplify before computing.

    Parameters
    ----------
    y_pred : Tensor of shape (n, 1)
    y_true : Tensor of shape (n, 1)

    Returns
    -------
    Tensor of shape (n, 1)
        ``-inf`` or ``inf`` where the true value is infinite (a sure and wrong prediction) or
        beyond the dtype's range (``s`` below about 3e-39 in float32): no warning, these
        infinities are the point of the function.
    """
    # Only the term whose label weight is 1 is kept: written as the sum of both, a sure and
    # right prediction (s = 1 for y = 1) would compute 0 / 0 = nan in the other term.
    return torch.where(y_true == 1, -1 / y_pred, 1 / (1 - y_pred))


def _check_dS_dZ_args(y_pred: object) -> None:
    check_probabilities("y_pred", y_pred)


@checked_by(_check_dS_dZ_args)
def dS_dZ(y_pred: Tensor) -> Tensor:
    """Derivative of the sigmoid, written with its own output: ``s (1 - s)``.

    Parameters
    ----------
    y_pred : Tensor of shape (n, 1)
        ``s = sigmoid(z)``.

    Returns
    -------
    Tensor of shape (n, 1)
    """
    return y_pred * (1 - y_pred)


def _check_x_matrix(x: object) -> None:
    check_matrix("x", x)


@checked_by(_check_x_matrix)
def dZ_dW(x: Tensor) -> Tensor:
    """Derivative of ``z_i = x_i w + b`` with respect to ``w``: row ``i`` is ``x_i``.

    Parameters
    ----------
    x : Tensor of shape (n, D)

    Returns
    -------
    Tensor of shape (n, D)
        A copy of ``x``: ``dz_i / dw_j = x_ij``.
    """
    return x.clone()


@checked_by(_check_x_matrix)
def dZ_dB(x: Tensor) -> Tensor:
    """Derivative of ``z_i = x_i w + b`` with respect to ``b``: one for every sample.

    Parameters
    ----------
    x : Tensor of shape (n, D)

    Returns
    -------
    Tensor of shape (n, 1)
        Ones, of ``x``'s dtype and device.
    """
    return torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device)


@checked_by(_check_gradient_inputs)
def compute_gradients_chain_rule(x: Tensor, y_pred: Tensor, y_true: Tensor) -> tuple[Tensor, Tensor]:
    """The gradient of :func:`compute_gradients`, assembled factor by factor.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    y_pred : Tensor of shape (n, 1)
    y_true : Tensor of shape (n, 1)

    Returns
    -------
    dw : Tensor of shape (D, 1)
    db : Tensor of shape (1, 1)
        The same shapes as the closed form (the lab's version returned (D,) here), and the
        same values to within rounding, for every valid input.

    Notes
    -----
    Where a prediction is sure and wrong (``s = 1`` for ``y = 0``, ``s = 0`` for ``y = 1``),
    ``dJ/ds`` is infinite and ``ds/dz`` is 0, and the floating-point product ``inf * 0`` is
    NaN, although the product's limit is the finite ``s - y``. The same happens where ``dJ/ds``
    overflows (``s`` below about 3e-39 in float32). There the function uses that limit.
    """
    first = dJi_dS(y_pred, y_true)  # (n, 1): infinite where the prediction is sure and wrong
    # inf * 0 is NaN; the product's limit there is s - y, the collapsed factor.
    dJ_dZ = torch.where(torch.isfinite(first), first * dS_dZ(y_pred), y_pred - y_true)
    dw = _numerics.mean(dJ_dZ * dZ_dW(x), dim=0, keepdim=True).T  # (n, D) -> (1, D) -> (D, 1)
    db = (dJ_dZ * dZ_dB(x)).mean(dim=0, keepdim=True)  # (n, 1) -> (1, 1)
    return dw, db
