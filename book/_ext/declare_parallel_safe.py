"""Declare two jupyter-book extensions safe for Sphinx's parallel reader, which they are.

Sphinx reads (and myst-nb executes) documents in parallel only if every loaded extension says
it is safe; two that jupyter-book loads say nothing, so Sphinx falls back to one process:

- ``sphinx_multitoc_numbering`` only replaces ``TocTreeCollector.assign_section_numbers``,
  which Sphinx runs in the main process after every document has been read;
- ``sphinx_jupyterbook_latex`` adds node types and stateless transforms, and does its work
  only for the LaTeX builder.

Neither keeps state in the environment that parallel reading would have to merge. This
extension, listed first by ``tools/build_book.py``, loads both and records the declaration;
when other extensions ask for them later (sphinx-external-toc does), they are already loaded.
"""

from __future__ import annotations

from sphinx.application import Sphinx

VETTED = ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex")


def setup(app: Sphinx) -> dict:
    for name in VETTED:
        app.setup_extension(name)
        app.extensions[name].parallel_read_safe = True
        app.extensions[name].parallel_write_safe = True
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
