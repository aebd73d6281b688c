"""lrcore.checks: lrcore's own functions pass, stubs and the mistakes learners make fail.

Every wrong implementation below is one a learner could (and often does) write. Each must be
rejected, and where the mistake is recognisable, the report must name it: the expected hint
is given by its name, as printed in ``Hint (<name>): ...``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import lrcore
import lrcore.checks as checks

# The functions a learner writes in the lab, and lrcore's version of each.
REFERENCES = {
    "standardization_stats": lrcore.fit_standardizer,
    "standardize": lrcore.standardize,
    "linear": lrcore.linear,
    "sigmoid": lrcore.sigmoid,
    "logistic_regression": lrcore.logistic_regression,
    "binary_cross_entropy": lrcore.binary_cross_entropy,
    "compute_gradients": lrcore.compute_gradients,
    "gradient_descent_step": lrcore.gradient_descent_step,
    "precision": lrcore.precision,
    "recall": lrcore.recall,
    "f1_score": lrcore.f1_score,
    "dJi_dS": lrcore.dJi_dS,
    "dS_dZ": lrcore.dS_dZ,
    "dZ_dW": lrcore.dZ_dW,
    "dZ_dB": lrcore.dZ_dB,
}


def check(name):
    return getattr(checks, f"check_{name}")


# ---------------------------------------------------------------------------- wrong implementations
# name -> [(id, wrong function, expected hint name or None)]

WRONG: dict[str, list] = {}


def _stats_no_constant_rule(x):
    return x.mean(dim=0, keepdim=True), x.std(dim=0, keepdim=True, correction=0)


def _stats_math_sqrt(x):
    mean = x.mean(dim=0, keepdim=True)
    return mean, math.sqrt(((x - mean) ** 2).mean(dim=0, keepdim=True))


def _safe(std):
    return torch.where(std == 0, torch.ones_like(std), std)


WRONG["standardization_stats"] = [
    ("sample-std", lambda x: (x.mean(0, keepdim=True), _safe(x.std(0, keepdim=True))),
     "sample standard deviation (N - 1)"),
    ("global-std", lambda x: (x.mean(0, keepdim=True), x.std(correction=0).expand(1, x.shape[1])),
     "one std over the whole matrix"),
    ("global-std-scalar", lambda x: (x.mean(0, keepdim=True), x.std(correction=0)), "one std over the whole matrix"),
    ("global-mean", lambda x: (x.mean().expand(1, x.shape[1]), _safe(x.std(0, keepdim=True, correction=0))),
     "one mean over the whole matrix"),
    ("per-sample", lambda x: (x.mean(1, keepdim=True), x.std(1, keepdim=True, correction=0)),
     "statistics per sample instead of per feature"),
    ("no-keepdim", lambda x: (x.mean(0), _safe(x.std(0, correction=0))), "a flat (D,) vector instead of a row (1, D)"),
    ("variance", lambda x: (x.mean(0, keepdim=True), _safe(x.var(0, keepdim=True, correction=0))),
     "variance instead of standard deviation"),
    ("constant-feature-std-0", _stats_no_constant_rule, "a constant feature gets std 0"),
    ("std-mean-order", lambda x: tuple(reversed(lrcore.fit_standardizer(x))), "mean and std in the wrong order"),
    ("math-sqrt", _stats_math_sqrt, "math functions on a tensor"),
    ("numpy", lambda x: (x.numpy().mean(0, keepdims=True), x.numpy().std(0, keepdims=True)),
     "a numpy array instead of a tensor"),
]  # fmt: skip


def _standardize_in_place(x, mean, std):
    x -= mean
    x /= std
    return x


WRONG["standardize"] = [
    ("divide-then-subtract", lambda x, mean, std: x / std - mean, "mean subtracted after dividing"),
    ("precedence", lambda x, mean, std: x - mean / std, "operator precedence"),
    ("own-statistics", lambda x, mean, std: (x - x.mean(0)) / x.std(0, correction=0), "statistics recomputed from x"),
    ("own-sample-statistics", lambda x, mean, std: (x - x.mean(0)) / x.std(0), "statistics recomputed from x"),
    ("global-std", lambda x, mean, std: (x - mean) / x.std(), "one std over the whole matrix"),
    ("times-std", lambda x, mean, std: (x - mean) * std, "multiplied by the std"),
    ("center-only", lambda x, mean, std: x - mean, "std never used"),
    ("scale-only", lambda x, mean, std: x / std, "mean never used"),
    ("mean-std-swapped", lambda x, mean, std: (x - std) / mean, "mean and std swapped"),
    ("in-place", _standardize_in_place, "input changed in place"),
    ("float64", lambda x, mean, std: ((x - mean) / std).double(), "dtype changed"),
]


def _linear_dot(x, w, b):
    return torch.dot(x, w) + b


WRONG["linear"] = [
    ("no-bias", lambda x, w, b: x @ w, "missing bias"),
    ("minus-bias", lambda x, w, b: x @ w - b, "bias subtracted"),
    ("row", lambda x, w, b: w.T @ x.T + b, "a row (1, n) instead of a column (n, 1)"),
    ("elementwise", lambda x, w, b: x * w.T + b, "elementwise product instead of matrix product"),
    ("elementwise-no-transpose", lambda x, w, b: x * w + b, None),
    ("w-at-x", lambda x, w, b: w @ x + b, "matrix product in the wrong order"),
    ("dot", _linear_dot, "torch.dot on matrices"),
    ("flat", lambda x, w, b: (x @ w + b).reshape(-1), "a flat (n,) vector instead of a column (n, 1)"),
    ("sigmoid", lambda x, w, b: torch.sigmoid(x @ w + b), "sigmoid applied in linear"),
    ("x-transposed", lambda x, w, b: x.T @ w + b, "x transposed"),
]


def _sigmoid_in_place(z):
    return z.neg_().exp_().add_(1).reciprocal_()


WRONG["sigmoid"] = [
    ("no-minus", lambda z: 1 / (1 + torch.exp(z)), "missing minus sign"),
    ("one-minus", lambda z: torch.exp(-z) / (1 + torch.exp(-z)), "missing minus sign"),
    ("math-exp", lambda z: 1 / (1 + math.exp(-z)), "math functions on a tensor"),
    ("overflow", lambda z: torch.exp(z) / (1 + torch.exp(z)), "exp(z) overflows"),
    ("minus-denominator", lambda z: 1 / (1 - torch.exp(-z)), "minus in the denominator"),
    ("no-reciprocal", lambda z: 1 + torch.exp(-z), "reciprocal missing"),
    ("tanh", torch.tanh, "tanh is not the sigmoid"),
    ("in-place", _sigmoid_in_place, "input changed in place"),
    ("float64", lambda z: 1 / (1 + torch.exp(-z.double())), "dtype changed"),
    ("numpy", lambda z: 1 / (1 + np.exp(-z.numpy())), "a numpy array instead of a tensor"),
]


def _logistic_math(x, w, b):
    z = x @ w + b
    return 1 / (1 + math.exp(-z))


WRONG["logistic_regression"] = [
    ("no-sigmoid", lambda x, w, b: x @ w + b, "sigmoid missing"),
    ("no-bias", lambda x, w, b: torch.sigmoid(x @ w), "missing bias"),
    ("bias-outside", lambda x, w, b: torch.sigmoid(x @ w) + b, "bias added after the sigmoid"),
    ("no-minus", lambda x, w, b: 1 / (1 + torch.exp(x @ w + b)), "probability of the other class"),
    ("labels", lambda x, w, b: (torch.sigmoid(x @ w + b) >= 0.5).float(), "labels instead of probabilities"),
    ("sigmoid-of-x", lambda x, w, b: torch.sigmoid(x) @ w + b, "sigmoid applied to x"),
    ("math-exp", _logistic_math, "math functions on a tensor"),
    ("row", lambda x, w, b: torch.sigmoid(w.T @ x.T + b), "a row (1, n) instead of a column (n, 1)"),
]


def _bce_naive(y_pred, y_true):
    return -(y_true * torch.log(y_pred) + (1 - y_true) * torch.log(1 - y_pred)).mean()


def _bce_clamped(y_pred, y_true):
    p = y_pred.clamp(1e-7, 1 - 1e-7)
    return -(y_true * torch.log(p) + (1 - y_true) * torch.log(1 - p)).mean()


def _bce_matrix_form(y_pred, y_true):
    n = y_true.shape[0]
    return -(y_true.T @ torch.log(y_pred) + (1 - y_true).T @ torch.log1p(-y_pred)) / n


def _bce_math(y_pred, y_true):
    return -(y_true * math.log(y_pred) + (1 - y_true) * math.log(1 - y_pred)).mean()


def _xlogy_bce(y_pred, y_true, reduce):
    return -reduce(torch.xlogy(y_true, y_pred) + torch.xlogy(1 - y_true, 1 - y_pred))


WRONG["binary_cross_entropy"] = [
    ("naive-nan", _bce_naive, "0 · log 0 = nan"),
    ("sum", lambda p, y: _xlogy_bce(p, y, torch.sum), "a sum where the mean is meant"),
    ("no-minus", lambda p, y: -_xlogy_bce(p, y, torch.mean), "missing minus sign"),
    ("clamped", _bce_clamped, "clamped probabilities"),
    ("log10", lambda p, y: -(torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p)).mean() / math.log(10),
     "log in the wrong base"),
    ("only-positive-term", lambda p, y: -torch.xlogy(y, p).mean(), "one of the two terms missing"),
    ("logs-swapped", lambda p, y: -(torch.xlogy(y, 1 - p) + torch.xlogy(1 - y, p)).mean(), "the logs swapped"),
    ("arguments-swapped", lambda p, y: _bce_naive(y, p), "arguments in the wrong order"),
    ("per-sample", lambda p, y: -(torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p)),
     "per-sample losses instead of their mean"),
    ("matrix-form", _bce_matrix_form, "a (1, 1) tensor instead of a 0-d one"),
    ("math-log", _bce_math, "math functions on a tensor"),
    ("item", lambda p, y: _xlogy_bce(p, y, torch.mean).item(), "a Python number instead of a tensor"),
]  # fmt: skip


def _gradients_flat_labels(x, y_pred, y_true):
    r = y_pred - y_true.reshape(-1)
    return x.T @ r / x.shape[0], r.mean().reshape(1, 1)


def _gradients_no_return(x, y_pred, y_true):
    r = y_pred - y_true
    dw = x.T @ r / x.shape[0]  # noqa: F841 (the mistake: nothing is returned)
    db = r.mean().reshape(1, 1)  # noqa: F841


def _grad(x, r, n):
    return x.T @ r / n, r.mean().reshape(1, 1)


WRONG["compute_gradients"] = [
    ("sign", lambda x, p, y: _grad(x, y - p, x.shape[0]), "residual with the wrong sign"),
    ("sum", lambda x, p, y: (x.T @ (p - y), (p - y).sum().reshape(1, 1)), "a sum where the mean is meant"),
    ("sum-dw-only", lambda x, p, y: (x.T @ (p - y), (p - y).mean().reshape(1, 1)), "a sum where the mean is meant"),
    ("row", lambda x, p, y: ((p - y).T @ x / x.shape[0], (p - y).mean().reshape(1, 1)), "dw as a row (1, D)"),
    ("not-averaged", lambda x, p, y: (x * (p - y), (p - y).mean().reshape(1, 1)), "per-sample gradients not averaged"),
    ("mean-all", lambda x, p, y: ((x * (p - y)).mean(), (p - y).mean().reshape(1, 1)), "mean over all entries"),
    ("sigmoid-again", lambda x, p, y: _grad(x, torch.sigmoid(p) - y, x.shape[0]), "sigmoid applied to y_pred"),
    ("order", lambda x, p, y: tuple(reversed(_grad(x, p - y, x.shape[0]))), "dw and db in the wrong order"),
    ("x-not-transposed", lambda x, p, y: (x @ (p - y) / x.shape[0], (p - y).mean().reshape(1, 1)),
     "x not transposed"),
    ("flat-labels", _gradients_flat_labels, "(n, 1) and (n,) broadcast to (n, n)"),
    ("db-0d", lambda x, p, y: (x.T @ (p - y) / x.shape[0], (p - y).mean()), "right values, wrong shape"),
    ("no-return", _gradients_no_return, "return missing"),
]  # fmt: skip


def _step(update, loss_after=False, loss_reduce=torch.mean, order=(0, 1, 2), in_place=False):
    """A gradient-descent step written with lrcore's helpers, with one mistake."""

    def step(x, y, w, b, learning_rate):
        p = lrcore.logistic_regression(x, w, b)
        loss = -loss_reduce(torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p))
        dw, db = lrcore.compute_gradients(x, p, y)
        if in_place:
            w -= learning_rate * dw
            b -= learning_rate * db
            w_new, b_new = w, b
        else:
            w_new, b_new = update(w, learning_rate, dw, x.shape[0]), update(b, learning_rate, db, x.shape[0])
        if loss_after:
            loss = lrcore.binary_cross_entropy(lrcore.logistic_regression(x, w_new, b_new), y)
        result = (loss, w_new, b_new)
        return tuple(result[i] for i in order)

    return step


