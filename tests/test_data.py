"""lrcore.data against scikit-learn's loader and splitter, used directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import lrcore

# Counts of the Breast Cancer Wisconsin (diagnostic) data set, documented by scikit-learn
# ("Class distribution: 212 - Malignant, 357 - Benign", 569 instances, 30 attributes of which
# ten are the "mean ..." ones).
N_SAMPLES, N_MALIGNANT, N_BENIGN, N_MEAN_FEATURES = 569, 212, 357, 10
# Default split: test = ceil(0.2 * 569) = 114; validation = ceil(0.25 * 455) = 114; train = 341.
N_TRAIN, N_VAL, N_TEST = 341, 114, 114


@pytest.fixture(scope="module")
def loaded():
    return lrcore.load_breast_cancer_means()


def test_target_name():
    assert lrcore.TARGET_NAME == "malignant"


def test_load_shapes_and_columns(loaded):
    X, y = loaded
    sk = load_breast_cancer()
    expected_columns = [c for c in sk.feature_names if c.startswith("mean ")]
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert X.shape == (N_SAMPLES, N_MEAN_FEATURES) and y.shape == (N_SAMPLES,)
    assert list(X.columns) == expected_columns
    assert all(c.startswith("mean ") for c in X.columns)


def test_load_values_equal_sklearn(loaded):
    X, _ = loaded
    sk = load_breast_cancer()
    columns = [i for i, c in enumerate(sk.feature_names) if c.startswith("mean ")]
    np.testing.assert_array_equal(X.to_numpy(), sk.data[:, columns])


def test_labels_are_relabelled_so_that_1_is_malignant(loaded):
    _, y = loaded
    sk = load_breast_cancer()
    assert list(sk.target_names) == ["malignant", "benign"]  # sklearn: 0 = malignant
    np.testing.assert_array_equal(y.to_numpy(), 1 - sk.target)
    assert y.name == lrcore.TARGET_NAME
    assert y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert int((y == 1).sum()) == N_MALIGNANT
    assert int((y == 0).sum()) == N_BENIGN


def test_load_matches_reference_fixture(loaded, breast_cancer):
    X, y = loaded
    X_ref, y_ref = breast_cancer
    pd.testing.assert_frame_equal(X, X_ref)
    np.testing.assert_array_equal(y.to_numpy(), y_ref.to_numpy())


def test_split_sizes_and_equal_to_sklearn(loaded, split):
    X, y = loaded
    parts = lrcore.train_val_test_split(X, y, seed=0)
    assert [len(p) for p in parts] == [N_TRAIN, N_VAL, N_TEST, N_TRAIN, N_VAL, N_TEST]
    expected = [split.X_train, split.X_val, split.X_test, split.y_train, split.y_val, split.y_test]
    for got, ref in zip(parts, expected, strict=True):
        np.testing.assert_array_equal(got.index.to_numpy(), ref.index.to_numpy())
        np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy())


def test_split_keeps_types(loaded):
    X, y = loaded
    X_train, X_val, X_test, y_train, y_val, y_test = lrcore.train_val_test_split(X, y)
    assert all(isinstance(p, pd.DataFrame) for p in (X_train, X_val, X_test))
    assert all(isinstance(p, pd.Series) for p in (y_train, y_val, y_test))
    parts = lrcore.train_val_test_split(X.to_numpy(), y.to_numpy())
    assert all(isinstance(p, np.ndarray) for p in parts)
    assert [p.shape[0] for p in parts] == [N_TRAIN, N_VAL, N_TEST] * 2


def test_split_is_a_partition(loaded):
    X, y = loaded
    X_train, X_val, X_test, y_train, y_val, y_test = lrcore.train_val_test_split(X, y, seed=3)
    indices = np.concatenate([X_train.index, X_val.index, X_test.index])
    assert len(indices) == len(set(indices)) == N_SAMPLES
    for Xp, yp in ((X_train, y_train), (X_val, y_val), (X_test, y_test)):
        np.testing.assert_array_equal(Xp.index, yp.index)


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_split_deterministic_for_a_seed(loaded, seed):
    X, y = loaded
    first = lrcore.train_val_test_split(X, y, seed=seed)
    second = lrcore.train_val_test_split(X, y, seed=seed)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.index, b.index)


def test_split_differs_for_another_seed(loaded):
    X, y = loaded
    a = lrcore.train_val_test_split(X, y, seed=0)
    b = lrcore.train_val_test_split(X, y, seed=1)
    for part_a, part_b in zip(a[:3], b[:3], strict=True):
        assert set(part_a.index) != set(part_b.index)


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_split_is_stratified(loaded, seed):
    X, y = loaded
    _, _, _, y_train, y_val, y_test = lrcore.train_val_test_split(X, y, seed=seed)
    overall = N_MALIGNANT / N_SAMPLES
    for part in (y_train, y_val, y_test):
        # Stratification rounds the class counts: at most one sample off the exact share.
        assert abs(int(part.sum()) - overall * len(part)) <= 1


def test_split_without_stratify_equals_sklearn(loaded):
    X, y = loaded
    parts = lrcore.train_val_test_split(X, y, val_size=0.1, test_size=0.3, seed=5, stratify=False)
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.3, random_state=5)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.1 / 0.7, random_state=5)
    for got, ref in zip(parts, [X_train, X_val, X_test, y_train, y_val, y_test], strict=True):
        np.testing.assert_array_equal(got.index, ref.index)


def test_split_does_not_modify_inputs(loaded, assert_pure):
    X, y = loaded
    assert_pure(lrcore.train_val_test_split, X, y, seed=2)
    assert_pure(lrcore.train_val_test_split, X.to_numpy(), y.to_numpy(), seed=2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_to_tensors_shapes_dtype_values(loaded, dtype, assert_pure):
    X, y = loaded
    x_t, y_t = assert_pure(lrcore.to_tensors, X, y, dtype=dtype)
    assert x_t.shape == (N_SAMPLES, N_MEAN_FEATURES) and y_t.shape == (N_SAMPLES, 1)
    assert x_t.dtype == y_t.dtype == dtype
    assert x_t.device == y_t.device == torch.device("cpu")
    torch.testing.assert_close(x_t, torch.tensor(X.to_numpy(), dtype=dtype), rtol=0, atol=0)
    torch.testing.assert_close(y_t, torch.tensor(y.to_numpy(), dtype=dtype).reshape(-1, 1), rtol=0, atol=0)


def test_to_tensors_default_dtype_is_float32():
    (t,) = lrcore.to_tensors(np.array([0, 1, 1]))
    assert t.dtype == torch.float32 and t.shape == (3, 1)
    assert t.tolist() == [[0.0], [1.0], [1.0]]


def test_to_tensors_accepts_lists_and_keeps_order():
    a, b, c = lrcore.to_tensors([[1, 2], [3, 4]], np.array([5.0, 6.0]), pd.Series([7, 8]), dtype=torch.float64)
    assert a.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert b.tolist() == [[5.0], [6.0]]
    assert c.tolist() == [[7.0], [8.0]]


def test_to_tensors_does_not_share_memory():
    array = np.arange(6, dtype=np.float64).reshape(3, 2)
    (t,) = lrcore.to_tensors(array, dtype=torch.float64)
    t += 100  # writing the tensor must leave the array alone
    np.testing.assert_array_equal(array, np.arange(6, dtype=np.float64).reshape(3, 2))
