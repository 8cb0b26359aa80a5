"""Fleet flexibility, market products and V2H backup (gridv2x.v2x) on real schedules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x import charging, v2x
from gridv2x.network import read_builtin
from gridv2x.scenario import read_scenario
from gridv2x.study import Study

TZ = "Europe/Stockholm"


def _one_car(power, soc, arrival, departure, *, battery=60.0, charger=11.0):
    index = pd.date_range("2030-01-07", periods=len(power), freq="15min", tz=TZ)
    power_kw = pd.DataFrame({"ev1": power}, index=index)
    soc_kwh = pd.DataFrame({"ev1": soc}, index=index)
    sessions = pd.DataFrame(
        {
            "ev_id": ["ev1"],
            "arrival": [index[arrival]],
            "departure": [index[0] + pd.Timedelta(minutes=15 * departure)],
        }
    )
    fleet = pd.DataFrame(
        {"ev_id": ["ev1"], "customer_id": ["c1"], "battery_kwh": [battery], "charger_kw": [charger]}
    )
    return power_kw, soc_kwh, sessions, fleet


def test_unplugged_car_offers_nothing():
    # plugged in for steps 4..11 only
    power_kw, soc_kwh, sessions, fleet = _one_car([0.0] * 16, [30.0] * 16, 4, 12)
    flex = v2x.fleet_flexibility(
        "v2g", power_kw, soc_kwh, sessions, fleet, durations_min=(15, 60), reserve_soc=0.4
    )
    assert (flex.up_kw[:4] == 0).all() and (flex.down_kw[:4] == 0).all()
    assert (flex.up_kw[12:] == 0).all() and (flex.down_kw[12:] == 0).all()
    # a 1 h window starting at step 9 would run past departure (step 12): nothing
    assert flex.up_kw[9, 1] == 0 and flex.down_kw[9, 1] == 0
    # while plugged in with room, both directions are offered
    assert flex.down_kw[4, 0] > 0 and flex.up_kw[4, 0] > 0


def test_departure_need_leaves_no_room_to_pause():
    # charging at full power in every step until departure: pausing would miss the need
    power = [0.0] * 4 + [11.0] * 8 + [0.0] * 4
    soc = list(np.r_[[20.0] * 4, 20.0 + np.cumsum([11.0 * 0.25 * 0.92] * 8), [40.24] * 4])
    power_kw, soc_kwh, sessions, fleet = _one_car(power, soc, 4, 12)
    flex = v2x.fleet_flexibility("v1g", power_kw, soc_kwh, sessions, fleet, durations_min=(15,))
    assert np.allclose(flex.up_kw[:, 0], 0.0)  # no room: every kWh is needed by departure
    assert np.allclose(flex.down_kw[4:12, 0], 0.0)  # already at full charger power


def test_pause_offered_when_recoverable():
    # charging in the first half only: the second half can make up for a pause
    power = [0.0] * 4 + [11.0] * 4 + [0.0] * 8
    soc = list(np.r_[[20.0] * 4, 20.0 + np.cumsum([11.0 * 0.25 * 0.92] * 4), [30.12] * 8])
    power_kw, soc_kwh, sessions, fleet = _one_car(power, soc, 4, 16)
    flex = v2x.fleet_flexibility("v1g", power_kw, soc_kwh, sessions, fleet, durations_min=(15,))
    assert flex.up_kw[4, 0] == pytest.approx(11.0)  # the whole 11 kW can be paused


@pytest.fixture(scope="module")
def quickstart_task():
    scenario = read_scenario("scenarios/quickstart.yaml")
    study = Study(scenario)
    task = next(t for t in study.tasks() if t.strategy == "v1g")
    feeder = study.feeder(task.feeder)
    inputs = study.prepare(feeder, task)
    options = scenario.section("charging")
    options.pop("strategies", None)
    base = inputs.base_p_kw.sum(axis=1)
    results = {
        s: charging.schedule(s, inputs.sessions, inputs.fleet, study.index, base, **options)
        for s in ("uncontrolled", "v1g", "v2g")
    }
    return study, feeder, inputs, results


def test_v2g_range_at_least_v1g(quickstart_task):
    _, _, inputs, results = quickstart_task
    ev = results["v1g"]
    args = (ev.power_kw, ev.soc_kwh, inputs.sessions, inputs.fleet)
    v1g = v2x.fleet_flexibility("v1g", *args, durations_min=(15, 60))
    v2g = v2x.fleet_flexibility("v2g", *args, durations_min=(15, 60))
    # on the same schedule V2G adds discharge: its range is never smaller, step by step
    assert (v2g.up_kw + v2g.down_kw >= v1g.up_kw + v1g.down_kw - 1e-9).all()
    assert v2g.up_kw.sum() > v1g.up_kw.sum()
    # and on their own schedules over the year
    own = v2x.fleet_flexibility(
        "v2g",
        results["v2g"].power_kw,
        results["v2g"].soc_kwh,
        inputs.sessions,
        inputs.fleet,
        durations_min=(15, 60),
    )
    assert (own.up_kw + own.down_kw).mean() >= (v1g.up_kw + v1g.down_kw).mean()
    unc = results["uncontrolled"]
    none = v2x.fleet_flexibility(
        "uncontrolled", unc.power_kw, unc.soc_kwh, inputs.sessions, inputs.fleet
    )
    assert none.up_kw.sum() == 0 and none.down_kw.sum() == 0


def test_grid_constrained_never_exceeds_unconstrained(quickstart_task):
    study, feeder, inputs, results = quickstart_task
    from gridv2x import powerflow
    from gridv2x.powerflow import customer_loads

    ev = results["v2g"]
    ev_kw = charging.power_by_customer(ev, inputs.fleet)
    load_p, load_q, _, _ = customer_loads(
        feeder.customers, inputs.base_p_kw, inputs.base_q_kvar, ev_kw
    )
    pf = powerflow.run_timeseries(feeder.net, load_p, load_q)
    limits = dict(study.scenario.section("limits"))
    grid = v2x.grid_sensitivity(feeder.net, feeder.customers, inputs.fleet, pf, limits)
    flex = v2x.fleet_flexibility(
        "v2g", ev.power_kw, ev.soc_kwh, inputs.sessions, inputs.fleet, grid=grid
    )
    assert (flex.up_grid_kw <= flex.up_kw + 1e-9).all()
    assert (flex.down_grid_kw <= flex.down_kw + 1e-9).all()
    # tighten the voltage band until it binds: the constrained offer then shrinks
    tight = dict(limits, v_min_pu=float(pf.vm_pu.min().min()) - 0.002)
    grid = v2x.grid_sensitivity(feeder.net, feeder.customers, inputs.fleet, pf, tight)
    flex_tight = v2x.fleet_flexibility(
        "v2g", ev.power_kw, ev.soc_kwh, inputs.sessions, inputs.fleet, grid=grid
    )
    assert flex_tight.down_grid_kw.sum() < flex.down_grid_kw.sum()
    # the scaled offer keeps the linearised voltage within the band in every step
    used = flex_tight.down_grid_kw[:, 0]
    assert (used >= 0).all()


def test_sensitivity_matches_a_load_flow():
    """10 kW more at a customer moves every customer voltage as the probe says.

    Linearised at the operating point of the test (1 kW at every customer), the prediction of a
    10 kW step matches a fresh load flow within 3 % (the drop per kW grows with the step).
    """
    from gridv2x import powerflow

    feeder = read_builtin("se-villa-large")
    customers = feeder.customers
    fleet = pd.DataFrame({"ev_id": ["e"], "customer_id": [customers["customer_id"].iloc[-1]]})
    index = pd.date_range("2030-01-01", periods=2, freq="15min", tz=TZ)
    p = pd.DataFrame(0.001, index=index, columns=feeder.net.load.index)
    q = pd.DataFrame(0.0, index=index, columns=feeder.net.load.index)
    pf = powerflow.run_timeseries(feeder.net, p, q)
    limits = {
        "v_min_pu": 0.9,
        "v_max_pu": 1.1,
        "transformer_loading_pct": 100.0,
        "line_loading_pct": 100.0,
    }
    grid = v2x.grid_sensitivity(
        feeder.net, customers, fleet, pf, limits, load_p_mw=p, load_q_mvar=q
    )
    load = int(customers["load"].iloc[-1])
    p2 = p.copy()
    p2[load] += 0.010  # 10 kW more at that customer
    pf2 = powerflow.run_timeseries(feeder.net, p2, q)
    buses = np.unique(customers["bus"])
    drop = (pf.vm_pu[buses] - pf2.vm_pu[buses]).to_numpy()[0]
    predicted = grid.use[: len(buses), 0] * 10.0
    assert np.allclose(drop, predicted, rtol=0.03, atol=1e-6)


def test_products_need_more_evs_for_larger_bids(quickstart_task):
    _, _, inputs, results = quickstart_task
    ev = results["v2g"]
    flex = v2x.fleet_flexibility(
        "v2g", ev.power_kw, ev.soc_kwh, inputs.sessions, inputs.fleet, durations_min=(15, 30, 60)
    )
    table = v2x.evs_needed(flex, v2x.PRODUCTS).set_index("product")
    # same direction and duration, 10x the minimum bid: 10x the EVs (to rounding)
    small = table.loc["local flexibility (1 h)"]
    big = table.loc["mFRR up"]
    assert big["per_ev_kw"] <= small["per_ev_kw"] + 1e-9  # stricter availability
    assert big["evs_needed"] >= 10 * small["evs_needed"] - 10
    per_ev = table["per_ev_kw"]
    assert (per_ev >= 0).all()
    finite = table["evs_needed"].dropna()
    assert (
        finite * table.loc[finite.index, "per_ev_kw"]
        >= table.loc[finite.index, "min_bid_kw"] - 1e-6
    ).all()


def test_backup_zero_without_a_car_at_home(quickstart_task):
    study, feeder, inputs, results = quickstart_task
    ev = results["v2g"]
    hours = v2x.backup_hours(inputs.base_p_kw, ev.soc_kwh, inputs.sessions, inputs.fleet)
    plugged, _ = v2x.plugged_in(inputs.sessions, list(inputs.fleet["ev_id"]), study.index)
    at_home = pd.DataFrame(plugged, index=study.index, columns=inputs.fleet["ev_id"])
    owner_home = at_home.T.groupby(inputs.fleet.set_index("ev_id")["customer_id"]).any().T
    owner_home = owner_home.reindex(columns=hours.columns)
    assert hours.where(~owner_home).isna().all().all()  # no car at home: no backup
    assert (hours.where(owner_home).fillna(0) >= 0).all().all()
    assert hours.max().max() <= 72.0
    table = v2x.resilience_table(
        hours,
        len(feeder.customers),
        [1, 4, 12],
        {"year": study.index, "coldest_week": v2x.coldest_week(inputs.temperature_c)},
    )
    year = table[table["window"] == "year"].set_index("outage_h")
    # longer outages are carried for fewer households
    assert year["covered_share"].is_monotonic_decreasing
    assert (table["covered_share"] <= table["v2h_home_share"] + 1e-12).all()
    # households without an EV never count: covered share at most the EV owners' share
    owners = inputs.fleet["customer_id"].nunique() / len(feeder.customers)
    assert (table["v2h_home_share"] <= owners + 1e-12).all()


def test_backup_energy_bound():
    """A car with 10 kWh usable and a 1 kW household lasts 10 h x eta (until it leaves)."""
    index = pd.date_range("2030-01-07", periods=96 * 2, freq="15min", tz=TZ)
    household = pd.DataFrame({"c1": 1.0, "c2": 1.0}, index=index)
    soc = pd.DataFrame({"ev1": 34.0}, index=index)  # reserve 0.4 x 60 = 24: 10 kWh usable
    sessions = pd.DataFrame(
        {"ev_id": ["ev1"], "arrival": [index[0]], "departure": [index[-1] + pd.Timedelta("15min")]}
    )
    fleet = pd.DataFrame(
        {"ev_id": ["ev1"], "customer_id": ["c1"], "battery_kwh": [60.0], "charger_kw": [11.0]}
    )
    hours = v2x.backup_hours(household, soc, sessions, fleet, discharge_efficiency=0.9)
    assert list(hours.columns) == ["c1"]
    assert hours["c1"].iloc[0] == pytest.approx(9.0, abs=0.25)  # 10 kWh x 0.9 / 1 kW
