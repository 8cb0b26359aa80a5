import datetime as dt

import pandas as pd

from gridv2x.calendar import easter_sunday, is_sunday_like, swedish_holidays


def test_easter_known_dates():
    # reference: published Easter Sunday dates
    known = {2019: (4, 21), 2024: (3, 31), 2025: (4, 20), 2030: (4, 21), 2038: (4, 25)}
    for year, (month, day) in known.items():
        assert easter_sunday(year) == dt.date(year, month, day)


def test_swedish_holidays_2030():
    days = swedish_holidays([2030])
    assert days[dt.date(2030, 6, 21)] == "Midsummer Eve"  # Friday 19-25 June
    assert days[dt.date(2030, 6, 22)] == "Midsummer Day"
    assert days[dt.date(2030, 11, 2)] == "All Saints' Day"  # Saturday 31 Oct - 6 Nov
    assert days[dt.date(2030, 5, 30)] == "Ascension Day"  # Easter + 39
    assert dt.date(2030, 6, 6) in days and dt.date(2030, 12, 24) in days
    assert len(days) == 16


def test_sunday_like():
    idx = pd.date_range("2030-12-23", periods=6, freq="D", tz="Europe/Stockholm")
    # Mon 23 (work), Tue 24 (Christmas Eve), Wed 25, Thu 26, Fri 27 (work), Sat 28
    assert is_sunday_like(idx).tolist() == [False, True, True, True, False, True]
