"""Bad input for every public function: the exception type and the message are pinned.

Every case starts from valid arguments and breaks exactly one thing, so the error must name
that argument. ``re.escape`` keeps the expected messages readable.
"""

from __future__ import annotations

import inspect
import math
from re import escape

import numpy as np
import pandas as pd
import pytest
import torch

import lrcore

N, D = 5, 3
F32, F64 = torch.float32, torch.float64


def X(dtype=F32):
    return torch.arange(N * D, dtype=dtype).reshape(N, D) / 10


def Y(dtype=F32):
    return torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0]], dtype=dtype)


def S(dtype=F32):
    return torch.tensor([[0.1], [0.9], [0.5], [0.0], [1.0]], dtype=dtype)


def W(dtype=F32):
    return torch.ones(D, 1, dtype=dtype)


def B(dtype=F32):
    return torch.zeros(1, 1, dtype=dtype)


def with_value(t: torch.Tensor, value: float, index=(0, 0)) -> torch.Tensor:
    t = t.clone()
    t[index] = value
    return t


# Messages shared by many functions.
NOT_TENSOR = "{name} must be a torch.Tensor, got {type}"
NOT_FLOAT = (
    "{name} must have dtype torch.float32 or torch.float64, got {dtype}; convert it with {name}.float()"
)
NOT_FINITE = "{name} must contain only finite values, got NaN or inf"
EMPTY = "{name} must not be empty, got shape {shape}"
COLUMN_1D = "{name} must be 2-D with shape (n, 1), got shape (5,); reshape it with {name}.reshape(-1, 1)"
NOT_COLUMN = "{name} must have shape (n, 1), got shape {shape}"
MATRIX_ND = "{name} must be 2-D with shape (n, D), got shape {shape}"
ROWS = "{a} and {b} must have the same number of rows (samples), got {na} and {nb}"
DTYPES = "{a} and {b} must have the same dtype, got {da} and {db}"
LABELS = "{name} must contain only 0 and 1, got {bad}"
PROBS = "{name} must contain probabilities in [0, 1], got {bad}"


def case(fn, exc, message, id, *, full=True):
    """A pytest.param: calling ``fn()`` raises ``exc`` whose message matches ``message``."""
    pattern = "^" + escape(message) + "$" if full else escape(message)
    return pytest.param(fn, exc, pattern, id=id)


# ---------------------------------------------------------------------------- matrix x


def matrix_cases(prefix, call, name="x"):
    """Cases for an (n, D) floating argument; ``call(x)`` runs the function with that x."""
    return [
        case(
            lambda: call(X().numpy()),
            TypeError,
            NOT_TENSOR.format(name=name, type="ndarray"),
            f"{prefix}-{name}-ndarray",
        ),
        case(lambda: call(X().tolist()), TypeError, NOT_TENSOR.format(name=name, type="list"), f"{prefix}-{name}-list"),
        case(
            lambda: call(X().long()),
            TypeError,
            NOT_FLOAT.format(name=name, dtype="torch.int64"),
            f"{prefix}-{name}-int64",
        ),
        case(
            lambda: call(X().bool()),
            TypeError,
            NOT_FLOAT.format(name=name, dtype="torch.bool"),
            f"{prefix}-{name}-bool",
        ),
        case(
            lambda: call(torch.empty(0, D)),
            ValueError,
            EMPTY.format(name=name, shape="(0, 3)"),
            f"{prefix}-{name}-empty",
        ),
        case(
            lambda: call(torch.empty(N, 0)),
            ValueError,
            EMPTY.format(name=name, shape="(5, 0)"),
            f"{prefix}-{name}-no-features",
        ),
        case(lambda: call(X()[:, 0]), ValueError, MATRIX_ND.format(name=name, shape="(5,)"), f"{prefix}-{name}-1d"),
        case(
            lambda: call(X()[None]), ValueError, MATRIX_ND.format(name=name, shape="(1, 5, 3)"), f"{prefix}-{name}-3d"
        ),
        case(
            lambda: call(torch.tensor(1.0)), ValueError, MATRIX_ND.format(name=name, shape="()"), f"{prefix}-{name}-0d"
        ),
        case(lambda: call(with_value(X(), math.nan)), ValueError, NOT_FINITE.format(name=name), f"{prefix}-{name}-nan"),
        case(lambda: call(with_value(X(), math.inf)), ValueError, NOT_FINITE.format(name=name), f"{prefix}-{name}-inf"),
        case(
            lambda: call(with_value(X(), -math.inf)), ValueError, NOT_FINITE.format(name=name), f"{prefix}-{name}--inf"
        ),
    ]


def column_cases(prefix, call, name, valid):
    """Cases for an (n, 1) floating argument; ``valid()`` builds a good value."""
    return [
        case(
            lambda: call(valid().numpy()),
            TypeError,
            NOT_TENSOR.format(name=name, type="ndarray"),
            f"{prefix}-{name}-ndarray",
        ),
        case(lambda: call(0.5), TypeError, NOT_TENSOR.format(name=name, type="float"), f"{prefix}-{name}-float"),
        case(
            lambda: call(valid().long()),
            TypeError,
            NOT_FLOAT.format(name=name, dtype="torch.int64"),
            f"{prefix}-{name}-int64",
        ),
        case(lambda: call(valid().reshape(-1)), ValueError, COLUMN_1D.format(name=name), f"{prefix}-{name}-(n,)-trap"),
        case(
            lambda: call(valid().reshape(1, -1)),
            ValueError,
            NOT_COLUMN.format(name=name, shape="(1, 5)"),
            f"{prefix}-{name}-row",
        ),
        case(
            lambda: call(valid().repeat(1, 2)),
            ValueError,
            NOT_COLUMN.format(name=name, shape="(5, 2)"),
            f"{prefix}-{name}-(n,2)",
        ),
        case(
            lambda: call(valid()[None]),
            ValueError,
            f"{name} must be 2-D with shape (n, 1), got shape (1, 5, 1)",
            f"{prefix}-{name}-3d",
        ),
        case(
            lambda: call(torch.empty(0, 1)),
            ValueError,
            EMPTY.format(name=name, shape="(0, 1)"),
            f"{prefix}-{name}-empty",
        ),
        case(
            lambda: call(with_value(valid(), math.nan)),
            ValueError,
            NOT_FINITE.format(name=name),
            f"{prefix}-{name}-nan",
        ),
        case(
            lambda: call(with_value(valid(), math.inf)),
            ValueError,
            NOT_FINITE.format(name=name),
            f"{prefix}-{name}-inf",
        ),
    ]


def label_cases(prefix, call, name="y"):
    return [
        *column_cases(prefix, call, name, Y),
        case(lambda: call(with_value(Y(), 0.5)), ValueError, LABELS.format(name=name, bad=0.5), f"{prefix}-{name}-0.5"),
        case(lambda: call(with_value(Y(), 2.0)), ValueError, LABELS.format(name=name, bad=2.0), f"{prefix}-{name}-2"),
        case(
            lambda: call(with_value(Y(), -1.0)), ValueError, LABELS.format(name=name, bad=-1.0), f"{prefix}-{name}--1"
        ),
    ]


def probability_cases(prefix, call, name="y_pred"):
    return [
        *column_cases(prefix, call, name, S),
        case(lambda: call(with_value(S(), 1.5)), ValueError, PROBS.format(name=name, bad=1.5), f"{prefix}-{name}-1.5"),
        case(
            lambda: call(with_value(S(), -0.25)),
            ValueError,
            PROBS.format(name=name, bad=-0.25),
            f"{prefix}-{name}--0.25",
        ),
    ]


