"""Area exports: many substations in one GIS file, Swedish names through a mapping, shapefiles,
strict and lenient reading, scenario entries and the CLI."""

import warnings
from pathlib import Path

import geopandas as gpd
import pandapower as pp
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from shapely.geometry import LineString, Point

from gridv2x.cli_networks import networks
from gridv2x.errors import InputError, ScenarioError
from gridv2x.network import read_area, read_gis
from gridv2x.network.area import check_area
from gridv2x.network.mapping import read_mapping
from gridv2x.network.synthesize import SWEDISH_MAPPING

REPO = Path(__file__).parents[2]

# their (Swedish) names, as a DSO's export would have them
MAPPING = {
    "layers": {"substation": "Nätstation", "lines": "Kabel", "customers": "Kund"},
    "columns": {
        "substation": {
            "substation_id": "stationsnr",
            "sn_kva": "märkeffekt",
            "vk_percent": "uk_pct",
            "vkr_percent": "ur_pct",
            "pfe_kw": "tomgång_kw",
            "i0_percent": "tomgångsström_pct",
        },
        "lines": {
            "line_id": "kabel_id",
            "r_ohm_per_km": "r_ohm_km",
            "x_ohm_per_km": "x_ohm_km",
            "max_i_a": "märkström",
        },
        "customers": {
            "customer_id": "anl_id",
            "dwelling": "byggnad",
            "fuse_a": "säkring",
            "heating": "värme",
        },
    },
    "values": {
        "dwelling": {"villa": ["Småhus"], "apartment": "Flerbostadshus"},
        "heating": {"heat_pump": "Värmepump", "none": "Övrigt"},
    },
}

# three substations; each: station -> P1 (trunk), P1 -> P2 and P1 -> P3 (branches);
# customers at P1, P2, P3 (the trunk's end meets the branches' starts)
SUBSTATIONS = {
    "NS-101": {"xy": (0.0, 0.0), "sn": 200.0, "vk": 4.0, "vkr": 1.2, "scale": 1.0},
    "NS-102": {"xy": (2000.0, 0.0), "sn": 315.0, "vk": 4.5, "vkr": 1.0, "scale": 1.6},
    "NS-103": {"xy": (0.0, 3000.0), "sn": 500.0, "vk": 4.0, "vkr": 0.9, "scale": 0.7},
}
CABLES = {  # r, x [ohm/km], max_i [A]
    "trunk": (0.125, 0.07, 335.0),
    "b1": (0.32, 0.075, 185.0),
    "b2": (0.64, 0.08, 125.0),
}
LOAD_KW = {"P1": 12.0, "P2": 8.0, "P3": 15.0}


def _points(sid):
    x0, y0 = SUBSTATIONS[sid]["xy"]
    k = SUBSTATIONS[sid]["scale"]
    return {
        "S": (x0, y0),
        "P1": (x0 + 150 * k, y0),
        "P2": (x0 + 150 * k, y0 + 120 * k),
        "P3": (x0 + 300 * k, y0 - 40 * k),
    }


EDGES = (("trunk", "S", "P1"), ("b1", "P1", "P2"), ("b2", "P1", "P3"))


