"""Automatic reinforcement plans: the measures a Swedish DSO takes, cheapest first.

Given a feeder and the loads of one task (load-flow input per step), :func:`plan_reinforcement`
finds measures until no criterion of the scenario's ``limits`` is violated:

``transformer``
    the secondary-substation transformer exchanged for the next standard size that carries the
    load (50, 100, 200, 315, 500, 800, 1250 kVA; ``gridv2x.network.catalogue``);
``parallel_cable``
    a second cable of the same type laid beside an overloaded or voltage-critical section;
``larger_cable``
    the section relaid with a larger cross-section of the same cable family;
``new_substation``
    the feeder split at the middle of its critical branch onto a new secondary substation
    (the line into the middle bus is opened; the new station feeds everything beyond it).

Search
    Each round lists the candidate measures aimed at what is violated (the overloaded
    transformer, the overloaded sections, every section on the path to the customer with the
    worst voltage, a split of each violating branch), applies each one to a copy of the net and
    re-runs the load flow. If some candidates clear every violation, the cheapest of them is
    taken and the plan ends; otherwise the candidate with the largest reduction of the
    violation deficit per SEK is taken and the next round starts from there. The plan is
    therefore never dearer than a single candidate measure that fixes the feeder on its own.

Which steps
    Candidates are checked on the *critical steps* of the task, not the whole period: for
    every transformer and line the step of its highest loading, for every customer the steps of
    its lowest and highest voltage, plus the ``top_steps`` steps of highest feeder load. In a
    radial feeder a section's current is set by the load downstream of it, which a measure
    does not change, so its worst step stays its worst step; a customer's voltage drop is the
    sum over its path of R P + X Q, whose weights a measure changes, so its worst step can move
    to another step of high load on that path. The finished plan is therefore checked on the
    whole period (``verify="full"``); steps that still violate are added to the critical
    steps and the plan is searched again from the start (at most ``max_rounds`` times).

Criteria
    ``voltage`` (every step within [v_min_pu, v_max_pu] at every customer: the Swedish rule
    at 15-minute or coarser steps, and sufficient for the EN 50160 rule), ``transformer_loading``,
    ``line_loading``, ``unbalance`` (asymmetric load flows) and ``convergence``, as far as they
    are in ``limits.criteria``. ``fuse`` (the customer's main fuse) is the customer's
    installation, not the grid's: no grid measure fixes it, so it is left out.

References
----------
.. [1] eDisGo, ``edisgo.flex_opt.reinforce_grid`` (German approach: transformer, parallel
   line, split), https://github.com/openego/eDisGo.
.. [2] docs/sources.md §1.1 (standard transformer sizes), §11 (costs).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.errors import InputError
from gridv2x.network.catalogue import CABLES, TRANSFORMERS, cable, transformer
from gridv2x.network.feeder import Feeder
from gridv2x.reinforcement.costs import GROUNDS, MEASURES, CostCatalogue

__all__ = [
    "MEASURES",
    "GRID_CRITERIA",
    "Measure",
    "Plan",
    "Check",
    "feeder_ground",
    "critical_steps",
    "check",
    "candidate_measures",
    "thermal_measures",
    "apply_measure",
    "apply_plan",
    "plan_reinforcement",
]

GRID_CRITERIA = ("voltage", "transformer_loading", "line_loading", "unbalance", "convergence")
"""Criteria a grid measure can fix (not ``fuse``, the customer's installation)."""

URBAN_M_PER_CUSTOMER = 20.0
"""Below this much LV line per customer a feeder is urban ground [m] [E] (docs/sources.md §11:
apartment blocks 4 m, villa areas 30-40 m, rural 140-160 m per customer in the built-ins)."""
RURAL_M_PER_CUSTOMER = 100.0
"""At or above this much LV line per customer a feeder is rural ground [m] [E]."""

_TOLERANCE_PCT = 1e-6
_TOLERANCE_PU = 1e-9


@dataclass(frozen=True)
class Measure:
    """One reinforcement measure.

    Attributes
    ----------
    measure : str
        One of :data:`MEASURES`.
    element : str
        ``"trafo <i>"`` or ``"line <i> (<name>)"`` (pandapower index).
    from_, to : str
        What was there and what comes instead (a size [kVA] or a cable type).
    length_m : float
        Cable length [m] (10 kV cable for ``new_substation``; 0 for a transformer).
    cost_sek : float
        Cost [SEK] (docs/sources.md §11).
    index : int
        pandapower index of the trafo or line.
    new_kva : float
        New transformer rating [kVA] (``transformer``, ``new_substation``).
    cable_type : str
        New cable type (``larger_cable``).
    parallel : int
        Cables of the section afterwards (``parallel_cable``, ``larger_cable``).
    """

    measure: str
    element: str
    from_: str
    to: str
    length_m: float
    cost_sek: float
    index: int
    new_kva: float = 0.0
    cable_type: str = ""
    parallel: int = 0

    def as_row(self) -> dict[str, Any]:
        """The measure as a row of ``reinforcement.csv``."""
        return {
            "measure": self.measure,
            "element": self.element,
            "from": self.from_,
            "to": self.to,
            "length_m": round(float(self.length_m), 1),
            "cost_sek": round(float(self.cost_sek)),
        }


@dataclass
class Check:
    """Violations of one load flow over some steps.

    Attributes
    ----------
    violations : dict
        ``criterion -> list of elements`` that violate (empty dict: passes).
    deficit : float
        How far beyond the limits, summed over elements (0 when passing) [-]: loading excess
        [fraction of the limit] + voltage excess [per cent of nominal] + non-converged steps.
    trafo_loading, line_loading : pandas.Series
        Highest loading per trafo / line [%].
    v_low, v_high : pandas.Series
        Lowest / highest voltage per customer bus [pu].
    worst_steps : pandas.Index
        Steps where something violates (for adding to the critical steps).
    """

    violations: dict[str, list[Any]]
    deficit: float
    trafo_loading: pd.Series
    line_loading: pd.Series
    v_low: pd.Series
    v_high: pd.Series
    line_peak_step: pd.Series
    worst_steps: pd.Index = field(default_factory=lambda: pd.Index([]))

    @property
    def passed(self) -> bool:
        return not self.violations


@dataclass
class Plan:
    """A reinforcement plan for one task.

    Attributes
    ----------
    measures : list of Measure
    cost_sek : float
        Total cost [SEK].
    fixed : bool
        True when the reinforced feeder passes every counted grid criterion over the checked
        steps (the whole period with ``verify="full"``).
    needed : bool
        False when the feeder passed without measures.
    remaining : dict
        Violations left when ``fixed`` is False.
    n_steps : int
        Critical steps the search used.
    rounds : int
        Searches run (1 + one per full-period check that found new violating steps).
    load_flows : int
        Load flows run by the search (each over the critical steps), the full-period checks
        not counted.
    ground : str
        Ground class the cable prices used.
    net : pandapowerNet
        The reinforced net.
    """

    measures: list[Measure]
    cost_sek: float
    fixed: bool
    needed: bool
    remaining: dict[str, list[Any]]
    n_steps: int
    rounds: int
    load_flows: int
    ground: str
    net: Any = None

    def table(self) -> pd.DataFrame:
        """One row per measure: ``measure, element, from, to, length_m, cost_sek``."""
        columns = ["measure", "element", "from", "to", "length_m", "cost_sek"]
        return pd.DataFrame([m.as_row() for m in self.measures], columns=columns)


# ----------------------------------------------------------------------------------- helpers


def feeder_ground(net: Any, n_customers: int) -> str:
    """Ground class of a feeder from its LV line length per customer (urban / suburban /
    rural; thresholds :data:`URBAN_M_PER_CUSTOMER`, :data:`RURAL_M_PER_CUSTOMER`) [E]."""
    lv = net.line[net.line.in_service.astype(bool)]
    metres = float(lv.length_km.sum()) * 1000.0 / max(int(n_customers), 1)
    if metres < URBAN_M_PER_CUSTOMER:
        return "urban"
    if metres < RURAL_M_PER_CUSTOMER:
        return "suburban"
    return "rural"


def _forest(net: Any) -> dict[int, tuple[int, int, int]]:
    """``bus -> (parent bus, line, trafo)`` for every LV bus reached from a trafo's LV bus."""
    adjacency: dict[int, list[tuple[int, int]]] = {}
    lines = net.line[net.line.in_service.astype(bool)]
    for li, a, b in zip(lines.index, lines.from_bus, lines.to_bus, strict=True):
        adjacency.setdefault(int(a), []).append((int(b), int(li)))
        adjacency.setdefault(int(b), []).append((int(a), int(li)))
    parent: dict[int, tuple[int, int, int]] = {}
    trafos = net.trafo[net.trafo.in_service.astype(bool)]
    seen = set(int(b) for b in trafos.lv_bus)
    queue = deque((int(b), int(t)) for t, b in zip(trafos.index, trafos.lv_bus, strict=True))
    while queue:
        bus, tr = queue.popleft()
        for nxt, li in adjacency.get(bus, []):
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = (bus, li, tr)
                queue.append((nxt, tr))
    return parent


def _path(parent: Mapping[int, tuple[int, int, int]], bus: int) -> list[int]:
    """Lines from the bus up to its transformer (bus side first)."""
    out = []
    while bus in parent:
        up, li, _ = parent[bus]
        out.append(li)
        bus = up
    return out


def _bus_path(parent: Mapping[int, tuple[int, int, int]], bus: int) -> list[int]:
    """Buses from ``bus`` up to its transformer's LV bus (inclusive)."""
    out = [bus]
    while bus in parent:
        bus = parent[bus][0]
        out.append(bus)
    return out


def _family(cable_type: str) -> str:
    return str(cable_type).split(" ")[0]


def _larger_cables(cable_type: str) -> list[str]:
    """Catalogue types of the same family with a higher rating, smallest first."""
    if cable_type not in CABLES:
        return []
    own = CABLES[cable_type]
    same = [
        c
        for c in CABLES.values()
        if _family(c.name) == _family(cable_type) and c.kind == own.kind and c.max_i_a > own.max_i_a
    ]
    if not same and own.kind == "cable":  # e.g. N1XE 4x16 -> N1XV trunk sizes
        same = [
            c
            for c in CABLES.values()
            if _family(c.name) == "N1XV" and c.max_i_a > own.max_i_a and c.kind == "cable"
        ]
    return [c.name for c in sorted(same, key=lambda c: c.max_i_a)]


def _line_label(net: Any, li: int) -> str:
    name = net.line.at[li, "name"] if "name" in net.line else ""
    return f"line {li} ({name})" if isinstance(name, str) and name else f"line {li}"


def _line_type(net: Any, li: int) -> str:
    std = net.line.at[li, "std_type"] if "std_type" in net.line else None
    if isinstance(std, str) and std and std != "custom":
        return std
    r = float(net.line.at[li, "r_ohm_per_km"])
    return f"custom 4x{int(round(30.6 / r)) if r > 0 else 50}"  # Al: R20 ~ 30.6 / mm2 [E]


def _is_aerial(net: Any, li: int) -> bool:
    return str(net.line.at[li, "type"]) == "ol" if "type" in net.line else False


def _standard_at_least(kva: float) -> int | None:
    for size in sorted(TRANSFORMERS):
        if size >= kva - 1e-9:
            return size
    return None


# ------------------------------------------------------------------------------ load flows


def critical_steps(pf: Any, customer_buses: Sequence[int], *, top_steps: int = 24) -> pd.Index:
    """The steps a plan is searched on (module docstring, "Which steps").

    Parameters
    ----------
    pf : TimeseriesResult
        The task's load flow over the whole period.
    customer_buses : sequence of int
        pandapower buses of the customers.
    top_steps : int
        Steps of highest total transformer power added [-].

    Returns
    -------
    pandas.Index
        Time stamps, in time order.
    """
    ok = pd.Series(pf.converged).to_numpy(bool)
    idx = pf.vm_pu.index
    chosen: set[int] = set(np.flatnonzero(~ok)[:top_steps].tolist())

    def worst(values: np.ndarray, highest: bool) -> None:
        if values.size == 0:
            return
        v = np.where(ok[:, None], values, np.nan)
        if np.isnan(v).all():
            return
        filled = np.where(np.isnan(v), -np.inf if highest else np.inf, v)
        pos = filled.argmax(axis=0) if highest else filled.argmin(axis=0)
        chosen.update(int(p) for p in np.unique(pos))

    worst(pf.trafo_loading_percent.to_numpy(float), True)
    worst(pf.line_loading_percent.to_numpy(float), True)
    buses = sorted(set(int(b) for b in customer_buses))
    vm = pf.vm_pu.reindex(columns=buses).to_numpy(float)
    worst(vm, False)
    high = vm
    phases = [f for p in "abc" if isinstance(f := getattr(pf, f"vm_{p}_pu", None), pd.DataFrame)]
    if len(phases) == 3:
        high = np.fmax.reduce([f.reindex(columns=buses).to_numpy(float) for f in phases])
        if getattr(pf, "vuf_pct", None) is not None:
            worst(pf.vuf_pct.reindex(columns=buses).to_numpy(float), True)
    worst(high, True)
    total = np.nan_to_num(pf.trafo_p_mw.to_numpy(float)).sum(axis=1)
    total = np.where(ok, total, -np.inf)
    if len(total):
        chosen.update(np.argsort(total)[::-1][: int(top_steps)].tolist())
        chosen.update(
            np.argsort(np.where(ok, -total, -np.inf))[::-1][: int(top_steps) // 4].tolist()
        )
    return idx[sorted(chosen)]


def _run(net: Any, load_p_mw: pd.DataFrame, load_q_mvar: pd.DataFrame, options: Mapping) -> Any:
    """Load flow of a (trial) feeder with the scenario's engine (``auto``: radial for a tree);
    the pandapower reference is too slow for the planner's many trials, so pgm stands in."""
    from gridv2x.powerflow import run_timeseries

    engine = str(options.get("engine", "auto"))
    return run_timeseries(
        net,
        load_p_mw,
        load_q_mvar,
        engine="pgm" if engine == "pandapower" else engine,
        asymmetric=bool(options.get("asymmetric", False)),
        threads=int(options.get("threads", 0)),
        error_tolerance_pu=float(options.get("error_tolerance_pu", 1e-8)),
        chunk_steps=int(options.get("chunk_steps", 2880)),
    )


def check(
    pf: Any,
    customer_buses: Sequence[int],
    limits: Mapping[str, Any],
) -> Check:
    """Which counted grid criteria a load flow violates, and by how much.

    Parameters
    ----------
    pf : TimeseriesResult
        Load flow of the (reinforced) feeder over some steps.
    customer_buses : sequence of int
        pandapower buses of the customers.
    limits : mapping
        The scenario's resolved ``limits`` section.

    Returns
    -------
    Check
    """
    counted = [c for c in limits["criteria"] if c in GRID_CRITERIA]
    ok = pd.Series(pf.converged).to_numpy(bool)
    buses = sorted(set(int(b) for b in customer_buses))
    violations: dict[str, list[Any]] = {}
    deficit = 0.0
    bad_rows = np.zeros(len(ok), dtype=bool)

    tl = pf.trafo_loading_percent.to_numpy(float)[ok]
    trafo_max = pd.Series(
        np.nanmax(tl, axis=0) if tl.size else np.zeros(tl.shape[1]),
        index=pf.trafo_loading_percent.columns,
    ).fillna(0.0)
    ll = pf.line_loading_percent.to_numpy(float)
    ll_ok = np.where(ok[:, None], ll, np.nan)
    line_max = pd.Series(
        np.nanmax(np.nan_to_num(ll_ok, nan=-1.0), axis=0) if len(ll) else [],
        index=pf.line_loading_percent.columns,
        dtype=float,
    ).clip(lower=0.0)
    line_peak = pd.Series(
        np.nanargmax(np.nan_to_num(ll_ok, nan=-1.0), axis=0) if len(ll) else [],
        index=pf.line_loading_percent.columns,
        dtype=int,
    )
    vm = pf.vm_pu.reindex(columns=buses).to_numpy(float)
    high = vm
    phases = [f for p in "abc" if isinstance(f := getattr(pf, f"vm_{p}_pu", None), pd.DataFrame)]
    if len(phases) == 3:
        high = np.fmax.reduce([f.reindex(columns=buses).to_numpy(float) for f in phases])
    vm_ok = np.where(ok[:, None], vm, np.nan)
    hi_ok = np.where(ok[:, None], high, np.nan)
    v_low = pd.Series(np.nanmin(np.nan_to_num(vm_ok, nan=9.0), axis=0), index=buses)
    v_high = pd.Series(np.nanmax(np.nan_to_num(hi_ok, nan=0.0), axis=0), index=buses)

    if "transformer_loading" in counted:
        limit = float(limits["transformer_loading_pct"])
        over = trafo_max[trafo_max > limit + _TOLERANCE_PCT]
        if len(over):
            violations["transformer_loading"] = [int(i) for i in over.index]
            deficit += float((over / limit - 1.0).sum())
            bad_rows |= np.nan_to_num(pf.trafo_loading_percent.to_numpy(float)).max(axis=1) > limit
    if "line_loading" in counted:
        limit = float(limits["line_loading_pct"])
        over = line_max[line_max > limit + _TOLERANCE_PCT]
        if len(over):
            violations["line_loading"] = [int(i) for i in over.index]
            deficit += float((over / limit - 1.0).sum())
            bad_rows |= np.nan_to_num(ll).max(axis=1) > limit
    if "voltage" in counted:
        lo, hi = float(limits["v_min_pu"]), float(limits["v_max_pu"])
        below = (lo - v_low).clip(lower=0.0)
        above = (v_high - hi).clip(lower=0.0)
        bad = (below > _TOLERANCE_PU) | (above > _TOLERANCE_PU)
        if bad.any():
            violations["voltage"] = [int(b) for b in bad.index[bad]]
            deficit += float(100.0 * (below + above).sum())
            bad_rows |= (np.nan_to_num(vm, nan=1.0) < lo).any(axis=1) | (
                np.nan_to_num(high, nan=1.0) > hi
            ).any(axis=1)
    if "unbalance" in counted and getattr(pf, "vuf_pct", None) is not None:
        limit = float(limits["unbalance_pct"])
        vuf = pf.vuf_pct.reindex(columns=buses).to_numpy(float)
        worst = np.nanmax(np.where(ok[:, None], vuf, np.nan), axis=0)
        bad_bus = [b for b, v in zip(buses, worst, strict=True) if v > limit + _TOLERANCE_PCT]
        if bad_bus:
            violations["unbalance"] = bad_bus
            deficit += float(np.nansum(np.clip(worst / limit - 1.0, 0.0, None)))
            bad_rows |= np.nan_to_num(vuf).max(axis=1) > limit
    if "convergence" in counted and not ok.all():
        violations["convergence"] = ["feeder"]
        deficit += float((~ok).sum())
        bad_rows |= ~ok
    return Check(
        violations=violations,
        deficit=deficit,
        trafo_loading=trafo_max,
        line_loading=line_max,
        v_low=v_low,
        v_high=v_high,
        line_peak_step=line_peak,
        worst_steps=pf.vm_pu.index[bad_rows],
    )


# -------------------------------------------------------------------------------- measures


def candidate_measures(
    net: Any,
    result: Check,
    limits: Mapping[str, Any],
    catalogue: CostCatalogue,
    ground: str,
    *,
    measures: Sequence[str] = MEASURES,
) -> list[Measure]:
    """Measures aimed at what ``result`` finds violated (module docstring, "Search").

    Parameters
    ----------
    net : pandapowerNet
        The feeder as it is now (possibly already reinforced).
    result : Check
        :func:`check` of its load flow.
    limits : mapping
        Resolved ``limits``.
    catalogue : CostCatalogue
        Prices.
    ground : str
        Ground class of the cable and 10 kV prices.
    measures : sequence of str
        Allowed kinds of measure (:data:`MEASURES`).

    Returns
    -------
    list of Measure
        Each costed, none applied.
    """
    out: list[Measure] = []
    parent = _forest(net)
    violated = result.violations
    t_limit = float(limits["transformer_loading_pct"])
    l_limit = float(limits["line_loading_pct"])

    # transformer: the smallest standard size that carries the load, and the next one
    if "transformer" in measures:
        for ti in violated.get("transformer_loading", []):
            sn = float(net.trafo.at[ti, "sn_mva"]) * 1000.0
            need = sn * float(result.trafo_loading.get(ti, 0.0)) / t_limit
            size = _standard_at_least(need)
            sizes = sorted(s for s in TRANSFORMERS if s > sn + 1e-9)
            options = [s for s in sizes if size is None or s >= size][:2] or sizes[-1:]
            for new in options:
                out.append(
                    Measure(
                        "transformer",
                        f"trafo {ti}",
                        f"{sn:g} kVA",
                        f"{new:g} kVA",
                        0.0,
                        catalogue.transformer_exchange_cost_sek(new),
                        int(ti),
                        new_kva=float(new),
                    )
                )

    # sections: overloaded ones, and those on the path to the worst voltage
    lines: list[int] = list(violated.get("line_loading", []))
    critical_buses: list[int] = []
    bad_v = [b for b in violated.get("voltage", []) + violated.get("unbalance", [])]
    if bad_v:
        lo, hi = float(limits["v_min_pu"]), float(limits["v_max_pu"])
        excess = {
            b: max(lo - result.v_low.get(b, 1.0), result.v_high.get(b, 1.0) - hi) for b in bad_v
        }
        worst_bus = max(excess, key=excess.__getitem__)
        critical_buses.append(worst_bus)
        lines += [li for li in _path(parent, worst_bus) if li not in lines]
    for li in violated.get("line_loading", []):
        critical_buses.append(int(net.line.at[li, "to_bus"]))
    for li in lines:
        length_m = float(net.line.at[li, "length_km"]) * 1000.0
        own = _line_type(net, li)
        aerial = _is_aerial(net, li)
        loading = float(result.line_loading.get(li, 0.0))
        parallel = int(net.line.at[li, "parallel"]) if "parallel" in net.line else 1
        rating = float(net.line.at[li, "max_i_ka"]) * 1000.0
        # the current the section must carry within the limit [A] (0: voltage only)
        need_a = loading / l_limit * rating * parallel if loading > l_limit else 0.0
        if "parallel_cable" in measures and not aerial:
            total = max(parallel + 1, int(np.ceil(need_a / rating - 1e-9)) if rating > 0 else 0)
            out.append(
                Measure(
                    "parallel_cable",
                    _line_label(net, li),
                    f"{parallel} x {own}",
                    f"{total} x {own}",
                    length_m,
                    catalogue.cable_cost_sek(own, length_m, ground, n_cables=total - parallel),
                    int(li),
                    cable_type=own,
                    parallel=total,
                )
            )
        if "larger_cable" in measures:
            for cable in _larger_cables(own):
                new_rating = CABLES[cable].max_i_a
                count = max(parallel, int(np.ceil(need_a / new_rating - 1e-9)))
                out.append(
                    Measure(
                        "larger_cable",
                        _line_label(net, li),
                        f"{parallel} x {own}",
                        f"{count} x {cable}",
                        length_m,
                        catalogue.cable_cost_sek(
                            cable,
                            length_m,
                            ground,
                            aerial=CABLES[cable].kind == "aerial",
                            n_cables=count,
                        ),
                        int(li),
                        cable_type=cable,
                        parallel=count,
                    )
                )

    # split: a new substation at the middle of each critical branch
    if "new_substation" in measures:
        seen_split: set[int] = set()
        for bus in critical_buses:
            buses = _bus_path(parent, bus)  # bus ... trafo LV bus
            if len(buses) < 3:
                continue
            lengths = [0.0]
            for b in buses[:-1][::-1]:  # from the root outwards
                lengths.append(lengths[-1] + float(net.line.at[parent[b][1], "length_km"]) * 1000.0)
            outward = buses[::-1]  # root ... bus
            path_m = lengths[-1]
            k = int(np.argmin([abs(x - path_m / 2.0) for x in lengths[1:]])) + 1
            split = outward[k]
            if split in seen_split:
                continue
            seen_split.add(split)
            line_in = parent[split][1]
            # the new station carries what flowed into the split bus at its peak
            i_ka = (
                float(result.line_loading.get(line_in, 0.0))
                / 100.0
                * float(net.line.at[line_in, "max_i_ka"])
            )
            kva = np.sqrt(3.0) * 0.4 * i_ka * 1000.0 * 100.0 / t_limit
            size = _standard_at_least(max(kva, 50.0)) or max(TRANSFORMERS)
            mv_m = lengths[k]
            out.append(
                Measure(
                    "new_substation",
                    f"bus {split} ({net.bus.at[split, 'name']})",
                    _line_label(net, line_in),
                    f"{size:g} kVA",
                    mv_m,
                    catalogue.new_substation_cost_sek(size, mv_m, ground),
                    int(line_in),
                    new_kva=float(size),
                )
            )
    return out


def apply_measure(net: Any, measure: Measure) -> None:
    """Apply ``measure`` to ``net`` in place."""
    kind = measure.measure
    if kind == "transformer":
        spec = transformer(measure.new_kva)
        ti = measure.index
        net.trafo.loc[ti, ["sn_mva", "vk_percent", "vkr_percent", "pfe_kw", "i0_percent"]] = [
            spec.sn_kva / 1000.0,
            spec.vk_percent,
            spec.vkr_percent,
            spec.pfe_kw,
            spec.i0_percent,
        ]
        for col, value in (("vk0_percent", spec.vk_percent), ("vkr0_percent", spec.vkr_percent)):
            if col in net.trafo:
                net.trafo.at[ti, col] = value
    elif kind == "parallel_cable":
        net.line.at[measure.index, "parallel"] = int(measure.parallel)
    elif kind == "larger_cable":
        _replace_cable(net, measure.index, measure.cable_type)
        net.line.at[measure.index, "parallel"] = int(measure.parallel)
    elif kind == "new_substation":
        import pandapower as pp

        li = measure.index
        parent = _forest(net)
        a, b = int(net.line.at[li, "from_bus"]), int(net.line.at[li, "to_bus"])
        split = b if parent.get(b, (None, None))[1] == li else a
        old = net.trafo.iloc[0]
        spec = transformer(measure.new_kva)
        net.line.at[li, "in_service"] = False
        kwargs = {}
        for col in ("vk0_percent", "vkr0_percent", "mag0_percent", "mag0_rx", "si0_hv_partial"):
            if col in net.trafo and pd.notna(old.get(col)):
                kwargs[col] = float(old[col])
        kwargs["vk0_percent"] = spec.vk_percent
        kwargs["vkr0_percent"] = spec.vkr_percent
        pp.create_transformer_from_parameters(
            net,
            int(old.hv_bus),
            split,
            sn_mva=spec.sn_kva / 1000.0,
            vn_hv_kv=float(old.vn_hv_kv),
            vn_lv_kv=float(old.vn_lv_kv),
            vkr_percent=spec.vkr_percent,
            vk_percent=spec.vk_percent,
            pfe_kw=spec.pfe_kw,
            i0_percent=spec.i0_percent,
            shift_degree=float(old.shift_degree),
            vector_group=old.get("vector_group", "Dyn"),
            tap_side=old.get("tap_side"),
            tap_neutral=old.get("tap_neutral"),
            tap_min=old.get("tap_min"),
            tap_max=old.get("tap_max"),
            tap_step_percent=old.get("tap_step_percent"),
            tap_pos=old.get("tap_pos"),
            tap_changer_type=old.get("tap_changer_type", "Ratio"),
            name=f"new substation at bus {split}",
            **kwargs,
        )
    else:
        raise InputError(f"unknown measure {kind!r}; allowed: {', '.join(MEASURES)}")


def _replace_cable(net: Any, li: int, name: str) -> None:
    """Line ``li`` relaid with catalogue cable ``name`` (length and route kept); zero-sequence
    data as the builder sets them (r0 = r + 3 r_pen, x0 = 4 x [E])."""
    c = cable(name)
    net.line.loc[li, ["r_ohm_per_km", "x_ohm_per_km", "max_i_ka"]] = [
        c.r_ohm_per_km,
        c.x_ohm_per_km,
        c.max_i_a / 1000.0,
    ]
    net.line.at[li, "std_type"] = name
    net.line.at[li, "type"] = "ol" if c.kind == "aerial" else "cs"
    for column, value in (
        ("r_pen_ohm_per_km", c.r_pen_ohm_per_km),
        ("r0_ohm_per_km", c.r_ohm_per_km + 3 * c.r_pen_ohm_per_km),
        ("x0_ohm_per_km", 4 * c.x_ohm_per_km),
    ):
        net.line.at[li, column] = value


def apply_plan(net: Any, measures: Sequence[Measure]) -> Any:
    """A copy of ``net`` with every measure applied in order."""
    out = copy.deepcopy(net)
    for m in measures:
        apply_measure(out, m)
    return out


# ------------------------------------------------------------------------------------ search


def thermal_measures(
    net: Any,
    result: Check,
    limits: Mapping[str, Any],
    catalogue: CostCatalogue,
    ground: str,
    *,
    measures: Sequence[str] = MEASURES,
) -> list[Measure]:
    """For every overloaded transformer and line its cheapest own fix, sized from ratings.

    A section's current is set by the load downstream of it, which no measure changes, so the
    fix of an overload follows from the ratings alone (the planner's first step, as in
    eDisGo): the smallest standard transformer that carries the highest loading, and per
    line the cheapest of enough parallel cables and enough cables of a larger cross-section
    to carry its highest current. Returns the measures (none applied).
    """
    out: list[Measure] = []
    by_element: dict[str, list[Measure]] = {}
    overloads = Check(
        violations={
            k: v
            for k, v in result.violations.items()
            if k in ("transformer_loading", "line_loading")
        },
        deficit=0.0,
        trafo_loading=result.trafo_loading,
        line_loading=result.line_loading,
        v_low=result.v_low.iloc[:0],
        v_high=result.v_high.iloc[:0],
        line_peak_step=result.line_peak_step,
    )
    if not overloads.violations:
        return out
    allowed = [m for m in measures if m != "new_substation"]
    for m in candidate_measures(net, overloads, limits, catalogue, ground, measures=allowed):
        by_element.setdefault(m.element, []).append(m)  # each sized to carry its current
    for options in by_element.values():
        out.append(min(options, key=lambda m: m.cost_sek))
    return out


def _search(
    net0: Any,
    load_p: pd.DataFrame,
    load_q: pd.DataFrame,
    buses: list[int],
    limits: Mapping[str, Any],
    catalogue: CostCatalogue,
    ground: str,
    measures: Sequence[str],
    max_measures: int,
    options: Mapping[str, Any],
) -> tuple[list[Measure], Check, int]:
    net = copy.deepcopy(net0)
    first = check(_run(net, load_p, load_q, options), buses, limits)
    flows = 1
    if first.passed:
        return [], first, flows

    def trial(base: Any, extra: Sequence[Measure]) -> tuple[Any, Check]:
        nonlocal flows
        out = apply_plan(base, extra)
        flows += 1
        return out, check(_run(out, load_p, load_q, options), buses, limits)

    # every single measure aimed at the first violations: the cheapest that fixes all alone
    singles = candidate_measures(net, first, limits, catalogue, ground, measures=measures)
    single_results = [(m, *trial(net, [m])) for m in singles]
    fixing = [s for s in single_results if s[2].passed]
    best_single = min(fixing, key=lambda s: s[0].cost_sek) if fixing else None

    # the planner's way: overloads sized from ratings, then the voltage measure by measure
    chosen = thermal_measures(net, first, limits, catalogue, ground, measures=measures)
    result = first
    if chosen:
        net, result = trial(net, chosen)
    while not result.passed and len(chosen) < max_measures:
        if best_single is not None and sum(m.cost_sek for m in chosen) >= best_single[0].cost_sek:
            break  # already dearer than a single measure that fixes everything
        candidates = candidate_measures(net, result, limits, catalogue, ground, measures=measures)
        scored = [(m, *trial(net, [m])) for m in candidates]
        fixing_now = [s for s in scored if s[2].passed]
        if fixing_now:
            cand, net, result = min(fixing_now, key=lambda s: s[0].cost_sek)
            chosen.append(cand)
            break
        better = [s for s in scored if s[2].deficit < result.deficit - 1e-9]
        if not better:
            break
        cand, net, new = max(
            better, key=lambda s: (result.deficit - s[2].deficit) / max(s[0].cost_sek, 1.0)
        )
        chosen.append(cand)
        result = new
    if best_single is not None and (
        not result.passed or sum(m.cost_sek for m in chosen) >= best_single[0].cost_sek
    ):
        return [best_single[0]], best_single[2], flows
    return chosen, result, flows


def plan_reinforcement(
    feeder: Feeder,
    load_p_mw: pd.DataFrame,
    load_q_mvar: pd.DataFrame,
    *,
    limits: Mapping[str, Any],
    pf: Any = None,
    catalogue: CostCatalogue | None = None,
    ground: str = "auto",
    measures: Sequence[str] = MEASURES,
    max_measures: int = 40,
    top_steps: int = 24,
    verify: str = "full",
    max_rounds: int = 4,
    powerflow_options: Mapping[str, Any] | None = None,
) -> Plan:
    """The cheapest-first reinforcement plan of one task (module docstring).

    Parameters
    ----------
    feeder : Feeder
        The feeder as built (its net is not changed).
    load_p_mw, load_q_mvar : pandas.DataFrame
        The task's load-flow input over the simulated steps [MW], [Mvar] (as
        :func:`gridv2x.powerflow.customer_loads` returns).
    limits : mapping
        The scenario's resolved ``limits`` section.
    pf : TimeseriesResult, optional
        The task's load flow on the unreinforced feeder (saves one run).
    catalogue : CostCatalogue, optional
        Prices (defaults: docs/sources.md §11).
    ground : str
        ``auto`` (from the line length per customer, :func:`feeder_ground`), ``urban``,
        ``suburban`` or ``rural``.
    measures : sequence of str
        Allowed measures (:data:`MEASURES`).
    max_measures : int
        Most measures in one plan [-].
    top_steps : int
        Steps of highest feeder load among the critical steps [-].
    verify : {"full", "steps"}
        ``full``: check the finished plan on every step and search again with the steps that
        still violate; ``steps``: trust the critical steps.
    max_rounds : int
        Most searches with ``verify="full"`` [-].
    powerflow_options : mapping, optional
        ``engine`` (default ``auto``; ``pandapower`` runs as ``pgm``), ``asymmetric``,
        ``threads``, ``error_tolerance_pu``, ``chunk_steps`` of the load flows.

    Returns
    -------
    Plan
    """
    options = dict(powerflow_options or {})
    catalogue = catalogue or CostCatalogue()
    if ground == "auto":
        ground = feeder_ground(feeder.net, len(feeder.customers))
    if ground not in GROUNDS:
        raise InputError(f"reinforcement.ground: {ground!r} is not 'auto' or one of {GROUNDS}")
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise InputError(f"reinforcement.measures: unknown {unknown}; allowed: {list(MEASURES)}")
    buses = sorted(set(int(b) for b in feeder.customers["bus"]))
    if pf is None:
        pf = _run(feeder.net, load_p_mw, load_q_mvar, options)
    first = check(pf, buses, limits)
    if first.passed:
        return Plan([], 0.0, True, False, {}, 0, 0, 0, ground, feeder.net)
    steps = critical_steps(pf, buses, top_steps=top_steps)
    flows = 0
    chosen: list[Measure] = []
    result = first
    rounds = 0
    net = feeder.net
    for rounds in range(1, max_rounds + 1):  # noqa: B007
        chosen, result, n = _search(
            feeder.net,
            load_p_mw.loc[steps],
            load_q_mvar.loc[steps],
            buses,
            limits,
            catalogue,
            ground,
            measures,
            max_measures,
            options,
        )
        flows += n
        net = apply_plan(feeder.net, chosen)
        if not result.passed or verify != "full":
            break
        full = check(_run(net, load_p_mw, load_q_mvar, options), buses, limits)
        result = full
        if full.passed:
            break
        new = full.worst_steps.difference(steps)
        if len(new) == 0:
            break
        # the steps that still violate, the worst of each element first
        steps = steps.union(_worst_new_steps(new, load_p_mw, top_steps))
    return Plan(
        measures=chosen,
        cost_sek=float(sum(round(m.cost_sek) for m in chosen)),
        fixed=result.passed,
        needed=True,
        remaining=result.violations,
        n_steps=len(steps),
        rounds=rounds,
        load_flows=flows,
        ground=ground,
        net=net,
    )


def _worst_new_steps(new: pd.Index, load_p_mw: pd.DataFrame, top: int) -> pd.Index:
    """Up to ``top`` of the newly violating steps, those of highest feeder load first."""
    total = load_p_mw.loc[new].sum(axis=1)
    return total.sort_values(ascending=False).index[: max(int(top), 1)]
