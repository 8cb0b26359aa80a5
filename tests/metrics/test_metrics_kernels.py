"""The compiled customer statistics (:mod:`gridv2x.metrics._kernels`) are bit-identical to the
numpy reference code they replace (``_kernels.REFERENCE = True``).

A random per-phase load-flow result over two weeks at 15 minutes, with NaN steps (a load flow
that did not converge), voltages outside the band, single- and three-phase customers, a
customer whose bus has no result and reactive power with NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from gridv2x.metrics import (
    _kernels,
    customer_statistics,
    customer_table,
    first_violation,
    summarize,
)
from gridv2x.metrics.loading import fuse_current_a
from gridv2x.metrics.voltage import column_quantile, voltage_quality

TZ = "Europe/Stockholm"


@dataclass
class PF:
    vm_pu: pd.DataFrame
    line_loading_percent: pd.DataFrame
    trafo_loading_percent: pd.DataFrame
    trafo_p_mw: pd.DataFrame
    losses_mw: pd.Series
    converged: pd.Series
    vm_a_pu: pd.DataFrame
    vm_b_pu: pd.DataFrame
    vm_c_pu: pd.DataFrame
    vuf_pct: pd.DataFrame


@pytest.fixture(params=[True, False], ids=["all-converged", "some-not-converged"])
def case(request):
    rng = np.random.default_rng(7)
    index = pd.date_range(pd.Timestamp("2030-03-25", tz=TZ), periods=14 * 96, freq="15min")
    index.freq = "15min"
    n_t, buses = len(index), [0, 1, 2, 3]

    def phase_table() -> pd.DataFrame:
        values = 1.0 + 0.06 * rng.standard_normal((n_t, len(buses)))
        values[rng.random(values.shape) < 0.01] = 1.12  # ties and values above the band
        return pd.DataFrame(values, index=index, columns=buses)

    a, b, c = phase_table(), phase_table(), phase_table()
    converged = pd.Series(True, index=index)
    if not request.param:
        converged.iloc[[3, 500, 501]] = False
    pf = PF(
        vm_pu=np.fmin(np.fmin(a, b), c),
        line_loading_percent=pd.DataFrame(rng.random((n_t, 3)) * 120, index=index),
        trafo_loading_percent=pd.DataFrame(rng.random((n_t, 1)) * 90, index=index),
        trafo_p_mw=pd.DataFrame(rng.random((n_t, 1)) * 0.2, index=index),
        losses_mw=pd.Series(rng.random(n_t) * 1e-3, index=index),
        converged=converged,
        vm_a_pu=a,
        vm_b_pu=b,
        vm_c_pu=c,
        vuf_pct=pd.DataFrame(rng.random((n_t, len(buses))) * 2.5, index=index),
    )
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(7)],
            "bus": [0, 1, 1, 2, 3, 3, 2],
            "phase": ["a", "b", "c", "abc", "abc", "a", "abc"],
            "phases": [1, 1, 1, 3, 3, 1, 3],
            "fuse_a": [16.0, 20.0, 16.0, 25.0, 20.0, 16.0, 35.0],
        }
    )
    columns = pd.MultiIndex.from_product(
        [customers["customer_id"], ["a", "b", "c"]], names=["customer_id", "phase"]
    )
    p_kw = pd.DataFrame(rng.random((n_t, len(columns))) * 8, index=index, columns=columns)
    q_kvar = pd.DataFrame(rng.random((n_t, len(columns))), index=index, columns=columns)
    q_kvar.iloc[10, 4] = np.nan
    return pf, customers, index, p_kw, q_kvar


def _both(fn):
    """``fn()`` with the numpy reference and with the compiled kernels."""
    try:
        _kernels.REFERENCE = True
        reference = fn()
    finally:
        _kernels.REFERENCE = False
    return reference, fn()


@pytest.mark.parametrize("scale", [1.0, 0.01], ids=["fuses-overloaded", "no-fuse-overloaded"])
def test_customer_statistics_bit_identical(case, scale):
    pf, customers, index, p_kw, q_kvar = case
    p_kw, q_kvar = p_kw * scale, q_kvar * scale

    def run():
        stats = customer_statistics(
            pf, customers, customer_p_kw=p_kw, customer_q_kvar=q_kvar, index=index
        )
        row = summarize(pf, customers, None, index, statistics=stats)
        first = first_violation(pf, customers, statistics=stats)
        return stats, row, customer_table(pf, customers, statistics=stats), first

    (ref, ref_row, ref_table, ref_first), (new, new_row, new_table, new_first) = _both(run)
    pd.testing.assert_frame_equal(ref_first, new_first, check_exact=True)
    for name in ("vm", "vm_low", "vm_high", "quality", "fuse_pct"):
        pd.testing.assert_frame_equal(getattr(ref, name), getattr(new, name), check_exact=True)
    pd.testing.assert_series_equal(ref.low_p05_pu(), new.low_p05_pu(), check_exact=True)
    pd.testing.assert_frame_equal(ref_table, new_table, check_exact=True)
    assert ref_row.keys() == new_row.keys()
    for key, value in ref_row.items():
        assert value == new_row[key] or (value != value and new_row[key] != new_row[key]), key


def test_fuse_current_without_reactive_power_and_unknown_bus(case):
    pf, customers, _, p_kw, _ = case
    vm = pf.vm_a_pu.rename(columns=lambda b: f"c{b}")  # c4..c6 have no voltage: 1 pu
    phases = customers.set_index("customer_id")["phases"]
    ref, new = _both(lambda: fuse_current_a(p_kw, None, vm, phases))
    pd.testing.assert_frame_equal(ref, new, check_exact=True)


def test_voltage_quality_counts_bit_identical(case):
    pf, *_ = case
    vm = pf.vm_a_pu.where(pf.converged, axis=0)
    for v_min_all in (0.85, None):
        ref, new = _both(lambda v=v_min_all: voltage_quality(vm, en50160_v_min_all_pu=v))
        pd.testing.assert_frame_equal(ref, new, check_exact=True)


def test_band_scan_is_numpys():
    values = np.array([[1.0, np.nan], [0.85, 1.0], [np.inf, 1.2], [1.0, 1.0]])
    n_valid, n_outside, rows, first = _kernels.band_scan(values, 0.9, 1.1)
    assert (n_valid, n_outside, rows, first) == (6, 2, 2, 1)


@pytest.mark.parametrize("n", [64, 65, 97, 1000, 35040])
@pytest.mark.parametrize("q", [0.05, 0.5, 0.95, 0.999])
def test_column_quantile_is_numpys(n, q):
    rng = np.random.default_rng(n)
    values = 1.0 + 0.05 * rng.standard_normal((n, 5))
    values[:, 1] = np.round(values[:, 1], 2)  # many ties
    values[:, 2] = 1.0  # constant
    values[: n // 2, 3] = 0.5  # the low half one value: the sampled threshold is a tie
    values[:, 4] = np.sort(values[:, 4])[::-1]  # descending
    expected = np.quantile(values, q, axis=0)
    assert np.array_equal(column_quantile(values, q), expected)
