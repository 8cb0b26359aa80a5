"""Scenario section ``vehicles``: keyword arguments of :func:`gridv2x.mobility.draw_fleet`."""

from __future__ import annotations

from gridv2x.errors import InputError
from gridv2x.mobility.vehicle_models import DEFAULT_FLEET_MIX, VEHICLE_MODELS, vehicle_models
from gridv2x.options import Field, Section, ValidationError


def _check_models(value: dict) -> str | None:
    try:
        vehicle_models(value)
    except InputError as exc:
        return str(exc)
    return None


def _check_fleet_mix(value: dict) -> str | None:
    if not value:
        return f"needs at least one model; allowed models: {sorted(VEHICLE_MODELS)}"
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
            + " and those under `models`. Default: Model Y 24 %, EX30 12 %, XC40/EX40 12 %, "
            "... (top sellers 2024, docs/sources.md §4; the mix is an estimate).",
        ),
        "models": Field(
            default={},
            type=dict,
            check=_check_models,
            doc="Extra vehicle models for `fleet_mix`: `{name: {battery_kwh, kwh_per_km, "
            "max_ac_kw, ac_phases, max_ac_kw_1ph}}` with usable battery [kWh], consumption at "
            "20 °C [kWh/km], max AC power [kW], on-board charger phases (1 or 3, default 3) "
            "and max single-phase power [kW] (default min(7.4, max_ac_kw)).",
        ),
        "share_1ph": Field(
            default=0.2,
            type=float,
            min=0.0,
            max=1.0,
            doc="Share of home chargers that are single-phase [-]; 0.2 [E] (docs/sources.md §4). "
            "Single-phase customers always get a single-phase charger on their phase.",
        ),
        "charger_kw_1ph": Field(
            default=3.7,
            type=float,
            min=0.5,
            max=7.4,
            doc="Single-phase home charger power [kW]; 3.7 (16 A, docs/sources.md §4, §7).",
        ),
        "load_guard": Field(
            default=True,
            type=bool,
            doc="Chargers installed with a load guard (effektvakt): charging, and V2G discharge, "
            "throttled per phase to what the customer's main fuse leaves after the household "
            "load (at 0.9 pu voltage); the energy this costs is counted (ev_guard_lost_kwh). "
            "false = chargers run at full power whatever the fuse (docs/sources.md §9).",
        ),
        "charger_kw_3ph": Field(
            default=11.0,
            type=float,
            min=1.0,
            max=44.0,
            doc="Three-phase home charger power [kW]; 11 (3 × 16 A, docs/sources.md §4). The "
            "charging power is the lower of this and the car's on-board charger.",
        ),
    },
)


def cross_check(vehicles: dict) -> list[ValidationError]:
    """Checks across keys of the section: every `fleet_mix` model is built in or in `models`.

    Called by the scenario validation on the resolved section (``schema._cross_checks``).
    """
    known = set(VEHICLE_MODELS) | set(vehicles.get("models") or {})
    unknown = sorted(set(vehicles.get("fleet_mix") or {}) - known)
    if not unknown:
        return []
    return [
        ValidationError(
            "vehicles.fleet_mix",
            f"unknown model(s) {unknown}; allowed: {sorted(known)} (add your own under "
            "vehicles.models)",
            vehicles.get("fleet_mix"),
        )
    ]


DEFAULTS = SECTION.defaults()
"""The section's defaults (the keyword defaults of :func:`gridv2x.mobility.draw_fleet`)."""
