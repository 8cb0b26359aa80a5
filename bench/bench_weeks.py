"""Benchmark: representative weeks against the full year — speed and error (issue 7).

Run by hand (not in CI)::

    python bench/bench_weeks.py [SCENARIO] [--seeds 3] [--weeks 4,8,13] [--rule peak]
                                [--workers 2] [--days N]

It runs the same study (default ``scenarios/hosting-capacity.yaml``: se-urban-apartments and
se-villa-large, uncontrolled / V1G / V2G, EV shares 0.25-2.0) once over the full period and
once per number of representative weeks (``period.representative_weeks``), all with
``gridv2x.run(..., workers=N)``, and prints:

1. wall time of each run and its speed-up over the full year;
2. per feeder and strategy, the hosting capacity (EV share) full year vs weeks;
3. per number of weeks, over all tasks: error of the transformer peak [kW] and [%], of the
   lowest customer voltage [pu], agreement of the violation flag (and how many violations
   the weeks miss or add), and how often the week of the full year's transformer peak was
   simulated.

``--seeds`` sets the Monte-Carlo draws (the scenario's 10 take about 8.5 min for the full year
alone on 2 cores; 3 keep the whole benchmark near 10 min).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import gridv2x
from gridv2x.period import calendar_weeks

ROOT = Path(__file__).resolve().parents[1]


def _run(scenario, workers: int, out: Path) -> tuple[gridv2x.StudyResult, float]:
    start = time.perf_counter()
    result = gridv2x.run(scenario, workers=workers, out=out, progress=False)
    return result, time.perf_counter() - start


def _peak_week_covered(full: gridv2x.StudyResult, weeks: pd.DataFrame) -> float:
    """Share of tasks whose full-year transformer-peak week is among the simulated weeks."""
    hits = []
    for task_id, simulated in weeks.set_index("task_id")["simulated_weeks"].items():
        ts = full.timeseries(task_id)
        peak_week = calendar_weeks(pd.DatetimeIndex([ts["transformer_p_kw"].idxmax()]))[0]
        hits.append(peak_week in {pd.Timestamp(w) for w in str(simulated).split(";")})
    return float(np.mean(hits)) if hits else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenario", nargs="?", default=str(ROOT / "scenarios/hosting-capacity.yaml")
    )
    parser.add_argument("--seeds", type=int, default=3, help="Monte-Carlo draws per share")
    parser.add_argument("--weeks", default="4,8,13", help="numbers of weeks to compare")
    parser.add_argument("--rule", default="peak", choices=("peak", "spread"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--days", type=int, default=None, help="shorten the period")
    args = parser.parse_args()

    scenario = gridv2x.read_scenario(args.scenario)
    # every task keeps its time series (the full year's peak week is looked up per task)
    scenario = scenario.replace(study={"seeds": args.seeds, "time_series": "all"})
    if args.days:
        scenario = scenario.replace(period={"days": args.days})
    n_tasks = len(gridv2x.Study(scenario).tasks())
    print(
        f"scenario {scenario.name}: {n_tasks} tasks ({args.seeds} draws per share), "
        f"{scenario.period['days']} days, {args.workers} workers, {os.cpu_count()} cores",
        file=sys.stderr,
    )
    weeks_list = [int(k) for k in args.weeks.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("full period ...", file=sys.stderr)
        full, full_s = _run(scenario, args.workers, tmp / "full")
        runs = {}
        for k in weeks_list:
            print(f"{k} weeks ({args.rule}) ...", file=sys.stderr)
            weekly = scenario.replace(
                period={"representative_weeks": k, "week_selection": args.rule}
            )
            runs[k] = _run(weekly, args.workers, tmp / f"weeks{k}")

        print(f"\n1. Wall time ({n_tasks} tasks, {args.workers} workers)\n")
        print(f"{'run':<22} {'wall [s]':>9} {'speed-up':>9} {'failed':>7}")
        print(f"{'full period':<22} {full_s:>9.0f} {1.0:>9.2f} {len(full.failures):>7}")
        for k, (result, seconds) in runs.items():
            label = f"{k} weeks ({args.rule})"
            print(f"{label:<22} {seconds:>9.0f} {full_s / seconds:>9.2f} {len(result.failures):>7}")

        if full.hosting_capacity is not None:
            print(
                "\n2. Hosting capacity [EV share at risk "
                f"{scenario.study['risk']}] ('>=' = not reached at the largest share)\n"
            )
            keys = ["feeder", "strategy"]

            def fmt(table: pd.DataFrame) -> pd.Series:
                t = table.set_index(keys)
                return t.apply(
                    lambda r: (
                        ("" if r["hosting_capacity_reached"] else ">=")
                        + f"{r['hosting_capacity_share']:.2f}"
                    ),
                    axis=1,
                )

            table = pd.DataFrame({"full": fmt(full.hosting_capacity)})
            for k, (result, _) in runs.items():
                table[f"{k} weeks"] = fmt(result.hosting_capacity)
            print(table.to_string())

        print("\n3. Error of the weeks against the full period, over all tasks\n")
        header = (
            f"{'weeks':>5} {'peak err mean/max [kW]':>23} {'[%] mean/max':>13} "
            f"{'v_min err mean/max [pu]':>24} {'violation agree':>16} {'missed':>7} "
            f"{'added':>6} {'peak week simulated':>20}"
        )
        print(header)
        base = full.summary.set_index("task_id")
        for k, (result, _) in runs.items():
            w = result.summary.set_index("task_id").reindex(base.index)
            peak_err = w["transformer_peak_kw"] - base["transformer_peak_kw"]
            peak_pct = 100 * peak_err / base["transformer_peak_kw"]
            v_err = w["v_min_pu"] - base["v_min_pu"]
            flag_full = base["violation"].astype(bool)
            flag_weeks = w["violation"].astype(bool)
            agree = (flag_full == flag_weeks).mean()
            missed = int((flag_full & ~flag_weeks).sum())
            added = int((~flag_full & flag_weeks).sum())
            covered = _peak_week_covered(full, result.summary)
            print(
                f"{k:>5} {peak_err.abs().mean():>11.2f} / {peak_err.abs().max():>8.2f} "
                f"{peak_pct.abs().mean():>6.2f} / {peak_pct.abs().max():>5.2f} "
                f"{v_err.abs().mean():>11.4f} / {v_err.abs().max():>9.4f} "
                f"{100 * agree:>14.1f} % {missed:>7} {added:>6} {100 * covered:>18.0f} %"
            )
        print("\n4. Transformer peak error [%] mean / max |weeks - full| per feeder and strategy\n")
        per = {}
        for k, (result, _) in runs.items():
            w = result.summary.set_index("task_id").reindex(base.index)
            pct = (100 * (w["transformer_peak_kw"] / base["transformer_peak_kw"] - 1)).abs()
            grouped = pct.groupby([base["feeder"], base["strategy"]])
            per[f"{k} weeks"] = (
                grouped.mean().map("{:.1f}".format) + " / " + grouped.max().map("{:.1f}".format)
            )
        print(pd.DataFrame(per).to_string())
        print(
            "\nerrors are weeks minus full period; 'missed' = violating over the full period "
            "but not on the weeks; 'added' = the reverse (cannot happen for extremes, only "
            "through the week boundaries)."
        )


if __name__ == "__main__":
    main()
