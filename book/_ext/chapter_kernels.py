"""How the chapters' kernels run: in one declared environment, and over Unix sockets.

Every path that executes the chapters loads this module: the build (a local extension in
``_config.yml``, so ``jupyter-book build .`` and ``tools/build_book.py`` alike), strict nbval
(``tests/nbval_book.py``) and the tests that execute notebooks. It does two things.

**One declared environment.** ``ENVIRONMENT`` below is what a chapter's kernel runs with: one
thread for PyTorch, OpenMP, OpenBLAS and MKL, and a fixed hash seed. The kernels inherit it
from the process that starts them. A value set by the caller wins (``setdefault``), so that
``tools/check_reproducible.py`` can re-run the chapters with 2 or 4 threads, or with
``ATEN_CPU_CAPABILITY=default``, and prove that what a chapter shows does not depend on it.
One thread is also the fastest setting for the parallel build, where two kernels share two
cores.

**Kernels that cannot collide.** jupyter_client picks TCP ports for a new kernel by binding
port 0 and closing the socket again; the kernel binds them a moment later. Two processes that
start kernels at the same moment (the parallel build does) can be handed the same port, and
one kernel dies with ``ZMQError: Address already in use``. Over the IPC transport a kernel's
five channels are Unix sockets named ``<prefix>-1`` ... ``<prefix>-5``; here each kernel gets
a prefix in a fresh private temporary folder, so no two kernels can ever share a name, in
this process or any other. It also ends ipykernel's warning that the kernel "is running over
TCP without encryption". Windows has no IPC transport in ZeroMQ: there kernels stay on TCP
(the README recommends WSL).

The switch is made where every kernel manager is born (``KernelManager.__init__``), so it
reaches nbclient (myst-nb, jupyter-cache) and nbval alike, and only a kernel manager that was
not given a connection file or a transport of its own. The folder goes when the kernel is shut
down (``KernelManager._async_cleanup_resources``, which jupyter_client calls from every
shutdown, sync or async, after removing the socket files, and which nbclient calls again,
as ``cleanup_resources``, after a kernel that died), and at the latest with the manager:
the process that started the kernel may end without running a finalizer (the build's forked
workers and pytest-xdist's end with ``os._exit``), and each chapter left an empty ``lrk-*``
folder behind before (issue 22).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import MutableMapping
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_client.utils import run_sync

#: The environment a chapter's kernel runs in (caller's values win; see the module docstring).
ENVIRONMENT: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}
#: Variables that set a thread count, for tools that vary it.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
IPC_SUPPORTED = os.name == "posix"
_original_init = KernelManager.__init__
_original_cleanup = KernelManager._async_cleanup_resources
#: Each IPC kernel manager's folder remover (a ``weakref.finalize``: it runs once, at shutdown or with the manager).
_FOLDER_REMOVERS: weakref.WeakKeyDictionary[KernelManager, weakref.finalize] = weakref.WeakKeyDictionary()


def apply_environment(environ: MutableMapping[str, str] | None = None) -> None:
    """Add ``ENVIRONMENT`` to ``environ`` (default ``os.environ``), keeping values already set."""
    environ = os.environ if environ is None else environ
    for name, value in ENVIRONMENT.items():
        environ.setdefault(name, value)


def use_ipc(manager: KernelManager) -> None:
    """Put ``manager``'s kernel on Unix sockets in a private folder, removed with the manager."""
    chosen = manager.connection_file or manager.trait_has_value("transport") or manager.trait_has_value("ip")
    if not IPC_SUPPORTED or chosen:
        return
    # Short: a Unix socket path has room for about 100 bytes (104 on macOS).
    folder = tempfile.mkdtemp(prefix="lrk-")
    manager.transport = "ipc"
    manager.ip = str(Path(folder) / "k")
    _FOLDER_REMOVERS[manager] = weakref.finalize(manager, shutil.rmtree, folder, True)


def _init_with_ipc(self: KernelManager, *args, **kwargs) -> None:
    _original_init(self, *args, **kwargs)
    use_ipc(self)


async def _cleanup_and_remove_folder(self: KernelManager, restart: bool = False) -> None:
    """jupyter_client's clean-up after a shutdown, then the kernel's IPC folder (kept for a restart)."""
    await _original_cleanup(self, restart=restart)
    remover = _FOLDER_REMOVERS.get(self)
    if remover is not None and not restart:
        remover()  # the folder now; a finalizer runs once, so not again with the manager


def install() -> None:
    """Declared environment and IPC kernels for every kernel this process starts from now on."""
    apply_environment()
    if KernelManager.__init__ is not _init_with_ipc:
        KernelManager.__init__ = _init_with_ipc
        KernelManager._async_cleanup_resources = _cleanup_and_remove_folder
        KernelManager.cleanup_resources = run_sync(_cleanup_and_remove_folder)
        AsyncKernelManager.cleanup_resources = _cleanup_and_remove_folder


def setup(app) -> dict:
    install()
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
