"""Gradient descent: one step as the lab writes it, and a fast full-batch ``fit`` (with optional momentum)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from lrcore import _numerics, _validation
from lrcore._validation import (
    DivergenceWarning,
    NonFiniteWarning,
    _bytes,
    _show,
    check_bool,
    check_count,
    check_fits,
    check_fraction,
    check_labels,
    check_matrix,
    check_memory,
    check_non_negative_number,
    check_params,
    check_positive_number,
    check_rate,
    check_same_dtype,
    check_same_rows,
    checked_by,
    external_stacklevel,
)
from lrcore.gradients import compute_gradients
from lrcore.losses import binary_cross_entropy_with_logits, per_sample_bce_signed
from lrcore.model import linear

#: A run whose last recorded training loss exceeds its first by more than this factor diverged:
#: :func:`fit` warns (:class:`DivergenceWarning`). A descent that converges lowers the loss; a
#: rate a little above the stable limit makes it oscillate, within a few times its start (the
#: book's runs, chapter 11's largest rates and chapter 14's noisy minibatches included, end at
#: most 1.35 times their start); a rate far above it multiplies it (0.69 to 3e35 at rate 1e37).
DIVERGENCE_FACTOR = 10

#: Steps whose views of the trajectory are made by one ``unbind`` call (see :func:`_step_views`).
_VIEW_BATCH = 1024


def _check_gradient_descent_step_args(x: object, y: object, w: object, b: object, learning_rate: object) -> dict:
    x = check_matrix("x", x)
    y = check_labels("y", y)
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    learning_rate = check_rate("learning_rate", check_positive_number("learning_rate", learning_rate), x.dtype)
    if not bool(torch.isfinite(linear(x, w, b)).all()):
        raise ValueError(f"x, w and b give logits x w + b beyond the range of {x.dtype}: standardize x, or use float64")
    return {"learning_rate": learning_rate}


@checked_by(_check_gradient_descent_step_args)
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
        Finite and positive, and representable in ``x``'s dtype.

    Returns
    -------
    loss : Tensor of shape ()
        The loss at the parameters passed in, before the update.
    w, b : Tensor of shapes (D, 1) and (1, 1)
        New tensors; the arguments are not modified. Gradients flow through all three.
        A step so large that ``w`` or ``b`` overflows gives ``inf`` with a
        :class:`~lrcore.NonFiniteWarning`.

    Raises
    ------
    ValueError
        For bad arguments, and when a logit ``x w + b`` is beyond the dtype's range.
    """
    z = linear(x, w, b)
    loss = binary_cross_entropy_with_logits(z, y)
    dw, db = compute_gradients(x, torch.sigmoid(z), y)
    w_new, b_new = w - learning_rate * dw, b - learning_rate * db
    for name, new in (("w", w_new), ("b", b_new)):
        _numerics.warn_if_not_finite(new, f"the new {name}", "the step overflowed; lower learning_rate")
    return loss, w_new, b_new


