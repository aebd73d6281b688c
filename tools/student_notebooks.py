"""Exercise notebooks for students, made from the chapter notebooks that the built site offers.

The chapter notebooks (``_build/html/_downloads/notebooks/<chapter>.ipynb``, written by
``book/_ext/notebook_downloads.py`` from the book's resolved pages) are plain Jupyter: numbers
as text, links to the published book, ``lrcore``'s code as read-only Python blocks, each in a
Markdown cell of its own that names the object (``metadata["lrcore_include"]``,
``"lrcore.<module>.<name>"``), solutions tagged ``solution``, and a first cell that installs
``lrcore`` from the wheel the site publishes, pinned by its SHA-256 (copied here as it is). For
every chapter notebook that shows an ``lrcore`` function with a check in ``lrcore.checks``
(``check_<name>``), this writes ``<chapter>_student.ipynb`` in which:

- the first block of that function's code is replaced by a code cell with a stub (its real
  signature and docstring, read from lrcore's source with ``ast``, and the body
  ``raise NotImplementedError("TODO")``), followed by a code cell
  ``lrcore.checks.check_<name>(<name>)``;
- every cell tagged ``solution`` is left out;
- the outputs are removed: the student runs the notebook;
- every other cell stays, the install cell first. Later cells call ``lrcore.<name>(...)``, so
  the chapter runs the same whether or not the student's version is done;
- a Markdown cell that explains how to use the notebook comes first, and a cell that imports
  what the stubs and checks need comes after the install cell.

Stub and check cells carry ``metadata["lrcore_exercise"] = {"function": name, "role": "stub" |
"check"}`` (and the tag ``exercise``), so that tools and tests can find them.

Usage: ``python tools/student_notebooks.py [--notebooks DIR] [--out DIR] [--html DIR |
--no-publish]``. The chapter notebooks are read from ``_build/html/_downloads/notebooks`` (build
the book first); the exercise notebooks go to ``_build/student`` and, if the site exists,
:func:`publish` copies them to ``<html>/_downloads/student/`` with an ``index.html`` and a zip of
all of them, and lrcore's wheel next to them if the site has none (the hidden-solutions site).
"""

from __future__ import annotations

import argparse
import ast
import copy
import html
import re
import shutil
import sys
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
LRCORE = ROOT / "lrcore"
DEFAULT_HTML = ROOT / "_build" / "html"
NOTEBOOKS = Path("_downloads") / "notebooks"
DEFAULT_NOTEBOOKS = DEFAULT_HTML / NOTEBOOKS
DEFAULT_OUT = ROOT / "_build" / "student"
DOWNLOADS = Path("_downloads") / "student"
SUFFIX = "_student.ipynb"


def _checks_module():
    sys.path.insert(0, str(ROOT))
    import lrcore.checks

    return lrcore.checks


def checked_functions() -> set[str]:
    """Names ``<name>`` for which ``lrcore.checks.check_<name>`` exists."""
    checks = _checks_module()
    return {name.removeprefix("check_") for name in checks.__all__ if name.startswith("check_")}


# ---------------------------------------------------------------------------- lrcore's source


def _definition(path: Path, name: str) -> tuple[list[str], ast.FunctionDef | ast.ClassDef]:
    source = path.read_text()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return source.splitlines(), node
    raise LookupError(f"{path} defines no top-level {name}")


def object_source(path: Path, name: str) -> str:
    """The source of the top-level function or class ``name`` in ``path``, decorators included."""
    lines, node = _definition(path, name)
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return "\n".join(lines[start - 1 : node.end_lineno])


def stub_source(path: Path, name: str) -> str:
    """``name``'s signature and docstring, as in lrcore, with the body ``raise NotImplementedError``."""
    lines, node = _definition(path, name)
    first = node.body[0]
    has_docstring = ast.get_docstring(node, clean=False) is not None
    # The signature runs up to the line before the first statement of the body; the docstring,
    # if any, is that first statement, kept verbatim.
    end = first.end_lineno if has_docstring else first.lineno - 1
    head = lines[node.lineno - 1 : end]
    indent = re.match(r"\s*", lines[first.lineno - 1]).group(0)
    return "\n".join([*head, f'{indent}raise NotImplementedError("TODO")  # replace this line with your code'])


