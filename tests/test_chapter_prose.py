"""A chapter's prose teaches the idea; how the code was checked belongs in the authors' appendix (issue 20).

The prose of a page is its text outside code: fenced code blocks (``{code-cell}`` cells, tagged
``remove-cell`` or not, ``{literalinclude}``, ``{code-block}`` and plain fences), Markdown
cells tagged ``remove-cell`` (``+++ {"tags": ["remove-cell"]}``), HTML and MyST comments, and
the front matter are left out; admonitions, exercises, solutions, captions and alt text are
prose. The authors' appendix (:data:`APPENDIX`) is where how-it-was-checked text goes, so it
is not read. The prose of every other page in ``book/`` may not

* name a path under ``tests/`` or ``tools/`` (``tests/test_margin.py``, ``tools/build_book.py``,
  ``../tools/``), a URL's path excepted;
* quote an agreement tolerance: a verb of agreement followed, in the same sentence, by
  ``to`` / ``within`` and a number written in e-notation or as a power of ten (``agree to
  1e-12``, ``matches scikit-learn's to within $10^{-15}$``, ``agreement within 1e-6``). For
  ``equal``, ``same``, ``identical`` and ``holds`` only ``within`` / ``up to`` counts, since
  "equal to 1e-10" states a value. A tolerance used as a quantity of the method ("stop when the
  gradient's largest entry is below 1e-10") is not an agreement and passes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
#: The authors' appendix: how the book was built and checked.
APPENDIX = "appendix_build.md"

#: A fenced block: backticks or tildes, 3 or more, with what follows the fence on its line.
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$", re.M)
#: Fences whose content is code, not prose.
CODE_DIRECTIVES = ("code-cell", "literalinclude", "code-block", "code", "sourcecode", "raw", "glue:")

#: A path under tests/ or tools/, not inside a longer path or a URL.
TOOLING_PATH = re.compile(r"(?<![\w/.\-])(?:\.\./)*(?:tests|tools)/(?:[\w\-]+(?:\.[\w\-]+)*/?)*")

_NUMBER = (
    r"(?:"
    r"\d+(?:\.\d+)?\s*[eE]\s*[-−–]\s*\d+"  # 1e-12, 2.5e-15
    r"|(?:\d+(?:\.\d+)?\s*(?:\\times|\\cdot|×)\s*)?10\s*\^\s*\{?\s*[-−–]\s*\d+\s*\}?"  # 10^{-12}, 2 \times 10^{-6}
    r"|10[⁻][⁰¹²³⁴⁵⁶⁷⁸⁹]+"  # 10⁻¹²
    r"|\{glue(?::text)?\}`[^`:]+:[^`]*[eE]`"  # a glued number written in e-notation
    r")"
)
#: In the same sentence: no sentence end (". " or ;!?) and no paragraph break.
_SAME_SENTENCE = r"(?:(?!\.\s|\n[ \t]*\n)[^;!?]){0,120}?"
_HEDGE = r"(?:\s+(?:about|around|roughly|approximately|better\s+than|less\s+than|under|below|within))*"
_LEAD = r"\s*[$`]?\s*"
AGREEMENT = re.compile(
    r"\b(?:"
    rf"(?:agree[sd]?|agreeing|agreement|match(?:es|ed|ing)?|coincid(?:e|es|ed|ing))\b{_SAME_SENTENCE}"
    rf"\b(?:to|within|up\s+to)"
    rf"|(?:equal(?:s|led|ly)?|same|identical|holds?|held)\b{_SAME_SENTENCE}\b(?:within|up\s+to)"
    rf"){_HEDGE}{_LEAD}{_NUMBER}",
    re.I,
)


def prose(text: str) -> str:
    """``text`` with everything that is not prose blanked out, line numbers kept."""
    lines = text.split("\n")
    keep = [True] * len(lines)

    def drop(start: int, end: int) -> None:
        for i in range(start, min(end, len(lines))):
            keep[i] = False

    # Front matter.
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        drop(0, end + 1)
    # Fenced code blocks (a fence closes with the same character, at least as long, alone on its line).
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match and keep[i]:
            fence, info = match["fence"], match["info"].strip()
            closing = re.compile(rf"{re.escape(fence[0])}{{{len(fence)},}}\s*")
            close = next((j for j in range(i + 1, len(lines)) if closing.fullmatch(lines[j])), len(lines) - 1)
            directive = re.match(r"\{([\w:.\-]+)\}", info)
            if directive is None or directive[1].startswith(CODE_DIRECTIVES):
                drop(i, close + 1)
                i = close + 1
                continue
            keep[i] = keep[close] = False  # the directive's fences; its body is prose
        i += 1
    # Markdown cells tagged remove-cell: from their +++ line to the next cell boundary.
    for i, line in enumerate(lines):
        if line.startswith("+++") and "remove-cell" in line:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("+++") or not keep[j]), len(lines))
            drop(i, end)
    # MyST comments (% ...) and the +++ cell markers.
    for i, line in enumerate(lines):
        if line.startswith(("%", "+++")):
            keep[i] = False
    kept = "\n".join(line if k else "" for line, k in zip(lines, keep, strict=True))
    # HTML comments, with their line breaks kept.
    return re.sub(r"<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"), kept, flags=re.S)


def violations(text: str, name: str = "page.md") -> list[str]:
    """``name:line: what`` for every tooling path and agreement tolerance in ``text``'s prose."""
    body = prose(text)
    found = []
    for kind, pattern in (("names", TOOLING_PATH), ("quotes a tolerance", AGREEMENT)):
        for match in pattern.finditer(body):
            line = body.count("\n", 0, match.start()) + 1
            quoted = " ".join(match.group(0).split())
            found.append((line, f"{name}:{line}: {kind}: {quoted}"))
    return [message for _, message in sorted(found)]


