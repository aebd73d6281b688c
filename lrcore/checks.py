"""Checks for the functions you write in the lab, with hints when something is off.

Each ``check_<name>(fn)`` runs your function ``fn`` on a few cases (small and large inputs,
float32 and float64, edge values such as huge logits or a metric that is 0/0), compares
every result with ``lrcore``'s own function, and prints one line per case. For instance
``check_sigmoid(sigmoid)`` (the function itself, not called) on an overflowing sigmoid prints::

      ✓ z = 0, shape (1, 1), float32
      ✗ z = 0, ±20, ±100, ±1000, float32: values differ at [5, 0]: expected 1, got nan (2 of 7 entries)
      ...
      Hint (exp(z) overflows): For large z, exp(z) is inf and ...
    ✗ sigmoid: 2 of 6 cases failed

It returns ``True`` only when every case passes. It never raises because of your code: an
exception inside ``fn`` is reported as a failed case. Besides the values, a case fails if
``fn`` changed one of its inputs in place, returned another dtype than its inputs', or
returned one of its inputs itself instead of a new tensor.

How the hints work
------------------
For every failed case the check looks for known mistakes: all the hints of the function
(``HINTS[name]``) that recognise the case, or, if none does, the first of the hints common
to all functions (``COMMON_HINTS``) that does. Each hint is printed once, after the cases.

A :class:`Hint` is a name, a message and a *detector*: a function that receives the
:class:`Outcome` of the failed case and says whether it shows the mistake. Most detectors
are made by :func:`looks_like`, which computes a known-wrong variant from the same inputs and
compares it with what ``fn`` returned. Adding a hint is one statement::

    HINTS["standardize"].append(
        Hint("x / std - mean", "Subtract first: (x - mean) / std.", looks_like(lambda x, mean, std: x / std - mean))
    )

:func:`raised` recognises an exception by its type and message, :func:`got_shape` a result of
a telltale shape, :func:`any_of` combines detectors, and any function of an :class:`Outcome`
that returns a bool is a detector too.
"""

from __future__ import annotations

import inspect
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

import lrcore

__all__ = [
    "COMMON_HINTS",
    "HINTS",
    "Case",
    "Hint",
    "Outcome",
    "any_of",
    "check_binary_cross_entropy",
    "check_compute_gradients",
    "check_dJi_dS",
    "check_dS_dZ",
    "check_dZ_dB",
    "check_dZ_dW",
    "check_f1_score",
    "check_fit_standardizer",
    "check_gradient_descent_step",
    "check_linear",
    "check_logistic_regression",
    "check_precision",
    "check_recall",
    "check_sigmoid",
    "check_standardization_stats",
    "check_standardize",
    "got_shape",
    "looks_like",
    "raised",
]

F32, F64 = torch.float32, torch.float64

#: (relative, absolute) tolerance of a passing value, by dtype: loose enough for any correct
#: formula, tight enough to tell a standard deviation over N from one over N - 1.
TOLERANCE = {F32: (1e-4, 1e-6), F64: (1e-6, 1e-9)}


# ============================================================================ the pieces


@dataclass(frozen=True)
class Case:
    """One call of the function under test.

    Attributes
    ----------
    label : str
        What the case is, as printed in the report.
    args : tuple
        The arguments. The function under test always gets fresh copies.
    """

    label: str
    args: tuple


@dataclass
class Outcome:
    """What happened when the function under test ran on one case.

    Attributes
    ----------
    case : Case
    expected : object
        What ``lrcore``'s function returned.
    got : object
        What the function under test returned (None if it raised).
    error : Exception or None
        The exception it raised, if any.
    modified : list of str
        Names of the inputs it changed in place.
    aliased : list of str
        Names of the inputs it returned itself (or a view of).
    problem : str
        What differs, in a few words; empty when the case passed.
    """

    case: Case
    expected: Any
    got: Any = None
    error: Exception | None = None
    modified: list[str] = field(default_factory=list)
    aliased: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def args(self) -> tuple:
        """Fresh copies of the case's arguments, to compute variants from."""
        return _fresh(self.case.args)

    @property
    def n(self) -> int:
        """The number of samples: rows of the first argument."""
        return self.case.args[0].shape[0]


