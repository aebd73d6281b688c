"""Offer every chapter as a Jupyter notebook that reads and runs outside the book.

For each page that is a notebook (its source declares a kernel), this extension writes
``_downloads/notebooks/<chapter>.ipynb`` and puts an ``.ipynb`` entry first in the theme's
download menu of that page. The notebook is made from Sphinx's *resolved* doctree of the page,
the same tree the HTML is written from, so it holds what the page shows and no MyST:

- glued values as the text the page shows; ``{ref}``, ``{numref}`` and ``{doc}`` as links to
  the published page and anchor (``html_baseurl``), with the page's link text; ``{eq}`` as the
  equation's number, and ``\\tag{n}`` in numbered equations; citations as "(Author, year)",
  with the works cited listed at the end;
- admonitions and exercises as block quotes, solutions folded in ``<details>`` (their code
  cells folded with ``jupyter.source_hidden``), figures with their number and caption;
- each ``{literalinclude}`` as a read-only Python block with exactly the source the page
  shows, in a Markdown cell of its own (``metadata.lrcore_include`` names the object, for
  ``tools/student_notebooks.py``);
- the code cells with the outputs of the build's execution (``jupyter_execute/``), minus what
  only the book needs: ``from myst_nb import glue`` and the ``glue(...)`` calls.

Its first cell installs ``lrcore`` from the wheel this build made, pinned by its SHA-256:
pip's ``lrcore @ <url>#sha256=<digest>``, so that pip refuses, with its own hash error, any file
that differs from it by one byte (the cell then says so in one line). The wheel is built here,
at ``build-finished``, before the notebooks are written (:func:`build_wheel`: ``python -m build``
on a copy of ``pyproject.toml``, ``README.md`` and ``lrcore/``, with ``SOURCE_DATE_EPOCH`` fixed,
so the same source gives the same bytes), into ``_downloads/lrcore-<version>-py3-none-any.whl``.
The cell installs it, together with the versions pinned in ``requirements.txt`` of every package
the chapter imports and of ``lrcore``'s dependencies, unless ``import lrcore`` finds this book's
version (``lrcore.__version__``, ``pyproject.toml``'s) and every package the chapter imports is
importable; another version of ``lrcore`` is replaced. A chapter that imports a package
``requirements.txt`` does not pin fails the build.

Where the wheel and the pages are: the one base URL is ``$LRBOOK_BASE_URL`` where that is set
(the Pages workflow sets it to the address Pages reports), else ``html_baseurl`` (``html:
baseurl:`` in ``_config.yml``, empty: the book's address is not known in the repository). With
a base URL, the notebooks link to the book's pages there and install ``<base>/_downloads/<wheel>``.
Without one (a local ``make book``), they say so in their first line: their links are relative to
the built site (``../../book/<page>.html``, right where they lie in it, ``_downloads/notebooks/``),
and the wheel is the file in the notebook's folder or the one above it (as in the site). Either
way ``$LRCORE_WHEEL`` (a path or a URL) points the first cell at another copy of the wheel, which
must have the same digest.

The notebooks are written at ``build-finished`` from ``env.get_and_resolve_doctree``, so a
rebuild that re-reads nothing still writes them, and the parallel writers are not involved.

Why not ``sphinx-tojupyter`` (QuantEcon's converter, 0.6.0): it is a builder of its own
(``-b jupyter``), so it needs a second Sphinx run over every page beside the HTML build, and
cannot fill the HTML pages' download menu; it does not carry myst-nb's executed outputs (it
re-executes, with dask); it replaces the whole of ``nb_mime_priority_overrides`` with its
own; and it pulls in dask[distributed] and nbdime. What the book needs from it, Markdown from
the resolved doctree, is this module.
"""

from __future__ import annotations

import ast
import base64
import copy
import functools
import hashlib
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
#: Where the notebooks land, relative to the html output folder.
FOLDER = "_downloads/notebooks"
#: Where ``make book`` puts lrcore's wheel, relative to the html output folder.
WHEEL_FOLDER = "_downloads"
#: The environment variable that points the first cell at another copy of the wheel (a test, a mirror).
WHEEL_VARIABLE = "LRCORE_WHEEL"
#: The environment variable that sets the book's base URL at build time (it overrides ``html_baseurl``).
BASE_URL_VARIABLE = "LRBOOK_BASE_URL"
#: The base the converter resolves links against when the book has no address; links under it
#: are then written relative to the notebook's folder in the site (``_downloads/<folder>/``).
LOCAL_BASE = "http://local.invalid/"
#: The timestamp of every file in the wheel (the ZIP format's earliest): same source, same bytes.
WHEEL_EPOCH = "315532800"
#: What the wheel is built from, copied out of the source tree (``__pycache__`` left behind).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "lrcore")
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")
ADMONITION_TITLES = {
    "attention": "Attention", "caution": "Caution", "danger": "Danger", "error": "Error", "hint": "Hint",
    "important": "Important", "note": "Note", "tip": "Tip", "warning": "Warning", "seealso": "See also",
}  # fmt: skip

