"""The first cell of every notebook the site offers installs exactly the lrcore the book was built with.

The cell is made by ``book/_ext/notebook_downloads.py`` (``install_cell_source``, the function that
writes the first cell of every chapter notebook, which the exercise notebooks copy) and runs here
as a reader's kernel would run it, in a throwaway virtual environment, against lrcore's wheel as
the extension builds it (``build_wheel``), served by ``http.server`` on 127.0.0.1 at the address
the cell was written for:

- a wheel with one byte changed, under the same name, is refused with pip's own hash error, the
  cell says so in its last line, and nothing is installed;
- the genuine wheel installs;
- an lrcore of another version is replaced; one of this book's version is left alone;
- without a published address the cell installs the wheel beside the notebook, or says it has none;
- the same sources give the same wheel, byte for byte.

pip never reaches the network: ``PIP_NO_INDEX`` and ``PIP_NO_DEPS`` (the cells here pin no other
package; the chapters' pins are checked on every offered notebook by tests/browser/test_notebooks.py,
which also runs every chapter in a fresh environment), and the proxies skip 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import http.server
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import lrcore

ROOT = Path(__file__).resolve().parents[1]
# One throwaway environment for the module: its tests go to one pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("install-cell")
TIMEOUT = 300  # seconds, for any one subprocess


def _load_extension():
    path = ROOT / "book" / "_ext" / "notebook_downloads.py"
    spec = importlib.util.spec_from_file_location("notebook_downloads_install_cell", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


extension = _load_extension()
VERSION = extension.project(ROOT / "pyproject.toml")["version"]
WHEEL = extension.wheel_name(VERSION)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> Path:
    """lrcore's wheel, built as the book builds it."""
    return extension.build_wheel(ROOT, tmp_path_factory.mktemp("genuine"))


