"""Benchmark and calibration printout of gridv2x.demand (run by hand, not in CI).

    python bench/bench_demand.py

Prints the run time of outdoor_temperature and base_load for 60 customers over a year of
15-min steps (target well under 2 s), and the coincident hourly peak of 50 villas against
Velander's formula (docs/sources.md §2) over several synthetic weather years.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from gridv2x.conventions import period_index
from gridv2x.demand import base_load, outdoor_temperature


def customers(n: int, seed: int = 0) -> pd.DataFrame:
    """Villa area: 45 % heat pump 11 MWh, 20 % direct electric 20 MWh, 35 % 5 MWh (±20 %)."""
    r = np.random.default_rng(seed)
    heating = r.choice(
        ["heat_pump", "direct_electric", "district", "none"], n, p=[0.45, 0.2, 0.3, 0.05]
    )
    kwh = np.select(
        [heating == "heat_pump", heating == "direct_electric"], [11000.0, 20000.0], 5000.0
    ) * r.uniform(0.8, 1.2, n)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "dwelling": "villa",
            "heating": heating,
            "annual_kwh": kwh,
        }
    )


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    idx = period_index("2030-01-01", 365, "15min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(0))
    c60 = customers(60)
    t_weather = best_of(lambda: outdoor_temperature(idx, rng=np.random.default_rng(0)))
    t_load = best_of(lambda: base_load(c60, idx, temp, rng=np.random.default_rng(0)))
    print(f"outdoor_temperature, 35040 steps:              {t_weather * 1e3:7.1f} ms")
    print(f"base_load, 60 customers x 35040 steps:          {t_load * 1e3:7.1f} ms")
    short = period_index("2030-01-14", 7, "15min")
    t_short = best_of(lambda: base_load(c60, short, temp.loc[short], rng=np.random.default_rng(0)))
    print(f"base_load, 60 customers x 1 week (pro rata):    {t_short * 1e3:7.1f} ms")

    hourly = period_index("2030-01-01", 365, "60min")
    c50 = customers(50)
    total = c50["annual_kwh"].sum()
    velander = 0.0003 * total + 0.0375 * np.sqrt(total)
    ratios = []
    for s in range(16):
        t = outdoor_temperature(hourly, rng=np.random.default_rng(100 + s), zone="SE3")
        p, _ = base_load(c50, hourly, t, rng=np.random.default_rng(s))
        ratios.append(p.sum(axis=1).max() / velander)
    r = np.array(ratios)
    print(
        f"50 villas, {total / 1e3:.0f} MWh/yr: Velander {velander:.1f} kW; coincident hourly peak "
        f"/ Velander over 16 weather years: mean {r.mean():.3f}, min {r.min():.3f}, "
        f"max {r.max():.3f}"
    )


if __name__ == "__main__":
    main()
