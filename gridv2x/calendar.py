"""Swedish calendar: public holidays, day types and local calendar days and weeks, shared by the
load model (demand), the driving model (mobility), the metrics and the representative weeks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "easter_sunday",
    "swedish_holidays",
    "is_sunday_like",
    "is_free_day",
    "local_days",
    "local_weeks",
]


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
    return np.asarray(dates.dayofweek >= 5) | np.isin(dates.date, list(holidays))


def local_days(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Local calendar day (wall-clock midnight, timezone dropped) of every time stamp."""
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.normalize()


def local_weeks(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Monday (wall-clock midnight) of the ISO calendar week of every time stamp."""
    days = local_days(index)
    return days - pd.to_timedelta(days.dayofweek, unit="D")
