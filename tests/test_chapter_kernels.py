"""The chapters' kernels: a declared environment, and start-up that cannot collide across processes.

``book/_ext/chapter_kernels.py`` puts every kernel on Unix sockets in a folder of its own.
These tests start many kernels at the same moment from separate processes, as the parallel
build does, several rounds over, and require every one to run its cell, on IPC, in the
declared environment, with no warning (ipykernel's "running over TCP without encryption"
included) and no start-up error. (Over TCP the same test sees the warning from every kernel.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import chapter_kernels  # noqa: E402

pytestmark = pytest.mark.skipif(not chapter_kernels.IPC_SUPPORTED, reason="ZeroMQ has no IPC transport on Windows")

#: One process: say it is ready, wait for the word to go (every process has imported nbclient
#: by then, so they start together), start a kernel through nbclient (as myst-nb does), run one
#: cell, report what the kernel saw and how it was connected.
CHILD = """
import json, os, sys
sys.path.insert(0, {ext!r})
import chapter_kernels, nbclient, nbformat
chapter_kernels.install()
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    "import os, json; print(json.dumps({{k: os.environ.get(k) for k in {names!r}}}))")])
nb.metadata["kernelspec"] = {{"name": "python3", "display_name": "Python 3", "language": "python"}}
client = nbclient.NotebookClient(nb, timeout=120, startup_timeout=120)
print("ready", flush=True)
sys.stdin.readline()
with client.setup_kernel():
    info = client.km.get_connection_info()
    client.execute_cell(nb.cells[0], 0)
print(json.dumps({{"transport": info["transport"], "ip": info["ip"],
                  "env": json.loads(nb.cells[0].outputs[0]["text"])}}))
"""


def start_kernels_at_once(count: int, extra_env: dict[str, str] | None = None) -> list[subprocess.CompletedProcess]:
    names = sorted(chapter_kernels.ENVIRONMENT)
    script = CHILD.format(ext=str(ROOT / "book" / "_ext"), names=names)
    env = {k: v for k, v in os.environ.items() if k not in chapter_kernels.ENVIRONMENT}
    env.update(extra_env or {})
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    processes = [subprocess.Popen([sys.executable, "-c", script], **pipes, text=True, env=env) for _ in range(count)]
    ready = [process.stdout.readline() for process in processes]  # each has imported nbclient...
    for process in processes:  # ...then all start their kernels at once
        try:
            process.stdin.write("go\n")
            process.stdin.flush()
        except BrokenPipeError:
            pass  # it ended before: its exit status and stderr say why
    results = []
    for process, said in zip(processes, ready, strict=True):
        stdout, stderr = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, said + stdout, stderr))
    return results


# 8 processes started together (beside other tests, they start less together: never a false failure)
def test_many_kernels_started_at_once_never_collide():
    rounds, count = 3, 8
    prefixes = set()
    for round_ in range(rounds):
        for result in start_kernels_at_once(count):
            assert result.returncode == 0, f"round {round_}: a kernel failed:\n{result.stderr}"
            for sign in ("WARNING", "Address already in use", "Kernel died"):
                assert sign not in result.stderr, f"round {round_}: the kernel start said:\n{result.stderr}"
            report = json.loads(result.stdout.strip().splitlines()[-1])
            assert report["transport"] == "ipc"
            prefixes.add(report["ip"])
            assert report["env"] == chapter_kernels.ENVIRONMENT
    assert len(prefixes) == rounds * count, "two kernels were given the same socket names"


def test_a_value_set_by_the_caller_wins():
    (result,) = start_kernels_at_once(1, {"OMP_NUM_THREADS": "3"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["env"] == {**chapter_kernels.ENVIRONMENT, "OMP_NUM_THREADS": "3"}


def test_a_manager_with_its_own_connection_file_or_transport_is_left_alone(tmp_path):
    from jupyter_client.manager import KernelManager

    chapter_kernels.install()
    assert KernelManager().transport == "ipc"
    assert KernelManager(connection_file=str(tmp_path / "kernel.json")).transport == "tcp"
    assert KernelManager(transport="tcp", ip="127.0.0.1").ip == "127.0.0.1"


def test_the_socket_folder_is_removed_with_its_manager():
    from jupyter_client.manager import KernelManager

    chapter_kernels.install()
    manager = KernelManager()
    folder = Path(manager.ip).parent
    assert folder.is_dir() and folder.name.startswith("lrk-")
    del manager
    import gc

    gc.collect()
    assert not folder.exists()


#: One process: start and stop kernels as the build does (nbclient in a forked worker of
#: parallel_execution, which ends with os._exit and runs no finalizer), a kernel that dies
#: (nbclient then only cleans up), and as nbval does (nbval's RunningKernel, shut down with
#: now=True), counting the lrk-* folders of the temporary directory (the child's own, from
#: TMPDIR) before, between and after.
LEFT_BEHIND = """
import json, multiprocessing, os, signal, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
sys.path.insert(0, {ext!r})
import chapter_kernels
chapter_kernels.install()
import nbclient, nbformat
from nbval.kernel import RunningKernel

def count():
    return sum(name.startswith("lrk-") for name in os.listdir(tempfile.gettempdir()))

def build_chapter():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {{"name": "python3", "display_name": "Python 3", "language": "python"}}
    client = nbclient.NotebookClient(nb, timeout=120, startup_timeout=120)
    with client.setup_kernel():
        running = count()
        client.execute_cell(nb.cells[0], 0)
    return running, count()

def kernel_dies():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, startup_timeout=120)
    with client.setup_kernel():
        os.kill(client.km.provisioner.pid, signal.SIGKILL)
        while client.km.provisioner.process.poll() is None:
            time.sleep(0.05)
    return count()

counts = {{"before": count()}}
with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
    counts["build: running"], counts["build: stopped"] = pool.submit(build_chapter).result()
    counts["build: kernel died"] = pool.submit(kernel_dies).result()
counts["build: worker gone"] = count()
kernel = RunningKernel("python3")
counts["nbval: running"] = count()
kernel.stop()
counts["nbval: stopped"] = count()
print(json.dumps(counts))
"""


def test_a_stopped_kernel_leaves_no_lrk_folder(tmp_path):
    script = LEFT_BEHIND.format(ext=str(ROOT / "book" / "_ext"))
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the child's tempfile.gettempdir(): no other process's folders
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts == {
        "before": 0,
        "build: running": 1,  # the kernel's own folder while it runs...
        "build: stopped": 0,  # ...gone when it stops, before its process ends (with os._exit)
        "build: kernel died": 0,
        "build: worker gone": 0,
        "nbval: running": 1,
        "nbval: stopped": 0,
    }
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("lrk-")]
