"""tools/student_notebooks.py: exercise notebooks that run as generated, and pass once solved.

The exercise notebooks are made from the chapter notebooks of the built site
(``$LRBOOK_BUILD_DIR/html/_downloads/notebooks``, default ``_build``; ``make test`` builds it
first). Every notebook is generated into ``tmp_path`` and executed by a Jupyter kernel
(nbclient), cell by cell. With the stubs as generated, no cell may raise, and every check cell
must print failures and return False. Then, in the same kernel, each stub cell is replaced by
lrcore's own source of the function and re-run, and every check cell re-run must return True:
a learner who writes lrcore's code passes. The notebooks run concurrently, one kernel each,
forked from a server that has imported PyTorch once (``tools/warm_kernels.py``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import lrcore
import lrcore.checks

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import warm_kernels  # noqa: E402

TOOL = ROOT / "tools" / "student_notebooks.py"
#: The chapter notebooks of the built site, which the exercise notebooks are made from.
CHAPTER_NOTEBOOKS = Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build")).resolve() / "html/_downloads/notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
CONCURRENT_KERNELS = 6  # one kernel per notebook
WARM_KERNEL = "lrbook-warm"


def _load_tool():
    spec = importlib.util.spec_from_file_location("student_notebooks", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _exercise(cell) -> dict:
    return cell.metadata.get("lrcore_exercise", {})


def _reference_source(name: str) -> str:
    """lrcore's own code of ``name``, with the module-level names it uses (check_matrix, ...)."""
    function = getattr(lrcore, name)
    module = inspect.getmodule(function).__name__
    return (
        f"import {module} as _module\n"
        "globals().update({k: v for k, v in vars(_module).items() if not k.startswith('__')})\n\n"
        + inspect.getsource(function)
    )


def _result(cell) -> str:
    """The text of the check cell's value (its execute_result), 'True' or 'False'."""
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1, cell.outputs
    return results[0].data["text/plain"]


def _printed(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream")


async def _run(path: Path, limit: asyncio.Semaphore) -> dict:
    """Run the notebook as generated, then with every stub replaced by lrcore's code."""
    notebook = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent)}}  # the kernel's working directory
    client = NotebookClient(notebook, kernel_name=WARM_KERNEL, timeout=300, resources=resources)
    async with limit, client.async_setup_kernel():
        for index, cell in enumerate(notebook.cells):
            await client.async_execute_cell(cell, index)  # raises CellExecutionError if a cell raises
        checks = [(i, c) for i, c in enumerate(notebook.cells) if _exercise(c).get("role") == "check"]
        with_stubs = {_exercise(c)["function"]: (_result(c), _printed(c)) for _, c in checks}
        for index, cell in enumerate(notebook.cells):
            if _exercise(cell).get("role") == "stub":
                cell.source = _reference_source(_exercise(cell)["function"])
            if _exercise(cell):
                await client.async_execute_cell(cell, index)
        solved = {_exercise(c)["function"]: (_result(c), _printed(c)) for _, c in checks}
    return {"with_stubs": with_stubs, "solved": solved}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[Path]:
    if not any(CHAPTER_NOTEBOOKS.glob("*.ipynb")):
        pytest.fail(f"no chapter notebooks in {CHAPTER_NOTEBOOKS}: run `make book` (or set LRBOOK_BUILD_DIR)")
    return tool.write_notebooks(tmp_path_factory.mktemp("student"), CHAPTER_NOTEBOOKS)


@pytest.fixture(scope="module")
def runs(generated, tmp_path_factory) -> dict[str, dict]:
    async def run_all():
        limit = asyncio.Semaphore(CONCURRENT_KERNELS)
        results = await asyncio.gather(*(_run(path, limit) for path in generated))
        return {path.name: result for path, result in zip(generated, results, strict=True)}

    # The kernels are forked from a server that has imported PyTorch and the rest once, as strict
    # nbval's are (tools/warm_kernels.py): each had spent most of its time importing them.
    jupyter = tmp_path_factory.mktemp("jupyter")
    with warm_kernels.warm_kernel_server(dict(os.environ)) as server, pytest.MonkeyPatch.context() as patch:
        argv = warm_kernels.kernel_argv(server.get(warm_kernels.SERVER_VARIABLE))  # None: no fork here
        warm_kernels.write_kernel_spec(jupyter / "kernels", WARM_KERNEL, argv)
        patch.setenv("JUPYTER_PATH", str(jupyter))
        return asyncio.run(run_all())


# ---------------------------------------------------------------------------- generation


def _chapter_exercises() -> dict[str, list[str]]:
    """For every chapter: the functions it literalincludes that have a check, in order."""
    checked = tool.checked_functions()
    found = {}
    for chapter in sorted((ROOT / "book").glob("[0-9][0-9]_*.md")):
        names = re.findall(r"\{literalinclude\} \.\./lrcore/\w+\.py\n:pyobject: (\w+)", chapter.read_text())
        names = list(dict.fromkeys(n for n in names if n in checked))
        if names:
            found[chapter.stem] = names
    return found


def test_one_notebook_per_chapter_with_a_checked_function(generated):
    expected = _chapter_exercises()
    assert {p.name for p in generated} == {f"{stem}_student.ipynb" for stem in expected}
    assert {"02_standardization", "03_model", "07_metrics", "08_chain_rule"} <= set(expected)
    for path in generated:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        stubs = [_exercise(c)["function"] for c in notebook.cells if _exercise(c).get("role") == "stub"]
        assert stubs == expected[path.name.removesuffix("_student.ipynb")]
        assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# Exercises: ")


