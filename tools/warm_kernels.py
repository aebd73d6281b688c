"""Chapter kernels forked from a warm process, for the re-runs of strict nbval (issue 24).

**Why.** Before a chapter's first line of work, its kernel starts Python and ipykernel, then
imports PyTorch, scikit-learn, SciPy, pandas and matplotlib: about 3 s of CPU on the 2-core
machine. ``make test`` re-runs every chapter four times (``tools/check_reproducible.py``), so
that is 72 kernels and about 170 CPU-seconds spent importing the same files.

**How.** ``serve`` runs in one setting's environment, imports those libraries once (``PRELOAD``)
and waits on a Unix socket. The kernel that nbval starts is ``launch``: a small process that
uses the standard library only, started by jupyter_client as it would start ipykernel. It sends
the server its arguments (the connection file), its working directory, its environment and
its three standard streams; the server forks a child, and the child becomes the kernel:
ipykernel's own ``IPKernelApp``, in the launcher's folder, environment and streams.

**What is the same as a fresh kernel.** The kernel's namespace (a new IPython shell), its
environment, its working directory, and every library: the same files, imported in the same
environment. A variable that a library reads when it is imported (``IMPORT_TIME_VARIABLES``
and ``IMPORT_TIME_PREFIXES``: the thread counts, ``ATEN_CPU_CAPABILITY``, the hash seed,
pandas's and scikit-learn's own) must have the same value in the launcher as in the server, or
the server refuses the kernel; ``check_reproducible.py`` starts one server per setting, in that
setting's environment. The variables the imports set (scikit-learn sets two of OpenMP's) are
set again in the kernel, as its own import would have set them.

**What differs, and what catches it.** The libraries are already in ``sys.modules``: a chapter's
``import torch`` costs nothing, and what a library does when it is imported happened in the
server rather than in a cell. A chapter that used a submodule it never imported would run
here; the build, which executes every chapter in a fresh kernel, fails on it. What a library
decides by looking at where it is imported, it decides as in a kernel: pandas asks IPython
whether it runs in a Jupyter kernel (which shows 20 columns of a wide table, where a terminal
gets its width) and reads its display encoding from ``sys.stdout``; the server answers both as a
kernel does while it imports (``_as_in_a_kernel``), and a test compares all of pandas's options,
scikit-learn's configuration and those variables with a kernel started from nothing. Strict
nbval caught the first version, which imported pandas as a terminal's Python does: every wide
table printed at the terminal's width. matplotlib's inline backend hooks itself into the shell
it finds when it is imported, so it and pyplot are never preloaded (``NOT_PRELOADED``), and the
server refuses to start if an import loaded one.

**Lifetimes.** The kernel holds the launcher's connection. When the launcher ends (jupyter_client
kills it to stop the kernel), the kernel sees the connection close and exits at once. When the
kernel ends, the launcher reads its exit status and exits with it. When the process that started
the launcher ends, the launcher ends, as a fresh kernel does when its parent is gone. The signals the launcher
receives (an interrupt, a termination) are passed to the kernel. The server forks only while
it has one thread, so no lock is copied held (see ``serve`` for OpenBLAS's threads).

Usage (``check_reproducible.py`` does this): ``with warm_kernel_server(environment) as extra:``
then run nbval with ``extra`` in its environment; ``tests/nbval_book.py`` then starts each
chapter's kernel through ``launch``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

#: The environment variable that names the server's socket (``tests/nbval_book.py`` reads it).
SERVER_VARIABLE = "LRBOOK_WARM_KERNELS"
#: A warm server needs ``fork`` and Unix sockets (Linux, macOS, WSL). Without them (Windows)
#: ``warm_kernel_server`` starts nothing and every kernel starts from nothing, as the build's do.
SUPPORTED = hasattr(os, "fork") and hasattr(socket, "AF_UNIX")
#: Imported once by the server: what the chapters import, and ipykernel itself.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "torch",
    "numpy",
    "scipy.stats",
    "scipy.sparse",
    "scipy.optimize",
    "joblib",
    "threadpoolctl",
    "matplotlib",
    "pandas",
    "sklearn.calibration",
    "sklearn.datasets",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.preprocessing",
    "lrcore",
    "myst_nb",
)
#: Never imported by the server: matplotlib's inline backend hooks itself into the IPython shell
#: it finds when it is imported, and pyplot loads that backend.
NOT_PRELOADED = ("matplotlib.pyplot", "matplotlib_inline")
#: Read by a library when it is imported (or by Python when it starts), so a kernel forked from the
#: server has the server's values whatever its own environment says: they must agree.
IMPORT_TIME_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "ATEN_CPU_CAPABILITY",
    "PYTHONHASHSEED",
    "MPLBACKEND",
    "PYTHONPATH",
)
#: Prefixes of more such variables: pandas reads ``PANDAS_COPY_ON_WRITE`` and ``PANDAS_FUTURE_*``,
#: scikit-learn ``SKLEARN_ASSUME_FINITE``, ``SKLEARN_SEED`` and others, when they are imported.
IMPORT_TIME_PREFIXES = ("PANDAS_", "SKLEARN_")
_HEADER = struct.Struct("!I")
_STREAMS = (0, 1, 2)


def _send(connection: socket.socket, message: dict, fds: tuple[int, ...] = ()) -> None:
    payload = json.dumps(message).encode()
    header = _HEADER.pack(len(payload))
    if fds:
        socket.send_fds(connection, [header], list(fds))
    else:
        connection.sendall(header)
    connection.sendall(payload)


def _receive_exactly(connection: socket.socket, size: int, received: bytes = b"") -> bytes | None:
    while len(received) < size:
        chunk = connection.recv(size - len(received))
        if not chunk:
            return None
        received += chunk
    return received


def _receive(connection: socket.socket, max_fds: int = 0) -> tuple[dict | None, list[int]]:
    """One message and the file descriptors sent with it; ``None`` when the other end closed."""
    if max_fds:
        header, fds, _flags, _address = socket.recv_fds(connection, _HEADER.size, max_fds)
    else:
        header, fds = connection.recv(_HEADER.size), []
    header = _receive_exactly(connection, _HEADER.size, header) if header else None
    if header is None:
        return None, fds
    payload = _receive_exactly(connection, _HEADER.unpack(header)[0])
    return (json.loads(payload) if payload is not None else None), fds


def launch(server: str, kernel_argv: list[str]) -> int:
    """The kernel's process as jupyter_client sees it: have the server fork the kernel, then mirror it."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(server)
    request = {"argv": kernel_argv, "cwd": os.getcwd(), "env": dict(os.environ), "executable": sys.executable}
    _send(connection, request, _STREAMS)
    reply, _ = _receive(connection)
    if reply is None or "error" in reply:
        why = reply["error"] if reply else "the server closed the connection"
        print(f"warm kernel refused: {why}", file=sys.stderr)
        return 1
    pid = reply["pid"]

    def forward(signum: int, _frame) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    status = 1  # the kernel ended without saying how (killed by a signal)
    while True:
        message, _ = _receive(connection)
        if message is None:
            return status
        status = message.get("exit", status)


