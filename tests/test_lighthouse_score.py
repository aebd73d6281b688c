"""tools/lighthouse_score.py against the points Lighthouse's scoring formula is defined by."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from scipy.stats import lognorm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import lighthouse_score as ls  # noqa: E402


@pytest.mark.parametrize("name", sorted(ls.MOBILE))
def test_control_points(name):
    curve = ls.MOBILE[name]
    assert ls.log_normal_score(curve, curve.p10) == pytest.approx(0.9, abs=1e-12)
    assert ls.log_normal_score(curve, curve.median) == pytest.approx(0.5, abs=1e-12)
    # Rounded as Lighthouse reports them: exactly 0.9 and 0.5 (0.9 gets no boost).
    assert ls.metric_score(curve, curve.p10) == 0.9
    assert ls.metric_score(curve, curve.median) == 0.5


@pytest.mark.parametrize("name", sorted(ls.MOBILE))
def test_against_scipy_lognormal(name):
    """Between the bands, the score is the survival function of the log-normal distribution with
    median ``median`` whose 10th percentile is ``p10`` (an independent parameterisation)."""
    curve = ls.MOBILE[name]
    sigma = math.log(curve.median / curve.p10) / 1.2815515655446004  # Phi^-1(0.9)
    for factor in (0.3, 0.7, 1.0, 1.3, 2.0, 5.0):
        value = curve.median * factor
        expected = lognorm(s=sigma, scale=curve.median).sf(value)
        assert ls.log_normal_score(curve, value) == pytest.approx(expected, abs=1e-9)


def test_bands_boost_and_weights():
    tbt = ls.MOBILE["tbt"]
    assert ls.metric_score(tbt, 0) == 1.0
    assert ls.metric_score(tbt, 100) > 0.9
    assert ls.metric_score(tbt, 201) < 0.9
    assert ls.metric_score(tbt, 601) < 0.5
    # The boost: a raw 0.98 becomes 0.984, floored to 0.98; a raw 0.995 reaches 1.0.
    raw = ls.log_normal_score(tbt, 60)
    assert ls.metric_score(tbt, 60) == math.floor((raw + 0.05 * (raw - 0.9)) * 100) / 100
    assert sum(c.weight for c in ls.MOBILE.values()) == 100
    assert [ls.MOBILE[n].weight for n in ("fcp", "si", "lcp", "tbt", "cls")] == [10, 10, 25, 30, 25]
    # Every metric at its p10: 0.9; all perfect: 1; speed index defaults to LCP.
    assert ls.performance_score(1800, 2500, 200, 0.1, si_ms=3387) == pytest.approx(0.9)
    assert ls.performance_score(0, 0, 0, 0) == 1.0
    assert ls.performance_score(1000, 2000, 0, 0) == ls.performance_score(1000, 2000, 0, 0, si_ms=2000)
    # Only TBT at its median: 1 - 0.3 * 0.5.
    assert ls.performance_score(0, 0, 600, 0) == pytest.approx(0.85)
