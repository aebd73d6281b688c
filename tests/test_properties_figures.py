"""Property-based tests of lrcore's figures, interactive explorers, data set and style (issue 22).

With hypothesis, for each function:

* plots: the Axes returned holds the data given, read back from its lines, contour set or
  step patches; a call without ``ax`` opens exactly one figure, a call with one opens none,
  and a refused call leaves no figure open (``plt.get_fignums()``);
* explorers: the numbers of :func:`explorers.descent_paths` are those of ``torch.optim.SGD``
  (with momentum) under autograd, those of :func:`explorers.threshold_sweep` are scikit-learn's;
  the HTML they emit holds the data as JSON and the text escaped, is the same on a second call
  and leaves no figure open;
* ``load_breast_cancer_means`` is scikit-learn's data set with malignant = 1, ``use_book_style``
  sets its settings and is idempotent;
* a broken argument raises ``TypeError`` or ``ValueError`` naming it, and leaves the other
  inputs unchanged.

Example counts are small in ``make unit`` (profile ``ci``) and 50 times larger in ``make fuzz``.
"""

from __future__ import annotations

import html
import json
import math
import re
from fractions import Fraction

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import sklearn.metrics as skm
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.axes import Axes
from sklearn.datasets import load_breast_cancer
from test_properties_api import DTYPES, SEEDS, _gen, _labels, assert_unchanged, examples, raises_naming, snapshot

import lrcore
from lrcore import explorers

# ============================================================================ helpers


class FigureCount:
    """The figures a call opened: ``with FigureCount() as opened: ...; opened.new`` (numbers)."""

    def __enter__(self):
        self.before = set(plt.get_fignums())
        return self

    def __exit__(self, *exc):
        self.new = sorted(set(plt.get_fignums()) - self.before)
        return False

    def close(self):
        for number in self.new:
            plt.close(number)


def _drawn(call, with_ax: bool):
    """Run ``call(ax)``: with a new Axes of our own (no figure may open) or None (exactly one opens)."""
    own = plt.subplots()[1] if with_ax else None
    try:
        with FigureCount() as opened:
            ax = call(own)
        assert isinstance(ax, Axes)
        if with_ax:
            assert ax is own and opened.new == [], "a call given an Axes opened a figure"
        else:
            assert opened.new == [ax.figure.number], f"expected one new figure, got {opened.new}"
        return ax
    except BaseException:
        plt.close("all")
        raise


def refused(arg: str, fn, *args, **kwargs) -> None:
    """A refused call names ``arg`` and leaves no figure behind."""
    try:
        with FigureCount() as opened:
            raises_naming(arg, fn, *args, **kwargs)
    finally:
        leaked = opened.new
        opened.close()
    assert leaked == [], f"{fn.__name__} left {len(leaked)} figure(s) open after refusing {arg}"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


RATES = st.lists(st.floats(0, 1), min_size=1, max_size=20)


# ============================================================================ plots


@examples(6)
@given(with_ax=st.booleans())
def test_plot_bce_per_sample_draws_both_losses(with_ax):
    plt.close("all")  # the last example's figures: the autouse fixture runs once per test, not per example
    ax = _drawn(lambda a: lrcore.plot_bce_per_sample(ax=a), with_ax)
    p = np.linspace(0.001, 0.999, 999)
    (x1, y1), (x0, y0) = ((line.get_xdata(), line.get_ydata()) for line in ax.lines[:2])
    np.testing.assert_allclose(x1, p, rtol=1e-12)
    np.testing.assert_allclose(y1, -np.log(p), rtol=1e-12)  # target 1
    np.testing.assert_allclose(x0, p, rtol=1e-12)
    np.testing.assert_allclose(y0, -np.log1p(-p), rtol=1e-12)  # target 0
    for bad in ("ax", 3, ax.figure):
        refused("ax", lrcore.plot_bce_per_sample, ax=bad)