#: Containers that only group blocks for the browser (accessible_theme.py's runs of blocks the
#: browser may skip off the screen): the notebook gets their blocks as if they were not there.
LAYOUT_ONLY = {"offscreen-run"}


# ---------------------------------------------------------------------------- the package


def canonical(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(requirements: Path) -> dict[str, str]:
    """``{normalized name: "name==version"}`` for every exact pin of a requirements file."""
    pins = {}
    for line in requirements.read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonical(match[1])] = f"{match[1]}=={match[2]}"
    return pins


def project(pyproject: Path) -> dict:
    """The ``[project]`` table of ``pyproject.toml``: lrcore's name, version and dependencies."""
    return tomllib.loads(pyproject.read_text())["project"]


def wheel_name(version: str) -> str:
    return f"lrcore-{version}-py3-none-any.whl"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_sources_key(root: Path) -> str:
    """A digest of what the wheel is built from: every file of :data:`WHEEL_SOURCES`, and setuptools' version."""
    import importlib.metadata

    digest = hashlib.sha256(f"{WHEEL_EPOCH} setuptools {importlib.metadata.version('setuptools')}".encode())
    for name in WHEEL_SOURCES:
        path = (root / name).resolve()
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        files = [f for f in files if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"]
        for file in files:
            digest.update(f"\0{file.relative_to(path.parent)}\0".encode() + file.read_bytes())
    return digest.hexdigest()


def build_wheel(root: Path, outdir: Path, key_file: Path | None = None) -> Path:
    """lrcore's wheel, built from ``root`` into ``outdir``; the same source gives the same bytes.

    ``python -m build --wheel --no-isolation`` (the environment's pinned setuptools, no network)
    on a copy of :data:`WHEEL_SOURCES` in a temporary folder, so that concurrent builds never
    share setuptools' ``build/`` and ``*.egg-info`` folders and no stray file of the tree gets in,
    with ``SOURCE_DATE_EPOCH`` fixed (:data:`WHEEL_EPOCH`). The wheel replaces any of that name
    in ``outdir`` at once (``os.replace``), and the wheels of other versions there go: a site
    publishes one lrcore, the version of ``pyproject.toml``. With ``key_file``, a rebuild whose sources
    (:func:`wheel_sources_key`) and wheel are those recorded there keeps the wheel (a few seconds).
    """
    version = project(root / "pyproject.toml")["version"]
    target = outdir / wheel_name(version)
    for stale in outdir.glob(wheel_name("*")):
        if stale.name != target.name:
            stale.unlink()
    key = wheel_sources_key(root)
    if key_file is not None and target.is_file() and key_file.is_file():
        if key_file.read_text() == f"{key} {sha256(target)}":
            return target
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lrcore-wheel-") as scratch:
        source, dist = Path(scratch, "source"), Path(scratch, "dist")
        source.mkdir()
        for name in WHEEL_SOURCES:
            path = (root / name).resolve()
            if path.is_dir():
                shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(path, source / name)
        environment = {**os.environ, "SOURCE_DATE_EPOCH": WHEEL_EPOCH}
        command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)]
        result = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=scratch)
        built = dist / wheel_name(version)
        if result.returncode != 0 or not built.is_file():
            raise ExtensionError(f"notebook_downloads: building lrcore's wheel failed:\n{result.stdout}{result.stderr}")
        partial = outdir / f".{built.name}.partial"
        shutil.copyfile(built, partial)
        os.replace(partial, target)
    if key_file is not None:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(f"{key} {sha256(target)}")
    return target


def imported_modules(cells: list) -> set[str]:
    """Top-level names of the absolute imports in the code cells."""
    modules = set()
    for cell in cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(python_only(cell.source))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def python_only(source: str) -> str:
    """The cell without IPython magics and shell escapes (blanked, so line numbers stay)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


@functools.cache
def installed_distributions() -> dict[str, list[str]]:
    """``{top-level module: [distribution, ...]}`` of the environment, computed once per build.

    ``importlib.metadata.packages_distributions`` reads every installed package's file list:
    about half a second each call.
    """
    import importlib.metadata

    return importlib.metadata.packages_distributions()


def requirements_for(cells: list, pins: dict[str, str], dependencies: list[str], name: str) -> tuple[list, list]:
    """The pins of what the cells import and of lrcore's dependencies; the modules imported."""
    distributions = installed_distributions()
    modules = sorted(imported_modules(cells) - set(sys.stdlib_module_names) - {"lrcore"})
    needed = {canonical(re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0]) for d in dependencies}
    for module in modules:
        if module not in distributions:
            raise ExtensionError(f"notebook_downloads: {name} imports {module!r}, which is not installed")
        needed.update(canonical(d) for d in distributions[module])
    missing = sorted(needed - set(pins))
    if missing:
        raise ExtensionError(f"notebook_downloads: {name} needs {missing}, which requirements.txt does not pin")
    return sorted(pins[d] for d in needed), modules


