"""Shared fixtures: reference data built with scikit-learn only, random problems, a purity check.

Nothing here calls ``lrcore``: the fixtures are the independent references that the tests
compare ``lrcore`` against.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, settings
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

matplotlib.use("Agg")  # headless: no window may ever open during the tests

# Every kernel a test starts (notebooks executed with nbclient) runs as the book's chapters do:
# the declared environment, on Unix sockets (book/_ext/chapter_kernels.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
import chapter_kernels  # noqa: E402
from xdist_groups import suffix_groups  # noqa: E402

chapter_kernels.install()

# Property-based tests (tests/test_properties.py). "ci", the default: derandomized (the same
# examples on every run and machine) and bounded, so `make unit` stays deterministic and fast.
# "fuzz" (`make fuzz`): fresh random examples, many more of them. Neither keeps a database of
# examples in the working tree; a failure prints the example and the @reproduce_failure blob.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=30, derandomize=True, deadline=None, database=None, suppress_health_check=_SLOW_OK
)
settings.register_profile(
    "fuzz", max_examples=2000, deadline=None, database=None, print_blob=True, suppress_health_check=_SLOW_OK
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: The two floating dtypes lrcore supports.
ROOT = Path(__file__).resolve().parents[1]
FLOAT_DTYPES = [torch.float32, torch.float64]

#: Seed of the reference split (the lrcore default ``seed=0``).
SPLIT_SEED = 0


@pytest.fixture(params=FLOAT_DTYPES, ids=["float32", "float64"])
def dtype(request) -> torch.dtype:
    return request.param


@dataclass(frozen=True)
class Split:
    """The breast-cancer split built with scikit-learn alone (no lrcore)."""

    X: pd.DataFrame  # all 569 samples, the ten "mean ..." columns
    y: pd.Series  # 1 = malignant
    X_train: pd.DataFrame
    X_val: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_val: pd.Series
    y_test: pd.Series
    scaler: StandardScaler  # fitted on X_train only

    def standardized(self, part: str) -> np.ndarray:
        return self.scaler.transform(getattr(self, f"X_{part}").to_numpy())


@pytest.fixture(scope="session")
def breast_cancer() -> tuple[pd.DataFrame, pd.Series]:
    """Features whose name starts with "mean " and the label 1 = malignant, from sklearn directly."""
    bunch = load_breast_cancer(as_frame=True)
    X = bunch.data[[c for c in bunch.feature_names if c.startswith("mean ")]]
    y = pd.Series(np.where(bunch.target.to_numpy() == 0, 1, 0), index=bunch.data.index, name="malignant")
    return X, y


@pytest.fixture(scope="session")
def split(breast_cancer) -> Split:
    """Stratified 60/20/20 split with seed 0: test first, then validation from the rest."""
    X, y = breast_cancer
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, random_state=SPLIT_SEED, stratify=y)
    # 0.2 of all samples is 0.25 of the remaining 80 %.
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=0.25, random_state=SPLIT_SEED, stratify=y_rest
    )
    scaler = StandardScaler().fit(X_train.to_numpy())
    return Split(X, y, X_train, X_val, X_test, y_train, y_val, y_test, scaler)


@pytest.fixture(scope="session")
def train64(split) -> tuple[torch.Tensor, torch.Tensor]:
    """Standardized training features (341, 10) and labels (341, 1), float64."""
    x = torch.tensor(split.standardized("train"), dtype=torch.float64)
    y = torch.tensor(split.y_train.to_numpy(), dtype=torch.float64).reshape(-1, 1)
    return x, y


@pytest.fixture(scope="session")
def val64(split) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor(split.standardized("val"), dtype=torch.float64)
    y = torch.tensor(split.y_val.to_numpy(), dtype=torch.float64).reshape(-1, 1)
    return x, y


@pytest.fixture(scope="session")
def test64(split) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor(split.standardized("test"), dtype=torch.float64)
    y = torch.tensor(split.y_test.to_numpy(), dtype=torch.float64).reshape(-1, 1)
    return x, y


@dataclass(frozen=True)
class Problem:
    x: torch.Tensor  # (n, D)
    w: torch.Tensor  # (D, 1)
    b: torch.Tensor  # (1, 1)
    y: torch.Tensor  # (n, 1), 0/1

    @property
    def z(self) -> torch.Tensor:
        return self.x @ self.w + self.b

    @property
    def s(self) -> torch.Tensor:
        return torch.sigmoid(self.z)


def _make_problem(n: int = 40, d: int = 3, dtype: torch.dtype = torch.float64, seed: int = 0) -> Problem:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    w = torch.randn(d, 1, generator=g, dtype=torch.float64)
    b = torch.randn(1, 1, generator=g, dtype=torch.float64)
    y = torch.bernoulli(torch.full((n, 1), 0.5, dtype=torch.float64), generator=g)
    if n >= 2:
        y[0], y[1] = 0.0, 1.0  # both classes present
    return Problem(x.to(dtype), w.to(dtype), b.to(dtype), y.to(dtype))


@pytest.fixture
def make_problem():
    """Factory of seeded random problems ``(x, w, b, y)`` with moderate logits."""
    return _make_problem


def _snapshot(value):
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (np.ndarray, pd.DataFrame, pd.Series)):
        return value.copy()
    return copy.deepcopy(value)


def _assert_same(before, after, name: str) -> None:
    if isinstance(before, torch.Tensor):
        assert after.dtype == before.dtype and after.shape == before.shape, f"{name} changed dtype or shape"
        assert torch.equal(after, before), f"{name} was modified in place"
    elif isinstance(before, np.ndarray):
        np.testing.assert_array_equal(after, before, err_msg=f"{name} was modified in place")
    elif isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(after, before)
    elif isinstance(before, pd.Series):
        pd.testing.assert_series_equal(after, before)
    else:
        assert after == before, f"{name} was modified"


@pytest.fixture
def assert_pure():
    """``assert_pure(fn, *args, **kwargs)``: call ``fn`` and check that no argument changed.

    Returns whatever ``fn`` returned.
    """

    def call(fn, *args, **kwargs):
        args_before = [_snapshot(a) for a in args]
        kwargs_before = {k: _snapshot(v) for k, v in kwargs.items()}
        result = fn(*args, **kwargs)
        for i, (before, after) in enumerate(zip(args_before, args, strict=True)):
            _assert_same(before, after, f"{getattr(fn, '__name__', fn)} argument {i}")
        for key, before in kwargs_before.items():
            _assert_same(before, kwargs[key], f"{getattr(fn, '__name__', fn)} argument {key}")
        return result

    return call


@pytest.fixture(scope="session")
def build_book():
    """``tools/build_book.py`` as a module (the tools folder is not a package)."""
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make unit``: ``--dist loadgroup``), a module whose tests share a
    module-scoped fixture (a small book built, a fresh virtual environment) runs on one worker,
    so that the fixture is made once, as in a serial run. Other tests go to whichever worker is free.
    """
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        definitions = info.name2fixturedefs.values() if info else ()
        if any(defs and defs[-1].scope == "module" for defs in definitions):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
    suffix_groups(config, items)
