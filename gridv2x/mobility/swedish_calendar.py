"""Swedish calendar: public holidays and the de-facto holidays that change how people drive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["easter_sunday", "swedish_holidays", "is_free_day"]


def easter_sunday(year: int) -> dt.date:
    """Date of Easter Sunday in the Gregorian calendar.

    References
    ----------
    .. [1] "A New York correspondent", anonymous Gregorian algorithm, Nature 13, 487 (1876);
       as in Meeus, *Astronomical Algorithms*, 2nd ed., ch. 8.
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def swedish_holidays(years: Iterable[int]) -> set[dt.date]:
    """Swedish public holidays (lag 1989:253) and de-facto holidays, for the given years.

    Public: New Year, Epiphany, Good Friday, Easter Sunday and Monday, 1 May, Ascension Day,
    National Day (6 June), Midsummer Day (Saturday 20-26 June), All Saints' Day (Saturday
    31 Oct - 6 Nov), Christmas Day, Boxing Day. De-facto (most people off work): Midsummer Eve,
    Christmas Eve, New Year's Eve.
    """
    out: set[dt.date] = set()
    for year in years:
        easter = easter_sunday(year)
        midsummer_day = dt.date(year, 6, 20) + dt.timedelta(
            days=(5 - dt.date(year, 6, 20).weekday()) % 7
        )
        all_saints = dt.date(year, 10, 31) + dt.timedelta(
            days=(5 - dt.date(year, 10, 31).weekday()) % 7
        )
        out |= {
            dt.date(year, 1, 1),
            dt.date(year, 1, 6),
            easter - dt.timedelta(days=2),
            easter,
            easter + dt.timedelta(days=1),
            dt.date(year, 5, 1),
            easter + dt.timedelta(days=39),
            dt.date(year, 6, 6),
            midsummer_day - dt.timedelta(days=1),
            midsummer_day,
            all_saints,
            dt.date(year, 12, 24),
            dt.date(year, 12, 25),
            dt.date(year, 12, 26),
            dt.date(year, 12, 31),
        }
    return out


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
    return (dates.dayofweek >= 5) | np.isin(dates.date, list(holidays))
