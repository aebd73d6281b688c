"""Gradient descent: one step as the lab writes it, and a fast full-batch ``fit`` (with optional momentum)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lrcore._validation import (
    check_bool,
    check_count,
    check_fraction,
    check_labels,
    check_matrix,
    check_non_negative_number,
    check_params,
    check_positive_number,
    check_same_dtype,
    check_same_rows,
)
from lrcore.gradients import compute_gradients
from lrcore.losses import binary_cross_entropy_with_logits, per_sample_bce_with_logits
from lrcore.model import linear


def gradient_descent_step(
    x: Tensor, y: Tensor, w: Tensor, b: Tensor, learning_rate: float
) -> tuple[Tensor, Tensor, Tensor]:
    """One step of full-batch gradient descent on the mean BCE.

    Predict, evaluate the loss, compute the gradient, step against it:
    ``w <- w - learning_rate * dJ/dw``, ``b <- b - learning_rate * dJ/db``.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    y : Tensor of shape (n, 1)
        Labels, 0 or 1.
    w : Tensor of shape (D, 1)
    b : Tensor of shape (1, 1)
    learning_rate : float
        Finite and positive.

    Returns
    -------
    loss : Tensor of shape ()
        The loss at the parameters passed in, before the update.
    w, b : Tensor of shapes (D, 1) and (1, 1)
        New tensors; the arguments are not modified.
    """
    x = check_matrix("x", x)
    y = check_labels("y", y)
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    learning_rate = check_positive_number("learning_rate", learning_rate)
    z = linear(x, w, b)
    loss = binary_cross_entropy_with_logits(z, y)
    dw, db = compute_gradients(x, torch.sigmoid(z), y)
    return loss, w - learning_rate * dw, b - learning_rate * db


@dataclass(frozen=True)
class History:
    """What :func:`fit` recorded.

    Attributes
    ----------
    weights : Tensor of shape (num_steps + 1, D, 1)
        ``weights[k]`` is ``w`` after ``k`` steps; ``weights[0]`` is the initial guess.
    biases : Tensor of shape (num_steps + 1, 1, 1)
    train_loss : Tensor of shape (num_steps,)
        Mean BCE on the training data before step ``k`` (the L2 penalty is not included,
        so that it compares with ``val_loss``).
    val_loss : Tensor of shape (num_steps,) or None
        The same on the validation data, if it was given. No gradient comes from it.
    """

    weights: Tensor
    biases: Tensor
    train_loss: Tensor
    val_loss: Tensor | None = None

    @property
    def w(self) -> Tensor:
        """Final weights, shape (D, 1)."""
        return self.weights[-1]

    @property
    def b(self) -> Tensor:
        """Final bias, shape (1, 1)."""
        return self.biases[-1]

    @property
    def num_steps(self) -> int:
        return self.train_loss.shape[0]


def fit(
    x: Tensor,
    y: Tensor,
    w: Tensor,
    b: Tensor,
    learning_rate: float,
    num_steps: int,
    x_val: Tensor | None = None,
    y_val: Tensor | None = None,
    l2: float = 0.0,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> History:
    """Run ``num_steps`` steps of full-batch gradient descent and record everything.

    The steps are those of :func:`gradient_descent_step`, with ``(l2 / 2) * ||w||^2`` added
    to the objective when ``l2 > 0`` (the bias is not penalised). With
    ``l2 = 1 / (C * n)`` this is scikit-learn's ``LogisticRegression(C=C)`` objective
    divided by ``n``.

    With ``momentum > 0`` the steps are heavy-ball steps, written as ``torch.optim.SGD``
    writes them: with ``theta = [w; b]``, ``g`` the gradient at ``theta`` and the velocity
    ``v`` starting at 0,

        ``v <- momentum * v + g``,  ``theta <- theta - learning_rate * v``;

    with ``nesterov=True`` the update looks ahead along the new velocity,
    ``theta <- theta - learning_rate * (g + momentum * v)``, as
    ``torch.optim.SGD(nesterov=True)`` does. ``momentum = 0`` is plain gradient descent.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    y : Tensor of shape (n, 1)
    w : Tensor of shape (D, 1)
        Initial weights (not modified).
    b : Tensor of shape (1, 1)
        Initial bias (not modified).
    learning_rate : float
    num_steps : int
        ``>= 0``.
    x_val : Tensor of shape (m, D), optional
    y_val : Tensor of shape (m, 1), optional
        Given together, their loss is recorded at every step.
    l2 : float, default 0.0
        Strength of the L2 penalty on ``w``.
    momentum : float, default 0.0
        In [0, 1). Near 1 the velocity remembers many past gradients: steps grow along
        directions where the gradient keeps its sign, and oscillations across a narrow
        valley cancel out.
    nesterov : bool, default False
        Nesterov's look-ahead form of momentum; needs ``momentum > 0``.

    Returns
    -------
    History
        Parameters after every step and the losses before every step.
    """
    x = check_matrix("x", x)
    y = check_labels("y", y)
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    w, b = check_params(x, w, b)
    learning_rate = check_positive_number("learning_rate", learning_rate)
    num_steps = check_count("num_steps", num_steps)
    l2 = check_non_negative_number("l2", l2)
    momentum = check_fraction("momentum", momentum)
    nesterov = check_bool("nesterov", nesterov)
    if nesterov and momentum == 0:
        raise ValueError(f"nesterov=True needs momentum > 0, got momentum={momentum}")
    if (x_val is None) != (y_val is None):
        raise ValueError("x_val and y_val must be given together, got only one of them")
    if x_val is not None:
        x_val = check_matrix("x_val", x_val, columns=x.shape[1])
        y_val = check_labels("y_val", y_val)
        check_same_rows("x_val", x_val, "y_val", y_val)
        check_same_dtype("x", x, "x_val", x_val)
        check_same_dtype("x", x, "y_val", y_val)

    theta0 = torch.cat([w, b]).reshape(-1)
    if momentum:
        thetas = _descend_with_momentum(x, y, theta0, learning_rate, num_steps, l2, momentum, nesterov)
    else:
        thetas = _descend(x, y, theta0, learning_rate, num_steps, l2)
    d = x.shape[1]
    return History(
        weights=thetas[:, :d].unsqueeze(-1),
        biases=thetas[:, d:].unsqueeze(-1),
        train_loss=_losses_along(x, y, thetas[:-1]),
        val_loss=None if x_val is None else _losses_along(x_val, y_val, thetas[:-1]),
    )


def _with_ones(x: Tensor) -> Tensor:
    """``[x, 1]``: the bias becomes the last weight, so one product gives ``x w + b``."""
    return torch.cat([x, torch.ones_like(x[:, :1])], dim=1)


def _descend(x: Tensor, y: Tensor, theta0: Tensor, learning_rate: float, num_steps: int, l2: float) -> Tensor:
    """The gradient-descent iterates ``theta = [w; b]``, shape (num_steps + 1, D + 1).

    Inputs are checked once by the caller; this loop is three tensor calls per step. At 341 x
    10 each call costs microseconds of dispatch and almost nothing of arithmetic, so the
    number of calls is the running time. The loss is not evaluated here: it is a function of
    the iterate alone, so :func:`_losses_along` evaluates all of them in one batched product.
    """
    n = x.shape[0]
    xa = _with_ones(x)  # (n, D + 1)
    # grad = xa^T (s - y) / n = [xa^T, -xa^T y] @ [s; 1] / n: with a constant 1 appended to
    # the predictions, one matrix-vector product gives the whole gradient.
    grad_matrix = torch.cat([xa.T, -(xa.T @ y)], dim=1)  # (D + 1, n + 1)
    s_and_one = torch.ones(n + 1, dtype=x.dtype, device=x.device)
    s = s_and_one[:n]  # a view: writing the predictions fills the front of s_and_one
    # (1 - lr * l2) shrinks the weights but not the bias: the gradient of (l2 / 2) ||w||^2.
    decay = torch.full_like(theta0, 1 - learning_rate * l2)
    decay[-1] = 1.0

    thetas = torch.empty(num_steps + 1, theta0.shape[0], dtype=x.dtype, device=x.device)
    thetas[0] = theta0
    rows = thetas.unbind(0)  # one view per step, made in a single call
    for k in range(num_steps):
        torch.mv(xa, rows[k], out=s)
        s.sigmoid_()
        if l2:
            torch.mul(rows[k], decay, out=rows[k + 1])
            rows[k + 1].addmv_(grad_matrix, s_and_one, alpha=-learning_rate / n)
        else:
            torch.addmv(rows[k], grad_matrix, s_and_one, alpha=-learning_rate / n, out=rows[k + 1])
    return thetas


def _descend_with_momentum(
    x: Tensor,
    y: Tensor,
    theta0: Tensor,
    learning_rate: float,
    num_steps: int,
    l2: float,
    momentum: float,
    nesterov: bool,
) -> Tensor:
    """The heavy-ball (or Nesterov) iterates ``theta = [w; b]``, shape (num_steps + 1, D + 1).

    The velocity starts at 0, so the first step is a plain gradient step, as in
    ``torch.optim.SGD``, whose first step sets the velocity to the gradient. Inputs are
    checked once by the caller; the heavy-ball loop is four tensor calls per step, Nesterov's
    six (one more each with ``l2``), on the same ``[s; 1]`` trick as :func:`_descend`.
    """
    n = x.shape[0]
    xa = _with_ones(x)  # (n, D + 1)
    grad_matrix = torch.cat([xa.T, -(xa.T @ y)], dim=1) / n  # grad = grad_matrix @ [s; 1]
    s_and_one = torch.ones(n + 1, dtype=x.dtype, device=x.device)
    s = s_and_one[:n]  # a view, as in _descend
    penalty = torch.full_like(theta0, l2)  # the gradient of (l2 / 2) ||w||^2 is penalty * theta
    penalty[-1] = 0.0
    velocity = torch.zeros_like(theta0)
    grad = torch.empty_like(theta0)

    thetas = torch.empty(num_steps + 1, theta0.shape[0], dtype=x.dtype, device=x.device)
    thetas[0] = theta0
    rows = thetas.unbind(0)
    for k in range(num_steps):
        torch.mv(xa, rows[k], out=s)
        s.sigmoid_()
        if nesterov:
            torch.mv(grad_matrix, s_and_one, out=grad)
            if l2:
                grad.addcmul_(rows[k], penalty)
            torch.add(grad, velocity, alpha=momentum, out=velocity)  # v <- g + momentum * v
            torch.add(grad, velocity, alpha=momentum, out=grad)  # g + momentum * v
            torch.add(rows[k], grad, alpha=-learning_rate, out=rows[k + 1])
        else:
            velocity.addmv_(grad_matrix, s_and_one, beta=momentum)  # v <- momentum * v + g
            if l2:
                velocity.addcmul_(rows[k], penalty)
            torch.add(rows[k], velocity, alpha=-learning_rate, out=rows[k + 1])
    return thetas


def _losses_along(x: Tensor, y: Tensor, thetas: Tensor, chunk: int = 4096) -> Tensor:
    """Mean BCE at every iterate in ``thetas`` (k, D + 1), batched: shape (k,)."""
    xa = _with_ones(x)
    parts = [per_sample_bce_with_logits(xa @ block.T, y).mean(dim=0) for block in thetas.split(chunk)]
    return torch.cat(parts) if parts else thetas.new_empty(0)