def param_cases(prefix, call):
    """Cases for w (D, 1) and b (1, 1) that must match x (5, 3); ``call(w, b)``."""
    return [
        case(
            lambda: call(W().numpy(), B()),
            TypeError,
            NOT_TENSOR.format(name="w", type="ndarray"),
            f"{prefix}-w-ndarray",
        ),
        case(lambda: call(W(), 0.0), TypeError, NOT_TENSOR.format(name="b", type="float"), f"{prefix}-b-float"),
        case(
            lambda: call(W().long(), B()),
            TypeError,
            NOT_FLOAT.format(name="w", dtype="torch.int64"),
            f"{prefix}-w-int64",
        ),
        case(
            lambda: call(W(), B().int()),
            TypeError,
            NOT_FLOAT.format(name="b", dtype="torch.int32"),
            f"{prefix}-b-int32",
        ),
        case(
            lambda: call(W().reshape(-1), B()),
            ValueError,
            "w must have shape (3, 1) to match x of shape (5, 3), got shape (3,)",
            f"{prefix}-w-(D,)-trap",
        ),
        case(
            lambda: call(W().T, B()),
            ValueError,
            "w must have shape (3, 1) to match x of shape (5, 3), got shape (1, 3)",
            f"{prefix}-w-transposed",
        ),
        case(
            lambda: call(torch.ones(4, 1), B()),
            ValueError,
            "w must have shape (3, 1) to match x of shape (5, 3), got shape (4, 1)",
            f"{prefix}-w-wrong-D",
        ),
        case(
            lambda: call(W(), B().reshape(1)),
            ValueError,
            "b must have shape (1, 1), got shape (1,)",
            f"{prefix}-b-(1,)",
        ),
        case(
            lambda: call(W(), B().reshape(())), ValueError, "b must have shape (1, 1), got shape ()", f"{prefix}-b-0d"
        ),
        case(
            lambda: call(W(), torch.zeros(5, 1)),
            ValueError,
            "b must have shape (1, 1), got shape (5, 1)",
            f"{prefix}-b-(n,1)",
        ),
        case(
            lambda: call(torch.empty(0, 1), B()),
            ValueError,
            EMPTY.format(name="w", shape="(0, 1)"),
            f"{prefix}-w-empty",
        ),
        case(lambda: call(with_value(W(), math.nan), B()), ValueError, NOT_FINITE.format(name="w"), f"{prefix}-w-nan"),
        case(lambda: call(W(), with_value(B(), math.inf)), ValueError, NOT_FINITE.format(name="b"), f"{prefix}-b-inf"),
        case(
            lambda: call(W(F64), B()),
            TypeError,
            DTYPES.format(a="x", b="w", da="torch.float32", db="torch.float64"),
            f"{prefix}-w-dtype",
        ),
        case(
            lambda: call(W(), B(F64)),
            TypeError,
            DTYPES.format(a="x", b="b", da="torch.float32", db="torch.float64"),
            f"{prefix}-b-dtype",
        ),
    ]


def learning_rate_cases(prefix, call):
    return [
        case(lambda: call(0), ValueError, "learning_rate must be a finite positive number, got 0.0", f"{prefix}-lr-0"),
        case(
            lambda: call(0.0), ValueError, "learning_rate must be a finite positive number, got 0.0", f"{prefix}-lr-0.0"
        ),
        case(
            lambda: call(-1), ValueError, "learning_rate must be a finite positive number, got -1.0", f"{prefix}-lr--1"
        ),
        case(
            lambda: call(math.nan),
            ValueError,
            "learning_rate must be a finite positive number, got nan",
            f"{prefix}-lr-nan",
        ),
        case(
            lambda: call(math.inf),
            ValueError,
            "learning_rate must be a finite positive number, got inf",
            f"{prefix}-lr-inf",
        ),
        case(lambda: call("0.1"), TypeError, "learning_rate must be a real number, got str", f"{prefix}-lr-str"),
        case(lambda: call(True), TypeError, "learning_rate must be a real number, got bool", f"{prefix}-lr-True"),
        case(lambda: call(None), TypeError, "learning_rate must be a real number, got NoneType", f"{prefix}-lr-None"),
        case(
            lambda: call(torch.tensor(0.1)),
            TypeError,
            "learning_rate must be a real number, got Tensor",
            f"{prefix}-lr-tensor",
        ),
    ]


def threshold_cases(prefix, call):
    return [
        *[
            case(
                lambda v=v: call(v),
                ValueError,
                f"threshold must be a number in (0, 1), got {v!r}",
                f"{prefix}-threshold-{v!r}",
            )
            for v in (0, 0.0, 1, 1.0, 1.5, -0.1, math.nan, math.inf)
        ],
        *[
            case(
                lambda v=v: call(v),
                TypeError,
                f"threshold must be a real number, got {type(v).__name__}",
                f"{prefix}-threshold-{v!r}",
            )
            for v in (True, "0.5", None)
        ],
    ]


# ---------------------------------------------------------------------------- per module

PREPROCESSING = [
    *matrix_cases("fit_standardizer", lambda x: lrcore.fit_standardizer(x)),
    *matrix_cases("standardize", lambda x: lrcore.standardize(x, torch.zeros(1, D), torch.ones(1, D))),
    *matrix_cases("standardize", lambda m: lrcore.standardize(X(), m, torch.ones(1, D)), name="mean"),
    *matrix_cases("standardize", lambda s: lrcore.standardize(X(), torch.zeros(1, D), s), name="std"),
    case(
        lambda: lrcore.standardize(X(), torch.zeros(1, 4), torch.ones(1, D)),
        ValueError,
        "mean must have shape (1, 3) to match x, got shape (1, 4)",
        "standardize-mean-wrong-D",
    ),
    case(
        lambda: lrcore.standardize(X(), torch.zeros(1, D), torch.ones(2, D)),
        ValueError,
        "std must have shape (1, 3) to match x, got shape (2, 3)",
        "standardize-std-two-rows",
    ),
    case(
        lambda: lrcore.standardize(X(), torch.zeros(1, D), torch.tensor([[1.0, 0.0, 1.0]])),
        ValueError,
        "std must be strictly positive, got a zero or negative entry",
        "standardize-std-zero",
    ),
    case(
        lambda: lrcore.standardize(X(), torch.zeros(1, D), torch.tensor([[1.0, -2.0, 1.0]])),
        ValueError,
        "std must be strictly positive, got a zero or negative entry",
        "standardize-std-negative",
    ),
    # Every other function taking two tensors rejects mixed dtypes "so that results keep the
    # input's dtype"; standardize(float32 x, float64 stats) silently returns float64.
    case(
        lambda: lrcore.standardize(X(), torch.zeros(1, D, dtype=F64), torch.ones(1, D, dtype=F64)),
        TypeError,
        DTYPES.format(a="x", b="mean", da="torch.float32", db="torch.float64"),
        "standardize-mixed-dtypes",
    ),
]

MODEL = [
    *matrix_cases("linear", lambda x: lrcore.linear(x, W(), B())),
    *param_cases("linear", lambda w, b: lrcore.linear(X(), w, b)),
    *matrix_cases("logistic_regression", lambda x: lrcore.logistic_regression(x, W(), B())),
    *param_cases("logistic_regression", lambda w, b: lrcore.logistic_regression(X(), w, b)),
    *matrix_cases("predict", lambda x: lrcore.predict(x, W(), B())),
    *param_cases("predict", lambda w, b: lrcore.predict(X(), w, b)),
    *threshold_cases("predict", lambda t: lrcore.predict(X(), W(), B(), threshold=t)),
    case(lambda: lrcore.sigmoid(0.0), TypeError, NOT_TENSOR.format(name="z", type="float"), "sigmoid-float"),
    case(
        lambda: lrcore.sigmoid(np.zeros(3)), TypeError, NOT_TENSOR.format(name="z", type="ndarray"), "sigmoid-ndarray"
    ),
    case(
        lambda: lrcore.sigmoid(torch.arange(3)),
        TypeError,
        NOT_FLOAT.format(name="z", dtype="torch.int64"),
        "sigmoid-int",
    ),
    case(lambda: lrcore.sigmoid(torch.empty(0)), ValueError, EMPTY.format(name="z", shape="(0,)"), "sigmoid-empty"),
    case(
        lambda: lrcore.sigmoid(torch.empty(2, 0)),
        ValueError,
        EMPTY.format(name="z", shape="(2, 0)"),
        "sigmoid-empty-2d",
    ),
    case(lambda: lrcore.sigmoid(torch.tensor([0.0, math.nan])), ValueError, NOT_FINITE.format(name="z"), "sigmoid-nan"),
    case(lambda: lrcore.sigmoid(torch.tensor([[math.inf]])), ValueError, NOT_FINITE.format(name="z"), "sigmoid-inf"),
]

LOSSES = [
    *probability_cases("bce", lambda s: lrcore.binary_cross_entropy(s, Y())),
    *label_cases("bce", lambda y: lrcore.binary_cross_entropy(S(), y), name="y_true"),
    case(
        lambda: lrcore.binary_cross_entropy(S()[:4], Y()),
        ValueError,
        ROWS.format(a="y_pred", b="y_true", na=4, nb=5),
        "bce-rows",
    ),
    case(
        lambda: lrcore.binary_cross_entropy(S(), Y(F64)),
        TypeError,
        DTYPES.format(a="y_pred", b="y_true", da="torch.float32", db="torch.float64"),
        "bce-dtype",
    ),
    *column_cases(
        "bce_logits", lambda z: lrcore.binary_cross_entropy_with_logits(z, Y()), "z", lambda: X()[:, :1] * 10
    ),
    *label_cases("bce_logits", lambda y: lrcore.binary_cross_entropy_with_logits(S(), y), name="y_true"),
    case(
        lambda: lrcore.binary_cross_entropy_with_logits(S(), Y()[:3]),
        ValueError,
        ROWS.format(a="z", b="y_true", na=5, nb=3),
        "bce_logits-rows",
    ),
    case(
        lambda: lrcore.binary_cross_entropy_with_logits(S(F64), Y()),
        TypeError,
        DTYPES.format(a="z", b="y_true", da="torch.float64", db="torch.float32"),
        "bce_logits-dtype",
    ),
]


