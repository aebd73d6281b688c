"""The machinery that keeps the book honest: strict nbval, glued numbers, and a never-stale cache.

These tests build small throw-away notebooks and books in ``tmp_path``; each checks that a
failure is caught *and*, as a positive control, that the unbroken version passes, so that none
of them can pass by testing nothing.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from sphinx.errors import ExtensionError

import lrcore

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.md"))


def _executed_notebook(path: Path, *sources: str) -> Path:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    nbformat.write(notebook, path)
    return path


def _run_nbval(*paths: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "pytest", "-p", "tests.nbval_book", "--nbval", "--nbval-current-env",
        "-p", "no:cacheprovider", "-q", *map(str, paths),
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _edit_source(path: Path, index: int, new_source: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[index].source = new_source
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def nb_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nbval")


def test_nbval_passes_an_unchanged_notebook(nb_dir):
    path = _executed_notebook(nb_dir / "ok.ipynb", "x = 1 + 1", "print(x * 21)")
    result = _run_nbval(path)
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


def test_nbval_fails_when_a_cell_raises(nb_dir):
    path = _executed_notebook(nb_dir / "raises.ipynb", "x = 1 + 1", "print(x * 21)")
    _edit_source(path, 1, "raise ValueError('a chapter broke')")
    result = _run_nbval(path)
    assert result.returncode != 0
    assert "a chapter broke" in result.stdout
    assert "1 failed" in result.stdout


def test_nbval_fails_when_an_output_changes(nb_dir):
    path = _executed_notebook(nb_dir / "changes.ipynb", "x = 1 + 1", "print(x * 21)")
    _edit_source(path, 1, "print(x * 22)")
    result = _run_nbval(path)
    assert result.returncode != 0
    assert "Cell outputs differ" in result.stdout
    assert "44" in result.stdout and "42" in result.stdout


def _glue_notebook(nb_dir: Path, name: str, recorded: str, value: str = "6 * 7", key: str = "answer") -> Path:
    """A notebook as myst-nb leaves it: the glue output moved out into ``.glue.json``."""
    path = _executed_notebook(
        nb_dir / f"{name}.ipynb",
        f"from myst_nb import glue\nglue({key!r}, {value}, display=False)\nprint('visible')",
    )
    notebook = nbformat.read(path, as_version=4)
    glued = [o for o in notebook.cells[0].outputs if "scrapbook" in o.get("metadata", {})]
    assert len(glued) == 1
    notebook.cells[0].outputs = [o for o in notebook.cells[0].outputs if o not in glued]
    nbformat.write(notebook, path)
    entry = {"data": {"text/plain": recorded}, "metadata": {}, "output_type": "display_data"}
    path.with_suffix(".glue.json").write_text(json.dumps({key: entry}))
    return path


def test_nbval_checks_glued_values(nb_dir):
    same = _glue_notebook(nb_dir, "glue_same", "42")
    changed = _glue_notebook(nb_dir, "glue_changed", "41")
    result_same, result_changed = _run_nbval(same), _run_nbval(changed)
    assert result_same.returncode == 0, result_same.stdout
    assert result_changed.returncode != 0
    assert "glued value 'answer' changed: the build recorded 41, the re-run gave 42" in result_changed.stdout


def _shown_key(fmt: str) -> str:
    """A key that the book shows with format ``fmt`` (whichever chapter it is in)."""
    from tests.nbval_book import book_glue_formats

    keys = sorted(key for key, formats in book_glue_formats().items() if formats == {fmt})
    assert keys, f"no glued value of the book is shown with format {fmt!r} alone"
    return keys[0]


def test_nbval_compares_glued_floats_as_the_text_shows_them(nb_dir):
    """A float shown as .4f that changes in its 8th digit (a sum in another order) reads the same."""
    key = _shown_key(".4f")
    same = _glue_notebook(nb_dir, "glue_float_8th", "-0.059054046869277954", value="-0.059054043143987656", key=key)
    changed = _glue_notebook(nb_dir, "glue_float_4th", "-0.0591", value="-0.0592", key=key)
    result_same, result_changed = _run_nbval(same), _run_nbval(changed)
    assert result_same.returncode == 0, result_same.stdout
    assert result_changed.returncode != 0
    assert f"glued value {key!r} changed as the text shows it (.4f: -0.0591 -> -0.0592)" in result_changed.stdout


def test_nbval_compares_a_glued_float_the_text_never_shows_exactly(nb_dir):
    changed = _glue_notebook(nb_dir, "glue_float_unshown", "2.1941966319650064", value="2.194196631965006")
    result = _run_nbval(changed)
    assert result.returncode != 0
    assert "(the text never shows it, so it is compared exactly)" in result.stdout


@pytest.mark.parametrize(
    ("got", "recorded", "formats", "same"),
    [
        ("42", "42", set(), True),
        ("42", "41", {"d"}, False),
        ("-0.059054043143987656", "-0.059054046869277954", {".4f"}, True),
        ("-0.059054043143987656", "-0.059054046869277954", {".4f", ".9f"}, False),  # every format must agree
        ("-0.059054043143987656", "-0.059054046869277954", {""}, False),  # shown as is: every digit
        ("-0.059054043143987656", "-0.059054046869277954", set(), False),  # not shown: exact
        ("0.12345", "0.12354", {".3f"}, False),  # 0.123 against 0.124
        ("1234567.0", "1234568.0", {",.0f"}, False),
        ("1234567.1", "1234567.2", {",.0f"}, True),
        ("3.0", "3", {".1f"}, True),  # formatted the same, as the page shows it
        ("'0.5'", "'0.50'", {""}, False),  # strings are compared as they are
        ("nan", "nan", {".2f"}, True),
    ],
)
def test_same_glued_value(got, recorded, formats, same):
    from tests.nbval_book import same_glued_value

    assert same_glued_value(got, recorded, formats) is same


def test_glue_formats_reads_every_way_the_book_shows_a_value():
    from tests.nbval_book import glue_formats

    text = textwrap.dedent(
        """
        A {glue:text}`a:.4f` and {glue:text}`a:.1e`, a bare {glue:text}`b`, {glue}`c`,
        another page's {glue:text}`book/06_gradient_descent::d:,.0f`, and

        ```{glue:figure} e
        :name: fig-e
        ```
        """
    )
    assert glue_formats([text]) == {"a": {".4f", ".1e"}, "b": {""}, "c": {""}, "d": {",.0f"}, "e": {""}}


def _mini_book(root: Path, value: int) -> None:
    """A one-chapter book that reads a file under ``lrcore/`` and uses the real extension."""
    (root / "lrcore").mkdir(exist_ok=True)
    (root / "lrcore" / "value.py").write_text(f"VALUE = {value}\n")
    (root / "requirements.txt").write_text("nothing\n")
    config = f"""
        title: mini
        only_build_toc_files: true
        execute:
          execute_notebooks: cache
          raise_on_error: true
        sphinx:
          local_extensions:
            lrcore_cache_key: {BOOK / "_ext"}
    """
    (root / "_config.yml").write_text(textwrap.dedent(config))
    (root / "_toc.yml").write_text("format: jb-book\nroot: chapter\nchapters:\n- file: other\n")
    _chapter(root / "chapter.md", "Chapter", 'print("computed with", open("lrcore/value.py").read().strip())')
    _chapter(root / "other.md", "Other", 'print("other chapter")')


def _chapter(path: Path, title: str, code: str, prose: str = "Some prose.") -> None:
    text = f"""
        ---
        jupytext:
          text_representation: {{extension: .md, format_name: myst}}
        kernelspec: {{display_name: Python 3, language: python, name: python3}}
        ---
        # {title}

        {prose}

        ```{{code-cell}} ipython3
        {code}
        ```
    """
    path.write_text(textwrap.dedent(text).lstrip())


def _build(root: Path) -> tuple[str, str]:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(root), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    html = (root / "_build" / "html" / "chapter.html").read_text()
    return result.stdout, html


def _executed(log: str) -> set[str]:
    return set(re.findall(r"(\w+)\.md: Executing notebook", log))


def test_cache_reexecutes_what_changed_and_nothing_else(tmp_path):
    _mini_book(tmp_path, 1)
    log, html = _build(tmp_path)
    assert _executed(log) == {"chapter", "other"} and "computed with VALUE = 1" in html

    log, html = _build(tmp_path)
    assert _executed(log) == set(), "a rebuild with nothing changed must execute nothing"
    assert "computed with VALUE = 1" in html

    _chapter(tmp_path / "other.md", "Other", 'print("other chapter")', prose="Edited prose.")
    log, _ = _build(tmp_path)
    assert _executed(log) == set(), "a prose edit needs no execution: the cache keys on code"

    _chapter(tmp_path / "other.md", "Other", 'print("other chapter, edited")')
    log, _ = _build(tmp_path)
    assert _executed(log) == {"other"}, "editing one chapter's code re-executes that chapter only"

    (tmp_path / "lrcore" / "value.py").write_text("VALUE = 2\n")
    log, html = _build(tmp_path)
    assert _executed(log) == {"chapter", "other"}, "a change to lrcore must re-execute every chapter"
    assert "computed with VALUE = 2" in html, "the cache served outputs of the old lrcore"
    caches = list((tmp_path / "_build" / ".jupyter_cache").glob("lrcore-*"))
    assert len(caches) == 1, "the cache of the old source key must be removed"


# ---------------------------------------------------------------------------- the parallel build's extensions


def _cache_notebooks(cache_path: str, worker: int, count: int, errors) -> None:
    """One reader process: cache ``count`` distinct executed notebooks, count the KeyErrors."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(cache_path)
    for index in range(count):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {worker}_{index}")])
        notebook.cells[0].execution_count = 1
        try:
            cache.cache_notebook_bundle(CacheBundleIn(notebook, f"/w{worker}/{index}.md"), check_validity=False)
        except KeyError:
            errors.put(1)


