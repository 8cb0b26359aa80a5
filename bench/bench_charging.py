"""Time the charging strategies on 200 EVs x one year of 15-minute steps (35040 steps).

Run by hand: ``python bench/bench_charging.py [n_ev] [days]``. Prints the time per strategy,
the feeder peak, the unmet energy and the V2G throughput. Inputs are synthetic (evening-to-
morning sessions on ~80 % of days, an evening-peaking base load), built like the tests'.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