def _gradient_cases(name, fn):
    return [
        *matrix_cases(name, lambda x: fn(x, S(), Y())),
        *probability_cases(name, lambda s: fn(X(), s, Y())),
        *label_cases(name, lambda y: fn(X(), S(), y), name="y_true"),
        case(lambda: fn(X()[:4], S(), Y()), ValueError, ROWS.format(a="x", b="y_pred", na=4, nb=5), f"{name}-rows-x"),
        case(
            lambda: fn(X(), S(), Y()[:4]), ValueError, ROWS.format(a="y_pred", b="y_true", na=5, nb=4), f"{name}-rows-y"
        ),
        case(
            lambda: fn(X(F64), S(), Y()),
            TypeError,
            DTYPES.format(a="x", b="y_pred", da="torch.float64", db="torch.float32"),
            f"{name}-dtype-x",
        ),
        case(
            lambda: fn(X(), S(), Y(F64)),
            TypeError,
            DTYPES.format(a="y_pred", b="y_true", da="torch.float32", db="torch.float64"),
            f"{name}-dtype-y",
        ),
    ]


GRADIENTS = [
    *_gradient_cases("compute_gradients", lrcore.compute_gradients),
    *_gradient_cases("chain_rule", lrcore.compute_gradients_chain_rule),
    *probability_cases("dJi_dS", lambda s: lrcore.dJi_dS(s, Y())),
    *label_cases("dJi_dS", lambda y: lrcore.dJi_dS(S(), y), name="y_true"),
    case(
        lambda: lrcore.dJi_dS(S(), Y()[:2]), ValueError, ROWS.format(a="y_pred", b="y_true", na=5, nb=2), "dJi_dS-rows"
    ),
    case(
        lambda: lrcore.dJi_dS(S(F64), Y()),
        TypeError,
        DTYPES.format(a="y_pred", b="y_true", da="torch.float64", db="torch.float32"),
        "dJi_dS-dtype",
    ),
    *probability_cases("dS_dZ", lambda s: lrcore.dS_dZ(s)),
    *matrix_cases("dZ_dW", lambda x: lrcore.dZ_dW(x)),
    *matrix_cases("dZ_dB", lambda x: lrcore.dZ_dB(x)),
]


def _step(x=None, y=None, w=None, b=None, lr=0.1):
    return lrcore.gradient_descent_step(
        X() if x is None else x, Y() if y is None else y, W() if w is None else w, B() if b is None else b, lr
    )


def _fit(x=None, y=None, w=None, b=None, lr=0.1, num_steps=3, **kwargs):
    return lrcore.fit(
        X() if x is None else x,
        Y() if y is None else y,
        W() if w is None else w,
        B() if b is None else b,
        lr,
        num_steps,
        **kwargs,
    )


OPTIM = [
    *matrix_cases("step", lambda x: _step(x=x)),
    *label_cases("step", lambda y: _step(y=y)),
    *param_cases("step", lambda w, b: _step(w=w, b=b)),
    *learning_rate_cases("step", lambda lr: _step(lr=lr)),
    case(lambda: _step(y=Y()[:4]), ValueError, ROWS.format(a="x", b="y", na=5, nb=4), "step-rows"),
    case(
        lambda: _step(y=Y(F64)),
        TypeError,
        DTYPES.format(a="x", b="y", da="torch.float32", db="torch.float64"),
        "step-dtype",
    ),
    *matrix_cases("fit", lambda x: _fit(x=x)),
    *label_cases("fit", lambda y: _fit(y=y)),
    *param_cases("fit", lambda w, b: _fit(w=w, b=b)),
    *learning_rate_cases("fit", lambda lr: _fit(lr=lr)),
    case(lambda: _fit(y=Y()[:4]), ValueError, ROWS.format(a="x", b="y", na=5, nb=4), "fit-rows"),
    case(
        lambda: _fit(y=Y(F64)),
        TypeError,
        DTYPES.format(a="x", b="y", da="torch.float32", db="torch.float64"),
        "fit-dtype",
    ),
    case(lambda: _fit(num_steps=-1), ValueError, "num_steps must be >= 0, got -1", "fit-num_steps--1"),
    case(lambda: _fit(num_steps=1.5), TypeError, "num_steps must be an int, got float", "fit-num_steps-float"),
    case(lambda: _fit(num_steps=10.0), TypeError, "num_steps must be an int, got float", "fit-num_steps-10.0"),
    case(lambda: _fit(num_steps="10"), TypeError, "num_steps must be an int, got str", "fit-num_steps-str"),
    case(lambda: _fit(num_steps=True), TypeError, "num_steps must be an int, got bool", "fit-num_steps-True"),
    case(lambda: _fit(l2=-0.1), ValueError, "l2 must be a finite number >= 0, got -0.1", "fit-l2-negative"),
    case(lambda: _fit(l2=math.nan), ValueError, "l2 must be a finite number >= 0, got nan", "fit-l2-nan"),
    case(lambda: _fit(l2=math.inf), ValueError, "l2 must be a finite number >= 0, got inf", "fit-l2-inf"),
    case(lambda: _fit(l2="0"), TypeError, "l2 must be a real number, got str", "fit-l2-str"),
    case(lambda: _fit(l2=True), TypeError, "l2 must be a real number, got bool", "fit-l2-True"),
    case(
        lambda: _fit(x_val=X()),
        ValueError,
        "x_val and y_val must be given together, got only one of them",
        "fit-x_val-alone",
    ),
    case(
        lambda: _fit(y_val=Y()),
        ValueError,
        "x_val and y_val must be given together, got only one of them",
        "fit-y_val-alone",
    ),
    *matrix_cases("fit", lambda xv: _fit(x_val=xv, y_val=Y()), name="x_val"),
    case(
        lambda: _fit(x_val=X()[:, :2], y_val=Y()),
        ValueError,
        "x_val must have shape (n, 3), got shape (5, 2)",
        "fit-x_val-columns",
    ),
    *label_cases("fit", lambda yv: _fit(x_val=X(), y_val=yv), name="y_val"),
    case(
        lambda: _fit(x_val=X()[:4], y_val=Y()),
        ValueError,
        ROWS.format(a="x_val", b="y_val", na=4, nb=5),
        "fit-val-rows",
    ),
    case(
        lambda: _fit(x_val=X(F64), y_val=Y()),
        TypeError,
        DTYPES.format(a="x", b="x_val", da="torch.float32", db="torch.float64"),
        "fit-x_val-dtype",
    ),
    case(
        lambda: _fit(x_val=X(), y_val=Y(F64)),
        TypeError,
        DTYPES.format(a="x", b="y_val", da="torch.float32", db="torch.float64"),
        "fit-y_val-dtype",
    ),
    *[
        case(
            lambda v=v: _fit(momentum=v),
            ValueError,
            f"momentum must be a number in [0, 1), got {float(v)}",
            f"fit-momentum-{v!r}",
        )
        for v in (1, 1.0, 1.5, -0.1, math.nan, math.inf)
    ],
    *[
        case(
            lambda v=v: _fit(momentum=v),
            TypeError,
            f"momentum must be a real number, got {type(v).__name__}",
            f"fit-momentum-{type(v).__name__}",
        )
        for v in ("0.9", True, None, torch.tensor(0.9))
    ],
    *[
        case(
            lambda v=v: _fit(momentum=0.9, nesterov=v),
            TypeError,
            f"nesterov must be a bool (True or False), got {type(v).__name__}",
            f"fit-nesterov-{v!r}",
        )
        for v in (1, 0, "True", None)
    ],
    case(
        lambda: _fit(nesterov=True),
        ValueError,
        "nesterov=True needs momentum > 0, got momentum=0.0",
        "fit-nesterov-without-momentum",
    ),
    case(
        lambda: _fit(momentum=0, nesterov=True),
        ValueError,
        "nesterov=True needs momentum > 0, got momentum=0.0",
        "fit-nesterov-momentum-int-0",
    ),
]


def _newton(x=None, y=None, **kwargs):
    return lrcore.fit_newton(X() if x is None else x, Y() if y is None else y, **kwargs)


