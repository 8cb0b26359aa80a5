"""Cost and effect of charging as it will really happen (issue 15), side by side.

Run by hand: ``python bench/bench_realistic.py [feeder] [days] [share]`` (default
se-villa-large, 28 days from 6 January, 1.0 EV per customer). Schedules V1G and V2G with
perfect foresight (the reference: the upper bound), with forecasts, with household
coordination (objective price), each with and without the load guard, on the study's own
inputs, and prints per run the time, the feeder peak (base + EV load), the departure
shortfall, the unmet energy, the energy lost to the load guard and ``ev_to_ev_kwh``. The
machine is shared: compare the times of one run with each other (ratios), not across runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gridv2x import charging  # noqa: E402
from gridv2x.scenario import scenario_from_dict  # noqa: E402
from gridv2x.study import Study, Task  # noqa: E402


def main(feeder: str = "se-villa-large", days: int = 28, share: float = 1.0) -> None:
    study = Study(
        scenario_from_dict(
            {
                "name": "bench-realistic",
                "study": {"seed": 0},
                "period": {"start": "2030-01-06", "days": days},
                "networks": [{"builtin": feeder}],
                "adoption": {"share": share},
            }
        )
    )
    f = study.feeder(feeder)
    inputs = study.prepare(f, Task(feeder, "uncontrolled", 0))
    options = study.scenario.section("charging")
    options.pop("strategies")
    base = inputs.base_p_kw.sum(axis=1)
    guard = charging.load_guard_limits(
        f.customers, inputs.base_p_kw, inputs.base_q_kvar, inputs.fleet
    )
    runs = [("uncontrolled", {})]
    for strategy in ("v1g", "v2g"):
        runs += [
            (strategy, {"foresight": "perfect"}),
            (strategy, {"foresight": "forecast"}),
            (
                strategy,
                {"coordination": "household", strategy: {"objective": "price"}},
            ),
        ]
    print(f"{feeder}: {len(inputs.fleet)} EVs, {days} days, {len(study.index)} steps")
    header = (
        f"{'strategy':<13}{'options':<64}{'guard':<7}{'time s':>8}{'peak kW':>9}"
        f"{'short kWh':>11}{'unmet kWh':>11}{'guard kWh':>11}{'ev2ev kWh':>11}"
    )
    print(header)
    print("-" * len(header))
    for strategy, extra in runs:
        for load_guard in (None, guard):
            t = time.perf_counter()
            result = charging.schedule(
                strategy,
                inputs.sessions,
                inputs.fleet,
                study.index,
                base,
                household_kw=inputs.base_p_kw,
                load_guard=load_guard,
                **{**options, **extra},
            )
            elapsed = time.perf_counter() - t
            totals = result.totals()
            lost = float(result.per_ev["guard_lost_kwh"].sum())
            print(
                f"{strategy:<13}{str(extra):<64}{'on' if load_guard else 'off':<7}"
                f"{elapsed:>8.1f}{float((base + result.ev_load_kw).max()):>9.1f}"
                f"{totals['ev_shortfall_kwh']:>11.1f}{totals['ev_unmet_kwh']:>11.1f}"
                f"{lost:>11.1f}{totals['ev_to_ev_kwh']:>11.1f}"
            )


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "se-villa-large",
        int(sys.argv[2]) if len(sys.argv) > 2 else 28,
        float(sys.argv[3]) if len(sys.argv) > 3 else 1.0,
    )
