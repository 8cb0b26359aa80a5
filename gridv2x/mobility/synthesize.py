"""Convenience wrapper: home-charging sessions for ``n`` default EVs (docs/design.md contract)."""

from __future__ import annotations

import datetime as dt
import inspect

import numpy as np
import pandas as pd

from gridv2x.conventions import period_index
from gridv2x.errors import InputError
from gridv2x.mobility.options import DEFAULTS
from gridv2x.mobility.sessions import sessions_for_fleet
from gridv2x.mobility.vehicles import draw_fleet

__all__ = ["synthesize_sessions", "seasonal_temperature"]


def seasonal_temperature(
    index: pd.DatetimeIndex,
    *,
    annual_mean_c: float = 7.0,
    seasonal_amplitude_c: float = 9.5,
    daily_amplitude_c: float = 3.0,
) -> pd.Series:
    """A smooth outdoor temperature for mobility on its own (no weather noise) [°C].

    ``T = mean − A_season cos(2π (doy − 20) / 365.25) − A_day cos(2π (hour − 3) / 24)``:
    coldest around 20 January and at 03 h. The defaults resemble SE3 (Stockholm: about −3 °C
    in January, 17 °C in July) [E]; studies use :func:`gridv2x.demand.outdoor_temperature`.
    """
    local = index.tz_localize(None) if index.tz is not None else index
    doy = local.dayofyear.to_numpy() + local.hour.to_numpy() / 24.0
    hour = local.hour.to_numpy() + local.minute.to_numpy() / 60.0
    values = (
        annual_mean_c
        - seasonal_amplitude_c * np.cos(2 * np.pi * (doy - 20.0) / 365.25)
        - daily_amplitude_c * np.cos(2 * np.pi * (hour - 3.0) / 24.0)
    )
    return pd.Series(values, index=index, name="temperature_c")


_FLEET_KEYS = set(inspect.signature(draw_fleet).parameters) - {"owners", "rng"}
_SESSION_KEYS = set(inspect.signature(sessions_for_fleet).parameters) - {
    "fleet",
    "index",
    "temperature_c",
    "rng",
}


def synthesize_sessions(
    n_vehicles: int,
    start: str | dt.date | pd.Timestamp,
    days: int,
    *,
    seed: int = 0,
    km_per_year: float = DEFAULTS["km_per_year"],
    resolution: str = "15min",
    temperature_c: pd.Series | None = None,
    return_fleet: bool = False,
    **kwargs,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Home-charging sessions of ``n_vehicles`` EVs with the default Swedish fleet.

    Parameters
    ----------
    n_vehicles : int
        Number of EVs (ids ``ev0000``, ``ev0001``, ...; owner ``c0000``, ...).
    start : str, date, datetime or pandas.Timestamp
        First day: ``YYYY-MM-DD``, or a time, naive (Swedish local) or timezone-aware; the
        period starts at local midnight (Europe/Stockholm) of that day.
    days : int
        Length of the period [d].
    seed : int
        Seed of the random generator; the same seed gives the same sessions.
    km_per_year : float
        Mean mileage [km/yr]; default 11 260 (docs/sources.md §4).
    resolution : str
        Step of the period index (the period ends at the end of its last step).
    temperature_c : pandas.Series, optional
        Outdoor temperature on ``period_index(start, days, resolution)`` [°C]; default
        :func:`seasonal_temperature`.
    return_fleet : bool
        Also return the fleet table (``conventions.FLEET_COLUMNS``).
    **kwargs
        Keyword arguments of :func:`gridv2x.mobility.draw_fleet` (``fleet_mix``,
        ``share_1ph``, ...) and :func:`gridv2x.mobility.sessions_for_fleet`.

    Returns
    -------
    pandas.DataFrame
        As :func:`gridv2x.mobility.sessions_for_fleet` (``ev_id, arrival, departure,
        energy_kwh, distance_km`` + ``driver_type``, ``public_kwh``). Per EV, the sum of
        ``distance_km`` is the distance it drove (all of it is recharged at home except
        ``public_kwh`` on trips longer than the battery allows). With ``return_fleet``, the
        tuple ``(sessions, fleet)``.
    """
    unknown = sorted(set(kwargs) - _FLEET_KEYS - _SESSION_KEYS)
    if unknown:
        raise InputError(
            f"synthesize_sessions: unknown keyword(s) {unknown}; allowed: "
            f"{sorted(_FLEET_KEYS | _SESSION_KEYS)}"
        )
    if (
        isinstance(n_vehicles, bool)
        or not isinstance(n_vehicles, int | np.integer)
        or n_vehicles < 0
    ):
        raise InputError(f"n_vehicles: given {n_vehicles!r}; allowed: an integer >= 0")
    rng = np.random.default_rng(seed)
    index = period_index(start, days, resolution)
    if temperature_c is None:
        temperature_c = seasonal_temperature(index)
    owners = pd.DataFrame(
        {
            "ev_id": [f"ev{i:04d}" for i in range(n_vehicles)],
            "customer_id": [f"c{i:04d}" for i in range(n_vehicles)],
        }
    )
    fleet = draw_fleet(owners, rng=rng, **{k: v for k, v in kwargs.items() if k in _FLEET_KEYS})
    sessions = sessions_for_fleet(
        fleet,
        index,
        temperature_c,
        rng=rng,
        km_per_year=km_per_year,
        **{k: v for k, v in kwargs.items() if k in _SESSION_KEYS},
    )
    return (sessions, fleet) if return_fleet else sessions
