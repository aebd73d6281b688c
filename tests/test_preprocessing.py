"""lrcore.preprocessing against scikit-learn's StandardScaler."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler

import lrcore


def _random_features(seed: int, n: int = 60, d: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Very different scales and offsets per column, like the raw breast-cancer features.
    return rng.normal(size=(n, d)) * np.array([0.01, 1.0, 30.0, 1000.0])[:d] + np.array([5.0, -2.0, 0.0, 700.0])[:d]


@pytest.mark.parametrize("seed", range(5))
def test_fit_standardizer_equals_standard_scaler_float64(seed, assert_pure):
    features = _random_features(seed)
    scaler = StandardScaler().fit(features)
    x = torch.tensor(features, dtype=torch.float64)
    mean, std = assert_pure(lrcore.fit_standardizer, x)
    assert mean.shape == std.shape == (1, features.shape[1])
    assert mean.dtype == std.dtype == torch.float64
    np.testing.assert_allclose(mean.numpy().ravel(), scaler.mean_, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(std.numpy().ravel(), scaler.scale_, rtol=1e-12)
    out = assert_pure(lrcore.standardize, x, mean, std)
    np.testing.assert_allclose(out.numpy(), scaler.transform(features), rtol=1e-11, atol=1e-11)


def test_std_is_population_std():
    # Two samples 1 and 3: population std 1, sample (N - 1) std sqrt(2).
    x = torch.tensor([[1.0], [3.0]], dtype=torch.float64)
    mean, std = lrcore.fit_standardizer(x)
    np.testing.assert_allclose(std.numpy(), np.std(x.numpy(), axis=0, ddof=0, keepdims=True), rtol=1e-15)
    assert std.item() == pytest.approx(1.0, abs=1e-15)
    assert mean.item() == pytest.approx(2.0, abs=1e-15)


def test_float32_against_standard_scaler(assert_pure):
    features = _random_features(11)
    x = torch.tensor(features, dtype=torch.float32)
    scaler = StandardScaler().fit(x.numpy().astype(np.float64))  # float64 reference on the same values
    mean, std = assert_pure(lrcore.fit_standardizer, x)
    assert mean.dtype == std.dtype == torch.float32
    np.testing.assert_allclose(mean.numpy().ravel(), scaler.mean_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std.numpy().ravel(), scaler.scale_, rtol=1e-5)
    out = lrcore.standardize(x, mean, std)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), scaler.transform(x.numpy().astype(np.float64)), atol=1e-4)


@pytest.mark.parametrize("value", [0.0, 5.0, 3.7, -1234.5678])
def test_constant_column_gets_std_one_and_zeros(dtype, value):
    rng = np.random.default_rng(0)
    features = np.column_stack([rng.normal(size=8), np.full(8, value)])
    x = torch.tensor(features, dtype=dtype)
    scaler = StandardScaler().fit(x.numpy().astype(np.float64))
    assert scaler.scale_[1] == 1.0  # sklearn's rule for a zero-variance feature
    mean, std = lrcore.fit_standardizer(x)
    assert std[0, 1].item() == 1.0
    out = lrcore.standardize(x, mean, std)
    assert torch.isfinite(out).all()
    # (value - mean(value, ..., value)) / 1: zero up to the rounding of the mean.
    eps = torch.finfo(dtype).eps
    np.testing.assert_allclose(out[:, 1].numpy(), 0.0, atol=4 * eps * max(1.0, abs(value)))
    np.testing.assert_allclose(
        out.numpy().astype(np.float64),
        scaler.transform(x.numpy().astype(np.float64)),
        atol=1e-5 if eps > 1e-10 else 1e-12,
    )


def test_standardize_other_split_with_training_statistics(split, assert_pure):
    x_train = torch.tensor(split.X_train.to_numpy(), dtype=torch.float64)
    x_test = torch.tensor(split.X_test.to_numpy(), dtype=torch.float64)
    mean, std = lrcore.fit_standardizer(x_train)
    out = assert_pure(lrcore.standardize, x_test, mean, std)
    np.testing.assert_allclose(out.numpy(), split.standardized("test"), rtol=1e-10, atol=1e-10)
    # Training data gets mean 0 and population std 1 exactly as StandardScaler does.
    train_out = lrcore.standardize(x_train, mean, std)
    np.testing.assert_allclose(train_out.numpy(), split.standardized("train"), rtol=1e-10, atol=1e-10)


def test_standardize_output_follows_input(dtype):
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(0)).to(dtype)
    mean = torch.zeros(1, 3, dtype=dtype)
    std = torch.full((1, 3), 2.0, dtype=dtype)
    out = lrcore.standardize(x, mean, std)
    assert out.dtype == dtype and out.device == x.device and out.shape == x.shape
    torch.testing.assert_close(out, x / 2, rtol=0, atol=0)
    assert out.data_ptr() != x.data_ptr()