@examples(12)
@given(seed=SEEDS, steps=st.integers(1, 25), with_val=st.booleans(), log_x=st.booleans(), with_ax=st.booleans())
def test_plot_loss_curves_draws_the_history(seed, steps, with_val, log_x, with_ax):
    plt.close("all")  # the last example's figures: the autouse fixture runs once per test, not per example
    g = _gen(seed)
    x = torch.randn(10, 2, generator=g, dtype=torch.float64)
    y = _labels(10, g)
    w, b = torch.zeros(2, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    val = {"x_val": x[:5], "y_val": y[:5]} if with_val else {}
    history = lrcore.fit(x, y, w, b, 0.5, steps, **val)
    before = snapshot({"train_loss": history.train_loss, "weights": history.weights})
    ax = _drawn(lambda a: lrcore.plot_loss_curves(history, ax=a, log_x=log_x), with_ax)
    curves = [line for line in ax.lines]
    assert len(curves) == 1 + with_val
    np.testing.assert_array_equal(curves[0].get_xdata(), history.steps.numpy())
    np.testing.assert_array_equal(curves[0].get_ydata(), history.train_loss.numpy())
    if with_val:
        np.testing.assert_array_equal(curves[1].get_ydata(), history.val_loss.numpy())
    assert ax.get_xscale() == ("symlog" if log_x else "linear")
    assert_unchanged(before, {"train_loss": history.train_loss, "weights": history.weights})
    for arg, bad in (("history", {"train_loss": [1.0]}), ("history", None), ("log_x", 1), ("ax", "ax")):
        refused(arg, lrcore.plot_loss_curves, **{"history": history, arg: bad})


@examples(12)
@given(
    seed=SEEDS,
    num_w=st.integers(2, 8),
    num_b=st.integers(2, 8),
    levels=st.integers(2, 12),
    log_scale=st.booleans(),
    explicit_levels=st.booleans(),
    with_ax=st.booleans(),
)
def test_plot_loss_landscape_draws_the_grid(seed, num_w, num_b, levels, log_scale, explicit_levels, with_ax):
    plt.close("all")  # the last example's figures: the autouse fixture runs once per test, not per example
    g = _gen(seed)
    J = torch.rand(num_w, num_b, generator=g, dtype=torch.float64) * 3 + 0.05
    ws = torch.sort(torch.randn(num_w, generator=g, dtype=torch.float64)).values + torch.arange(num_w) * 1e-3
    bs = torch.sort(torch.randn(num_b, generator=g, dtype=torch.float64)).values + torch.arange(num_b) * 1e-3
    x = torch.randn(8, 1, generator=g, dtype=torch.float64)
    zero = torch.zeros(1, 1, dtype=torch.float64)
    trajectory = lrcore.fit(x, _labels(8, g), zero, zero, 0.5, 5)
    spacing = np.geomspace if log_scale else np.linspace
    bounds = spacing(0.1, 3.0, levels)
    level_arg = bounds.tolist() if explicit_levels else levels
    args = {"J": J, "ws": ws, "bs": bs}
    before = snapshot(args)

    def call(ax):
        return lrcore.plot_loss_landscape(J, ws, bs, trajectory, ax=ax, levels=level_arg, log_scale=log_scale)

    ax = _drawn(call, with_ax)
    contour = ax.collections[0]
    expected = bounds if explicit_levels else spacing(J.min().item(), J.max().item(), levels)
    np.testing.assert_allclose(contour.levels, expected, rtol=1e-12)
    assert contour.zmin == J.min().item() and contour.zmax == J.max().item()
    # The whole grid is in view (the path may widen the view beyond it).
    assert ax.get_xlim()[0] <= ws[0].item() and ax.get_xlim()[1] >= ws[-1].item()
    assert ax.get_ylim()[0] <= bs[0].item() and ax.get_ylim()[1] >= bs[-1].item()
    assert len(ax.figure.axes) == 2  # the map and its colour bar
    path = ax.lines[1]  # a white halo, then the path itself
    np.testing.assert_array_equal(path.get_xdata(), trajectory.weights[:, 0, 0].numpy())
    np.testing.assert_array_equal(path.get_ydata(), trajectory.biases[:, 0, 0].numpy())
    assert_unchanged(before, args)
    for arg, bad in (
        ("J", J[:-1]),
        ("J", torch.full_like(J, math.nan)),
        ("J", "J"),
        ("ws", ws.flip(0)),
        ("bs", bs[:, None]),
        ("levels", 1),
        ("levels", [1.0, 0.5]),
        ("log_scale", "yes"),
        ("trajectory", {"w": 1}),
    ):
        refused(arg, lrcore.plot_loss_landscape, **{**args, arg: bad})
    assert_unchanged(before, args)


@examples(12)
@given(
    curves=st.dictionaries(
        st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1), RATES, min_size=1, max_size=5
    ),
    with_ax=st.booleans(),
)
def test_plot_metric_curves_draws_every_curve(curves, with_ax):
    plt.close("all")  # the last example's figures: the autouse fixture runs once per test, not per example
    given_curves = {name: list(values) for name, values in curves.items()}
    ax = _drawn(lambda a: lrcore.plot_metric_curves(curves, ax=a), with_ax)
    assert len(ax.lines) == len(curves)
    for line, (name, values) in zip(ax.lines, curves.items(), strict=True):
        assert line.get_label() == name
        np.testing.assert_array_equal(line.get_xdata(), np.arange(len(values)))
        np.testing.assert_array_equal(line.get_ydata(), np.array(values))
    assert curves == given_curves
    for bad in (
        list(curves.values()),
        {},
        {1: [0.5]},
        {"a": "0.5"},
        {"a": []},
        {"a": [[0.5]]},
        # Metrics are rates, as plot_roc_curve takes them: not NaN, not above 1, not below 0 (class 7).
        {"a": [0.5, math.nan]},
        {"a": [2.0]},
        {"a": [-0.5]},
    ):
        refused("curves", lrcore.plot_metric_curves, bad)