@dataclass(frozen=True)
class Hint:
    """A recognisable mistake: its name, how to fix it, and how to recognise it.

    Attributes
    ----------
    name : str
        The mistake in a few plain words.
    message : str or callable
        What to do about it; a callable receives the :class:`Outcome` and returns the text.
    detector : callable
        ``detector(outcome) -> bool``: True if the failed case shows this mistake. A detector
        that raises counts as False.
    """

    name: str
    message: str | Callable[[Outcome], str]
    detector: Callable[[Outcome], bool]

    def matches(self, outcome: Outcome) -> bool:
        """Whether the detector recognises ``outcome`` (False if it raises)."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return bool(self.detector(outcome))
        except Exception:
            return False

    def text(self, outcome: Outcome) -> str:
        """The line printed in the report."""
        try:
            message = self.message(outcome) if callable(self.message) else self.message
        except Exception:
            message = "(no details)"
        return f"Hint ({self.name}): {message}"


# ============================================================================ detectors


def looks_like(variant: Callable, part: int | None = None) -> Callable[[Outcome], bool]:
    """Detector: the result equals a known-wrong variant of the right one.

    Parameters
    ----------
    variant : callable
        Called with (copies of) the case's arguments; returns what the mistaken code returns.
    part : int, optional
        For a function that returns a tuple, compare only this element; ``variant`` then
        returns only that element.

    Returns
    -------
    callable
        ``detector(outcome) -> bool``. The comparison ignores shape and dtype when the numbers
        are the same (those are reported separately), and never matches a variant that equals
        the right answer on the case at hand.
    """

    def detect(outcome: Outcome) -> bool:
        if outcome.error is not None:
            return False
        wrong = variant(*outcome.args)
        got, expected = _pick(outcome.got, part), _pick(outcome.expected, part)
        return _same(got, wrong) and not _same(expected, wrong)

    return detect


def raised(pattern: str, kind: type[BaseException] = Exception) -> Callable[[Outcome], bool]:
    """Detector: the function raised a ``kind`` whose message matches the regex ``pattern``."""

    def detect(outcome: Outcome) -> bool:
        return isinstance(outcome.error, kind) and re.search(pattern, str(outcome.error)) is not None

    return detect


def got_shape(shape_of: Callable[..., tuple], part: int | None = None) -> Callable[[Outcome], bool]:
    """Detector: the result (or its element ``part``) has the shape ``shape_of(*args)``."""

    def detect(outcome: Outcome) -> bool:
        got = _pick(outcome.got, part)
        return isinstance(got, Tensor) and tuple(got.shape) == tuple(shape_of(*outcome.args))

    return detect


def any_of(*detectors: Callable[[Outcome], bool]) -> Callable[[Outcome], bool]:
    """Detector: any of ``detectors`` recognises the outcome (one mistake, several spellings)."""
    return lambda outcome: any(detect(outcome) for detect in detectors)


def _pick(value: Any, part: int | None) -> Any:
    if part is None:
        return value
    if isinstance(value, (tuple, list)) and len(value) > part:
        return value[part]
    return None


def _as_float64(value: Any) -> Tensor | None:
    """``value`` (tensor, array or number) as a float64 tensor, or None if it is none of those."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Tensor):
        return None if value.is_complex() else value.detach().to(F64)
    if isinstance(value, (int, float, np.ndarray, np.number)):
        try:
            return torch.as_tensor(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            return None
    return None


def _same(a: Any, b: Any) -> bool:
    """Loose equality, to recognise variants: the same numbers, whatever the shape or dtype."""
    if isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and len(a) == len(b) and all(map(_same, a, b))
    a64, b64 = _as_float64(a), _as_float64(b)
    if a64 is None or b64 is None or a64.numel() == 0 or bool(b64.isnan().all()):
        return False
    if a64.shape != b64.shape:
        if a64.numel() == b64.numel():
            a64, b64 = a64.reshape(-1), b64.reshape(-1)
        else:
            try:
                a64, b64 = torch.broadcast_tensors(a64, b64)
            except RuntimeError:
                return False
    return bool(torch.isclose(a64, b64, rtol=1e-4, atol=1e-6, equal_nan=True).all())


def _fresh(args: tuple) -> tuple:
    return tuple(a.clone() if isinstance(a, Tensor) else a for a in args)


def _parts(outcome: Outcome) -> list[tuple[Any, Any]]:
    """(got, expected) pairs: one per element of a tuple result, or the result itself."""
    got, expected = outcome.got, outcome.expected
    if isinstance(expected, tuple):
        if isinstance(got, (tuple, list)) and len(got) == len(expected):
            return list(zip(got, expected, strict=True))
        return []
    return [(got, expected)]


def _tensor_parts(outcome: Outcome) -> list[tuple[Tensor, Tensor]]:
    return [(g, e) for g, e in _parts(outcome) if isinstance(g, Tensor) and isinstance(e, Tensor)]


def _is_nan(value: Any) -> bool:
    t = _as_float64(value)
    return t is not None and t.numel() > 0 and bool(t.isnan().any())


def _is_inf(value: Any) -> bool:
    t = _as_float64(value)
    return t is not None and t.numel() > 0 and bool(t.isinf().any())


def _is_finite(value: Any) -> bool:
    t = _as_float64(value)
    return t is not None and t.numel() > 0 and bool(t.isfinite().all())


# ============================================================================ test data


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _normal(seed: int, *shape: int, dtype: torch.dtype = F64, scale: float = 1.0) -> Tensor:
    return (scale * torch.randn(*shape, generator=_generator(seed), dtype=F64)).to(dtype)


# Means and spreads of the lab's ten "mean ..." features: radius, texture, perimeter, area,
# smoothness, compactness, concavity, concave points, symmetry, fractal dimension.
_FEATURE_MEAN = [14.1, 19.3, 92.0, 655.0, 0.096, 0.104, 0.089, 0.049, 0.181, 0.063]
_FEATURE_STD = [3.5, 4.3, 24.3, 352.0, 0.014, 0.053, 0.080, 0.039, 0.027, 0.007]


def _features(n: int, d: int, seed: int, dtype: torch.dtype) -> Tensor:
    """Raw features like the lab's: every column on its own scale, shape (n, d)."""
    mean = torch.tensor(_FEATURE_MEAN[:d], dtype=F64)
    std = torch.tensor(_FEATURE_STD[:d], dtype=F64)
    return (mean + std * torch.randn(n, d, generator=_generator(seed), dtype=F64)).to(dtype)


def _labels(n: int, seed: int, dtype: torch.dtype) -> Tensor:
    """Labels 0/1, shape (n, 1), both classes present."""
    y = torch.bernoulli(torch.full((n, 1), 0.5, dtype=F64), generator=_generator(seed))
    if n >= 2:
        y[0], y[1] = 1.0, 0.0
    return y.to(dtype)


def _probabilities(n: int, seed: int, dtype: torch.dtype) -> Tensor:
    """Predicted probabilities strictly between 0 and 1, shape (n, 1)."""
    return torch.sigmoid(_normal(seed, n, 1, scale=2.0)).to(dtype)


def _column(values: list[float], dtype: torch.dtype) -> Tensor:
    return torch.tensor(values, dtype=dtype).reshape(-1, 1)


def _params(d: int, seed: int, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """Weights (d, 1) and a bias (1, 1) that is not zero."""
    w = _normal(seed, d, 1, dtype=dtype)
    b = torch.tensor([[(0.5 + 0.25 * (seed % 3)) * (-1) ** seed]], dtype=dtype)
    return w, b


def _from_counts(tp: int, fp: int, fn: int, tn: int, dtype: torch.dtype, seed: int) -> tuple[Tensor, Tensor]:
    """Predictions and labels (n, 1) with exactly these counts, shuffled."""
    y_pred = [1.0] * tp + [1.0] * fp + [0.0] * fn + [0.0] * tn
    y_true = [1.0] * tp + [0.0] * fp + [1.0] * fn + [0.0] * tn
    order = torch.randperm(len(y_pred), generator=_generator(seed))
    return _column(y_pred, dtype)[order], _column(y_true, dtype)[order]


def _shape(t: Tensor) -> str:
    return "(" + ", ".join(map(str, t.shape)) + ("," if t.ndim == 1 else "") + ")"


def _dtype(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


# ============================================================================ the functions
#
# For each function: the cases it is run on, and the hints for its typical mistakes.

#: Hints of each function, by the function's name.
HINTS: dict[str, list[Hint]] = {}

# ---------------------------------------------------------------------------- standardization

_SMALL_FEATURES = [[1.0, 2.0, 10.0], [2.0, 4.0, 30.0], [3.0, 6.0, 20.0], [6.0, 8.0, 60.0]]


def _stats_cases() -> list[Case]:
    constant = torch.tensor([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0], [9.0, 5.0]], dtype=F64)
    return [
        Case("x 4×3, float32", (torch.tensor(_SMALL_FEATURES),)),
        Case("x 6×4 with features on different scales, float64", (_features(6, 4, 1, F64),)),
        Case("x 5×1 (one feature), float32", (_features(5, 1, 2, F32),)),
        Case("x 50×10 like the lab's features, float32", (_features(50, 10, 3, F32),)),
        Case("x 4×2 with a constant feature, float64", (constant,)),
    ]


def _population_std(x: Tensor, **kwargs) -> Tensor:
    return x.std(correction=0, **kwargs)


HINTS["standardization_stats"] = [
    Hint(
        "sample standard deviation (N - 1)",
        "torch.std divides by N - 1 by default (the sample standard deviation). The book uses the "
        "population standard deviation, which divides by N: x.std(dim=0, keepdim=True, correction=0).",
        looks_like(lambda x: x.std(dim=0, keepdim=True), part=1),
    ),
    Hint(
        "one std over the whole matrix",
        "Without dim=..., std is taken over all entries at once, mixing features measured in different "
        "units. Compute one per feature, down each column: x.std(dim=0, keepdim=True, correction=0).",
        any_of(
            looks_like(lambda x: _population_std(x), part=1),
            looks_like(lambda x: x.std(), part=1),
        ),
    ),
    Hint(
        "one mean over the whole matrix",
        "Without dim=..., mean averages all entries at once. Compute one mean per feature, down each "
        "column: x.mean(dim=0, keepdim=True).",
        looks_like(lambda x: x.mean(), part=0),
    ),
    Hint(
        "statistics per sample instead of per feature",
        "dim=1 averages across the features of each sample (one value per row). The statistics are per "
        "feature: average over the samples, with dim=0.",
        any_of(
            looks_like(lambda x: x.mean(dim=1), part=0),
            looks_like(lambda x: _population_std(x, dim=1), part=1),
            looks_like(lambda x: x.std(dim=1), part=1),
        ),
    ),
    Hint(
        "variance instead of standard deviation",
        "x.var(...) is the variance, the square of the standard deviation: take its square root, or use "
        "x.std(dim=0, keepdim=True, correction=0).",
        any_of(
            looks_like(lambda x: x.var(dim=0, correction=0), part=1),
            looks_like(lambda x: x.var(dim=0), part=1),
        ),
    ),
    Hint(
        "a constant feature gets std 0",
        "A feature that never varies has standard deviation 0, and standardizing it would divide by zero. "
        "As the docstring says, use 1 for such a feature: std = torch.where(std == 0, torch.ones_like(std), std).",
        lambda o: isinstance(_pick(o.got, 1), Tensor) and bool((_pick(o.got, 1) == 0).any()),
    ),
    Hint(
        "mean and std in the wrong order",
        "Return the mean first, then the standard deviation: return mean, std.",
        looks_like(lambda x: tuple(reversed(lrcore.fit_standardizer(x)))),
    ),
    Hint(
        "a flat (D,) vector instead of a row (1, D)",
        "x.mean(dim=0) has shape (D,); keepdim=True keeps the row: x.mean(dim=0, keepdim=True) has shape "
        "(1, D), and so does x.std(dim=0, keepdim=True, correction=0).",
        lambda o: any(g.ndim == 1 and _same(g, e) for g, e in _tensor_parts(o)),
    ),
]


def _standardize_cases() -> list[Case]:
    small = torch.tensor(_SMALL_FEATURES)
    train64 = _features(8, 4, 4, F64)
    train32 = _features(40, 10, 5, F32)
    return [
        Case("x 4×3 with its own statistics, float32", (small, *lrcore.fit_standardizer(small))),
        Case("x 5×4 (validation data) with training statistics, float64",
             (_features(5, 4, 6, F64), *lrcore.fit_standardizer(train64))),
        Case("a single sample 1×4 with training statistics, float64",
             (_features(1, 4, 7, F64), *lrcore.fit_standardizer(train64))),
        Case("x 50×10 with training statistics, float32",
             (_features(50, 10, 8, F32), *lrcore.fit_standardizer(train32))),
        Case("x 3×3 (n = D) with training statistics, float64",
             (_features(3, 3, 9, F64), *lrcore.fit_standardizer(train64[:, :3]))),
    ]  # fmt: skip


def _own_statistics(x: Tensor, correction: int) -> Tensor:
    return (x - x.mean(dim=0, keepdim=True)) / x.std(dim=0, keepdim=True, correction=correction)


HINTS["standardize"] = [
    Hint(
        "mean subtracted after dividing",
        "x / std - mean divides first, then subtracts a mean that is still in the old units, so the "
        "result is not centred. Subtract first, then divide: (x - mean) / std.",
        looks_like(lambda x, mean, std: x / std - mean),
    ),
    Hint(
        "operator precedence",
        "Division binds tighter than subtraction: x - mean / std means x - (mean / std). "
        "Write the parentheses: (x - mean) / std.",
        looks_like(lambda x, mean, std: x - mean / std),
    ),
    Hint(
        "statistics recomputed from x",
        "standardize must use the mean and std it is given, measured on the training split, not compute "
        "new ones from x: validation and test data are standardized with the training statistics.",
        any_of(
            looks_like(lambda x, mean, std: _own_statistics(x, correction=0)),
            looks_like(lambda x, mean, std: _own_statistics(x, correction=1)),
            lambda o: o.n == 1 and isinstance(o.got, Tensor) and bool(o.got.isnan().all()),
        ),
    ),
    Hint(
        "one std over the whole matrix",
        "Divide every feature by its own standard deviation, the std argument (shape (1, D)), not by one "
        "number computed over the whole matrix.",
        any_of(
            looks_like(lambda x, mean, std: (x - mean) / _population_std(x)),
            looks_like(lambda x, mean, std: (x - mean) / x.std()),
        ),
    ),
    Hint(
        "multiplied by the std",
        "Standardizing divides by the standard deviation: (x - mean) / std.",
        looks_like(lambda x, mean, std: (x - mean) * std),
    ),
    Hint(
        "std never used",
        "You subtracted the mean but did not divide by the standard deviation: (x - mean) / std.",
        looks_like(lambda x, mean, std: x - mean),
    ),
    Hint(
        "mean never used",
        "You divided by the standard deviation but did not subtract the mean first: (x - mean) / std.",
        looks_like(lambda x, mean, std: x / std),
    ),
    Hint(
        "mean and std swapped",
        "The arguments come in the order (x, mean, std); the formula is (x - mean) / std.",
        looks_like(lambda x, mean, std: (x - std) / mean),
    ),
]


# ---------------------------------------------------------------------------- the model

_SMALL_X = [[1.0, 2.0, 3.0], [0.0, -1.0, 2.0], [4.0, 0.5, -2.0], [-3.0, 1.0, 1.0]]


def _linear_cases() -> list[Case]:
    return [
        Case("x 4×3, float32", (torch.tensor(_SMALL_X), _column([1.0, -2.0, 0.5], F32), torch.tensor([[0.25]]))),
        Case("x 6×2, float64", (_normal(10, 6, 2), *_params(2, 11, F64))),
        Case("x 5×1 (one feature), float32", (_normal(12, 5, 1, dtype=F32), *_params(1, 13, F32))),
        Case("x 3×3 (n = D), float64", (_normal(14, 3, 3), *_params(3, 15, F64))),
        Case("x 1×4 (one sample), float32", (_normal(16, 1, 4, dtype=F32), *_params(4, 17, F32))),
        Case("x 50×10, float64", (_normal(18, 50, 10), *_params(10, 19, F64))),
    ]


# Shape mistakes shared by linear and logistic_regression.
_ROW_INSTEAD_OF_COLUMN = Hint(
    "a row (1, n) instead of a column (n, 1)",
    "w.T @ x.T gives a row, one logit per column. x @ w + b gives the column (n, 1): one row per sample, like x.",
    lambda o: o.n > 1 and got_shape(lambda x, w, b: (1, x.shape[0]))(o),
)
_ELEMENTWISE_PRODUCT = Hint(
    "elementwise product instead of matrix product",
    "x * w multiplies entry by entry (broadcasting to one column per feature) and does not add the "
    "products up. The matrix product x @ w does both: one logit per sample, shape (n, 1).",
    lambda o: o.args[0].shape[1] > 1 and got_shape(lambda x, w, b: x.shape)(o),
)
_PRODUCT_ORDER = Hint(
    "matrix product in the wrong order",
    "In a @ b the columns of a must match the rows of b. The product is x @ w: (n, D) @ (D, 1) = (n, 1).",
    raised("cannot be multiplied"),
)
_TORCH_DOT = Hint(
    "torch.dot on matrices",
    "torch.dot only multiplies two 1-D vectors. For the matrix x (n, D) times the column w (D, 1), use x @ w.",
    raised("1D tensors expected"),
)

HINTS["linear"] = [
    Hint("missing bias", "Add the bias: z = x @ w + b.", looks_like(lambda x, w, b: x @ w)),
    Hint("bias subtracted", "The bias is added: z = x @ w + b.", looks_like(lambda x, w, b: x @ w - b)),
    Hint(
        "x transposed",
        "x (n, D) already has one row per sample: x @ w, not x.T @ w.",
        looks_like(lambda x, w, b: x.T @ w + b),
    ),
    Hint(
        "sigmoid applied in linear",
        "linear returns the logits z = x @ w + b; the sigmoid comes afterwards, in logistic_regression.",
        looks_like(lambda x, w, b: torch.sigmoid(x @ w + b)),
    ),
    _ROW_INSTEAD_OF_COLUMN,
    _ELEMENTWISE_PRODUCT,
    _PRODUCT_ORDER,
    _TORCH_DOT,
]


def _sigmoid_cases() -> list[Case]:
    return [
        Case("z = 0, shape (1, 1), float32", (torch.zeros(1, 1),)),
        Case("z from -2 to 2, shape (5, 1), float64", (_column([-2.0, -1.0, 0.0, 1.0, 2.0], F64),)),
        Case("z = 0, ±20, ±100, ±1000, float32", (_column([-1000.0, -100.0, -20.0, 0.0, 20.0, 100.0, 1000.0], F32),)),
        Case("z = ±40, ±800, float64", (_column([-800.0, -40.0, 40.0, 800.0], F64),)),
        Case("z of shape (2, 3), float32 (any shape works)", (_normal(20, 2, 3, dtype=F32, scale=3.0),)),
        Case("z of shape (4,), float64", (_normal(21, 4, scale=3.0),)),
    ]


HINTS["sigmoid"] = [
    Hint(
        "missing minus sign",
        "The sigmoid is 1 / (1 + exp(-z)), with a minus sign in the exponent; without it you get "
        "1 / (1 + exp(z)) = 1 - s(z), the probability of the other class.",
        looks_like(lambda z: torch.sigmoid(-z)),
    ),
    Hint(
        "exp(z) overflows",
        "For large z, exp(z) is inf and exp(z) / (1 + exp(z)) is inf / inf = nan. Write it with exp(-z): "
        "1 / (1 + torch.exp(-z)) only ever computes 1 / (1 + 0) = 1 or 1 / inf = 0 at the extremes.",
        lambda o: isinstance(o.got, Tensor) and bool((o.got.isnan() & (o.args[0] > 0)).any()),
    ),
    Hint(
        "minus in the denominator",
        "The denominator is 1 + exp(-z), with a plus.",
        looks_like(lambda z: 1 / (1 - torch.exp(-z))),
    ),
    Hint(
        "reciprocal missing",
        "1 + exp(-z) is the denominator: the sigmoid is 1 / (1 + exp(-z)).",
        looks_like(lambda z: 1 + torch.exp(-z)),
    ),
    Hint(
        "tanh is not the sigmoid",
        "tanh goes from -1 to 1; the sigmoid 1 / (1 + exp(-z)) goes from 0 to 1 (it equals (1 + tanh(z / 2)) / 2).",
        looks_like(lambda z: torch.tanh(z)),
    ),
]


def _logistic_cases() -> list[Case]:
    return [
        Case("x 4×3, float32", (torch.tensor(_SMALL_X), _column([0.5, -1.0, 0.25], F32), torch.tensor([[-0.5]]))),
        Case("x 6×2, float64", (_normal(22, 6, 2), *_params(2, 23, F64))),
        Case("x 5×1 with large logits (sure predictions), float32",
             (_column([-5.0, -1.0, 0.0, 1.0, 5.0], F32), _column([30.0], F32), torch.tensor([[2.0]]))),
        Case("x 3×3 (n = D), float64", (_normal(24, 3, 3), *_params(3, 25, F64))),
        Case("x 50×10, float32", (_normal(26, 50, 10, dtype=F32), *_params(10, 27, F32))),
    ]  # fmt: skip


HINTS["logistic_regression"] = [
    Hint(
        "sigmoid missing",
        "x @ w + b is the logit z, any real number. Apply the sigmoid to turn it into a probability: "
        "sigmoid(x @ w + b).",
        looks_like(lambda x, w, b: x @ w + b),
    ),
    Hint(
        "missing bias",
        "The bias goes inside the sigmoid: sigmoid(x @ w + b).",
        looks_like(lambda x, w, b: torch.sigmoid(x @ w)),
    ),
    Hint(
        "bias added after the sigmoid",
        "The bias belongs to the logit, inside the sigmoid: sigmoid(x @ w + b), not sigmoid(x @ w) + b.",
        looks_like(lambda x, w, b: torch.sigmoid(x @ w) + b),
    ),
    Hint(
        "probability of the other class",
        "These are the probabilities of class 0, 1 - s(z): check the minus sign in 1 / (1 + exp(-z)).",
        looks_like(lambda x, w, b: torch.sigmoid(-(x @ w + b))),
    ),
    Hint(
        "labels instead of probabilities",
        "Return the probabilities themselves; turning them into 0/1 labels with a threshold is predict's job.",
        looks_like(lambda x, w, b: (torch.sigmoid(x @ w + b) >= 0.5).to(x.dtype)),
    ),
    Hint(
        "sigmoid applied to x",
        "The sigmoid applies to the logit, after the affine map: sigmoid(x @ w + b), not sigmoid(x) @ w + b.",
        looks_like(lambda x, w, b: torch.sigmoid(x) @ w + b),
    ),
    _ROW_INSTEAD_OF_COLUMN,
    _ELEMENTWISE_PRODUCT,
    _PRODUCT_ORDER,
    _TORCH_DOT,
]


# ---------------------------------------------------------------------------- the loss


def _bce_cases() -> list[Case]:
    return [
        Case("4 predictions, float32", (_column([0.9, 0.2, 0.6, 0.4], F32), _column([1.0, 0.0, 0.0, 1.0], F32))),
        Case("8 random predictions, float64", (_probabilities(8, 30, F64), _labels(8, 31, F64))),
        Case("one prediction 0.5, float32", (_column([0.5], F32), _column([1.0], F32))),
        Case("sure and right predictions (p = 1 for y = 1, p = 0 for y = 0), float64",
             (_column([1.0, 0.0, 0.7], F64), _column([1.0, 0.0, 1.0], F64))),
        Case("a sure and wrong prediction (p = 0 for y = 1), float32",
             (_column([0.0, 0.8], F32), _column([1.0, 1.0], F32))),
        Case("50 random predictions, float32", (_probabilities(50, 32, F32), _labels(50, 33, F32))),
    ]  # fmt: skip


def _per_sample_bce(p: Tensor, y: Tensor) -> Tensor:
    return -(torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p))


HINTS["binary_cross_entropy"] = [
    Hint(
        "missing minus sign",
        "The log of a probability is negative, so the loss has a minus sign in front: "
        "J = -(1/N) sum [y log p + (1 - y) log(1 - p)], which is >= 0.",
        looks_like(lambda p, y: -lrcore.binary_cross_entropy(p, y)),
    ),
    Hint(
        "a sum where the mean is meant",
        "Divide by the number of samples N: take the mean over the samples (.mean()), not the sum.",
        looks_like(lambda p, y: p.shape[0] * lrcore.binary_cross_entropy(p, y)),
    ),
    Hint(
        "0 · log 0 = nan",
        "For a sure and right prediction (p = 1 for y = 1) the other term computes (1 - y) log(1 - p) = "
        "0 · log(0) = 0 · (-inf) = nan. Use torch.xlogy(y, p), which is 0 whenever y = 0, for both terms.",
        lambda o: _is_nan(o.got) and not _is_nan(o.expected),
    ),
    Hint(
        "clamped probabilities",
        "A sure and wrong prediction (p = 0 for y = 1) costs -log(0) = inf: that is the true value of the "
        "formula, as the docstring says. Clamping p (to [1e-7, 1 - 1e-7], say) hides it; don't clamp.",
        lambda o: _is_inf(o.expected) and _is_finite(o.got),
    ),
    Hint(
        "log in the wrong base",
        "Use the natural logarithm, torch.log (or torch.xlogy), not log10 or log2.",
        any_of(
            looks_like(lambda p, y: lrcore.binary_cross_entropy(p, y) / math.log(10)),
            looks_like(lambda p, y: lrcore.binary_cross_entropy(p, y) / math.log(2)),
        ),
    ),
    Hint(
        "one of the two terms missing",
        "Each sample contributes y log p + (1 - y) log(1 - p): the first term counts for malignant "
        "samples, the second for benign ones. Keep both.",
        any_of(
            looks_like(lambda p, y: -torch.xlogy(y, p).mean()),
            looks_like(lambda p, y: -torch.xlogy(1 - y, 1 - p).mean()),
        ),
    ),
    Hint(
        "the logs swapped",
        "y goes with log(p), and (1 - y) with log(1 - p).",
        looks_like(lambda p, y: -(torch.xlogy(y, 1 - p) + torch.xlogy(1 - y, p)).mean()),
    ),
    Hint(
        "arguments in the wrong order",
        "The loss is inf although no prediction is sure: did you swap the arguments? The order is "
        "binary_cross_entropy(y_pred, y_true), and the logs apply to y_pred.",
        lambda o: _is_inf(o.got) and _is_finite(o.expected) and bool(((o.args[0] > 0) & (o.args[0] < 1)).all()),
    ),
    Hint(
        "per-sample losses instead of their mean",
        "Return one number, the mean over the samples, not one loss per sample.",
        looks_like(lambda p, y: _per_sample_bce(p, y)),
    ),
    Hint(
        "a (1, 1) tensor instead of a 0-d one",
        "The loss is a 0-d tensor, shape (). The matrix form y.T @ log(p) gives shape (1, 1), and "
        "keepdim=True keeps dimensions: use .mean() over all entries, or finish with .reshape(()).",
        lambda o: isinstance(o.got, Tensor) and o.got.ndim > 0 and o.got.numel() == 1 and _same(o.got, o.expected),
    ),
]


# ---------------------------------------------------------------------------- gradient descent


def _gradient_case(label: str, n: int, d: int, seed: int, dtype: torch.dtype) -> Case:
    x = _normal(seed, n, d, dtype=dtype)
    w, b = _params(d, seed + 1, dtype)
    return Case(label, (x, torch.sigmoid(x @ w + b), _labels(n, seed + 2, dtype)))


def _gradients_cases() -> list[Case]:
    return [
        _gradient_case("x 4×3, float32", 4, 3, 40, F32),
        _gradient_case("x 6×1 (one feature), float64", 6, 1, 43, F64),
        _gradient_case("x 3×3 (n = D), float32", 3, 3, 46, F32),
        _gradient_case("x 1×4 (one sample), float64", 1, 4, 49, F64),
        _gradient_case("x 50×10, float64", 50, 10, 52, F64),
    ]


HINTS["compute_gradients"] = [
    Hint(
        "residual with the wrong sign",
        "The error is y_pred - y_true; y_true - y_pred flips the sign of both gradients, and gradient "
        "descent would then climb the loss.",
        looks_like(lambda x, p, y: tuple(-g for g in lrcore.compute_gradients(x, p, y))),
    ),
    Hint(
        "a sum where the mean is meant",
        "The gradient of the mean loss is the mean of the per-sample gradients: divide both dw and db by N.",
        any_of(
            looks_like(lambda x, p, y: x.shape[0] * lrcore.compute_gradients(x, p, y)[0], part=0),
            looks_like(lambda x, p, y: x.shape[0] * lrcore.compute_gradients(x, p, y)[1], part=1),
        ),
    ),
    Hint(
        "x not transposed",
        "dw = x.T @ (y_pred - y_true) / N: transpose x, so that (D, n) @ (n, 1) gives (D, 1).",
        looks_like(lambda x, p, y: x @ (p - y) / x.shape[0], part=0),
    ),
    Hint(
        "dw as a row (1, D)",
        "(y_pred - y_true).T @ x gives a row (1, D). x.T @ (y_pred - y_true) gives the column (D, 1) that "
        "w has, so that w - learning_rate * dw keeps w's shape.",
        lambda o: o.args[0].shape[1] > 1 and got_shape(lambda x, p, y: (1, x.shape[1]), part=0)(o),
    ),
    Hint(
        "per-sample gradients not averaged",
        "x * (y_pred - y_true) is one gradient per sample, shape (n, D). Average over the samples: "
        "x.T @ (y_pred - y_true) / N.",
        any_of(
            looks_like(lambda x, p, y: x * (p - y), part=0),
            looks_like(lambda x, p, y: x * (p - y) / x.shape[0], part=0),
        ),
    ),
    Hint(
        "mean over all entries",
        "(x * r).mean() averages over all n · D entries and returns one number. Average over the samples "
        "only, one value per feature: x.T @ r / N.",
        looks_like(lambda x, p, y: (x * (p - y)).mean(), part=0),
    ),
    Hint(
        "sigmoid applied to y_pred",
        "y_pred is already a probability, sigmoid(z): use it as it is, do not apply the sigmoid again.",
        looks_like(lambda x, p, y: lrcore.compute_gradients(x, torch.sigmoid(p), y)),
    ),
    Hint(
        "dw and db in the wrong order",
        "Return dw first, then db: return dw, db.",
        looks_like(lambda x, p, y: tuple(reversed(lrcore.compute_gradients(x, p, y)))),
    ),
    Hint(
        "(n, 1) and (n,) broadcast to (n, n)",
        "The residual has become an (n, n) matrix: an (n, 1) column minus a flat (n,) vector broadcasts "
        "silently. Keep y_pred and y_true as (n, 1) columns (no reshape(-1), no squeeze()).",
        lambda o: o.n > 1 and got_shape(lambda x, p, y: (x.shape[1], x.shape[0]), part=0)(o),
    ),
]


def _step_case(label: str, n: int, d: int, seed: int, dtype: torch.dtype, learning_rate: float) -> Case:
    x = _normal(seed, n, d, dtype=dtype)
    w, b = _params(d, seed + 1, dtype)
    return Case(label, (x, _labels(n, seed + 2, dtype), w, b, learning_rate))


def _step_cases() -> list[Case]:
    return [
        _step_case("x 4×3, float32, learning rate 0.1", 4, 3, 60, F32, 0.1),
        _step_case("x 6×1, float64, learning rate 0.5", 6, 1, 63, F64, 0.5),
        _step_case("x 3×3 (n = D), float32, learning rate 0.05", 3, 3, 66, F32, 0.05),
        _step_case("x 50×10, float64, learning rate 2", 50, 10, 69, F64, 2.0),
        _step_case("x 8×2, float32, learning rate 0.001", 8, 2, 72, F32, 1e-3),
    ]


def _loss_and_gradients(x: Tensor, y: Tensor, w: Tensor, b: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    p = lrcore.logistic_regression(x, w, b)
    return lrcore.binary_cross_entropy(p, y), *lrcore.compute_gradients(x, p, y)


def _step_with(update: Callable) -> Callable:
    """A variant of the step whose new parameters are ``update(param, learning_rate, grad, n)``."""

    def variant(x, y, w, b, learning_rate):
        loss, dw, db = _loss_and_gradients(x, y, w, b)
        n = x.shape[0]
        return loss, update(w, learning_rate, dw, n), update(b, learning_rate, db, n)

    return variant


def _loss_after_step(x, y, w, b, learning_rate):
    _, w_new, b_new = lrcore.gradient_descent_step(x, y, w, b, learning_rate)
    return lrcore.binary_cross_entropy(lrcore.logistic_regression(x, w_new, b_new), y)


def _reordered_results(x, y, w, b, learning_rate):
    loss, w_new, b_new = lrcore.gradient_descent_step(x, y, w, b, learning_rate)
    return [(w_new, b_new, loss), (loss, b_new, w_new), (w_new, loss, b_new), (b_new, w_new, loss)]


HINTS["gradient_descent_step"] = [
    Hint(
        "gradient ascent",
        "You stepped up the gradient, towards a higher loss. Step against it: "
        "w - learning_rate * dw and b - learning_rate * db.",
        looks_like(_step_with(lambda p, lr, g, n: p + lr * g)),
    ),
    Hint(
        "learning rate not applied",
        "Scale the gradient by the learning rate before subtracting it: w - learning_rate * dw.",
        looks_like(_step_with(lambda p, lr, g, n: p - g)),
    ),
    Hint(
        "gradient not divided by N",
        "The gradient of the mean loss divides by the number of samples: dw = x.T @ (s - y) / N.",
        looks_like(_step_with(lambda p, lr, g, n: p - lr * n * g)),
    ),
    Hint(
        "loss evaluated after the update",
        "Return the loss at the parameters you were given, computed before the update: it is the loss "
        "whose gradient the step follows.",
        looks_like(_loss_after_step, part=0),
    ),
    Hint(
        "a sum where the mean is meant",
        "The loss is the mean binary cross-entropy over the samples, not the sum.",
        looks_like(lambda x, y, w, b, lr: x.shape[0] * lrcore.gradient_descent_step(x, y, w, b, lr)[0], part=0),
    ),
    Hint(
        "bias not updated",
        "Update the bias too: b - learning_rate * db.",
        looks_like(lambda x, y, w, b, lr: b, part=2),
    ),
    Hint(
        "gradient returned instead of the new parameters",
        "Return the updated parameters w - learning_rate * dw and b - learning_rate * db, not the gradient.",
        looks_like(lambda x, y, w, b, lr: _loss_and_gradients(x, y, w, b)[1], part=1),
    ),
    Hint(
        "results in the wrong order",
        "Return the loss first, then the new weights and bias: return loss, w, b.",
        lambda o: any(_same(o.got, wrong) for wrong in _reordered_results(*o.args)),
    ),
]


# ---------------------------------------------------------------------------- metrics


def _metric_cases() -> list[Case]:
    return [
        Case("TP=3, FP=2, FN=1, TN=4, float32", _from_counts(3, 2, 1, 4, F32, 80)),
        Case("TP=5, FP=1, FN=3, TN=2, float64", _from_counts(5, 1, 3, 2, F64, 81)),
        Case("TP=20, FP=7, FN=4, TN=69, float32", _from_counts(20, 7, 4, 69, F32, 82)),
        Case("every prediction right (TP=3, TN=2), float64", _from_counts(3, 0, 0, 2, F64, 83)),
        Case("nothing predicted positive (TP=FP=0, FN=3, TN=2), float32", _from_counts(0, 0, 3, 2, F32, 84)),
        Case("no positive sample (TP=FN=0, FP=2, TN=3), float64", _from_counts(0, 2, 0, 3, F64, 85)),
        Case("no true positive (TP=0, FP=2, FN=3, TN=1), float32", _from_counts(0, 2, 3, 1, F32, 86)),
        Case("only true negatives (TN=5), float64", _from_counts(0, 0, 0, 5, F64, 87)),
    ]


def _metric(formula: Callable[[int, int, int, int], float]) -> Callable[[Tensor, Tensor], float]:
    """A variant computed from the four counts: ``formula(tp, fp, fn, tn)``."""

    def variant(y_pred: Tensor, y_true: Tensor) -> float:
        (tn, fp), (fn, tp) = lrcore.confusion_matrix(y_pred, y_true).tolist()
        return formula(tp, fp, fn, tn)

    return variant


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, nan for 0/0 (a variant that is nan never matches)."""
    return numerator / denominator if denominator else math.nan


def _precision_recall(tp: int, fp: int, fn: int) -> tuple[float, float]:
    """Precision and recall, 0 where they are 0/0."""
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


_ZERO_DIVISION = any_of(raised("", ZeroDivisionError), lambda o: _is_nan(o.got))

_ACCURACY = Hint(
    "accuracy",
    "That is accuracy, (TP + TN) / n, the share of right answers. The metric asked for counts only "
    "the malignant class: see the formula in the docstring.",
    looks_like(_metric(lambda tp, fp, fn, tn: (tp + tn) / (tp + fp + fn + tn))),
)

HINTS["precision"] = [
    Hint(
        "precision and recall swapped",
        "Precision divides the true positives by all *predicted* positives, TP + FP; dividing by all "
        "actual positives, TP + FN, is recall. Check which of FP and FN you count (a false positive is "
        "predicted 1 but truly 0) and the argument order, (y_pred, y_true).",
        looks_like(_metric(lambda tp, fp, fn, tn: _ratio(tp, tp + fn))),
    ),
    Hint(
        "0/0 when nothing is predicted positive",
        "When no sample is predicted positive, TP + FP = 0 and TP / (TP + FP) is 0/0. Return 0.0 in that "
        "case, as lrcore and scikit-learn do.",
        _ZERO_DIVISION,
    ),
    Hint(
        "share of false alarms",
        "FP / (TP + FP) is the share of false alarms among the positive predictions; precision is the "
        "share of right ones, TP / (TP + FP).",
        looks_like(_metric(lambda tp, fp, fn, tn: _ratio(fp, tp + fp))),
    ),
    _ACCURACY,
]

HINTS["recall"] = [
    Hint(
        "precision and recall swapped",
        "Recall divides the true positives by all *actual* positives, TP + FN; dividing by all predicted "
        "positives, TP + FP, is precision. Check which of FP and FN you count (a false negative is "
        "predicted 0 but truly 1) and the argument order, (y_pred, y_true).",
        looks_like(_metric(lambda tp, fp, fn, tn: _ratio(tp, tp + fp))),
    ),
    Hint(
        "0/0 when there is no positive sample",
        "When no sample is positive, TP + FN = 0 and TP / (TP + FN) is 0/0. Return 0.0 in that case, as "
        "lrcore and scikit-learn do.",
        _ZERO_DIVISION,
    ),
    Hint(
        "specificity instead of recall",
        "TN / (TN + FP) is the specificity, the share of benign tumours called benign. Recall is the share "
        "of malignant tumours found: TP / (TP + FN).",
        looks_like(_metric(lambda tp, fp, fn, tn: _ratio(tn, tn + fp))),
    ),
    Hint(
        "share of missed positives",
        "FN / (TP + FN) is the share of cancers missed, 1 - recall. Recall is the share found: TP / (TP + FN).",
        looks_like(_metric(lambda tp, fp, fn, tn: _ratio(fn, tp + fn))),
    ),
    _ACCURACY,
]

HINTS["f1_score"] = [
    Hint(
        "F1 as the arithmetic mean",
        "F1 is the harmonic mean 2PR / (P + R), not the arithmetic mean (P + R) / 2: it is small as soon as "
        "either precision or recall is small.",
        looks_like(_metric(lambda tp, fp, fn, tn: sum(_precision_recall(tp, fp, fn)) / 2)),
    ),
    Hint(
        "0/0 in 2PR / (P + R)",
        "2PR / (P + R) is 0/0 when precision and recall are both 0. Use the count form "
        "2 TP / (2 TP + FP + FN), which is 0/0 only when there is no positive at all; return 0.0 then.",
        _ZERO_DIVISION,
    ),
    Hint(
        "factor 2 missing",
        "F1 = 2PR / (P + R): without the 2, a perfect classifier would score 0.5.",
        looks_like(_metric(lambda tp, fp, fn, tn: _ratio(tp, 2 * tp + fp + fn))),
    ),
    Hint(
        "F1 as the geometric mean",
        "F1 is the harmonic mean 2PR / (P + R), not the geometric mean sqrt(P R).",
        looks_like(_metric(lambda tp, fp, fn, tn: math.sqrt(math.prod(_precision_recall(tp, fp, fn))))),
    ),
    Hint(
        "precision or recall alone",
        "F1 combines precision and recall: 2PR / (P + R) = 2 TP / (2 TP + FP + FN).",
        any_of(
            looks_like(_metric(lambda tp, fp, fn, tn: _ratio(tp, tp + fp))),
            looks_like(_metric(lambda tp, fp, fn, tn: _ratio(tp, tp + fn))),
        ),
    ),
    _ACCURACY,
]


# ---------------------------------------------------------------------------- chain rule


def _dJi_dS_cases() -> list[Case]:
    return [
        Case("5 predictions, float32",
             (_column([0.9, 0.2, 0.5, 0.7, 0.1], F32), _column([1.0, 0.0, 1.0, 0.0, 0.0], F32))),
        Case("8 random predictions, float64", (_probabilities(8, 90, F64), _labels(8, 91, F64))),
        Case("one prediction, float32", (_column([0.25], F32), _column([1.0], F32))),
        Case("sure and right (s = 1 for y = 1, s = 0 for y = 0), float64",
             (_column([1.0, 0.0, 0.5], F64), _column([1.0, 0.0, 1.0], F64))),
        Case("sure and wrong (s = 0 for y = 1, s = 1 for y = 0), float32",
             (_column([0.0, 1.0, 0.5], F32), _column([1.0, 0.0, 0.0], F32))),
    ]  # fmt: skip


HINTS["dJi_dS"] = [
    Hint(
        "missing minus sign",
        "The derivative of -y log(s) is -y / s: dJ_i/ds_i = -y / s + (1 - y) / (1 - s).",
        looks_like(lambda s, y: -lrcore.dJi_dS(s, y)),
    ),
    Hint(
        "0/0 in the term that should vanish",
        "For a sure and right prediction (s = 1 for y = 1) the other term (1 - y) / (1 - s) is 0 / 0 = nan. "
        "Keep only the term whose label weight is 1: torch.where(y_true == 1, -1 / y_pred, 1 / (1 - y_pred)).",
        lambda o: _is_nan(o.got) and not _is_nan(o.expected),
    ),
    Hint(
        "divided by N",
        "This is the derivative of each sample's own loss J_i: no 1/N here (it comes in when the "
        "per-sample gradients are averaged).",
        looks_like(lambda s, y: lrcore.dJi_dS(s, y) / s.shape[0]),
    ),
    Hint(
        "wrong sign of the second term",
        "The derivative of -(1 - y) log(1 - s) is +(1 - y) / (1 - s): the inner derivative of (1 - s) is -1, "
        "and it cancels the minus in front.",
        looks_like(lambda s, y: -y / s - (1 - y) / (1 - s)),
    ),
    Hint(
        "s - y is the product of two factors",
        "s - y is dJ_i/dz_i, this factor times ds/dz. dJ_i/ds_i alone is -y / s + (1 - y) / (1 - s).",
        looks_like(lambda s, y: s - y),
    ),
    Hint(
        "the loss instead of its derivative",
        "That is the per-sample loss -[y log s + (1 - y) log(1 - s)]; differentiate it with respect to s.",
        looks_like(lambda s, y: _per_sample_bce(s, y)),
    ),
    Hint(
        "one number instead of one per sample",
        "Return one derivative per sample, shape (n, 1), without summing or averaging them.",
        lambda o: o.n > 1 and isinstance(o.got, Tensor) and o.got.numel() == 1,
    ),
]


def _dS_dZ_cases() -> list[Case]:
    return [
        Case("s = 0, 0.25, 0.5, 0.75, 1, float32", (_column([0.0, 0.25, 0.5, 0.75, 1.0], F32),)),
        Case("8 random probabilities, float64", (_probabilities(8, 95, F64),)),
        Case("one value s = 0.5, float32", (_column([0.5], F32),)),
        Case("s = sigmoid(z) for z from -5 to 5, float64",
             (torch.sigmoid(torch.linspace(-5, 5, 11, dtype=F64)).reshape(-1, 1),)),
    ]  # fmt: skip


HINTS["dS_dZ"] = [
    Hint("s (1 + s)", "The derivative of the sigmoid is s (1 - s), with a minus.", looks_like(lambda s: s * (1 + s))),
    Hint(
        "the sigmoid instead of its derivative",
        "That is s itself; its derivative with respect to z is s (1 - s).",
        looks_like(lambda s: s),
    ),
    Hint(
        "sigmoid applied to s",
        "The argument is already s = sigmoid(z). Write the derivative with it, without calling the sigmoid "
        "again: s * (1 - s).",
        any_of(
            looks_like(lambda s: torch.sigmoid(s) * (1 - torch.sigmoid(s))),
            looks_like(lambda s: torch.sigmoid(s)),
        ),
    ),
    Hint(
        "a factor missing",
        "The derivative is the product s (1 - s).",
        any_of(looks_like(lambda s: 1 - s), looks_like(lambda s: s * s)),
    ),
    Hint(
        "wrong sign",
        "The sigmoid increases, so its derivative is positive: s (1 - s).",
        looks_like(lambda s: -s * (1 - s)),
    ),
]


def _dZ_cases(dtypes: tuple[torch.dtype, ...]) -> list[Case]:
    shapes = [(4, 3), (5, 1), (2, 6), (3, 3)]
    return [
        Case(f"x {n}×{d}, {_dtype(dtype)}", (_normal(100 + i, n, d, dtype=dtype),))
        for i, ((n, d), dtype) in enumerate(zip(shapes, dtypes, strict=True))
    ]


HINTS["dZ_dW"] = [
    Hint(
        "x transposed",
        "Row i is the derivative of z_i, which is x_i: return x's own shape (n, D), not x.T.",
        lambda o: got_shape(lambda x: (x.shape[1], x.shape[0]))(o) and _same(o.got, o.args[0].T),
    ),
    Hint(
        "ones are dz/db",
        "dz_i/dw_j = x_ij: the derivative with respect to w is x itself (a copy). Ones are the derivative "
        "with respect to b.",
        any_of(looks_like(lambda x: torch.ones_like(x)), looks_like(lambda x: torch.ones(x.shape[0], 1))),
    ),
    Hint(
        "summed over the samples",
        "One row per sample: dz_i/dw is x_i. Do not sum or average over the samples here; that happens when "
        "the chain rule averages the per-sample gradients.",
        any_of(looks_like(lambda x: x.sum(dim=0)), looks_like(lambda x: x.mean(dim=0))),
    ),
    Hint("zero derivative", "z = x w + b changes with w: dz_i/dw_j = x_ij, not 0.", looks_like(torch.zeros_like)),
    Hint(
        "x returned itself",
        "The docstring asks for a copy: return x.clone(), so that changing the result cannot change x.",
        lambda o: bool(o.aliased),
    ),
]

HINTS["dZ_dB"] = [
    Hint(
        "ones of x's shape",
        "One derivative per sample, shape (n, 1): torch.ones(x.shape[0], 1, dtype=x.dtype), not ones_like(x).",
        lambda o: o.args[0].shape[1] > 1 and got_shape(lambda x: x.shape)(o) and bool((o.got == 1).all()),
    ),
    Hint(
        "zero derivative",
        "z = x w + b grows one-for-one with b: dz/db = 1, not 0.",
        lambda o: isinstance(o.got, Tensor) and o.got.numel() > 0 and bool((o.got == 0).all()),
    ),
    Hint(
        "one number instead of one per sample",
        "Return one derivative per sample: a column of ones of shape (n, 1).",
        lambda o: o.n > 1 and isinstance(o.got, Tensor) and o.got.numel() == 1,
    ),
    Hint(
        "(D, 1) instead of (n, 1)",
        "x.shape[0] is the number of samples n, x.shape[1] the number of features D: "
        "torch.ones(x.shape[0], 1, dtype=x.dtype).",
        lambda o: o.args[0].shape[1] != o.n and got_shape(lambda x: (x.shape[1], 1))(o),
    ),
    Hint(
        "x instead of ones",
        "z = x w + b: the bias is added as it is, so dz/db = 1 for every sample; x is the derivative with "
        "respect to w.",
        any_of(looks_like(lambda x: x), looks_like(lambda x: x[:, :1])),
    ),
]


# ---------------------------------------------------------------------------- common hints


def _dtype_message(o: Outcome) -> str:
    got = next(g.dtype for g, e in _tensor_parts(o) if g.dtype != e.dtype)
    if got == F32:
        return (
            "The result is float32 but the inputs are float64. Tensors created without dtype= "
            "(torch.ones, torch.zeros, torch.tensor) are float32 by default: pass dtype=x.dtype, or use "
            "torch.ones_like(...)."
        )
    return (
        f"The result is {_dtype(got)} but the inputs are not: keep the input's dtype "
        "(avoid .double(), .float() and going through numpy)."
    )


def _shape_message(o: Outcome) -> str:
    g, e = next((g, e) for g, e in _tensor_parts(o) if g.shape != e.shape)
    return (
        f"The values are right but the shape is {_shape(g)} where {_shape(e)} is expected: check keepdim=True "
        "in sums and means, .reshape(...), and transposes (.T)."
    )


#: Hints for mistakes any function can show, tried in this order when no hint of the
#: function itself recognises the failed case.
COMMON_HINTS: list[Hint] = [
    Hint(
        "not written yet",
        'Replace raise NotImplementedError("TODO") with your code, run that cell, then run the check again.',
        raised("", NotImplementedError),
    ),
    Hint(
        "math functions on a tensor",
        "The math module (math.exp, math.log, math.sqrt) works on single Python numbers, not on tensors. "
        "Use torch.exp, torch.log, torch.sqrt: they work entry by entry on whole tensors.",
        raised("only one element tensors can be converted|must be real number, not Tensor"),
    ),
    Hint(
        "a name is not defined",
        "Your function uses a name that does not exist yet. If it calls another of your functions (say, "
        "sigmoid) or uses torch, run the cell that defines or imports it first.",
        raised("", NameError),
    ),
    Hint(
        "shapes that do not broadcast",
        "Two tensors of incompatible shapes were combined entry by entry. Print the .shape of each to find "
        "the wrong one; a matrix (n, D) times a column (D, 1) needs the matrix product @, not *.",
        raised("must match the size of tensor"),
    ),
    Hint(
        "matrix product shapes",
        "In a @ b the number of columns of a must equal the number of rows of b. Print the shapes; the "
        "docstring gives the ones to expect.",
        raised("cannot be multiplied"),
    ),
    Hint(
        "input changed in place",
        "In-place operations (x -= ..., x /= ..., x.sub_(...), w[...] = ...) change the caller's tensor. "
        "Compute a new tensor instead: x = x - mean, w_new = w - learning_rate * dw.",
        lambda o: bool(o.modified),
    ),
    Hint(
        "return missing",
        "Your function returned None: did you forget the return statement?",
        lambda o: o.error is None and (o.got is None or any(g is None for g, _ in _parts(o))),
    ),
    Hint(
        "a Python number instead of a tensor",
        "The result should be a tensor. math.exp, math.log, float() and .item() turn tensors into plain "
        "numbers; use torch functions so that the result stays a tensor.",
        lambda o: any(isinstance(g, (int, float)) and isinstance(e, Tensor) for g, e in _parts(o)),
    ),
    Hint(
        "a numpy array instead of a tensor",
        "Use torch functions (torch.exp, torch.log, ...) rather than numpy's, so that the result is a torch.Tensor.",
        lambda o: any(isinstance(g, (np.ndarray, np.number)) and isinstance(e, Tensor) for g, e in _parts(o)),
    ),
    Hint(
        "a tensor instead of a Python float",
        "Return a plain Python number: call .item() on a one-element tensor, e.g. (tp / (tp + fp)).item().",
        lambda o: any(isinstance(g, Tensor) and isinstance(e, float) for g, e in _parts(o)),
    ),
    Hint(
        "(n, 1) and (n,) broadcast to (n, n)",
        "The result is an (n, n) matrix: a column (n, 1) combined with a flat vector (n,) broadcasts "
        "silently, every sample against every other. Keep columns 2-D, shape (n, 1): no reshape(-1) or "
        "squeeze().",
        lambda o: (
            o.n > 1
            and any(
                e.ndim == 2 and e.shape[1] == 1 and tuple(g.shape) == (e.shape[0],) * 2 for g, e in _tensor_parts(o)
            )
        ),
    ),
    Hint(
        "a flat (n,) vector instead of a column (n, 1)",
        "The values are right but the result is a flat vector. Keep columns 2-D: use keepdim=True in sums "
        "and means, or .reshape(-1, 1).",
        lambda o: any(g.ndim == 1 and e.ndim == 2 and e.shape[0] > 1 and _same(g, e) for g, e in _tensor_parts(o)),
    ),
    Hint(
        "right values, wrong shape",
        _shape_message,
        lambda o: any(g.shape != e.shape and g.numel() == e.numel() and _same(g, e) for g, e in _tensor_parts(o)),
    ),
    Hint("dtype changed", _dtype_message, lambda o: any(g.dtype != e.dtype for g, e in _tensor_parts(o))),
    Hint(
        "input returned itself",
        "Return a new tensor (x.clone(), or the result of a computation), not the input, so that changing "
        "the result cannot change the caller's data.",
        lambda o: bool(o.aliased),
    ),
    Hint(
        "nan in the result",
        "nan comes from 0 · inf, 0 / 0, inf - inf or inf / inf. Look at the inputs of the failing case "
        "(probabilities of exactly 0 or 1? huge values?) and find the operation that produces it.",
        lambda o: any(_is_nan(g) and not _is_nan(e) for g, e in _parts(o)),
    ),
]


# ============================================================================ the runner


@dataclass(frozen=True)
class _Spec:
    """What a check needs: the function's name, lrcore's version of it, and the cases."""

    name: str
    reference: Callable
    cases: Callable[[], list[Case]]
    parts: tuple[str, ...] = ()  # names of the elements of a tuple result
    returns_float: bool = False


def _run(spec: _Spec, fn: Callable) -> bool:
    """Run ``fn`` on every case of ``spec``, print the report, and say whether all passed."""
    if not callable(fn):
        print(
            f"✗ check_{spec.name} needs the function itself, got {_kind(fn)}: "
            f"write check_{spec.name}({spec.name}), without calling {spec.name}."
        )
        return False
    outcomes = [_evaluate(spec, fn, case) for case in spec.cases()]
    hints: list[str] = []
    for o in outcomes:
        print(f"  ✗ {o.case.label}: {o.problem}" if o.problem else f"  ✓ {o.case.label}")
        for text in _hints_for(spec.name, o) if o.problem else []:
            if text not in hints:
                hints.append(text)
    for text in hints:
        print(f"  {text}")
    failed = sum(bool(o.problem) for o in outcomes)
    if failed:
        print(f"✗ {spec.name}: {failed} of {len(outcomes)} cases failed")
    else:
        print(f"✓ {spec.name}: all {len(outcomes)} cases passed")
    return failed == 0


def _hints_for(name: str, outcome: Outcome) -> list[str]:
    """All the function's hints that recognise the outcome, else the first common one that does."""
    own = [hint.text(outcome) for hint in HINTS.get(name, []) if hint.matches(outcome)]
    if own:
        return own
    return next(([hint.text(outcome)] for hint in COMMON_HINTS if hint.matches(outcome)), [])


def _evaluate(spec: _Spec, fn: Callable, case: Case) -> Outcome:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lrcore warns about 0/0 metrics, and the learner's code may warn
        outcome = Outcome(case, expected=spec.reference(*_fresh(case.args)))
        call_args = _fresh(case.args)
        try:
            outcome.got = fn(*call_args)
        except (Exception, SystemExit) as error:  # whatever the learner's code raises is a failed case
            outcome.error = error
        try:
            _inspect(spec, outcome, call_args)
        except Exception as error:  # a result too odd to compare (complex, an object that cannot be read, ...)
            outcome.problem = f"returned {_kind(outcome.got)}, which the check cannot compare ({type(error).__name__})"
    return outcome


def _inspect(spec: _Spec, outcome: Outcome, call_args: tuple) -> None:
    """Fill in which inputs changed or came back, and what is wrong with the result."""
    names = _argument_names(spec.reference)
    for name, before, after in zip(names, outcome.case.args, call_args, strict=True):
        if isinstance(before, Tensor) and not (after.shape == before.shape and torch.equal(after, before)):
            outcome.modified.append(name)
    results = outcome.got if isinstance(outcome.got, (tuple, list)) else [outcome.got]
    for name, arg in zip(names, call_args, strict=True):
        if isinstance(arg, Tensor) and any(isinstance(r, Tensor) and _shares_memory(r, arg) for r in results):
            outcome.aliased.append(name)
    outcome.problem = _problem(spec, outcome)


def _argument_names(fn: Callable) -> list[str]:
    code = inspect.unwrap(fn).__code__  # lrcore's functions are wrapped by _validation.checked_by
    return list(code.co_varnames[: code.co_argcount])


def _shares_memory(a: Tensor, b: Tensor) -> bool:
    try:
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):
        return False


def _problem(spec: _Spec, o: Outcome) -> str:
    """What is wrong with the outcome, in a few words ("" if nothing)."""
    if o.error is not None:
        lines = str(o.error).strip().splitlines()
        message = lines[0] if lines else ""
        message = message if len(message) <= 100 else message[:97] + "..."
        return f"raised {type(o.error).__name__}" + (f": {message}" if message else "")
    if o.modified:
        return f"changed its input {', '.join(o.modified)} in place"
    if spec.parts:
        form = f"a tuple ({', '.join(spec.parts)})"
        if not isinstance(o.got, (tuple, list)):
            return f"returned {_kind(o.got)}, expected {form}"
        if len(o.got) != len(spec.parts):
            return f"returned {len(o.got)} values, expected {len(spec.parts)}: {form}"
        for name, got, expected in zip(spec.parts, o.got, o.expected, strict=True):
            problem = _value_problem(got, expected, spec.returns_float)
            if problem:
                return f"{name}: {problem}"
    else:
        problem = _value_problem(o.got, o.expected, spec.returns_float)
        if problem:
            return problem
    if o.aliased:
        return f"returned its input {', '.join(o.aliased)} itself (or a view of it), not a new tensor"
    return ""


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, Tensor):
        return f"a tensor of shape {_shape(value)}"
    if isinstance(value, (np.ndarray, np.number)):
        return f"a numpy {type(value).__name__}"
    return f"a {type(value).__name__}"