def _write_area(path, broken_link=False):
    subs, lines, customers = [], [], []
    for sid, spec in SUBSTATIONS.items():
        pts = _points(sid)
        subs.append(
            {
                "stationsnr": sid,
                "märkeffekt": spec["sn"],
                "uk_pct": spec["vk"],
                "ur_pct": spec["vkr"],
                "tomgång_kw": 0.0,
                "tomgångsström_pct": 0.0,
                "geometry": Point(pts["S"]),
            }
        )
        for name, a, b in EDGES:
            r, x, i = CABLES[name]
            mid = ((pts[a][0] + pts[b][0]) / 2, (pts[a][1] + pts[b][1]) / 2 + 3)
            lines.append(
                {
                    "kabel_id": f"{sid}-{name}",
                    "r_ohm_km": r,
                    "x_ohm_km": x,
                    "märkström": i,
                    "geometry": LineString([pts[a], mid, pts[b]]),
                }
            )
        for p, dwelling, heating in (
            ("P1", "Småhus", "Värmepump"),
            ("P2", "Flerbostadshus", "Övrigt"),
            ("P3", "småhus ", "värmepump"),  # letter case and spaces differ: still matched
        ):
            customers.append(
                {
                    "anl_id": f"{sid}-{p}",
                    "byggnad": dwelling,
                    "säkring": 25,
                    "värme": heating,
                    "geometry": Point(pts[p]),
                }
            )
    if broken_link:  # a link cable between NS-101 and NS-102 drawn closed
        a = _points("NS-101")["P3"]
        b = _points("NS-102")["S"]
        lines.append(
            {
                "kabel_id": "link-101-102",
                "r_ohm_km": 0.32,
                "x_ohm_km": 0.075,
                "märkström": 185.0,
                "geometry": LineString([a, b]),
            }
        )
    for layer, rows in (("Nätstation", subs), ("Kabel", lines), ("Kund", customers)):
        gpd.GeoDataFrame(rows, crs="EPSG:3006").to_file(path, layer=layer, driver="GPKG")
    return path


def _independent_net(sid):
    """The substation's network built directly in pandapower from the drawing above."""
    spec = SUBSTATIONS[sid]
    pts = _points(sid)
    net = pp.create_empty_network()
    hv = pp.create_bus(net, 10.0)
    bus = {n: pp.create_bus(net, 0.4) for n in pts}
    pp.create_ext_grid(net, hv, vm_pu=1.03)
    pp.create_transformer_from_parameters(
        net,
        hv,
        bus["S"],
        sn_mva=spec["sn"] / 1000,
        vn_hv_kv=10.0,
        vn_lv_kv=0.4,
        vkr_percent=spec["vkr"],
        vk_percent=spec["vk"],
        pfe_kw=0.0,
        i0_percent=0.0,
        shift_degree=150,
    )
    for name, a, b in EDGES:
        r, x, i = CABLES[name]
        mid = ((pts[a][0] + pts[b][0]) / 2, (pts[a][1] + pts[b][1]) / 2 + 3)
        length = LineString([pts[a], mid, pts[b]]).length / 1000
        pp.create_line_from_parameters(net, bus[a], bus[b], length, r, x, 0.0, i / 1000)
    for p, kw in LOAD_KW.items():
        pp.create_load(net, bus[p], p_mw=kw / 1000, q_mvar=kw / 4000, name=f"{sid}-{p}")
    pp.runpp(net)
    return {f"{sid}-{p}": float(net.res_bus.vm_pu[bus[p]]) for p in LOAD_KW}


def _solved(feeder):
    net = feeder.net
    for _, c in feeder.customers.iterrows():
        kw = LOAD_KW[c.customer_id.rsplit("-", 1)[1]]
        net.load.loc[c["load"], ["p_mw", "q_mvar"]] = (kw / 1000, kw / 4000)
    pp.runpp(net)
    return {c.customer_id: float(net.res_bus.vm_pu[c.bus]) for _, c in feeder.customers.iterrows()}


def test_swedish_area_through_mapping_file_matches_pandapower(tmp_path):
    """A GeoPackage with Swedish layer and attribute names and codes, read through a mapping
    file, gives one feeder per substation whose customer voltages match a pandapower net
    built independently from the drawing within 1e-9 pu."""
    path = _write_area(tmp_path / "område.gpkg")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING, allow_unicode=True), encoding="utf-8")
    feeders = read_area(path, mapping)
    assert list(feeders) == list(SUBSTATIONS)
    for sid, feeder in feeders.items():
        assert feeder.name == sid
        assert feeder.transformer_sn_kva == pytest.approx(SUBSTATIONS[sid]["sn"])
        assert sorted(feeder.customers.customer_id) == [f"{sid}-{p}" for p in LOAD_KW]
        c = feeder.customers.set_index("customer_id")
        assert c.loc[f"{sid}-P1", "dwelling"] == "villa"
        assert c.loc[f"{sid}-P2", "dwelling"] == "apartment"
        assert c.loc[f"{sid}-P3", "heating"] == "heat_pump"
        ours, reference = _solved(feeder), _independent_net(sid)
        assert min(reference.values()) < 1.02  # the loads make a visible drop
        for cid, vm in reference.items():
            assert ours[cid] == pytest.approx(vm, abs=1e-9)


