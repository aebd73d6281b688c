"""Offer every chapter as a Jupyter notebook that runs on its own, in Jupyter or in Colab.

For each page that is a notebook (its MyST source has a jupytext header with a kernelspec),
this extension converts the source with jupytext into ``_downloads/notebooks/<chapter>.ipynb``
and adds an ``.ipynb`` entry to the theme's download menu of that page (next to ``.md`` and
``.pdf``). The notebook has no outputs: it is the chapter's source, to be run. Jupyter cannot
include files, so each ``{literalinclude}`` of an object (``:pyobject:``) becomes a plain
Python code block with that object's source, as the page shows it.

Its first cell installs what the chapter needs where it is missing: ``lrcore`` from the
book's repository (``repository: url:`` and ``branch:`` in ``_config.yml``) and, at the
versions pinned in ``requirements.txt``, every package the chapter imports plus ``lrcore``'s
own dependencies. The cell does nothing where ``lrcore`` is already importable (the book's
own environment, or a second run in Colab). A chapter that imports a package that
``requirements.txt`` does not pin fails the build.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import shutil
import sys
import textwrap
from pathlib import Path

import jupytext
import nbformat
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
#: Where the notebooks land, relative to the html output folder.
FOLDER = "_downloads/notebooks"
LITERALINCLUDE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{literalinclude\}[ \t]+(?P<path>[^\n]+?)[ \t]*\n"
    r":pyobject:[ \t]*(?P<object>[\w.]+)[ \t]*\n"
    r"^(?P=fence)[ \t]*$",
    re.MULTILINE,
)
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


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


def imported_modules(notebook: nbformat.NotebookNode) -> set[str]:
    """Top-level names of the absolute imports in the notebook's code cells."""
    modules = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        # IPython magics and shell escapes are not Python.
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


@functools.cache
def installed_distributions() -> dict[str, list[str]]:
    """``{top-level module: [distribution, ...]}`` of the environment, computed once per build.

    ``importlib.metadata.packages_distributions`` reads every installed package's file list:
    about half a second each call, which made the downloads the slowest step after execution.
    """
    return importlib.metadata.packages_distributions()


def requirements_for(notebook: nbformat.NotebookNode, pins: dict[str, str], name: str) -> tuple[list[str], list[str]]:
    """The pins of what the notebook imports and of lrcore's dependencies; the modules imported."""
    distributions = installed_distributions()
    modules = sorted(imported_modules(notebook) - set(sys.stdlib_module_names) - {"lrcore"})
    needed = set()
    for module in modules:
        if module not in distributions:
            raise ExtensionError(f"notebook_downloads: {name} imports {module!r}, which is not installed")
        needed.update(canonical(d) for d in distributions[module])
    for requirement in importlib.metadata.requires("lrcore") or []:
        if "extra ==" not in requirement:
            needed.add(canonical(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]))
    missing = sorted(needed - set(pins))
    if missing:
        raise ExtensionError(f"notebook_downloads: {name} needs {missing}, which requirements.txt does not pin")
    return sorted(pins[d] for d in needed), modules


def install_cell_source(lrcore_requirement: str, requirements: list[str], modules: list[str]) -> str:
    """The first cell of every downloaded notebook."""
    pinned = "".join(f"    {r!r},\n" for r in requirements)
    return f"""\
# Set-up for Colab or a fresh Jupyter: installs lrcore from the book's repository and the
# package versions the book was built with. Does nothing where lrcore is already importable.
import importlib.util
import subprocess
import sys

LRCORE = {lrcore_requirement!r}
PINNED = [
{pinned}]
IMPORTED = {modules!r}
if importlib.util.find_spec("lrcore") is None:
    loaded = [module for module in IMPORTED if module in sys.modules]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", LRCORE, *PINNED], check=True)
    importlib.invalidate_caches()
    if loaded:
        print("Installed, but", ", ".join(loaded), "were loaded before: restart the kernel, then run all cells.")\
"""


def lrcore_requirement(repository_url: str, branch: str) -> str:
    """``lrcore @ git+<repository>@<branch>``, the pip requirement of the book's package."""
    if not repository_url:
        raise ExtensionError("notebook_downloads: set `repository: url:` in _config.yml")
    return f"lrcore @ git+{repository_url.rstrip('/')}.git@{branch or 'main'}"


def object_source(path: Path, name: str) -> str:
    """The source of a top-level function or class (decorators included), or a method "C.m"."""
    tree = ast.parse(path.read_text())
    body, node = tree.body, None
    for part in name.split("."):
        node = next((n for n in body if getattr(n, "name", None) == part), None)
        if node is None:
            raise ExtensionError(f"notebook_downloads: no {name} in {path}")
        body = getattr(node, "body", [])
    lines = path.read_text().splitlines()
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    return textwrap.dedent("\n".join(lines[start : node.end_lineno]))


def inline_literalincludes(text: str, folder: Path) -> str:
    """Each ``{literalinclude} <file>`` + ``:pyobject:`` as a Python code block of that object."""

    def code(match: re.Match) -> str:
        path = (folder / match["path"]).resolve()
        return f"```python\n{object_source(path, match['object'])}\n```"

    return LITERALINCLUDE.sub(code, text)


def build_notebook(source: Path, lrcore_req: str, pins: dict[str, str]) -> nbformat.NotebookNode:
    """The downloadable notebook of one MyST chapter: the install cell, then the chapter."""
    notebook = jupytext.read(source)
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and "{literalinclude}" in cell.source:
            cell.source = inline_literalincludes(cell.source, source.parent)
    requirements, modules = requirements_for(notebook, pins, source.name)
    cell = nbformat.v4.new_code_cell(install_cell_source(lrcore_req, requirements, modules))
    cell.metadata["tags"] = ["install"]
    notebook.cells.insert(0, cell)
    for index, each in enumerate(notebook.cells):  # stable ids: the same source, the same file
        each.id = f"cell-{index}"
    notebook.metadata.pop("jupytext", None)
    notebook.metadata.setdefault("language_info", {"name": "python"})
    nbformat.validate(notebook)
    return notebook


def is_notebook(app: Sphinx, docname: str) -> bool:
    return "kernelspec" in app.env.metadata.get(docname, {})


def download_name(docname: str) -> str:
    return f"{FOLDER}/{Path(docname).name}.ipynb"


def write_notebooks(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    theme = app.config.html_theme_options
    lrcore_req = lrcore_requirement(theme.get("repository_url", ""), theme.get("repository_branch", ""))
    pins = read_pins(Path(app.srcdir) / "requirements.txt")
    folder = Path(app.outdir) / FOLDER
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    docnames = sorted(d for d in app.env.found_docs if is_notebook(app, d))
    names = [download_name(d) for d in docnames]
    if len(set(names)) != len(names):
        raise ExtensionError(f"notebook_downloads: two chapters share a file name: {names}")
    for docname, name in zip(docnames, names, strict=True):
        notebook = build_notebook(Path(app.env.doc2path(docname)), lrcore_req, pins)
        nbformat.write(notebook, Path(app.outdir) / name)
    LOGGER.info(f"notebook_downloads: {len(docnames)} notebooks in {folder}")


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
    app.connect("build-finished", write_notebooks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
