"""pandapower JSON and SimBench readers; mapping SimBench's year onto a study period."""

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pandas as pd
import pytest

from gridv2x.conventions import CUSTOMER_COLUMNS, period_index
from gridv2x.errors import InputError
from gridv2x.network import (
    check_feeder,
    profiles_for_index,
    read_builtin,
    read_network,
    read_pandapower_json,
    read_simbench,
    write_pandapower_json,
)
from gridv2x.network.design import run_design_peak, velander_kw


def test_pandapower_json_round_trip(tmp_path):
    feeder = read_builtin("se-rural-cable")
    path = write_pandapower_json(feeder, tmp_path / "f.json")
    back = read_pandapower_json(path)
    assert back.name == "se-rural-cable"
    pd.testing.assert_frame_equal(back.customers, feeder.customers, check_dtype=False)
    a = run_design_peak(feeder).res_bus.vm_pu
    b = run_design_peak(back).res_bus.vm_pu
    assert (a - b).abs().max() < 1e-12
    assert check_feeder(back) == []


def test_pandapower_json_without_customers_table(tmp_path):
    """A plain pandapower net (Kerber rural network): one customer per load, annual use by
    inverse Velander of the load's p_mw, coordinates as given; loads zeroed."""
    net = pn.create_kerber_landnetz_kabel_1()
    p_kw = float(net.load.p_mw.iloc[0]) * 1000
    path = tmp_path / "kerber.json"
    pp.to_json(net, str(path))
    feeder = read_network({"pandapower_json": "kerber.json"}, tmp_path)
    c = feeder.customers
    assert list(c.columns[: len(CUSTOMER_COLUMNS)]) == list(CUSTOMER_COLUMNS)
    assert len(c) == len(net.load) and (feeder.net.load.p_mw == 0).all()
    assert velander_kw(c.annual_kwh.iloc[0]) == pytest.approx(p_kw, rel=1e-5)  # 0.1 kWh rounding
    assert check_feeder(feeder) == []


def test_pandapower_json_bad_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="bad.json"):
        read_pandapower_json(bad)
    empty = tmp_path / "empty.json"
    pp.to_json(pp.create_empty_network(), str(empty))
    with pytest.raises(InputError, match="ext_grid"):
        read_pandapower_json(empty)


@pytest.fixture(scope="module")
def rural1():
    return read_simbench("1-LV-rural1--0-sw")


def test_simbench_customers_and_profiles(rural1):
    """SimBench 1-LV-rural1: 13 loads (households H0, farms L1/L2), a 160 kVA transformer;
    profiles span the 2016 year at 15 min (35136 steps) and their energy is the annual use."""
    f = rural1
    c = f.customers
    assert len(c) == 13 and len(f.net.load) == 13
    assert f.transformer_sn_kva == pytest.approx(160)
    assert set(c.dwelling) == {"villa", "farm"}
    p_kw, q_kvar = f.base_profiles
    assert p_kw.shape == (35136, 13) and list(p_kw.columns) == list(c.customer_id)
    assert str(p_kw.index.tz) == "Europe/Stockholm" and p_kw.index[0].year == 2016
    energy = p_kw.sum() * 0.25
    assert np.allclose(energy.to_numpy(), c.annual_kwh.to_numpy(), rtol=1e-3)
    # household profiles: a few MWh per year, peak well below a 25 A fuse (17 kW)
    assert 1000 < c.annual_kwh.min() and p_kw.max().max() < 60
    # reprojected into SWEREF 99 TM (Germany lies west of Sweden's TM zone)
    assert c.x.notna().all() and (c.y > 5_900_000).all()
    assert check_feeder(f) == []


def test_simbench_bad_code():
    with pytest.raises(InputError, match="LV"):
        read_simbench("1-MV-rural--0-sw")
    with pytest.raises(InputError, match="not known"):
        read_simbench("1-LV-nowhere9--0-sw")


def test_profiles_for_index_calendar_mapping(rural1):
    p_kw = rural1.base_profiles[0].iloc[:, :3]
    # a 2030 week in January at 15 min: same calendar slots as 2016
    index = period_index("2030-01-10", 2, "15min")
    mapped = profiles_for_index(p_kw, index)
    expected = p_kw.loc["2016-01-10 00:00":"2016-01-11 23:45"].to_numpy()
    assert mapped.shape == (192, 3) and np.allclose(mapped.to_numpy(), expected)
    # hourly resolution: the mean of the four quarter hours
    hourly = profiles_for_index(p_kw, period_index("2030-01-10", 1, "60min"))
    quarter = p_kw.loc["2016-01-10 00:00":"2016-01-10 23:45"].to_numpy()
    assert np.allclose(hourly.to_numpy(), quarter.reshape(24, 4, 3).mean(axis=1))


def test_simbench_feeder_exports_to_gpkg_and_back(rural1, tmp_path):
    """A SimBench grid (its own NAYY cable parameters, 20 kV transformer) survives the GIS
    round trip: same design-peak voltages within 1e-9 pu."""
    from gridv2x.network import read_gis, write_gis

    path = write_gis(rural1, tmp_path / "rural1.gpkg")
    back = read_gis(path)
    a = run_design_peak(rural1).res_bus.vm_pu[rural1.customers.bus].to_numpy()
    bus = back.customers.set_index("customer_id").loc[rural1.customers.customer_id, "bus"]
    b = run_design_peak(back).res_bus.vm_pu[bus].to_numpy()
    assert np.abs(a - b).max() < 1e-9
