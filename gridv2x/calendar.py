"""Swedish calendar: the first day of a study period, public holidays, day types and local
calendar days and weeks, shared by the load model (demand), the driving model (mobility), the
metrics and the representative weeks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "start_day",
    "START_YEARS",
    "easter_sunday",
    "swedish_holidays",
    "is_sunday_like",
    "is_free_day",
    "local_days",
    "local_weeks",
]


START_YEARS = (1900, 2200)
"""Years a study period may start in [year]: inside pandas' nanosecond timestamps (1677-2262)
with room for a year-long period (the scenario's ``period.start`` has the same range)."""

_ISO_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}"  # calendar date only: no week dates (2030-W01-1), no ordinal dates
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def start_day(start: Any, *, key: str = "start") -> dt.date:
    """The local (Europe/Stockholm) calendar day a study period starts on.

    Every public function that takes a period start reads it through here, so each accepts the
    same forms: a date, a naive time (taken as Swedish local time), a timezone-aware time
    (converted to Swedish local time), or ISO 8601 text of either (``2030-01-01``,
    ``2030-01-01T00:00``, ``2030-01-01T00:00+01:00``). The period starts at local midnight of
    the day that holds the given time.

    Parameters
    ----------
    start : str, datetime.date, datetime.datetime or pandas.Timestamp
    key : str
        Name used in messages (the argument or scenario key).

    Returns
    -------
    datetime.date

    Raises
    ------
    gridv2x.errors.InputError
        Not a calendar date or time (ISO week dates such as ``2030-W01-1`` and ordinal dates
        are refused: Python would read them, a planner rarely means them), or a year outside
        :data:`START_YEARS`.
    """
    from gridv2x.errors import InputError

    allowed = (
        "a date or time: YYYY-MM-DD, an ISO 8601 time (naive = Swedish local time, or with "
        f"a UTC offset), a datetime or a pandas Timestamp, in the years {START_YEARS[0]}.."
        f"{START_YEARS[1]}"
    )
    value = start
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_TIME.fullmatch(text):
            raise InputError(f"{key}: given {start!r}; allowed: {allowed}")
        year = int(text[:4])
        if not START_YEARS[0] <= year <= START_YEARS[1]:
            raise InputError(f"{key}: given {start!r}; allowed: {allowed}")
        try:
            value = pd.Timestamp(text)
        except (ValueError, OverflowError):
            raise InputError(f"{key}: given {start!r}; allowed: {allowed}") from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
        if not START_YEARS[0] <= day.year <= START_YEARS[1]:
            raise InputError(f"{key}: given {start!r}; allowed: {allowed}")
        return day
    if isinstance(value, dt.datetime):  # also pandas.Timestamp
        if not START_YEARS[0] <= value.year <= START_YEARS[1]:
            raise InputError(f"{key}: given {start!r}; allowed: {allowed}")
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("Europe/Stockholm")
        return stamp.date()
    raise InputError(f"{key}: given {start!r} ({type(start).__name__}); allowed: {allowed}")


def easter_sunday(year: int) -> dt.date:
    """Date of Easter Sunday (Gregorian calendar).

    Parameters
    ----------
    year : int
        Calendar year.

    Returns
    -------
    datetime.date

    References
    ----------
    Anonymous Gregorian algorithm ("Meeus/Jones/Butcher"), J. Meeus, *Astronomical
    Algorithms*, 2nd ed., Willmann-Bell 1998, ch. 8.
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _first_weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def swedish_holidays(years: Iterable[int]) -> dict[dt.date, str]:
    """Swedish public holidays and de-facto holidays of the given years.

    Public holidays (helgdagar, Lag (1989:253) om allmänna helgdagar): New Year's Day, Epiphany,
    Good Friday, Easter Sunday and Monday, 1 May, Ascension Day, Whit Sunday, National Day
    (6 June), Midsummer Day (Saturday 20-26 June), All Saints' Day (Saturday 31 Oct - 6 Nov),
    Christmas Day, Boxing Day. De-facto holidays (not in the law, but most workplaces are
    closed): Midsummer Eve, Christmas Eve, New Year's Eve. All are treated
    like Sundays by the load model.

    Parameters
    ----------
    years : iterable of int

    Returns
    -------
    dict
        ``{date: English name}``.
    """
    out: dict[dt.date, str] = {}
    for year in sorted(set(int(y) for y in years)):
        easter = easter_sunday(year)
        midsummer_day = _first_weekday_on_or_after(dt.date(year, 6, 20), 5)
        days = {
            dt.date(year, 1, 1): "New Year's Day",
            dt.date(year, 1, 6): "Epiphany",
            easter - dt.timedelta(days=2): "Good Friday",
            easter: "Easter Sunday",
            easter + dt.timedelta(days=1): "Easter Monday",
            dt.date(year, 5, 1): "May Day",
            easter + dt.timedelta(days=39): "Ascension Day",
            easter + dt.timedelta(days=49): "Whit Sunday",
            dt.date(year, 6, 6): "National Day",
            midsummer_day - dt.timedelta(days=1): "Midsummer Eve",
            midsummer_day: "Midsummer Day",
            _first_weekday_on_or_after(dt.date(year, 10, 31), 5): "All Saints' Day",
            dt.date(year, 12, 24): "Christmas Eve",
            dt.date(year, 12, 25): "Christmas Day",
            dt.date(year, 12, 26): "Boxing Day",
            dt.date(year, 12, 31): "New Year's Eve",
        }
        out.update(days)
    return out


def is_sunday_like(local_times: pd.DatetimeIndex) -> np.ndarray:
    """Whether each local time falls on a Saturday, Sunday or Swedish holiday.

    Parameters
    ----------
    local_times : pandas.DatetimeIndex
        Times in local (Europe/Stockholm) time, aware or naive.

    Returns
    -------
    numpy.ndarray of bool
        True on weekends and on the days of :func:`swedish_holidays`.
    """
    dates = local_times.normalize()
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    weekend = np.asarray(local_times.dayofweek >= 5)
    years = np.unique(local_times.year)
    holidays = pd.DatetimeIndex([pd.Timestamp(d) for d in swedish_holidays(years)])
    return weekend | np.asarray(dates.isin(holidays))


def is_free_day(days: pd.DatetimeIndex | Iterable[dt.date]) -> np.ndarray:
    """True for Saturdays, Sundays and Swedish (de-facto) holidays.

    Parameters
    ----------
    days : DatetimeIndex or iterable of dates
        Calendar days (time of day ignored).

    Returns
    -------
    numpy.ndarray of bool
    """
    dates = pd.DatetimeIndex(
        pd.to_datetime(list(days) if not isinstance(days, pd.DatetimeIndex) else days)
    )
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    dates = dates.normalize()
    holidays = swedish_holidays(sorted(set(dates.year)))
    return np.asarray(dates.dayofweek >= 5) | np.isin(dates.date, np.asarray(list(holidays)))


def local_days(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Local calendar day (wall-clock midnight, timezone dropped) of every time stamp."""
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.normalize()


def local_weeks(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Monday (wall-clock midnight) of the ISO calendar week of every time stamp."""
    days = local_days(index)
    return days - pd.to_timedelta(days.dayofweek, unit="D")
