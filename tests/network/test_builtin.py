"""Built-in feeders: the Feeder contract, design checks and convergence at the design peak."""

import json

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from gridv2x.conventions import CUSTOMER_COLUMNS
from gridv2x.errors import InputError
from gridv2x.network import (
    Feeder,
    design_check,
    feeder_geojson,
    list_builtin,
    read_builtin,
    read_network,
)

NAMES = sorted(list_builtin())


def test_list_builtin_has_suburban_villa():
    assert "se-suburban-villa" in NAMES
    assert all(isinstance(d, str) and d for d in list_builtin().values())


@pytest.mark.parametrize("name", NAMES)
def test_feeder_contract(name):
    f = read_builtin(name)
    assert isinstance(f, Feeder) and f.name == name and f.crs == "EPSG:3006"
    c = f.customers
    assert list(c.columns[: len(CUSTOMER_COLUMNS)]) == list(CUSTOMER_COLUMNS)
    assert list(c.index) == list(range(len(c)))
    assert c.customer_id.is_unique
    # one pandapower load per customer, placeholder 0 MW, at the customer's bus
    assert len(f.net.load) == len(c)
    assert sorted(c["load"]) == sorted(f.net.load.index)
    assert (f.net.load.loc[c["load"], "bus"].to_numpy() == c["bus"].to_numpy()).all()
    assert (f.net.load.p_mw == 0).all() and (f.net.load.q_mvar == 0).all()
    # slack at the 10 kV bus, one 10/0.4 kV transformer
    assert len(f.net.ext_grid) == 1
    assert f.net.bus.vn_kv[f.net.ext_grid.bus.iloc[0]] == 10.0
    assert f.transformer_sn_kva in (50, 100, 200, 315, 500, 800, 1250)
    assert set(c.phases) <= {1, 3}
    assert ((c.phases == 3) == (c.phase == "abc")).all()
    assert set(c.phase[c.phases == 1]) <= {"a", "b", "c"}
    # SWEREF 99 TM inside Sweden
    assert c.x.between(250_000, 950_000).all() and c.y.between(6_100_000, 7_700_000).all()
    assert c.annual_kwh.gt(0).all() and c.fuse_a.isin([16, 20, 25, 35, 50, 63]).all()


@pytest.mark.parametrize("name", NAMES)
def test_builtin_passes_design_checks(name):
    """Loop <= 0.65 ohm at every customer, 0.92-1.06 pu and no overload at the Velander peak."""
    report = design_check(read_builtin(name))
    assert report.converged
    assert report.passed, str(report)
    assert report.loop_impedance_ohm.max() <= 0.65
    assert 0.92 <= report.v_min_pu and report.v_max_pu <= 1.06


def test_suburban_villa_as_specified():
    f = read_builtin("se-suburban-villa")
    c = f.customers
    assert f.transformer_sn_kva == 500
    assert f.net.trafo.vk_percent.iloc[0] == 4.0 and f.net.trafo.vkr_percent.iloc[0] == 0.78
    assert 40 <= len(c) <= 60 and (c.dwelling == "villa").all() and (c.phases == 3).all()
    shares = c.heating.value_counts(normalize=True)
    assert shares["district"] == pytest.approx(0.3, abs=0.02)
    assert shares["heat_pump"] == pytest.approx(0.5, abs=0.02)
    assert shares["direct_electric"] == pytest.approx(0.2, abs=0.02)
    assert set(c.fuse_a) <= {16, 20, 25, 35}
    types = set(f.net.line.std_type)
    assert types & {"N1XV 4x240", "N1XV 4x150"} and "AXQJ 4x50/15" in types
    # the design peak converges with pandapower's own Newton-Raphson
    net = f.net
    net.load["p_mw"] = 0.006
    net.load["q_mvar"] = 0.003
    pp.runpp(net)
    assert net.converged


def test_read_builtin_is_deterministic_and_a_copy():
    a = read_builtin("se-suburban-villa")
    a.net.load.loc[0, "p_mw"] = 1.0
    b = read_builtin("se-suburban-villa")
    assert b.net.load.p_mw.iloc[0] == 0.0
    pd.testing.assert_frame_equal(a.customers, b.customers)


def test_read_network_dispatch_and_errors(tmp_path):
    assert read_network({"builtin": "se-suburban-villa"}, tmp_path).name == "se-suburban-villa"
    with pytest.raises(InputError, match="se-nowhere.*available"):
        read_network({"builtin": "se-nowhere"}, tmp_path)
    with pytest.raises(InputError, match="exactly one"):
        read_network({"builtin": "x", "simbench": "y"}, tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        read_network({"pandapower_json": "missing.json"}, tmp_path)


def test_feeder_geojson():
    f = read_builtin("se-suburban-villa")
    g = feeder_geojson(f)
    assert g["type"] == "FeatureCollection"
    kinds = pd.Series([ft["properties"]["kind"] for ft in g["features"]]).value_counts()
    assert kinds["customer"] == len(f.customers)
    assert kinds["line"] == len(f.net.line)
    assert kinds["substation"] == 1
    lon, lat = g["features"][0]["geometry"]["coordinates"]
    assert 10 < lon < 25 and 55 < lat < 70  # Sweden in WGS84
    json.dumps(g)  # serialisable
    cust = [ft for ft in g["features"] if ft["properties"]["kind"] == "customer"][0]
    assert np.isfinite(cust["properties"]["x"])
    line = [ft for ft in g["features"] if ft["properties"]["kind"] == "line"][0]
    assert len(line["properties"]["x"]) == len(line["geometry"]["coordinates"]) == 2


def test_feeder_summary_is_plain_data():
    f = read_builtin("se-mixed")
    info = f.summary()
    json.dumps(info)
    assert info["n_customers"] == len(f.customers) == sum(info["dwelling"].values())
    assert info["length_km"] == pytest.approx(sum(info["cable_km"].values()))
    assert info["design_peak_kw"] < info["transformer_sn_kva"]
