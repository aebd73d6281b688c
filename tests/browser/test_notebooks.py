"""The notebooks the site offers: each chapter's download (book/_ext/notebook_downloads.py) and
the students' exercise notebooks (tools/student_notebooks.py).

- Each chapter's download menu offers its notebook (found by the browser, ``audit``).
- Every offered notebook, rendered to HTML by nbconvert as Jupyter shows it, holds no MyST.
- The numbers and links of each chapter notebook are those of its page: every glued number the
  page shows, and every link of the page's text, with the same text, to the published book.
- Every ``literalinclude`` of the chapter is there, as exactly the object's source.
- Chapter downloads carry the outputs the page shows; exercise notebooks carry none.
- The first cell installs lrcore's wheel, pinned by the SHA-256 of the wheel the site publishes,
  and the pins where something is missing or lrcore is another version, and nothing where all
  is importable. The site's address is ``$LRBOOK_BASE_URL`` (the Pages workflow sets it) or
  ``html: baseurl:``; without one, the notebooks link relative to the site and install the wheel
  beside them (tests/test_install_cell.py runs the cell against a tampered and the genuine wheel).
- Every chapter download runs whole, with nbclient, in a fresh virtual environment that has
  neither myst_nb nor jupyter_book, where lrcore is installed only by the first cell of the
  first notebook, from the wheel in the site's ``_downloads/``, served on 127.0.0.1. The first
  notebook's kernel starts from nothing; the others are forked from a server of that environment
  that has imported PyTorch and lrcore once (``tools/warm_kernels.py``).
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import json
import operator
import os
import re
import subprocess
import sys
import types
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

import jupytext
import nbformat
import pytest
import yaml
from book_site import CHAPTER_PAGES, ROOT, SITE, page_id
from bs4 import BeautifulSoup
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupytext.compare import compare_notebooks
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from packaging.requirements import Requirement

sys.path.insert(0, str(ROOT / "tools"))
import warm_kernels  # noqa: E402

chapters = pytest.mark.parametrize("path", CHAPTER_PAGES, ids=page_id)
#: What no offered notebook may show: MyST that plain Jupyter does not render.
MYST = ("{glue", "{ref}", "{eq}", "{numref}", "{cite", "{literalinclude}", ":::", "{doc}", "{code-cell}")
LABEL_LINE = re.compile(r"^\s*\([\w.:-]+\)=\s*$", re.MULTILINE)
LABELLED_MATH = re.compile(r"\$\$\s*\([\w.:-]+\)")
#: Chapters run at once in the fresh environment (2 cores).
CONCURRENT_KERNELS = 2


#: What the notebooks' links resolve against when the book has no address (they then lie two
#: folders down in the site, in _downloads/notebooks/ or _downloads/student/).
LOCAL = "http://local.invalid/"


def base_url() -> str | None:
    """Where the book is published, as the build was told: ``$LRBOOK_BASE_URL``, else ``html: baseurl:``."""
    url = os.environ.get("LRBOOK_BASE_URL", "").strip()
    url = url or (yaml.safe_load((ROOT / "_config.yml").read_text())["html"].get("baseurl") or "").strip()
    return url.rstrip("/") + "/" if url else None


def published(path: str, href: str = "") -> str:
    """The address a notebook writes for ``href`` of the site's page ``path``."""
    address = urljoin(urljoin(base_url() or LOCAL, path), href)
    return "../../" + address.removeprefix(LOCAL) if base_url() is None else address


def version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def offered() -> list[Path]:
    """Every notebook of the site: the chapter downloads and the exercise notebooks."""
    return sorted(SITE.glob("_downloads/notebooks/*.ipynb")) + sorted(SITE.glob("_downloads/student/*.ipynb"))


def download(audit, path: str) -> nbformat.NotebookNode:
    links = audit(path)["notebook_links"]
    assert len(links) == 1, f"{path} must link exactly one notebook download, found {links}"
    assert links[0].endswith(f"/_downloads/notebooks/{Path(path).stem}.ipynb"), links
    with urllib.request.urlopen(links[0], timeout=30) as response:  # the local test server
        text = response.read().decode()
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    return notebook


def chapter_notebook(path: str) -> nbformat.NotebookNode:
    return nbformat.read(SITE / "_downloads" / "notebooks" / f"{Path(path).stem}.ipynb", as_version=4)


def rendered(notebook: nbformat.NotebookNode) -> BeautifulSoup:
    """The notebook as nbconvert renders it to HTML (Markdown by mistune, as Jupyter does)."""
    body, _ = HTMLExporter(template_name="classic").from_notebook_node(notebook)
    return BeautifulSoup(body, "html.parser")


