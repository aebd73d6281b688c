"""How much each page of the built site weighs, and whether the interactive chapters stay light.

    python tools/site_weight.py [--build-dir _build]

prints every HTML page of ``<build>/html`` with its raw and gzipped size (``make site-weight``,
part of ``make test``), then checks each page that holds an interactive figure
(``lrcore.explorers``: an element of class ``lrx``) against the limit of issue 16: its gzipped
size must stay within 1.5 times the gzipped size of its *static version*, or within 300 KiB,
whichever is larger. It exits with status 1, naming the page, when one is over.

The static version is computed, not remembered: it is the same page with each interactive
figure reduced to what a reader without JavaScript gets, the fallback image and the
description. The figure's ``<script>`` and ``<style>`` elements and its ``lrx-live`` part
(the controls the script shows) are cut out of the page's bytes. So the ratio measures exactly
what the interactivity costs, on any build, with no number to keep up to date.

Sizes are of the HTML file alone, as the issue measured them: a static figure's PNG is a
separate file under ``_images/`` that this does not count, while an interactive figure's
fallback PNG is inline and counted, which errs on the heavy side for the interactive pages.
``BEFORE`` records the pages the interactive figures went into as they were before them, for
comparison (the column "before").

The column "1st view" estimates, without a browser, the bytes a reader's first view of the page
transfers (issue 21): the page and every file it loads before the reader scrolls, each gzipped
as GitHub Pages serves text (images and fonts as they are): its style sheets, its scripts (also
the deferred and preloaded ones), its images that do not load lazily, and the icon font subset.
It is a lower bound: it leaves out what the browser fetches only when it renders or runs the page,
the web fonts the formulas use (MathJax's, 60-120 KB on a chapter full of formulas) and anything
a script loads. ``tests/browser/test_mobile_performance.py`` measures the real transfer in
Chromium and enforces its budget; this is its cheap companion.
"""

from __future__ import annotations

import argparse
import gzip
import html.parser
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The limit of issue 16: within RATIO x the static version's gzipped size, or within FLOOR_BYTES.
RATIO = 1.5
FLOOR_BYTES = 300 * 1024
#: The root class of every interactive figure (lrcore/explorers/_html.py: ROOT_CLASS) and the
#: class of the part that only the script shows.
FIGURE_CLASS = "lrx"
LIVE_CLASS = "lrx-live"
#: Raw and gzipped bytes (as :func:`gzipped_size` counts them) of the chapters the interactive
#: figures went into, in the last build before them: the site built from commit 1362d0c on
#: 2026-11-30, when chapter 11 still carried a matplotlib jshtml animation.
BEFORE = {
    "book/05_loss_landscape.html": (122_643, 19_935),
    "book/06_gradient_descent.html": (136_569, 20_191),
    "book/07_metrics.html": (100_666, 16_679),
    "book/11_learning_rate.html": (794_451, 417_123),
    "book/12_conditioning.html": (269_088, 40_247),
    "book/13_threshold.html": (160_447, 24_795),
}
#: What a page loads on first view: style sheets, scripts (preloaded too), eager images.
FIRST_VIEW_REFERENCE = re.compile(
    r'<link\b[^>]*\brel="(?:stylesheet|preload)"[^>]*\bhref="([^"]+)"'
    r'|<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="(?:stylesheet|preload)"'
    r'|<script\b[^>]*\bsrc="([^"]+)"'
    r'|<img\b(?![^>]*\bloading="lazy")[^>]*\bsrc="([^"]+)"'
)
#: Served compressed (as GitHub Pages does): text. Everything else as it is.
TEXT_SUFFIXES = {".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map"}
#: The icon font the style sheets use (book/_ext/accessible_theme.py writes it).
ICON_FONT = "_static/fa-solid-subset.woff"
#: Folders of the site that hold assets, not pages.
NOT_PAGES = {"_static", "_sources", "_images", "_downloads", "screenshots"}


