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
from scipy.optimize import linprog, nnls
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
    checked_by,
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


def _check_margins_args(x: object, y: object, w: object, b: object) -> None:
    x = check_matrix("x", x)
    y = check_labels("y", y)
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    check_params(x, w, b)


@checked_by(_check_margins_args)
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
    return (2 * y - 1) * linear(x, w, b)


def _check_hard_margin_svm_args(x: object, y: object, penalize_bias: object) -> dict:
    x = check_matrix("x", x)
    y = check_labels("y", y)
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    labels = y.detach().reshape(-1).cpu().numpy()
    if labels.min() == labels.max():
        raise ValueError(f"y must contain both classes 0 and 1, got only {labels[0]:g}")
    return {"penalize_bias": check_bool("penalize_bias", penalize_bias)}


@checked_by(_check_hard_margin_svm_args)
def hard_margin_svm(x: Tensor, y: Tensor, penalize_bias: bool = True) -> tuple[Tensor, Tensor]:
    """The hard-margin linear SVM: the smallest ``[w; b]`` whose margins are all at least 1.

    A linear program first decides whether the classes are separable at all, on features
    moved and rescaled column by column to [-1, 1] (which changes no one's side of any
    hyperplane, and keeps the program's coefficients near 1 at any offset or scale). Then the
    SVM is computed with scikit-learn's ``SVC(kernel="linear")`` and a very large ``C``, and
    checked: every margin ``(2 y - 1) (x w + b)`` is at least ``1 - 1e-3`` and the support
    vectors' margins are at most ``1 + 1e-3`` (libsvm's single-precision kernel limits the
    accuracy to about 1e-4). Where ``SVC`` misses that (data far from the origin or at scales
    far from 1 need dual weights above its ``C``, and margins finer than its single precision),
    the problem is solved exactly instead: Lawson and Hanson's least-distance program through
    ``scipy.optimize.nnls``, then the equations of its active constraints, in float64.

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
        For bad arguments, for labels of one class only, when no hyperplane separates the two
        classes (found by a linear program, ``scipy.optimize.linprog``), and when the SVM's
        parameters are beyond ``x``'s dtype.
    """
    labels = y.detach().reshape(-1).cpu().numpy().astype(np.int64)
    features = np.hstack([x.detach().cpu().double().numpy(), np.ones((x.shape[0], 1))])  # [x, 1]
    if not _separable(features[:, :-1], 2 * labels - 1):
        raise _not_separable_error()
    theta = _hard_margin_theta(features, labels, penalize_bias)
    rounded = theta.astype(np.float32 if x.dtype == torch.float32 else np.float64)
    with np.errstate(all="ignore"):
        kept = (2 * labels - 1) * (features @ rounded.astype(np.float64))
    tol = _MARGIN_TOL * (1 + np.abs(features) @ np.abs(theta) * 1e-9)
    if not (np.isfinite(rounded).all() and (kept >= 1 - tol).all()):
        raise _too_large_error(x.dtype, kept.min())
    theta = torch.tensor(theta, dtype=x.dtype, device=x.device)  # a copy: coef_ is read-only
    return theta[:-1].reshape(-1, 1), theta[-1:].reshape(1, 1)


def _not_separable_error() -> ValueError:
    return ValueError(
        "x and y must be linearly separable, got classes that no hyperplane separates "
        "(no w, b give every margin (2 y - 1) (x w + b) >= 1)"
    )


def _too_large_error(dtype: torch.dtype, smallest: float) -> ValueError:
    return ValueError(
        f"x and y must be separable by parameters that {dtype} can hold, got classes so close that the SVM's "
        f"w and b, rounded to {dtype}, leave a smallest margin of {smallest:.3g}, not 1: rescale x or use float64"
    )


def _solver_error() -> ValueError:
    return ValueError(
        "x must hold features whose hard-margin SVM float64 can solve, got features at scales too far apart "
        "(the margins of the solution found miss 1 by more than 1e-6): rescale the columns of x"
    )