NEWTON = [
    *matrix_cases("fit_newton", lambda x: _newton(x=x)),
    *label_cases("fit_newton", lambda y: _newton(y=y)),
    case(lambda: _newton(y=Y()[:4]), ValueError, ROWS.format(a="x", b="y", na=5, nb=4), "fit_newton-rows"),
    case(
        lambda: _newton(y=Y(F64)),
        TypeError,
        DTYPES.format(a="x", b="y", da="torch.float32", db="torch.float64"),
        "fit_newton-dtype",
    ),
    case(lambda: _newton(l2=-0.1), ValueError, "l2 must be a finite number >= 0, got -0.1", "fit_newton-l2-negative"),
    case(lambda: _newton(l2=math.nan), ValueError, "l2 must be a finite number >= 0, got nan", "fit_newton-l2-nan"),
    case(lambda: _newton(l2="0"), TypeError, "l2 must be a real number, got str", "fit_newton-l2-str"),
    case(lambda: _newton(max_iter=-1), ValueError, "max_iter must be >= 0, got -1", "fit_newton-max_iter--1"),
    case(lambda: _newton(max_iter=10.0), TypeError, "max_iter must be an int, got float", "fit_newton-max_iter-float"),
    case(lambda: _newton(max_iter=True), TypeError, "max_iter must be an int, got bool", "fit_newton-max_iter-True"),
    *[
        case(
            lambda v=v: _newton(tol=v),
            ValueError,
            f"tol must be a finite positive number, got {float(v)}",
            f"fit_newton-tol-{v!r}",
        )
        for v in (0, -1e-10, math.nan, math.inf)
    ],
    case(lambda: _newton(tol="1e-10"), TypeError, "tol must be a real number, got str", "fit_newton-tol-str"),
    case(lambda: _newton(tol=None), TypeError, "tol must be a real number, got NoneType", "fit_newton-tol-None"),
    case(
        lambda: _newton(y=torch.ones(N, 1)),
        ValueError,
        "y must contain both classes, got only 1: the loss keeps falling as the bias grows without bound, "
        "so there is no optimum",
        "fit_newton-y-only-ones",
    ),
    case(
        lambda: _newton(y=torch.zeros(N, 1)),
        ValueError,
        "y must contain both classes, got only 0",
        "fit_newton-y-only-zeros",
        full=False,
    ),
    # X()'s three columns differ by constants: with the column of ones, rank 2.
    case(
        lambda: _newton(),
        ValueError,
        "the columns of [x, 1] must be linearly independent when l2 = 0, got rank 2 for 4 columns",
        "fit_newton-x-dependent-columns",
        full=False,
    ),
    case(
        lambda: _newton(x=torch.tensor([[-2.0], [-1.0], [1.0], [2.0]]), y=torch.tensor([[0.0], [0.0], [1.0], [1.0]])),
        ValueError,
        "x and y are linearly separable: after 1 Newton step the weights classify every training sample",
        "fit_newton-separable",
        full=False,
    ),
]


def binary_cases(prefix, call, name):
    """Cases for an (n, 1) argument of 0/1 labels of any dtype; ``call(t)`` runs the function with it."""
    return [
        case(lambda: call([[0], [1]]), TypeError, NOT_TENSOR.format(name=name, type="list"), f"{prefix}-{name}-list"),
        case(
            lambda: call(np.ones((5, 1))),
            TypeError,
            NOT_TENSOR.format(name=name, type="ndarray"),
            f"{prefix}-{name}-ndarray",
        ),
        case(
            lambda: call(Y().long().reshape(-1)),
            ValueError,
            f"{name} must have shape (n, 1), got shape (5,)",
            f"{prefix}-{name}-(n,)-trap",
        ),
        case(
            lambda: call(Y().long().repeat(1, 2)),
            ValueError,
            f"{name} must have shape (n, 1), got shape (5, 2)",
            f"{prefix}-{name}-(n,2)",
        ),
        case(
            lambda: call(torch.empty(0, 1)),
            ValueError,
            EMPTY.format(name=name, shape="(0, 1)"),
            f"{prefix}-{name}-empty",
        ),
        case(
            lambda: call(torch.full((5, 1), 0.7)),
            ValueError,
            f"{name} must contain only 0 and 1 (threshold probabilities first), got other values",
            f"{prefix}-{name}-probabilities",
        ),
        case(
            lambda: call(torch.full((5, 1), 2)),
            ValueError,
            f"{name} must contain only 0 and 1 (threshold probabilities first), got other values",
            f"{prefix}-{name}-2",
        ),
        case(
            lambda: call(with_value(Y(), math.nan)),
            ValueError,
            f"{name} must contain only 0 and 1 (threshold probabilities first), got other values",
            f"{prefix}-{name}-nan",
        ),
    ]


def _binary_cases(name, fn):
    def pred():
        return Y().long()

    cases = [
        *binary_cases(name, lambda t: fn(t, pred()), "y_pred"),
        *binary_cases(name, lambda t: fn(pred(), t), "y_true"),
    ]
    cases.append(
        case(
            lambda: fn(pred(), pred()[:3]), ValueError, ROWS.format(a="y_pred", b="y_true", na=5, nb=3), f"{name}-rows"
        )
    )
    return cases


def _trajectory(x=None, y_true=None, weights=None, biases=None, threshold=0.5):
    return lrcore.metrics_along_trajectory(
        X() if x is None else x,
        Y() if y_true is None else y_true,
        torch.ones(4, D, 1) if weights is None else weights,
        torch.zeros(4, 1, 1) if biases is None else biases,
        threshold=threshold,
    )


TRAJECTORY = [
    *matrix_cases("metrics_along_trajectory", lambda x: _trajectory(x=x)),
    *label_cases("metrics_along_trajectory", lambda y: _trajectory(y_true=y), name="y_true"),
    *threshold_cases("metrics_along_trajectory", lambda t: _trajectory(threshold=t)),
    case(
        lambda: _trajectory(y_true=Y()[:4]),
        ValueError,
        ROWS.format(a="x", b="y_true", na=5, nb=4),
        "metrics_along_trajectory-rows",
    ),
    case(
        lambda: _trajectory(weights=np.ones((4, D, 1))),
        TypeError,
        NOT_TENSOR.format(name="weights", type="ndarray"),
        "metrics_along_trajectory-weights-ndarray",
    ),
    case(
        lambda: _trajectory(biases=torch.zeros(4, 1, 1, dtype=torch.int64)),
        TypeError,
        NOT_FLOAT.format(name="biases", dtype="torch.int64"),
        "metrics_along_trajectory-biases-int",
    ),
    case(
        lambda: _trajectory(weights=torch.ones(0, D, 1), biases=torch.zeros(0, 1, 1)),
        ValueError,
        EMPTY.format(name="weights", shape="(0, 3, 1)"),
        "metrics_along_trajectory-weights-empty",
    ),
    case(
        lambda: _trajectory(weights=torch.ones(4, D)),
        ValueError,
        "weights must have shape (k, 3, 1), got shape (4, 3)",
        "metrics_along_trajectory-weights-(k,D)",
    ),
    case(
        lambda: _trajectory(weights=torch.ones(4, 2, 1)),
        ValueError,
        "weights must have shape (k, 3, 1), got shape (4, 2, 1)",
        "metrics_along_trajectory-weights-wrong-D",
    ),
    case(
        lambda: _trajectory(weights=torch.ones(D, 1)),
        ValueError,
        "weights must have shape (k, 3, 1), got shape (3, 1)",
        "metrics_along_trajectory-weights-single-w",
    ),
    case(
        lambda: _trajectory(biases=torch.zeros(4, 1)),
        ValueError,
        "biases must have shape (4, 1, 1) to match weights of shape (4, 3, 1), got shape (4, 1)",
        "metrics_along_trajectory-biases-(k,1)",
    ),
    case(
        lambda: _trajectory(biases=torch.zeros(3, 1, 1)),
        ValueError,
        "biases must have shape (4, 1, 1) to match weights of shape (4, 3, 1), got shape (3, 1, 1)",
        "metrics_along_trajectory-biases-wrong-k",
    ),
    # Every other function rejects NaN/inf parameters and mixed dtypes with lrcore's own
    # messages; here NaN weights silently predict 0 and mixed dtypes raise torch's RuntimeError.
    case(
        lambda: _trajectory(weights=with_value(torch.ones(4, D, 1), math.nan, (1, 0, 0))),
        ValueError,
        NOT_FINITE.format(name="weights"),
        "metrics_along_trajectory-weights-nan",
    ),
    case(
        lambda: _trajectory(biases=with_value(torch.zeros(4, 1, 1), math.inf, (2, 0, 0))),
        ValueError,
        NOT_FINITE.format(name="biases"),
        "metrics_along_trajectory-biases-inf",
    ),
    case(
        lambda: _trajectory(weights=torch.ones(4, D, 1, dtype=F64), biases=torch.zeros(4, 1, 1, dtype=F64)),
        TypeError,
        DTYPES.format(a="x", b="weights", da="torch.float32", db="torch.float64"),
        "metrics_along_trajectory-weights-dtype",
    ),
]


