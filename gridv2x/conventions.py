"""Units, sign convention, time zone and column names shared by every stage.

* Power is in kW and energy in kWh inside gridv2x; pandapower and power-grid-model take MW and
  Mvar at the ``powerflow`` boundary only (``KW_PER_MW``).
* Load is positive. EV discharge (V2G) is negative load.
* Time indexes are timezone-aware in ``Europe/Stockholm`` at the scenario's resolution
  (15 min by default, as the Nordic day-ahead market since 1 Oct 2025).
* Phases are named ``"a"``, ``"b"``, ``"c"``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

TIMEZONE = "Europe/Stockholm"
KW_PER_MW = 1000.0
PHASES = ("a", "b", "c")
NOMINAL_PHASE_VOLTAGE_V = 230.0
"""Nominal phase-to-neutral voltage of Swedish LV networks [V]."""
NOMINAL_LINE_VOLTAGE_KV = 0.4
"""Nominal line-to-line voltage of Swedish LV networks [kV]."""

DWELLINGS = ("villa", "apartment", "farm", "business")
"""Dwelling types of ``Feeder.customers["dwelling"]``."""
HEATINGS = ("district", "heat_pump", "direct_electric", "none")
"""Heating types of ``Feeder.customers["heating"]``."""

CUSTOMER_COLUMNS = (
    "customer_id",  # str, unique within a feeder
    "bus",  # int, pandapower bus index
    "load",  # int, pandapower load index that carries this customer's power
    "dwelling",  # "villa" | "apartment" | "farm" | "business"
    "heating",  # "district" | "heat_pump" | "direct_electric" | "none"
    "fuse_a",  # main fuse [A]
    "annual_kwh",  # annual electricity use without EV [kWh]
    "phases",  # 1 or 3: how the customer is connected
    "phase",  # "a" | "b" | "c" for a single-phase customer, "abc" for three-phase
    "x",  # easting, SWEREF 99 TM (EPSG:3006) [m]
    "y",  # northing, SWEREF 99 TM (EPSG:3006) [m]
)
"""Columns of ``Feeder.customers``."""

SESSION_COLUMNS = ("ev_id", "arrival", "departure", "energy_kwh", "distance_km")
"""Columns of a home-charging session table (``mobility.synthesize_sessions``)."""

FLEET_COLUMNS = (
    "ev_id",  # str, unique within a feeder and seed
    "customer_id",  # owner
    "model",  # vehicle model name
    "battery_kwh",  # usable battery [kWh]
    "charger_kw",  # max AC charging power at the home charger [kW]
    "phases",  # 1 or 3
    "phase",  # "a" | "b" | "c" | "abc"
    "kwh_per_km",  # consumption at 20 °C [kWh/km]
)
"""Columns of the EV fleet table (``mobility.draw_fleet``)."""

SUMMARY_COLUMNS = (
    "feeder",
    "strategy",
    "seed",
    "ev_share",
    "n_evs",
    "transformer_peak_kw",
    "transformer_max_loading_pct",
    "line_max_loading_pct",
    "v_min_pu",
    "v_max_pu",
    "voltage_violation_share",
    "en50160_compliant",
    "unbalance_max_pct",
    "losses_kwh",
    "ev_charged_kwh",
    "ev_discharged_kwh",
    "ev_driving_kwh",
    "ev_unmet_kwh",
    "v2g_virtual_km",
    "converged_share",
)
"""Summary columns every task row carries at least (docs/design.md contract)."""


def period_index(start: Any, days: int, resolution: str = "15min") -> pd.DatetimeIndex:
    """Time index of a study period.

    Parameters
    ----------
    start : str, date, datetime or pandas.Timestamp
        First day: ``YYYY-MM-DD``, or a time, naive (Swedish local) or timezone-aware; the
        period starts at local midnight (Europe/Stockholm) of that day
        (:func:`gridv2x.calendar.start_day`).
    days : int
        Number of days [d].
    resolution : str
        Step length as a pandas frequency (``"15min"``, ``"60min"``).

    Returns
    -------
    pandas.DatetimeIndex
        Timezone-aware (Europe/Stockholm) start times of each step; the steps are equally long
        in absolute time, so a day with a DST change has 92 or 100 quarter hours.
    """
    from gridv2x.calendar import start_day

    day = start_day(start)
    first = pd.Timestamp(day, tz=TIMEZONE)
    last = pd.Timestamp(pd.Timestamp(day) + pd.Timedelta(days=days), tz=TIMEZONE)
    index = pd.date_range(first, last, freq=resolution, inclusive="left")
    index.name = "time"
    return index


def step_hours(index: pd.DatetimeIndex) -> float:
    """Length of one step of ``index`` [h]."""
    return pd.Timedelta(index.freq).total_seconds() / 3600.0
