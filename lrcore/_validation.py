"""Input checks shared by every public function.

Each check raises ``TypeError`` or ``ValueError`` with a message that names the argument, says
what was expected and shows what came, so that a learner can fix the call without reading
``lrcore``'s source. They are plain ``if`` statements, never ``assert`` (stripped by ``-O``).
"""

from __future__ import annotations

import builtins
import functools
import inspect
import math
import os
import sys
from collections.abc import Callable
from numbers import Integral, Real

import numpy as np
import torch
from torch import Tensor

#: The dtypes lrcore computes in. float16 and bfloat16 are refused: their range ends at 65 504
#: (float16) and their 8 bits of precision (bfloat16) make counts and sums of a few hundred
#: samples inexact, which the metrics and the standardization rely on.
FLOAT_DTYPES = (torch.float32, torch.float64)

#: Largest allocation, in bytes, that a call may ask for (1 GiB). Every function that can
#: allocate much (``fit``, ``fit_minibatch``, ``loss_landscape``, ``metrics_along_trajectory``,
#: the bootstrap, ``stratified_k_fold``, ``calibration_curve``, ``explorers.log_spaced``)
#: estimates its peak and raises ``ValueError`` before allocating more, saying how much it
#: would need and how to ask for less (the README lists what each estimate counts).
MEMORY_BUDGET_BYTES = 2**30


class NonFiniteWarning(UserWarning):
    """A result is NaN or infinite although every input was finite.

    The true value is beyond the dtype's range (an overflow), or an iteration diverged. The
    docstring of each function that can emit it says when.
    """


class DivergenceWarning(NonFiniteWarning):
    """An iteration diverged although every number is still finite: the loss rose far above its start.

    :func:`lrcore.fit` and :func:`lrcore.fit_minibatch` emit it when the last recorded training
    loss is more than ``lrcore.optim.DIVERGENCE_FACTOR`` (10) times the first. It subclasses
    :class:`NonFiniteWarning`, the warning of the same divergence once it overflows, so that
    one filter covers both.
    """


#: lrcore's own directory: frames of files under it are not the caller a warning should name.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def external_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` in the calling function that names lrcore's caller.

    It counts the frames of lrcore's own files (the :func:`checked_by` wrappers included) from
    the function that calls it outwards, so that a warning points at the user's line.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def checked_by(check: Callable[..., dict | None]) -> Callable[[Callable], Callable]:
    """Decorate a function so that ``check`` sees its arguments first.

    ``check`` is called with the call's arguments by name, defaults filled in. It raises
    ``TypeError`` or ``ValueError`` for a bad argument; it may return a dict of arguments to
    replace (``{"n": 3}`` for an ``n`` given as ``numpy.int64(3)``), or None. The decorated
    function's body then holds the algorithm only, which is what a chapter shows. A call that
    does not match the signature gets Python's own ``TypeError``.
    """

    def decorate(function: Callable) -> Callable:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def checked(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return function(*args, **kwargs)  # raises Python's own message for the call
            bound.apply_defaults()
            bound.arguments.update(check(**bound.arguments) or {})
            return function(*bound.args, **bound.kwargs)

        return checked

    return decorate


def _type_name(value: object) -> str:
    """The type's name, with ``numpy.`` in front where it would read as a builtin (``numpy.bool``)."""
    kind = type(value)
    clashes = kind.__module__ == "numpy" and hasattr(builtins, kind.__name__)
    return f"numpy.{kind.__name__}" if clashes else kind.__name__


def _show(value: object) -> str:
    """A short ``repr``: an int of 400 digits is described, not printed."""
    text = repr(value)
    if isinstance(value, Integral) and len(text) > 30:
        return f"an int of {len(text.lstrip('-'))} digits"
    return text if len(text) <= 60 else text[:57] + "..."


def _bytes(n: float) -> str:
    """A byte count for a message: ``'1 GiB'``, ``'11.4 MiB'``."""
    if n >= 2**1000:  # beyond a float: an int of many digits
        return f"about 10**{len(str(int(n))) - 1} bytes"
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:,.3g} {unit}" if n < 1000 * size else f"{n / size:,.0f} {unit}"
    return f"{n:.0f} bytes"


def check_memory(what: str, needed: float, hint: str) -> None:
    """Refuse an allocation of ``needed`` bytes above :data:`MEMORY_BUDGET_BYTES`."""
    if needed > MEMORY_BUDGET_BYTES:
        raise ValueError(
            f"{what} would need {_bytes(needed)} of memory, above lrcore's budget of "
            f"{_bytes(MEMORY_BUDGET_BYTES)} (lrcore._validation.MEMORY_BUDGET_BYTES); {hint}"
        )


