"""Hand-calculated checks of the design formulas (loop impedance, voltage drop, Velander)."""

import math
import warnings

import numpy as np
import pandapower as pp
import pandapower.shortcircuit as sc
import pytest

from gridv2x.network.catalogue import main_fuse_a, standard_transformer_kva, transformer
from gridv2x.network.design import loop_impedance_ohm, velander_kw
from gridv2x.network.elements import add_line, new_net


def _two_bus(sn_kva=200, cable="N1XV 4x50", length_m=100.0):
    net, lv = new_net(0.0, 0.0, sn_kva)
    b = pp.create_bus(net, 0.4, geodata=(length_m, 0.0))
    add_line(net, lv, b, [(0.0, 0.0), (length_m, 0.0)], name="L1", cable_type=cable)
    return net, lv, b


def test_loop_impedance_hand_calculation():
    """200 kVA (uk 4 %, ukr 0.97 %, docs/sources.md §1.1) + 100 m N1XV 4x50 (R20 0.641, X 0.078).

    By hand, at 20 °C:
      Z_T  = 0.04*0.4^2/0.2 = 0.032 ohm; R_T = 0.0097*0.16/0.2 = 0.00776; X_T = 0.031045
      Z_Q  = 1.1*0.16/100 MVA = 0.00176 ohm, X/R 10 -> 2/3 Z_Q = 0.0001168 + j0.0011677
      line = 0.1 km * ((0.641+0.641) + j 2*0.078) = 0.1282 + j0.0156
      |Z|  = |0.136077 + j0.047812| = 0.14423 ohm
    at 70 °C the line resistance is 1.2x: |0.161717 + j0.047812| = 0.16864 ohm.
    """
    net, lv, b = _two_bus()
    z20 = loop_impedance_ohm(net, temperature_factor=1.0)
    assert z20[b] == pytest.approx(0.14423, abs=1e-4)
    z70 = loop_impedance_ohm(net)
    assert z70[b] == pytest.approx(0.16864, abs=1e-4)
    assert z70[lv] == pytest.approx(math.hypot(0.00776 + 0.0001168, 0.031045 + 0.0011677), abs=1e-5)


def test_loop_impedance_agrees_with_pandapower_iec60909():
    """pandapower's IEC 60909 single-phase fault current gives |Z_loop| = c U / (sqrt3 Ik1).

    pandapower also applies the transformer correction K_T, so the busbar value differs by
    about 2 %; at the customer (line-dominated) within 0.5 %."""
    net, lv, b = _two_bus()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.calc_sc(net, fault="1ph", case="max", lv_tol_percent=10)
    z_pp = 1.1 * 400 / math.sqrt(3) / (net.res_bus_sc.ikss_ka * 1000)
    z = loop_impedance_ohm(net, temperature_factor=1.0)
    assert z[b] == pytest.approx(z_pp[b], rel=0.005)
    assert z[lv] == pytest.approx(z_pp[lv], rel=0.03)


def test_two_bus_voltage_drop_hand_calculation():
    """Slack at 0.4 kV, 100 m N1XV 4x50 (R = 0.0641, X = 0.0078 ohm), load 30 kW + 10 kvar.

    Exact (receiving end): U2^4 + (2(PR+QX) - U1^2) U2^2 + (P^2+Q^2)(R^2+X^2) = 0
    Approximate: dU = (PR + QX)/U = (30e3*0.0641 + 10e3*0.0078)/400 = 5.0025 V = 1.2506 %.
    """
    net = pp.create_empty_network()
    a = pp.create_bus(net, 0.4)
    b = pp.create_bus(net, 0.4)
    pp.create_ext_grid(net, a, vm_pu=1.0)
    add_line(net, a, b, [(0, 0), (100, 0)], name="L1", cable_type="N1XV 4x50")
    pp.create_load(net, b, p_mw=0.030, q_mvar=0.010)
    pp.runpp(net)
    r, x, p, q, u1 = 0.0641, 0.0078, 30e3, 10e3, 400.0
    c1 = 2 * (p * r + q * x) - u1**2
    c0 = (p**2 + q**2) * (r**2 + x**2)
    u2 = math.sqrt((-c1 + math.sqrt(c1**2 - 4 * c0)) / 2)
    assert net.res_bus.vm_pu[b] == pytest.approx(u2 / u1, abs=1e-9)
    assert 1 - net.res_bus.vm_pu[b] == pytest.approx(5.0025 / 400, abs=2e-4)


