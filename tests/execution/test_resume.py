"""Checkpointing and fault tolerance on real processes: SIGKILL half way and resume; a dask
worker killed mid-run; an existing scheduler with separate worker processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import small_scenario_text

pytestmark = pytest.mark.slow

COMPARE = [
    "feeder",
    "strategy",
    "seed",
    "n_evs",
    "transformer_peak_kw",
    "v_min_pu",
    "losses_kwh",
    "ev_charged_kwh",
    "ev_unmet_kwh",
]
# 2 draws x 3 strategies x 2 shares = 12 tasks over 3 days: long enough to kill half way
TEXT = small_scenario_text(name="resume", days=3).replace(
    "study: {kind: compare, seeds: 1, seed: 3}",
    # sweep full: all 12 tasks in one round (the ordered sweep's rounds: test_sequential)
    "study: {kind: hosting_capacity, seeds: 2, seed: 3, ev_shares: [0.3, 0.6], sweep: full}",
)


def _gridv2x(*args, cwd, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "gridv2x.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _summary(out: Path) -> pd.DataFrame:
    frame = pd.read_csv(out / "summary.csv")[COMPARE]
    return frame.sort_values(["feeder", "strategy", "seed", "n_evs"]).reset_index(drop=True)


def _done(out: Path) -> int:
    return len(list((out / "results").glob("*/task.json"))) if (out / "results").exists() else 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    (folder / "s.yaml").write_text(TEXT)
    proc = _gridv2x("run", "s.yaml", "--out", "out", "--workers", "0", "--quiet", cwd=folder)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return _summary(folder / "out")


def test_sigkill_half_way_then_resume(tmp_path, reference):
    (tmp_path / "s.yaml").write_text(TEXT)
    out = tmp_path / "out"
    proc = _gridv2x(
        "run",
        "s.yaml",
        "--out",
        "out",
        "--workers",
        "1",
        "--quiet",
        cwd=tmp_path,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while _done(out) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the client and its dask workers
    proc.wait()
    done_before = _done(out)
    assert 4 <= done_before < 12
    rerun = _gridv2x("run", "s.yaml", "--out", "out", "--workers", "1", cwd=tmp_path)
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert f"{done_before} of 12 tasks done before" in err
    pd.testing.assert_frame_equal(_summary(out), reference)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dask(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_for_workers(address: str, n: int) -> None:
    from dask.distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n, timeout=60)


def test_existing_scheduler_and_a_killed_worker(tmp_path, reference):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
    workers = [
        _dask("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard")
        for _ in range(2)
    ]
    try:
        _wait_for_workers(address, 2)
        (tmp_path / "s.yaml").write_text(TEXT)
        out = tmp_path / "out"
        proc = _gridv2x(
            "run", "s.yaml", "--out", "out", "--scheduler", address, "--quiet", cwd=tmp_path
        )
        deadline = time.time() + 300
        while _done(out) < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None and _done(out) < 12, "finished before a worker was killed"
        os.killpg(workers[0].pid, signal.SIGKILL)  # a worker dies mid-run
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert _done(out) == 12
        pd.testing.assert_frame_equal(_summary(out), reference)
    finally:
        for p in [*workers, scheduler]:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
