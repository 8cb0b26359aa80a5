"""Scenario validation: every problem at once, with its key path, what was given and what is
allowed; defaults shipped for every key and kept in sync with the schema."""

from __future__ import annotations

import pytest
import yaml

from gridv2x.errors import InputError, ScenarioError
from gridv2x.scenario import read_scenario, scenario_from_dict, schema
from gridv2x.scenario.defaults import DEFAULTS_FILE, defaults_yaml


def _write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_minimal_scenario_gets_every_default(tmp_path):
    scenario = read_scenario(_write(tmp_path, "name: tiny\n"))
    expected = schema.defaults()
    expected["name"] = "tiny"
    expected["networks"] = [{"builtin": "se-suburban-villa", "name": "se-suburban-villa"}]
    assert scenario.to_dict() == expected
    assert scenario.networks[0]["builtin"] == "se-suburban-villa"
    assert scenario.networks[0]["name"] == "se-suburban-villa"


def test_shipped_defaults_file_is_in_sync_with_schema():
    # dask-style: the shipped defaults.yaml is generated from the schema; rerun
    # `python -m gridv2x.scenario.defaults` when a section changes.
    assert DEFAULTS_FILE.read_text() == defaults_yaml()


def test_shipped_defaults_are_themselves_valid():
    data = yaml.safe_load(DEFAULTS_FILE.read_text())
    errors, _ = schema.validate(data)
    assert errors == []


def test_every_key_is_documented():
    for key, _default, _allowed, doc in schema.describe():
        assert doc.strip(), f"{key} has no documentation"


def test_all_problems_reported_at_once(tmp_path):
    text = """
name: bad
study: {kind: forecastt, seeds: 0}
period: {days: "many", resolution: 5min}
charging: {strategies: [uncontrolled, v3g]}
limits: {v_min_pu: 2.0}
powerflow: {engine: pgm, turbo: true}
networks:
  - builtin: no-such-feeder
"""
    with pytest.raises(ScenarioError) as info:
        read_scenario(_write(tmp_path, text))
    paths = {e.path for e in info.value.errors}
    assert {
        "study.kind",
        "study.seeds",
        "period.days",
        "period.resolution",
        "charging.strategies[1]",
        "limits.v_min_pu",
        "powerflow.turbo",
        "networks[0].builtin",
    } <= paths
    message = str(info.value)
    assert "forecastt" in message and "adoption_forecast" in message  # given and allowed
    assert "no-such-feeder" in message and "se-suburban-villa" in message


def test_unknown_top_level_key_is_an_error(tmp_path):
    with pytest.raises(ScenarioError) as info:
        read_scenario(_write(tmp_path, "name: x\nchargin: {}\n"))
    [error] = info.value.errors
    assert error.path == "chargin"
    assert "charging" in error.message  # the allowed keys are listed


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ("name: x\nstudy: {seeds: 2.5}\n", "study.seeds", "integer"),
        ("name: x\nstudy: {seeds: true}\n", "study.seeds", "integer"),
        ("name: x\nperiod: {start: 2030-13-01}\n", "period.start", "date"),
        ("name: x\nstudy: {ev_shares: [0.5, 0.2]}\n", "study.ev_shares", "increasing"),
        ("name: 'my study/2030'\n", "name", "folder"),
        ("name: x\nnetworks: {builtin: se-suburban-villa}\n", "networks", "list"),
        ("name: x\nnetworks: [{gis: missing.gpkg}]\n", "networks[0].gis", "not found"),
        (
            "name: x\nnetworks: [{builtin: se-suburban-villa, simbench: 1-LV-rural1--0-sw}]\n",
            "networks[0]",
            "exactly one",
        ),
        (
            "name: x\nclimate: {temperature_file: nowhere.csv}\n",
            "climate.temperature_file",
            "not found",
        ),
        ("name: x\ndemand: {model: metered}\n", "demand.metered_file", "required"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, path, words):
    with pytest.raises(ScenarioError) as info:
        read_scenario(_write(tmp_path, text))
    errors = [e for e in info.value.errors if e.path == path]
    assert errors, f"no error at {path}: {info.value.errors}"
    assert words in str(errors[0])


def test_relative_paths_resolve_against_the_scenario_folder(tmp_path):
    sub = tmp_path / "study"
    sub.mkdir()
    (sub / "temps.csv").write_text("time,temperature_c\n2030-01-01 00:00,1.0\n")
    scenario = read_scenario(_write(sub, "name: x\nclimate: {temperature_file: temps.csv}\n"))
    assert scenario["climate"]["temperature_file"] == str((sub / "temps.csv").resolve())


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("# only a comment\n", "only comments"),
        ("name: [unclosed\n", "not valid YAML at line"),
        ("- a\n- b\n", "mapping"),
    ],
)
def test_file_level_problems(tmp_path, text, words):
    with pytest.raises(InputError) as info:
        read_scenario(_write(tmp_path, text))
    assert words in str(info.value)
    assert "s.yaml" in str(info.value)


def test_missing_file():
    with pytest.raises(InputError, match="not found"):
        read_scenario("does/not/exist.yaml")


def test_duplicate_feeder_names_need_distinct_names():
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(
            {"networks": [{"builtin": "se-suburban-villa"}, {"builtin": "se-suburban-villa"}]}
        )
    assert info.value.errors[0].path == "networks[1].name"
    ok = scenario_from_dict(
        {
            "networks": [
                {"builtin": "se-suburban-villa"},
                {"builtin": "se-suburban-villa", "name": "villa-2"},
            ]
        }
    )
    assert [n["name"] for n in ok.networks] == ["se-suburban-villa", "villa-2"]


def test_replace_revalidates():
    scenario = scenario_from_dict({"name": "x"})
    assert scenario.replace(study={"seeds": 3}).study["seeds"] == 3
    with pytest.raises(ScenarioError):
        scenario.replace(study={"seeds": -1})


def test_digest_identifies_the_resolved_scenario():
    a = scenario_from_dict({"name": "x"})
    b = scenario_from_dict({"name": "x", "study": {"seed": 0}})  # same after defaults
    c = scenario_from_dict({"name": "x", "study": {"seed": 1}})
    assert a.digest() == b.digest() != c.digest()
