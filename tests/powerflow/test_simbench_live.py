"""Live comparison: the PGM engine against pandapower's Newton-Raphson, both run here."""

from __future__ import annotations

import numpy as np

from gridv2x.powerflow import run_timeseries
from tests.powerflow.cases import load_case

TOL_PU = 1e-5


def test_rural1_pgm_matches_pandapower_with_tap_and_slack():
    """SimBench 1-LV-rural1 with its profiles, slack 1.03 pu and tap +1: every bus within 1e-5."""
    case = load_case("simbench_rural1")
    steps = slice(100, 148)  # half a day of SimBench's own profiles, with PV
    p = case.inputs["load_p_mw"].iloc[steps]
    q = case.inputs["load_q_mvar"].iloc[steps]
    s = case.inputs["sgen_p_mw"].iloc[steps]
    kw = dict(sgen_p_mw=s, slack_vm_pu=1.03, trafo_tap_pos=1)
    ours = run_timeseries(case.net, p, q, engine="pgm", **kw)
    ref = run_timeseries(case.net, p, q, engine="pandapower", **kw)
    assert ours.converged.all() and ref.converged.all()
    assert np.abs(ours.vm_pu.to_numpy() - ref.vm_pu.to_numpy()).max() < TOL_PU
    # the settings acted: tap +1 on the HV side lowers the LV voltages by ~2.5 %
    untapped = run_timeseries(case.net, p, q, sgen_p_mw=s, slack_vm_pu=1.03)
    lv = case.net.bus.index[case.net.bus.vn_kv < 1]
    assert 0.015 < (untapped.vm_pu[lv] - ours.vm_pu[lv]).mean().mean() < 0.035
    assert np.allclose(ours.vm_pu[case.net.ext_grid.bus.iloc[0]], 1.03, rtol=0, atol=1e-9)
    for name in ("line_loading_percent", "trafo_loading_percent"):
        assert np.abs(getattr(ours, name).to_numpy() - getattr(ref, name).to_numpy()).max() < 1e-4
    assert np.abs(ours.trafo_p_mw.to_numpy() - ref.trafo_p_mw.to_numpy()).max() < 1e-8
    assert np.abs(ours.losses_mw.to_numpy() - ref.losses_mw.to_numpy()).max() < 1e-8
    # the net itself is untouched
    assert case.net.ext_grid.vm_pu.iloc[0] != 1.03
