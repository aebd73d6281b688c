"""Input checks shared by every public function.

Each check raises ``TypeError`` or ``ValueError`` with a message that names the argument, says
what was expected and shows what came, so that a learner can fix the call without reading
``lrcore``'s source. They are plain ``if`` statements, never ``assert`` (stripped by ``-O``).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch
from torch import Tensor


def _shape(t: Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ("," if t.ndim == 1 else "") + ")"


def check_tensor(name: str, t: object, *, floating: bool = True) -> Tensor:
    """Require a non-empty tensor (of a floating dtype unless ``floating=False``)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if floating and not t.is_floating_point():
        raise TypeError(
            f"{name} must have a floating dtype (torch.float32 or torch.float64), got {t.dtype}; "
            f"convert it with {name}.float()"
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


def check_positive_number(name: str, value: object) -> float:
    """Require a finite, strictly positive real number (not a bool, not a tensor)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value}")
    return value


def check_non_negative_number(name: str, value: object) -> float:
    """Require a finite real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def check_threshold(value: object) -> float:
    """Require a probability threshold strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"threshold must be a real number, got {type(value).__name__}")
    if not 0 < value < 1:
        raise ValueError(f"threshold must be a number in (0, 1), got {value!r}")
    return float(value)


def check_count(name: str, value: object, *, minimum: int = 0) -> int:
    """Require an integer >= ``minimum`` (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_fraction(name: str, value: object) -> float:
    """Require a real number in [0, 1) (not a bool, not a tensor), such as a momentum."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value}")
    return value


def check_bool(name: str, value: object) -> bool:
    """Require ``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool (True or False), got {type(value).__name__}")
    return value
