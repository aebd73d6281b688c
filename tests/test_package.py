"""lrcore as a real package: ``python -m build`` gives a wheel and an sdist that ``twine check``
passes, named with the version of ``pyproject.toml`` (the one the notebooks' first cell installs,
book/_ext/notebook_downloads.py), and the wheel holds every module of ``lrcore/``.

Built without build isolation (the pinned setuptools of the environment), so that the test
needs no network; ``make book`` builds the site's wheel the same way.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_build_gives_a_wheel_and_an_sdist_that_twine_check_passes(tmp_path):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = project["version"]
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = tmp_path / f"lrcore-{version}-py3-none-any.whl"
    sdist = tmp_path / f"lrcore-{version}.tar.gz"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([wheel.name, sdist.name])
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"lrcore-{version}.dist-info/METADATA").decode()
    assert {f"lrcore/{p.name}" for p in (ROOT / "lrcore").glob("*.py")} <= names
    assert not any(name.startswith(("tests/", "book/", "tools/")) for name in names)
    assert f"Version: {version}\n" in metadata
    for dependency in project["dependencies"]:
        assert f"Requires-Dist: {dependency}\n" in metadata
