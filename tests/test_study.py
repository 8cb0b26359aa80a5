"""The whole pipeline on a real feeder: strategies ordered as physics says, energy conserved,
the same numbers in-process and on a dask cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gridv2x
from gridv2x.conventions import SUMMARY_COLUMNS
from gridv2x.study import Study, stage_rng


@pytest.fixture(scope="module")
def small_result(tmp_path_factory):
    from tests.conftest import small_scenario_text

    folder = tmp_path_factory.mktemp("study")
    path = folder / "small.yaml"
    path.write_text(small_scenario_text(days=7))
    return gridv2x.run(gridv2x.read_scenario(path), workers=0, out=folder / "out", progress=False)


def test_summary_has_contract_columns(small_result):
    summary = small_result.summary
    assert list(summary["strategy"]) == ["uncontrolled", "v1g", "v2g"]
    missing = set(SUMMARY_COLUMNS) - set(summary.columns)
    assert not missing
    assert (summary["converged_share"] == 1.0).all()
    assert (summary["n_evs"] > 0).all()


def test_strategies_order_transformer_peak(small_result):
    peak = small_result.summary.set_index("strategy")["transformer_peak_kw"]
    assert peak["v2g"] <= peak["v1g"] + 1e-6
    assert peak["v1g"] <= peak["uncontrolled"] + 1e-6
    # smart charging must buy something real on a winter week with 0.5 EVs per household
    assert peak["v1g"] < 0.95 * peak["uncontrolled"]


def test_mobility_guarantee(small_result):
    unmet = small_result.summary.set_index("strategy")["ev_unmet_kwh"]
    assert unmet["v1g"] == pytest.approx(0.0, abs=1e-6)
    assert unmet["v2g"] == pytest.approx(0.0, abs=1e-6)


def test_energy_balance_per_ev(small_result):
    """charged - discharged = driving + change in stored energy + losses, within 0.1 %."""
    for task_id in small_result.summary["task_id"]:
        evs = small_result.frame(task_id, "evs")
        lhs = evs["charged_kwh"] - evs["discharged_kwh"]
        rhs = (
            evs["driving_kwh"]
            + (evs["stored_end_kwh"] - evs["stored_start_kwh"])
            + evs["losses_kwh"]
        )
        scale = np.maximum(evs["charged_kwh"].abs(), 1.0)
        assert (np.abs(lhs - rhs) / scale).max() < 1e-3, task_id


def test_ev_energy_equals_grid_energy(small_result):
    """What the EVs charged is what the feeder saw: EV column of the time series [kWh]."""
    for _, row in small_result.summary.iterrows():
        ts = small_result.timeseries(row["task_id"])
        grid_kwh = ts["ev_load_kw"].sum() * 0.25
        assert grid_kwh == pytest.approx(row["ev_charged_kwh"] - row["ev_discharged_kwh"], rel=1e-6)


def test_same_numbers_on_dask_cluster(small_result, tmp_path):
    on_dask = gridv2x.run(small_result.scenario, workers=2, progress=False)
    columns = [c for c in SUMMARY_COLUMNS if c in on_dask.summary]
    pd.testing.assert_frame_equal(
        on_dask.summary[columns].reset_index(drop=True),
        small_result.summary[columns].reset_index(drop=True),
    )


def test_stage_streams_are_independent_of_order():
    a = stage_rng(0, 1, "feeder-a", "mobility").random(3)
    b = stage_rng(0, 1, "feeder-a", "mobility").random(3)
    c = stage_rng(0, 2, "feeder-a", "mobility").random(3)
    d = stage_rng(0, 1, "feeder-a", "demand").random(3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, d)


def test_tasks_cover_the_study(small_result):
    scenario = small_result.scenario.replace(
        study={"kind": "hosting_capacity", "ev_shares": [0.2, 0.4], "seeds": 3}
    )
    tasks = Study(scenario).tasks()
    assert len(tasks) == 1 * 2 * 3 * 3
    assert len({t.task_id for t in tasks}) == len(tasks)


def _one_day(tmp_path, **sections):
    from gridv2x.scenario import scenario_from_dict

    data = {
        "name": "one-day",
        "study": {"seed": 5},
        "period": {"start": "2030-01-15", "days": 1},
        "networks": [{"builtin": "se-mixed"}],
        "adoption": {"share": 0.6},
        "charging": {"strategies": ["uncontrolled", "v2g"]},
    }
    data.update(sections)
    return gridv2x.run(scenario_from_dict(data), workers=0, progress=False)


def test_study_on_pandapower_reference_engine_agrees(tmp_path):
    """The whole study with pandapower's Newton-Raphson gives the same numbers as with
    power-grid-model (tolerance 1e-5 pu / 0.1 % on energies: both solve the same model)."""
    balanced = {"asymmetric": False}  # per phase: tests/powerflow/test_radial.py
    pgm = _one_day(tmp_path, powerflow=balanced).summary.set_index("strategy")
    ref = _one_day(tmp_path, powerflow={"engine": "pandapower", **balanced})
    ref = ref.summary.set_index("strategy")
    for column in ("v_min_pu", "v_max_pu"):
        np.testing.assert_allclose(pgm[column], ref[column], atol=1e-5)
    for column in ("transformer_peak_kw", "losses_kwh", "line_max_loading_pct"):
        np.testing.assert_allclose(pgm[column], ref[column], rtol=1e-3)


def test_asymmetric_study_reports_unbalance(tmp_path):
    """Single-phase chargers and customers unbalance the feeder; the per-phase engine sees it,
    and the lowest phase voltage is below the balanced run's."""
    asym = _one_day(tmp_path).summary.set_index("strategy")  # per phase is the default
    sym = _one_day(tmp_path, powerflow={"asymmetric": False}).summary.set_index("strategy")
    assert (asym["converged_share"] == 1.0).all()
    assert (asym["unbalance_max_pct"] > 0.05).all()
    assert (asym["neutral_max_current_a"] > 0).all() and sym["neutral_max_current_a"].isna().all()
    assert (asym["v_min_pu"] < sym["v_min_pu"]).all()
    # same energy through the feeder: the per-phase split does not create or lose load
    np.testing.assert_allclose(asym["ev_charged_kwh"], sym["ev_charged_kwh"], rtol=1e-9)


