"""Forecasts a smart-charging controller can really make (``charging.foresight: forecast``).

With ``foresight: perfect`` V1G and V2G plan on the realised household load and every car's
exact departure: an upper bound of what coordination can achieve. With ``forecast`` (the
default) the controller plans each session on what it can know at plug-in:

- **household load**: the feeder's base load forecast as the mean of the same step on the
  same weekday of the past ``LOAD_HISTORY_WEEKS`` weeks (weekly persistence, the standard
  baseline of short-term load forecasting); in the first week, the mean of the same step on
  the days before; on the first day, the day itself (no history exists: stated, not hidden);
- **departure**: the car's own history: a cautious quantile (``DEPARTURE_QUANTILE``) of its
  previous ``DWELL_HISTORY`` stays that began in the same part of the day (evening/night vs
  daytime) on the same kind of day (Monday-Friday vs weekend); before the car has
  ``MIN_HISTORY`` such stays, ``PRIOR_DWELL_H``;
- **energy need**: known at plug-in (the charger or the car's app reads the state of charge);
  the departure target is the scenario's target level.

Then reality happens (``windows._forecast_realised``): a car that leaves before its
forecast departure takes what it has; the plan's energy after the real departure is lost and
shows as ``shortfall_kwh`` (and ``unmet_kwh`` when a later trip then lacks energy). A car
still plugged in after its forecast departure gets what its session still misses at full
power from then on (the controller notices it is still there). The next session starts from
the real state of charge: the need of every session is re-planned once from the realised
chain of stored energy (``REPLANS``). Not modelled: the coordination passes see the other
cars' plans for the whole period, where a controller that re-plans at every plug-in and
departure sees them for the cars plugged in (docs/sources.md §9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from gridv2x.conventions import TIMEZONE, step_hours

__all__ = [
    "FORESIGHTS",
    "LOAD_HISTORY_WEEKS",
    "DEPARTURE_QUANTILE",
    "forecast_base_load",
    "planned_departures",
]

FORESIGHTS = ("forecast", "perfect")
LOAD_HISTORY_WEEKS = 4
"""Weeks of history in the household-load forecast [weeks]. [E] docs/sources.md §9."""
DEPARTURE_QUANTILE = 0.25
"""Quantile of the car's past stays used as its forecast stay [-]. [E] A cautious controller
plans to finish early: a car leaves before this forecast in about one stay in four."""
DWELL_HISTORY = 20
"""Previous stays of the same kind the departure forecast looks at [-]. [E]"""
MIN_HISTORY = 3
"""Stays of the same kind needed before the car's own history is used [-]. [E]"""
PRIOR_DWELL_H = {"evening": 11.0, "day": 2.0}
"""Stay assumed before a car has history [h]: an evening arrival stays the night (17-18 h to
07-08 h is ~13-14 h; 11 h is cautious), a daytime stay is short. [E] docs/sources.md §9."""
EVENING_FROM_H, EVENING_TO_H = 14.0, 4.0
"""Arrivals from 14:00 to 04:00 local time count as evening/night stays [h]. [E]"""
MIN_DWELL_H = 0.25
"""Shortest planned stay [h]."""
REPLANS = 1
"""Re-plans from the realised chain of stored energy (the next session starts from the real
state of charge) [-]."""


