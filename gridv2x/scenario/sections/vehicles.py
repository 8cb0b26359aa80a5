"""Scenario section ``vehicles``: keyword arguments of :func:`gridv2x.mobility.draw_fleet`."""

from __future__ import annotations

from gridv2x.mobility.vehicles import DEFAULT_FLEET_MIX, VEHICLE_MODELS
from gridv2x.scenario.spec import Field, Section


def _check_fleet_mix(value: dict) -> str | None:
    if not value:
        return f"needs at least one model; allowed models: {sorted(VEHICLE_MODELS)}"
    unknown = sorted(set(value) - set(VEHICLE_MODELS))
    if unknown:
        return f"unknown model(s) {unknown}; allowed: {sorted(VEHICLE_MODELS)}"
    for key, share in value.items():
        if isinstance(share, bool) or not isinstance(share, int | float) or share < 0:
            return f"{key}: must be a share >= 0, given {share!r}"
    if sum(value.values()) <= 0:
        return "the shares must not all be 0"
    return None


SECTION = Section(
    doc=(
        "The EV fleet: vehicle models (usable battery, consumption, max AC power) in a Swedish "
        "fleet mix, and the home chargers (single- or three-phase)."
    ),
    fields={
        "fleet_mix": Field(
            default=dict(DEFAULT_FLEET_MIX),
            type=dict,
            check=_check_fleet_mix,
            doc="Share of each vehicle model [-] (normalised); models: "
            + ", ".join(sorted(VEHICLE_MODELS))
            + ". Default: Model Y 24 %, EX30 12 %, XC40/EX40 12 %, ... (top sellers 2024, "
            "sweden.md §4; the mix is an estimate).",
        ),
        "share_1ph": Field(
            default=0.2,
            type=float,
            min=0.0,
            max=1.0,
            doc="Share of home chargers that are single-phase [-]; 0.2 [E] (sweden.md §4). "
            "Single-phase customers always get a single-phase charger on their phase.",
        ),
        "charger_kw_1ph": Field(
            default=3.7,
            type=float,
            min=0.5,
            max=7.4,
            doc="Single-phase home charger power [kW]; 3.7 (16 A, sweden.md §4, §7).",
        ),
        "charger_kw_3ph": Field(
            default=11.0,
            type=float,
            min=1.0,
            max=44.0,
            doc="Three-phase home charger power [kW]; 11 (3 × 16 A, sweden.md §4). The "
            "charging power is the lower of this and the car's on-board charger.",
        ),
    },
)
