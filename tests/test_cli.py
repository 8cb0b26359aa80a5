"""The command line on bad input: exit code 2, the key named, no traceback, nothing written,
and an earlier run's results untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridv2x.cli import main

BAD_SCENARIOS = {
    "wrong_type": ("name: x\nstudy: {seeds: many}\n", "study.seeds"),
    "unknown_key": ("name: x\ncharging: {strategy: [v1g]}\n", "charging.strategy"),
    "bad_value": ("name: x\nlimits: {v_min_pu: 1.5}\n", "limits.v_min_pu"),
    "grid_aware_not_boolean": ("name: x\ncharging: {grid_aware: always}\n", "charging.grid_aware"),
    "missing_file": ("name: x\nnetworks: [{gis: nowhere.gpkg}]\n", "networks[0].gis"),
    "yaml_syntax": ("name: x\nstudy: {kind: compare\n", "line"),
    "empty": ("", "empty"),
    "metered_ids_do_not_match": (
        "name: x\nnetworks: [{builtin: se-rural-cable}]\n"
        "demand: {model: metered, metered_file: meters.csv}\n",
        "demand.metered_file",
    ),
    "too_many_weeks": (
        "name: x\nperiod: {days: 14, representative_weeks: 4}\n",
        "period.representative_weeks",
    ),
    "bad_week_selection": (
        "name: x\nperiod: {representative_weeks: 4, week_selection: winter}\n",
        "period.week_selection",
    ),
    "profiles_without_profiles": (
        "name: x\nnetworks: [{builtin: se-rural-cable}]\ndemand: {model: profiles}\n",
        "demand.model",
    ),
}


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_scenario_exit_2_names_key_writes_nothing(in_tmp, case, command):
    text, key = BAD_SCENARIOS[case]
    (in_tmp / "bad.yaml").write_text(text)
    (in_tmp / "meters.csv").write_text("time,c001,zz9\n2030-01-01 00:00,1,1\n")
    before = sorted(p.name for p in in_tmp.iterdir())
    result = CliRunner().invoke(
        main, [command, "bad.yaml", "--out", "out"] if command == "run" else [command, "bad.yaml"]
    )
    assert result.exit_code == 2, result.output
    assert key in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in in_tmp.iterdir()) == before  # nothing written


def test_missing_scenario_file(in_tmp):
    result = CliRunner().invoke(main, ["run", "nope.yaml"])
    assert result.exit_code == 2
    assert "nope.yaml" in result.output and "not found" in result.output


def test_invalid_run_leaves_earlier_results_untouched(in_tmp):
    out = in_tmp / "out"
    out.mkdir()
    (out / "summary.csv").write_text("earlier results\n")
    (in_tmp / "bad.yaml").write_text("name: x\nstudy: {kind: nope}\n")
    result = CliRunner().invoke(main, ["run", "bad.yaml", "--out", str(out)])
    assert result.exit_code == 2
    assert (out / "summary.csv").read_text() == "earlier results\n"
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv"]


def test_validate_ok(in_tmp):
    (in_tmp / "ok.yaml").write_text("name: ok\n")
    result = CliRunner().invoke(main, ["validate", "ok.yaml"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_scenarios_are_valid(path):
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_report_on_a_folder_without_results(in_tmp):
    result = CliRunner().invoke(main, ["report", str(in_tmp)])
    assert result.exit_code == 2
    assert "summary.csv" in result.output


def test_defaults_lists_every_section():
    result = CliRunner().invoke(main, ["defaults"])
    assert result.exit_code == 0
    for section in ("study:", "period:", "networks:", "demand:", "charging:", "limits:"):
        assert section in result.output


def test_real_entry_point_prints_no_traceback(tmp_path):
    # the installed console script, as a planner runs it
    (tmp_path / "bad.yaml").write_text("name: x\nperiod: {days: 0}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "gridv2x.cli", "run", "bad.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=120,
    )
    assert proc.returncode == 2
    assert "period.days" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]