def included_function(cell) -> tuple[Path, str] | None:
    """``(module file, name)`` of the top-level lrcore object a Markdown cell shows, if any."""
    dotted = cell.metadata.get("lrcore_include") if cell.cell_type == "markdown" else None
    if not dotted:
        return None
    *module, name = dotted.split(".")
    path = ROOT.joinpath(*module).with_suffix(".py")
    if module[:1] != ["lrcore"] or not path.is_file():
        return None
    return path, name


# ---------------------------------------------------------------------------- the notebook


def _exercise_cells(path: Path, name: str) -> list:
    tags = {"tags": ["exercise"]}
    return [
        nbformat.v4.new_markdown_cell(
            f"✏️ **Your turn:** write `{name}` as its docstring describes, run the cell, then run the check under it."
        ),
        nbformat.v4.new_code_cell(
            stub_source(path, name), metadata={**tags, "lrcore_exercise": {"function": name, "role": "stub"}}
        ),
        nbformat.v4.new_code_cell(
            f"lrcore.checks.check_{name}({name})",
            metadata={**tags, "lrcore_exercise": {"function": name, "role": "check"}},
        ),
    ]


def _title(cells: list, fallback: str) -> str:
    for cell in cells:
        match = re.search(r"^# (.+)$", cell.source, re.MULTILINE) if cell.cell_type == "markdown" else None
        if match:
            return match.group(1).strip()
    return fallback


INTRO = """\
# Exercises: {title}

This is the chapter *{title}* of the book *Logistic Regression and Gradient Descent, Executed*,
version {version} ([read it in the book]({page})), with the code of {count} taken out for you to
write: {names}.

**How to use it**

1. Run the notebook from the top (*Run All*): it runs as it is, before you write anything. Its
   first code cell installs `lrcore` {version}, the book's package, where it is missing or another
   version (in Colab, say): the very wheel the book was built with, which pip checks by its SHA-256.
   Where `lrcore` {version} is installed, it does nothing.
2. At each ✏️ **Your turn**, replace `raise NotImplementedError("TODO")` with your code. The
   docstring says what the function receives and must return, with the shapes.
3. Run that cell, then the check cell under it. `lrcore.checks.check_<name>(<name>)` runs your
   function on several inputs (float32 and float64, edge cases), compares each result with
   `lrcore`'s own function, prints ✓ or ✗ for every case and, when it recognises a common
   mistake, a hint. It returns `True` once every case passes.
4. The rest of the chapter calls `lrcore.<name>(...)`, the book's tested version, so its results
   do not depend on yours. The numbers in the text are the ones the book computed; your run
   prints them again.
"""

SETUP = """\
# What the exercises need: the stubs' type annotations use Tensor, the checks live in lrcore.checks.
import torch
from torch import Tensor

import lrcore
import lrcore.checks
"""


def student_notebook(chapter: Path, checked: set[str] | None = None) -> nbformat.NotebookNode | None:
    """The exercise notebook of a chapter notebook, or None if it shows no function with a check."""
    checked = checked_functions() if checked is None else checked
    source = nbformat.read(chapter, as_version=4)
    install, *rest = source.cells
    if "install" not in install.metadata.get("tags", []):
        raise ValueError(f"{chapter}: the first cell is not the install cell of a chapter notebook")
    exercises: list[str] = []
    cells = []
    for cell in rest:
        if "solution" in cell.metadata.get("tags", []):
            continue
        included = included_function(cell)
        if included is not None and included[1] in checked and included[1] not in exercises:
            cells += _exercise_cells(*included)
            exercises.append(included[1])
            continue
        cells.append(copy.deepcopy(cell))
    if not exercises:
        return None
    title = _title(cells, chapter.stem)
    names = ", ".join(f"`{name}`" for name in exercises)
    count = "one function" if len(exercises) == 1 else f"{len(exercises)} functions"
    book = source.metadata.get("lrcore_book", {})
    page = book.get("page", "")
    # The version the install cell installs (the chapter notebook's wheel, pyproject.toml's version).
    version = book.get("lrcore", {}).get("version")
    if not version or f"LRCORE_VERSION = {version!r}" not in install.source:
        raise ValueError(f"{chapter}: no lrcore version in its metadata that its install cell installs")
    intro = INTRO.format(title=title, count=count, names=names, page=page, version=version)
    intro = nbformat.v4.new_markdown_cell(intro)
    notebook = nbformat.v4.new_notebook(cells=[intro, copy.deepcopy(install), nbformat.v4.new_code_cell(SETUP), *cells])
    notebook.metadata = {
        "kernelspec": source.metadata["kernelspec"],
        "language_info": {"name": "python"},
        "lrcore_exercises": {"chapter": chapter.stem, "functions": exercises},
        "lrcore_book": copy.deepcopy(book),
    }
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(notebook)
    return notebook


