"""Newton's method (iteratively reweighted least squares) for logistic regression.

Gradient descent uses only the slope; Newton's method also uses the curvature. With
``theta = [w; b]``, ``Xa = [x, 1]``, ``s = sigmoid(Xa theta)`` and the objective
``J = mean BCE + (l2 / 2) ||w||^2``,

    gradient  g = Xa^T (s - y) / n + l2 [w; 0]
    Hessian   H = Xa^T diag(s (1 - s)) Xa / n + l2 diag(1, ..., 1, 0)

and one step solves the (D + 1) x (D + 1) linear system ``H step = g``. Each step is a
weighted least-squares fit with weights ``s (1 - s)``, hence the name IRLS. Near the optimum
the number of correct digits doubles at every step.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import Tensor

from lrcore._validation import (
    check_count,
    check_fits,
    check_labels,
    check_matrix,
    check_non_negative_number,
    check_positive_number,
    check_same_dtype,
    check_same_rows,
    external_stacklevel,
)
from lrcore.losses import per_sample_bce_signed

#: Halvings of a Newton step that would increase the objective; 2**-60 is below float64's resolution.
_MAX_HALVINGS = 60


class ConvergenceWarning(UserWarning):
    """:func:`fit_newton` used ``max_iter`` iterations without reaching ``tol``."""


@dataclass(frozen=True)
class NewtonHistory:
    """What :func:`fit_newton` recorded, iterate by iterate.

    Attributes
    ----------
    weights : Tensor of shape (num_iter + 1, D, 1)
        ``weights[k]`` is ``w`` after ``k`` Newton steps; ``weights[0]`` is 0.
    biases : Tensor of shape (num_iter + 1, 1, 1)
    loss : Tensor of shape (num_iter + 1,)
        The objective at each iterate: mean BCE plus ``(l2 / 2) ||w||^2``.
    grad_norm : Tensor of shape (num_iter + 1,)
        Largest absolute entry of the objective's gradient at each iterate, the number
        compared with ``tol``.
    converged : bool
        Whether the last ``grad_norm`` is below ``tol``.
    """

    weights: Tensor
    biases: Tensor
    loss: Tensor
    grad_norm: Tensor
    converged: bool

    @property
    def w(self) -> Tensor:
        """Final weights, shape (D, 1)."""
        return self.weights[-1]

    @property
    def b(self) -> Tensor:
        """Final bias, shape (1, 1)."""
        return self.biases[-1]

    @property
    def num_iter(self) -> int:
        """Number of Newton steps taken."""
        return self.loss.shape[0] - 1


def fit_newton(
    x: Tensor, y: Tensor, l2: float = 0.0, max_iter: int = 50, tol: float = 1e-10
) -> tuple[Tensor, Tensor, NewtonHistory]:
    """Minimise the mean BCE (plus ``(l2 / 2) ||w||^2``) by Newton's method, from ``w = 0, b = 0``.

    Each iteration solves ``H step = g`` with ``torch.linalg.solve`` in ``x``'s dtype and
    moves to ``theta - step``. A step that would increase the objective is halved until it
    does not (damped Newton); from zero on standardized data every step is a full one.
    Iteration stops as soon as the largest absolute entry of the gradient is below ``tol``.
    The bias is not penalised; with ``l2 = 1 / (C * n)`` the optimum is that of
    scikit-learn's ``LogisticRegression(C=C)``, and with ``l2 = 0`` that of ``C=np.inf``.

    Use float64: the default ``tol = 1e-10`` is far below float32's rounding (about 1e-7),
    so a float32 fit runs ``max_iter`` iterations and warns; pass ``tol=1e-5`` in float32.

    The unpenalised optimum does not always exist, and then the weights would grow without
    bound. ``fit_newton`` raises ``ValueError`` instead of returning them:

    * when ``y`` holds a single class (the bias would go to infinity);
    * when ``l2 = 0`` and the columns of ``[x, 1]`` are linearly dependent, for example a
      duplicated or constant feature, or fewer samples than ``D + 1`` (the weights are not
      unique: the Hessian is singular);
    * when ``l2 = 0`` and an iterate classifies every training sample correctly: the data
      are linearly separable, scaling those weights up drives the loss to 0, and no finite
      minimum exists. With all 30 features of the breast-cancer data the training split is
      separable and this happens at the 7th iteration; any ``l2 > 0`` gives a unique optimum.

    Data that are separable except for samples lying exactly on the boundary
    ("quasi-complete separation", rare with continuous features) are not detected: the
    weights then grow by about one unit per iteration until the gradient falls below ``tol``.

    Parameters
    ----------
    x : Tensor of shape (n, D)
        Features, standardized or not (Newton's method does not care about the scale, and
        the test for dependent columns does not either). If it requires grad, its detached
        values are used; so for ``y``.
    y : Tensor of shape (n, 1)
        Labels, 0 or 1, both present, of ``x``'s dtype.
    l2 : float, default 0.0
        Strength of the L2 penalty on ``w``.
    max_iter : int, default 50
        Maximum number of Newton steps, ``>= 0``. The book's split needs 9.
    tol : float, default 1e-10
        Stop when every entry of the gradient is smaller than this in absolute value.

    Returns
    -------
    w : Tensor of shape (D, 1)
    b : Tensor of shape (1, 1)
    history : NewtonHistory
        The iterates, the objective and the gradient's size at each of them.

    Raises
    ------
    ValueError
        For bad arguments, when the optimum does not exist or is not unique (see above), and
        when the loss or its gradient overflows the dtype (``x`` of magnitude 1e20 in float32).

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` steps end with the gradient still above ``tol``.

    Examples
    --------
    >>> x = torch.tensor([[-2.0], [-1.0], [0.5], [1.0], [2.0]], dtype=torch.float64)
    >>> y = torch.tensor([[0.0], [1.0], [0.0], [1.0], [1.0]], dtype=torch.float64)
    >>> w, b, history = fit_newton(x, y)
    >>> history.converged, history.num_iter
    (True, 5)
    """
    x, y, l2, max_iter, tol = _check_fit_newton_args(x, y, l2, max_iter, tol)
    return _newton_solve(x, y, l2, max_iter, tol)


def _check_fit_newton_args(x, y, l2, max_iter, tol) -> tuple[Tensor, Tensor, float, int, float]:
    """:func:`fit_newton`'s arguments checked and detached, and the optimum's existence tested where it can be."""
    x = check_matrix("x", x).detach()
    y = check_labels("y", y).detach()
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    l2 = check_fits("l2", check_non_negative_number("l2", l2), x.dtype)
    max_iter = check_count("max_iter", max_iter)
    tol = check_positive_number("tol", tol)
    n_positive = int(y.sum().item())
    if n_positive in (0, y.shape[0]):
        raise ValueError(
            f"y must contain both classes, got only {int(y[0, 0].item())}: the loss keeps falling as the bias "
            "grows without bound, so there is no optimum"
        )
    xa = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)
    rank = xa.shape[1] if l2 else _column_rank(xa)
    if rank < xa.shape[1]:
        raise ValueError(
            f"the columns of [x, 1] must be linearly independent when l2 = 0, got rank {rank} for {xa.shape[1]} "
            "columns (a duplicated or constant feature, or fewer samples than features + 1?): the Hessian is "
            "singular and the weights are not unique; pass l2 > 0 or remove the dependent feature"
        )
    return x, y, l2, max_iter, tol


def _newton_solve(x: Tensor, y: Tensor, l2: float, max_iter: int, tol: float) -> tuple[Tensor, Tensor, NewtonHistory]:
    """Damped Newton from ``theta = [w; b] = 0`` until every gradient entry is below ``tol``.

    ``x`` (n, D), ``y`` (n, 1). Returns ``w`` (D, 1), ``b`` (1, 1) and the history. Stops with
    an error where no minimum exists (an iterate separates the data, ``l2 = 0``) or on overflow.
    """
    xa = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)  # (n, D + 1): the bias is the last weight
    penalty = torch.full((xa.shape[1],), l2, dtype=x.dtype, device=x.device)  # gradient of the penalty: penalty * theta
    penalty[-1] = 0.0
    labels = y.reshape(-1)
    sign = 2 * labels - 1  # +1 for class 1, -1 for class 0: the sample is right where sign * z > 0

    thetas = [torch.zeros_like(penalty)]
    losses, grad_norms = [], []
    while True:
        theta = thetas[-1]
        z = xa @ theta
        loss = _objective(z, labels, theta, penalty)
        grad = xa.T @ (torch.sigmoid(z) - labels) / xa.shape[0] + penalty * theta
        if not bool(torch.isfinite(loss) & torch.isfinite(grad).all()):
            raise _overflow_error(x.dtype, len(thetas) - 1)
        losses.append(loss)
        grad_norms.append(grad.abs().max())
        if grad_norms[-1] < tol or len(thetas) > max_iter:
            break
        if not l2 and bool((sign * z > 0).all()):
            raise _separable_error(len(thetas) - 1)
        thetas.append(_newton_step(xa, labels, theta, z, grad, loss, penalty))

    converged = bool(grad_norms[-1] < tol)
    if not converged:
        _warn_not_converged(max_iter, grad_norms[-1], tol)
    history = _newton_history(thetas, losses, grad_norms, converged, x.shape[1])
    return history.w.clone(), history.b.clone(), history


def _overflow_error(dtype: torch.dtype, iterate: int) -> ValueError:
    return ValueError(
        f"x is too large for {dtype}: the loss or its gradient overflowed at iterate {iterate}; "
        "standardize x, or use float64"
    )


def _separable_error(iterate: int) -> ValueError:
    steps = f"{iterate} Newton step" + ("s" if iterate != 1 else "")
    return ValueError(
        f"x and y are linearly separable: after {steps} the weights classify every "
        "training sample correctly, so scaling them up drives the loss towards 0 and the unpenalised "
        "optimum does not exist (the weights would grow without bound); pass l2 > 0 or use fewer features"
    )


def _warn_not_converged(max_iter: int, grad_norm: Tensor, tol: float) -> None:
    warnings.warn(
        f"fit_newton stopped after max_iter={max_iter} steps with the gradient at {grad_norm.item():.3g}, "
        f"above tol={tol:g}; raise max_iter, or tol in float32",
        ConvergenceWarning,
        stacklevel=external_stacklevel(),
    )


def _newton_history(thetas: list, losses: list, grad_norms: list, converged: bool, d: int) -> NewtonHistory:
    stacked = torch.stack(thetas)
    return NewtonHistory(
        weights=stacked[:, :d].unsqueeze(-1),
        biases=stacked[:, d:].unsqueeze(-1),
        loss=torch.stack(losses),
        grad_norm=torch.stack(grad_norms),
        converged=converged,
    )


def _column_rank(xa: Tensor) -> int:
    """Rank of ``xa`` after scaling each column to largest absolute value 1.

    Scaling a column does not change whether the columns are independent, but it changes the
    singular values: ``matrix_rank``'s tolerance, relative to the largest one, would call a
    column of values near 0.1 dependent next to one near 1000. Scaled, the test is the same
    for ``x``, ``1e30 * x`` and ``x`` in other units.
    """
    scale = xa.abs().amax(dim=0).clamp_min(torch.finfo(xa.dtype).tiny)  # an all-zero column stays zero
    return int(torch.linalg.matrix_rank(xa / scale).item())


def _objective(z: Tensor, labels: Tensor, theta: Tensor, penalty: Tensor) -> Tensor:
    """Mean BCE from the logits ``z`` (n,) plus ``(1/2) sum(penalty * theta**2)``: shape ()."""
    return per_sample_bce_signed(z, labels).mean() + 0.5 * (penalty * theta**2).sum()


def _newton_step(
    xa: Tensor, labels: Tensor, theta: Tensor, z: Tensor, grad: Tensor, loss: Tensor, penalty: Tensor
) -> Tensor:
    """The next iterate: ``theta - t * H^{-1} g`` with the largest ``t`` in 1, 1/2, 1/4, ... that does not raise J.

    "Does not raise" allows for rounding, so that steps near the optimum, whose true decrease
    is far below the loss's last digit, are taken in full.
    """
    # s (1 - s) as sigmoid(z) sigmoid(-z): no cancellation in 1 - s when s is close to 1.
    curvature = torch.sigmoid(z) * torch.sigmoid(-z)
    hessian = (xa.T * curvature) @ xa / xa.shape[0] + torch.diag(penalty)
    if not bool(torch.isfinite(hessian).all()):  # squares of x beyond the dtype's range
        raise _hessian_error(f"x is too large for {xa.dtype}: the Hessian overflowed; standardize x, or use float64")
    try:
        step = torch.linalg.solve(hessian, grad)
    except torch.linalg.LinAlgError as error:  # every s (1 - s) of a direction has underflowed to 0
        raise _hessian_error(
            "the Hessian became singular: the predicted probabilities have saturated at 0 or 1, as they do when "
            "the weights grow without bound on (nearly) separable data; pass l2 > 0"
        ) from error
    slack = 64 * torch.finfo(loss.dtype).eps * loss.abs()
    t = 1.0
    for _ in range(_MAX_HALVINGS):
        candidate = theta - t * step
        if _objective(xa @ candidate, labels, candidate, penalty) <= loss + slack:
            break
        t /= 2
    return candidate


def _hessian_error(message: str) -> ValueError:
    """The error :func:`_newton_step` raises when the Hessian cannot be solved with."""
    return ValueError(message)
