"""Representative weeks: simulate selected calendar weeks instead of the whole period.

A hosting-capacity study runs feeders x strategies x draws x EV shares, each over a year of
15-minute steps. Most of a year says little about hosting capacity: on Swedish LV feeders the
violations happen in the weeks of highest load (electric heating and cold-weather EV
consumption in winter). With ``period.representative_weeks: K`` a study still draws each
draw's weather, household load, fleet and driving for the whole period (cheap), then charges
the fleet, runs the load flow and computes the metrics on ``K`` calendar weeks only.

Weeks are calendar weeks in local time (Europe/Stockholm), Monday 00:00 to the next Monday
00:00, clipped to the period at its two ends (a period starting on a Tuesday has a six-day
first week). They are chosen from the draw's feeder base load (households only, no EVs), so
every strategy and every EV share of a draw is simulated on the same weeks, and the choice is a
pure function of the draw (independent of workers and execution order):

``peak``
    The ``K`` weeks with the highest 15-minute feeder base-load peak [kW]: where transformer
    peaks, lowest voltages and violations happen. The week of the period's base-load peak is
    always among them. Energy totals over these weeks are winter-heavy and must not be scaled
    up to a year.
``spread``
    The period's weeks split into ``K`` consecutive blocks of (nearly) equal length; from each
    block the week whose mean base load [kW] is the block's median: a typical week per season,
    for energy-type figures (losses, EV energy, cost). Multiplying an energy total by
    ``period_weight`` (period steps / simulated steps) then estimates the whole period.

Each week is scheduled with :data:`MARGIN_DAYS` day(s) of the period before it (warm-up: EVs
that came home on the Sunday evening are charging at Monday 00:00) and after it (look-ahead:
V1G / V2G sessions plugged in on the Sunday evening see their whole plug-in window); the
margins are dropped before the load flow and the metrics. Every EV starts the warm-up at
``charging.initial_soc`` (what a full-year run restores at every met departure), so its state
of charge at the week start is what the warm-up day made of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.calendar import local_weeks
from gridv2x.conventions import TIMEZONE
from gridv2x.errors import InputError
from gridv2x.options import Field, Section

__all__ = [
    "WEEK_SELECTIONS",
    "MARGIN_DAYS",
    "WeekWindow",
    "calendar_weeks",
    "weeks_in_period",
    "select_weeks",
    "week_mask",
    "week_windows",
    "format_weeks",
]

WEEK_SELECTIONS = ("peak", "spread")
"""Rules for choosing representative weeks (module documentation)."""

MARGIN_DAYS = 1
"""Days simulated before (warm-up) and after (look-ahead) each week by the charging schedule
and dropped from the load flow and the metrics [d]."""


def calendar_weeks(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The calendar week of every step: its Monday at local midnight (timezone dropped).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time index (timezone-aware; naive stamps are taken as local time).

    Returns
    -------
    pandas.DatetimeIndex
        Same length as ``index``; the wall-clock Monday 00:00 of the week of each step (the
        same grouping as the EN 50160 weekly statistic in :mod:`gridv2x.metrics.voltage`).
    """
    return local_weeks(index.tz_convert(TIMEZONE) if index.tz is not None else index)


def weeks_in_period(start: Any, days: int) -> int:
    """Number of calendar weeks (Monday to Monday) that a period touches [-].

    Parameters
    ----------
    start : str, date, datetime or pandas.Timestamp
        First day (as :func:`gridv2x.conventions.period_index`).
    days : int
        Length of the period [d].

    Returns
    -------
    int
        Whole weeks plus the partial weeks at either end.
    """
    from gridv2x.calendar import start_day

    first = start_day(start)
    last = first + dt.timedelta(days=int(days) - 1)
    monday0 = first - dt.timedelta(days=first.weekday())
    monday1 = last - dt.timedelta(days=last.weekday())
    return (monday1 - monday0).days // 7 + 1


