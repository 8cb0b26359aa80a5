"""GIS reader, checks and export: round trips, snapping, service cables, broken files, CLI."""

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString, Point

from gridv2x.cli_networks import networks
from gridv2x.errors import InputError
from gridv2x.network import (
    check_gis,
    list_builtin,
    read_builtin,
    read_gis,
    read_network,
    write_gis,
)
from gridv2x.network.design import run_design_peak
from gridv2x.network.gis import feeder_layers

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parents[2]


def _customer_vm(feeder):
    net = run_design_peak(feeder)
    c = feeder.customers.set_index("customer_id")
    return net.res_bus.vm_pu.loc[c.bus].set_axis(c.index).sort_index()


@pytest.mark.parametrize("name", sorted(list_builtin()))
def test_gpkg_round_trip_same_load_flow(name, tmp_path):
    """Export a built-in feeder to GeoPackage, read it back: same design-peak voltages at every
    customer within 1e-9 pu and the same lines."""
    feeder = read_builtin(name)
    path = write_gis(feeder, tmp_path / f"{name}.gpkg")
    assert [p for p in check_gis(path) if p.is_error] == []
    back = read_gis(path, name=name)
    assert len(back.net.line) == len(feeder.net.line)
    assert back.net.line.length_km.sum() == pytest.approx(feeder.net.line.length_km.sum(), 1e-12)
    pd_cols = ["dwelling", "heating", "fuse_a", "annual_kwh", "phases", "phase"]
    a = feeder.customers.set_index("customer_id")[pd_cols].sort_index()
    b = back.customers.set_index("customer_id")[pd_cols].sort_index()
    assert (a == b).all().all()
    diff = (_customer_vm(feeder) - _customer_vm(back)).abs().max()
    assert diff < 1e-9


def test_geojson_folder_in_wgs84_is_reprojected(tmp_path):
    """Layers in EPSG:4326 are reprojected to SWEREF 99 TM: same load flow within 1e-9 pu
    (lengths come from length_m) and customer positions within 1 mm."""
    feeder = read_builtin("se-rural-overhead")
    folder = tmp_path / "wgs84"
    folder.mkdir()
    for name, gdf in feeder_layers(feeder).items():
        gdf.to_crs("EPSG:4326").to_file(folder / f"{name}.geojson", driver="GeoJSON")
    back = read_gis(folder)
    assert back.crs == "EPSG:3006"
    diff = (_customer_vm(feeder) - _customer_vm(back)).abs().max()
    assert diff < 1e-9
    c0 = feeder.customers.set_index("customer_id").sort_index()
    c1 = back.customers.set_index("customer_id").sort_index()
    assert np.abs(c0.x - c1.x).max() < 1e-3 and np.abs(c0.y - c1.y).max() < 1e-3


def _write(tmp_path, lines, customers, sn_kva=200, crs="EPSG:3006"):
    path = tmp_path / "feeder.gpkg"
    gpd.GeoDataFrame(
        {"substation_id": ["S1"], "sn_kva": [sn_kva]}, geometry=[Point(0, 0)], crs=crs
    ).to_file(path, layer="substation")
    gpd.GeoDataFrame(
        [{k: v for k, v in ln.items() if k != "geometry"} for ln in lines],
        geometry=[ln["geometry"] for ln in lines],
        crs=crs,
    ).to_file(path, layer="lines")
    gpd.GeoDataFrame(
        [{k: v for k, v in c.items() if k != "geometry"} for c in customers],
        geometry=[c["geometry"] for c in customers],
        crs=crs,
    ).to_file(path, layer="customers")
    return path


def _villa(cid, x, y):
    return {
        "customer_id": cid,
        "dwelling": "villa",
        "heating": "heat_pump",
        "fuse_a": 20,
        "geometry": Point(x, y),
    }