def test_velander_reference_values():
    """docs/sources.md §2: one 18.5 MWh villa 10.7 kW; 10 villas 7.2 kW each; 100 villas 6.1 kW each."""
    assert velander_kw(18_500) == pytest.approx(10.65, abs=0.05)
    assert velander_kw(10 * 18_500) / 10 == pytest.approx(7.2, abs=0.05)
    assert velander_kw(100 * 18_500) / 100 == pytest.approx(6.1, abs=0.05)
    assert velander_kw(4_640, "apartment") == pytest.approx(2.2, abs=0.05)


def test_catalogue_transformer_and_fuses():
    """Zk of the Swedish model (docs/sources.md §1.1): 50 kVA 130 mohm ... 1250 kVA 6.5 mohm (±3 %)."""
    zk = {50: 130, 100: 65, 200: 32, 315: 20, 500: 13, 800: 10, 1250: 6.5}
    for size, mohm in zk.items():
        assert abs(transformer(size).z_ohm_lv) * 1000 == pytest.approx(mohm, rel=0.03)
    assert standard_transformer_kva(214) == 500  # 1.8 x 214 = 385 -> 500
    assert main_fuse_a(5000, "district") == 16
    assert main_fuse_a(11000, "heat_pump") == 20
    assert main_fuse_a(21000, "direct_electric") == 25
    assert main_fuse_a(32000, "none") == 35
    assert np.isfinite(transformer(400).vk_percent)


def test_design_check_flags_service_cable_below_main_fuse():
    """A 10 mm² Cu service cable (52 A) behind a 63 A main fuse is not protected by the fuse."""
    from gridv2x.network import design_check, read_builtin
    from gridv2x.network.elements import set_cable

    f = read_builtin("se-rural-cable")
    assert design_check(f).passed
    c = f.customers.iloc[0]
    f.customers.loc[0, "fuse_a"] = 63
    li = f.net.line.index[f.net.line.to_bus == c.bus][0]
    set_cable(f.net, li, "EKKJ 3x10/10")
    report = design_check(f)
    assert not report.passed
    assert any("main fuse" in m and c.customer_id in m for m in report.failures)


@pytest.mark.parametrize("name", ["se-rural-overhead", "se-suburban-villa"])
def test_loop_impedance_of_builtin_matches_pandapower_short_circuit(name):
    """At every customer of a built-in feeder, |Z_loop| at 20 °C agrees with pandapower's IEC
    60909 single-phase fault current (c = 1.1) within 1.5 % (pandapower's K_T transformer
    correction is the difference; it matters only near the busbar)."""
    from gridv2x.network import read_builtin

    f = read_builtin(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.calc_sc(f.net, fault="1ph", case="max", lv_tol_percent=10)
    z_pp = 1.1 * 400 / math.sqrt(3) / (f.net.res_bus_sc.ikss_ka * 1000)
    z = loop_impedance_ohm(f.net, temperature_factor=1.0)
    ratio = z[f.customers.bus] / z_pp[f.customers.bus]
    assert ratio.between(0.985, 1.015).all()


def test_fuse_trip_limit():
    """Z_max = 0.85 x 230 / I_a: 63 A (I_a 320 A) 0.611 ohm, 200 A (1250 A) 0.156 ohm."""
    from gridv2x.network.catalogue import fuse_max_loop_ohm

    assert fuse_max_loop_ohm(63) == pytest.approx(0.85 * 230 / 320)
    assert fuse_max_loop_ohm(200) == pytest.approx(0.1564, abs=1e-4)
    assert fuse_max_loop_ohm(16) > 0.65  # the 0.65 ohm rule binds first for villa fuses
    assert fuse_max_loop_ohm(60) == fuse_max_loop_ohm(63)  # next larger tabulated rating
