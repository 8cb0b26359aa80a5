"""Summaries of base load for the report: load-duration curves per customer group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridv2x.conventions import step_hours
from gridv2x.errors import InputError

__all__ = ["load_duration_by_group"]


def load_duration_by_group(
    p_kw: pd.DataFrame,
    customers: pd.DataFrame,
    by: str | Sequence[str] = ("dwelling", "heating"),
    points: int = 200,
) -> pd.DataFrame:
    """Load-duration curve of the mean customer of each group [kW].

    For each group (e.g. villa with heat pump) the group's summed load is divided by its
    number of customers, sorted from highest to lowest and sampled at ``points`` evenly spaced
    shares of the period.

    Parameters
    ----------
    p_kw : pandas.DataFrame
        Base load ``[time x customer_id]`` [kW] (:func:`gridv2x.demand.base_load`).
    customers : pandas.DataFrame
        ``customer_id`` and the grouping columns.
    by : str or list of str
        Grouping column(s) of ``customers``.
    points : int
        Number of points of each curve.

    Returns
    -------
    pandas.DataFrame
        Index ``share_of_time`` (0 .. 1, [-]); one column per group (``"villa / heat_pump"``),
        mean power per customer [kW] exceeded during that share of the period. ``attrs`` holds
        ``customers`` (count per group) and ``energy_kwh`` (mean energy per customer).
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in ["customer_id", *by] if c not in customers.columns]
    if missing:
        raise InputError(f"customers: missing column(s) {missing} for the load-duration curve")
    ids = customers["customer_id"].astype(str)
    unknown = sorted(set(ids) - set(map(str, p_kw.columns)))
    if unknown:
        raise InputError(f"p_kw: no base load for customer(s) {unknown[:10]}")
    label = customers[by].astype(str).agg(" / ".join, axis=1).to_numpy()
    frame = p_kw.rename(columns=str)
    share = np.linspace(0.0, 1.0, points)
    curves, counts, energy = {}, {}, {}
    dt = step_hours(p_kw.index) if isinstance(p_kw.index, pd.DatetimeIndex) else 1.0
    for group in sorted(set(label)):
        cols = ids[label == group].tolist()
        mean = frame[cols].sum(axis=1).to_numpy() / len(cols)
        ordered = np.sort(mean)[::-1]
        positions = share * (len(ordered) - 1)
        curves[group] = np.interp(positions, np.arange(len(ordered)), ordered)
        counts[group] = len(cols)
        energy[group] = float(mean.sum() * dt)
    out = pd.DataFrame(curves, index=pd.Index(share, name="share_of_time"))
    out.attrs["customers"] = counts
    out.attrs["energy_kwh"] = energy
    return out