def _right(p, lr, g, n):
    return p - lr * g


def _step_bias_frozen(x, y, w, b, learning_rate):
    loss, w_new, _ = lrcore.gradient_descent_step(x, y, w, b, learning_rate)
    return loss, w_new, b


def _step_returns_gradient(x, y, w, b, learning_rate):
    p = lrcore.logistic_regression(x, w, b)
    dw, db = lrcore.compute_gradients(x, p, y)
    return lrcore.binary_cross_entropy(p, y), dw, db


WRONG["gradient_descent_step"] = [
    ("ascent", _step(lambda p, lr, g, n: p + lr * g), "gradient ascent"),
    ("no-learning-rate", _step(lambda p, lr, g, n: p - g), "learning rate not applied"),
    ("gradient-times-n", _step(lambda p, lr, g, n: p - lr * n * g), "gradient not divided by N"),
    ("loss-after-update", _step(_right, loss_after=True), "loss evaluated after the update"),
    ("loss-sum", _step(_right, loss_reduce=torch.sum), "a sum where the mean is meant"),
    ("bias-frozen", _step_bias_frozen, "bias not updated"),
    ("returns-gradient", _step_returns_gradient, "gradient returned instead of the new parameters"),
    ("order", _step(_right, order=(1, 2, 0)), "results in the wrong order"),
    ("in-place", _step(_right, in_place=True), "input changed in place"),
]


