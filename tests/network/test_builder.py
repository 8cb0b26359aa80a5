"""Feeder builder: determinism, planner sizing, layout checks, bad input; check_feeder."""

import pandapower as pp
import pytest

from gridv2x.errors import InputError
from gridv2x.network import build_feeder, check_feeder, design_check, list_builtin, read_builtin
from gridv2x.network.catalogue import CABLES
from gridv2x.network.design import line_design_current_a, loop_impedance_ohm


def test_same_seed_same_feeder_other_seed_other_layout():
    spec = [{"area": "suburban_villa", "customers": 10}]
    a = build_feeder("a", spec, seed=1)
    b = build_feeder("a", spec, seed=1)
    c = build_feeder("a", spec, seed=2)
    assert a.customers.equals(b.customers)
    assert a.net.line[["std_type", "length_km"]].equals(b.net.line[["std_type", "length_km"]])
    assert not a.customers[["x", "y"]].equals(c.customers[["x", "y"]])


def test_sizing_meets_rating_and_loop_limit_on_a_long_branch():
    """A long rural branch forces upsizing beyond the current-based choice: every cable then
    carries its Velander current and every customer has loop impedance <= 0.65 ohm."""
    f = build_feeder("long", [{"area": "rural_cable", "customers": 9, "spacing_m": 150.0}], seed=3)
    cur = line_design_current_a(f.net, f.customers)
    assert (cur <= f.net.line.max_i_ka * 1000).all()
    z = loop_impedance_ohm(f.net)
    assert z.loc[f.customers.bus].max() <= 0.65
    # the loop limit (not the current) decided at least one trunk size
    trunk = f.net.line[f.net.line.name.str.startswith("T")]
    smallest_ok = {
        li: min(
            (
                c
                for c in ("AXQJ 4x95/29", "AXQJ 4x150/41", "AXQJ 4x240/72")
                if CABLES[c].max_i_a >= cur[li]
            ),
            key=lambda c: CABLES[c].max_i_a,
        )
        for li in trunk.index
    }
    assert any(trunk.std_type[li] != smallest_ok[li] for li in trunk.index if li != trunk.index[0])
    assert design_check(f).passed


def test_impossible_branch_is_refused_with_advice():
    with pytest.raises(InputError, match="shorten|fewer|branch"):
        build_feeder("too-long", [{"area": "rural_overhead", "customers": 20, "spacing_m": 300.0}])


@pytest.mark.parametrize(
    "branches, match",
    [
        ([{"area": "moon_base", "customers": 3}], "area"),
        ([{"area": "suburban_villa", "customers": 0}], "customers"),
        ([{"area": "suburban_villa", "customers": 4, "colour": "red"}], "unknown key"),
        ([], "at least one"),
    ],
)
def test_bad_branch_specs(branches, match):
    with pytest.raises(InputError, match=match):
        build_feeder("bad", branches)


def test_apartments_single_and_three_phase():
    f = read_builtin("se-urban-apartments")
    c = f.customers
    assert set(c.phases) == {1, 3}
    assert set(c.fuse_a[c.phases == 1]) == {25} and set(c.fuse_a[c.phases == 3]) == {16}
    counts = c.phase[c.phases == 1].value_counts()
    assert counts.max() - counts.min() <= 1  # rotated over a, b, c


@pytest.mark.parametrize("name", sorted(list_builtin()))
def test_check_feeder_clean_for_builtins(name):
    assert check_feeder(read_builtin(name)) == []


def test_check_feeder_finds_loop_and_unfed_bus():
    f = read_builtin("se-villa-small")
    net = f.net
    a, b = f.customers.bus.iloc[0], f.customers.bus.iloc[-1]
    pp.create_line_from_parameters(net, a, b, 0.05, 0.2, 0.08, 0, 0.2, name="tie")
    pp.create_bus(net, 0.4, name="island")
    codes = {p.code: p for p in check_feeder(f)}
    assert "tie" in codes["loop"].ids
    assert "island" in codes["not_fed"].ids


@pytest.mark.parametrize(
    "area, n, branches",
    [("suburban_villa", 60, 4), ("rural_overhead", 9, 2), ("urban_apartments", 40, 3)],
)
def test_build_area_feeder_branch_rule_and_design(area, n, branches):
    """Branches = clip(round(sqrt(n)/2), 1, 5); customers split evenly; design checks pass."""
    from gridv2x.network import build_area_feeder

    f = build_area_feeder("x", area, n, seed=4)
    assert len(f.customers) == n
    sizes = f.customers.branch.value_counts()
    assert len(sizes) == branches and sizes.max() - sizes.min() <= 1
    assert design_check(f).passed
