"""Geographic allocation from an area layer (GeoPackage/GeoJSON, any CRS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.adoption import allocate_evs, local_fleet_share, read_areas
from gridv2x.adoption.weights import CARS_PER_CUSTOMER
from gridv2x.errors import InputError


def test_layer_in_wgs84_allocates_exactly_as_in_sweref(tmp_path, customers, area_layer):
    sweref = tmp_path / "areas.gpkg"
    wgs84 = tmp_path / "areas.geojson"
    area_layer.to_file(sweref, driver="GPKG")
    area_layer.to_crs("EPSG:4326").to_file(wgs84, driver="GeoJSON")
    assert read_areas(wgs84).crs == "EPSG:3006"
    for seed in range(5):
        for kw in ({"share": 0.4}, {"year": 2030}):
            a = allocate_evs(customers, rng=np.random.default_rng(seed), areas=sweref, **kw)
            b = allocate_evs(customers, rng=np.random.default_rng(seed), areas=wgs84, **kw)
            pd.testing.assert_frame_equal(a, b)
    assert set(a["area_id"]) <= {"low", "mid", "high"}


def test_high_share_area_gets_more_evs(tmp_path, customers, area_layer):
    path = tmp_path / "areas.gpkg"
    area_layer.to_file(path, driver="GPKG")
    layer = read_areas(path)  # read once; allocate_evs takes the layer too
    rng = np.random.default_rng(4)
    per_area = pd.Series(0.0, index=["low", "mid", "high"])
    for _ in range(50):
        o = allocate_evs(customers, rng=rng, share=0.3, areas=layer)
        per_area = per_area.add(o["area_id"].value_counts(), fill_value=0)
    # 20 customers per area; bev_share 0.03 / 0.08 / 0.20 (and income 0.8 / 1.0 / 1.4)
    assert per_area["high"] > per_area["mid"] > per_area["low"]


def test_year_with_areas_counts_projected_local_shares(tmp_path, customers, area_layer):
    path = tmp_path / "areas.gpkg"
    area_layer.to_file(path, driver="GPKG")
    layer = read_areas(path)
    rng = np.random.default_rng(8)
    counts = [len(allocate_evs(customers, rng=rng, year=2030, areas=layer)) for _ in range(100)]
    # expected: sum over customers of cars × s_a(2030) × d_i / d̄_a (rule in allocate_evs)
    s = local_fleet_share(area_layer["bev_share"].to_numpy(), year=2030, areas_year=2023)
    villa = area_layer["villa_share"].to_numpy()
    mean_d = villa * 1.0 + (1 - villa) * 0.15
    area_of = np.repeat([0, 1, 2], 20)
    d = np.where(customers["dwelling"] == "villa", 1.0, 0.15)
    expected = CARS_PER_CUSTOMER * np.sum(s[area_of] * d / mean_d[area_of])
    assert np.mean(counts) == pytest.approx(expected, rel=0.01)
    # year == areas_year keeps each area's current share
    np.testing.assert_allclose(
        local_fleet_share(np.array([0.03, 0.2]), year=2023, areas_year=2023), [0.03, 0.2]
    )


def test_missing_column_names_file_and_column(tmp_path, area_layer):
    path = tmp_path / "no_share.gpkg"
    area_layer.drop(columns="bev_share").to_file(path, driver="GPKG")
    with pytest.raises(InputError) as info:
        read_areas(path)
    assert "no_share.gpkg" in str(info.value) and "bev_share" in str(info.value)


def test_bad_values_missing_file_and_uncovered_customers(tmp_path, customers, area_layer):
    bad = tmp_path / "bad.gpkg"
    area_layer.assign(villa_share=[0.2, 1.5, 0.3]).to_file(bad, driver="GPKG")
    with pytest.raises(InputError, match="villa_share"):
        read_areas(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_areas(tmp_path / "nothing.gpkg")
    junk = tmp_path / "junk.geojson"
    junk.write_text("this is not geojson")
    with pytest.raises(InputError, match="junk.geojson"):
        read_areas(junk)
    small = tmp_path / "small.gpkg"
    area_layer.iloc[:2].to_file(small, driver="GPKG")
    with pytest.raises(InputError, match="outside"):
        allocate_evs(customers, rng=np.random.default_rng(0), areas=small)


def test_area_summary_counts_customers_and_evs(customers, area_layer):
    from gridv2x.adoption import area_summary

    owners = allocate_evs(customers, rng=np.random.default_rng(0), share=0.5, areas=area_layer)
    summary = area_summary(area_layer, customers, owners)
    assert summary.crs == "EPSG:4326"
    assert summary["n_customers"].sum() == len(customers)
    assert summary["n_evs"].sum() == len(owners)
    counts = owners["area_id"].value_counts()
    for _, row in summary.iterrows():
        assert row["n_evs"] == counts.get(row["area_id"], 0)


def test_layer_without_crs_or_polygons_is_refused(tmp_path, area_layer):
    import geopandas as gpd
    from shapely.geometry import Point

    from gridv2x.adoption import check_areas

    with pytest.raises(InputError, match="coordinate reference system"):
        check_areas(area_layer.set_crs(None, allow_override=True), source="mine.gpkg")
    points = gpd.GeoDataFrame(
        {"bev_share": [0.1]}, geometry=[Point(667000, 6592000)], crs="EPSG:3006"
    )
    path = tmp_path / "points.gpkg"
    points.to_file(path, driver="GPKG")
    with pytest.raises(InputError, match="points.gpkg.*Point"):
        read_areas(path)
    # optional columns get neutral values; area ids fall back to the row number
    minimal = check_areas(area_layer[["bev_share", "geometry"]], source="minimal")
    assert (minimal["income_index"] == 1.0).all() and minimal["villa_share"].isna().all()
    assert list(minimal["area_id"]) == ["0", "1", "2"]
