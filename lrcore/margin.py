"""Margins, the maximum-margin separator and the angle between two directions.

On linearly separable data the unpenalised logistic loss has no minimum, and gradient
descent's parameters ``theta = [w; b]`` grow without bound; their *direction* converges to
that of the hard-margin support vector machine (chapter 17). With labels ``y`` in {0, 1}
written as signs ``+-1``, the *functional margin* of sample ``i`` is

    ``m_i = (2 y_i - 1) (x_i w + b)``,

positive when the sample is on its side of the boundary. The hard-margin SVM is the
smallest ``theta`` with every ``m_i >= 1``; it comes in two kinds, by what "smallest" measures:

* ``penalize_bias=True``: the smallest ``||[w; b]||``, the bias counted like a weight on a
  constant feature 1. Gradient descent on ``[w; b]`` converges to this direction.
* ``penalize_bias=False``: the smallest ``||w||``, the bias free, as in textbooks and
  ``sklearn.svm.SVC``: the widest street ``2 / ||w||`` between the classes.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import SVC
from torch import Tensor

from lrcore._validation import (
    _shape,
    check_bool,
    check_finite,
    check_labels,
    check_matrix,
    check_params,
    check_same_dtype,
    check_same_rows,
    check_tensor,
)
from lrcore.model import linear

#: SVC's C: a soft-margin SVM is the hard-margin one as long as no dual coefficient reaches C.
_C = 1e8
#: SVC's stopping tolerance. libsvm keeps its kernel matrix in single precision, so the
#: margins of its solution are 1 only to about 1e-4 whatever the tolerance; below 1e-6 it
#: only takes more iterations (80,000 on chapter 17's data at 1e-6).
_TOL = 1e-6
#: SVC's iteration cap, a safeguard: the linear program has already refused data that are not separable.
_MAX_ITER = 200_000
#: How far from 1 a margin may be in the check that the SVM found is a hard-margin one.
_MARGIN_TOL = 1e-3


def margins(x: Tensor, y: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """Functional margins ``(2 y - 1) (x w + b)``: positive where a sample is classified correctly.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    y : Tensor of shape (n, 1)
        Labels, 0 or 1.
    w : Tensor of shape (D, 1)
    b : Tensor of shape (1, 1)

    Returns
    -------
    Tensor of shape (n, 1)
        Gradients flow through it to ``x``, ``w`` and ``b``.

    Examples
    --------
    >>> margins(torch.tensor([[2.0], [-1.0]]), torch.tensor([[1.0], [1.0]]), torch.ones(1, 1), torch.zeros(1, 1))
    tensor([[ 2.],
            [-1.]])
    """
    x = check_matrix("x", x)
    y = check_labels("y", y)
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    w, b = check_params(x, w, b)
    return (2 * y - 1) * linear(x, w, b)


def hard_margin_svm(x: Tensor, y: Tensor, penalize_bias: bool = True) -> tuple[Tensor, Tensor]:
    """The hard-margin linear SVM: the smallest ``[w; b]`` whose margins are all at least 1.

    A linear program first decides whether the classes are separable at all. Then the SVM is
    computed with scikit-learn's ``SVC(kernel="linear")`` and a very large ``C``, and checked:
    every margin ``(2 y - 1) (x w + b)`` is at least ``1 - 1e-3`` and the support vectors'
    margins are at most ``1 + 1e-3`` (libsvm's single-precision kernel limits the accuracy to
    about 1e-4).

    Parameters
    ----------
    x : Tensor of shape (n, D)
    y : Tensor of shape (n, 1)
        Labels, 0 or 1, both present.
    penalize_bias : bool, default True
        True: minimise ``||w||^2 + b^2``, the bias penalised like a weight on a constant
        feature 1 (the direction of gradient descent on separable data). False: minimise
        ``||w||^2`` with the bias free (scikit-learn's ``SVC``, the widest street).

    Returns
    -------
    w : Tensor of shape (D, 1)
    b : Tensor of shape (1, 1)
        In ``x``'s dtype, on no graph. The smallest margin is 1, so the geometric margin is
        ``1 / ||[w; b]||`` (``penalize_bias=True``) or ``1 / ||w||`` (False).

    Raises
    ------
    ValueError
        For bad arguments, for labels of one class only, and when no hyperplane separates
        the two classes (found by a linear program, ``scipy.optimize.linprog``).
    """
    x = check_matrix("x", x)
    y = check_labels("y", y)
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    penalize_bias = check_bool("penalize_bias", penalize_bias)
    labels = y.detach().reshape(-1).cpu().numpy().astype(np.int64)
    if labels.min() == labels.max():
        raise ValueError(f"y must contain both classes 0 and 1, got only {labels[0]}")
    features = np.hstack([x.detach().cpu().double().numpy(), np.ones((x.shape[0], 1))])  # [x, 1]
    signs = 2 * labels - 1
    # A linear program decides separability exactly and fast: is there a theta with every
    # margin signs * (features @ theta) >= 1? (On data that are not, libsvm would run to its cap.)
    separable = linprog(
        np.zeros(features.shape[1]), A_ub=-signs[:, None] * features, b_ub=-np.ones(len(labels)), bounds=(None, None)
    )
    if separable.status == 2:  # infeasible
        raise ValueError(
            "x and y must be linearly separable, got classes that no hyperplane separates "
            "(no w, b give every margin (2 y - 1) (x w + b) >= 1)"
        )

    solver = SVC(kernel="linear", C=_C, tol=_TOL, max_iter=_MAX_ITER)
    with warnings.catch_warnings():
        # An early stop is judged below, by the margins, with a clearer message.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if penalize_bias:
            # SVC always adds an intercept of its own, unpenalised. On the samples and their
            # mirror images (-x_i with the other label) that intercept is 0 by symmetry, so
            # its weights on [x, 1] are the SVM through the origin: the bias is the last weight.
            svm = solver.fit(np.vstack([features, -features]), np.concatenate([labels, 1 - labels]))
            theta = svm.coef_[0]
            support = svm.support_[svm.support_ < len(labels)]
        else:
            svm = solver.fit(features[:, :-1], labels)
            theta = np.append(svm.coef_[0], svm.intercept_)
            support = svm.support_
    sample_margins = signs * (features @ theta)
    if sample_margins.min() < 1 - _MARGIN_TOL:
        raise ValueError(
            f"x and y must be linearly separable, got classes that SVC(kernel='linear', C={_C:g}) could not "
            f"separate with every margin >= 1 (smallest margin {sample_margins.min():.3g})"
        )
    if len(support) and sample_margins[support].max() > 1 + _MARGIN_TOL:  # pragma: no cover - a solver failure
        raise RuntimeError(f"SVC's support vectors have margins up to {sample_margins[support].max():.6g}, not 1")
    theta = torch.tensor(theta, dtype=x.dtype, device=x.device)  # a copy: coef_ is read-only
    return theta[:-1].reshape(-1, 1), theta[-1:].reshape(1, 1)


def angle_between(u: Tensor, v: Tensor) -> Tensor:
    """The angle between ``u`` and ``v``, in radians, in [0, pi], along their last dimension.

    Computed as ``2 atan2(||u' - v'||, ||u' + v'||)`` with ``u' = u / ||u||`` and
    ``v' = v / ||v||``, which is accurate at every angle; ``arccos`` of the cosine cannot
    resolve angles below about 1e-8 in float64 (or 2e-4 in float32), where the cosine rounds to 1.

    Parameters
    ----------
    u : Tensor of shape (..., D)
    v : Tensor of shape (..., D)
        Broadcast against ``u`` over the leading dimensions: a path of directions
        ``(num_steps, D)`` against one direction ``(D,)`` gives ``(num_steps,)`` angles.
        No vector may be zero.

    Returns
    -------
    Tensor of the broadcast leading shape, in the inputs' dtype
        Gradients flow through it.

    Examples
    --------
    >>> angle_between(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0]))
    tensor(0.7854)
    """
    u = check_tensor("u", u)
    v = check_tensor("v", v)
    check_finite("u", u)
    check_finite("v", v)
    check_same_dtype("u", u, "v", v)
    if u.shape[-1] != v.shape[-1]:
        raise ValueError(f"u and v must have the same last dimension, got shapes {_shape(u)} and {_shape(v)}")
    try:
        torch.broadcast_shapes(u.shape[:-1], v.shape[:-1])
    except RuntimeError:
        raise ValueError(
            f"u and v must have broadcastable leading dimensions, got shapes {_shape(u)} and {_shape(v)}"
        ) from None
    u_unit, v_unit = _unit("u", u), _unit("v", v)
    return 2 * torch.atan2((u_unit - v_unit).norm(dim=-1), (u_unit + v_unit).norm(dim=-1))


def _unit(name: str, t: Tensor) -> Tensor:
    """``t / ||t||`` along the last dimension, scaled first so that the squares cannot overflow."""
    scaled = t / t.detach().abs().amax(dim=-1, keepdim=True)
    if not bool(torch.isfinite(scaled).all()):
        raise ValueError(f"{name} must not contain a zero vector: a zero vector has no direction")
    return scaled / scaled.norm(dim=-1, keepdim=True)
