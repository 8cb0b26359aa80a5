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


@pytest.mark.parametrize("strategy", ["uncontrolled", "v2g"])
def test_load_guard_keeps_every_charging_customer_within_its_fuse(villa, strategy):
    from gridv2x import metrics
    from gridv2x.study import customer_loads

    study, feeder, inputs, options = villa
    week = slice(0, 7 * 96)  # one week keeps the load flow short
    index = study.index[week]
    base_p, base_q = inputs.base_p_kw.iloc[week], inputs.base_q_kvar.iloc[week]
    sessions = inputs.sessions[inputs.sessions["arrival"] < index[-1]]
    unguarded = charging.schedule(
        strategy, sessions, inputs.fleet, index, base_p.sum(axis=1), **options
    )
    guard = charging.load_guard_limits(feeder.customers, base_p, base_q, inputs.fleet)
    result = charging.schedule(
        strategy, sessions, inputs.fleet, index, base_p.sum(axis=1), load_guard=guard, **options
    )
    lost = result.per_ev["guard_lost_kwh"]
    assert (lost >= 0).all()
    assert lost.sum() == pytest.approx(result.sessions["guard_lost_kwh"].sum())

    def fuse_pct(res):
        # balanced load flow for the voltages, the phase currents from the per-phase power
        ev_kw = charging.power_by_customer(res, inputs.fleet)
        load_p, load_q, _, _ = customer_loads(feeder, base_p, base_q, ev_kw)
        pf = study._run_powerflow(feeder, load_p, load_q)
        ev_ph = charging.power_by_customer(res, inputs.fleet, phases=True)
        _, _, cust_p, cust_q = customer_loads(feeder, base_p, base_q, ev_ph, asymmetric=True)
        stats = metrics.customer_statistics(
            pf, feeder.customers, customer_p_kw=cust_p, customer_q_kvar=cust_q, index=index
        )
        ev_by_customer = charging.power_by_customer(res, inputs.fleet)
        drawing = ev_by_customer.reindex(columns=stats.fuse_pct.columns, fill_value=0.0) > 1e-6
        return stats.fuse_pct, drawing

    pct, drawing = fuse_pct(result)
    assert drawing.to_numpy().any()
    assert pct.where(drawing).max().max() <= 100.0 + 1e-6
    # without the guard the same chargers overload fuses while charging
    pct0, drawing0 = fuse_pct(unguarded)
    assert pct0.where(drawing0).max().max() > 100.0
