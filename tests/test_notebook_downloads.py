"""book/_ext/notebook_downloads.py on a two-page book made here, built by Sphinx with myst-nb.

The page uses every construct the chapters use (glue, ``{ref}``, ``{numref}``, ``{doc}``,
labelled equations and ``{eq}``, citations, an admonition, a gated exercise with a solution
holding a code cell, a figure made by a cell, a ``{literalinclude}`` of lrcore, a cell tagged
``remove-cell``), and the test reads the notebook the extension writes: plain Markdown with
the numbers, links, equation numbers and citations of the built HTML page, the cells'
outputs, and no MyST. The built HTML page is the reference for every number and link.
The book is built twice, as a rebuild takes the outputs from myst-nb's execution cache: the
page's few cells execute once, in a Jupyter kernel (about 20 s in all). ``html_baseurl`` is empty,
as in ``_config.yml``: the first build has no address (a local ``make book``), the second gets it
from ``$LRBOOK_BASE_URL``, as the Pages workflow passes it.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import inspect
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient

import lrcore

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://example.org/book/"

CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "book" / "_ext")!r})
# parallel_execution as in the book: it keeps a cached chapter's outputs in jupyter_execute/.
extensions = ["myst_nb", "sphinx_exercise", "sphinxcontrib.bibtex", "parallel_execution", "notebook_downloads"]
html_baseurl = ""
numfig = True
math_numfig = True
math_eqref_format = "({{number}})"
myst_enable_extensions = ["amsmath", "dollarmath", "colon_fence"]
bibtex_bibfiles = ["refs.bib"]
bibtex_reference_style = "author_year"
nb_execution_mode = "cache"
nb_merge_streams = False
exclude_patterns = ["_build", "lrcore", "README.md"]
"""

INDEX = """\
# Mini book

```{toctree}
chapter
other
```
"""

OTHER = """\
(sec-other)=
# The other page

Some text.

```{bibliography}
```
"""

BIB = """\
@book{hastie2009elements,
  author = {Hastie, Trevor and Tibshirani, Robert and Friedman, Jerome},
  title = {The Elements of Statistical Learning},
  publisher = {Springer},
  year = {2009}
}
"""

CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

(ch-demo)=
# Demo chapter

```{code-cell} ipython3
import math

from myst_nb import glue

rate = math.pi / 10
glue("demo_rate", rate, display=False)
print(f"rate = {rate:.4f}")
```

```{code-cell} ipython3
:tags: [remove-cell]
hidden = rate * 2
glue("demo_hidden", hidden, display=False)
```

```{code-cell} ipython3
:tags: [remove-cell]
for power in (1, 2):
    glue(f"demo_power_{power}", rate**power, display=False)
```

The rate is {glue:text}`demo_rate:.3f` and twice it {glue:text}`demo_hidden:.2f`; costs are in $\\$$ and
snake_case *stays* as it is. See {ref}`sec-other`, {doc}`other`, {ref}`the next section <sec-next>`,
{numref}`fig-demo` and {eq}`eq-demo` (a result of {cite:p}`hastie2009elements`).

$$
J(w) = \\frac{1}{N} \\sum_i \\ell_i
$$ (eq-demo)

