"""Shared helpers of the interactive figures: ids, JSON rounding, the fallback image, the page-wide CSS.

Every figure's HTML must be the same bytes on every machine and thread count (the notebooks
are compared exactly): ids come from a name the chapter passes, numbers are rounded to a few
significant digits before they are written, and the PNG carries no version metadata.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from collections.abc import Iterable
from importlib import resources
from numbers import Real

import numpy as np

from lrcore._validation import _show, _type_name

#: The class of every figure's root element; all CSS is scoped under it.
ROOT_CLASS = "lrx"

_NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")

#: Colours as CSS variables that switch with the theme (``html[data-theme="dark"]``). The
#: series colours are the book's (``lrcore.plotting.COLORS``), lightened a little in dark mode
#: so that thin lines keep a contrast of at least 3:1 against the dark page.
BASE_CSS = """
.lrx { --lrx-fg: #1f2328; --lrx-muted: #59636e; --lrx-bg: #ffffff; --lrx-panel: #f6f8fa;
  --lrx-grid: #d0d7de; --lrx-contour: #0b3d6b; --lrx-blue: #0072B2; --lrx-orange: #B35F00;
  --lrx-red: #C24E00; --lrx-purple: #A9457F; --lrx-green: #007A5A; --lrx-benign: #0072B2; --lrx-malignant: #B35F00;
  color: var(--lrx-fg); margin: 1em 0; font-size: 0.95em;
  /* Its own background: in dark mode the theme paints notebook outputs light grey, under light text. */
  background: var(--lrx-bg); padding: 0.5em; }
html[data-theme="dark"] .lrx { --lrx-fg: #e6edf3; --lrx-muted: #9da7b3; --lrx-bg: #14181e; --lrx-panel: #1e2228;
  --lrx-grid: #3d444d; --lrx-contour: #8cc4f0; --lrx-blue: #56B4E9; --lrx-orange: #E69F00;
  --lrx-red: #FF8A4C; --lrx-purple: #E08EC0; --lrx-green: #3CC3A0; --lrx-benign: #56B4E9; --lrx-malignant: #E69F00; }
.lrx img.lrx-fallback { max-width: 100%; height: auto; }
/* ... and the card around the figure goes too (made for tables and widgets): the figure then
   sits on the page itself, its background the theme's dark page colour (#14181e). */
html[data-theme="dark"] .bd-content div.cell_output .text_html:has(> .lrx) { background: none; padding: 0; }
.lrx .lrx-live[hidden], .lrx [hidden] { display: none !important; }
.lrx .lrx-controls { display: flex; flex-wrap: wrap; gap: 0.4em 1.4em; align-items: center; margin: 0.4em 0; }
.lrx .lrx-controls label { display: inline-flex; align-items: center; gap: 0.5em; }
.lrx .lrx-controls output { font-variant-numeric: tabular-nums; min-width: 4.5em; display: inline-block; }
.lrx .lrx-controls button { font: inherit; color: var(--lrx-fg); background: var(--lrx-panel);
  border: 1px solid var(--lrx-muted); border-radius: 4px; padding: 0.15em 0.8em; cursor: pointer; }
.lrx .lrx-controls button:focus-visible, .lrx .lrx-controls input:focus-visible {
  outline: 2px solid var(--lrx-blue); outline-offset: 2px; }
.lrx .lrx-controls input[type="range"] { accent-color: var(--lrx-blue); }
.lrx .lrx-status { font-variant-numeric: tabular-nums; min-height: 1.5em; }
.lrx svg { display: block; max-width: 100%; height: auto; }
.lrx svg text { fill: var(--lrx-fg); font-size: 12px; font-family: inherit; }
@media print {
  .lrx .lrx-live { display: none !important; }
  .lrx img.lrx-fallback { display: block !important; }
}
"""


class HTMLFigure:
    """An interactive figure: rendered as HTML by Jupyter and myst-nb, as its description in plain text.

    Parameters
    ----------
    html : str
        The figure's complete HTML (style, fallback image, markup, data and script).
    text : str
        What a plain-text display shows (``text/plain``): the figure's description.
    data : object, optional
        The numbers the figure was made from, unrounded (for the chapter's text to quote).
    """

    def __init__(self, html: str, text: str, data: object = None) -> None:
        self.html = html
        self.text = text
        self.data = data

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def check_name(name: object) -> str:
    """The figure's name: lower-case letters, digits and hyphens, starting with a letter (it makes the ids)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {_type_name(name)}")
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"name must be 1 to 40 lower-case letters, digits or hyphens starting with a letter, got {_show(name)}"
        )
    return name


def matching_index(grid: list[float], value: float, number: float, rel_tol: float = 0.0) -> int | None:
    """The index of ``grid``'s value equal to ``value`` (as the float ``number``), or None.

    Equal means: the same float (within ``rel_tol``), or, for a numpy float narrower than
    float64 (``numpy.float32(0.3)``, which is 0.30000001192...), a grid value that rounds to it
    in its own dtype; the nearest such value if several do. A ``Fraction`` compares as its float.
    """
    for i, v in enumerate(grid):
        if v == number or (rel_tol and math.isclose(v, number, rel_tol=rel_tol, abs_tol=0)):
            return i
    if isinstance(value, np.floating) and np.finfo(value.dtype).bits < 64:
        rounded = [i for i, v in enumerate(grid) if value.dtype.type(v) == value]
        return min(rounded, key=lambda i: abs(grid[i] - number)) if rounded else None
    return None


def element_id(name: str, part: str = "") -> str:
    """The id of the figure's root (``lrx-<name>``) or of one of its parts (``lrx-<name>-<part>``)."""
    return f"{ROOT_CLASS}-{name}" + (f"-{part}" if part else "")


def round_significant(value: float, digits: int = 4) -> float | None:
    """``value`` rounded to ``digits`` significant digits, as a Python float (``None`` for NaN or inf).

    Rounding through the decimal text (``%.4g``) makes the number JSON writes as short as the
    digits kept, and the same on every machine for values that agree to those digits.
    """
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def round_all(values: Iterable[float] | np.ndarray, digits: int = 4) -> list[float | None]:
    """:func:`round_significant` of every element of a 1-D sequence."""
    return [round_significant(v, digits) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def to_json(data: object) -> str:
    """Compact JSON, safe inside ``<script>``: ``<`` is escaped so that no ``</script>`` can end it early."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def png_base64(fig, dpi: Real = 80) -> str:
    """The figure as a PNG, base64, without matplotlib's version in its metadata: the bytes depend on the data only."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def fallback_image(fig, alt: str, dpi: Real = 80) -> str:
    """The static image a reader without JavaScript sees (and a printed page), as an ``<img>`` with alt text."""
    return (
        f'<img class="{ROOT_CLASS}-fallback" alt="{html.escape(alt)}" '
        f'src="data:image/png;base64,{png_base64(fig, dpi)}">'
    )


def read_script(filename: str) -> str:
    """A JavaScript file of this package (package data next to the explorers' modules)."""
    return resources.files("lrcore.explorers").joinpath(filename).read_text(encoding="utf-8")


def style_tag(extra_css: str = "") -> str:
    """The page-wide CSS variables and shared control styles, then the figure's own rules."""
    return f"<style>{BASE_CSS}{extra_css}</style>"