def _counts(y_pred, y_true):
    tp = int(((y_pred == 1) & (y_true == 1)).sum())
    fp = int(((y_pred == 1) & (y_true == 0)).sum())
    fn = int(((y_pred == 0) & (y_true == 1)).sum())
    tn = int(((y_pred == 0) & (y_true == 0)).sum())
    return tp, fp, fn, tn


def _safe_div(a, b):
    return a / b if b else 0.0


def _precision_tensor_division(y_pred, y_true):
    tp = (y_pred * y_true).sum()
    return tp / y_pred.sum()


def _precision_not_item(y_pred, y_true):
    tp = (y_pred * y_true).sum()
    predicted = y_pred.sum()
    return tp / predicted if predicted > 0 else torch.tensor(0.0)


def _metric(formula):
    return lambda y_pred, y_true: formula(*_counts(y_pred, y_true))


WRONG["precision"] = [
    ("recall-formula", _metric(lambda tp, fp, fn, tn: _safe_div(tp, tp + fn)), "precision and recall swapped"),
    ("arguments-swapped", lambda y_pred, y_true: lrcore.precision(y_true, y_pred), "precision and recall swapped"),
    ("zero-division", _metric(lambda tp, fp, fn, tn: tp / (tp + fp)), "0/0 when nothing is predicted positive"),
    ("nan", _precision_tensor_division, "0/0 when nothing is predicted positive"),
    ("accuracy", _metric(lambda tp, fp, fn, tn: (tp + tn) / (tp + fp + fn + tn)), "accuracy"),
    ("false-alarm-share", _metric(lambda tp, fp, fn, tn: _safe_div(fp, tp + fp)), "share of false alarms"),
    ("tensor", _precision_not_item, "a tensor instead of a Python float"),
]

