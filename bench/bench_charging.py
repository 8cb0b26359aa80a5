"""Time the charging strategies on 200 EVs x one year of 15-minute steps (35040 steps).

Run by hand: ``python bench/bench_charging.py [n_ev] [days]``. Prints the time per strategy,
the feeder peak, the unmet energy and the V2G throughput. Inputs are synthetic (evening-to-
morning sessions on ~80 % of days, an evening-peaking base load), built like the tests'.

``python bench/bench_charging.py grid [days]`` times grid-aware V1G/V2G against plain on a
built-in feeder with the study's own inputs (se-villa-large, 2 EVs per household, objective
price, lower voltage limit 0.95 pu) and counts the steps beyond the limits in the
power-grid-model load flow of each schedule.

``python bench/bench_charging.py stages [--code TREE ...] [--feeder F] [--strategy S]
[--share X] [--repeat N]`` times the parts of the charging stage of one full-year task of
``scenarios/hosting-capacity.yaml`` (draw 0; default se-villa-large v2g at 1.0 EV per
household), each code tree in its own subprocess (``PYTHONPATH`` set to it), trees interleaved,
minimum CPU time over ``--repeat`` runs. Without ``--code`` it compares this tree's compiled
kernels with its numpy reference code (``_fill_kernels.REFERENCE``: the fills and passes in
numpy); with ``--code /path/to/main-before --code .`` the pre-change code side by side. Each
column also prints a digest of the result (power, stored energy, per-EV and per-session
tables): equal digests mean bit-identical schedules.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pandas as pd

# the code tree to time: the first PYTHONPATH entry (``stages`` sets it per tree), else this one
sys.path.insert(
    0, os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] or str(Path(__file__).parents[1])
)

from gridv2x import charging  # noqa: E402
from gridv2x.charging import schedule  # noqa: E402
from tests.charging.inputs import make_case  # noqa: E402


def main(n_ev: int = 200, days: int = 365) -> None:
    t = time.perf_counter()
    sessions, fleet, index, base = make_case(n_ev, days, seed=0)
    print(
        f"inputs: {n_ev} EVs, {len(index)} steps, {len(sessions)} sessions "
        f"({time.perf_counter() - t:.1f} s to build)"
    )
    runs = [
        ("uncontrolled", {}),
        ("v1g", {"v1g": {"objective": "peak"}}),
        ("v1g", {"v1g": {"objective": "price"}}),
        ("v2g", {"v2g": {"objective": "peak"}}),
        ("v2g", {"v2g": {"objective": "price"}}),
    ]
    print(
        f"{'strategy':<20}{'time s':>8}{'peak kW':>10}{'unmet kWh':>11}"
        f"{'V2G out kWh':>13}{'cost SEK':>11}"
    )
    for strategy, options in runs:
        t = time.perf_counter()
        r = schedule(strategy, sessions, fleet, index, base, **options)
        elapsed = time.perf_counter() - t
        peak = (base + r.power_kw.sum(axis=1)).max()
        objective = next(iter(options.values()))["objective"] if options else ""
        cost = r.per_ev["energy_cost_sek"].sum() if "energy_cost_sek" in r.per_ev else float("nan")
        print(
            f"{strategy + ' ' + objective:<20}{elapsed:>8.2f}{peak:>10.1f}"
            f"{r.per_ev['unmet_kwh'].sum():>11.2f}{r.per_ev['discharged_kwh'].sum():>13.0f}"
            f"{cost:>11.0f}"
        )


def grid(days: int = 365) -> None:
    from gridv2x.scenario import scenario_from_dict
    from gridv2x.study import Study, Task

    feeder_name, limits = "se-villa-large", {"v_min_pu": 0.95}

    def study(grid_aware: bool) -> Study:
        return Study(
            scenario_from_dict(
                {
                    "name": "bench-grid",
                    "period": {"start": "2030-01-01", "days": days},
                    "networks": [{"builtin": feeder_name}],
                    "adoption": {"share": 2.0},
                    "limits": limits,
                    "charging": {
                        "grid_aware": grid_aware,
                        "v1g": {"objective": "price"},
                        "v2g": {"objective": "price"},
                    },
                }
            )
        )

    print(
        f"{'strategy':<20}{'charging s':>11}{'task s':>8}{'v<0.95':>8}{'trafo>':>8}"
        f"{'line>':>7}{'peak kW':>9}{'unmet kWh':>11}"
    )
    for grid_aware in (False, True):
        st = study(grid_aware)
        feeder = st.feeder(feeder_name)
        inputs = st.prepare(feeder, Task(feeder_name, "v1g", 0))
        for strategy in ("uncontrolled", "v1g", "v2g"):
            if grid_aware and strategy == "uncontrolled":
                continue
            t = time.perf_counter()
            options = st.scenario.section("charging")
            options.pop("strategies")
            grid_limits = None
            if grid_aware:
                grid_limits = charging.grid_limits(
                    feeder, inputs.base_p_kw, inputs.base_q_kvar, inputs.fleet, limits=limits
                )
            schedule(
                strategy,
                inputs.sessions,
                inputs.fleet,
                st.index,
                inputs.base_p_kw.sum(axis=1),
                grid=grid_limits,
                **options,
            )
            t_charging = time.perf_counter() - t
            t = time.perf_counter()
            out = st.simulate(feeder, Task(feeder_name, strategy, 0), inputs)
            t_task = time.perf_counter() - t
            ts, summary = out.timeseries, out.summary
            name = strategy + (" grid-aware" if grid_aware else "")
            print(
                f"{name:<20}{t_charging:>11.1f}{t_task:>8.1f}"
                f"{int((ts['v_min_pu'] < 0.95).sum()):>8}"
                f"{int((ts['transformer_loading_pct'] > 100).sum()):>8}"
                f"{int((ts['line_max_loading_pct'] > 100).sum()):>7}"
                f"{summary['transformer_peak_kw']:>9.1f}{summary['ev_unmet_kwh']:>11.2f}"
            )


STAGES = [
    ("load guard", "gridv2x.charging", "load_guard_limits"),
    ("departure forecast", "gridv2x.charging.forecast", "planned_departures"),
    ("windows", "gridv2x.charging.schedule", "_windows"),
    ("valley passes", "gridv2x.charging.schedule", "_valley_passes"),
    ("v2g passes", "gridv2x.charging.schedule", "_v2g_passes"),
    ("forecast realised", "gridv2x.charging.schedule", "_forecast_realised"),
    ("result tables", "gridv2x.charging.schedule", "_assemble"),
]
"""Timed parts of the charging stage: (label, module, function looked up there at call time)."""


def _stages_child(feeder_name: str, strategy: str, share: float, reference: bool) -> None:
    """Time the charging stage's parts of one task in this process; print one JSON line."""
    import hashlib
    import importlib
    import json

    from gridv2x import read_scenario
    from gridv2x.study import Study, Task

    if reference:
        from gridv2x.charging import _fill_kernels

        _fill_kernels.REFERENCE = True
    times: dict[str, float] = {}

    def timed(label, fn):  # noqa: ANN001, ANN202 (bench helper)
        def wrapper(*a, **k):  # noqa: ANN002, ANN003, ANN202
            start = time.process_time()
            out = fn(*a, **k)
            times[label] = times.get(label, 0.0) + time.process_time() - start
            return out

        return wrapper

    for label, module, name in STAGES:
        mod = importlib.import_module(module)
        setattr(mod, name, timed(label, getattr(mod, name)))
    root = Path(__file__).resolve().parents[1]
    st = Study(read_scenario(str(root / "scenarios/hosting-capacity.yaml")), powerflow_threads=0)
    feeder = st.feeder(feeder_name)
    task = Task(feeder=feeder_name, strategy=strategy, draw=0, ev_share=share)
    inputs = st.prepare(feeder, task)
    window = st._window(inputs)
    st._charge(feeder, task, inputs, window)  # compiles the kernels (cached on disk)
    times.clear()
    start = time.process_time()
    result = st._charge(feeder, task, inputs, window)
    times["charging stage"] = time.process_time() - start
    digest = hashlib.sha256()
    for frame in (result.power_kw, result.soc_kwh, result.per_ev, result.sessions):
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    print(json.dumps({"times": times, "digest": digest.hexdigest()[:12]}))


