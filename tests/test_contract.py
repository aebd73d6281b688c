"""lrcore's contract on the inputs of issue #14: each reproducer raises a named error, warns, or
returns the finite right answer, as its docstring says. References are independent: torch,
autograd, scikit-learn, float64 recomputation, or a number worked out by hand (stated).
"""

from __future__ import annotations

import gc
import math
import os
import re
import warnings
from fractions import Fraction
from re import escape

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import lrcore
from lrcore import _validation

X4 = torch.tensor([[0.5, -1.0], [-0.3, 0.8], [1.2, 0.1], [-0.7, -0.4]])
Y4 = torch.tensor([[0.0], [1.0], [0.0], [1.0]])
W0 = torch.zeros(2, 1)
B0 = torch.zeros(1, 1)


def full(message: str) -> str:
    return "^" + escape(message) + "$"


# ---------------------------------------------------------------------------- 1. requires grad


def _grad_args():
    return X4.clone().requires_grad_(), Y4.clone().requires_grad_(), torch.nn.Parameter(W0.clone()), B0.clone()


@pytest.mark.parametrize("which", ["x", "y", "w", "b"])
def test_fit_works_on_detached_values(which):
    args = dict(zip("xywb", (X4, Y4, W0, B0), strict=True))
    args[which] = args[which].clone().requires_grad_()
    history = lrcore.fit(args["x"], args["y"], args["w"], args["b"], 0.1, 5)
    reference = lrcore.fit(X4, Y4, W0, B0, 0.1, 5)
    assert not history.weights.requires_grad and not history.train_loss.requires_grad
    assert torch.equal(history.weights, reference.weights) and torch.equal(history.train_loss, reference.train_loss)


def test_landscape_fit_newton_metrics_curves_to_tensors_take_grad_tensors():
    x1 = X4[:, :1].clone().requires_grad_()
    J, _, _ = lrcore.loss_landscape(x1, Y4, num=5)
    assert torch.equal(J, lrcore.loss_landscape(X4[:, :1], Y4, num=5)[0]) and not J.requires_grad
    x64 = torch.tensor([[-2.0], [-1.0], [0.5], [1.0], [2.0]], dtype=torch.float64)
    y64 = torch.tensor([[0.0], [1.0], [0.0], [1.0], [1.0]], dtype=torch.float64)
    w, _, _ = lrcore.fit_newton(x64.clone().requires_grad_(), y64)
    assert torch.equal(w, lrcore.fit_newton(x64, y64)[0])
    metrics = lrcore.metrics_along_trajectory(
        X4.clone().requires_grad_(), Y4, torch.zeros(2, 2, 1), torch.zeros(2, 1, 1)
    )
    assert not metrics["f1"].requires_grad
    fpr, _, thresholds = lrcore.roc_curve(X4[:, :1].detach().clone().requires_grad_(), Y4)
    assert not thresholds.requires_grad
    (t,) = lrcore.to_tensors(torch.ones(3, requires_grad=True))
    assert not t.requires_grad and t.shape == (3, 1)


def test_differentiable_functions_pass_gradients_through():
    # linear -> BCE with logits: autograd's gradient is the closed form (s - y) x / n.
    # Not at w = 0, b = 0: there every z is 0, the kink of max(z, 0) and |z|, where autograd
    # takes one-sided derivatives (a known limitation of the max(z, 0) + log1p(exp(-|z|)) form).
    w = torch.tensor([[0.3], [-0.2]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[0.1]], dtype=torch.float64, requires_grad=True)
    x, y = X4.double(), Y4.double()
    lrcore.binary_cross_entropy_with_logits(lrcore.linear(x, w, b), y).backward()
    residual = torch.sigmoid(x @ w.detach() + b.detach()) - y
    torch.testing.assert_close(w.grad, x.T @ residual / 4)
    torch.testing.assert_close(b.grad, residual.mean().reshape(1, 1))


# ---------------------------------------------------------------------------- 2. chain rule


@pytest.mark.parametrize("z", [16.7, 20.0, 60.0, 88.0, 100.0, -20.0, -100.0])
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_chain_rule_equals_closed_form_where_saturated(z, label):
    s = torch.sigmoid(torch.tensor([[z]]))
    y = torch.tensor([[label]])
    x = torch.ones(1, 1)
    chain = lrcore.compute_gradients_chain_rule(x, s, y)
    closed = lrcore.compute_gradients(x, s, y)
    for got, want in zip(chain, closed, strict=True):
        assert torch.isfinite(got).all()
        torch.testing.assert_close(got, want)


def test_chain_rule_where_dJ_ds_overflows():
    # s = 1e-40 is a float32 subnormal: -1/s overflows to -inf. The closed form gives s - 1 = -1.
    dw, db = lrcore.compute_gradients_chain_rule(torch.ones(1, 1), torch.tensor([[1e-40]]), torch.ones(1, 1))
    assert dw.item() == -1.0 and db.item() == -1.0


