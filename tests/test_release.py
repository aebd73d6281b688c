"""A release: one version, ``pyproject.toml``'s, everywhere the book shows it; the changelog and
the citation file that go with it.

- ``lrcore.__version__`` is ``pyproject.toml``'s (``lrcore/_version.py``), and a wheel of lrcore
  is named with it and says it in its metadata (``notebook_downloads.build_wheel``, which also
  leaves no wheel of another version beside it);
- the footer: a small Sphinx project built here with the book's theme and
  ``book/_ext/release_version.py`` shows its ``pyproject.toml``'s version at the foot of its pages,
  as the theme renders it;
- the first cell of a notebook states the version on its first line and installs exactly it;
- ``CITATION.cff`` is valid against the Citation File Format 1.2.0 JSON schema (vendored in
  ``tests/vendor/citation-file-format/`` with its licence), and its version, date, title, authors,
  licence and addresses are those of ``pyproject.toml``, ``CHANGELOG.md`` and ``_config.yml``;
- ``CHANGELOG.md`` is in Keep a Changelog's shape, its latest release is ``pyproject.toml``'s
  version, and its versions and dates go down;
- the built site (``$LRBOOK_BUILD_DIR``, default ``_build``; ``make test`` builds it first; a
  missing build fails, it is not skipped): every page's footer, the one wheel it publishes, every
  chapter and exercise notebook's first cell and metadata say ``pyproject.toml``'s version. The
  PDF's title page is checked in ``tests/test_pdf.py``.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import nbformat
import pytest
import yaml

import lrcore
from lrcore import _version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
VERSION = PROJECT["version"]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
SCHEMA_DIR = ROOT / "tests" / "vendor" / "citation-file-format"
BUILD = Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build")).resolve()
SITE = BUILD / "html"


def _load(name: str):
    path = ROOT / "book" / "_ext" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_release_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


notebook_downloads = _load("notebook_downloads")
release_version = _load("release_version")


# ---------------------------------------------------------------------------- the one number


def test_the_version_is_written_once_in_pyproject():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION), VERSION
    assert lrcore.__version__ == VERSION
    # Nowhere else in the package or the build is it typed.
    typed = [
        str(path.relative_to(ROOT))
        for folder in ("lrcore", "book/_ext", "tools")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(rf"""["']{re.escape(VERSION)}["']""", path.read_text())
    ]
    assert typed == []
    assert release_version.book_version(ROOT) == VERSION


def test_version_reads_pyproject_only_if_it_is_lrcores(tmp_path):
    assert _version.from_pyproject(tmp_path / "pyproject.toml") is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\nversion = "9.9.9"\n')
    assert _version.from_pyproject(tmp_path / "pyproject.toml") is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "lrcore"\nversion = "9.9.9"\n')
    assert _version.from_pyproject(tmp_path / "pyproject.toml") == "9.9.9"
    assert release_version.book_version(tmp_path) == "9.9.9"
    for text in ('[project]\nname = "lrcore"\n', '[project]\nname = "other"\nversion = "9.9.9"\n'):
        (tmp_path / "pyproject.toml").write_text(text)
        with pytest.raises(Exception, match="no lrcore"):
            release_version.book_version(tmp_path)


def test_a_copy_of_the_package_without_pyproject_or_metadata_says_it_has_no_version(tmp_path):
    """Away from the source tree and from an installed distribution: not a made-up version."""
    (tmp_path / "lrcore").mkdir()
    (tmp_path / "lrcore" / "_version.py").write_text((ROOT / "lrcore" / "_version.py").read_text())
    (tmp_path / "lrcore" / "__init__.py").write_text("")
    code = "import importlib.metadata as m, lrcore._version as v; print(v.version())"
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}
    # The book's .venv has lrcore installed (editable): its metadata would answer. A bare interpreter
    # with site-packages off (-S) and the copy first on the path has neither.
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd=tmp_path, env=environment, check=True
    )
    assert result.stdout.strip() == _version.UNKNOWN


def test_the_wheel_is_named_with_the_version_and_says_it_and_replaces_other_versions(tmp_path):
    stale = tmp_path / notebook_downloads.wheel_name("0.0.1")
    stale.write_bytes(b"an older release's wheel")
    wheel = notebook_downloads.build_wheel(ROOT, tmp_path)
    assert wheel.name == f"lrcore-{VERSION}-py3-none-any.whl"
    assert sorted(p.name for p in tmp_path.iterdir()) == [wheel.name]
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"lrcore-{VERSION}.dist-info/METADATA").decode()
    assert f"\nVersion: {VERSION}\n" in metadata
    assert f"Project-URL: Repository, {PROJECT['urls']['Repository']}\n" in metadata