def _value_problem(got: Any, expected: Any, returns_float: bool) -> str:
    """What differs between one returned value and the expected one ("" if nothing)."""
    if returns_float:
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return f"returned {_kind(got)}, expected a Python float"
        if _close(torch.tensor(float(got), dtype=F64), torch.tensor(float(expected), dtype=F64), F64):
            return ""
        return f"expected {_number(expected)}, got {_number(got)}"
    if not isinstance(got, Tensor):
        return f"returned {_kind(got)}, expected a tensor of shape {_shape(expected)}"
    if got.shape != expected.shape:
        return f"shape: expected {_shape(expected)}, got {_shape(got)}"
    if got.dtype != expected.dtype:
        return f"dtype: expected {_dtype(expected.dtype)} (the input's), got {_dtype(got.dtype)}"
    if _close(got, expected, expected.dtype):
        return ""
    if expected.ndim == 0:
        return f"expected {_number(expected.item())}, got {_number(got.item())}"
    rtol, atol = TOLERANCE[expected.dtype]
    wrong = (~torch.isclose(got.detach().to(F64), expected.to(F64), rtol, atol, equal_nan=True)).nonzero()
    first = tuple(wrong[0].tolist())
    return (
        f"values differ at [{', '.join(map(str, first))}]: expected {_number(expected[first].item())}, "
        f"got {_number(got[first].item())} ({len(wrong)} of {expected.numel()} entries)"
    )