#: Two curves of rates in [0, 1] of one length.
TWO_RATES = st.integers(1, 20).flatmap(lambda n: st.tuples(*[st.lists(st.floats(0, 1), min_size=n, max_size=n)] * 2))


@examples(12)
@given(
    pair=TWO_RATES,
    as_type=st.sampled_from(["tensor32", "tensor64", "ndarray", "list"]),
    label=st.sampled_from([None, "model <a>"]),
    with_ax=st.booleans(),
)
def test_plot_roc_and_precision_recall_curves_draw_their_points(pair, as_type, label, with_ax):
    plt.close("all")  # the last example's figures: the autouse fixture runs once per test, not per example
    first, second = pair
    convert = {
        "tensor32": lambda v: torch.tensor(v, dtype=torch.float32),
        "tensor64": lambda v: torch.tensor(v, dtype=torch.float64),
        "ndarray": np.array,
        "list": list,
    }[as_type]
    a, b = convert(first), convert(second)
    expect_a = np.array(first, dtype=np.float32 if as_type == "tensor32" else np.float64)
    expect_b = np.array(second, dtype=np.float32 if as_type == "tensor32" else np.float64)

    ax = _drawn(lambda ax: lrcore.plot_roc_curve(a, b, ax=ax, label=label), with_ax)
    chance = [line for line in ax.lines if line.get_gid() == "chance"]
    curve = [line for line in ax.lines if line.get_gid() != "chance"]
    assert len(chance) == 1 and len(curve) == 1
    np.testing.assert_array_equal(curve[0].get_xdata(), expect_a)  # fpr across
    np.testing.assert_array_equal(curve[0].get_ydata(), expect_b)  # tpr up
    lrcore.plot_roc_curve(b, a, ax=ax)  # a second model on the same Axes: one chance line still
    assert len(ax.lines) == 3 and sum(line.get_gid() == "chance" for line in ax.lines) == 1
    if label is not None:
        assert label in [t.get_text() for t in ax.get_legend().get_texts()]

    ax = _drawn(lambda ax: lrcore.plot_precision_recall_curve(a, b, ax=ax, label=label), with_ax)
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), expect_b)  # recall across
    np.testing.assert_array_equal(line.get_ydata(), expect_a)  # precision up
    assert line.get_drawstyle() == "steps-post"
    assert first == list(first) and (not isinstance(a, torch.Tensor) or torch.equal(a, convert(first)))

    for fn, names in (
        (lrcore.plot_roc_curve, ("fpr", "tpr")),
        (lrcore.plot_precision_recall_curve, ("precision", "recall")),
    ):
        for position, name in enumerate(names):
            for bad in (first + [1.5], [math.nan] * len(first), [-0.1] * len(first), "0.5", None, [[0.5]], []):
                args = [a, b]
                args[position] = bad
                refused(name, fn, *args)
        refused("label", fn, a, b, label=3)
        refused("ax", fn, a, b, ax="ax")


