"""The radial engine against pandapower (``runpp`` balanced, ``runpp_3ph`` per phase).

Every bus and phase of every converged step within 1e-6 pu of pandapower on every validation
case: the stored cases of tests/data/powerflow (SimBench LV grids, Kerber, IEEE European LV per
phase, an overloaded grid), the small feature feeder and a built-in Swedish feeder with
single-phase customers, both computed here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from gridv2x.powerflow import (
    NotRadialError,
    RadialEngine,
    TimeseriesEngine,
    build_engine,
    is_radial,
    prepare_net,
    run_timeseries,
)
from tests.powerflow.cases import CASE_NAMES, load_case
from tests.powerflow.test_engine import feature_net, profiles

pytestmark = pytest.mark.filterwarnings("ignore:zero-sequence data assumed")

VOLTAGE_TOLERANCE_PU = 1e-6
"""Acceptance: every bus and phase within this of pandapower [pu] (issue 14)."""

VOLTAGES = ("vm_pu", "vm_a_pu", "vm_b_pu", "vm_c_pu")


def _compare(ours, ref, tolerance: dict, rows=None) -> dict:
    """Largest difference per table; asserts the NaN pattern and the tolerance."""
    errors = {}
    for table, tol in tolerance.items():
        a, b = getattr(ours, table), getattr(ref, table)
        if b is None:
            continue
        a, b = a.to_numpy(), b.to_numpy()
        if rows is not None:
            a, b = a[rows], b[rows]
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=table)
        errors[table] = float(np.nanmax(np.abs(a - b))) if np.isfinite(b).any() else 0.0
        assert errors[table] <= tol, f"{table}: max error {errors[table]:.3g} > {tol:g}"
    return errors


@pytest.mark.parametrize("name", CASE_NAMES)
def test_radial_matches_stored_pandapower_results(name):
    case = load_case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_timeseries(
            case.net,
            case.inputs["load_p_mw"],
            case.inputs["load_q_mvar"],
            sgen_p_mw=case.inputs["sgen_p_mw"],
            engine="radial",
            error_tolerance_pu=1e-10,
            **case.meta["options"],
        )
    assert result.engine == "radial"
    expected_ok = case.steps["converged"].to_numpy(bool)
    np.testing.assert_array_equal(result.converged.to_numpy(), expected_ok)
    tolerance = dict(case.meta["tolerance"])
    tolerance.pop("losses_mw")
    for table in VOLTAGES:
        if table in tolerance:
            tolerance[table] = VOLTAGE_TOLERANCE_PU
    stored = type("Stored", (), dict(case.expected))
    for table in tolerance:
        if not hasattr(stored, table):
            setattr(stored, table, None)
    _compare(result, stored, tolerance, rows=expected_ok)
    assert result.vm_pu.iloc[~expected_ok].isna().all().all()
    losses = result.losses_mw.to_numpy()[expected_ok]
    assert np.abs(losses - case.steps["losses_mw"].to_numpy()[expected_ok]).max() <= 1e-7


def test_feature_net_balanced_matches_runpp():
    """Taps, magnetising branch, parallel cable, bus-bus and open switches, shunt, ZIP, PV."""
    net, loads = feature_net()
    p, q = profiles(loads)
    s = pd.DataFrame({0: np.linspace(0.0, 0.03, len(p))})
    ours = run_timeseries(net, p, q, sgen_p_mw=s, engine="radial", error_tolerance_pu=1e-10)
    ref = run_timeseries(net, p, q, sgen_p_mw=s, engine="pandapower")
    assert ours.converged.all() and ref.converged.all()
    errors = _compare(
        ours,
        ref,
        {
            "vm_pu": 1e-9,
            "line_loading_percent": 1e-6,
            "trafo_loading_percent": 1e-6,
            "trafo_p_mw": 1e-9,
            "line_i_ka": 1e-9,
        },
    )
    assert errors["vm_pu"] < 1e-9
    assert np.abs(ours.losses_mw - ref.losses_mw).max() < 1e-9
    assert ours.vm_pu[[5, 7]].isna().all().all()  # behind the open switch / the dead line


def test_feature_net_per_phase_matches_runpp_3ph_with_neutral_current():
    net, loads = feature_net()
    net.shunt.drop(net.shunt.index, inplace=True)
    net.load[["const_z_p_percent", "const_i_p_percent"]] = 0.0
    net.load[["const_z_q_percent", "const_i_q_percent"]] = 0.0
    p, q = profiles(loads, steps=3)
    rng = np.random.default_rng(3)
    cols = pd.MultiIndex.from_product([loads, ["a", "b", "c"]])
    shares = rng.dirichlet([1, 1, 1], size=len(loads)).reshape(-1)
    p3 = pd.DataFrame(np.repeat(p.to_numpy(), 3, axis=1) * shares, columns=cols)
    q3 = pd.DataFrame(np.repeat(q.to_numpy(), 3, axis=1) * shares, columns=cols)
    ours = run_timeseries(net, p3, q3, asymmetric=True, engine="radial", error_tolerance_pu=1e-10)
    ref = run_timeseries(net, p3, q3, asymmetric=True, engine="pandapower")
    assert ours.converged.all() and ref.converged.all()
    tolerance = {name: VOLTAGE_TOLERANCE_PU for name in VOLTAGES}
    tolerance |= {
        "vuf_pct": 1e-4,
        "line_i_ka": 1e-6,
        "line_i_n_ka": 1e-6,
        "trafo_loading_percent": 1e-3,
        "trafo_p_mw": 1e-6,
    }
    _compare(ours, ref, tolerance)
    assert np.nanmax(ours.line_i_n_ka.to_numpy()) > 1e-3  # unbalanced: current in the neutral
    assert np.nanmax(ours.vuf_pct.to_numpy()) > 0.1


@pytest.fixture(scope="module")
def villa():
    from gridv2x.network import read_builtin

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = read_builtin("se-suburban-villa").net
    rng = np.random.default_rng(11)
    steps = 3
    p = pd.DataFrame(rng.uniform(0.0, 0.012, (steps, len(net.load))), columns=net.load.index)
    shares = rng.dirichlet([3, 3, 3], size=len(net.load))
    single = rng.random(len(net.load)) < 1 / 3
    shares[single] = np.eye(3)[rng.integers(0, 3, single.sum())]
    cols = pd.MultiIndex.from_product([net.load.index, ["a", "b", "c"]])
    p3 = pd.DataFrame(np.repeat(p.to_numpy(), 3, axis=1) * shares.reshape(-1), columns=cols)
    return net, p, p3


def test_builtin_feeder_balanced_and_per_phase_match_pandapower(villa):
    net, p, p3 = villa
    ours = run_timeseries(net, p, p * 0.2, engine="radial", error_tolerance_pu=1e-10)
    ref = run_timeseries(net, p, p * 0.2, engine="pandapower")
    _compare(ours, ref, {"vm_pu": VOLTAGE_TOLERANCE_PU, "trafo_loading_percent": 1e-4})
    ours = run_timeseries(
        net, p3, p3 * 0.2, asymmetric=True, engine="radial", error_tolerance_pu=1e-10
    )
    ref = run_timeseries(net, p3, p3 * 0.2, asymmetric=True, engine="pandapower")
    tolerance = {name: VOLTAGE_TOLERANCE_PU for name in VOLTAGES}
    tolerance |= {"vuf_pct": 1e-4, "line_i_n_ka": 1e-6, "trafo_loading_percent": 1e-3}
    _compare(ours, ref, tolerance)


def test_per_phase_shows_a_violation_the_balanced_run_hides(villa):
    """Same energy per customer; single-phase customers on phase a: < 0.9 pu only per phase."""
    net, p, _ = villa
    p = p * 0 + 0.0095  # 9.5 kW per customer
    cols = pd.MultiIndex.from_product([net.load.index, ["a", "b", "c"]])
    shares = np.tile([0.6, 0.2, 0.2], len(net.load))  # household appliances mostly on L1
    p3 = pd.DataFrame(np.repeat(p.to_numpy(), 3, axis=1) * shares, columns=cols)
    balanced = run_timeseries(net, p, p * 0.1, engine="radial")
    per_phase = run_timeseries(net, p3, p3 * 0.1, asymmetric=True, engine="radial")
    assert balanced.vm_pu.min().min() > 0.9
    assert per_phase.vm_pu.min().min() < 0.9
    assert per_phase.vm_a_pu.min().min() < per_phase.vm_b_pu.min().min()


def test_warm_start_and_chunks_do_not_change_results():
    net, loads = feature_net()
    p, q = profiles(loads, steps=23)
    one = run_timeseries(net, p, q, engine="radial", error_tolerance_pu=1e-12)
    seen = []
    chunked = run_timeseries(
        net,
        p,
        q,
        engine="radial",
        error_tolerance_pu=1e-12,
        chunk_steps=5,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(5, 23), (10, 23), (15, 23), (20, 23), (23, 23)]
    reversed_ = run_timeseries(
        net, p.iloc[::-1], q.iloc[::-1], engine="radial", error_tolerance_pu=1e-12
    )
    for name in ("vm_pu", "line_i_ka", "trafo_p_mw"):
        a = getattr(one, name).to_numpy()
        np.testing.assert_allclose(a, getattr(chunked, name).to_numpy(), rtol=0, atol=1e-11)
        np.testing.assert_allclose(a, getattr(reversed_, name).to_numpy()[::-1], rtol=0, atol=1e-11)


def test_divergent_step_is_flagged_and_the_next_one_recovers():
    net, loads = feature_net()
    p, q = profiles(loads, steps=4)
    p.iloc[2] = 50.0  # 250 MW on a 250 kVA transformer: no solution
    for asymmetric in (False, True):
        if asymmetric:
            cols = pd.MultiIndex.from_product([loads, ["a", "b", "c"]])
            pp_, qq = (
                pd.DataFrame(np.repeat(x.to_numpy() / 3, 3, axis=1), columns=cols) for x in (p, q)
            )
        else:
            pp_, qq = p, q
        res = run_timeseries(net, pp_, qq, engine="radial", asymmetric=asymmetric)
        assert res.converged.tolist() == [True, True, False, True], asymmetric
        assert res.vm_pu.iloc[2].isna().all() and np.isnan(res.losses_mw.iloc[2])
        assert res.vm_pu.iloc[3].notna().any()


def _meshed():
    net = pp.create_empty_network()
    b = [pp.create_bus(net, 0.4) for _ in range(3)]
    pp.create_ext_grid(net, b[0])
    kw = dict(r_ohm_per_km=0.2, x_ohm_per_km=0.08, c_nf_per_km=0.0, max_i_ka=0.2)
    pp.create_line_from_parameters(net, b[0], b[1], 0.1, **kw)
    pp.create_line_from_parameters(net, b[1], b[2], 0.1, **kw)
    pp.create_line_from_parameters(net, b[2], b[0], 0.1, **kw)
    pp.create_load(net, b[2], 0.02, 0.005)
    return net


def test_auto_takes_radial_for_trees_and_pgm_for_meshes():
    net, loads = feature_net()
    assert is_radial(net)
    assert isinstance(build_engine(prepare_net(net), "auto"), RadialEngine)
    meshed = _meshed()
    assert not is_radial(meshed)
    with pytest.raises(NotRadialError, match="meshed"):
        RadialEngine(meshed)
    assert isinstance(build_engine(meshed, "auto"), TimeseriesEngine)
    p = pd.DataFrame({0: [0.01, 0.02]})
    auto = run_timeseries(meshed, p, p * 0.2)
    assert auto.engine == "pgm" and auto.converged.all()
    # the net opened at one line is radial again
    meshed.line.loc[2, "in_service"] = False
    assert is_radial(meshed)
    assert run_timeseries(meshed, p, p * 0.2).engine == "radial"


def test_neutral_current_metrics_in_the_summary(villa):
    from gridv2x.metrics.summary import neutral_metrics

    net, _, p3 = villa
    result = run_timeseries(net, p3, p3 * 0.2, asymmetric=True)
    row = neutral_metrics(result, result.converged)
    assert row["neutral_max_current_a"] == pytest.approx(
        np.nanmax(result.line_i_n_ka.to_numpy()) * 1e3
    )
    rating_a = net.line["max_i_ka"] * net.line["df"] * net.line["parallel"] * 1e3
    expected = (result.line_i_n_ka * 1e3 / rating_a * 100).max().max()
    assert row["neutral_max_loading_pct"] == pytest.approx(expected, rel=1e-6)
    assert 0 < row["neutral_max_loading_pct"] < 100
    balanced = run_timeseries(
        net, p3.T.groupby(level=0).sum().T, p3.T.groupby(level=0).sum().T * 0.2
    )
    assert np.isnan(neutral_metrics(balanced, balanced.converged)["neutral_max_current_a"])


def test_pgm_gives_the_neutral_current_too(villa):
    """power-grid-model: ``3 I0`` from its per-phase powers and voltages, as runpp_3ph's."""
    net, _, p3 = villa
    pgm = run_timeseries(net, p3, p3 * 0.2, asymmetric=True, engine="pgm")
    ref = run_timeseries(net, p3, p3 * 0.2, asymmetric=True, engine="pandapower")
    errors = _compare(pgm, ref, {"line_i_n_ka": 1e-5})  # pgm's voltages agree within ~1e-5 pu
    assert np.nanmax(ref.line_i_n_ka.to_numpy()) > 1e-2 > errors["line_i_n_ka"] * 100
    # a meshed feeder (auto takes pgm) has a neutral current and its metric now
    from gridv2x.metrics.summary import neutral_metrics

    meshed = _meshed()
    load = pd.MultiIndex.from_tuples([(0, "a"), (0, "b"), (0, "c")])
    p = pd.DataFrame([[0.012, 0.002, 0.0], [0.004, 0.0, 0.003]], columns=load)
    result = run_timeseries(meshed, p, p * 0.2, asymmetric=True)
    assert result.engine == "pgm" and result.converged.all()
    assert neutral_metrics(result, result.converged)["neutral_max_current_a"] > 1.0


