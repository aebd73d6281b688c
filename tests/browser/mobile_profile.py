"""A page loaded as on a mid-range phone on slow 4G, and what it cost: Lighthouse's mobile profile
applied through the DevTools protocol, without Node.js or Lighthouse.

- the phone: a 412 x 823 CSS-pixel viewport at device scale factor 1.75, touch, mobile (the
  Moto G Power Lighthouse 12 emulates); its CPU 4 x slower than this machine's
  (``Emulation.setCPUThrottlingRate``);
- the network: slow 4G, 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up
  (``Network.emulateNetworkConditions``), with the site served gzip-compressed as GitHub Pages
  serves it (``site_server.py``);
- a fresh browser context for each page: an empty cache, the reader's first view.

The page is measured once the network has been idle for 0.5 s after ``load``:

- ``lcp_ms``: largest contentful paint (the last ``largest-contentful-paint`` entry);
- ``fcp_ms``: first contentful paint;
- ``tbt_ms``: total blocking time after the first contentful paint, with the browser's own work
  counted, as Lighthouse counts it from a trace: the ``blockingDuration`` of every
  ``long-animation-frame`` that starts after the first contentful paint (for each frame, the part
  beyond 50 ms of its long tasks, its rendering, style and layout, included). ``script_tbt_ms``
  is the older, smaller figure from ``longtask`` entries alone (the part beyond 50 ms of each),
  which leaves out the rendering tasks where a long page spends most of its time;
- ``cls``: cumulative layout shift, the sum of every ``layout-shift`` not caused by input (at
  least Lighthouse's largest session window, so never more lenient);
- ``bytes``: bytes transferred (``encodedDataLength`` of every response: compressed bodies and
  headers), what ``tools/site_weight.py`` estimates without a browser;
- ``score``: an estimate of Lighthouse 12's mobile performance score, computed with Lighthouse's
  scoring formula from these metrics (``tools/lighthouse_score.py``; speed index stands in as
  LCP); not Lighthouse.

    python tests/browser/mobile_profile.py [--build-dir _build] [PAGE ...]

prints the table for the pages of ``_toc.yml`` (or those named), as the README reports it, and
flags with ``<`` every page whose estimated score is below ``SCORE_TARGET``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from lighthouse_score import performance_score  # noqa: E402

#: The phone (Lighthouse 12's mobile emulation: Moto G Power).
PHONE = {
    "viewport": {"width": 412, "height": 823},
    "device_scale_factor": 1.75,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
    ),
}
CPU_SLOWDOWN = 4
#: Slow 4G: round trip in ms, throughput in bytes per second.
SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,
    "uploadThroughput": 750 * 1024 / 8,
}
#: Registered before the page's first script: what the page's paints, shifts and long tasks were.
OBSERVERS_JS = """
window.__lrPerf = {lcp: 0, lcpElement: '', cls: 0, longtasks: [], shifts: []};
new PerformanceObserver(list => { for (const e of list.getEntries()) {
  __lrPerf.lcp = e.startTime;
  const el = e.element;
  __lrPerf.lcpElement = el ? (el.tagName + (el.className ? '.' + el.className : '')) : e.url;
} }).observe({type: 'largest-contentful-paint', buffered: true});
new PerformanceObserver(list => { for (const e of list.getEntries()) {
  if (e.hadRecentInput) continue;
  __lrPerf.cls += e.value;
  const name = n => n.nodeName + (typeof n.className === 'string' && n.className ? '.' + n.className : '');
  __lrPerf.shifts.push([e.startTime, e.value, (e.sources || []).map(s => s.node ? name(s.node) : '')]);
} }).observe({type: 'layout-shift', buffered: true});
new PerformanceObserver(list => { for (const e of list.getEntries()) {
  __lrPerf.longtasks.push([e.startTime, e.duration]);
} }).observe({type: 'longtask', buffered: true});
__lrPerf.frames = [];
if (PerformanceObserver.supportedEntryTypes.includes('long-animation-frame')) {
  new PerformanceObserver(list => { for (const e of list.getEntries()) {
    __lrPerf.frames.push([e.startTime, e.duration, e.blockingDuration]);
  } }).observe({type: 'long-animation-frame', buffered: true});
} else { __lrPerf.frames = null; }
"""
RESULT_JS = """() => {
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {...window.__lrPerf, fcp: fcp ? fcp.startTime : null};
}"""
#: How long the network must be quiet after ``load`` (Playwright's ``networkidle``: 0.5 s).
SETTLE_MS = 500
#: Lighthouse's "good" performance score, the target of issue 21 (reported, not asserted).
SCORE_TARGET = 0.9
TIMEOUT_MS = 120_000
#: A script that typesets formulas in the browser, and TeX that a browser would still have to
#: typeset (outside code): a formula left for the reader's browser (prerender_math.py).
MATHJAX_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"[^\"]*mathjax[^\"]*\"", re.I)
NOT_PROSE = re.compile(r"<(pre|code|script|style|textarea)\b.*?</\1>", re.S | re.I)
RAW_TEX = re.compile(r"\\\(|\\\[|\$\$")


def formula_left_for_browser(page_html: str) -> str | None:
    """Why the page leaves formulas for the reader's browser to typeset, or None."""
    if MATHJAX_SCRIPT.search(page_html):
        return "it loads MathJax"
    raw = RAW_TEX.search(NOT_PROSE.sub("", page_html))
    if raw:
        return f"it holds untypeset TeX ({raw.group(0)})"
    return None


