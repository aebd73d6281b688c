"""The machinery that keeps the book honest: strict nbval, glued numbers, and a never-stale cache.

These tests build small throw-away notebooks and books in ``tmp_path``; each checks that a
failure is caught *and*, as a positive control, that the unbroken version passes, so that none
of them can pass by testing nothing.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

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


def test_nbval_refuses_a_notebook_that_was_never_executed(nb_dir):
    """Strict nbval alone passes a notebook without outputs while comparing nothing."""
    path = nb_dir / "never_executed.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(42)")]), path)
    result = _run_nbval(path)
    assert result.returncode != 0
    assert "never_executed.ipynb holds no outputs: rebuild the book (make book)" in result.stdout + result.stderr


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


def _write_config(root: Path, title: str, extensions: list[str]) -> None:
    """A ``_config.yml`` that executes through the cache, fails on errors, and loads ``book/_ext`` extensions."""
    local = "".join(f"\n    {name}: {BOOK / '_ext'}" for name in extensions)
    config = f"title: {title}\nonly_build_toc_files: true\n"
    config += "execute:\n  execute_notebooks: cache\n  raise_on_error: true\n"
    config += f"sphinx:\n  local_extensions:{local}\n"
    (root / "_config.yml").write_text(config)


def _mini_book(root: Path, value: int) -> None:
    """A one-chapter book that reads a file under ``lrcore/`` and uses the real extension."""
    (root / "lrcore").mkdir(exist_ok=True)
    (root / "lrcore" / "value.py").write_text(f"VALUE = {value}\n")
    (root / "requirements.txt").write_text("nothing\n")
    _write_config(root, "mini", ["lrcore_cache_key"])
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


def _jupyter_book(root: Path, **env: str) -> subprocess.CompletedProcess:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run(
        [str(jupyter_book), "build", str(root), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=600, env={**os.environ, **env},
    )  # fmt: skip


def _build(root: Path) -> tuple[str, str]:
    result = _jupyter_book(root)
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


# ---------------------------------------------------------------------------- parallel execution


def _parallel_book(root: Path, chapters: dict[str, str]) -> None:
    """A book whose chapters run ``chapters[name]``, built with the book's kernel extensions."""
    _write_config(root, "parallel", ["chapter_kernels", "parallel_execution"])
    names = sorted(chapters)
    toc = f"format: jb-book\nroot: {names[0]}\nchapters:\n" + "".join(f"- file: {n}\n" for n in names[1:])
    (root / "_toc.yml").write_text(toc)
    for name, code in chapters.items():
        _chapter(root / f"{name}.md", name.title(), code)


#: A chapter that notes when it ran, in a file named after it. Its 6 s leave room for one of the
#: two kernels to start late on a machine busy with other tests: they must still overlap.
TIMED = 'import time; start = time.time(); time.sleep(6); open("{name}.ran", "w").write(f"{{start}} {{time.time()}}")'


def test_chapters_execute_side_by_side_and_sphinx_reads_them_from_the_cache(tmp_path):
    _parallel_book(tmp_path, {name: TIMED.format(name=name) for name in ("one", "two")})
    result = _jupyter_book(tmp_path, LRBOOK_EXECUTION_JOBS="2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "parallel_execution: executing 2 chapters in 2 processes" in result.stdout
    assert "IPKernelApp" not in result.stdout + result.stderr, "a kernel wrote to the build log"
    (start1, end1), (start2, end2) = (map(float, (tmp_path / f"{n}.ran").read_text().split()) for n in ("one", "two"))
    assert max(start1, start2) < min(end1, end2), "the two chapters did not run at the same time"
    # The notebook was made as myst-nb makes it: Sphinx finds both in the cache, runs neither again.
    assert _executed(result.stdout) == set()
    assert len(re.findall(r"\w+\.md: Using cached notebook", result.stdout)) == 2
    # What nbval compares: the notebooks written out carry the cached outputs (myst-nb alone
    # writes them empty on a cache hit).
    for name in ("one", "two"):
        written = nbformat.read(tmp_path / "_build" / "jupyter_execute" / f"{name}.ipynb", as_version=4)
        (cell,) = [cell for cell in written.cells if cell.cell_type == "code"]
        assert cell.execution_count == 1 and cell.outputs, name
    # Nothing changed: nothing runs, in parallel or not.
    again = _jupyter_book(tmp_path, LRBOOK_EXECUTION_JOBS="2")
    assert again.returncode == 0 and "parallel_execution" not in again.stdout and _executed(again.stdout) == set()


def test_a_failing_chapter_still_fails_the_build_with_its_error(tmp_path):
    _parallel_book(tmp_path, {"good": "print('fine')", "bad": "raise ValueError('a chapter broke')"})
    result = _jupyter_book(tmp_path, LRBOOK_EXECUTION_JOBS="2")
    assert result.returncode != 0
    assert "parallel_execution: bad failed; myst-nb runs it again and reports it" in result.stdout
    assert "a chapter broke" in result.stdout + result.stderr
    assert _executed(result.stdout) == {"bad"}, "the good chapter came from the cache"


def test_one_job_is_jupyter_books_own_serial_execution(tmp_path):
    _parallel_book(tmp_path, {"one": "print(1)", "two": "print(2)"})
    result = _jupyter_book(tmp_path, LRBOOK_EXECUTION_JOBS="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "parallel_execution" not in result.stdout
    assert _executed(result.stdout) == {"one", "two"}


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