def test_a_stub_is_the_real_signature_and_docstring(generated):
    notebook = nbformat.read(next(p for p in generated if p.name.startswith("02_")), as_version=4)
    cells = notebook.cells
    stub = next(i for i, c in enumerate(cells) if _exercise(c) == {"function": "standardize", "role": "stub"})
    source = cells[stub].source
    assert source.startswith("def standardize(x: Tensor, mean: Tensor, std: Tensor) -> Tensor:\n")
    assert inspect.getdoc(lrcore.standardize).splitlines()[0] in source
    assert source.rstrip().endswith('raise NotImplementedError("TODO")  # replace this line with your code')
    assert "(x - mean) / std\n" not in source.split('"""')[-1]  # the body is gone
    assert cells[stub + 1].source == "lrcore.checks.check_standardize(standardize)"
    assert all("literalinclude" not in c.source for c in cells)


def test_solutions_are_removed_and_outputs_too(tmp_path):
    """A chapter notebook as book/_ext/notebook_downloads.py writes it, made here."""
    new_code, new_markdown = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    sigmoid = inspect.getsource(lrcore.sigmoid).rstrip()
    solution = {"tags": ["solution"]}
    cells = [
        new_code("# install lrcore\nLRCORE_VERSION = '9.8.7'", metadata={"tags": ["install"]}),
        new_markdown("# Demo\n\nSome text."),
        new_markdown(f"```python\n{sigmoid}\n```", metadata={"lrcore_include": "lrcore.model.sigmoid"}),
        new_markdown("> **Exercise 1 (Try)**\n>\n> Do it."),
        new_markdown("<details>\n<summary>Solution</summary>\n\nThe secret.\n\n</details>", metadata=solution),
        new_code("secret = 42", metadata=solution),
        new_code("print(lrcore.sigmoid(torch.zeros(1)))"),
        new_markdown("The end."),
    ]
    cells[-2].outputs = [nbformat.v4.new_output("stream", text="tensor([0.5000])\n")]
    chapter = tmp_path / "01_demo.ipynb"
    book = {"page": "https://example.org/book/01_demo.html", "base_url": None, "lrcore": {"version": "9.8.7"}}
    metadata = {"kernelspec": KERNELSPEC, "lrcore_book": book}
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=metadata), chapter)
    notebook = tool.student_notebook(chapter)
    text = "\n".join(c.source for c in notebook.cells)
    assert "secret" not in text.lower()
    assert "Some text." in text and "The end." in text and "Do it." in text
    assert [_exercise(c).get("role") for c in notebook.cells if _exercise(c)] == ["stub", "check"]
    assert notebook.cells[1].source == cells[0].source, "the chapter's install cell comes first of the code"
    # The version the install cell installs, said where the student starts reading.
    assert "version 9.8.7" in notebook.cells[0].source and "installs `lrcore` 9.8.7" in notebook.cells[0].source
    assert notebook.metadata["lrcore_book"] == book
    assert all(c.outputs == [] and c.execution_count is None for c in notebook.cells if c.cell_type == "code")
    assert "def sigmoid(z: Tensor) -> Tensor:" not in text.split("raise NotImplementedError")[-1]


def test_a_chapter_whose_install_cell_installs_another_version_than_its_metadata_says_is_refused(tmp_path):
    sigmoid = inspect.getsource(lrcore.sigmoid).rstrip()
    cells = [
        nbformat.v4.new_code_cell("LRCORE_VERSION = '9.8.7'", metadata={"tags": ["install"]}),
        nbformat.v4.new_markdown_cell(
            f"```python\n{sigmoid}\n```", metadata={"lrcore_include": "lrcore.model.sigmoid"}
        ),
    ]
    for book in ({"lrcore": {"version": "9.8.8"}}, {}):
        chapter = tmp_path / "01_demo.ipynb"
        metadata = {"kernelspec": KERNELSPEC, "lrcore_book": book}
        nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=metadata), chapter)
        with pytest.raises(ValueError, match="no lrcore version in its metadata that its install cell installs"):
            tool.student_notebook(chapter)


def test_publish_copies_the_notebooks_with_an_index(generated, tmp_path):
    index = tool.publish(generated, tmp_path / "html")
    folder = tmp_path / "html" / "_downloads" / "student"
    assert index == folder / "index.html"
    assert {p.name for p in folder.glob("*.ipynb")} == {p.name for p in generated}
    page = index.read_text()
    assert all(f'href="{p.name}"' in page for p in generated)
    assert "student-notebooks.zip" in page and (folder / "student-notebooks.zip").stat().st_size > 0


# ---------------------------------------------------------------------------- execution


def test_with_stubs_every_check_fails_and_nothing_raises(runs):
    for name, run in runs.items():
        for function, (result, printed) in run["with_stubs"].items():
            assert result == "False", (name, function)
            assert "raised NotImplementedError: TODO" in printed and "Hint (not written yet)" in printed


def test_with_lrcores_code_every_check_passes(runs):
    for name, run in runs.items():
        for function, (result, printed) in run["solved"].items():
            assert result == "True", (name, function, printed)
            assert "✗" not in printed


def test_every_exercise_was_checked(runs):
    expected = _chapter_exercises()
    for name, run in runs.items():
        assert list(run["solved"]) == expected[name.removesuffix("_student.ipynb")]
    assert hasattr(lrcore.checks, "check_fit_standardizer")