def write_notebooks(out: Path = DEFAULT_OUT, notebooks: Path = DEFAULT_NOTEBOOKS) -> list[Path]:
    """Write one exercise notebook per chapter notebook that has exercises; return their paths."""
    chapters = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not chapters:
        raise FileNotFoundError(f"no chapter notebooks in {notebooks}: build the book first (make book)")
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"*{SUFFIX}"):
        stale.unlink()
    checked = checked_functions()
    written = []
    for chapter in chapters:
        notebook = student_notebook(chapter, checked)
        if notebook is not None:
            path = out / f"{chapter.stem}{SUFFIX}"
            nbformat.write(notebook, path)
            written.append(path)
    return written


# ---------------------------------------------------------------------------- the site


def publish(notebooks: list[Path], html_dir: Path = DEFAULT_HTML, wheels: Path | None = None) -> Path:
    """Copy the notebooks into the built site, with an index page and a zip of them all.

    They go to ``<html_dir>/_downloads/student/``, next to the files Sphinx publishes for
    ``{download}`` links. Returns the index page; link to it from a chapter as
    ``../_downloads/student/index.html`` (the chapters live in ``<html_dir>/book/``). The
    notebooks' first cell installs lrcore's wheel from ``_downloads/`` of the published site:
    if ``html_dir`` has none, the wheels of ``wheels`` (a folder) are copied there.
    """
    target = html_dir / DOWNLOADS
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if wheels is not None and wheels.resolve() != (html_dir / "_downloads").resolve():
        for wheel in wheels.glob("lrcore-*.whl"):
            if not (html_dir / "_downloads" / wheel.name).exists():
                shutil.copy2(wheel, html_dir / "_downloads" / wheel.name)
    archive = target / "student-notebooks.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in notebooks:
            shutil.copy2(path, target / path.name)
            zipped.write(path, path.name)
    rows = []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        title = notebook.cells[0].source.splitlines()[0].removeprefix("# Exercises: ")
        names = notebook.metadata.get("lrcore_exercises", {}).get("functions", [])
        functions = ", ".join(f"<code>{html.escape(name)}</code>" for name in names)
        rows.append(f'<li><a href="{html.escape(path.name)}" download>{html.escape(title)}</a>: {functions}</li>')
    index = target / "index.html"
    index.write_text(
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Exercise notebooks</title></head>\n'
        "<body>\n<h1>Exercise notebooks</h1>\n"
        "<p>One notebook per chapter: the chapter with the functions it teaches left for you to write, each "
        "followed by a check. Open it in Jupyter, JupyterLab, VS Code or Colab: its first cell installs "
        "<code>lrcore</code> where it is missing.</p>\n"
        f"<ul>\n{chr(10).join(rows)}\n</ul>\n"
        f'<p><a href="{archive.name}" download>All notebooks (zip)</a></p>\n</body>\n</html>\n'
    )
    return index


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notebooks", type=Path, default=DEFAULT_NOTEBOOKS, help=f"the chapter notebooks (default {DEFAULT_NOTEBOOKS})"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write them (default {DEFAULT_OUT})")
    parser.add_argument("--html", type=Path, default=DEFAULT_HTML, help="the built site to publish them in")
    parser.add_argument("--no-publish", action="store_true", help="do not copy them into the built site")
    args = parser.parse_args()
    notebooks = write_notebooks(args.out.resolve(), args.notebooks.resolve())
    for path in notebooks:
        print(f"wrote {path}")
    if not args.no_publish:
        if args.html.is_dir():
            wheels = args.notebooks.resolve().parent  # <site>/_downloads, beside the chapter notebooks
            print(f"published {publish(notebooks, args.html.resolve(), wheels)}")
        else:
            print(f"{args.html} does not exist (build the book first); not published")
    return 0


if __name__ == "__main__":
    sys.exit(main())