WRONG["recall"] = [
    ("precision-formula", _metric(lambda tp, fp, fn, tn: _safe_div(tp, tp + fp)), "precision and recall swapped"),
    ("arguments-swapped", lambda y_pred, y_true: lrcore.recall(y_true, y_pred), "precision and recall swapped"),
    ("zero-division", _metric(lambda tp, fp, fn, tn: tp / (tp + fn)), "0/0 when there is no positive sample"),
    ("specificity", _metric(lambda tp, fp, fn, tn: _safe_div(tn, tn + fp)), "specificity instead of recall"),
    ("miss-rate", _metric(lambda tp, fp, fn, tn: _safe_div(fn, tp + fn)), "share of missed positives"),
    ("accuracy", _metric(lambda tp, fp, fn, tn: (tp + tn) / (tp + fp + fn + tn)), "accuracy"),
    ("tensor", lambda y_pred, y_true: (y_pred * y_true).sum() / max(float(y_true.sum()), 1.0),
     "a tensor instead of a Python float"),
]  # fmt: skip


def _precision_recall(tp, fp, fn):
    return _safe_div(tp, tp + fp), _safe_div(tp, tp + fn)


def _f1_from_pr(tp, fp, fn, tn):
    p, r = _precision_recall(tp, fp, fn)
    return 2 * p * r / (p + r)


