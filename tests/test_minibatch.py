"""lrcore.fit_minibatch against the PyTorch way: DataLoader + nn.Linear + BCEWithLogitsLoss + SGD.

The reference below is the loop a student writes in the next lab, recording the parameters
after every step. Nothing in it calls lrcore: the shuffling is DataLoader's own, the gradient
autograd's, the update torch.optim.SGD's and the learning-rate schedules torch.optim.lr_scheduler's.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import lrcore
from lrcore.minibatch import _epoch_order

#: Step-for-step tolerance on the parameters: rounding differs (autograd sums the batch
#: gradient in another order), and SGD carries each difference into later steps.
TOLERANCE = {torch.float32: 5e-5, torch.float64: 1e-12}


def torch_sgd(x, y, w, b, learning_rate, num_epochs, batch_size, seed, *, l2=0.0, drop_last=False, scheduler=None):
    """The nn.Module loop; returns (weights (steps + 1, D, 1), biases (steps + 1, 1, 1))."""
    model = nn.Linear(x.shape[1], 1).to(x.dtype)
    with torch.no_grad():
        model.weight.copy_(w.T)
        model.bias.copy_(b.reshape(1))
    loader = DataLoader(
        TensorDataset(x, y),
        batch_size=batch_size,
        shuffle=True,
        drop_last=drop_last,
        generator=torch.Generator().manual_seed(seed),
    )
    # weight_decay on the weight only: lrcore's l2 does not penalise the bias.
    optimizer = torch.optim.SGD(
        [{"params": [model.weight], "weight_decay": l2}, {"params": [model.bias]}], lr=learning_rate
    )
    schedule = None if scheduler is None else scheduler(optimizer)
    loss_fn = nn.BCEWithLogitsLoss()
    weights, biases = [model.weight.detach().T.clone()], [model.bias.detach().reshape(1, 1).clone()]
    for _ in range(num_epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            weights.append(model.weight.detach().T.clone())
            biases.append(model.bias.detach().reshape(1, 1).clone())
        if schedule is not None:
            schedule.step()
    return torch.stack(weights), torch.stack(biases)


@pytest.fixture(scope="module")
def data(train64, val64):
    """The book's standardized training and validation splits and the seeded start, as a function of dtype."""

    def make(dtype):
        x, y = (t.to(dtype) for t in train64)
        xv, yv = (t.to(dtype) for t in val64)
        w = torch.randn(x.shape[1], 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(dtype)
        b = torch.zeros(1, 1, dtype=dtype)
        return x, y, w, b, xv, yv

    return make


def _max_diff(history, weights, biases):
    assert history.weights.shape == weights.shape and history.biases.shape == biases.shape
    return max(float((history.weights - weights).abs().max()), float((history.biases - biases).abs().max()))


# 341 training samples: 32 and 50 leave a last batch of 21 and 41, 1 is plain SGD, 341 full batch.
@pytest.mark.parametrize(
    ("batch_size", "drop_last", "num_epochs"),
    [(1, False, 2), (32, False, 6), (50, False, 6), (50, True, 6), (7, True, 3), (341, False, 5), (341, True, 5)],
)
def test_same_steps_as_dataloader_and_sgd(data, dtype, batch_size, drop_last, num_epochs):
    x, y, w, b, _, _ = data(dtype)
    history = lrcore.fit_minibatch(x, y, w, b, 0.3, num_epochs, batch_size, seed=123, drop_last=drop_last)
    weights, biases = torch_sgd(x, y, w, b, 0.3, num_epochs, batch_size, seed=123, drop_last=drop_last)
    steps_per_epoch = 341 // batch_size if drop_last else math.ceil(341 / batch_size)
    assert history.num_steps == num_epochs * steps_per_epoch == weights.shape[0] - 1
    assert history.weights.dtype == dtype
    assert _max_diff(history, weights, biases) < TOLERANCE[dtype]
    # Not trivially close: the parameters travelled far from the start.
    assert float((weights[-1] - w).abs().max()) > 0.5


def test_with_l2_as_weight_decay_on_the_weight(data, dtype):
    x, y, w, b, _, _ = data(dtype)
    history = lrcore.fit_minibatch(x, y, w, b, 0.3, 5, 32, seed=5, l2=0.05)
    weights, biases = torch_sgd(x, y, w, b, 0.3, 5, 32, seed=5, l2=0.05)
    assert _max_diff(history, weights, biases) < TOLERANCE[dtype]
    unpenalised = lrcore.fit_minibatch(x, y, w, b, 0.3, 5, 32, seed=5)
    assert float((unpenalised.w - history.w).abs().max()) > 0.1  # the penalty did something


@pytest.mark.parametrize(
    ("name", "scheduler", "factor"),
    [
        (
            "StepLR",
            lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
            lambda epoch: 0.5 ** (epoch // 2),
        ),
        (
            "CosineAnnealingLR",
            lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.003),
            lambda epoch: 0.01 + 0.99 * (1 + math.cos(math.pi * epoch / 6)) / 2,
        ),
        (
            "LambdaLR",
            lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (1 + epoch)),
            lambda epoch: 1 / (1 + epoch),
        ),
    ],
)
def test_schedule_against_torch_lr_scheduler(data, dtype, name, scheduler, factor):
    x, y, w, b, _, _ = data(dtype)
    history = lrcore.fit_minibatch(x, y, w, b, 0.3, 6, 50, seed=9, lr_schedule=factor)
    weights, biases = torch_sgd(x, y, w, b, 0.3, 6, 50, seed=9, scheduler=scheduler)
    assert _max_diff(history, weights, biases) < TOLERANCE[dtype], name
    constant = lrcore.fit_minibatch(x, y, w, b, 0.3, 6, 50, seed=9)
    assert float((constant.w - history.w).abs().max()) > 1e-3  # the schedule changed the steps


