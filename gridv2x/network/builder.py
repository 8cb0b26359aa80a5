"""Swedish LV feeder builder: a deterministic layout generator and a planner's cable sizing.

A feeder is one 10/0.4 kV secondary substation (nätstation) with radial branches. Each branch is
a street of one *area type* (urban apartment blocks, suburban villas, rural cable, rural
overhead/aerial cable). Along a branch the builder places connection points (cable cabinets,
kabelskåp; a building's intake; a pole) at a fixed spacing after a lead-in from the
substation; each connection point feeds its customers through service cables.

Layout (deterministic for a given ``seed``)
    Branch ``b`` of ``B`` leaves the substation at heading ``direction_deg`` (default
    ``90 - 360 b / B`` degrees, i.e. spread evenly, clockwise from east) plus a seeded jitter of
    +-10°; after ``lead_m`` it reaches the first connection point; every next one is
    ``spacing_m`` further along a street whose heading changes by a seeded normal step of
    ``turn_deg``. ``side_streets`` of a branch leave its main street at right angles, from
    evenly spaced connection points. Customers sit ``setback_m`` to the left and right of the
    street, spread along it. Line lengths are the straight distances between the points, so
    the geometry *is* the route. A drawn layout whose lines cross, or pass within 3 m of a bus
    they do not connect, is redrawn from the seed's next random stream
    (``default_rng([seed, k])``, k = 1 .. 19); the result is still a pure function of the
    seed.

Cable sizing (the planner's procedure)
    1. Every line gets the smallest allowed cable whose rating covers the Velander current of
       its downstream customers (:func:`gridv2x.network.design.line_design_current_a`).
    2. While a customer's earth-fault loop impedance exceeds 0.65 ohm, the line on that
       customer's path whose next larger size lowers the loop impedance most is upsized.
    3. While the lowest voltage at the design peak is below the planning band, the line on the
       path to that bus with the largest voltage-drop reduction (delta R x design current) is
       upsized.
    The transformer is the smallest standard size >= 1.8 x the Velander peak [kVA]
    (docs/sources.md §1.1 [F]) unless given.

References
----------
.. [1] Hartvigsson, E. et al., Open LV-Grid Generator, MethodsX (2021) (docs/sources.md §1.1-1.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandapower as pp
import pandas as pd

from gridv2x.conventions import CUSTOMER_COLUMNS
from gridv2x.errors import InputError
from gridv2x.network.area_types import (
    ANNUAL_KWH,
    ANNUAL_SPREAD,
    APARTMENT_SINGLE_PHASE_SHARE,
    AREA_TYPES,
    AreaType,
)
from gridv2x.network.catalogue import (
    CABLES,
    main_fuse_a,
    standard_transformer_kva,
)
from gridv2x.network.design import (
    DESIGN_POWER_FACTOR,
    MAX_LOOP_IMPEDANCE_OHM,
    PLANNING_BAND_PU,
    group_design_peak_kw,
    line_design_current_a,
    loop_impedance_ohm,
    run_design_peak,
    tree,
)
from gridv2x.network.elements import SLACK_VM_PU, add_customer_loads, add_lines, new_net, set_cable
from gridv2x.network.feeder import Feeder, bus_xy, line_coords

__all__ = ["build_feeder", "build_area_feeder"]


# --------------------------------------------------------------------------------------------
# low-level net construction (also used by the readers)


# --------------------------------------------------------------------------------------------
# customers


def _allocate(mix: dict[str, float], n: int, rng: np.random.Generator) -> list[str]:
    """Exactly ``round(share * n)`` of each category (largest remainder), seeded order."""
    keys = list(mix)
    shares = np.array([mix[k] for k in keys], dtype=float)
    shares = shares / shares.sum()
    raw = shares * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    out = [k for k, c in zip(keys, counts, strict=True) for _ in range(c)]
    rng.shuffle(out)
    return out


def _customer_attributes(
    area: AreaType, n: int, rng: np.random.Generator, heating_mix: dict | None
) -> list[dict]:
    heat = _allocate(heating_mix or area.heating_mix, n, rng)
    n_farms = int(round(area.farm_share * n))
    farm = np.zeros(n, dtype=bool)
    if n_farms:
        farm[rng.choice(n, n_farms, replace=False)] = True
    out = []
    for i in range(n):
        dwelling = "farm" if farm[i] else area.dwelling
        heating = heat[i]
        mean = ANNUAL_KWH.get((dwelling, heating), ANNUAL_KWH[(area.dwelling, "district")])
        factor = float(np.clip(rng.lognormal(0.0, ANNUAL_SPREAD), 0.6, 1.6))
        annual = float(round(mean * factor / 100) * 100)
        if dwelling == "apartment":
            single = rng.random() < APARTMENT_SINGLE_PHASE_SHARE
            phases, fuse = (1, 25) if single else (3, 16)
        else:
            phases, fuse = 3, main_fuse_a(annual, heating)
        out.append(
            {
                "dwelling": dwelling,
                "heating": heating,
                "fuse_a": int(fuse),
                "annual_kwh": annual,
                "phases": phases,
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# the builder


@dataclass(frozen=True)
class _Branch:
    area: AreaType
    customers: int
    direction_deg: float | None
    heating_mix: dict | None
    side_streets: int = 0


def _branch_specs(branches: list[dict]) -> list[_Branch]:
    out = []
    for i, spec in enumerate(branches):
        if not isinstance(spec, dict):
            raise InputError(f"branches[{i}] must be a mapping, got {spec!r}")
        area_name = spec.get("area")
        if area_name not in AREA_TYPES:
            raise InputError(
                f"branches[{i}].area {area_name!r} is unknown; allowed: {', '.join(AREA_TYPES)}"
            )
        n = spec.get("customers")
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 500:
            raise InputError(f"branches[{i}].customers {n!r} must be an integer 1-500")
        unknown = set(spec) - {
            "area",
            "customers",
            "direction_deg",
            "heating_mix",
            "spacing_m",
            "setback_m",
            "lead_m",
            "customers_per_connection",
            "side_streets",
        }
        if unknown:
            raise InputError(f"branches[{i}]: unknown key(s) {sorted(unknown)}")
        overrides = {
            k: spec[k]
            for k in ("spacing_m", "setback_m", "lead_m", "customers_per_connection")
            if k in spec
        }
        area = replace(AREA_TYPES[area_name], **overrides)
        side = spec.get("side_streets", 0)
        if not isinstance(side, int) or isinstance(side, bool) or not 0 <= side <= 10:
            raise InputError(f"branches[{i}].side_streets {side!r} must be an integer 0-10")
        out.append(_Branch(area, n, spec.get("direction_deg"), spec.get("heating_mix"), side))
    if not out:
        raise InputError("branches must list at least one branch")
    return out


def build_area_feeder(
    name: str,
    area: str,
    n_customers: int,
    *,
    n_branches: int | None = None,
    spacing_m: float | None = None,
    lead_m: float | None = None,
    heating_mix: dict | None = None,
    **kwargs,
) -> Feeder:
    """Build a feeder of one area type with ``n_customers`` split evenly over its branches.

    Parameters
    ----------
    name : str
    area : str
        A key of :data:`AREA_TYPES` (``urban_apartments``, ``suburban_villa``,
        ``rural_cable``, ``rural_overhead``).
    n_customers : int
        Number of customers.
    n_branches : int, optional
        Radial branches; default ``clip(round(sqrt(n) / 2), 1, 5)`` after the Swedish model's
        1-5 branches growing with sqrt(customers) (docs/sources.md §1.4 [F]; the factor is [E]).
    spacing_m, lead_m : float, optional
        Route length between connection points and from the substation to the first [m].
    heating_mix : dict, optional
        Share per heating type (default the area's).
    **kwargs
        Passed to :func:`build_feeder` (``origin``, ``seed``, ``transformer_kva``, ...).

    Villa branches with more than 12 customers get one side street per 12 customers.
    """
    if area not in AREA_TYPES:
        raise InputError(f"area {area!r} is unknown; allowed: {', '.join(AREA_TYPES)}")
    if not isinstance(n_customers, int) or isinstance(n_customers, bool) or n_customers < 1:
        raise InputError(f"n_customers {n_customers!r} must be a positive integer")
    if n_branches is None:
        n_branches = int(np.clip(round(math.sqrt(n_customers) / 2), 1, 5))
    if not isinstance(n_branches, int) or not 1 <= n_branches <= min(12, n_customers):
        raise InputError(f"n_branches {n_branches!r} must be an integer 1-{min(12, n_customers)}")
    per = [
        n_customers // n_branches + (1 if b < n_customers % n_branches else 0)
        for b in range(n_branches)
    ]
    branches = []
    for n in per:
        spec: dict = {"area": area, "customers": n}
        if AREA_TYPES[area].customers_per_connection > 1 and area != "urban_apartments":
            spec["side_streets"] = (n - 1) // 12
        if spacing_m is not None:
            spec["spacing_m"] = float(spacing_m)
        if lead_m is not None:
            spec["lead_m"] = float(lead_m)
        if heating_mix is not None:
            spec["heating_mix"] = heating_mix
        branches.append(spec)
    return build_feeder(name, branches, **kwargs)


def build_feeder(
    name: str,
    branches: list[dict],
    *,
    origin: tuple[float, float] = (667_000.0, 6_591_000.0),
    transformer_kva: float | None = None,
    seed: int = 0,
    description: str = "",
    slack_vm_pu: float = SLACK_VM_PU,
    max_loop_impedance_ohm: float = MAX_LOOP_IMPEDANCE_OHM,
    v_band_pu: tuple[float, float] = PLANNING_BAND_PU,
    sizing_factor: float = 1.8,
) -> Feeder:
    """Build a Swedish LV feeder from branch specifications.

    Parameters
    ----------
    name : str
        Feeder name.
    branches : list of dict
        One mapping per branch: ``area`` (a key of :data:`AREA_TYPES`), ``customers`` (int),
        optional ``direction_deg`` (heading, counter-clockwise from east [deg]),
        ``heating_mix`` ({heating: share}), and overrides of the area's ``spacing_m``,
        ``setback_m``, ``lead_m``, ``customers_per_connection``.
    origin : (float, float)
        Substation position, SWEREF 99 TM (EPSG:3006) easting, northing [m].
    transformer_kva : float, optional
        Transformer rating [kVA]; default the smallest standard size >= ``sizing_factor`` x
        the Velander peak [kVA] (docs/sources.md §1.1 [F]).
    seed : int
        Seed of the layout and customer attributes (same seed, same feeder).
    description : str
    slack_vm_pu : float
        Voltage of the 10 kV bus [pu] (default 1.03, docs/sources.md §7 [E]).
    max_loop_impedance_ohm : float
        Loop impedance the sizing must meet at every customer [ohm] (docs/sources.md §1.4 [F]).
    v_band_pu : (float, float)
        Planning band at the design peak [pu] (docs/sources.md §1.4 [F]).
    sizing_factor : float
        Transformer sizing factor alpha (docs/sources.md §1.1 [F], default 1.8).

    Returns
    -------
    Feeder
        Cables sized as described in the module docstring; passes
        :func:`gridv2x.network.design.design_check` or raises ``InputError`` saying why the
        layout cannot be made to pass.
    """
    specs = _branch_specs(branches)
    x0, y0 = float(origin[0]), float(origin[1])

    def attempt(rng: np.random.Generator):

        # --- customers and layout (pure geometry first) ---------------------------------------
        rows: list[dict] = []
        points: list[dict] = []  # connection points
        services: list[dict] = []  # service connections: point -> house position, customers
        n_branch = len(specs)
        cid = 0
        for b, spec in enumerate(specs, start=1):
            area = spec.area
            heading = (
                float(spec.direction_deg)
                if spec.direction_deg is not None
                else 90.0 - 360.0 * (b - 1) / n_branch + rng.uniform(-10, 10)
            )
            attrs = _customer_attributes(area, spec.customers, rng, spec.heating_mix)
            per = max(1, int(area.customers_per_connection))
            groups = [attrs[i : i + per] for i in range(0, len(attrs), per)]
            n_side = int(spec.side_streets)
            n_main = math.ceil(len(groups) / (1 + n_side))
            rest = len(groups) - n_main
            side_sizes = [rest // n_side + (1 if j < rest % n_side else 0) for j in range(n_side)]
            attach = [max(1, round((j + 1) * n_main / (n_side + 1))) for j in range(n_side)]
            streets = [(0, n_main)] + [(j + 1, size) for j, size in enumerate(side_sizes) if size]
            main_pts: dict[int, tuple[int, float, float, float]] = {}
            g = 0
            for street, size in streets:
                if street == 0:
                    parent_point, px, py, sh = None, x0, y0, heading
                else:
                    parent_point, px, py, mh = main_pts[attach[street - 1]]
                    sh = mh + (90.0 if street % 2 else -90.0)
                for k in range(1, size + 1):
                    group = groups[g]
                    g += 1
                    if street == 0:
                        step = area.lead_m if k == 1 else area.spacing_m
                    else:
                        step = area.spacing_m
                    if k > 1:
                        sh += rng.normal(0.0, area.turn_deg)
                    h = math.radians(sh)
                    px, py = px + step * math.cos(h), py + step * math.sin(h)
                    label = f"B{b}-{k:02d}" if street == 0 else f"B{b}S{street}-{k:02d}"
                    points.append(
                        {
                            "branch": b,
                            "k": k,
                            "x": px,
                            "y": py,
                            "area": area,
                            "label": label,
                            "parent": parent_point if k == 1 else len(points) - 1,
                        }
                    )
                    if street == 0:
                        main_pts[k] = (len(points) - 1, px, py, sh)
                    self_point = len(points) - 1
                    ux, uy = math.cos(h), math.sin(h)  # along street
                    nx, ny = -uy, ux  # left of street
                    if area.dwelling == "apartment" and area.customers_per_connection > 1:
                        side = 1 if k % 2 else -1
                        hx, hy = px + side * area.setback_m * nx, py + side * area.setback_m * ny
                        ids = []
                        for a in group:
                            cid += 1
                            ids.append(f"c{cid:03d}")
                            rows.append(
                                {**a, "customer_id": ids[-1], "x": hx, "y": hy, "branch": b}
                            )
                        services.append(
                            {"point": self_point, "x": hx, "y": hy, "ids": ids, "area": area}
                        )
                    else:
                        m = len(group)
                        for j, a in enumerate(group):
                            side = 1 if j % 2 == 0 else -1
                            along = (j // 2 - (math.ceil(m / 2) - 1) / 2) * area.spacing_m / 2
                            if m == 1:
                                along = 0.0
                            hx = px + side * area.setback_m * nx + along * ux
                            hy = py + side * area.setback_m * ny + along * uy
                            cid += 1
                            ident = f"c{cid:03d}"
                            rows.append({**a, "customer_id": ident, "x": hx, "y": hy, "branch": b})
                            services.append(
                                {
                                    "point": self_point,
                                    "x": hx,
                                    "y": hy,
                                    "ids": [ident],
                                    "area": area,
                                }
                            )
        customers = pd.DataFrame(rows)

        # --- transformer -----------------------------------------------------------------------
        peak_kw = group_design_peak_kw(customers)
        kva = transformer_kva
        if kva is None:
            kva = standard_transformer_kva(
                peak_kw / DESIGN_POWER_FACTOR, sizing_factor=sizing_factor
            )
        net, lv = new_net(x0, y0, kva, slack_vm_pu=slack_vm_pu, name=name)

        # --- buses and lines -------------------------------------------------------------------
        allowed: dict[int, tuple[str, ...]] = {}
        minimum: dict[int, str] = {}
        point_bus = [
            int(i)
            for i in pp.create_buses(
                net,
                len(points),
                0.4,
                name=[f"K{p['label']}" for p in points],
                geodata=[(p["x"], p["y"]) for p in points],
            )
        ]
        house_labels = [
            s_["ids"][0] if len(s_["ids"]) == 1 else f"{points[s_['point']]['label']}-house"
            for s_ in services
        ]
        house_bus = [
            int(i)
            for i in pp.create_buses(
                net,
                len(services),
                0.4,
                name=[f"H-{lab}" for lab in house_labels],
                geodata=[(s_["x"], s_["y"]) for s_ in services],
            )
        ]
        line_rows: list[dict] = []
        options: list[tuple[str, ...]] = []
        for k, p in enumerate(points):
            if p["parent"] is None:
                up, ux_, uy_ = lv, x0, y0
            else:
                q = points[p["parent"]]
                up, ux_, uy_ = point_bus[p["parent"]], q["x"], q["y"]
            line_rows.append(
                {
                    "from_bus": up,
                    "to_bus": point_bus[k],
                    "coords": [(ux_, uy_), (p["x"], p["y"])],
                    "name": f"T{p['label']}",
                    "cable_type": p["area"].trunk_cables[0],
                }
            )
            options.append(p["area"].trunk_cables)
        for k, s_ in enumerate(services):
            p = points[s_["point"]]
            line_rows.append(
                {
                    "from_bus": point_bus[s_["point"]],
                    "to_bus": house_bus[k],
                    "coords": [(p["x"], p["y"]), (s_["x"], s_["y"])],
                    "name": f"S-{house_labels[k]}",
                    "cable_type": s_["area"].service_cables[0],
                }
            )
            options.append(s_["area"].service_cables)
        line_idx = add_lines(net, line_rows)
        for li, opts in zip(line_idx, options, strict=True):
            allowed[li] = opts
        for k, p in enumerate(points):
            if p["parent"] is None and p["area"].lead_cable:
                minimum[line_idx[k]] = p["area"].lead_cable
        index_of = {c: i for i, c in enumerate(customers["customer_id"])}
        bus_of_customer = np.zeros(len(customers), dtype=int)
        for k, s_ in enumerate(services):
            for ident in s_["ids"]:
                bus_of_customer[index_of[ident]] = house_bus[k]
        customers["bus"] = bus_of_customer
        customers["load"] = add_customer_loads(net, bus_of_customer, customers["customer_id"])
        customers["phase"] = "abc"
        single = customers["phases"] == 1
        customers.loc[single, "phase"] = [("a", "b", "c")[i % 3] for i in range(int(single.sum()))]
        cols = list(CUSTOMER_COLUMNS) + ["branch"]
        customers = customers[cols].reset_index(drop=True)
        customers["bus"] = customers["bus"].astype(int)
        customers["load"] = customers["load"].astype(int)
        return net, customers, allowed, minimum, kva

    failure: InputError | None = None
    for k in range(LAYOUT_ATTEMPTS):
        rng = np.random.default_rng(seed if k == 0 else [seed, k])
        net, customers, allowed, minimum, transformer_kva = attempt(rng)
        try:
            _check_layout(net, customers, name)
            break
        except InputError as exc:
            failure = exc
    else:
        raise InputError(f"{failure} (after {LAYOUT_ATTEMPTS} attempts)")

    # --- cable sizing ----------------------------------------------------------------------
    _size_cables(net, customers, allowed, minimum, max_loop_impedance_ohm, v_band_pu, name)

    n_cust = len(customers)
    if not description:
        areas = sorted({s.area.name for s in specs})
        description = (
            f"{n_cust} customers, {len(specs)} branch(es) of {', '.join(areas)}, "
            f"{transformer_kva:g} kVA"
        )
    return Feeder(name=name, net=net, customers=customers, description=description)


LAYOUT_ATTEMPTS = 20
"""A drawn layout whose lines cross is redrawn from the seed's next stream, at most this often."""

LAYOUT_CLEARANCE_M = 3.0
"""Smallest distance between a line and a bus it does not end at, in a generated layout [m]."""


def _check_layout(net: pp.pandapowerNet, customers: pd.DataFrame, name: str) -> None:
    """Refuse a generated layout whose lines cross or pass closer than
    :data:`LAYOUT_CLEARANCE_M` to a bus they do not end at (it would not be a drawable, radial
    GIS network); the fix is another seed, heading or fewer side streets."""
    from shapely import STRtree
    from shapely.geometry import LineString, Point

    xy = bus_xy(net)
    geoms = [LineString(line_coords(net, li, xy)) for li in net.line.index]
    ends = [set(v) for v in zip(net.line.from_bus, net.line.to_bus, strict=True)]
    tree_ = STRtree(geoms)
    bad = []
    for i, g in enumerate(geoms):
        for j in tree_.query(g, predicate="intersects"):
            if j <= i or ends[i] & ends[int(j)]:
                continue
            bad.append(f"{net.line.name.iat[i]} crosses {net.line.name.iat[int(j)]}")
    lv_buses = net.bus.index[net.bus.vn_kv < 1.0]
    for b in lv_buses:
        p = Point(xy.at[b, "x"], xy.at[b, "y"])
        for j in tree_.query(p.buffer(LAYOUT_CLEARANCE_M), predicate="intersects"):
            if b not in ends[int(j)]:
                bad.append(f"bus {net.bus.at[b, 'name']} lies on {net.line.name.iat[int(j)]}")
    if bad:
        raise InputError(
            f"feeder {name!r}: the generated layout is not drawable ({'; '.join(bad[:5])}); "
            "change the seed, the branch headings (direction_deg) or the side streets"
        )


def _size_cables(
    net: pp.pandapowerNet,
    customers: pd.DataFrame,
    allowed: dict[int, tuple[str, ...]],
    minimum: dict[int, str],
    max_loop: float,
    band: tuple[float, float],
    name: str,
) -> None:
    """Planner's cable sizing in place (module docstring, steps 1-3)."""
    current = line_design_current_a(net, customers)
    for li, choices in allowed.items():
        first = choices.index(minimum[li]) if li in minimum else 0
        for option in choices[first:]:
            if CABLES[option].max_i_a >= current[li]:
                set_cable(net, li, option)
                break
        else:
            raise InputError(
                f"feeder {name!r}: line {net.line.at[li, 'name']} carries "
                f"{current[li]:.0f} A at the design peak, more than the largest allowed cable "
                f"{choices[-1]}; use fewer customers per branch or more branches"
            )
    _, parent = tree(net)

    def path(bus: int) -> list[int]:
        out = []
        while bus in parent:
            bus, li = parent[bus][0], parent[bus][1]
            out.append(li)
        return out

    def upsize_options(lines: list[int]) -> list[tuple[int, str, float]]:
        out = []
        for li in lines:
            opts = allowed[li]
            pos = opts.index(net.line.at[li, "std_type"])
            if pos + 1 < len(opts):
                old, new = CABLES[opts[pos]], CABLES[opts[pos + 1]]
                gain = (
                    (old.r_ohm_per_km + old.r_pen_ohm_per_km)
                    - (new.r_ohm_per_km + new.r_pen_ohm_per_km)
                ) * net.line.at[li, "length_km"]
                out.append((li, opts[pos + 1], gain))
        return out

    cust_buses = sorted(set(customers["bus"].astype(int)))
    for _ in range(500):
        z = loop_impedance_ohm(net)
        zc = z.loc[cust_buses]
        if zc.max() <= max_loop:
            break
        worst = int(zc.idxmax())
        options = upsize_options(path(worst))
        if not options:
            raise InputError(
                f"feeder {name!r}: loop impedance {zc.max():.3f} ohm at bus "
                f"{net.bus.at[worst, 'name']} exceeds {max_loop} ohm with the largest allowed "
                "cables; shorten the branch (fewer customers or smaller spacing)"
            )
        li, new, _ = max(options, key=lambda t: t[2])
        set_cable(net, li, new)

    feeder = Feeder(name=name, net=net, customers=customers)
    for _ in range(500):
        res = run_design_peak(feeder)
        vm = res.res_bus.vm_pu[net.bus.vn_kv < 1.0]
        if vm.min() >= band[0]:
            break
        worst = int(vm.idxmin())
        current = line_design_current_a(net, customers)
        options = [(li, new, g * current[li]) for li, new, g in upsize_options(path(worst))]
        if not options:
            raise InputError(
                f"feeder {name!r}: voltage {vm.min():.3f} pu at bus {net.bus.at[worst, 'name']}"
                f" is below {band[0]} pu at the design peak with the largest allowed cables; "
                "shorten the branch or add a branch"
            )
        li, new, _ = max(options, key=lambda t: t[2])
        set_cable(net, li, new)
