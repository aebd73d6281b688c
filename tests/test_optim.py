"""lrcore.optim against torch.autograd gradient descent and scikit-learn's LogisticRegression."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

import lrcore


def _bce(x, y, w, b):
    return F.binary_cross_entropy_with_logits(x @ w + b, y)


def _autograd_gradient(x, y, w, b, l2=0.0):
    w = w.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    objective = _bce(x, y, w, b) + 0.5 * l2 * (w**2).sum()
    return torch.autograd.grad(objective, (w, b))


def _autograd_descent(x, y, w, b, learning_rate, num_steps, l2=0.0):
    """Reference gradient descent written with torch.autograd: (weights, biases, losses)."""
    weights, biases, losses = [w], [b], []
    for _ in range(num_steps):
        losses.append(_bce(x, y, w, b))
        dw, db = _autograd_gradient(x, y, w, b, l2)
        w, b = w - learning_rate * dw, b - learning_rate * db
        weights.append(w)
        biases.append(b)
    return torch.stack(weights), torch.stack(biases), torch.stack(losses) if losses else torch.empty(0)


def _smoothness(x: torch.Tensor, l2: float = 0.0) -> float:
    """L = lambda_max([X, 1]^T [X, 1]) / (4 n) + l2 bounds the Hessian of the mean BCE (+ penalty)."""
    xa = torch.cat([x, torch.ones_like(x[:, :1])], dim=1).double()
    return torch.linalg.eigvalsh(xa.T @ xa).max().item() / (4 * x.shape[0]) + l2


def _sklearn(x: torch.Tensor, y: torch.Tensor, C: float) -> LogisticRegression:
    """LogisticRegression(C, tol=1e-10, max_iter=10000) on the same data, warnings handled explicitly."""
    with warnings.catch_warnings():
        # A ConvergenceWarning would make the reference worthless: fail on it.
        warnings.simplefilter("error", ConvergenceWarning)
        # penalty=None is deprecated since sklearn 1.8 and C=np.inf is its replacement; API
        # notices about either (none in sklearn 1.9.1) must not fail a numerical comparison.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return LogisticRegression(C=C, tol=1e-10, max_iter=10000).fit(x.numpy(), y.numpy().ravel().astype(int))


# ---------------------------------------------------------------------------- gradient_descent_step


@pytest.mark.parametrize("learning_rate", [1e-3, 0.1, 1.0, 3])
@pytest.mark.parametrize("seed", range(3))
def test_step_loss_before_update_and_autograd_update(make_problem, dtype, learning_rate, seed, assert_pure):
    p = make_problem(n=40, d=3, dtype=dtype, seed=seed)
    loss, w_new, b_new = assert_pure(lrcore.gradient_descent_step, p.x, p.y, p.w, p.b, learning_rate)
    assert loss.shape == () and w_new.shape == (3, 1) and b_new.shape == (1, 1)
    assert loss.dtype == w_new.dtype == b_new.dtype == dtype
    assert loss.device == w_new.device == b_new.device == p.x.device
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-13, "atol": 1e-13}
    # The loss is the one at the parameters passed in.
    torch.testing.assert_close(loss, _bce(p.x, p.y, p.w, p.b), **tol)
    dw, db = _autograd_gradient(p.x, p.y, p.w, p.b)
    torch.testing.assert_close(w_new, p.w - learning_rate * dw, **tol)
    torch.testing.assert_close(b_new, p.b - learning_rate * db, **tol)


def test_step_returns_new_tensors(make_problem):
    p = make_problem(n=10, d=2, seed=1)
    _, w_new, b_new = lrcore.gradient_descent_step(p.x, p.y, p.w, p.b, 0.5)
    assert w_new.data_ptr() != p.w.data_ptr() and b_new.data_ptr() != p.b.data_ptr()


# ---------------------------------------------------------------------------- fit: trajectory


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("learning_rate", [0.05, 1.0])
def test_fit_equals_repeated_steps_float64(make_problem, seed, learning_rate):
    p = make_problem(n=50, d=4, dtype=torch.float64, seed=seed)
    num_steps = 40
    history = lrcore.fit(p.x, p.y, p.w, p.b, learning_rate, num_steps)
    w, b = p.w, p.b
    for k in range(num_steps):
        torch.testing.assert_close(history.weights[k], w, rtol=0, atol=1e-12)
        torch.testing.assert_close(history.biases[k], b, rtol=0, atol=1e-12)
        loss, w, b = lrcore.gradient_descent_step(p.x, p.y, w, b, learning_rate)
        torch.testing.assert_close(history.train_loss[k], loss, rtol=0, atol=1e-12)
    torch.testing.assert_close(history.weights[-1], w, rtol=0, atol=1e-12)
    torch.testing.assert_close(history.biases[-1], b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("l2", [0.0, 0.01, 0.5])
def test_fit_equals_autograd_descent(make_problem, dtype, l2, assert_pure):
    p = make_problem(n=60, d=3, dtype=dtype, seed=4)
    learning_rate, num_steps = 0.5, 30
    history = assert_pure(lrcore.fit, p.x, p.y, p.w, p.b, learning_rate, num_steps, l2=l2)
    ref = _autograd_descent(p.x.double(), p.y.double(), p.w.double(), p.b.double(), learning_rate, num_steps, l2)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-12}
    for got, expected in zip((history.weights, history.biases, history.train_loss), ref, strict=True):
        assert got.dtype == dtype and got.device == p.x.device
        torch.testing.assert_close(got.double(), expected, **tol)


def test_fit_losses_recorded_before_each_update(make_problem):
    p = make_problem(n=30, d=2, dtype=torch.float64, seed=5)
    history = lrcore.fit(p.x, p.y, p.w, p.b, 0.3, 15, l2=0.1)
    assert history.train_loss.shape == (15,)
    # train_loss[k] is the plain mean BCE (no penalty) at weights[k], biases[k]: the k-th iterate.
    for k in range(15):
        expected = _bce(p.x, p.y, history.weights[k], history.biases[k])
        torch.testing.assert_close(history.train_loss[k], expected, rtol=0, atol=1e-13)
    torch.testing.assert_close(history.train_loss[0], _bce(p.x, p.y, p.w, p.b), rtol=0, atol=1e-13)


def test_fit_val_loss_at_every_iterate(make_problem, dtype, assert_pure):
    p = make_problem(n=40, d=3, dtype=dtype, seed=6)
    v = make_problem(n=17, d=3, dtype=dtype, seed=60)
    history = assert_pure(lrcore.fit, p.x, p.y, p.w, p.b, 0.4, 12, x_val=v.x, y_val=v.y)
    assert history.val_loss is not None
    assert history.val_loss.shape == (12,) and history.val_loss.dtype == dtype
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 0, "atol": 1e-13}
    for k in range(12):
        expected = F.binary_cross_entropy_with_logits(v.x @ history.weights[k] + history.biases[k], v.y)
        torch.testing.assert_close(history.val_loss[k], expected, **tol)
    # The validation data gives no gradient: the trajectory is the one without it.
    without = lrcore.fit(p.x, p.y, p.w, p.b, 0.4, 12)
    assert without.val_loss is None
    torch.testing.assert_close(history.weights, without.weights, rtol=0, atol=0)


def test_fit_zero_steps(make_problem, dtype):
    p = make_problem(n=10, d=3, dtype=dtype, seed=8)
    v = make_problem(n=5, d=3, dtype=dtype, seed=80)
    history = lrcore.fit(p.x, p.y, p.w, p.b, 0.1, 0, x_val=v.x, y_val=v.y)
    assert history.num_steps == 0
    assert history.train_loss.shape == (0,) and history.train_loss.dtype == dtype
    assert history.val_loss is not None and history.val_loss.shape == (0,)
    assert history.weights.shape == (1, 3, 1) and history.biases.shape == (1, 1, 1)
    torch.testing.assert_close(history.w, p.w, rtol=0, atol=0)
    torch.testing.assert_close(history.b, p.b, rtol=0, atol=0)


def test_history_properties(make_problem):
    p = make_problem(n=20, d=4, dtype=torch.float64, seed=9)
    history = lrcore.fit(p.x, p.y, p.w, p.b, 0.2, 7)
    assert isinstance(history, lrcore.History)
    assert history.num_steps == 7 and isinstance(history.num_steps, int)
    assert history.weights.shape == (8, 4, 1) and history.biases.shape == (8, 1, 1)
    assert history.train_loss.shape == (7,) and history.val_loss is None
    assert history.w.shape == (4, 1) and history.b.shape == (1, 1)
    assert torch.equal(history.w, history.weights[-1]) and torch.equal(history.b, history.biases[-1])
    assert torch.equal(history.weights[0], p.w) and torch.equal(history.biases[0], p.b)
    with pytest.raises(dataclasses.FrozenInstanceError):
        history.train_loss = torch.zeros(7)  # type: ignore[misc]


def test_fit_loss_decreases_with_safe_rate(train64):
    x, y = train64
    learning_rate = 1 / _smoothness(x)  # the descent lemma guarantees a monotone decrease
    history = lrcore.fit(
        x, y, torch.zeros(10, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64), learning_rate, 300
    )
    assert torch.all(history.train_loss[1:] <= history.train_loss[:-1] + 1e-15)
    assert history.train_loss[0].item() == pytest.approx(np.log(2), rel=1e-15)  # w = 0, b = 0: every s = 1/2


# ---------------------------------------------------------------------------- fit against sklearn


def test_fit_l2_reaches_sklearn_coefficients(train64):
    x, y = train64
    n = x.shape[0]
    C = 1.0
    l2 = 1 / (C * n)  # sklearn minimises C * sum(loss) + ||w||^2 / 2; divided by C n
    reference = _sklearn(x, y, C)
    learning_rate = 1 / _smoothness(x, l2)
    # 5000 steps at 1/L take the coefficients to ~1e-6 of sklearn's (measured: 2000 steps give 1.2e-3).
    history = lrcore.fit(
        x,
        y,
        torch.zeros(10, 1, dtype=torch.float64),
        torch.zeros(1, 1, dtype=torch.float64),
        learning_rate,
        5000,
        l2=l2,
    )
    np.testing.assert_allclose(history.w.numpy().ravel(), reference.coef_.ravel(), rtol=0, atol=1e-3)
    np.testing.assert_allclose(history.b.numpy().ravel(), reference.intercept_, rtol=0, atol=1e-3)


def test_fit_unpenalised_predictions_agree_with_sklearn(train64, test64):
    """l2 = 0 against LogisticRegression(C=inf).

    On the standardized features the unpenalised optimum sits in a valley whose Hessian has
    condition number ~4e4 (eigenvalues 3.5e-6 to 0.14, measured at sklearn's optimum), so
    gradient descent at 1/L (L = 1.38) needs millions of steps: after 200 000 steps one test
    prediction still differed (measured). The unpenalised maximum-likelihood fit is
    equivariant under an invertible linear change of the features, so we run lrcore on the
    *whitened* training
    features (X^T X / n = I, L = 1/4) and map the test features the same way: the predicted
    logits are those of the model on the standardized features, and converge in a few
    thousand steps.
    """
    x, y = train64
    x_test, _ = test64
    reference = _sklearn(x, y, np.inf)

    mean = x.mean(dim=0, keepdim=True)
    cov = (x - mean).T @ (x - mean) / x.shape[0]
    evals, evecs = torch.linalg.eigh(cov)
    whiten = evecs / evals.sqrt()
    xw, xw_test = (x - mean) @ whiten, (x_test - mean) @ whiten

    history = lrcore.fit(
        xw,
        y,
        torch.zeros(10, 1, dtype=torch.float64),
        torch.zeros(1, 1, dtype=torch.float64),
        1 / _smoothness(xw),
        5000,
    )
    logits = (xw_test @ history.w + history.b).numpy().ravel()
    ref_logits = reference.decision_function(x_test.numpy())
    np.testing.assert_allclose(logits, ref_logits, rtol=0, atol=1e-4)
    predictions = (torch.sigmoid(torch.from_numpy(logits)) >= 0.5).numpy().astype(int)
    np.testing.assert_array_equal(predictions, reference.predict(x_test.numpy()))


def test_fit_unpenalised_on_standardized_obeys_descent_rate(train64):
    # Directly on the standardized features, against sklearn's optimum (w*, b*): at step 1/L the
    # classical bound for convex L-smooth objectives is J(theta_k) - J* <= L ||theta_0 - theta*||^2 / (2 k),
    # and no iterate can beat J*.
    x, y = train64
    reference = _sklearn(x, y, np.inf)
    w_ref = torch.from_numpy(reference.coef_.T.copy())
    b_ref = torch.from_numpy(reference.intercept_.reshape(1, 1).copy())
    optimum = _bce(x, y, w_ref, b_ref).item()
    L = _smoothness(x)
    radius2 = (w_ref**2).sum().item() + (b_ref**2).sum().item()  # theta_0 = 0
    num_steps = 5000
    history = lrcore.fit(
        x, y, torch.zeros(10, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64), 1 / L, num_steps
    )
    losses = torch.cat([history.train_loss, _bce(x, y, history.w, history.b).reshape(1)])
    k = torch.arange(1, num_steps + 1, dtype=torch.float64)
    gaps = losses[1:] - optimum
    assert torch.all(gaps >= -1e-12)
    assert torch.all(gaps <= L * radius2 / (2 * k))
    assert torch.all(losses[1:] <= losses[:-1] + 1e-15)


# ---------------------------------------------------------------------------- fit with momentum


def _sgd_descent(x, y, w, b, learning_rate, num_steps, momentum, nesterov, l2=0.0):
    """Reference: torch.optim.SGD(momentum, nesterov) on the autograd objective; (weights, biases, losses)."""
    w = w.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    optimizer = torch.optim.SGD([w, b], lr=learning_rate, momentum=momentum, nesterov=nesterov)
    weights, biases, losses = [w.detach().clone()], [b.detach().clone()], []
    for _ in range(num_steps):
        optimizer.zero_grad()
        loss = _bce(x, y, w, b)
        losses.append(loss.detach())
        (loss + 0.5 * l2 * (w**2).sum()).backward()
        optimizer.step()
        weights.append(w.detach().clone())
        biases.append(b.detach().clone())
    return torch.stack(weights), torch.stack(biases), torch.stack(losses) if losses else torch.empty(0)


@pytest.mark.parametrize("nesterov", [False, True], ids=["heavy-ball", "nesterov"])
@pytest.mark.parametrize("momentum", [0.5, 0.9, 0.99])
@pytest.mark.parametrize("l2", [0.0, 0.1])
@pytest.mark.parametrize("seed", range(2))
def test_fit_momentum_equals_torch_sgd_float64(make_problem, momentum, nesterov, l2, seed, assert_pure):
    p = make_problem(n=60, d=4, dtype=torch.float64, seed=seed)
    learning_rate, num_steps = 0.5, 50
    history = assert_pure(
        lrcore.fit, p.x, p.y, p.w, p.b, learning_rate, num_steps, l2=l2, momentum=momentum, nesterov=nesterov
    )
    ref = _sgd_descent(p.x, p.y, p.w, p.b, learning_rate, num_steps, momentum, nesterov, l2)
    for got, expected in zip((history.weights, history.biases, history.train_loss), ref, strict=True):
        assert got.dtype == torch.float64 and got.device == p.x.device
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True], ids=["heavy-ball", "nesterov"])
def test_fit_momentum_float32_keeps_dtype(make_problem, nesterov, assert_pure):
    p = make_problem(n=40, d=3, dtype=torch.float32, seed=3)
    v = make_problem(n=15, d=3, dtype=torch.float32, seed=30)
    history = assert_pure(
        lrcore.fit, p.x, p.y, p.w, p.b, 0.3, 25, x_val=v.x, y_val=v.y, l2=0.05, momentum=0.8, nesterov=nesterov
    )
    ref = _sgd_descent(p.x.double(), p.y.double(), p.w.double(), p.b.double(), 0.3, 25, 0.8, nesterov, 0.05)
    for got, expected in zip((history.weights, history.biases, history.train_loss), ref, strict=True):
        assert got.dtype == torch.float32
        torch.testing.assert_close(got.double(), expected, rtol=1e-5, atol=1e-5)
    assert history.val_loss is not None and history.val_loss.dtype == torch.float32
    for k in (0, 12, 24):  # the validation loss is the one at the recorded iterate
        expected = F.binary_cross_entropy_with_logits(v.x @ history.weights[k] + history.biases[k], v.y)
        torch.testing.assert_close(history.val_loss[k], expected, rtol=1e-5, atol=1e-6)


def test_fit_momentum_first_step_is_a_gradient_step(make_problem):
    # The velocity starts at 0, so the first heavy-ball step is a plain gradient step; Nesterov's
    # first step moves along g + momentum * g.
    p = make_problem(n=30, d=2, dtype=torch.float64, seed=7)
    plain = lrcore.fit(p.x, p.y, p.w, p.b, 0.4, 1)
    heavy = lrcore.fit(p.x, p.y, p.w, p.b, 0.4, 1, momentum=0.9)
    torch.testing.assert_close(heavy.weights, plain.weights, rtol=0, atol=1e-15)
    nesterov = lrcore.fit(p.x, p.y, p.w, p.b, 0.4, 1, momentum=0.9, nesterov=True)
    dw, _ = _autograd_gradient(p.x, p.y, p.w, p.b)
    torch.testing.assert_close(nesterov.w, p.w - 0.4 * 1.9 * dw, rtol=0, atol=1e-15)


def test_fit_momentum_zero_is_plain_descent(make_problem):
    p = make_problem(n=30, d=3, dtype=torch.float64, seed=11)
    plain = lrcore.fit(p.x, p.y, p.w, p.b, 0.4, 20, l2=0.1)
    explicit = lrcore.fit(p.x, p.y, p.w, p.b, 0.4, 20, l2=0.1, momentum=0.0, nesterov=False)
    assert torch.equal(plain.weights, explicit.weights) and torch.equal(plain.biases, explicit.biases)


def test_fit_momentum_zero_steps(make_problem, dtype):
    p = make_problem(n=10, d=3, dtype=dtype, seed=8)
    history = lrcore.fit(p.x, p.y, p.w, p.b, 0.1, 0, momentum=0.9, nesterov=True)
    assert history.num_steps == 0 and history.train_loss.shape == (0,)
    assert torch.equal(history.w, p.w) and torch.equal(history.b, p.b)


def test_fit_momentum_speeds_up_the_ill_conditioned_valley(train64):
    # The standardized unpenalised problem: the Hessian at the optimum has eigenvalues 3.5e-6 to 0.14
    # (condition number ~4e4), and at 1/L (L = 1.38) plain descent contracts the slowest direction by
    # 1 - 2.5e-6 per step. Heavy-ball momentum 0.99 at the same learning rate gets to the optimum's
    # loss within 1e-4 (relative) in ~6 400 steps; plain descent needs ~645 000 (both measured).
    x, y = train64
    optimum = _bce(x, y, *(torch.from_numpy(a) for a in _sklearn_optimum(x, y))).item()
    zeros = torch.zeros(10, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    plain = lrcore.fit(x, y, *zeros, 1 / _smoothness(x), 10_000)
    heavy = lrcore.fit(x, y, *zeros, 1 / _smoothness(x), 10_000, momentum=0.99)
    nesterov = lrcore.fit(x, y, *zeros, 1 / _smoothness(x), 10_000, momentum=0.99, nesterov=True)
    assert (plain.train_loss[-1].item() - optimum) / optimum > 1e-3
    assert (heavy.train_loss[-1].item() - optimum) / optimum < 1e-4
    assert (nesterov.train_loss[-1].item() - optimum) / optimum < 1e-4


def _sklearn_optimum(x, y):
    reference = _sklearn(x, y, np.inf)
    return reference.coef_.T.copy(), reference.intercept_.reshape(1, 1).copy()
