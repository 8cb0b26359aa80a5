"""Issue 15: charging as it will really happen (fleet-net V2G, load guard, forecasts,
household price-chasing), on a built-in feeder with the study's own inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x import charging
from gridv2x.charging._fleet_net import ev_to_ev_kwh
from gridv2x.scenario import scenario_from_dict
from gridv2x.study import Study, Task

FEEDER = "se-villa-large"


@pytest.fixture(scope="module")
def villa():
    """One winter fortnight on se-villa-large at 1.0 EV per customer (110 EVs)."""
    scenario = scenario_from_dict(
        {
            "name": "realistic",
            "study": {"seed": 11},
            "period": {"start": "2030-01-06", "days": 14},
            "networks": [{"builtin": FEEDER}],
            "adoption": {"share": 1.0},
        }
    )
    study = Study(scenario)
    feeder = study.feeder(FEEDER)
    inputs = study.prepare(feeder, Task(FEEDER, "uncontrolled", 0))
    options = scenario.section("charging")
    options.pop("strategies")
    return study, feeder, inputs, options


def test_ev_to_ev_kwh_counts_the_overlap():
    index = pd.date_range("2030-01-01", periods=3, freq="15min", tz="UTC")
    power = pd.DataFrame({"a": [4.0, -2.0, -3.0], "b": [-1.0, 5.0, 0.0]}, index=index)
    # step 0: 1 kW discharged into 4 kW charging; step 1: 2 into 5; step 2: nobody charges
    assert ev_to_ev_kwh(power) == pytest.approx((1.0 + 2.0) * 0.25)


@pytest.mark.parametrize("objective", ["peak", "price"])
def test_v2g_does_not_shuffle_energy_between_cars(villa, objective):
    study, _, inputs, options = villa
    base = inputs.base_p_kw.sum(axis=1)
    result = charging.schedule(
        "v2g",
        inputs.sessions,
        inputs.fleet,
        study.index,
        base,
        **{**options, "v2g": {"objective": objective}},
    )
    totals = result.totals()
    assert totals["ev_discharged_kwh"] > 100.0  # V2G still discharges
    assert totals["ev_to_ev_kwh"] <= 0.01 * totals["ev_discharged_kwh"], totals
    assert totals["ev_unmet_kwh"] == pytest.approx(0.0, abs=1e-6)
    charge = np.maximum(result.power_kw.to_numpy(), 0).sum(axis=1)
    discharge = np.maximum(-result.power_kw.to_numpy(), 0).sum(axis=1)
    assert totals["ev_to_ev_kwh"] == pytest.approx(np.minimum(charge, discharge).sum() * 0.25)
