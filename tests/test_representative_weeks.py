"""Representative weeks (period.representative_weeks): whole calendar weeks, chosen
deterministically from the draw's base load, the peak week kept, the transformer peak of the
full period reproduced, energy conserved per EV, the same on a dask cluster, and a report that
names the weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import gridv2x
from gridv2x import period
from gridv2x.cli import main
from gridv2x.conventions import SUMMARY_COLUMNS, TIMEZONE, period_index
from gridv2x.errors import InputError
from gridv2x.scenario import scenario_from_dict
from gridv2x.study import Study

STEPS_PER_DAY = 96  # 15-minute steps


def _scenario(days: int, start: str, weeks: int | None, rule: str = "peak", **extra) -> dict:
    return {
        "name": "weeks",
        "study": {"kind": "compare", "seeds": 1, "seed": 3},
        "period": {
            "start": start,
            "days": days,
            "resolution": "15min",
            "representative_weeks": weeks,
            "week_selection": rule,
        },
        "networks": [{"builtin": "se-suburban-villa"}],
        "adoption": {"share": 0.5},
        "charging": {"strategies": ["uncontrolled", "v1g", "v2g"]},
        **extra,
    }


# ------------------------------------------------------------------------ calendar weeks


def _days_in_period(weeks: list[pd.Timestamp], start: str, days: int) -> int:
    """Days of the given calendar weeks inside the period (partial weeks at its ends)."""
    first, end = pd.Timestamp(start), pd.Timestamp(start) + pd.Timedelta(days=days)
    return sum(
        (min(w + pd.Timedelta(days=7), end) - max(w, first)) // pd.Timedelta(days=1) for w in weeks
    )


def test_week_windows_are_whole_calendar_weeks_across_dst():
    # 2030-03-31 is the spring DST change: that week has 4 quarter hours fewer
    index = period_index("2030-03-18", 21, "15min")
    weeks = [pd.Timestamp("2030-03-18"), pd.Timestamp("2030-03-25"), pd.Timestamp("2030-04-01")]
    windows = period.week_windows(index, weeks)
    assert [w.week for w in windows] == weeks
    for win, n_steps in zip(windows, (672, 668, 672), strict=True):
        steps = index[win.window][win.keep]
        assert len(steps) == n_steps
        local = steps.tz_convert(TIMEZONE)
        assert local[0].dayofweek == 0 and (local[0].hour, local[0].minute) == (0, 0)
        assert (period.calendar_weeks(steps) == win.week).all()
        # the step after the week is the next Monday 00:00 (or the end of the period)
        after = win.window.start + win.keep.stop
        if after < len(index):
            assert index[after].tz_convert(TIMEZONE) == pd.Timestamp(
                win.week + pd.Timedelta(days=7), tz=TIMEZONE
            )
    # one warm-up day before and one look-ahead day after, clipped to the period
    first, middle, last = windows
    assert first.keep.start == 0  # the period starts on that Monday: nothing before it
    assert middle.keep.start == STEPS_PER_DAY
    assert middle.window.stop - (middle.window.start + middle.keep.stop) == STEPS_PER_DAY
    assert last.window.stop == len(index)


def test_weeks_in_period_counts_partial_weeks():
    assert period.weeks_in_period("2030-01-07", 7) == 1  # Monday to Monday
    assert period.weeks_in_period("2030-01-01", 14) == 3  # Tue: 6 days + 7 + 1 day
    assert period.weeks_in_period("2030-01-01", 365) == 53


def test_peak_selection_on_a_synthetic_load():
    index = period_index("2030-01-07", 70, "15min")  # 10 whole weeks
    rng = np.random.default_rng(0)
    load = pd.Series(100 + rng.normal(0, 5, len(index)), index=index)
    load.iloc[5 * 672 + 300] = 400.0  # the peak: in the sixth week (2030-02-11)
    load.iloc[2 * 672 + 10] = 300.0  # the second highest: third week (2030-01-21)
    assert period.select_weeks(load, 1, "peak") == [pd.Timestamp("2030-02-11")]
    assert period.select_weeks(load, 2, "peak") == [
        pd.Timestamp("2030-01-21"),
        pd.Timestamp("2030-02-11"),
    ]
    every = period.select_weeks(load, 10, "peak")
    assert every == sorted(set(period.calendar_weeks(index)))
    with pytest.raises(InputError, match="representative_weeks"):
        period.select_weeks(load, 11, "peak")
    with pytest.raises(InputError, match="week_selection"):
        period.select_weeks(load, 2, "highest")


def test_spread_selection_takes_a_typical_week_of_each_block():
    index = period_index("2030-01-07", 364, "15min")  # 52 whole weeks
    day = np.arange(len(index)) / STEPS_PER_DAY
    rng = np.random.default_rng(1)
    seasonal = 150 + 60 * np.cos(2 * np.pi * day / 364) + rng.normal(0, 10, len(index))
    load = pd.Series(seasonal, index=index)
    chosen = period.select_weeks(load, 4, "spread")
    weeks = sorted(set(period.calendar_weeks(index)))
    mean = load.groupby(period.calendar_weeks(index)).mean()
    assert len(chosen) == 4
    for block, week in zip(np.array_split(np.arange(52), 4), chosen, strict=True):
        block_weeks = [weeks[i] for i in block]
        assert week in block_weeks  # one week from each quarter of the year
        below = (mean[block_weeks] < mean[week]).sum()
        above = (mean[block_weeks] > mean[week]).sum()
        assert below <= len(block) // 2 and above <= len(block) // 2  # the block's median
    # peak weeks of a winter-peaking load are winter weeks, spread weeks are not all winter
    peak = period.select_weeks(load, 4, "peak")
    assert all(w.month in (1, 2, 12) for w in peak)
    assert not all(w.month in (1, 2, 12) for w in chosen)


def test_peak_selection_holds_the_week_of_the_real_base_load_peak():
    """A year of a real draw: the chosen weeks are the highest-peak weeks, the peak week first."""
    study = Study(scenario_from_dict(_scenario(365, "2030-01-01", 4)))
    feeder = study.feeder("se-suburban-villa")
    inputs = study.prepare(feeder, study.tasks()[0])
    load = inputs.base_p_kw.sum(axis=1)
    chosen = period.select_weeks(load, 4, "peak")
    assert chosen == period.select_weeks(load.copy(), 4, "peak")  # deterministic
    peak_week = period.calendar_weeks(pd.DatetimeIndex([load.idxmax()]))[0]
    assert peak_week in chosen
    weekly_peak = load.groupby(period.calendar_weeks(load.index)).max()
    assert weekly_peak[chosen].min() >= weekly_peak.drop(chosen).max()
    # the same draw gives the same weeks in another Study (another worker)
    again = Study(scenario_from_dict(_scenario(365, "2030-01-01", 4)))
    inputs_again = again.prepare(again.feeder("se-suburban-villa"), again.tasks()[0])
    assert period.select_weeks(inputs_again.base_p_kw.sum(axis=1), 4, "peak") == chosen


# ------------------------------------------------------------------ against the full period


@pytest.fixture(scope="module")
def full_and_weeks():
    """Five winter weeks from a Tuesday, simulated in full and on the 2 peak weeks.

    Balanced load flow: the weeks are chosen by the feeder's base-load peak, which is where the
    balanced extremes are. Per phase (the scenario default) the lowest phase voltage can fall
    in another week: here 0.967 pu on 8 January at 23:00 (an EV on one phase at night) against
    0.975 pu on the 2 peak weeks; docs/representative-weeks.md says so.
    """
    balanced = {"powerflow": {"asymmetric": False}}
    full = Study(scenario_from_dict(_scenario(35, "2030-01-01", None, **balanced)))
    weeks = Study(scenario_from_dict(_scenario(35, "2030-01-01", 2, **balanced)))
    feeder = full.feeder("se-suburban-villa")
    out = {}
    for task in full.tasks():
        inputs = full.prepare(feeder, task)
        out[task.strategy] = (
            full.simulate(feeder, task, inputs),
            weeks.simulate(weeks.feeder("se-suburban-villa"), task, inputs),
        )
    return out


PEAK_TOLERANCE = 0.01
"""Transformer peak on the weeks vs the full period, relative, when the peak week is simulated."""


@pytest.mark.parametrize("strategy", ["uncontrolled", "v1g", "v2g"])
def test_transformer_peak_reproduced_when_peak_week_selected(full_and_weeks, strategy):
    full, weeks = full_and_weeks[strategy]
    peak_time = full.timeseries["transformer_p_kw"].idxmax()
    peak_week = period.calendar_weeks(pd.DatetimeIndex([peak_time]))[0]
    chosen = [pd.Timestamp(w) for w in weeks.summary["simulated_weeks"].split(";")]
    assert peak_week in chosen  # the base-load rule found the week of the feeder peak
    assert weeks.summary["transformer_peak_kw"] == pytest.approx(
        full.summary["transformer_peak_kw"], rel=PEAK_TOLERANCE
    )
    assert weeks.summary["v_min_pu"] == pytest.approx(full.summary["v_min_pu"], abs=0.005)
    assert weeks.summary["violation"] == full.summary["violation"]


def test_weeks_result_covers_only_the_chosen_weeks(full_and_weeks):
    full, weeks = full_and_weeks["v1g"]
    chosen = [pd.Timestamp(w) for w in weeks.summary["simulated_weeks"].split(";")]
    assert len(chosen) == 2
    ts = weeks.timeseries
    assert set(period.calendar_weeks(ts.index)) == set(chosen)
    days = _days_in_period(chosen, "2030-01-01", 35)
    assert len(ts) == days * STEPS_PER_DAY  # whole weeks (clipped to the period), no warm-up
    assert ts.index.equals(full.timeseries.index[period.week_mask(full.timeseries.index, chosen)])
    assert weeks.summary["simulated_days"] == pytest.approx(days)
    assert weeks.summary["period_weight"] == pytest.approx(35 / days)
    assert len(weeks.voltage_daily) == days
    assert "simulated_weeks" not in full.summary  # a full-period run is unchanged
    # energy totals are over the two weeks: well below the five weeks' total
    assert weeks.summary["ev_charged_kwh"] < 0.6 * full.summary["ev_charged_kwh"]
    assert weeks.summary["losses_kwh"] < 0.6 * full.summary["losses_kwh"]


@pytest.mark.parametrize("strategy", ["uncontrolled", "v1g", "v2g"])
def test_energy_balance_per_ev_over_the_weeks(full_and_weeks, strategy):
    """charged - discharged = driving + change in stored energy + losses, within 0.1 %,
    and what the EVs charged is what the feeder saw in the simulated steps."""
    _full, weeks = full_and_weeks[strategy]
    evs = weeks.evs
    lhs = evs["charged_kwh"] - evs["discharged_kwh"]
    rhs = evs["driving_kwh"] + (evs["stored_end_kwh"] - evs["stored_start_kwh"]) + evs["losses_kwh"]
    scale = np.maximum(evs["charged_kwh"].abs(), 1.0)
    assert (np.abs(lhs - rhs) / scale).max() < 1e-3
    grid_kwh = weeks.timeseries["ev_load_kw"].sum() * 0.25
    net = weeks.summary["ev_charged_kwh"] - weeks.summary["ev_discharged_kwh"]
    assert grid_kwh == pytest.approx(net, rel=1e-6)
    assert weeks.summary["ev_unmet_kwh"] == pytest.approx(0.0, abs=1e-6)


def test_all_weeks_reproduce_the_full_period_for_uncontrolled_charging():
    """With every week selected, uncontrolled charging is the full-period result: the warm-up
    day brings the EVs plugged in at each Monday 00:00 where they would be. It differs only
    where an EV leaves for a trip that ends after the look-ahead day (a full-period schedule
    charges it ahead for that trip), in well under 1 % of the steps."""
    full = Study(scenario_from_dict(_scenario(21, "2030-01-07", None)))
    weeks = Study(scenario_from_dict(_scenario(21, "2030-01-07", 3)))
    feeder = full.feeder("se-suburban-villa")
    task = full.tasks()[0]
    inputs = full.prepare(feeder, task)
    a = full.simulate(feeder, task, inputs)
    b = weeks.simulate(weeks.feeder("se-suburban-villa"), task, inputs)
    assert b.timeseries.index.equals(a.timeseries.index)
    assert b.summary["transformer_peak_kw"] == pytest.approx(
        a.summary["transformer_peak_kw"], rel=0.005
    )
    assert b.summary["v_min_pu"] == pytest.approx(a.summary["v_min_pu"], abs=0.002)
    for key in ("ev_charged_kwh", "ev_driving_kwh"):
        assert b.summary[key] == pytest.approx(a.summary[key], rel=0.01), key
    same = np.isclose(b.timeseries["ev_load_kw"], a.timeseries["ev_load_kw"], atol=1e-6)
    assert same.mean() > 0.99


# ------------------------------------------------------------- command line, report, dask

SCENARIO_TEXT = """\
name: weeks-cli
study: {kind: compare, seeds: 1, seed: 3}
period: {start: 2030-01-01, days: 21, resolution: 15min, representative_weeks: 2}
networks: [{builtin: se-suburban-villa}]
adoption: {share: 0.5}
charging: {strategies: [uncontrolled, v1g]}
"""


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weeks-cli")
    (folder / "s.yaml").write_text(SCENARIO_TEXT)
    result = CliRunner().invoke(
        main, ["run", str(folder / "s.yaml"), "--out", str(folder / "out"), "--workers", "0"]
    )
    assert result.exit_code == 0, result.output
    return folder


def test_cli_report_names_the_weeks(cli_run):
    out = cli_run / "out"
    summary = pd.read_csv(out / "summary.csv")
    weeks = set(summary["simulated_weeks"])
    assert len(weeks) == 1  # the strategies of a draw share its weeks
    [text] = weeks
    html = (out / "report.html").read_text()
    assert 'id="representative-weeks"' in html
    for week in text.split(";"):
        assert week.strip() in html
    # 21 days from a Tuesday touch 4 weeks (6 + 7 + 7 + 1 days); 2 of them were simulated
    chosen = [pd.Timestamp(w) for w in text.split(";")]
    assert len(chosen) == 2
    assert (summary["simulated_days"] == _days_in_period(chosen, "2030-01-01", 21)).all()


def test_same_weeks_and_numbers_on_dask_cluster(cli_run):
    summary = pd.read_csv(cli_run / "out" / "summary.csv")
    gridv2x.run(cli_run / "s.yaml", workers=2, out=cli_run / "dask", progress=False)
    on_dask = pd.read_csv(cli_run / "dask" / "summary.csv")
    columns = [c for c in SUMMARY_COLUMNS if c in on_dask] + [
        "simulated_weeks",
        "simulated_days",
        "period_weight",
    ]
    pd.testing.assert_frame_equal(
        on_dask[columns].reset_index(drop=True),
        summary[columns].reset_index(drop=True),
    )
