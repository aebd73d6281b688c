"""sphinx-multitoc-numbering, declared safe for Sphinx's parallel reader.

The extension only replaces ``TocTreeCollector.assign_section_numbers``, which Sphinx runs in
the main process once every document has been read; reading itself is untouched. It just never
says so, and Sphinx then reads everything in one process. ``tools/build_book.py`` loads this
wrapper in its place so that ``sphinx-build -j`` can execute chapters in parallel.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx_multitoc_numbering import setup as multitoc_setup


def setup(app: Sphinx) -> dict:
    multitoc_setup(app)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
