"""Build the whole book as one PDF: Sphinx's ``singlehtml`` page, printed by Chromium.

``make pdf`` (and ``make book``, so that the site's link to it always resolves) runs this after
the site is built. Three steps:

1. ``sphinx-build -b singlehtml``: every page of ``_toc.yml`` in one HTML page, with the same
   configuration, extensions and strictness (``-W -n --keep-going``) as the site. It reads the
   site build's execution cache (``<build>/.jupyter_cache``), so no chapter executes again; its
   own doctrees and executed notebooks go to ``<build>/pdf/`` and never touch the site's.
2. That page is served on 127.0.0.1 and opened in Chromium (the one the browser tests use:
   ``tests/browser/book_site.py``). Once MathJax has typeset every formula and every image is
   decoded, a script (``book/_ext/book_pdf/book-print.js``) turns the page into a book: a title
   page (with the version, ``pyproject.toml``'s), a table of contents, numbered parts and
   chapters, links that stay inside the PDF or point at the published site, the solutions (folded
   on the site) open after their exercises at the end of each chapter. Its style sheet
   (``book-print.css``) leaves out the site's navigation.
3. Chromium prints it (``page.pdf``: A4, page numbers in the footer, an outline of the headings,
   a tagged PDF). The first print tells on which page each chapter starts (its named
   destination); the second prints those page numbers into the table of contents.

The PDF lands in ``<build>/html/_downloads/lrcore-book.pdf``, the address the site's header links
to (``book/_ext/book_pdf.py``). ``tests/test_pdf.py`` checks it.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from build_book import BIN, BUILD, sphinx_conf  # noqa: E402

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from release_version import book_version  # noqa: E402

#: Where the site publishes the PDF, relative to ``<build>/html`` (book/_ext/book_pdf.py links it).
#: -W -n as the site build (LRBOOK_PDF_LENIENT=1 drops -W while a chapter is being written).
STRICT = ["-n"] if os.environ.get("LRBOOK_PDF_LENIENT") else ["-W", "-n"]
PDF_NAME = "_downloads/lrcore-book.pdf"
#: The single page, copied to the root of Sphinx's singlehtml output: Sphinx writes it as
#: ``<root_doc>.html`` (``book/intro.html``) but with addresses relative to the root.
SINGLE_PAGE = "lrbook-single-page.html"
#: Chromium's print: the page number centred in the footer (page size and margins: book-print.css).
FOOTER = (
    '<div style="width: 100%; font-size: 8pt; color: #555; text-align: center;'
    ' font-family: sans-serif;"><span class="pageNumber"></span></div>'
)


def toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text())


def first_heading(docname: str) -> str:
    """The title of a page: the first ``# `` line of its MyST source, outside code and front matter."""
    text = (ROOT / f"{docname}.md").read_text()
    if text.startswith("---\n"):
        text = text.split("\n---\n", 1)[1]
    fence = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", ":::")):
            marker = stripped[:3]
            fence = None if fence == marker else (fence or marker)
            continue
        if fence is None and line.startswith("# "):
            # As the page shows it: without the inline markup of code and emphasis.
            return re.sub(r"[`*]", "", line[2:]).strip()
    raise ValueError(f"{docname}.md has no '# ' title")