def test_link_between_substations_strict_and_lenient(tmp_path):
    """A link cable drawn closed between two substations: strict reading fails naming both
    substations and the link; strict=False reads the third and lists the two."""
    path = _write_area(tmp_path / "area.gpkg", broken_link=True)
    with pytest.raises(InputError) as err:
        read_area(path, MAPPING)
    text = str(err.value)
    assert "NS-101" in text and "NS-102" in text and "link-101-102" in text
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        feeders = read_area(path, MAPPING, strict=False)
    assert list(feeders) == ["NS-103"]
    assert any("NS-101" in str(w.message) and "NS-102" in str(w.message) for w in caught)
    check = check_area(path, MAPPING)
    assert set(check.excluded) == {"NS-101", "NS-102"} and check.fine == ["NS-103"]


def test_select_and_unknown_substation(tmp_path):
    path = _write_area(tmp_path / "area.gpkg")
    assert list(read_area(path, MAPPING, select=["NS-103", "NS-101"])) == ["NS-103", "NS-101"]
    with pytest.raises(InputError, match="NS-999"):
        read_area(path, MAPPING, select=["NS-999"])


def test_shapefile_folder_with_short_names(tmp_path):
    """A folder of shapefiles (attribute names cut to 10 characters, as shapefiles do) reads
    through a mapping like the GeoPackage: the same voltages."""
    gpkg = _write_area(tmp_path / "area.gpkg")
    folder = tmp_path / "shp"
    folder.mkdir()
    short = {"substation": {}, "lines": {}, "customers": {}}
    for ours, theirs in MAPPING["layers"].items():
        gdf = gpd.read_file(gpkg, layer=theirs)
        renames = {}
        for attribute, column in MAPPING["columns"][ours].items():
            renames[column] = f"F{len(renames)}_{attribute[:6]}"
            short[ours][attribute] = renames[column]
        gdf.rename(columns=renames).to_file(folder / f"{ours.upper()}.shp")
    mapping = {"columns": short, "values": MAPPING["values"]}
    feeders = read_area(folder, mapping)
    assert list(feeders) == list(SUBSTATIONS)
    for sid, feeder in feeders.items():
        ref = _independent_net(sid)
        ours = _solved(feeder)
        assert max(abs(ours[c] - v) for c, v in ref.items()) < 1e-9
    one = folder / "one"
    one.mkdir()
    for layer in ("substation", "lines", "customers"):
        gdf = gpd.read_file(folder / f"{layer.upper()}.shp")
        key = short[layer].get("substation_id") if layer == "substation" else None
        if layer == "substation":
            gdf = gdf[gdf[key] == "NS-101"]
        elif layer == "lines":
            gdf = gdf[gdf[short["lines"]["line_id"]].str.startswith("NS-101")]
        else:
            gdf = gdf[gdf[short["customers"]["customer_id"]].str.startswith("NS-101")]
        gdf.to_file(one / f"{layer}.shp")
    feeder = read_gis(one / "lines.shp", mapping)  # a .shp file means its folder
    assert feeder.name == "NS-101" and len(feeder.customers) == 3