def _shape(t: Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ("," if t.ndim == 1 else "") + ")"


def check_tensor(name: str, t: object, *, floating: bool = True) -> Tensor:
    """Require a non-empty dense tensor with values (of dtype float32 or float64 unless ``floating=False``).

    Tensors that require grad are accepted: each function's docstring says whether gradients
    flow through it or whether it works on detached values.
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {_type_name(t)}")
    if t.layout != torch.strided:
        raise TypeError(f"{name} must be a dense tensor, got layout {t.layout}; convert it with {name}.to_dense()")
    if t.is_meta:
        raise ValueError(f"{name} must hold values, got a tensor on the meta device (shape and dtype only)")
    if floating and t.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must have dtype torch.float32 or torch.float64, got {t.dtype}; convert it with {name}.float()"
        )
    if t.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {_shape(t)}")
    return t


def check_finite(name: str, t: Tensor) -> None:
    """Require every entry to be finite (no NaN, no inf)."""
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must contain only finite values, got NaN or inf")


def check_matrix(name: str, t: object, *, columns: int | None = None) -> Tensor:
    """Require a finite floating 2-D tensor, with ``columns`` columns if given."""
    t = check_tensor(name, t)
    if t.ndim != 2:
        expected = "(n, 1)" if columns == 1 else "(n, D)"
        hint = f"; reshape it with {name}.reshape(-1, 1)" if t.ndim == 1 and columns == 1 else ""
        raise ValueError(f"{name} must be 2-D with shape {expected}, got shape {_shape(t)}{hint}")
    if columns is not None and t.shape[1] != columns:
        raise ValueError(f"{name} must have shape (n, {columns}), got shape {_shape(t)}")
    check_finite(name, t)
    return t


def check_column(name: str, t: object) -> Tensor:
    """Require a finite floating column vector of shape (n, 1)."""
    return check_matrix(name, t, columns=1)


def check_labels(name: str, t: object) -> Tensor:
    """Require a floating column (n, 1) whose entries are all 0 or 1."""
    t = check_column(name, t)
    if not bool(((t == 0) | (t == 1)).all()):
        bad = t[(t != 0) & (t != 1)][0].item()
        raise ValueError(f"{name} must contain only 0 and 1, got {bad}")
    return t


def check_probabilities(name: str, t: object) -> Tensor:
    """Require a floating column (n, 1) whose entries lie in [0, 1]."""
    t = check_column(name, t)
    if not bool(((t >= 0) & (t <= 1)).all()):
        bad = t[(t < 0) | (t > 1)][0].item()
        raise ValueError(f"{name} must contain probabilities in [0, 1], got {bad}")
    return t


def check_same_rows(name_a: str, a: Tensor, name_b: str, b: Tensor) -> None:
    """Require ``a`` and ``b`` to have the same number of rows (samples)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of rows (samples), got {a.shape[0]} and {b.shape[0]}"
        )


def check_same_dtype(name_a: str, a: Tensor, name_b: str, b: Tensor) -> None:
    """Require ``a`` and ``b`` to share a dtype, so that results keep the input's dtype."""
    if a.dtype != b.dtype:
        raise TypeError(f"{name_a} and {name_b} must have the same dtype, got {a.dtype} and {b.dtype}")


def check_params(x: Tensor, w: object, b: object) -> tuple[Tensor, Tensor]:
    """Require weights ``w`` (D, 1) and bias ``b`` (1, 1) that match ``x`` (n, D)."""
    d = x.shape[1]
    w = check_tensor("w", w)
    if tuple(w.shape) != (d, 1):
        raise ValueError(f"w must have shape ({d}, 1) to match x of shape {_shape(x)}, got shape {_shape(w)}")
    check_finite("w", w)
    b = check_tensor("b", b)
    if tuple(b.shape) != (1, 1):
        raise ValueError(f"b must have shape (1, 1), got shape {_shape(b)}")
    check_finite("b", b)
    check_same_dtype("x", x, "w", w)
    check_same_dtype("x", x, "b", b)
    return w, b


def _real(name: str, value: object) -> float:
    """A real number (not a bool, not a tensor) as a float, or TypeError / ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {_type_name(value)}")
    try:
        return float(value)
    except OverflowError:  # an int (or Fraction) beyond float's range, such as 10**400
        raise ValueError(f"{name} must be a finite number, got {_show(value)}, too large for a float") from None


def check_fits(name: str, value: float, dtype: torch.dtype) -> float:
    """Require ``|value|`` to be at most the largest finite number of ``dtype``."""
    largest = torch.finfo(dtype).max
    if abs(value) > largest:
        raise ValueError(
            f"{name} must be at most {largest:.4g} in absolute value to be representable in {dtype}, got {value:g}"
        )
    return value


def check_rate(name: str, value: float, dtype: torch.dtype) -> float:
    """Require a learning rate (a float > 0) that ``dtype`` holds as a normal number, from ``tiny`` to ``max``.

    A positive rate below the smallest normal number (1.2e-38 in float32, 2.2e-308 in float64)
    is a step that rounds to 0 in the data's dtype, or keeps few of its digits: ``1e-46`` in
    float32, or ``1e-300`` times a schedule's ``1e-300``. It would pass as positive and take no step.
    """
    check_fits(name, value, dtype)
    tiny = torch.finfo(dtype).tiny
    if not value >= tiny:
        raise ValueError(
            f"{name} must be at least {tiny:.4g} (the smallest normal number of {dtype}): a smaller step rounds "
            f"to 0 there, got {value:g}"
        )
    return value


def check_positive_number(name: str, value: object) -> float:
    """Require a finite, strictly positive real number (not a bool, not a tensor)."""
    value = _real(name, value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value}")
    return value


def check_non_negative_number(name: str, value: object) -> float:
    """Require a finite real number >= 0."""
    value = _real(name, value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def check_threshold(value: object) -> float:
    """Require a probability threshold strictly between 0 and 1; returns it as a float."""
    number = _real("threshold", value)
    if not 0 < number < 1:
        raise ValueError(f"threshold must be a number in (0, 1), got {_show(value)}")
    return number


def check_count(name: str, value: object, *, minimum: int = 0) -> int:
    """Require an integer >= ``minimum`` (not a bool)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {_type_name(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {_show(value)}")
    return int(value)


def check_fraction(name: str, value: object) -> float:
    """Require a real number in [0, 1) (not a bool, not a tensor), such as a momentum."""
    value = _real(name, value)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value}")
    return value


def check_bool(name: str, value: object) -> bool:
    """Require ``True`` or ``False`` (numpy's booleans included; not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool (True or False), got {_type_name(value)}")
    return bool(value)
