"""Benchmark: a hosting-capacity study of a whole DSO area on dask, extrapolated to 5,000
substations (issue 18).

Run by hand (not in CI)::

    python bench/bench_area.py [--feeders 200] [--seed 1] [--days 7] [--resolution 60min]
                               [--shares 0.3,0.6] [--seeds 1] [--strategies uncontrolled,v1g]
                               [--workers 2] [--scheduler tcp://host:8786] [--out DIR]
                               [--dso 5000] [--cores 2,32,128,512]

It writes a synthetic Swedish municipality (``gridv2x networks synthesize``, Swedish layer
names read back through ``networks/mapping-sv.yaml``), then, in the same run:

1. the **area study**: every substation a feeder, ``gridv2x.run`` on a dask cluster (a local
   one of ``--workers`` processes, or the ``--scheduler`` given); the main process's resident
   memory is sampled every 0.2 s during the run, each worker's peak is read at the end;
2. the **reference**: the same study of one built-in feeder (se-suburban-villa) alone, on the
   same cluster, so the per-task cost of the area study can be compared with a single-feeder
   study measured under the same load;
3. the report: its size and its load time in headless Chromium (if selenium and chromium are
   installed).

It prints the wall time, tasks per second, feeder-years per core-second (simulated feeder
time / (wall time x worker processes)), the peak memory per process, and the wall time a
``--dso`` substation study would take on each number of cores in ``--cores`` at the measured
rate (the rate scales with cores as long as each core has a task: 5,000 substations give
enough). Timings on a shared machine are noisy: compare the two rows of the same run.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import threading
import time
from pathlib import Path

import psutil

import gridv2x
from gridv2x.network.synthesize import SWEDISH_MAPPING, synthesize_area, write_area
from gridv2x.scenario import scenario_from_dict


def _scenario(network: dict, args, name: str) -> dict:
    return {
        "name": name,
        "study": {
            "kind": "hosting_capacity",
            "seeds": args.seeds,
            "ev_shares": [float(s) for s in args.shares.split(",")],
        },
        "period": {"start": args.start, "days": args.days, "resolution": args.resolution},
        "networks": [network],
        "charging": {"strategies": args.strategies.split(",")},
    }


class _Sampler:
    """Peak resident memory of this process, sampled in a thread [MB]."""

    def __init__(self, every_s: float = 0.2) -> None:
        self.every_s = every_s
        self.peak_mb = 0.0
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._proc = psutil.Process()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            mb = self._proc.memory_info().rss / 2**20
            self.samples.append(mb)
            self.peak_mb = max(self.peak_mb, mb)
            time.sleep(self.every_s)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _worker_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run(scenario: dict, base_dir: Path, address: str, out: Path) -> dict:
    sc = scenario_from_dict(scenario, base_dir=base_dir)
    with _Sampler() as sampler:
        start = time.perf_counter()
        result = gridv2x.run(sc, scheduler=address, out=out, progress=False)
        result.write(out)
        wall = time.perf_counter() - start
    n_tasks = len(result.summary)
    feeders = result.summary["feeder"].nunique()
    days = scenario["period"]["days"]
    return {
        "wall_s": wall,
        "tasks": n_tasks,
        "failed": len(result.failures),
        "feeders": feeders,
        "feeder_years": n_tasks * days / 365.0,
        "main_peak_mb": sampler.peak_mb,
        "main_start_mb": sampler.samples[0] if sampler.samples else float("nan"),
        "report_mb": (out / "report.html").stat().st_size / 2**20,
        "out": out,
    }


def _chromium_load_s(path: Path) -> float | None:
    try:
        from selenium import webdriver
    except ImportError:
        return None
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(options=options)
    except Exception as exc:  # noqa: BLE001 - no browser here: say so, measure the rest
        print(f"(no headless Chromium: {type(exc).__name__})")
        return None
    try:
        driver.set_page_load_timeout(600)
        start = time.perf_counter()
        driver.get(path.resolve().as_uri())
        driver.execute_script("return document.readyState")
        loaded = time.perf_counter() - start
        plots = driver.execute_script("return document.querySelectorAll('.js-plotly-plot').length")
        print(f"report: {plots} plotly figures rendered")
        return loaded
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeders", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", default="2030-01-14")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--resolution", default="60min")
    parser.add_argument("--shares", default="0.3,0.6")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--strategies", default="uncontrolled,v1g")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--area", default=None, help="An existing area .gpkg (Swedish names).")
    parser.add_argument("--out", default=None)
    parser.add_argument("--dso", type=int, default=5000)
    parser.add_argument("--cores", default="2,32,128,512")
    args = parser.parse_args()

    root = Path(args.out or tempfile.mkdtemp(prefix="bench-area-"))
    root.mkdir(parents=True, exist_ok=True)
    area = Path(args.area) if args.area else root / "area.gpkg"
    if not area.exists():
        t0 = time.perf_counter()
        write_area(synthesize_area(args.feeders, args.seed), area)
        print(f"synthesized {args.feeders} substations in {time.perf_counter() - t0:.0f} s")

    from dask.distributed import Client, LocalCluster

    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True)
        client = Client(cluster)
    n_workers = len(client.scheduler_info()["workers"])
    address = client.scheduler.address
    try:
        rows = {}
        rows["reference (1 builtin feeder)"] = _run(
            _scenario({"builtin": "se-suburban-villa"}, args, "reference"),
            root,
            address,
            root / "reference",
        )
        rows[f"area ({args.feeders} substations)"] = _run(
            _scenario({"area": str(area), "mapping": str(SWEDISH_MAPPING)}, args, "area"),
            root,
            address,
            root / "area",
        )
        worker_peaks = client.run(_worker_peak_mb)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    print(
        f"\n{n_workers} worker processes; {args.days} days at {args.resolution}, shares "
        f"{args.shares}, {args.seeds} seed(s), strategies {args.strategies}"
    )
    header = (
        f"{'study':<28}{'tasks':>7}{'failed':>7}{'wall [s]':>10}{'tasks/s':>9}"
        f"{'feeder-yr/core-s':>18}{'main peak MB':>14}{'report MB':>11}"
    )
    print(header)
    for name, r in rows.items():
        rate = r["feeder_years"] / (r["wall_s"] * n_workers)
        r["rate"] = rate
        print(
            f"{name:<28}{r['tasks']:>7}{r['failed']:>7}{r['wall_s']:>10.1f}"
            f"{r['tasks'] / r['wall_s']:>9.2f}{rate:>18.5f}{r['main_peak_mb']:>14.0f}"
            f"{r['report_mb']:>11.2f}"
        )
    print(
        "worker peak resident memory [MB]: " + ", ".join(f"{v:.0f}" for v in worker_peaks.values())
    )
    area_row = rows[f"area ({args.feeders} substations)"]
    ref_row = rows["reference (1 builtin feeder)"]
    per_task = (area_row["wall_s"] / area_row["tasks"]) / (ref_row["wall_s"] / ref_row["tasks"])
    print(f"area / reference wall time per task: {per_task:.2f}")
    load = _chromium_load_s(area_row["out"] / "report.html")
    if load is not None:
        print(
            f"area report: {area_row['report_mb']:.2f} MB, loaded in headless Chromium in {load:.1f} s"
        )
    tasks_per_feeder = area_row["tasks"] / max(area_row["feeders"], 1)
    feeder_years = args.dso * tasks_per_feeder * args.days / 365.0
    print(
        f"\nextrapolation to {args.dso} substations, the same study ({tasks_per_feeder:.0f} tasks "
        f"of {args.days} days per substation = {feeder_years:.0f} feeder-years), at "
        f"{area_row['rate']:.5f} feeder-years per core-second:"
    )
    for cores in (int(c) for c in args.cores.split(",")):
        hours = feeder_years / (area_row["rate"] * cores) / 3600.0
        print(f"  {cores:>5} cores: {hours:8.2f} h")
    year_factor = 365.0 / args.days
    print(
        f"  (a whole year instead of {args.days} days: x{year_factor:.0f}; representative weeks "
        "cut that back, see bench_weeks.py)"
    )


if __name__ == "__main__":
    main()
