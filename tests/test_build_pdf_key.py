"""``tools/build_pdf.py`` prints the PDF again exactly when something it prints changed.

``make test`` runs ``make book`` again after ``make book``; the 35-second print is skipped when the
key of the single page is the one the PDF was printed from. A clean build writes the page without
Sphinx's ``?v=`` queries and the next build adds them: that alone must not print again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from build_pdf import SINGLE_PAGE, print_key  # noqa: E402

PAGE = '<link rel="stylesheet" href="_static/theme.css{query}" /><img src="_images/fig.png" /><p>{text}</p>'
META = {"title": "A book", "version": "0.2.0", "commit": "abc1234", "url": "https://example.org/", "date": "2026-12-06"}


@pytest.fixture
def single_page(tmp_path) -> Path:
    (tmp_path / "_static").mkdir()
    (tmp_path / "_images").mkdir()
    (tmp_path / "_static" / "theme.css").write_text("p { color: black }")
    (tmp_path / "_images" / "fig.png").write_bytes(b"\x89PNG one")
    (tmp_path / SINGLE_PAGE).write_text(PAGE.format(query="", text="The sigmoid."))
    return tmp_path


def test_the_static_files_query_of_a_second_build_changes_nothing(single_page):
    clean = print_key(single_page, META)
    (single_page / SINGLE_PAGE).write_text(PAGE.format(query="?v=3c74b3bc", text="The sigmoid."))
    assert print_key(single_page, META) == clean
    assert print_key(single_page, {**META, "date": "2027-01-01"}) == clean


@pytest.mark.parametrize(
    "change",
    [
        lambda d: (d / SINGLE_PAGE).write_text(PAGE.format(query="", text="The logistic function.")),
        lambda d: (d / "_static" / "theme.css").write_text("p { color: navy }"),
        lambda d: (d / "_images" / "fig.png").write_bytes(b"\x89PNG two"),
        lambda d: (d / "_static" / "new.js").write_text("1"),
    ],
    ids=["text", "style", "figure", "a-new-static-file"],
)
def test_a_change_to_what_is_printed_prints_again(single_page, change):
    before = print_key(single_page, META)
    change(single_page)
    assert print_key(single_page, META) != before


@pytest.mark.parametrize("field", ["title", "version", "commit", "url"])
def test_a_change_to_the_title_page_prints_again(single_page, field):
    assert print_key(single_page, {**META, field: META[field] + "x"}) != print_key(single_page, META)
