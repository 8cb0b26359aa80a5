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
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandapower as pp
import pandas as pd
from scipy.spatial import cKDTree
from shapely import STRtree
from shapely.geometry import LineString, Point
from shapely.ops import substring

from gridv2x.conventions import CUSTOMER_COLUMNS
from gridv2x.errors import InputError, unquoted
from gridv2x.network.builder import (
    ANNUAL_KWH,
    GRID_SK_MVA,
    SLACK_VM_PU,
    add_customer_loads,
    add_lines,
    new_net,
)
from gridv2x.network.catalogue import CABLES, TRANSFORMERS
from gridv2x.network.checks import (
    DWELLINGS,
    ERROR,
    HEATINGS,
    WARNING,
    Problem,
    raise_or_warn,
)
from gridv2x.network.feeder import Feeder, bus_xy, line_coords
from gridv2x.network.mapping import Mapping, read_mapping

__all__ = ["read_gis", "check_gis", "write_gis", "GIS_OPTIONS", "LAYERS", "TARGET_CRS"]

TARGET_CRS = "EPSG:3006"
LAYERS = ("substation", "lines", "customers")
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


def _folder_file(folder: Path, layer: str) -> Path | None:
    """The GeoJSON or shapefile of ``layer`` in ``folder`` (names match ignoring letter case)."""
    files = {f.name.casefold(): f for f in folder.iterdir() if f.is_file()}
    for suffix in (".geojson", ".shp", ".json"):
        f = files.get(f"{layer}{suffix}".casefold())
        if f is not None:
            return f
    return None


def _read_layers(
    path: Path, mapping: Mapping | None = None
) -> tuple[dict[str, gpd.GeoDataFrame], list[Problem]]:
    problems: list[Problem] = []
    layers: dict[str, gpd.GeoDataFrame] = {}
    mapping = mapping or Mapping()
    if not path.exists():
        raise InputError(
            f"gis: {str(path)!r} does not exist (give a .gpkg file, or a folder with "
            "substation, lines and customers as .geojson or .shp files)"
        )
    if path.is_file() and path.suffix.lower() in (".geojson", ".shp"):
        path = path.parent
    names: dict[str, str] = {}
    if path.is_file():
        try:
            import pyogrio

            names = {str(n).casefold(): str(n) for n in pyogrio.list_layers(path)[:, 0]}
        except Exception:  # unreadable file: reported per layer below
            names = {}
    for layer in LAYERS:
        theirs = mapping.layer_name(layer)
        try:
            if path.is_dir():
                f = _folder_file(path, theirs)
                if f is None:
                    problems.append(
                        Problem(
                            ERROR,
                            "missing_layer",
                            f"{theirs}.geojson or {theirs}.shp is missing in {path}; add the "
                            f"{layer} layer"
                            + (f" (named {theirs!r} by the mapping)" if theirs != layer else ""),
                            layer=layer,
                        )
                    )
                    continue
                gdf = gpd.read_file(f)
            else:
                gdf = gpd.read_file(path, layer=names.get(theirs.casefold(), theirs))
        except Exception as exc:  # missing layer, unreadable file: many exception kinds
            problems.append(
                Problem(
                    ERROR,
                    "missing_layer",
                    f"cannot read layer {theirs!r} from {path.name} ({unquoted(exc)}); the file needs "
                    f"layers {', '.join(mapping.layer_name(n) for n in LAYERS)}"
                    + (f" (its layers: {', '.join(names.values())})" if names else ""),
                    layer=layer,
                )
            )
            continue
        gdf, missing = mapping.apply(layer, gdf)
        for message in missing:
            problems.append(Problem(ERROR, "missing_attribute", message, layer=layer))
        gdf = _finite_geometries(gdf, layer, problems)
        if gdf.crs is None:
            problems.append(
                Problem(
                    WARNING,
                    "crs",
                    "layer has no CRS; taken as SWEREF 99 TM (EPSG:3006). Set the CRS in GIS",
                    layer=layer,
                )
            )
            gdf = gdf.set_crs(TARGET_CRS)
        elif gdf.crs.is_geographic and len(gdf) and not _lonlat_range(gdf):
            # GeoJSON without a "crs" member reads as WGS84 (RFC 7946), but these numbers are
            # metres: a SWEREF 99 TM export that lost its CRS
            problems.append(
                Problem(
                    WARNING,
                    "crs",
                    f"layer says {gdf.crs.to_string()} but its coordinates are not longitudes/"
                    "latitudes; taken as SWEREF 99 TM (EPSG:3006). Set the CRS in GIS",
                    layer=layer,
                )
            )
            gdf = gdf.set_crs(TARGET_CRS, allow_override=True)
        elif gdf.crs.to_epsg() != 3006:
            source_crs = gdf.crs.to_string()
            looks_sweref = len(gdf) and _in_sweden(gdf)
            gdf = gdf.to_crs(TARGET_CRS)
            if looks_sweref and not _in_sweden(gdf):
                problems.append(
                    Problem(
                        ERROR,
                        "crs",
                        f"layer says {source_crs}, but its coordinates are SWEREF 99 TM "
                        f"(EPSG:3006) numbers for Sweden, and read as {source_crs} they lie "
                        "outside Sweden; set the layer's CRS to EPSG:3006 in GIS",
                        layer=layer,
                    )
                )
            gdf = _finite_geometries(gdf, layer, problems)
        layers[layer] = gdf
    return layers, problems


