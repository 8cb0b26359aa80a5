"""Benchmark: per-stage time and peak memory of one full-year task, two code trees side by side
(issue 14). Run by hand::

    python bench/bench_task_stages.py --code /path/to/baseline --code . [--repeat 3]

Each ``--code`` tree is imported in its own fresh subprocess (``PYTHONPATH`` set to it) that
runs exactly one task of ``scenarios/hosting-capacity.yaml`` after the imports, so its peak
resident memory (``ru_maxrss``) is the task's own. Per stage it prints the wall time [s] and
the peak RSS reached by the end of the stage [MB]; the table shows the minimum over
``--repeat`` runs, trees interleaved so that both see the same machine load. ``--dump DIR``
also pickles each tree's task output so that :file:`bench/compare_task_outputs.py` can prove
the outputs equal.

Stages: ``demand`` (household base load), ``prepare`` (the rest of the draw's inputs),
``charge``, ``loads`` (load-flow input per element), ``powerflow``, ``statistics`` (customer
voltages and main-fuse loading) and ``output`` (summary row and tables, with the
reinforcement plan unless ``--no-reinforcement``).

Measured 2026-12-07 (issue 14; 2 shared cores, min of 3; [0] main before, [1] after): per phase
with the reinforcement plan, peak 1851 -> 1581 MiB (the plan's own trials now set the peak),
without it 1821 -> 1195 MiB; demand 1.06 -> 0.68 s, loads 1.25 -> 0.23 s, statistics
1.26 -> 0.48 s, output 0.58 -> 0.38 s, powerflow 1.03 -> 1.04 s (MW input formed there). Balanced:
peak 973 -> 964 MiB (charging sets it), demand 1.00 -> 0.57 s, output 0.48 -> 0.35 s.

Measured 2026-12-07 (stop 15, 1 run each, [0] main before, [1] the planner's full-year check
chunk by chunk): per phase with the plan, task peak se-villa-large uncontrolled 0.5 / 1.0 / 2.0
1523 / 1565 / 1628 -> 1217 / 1267 / 1491 MiB, v1g 1.0 / 2.0 1648 / 1684 -> 1350 / 1519 MiB
(at share 2.0 the charging stage sets the peak); se-urban-apartments unchanged (charging sets
it: 944-1495 MiB); the 12 task outputs identical (compare_task_outputs.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["demand", "prepare", "charge", "loads", "powerflow", "statistics", "output"]


def _child(args: argparse.Namespace) -> None:
    """Run one task with timers around the stages; print one JSON line."""
    import pickle
    import resource
    import time

    import gridv2x
    from gridv2x import demand, study

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB -> MiB

    times: dict[str, float] = {}
    peaks: dict[str, float] = {}

    def timed(name: str, fn):  # noqa: ANN001, ANN202 (bench helper)
        def wrapper(*a, **k):  # noqa: ANN002, ANN003, ANN202
            start = time.perf_counter()
            out = fn(*a, **k)
            times[name] = times.get(name, 0.0) + time.perf_counter() - start
            peaks[name] = rss_mb()
            return out

        return wrapper

    demand.base_load = timed("demand", demand.base_load)
    for name, method in [
        ("prepare", "prepare"),
        ("charge", "_charge"),
        ("loads", "_element_loads"),
        ("powerflow", "_run_powerflow"),
        ("statistics", "_statistics"),
        ("output", "_output"),
    ]:
        setattr(study.Study, method, timed(name, getattr(study.Study, method)))
    scenario = gridv2x.read_scenario(str(ROOT / "scenarios/hosting-capacity.yaml"))
    if not args.asymmetric:
        scenario = scenario.replace(powerflow={"asymmetric": False})
    if not args.reinforcement:
        scenario = scenario.replace(reinforcement={"enabled": False})
    st = study.Study(scenario, powerflow_threads=0)
    task = study.Task(feeder=args.feeder, strategy=args.strategy, draw=0, ev_share=args.share)
    peaks["imports"] = rss_mb()
    start = time.perf_counter()
    feeder = st.feeder(task.feeder)
    out = st.simulate(feeder, task, st.prepare(feeder, task), time_series=args.time_series)
    times["task"] = time.perf_counter() - start
    peaks["task"] = rss_mb()
    times["prepare"] -= times.get("demand", 0.0)  # prepare without the base load
    if args.dump:
        with open(args.dump, "wb") as fh:
            pickle.dump(out, fh)
    print(json.dumps({"times": times, "peaks": peaks}))


def _run(code: str, args: argparse.Namespace, dump: str | None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(code).resolve())}
    cmd = [sys.executable, __file__, "--child", args.feeder, args.strategy, str(args.share)]
    cmd += ["--balanced"] if not args.asymmetric else []
    cmd += ["--time-series"] if args.time_series else []
    cmd += ["--no-reinforcement"] if not args.reinforcement else []
    cmd += ["--dump", dump] if dump else []
    done = subprocess.run(cmd, env=env, cwd=code, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{code}: task failed\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", action="append", help="code tree (repeat); default: this one")
    parser.add_argument("--feeder", default="se-villa-large")
    parser.add_argument("--strategy", default="v1g")
    parser.add_argument("--share", type=float, default=1.0)
    parser.add_argument("--balanced", dest="asymmetric", action="store_false")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-reinforcement",
        dest="reinforcement",
        action="store_false",
        help="without the reinforcement plan (part of 'output' otherwise)",
    )
    parser.add_argument(
        "--time-series", action="store_true", help="also build the whole-period tables"
    )
    parser.add_argument("--dump", help="directory for pickled task outputs (first run)")
    parser.add_argument("--child", nargs=3, metavar=("FEEDER", "STRATEGY", "SHARE"))
    args = parser.parse_args()
    if args.child:
        args.feeder, args.strategy, args.share = args.child[0], args.child[1], float(args.child[2])
        _child(args)
        return
    codes = args.code or [str(ROOT)]
    runs: dict[str, list[dict]] = {c: [] for c in codes}
    for rep in range(args.repeat):
        for i, code in enumerate(codes):
            dump = None
            if args.dump and rep == 0:
                Path(args.dump).mkdir(parents=True, exist_ok=True)
                mode = "pp" if args.asymmetric else "bal"
                name = f"{i}_{args.feeder}_{args.strategy}_{args.share}_{mode}.pkl"
                dump = str(Path(args.dump, name).resolve())
            runs[code].append(_run(code, args, dump))
    mode = "per phase" if args.asymmetric else "balanced"
    mode += "" if args.reinforcement else ", no reinforcement plan"
    print(
        f"{args.feeder} {args.strategy} share {args.share} {mode}, full year; min of "
        f"{args.repeat} runs, fresh process per run ({os.cpu_count()} cores, shared: noisy)"
    )
    header = f"{'stage':<11}" + "".join(
        f"{f'[{i}] s':>9}{f'[{i}] MB':>10}" for i in range(len(codes))
    )
    print(header)
    for stage in ["imports", *STAGES, "task"]:
        line = f"{stage:<11}"
        for code in codes:
            t = min(r["times"].get(stage, float("nan")) for r in runs[code])
            m = min(r["peaks"].get(stage, float("nan")) for r in runs[code])
            line += f"{t:>9.2f}{m:>10.0f}"
        print(line)
    for i, code in enumerate(codes):
        print(f"[{i}] {code}")
    print("MB: peak resident memory reached by the end of the stage (ru_maxrss, MiB)")


if __name__ == "__main__":
    main()
