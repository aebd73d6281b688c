"""Kernels forked from a warm server (``tools/warm_kernels.py``), as strict nbval's re-runs use them.

Each test starts a server with a small preload (the standard library's ``json`` and ``decimal``,
not PyTorch: what is tested is the forking, not the libraries) and talks to kernels through
jupyter_client, as nbval does: the kernel is ipykernel in the launcher's folder and environment,
a figure shows inline, an interrupt and a shutdown reach it, a killed launcher takes its kernel
with it, and a launcher whose import-time settings differ from the server's gets no kernel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import warm_kernels  # noqa: E402

#: The tests of the server itself; the fallback's tests (at the end) run everywhere.
needs_fork = pytest.mark.skipif(not warm_kernels.SUPPORTED, reason="fork and Unix sockets: POSIX only")
#: Under pytest-xdist, one group, so sent first (tests/xdist_groups.py): each test starts a server
#: or kernels and waits on them (about 15 s in all). Last in collection order, they had ended
#: `make unit` on one worker while the other had nothing left.
pytestmark = pytest.mark.xdist_group("warm-kernels")
PRELOAD = ("json", "decimal")


@pytest.fixture
def server(monkeypatch, tmp_path):
    monkeypatch.setenv("LRBOOK_ONLY_IN_THE_LAUNCHER", "no")  # the server's value; a kernel must see the launcher's
    # A module that finds the temporary folder when imported, as a library may: the server's.
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "finds_tmp.py").write_text("import tempfile\nFOUND = tempfile.gettempdir()\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "modules"))
    with warm_kernels.warm_kernel_server(dict(os.environ), preload=(*PRELOAD, "finds_tmp")) as extra:
        yield extra[warm_kernels.SERVER_VARIABLE]
    assert not Path(extra[warm_kernels.SERVER_VARIABLE]).parent.exists(), "the server's folder was left behind"


def kernel_manager(server: str | None, kernels: Path) -> KernelManager:
    """A manager of the kernel spec ``warm_kernels.kernel_argv(server)`` (None: a kernel from nothing)."""
    warm_kernels.write_kernel_spec(kernels, "warm", warm_kernels.kernel_argv(server))
    return KernelManager(kernel_name="warm", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))


@contextmanager
def running(manager: KernelManager, folder: Path, now: bool = False, **start):
    """``manager``'s kernel started in ``folder`` and its ready client; shut down after (``now``: killed)."""
    manager.start_kernel(cwd=str(folder), **start)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=now)


def run(client, code: str, timeout: float = 60) -> dict:
    """Execute ``code``; its reply and the outputs it sent, by type."""
    outputs: dict[str, list] = {}

    def keep(message):
        outputs.setdefault(message["header"]["msg_type"], []).append(message["content"])

    reply = client.execute_interactive(code, timeout=timeout, output_hook=keep)
    return {"reply": reply["content"], **outputs}


def stdout(result: dict) -> str:
    return "".join(part["text"] for part in result.get("stream", []) if part["name"] == "stdout")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(")")[-1].split()[0] == "Z")


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def fresh_kernel_path(folder: Path) -> list[str]:
    """``sys.path`` in a kernel started from nothing in ``folder``, as the build starts one."""
    with running(KernelManager(kernel_name="python3"), folder) as client:
        return json.loads(stdout(run(client, "import json, sys; print(json.dumps(sys.path))")))


@needs_fork
def test_a_forked_kernel_runs_in_the_launchers_folder_and_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LRBOOK_ONLY_IN_THE_LAUNCHER", "yes")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))  # the server has found its temporary folder already
    manager = kernel_manager(server, tmp_path / "kernels")
    with running(manager, tmp_path) as client:
        result = run(
            client,
            "import os, sys, json\n"
            "print(json.dumps({'cwd': os.getcwd(), 'env': os.environ.get('LRBOOK_ONLY_IN_THE_LAUNCHER'),"
            " 'preloaded': 'decimal' in sys.modules, 'pid': os.getpid(), 'ppid': os.getppid(), 'path': sys.path,"
            " 'tmp': __import__('tempfile').gettempdir(), 'server_tmp': __import__('finds_tmp').FOUND,"
            " 'names': sorted(k for k in globals() if not k.startswith('_'))}))",
        )
        seen = json.loads(stdout(result))
        launcher = manager.provisioner.process.pid
        assert seen["cwd"] == str(tmp_path)
        assert seen["path"] == fresh_kernel_path(tmp_path), "a module is found where a fresh kernel finds it"
        assert seen["env"] == "yes"
        assert seen["tmp"] == str(tmp_path / "tmp") != seen["server_tmp"]
        assert seen["preloaded"], "the server's imports are in the kernel"
        assert seen["pid"] != launcher and seen["ppid"] != launcher, "the kernel is forked from the server"
        # A fresh namespace: nothing of the server's is defined, only what the cell itself defined.
        assert set(seen["names"]) <= {"In", "Out", "exit", "quit", "get_ipython", "open", "os", "sys", "json"}
        error = run(client, "decimal")
        assert error["reply"]["status"] == "error" and error["reply"]["ename"] == "NameError"
    assert gone_within(seen["pid"], 10)
    assert manager.provisioner is None or manager.provisioner.process is None


