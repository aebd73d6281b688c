"""pytest plugin for strict nbval on the book: the chapters' kernels, and the numbers glued into the prose.

Use: ``pytest -p tests.nbval_book --nbval --nbval-current-env ... _build/jupyter_execute``.

**Kernels.** The kernels nbval starts run like the build's: in the declared environment and
over Unix sockets (``book/_ext/chapter_kernels.py``). When ``LRBOOK_WARM_KERNELS`` names a
server (``tools/check_reproducible.py`` starts one per setting), each kernel is forked from it,
with PyTorch and the other libraries already imported (``tools/warm_kernels.py``).

**Glued numbers.** myst-nb moves every ``glue(..., display=False)`` output out of the executed
notebook that it writes to ``_build/jupyter_execute/`` and into a ``<chapter>.glue.json``
beside it. Re-running the notebook produces those outputs again, and plain nbval would fail
every cell that glues ("unexpected output fields"); dropping them would leave the numbers a
reader sees in the text untested. So this plugin compares each glued value of the re-run with
the one the build recorded, and only then removes it from the comparison of the cell's
visible outputs.

A glued value is compared *as the text shows it*: for every ``{glue:text}`key:format``` (and
``{glue}`key```) in the book's sources, the two values are formatted the way myst-nb formats
them for the page, and must give the same text. A float shown as ``.4f`` may change in its
8th digit with the thread count or the CPU (a float32 sum adds in another order) and the page
is the same; a change the reader would see fails. A value that the text never shows is
compared exactly.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from myst_nb.core.variables import format_plain_text
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager
from nbval.plugin import IPyNbCell, coalesce_streams

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import chapter_kernels  # noqa: E402

chapter_kernels.install()
sys.path.insert(0, str(ROOT / "tools"))
import warm_kernels  # noqa: E402

GLUE_PREFIX = "application/papermill.record/"
#: ``{glue}`key```, ``{glue:text}`doc::key:.4f```, ``{glue:any}`key```...: the key and the format.
GLUE_ROLE = re.compile(r"\{glue(?::(?:text|any|md))?\}`(?:[^`:]*::)?([A-Za-z0-9_.-]+)(?::([^`]*))?`")
#: ``{glue:figure} key`` and the other directives show the value itself.
GLUE_DIRECTIVE = re.compile(r"^\s*[`:]{3,}\{glue(?::[a-z]+)?\}\s+(?:[^\s:]*::)?([A-Za-z0-9_.-]+)\s*$", re.MULTILINE)
_original_compare = IPyNbCell.compare_outputs


def glue_formats(sources: Iterable[str]) -> dict[str, set[str]]:
    """Key -> the format specs with which the given MyST sources show it ("" for as-is)."""
    formats: dict[str, set[str]] = defaultdict(set)
    for text in sources:
        for match in GLUE_ROLE.finditer(text):
            formats[match[1]].add(match[2] or "")
        for match in GLUE_DIRECTIVE.finditer(text):
            formats[match[1]].add("")
    return dict(formats)


@cache
def book_glue_formats() -> dict[str, set[str]]:
    """The formats of every glued key shown anywhere in the book (a page may show another's)."""
    return glue_formats(path.read_text() for path in sorted((ROOT / "book").rglob("*.md")))


def shown(text: str, fmt: str) -> str:
    """``text`` (a text/plain repr) as myst-nb puts it on the page with format spec ``fmt``."""
    try:
        return format_plain_text(text, fmt or "s")
    except (TypeError, ValueError):
        return text


def same_glued_value(got: str, recorded: str, formats: set[str]) -> bool:
    """Whether the re-run value reads the same as the recorded one wherever the text shows it."""
    if got == recorded:
        return True
    if not formats:
        return False
    return all(shown(got, fmt) == shown(recorded, fmt) for fmt in formats)


def _glued_values(notebook: Path) -> dict[str, str]:
    """Key -> text/plain of every hidden glue recorded by the build for ``notebook``."""
    path = notebook.with_suffix(".glue.json")
    if not path.exists():
        return {}
    entries = json.loads(path.read_text())
    return {key: entry.get("data", {}).get("text/plain", "") for key, entry in entries.items()}


def _describe(key: str, recorded: str, got: str, formats: set[str]) -> str:
    if not formats:
        return (
            f"glued value {key!r} changed: the build recorded {recorded}, the re-run gave {got} "
            "(the text never shows it, so it is compared exactly)"
        )
    views = ", ".join(f"{fmt or 'as is'}: {shown(recorded, fmt)} -> {shown(got, fmt)}" for fmt in sorted(formats))
    return (
        f"glued value {key!r} changed as the text shows it ({views}); "
        f"the build recorded {recorded}, the re-run gave {got}"
    )


def _compare_with_glue(self: IPyNbCell, test, ref, skip_compare=None) -> bool:
    recorded = self.parent._lrbook_glue  # set in pytest_collection_modifyitems
    formats = book_glue_formats()
    visible, failures = [], []
    for output in test:
        scrapbook = output.get("metadata", {}).get("scrapbook")
        hidden = scrapbook and scrapbook.get("mime_prefix") == GLUE_PREFIX
        if not hidden:
            visible.append(output)
            continue
        key = scrapbook["name"]
        got = self.sanitize(output["data"].get(GLUE_PREFIX + "text/plain", ""))
        if key not in recorded:
            failures.append(f"glued value {key!r} = {got} is new: the build did not record it")
            continue
        expected = self.sanitize(recorded[key])
        if not same_glued_value(got, expected, formats.get(key, set())):
            failures.append(_describe(key, expected, got, formats.get(key, set())))
    # The build merged the stdout pieces that hidden glue outputs separated (nb_merge_streams),
    # so merge them again once the glue outputs are gone.
    same = _original_compare(self, coalesce_streams(visible), ref, skip_compare)
    if failures:
        self.comparison_traceback = [*getattr(self, "comparison_traceback", []), *failures]
    return same and not failures


def _never_executed(notebook) -> bool:
    """No code cell has an execution count or an output: nbval would have nothing to compare."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    return bool(code) and not any(cell.get("execution_count") or cell.get("outputs") for cell in code)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, IPyNbCell) and not hasattr(item.parent, "_lrbook_glue"):
            item.parent._lrbook_glue = _glued_values(Path(str(item.parent.fspath)))
            if _never_executed(item.parent.nb):
                # Strict nbval passes such a notebook while comparing nothing (it happened when
                # myst-nb wrote cached chapters without their outputs): refuse it.
                raise pytest.UsageError(f"{item.parent.fspath} holds no outputs: rebuild the book (make book)")


IPyNbCell.compare_outputs = _compare_with_glue
_original_kernel_spec = NbvalKernelspecManager.get_kernel_spec


def _kernel_spec(self: NbvalKernelspecManager, kernel_name: str):
    """nbval's kernel in this environment, forked from the warm server when one is named."""
    spec = _original_kernel_spec(self, kernel_name)
    server = os.environ.get(warm_kernels.SERVER_VARIABLE)
    if server and kernel_name == CURRENT_ENV_KERNEL_NAME:
        spec.argv = warm_kernels.kernel_argv(server)
    return spec


NbvalKernelspecManager.get_kernel_spec = _kernel_spec