SWEREF_SWEDEN_M = (150_000.0, 6_050_000.0, 1_100_000.0, 7_750_000.0)
"""Box around Sweden in SWEREF 99 TM (EPSG:3006) [m]: (min x, min y, max x, max y); the CRS's
area of use is about 182-864 km east, 6102-7689 km north."""

MAX_COORDINATE_M = 1e8
"""Largest absolute coordinate accepted [m]; SWEREF 99 TM numbers stay below 8e6."""

_ID_COLUMNS = {"substation": "substation_id", "lines": "line_id", "customers": "customer_id"}


def _in_sweden(gdf: gpd.GeoDataFrame) -> bool:
    """Whether every coordinate lies in the SWEREF 99 TM box around Sweden."""
    minx, miny, maxx, maxy = gdf.total_bounds
    x0, y0, x1, y1 = SWEREF_SWEDEN_M
    return bool(x0 <= minx <= maxx <= x1 and y0 <= miny <= maxy <= y1)


def _finite_geometries(
    gdf: gpd.GeoDataFrame, layer: str, problems: list[Problem]
) -> gpd.GeoDataFrame:
    """Drop features without a geometry or with a coordinate that is NaN, infinite or beyond
    :data:`MAX_COORDINATE_M`, reporting each by id (they would break the topology)."""
    import shapely

    geoms = gdf.geometry.to_numpy()
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    wild = ~np.isfinite(coords).all(axis=1) | (np.abs(coords) > MAX_COORDINATE_M).any(axis=1)
    bad[owner[wild]] = True
    if not bad.any():
        return gdf
    column = _ID_COLUMNS.get(layer)
    if column in gdf.columns:
        ids = tuple(str(v) for v in gdf[column].to_numpy()[bad])
    else:
        ids = tuple(f"row {i}" for i in np.flatnonzero(bad))
    problems.append(
        Problem(
            ERROR,
            "invalid_geometry",
            "geometry is missing, empty, or has a coordinate that is not a finite number "
            f"within {MAX_COORDINATE_M:g} m; fix the feature's geometry",
            ids,
            layer,
        )
    )
    return gdf[~bad]


def _lonlat_range(gdf: gpd.GeoDataFrame) -> bool:
    minx, miny, maxx, maxy = gdf.total_bounds
    return bool(-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90)


def _num(value, default=np.nan) -> float:
    """``value`` as float; ``default`` if missing; NaN if not a number."""
    if _missing(value):
        return default
    try:
        out = float(value)
    except (TypeError, ValueError):
        return np.nan
    return default if np.isnan(out) else out


def _missing(value) -> bool:
    if value is None or (isinstance(value, str) and value == ""):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# attribute validation