@pytest.fixture
def parallel_safe_cache(monkeypatch):
    """The extension's module; whatever it patches in jupyter-cache is undone after the test."""
    from jupyter_cache.cache.db import NbCacheRecord

    monkeypatch.syspath_prepend(str(BOOK / "_ext"))
    monkeypatch.setattr(NbCacheRecord, "records_to_delete", NbCacheRecord.__dict__["records_to_delete"])
    import parallel_safe_cache

    return parallel_safe_cache


def test_parallel_safe_cache_keeps_every_notebook_cached_at_once(tmp_path, parallel_safe_cache):
    """Four processes caching at once lose nothing (jupyter-cache alone loses ~1 record in 5)."""
    import multiprocessing

    from jupyter_cache import get_cache

    parallel_safe_cache.patch()  # as the extension's setup does; the forked workers inherit it
    cache_path = str(tmp_path / "cache")
    get_cache(cache_path).list_cache_records()  # the database exists before the fork, as in the build
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    workers = [context.Process(target=_cache_notebooks, args=(cache_path, w, 60, errors)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert errors.empty(), "a process failed to trim the cache while another cached a notebook"
    records = get_cache(cache_path).list_cache_records()
    assert len(records) == 240, "a notebook cached by one process was deleted by another"


def test_parallel_safe_cache_trims_like_jupyter_cache(tmp_path, parallel_safe_cache):
    """Alone, the one-query ``records_to_delete`` names the same records as jupyter-cache's own."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.cache.db import NbCacheRecord

    original = NbCacheRecord.records_to_delete  # jupyter-cache's: the fixture restored it
    assert original is not parallel_safe_cache.records_to_delete
    cache = get_cache(str(tmp_path / "cache"))
    for index in range(12):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {index}")])
        notebook.cells[0].execution_count = 1
        cache.cache_notebook_bundle(CacheBundleIn(notebook, f"/{index}.md"), check_validity=False)
    NbCacheRecord.touch(3, cache.db)  # used recently: kept longer than its creation order says
    for keep in (0, 1, 5, 11, 12, 20):
        assert sorted(parallel_safe_cache.records_to_delete(keep, cache.db)) == sorted(original(keep, cache.db)), keep
    assert parallel_safe_cache.records_to_delete(5, cache.db) == [8, 7, 6, 5, 4, 2, 1]
    parallel_safe_cache.patch()
    assert NbCacheRecord.records_to_delete is parallel_safe_cache.records_to_delete


def test_one_document_per_task_makes_chunks_of_one(monkeypatch):
    import sphinx.builders
    import sphinx.util.parallel

    monkeypatch.syspath_prepend(str(BOOK / "_ext"))
    monkeypatch.setattr(sphinx.builders, "make_chunks", sphinx.builders.make_chunks)  # undone after the test
    import one_document_per_task

    docs = [f"doc{i}" for i in range(16)]
    assert sphinx.util.parallel.make_chunks(docs, 2) == [docs[:8], docs[8:]]  # what Sphinx does
    assert one_document_per_task.one_per_chunk(docs, 2) == [[d] for d in docs]
    one_document_per_task.setup(None)
    assert sphinx.builders.make_chunks is one_document_per_task.one_per_chunk
    one_document_per_task.setup(None)  # loaded twice: still fine
    sphinx.builders.make_chunks = lambda arguments, nproc, maxbatch=10: []  # a Sphinx that moved it
    with pytest.raises(ExtensionError, match="make_chunks is not Sphinx's: update this extension"):
        one_document_per_task.setup(None)


def _code_cells(chapter: Path) -> list[str]:
    """The Python source of every code cell, without its YAML options block."""
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", chapter.read_text(), flags=re.DOTALL)
    cells = [re.sub(r"\A---\n.*?\n---\n", "", cell, flags=re.DOTALL) for cell in cells]
    return [re.sub(r"\A(:[\w-]+:[^\n]*\n)+", "", cell) for cell in cells]  # short-form :tags: options


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_never_retype_lrcore_functions(chapter):
    public = set(lrcore.__all__)
    for cell in _code_cells(chapter):
        tree = ast.parse("\n".join(line for line in cell.splitlines() if not line.startswith("%")))
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.ClassDef)}
        assert not defined & public, f"{chapter.name} re-types {defined & public}: literalinclude lrcore instead"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_literalincludes_name_real_objects(chapter):
    text = chapter.read_text()
    for path, obj in re.findall(r"```\{literalinclude\} ([^\n]+)\n:pyobject: ([\w.]+)", text):
        source = (chapter.parent / path.strip()).resolve()
        assert source.is_relative_to(ROOT / "lrcore"), f"{chapter.name} includes {path} from outside lrcore"
        names = {n.name for n in ast.walk(ast.parse(source.read_text())) if hasattr(n, "name")}
        assert obj in names, f"{chapter.name}: {obj} is not defined in {path}"
