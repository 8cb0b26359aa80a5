"""Gaps in a simulated period made visible in the report's time charts.

With ``period.representative_weeks`` only some weeks of the period are simulated. A line drawn
through their daily values joins the last day of one week to the first day of the next one
months later, and a heat map on a date axis stretches each column across the months between:
both show values for time that was never simulated. Here a time series gets one NaN row
inside each gap (plotly breaks a line at a NaN), and a heat map's days become categories with
one empty column labelled with the length of each gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["break_at_gaps", "days_with_gaps", "GAP_FACTOR"]

GAP_FACTOR = 1.5
"""A step longer than this many regular steps is a gap [-]."""


def _regular_step(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    if len(index) < 2:
        return None
    steps = np.diff(index.asi8)
    return pd.Timedelta(int(np.min(steps[steps > 0])) if (steps > 0).any() else 0)


def break_at_gaps(frame: pd.DataFrame, step: pd.Timedelta | None = None) -> pd.DataFrame:
    """Insert one all-NaN row inside every gap of ``frame``'s time index.

    Parameters
    ----------
    frame : pandas.DataFrame
        Values on a sorted DatetimeIndex (e.g. daily maxima of the simulated days).
    step : pandas.Timedelta, optional
        The regular step; default the smallest step of the index.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with a NaN row one step after the last time before each gap (longer than
        :data:`GAP_FACTOR` steps); unchanged when there is no gap.
    """
    index = pd.DatetimeIndex(frame.index)
    step = step or _regular_step(index)
    if step is None or step <= pd.Timedelta(0):
        return frame
    gaps = np.flatnonzero(np.diff(index.asi8) > GAP_FACTOR * step.value)
    if gaps.size == 0:
        return frame
    breaks = pd.DataFrame(np.nan, index=index[gaps] + step, columns=frame.columns)
    return pd.concat([frame, breaks]).sort_index()


def days_with_gaps(days: pd.DatetimeIndex) -> tuple[list[str], np.ndarray]:
    """Category labels of days with one gap label between days that are not consecutive.

    Parameters
    ----------
    days : pandas.DatetimeIndex
        Sorted days (naive, local).

    Returns
    -------
    labels : list of str
        ``YYYY-MM-DD`` per day; between non-consecutive days one label such as
        ``"… 54 days not simulated …"``.
    position : numpy.ndarray
        For each day its column among ``labels`` (the gap columns hold no day).
    """
    names = days.strftime("%Y-%m-%d").tolist()
    day_ns = pd.Timedelta(days=1).value
    missing = np.diff(days.asi8) // day_ns - 1  # whole days between neighbours
    gap_before = np.r_[False, missing > 0]
    position = np.arange(len(days)) + np.cumsum(gap_before)
    labels = [""] * (len(days) + int(gap_before.sum()))
    for i, name in enumerate(names):
        labels[position[i]] = name
    for j in np.flatnonzero(gap_before):
        labels[position[j] - 1] = f"… {int(missing[j - 1])} days not simulated …"
    return labels, position
