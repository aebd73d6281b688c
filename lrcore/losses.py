"""Binary cross-entropy: the textbook formula, and the stable form computed from logits."""

from __future__ import annotations

import torch
from torch import Tensor

from lrcore import _numerics
from lrcore._validation import (
    check_column,
    check_labels,
    check_probabilities,
    check_same_dtype,
    check_same_rows,
    checked_by,
)


def _check_binary_cross_entropy_args(y_pred: object, y_true: object) -> None:
    y_pred = check_probabilities("y_pred", y_pred)
    y_true = check_labels("y_true", y_true)
    check_same_rows("y_pred", y_pred, "y_true", y_true)
    check_same_dtype("y_pred", y_pred, "y_true", y_true)


@checked_by(_check_binary_cross_entropy_args)
def binary_cross_entropy(y_pred: Tensor, y_true: Tensor) -> Tensor:
    """Mean binary cross-entropy of predicted probabilities, as the textbook writes it.

    ``J = -(1/N) sum_i [ y_i log(y_pred_i) + (1 - y_i) log(1 - y_pred_i) ]``

    A term whose label weight is zero counts as zero (``0 log 0 = 0``), so a sure and
    right prediction costs nothing. A sure and wrong one (``y_pred = 0`` for a positive)
    costs ``inf``: that is the formula's true value. In float32 the sigmoid reaches exactly
    1 from ``z`` of about 16.6 and exactly 0 below about -88.7; use
    :func:`binary_cross_entropy_with_logits` when you have the logits.

    Parameters
    ----------
    y_pred : Tensor of shape (n, 1)
        Probabilities in [0, 1].
    y_true : Tensor of shape (n, 1)
        Labels, 0 or 1, of the same dtype.

    Returns
    -------
    Tensor of shape ()
        The mean loss; ``inf`` where a prediction is sure and wrong. Gradients flow through it.

    Examples
    --------
    >>> binary_cross_entropy(torch.tensor([[0.5]]), torch.tensor([[1.0]]))
    tensor(0.6931)
    """
    # xlogy(0, 0) is 0, where a plain 0 * log(0) would be 0 * -inf = nan.
    per_sample = torch.xlogy(y_true, y_pred) + torch.xlogy(1 - y_true, 1 - y_pred)
    # 0.0 - ... rather than a plain minus: a perfect prediction gives 0.0, not -0.0.
    return 0.0 - per_sample.mean()


def _check_bce_with_logits_args(z: object, y_true: object) -> None:
    z = check_column("z", z)
    y_true = check_labels("y_true", y_true)
    check_same_rows("z", z, "y_true", y_true)
    check_same_dtype("z", z, "y_true", y_true)


@checked_by(_check_bce_with_logits_args)
def binary_cross_entropy_with_logits(z: Tensor, y_true: Tensor) -> Tensor:
    """Mean binary cross-entropy computed from the logits ``z``, finite for every finite z.

    With ``s = sigmoid(z)``, ``-log(s) = softplus(-z)`` and ``-log(1 - s) = softplus(z)``,
    so the per-sample loss is ``softplus(z) - y z``. ``softplus`` is evaluated without
    overflow (``log1p(exp(-|z|)) + max(z, 0)``), so ``|z| = 1e4`` in float32 is fine.

    Parameters
    ----------
    z : Tensor of shape (n, 1)
        Logits ``x w + b``.
    y_true : Tensor of shape (n, 1)
        Labels, 0 or 1, of the same dtype.

    Returns
    -------
    Tensor of shape ()
        The mean loss: in exact arithmetic equal to :func:`binary_cross_entropy` of
        ``sigmoid(z)``; in floating point more accurate, most where ``sigmoid(z)`` is near 0
        or 1, and finite for every finite ``z`` (a sum that would overflow is redone on
        scaled values). Gradients flow through it.

    Examples
    --------
    >>> binary_cross_entropy_with_logits(torch.tensor([[1e4], [-1e4]]), torch.tensor([[1.0], [0.0]]))
    tensor(0.)
    """
    return _numerics.mean(per_sample_bce_with_logits(z, y_true))


def per_sample_bce_with_logits(z: Tensor, y_true: Tensor) -> Tensor:
    """Per-sample loss ``softplus(z) - y z``, unchecked, for the vectorised callers.

    Broadcasts, so logits of shape (n, k) against labels (n, 1) give k losses per sample
    (:func:`lrcore.fit` evaluates a whole trajectory at once with it).
    """
    # softplus(z) = max(z, 0) + log1p(exp(-|z|)): exp never sees a positive argument, so it
    # cannot overflow, and for y = 1, z >> 0 the large terms cancel exactly before the tiny
    # log1p term is added, keeping its full relative precision. max(z, 0) is written as
    # z/2 + |z|/2: the same number for every z (each half is exact, so nothing overflows), and
    # at the kink z = 0 autograd takes the slope 1/2 that softplus has there; clamp_min(z, 0)
    # would give it 1, and so a gradient of 1 - y instead of 1/2 - y at w = 0, b = 0.
    magnitude = z.abs()
    return z / 2 + magnitude / 2 - y_true * z + torch.log1p(torch.exp(-magnitude))


def per_sample_bce_signed(z: Tensor, y_true: Tensor) -> Tensor:
    """``softplus((1 - 2y) z)``: the same per-sample loss, also right at ``z = +-inf``, unchecked.

    ``softplus(z) - y z`` equals ``softplus(-z)`` for ``y = 1``: written that way no large terms
    cancel, so an overflowed logit gives the loss ``inf`` (or 0) instead of ``inf - inf = nan``.
    For finite ``z`` it is bit for bit :func:`per_sample_bce_with_logits` (``max(z, 0) - z`` is
    exactly ``max(-z, 0)``). Broadcasts like it.
    """
    t = z * (1 - 2 * y_true)
    return t.clamp_min(0) + torch.log1p(torch.exp(-t.abs()))
