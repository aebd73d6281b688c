"""Exercise statements are self-contained: none refers to a label defined inside a solution.

A solution is folded away (and absent from the site built with ``--hide-solutions``), so an
equation, figure or section defined there cannot be what a statement asks the reader to use.
The chapters are parsed as MyST text: gated exercises run from ``{exercise-start}`` to
``{exercise-end}``, gated solutions from ``{solution-start}`` to ``{solution-end}``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.md"))

_EXERCISE = re.compile(r"^```\{exercise-start\}.*?^```\{exercise-end\}", re.DOTALL | re.MULTILINE)
_SOLUTION = re.compile(r"^```\{solution-start\}.*?^```\{solution-end\}", re.DOTALL | re.MULTILINE)
_LABEL_DEFINITIONS = (
    re.compile(r"^\s*\(([\w.:-]+)\)=\s*$", re.MULTILINE),  # (name)= before a heading
    re.compile(r"^\s*:(?:label|name):\s*([\w.:-]+)\s*$", re.MULTILINE),  # directive options
    re.compile(r"^\s*\$\$\s*\(([\w.:-]+)\)\s*$", re.MULTILINE),  # $$ ... $$ (name)
    re.compile(r"^\s*name:\s*([\w.:-]+)\s*$", re.MULTILINE),  # mystnb: figure: name: in a code cell
)
# {eq}`name`, {ref}`name`, {numref}`name`, and the titled forms {ref}`text <name>`
_REFERENCE = re.compile(r"\{(eq|ref|numref)\}`(?:[^`<]*<)?([\w.:-]+)>?`")


def labels_defined_in_solutions(text: str) -> set[str]:
    """Every label that a gated solution of ``text`` defines."""
    labels: set[str] = set()
    for solution in _SOLUTION.findall(text):
        for pattern in _LABEL_DEFINITIONS:
            labels.update(pattern.findall(solution))
    return labels


def references_in_statements(text: str) -> list[tuple[str, str, str]]:
    """(exercise label, role, referenced label) for every reference inside an exercise statement."""
    found = []
    for statement in _EXERCISE.findall(text):
        label = re.search(r"^:label:\s*(\S+)", statement, re.MULTILINE)
        for role, target in _REFERENCE.findall(statement):
            found.append((label.group(1) if label else "?", role, target))
    return found


def violations(texts: list[str]) -> list[str]:
    """Statements (of any chapter) that refer to a label defined inside a solution (of any chapter)."""
    hidden = set().union(*(labels_defined_in_solutions(text) for text in texts))
    return [
        f"{exercise} refers to {{{role}}}`{target}`, which is defined inside a solution"
        for text in texts
        for exercise, role, target in references_in_statements(text)
        if target in hidden
    ]


def test_no_statement_refers_to_a_label_defined_in_a_solution():
    texts = [chapter.read_text() for chapter in CHAPTERS]
    assert violations(texts) == []


def test_the_parser_sees_the_book():
    # The check above passes vacuously if the parser finds nothing: make sure it finds the
    # exercises, their references and the labels that solutions define.
    text = (BOOK / "09_exercises.md").read_text()
    assert len(_EXERCISE.findall(text)) >= 10
    assert len(_SOLUTION.findall(text)) == len(_EXERCISE.findall(text))
    referenced = {target for _, _, target in references_in_statements(text)}
    assert {"eq-exercises-curvature-bound", "ex-hessian"} <= referenced
    hidden = labels_defined_in_solutions(text)
    assert {"eq-exercises-sigmoid-symmetry", "fig-exercises-learning-rates"} <= hidden
    # labels defined in a statement are not hidden: the statement shows them
    assert "eq-exercises-curvature-bound" not in hidden


PLANTED = """
```{exercise-start} Uses a hidden equation
:label: ex-planted
```
Compute the bound of {eq}`eq-planted-hidden`, then compare with {numref}`fig-planted`,
{ref}`the derivation <sec-planted>` and {eq}`eq-planted-visible`.

$$
a = b
$$ (eq-planted-visible)
```{exercise-end}
```

```{solution-start} ex-planted
:class: dropdown
```
(sec-planted)=
### A derivation

$$
L = \\frac{1}{4}
$$ (eq-planted-hidden)

```{code-cell} ipython3
---
mystnb:
  figure:
    name: fig-planted
---
print("figure")
```
```{solution-end}
```
"""


def test_a_planted_violation_is_caught():
    found = violations([PLANTED])
    assert found == [
        "ex-planted refers to {eq}`eq-planted-hidden`, which is defined inside a solution",
        "ex-planted refers to {numref}`fig-planted`, which is defined inside a solution",
        "ex-planted refers to {ref}`sec-planted`, which is defined inside a solution",
    ]


def test_a_violation_across_chapters_is_caught():
    # A statement in one chapter that points into a solution of another is just as hidden.
    statement = (
        "```{exercise-start} Elsewhere\n:label: ex-other\n```\n"
        "Use {eq}`eq-planted-hidden`.\n```{exercise-end}\n```\n"
    )
    assert violations([statement, PLANTED])[0].startswith("ex-other refers to {eq}`eq-planted-hidden`")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_solutions_and_exercises_are_balanced(chapter):
    # every opening directive has its closing one, so no statement runs into the next block
    text = chapter.read_text()

    def directives(name: str) -> int:
        return len(re.findall(rf"^```\{{{name}\}}", text, flags=re.MULTILINE))

    assert directives("exercise-start") == directives("exercise-end") == len(_EXERCISE.findall(text))
    assert directives("solution-start") == directives("solution-end") == len(_SOLUTION.findall(text))