@examples(10)
@given(
    seed=SEEDS,
    n=st.integers(1, 60),
    n_bins=st.integers(1, 12),
    strategy=st.sampled_from(["uniform", "quantile"]),
    mode=st.sampled_from(["new", "ax", "both"]),
    label=st.sampled_from([None, "model"]),
)
def test_plot_reliability_diagram_draws_the_curve_and_counts(seed, n, n_bins, strategy, mode, label):
    plt.close("all")  # the last example's figures: the autouse fixture runs once per test, not per example
    g = _gen(seed)
    curve = lrcore.calibration_curve(
        torch.rand(n, 1, generator=g, dtype=torch.float64), torch.randint(0, 2, (n, 1), generator=g), n_bins, strategy
    )
    before = snapshot(curve._asdict())
    if mode == "both":
        fig, (own, counts_own) = plt.subplots(2, 1)
        with FigureCount() as opened:
            ax = lrcore.plot_reliability_diagram(curve, ax=own, counts_ax=counts_own, label=label)
        assert ax is own and opened.new == []
        counts_ax = counts_own
    else:
        ax = _drawn(lambda a: lrcore.plot_reliability_diagram(curve, ax=a, label=label), mode == "ax")
        others = [a for a in ax.figure.axes if a is not ax]
        counts_ax = others[0] if mode == "new" else None
        assert len(others) == (1 if mode == "new" else 0)
    (line,) = [line for line in ax.lines if line.get_gid() != "chance"]
    np.testing.assert_array_equal(line.get_xdata(), curve.mean_predicted.numpy())
    np.testing.assert_array_equal(line.get_ydata(), curve.fraction_positive.numpy())
    if counts_ax is not None:
        per_bin = np.zeros(len(curve.edges) - 1)
        per_bin[curve.bins.numpy()] = curve.counts.numpy()
        for patch in counts_ax.patches:
            values, edges, _ = patch.get_data()
            np.testing.assert_array_equal(values, per_bin)
            np.testing.assert_array_equal(edges, curve.edges.numpy())
        assert len(counts_ax.patches) == 2
        assert per_bin.sum() == n
    assert_unchanged(before, curve._asdict())

    k = len(curve.counts)
    refused("counts_ax", lrcore.plot_reliability_diagram, curve, counts_ax=plt.subplots()[1])
    own = plt.subplots()[1]
    refused("counts_ax", lrcore.plot_reliability_diagram, curve, ax=own, counts_ax=own)
    refused("label", lrcore.plot_reliability_diagram, curve, label=1.0)
    broken = [
        ("curve", curve[:4]),
        ("curve", tuple(curve)),
        ("curve", None),
        ("curve.counts", curve._replace(counts=curve.counts[:-1] if k > 1 else curve.counts.repeat(2))),
        ("curve.bins", curve._replace(bins=curve.bins * 0 + len(curve.edges) - 1)),  # beyond the last bin
        ("curve.edges", curve._replace(edges=curve.edges.flip(0))),
        ("curve.fraction_positive", curve._replace(fraction_positive=curve.fraction_positive * math.nan)),
        # Counts that are not counts, a bin twice, edges that are not numbers: issue 22's class 7.
        ("curve.counts", curve._replace(counts=curve.counts.double().fill_(math.nan))),
        ("curve.counts", curve._replace(counts=curve.counts.double().fill_(math.inf))),
        ("curve.counts", curve._replace(counts=-curve.counts)),
        *([("curve.bins", curve._replace(bins=curve.bins * 0))] if k > 1 else []),
        ("curve.edges", curve._replace(edges=curve.edges * math.inf)),
    ]
    for arg, bad in broken:
        refused(arg, lrcore.plot_reliability_diagram, bad)


@examples(6)
@given(dpi=st.integers(30, 300), grid=st.booleans(), facecolor=st.sampled_from(["black", "none", "#123456"]))
def test_use_book_style_sets_its_settings_idempotently(dpi, grid, facecolor):
    documented = {
        "figure.dpi": 100,
        "figure.facecolor": "white",  # opaque: black text stays legible in dark mode
        "savefig.facecolor": "white",
        "axes.grid": True,
    }
    with matplotlib.rc_context({"figure.dpi": dpi, "axes.grid": grid, "figure.facecolor": facecolor}):
        before = dict(plt.rcParams)
        assert lrcore.use_book_style() is None
        once = dict(plt.rcParams)
        lrcore.use_book_style()
        assert dict(plt.rcParams) == once  # idempotent
        for key, value in documented.items():
            assert once[key] == value, key
        # ...and touches nothing else.
        changed = {key for key in once if once[key] != before[key]}
        assert changed <= {*documented, "axes.titlesize", "axes.labelsize", "legend.fontsize", "grid.alpha"}


# ============================================================================ data


