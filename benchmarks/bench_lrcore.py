"""Speed of lrcore against the plain code it replaces, on the book's data.

Run ``python benchmarks/bench_lrcore.py`` (``--quick`` for a smoke test with fewer repeats).

The machine this runs on is shared and noisy, so an absolute time means little: every
figure but one is the RATIO of two timings taken back to back in the same process. Each
benchmark runs its candidate (lrcore) and its baseline interleaved, round after round
(candidate, baseline, candidate, ...), and keeps the best of k runs of each
(``time.perf_counter``, garbage collector off while timing, as ``timeit`` does). The ratio
is ``best lrcore time / best baseline time``; the spread of the per-round ratios is printed
below the table as a measure of the noise.

Before anything is timed, each baseline is run once and checked against lrcore's result
(max abs difference within a tolerance), so that both sides compute the same thing. That
run is also the warm-up.

This is a report, not a test: the exit code is 0 when a goal is missed. It is 1 only when a
baseline does not agree with lrcore, because then the timing comparison means nothing.

Threads: the fit rows run with one torch thread on both sides (see ``FIT_THREADS``), the
landscape rows with torch's default; ``--threads N`` sets every row.

To add a benchmark, append a :class:`Benchmark` to the list built in :func:`benchmarks`.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

import lrcore

LEARNING_RATE = 1e-3
FIT_STEPS = 10_000
GRID_RANGE = (-10.0, 5.0)  # w_range and b_range of the landscapes (loss_landscape's defaults)
# A 341 x 10 problem is one core's work, and numpy runs it on one core. With torch's default
# of one thread per core, small ops that enter a parallel region (the backward of
# F.binary_cross_entropy_with_logits is one) wait for the other core: on a shared VM that costs
# milliseconds per op and made the autograd baseline tens of times slower. One thread makes the fit
# rows a like-for-like single-core comparison, with each side at its fastest.
FIT_THREADS = 1
#: The minibatch row: chapter 14's batches of 32 at the book's rate, 30 epochs (330 steps).
MINIBATCH = {"learning_rate": 0.3, "num_epochs": 30, "batch_size": 32, "seed": 0}


# --------------------------------------------------------------------------------------
# The problem: the book's data, as the lab prepares it
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Standardized training split (float32) and the initial parameters, in torch and numpy."""

    x: Tensor  # (341, 10)
    y: Tensor  # (341, 1)
    x_val: Tensor  # (114, 10), standardized with the training statistics
    y_val: Tensor  # (114, 1)
    w0: Tensor  # (10, 1)
    b0: Tensor  # (1, 1)
    x_np: np.ndarray
    y_np: np.ndarray
    w0_np: np.ndarray
    b0_np: np.ndarray

    @property
    def x1(self) -> Tensor:
        """The first standardized feature, shape (341, 1): the landscapes' input."""
        return self.x[:, :1].contiguous()


def load_problem() -> Problem:
    X, y = lrcore.load_breast_cancer_means()
    X_train, X_val, _, y_train, y_val, _ = lrcore.train_val_test_split(X, y)
    x, y_t, x_val, y_val_t = lrcore.to_tensors(X_train, y_train, X_val, y_val, dtype=torch.float32)
    mean, std = lrcore.fit_standardizer(x)
    x = lrcore.standardize(x, mean, std)
    x_val = lrcore.standardize(x_val, mean, std)
    torch.manual_seed(0)
    w0 = torch.randn(10, 1)
    b0 = torch.zeros(1, 1)
    return Problem(
        x=x,
        y=y_t,
        x_val=x_val,
        y_val=y_val_t,
        w0=w0,
        b0=b0,
        x_np=x.numpy().copy(),
        y_np=y_t.numpy().copy(),
        w0_np=w0.numpy().copy(),
        b0_np=b0.numpy().copy(),
    )


# --------------------------------------------------------------------------------------
# Baselines: the code a reader would write without lrcore
# --------------------------------------------------------------------------------------