def install_cell_source(
    wheel_url: str | None, digest: str, version: str, requirements: list[str], modules: list[str]
) -> str:
    """The first cell of every notebook the site offers.

    ``wheel_url`` is where the site publishes lrcore's wheel, or None for a book built without an
    address: then the wheel is looked for in the notebook's folder and the one above it.
    """
    name = wheel_name(version)
    pinned = "".join(f"    {r!r},\n" for r in requirements)
    if wheel_url is None:
        where = """\
# A local build of the book (no published address): its links are relative to the built site, and
# lrcore's wheel is the file from the site's _downloads/, beside this notebook or in the folder above.
"""
        wheel = f"""\
WHEEL_FILE = {name!r}
LRCORE_WHEEL = os.environ.get({WHEEL_VARIABLE!r}) or next(
    (path for path in [WHEEL_FILE, os.path.join("..", WHEEL_FILE)] if os.path.isfile(path)), None
)"""
        missing = """\
    if LRCORE_WHEEL is None:
        raise FileNotFoundError(f"No lrcore wheel: put {WHEEL_FILE} (the book's _downloads/) beside this notebook.")
"""
    else:
        where = missing = ""
        wheel = f"LRCORE_WHEEL = os.environ.get({WHEEL_VARIABLE!r}, {wheel_url!r})"
    return f"""\
# lrcore {version}, the book's package, for Colab or a fresh Jupyter kernel: installs exactly this version,
# the wheel {name} that the book's site publishes (pip refuses any other file:
# LRCORE_SHA256 is its digest), and the package versions the book was built with. Does nothing where
# lrcore {version} and the packages this notebook imports are importable; replaces another lrcore.
{where}import importlib
import importlib.util
import os
import pathlib
import subprocess
import sys

LRCORE_VERSION = {version!r}
LRCORE_SHA256 = {digest!r}
{wheel}
PINNED = [
{pinned}]
IMPORTED = {modules!r}


def lrcore_version():
    \"\"\"The version of the lrcore that `import lrcore` finds, or None.\"\"\"
    if importlib.util.find_spec("lrcore") is None:
        return None
    try:
        import lrcore
    except Exception:
        return None
    return getattr(lrcore, "__version__", None)


if lrcore_version() != LRCORE_VERSION or any(importlib.util.find_spec(m) is None for m in IMPORTED):
{missing}    url = LRCORE_WHEEL if "://" in LRCORE_WHEEL else pathlib.Path(LRCORE_WHEEL).resolve().as_uri()
    loaded = [module for module in ["lrcore", *IMPORTED] if module in sys.modules]
    command = [sys.executable, "-m", "pip", "install", "--quiet", f"lrcore @ {{url}}#sha256={{LRCORE_SHA256}}", *PINNED]
    pip = subprocess.run(command, capture_output=True, text=True)
    if pip.returncode != 0:
        print(pip.stdout + pip.stderr, file=sys.stderr)  # pip's own message
        if "DO NOT MATCH THE HASHES" in pip.stderr:
            raise RuntimeError(f"Refused {{url}}: not the lrcore wheel this book was built with (its SHA-256 differs).")
        raise RuntimeError(f"pip could not install lrcore from {{url}}: its message is above.")
    importlib.invalidate_caches()
    if loaded:
        print("Installed, but", ", ".join(loaded), "were loaded before: restart the kernel, then run all cells.")\
"""


# ---------------------------------------------------------------------------- code cells


GLUE_DEFINITION = "def glue(name, value, display=True):  # the book's text shows the value\n    pass"


def without_glue(source: str, define_glue: bool = False) -> str:
    """The cell's code without ``from myst_nb import glue`` and its ``glue(...)`` statements.

    ``glue`` only hands a value to the book's text, which the notebook's Markdown already holds
    as text. Statements are found with ``ast`` and removed by their line span: a ``glue(...)``
    call, and a ``for`` or ``if`` block that holds nothing else. A ``glue(...)`` that cannot go
    (the only statement of a function, say) is left where :func:`glue_left` finds it; then
    ``define_glue`` replaces the import by a plain function ``glue`` that does nothing, so that
    the notebook still never imports ``myst_nb``.
    """
    try:
        tree = ast.parse(python_only(source))
    except SyntaxError:
        return source
    drop: set[int] = set()  # 1-based line numbers
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "myst_nb":
            if [a.name for a in node.names] != ["glue"] or node.names[0].asname:
                raise ExtensionError(f"notebook_downloads: cannot leave out `{ast.unparse(node)}`")
            drop.update(range(node.lineno, node.end_lineno + 1))
            if define_glue:
                drop.discard(node.lineno)  # the line that becomes the definition
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == "myst_nb" for a in node.names):
            raise ExtensionError(f"notebook_downloads: cannot leave out `{ast.unparse(node)}`")
        for body in _bodies(node):
            glued = [statement for statement in body if _glue_only(statement)]
            if len(glued) < len(body) or isinstance(node, ast.Module):
                for statement in glued:
                    drop.update(range(statement.lineno, statement.end_lineno + 1))
    lines = source.splitlines()
    if define_glue:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "myst_nb":
                indent = lines[node.lineno - 1][: node.col_offset]
                lines[node.lineno - 1] = textwrap.indent(GLUE_DEFINITION, indent)
    kept = [line for number, line in enumerate(lines, 1) if number not in drop]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept).strip("\n"))
    return "\n".join(line.rstrip() for line in text.splitlines())


