"""lrcore.explorers.threshold: the data it embeds against scikit-learn, its HTML, its arguments.

The browser side (the slider, the drawn point, dark mode, the fallback without JavaScript) is
tested in ``tests/browser/test_threshold_explorer.py`` on the built chapters.
"""

from __future__ import annotations

import base64
import functools
import html.parser
import json
import re
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
import torch

from lrcore.explorers import threshold_explorer, threshold_sweep
from lrcore.explorers._html import read_script

GRID = [round(k / 100, 2) for k in range(1, 100)]


def _data(n: int = 80, seed: int = 0, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels of a noisy model: both classes, ties broken (continuous scores)."""
    generator = torch.Generator().manual_seed(seed)
    logits = 2 * torch.randn(n, 1, generator=generator, dtype=dtype)
    y = (torch.rand(n, 1, generator=generator, dtype=dtype) < torch.sigmoid(1.5 * logits)).to(dtype)
    return logits, y


class _Parsed(html.parser.HTMLParser):
    """The elements of an HTML fragment: a stack check (every non-void tag closed in order), ids, scripts."""

    VOID = {"img", "input", "br", "meta", "link", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.text: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "script":
            self._script = attrs

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()
        self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self.scripts.append((self._script, data))
        elif self.stack and self.stack[-1] != "style":
            self.text.append(data)


def _parse(fragment: str) -> _Parsed:
    parser = _Parsed()
    parser.feed(fragment)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


def _embedded(fragment: str) -> dict:
    (data,) = [text for attrs, text in _parse(fragment).scripts if attrs.get("type") == "application/json"]
    return json.loads(data)


# ------------------------------------------------------------------------------- the numbers


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sweep_matches_sklearn_at_every_threshold(seed):
    logits, y = _data(seed=seed)
    sweep = threshold_sweep(logits, y, GRID, cost_fn=10, cost_fp=1)
    y_np = y.ravel().numpy().astype(int)
    p = 1 / (1 + np.exp(-logits.ravel().numpy()))  # numpy's sigmoid, independent of torch's
    assert sweep.thresholds == tuple(GRID)
    for t, counts, metrics, cost in zip(GRID, sweep.counts, sweep.metrics, sweep.costs, strict=True):
        y_pred = (p >= t).astype(int)
        tn, fp, fn, tp = skm.confusion_matrix(y_np, y_pred, labels=[0, 1]).ravel().tolist()
        assert counts == (tn, fp, fn, tp)
        assert metrics["recall"] == pytest.approx(skm.recall_score(y_np, y_pred), abs=1e-12)
        assert metrics["accuracy"] == pytest.approx(skm.accuracy_score(y_np, y_pred), abs=1e-12)
        assert metrics["f1"] == pytest.approx(skm.f1_score(y_np, y_pred, zero_division=0), abs=1e-12)
        if tp + fp:
            assert metrics["precision"] == pytest.approx(skm.precision_score(y_np, y_pred), abs=1e-12)
        else:
            assert metrics["precision"] is None
        assert cost == pytest.approx((10 * fn + fp) / len(y_np), abs=1e-15)
    sk_fpr, sk_tpr, _ = skm.roc_curve(y_np, logits.ravel().numpy())
    sk_precision, sk_recall, _ = skm.precision_recall_curve(y_np, logits.ravel().numpy())
    np.testing.assert_allclose(sweep.roc[0].numpy(), sk_fpr, atol=1e-15)
    np.testing.assert_allclose(sweep.roc[1].numpy(), sk_tpr, atol=1e-15)
    np.testing.assert_allclose(sweep.pr[0].numpy(), sk_precision, atol=1e-15)
    np.testing.assert_allclose(sweep.pr[1].numpy(), sk_recall, atol=1e-15)


def test_sweep_without_costs_has_none():
    logits, y = _data()
    sweep = threshold_sweep(logits, y, GRID)
    assert sweep.costs is None and sweep.cost_fn is None and sweep.cost_fp is None


def test_nothing_flagged_gives_undefined_precision_and_no_warning():
    """Above every probability no tumour is flagged: precision is 0/0, shown as undefined, not as 0."""
    logits = torch.tensor([[-3.0], [-2.0], [-1.0], [-1.5]], dtype=torch.float64)  # probabilities below 0.3
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=torch.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sweep = threshold_sweep(logits, y, [0.1, 0.5, 0.9])
        figure = threshold_explorer(logits, y, name="t", description="d", thresholds=[0.1, 0.5, 0.9], initial=0.1)
    assert caught == []
    assert sweep.counts[1] == (2, 0, 2, 0) and sweep.metrics[1]["precision"] is None
    assert sweep.metrics[0]["precision"] == pytest.approx(2 / 3)
    data = _embedded(figure.html)
    assert data["shown"]["precision"] == ["0.667", "undefined (0/0)", "undefined (0/0)"]
    assert data["points"][1][3] is None


def test_float32_and_float64_give_the_same_counts():
    logits, y = _data(dtype=torch.float64)
    a = threshold_sweep(logits, y, GRID)
    b = threshold_sweep(logits.float(), y.float(), GRID)
    assert a.counts == b.counts


# ------------------------------------------------------------------------------- the HTML


def _figure(**kwargs):
    logits, y = _data()
    options = {"name": "threshold-test", "description": "What it shows.", "cost_fn": 10, "cost_fp": 1}
    return threshold_explorer(logits, y, **{**options, **kwargs})


@functools.cache
def _default_figure():
    """One figure with the default arguments, drawn once for the tests that only read it."""
    return _figure()


def test_embedded_data_is_what_sklearn_gives_at_the_shown_precision():
    logits, y = _data()
    data = _embedded(_figure(thresholds=GRID, initial=0.5).html)
    y_np = y.ravel().numpy().astype(int)
    p = 1 / (1 + np.exp(-logits.ravel().numpy()))
    assert data["thresholds"] == [f"{t:.2f}" for t in GRID]
    assert data["initial"] == GRID.index(0.5)
    assert data["n"] == 80 and data["positives"] == int(y_np.sum())
    assert data["cost"] == {"fn": "10", "fp": "1"}
    for k, t in enumerate(GRID):
        y_pred = (p >= t).astype(int)
        tn, fp, fn, tp = skm.confusion_matrix(y_np, y_pred, labels=[0, 1]).ravel().tolist()
        assert data["counts"][k] == [tn, fp, fn, tp]
        assert data["shown"]["recall"][k] == f"{skm.recall_score(y_np, y_pred):.3f}"
        assert data["shown"]["f1"][k] == f"{skm.f1_score(y_np, y_pred, zero_division=0):.3f}"
        assert data["shown"]["accuracy"][k] == f"{skm.accuracy_score(y_np, y_pred):.3f}"
        assert data["shown"]["cost"][k] == f"{(10 * fn + fp) / 80:.3f}"
        if tp + fp:
            assert data["shown"]["precision"][k] == f"{skm.precision_score(y_np, y_pred):.3f}"
        fpr, tpr = fp / (fp + tn), tp / (tp + fn)
        assert data["points"][k][:3] == [round(fpr, 4), round(tpr, 4), round(tpr, 4)]
    sk_fpr, sk_tpr, _ = skm.roc_curve(y_np, logits.ravel().numpy())
    np.testing.assert_allclose(np.array(data["roc"]), np.column_stack([sk_fpr, sk_tpr]), atol=5e-5)
    sk_precision, sk_recall, _ = skm.precision_recall_curve(y_np, logits.ravel().numpy())
    np.testing.assert_allclose(np.array(data["pr"]), np.column_stack([sk_recall, sk_precision]), atol=5e-5)


def test_the_point_lies_on_the_roc_curve():
    """Every threshold's (FPR, TPR) is on the drawn polyline (a vertex, or on a segment dropped as straight)."""
    data = _embedded(_default_figure().html)
    roc = np.array(data["roc"])
    for fpr, tpr, *_ in data["points"]:
        distances = []
        for (x0, y0), (x1, y1) in zip(roc[:-1], roc[1:], strict=True):
            d = np.array([x1 - x0, y1 - y0])
            s = 0.0 if not d.any() else np.clip(np.dot([fpr - x0, tpr - y0], d) / np.dot(d, d), 0, 1)
            distances.append(np.hypot(fpr - (x0 + s * d[0]), tpr - (y0 + s * d[1])))
        assert min(distances) < 1e-4


def test_html_is_well_formed_and_self_contained():
    figure = _default_figure()
    parsed = _parse(figure.html)
    root_tag, root_attrs = parsed.tags[0]
    assert root_tag == "div" and root_attrs["id"] == "lrx-threshold-test"
    assert "lrx" in root_attrs["class"].split() and "lrx-threshold" in root_attrs["class"].split()
    assert len(parsed.ids) == len(set(parsed.ids)) and all(i.startswith("lrx-threshold-test") for i in parsed.ids)
    # No request leaves the page: no src or href but the inline image.
    for tag, attrs in parsed.tags:
        for key in ("src", "href"):
            assert key not in attrs or attrs[key].startswith("data:image/png;base64,"), (tag, attrs)
    (code,) = [text for attrs, text in parsed.scripts if "type" not in attrs]
    assert read_script("threshold.js") in code
    assert code.rstrip().endswith('lrThresholdExplorer(document.getElementById("lrx-threshold-test"));')
    # The interactive part is hidden until the script shows it; the description is visible text.
    live = [attrs for tag, attrs in parsed.tags if "lrx-live" in attrs.get("class", "").split()]
    assert len(live) == 1 and "hidden" in live[0]
    assert "What it shows." in "".join(parsed.text)
    assert repr(figure) == "What it shows." and figure._repr_html_() == figure.html


def test_fallback_image_is_a_png_without_version_metadata():
    figure = _figure(initial=0.3)
    parsed = _parse(figure.html)
    (img,) = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert "lrx-fallback" in img["class"].split()
    png = base64.b64decode(img["src"].removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in png and b"matplotlib" not in png.lower()
    counts = _embedded(figure.html)["counts"][GRID.index(0.3)]
    assert img["alt"].startswith("At threshold 0.30:")
    assert f"(TN {counts[0]}, FP {counts[1]}, FN {counts[2]}, TP {counts[3]})" in img["alt"]


def test_html_is_deterministic_and_depends_on_the_name():
    assert _figure().html == _default_figure().html
    other = _figure(name="another")
    assert 'id="lrx-another"' in other.html and "lrx-threshold-test" not in other.html


def test_description_is_escaped():
    figure = _figure(description="precision < 1 & recall > 0")
    assert "precision &lt; 1 &amp; recall &gt; 0" in figure.html
    assert repr(figure) == "precision < 1 & recall > 0"


def test_embedded_json_cannot_close_the_script():
    data = _default_figure().html.split('type="application/json"', 1)[1].split("</script>", 1)[0]
    assert "<" not in data


def test_without_costs_there_is_no_cost():
    data = _embedded(_figure(cost_fn=None, cost_fp=None).html)
    assert data["cost"] is None and "cost" not in data["shown"]


def test_inputs_are_not_modified():
    logits, y = _data()
    before = logits.clone(), y.clone()
    thresholds = list(GRID)
    _figure()
    threshold_sweep(logits, y, thresholds, cost_fn=10, cost_fp=1)
    assert torch.equal(logits, before[0]) and torch.equal(y, before[1]) and thresholds == GRID


def test_the_style_does_not_leak():
    """The fallback is drawn in the book's style inside an rc_context: the caller's settings survive."""
    import matplotlib

    with matplotlib.rc_context({"axes.grid": False, "figure.dpi": 55}):
        _figure()
        assert matplotlib.rcParams["axes.grid"] is False and matplotlib.rcParams["figure.dpi"] == 55


# ------------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"thresholds": 0.5}, TypeError, "thresholds must be a sequence of numbers in (0, 1), got float"),
        ({"thresholds": "0.5"}, TypeError, "thresholds must be a sequence of numbers in (0, 1), got str"),
        ({"thresholds": [0.5]}, ValueError, "thresholds must hold at least 2 values for a slider, got 1"),
        ({"thresholds": [0.0, 0.5]}, ValueError, "thresholds must lie in (0, 1), got 0.0"),
        ({"thresholds": [0.5, 1.0]}, ValueError, "thresholds must lie in (0, 1), got 1.0"),
        ({"thresholds": [0.2, 0.5, 0.5]}, ValueError, "thresholds must be strictly increasing, got 0.5 then 0.5"),
        ({"thresholds": [0.2, True]}, TypeError, "thresholds must be a real number, got bool"),
        ({"thresholds": [0.2, float("nan")]}, ValueError, "thresholds must lie in (0, 1), got nan"),
        ({"cost_fn": 10}, ValueError, "cost_fn and cost_fp must be given together or not at all"),
        ({"cost_fp": 1}, ValueError, "cost_fn and cost_fp must be given together or not at all"),
        ({"cost_fn": -1, "cost_fp": 1}, ValueError, "cost_fn must be a finite number >= 0, got -1.0"),
        ({"cost_fn": 1, "cost_fp": "1"}, TypeError, "cost_fp must be a real number, got str"),
    ],
)
def test_sweep_arguments(kwargs, error, message):
    logits, y = _data()
    with pytest.raises(error, match=re.escape(message)):
        threshold_sweep(logits, y, **kwargs)


