"""Live comparison: our PGM engine against pandapower's Newton-Raphson on a SimBench LV grid."""

from __future__ import annotations

import numpy as np
import pytest

simbench = pytest.importorskip("simbench")

from gridv2x.powerflow import run_timeseries  # noqa: E402

TOL_PU = 1e-5


@pytest.fixture(scope="module")
def rural1():
    net = simbench.get_simbench_net("1-LV-rural1--0-sw")
    prof = simbench.get_absolute_values(net, profiles_instead_of_study_cases=True)
    return net, prof


def test_rural1_pgm_matches_pandapower_with_tap_and_slack(rural1):
    """48 steps of SimBench's own profiles, slack 1.03 pu and tap +1: every bus within 1e-5 pu."""
    net, prof = rural1
    steps = slice(16000, 16048)  # a summer day with PV
    p = prof[("load", "p_mw")].iloc[steps]
    q = prof[("load", "q_mvar")].iloc[steps]
    s = prof[("sgen", "p_mw")].iloc[steps]
    kw = dict(sgen_p_mw=s, slack_vm_pu=1.03, trafo_tap_pos=1)
    ours = run_timeseries(net, p, q, engine="pgm", **kw)
    ref = run_timeseries(net, p, q, engine="pandapower", **kw)
    assert ours.converged.all() and ref.converged.all()
    assert np.abs(ours.vm_pu.to_numpy() - ref.vm_pu.to_numpy()).max() < TOL_PU
    # the tap moved the voltages: tap +1 on the HV side lowers the LV voltage by ~2.5 %
    untapped = run_timeseries(net, p, q, sgen_p_mw=s, slack_vm_pu=1.03)
    assert (untapped.vm_pu - ours.vm_pu).mean().mean() > 0.015
    for name in ("line_loading_percent", "trafo_loading_percent"):
        assert np.abs(getattr(ours, name).to_numpy() - getattr(ref, name).to_numpy()).max() < 1e-4
    assert np.abs(ours.trafo_p_mw.to_numpy() - ref.trafo_p_mw.to_numpy()).max() < 1e-8
    assert np.abs(ours.losses_mw.to_numpy() - ref.losses_mw.to_numpy()).max() < 1e-8
