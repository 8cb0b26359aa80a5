"""The engine on a built-in Swedish feeder (weak 100 MVA grid, Dyn trafo, PEN cables)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from gridv2x.powerflow import run_timeseries

network = pytest.importorskip("gridv2x.network")


@pytest.fixture(scope="module")
def villa():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = network.read_builtin("se-suburban-villa").net
    rng = np.random.default_rng(11)
    steps = 3
    p = pd.DataFrame(rng.uniform(0.0, 0.012, (steps, len(net.load))), columns=net.load.index)
    # per phase: a third of the customers single-phase (EV charger on one phase), rest uneven
    shares = rng.dirichlet([3, 3, 3], size=len(net.load))
    single = rng.random(len(net.load)) < 1 / 3
    shares[single] = np.eye(3)[rng.integers(0, 3, single.sum())]
    cols = pd.MultiIndex.from_product([net.load.index, ["a", "b", "c"]])
    p3 = pd.DataFrame(np.repeat(p.to_numpy(), 3, axis=1) * shares.reshape(-1), columns=cols)
    return net, p, p3


def test_builtin_feeder_balanced_matches_pandapower(villa):
    net, p, _ = villa
    ours = run_timeseries(net, p, p * 0.2)
    ref = run_timeseries(net, p, p * 0.2, engine="pandapower")
    assert ours.converged.all() and ref.converged.all()
    assert np.nanmax(np.abs(ours.vm_pu.to_numpy() - ref.vm_pu.to_numpy())) < 1e-5


def test_builtin_feeder_unbalanced_matches_runpp_3ph(villa):
    net, _, p3 = villa
    ours = run_timeseries(net, p3, p3 * 0.2, asymmetric=True)
    ref = run_timeseries(net, p3, p3 * 0.2, asymmetric=True, engine="pandapower")
    assert ours.converged.all() and ref.converged.all()
    for name in ("vm_a_pu", "vm_b_pu", "vm_c_pu"):
        error = np.nanmax(np.abs(getattr(ours, name).to_numpy() - getattr(ref, name).to_numpy()))
        assert error < 1e-5, (name, error)
    assert np.nanmax(np.abs(ours.vuf_pct.to_numpy() - ref.vuf_pct.to_numpy())) < 1e-3
    assert ours.vuf_pct.max().max() > 0.3  # single-phase customers unbalance the feeder
    assert np.nanmax(np.abs(ours.trafo_loading_percent - ref.trafo_loading_percent)) < 1e-2
