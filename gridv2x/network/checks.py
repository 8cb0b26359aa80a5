"""Network consistency checks that return problems as data (never one exception at a time).

A :class:`Problem` names the offending feature ids, what is wrong and how to fix it. Readers
collect every problem first; with ``strict=True`` any error stops them with one
:class:`~gridv2x.errors.InputError` listing all problems, with ``strict=False`` problems are
issued as warnings and the reader builds what it can.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from gridv2x.conventions import CUSTOMER_COLUMNS, DWELLINGS, HEATINGS
from gridv2x.errors import InputError
from gridv2x.network.feeder import Feeder

__all__ = [
    "Problem",
    "ERROR",
    "WARNING",
    "PROBLEM_CODES",
    "raise_or_warn",
    "format_problems",
    "check_feeder",
    "DWELLINGS",
    "HEATINGS",
]

ERROR = "error"
WARNING = "warning"

PROBLEM_CODES = (
    "missing_layer",
    "unreadable",
    "missing_attribute",
    "invalid_attribute",
    "duplicate_id",
    "invalid_geometry",
    "unknown_cable_type",
    "gap",
    "dangling_end",
    "loop",
    "not_fed",
    "customer_too_far",
    "crs",
    "service_cable",
    "design",
    "tap_position",
)
"""Codes a :class:`Problem` may carry."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a network.

    Attributes
    ----------
    severity : str
        ``"error"`` (the network cannot be studied as is) or ``"warning"``.
    code : str
        One of :data:`PROBLEM_CODES`.
    message : str
        What is wrong, naming the feature ids, and how to fix it.
    ids : tuple of str
        The offending feature ids (line_id, customer_id, substation_id, bus names).
    layer : str
        Layer or table the ids belong to (``lines``, ``customers``, ``substation``, ``net``).
    """

    severity: str
    code: str
    message: str
    ids: tuple[str, ...] = field(default_factory=tuple)
    layer: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = f"{self.layer} " if self.layer else ""
        ids = f"{where}{', '.join(self.ids)}: " if self.ids else (f"{where}: " if where else "")
        return f"{self.severity}: [{self.code}] {ids}{self.message}"


def format_problems(problems: list[Problem], source: str = "") -> str:
    """All problems as text, errors first, one per line."""
    errors = [p for p in problems if p.is_error]
    others = [p for p in problems if not p.is_error]
    head = f"{source}: " if source else ""
    lines = [f"{head}{len(errors)} error(s), {len(others)} warning(s)"]
    lines += [f"  - {p}" for p in errors + others]
    return "\n".join(lines)


def raise_or_warn(problems: list[Problem], source: str, strict: bool) -> None:
    """With ``strict`` raise one InputError listing all problems if any is an error; else (and
    for warnings) issue each problem as a ``UserWarning``."""
    if strict and any(p.is_error for p in problems):
        raise InputError(format_problems(problems, source))
    for p in problems:
        warnings.warn(f"{source}: {p}", UserWarning, stacklevel=3)


def check_feeder(feeder: Feeder) -> list[Problem]:
    """Consistency problems of a built :class:`Feeder` (any source).

    Checks: customers table columns and values; every customer's load exists and sits at its
    bus; buses and customers not fed from the substation; loops (meshes) in the LV network;
    line, transformer and slack parameters (:mod:`gridv2x.network.parameters`: self-loops,
    negative or zero impedance, no rating, tap position outside the tap range).
    """
    problems: list[Problem] = []
    net = feeder.net
    c = feeder.customers
    missing = [col for col in CUSTOMER_COLUMNS if col not in c.columns]
    if missing:
        problems.append(
            Problem(
                ERROR,
                "missing_attribute",
                f"customers table lacks column(s) {missing}; add them",
                layer="customers",
            )
        )
        return problems
    dup = c.customer_id[c.customer_id.duplicated()].astype(str).tolist()
    if dup:
        problems.append(
            Problem(
                ERROR,
                "duplicate_id",
                "customer_id must be unique; rename",
                tuple(dup),
                "customers",
            )
        )
    for col, allowed in (("dwelling", DWELLINGS), ("heating", HEATINGS)):
        bad = c.customer_id[~c[col].isin(allowed)].astype(str).tolist()
        if bad:
            problems.append(
                Problem(
                    ERROR,
                    "invalid_attribute",
                    f"{col} must be one of {', '.join(allowed)}",
                    tuple(bad),
                    "customers",
                )
            )
    for col in ("fuse_a", "annual_kwh"):
        values = pd.to_numeric(c[col], errors="coerce")
        bad = c.customer_id[~(values > 0)].astype(str).tolist()
        if bad:
            problems.append(
                Problem(
                    ERROR,
                    "invalid_attribute",
                    f"{col} must be a positive number",
                    tuple(bad),
                    "customers",
                )
            )
    bad = c.customer_id[~c.phases.isin([1, 3])].astype(str).tolist()
    if bad:
        problems.append(
            Problem(ERROR, "invalid_attribute", "phases must be 1 or 3", tuple(bad), "customers")
        )
    bad_load = c.customer_id[~c["load"].isin(net.load.index)].astype(str).tolist()
    if bad_load:
        problems.append(
            Problem(
                ERROR,
                "invalid_attribute",
                "the customer's pandapower load does not exist; one load per customer is needed",
                tuple(bad_load),
                "customers",
            )
        )
    # topology
    graph = nx.MultiGraph()
    graph.add_nodes_from(net.bus.index[net.bus.in_service.astype(bool)])
    lines = net.line[net.line.in_service.astype(bool)]
    for li, row in lines.iterrows():
        graph.add_edge(int(row.from_bus), int(row.to_bus), key=int(li))
    for _, row in net.trafo[net.trafo.in_service.astype(bool)].iterrows():
        graph.add_edge(int(row.hv_bus), int(row.lv_bus), key=f"t{_}")
    for _, row in net.switch.iterrows() if len(net.switch) else []:
        if row.et == "b" and bool(row.closed):
            graph.add_edge(int(row.bus), int(row.element), key=f"s{_}")
    slack = set(int(b) for b in net.ext_grid.bus)
    fed: set[int] = set()
    for comp in nx.connected_components(graph):
        if comp & slack:
            fed |= comp
    unfed_buses = [b for b in net.bus.index if b not in fed]
    if unfed_buses:
        names = [str(net.bus.at[b, "name"]) for b in unfed_buses][:20]
        problems.append(
            Problem(
                ERROR,
                "not_fed",
                f"{len(unfed_buses)} bus(es) have no path to the substation; connect them or "
                "remove them",
                tuple(names),
                "net",
            )
        )
        cust = c.customer_id[c.bus.isin(unfed_buses)].astype(str).tolist()
        if cust:
            problems.append(
                Problem(
                    ERROR,
                    "not_fed",
                    "customers on buses without a path to the substation",
                    tuple(cust),
                    "customers",
                )
            )
    lv = graph.subgraph([b for b in graph.nodes if net.bus.at[b, "vn_kv"] < 1.0])
    simple = nx.Graph(lv)
    n_cycles = lv.number_of_edges() - lv.number_of_nodes() + nx.number_connected_components(lv)
    if n_cycles > 0:
        cycle_lines: list[str] = []
        for cycle in nx.cycle_basis(simple):
            for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
                for key in lv.get_edge_data(a, b):
                    if isinstance(key, int):
                        cycle_lines.append(str(net.line.at[key, "name"]))
        for a, b in simple.edges:
            keys = [k for k in lv.get_edge_data(a, b) if isinstance(k, int)]
            if len(keys) > 1:
                cycle_lines += [str(net.line.at[k, "name"]) for k in keys]
        problems.append(
            Problem(
                ERROR,
                "loop",
                f"{n_cycles} loop(s) in the LV network; gridv2x studies radial feeders, open one "
                "line per loop (set it out of service)",
                tuple(dict.fromkeys(cycle_lines)),
                "lines",
            )
        )
    # line, transformer and slack parameters (every line, catalogue types too: a file may
    # carry a catalogue name with edited values)
    from gridv2x.network.parameters import check_parameters

    problems += check_parameters(net)
    return problems
