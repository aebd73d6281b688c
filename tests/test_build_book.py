"""``tools/build_book.py``: the parallel build's configuration."""

from __future__ import annotations

import sys

PARALLEL_EXTENSIONS = ["declare_parallel_safe", "one_document_per_task", "parallel_safe_cache"]


def test_the_parallel_extensions_come_first(build_book, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))  # the conf puts book/_ext on it
    conf = build_book.sphinx_conf(tmp_path).read_text()
    namespace: dict = {}
    exec(compile(conf, "conf.py", "exec"), namespace)  # the generated conf is valid Python
    assert namespace["extensions"][: len(PARALLEL_EXTENSIONS)] == PARALLEL_EXTENSIONS
    for name in PARALLEL_EXTENSIONS:
        assert (build_book.ROOT / "book" / "_ext" / f"{name}.py").is_file(), name


def test_every_build_declares_the_chapters_kernels(build_book, tmp_path, monkeypatch):
    """The parallel build and plain ``jupyter-book build`` both load chapter_kernels (_config.yml)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    namespace: dict = {}
    exec(compile(build_book.sphinx_conf(tmp_path).read_text(), "conf.py", "exec"), namespace)
    assert "chapter_kernels" in namespace["extensions"]
