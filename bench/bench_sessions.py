"""Time the synthetic driving: 1,000 EVs × one year of home-charging sessions.

Run by hand (not in CI): ``python bench/bench_sessions.py [n_vehicles] [days]``. Prints the
time of ``synthesize_sessions`` (fleet draw + trip chains + sessions, warm) and of the
adoption step on a 1,000-customer feeder, with a few statistics of the result.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from gridv2x.adoption import allocate_evs
from gridv2x.mobility import synthesize_sessions


def main(n_vehicles: int = 1000, days: int = 365, repeats: int = 3) -> None:
    synthesize_sessions(10, "2025-01-01", 7, seed=0)  # warm up imports and caches
    times = []
    for seed in range(repeats):
        t0 = time.perf_counter()
        sessions = synthesize_sessions(n_vehicles, "2025-01-01", days, seed=seed)
        times.append(time.perf_counter() - t0)
    km = sessions.groupby("ev_id")["distance_km"].sum()
    print(
        f"synthesize_sessions: {n_vehicles} EVs x {days} days -> {len(sessions):,} sessions in "
        f"{min(times):.2f} s (best of {repeats}; all: {', '.join(f'{t:.2f}' for t in times)})"
    )
    print(
        f"  mean distance {km.mean():,.0f} km/EV over the period, "
        f"{(sessions['energy_kwh'].sum() / n_vehicles):,.0f} kWh/EV at home, "
        f"{sessions['public_kwh'].sum() / n_vehicles:,.0f} kWh/EV public"
    )
    n = 1000
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "dwelling": np.where(np.arange(n) % 3 == 0, "apartment", "villa"),
            "fuse_a": 20,
        }
    )
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(100):
        allocate_evs(customers, rng=rng, share=0.5)
    print(f"allocate_evs: 1,000 customers, share 0.5: {(time.perf_counter() - t0) * 10:.1f} ms")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