def _auc(x=None, y=None):
    return lrcore.auc(
        torch.tensor([0.0, 0.5, 1.0]) if x is None else x, torch.tensor([0.0, 1.0, 1.0]) if y is None else y
    )


def _vector_cases(prefix, call, name):
    """Cases for a (k,) floating argument; ``call(t)`` runs the function with it."""
    return [
        case(
            lambda: call([0.0, 1.0, 2.0]), TypeError, NOT_TENSOR.format(name=name, type="list"), f"{prefix}-{name}-list"
        ),
        case(
            lambda: call(torch.arange(3)),
            TypeError,
            NOT_FLOAT.format(name=name, dtype="torch.int64"),
            f"{prefix}-{name}-int64",
        ),
        case(
            lambda: call(torch.zeros(3, 1)),
            ValueError,
            f"{name} must be 1-D with shape (k,), got shape (3, 1)",
            f"{prefix}-{name}-column",
        ),
        case(
            lambda: call(torch.tensor(1.0)),
            ValueError,
            f"{name} must be 1-D with shape (k,), got shape ()",
            f"{prefix}-{name}-0d",
        ),
        case(lambda: call(torch.empty(0)), ValueError, EMPTY.format(name=name, shape="(0,)"), f"{prefix}-{name}-empty"),
        case(
            lambda: call(torch.tensor([0.0, math.nan, 1.0])),
            ValueError,
            NOT_FINITE.format(name=name),
            f"{prefix}-{name}-nan",
        ),
    ]


CURVES = [
    *[
        case_
        for name, fn in [("roc_curve", lrcore.roc_curve), ("precision_recall_curve", lrcore.precision_recall_curve)]
        for case_ in [
            *column_cases(name, lambda s, fn=fn: fn(s, Y()), "y_score", S),
            *binary_cases(name, lambda t, fn=fn: fn(S(), t), "y_true"),
            case(
                lambda fn=fn: fn(S(), Y()[:4]),
                ValueError,
                ROWS.format(a="y_score", b="y_true", na=5, nb=4),
                f"{name}-rows",
            ),
            case(
                lambda fn=fn: fn(S(), torch.zeros(N, 1)),
                ValueError,
                "y_true must contain at least one positive sample (1), got only 0: recall and the true-positive rate "
                "would be 0/0 at every threshold",
                f"{name}-y_true-no-positive",
            ),
        ]
    ],
    case(
        lambda: lrcore.roc_curve(S(), torch.ones(N, 1, dtype=torch.bool)),
        ValueError,
        "y_true must contain at least one negative sample (0), got only 1: the false-positive rate would be 0/0 "
        "at every threshold",
        "roc_curve-y_true-no-negative",
    ),
    *_vector_cases("auc", lambda x: _auc(x=x), "x"),
    *_vector_cases("auc", lambda y: _auc(y=y), "y"),
    case(
        lambda: _auc(y=torch.tensor([0.0, 1.0])),
        ValueError,
        "x and y must have the same length, got 3 and 2",
        "auc-lengths",
    ),
    case(
        lambda: _auc(y=torch.tensor([0.0, 1.0, 1.0], dtype=F64)),
        TypeError,
        DTYPES.format(a="x", b="y", da="torch.float32", db="torch.float64"),
        "auc-dtype",
    ),
    case(
        lambda: _auc(torch.tensor([0.5]), torch.tensor([1.0])),
        ValueError,
        "x must have at least 2 points to enclose an area, got 1",
        "auc-one-point",
    ),
    case(
        lambda: _auc(x=torch.tensor([0.0, 1.0, 0.5])),
        ValueError,
        "x must be monotonic (non-decreasing or non-increasing), got both rises and falls",
        "auc-not-monotonic",
    ),
]


def _boundary(x=None, y=None, w=None, b=None, **kwargs):
    return lrcore.plot_decision_boundary(
        X()[:, :2] if x is None else x,
        Y() if y is None else y,
        torch.ones(2, 1) if w is None else w,
        B() if b is None else b,
        **kwargs,
    )


# Plotting helpers draw what they are given; plot_decision_boundary checks its model and data,
# because a wrong shape there would otherwise draw a wrong line without a word.
PLOTTING = [
    case(
        lambda: _boundary(x=X()[:, :2].numpy()),
        TypeError,
        NOT_TENSOR.format(name="x", type="ndarray"),
        "plot_decision_boundary-x-ndarray",
    ),
    case(
        lambda: _boundary(x=X()[:, :2].long()),
        TypeError,
        NOT_FLOAT.format(name="x", dtype="torch.int64"),
        "plot_decision_boundary-x-int64",
    ),
    case(
        lambda: _boundary(x=with_value(X()[:, :2], math.inf)),
        ValueError,
        NOT_FINITE.format(name="x"),
        "plot_decision_boundary-x-inf",
    ),
    case(
        lambda: _boundary(x=X()),
        ValueError,
        "x must have shape (n, 2), got shape (5, 3)",
        "plot_decision_boundary-x-three-features",
    ),
    case(
        lambda: _boundary(y=Y().reshape(-1)),
        ValueError,
        COLUMN_1D.format(name="y"),
        "plot_decision_boundary-y-(n,)-trap",
    ),
    case(
        lambda: _boundary(y=with_value(Y(), 0.5)),
        ValueError,
        LABELS.format(name="y", bad=0.5),
        "plot_decision_boundary-y-0.5",
    ),
    case(
        lambda: _boundary(y=Y()[:4]),
        ValueError,
        ROWS.format(a="x", b="y", na=5, nb=4),
        "plot_decision_boundary-rows",
    ),
    case(
        lambda: _boundary(w=W()),
        ValueError,
        "w must have shape (2, 1) to match x of shape (5, 2), got shape (3, 1)",
        "plot_decision_boundary-w-wrong-D",
    ),
    case(
        lambda: _boundary(w=torch.zeros(2, 1)),
        ValueError,
        "w must not be zero: the model then predicts the same probability everywhere, no boundary",
        "plot_decision_boundary-w-zero",
    ),
    case(
        lambda: _boundary(b=B().reshape(1)),
        ValueError,
        "b must have shape (1, 1), got shape (1,)",
        "plot_decision_boundary-b-(1,)",
    ),
    *[
        case(
            lambda v=v: _boundary(probability_levels=[0.5, v]),
            ValueError,
            f"probability_levels must hold numbers in (0, 1), got {v!r}",
            f"plot_decision_boundary-level-{v!r}",
        )
        for v in (0, 1.0, -0.5, math.nan)
    ],
    *[
        case(
            lambda v=v: _boundary(probability_levels=[0.5, v]),
            TypeError,
            f"probability_levels must hold real numbers, got {type(v).__name__}",
            f"plot_decision_boundary-level-{v!r}",
        )
        for v in ("0.5", True, None)
    ],
]


METRICS = (
    TRAJECTORY
    + CURVES
    + [
        case_
        for name, fn in [
            ("confusion_matrix", lrcore.confusion_matrix),
            ("accuracy", lrcore.accuracy),
            ("precision", lrcore.precision),
            ("recall", lrcore.recall),
            ("f1_score", lrcore.f1_score),
            ("compute_metrics", lrcore.compute_metrics),
        ]
        for case_ in _binary_cases(name, fn)
    ]
)


def _landscape(x=None, y=None, w_range=(-1, 1), b_range=(-1, 1), num=3):
    x = X()[:, :1] if x is None else x
    y = Y() if y is None else y
    return lrcore.loss_landscape(x, y, w_range, b_range, num)