def numpy_fit(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray, learning_rate: float, num_steps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient descent in plain numpy: predict, textbook BCE, closed-form gradient, update."""
    n = x.shape[0]
    losses = np.empty(num_steps, dtype=x.dtype)
    for k in range(num_steps):
        z = x @ w + b
        s = 1 / (1 + np.exp(-z))
        losses[k] = -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))
        residual = s - y
        w = w - learning_rate * (x.T @ residual) / n
        b = b - learning_rate * residual.mean(keepdims=True)
    return w, b, losses


def autograd_fit(
    x: Tensor, y: Tensor, w: Tensor, b: Tensor, learning_rate: float, num_steps: int
) -> tuple[Tensor, Tensor, Tensor]:
    """Gradient descent the usual PyTorch way: autograd and ``torch.optim.SGD``."""
    w = w.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([w, b], lr=learning_rate)
    losses = []
    for _ in range(num_steps):
        loss = F.binary_cross_entropy_with_logits(x @ w + b, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return w.detach(), b.detach(), torch.tensor(losses)


def module_sgd(
    x: Tensor, y: Tensor, w: Tensor, b: Tensor, learning_rate: float, num_epochs: int, batch_size: int, seed: int
) -> tuple[Tensor, Tensor]:
    """Minibatch SGD the PyTorch way: nn.Linear, nn.BCEWithLogitsLoss, torch.optim.SGD and a shuffling DataLoader."""
    from torch.utils.data import DataLoader, TensorDataset

    model = torch.nn.Linear(x.shape[1], 1, dtype=x.dtype)
    with torch.no_grad():
        model.weight.copy_(w.T)
        model.bias.copy_(b.reshape(1))
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, generator=generator)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    for _ in range(num_epochs):
        for x_batch, y_batch in loader:
            optimizer.zero_grad()
            loss_fn(model(x_batch), y_batch).backward()
            optimizer.step()
    return model.weight.detach().T, model.bias.detach().reshape(1, 1)


def _inline_bce(z: Tensor, y: Tensor) -> Tensor:
    # The BCE from logits written out, as loss_landscape itself evaluates it: softplus(z) - y z.
    return (F.softplus(z) - y * z).mean()


LOOP_LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "inline": _inline_bce,
    "lrcore": lrcore.binary_cross_entropy_with_logits,  # validates its inputs on every call
}


def stepwise_metrics(x: Tensor, y: Tensor, weights: Tensor, biases: Tensor) -> dict[str, list[float]]:
    """Precision, recall and F1 after every step, one step at a time, as the lab computes them."""
    curves: dict[str, list[float]] = {"precision": [], "recall": [], "f1": []}
    for w, b in zip(weights, biases, strict=True):
        predicted = torch.sigmoid(x @ w + b) >= 0.5
        tp = (predicted & (y == 1)).sum().item()
        fp = (predicted & (y == 0)).sum().item()
        fn = (~predicted & (y == 1)).sum().item()
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        curves["precision"].append(precision)
        curves["recall"].append(recall)
        curves["f1"].append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return curves


def sklearn_unpenalised(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's lbfgs on the unregularised problem (C = inf; penalty=None is deprecated)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(x, y.ravel())
    return model.coef_.reshape(-1, 1), model.intercept_.reshape(1, 1)


#: The bootstrap rows: resamples of the validation split, at the book's threshold.
BOOTSTRAP = {"num_resamples": 1000, "threshold": 0.1, "seed": 0}


def resample_by_resample(y_score: Tensor, y_true: Tensor, indices: Tensor, threshold: float) -> dict[str, list[float]]:
    """The five metrics of each resample, one resample at a time (lrcore's metrics, sklearn's ROC AUC)."""
    from sklearn.metrics import roc_auc_score

    out: dict[str, list[float]] = {"accuracy": [], "precision": [], "recall": [], "f1": [], "roc_auc": []}
    for row in indices:
        score, label = y_score[row], y_true[row]
        metrics = lrcore.compute_metrics((score >= threshold).long(), label)
        for name in ("accuracy", "precision", "recall", "f1"):
            out[name].append(metrics[name])
        out["roc_auc"].append(roc_auc_score(label.ravel().numpy(), score.ravel().numpy()))
    return out


def loop_landscape(
    x1: Tensor, y: Tensor, ws: Tensor, bs: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor]
) -> Tensor:
    """The lab's double loop: one loss evaluation per grid point."""
    J = torch.zeros(len(ws), len(bs), dtype=x1.dtype)
    for i, w in enumerate(ws):
        for j, b in enumerate(bs):
            J[i, j] = loss_fn(w * x1 + b, y)
    return J


# --------------------------------------------------------------------------------------
# The harness
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    """``measured <op> value``; for "ratio" the measure is lrcore time / baseline time."""

    value: float
    op: str = "<="  # "<=" or ">="
    unit: str = "ratio"  # "ratio" (needs a baseline) or "s" (absolute lrcore time)

    def met(self, measured: float) -> bool:
        return measured <= self.value if self.op == "<=" else measured >= self.value

    def describe(self) -> str:
        if self.unit == "s":
            return f"{self.op} {self.value:g} s (absolute)"
        text = f"{self.op} {self.value:.3g}x"
        if self.op == "<=" and self.value < 1:
            text += f" (>= {1 / self.value:g}x faster)"
        return text


@dataclass(frozen=True)
class Check:
    what: str
    max_abs_diff: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return math.isfinite(self.max_abs_diff) and self.max_abs_diff <= self.tolerance


@dataclass
class Benchmark:
    """One row of the table.

    ``candidate`` and ``baseline`` take no argument and return their result; ``check``
    compares those results (from the warm-up run) and returns the differences it measured.
    ``repeats`` is the number of timed candidate runs, ``baseline_repeats`` the number of
    rounds: each round times the baseline once and the candidate ``repeats / rounds`` times,
    half before and half after it. ``threads``, if set, is the torch thread count for both
    sides of this row (``--threads`` overrides it).
    """

    name: str
    candidate: Callable[[], Any]
    goal: Goal
    baseline: Callable[[], Any] | None = None
    baseline_name: str = ""
    check: Callable[[Any, Any], list[Check]] | None = None
    repeats: int = 5
    baseline_repeats: int = 5
    threads: int | None = None


@dataclass
class Result:
    benchmark: Benchmark
    candidate_times: list[float] = field(default_factory=list)
    baseline_times: list[float] = field(default_factory=list)
    paired_ratios: list[float] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    threads: int = 0

    @property
    def candidate_best(self) -> float:
        return min(self.candidate_times)

    @property
    def baseline_best(self) -> float | None:
        return min(self.baseline_times) if self.baseline_times else None

    @property
    def measured(self) -> float:
        if self.benchmark.goal.unit == "s":
            return self.candidate_best
        return self.candidate_best / self.baseline_best

    @property
    def valid(self) -> bool:
        return all(c.ok for c in self.checks)


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(bench: Benchmark, quick: bool) -> Result:
    default_threads = torch.get_num_threads()
    if bench.threads is not None:
        torch.set_num_threads(bench.threads)
    try:
        return _run(bench, quick)
    finally:
        torch.set_num_threads(default_threads)


def _run(bench: Benchmark, quick: bool) -> Result:
    result = Result(bench)
    result.threads = torch.get_num_threads()
    # Warm-up, and the check that both sides compute the same thing.
    candidate_out = bench.candidate()
    baseline_out = bench.baseline() if bench.baseline is not None else None
    if bench.check is not None:
        result.checks = bench.check(candidate_out, baseline_out)
    del candidate_out, baseline_out

    repeats = 2 if quick else bench.repeats
    rounds = repeats if bench.baseline is None else (1 if quick else bench.baseline_repeats)
    per_round = max(1, math.ceil(repeats / rounds))
    gc_was_enabled = gc.isenabled()
    try:
        for r in range(rounds):
            gc.collect()
            gc.disable()
            if bench.baseline is None:
                result.candidate_times.append(_timed(bench.candidate))
                continue
            before = (per_round + (r % 2 == 0)) // 2  # alternate who goes first
            times = [_timed(bench.candidate) for _ in range(before)]
            baseline_time = _timed(bench.baseline)
            times += [_timed(bench.candidate) for _ in range(per_round - before)]
            result.candidate_times += times
            result.baseline_times.append(baseline_time)
            result.paired_ratios.append(min(times) / baseline_time)
    finally:
        if gc_was_enabled:
            gc.enable()
    return result


# --------------------------------------------------------------------------------------
# The benchmarks
# --------------------------------------------------------------------------------------


def _max_abs(a: Any, b: Any) -> float:
    a = torch.as_tensor(np.asarray(a, dtype=np.float64))
    b = torch.as_tensor(np.asarray(b, dtype=np.float64))
    if a.shape != b.shape:
        return math.inf
    return float((a - b).abs().max())


def _check_fit(history: lrcore.History, baseline: tuple[Any, Any, Any]) -> list[Check]:
    w, b, losses = baseline
    return [
        Check("final w, b", max(_max_abs(history.w, w), _max_abs(history.b, b)), 1e-4),
        Check(f"train loss at all {FIT_STEPS} steps", _max_abs(history.train_loss, losses), 1e-5),
    ]


def _check_numpy_fit(history: lrcore.History, baseline: tuple[np.ndarray, ...]) -> list[Check]:
    # Not a difference but a yes/no, reported as 0 (all float32) or 1: float64 would be slower.
    dtypes = sorted({str(a.dtype) for a in baseline})
    is_float32 = Check(f"numpy results are float32 ({dtypes})", float(dtypes != ["float32"]), 0)
    return [*_check_fit(history, baseline), is_float32]


def benchmarks(p: Problem, loop_loss: str) -> list[Benchmark]:
    x1, y = p.x1, p.y
    loss_fn = LOOP_LOSSES[loop_loss]

    def lrcore_fit() -> lrcore.History:
        return lrcore.fit(p.x, p.y, p.w0, p.b0, LEARNING_RATE, FIT_STEPS)

    def landscape(num: int) -> Callable[[], tuple[Tensor, Tensor, Tensor]]:
        return lambda: lrcore.loss_landscape(x1, y, GRID_RANGE, GRID_RANGE, num=num)

    def lab_loop_100() -> Tensor:
        ws = torch.linspace(*GRID_RANGE, 100)
        bs = torch.linspace(*GRID_RANGE, 100)
        return loop_landscape(x1, y, ws, bs, loss_fn)

    def check_grid(out: tuple[Tensor, Tensor, Tensor], J_loop: Tensor) -> list[Check]:
        return [Check("J, lrcore vs loop, 100 x 100", _max_abs(out[0], J_loop), 1e-4)]

    def check_grid_500(out: tuple[Tensor, Tensor, Tensor], _: None) -> list[Check]:
        J, ws, bs = out
        idx = torch.arange(0, len(ws), 50)  # a 10 x 10 subgrid, recomputed point by point
        J_loop = loop_landscape(x1, y, ws[idx], bs[idx], _inline_bce)
        return [Check("J on a 10 x 10 subgrid vs the loop", _max_abs(J[idx][:, idx], J_loop), 1e-4)]

    history = lrcore.fit(p.x, p.y, p.w0, p.b0, LEARNING_RATE, FIT_STEPS)
    x64, y64 = p.x.double(), p.y.double()

    def check_metrics(batched: dict[str, Tensor], stepwise: dict[str, list[float]]) -> list[Check]:
        return [Check(f"{k} at all {FIT_STEPS + 1} steps", _max_abs(batched[k], v), 1e-6) for k, v in stepwise.items()]

    def check_newton(newton: tuple[Tensor, Tensor, Any], sk: tuple[np.ndarray, np.ndarray]) -> list[Check]:
        # lbfgs stops on its own loss-change criterion a few 1e-6 short of the optimum.
        return [Check("w, b: fit_newton vs lbfgs", max(_max_abs(newton[0], sk[0]), _max_abs(newton[1], sk[1])), 1e-4)]

    p_val = lrcore.logistic_regression(p.x_val.double(), history.w.double(), history.b.double())
    y_val64 = p.y_val.double()
    resamples = lrcore.bootstrap_indices(len(y_val64), BOOTSTRAP["num_resamples"], BOOTSTRAP["seed"])
    many_resamples = lrcore.bootstrap_indices(len(y_val64), 10 * BOOTSTRAP["num_resamples"], BOOTSTRAP["seed"])

    def check_bootstrap(batched: dict[str, Tensor], one_by_one: dict[str, list[float]]) -> list[Check]:
        return [Check(f"{k} on {len(v)} resamples", _max_abs(batched[k], v), 1e-12) for k, v in one_by_one.items()]

    def check_many(batched: dict[str, Tensor], _: None) -> list[Check]:
        return [Check("no undefined resample", float(sum(int(v.isnan().sum()) for v in batched.values())), 0.5)]

    return [
        Benchmark(
            name=f"fit, {FIT_STEPS} steps, vs numpy loop",
            candidate=lrcore_fit,
            baseline=lambda: numpy_fit(p.x_np, p.y_np, p.w0_np, p.b0_np, LEARNING_RATE, FIT_STEPS),
            baseline_name="numpy closed-form loop, float32",
            check=_check_numpy_fit,
            goal=Goal(0.5, "<="),
            repeats=6,
            baseline_repeats=6,
            threads=FIT_THREADS,
        ),
        Benchmark(
            name=f"fit, {FIT_STEPS} steps, vs autograd + SGD",
            candidate=lrcore_fit,
            baseline=lambda: autograd_fit(p.x, p.y, p.w0, p.b0, LEARNING_RATE, FIT_STEPS),
            baseline_name="autograd + torch.optim.SGD, loss.item() each step",
            check=_check_fit,
            goal=Goal(0.1, "<="),
            repeats=4,
            baseline_repeats=2,  # 3 runs of several seconds each, counting the check
            threads=FIT_THREADS,
        ),
        Benchmark(
            name=f"fit_minibatch, {MINIBATCH['num_epochs']} epochs of batches of {MINIBATCH['batch_size']}, "
            "vs nn.Module + DataLoader + SGD",
            candidate=lambda: lrcore.fit_minibatch(p.x, p.y, p.w0, p.b0, **MINIBATCH),
            baseline=lambda: module_sgd(p.x, p.y, p.w0, p.b0, **MINIBATCH),
            baseline_name="nn.Linear + BCEWithLogitsLoss + SGD over a seeded shuffling DataLoader, no loss recorded",
            check=lambda history, baseline: [
                Check(
                    "final w, b (the same shuffles and steps)",
                    max(_max_abs(history.w, baseline[0]), _max_abs(history.b, baseline[1])),
                    1e-4,
                )
            ],
            goal=Goal(0.1, "<="),
            repeats=10,
            baseline_repeats=5,
            threads=FIT_THREADS,
        ),
        Benchmark(
            name="loss_landscape 100 x 100 vs double loop",
            candidate=landscape(100),
            baseline=lab_loop_100,
            baseline_name=f"Python double loop, {loop_loss} BCE",
            check=check_grid,
            goal=Goal(1 / 15, "<="),
            repeats=10,
            baseline_repeats=5,
        ),
        Benchmark(
            name=f"precision/recall/F1 on validation at all {FIT_STEPS + 1} steps, batched vs step by step",
            candidate=lambda: lrcore.metrics_along_trajectory(p.x_val, p.y_val, history.weights, history.biases),
            baseline=lambda: stepwise_metrics(p.x_val, p.y_val, history.weights, history.biases),
            baseline_name="one evaluation per step, as the lab does",
            check=check_metrics,
            goal=Goal(1 / 20, "<="),
            repeats=6,
            baseline_repeats=2,
        ),
        Benchmark(
            name="fit_newton vs scikit-learn lbfgs, unregularised, float64",
            candidate=lambda: lrcore.fit_newton(x64, y64),
            baseline=lambda: sklearn_unpenalised(x64.numpy(), y64.numpy()),
            baseline_name="LogisticRegression(C=inf, tol=1e-10)",
            check=check_newton,
            goal=Goal(1.0, "<="),
            repeats=10,
            baseline_repeats=5,
        ),
        Benchmark(
            name=f"bootstrap_metrics, {BOOTSTRAP['num_resamples']} resamples of validation, batched vs one by one",
            candidate=lambda: lrcore.bootstrap_metrics(p_val, y_val64, resamples, BOOTSTRAP["threshold"]),
            baseline=lambda: resample_by_resample(p_val, y_val64, resamples, BOOTSTRAP["threshold"]),
            baseline_name="compute_metrics + sklearn roc_auc_score per resample",
            check=check_bootstrap,
            goal=Goal(1 / 20, "<="),
            repeats=10,
            baseline_repeats=2,
            threads=FIT_THREADS,  # many small products: one thread, as for the fit rows
        ),
        Benchmark(
            name=f"bootstrap_metrics, {10 * BOOTSTRAP['num_resamples']} resamples of validation",
            candidate=lambda: lrcore.bootstrap_metrics(p_val, y_val64, many_resamples, BOOTSTRAP["threshold"]),
            check=check_many,
            goal=Goal(1.0, "<=", unit="s"),
            repeats=5,
            threads=FIT_THREADS,
        ),
        Benchmark(
            name="loss_landscape 500 x 500",
            candidate=landscape(500),
            check=check_grid_500,
            goal=Goal(0.5, "<=", unit="s"),
            repeats=5,
        ),
    ]


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _process_age() -> float | None:
    """Seconds since this process started (imports included), on Linux; else None."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def header(quick: bool) -> str:
    return (
        f"machine: {platform.platform()} | {_cpu_model()} | {os.cpu_count()} CPUs | "
        f"Python {platform.python_version()} | torch {torch.__version__} "
        f"({torch.get_num_threads()} threads) | numpy {np.__version__} | "
        f"mode: {'quick' if quick else 'full'}"
    )


def _ratio_text(r: float) -> str:
    return f"{r:.3f} ({1 / r:.1f}x faster)" if r <= 1 else f"{r:.3f} ({r:.1f}x slower)"


def table(results: list[Result]) -> str:
    lines = [
        "| benchmark | lrcore (s) | baseline (s) | ratio | goal | met? |",
        "|---|---:|---:|---|---|---|",
    ]
    for res in results:
        goal = res.benchmark.goal
        base = res.baseline_best
        if not res.valid:
            met = "INVALID (check failed)"
        else:
            met = "yes" if goal.met(res.measured) else "**NO**"
        threads = f"{res.threads} torch thread{'s' if res.threads > 1 else ''}"
        lines.append(
            f"| {res.benchmark.name} ({threads}) | {res.candidate_best:.4f} | "
            f"{'-' if base is None else f'{base:.4f}'} | "
            f"{'- (absolute time)' if goal.unit == 's' else _ratio_text(res.measured)} | "
            f"{goal.describe()} | {met} |"
        )
    return "\n".join(lines)


def notes(results: list[Result]) -> str:
    lines = []
    for res in results:
        b = res.benchmark
        timing = f"best of {len(res.candidate_times)} lrcore runs"
        if b.baseline is not None:
            timing += f" and {len(res.baseline_times)} baseline runs ({b.baseline_name})"
        lines.append(f"- {b.name}: {timing}.")
        for c in res.checks:
            lines.append(
                f"    check {c.what}: max abs diff {c.max_abs_diff:.3g} "
                f"(tolerance {c.tolerance:g}) {'ok' if c.ok else 'FAILED'}"
            )
        if res.paired_ratios:
            pr = res.paired_ratios
            lines.append(
                f"    per-round ratios (noise): min {min(pr):.3f}, median {statistics.median(pr):.3f}, "
                f"max {max(pr):.3f}"
            )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Memory: fit's peak against the History it returns
# --------------------------------------------------------------------------------------

#: Run in a fresh interpreter so that no earlier benchmark has left freed memory in the
#: allocator, which a new allocation could reuse without raising the peak RSS. The kernel's
#: peak-RSS counter (VmHWM) is reset through /proc/self/clear_refs just before the call.
MEMORY_SCRIPT = """
import gc, sys, torch, lrcore

def status(key):
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith(key + ":")).split()[1]) * 1024

