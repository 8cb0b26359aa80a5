"""Driving and fleet statistics of a session table, for reports and checks."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["daily_distance", "time_histograms", "fleet_summary"]


def daily_distance(sessions: pd.DataFrame) -> pd.Series:
    """Distance driven per EV and day of plug-in [km] (days with at least one session).

    A session carries the distance driven since the previous plug-in, so this is the daily
    distance only when every return home is a session (``mobility.plug_in_share`` 1); with the
    default 0.4 it is the distance between plug-ins.

    Parameters
    ----------
    sessions : pandas.DataFrame
        From :func:`gridv2x.mobility.sessions_for_fleet`.

    Returns
    -------
    pandas.Series
        Indexed by ``(ev_id, date)``; a multi-day absence counts on its return day.
    """
    trips = sessions[sessions["distance_km"] > 0]
    date = trips["arrival"].dt.tz_convert("Europe/Stockholm").dt.date
    return trips.groupby([trips["ev_id"], date.rename("date")])["distance_km"].sum()


def time_histograms(sessions: pd.DataFrame) -> pd.DataFrame:
    """Plug-ins at home and departures from home per hour of the day, weekdays and weekends.

    Arrivals are the returns home after which the car is plugged in (the sessions), which is
    every return when ``mobility.plug_in_share`` is 1.

    The period start (first session of each EV) and the period end (last) are not counted.

    Returns
    -------
    pandas.DataFrame
        Index ``hour`` 0..23; columns ``arrivals_weekday``, ``arrivals_weekend``,
        ``departures_weekday``, ``departures_weekend``: share of all arrivals (departures) of
        that kind of day [-] (each pair of columns sums to 1).
    """
    ev = sessions["ev_id"].to_numpy()
    first = np.r_[True, ev[1:] != ev[:-1]]
    last = np.r_[ev[1:] != ev[:-1], True]
    out = {}
    for name, times in (
        ("arrivals", sessions.loc[~first, "arrival"]),
        ("departures", sessions.loc[~last, "departure"]),
    ):
        local = times.dt.tz_convert("Europe/Stockholm")
        weekend = local.dt.dayofweek >= 5
        for kind, mask in (("weekday", ~weekend), ("weekend", weekend)):
            counts = local[mask].dt.hour.value_counts().reindex(range(24), fill_value=0)
            out[f"{name}_{kind}"] = counts / max(counts.sum(), 1)
    frame = pd.DataFrame(out)
    frame.index.name = "hour"
    return frame


def fleet_summary(fleet: pd.DataFrame, sessions: pd.DataFrame, days: float) -> pd.DataFrame:
    """One row per EV: car, charger and what it drove and charged over the period.

    Parameters
    ----------
    fleet : pandas.DataFrame
        From :func:`gridv2x.mobility.draw_fleet`.
    sessions : pandas.DataFrame
        From :func:`gridv2x.mobility.sessions_for_fleet`.
    days : float
        Length of the period [d] (to annualise the mileage).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ev_id``: ``customer_id, model, battery_kwh, charger_kw, phases, phase,
        driver_type, sessions, km, km_per_year, home_kwh, public_kwh, work_kwh,
        kwh_per_km_driven`` (energy at the battery over the period [kWh]).
    """
    grouped = sessions.groupby("ev_id")
    per_ev = pd.DataFrame(
        {
            "sessions": grouped.size(),
            "km": grouped["distance_km"].sum(),
            "home_kwh": grouped["energy_kwh"].sum(),
            "public_kwh": grouped["public_kwh"].sum() if "public_kwh" in sessions else 0.0,
            "work_kwh": grouped["work_kwh"].sum() if "work_kwh" in sessions else 0.0,
        }
    )
    if "driver_type" in sessions:
        per_ev["driver_type"] = grouped["driver_type"].first()
    out = fleet.set_index("ev_id").join(per_ev, how="left")
    out["km_per_year"] = out["km"] * 365.25 / days
    with np.errstate(invalid="ignore", divide="ignore"):
        driven_kwh = out["home_kwh"] + out["public_kwh"] + out["work_kwh"]
        out["kwh_per_km_driven"] = driven_kwh / out["km"]
    return out