@pytest.mark.parametrize(
    "bad, key",
    [
        ({"layer": {}}, "layer"),
        ({"layers": {"kablar": "Kabel"}}, "layers.kablar"),
        ({"layers": {"lines": ""}}, "layers.lines"),
        ({"columns": {"lines": {"kabel": "kabel_id"}}}, "columns.lines.kabel"),
        ({"columns": {"lines": ["kabel_id"]}}, "columns.lines"),
        ({"values": {"dwelling": {"hus": "Småhus"}}}, "values.dwelling.hus"),
        ({"values": {"fuse_a": {"16": "16A"}}}, "values.fuse_a"),
        ({"values": {"dwelling": {"apartment": "x", "villa": "X"}}}, "values.dwelling.villa"),
    ],
)
def test_malformed_mapping_exit_2_naming_the_key(tmp_path, bad, key):
    path = _write_area(tmp_path / "area.gpkg")
    mapping = tmp_path / "bad.yaml"
    mapping.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        read_mapping(bad)
    result = CliRunner().invoke(networks, ["check", str(path), "--mapping", str(mapping)])
    assert result.exit_code == 2
    assert key in result.output and "Traceback" not in result.output


def test_mapped_attribute_missing_from_the_file(tmp_path):
    path = _write_area(tmp_path / "area.gpkg")
    mapping = {
        **MAPPING,
        "columns": {**MAPPING["columns"], "customers": {"fuse_a": "huvudsäkring"}},
    }
    check = check_area(path, mapping)
    assert any("huvudsäkring" in p.message for p in check.area)


def test_cli_check_area(tmp_path):
    path = _write_area(tmp_path / "area.gpkg", broken_link=True)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(networks, ["check", str(path), "--mapping", str(mapping)])
    assert result.exit_code == 2
    assert "3 substation(s), 1 without errors" in result.output
    assert "NS-101" in result.output and "[loop]" in result.output
    result = runner.invoke(networks, ["check", str(path), "--mapping", str(mapping), "--warn"])
    assert result.exit_code == 0
    result = runner.invoke(networks, ["check", str(path)])  # no mapping: layers not found
    assert result.exit_code == 2 and "Nätstation" in result.output


def test_scenario_area_entry(tmp_path):
    """networks: [{area, mapping, select}] studies one feeder per selected substation; with
    options.strict false the broken substations are listed (excluded), not studied."""
    from gridv2x.scenario import scenario_from_dict
    from gridv2x.study import Study

    _write_area(tmp_path / "area.gpkg", broken_link=True)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(MAPPING, allow_unicode=True), "utf-8")
    entry = {"area": "area.gpkg", "mapping": "m.yaml"}
    with pytest.raises(ScenarioError, match=r"networks\[0\]\.area"):
        scenario_from_dict({"name": "a", "networks": [entry]}, base_dir=tmp_path)
    sc = scenario_from_dict(
        {"name": "a", "networks": [{**entry, "options": {"strict": False}}]}, base_dir=tmp_path
    )
    excluded = [e["name"] for e in sc.networks if e.get("excluded")]
    assert excluded == ["NS-101", "NS-102"]
    study = Study(sc)
    assert study.feeder_names == ["NS-103"]
    assert study.feeder("NS-103").n_customers == 3
    again = sc.replace(name="b")  # a resolved scenario validates again
    assert [e["name"] for e in again.networks] == ["NS-101", "NS-102", "NS-103"]
    sc = scenario_from_dict(
        {"name": "a", "networks": [{**entry, "select": ["NS-103"], "mapping": MAPPING}]},
        base_dir=tmp_path,
    )
    assert Study(sc).feeder_names == ["NS-103"]
    with pytest.raises(ScenarioError, match=r"networks\[0\]\.mapping"):
        scenario_from_dict(
            {"name": "a", "networks": [{**entry, "mapping": {"layers": {"x": "y"}}}]},
            base_dir=tmp_path,
        )
    with pytest.raises(ScenarioError, match=r"networks\[0\]\.select"):
        scenario_from_dict({"name": "a", "networks": [{"builtin": "se-mixed", "select": ["a"]}]})


def test_shipped_mapping_copies_equal():
    assert (REPO / "networks" / "mapping-sv.yaml").read_text(encoding="utf-8") == (
        SWEDISH_MAPPING.read_text(encoding="utf-8")
    )
    mp = read_mapping(REPO / "networks" / "mapping-sv.yaml")
    assert mp.layers["substation"] == "Nätstation"
    assert mp.values["dwelling"]["småhus"] == "villa"


