"""A light ``import lrcore``: PyTorch, and not what a chapter may not use.

``lrcore.data`` (scikit-learn, pandas), ``lrcore.margin`` (scikit-learn, SciPy) and
``lrcore.plotting`` (matplotlib) are imported when one of their names is first asked for
(``lrcore/__init__.py``). Every chapter's kernel, and every nbval run of it, imports ``lrcore``;
this halved its cost. The public API is the same: every name of ``__all__``, ``dir(lrcore)``.
Each check runs in a fresh interpreter, where nothing has imported the heavy libraries yet.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sklearn", "matplotlib", "pandas", "scipy", "seaborn")


def fresh(code: str):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_import_lrcore_leaves_the_heavy_libraries_out():
    loaded = fresh(f"import json, sys, lrcore; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert loaded == []


@pytest.mark.parametrize(
    ("name", "needs"),
    [("load_breast_cancer_means", "sklearn"), ("hard_margin_svm", "sklearn"), ("plot_sigmoid", "matplotlib")],
)
def test_a_name_of_a_lazy_module_imports_what_it_needs(name, needs):
    code = f"import json, sys, lrcore; f = lrcore.{name}; print(json.dumps([f.__module__, {needs!r} in sys.modules]))"
    module, loaded = fresh(code)
    assert module.startswith("lrcore.") and loaded


def test_every_public_name_imports_and_dir_lists_what_eager_imports_listed():
    code = """
import importlib, json, lrcore
before = dir(lrcore)
found = {}
for name in lrcore.__all__:
    namespace = {}
    exec(f"from lrcore import {name}", namespace)
    found[name] = namespace[name] is getattr(lrcore, name)
# What `dir` listed when lrcore imported every module at once: the same names, once all are loaded.
for module in ("data", "margin", "plotting"):
    importlib.import_module(f"lrcore.{module}")
print(json.dumps({"before": before, "after": dir(lrcore), "found": found, "all": lrcore.__all__}))
"""
    result = fresh(code)
    assert all(result["found"].values()) and len(result["found"]) == len(result["all"])
    assert result["before"] == result["after"]
    assert set(result["all"]) <= set(result["before"])
    assert {"data", "margin", "plotting", "optim", "_validation", "__version__"} <= set(result["before"])
    assert not {"_importlib", "_LAZY_MODULES", "_LAZY_NAMES", "__getattr__", "__dir__"} & set(result["before"])


def test_a_missing_name_is_an_attribute_error():
    import lrcore

    with pytest.raises(AttributeError, match="no attribute 'not_a_function'"):
        lrcore.not_a_function  # noqa: B018
    assert lrcore.plotting.plot_sigmoid is lrcore.plot_sigmoid
