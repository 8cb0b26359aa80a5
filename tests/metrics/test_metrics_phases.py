"""Unbalanced load-flow results: per-phase customer voltage, unbalance, EN 50160 rule choice.

Hand-made load-flow tables (values chosen so the answer is known by hand).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from gridv2x.metrics import (
    customer_table,
    customer_voltage,
    first_violation,
    summarize,
    timeseries_table,
)

TZ = "Europe/Stockholm"


@dataclass
class PF:
    vm_pu: pd.DataFrame
    line_loading_percent: pd.DataFrame
    trafo_loading_percent: pd.DataFrame
    trafo_p_mw: pd.DataFrame
    losses_mw: pd.Series
    converged: pd.Series
    vm_a_pu: pd.DataFrame | None = None
    vm_b_pu: pd.DataFrame | None = None
    vm_c_pu: pd.DataFrame | None = None
    vuf_pct: pd.DataFrame | None = None


@pytest.fixture
def asym():
    index = pd.date_range(pd.Timestamp("2030-01-07", tz=TZ), periods=4, freq="15min")
    index.freq = "15min"
    buses = [0, 1]
    a = pd.DataFrame({0: [1.0] * 4, 1: [0.95, 0.88, 0.95, 0.95]}, index=index)
    b = pd.DataFrame({0: [1.0] * 4, 1: [1.00, 1.00, 1.12, 1.00]}, index=index)
    c = pd.DataFrame({0: [1.0] * 4, 1: [0.99, 0.99, 0.99, 0.99]}, index=index)
    vm = np.minimum(np.minimum(a, b), c)
    vuf = pd.DataFrame({0: [0.0] * 4, 1: [1.0, 2.5, 3.0, 1.0]}, index=index)
    pf = PF(
        vm_pu=vm,
        line_loading_percent=pd.DataFrame({0: [10.0, 20.0, 30.0, 40.0]}, index=index),
        trafo_loading_percent=pd.DataFrame({0: [10.0, 20.0, 30.0, 40.0]}, index=index),
        trafo_p_mw=pd.DataFrame({0: [0.01, 0.02, 0.03, 0.04]}, index=index),
        losses_mw=pd.Series(0.001, index=index),
        converged=pd.Series(True, index=index),
        vm_a_pu=a,
        vm_b_pu=b,
        vm_c_pu=c,
        vuf_pct=vuf,
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["on_a", "on_c", "three"],
            "bus": [1, 1, 1],
            "phase": ["a", "c", "abc"],
            "phases": [1, 1, 3],
            "fuse_a": [16.0, 16.0, 16.0],
        }
    )
    return pf, customers, index, buses


def test_customer_sees_its_own_phase(asym):
    pf, customers, index, _ = asym
    vm = customer_voltage(pf, customers)
    assert vm["on_a"].tolist() == [0.95, 0.88, 0.95, 0.95]
    assert vm["on_c"].tolist() == [0.99] * 4
    # three-phase: the phase furthest from 1.0: step 1 -> 0.88 (a), step 2 -> 1.12 (b)
    assert vm["three"].tolist() == [0.95, 0.88, 1.12, 0.95]
    low = customer_voltage(pf, customers, which="low")["three"].tolist()
    high = customer_voltage(pf, customers, which="high")["three"].tolist()
    assert low == [0.95, 0.88, 0.95, 0.95] and high == [1.0, 1.0, 1.12, 1.0]


def test_summary_of_unbalanced_case(asym):
    pf, customers, index, _ = asym
    row = summarize(pf, customers, None, index, limits={})
    assert row["v_min_pu"] == 0.88 and row["v_max_pu"] == 1.12
    # pairs outside [0.9, 1.1]: on_a step 1, three steps 1 and 2 -> 3 of 12
    assert row["voltage_violation_share"] == pytest.approx(3 / 12)
    assert row["voltage_hours_outside"] == pytest.approx(0.5)
    assert row["unbalance_max_pct"] == 3.0
    assert row["unbalance_hours_above"] == pytest.approx(0.5)  # 2.5 and 3.0 > 2.0
    assert row["violates_unbalance"] and row["violates_voltage"]
    # EN 50160 on 4 quarter hours: three has 2/4 inside -> not compliant
    assert not row["en50160_compliant"]
    fv = first_violation(pf, customers).set_index("criterion")
    assert fv.loc["voltage", "time"] == index[1]
    # at step 1 on_a and three are both at 0.88: the first of the worst is named
    assert fv.loc["voltage", "element"] in ("customer on_a", "customer three")
    assert fv.loc["unbalance", "time"] == index[1]
    assert fv.loc["unbalance", "element"] == "bus 1"
    assert pd.isna(fv.loc["transformer_loading", "time"])
    ct = customer_table(pf, customers).set_index("customer_id")
    assert ct.loc["three", "v_min_pu"] == 0.88 and ct.loc["three", "v_max_pu"] == 1.12
    assert ct.loc["on_c", "swedish_rule_compliant"]
    ts = timeseries_table(pf, customers)
    assert ts["v_max_pu"].tolist() == [1.0, 1.0, 1.12, 1.0]
    assert ts["unbalance_max_pct"].tolist() == [1.0, 2.5, 3.0, 1.0]


def test_voltage_rule_choice(asym):
    pf, customers, index, _ = asym
    # band [0.90, 1.15] and EN 50160 share 50 %: every customer has >= 3 of 4 inside and none
    # below 0.85 -> EN 50160 passes, the Swedish rule fails (0.88 at step 1)
    lim = {"en50160_share": 0.5, "v_max_pu": 1.15, "criteria": ["voltage"]}
    swedish = summarize(pf, customers, None, index, limits={**lim, "voltage_rule": "swedish"})
    en = summarize(pf, customers, None, index, limits={**lim, "voltage_rule": "en50160"})
    assert swedish["en50160_compliant"] and not swedish["swedish_rule_compliant"]
    assert swedish["violation"] and swedish["violates_voltage"]
    assert not en["violation"] and not en["violates_voltage"]
    # unbalance violated but not counted
    assert en["violates_unbalance"]
    # with the default band the 1.12 pu mean breaks EN 50160's "all within +10 %" condition
    strict = summarize(pf, customers, None, index, limits={"en50160_share": 0.5})
    assert not strict["en50160_compliant"]
