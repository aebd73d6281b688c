"""lrcore.plotting: every helper draws on an Axes, returns it, and never calls plt.show()."""

from __future__ import annotations

import re

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
        "decision_boundary": lambda ax: lrcore.plot_decision_boundary(*_two_feature_model(), ax=ax),
        "decision_boundary_levels": lambda ax: lrcore.plot_decision_boundary(
            *_two_feature_model(), feature_names=("radius", "texture"), ax=ax, probability_levels=[0.1, 0.9]
        ),
        "roc_curve": lambda ax: lrcore.plot_roc_curve(*_roc(), ax=ax),
        "roc_curve_label": lambda ax: lrcore.plot_roc_curve(*_roc(), ax=ax, label="model"),
        "precision_recall_curve": lambda ax: lrcore.plot_precision_recall_curve(*_pr(), ax=ax),
        "precision_recall_curve_label": lambda ax: lrcore.plot_precision_recall_curve(*_pr(), ax=ax, label="model"),
    }


def _two_feature_model(dtype=torch.float32, w=(1.5, -0.8), b=0.3):
    """Two Gaussian blobs and a fixed model, independent of any fit."""
    g = torch.Generator().manual_seed(1)
    y = (torch.arange(40) % 2).to(dtype).reshape(-1, 1)
    x = torch.randn(40, 2, generator=g).to(dtype) + 1.5 * (2 * y - 1) * torch.tensor([1.0, -0.5], dtype=dtype)
    return x, y, torch.tensor([[w[0]], [w[1]]], dtype=dtype), torch.tensor([[b]], dtype=dtype)


def _roc():
    return torch.tensor([0.0, 0.0, 0.25, 0.5, 1.0]), torch.tensor([0.0, 0.5, 0.75, 1.0, 1.0])


def _pr():
    return torch.tensor([0.5, 2 / 3, 0.5, 1.0, 1.0]), torch.tensor([1.0, 1.0, 0.5, 0.5, 0.0])


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


def _boundary_line(ax):
    (line,) = [line for line in ax.lines if line.get_label().startswith("decision boundary")]
    return np.asarray(line.get_xdata(), dtype=np.float64), np.asarray(line.get_ydata(), dtype=np.float64)


@pytest.mark.parametrize(
    ("w", "b"),
    [((1.5, -0.8), 0.3), ((0.2, 3.0), -1.0), ((2.0, 0.0), 0.5), ((0.0, -1.0), 0.25), ((-1.0, -1.0), 0.0)],
    ids=["steep", "flat", "vertical", "horizontal", "diagonal"],
)
def test_plot_decision_boundary_line_satisfies_equation(dtype, w, b, assert_pure):
    x, y, w_t, b_t = _two_feature_model(dtype, w, b)
    ax = assert_pure(lrcore.plot_decision_boundary, x, y, w_t, b_t)
    x1, x2 = _boundary_line(ax)
    assert len(x1) > 10
    np.testing.assert_allclose(w[0] * x1 + w[1] * x2 + b, 0, atol=1e-5)
    # The line spans the data's range along the axis it is drawn on, and the view shows all the data.
    (xmin, xmax), (ymin, ymax) = ax.get_xlim(), ax.get_ylim()
    points = x.double().numpy()
    assert xmin < points[:, 0].min() and points[:, 0].max() < xmax
    assert ymin < points[:, 1].min() and points[:, 1].max() < ymax
    if abs(w[1]) >= abs(w[0]):
        assert x1.min() == pytest.approx(xmin) and x1.max() == pytest.approx(xmax)
    else:
        assert x2.min() == pytest.approx(ymin) and x2.max() == pytest.approx(ymax)


def test_plot_decision_boundary_classes_and_levels():
    x, y, w, b = _two_feature_model(torch.float64)
    ax = lrcore.plot_decision_boundary(x, y, w, b, feature_names=("radius", "texture"), probability_levels=[0.1, 0.9])
    assert ax.get_xlabel() == "radius" and ax.get_ylabel() == "texture"
    benign, malignant = ax.collections[:2]
    assert benign.get_label() == "benign (0)" and malignant.get_label() == "malignant (1)"
    np.testing.assert_allclose(benign.get_offsets(), x[y[:, 0] == 0].numpy())
    np.testing.assert_allclose(malignant.get_offsets(), x[y[:, 0] == 1].numpy())
    # Okabe-Ito colours and different markers: the classes stay apart without colour too.
    assert matplotlib.colors.same_color(benign.get_facecolor()[0], lrcore.plotting.COLORS["blue"])
    assert matplotlib.colors.same_color(malignant.get_facecolor()[0], lrcore.plotting.COLORS["orange"])
    assert benign.get_paths()[0].vertices.shape != malignant.get_paths()[0].vertices.shape
    # The p-level lines are where the logit equals log(p / (1 - p)).
    for level in (0.1, 0.9):
        (line,) = [line for line in ax.lines if line.get_label() == f"$p = {level:g}$"]
        logits = w[0, 0].item() * np.asarray(line.get_xdata()) + w[1, 0].item() * np.asarray(line.get_ydata())
        np.testing.assert_allclose(logits + b.item(), np.log(level / (1 - level)), atol=1e-10)