LANDSCAPE = [
    case(
        lambda: _landscape(x=X()[:, :1].numpy()),
        TypeError,
        NOT_TENSOR.format(name="x", type="ndarray"),
        "landscape-x-ndarray",
    ),
    case(
        lambda: _landscape(x=X()[:, :1].long()),
        TypeError,
        NOT_FLOAT.format(name="x", dtype="torch.int64"),
        "landscape-x-int",
    ),
    case(lambda: _landscape(x=X()[:, 0]), ValueError, COLUMN_1D.format(name="x"), "landscape-x-(n,)-trap"),
    case(lambda: _landscape(x=X()), ValueError, NOT_COLUMN.format(name="x", shape="(5, 3)"), "landscape-x-(n,D)"),
    case(
        lambda: _landscape(x=torch.empty(0, 1)), ValueError, EMPTY.format(name="x", shape="(0, 1)"), "landscape-x-empty"
    ),
    case(
        lambda: _landscape(x=with_value(X()[:, :1], math.nan)),
        ValueError,
        NOT_FINITE.format(name="x"),
        "landscape-x-nan",
    ),
    *label_cases("landscape", lambda y: _landscape(y=y)),
    case(lambda: _landscape(y=Y()[:4]), ValueError, ROWS.format(a="x", b="y", na=5, nb=4), "landscape-rows"),
    case(
        lambda: _landscape(y=Y(F64)),
        TypeError,
        DTYPES.format(a="x", b="y", da="torch.float32", db="torch.float64"),
        "landscape-dtype",
    ),
    case(lambda: _landscape(num=1), ValueError, "num must be >= 2, got 1", "landscape-num-1"),
    case(lambda: _landscape(num=0), ValueError, "num must be >= 2, got 0", "landscape-num-0"),
    case(lambda: _landscape(num=2.5), TypeError, "num must be an int, got float", "landscape-num-float"),
    case(lambda: _landscape(num=True), TypeError, "num must be an int, got bool", "landscape-num-True"),
    case(
        lambda: _landscape(w_range=(1,)),
        TypeError,
        "w_range must be a pair (low, high), got (1,)",
        "landscape-w_range-1",
    ),
    case(
        lambda: _landscape(w_range=(1, 2, 3)),
        TypeError,
        "w_range must be a pair (low, high), got (1, 2, 3)",
        "landscape-w_range-3",
    ),
    case(
        lambda: _landscape(w_range=5),
        TypeError,
        "w_range must be a pair (low, high), got 5",
        "landscape-w_range-scalar",
    ),
    case(
        lambda: _landscape(b_range=None),
        TypeError,
        "b_range must be a pair (low, high), got None",
        "landscape-b_range-None",
    ),
    case(
        lambda: _landscape(w_range=(1, 0)),
        ValueError,
        "w_range must satisfy low < high, got (1, 0)",
        "landscape-w_range-reversed",
    ),
    case(
        lambda: _landscape(b_range=[2, 2]),
        ValueError,
        "b_range must satisfy low < high, got [2, 2]",
        "landscape-b_range-equal",
    ),
    case(
        lambda: _landscape(w_range=(math.nan, 1)),
        ValueError,
        "w_range must have finite ends, got (nan, 1)",
        "landscape-w_range-nan",
    ),
    # An infinite end makes every grid point NaN (linspace of inf); no check catches it, so only
    # the argument's name is pinned here.
    case(lambda: _landscape(w_range=(0, math.inf)), ValueError, "w_range", "landscape-w_range-inf", full=False),
    case(lambda: _landscape(b_range=(-math.inf, 0)), ValueError, "b_range", "landscape-b_range--inf", full=False),
]


def _split(X_=None, y_=None, **kwargs):
    X_ = np.zeros((20, 2)) if X_ is None else X_
    y_ = np.tile([0, 1], 10) if y_ is None else y_
    return lrcore.train_val_test_split(X_, y_, **kwargs)


DATA = [
    *[
        case(
            lambda v=v, k=k: _split(**{k: v}),
            ValueError,
            f"{k} must be a fraction in (0, 1), got {v!r}",
            f"split-{k}-{v!r}",
        )
        for k in ("val_size", "test_size")
        for v in (0, 0.0, 1, 1.0, 1.5, -0.1, math.nan)
    ],
    *[
        case(
            lambda v=v, k=k: _split(**{k: v}),
            TypeError,
            f"{k} must be a real number, got {type(v).__name__}",
            f"split-{k}-{v!r}",
        )
        for k in ("val_size", "test_size")
        for v in (True, "0.2", None)
    ],
    case(
        lambda: _split(val_size=0.5, test_size=0.5),
        ValueError,
        "val_size + test_size must be < 1 to leave training data, got 1.0",
        "split-sum-1",
    ),
    case(
        lambda: _split(val_size=0.6, test_size=0.5),
        ValueError,
        "val_size + test_size must be < 1 to leave training data, got 1.1",
        "split-sum-1.1",
    ),
    case(lambda: _split(seed=-1), ValueError, "seed must be >= 0, got -1", "split-seed--1"),
    case(lambda: _split(seed=1.5), TypeError, "seed must be an int, got float", "split-seed-float"),
    case(lambda: _split(seed=True), TypeError, "seed must be an int, got bool", "split-seed-True"),
    case(lambda: _split(seed="0"), TypeError, "seed must be an int, got str", "split-seed-str"),
    case(
        lambda: _split(y_=np.tile([0, 1], 9)),
        ValueError,
        "X and y must have the same number of samples, got 20 and 18",
        "split-lengths",
    ),
    case(
        lambda: _split(pd.DataFrame(np.zeros((20, 2))), pd.Series(np.zeros(21))),
        ValueError,
        "X and y must have the same number of samples, got 20 and 21",
        "split-lengths-pandas",
    ),
    case(
        lambda: lrcore.to_tensors(np.zeros(3), dtype=torch.int64),
        TypeError,
        "dtype must be torch.float32 or torch.float64, got torch.int64",
        "to_tensors-int",
    ),
    case(
        lambda: lrcore.to_tensors(np.zeros(3), dtype=torch.bool),
        TypeError,
        "dtype must be torch.float32 or torch.float64, got torch.bool",
        "to_tensors-bool",
    ),
    case(
        lambda: lrcore.to_tensors(np.zeros(3), dtype="float32"),
        TypeError,
        "dtype must be torch.float32 or torch.float64, got 'float32'",
        "to_tensors-str",
    ),
    case(
        lambda: lrcore.to_tensors(np.zeros(3), dtype=np.float32),
        TypeError,
        "dtype must be torch.float32 or torch.float64, got <class 'numpy.float32'>",
        "to_tensors-numpy-dtype",
    ),
    case(
        lambda: lrcore.to_tensors(np.zeros(3), np.zeros((2, 2, 2))),
        ValueError,
        "arrays[1] must be 1-D or 2-D, got 3-D",
        "to_tensors-3d",
    ),
    case(
        lambda: lrcore.to_tensors(np.float64(1.0)), ValueError, "arrays[0] must be 1-D or 2-D, got 0-D", "to_tensors-0d"
    ),
]


# lrcore.calibration (more cases in tests/test_calibration.py).
CALIBRATION = [
    case(
        lambda: lrcore.calibration_curve(S(), Y(), n_bins=0),
        ValueError,
        "n_bins must be >= 1, got 0",
        "calibration_curve-bins",
    ),
    case(
        lambda: lrcore.calibration_curve(S(), Y(), strategy="equal"),
        ValueError,
        "strategy must be 'uniform' or 'quantile', got 'equal'",
        "calibration_curve-strategy",
    ),
    case(
        lambda: lrcore.expected_calibration_error(with_value(S(), 1.5), Y()),
        ValueError,
        "y_prob must contain probabilities in [0, 1], got 1.5",
        "expected_calibration_error-range",
    ),
    case(
        lambda: lrcore.brier_score(S(), Y()[:3]),
        ValueError,
        ROWS.format(a="y_prob", b="y_true", na=5, nb=3),
        "brier_score-rows",
    ),
    case(
        lambda: lrcore.brier_decomposition(S(), with_value(Y(), 2.0)),
        ValueError,
        "y_true must contain only 0 and 1 (threshold probabilities first), got other values",
        "brier_decomposition-labels",
    ),
]

