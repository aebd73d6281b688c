"""Typeset the formulas when the site is built, so that no reader's browser typesets them.

Sphinx writes each formula as TeX (``<span class="math">\\(…\\)</span>``, ``<div class="math">\\[…\\]</div>``)
and has the page load MathJax (``_static/mathjax/tex-chtml.js``, 1.1 MB, local: offline_site.py),
which typesets every formula in the reader's browser: seconds of main-thread time on a phone,
for output that is the same for every reader. After the html build, this extension opens each
page that loads MathJax in headless Chromium (the one the PDF and the browser tests use:
``tests/browser/book_site.find_chromium``), lets the site's own MathJax 3.2.2 typeset it in the
page as a reader's browser would (CHTML output, so the same look: the same markup and the same
fonts from ``_static/mathjax``), and writes the result into the HTML file:

- each formula's TeX is replaced by MathJax's ``<mjx-container>``, which keeps its assistive
  MathML (``<mjx-assistive-mml>``, what screen readers read) and gets the TeX in ``data-tex``
  (``prerender-math.js`` copies it when a reader copies a selection holding formulas). MathJax
  sizes a formula so that its x-height is the surrounding text's, measured in the browser: that
  size is written in the text's ``ex`` (``font-size: 2.2624ex``), so that it follows the reader's
  fonts, as MathJax in the reader's browser did, not the build machine's;
- the equation numbers, their ids and permalinks (Sphinx's HTML around the TeX) are untouched,
  so ``{eq}`` links resolve as before;
- MathJax's style sheet for the page (the rules and the ``@font-face`` of the characters the page
  uses) goes into the page's ``<head>``, its font addresses relative to the page;
- the page no longer loads MathJax nor its configuration.

What is lost: MathJax's context menu (its copy as TeX or MathML is what ``prerender-math.js``
keeps) and its optional accessibility explorer. Zoom is the browser's (CHTML is text; MathJax's
own click-zoom is off by default).

A page is left as Sphinx wrote it (MathJax typesets it in the browser, as before) when it cannot
be prerendered exactly: a formula MathJax did not typeset, an error, or formulas that do not match
the TeX one to one is a warning (which fails a ``-W`` build). Without Chromium or Playwright, or
with ``LRBOOK_PRERENDER_MATH=0``, the whole site is, and the build says so in one line. The
``singlehtml`` build that ``tools/build_pdf.py`` prints is not prerendered: the PDF typesets
its formulas in the Chromium that prints it. Pages written by an earlier build and already
prerendered (they no longer load MathJax) are not opened again.
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
ENV_SWITCH = "LRBOOK_PRERENDER_MATH"
#: The copy handler every prerendered page loads (deferred), relative to the site's root.
COPY_JS = "_static/prerender-math.js"
COPY_JS_SOURCE = Path(__file__).with_name("prerender_math") / "prerender-math.js"
#: A formula as Sphinx writes it: an element of class ``math`` holding TeX (and, for a numbered
#: display, the number's ``<span class="eqno">`` before it). TeX is escaped: it holds no tag.
MATH_ELEMENT = re.compile(r'(<(span|div)\b[^>]*\bclass="math(?:\s[^"]*)?"[^>]*>)(.*?)(</\2>)', re.S)
#: The two scripts Sphinx adds to a page with math: MathJax's configuration and MathJax.
MATHJAX_SCRIPTS = re.compile(
    r"\n?[ \t]*<script\b[^>]*>\s*window\.MathJax = .*?</script>"
    r'|\n?[ \t]*<script\b[^>]*\bsrc="[^"]*_static/mathjax/[^"]*"[^>]*></script>',
    re.S,
)
LOADS_MATHJAX = re.compile(r'<script\b[^>]*\bsrc="[^"]*_static/mathjax/tex-chtml\.js(?:\?[^"]*)?"')
#: Pages opened at once in the one browser (two cores: two renderers).
JOBS = 2
#: Typesets the page (MathJax starts on load), then returns per formula element its
#: ``<mjx-container>`` (the context menu's attributes removed but a display's tabindex, the TeX in
#: data-tex, its size in the surrounding font's ex), MathJax's style sheet and any error.
TYPESET_JS = r"""async () => {
  await MathJax.startup.promise;
  await document.fonts.ready;
  const tex = new Map();
  for (const item of MathJax.startup.document.math) tex.set(item.typesetRoot, item.math);
  // MathJax scales each formula so that its x-height matches the surrounding text's, as measured
  // here: with the build machine's fonts. 1/x_height ex is that scale in CSS, for the reader's fonts.
  const size = (1 / MathJax.startup.output.font.params.x_height).toFixed(4) + 'ex';
  const elements = [...document.querySelectorAll('span.math, div.math')];
  const formulas = elements.map(element => [...element.querySelectorAll('mjx-container')].map(container => {
    // MathJax's menu makes every formula focusable; a display formula stays so, for it may scroll
    // sideways on a narrow screen (a scrollable region must take the keyboard's focus).
    if (container.getAttribute('display') !== 'true') container.removeAttribute('tabindex');
    container.removeAttribute('ctxtmenu_counter');
    container.classList.remove(...[...container.classList].filter(c => c.startsWith('CtxtMenu_')));
    container.style.fontSize = size;
    container.setAttribute('data-tex', tex.get(container) ?? '');
    return {html: container.outerHTML, tex: tex.get(container) ?? null};
  }));
  const style = document.getElementById('MJX-CHTML-styles');
  return {
    formulas,
    css: style ? style.textContent : '',
    errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')].map(e => e.textContent),
  };
}"""


class PrerenderError(Exception):
    """A page whose typeset formulas cannot replace its TeX one for one."""


def find_chromium() -> tuple[str | None, str]:
    """``tests/browser/book_site.find_chromium``, and Playwright's presence: ``(path, how)`` or ``(None, why)``."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "Playwright is not installed (pip install -r requirements.txt)"
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    try:
        from book_site import find_chromium as find
    except Exception as error:  # noqa: BLE001 (any reason the helper cannot load is the one line's reason)
        return None, f"tests/browser/book_site.py does not load ({error})"
    finally:
        sys.path.remove(str(ROOT / "tests" / "browser"))
    return find()