@dataclass
class _Parsed:
    substation: dict | None = None
    lines: list[dict] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)


def _parse_substation(gdf: gpd.GeoDataFrame, problems: list[Problem]) -> dict | None:
    if len(gdf) != 1:
        ids = tuple(str(v) for v in gdf.get("substation_id", pd.Series(dtype=str)))
        problems.append(
            Problem(
                ERROR,
                "invalid_attribute",
                f"the substation layer must hold exactly one point, it holds {len(gdf)}; one "
                "file per secondary substation",
                ids,
                "substation",
            )
        )
        if len(gdf) == 0:
            return None
    row = gdf.iloc[0]
    sid = str(row.get("substation_id", "substation"))
    geom = row.geometry
    if geom is None or geom.geom_type != "Point":
        problems.append(
            Problem(ERROR, "invalid_geometry", "substation must be a Point", (sid,), "substation")
        )
        return None
    sn = _num(row.get("sn_kva"))
    if not (sn > 0):
        problems.append(
            Problem(
                ERROR,
                "missing_attribute" if _missing(row.get("sn_kva")) else "invalid_attribute",
                f"sn_kva must be a positive rating [kVA] (given {row.get('sn_kva')!r}); "
                f"standard sizes {sorted(TRANSFORMERS)}",
                (sid,),
                "substation",
            )
        )
        return None
    out = {"substation_id": sid, "x": geom.x, "y": geom.y, "sn_kva": sn}
    for key, default in (
        ("vk_percent", None),
        ("vkr_percent", None),
        ("vn_hv_kv", 10.0),
        ("slack_vm_pu", SLACK_VM_PU),
        ("sk_mva", GRID_SK_MVA),
        ("pfe_kw", None),
        ("i0_percent", None),
    ):
        value = _num(row.get(key), np.nan)
        if np.isnan(value):
            out[key] = default
        elif value < 0 or (value == 0 and key not in ("pfe_kw", "i0_percent")):
            problems.append(
                Problem(
                    ERROR,
                    "invalid_attribute",
                    f"{key} must be positive (given {value})",
                    (sid,),
                    "substation",
                )
            )
            out[key] = default
        else:
            out[key] = value
    return out


def _parse_lines(gdf: gpd.GeoDataFrame, problems: list[Problem]) -> list[dict]:
    out = []
    if "line_id" not in gdf.columns:
        problems.append(
            Problem(ERROR, "missing_attribute", "lines need a line_id column", layer="lines")
        )
        gdf = gdf.assign(line_id=[f"line{i + 1}" for i in range(len(gdf))])
    ids = gdf.line_id.astype(str)
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        problems.append(
            Problem(
                ERROR, "duplicate_id", "line_id must be unique; rename them", tuple(dup), "lines"
            )
        )
    unknown: dict[str, list[str]] = {}
    for i, row in gdf.iterrows():
        lid = str(row.line_id) if not _missing(row.line_id) else f"<row {i}>"
        if _missing(row.line_id):
            problems.append(
                Problem(ERROR, "missing_attribute", "line without line_id", (lid,), "lines")
            )
        geom = row.geometry
        if geom is not None and geom.geom_type == "MultiLineString" and len(geom.geoms) == 1:
            geom = geom.geoms[0]
        if geom is None or geom.geom_type != "LineString" or geom.length <= 0:
            problems.append(
                Problem(
                    ERROR,
                    "invalid_geometry",
                    "line geometry must be a single LineString of non-zero length; split "
                    "multi-part lines",
                    (lid,),
                    "lines",
                )
            )
            continue
        cable_type = row.get("cable_type")
        cable_type = None if _missing(cable_type) else str(cable_type)
        params = {k: _num(row.get(k)) for k in ("r_ohm_per_km", "x_ohm_per_km", "max_i_a")}
        have_params = all(np.isfinite(v) for v in params.values())
        if cable_type is None or cable_type not in CABLES:
            if have_params:
                if not (
                    params["r_ohm_per_km"] > 0
                    and params["x_ohm_per_km"] >= 0
                    and params["max_i_a"] > 0
                ):
                    problems.append(
                        Problem(
                            ERROR,
                            "invalid_attribute",
                            f"r_ohm_per_km > 0, x_ohm_per_km >= 0, max_i_a > 0 needed (given "
                            f"{params})",
                            (lid,),
                            "lines",
                        )
                    )
                    continue
            elif cable_type is None:
                problems.append(
                    Problem(
                        ERROR,
                        "missing_attribute",
                        "line has neither cable_type nor r_ohm_per_km, x_ohm_per_km, max_i_a; "
                        "give one of them",
                        (lid,),
                        "lines",
                    )
                )
                continue
            else:
                unknown.setdefault(cable_type, []).append(lid)
                continue
        length = _num(row.get("length_m"))
        if not np.isnan(length) and length <= 0:
            problems.append(
                Problem(
                    ERROR,
                    "invalid_attribute",
                    f"length_m must be positive (given {length})",
                    (lid,),
                    "lines",
                )
            )
            length = np.nan
        out.append(
            {
                "line_id": lid,
                "geometry": geom,
                "cable_type": cable_type,
                "length_m": None if np.isnan(length) else length,
                "r_pen_ohm_per_km": _num(row.get("r_pen_ohm_per_km"), np.nan),
                "c_nf_per_km": _num(row.get("c_nf_per_km"), np.nan),
                **params,
            }
        )
    for cable_type, lids in unknown.items():
        problems.append(
            Problem(
                ERROR,
                "unknown_cable_type",
                f"cable_type {cable_type!r} is not in the catalogue; use one of "
                f"{', '.join(CABLES)} or give r_ohm_per_km, x_ohm_per_km, max_i_a",
                tuple(lids),
                "lines",
            )
        )
    return out


