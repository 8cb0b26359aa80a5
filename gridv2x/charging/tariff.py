"""Power-based grid tariff (effekttariff) for the ``price`` objective.

All Swedish DSOs must have a power component in their tariffs by 1 Jan 2027 (EIFS 2022:1,
docs/sources.md §6). Typical designs charge per kW of the month's highest hourly mean power, often
only on weekdays in a daytime window (e.g. Sala-Heby 07-19, Kristinehamn 07-17 Nov-Mar;
28-112 SEK/kW-month, docs/sources.md §6).

Model used here (a screening model): the fee applies to the EV's own highest hourly mean
power in the tariff window each month (the household's other load is not known to the charging
stage). With the ``price`` objective and a fee set, smart charging caps the EV's power inside
the window at the lowest level that still lets every session of that month reach its departure
target; the rest is charged outside the window. The fee is then reported per EV for every
strategy as ``power_tariff_sek``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridv2x.charging import _fill
from gridv2x.conventions import TIMEZONE

__all__ = ["tariff_window", "power_tariff_cost"]

# the options (fee, window, months) and their defaults and bounds: charging/options.py


def tariff_window(
    index: pd.DatetimeIndex, hours=(7, 19), weekdays_only: bool = True, months=range(1, 13)
) -> np.ndarray:
    """Steps inside the tariff window (local time) as a boolean array."""
    local = index.tz_convert(TIMEZONE)
    hour = local.hour + local.minute / 60.0
    inside = (hour >= hours[0]) & (hour < hours[1]) & np.isin(local.month, list(months))
    if weekdays_only:
        inside &= local.dayofweek < 5
    return np.asarray(inside)


def capped_charger(w, need_steps: np.ndarray, window: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Charger limits with the power inside the tariff window capped per EV and month [kW].

    The cap of a session is the lowest power ``P`` with ``sum(cap outside) + sum(min(cap, P)
    inside) >= need``; an EV's cap in a month is the largest over its sessions in that month,
    so every session stays as feasible as without the cap.
    """
    inside = window[w.step]
    cap = w.cap
    outside_cap = _fill.segment_sum(np.where(inside, 0.0, cap), w.starts)
    rest = np.maximum(need_steps - outside_cap, 0.0)
    hi = np.maximum.reduceat(cap, w.starts) if len(w.starts) else np.zeros(0)
    inside_cap = _fill.segment_sum(np.where(inside, cap, 0.0), w.starts)
    full = rest >= inside_cap

    def energy(level):
        return _fill.segment_sum(np.where(inside, np.minimum(cap, level[w.seg]), 0.0), w.starts)

    level = _fill._solve_level(energy, np.zeros_like(hi), hi, np.minimum(rest, inside_cap))
    level = np.where(rest <= 0, 0.0, np.where(full, hi, level))
    n_ev = int(w.ev_of.max()) + 1 if len(w.ev_of) else 0
    key = w.ev_of * 12 + (month[w.step] - 1)
    table = np.zeros(n_ev * 12)
    np.maximum.at(table, key[inside], level[w.seg][inside])
    return np.where(inside, np.minimum(cap, table[key]), cap)


def power_tariff_cost(
    power_kw: pd.DataFrame, window: np.ndarray, sek_per_kw_month: float
) -> pd.Series:
    """Monthly fee on each EV's highest hourly mean power inside the window [SEK].

    Parameters
    ----------
    power_kw : pandas.DataFrame
        ``[time x ev_id]`` EV power [kW].
    window : ndarray of bool
        Steps inside the tariff window.
    sek_per_kw_month : float
        Fee [SEK per kW and month].
    """
    local = power_kw.index.tz_convert(TIMEZONE)
    hour_start = local.floor("h", ambiguous=False, nonexistent="shift_forward")
    inside = pd.DataFrame(
        np.where(window[:, None], power_kw.to_numpy(), np.nan),
        index=power_kw.index,
        columns=power_kw.columns,
    )
    hourly = inside.groupby(hour_start.tz_localize(None)).mean()
    monthly = hourly.groupby(hourly.index.to_period("M")).max().fillna(0.0).clip(lower=0.0)
    return (monthly.sum() * sek_per_kw_month).rename("power_tariff_sek")