:::{note}
A note with a [link](https://example.com).
:::

(sec-next)=
## Next section

```{literalinclude} lrcore/model.py
:pyobject: sigmoid
```

```{code-cell} ipython3
---
mystnb:
  figure:
    caption: "A demo figure."
    name: fig-demo
---
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(2, 2))
ax.plot([0, 1], [0, rate])
plt.show()
```

```{exercise-start} Try it
:label: ex-demo
```
Compute $2 + 2$.
```{exercise-end}
```

```{solution-start} ex-demo
:class: dropdown
```
The secret answer is below.

```{code-cell} ipython3
answer = 2 + 2
print(answer)
```

And so it is four.
```{solution-end}
```

The end.
"""


def _load_extension():
    path = ROOT / "book" / "_ext" / "notebook_downloads.py"
    spec = importlib.util.spec_from_file_location("notebook_downloads_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


extension = _load_extension()


@pytest.fixture(scope="module")
def minibook(tmp_path_factory) -> dict:
    """The mini book built into a temporary folder, first without an address, then with one.

    Returns the chapter's notebook of each build (``local``, ``published``), the HTML page of the
    second, and the wheel the second published.
    """
    src = tmp_path_factory.mktemp("minibook")
    files = {"conf.py": CONF, "index.md": INDEX, "other.md": OTHER, "chapter.md": CHAPTER, "refs.bib": BIB}
    for name, text in files.items():
        (src / name).write_text(text)
    # What the first cell is made from, and what lrcore's wheel is built from.
    for name in ("pyproject.toml", "requirements.txt", "README.md", "lrcore"):
        (src / name).symlink_to(ROOT / name)
    out = src / "_build" / "html"
    notebooks = {}
    # Twice: the first build executes the page into myst-nb's cache, the second (-E, every page
    # read again) takes the outputs from the cache, as a rebuild of the book does.
    for kind, fresh, address in (("local", [], None), ("published", ["-E"], BASE)):
        environment = {k: v for k, v in os.environ.items() if k != "LRBOOK_BASE_URL"}
        if address:
            environment["LRBOOK_BASE_URL"] = address.rstrip("/")  # as actions/configure-pages gives it
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-n", "--keep-going", "-q", "-T", *fresh]
        result = subprocess.run([*command, str(src), str(out)], capture_output=True, text=True, env=environment)
        assert result.returncode == 0, result.stderr
        notebooks[kind] = nbformat.read(out / "_downloads/notebooks/chapter.ipynb", as_version=4)
        nbformat.validate(notebooks[kind])
    page = BeautifulSoup((out / "chapter.html").read_text(), "html.parser")
    wheels = list((out / "_downloads").glob("lrcore-*.whl"))
    return {**notebooks, "page": page, "wheel": wheels[0] if len(wheels) == 1 else wheels}


@pytest.fixture(scope="module")
def built(minibook) -> tuple[nbformat.NotebookNode, BeautifulSoup]:
    """The chapter's notebook of the build with an address, and its HTML page."""
    return minibook["published"], minibook["page"]


def _markdown(notebook) -> str:
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def _code(notebook) -> list[str]:
    return [c.source for c in notebook.cells if c.cell_type == "code"]


def test_no_myst_is_left(built):
    notebook, _ = built
    text = "\n".join(c.source for c in notebook.cells)
    leftovers = ("{glue", "{ref}", "{eq}", "{numref}", "{doc}", "{cite", "{literalinclude}", ":::", "myst_nb", "{note}")
    for leftover in leftovers:
        assert leftover not in text, leftover
    assert not re.search(r"^\([\w-]+\)=\s*$", text, re.MULTILINE)
    assert not re.search(r"\$\$\s*\([\w-]+\)", text)


def test_glued_numbers_are_the_text_of_the_page(built):
    notebook, page = built
    shown = [span.get_text() for span in page.select("span.pasted-text")]
    assert shown == [f"{math.pi / 10:.3f}", f"{math.pi / 5:.2f}"]
    assert f"The rate is {shown[0]} and twice it {shown[1]}" in _markdown(notebook)


def test_text_that_markdown_would_change_is_escaped(built):
    markdown = _markdown(built[0])
    assert "costs are in $\\$$ and snake\\_case *stays* as it is." in markdown


def test_references_link_to_the_published_page_with_the_pages_text(built):
    notebook, page = built
    markdown = _markdown(notebook)
    article = page.select_one("div.body")  # the page, without the navigation
    for link in article.select("a.reference.internal"):
        href = link["href"]
        if "headerlink" in link.get("class", []) or href.startswith("#equation-"):
            continue  # a permalink; an equation of this page, whose number the notebook shows
        if link.find_parent("p", class_="admonition-title") or href.startswith("other.html#id"):
            continue  # a solution's title, in the notebook's plain <summary>; a citation
        address = BASE + "chapter.html" + href if href.startswith("#") else BASE + href
        assert f"[{link.get_text()}]({address})" in markdown, (link, address)
    assert f"[The other page]({BASE}other.html#sec-other)" in markdown
    assert f"[the next section]({BASE}chapter.html#sec-next)" in markdown
    assert f"[Fig. 1]({BASE}chapter.html#fig-demo)" in markdown
    assert "[link](https://example.com)" in markdown


def test_equations_carry_their_number_and_references_show_it(built):
    notebook, page = built
    markdown = _markdown(notebook)
    assert page.select_one("span.eqno").get_text().strip().startswith("(1)")
    assert "J(w) = \\frac{1}{N} \\sum_i \\ell_i \\tag{1}\n$$" in markdown
    assert f"[Fig. 1]({BASE}chapter.html#fig-demo) and (1) (a result of" in markdown


def test_citations_are_author_year_with_the_references_at_the_end(built):
    notebook, page = built
    cited = page.select_one("a[href*='other.html#id']")  # sphinxcontrib-bibtex's link to the bibliography
    assert cited is not None and cited.get_text() == "Hastie et al., 2009"
    assert "(a result of (Hastie *et al.*, 2009))" in _markdown(notebook)
    last = notebook.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## References\n\n- ")
    assert "Elements of Statistical Learning" in last.source and "2009" in last.source


def test_admonition_exercise_and_solution_are_markdown(built):
    notebook, _ = built
    markdown = _markdown(notebook)
    assert "> **Note**\n>\n> A note with a [link](https://example.com)." in markdown
    assert "> **Exercise 1 (Try it)**" in markdown and "> Compute $2 + 2$." in markdown
    solution = [c for c in notebook.cells if "solution" in c.metadata.get("tags", [])]
    assert [c.cell_type for c in solution] == ["markdown", "code", "markdown"]
    assert solution[0].source.startswith("<details>\n<summary>Solution to Exercise 1 (Try it)</summary>\n\n")
    assert "The secret answer is below." in solution[0].source and solution[0].source.endswith("</details>")
    assert "And so it is four." in solution[2].source
    assert solution[2].source.startswith("<details>\n<summary>Solution to Exercise 1 (Try it), continued</summary>")
    assert solution[1].source == "answer = 2 + 2\nprint(answer)"
    assert solution[1].metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert solution[1].outputs[0]["text"] == "4\n"


def test_literalinclude_is_a_read_only_block_of_the_exact_source(built):
    notebook, _ = built
    (cell,) = [c for c in notebook.cells if c.metadata.get("lrcore_include")]
    assert cell.cell_type == "markdown"
    assert cell.metadata["lrcore_include"] == "lrcore.model.sigmoid"
    assert cell.source == f"```python\n{inspect.getsource(lrcore.sigmoid).rstrip()}\n```"


def test_code_cells_keep_their_outputs_and_lose_the_glue(built):
    notebook, _ = built
    install, first, hidden, figure, _solution = [c for c in notebook.cells if c.cell_type == "code"]
    assert "install" in install.metadata["tags"] and install.outputs == []
    assert first.source == 'import math\n\nrate = math.pi / 10\nprint(f"rate = {rate:.4f}")'
    assert first.outputs[0]["text"] == f"rate = {math.pi / 10:.4f}\n"
    # The page does not show the remove-cell cell, but later cells may need what it computes.
    assert hidden.source == "hidden = rate * 2" and hidden.outputs == []
    assert any("image/png" in o.get("data", {}) for o in figure.outputs)
    index = notebook.cells.index(figure)
    assert notebook.cells[index + 1].source == "**Fig. 1** A demo figure."


def test_the_notebook_runs_without_the_book(built, tmp_path):
    """Run in a kernel from an empty folder, with lrcore installed (so the first cell does nothing)."""
    notebook = copy.deepcopy(built[0])
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources=resources).execute()
    assert notebook.cells[0].outputs == []
    solutions = [c for c in notebook.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]
    assert [o["text"] for c in solutions for o in c.outputs] == ["4\n"]


