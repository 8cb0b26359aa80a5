"""CGMES input through pandapower's converter: a small LV model (written by
``cgmes_model.py``) read as a Feeder, its load flow against the same network built directly
in pandapower."""

import pandapower as pp
import pytest

from gridv2x.errors import InputError
from gridv2x.network import read_network
from gridv2x.network.cgmes import read_cgmes
from tests.network.cgmes_model import LINES, LOADS, S_MVA, SLACK_KV, U_KV, UK, UKR, write_cgmes

pytestmark = pytest.mark.slow  # pandapower's CIM converter takes 20-60 s per model


def _reference() -> dict[str, float]:
    net = pp.create_empty_network()
    bus = {"CN_MV": pp.create_bus(net, U_KV)}
    for cn in ("CN_LV", "CN_1", "CN_2"):
        bus[cn] = pp.create_bus(net, 0.4)
    pp.create_ext_grid(net, bus["CN_MV"], vm_pu=SLACK_KV / U_KV)
    pp.create_transformer_from_parameters(
        net, bus["CN_MV"], bus["CN_LV"], S_MVA, U_KV, 0.4, 100 * UKR, 100 * UK, 0.0, 0.0, 150
    )
    for a, b, km, r, x, ika in LINES.values():
        pp.create_line_from_parameters(net, bus[a], bus[b], km, r, x, 0.0, ika)
    for lid, (cn, p, q) in LOADS.items():
        pp.create_load(net, bus[cn], p, q, name=lid)
    pp.runpp(net)
    return {lid: float(net.res_bus.vm_pu[bus[cn]]) for lid, (cn, _, _) in LOADS.items()}


def test_cgmes_lv_network_matches_pandapower(tmp_path):
    path = write_cgmes(tmp_path / "ns1.zip")
    feeder = read_cgmes(path)
    assert feeder.name == "NS-1" and feeder.transformer_sn_kva == pytest.approx(500.0)
    assert len(feeder.customers) == 2 and "schematic" in feeder.description
    assert (feeder.net.load.p_mw == 0).all()  # placeholders until the study sets the load
    net = feeder.net
    vm = {}
    for _, c in feeder.customers.iterrows():
        lid = str(c["name"]).removeprefix("kund-")
        net.load.loc[c["load"], ["p_mw", "q_mvar"]] = LOADS[lid][1:]
    pp.runpp(net)
    for _, c in feeder.customers.iterrows():
        vm[str(c["name"]).removeprefix("kund-")] = float(net.res_bus.vm_pu[c.bus])
    reference = _reference()
    assert min(reference.values()) < 1.02
    for lid, v in reference.items():
        assert vm[lid] == pytest.approx(v, abs=1e-9)
    assert feeder.net.line.max_i_ka.tolist() == [v[5] for v in LINES.values()]
    # the scenario entry reads it the same way
    again = read_network({"cgmes": str(path)})
    assert len(again.customers) == 2


def test_cgmes_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_cgmes(tmp_path / "none.zip")
    bad = tmp_path / "bad.xml"
    bad.write_text("<not-cim/>")
    with pytest.raises(InputError, match="cgmes"):
        read_cgmes(bad)
