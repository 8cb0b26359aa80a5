"""Loading, duration curve, losses and main fuses: hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.errors import InputError
from gridv2x.metrics import (
    duration_curve,
    energy_above_limit_kwh,
    fuse_current_a,
    fuse_loading,
    hours_above,
    loading_statistics,
    losses_kwh,
    share_above,
)

TZ = "Europe/Stockholm"


def idx(n: int, freq: str = "15min") -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp("2030-01-07", tz=TZ), periods=n, freq=freq)


def test_duration_curve_sorted_with_share_of_time():
    s = pd.Series([1.0, 3.0, np.nan, 2.0, 4.0], index=idx(5))
    dc = duration_curve(s)
    assert dc["value"].tolist() == [4.0, 3.0, 2.0, 1.0]
    assert dc["share_of_time"].tolist() == [0.25, 0.5, 0.75, 1.0]
    assert dc["hours"].tolist() == [0.25, 0.5, 0.75, 1.0]
    # without a time index the hours are unknown but the curve is still there
    dc2 = duration_curve(pd.Series([2.0, 5.0]))
    assert dc2["value"].tolist() == [5.0, 2.0] and dc2["hours"].isna().all()


def test_hours_and_share_above_any_element():
    frame = pd.DataFrame(
        {"t0": [90.0, 120.0, 80.0, 101.0], "t1": [110.0, 50.0, np.nan, 100.0]}, index=idx(4)
    )
    # steps 0, 1, 3 have an element strictly above 100
    assert hours_above(frame, 100.0) == pytest.approx(0.75)
    assert share_above(frame, 100.0) == pytest.approx(0.75)
    stats = loading_statistics(frame, limit_pct=100.0)
    assert stats.loc["t0", "max_loading_pct"] == 120.0
    assert stats.loc["t0", "hours_above"] == pytest.approx(0.5)
    assert stats.loc["t1", "share_above"] == pytest.approx(1 / 3)


def test_energy_above_limit():
    # 1 h steps; step 0: 125 % with 100 kW -> (1 - 100/125) * 100 kW * 1 h = 20 kWh
    # step 1: 200 % with -50 kW (reverse flow) -> 0.5 * 50 = 25 kWh; step 2 below the limit
    loading = pd.DataFrame({0: [125.0, 200.0, 90.0]}, index=idx(3, "1h"))
    p = pd.DataFrame({0: [100.0, -50.0, 70.0]}, index=loading.index)
    assert energy_above_limit_kwh(p, loading, limit_pct=100.0) == pytest.approx(45.0)
    with pytest.raises(InputError):
        energy_above_limit_kwh(p.iloc[:2], loading)


def test_losses_energy():
    # 2 kW of losses for a whole day of quarter hours -> 48 kWh; a NaN step counts as 0
    losses = pd.Series(0.002, index=idx(96))
    assert losses_kwh(losses) == pytest.approx(48.0)
    losses.iloc[0] = np.nan
    assert losses_kwh(losses) == pytest.approx(48.0 - 0.5)
    with pytest.raises(InputError):
        losses_kwh(pd.Series([0.1, 0.2]))  # no time index, no step


def test_fuse_current_and_loading():
    index = idx(2)
    p = pd.DataFrame({"c3": [11.04, 5.52], "c1": [2.3, 3.0]}, index=index)
    q = pd.DataFrame({"c3": [0.0, 0.0], "c1": [0.0, 4.0]}, index=index)
    vm = pd.DataFrame({"c3": [1.0, 1.0], "c1": [1.0, 1.0]}, index=index)
    phases = pd.Series({"c3": 3, "c1": 1})
    fuse = pd.Series({"c3": 16.0, "c1": 16.0})
    current = fuse_current_a(p, q, vm, phases)
    # three-phase: 11040 W / (3 x 230 V) = 16 A; single-phase: 2300/230 = 10 A, 5 kVA/230 = 21.74 A
    assert current["c3"].tolist() == pytest.approx([16.0, 8.0])
    assert current["c1"].tolist() == pytest.approx([10.0, 5000 / 230])
    out = fuse_loading(p, q, vm, fuse, phases, limit_pct=100.0)
    assert out.loc["c3", "fuse_max_loading_pct"] == pytest.approx(100.0)
    assert not out.loc["c3", "overloaded"]  # exactly at the rating is not above it
    assert out.loc["c1", "fuse_max_loading_pct"] == pytest.approx(5000 / 230 / 16 * 100)
    assert out.loc["c1", "hours_above"] == pytest.approx(0.25)
    # lower voltage -> higher current: 0.92 pu
    vm_low = vm * 0.92
    assert fuse_current_a(p, None, vm_low, phases)["c1"].iloc[0] == pytest.approx(
        2300 / (230 * 0.92)
    )


def test_fuse_current_per_phase_columns():
    # a three-phase customer with a single-phase 3.68 kW charger on phase a: 16 A on a
    # (the balanced assumption would give 3680 / 690 = 5.33 A)
    index = idx(1)
    cols = pd.MultiIndex.from_tuples([("c", "a"), ("c", "b"), ("c", "c")])
    p = pd.DataFrame([[3.68, 0.23, 0.0]], index=index, columns=cols)
    vm = pd.DataFrame({"c": [1.0]}, index=index)
    current = fuse_current_a(p, None, vm, pd.Series({"c": 3}))
    assert current["c"].iloc[0] == pytest.approx(16.0)


def test_fuse_current_per_phase_with_per_customer_q():
    # 2.3 kW on phase a plus 2.07 kvar spread over 3 phases (0.69 kvar each):
    # phase a |S| = sqrt(2.3^2 + 0.69^2) = 2.4013 kVA -> 10.440 A
    index = idx(1)
    cols = pd.MultiIndex.from_tuples([("c", "a"), ("c", "b"), ("c", "c")])
    p = pd.DataFrame([[2.3, 0.0, 0.0]], index=index, columns=cols)
    q = pd.DataFrame({"c": [2.07]}, index=index)
    vm = pd.DataFrame({"c": [1.0]}, index=index)
    current = fuse_current_a(p, q, vm, pd.Series({"c": 3}))
    assert current["c"].iloc[0] == pytest.approx(np.hypot(2.3, 0.69) * 1000 / 230)