@pytest.mark.slow
def test_area_study_end_to_end_with_excel(tmp_path):
    """A hosting-capacity study of an area entry: area.csv ranked, hosting_capacity.gpkg with
    points and service areas, the report's area section, and the Excel workbook."""
    import openpyxl

    from gridv2x.cli import main

    _write_area(tmp_path / "area.gpkg")
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(MAPPING, allow_unicode=True), "utf-8")
    scenario = {
        "name": "area",
        "study": {"kind": "hosting_capacity", "seeds": 2, "ev_shares": [0.5, 1.0]},
        "period": {"start": "2030-01-14", "days": 2, "resolution": "60min"},
        "networks": [{"area": "area.gpkg", "mapping": "m.yaml"}],
        "charging": {"strategies": ["uncontrolled", "v1g"]},
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario), "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(tmp_path / "s.yaml"),
            "--out",
            str(out),
            "--workers",
            "0",
            "--quiet",
            "--excel",
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "area.csv")
    assert sorted(table.feeder) == sorted(SUBSTATIONS) and list(table["rank"]) == [1, 2, 3]
    hc = pd.read_csv(out / "hosting_capacity.csv")
    unc = hc[hc.strategy == "uncontrolled"].set_index("feeder").hosting_capacity_share
    assert list(table.hc_uncontrolled) == sorted(unc[table.feeder])  # ranked lowest first
    points = gpd.read_file(out / "hosting_capacity.gpkg", layer="substations")
    areas = gpd.read_file(out / "hosting_capacity.gpkg", layer="service_areas")
    assert len(points) == 3 and points.crs.to_epsg() == 3006
    assert all(a.contains(p) for a, p in zip(areas.geometry, points.geometry, strict=True))
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Area: 3 substations" in html and "fail first" in html
    book = openpyxl.load_workbook(out / "results.xlsx", read_only=True)
    assert {"summary", "hosting_capacity", "area", "tasks"} <= set(book.sheetnames)
    rows = list(book["area"].iter_rows(values_only=True))
    assert rows[0][:2] == ("rank", "feeder") and len(rows) == 4


@pytest.mark.slow
def test_synthesize_cli_reads_back_through_the_shipped_mapping(tmp_path):
    """`networks synthesize` writes Swedish layer names and codes; read back through the
    mapping written next to it, every substation is a feeder equal in lines, cable lengths and
    customers to the built-in feeder it was made from."""
    from gridv2x.network import read_builtin

    out = tmp_path / "kommun.gpkg"
    result = CliRunner().invoke(
        networks, ["synthesize", "--feeders", "5", "--seed", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    mapping = tmp_path / "kommun-mapping.yaml"
    assert mapping.is_file()
    import pyogrio

    assert set(pyogrio.list_layers(out)[:, 0]) == {
        "Nätstation",
        "Lågspänningskabel",
        "Anslutningspunkt",
    }
    raw = gpd.read_file(out, layer="Anslutningspunkt")
    assert {"anläggnings_id", "byggnadstyp", "säkring_a"} <= set(raw.columns)
    assert set(raw["byggnadstyp"]) <= {"småhus", "flerbostadshus", "lantbruk", "verksamhet"}
    feeders = read_area(out, mapping)
    assert len(feeders) == 5
    from gridv2x.network import list_builtin

    templates = [read_builtin(b) for b in list_builtin()]
    for name, feeder in feeders.items():
        template = next(
            t
            for t in templates
            if t.n_customers == feeder.n_customers
            and t.transformer_sn_kva == feeder.transformer_sn_kva
        )
        assert len(feeder.net.line) == len(template.net.line), name
        assert feeder.net.line.length_km.sum() == pytest.approx(template.net.line.length_km.sum())
        assert sorted(feeder.customers.dwelling) == sorted(template.customers.dwelling)
    bad = CliRunner().invoke(networks, ["synthesize", "--feeders", "0", "--out", str(out)])
    assert bad.exit_code == 2
