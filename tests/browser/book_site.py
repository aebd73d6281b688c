"""Where the built site is, which pages the tests visit, and the scripts they run in them.

A module of its own (not conftest.py, which pytest may import under another name) so that the
test modules can import it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
#: The build folder under test: ``$LRBOOK_BUILD_DIR``, default ``_build``; the site is its html/.
BUILD = Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build")).resolve()
SITE = BUILD / "html"
SCREENSHOTS = BUILD / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Names under which Chromium or Chrome is on PATH: Debian, Fedora and Arch (chromium), older
#: Ubuntu (chromium-browser; newer Ubuntu's snap puts ``chromium`` in /snap/bin), Chrome.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Where macOS keeps them (not on PATH).
CHROMIUM_APPS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
NO_CHROMIUM = (
    "no Chromium found: set LRBOOK_CHROMIUM=/path/to/chromium, or install one (Debian/Ubuntu: "
    "apt-get install chromium; Fedora: dnf install chromium; macOS: brew install --cask chromium), "
    "or run `.venv/bin/playwright install chromium`"
)
#: axe-core 4.14.0, vendored with its licence (vendor/axe-core/README.md says from where): no
#: package that installs on Python 3.11 ships an axe-core as new (axe-playwright-python: 4.12.1).
AXE_VERSION = "4.14.0"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def playwright_chromium() -> str | None:
    """The Chromium that ``playwright install chromium`` downloads, if it has been."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if path and Path(path).is_file() else None


def find_chromium(
    environ: Mapping[str, str] = os.environ,
    which: Callable[[str], str | None] = shutil.which,
    is_file: Callable[[str], bool] = os.path.isfile,
    playwright_path: Callable[[], str | None] = playwright_chromium,
) -> tuple[str | None, str]:
    """``(path, how it was found)`` of the browser the tests drive, or ``(None, what to do)``.

    In order: ``$LRBOOK_CHROMIUM``, which must then be a file; a Chromium or Chrome on PATH;
    one in macOS's Applications; Playwright's own download. Nothing is installed here.
    """
    chosen = environ.get("LRBOOK_CHROMIUM")
    if chosen:
        if is_file(chosen):
            return chosen, "LRBOOK_CHROMIUM"
        return None, f"LRBOOK_CHROMIUM={chosen} is not a file: point it at a Chromium or Chrome executable"
    for name in CHROMIUM_NAMES:
        path = which(name)
        if path:
            return path, f"{name} on PATH"
    for path in CHROMIUM_APPS:
        if is_file(path):
            return path, "macOS Applications"
    path = playwright_path()
    if path:
        return path, "Playwright's own (playwright install chromium)"
    return None, NO_CHROMIUM
LOCAL_HOST = "127.0.0.1"
#: axe-core impacts that fail a page.
BLOCKING_IMPACTS = ("serious", "critical")


def toc_docnames() -> list[str]:
    """The root and every chapter of ``_toc.yml``, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return [str(Path(name).with_suffix("")) for name in names]


def is_chapter(docname: str) -> bool:
    """A page that is a notebook: its MyST source declares a kernel."""
    source = ROOT / f"{docname}.md"
    return source.is_file() and "kernelspec:" in source.read_text().split("\n---", 1)[0]


TOC_PAGES = [f"{name}.html" for name in toc_docnames()]
CHAPTER_PAGES = [f"{name}.html" for name in toc_docnames() if is_chapter(name)]


def page_id(page: str) -> str:
    return Path(page).stem


#: Waits for every image to be decoded, then describes each.
IMAGES_JS = """async () => {
  const images = [...document.querySelectorAll('img')];
  // An image below the fold loads lazily, when the reader scrolls to it; load it now to check it.
  images.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return images.map(img => ({src: img.getAttribute('src'), alt: img.getAttribute('alt'),
                             complete: img.complete, naturalWidth: img.naturalWidth}));
}"""

#: Per formula element: its containers, and whether each holds assistive MathML; MathJax's scripts.
TYPESET_JS = """() => ({
  formulas: [...document.querySelectorAll('span.math, div.math')].map(element =>
    [...element.querySelectorAll('mjx-container')].map(c => !!c.querySelector('mjx-assistive-mml > math'))),
  article: document.querySelectorAll('.bd-article span.math, .bd-article div.math').length,
  containers: document.querySelectorAll('mjx-container').length,
  scripts: [...document.scripts].filter(s => /mathjax/i.test(s.src) || /window\\.MathJax\\b/.test(s.textContent))
    .map(s => s.src || s.textContent.slice(0, 60)),
})"""

#: The formulas of the article, how many MathJax typeset, its errors, and the article's text
#: outside code (where a raw delimiter would show untypeset TeX).
MATH_JS = """() => {
  const math = [...document.querySelectorAll('.bd-article .math')];
  const article = document.querySelector('.bd-article').cloneNode(true);
  article.querySelectorAll('pre, code, script, style, textarea').forEach(e => e.remove());
  return {
    math: math.length,
    typeset: math.filter(e => e.querySelector('mjx-container')).length,
    containers: document.querySelectorAll('mjx-container').length,
    errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')].map(e => e.textContent),
    text: article.textContent,
  };
}"""

#: The .ipynb entry of the theme's download menu (book/_ext/notebook_downloads.py).
NOTEBOOK_LINK = "a.btn-download-notebook-button"

RAW_DELIMITERS = ("$$", "\\(", "\\)", "\\[", "\\]")


if __name__ == "__main__":
    # `make browser` asks first, so that a missing browser is one clear line, not a test failure.
    found, how = find_chromium()
    print(f"Chromium: {found} ({how})" if found else how, file=sys.stdout if found else sys.stderr)
    sys.exit(0 if found else 1)