def _close(got: Tensor, expected: Tensor, dtype: torch.dtype) -> bool:
    rtol, atol = TOLERANCE[dtype]
    return bool(torch.isclose(got.detach().to(F64), expected.to(F64), rtol=rtol, atol=atol, equal_nan=True).all())


def _number(value: float) -> str:
    return f"{value:.4g}"


# ============================================================================ the checks

_STATS = _Spec("standardization_stats", lrcore.fit_standardizer, _stats_cases, parts=("mean", "std"))
_STANDARDIZE = _Spec("standardize", lrcore.standardize, _standardize_cases)
_LINEAR = _Spec("linear", lrcore.linear, _linear_cases)
_SIGMOID = _Spec("sigmoid", lrcore.sigmoid, _sigmoid_cases)
_LOGISTIC = _Spec("logistic_regression", lrcore.logistic_regression, _logistic_cases)
_BCE = _Spec("binary_cross_entropy", lrcore.binary_cross_entropy, _bce_cases)
_GRADIENTS = _Spec("compute_gradients", lrcore.compute_gradients, _gradients_cases, parts=("dw", "db"))
_STEP = _Spec("gradient_descent_step", lrcore.gradient_descent_step, _step_cases, parts=("loss", "w", "b"))
_PRECISION = _Spec("precision", lrcore.precision, _metric_cases, returns_float=True)
_RECALL = _Spec("recall", lrcore.recall, _metric_cases, returns_float=True)
_F1 = _Spec("f1_score", lrcore.f1_score, _metric_cases, returns_float=True)
_DJI_DS = _Spec("dJi_dS", lrcore.dJi_dS, _dJi_dS_cases)
_DS_DZ = _Spec("dS_dZ", lrcore.dS_dZ, _dS_dZ_cases)
_DZ_DW = _Spec("dZ_dW", lrcore.dZ_dW, lambda: _dZ_cases((F32, F64, F32, F64)))
_DZ_DB = _Spec("dZ_dB", lrcore.dZ_dB, lambda: _dZ_cases((F32, F64, F64, F32)))