def measure(browser, url: str) -> dict:
    """Load ``url`` in a fresh context under the mobile profile; its metrics (module docstring)."""
    context = browser.new_context(**PHONE, service_workers="block")
    try:
        context.add_init_script(OBSERVERS_JS)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        transferred: dict[str, float] = {}
        urls: dict[str, str] = {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished", lambda e: transferred.__setitem__(e["requestId"], e["encodedDataLength"]))
        response = page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        page.wait_for_timeout(SETTLE_MS)
        result = page.evaluate(RESULT_JS)
        source = response.text() if response else ""
    finally:
        context.close()
    fcp = result["fcp"] or 0.0
    script_tbt = sum(max(0.0, duration - 50) for start, duration in result["longtasks"] if start >= fcp)
    if result["frames"] is None:  # a Chromium older than 123: long tasks alone, rendering left out
        tbt = script_tbt
    else:
        tbt = sum(blocking for start, _duration, blocking in result["frames"] if start >= fcp)
    by_url = sorted(((transferred[r], urls.get(r, "?")) for r in transferred), reverse=True)
    return {
        "lcp_ms": round(result["lcp"]),
        "lcp_element": result["lcpElement"],
        "fcp_ms": round(fcp),
        "tbt_ms": round(tbt),
        "script_tbt_ms": round(script_tbt),
        "long_tasks": len(result["longtasks"]),
        "cls": round(result["cls"], 4),
        "shifts": [(round(t), round(v, 4), nodes) for t, v, nodes in result["shifts"] if v >= 0.01],
        "bytes": round(sum(transferred.values())),
        "requests": len(transferred),
        "heaviest": [(round(size), address) for size, address in by_url[:5]],
        "formula_left": formula_left_for_browser(source),
        "score": round(performance_score(fcp, result["lcp"], tbt, result["cls"]), 2),
    }


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, help="the build folder that holds html/ (default: the tests')")
    parser.add_argument("--json", type=Path, help="also write the measurements there")
    parser.add_argument("pages", nargs="*", help="pages, relative to html/ (default: every page of _toc.yml)")
    args = parser.parse_args(argv)
    import os

    if args.build_dir:
        os.environ["LRBOOK_BUILD_DIR"] = str(args.build_dir)
    from book_site import CHROMIUM_ARGS, SITE, TOC_PAGES, find_chromium
    from playwright.sync_api import sync_playwright
    from site_server import serve

    chromium, how = find_chromium()
    if chromium is None:
        print(how, file=sys.stderr)
        return 2
    results = {}
    with serve(SITE) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        print(f"{'page':<34} {'FCP s':>6} {'LCP s':>6} {'TBT ms':>7} {'CLS':>6} {'KB':>7} {'req':>4} {'score*':>7}")
        for page in args.pages or TOC_PAGES:
            m = results[page] = measure(browser, base + page)
            flag = " <" if m["score"] < SCORE_TARGET else ""
            print(
                f"{page:<34} {m['fcp_ms'] / 1000:>6.2f} {m['lcp_ms'] / 1000:>6.2f} {m['tbt_ms']:>7} {m['cls']:>6.3f} "
                f"{m['bytes'] / 1024:>7.1f} {m['requests']:>4} {m['score']:>7.2f}{flag}",
                flush=True,
            )
        browser.close()
    low = [page for page, m in results.items() if m["score"] < SCORE_TARGET]
    print(
        "* an estimate of Lighthouse 12's mobile performance score, computed with Lighthouse's scoring "
        "formula from these metrics (tools/lighthouse_score.py; speed index taken as LCP), not Lighthouse."
    )
    print(f"{len(low)} page(s) estimated below {SCORE_TARGET}{': ' + ', '.join(low) if low else ''}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
