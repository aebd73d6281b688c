"""lrcore.fit_newton against scikit-learn's LogisticRegression and torch.autograd."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import lrcore
from lrcore.newton import _newton_step


def _objective(x, y, w, b, l2=0.0):
    return F.binary_cross_entropy_with_logits(x @ w + b, y) + 0.5 * l2 * (w**2).sum()


def _autograd_gradient(x, y, w, b, l2=0.0):
    w = w.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    return torch.autograd.grad(_objective(x, y, w, b, l2), (w, b))


def _sklearn(x, y, C, solver="lbfgs") -> LogisticRegression:
    """LogisticRegression(C, tol=1e-12, max_iter=10000) on the same data, warnings handled explicitly."""
    with warnings.catch_warnings():
        # A ConvergenceWarning would make the reference worthless: fail on it.
        warnings.simplefilter("error", SkConvergenceWarning)
        # penalty=None is deprecated since sklearn 1.8 and C=np.inf replaces it; sklearn 1.9.1 emits
        # nothing for C=np.inf (checked), and an API notice must not fail a numerical comparison.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        model = LogisticRegression(C=C, tol=1e-12, max_iter=10000, solver=solver)
        return model.fit(x.numpy(), y.numpy().ravel().astype(int))


def _zeros(d: int):
    return torch.zeros(d, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)


# ---------------------------------------------------------------------------- the book's split, l2 = 0


def test_unpenalised_on_book_split(train64, assert_pure):
    x, y = train64
    w, b, history = assert_pure(lrcore.fit_newton, x, y)
    assert w.shape == (10, 1) and b.shape == (1, 1)
    assert w.dtype == b.dtype == torch.float64 and w.device == x.device
    assert history.converged and history.num_iter <= 15
    assert history.num_iter == 9  # measured; gradient descent at 1/L needs millions of steps here
    assert history.grad_norm[-1] < 1e-10
    # The gradient at the returned point, by autograd, is zero.
    dw, db = _autograd_gradient(x, y, w, b)
    assert torch.cat([dw, db]).abs().max() < 1e-10


def test_unpenalised_matches_sklearn_newton_solvers(train64):
    """C=np.inf against sklearn's two Newton solvers, which reach the optimum to ~1e-11 (measured)."""
    x, y = train64
    w, b, _ = lrcore.fit_newton(x, y)
    for solver in ("newton-cholesky", "newton-cg"):
        reference = _sklearn(x, y, np.inf, solver)
        np.testing.assert_allclose(w.numpy().ravel(), reference.coef_.ravel(), rtol=0, atol=1e-6, err_msg=solver)
        np.testing.assert_allclose(b.numpy().ravel(), reference.intercept_, rtol=0, atol=1e-6, err_msg=solver)


def test_unpenalised_against_sklearn_default_lbfgs(train64, test64):
    """C=np.inf against the default lbfgs solver: same model, coefficients only to ~1e-5.

    lbfgs stops when the loss changes by less than 64 machine epsilons (its ftol) before the
    gradient reaches tol=1e-12. Along the Hessian's flattest direction (eigenvalue 3.5e-6)
    a loss change of 1e-14 moves the coefficients by sqrt(2e-14 / 3.5e-6) ~ 1e-4: lbfgs ends
    6.6e-6 from the optimum (measured), Newton at 1e-8 (gradient 2e-14 / 3.5e-6). The
    probabilities and the loss agree far more closely, and Newton's loss is never higher.
    """
    x, y = train64
    x_test, _ = test64
    reference = _sklearn(x, y, np.inf)
    w, b, history = lrcore.fit_newton(x, y)
    np.testing.assert_allclose(w.numpy().ravel(), reference.coef_.ravel(), rtol=0, atol=2e-5)
    np.testing.assert_allclose(b.numpy().ravel(), reference.intercept_, rtol=0, atol=2e-5)
    probabilities = torch.sigmoid(x_test @ w + b).numpy().ravel()
    np.testing.assert_allclose(probabilities, reference.predict_proba(x_test.numpy())[:, 1], rtol=0, atol=1e-6)
    w_ref = torch.from_numpy(reference.coef_.T.copy())
    b_ref = torch.from_numpy(reference.intercept_.reshape(1, 1).copy())
    assert history.loss[-1].item() <= _objective(x, y, w_ref, b_ref).item() + 1e-15


# ---------------------------------------------------------------------------- l2 = 1 / (C n)