# lrcore.margin (more cases, and the references, in tests/test_margin.py).
MARGIN = [
    *matrix_cases("margins", lambda x: lrcore.margins(x, Y(), W(), B())),
    *label_cases("margins", lambda y: lrcore.margins(X(), y, W(), B())),
    *param_cases("margins", lambda w, b: lrcore.margins(X(), Y(), w, b)),
    case(
        lambda: lrcore.margins(X(), Y()[:4], W(), B()),
        ValueError,
        ROWS.format(a="x", b="y", na=5, nb=4),
        "margins-rows",
    ),
    *matrix_cases("hard_margin_svm", lambda x: lrcore.hard_margin_svm(x, Y())),
    *label_cases("hard_margin_svm", lambda y: lrcore.hard_margin_svm(X(), y)),
    case(
        lambda: lrcore.hard_margin_svm(X(), Y(F64)),
        TypeError,
        DTYPES.format(a="x", b="y", da="torch.float32", db="torch.float64"),
        "hard_margin_svm-dtype",
    ),
    case(
        lambda: lrcore.hard_margin_svm(X(), Y(), penalize_bias="yes"),
        TypeError,
        "penalize_bias must be a bool (True or False), got str",
        "hard_margin_svm-penalize_bias-str",
    ),
    case(
        lambda: lrcore.hard_margin_svm(X(), torch.zeros(N, 1)),
        ValueError,
        "y must contain both classes 0 and 1, got only 0",
        "hard_margin_svm-one-class",
    ),
    case(
        # Every sample at the same point, with both labels.
        lambda: lrcore.hard_margin_svm(torch.zeros(N, D), Y()),
        ValueError,
        "x and y must be linearly separable, got classes that no hyperplane separates "
        "(no w, b give every margin (2 y - 1) (x w + b) >= 1)",
        "hard_margin_svm-not-separable",
    ),
    case(
        lambda: lrcore.angle_between(W().numpy(), W()),
        TypeError,
        NOT_TENSOR.format(name="u", type="ndarray"),
        "angle_between-u",
    ),
    case(
        lambda: lrcore.angle_between(W(), with_value(W(), math.inf)),
        ValueError,
        NOT_FINITE.format(name="v"),
        "angle_between-v-inf",
    ),
    case(
        lambda: lrcore.angle_between(W(), torch.zeros(D, 1)),
        ValueError,
        "v must not contain a zero vector: a zero vector has no direction",
        "angle_between-v-zero",
    ),
]

ALL_CASES = (
    PREPROCESSING + MODEL + LOSSES + GRADIENTS + OPTIM + NEWTON + METRICS + LANDSCAPE + DATA + PLOTTING + CALIBRATION
)
ALL_CASES += MARGIN

# lrcore.resampling (the references are in tests/test_resampling.py).
IDX = torch.zeros(2, N, dtype=torch.int64)
RESAMPLING = [
    case(lambda: lrcore.bootstrap_indices(0, 10, 0), ValueError, "n must be >= 1, got 0", "bootstrap_indices-n"),
    case(
        lambda: lrcore.bootstrap_indices(5, 1.0, 0),
        TypeError,
        "num_resamples must be an int, got float",
        "bootstrap_indices-num_resamples",
    ),
    case(
        lambda: lrcore.bootstrap_indices(5, 10, -1), ValueError, "seed must be >= 0, got -1", "bootstrap_indices-seed"
    ),
    case(
        lambda: lrcore.bootstrap_metrics(S().ravel(), Y(), IDX),
        ValueError,
        "y_score must be 2-D with shape (n, 1), got shape (5,); reshape it with y_score.reshape(-1, 1)",
        "bootstrap_metrics-score-1d",
    ),
    case(
        lambda: lrcore.bootstrap_metrics(S(), with_value(Y(), 0.5), IDX),
        ValueError,
        "y_true must contain only 0 and 1, got 0.5",
        "bootstrap_metrics-labels",
    ),
    case(
        lambda: lrcore.bootstrap_metrics(S(), Y()[:4], IDX),
        ValueError,
        ROWS.format(a="y_score", b="y_true", na=5, nb=4),
        "bootstrap_metrics-rows",
    ),
    case(
        lambda: lrcore.bootstrap_metrics(S(), Y(), IDX.double()),
        TypeError,
        "indices must have dtype torch.int64 or torch.int32, got torch.float64",
        "bootstrap_metrics-indices-dtype",
    ),
    case(
        lambda: lrcore.bootstrap_metrics(S(), Y(), IDX[0]),
        ValueError,
        "indices must have shape (num_resamples, m), got shape (5,)",
        "bootstrap_metrics-indices-shape",
    ),
    case(
        lambda: lrcore.bootstrap_metrics(S(), Y(), IDX + 5),
        ValueError,
        "indices must lie in [0, 5) to index y_score's 5 rows, got 5..5",
        "bootstrap_metrics-indices-range",
    ),
    case(
        lambda: lrcore.bootstrap_metrics(S(), Y(), IDX, threshold=math.nan),
        ValueError,
        "threshold must be a finite number, got nan",
        "bootstrap_metrics-threshold",
    ),
    case(
        lambda: lrcore.percentile_interval(torch.zeros(3, 1)),
        ValueError,
        "values must have shape (num_resamples,), got shape (3, 1)",
        "percentile_interval-shape",
    ),
    case(
        lambda: lrcore.percentile_interval(torch.full((3,), math.nan)),
        ValueError,
        "values must hold at least one defined (non-NaN) value, got only NaN",
        "percentile_interval-all-nan",
    ),
    case(
        lambda: lrcore.percentile_interval(torch.zeros(3), confidence=95),
        ValueError,
        "confidence must be in (0, 1), such as 0.95, got 95",
        "percentile_interval-confidence",
    ),
    case(
        lambda: lrcore.bootstrap_confidence_intervals(S(), Y(), confidence="95%"),
        TypeError,
        "confidence must be a real number, got str",
        "bootstrap_confidence_intervals-confidence",
    ),
    case(
        lambda: lrcore.bootstrap_confidence_intervals(S(), Y(), num_resamples=0),
        ValueError,
        "num_resamples must be >= 1, got 0",
        "bootstrap_confidence_intervals-num_resamples",
    ),
    case(
        lambda: lrcore.stratified_k_fold(Y(), num_folds=3),
        ValueError,
        "y must hold at least num_folds=3 samples of each class, got 2 of label 0",
        "stratified_k_fold-too-few",
    ),
    case(
        lambda: lrcore.stratified_k_fold(Y(), num_folds=1),
        ValueError,
        "num_folds must be >= 2, got 1",
        "stratified_k_fold-folds",
    ),
    case(
        lambda: lrcore.stratified_k_fold(Y(), num_folds=2, seed=2**32),
        ValueError,
        "seed must be < 2**32 (numpy's seeds are 32-bit), got 4294967296",
        "stratified_k_fold-seed",
    ),
    case(
        lambda: lrcore.cross_validate(X(), Y(), [], lambda x, y: (W(), B())),
        TypeError,
        "folds must be a non-empty list of (train, test) index pairs, got []",
        "cross_validate-folds",
    ),
    case(
        lambda: lrcore.cross_validate(X(), Y(), [(IDX[0], IDX[0])], "fit"),
        TypeError,
        "train must be callable as train(x_train, y_train) -> (w, b), got str",
        "cross_validate-train",
    ),
    case(
        lambda: lrcore.cross_validate(X(), Y(), [(IDX[0].numpy(), IDX[0])], lambda x, y: (W(), B())),
        TypeError,
        NOT_TENSOR.format(name="folds[0][0]", type="ndarray"),
        "cross_validate-fold-type",
    ),
    case(
        lambda: lrcore.cross_validate(X(), Y()[:4], [(IDX[0], IDX[0])], lambda x, y: (W(), B())),
        ValueError,
        ROWS.format(a="x", b="y", na=5, nb=4),
        "cross_validate-rows",
    ),
]
ALL_CASES += RESAMPLING


# lrcore.minibatch (the references are in tests/test_minibatch.py).
def _fit_minibatch(x=None, y=None, w=None, b=None, lr=0.1, num_epochs=2, batch_size=2, seed=0, **kwargs):
    return lrcore.fit_minibatch(
        X() if x is None else x,
        Y() if y is None else y,
        W() if w is None else w,
        B() if b is None else b,
        lr,
        num_epochs,
        batch_size,
        seed,
        **kwargs,
    )


