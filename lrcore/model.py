"""The logistic-regression model: an affine map followed by the sigmoid."""

from __future__ import annotations

import torch
from torch import Tensor

from lrcore import _numerics
from lrcore._validation import check_finite, check_matrix, check_params, check_tensor, check_threshold, checked_by


def _check_linear_args(x: object, w: object, b: object) -> None:
    check_params(check_matrix("x", x), w, b)


def _check_sigmoid_args(z: object) -> None:
    # Elementwise, so any shape is accepted; only the type and the values are checked.
    check_finite("z", check_tensor("z", z))


def _check_predict_args(x: object, w: object, b: object, threshold: object) -> dict:
    return {"threshold": check_threshold(threshold)}



@checked_by(_check_linear_args)
def linear(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """The affine map ``z = x w + b``.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    w : Tensor of shape (D, 1)
    b : Tensor of shape (1, 1)

    Returns
    -------
    z : Tensor of shape (n, 1)
        One logit per sample. Gradients flow through it to ``x``, ``w`` and ``b``. Where a
        logit's true value is beyond the dtype's range it is ``inf`` and a
        :class:`~lrcore.NonFiniteWarning` is emitted; a product that overflows on the way to a
        representable logit (``1e38 * 10 - 1e38 * 10``) gives the right value.

    Examples
    --------
    >>> linear(torch.ones(2, 3), torch.ones(3, 1), torch.zeros(1, 1))
    tensor([[3.],
            [3.]])
    """
    z = _numerics.affine(x, w, b)
    _numerics.warn_if_not_finite(z, "z = x w + b", "the logits are beyond the dtype's range; standardize x")
    return z


@checked_by(_check_sigmoid_args)
def sigmoid(z: Tensor) -> Tensor:
    """The logistic function ``1 / (1 + exp(-z))``, elementwise.

    ``torch.sigmoid`` never raises or warns, for any finite input. In float32 it rounds to
    exactly 1 from ``z`` of about 16.6 (``ln 2**24``) and to exactly 0 below about -88.7
    (``-ln`` of the largest float32), which is why losses are better computed from ``z``.

    Parameters
    ----------
    z : Tensor of any shape, floating dtype

    Returns
    -------
    Tensor of the same shape and dtype, with values in [0, 1]
        Gradients flow through it.

    Examples
    --------
    >>> sigmoid(torch.tensor([0.0]))
    tensor([0.5000])
    """
    return torch.sigmoid(z)


def logistic_regression(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """Predicted probabilities ``P(y = 1 | x) = sigmoid(x w + b)``.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    w : Tensor of shape (D, 1)
    b : Tensor of shape (1, 1)

    Returns
    -------
    y_pred : Tensor of shape (n, 1)
        Probabilities of the positive class (malignant). Gradients flow through it.
    """
    return torch.sigmoid(linear(x, w, b))


@checked_by(_check_predict_args)
def predict(x: Tensor, w: Tensor, b: Tensor, threshold: float = 0.5) -> Tensor:
    """Predicted labels: 1 (malignant) where ``P(y = 1 | x) >= threshold``, else 0.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    w : Tensor of shape (D, 1)
    b : Tensor of shape (1, 1)
    threshold : float, default 0.5
        A real number in (0, 1) (a ``Fraction`` or a numpy float too). Lowering it finds more
        malignant tumours at the cost of more false alarms.

    Returns
    -------
    Tensor of shape (n, 1)
        0.0 or 1.0, of ``x``'s dtype; no gradient (a step function has none).
    """
    return (logistic_regression(x, w, b) >= threshold).to(x.dtype)
