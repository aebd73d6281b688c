"""The Breast Cancer Wisconsin (diagnostic) data, relabelled so that 1 = malignant."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split as _sk_train_test_split
from torch import Tensor

from lrcore._validation import check_count

#: Name of the label column: 1 means malignant, the class a screening test looks for.
TARGET_NAME = "malignant"


def load_breast_cancer_means() -> tuple[pd.DataFrame, pd.Series]:
    """Load the ten ``mean ...`` features and the diagnosis, with 1 = malignant.

    scikit-learn encodes the target as 0 = malignant, 1 = benign. A screening test looks
    for the malignant tumours, so we make malignant the positive class: ``y = 1 - target``.
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
    y : Series or ndarray of shape (n,)
    val_size, test_size : float
        Fractions of all samples, each in (0, 1), summing to less than 1.
    seed : int
        Seed of both random splits: the same seed gives the same parts.
    stratify : bool
        Keep the class proportions of ``y`` in every part.

    Returns
    -------
    X_train, X_val, X_test, y_train, y_val, y_test
        Parts of the same type as the inputs.
    """
    for name, value in (("val_size", val_size), ("test_size", test_size)):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
        if not 0 < value < 1:
            raise ValueError(f"{name} must be a fraction in (0, 1), got {value!r}")
    if val_size + test_size >= 1:
        raise ValueError(f"val_size + test_size must be < 1 to leave training data, got {val_size + test_size}")
    check_count("seed", seed)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of samples, got {len(X)} and {len(y)}")
    X_rest, X_test, y_rest, y_test = _sk_train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y if stratify else None
    )
    X_train, X_val, y_train, y_val = _sk_train_test_split(
        X_rest,
        y_rest,
        test_size=val_size / (1 - test_size),
        random_state=seed,
        stratify=y_rest if stratify else None,
    )
    return X_train, X_val, X_test, y_train, y_val, y_test


def to_tensors(*arrays, dtype: torch.dtype = torch.float32) -> tuple[Tensor, ...]:
    """Convert DataFrames, Series and arrays to tensors of the lab's shapes.

    A 2-D input (n, D) stays (n, D); a 1-D input (a label Series) becomes a column (n, 1),
    so that it never broadcasts against predictions of shape (n, 1).

    Parameters
    ----------
    *arrays : DataFrame, Series or array-like
    dtype : torch.dtype, default torch.float32
        A floating dtype.

    Returns
    -------
    tuple of Tensor
        One tensor per input, in the same order.

    Examples
    --------
    >>> x, y = to_tensors(np.zeros((3, 2)), np.array([0, 1, 1]))
    >>> tuple(x.shape), tuple(y.shape), y.dtype
    ((3, 2), (3, 1), torch.float32)
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    tensors = []
    for i, array in enumerate(arrays):
        values = np.asarray(array.to_numpy() if hasattr(array, "to_numpy") else array)
        if values.ndim == 1:
            values = values.reshape(-1, 1)
        if values.ndim != 2:
            raise ValueError(f"arrays[{i}] must be 1-D or 2-D, got {values.ndim}-D")
        tensors.append(torch.as_tensor(values.astype(np.float64), dtype=dtype).clone())
    return tuple(tensors)