def test_plot_decision_boundary_of_a_fit(train64):
    # Two standardized features of the book's data and the model Newton's method fits on them.
    x, y = train64
    x2 = x[:, :2].contiguous()
    w, b, _ = lrcore.fit_newton(x2, y)
    x1, x2_line = _boundary_line(lrcore.plot_decision_boundary(x2, y, w, b))
    probabilities = lrcore.logistic_regression(torch.tensor(np.stack([x1, x2_line], axis=1)), w, b)
    np.testing.assert_allclose(probabilities.numpy(), 0.5, rtol=0, atol=1e-12)  # on the line p = 1/2


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"x": torch.zeros(5, 3)}, ValueError, "x must have shape (n, 2), got shape (5, 3)"),
        ({"w": torch.zeros(2, 1)}, ValueError, "w must not be zero"),
        ({"probability_levels": [0.5, 1.0]}, ValueError, "probability_levels must hold numbers in (0, 1), got 1.0"),
    ],
    ids=["three-features", "zero-w", "level-1"],
)
def test_plot_decision_boundary_rejects_what_it_cannot_draw(kwargs, exc, message):
    x, y, w, b = _two_feature_model()
    arguments = {"x": x, "y": y, "w": w, "b": b, **kwargs}
    with pytest.raises(exc, match="^" + re.escape(message)):
        lrcore.plot_decision_boundary(**arguments)
    assert plt.get_fignums() == []  # nothing drawn


def test_plot_roc_curve_data_and_chance_line_once():
    fpr, tpr = _roc()
    ax = lrcore.plot_roc_curve(fpr, tpr, label="A")
    ax = lrcore.plot_roc_curve(fpr, tpr**2, ax=ax, label="B")
    chance = [line for line in ax.lines if line.get_label() == "chance"]
    assert len(chance) == 1
    np.testing.assert_array_equal(chance[0].get_xdata(), [0, 1])
    curves = [line for line in ax.lines if line.get_label() in ("A", "B")]
    np.testing.assert_allclose(curves[0].get_xdata(), fpr.numpy())
    np.testing.assert_allclose(curves[0].get_ydata(), tpr.numpy())
    np.testing.assert_allclose(curves[1].get_ydata(), (tpr**2).numpy())
    assert not matplotlib.colors.same_color(curves[0].get_color(), curves[1].get_color())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["chance", "A", "B"]


def test_plot_precision_recall_curve_is_a_step_curve():
    precision, recall = _pr()
    ax = lrcore.plot_precision_recall_curve(precision, recall)
    (line,) = ax.lines
    assert line.get_drawstyle() == "steps-post"
    np.testing.assert_allclose(line.get_xdata(), recall.numpy())
    np.testing.assert_allclose(line.get_ydata(), precision.numpy())
    assert ax.get_xlabel() == "recall" and ax.get_ylabel() == "precision"
    assert ax.get_legend() is None


def test_curve_plots_from_lrcore_curves(test64, assert_pure):
    x, y = test64
    scores = x @ torch.linspace(-1, 1, 10, dtype=torch.float64).reshape(-1, 1)
    fpr, tpr, _ = lrcore.roc_curve(scores, y)
    ax = assert_pure(lrcore.plot_roc_curve, fpr, tpr, label="AUC")
    np.testing.assert_allclose(ax.lines[-1].get_xdata(), fpr.numpy())
    precision, recall, _ = lrcore.precision_recall_curve(scores, y)
    ax = assert_pure(lrcore.plot_precision_recall_curve, precision, recall)
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), precision.numpy())


def test_class_colors_one_per_class_exported():
    assert set(lrcore.CLASS_COLORS) == {"benign", "malignant"}
    assert lrcore.CLASS_COLORS["benign"] != lrcore.CLASS_COLORS["malignant"]
    # plot_decision_boundary draws the classes in the same colours as every other figure.
    ax = lrcore.plot_decision_boundary(*_two_feature_model())
    by_label = {c.get_label(): matplotlib.colors.to_hex(c.get_facecolor()[0]) for c in ax.collections}
    assert by_label["benign (0)"] == lrcore.CLASS_COLORS["benign"].lower()
    assert by_label["malignant (1)"] == lrcore.CLASS_COLORS["malignant"].lower()
    # So does the per-sample loss: the curve of target 1 (malignant) in the malignant colour.
    target_1, target_0 = lrcore.plot_bce_per_sample().lines[:2]
    assert matplotlib.colors.to_hex(target_1.get_color()) == lrcore.CLASS_COLORS["malignant"].lower()
    assert matplotlib.colors.to_hex(target_0.get_color()) == lrcore.CLASS_COLORS["benign"].lower()


