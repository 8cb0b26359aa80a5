"""Voltage quality: hand-calculated EN 50160 and Swedish-rule cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.errors import InputError
from gridv2x.metrics import (
    daily_min_voltage,
    to_window_means,
    unbalance,
    voltage_quality,
    voltage_violation_share,
)

TZ = "Europe/Stockholm"


def week_10min(start: str = "2030-01-07") -> pd.DatetimeIndex:
    """One calendar week (Monday 2030-01-07 .. Sunday) of 10-minute steps: 7 * 144 = 1008."""
    return pd.date_range(pd.Timestamp(start, tz=TZ), periods=7 * 144, freq="10min")


def test_en50160_and_swedish_rule_differ_on_crafted_series():
    index = week_10min()
    vm = pd.DataFrame(1.0, index=index, columns=["a", "b", "c", "edge"])
    vm.iloc[100:110, 0] = 0.88  # a: 10 of 1008 outside -> 99.0 % inside
    vm.iloc[200:260, 1] = 0.89  # b: 60 of 1008 outside -> 94.05 % inside
    vm.iloc[:, 3] = 0.90  # edge: exactly on the band edge counts as inside
    vm.iloc[5, 3] = 1.10
    out = voltage_quality(vm, v_min_pu=0.90, v_max_pu=1.10, en50160_share=0.95)

    # a: EN 50160 passes (998/1008 = 0.990 >= 0.95), the Swedish rule fails (10 values outside)
    assert out.loc["a", "en50160_compliant"]
    assert not out.loc["a", "swedish_rule_compliant"]
    assert out.loc["a", "en50160_worst_week_share"] == pytest.approx(998 / 1008)
    assert out.loc["a", "values_outside"] == 10
    assert out.loc["a", "hours_outside"] == pytest.approx(10 / 6)  # 10 x 10 min
    # b: 948/1008 = 0.9405 < 0.95 -> both fail
    assert not out.loc["b", "en50160_compliant"]
    assert not out.loc["b", "swedish_rule_compliant"]
    assert out.loc["b", "share_outside"] == pytest.approx(60 / 1008)
    # c and edge pass both
    assert out.loc["c", "en50160_compliant"] and out.loc["c", "swedish_rule_compliant"]
    assert out.loc["edge", "swedish_rule_compliant"]
    assert out.loc["a", "v_min_pu"] == 0.88 and out.loc["edge", "v_max_pu"] == 1.10


def test_en50160_is_per_calendar_week():
    # two weeks, 60 values outside in week 1 only: the whole period has 1956/2016 = 97.0 %
    # inside (would pass on the period) but week 1 has 948/1008 = 94.05 % -> fails.
    index = pd.date_range(pd.Timestamp("2030-01-07", tz=TZ), periods=2 * 1008, freq="10min")
    vm = pd.DataFrame(1.0, index=index, columns=["x"])
    vm.iloc[0:60, 0] = 1.12
    out = voltage_quality(vm, v_min_pu=0.90, v_max_pu=1.10)
    assert out.loc["x", "en50160_worst_week_share"] == pytest.approx(948 / 1008)
    assert not out.loc["x", "en50160_compliant"]
    assert out.loc["x", "share_outside"] == pytest.approx(60 / 2016)


def test_week_starts_on_monday_local_time():
    # Sunday 2030-01-13 23:50 belongs to the first week, Monday 00:00 to the next.
    index = pd.date_range(pd.Timestamp("2030-01-13 22:00", tz=TZ), periods=24, freq="10min")
    vm = pd.DataFrame(1.0, index=index, columns=["x"])
    vm.iloc[:6, 0] = 0.5  # 6 of the 12 Sunday values outside -> that week 50 %
    out = voltage_quality(vm, v_min_pu=0.9, v_max_pu=1.1)
    assert out.loc["x", "en50160_worst_week_share"] == pytest.approx(0.5)


def test_nan_steps_are_skipped():
    index = week_10min()[:4]
    vm = pd.DataFrame({"x": [1.0, np.nan, 0.8, 1.0]}, index=index)
    out = voltage_quality(vm, v_min_pu=0.9, v_max_pu=1.1)
    assert out.loc["x", "values"] == 3
    assert out.loc["x", "share_outside"] == pytest.approx(1 / 3)


def test_finer_data_is_averaged_to_the_10_minute_window():
    # 5-minute values 0.85 and 0.97 average to 0.91 in one 10-minute window: inside.
    index = pd.date_range(pd.Timestamp("2030-01-07", tz=TZ), periods=4, freq="5min")
    vm = pd.DataFrame({"x": [0.85, 0.97, 1.0, 1.0]}, index=index)
    means = to_window_means(vm, "10min")
    assert means["x"].tolist() == pytest.approx([0.91, 1.0])
    out = voltage_quality(vm, v_min_pu=0.9, v_max_pu=1.1)
    assert out.loc["x", "swedish_rule_compliant"]
    assert out.loc["x", "v_min_pu"] == 0.85  # raw extreme still reported
    # 15-minute data is used as it is
    index15 = pd.date_range(pd.Timestamp("2030-01-07", tz=TZ), periods=4, freq="15min")
    vm15 = pd.DataFrame({"x": [0.85, 0.97, 1.0, 1.0]}, index=index15)
    assert to_window_means(vm15, "10min") is vm15
    assert voltage_quality(vm15)["hours_outside"]["x"] == pytest.approx(0.25)


def test_voltage_violation_share_counts_pairs():
    index = week_10min()[:4]
    vm = pd.DataFrame({"a": [1.0, 0.89, 1.0, 1.0], "b": [1.0, np.nan, 1.11, 1.0]}, index=index)
    # 7 valid pairs, 2 outside
    assert voltage_violation_share(vm, 0.9, 1.1) == pytest.approx(2 / 7)
    with pytest.raises(InputError):
        voltage_violation_share(vm, 1.1, 0.9)


def test_unbalance_against_limit():
    index = pd.date_range(pd.Timestamp("2030-01-07", tz=TZ), periods=4, freq="15min")
    vuf = pd.DataFrame({7: [1.0, 3.0, 2.5, 0.5], 8: [0.1, 0.2, 2.0, 0.0]}, index=index)
    out = unbalance(vuf, limit_pct=2.0)
    assert out.loc[7, "unbalance_max_pct"] == 3.0
    assert out.loc[7, "share_above"] == pytest.approx(0.5)
    assert out.loc[7, "hours_above"] == pytest.approx(0.5)  # 2 steps x 0.25 h
    assert out.loc[8, "hours_above"] == 0.0  # 2.0 is not above 2.0


def test_daily_min_voltage_uses_local_days():
    index = pd.date_range(pd.Timestamp("2030-01-07", tz=TZ), periods=48, freq="1h")
    vm = pd.DataFrame({"c1": np.linspace(1.0, 0.953, 48)}, index=index)
    out = daily_min_voltage(vm)
    assert list(out.index) == [pd.Timestamp("2030-01-07"), pd.Timestamp("2030-01-08")]
    assert out["c1"].tolist() == pytest.approx([1.0 - 0.001 * 23, 0.953])


def test_en50160_all_values_above_minus_15_percent():
    # one 10-minute mean at 0.84 pu: 1007/1008 inside the ±10 % band (passes the 95 % test)
    # but below Un -15 % -> EN 50160 fails; at 0.86 it passes
    index = week_10min()
    vm = pd.DataFrame(1.0, index=index, columns=["deep", "shallow"])
    vm.iloc[50, 0] = 0.84
    vm.iloc[50, 1] = 0.86
    out = voltage_quality(vm, v_min_pu=0.90, v_max_pu=1.10, en50160_v_min_all_pu=0.85)
    assert not out.loc["deep", "en50160_compliant"]
    assert out.loc["shallow", "en50160_compliant"]
    assert not out.loc["shallow", "swedish_rule_compliant"]
    relaxed = voltage_quality(vm, en50160_v_min_all_pu=None)
    assert relaxed.loc["deep", "en50160_compliant"]
