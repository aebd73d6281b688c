"""The listings a chapter shows are short and hold the algorithm, not argument checking (issue 20).

Every ``{literalinclude}`` of a chapter (``book/*.md``) is resolved as Sphinx resolves it, by
Sphinx's own ``LiteralIncludeReader`` (``:pyobject:``, ``:lines:``, ``:start-after:``,
``:end-before:``...), so the mapping from a listing to the code it shows comes from the chapters.

* **Short:** a listing shows at most :data:`MAX_LINES` lines (decorators and docstring
  included, trailing blank lines not).
* **No argument checking:** the shown code, its decorators and its docstring left out, may not

  1. ``raise TypeError`` or ``raise ValueError`` (the class or a call of it);
  2. call a function whose name starts with ``check_`` or ``_check_`` (lrcore's validation
     helpers: ``check_matrix(...)``, ``_check_inputs(...)``, ``_validation.check_count(...)``);
  3. name the module ``_validation`` (``_validation.MEMORY_BUDGET_BYTES``).

  A decorator ``@checked_by(_check_<name>_args)`` is allowed: it says in one line that the
  arguments are checked before the body runs, and the body is the algorithm. Errors that the
  algorithm itself meets (no optimum exists, an overflow) are raised through named helpers
  (``raise _separable_error(k)``), which rule 1 allows.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from sphinx.directives.code import LiteralInclude, LiteralIncludeReader

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
#: The longest listing a chapter may show.
MAX_LINES = 40
#: The exceptions that argument checks raise.
CHECK_ERRORS = frozenset({"TypeError", "ValueError"})

#: A literalinclude directive (backtick or colon fence) and the ``:option: value`` lines under it.
DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{literalinclude\}[ \t]+(?P<path>\S+)[ \t]*\n(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)",
    re.M,
)


@dataclass(frozen=True)
class Listing:
    chapter: Path
    line: int
    path: Path
    options: dict

    @property
    def where(self) -> str:
        shown = self.options.get("pyobject") or ", ".join(f":{k}: {v}" for k, v in self.options.items()) or "whole file"
        return f"{self.chapter.name}:{self.line} {self.path.name} {shown}"


def listings(book: Path = BOOK) -> list[Listing]:
    """Every literalinclude of every chapter in ``book``, in order."""
    found = []
    for chapter in sorted(book.glob("*.md")):
        text = chapter.read_text(encoding="utf-8")
        for match in DIRECTIVE.finditer(text):
            options = dict(re.findall(r"^[ \t]*:([\w-]+):[ \t]*(.*?)[ \t]*$", match["options"], re.M))
            line = text.count("\n", 0, match.start()) + 1
            found.append(Listing(chapter, line, (chapter.parent / match["path"]).resolve(), options))
    return found


def shown_text(listing: Listing) -> str:
    """The text the page shows, as Sphinx's literalinclude reads it."""
    spec = LiteralInclude.option_spec
    options = {key: spec[key](value or None) if key in spec else value for key, value in listing.options.items()}
    text, _ = LiteralIncludeReader(str(listing.path), options, SimpleNamespace(source_encoding="utf-8-sig")).read()
    return text


def line_count(text: str) -> int:
    return len(text.rstrip().splitlines())


def _is_check_call(node: ast.Call) -> bool:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name.startswith(("check_", "_check_"))


def _raises_check_error(node: ast.Raise) -> bool:
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id in CHECK_ERRORS


def _without_decorators_and_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            node.decorator_list = []
            if ast.get_docstring(node, clean=False) is not None:
                node.body = node.body[1:] or [ast.Pass()]
    return tree