@needs_fork
def test_a_figure_shows_inline_and_an_interrupt_reaches_the_kernel(server, tmp_path):
    manager = kernel_manager(server, tmp_path / "kernels")
    with running(manager, tmp_path) as client:
        figure = run(client, "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0]);")
        assert [d for d in figure.get("display_data", []) if "image/png" in d["data"]], figure
        started = time.monotonic()
        message = client.execute("import time\ntime.sleep(60)")
        time.sleep(1.0)
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=30)
        assert reply["parent_header"]["msg_id"] == message
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert time.monotonic() - started < 30
        # The kernel works on, read from the reply itself. ipykernel aborts the requests that
        # come in just after an error (stop_on_error), a fresh kernel as well: ask again then.
        for _ in range(50):
            after = client.execute_interactive("", user_expressions={"two": "1 + 1"}, timeout=60)["content"]
            if after["status"] != "aborted":
                break
            time.sleep(0.1)
        assert after["status"] == "ok" and after["user_expressions"]["two"]["data"]["text/plain"] == "2", after


@needs_fork
def test_a_killed_launcher_takes_its_kernel_with_it(server, tmp_path):
    with running(kernel_manager(server, tmp_path / "kernels"), tmp_path, now=True) as client:  # nbval's way: SIGKILL
        pid = int(stdout(run(client, "import os; print(os.getpid())")))
    assert gone_within(pid, 10), "the kernel outlived its launcher"


