"""The checks of a load flow: blockwise reductions give the whole-table answers.

The reference is the plain whole-table computation (NaN for non-converged steps and
unsupplied buses, the worst of the three phases), written out here once as the oracle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.powerflow import TimeseriesResult
from gridv2x.reinforcement import checks

LIMITS = {
    "criteria": ["voltage", "transformer_loading", "line_loading", "unbalance", "convergence"],
    "v_min_pu": 0.93,
    "v_max_pu": 1.07,
    "transformer_loading_pct": 100.0,
    "line_loading_pct": 100.0,
    "unbalance_pct": 2.0,
}


def _result(seed: int, steps: int = 50) -> TimeseriesResult:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2030-01-01", periods=steps, freq="15min")
    buses, lines = [3, 5, 7, 9, 11], [0, 1, 2, 4]

    def frame(columns, low, high):
        return pd.DataFrame(rng.uniform(low, high, (steps, len(columns))), index, columns)

    phases = [frame(buses, 0.9, 1.1) for _ in range(3)]
    phases[1].iloc[:, 4] = np.nan  # an unsupplied bus
    lowest = np.fmin.reduce([p.to_numpy() for p in phases])
    converged = rng.random(steps) > 0.1
    out = TimeseriesResult(
        vm_pu=pd.DataFrame(lowest, index, buses),
        line_loading_percent=frame(lines, 10.0, 120.0),
        trafo_loading_percent=frame([0], 30.0, 110.0),
        trafo_p_mw=frame([0], 0.0, 0.5),
        line_i_ka=frame(lines, 0.0, 0.2),
        losses_mw=pd.Series(0.0, index),
        converged=pd.Series(converged, index),
        vm_a_pu=phases[0],
        vm_b_pu=phases[1],
        vm_c_pu=phases[2],
        vuf_pct=frame(buses, 0.0, 2.5),
        asymmetric=True,
    )
    out.line_loading_percent.iloc[:, 3] = np.nan  # a line out of service
    for name in ("vm_pu", "vm_a_pu", "vm_b_pu", "vm_c_pu", "vuf_pct", "line_loading_percent"):
        getattr(out, name).iloc[~converged] = np.nan
    return out


def _oracle(pf: TimeseriesResult, buses: list[int]):
    """Per element worst value and step, per step worst value: whole tables at once."""
    ok = pf.converged.to_numpy()
    vm = pf.vm_pu[buses].to_numpy()
    high = np.fmax.reduce([getattr(pf, f"vm_{p}_pu")[buses].to_numpy() for p in "abc"])

    def worst(values, highest):
        live = np.where(ok[:, None], values, np.nan)
        filled = np.where(np.isnan(live), -np.inf if highest else np.inf, live)
        return filled.argmax(axis=0) if highest else filled.argmin(axis=0)

    line = pf.line_loading_percent.to_numpy()
    return {
        "v_low": np.nanmin(np.where(ok[:, None], vm, np.nan), axis=0),
        "v_high": np.nanmax(np.where(ok[:, None], high, np.nan), axis=0),
        "line_max": np.nan_to_num(np.nanmax(np.where(ok[:, None], line, np.nan), axis=0)),
        "line_step": worst(line, True),
        "v_low_step": worst(vm, False),
        "v_high_step": worst(high, True),
        "bad_v_rows": (np.nan_to_num(vm, nan=1.0) < LIMITS["v_min_pu"]).any(axis=1)
        | (np.nan_to_num(high, nan=1.0) > LIMITS["v_max_pu"]).any(axis=1),
    }


@pytest.mark.filterwarnings("ignore:All-NaN slice")
@pytest.mark.parametrize("block", [1, 7, 10_000])
def test_blockwise_reduction_is_the_whole_table_answer(monkeypatch, block):
    pf = _result(seed=block)
    buses = [3, 5, 7, 9, 11]
    monkeypatch.setattr(checks, "BLOCK_STEPS", block)
    reduced = checks.extremes(pf, buses)
    want = _oracle(pf, buses)
    np.testing.assert_array_equal(reduced.v_low.value, want["v_low"])
    np.testing.assert_array_equal(reduced.v_high.value, want["v_high"])
    np.testing.assert_array_equal(reduced.line.position, want["line_step"])
    np.testing.assert_array_equal(reduced.v_low.position, want["v_low_step"])
    np.testing.assert_array_equal(reduced.v_high.position, want["v_high_step"])
    result = checks.judge(reduced, LIMITS)
    np.testing.assert_array_equal(result.line_loading.to_numpy(), want["line_max"])
    assert result.line_loading.iloc[3] == 0.0  # out of service: no loading
    assert set(result.violations) >= {"voltage", "line_loading", "convergence"}
    bad = pf.vm_pu.index[want["bad_v_rows"] | ~pf.converged.to_numpy()]
    assert bad.difference(result.worst_steps).empty  # every violating step is listed
    monkeypatch.setattr(checks, "BLOCK_STEPS", 10_000)
    whole = checks.check(pf, buses, LIMITS)
    assert whole.violations == result.violations and whole.deficit == result.deficit
    assert whole.worst_steps.equals(result.worst_steps)
    steps = checks.critical_steps(pf, buses, top_steps=4)
    monkeypatch.setattr(checks, "BLOCK_STEPS", block)
    assert checks.critical_steps(pf, reduced, top_steps=4).equals(steps)
    assert pf.vm_pu.index[want["v_low_step"]].difference(steps).empty


def _rows(pf: TimeseriesResult, rows: slice) -> TimeseriesResult:
    """The load flow of some steps (every table's rows)."""
    out = TimeseriesResult(**{name: getattr(pf, name) for name in ("engine", "asymmetric")},
                           **{name: getattr(pf, name).iloc[rows] for name in vars(pf)
                              if isinstance(getattr(pf, name), pd.DataFrame | pd.Series)})  # fmt: skip
    return out


@pytest.mark.filterwarnings("ignore:All-NaN slice")
@pytest.mark.parametrize("chunk", [1, 7, 13, 50])
def test_reduction_chunk_by_chunk_is_the_whole_reduction(chunk):
    """:func:`checks.extremes_of_chunks` (the planner's full-period check, one chunk of the
    load flow at a time) gives the same reduction, check and critical steps as
    :func:`checks.extremes` of the whole load flow, value for value."""
    pf = _result(seed=100 + chunk)
    pf.vm_a_pu.iloc[:, 2] = np.nan  # a bus without a value in one phase
    pf.line_loading_percent.iloc[: min(chunk, 20), 0] = np.nan  # none in the first chunk(s)
    tie = np.flatnonzero(pf.converged.to_numpy())[[25, 35]]  # two converged steps
    pf.line_loading_percent.iloc[tie, 1] = 500.0  # the same maximum twice
    buses = [3, 5, 7, 9, 11]
    n = len(pf.converged)
    whole = checks.extremes(pf, buses)
    chunks = (_rows(pf, slice(s, s + chunk)) for s in range(0, n, chunk))
    merged = checks.extremes_of_chunks(chunks, buses, pf.vm_pu.index)
    assert merged.index.equals(whole.index)
    for name in ("ok", "total_p_mw"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name))
    for name in ("trafo", "line", "v_low", "v_high", "vuf"):
        a, b = getattr(merged, name), getattr(whole, name)
        for field in ("value", "position", "row"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=name)
        assert a.any_value == b.any_value
    assert whole.line.position[1] == tie[0]  # the first of two equal maxima, in both
    one, other = checks.judge(merged, LIMITS), checks.judge(whole, LIMITS)
    assert (one.violations, one.deficit) == (other.violations, other.deficit)
    assert one.worst_steps.equals(other.worst_steps) and one.violations
    steps = checks.critical_steps(None, whole, top_steps=4)
    assert checks.critical_steps(None, merged, top_steps=4).equals(steps)
    with pytest.raises(ValueError, match="steps"):
        checks.extremes_of_chunks(iter([_rows(pf, slice(0, 10))]), buses, pf.vm_pu.index)
