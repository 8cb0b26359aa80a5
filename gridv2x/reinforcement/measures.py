"""Reinforcement measures: what a Swedish DSO builds, costed, and applied to a net.

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

:func:`candidate_measures` lists the measures aimed at what a
:class:`~gridv2x.reinforcement.checks.Check` finds violated, :func:`thermal_measures` the
cheapest own fix of every overload, :func:`apply_measure` / :func:`apply_plan` build them
into a net, :func:`with_measures` into a shallow copy for the search's trials. Prices:
docs/sources.md §11.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.errors import InputError
from gridv2x.network.catalogue import CABLES, TRANSFORMERS, transformer
from gridv2x.network.elements import set_cable
from gridv2x.reinforcement.checks import Check
from gridv2x.reinforcement.costs import MEASURES, CostCatalogue

__all__ = [
    "MEASURES",
    "LINE_MEASURES",
    "Measure",
    "feeder_ground",
    "candidate_measures",
    "thermal_measures",
    "apply_measure",
    "apply_plan",
    "with_measures",
]

LINE_MEASURES = ("parallel_cable", "larger_cable")
"""Measures that change only the electrical parameters of one line (same topology)."""

URBAN_M_PER_CUSTOMER = 20.0
"""Below this much LV line per customer a feeder is urban ground [m] [E] (docs/sources.md §11:
apartment blocks 4 m, villa areas 30-40 m, rural 140-160 m per customer in the built-ins)."""
RURAL_M_PER_CUSTOMER = 100.0
"""At or above this much LV line per customer a feeder is rural ground [m] [E]."""


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
        set_cable(net, measure.index, measure.cable_type)
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


def apply_plan(net: Any, measures: Sequence[Measure]) -> Any:
    """A copy of ``net`` with every measure applied in order."""
    out = copy.deepcopy(net)
    for m in measures:
        apply_measure(out, m)
    return out


def with_measures(net: Any, measures: Sequence[Measure]) -> Any:
    """A shallow copy of ``net`` with every measure applied in order, for trials.

    Only what a measure changes is copied (the ``line`` and ``trafo`` tables and the standard
    types); every other table is shared with ``net``, so the copy is to be read, not changed
    further (:func:`apply_plan` gives an independent net).
    """
    out = copy.copy(net)
    out["line"] = net.line.copy()
    out["trafo"] = net.trafo.copy()
    out["std_types"] = {kind: dict(types) for kind, types in net.std_types.items()}
    for m in measures:
        apply_measure(out, m)
    return out


# ------------------------------------------------------------------------------- overloads


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
