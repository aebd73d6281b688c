"""Which browser the browser tests drive (``tests/browser/book_site.find_chromium``), on any machine.

The machines are simulated: ``which``, ``is_file`` and Playwright's download are stand-ins, so
these run everywhere, with or without a browser.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from book_site import NO_CHROMIUM, find_chromium  # noqa: E402


def machine(on_path: dict[str, str] = {}, files: set[str] = set(), playwright: str | None = None):  # noqa: B006
    """The keyword arguments of ``find_chromium`` for a machine with these programs."""
    return {
        "which": on_path.get,
        "is_file": lambda path: path in files or path in on_path.values(),
        "playwright_path": lambda: playwright,
    }


@pytest.mark.parametrize(
    ("environ", "kwargs", "expected"),
    [
        # Debian or Fedora, and CI
        ({}, machine({"chromium": "/usr/bin/chromium"}), ("/usr/bin/chromium", "chromium on PATH")),
        # Ubuntu: the snap's chromium, or the older package's name
        ({}, machine({"chromium": "/snap/bin/chromium"}), ("/snap/bin/chromium", "chromium on PATH")),
        (
            {},
            machine({"chromium-browser": "/usr/bin/chromium-browser"}),
            ("/usr/bin/chromium-browser", "chromium-browser on PATH"),
        ),
        # Chrome only
        ({}, machine({"google-chrome": "/opt/google/chrome"}), ("/opt/google/chrome", "google-chrome on PATH")),
        # Chromium preferred over Chrome
        (
            {},
            machine({"google-chrome": "/opt/google/chrome", "chromium": "/usr/bin/chromium"}),
            ("/usr/bin/chromium", "chromium on PATH"),
        ),
        # macOS, in Applications
        (
            {},
            machine(files={"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"}),
            ("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "macOS Applications"),
        ),
        # nothing but `playwright install chromium`
        ({}, machine(playwright="/root/.cache/ms-playwright/chromium/chrome"), (
            "/root/.cache/ms-playwright/chromium/chrome",
            "Playwright's own (playwright install chromium)",
        )),
        # the user's choice wins
        (
            {"LRBOOK_CHROMIUM": "/opt/my/chrome"},
            machine({"chromium": "/usr/bin/chromium"}, files={"/opt/my/chrome"}),
            ("/opt/my/chrome", "LRBOOK_CHROMIUM"),
        ),
    ],
)
def test_finds_the_browser_the_machine_has(environ, kwargs, expected):
    assert find_chromium(environ, **kwargs) == expected


def test_a_wrong_choice_is_not_overruled():
    path, message = find_chromium({"LRBOOK_CHROMIUM": "/opt/typo"}, **machine({"chromium": "/usr/bin/chromium"}))
    assert path is None
    assert message == "LRBOOK_CHROMIUM=/opt/typo is not a file: point it at a Chromium or Chrome executable"


def test_no_browser_says_what_to_run():
    assert find_chromium({}, **machine()) == (None, NO_CHROMIUM)
    assert "apt-get install chromium" in NO_CHROMIUM and "playwright install chromium" in NO_CHROMIUM


def test_the_command_line_prints_one_line(tmp_path):
    """``make browser`` asks book_site.py first: with nothing to find, one line and exit 1."""
    env = {"PATH": str(tmp_path), "LRBOOK_CHROMIUM": str(tmp_path / "missing"), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "browser" / "book_site.py")], capture_output=True, text=True, env=env
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "is not a file" in result.stderr
