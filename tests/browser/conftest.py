"""The built site, served on 127.0.0.1, and Debian's Chromium driven by Playwright.

The tests read the site of ``$LRBOOK_BUILD_DIR`` (default ``_build``): ``<build>/html`` is
served by ``http.server`` on a free port in a thread. Every browser context aborts and records
any request to another host, so the pages load as with the network cut off. Every page of the
table of contents is visited once (``audit``); that visit records what the page tests check
(console errors, failed and foreign requests, images, math, axe-core's violations) and saves a
full-page screenshot to ``<build>/screenshots/``.

Chromium is whichever the machine has (``book_site.find_chromium``: ``$LRBOOK_CHROMIUM``, a
Chromium or Chrome on PATH or in macOS's Applications, else Playwright's own download); CI
installs Debian's (``.ci/run``). The tests never download a browser.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from book_site import (
    AXE,
    CHROMIUM_ARGS,
    IMAGES_JS,
    LOCAL_HOST,
    MATH_JS,
    NOTEBOOK_LINK,
    ROOT,
    SCREENSHOTS,
    SITE,
    TOC_PAGES,
    TYPESET_JS,
    find_chromium,
    page_id,
)

# Kernels these tests start (the chapter notebooks run in a fresh environment) run as the book's
# chapters do: the declared environment, on Unix sockets (book/_ext/chapter_kernels.py).
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import chapter_kernels  # noqa: E402

chapter_kernels.install()

sys.path.insert(0, str(ROOT / "tests"))
from xdist_groups import suffix_groups  # noqa: E402

VIEWPORT = {"width": 1280, "height": 900}
#: Pages audited at once. On 2 cores, 2 take 30 % less time than 1, and 3 or 4 more than 2.
JOBS = int(os.environ.get("LRBOOK_BROWSER_JOBS", "2"))
MATHJAX_STARTED_JS = "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
MATHJAX_DONE_JS = "() => MathJax.startup.promise.then(() => true)"
FONTS_READY_JS = "() => document.fonts.ready.then(() => true)"


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site in {SITE}: run `make book` (or set LRBOOK_BUILD_DIR)", pytrace=False)
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the base class's signature
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A page the test leaves aborts the requests still loading (lazy images, a prefetched search
        index): a closed connection is the browser's doing, not an error of the site. Others print."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def server(site) -> Iterator[str]:
    """Base URL of the site, served on 127.0.0.1 on a free port."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = _QuietServer((LOCAL_HOST, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOCAL_HOST}:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def chromium() -> str:
    path, how = find_chromium()
    if path is None:
        pytest.fail(how, pytrace=False)
    return path


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class Visit:
    """What happened while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every request, in order


def is_foreign(url: str, port: int | None) -> bool:
    """A request to anything but the site under test (data: and blob: URLs never leave)."""
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and (parts.hostname != LOCAL_HOST or parts.port != port)


def _listen(context, visit: Visit) -> None:
    """Record console errors, uncaught exceptions, and failed requests (not the aborted ones)."""

    def console(message):
        if message.type == "error":
            visit.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def response(response):
        if response.status >= 400:
            visit.failed_requests.append(f"{response.status} {response.url}")

    def failed(request):
        if request.url not in visit.foreign_requests:
            visit.failed_requests.append(f"{request.failure} {request.url}")

    context.on("console", console)
    context.on("weberror", lambda error: visit.console_errors.append(f"uncaught: {error.error}"))
    context.on("response", response)
    context.on("requestfailed", failed)


@pytest.fixture(scope="session")
def open_page(browser, server):
    """``open_page(path, **context_options) -> (page, visit)``: a page loaded and settled.

    Each page gets a browser context of its own (no shared storage: the colour mode and the
    toggles start fresh) that aborts and records requests to other hosts. The page is loaded,
    MathJax (where the page loads it) has typeset it, and the network is idle.
    """
    port = urlsplit(server).port
    contexts = []

    def load(path: str, **options):
        context = browser.new_context(viewport=VIEWPORT, service_workers="block", **options)
        contexts.append(context)
        visit = Visit()

        def route(route):
            if is_foreign(route.request.url, port):
                visit.foreign_requests.append(route.request.url)
                route.abort("blockedbyclient")
            else:
                route.continue_()

        context.route("**/*", route)
        _listen(context, visit)
        page = context.new_page()
        page.goto(server + path, wait_until="load")
        if page.locator("script[src*='mathjax']").count():
            page.wait_for_function(MATHJAX_STARTED_JS)
            page.evaluate(MATHJAX_DONE_JS)
        page.evaluate(FONTS_READY_JS)
        page.wait_for_load_state("networkidle")
        return page, visit

    yield load
    for context in contexts:
        context.close()  # a no-op for a context closed already


async def _audit_page(browser, base: str, path: str, jobs: asyncio.Semaphore) -> dict:
    """One visit of one page: everything the page tests check, and a full-page screenshot."""
    async with jobs:
        context = await browser.new_context(viewport=VIEWPORT, service_workers="block")
        visit = Visit()
        port = urlsplit(base).port

        async def route(route):
            visit.requests.append(route.request.url)
            if is_foreign(route.request.url, port):
                visit.foreign_requests.append(route.request.url)
                await route.abort("blockedbyclient")
            else:
                await route.continue_()

        await context.route("**/*", route)
        _listen(context, visit)
        page = await context.new_page()
        await page.goto(base + path, wait_until="load")
        if await page.locator("script[src*='mathjax']").count():
            await page.wait_for_function(MATHJAX_STARTED_JS)
            await page.evaluate(MATHJAX_DONE_JS)
        await page.evaluate(FONTS_READY_JS)  # MathJax's fonts, fetched after "load"
        images = await page.evaluate(IMAGES_JS)
        math = await page.evaluate(MATH_JS)
        typeset = await page.evaluate(TYPESET_JS)  # before axe's script is added
        notebooks = await page.eval_on_selector_all(NOTEBOOK_LINK, "links => links.map(a => a.href)")
        await page.screenshot(path=str(SCREENSHOTS / f"{page_id(path)}.png"), full_page=True, animations="disabled")
        await page.add_script_tag(path=str(AXE))
        # preload: false: axe-core 4.12 fetches the stylesheets itself and resolves their @import
        # ("../basic.css" in the theme) against the page instead of the sheet, a 404 that the
        # console check would blame on the site. Only css-orientation-lock needs those sheets.
        axe = await page.evaluate("() => axe.run(document, {resultTypes: ['violations'], preload: false})")
        await context.close()
        return {
            "visit": visit,
            "images": images,
            "math": math,
            "typeset": typeset,
            "notebook_links": notebooks,
            "violations": axe["violations"],
        }


async def _audit_pages(chromium: str, base: str, paths: list[str], jobs: int) -> dict[str, dict | BaseException]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        semaphore = asyncio.Semaphore(jobs)
        visits = [_audit_page(browser, base, path, semaphore) for path in paths]
        results = await asyncio.gather(*visits, return_exceptions=True)
        await browser.close()
    return dict(zip(paths, results, strict=True))


@pytest.fixture(scope="session")
def audits(server, site, chromium) -> dict[str, dict | BaseException]:
    """Every page of the table of contents visited once, ``$LRBOOK_BROWSER_JOBS`` at a time.

    The pages load concurrently in one browser, with Playwright's async API in a thread of its
    own, apart from the sync API of the other fixtures. A page whose visit failed fails its
    own tests, not the others'.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, _audit_pages(chromium, server, TOC_PAGES, JOBS)).result()


@pytest.fixture(scope="session")
def audit(audits, site):
    """``audit(path) -> dict``: what the visit of that page recorded (re-raises its error)."""

    def get(path: str) -> dict:
        result = audits[path]
        if isinstance(result, BaseException):
            raise result
        return {**result, "source_has_math": 'class="math' in (site / path).read_text()}

    return get


#: pytest-xdist (`make browser` runs one worker per core with ``--dist loadgroup``): the tests of
#: one costly session fixture go to one worker, so that it is made once, as in a serial run. The
#: other tests spread over the workers; each worker serves the site on a free port of its own.
XDIST_GROUPS = {"audit": "audits", "fresh_python": "fresh-environment"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, group in XDIST_GROUPS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(group))
                break
    suffix_groups(config, items)
