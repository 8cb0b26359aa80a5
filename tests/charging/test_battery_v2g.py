"""Battery wear, virtual km and the V2G options (opt-out, throughput cap, reserve, power)."""

from __future__ import annotations

import numpy as np
import pytest

from gridv2x.charging import degradation_pct, virtual_km
from gridv2x.charging.schedule import v2g_opt_out
from gridv2x.conventions import step_hours

from .inputs import make_case
from .inputs import perfect_schedule as schedule


def test_degradation_and_virtual_km_by_hand():
    # one year, 60 kWh battery, 6000 kWh in + out = 50 equivalent full cycles
    loss = degradation_pct(6000.0, 60.0, 8766.0)
    assert loss == pytest.approx(1.5 + 0.004 * 50)
    loss = degradation_pct(
        [0.0], [60.0], 8766.0 / 2, calendar_fade_pct_per_year=2.0, cycle_fade_pct_per_efc=0.0
    )
    np.testing.assert_allclose(loss, [1.0])
    np.testing.assert_allclose(virtual_km([18.0, 18.0], [0.18, np.nan]), [100.0, 100.0])


@pytest.fixture(scope="module")
def case():
    return make_case(n_ev=25, days=10, seed=7)


def test_per_ev_wear_matches_the_flows(case):
    sessions, fleet, index, base = case
    r = schedule("v2g", *case, v2g={"opt_out_share": 0.0})
    pe = r.per_ev
    eta_c, eta_d = 0.92, 0.85 / 0.92
    throughput = eta_c * pe["charged_kwh"] + pe["discharged_kwh"] / eta_d + pe["driving_kwh"]
    np.testing.assert_allclose(pe["throughput_kwh"], throughput)
    battery = fleet.set_index("ev_id")["battery_kwh"]
    hours = len(index) * step_hours(index)
    np.testing.assert_allclose(
        pe["degradation_pct"], 1.5 * hours / 8766 + 0.004 * throughput / (2 * battery)
    )
    np.testing.assert_allclose(pe["virtual_km"], pe["discharged_kwh"] / 0.18)
    assert pe["virtual_km"].sum() > 0
    unc = schedule("uncontrolled", *case).per_ev
    # V2G cycles the battery more than uncontrolled charging (per EV the last session, cut
    # by the end of the period, is charged in full only by uncontrolled charging)
    assert pe["degradation_pct"].sum() > unc["degradation_pct"].sum()


def test_opt_out_share_and_stable_draw(case):
    sessions, fleet, index, base = case
    out = v2g_opt_out(fleet["ev_id"], 0.4)
    assert 0 < out.sum() < len(fleet)
    np.testing.assert_array_equal(out, v2g_opt_out(fleet["ev_id"], 0.4))
    np.testing.assert_array_equal(out[::-1], v2g_opt_out(fleet["ev_id"][::-1], 0.4))
    r = schedule("v2g", *case, v2g={"opt_out_share": 0.4})
    discharged = r.per_ev["discharged_kwh"].to_numpy()
    assert np.all(discharged[out] == 0)
    assert np.any(discharged[~out] > 0)
    none = schedule("v2g", *case, v2g={"opt_out_share": 1.0})
    v1g = schedule("v1g", *case)
    assert (none.power_kw >= 0).all().all()
    # with everybody opted out V2G is V1G with one more round of valley filling
    peak = {k: (base + x.power_kw.sum(axis=1)).max() for k, x in (("none", none), ("v1g", v1g))}
    assert peak["none"] <= peak["v1g"] + 1e-6
    np.testing.assert_allclose(none.per_ev["charged_kwh"], v1g.per_ev["charged_kwh"])


def test_throughput_cap_reserve_and_discharge_power(case):
    sessions, fleet, index, base = case
    dt = step_hours(index)
    opts = {
        "opt_out_share": 0.0,
        "daily_throughput_cap_kwh": 4.0,
        "max_discharge_kw": 2.0,
        "reserve_soc": 0.6,
    }
    r = schedule("v2g", *case, v2g=opts)
    p = r.power_kw
    assert p.min().min() >= -2.0 - 1e-9
    daily = (-p).clip(lower=0).groupby(p.index.normalize()).sum() * dt
    assert daily.max().max() <= 4.0 + 1e-6
    battery = fleet.set_index("ev_id")["battery_kwh"]
    discharging = p < -1e-9
    assert (r.soc_kwh[discharging].ge(0.6 * battery - 1e-6) | ~discharging).all().all()
    free = schedule("v2g", *case, v2g={"opt_out_share": 0.0})
    assert r.per_ev["discharged_kwh"].sum() < free.per_ev["discharged_kwh"].sum()
    # a tighter V2G can only shave less
    peak = {k: (base + x.power_kw.sum(axis=1)).max() for k, x in (("cap", r), ("free", free))}
    assert peak["free"] <= peak["cap"] + 1e-6


def test_with_mobility_sessions():
    """The mobility package's sessions: no unmet energy, peaks ordered, balance holds."""
    mobility = pytest.importorskip("gridv2x.mobility")
    sessions, fleet = mobility.synthesize_sessions(30, "2030-01-06", 14, seed=2, return_fleet=True)
    from gridv2x.conventions import period_index

    from .inputs import make_base_load

    index = period_index("2030-01-06", 14)
    base = make_base_load(index, 75, np.random.default_rng(2))
    res = {s: schedule(s, sessions, fleet, index, base) for s in ("uncontrolled", "v1g", "v2g")}
    peak = {s: (base + r.power_kw.sum(axis=1)).max() for s, r in res.items()}
    assert peak["v2g"] <= peak["v1g"] + 1e-6 <= peak["uncontrolled"] + 2e-6
    for r in res.values():
        assert r.per_ev["unmet_kwh"].sum() == 0
        pe = r.per_ev
        lhs = pe["charged_kwh"] - pe["discharged_kwh"]
        rhs = pe["driving_kwh"] + pe["stored_end_kwh"] - pe["stored_start_kwh"] + pe["losses_kwh"]
        assert ((lhs - rhs).abs() <= 1e-3 * pe["charged_kwh"].clip(lower=1)).all()


def test_builtin_feeder_with_household_load():
    """A built-in feeder, its households' base load and the mobility package's fleet."""
    from gridv2x import adoption, demand, mobility, network
    from gridv2x.conventions import period_index

    feeder = network.read_builtin("se-suburban-villa")
    index = period_index("2030-01-13", 7)
    rng = np.random.default_rng(0)
    temperature = demand.outdoor_temperature(index, rng=rng)
    p_kw, _ = demand.base_load(feeder.customers, index, temperature, rng=rng)
    owners = adoption.allocate_evs(feeder.customers, rng=rng, share=0.6)
    fleet = mobility.draw_fleet(owners, rng=rng)
    sessions = mobility.sessions_for_fleet(fleet, index, temperature, rng=rng)
    base = p_kw.sum(axis=1)
    res = {s: schedule(s, sessions, fleet, index, base) for s in ("uncontrolled", "v1g", "v2g")}
    price = schedule("v1g", sessions, fleet, index, base, v1g={"objective": "price"})
    peak = {s: (base + r.power_kw.sum(axis=1)).max() for s, r in res.items()}
    assert peak["v2g"] < peak["v1g"] < peak["uncontrolled"]
    assert res["v1g"].per_ev["unmet_kwh"].sum() == res["v2g"].per_ev["unmet_kwh"].sum() == 0
    unc_cost = res["uncontrolled"].per_ev["energy_cost_sek"].sum()
    assert price.per_ev["energy_cost_sek"].sum() < unc_cost
