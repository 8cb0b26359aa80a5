"""Engine behaviour: element coverage against pandapower, chunking, inputs, the scenario section."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from gridv2x.errors import InputError
from gridv2x.powerflow import TimeseriesEngine, run_timeseries
from gridv2x.powerflow.options import SECTION

pytestmark = pytest.mark.filterwarnings("ignore:zero-sequence data assumed")


def feature_net():
    """A small LV feeder with every element kind the engine converts.

    10 kV grid - Dyn5 trafo (with magnetising losses, tap on HV side) - LV busbar - two cable
    branches (one of them doubled), a bus-bus switch, an open line switch isolating one bus, an
    out-of-service line, a shunt, constant-impedance/current shares, PV (sgen), a static load
    that is not in the profiles. Each voltage-dependent load sits alone on its bus: pandapower
    aggregates ZIP shares per bus, and where a ZIP load shares its bus with other injections its
    solution is not consistent with its own reported load powers (see README of
    tests/data/powerflow), so it cannot serve as the reference there.
    """
    net = pp.create_empty_network()
    mv = pp.create_bus(net, 10.0)
    lv = pp.create_bus(net, 0.4)
    b = [pp.create_bus(net, 0.4) for _ in range(7)]
    pp.create_ext_grid(net, mv, vm_pu=1.02, va_degree=0.0)
    pp.create_transformer_from_parameters(
        net,
        mv,
        lv,
        sn_mva=0.25,
        vn_hv_kv=10.0,
        vn_lv_kv=0.4,
        vkr_percent=1.2,
        vk_percent=4.0,
        pfe_kw=0.6,
        i0_percent=0.3,
        shift_degree=150,
        tap_side="hv",
        tap_neutral=0,
        tap_min=-2,
        tap_max=2,
        tap_step_percent=2.5,
        tap_pos=1,
        tap_changer_type="Ratio",
    )
    kw = dict(r_ohm_per_km=0.206, x_ohm_per_km=0.08, c_nf_per_km=250.0, max_i_ka=0.27)
    pp.create_line_from_parameters(net, lv, b[0], length_km=0.15, parallel=2, **kw)
    pp.create_line_from_parameters(net, b[0], b[1], length_km=0.2, **kw)
    pp.create_line_from_parameters(net, lv, b[2], length_km=0.25, **kw)
    opened = pp.create_line_from_parameters(net, b[2], b[3], length_km=0.1, **kw)
    pp.create_switch(net, b[3], opened, et="l", closed=False)
    pp.create_switch(net, b[0], b[4], et="b", closed=True)
    dead = pp.create_line_from_parameters(net, b[1], b[5], length_km=0.1, **kw)
    pp.create_line_from_parameters(net, b[4], b[6], length_km=0.12, **kw)
    net.line.loc[dead, "in_service"] = False
    pp.create_shunt(net, b[2], q_mvar=-0.01, p_mw=0.0005)
    loads = [
        pp.create_load(net, b[0], 0.01, 0.002),
        pp.create_load(net, b[1], 0.01, 0.002, const_z_p_percent=30, const_z_q_percent=30),
        pp.create_load(net, b[6], 0.01, 0.002, const_i_p_percent=50, const_i_q_percent=20),
        pp.create_load(net, b[2], 0.01, 0.002, scaling=0.8),
        pp.create_load(net, b[3], 0.01, 0.002),  # on the isolated bus
    ]
    pp.create_load(net, b[2], 0.005, 0.001)  # static, not in the profiles
    pp.create_sgen(net, b[2], 0.015)
    return net, loads


def profiles(loads, steps=6, seed=1):
    rng = np.random.default_rng(seed)
    p = pd.DataFrame(rng.uniform(0.0, 0.05, (steps, len(loads))), columns=loads)
    q = p * 0.25
    return p, q


def test_feature_net_matches_pandapower():
    net, loads = feature_net()
    p, q = profiles(loads)
    s = pd.DataFrame({0: np.linspace(0.0, 0.03, len(p))})
    ours = run_timeseries(net, p, q, sgen_p_mw=s)
    ref = run_timeseries(net, p, q, sgen_p_mw=s, engine="pandapower")
    assert ours.converged.all() and ref.converged.all()
    # the bus behind the open switch and the one behind the dead line have no supply: NaN
    for res in (ours, ref):
        assert res.vm_pu[[5, 7]].isna().all().all()
    tolerance = {
        "vm_pu": 1e-7,  # [pu]
        "line_loading_percent": 1e-4,  # [%]
        "trafo_loading_percent": 1e-4,  # [%]
        "trafo_p_mw": 1e-7,  # [MW]
        "line_i_ka": 1e-7,  # [kA]
    }
    for name, tol in tolerance.items():
        a, b = getattr(ours, name).to_numpy(), getattr(ref, name).to_numpy()
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        assert np.nanmax(np.abs(a - b)) < tol, name
    assert np.abs(ours.losses_mw - ref.losses_mw).max() < 1e-7
    # the tap (+1 on the HV side) acted in both: the LV busbar is below the slack voltage ratio
    assert ours.vm_pu[1].max() < 1.02


def test_asymmetric_small_net_matches_runpp_3ph():
    net, loads = feature_net()
    net.shunt.drop(net.shunt.index, inplace=True)  # runpp_3ph has no shunt model
    net.load[["const_z_p_percent", "const_i_p_percent"]] = 0.0
    net.load[["const_z_q_percent", "const_i_q_percent"]] = 0.0
    net.trafo[["pfe_kw", "i0_percent"]] = 0.0  # runpp_3ph only has the T model
    p, q = profiles(loads, steps=3)
    rng = np.random.default_rng(3)
    cols = pd.MultiIndex.from_product([loads, ["a", "b", "c"]])
    shares = rng.dirichlet([1, 1, 1], size=len(loads)).reshape(-1)
    p3 = pd.DataFrame(np.repeat(p.to_numpy(), 3, axis=1) * shares, columns=cols)
    q3 = pd.DataFrame(np.repeat(q.to_numpy(), 3, axis=1) * shares, columns=cols)
    ours = run_timeseries(net, p3, q3, asymmetric=True)
    ref = run_timeseries(net, p3, q3, asymmetric=True, engine="pandapower")
    assert ours.converged.all() and ref.converged.all()
    for name in ("vm_a_pu", "vm_b_pu", "vm_c_pu", "vm_pu"):
        a, b = getattr(ours, name).to_numpy(), getattr(ref, name).to_numpy()
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        assert np.nanmax(np.abs(a - b)) < 1e-5, name
    assert np.nanmax(np.abs(ours.vuf_pct.to_numpy() - ref.vuf_pct.to_numpy())) < 1e-3
    assert np.nanmax(ours.vuf_pct.to_numpy()) > 0.1  # it is unbalanced
    assert np.abs(ours.trafo_loading_percent - ref.trafo_loading_percent).max().max() < 1e-2


def test_chunks_threads_and_progress_do_not_change_results():
    net, loads = feature_net()
    p, q = profiles(loads, steps=23)
    seen = []
    one = run_timeseries(net, p, q)
    chunked = run_timeseries(
        net, p, q, chunk_steps=5, threads=0, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(5, 23), (10, 23), (15, 23), (20, 23), (23, 23)]
    for name in ("vm_pu", "line_loading_percent", "trafo_p_mw"):
        np.testing.assert_allclose(
            getattr(one, name).to_numpy(), getattr(chunked, name).to_numpy(), rtol=0, atol=1e-12
        )
    assert one.vm_pu.index.equals(p.index)


def test_engine_is_reusable_and_does_not_touch_the_net():
    net, loads = feature_net()
    before = net.load.copy()
    engine = TimeseriesEngine(net)
    p, q = profiles(loads, steps=4)
    first = engine.run(p, q)
    again = engine.run(p * 2, q * 2)
    assert (again.trafo_p_mw.to_numpy() > first.trafo_p_mw.to_numpy()).all()
    assert engine.run(p, q).vm_pu.equals(first.vm_pu)
    pd.testing.assert_frame_equal(net.load, before)


def test_time_index_and_static_loads_kept():
    net, loads = feature_net()
    index = pd.date_range("2030-01-01", periods=3, freq="15min", tz="Europe/Stockholm")
    p = pd.DataFrame(0.0, index=index, columns=loads[:1])
    result = run_timeseries(net, p, p)
    assert result.vm_pu.index.equals(index) and result.converged.index.equals(index)
    # other loads keep the net p_mw: 0.033 MW of loads - 0.015 MW PV + losses
    assert result.trafo_p_mw[0].between(0.018, 0.021).all()


def test_divergent_steps_are_flagged_not_raised_in_both_engines():
    net, loads = feature_net()
    p, q = profiles(loads, steps=4)
    p.iloc[2] = 50.0  # 250 MW on a 250 kVA transformer
    for engine in ("pgm", "pandapower"):
        res = run_timeseries(net, p, q, engine=engine)
        assert res.converged.tolist() == [True, True, False, True], engine
        assert res.vm_pu.iloc[2].isna().all() and np.isnan(res.losses_mw.iloc[2])


@pytest.mark.parametrize(
    "change, words",
    [
        (
            lambda a: a.update(engine="matpower"),
            "engine must be one of auto, radial, pgm, pandapower",
        ),
        (lambda a: a.update(load_p_mw=a["load_p_mw"].rename(columns={0: 99})), "[99]"),
        (lambda a: a["load_p_mw"].iloc.__setitem__((0, 0), np.nan), "NaN"),
        (lambda a: a.update(load_p_mw=a["load_p_mw"].to_numpy()), "pandas DataFrame"),
        (lambda a: a.update(asymmetric=True), "MultiIndex columns"),
        (lambda a: a.update(chunk_steps=0), "chunk_steps"),
        (lambda a: a.update(slack_vm_pu=3.0), "slack_vm_pu"),
        (lambda a: a.update(trafo_tap_pos=7), "tap range"),
        (lambda a: a.update(load_q_mvar=a["load_q_mvar"].iloc[:2]), "same time index"),
    ],
)
def test_bad_input_raises_input_error(change, words):
    net, loads = feature_net()
    p, q = profiles(loads, steps=3)
    args = dict(load_p_mw=p, load_q_mvar=q)
    change(args)
    with pytest.raises(InputError) as err:
        run_timeseries(net, **args)
    assert words in str(err.value)


def test_bad_phase_and_unsupported_elements():
    net, loads = feature_net()
    p, q = profiles(loads, steps=2)
    bad = p.copy()
    bad.columns = pd.MultiIndex.from_product([[loads[0]], ["a", "b", "x", "c", "n"]])[: len(loads)]
    with pytest.raises(InputError, match="phases must be 'a', 'b' or 'c'"):
        run_timeseries(net, bad, bad, asymmetric=True)
    mv = net.ext_grid.bus.iloc[0]
    pp.create_gen(net, mv, p_mw=0.1)
    with pytest.raises(InputError, match="'gen'"):
        run_timeseries(net, p, q)


def test_section_keys_are_run_timeseries_arguments():
    params = inspect.signature(run_timeseries).parameters
    assert set(SECTION.fields) <= set(params)
    defaults = SECTION.defaults()
    assert defaults["engine"] == "auto" and params["engine"].default == "auto"
    assert defaults["asymmetric"] is True and params["asymmetric"].default is False
    assert defaults["slack_vm_pu"] == 1.03 and defaults["trafo_tap_pos"] is None
    assert defaults["chunk_steps"] == params["chunk_steps"].default
    errors, _ = SECTION.validate("powerflow", {"engine": "x", "chunk_steps": 0, "typo": 1})
    paths = sorted(e.path for e in errors)
    assert paths == ["powerflow.chunk_steps", "powerflow.engine", "powerflow.typo"]


def test_section_defaults_run():
    net, loads = feature_net()
    p, q = profiles(loads, steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for a balanced run
        result = run_timeseries(net, p, q, **(SECTION.defaults() | {"asymmetric": False}))
    assert np.allclose(result.vm_pu[0], 1.03)


def test_threads_translate_to_power_grid_models_convention():
    """Ours: -1 all, 0 one thread; power-grid-model's threading: 0 all, < 0 sequential."""
    from gridv2x.powerflow.engine import pgm_threading

    assert pgm_threading(-1) == 0
    assert pgm_threading(0) == -1
    assert pgm_threading(1) == 1
    assert pgm_threading(4) == 4
    with pytest.raises(InputError, match="threads"):
        pgm_threading(-2)


def test_study_tolerance_stays_close_to_a_tight_solution():
    """The scenario's default tolerance (1e-5 pu) against 1e-8 and against pandapower."""
    net, loads = feature_net()
    p, q = profiles(loads, steps=48)
    default = SECTION.fields["error_tolerance_pu"].default
    loose = run_timeseries(net, p, q, error_tolerance_pu=default)
    tight = run_timeseries(net, p, q, error_tolerance_pu=1e-8)
    reference = run_timeseries(net, p, q, engine="pandapower")
    assert np.nanmax(np.abs(loose.vm_pu.to_numpy() - tight.vm_pu.to_numpy())) < 2e-6
    assert np.nanmax(np.abs(loose.vm_pu.to_numpy() - reference.vm_pu.to_numpy())) < 1e-5
    with pytest.raises(InputError, match="error_tolerance_pu"):
        run_timeseries(net, p, q, error_tolerance_pu=0)
