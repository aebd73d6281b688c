"""Give Sphinx's parallel reader one document per task, so that both cores stay busy to the end.

Before reading anything, Sphinx splits the documents, in name order, into one chunk per
process (``sphinx.util.parallel.make_chunks``: 16 pages on 2 cores make 2 chunks of 8), and
each chunk is read, and its chapters executed, by one forked process. The chapters take from
7 to 17 s to execute, and the expensive ones are not spread evenly by name: measured on the
2-core machine, one process ran for 79 s and the other for 65 s, idle for the last 14 s.

With one document per chunk, Sphinx's ``ParallelTasks`` starts the next document as soon as a
process ends (greedy list scheduling), so the processes end within one chapter of each other.
The price is a fork and a pickled environment sent back per document instead of per chunk,
a few milliseconds each. Writing (the HTML of each page) gets one page per task too; it is
short either way.

Loaded by ``tools/build_book.py`` for its parallel build only; ``jupyter-book build`` runs one
process and never makes chunks.
"""

from __future__ import annotations

from collections.abc import Sequence

import sphinx.builders
import sphinx.util.parallel
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError


def one_per_chunk(arguments: Sequence[str], nproc: int, maxbatch: int = 10) -> list[list[str]]:
    """``make_chunks``'s signature; every document is a chunk of its own."""
    return [[argument] for argument in arguments]


def setup(app: Sphinx) -> dict:
    # The builders call the name they imported from sphinx.util.parallel. If a Sphinx release
    # moves it, fail loudly rather than silently build with the uneven chunks.
    if sphinx.builders.make_chunks not in (sphinx.util.parallel.make_chunks, one_per_chunk):
        raise ExtensionError(
            "one_document_per_task: sphinx.builders.make_chunks is not Sphinx's: update this extension"
        )
    sphinx.builders.make_chunks = one_per_chunk
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