@examples(6)
@given(row=st.integers(0, 568), column=st.integers(0, 9))
def test_load_breast_cancer_means_is_sklearns_with_malignant_one(row, column):
    X, y = lrcore.load_breast_cancer_means()
    bunch = load_breast_cancer()
    means = [i for i, name in enumerate(bunch.feature_names) if name.startswith("mean ")]
    assert list(X.columns) == [bunch.feature_names[i] for i in means] and X.shape == (569, 10)
    np.testing.assert_array_equal(X.to_numpy(), bunch.data[:, means])
    assert X.iloc[row, column] == bunch.data[row, means[column]]
    np.testing.assert_array_equal(y.to_numpy(), 1 - bunch.target)  # scikit-learn's 0 is malignant
    assert y.name == lrcore.TARGET_NAME == "malignant" and int(y.sum()) == 212
    assert bool((y.to_numpy() == 1).sum() == (bunch.target == 0).sum())
    # Each call returns its own copy: changing one leaves the next call's untouched.
    X.iloc[row, column] = -1.0
    y.iloc[row] = 7
    X2, y2 = lrcore.load_breast_cancer_means()
    assert X2.iloc[row, column] == bunch.data[row, means[column]] and y2.iloc[row] == 1 - bunch.target[row]


# ============================================================================ explorers


def _significant(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits by numpy's exact decimal conversion."""
    return float(np.format_float_positional(value, precision=digits, unique=False, fractional=False, trim="k"))


@examples(30)
@given(
    low=st.floats(1e-6, 1e3),
    ratio=st.floats(1.001, 1e6),
    num=st.integers(2, 60),
    digits=st.integers(1, 4),
)
def test_log_spaced_is_a_rounded_geometric_grid(low, ratio, num, digits):
    high = low * ratio
    got = explorers.log_spaced(low, high, num, digits)
    assert got == explorers.log_spaced(low, high, num, digits)
    expected = sorted({_significant(v, digits) for v in np.geomspace(low, high, num)})
    assert got == expected
    assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in got)
    assert all(a < b for a, b in zip(got, got[1:], strict=False)) and 1 <= len(got) <= num
    assert got[0] == pytest.approx(low, rel=10 ** (1 - digits)) and got[-1] == pytest.approx(
        high, rel=10 ** (1 - digits)
    )
    for value in got:  # at most `digits` significant digits
        assert float(f"{value:.{digits}g}") == value


@pytest.mark.parametrize(
    ("arg", "kwargs"),
    [
        ("low", {"low": 0.0}),
        ("low", {"low": -1.0}),
        ("low", {"low": math.nan}),
        ("low", {"low": "0.1"}),
        ("high", {"high": 0.05}),
        ("high", {"high": math.inf}),
        ("num", {"num": 1}),
        ("num", {"num": 3.0}),
        ("num", {"num": True}),
        ("digits", {"digits": 0}),
        ("digits", {"digits": 5}),
        ("digits", {"digits": None}),
    ],
)
@examples(1)
@given(st.just(None))
def test_log_spaced_refuses_naming_the_argument(arg, kwargs, _):
    raises_naming(arg, explorers.log_spaced, **{"low": 0.1, "high": 1.0, "num": 5, **kwargs})


def _sgd_paths(x, y, w, b, rates, moms, num_steps, steps):
    """torch.optim.SGD (heavy ball) under autograd for each setting: (weights, biases, losses) at ``steps``."""
    shape = (len(rates), len(moms), len(steps))
    weights, biases, losses = np.empty(shape), np.empty(shape), np.empty(shape)
    for r, rate in enumerate(rates):
        for m, momentum in enumerate(moms):
            wk, bk = w.double().clone().requires_grad_(), b.double().clone().requires_grad_()
            optimizer = torch.optim.SGD([wk, bk], lr=rate, momentum=momentum)
            record = []
            for _ in range(num_steps + 1):
                optimizer.zero_grad()
                loss = F.binary_cross_entropy_with_logits(x.double() @ wk + bk, y.double())
                record.append((wk.item(), bk.item(), loss.item()))
                loss.backward()
                optimizer.step()
            for f, step in enumerate(steps):
                weights[r, m, f], biases[r, m, f], losses[r, m, f] = record[step]
    return weights, biases, losses