def check_standardization_stats(fn: Callable) -> bool:
    """Check your ``fn(x) -> (mean, std)`` against :func:`lrcore.fit_standardizer`.

    The per-feature mean and population standard deviation, both of shape (1, D).

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_standardization_stats(fit_standardizer)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_STATS, fn)


def check_fit_standardizer(fn: Callable) -> bool:
    """The check of :func:`check_standardization_stats`, under the name of lrcore's function.

    Parameters
    ----------
    fn : callable
        Your function itself: ``check_fit_standardizer(fit_standardizer)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_STATS, fn)


def check_standardize(fn: Callable) -> bool:
    """Check your ``standardize(x, mean, std)`` against :func:`lrcore.standardize`.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_standardize(standardize)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_STANDARDIZE, fn)


def check_linear(fn: Callable) -> bool:
    """Check your ``linear(x, w, b)`` against :func:`lrcore.linear`.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_linear(linear)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_LINEAR, fn)


def check_sigmoid(fn: Callable) -> bool:
    """Check your ``sigmoid(z)`` against :func:`lrcore.sigmoid`, huge logits included.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_sigmoid(sigmoid)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_SIGMOID, fn)


def check_logistic_regression(fn: Callable) -> bool:
    """Check your ``logistic_regression(x, w, b)`` against :func:`lrcore.logistic_regression`.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_logistic_regression(logistic_regression)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_LOGISTIC, fn)


