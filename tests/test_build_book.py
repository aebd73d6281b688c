"""``tools/build_book.py``: what it runs, and the configuration it generates for the site without solutions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def _exec_conf(conf: Path) -> dict:
    namespace: dict = {}
    exec(compile(conf.read_text(), "conf.py", "exec"), namespace)  # the generated conf is valid Python
    return namespace


def test_the_hidden_solutions_conf_keeps_the_books_kernels_and_drops_the_solutions(build_book, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))  # the conf puts book/_ext and tools on it
    conf = _exec_conf(build_book.sphinx_conf(tmp_path, hide_solutions=True))
    # What every build loads (_config.yml): the declared kernels, the parallel execution.
    assert {"chapter_kernels", "parallel_execution", "lrcore_cache_key"} <= set(conf["extensions"])
    assert "notebook_downloads" not in conf["extensions"] and "hide_gated_solutions" in conf["extensions"]
    assert conf["hide_solutions"] is True and conf["html_copy_source"] is False
    assert conf["nb_execution_cache_path"] == str(build_book.BUILD / ".jupyter_cache")


@pytest.mark.parametrize(
    ("arguments", "jobs", "path_output"),
    [
        ([], None, None),
        (["--serial"], "1", None),
        (["--jobs", "3"], "3", None),
        (["--build-dir", "/tmp/elsewhere/_build"], None, "/tmp/elsewhere"),
    ],
)
def test_the_default_build_is_plain_jupyter_book(build_book, monkeypatch, arguments, jobs, path_output):
    calls = []
    monkeypatch.setattr(build_book.subprocess, "run", lambda command, **kw: calls.append((command, kw)) or _Done())
    monkeypatch.setattr(sys, "argv", ["build_book.py", *arguments])
    monkeypatch.delenv("LRBOOK_EXECUTION_JOBS", raising=False)
    assert build_book.main() == 0
    ((command, kwargs),) = calls
    assert command[1:] == ["build", str(build_book.ROOT), "-W", "-n", "--keep-going"] + (
        ["--path-output", path_output] if path_output else []
    )
    assert kwargs["env"].get("LRBOOK_EXECUTION_JOBS") == jobs


def test_a_build_dir_must_be_named_like_jupyter_books(build_book, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["build_book.py", "--build-dir", "/tmp/site"])
    with pytest.raises(SystemExit, match="--build-dir must end in _build"):
        build_book.main()


class _Done:
    returncode = 0