def _separable(x: np.ndarray, signs: np.ndarray) -> bool:
    """Is there ``w, b`` with every ``signs * (x w + b) >= 1``? A linear program on ``x`` moved to [-1, 1].

    Moving and rescaling each column (``(x - centre) / half_range``) maps separating
    hyperplanes onto separating hyperplanes, so the answer is the same; the program's
    coefficients are then all in [-1, 1], where HiGHS's tolerances are meant to work.
    """
    low, high = x.min(axis=0), x.max(axis=0)
    half_range = high / 2 - low / 2  # halves first: high - low may overflow
    centre = low / 2 + high / 2
    scaled = np.where(half_range > 0, (x - centre) / np.where(half_range > 0, half_range, 1), 0.0)
    features = np.hstack([scaled, np.ones((x.shape[0], 1))])
    result = linprog(
        np.zeros(features.shape[1]), A_ub=-signs[:, None] * features, b_ub=-np.ones(len(signs)), bounds=(None, None)
    )
    if result.status not in (0, 2):  # pragma: no cover - iteration limit or numerical trouble at coefficients <= 1
        raise RuntimeError(f"scipy.optimize.linprog could not decide separability: {result.message}")
    return result.status == 0


def _hard_margin_theta(features: np.ndarray, labels: np.ndarray, penalize_bias: bool) -> np.ndarray:
    """``theta = [w; b]`` of the hard-margin SVM on separable ``features = [x, 1]``: SVC's, or the exact one."""
    signs = 2 * labels - 1
    try:
        with np.errstate(all="ignore"):
            theta, support = _fit_hard_margin_svm(features, labels, penalize_bias)
        if _is_hard_margin(signs * (features @ theta), support, _MARGIN_TOL):
            return theta
    except (ValueError, FloatingPointError):  # pragma: no cover - libsvm refusing extreme values
        pass
    return _exact_hard_margin(features, signs, penalize_bias)


def _is_hard_margin(sample_margins: np.ndarray, support: np.ndarray, tol: float | np.ndarray) -> bool:
    """Every margin >= 1 - tol and the support vectors' margins <= 1 + tol (all finite)."""
    tol = np.broadcast_to(tol, sample_margins.shape)
    if not np.isfinite(sample_margins).all() or (sample_margins < 1 - tol).any():
        return False
    return not len(support) or bool((sample_margins[support] <= 1 + tol[support]).all())


def _exact_hard_margin(features: np.ndarray, signs: np.ndarray, penalize_bias: bool) -> np.ndarray:
    """The hard-margin SVM in float64, to rounding: a least-distance program, then its active constraints.

    With the bias free, ``x`` is first centred and scaled by one number (which moves the SVM
    and scales its ``w``, nothing else), and the bias is a weight on a constant feature large
    enough that its penalty only picks the active constraints; their equations are then solved
    with the bias free.
    """
    x = features[:, :-1]
    if penalize_bias:
        centre, scale, constant = np.zeros(x.shape[1]), 1.0, 1.0
    else:
        centre = x.min(axis=0) / 2 + x.max(axis=0) / 2
        scale = float(np.abs(x - centre).max()) or 1.0
        constant = 1e3
    moved = np.hstack([(x - centre) / scale, np.full((x.shape[0], 1), constant)])
    rows = signs[:, None] * moved
    active = _least_distance_active_set(rows)
    for _ in range(10 * len(signs) + 10):  # a primal-dual active set, from the LDP's guess
        theta, multipliers = _solve_active(rows, active, penalize_bias)
        sample_margins = rows @ theta
        if multipliers.size and multipliers.min() < -1e-12 * np.abs(multipliers).max():
            active[np.flatnonzero(active)[multipliers.argmin()]] = False  # a constraint that pulls the wrong way
        elif sample_margins.min() < 1 - 1e-12:
            active[sample_margins.argmin()] = True  # the most violated constraint
        else:
            break
    w = theta[:-1] / scale
    bias = theta[-1] * (constant if penalize_bias else 1.0) - centre @ w
    theta = np.append(w, bias)
    with np.errstate(all="ignore"):
        # 1e-6, plus float64's rounding in the margins' sum of terms that may cancel
        tol = 1e-6 + 1e-12 * (np.abs(features) @ np.abs(theta))
        if not _is_hard_margin(signs * (features @ theta), np.flatnonzero(active), tol):
            raise _solver_error()
    return theta