def check_binary_cross_entropy(fn: Callable) -> bool:
    """Check your ``binary_cross_entropy(y_pred, y_true)`` against :func:`lrcore.binary_cross_entropy`.

    Includes predictions of exactly 0 and 1, right and wrong.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_binary_cross_entropy(binary_cross_entropy)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_BCE, fn)


def check_compute_gradients(fn: Callable) -> bool:
    """Check your ``compute_gradients(x, y_pred, y_true)`` against :func:`lrcore.compute_gradients`.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_compute_gradients(compute_gradients)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_GRADIENTS, fn)


def check_gradient_descent_step(fn: Callable) -> bool:
    """Check your ``gradient_descent_step(x, y, w, b, learning_rate)`` against lrcore's.

    Compares the returned ``(loss, w, b)`` with :func:`lrcore.gradient_descent_step`.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_gradient_descent_step(gradient_descent_step)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_STEP, fn)


def check_precision(fn: Callable) -> bool:
    """Check your ``precision(y_pred, y_true)`` against :func:`lrcore.precision`, 0/0 included.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_precision(precision)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_PRECISION, fn)


def check_recall(fn: Callable) -> bool:
    """Check your ``recall(y_pred, y_true)`` against :func:`lrcore.recall`, 0/0 included.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_recall(recall)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_RECALL, fn)


def check_f1_score(fn: Callable) -> bool:
    """Check your ``f1_score(y_pred, y_true)`` against :func:`lrcore.f1_score`, 0/0 included.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_f1_score(f1_score)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_F1, fn)


def check_dJi_dS(fn: Callable) -> bool:
    """Check your ``dJi_dS(y_pred, y_true)`` against :func:`lrcore.dJi_dS`, sure predictions included.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_dJi_dS(dJi_dS)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_DJI_DS, fn)


def check_dS_dZ(fn: Callable) -> bool:
    """Check your ``dS_dZ(y_pred)`` against :func:`lrcore.dS_dZ`.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_dS_dZ(dS_dZ)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_DS_DZ, fn)


def check_dZ_dW(fn: Callable) -> bool:
    """Check your ``dZ_dW(x)`` against :func:`lrcore.dZ_dW`.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_dZ_dW(dZ_dW)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_DZ_DW, fn)


def check_dZ_dB(fn: Callable) -> bool:
    """Check your ``dZ_dB(x)`` against :func:`lrcore.dZ_dB`.

    Parameters
    ----------
    fn : callable
        Your function itself, not its result: ``check_dZ_dB(dZ_dB)``.

    Returns
    -------
    bool
        True if every case passed. The report is printed.
    """
    return _run(_DZ_DB, fn)