def book_violations(book: Path = BOOK) -> list[str]:
    found = []
    for page in sorted(book.glob("*.md")):
        if page.name != APPENDIX:
            found += violations(page.read_text(encoding="utf-8"), page.name)
    return found


# ---------------------------------------------------------------------------- the book


def test_the_appendix_exists():
    assert (BOOK / APPENDIX).is_file(), f"the authors' appendix moved: update APPENDIX ({APPENDIX})"


def test_chapter_prose_names_no_test_or_tool_file_and_quotes_no_tolerance():
    problems = book_violations()
    assert not problems, (
        "chapter prose that names a file under tests/ or tools/, or quotes an agreement tolerance; move it "
        f"to the authors' appendix ({APPENDIX}) and leave a {{ref}}`app-build` link if needed:\n" + "\n".join(problems)
    )


# ---------------------------------------------------------------------------- the rules, planted


@pytest.mark.parametrize(
    "sentence",
    [
        "The two gradients agree to 1e-12.",
        "Both agree to about 1e-15 on every sample.",
        "The closed form matches autograd to within 1e-6.",
        "The areas match scikit-learn's `sklearn.metrics.auc` to $10^{-15}$.",
        "lrcore's curve matches\nscikit-learn's to 1e−12 everywhere.",
        "The folds coincide with scikit-learn's to 2.5e-16.",
        "The agreement is within 1e-14 for every resample.",
        "The two losses are equal to within $10^{-12}$.",
        "They are the same up to 1e-13 in float64.",
        "The symmetry {eq}`eq-sym` holds to within $10^{-15}$.",
        "The results agree to within 10⁻¹⁵.",
        "The weights agree to {glue:text}`newton_gap:.1e`.",
        "The Hessians agree to within $2 \\times 10^{-14}$.",
    ],
)
def test_a_quoted_tolerance_is_found(sentence):
    (problem,) = violations(f"# Page\n\n{sentence}\n")
    assert problem.startswith("page.md:3: quotes a tolerance: ")


@pytest.mark.parametrize(
    "sentence",
    [
        "Newton's method stops when the gradient norm is below 1e-10.",
        "We stop once every entry of the gradient is smaller than $10^{-10}$, the tolerance `tol`.",
        "The validation loss is equal to 0.1084 at the minimum.",
        "We set the tolerance equal to 1e-10, far below float32's rounding.",
        "The two curves agree. The next step uses a tolerance of 1e-10.",
        "Both numbers agree to three decimals.",
        "The bound holds for every step size below 1e-3.",
        "The predictions match the labels on 111 of 114 tumours; the step size is 1e-3.",
        "The penalty l2 = 1e-3 is the one chapter 12 chose.",
        "A learning rate of 1e-4 is too small to converge in 1000 steps.",
    ],
)
def test_a_tolerance_used_as_a_quantity_passes(sentence):
    assert violations(f"# Page\n\n{sentence}\n") == []


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("The test `tests/test_margin.py` compares the margins.", "tests/test_margin.py"),
        ("Run tools/build_book.py to build it.", "tools/build_book.py"),
        ("See [the script](../tools/student_notebooks.py).", "../tools/student_notebooks.py"),
        ("The tests/ folder holds them.", "tests/"),
    ],
)
def test_a_tooling_path_is_found(text, path):
    (problem,) = violations(f"# Page\n\n{text}\n")
    assert problem == f"page.md:3: names: {path}"


@pytest.mark.parametrize(
    "text",
    [
        "See <https://scikit-learn.org/stable/tools/index.html> for details.",
        "The unit tests of the package pass; the tools are PyTorch and scikit-learn.",
        "lrcore/metrics.py holds the metrics.",
        "A path such as mytests/test_x.py is not ours.",
    ],
)
def test_other_paths_and_words_pass(text):
    assert violations(f"# Page\n\n{text}\n") == []


def test_code_hidden_cells_comments_and_the_appendix_are_not_prose(tmp_path):
    page = """---
jupytext:
  text_representation: {extension: .md}
---

# Page

```{code-cell} ipython3
:tags: [remove-cell]

# tests/test_x.py checks that these agree to 1e-12
assert abs(a - b) < 1e-12
```

```{code-cell} ipython3
print("agree to 1e-12")  # tools/build_book.py
```

```python
# in a plain fence: tests/test_plain.py, agree to 1e-9
```

````{literalinclude} ../lrcore/model.py
:pyobject: linear
````

+++ {"tags": ["remove-cell"]}

A hidden Markdown cell may say tests/test_hidden.py and agree to 1e-9.

+++

% A MyST comment: tools/x.py agree to 1e-3.

<!-- An HTML comment: tests/test_comment.py
agrees to 1e-4 -->

```{note}
A note is prose: the gradients agree to 1e-12.
```

Visible prose names tests/test_visible.py.
"""
    assert violations(page) == [
        "page.md:39: quotes a tolerance: agree to 1e-12",
        "page.md:42: names: tests/test_visible.py",
    ]
    book = tmp_path / "book"
    book.mkdir()
    (book / "01_page.md").write_text(page)
    (book / APPENDIX).write_text("# Appendix\n\ntests/test_margin.py checks that they agree to 1e-12.\n")
    assert [p.split(": ", 1)[0] for p in book_violations(book)] == ["01_page.md:39", "01_page.md:42"]
