"""Every memory estimate of lrcore against the memory really used (issue 22, class 3).

Each function with a budget checks an estimate of its peak memory against
``lrcore._validation.MEMORY_BUDGET_BYTES`` before allocating. Here each estimate is held to the
truth: the call runs in a fresh process (PyTorch's CPU allocations are invisible to
``tracemalloc``): a child forked for it from an interpreter that has imported PyTorch and lrcore
once (``ForkServer``), so that each case does not import them again. The kernel's peak-RSS
counter (``VmHWM``) is reset just before the call through
``/proc/self/clear_refs``, and the peak it adds over the resident size before it must be at most
the estimate, and the estimate at most 4 times that peak plus 48 MiB (not absurdly loose).
Inputs are made before the counter is reset, and large enough (about 100 to 400 MB) that the
estimate dominates the interpreter's noise. A refused call must add almost nothing: it is
refused before it allocates.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

import lrcore
from lrcore import _validation
from lrcore.explorers import _html, log_spaced

ROOT = Path(__file__).resolve().parents[1]
MiB = 2**20

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's /proc/self/clear_refs to reset the peak RSS"
)

#: Run in a fresh process: ``setup`` (not measured), then ``call`` under a reset peak-RSS counter.
#: The peak is of data: the pages of PyTorch's libraries that the call maps in (``RssFile``, which
#: only grows) are not counted. A forked child maps in again, lazily, the code pages its parent had
#: already read, and about 2.5 MiB of them would otherwise count as the call's memory.
_HARNESS = """
import gc, json, sys
sys.path.insert(0, {root!r})

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))

{setup}
gc.collect()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before, code_before = status("VmRSS"), status("RssFile")
try:
    {call}
    error = None
except ValueError as e:
    error = str(e)
code_added = max(0, status("RssFile") - code_before)
print(json.dumps({{"peak": status("VmHWM") - before - code_added, "estimate": int(estimate), "error": error}}))
"""


#: The fork server: it imports what every case imports (1.2 s of PyTorch and lrcore), then, for
#: each script it reads on stdin, forks a child that runs it with its output in the files named,
#: and writes the child's exit code. The child has a heap and a peak counter of its own (reset in
#: it before the call), and starts single-threaded: importing PyTorch starts no thread (checked).
_SERVER = """
import json, os, sys, traceback
sys.path.insert(0, {root!r})
{imports}
assert len(os.listdir("/proc/self/task")) == 1, "a thread before fork"
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with open(request["out"], "w") as sys.stdout, open(request["err"], "w") as sys.stderr:
                try:
                    exec(compile(request["script"], "<memory case>", "exec"), {{"__name__": "__main__"}})
                    code = 0
                except BaseException:
                    traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