def test_headings_and_order(built):
    notebook, _ = built
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert markdown[0].startswith("# Demo chapter")
    assert "\n\n## Next section" in "\n\n".join(markdown)
    assert markdown[-2].endswith("The end.")


def test_the_first_cell_installs_the_wheel_of_the_site_pinned_by_its_digest(minibook):
    source = minibook["published"].cells[0].source
    version = extension.project(ROOT / "pyproject.toml")["version"]
    wheel = minibook["wheel"]
    assert isinstance(wheel, Path) and wheel.name == f"lrcore-{version}-py3-none-any.whl", wheel
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert f"os.environ.get('LRCORE_WHEEL', '{BASE}_downloads/lrcore-{version}-py3-none-any.whl')" in source
    assert f"LRCORE_SHA256 = '{digest}'" in source and f"LRCORE_VERSION = '{version}'" in source
    assert 'f"lrcore @ {url}#sha256={LRCORE_SHA256}"' in source
    assert "'matplotlib==" in source and "'torch==" in source
    assert minibook["published"].metadata["lrcore_book"]["lrcore"] == {
        "version": version,
        "wheel": f"{BASE}_downloads/{wheel.name}",
        "sha256": digest,
    }
    local = minibook["local"]
    assert local.metadata["lrcore_book"]["lrcore"]["wheel"] == wheel.name
    assert f"LRCORE_SHA256 = '{local.metadata['lrcore_book']['lrcore']['sha256']}'" in local.cells[0].source