MINIBATCH = [
    *matrix_cases("fit_minibatch", lambda x: _fit_minibatch(x=x)),
    *label_cases("fit_minibatch", lambda y: _fit_minibatch(y=y)),
    *param_cases("fit_minibatch", lambda w, b: _fit_minibatch(w=w, b=b)),
    *learning_rate_cases("fit_minibatch", lambda lr: _fit_minibatch(lr=lr)),
    case(lambda: _fit_minibatch(y=Y()[:4]), ValueError, ROWS.format(a="x", b="y", na=5, nb=4), "fit_minibatch-rows"),
    case(
        lambda: _fit_minibatch(y=Y(F64)),
        TypeError,
        DTYPES.format(a="x", b="y", da="torch.float32", db="torch.float64"),
        "fit_minibatch-dtype",
    ),
    case(lambda: _fit_minibatch(num_epochs=-1), ValueError, "num_epochs must be >= 0, got -1", "fit_minibatch-epochs"),
    case(lambda: _fit_minibatch(batch_size=0), ValueError, "batch_size must be >= 1, got 0", "fit_minibatch-batch-0"),
    case(
        lambda: _fit_minibatch(batch_size=6),
        ValueError,
        "batch_size must be at most the number of samples n=5, got 6",
        "fit_minibatch-batch-above-n",
    ),
    case(
        lambda: _fit_minibatch(batch_size=2.0),
        TypeError,
        "batch_size must be an int, got float",
        "fit_minibatch-batch-float",
    ),
    case(lambda: _fit_minibatch(seed=-1), ValueError, "seed must be >= 0, got -1", "fit_minibatch-seed-negative"),
    case(
        lambda: _fit_minibatch(seed=2**64),
        ValueError,
        "seed must be < 2**64 (a torch.Generator seed), got 18446744073709551616",
        "fit_minibatch-seed-huge",
    ),
    case(lambda: _fit_minibatch(seed=None), TypeError, "seed must be an int, got NoneType", "fit_minibatch-seed-None"),
    case(lambda: _fit_minibatch(l2=-0.1), ValueError, "l2 must be a finite number >= 0, got -0.1", "fit_minibatch-l2"),
    case(
        lambda: _fit_minibatch(drop_last=1),
        TypeError,
        "drop_last must be a bool (True or False), got int",
        "fit_minibatch-drop_last",
    ),
    case(
        lambda: _fit_minibatch(lr_schedule=0.5),
        TypeError,
        "lr_schedule must be a callable epoch -> factor, got float",
        "fit_minibatch-schedule-type",
    ),
    case(
        lambda: _fit_minibatch(lr_schedule=lambda epoch: 1.0 - epoch),
        ValueError,
        "lr_schedule(1) must be a finite positive number, got 0.0",
        "fit_minibatch-schedule-value",
    ),
    case(
        lambda: _fit_minibatch(record_every=4),
        ValueError,
        "record_every must divide the number of steps (num_epochs * steps_per_epoch = 6) so that the final "
        "parameters are recorded, got record_every=4",
        "fit_minibatch-record_every",
    ),
    case(
        lambda: _fit_minibatch(x_val=X()),
        ValueError,
        "x_val and y_val must be given together, got only one of them",
        "fit_minibatch-val-alone",
    ),
]
ALL_CASES += MINIBATCH


@pytest.mark.parametrize(("call", "exc", "pattern"), ALL_CASES)
def test_bad_input_raises(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_every_validating_public_function_has_cases():
    # Plotting helpers draw what they are given (plot_decision_boundary has cases all the same);
    # load_breast_cancer_means and use_book_style take no argument. Every other name in
    # lrcore.__all__ must appear in a case id.
    ids = {p.id.split("-")[0] for p in ALL_CASES}
    aliases = {
        "bce": "binary_cross_entropy",
        "bce_logits": "binary_cross_entropy_with_logits",
        "chain_rule": "compute_gradients_chain_rule",
        "step": "gradient_descent_step",
        "landscape": "loss_landscape",
        "split": "train_val_test_split",
    }
    covered = {aliases.get(i, i) for i in ids}
    callables = {
        name
        for name in lrcore.__all__
        if callable(getattr(lrcore, name))
        and not isinstance(getattr(lrcore, name), type)
        and not name.startswith("plot_")
        and inspect.signature(getattr(lrcore, name)).parameters  # no argument, nothing to validate
    }
    assert callables - covered == set()


# ---------------------------------------------------------------------------- the validation layer (issue 20)
# The functions a chapter shows hold the algorithm; their checks run first, from a
# _check_<name>_args function (lrcore._validation.checked_by) or from the public function that
# calls the shown core. These pin that the split kept the contract.

from lrcore import _validation  # noqa: E402


def test_checked_by_runs_the_check_first_and_passes_its_replacements():
    seen = []

    def check(n, scale=2):
        seen.append((n, scale))
        return {"n": int(n)}

    @_validation.checked_by(check)
    def twice(n: int, scale: int = 2) -> int:
        """Twice n."""
        return type(n).__name__, n * scale

    assert twice(np.int64(3)) == ("int", 6) and seen == [(np.int64(3), 2)]
    assert twice(n=4, scale=3) == ("int", 12)
    assert twice.__doc__ == "Twice n." and list(inspect.signature(twice).parameters) == ["n", "scale"]
    assert inspect.getsource(twice).lstrip().startswith("@_validation.checked_by(check)")


def test_checked_by_leaves_a_wrong_call_to_python():
    @_validation.checked_by(lambda n: None)
    def one(n):
        return n

    with pytest.raises(TypeError, match=escape("one() missing 1 required positional argument: 'n'")):
        one()
    with pytest.raises(TypeError, match=escape("one() got an unexpected keyword argument 'm'")):
        one(m=1)


def test_a_warning_names_the_callers_line_through_the_wrappers():
    import warnings

    huge = torch.full((2, 1), 1e38)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lrcore.linear(huge, torch.full((1, 1), 10.0), torch.zeros(1, 1))
        lrcore.precision(torch.zeros(3, 1), torch.ones(3, 1))
    assert [w.category for w in caught] == [lrcore.NonFiniteWarning, lrcore.UndefinedMetricWarning]
    assert all(w.filename == __file__ for w in caught), [w.filename for w in caught]


SPLIT_CORES = [
    pytest.param(
        lambda: lrcore.loss_landscape(X(F32)[:, :1], Y(F32), w_range=(-1e39, 1.0)),
        ValueError,
        escape("w_range must have ends of at most 3.403e+38 in size for torch.float32, got (-1e+39, 1.0)"),
        id="loss_landscape-range-beyond-dtype",
    ),
    pytest.param(
        lambda: lrcore.auc(torch.tensor([0.0]), torch.tensor([1.0])),
        ValueError,
        "^" + escape("x must have at least 2 points to enclose an area, got 1") + "$",
        id="auc-one-point",
    ),
    pytest.param(
        lambda: lrcore.auc(torch.tensor([0.0, 1.0, 0.5]), torch.tensor([1.0, 1.0, 1.0])),
        ValueError,
        "^" + escape("x must be monotonic (non-decreasing or non-increasing), got both rises and falls") + "$",
        id="auc-not-monotonic",
    ),
    pytest.param(
        lambda: lrcore.roc_curve(torch.tensor([[0.1], [0.9]]), torch.tensor([[1.0], [1.0]])),
        ValueError,
        "^"
        + escape(
            "y_true must contain at least one negative sample (0), got only 1: the false-positive rate "
            "would be 0/0 at every threshold"
        )
        + "$",
        id="roc_curve-one-class",
    ),
    pytest.param(
        lambda: lrcore.angle_between(torch.tensor([1.0, 0.0]), torch.zeros(2)),
        ValueError,
        "^" + escape("v must not contain a zero vector: a zero vector has no direction") + "$",
        id="angle_between-zero-v",
    ),
    pytest.param(
        lambda: lrcore.percentile_interval(torch.tensor([math.nan, math.nan])),
        ValueError,
        "^" + escape("values must hold at least one defined (non-NaN) value, got only NaN") + "$",
        id="percentile_interval-all-nan",
    ),
    pytest.param(
        lambda: lrcore.cross_validate(X(F64), Y(F64), [(torch.tensor([0, 1]), torch.tensor([9]))], lambda x, y: None),
        ValueError,
        "^" + escape("folds[0][1] must lie in [0, 5) to index x's 5 rows, got 9..9") + "$",
        id="cross_validate-fold-out-of-range",
    ),
    pytest.param(
        lambda: lrcore.gradient_descent_step(X(F32), Y(F32), torch.full((D, 1), 1e38), torch.zeros(1, 1), 0.1),
        ValueError,
        "^"
        + escape(
            "x, w and b give logits x w + b beyond the range of torch.float32: standardize x, or use float64"
        )
        + "$",
        id="gradient_descent_step-logits-overflow",
    ),
]


@pytest.mark.filterwarnings("ignore::lrcore.NonFiniteWarning")
@pytest.mark.parametrize(("call", "exc", "pattern"), SPLIT_CORES)
def test_split_functions_keep_their_messages(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_cross_validate_checks_every_fold_before_fitting_any():
    fitted = []

    def train(x, y):
        fitted.append(len(x))
        return torch.zeros(D, 1, dtype=F64), torch.zeros(1, 1, dtype=F64)

    folds = [(torch.tensor([0, 1, 2]), torch.tensor([3, 4])), (torch.tensor([0, 1]), torch.tensor([7]))]
    with pytest.raises(ValueError, match=escape("folds[1][1] must lie in [0, 5) to index x's 5 rows")):
        lrcore.cross_validate(X(F64), Y(F64), folds, train)
    assert fitted == []