def gzipped_size(data: bytes) -> int:
    """Bytes after ``gzip -9`` (no file name, time 0: the size depends on the content only)."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


class _FigureParts(html.parser.HTMLParser):
    """Character spans of the interactive-only parts of every ``lrx`` figure of a page.

    A figure's root (a ``<figure>`` or ``<div>`` of class ``lrx``) and its live part end at the
    end tag that matches their own tag's nesting; only those tags' nesting is followed, so the
    rest of the page need not be well-formed. ``figures`` counts the figures found.
    """

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(index + 1)
        self._text = text
        self.spans: list[tuple[int, int]] = []
        self.figures = 0
        self._depth: dict[str, int] = {}  # open elements of each tag in the whole page
        self._figure: tuple[str, int] | None = None  # the current figure's root: tag and depth
        self._live: tuple[str, int] | None = None
        self._live_start = 0
        self._element_start: int | None = None  # of a <script> or <style> inside a figure

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _end_of_tag(self) -> int:
        return self._text.index(">", self._offset()) + 1

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        depth = self._depth[tag] = self._depth.get(tag, 0) + 1
        if self._figure is None:
            if FIGURE_CLASS in classes:
                self._figure = (tag, depth)
                self.figures += 1
        elif self._live is None:
            if LIVE_CLASS in classes:
                self._live = (tag, depth)
                self._live_start = self._offset()
            elif tag in ("script", "style"):
                self._element_start = self._offset()

    def handle_startendtag(self, tag, attrs):
        pass  # <x/>: nothing nests in it, and it is never a figure's part on its own

    def handle_endtag(self, tag):
        depth = self._depth.get(tag, 0)
        if self._live == (tag, depth):
            self.spans.append((self._live_start, self._end_of_tag()))
            self._live = None
        elif self._element_start is not None and tag in ("script", "style"):
            self.spans.append((self._element_start, self._end_of_tag()))
            self._element_start = None
        if self._figure == (tag, depth):
            self._figure = None
        self._depth[tag] = max(depth - 1, 0)


def static_version(page: str) -> tuple[str, int]:
    """The page with every interactive figure reduced to its fallback and description, and how many figures."""
    parser = _FigureParts(page)
    parser.feed(page)
    parser.close()
    kept, position = [], 0
    for start, end in sorted(parser.spans):
        kept.append(page[position:start])
        position = max(position, end)
    kept.append(page[position:])
    return "".join(kept), parser.figures


@dataclass(frozen=True)
class PageWeight:
    path: str
    raw: int
    gzipped: int
    figures: int = 0
    static_gzipped: int | None = None
    first_view: int | None = None

    @property
    def limit(self) -> int | None:
        if self.static_gzipped is None:
            return None
        return max(round(RATIO * self.static_gzipped), FLOOR_BYTES)

    @property
    def over(self) -> bool:
        return self.limit is not None and self.gzipped > self.limit


def transferred_size(file: Path) -> int:
    """Bytes of one file on the wire: gzipped if text, else as it is."""
    data = file.read_bytes()
    return gzipped_size(data) if file.suffix in TEXT_SUFFIXES else len(data)


def first_view_bytes(page: Path, html_dir: Path) -> int:
    """The page and what it loads before the reader scrolls (module docstring), on the wire."""
    text = page.read_text(encoding="utf-8", errors="replace")
    addresses = ["".join(groups) for groups in FIRST_VIEW_REFERENCE.findall(text)]
    files = {page.resolve()}
    for address in addresses:
        if re.match(r"^[a-z]+:", address) or address.startswith(("/", "#")):
            continue  # inline (data:) or another site: not a file of this one
        file = (page.parent / address.split("?", 1)[0].split("#", 1)[0]).resolve()
        if file.is_file():
            files.add(file)
    if (html_dir / ICON_FONT).is_file():
        files.add((html_dir / ICON_FONT).resolve())
    return sum(transferred_size(file) for file in files)


def weigh(html_dir: Path) -> list[PageWeight]:
    """Every page of the site, sorted by path; an interactive page with its static version's size."""
    weights = []
    for file in sorted(html_dir.rglob("*.html")):
        relative = file.relative_to(html_dir)
        if NOT_PAGES & set(relative.parts[:-1]):
            continue
        data = file.read_bytes()
        static, figures = static_version(data.decode("utf-8"))
        static_gzipped = gzipped_size(static.encode("utf-8")) if figures else None
        first_view = first_view_bytes(file, html_dir)
        weights.append(
            PageWeight(relative.as_posix(), len(data), gzipped_size(data), figures, static_gzipped, first_view)
        )
    return weights


def _kib(n: int | None) -> str:
    return "" if n is None else f"{n / 1024:,.1f}"


def report(weights: list[PageWeight]) -> str:
    """The table: every page, then the interactive pages against their limits."""
    lines = [f"{'page':<40} {'raw KiB':>9} {'gzip KiB':>9} {'before gz':>9} {'1st view':>9}"]
    for w in weights:
        before = BEFORE.get(w.path, (None, None))[1]
        lines.append(f"{w.path:<40} {_kib(w.raw):>9} {_kib(w.gzipped):>9} {_kib(before):>9} {_kib(w.first_view):>9}")
    total_raw, total_gz = sum(w.raw for w in weights), sum(w.gzipped for w in weights)
    lines.append(f"{f'all {len(weights)} pages':<40} {_kib(total_raw):>9} {_kib(total_gz):>9}")
    interactive = [w for w in weights if w.figures]
    lines.append("")
    lines.append(
        f"interactive pages: gzipped size within max({RATIO:g} x the static version's, {FLOOR_BYTES // 1024} KiB)"
    )
    lines.append(f"{'page':<40} {'figures':>7} {'static gz':>9} {'gzip KiB':>9} {'limit':>9} {'ratio':>6}  ok?")
    for w in interactive:
        lines.append(
            f"{w.path:<40} {w.figures:>7} {_kib(w.static_gzipped):>9} {_kib(w.gzipped):>9} {_kib(w.limit):>9} "
            f"{w.gzipped / w.static_gzipped:>6.2f}  {'OVER' if w.over else 'yes'}"
        )
    if not interactive:
        lines.append("(none: no page holds an interactive figure)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--build-dir",
        type=Path,
        default=Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build")),
        help="the build folder that holds html/ (default: $LRBOOK_BUILD_DIR or _build)",
    )
    args = parser.parse_args(argv)
    html_dir = args.build_dir / "html"
    if not (html_dir / "index.html").is_file():
        print(f"site_weight: no built site in {html_dir}: run `make book` first", file=sys.stderr)
        return 2
    weights = weigh(html_dir)
    print(report(weights))
    over = [w for w in weights if w.over]
    for w in over:
        print(
            f"site_weight: {w.path} weighs {_kib(w.gzipped)} KiB gzipped, over its limit of {_kib(w.limit)} KiB "
            f"({RATIO:g} x its static version's {_kib(w.static_gzipped)} KiB, at least {FLOOR_BYTES // 1024} KiB)",
            file=sys.stderr,
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
