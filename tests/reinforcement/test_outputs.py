"""reinforcement.csv, economics.csv, the Python API and the report section of a real study;
bad reinforcement/economics keys exit 2 naming the key."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import gridv2x
from gridv2x.api import load_result
from gridv2x.cli import main
from gridv2x.reinforcement import REINFORCEMENT_COLUMNS
from gridv2x.reinforcement.economics import ECONOMICS_COLUMNS
from tests.conftest import small_scenario_text


def test_study_writes_plans_economics_and_the_report_section(tmp_path):
    path = tmp_path / "s.yaml"
    # a tight transformer limit so that uncontrolled charging needs a larger transformer
    path.write_text(
        small_scenario_text(
            days=4,
            strategies=["uncontrolled", "v1g"],
            extra="limits: {transformer_loading_pct: 25}\n",
        )
    )
    result = gridv2x.run(path, workers=0, out=tmp_path / "out", progress=False)
    result.write(tmp_path / "out")
    plans = pd.read_csv(tmp_path / "out" / "reinforcement.csv")
    econ = pd.read_csv(tmp_path / "out" / "economics.csv")
    assert list(plans.columns) == list(REINFORCEMENT_COLUMNS)
    assert list(econ.columns) == list(ECONOMICS_COLUMNS)
    unc = result.summary.set_index("strategy").loc["uncontrolled"]
    assert unc["violation"] and unc["reinforcement_needed"] and unc["reinforcement_fixed"]
    mine = plans[plans["strategy"] == "uncontrolled"]
    assert "transformer" in set(mine["measure"])
    assert mine["cost_sek"].sum() == pytest.approx(unc["reinforcement_cost_sek"], abs=1)
    assert result.economics is not None and result.reinforcement is not None
    v1g = result.economics.set_index("strategy").loc["v1g"]
    assert v1g["reinforcement_cost_sek"] <= unc["reinforcement_cost_sek"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Reinforce or flex" in html and "docs/sources.md §11" in html
    # the stored folder reads back with the same tables
    again = load_result(tmp_path / "out")
    assert len(again.economics) == len(result.economics)
    assert len(again.reinforcement) == len(result.reinforcement)


@pytest.mark.parametrize(
    "text, key",
    [
        ("reinforcement: {prices: {trench_sek_per_km: {city: 1}}}", "reinforcement.prices"),
        ("reinforcement: {measures: [copper]}", "reinforcement.measures"),
        ("economics: {discount_rate_pct: -1}", "economics.discount_rate_pct"),
    ],
)
def test_bad_keys_exit_2_naming_the_key(tmp_path, monkeypatch, text, key):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(f"name: x\n{text}\n")
    result = CliRunner().invoke(main, ["validate", "bad.yaml"])
    assert result.exit_code == 2, result.output
    assert key in result.output and "Traceback" not in result.output
