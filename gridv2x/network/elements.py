"""The pandapower elements of an LV feeder: the net with its 10 kV grid and secondary
substation, cables from the catalogue (or given impedances) and one load element per customer.
Used by the feeder builder (:mod:`gridv2x.network.builder`) and the readers (GIS, areas)."""

from __future__ import annotations

import numpy as np
import pandapower as pp

from gridv2x.errors import InputError
from gridv2x.network.catalogue import (
    CABLES,
    cable,
    transformer,
)

SLACK_VM_PU = 1.03
"""Voltage at the 10 kV bus [pu] as set by DSO tap practice, docs/sources.md §7 [E]."""

__all__ = [
    "SLACK_VM_PU",
    "GRID_SK_MVA",
    "new_net",
    "add_line",
    "add_lines",
    "set_cable",
    "add_customer_load",
    "add_customer_loads",
]


GRID_SK_MVA = 100.0
"""Short-circuit power at the 10 kV bus [MVA] [E] (typical Swedish 10 kV network)."""


def new_net(
    x: float,
    y: float,
    sn_kva: float,
    *,
    vk_percent: float | None = None,
    vkr_percent: float | None = None,
    vn_hv_kv: float = 10.0,
    slack_vm_pu: float = SLACK_VM_PU,
    sk_mva: float = GRID_SK_MVA,
    name: str = "substation",
    pfe_kw: float | None = None,
    i0_percent: float | None = None,
) -> tuple[pp.pandapowerNet, int]:
    """Empty LV net with a 10 kV ext_grid, a catalogue transformer and the 0.4 kV busbar.

    The transformer has an off-load tap changer on the HV side, +-2 x 2.5 % [E] (the usual
    range of Swedish distribution transformers), at the neutral position.

    Returns
    -------
    (net, lv_bus)
    """
    spec = transformer(sn_kva)
    vk = spec.vk_percent if vk_percent is None else float(vk_percent)
    vkr = spec.vkr_percent if vkr_percent is None else float(vkr_percent)
    if not 0 < vkr < vk:
        raise InputError(
            f"substation {name!r}: vkr_percent {vkr} must be > 0 and < vk_percent {vk}"
        )
    net = pp.create_empty_network(name=name, f_hz=50.0)
    hv = pp.create_bus(net, vn_kv=vn_hv_kv, name=f"{name} {vn_hv_kv:g} kV", geodata=(x, y))
    lv = pp.create_bus(net, vn_kv=0.4, name=f"{name} 0.4 kV", geodata=(x, y))
    pp.create_ext_grid(
        net,
        hv,
        vm_pu=slack_vm_pu,
        name="10 kV grid",
        s_sc_max_mva=sk_mva,
        s_sc_min_mva=sk_mva,
        rx_max=0.1,
        rx_min=0.1,
        x0x_max=1.0,
        r0x0_max=0.1,
    )
    pp.create_transformer_from_parameters(
        net,
        hv,
        lv,
        sn_mva=float(sn_kva) / 1000,
        vn_hv_kv=vn_hv_kv,
        vn_lv_kv=0.4,
        vkr_percent=vkr,
        vk_percent=vk,
        pfe_kw=spec.pfe_kw if pfe_kw is None else float(pfe_kw),
        i0_percent=spec.i0_percent if i0_percent is None else float(i0_percent),
        shift_degree=150,
        vector_group="Dyn",
        vk0_percent=vk,
        vkr0_percent=vkr,
        mag0_percent=100.0,
        mag0_rx=0.0,
        si0_hv_partial=0.9,
        tap_side="hv",
        tap_neutral=0,
        tap_min=-2,
        tap_max=2,
        tap_step_percent=2.5,
        tap_pos=0,
        tap_changer_type="Ratio",
        name=f"{name} T1",
    )
    return net, lv


def _ensure_std_type(net: pp.pandapowerNet, name: str) -> None:
    if pp.std_type_exists(net, name, element="line"):
        return
    c = cable(name)
    pp.create_std_type(
        net,
        {
            "r_ohm_per_km": c.r_ohm_per_km,
            "x_ohm_per_km": c.x_ohm_per_km,
            "c_nf_per_km": c.c_nf_per_km,
            "max_i_ka": c.max_i_a / 1000,
            "type": "ol" if c.kind == "aerial" else "cs",
            "q_mm2": 0,
            "alpha": 0.00403,
        },
        name,
        element="line",
    )


