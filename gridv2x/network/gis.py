"""The DSO's own feeder from GIS layers (GeoPackage or a folder of GeoJSON files), and export.

Layers
------
``substation`` (Point, exactly one)
    ``substation_id``, ``sn_kva``; optional ``vk_percent``, ``vkr_percent`` (default from the
    catalogue for that size), ``vn_hv_kv`` (10), ``slack_vm_pu`` (1.03), ``sk_mva`` (100),
    ``pfe_kw``, ``i0_percent`` (catalogue).
``lines`` (LineString)
    ``line_id`` and either ``cable_type`` (a catalogue type, :data:`~gridv2x.network.catalogue.
    CABLES`) or ``r_ohm_per_km``, ``x_ohm_per_km``, ``max_i_a`` (optional ``r_pen_ohm_per_km``);
    optional ``length_m`` (else the geometric length), ``c_nf_per_km`` (0).
``customers`` (Point)
    ``customer_id``, ``dwelling`` (villa/apartment/farm/business), ``fuse_a``; optional
    ``annual_kwh`` (default by dwelling and heating, docs/sources.md §2), ``phases`` (3), ``phase``,
    ``heating`` (``none``).

A GeoPackage holds the three layers by those names (any letter case); a GeoJSON set is a folder with
``substation.geojson``, ``lines.geojson``, ``customers.geojson``. Any CRS is accepted and
reprojected to SWEREF 99 TM (EPSG:3006); a layer without CRS is taken as EPSG:3006 (warning).

Topology
--------
Buses come from snapping line ends, and vertices, within ``snap_tolerance_m``: ends closer
than that are one bus; a line is split where another line's end meets one of its vertices or
passes within the tolerance of its route. The substation point is the 0.4 kV busbar. A
customer within the tolerance of a bus is connected to it directly; one further away, up to
``max_service_m``, through a service cable (``service_cable`` type) to the nearest point of
the network (the line is split there). Line ends that do not meet another feature but lie
within ``gap_search_m`` of one are *gaps*.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandapower as pp
import pandas as pd
from shapely.geometry import LineString, Point

from gridv2x.conventions import CUSTOMER_COLUMNS
from gridv2x.errors import InputError
from gridv2x.network.catalogue import CABLES
from gridv2x.network.checks import (
    Problem,
    raise_or_warn,
)
from gridv2x.network.elements import GRID_SK_MVA, add_customer_loads, add_lines, new_net
from gridv2x.network.feeder import Feeder, bus_xy, line_coords
from gridv2x.network.gis_attributes import (
    _parse_customers,
    _parse_lines,
    _parse_substation,
    _Parsed,
)
from gridv2x.network.gis_layers import LAYERS, TARGET_CRS, _read_layers
from gridv2x.network.gis_topology import _build_topology, _Topology
from gridv2x.network.mapping import Mapping, read_mapping

__all__ = ["read_gis", "check_gis", "write_gis", "GIS_OPTIONS", "LAYERS", "TARGET_CRS"]

GIS_OPTIONS = {
    "snap_tolerance_m": 1.0,
    "max_service_m": 100.0,
    "gap_search_m": 20.0,
    "service_cable": "N1XE 4x25",
    "strict": True,
    "name": None,
}
"""Options of :func:`read_gis` with their defaults (also the keys a scenario ``gis`` entry may
carry). ``max_service_m`` 100 m [E]: longer service cables are unusual in Swedish villa areas
and fail the loop-impedance check with 16-25 mm² cables."""


# --------------------------------------------------------------------------------------------
# reading layers


# --------------------------------------------------------------------------------------------
# attribute validation


# --------------------------------------------------------------------------------------------
# topology


# --------------------------------------------------------------------------------------------
# public API


def _analyse(
    path: Path, options: dict, mapping: Mapping | None = None
) -> tuple[_Parsed, _Topology | None, list[Problem]]:
    layers, problems = _read_layers(path, mapping)
    parsed = _Parsed()
    if "substation" in layers:
        parsed.substation = _parse_substation(layers["substation"], problems)
    if "lines" in layers:
        parsed.lines = _parse_lines(layers["lines"], problems)
    if "customers" in layers:
        parsed.customers = _parse_customers(layers["customers"], problems)
    topo = None
    if parsed.substation is not None and "lines" in layers:
        topo = _build_topology(
            parsed,
            problems,
            snap_tolerance_m=options["snap_tolerance_m"],
            max_service_m=options["max_service_m"],
            gap_search_m=options["gap_search_m"],
        )
    return parsed, topo, problems


def _options(kwargs: dict) -> dict:
    extra = set(kwargs) - set(GIS_OPTIONS)
    if extra:
        raise InputError(
            f"gis: unknown option(s) {sorted(extra)}; allowed: {', '.join(GIS_OPTIONS)}"
        )
    opts = {**GIS_OPTIONS, **kwargs}
    for key in ("snap_tolerance_m", "max_service_m", "gap_search_m"):
        value = opts[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InputError(f"gis: {key} must be a positive number [m], got {value!r}")
    if opts["service_cable"] not in CABLES:
        raise InputError(
            f"gis: service_cable {opts['service_cable']!r} is not in the catalogue; allowed: "
            f"{', '.join(CABLES)}"
        )
    return opts


def check_gis(
    path: str | os.PathLike, mapping: str | os.PathLike | dict | Mapping | None = None, **options
) -> list[Problem]:
    """All problems of a GIS feeder (errors and warnings), without building it.

    Parameters
    ----------
    path : path
        GeoPackage file or folder of GeoJSON layers (module docstring).
    mapping : path, dict or Mapping, optional
        Their layer, attribute and code names (:mod:`gridv2x.network.mapping`).
    **options
        ``snap_tolerance_m`` [m], ``max_service_m`` [m], ``gap_search_m`` [m],
        ``service_cable`` (see :data:`GIS_OPTIONS`).

    Returns
    -------
    list of Problem
    """
    opts = _options(options)
    _, _, problems = _analyse(Path(path), opts, read_mapping(mapping))
    return problems


def read_gis(
    path: str | os.PathLike, mapping: str | os.PathLike | dict | Mapping | None = None, **options
) -> Feeder:
    """Read a DSO feeder from GIS layers (module docstring) into a :class:`Feeder`.

    Parameters
    ----------
    path : path
        GeoPackage file, or folder of GeoJSON or shapefile layers.
    mapping : path, dict or Mapping, optional
        Their layer, attribute and code names (:mod:`gridv2x.network.mapping`).
    snap_tolerance_m : float
        Line ends / vertices / customers closer than this are joined [m] (default 1).
    max_service_m : float
        Longest service cable drawn to a customer away from the network [m] (default 100 [E]).
    gap_search_m : float
        A dangling line end this close to another feature is reported as a gap [m] (20).
    service_cable : str
        Catalogue type of the service cables drawn (``"N1XE 4x25"``).
    strict : bool
        True (default): any error raises one InputError listing every problem. False: problems
        become warnings; unknown/invalid lines and customers, parts not fed and customers too
        far are left out.
    name : str, optional
        Feeder name (default: the substation_id, else the file stem).

    Returns
    -------
    Feeder
        Coordinates in SWEREF 99 TM.
    """
    path = Path(path)
    opts = _options(options)
    parsed, topo, problems = _analyse(path, opts, read_mapping(mapping))
    if parsed.substation is None or topo is None:
        raise InputError(
            "\n".join(
                [f"gis {path}: cannot build a feeder (no valid substation or lines layer)"]
                + [f"  - {p}" for p in problems]
            )
        )
    raise_or_warn(problems, f"gis {path}", strict=bool(opts["strict"]))
    return build_from_topology(parsed, topo, opts, f"gis {path}", path.name, path.stem)


def build_from_topology(
    parsed: _Parsed, topo: _Topology, opts: dict, source: str, file_name: str, stem: str
) -> Feeder:
    """The pandapower feeder of checked layers and their topology (parts not fed left out)."""
    sub = parsed.substation
    assert sub is not None, "callers build a feeder only from a parsed substation"
    net, lv = new_net(
        sub["x"],
        sub["y"],
        sub["sn_kva"],
        vk_percent=sub["vk_percent"],
        vkr_percent=sub["vkr_percent"],
        vn_hv_kv=sub["vn_hv_kv"],
        slack_vm_pu=sub["slack_vm_pu"],
        sk_mva=sub["sk_mva"],
        name=sub["substation_id"],
        pfe_kw=sub["pfe_kw"],
        i0_percent=sub["i0_percent"],
    )
    graph = nx.Graph()
    for pc in topo.pieces:
        if pc["a"] != pc["b"]:
            graph.add_edge(pc["a"], pc["b"])
    graph.add_node(topo.substation_node)
    fed = nx.node_connected_component(graph, topo.substation_node)
    bus_of: dict[int, int] = {topo.substation_node: lv}
    # one bus per node, numbered in breadth-first order from the substation (readable)
    order = [n for n in nx.bfs_tree(graph, topo.substation_node) if n not in bus_of]
    new = pp.create_buses(
        net,
        len(order),
        0.4,
        name=[f"N{n}" for n in order],
        geodata=[(float(topo.nodes[n][0]), float(topo.nodes[n][1])) for n in order],
    )
    bus_of.update({n: int(b) for n, b in zip(order, new, strict=True)})
    rows_ = []
    for pc in topo.pieces:
        if pc["a"] not in fed or pc["a"] == pc["b"]:
            continue
        row = {
            "from_bus": bus_of[pc["a"]],
            "to_bus": bus_of[pc["b"]],
            "coords": [tuple(c[:2]) for c in pc["geometry"].coords],
            "name": pc["name"],
            "length_m": pc["length_m"],
        }
        if pc.get("service"):
            row["cable_type"] = opts["service_cable"]
        else:
            r_pen = pc.get("r_pen_ohm_per_km", np.nan)
            row.update(
                cable_type=pc["cable_type"],
                r_ohm_per_km=pc.get("r_ohm_per_km"),
                x_ohm_per_km=pc.get("x_ohm_per_km"),
                max_i_a=pc.get("max_i_a"),
                r_pen_ohm_per_km=None if np.isnan(r_pen) else r_pen,
                c_nf_per_km=pc.get("c_nf_per_km", np.nan),
            )
        rows_.append(row)
    add_lines(net, rows_)
    rows = []
    for cu in parsed.customers:
        node = topo.customer_bus.get(cu["customer_id"])
        if node is None or node not in fed:
            continue
        rows.append({**cu, "bus": int(bus_of[node])})
    loads = add_customer_loads(net, [r["bus"] for r in rows], [r["customer_id"] for r in rows])
    for r, load in zip(rows, loads, strict=True):
        r["load"] = load
    customers = pd.DataFrame(rows, columns=list(CUSTOMER_COLUMNS))
    if len(customers) == 0:
        raise InputError(f"{source}: no customer is connected to the network")
    name = opts["name"] or sub["substation_id"] or stem
    return Feeder(
        name=str(name),
        net=net,
        customers=customers,
        description=f"from GIS {file_name}: {len(customers)} customers, {sub['sn_kva']:g} kVA",
        crs=TARGET_CRS,
    )


def feeder_layers(feeder: Feeder) -> dict[str, gpd.GeoDataFrame]:
    """The feeder as the three GIS layers (substation, lines, customers) in its CRS."""
    net = feeder.net
    xy = bus_xy(net)
    trafo = net.trafo.iloc[0]
    lv = int(trafo.lv_bus)
    eg = net.ext_grid.iloc[0]
    sk = float(eg.s_sc_max_mva) if "s_sc_max_mva" in eg and pd.notna(eg.s_sc_max_mva) else None
    substation = gpd.GeoDataFrame(
        {
            "substation_id": [feeder.name],
            "sn_kva": [float(trafo.sn_mva) * 1000],
            "vk_percent": [float(trafo.vk_percent)],
            "vkr_percent": [float(trafo.vkr_percent)],
            "vn_hv_kv": [float(trafo.vn_hv_kv)],
            "slack_vm_pu": [float(eg.vm_pu)],
            "sk_mva": [sk if sk else GRID_SK_MVA],
            "pfe_kw": [float(trafo.pfe_kw)],
            "i0_percent": [float(trafo.i0_percent)],
        },
        geometry=[Point(xy.at[lv, "x"], xy.at[lv, "y"])],
        crs=feeder.crs,
    )
    rows, geoms = [], []
    for li, ln in net.line.iterrows():
        coords = line_coords(net, li, xy)
        geoms.append(LineString(coords))
        std = ln.std_type if isinstance(ln.std_type, str) else None
        rows.append(
            {
                "line_id": str(ln["name"]),
                "cable_type": std if std in CABLES else None,
                "r_ohm_per_km": float(ln.r_ohm_per_km),
                "x_ohm_per_km": float(ln.x_ohm_per_km),
                "max_i_a": float(ln.max_i_ka) * 1000,
                "r_pen_ohm_per_km": float(ln.get("r_pen_ohm_per_km", ln.r_ohm_per_km)),
                "length_m": float(ln.length_km) * 1000,
                "c_nf_per_km": float(ln.c_nf_per_km),
            }
        )
    lines = gpd.GeoDataFrame(rows, geometry=geoms, crs=feeder.crs)
    cust = feeder.customers
    customers = gpd.GeoDataFrame(
        cust[[c for c in cust.columns if c not in ("bus", "load", "x", "y")]].copy(),
        geometry=[Point(x, y) for x, y in zip(cust.x, cust.y, strict=True)],
        crs=feeder.crs,
    )
    return {"substation": substation, "lines": lines, "customers": customers}


def write_gis(feeder: Feeder, path: str | os.PathLike) -> Path:
    """Write ``feeder`` as GIS layers that :func:`read_gis` reads back.

    ``path`` ending in ``.gpkg``: one GeoPackage with layers substation, lines, customers.
    Otherwise a folder (created) with ``substation.geojson``, ``lines.geojson``,
    ``customers.geojson``.
    """
    return write_layers(feeder_layers(feeder), path)


def write_layers(layers: dict[str, gpd.GeoDataFrame], path: str | os.PathLike) -> Path:
    """Write named GIS layers, replacing what was there: one GeoPackage (``.gpkg``) with a
    layer each, else a folder (created) with a ``<name>.geojson`` each."""
    path = Path(path)
    if path.suffix.lower() == ".gpkg":
        if path.exists():
            path.unlink()
        for name, gdf in layers.items():
            gdf.to_file(path, layer=name, driver="GPKG")
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, gdf in layers.items():
            target = path / f"{name}.geojson"
            if target.exists():
                target.unlink()
            gdf.to_file(target, driver="GeoJSON")
    return path
