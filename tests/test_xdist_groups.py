"""``--dist loadgroup`` keeps a group on one worker under the pinned pytest and pytest-xdist.

A small suite in a temporary folder: a module whose eight tests share a module-scoped fixture,
grouped as tests/conftest.py groups them, beside eight ungrouped tests collected before it. Run
over two workers as the Makefile runs them, the fixture must be made once, the group's tests must
all run where it was made, and first there (a group is the longest unit of work: started last,
it ran alone at the end).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = '''
import sys
import pytest
sys.path.insert(0, {tests!r})
from xdist_groups import suffix_groups

def pytest_collection_modifyitems(config, items):
    for item in items:
        if "costly" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("costly"))
    suffix_groups(config, items)
'''

GROUPED = '''
import os, time
import pytest

@pytest.fixture(scope="module")
def costly():
    with open("made.txt", "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")

@pytest.mark.parametrize("i", range(8))
def test_grouped(costly, i):
    with open("ran.txt", "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + " grouped\\n")
    time.sleep(0.05)
'''

FREE = '''
import os, time
import pytest

@pytest.mark.parametrize("i", range(8))
def test_free(i):
    with open("ran.txt", "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + " free\\n")
    time.sleep(0.05)
'''


def test_a_group_runs_on_one_worker_and_makes_its_fixture_once(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST.format(tests=str(ROOT / "tests")))
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_a_free.py").write_text(FREE)  # collected first
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
         "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder", "-q", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "16 passed" in result.stdout
    made = (tmp_path / "made.txt").read_text().split()
    assert len(made) == 1, f"the module fixture was made on {made}"
    ran = [line.split() for line in (tmp_path / "ran.txt").read_text().splitlines()]
    grouped = [worker for worker, kind in ran if kind == "grouped"]
    assert grouped == made * 8
    on_that_worker = [kind for worker, kind in ran if worker == made[0]]
    assert on_that_worker[:8] == ["grouped"] * 8, f"the group did not run first on its worker: {on_that_worker}"