def test_the_first_cell_states_and_installs_exactly_the_version():
    for url in (None, f"https://example.org/book/v{VERSION}/_downloads/lrcore-{VERSION}-py3-none-any.whl"):
        cell = notebook_downloads.install_cell_source(url, "0" * 64, "7.6.5", ["numpy==2.4.6"], ["numpy"])
        first = cell.splitlines()[0]
        assert first.startswith("# lrcore 7.6.5, the book's package"), first
        assert "installs exactly this version" in first
        assert "lrcore-7.6.5-py3-none-any.whl" in cell.splitlines()[1]
        assert "LRCORE_VERSION = '7.6.5'\n" in cell
        assert "lrcore @ {url}#sha256={LRCORE_SHA256}" in cell


# ---------------------------------------------------------------------------- the footer


class _Footer(HTMLParser):
    """The text of every ``<p class="lrbook-version">`` of a page."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += tag == "p"
        elif tag == "p" and release_version.CSS_CLASS in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.found.append("")

    def handle_endtag(self, tag):
        if self._depth and tag == "p":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.found[-1] += data


def footer_versions(html: str) -> list[str]:
    parser = _Footer()
    parser.feed(html)
    return [" ".join(text.split()) for text in parser.found]


def footer_text(version: str) -> str:
    return f"Version {version} of the book and of lrcore, its package."


def test_a_book_built_with_the_extension_shows_its_pyproject_version_in_the_themes_footer(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "pyproject.toml").write_text('[project]\nname = "lrcore"\nversion = "7.6.5"\n')
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        'extensions = ["release_version"]\nhtml_theme = "sphinx_book_theme"\nproject = "Mini"\n'
    )
    (source / "index.rst").write_text("Mini\n====\n\nVersion |release|.\n\n.. toctree::\n\n   other\n")
    (source / "other.rst").write_text("Other\n=====\n\nText.\n")
    out = tmp_path / "html"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", str(source), str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("index.html", "other.html"):
        html = (out / page).read_text()
        assert footer_versions(html) == [footer_text("7.6.5")], page
        assert "bd-footer-content" in html.split(release_version.CSS_CLASS)[0], "in the theme's footer"
    assert "Version 7.6.5." in (out / "index.html").read_text()  # Sphinx's |release|


def test_the_extension_refuses_to_overwrite_another_extra_footer():
    class Config:
        html_theme_options = {"extra_footer": "<p>mine</p>"}
        html_context = {}

    class App:
        srcdir = str(ROOT)

    with pytest.raises(Exception, match="already has an extra_footer"):
        release_version.set_version(App(), Config())


# ---------------------------------------------------------------------------- CHANGELOG.md


RELEASE = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2})$")
KINDS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def changelog_releases(text: str) -> list[tuple[str, datetime.date, str]]:
    """``[(version, date, body), ...]`` from the top; fails on a second-level heading of another shape."""
    sections = re.split(r"^(?=## )", text, flags=re.MULTILINE)
    assert sections[0].startswith("# Changelog\n"), "the file starts with '# Changelog'"
    releases = []
    for index, section in enumerate(sections[1:]):
        heading, _, body = section.partition("\n")
        if heading == "## [Unreleased]":
            assert index == 0, "Unreleased comes first"
            continue
        match = RELEASE.match(heading)
        assert match, f"not a release heading: {heading!r}"
        releases.append((match["version"], datetime.date.fromisoformat(match["date"]), body))
    return releases


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_changelog_latest_release_is_pyprojects_version_and_history_goes_down():
    releases = changelog_releases((ROOT / "CHANGELOG.md").read_text())
    assert releases, "no release in CHANGELOG.md"
    assert releases[0][0] == VERSION
    versions = [_key(v) for v, _, _ in releases]
    dates = [d for _, d, _ in releases]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert dates == sorted(dates, reverse=True)
    for version, _, body in releases:
        kinds = re.findall(r"^### (.+)$", body, flags=re.MULTILINE)
        assert kinds and set(kinds) <= KINDS, (version, kinds)
        assert re.search(r"^- ", body, flags=re.MULTILINE), f"{version} lists no change"


def test_changelog_check_fails_on_a_wrong_shape():
    good = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-02\n\n### Added\n\n- x\n"
    assert [v for v, _, _ in changelog_releases(good)] == ["1.0.0"]
    for bad in (
        good.replace("## [1.0.0] - 2026-01-02", "## 1.0.0 (2026-01-02)"),
        good.replace("# Changelog", "# Changes"),
        "# Changelog\n\n## [1.0.0] - 2026-01-02\n\n- x\n\n## [Unreleased]\n",
    ):
        with pytest.raises(AssertionError):
            changelog_releases(bad)


# ---------------------------------------------------------------------------- CITATION.cff


def _schema() -> dict:
    return json.loads((SCHEMA_DIR / "schema-1.2.0.json").read_text())


def citation(text: str | None = None) -> dict:
    """CITATION.cff as the CFF tools read it: YAML, with dates as the ISO strings the schema expects."""
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text() if text is None else text)

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if isinstance(value, datetime.date) else value

    return plain(data)


def cff_errors(data: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(_schema(), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def test_the_vendored_schema_is_cff_1_2_0_with_its_licence():
    schema = _schema()
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    jsonschema.Draft7Validator.check_schema(schema)
    licence = (SCHEMA_DIR / "LICENSE-CC-BY-4.0.txt").read_text()
    assert licence.startswith("Creative Commons Attribution 4.0 International Public License")
    digest = hashlib.sha256((SCHEMA_DIR / "schema-1.2.0.json").read_bytes()).hexdigest()
    assert digest in (SCHEMA_DIR / "README.md").read_text(), "the README gives the copied file's SHA-256"


def test_citation_cff_is_valid_cff_1_2_0():
    assert cff_errors(citation()) == []


def test_the_schema_check_fails_on_invalid_citations():
    data = citation()
    for broken in (
        {k: v for k, v in data.items() if k != "authors"},
        {**data, "cff-version": "1.1.0"},
        {**data, "date-released": "6 December 2026"},
        {**data, "license": "Not-A-Licence"},
        {**data, "authors": [{"name": "The lrcore authors", "given-names": "x", "colour": "blue"}]},
    ):
        assert cff_errors(broken), broken


def test_citation_agrees_with_pyproject_changelog_and_config():
    data = citation()
    releases = changelog_releases((ROOT / "CHANGELOG.md").read_text())
    assert data["version"] == VERSION
    assert data["date-released"] == releases[0][1].isoformat()
    assert data["title"] == CONFIG["title"]
    assert data["license"] == PROJECT["license"]
    assert [a["name"] for a in data["authors"]] == [a["name"] for a in PROJECT["authors"]] == [CONFIG["author"]]
    assert data["repository-code"] == PROJECT["urls"]["Repository"] == CONFIG["repository"]["url"]
    assert data["url"] == PROJECT["urls"]["Documentation"]


# ---------------------------------------------------------------------------- the built site


def _site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site in {SITE}: run `make book` (or set LRBOOK_BUILD_DIR)")
    return SITE


def _sphinx_pages(site: Path) -> list[Path]:
    """Every page Sphinx wrote (not the theme's templates in _static, nor the downloads)."""
    skip = {"_static", "_downloads", "_sources", "_images"}
    return sorted(p for p in site.rglob("*.html") if not skip & set(p.relative_to(site).parts))


def test_every_page_of_the_built_site_shows_the_version_in_its_footer():
    site = _site()
    pages = _sphinx_pages(site)
    redirects = [p for p in pages if 'http-equiv="refresh"' in p.read_text().lower()]  # index.html -> book/intro
    assert [p.relative_to(site).as_posix() for p in redirects] == ["index.html"]
    checked = [p for p in pages if p not in redirects]
    assert len(checked) >= 20, [str(p) for p in pages]
    wrong = {str(p.relative_to(site)): footer_versions(p.read_text()) for p in checked}
    wrong = {page: found for page, found in wrong.items() if found != [footer_text(VERSION)]}
    assert wrong == {}


def published_wheel(site: Path) -> Path:
    wheels = sorted((site / "_downloads").glob("lrcore-*.whl"))
    assert [w.name for w in wheels] == [f"lrcore-{VERSION}-py3-none-any.whl"], "one wheel, of this version"
    return wheels[0]


def test_the_site_publishes_one_wheel_of_the_version():
    wheel = published_wheel(_site())
    with zipfile.ZipFile(wheel) as archive:
        assert f"\nVersion: {VERSION}\n" in archive.read(f"lrcore-{VERSION}.dist-info/METADATA").decode()


def test_every_notebook_of_the_site_states_and_installs_the_version():
    site = _site()
    wheel = published_wheel(site)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    chapters = sorted((site / "_downloads" / "notebooks").glob("*.ipynb"))
    students = sorted((site / "_downloads" / "student").glob("*.ipynb"))
    assert len(chapters) >= 17 and len(students) >= 1, (len(chapters), len(students))
    for path in [*chapters, *students]:
        notebook = nbformat.read(path, as_version=4)
        install = next(c for c in notebook.cells if c.cell_type == "code")
        assert "install" in install.metadata.get("tags", []), path.name
        lines = install.source.splitlines()
        assert lines[0].startswith(f"# lrcore {VERSION}, the book's package"), (path.name, lines[0])
        assert wheel.name in lines[1], path.name
        assert f"LRCORE_VERSION = {VERSION!r}\n" in install.source, path.name
        assert f"LRCORE_SHA256 = {digest!r}\n" in install.source, path.name
        about = notebook.metadata["lrcore_book"]["lrcore"]
        assert about["version"] == VERSION and about["sha256"] == digest and about["wheel"].endswith(wheel.name)
    for path in students:
        intro = nbformat.read(path, as_version=4).cells[0].source
        assert f"version {VERSION}" in intro and f"installs `lrcore` {VERSION}" in intro, path.name