WRONG["f1_score"] = [
    ("arithmetic-mean", _metric(lambda tp, fp, fn, tn: sum(_precision_recall(tp, fp, fn)) / 2),
     "F1 as the arithmetic mean"),
    ("zero-division", _metric(_f1_from_pr), "0/0 in 2PR / (P + R)"),
    ("geometric-mean", _metric(lambda tp, fp, fn, tn: math.sqrt(math.prod(_precision_recall(tp, fp, fn)))),
     "F1 as the geometric mean"),
    ("no-factor-2", _metric(lambda tp, fp, fn, tn: _safe_div(tp, 2 * tp + fp + fn)), "factor 2 missing"),
    ("precision", _metric(lambda tp, fp, fn, tn: _safe_div(tp, tp + fp)), "precision or recall alone"),
    ("accuracy", _metric(lambda tp, fp, fn, tn: (tp + tn) / (tp + fp + fn + tn)), "accuracy"),
    ("tensor", lambda y_pred, y_true: torch.tensor(lrcore.f1_score(y_pred, y_true)),
     "a tensor instead of a Python float"),
]  # fmt: skip


WRONG["dJi_dS"] = [
    ("naive-nan", lambda s, y: -y / s + (1 - y) / (1 - s), "0/0 in the term that should vanish"),
    ("no-minus", lambda s, y: torch.where(y == 1, 1 / s, -1 / (1 - s)), "missing minus sign"),
    ("divided-by-n", lambda s, y: lrcore.dJi_dS(s, y) / s.shape[0], "divided by N"),
    ("second-term-sign", lambda s, y: -y / s - (1 - y) / (1 - s), "wrong sign of the second term"),
    ("collapsed", lambda s, y: s - y, "s - y is the product of two factors"),
    ("loss", lambda s, y: -(torch.xlogy(y, s) + torch.xlogy(1 - y, 1 - s)), "the loss instead of its derivative"),
    ("mean", lambda s, y: lrcore.dJi_dS(s, y).mean(), "one number instead of one per sample"),
]


def _dS_dZ_in_place(s):
    return s.mul_(1 - s)


WRONG["dS_dZ"] = [
    ("one-plus", lambda s: s * (1 + s), "s (1 + s)"),
    ("identity", lambda s: s, "the sigmoid instead of its derivative"),
    ("sigmoid-again", lambda s: torch.sigmoid(s) * (1 - torch.sigmoid(s)), "sigmoid applied to s"),
    ("sigmoid-of-s", torch.sigmoid, "sigmoid applied to s"),
    ("one-minus", lambda s: 1 - s, "a factor missing"),
    ("negative", lambda s: -s * (1 - s), "wrong sign"),
    ("in-place", _dS_dZ_in_place, "input changed in place"),
]

