"""``tools/build_book.py --hide-solutions``: a site with no solution in it.

A mini book with a gated solution (text and a code cell), a non-gated one and an exercise is
built with Sphinx, myst-nb and sphinx-exercise's ``hide_solutions = True``. Without
``tools/hide_gated_solutions.py`` the build crashes (executablebooks/sphinx-exercise#89);
with it, the exercises are there and no solution is.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHAPTER = """\
---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# Exercises

```{exercise-start} First
:label: ex-first
```
Compute six times seven.
```{exercise-end}
```

```{solution-start} ex-first
:class: dropdown
```
The GATED-SOLUTION-TEXT is 42.

```{code-cell} ipython3
print("GATED-SOLUTION-" + "OUTPUT")
```
```{solution-end}
```

Between the solutions, VISIBLE-TEXT.

```{exercise} Second
:label: ex-second
Name a prime.
```

```{solution} ex-second
The PLAIN-SOLUTION-TEXT is 7.
```

```{code-cell} ipython3
print("VISIBLE-" + "OUTPUT")
```
"""


def _build(root: Path, extensions: list[str]) -> subprocess.CompletedProcess:
    conf = f"""
        import sys
        sys.path.insert(0, {str(ROOT / "tools")!r})
        extensions = {["myst_nb", *extensions]!r}
        hide_solutions = True
        nb_execution_mode = "force"
        exclude_patterns = ["_build"]
    """
    (root / "conf.py").write_text(textwrap.dedent(conf))
    (root / "index.md").write_text(CHAPTER)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-n", "-q", str(root), str(root / "_build")]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_hidden_gated_solutions_crash_sphinx_exercise_alone(tmp_path):
    # The upstream bug this workaround exists for; if this fails, sphinx-exercise fixed it.
    result = _build(tmp_path, ["sphinx_exercise"])
    assert result.returncode != 0
    assert "solution_end_node" in result.stdout + result.stderr


def test_with_the_extension_no_solution_is_left(tmp_path):
    result = _build(tmp_path, ["sphinx_exercise", "hide_gated_solutions"])
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "_build" / "index.html").read_text()
    assert "Compute six times seven." in page and "Name a prime." in page
    assert "VISIBLE-TEXT" in page and "VISIBLE-OUTPUT" in page
    for secret in ("GATED-SOLUTION-TEXT", "GATED-SOLUTION-OUTPUT", "print(&quot;GATED", "PLAIN-SOLUTION-TEXT"):
        assert secret not in page


def test_the_option_changes_only_the_hidden_build(build_book, tmp_path):
    default = build_book.sphinx_conf(tmp_path / "default").read_text()
    hidden = build_book.sphinx_conf(tmp_path / "hidden", hide_solutions=True).read_text()
    assert hidden.startswith(default)
    added = hidden.removeprefix(default)
    for line in ("hide_solutions = True", "html_copy_source = False", '"use_download_button": False'):
        assert line in added
    assert '"hide_gated_solutions"' in added and "notebook_downloads" in added
    assert "hide_solutions" not in default
    namespace: dict = {}
    saved_path = list(sys.path)
    try:
        exec(compile(hidden, "conf.py", "exec"), namespace)  # the generated conf is valid Python
    finally:
        sys.path[:] = saved_path
    assert namespace["hide_solutions"] is True and "hide_gated_solutions" in namespace["extensions"]
    assert "notebook_downloads" not in namespace["extensions"]
    assert namespace["nb_execution_cache_path"] == str(ROOT / "_build" / ".jupyter_cache")