def _line_row(
    from_bus: int,
    to_bus: int,
    coords: list[tuple[float, float]],
    *,
    name: str,
    cable_type: str | None = None,
    length_m: float | None = None,
    r_ohm_per_km: float | None = None,
    x_ohm_per_km: float | None = None,
    max_i_a: float | None = None,
    r_pen_ohm_per_km: float | None = None,
    c_nf_per_km: float | None = None,
) -> dict:
    """Resolve one line's parameters (catalogue type or explicit values)."""
    if length_m is None:
        pts = np.asarray(coords, dtype=float)
        length_m = float(np.hypot(*np.diff(pts, axis=0).T).sum())
    if cable_type is not None and cable_type in CABLES:
        c = CABLES[cable_type]
        r, x, i_a, r_pen, kind = (
            c.r_ohm_per_km,
            c.x_ohm_per_km,
            c.max_i_a,
            c.r_pen_ohm_per_km,
            "ol" if c.kind == "aerial" else "cs",
        )
    else:
        if r_ohm_per_km is None or x_ohm_per_km is None or max_i_a is None:
            raise InputError(
                f"line {name!r}: cable_type {cable_type!r} is not in the catalogue and "
                "r_ohm_per_km, x_ohm_per_km, max_i_a are not all given"
            )
        r, x, i_a = float(r_ohm_per_km), float(x_ohm_per_km), float(max_i_a)
        r_pen = float(r_pen_ohm_per_km) if r_pen_ohm_per_km is not None else r
        kind = "cs"
    c_nf = 0.0 if c_nf_per_km is None or not np.isfinite(c_nf_per_km) else float(c_nf_per_km)
    return {
        "c_nf_per_km": c_nf,
        "from_bus": int(from_bus),
        "to_bus": int(to_bus),
        "length_km": max(float(length_m), 0.1) / 1000,
        "r_ohm_per_km": r,
        "x_ohm_per_km": x,
        "max_i_ka": i_a / 1000,
        "r_pen_ohm_per_km": r_pen,
        "r0_ohm_per_km": r + 3 * r_pen,
        "x0_ohm_per_km": 4 * x,
        "type": kind,
        "std_type": cable_type if cable_type else "custom",
        "name": name,
        "geodata": [tuple(map(float, c[:2])) for c in coords],
    }


def add_lines(net: pp.pandapowerNet, rows: list[dict]) -> list[int]:
    """Add many LV lines at once; each row takes the keyword arguments of :func:`add_line`
    plus ``from_bus``, ``to_bus``, ``coords``. Returns the new line indices."""
    if not rows:
        return []
    resolved = [
        _line_row(
            r["from_bus"],
            r["to_bus"],
            r["coords"],
            **{k: v for k, v in r.items() if k not in ("from_bus", "to_bus", "coords")},
        )
        for r in rows
    ]
    for std in {r["std_type"] for r in resolved}:
        if std in CABLES:
            _ensure_std_type(net, std)
    col = {k: [r[k] for r in resolved] for k in resolved[0]}
    idx = pp.create_lines_from_parameters(
        net,
        col["from_bus"],
        col["to_bus"],
        col["length_km"],
        col["r_ohm_per_km"],
        col["x_ohm_per_km"],
        col["c_nf_per_km"],
        col["max_i_ka"],
        name=col["name"],
        type=col["type"],
        geodata=col["geodata"],
        r0_ohm_per_km=col["r0_ohm_per_km"],
        x0_ohm_per_km=col["x0_ohm_per_km"],
        c0_nf_per_km=0.0,
        std_type=col["std_type"],
        r_pen_ohm_per_km=col["r_pen_ohm_per_km"],
    )
    return [int(i) for i in idx]


def add_line(
    net: pp.pandapowerNet,
    from_bus: int,
    to_bus: int,
    coords: list[tuple[float, float]],
    **kwargs,
) -> int:
    """Add one LV line, from the catalogue (``cable_type``) or from its parameters.

    Keyword arguments: ``name``, ``cable_type``, ``length_m``, ``r_ohm_per_km``,
    ``x_ohm_per_km``, ``max_i_a``, ``r_pen_ohm_per_km``, ``c_nf_per_km`` (catalogue types: 0,
    negligible in 0.4 kV load flows). The length is ``length_m`` or the
    length of ``coords`` [m]. Zero-sequence data for asymmetric load flows: r0 = r + 3 r_pen,
    x0 = 4 x [E] (4-core cable, PEN return).
    """
    return add_lines(net, [{"from_bus": from_bus, "to_bus": to_bus, "coords": coords, **kwargs}])[0]


def set_cable(net: pp.pandapowerNet, li: int, name: str) -> None:
    """Change line ``li`` to catalogue type ``name`` (keeps length and geometry); zero-sequence
    data as :func:`add_lines` sets them (r0 = r + 3 r_pen, x0 = 4 x [E])."""
    c = cable(name)
    _ensure_std_type(net, name)
    net.line.loc[li, ["r_ohm_per_km", "x_ohm_per_km", "max_i_ka"]] = [
        c.r_ohm_per_km,
        c.x_ohm_per_km,
        c.max_i_a / 1000,
    ]
    net.line.at[li, "std_type"] = name
    net.line.at[li, "type"] = "ol" if c.kind == "aerial" else "cs"
    net.line.at[li, "r_pen_ohm_per_km"] = c.r_pen_ohm_per_km
    net.line.at[li, "r0_ohm_per_km"] = c.r_ohm_per_km + 3 * c.r_pen_ohm_per_km
    net.line.at[li, "x0_ohm_per_km"] = 4 * c.x_ohm_per_km


def add_customer_load(net: pp.pandapowerNet, bus: int, customer_id: str) -> int:
    """One pandapower load per customer, p_mw = q_mvar = 0 (placeholder)."""
    return add_customer_loads(net, [bus], [customer_id])[0]


def add_customer_loads(net: pp.pandapowerNet, buses, customer_ids) -> list[int]:
    """One pandapower load per customer at once (p_mw = q_mvar = 0 placeholders)."""
    buses = [int(b) for b in buses]
    if not buses:
        return []
    idx = pp.create_loads(net, buses, p_mw=0.0, q_mvar=0.0, name=[str(c) for c in customer_ids])
    return [int(i) for i in idx]
