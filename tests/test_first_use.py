"""Smaller defects of the first use (issue 13, item 9): every public start time accepts the
same forms, ISO week dates are refused, the console shows gridv2x's own messages only (once
each), and every package gridv2x imports is declared."""

from __future__ import annotations

import ast
import datetime as dt
import sys
import tomllib
import warnings
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from gridv2x.calendar import start_day
from gridv2x.cli import main
from gridv2x.conventions import period_index
from gridv2x.errors import InputError
from gridv2x.mobility import synthesize_sessions
from gridv2x.period import weeks_in_period

ROOT = Path(__file__).resolve().parents[1]

SAME_DAY = [
    "2030-01-01",
    "2030-01-01T00:00",
    "2030-01-01 00:00:00",
    "2030-01-01T00:00+01:00",
    "2029-12-31T23:00Z",
    dt.date(2030, 1, 1),
    dt.datetime(2030, 1, 1),
    pd.Timestamp("2030-01-01"),
    pd.Timestamp("2030-01-01", tz="Europe/Stockholm"),
    pd.Timestamp("2029-12-31 23:00", tz="UTC"),
]


@pytest.mark.parametrize("start", SAME_DAY, ids=[repr(s) for s in SAME_DAY])
def test_every_form_of_a_start_gives_the_same_period(start):
    expected = period_index("2030-01-01", 2)
    assert period_index(start, 2).equals(expected)
    assert weeks_in_period(start, 14) == weeks_in_period("2030-01-01", 14)


def test_synthesize_sessions_accepts_a_tz_aware_start():
    aware = synthesize_sessions(4, pd.Timestamp("2030-01-01", tz="Europe/Stockholm"), 7, seed=1)
    text = synthesize_sessions(4, "2030-01-01", 7, seed=1)
    pd.testing.assert_frame_equal(aware, text)


def test_a_summer_time_start_is_the_local_day():
    # 22:30 UTC on 30 June is 00:30 on 1 July in Stockholm (UTC+2)
    assert start_day(pd.Timestamp("2030-06-30 22:30", tz="UTC")) == dt.date(2030, 7, 1)


@pytest.mark.parametrize(
    "start", ["2030-W01-1", "2030W011", "2030-001", "20300101", "1.1.2030", "9999-01-01", 2030]
)
def test_week_and_ordinal_dates_and_other_forms_are_refused(start):
    with pytest.raises(InputError, match="allowed"):
        period_index(start, 2)


def test_scenario_refuses_an_iso_week_date(tmp_path):
    (tmp_path / "w.yaml").write_text("name: w\nperiod: {start: 2030-W01-1}\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "w.yaml")])
    assert result.exit_code == 2
    assert "period.start" in result.output


def test_console_shows_own_warnings_once_and_hides_library_notices():
    from gridv2x import console

    console._shown.clear()
    stderr = []

    class Sink:
        def write(self, text):
            stderr.append(text)

    with warnings.catch_warnings():
        console.route_warnings()
        own = ROOT / "gridv2x" / "network" / "gis.py"
        for _ in range(2):
            warnings.showwarning("gis x: warning: [crs] layer", UserWarning, str(own), 1, Sink())
        warnings.showwarning(
            "Port 8787 is already in use.",
            UserWarning,
            "/site-packages/distributed/node.py",
            1,
            Sink(),
        )
    assert "".join(stderr) == "warning: gis x: [crs] layer\n"


def test_networks_check_prints_each_problem_once_without_raw_warnings(tmp_path):
    import geopandas as gpd

    from gridv2x.network import read_builtin, write_gis

    path = write_gis(read_builtin("se-rural-cable"), tmp_path / "f.gpkg")
    folder = tmp_path / "layers"
    folder.mkdir()
    for name in ("substation", "lines", "customers"):  # metres labelled as lon/lat: warnings
        layer = gpd.read_file(path, layer=name).set_crs("EPSG:4326", allow_override=True)
        layer.to_file(folder / f"{name}.geojson", driver="GeoJSON")
    result = CliRunner().invoke(main, ["networks", "check", str(folder), "--no-design"])
    assert result.exit_code == 0, result.output
    assert "UserWarning" not in result.output
    assert result.output.count("layer says EPSG:4326") == 3  # one per layer, not repeated


def _imported_packages() -> set[str]:
    names = set()
    for file in (ROOT / "gridv2x").rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"gridv2x"}


DISTRIBUTIONS = {"yaml": "pyyaml", "power_grid_model": "power-grid-model", "distributed": "dask"}
OPTIONAL = {"numba", "selenium", "lightsim2grid"}  # looked up, used when installed


def test_every_imported_package_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {
        d.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
        for d in project["dependencies"]
    }
    missing = sorted(
        name
        for name in _imported_packages() - OPTIONAL
        if DISTRIBUTIONS.get(name, name).lower() not in declared
    )
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
