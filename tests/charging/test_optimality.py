"""Coordinated valley filling against the exact minimum peak (LP, scipy HiGHS)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from gridv2x.charging.schedule import _energy_chain, _windows

from .inputs import make_case as _make_case
from .inputs import perfect_schedule as schedule


def make_case(n_ev, days, seed):
    """The test case without the sessions still plugged in at the end of the period: the LPs
    here pose the period alone, while the schedule looks past its end (tested in
    test_schedule.py)."""
    sessions, fleet, index, base = _make_case(n_ev, days, seed)
    end = index[-1] + index.freq
    return sessions[sessions["departure"] <= end].reset_index(drop=True), fleet, index, base


def min_peak_lp(sessions, fleet, index, base, eta_c=0.92):
    """Lowest possible feeder peak with the same sessions, targets and charger limits."""
    fleet = fleet.reset_index(drop=True)
    w = _windows(sessions, fleet, index, None)
    e0 = 0.8 * fleet["battery_kwh"].to_numpy()
    _, _, _, need, _, cap_batt = _energy_chain(w, fleet, e0, e0, eta_c)
    need = np.minimum(need * w.sess["share"].to_numpy(), cap_batt)[w.s_idx] / (eta_c * w.dt_h)
    n_el, n = len(w.cap), len(index)
    load = sp.csr_matrix((np.ones(n_el), (w.step, np.arange(n_el))), shape=(n, n_el))
    a_ub = sp.hstack([load, -sp.csr_matrix(np.ones((n, 1)))])
    per_session = sp.csr_matrix((np.ones(n_el), (w.seg, np.arange(n_el))), shape=(len(need), n_el))
    a_eq = sp.hstack([per_session, sp.csr_matrix((len(need), 1))])
    bounds = np.c_[np.r_[np.zeros(n_el), -np.inf], np.r_[w.cap, np.inf]]
    res = linprog(
        np.r_[np.zeros(n_el), 1.0],
        A_ub=a_ub,
        b_ub=-base.to_numpy(),
        A_eq=a_eq,
        b_eq=need,
        bounds=bounds,
        method="highs",
    )
    assert res.status == 0
    return res.x[-1]


@pytest.mark.parametrize("seed", [0, 1])
def test_valley_filling_reaches_the_lp_minimum_peak(seed):
    sessions, fleet, index, base = make_case(20, 7, seed)
    base = 0.05 * base  # EV-dominated: the peak is set by charging, not by the base load
    lp = min_peak_lp(sessions, fleet, index, base)
    assert lp > base.max() + 1.0
    peak = {
        passes: (
            base + schedule("v1g", sessions, fleet, index, base, passes=passes).power_kw.sum(axis=1)
        ).max()
        for passes in (2, 4)
    }
    unc = (base + schedule("uncontrolled", sessions, fleet, index, base).power_kw.sum(axis=1)).max()
    assert peak[2] >= lp - 1e-6 and peak[4] >= lp - 1e-6  # the LP is a lower bound
    assert peak[2] <= 1.02 * lp  # two passes: within 2 % of the optimum
    assert peak[4] <= 1.005 * lp  # converging to it
    assert peak[4] <= peak[2] + 1e-9 and lp < 0.3 * unc


def min_peak_v2g_lp(sessions, fleet, index, base, reserve_soc, eta_c=0.92, rte=0.85):
    """Lower bound of the V2G peak: LP with losses and the SoC path kept in [floor, battery].

    The floor is ``min(reserve, stored energy at arrival)``: the strategy discharges only above
    the reserve and only charges below it, so its path never goes under this floor; the LP is a
    relaxation and its optimum a lower bound.
    """
    eta_d = rte / eta_c
    fleet = fleet.reset_index(drop=True)
    w = _windows(sessions, fleet, index, None)
    battery = fleet["battery_kwh"].to_numpy()
    e0 = 0.8 * battery
    e_arr, _, _, need, _, cap_batt = _energy_chain(w, fleet, e0, e0, eta_c)
    need = np.minimum(need * w.sess["share"].to_numpy(), cap_batt)[w.s_idx]
    n_el, n, dt, ev = len(w.cap), len(index), w.dt_h, w.ev_of
    ends = np.r_[w.starts[1:], n_el]
    rows, cols = [], []
    for a, b in zip(w.starts, ends, strict=True):
        r, c = np.tril_indices(b - a)
        rows.append(r + a)
        cols.append(c + a)
    cumulative = sp.csr_matrix(
        (np.ones(sum(map(len, rows))), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_el, n_el),
    )
    path = sp.hstack(
        [cumulative * (eta_c * dt), cumulative * (-dt / eta_d), sp.csr_matrix((n_el, 1))]
    )
    start = e_arr[w.s_idx][w.seg]
    floor = np.minimum(reserve_soc * battery[ev], start)
    load = sp.csr_matrix((np.ones(n_el), (w.step, np.arange(n_el))), shape=(n, n_el))
    peak = sp.hstack([load, -load, -sp.csr_matrix(np.ones((n, 1)))])
    per_session = sp.csr_matrix((np.ones(n_el), (w.seg, np.arange(n_el))), shape=(len(need), n_el))
    a_eq = sp.hstack(
        [per_session * (eta_c * dt), per_session * (-dt / eta_d), sp.csr_matrix((len(need), 1))]
    )
    bounds = np.c_[np.r_[np.zeros(2 * n_el), -np.inf], np.r_[w.cap, w.charger[ev] * w.frac, np.inf]]
    res = linprog(
        np.r_[np.zeros(2 * n_el), 1.0],
        A_ub=sp.vstack([peak, path, -path]),
        b_ub=np.r_[-base.to_numpy(), battery[ev] - start, start - floor],
        A_eq=a_eq,
        b_eq=need,
        bounds=bounds,
        method="highs",
    )
    assert res.status == 0
    return res.x[-1]


@pytest.mark.parametrize("seed", [0, 2])
def test_v2g_peak_is_close_to_the_lp_lower_bound(seed):
    sessions, fleet, index, base = make_case(15, 5, seed)
    lp = min_peak_v2g_lp(sessions, fleet, index, base, reserve_soc=0.4)
    opts = {"opt_out_share": 0.0, "daily_throughput_cap_kwh": None, "reserve_soc": 0.4}
    v2g = (
        base + schedule("v2g", sessions, fleet, index, base, v2g=opts).power_kw.sum(axis=1)
    ).max()
    v1g = (base + schedule("v1g", sessions, fleet, index, base).power_kw.sum(axis=1)).max()
    assert lp - 1e-6 <= v2g <= 1.03 * lp  # within 3 % of a lower bound
    assert v2g - lp <= 0.2 * (v1g - lp) + 1e-9  # most of the way from V1G down to that bound


def test_price_objective_is_close_to_the_lp_minimum_cost():
    from gridv2x.charging.prices import prices_on_index

    sessions, fleet, index, base = make_case(20, 7, 1)
    fleet = fleet.reset_index(drop=True)
    w = _windows(sessions, fleet, index, None)
    e0 = 0.8 * fleet["battery_kwh"].to_numpy()
    _, _, _, need, _, cap_batt = _energy_chain(w, fleet, e0, e0, 0.92)
    need = np.minimum(need * w.sess["share"].to_numpy(), cap_batt)[w.s_idx] / (0.92 * w.dt_h)
    price = prices_on_index(index).to_numpy()
    n_el = len(w.cap)
    res = linprog(
        price[w.step] * w.dt_h,
        A_eq=sp.csr_matrix((np.ones(n_el), (w.seg, np.arange(n_el))), shape=(len(need), n_el)),
        b_eq=need,
        bounds=np.c_[np.zeros(n_el), w.cap],
        method="highs",
    )
    assert res.status == 0
    cost = {
        weight: schedule(
            "v1g",
            sessions,
            fleet,
            index,
            base,
            v1g={"objective": "price"},
            price_weight_kw_per_sek=weight,
        )
        .per_ev["energy_cost_sek"]
        .sum()
        for weight in (1e3, 1e5)
    }
    assert res.fun - 1e-6 <= cost[1e3] <= 1.02 * res.fun  # flattening costs < 2 %
    assert cost[1e5] == pytest.approx(res.fun, rel=1e-4)  # cost-only: the LP optimum