def markdown_html(notebook: nbformat.NotebookNode) -> BeautifulSoup:
    """The notebook's Markdown cells only, rendered."""
    only = nbformat.v4.new_notebook(cells=[c for c in notebook.cells if c.cell_type == "markdown"])
    return rendered(only)


# ---------------------------------------------------------------------------- the menu


def test_pages_that_are_not_notebooks_offer_none(audit):
    assert audit("book/references.html")["notebook_links"] == []


@chapters
def test_the_download_menu_offers_the_chapter_notebook(audit, path):
    notebook = download(audit, path)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.metadata["lrcore_book"]["page"] == published(path)
    assert notebook == chapter_notebook(path)
    for fmt in ("md:myst", "py:percent"):  # jupytext opens it as text too
        back = jupytext.reads(jupytext.writes(notebook, fmt), fmt)
        compare_notebooks(back, notebook, fmt, compare_outputs=False)


# ---------------------------------------------------------------------------- what they show


def test_the_site_offers_every_notebook():
    names = {p.name for p in offered()}
    assert {f"{Path(p).stem}.ipynb" for p in CHAPTER_PAGES} <= names
    assert any(name.endswith("_student.ipynb") for name in names)


@pytest.mark.parametrize("notebook_path", offered(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_myst_in_the_rendered_notebook(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    html = str(rendered(notebook))
    found = [s for s in MYST if s in html]
    assert found == [], f"{notebook_path.name} shows {found}"
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not LABEL_LINE.search(text) and not LABELLED_MATH.search(text)
    assert all("myst_nb" not in c.source for c in notebook.cells if c.cell_type == "code")


def _page(path: str) -> BeautifulSoup:
    return BeautifulSoup((SITE / path).read_text(), "html.parser").select_one("article.bd-article")


@chapters
def test_glued_numbers_are_the_numbers_of_the_page(path):
    page = _page(path)
    shown = [span.get_text() for span in page.select("span.pasted-text")]
    text = " ".join(markdown_html(chapter_notebook(path)).get_text().split())
    missing = [number for number in shown if number not in text]
    assert missing == [], f"{path}: the page shows {missing}, the notebook does not"


@chapters
def test_links_are_the_links_of_the_page(path):
    """Every link of the page's text (not a permalink, not an equation of the page, not a
    citation, not a solution's title) is in the notebook, with its text, to the published page."""
    page = _page(path)
    links = markdown_html(chapter_notebook(path)).select("a")
    notebook_links = {(a.get("href"), " ".join(a.get_text().split())) for a in links}
    expected = set()
    for link in page.select("a.reference"):
        href = link.get("href", "")
        if "headerlink" in link.get("class", []) or link.find_parent(class_=["admonition-title", "cell_output"]):
            continue
        if href.startswith("#equation-") or "references.html#id" in href or link.find_parent("pre"):
            continue
        expected.add((published(path, href), " ".join(link.get_text().split())))
    missing = expected - notebook_links
    assert missing == set(), f"{path}: links of the page not in the notebook: {sorted(missing)}"
    assert any(href.startswith(base_url() or "../../") for href, _ in notebook_links) or not expected


@chapters
def test_equations_carry_the_numbers_of_the_page(path):
    page = _page(path)
    # "(12)" and the permalink's "#"
    numbers = [re.match(r"\((.+?)\)", span.get_text().strip())[1] for span in page.select("div.math span.eqno")]
    text = "\n".join(c.source for c in chapter_notebook(path).cells if c.cell_type == "markdown")
    assert re.findall(r"\\tag\{([^}]*)\}", text) == numbers


@chapters
def test_literalincluded_source_is_shown_exactly(path):
    notebook = chapter_notebook(path)
    source = (ROOT / path.replace(".html", ".md")).read_text()
    # Modules of subpackages too (../lrcore/explorers/threshold.py is lrcore.explorers.threshold).
    included = [
        (module.replace("/", "."), name)
        for module, name in re.findall(r"\{literalinclude\} \.\./lrcore/([\w/]+)\.py\n:pyobject: ([\w.]+)", source)
    ]
    shown = [c for c in notebook.cells if c.metadata.get("lrcore_include")]
    assert [c.metadata["lrcore_include"] for c in shown] == [f"lrcore.{m}.{n}" for m, n in included]
    for cell, (module, name) in zip(shown, included, strict=True):
        code = inspect.getsource(operator.attrgetter(name)(importlib.import_module(f"lrcore.{module}")))
        assert cell.source == f"```python\n{code.rstrip()}\n```"


@chapters
def test_chapter_downloads_carry_the_outputs_the_page_shows(path):
    page = _page(path)
    notebook = chapter_notebook(path)
    with_outputs = [c for c in notebook.cells if c.cell_type == "code" and c.outputs]
    assert len(with_outputs) == len(page.select("div.cell_output"))
    assert images(with_outputs) == len(page.select("div.cell_output img"))


def images(cells: list) -> int:
    """The images the outputs show: a PNG each, or the <img> of an HTML output (an animation)."""
    count = 0
    for output in (o for c in cells for o in c.outputs):
        data = output.get("data", {})
        html = BeautifulSoup(data.get("text/html", ""), "html.parser")
        count += 1 if "image/png" in data else len(html.select("img"))
    return count


def test_exercise_notebooks_carry_no_outputs():
    students = sorted(SITE.glob("_downloads/student/*.ipynb"))
    assert students
    for student in students:
        notebook = nbformat.read(student, as_version=4)
        assert all(c.outputs == [] and c.execution_count is None for c in notebook.cells if c.cell_type == "code")
        assert "install" in notebook.cells[1].metadata.get("tags", []), "the install cell comes first of the code"


# ---------------------------------------------------------------------------- the first cell


def _requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            requirement = Requirement(line)
            pins[requirement.name.lower().replace("_", "-")] = str(requirement.specifier)
    return pins


def _run_install_cell(source: str, monkeypatch, missing: set[str], lrcore=None) -> list[list[str]]:
    """Execute the install cell here; return the commands it ran (none are really run).

    ``lrcore``: what ``import lrcore`` gives (default: the book's lrcore of this environment).
    """
    commands = []
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name in missing else real_find_spec(name, *args, **kwargs)

    def run(command, **kwargs):
        commands.append(command)
        return subprocess.CompletedProcess(command, 0)

    with monkeypatch.context() as patch:
        patch.setattr(importlib.util, "find_spec", find_spec)
        patch.setattr(subprocess, "run", run)
        patch.delenv("LRCORE_WHEEL", raising=False)
        if lrcore is not None:
            patch.setitem(sys.modules, "lrcore", lrcore)
        exec(compile(source, "<install cell>", "exec"), {"__name__": "__main__"})
    return commands


@pytest.mark.parametrize("notebook_path", offered(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_first_cell_installs_the_sites_wheel_by_its_digest_only_where_needed(notebook_path, monkeypatch):
    notebook = nbformat.read(notebook_path, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code")
    assert "install" in cell.metadata.get("tags", [])
    wheel = SITE / "_downloads" / f"lrcore-{version()}-py3-none-any.whl"
    assert wheel.is_file(), "the site publishes the wheel the notebooks install"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if base_url() is None:  # the wheel beside the notebook, or in the folder above (as in the site)
        expected = f"{wheel.resolve().as_uri()}#sha256={digest}"
        monkeypatch.chdir(notebook_path.parent)
        assert "# A local build of the book (no published address)" in cell.source
    else:
        expected = f"{base_url()}_downloads/{wheel.name}#sha256={digest}"

    assert _run_install_cell(cell.source, monkeypatch, missing=set()) == []
    another = types.ModuleType("lrcore")  # an lrcore, but not this book's
    another.__version__, another.__spec__ = "0.0.0", importlib.machinery.ModuleSpec("lrcore", None)
    imported = ast.literal_eval(re.search(r"^IMPORTED = (\[.*\])$", cell.source, re.MULTILINE)[1])
    cases = [({"lrcore"}, None), (set(), another), *(({module}, None) for module in imported[:1])]
    for missing, lrcore in cases:
        (command,) = _run_install_cell(cell.source, monkeypatch, missing=missing, lrcore=lrcore)
        assert command[:5] == [sys.executable, "-m", "pip", "install", "--quiet"]
        lrcore_requirement, *pinned = command[5:]
        requirement = Requirement(lrcore_requirement)
        assert (requirement.name, requirement.url) == ("lrcore", expected), "lrcore pinned by its digest"
        pins = _requirement_pins()
        names = set()
        for spec in pinned:
            requirement = Requirement(spec)
            name = requirement.name.lower()
            assert pins.get(name) == str(requirement.specifier), f"{spec} is not the pin of requirements.txt"
            names.add(name)
        assert {"torch", "numpy"} <= names, "lrcore's own dependencies must be pinned too"


# ---------------------------------------------------------------------------- a fresh environment


@pytest.fixture(scope="session")
def fresh_python(tmp_path_factory) -> Path:
    """A virtual environment with only ipykernel (at its pin): no myst_nb, jupyter_book, lrcore."""
    folder = tmp_path_factory.mktemp("fresh") / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    ipykernel = f"ipykernel=={_requirement_pins()['ipykernel'].removeprefix('==')}"
    subprocess.run([python, "-m", "pip", "install", "--quiet", ipykernel], check=True, env=_clean_environment())
    return python


def _clean_environment() -> dict[str, str]:
    """This process's environment without what would point Python at the book's .venv."""
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    bin_dir = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join(p for p in environment.get("PATH", "").split(os.pathsep) if p != bin_dir)
    return environment


def _importable(python: Path, *modules: str) -> dict[str, str | None]:
    """Where ``python`` finds each module (None: nowhere), run from its own folder, not from here."""
    code = (
        "import importlib.util, json, sys\n"
        f"print(json.dumps({{m: getattr(importlib.util.find_spec(m), 'origin', None) for m in {list(modules)!r}}}))"
    )
    result = subprocess.run(
        [python, "-c", code], check=True, capture_output=True, text=True, env=_clean_environment(), cwd=python.parent
    )
    return json.loads(result.stdout)


async def _run_notebook(notebook, kernel: str, kernels: Path, workdir: Path, environment: dict, limit) -> None:
    manager = AsyncKernelManager(kernel_name=kernel, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    client = NotebookClient(notebook, km=manager, timeout=900, resources={"metadata": {"path": str(workdir)}})
    async with limit:
        # cleanup_kc: shut the kernel down once the notebook has run (given a kernel manager,
        # nbclient leaves it running), so that at most CONCURRENT_KERNELS kernels are alive.
        await client.async_execute(env=environment, cleanup_kc=True)


def test_every_chapter_download_runs_in_a_fresh_environment(fresh_python, server, tmp_path):
    assert _importable(fresh_python, "myst_nb", "jupyter_book", "lrcore") == {
        "myst_nb": None,
        "jupyter_book": None,
        "lrcore": None,
    }
    kernels = tmp_path / "kernels"
    warm_kernels.write_kernel_spec(kernels, "fresh", warm_kernels.kernel_argv(None, python=fresh_python))
    workdir = tmp_path / "reader"  # outside the repository: `import lrcore` cannot find its source
    workdir.mkdir()
    environment = {
        **_clean_environment(),
        "LRCORE_WHEEL": f"{server}_downloads/lrcore-{version()}-py3-none-any.whl",
        "OMP_NUM_THREADS": "1",
    }
    notebooks = {path: chapter_notebook(path) for path in CHAPTER_PAGES}
    for notebook in notebooks.values():  # run as a reader gets them: without the book's outputs
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None

    async def run_all():
        limit = asyncio.Semaphore(CONCURRENT_KERNELS)
        first, *rest = CHAPTER_PAGES  # the first one installs lrcore; the others find it
        await _run_notebook(notebooks[first], "fresh", kernels, workdir, environment, limit)
        # The others' kernels are forked from a server of this environment, which has imported
        # what it has of warm_kernels.PRELOAD (lrcore and PyTorch from the wheel's install).
        found = _importable(fresh_python, *warm_kernels.PRELOAD)
        preload = [module for module, origin in found.items() if origin]
        with warm_kernels.warm_kernel_server(environment, preload, python=fresh_python) as warm:
            argv = warm_kernels.kernel_argv(warm.get(warm_kernels.SERVER_VARIABLE), python=fresh_python)
            warm_kernels.write_kernel_spec(kernels, "fresh-warm", argv)
            await asyncio.gather(
                *(_run_notebook(notebooks[p], "fresh-warm", kernels, workdir, environment, limit) for p in rest)
            )

    # In a thread of its own: Playwright's sync API (the browser fixture) runs an event loop in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, run_all()).result()
    for path, notebook in notebooks.items():
        errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert errors == [], path
        assert notebook.cells[0].outputs == [] or path == CHAPTER_PAGES[0], f"{path}: the install cell ran again"
    installed = _importable(fresh_python, "lrcore", "myst_nb", "jupyter_book")
    assert installed["lrcore"] and installed["lrcore"].startswith(str(fresh_python.parents[1]))
    assert installed["myst_nb"] is None and installed["jupyter_book"] is None
