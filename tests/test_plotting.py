"""lrcore.plotting: every helper draws on an Axes, returns it, and never calls plt.show()."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes

import lrcore


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    def show(*args, **kwargs):
        raise AssertionError("plt.show() must not be called by lrcore.plotting")

    monkeypatch.setattr(plt, "show", show)
    yield
    plt.close("all")


def _history(num_steps: int = 5, d: int = 1, with_val: bool = True) -> lrcore.History:
    g = torch.Generator().manual_seed(0)
    return lrcore.History(
        weights=torch.randn(num_steps + 1, d, 1, generator=g),
        biases=torch.randn(num_steps + 1, 1, 1, generator=g),
        train_loss=torch.linspace(1.0, 0.2, num_steps),
        val_loss=torch.linspace(1.1, 0.3, num_steps) if with_val else None,
    )


def _landscape():
    # A small grid of a known bowl, independent of lrcore: J = (w - 1)^2 + (b + 2)^2.
    ws = torch.linspace(-3, 3, 9)
    bs = torch.linspace(-4, 2, 11)
    J = (ws[:, None] - 1) ** 2 + (bs[None, :] + 2) ** 2
    return J, ws, bs


def _calls():
    J, ws, bs = _landscape()
    return {
        "sigmoid": lambda ax: lrcore.plot_sigmoid(ax=ax),
        "bce_per_sample": lambda ax: lrcore.plot_bce_per_sample(ax=ax),
        "landscape": lambda ax: lrcore.plot_loss_landscape(J, ws, bs, ax=ax),
        "landscape_with_path": lambda ax: lrcore.plot_loss_landscape(J, ws, bs, trajectory=_history(), ax=ax),
        "loss_curves": lambda ax: lrcore.plot_loss_curves(_history(), ax=ax),
        "loss_curves_log": lambda ax: lrcore.plot_loss_curves(_history(with_val=False), ax=ax, log_x=True),
        "metric_curves": lambda ax: lrcore.plot_metric_curves({"accuracy": [0.5, 0.7, 0.9]}, ax=ax),
        "confusion_matrix": lambda ax: lrcore.plot_confusion_matrix(torch.tensor([[50, 3], [4, 57]]), ax=ax),
    }


@pytest.mark.parametrize("name", list(_calls()))
def test_returns_new_axes_without_show(name):
    before = set(plt.get_fignums())
    ax = _calls()[name](None)
    assert isinstance(ax, Axes)
    assert set(plt.get_fignums()) - before == {ax.figure.number}  # exactly one new figure


@pytest.mark.parametrize("name", list(_calls()))
def test_draws_on_given_axes(name):
    fig, given = plt.subplots()
    ax = _calls()[name](given)
    assert ax is given
    assert plt.get_fignums() == [fig.number]  # no extra figure
    assert ax.has_data() or ax.images or ax.texts


def test_plot_sigmoid_data():
    ax = lrcore.plot_sigmoid(z_range=(-4, 6))
    z, s = ax.lines[0].get_data()
    assert z[0] == -4 and z[-1] == 6
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-np.asarray(z, dtype=np.float64))), rtol=1e-6)


def test_plot_bce_per_sample_data():
    ax = lrcore.plot_bce_per_sample()
    (p1, loss1), (p0, loss0) = (line.get_data() for line in ax.lines[:2])
    np.testing.assert_allclose(loss1, -np.log(p1), rtol=1e-12)
    np.testing.assert_allclose(loss0, -np.log(1 - np.asarray(p0)), rtol=1e-10)


def test_plot_loss_curves_data():
    history = _history(num_steps=6)
    ax = lrcore.plot_loss_curves(history)
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(6))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), history.train_loss.numpy())
    np.testing.assert_allclose(ax.lines[1].get_ydata(), history.val_loss.numpy())
    assert len(lrcore.plot_loss_curves(_history(with_val=False)).lines) == 1


def test_plot_loss_curves_from_fit():
    x = torch.tensor([[-1.0], [0.5], [2.0], [-0.3]])
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    history = lrcore.fit(x, y, torch.zeros(1, 1), torch.zeros(1, 1), 0.5, 10, x_val=x, y_val=y)
    ax = lrcore.plot_loss_curves(history, log_x=True)
    assert ax.get_xscale() == "symlog"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), history.train_loss.numpy())


def test_plot_loss_landscape_path_and_nan_hole():
    J, ws, bs = _landscape()
    J[0, 0] = float("nan")  # NaN entries stay blank, they must not break the colour scale
    history = _history(num_steps=4)
    ax = lrcore.plot_loss_landscape(J, ws, bs, trajectory=history)
    path_lines = [line for line in ax.lines if len(line.get_xdata()) == 5]
    assert path_lines
    np.testing.assert_allclose(path_lines[0].get_xdata(), history.weights[:, 0, 0].numpy())
    np.testing.assert_allclose(path_lines[0].get_ydata(), history.biases[:, 0, 0].numpy())


@pytest.mark.parametrize("num_curves", [1, 4, 6])
def test_plot_metric_curves_one_line_per_metric(num_curves):
    curves = {f"metric {k}": [0.1 * k, 0.1 * k + 0.05, 0.1 * k + 0.1] for k in range(num_curves)}
    ax = lrcore.plot_metric_curves(curves)
    # The docstring promises one line per metric.
    assert [line.get_label() for line in ax.lines] == list(curves)
    for line, values in zip(ax.lines, curves.values(), strict=True):
        np.testing.assert_allclose(line.get_ydata(), values)


def test_plot_metric_curves_accepts_tensors():
    ax = lrcore.plot_metric_curves({"recall": torch.tensor([0.2, 0.4, 0.8])})
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.2, 0.4, 0.8], rtol=1e-7)


def test_plot_confusion_matrix_annotations():
    cm = torch.tensor([[50, 3], [4, 57]])
    ax = lrcore.plot_confusion_matrix(cm)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["TN\n50", "FP\n3", "FN\n4", "TP\n57"])
    np.testing.assert_array_equal(ax.images[0].get_array(), cm.numpy())


def test_use_book_style_sets_documented_rcparams():
    with matplotlib.rc_context():  # restores the global settings afterwards
        assert lrcore.use_book_style() is None
        rc = matplotlib.rcParams
        # Opaque white figures keep black labels legible on a dark page (the docstring's reason).
        assert matplotlib.colors.same_color(rc["figure.facecolor"], "white")
        assert matplotlib.colors.same_color(rc["savefig.facecolor"], "white")
        assert rc["axes.grid"] is True
        ax = lrcore.plot_sigmoid()
        assert matplotlib.colors.same_color(ax.figure.get_facecolor(), "white")


def test_plotting_does_not_modify_inputs(assert_pure, dtype):
    J, ws, bs = (t.to(dtype) for t in _landscape())
    assert_pure(lrcore.plot_loss_landscape, J, ws, bs)
    assert_pure(lrcore.plot_confusion_matrix, torch.tensor([[5, 1], [2, 7]]))
    values = torch.tensor([0.1, 0.5, 0.9], dtype=dtype)
    lrcore.plot_metric_curves({"f1": values})
    assert values.tolist() == torch.tensor([0.1, 0.5, 0.9], dtype=dtype).tolist()
    history = _history(num_steps=3)
    snapshot = [history.weights.clone(), history.biases.clone(), history.train_loss.clone(), history.val_loss.clone()]
    lrcore.plot_loss_curves(history)
    lrcore.plot_loss_landscape(J.float(), ws.float(), bs.float(), trajectory=history)
    for before, after in zip(
        snapshot, [history.weights, history.biases, history.train_loss, history.val_loss], strict=True
    ):
        assert torch.equal(before, after)