def stages(argv: list[str]) -> None:
    """Parts of the charging stage, code trees (or compiled vs numpy) side by side."""
    import argparse
    import json
    import os
    import subprocess

    parser = argparse.ArgumentParser(prog="bench_charging.py stages")
    parser.add_argument("--code", action="append", help="code tree (repeat)")
    parser.add_argument("--feeder", default="se-villa-large")
    parser.add_argument("--strategy", default="v2g")
    parser.add_argument("--share", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    root = str(Path(__file__).resolve().parents[1])
    columns = [(c, False) for c in args.code] if args.code else [(root, False), (root, True)]
    runs: list[list[dict]] = [[] for _ in columns]
    for _ in range(args.repeat):
        for i, (code, reference) in enumerate(columns):
            env = {**os.environ, "PYTHONPATH": str(Path(code).resolve())}
            cmd = [sys.executable, __file__, "_stages_child", args.feeder, args.strategy]
            cmd += [str(args.share), "reference" if reference else "compiled"]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if done.returncode:
                raise SystemExit(f"{code}: failed\n{done.stderr[-3000:]}")
            runs[i].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(
        f"{args.feeder} {args.strategy} share {args.share}, full year, draw 0: CPU s, min of "
        f"{args.repeat} runs, trees interleaved ({os.cpu_count()} cores, shared: noisy)"
    )
    print(f"{'part':<20}" + "".join(f"{f'[{i}]':>10}" for i in range(len(columns))))
    labels = [label for label, _, _ in STAGES] + ["other", "charging stage"]
    for label in labels:
        line = f"{label:<20}"
        for r in runs:
            if label == "other":
                t = min(
                    x["times"]["charging stage"]
                    - sum(v for k, v in x["times"].items() if k != "charging stage")
                    for x in r
                )
            else:
                t = min(x["times"].get(label, 0.0) for x in r)
            line += f"{t:>10.2f}"
        print(line)
    print(f"{'digest':<20}" + "".join(f"{r[0]['digest']:>14}" for r in runs))
    for i, (code, reference) in enumerate(columns):
        print(
            f"[{i}] {code}" + (" (numpy reference: _fill_kernels.REFERENCE)" if reference else "")
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["stages"]:
        stages(sys.argv[2:])
    elif sys.argv[1:2] == ["_stages_child"]:
        feeder_arg, strategy_arg, share_arg, mode = sys.argv[2:6]
        _stages_child(feeder_arg, strategy_arg, float(share_arg), mode == "reference")
    elif sys.argv[1:2] == ["grid"]:
        grid(*(int(a) for a in sys.argv[2:3]))
    else:
        main(*(int(a) for a in sys.argv[1:3]))
