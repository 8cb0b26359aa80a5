"""Benchmark: a whole study on dask — wall time, tasks per second, and the speed-up of 2 workers
over 1 (issue 7). Run by hand: ``python bench/bench_study.py [SCENARIO] [--days N]``.

By default it runs ``scenarios/hosting-capacity.yaml`` (2 feeders x 3 strategies x 10 draws x
6 shares over a full year) with 1 and with 2 local workers and prints a table. ``--days``
shortens the period for a quick look.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import gridv2x

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenario", nargs="?", default=str(ROOT / "scenarios/hosting-capacity.yaml")
    )
    parser.add_argument("--days", type=int, default=None, help="shorten the period")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare")
    args = parser.parse_args()
    scenario = gridv2x.read_scenario(args.scenario)
    if args.days:
        scenario = scenario.replace(period={"days": args.days})
    n_tasks = len(gridv2x.Study(scenario).tasks())
    print(
        f"scenario {scenario.name}: {n_tasks} tasks, {scenario.period['days']} days, "
        f"{os.cpu_count()} cores",
        file=sys.stderr,
    )
    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            result = gridv2x.run(scenario, workers=workers, out=tmp, progress=True)
            seconds = time.perf_counter() - start
        rows.append((workers, seconds, n_tasks / seconds, len(result.failures)))
    base = rows[0][1]
    print(f"\n{'workers':>8} {'wall [s]':>10} {'tasks/s':>9} {'speed-up':>9} {'failed':>7}")
    for workers, seconds, rate, failed in rows:
        print(f"{workers:>8} {seconds:>10.1f} {rate:>9.2f} {base / seconds:>9.2f} {failed:>7}")
    if result.hosting_capacity is not None:
        print("\nhosting capacity:")
        print(result.hosting_capacity.to_string(index=False))


if __name__ == "__main__":
    main()
