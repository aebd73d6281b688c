"""Execute the chapters that need it on every core at once, before Sphinx reads them one by one.

Jupyter Book 1.x builds with one Sphinx process, and myst-nb executes each chapter when it
reads it, so the chapters run one after another while the other cores idle. Here, just
before Sphinx reads (``env-before-read-docs``, in the main process), every chapter that the
execution cache does not hold yet is executed in a pool of worker processes, and the main
process caches the results. Sphinx then reads serially as usual, and myst-nb finds every
chapter in the cache ("Using cached notebook"). So plain ``jupyter-book build .`` is the
fast build, with no parallel reader to declare extensions safe for, no chunks to re-balance,
and one writer to jupyter-cache's database.

The notebook of a chapter is made exactly as myst-nb makes it (``myst_nb.sphinx_.NbParser.parse``:
the same reader, the kernel-name aliases, the notebook's own ``mystnb`` settings, the exclude
patterns), because jupyter-cache matches a notebook by its code and kernel: a notebook made
any other way would miss the cache and execute twice (``tests/test_book_machinery.py``
checks that every chapter is then read from the cache). A chapter that fails here is not
cached; myst-nb executes it again when Sphinx reads it and reports the error as it always
does, so a failing cell fails the build with its traceback.

One bug of myst-nb (1.4) matters here, because every chapter is now a cache hit: on a hit its
cache client merges the cached outputs into a *copy* of the notebook, while the parser writes
the original, output-less notebook to ``_build/jupyter_execute/``, and strict nbval would then
compare nothing. ``keep_outputs_on_cache_hit`` puts the merged notebook back into the object
the parser writes (``tests/test_book_machinery.py`` checks the written notebook has its
outputs, and ``tests/nbval_book.py`` refuses a chapter notebook without any).

The chapters are handed out longest first (by the length of their code), each to the next
free worker, so the workers end within about one chapter of each other. Workers: one per
core, or ``$LRBOOK_EXECUTION_JOBS``; with 1 (or on a platform without ``fork``), nothing
happens here and myst-nb executes serially, as plain Jupyter Book does. Each kernel runs with
one thread (``chapter_kernels``), so two kernels on two cores do not fight over them.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.core.config import NbParserConfig
from myst_nb.core.execute.cache import NotebookClientCache
from myst_nb.core.read import create_nb_reader
from nbformat import NotebookNode
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
JOBS_VARIABLE = "LRBOOK_EXECUTION_JOBS"


@dataclass
class Chapter:
    """A notebook to execute: as myst-nb will look it up in the cache, and how to run it."""

    docname: str
    path: Path
    notebook: NotebookNode
    read_fmt: dict | None
    timeout: int | None
    allow_errors: bool

    @property
    def code_length(self) -> int:
        return sum(len(cell.source) for cell in self.notebook.cells if cell.cell_type == "code")


def execution_jobs() -> int:
    value = os.environ.get(JOBS_VARIABLE, "")
    return max(1, int(value)) if value.strip() else (os.cpu_count() or 1)


def chapter_notebook(env: BuildEnvironment, docname: str) -> Chapter | None:
    """The notebook myst-nb would execute for ``docname`` in cache mode, or None (no notebook, or excluded)."""
    path = Path(env.doc2path(docname))
    text = path.read_text(encoding="utf-8")
    nb_config: NbParserConfig = env.mystnb_config
    reader = create_nb_reader(str(path), env.myst_config, nb_config, text)
    if reader is None:
        return None
    notebook = reader.read(text)
    kernel_name = notebook.metadata.get("kernelspec", {}).get("name")
    if kernel_name is not None:
        for pattern, alias in (nb_config.kernel_rgx_aliases or {}).items():
            if re.fullmatch(pattern, kernel_name):
                notebook.metadata["kernelspec"]["name"] = alias
                break
    overrides = dict(notebook.metadata.get(nb_config.metadata_key, {}))
    overrides.pop("output_folder", None)
    nb_config = nb_config.copy(**overrides) if overrides else nb_config
    if nb_config.execution_mode != "cache" or nb_config.execution_in_temp:
        return None
    if any(PurePosixPath(path.as_posix()).match(p) for p in nb_config.execution_excludepatterns or ()):
        return None
    return Chapter(
        docname, path, notebook, reader.read_fmt, nb_config.execution_timeout, nb_config.execution_allow_errors
    )


def execute(notebook: NotebookNode, cwd: str, timeout: int | None, allow_errors: bool):
    """In a worker: execute as myst-nb's cache client does; the notebook, seconds, error text."""
    result = single_nb_execution(notebook, cwd=cwd, timeout=timeout, allow_errors=allow_errors, meta_override=True)
    return result.nb, result.time, result.exc_string


def execute_uncached(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    jobs = execution_jobs()
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return
    if env.mystnb_config.execution_mode != "cache":
        return
    cache = get_cache(env.mystnb_config.execution_cache_path)
    chapters = []
    for docname in docnames:
        chapter = chapter_notebook(env, docname)
        if chapter is None:
            continue
        try:
            cache.match_cache_notebook(chapter.notebook)
        except KeyError:
            chapters.append(chapter)
    if len(chapters) < 2:
        return  # nothing to run side by side: myst-nb executes it when it reads it
    chapters.sort(key=lambda chapter: chapter.code_length, reverse=True)
    workers = min(jobs, len(chapters))
    LOGGER.info(f"parallel_execution: executing {len(chapters)} chapters in {workers} processes")
    # fork: the workers inherit the kernels' set-up (chapter_kernels) and need nothing re-imported.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {
            pool.submit(execute, c.notebook, str(c.path.parent), c.timeout, c.allow_errors): c for c in chapters
        }
        for future in as_completed(futures):
            chapter = futures[future]
            notebook, seconds, error = future.result()
            if error is not None:
                LOGGER.info(f"parallel_execution: {chapter.docname} failed; myst-nb runs it again and reports it")
                continue
            # As myst-nb registers a notebook it executes (a read format only where it has one).
            read = {} if chapter.read_fmt is None else {"read_data": chapter.read_fmt}
            record = cache.add_nb_to_project(str(chapter.path), **read)
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, record.uri, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            LOGGER.info(f"parallel_execution: {chapter.docname} executed in {seconds:.2f} s")


_original_start_client = NotebookClientCache.start_client


def keep_outputs_on_cache_hit(self: NotebookClientCache) -> None:
    """myst-nb's cache lookup, then the merged notebook in the object that myst-nb writes out."""
    original = self._notebook
    _original_start_client(self)
    if self._notebook is not original:  # a cache hit: the outputs went into a copy
        original.clear()
        original.update(self._notebook)
        self._notebook = original


def setup(app: Sphinx) -> dict:
    if not hasattr(NotebookClientCache, "start_client"):
        raise ExtensionError("parallel_execution: myst-nb's NotebookClientCache changed: update this extension")
    NotebookClientCache.start_client = keep_outputs_on_cache_hit
    app.connect("env-before-read-docs", execute_uncached)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
