"""Property-based tests (hypothesis) of the charging strategies on random sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridv2x.conventions import step_hours

from .inputs import perfect_schedule as schedule

STRATEGIES = ("uncontrolled", "v1g", "v2g")
TOL_KW = 1e-6


@st.composite
def cases(draw):
    """A few EVs over 1-3 days, sessions at arbitrary minutes, feasible and infeasible ones."""
    resolution = draw(st.sampled_from(["15min", "60min"]))
    days = draw(st.integers(1, 3))
    n_ev = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    index = pd.date_range(
        "2030-03-30",
        periods=days * (96 if resolution == "15min" else 24),
        freq=resolution,
        tz="Europe/Stockholm",
        name="time",
    )  # includes the spring DST change on 2030-03-31
    horizon_min = int((index[-1] - index[0]).total_seconds() / 60) + 60
    fleet = pd.DataFrame(
        {
            "ev_id": [f"e{i}" for i in range(n_ev)],
            "customer_id": [f"c{i}" for i in range(n_ev)],
            "battery_kwh": rng.uniform(20, 90, n_ev).round(1),
            "charger_kw": rng.choice([2.3, 3.7, 7.4, 11.0], n_ev),
            "phases": 3,
            "phase": "abc",
            "kwh_per_km": 0.18,
        }
    )
    rows = []
    for ev, battery in zip(fleet["ev_id"], fleet["battery_kwh"], strict=True):
        t = int(rng.integers(-120, 600))  # minutes after the start; may start before
        while t < horizon_min:
            length = int(rng.integers(5, 20 * 60))
            energy = float(rng.uniform(0, 0.8 * battery)) * float(rng.random() < 0.9)
            arrival = index[0] + pd.Timedelta(minutes=t)
            departure = arrival + pd.Timedelta(minutes=length)
            rows.append((ev, arrival, departure, energy, energy / 0.18))
            # mostly hours away; sometimes only minutes (departure and arrival share a step)
            t += length + int(rng.integers(1, 30) if rng.random() < 0.2 else rng.integers(120, 840))
    sessions = pd.DataFrame(
        rows, columns=["ev_id", "arrival", "departure", "energy_kwh", "distance_km"]
    )
    base = pd.Series(
        np.abs(30 + np.cumsum(rng.normal(0, 3, len(index)))), index=index, name="base_load_kw"
    )
    v2g = {
        "reserve_soc": float(rng.uniform(0, 0.8)),
        "max_discharge_kw": draw(st.sampled_from([None, 3.0])),
        "round_trip_efficiency": float(rng.uniform(0.7, 0.9)),
        "daily_throughput_cap_kwh": draw(st.sampled_from([None, 5.0, 20.0])),
        "opt_out_share": draw(st.sampled_from([0.0, 0.5])),
    }
    return sessions, fleet, index, base, v2g


def plugged_share(sessions, fleet, index):
    """Independent computation of the plugged-in share of each step per EV [time x ev]."""
    dt = pd.Timedelta(index.freq)
    share = pd.DataFrame(0.0, index=index, columns=fleet["ev_id"])
    starts = index
    ends = index + dt
    for _, s in sessions.iterrows():
        overlap = (np.minimum(ends, s["departure"]) - np.maximum(starts, s["arrival"])) / dt
        share[s["ev_id"]] += np.clip(overlap, 0, 1)
    return share


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(cases())
def test_properties(case):
    sessions, fleet, index, base, v2g = case
    dt = step_hours(index)
    res = {s: schedule(s, sessions, fleet, index, base, v2g=v2g) for s in STRATEGIES}
    share = plugged_share(sessions, fleet, index)
    arrival_steps = pd.DataFrame(False, index=index, columns=fleet["ev_id"])
    for _, row in sessions.iterrows():
        k = index.searchsorted(row["arrival"], side="right") - 1
        if 0 <= k < len(index):
            arrival_steps.iloc[k, arrival_steps.columns.get_loc(row["ev_id"])] = True
    charger = fleet.set_index("ev_id")["charger_kw"]
    battery = fleet.set_index("ev_id")["battery_kwh"]
    reserve = v2g["reserve_soc"] * battery
    dmax = charger if v2g["max_discharge_kw"] is None else np.minimum(charger, 3.0)
    for name, r in res.items():
        p = r.power_kw
        # power within the charger limit, and only while plugged in (pro-rated)
        assert (p.le(share * charger + TOL_KW)).all().all(), name
        assert (p.ge(-share * dmax - TOL_KW)).all().all(), name
        # state of charge within its bounds; V2G never discharges below the reserve
        assert (r.soc_kwh.ge(-TOL_KW)).all().all()
        assert (r.soc_kwh.le(battery + TOL_KW)).all().all()
        # (in a step where the EV also arrives, the drop of the arrival comes on top)
        discharging = (p < -TOL_KW) & ~arrival_steps
        assert (r.soc_kwh[discharging].ge(reserve - 1e-6) | ~discharging).all().all()
        # energy conserved with losses (power and SoC frames, independently of per_ev)
        charged = p.clip(lower=0).sum() * dt
        discharged = (-p).clip(lower=0).sum() * dt
        pe = r.per_ev
        lhs = charged - discharged
        rhs = pe["driving_kwh"] + (r.soc_kwh.iloc[-1] - pe["stored_start_kwh"]) + pe["losses_kwh"]
        assert ((lhs - rhs).abs() <= 1e-3 * np.maximum(charged, 1.0)).all()
        # shortfall and unmet energy are reported per session and add up per EV
        for col in ("unmet_kwh", "shortfall_kwh"):
            by_ev = r.sessions.groupby("ev_id")[col].sum().reindex(pe.index, fill_value=0)
            np.testing.assert_allclose(by_ev, pe[col], atol=1e-9)
        assert len(r.sessions) == len(sessions)
        if name != "v2g":
            assert (p >= -TOL_KW).all().all()
    # the mobility guarantee: v1g/v2g meet every session that uncontrolled meets
    short_unc = res["uncontrolled"].sessions["shortfall_kwh"].to_numpy()
    unmet_unc = res["uncontrolled"].sessions["unmet_kwh"].to_numpy()
    for name in ("v1g", "v2g"):
        short = res[name].sessions["shortfall_kwh"].to_numpy()
        assert np.all(short[short_unc <= 0] <= 1e-6), name
        np.testing.assert_allclose(res[name].sessions["unmet_kwh"], unmet_unc, atol=1e-9)
    # peak ordering on the same inputs
    peak = {s: (base + res[s].power_kw.sum(axis=1)).max() for s in STRATEGIES}
    assert peak["v1g"] <= peak["uncontrolled"] + TOL_KW
    assert peak["v2g"] <= peak["v1g"] + TOL_KW


def expected_targets(out, start, end, eta, step="15min"):
    """Independent departure targets (backward look-ahead) and feasibility per session.

    Written as plain loops: the target of a session is 80 % of the battery, raised so that the
    next trip can be driven and the next session reaches its own target in its window.
    """
    out = out.copy()
    inside = (out["arrival"] >= start) & (out["departure"] <= end)
    # the schedule looks up to one day past the end for EVs plugged in at the end
    running = out.loc[(out["arrival"] < end) & (out["departure"] > end), "departure"]
    horizon = end
    if len(running):
        horizon = end + min(running.max() - end, pd.Timedelta(days=1)).ceil(step)
    hours = (np.minimum(out["departure"], horizon) - out["arrival"]).dt.total_seconds() / 3600
    capacity = eta * out["charger_kw"] * hours
    target = pd.Series(0.0, index=out.index)
    for _, rows in out.groupby("ev_id"):
        following = None
        for i in reversed(rows.index.tolist()):
            battery = out.at[i, "battery_kwh"]
            t = 0.8 * battery
            if following is not None and out.at[following, "arrival"] < end:
                e_next = out.at[following, "energy_kwh"]
                t = max(t, e_next, target[following] + e_next - capacity[following])
            target[i] = min(battery, t)
            following = i
    previous = target.groupby(out["ev_id"]).shift(1).fillna(0.8 * out["battery_kwh"])
    need = np.maximum(target - (previous - out["energy_kwh"]), 0)
    feasible = capacity >= need - 1e-9
    clearly_infeasible = need - capacity > 1e-6
    return inside, target, feasible, clearly_infeasible


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(cases())
def test_departure_met_whenever_feasible(case):
    """Independent feasibility: need <= what the window allows -> met, back at the target."""
    sessions, fleet, index, base, v2g = case
    start, end = index[0], index[-1] + pd.Timedelta(index.freq)
    by_ev = fleet.set_index("ev_id")
    res = {s: schedule(s, sessions, fleet, index, base, v2g=v2g) for s in STRATEGIES}
    for name, r in res.items():
        out = r.sessions.merge(
            by_ev[["charger_kw", "battery_kwh"]], left_on="ev_id", right_index=True
        )
        inside, target, feasible, infeasible = expected_targets(
            out, start, end, 0.92, step=index.freq
        )
        ok = feasible & inside & (out["arrival"] > start)
        earlier_ok = ok.astype(int).groupby(out["ev_id"]).cumprod().astype(bool)
        np.testing.assert_allclose(out.loc[earlier_ok, "target_kwh"], target[earlier_ok])
        assert (out.loc[earlier_ok, "shortfall_kwh"] <= 1e-6).all(), name
        assert (out.loc[earlier_ok, "unmet_kwh"] <= 1e-6).all(), name
        first_bad = (
            inside
            & infeasible
            & (out["arrival"] > start)
            & earlier_ok.groupby(out["ev_id"]).shift(fill_value=True)
        )
        assert (out.loc[first_bad, "shortfall_kwh"] > 0).all(), name
        # at departure the stored energy is back at the target
        soc = r.soc_kwh
        next_arrival = out.groupby("ev_id")["arrival"].shift(-1)
        for i, s in out[earlier_ok].iterrows():
            k = index.searchsorted(s["departure"], side="left") - 1
            if pd.notna(next_arrival[i]) and next_arrival[i] < index[k] + index.freq:
                continue  # the next arrival's drop is in the same step
            np.testing.assert_allclose(
                soc[s["ev_id"]].iloc[k], s["target_kwh"], atol=1e-6, err_msg=name
            )


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(cases(), st.sampled_from([None, 0.9, 1.1]), st.booleans())
def test_price_objective_limit_and_tariff_keep_the_invariants(case, limit_factor, tariff):
    sessions, fleet, index, base, v2g = case
    dt = step_hours(index)
    rng = np.random.default_rng(len(sessions))
    prices = pd.Series(rng.uniform(-0.1, 2.0, len(index)), index=index)
    unc = schedule("uncontrolled", sessions, fleet, index, base, prices=prices)
    limit = None if limit_factor is None else limit_factor * base.max()
    options = {
        "prices": prices,
        "transformer_limit_kw": limit,
        "power_tariff": {"sek_per_kw_month": 50.0 if tariff else None, "hours": [6, 20]},
    }
    battery = fleet.set_index("ev_id")["battery_kwh"]
    charger = fleet.set_index("ev_id")["charger_kw"]
    for name, r in (
        (
            "v1g",
            schedule("v1g", sessions, fleet, index, base, v1g={"objective": "price"}, **options),
        ),
        (
            "v2g",
            schedule(
                "v2g", sessions, fleet, index, base, v2g={**v2g, "objective": "price"}, **options
            ),
        ),
    ):
        p = r.power_kw
        assert (p.le(charger + TOL_KW) & p.ge(-charger - TOL_KW)).all().all(), name
        assert (r.soc_kwh.ge(-TOL_KW) & r.soc_kwh.le(battery + TOL_KW)).all().all(), name
        charged = p.clip(lower=0).sum() * dt
        discharged = (-p).clip(lower=0).sum() * dt
        pe = r.per_ev
        rhs = pe["driving_kwh"] + (r.soc_kwh.iloc[-1] - pe["stored_start_kwh"]) + pe["losses_kwh"]
        assert ((charged - discharged - rhs).abs() <= 1e-3 * np.maximum(charged, 1.0)).all()
        short_unc = unc.sessions["shortfall_kwh"].to_numpy()
        short = r.sessions["shortfall_kwh"].to_numpy()
        assert np.all(short[short_unc <= 0] <= 1e-6), name
        np.testing.assert_allclose(r.sessions["unmet_kwh"], unc.sessions["unmet_kwh"], atol=1e-9)
