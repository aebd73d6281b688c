"""No public function of lrcore without a property-based test of its contract (issue 22).

The public API is every function in ``lrcore.__all__`` and ``lrcore.explorers.__all__``. A
function is *covered* when a test function decorated with hypothesis's ``@given`` in one of
``tests/test_*.py`` calls it (``lrcore.name(...)``, ``lrcore.explorers.name(...)``,
``explorers.name(...)`` or a name imported from ``lrcore``). The check reads the tests' source
(``ast``), so a new module cannot land without its properties: the planted-function test below
shows that the check fails on a public function that no property calls.

:data:`NOT_YET_COVERED` lists the functions still without one: empty since issue 22's 26 gained
theirs (``tests/test_properties_api.py``, ``tests/test_properties_figures.py``). The check fails
both when a function outside it is uncovered and when one inside it has become covered (then
remove it from the list), so the list can only shrink.
"""

from __future__ import annotations

import ast
import inspect
import types
from pathlib import Path

import lrcore
import lrcore.explorers

TESTS = Path(__file__).resolve().parent

#: Public functions without a property-based test yet: none. Never grow it; write the properties instead.
NOT_YET_COVERED: frozenset[str] = frozenset()


def public_functions(*modules: types.ModuleType) -> dict[str, object]:
    """Name -> function for every routine (not class, not constant) in each module's ``__all__``."""
    found = {}
    for module in modules:
        prefix = "" if module.__name__ == "lrcore" else module.__name__.removeprefix("lrcore.") + "."
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isroutine(value):
                found[prefix + name] = value
    return found


def _is_property(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(target, ast.Name) and target.id == "given") or (
            isinstance(target, ast.Attribute) and target.attr == "given"
        ):
            return True
    return False


def _called_names(node: ast.AST, imported: dict[str, str]) -> set[str]:
    """Public names a test calls: ``lrcore.f``, ``lrcore.explorers.f``, ``explorers.f``, or ``f`` from lrcore."""
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
            if child.value.id == "lrcore":
                names.add(child.attr)
            elif child.value.id == "explorers":
                names.add("explorers." + child.attr)
        elif isinstance(child, ast.Attribute) and isinstance(child.value, ast.Attribute):
            inner = child.value
            if isinstance(inner.value, ast.Name) and inner.value.id == "lrcore" and inner.attr == "explorers":
                names.add("explorers." + child.attr)
        elif isinstance(child, ast.Name) and child.id in imported:
            names.add(imported[child.id])
        elif isinstance(child, ast.Constant) and isinstance(child.value, str) and child.value.isidentifier():
            names.add(child.value)  # getattr(lrcore, name) over a list of names
    return names


def covered_by_properties(sources: dict[str, str]) -> set[str]:
    """Public names that some ``@given`` test in ``sources`` (file name -> text) calls."""
    covered = set()
    for text in sources.values():
        tree = ast.parse(text)
        imported = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("lrcore", "lrcore.explorers"):
                prefix = "" if node.module == "lrcore" else "explorers."
                imported.update({(alias.asname or alias.name): prefix + alias.name for alias in node.names})
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_property(node):
                covered |= _called_names(node, imported)
                # names the property is parametrized over (@pytest.mark.parametrize("name", [...]))
                covered |= {n for d in node.decorator_list for n in _called_names(d, {}) if "." not in n}
    return covered


def uncovered(functions: dict[str, object], sources: dict[str, str]) -> set[str]:
    return set(functions) - covered_by_properties(sources)


def _test_sources() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(TESTS.glob("test_*.py"))}


def test_every_public_function_has_a_property_based_test():
    functions = public_functions(lrcore, lrcore.explorers)
    missing = uncovered(functions, _test_sources())
    new = sorted(missing - NOT_YET_COVERED)
    assert missing <= NOT_YET_COVERED, f"public functions without a property-based test: {new}"
    assert NOT_YET_COVERED <= missing, f"covered now, remove from NOT_YET_COVERED: {sorted(NOT_YET_COVERED - missing)}"


def test_a_planted_public_function_without_properties_fails_the_check():
    planted = types.ModuleType("lrcore.planted")
    planted.__all__ = ["new_metric", "SOME_CONSTANT"]
    planted.new_metric = lambda y_pred, y_true: 0.0
    planted.SOME_CONSTANT = 3
    functions = {**public_functions(lrcore, lrcore.explorers), **public_functions(planted)}
    missing = uncovered(functions, _test_sources())
    assert "planted.new_metric" in missing and "planted.SOME_CONSTANT" not in missing
    # ...and a property that calls it is what covers it.
    header = "from hypothesis import given\nfrom lrcore import x\n"
    unit_test = {"test_planted.py": header + "def test_p():\n    lrcore.new_metric(1, 2)\n"}
    assert covered_by_properties(unit_test) == set()  # a plain test is not a property
    prop = {"test_planted.py": header + "@given()\ndef test_p():\n    lrcore.new_metric(1, 2)\n"}
    assert covered_by_properties(prop) == {"new_metric"}