def test_sweep_data_arguments():
    logits, y = _data()
    with pytest.raises(ValueError, match=re.escape("logits must be 2-D with shape (n, 1), got shape (80,)")):
        threshold_sweep(logits.ravel(), y)
    with pytest.raises(TypeError, match="logits must be a torch.Tensor"):
        threshold_sweep(logits.numpy(), y)
    with pytest.raises(ValueError, match=re.escape("logits and y_true must have the same number of rows")):
        threshold_sweep(logits[:-1], y)
    with pytest.raises(ValueError, match="y_true must contain only 0 and 1"):
        threshold_sweep(logits, 2 * y)
    with pytest.raises(ValueError, match="y_true must contain at least one negative sample"):
        threshold_sweep(logits, torch.ones_like(y))
    with pytest.raises(ValueError, match="y_true must contain at least one positive sample"):
        threshold_sweep(logits, torch.zeros_like(y))
    with pytest.raises(ValueError, match="logits must contain only finite values"):
        threshold_sweep(torch.full_like(logits, float("nan")), y)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": 3}, TypeError, "name must be a str, got int"),
        ({"name": "Bad Name"}, ValueError, "name must be 1 to 40 lower-case letters, digits or hyphens"),
        ({"description": None}, TypeError, "description must be a str, got NoneType"),
        ({"description": "  "}, ValueError, "description must say what the figure shows, got an empty string"),
        ({"initial": 0.505}, ValueError, "initial must be one of thresholds, got 0.505"),
        ({"initial": "0.5"}, TypeError, "initial must be a real number, got str"),
    ],
)
def test_explorer_arguments(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        _figure(**kwargs)
