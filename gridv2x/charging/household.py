"""Household coordination (``charging.coordination: household``): every car on its own.

In Sweden most smart charging today is not a feeder coordinator but each household's charger
or car app chasing the spot price (and, from 2027, keeping its own power-tariff peak low:
EIFS 2022:1, docs/sources.md §6, §9). Each household controller sees its own price and its own
household load, never the feeder: with the ``price`` objective every car picks the cheapest
steps of its plug-in window, the same steps for all cars, and at high EV shares that makes a
new feeder peak (herding). With the ``peak`` objective a household flattens its own load
(its power-tariff peak), which spreads the EVs only as much as the households' own evening
peaks differ.

Implementation: the same filling as feeder coordination (:mod:`gridv2x.charging._fill`), but
on private load curves: each EV's steps are mapped to a time line of its own (``ev x steps
+ step``), on which the "load of everything else" is its own household's load (forecast
with ``foresight: forecast``) plus its own schedule. Nothing couples the EVs, so V2G is not
planned net either (``ev_to_ev_kwh`` shows what the cars shuffle between them).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from gridv2x.errors import InputError

__all__ = ["COORDINATIONS", "own_load", "private_windows"]

COORDINATIONS = ("feeder", "household")


def own_load(
    household_kw: pd.DataFrame | None, horizon: pd.DatetimeIndex, fleet: pd.DataFrame
) -> np.ndarray:
    """Each EV's own household load on the schedule's horizon ``[step x ev]`` [kW].

    Steps past the end of ``household_kw`` (the schedule's look-ahead) take the same time one
    day earlier; without ``household_kw`` (or without ``customer_id`` in the fleet) zeros.
    Several EVs of one household each see the household's whole load.
    """
    n, n_ev = len(horizon), len(fleet)
    if household_kw is None or "customer_id" not in fleet or n_ev == 0:
        return np.zeros((n, n_ev))
    if not isinstance(household_kw, pd.DataFrame):
        raise InputError(
            f"charging household_kw: must be a DataFrame [time x customer_id], given "
            f"{type(household_kw).__name__}"
        )
    rows = household_kw.index.get_indexer(horizon)
    shifted = horizon
    for _ in range(3):
        missing = rows < 0
        if not missing.any():
            break
        shifted = shifted - pd.Timedelta(days=1)
        rows = np.where(missing, household_kw.index.get_indexer(shifted), rows)
    if (rows < 0).any():
        raise InputError("charging household_kw: its index does not cover the charging period")
    cols = household_kw.columns.get_indexer(fleet["customer_id"].to_numpy())
    values = household_kw.to_numpy(dtype=float)
    out = np.zeros((n, n_ev))
    known = cols >= 0
    out[:, known] = values[np.ix_(rows, cols[known])]
    return out


def private_windows(w):
    """The plug-in windows ``w`` (:class:`gridv2x.charging.windows._Windows`) with each EV on
    a time line of its own: step ``ev x n_steps + step``."""
    n = w.n_steps
    return dataclasses.replace(
        w,
        step=w.ev_of * n + w.step,
        n_steps=n * len(w.charger),
        day_of_step=np.tile(w.day_of_step, len(w.charger)),
    )
