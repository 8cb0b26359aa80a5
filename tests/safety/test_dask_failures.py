"""Dask failures end the run within 60 s with one line (issue 13, item 6); loopback only.

A bad or unreachable ``--scheduler`` address is bad input (exit 2, the address named, nothing
written); a listener that does not speak dask's protocol, and a scheduler killed in the middle
of a run, end it with one line and a non-zero exit, the finished tasks kept. The local cluster
serves no dashboard unless ``--dashboard`` is given.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import invoke, scenario_text

ROOT = Path(__file__).resolve().parents[2]
BOUND_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.mark.parametrize(
    "address", ["foo://bar", "tcp://127.0.0.1:{closed}", "tcp://127.0.0.1:notaport"]
)
def test_bad_or_unreachable_scheduler_exit_2(in_tmp, address):
    address = address.format(closed=_free_port())
    (in_tmp / "s.yaml").write_text(scenario_text())
    start = time.monotonic()
    result = invoke("run", "s.yaml", "--out", "out", "--scheduler", address, "--quiet")
    elapsed = time.monotonic() - start
    assert result.exit_code == 2, result.output
    assert address in _one_line(result.output)
    assert elapsed < BOUND_S
    assert not (in_tmp / "out").exists()


def test_silent_listener_exit_within_bound(in_tmp):
    """A socket that accepts and never says anything is not a dask scheduler."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    held, stop = [], threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    (in_tmp / "s.yaml").write_text(scenario_text())
    try:
        start = time.monotonic()
        result = invoke("run", "s.yaml", "--out", "out", "--scheduler", address, "--quiet")
        elapsed = time.monotonic() - start
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()
    assert result.exit_code != 0, result.output
    assert address in _one_line(result.output)
    assert elapsed < BOUND_S
    assert held, "the listener was never contacted"


def test_local_cluster_serves_no_dashboard():
    from gridv2x.execution.cluster import local_cluster

    with local_cluster(1) as client:
        server = client.cluster.scheduler.http_server
        host, port = server.address, server.port
        assert host == "127.0.0.1" and port != 8787
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10)
        assert info.value.code == 404
        assert all(w.startswith("tcp://127.0.0.1:") for w in client.scheduler_info()["workers"])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.slow
def test_scheduler_killed_mid_run(tmp_path):
    """Kill the scheduler after the first finished task: exit non-zero within 60 s with one
    line; the finished tasks are kept and a rerun on a local cluster completes the study."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = _env()
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), "--no-dashboard"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
         "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    run = None
    try:
        text = scenario_text().replace("seeds: 1", "seeds: 6").replace("days: 2", "days: 7")
        (tmp_path / "s.yaml").write_text(text)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # the scheduler is up when it accepts connections
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        run = subprocess.Popen(
            [sys.executable, "-m", "gridv2x.cli", "run", "s.yaml", "--out", "out",
             "--scheduler", address, "--quiet"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        results = tmp_path / "out" / "results"
        while time.monotonic() < deadline and not list(results.glob("*/task.json")):
            assert run.poll() is None, run.communicate()
            time.sleep(0.2)
        os.killpg(scheduler.pid, signal.SIGKILL)
        killed = time.monotonic()
        _stdout, stderr = run.communicate(timeout=BOUND_S + 30)
        elapsed = time.monotonic() - killed
    finally:
        for proc in (run, worker, scheduler):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL) if proc is not run else proc.kill()
                proc.wait(10)
    assert run.returncode not in (0, None), stderr
    line = _one_line(stderr)
    assert address in line and "went away" in line
    assert elapsed < BOUND_S, elapsed
    kept = list(results.glob("*/task.json"))
    assert 0 < len(kept) < 6
