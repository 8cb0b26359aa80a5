"""Benchmark: wall time, peak resident memory and page faults per dask worker of a realistic
``gridv2x run`` under each allocator policy (issue 14). Run by hand::

    python bench/bench_worker_memory.py [--variant keep --variant keep-trim ...] [--repeat 2]

The study is a copy of ``scenarios/hosting-capacity.yaml`` (both feeders, per phase, full
year at 15 min, uncontrolled/V1G/V2G, reinforcement plans) cut to ``--shares`` (default
0.25, 0.5, 1.0) and ``--seeds`` draws (default 4), every share drawn (``sweep: full``): 72
tasks. Each variant runs it in a fresh
``gridv2x run --workers 2`` (local dask cluster) with the variant's environment; a thread
samples every worker process every :data:`SAMPLE_S` seconds: its largest resident memory, its
last count of minor page faults and its CPU time, user and system (``/proc/<pid>/stat``). On a
shared machine the CPU time of the workers is the steadier measure of cost; the wall time
includes the wait for a core. Variants run back to back and
``--repeat`` times in turn, so that each sees the same machine load; the table shows every
run. A variant is ``POLICY`` (:data:`gridv2x.execution.memory.POLICIES`) or
``POLICY+arenas`` (also ``MALLOC_ARENA_MAX=16``: the worker's task thread allocates from an
arena of its own, as before gridv2x started its local workers with one arena; see
:mod:`gridv2x.execution.memory` for the measured table).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_S = 0.5
"""Sampling interval of the worker processes [s]."""


def _scenario(folder: Path, shares: list[float], seeds: int) -> Path:
    """The cut copy of scenarios/hosting-capacity.yaml."""
    data = yaml.safe_load((ROOT / "scenarios/hosting-capacity.yaml").read_text())
    data["study"].update(ev_shares=shares, seeds=seeds, max_seeds=seeds, sweep="full")
    path = folder / "worker-memory.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _stat(pid: int) -> tuple[int, float, float]:
    """Minor page faults [-], user and system CPU time [s] of a process so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()  # stat(5) fields 3 on
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[7]), int(fields[11]) / tick, int(fields[12]) / tick


def _run(variant: str, scenario: Path, out: Path) -> dict:
    """One ``gridv2x run`` with the variant's environment, its workers sampled."""
    policy, _, extra = variant.partition("+")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRIDV2X_MALLOC": policy}
    if extra == "arenas":
        env["MALLOC_ARENA_MAX"] = "16"  # glibc's own limit is 8 per core
    elif extra:
        raise SystemExit(f"unknown variant {variant!r}")
    cmd = [shutil.which("gridv2x") or "gridv2x", "run", str(scenario), "--out", str(out)]
    cmd += ["--workers", "2", "--quiet"]
    peaks: dict[int, int] = {}
    stats: dict[int, tuple[int, float, float]] = {}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    root = psutil.Process(proc.pid)

    def sample() -> None:
        while proc.poll() is None:
            try:
                children = root.children(recursive=True)
            except psutil.Error:
                break
            for child in children:
                try:
                    if "spawn_main" not in " ".join(child.cmdline()):
                        continue  # not a worker (resource tracker, ...)
                    rss = child.memory_info().rss
                    peaks[child.pid] = max(peaks.get(child.pid, 0), rss)
                    stats[child.pid] = _stat(child.pid)
                except (psutil.Error, OSError):
                    pass
            time.sleep(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{variant}: gridv2x run failed\n{output.decode()[-3000:]}")
    workers = sorted(peaks, key=lambda pid: -peaks[pid])[:2]
    return {
        "wall": wall,
        "peaks": [peaks[p] / 1e9 for p in workers],
        "faults": [stats[p][0] for p in workers],
        "user": [stats[p][1] for p in workers],
        "sys": [stats[p][2] for p in workers],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", help="policy[+arenas] (repeat)")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", help="folder for the scenario and outputs (default: temporary)")
    args = parser.parse_args()
    variants = args.variant or ["map-large", "keep", "keep-trim", "glibc"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        scenario = _scenario(folder, args.shares, args.seeds)
        rows = []
        for rep in range(args.repeat):
            for variant in variants:
                result = _run(variant, scenario, folder / f"out_{variant}_{rep}")
                rows.append((variant, rep, result))
                print(f"  done {variant} run {rep}: {result['wall']:.0f} s", file=sys.stderr)
    print(
        f"gridv2x run, scenarios/hosting-capacity.yaml with shares {args.shares}, {args.seeds} "
        f"draws, 2 workers ({os.cpu_count()} cores, shared: noisy)"
    )
    print(f"{'variant':<18}{'run':>4}{'wall s':>8}{'peak RSS GB':>14}{'page faults':>20}"
          f"{'user s':>12}{'sys s':>12}    (per worker)")  # fmt: skip
    for variant, rep, r in rows:
        peaks = "/".join(f"{p:.2f}" for p in r["peaks"])
        faults = "/".join(f"{f:,}" for f in r["faults"])
        user = "/".join(f"{t:.0f}" for t in r["user"])
        system = "/".join(f"{t:.0f}" for t in r["sys"])
        print(
            f"{variant:<18}{rep:>4}{r['wall']:>8.0f}{peaks:>14}{faults:>20}{user:>12}{system:>12}"
        )


if __name__ == "__main__":
    main()
