"""An estimate of Lighthouse 12's mobile performance score, computed with Lighthouse's own scoring
formula from the metrics that ``tests/browser/mobile_profile.py`` measures. It is not Lighthouse
(which needs Node.js, which this project does not use): the metrics come from the project's own
measurement in Chromium under Lighthouse's mobile profile, and one of them is a stand-in (below).

Lighthouse scores each metric on a log-normal curve given by two control points, the metric's
value that scores 0.9 (``p10``, from HTTP Archive's 10th percentile) and the value that scores 0.5
(``median``); scores of 0.9 and above get a small boost (up to 0.005 at 1) and every metric's
score is floored to two decimals; the performance score is the weighted mean. Lighthouse 12's
mobile curves and weights (its ``core/audits/metrics/*.js`` and ``core/config/default-config.js``):

====================  ========  ========  ======
metric                p10       median    weight
====================  ========  ========  ======
first contentful p.   1,800 ms  3,000 ms  10
speed index           3,387 ms  5,800 ms  10
largest contentful p. 2,500 ms  4,000 ms  25
total blocking time   200 ms    600 ms    30
cumulative layout s.  0.1       0.25      25
====================  ========  ========  ======

Speed index needs a film strip of the loading page, which the project's measurement does not
record. Its stand-in is the largest contentful paint: speed index averages the time until each
part of the first screen is painted, and on these pages, text with no hero image, the first
screen is complete at its largest paint, so the average is at most that; LCP errs on the slow side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Curve:
    p10: float
    median: float
    weight: float


#: Lighthouse 12, mobile (form factor "mobile", the default).
MOBILE = {
    "fcp": Curve(p10=1800, median=3000, weight=10),
    "si": Curve(p10=3387, median=5800, weight=10),
    "lcp": Curve(p10=2500, median=4000, weight=25),
    "tbt": Curve(p10=200, median=600, weight=30),
    "cls": Curve(p10=0.1, median=0.25, weight=25),
}
#: erfc^-1(1/5): the standardised distance of p10 from the median.
INVERSE_ERFC_ONE_FIFTH = 0.9061938024368232


def log_normal_score(curve: Curve, value: float) -> float:
    """Lighthouse's ``getLogNormalScore``: 1 minus the log-normal CDF at ``value``, with 0.9 at
    ``p10`` and 0.5 at ``median``, kept within the band its value belongs to."""
    if value <= 0:
        return 1.0
    standardized = math.log(value / curve.median) * INVERSE_ERFC_ONE_FIFTH / -math.log(curve.p10 / curve.median)
    score = (1 - math.erf(standardized)) / 2
    if value <= curve.p10:
        return max(0.9, min(1.0, score))
    if value <= curve.median:
        return max(0.5, min(math.nextafter(0.9, 0), score))
    return max(0.0, min(math.nextafter(0.5, 0), score))


def metric_score(curve: Curve, value: float) -> float:
    """Lighthouse's ``Audit.computeLogNormalScore``: the boost above 0.9, floored to 2 decimals."""
    score = log_normal_score(curve, value)
    if score > 0.9:
        score += 0.05 * (score - 0.9)
    return math.floor(score * 100 + 1e-9) / 100


def performance_score(fcp_ms: float, lcp_ms: float, tbt_ms: float, cls: float, si_ms: float | None = None) -> float:
    """The weighted mean of the five metric scores; speed index defaults to LCP (module docstring)."""
    values = {"fcp": fcp_ms, "si": lcp_ms if si_ms is None else si_ms, "lcp": lcp_ms, "tbt": tbt_ms, "cls": cls}
    total = sum(curve.weight for curve in MOBILE.values())
    return sum(metric_score(MOBILE[name], value) * MOBILE[name].weight for name, value in values.items()) / total