# ---------------------------------------------------------------------------- 3. fit_standardizer


@pytest.mark.parametrize(
    "values",
    [
        np.linspace(-1e-6, 1e-6, 7),
        1e6 + np.linspace(-0.5, 0.5, 7),
        np.array([995.0, 1005.0]),
        1e5 + np.linspace(-1.0, 1.0, 50),
    ],
    ids=["spread-1e-6", "1e6+-0.5", "995-1005", "mean/std-1e5"],
)
def test_standardizer_matches_standard_scaler_float32(values):
    x = torch.tensor(values, dtype=torch.float32).reshape(-1, 1)
    mean, std = lrcore.fit_standardizer(x)
    scaler = StandardScaler().fit(x.double().numpy())  # float64 statistics of the same float32 numbers
    assert mean.dtype == std.dtype == torch.float32
    np.testing.assert_allclose(mean.double().numpy().ravel(), scaler.mean_, rtol=1e-7)
    np.testing.assert_allclose(std.double().numpy().ravel(), scaler.scale_, rtol=1e-6)
    assert std.item() != 1.0  # a varying feature is never called constant


def test_standardizer_near_the_largest_float():
    mean, std = lrcore.fit_standardizer(torch.tensor([[2e38], [3e38]]))
    # By hand: mean 2.5e38, population std 0.5e38 (both representable in float32).
    torch.testing.assert_close(mean, torch.tensor([[2.5e38]]))
    torch.testing.assert_close(std, torch.tensor([[0.5e38]]))
    mean, std = lrcore.fit_standardizer(torch.tensor([[1e308], [1.7e308]], dtype=torch.float64))
    torch.testing.assert_close(mean, torch.tensor([[1.35e308]], dtype=torch.float64))
    torch.testing.assert_close(std, torch.tensor([[0.35e308]], dtype=torch.float64))


def test_standardizer_constant_columns():
    x = torch.tensor([[0.1, 5.0, 1e30], [0.1, 5.0, 1e30], [0.1, 5.0, 1e30]])
    _, std = lrcore.fit_standardizer(x)
    assert torch.equal(std, torch.ones(1, 3))


# ---------------------------------------------------------------------------- 4. fit_newton's rank test


@pytest.fixture(scope="module")
def breast64():
    X, y = lrcore.load_breast_cancer_means()
    x, y_t = lrcore.to_tensors(X, y, dtype=torch.float64)
    mean, std = lrcore.fit_standardizer(x)
    return lrcore.standardize(x, mean, std), y_t, X


@pytest.mark.parametrize("factor", [1e15, 1e30, 1e-30])
def test_newton_rank_test_is_scale_invariant(breast64, factor):
    x, y, _ = breast64
    w_ref, b_ref, _ = lrcore.fit_newton(x, y)
    with warnings.catch_warnings():
        # The gradient scales with 1/factor, so an absolute tol may not be reached: not the point here.
        warnings.simplefilter("ignore", lrcore.ConvergenceWarning)
        w, b, _ = lrcore.fit_newton(x * factor, y, max_iter=100)
    torch.testing.assert_close(w * factor, w_ref, rtol=1e-8, atol=1e-8)
    torch.testing.assert_close(b, b_ref, rtol=1e-8, atol=1e-8)


def test_newton_unstandardized_float32_columns(breast64):
    _, y, X = breast64
    x, y32 = lrcore.to_tensors(X[["mean area", "mean smoothness"]], y.numpy().ravel())
    w, b, history = lrcore.fit_newton(x, y32, tol=1e-4)
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(x.double().numpy(), y32.numpy().ravel())
    np.testing.assert_allclose(w.double().numpy().ravel(), reference.coef_.ravel(), rtol=1e-2)
    assert history.converged


