"""Exercise notebooks for students, generated from the chapters.

For every chapter in ``book/`` that shows an ``lrcore`` function with a check in
``lrcore.checks`` (a ``{literalinclude} ../lrcore/<module>.py`` with ``:pyobject: <name>``,
where ``check_<name>`` exists), this writes ``<chapter>_student.ipynb`` in which:

- that function's code is replaced by a code cell with a stub (its real signature and
  docstring, read from lrcore's source with ``ast``, and the body
  ``raise NotImplementedError("TODO")``), followed by a code cell
  ``lrcore.checks.check_<name>(<name>)``;
- the other ``literalinclude`` blocks become plain Python code blocks (Jupyter cannot include
  files), so the notebook shows the code the chapter shows;
- sphinx-exercise solutions (``{solution-start}`` ... ``{solution-end}``, ``{solution}``) are
  removed;
- every other cell stays. Later cells call ``lrcore.<name>(...)``, so the chapter runs the same
  whether or not the student's version is done;
- a first markdown cell explains how to use the notebook, and a setup cell imports what the
  stubs and checks need.

Stub and check cells carry ``metadata["lrcore_exercise"] = {"function": name, "role": "stub" |
"check"}`` (and the tag ``exercise``), so that tools and tests can find them.

Usage: ``python tools/student_notebooks.py [--out DIR] [--html DIR | --no-publish]``. The
notebooks go to ``_build/student`` by default; if the built site exists (``_build/html``),
:func:`publish` also copies them to ``_build/html/_downloads/student/`` with an ``index.html``
and a zip of all of them.
"""

from __future__ import annotations

import argparse
import ast
import html
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
LRCORE = ROOT / "lrcore"
DEFAULT_OUT = ROOT / "_build" / "student"
DEFAULT_HTML = ROOT / "_build" / "html"
DOWNLOADS = Path("_downloads") / "student"
SUFFIX = "_student.ipynb"

# A fenced MyST directive: ```{name} argument / options and body / ``` (or ::: fences).
DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<argument>[^\n]*)\n"  # opening line
    r"(?P<body>.*?)"  # options and content
    r"^(?P=fence)(?![`:])[ \t]*$\n?",  # the closing fence, exactly as long as the opening one
    re.MULTILINE | re.DOTALL,
)
SOLUTION_DIRECTIVES = {"solution", "solution-start", "solution-end"}
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$", re.MULTILINE)


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


# ---------------------------------------------------------------------------- the notebook


@dataclass(frozen=True)
class Include:
    """A ``{literalinclude}`` of one object of lrcore's source."""

    path: Path
    name: str


def _include(match: re.Match, chapter: Path) -> Include | None:
    if match["name"] != "literalinclude":
        return None
    options = {m["key"]: m["value"].strip() for m in OPTION.finditer(match["body"])}
    path = (chapter.parent / match["argument"].strip()).resolve()
    if "pyobject" not in options or not path.is_relative_to(LRCORE) or not path.is_file():
        return None
    return Include(path, options["pyobject"])


def _remove_solutions(cells: list) -> list:
    """Drop sphinx-exercise solutions: gated ``solution-start``/``-end`` spans and ``{solution}`` blocks."""
    kept, inside = [], False  # inside: between a solution-start and its solution-end
    for cell in cells:
        if cell.cell_type != "markdown":
            if not inside:
                kept.append(cell)
            continue
        out, position = [], 0
        for match in DIRECTIVE.finditer(cell.source):
            if not inside:
                out.append(cell.source[position : match.start()])
                if match["name"] not in SOLUTION_DIRECTIVES:
                    out.append(match.group(0))
            inside = (inside or match["name"] == "solution-start") and match["name"] != "solution-end"
            position = match.end()
        if not inside:
            out.append(cell.source[position:])
        source = "".join(out).strip("\n")
        if source.strip():
            kept.append(nbformat.v4.new_markdown_cell(source, metadata=cell.metadata))
    return kept


def _exercise_cells(include: Include) -> list:
    name = include.name
    tags = {"tags": ["exercise"]}
    return [
        nbformat.v4.new_markdown_cell(
            f"✏️ **Your turn:** write `{name}` as its docstring describes, run the cell, then run the check under it."
        ),
        nbformat.v4.new_code_cell(
            stub_source(include.path, name), metadata={**tags, "lrcore_exercise": {"function": name, "role": "stub"}}
        ),
        nbformat.v4.new_code_cell(
            f"lrcore.checks.check_{name}({name})",
            metadata={**tags, "lrcore_exercise": {"function": name, "role": "check"}},
        ),
    ]


def _split_markdown(cell, chapter: Path, checked: set[str], exercises: list[str]) -> list:
    """The markdown cell with its literalincludes replaced: stubs for checked functions, code otherwise."""
    cells, text, position = [], "", 0
    for match in DIRECTIVE.finditer(cell.source):
        include = _include(match, chapter)
        text += cell.source[position : match.start()]
        position = match.end()
        if include is None:
            text += match.group(0)
        elif include.name in checked and include.name not in exercises:
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text.strip("\n")))
            cells += _exercise_cells(include)
            exercises.append(include.name)
            text = ""
        else:
            text += f"```python\n{object_source(include.path, include.name)}\n```\n"
    text += cell.source[position:]
    if text.strip():
        cells.append(nbformat.v4.new_markdown_cell(text.strip("\n")))
    return cells