@dataclass(frozen=True)
class History:
    """What :func:`fit` recorded, every ``record_every`` steps (K = num_steps // record_every).

    ``weights`` (K + 1, D, 1) and ``biases`` (K + 1, 1, 1): ``weights[k]`` is ``w`` after
    ``k * record_every`` steps, ``weights[0]`` the initial guess. ``train_loss`` (K,): the
    mean BCE before step ``k * record_every``, without the L2 penalty; ``val_loss`` (K,) the
    same on the validation data, or None.
    """

    weights: Tensor
    biases: Tensor
    train_loss: Tensor
    val_loss: Tensor | None = None
    record_every: int = 1

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
        """Number of gradient steps taken."""
        return self.train_loss.shape[0] * self.record_every

    @property
    def steps(self) -> Tensor:
        """The step before which each loss was recorded, shape (num_steps // record_every,)."""
        return torch.arange(self.train_loss.shape[0]) * self.record_every


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
    record_every: int = 1,
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
    record_every : int, default 1
        Record the parameters and the losses every ``record_every`` steps only; a divisor of
        ``num_steps``, so that the final parameters are recorded. The steps taken are the same.

    Returns
    -------
    History
        Parameters after every recorded step and the losses before it. They take
        ``(num_steps // record_every) * (D + 3)`` numbers (``D + 2`` without validation
        data); the trajectory is one tensor, and ``fit`` needs little more memory than that.

    Raises
    ------
    ValueError
        For bad arguments, and before allocating a History above
        ``lrcore._validation.MEMORY_BUDGET_BYTES`` (1 GiB): the message says how much memory
        it would need and which ``record_every`` fits.

    Warns
    -----
    NonFiniteWarning
        When the iteration diverges (the parameters become inf or NaN: the learning rate is
        too large) or a recorded loss overflows to ``inf`` (logits beyond the dtype's range).
    DivergenceWarning
        A :class:`NonFiniteWarning` too: when every number is finite but the last recorded
        training loss is more than :data:`DIVERGENCE_FACTOR` (10) times the first, as at
        ``learning_rate=1e37`` on standardized data (0.69 to 3e35). A rate a little above the
        stable limit, which the book shows on purpose, makes the loss oscillate well below that.

    Notes
    -----
    ``x``, ``y``, ``w`` and ``b`` may require grad (an ``nn.Parameter``, say): ``fit`` works
    on their detached values, and the History holds no gradient.
    """
    args = _check_fit_args(x, y, w, b, learning_rate, num_steps, x_val, y_val, l2, momentum, nesterov, record_every)
    return _run_descent(*args)


def _check_fit_args(x, y, w, b, learning_rate, num_steps, x_val, y_val, l2, momentum, nesterov, record_every) -> tuple:
    """:func:`fit`'s arguments checked, converted and detached, in its order."""
    x = check_matrix("x", x).detach()
    y = check_labels("y", y).detach()
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    w, b = (t.detach() for t in check_params(x, w, b))
    learning_rate = check_rate("learning_rate", check_positive_number("learning_rate", learning_rate), x.dtype)
    num_steps = check_count("num_steps", num_steps)
    l2 = check_fits("l2", check_non_negative_number("l2", l2), x.dtype)
    check_fits("learning_rate * l2", learning_rate * l2, x.dtype)
    momentum = check_fraction("momentum", momentum)
    nesterov = check_bool("nesterov", nesterov)
    if nesterov and momentum == 0:
        raise ValueError(f"nesterov=True needs momentum > 0, got momentum={momentum}")
    if (x_val is None) != (y_val is None):
        raise ValueError("x_val and y_val must be given together, got only one of them")
    if x_val is not None:
        x_val = check_matrix("x_val", x_val, columns=x.shape[1]).detach()
        y_val = check_labels("y_val", y_val).detach()
        check_same_rows("x_val", x_val, "y_val", y_val)
        check_same_dtype("x", x, "x_val", x_val)
        check_same_dtype("x", x, "y_val", y_val)
    record_every = check_count("record_every", record_every, minimum=1)
    if num_steps % record_every:
        raise ValueError(
            f"record_every must divide num_steps so that the final parameters are recorded, got "
            f"num_steps={_show(num_steps)} and record_every={_show(record_every)}"
        )
    _check_history_memory(x, num_steps, record_every, x_val)
    return x, y, w, b, learning_rate, num_steps, x_val, y_val, l2, momentum, nesterov, record_every


def _run_descent(
    x: Tensor, y: Tensor, w: Tensor, b: Tensor, learning_rate: float, num_steps: int, x_val: Tensor | None,
    y_val: Tensor | None, l2: float, momentum: float, nesterov: bool, record_every: int,
) -> History:
    """Descend from ``(w, b)``, then evaluate the losses along the recorded iterates.

    ``x`` (n, D), ``y`` (n, 1), ``w`` (D, 1), ``b`` (1, 1); ``x_val`` (m, D) and ``y_val``
    (m, 1), or None. The iterates ``theta = [w; b]`` are the rows of ``thetas``.
    """
    theta0 = torch.cat([w, b]).reshape(-1)
    if momentum:
        thetas = _descend_with_momentum(x, y, theta0, learning_rate, num_steps, l2, momentum, nesterov, record_every)
    else:
        thetas = _descend(x, y, theta0, learning_rate, num_steps, l2, record_every)
    d = x.shape[1]
    history = History(
        weights=thetas[:, :d].unsqueeze(-1),
        biases=thetas[:, d:].unsqueeze(-1),
        train_loss=_losses_along(x, y, thetas[:-1]),
        val_loss=None if x_val is None else _losses_along(x_val, y_val, thetas[:-1]),
        record_every=record_every,
    )
    _warn_if_diverged(history, learning_rate)
    return history


def _check_history_memory(
    x: Tensor, num_steps: int, record_every: int, x_val: Tensor | None, what: str | None = None,
    extra: tuple[int, str] = (0, ""),
) -> None:
    """Refuse a fit above the memory budget (:func:`_fit_bytes`), suggesting a ``record_every`` that fits.

    ``what`` says which steps the message counts (``fit``'s ``num_steps`` by default); ``extra``
    is ``(bytes, what they hold)`` needed beside the fit's (``fit_minibatch``'s per-epoch rates).
    """
    per_record = _record_bytes(x, x_val)
    budget = _validation.MEMORY_BUDGET_BYTES

    def needed(stride: int) -> int:
        return _fit_bytes(x, num_steps // stride + 1, x_val) + extra[0]

    if needed(record_every) <= budget:
        return
    # The smallest divisor of num_steps that fits (divisors come in pairs d, num_steps / d).
    fitting = [
        stride
        for d in range(1, min(num_steps, 10**6) + 1)
        if num_steps % d == 0
        for stride in (d, num_steps // d)
        if needed(stride) <= budget
    ]
    steps, fewer = ("num_steps", "take fewer steps") if what is None else ("the number of steps", "run fewer epochs")
    hint = (
        f"record fewer steps, e.g. record_every={_show(min(fitting))} ({_bytes(needed(min(fitting)))})"
        if fitting
        else f"record fewer steps with record_every (a divisor of {steps}), or {fewer}"
    )
    check_memory(
        f"{what or f'fit for num_steps={_show(num_steps)}'}, its History of {_show(num_steps // record_every + 1)} "
        f"recorded steps x {per_record} bytes{extra[1]} and its working memory,",
        needed(record_every),
        hint,
    )


#: Bytes a fit allocates beside its History and the blocks of :func:`_losses_along`: the step
#: views alive at once (:func:`_step_views`) and the interpreter's own allocations.
_FIT_OVERHEAD_BYTES = 2**21


def _record_bytes(x: Tensor, x_val: Tensor | None) -> int:
    """Bytes of one recorded step of a History: ``D + 1`` parameters and 1 or 2 losses."""
    return (x.shape[1] + 2 + (x_val is not None)) * x.element_size()


def _fit_bytes(x: Tensor, num_records: int, x_val: Tensor | None) -> int:
    """Peak bytes of :func:`fit` (and :func:`lrcore.fit_minibatch`) recording ``num_records`` iterates.

    The History, plus the working copies of the data (``[x, 1]``, the gradient matrix, a
    shuffled copy: at most 4 of ``(rows + 1) x (D + 2)``, ``rows`` the larger of ``x``'s and
    ``x_val``'s, whose losses are evaluated one after the other), plus 8 blocks of logits of
    :func:`_losses_along` (``(rows, chunk)``, about 16 MB each for large ``rows``) and two
    copies of its chunk of iterates (``(chunk, D + 2)``: the product copies the transposed
    block), plus :data:`_FIT_OVERHEAD_BYTES`.
    """
    itemsize = x.element_size()
    rows = max(x.shape[0], 0 if x_val is None else x_val.shape[0])
    data = (rows + 1) * (x.shape[1] + 2) * itemsize
    block = min(4096 * rows, max(rows, 2**24 // itemsize)) * itemsize
    chunk = max(1, min(4096, 2**24 // (rows * itemsize))) * (x.shape[1] + 2) * itemsize
    return num_records * _record_bytes(x, x_val) + 4 * data + 8 * block + 2 * chunk + _FIT_OVERHEAD_BYTES


def _all_finite(t: Tensor) -> bool:
    """Whether every entry is finite, without a temporary as large as ``t`` (the History can be large).

    A block of about 1 MB of rows at a time: ``t`` may be a non-contiguous view (``History.weights``
    is a view of the trajectory), which ``aminmax`` would copy whole.
    """
    if t.ndim == 0 or t.numel() == 0:
        return bool(torch.isfinite(t).all())
    for block in t.split(max(1, 2**18 // max(1, t[0].numel()))):
        low, high = torch.aminmax(block)  # NaN propagates to both
        if not bool(torch.isfinite(low) & torch.isfinite(high)):
            return False
    return True


def _warn_if_diverged(history: History, learning_rate: float) -> None:
    """Warn when the parameters became NaN or inf, when a recorded loss overflowed, or when the
    last recorded training loss is above ``DIVERGENCE_FACTOR`` times the first."""
    if not (_all_finite(history.weights) and _all_finite(history.biases)):
        params_ok = torch.isfinite(history.weights).all(dim=(1, 2)) & torch.isfinite(history.biases).all(dim=(1, 2))
        first = int((~params_ok).nonzero()[0, 0]) * history.record_every
        when = f"{first} steps" if history.record_every == 1 else f"at most {first} steps"
        warnings.warn(
            f"fit diverged: the parameters are inf or NaN after {when}; "
            f"learning_rate={learning_rate:g} is too large for this problem, try a smaller one",
            NonFiniteWarning,
            stacklevel=external_stacklevel(),
        )
        return
    for name, losses in (("train_loss", history.train_loss), ("val_loss", history.val_loss)):
        if losses is not None and not _all_finite(losses):
            _numerics.warn_if_not_finite(
                losses, f"fit's {name}", "the logits overflow the dtype there; standardize x or use float64"
            )
    if len(history.train_loss) < 2:
        return
    first, last = history.train_loss[0].item(), history.train_loss[-1].item()
    if first > 0 and math.isfinite(last) and last > DIVERGENCE_FACTOR * first:
        steps = (len(history.train_loss) - 1) * history.record_every
        warnings.warn(
            f"fit diverged: the training loss rose from {first:.3g} to {last:.3g} in {steps} steps, more than "
            f"DIVERGENCE_FACTOR={DIVERGENCE_FACTOR} times its start, though no number overflowed yet; "
            f"learning_rate={learning_rate:g} is too large for this problem, try a smaller one",
            DivergenceWarning,
            stacklevel=external_stacklevel(),
        )


def _with_ones(x: Tensor) -> Tensor:
    """``[x, 1]``: the bias becomes the last weight, so one product gives ``x w + b``."""
    return torch.cat([x, torch.ones_like(x[:, :1])], dim=1)


def _descend(
    x: Tensor, y: Tensor, theta0: Tensor, learning_rate: float, num_steps: int, l2: float, record_every: int = 1
) -> Tensor:
    """The gradient-descent iterates ``theta = [w; b]``, shape (num_steps // record_every + 1, D + 1).

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

    thetas = torch.empty(num_steps // record_every + 1, theta0.shape[0], dtype=x.dtype, device=x.device)
    thetas[0] = theta0
    for current, following in _step_views(thetas, num_steps, record_every):
        torch.mv(xa, current, out=s)
        s.sigmoid_()
        if l2:
            torch.mul(current, decay, out=following)
            following.addmv_(grad_matrix, s_and_one, alpha=-learning_rate / n)
        else:
            torch.addmv(current, grad_matrix, s_and_one, alpha=-learning_rate / n, out=following)
    return thetas


def _step_views(thetas: Tensor, num_steps: int, record_every: int) -> Iterator[tuple[Tensor, Tensor]]:
    """For every step, the views ``(current, following)`` of the iterate it reads and the one it writes.

    Recorded iterates are rows of ``thetas``; with ``record_every > 1`` the others go to two
    scratch rows. A view is a tensor object of a few hundred bytes: one per step, all kept
    alive, would take 50 times the memory of the numbers they show (D = 1). So they are made
    ``_VIEW_BATCH`` steps at a time, each batch by one ``unbind`` call, and dropped after it.
    """
    if record_every == 1:
        for start in range(0, num_steps, _VIEW_BATCH):
            rows = thetas[start : min(start + _VIEW_BATCH, num_steps) + 1].unbind(0)
            yield from zip(rows[:-1], rows[1:], strict=True)
        return
    scratch = thetas.new_empty(2, thetas.shape[1]).unbind(0)
    current = thetas[0]
    for k in range(1, num_steps + 1):
        following = thetas[k // record_every] if k % record_every == 0 else scratch[k % 2]
        yield current, following
        current = following


def _descend_with_momentum(
    x: Tensor, y: Tensor, theta0: Tensor, learning_rate: float, num_steps: int, l2: float, momentum: float,
    nesterov: bool, record_every: int = 1,
) -> Tensor:
    """The heavy-ball (or Nesterov) iterates ``theta = [w; b]``, shape (num_steps // record_every + 1, D + 1).

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

    thetas = torch.empty(num_steps // record_every + 1, theta0.shape[0], dtype=x.dtype, device=x.device)
    thetas[0] = theta0
    for current, following in _step_views(thetas, num_steps, record_every):
        torch.mv(xa, current, out=s)
        s.sigmoid_()
        if nesterov:
            torch.mv(grad_matrix, s_and_one, out=grad)
            if l2:
                grad.addcmul_(current, penalty)
            torch.add(grad, velocity, alpha=momentum, out=velocity)  # v <- g + momentum * v
            torch.add(grad, velocity, alpha=momentum, out=grad)  # g + momentum * v
            torch.add(current, grad, alpha=-learning_rate, out=following)
        else:
            velocity.addmv_(grad_matrix, s_and_one, beta=momentum)  # v <- momentum * v + g
            if l2:
                velocity.addcmul_(current, penalty)
            torch.add(current, velocity, alpha=-learning_rate, out=following)
    return thetas


def _losses_along(x: Tensor, y: Tensor, thetas: Tensor, chunk: int = 4096) -> Tensor:
    """Mean BCE at every iterate in ``thetas`` (k, D + 1), batched: shape (k,).

    ``chunk`` iterates at a time, fewer for large ``n``, so that each (n, chunk) block of
    logits stays near 16 MB. The loss is written ``softplus((1 - 2y) z)``, which gives ``inf``,
    not NaN, where a logit has overflowed.
    """
    xa = _with_ones(x)
    chunk = max(1, min(chunk, 2**24 // (x.shape[0] * x.element_size())))
    losses = thetas.new_empty(thetas.shape[0])  # filled in place: no list of parts to concatenate
    for start in range(0, thetas.shape[0], chunk):
        block = thetas[start : start + chunk]
        losses[start : start + block.shape[0]] = per_sample_bce_signed(xa @ block.T, y).mean(dim=0)
    return losses
