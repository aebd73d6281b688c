"""Interactive figures for the book's pages: computed by lrcore at build time, drawn by small inline JavaScript.

Each explorer returns an :class:`~lrcore.explorers._html.HTMLFigure`, one HTML output that
holds its data (rounded JSON), its SVG drawing code (dependency-free JavaScript, inline, read
from a file next to its module) and a static PNG of the same figure that a reader without
JavaScript sees and that the script replaces. No kernel, no server, no CDN.
"""

from lrcore.explorers._html import HTMLFigure
from lrcore.explorers.descent import DescentPaths, descent_explorer, descent_paths, frame_steps, log_spaced
from lrcore.explorers.threshold import ThresholdSweep, threshold_explorer, threshold_sweep

__all__ = [
    "DescentPaths",
    "HTMLFigure",
    "ThresholdSweep",
    "descent_explorer",
    "descent_paths",
    "frame_steps",
    "log_spaced",
    "threshold_explorer",
    "threshold_sweep",
]