def glue_left(source: str) -> bool:
    """Whether a ``glue(...)`` call stays in the cell after :func:`without_glue`."""
    try:
        tree = ast.parse(python_only(without_glue(source)))
    except SyntaxError:
        return "glue(" in source
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "glue" for n in ast.walk(tree))


def _bodies(node: ast.AST) -> list[list[ast.stmt]]:
    bodies = [getattr(node, name, None) for name in ("body", "orelse", "finalbody")]
    return [b for b in bodies if isinstance(b, list) and b and isinstance(b[0], ast.stmt)]


def _glue_only(statement: ast.stmt) -> bool:
    """A ``glue(...)`` call, or a ``for``/``if`` block of nothing but such statements."""
    if isinstance(statement, (ast.For, ast.If)):
        return all(_glue_only(s) for body in _bodies(statement) for s in body)
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Name)
        and statement.value.func.id == "glue"
    )


# ---------------------------------------------------------------------------- Markdown


def escape(text: str) -> str:
    """Plain text as Markdown that shows it literally (``$`` would start math in Jupyter)."""
    text = re.sub(r"([\\`*_\[\]$|])", r"\\\1", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def code_span(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, language: str = "") -> str:
    longest = max((len(run) for run in re.findall(r"^`{3,}", text, re.MULTILINE)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def indent(text: str, prefix: str) -> str:
    return textwrap.indent(text, prefix, lambda line: True).replace(prefix.rstrip() + "\n", "\n")


@dataclass
class Converter:
    """One page's resolved doctree to notebook cells (see the module's docstring)."""

    app: Sphinx
    docname: str
    base_url: str
    code_cells: list  # the executed notebook's cells, by index
    lrcore_dir: Path
    cells: list = field(default_factory=list)
    buffer: list[str] = field(default_factory=list)
    solution: str | None = None  # the title of the solution being written, if any
    next_code: int = 0  # the index of the next executed cell not yet written
    cited: dict = field(default_factory=dict)  # citation id -> Citation, in order of first use
    _citations: dict | None = None
    shown: set[int] = field(default_factory=set)  # the indices of the cells the page shows
    parts: int = 0  # how many cells of the current solution are written
    define_glue: bool = False  # whether a glue(...) call stays in some cell

    @property
    def page_url(self) -> str:
        return urljoin(self.base_url, f"{self.docname}.html")

    def link(self, address: str) -> str:
        """An address in the book as the notebook writes it: relative to the notebook's folder in
        the site (``_downloads/<folder>/``) for a book without an address (:data:`LOCAL_BASE`)."""
        if address.startswith(LOCAL_BASE):
            return "../../" + address.removeprefix(LOCAL_BASE)
        return address

    def number(self, figtype: str, node_id: str) -> str:
        numbers = self.app.env.toc_fignumbers.get(self.docname, {}).get(figtype, {}).get(node_id)
        return ".".join(map(str, numbers)) if numbers else ""

    # -- cells

    def flush(self) -> None:
        text = round_citations("\n\n".join(part for part in self.buffer if part.strip()).strip("\n"))
        self.buffer = []
        if not text:
            return
        metadata = {}
        if self.solution is not None:
            summary = self.solution + (", continued" if self.parts else "")
            text = f"<details>\n<summary>{summary}</summary>\n\n{text}\n\n</details>"
            metadata = {"tags": ["solution"]}
            self.parts += 1
        self.cells.append(nbformat.v4.new_markdown_cell(text, metadata=metadata))

    def markdown_cell(self, text: str, **metadata) -> None:
        self.flush()
        self.cells.append(nbformat.v4.new_markdown_cell(round_citations(text), metadata=metadata))

    def code_cell(self, index: int) -> None:
        """The executed cell ``index``, then the cells after it that the page does not show.

        A cell the page leaves out (``remove-cell``) still runs in the notebook, since later
        cells may need what it computes; it goes right after the cell it follows in the
        source, in the same solution if that one is in a solution.
        """
        self.flush()
        self.hidden_cells(index)  # those before the first cell the page shows
        self._append_code(self.code_cells[index], outputs=True)
        following = min((i for i in self.shown if i > index), default=len(self.code_cells))
        self.hidden_cells(following, start=index + 1)

    def hidden_cells(self, stop: int, start: int | None = None) -> None:
        for hidden in range(self.next_code if start is None else start, stop):
            if self.code_cells[hidden].cell_type == "code":
                self._append_code(self.code_cells[hidden], outputs=False)
        self.next_code = max(self.next_code, stop)

    def _append_code(self, cell, outputs: bool) -> None:
        source = without_glue(cell.source, define_glue=self.define_glue)
        if not source.strip():
            return  # nothing but glue
        tags = list(cell.metadata.get("tags", []))
        metadata: dict = {"tags": tags} if tags else {}
        hidden = {"source_hidden": "hide-input" in tags or "hide-cell" in tags}
        hidden["outputs_hidden"] = "hide-output" in tags or "hide-cell" in tags
        if self.solution is not None:
            metadata["tags"] = [*tags, "solution"]
            hidden = {"source_hidden": True, "outputs_hidden": True}
        if any(hidden.values()):
            metadata["jupyter"] = {k: v for k, v in hidden.items() if v}
        new = nbformat.v4.new_code_cell(source, metadata=metadata)
        if outputs and not {"remove-output", "remove_output", "remove-cell"} & set(tags):
            # Not the outputs of glue(...), which the book moves into its text (they carry "scrapbook").
            shown = [o for o in cell.get("outputs", []) if "scrapbook" not in o.get("metadata", {})]
            new.outputs = copy.deepcopy(shown)
            new.execution_count = cell.get("execution_count")
        self.cells.append(new)

    def finish(self, doctree: nodes.document) -> list:
        self.define_glue = any(glue_left(c.source) for c in self.code_cells if c.cell_type == "code")
        self.shown = {n["cell_index"] for n in doctree.findall(nodes.container) if n.get("nb_element") == "cell_code"}
        self.block_children(doctree)
        self.flush()
        self.hidden_cells(len(self.code_cells))
        if self.cited:
            entries = [f"- {self.citation_text(c)}" for c in self.cited.values()]
            self.markdown_cell("## References\n\n" + "\n".join(entries))
        return self.cells

    def citation_text(self, citation) -> str:
        return " ".join(citation.formatted_entry.text.render_as("markdown").split())

    # -- blocks

    def has_cells(self, node: nodes.Node) -> bool:
        return any(n.get("nb_element") == "cell_code" for n in node.findall(nodes.container))

    def block_children(self, node: nodes.Element) -> None:
        for child in node.children:
            self.block(child)

    def block(self, node: nodes.Node) -> None:
        """Write a block node: to the Markdown buffer, or as cells of its own."""
        if isinstance(node, nodes.container) and node.get("nb_element") == "cell_code":
            self.code_cell(node["cell_index"])
            for figure in node.findall(nodes.figure):  # mystnb: figure: the caption under the output
                caption = self.figure_caption(figure)
                if caption:
                    self.markdown_cell(caption)
            return
        if isinstance(node, nodes.literal_block) and self.include(node) is not None:
            name = self.include(node)
            self.markdown_cell(code_block(node.astext(), "python"), lrcore_include=name)
            return
        if isinstance(node, nodes.section):
            self.buffer.append(self.heading(node))
            self.block_children_after_title(node)
            return
        if is_solution(node):
            self.flush()
            outer, self.solution, self.parts = self.solution, self.plain_title(node) or "Solution", 0
            self.block_children_after_title(node)
            self.flush()
            self.solution = outer
            return
        if isinstance(node, nodes.Admonition) and self.has_cells(node):
            # An exercise with code cells in it (gated): the title, then its content in turn.
            self.buffer.append(f"**{self.admonition_title(node)}**")
            self.block_children_after_title(node)
            return
        if isinstance(node, (nodes.compound, nodes.container, addnodes.only)) and self.has_cells(node):
            self.block_children(node)
            return
        if isinstance(node, nodes.container) and LAYOUT_ONLY & set(node["classes"]):
            self.block_children(node)
            return
        self.buffer.append(self.markdown(node))

    def block_children_after_title(self, node: nodes.Element) -> None:
        for child in node.children:
            if not isinstance(child, nodes.title):
                self.block(child)

    def heading(self, section: nodes.section) -> str:
        """The section's title as a Markdown heading ("" for an untitled section: a wrapper)."""
        title = next((c for c in section.children if isinstance(c, nodes.title)), None)
        if title is None:
            return ""
        level = 1
        parent = section.parent
        while parent is not None:
            level += isinstance(parent, nodes.section) and any(isinstance(c, nodes.title) for c in parent.children)
            parent = parent.parent
        return "#" * min(level, 6) + " " + self.inline_children(title)

    def include(self, node: nodes.literal_block) -> str | None:
        """``"lrcore.module.object"`` if ``node`` is a literalinclude of one of lrcore's objects."""
        source = node.get("source")
        if not source or node.get("language", "python") not in ("python", "python3", "py", "default"):
            return None
        path = Path(source).resolve()
        if not path.is_file() or not path.is_relative_to(self.lrcore_dir) or path.suffix != ".py":
            return None
        return object_in(path, node.astext(), self.lrcore_dir.parent)

    def admonition_title(self, node: nodes.Element) -> str:
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        if title is not None:
            text = self.inline_children(title)
            if "%s" in title.get("title", ""):
                # sphinx-exercise leaves "Exercise %s" to the HTML writer, which fills in the number.
                number = self.number("exercise", node["ids"][0]) if node.get("ids") else ""
                text = escape(title["title"] % number) + text
            return text
        kind = type(node).__name__
        return ADMONITION_TITLES.get(kind, kind.replace("_", " ").capitalize())

    def plain_title(self, node: nodes.Element) -> str:
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        return escape(title.astext()) if title is not None else ""

    def figure_caption(self, figure: nodes.figure) -> str:
        caption = next((c for c in figure.children if isinstance(c, nodes.caption)), None)
        number = self.number("figure", figure["ids"][0]) if figure["ids"] else ""
        label = self.app.config.numfig_format["figure"] % number if number else ""
        text = self.inline_children(caption) if caption is not None else ""
        legend = [self.markdown(c) for c in figure.children if isinstance(c, nodes.legend)]
        head = f"**{label}** {text}".strip() if label else text
        return "\n\n".join(p for p in [f"*{head}*" if head and not label else head, *legend] if p)

    def markdown(self, node: nodes.Node) -> str:
        """A block node with no code cell in it, as Markdown."""
        if isinstance(node, nodes.Text):
            return escape(node.astext())
        if isinstance(node, (nodes.comment, nodes.target, nodes.substitution_definition, addnodes.toctree)):
            return ""
        if isinstance(node, nodes.system_message) or isinstance(node, nodes.Invisible):
            return ""
        if isinstance(node, nodes.paragraph):
            text = self.inline_children(node).strip()
            return re.sub(r"^(#|>|[-+*] |\d+[.)] )", r"\\\1", text)
        if isinstance(node, nodes.section):
            parts = [self.heading(node)]
            parts += [self.markdown(c) for c in node.children if not isinstance(c, nodes.title)]
            return self.join(parts)
        if isinstance(node, nodes.literal_block):
            language = node.get("language", "")
            language = "" if language in ("default", "none", "text") else language
            return code_block(node.astext(), language)
        if isinstance(node, nodes.math_block):
            return self.math_block(node)
        if isinstance(node, nodes.bullet_list):
            return "\n".join(self.list_item(item, "- ") for item in node.children)
        if isinstance(node, nodes.enumerated_list):
            start = node.get("start", 1)
            return "\n".join(self.list_item(item, f"{start + i}. ") for i, item in enumerate(node.children))
        if isinstance(node, nodes.definition_list):
            return "\n".join(self.definition(item) for item in node.children)
        if isinstance(node, nodes.figure):
            return self.figure(node)
        if isinstance(node, nodes.image):
            return self.image(node)
        if is_solution(node):
            title = self.plain_title(node) or "Solution"
            body = self.join(self.markdown(c) for c in node.children if not isinstance(c, nodes.title))
            return f"<details>\n<summary>{title}</summary>\n\n{body}\n\n</details>"
        if isinstance(node, (nodes.Admonition, nodes.topic, nodes.sidebar)):
            body = self.join(self.markdown(c) for c in node.children if not isinstance(c, nodes.title))
            return quote(self.join([f"**{self.admonition_title(node)}**", body]))
        if isinstance(node, nodes.block_quote):
            return quote(self.join(self.markdown(c) for c in node.children))
        if isinstance(node, nodes.table):
            return self.table(node)
        if isinstance(node, nodes.transition):
            return "---"
        if isinstance(node, nodes.rubric):
            return f"**{self.inline_children(node)}**"
        if isinstance(node, nodes.line_block):
            return "<br>\n".join(self.inline_children(line) for line in node.findall(nodes.line))
        if isinstance(node, nodes.raw):
            return self.raw(node)
        if isinstance(node, (nodes.title, nodes.caption, nodes.attribution)):
            return f"**{self.inline_children(node)}**"
        if isinstance(node, nodes.TextElement):
            return self.inline_children(node)
        if isinstance(node, nodes.Element):
            return self.join(self.markdown(c) for c in node.children)
        return ""

    def join(self, parts) -> str:
        return "\n\n".join(p for p in parts if p and p.strip())

    def list_item(self, item: nodes.Element, marker: str) -> str:
        body = self.join(self.markdown(c) for c in item.children)
        return marker + indent(body, " " * len(marker)).lstrip()

    def definition(self, item: nodes.Element) -> str:
        term = self.join(self.inline_children(c) for c in item.children if isinstance(c, nodes.term))
        body = self.join(self.markdown(c) for c in item.children if isinstance(c, nodes.definition))
        return f"- **{term}**: " + indent(body, "  ").lstrip()

    def math_block(self, node: nodes.math_block) -> str:
        latex = node.astext().strip()
        number = self.number("displaymath", node["ids"][0]) if node.get("ids") else ""
        number = number or (str(node["number"]) if node.get("number") else "")
        if node.get("nowrap"):
            return f"$$\n{latex}\n$$"
        tag = f" \\tag{{{number}}}" if number else ""
        return f"$$\n{latex}{tag}\n$$"

    def figure(self, node: nodes.figure) -> str:
        images = [self.image(i) for i in node.findall(nodes.image)]
        return self.join([*images, self.figure_caption(node)])

    def image(self, node: nodes.image) -> str:
        """An image file, embedded as a data URI (a notebook has no folder of files)."""
        uri = node["uri"]
        alt = escape(node.get("alt", ""))
        if urlsplit(uri).scheme in ("http", "https", "data"):
            return f"![{alt}]({uri})"
        path = Path(self.app.srcdir, uri)
        if not path.is_file():
            path = Path(self.app.env.doc2path(self.docname)).parent / uri
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode()
        return f"![{alt}](data:{kind};base64,{data})"

    def table(self, node: nodes.table) -> str:
        rows = []
        for row in node.findall(nodes.row):
            cells = [self.join(self.markdown(c) for c in entry.children).replace("\n", " ") for entry in row.children]
            rows.append("| " + " | ".join(cells) + " |")
        if not rows:
            return ""
        heads = list(node.findall(nodes.thead))
        header = sum(1 for _ in heads[0].findall(nodes.row)) if heads else 0
        width = rows[0].count(" | ") + 1
        rule = "|" + "---|" * width
        if not header:
            rows.insert(0, "|" + " |" * width)
            header = 1
        rows.insert(header, rule)
        caption = [self.inline_children(t) for t in node.children if isinstance(t, nodes.title)]
        return self.join([*(f"**{c}**" for c in caption), "\n".join(rows)])

    def raw(self, node: nodes.raw) -> str:
        if "html" not in node.get("format", "").split():
            return ""

        def absolute(match: re.Match) -> str:
            return f'{match[1]}="{self.link(self.url(match[2]))}"'

        # Relative links of raw HTML point into the site: make them absolute, like {ref}s.
        return re.sub(r'\b(href|src)="([^"#][^"]*|#[^"]*)"', absolute, node.astext())

    # -- inline

    def url(self, target: str) -> str:
        """A link of the page, as an address in the published book."""
        if urlsplit(target).scheme:
            return target
        return urljoin(self.page_url, target)

    def inline_children(self, node: nodes.Element) -> str:
        return "".join(self.inline(c) for c in node.children)

    def inline(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Text):
            return escape(node.astext().replace("\n", " "))
        if isinstance(node, nodes.math):
            return f"${node.astext().strip()}$"
        if isinstance(node, nodes.literal):
            return code_span(node.astext())
        if isinstance(node, nodes.emphasis):
            return f"*{self.inline_children(node)}*"
        if isinstance(node, nodes.strong):
            return f"**{self.inline_children(node)}**"
        if isinstance(node, nodes.subscript):
            return f"<sub>{self.inline_children(node)}</sub>"
        if isinstance(node, nodes.superscript):
            return f"<sup>{self.inline_children(node)}</sup>"
        if isinstance(node, nodes.reference):
            return self.reference(node)
        if isinstance(node, addnodes.download_reference) and node.get("filename"):
            address = urljoin(self.base_url, f"_downloads/{node['filename']}")
            return f"[{self.inline_children(node)}]({self.link(address)})"
        if isinstance(node, nodes.image):
            return self.image(node)
        if isinstance(node, nodes.raw):
            return self.raw(node)
        if isinstance(node, nodes.footnote_reference):
            return f"<sup>{escape(node.astext())}</sup>"
        if isinstance(node, (nodes.target, nodes.system_message, nodes.comment)):
            return ""
        if isinstance(node, nodes.Element):
            return self.inline_children(node)
        return ""

    def reference(self, node: nodes.reference) -> str:
        text = self.inline_children(node)
        target = node.get("refuri") or (f"#{node['refid']}" if node.get("refid") else "")
        if not target:
            return text
        address = self.url(target)
        anchor = urlsplit(address).fragment
        citation = self.citations().get(anchor) if anchor else None
        if citation is not None:
            # "(Author, year)": the reference list is at the end of the notebook.
            self.cited.setdefault(anchor, citation)
            return f"{CITATION_START}{text}{CITATION_END}"
        if anchor.startswith("equation-") and address.split("#")[0] == self.page_url:
            return text  # an equation of this notebook: its number, which its \tag shows
        return f"[{text}]({self.link(address)})"

    def citations(self) -> dict:
        """``{anchor: Citation}`` of sphinxcontrib-bibtex's citations, read once per page."""
        if self._citations is None:
            try:
                domain = self.app.env.get_domain("cite")
            except Exception:  # sphinxcontrib-bibtex not loaded: no citations
                domain = None
            self._citations = {c.citation_id: c for c in getattr(domain, "citations", [])}
        return self._citations


#: Around the text of a citation until its cell is written, so that its brackets can be found.
CITATION_START, CITATION_END = "\x01", "\x02"
CITATION_GROUP = re.compile(
    rf"\\\[((?:{CITATION_START}[^{CITATION_END}]*{CITATION_END}[^\[\]{CITATION_START}]*?)+)\\\]"
)


def round_citations(markdown: str) -> str:
    """sphinxcontrib-bibtex's "[Author, year]" and "Author [year]" in round brackets."""
    markdown = CITATION_GROUP.sub(r"(\1)", markdown)
    return markdown.replace(CITATION_START, "").replace(CITATION_END, "")


def is_solution(node: nodes.Node) -> bool:
    return type(node).__name__ == "solution_node"


@functools.cache
def _definitions(path: Path) -> dict[str, tuple[str, ...]]:
    """``{dotted name: candidate sources}`` of the top-level functions, classes and methods."""
    lines = path.read_text().splitlines()
    found: dict[str, tuple[str, ...]] = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + node.name
                starts = {node.lineno, min([node.lineno, *(d.lineno for d in node.decorator_list)])}
                found[name] = tuple(textwrap.dedent("\n".join(lines[s - 1 : node.end_lineno])).strip() for s in starts)
                if isinstance(node, ast.ClassDef):
                    visit(node.body, name + ".")

    visit(ast.parse("\n".join(lines)).body, "")
    return found


def object_in(path: Path, shown: str, root: Path) -> str | None:
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    shown = textwrap.dedent(shown).strip()
    for name, sources in _definitions(path).items():
        if shown in sources:
            return f"{module}.{name}"
    return None


# ---------------------------------------------------------------------------- Sphinx


def is_notebook(app: Sphinx, docname: str) -> bool:
    return "kernelspec" in app.env.metadata.get(docname, {})


def download_name(docname: str) -> str:
    return f"{FOLDER}/{Path(docname).name}.ipynb"


def base_url(app: Sphinx) -> str | None:
    """The book's address (``html_baseurl``, which ``$LRBOOK_BASE_URL`` overrides), or None."""
    url = app.config.html_baseurl.strip()
    return url.rstrip("/") + "/" if url else None


def use_base_url_variable(app: Sphinx, config) -> None:
    """``$LRBOOK_BASE_URL``, where set, is the book's ``html_baseurl`` (the Pages workflow sets it)."""
    url = os.environ.get(BASE_URL_VARIABLE, "").strip()
    if url:
        config.html_baseurl = url.rstrip("/") + "/"


def executed_cells(app: Sphinx, docname: str) -> list:
    """The cells of the page as the build executed them, with their outputs (``jupyter_execute/``).

    A chapter taken from the execution cache is written there with its outputs too
    (``parallel_execution.keep_outputs_on_cache_hit``).
    """
    path = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    if not path.is_file():
        raise ExtensionError(f"notebook_downloads: {docname} has no executed notebook at {path}")
    return nbformat.read(path, as_version=4).cells


def build_notebook(app: Sphinx, docname: str, first_cell: str, wheel: dict) -> nbformat.NotebookNode:
    doctree = app.env.get_and_resolve_doctree(docname, app.builder)
    root = Path(app.srcdir)
    base = base_url(app) or LOCAL_BASE
    converter = Converter(app, docname, base, executed_cells(app, docname), (root / "lrcore").resolve())
    cells = converter.finish(doctree)
    if any("myst_nb" in c.source for c in cells if c.cell_type == "code"):
        raise ExtensionError(f"notebook_downloads: {docname} still imports myst_nb")
    install = nbformat.v4.new_code_cell(first_cell, metadata={"tags": ["install"]})
    notebook = nbformat.v4.new_notebook(cells=[install, *cells])
    notebook.metadata = {
        "kernelspec": app.env.metadata[docname]["kernelspec"],
        "language_info": {"name": "python"},
        "lrcore_book": {"page": converter.link(converter.page_url), "base_url": base_url(app), "lrcore": wheel},
    }
    for index, each in enumerate(notebook.cells):  # stable ids: the same page, the same file
        each.id = f"cell-{index}"
    nbformat.validate(notebook)
    return notebook


def write_notebooks(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir)
    package = project(root / "pyproject.toml")
    # The wheel first: the notebooks' first cell carries its digest.
    wheel = build_wheel(root, Path(app.outdir) / WHEEL_FOLDER, Path(app.doctreedir) / "lrcore-wheel.key")
    digest = sha256(wheel)
    base = base_url(app)
    wheel_url = urljoin(base, f"{WHEEL_FOLDER}/{wheel.name}") if base else None
    about = {"version": package["version"], "wheel": wheel_url or wheel.name, "sha256": digest}
    pins = read_pins(root / "requirements.txt")
    folder = Path(app.outdir) / FOLDER
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    docnames = sorted(d for d in app.env.found_docs if is_notebook(app, d))
    names = [download_name(d) for d in docnames]
    if len(set(names)) != len(names):
        raise ExtensionError(f"notebook_downloads: two chapters share a file name: {names}")
    for docname, name in zip(docnames, names, strict=True):
        source_cells = executed_cells(app, docname)
        code = [nbformat.v4.new_code_cell(without_glue(c.source)) for c in source_cells if c.cell_type == "code"]
        requirements, modules = requirements_for(code, pins, package.get("dependencies", []), docname)
        first_cell = install_cell_source(wheel_url, digest, package["version"], requirements, modules)
        notebook = build_notebook(app, docname, first_cell, about)
        nbformat.write(notebook, Path(app.outdir) / name)
    LOGGER.info(f"notebook_downloads: {len(docnames)} notebooks in {folder}, installing {wheel.name} ({digest})")
    if base is None:
        LOGGER.info(
            f"notebook_downloads: no base URL (${BASE_URL_VARIABLE} or html_baseurl): the notebooks link "
            "relative to the site and install the wheel beside them"
        )


def add_download_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Put the notebook first in the theme's download menu (built at priority 501)."""
    if not is_notebook(app, pagename):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(
                0,
                {
                    "type": "link",
                    "url": context["pathto"](download_name(pagename), 1),
                    "text": ".ipynb",
                    "tooltip": "Download notebook file",
                    "icon": "fas fa-code",
                    "label": "download-notebook-button",
                },
            )


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", add_download_button, priority=502)
    app.connect("config-inited", use_base_url_variable)
    app.connect("build-finished", write_notebooks)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