def _exit_with_parent(parent: int) -> None:
    """In the launcher: end (and so end the kernel) once the process that started it is gone.

    A kernel started from nothing does the same (ipykernel's parent poller, which watches
    ``JPY_PARENT_PID``); a client that never shuts its kernels down (nbclient given a kernel
    manager of its own) leaves none behind when it exits.
    """
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _exit_with_launcher(connection: socket.socket) -> None:
    """In the kernel: end the process once the launcher's end of the connection closes."""
    try:
        while connection.recv(1):
            pass
    finally:
        os._exit(1)


def _become_kernel(connection: socket.socket, request: dict, streams: list[int], added: Mapping[str, str]) -> int:
    """In the forked child: take the launcher's streams, folder and environment, then run ipykernel."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own subprocesses
    for target, fd in zip(_STREAMS, streams, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for name, value in added.items():  # as the imports set them: only where the launcher did not
        os.environ.setdefault(name, value)
    if sys.path and sys.path[0] == str(Path(__file__).resolve().parent):
        del sys.path[0]  # this script's folder; ipykernel_launcher removes its own first entry too
    import random
    import tempfile

    random.seed()  # as a new process seeds it, not a copy of the server's state
    tempfile.tempdir = None  # found again from this environment's TMPDIR, not the server's
    _send(connection, {"pid": os.getpid()})
    threading.Thread(target=_exit_with_launcher, args=(connection,), daemon=True, name="launcher-watch").start()
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = ["ipykernel_launcher", *request["argv"]]
    IPKernelApp.launch_instance(argv=request["argv"])
    return 0


def _jupyter_shell() -> object:
    """What a library that asks ``get_ipython()`` while the server imports it learns: a Jupyter kernel's shell."""
    return types.SimpleNamespace(kernel=None)