def test_plot_loss_landscape_levels_and_log_scale():
    J, ws, bs = _landscape()
    J = J + 0.5  # positive, for the logarithmic scale
    finite_min, finite_max = J.min().item(), J.max().item()
    linear = lrcore.plot_loss_landscape(J, ws, bs, levels=7).collections[0]
    np.testing.assert_allclose(linear.levels, np.linspace(finite_min, finite_max, 7), rtol=1e-6)
    assert not isinstance(linear.norm, matplotlib.colors.LogNorm)
    logarithmic = lrcore.plot_loss_landscape(J, ws, bs, levels=7, log_scale=True).collections[0]
    np.testing.assert_allclose(logarithmic.levels, np.geomspace(finite_min, finite_max, 7), rtol=1e-6)
    assert isinstance(logarithmic.norm, matplotlib.colors.LogNorm)
    assert (logarithmic.norm.vmin, logarithmic.norm.vmax) == pytest.approx((finite_min, finite_max))


def test_plot_loss_landscape_shared_levels_ignore_holes():
    # Two panels given the same boundaries share one colour scale, whatever their own ranges;
    # NaN and inf entries are left out (blank), not drawn in the end colours.
    J, ws, bs = _landscape()
    holed = J.clone()
    holed[0, :3] = float("inf")
    holed[1, 0] = float("nan")
    shared = [0.1, 1.0, 5.0, 10.0, 40.0]
    contours = [lrcore.plot_loss_landscape(j, ws, bs, levels=shared, log_scale=True).collections[0] for j in (J, holed)]
    for contour in contours:
        np.testing.assert_array_equal(contour.levels, shared)
        assert (contour.norm.vmin, contour.norm.vmax) == (0.1, 40.0)
    finite = holed[torch.isfinite(holed)]
    assert contours[1].zmax == pytest.approx(finite.max().item())


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"levels": 1}, ValueError, "levels must be at least 2, got 1"),
        ({"levels": True}, TypeError, "levels must be an int or a sequence of numbers, got bool"),
        ({"levels": 2.5}, TypeError, "levels must be an int or a sequence of numbers, got float"),
        ({"levels": [1.0, 0.5]}, ValueError, "levels must hold at least 2 finite, increasing numbers, got [1.0, 0.5]"),
        (
            {"levels": 5, "log_scale": True},
            ValueError,
            "log_scale needs a positive J, got a smallest finite entry of 0.0",
        ),
        ({"levels": [0.0, 1.0], "log_scale": True}, ValueError, "log_scale needs positive levels, got 0.0 first"),
    ],
    ids=["one-level", "bool", "float", "decreasing", "log-of-zero-J", "log-of-zero-level"],
)
def test_plot_loss_landscape_rejects_bad_levels(kwargs, exc, message):
    J, ws, bs = _landscape()
    with pytest.raises(exc, match="^" + re.escape(message)):
        lrcore.plot_loss_landscape(J - J.min(), ws, bs, **kwargs)  # its smallest entry is 0
    assert plt.get_fignums() == []  # nothing drawn


def test_plot_loss_landscape_rejects_all_holes():
    J, ws, bs = _landscape()
    with pytest.raises(ValueError, match="^J must have at least one finite entry, got none$"):
        lrcore.plot_loss_landscape(torch.full_like(J, float("nan")), ws, bs)


def test_plot_loss_landscape_extends_only_where_values_leave_the_levels():
    J, ws, bs = _landscape()
    low, high = J.min().item(), J.max().item()
    cases = {
        "neither": [low, high],
        "min": [low + 1, high],
        "max": [low, high - 1],
        "both": [low + 1, high - 1],
    }
    for extend, levels in cases.items():
        assert lrcore.plot_loss_landscape(J, ws, bs, levels=levels).collections[0].extend == extend


def test_plot_loss_landscape_log_colour_bar_reads_plain_numbers():
    J, ws, bs = _landscape()
    ax = lrcore.plot_loss_landscape(J + 0.3, ws, bs, log_scale=True)
    colorbar_axes = [other for other in ax.figure.axes if other is not ax][0]
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in colorbar_axes.get_yticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"[0-9.]+", label) for label in labels), labels
