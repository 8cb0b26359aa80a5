"""The PGM engine against stored pandapower results (tests/data/powerflow/*, see README there).

Every bus (and phase) of every converged step must be within the case's tolerance (1e-5 pu for
voltages); steps pandapower could not solve must come out ``converged = False`` without raising.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gridv2x.powerflow import run_timeseries
from tests.powerflow.cases import CASE_NAMES, load_case

pytestmark = pytest.mark.filterwarnings("ignore:zero-sequence data assumed")


def test_all_reference_cases_present():
    assert {
        "simbench_rural1",
        "simbench_semiurb4",
        "kerber_vorstadt_kabel_1",
        "ieee_european_lv_asym",
        "overload_rural1",
    } <= set(CASE_NAMES)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_pgm_matches_pandapower_reference(name):
    case = load_case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_timeseries(
            case.net,
            case.inputs["load_p_mw"],
            case.inputs["load_q_mvar"],
            sgen_p_mw=case.inputs["sgen_p_mw"],
            engine="pgm",
            **case.meta["options"],
        )
    expected_ok = case.steps["converged"].to_numpy(bool)
    np.testing.assert_array_equal(result.converged.to_numpy(), expected_ok)
    tolerance = case.meta["tolerance"]
    assert set(case.expected) <= set(tolerance) - {"losses_mw"}
    for table, expected in case.expected.items():
        ours = getattr(result, table)
        assert list(ours.columns) == list(expected.columns), table
        got, want = ours.to_numpy()[expected_ok], expected.to_numpy()[expected_ok]
        # same buses without supply (NaN) in both
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=table)
        error = np.nanmax(np.abs(got - want)) if np.isfinite(want).any() else 0.0
        assert error <= tolerance[table], f"{name}.{table}: max error {error:.3g}"
        assert np.isnan(ours.to_numpy()[~expected_ok]).all(), table
    losses = result.losses_mw.to_numpy()[expected_ok]
    want = case.steps["losses_mw"].to_numpy()[expected_ok]
    assert np.abs(losses - want).max() <= tolerance["losses_mw"]


def test_overload_case_flags_steps_without_raising():
    case = load_case("overload_rural1")
    result = run_timeseries(case.net, case.inputs["load_p_mw"], case.inputs["load_q_mvar"])
    assert result.converged.tolist() == [k not in (3, 4, 8) for k in range(12)]
    assert 0 < result.converged_share < 1
    assert result.vm_pu.iloc[[3, 4, 8]].isna().all().all()
    assert result.vm_pu.drop(index=[3, 4, 8]).notna().all().all()
