"""Where the built site is, which pages the tests visit, and the scripts they run in them.

A module of its own (not conftest.py, which pytest may import under another name) so that the
test modules can import it.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
#: The build folder under test: ``$LRBOOK_BUILD_DIR``, default ``_build``; the site is its html/.
BUILD = Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build")).resolve()
SITE = BUILD / "html"
SCREENSHOTS = BUILD / "screenshots"
#: Debian's Chromium (``apt-get install chromium``); Playwright's own browser is never used.
CHROMIUM = os.environ.get("LRBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
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
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return images.map(img => ({src: img.getAttribute('src'), alt: img.getAttribute('alt'),
                             complete: img.complete, naturalWidth: img.naturalWidth}));
}"""

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
