"""The driving model against measured Nordic plug-in hours and frequencies (docs/sources.md §4.1).

The reference figures are measured (Trondheim residential garages, 5 069 weekday sessions; the
Norwegian EV-owner survey); the tolerances cover the model's sampling noise with 400 EVs over
four months (about ±0.1 h on the mean hour, ±0.1 sessions a week) plus the part of the
histogram's shape the model does not reproduce (the evening plateau, §4.1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x import mobility
from gridv2x.conventions import period_index
from gridv2x.demand import outdoor_temperature

TRONDHEIM_WEEKDAY_PCT = np.array(
    [1.0, 0.4, 0.3, 0.1, 0.1, 0.1, 0.3, 1.3, 1.3, 0.9, 1.6, 2.3, 2.3, 3.2, 5.0, 11.7, 16.2, 8.2]
    + [8.1, 10.5, 9.5, 7.2, 5.7, 2.9]
)
"""Weekday plug-in hour at home, hours 0..23 [%] (docs/sources.md §4.1 [F])."""
SESSIONS_PER_WEEK = (3.1, 4.4)
"""Measured home sessions per EV and week: Trondheim pooled, Norwegian survey [1/wk] (§4.1)."""
N_EVS = 400


DAYS = 120
"""Four months from 1 January 2030 [d]."""


@pytest.fixture(scope="module")
def drive():
    """Sessions of the same N_EVS EVs, weather and driving for given mobility options."""
    index = period_index("2030-01-01", DAYS, "15min")
    owners = pd.DataFrame(
        {"ev_id": [f"e{i}" for i in range(N_EVS)], "customer_id": [f"c{i}" for i in range(N_EVS)]}
    )
    fleet = mobility.draw_fleet(owners, rng=np.random.default_rng(1))
    temperature = outdoor_temperature(index, rng=np.random.default_rng(2))

    def sessions(**options):
        return mobility.sessions_for_fleet(
            fleet, index, temperature, rng=np.random.default_rng(3), **options
        )

    return sessions


@pytest.fixture(scope="module")
def sessions(drive):
    return drive(), DAYS / 7


def test_weekday_plug_in_hours_match_the_measured_mean_and_shape(sessions):
    table, _weeks = sessions
    model = mobility.statistics.time_histograms(table)["arrivals_weekday"].to_numpy()
    measured = TRONDHEIM_WEEKDAY_PCT / TRONDHEIM_WEEKDAY_PCT.sum()
    hours = np.arange(24)
    assert abs((model * hours).sum() - (measured * hours).sum()) < 0.4
    # total-variation distance: 0.28 before the calibration, 0.19 after (§4.1)
    assert 0.5 * np.abs(model - measured).sum() < 0.23
    # the model does not put more than half its plug-ins into the 15-18 h peak
    assert model[15:18].sum() < 0.5


def test_plug_in_share_0_4_gives_the_measured_plug_ins_per_week(drive, sessions):
    """The default plugs in on every return (7.2 a week, more often than measured: not yet
    calibrated, docs/sources.md §4.1 says why); ``plug_in_share: 0.4`` gives the measured
    3.1-4.4 sessions a week of about the measured energy."""
    table, weeks = sessions
    assert len(table) / N_EVS / weeks > 6.0
    fewer = drive(plug_in_share=0.4)
    per_week = len(fewer) / N_EVS / weeks
    assert SESSIONS_PER_WEEK[0] <= per_week <= SESSIONS_PER_WEEK[1]
    # Trondheim: 12.7 kWh mean, 9.1 median per session (winter months here: more energy)
    assert 8.0 <= fewer["energy_kwh"].mean() <= 14.0
