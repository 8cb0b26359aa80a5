"""summarize / customer_table / element_table / first_violation on a real pandapower run.

A tiny 10/0.4 kV feeder (one 100 kVA transformer, three cable sections, three customers) is
solved with pandapower's Newton-Raphson step by step; the results are wrapped in a plain
dataclass with the attributes of ``gridv2x.powerflow.TimeseriesResult``. The last step carries
an impossible load and does not converge, as a real engine would report it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from gridv2x.conventions import SUMMARY_COLUMNS, period_index
from gridv2x.errors import InputError
from gridv2x.metrics import (
    METRICS,
    customer_table,
    element_table,
    first_violation,
    resolve_limits,
    summarize,
    timeseries_table,
)

IDENTITY = {"feeder", "strategy", "seed", "ev_share", "n_evs"}


@dataclass
class PFResult:
    vm_pu: pd.DataFrame
    line_loading_percent: pd.DataFrame
    trafo_loading_percent: pd.DataFrame
    trafo_p_mw: pd.DataFrame
    losses_mw: pd.Series
    converged: pd.Series
    load_p_mw: pd.DataFrame  # what was fed in (for the checks)
    ext_grid_p_mw: pd.Series
    vuf_pct: pd.DataFrame | None = None


def tiny_net():
    net = pp.create_empty_network()
    mv = pp.create_bus(net, 10.0, name="mv")
    lv = pp.create_bus(net, 0.4, name="lv")
    b = [pp.create_bus(net, 0.4, name=f"b{i}") for i in range(3)]
    pp.create_ext_grid(net, mv, vm_pu=1.0)
    # 100 kVA rural transformer, vk 4 %, vkr 1.26 % (docs/sources.md §7)
    pp.create_transformer_from_parameters(
        net,
        mv,
        lv,
        sn_mva=0.1,
        vn_hv_kv=10.0,
        vn_lv_kv=0.4,
        vkr_percent=1.26,
        vk_percent=4.0,
        pfe_kw=0.2,
        i0_percent=0.3,
    )
    pp.create_line(net, lv, b[0], 0.2, std_type="NAYY 4x50 SE")
    pp.create_line(net, b[0], b[1], 0.2, std_type="NAYY 4x50 SE")
    pp.create_line(net, b[1], b[2], 0.2, std_type="NAYY 4x50 SE")
    for bus in b:
        pp.create_load(net, bus, p_mw=0.0, q_mvar=0.0)
    return net, b


@pytest.fixture(scope="module")
def case():
    net, buses = tiny_net()
    index = period_index("2030-01-07", 1, "15min")[:8]
    # kW per customer per step; step 6 heavy (low voltage, overloads), step 7 impossible
    levels = np.array([2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 45.0, 4000.0])
    load_kw = pd.DataFrame({0: levels * 0.5, 1: levels * 0.8, 2: levels}, index=index)
    rows = []
    for t in index:
        net.load["p_mw"] = load_kw.loc[t].to_numpy() / 1000.0
        net.load["q_mvar"] = net.load["p_mw"] * 0.2
        try:
            pp.runpp(net, max_iteration=15)
        except pp.LoadflowNotConverged:
            rows.append(None)
            continue
        rows.append(
            (
                net.res_bus.vm_pu.copy(),
                net.res_line.loading_percent.copy(),
                net.res_trafo.loading_percent.copy(),
                net.res_trafo.p_hv_mw.copy(),
                float(net.res_line.pl_mw.sum() + net.res_trafo.pl_mw.sum()),
                float(net.res_ext_grid.p_mw.sum()),
            )
        )

    def frame(i, cols):
        data = [r[i].to_numpy() if r is not None else np.full(len(cols), np.nan) for r in rows]
        return pd.DataFrame(data, index=index, columns=cols)

    pf = PFResult(
        vm_pu=frame(0, net.bus.index),
        line_loading_percent=frame(1, net.line.index),
        trafo_loading_percent=frame(2, net.trafo.index),
        trafo_p_mw=frame(3, net.trafo.index),
        losses_mw=pd.Series([r[4] if r else np.nan for r in rows], index=index),
        converged=pd.Series([r is not None for r in rows], index=index),
        load_p_mw=load_kw / 1000.0,
        ext_grid_p_mw=pd.Series([r[5] if r else np.nan for r in rows], index=index),
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["c0", "c1", "c2"],
            "bus": buses,
            "load": [0, 1, 2],
            "fuse_a": [16.0, 20.0, 25.0],
            "phases": [3, 3, 3],
            "phase": ["abc", "abc", "abc"],
        }
    )
    customer_p = load_kw.rename(columns={0: "c0", 1: "c1", 2: "c2"})
    return pf, customers, index, customer_p


def test_the_fixture_is_what_the_test_claims(case):
    pf, *_ = case
    assert pf.converged.tolist() == [True] * 7 + [False]


def test_summary_matches_pandapower(case):
    pf, customers, index, customer_p = case
    per_ev = pd.DataFrame(
        {
            "charged_kwh": [10.0, 20.0],
            "discharged_kwh": [0.0, 5.0],
            "driving_kwh": [9.0, 14.0],
            "unmet_kwh": [0.0, 1.5],
            "virtual_km": [0.0, 30.0],
            "degradation_pct": [0.01, 0.03],
        },
        index=["c0-ev1", "c2-ev1"],
    )
    row = summarize(
        pf,
        customers,
        per_ev,
        index,
        limits={},
        customer_p_kw=customer_p,
        customer_q_kvar=customer_p * 0.2,
    )
    conv = pf.converged.to_numpy()
    cust_vm = pf.vm_pu[customers.bus][conv]

    assert set(SUMMARY_COLUMNS) - IDENTITY <= set(row)
    assert set(row) <= set(METRICS)
    assert row["converged_share"] == pytest.approx(7 / 8)
    assert row["transformer_peak_kw"] == pytest.approx(pf.trafo_p_mw[conv].max().max() * 1000)
    assert row["v_min_pu"] == pytest.approx(cust_vm.min().min())
    assert row["v_max_pu"] == pytest.approx(cust_vm.max().max())
    assert row["line_max_loading_pct"] == pytest.approx(pf.line_loading_percent[conv].max().max())
    # losses: energy balance of pandapower (ext grid in - loads out) over 7 steps of 0.25 h
    balance_kwh = (pf.ext_grid_p_mw[conv] - pf.load_p_mw[conv].sum(axis=1)).sum() * 1000 * 0.25
    assert row["losses_kwh"] == pytest.approx(balance_kwh, rel=1e-6)
    # the heavy step pulls the far customer below 0.90 pu and overloads the transformer
    assert row["v_min_pu"] < 0.90
    assert row["violates_voltage"] and not row["swedish_rule_compliant"]
    assert row["transformer_max_loading_pct"] > 100 and row["violates_transformer_loading"]
    assert row["violates_convergence"] and row["violation"]
    # 1 of 7 quarter hours has the far customer below 0.90: 0.25 h, EN 50160 fails (6/7 < 95 %)
    n_out = int((cust_vm < 0.9).any(axis=1).sum())
    assert row["voltage_hours_outside"] == pytest.approx(0.25 * n_out)
    assert not row["en50160_compliant"]
    assert row["voltage_violation_share"] == pytest.approx(
        float((cust_vm < 0.9).to_numpy().sum()) / cust_vm.size
    )
    # EVs
    assert row["ev_charged_kwh"] == 30.0 and row["ev_discharged_kwh"] == 5.0
    assert row["ev_driving_kwh"] == 23.0 and row["ev_unmet_kwh"] == 1.5
    assert row["v2g_virtual_km"] == 30.0
    assert row["ev_degradation_mean_pct"] == pytest.approx(0.02)
    # fuse: c2 draws 45 kW + 9 kvar at the heavy step, |S| / (3 x 230 V x vm) on a 25 A fuse;
    # the impossible (non-converged) step is left out
    vm_c2 = pf.vm_pu.loc[index[6], customers.bus[2]]
    assert row["fuse_max_loading_pct"] == pytest.approx(
        np.hypot(45.0, 9.0) * 1000 / (3 * 230 * vm_c2) / 25 * 100
    )
    assert row["fuse_overloads"] >= 1
    # energy beyond the fuse limit: sum over customer-steps of (1 - 100 / loading) x P x 0.25 h
    phases_v = pf.vm_pu[customers.bus].to_numpy()[conv]
    p_kw = customer_p.to_numpy()[conv]
    s_kva = np.hypot(p_kw, 0.2 * p_kw)
    loading = s_kva * 1000 / (3 * 230 * phases_v) / customers.fuse_a.to_numpy() * 100
    expected = np.where(loading > 100, (1 - 100 / loading) * p_kw, 0).sum() * 0.25
    assert expected > 0
    assert row["fuse_energy_above_kwh"] == pytest.approx(expected)
    # balanced load flow: no unbalance figure
    assert np.isnan(row["unbalance_max_pct"]) and not row["violates_unbalance"]
    # first counted violation is the heavy step (voltage or transformer before convergence)
    assert row["first_violation_time"] == index[6]


def test_limits_decide_violations(case):
    pf, customers, index, _ = case
    loose = {
        "v_min_pu": 0.5,
        "transformer_loading_pct": 1000.0,
        "line_loading_pct": 1000.0,
        "criteria": ["voltage", "transformer_loading", "line_loading"],
    }
    row = summarize(pf, customers, None, index, limits=loose)
    assert not row["violation"]
    assert row["violates_convergence"]  # reported, but not counted
    assert row["ev_charged_kwh"] == 0.0 and np.isnan(row["fuse_max_loading_pct"])
    with pytest.raises(InputError, match="fuse"):
        summarize(pf, customers, None, index, limits={"criteria": ["fuse"]})
    with pytest.raises(InputError, match="v_max_pu"):
        summarize(pf, customers, None, index, limits={"v_max_pu": "high"})


def test_first_violation_names_element(case):
    pf, customers, index, customer_p = case
    fv = first_violation(pf, customers, customer_p_kw=customer_p).set_index("criterion")
    # the far customer c2 is the lowest voltage at the heavy step
    assert fv.loc["voltage", "time"] == index[6]
    assert fv.loc["voltage", "element"] == "customer c2"
    assert fv.loc["transformer_loading", "element"] == "trafo 0"
    assert fv.loc["convergence", "time"] == index[7]
    first_line = pf.line_loading_percent.gt(100).any(axis=1)
    if first_line.any():
        t = first_line.idxmax()
        worst = pf.line_loading_percent.loc[t].idxmax()
        assert fv.loc["line_loading", "element"] == f"line {worst}"


def test_tables(case):
    pf, customers, index, customer_p = case
    ct = customer_table(
        pf, customers, customer_p_kw=customer_p, evs=pd.DataFrame({"customer_id": ["c2", "c2"]})
    )
    assert list(ct.columns[:7]) == [
        "customer_id",
        "bus",
        "v_min_pu",
        "v_max_pu",
        "v_p05_pu",
        "n_evs",
        "fuse_max_loading_pct",
    ]
    assert ct["n_evs"].tolist() == [0, 0, 2]
    conv = pf.converged.to_numpy()
    assert ct["v_min_pu"].tolist() == pytest.approx(pf.vm_pu[customers.bus][conv].min().tolist())
    et = element_table(pf)
    assert set(et["kind"]) == {"bus", "line", "trafo"}
    assert len(et) == len(pf.vm_pu.columns) + 3 + 1
    line1 = et[et.element == "line 1"].iloc[0]
    assert line1["max_loading_pct"] == pytest.approx(pf.line_loading_percent[1][conv].max())
    ts = timeseries_table(pf, customers)
    assert ts["converged"].tolist() == pf.converged.tolist()
    assert np.isnan(ts["v_min_pu"].iloc[-1])
    assert ts["transformer_p_kw"].iloc[0] == pytest.approx(pf.trafo_p_mw.iloc[0, 0] * 1000)


def test_shared_statistics_give_the_same_tables(case):
    """customer_statistics computed once gives what each function computes on its own."""
    from gridv2x.metrics import customer_statistics

    pf, customers, index, customer_p = case
    limits = {"criteria": ["voltage", "fuse"], "fuse_loading_pct": 50.0}
    stats = customer_statistics(pf, customers, limits=limits, customer_p_kw=customer_p)
    alone = summarize(pf, customers, None, index, limits=limits, customer_p_kw=customer_p)
    shared = summarize(pf, customers, None, index, statistics=stats)
    assert alone.keys() == shared.keys()
    for key, value in alone.items():
        assert shared[key] == value or (pd.isna(value) and pd.isna(shared[key])), key
    assert alone["fuse_overloads"] > 0  # the fuse part is exercised
    pd.testing.assert_frame_equal(
        customer_table(pf, customers, limits=limits, customer_p_kw=customer_p),
        customer_table(pf, customers, statistics=stats),
    )
    pd.testing.assert_frame_equal(
        first_violation(pf, customers, limits=limits, customer_p_kw=customer_p),
        first_violation(pf, customers, statistics=stats),
    )
    pd.testing.assert_frame_equal(
        timeseries_table(pf, customers), timeseries_table(pf, customers, statistics=stats)
    )


def test_resolve_limits_defaults():
    lim = resolve_limits(None)
    assert lim["v_min_pu"] == 0.90 and lim["v_max_pu"] == 1.10
    assert lim["en50160_share"] == 0.95 and lim["unbalance_pct"] == 2.0
    assert lim["planning_v_min_pu"] == 0.92 and lim["planning_v_max_pu"] == 1.06
    assert "voltage" in lim["criteria"] and "fuse" not in lim["criteria"]
    with pytest.raises(InputError) as err:
        resolve_limits({"criteria": ["voltage", "sunspots"], "bogus": 1, "v_min_pu": 1.2})
    text = str(err.value)
    assert "sunspots" in text and "bogus" in text and "v_min_pu" in text
