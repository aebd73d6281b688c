"""The test split is evaluated in one section of the book: the final section of chapter 13.

Every choice about the book's model (the L2 penalty, the threshold) is made on the validation
split, and the one chosen model is evaluated on the test split in ``(sec-final-test)=`` of
``book/13_threshold.md``, after every choice. Anywhere else, a computation on the test split
would be a second look at it, which the book teaches against (``ex-test-once``): no later
chapter may report more about the final model on test, and no other section may carry a
``sec-final-test...`` label (``test_no_other_final_test_section`` checks the labels).

The check reads the code cells of every chapter with :mod:`ast` and follows the test split
through the code, a small taint analysis:

* the test split is born as the third and sixth outputs of ``train_val_test_split`` (the
  features and labels), and every name assigned from it is test data too;
* *splitting and preparing* it is allowed: ``to_tensors``, ``standardize``, dtype conversions,
  indexing, and reading its size, shape, index or class balance (``.mean()``/``.sum()`` of the
  bare split), so that a chapter can show the split it made;
* anything else that touches it (a model, a loss, a metric, ``@``, arithmetic, a call of any
  other function) is an evaluation, and fails the test unless it happens inside the final
  section of chapter 13, which runs from its label to the next heading of level one or two
  (its ``###`` subsections belong to it).

The rules are deliberately strict about what counts as "allowed"; an allowed use has to be
one of the forms above. ``test_planted_*`` plant violations and allowed uses in a made-up
chapter, so that the checker itself is tested: among them, a ``sec-final-test-...`` section in
a later chapter, which is a violation like any other.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
FINAL_CHAPTER = "13_threshold.md"
FINAL_LABEL = "sec-final-test"
#: Any label that looks like the final section's: only ``(sec-final-test)=`` in chapter 13 is one.
LABEL_LINE = re.compile(rf"\(({FINAL_LABEL}[\w-]*)\)=")

#: Functions through which the test split may flow without being evaluated: output i is test
#: data if input i was (``to_tensors``), or the result is (``standardize``, first argument).
POSITIONAL = {"to_tensors"}
PREPARE = {"standardize"}
#: Methods and attributes of a bare test name that prepare it or describe the split.
PREPARE_METHODS = {"double", "float", "to", "clone", "reshape", "view", "contiguous"}
DESCRIBE = {
    "shape",
    "dtype",
    "index",
    "columns",
    "equals",
    "mean",
    "sum",
    "std",
    "min",
    "max",
    "abs",
    "value_counts",
    "size",
    "numel",
    "item",
    "tolist",
}
DESCRIBE_CALLS = {"len", "tuple", "int", "float"}  # e.g. len(X_test), tuple(x_test.shape), int(y_test.sum())
#: train_val_test_split returns (X_train, X_val, X_test, y_train, y_val, y_test).
SPLIT_TEST_POSITIONS = (2, 5)


@dataclass(frozen=True)
class Violation:
    chapter: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.chapter}:{self.line}: {self.code}"


@dataclass
class Cell:
    source: str
    line: int  # line of the chapter where the cell's code starts
    in_final_section: bool


def opens_final_section(chapter: str, label: str) -> bool:
    """True if a section labelled ``label`` in ``chapter`` may evaluate the test split: the one final section."""
    return chapter == FINAL_CHAPTER and label == FINAL_LABEL


def code_cells(text: str, chapter: str) -> list[Cell]:
    """The ``{code-cell}`` blocks of a MyST chapter, each marked as inside a final section or not."""
    lines = text.split("\n")
    cells, in_final, i = [], False, 0
    while i < len(lines):
        line = lines[i]
        label = LABEL_LINE.fullmatch(line.strip())
        if label:
            in_final = opens_final_section(chapter, label.group(1))
        elif re.match(r"#{1,2} ", line) and in_final and i > 0 and not LABEL_LINE.fullmatch(lines[i - 1].strip()):
            in_final = False  # the next section of the same or a higher level ends the final one
        if line.startswith("```{code-cell}"):
            j = i + 1
            if j < len(lines) and lines[j] == "---":
                j = lines.index("---", j + 1) + 1
            while j < len(lines) and lines[j].startswith(":"):
                j += 1
            k = j
            while lines[k] != "```":
                k += 1
            cells.append(Cell("\n".join(lines[j:k]), j + 1, in_final))
            i = k
        i += 1
    return cells


def _targets(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, (ast.Tuple, ast.List)) else [node]


class SplitTracker:
    """Follows the test split through a chapter's cells; collects the uses that evaluate it."""

    def __init__(self, chapter: str):
        self.chapter = chapter
        self.tainted: set[str] = set()
        self.violations: list[Violation] = []
        self.final_uses = 0  # evaluations inside the final section, which are allowed

    # -- what an expression is ---------------------------------------------------------------
    def mentions(self, node: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and n.id in self.tainted for n in ast.walk(node))

    def is_prepared(self, node: ast.AST) -> bool:
        """True if ``node`` is test data obtained by allowed operations only."""
        if isinstance(node, ast.Name):
            return node.id in self.tainted
        if isinstance(node, ast.Subscript):  # x_test[:, columns]
            return self.is_prepared(node.value) and not self.mentions(node.slice)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in PREPARE and node.args:
                return self.is_prepared(node.args[0]) and not any(self.mentions(a) for a in node.args[1:])
            if isinstance(func, ast.Attribute) and func.attr in PREPARE_METHODS:
                return self.is_prepared(func.value) and not any(self.mentions(a) for a in node.args)
        return False

    def is_description(self, node: ast.AST) -> bool:
        """True if ``node`` only describes the split: its size, shape, index, class balance, spread."""
        if isinstance(node, ast.Attribute) and node.attr in DESCRIBE:
            return self.is_prepared(node.value) or self.is_description(node.value)
        if isinstance(node, ast.Subscript):  # x_test.shape[0]
            return self.is_description(node.value) and not self.mentions(node.slice)
        if isinstance(node, ast.Call):
            func = node.func
            args = [*node.args, *(k.value for k in node.keywords)]
            if isinstance(func, ast.Attribute) and func.attr in DESCRIBE:
                receiver_ok = self.is_prepared(func.value) or self.is_description(func.value)
                return receiver_ok and all(self.is_description(a) or not self.mentions(a) for a in args)
            if getattr(func, "id", None) in DESCRIBE_CALLS:
                return all(self.is_description(a) or self.is_prepared(a) or not self.mentions(a) for a in args)
        return False

    # -- walking the code ---------------------------------------------------------------------
    def check_expr(self, node: ast.AST, cell: Cell, source: str) -> None:
        """Report every operation that consumes test data in a way that is not allowed."""
        if not self.mentions(node) or self.is_prepared(node) or self.is_description(node):
            return
        if isinstance(node, (ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
            saved = set(self.tainted)
            for generator in node.generators:
                self.check_expr(generator.iter, cell, source)
                self._taint_loop_target(generator.target, generator.iter)
                for condition in generator.ifs:
                    self.check_expr(condition, cell, source)
            for part in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
                self.check_expr(part, cell, source)
            self.tainted = saved
            return
        operands: list[ast.AST] = []
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            args = [*node.args, *(k.value for k in node.keywords)]
            if name in POSITIONAL | {"train_val_test_split"}:  # preparation: only its arguments matter
                for arg in args:
                    if not self.is_prepared(arg):
                        self.check_expr(arg, cell, source)
                return
            operands = [*args, *([func.value] if isinstance(func, ast.Attribute) else [])]
        elif isinstance(node, ast.BinOp):
            operands = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            operands = [node.operand]
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, (ast.Subscript, ast.Attribute)):
            operands = [node.value]
        if any(self.is_prepared(operand) for operand in operands):
            self._report(node, cell, source)
            return
        for child in ast.iter_child_nodes(node):  # containers, f-strings, ...: look inside
            self.check_expr(child, cell, source)

    def _taint_loop_target(self, target: ast.AST, iterable: ast.AST) -> None:
        """``for name, part in (("validation", x_val), ("test", x_test))``: ``part`` is test data."""
        rows = iterable.elts if isinstance(iterable, (ast.Tuple, ast.List)) else None
        if isinstance(target, ast.Name):
            if rows is not None and any(self.is_prepared(row) for row in rows):
                self.tainted.add(target.id)
            elif rows is None and self.is_prepared(iterable):
                self.tainted.add(target.id)  # iterating over the test data itself
            return
        if isinstance(target, (ast.Tuple, ast.List)) and rows is not None:
            if all(isinstance(row, (ast.Tuple, ast.List)) and len(row.elts) == len(target.elts) for row in rows):
                for position, element in enumerate(target.elts):
                    self._taint_loop_target(element, ast.Tuple(elts=[row.elts[position] for row in rows]))
                return
        if self.mentions(iterable):  # a shape we cannot follow: treat every loop variable as test data
            self.tainted |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}

    def _report(self, node: ast.AST, cell: Cell, source: str) -> None:
        if cell.in_final_section:
            self.final_uses += 1
            return
        segment = ast.get_source_segment(source, node) or ast.dump(node)
        self.violations.append(Violation(self.chapter, cell.line + node.lineno - 1, segment.split("\n")[0][:120]))

    def assign(self, targets: list[ast.expr], value: ast.expr, cell: Cell, source: str) -> None:
        """Taint the targets that receive test data; check the value."""
        flat = [t for target in targets for t in _targets(target)]
        names = [t.id if isinstance(t, ast.Name) else None for t in flat]
        func = value.func if isinstance(value, ast.Call) else None
        func_name = (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) if func else None
        if func_name == "train_val_test_split" and len(names) == 6:
            for position, name in enumerate(names):
                if name:
                    (self.tainted.add if position in SPLIT_TEST_POSITIONS else self.tainted.discard)(name)
            return
        self.check_expr(value, cell, source)
        if func_name in POSITIONAL and len(names) == len(value.args) > 1:
            flags = [self.is_prepared(arg) for arg in value.args]
        elif isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(names) > 1:
            flags = [self.is_prepared(element) for element in value.elts]
        elif (
            isinstance(value, (ast.GeneratorExp, ast.ListComp))
            and len(names) > 1
            and len(value.generators) == 1
            and isinstance(value.generators[0].iter, (ast.Tuple, ast.List))
            and len(value.generators[0].iter.elts) == len(names)
        ):
            # (standardize(x, mean, std) for x in (x_train, x_val, x_test)): element by element
            generator, flags = value.generators[0], []
            loop_names = {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
            for element in generator.iter.elts:
                saved = set(self.tainted)
                self.tainted -= loop_names
                self._taint_loop_target(generator.target, ast.Tuple(elts=[element]))
                flags.append(self.is_prepared(value.elt))
                self.tainted = saved
        else:
            flags = [self.is_prepared(value)] * len(names)
        for name, flag in zip(names, flags, strict=True):
            if name:
                (self.tainted.add if flag else self.tainted.discard)(name)

    def visit(self, node: ast.stmt, cell: Cell, source: str) -> None:
        if isinstance(node, ast.Assign):
            self.assign(node.targets, node.value, cell, source)
        elif isinstance(node, ast.For):
            self.check_expr(node.iter, cell, source)
            self._taint_loop_target(node.target, node.iter)
            for child in [*node.body, *node.orelse]:
                self.visit(child, cell, source)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            return  # a definition evaluates nothing; its calls are checked where they happen
        elif isinstance(node, (ast.If, ast.While, ast.With, ast.Try)):
            for value in [getattr(node, "test", None), *(i.context_expr for i in getattr(node, "items", []))]:
                if value is not None:
                    self.check_expr(value, cell, source)
            for block in ("body", "orelse", "finalbody"):
                for child in getattr(node, block, []):
                    self.visit(child, cell, source)
            for handler in getattr(node, "handlers", []):
                for child in handler.body:
                    self.visit(child, cell, source)
        else:
            self.check_expr(node, cell, source)


def check_chapter(name: str, text: str) -> SplitTracker:
    tracker = SplitTracker(name)
    for cell in code_cells(text, name):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics: no chapter uses them; fail loudly if one does
            pytest.fail(f"{name}:{cell.line}: a code cell that is not plain Python")
        for statement in tree.body:
            tracker.visit(statement, cell, cell.source)
    return tracker


CHAPTERS = sorted(p for p in BOOK.glob("*.md") if p.name[:2].isdigit())


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_chapter_evaluates_on_the_test_split(chapter: Path) -> None:
    tracker = check_chapter(chapter.name, chapter.read_text())
    assert not tracker.violations, (
        "the test split is evaluated only in the final section of chapter 13 (sec-final-test); "
        "choose on the validation split instead:\n" + "\n".join(map(str, tracker.violations))
    )


def test_the_final_section_evaluates_the_test_split_once() -> None:
    text = (BOOK / FINAL_CHAPTER).read_text()
    assert text.count(f"({FINAL_LABEL})=") == 1
    tracker = check_chapter(FINAL_CHAPTER, text)
    assert tracker.final_uses > 0, "the final section no longer evaluates anything on the test split"
    # Every other chapter that mentions the test split links to the one place where it is used.
    for chapter in ("07_metrics.md", "11_learning_rate.md"):
        assert f"{{ref}}`{FINAL_LABEL}`" in (BOOK / chapter).read_text(), chapter


def other_final_labels(chapter: str, text: str) -> list[str]:
    """The ``sec-final-test...`` labels of a chapter other than the one final section's."""
    labels = [m.group(1) for line in text.split("\n") if (m := LABEL_LINE.fullmatch(line.strip()))]
    return [f"{chapter}: ({label})=" for label in labels if not opens_final_section(chapter, label)]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_other_final_test_section(chapter: Path) -> None:
    """One section of the book evaluates the test split; no other section may look like it."""
    assert other_final_labels(chapter.name, chapter.read_text()) == [], (
        f"only ({FINAL_LABEL})= in {FINAL_CHAPTER} evaluates the test split; report everything there"
    )


PLANTED = """
```{code-cell} ipython3
X, y = lrcore.load_breast_cancer_means()
X_train, X_val, X_test, y_train, y_val, y_test = lrcore.train_val_test_split(X, y)
x_train, x_val, x_test, y_train_t, y_val_t, y_test_t = lrcore.to_tensors(X_train, X_val, X_test, y_train, y_val, y_test)
mean, std = lrcore.fit_standardizer(x_train)
x_train, x_val, x_test = (lrcore.standardize(x, mean, std) for x in (x_train, x_val, x_test))
x64 = x_test.double()
print(len(X_test), tuple(x_test.shape), float(y_test.mean()), int(y_test_t.sum()))
for name, part in (("validation", x_val), ("test", x_test)):
    print(name, part.shape[0])
w, b = lrcore.fit(x_train, y_train_t, w0, b0, 0.1, 10).w, torch.zeros(1, 1)
val_loss = lrcore.binary_cross_entropy_with_logits(lrcore.linear(x_val, w, b), y_val_t)
```
{planted}
"""

VIOLATIONS = {
    "metric": "metrics = lrcore.compute_metrics(lrcore.predict(x_test, w, b), y_test_t)",
    "matmul": "z = x64 @ w + b",
    "loss": "loss = lrcore.binary_cross_entropy_with_logits(lrcore.linear(x_test, w, b), y_test_t)",
    "sklearn": "score = model.score(x_test.numpy(), y_test)",
    "fit with test as validation": "run = lrcore.fit(x_train, y_train_t, w, b, 0.1, 10, x_test, y_test_t)",
    "through a loop": 'for name, part in (("val", x_val), ("test", x_test)):\n    print(lrcore.predict(part, w, b))',
    "through an alias": "x_hold = x_test[:, :2]\nprint(lrcore.predict(x_hold, w[:2], b))",
    "in a comprehension": "accs = [lrcore.accuracy(lrcore.predict(x, w, b), t) for x, t in ((x_test, y_test_t),)]",
}


def _chapter(planted: str) -> str:
    return PLANTED.replace("{planted}", f"```{{code-cell}} ipython3\n{planted}\n```\n" if planted else "")


def test_planted_preparation_is_allowed() -> None:
    """Splitting, converting, standardizing and describing the test split are not evaluations."""
    tracker = check_chapter("planted.md", _chapter(""))
    assert tracker.violations == []
    assert {"X_test", "y_test", "x_test", "y_test_t", "x64"} <= tracker.tainted
    assert not {"x_train", "x_val", "y_train_t", "y_val_t", "val_loss"} & tracker.tainted


@pytest.mark.parametrize("planted", VIOLATIONS.values(), ids=VIOLATIONS.keys())
def test_planted_evaluation_is_found(planted: str) -> None:
    tracker = check_chapter("planted.md", _chapter(planted))
    assert len(tracker.violations) >= 1, planted
    assert all(v.line > 12 for v in tracker.violations), tracker.violations  # not in the allowed cell


def test_planted_evaluation_is_allowed_in_the_final_section_only() -> None:
    planted = VIOLATIONS["metric"]
    final = _chapter("").replace("```{code-cell}", f"({FINAL_LABEL})=\n## The final report\n\n```{{code-cell}}", 1)
    cell = f"```{{code-cell}} ipython3\n{planted}\n```\n"
    final += f"{cell}\n## What we learned\n\n{cell}"
    in_final = check_chapter(FINAL_CHAPTER, final)
    assert in_final.final_uses >= 1
    assert len(in_final.violations) == 1  # the second cell comes after the final section ended
    elsewhere = check_chapter("07_metrics.md", final)  # the label counts in chapter 13 only
    assert len(elsewhere.violations) == 2


def _with_section(label: str, planted: str, heading: str = "## A later report") -> str:
    cell = f"```{{code-cell}} ipython3\n{planted}\n```\n"
    section = f"\n({label})=\n{heading}\n\nSee {{ref}}`{FINAL_LABEL}`.\n\n{cell}"
    return _chapter("") + section + f"\n## What we learned\n\n{cell}"


def test_planted_final_section_keeps_its_subsections() -> None:
    """A ``###`` subsection belongs to the final section; the next ``##`` heading ends it."""
    text = _with_section(FINAL_LABEL, VIOLATIONS["matmul"], heading="## The final report\n\n### What this means")
    tracker = check_chapter(FINAL_CHAPTER, text)
    assert tracker.final_uses == 1 and len(tracker.violations) == 1


@pytest.mark.parametrize(
    "label",
    [
        f"{FINAL_LABEL}-intervals",
        f"{FINAL_LABEL}-calibration",
        FINAL_LABEL,
        f"{FINAL_LABEL}-",
        f"{FINAL_LABEL}ing",
        "sec-final-tests-intervals",
        "sec-intervals",
    ],
)
@pytest.mark.parametrize("chapter", ["15_uncertainty.md", "16_calibration.md", "07_metrics.md", "appendix_build.md"])
def test_planted_section_outside_chapter_13_is_a_violation(chapter: str, label: str) -> None:
    """A later report on the final model (``sec-final-test-intervals``) evaluates the test split a second time."""
    tracker = check_chapter(chapter, _with_section(label, VIOLATIONS["loss"]))
    assert len(tracker.violations) == 2, (chapter, label)
    assert tracker.final_uses == 0


@pytest.mark.parametrize("label", [f"{FINAL_LABEL}-intervals", f"{FINAL_LABEL}-calibration", f"{FINAL_LABEL}ing"])
def test_planted_other_label_in_chapter_13_is_a_violation(label: str) -> None:
    """In chapter 13 itself, only the exact label opens the final section."""
    tracker = check_chapter(FINAL_CHAPTER, _with_section(label, VIOLATIONS["metric"]))
    assert len(tracker.violations) == 2 and tracker.final_uses == 0


def test_planted_other_final_labels_are_found() -> None:
    text = _with_section(f"{FINAL_LABEL}-intervals", "print(1)")
    assert other_final_labels("15_uncertainty.md", text) == [f"15_uncertainty.md: ({FINAL_LABEL}-intervals)="]
    assert other_final_labels(FINAL_CHAPTER, text) == [f"{FINAL_CHAPTER}: ({FINAL_LABEL}-intervals)="]
    final = _with_section(FINAL_LABEL, "print(1)")
    assert other_final_labels(FINAL_CHAPTER, final) == []
    assert other_final_labels("16_calibration.md", final) == [f"16_calibration.md: ({FINAL_LABEL})="]
