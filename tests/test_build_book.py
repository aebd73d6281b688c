"""``tools/build_book.py``: the parallel build's configuration and its kernels' threads."""

from __future__ import annotations

import sys

import pytest

PARALLEL_EXTENSIONS = ["declare_parallel_safe", "one_document_per_task", "parallel_safe_cache"]


def test_the_parallel_extensions_come_first(build_book, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))  # the conf puts book/_ext on it
    conf = build_book.sphinx_conf(tmp_path).read_text()
    namespace: dict = {}
    exec(compile(conf, "conf.py", "exec"), namespace)  # the generated conf is valid Python
    assert namespace["extensions"][: len(PARALLEL_EXTENSIONS)] == PARALLEL_EXTENSIONS
    for name in PARALLEL_EXTENSIONS:
        assert (build_book.ROOT / "book" / "_ext" / f"{name}.py").is_file(), name


@pytest.mark.parametrize(
    ("cores", "jobs", "threads"),
    [(2, "2", "1"), (8, "2", "4"), (8, "3", "2"), (2, "4", "1"), (4, "auto", "1"), (1, "2", "1")],
)
def test_kernels_share_the_cores(build_book, monkeypatch, cores, jobs, threads):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(build_book.os, "cpu_count", lambda: cores)
    environment = build_book.kernel_environment(jobs)
    assert environment["OMP_NUM_THREADS"] == threads
    assert environment["PATH"] == build_book.os.environ["PATH"]  # the rest is passed on


def test_a_thread_count_set_by_the_caller_is_kept(build_book, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert build_book.kernel_environment("2")["OMP_NUM_THREADS"] == "3"