def _least_distance_active_set(rows: np.ndarray) -> np.ndarray:
    """Which constraints ``rows[i] @ theta >= 1`` the smallest ``theta`` meets with equality (Lawson and Hanson's LDP).

    The nonnegative least-squares problem ``min ||E u - e||``, ``u >= 0``, with ``E = [rows^T; 1^T]``,
    has ``u_i > 0`` exactly at the active constraints (rows normalised first; the set is the same).
    """
    norms = np.abs(rows).max(axis=1)
    scaled = rows / norms[:, None]
    matrix = np.vstack([scaled.T, 1 / norms[None, :]])
    target = np.zeros(matrix.shape[0])
    target[-1] = 1.0
    u, _ = nnls(matrix, target, maxiter=50 * matrix.shape[1])
    return u > 0


def _solve_active(rows: np.ndarray, active: np.ndarray, penalize_bias: bool) -> tuple[np.ndarray, np.ndarray]:
    """The smallest ``theta`` (bias penalised) or ``w`` (bias, the last entry, free) with ``rows[active] @ theta = 1``.

    Returns it and the constraints' multipliers (the dual weights), which are >= 0 at the optimum.
    """
    g = rows[active]
    if penalize_bias:
        theta = np.linalg.lstsq(g, np.ones(len(g)), rcond=None)[0]  # the minimum-norm solution
        if not np.allclose(g @ theta, 1, rtol=0, atol=1e-9):
            # Columns at scales far apart (1e-300 beside 1) look dependent to lstsq: equilibrate them.
            column_scale = np.abs(g).max(axis=0)
            column_scale[column_scale == 0] = 1.0
            theta = np.linalg.lstsq(g / column_scale, np.ones(len(g)), rcond=None)[0] / column_scale
        return theta, np.linalg.lstsq(g.T, theta, rcond=None)[0]
    # KKT: w = g_x^T mu, g_x g_x^T mu + s b = 1, s^T mu = 0, with s the signs (the last column's sign).
    g_x, s = g[:, :-1], np.sign(g[:, -1])
    system = np.block([[g_x @ g_x.T, s[:, None]], [s[None, :], np.zeros((1, 1))]])
    solution = np.linalg.lstsq(system, np.append(np.ones(len(g)), 0.0), rcond=None)[0]
    return np.append(g_x.T @ solution[:-1], solution[-1]), solution[:-1]


def _fit_hard_margin_svm(
    features: np.ndarray, labels: np.ndarray, penalize_bias: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``theta = [w; b]`` (D + 1,) of the hard-margin SVM, and the indices of its support vectors.

    ``features = [x, 1]`` (n, D + 1), ``labels`` (n,) 0 or 1, separable: ``SVC`` with a huge ``C``.
    """
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
    return theta, support


def _check_angle_between_args(u: object, v: object) -> None:
    u = check_tensor("u", u)
    v = check_tensor("v", v)
    check_finite("u", u)
    check_finite("v", v)
    check_same_dtype("u", u, "v", v)
    for name, t in (("u", u), ("v", v)):
        if t.ndim == 0:
            raise ValueError(f"{name} must have at least one dimension, shape (..., D), got a 0-d tensor (a scalar)")
    if u.shape[-1] != v.shape[-1]:
        raise ValueError(f"u and v must have the same last dimension, got shapes {_shape(u)} and {_shape(v)}")
    try:
        torch.broadcast_shapes(u.shape[:-1], v.shape[:-1])
    except RuntimeError:
        raise ValueError(
            f"u and v must have broadcastable leading dimensions, got shapes {_shape(u)} and {_shape(v)}"
        ) from None
    for name, t in (("u", u), ("v", v)):
        if not bool((t.detach().abs().amax(dim=-1) > 0).all()):
            raise ValueError(f"{name} must not contain a zero vector: a zero vector has no direction")


@checked_by(_check_angle_between_args)
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
    u_unit, v_unit = _unit(u), _unit(v)
    return 2 * torch.atan2((u_unit - v_unit).norm(dim=-1), (u_unit + v_unit).norm(dim=-1))


def _unit(t: Tensor) -> Tensor:
    """``t / ||t||`` along the last dimension, scaled first so that the squares cannot overflow."""
    scaled = t / t.detach().abs().amax(dim=-1, keepdim=True)
    return scaled / scaled.norm(dim=-1, keepdim=True)
