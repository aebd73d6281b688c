"""lrcore.model against NumPy, SciPy's expit and torch.sigmoid."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

import lrcore


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("n", "d"), [(1, 1), (7, 3), (50, 10)])
def test_linear_against_numpy_and_F_linear(make_problem, dtype, seed, n, d, assert_pure):
    p = make_problem(n=n, d=d, dtype=dtype, seed=seed)
    z = assert_pure(lrcore.linear, p.x, p.w, p.b)
    assert z.shape == (n, 1) and z.dtype == dtype and z.device == p.x.device
    ref = p.x.double().numpy() @ p.w.double().numpy() + p.b.double().numpy()
    tol = 1e-5 if dtype == torch.float32 else 1e-13
    np.testing.assert_allclose(z.double().numpy(), ref, rtol=tol, atol=tol)
    torch.testing.assert_close(z, F.linear(p.x, p.w.T, p.b.reshape(1)))


def test_linear_known_values():
    # Docstring example: ones(2, 3) @ ones(3, 1) + 0 = 3 per row.
    z = lrcore.linear(torch.ones(2, 3), torch.ones(3, 1), torch.zeros(1, 1))
    assert z.tolist() == [[3.0], [3.0]]


@pytest.mark.parametrize("seed", range(3))
def test_logistic_regression_against_expit(make_problem, dtype, seed, assert_pure):
    p = make_problem(n=30, d=4, dtype=dtype, seed=seed)
    s = assert_pure(lrcore.logistic_regression, p.x, p.w, p.b)
    assert s.shape == (30, 1) and s.dtype == dtype and s.device == p.x.device
    ref = expit(p.x.double().numpy() @ p.w.double().numpy() + p.b.double().numpy())
    tol = 1e-6 if dtype == torch.float32 else 1e-14
    np.testing.assert_allclose(s.double().numpy(), ref, rtol=tol, atol=tol)
    assert ((s >= 0) & (s <= 1)).all()


@pytest.mark.parametrize("shape", [(), (5,), (4, 1), (2, 3, 4)])
def test_sigmoid_against_torch_sigmoid_any_shape(dtype, shape, assert_pure):
    z = (torch.randn(shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 10).to(dtype)
    s = assert_pure(lrcore.sigmoid, z)
    assert s.shape == z.shape and s.dtype == dtype and s.device == z.device
    torch.testing.assert_close(s, torch.sigmoid(z), rtol=0, atol=0)
    np.testing.assert_allclose(
        s.double().numpy(), expit(z.double().numpy()), rtol=1e-6 if dtype == torch.float32 else 1e-15
    )


def test_sigmoid_of_zero_is_half():
    assert lrcore.sigmoid(torch.tensor([0.0])).item() == 0.5


def test_sigmoid_extreme_inputs_finite_and_warning_free(dtype):
    finfo = torch.finfo(dtype)
    z = torch.tensor([finfo.min, -1e4, -745.0, -104.0, -40.0, 0.0, 40.0, 104.0, 745.0, 1e4, finfo.max], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = lrcore.sigmoid(z)
    assert torch.isfinite(s).all()
    assert ((s >= 0) & (s <= 1)).all()
    torch.testing.assert_close(s, torch.sigmoid(z), rtol=0, atol=0)
    # SciPy's expit in float64 is the reference; float32 agrees to its own resolution.
    ref = expit(z.double().numpy())
    np.testing.assert_allclose(s.double().numpy(), ref, rtol=1e-6 if dtype == torch.float32 else 1e-15, atol=finfo.tiny)
    assert s[0].item() == 0.0 and s[-1].item() == 1.0


def test_logistic_regression_extreme_logits_finite_and_warning_free(dtype):
    x = torch.tensor([[1e4], [-1e4], [0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = lrcore.logistic_regression(x, torch.ones(1, 1, dtype=dtype), torch.zeros(1, 1, dtype=dtype))
    assert s.tolist() == [[1.0], [0.0], [0.5]]


# ---------------------------------------------------------------------------- predict


@pytest.fixture(scope="module")
def sk_model(split) -> LogisticRegression:
    """sklearn's C = 1 model on the standardized training split, the reference for predict."""
    return LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(
        split.standardized("train"), split.y_train.to_numpy()
    )


def test_predict_equals_sklearn_predict(split, sk_model, dtype, assert_pure):
    model = sk_model
    x_test = torch.tensor(split.standardized("test"), dtype=dtype)
    w = torch.tensor(model.coef_.T, dtype=dtype)
    b = torch.tensor(model.intercept_.reshape(1, 1), dtype=dtype)
    # No test logit sits within rounding of the boundary, so float32 must agree too.
    assert np.abs(model.decision_function(split.standardized("test"))).min() > 1e-3
    pred = assert_pure(lrcore.predict, x_test, w, b)
    assert pred.shape == (len(x_test), 1) and pred.dtype == dtype and pred.device == x_test.device
    np.testing.assert_array_equal(pred.numpy().ravel(), model.predict(split.standardized("test")))
    assert set(pred.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7, 0.95])
def test_predict_threshold_against_predict_proba(split, sk_model, threshold):
    model = sk_model
    features = split.standardized("val")
    proba = model.predict_proba(features)[:, 1]
    assert np.abs(proba - threshold).min() > 1e-9  # no probability at the threshold itself
    pred = lrcore.predict(
        torch.tensor(features),
        torch.tensor(model.coef_.T),
        torch.tensor(model.intercept_.reshape(1, 1)),
        threshold=threshold,
    )
    np.testing.assert_array_equal(pred.numpy().ravel(), (proba >= threshold).astype(float))


def test_predict_at_the_threshold_is_positive():
    # Documented: 1 where P(y = 1 | x) >= threshold. z = 0 gives exactly 0.5.
    pred = lrcore.predict(torch.zeros(2, 1), torch.ones(1, 1), torch.zeros(1, 1), threshold=0.5)
    assert pred.tolist() == [[1.0], [1.0]]