@pytest.mark.parametrize("C", [0.01, 0.1, 1.0, 100.0])
def test_penalised_matches_sklearn(train64, C):
    x, y = train64
    l2 = 1 / (C * x.shape[0])  # sklearn minimises C * sum(loss) + ||w||^2 / 2; divided by C n
    w, b, history = lrcore.fit_newton(x, y, l2=l2)
    assert history.converged and history.num_iter <= 15
    reference = _sklearn(x, y, C, "newton-cholesky")
    np.testing.assert_allclose(w.numpy().ravel(), reference.coef_.ravel(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(b.numpy().ravel(), reference.intercept_, rtol=0, atol=1e-6)
    # The default lbfgs stops on its loss tolerance up to 1e-5 away (see the unpenalised test).
    lbfgs = _sklearn(x, y, C)
    np.testing.assert_allclose(w.numpy().ravel(), lbfgs.coef_.ravel(), rtol=0, atol=2e-5)
    dw, db = _autograd_gradient(x, y, w, b, l2)
    assert torch.cat([dw, db]).abs().max() < 1e-10


@pytest.mark.parametrize("l2", [0.0, 1e-3, 0.5])
@pytest.mark.parametrize("seed", range(4))
def test_random_problems_gradient_zero_and_history(make_problem, l2, seed, assert_pure):
    p = make_problem(n=80, d=4, dtype=torch.float64, seed=seed)
    w, b, history = assert_pure(lrcore.fit_newton, p.x, p.y, l2=l2)
    dw, db = _autograd_gradient(p.x, p.y, w, b, l2)
    assert torch.cat([dw, db]).abs().max() < 1e-10
    k = history.num_iter
    assert history.weights.shape == (k + 1, 4, 1) and history.biases.shape == (k + 1, 1, 1)
    assert history.loss.shape == history.grad_norm.shape == (k + 1,)
    assert torch.equal(history.weights[0], torch.zeros(4, 1, dtype=torch.float64))
    assert torch.equal(history.biases[0], torch.zeros(1, 1, dtype=torch.float64))
    assert torch.equal(history.w, w) and torch.equal(history.b, b)
    for i in range(k + 1):  # the recorded loss is the objective, the gradient's max-abs is autograd's
        wi, bi = history.weights[i], history.biases[i]
        torch.testing.assert_close(history.loss[i], _objective(p.x, p.y, wi, bi, l2), rtol=0, atol=1e-14)
        expected = torch.cat(_autograd_gradient(p.x, p.y, wi, bi, l2)).abs().max()
        torch.testing.assert_close(history.grad_norm[i], expected, rtol=1e-12, atol=1e-16)
    assert torch.all(history.loss[1:] <= history.loss[:-1] + 1e-15)
    assert torch.all(history.grad_norm[:-1] >= 1e-10) and history.grad_norm[-1] < 1e-10


def test_full_newton_steps_from_zero(make_problem):
    # From zero, every step is the full Newton step theta - H^-1 g (no damping was needed).
    p = make_problem(n=50, d=3, dtype=torch.float64, seed=2)
    _, _, history = lrcore.fit_newton(p.x, p.y, l2=0.01)
    for i in range(history.num_iter):
        w, b = history.weights[i], history.biases[i]
        theta = torch.cat([w, b]).reshape(-1)
        hessian = torch.autograd.functional.hessian(
            lambda t: _objective(p.x, p.y, t[:3].reshape(3, 1), t[3:].reshape(1, 1), 0.01), theta
        )
        gradient = torch.cat(_autograd_gradient(p.x, p.y, w, b, 0.01)).reshape(-1)
        expected = theta - torch.linalg.solve(hessian, gradient)
        got = torch.cat([history.weights[i + 1], history.biases[i + 1]]).reshape(-1)
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


def test_quadratic_convergence(train64):
    # Near the optimum the number of correct digits doubles: g_{k+1} <= C g_k^2 (C ~ 70 here, measured).
    x, y = train64
    _, _, history = lrcore.fit_newton(x, y, l2=1e-3)
    g = history.grad_norm
    assert torch.all(g[-2:] <= 100 * g[-3:-1] ** 2)


def test_damped_step_never_raises_the_objective(make_problem):
    # Far from the optimum (saturated logits) the full Newton step overshoots; the step is
    # halved until the objective does not increase.
    p = make_problem(n=40, d=2, dtype=torch.float64, seed=1)
    xa = torch.cat([p.x, torch.ones_like(p.x[:, :1])], dim=1)
    labels, penalty = p.y.reshape(-1), torch.zeros(3, dtype=torch.float64)
    theta = torch.tensor([-8.0, 6.0, 5.0], dtype=torch.float64)
    z = xa @ theta
    loss = F.binary_cross_entropy_with_logits(z, labels)
    grad = xa.T @ (torch.sigmoid(z) - labels) / 40
    curvature = torch.sigmoid(z) * torch.sigmoid(-z)
    full = theta - torch.linalg.solve((xa.T * curvature) @ xa / 40, grad)
    assert F.binary_cross_entropy_with_logits(xa @ full, labels) > loss  # the undamped step overshoots
    damped = _newton_step(xa, labels, theta, z, grad, loss, penalty)
    assert F.binary_cross_entropy_with_logits(xa @ damped, labels) < loss
    # ... and fit_newton from zero still reaches the optimum of this problem.
    w, b, _ = lrcore.fit_newton(p.x, p.y)
    assert torch.cat(_autograd_gradient(p.x, p.y, w, b)).abs().max() < 1e-10


def test_float32_keeps_dtype_and_warns_at_default_tol(train64):
    x, y = (t.float() for t in train64)
    with pytest.warns(lrcore.ConvergenceWarning, match="max_iter=50"):
        w, b, history = lrcore.fit_newton(x, y)
    assert not history.converged and history.num_iter == 50
    assert w.dtype == b.dtype == history.loss.dtype == history.grad_norm.dtype == torch.float32
    w, b, history = lrcore.fit_newton(x, y, tol=1e-5)
    assert history.converged
    w64, b64, _ = lrcore.fit_newton(*train64)
    torch.testing.assert_close(w.double(), w64, rtol=0, atol=1e-3)


def test_max_iter_reached_warns(train64):
    x, y = train64
    with pytest.warns(lrcore.ConvergenceWarning, match="stopped after max_iter=3 steps"):
        w, b, history = lrcore.fit_newton(x, y, max_iter=3)
    assert history.num_iter == 3 and not history.converged and history.grad_norm[-1] >= 1e-10
    assert torch.equal(w, history.weights[3])
    with pytest.warns(lrcore.ConvergenceWarning):
        _, _, history = lrcore.fit_newton(x, y, max_iter=0)
    assert history.num_iter == 0 and history.loss[0].item() == pytest.approx(np.log(2), rel=1e-15)


def test_loose_tol_stops_early(train64):
    x, y = train64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, history = lrcore.fit_newton(x, y, tol=1e-3)
    assert history.converged and history.num_iter == 6  # grad_norm 1.9e-3 after 5 steps, 3.0e-4 after 6
    assert history.grad_norm[-1] < 1e-3 <= history.grad_norm[-2]


def test_newton_history_is_frozen(train64):
    _, _, history = lrcore.fit_newton(*train64)
    assert isinstance(history, lrcore.NewtonHistory)
    assert isinstance(history.num_iter, int) and isinstance(history.converged, bool)
    with pytest.raises(dataclasses.FrozenInstanceError):
        history.loss = torch.zeros(3)  # type: ignore[misc]


# ---------------------------------------------------------------------------- no optimum


@pytest.fixture(scope="module")
def all_features64():
    """The book's split with all 30 features, standardized with the training statistics (sklearn only)."""
    bunch = load_breast_cancer()
    y = 1 - bunch.target
    X_rest, _, y_rest, _ = train_test_split(bunch.data, y, test_size=0.2, random_state=0, stratify=y)
    X_train, _, y_train, _ = train_test_split(X_rest, y_rest, test_size=0.25, random_state=0, stratify=y_rest)
    x = torch.tensor(StandardScaler().fit_transform(X_train), dtype=torch.float64)
    return x, torch.tensor(y_train, dtype=torch.float64).reshape(-1, 1)


def test_separable_30_features_raise(all_features64):
    x, y = all_features64
    assert x.shape == (341, 30)
    with pytest.raises(ValueError, match=r"^x and y are linearly separable: after 7 Newton steps") as info:
        lrcore.fit_newton(x, y)
    assert "pass l2 > 0" in str(info.value)
    # Any penalty restores a unique optimum.
    w, b, history = lrcore.fit_newton(x, y, l2=1e-3)
    assert history.converged
    assert torch.cat(_autograd_gradient(x, y, w, b, 1e-3)).abs().max() < 1e-10


def test_separable_toy_raises_before_weights_grow():
    x = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]], dtype=torch.float64)
    y = torch.tensor([[0.0], [0.0], [1.0], [1.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match="linearly separable"):
        lrcore.fit_newton(x, y)
    w, _, _ = lrcore.fit_newton(x, y, l2=0.1)
    assert 0 < w.item() < 10


@pytest.mark.parametrize(
    "make_x",
    [
        lambda x: torch.cat([x, x[:, :1]], dim=1),  # duplicated feature
        lambda x: torch.cat([x, torch.full_like(x[:, :1], 3.0)], dim=1),  # constant feature, like the bias
        lambda x: torch.cat([x, 2 * x[:, :1] - x[:, 1:2]], dim=1),  # a combination of two others
    ],
    ids=["duplicated", "constant", "combination"],
)
def test_dependent_columns_raise_without_penalty(make_problem, make_x):
    p = make_problem(n=60, d=3, dtype=torch.float64, seed=5)
    x = make_x(p.x)
    with pytest.raises(ValueError, match=r"^the columns of \[x, 1\] must be linearly independent when l2 = 0"):
        lrcore.fit_newton(x, p.y)
    w, b, history = lrcore.fit_newton(x, p.y, l2=0.01)  # the penalty makes the optimum unique
    assert history.converged
    assert torch.cat(_autograd_gradient(x, p.y, w, b, 0.01)).abs().max() < 1e-10


def test_singular_hessian_raises_value_error(make_problem, monkeypatch):
    def singular(*args, **kwargs):
        raise torch.linalg.LinAlgError("linalg.solve: The solver failed because the input matrix is singular.")

    p = make_problem(n=30, d=2, dtype=torch.float64, seed=0)
    monkeypatch.setattr(torch.linalg, "solve", singular)
    with pytest.raises(ValueError, match="^the Hessian became singular"):
        lrcore.fit_newton(p.x, p.y)