class ForkServer:
    """Runs each case's script in a fresh child of one interpreter that imported ``IMPORTS``."""

    def __init__(self, folder: Path) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        script = _SERVER.format(root=str(ROOT), imports=IMPORTS)
        self.folder = folder
        self.process = subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
        )

    def measure(self, setup: str, call: str) -> dict:
        """Peak bytes added by ``call`` after ``setup`` (which defines ``estimate``), and its ValueError if any."""
        script = _HARNESS.format(root=str(ROOT), setup=textwrap.dedent(setup).strip(), call=call)
        out, err = self.folder / "out.txt", self.folder / "err.txt"
        self.process.stdin.write(json.dumps({"script": script, "out": str(out), "err": str(err)}) + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        assert reply, f"the fork server died (exit code {self.process.poll()})"
        assert int(reply) == 0, err.read_text()[-3000:]
        return json.loads(out.read_text().strip().splitlines()[-1])

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> ForkServer:
    forks = ForkServer(tmp_path_factory.mktemp("memory"))
    yield forks
    forks.close()


def assert_estimate_holds(measured: dict) -> None:
    peak, estimate = measured["peak"], measured["estimate"]
    assert measured["error"] is None, measured["error"]
    assert peak <= estimate, f"peak {peak / MiB:.1f} MiB above the estimate {estimate / MiB:.1f} MiB"
    assert estimate <= 4 * peak + 48 * MiB, f"estimate {estimate / MiB:.1f} MiB, peak only {peak / MiB:.1f} MiB"
    assert peak >= 40 * MiB, f"the input is too small to test the estimate: peak {peak / MiB:.1f} MiB"


def assert_refused_before_allocating(measured: dict, message: str) -> None:
    assert measured["error"] is not None and message in measured["error"], measured["error"]
    assert "MEMORY_BUDGET_BYTES" in measured["error"]
    assert measured["peak"] <= 8 * MiB, f"a refused call added {measured['peak'] / MiB:.1f} MiB"


IMPORTS = "import torch, lrcore\nfrom lrcore import optim, minibatch, resampling, metrics, calibration, landscape\n"
IMPORTS += "from lrcore.explorers import descent\ntorch.manual_seed(0)\n"

# ---------------------------------------------------------------------------- measured peak <= estimate

CASES = {
    # fit: a long History (D = 1000, 25 000 steps: 100 MB) and a large data set (10**6 x 10).
    "fit-history": (
        "x = torch.randn(4, 1000); y = torch.tensor([[0.], [1.], [0.], [1.]]); w = torch.zeros(1000, 1)\n"
        "b = torch.zeros(1, 1); estimate = optim._fit_bytes(x, 25001, None)",
        "lrcore.fit(x, y, w, b, 0.1, 25000)",
    ),
    "fit-data-momentum-val": (
        "x = torch.randn(10**6, 10); y = (torch.rand(10**6, 1) < 0.5).float(); w = torch.zeros(10, 1)\n"
        "b = torch.zeros(1, 1); estimate = optim._fit_bytes(x, 101, x)",
        "lrcore.fit(x, y, w, b, 0.1, 100, x_val=x, y_val=y, momentum=0.9)",
    ),
    "fit_minibatch-history": (
        "x = torch.randn(8, 1000); y = (torch.arange(8.) % 2).reshape(-1, 1); w = torch.zeros(1000, 1)\n"
        "b = torch.zeros(1, 1); estimate = optim._fit_bytes(x, 24001, None) + minibatch._RATE_BYTES * 12000",
        "lrcore.fit_minibatch(x, y, w, b, 0.1, 12000, 4, 0)",
    ),
    "fit_minibatch-data": (
        "x = torch.randn(10**6, 10); y = (torch.rand(10**6, 1) < 0.5).float(); w = torch.zeros(10, 1)\n"
        "b = torch.zeros(1, 1); estimate = optim._fit_bytes(x, 21, None) + minibatch._RATE_BYTES * 2",
        "lrcore.fit_minibatch(x, y, w, b, 0.1, 2, 10**5, 0)",
    ),
    "loss_landscape": (
        "x = torch.randn(4, 1); y = torch.tensor([[0.], [1.], [0.], [1.]])\n"
        "estimate = landscape._landscape_bytes(7000, 4, 4)",
        "lrcore.loss_landscape(x, y, num=7000)",
    ),
    "bootstrap_indices": (
        "estimate = resampling._bootstrap_indices_bytes(1000, 30000)",
        "lrcore.bootstrap_indices(1000, 30000, 0)",
    ),
    "bootstrap_metrics-resamples": (
        "n, R = 1000, 20000; s = torch.rand(n, 1); y = (torch.rand(n, 1) < 0.5).float()\n"
        "idx = lrcore.bootstrap_indices(n, R, 0).int(); estimate = resampling._bootstrap_metrics_bytes(n, R, n)",
        "lrcore.bootstrap_metrics(s, y, idx)",
    ),
    "bootstrap_metrics-many-scores": (
        "n = 2 * 10**6; s = torch.rand(n, 1, dtype=torch.float64); y = (torch.rand(n, 1) < 0.5).double()\n"
        "idx = torch.arange(n)[None]; estimate = resampling._bootstrap_metrics_bytes(n, 1, n)",
        "lrcore.bootstrap_metrics(s, y, idx)",
    ),
    "bootstrap_confidence_intervals": (
        "n, R = 1000, 20000; s = torch.rand(n, 1); y = (torch.rand(n, 1) < 0.5).float()\n"
        "estimate = resampling._bootstrap_indices_bytes(n, R) + resampling._bootstrap_metrics_bytes(n, R, n) + 48 * R",
        "lrcore.bootstrap_confidence_intervals(s, y, num_resamples=R)",
    ),
    "stratified_k_fold-repeats": (
        "y = (torch.rand(1000, 1) < 0.5).double(); estimate = resampling._stratified_k_fold_bytes(1000, 5, 4000)",
        "lrcore.stratified_k_fold(y, 5, 4000)",
    ),
    "stratified_k_fold-samples": (
        "y = (torch.rand(10**5, 1) < 0.5).double(); estimate = resampling._stratified_k_fold_bytes(10**5, 5, 40)",
        "lrcore.stratified_k_fold(y, 5, 40)",
    ),
    "metrics_along_trajectory-steps": (
        "k, n = 10**7, 50; x = torch.randn(n, 1); y = (torch.rand(n, 1) < 0.5).float()\n"
        "W = torch.randn(k, 1, 1); B = torch.randn(k, 1, 1); estimate = metrics._trajectory_bytes(n, 1, k, 4)",
        "lrcore.metrics_along_trajectory(x, y, W, B)",
    ),
    "metrics_along_trajectory-samples": (
        "k, n = 400, 10**6; x = torch.randn(n, 10); y = (torch.rand(n, 1) < 0.5).float()\n"
        "W = torch.randn(k, 10, 1); B = torch.randn(k, 1, 1); estimate = metrics._trajectory_bytes(n, 10, k, 4)",
        "lrcore.metrics_along_trajectory(x, y, W, B)",
    ),
    **{
        f"{function}-{strategy}-{shape}": (
            f"n, bins = {n}, {bins}; p = torch.rand(n, 1, dtype=torch.float64); y = (torch.rand(n, 1) < 0.5).double()\n"
            f"estimate = calibration._calibration_bytes(n, bins, {strategy!r})",
            f"lrcore.{function}(p, y, n_bins=bins, strategy={strategy!r})",
        )
        for function in ("calibration_curve", "brier_decomposition")
        for strategy in ("uniform", "quantile")
        for shape, n, bins in (("bins", 1000, 2 * 10**6), ("samples", 2 * 10**6, 2 * 10**6))
    },
    "brier_decomposition-float32-samples": (
        "n = 10**6; p = torch.rand(n, 1); y = (torch.rand(n, 1) < 0.5).float()\n"
        "estimate = calibration._calibration_bytes(n, 10, 'uniform')",
        "lrcore.brier_decomposition(p, y)",
    ),
    "log_spaced-points": (
        "estimate = descent._log_spaced_bytes(10**6)",
        "descent.log_spaced(1e-300, 1e300, 10**6, 4)",
    ),
    "log_spaced-listed": (
        "estimate = descent._rounded_between_bytes(600, 4)",
        "descent.log_spaced(1e-300, 1e300, 10**9, 4)",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_measured_peak_is_within_the_estimate(server, case):
    setup, call = CASES[case]
    assert_estimate_holds(server.measure(IMPORTS + setup, call))


def test_cross_validate_on_40000_samples_stays_small(server):
    # Before: the AUC's (n_pos, n_neg) pair matrix, 3.2 GB at once, an allocator RuntimeError.
    setup = (
        "n = 40000; x = torch.randn(n, 5, dtype=torch.float64); y = (torch.rand(n, 1) < 0.5).double()\n"
        "folds = lrcore.stratified_k_fold(y, 2); train = lambda a, b: lrcore.fit_newton(a, b)[:2]\n"
        "estimate = resampling._bootstrap_metrics_bytes(n // 2, 1, n // 2)"
    )
    measured = server.measure(IMPORTS + setup, "lrcore.cross_validate(x, y, folds, train)")
    assert measured["error"] is None and measured["peak"] <= measured["estimate"] + 32 * MiB


# ---------------------------------------------------------------------------- refused before allocating

BOOK_SIZED = (
    "x = torch.randn(569, 30); y = (torch.rand(569, 1) < 0.5).float(); w = torch.zeros(30, 1); b = torch.zeros(1, 1)"
)

REFUSED = {
    "fit_minibatch-epochs": (
        BOOK_SIZED,
        "lrcore.fit_minibatch(x, y, w, b, 0.1, 10**8, 569, 0)",
        "fit_minibatch for num_epochs=100000000 (100000000 steps of batch_size=569), its History of 100000001 "
        "recorded steps x 128 bytes, its 100000000 rates (one per epoch) and its working memory, would need 15 GiB",
    ),
    "fit_minibatch-schedule": (  # a History that fits, but 10**8 rates of a schedule do not
        BOOK_SIZED,
        "lrcore.fit_minibatch(x, y, w, b, 0.1, 10**8, 569, 0, record_every=10**5)",
        "its History of 1001 recorded steps x 128 bytes, its 100000000 rates (one per epoch) and its working memory, "
        "would need 3.05 GiB of memory",
    ),
    "fit_minibatch-10**400": (
        BOOK_SIZED,
        "lrcore.fit_minibatch(x, y, w, b, 0.1, 10**400, 569, 0)",
        "fit_minibatch for num_epochs=an int of 401 digits (an int of 401 digits steps of batch_size=569)",
    ),
    "fit-10**400": (
        BOOK_SIZED,
        "lrcore.fit(x, y, w, b, 0.1, 10**400)",
        "fit for num_steps=an int of 401 digits, its History of an int of 401 digits recorded steps",
    ),
    "metrics_along_trajectory": (
        "k, n = 3 * 10**7, 50; x = torch.randn(n, 1); y = (torch.rand(n, 1) < 0.5).float()\n"
        "W = torch.randn(k, 1, 1); B = torch.randn(k, 1, 1)",
        "lrcore.metrics_along_trajectory(x, y, W, B)",
        "metrics_along_trajectory of 30000000 parameter sets on n=50 samples would need 1.47 GiB of memory",
    ),
    "calibration_curve-quantile": (
        "p = torch.rand(1000, 1, dtype=torch.float64); y = (torch.rand(1000, 1) < 0.5).double()",
        "lrcore.calibration_curve(p, y, n_bins=33 * 10**6, strategy='quantile')",
        "calibration_curve with n_bins=33000000 would need 4.43 GiB of memory",
    ),
    "log_spaced-points": (
        "",
        "descent.log_spaced(1e-300, 1e300, 2 * 10**7, 4)",
        "log_spaced with num=20000000 would need 2.46 GiB of memory",
    ),
    "stratified_k_fold": (
        "y = (torch.rand(1000, 1) < 0.5).double()",
        "lrcore.stratified_k_fold(y, 5, 100000)",
        "stratified_k_fold of 100000 repeats x 5 folds of n=1000 samples would need 6.1 GiB of memory",
    ),
    "bootstrap_confidence_intervals": (
        "s = torch.rand(1000, 1); y = (torch.rand(1000, 1) < 0.5).float()",
        "lrcore.bootstrap_confidence_intervals(s, y, num_resamples=10**6)",
        "bootstrap_confidence_intervals of 1000000 resamples of n=1000 scores would need 16.9 GiB of memory",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_allocates_nothing_first(server, case):
    setup, call, message = REFUSED[case]
    assert_refused_before_allocating(server.measure(IMPORTS + setup + "\nestimate = 0", call), message)


# ---------------------------------------------------------------------------- the estimates follow the budget


def test_every_budgeted_function_is_measured():
    # A new check_memory call without a case here fails: grep the package for its callers.
    callers = set()
    for path in (ROOT / "lrcore").rglob("*.py"):
        text = path.read_text()
        for line_number, line in enumerate(text.splitlines()):
            if "check_memory(" in line and "def check_memory" not in line:
                callers.add(f"{path.relative_to(ROOT)}:{_enclosing_function(text, line_number)}")
    assert callers == {
        "lrcore/calibration.py:calibration_curve",
        "lrcore/explorers/descent.py:log_spaced",
        "lrcore/landscape.py:loss_landscape",
        "lrcore/metrics.py:_check_trajectory_args",
        "lrcore/optim.py:_check_history_memory",
        "lrcore/resampling.py:_check_bootstrap_indices_args",
        "lrcore/resampling.py:bootstrap_confidence_intervals",
        "lrcore/resampling.py:bootstrap_metrics",
        "lrcore/resampling.py:stratified_k_fold",
    }


def _enclosing_function(text: str, line_number: int) -> str:
    for line in reversed(text.splitlines()[:line_number]):
        if line.startswith("def "):
            return line[4 : line.index("(")]
    return "<module>"


def test_the_budget_is_one_gib():
    assert _validation.MEMORY_BUDGET_BYTES == 2**30


# ---------------------------------------------------------------------------- what the fixes compute


def _mann_whitney(score: np.ndarray, label: np.ndarray) -> Fraction:
    """The AUC as an exact fraction: pairs (positive, negative) ranked right, ties 1/2 (a double loop)."""
    pos, neg = score[label == 1], score[label == 0]
    right = sum(Fraction(int((p > neg).sum())) + Fraction(int((p == neg).sum()), 2) for p in pos)
    return right / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(4))
def test_rank_auc_is_the_exact_mann_whitney_count_and_sklearns(seed):
    generator = torch.Generator().manual_seed(seed)
    n = 200
    score = (torch.rand(n, 1, generator=generator, dtype=torch.float64) * 8).round() / 8  # many ties
    label = (torch.rand(n, 1, generator=generator) < 0.4).double()
    indices = lrcore.bootstrap_indices(n, 50, seed)
    before = (score.clone(), label.clone(), indices.clone())
    auc = lrcore.bootstrap_metrics(score, label, indices)["roc_auc"]
    for r in range(indices.shape[0]):
        s, y = score[indices[r], 0].numpy(), label[indices[r], 0].numpy()
        if 0 < y.sum() < n:
            assert auc[r].item() == float(_mann_whitney(s, y))  # the exact ratio, rounded once
            assert auc[r].item() == pytest.approx(roc_auc_score(y, s), rel=1e-14, abs=0)
    assert all(torch.equal(a, b) for a, b in zip(before, (score, label, indices), strict=True))


def test_rank_auc_over_blocks_equals_one_resample_at_a_time():
    generator = torch.Generator().manual_seed(5)
    n = 3000  # 2**19 // 3000 = 174 resamples a block: 400 resamples take three blocks
    score = torch.rand(n, 1, generator=generator).round(decimals=2)
    label = (torch.rand(n, 1, generator=generator) < 0.3).float()
    indices = lrcore.bootstrap_indices(n, 400, 1)
    together = lrcore.bootstrap_metrics(score, label, indices)
    for r in (0, 173, 174, 399):
        alone = lrcore.bootstrap_metrics(score, label, indices[r : r + 1])
        assert all(torch.equal(together[k][r : r + 1], alone[k]) for k in together)


@pytest.mark.parametrize(
    ("low", "high", "digits"),
    [(0.1, 1, 3), (0.01, 30, 3), (0.0123, 7.77, 2), (1e-5, 3e-2, 4), (0.3333, 0.3334, 4), (2.5e-7, 9.1e3, 3)],
)
def test_log_spaced_past_its_density_lists_what_the_points_would_give(low, high, digits):
    # From num = 2 * ln(high / low) * 10**digits + 1 every rounded value between the ends is hit;
    # the reference rounds numpy's geomspace itself.
    dense = math.ceil(2 * math.log(high / low) * 10**digits) + 1
    for num in (dense, dense + 17, 3 * dense):
        reference = sorted({_html.round_significant(v, digits) for v in np.geomspace(low, high, num)})
        assert log_spaced(low, high, num, digits) == reference
    assert log_spaced(low, high, 10**9, digits) == reference


def test_log_spaced_of_a_billion_points_is_the_901_values():
    values = log_spaced(0.1, 1, 10**9)
    assert len(values) == 901 and values[0] == 0.1 and values[-1] == 1.0
    assert values == [round(0.1 + k / 1000, 3) for k in range(901)]