def _parse_customers(gdf: gpd.GeoDataFrame, problems: list[Problem]) -> list[dict]:
    out = []
    for col in ("customer_id", "dwelling", "fuse_a"):
        if col not in gdf.columns:
            problems.append(
                Problem(
                    ERROR,
                    "missing_attribute",
                    f"customers need a {col} column",
                    layer="customers",
                )
            )
            gdf = gdf.assign(**{col: None})
    ids = gdf.customer_id.astype(str)
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        problems.append(
            Problem(
                ERROR,
                "duplicate_id",
                "customer_id must be unique; rename them",
                tuple(dup),
                "customers",
            )
        )
    bad: dict[str, list[str]] = {}

    def flag(key: str, cid: str) -> None:
        bad.setdefault(key, []).append(cid)

    for i, row in gdf.iterrows():
        cid = str(row.customer_id) if not _missing(row.customer_id) else f"<row {i}>"
        if _missing(row.customer_id):
            flag("customer_id: missing", cid)
        geom = row.geometry
        if geom is None or geom.geom_type != "Point":
            flag("geometry: must be a Point", cid)
            continue
        dwelling = row.get("dwelling")
        if dwelling not in DWELLINGS:
            flag(f"dwelling: must be one of {', '.join(DWELLINGS)}", cid)
            continue
        heating = row.get("heating", "none")
        heating = "none" if _missing(heating) else str(heating)
        if heating not in HEATINGS:
            flag(f"heating: must be one of {', '.join(HEATINGS)}", cid)
            continue
        fuse = _num(row.get("fuse_a"))
        if not (fuse > 0):
            flag("fuse_a: must be a positive main fuse rating [A]", cid)
            continue
        phases = _num(row.get("phases"), 3.0)
        if phases not in (1.0, 3.0):
            flag("phases: must be 1 or 3", cid)
            continue
        phase = row.get("phase")
        if _missing(phase):
            phase = "abc" if phases == 3 else "a"
        if (phases == 3 and phase != "abc") or (phases == 1 and phase not in ("a", "b", "c")):
            flag("phase: 'abc' for 3-phase, 'a'/'b'/'c' for 1-phase customers", cid)
            continue
        annual = _num(row.get("annual_kwh"))
        if np.isnan(annual):
            annual = ANNUAL_KWH.get((dwelling, heating), ANNUAL_KWH[("villa", "district")])
        elif annual <= 0:
            flag("annual_kwh: must be positive [kWh]", cid)
            continue
        out.append(
            {
                "customer_id": cid,
                "dwelling": dwelling,
                "heating": heating,
                "fuse_a": fuse if fuse != int(fuse) else int(fuse),
                "annual_kwh": annual,
                "phases": int(phases),
                "phase": phase,
                "x": geom.x,
                "y": geom.y,
            }
        )
    for what, cids in bad.items():
        key, _, rule = what.partition(": ")
        problems.append(
            Problem(
                ERROR,
                "missing_attribute" if rule == "missing" else "invalid_attribute",
                f"{key} {rule}; fix these customers",
                tuple(cids),
                "customers",
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# topology


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class _Topology:
    nodes: np.ndarray  # (n, 2) coordinates
    pieces: list[dict]  # line pieces: line_id, name, geometry, a, b, length_m, params
    customer_bus: dict[str, int]  # customer_id -> node
    services: list[dict]  # service cables: customer_id, a (node), b (node), geometry
    substation_node: int


def _build_topology(
    parsed: _Parsed,
    problems: list[Problem],
    *,
    snap_tolerance_m: float,
    max_service_m: float,
    gap_search_m: float,
) -> _Topology:
    tol = float(snap_tolerance_m)
    sub = parsed.substation
    assert sub is not None, "callers build the topology only with a parsed substation"
    lines = parsed.lines
    # 1. snap ends (and the substation point) into nodes
    ends = [(sub["x"], sub["y"])]
    for ln in lines:
        cs = list(ln["geometry"].coords)
        ends += [cs[0][:2], cs[-1][:2]]
    ends_arr = np.asarray(ends, dtype=float)
    uf = _UnionFind(len(ends_arr))
    for a, b in cKDTree(ends_arr).query_pairs(tol):
        uf.union(a, b)
    roots = sorted({uf.find(i) for i in range(len(ends_arr))})
    node_of_root = {r: k for k, r in enumerate(roots)}
    nodes = np.array([ends_arr[r] for r in roots])
    end_node = [node_of_root[uf.find(i)] for i in range(len(ends_arr))]
    substation_node = end_node[0]
    tree_nodes = cKDTree(nodes)

    # 2. split points: other nodes on a line's route (vertex or within tolerance)
    splits: dict[int, dict[float, int]] = {i: {} for i in range(len(lines))}
    for i, ln in enumerate(lines):
        geom = ln["geometry"]
        own = {end_node[1 + 2 * i], end_node[2 + 2 * i]}
        minx, miny, maxx, maxy = geom.bounds
        cand = tree_nodes.query_ball_point(
            [(minx + maxx) / 2, (miny + maxy) / 2],
            np.hypot(maxx - minx, maxy - miny) / 2 + tol,
        )
        for k in cand:
            if k in own:
                continue
            p = Point(nodes[k])
            if geom.distance(p) <= tol:
                splits[i][geom.project(p)] = k

    # 3. customers: a bus within tolerance, else a service cable to the nearest line point
    line_tree = STRtree([ln["geometry"] for ln in lines]) if lines else None
    customer_bus: dict[str, int] = {}
    services: list[dict] = []
    extra_nodes: list[tuple[float, float]] = []
    too_far: list[str] = []
    far_detail: list[str] = []
    service_dist: list[float] = []
    for cu in parsed.customers:
        p = (cu["x"], cu["y"])
        d, k = tree_nodes.query(p)
        if d <= tol:
            customer_bus[cu["customer_id"]] = int(k)
            continue
        pt = Point(p)
        if line_tree is not None:
            near, dists = line_tree.query_nearest(pt, return_distance=True, all_matches=False)
            line_pos, dist = int(near[0]), float(dists[0])
        else:
            line_pos, dist = None, np.inf
        if line_pos is None or dist > max_service_m:
            too_far.append(cu["customer_id"])
            far_detail.append(f"{cu['customer_id']} {dist:.0f} m" if line_pos is not None else "")
            continue
        geom = lines[line_pos]["geometry"]
        s = geom.project(pt)
        q = geom.interpolate(s)
        # reuse a node if the attachment point is one
        dq, kq = tree_nodes.query((q.x, q.y))
        if dq <= tol:
            attach = int(kq)
        else:
            attach = len(nodes) + len(extra_nodes)
            extra_nodes.append((q.x, q.y))
            splits[line_pos][s] = attach
        house = len(nodes) + len(extra_nodes)
        extra_nodes.append(p)
        customer_bus[cu["customer_id"]] = house
        services.append(
            {
                "customer_id": cu["customer_id"],
                "a": attach,
                "b": house,
                "geometry": LineString([(q.x, q.y), p]),
                "length_m": float(dist),
            }
        )
        service_dist.append(float(dist))
    if services:
        problems.append(
            Problem(
                WARNING,
                "service_cable",
                f"{len(services)} customer(s) {min(service_dist):.1f}-{max(service_dist):.1f} m "
                f"from the network (snap tolerance {tol} m) are connected through a drawn "
                "service cable (option service_cable); draw their service cables in GIS "
                "to control the type",
                tuple(sv["customer_id"] for sv in services),
                "customers",
            )
        )
    if too_far:
        problems.append(
            Problem(
                ERROR,
                "customer_too_far",
                f"more than max_service_m = {max_service_m:g} m from any line "
                f"({'; '.join(x for x in far_detail if x)}); check the position or draw the "
                "customer's service cable",
                tuple(too_far),
                "customers",
            )
        )
    if extra_nodes:
        nodes = np.vstack([nodes, np.asarray(extra_nodes, dtype=float)])

    # 4. cut lines into pieces
    pieces: list[dict] = []
    for i, ln in enumerate(lines):
        geom = ln["geometry"]
        total = geom.length
        cuts = sorted((s, k) for s, k in splits[i].items() if tol < s < total - tol)
        stations = [(0.0, end_node[1 + 2 * i])] + cuts + [(total, end_node[2 + 2 * i])]
        scale = (ln["length_m"] / total) if ln["length_m"] else 1.0
        for j in range(len(stations) - 1):
            (s0, a), (s1, b) = stations[j], stations[j + 1]
            part = substring(geom, s0, s1)
            name = ln["line_id"] if len(stations) == 2 else f"{ln['line_id']}#{j + 1}"
            pieces.append(
                {
                    **ln,
                    "name": name,
                    "geometry": part,
                    "a": a,
                    "b": b,
                    "length_m": (s1 - s0) * scale,
                }
            )
    for sv in services:
        pieces.append(
            {
                "line_id": f"service-{sv['customer_id']}",
                "name": f"service-{sv['customer_id']}",
                "geometry": sv["geometry"],
                "a": sv["a"],
                "b": sv["b"],
                "length_m": sv["length_m"],
                "cable_type": None,
                "service": True,
            }
        )

    # 5. graph checks: zero-length pieces, not fed, loops, gaps and dangling ends
    graph = nx.MultiGraph()
    graph.add_nodes_from(range(len(nodes)))
    for k, pc in enumerate(pieces):
        if pc["a"] == pc["b"]:
            problems.append(
                Problem(
                    ERROR,
                    "invalid_geometry",
                    f"both ends meet within the snap tolerance {tol} m (a closed ring or a "
                    "stub); remove it or lower snap_tolerance_m",
                    (pc["line_id"],),
                    "lines",
                )
            )
            continue
        graph.add_edge(pc["a"], pc["b"], key=k)
    used = {n for pc in pieces for n in (pc["a"], pc["b"])} | {substation_node}
    graph = graph.subgraph(used).copy()
    fed = nx.node_connected_component(graph, substation_node) if graph.number_of_nodes() else set()
    if graph.degree(substation_node) == 0 and pieces:
        d = min(pc["geometry"].distance(Point(nodes[substation_node])) for pc in pieces)
        problems.append(
            Problem(
                ERROR,
                "not_fed",
                f"no line starts at the substation point (nearest line {d:.1f} m away, snap "
                f"tolerance {tol} m); move the substation point onto the start of the feeder "
                "cables",
                (str(sub["substation_id"]),),
                "substation",
            )
        )
    unfed_lines = sorted(
        {pc["line_id"] for pc in pieces if pc["a"] not in fed and pc["b"] not in fed}
    )
    unfed_customers = sorted(c for c, n in customer_bus.items() if n not in fed)
    if unfed_lines:
        problems.append(
            Problem(
                ERROR,
                "not_fed",
                "no path to the substation (a gap or a missing line upstream); connect them "
                f"within the snap tolerance {tol} m or delete them",
                tuple(unfed_lines),
                "lines",
            )
        )
    if unfed_customers:
        problems.append(
            Problem(
                ERROR,
                "not_fed",
                "customers on a part of the network without a path to the substation",
                tuple(unfed_customers),
                "customers",
            )
        )
    n_loops = (
        graph.number_of_edges() - graph.number_of_nodes() + nx.number_connected_components(graph)
    )
    if n_loops > 0:
        loop_lines: list[str] = []
        simple = nx.Graph(graph)
        for cycle in nx.cycle_basis(simple):
            for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
                loop_lines += [pieces[k]["line_id"] for k in graph.get_edge_data(a, b)]
        for a, b in simple.edges:
            keys = list(graph.get_edge_data(a, b))
            if len(keys) > 1:
                loop_lines += [pieces[k]["line_id"] for k in keys]
        problems.append(
            Problem(
                ERROR,
                "loop",
                f"{n_loops} loop(s): gridv2x studies radial feeders; open one line per loop "
                "(delete it or move its end)",
                tuple(dict.fromkeys(loop_lines)),
                "lines",
            )
        )
    degree = dict(graph.degree())
    cust_nodes = set(customer_bus.values())
    line_of_node: dict[int, list[str]] = {}
    for pc in pieces:
        for n in (pc["a"], pc["b"]):
            line_of_node.setdefault(n, []).append(pc["line_id"])
    reported: set[frozenset] = set()
    dangling_only: list[str] = []
    piece_tree = STRtree([pc["geometry"] for pc in pieces])
    for n, deg in degree.items():
        if deg != 1 or n == substation_node or n in cust_nodes:
            continue
        p = Point(nodes[n])
        gaps: dict[str, float] = {}
        for k in piece_tree.query(p.buffer(gap_search_m)):
            pc = pieces[int(k)]
            if n in (pc["a"], pc["b"]) or pc.get("service"):
                continue
            d = float(pc["geometry"].distance(p))
            gaps[pc["line_id"]] = min(d, gaps.get(pc["line_id"], np.inf))
        d_sub = float(np.hypot(*(nodes[n] - nodes[substation_node])))
        if d_sub <= gap_search_m:
            gaps["substation"] = d_sub
        own_line = line_of_node[n][0]
        d = min(gaps.values()) if gaps else np.inf
        if d <= gap_search_m:
            others = sorted(k for k, v in gaps.items() if v <= d + 1e-6)
            pair = frozenset((own_line, *others))
            if pair in reported:
                continue
            reported.add(pair)
            names = " / ".join(others)
            problems.append(
                Problem(
                    ERROR,
                    "gap",
                    f"the end of line {own_line} is {d:.1f} m from {names} but does not meet it "
                    f"(snap tolerance {tol} m); move the vertex onto {names} or raise "
                    "snap_tolerance_m",
                    (own_line, *others),
                    "lines",
                )
            )
        else:
            dangling_only.append(own_line)
    if dangling_only:
        problems.append(
            Problem(
                WARNING,
                "dangling_end",
                "line end feeds no customer and meets nothing; fine for a spare cable end, "
                "otherwise connect it",
                tuple(dict.fromkeys(dangling_only)),
                "lines",
            )
        )
    return _Topology(nodes, pieces, customer_bus, services, substation_node)


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
    path = Path(path)
    layers = feeder_layers(feeder)
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
