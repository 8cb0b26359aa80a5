"""Benchmark: a reinforcement plan's cost against a full-period re-check (issue 17).

Run by hand (not in CI)::

    python bench/bench_reinforcement.py [--days 91] [--shares 1.0,2.0] [--feeders a,b]

For each feeder (default: the hosting-capacity scenario's se-urban-apartments and
se-villa-large) and share, one uncontrolled task is simulated over ``--days`` winter days;
where it violates, its plan is searched three ways and timed in the same run:

1. ``steps``: on the critical steps only (each element's worst step + the top-load steps);
2. ``full``: the same, then checked with a load flow over every step (the default);
3. the reference: one load flow over every step (what a re-check costs), and the search
   run on *every* step (``top_steps`` = all steps), which is what the critical steps save.

It prints per task: steps searched / all steps, load flows of the search, seconds of each
variant, the plan's cost, whether the steps-only plan passes a fresh full-period load flow,
and whether the full-step search finds a cheaper plan. The machine is shared: absolute times
are noisy, compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from gridv2x.metrics.summary import resolve_limits
from gridv2x.powerflow import TimeseriesEngine
from gridv2x.reinforcement import apply_plan, check, plan_reinforcement
from gridv2x.scenario import scenario_from_dict
from gridv2x.study import Study


class _Capture(Study):
    def _reinforce(self, feeder, load_p_mw, load_q_mvar, pf):
        self.captured = (load_p_mw, load_q_mvar, pf)
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=91)
    parser.add_argument("--shares", default="1.0,2.0")
    parser.add_argument("--feeders", default="se-urban-apartments,se-villa-large")
    args = parser.parse_args()
    rows = []
    for name in args.feeders.split(","):
        shares = [float(s) for s in args.shares.split(",")]
        scenario = scenario_from_dict(
            {
                "name": "bench",
                "study": {"kind": "hosting_capacity", "ev_shares": shares, "seeds": 1},
                "period": {"start": "2030-01-01", "days": args.days},
                "networks": [{"builtin": name}],
                "charging": {"strategies": ["uncontrolled"]},
            }
        )
        study = _Capture(scenario, powerflow_threads=0)
        feeder = study.feeder(name)
        limits = resolve_limits(scenario.section("limits"))
        buses = list(feeder.customers["bus"])
        for task in study.tasks():
            study.simulate(feeder, task, study.prepare(feeder, task))
            load_p, load_q, pf = study.captured
            if check(pf, buses, limits).passed:
                rows.append({"feeder": name, "share": task.ev_share, "violates": False})
                continue
            timings = {}
            plans = {}
            for label, kwargs in (
                ("steps", {"verify": "steps"}),
                ("full", {"verify": "full"}),
                ("all_steps", {"verify": "steps", "top_steps": len(load_p)}),
            ):
                start = time.perf_counter()
                plans[label] = plan_reinforcement(
                    feeder, load_p, load_q, limits=limits, pf=pf, **kwargs
                )
                timings[label] = time.perf_counter() - start
            start = time.perf_counter()
            fresh = TimeseriesEngine(
                apply_plan(feeder.net, plans["steps"].measures), threads=0
            ).run(load_p, load_q)
            recheck_s = time.perf_counter() - start
            rows.append(
                {
                    "feeder": name,
                    "share": task.ev_share,
                    "violates": True,
                    "steps": f"{plans['steps'].n_steps}/{len(load_p)}",
                    "flows": plans["steps"].load_flows,
                    "search_s": round(timings["steps"], 1),
                    "search+verify_s": round(timings["full"], 1),
                    "full_recheck_s": round(recheck_s, 1),
                    "all_steps_search_s": round(timings["all_steps"], 1),
                    "cost_ksek": round(plans["full"].cost_sek / 1000),
                    "steps_plan_passes_full": check(fresh, buses, limits).passed,
                    "all_steps_cost_ksek": round(plans["all_steps"].cost_sek / 1000),
                    "rounds": plans["full"].rounds,
                }
            )
            print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