def test_snapping_t_junction_and_service_cable(tmp_path):
    """A branch starting on the middle vertex of the trunk splits it; an end 0.5 m off snaps; a
    customer 30 m from the trunk gets a 30 m service cable of the service_cable type."""
    lines = [
        {
            "line_id": "T1",
            "cable_type": "N1XV 4x150",
            "geometry": LineString([(0, 0), (100, 0), (200, 0)]),
        },
        {
            "line_id": "B1",
            "cable_type": "AXQJ 4x50/15",
            "geometry": LineString([(100, 0.5), (100, 80)]),
        },
    ]
    customers = [_villa("c1", 200, 0), _villa("c2", 100, 80), _villa("c3", 150, 30)]
    path = _write(tmp_path, lines, customers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        feeder = read_gis(path)
    assert any("service cable" in str(w.message) for w in caught)
    line = feeder.net.line.set_index("name")
    # T1 split at the junction (100, 0) and at the service attachment (150, 0)
    assert {"T1#1", "T1#2", "T1#3", "B1", "service-c3"} == set(line.index)
    assert line.at["T1#1", "length_km"] == pytest.approx(0.100)
    assert line.at["T1#2", "length_km"] == pytest.approx(0.050)
    assert line.at["service-c3", "length_km"] == pytest.approx(0.030)
    assert line.at["service-c3", "std_type"] == "N1XE 4x25"
    assert line.at["B1", "length_km"] == pytest.approx(0.0795)
    assert len(feeder.net.bus) == 2 + 5  # 10 kV, busbar, junction, end, branch end, tap, house


def test_loop_is_refused(tmp_path):
    lines = [
        {"line_id": "A", "cable_type": "N1XV 4x150", "geometry": LineString([(0, 0), (100, 0)])},
        {
            "line_id": "B",
            "cable_type": "N1XV 4x150",
            "geometry": LineString([(100, 0), (100, 100)]),
        },
        {"line_id": "C", "cable_type": "N1XV 4x150", "geometry": LineString([(100, 100), (0, 0)])},
    ]
    path = _write(tmp_path, lines, [_villa("c1", 100, 100)])
    loops = [p for p in check_gis(path) if p.code == "loop"]
    assert len(loops) == 1 and set(loops[0].ids) == {"A", "B", "C"}
    with pytest.raises(InputError, match="loop"):
        read_gis(path)


def test_missing_attributes_named(tmp_path):
    lines = [{"line_id": "A", "geometry": LineString([(0, 0), (100, 0)])}]
    bad = _villa("c1", 100, 0)
    bad["dwelling"] = "castle"
    path = _write(tmp_path, lines, [bad, {**_villa("c2", 100, 0), "fuse_a": -3}])
    text = "\n".join(str(p) for p in check_gis(path))
    assert "lines A:" in text and "cable_type" in text
    assert "customers c1:" in text and "castle" not in text and "dwelling" in text
    assert "customers c2:" in text and "fuse_a" in text


def test_broken_file_refused_by_cli_naming_all_three():
    """A gap in a line, an unknown cable type and a customer 200 m from any line: exit 2, all
    three named in one run, no traceback."""
    result = CliRunner().invoke(networks, ["check", str(DATA / "broken-feeder.gpkg")])
    assert result.exit_code == 2
    out = result.output
    assert "[gap]" in out and "L2" in out and "L1" in out
    assert "[unknown_cable_type]" in out and "L3" in out and "XYZ 4x99" in out
    assert "[customer_too_far]" in out and "c004" in out and "200 m" in out
    assert "Traceback" not in out
    # the GeoJSON folder version says the same
    folder = CliRunner().invoke(networks, ["check", str(DATA / "broken-feeder")])
    assert folder.exit_code == 2 and "c004" in folder.output
    # --warn reports but exits 0
    assert (
        CliRunner().invoke(networks, ["check", "--warn", str(DATA / "broken-feeder")]).exit_code
        == 0
    )


def test_read_gis_strict_and_warn():
    with pytest.raises(InputError) as err:
        read_gis(DATA / "broken-feeder.gpkg")
    assert "L3" in str(err.value) and "c004" in str(err.value) and "gap" in str(err.value)
    with pytest.warns(UserWarning):
        feeder = read_gis(DATA / "broken-feeder.gpkg", strict=False)
    # what can be built is: L1, L4 and c003 (c001 via a service cable to L1's end)
    assert set(feeder.customers.customer_id) == {"c001", "c003"}


def test_example_feeder_and_read_network_options():
    path = REPO / "networks" / "example-feeder.gpkg"
    assert [p for p in check_gis(path) if p.is_error] == []
    with pytest.warns(UserWarning, match="service cable"):
        feeder = read_network({"gis": "networks/example-feeder.gpkg", "strict": False}, REPO)
    assert len(feeder.customers) == 24
    with pytest.raises(InputError, match="unknown option"):
        read_network({"gis": "networks/example-feeder.gpkg", "tolerance": 3}, REPO)


def test_cli_list_show_export(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(networks, ["list"])
    assert listed.exit_code == 0
    names = [line.split()[0] for line in listed.output.splitlines()]
    assert names == sorted(list_builtin()) and len(names) >= 6
    shown = runner.invoke(networks, ["show", "se-villa-small"])
    assert shown.exit_code == 0 and "315 kVA" in shown.output and "PASS" in shown.output
    bad = runner.invoke(networks, ["show", "se-nowhere"])
    assert bad.exit_code == 2 and "available" in bad.output and "Traceback" not in bad.output
    for fmt, out in (
        ("pandapower", tmp_path / "f.json"),
        ("gpkg", tmp_path / "f.gpkg"),
        ("geojson", tmp_path / "f"),
    ):
        res = runner.invoke(
            networks, ["export", "se-villa-small", "--format", fmt, "--out", str(out)]
        )
        assert res.exit_code == 0, res.output
        assert out.exists()
        back = runner.invoke(networks, ["check", str(out)])
        assert back.exit_code == 0, back.output
    gj = json.loads((tmp_path / "f" / "lines.geojson").read_text())
    assert gj["features"][0]["properties"]["cable_type"]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs_warns_and_missing_layer_is_an_error(tmp_path):
    X0, Y0 = 667_000.0, 6_591_000.0  # noqa: N806  SWEREF 99 TM metres
    folder = tmp_path / "nocrs"
    folder.mkdir()
    gpd.GeoDataFrame({"substation_id": ["S"], "sn_kva": [100]}, geometry=[Point(X0, Y0)]).to_file(
        folder / "substation.geojson"
    )
    gpd.GeoDataFrame(
        {"line_id": ["A"], "cable_type": ["N1XV 4x95"]},
        geometry=[LineString([(X0, Y0), (X0 + 50, Y0)])],
    ).to_file(folder / "lines.geojson")
    gpd.GeoDataFrame(
        {"customer_id": ["c1"], "dwelling": ["villa"], "fuse_a": [16]},
        geometry=[Point(X0 + 50, Y0)],
    ).to_file(folder / "customers.geojson")
    # GeoJSON without "crs" reads as WGS84; metre coordinates are taken as SWEREF 99 TM
    with pytest.warns(UserWarning, match="SWEREF"):
        feeder = read_gis(folder)
    assert feeder.net.line.length_km.iloc[0] == pytest.approx(0.050)
    (folder / "customers.geojson").unlink()
    problems = check_gis(folder)
    codes = {p.code for p in problems}
    assert "missing_layer" in codes and "crs" in codes
    with pytest.raises(InputError, match="customers"):
        read_gis(folder)