def test_batch_size_n_is_full_batch_fit_step_for_step(data, dtype):
    x, y, w, b, xv, yv = data(dtype)
    minibatch = lrcore.fit_minibatch(x, y, w, b, 0.3, 40, 341, seed=1, x_val=xv, y_val=yv, l2=1e-3)
    full = lrcore.fit(x, y, w, b, 0.3, 40, x_val=xv, y_val=yv, l2=1e-3)
    tol = TOLERANCE[dtype]
    assert torch.allclose(minibatch.weights, full.weights, rtol=0, atol=tol)
    assert torch.allclose(minibatch.biases, full.biases, rtol=0, atol=tol)
    assert torch.allclose(minibatch.train_loss, full.train_loss, rtol=0, atol=tol)
    assert torch.allclose(minibatch.val_loss, full.val_loss, rtol=0, atol=tol)


def test_losses_are_the_full_training_and_validation_losses(data):
    x, y, w, b, xv, yv = data(torch.float64)
    history = lrcore.fit_minibatch(x, y, w, b, 0.3, 3, 32, seed=2, x_val=xv, y_val=yv)
    assert history.train_loss.shape == history.val_loss.shape == (history.num_steps,)
    for k in (0, 1, 17, history.num_steps - 1):
        w_k, b_k = history.weights[k], history.biases[k]
        assert math.isclose(history.train_loss[k], F.binary_cross_entropy_with_logits(x @ w_k + b_k, y), abs_tol=1e-12)
        assert math.isclose(history.val_loss[k], F.binary_cross_entropy_with_logits(xv @ w_k + b_k, yv), abs_tol=1e-12)


def test_record_every_records_the_same_iterates(data):
    x, y, w, b, xv, yv = data(torch.float64)
    every = lrcore.fit_minibatch(x, y, w, b, 0.3, 4, 50, seed=3, x_val=xv, y_val=yv)
    sparse = lrcore.fit_minibatch(x, y, w, b, 0.3, 4, 50, seed=3, x_val=xv, y_val=yv, record_every=7)
    assert sparse.num_steps == every.num_steps == 28
    assert torch.equal(sparse.weights, every.weights[::7])
    assert torch.equal(sparse.biases, every.biases[::7])
    # The losses are evaluated in one batched product over the recorded iterates, whose sums
    # may round differently for another number of them.
    assert torch.allclose(sparse.train_loss, every.train_loss[::7], rtol=0, atol=1e-14)
    assert torch.allclose(sparse.val_loss, every.val_loss[::7], rtol=0, atol=1e-14)


@pytest.mark.parametrize("n", [1, 2, 10, 341])
def test_epoch_order_is_dataloaders(n):
    for batch_size, drop_last in [(1, False), (3, False), (3, True), (n, False), (n, True)]:
        if batch_size > n:
            continue
        loader = DataLoader(
            TensorDataset(torch.arange(n)),
            batch_size=batch_size,
            shuffle=True,
            drop_last=drop_last,
            generator=torch.Generator().manual_seed(42),
        )
        generator = torch.Generator().manual_seed(42)
        for epoch in range(5):
            seen = torch.cat([batch for (batch,) in loader])
            order = _epoch_order(generator, n)
            assert torch.equal(seen, order[: seen.shape[0]]), (batch_size, drop_last, epoch)


def test_same_seed_same_result_different_seed_different(data):
    x, y, w, b, _, _ = data(torch.float64)
    first = lrcore.fit_minibatch(x, y, w, b, 0.3, 2, 32, seed=11)
    again = lrcore.fit_minibatch(x, y, w, b, 0.3, 2, 32, seed=11)
    other = lrcore.fit_minibatch(x, y, w, b, 0.3, 2, 32, seed=12)
    assert torch.equal(first.weights, again.weights) and torch.equal(first.biases, again.biases)
    assert float((first.w - other.w).abs().max()) > 1e-3


def test_global_random_state_is_neither_used_nor_changed(data):
    x, y, w, b, _, _ = data(torch.float64)
    torch.manual_seed(0)
    state = torch.get_rng_state()
    first = lrcore.fit_minibatch(x, y, w, b, 0.3, 2, 32, seed=11)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(99)
    assert torch.equal(lrcore.fit_minibatch(x, y, w, b, 0.3, 2, 32, seed=11).weights, first.weights)