def select_weeks(base_load_kw: pd.Series, n_weeks: int, rule: str = "peak") -> list[pd.Timestamp]:
    """Choose representative calendar weeks from a feeder's base load.

    Parameters
    ----------
    base_load_kw : pandas.Series
        Total household load of the feeder [kW] on the study's time index (no EVs).
    n_weeks : int
        Number of weeks to choose [-], at most the number of weeks the index touches.
    rule : {"peak", "spread"}
        ``peak``: the weeks with the highest base-load peak; ``spread``: per block of
        consecutive weeks, the week with the block's median mean load (module docs). Ties go to
        the earlier week.

    Returns
    -------
    list of pandas.Timestamp
        The chosen weeks' Mondays (wall-clock midnight, naive), in calendar order.

    Raises
    ------
    InputError
        Unknown rule, or ``n_weeks`` not between 1 and the number of weeks.
    """
    if rule not in WEEK_SELECTIONS:
        raise InputError(
            f"period.week_selection: must be one of {', '.join(WEEK_SELECTIONS)}, given {rule!r}"
        )
    if not isinstance(base_load_kw.index, pd.DatetimeIndex):
        raise InputError("base_load_kw must be indexed by time (DatetimeIndex)")
    weeks = calendar_weeks(base_load_kw.index)
    values = pd.Series(base_load_kw.to_numpy(dtype=float), index=weeks)
    by_week = values.groupby(level=0, sort=True)
    peak, mean = by_week.max(), by_week.mean()
    n_total = len(peak)
    if isinstance(n_weeks, bool) or not isinstance(n_weeks, int | np.integer):
        raise InputError(f"period.representative_weeks: must be an integer, given {n_weeks!r}")
    if not 1 <= n_weeks <= n_total:
        raise InputError(
            f"period.representative_weeks: must be between 1 and {n_total} (the weeks of the "
            f"period), given {n_weeks}"
        )
    if rule == "peak":
        # highest peak first; equal peaks: the earlier week (stable sort on calendar order)
        order = np.argsort(-peak.to_numpy(), kind="stable")
        chosen = peak.index[np.sort(order[:n_weeks])]
    else:
        chosen = []
        for block in np.array_split(np.arange(n_total), n_weeks):
            block_mean = mean.iloc[block].to_numpy()
            ranked = block[np.argsort(block_mean, kind="stable")]
            chosen.append(mean.index[ranked[(len(ranked) - 1) // 2]])
        chosen = pd.DatetimeIndex(chosen)
    return [pd.Timestamp(w) for w in chosen]


def _local_midnight(day: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize(TIMEZONE)


def week_mask(index: pd.DatetimeIndex, weeks: list[pd.Timestamp]) -> np.ndarray:
    """Boolean array: True for the steps of ``index`` inside the given calendar weeks."""
    return np.isin(calendar_weeks(index), pd.DatetimeIndex(weeks))


@dataclass(frozen=True)
class WeekWindow:
    """Where one representative week lies in the study index.

    Attributes
    ----------
    week : pandas.Timestamp
        Monday of the week (wall-clock midnight, naive).
    window : slice
        Positions in the study index of the week with its margins (what the charging schedule
        runs on; clipped to the period).
    keep : slice
        Positions of the week itself *within* the window (what the metrics see).
    """

    week: pd.Timestamp
    window: slice
    keep: slice


def week_windows(
    index: pd.DatetimeIndex, weeks: list[pd.Timestamp], margin_days: int = MARGIN_DAYS
) -> list[WeekWindow]:
    """Each week's steps and its scheduling window (week plus margins) in the study index.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        The study's time index (``conventions.period_index``, timezone-aware).
    weeks : list of pandas.Timestamp
        Mondays of the weeks (:func:`select_weeks`).
    margin_days : int
        Days before and after each week to schedule as well [d] (clipped to the period).

    Returns
    -------
    list of WeekWindow
        In calendar order.
    """
    if index.tz is None:
        raise InputError("the study index must be timezone-aware")
    out = []
    n = len(index)
    for week in sorted(pd.Timestamp(w) for w in weeks):
        start = index.searchsorted(_local_midnight(week))
        end = index.searchsorted(_local_midnight(week + pd.Timedelta(days=7)))
        if end <= start:
            raise InputError(f"week {week.date()} is not in the study period")
        w0 = index.searchsorted(_local_midnight(week - pd.Timedelta(days=margin_days)))
        w1 = index.searchsorted(_local_midnight(week + pd.Timedelta(days=7 + margin_days)))
        w0, w1 = max(int(w0), 0), min(int(w1), n)
        out.append(WeekWindow(week, slice(w0, w1), slice(int(start) - w0, int(end) - w0)))
    return out


def format_weeks(weeks: list[pd.Timestamp]) -> str:
    """The weeks as planner-readable text: their Mondays, ``"2030-01-07; 2030-02-11"``."""
    return "; ".join(pd.Timestamp(w).strftime("%Y-%m-%d") for w in sorted(weeks))


RESOLUTIONS = ("15min", "30min", "60min")

PERIOD = Section(
    doc="Simulated period, in local time (Europe/Stockholm).",
    fields={
        "start": Field("2030-01-01", "date", "First day simulated, YYYY-MM-DD."),
        "days": Field(365, int, "Number of days simulated [d].", min=1, max=366),
        "resolution": Field(
            "15min",
            str,
            "Time step. 15 min is the Nordic market time unit since 1 Oct 2025 (docs/sources.md §6).",
            choices=RESOLUTIONS,
        ),
        "representative_weeks": Field(
            None,
            int,
            "Simulate only this many calendar weeks (Monday 00:00 to Monday 00:00 local time, "
            "clipped to the period) instead of the whole period [weeks]; null = the whole "
            "period. Each draw's weather, household load and driving are still made for the "
            "whole period and the weeks are chosen from its feeder base load; charging, load "
            "flow and metrics run on the chosen weeks only (each week is charged with one "
            "warm-up day before and one look-ahead day after it, then those are dropped). Peaks, voltages and violation flags are over these weeks; energy totals "
            "and hours are sums over them (see the summary column period_weight). Error "
            "against the full year: docs/representative-weeks.md.",
            nullable=True,
            min=1,
            max=54,
        ),
        "week_selection": Field(
            "peak",
            str,
            "How representative_weeks are chosen. peak: the weeks with the highest 15-minute "
            "feeder base-load peak [kW] (for hosting capacity: violations happen in the "
            "high-load winter weeks; always holds the week of the period's base-load peak). "
            "spread: the period cut into equal blocks of weeks, from each the week of median "
            "mean base load [kW] (a typical week per season, for energy figures: multiply by "
            "period_weight for a whole-period estimate).",
            choices=WEEK_SELECTIONS,
        ),
    },
)