def test_newton_still_rejects_dependent_columns():
    x = torch.randn(20, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = (x[:, :1] > 0).double()
    y[0] = 1 - y[0]
    with pytest.raises(ValueError, match="got rank 2 for 3 columns"):
        lrcore.fit_newton(torch.cat([x[:, :1], 1e20 * x[:, :1]], dim=1), y)


# ---------------------------------------------------------------------------- 5. memory


def test_fit_refuses_a_history_above_the_budget():
    message = (
        "fit for num_steps=1000000000000000, its History of 1000000000000001 recorded steps x 12 bytes and its "
        "working memory, would need 10,914 TiB of memory, above "
        "lrcore's budget of 1 GiB (lrcore._validation.MEMORY_BUDGET_BYTES); record fewer steps, e.g. "
        "record_every=1000000000 (14 MiB)"
    )
    with pytest.raises(ValueError, match=full(message)):
        lrcore.fit(X4[:, :1], Y4, W0[:1], B0, 0.1, 10**15)


def test_fit_budget_suggests_the_smallest_stride_that_fits(monkeypatch):
    # 1000 bytes for the History beside the fit's working memory (what it needs for no record at all).
    working = lrcore.optim._fit_bytes(X4[:, :1], 0, None)
    monkeypatch.setattr(_validation, "MEMORY_BUDGET_BYTES", working + 1000)
    # D = 1, no validation: 12 bytes per record; 1000 bytes hold 83 records, so 1000 steps need
    # a stride of at least 1000 / 82 > 12, and the smallest divisor of 1000 from there is 20.
    shown = _validation._bytes(working + 612)
    with pytest.raises(ValueError, match=escape(f"record fewer steps, e.g. record_every=20 ({shown})")):
        lrcore.fit(X4[:, :1], Y4, W0[:1], B0, 0.1, 1000)
    history = lrcore.fit(X4[:, :1], Y4, W0[:1], B0, 0.1, 1000, record_every=20)
    assert history.weights.shape == (51, 1, 1) and history.num_steps == 1000


def test_landscape_refuses_a_grid_above_the_budget():
    message = (
        "loss_landscape on a 100000 x 100000 grid would need 37.3 GiB of memory, above lrcore's budget of 1 GiB "
        "(lrcore._validation.MEMORY_BUDGET_BYTES); use num <= 16286"
    )
    with pytest.raises(ValueError, match=full(message)):
        lrcore.loss_landscape(X4[:, :1], Y4, num=10**5)
    lrcore.loss_landscape(X4[:, :1], Y4, num=400)  # the suggestion is honest about smaller grids


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_record_every_records_the_same_iterates(momentum, nesterov, l2):
    full_run = lrcore.fit(
        X4, Y4, W0, B0, 0.5, 60, x_val=X4[:2], y_val=Y4[:2], l2=l2, momentum=momentum, nesterov=nesterov
    )
    strided = lrcore.fit(
        X4, Y4, W0, B0, 0.5, 60, x_val=X4[:2], y_val=Y4[:2], l2=l2, momentum=momentum, nesterov=nesterov, record_every=6
    )
    assert torch.equal(strided.weights, full_run.weights[::6]) and torch.equal(strided.biases, full_run.biases[::6])
    # The iterates are bit for bit the same; the losses are one batched product over fewer
    # columns, whose blocking may round the last bit differently.
    torch.testing.assert_close(strided.train_loss, full_run.train_loss[::6], rtol=1e-6, atol=0)
    torch.testing.assert_close(strided.val_loss, full_run.val_loss[::6], rtol=1e-6, atol=0)
    assert torch.equal(strided.steps, torch.arange(0, 60, 6)) and strided.num_steps == 60
    torch.testing.assert_close(strided.w, full_run.w, rtol=0, atol=0)


def test_record_every_must_divide_num_steps():
    message = (
        "record_every must divide num_steps so that the final parameters are recorded, got num_steps=60 and "
        "record_every=7"
    )
    with pytest.raises(ValueError, match=full(message)):
        lrcore.fit(X4, Y4, W0, B0, 0.5, 60, record_every=7)
    with pytest.raises(ValueError, match=full("record_every must be >= 1, got 0")):
        lrcore.fit(X4, Y4, W0, B0, 0.5, 60, record_every=0)
    with pytest.raises(TypeError, match=full("record_every must be an int, got float")):
        lrcore.fit(X4, Y4, W0, B0, 0.5, 60, record_every=2.0)


def test_history_shares_one_trajectory_tensor():
    history = lrcore.fit(X4, Y4, W0, B0, 0.1, 3000)
    assert history.weights.untyped_storage().data_ptr() == history.biases.untyped_storage().data_ptr()


def _rss_peak_reset() -> int:
    """Reset the kernel's peak-RSS counter (VmHWM) of this process and return the current RSS, in bytes."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status("VmRSS")


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(key + ":"))
    return int(line.split()[1]) * 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's /proc/self/clear_refs")
def test_fit_peak_memory_is_at_most_twice_the_history():
    # 300 000 steps on 4 x 1 data: the History is 3.6 MB; before #14, fit kept about 670 bytes per
    # step of views (200 MB here), so a 2x bound fails by a factor of about 50.
    x, w = X4[:, :1], W0[:1]
    lrcore.fit(x, Y4, w, B0, 0.1, 1000)  # warm up the allocator and torch's kernels
    gc.collect()
    before = _rss_peak_reset()
    history = lrcore.fit(x, Y4, w, B0, 0.1, 300_000)
    peak = _status("VmHWM") - before
    size = sum(t.untyped_storage().nbytes() for t in (history.weights, history.train_loss))
    assert size == (300_001 * 2 + 300_000) * 4
    assert peak <= 2 * size, f"fit's peak memory {peak / 1e6:.1f} MB is above twice its History's {size / 1e6:.1f} MB"


# ---------------------------------------------------------------------------- 6. landscape


@pytest.mark.parametrize("w_range", [(0, 1e3), (0, 1e6), (-1e38, 1e38)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_landscape_separable_is_non_negative_and_right(w_range, dtype):
    x = torch.tensor([[-2.0], [-1.0], [-0.5], [0.5], [1.0], [2.0]], dtype=dtype)
    y = torch.tensor([[0.0], [0.0], [0.0], [1.0], [1.0], [1.0]], dtype=dtype)
    J, ws, bs = lrcore.loss_landscape(x, y, w_range=w_range, b_range=(-1, 1), num=9)
    assert (J >= 0).all() and torch.isfinite(J).all()
    # Reference: F.binary_cross_entropy_with_logits in float64 at every grid point.
    z = ws.double()[:, None, None] * x.double().reshape(-1) + bs.double()[None, :, None]
    reference = F.binary_cross_entropy_with_logits(z, y.double().reshape(-1).expand_as(z), reduction="none").mean(-1)
    torch.testing.assert_close(J.double(), reference.to(dtype).double(), rtol=1e-6, atol=3e-9)


def test_landscape_float64_overflow_raises():
    x = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)
    y = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    message = (
        "w_range and b_range reach logits up to 1.7e+308, and a sum of 2 such losses overflows torch.float64: "
        "narrow the ranges"
    )
    with pytest.raises(ValueError, match=full(message)):
        lrcore.loss_landscape(x, y, w_range=(-1.7e308, 0))


# ---------------------------------------------------------------------------- 7. float16 and bfloat16


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_refused_by_name(dtype):
    message = f"x must have dtype torch.float32 or torch.float64, got {dtype}; convert it with x.float()"
    with pytest.raises(TypeError, match=full(message)):
        lrcore.fit_newton(X4.to(dtype), Y4.to(dtype))
    y_score = torch.linspace(0, 1, 70_000).reshape(-1, 1).to(dtype)
    with pytest.raises(TypeError, match="^y_score must have dtype torch.float32 or torch.float64"):
        lrcore.roc_curve(y_score, (torch.arange(70_000) % 2).reshape(-1, 1))
    with pytest.raises(TypeError, match="^x must have dtype torch.float32 or torch.float64"):
        lrcore.metrics_along_trajectory(X4.to(dtype), Y4.to(dtype), W0[None].to(dtype), B0[None].to(dtype))


def test_roc_counts_past_65504_samples():
    n = 70_000
    y_true = (torch.arange(n) % 2).reshape(-1, 1)
    fpr, tpr, _ = lrcore.roc_curve(torch.arange(n, dtype=torch.float32).reshape(-1, 1), y_true)
    assert torch.isfinite(fpr).all() and fpr[-1] == 1 and tpr[-1] == 1


# ---------------------------------------------------------------------------- 8. past validation


def test_trajectory_metrics_refuse_mixed_dtypes():
    message = "x and y_true must have the same dtype, got torch.float32 and torch.float64"
    with pytest.raises(TypeError, match=full(message)):
        lrcore.metrics_along_trajectory(X4, Y4.double(), torch.zeros(3, 2, 1), torch.zeros(3, 1, 1))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"learning_rate": 10**400}, "learning_rate"),
        ({"momentum": 10**400}, "momentum"),
        ({"l2": 10**400}, "l2"),
    ],
)
def test_huge_ints_are_named(kwargs, name):
    args = {"learning_rate": 0.1, **kwargs}
    message = f"{name} must be a finite number, got an int of 401 digits, too large for a float"
    with pytest.raises(ValueError, match=full(message)):
        lrcore.fit(X4, Y4, W0, B0, args.pop("learning_rate"), 3, **args)


def test_huge_numbers_elsewhere():
    with pytest.raises(
        ValueError, match=full("tol must be a finite number, got an int of 401 digits, too large for a float")
    ):
        lrcore.fit_newton(X4, Y4, tol=10**400)
    with pytest.raises(ValueError, match=r"^w_range must have finite ends, got \(0, 1000000"):
        lrcore.loss_landscape(X4[:, :1], Y4, w_range=(0, 10**400))
    with pytest.raises(
        ValueError, match=full("threshold must be a finite number, got an int of 401 digits, too large for a float")
    ):
        lrcore.predict(X4, W0, B0, threshold=10**400)


def test_numbers_beyond_the_dtype():
    message = "l2 must be at most 3.403e+38 in absolute value to be representable in torch.float32, got 1e+39"
    with pytest.raises(ValueError, match=full(message)):
        lrcore.fit_newton(X4, Y4, l2=1e39)
    message = (
        "learning_rate must be at most 3.403e+38 in absolute value to be representable in torch.float32, got 1e+308"
    )
    with pytest.raises(ValueError, match=full(message)):
        lrcore.fit(X4, Y4, W0, B0, 1e308, 3, l2=0.01)
    message = (
        "learning_rate * l2 must be at most 3.403e+38 in absolute value to be representable in torch.float32, got 1e+40"
    )
    with pytest.raises(ValueError, match=full(message)):
        lrcore.fit(X4, Y4, W0, B0, 1e38, 3, l2=100)
    # float64 takes it: the step is huge but representable, and the run diverges with a warning.
    with pytest.warns(lrcore.NonFiniteWarning, match="fit diverged"):
        lrcore.fit(X4.double(), Y4.double(), W0.double(), B0.double(), 1e38, 20, l2=100)


def test_fraction_threshold():
    got = lrcore.predict(X4, torch.ones(2, 1), B0, threshold=Fraction(1, 3))
    expected = (torch.sigmoid(X4 @ torch.ones(2, 1)) >= 1 / 3).float()
    assert torch.equal(got, expected)
    metrics = lrcore.metrics_along_trajectory(X4, Y4, torch.ones(1, 2, 1), B0[None], threshold=Fraction(1, 3))
    assert metrics["recall"].item() == lrcore.recall(expected, Y4)


@pytest.mark.parametrize(
    "make, exc, message",
    [
        (
            lambda: X4.to_sparse(),
            TypeError,
            "x must be a dense tensor, got layout torch.sparse_coo; convert it with x.to_dense()",
        ),
        (
            lambda: X4.to_sparse_csr(),
            TypeError,
            "x must be a dense tensor, got layout torch.sparse_csr; convert it with x.to_dense()",
        ),
        (
            lambda: torch.empty(4, 2, device="meta"),
            ValueError,
            "x must hold values, got a tensor on the meta device (shape and dtype only)",
        ),
    ],
    ids=["sparse-coo", "sparse-csr", "meta"],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda x: lrcore.fit(x, Y4, W0, B0, 0.1, 2),
        lambda x: lrcore.linear(x, W0, B0),
        lambda x: lrcore.fit_standardizer(x),
        lambda x: lrcore.compute_gradients(x, Y4, Y4),
        lambda x: lrcore.fit_newton(x, Y4),
        lambda x: lrcore.metrics_along_trajectory(x, Y4, W0[None], B0[None]),
        lambda x: lrcore.plot_decision_boundary(x, Y4, torch.ones(2, 1), B0),
    ],
    ids=["fit", "linear", "fit_standardizer", "compute_gradients", "fit_newton", "metrics_along_trajectory", "plot"],
)
@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_sparse_and_meta_tensors_are_named(make, exc, message, call):
    with pytest.raises(exc, match=full(message)):
        call(make())


def test_to_tensors_contract():
    with pytest.raises(
        ValueError,
        match=full(
            "arrays[0] holds values up to 1e+39, beyond the range of torch.float32 (3.4e+38); pass dtype=torch.float64"
        ),
    ):
        lrcore.to_tensors(np.array([1e39]))
    (t,) = lrcore.to_tensors(np.array([1e39]), dtype=torch.float64)
    assert t.item() == 1e39
    with pytest.raises(TypeError, match=full("arrays[0] must hold real numbers, got dtype <U1")):
        lrcore.to_tensors(np.array(["a"]))
    with pytest.raises(TypeError, match=full("arrays[1] must hold real numbers, got dtype complex128")):
        lrcore.to_tensors(np.zeros(2), np.zeros(2, dtype=complex))
    with pytest.raises(TypeError, match=r"^arrays\[0\] must be array-like, one number per entry, got list: "):
        lrcore.to_tensors([[1.0, 2.0], [3.0]])
    with pytest.raises(
        TypeError, match=full("arrays[0] must be a dense tensor with values, got layout torch.sparse_coo on cpu")
    ):
        lrcore.to_tensors(torch.ones(2).to_sparse())
    with pytest.raises(TypeError, match=full("dtype must be torch.float32 or torch.float64, got torch.float16")):
        lrcore.to_tensors(np.zeros(2), dtype=torch.float16)
    (t,) = lrcore.to_tensors(torch.tensor([1.5, 2.5], dtype=torch.bfloat16))
    assert torch.equal(t, torch.tensor([[1.5], [2.5]]))


# ---------------------------------------------------------------------------- 9. plotting


@pytest.fixture
def no_figures_left():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a plotting call that raised left its figure open"


def _history(d=1):
    return lrcore.fit(X4[:, :d], Y4, W0[:d], B0, 0.1, 5)


PLOT_CASES = [
    (lambda: lrcore.plot_sigmoid(z_range=(1, -1)), ValueError, "z_range must satisfy low < high, got (1, -1)"),
    (lambda: lrcore.plot_sigmoid(z_range=(0, math.nan)), ValueError, "z_range must have finite ends, got (0, nan)"),
    (lambda: lrcore.plot_sigmoid(z_range=(0, math.inf)), ValueError, "z_range must have finite ends, got (0, inf)"),
    (lambda: lrcore.plot_sigmoid(ax="left"), TypeError, "ax must be a matplotlib Axes or None, got str"),
    (
        lambda: lrcore.plot_bce_per_sample(ax=np.zeros(2)),
        TypeError,
        "ax must be a matplotlib Axes or None, got ndarray",
    ),
    (
        lambda: lrcore.plot_loss_curves({"train": [1.0]}),
        TypeError,
        "history must be a History (what lrcore.fit returns), got dict",
    ),
    (
        lambda: lrcore.plot_loss_curves(_history(), log_x="yes"),
        TypeError,
        "log_x must be a bool (True or False), got str",
    ),
    (
        lambda: lrcore.plot_metric_curves([0.1, 0.2]),
        TypeError,
        "curves must be a mapping from names to values (a dict), got list",
    ),
    (lambda: lrcore.plot_metric_curves({}), ValueError, "curves must hold at least one curve, got an empty mapping"),
    (
        lambda: lrcore.plot_metric_curves({1: [0.5]}),
        TypeError,
        "curves must have str keys (the legend's names), got int",
    ),
    (
        lambda: lrcore.plot_metric_curves({"f1": "high"}),
        TypeError,
        "curves['f1'] must be numbers (a tensor, an array or a sequence), got str",
    ),
    (lambda: lrcore.plot_metric_curves({"f1": [[0.5]]}), ValueError, "curves['f1'] must be 1-D, got shape (1, 1)"),
    (lambda: lrcore.plot_confusion_matrix(torch.ones(3, 3)), ValueError, "cm must have shape (2, 2), got (3, 3)"),
    (
        lambda: lrcore.plot_confusion_matrix(torch.tensor([[1, -1], [0, 2]])),
        ValueError,
        "cm must hold counts (whole numbers >= 0), got [[1.0, -1.0], [0.0, 2.0]]",
    ),
    (
        lambda: lrcore.plot_confusion_matrix(torch.tensor([[1.0, math.nan], [0.0, 2.0]])),
        ValueError,
        "cm must hold counts (whole numbers >= 0), got [[1.0, nan], [0.0, 2.0]]",
    ),
    (
        lambda: lrcore.plot_confusion_matrix(torch.tensor([[1.5, 1], [0, 2]])),
        ValueError,
        "cm must hold counts (whole numbers >= 0), got [[1.5, 1.0], [0.0, 2.0]]",
    ),
    (
        lambda: lrcore.plot_decision_boundary(X4, Y4, torch.ones(2, 1), B0, feature_names=("a",)),
        TypeError,
        "feature_names must be a pair of str or None, got ('a',)",
    ),
    (
        lambda: lrcore.plot_decision_boundary(X4, Y4, torch.ones(2, 1), B0, feature_names="ab"),
        TypeError,
        "feature_names must be a pair of str or None, got 'ab'",
    ),
    (
        lambda: lrcore.plot_decision_boundary(X4, Y4, torch.ones(2, 1), B0, probability_levels=0.9),
        TypeError,
        "probability_levels must be a sequence of numbers or None, got float",
    ),
    (
        lambda: lrcore.plot_roc_curve(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 0.5, 1.0])),
        ValueError,
        "fpr and tpr must have the same length, got 2 and 3",
    ),
    (
        lambda: lrcore.plot_roc_curve(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 1.0])),
        ValueError,
        "fpr must hold rates in [0, 1], got values outside it or NaN",
    ),
    (
        lambda: lrcore.plot_roc_curve(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0]), label=3),
        TypeError,
        "label must be a str or None, got int",
    ),
    (
        lambda: lrcore.plot_precision_recall_curve(torch.tensor([1.0, math.nan]), torch.tensor([0.0, 1.0])),
        ValueError,
        "precision must hold rates in [0, 1], got values outside it or NaN",
    ),
    (
        lambda: lrcore.plot_loss_landscape(torch.ones(3, 3), torch.arange(3.0), torch.arange(4.0)),
        ValueError,
        "J must have shape (len(ws), len(bs)) = (3, 4), got (3, 3)",
    ),
    (
        lambda: lrcore.plot_loss_landscape(torch.rand(3, 3), torch.tensor([0.0, 2.0, 1.0]), torch.arange(3.0)),
        ValueError,
        "ws must be finite and strictly increasing",
    ),
    (
        lambda: lrcore.plot_loss_landscape(torch.ones(3, 3), torch.arange(3.0), torch.arange(3.0)),
        ValueError,
        "J must not be constant to draw contours, got every finite entry equal to 1",
    ),
    (
        lambda: lrcore.plot_loss_landscape(
            torch.rand(3, 3), torch.arange(3.0), torch.arange(3.0), trajectory=_history(2)
        ),
        ValueError,
        "trajectory must be a one-feature run, with weights of shape (k, 1, 1), got (6, 2, 1)",
    ),
    (
        lambda: lrcore.plot_loss_landscape(torch.rand(3, 3), torch.arange(3.0), torch.arange(3.0), trajectory="path"),
        TypeError,
        "trajectory must be a History (what lrcore.fit returns), got str",
    ),
    (
        lambda: lrcore.plot_loss_landscape(torch.rand(3, 3), torch.arange(3.0), torch.arange(3.0), log_scale="yes"),
        TypeError,
        "log_scale must be a bool (True or False), got str",
    ),
]


@pytest.mark.parametrize(("call", "exc", "message"), PLOT_CASES, ids=[c[2][:40] for c in PLOT_CASES])
def test_plotting_validates_and_leaves_no_figure(call, exc, message, no_figures_left):
    with pytest.raises(exc, match=full(message)):
        call()


def test_plotting_a_late_error_closes_the_figure(no_figures_left, monkeypatch):
    # An error raised while drawing (after the figure exists) must close that figure too.
    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr("matplotlib.axes.Axes.plot", broken)
    with pytest.raises(RuntimeError, match="drawing failed"):
        lrcore.plot_sigmoid()


def test_plotting_bfloat16():
    ax = lrcore.plot_roc_curve(torch.tensor([0.0, 0.5, 1.0], dtype=torch.bfloat16), torch.tensor([0.0, 1.0, 1.0]))
    np.testing.assert_array_equal(ax.lines[-1].get_xdata(), [0.0, 0.5, 1.0])
    plt.close("all")


def test_plot_loss_curves_with_a_stride():
    history = lrcore.fit(X4, Y4, W0, B0, 0.1, 50, record_every=10)
    ax = lrcore.plot_loss_curves(history)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 10, 20, 30, 40])
    plt.close("all")


# ---------------------------------------------------------------------------- 10. silent non-finite


def test_diverging_fit_warns():
    message = (
        "fit diverged: the parameters are inf or NaN after 66 steps; learning_rate=1 is too large for this "
        "problem, try a smaller one"
    )
    with pytest.warns(lrcore.NonFiniteWarning, match=full(message)):
        lrcore.fit(X4, Y4, W0, B0, 1, 100, l2=5)


def test_fit_on_huge_data_has_no_nan_loss():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning expected: the losses overflow to nothing here
        history = lrcore.fit(X4 * 1e20, Y4, W0, B0, 0.1, 50)
    assert not torch.isnan(history.train_loss).any()
    # Reference: float64 has the range for these logits.
    history64 = lrcore.fit(X4.double() * 1e20, Y4.double(), W0.double(), B0.double(), 0.1, 50)
    torch.testing.assert_close(history.train_loss.double(), history64.train_loss, rtol=1e-5, atol=1e-30)


def test_fit_warns_when_a_recorded_loss_overflows():
    # One sample with a logit of 3e38 on the wrong side: its loss is 3e38, the mean of 2 is 1.5e38
    # but the first loss at w = 1e38... the float32 loss of 4e38 is not representable: inf.
    x = torch.tensor([[4.0], [-4.0]])
    y = torch.tensor([[0.0], [1.0]])
    with pytest.warns(lrcore.NonFiniteWarning, match=escape("fit's train_loss has 1 non-finite value (NaN or inf)")):
        lrcore.fit(x, y, torch.tensor([[1e38]]), B0, 1e-30, 1)


def test_linear_overflow_to_zero_and_beyond():
    x = torch.tensor([[1e38, 1e38]])
    w = torch.tensor([[10.0], [-10.0]])
    assert lrcore.linear(x, w, B0).item() == 0.0  # 1e39 - 1e39: the true value is 0
    z64 = lrcore.linear(x.double() * 1e270, w.double(), B0.double())
    assert z64.item() == 0.0
    with pytest.warns(lrcore.NonFiniteWarning, match=escape("z = x w + b has 1 non-finite value (NaN or inf)")):
        z = lrcore.linear(x, -w.abs(), B0)
    assert z.item() == -math.inf  # -2e39 is beyond float32


def test_gradients_and_bce_with_huge_finite_inputs():
    x = torch.tensor([[3e38], [3e38]])
    dw, _ = lrcore.compute_gradients(x, torch.ones(2, 1), torch.zeros(2, 1))
    assert dw.item() == pytest.approx(3e38, rel=1e-6)  # by hand: mean of 3e38 * 1
    dw, _ = lrcore.compute_gradients_chain_rule(x, torch.ones(2, 1), torch.zeros(2, 1))
    assert dw.item() == pytest.approx(3e38, rel=1e-6)
    loss = lrcore.binary_cross_entropy_with_logits(torch.tensor([[3e38], [3e38]]), torch.zeros(2, 1))
    assert loss.item() == pytest.approx(3e38, rel=1e-6)  # softplus(3e38) = 3e38


def test_standardize_difference_overflow():
    x = torch.tensor([[3e38], [-3e38]])
    got = lrcore.standardize(x, torch.tensor([[-3e38]]), torch.tensor([[1e10]]))
    torch.testing.assert_close(got, torch.tensor([[6e28], [0.0]]))
    with pytest.warns(lrcore.NonFiniteWarning, match="standardize's result has 1 non-finite value"):
        lrcore.standardize(x, torch.tensor([[-3e38]]), torch.tensor([[0.5]]))


def test_gradient_descent_step_names_its_arguments():
    message = "x, w and b give logits x w + b beyond the range of torch.float32: standardize x, or use float64"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lrcore.NonFiniteWarning)  # linear's own warning comes first
        with pytest.raises(ValueError, match=full(message)):
            lrcore.gradient_descent_step(X4 * 1e38, Y4, torch.full((2, 1), 1e10), B0, 0.1)


def test_newton_overflow_raises():
    x = torch.tensor([[1e20, 0.0], [-1e20, 1.0], [2e20, 3.0], [-3e20, -1.0]])
    y = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    with pytest.raises(
        ValueError,
        match=full("x is too large for torch.float32: the Hessian overflowed; standardize x, or use float64"),
    ):
        lrcore.fit_newton(x, y, tol=1e-5)


def test_auc_sum_overflow():
    x = torch.tensor([0.0, 2e38, 3e38])
    y = torch.tensor([3e38, 3e38, 3e38])
    assert lrcore.auc(x, y) == pytest.approx(9e76, rel=1e-6)  # a 3e38 x 3e38 rectangle


# ---------------------------------------------------------------------------- 11. messages


def test_messages():
    with pytest.raises(TypeError, match=full("nesterov must be a bool (True or False), got int64")):
        lrcore.fit(X4, Y4, W0, B0, 0.1, 2, momentum=0.5, nesterov=np.int64(1))
    history = lrcore.fit(X4, Y4, W0, B0, 0.1, 2, momentum=0.5, nesterov=np.bool_(True))
    assert torch.equal(history.weights, lrcore.fit(X4, Y4, W0, B0, 0.1, 2, momentum=0.5, nesterov=True).weights)
    with pytest.raises(TypeError, match=full("learning_rate must be a real number, got numpy.bool")):
        lrcore.fit(X4, Y4, W0, B0, np.bool_(True), 2)
    with pytest.raises(TypeError, match=full("X must be a DataFrame, Series, ndarray, list or tensor, got NoneType")):
        lrcore.train_val_test_split(None, np.zeros(3))
    with pytest.raises(ValueError, match=full("seed must be < 2**32 (numpy's seeds are 32-bit), got 4294967296")):
        lrcore.train_val_test_split(np.zeros((20, 2)), np.tile([0, 1], 10), seed=2**32)
    with pytest.raises(TypeError, match=full("stratify must be a bool (True or False), got str")):
        lrcore.train_val_test_split(np.zeros((20, 2)), np.tile([0, 1], 10), stratify="no")
    with pytest.raises(ValueError, match=r"^X and y \(3 samples\) cannot be split so: The least populated class"):
        lrcore.train_val_test_split(np.zeros((3, 2)), np.array([0, 1, 2]))
    with pytest.raises(
        TypeError,
        match=full("x must have dtype torch.float32 or torch.float64, got torch.bfloat16; convert it with x.float()"),
    ):
        lrcore.plot_decision_boundary(X4.bfloat16(), Y4.bfloat16(), torch.ones(2, 1).bfloat16(), B0.bfloat16())


def test_numpy_bool_stratify_is_a_bool():
    X = np.arange(40.0).reshape(20, 2)
    y = np.tile([0, 1], 10)
    for got, expected in zip(
        lrcore.train_val_test_split(X, y, stratify=np.bool_(False)),
        lrcore.train_val_test_split(X, y, stratify=False),
        strict=True,
    ):
        np.testing.assert_array_equal(got, expected)


def test_budget_constant_is_what_the_messages_say():
    assert _validation.MEMORY_BUDGET_BYTES == 2**30
    assert re.search(r"1 GiB", _validation._bytes(_validation.MEMORY_BUDGET_BYTES))
