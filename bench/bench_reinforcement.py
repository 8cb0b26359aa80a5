"""Benchmark: the reinforcement planner per stage, before and after the engine updates (issue 14).

Run by hand (not in CI)::

    python bench/bench_reinforcement.py [--days 365] [--shares 1.0,2.0] [--feeders a,b]
                                        [--balanced] [--pandapower-steps 24]

For each feeder (default: the hosting-capacity scenario's se-urban-apartments and
se-villa-large) and share, one uncontrolled task is simulated over ``--days`` days from
2030-01-01 (per phase unless ``--balanced``); where it violates, its plan is timed per stage in
the same run, side by side:

``before``
    every trial builds its load-flow engine from a copy of its net through pandapower's
    network model (``TrialFlows.rebuild_every_trial``, what the planner did before);
``after``
    a cable trial updates the feeder's engine (``RadialEngine.with_branch_parameters``);
``pandapower``
    the reference where it makes sense: pandapower's own load flow (``runpp`` /
    ``runpp_3ph`` step by step) of one trial on ``--pandapower-steps`` of the critical steps,
    scaled to all of them and to the whole period (what the planner would cost on it).

Stages (seconds of CPU, process time; one trial = a ``parallel_cable`` on the first cable line
of the plan, else the first line): the trial's engine (before: a copy of the net, pandapower's
network model and a new engine; after: the update), the trial's load flow on the critical
steps and its check (the same code before and after: no ``before``), the full-period re-check
(before: with a new engine) and the whole plan (``same_plan``: before and after give the same
measures and cost; both columns try the candidates cheapest first and reduce each load flow
once, so the whole-plan ratio is that of the engine updates alone: the planner before them
took 9.4 s CPU on se-villa-large 1.0 per phase against 2.9 s after, docs/architecture.md).
The machine is shared: compare the columns of one run, not runs.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

from gridv2x.metrics.limits import resolve_limits
from gridv2x.powerflow import build_engine, prepare_net, run_timeseries
from gridv2x.reinforcement import Measure, apply_plan, check, plan_reinforcement
from gridv2x.reinforcement.checks import critical_steps
from gridv2x.reinforcement.trials import TrialFlows
from gridv2x.scenario import scenario_from_dict
from gridv2x.study import Study


class _Capture(Study):
    def _reinforce(self, feeder, load_p_mw, load_q_mvar, pf):
        self.captured = (load_p_mw, load_q_mvar, pf)
        return None


def _cpu(call: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Least process time of ``repeat`` calls [s] and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        out = call()
        best = min(best, time.process_time() - start)
    return best, out


def _stages(feeder, load_p, load_q, pf, limits, asymmetric: bool, pp_steps: int) -> list[dict]:
    options = {"asymmetric": asymmetric, "threads": 0}
    buses = sorted(set(int(b) for b in feeder.customers["bus"]))
    steps = critical_steps(pf, buses)
    lp, lq = load_p.loc[steps], load_q.loc[steps]
    after, plan = _cpu(
        lambda: plan_reinforcement(
            feeder, load_p, load_q, limits=limits, pf=pf, powerflow_options=options
        )  # fmt: skip
    )
    TrialFlows.rebuild_every_trial = True
    try:
        before, old = _cpu(
            lambda: plan_reinforcement(
                feeder, load_p, load_q, limits=limits, pf=pf, powerflow_options=options
            )  # fmt: skip
        )
    finally:
        TrialFlows.rebuild_every_trial = False
    same = plan.measures == old.measures and plan.cost_sek == old.cost_sek
    lines = [m.index for m in plan.measures if m.measure in ("parallel_cable", "larger_cable")]
    line = int(lines[0] if lines else feeder.net.line.index[0])
    parallel = int(feeder.net.line.at[line, "parallel"]) + 1
    measure = Measure("parallel_cable", f"line {line}", "", "", 0.0, 0.0, line, parallel=parallel)
    flows = TrialFlows(feeder.net, options)
    base = flows.base
    engine_before, built = _cpu(
        lambda: build_engine(
            prepare_net(apply_plan(feeder.net, [measure]), asymmetric=asymmetric),
            asymmetric=asymmetric,
            copy_net=False,
        ),  # fmt: skip
        3,
    )
    engine_after, state = _cpu(lambda: flows.apply(base, [measure]), 3)
    run_s, trial = _cpu(lambda: flows.run(state, lp, lq), 3)
    check_s, _ = _cpu(lambda: check(trial, buses, limits), 3)
    full_run_s, full = _cpu(lambda: flows.run(state, load_p, load_q))
    full_check_s, _ = _cpu(lambda: check(full, buses, limits))
    n = min(pp_steps, len(steps))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_timeseries(
            feeder.net, lp.iloc[:1], lq.iloc[:1], engine="pandapower", asymmetric=asymmetric
        )  # fmt: skip  (warm: pandapower's first call)
        pp_s, _ = _cpu(
            lambda: run_timeseries(
                apply_plan(feeder.net, [measure]),
                lp.iloc[:n],
                lq.iloc[:n],
                engine="pandapower",
                asymmetric=asymmetric,
            )  # fmt: skip
        )
    per_step = pp_s / max(n, 1)
    rows = [
        ("trial engine (build / update)", engine_before, engine_after, None),
        (f"trial load flow, {len(steps)} critical steps", None, run_s, per_step * len(steps)),
        ("trial check, critical steps", None, check_s, None),
        (
            f"full-period re-check, {len(load_p)} steps",
            engine_before + full_run_s + full_check_s,
            full_run_s + full_check_s,
            per_step * len(load_p),
        ),  # fmt: skip
        (f"whole plan ({old.load_flows} / {plan.load_flows} load flows)", before, after, None),
    ]
    del built
    return [
        {
            "stage": stage,
            "before_s": None if b is None else round(b, 4),
            "after_s": round(a, 4),
            "ratio": None if b is None or a <= 0 else round(b / a, 1),
            "pandapower_s": None if p is None else round(p, 1),
            "same_plan": same,
            "plan_ksek": round(plan.cost_sek / 1000),
        }
        for stage, b, a, p in rows
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--shares", default="1.0,2.0")
    parser.add_argument("--feeders", default="se-urban-apartments,se-villa-large")
    parser.add_argument("--balanced", action="store_true", help="balanced load flow")
    parser.add_argument("--pandapower-steps", type=int, default=24)
    args = parser.parse_args()
    asymmetric = not args.balanced
    for name in args.feeders.split(","):
        shares = [float(s) for s in args.shares.split(",")]
        scenario = scenario_from_dict(
            {
                "name": "bench",
                "study": {"kind": "hosting_capacity", "ev_shares": shares, "seeds": 1},
                "period": {"start": "2030-01-01", "days": args.days},
                "networks": [{"builtin": name}],
                "charging": {"strategies": ["uncontrolled"]},
                "powerflow": {"asymmetric": asymmetric},
            }
        )
        study = _Capture(scenario, powerflow_threads=0)
        feeder = study.feeder(name)
        limits = resolve_limits(scenario.section("limits"))
        buses = list(feeder.customers["bus"])
        for task in study.tasks():
            study.simulate(feeder, task, study.prepare(feeder, task))
            load_p, load_q, pf = study.captured
            title = f"{name}, {task.ev_share:g} EV per customer, " + (
                "per phase" if asymmetric else "balanced"
            )
            if check(pf, buses, limits).passed:
                print(f"{title}: no violation, no plan\n", flush=True)
                continue
            table = pd.DataFrame(
                _stages(feeder, load_p, load_q, pf, limits, asymmetric, args.pandapower_steps)
            )
            print(title)
            print(table.to_string(index=False), "\n", flush=True)


if __name__ == "__main__":
    main()
