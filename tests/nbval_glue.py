"""pytest plugin: let strict nbval check the numbers that chapters ``glue`` into their prose.

myst-nb moves every ``glue(..., display=False)`` output out of the executed notebook that it
writes to ``_build/jupyter_execute/`` and into a ``<chapter>.glue.json`` beside it. Re-running
the notebook produces those outputs again, and plain nbval would fail every cell that glues
("unexpected output fields"). Dropping them would leave the glued numbers, the ones a reader
sees in the text, untested. So this plugin compares each glued value of the re-run with the
one the build recorded, under nbval's own sanitizers, and only then removes it from the
comparison of the cell's visible outputs.

A glued float may differ from the recorded one in its last digits and still count as the
same: PyTorch sums in a different order with a different number of threads (the parallel
build gives each kernel one thread; nbval's kernel uses all cores), and one value of chapter
12 changes in its 16th digit. Floats are compared to ``GLUE_FLOAT_DIGITS`` significant
digits, far more than the text ever shows; every other value (int, str) must be identical.

Use: ``pytest -p tests.nbval_glue --nbval ...``.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, coalesce_streams

GLUE_PREFIX = "application/papermill.record/"
#: Significant digits to which a glued float must be reproduced.
GLUE_FLOAT_DIGITS = 10
_original_compare = IPyNbCell.compare_outputs


def _glued_values(notebook: Path) -> dict[str, str]:
    """Key -> text/plain of every hidden glue recorded by the build for ``notebook``."""
    path = notebook.with_suffix(".glue.json")
    if not path.exists():
        return {}
    entries = json.loads(path.read_text())
    return {key: entry.get("data", {}).get("text/plain", "") for key, entry in entries.items()}


def same_glued_value(got: str, recorded: str) -> bool:
    """Identical reprs, or two floats equal to ``GLUE_FLOAT_DIGITS`` significant digits."""
    if got == recorded:
        return True
    try:
        a, b = ast.literal_eval(got), ast.literal_eval(recorded)
    except (ValueError, SyntaxError):
        return False
    if type(a) is not float or type(b) is not float:
        return False
    return math.isclose(a, b, rel_tol=10.0**-GLUE_FLOAT_DIGITS, abs_tol=0.0)


def _compare_with_glue(self: IPyNbCell, test, ref, skip_compare=None) -> bool:
    recorded = self.parent._lrbook_glue  # set in pytest_collection_modifyitems
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
        elif not same_glued_value(got, self.sanitize(recorded[key])):
            failures.append(f"glued value {key!r} changed: the build recorded {recorded[key]}, the re-run gave {got}")
    # The build merged the stdout pieces that hidden glue outputs separated (nb_merge_streams),
    # so merge them again once the glue outputs are gone.
    same = _original_compare(self, coalesce_streams(visible), ref, skip_compare)
    if failures:
        self.comparison_traceback = [*getattr(self, "comparison_traceback", []), *failures]
    return same and not failures


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, IPyNbCell) and not hasattr(item.parent, "_lrbook_glue"):
            item.parent._lrbook_glue = _glued_values(Path(str(item.parent.fspath)))


IPyNbCell.compare_outputs = _compare_with_glue