def parts() -> list[dict]:
    """``[{"caption": ..., "chapters": [(docname, title), ...]}, ...]`` in the order of ``_toc.yml``."""

    def walk(entries: list[dict], chapters: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for entry in entries:
            if "file" in entry:
                name = str(Path(entry["file"]).with_suffix(""))
                chapters.append((name, first_heading(name)))
            walk(entry.get("sections", []), chapters)
        return chapters

    return [
        {"caption": part.get("caption", ""), "chapters": walk(part.get("chapters", []), [])}
        for part in toc().get("parts", [])
    ]


def build_single_page(build_dir: Path) -> Path:
    """``sphinx-build -b singlehtml`` into ``<build>/pdf/singlehtml``, from the site's execution cache."""
    out = build_dir / "pdf"
    conf = sphinx_conf(out / ".sphinx-conf")
    conf.write_text(
        conf.read_text()
        + f"""
# Added by tools/build_pdf.py:
# - the chapters as the site build executed them: its cache (lrcore_cache_key adds the key);
nb_execution_cache_path = {str(build_dir / ".jupyter_cache")!r}
# - no chapter notebooks (the single page is printed, not published) and no header buttons.
extensions = [e for e in extensions if e != "notebook_downloads"]


def setup(app):
    # Extensions that register their nodes for the builder named html only (myst-nb's
    # HideCodeCellNode, sphinx-jupyterbook-latex's HiddenCellNode) would leave singlehtml unable
    # to write them: Sphinx falls back to the html format's handlers only for a builder with
    # none of its own, and some extension registers singlehtml ones. singlehtml gets html's.
    def share_html_handlers(app):
        handlers = app.registry.translation_handlers
        handlers["singlehtml"] = {{**handlers.get("html", {{}}), **handlers.get("singlehtml", {{}})}}

    app.connect("builder-inited", share_html_handlers)
    # MathJax on the single page (Sphinx adds it only to pages it thinks have math), as
    # jupyter-book build --builder singlehtml does.
    app.set_html_assets_policy("always")
"""
    )
    command = [
        str(BIN / "sphinx-build"), "-b", "singlehtml", *STRICT, "--keep-going", "-t", "book_pdf",
        "-c", str(conf.parent), "-d", str(out / ".doctrees"), str(ROOT), str(out / "singlehtml"),
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True)
    single = out / "singlehtml"
    shutil.copy(single / f"{toc()['root']}.html", single / SINGLE_PAGE)
    return single


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


#: Resolves once MathJax has typeset the page (and its fonts are loaded) and every image is decoded.
READY_JS = """async () => {
  if (window.MathJax && MathJax.startup) {
    await MathJax.startup.promise;
    if (MathJax.typesetPromise) await MathJax.typesetPromise();
  }
  await document.fonts.ready;
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
  return {
    math: document.querySelectorAll('.math').length,
    typeset: document.querySelectorAll('mjx-container').length,
    errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')].map(e => e.textContent),
    images: document.images.length,
    broken: [...document.images].filter(img => !img.complete || img.naturalWidth === 0).map(img => img.src),
  };
}"""

HERE = ROOT / "book" / "_ext" / "book_pdf"
BOOK_JS = (HERE / "book-print.js").read_text()
BOOK_CSS = (HERE / "book-print.css").read_text()


def print_pdf(single_page: Path, output: Path, meta: dict) -> dict:
    """Open the single page in Chromium, make it a book (``book-print.js``), print it twice."""
    from book_site import CHROMIUM_ARGS, find_chromium
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    chromium, how = find_chromium()
    if chromium is None:
        raise SystemExit(how)
    server, url = serve(single_page)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            failed: list[str] = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.on("console", lambda msg: failed.append(msg.text) if msg.type == "error" else None)
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
            # The theme's search loads the index that only the html builder writes; nothing is searched here.
            page.route(url + "searchindex.js", lambda route: route.fulfill(body="", content_type="text/javascript"))
            page.goto(url + SINGLE_PAGE, wait_until="load")
            page.emulate_media(media="print")
            ready = page.evaluate(READY_JS)
            if ready["errors"] or ready["broken"] or ready["typeset"] < ready["math"]:
                raise SystemExit(f"build_pdf: the page is not ready to print: {json.dumps(ready)}")
            if failed:
                raise SystemExit(f"build_pdf: the page failed to load: {failed}")
            made = page.evaluate(BOOK_JS, {"parts": parts(), "root": toc()["root"], **meta})
            page.add_style_tag(content=BOOK_CSS)
            page.evaluate(READY_JS)
            output.parent.mkdir(parents=True, exist_ok=True)
            options = dict(
                path=str(output), prefer_css_page_size=True, print_background=True,
                display_header_footer=True, header_template="<span></span>", footer_template=FOOTER,
                outline=True, tagged=True,
            )  # fmt: skip
            page.pdf(**options)
            starts = chapter_pages(PdfReader(output), made["anchors"])
            page.evaluate("(pages) => window.lrbookSetPages(pages)", starts)
            page.pdf(**options)
            again = chapter_pages(PdfReader(output), made["anchors"])
            if again != starts:
                raise SystemExit(f"build_pdf: the page numbers moved on the second print: {starts} -> {again}")
            browser.close()
    finally:
        server.shutdown()
    return {**ready, **made, "starts": starts}


def chapter_pages(reader, anchors: list[str]) -> dict[str, int]:
    """The page (from 1) on which each anchor of the table of contents lies: its named destination."""
    # Chromium writes them into the catalog's /Dests dictionary, whose keys pypdf gives as names ("/id").
    destinations = {name.lstrip("/"): destination for name, destination in reader.named_destinations.items()}
    pages = {}
    for anchor in anchors:
        if anchor not in destinations:
            raise SystemExit(f"build_pdf: no named destination {anchor!r} in the printed PDF")
        pages[anchor] = reader.get_destination_page_number(destinations[anchor]) + 1
    return pages


#: Sphinx's cache-busting query on a static file's link (``style.css?v=3c74b3bc``), written only
#: when the file is already in the output folder: a clean build's page has none, the next has them.
STATIC_CHECKSUM = re.compile(rb"\?v=[0-9a-f]{8}")


def print_key(single_page: Path, meta: dict) -> str:
    """A digest of everything the print depends on: the page (without Sphinx's ``?v=`` queries,
    which a clean build leaves out and the next build adds), the static files and images it
    loads, the print script and style, this file, and the title page's lines but the date."""
    digest = hashlib.sha256(STATIC_CHECKSUM.sub(b"", (single_page / SINGLE_PAGE).read_bytes()))
    loaded = sorted(p for folder in ("_static", "_images") for p in (single_page / folder).rglob("*") if p.is_file())
    named = [(p.relative_to(single_page), p) for p in loaded]
    named += [(p.relative_to(ROOT), p) for p in (HERE / "book-print.js", HERE / "book-print.css", Path(__file__))]
    for name, part in named:
        digest.update(f"{name}\0".encode())
        digest.update(hashlib.sha256(part.read_bytes()).digest())
    digest.update(json.dumps({**meta, "date": ""}, sort_keys=True).encode())
    return digest.hexdigest()


def commit() -> str:
    try:
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def site_url(config: dict, build_dir: Path) -> str:
    """Where the site is published, as for the notebooks (``$LRBOOK_BASE_URL``, else ``html: baseurl:``);
    without an address, the local site (``file://``), which the title page then shows."""
    url = os.environ.get("LRBOOK_BASE_URL", "").strip() or (config.get("html", {}).get("baseurl") or "").strip()
    return url.rstrip("/") + "/" if url else (build_dir / "html").as_uri() + "/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=BUILD, help="the site's build folder (default _build)")
    args = parser.parse_args()
    build_dir = args.build_dir.resolve()
    if not (build_dir / "html" / "index.html").is_file():
        raise SystemExit(f"build_pdf: build the site first (make book): no {build_dir / 'html' / 'index.html'}")
    start = time.perf_counter()
    single_page = build_single_page(build_dir)
    built = time.perf_counter()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    meta = {
        "title": config["title"],
        # The one version, pyproject.toml's (as the site's footer and the notebooks' first cell).
        "version": book_version(ROOT),
        "author": config.get("author", ""),
        "date": time.strftime("%Y-%m-%d", time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", time.time())))),
        "commit": commit(),
        "url": site_url(config, build_dir),
    }
    output = build_dir / "html" / PDF_NAME
    # `make test` runs `make book` again after CI's `make book`: print again only when the page,
    # what it loads, the print script or style, or the title page's lines changed.
    key_file = build_dir / "pdf" / "printed.sha256"
    key = print_key(single_page, meta)
    if output.is_file() and key_file.is_file() and key_file.read_text() == key:
        print(f"build_pdf: {output} is up to date (singlehtml {time.perf_counter() - start:.0f} s)")
        return 0
    key_file.unlink(missing_ok=True)
    report = print_pdf(single_page, output, meta)
    key_file.write_text(key)
    printed = time.perf_counter()
    from pypdf import PdfReader

    pages = len(PdfReader(output).pages)
    print(
        f"build_pdf: {output} ({pages} pages, {output.stat().st_size / 1e6:.1f} MB; {report['typeset']} formulas,"
        f" {report['images']} images; singlehtml {built - start:.0f} s, print {printed - built:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
