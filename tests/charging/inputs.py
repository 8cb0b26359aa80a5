"""Realistic-looking test inputs for the charging tests, built directly as DataFrames."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from gridv2x.charging import schedule
from gridv2x.conventions import period_index

perfect_schedule = functools.partial(schedule, foresight="perfect")
""":func:`gridv2x.charging.schedule` with perfect foresight: the tests of the scheduling
algorithm (optimality, energy balance, mobility guarantee) pin it; forecasts are tested in
``test_realistic.py``."""


def make_fleet(n_ev: int, rng: np.random.Generator) -> pd.DataFrame:
    """Fleet with the FLEET_COLUMNS: 20 % single-phase 3.7 kW, 80 % three-phase 11 kW."""
    single = rng.random(n_ev) < 0.2
    return pd.DataFrame(
        {
            "ev_id": [f"c{i:03d}-ev1" for i in range(n_ev)],
            "customer_id": [f"c{i:03d}" for i in range(n_ev)],
            "model": "generic",
            "battery_kwh": rng.choice([51.0, 60.0, 64.0, 75.0], n_ev),
            "charger_kw": np.where(single, 3.7, 11.0),
            "phases": np.where(single, 1, 3),
            "phase": np.where(single, rng.choice(list("abc"), n_ev), "abc"),
            "kwh_per_km": 0.18,
        }
    )


def make_sessions(fleet: pd.DataFrame, index: pd.DatetimeIndex, rng) -> pd.DataFrame:
    """One evening-to-morning session per EV and driving day (~80 % of days)."""
    days = pd.date_range(index[0], index[-1], freq="D", tz=index.tz).normalize().unique()
    rows = []
    for ev in fleet["ev_id"]:
        last_departure = index[0]
        for day in days:
            if rng.random() < 0.2:
                continue
            arrival = day + pd.Timedelta(hours=float(np.clip(rng.normal(17.5, 1.5), 12, 23)))
            departure = day + pd.Timedelta(hours=24 + float(np.clip(rng.normal(7.3, 0.8), 5, 10)))
            if arrival <= last_departure:
                continue
            km = float(np.clip(rng.lognormal(np.log(25), 0.7), 1, 250))
            rows.append((ev, arrival, departure, 0.18 * km, km))
            last_departure = departure
    return pd.DataFrame(
        rows, columns=["ev_id", "arrival", "departure", "energy_kwh", "distance_km"]
    )


def make_base_load(index: pd.DatetimeIndex, n_customers: int, rng) -> pd.Series:
    """Feeder base load [kW]: morning and evening peaks, ~1.2 kW per customer on average."""
    hour = index.hour + index.minute / 60
    shape = (
        0.7
        + 0.5 * np.exp(-0.5 * ((hour - 7.5) / 1.2) ** 2)
        + 0.9 * np.exp(-0.5 * ((hour - 18.5) / 2.0) ** 2)
    )
    noise = 1 + 0.05 * rng.standard_normal(len(index))
    return pd.Series(n_customers * 1.0 * shape * noise, index=index, name="base_load_kw")


def make_case(n_ev: int = 20, days: int = 7, seed: int = 0, resolution: str = "15min"):
    """(sessions, fleet, index, base_load_kw) for a feeder with ``2.5 x n_ev`` customers."""
    rng = np.random.default_rng(seed)
    index = period_index("2030-01-07", days, resolution)
    fleet = make_fleet(n_ev, rng)
    sessions = make_sessions(fleet, index, rng)
    base = make_base_load(index, int(2.5 * n_ev), rng)
    return sessions, fleet, index, base
