"""Time the charging strategies on 200 EVs x one year of 15-minute steps (35040 steps).

Run by hand: ``python bench/bench_charging.py [n_ev] [days]``. Prints the time per strategy,
the feeder peak, the unmet energy and the V2G throughput. Inputs are synthetic (evening-to-
morning sessions on ~80 % of days, an evening-peaking base load), built like the tests'.

``python bench/bench_charging.py grid [days]`` times grid-aware V1G/V2G against plain on a
built-in feeder with the study's own inputs (se-villa-large, 2 EVs per household, objective
price, lower voltage limit 0.95 pu) and counts the steps beyond the limits in the
power-grid-model load flow of each schedule.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


if __name__ == "__main__":
    if sys.argv[1:2] == ["grid"]:
        grid(*(int(a) for a in sys.argv[2:3]))
    else:
        main(*(int(a) for a in sys.argv[1:3]))