def test_impossible_overload_finishes_and_is_flagged(tmp_path):
    """A household load 400 times too high cannot be supplied: the study still finishes, the
    steps that did not converge are counted (converged_share < 1, violation by the
    convergence criterion) and the report says so, instead of raising."""
    from gridv2x.scenario import scenario_from_dict

    scenario = scenario_from_dict(
        {
            "name": "overload",
            "period": {"start": "2030-01-15", "days": 1},
            "networks": [{"builtin": "se-villa-small"}],
            "demand": {"annual_kwh_scale": 400.0},
            "adoption": {"share": 0.5},
            "charging": {"strategies": ["uncontrolled"]},
        }
    )
    result = gridv2x.run(scenario, workers=0, out=tmp_path / "out", progress=False)
    result.write(tmp_path / "out")
    row = result.summary.iloc[0]
    assert 0.0 <= row["converged_share"] < 1.0
    assert row["violates_convergence"] and row["violation"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "did not converge" in html


@pytest.mark.parametrize(
    ("rule", "sweep"), [("auto", "full"), ("all", "full"), ("auto", "ordered")]
)
def test_hosting_capacity_keeps_time_series_of_the_charted_task(tmp_path, rule, sweep):
    """study.time_series: with hundreds of draws only the task the report charts keeps its
    whole-period tables (auto; with study.sweep: ordered, where the charted share is known
    only after the run, the lowest seed of every share); every task keeps its summary and
    small tables; asking for a table that was not kept says which key keeps it."""
    from gridv2x.errors import InputError
    from gridv2x.results import charted_tasks
    from gridv2x.scenario import scenario_from_dict

    scenario = scenario_from_dict(
        {
            "name": "hc-tables",
            "study": {
                "kind": "hosting_capacity",
                "ev_shares": [0.3, 0.6],
                "seeds": 2,
                "time_series": rule,
                "sweep": sweep,
            },
            "period": {"start": "2030-01-15", "days": 1},
            "networks": [{"builtin": "se-mixed"}],
            "charging": {"strategies": ["uncontrolled", "v1g"]},
        }
    )
    result = gridv2x.run(scenario, workers=0, out=tmp_path / "out", progress=False)
    summary = result.summary
    if sweep == "full":
        assert len(summary) == 2 * 2 * 2
        charted = (summary["seed"] == 0) & (summary["ev_share_target"] == 0.6)
    else:
        charted = summary["seed"] == 0
    shown = set(charted_tasks(summary, "se-mixed").values())
    assert len(shown) == 2 and shown <= set(summary.loc[charted, "task_id"])
    for row in summary.itertuples():
        folder = tmp_path / "out" / "results" / row.task_id
        for name in ("customers", "elements", "evs"):
            assert (folder / f"{name}.parquet").is_file()
        kept = rule == "all" or bool(charted[row.Index])
        for name in ("timeseries", "voltage_daily", "soc"):
            assert (folder / f"{name}.parquet").is_file() == kept, (row.task_id, name)
        if kept:
            assert len(result.timeseries(row.task_id)) == 96
        else:
            with pytest.raises(InputError, match="study.time_series: all"):
                result.timeseries(row.task_id)
    result.write(tmp_path / "out")
    assert "timeseries.parquet missing" not in (tmp_path / "out" / "report.html").read_text()