def test_without_an_address_the_notebook_says_so_and_links_into_the_site(minibook):
    """A build without a base URL: links relative to the notebook's place in the site, the wheel beside it."""
    notebook = minibook["local"]
    source = notebook.cells[0].source
    assert "# A local build of the book (no published address)" in source
    assert "example.org" not in source and "lrcore.github.io" not in source
    markdown = _markdown(notebook)
    assert "[The other page](../../other.html#sec-other)" in markdown
    assert "[the next section](../../chapter.html#sec-next)" in markdown
    assert "local.invalid" not in markdown and "example.org" not in markdown
    assert notebook.metadata["lrcore_book"]["page"] == "../../chapter.html"
    assert notebook.metadata["lrcore_book"]["base_url"] is None


def test_without_glue():
    source = textwrap.dedent(
        """\
        import torch
        from myst_nb import glue

        x = 1
        glue("x", x, display=False)
        glue(
            "y", 2 * x, display=False
        )

        print(x)"""
    )
    assert extension.without_glue(source) == "import torch\n\nx = 1\n\nprint(x)"
    assert extension.without_glue('from myst_nb import glue\nglue("a", 1, display=False)') == ""
    looped = 'for k in range(2):\n    if k:\n        glue(f"k{k}", k, display=False)\n    glue("j", k, display=False)'
    assert extension.without_glue(looped) == "" and not extension.glue_left(looped)
    kept_loop = 'for k in range(2):\n    print(k)\n    glue("j", k, display=False)'
    assert extension.without_glue(kept_loop) == "for k in range(2):\n    print(k)"
    in_function = 'from myst_nb import glue\ndef record(value):\n    glue("v", value, display=False)\nrecord(1)'
    assert extension.glue_left(in_function)
    kept = extension.without_glue(in_function, define_glue=True)
    assert "myst_nb" not in kept and kept.startswith("def glue(name, value, display=True):")
    exec(compile(kept, "<cell>", "exec"), {})  # runs without myst_nb
    with pytest.raises(Exception, match="cannot leave out `from myst_nb import glue, glue_figure`"):
        extension.without_glue("from myst_nb import glue, glue_figure")
