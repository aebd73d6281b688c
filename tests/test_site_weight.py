"""tools/site_weight.py: page sizes, the static version of an interactive page, the limit of issue 16."""

from __future__ import annotations

import base64
import gzip
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import site_weight  # noqa: E402

from lrcore.explorers import threshold_explorer  # noqa: E402

KIB = 1024


def _noise(n_bytes: int, seed: int = 0) -> str:
    """Text that gzip cannot shrink much (base64 of random bytes): a page weighs what we plant."""
    return base64.b64encode(np.random.default_rng(seed).bytes(n_bytes)).decode("ascii")


def _page(body: str) -> str:
    return f"<!DOCTYPE html>\n<html><head><title>t</title></head>\n<body>\n<main>\n{body}\n</main>\n</body></html>\n"


def _figure(script: str, live: str = "", fallback: str = "") -> str:
    """An interactive figure as lrcore.explorers writes one: style, fallback, live part, data, script."""
    return (
        '<div class="lrx lrx-test" id="lrx-test"><style>.lrx { color: red; }</style>'
        f'<img class="lrx-fallback" alt="a static figure" src="data:image/png;base64,{fallback}">'
        f'<div class="lrx-live" hidden><div class="lrx-controls"><input type="range"></div>{live}</div>'
        '<p class="lrx-description">What it shows.</p>'
        f'<script type="application/json" id="lrx-test-data">{{"a": 1}}</script><script>{script}</script></div>'
    )


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    build = tmp_path / "_build"
    (build / "html").mkdir(parents=True)
    (build / "html" / "index.html").write_text('<meta http-equiv="refresh" content="0; url=book/a.html">')
    for path, text in pages.items():
        file = build / "html" / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return build


def test_static_version_keeps_the_fallback_and_drops_what_only_the_script_uses():
    before = "<p>before</p><div class='other'><script>keep()</script></div>\n"
    after = "\n<style>p { color: blue; }</style><p>after</p>"
    page = _page(before + _figure("draw();\nmore();", live="<svg><text>x</text></svg>", fallback="AAAA") + after)
    static, figures = site_weight.static_version(page)
    assert figures == 1
    assert static == _page(
        before
        + '<div class="lrx lrx-test" id="lrx-test">'
        + '<img class="lrx-fallback" alt="a static figure" src="data:image/png;base64,AAAA">'
        + '<p class="lrx-description">What it shows.</p></div>'
        + after
    )


def test_static_version_follows_the_root_and_live_tags_nesting():
    """A <figure> root (as the descent explorer writes) with nested figures and divs, a live <div> with divs."""
    figure = (
        '<figure class="lrx lrx-descent" id="lrx-d"><style>x{}</style>'
        '<img class="lrx-fallback" alt="a" src="data:image/png;base64,AA">'
        '<div class="lrx-live" hidden><div><div>controls</div></div><figure>inner</figure><br><svg><path d="M0"/></svg>'
        "</div><figcaption>caption</figcaption><script>draw()</script></figure>"
    )
    page = _page("<div>" + figure + "<script>theme()</script></div>")
    static, figures = site_weight.static_version(page)
    assert figures == 1
    assert static == _page(
        '<div><figure class="lrx lrx-descent" id="lrx-d">'
        '<img class="lrx-fallback" alt="a" src="data:image/png;base64,AA">'
        "<figcaption>caption</figcaption></figure><script>theme()</script></div>"
    )


def test_static_version_of_a_real_threshold_figure():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(40, 1, generator=generator, dtype=torch.float64)
    y = (logits + 0.5 * torch.randn(40, 1, generator=generator, dtype=torch.float64) > 0).double()
    figure = threshold_explorer(logits, y, name="one", description="The description.")
    second = threshold_explorer(logits, y, name="two", description="Another.")
    page = _page(f"<p>text</p>\n<div class='output'>{figure.html}</div>\n<p>more</p>\n{second.html}")
    static, figures = site_weight.static_version(page)
    assert figures == 2
    assert "<script" not in static and "<style" not in static and "lrx-live" not in static
    assert static.count('class="lrx-fallback"') == 2 and "The description." in static and "Another." in static
    assert "<p>text</p>" in static and "<p>more</p>" in static and static.endswith("</html>\n")
    # Only whole elements were cut: what is left still nests.
    assert static.count("<div") == static.count("</div>")


def test_a_page_without_figures_is_its_own_static_version():
    page = _page("<div class='lrx-ish'><script>x()</script></div><style>a{}</style>")
    assert site_weight.static_version(page) == (page, 0)