torch.set_num_threads(1)
steps = int(sys.argv[1])
x = torch.tensor([[-1.0], [-0.5], [0.5], [1.0]])  # the issue's case: 4 x 1 data, D = 1
y = torch.tensor([[0.0], [1.0], [0.0], [1.0]])
w, b = torch.zeros(1, 1), torch.zeros(1, 1)
lrcore.fit(x, y, w, b, 0.1, 1000)  # warm-up: kernels, allocator
gc.collect()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS")
history = lrcore.fit(x, y, w, b, 0.1, steps)
peak = status("VmHWM") - before
size = sum(t.untyped_storage().nbytes() for t in (history.weights, history.train_loss))
print(peak, size)
"""

MEMORY_GOAL = 2.0  # peak memory at most twice the History


def memory_row(quick: bool) -> tuple[int, int, int]:
    """``(num_steps, peak bytes added, History bytes)`` of one ``fit`` on 4 x 1 data."""
    import subprocess

    steps = 100_000 if quick else 1_000_000
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(steps)], check=True, capture_output=True, text=True
    ).stdout.split()
    return steps, int(out[0]), int(out[1])


def memory_table(steps: int, peak: int, size: int) -> str:
    ratio = peak / size
    return "\n".join(
        [
            "| benchmark | History | peak memory added | ratio | goal | met? |",
            "|---|---:|---:|---:|---|---|",
            f"| `fit`, {steps:,} steps on 4 x 1 data, float32: peak RSS added vs the History it returns "
            f"| {size / 1e6:.1f} MB | {peak / 1e6:.1f} MB | {ratio:.2f}x | <= {MEMORY_GOAL:g}x | "
            f"{'yes' if ratio <= MEMORY_GOAL else '**NO**'} |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a smoke test, not a measurement")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help=f"torch threads for every row (default: {FIT_THREADS} for the fit rows, torch's default for the others)",
    )
    parser.add_argument(
        "--loop-loss",
        choices=sorted(LOOP_LOSSES),
        default="inline",
        help="loss in the landscape loop baseline: the inline formula (default, the faster "
        "and stricter baseline) or lrcore.binary_cross_entropy_with_logits",
    )
    parser.add_argument("--only", default=None, help="run only the benchmarks whose name contains this")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    start = time.perf_counter()
    print(header(args.quick), flush=True)
    problem = load_problem()
    print(
        f"data: train {tuple(problem.x.shape)} {problem.x.dtype}, lr {LEARNING_RATE:g}; "
        f"500 x 500 landscape = {500 * 500 * problem.x.shape[0]:,} loss terms",
        flush=True,
    )
    selected = [b for b in benchmarks(problem, args.loop_loss) if args.only is None or args.only in b.name]
    for bench in selected:
        if args.threads is not None:
            bench.threads = args.threads
    results = []
    for bench in selected:
        t0 = time.perf_counter()
        print(f"running: {bench.name} ...", end=" ", flush=True)
        results.append(run(bench, args.quick))
        print(f"{time.perf_counter() - t0:.1f} s", flush=True)

    memory = None
    if args.only is None or args.only in "memory":
        print("running: fit's peak memory (fresh interpreter) ...", end=" ", flush=True)
        t0 = time.perf_counter()
        memory = memory_row(args.quick)
        print(f"{time.perf_counter() - t0:.1f} s", flush=True)

    print()
    print(table(results))
    if memory is not None:
        print()
        print(memory_table(*memory))
    print()
    print(notes(results))
    print()
    missed = [r.benchmark.name for r in results if r.valid and not r.benchmark.goal.met(r.measured)]
    if memory is not None and memory[1] > MEMORY_GOAL * memory[2]:
        missed.append("fit's peak memory")
    invalid = [r.benchmark.name for r in results if not r.valid]
    print(f"goals missed: {', '.join(missed) if missed else 'none'}")
    if invalid:
        print(f"CHECK FAILED (timings not comparable): {', '.join(invalid)}")
    age = _process_age()
    since_start = f"{age:.1f} s in all, with imports; " if age is not None else ""
    print(f"total runtime: {since_start}{time.perf_counter() - start:.1f} s from the data loading on")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