def forecast_base_load(base_load_kw: np.ndarray, index: pd.DatetimeIndex) -> np.ndarray:
    """Forecast of the feeder's base load in every step of ``index`` [kW].

    Parameters
    ----------
    base_load_kw : ndarray
        Realised base load on ``index`` [kW] (``[step]``, or ``[step x column]`` for several
        loads at once).
    index : pandas.DatetimeIndex
        The schedule's time index (regular steps).

    Returns
    -------
    ndarray
        Mean of the same step 1..``LOAD_HISTORY_WEEKS`` weeks earlier where such weeks exist,
        else of the same step 1..6 days earlier, else the realised value (first day).
    """
    values = np.asarray(base_load_kw, dtype=float)
    n = len(values)
    day = int(round(24.0 / step_hours(index))) if n > 1 else 1
    out = values.copy()

    def mean_of(lags: list[int]) -> tuple[np.ndarray, np.ndarray]:
        total = np.zeros(values.shape)
        count = np.zeros(n)
        for lag in lags:
            if lag < n:
                total[lag:] += values[:-lag]
                count[lag:] += 1
        return total, count.reshape((n,) + (1,) * (values.ndim - 1))

    total, count = mean_of([7 * day * j for j in range(1, LOAD_HISTORY_WEEKS + 1)])
    weekly = np.broadcast_to(count > 0, values.shape)
    out[weekly] = (total / np.maximum(count, 1))[weekly]
    total, count = mean_of([day * j for j in range(1, 7)])
    daily = ~weekly & np.broadcast_to(count > 0, values.shape)
    out[daily] = (total / np.maximum(count, 1))[daily]
    return out


@njit(cache=True, error_model="numpy")
def _past_quantile(group, values, window, min_count, quantile):
    """Per row, the ``quantile`` of the previous ``window`` values of its group (rows of a
    group in their order), NaN with fewer than ``min_count`` of them.

    The same numbers as pandas' ``shift(1).rolling(window, min_periods=min_count)
    .quantile(quantile)`` per group (linear interpolation between the sorted values at
    ``quantile x (count - 1)``), without a Python call per group.
    """
    n = len(values)
    out = np.full(n, np.nan)
    rows = np.argsort(group, kind="mergesort")  # each group's rows, in their order
    past = np.empty(window)
    first = 0
    while first < n:
        end = first
        while end < n and group[rows[end]] == group[rows[first]]:
            end += 1
        for r in range(first, end):
            count = min(r - first, window)
            if count < min_count:
                continue
            past[:count] = values[rows[r - count : r]]
            past[:count].sort()
            at = quantile * (count - 1)
            low = int(at)
            if at == low:
                out[rows[r]] = past[low]
            else:
                out[rows[r]] = past[low] + (past[low + 1] - past[low]) * (at - low)
        first = end
    return out


def planned_departures(sessions: pd.DataFrame) -> pd.Series:
    """Each session's forecast departure, from the car's own history (module docs).

    Parameters
    ----------
    sessions : pandas.DataFrame
        ``ev_id``, ``arrival``, ``departure`` (tz-aware).

    Returns
    -------
    pandas.Series
        Forecast departure per row of ``sessions`` (same index), never before the arrival
        plus ``MIN_DWELL_H`` and never after the car's next arrival.
    """
    if len(sessions) == 0:
        return sessions["departure"].copy()
    order = sessions.sort_values(["ev_id", "arrival"], kind="stable")
    local = order["arrival"].dt.tz_convert(TIMEZONE)
    hour = local.dt.hour + local.dt.minute / 60.0
    evening = (hour >= EVENING_FROM_H) | (hour < EVENING_TO_H)
    weekend = local.dt.dayofweek >= 5
    dwell_h = (order["departure"] - order["arrival"]) / pd.Timedelta(hours=1)
    kind = evening.astype(int) * 2 + weekend.astype(int)
    group = pd.factorize(order["ev_id"])[0] * 4 + kind.to_numpy()
    history = pd.Series(
        _past_quantile(
            group.astype(np.int64),
            dwell_h.to_numpy(dtype=float),
            DWELL_HISTORY,
            MIN_HISTORY,
            DEPARTURE_QUANTILE,
        ),
        index=order.index,
    )
    prior = np.where(evening, PRIOR_DWELL_H["evening"], PRIOR_DWELL_H["day"])
    forecast_h = np.maximum(history.fillna(pd.Series(prior, index=order.index)), MIN_DWELL_H)
    planned = order["arrival"] + pd.to_timedelta(forecast_h.to_numpy(), unit="h")
    next_arrival = order.groupby("ev_id", sort=False)["arrival"].shift(-1)
    planned = planned.where(next_arrival.isna() | (planned <= next_arrival), next_arrival)
    return planned.reindex(sessions.index)