@pytest.mark.parametrize("asymmetric", [False, True])
def test_line_parameter_update_is_the_engine_of_the_changed_net(villa, asymmetric):
    """``with_branch_parameters`` (a parallel cable, a larger cable) gives, bit for bit, the
    engine and the results of a new engine of the changed net, which matches pandapower."""
    import copy

    net, p, p3 = villa
    load = p3 if asymmetric else p
    lines = [int(net.line.index[0]), int(net.line.index[len(net.line) // 2])]
    changed = copy.deepcopy(net)
    changed.line.at[lines[0], "parallel"] = 2
    changed.line.loc[lines[1], ["r_ohm_per_km", "x_ohm_per_km", "max_i_ka"]] = [0.125, 0.07, 0.33]
    changed.line.loc[lines[1], ["r0_ohm_per_km", "x0_ohm_per_km", "parallel"]] = [0.5, 0.28, 3]
    columns = ["r_ohm_per_km", "x_ohm_per_km", "max_i_ka", "r0_ohm_per_km", "x0_ohm_per_km"]
    prepared = prepare_net(net, asymmetric=asymmetric)
    base = RadialEngine(prepared, asymmetric, error_tolerance=1e-10)
    updated = base.with_branch_parameters(
        {
            lines[0]: {"parallel": 2},
            lines[1]: {c: changed.line.at[lines[1], c] for c in [*columns, "parallel"]},
        }
    )
    rebuilt = RadialEngine(
        prepare_net(changed, asymmetric=asymmetric), asymmetric, error_tolerance=1e-10
    )
    for model in ("_branch_args", "_tree_args"):
        for a, b in zip(getattr(updated, model), getattr(rebuilt, model), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    ours, again = updated.run(load, load * 0.2), rebuilt.run(load, load * 0.2)
    for name in ("vm_pu", "line_loading_percent", "trafo_loading_percent"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(again, name))
    before = base.run(load, load * 0.2)
    assert not np.array_equal(before.vm_pu.to_numpy(), ours.vm_pu.to_numpy())  # it did change
    ref = run_timeseries(changed, load, load * 0.2, asymmetric=asymmetric, engine="pandapower")
    tolerance = {name: VOLTAGE_TOLERANCE_PU for name in (VOLTAGES if asymmetric else VOLTAGES[:1])}
    _compare(ours, ref, tolerance | {"line_loading_percent": 1e-3})


def test_line_parameter_update_refuses_unknown_lines_and_columns(villa):
    from gridv2x.errors import InputError

    net, _, _ = villa
    engine = RadialEngine(prepare_net(net))
    with pytest.raises(InputError, match="unknown line"):
        engine.with_branch_parameters({10**6: {"parallel": 2}})
    with pytest.raises(InputError, match="allowed: r_ohm_per_km"):
        engine.with_branch_parameters({int(net.line.index[0]): {"in_service": 0}})
    with pytest.raises(InputError, match="parallel a whole number"):
        engine.with_branch_parameters({int(net.line.index[0]): {"parallel": 1.5}})


@pytest.mark.parametrize("asymmetric", [False, True])
def test_run_chunks_are_the_rows_of_run_bit_for_bit(villa, asymmetric):
    """:meth:`RadialEngine.run_chunks` (the planner's chunked full-period check) solves the
    same steps from the same start voltages as :meth:`RadialEngine.run`: every table of every
    chunk equals run's rows exactly, the last chunk shorter."""
    net, p, p3 = villa
    frame = p3 if asymmetric else p
    rng = np.random.default_rng(5)
    steps = 23
    load_p = pd.DataFrame(
        np.tile(frame.to_numpy(), (8, 1))[:steps] * rng.uniform(0.2, 3.0, (steps, 1)),
        index=pd.date_range("2030-01-01", periods=steps, freq="15min"),
        columns=frame.columns,
    )
    load_q = load_p * 0.2
    engine = RadialEngine(net, asymmetric=asymmetric)
    whole = engine.run(load_p, load_q, chunk_steps=5)
    chunks = list(engine.run_chunks(load_p, load_q, chunk_steps=5))
    assert [len(c.converged) for c in chunks] == [5, 5, 5, 5, 3]
    tables = [n for n in vars(whole) if isinstance(getattr(whole, n), pd.DataFrame | pd.Series)]
    assert ("vuf_pct" in tables) is asymmetric
    for name in tables:
        joined = pd.concat([getattr(c, name) for c in chunks])
        pd.testing.assert_frame_equal(
            pd.DataFrame(joined), pd.DataFrame(getattr(whole, name)), check_exact=True
        )
    assert whole.converged.all() and not whole.vm_pu.isna().all().all()
