"""Minibatch stochastic gradient descent, step for step as PyTorch's ``DataLoader`` + ``SGD`` take it."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from lrcore._validation import (
    _show,
    check_bool,
    check_count,
    check_fits,
    check_labels,
    check_matrix,
    check_non_negative_number,
    check_params,
    check_positive_number,
    check_rate,
    check_same_dtype,
    check_same_rows,
)
from lrcore.optim import History, _check_history_memory, _losses_along, _step_views, _warn_if_diverged, _with_ones

#: Bytes of one epoch's rate in the schedule :func:`fit_minibatch` builds: a float and its pointer in a list.
_RATE_BYTES = 32


def fit_minibatch(
    x: Tensor,
    y: Tensor,
    w: Tensor,
    b: Tensor,
    learning_rate: float,
    num_epochs: int,
    batch_size: int,
    seed: int,
    x_val: Tensor | None = None,
    y_val: Tensor | None = None,
    l2: float = 0.0,
    drop_last: bool = False,
    lr_schedule: Callable[[int], float] | None = None,
    record_every: int = 1,
) -> History:
    """Run ``num_epochs`` epochs of minibatch SGD on the mean BCE and record every step.

    Each epoch shuffles the ``n`` samples and cuts them into batches of ``batch_size`` (the
    last one smaller when ``batch_size`` does not divide ``n``, or dropped with
    ``drop_last=True``); each batch gives one step against the gradient of the mean BCE *over
    that batch*, ``theta <- theta - rate * xa_B^T (s_B - y_B) / |B|`` with ``xa = [x, 1]``.
    The order is drawn from ``torch.Generator().manual_seed(seed)`` as
    ``DataLoader(TensorDataset(x, y), batch_size, shuffle=True, generator=...)`` draws it
    (see :func:`_epoch_order`), so with the same seed this takes the same steps as
    ``nn.Linear`` + ``nn.BCEWithLogitsLoss`` + ``torch.optim.SGD`` over that loader.

    Parameters
    ----------
    x : Tensor of shape (n, D)
    y : Tensor of shape (n, 1)
    w : Tensor of shape (D, 1)
        Initial weights (not modified).
    b : Tensor of shape (1, 1)
        Initial bias (not modified).
    learning_rate : float
        The rate of every step, times ``lr_schedule(epoch)`` if given.
    num_epochs : int
        ``>= 0`` passes over the data.
    batch_size : int
        In [1, n]. ``batch_size = n`` is full-batch gradient descent (:func:`lrcore.fit`).
    seed : int
        In [0, 2**64), the seed of the ``torch.Generator`` that shuffles.
    x_val : Tensor of shape (m, D), optional
    y_val : Tensor of shape (m, 1), optional
        Given together, their loss is recorded at every recorded step.
    l2 : float, default 0.0
        Strength of the penalty ``(l2 / 2) ||w||^2`` (the bias is not penalised), as
        ``torch.optim.SGD``'s ``weight_decay`` on the weight alone.
    drop_last : bool, default False
        Skip the last, smaller batch of each epoch, as ``DataLoader(drop_last=True)``.
    lr_schedule : callable, optional
        ``lr_schedule(epoch)`` for ``epoch = 0, 1, ...`` is the factor by which
        ``learning_rate`` is multiplied during that epoch (``torch.optim.lr_scheduler.LambdaLR``'s
        ``lr_lambda``, stepped once per epoch). A finite number > 0.
    record_every : int, default 1
        Record every ``record_every`` steps; a divisor of the number of steps.

    Returns
    -------
    History
        As :func:`lrcore.fit` returns it, one entry per *step*: there are
        ``num_epochs * steps_per_epoch`` steps, with ``steps_per_epoch = ceil(n / batch_size)``
        (``floor`` with ``drop_last``). ``train_loss`` is the mean BCE over the *whole*
        training set before each recorded step, not the batch's.

    Raises
    ------
    TypeError, ValueError
        For bad arguments (named), and a History above the memory budget, as :func:`lrcore.fit`.

    Warns
    -----
    NonFiniteWarning
        When the iteration diverges, as :func:`lrcore.fit`; its subclass
        :class:`lrcore.DivergenceWarning` when the loss rises far above its start, as there.
    """
    args = _check_fit_minibatch_args(
        x, y, w, b, learning_rate, num_epochs, batch_size, seed, x_val, y_val, l2, drop_last, lr_schedule, record_every
    )
    return _fit_minibatch(*args)


def _check_fit_minibatch_args(
    x, y, w, b, learning_rate, num_epochs, batch_size, seed, x_val, y_val, l2, drop_last, lr_schedule, record_every
) -> tuple:
    """:func:`fit_minibatch`'s arguments checked and detached, with each epoch's rate, for :func:`_fit_minibatch`."""
    x = check_matrix("x", x).detach()
    y = check_labels("y", y).detach()
    check_same_rows("x", x, "y", y)
    check_same_dtype("x", x, "y", y)
    w, b = (t.detach() for t in check_params(x, w, b))
    learning_rate = check_rate("learning_rate", check_positive_number("learning_rate", learning_rate), x.dtype)
    num_epochs = check_count("num_epochs", num_epochs)
    n = x.shape[0]
    batch_size = check_count("batch_size", batch_size, minimum=1)
    if batch_size > n:
        raise ValueError(f"batch_size must be at most the number of samples n={n}, got {_show(batch_size)}")
    seed = check_count("seed", seed)
    if seed >= 2**64:
        raise ValueError(f"seed must be < 2**64 (a torch.Generator seed), got {_show(seed)}")
    l2 = check_fits("l2", check_non_negative_number("l2", l2), x.dtype)
    drop_last = check_bool("drop_last", drop_last)
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(f"lr_schedule must be a callable epoch -> factor, got {type(lr_schedule).__name__}")
    if (x_val is None) != (y_val is None):
        raise ValueError("x_val and y_val must be given together, got only one of them")
    if x_val is not None:
        x_val = check_matrix("x_val", x_val, columns=x.shape[1]).detach()
        y_val = check_labels("y_val", y_val).detach()
        check_same_rows("x_val", x_val, "y_val", y_val)
        check_same_dtype("x", x, "x_val", x_val)
        check_same_dtype("x", x, "y_val", y_val)
    steps_per_epoch = n // batch_size if drop_last else math.ceil(n / batch_size)
    num_steps = num_epochs * steps_per_epoch
    record_every = check_count("record_every", record_every, minimum=1)
    if num_steps % record_every:
        raise ValueError(
            f"record_every must divide the number of steps (num_epochs * steps_per_epoch = {num_steps}) so that "
            f"the final parameters are recorded, got record_every={_show(record_every)}"
        )
    # Before the schedule is built: a list of num_epochs rates, 32 bytes each (a float and its pointer).
    _check_history_memory(
        x, num_steps, record_every, x_val,
        what=f"fit_minibatch for num_epochs={_show(num_epochs)} ({_show(num_steps)} steps of batch_size={batch_size})",
        extra=(_RATE_BYTES * num_epochs, f", its {_show(num_epochs)} rates (one per epoch)"),
    )
    rates = [learning_rate * _schedule_factor(lr_schedule, epoch) for epoch in range(num_epochs)]
    for epoch, rate in enumerate(rates):
        check_rate(f"learning_rate * lr_schedule({epoch})", rate, x.dtype)
        check_fits(f"learning_rate * lr_schedule({epoch}) * l2", rate * l2, x.dtype)
    return x, y, w, b, learning_rate, rates, batch_size, seed, x_val, y_val, l2, drop_last, record_every


def _fit_minibatch(
    x: Tensor, y: Tensor, w: Tensor, b: Tensor, learning_rate: float, rates: list[float], batch_size: int, seed: int,
    x_val: Tensor | None, y_val: Tensor | None, l2: float, drop_last: bool, record_every: int,
) -> History:
    """Minibatch SGD from ``(w, b)`` with rate ``rates[e]`` in epoch ``e``; the losses along the way.

    ``x`` (n, D), ``y`` (n, 1), ``w`` (D, 1), ``b`` (1, 1); ``x_val`` (m, D) and ``y_val``
    (m, 1), or None. ``train_loss`` is over the whole training set, not the batch.
    """
    theta0 = torch.cat([w, b]).reshape(-1)
    thetas = _sgd(x, y, theta0, rates, batch_size, seed, l2, drop_last, record_every)
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


def _schedule_factor(lr_schedule: Callable[[int], float] | None, epoch: int) -> float:
    """``lr_schedule(epoch)``, checked: a finite number > 0 (1 without a schedule)."""
    if lr_schedule is None:
        return 1.0
    return check_positive_number(f"lr_schedule({epoch})", lr_schedule(epoch))


def _epoch_order(generator: torch.Generator, n: int) -> Tensor:
    """The order in which one epoch visits the samples, drawn as ``DataLoader`` draws it.

    Each ``iter(loader)`` first draws a base seed for its worker processes from the loader's
    generator (even with no workers). Its ``RandomSampler`` then draws ``torch.randperm(n)``,
    the order, and once that is used up it draws one more permutation, of which it yields
    the first ``num_samples % n = 0`` entries: none, but the generator has moved. Every
    draw advances the generator, so all three are repeated here.
    """
    torch.empty((), dtype=torch.int64).random_(generator=generator)  # the worker base seed, unused
    order = torch.randperm(n, generator=generator)
    torch.randperm(n, generator=generator)  # the sampler's empty tail
    return order


def _sgd(
    x: Tensor, y: Tensor, theta0: Tensor, rates: list[float], batch_size: int, seed: int, l2: float, drop_last: bool,
    record_every: int,
) -> Tensor:
    """The minibatch iterates ``theta = [w; b]``, shape (num_steps // record_every + 1, D + 1).

    As in :func:`lrcore.optim._descend`, the loop is a few tensor calls per step: one gather
    per epoch puts the shuffled samples in a row, so that every batch is a slice of it.
    """
    n = x.shape[0]
    xa, labels = _with_ones(x), y.reshape(-1)
    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = n // batch_size if drop_last else math.ceil(n / batch_size)
    num_steps = len(rates) * steps_per_epoch
    residual = torch.empty(n, dtype=x.dtype, device=x.device)
    residuals = residual.split(batch_size)[:steps_per_epoch]  # views: sigmoid(xa_B theta) - y_B, per batch
    decay = torch.ones_like(theta0)

    thetas = torch.empty(num_steps // record_every + 1, theta0.shape[0], dtype=x.dtype, device=x.device)
    thetas[0] = theta0
    steps = _step_views(thetas, num_steps, record_every)
    for rate in rates:
        order = _epoch_order(generator, n).to(x.device)
        xa_batches = xa[order].split(batch_size)  # one gather, then views
        y_batches = labels[order].split(batch_size)
        decay[:-1] = 1 - rate * l2  # the gradient of (l2 / 2) ||w||^2, not on the bias
        for xa_b, y_b, r_b in zip(xa_batches, y_batches, residuals, strict=False):  # drop_last: residuals is shorter
            current, following = next(steps)
            torch.mv(xa_b, current, out=r_b)
            r_b.sigmoid_().sub_(y_b)
            if l2:
                torch.mul(current, decay, out=following)
                following.addmv_(xa_b.T, r_b, alpha=-rate / r_b.shape[0])
            else:
                torch.addmv(current, xa_b.T, r_b, alpha=-rate / r_b.shape[0], out=following)
    return thetas