@contextmanager
def _as_in_a_kernel() -> Iterator[None]:
    """While the server imports: what a library that looks where it is imported finds in a kernel.

    A chapter imports its libraries in a Jupyter kernel, and pandas looks twice when it is imported:
    it asks ``get_ipython()`` whether it is in a kernel (a kernel's shell has a ``kernel``; it then
    shows 20 columns of a wide table, where a terminal's Python gets the terminal's width), and it
    takes its display encoding from ``sys.stdout``, which in a kernel is ipykernel's stream
    (``"UTF-8"``). ``test_warm_kernels.py`` compares all of pandas's options with a fresh kernel's.
    """
    import builtins

    streams = sys.stdout, sys.stderr
    kernel_stream = io.TextIOWrapper(sys.__stderr__.buffer, encoding="UTF-8", line_buffering=True)
    builtins.get_ipython = _jupyter_shell
    sys.stdout = sys.stderr = kernel_stream
    try:
        yield
    finally:
        sys.stdout, sys.stderr = streams
        del builtins.get_ipython
        kernel_stream.flush()
        kernel_stream.detach()  # stderr's buffer stays open


def _refusal(request: dict, environment: Mapping[str, str]) -> str | None:
    """Why the server cannot give this launcher a kernel, if it cannot."""
    if request.get("executable") != sys.executable:
        return f"the launcher runs {request.get('executable')}, the server {sys.executable}"
    wanted = request.get("env", {})
    prefixed = {name for name in (*wanted, *environment) if name.startswith(IMPORT_TIME_PREFIXES)}
    differ = [
        f"{name}={wanted.get(name)!r} (the server has {environment.get(name)!r})"
        for name in (*IMPORT_TIME_VARIABLES, *sorted(prefixed))
        if wanted.get(name) != environment.get(name)
    ]
    if differ:
        return "read when the libraries are imported, so start a server with these values: " + ", ".join(differ)
    return None


def _thread_count() -> int:
    tasks = Path("/proc/self/task")
    return len(list(tasks.iterdir())) if tasks.is_dir() else threading.active_count()