def argument_checking(source: str) -> list[str]:
    """What in ``source`` (a function, a class or a fragment) is argument checking, by the rules above."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:  # a :lines: fragment that is not whole statements: the same rules, on the text
        pattern = r"raise\s+(?:TypeError|ValueError)\b|\b_?check_\w*\s*\(|\b_validation\b"
        return [m.group(0) for m in re.finditer(pattern, source)]
    found = []
    for node in ast.walk(_without_decorators_and_docstrings(tree)):
        if isinstance(node, ast.Raise) and node.exc is not None and _raises_check_error(node):
            found.append(f"line {node.lineno}: {ast.unparse(node)[:60]}")
        elif isinstance(node, ast.Call) and _is_check_call(node):
            found.append(f"line {node.lineno}: {ast.unparse(node)[:60]}")
        elif isinstance(node, ast.Name) and node.id == "_validation":
            found.append(f"line {node.lineno}: _validation")
    return sorted(set(found))


def too_long(book: Path = BOOK) -> list[str]:
    return [
        f"{listing.where}: {n} lines"
        for listing in listings(book)
        if (n := line_count(shown_text(listing))) > MAX_LINES
    ]


def with_checking(book: Path = BOOK) -> list[str]:
    problems = []
    for listing in listings(book):
        found = argument_checking(shown_text(listing))
        if found:
            problems.append(f"{listing.where}: {'; '.join(found)}")
    return problems


# ---------------------------------------------------------------------------- the book


def test_the_chapters_have_listings():
    assert len(listings()) > 40, "the directive pattern no longer finds the chapters' literalincludes"


def test_every_listing_is_at_most_40_lines():
    problems = too_long()
    assert not problems, (
        f"listings longer than {MAX_LINES} lines (show a core of the algorithm, with the checks in the public "
        "function or lrcore._validation):\n" + "\n".join(problems)
    )


def test_no_listing_shows_argument_checking():
    problems = with_checking()
    assert not problems, (
        "listings that show argument checking (move it into a _check_<name>_args function, with "
        "@checked_by, or into the public function that calls the shown core):\n" + "\n".join(problems)
    )


# ---------------------------------------------------------------------------- the rules, planted

PLANTED_MODULE = '''
from lrcore._validation import checked_by, check_matrix
from lrcore import _validation


def _check_core_args(x):
    check_matrix("x", x)


@checked_by(_check_core_args)
def clean(x):
    """Docstrings may say raise ValueError or check_matrix(x): they are not code."""
    if x.sum() > 0:
        raise _no_optimum_error(x)
    return x * 2


def raises_value_error(x):
    if x < 0:
        raise ValueError("x must be >= 0")
    return x


def raises_type_error_class(x):
    raise TypeError


def calls_a_check(x):
    x = check_matrix("x", x)
    return x


def calls_a_private_check(x):
    _check_core_args(x)
    return x


def reads_the_budget(x):
    return x < _validation.MEMORY_BUDGET_BYTES


def raises_runtime_error(x):
    raise RuntimeError("a solver failure is not argument checking")


class Record:
    """A dataclass-like record."""

    def check(self):
        return check_matrix("x", self.x)


def long_function():
    """One line."""
''' + "".join(f"    a{i} = {i}\n" for i in range(37)) + '''    return a0


def longer_function():
    """One line."""
''' + "".join(f"    a{i} = {i}\n" for i in range(38)) + """    return a0
"""


def _planted_book(tmp_path: Path, chapter: str) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(PLANTED_MODULE)
    book = tmp_path / "book"
    book.mkdir()
    (book / "01_demo.md").write_text(chapter)
    return book


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("clean", []),
        ("raises_value_error", ["raise ValueError"]),
        ("raises_type_error_class", ["raise TypeError"]),
        ("calls_a_check", ["check_matrix("]),
        ("calls_a_private_check", ["_check_core_args("]),
        ("reads_the_budget", ["_validation"]),
        ("raises_runtime_error", []),
        ("Record", ["check_matrix("]),
    ],
)
def test_the_checking_rule_on_planted_code(tmp_path, name, expected):
    book = _planted_book(tmp_path, f"# Demo\n\n```{{literalinclude}} ../pkg/mod.py\n:pyobject: {name}\n```\n")
    (listing,) = listings(book)
    found = argument_checking(shown_text(listing))
    assert len(found) == len(expected) and all(e in f for e, f in zip(expected, found, strict=True)), found


def test_the_length_rule_on_planted_chapters(tmp_path):
    chapter = """# Demo

Text with ``{literalinclude}`` in it is prose, not a directive.

```{literalinclude} ../pkg/mod.py
:pyobject: long_function
```

More text.

```{literalinclude} ../pkg/mod.py
:pyobject: longer_function
```

::::{literalinclude} ../pkg/mod.py
:start-after: def raises_value_error(x):
:end-before: def raises_type_error_class
::::

```{literalinclude} ../pkg/mod.py
:pyobject: raises_value_error
:lines: 1,4
```
"""
    book = _planted_book(tmp_path, chapter)
    found = listings(book)
    assert [listing.line for listing in found] == [5, 11, 15, 20]
    assert [line_count(shown_text(listing)) for listing in found] == [40, 41, 3, 2]
    assert too_long(book) == ["01_demo.md:11 mod.py longer_function: 41 lines"]
    problems = with_checking(book)
    assert len(problems) == 1 and problems[0].startswith("01_demo.md:15 mod.py :start-after:"), problems
    assert "raise ValueError" in problems[0]


def test_a_fragment_that_does_not_parse_is_checked_as_text():
    assert argument_checking("    if x < 0:\n        raise ValueError('no')\n    else:") == ["raise ValueError"]
    assert argument_checking("    else:\n        y = check_count('n', n)") == ["check_count("]
    assert argument_checking("    else:\n        y = x") == []