@examples(12)
@given(
    seed=SEEDS,
    n=st.integers(4, 20),
    rates=st.lists(st.sampled_from([0.01, 0.1, 0.5, 1.0, 3.0]), min_size=1, max_size=3, unique=True),
    moms=st.lists(st.sampled_from([0.0, 0.5, 0.9]), min_size=1, max_size=2, unique=True),
    num_steps=st.integers(1, 15),
    dtype=DTYPES,
)
def test_descent_paths_against_sgd_with_momentum(seed, n, rates, moms, num_steps, dtype):
    rates, moms = sorted(rates), sorted(moms)
    g = _gen(seed)
    x = torch.randn(n, 1, generator=g, dtype=torch.float64).to(dtype)
    y = _labels(n, g, dtype)
    w, b = torch.randn(1, 1, generator=g, dtype=dtype), torch.randn(1, 1, generator=g, dtype=dtype)
    steps = sorted({0, num_steps, *torch.randint(0, num_steps + 1, (3,), generator=g).tolist()})
    args = {"x": x, "y": y, "w": w, "b": b, "learning_rates": rates, "momenta": moms, "steps": steps}
    before = snapshot(args)
    paths = explorers.descent_paths(x, y, w, b, rates, moms, num_steps, steps)
    weights, biases, losses = _sgd_paths(x, y, w, b, rates, moms, num_steps, steps)
    np.testing.assert_array_equal(paths.learning_rates, rates)
    np.testing.assert_array_equal(paths.momenta, moms)
    np.testing.assert_array_equal(paths.steps, steps)
    np.testing.assert_allclose(paths.weights, weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(paths.biases, biases, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(paths.losses, losses, rtol=1e-9, atol=1e-12)
    assert np.isfinite(paths.losses).all()
    assert_unchanged(before, args)

    valid = {
        "x": x,
        "y": y,
        "w": w,
        "b": b,
        "learning_rates": rates,
        "momenta": moms,
        "num_steps": num_steps,
        "steps": steps,
    }
    for arg, bad in (
        ("x", torch.cat([x, x], 1)),
        ("x", x.numpy()),
        ("y", _labels(n, g, dtype) * 0.5),
        ("y", y[:-1]),
        ("w", torch.zeros(2, 1, dtype=dtype)),
        ("b", b * math.nan),
        ("learning_rates", [0.1, 0.1]),
        ("learning_rates", []),
        ("learning_rates", [0.0]),
        ("learning_rates", "0.1"),
        ("momenta", [1.0]),
        ("momenta", [0.5, 0.2]),
        ("num_steps", 0),
        ("steps", [0, num_steps + 1]),
        ("steps", [1, 0]),
        ("steps", [0.5]),
    ):
        raises_naming(arg, explorers.descent_paths, **{**valid, arg: bad})
    assert_unchanged(before, args)


def _json(pattern: str, page: str) -> dict:
    (text,) = re.findall(pattern, page, flags=re.S)
    assert "<" not in text  # no "</script>" can end the data early
    return json.loads(text)


DESCRIPTIONS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40).map(
    lambda s: "A <b>figure</b> & 'its' \"text\" " + s
)


@examples(3)
@given(
    seed=SEEDS,
    rates=st.lists(st.sampled_from([0.05, 0.3, 1.0, 4.0]), min_size=1, max_size=3, unique=True),
    moms=st.lists(st.sampled_from([0.0, 0.5]), min_size=1, max_size=2, unique=True),
    num_steps=st.integers(1, 40),
    description=DESCRIPTIONS,
    num_frames=st.integers(2, 12),
)
def test_descent_explorer_emits_its_data_and_escaped_text(seed, rates, moms, num_steps, description, num_frames):
    rates, moms = sorted(rates), sorted(moms)
    g = _gen(seed)
    x = torch.randn(16, 1, generator=g, dtype=torch.float64)
    y = (x + 0.8 * torch.randn(16, 1, generator=g, dtype=torch.float64) > 0).double()
    y[x.argmax()], y[x.argmin()] = 0, 1  # not separable: the minimum that the map marks exists
    w, b = torch.tensor([[-2.0]], dtype=torch.float64), torch.tensor([[1.5]], dtype=torch.float64)
    kwargs = {
        "name": "test-descent",
        "learning_rates": rates,
        "momenta": moms,
        "num_steps": num_steps,
        "w_range": (-4.0, 4.0),
        "b_range": (-3.0, 3.0),
        "description": description,
        "initial_learning_rate": rates[-1],
        "num_frames": num_frames,
    }
    args = {"x": x, "y": y, "w": w, "b": b}
    before = snapshot(args)
    with FigureCount() as opened:
        figure = explorers.descent_explorer(x, y, w, b, **kwargs)
    assert opened.new == [], "the explorer left its static figure open"
    page = figure._repr_html_()
    assert html.escape(description) in page and description not in page  # escaped, never raw
    assert description in figure.text and repr(figure) == figure.text
    data = _json(r'<script type="application/json" class="lrx-data">(.*?)</script>', page)
    steps = explorers.frame_steps(num_steps, num_frames)
    assert data["rates"] == rates and data["momenta"] == moms and data["steps"] == steps
    assert data["initial"] == [len(rates) - 1, 0, len(steps) - 1]
    weights, biases, losses = _sgd_paths(x, y, w, b, rates, moms, num_steps, steps)
    for r in range(len(rates)):
        for m in range(len(moms)):
            shown = data["loss"][r * len(moms) + m]
            for got, want in zip(shown, losses[r, m], strict=True):
                assert got == pytest.approx(want, rel=1e-3)  # 4 significant digits
            w_shown = data["w"][r * len(moms) + m]
            inside = (np.abs(weights[r, m]) <= 4) & (np.abs(biases[r, m]) <= 3)
            for got, want, ok in zip(w_shown, weights[r, m], inside, strict=True):
                assert not ok or got == pytest.approx(want, rel=1e-3, abs=1e-12)
    assert explorers.descent_explorer(x, y, w, b, **kwargs).html == page  # the same bytes again
    assert_unchanged(before, args)

    for arg, bad in (
        ("name", "Bad Name"),
        ("name", None),
        ("description", ""),
        ("description", 3),
        ("w_range", (4.0, -4.0)),
        ("b_range", (0.0, math.nan)),
        ("learning_rates", [0.12345]),
        ("initial_learning_rate", 123.0),
        ("initial_momentum", 0.25),
        ("num_frames", 1),
        ("num_steps", 0),
    ):
        refused(arg, explorers.descent_explorer, x, y, w, b, **{**kwargs, arg: bad})
    assert_unchanged(before, args)


@examples(20)
@given(
    seed=SEEDS,
    n=st.integers(2, 40),
    thresholds=st.lists(st.floats(0.001, 0.999), min_size=2, max_size=12, unique=True).map(sorted),
    costs=st.one_of(st.none(), st.tuples(st.floats(0, 1e3), st.floats(0, 1e3)), st.tuples(*[st.floats(0, 1e308)] * 2)),
    dtype=DTYPES,
)
def test_threshold_sweep_against_sklearn(seed, n, thresholds, costs, dtype):
    g = _gen(seed)
    logits = (torch.randn(n, 1, generator=g, dtype=torch.float64) * 3).to(dtype)
    y_true = _labels(n, g, dtype)
    cost = {} if costs is None else {"cost_fn": costs[0], "cost_fp": costs[1]}
    args = {"logits": logits, "y_true": y_true}
    before = snapshot(args)
    sweep = explorers.threshold_sweep(logits, y_true, thresholds, **cost)
    assert sweep.thresholds == tuple(thresholds)
    truth = y_true.numpy().ravel().astype(int)
    probability = torch.sigmoid(logits).numpy().ravel()  # compared in the logits' dtype, as predict does
    for k, t in enumerate(thresholds):
        flagged = (probability >= np.asarray(t, dtype=probability.dtype)).astype(int)
        tn, fp, fn, tp = skm.confusion_matrix(truth, flagged, labels=[0, 1]).ravel().tolist()
        assert sweep.counts[k] == (tn, fp, fn, tp)
        metrics = sweep.metrics[k]
        assert metrics["accuracy"] == pytest.approx(skm.accuracy_score(truth, flagged))
        assert metrics["recall"] == pytest.approx(skm.recall_score(truth, flagged))
        assert metrics["f1"] == pytest.approx(skm.f1_score(truth, flagged, zero_division=0.0))
        if tp + fp == 0:
            assert metrics["precision"] is None  # 0/0: undefined, not 0
        else:
            assert metrics["precision"] == pytest.approx(skm.precision_score(truth, flagged))
        if costs is None:
            assert sweep.costs is None
        else:
            # Exactly, in rationals: costs up to 1e308 overflow the products, never the mean cost.
            exact = float((Fraction(costs[0]) * fn + Fraction(costs[1]) * fp) / n)
            assert math.isfinite(sweep.costs[k]) and sweep.costs[k] == pytest.approx(exact, rel=1e-12, abs=1e-300)
    fpr, tpr, _ = skm.roc_curve(truth, logits.double().numpy().ravel())
    np.testing.assert_allclose(sweep.roc[0].numpy(), fpr, rtol=1e-6)
    np.testing.assert_allclose(sweep.roc[1].numpy(), tpr, rtol=1e-6)
    precision, recall, _ = skm.precision_recall_curve(truth, logits.double().numpy().ravel())
    np.testing.assert_allclose(sweep.pr[0].numpy(), precision, rtol=1e-6)
    np.testing.assert_allclose(sweep.pr[1].numpy(), recall, rtol=1e-6)
    assert_unchanged(before, args)

    for arg, bad in (
        ("logits", logits * math.nan),
        ("logits", logits.reshape(-1)),
        ("logits", logits.tolist()),
        ("y_true", torch.zeros_like(y_true)),  # one class: no ROC curve
        ("y_true", y_true * 0.5),
        ("y_true", y_true[:-1]),
        ("thresholds", thresholds[:1]),
        ("thresholds", thresholds[::-1]),
        ("thresholds", [0.0, *thresholds]),
        ("thresholds", [*thresholds, 1.0]),
        ("thresholds", "0.5"),
        ("thresholds", [0.2, math.nan]),
        ("cost_fn", -1.0),
        ("cost_fp", math.inf),
    ):
        extra = {"cost_fn": 1.0, "cost_fp": 1.0} if arg.startswith("cost") else {}
        call = {"logits": logits, "y_true": y_true, "thresholds": thresholds, **extra, arg: bad}
        raises_naming(arg, explorers.threshold_sweep, **call)
    raises_naming("cost_fp", explorers.threshold_sweep, logits, y_true, thresholds, cost_fn=1.0)
    assert_unchanged(before, args)


@examples(3)
@given(
    seed=SEEDS,
    n=st.integers(4, 40),
    thresholds=st.one_of(
        st.lists(st.integers(1, 999), min_size=2, max_size=15, unique=True).map(
            lambda v: [k / 1000 for k in sorted(v)]
        ),
        # Neighbours that agree to 6 decimals (0.5, 0.5000001, ...): the page must still tell them apart.
        st.lists(st.integers(0, 10**6), min_size=2, max_size=15, unique=True).map(
            lambda v: [0.5 + k * 1e-7 for k in sorted(v)]
        ),
    ),
    initial_index=st.integers(0, 14),
    description=DESCRIPTIONS,
    with_costs=st.booleans(),
)
def test_threshold_explorer_emits_its_data_and_escaped_text(
    seed, n, thresholds, initial_index, description, with_costs
):
    g = _gen(seed)
    logits = torch.randn(n, 1, generator=g, dtype=torch.float64) * 2
    y_true = _labels(n, g)
    initial = thresholds[initial_index % len(thresholds)]
    costs = {"cost_fn": 5.0, "cost_fp": 1.0} if with_costs else {}
    kwargs = {
        "name": "test-threshold",
        "description": description,
        "thresholds": thresholds,
        "initial": initial,
        **costs,
    }
    args = {"logits": logits, "y_true": y_true}
    before = snapshot(args)
    with FigureCount() as opened:
        figure = explorers.threshold_explorer(logits, y_true, **kwargs)
    assert opened.new == []
    page = figure._repr_html_()
    assert html.escape(description) in page and description not in page
    assert figure.text == description
    data = _json(r'<script type="application/json" id="lrx-test-threshold-data">(.*?)</script>', page)
    sweep = explorers.threshold_sweep(logits, y_true, thresholds, **costs)
    shown = data["thresholds"]
    decimals = len(shown[0].split(".")[1])
    assert len(set(shown)) == len(thresholds) and all(len(t.split(".")[1]) == decimals for t in shown)
    for text, value in zip(shown, thresholds, strict=True):  # each to the decimals that tell them apart
        assert float(text) == pytest.approx(value, rel=0, abs=0.5 * 10**-decimals * (1 + 1e-9))
    if all(round(t, 3) == t for t in thresholds):
        assert [float(t) for t in shown] == thresholds  # a grid of 0.001 is written exactly
    assert data["initial"] == thresholds.index(initial) and data["n"] == n
    assert data["positives"] == int(y_true.sum())
    assert data["counts"] == [list(c) for c in sweep.counts]
    for key in ("recall", "f1", "accuracy"):
        assert data["shown"][key] == [f"{m[key]:.3f}" for m in sweep.metrics]
    assert ("cost" in data["shown"]) == with_costs
    assert explorers.threshold_explorer(logits, y_true, **kwargs).html == page  # the same bytes again
    assert_unchanged(before, args)

    for arg, bad in (
        ("name", "x y"),
        ("name", 7),
        ("description", ""),
        ("description", None),
        ("initial", 0.0005),
        ("initial", "0.5"),
        ("thresholds", [0.5]),
        ("logits", logits * math.inf),
        ("y_true", torch.ones_like(y_true)),
    ):
        refused(arg, explorers.threshold_explorer, logits, y_true, **{**kwargs, arg: bad})
    assert_unchanged(before, args)