def test_report_passes_light_pages_and_names_the_heavy_one(tmp_path, capsys):
    build = _site(
        tmp_path,
        {
            "book/a.html": _page("<p>static</p>" + _noise(50 * KIB, 1)),
            # Heavy but static: reported, not checked.
            "book/big_static.html": _page(_noise(500 * KIB, 2)),
            # Interactive and light: under 300 KiB in all.
            "book/light.html": _page(_figure(_noise(100 * KIB, 3))),
            # Interactive, over 300 KiB and over 1.5 x its static version.
            "book/heavy.html": _page("<p>text</p>" + _figure(_noise(400 * KIB, 4))),
            "_static/theme.html": _page(_figure(_noise(400 * KIB, 5))),  # an asset, not a page
        },
    )
    assert site_weight.main(["--build-dir", str(build)]) == 1
    out, err = capsys.readouterr()
    assert "_static/theme.html" not in out
    for page in ("book/a.html", "book/big_static.html", "book/light.html", "book/heavy.html", "index.html"):
        assert page in out
    assert "book/heavy.html" in err and "book/light.html" not in err and "big_static" not in err
    assert err.count("site_weight:") == 1 and "over its limit of 300.0 KiB" in err
    (heavy_row,) = [line for line in out.splitlines() if line.startswith("book/heavy.html") and "OVER" in line]
    (light_row,) = [line for line in out.splitlines() if line.startswith("book/light.html") and "yes" in line]
    assert heavy_row and light_row


def test_the_limit_is_the_larger_of_the_ratio_and_the_floor(tmp_path, capsys):
    """A page whose static version is already heavy may grow by half of it; over that it fails."""
    static_part = _noise(400 * KIB, 6)
    fits = _page(static_part + _figure(_noise(100 * KIB, 7)))
    too_heavy = _page(static_part + _figure(_noise(400 * KIB, 8)))
    weights = {}
    for name, page in (("fits", fits), ("too_heavy", too_heavy)):
        build = _site(tmp_path / name, {"book/x.html": page})
        code = site_weight.main(["--build-dir", str(build)])
        weights[name] = (code, {w.path: w for w in site_weight.weigh(build / "html")}["book/x.html"])
    code, w = weights["fits"]
    assert code == 0 and w.limit == round(1.5 * w.static_gzipped) > 300 * KIB > w.static_gzipped / 1.5
    code, w = weights["too_heavy"]
    assert code == 1 and w.gzipped > w.limit == round(1.5 * w.static_gzipped)
    capsys.readouterr()


def test_sizes_are_the_files_and_their_gzip(tmp_path):
    text = _page("<p>" + "x" * 5000 + "</p>")
    build = _site(tmp_path, {"book/a.html": text})
    (weight,) = [w for w in site_weight.weigh(build / "html") if w.path == "book/a.html"]
    data = text.encode()
    assert weight.raw == len(data)
    assert weight.gzipped == site_weight.gzipped_size(data) and len(gzip.decompress(gzip.compress(data))) == len(data)
    assert weight.gzipped < weight.raw / 10 and weight.static_gzipped is None and weight.limit is None


def test_no_site_is_an_error(tmp_path, capsys):
    assert site_weight.main(["--build-dir", str(tmp_path)]) == 2
    assert "no built site" in capsys.readouterr().err


@pytest.mark.parametrize("path", sorted(site_weight.BEFORE))
def test_recorded_baselines_are_of_chapters(path):
    raw, gzipped = site_weight.BEFORE[path]
    assert path.startswith("book/") and path.endswith(".html") and 0 < gzipped < raw


def test_first_view_counts_what_the_page_loads_before_the_reader_scrolls(tmp_path):
    build = _site(
        tmp_path,
        {
            "book/a.html": _page(
                '<link rel="stylesheet" href="../_static/s.css?v=1" /><script defer src="../_static/s.js"></script>'
                '<img src="../_images/eager.png" /><img loading="lazy" src="../_images/lazy.png" />'
                '<img src="data:image/png;base64,AAAA" /><style>@font-face{src:url(../_static/f.woff)}</style>'
            ),
        },
    )
    html = build / "html"
    for name, data in {
        "_static/s.css": b"a{}" * 1000,
        "_static/s.js": b"x();" * 1000,
        "_images/eager.png": _noise(3000, 9).encode(),
        "_images/lazy.png": b"p" * 50_000,
        "_static/f.woff": b"f" * 700,
    }.items():
        (html / name).parent.mkdir(parents=True, exist_ok=True)
        (html / name).write_bytes(data)
    (weight,) = [w for w in site_weight.weigh(html) if w.path == "book/a.html"]
    expected = (
        weight.gzipped
        + site_weight.gzipped_size(b"a{}" * 1000)
        + site_weight.gzipped_size(b"x();" * 1000)
        + len(_noise(3000, 9).encode())  # an image as it is, not gzipped
    )  # not the font: the browser fetches it only if the page uses it
    assert weight.first_view == expected