WRONG["dZ_dW"] = [
    ("no-copy", lambda x: x, "x returned itself"),
    ("view", lambda x: x[:], "x returned itself"),
    ("transposed", lambda x: x.T.clone(), "x transposed"),
    ("ones", torch.ones_like, "ones are dz/db"),
    ("summed", lambda x: x.sum(dim=0, keepdim=True), "summed over the samples"),
    ("mean", lambda x: x.mean(dim=0), "summed over the samples"),
    ("zeros", torch.zeros_like, "zero derivative"),
    ("float32", lambda x: x.float().clone(), "dtype changed"),
]

WRONG["dZ_dB"] = [
    ("ones-like-x", torch.ones_like, "ones of x's shape"),
    ("default-dtype", lambda x: torch.ones(x.shape[0], 1), "dtype changed"),
    ("one-number", lambda x: torch.ones(1, 1, dtype=x.dtype), "one number instead of one per sample"),
    ("zeros", lambda x: torch.zeros(x.shape[0], 1, dtype=x.dtype), "zero derivative"),
    ("features", lambda x: torch.ones(x.shape[1], 1, dtype=x.dtype), "(D, 1) instead of (n, 1)"),
    ("flat", lambda x: torch.ones(x.shape[0], dtype=x.dtype), "a flat (n,) vector instead of a column (n, 1)"),
    ("x", lambda x: x[:, :1].clone(), "x instead of ones"),
]

WRONG_CASES = [
    pytest.param(name, fn, hint, id=f"{name}-{case_id}") for name, cases in WRONG.items() for case_id, fn, hint in cases
]


def _stub(*args):
    raise NotImplementedError("TODO")


def _case_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("  ✓ ", "  ✗ "))]


# ---------------------------------------------------------------------------- tests


def test_there_is_a_check_for_every_function_of_the_lab():
    public = {name.removeprefix("check_") for name in checks.__all__ if name.startswith("check_")}
    assert public == set(REFERENCES) | {"fit_standardizer"}
    assert set(checks.HINTS) == set(REFERENCES)


@pytest.mark.parametrize("name", REFERENCES)
def test_lrcore_passes(name, capsys):
    assert check(name)(REFERENCES[name]) is True
    out = capsys.readouterr().out
    lines = _case_lines(out)
    assert len(lines) >= 4 and all(line.startswith("  ✓ ") for line in lines)
    assert "Hint" not in out
    assert out.splitlines()[-1].startswith(f"✓ {name}: all {len(lines)} cases passed")


def test_fit_standardizer_is_the_standardization_stats_check(capsys):
    assert checks.check_fit_standardizer(lrcore.fit_standardizer) is True
    assert checks.check_fit_standardizer(WRONG["standardization_stats"][0][1]) is False
    assert "Hint (sample standard deviation (N - 1))" in capsys.readouterr().out


@pytest.mark.parametrize("name", REFERENCES)
def test_a_stub_fails_without_raising(name, capsys):
    check(name)(REFERENCES[name])
    n_cases = len(_case_lines(capsys.readouterr().out))
    assert check(name)(_stub) is False
    out = capsys.readouterr().out
    lines = _case_lines(out)
    assert len(lines) == n_cases  # one line per case
    assert all(line.endswith("raised NotImplementedError: TODO") for line in lines)
    assert "Hint (not written yet)" in out
    assert out.splitlines()[-1] == f"✗ {name}: {n_cases} of {n_cases} cases failed"


@pytest.mark.parametrize(("name", "wrong", "hint"), WRONG_CASES)
def test_a_wrong_implementation_is_rejected_with_its_hint(name, wrong, hint, capsys):
    assert check(name)(wrong) is False
    out = capsys.readouterr().out
    assert any(line.startswith("  ✗ ") for line in _case_lines(out))
    if hint is not None:
        assert f"Hint ({hint}):" in out, out


@pytest.mark.parametrize("name", REFERENCES)
def test_at_least_five_wrong_implementations_per_function(name):
    assert len(WRONG[name]) >= 5


def test_every_expected_hint_exists():
    names = {hint.name for hints in checks.HINTS.values() for hint in hints}
    names |= {hint.name for hint in checks.COMMON_HINTS}
    expected = {hint for cases in WRONG.values() for _, _, hint in cases if hint is not None}
    assert expected - names == set()


def _returns_none(*args):
    return None


def _raises_value_error(*args):
    raise ValueError("something else went wrong")


