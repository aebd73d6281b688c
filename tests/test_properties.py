"""Property-based tests of lrcore's contract, with hypothesis.

Two kinds of property, for every public function:

* generated VALID inputs give what an independent reference gives: torch.nn.functional,
  torch.autograd, numpy in float64 or scikit-learn;
* generated INVALID inputs (one argument broken: wrong type, dtype or shape, a NaN or inf,
  labels that are not 0/1, a bad number) raise ``TypeError`` or ``ValueError`` whose message
  names that argument, and nothing else escapes. Inputs that are unusual but allowed (a tensor
  that requires grad, a non-contiguous one) give the same values as the plain tensor.

The profile comes from ``HYPOTHESIS_PROFILE`` (see ``tests/conftest.py``): ``ci`` by default,
derandomized and bounded so that ``make unit`` is deterministic and fast; ``fuzz`` for
``make fuzz``, many more examples with fresh randomness.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sklearn.metrics as skm
import torch
import torch.nn.functional as F
from hypothesis import assume, example, given
from hypothesis import strategies as st
from sklearn.preprocessing import StandardScaler

import lrcore

DTYPES = st.sampled_from([torch.float32, torch.float64])
SEEDS = st.integers(0, 2**31 - 1)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _labels(n: int, g: torch.Generator, dtype=torch.float64) -> torch.Tensor:
    y = torch.randint(0, 2, (n, 1), generator=g).to(dtype)
    y[0], y[-1] = 0.0, 1.0  # both classes present
    return y


# ============================================================================ valid inputs


@given(seed=SEEDS, n=st.integers(2, 30), d=st.integers(1, 5), scale=st.floats(1e-3, 1e3), dtype=DTYPES)
def test_linear_and_model_against_float64(seed, n, d, scale, dtype):
    g = _gen(seed)
    x = (torch.randn(n, d, generator=g, dtype=torch.float64) * scale).to(dtype)
    w = torch.randn(d, 1, generator=g, dtype=torch.float64).to(dtype)
    b = torch.randn(1, 1, generator=g, dtype=torch.float64).to(dtype)
    z = lrcore.linear(x, w, b)
    reference = x.double() @ w.double() + b.double()
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(z.double(), reference, rtol=tol, atol=tol * scale * d)
    p = lrcore.logistic_regression(x, w, b)
    torch.testing.assert_close(p.double(), torch.sigmoid(reference), rtol=tol, atol=tol * scale * d)
    threshold = float(torch.rand(1, generator=g).clamp(0.01, 0.99))
    labels = lrcore.predict(x, w, b, threshold)
    assert set(labels.unique().tolist()) <= {0.0, 1.0} and labels.dtype == dtype
    assert torch.equal(labels, (p >= threshold).to(dtype))


@given(z=st.lists(st.floats(-700, 700), min_size=1, max_size=20))
def test_sigmoid_against_numpy(z):
    got = lrcore.sigmoid(torch.tensor(z, dtype=torch.float64))
    z = np.array(z)
    # The textbook form, on the side where exp cannot overflow: exp(z) / (1 + exp(z)) for z < 0.
    reference = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
    # torch's vectorised float64 sigmoid is off by up to about 1.5e-12 (z = -11): within 1e-11.
    np.testing.assert_allclose(got.numpy(), reference, rtol=1e-11, atol=1e-300)


@given(seed=SEEDS, n=st.integers(1, 30), scale=st.floats(1e-3, 1e4), dtype=DTYPES)
def test_bce_with_logits_against_torch(seed, n, scale, dtype):
    g = _gen(seed)
    z = (torch.randn(n, 1, generator=g, dtype=torch.float64) * scale).to(dtype)
    y = torch.randint(0, 2, (n, 1), generator=g).to(dtype)
    got = lrcore.binary_cross_entropy_with_logits(z, y)
    reference = F.binary_cross_entropy_with_logits(z.double(), y.double())
    assert torch.isfinite(got) and got >= 0
    torch.testing.assert_close(got.double(), reference, rtol=1e-5 if dtype == torch.float32 else 1e-12, atol=1e-7)


@given(seed=SEEDS, n=st.integers(1, 30), dtype=DTYPES)
def test_bce_on_probabilities_against_torch(seed, n, dtype):
    g = _gen(seed)
    s = torch.rand(n, 1, generator=g, dtype=torch.float64).clamp(1e-6, 1 - 1e-6).to(dtype)
    y = torch.randint(0, 2, (n, 1), generator=g).to(dtype)
    got = lrcore.binary_cross_entropy(s, y)
    torch.testing.assert_close(got.double(), F.binary_cross_entropy(s.double(), y.double()), rtol=1e-5, atol=1e-6)


@given(seed=SEEDS, n=st.integers(1, 30), d=st.integers(1, 5), scale=st.floats(1e-2, 30.0))
def test_gradients_against_autograd(seed, n, d, scale):
    g = _gen(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    w = (torch.randn(d, 1, generator=g, dtype=torch.float64) * scale).requires_grad_()
    b = torch.randn(1, 1, generator=g, dtype=torch.float64).requires_grad_()
    y = torch.randint(0, 2, (n, 1), generator=g).double()
    F.binary_cross_entropy_with_logits(x @ w + b, y).backward()
    s = torch.sigmoid(x @ w.detach() + b.detach())
    for fn in (lrcore.compute_gradients, lrcore.compute_gradients_chain_rule):
        dw, db = fn(x, s, y)
        torch.testing.assert_close(dw, w.grad, rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(db, b.grad, rtol=1e-9, atol=1e-12)


@given(
    s=st.lists(st.floats(0, 1), min_size=1, max_size=12),
    labels=st.lists(st.sampled_from([0.0, 1.0]), min_size=12, max_size=12),
    dtype=DTYPES,
)
@example(s=[1.0], labels=[0.0] * 12, dtype=torch.float32)  # sure and wrong: the NaN
@example(s=[1e-40], labels=[1.0] * 12, dtype=torch.float32)  # dJ/ds overflows
@example(s=[0.0, 1.0], labels=[1.0, 0.0] + [0.0] * 10, dtype=torch.float64)
def test_chain_rule_multiplies_to_the_closed_form(s, labels, dtype):
    # Property of #14: wherever the closed form is finite (everywhere), the chain rule equals it.
    y_pred = torch.tensor(s, dtype=dtype).reshape(-1, 1)
    y_true = torch.tensor(labels[: len(s)], dtype=dtype).reshape(-1, 1)
    x = torch.linspace(-2, 3, len(s), dtype=dtype).reshape(-1, 1)
    chain = lrcore.compute_gradients_chain_rule(x, y_pred, y_true)
    closed = lrcore.compute_gradients(x, y_pred, y_true)
    for got, want in zip(chain, closed, strict=True):
        assert torch.isfinite(got).all()
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


@given(seed=SEEDS, n=st.integers(1, 20))
def test_chain_rule_factors_against_autograd(seed, n):
    g = _gen(seed)
    s = torch.rand(n, 1, generator=g, dtype=torch.float64).clamp(1e-6, 1 - 1e-6).requires_grad_()
    y = torch.randint(0, 2, (n, 1), generator=g).double()
    per_sample = -(y * torch.log(s) + (1 - y) * torch.log1p(-s))
    (expected,) = torch.autograd.grad(per_sample.sum(), s)
    torch.testing.assert_close(lrcore.dJi_dS(s.detach(), y), expected)
    z = torch.logit(s.detach()).requires_grad_()
    (ds_dz,) = torch.autograd.grad(torch.sigmoid(z).sum(), z)
    torch.testing.assert_close(lrcore.dS_dZ(torch.sigmoid(z.detach())), ds_dz)


@given(seed=SEEDS, n=st.integers(1, 30), d=st.integers(1, 4), log_scale=st.floats(-8, 30), log_shift=st.floats(-8, 30))
def test_standardizer_against_standard_scaler(seed, n, d, log_scale, log_shift):
    g = _gen(seed)
    x64 = torch.randn(n, d, generator=g, dtype=torch.float64) * 10**log_scale + 10**log_shift
    for dtype in (torch.float32, torch.float64):
        x = x64.to(dtype)
        assume(torch.isfinite(x).all())
        mean, std = lrcore.fit_standardizer(x)
        scaler = StandardScaler().fit(x.double().numpy())  # float64 statistics of the same numbers
        rtol = 2e-7 if dtype == torch.float32 else 1e-9
        np.testing.assert_allclose(mean.double().numpy().ravel(), scaler.mean_, rtol=rtol, atol=0)
        np.testing.assert_allclose(std.double().numpy().ravel(), scaler.scale_, rtol=rtol)
        assert (std > 0).all() and torch.isfinite(std).all()
        standardized = lrcore.standardize(x, mean, std)
        torch.testing.assert_close(standardized, (x - mean) / std)


@given(seed=SEEDS, n=st.integers(2, 20), d=st.integers(1, 3), steps=st.integers(0, 12), l2=st.sampled_from([0.0, 0.1]))
def test_fit_against_autograd_descent(seed, n, d, steps, l2):
    g = _gen(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = _labels(n, g)
    w = torch.randn(d, 1, generator=g, dtype=torch.float64)
    b = torch.zeros(1, 1, dtype=torch.float64)
    history = lrcore.fit(x, y, w, b, 0.3, steps, l2=l2)
    w_ref, b_ref = w.clone(), b.clone()
    for k in range(steps):
        wk, bk = w_ref.clone().requires_grad_(), b_ref.clone().requires_grad_()
        loss = F.binary_cross_entropy_with_logits(x @ wk + bk, y)
        torch.testing.assert_close(history.train_loss[k], loss.detach())
        (loss + 0.5 * l2 * (wk**2).sum()).backward()
        w_ref, b_ref = w_ref - 0.3 * wk.grad, b_ref - 0.3 * bk.grad
    torch.testing.assert_close(history.w, w_ref)
    torch.testing.assert_close(history.b, b_ref)


@given(seed=SEEDS, n=st.integers(5, 40), d=st.integers(1, 3), l2=st.floats(1e-3, 1.0))
def test_fit_newton_reaches_a_zero_gradient(seed, n, d, l2):
    g = _gen(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = _labels(n, g)
    w, b, history = lrcore.fit_newton(x, y, l2=l2)
    # Independent check: autograd's gradient of the penalised objective at the result.
    w, b = w.clone().requires_grad_(), b.clone().requires_grad_()
    objective = F.binary_cross_entropy_with_logits(x @ w + b, y) + 0.5 * l2 * (w**2).sum()
    objective.backward()
    assert history.converged
    assert max(w.grad.abs().max().item(), b.grad.abs().max().item()) < 1e-9


@given(
    pred=st.lists(st.sampled_from([0, 1]), min_size=1, max_size=40),
    true=st.lists(st.sampled_from([0, 1]), min_size=40, max_size=40),
)
def test_metrics_against_sklearn(pred, true):
    true = true[: len(pred)]
    y_pred, y_true = torch.tensor(pred).reshape(-1, 1), torch.tensor(true).reshape(-1, 1)
    expected_cm = skm.confusion_matrix(true, pred, labels=[0, 1])
    np.testing.assert_array_equal(lrcore.confusion_matrix(y_pred, y_true).numpy(), expected_cm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lrcore.UndefinedMetricWarning)
        got = lrcore.compute_metrics(y_pred, y_true)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(true, pred))
    assert got["precision"] == pytest.approx(skm.precision_score(true, pred, zero_division=0))
    assert got["recall"] == pytest.approx(skm.recall_score(true, pred, zero_division=0))
    assert got["f1"] == pytest.approx(skm.f1_score(true, pred, zero_division=0))


@given(seed=SEEDS, n=st.integers(2, 40), ties=st.integers(1, 8), dtype=DTYPES)
def test_curves_against_sklearn(seed, n, ties, dtype):
    g = _gen(seed)
    scores = torch.randint(0, ties + 1, (n, 1), generator=g).to(dtype) / ties  # with ties
    y = _labels(n, g, torch.int64)
    fpr, tpr, thresholds = lrcore.roc_curve(scores, y)
    fpr_ref, tpr_ref, thr_ref = skm.roc_curve(y.numpy().ravel(), scores.double().numpy().ravel())
    np.testing.assert_allclose(fpr.numpy(), fpr_ref, rtol=1e-6)
    np.testing.assert_allclose(tpr.numpy(), tpr_ref, rtol=1e-6)
    np.testing.assert_allclose(thresholds.numpy(), thr_ref, rtol=1e-6)
    precision, recall, thr = lrcore.precision_recall_curve(scores, y)
    p_ref, r_ref, t_ref = skm.precision_recall_curve(y.numpy().ravel(), scores.double().numpy().ravel())
    np.testing.assert_allclose(precision.numpy(), p_ref, rtol=1e-6)
    np.testing.assert_allclose(recall.numpy(), r_ref, rtol=1e-6)
    np.testing.assert_allclose(thr.numpy(), t_ref, rtol=1e-6)
    assert lrcore.auc(fpr, tpr) == pytest.approx(skm.roc_auc_score(y.numpy().ravel(), scores.numpy().ravel()))


@given(
    xs=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=20),
    ys=st.lists(st.floats(-1e6, 1e6), min_size=20, max_size=20),
)
def test_auc_against_sklearn(xs, ys):
    x = np.sort(np.array(xs))
    y = np.array(ys[: len(xs)])
    got = lrcore.auc(torch.tensor(x), torch.tensor(y))
    assert got == pytest.approx(skm.auc(x, y), rel=1e-9, abs=1e-6)
    assert lrcore.auc(torch.tensor(x[::-1].copy()), torch.tensor(y[::-1].copy())) == pytest.approx(
        got, rel=1e-9, abs=1e-6
    )


@given(seed=SEEDS, n=st.integers(2, 30), k=st.integers(1, 8), dtype=DTYPES)
def test_trajectory_metrics_against_step_by_step(seed, n, k, dtype):
    g = _gen(seed)
    x = torch.randn(n, 2, generator=g, dtype=torch.float64).to(dtype)
    y = _labels(n, g, dtype)
    weights = torch.randn(k, 2, 1, generator=g, dtype=torch.float64).to(dtype)
    biases = torch.randn(k, 1, 1, generator=g, dtype=torch.float64).to(dtype)
    batched = lrcore.metrics_along_trajectory(x, y, weights, biases)
    for step in range(k):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lrcore.UndefinedMetricWarning)
            single = lrcore.compute_metrics(lrcore.predict(x, weights[step], biases[step]), y)
        for key, value in single.items():
            assert batched[key][step].item() == pytest.approx(value, rel=1e-6)


@given(
    seed=SEEDS,
    n=st.integers(1, 20),
    w_range=st.tuples(st.floats(-1e6, 0), st.floats(1e-3, 1e6)),
    b_range=st.tuples(st.floats(-1e3, 0), st.floats(1e-3, 1e3)),
    dtype=DTYPES,
)
def test_landscape_against_torch(seed, n, w_range, b_range, dtype):
    g = _gen(seed)
    x = torch.randn(n, 1, generator=g, dtype=torch.float64).to(dtype)
    y = torch.randint(0, 2, (n, 1), generator=g).to(dtype)
    J, ws, bs = lrcore.loss_landscape(x, y, w_range, b_range, num=5)
    z = ws.double()[:, None, None] * x.double().reshape(-1) + bs.double()[None, :, None]
    reference = F.binary_cross_entropy_with_logits(z, y.double().reshape(-1).expand_as(z), reduction="none").mean(-1)
    assert (J >= 0).all() and torch.isfinite(J).all()
    # float32 rounds the margins (relative 6e-8 of |w x| + |b|); softplus beyond 20 drops < 2.1e-9.
    rtol = 1e-5 if dtype == torch.float32 else 1e-9
    torch.testing.assert_close(J.double(), reference, rtol=rtol, atol=3e-9)


@given(values=st.lists(st.floats(-1e30, 1e30), min_size=1, max_size=10), dtype=DTYPES)
def test_to_tensors_against_torch(values, dtype):
    (t,) = lrcore.to_tensors(np.array(values), dtype=dtype)
    assert torch.equal(t, torch.tensor(values, dtype=torch.float64).to(dtype).reshape(-1, 1))


@given(n=st.integers(10, 60), seed=st.integers(0, 2**32 - 1), stratify=st.booleans())
def test_split_is_a_partition(n, seed, stratify):
    X = np.arange(2 * n).reshape(n, 2)
    y = np.arange(n) % 2
    parts = lrcore.train_val_test_split(X, y, seed=seed, stratify=stratify)
    rows = np.concatenate([parts[0][:, 0], parts[1][:, 0], parts[2][:, 0]]) // 2
    assert sorted(rows.tolist()) == list(range(n))
    for xs, ys in zip(parts[:3], parts[3:], strict=True):
        np.testing.assert_array_equal(xs[:, 0] // 2 % 2, ys)


# ============================================================================ invalid inputs


@dataclass
class Spec:
    """A public function, valid arguments for it, and which of them are tensors of which kind."""

    fn: object
    args: dict
    floating: set = field(default_factory=set)  # float32/float64 tensors
    binary: set = field(default_factory=set)  # 0/1 tensors of any real dtype
    labels: set = field(default_factory=set)  # float 0/1 tensors
    probabilities: set = field(default_factory=set)


def _specs(dtype) -> dict[str, Spec]:
    g = _gen(0)
    x = torch.randn(6, 2, generator=g, dtype=dtype)
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0], [0.0]], dtype=dtype)
    w = torch.randn(2, 1, generator=g, dtype=dtype)
    b = torch.zeros(1, 1, dtype=dtype)
    s = torch.rand(6, 1, generator=g, dtype=dtype)
    z = torch.randn(6, 1, generator=g, dtype=dtype)
    mean, std = x.mean(0, keepdim=True), x.std(0, keepdim=True)
    ints = y.long()
    return {
        "linear": Spec(lrcore.linear, {"x": x, "w": w, "b": b}, floating={"x", "w", "b"}),
        "sigmoid": Spec(lrcore.sigmoid, {"z": z}, floating={"z"}),
        "logistic_regression": Spec(lrcore.logistic_regression, {"x": x, "w": w, "b": b}, floating={"x", "w", "b"}),
        "predict": Spec(lrcore.predict, {"x": x, "w": w, "b": b, "threshold": 0.5}, floating={"x", "w", "b"}),
        "binary_cross_entropy": Spec(
            lrcore.binary_cross_entropy,
            {"y_pred": s, "y_true": y},
            floating={"y_pred", "y_true"},
            labels={"y_true"},
            probabilities={"y_pred"},
        ),
        "binary_cross_entropy_with_logits": Spec(
            lrcore.binary_cross_entropy_with_logits, {"z": z, "y_true": y}, floating={"z", "y_true"}, labels={"y_true"}
        ),
        "compute_gradients": Spec(
            lrcore.compute_gradients,
            {"x": x, "y_pred": s, "y_true": y},
            floating={"x", "y_pred", "y_true"},
            labels={"y_true"},
            probabilities={"y_pred"},
        ),
        "compute_gradients_chain_rule": Spec(
            lrcore.compute_gradients_chain_rule,
            {"x": x, "y_pred": s, "y_true": y},
            floating={"x", "y_pred", "y_true"},
            labels={"y_true"},
            probabilities={"y_pred"},
        ),
        "dJi_dS": Spec(
            lrcore.dJi_dS,
            {"y_pred": s, "y_true": y},
            floating={"y_pred", "y_true"},
            labels={"y_true"},
            probabilities={"y_pred"},
        ),
        "dS_dZ": Spec(lrcore.dS_dZ, {"y_pred": s}, floating={"y_pred"}, probabilities={"y_pred"}),
        "dZ_dW": Spec(lrcore.dZ_dW, {"x": x}, floating={"x"}),
        "dZ_dB": Spec(lrcore.dZ_dB, {"x": x}, floating={"x"}),
        "fit_standardizer": Spec(lrcore.fit_standardizer, {"x": x}, floating={"x"}),
        "standardize": Spec(lrcore.standardize, {"x": x, "mean": mean, "std": std}, floating={"x", "mean", "std"}),
        "gradient_descent_step": Spec(
            lrcore.gradient_descent_step,
            {"x": x, "y": y, "w": w, "b": b, "learning_rate": 0.1},
            floating={"x", "y", "w", "b"},
            labels={"y"},
        ),
        "fit": Spec(
            lrcore.fit,
            {"x": x, "y": y, "w": w, "b": b, "learning_rate": 0.1, "num_steps": 3, "x_val": x[:3], "y_val": y[:3]},
            floating={"x", "y", "w", "b", "x_val", "y_val"},
            labels={"y", "y_val"},
        ),
        "fit_newton": Spec(lrcore.fit_newton, {"x": x, "y": y, "l2": 0.1}, floating={"x", "y"}, labels={"y"}),
        "confusion_matrix": Spec(
            lrcore.confusion_matrix, {"y_pred": ints, "y_true": ints.flip(0)}, binary={"y_pred", "y_true"}
        ),
        "accuracy": Spec(lrcore.accuracy, {"y_pred": ints, "y_true": ints.flip(0)}, binary={"y_pred", "y_true"}),
        "precision": Spec(lrcore.precision, {"y_pred": ints, "y_true": ints.flip(0)}, binary={"y_pred", "y_true"}),
        "recall": Spec(lrcore.recall, {"y_pred": ints, "y_true": ints.flip(0)}, binary={"y_pred", "y_true"}),
        "f1_score": Spec(lrcore.f1_score, {"y_pred": ints, "y_true": ints.flip(0)}, binary={"y_pred", "y_true"}),
        "compute_metrics": Spec(
            lrcore.compute_metrics, {"y_pred": ints, "y_true": ints.flip(0)}, binary={"y_pred", "y_true"}
        ),
        "metrics_along_trajectory": Spec(
            lrcore.metrics_along_trajectory,
            {"x": x, "y_true": y, "weights": w[None].repeat(3, 1, 1), "biases": b[None].repeat(3, 1, 1)},
            floating={"x", "y_true", "weights", "biases"},
            labels={"y_true"},
        ),
        "roc_curve": Spec(lrcore.roc_curve, {"y_score": z, "y_true": ints}, floating={"y_score"}, binary={"y_true"}),
        "precision_recall_curve": Spec(
            lrcore.precision_recall_curve, {"y_score": z, "y_true": ints}, floating={"y_score"}, binary={"y_true"}
        ),
        "auc": Spec(
            lrcore.auc,
            {"x": torch.linspace(0, 1, 5, dtype=dtype), "y": torch.rand(5, generator=g, dtype=dtype)},
            floating={"x", "y"},
        ),
        "loss_landscape": Spec(
            lrcore.loss_landscape, {"x": x[:, :1], "y": y, "num": 4}, floating={"x", "y"}, labels={"y"}
        ),
        "plot_decision_boundary": Spec(
            lrcore.plot_decision_boundary, {"x": x, "y": y, "w": w, "b": b}, floating={"x", "y", "w", "b"}, labels={"y"}
        ),
        "plot_roc_curve": Spec(
            lrcore.plot_roc_curve, {"fpr": torch.tensor([0.0, 0.5, 1.0]), "tpr": torch.tensor([0.0, 1.0, 1.0])}
        ),
        "plot_confusion_matrix": Spec(lrcore.plot_confusion_matrix, {"cm": torch.tensor([[3, 1], [0, 2]])}),
    }


SPEC_NAMES = sorted(_specs(torch.float32))
TENSOR_BREAKS = [
    "list",
    "ndarray",
    "none",
    "int64",
    "float16",
    "bfloat16",
    "complex64",
    "bool",
    "flatten",
    "add-dim",
    "transpose",
    "empty",
    "extra-row",
    "nan",
    "inf",
    "label-0.5",
    "prob-1.5",
    "other-float",
]


def _break(t: torch.Tensor, how: str):
    if how == "list":
        return t.tolist()
    if how == "ndarray":
        return t.numpy()
    if how == "none":
        return None
    if how in ("int64", "float16", "bfloat16", "complex64", "bool"):
        return t.to(getattr(torch, how))
    if how == "other-float":
        return t.to(torch.float64 if t.dtype == torch.float32 else torch.float32)
    if how == "flatten":
        return t.reshape(-1)
    if how == "add-dim":
        return t[None]
    if how == "transpose":
        return t.T if t.ndim == 2 else t.reshape(-1, 1)
    if how == "empty":
        return t[:0]
    if how == "extra-row":
        return torch.cat([t, t[:1]])
    if how in ("nan", "inf", "label-0.5", "prob-1.5"):
        value = {"nan": math.nan, "inf": -math.inf, "label-0.5": 0.5, "prob-1.5": 1.5}[how]
        t = t.clone().double() if not t.is_floating_point() else t.clone()
        t.view(-1)[t.numel() // 2] = value
        return t
    raise AssertionError(how)


def _call(spec: Spec, **override):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # metric warnings and the like: not what is tested here
        try:
            return spec.fn(**{**spec.args, **override})
        finally:
            plt.close("all")


@given(name=st.sampled_from(SPEC_NAMES), how=st.sampled_from(TENSOR_BREAKS), which=st.integers(0, 10), dtype=DTYPES)
def test_broken_tensor_raises_naming_it(name, how, which, dtype):
    spec = _specs(dtype)[name]
    tensors = sorted(k for k, v in spec.args.items() if isinstance(v, torch.Tensor))
    arg = tensors[which % len(tensors)]
    broken = _break(spec.args[arg], how)
    if isinstance(broken, torch.Tensor) and broken.shape == spec.args[arg].shape and how in ("flatten", "transpose"):
        return  # a no-op here (a 1-D argument flattened): nothing was broken
    try:
        _call(spec, **{arg: broken})
    except (TypeError, ValueError) as error:
        assert arg in str(error), f"{name}({arg}={how}) raised {type(error).__name__} without naming {arg}: {error}"
        return
    # No error: only for breaks the argument's kind allows. Anything else must have raised.
    if name.startswith("plot_") and arg not in spec.floating | spec.labels:
        # Curves and counts to draw: any real numbers in a tensor, an array or a list will do.
        if how in ("list", "ndarray", "int64", "bool", "float16", "bfloat16", "other-float"):
            return
    allowed = {
        "bool": arg in spec.binary,  # 0/1 predictions may be bools or ints
        "int64": arg in spec.binary or arg == "cm",
        "float16": arg in spec.binary or (arg not in spec.floating and name.startswith("plot_")),
        "bfloat16": arg in spec.binary or (arg not in spec.floating and name.startswith("plot_")),
        # A dtype of its own is fine for a lone floating argument (nothing to match).
        "other-float": len(spec.floating) <= 1 or (name == "plot_decision_boundary" and arg == "y"),
        "list": name.startswith("plot_") and arg not in spec.floating,
        "ndarray": name.startswith("plot_") and arg not in spec.floating,
        # A lone matrix may have any shape (n, D); sigmoid takes any shape.
        "transpose": name in ("sigmoid", "dZ_dW", "dZ_dB", "fit_standardizer") or arg == "cm",
        "flatten": name == "sigmoid",
        "add-dim": name == "sigmoid",
        "label-0.5": arg not in spec.labels | spec.binary and arg not in {"cm"},
        # 1.5 is a fine weight, bias or feature; not a probability, label, rate or count.
        "prob-1.5": arg not in spec.probabilities | spec.labels | spec.binary | {"fpr", "tpr", "cm"},
        "extra-row": len([k for k in tensors if k not in ("w", "b", "mean", "std", "weights", "biases")]) < 2
        and name not in ("auc",),
    }
    assert allowed.get(how, False), f"{name}({arg}={how}) was accepted"


@given(
    name=st.sampled_from(SPEC_NAMES), which=st.integers(0, 10), dtype=DTYPES, mode=st.sampled_from(["grad", "strided"])
)
def test_grad_and_non_contiguous_tensors_give_the_same_values(name, which, dtype, mode):
    spec = _specs(dtype)[name]
    tensors = sorted(k for k, v in spec.args.items() if isinstance(v, torch.Tensor) and v.is_floating_point())
    assume(tensors)
    arg = tensors[which % len(tensors)]
    value = spec.args[arg]
    if mode == "grad":
        changed = value.clone().requires_grad_()
    else:  # the same values, every other element of a buffer twice as long: not contiguous
        changed = torch.stack([value, value], dim=-1)[..., 0]
        assert torch.equal(changed, value) and (value.numel() < 2 or not changed.is_contiguous())
    expected = _call(spec)
    got = _call(spec, **{arg: changed})
    _assert_same_values(got, expected)


def _assert_same_values(got, expected):
    if isinstance(expected, torch.Tensor):
        torch.testing.assert_close(got.detach(), expected, rtol=1e-6, atol=1e-7)
    elif isinstance(expected, (tuple, list)):
        for a, b in zip(got, expected, strict=True):
            _assert_same_values(a, b)
    elif isinstance(expected, dict):
        for key in expected:
            _assert_same_values(got[key], expected[key])
    elif isinstance(expected, lrcore.History | lrcore.NewtonHistory):
        _assert_same_values(got.weights, expected.weights)
        _assert_same_values(got.biases, expected.biases)
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-6)
    # Axes (plots) and other objects: not raising is the property.


BAD_NUMBERS = [
    None,
    "0.1",
    True,
    np.bool_(True),
    math.nan,
    math.inf,
    -1.0,
    0.0,
    10**400,
    1e39,
    1 + 2j,
    torch.tensor(0.1),
    [0.1],
]
NUMBER_ARGS = [
    ("fit", "learning_rate"),
    ("fit", "num_steps"),
    ("fit", "l2"),
    ("fit", "momentum"),
    ("fit", "nesterov"),
    ("fit", "record_every"),
    ("gradient_descent_step", "learning_rate"),
    ("fit_newton", "l2"),
    ("fit_newton", "max_iter"),
    ("fit_newton", "tol"),
    ("predict", "threshold"),
    ("metrics_along_trajectory", "threshold"),
    ("loss_landscape", "num"),
    ("loss_landscape", "w_range"),
    ("loss_landscape", "b_range"),
]


@given(target=st.sampled_from(NUMBER_ARGS), bad=st.sampled_from(BAD_NUMBERS), dtype=DTYPES)
def test_bad_numbers_raise_naming_the_argument(target, bad, dtype):
    name, arg = target
    spec = _specs(dtype)[name]
    value = (0.0, bad) if arg.endswith("_range") else bad
    try:
        _call(spec, **{arg: value})
    except (TypeError, ValueError) as error:
        assert arg in str(error), f"{name}({arg}={value!r}) raised without naming {arg}: {error}"
        return
    # Accepted: only values that are valid for the argument.
    huge_is_fine = arg == "tol" or (dtype == torch.float64 and arg in ("learning_rate", "l2", "w_range", "b_range"))
    valid = (
        (isinstance(bad, float) and bad == 0.0 and arg in ("l2", "momentum"))
        or (isinstance(bad, np.bool_) and arg == "nesterov")
        or (isinstance(bad, float) and bad == 1e39 and huge_is_fine)
    )
    assert valid, f"{name}({arg}={value!r}) was accepted"


@given(threshold=st.fractions(min_value=Fraction(1, 100), max_value=Fraction(99, 100)))
def test_fraction_thresholds(threshold):
    spec = _specs(torch.float64)["predict"]
    got = _call(spec, threshold=threshold)
    assert torch.equal(got, _call(spec, threshold=float(threshold)))


#: Public functions outside ``_specs``, and where their contract is tested instead.
COVERED_ELSEWHERE = {
    "load_breast_cancer_means": "no argument",
    "use_book_style": "no argument",
    "to_tensors": "test_to_tensors_against_torch here; test_contract.py and test_validation.py",
    "train_val_test_split": "test_split_is_a_partition here; test_contract.py and test_validation.py",
    "fit_minibatch": "tests/test_minibatch.py (against DataLoader + nn.Linear + SGD, its validation)",
    "plot_sigmoid": "test_contract.py's PLOT_CASES",
    "plot_bce_per_sample": "test_contract.py's PLOT_CASES",
    "plot_loss_landscape": "test_contract.py's PLOT_CASES and test_plotting.py",
    "plot_loss_curves": "test_contract.py's PLOT_CASES",
    "plot_metric_curves": "test_contract.py's PLOT_CASES",
    "plot_precision_recall_curve": "test_contract.py's PLOT_CASES",
    "calibration_curve": "test_calibration.py (against scikit-learn on generated problems)",
    "expected_calibration_error": "test_calibration.py (against a reference by the definition)",
    "brier_score": "test_calibration.py (against scikit-learn)",
    "brier_decomposition": "test_calibration.py",
    "plot_reliability_diagram": "test_calibration.py",
    "margins": "test_margin.py (against numpy and autograd)",
    "angle_between": "test_margin.py (against arccos, closed forms and gradcheck)",
    "hard_margin_svm": "test_margin.py (against closed forms and scipy's NNLS and SLSQP)",
    "bootstrap_indices": "test_resampling.py (against scipy.stats.bootstrap) and test_validation.py",
    "bootstrap_metrics": "test_resampling.py (against sklearn.metrics) and test_validation.py",
    "percentile_interval": "test_resampling.py (against scipy.stats.bootstrap) and test_validation.py",
    "bootstrap_confidence_intervals": "test_resampling.py (against scipy.stats.bootstrap) and test_validation.py",
    "stratified_k_fold": "test_resampling.py (against RepeatedStratifiedKFold) and test_validation.py",
    "cross_validate": "test_resampling.py (against cross_val_score) and test_validation.py",
}


def test_every_public_function_is_covered():
    functions = {
        name
        for name in lrcore.__all__
        if callable(getattr(lrcore, name)) and not isinstance(getattr(lrcore, name), type)
    }
    assert functions - set(SPEC_NAMES) == set(COVERED_ELSEWHERE)
