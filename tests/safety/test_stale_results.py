"""No stale or mixed results (issue 13, item 3), through the console entry.

A task is reused only when everything it was computed from is identical: after any input
file changed, a rerun into the same folder gives exactly the summary of a fresh run into a new
folder; a different scenario run into a folder never leaves the first one's files behind.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from gridv2x.network.builtin import read_builtin
from gridv2x.network.gis import write_gis
from gridv2x.network.readers import write_pandapower_json
from gridv2x.report.load import load_results

from .conftest import invoke, provenance, scenario_text, summary

FEEDER = "se-villa-small"
HOURS = pd.date_range("2030-01-13", "2030-01-18", freq="60min", tz="Europe/Stockholm")


def _write_inputs(folder, scale: dict[str, float]) -> None:
    """GIS folder, pandapower JSON, temperature, meter, price and area files."""
    s = {k: scale.get(k, 1.0) for k in ("gis", "pandapower", "temperature", "meter", "price")}
    feeder = read_builtin(FEEDER)
    if not (folder / "gis.gpkg").exists() or "gis" in scale:
        gis_feeder = read_builtin(FEEDER)
        gis_feeder.net.trafo["sn_mva"] *= s["gis"]  # the substation layer's sn_kva
        write_gis(gis_feeder, folder / "gis.gpkg")
    pp_feeder = read_builtin(FEEDER)
    pp_feeder.net.trafo["sn_mva"] *= s["pandapower"]
    write_pandapower_json(pp_feeder, folder / "net.json")
    time = HOURS.strftime("%Y-%m-%dT%H:%M:%S%z")
    hours = np.arange(len(HOURS))
    pd.DataFrame({"time": time, "temperature_c": -5.0 * s["temperature"] + 0 * hours}).to_csv(
        folder / "temps.csv", index=False
    )
    ids = list(feeder.customers["customer_id"])
    meters = {"time": time} | {c: 1.0 + 0.5 * np.sin(hours / 3.0 + i) for i, c in enumerate(ids)}
    meters = pd.DataFrame(meters)
    meters[ids] *= s["meter"]
    meters.to_csv(folder / "meters.csv", index=False)
    prices = 0.5 + 0.4 * np.sin(hours * 2 * np.pi / 24.0) * s["price"]
    pd.DataFrame({"time": time, "price_sek_per_kwh": prices}).to_csv(
        folder / "prices.csv", index=False
    )
    x, y = feeder.customers["x"], feeder.customers["y"]
    ring = [
        [x.min() - 50, y.min() - 50],
        [x.max() + 50, y.min() - 50],
        [x.max() + 50, y.max() + 50],
        [x.min() - 50, y.max() + 50],
        [x.min() - 50, y.min() - 50],
    ]
    share = 0.3 * scale.get("areas", 1.0)
    areas = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"bev_share": share, "income_index": 1.0},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[list(map(float, p)) for p in ring]],
                },
            }
        ],
    }
    (folder / "areas.geojson").write_text(json.dumps(areas))


ALL_INPUTS = (
    "climate: {temperature_file: temps.csv}\n"
    "demand: {model: metered, metered_file: meters.csv}\n"
    "adoption: {share: 0.5, areas: areas.geojson}\n"
)


def _scenario(folder) -> None:
    text = scenario_text(network="{gis: gis.gpkg, name: g}, {pandapower_json: net.json, name: p}")
    text = text.replace("adoption: {share: 0.5}\n", "")
    text = text.replace(
        "charging: {strategies: [v1g]}",
        "charging: {strategies: [v1g], price_file: prices.csv, v1g: {objective: price}}",
    )
    (folder / "s.yaml").write_text(text + ALL_INPUTS)


def _run(folder, out: str):
    result = invoke(
        "run", str(folder / "s.yaml"), "--out", str(folder / out), "--workers", "0", "--quiet"
    )
    assert result.exit_code == 0, result.output
    return summary(folder / out)


def _check_changed_file_gives_fresh_run(folder, kind: str) -> None:
    _write_inputs(folder, {})
    _scenario(folder)
    first = _run(folder, "out")
    assert provenance(folder / "out")["tasks_run_now"] == len(first)
    again = _run(folder, "out")  # nothing changed: every task reused
    assert provenance(folder / "out")["tasks_run_now"] == 0
    pd.testing.assert_frame_equal(again, first)
    _write_inputs(folder, {kind: 0.5})
    rerun = _run(folder, "out")
    assert provenance(folder / "out")["tasks_run_now"] == len(rerun), "stale tasks reused"
    fresh = _run(folder, "fresh")
    pd.testing.assert_frame_equal(rerun, fresh)


@pytest.mark.slow  # four short runs
def test_changed_temperature_file_gives_a_fresh_run(tmp_path):
    _check_changed_file_gives_fresh_run(tmp_path, "temperature")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gis", "pandapower", "meter", "price", "areas"])
def test_every_changed_input_file_gives_a_fresh_run(tmp_path, kind):
    _check_changed_file_gives_fresh_run(tmp_path, kind)


def test_two_scenarios_into_one_folder_never_mix(in_tmp):
    (in_tmp / "hc.yaml").write_text(scenario_text(name="first", kind="hosting_capacity"))
    (in_tmp / "cmp.yaml").write_text(
        scenario_text(name="second", network="{builtin: se-villa-small, name: other}")
    )
    assert invoke("run", "hc.yaml", "--out", "out", "--workers", "0", "--quiet").exit_code == 0
    out = in_tmp / "out"
    assert (out / "hosting_capacity.csv").is_file()
    (out / "my-notes.txt").write_text("a user's file")  # never removed
    result = invoke("run", "cmp.yaml", "--out", "out", "--workers", "0", "--quiet")
    assert result.exit_code == 0, result.output
    for name in ("hosting_capacity.csv", "violation_probability.csv"):
        assert not (out / name).exists(), name
    assert set(summary(out)["feeder"]) == {"other"}
    tasks = {p.name for p in (out / "results").iterdir()} - {"feeders", "fleet"}
    assert tasks == set(summary(out)["task_id"])
    assert {p.name for p in (out / "results" / "fleet").iterdir()} == {
        "other-seed0.parquet",
        "other-base_load.parquet",
    }
    assert {p.name for p in (out / "results" / "feeders").iterdir()} == {"other.geojson"}
    report = load_results(out)
    assert report.hosting_capacity is None and set(report.feeders_geo) == {"other"}
    assert (out / "my-notes.txt").read_text() == "a user's file"
    assert "second" in (out / "scenario.resolved.yaml").read_text()


def test_python_api_write_never_mixes(in_tmp):
    import gridv2x

    (in_tmp / "hc.yaml").write_text(scenario_text(name="first", kind="hosting_capacity"))
    (in_tmp / "cmp.yaml").write_text(scenario_text(name="second"))
    gridv2x.run("hc.yaml", workers=0, progress=False).write("out", report=False)
    assert (in_tmp / "out" / "hosting_capacity.csv").is_file()
    gridv2x.run("cmp.yaml", workers=0, progress=False).write("out", report=False)
    assert not (in_tmp / "out" / "hosting_capacity.csv").exists()
    assert os.listdir(in_tmp / "out" / "results" / "fleet") == ["se-villa-small-seed0.parquet"] or (
        sorted(os.listdir(in_tmp / "out" / "results" / "fleet"))
        == ["se-villa-small-base_load.parquet", "se-villa-small-seed0.parquet"]
    )