def _raises_recursion(*args):
    return _raises_recursion(*args)


ODD_FUNCTIONS = {
    "returns-none": _returns_none,
    "returns-string": lambda *args: "0.5",
    "returns-first-argument": lambda *args: args[0],
    "returns-list": lambda *args: [1.0, 2.0],
    "raises-value-error": _raises_value_error,
    "infinite-recursion": _raises_recursion,
    "wrong-arity": lambda x: x,
    "returns-complex": lambda *args: args[0].to(torch.complex64),
    "returns-object": lambda *args: object(),
    "returns-grad-tensor": lambda *args: torch.zeros_like(args[0], requires_grad=True),
    "exits": lambda *args: exit(),
}


@pytest.mark.parametrize("name", REFERENCES)
@pytest.mark.parametrize("odd", ODD_FUNCTIONS.values(), ids=ODD_FUNCTIONS.keys())
def test_no_check_accepts_odd_functions_or_raises(name, odd, capsys):
    assert check(name)(odd) is False
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith(f"✗ {name}:")


@pytest.mark.parametrize("name", REFERENCES)
def test_a_wrong_implementation_of_another_function_is_rejected(name, capsys):
    # Mixing up two functions (checking sigmoid with dS_dZ, ...) never passes.
    others = [fn for other, fn in REFERENCES.items() if other != name]
    assert not any(check(name)(fn) for fn in others)


def test_passing_the_result_instead_of_the_function(capsys):
    x = torch.ones(2, 2)
    assert checks.check_dZ_dW(lrcore.dZ_dW(x)) is False
    assert "write check_dZ_dW(dZ_dW), without calling dZ_dW" in capsys.readouterr().out


def test_the_report_shows_expected_and_got(capsys):
    checks.check_sigmoid(lambda z: 1 / (1 + torch.exp(z)))
    out = capsys.readouterr().out
    assert "  ✓ z = 0, shape (1, 1), float32" in out  # s(0) = s(-0)
    assert "  ✗ z from -2 to 2, shape (5, 1), float64: values differ at [0, 0]: expected 0.1192, got 0.8808" in out
    checks.check_linear(lambda x, w, b: (x @ w + b).reshape(-1))
    assert "  ✗ x 4×3, float32: shape: expected (4, 1), got (4,)" in capsys.readouterr().out
    checks.check_dZ_dB(lambda x: torch.ones(x.shape[0], 1))
    assert "  ✗ x 5×1, float64: dtype: expected float64 (the input's), got float32" in capsys.readouterr().out
    checks.check_precision(_metric(lambda tp, fp, fn, tn: tp / (tp + fp)))
    assert "raised ZeroDivisionError: division by zero" in capsys.readouterr().out


def test_a_hint_is_printed_once(capsys):
    checks.check_standardize(lambda x, mean, std: x / std - mean)
    out = capsys.readouterr().out
    assert out.count("Hint (mean subtracted after dividing)") == 1
    assert out.count("Hint") == 1


def test_a_new_hint_is_one_statement(monkeypatch, capsys):
    hint = checks.Hint(
        "mean added",
        "Subtract the mean: (x - mean) / std.",
        checks.looks_like(lambda x, mean, std: (x + mean) / std),
    )
    monkeypatch.setitem(checks.HINTS, "standardize", [*checks.HINTS["standardize"], hint])
    assert checks.check_standardize(lambda x, mean, std: (x + mean) / std) is False
    assert "Hint (mean added): Subtract the mean: (x - mean) / std." in capsys.readouterr().out


def test_a_detector_that_raises_counts_as_no_match(monkeypatch, capsys):
    broken = checks.Hint("broken", "never shown", lambda outcome: 1 / 0)
    monkeypatch.setitem(checks.HINTS, "sigmoid", [broken, *checks.HINTS["sigmoid"]])
    assert checks.check_sigmoid(lambda z: 1 / (1 + torch.exp(z))) is False
    out = capsys.readouterr().out
    assert "broken" not in out and "Hint (missing minus sign)" in out


def test_checks_do_not_leak_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert checks.check_precision(lrcore.precision) is True
        assert checks.check_sigmoid(lambda z: 1 / (1 + np.exp(-z.numpy()))) is False
