"""Topology of a feeder from GIS geometry: buses from snapped line ends and vertices, lines split
where others meet them, customers connected directly or through a service cable, gaps found
(the rules: :mod:`gridv2x.network.gis`, section "Topology")."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree
from shapely import STRtree
from shapely.geometry import LineString, Point
from shapely.ops import substring

from gridv2x.network.checks import (
    ERROR,
    WARNING,
    Problem,
)
from gridv2x.network.gis_attributes import (
    _Parsed,
)


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
    assert sub is not None, "the topology is built only for a parsed substation"
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
            i, dist = int(near[0]), float(dists[0])
        else:
            i, dist = -1, np.inf
        if i < 0 or dist > max_service_m:
            too_far.append(cu["customer_id"])
            far_detail.append(f"{cu['customer_id']} {dist:.0f} m" if i >= 0 else "")
            continue
        geom = lines[i]["geometry"]
        s = geom.project(pt)
        q = geom.interpolate(s)
        # reuse a node if the attachment point is one
        dq, kq = tree_nodes.query((q.x, q.y))
        if dq <= tol:
            attach = int(kq)
        else:
            attach = len(nodes) + len(extra_nodes)
            extra_nodes.append((q.x, q.y))
            splits[i][s] = attach
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
        nearby: dict[str, float] = {}
        for k in piece_tree.query(p.buffer(gap_search_m)):
            pc = pieces[int(k)]
            if n in (pc["a"], pc["b"]) or pc.get("service"):
                continue
            d = float(pc["geometry"].distance(p))
            nearby[pc["line_id"]] = min(d, nearby.get(pc["line_id"], np.inf))
        d_sub = float(np.hypot(*(nodes[n] - nodes[substation_node])))
        if d_sub <= gap_search_m:
            nearby["substation"] = d_sub
        own_line = line_of_node[n][0]
        d = min(nearby.values()) if nearby else np.inf
        if d <= gap_search_m:
            others = sorted(k for k, v in nearby.items() if v <= d + 1e-6)
            pair = frozenset((own_line, *others))
            if pair in reported:
                continue
            reported.add(pair)
            meets = " / ".join(others)
            problems.append(
                Problem(
                    ERROR,
                    "gap",
                    f"the end of line {own_line} is {d:.1f} m from {meets} but does not meet it "
                    f"(snap tolerance {tol} m); move the vertex onto {meets} or raise "
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