def chromium_args() -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pages_to_prerender(outdir: Path) -> list[Path]:
    """Every page of the site that loads MathJax (Sphinx adds it to the pages with math only)."""
    return sorted(p for p in outdir.rglob("*.html") if LOADS_MATHJAX.search(p.read_text(encoding="utf-8")))


def tex_of(fragment: str) -> tuple[str, str]:
    """``(HTML before the TeX, the TeX without its delimiters)`` of a math element's content."""
    split = fragment.rfind(">") + 1
    tex = html.unescape(fragment[split:]).strip()
    for opening, closing in (("\\(", "\\)"), ("\\[", "\\]")):
        if tex.startswith(opening) and tex.endswith(closing):
            return fragment[:split], tex[2:-2]
    raise PrerenderError(f"a math element holds no delimited TeX: {fragment[:120]!r}")


def rewrite(source: str, typeset: dict, root: str, base_url: str) -> tuple[str, int]:
    """The page's HTML with the typeset formulas in place of the TeX, MathJax's CSS, no MathJax."""
    if typeset["errors"]:
        raise PrerenderError(f"MathJax errors: {typeset['errors'][:3]}")
    formulas = typeset["formulas"]
    elements = list(MATH_ELEMENT.finditer(source))
    if len(elements) != len(formulas):
        raise PrerenderError(f"{len(elements)} math elements in the HTML, {len(formulas)} in the browser")
    parts, end = [], 0
    for number, (match, typeset_here) in enumerate(zip(elements, formulas, strict=True), 1):
        before, tex = tex_of(match[3])
        if len(typeset_here) != 1 or " ".join(str(typeset_here[0]["tex"]).split()) != " ".join(tex.split()):
            raise PrerenderError(f"formula {number} ({tex[:60]!r}) was not typeset as one formula")
        parts += [source[end : match.start()], match[1], before, typeset_here[0]["html"], match[4]]
        end = match.end()
    parts.append(source[end:])
    page = MATHJAX_SCRIPTS.sub("", "".join(parts))
    if LOADS_MATHJAX.search(page) or "</head>" not in page:
        raise PrerenderError("MathJax's scripts are still there, or the page has no </head>")
    if not formulas:
        return page, 0
    css = typeset["css"].replace(base_url, root)
    head = f'<style id="MJX-CHTML-styles">{css}</style>\n<script defer="defer" src="{root}{COPY_JS}"></script>\n'
    return page.replace("</head>", head + "</head>", 1), len(formulas)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass


def prerender(outdir: Path, pages: list[Path], chromium: str, jobs: int = JOBS) -> dict[Path, int | str]:
    """Typeset ``pages`` of the site in ``outdir`` in place: ``{page: formulas, or why it was left}``."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(outdir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    results: dict[Path, int | str] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=chromium_args())
            context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
            # Only the site itself, and only what typesetting needs: no images, no search index.
            skipped = ("image", "media")

            def route(route):
                request = route.request
                if not request.url.startswith(base_url) or request.resource_type in skipped:
                    route.abort()
                elif request.url.endswith("searchindex.js"):
                    route.fulfill(body="", content_type="text/javascript")
                else:
                    route.continue_()

            context.route("**/*", route)
            tabs = [context.new_page() for _ in range(jobs)]
            for start in range(0, len(pages), jobs):
                batch = list(zip(tabs, pages[start : start + jobs], strict=False))
                for tab, path in batch:  # Chromium loads and typesets the batch's pages side by side
                    tab.goto(base_url + path.relative_to(outdir).as_posix(), wait_until="commit")
                for tab, path in batch:
                    root = "../" * (len(path.relative_to(outdir).parts) - 1)
                    try:
                        tab.wait_for_load_state("load")
                        tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
                        typeset = tab.evaluate(TYPESET_JS)
                        text, count = rewrite(path.read_text(encoding="utf-8"), typeset, root, base_url)
                    except PrerenderError as error:
                        results[path] = str(error)
                        continue
                    path.write_text(text, encoding="utf-8")
                    results[path] = count
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return results


def prerender_site(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    (outdir / COPY_JS).write_text(COPY_JS_SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    pages = pages_to_prerender(outdir)
    if not pages:
        return
    if os.environ.get(ENV_SWITCH, "1") == "0":
        LOGGER.info(f"prerender_math: {ENV_SWITCH}=0: the formulas are typeset in the reader's browser (MathJax)")
        return
    start = time.perf_counter()
    # In a thread of its own: Playwright's sync API (also behind find_chromium) refuses a thread
    # that runs an asyncio loop.
    with ThreadPoolExecutor(max_workers=1) as thread:
        chromium, how = thread.submit(find_chromium).result()
        if chromium is None:
            LOGGER.info(f"prerender_math: formulas left to MathJax in the reader's browser: {how}")
            return
        results = thread.submit(prerender, outdir, pages, chromium).result()
    for path, result in results.items():
        if isinstance(result, str):
            LOGGER.warning(f"prerender_math: {path.relative_to(outdir)} left to MathJax in the browser: {result}")
    done = [count for count in results.values() if isinstance(count, int)]
    LOGGER.info(
        f"prerender_math: {sum(done)} formulas of {len(done)} pages typeset at build time"
        f" ({time.perf_counter() - start:.1f} s, Chromium: {how})"
    )


def setup(app: Sphinx) -> dict:
    # After offline_site (priority 500) has copied MathJax into _static.
    app.connect("build-finished", prerender_site, priority=800)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
