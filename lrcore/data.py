"""The Breast Cancer Wisconsin (diagnostic) data, relabelled so that 1 = malignant."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split as _sk_train_test_split
from torch import Tensor

from lrcore._validation import FLOAT_DTYPES, _show, _type_name, check_bool, check_count

#: What train_val_test_split accepts as X and y: it indexes them with scikit-learn.
_SPLITTABLE = (pd.DataFrame, pd.Series, np.ndarray, list, tuple, Tensor)

#: Name of the label column: 1 means malignant, the class the diagnosis looks for.
TARGET_NAME = "malignant"


def load_breast_cancer_means() -> tuple[pd.DataFrame, pd.Series]:
    """Load the ten ``mean ...`` features and the diagnosis, with 1 = malignant.

    scikit-learn encodes the target as 0 = malignant, 1 = benign. A diagnosis of a breast
    mass looks for the malignant ones, so we make malignant the positive class: ``y = 1 - target``.
    Precision and recall then speak about finding cancers.

    Returns
    -------
    X : pandas.DataFrame of shape (569, 10)
        The columns whose names start with ``"mean "`` (radius, texture, ...).
    y : pandas.Series of shape (569,)
        ``1`` for malignant (212 samples), ``0`` for benign (357), named ``"malignant"``.

    Examples
    --------
    >>> X, y = load_breast_cancer_means()
    >>> X.shape, int(y.sum())
    ((569, 10), 212)
    """
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame
    features = frame[[c for c in frame.columns if c.startswith("mean ")]].copy()
    y = (1 - frame["target"]).astype("int64").rename(TARGET_NAME)
    return features, y


def train_val_test_split(
    X: pd.DataFrame | np.ndarray,
    y: pd.Series | np.ndarray,
    val_size: float = 0.2,
    test_size: float = 0.2,
    seed: int = 0,
    stratify: bool = True,
) -> tuple:
    """Split into train, validation and test parts with a fixed seed.

    The test part is cut first (``test_size`` of all samples), then the validation part
    (``val_size`` of all samples, i.e. ``val_size / (1 - test_size)`` of the rest). With
    the defaults and 569 samples this gives 341 / 114 / 114.

    Parameters
    ----------
    X : DataFrame or ndarray of shape (n, D)
        A list, a tuple or a tensor works too.
    y : Series or ndarray of shape (n,)
    val_size, test_size : float
        Fractions of all samples, each in (0, 1), summing to less than 1.
    seed : int
        Seed of both random splits, in [0, 2**32): the same seed gives the same parts.
    stratify : bool
        Keep the class proportions of ``y`` in every part. A split that cannot keep them (a
        class with a single sample, say) raises ``ValueError``.

    Returns
    -------
    X_train, X_val, X_test, y_train, y_val, y_test
        Parts of the same type as the inputs.
    """
    _check_split_args(X, y, val_size, test_size, seed, stratify)
    try:
        return _split_in_three(X, y, val_size, test_size, int(seed), bool(stratify))
    except ValueError as error:  # too few samples, or a class too small to stratify
        raise ValueError(f"X and y ({len(X)} samples) cannot be split so: {error}") from error


def _split_in_three(X, y, val_size: float, test_size: float, seed: int, stratify: bool) -> tuple:
    """Cut the test part, then the validation part out of the rest; the rest is for training.

    ``X`` has n rows and ``y`` n entries; ``val_size`` and ``test_size`` are fractions of all n.
    Returns ``X_train, X_val, X_test, y_train, y_val, y_test``, parts of the inputs' types.
    """
    X_rest, X_test, y_rest, y_test = _sk_train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y if stratify else None
    )
    X_train, X_val, y_train, y_val = _sk_train_test_split(
        X_rest,
        y_rest,
        test_size=val_size / (1 - test_size),  # of the rest: val_size of the whole
        random_state=seed,
        stratify=y_rest if stratify else None,
    )
    return X_train, X_val, X_test, y_train, y_val, y_test


def _check_split_args(X, y, val_size, test_size, seed, stratify) -> None:
    """The argument checks of :func:`train_val_test_split`."""
    for name, value in (("val_size", val_size), ("test_size", test_size)):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
        if not 0 < value < 1:
            raise ValueError(f"{name} must be a fraction in (0, 1), got {_show(value)}")
    if val_size + test_size >= 1:
        raise ValueError(f"val_size + test_size must be < 1 to leave training data, got {val_size + test_size}")
    seed = check_count("seed", seed)
    if seed >= 2**32:
        raise ValueError(f"seed must be < 2**32 (numpy's seeds are 32-bit), got {_show(seed)}")
    check_bool("stratify", stratify)
    for name, value in (("X", X), ("y", y)):
        if not isinstance(value, _SPLITTABLE):
            raise TypeError(f"{name} must be a DataFrame, Series, ndarray, list or tensor, got {_type_name(value)}")
        if np.ndim(value) == 0:
            raise ValueError(f"{name} must have one entry per sample, got a 0-d value")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of samples, got {len(X)} and {len(y)}")


def to_tensors(*arrays, dtype: torch.dtype = torch.float32) -> tuple[Tensor, ...]:
    """Convert DataFrames, Series and arrays to tensors of the lab's shapes.

    A 2-D input (n, D) stays (n, D); a 1-D input (a label Series) becomes a column (n, 1),
    so that it never broadcasts against predictions of shape (n, 1).

    Parameters
    ----------
    *arrays : DataFrame, Series, array-like or Tensor
        Real numbers (bool, integer or floating). NaN and inf are copied as they are (the
        functions that compute refuse them); a finite value too large for ``dtype`` raises.
        A tensor that requires grad is copied detached.
    dtype : torch.dtype, default torch.float32
        ``torch.float32`` or ``torch.float64``.

    Returns
    -------
    tuple of Tensor
        One new tensor per input, in the same order, on the CPU.

    Examples
    --------
    >>> x, y = to_tensors(np.zeros((3, 2)), np.array([0, 1, 1]))
    >>> tuple(x.shape), tuple(y.shape), y.dtype
    ((3, 2), (3, 1), torch.float32)
    """
    if not isinstance(dtype, torch.dtype) or dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    return tuple(_to_tensor(f"arrays[{i}]", array, dtype) for i, array in enumerate(arrays))


def _to_tensor(name: str, array: object, dtype: torch.dtype) -> Tensor:
    values = _as_float64(name, array)
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    if values.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got {values.ndim}-D")
    finite = values[np.isfinite(values)]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    if largest > torch.finfo(dtype).max:
        raise ValueError(
            f"{name} holds values up to {largest:.3g}, beyond the range of {dtype} "
            f"({torch.finfo(dtype).max:.3g}); pass dtype=torch.float64"
        )
    return torch.as_tensor(values, dtype=dtype).clone()


def _as_float64(name: str, array: object) -> np.ndarray:
    """``array``'s values as a float64 ndarray, or TypeError naming ``name``."""
    if isinstance(array, Tensor):
        if array.layout != torch.strided or array.is_meta:
            raise TypeError(f"{name} must be a dense tensor with values, got layout {array.layout} on {array.device}")
        if array.dtype.is_complex:
            raise TypeError(f"{name} must hold real numbers, got {array.dtype}")
        return array.detach().cpu().to(torch.float64).numpy()
    try:
        values = np.asarray(array.to_numpy() if hasattr(array, "to_numpy") else array)
    except (ValueError, TypeError) as error:  # ragged nested lists, for example
        raise TypeError(f"{name} must be array-like, one number per entry, got {_type_name(array)}: {error}") from None
    if values.dtype.kind in "cUSMm":  # complex, text, dates and durations
        raise TypeError(f"{name} must hold real numbers, got dtype {values.dtype}")
    if values.dtype.kind not in "biuf":
        try:
            return values.astype(np.float64)
        except (ValueError, TypeError):
            raise TypeError(f"{name} must hold numbers, got dtype {values.dtype}") from None
    return values.astype(np.float64)
