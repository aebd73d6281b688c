"""Make jupyter-cache safe for chapters that finish executing at the same time in two processes.

After caching a notebook, jupyter-cache (1.0.1) trims the cache to its size limit
(``truncate_caches``). ``NbCacheRecord.records_to_delete`` finds the records to drop with two
queries: first the ``limit`` most recently used records to keep, then every record *not* in
that list. When another process caches a chapter between the two queries, its brand-new
record is in neither the first answer nor the table the first query saw, so the second query
returns it for deletion: ``remove_cache`` then fails with ``KeyError: Notebook file does not
exist for cache record`` (the other process has not written the file yet), which stops the
build, or silently deletes the other chapter's cache once the file exists. Seen once in a
parallel build here; four processes caching 60 notebooks each into one cache lose one record
in five (``tests/test_book_machinery.py`` reproduces it).

The replacement asks one question, in one statement: every record after the ``keep`` most
recently used. A record created concurrently is either not seen at all or seen as the most
recently used, and kept. Loaded by ``tools/build_book.py`` with its parallel build; the
forked reader processes inherit the patch.
"""

from __future__ import annotations

from jupyter_cache.cache.db import NbCacheRecord, session_context
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sqlalchemy.engine import Engine
from sqlalchemy.sql.expression import desc


def records_to_delete(keep: int, db: Engine) -> list[int]:
    """The primary keys of every record but the ``keep`` most recently accessed, in one query."""
    with session_context(db) as session:
        query = session.query(NbCacheRecord.pk).order_by(desc(NbCacheRecord.accessed), desc(NbCacheRecord.pk))
        return [pk for (pk,) in query.offset(keep).all()]


def patch() -> None:
    """Replace jupyter-cache's two-query ``records_to_delete`` by the one-query version."""
    if not callable(getattr(NbCacheRecord, "records_to_delete", None)):
        raise ExtensionError("parallel_safe_cache: jupyter-cache has no NbCacheRecord.records_to_delete: update")
    NbCacheRecord.records_to_delete = staticmethod(records_to_delete)


def setup(app: Sphinx) -> dict:
    patch()
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
