"""Interactive figures for the book's pages: computed by lrcore at build time, drawn by small inline JavaScript.

Each explorer returns an :class:`~lrcore.explorers._html.HTMLFigure`, one HTML output that
holds its data (rounded JSON), its SVG drawing code (dependency-free JavaScript, inline, read
from a file next to its module) and a static PNG of the same figure that a reader without
JavaScript sees and that the script replaces. No kernel, no server, no CDN.
"""

from lrcore.explorers._html import HTMLFigure
from lrcore.explorers.threshold import ThresholdSweep, threshold_explorer, threshold_sweep

__all__ = ["HTMLFigure", "ThresholdSweep", "threshold_explorer", "threshold_sweep"]