@needs_fork
def test_a_launcher_with_other_thread_settings_gets_no_kernel(server, tmp_path):
    environment = {**os.environ, "OMP_NUM_THREADS": "7"}
    result = subprocess.run(
        warm_kernels.kernel_argv(server)[:-2] + ["-f", str(tmp_path / "unused.json")],
        env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "warm kernel refused" in result.stderr and "OMP_NUM_THREADS='7'" in result.stderr, result.stderr


@needs_fork
def test_pandas_and_scikit_learn_preloaded_are_as_a_fresh_kernel_imports_them(tmp_path):
    """Their options, configuration and the variables they set, compared with a kernel started from nothing.

    pandas decides when it is imported how many columns of a wide table it shows (a Jupyter
    kernel's 20, or a terminal's width), and scikit-learn sets two OpenMP variables then.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KMP_")}  # what sklearn sets
    code = (
        "import json, os, pandas, sklearn\n"
        "print(json.dumps({'pandas': pandas.describe_option(_print_desc=False),"
        " 'sklearn': {k: repr(v) for k, v in sklearn.get_config().items()},"
        " 'env': {k: v for k, v in os.environ.items() if k.startswith(('KMP_', 'MPLBACKEND'))},"
        " 'kernel': get_ipython().kernel is not None}))"
    )
    seen = {}
    with warm_kernels.warm_kernel_server(environment, preload=("pandas", "sklearn")) as extra:
        server = extra[warm_kernels.SERVER_VARIABLE]
        forked = kernel_manager(server, tmp_path / "kernels")
        for name, manager in {"forked": forked, "fresh": KernelManager(kernel_name="python3")}.items():
            with running(manager, tmp_path, env=environment) as client:
                seen[name] = json.loads(stdout(run(client, code)))
    assert "display.max_columns : int" in seen["fresh"]["pandas"] and seen["fresh"]["env"]
    for part in ("pandas", "sklearn", "env", "kernel"):
        assert seen["forked"][part] == seen["fresh"][part], part


@needs_fork
@pytest.mark.parametrize("module", ["matplotlib.pyplot", "matplotlib_inline.backend_inline"])
def test_the_server_refuses_to_preload_what_looks_where_it_is_imported(module):
    with pytest.raises(RuntimeError, match=f"did not start: not ready: the imports loaded .*{module.split('.')[0]}"):
        with warm_kernels.warm_kernel_server(dict(os.environ), preload=(module,)):
            pass


def test_nbval_starts_its_kernels_through_the_launcher_when_a_server_is_named(monkeypatch):
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    import tests.nbval_book  # noqa: F401  (patches nbval's kernel spec manager)

    monkeypatch.delenv(warm_kernels.SERVER_VARIABLE, raising=False)
    assert "ipykernel_launcher" in NbvalKernelspecManager().get_kernel_spec(CURRENT_ENV_KERNEL_NAME).argv
    monkeypatch.setenv(warm_kernels.SERVER_VARIABLE, "/tmp/lrw-x/s")
    argv = NbvalKernelspecManager().get_kernel_spec(CURRENT_ENV_KERNEL_NAME).argv
    assert argv == warm_kernels.kernel_argv("/tmp/lrw-x/s")


@needs_fork
def test_a_thread_alive_at_the_fork_stops_the_server(tmp_path):
    (tmp_path / "starts_a_thread.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}
    with pytest.raises(RuntimeError, match="not ready: 2 threads after the imports"):
        with warm_kernels.warm_kernel_server(environment, preload=("starts_a_thread",)):
            pass


@needs_fork
def test_openblas_threads_of_a_variant_come_back_in_the_forked_kernel(tmp_path):
    """OpenBLAS's pool, ended at the fork, starts again with the setting's thread count."""
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    with warm_kernels.warm_kernel_server(environment, preload=("numpy", "threadpoolctl")) as extra:
        manager = kernel_manager(extra[warm_kernels.SERVER_VARIABLE], tmp_path / "kernels")
        with running(manager, tmp_path, env=environment) as client:
            code = (
                "import json, os, numpy, threadpoolctl\n"
                "before = len(os.listdir('/proc/self/task'))\n"
                "product = numpy.ones((400, 400)) @ numpy.ones((400, 400))\n"
                "info = threadpoolctl.threadpool_info()\n"
                "pools = [p['num_threads'] for p in info if p['internal_api'] == 'openblas']\n"
                "print(json.dumps([float(product[0, 0]), pools, len(os.listdir('/proc/self/task')) - before]))"
            )
            value, pools, started = json.loads(stdout(run(client, code)))
    assert value == 400.0
    assert pools and set(pools) == {2}
    assert started == 1, "the product started OpenBLAS's pool again: one thread beside the kernel's"


#: A client that starts a kernel, reports the launcher's and the kernel's process ids, and exits
#: without stopping it.
ORPHANING_CLIENT = """
import json
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
manager = KernelManager(kernel_name="warm", kernel_spec_manager=KernelSpecManager(kernel_dirs=[{kernels!r}]))
manager.start_kernel(cwd={cwd!r})
client = manager.client()
client.start_channels()
client.wait_for_ready(timeout=60)
out = []
keep = lambda message: out.append(message["content"].get("text", ""))  # noqa: E731
client.execute_interactive("import os; print(os.getpid())", output_hook=keep)
print(json.dumps([manager.provisioner.process.pid, int("".join(out))]))
"""


@needs_fork
def test_a_kernel_ends_when_the_process_that_started_it_ends(server, tmp_path):
    """As a fresh kernel does (ipykernel's parent poller): no kernel outlives a client that never stopped it."""
    script = ORPHANING_CLIENT.format(kernels=str(tmp_path / "kernels"), cwd=str(tmp_path))
    kernel_manager(server, tmp_path / "kernels")  # writes the kernel spec
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    launcher, kernel = json.loads(done.stdout.strip().splitlines()[-1])
    assert gone_within(launcher, 10), "the launcher outlived the process that started it"
    assert gone_within(kernel, 10), "the kernel outlived its launcher"


# ---------------------------------------------------------------------------- without fork


def test_without_fork_no_server_starts_and_kernels_start_from_nothing(monkeypatch, tmp_path):
    """Where forking is not supported (Windows), every caller gets ipykernel's own kernel."""
    monkeypatch.setattr(warm_kernels, "SUPPORTED", False)

    def no_process(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(warm_kernels.subprocess, "Popen", no_process)
    with warm_kernels.warm_kernel_server(dict(os.environ)) as extra:
        assert extra == {}, "no variable: nbval keeps its own kernel spec"
    monkeypatch.undo()
    argv = warm_kernels.kernel_argv(extra.get(warm_kernels.SERVER_VARIABLE))
    assert argv == [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    manager = kernel_manager(None, tmp_path / "kernels")
    with running(manager, tmp_path) as client:
        result = run(client, "import os, sys; print(os.getpid(), 'torch' in sys.modules)")
    pid, preloaded = stdout(result).split()
    assert int(pid) == manager.provisioner.pid and preloaded == "False", "the kernel is the process started"
