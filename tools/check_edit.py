"""The short loop after an edit (``make check``): the checks of what changed, and nothing else.

``make test`` is the whole truth (CI runs it). After an edit, this runs in order:

1. lint (``ruff check``, as ``make lint``);
2. the incremental build (``tools/build_book.py``, ``-W -n``, into ``--build-dir``): Sphinx
   re-reads the pages that changed, and the execution cache re-executes only the chapters whose
   cells changed (every chapter if ``lrcore`` changed: its source is the cache's key). An edited
   sentence that shows a glued key no cell defines fails here;
3. the unit tests of what changed (see ``plan``), over pytest-xdist;
4. strict nbval (``tools/check_reproducible.py --variant as-built``) of the chapters the edit
   touched: a chapter whose source changed, or that shows or calls ``lrcore`` code that changed;
5. the links and anchors of the built site (``tests/test_links.py``; all pages, a few seconds).

It prints what it ran and why, and what it skipped (``make test`` runs all of that).

**What changed**: ``git diff --name-only BASE`` (the work tree against ``--base``, default
``HEAD``: staged and unstaged changes) and the untracked files, or ``--files``.

**Which checks** (``plan``, tested in ``tests/test_check_edit.py``):

- ``lrcore/M.py`` changed: the modules affected are M and every ``lrcore`` module that imports
  one of them, directly or not (``lrcore/_validation.py`` affects them all). A chapter is
  re-checked if it ``literalinclude``\\ s an affected module's file, or its code cells name an
  affected module (``lrcore.optim``, ``from lrcore.optim import``) or a name ``lrcore`` exports
  from one (``lrcore.fit``, ``from lrcore import fit``, ``fit(...)`` after such an import). A
  unit-test file is run if it is the module's own (``tests/test_<M>.py``), or names an affected
  module or one of its exported names through ``lrcore``, or walks the
  whole API (``lrcore.__all__``, ``dir(lrcore)``).
- ``book/<chapter>.md`` changed: that chapter, and the test files that read the chapters'
  Markdown.
- a test file changed: that file. ``tests/conftest.py``, ``pyproject.toml``,
  ``requirements.txt``, ``tests/nbval_book.py``, ``tests/nbval_sanitize.cfg``,
  ``tools/warm_kernels.py``, ``_config.yml``, ``_toc.yml`` or ``book/_ext/*``: every unit test, or
  every chapter, or both.
- any other file (``tools/X.py``, ``.github/...``, ``book/references.bib``): the test files that
  name it.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: Unit tests: ``tests/test_*.py`` but the ones that need a built site and a browser (``make test``).
SITE_TESTS = {"tests/test_links.py": "run in step 5", "tests/test_pdf.py": "make pdf-check"}
#: Files whose change reaches every unit test or every chapter.
ALL_TESTS = {"tests/conftest.py", "pyproject.toml", "requirements.txt"}
ALL_CHAPTERS = {
    "requirements.txt", "tests/nbval_book.py", "tests/nbval_sanitize.cfg", "tools/warm_kernels.py",
    "_config.yml", "_toc.yml",
}  # fmt: skip
#: A test file that reads every chapter's Markdown (``sorted(BOOK.glob("*.md"))``).
READS_CHAPTERS = re.compile(r"""glob\(\s*["'][^"']*\.md["']""")
CODE_CELL = re.compile(r"^(`{3,}|:{3,})\{code-cell\}[^\n]*\n(.*?)^\1\s*$", re.MULTILINE | re.DOTALL)
LITERALINCLUDE = re.compile(r"\{literalinclude\}\s+(\S+)")


# --- what the sources say ----------------------------------------------------------------------


def module_name(path: str) -> str:
    """``lrcore/optim.py`` -> ``lrcore.optim``; ``lrcore/explorers/__init__.py`` -> ``lrcore.explorers``."""
    parts = list(Path(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def lrcore_modules(root: Path = ROOT) -> dict[str, str]:
    """Module name -> its source, for every module of ``lrcore``."""
    return {module_name(p.relative_to(root).as_posix()): p.read_text() for p in sorted((root / "lrcore").rglob("*.py"))}


def exported_names(sources: dict[str, str]) -> dict[str, str]:
    """Name -> the module it comes from, for what ``lrcore`` and ``lrcore.explorers`` export.

    Read from their ``from lrcore.M import name`` lines (the lazy ones included: ``lrcore``'s
    ``TYPE_CHECKING`` block), and from ``lrcore.__init__``'s table of lazy modules.
    """
    names = {}
    for package in ("lrcore", "lrcore.explorers"):
        for node in ast.walk(ast.parse(sources.get(package, ""))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(package + "."):
                for alias in node.names:
                    names[alias.asname or alias.name] = node.module
    return names


def dependents(changed: set[str], sources: dict[str, str], names: dict[str, str]) -> set[str]:
    """``changed`` and every ``lrcore`` module that uses one of them, directly or not."""
    uses = {name: names_used(text, sources, names) - {name} for name, text in sources.items()}
    affected, frontier = set(changed), set(changed)
    while frontier:
        frontier = {name for name, used in uses.items() if used & frontier} - affected
        affected |= frontier
    return affected


def code_of(chapter: str) -> str:
    """The code cells of a MyST notebook, joined."""
    return "\n".join(match[2] for match in CODE_CELL.finditer(chapter))


def names_used(code: str, modules: Iterable[str], names: dict[str, str]) -> set[str]:
    """The ``lrcore`` modules whose code ``code`` reaches: by module, or by an exported name.

    ``lrcore.fit``, ``from lrcore import fit`` (and then any use), ``import lrcore.optim``,
    ``from lrcore.optim import ...``, ``lrcore.explorers.descent_explorer``. ``lrcore.__all__``
    or ``dir(lrcore)`` reach every module. Read with regular expressions, so that a chapter's
    IPython magics and a docstring's mention count too (a conservative choice).
    """
    modules = set(modules)
    used: set[str] = set()
    if re.search(r"lrcore\.__all__|dir\(lrcore\)|from lrcore import \*", code):
        return modules
    for dotted in re.findall(r"\blrcore(?:\.\w+)+", code):
        parts = dotted.split(".")
        for end in range(len(parts), 1, -1):
            prefix = ".".join(parts[:end])
            if prefix in modules:
                used.add(prefix)
                break
        else:
            if parts[1] in names:
                used.add(names[parts[1]])
    for package, imported in re.findall(r"^\s*from (lrcore(?:\.\w+)*) import \(?([\w\s,]+)\)?", code, re.MULTILINE):
        for name in re.findall(r"\w+", imported):
            if f"{package}.{name}" in modules:
                used.add(f"{package}.{name}")
            elif package in modules and package not in ("lrcore", "lrcore.explorers"):
                used.add(package)
            elif name in names:
                used.add(names[name])
    return used


@dataclass
class Plan:
    """What ``make check`` runs for a set of changed files, and why."""

    unit_tests: dict[str, list[str]] = field(default_factory=dict)  # test file -> reasons
    all_unit_tests: bool = False
    chapters: dict[str, list[str]] = field(default_factory=dict)  # chapter stem -> reasons
    build: bool = False
    unmapped: list[str] = field(default_factory=list)  # changed files that select no check

    @property
    def chapter_edits_only(self) -> bool:
        """Every unit test is selected because it reads the chapters (see ``chapter_items``)."""
        reasons = [r for rs in self.unit_tests.values() for r in rs]
        return bool(reasons) and not self.all_unit_tests and all(r.endswith("(reads the chapters)") for r in reasons)

    def add_test(self, path: str, reason: str) -> None:
        self.unit_tests.setdefault(path, []).append(reason)

    def add_chapter(self, stem: str, reason: str) -> None:
        self.chapters.setdefault(stem, []).append(reason)


def plan(changed: Iterable[str], root: Path = ROOT) -> Plan:
    """The checks of an edit of the files ``changed`` (paths relative to ``root``)."""
    result = Plan()
    sources = lrcore_modules(root)
    names = exported_names(sources)
    chapters = {p.stem: p.read_text() for p in sorted((root / "book").glob("*.md")) if "{code-cell}" in p.read_text()}
    tests = {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted((root / "tests").glob("test_*.py"))
        if p.relative_to(root).as_posix() not in SITE_TESTS
    }
    changed_modules = set()
    for path in sorted(set(changed)):
        before = (result.all_unit_tests, len(result.unit_tests), len(result.chapters), result.build)
        if path in ALL_TESTS:
            result.all_unit_tests = True
        if path in ALL_CHAPTERS or path.startswith("book/_ext/"):
            for stem in chapters:
                result.add_chapter(stem, path)
        if path.startswith(("lrcore/", "book/")) or path in ("_config.yml", "_toc.yml"):
            result.build = True  # what the pages show: code, prose, a script, the bibliography
        if path.startswith("lrcore/"):
            # A module; a file beside one (descent.js, which descent.py inlines) is that module's.
            module = module_name(str(Path(path).with_suffix(".py")))
            if module not in sources and not (root / path).exists() and path.endswith(".py"):
                result.all_unit_tests = True  # a module removed: whatever imported it fails
                for stem in chapters:
                    result.add_chapter(stem, f"{path} (removed)")
            changed_modules.add(module if module in sources else module_name(str(Path(path).parent / "__init__.py")))
            continue  # mapped below, once every changed module is known
        if path.startswith("book/") and path.endswith(".md"):
            if Path(path).parent.as_posix() == "book" and Path(path).stem in chapters:
                result.add_chapter(Path(path).stem, path)
            for test, text in tests.items():
                if READS_CHAPTERS.search(text) or Path(path).name in text:
                    result.add_test(test, f"{path} (reads the chapters)")
        elif path in tests:
            result.add_test(path, "changed")
        elif not path.startswith("tests/browser/") and path not in SITE_TESTS:
            # tools/build_book.py, book/_ext/chapter_kernels.py, tests/nbval_book.py, .github/...,
            # book/references.bib: the test files that name it.
            key = Path(path).stem if Path(path).suffix == ".py" else Path(path).name
            for test, text in tests.items():
                if len(key) >= 4 and key in text:
                    result.add_test(test, f"{path} (named in the test)")
        if before == (result.all_unit_tests, len(result.unit_tests), len(result.chapters), result.build):
            result.unmapped.append(path)
    if changed_modules:
        affected = dependents(changed_modules & set(sources), sources, names)
        why = ", ".join(sorted(changed_modules))
        for stem, text in chapters.items():
            included = {module_name(Path(p).as_posix().split("../", 1)[-1]) for p in LITERALINCLUDE.findall(text)}
            reached = (included | names_used(code_of(text), sources, names)) & affected
            if reached:
                result.add_chapter(stem, f"{why}: shows or calls {_some(reached)}")
        for test, text in tests.items():
            own = {m for m in affected if Path(test).stem == "test_" + m.rsplit(".", 1)[-1]}
            reached = own | (names_used(text, sources, names) & affected)
            if reached:
                result.add_test(test, f"{why}: tests {_some(reached)}")
    return result


def chapter_items(nodeids: Iterable[str], edited: Iterable[str], chapters: Iterable[str]) -> list[str]:
    """The tests of an edit of chapters only: of a test made per chapter (its ids name one), the
    edited chapters' cases and no other; every case of any other test.

    ``test_book_machinery.py::test_literalincludes_name_real_objects[03_model]`` runs for an edit
    of 03, not its 16 siblings; a test that reads the whole book runs whole.
    """
    nodeids, edited, chapters = list(nodeids), set(edited), set(chapters)

    def named(nodeid: str) -> set[str]:
        return {c for c in chapters if c in nodeid.partition("[")[2]}

    per_chapter = {n.partition("[")[0] for n in nodeids if named(n)}
    return [n for n in nodeids if n.partition("[")[0] not in per_chapter or named(n) & edited]


def _some(names: Iterable[str], shown: int = 3) -> str:
    names = sorted(names)
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


# --- running the checks ------------------------------------------------------------------------


def changed_files(base: str, root: Path = ROOT) -> list[str]:
    """Files that differ from ``base`` in the work tree (staged or not), and untracked files."""

    def git(*args: str) -> list[str]:
        return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.split("\n")

    files = git("diff", "--name-only", base, "--") + git("ls-files", "--others", "--exclude-standard")
    return sorted({f for f in files if f})


def describe(result: Plan, changed: list[str], root: Path = ROOT) -> list[str]:
    """What will run and why, and what ``make check`` leaves to ``make test``."""
    all_chapters = sorted(p.stem for p in (root / "book").glob("*.md") if "{code-cell}" in p.read_text())
    all_tests = sorted(p.name for p in (root / "tests").glob("test_*.py"))
    lines = [f"changed: {', '.join(changed) or 'nothing'}"]
    if result.all_unit_tests:
        lines.append("unit tests: all of them (make unit)")
    for test, reasons in sorted(result.unit_tests.items()):
        lines.append(f"unit tests: {test}  <- {'; '.join(reasons)}")
    for stem, reasons in sorted(result.chapters.items()):
        lines.append(f"strict nbval: {stem}  <- {'; '.join(reasons)}")
    skipped_chapters = [c for c in all_chapters if c not in result.chapters]
    skipped_tests = [] if result.all_unit_tests else [t for t in all_tests if f"tests/{t}" not in result.unit_tests]
    lines += [
        "skipped (make test runs them):",
        f"  strict nbval of {len(skipped_chapters)} chapter(s) the edit does not reach: {' '.join(skipped_chapters)}",
        f"  {len(skipped_tests)} unit-test file(s) that test nothing that changed",
        "  nbval with 2 and 4 threads and ATEN_CPU_CAPABILITY=default (make reproducible)",
        "  the browser tests (make browser), the PDF and its tests (make pdf), site-weight, the students'"
        " notebooks and lrcore's wheel (make book)",
        "  a page that shows another page's glued key is not re-read when only that page's cells change",
    ]
    if result.unmapped:
        lines.append(f"  no check selected for: {', '.join(result.unmapped)}")
    return lines


def run(step: str, command: list[str], timings: list, **kwargs) -> bool:
    print(f"\n=== {step}: {' '.join(str(c) for c in command)}", flush=True)
    start = time.perf_counter()
    code = subprocess.run(command, cwd=ROOT, **kwargs).returncode
    ok = code == 0
    timings.append((step, ok, time.perf_counter() - start))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="compare the work tree with this commit (default HEAD)")
    parser.add_argument("--files", nargs="+", help="check these changed files instead of git's")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build", help="the build to update (default _build)")
    parser.add_argument("--jobs", default="auto", help="pytest-xdist workers and chapters at a time (default auto)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan only")
    args = parser.parse_args()
    changed = sorted(args.files) if args.files else changed_files(args.base)
    result = plan(changed)
    print("\n".join(describe(result, changed)), flush=True)
    if args.dry_run:
        return 0
    build_dir = args.build_dir.resolve()
    environment = {**os.environ, "LRBOOK_BUILD_DIR": str(build_dir)}
    timings: list[tuple[str, bool, float]] = []
    ok = run("lint", [BIN / "ruff", "check", "lrcore", "tests", "benchmarks", "tools", "book"], timings)
    if ok and (result.build or result.chapters):
        ok = run("build", [sys.executable, "tools/build_book.py", "--build-dir", build_dir], timings)
    if ok and (result.all_unit_tests or result.unit_tests):
        if result.all_unit_tests:
            selected = ["tests", *(f"--ignore={p}" for p in ("tests/browser", *SITE_TESTS))]
        else:
            selected = sorted(result.unit_tests)
        pytest = [sys.executable, "-m", "pytest", "-q"]
        if result.chapter_edits_only:
            listed = subprocess.run([*pytest, "--collect-only", *selected], cwd=ROOT, capture_output=True, text=True)
            nodeids = [line for line in listed.stdout.splitlines() if "::" in line]
            all_chapters = [p.stem for p in (ROOT / "book").glob("*.md") if "{code-cell}" in p.read_text()]
            kept = chapter_items(nodeids, result.chapters, all_chapters)
            print(f"unit tests: {len(kept)} of the {len(nodeids)} tests of these files read the edited chapters")
            selected = kept or selected
        xdist = ["-n", args.jobs, "--dist", "loadgroup", "--no-loadscope-reorder"]  # as `make unit`
        ok = run("unit tests", [*pytest, *xdist, *selected], timings, env=environment)
    if ok and result.chapters:
        chapters = [arg for stem in sorted(result.chapters) for arg in ("--chapter", stem)]
        nbval = [sys.executable, "tools/check_reproducible.py", "--variant", "as-built", "--build-dir", build_dir]
        ok = run("strict nbval", [*nbval, "--jobs", args.jobs, *chapters], timings)
    if ok and (result.build or result.chapters):
        if not (build_dir / "html" / "_downloads" / "lrcore-book.pdf").is_file():
            print(f"note: no PDF in {build_dir / 'html'}: every page links it; run `make book` once first")
        ok = run("links", [sys.executable, "-m", "pytest", "-q", "tests/test_links.py"], timings, env=environment)
    print("\nmake check:")
    for step, passed, seconds in timings:
        print(f"  {step:20s} {'passed' if passed else 'FAILED':6s} {seconds:6.0f} s")
    print("  (make test runs everything skipped above)" if ok else "  stopped at the first failure")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