def _title(cells: list, chapter: Path) -> str:
    for cell in cells:
        match = re.search(r"^# (.+)$", cell.source, re.MULTILINE) if cell.cell_type == "markdown" else None
        if match:
            return match.group(1).strip()
    return chapter.stem


INTRO = """\
# Exercises: {title}

This is the chapter *{title}* of the book *Logistic Regression and Gradient Descent, Executed*,
with the code of {count} taken out for you to write: {names}.

**How to use it**

1. Run the notebook from the top (*Run All*): it runs as it is, before you write anything.
2. At each ✏️ **Your turn**, replace `raise NotImplementedError("TODO")` with your code. The
   docstring says what the function receives and must return, with the shapes.
3. Run that cell, then the check cell under it. `lrcore.checks.check_<name>(<name>)` runs your
   function on several inputs (float32 and float64, edge cases), compares each result with
   `lrcore`'s own function, prints ✓ or ✗ for every case and, when it recognises a common
   mistake, a hint. It returns `True` once every case passes.
4. The rest of the chapter calls `lrcore.<name>(...)`, the book's tested version, so its results
   do not depend on yours.

You need the book's Python environment, with `lrcore` installed (`pip install -e .` in the
book's repository). The text is the book's MyST source: `{{glue:text}}` marks a number the book
computes in a cell, and `{{eq}}`, `{{ref}}`, `{{numref}}` are cross-references; the built book
shows them formatted.
"""

SETUP = """\
# What the exercises need: the stubs' type annotations use Tensor, the checks live in lrcore.checks.
import torch
from torch import Tensor

import lrcore
import lrcore.checks
"""


def student_notebook(chapter: Path, checked: set[str] | None = None) -> nbformat.NotebookNode | None:
    """The exercise notebook of ``chapter``, or None if it shows no function with a check."""
    checked = checked_functions() if checked is None else checked
    source = jupytext.read(chapter)
    exercises: list[str] = []
    cells = []
    for cell in _remove_solutions(source.cells):
        cells += _split_markdown(cell, chapter, checked, exercises) if cell.cell_type == "markdown" else [cell]
    if not exercises:
        return None
    title = _title(cells, chapter)
    names = ", ".join(f"`{name}`" for name in exercises)
    count = "one function" if len(exercises) == 1 else f"{len(exercises)} functions"
    intro = nbformat.v4.new_markdown_cell(INTRO.format(title=title, count=count, names=names))
    setup = nbformat.v4.new_code_cell(SETUP)
    notebook = nbformat.v4.new_notebook(cells=[intro, setup, *cells])
    notebook.metadata = {
        "kernelspec": source.metadata.get(
            "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
        ),
        "language_info": {"name": "python"},
        "lrcore_exercises": {"chapter": chapter.name, "functions": exercises},
    }
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(notebook)
    return notebook


def write_notebooks(out: Path = DEFAULT_OUT, book: Path = BOOK) -> list[Path]:
    """Write one exercise notebook per chapter that has exercises; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"*{SUFFIX}"):
        stale.unlink()
    checked = checked_functions()
    written = []
    for chapter in sorted(book.glob("[0-9][0-9]_*.md")):
        notebook = student_notebook(chapter, checked)
        if notebook is not None:
            path = out / f"{chapter.stem}{SUFFIX}"
            nbformat.write(notebook, path)
            written.append(path)
    return written


# ---------------------------------------------------------------------------- the site


def publish(notebooks: list[Path], html_dir: Path = DEFAULT_HTML) -> Path:
    """Copy the notebooks into the built site, with an index page and a zip of them all.

    They go to ``<html_dir>/_downloads/student/``, next to the files Sphinx publishes for
    ``{download}`` links. Returns the index page; link to it from a chapter as
    ``../_downloads/student/index.html`` (the chapters live in ``<html_dir>/book/``).
    """
    target = html_dir / DOWNLOADS
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
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
        "followed by a check. Open it in Jupyter with <code>lrcore</code> installed.</p>\n"
        f"<ul>\n{chr(10).join(rows)}\n</ul>\n"
        f'<p><a href="{archive.name}" download>All notebooks (zip)</a></p>\n</body>\n</html>\n'
    )
    return index


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write them (default {DEFAULT_OUT})")
    parser.add_argument("--html", type=Path, default=DEFAULT_HTML, help="the built site to publish them in")
    parser.add_argument("--no-publish", action="store_true", help="do not copy them into the built site")
    args = parser.parse_args()
    notebooks = write_notebooks(args.out.resolve())
    for path in notebooks:
        print(f"wrote {path}")
    if not args.no_publish:
        if args.html.is_dir():
            print(f"published {publish(notebooks, args.html.resolve())}")
        else:
            print(f"{args.html} does not exist (build the book first); not published")
    return 0


if __name__ == "__main__":
    sys.exit(main())