def test_inputs_are_not_modified(data, assert_pure):
    x, y, w, b, xv, yv = data(torch.float32)
    assert_pure(lrcore.fit_minibatch, x, y, w, b, 0.3, 2, 32, 0, x_val=xv, y_val=yv, l2=1e-3, drop_last=True)


def test_no_epochs_records_the_start(data):
    x, y, w, b, _, _ = data(torch.float64)
    history = lrcore.fit_minibatch(x, y, w, b, 0.3, 0, 32, seed=0)
    assert history.num_steps == 0 and history.train_loss.shape == (0,)
    assert torch.equal(history.w, w) and torch.equal(history.b, b)


def test_parameters_that_require_grad(data):
    x, y, w, b, _, _ = data(torch.float64)
    history = lrcore.fit_minibatch(x, y, nn.Parameter(w.clone()), nn.Parameter(b.clone()), 0.3, 1, 32, seed=0)
    assert not history.weights.requires_grad
    assert torch.equal(history.weights, lrcore.fit_minibatch(x, y, w, b, 0.3, 1, 32, seed=0).weights)


def test_divergence_warns(data):
    x, y, w, b, _, _ = data(torch.float32)
    with pytest.warns(lrcore.NonFiniteWarning, match="fit diverged|overflow"):
        lrcore.fit_minibatch(x * 1e18, y, w, b, 1e30, 2, 32, seed=0)


def _bad_schedule(epoch):
    return -1.0 if epoch == 2 else 1.0


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"batch_size": 0}, ValueError, r"batch_size must be >= 1, got 0"),
        ({"batch_size": 342}, ValueError, r"batch_size must be at most the number of samples n=341, got 342"),
        ({"batch_size": 32.0}, TypeError, r"batch_size must be an int, got float"),
        ({"batch_size": True}, TypeError, r"batch_size must be an int, got bool"),
        ({"num_epochs": -1}, ValueError, r"num_epochs must be >= 0, got -1"),
        ({"num_epochs": 2.5}, TypeError, r"num_epochs must be an int, got float"),
        ({"seed": -1}, ValueError, r"seed must be >= 0, got -1"),
        ({"seed": 2**64}, ValueError, r"seed must be < 2\*\*64 \(a torch.Generator seed\), got 18446744073709551616"),
        ({"seed": "0"}, TypeError, r"seed must be an int, got str"),
        ({"learning_rate": 0.0}, ValueError, r"learning_rate must be"),
        ({"learning_rate": "0.3"}, TypeError, r"learning_rate must be"),
        ({"l2": -1.0}, ValueError, r"l2 must be"),
        ({"drop_last": 1}, TypeError, r"drop_last must be"),
        ({"lr_schedule": 0.5}, TypeError, r"lr_schedule must be a callable epoch -> factor, got float"),
        ({"lr_schedule": _bad_schedule}, ValueError, r"lr_schedule\(2\) must be"),
        ({"lr_schedule": lambda epoch: "fast"}, TypeError, r"lr_schedule\(0\) must be"),
        ({"record_every": 0}, ValueError, r"record_every must be >= 1, got 0"),
        (
            {"record_every": 4},
            ValueError,
            r"record_every must divide the number of steps \(num_epochs \* steps_per_epoch = 33\)",
        ),
    ],
)
def test_bad_arguments_are_named(data, kwargs, exc, message):
    x, y, w, b, _, _ = data(torch.float64)
    args = {"learning_rate": 0.3, "num_epochs": 3, "batch_size": 32, "seed": 0} | kwargs
    with pytest.raises(exc, match=message):
        lrcore.fit_minibatch(x, y, w, b, **args)


def test_bad_tensors_are_named(data):
    x, y, w, b, xv, yv = data(torch.float64)
    with pytest.raises(ValueError, match="y must"):
        lrcore.fit_minibatch(x, y * 2, w, b, 0.3, 1, 32, 0)
    with pytest.raises(ValueError, match="x and y"):
        lrcore.fit_minibatch(x[:-1], y, w, b, 0.3, 1, 32, 0)
    with pytest.raises(TypeError, match="x and y must have the same dtype"):
        lrcore.fit_minibatch(x.float(), y, w, b, 0.3, 1, 32, 0)
    with pytest.raises(ValueError, match=r"^w "):
        lrcore.fit_minibatch(x, y, w[:-1], b, 0.3, 1, 32, 0)
    with pytest.raises(ValueError, match="x_val and y_val must be given together"):
        lrcore.fit_minibatch(x, y, w, b, 0.3, 1, 32, 0, x_val=xv)
    with pytest.raises(ValueError, match="x_val"):
        lrcore.fit_minibatch(x, y, w, b, 0.3, 1, 32, 0, x_val=xv[:, :3], y_val=yv)
    with pytest.raises(TypeError, match="x must"):
        lrcore.fit_minibatch(x.numpy(), y, w, b, 0.3, 1, 32, 0)


def test_learning_rate_times_schedule_must_fit_the_dtype(data):
    x, y, w, b, _, _ = data(torch.float32)
    with pytest.raises(ValueError, match=r"learning_rate \* lr_schedule\(0\)"):
        lrcore.fit_minibatch(x, y, w, b, 1e30, 1, 32, 0, lr_schedule=lambda epoch: 1e10)