@pytest.fixture(scope="module")
def tampered(genuine, tmp_path_factory) -> Path:
    """The genuine wheel with one byte changed, under the same name."""
    data = bytearray(genuine.read_bytes())
    data[len(data) // 2] ^= 0x01
    path = tmp_path_factory.mktemp("tampered") / genuine.name
    path.write_bytes(bytes(data))
    return path


def _fake_wheel(folder: Path, version: str) -> Path:
    """A minimal wheel named lrcore, of ``version``, whose ``lrcore.__version__`` says so."""
    files = {
        "lrcore/__init__.py": f'__version__ = "{version}"\nFAKE = True\n',
        f"lrcore-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: lrcore\nVersion: {version}\n",
        f"lrcore-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
        f"{len(text.encode())}"
        for name, text in files.items()
    ]
    files[f"lrcore-{version}.dist-info/RECORD"] = "\n".join([*record, f"lrcore-{version}.dist-info/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / extension.wheel_name(version)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


# ---------------------------------------------------------------------------- the reader's side


def _environment() -> dict[str, str]:
    """This process's environment without the book's .venv, pip kept off the network."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "LRCORE_WHEEL") and not k.startswith("PIP_")
    }
    bin_dir = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join(p for p in environment.get("PATH", "").split(os.pathsep) if p != bin_dir)
    environment.update(
        PIP_NO_INDEX="1",
        PIP_NO_DEPS="1",
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return environment


@pytest.fixture(scope="module")
def python(tmp_path_factory) -> Path:
    """A throwaway virtual environment (with pip, without lrcore)."""
    folder = tmp_path_factory.mktemp("reader") / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(folder)], check=True, timeout=TIMEOUT, env=_environment())
    return folder / "bin" / "python"


def _pip(python: Path, *arguments: str) -> None:
    subprocess.run(
        [python, "-m", "pip", *arguments], check=True, capture_output=True, timeout=TIMEOUT, env=_environment()
    )


def _installed(python: Path) -> dict | None:
    """The lrcore of the environment: its version and whether it is the fake, or None."""
    code = (
        "import importlib.metadata, json, pathlib, sys\n"
        "try:\n    version = importlib.metadata.version('lrcore')\n"
        "except importlib.metadata.PackageNotFoundError:\n    print('null'); sys.exit()\n"
        "files = importlib.metadata.files('lrcore')\n"
        "init = next(f for f in files if str(f) == 'lrcore/__init__.py').locate()\n"
        "print(json.dumps({'version': version, 'fake': 'FAKE = True' in pathlib.Path(init).read_text(),"
        " 'init': str(pathlib.Path(init).resolve())}))\n"
    )
    result = subprocess.run(
        [python, "-c", code], check=True, capture_output=True, text=True, timeout=TIMEOUT, env=_environment(),
        cwd=python.parent,
    )  # fmt: skip
    import json

    return json.loads(result.stdout)


def _fresh(python: Path) -> None:
    """The environment without any lrcore."""
    _pip(python, "uninstall", "--yes", "--quiet", "lrcore")
    assert _installed(python) is None


def _run_cell(python: Path, source: str, cwd: Path, **environment: str) -> subprocess.CompletedProcess:
    """The cell run as a script by the environment's Python, in ``cwd`` (the notebook's folder)."""
    cwd.mkdir(parents=True, exist_ok=True)
    script = cwd.parent / "first_cell.py"
    script.write_text(source)
    return subprocess.run(
        [python, str(script)], capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
        env={**_environment(), **environment},
    )  # fmt: skip


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the base class's signature
        pass


@contextlib.contextmanager
def _site(wheel: Path, folder: Path) -> Iterator[str]:
    """A site whose ``_downloads/`` holds ``wheel``, served on 127.0.0.1; yields its base URL."""
    (folder / "_downloads").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wheel, folder / "_downloads" / wheel.name)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            thread.join(timeout=10)


def _published_cell(base: str, genuine: Path) -> str:
    """The first cell of a notebook of a site published at ``base``, for the book's genuine wheel."""
    return extension.install_cell_source(f"{base}_downloads/{WHEEL}", _digest(genuine), VERSION, [], [])


# ---------------------------------------------------------------------------- the tests


def test_lrcore_knows_its_version():
    assert lrcore.__version__ == VERSION


def test_the_same_sources_give_the_same_wheel(tmp_path):
    """Built twice from one copy of the sources (the tree may change meanwhile), whose files'
    times and modes change in between: the same bytes."""
    snapshot = tmp_path / "source"
    snapshot.mkdir()
    for name in extension.WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, snapshot / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, snapshot / name)
    first = extension.build_wheel(snapshot, tmp_path / "first")
    for path in (snapshot / "lrcore").rglob("*.py"):
        os.utime(path, (1.9e9, 1.9e9))
        path.chmod(0o600)
    second = extension.build_wheel(snapshot, tmp_path / "second")
    assert first.name == second.name == WHEEL
    assert first.read_bytes() == second.read_bytes()


def test_a_rebuild_keeps_the_wheel_whose_sources_did_not_change(tmp_path):
    """The key of the sources spares an incremental book build the wheel's build; a changed wheel is rebuilt."""
    snapshot = tmp_path / "source"
    shutil.copytree(ROOT / "lrcore", snapshot / "lrcore", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, snapshot / name)
    key = tmp_path / "doctrees" / "lrcore-wheel.key"
    wheel = extension.build_wheel(snapshot, tmp_path / "site", key)
    built = wheel.read_bytes()
    wheel.write_bytes(b"not a wheel")
    assert extension.build_wheel(snapshot, tmp_path / "site", key).read_bytes() == built
    stamp = wheel.stat().st_mtime_ns
    assert extension.build_wheel(snapshot, tmp_path / "site", key).stat().st_mtime_ns == stamp
    (snapshot / "lrcore" / "model.py").write_text((snapshot / "lrcore" / "model.py").read_text() + "\n# changed\n")
    assert extension.build_wheel(snapshot, tmp_path / "site", key).read_bytes() != built


def test_a_tampered_wheel_is_refused_with_pips_hash_error(python, genuine, tampered, tmp_path):
    _fresh(python)
    assert tampered.name == genuine.name and tampered.stat().st_size == genuine.stat().st_size
    assert _digest(tampered) != _digest(genuine)
    with _site(tampered, tmp_path / "site") as base:
        result = _run_cell(python, _published_cell(base, genuine), tmp_path / "reader")
    assert result.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr  # pip's own error
    assert f"Expected sha256 {_digest(genuine)}" in result.stderr and f"Got        {_digest(tampered)}" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    expected = f"RuntimeError: Refused {base}_downloads/{WHEEL}: not the lrcore wheel this book was built with"
    assert last.startswith(expected), last
    assert _installed(python) is None, "nothing was installed"


def test_the_genuine_wheel_installs(python, genuine, tmp_path):
    _fresh(python)
    with _site(genuine, tmp_path / "site") as base:
        result = _run_cell(python, _published_cell(base, genuine), tmp_path / "reader")
    assert result.returncode == 0, result.stderr
    installed = _installed(python)
    assert installed["version"] == VERSION and not installed["fake"]
    assert installed["init"].startswith(str(python.parents[1]))
    with zipfile.ZipFile(genuine) as archive:
        assert Path(installed["init"]).read_bytes() == archive.read("lrcore/__init__.py")


def test_another_version_of_lrcore_is_replaced(python, genuine, tmp_path):
    _fresh(python)
    _pip(python, "install", "--quiet", str(_fake_wheel(tmp_path / "old", "0.0.9")))
    assert _installed(python)["version"] == "0.0.9"
    with _site(genuine, tmp_path / "site") as base:
        result = _run_cell(python, _published_cell(base, genuine), tmp_path / "reader")
    assert result.returncode == 0, result.stderr
    assert "Installed, but lrcore were loaded before: restart the kernel" in result.stdout
    installed = _installed(python)
    assert installed["version"] == VERSION and not installed["fake"]


def test_lrcore_of_this_version_is_left_alone(python, genuine, tmp_path):
    """Where `import lrcore` gives this book's version (and the notebook imports nothing else), pip never runs."""
    _fresh(python)
    _pip(python, "install", "--quiet", str(_fake_wheel(tmp_path / "same", VERSION)))
    # No server: a pip run would fail to fetch the wheel.
    cell = extension.install_cell_source(f"http://127.0.0.1:9/_downloads/{WHEEL}", _digest(genuine), VERSION, [], [])
    result = _run_cell(python, cell, tmp_path / "reader")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert _installed(python)["fake"]


def test_without_an_address_the_wheel_beside_the_notebook_is_installed(python, genuine, tampered, tmp_path):
    """A local build's notebook, where it lies in the site (``_downloads/notebooks/``, the wheel in ``..``)."""
    cell = extension.install_cell_source(None, _digest(genuine), VERSION, [], [])
    assert cell.splitlines()[4].startswith("# A local build of the book (no published address)")
    site = tmp_path / "html" / "_downloads"
    notebooks = site / "notebooks"
    _fresh(python)
    result = _run_cell(python, cell, notebooks)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"FileNotFoundError: No lrcore wheel: put {WHEEL} (the book's _downloads/) beside this notebook."
    )
    shutil.copyfile(tampered, site / WHEEL)
    result = _run_cell(python, cell, notebooks)
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr
    assert "RuntimeError: Refused file://" in result.stderr
    assert _installed(python) is None
    shutil.copyfile(genuine, site / WHEEL)
    result = _run_cell(python, cell, notebooks)
    assert result.returncode == 0, result.stderr
    assert _installed(python)["version"] == VERSION
    # $LRCORE_WHEEL (a path) is checked the same way.
    _fresh(python)
    result = _run_cell(python, cell, tmp_path / "elsewhere", LRCORE_WHEEL=str(tampered))
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr and _installed(python) is None
