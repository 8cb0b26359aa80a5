"""V2H backup in an outage: how long a car at home can carry its household.

The model
---------
An outage of the feeder starts at step ``t``. A household whose bidirectional (V2H-capable) car
is plugged in at home at ``t`` islands on the car: the car supplies the household's own load,
``P_h(s)`` [kW] (with or without space heating), through its charger. The backup lasts until
the first of:

* the usable energy runs out: ``sum over [t, s) of P_h dt / eta_d > e(t) - e_reserve``, with
  ``e(t)`` the stored energy the task's charging schedule left at the start of the outage and
  ``e_reserve`` the energy the owner keeps for driving (``reserve_soc x battery``: the
  mobility need comes first);
* the load of one step exceeds the charger's discharge power (the household's peak cannot be
  carried; a planner can read this as "needs load shedding");
* the car leaves: owners drive when they planned to (the outage does not keep them home).

Backup hours are capped at ``max_hours``. A household with two V2H cars at home uses the one
with more usable energy. Households without a V2H car at home at ``t`` have no backup (NaN in
:func:`backup_hours`, 0 hours in :func:`resilience_table`).

References
----------
.. [1] Energimyndigheten, V2X status report (2026): resilience (V2H backup) as a V2X value;
   ``docs/sources.md §12``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridv2x.v2x.flexibility import _step_length, plugged_in

__all__ = ["backup_hours", "resilience_table", "coldest_week"]


def backup_hours(
    household_kw: pd.DataFrame,
    soc_kwh: pd.DataFrame,
    sessions: pd.DataFrame,
    fleet: pd.DataFrame,
    *,
    v2h_capable: pd.Series | None = None,
    discharge_efficiency: float = 0.92,
    reserve_soc: float = 0.4,
    max_discharge_kw: float | None = None,
    max_hours: float = 72.0,
) -> pd.DataFrame:
    """Backup hours per household and outage start (module docs).

    Parameters
    ----------
    household_kw : pandas.DataFrame
        ``[time x customer_id]`` household load without EVs [kW], >= 0 (negative values,
        e.g. rooftop PV, count as 0: the backup model does not island generation).
    soc_kwh : pandas.DataFrame
        ``[time x ev_id]`` stored energy at the end of each step [kWh] (the charging schedule).
    sessions : pandas.DataFrame
        ``ev_id, arrival, departure``: when each car is at home, plugged in.
    fleet : pandas.DataFrame
        ``ev_id, customer_id, battery_kwh`` [kWh], ``charger_kw`` [kW].
    v2h_capable : pandas.Series or None
        Bool per ``ev_id``: has a bidirectional charger. None = every car.
    discharge_efficiency : float
        Battery-to-home efficiency [-].
    reserve_soc : float
        Share of the usable battery kept for driving [-].
    max_discharge_kw : float or None
        Discharge limit [kW]; None = the charger power.
    max_hours : float
        Cap of the backup duration [h].

    Returns
    -------
    pandas.DataFrame
        ``[time x customer_id]`` backup hours [h] of each household for an outage starting at
        each step; NaN where no V2H car is at home. Only customers with a V2H car.
    """
    index = household_kw.index
    n_t = len(index)
    dt_h = _step_length(index) / 3.6e12
    fleet = fleet.set_index("ev_id")
    if v2h_capable is not None:
        fleet = fleet[v2h_capable.reindex(fleet.index).fillna(False).to_numpy(bool)]
    owners = sorted(set(fleet["customer_id"]))
    out = np.full((n_t, len(owners)), np.nan)
    if not owners or n_t == 0:
        return pd.DataFrame(out, index=index, columns=pd.Index(owners, name="customer_id"))
    ev_ids = list(fleet.index)
    plugged, end_step = plugged_in(sessions, ev_ids, index)
    e = soc_kwh.reindex(index=index, columns=ev_ids).to_numpy(dtype=float)
    e_start = np.vstack([e[:1], e[:-1]])  # stored energy at the start of each step
    reserve = reserve_soc * fleet["battery_kwh"].to_numpy(dtype=float)
    power = fleet["charger_kw"].to_numpy(dtype=float)
    if max_discharge_kw is not None:
        power = np.minimum(power, float(max_discharge_kw))
    usable = np.where(plugged, np.maximum(e_start - reserve[None, :], 0.0), -1.0)
    steps = np.arange(n_t)
    for j, owner in enumerate(owners):
        cars = np.flatnonzero(fleet["customer_id"].to_numpy() == owner)
        load = np.clip(household_kw[owner].to_numpy(dtype=float), 0.0, None)
        # energy drawn from the battery from the start up to the end of each step [kWh]
        drawn = np.concatenate([[0.0], np.cumsum(load * dt_h / discharge_efficiency)])
        best = np.full(n_t, np.nan)
        for c in cars:
            at_home = usable[:, c] >= 0.0
            if not at_home.any():
                continue
            # last step the energy lasts: drawn[s + 1] - drawn[t] <= usable
            reach = np.searchsorted(drawn, drawn[:-1] + usable[:, c], side="right") - 1
            # first step whose load the charger cannot carry, at or after t
            over = load > power[c]
            next_over = np.full(n_t + 1, n_t)
            idx = np.flatnonzero(over)
            if len(idx):
                pos = np.searchsorted(idx, steps)
                next_over[:n_t] = np.where(pos < len(idx), idx[np.minimum(pos, len(idx) - 1)], n_t)
            stop = np.minimum.reduce([reach, next_over[:n_t], np.where(at_home, end_step[:, c], 0)])
            hours = np.where(at_home, np.maximum(stop - steps, 0) * dt_h, np.nan)
            best = np.fmax(best, hours)
        out[:, j] = np.minimum(best, max_hours)
    return pd.DataFrame(out, index=index, columns=pd.Index(owners, name="customer_id"))


def coldest_week(temperature_c: pd.Series) -> pd.DatetimeIndex:
    """The steps of the 7 consecutive days with the lowest mean temperature [°C]."""
    daily = temperature_c.groupby(temperature_c.index.normalize()).mean()
    if len(daily) <= 7:
        return temperature_c.index
    weekly = daily.rolling(7).mean().dropna()
    last_day = weekly.idxmin()
    first_day = last_day - pd.Timedelta(days=6)
    days = temperature_c.index.normalize()
    return temperature_c.index[(days >= first_day) & (days <= last_day)]


def resilience_table(
    hours: pd.DataFrame,
    n_households: int,
    outage_hours: Sequence[float],
    windows: dict[str, pd.DatetimeIndex],
) -> pd.DataFrame:
    """Share of households a V2H car carries through an outage of H hours.

    Parameters
    ----------
    hours : pandas.DataFrame
        :func:`backup_hours` ``[time x customer_id]`` [h].
    n_households : int
        All households of the feeder [-].
    outage_hours : sequence of float
        Outage durations H [h].
    windows : dict
        Name -> outage start times (e.g. ``{"year": index, "coldest_week": ...}``).

    Returns
    -------
    pandas.DataFrame
        One row per window and H: ``window, outage_h``; ``v2h_home_share`` (households with a
        V2H car at home at the start, share of all households, mean over starts);
        ``covered_given_home`` (of those, the share carried H hours); ``covered_share`` (share of
        all households carried H hours); ``backup_h_p10, backup_h_p50, backup_h_p90`` (backup
        hours of households with a V2H car at home) [h].
    """
    rows = []
    for window, starts in windows.items():
        h = hours.reindex(starts).to_numpy(dtype=float)
        home = ~np.isnan(h)
        n_home = home.sum()
        values = h[home]
        h = np.nan_to_num(h, nan=0.0)
        for outage in outage_hours:
            covered = (home & (h >= float(outage) - 1e-9)).sum()
            n_starts = max(len(starts), 1)
            rows.append(
                {
                    "window": window,
                    "outage_h": float(outage),
                    "v2h_home_share": n_home / (n_starts * max(n_households, 1)),
                    "covered_given_home": covered / n_home if n_home else 0.0,
                    "covered_share": covered / (n_starts * max(n_households, 1)),
                    "backup_h_p10": float(np.quantile(values, 0.1)) if n_home else 0.0,
                    "backup_h_p50": float(np.quantile(values, 0.5)) if n_home else 0.0,
                    "backup_h_p90": float(np.quantile(values, 0.9)) if n_home else 0.0,
                }
            )
    return pd.DataFrame(rows)