def serve(path: str, preload: tuple[str, ...] = PRELOAD) -> None:
    """Import ``preload``, then fork a kernel for every launcher that connects to ``path``."""
    import importlib

    environment = dict(os.environ)  # before matplotlib's backend is set below
    # ipykernel sets this before a chapter imports matplotlib; matplotlib reads it when imported.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    with _as_in_a_kernel():
        for name in preload:
            importlib.import_module(name)
    # What the imports added to the environment (scikit-learn sets two OpenMP variables), which
    # a kernel gets again after it takes its launcher's environment, as if it had imported them.
    added = {name: value for name, value in os.environ.items() if name not in environment}
    looked = sorted(name for name in NOT_PRELOADED if name in sys.modules)
    if looked:
        print(f"not ready: the imports loaded {', '.join(looked)}, which must be imported in the kernel", flush=True)
        sys.exit(1)
    # With several threads, OpenBLAS (NumPy's and SciPy's) starts its pool when it is loaded, and
    # ends it before every fork (pthread_atfork), to start it again at its next call: a first fork
    # ends those pools here. A thread still alive after it would leave its locks held in a kernel.
    probe = os.fork()
    if probe == 0:
        os._exit(0)
    os.waitpid(probe, 0)
    if _thread_count() != 1:
        print(f"not ready: {_thread_count()} threads after the imports; a fork would copy their locks", flush=True)
        sys.exit(1)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernels are reaped as they end
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    while True:
        connection, _ = listener.accept()
        request, streams = _receive(connection, max_fds=len(_STREAMS))
        refusal = "an incomplete request" if request is None or len(streams) != len(_STREAMS) else None
        refusal = refusal or _refusal(request, environment)
        if refusal:
            _send(connection, {"error": refusal})
        elif os.fork() == 0:
            status = 1
            try:
                listener.close()
                status = _become_kernel(connection, request, streams, added)
                _send(connection, {"exit": status})
            except BaseException:
                import traceback

                traceback.print_exc()  # on the launcher's stderr
            finally:
                os._exit(status)
        for fd in streams:
            os.close(fd)
        connection.close()


@contextmanager
def warm_kernel_server(
    environment: Mapping[str, str], preload: Iterable[str] = PRELOAD, python: str | os.PathLike = sys.executable
) -> Iterator[dict[str, str]]:
    """A server run by ``python`` in ``environment``; yields the variables that make nbval's kernels come from it.

    Where forking is not ``SUPPORTED``, it starts nothing and yields no variable: the kernels start from nothing.
    """
    if not SUPPORTED:
        yield {}
        return
    folder = tempfile.mkdtemp(prefix="lrw-")  # short: a Unix socket's path has about 100 bytes
    path = str(Path(folder) / "s")
    server = subprocess.Popen(
        [str(python), str(Path(__file__).resolve()), "serve", path, *preload],
        env=dict(environment), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = server.stdout.readline().strip()
        if line != "ready":
            server.kill()
            why = line or f"it exited with {server.wait()}"
            raise RuntimeError(f"the warm kernel server did not start: {why}")
        yield {SERVER_VARIABLE: path}
    finally:
        server.terminate()
        server.wait()
        server.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)


def kernel_argv(server: str | None, python: str | os.PathLike = sys.executable) -> list[str]:
    """The kernel spec's command line: the launcher, which jupyter_client starts as the kernel.

    ``server``: the socket (``SERVER_VARIABLE`` of what ``warm_kernel_server`` yields); ``python``
    must be the server's, since a kernel runs in the interpreter of the process it is forked from.
    Without a server (None), ipykernel's own command line: a kernel started from nothing.
    """
    if server is None:
        return [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return [str(python), str(Path(__file__).resolve()), "launch", server, "-f", "{connection_file}"]


def write_kernel_spec(kernels: Path, name: str, argv: list[str]) -> Path:
    """The kernel spec ``name`` that starts ``argv``: ``kernels/name/kernel.json``, returned.

    ``kernels`` is a ``KernelSpecManager``'s kernel folder; under a ``JUPYTER_PATH`` entry it is
    ``<entry>/kernels``, and a spec named ``python3`` there comes before ipykernel's own.
    """
    spec = kernels / name / "kernel.json"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(json.dumps({"argv": argv, "display_name": name, "language": "python"}))
    return spec


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "serve":
        serve(argv[1], tuple(argv[2:]) or PRELOAD)
        return 0
    if len(argv) >= 2 and argv[0] == "launch":
        return launch(argv[1], argv[2:])
    print("usage: warm_kernels.py serve SOCKET [MODULE ...] | launch SOCKET -f CONNECTION_FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
