"""Battery-electric car models of the Swedish fleet: usable battery, consumption and on-board
charger of each, the fleet mix a feeder's EVs are drawn from, and user-defined models
(scenario ``vehicles.models``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gridv2x.errors import InputError

__all__ = ["VehicleModel", "VEHICLE_MODELS", "DEFAULT_FLEET_MIX", "vehicle_models"]


@dataclass(frozen=True)
class VehicleModel:
    """A battery-electric car model.

    Attributes
    ----------
    battery_kwh : float
        Usable battery capacity [kWh].
    kwh_per_km : float
        Consumption at 20 °C in mixed driving, at the battery [kWh/km].
    max_ac_kw : float
        Maximum AC charging power of the on-board charger [kW].
    ac_phases : int
        Phases the on-board charger uses (3, or 1 for single-phase on-board chargers).
    max_ac_kw_1ph : float
        Maximum AC power on a single-phase charger [kW] (32 A × 230 V = 7.4 kW at most).
    source : str
        Where the numbers come from ([F] found / [E] estimate / [R] recalled, docs/sources.md §4).
    """

    battery_kwh: float
    kwh_per_km: float
    max_ac_kw: float
    ac_phases: int = 3
    max_ac_kw_1ph: float = 7.4
    source: str = ""


VEHICLE_MODELS: dict[str, VehicleModel] = {
    "Tesla Model Y": VehicleModel(
        70.0,
        0.155,
        11.0,
        source="[F] ~70 kWh usable, 142 Wh/km @20 °C 90 km/h (docs/sources.md §4); "
        "mixed-driving consumption [E]",
    ),
    "Volvo EX30": VehicleModel(
        64.0,
        0.165,
        11.0,
        source="[F] 64 kWh usable, 158 Wh/km @22 °C (docs/sources.md §4); 11 kW AC [R]",
    ),
    "Volvo XC40/EX40": VehicleModel(
        75.0,
        0.195,
        11.0,
        source="[E/R] 75-82 kWh class (docs/sources.md §4), large SUV consumption [E]",
    ),
    "Polestar 2": VehicleModel(
        75.0,
        0.18,
        11.0,
        source="[F] max AC 11 kW, 1-ph 32 A = 7 kW (docs/sources.md §4); battery [R], consumption [E]",
    ),
    "VW ID.4": VehicleModel(
        77.0, 0.18, 11.0, source="[E/R] 77 kWh (docs/sources.md §4), consumption [E]"
    ),
    "Tesla Model 3": VehicleModel(57.5, 0.145, 11.0, source="[R] RWD battery, consumption [E]"),
    "Skoda Enyaq": VehicleModel(77.0, 0.18, 11.0, source="[R] battery, consumption [E]"),
    "Kia Niro EV": VehicleModel(64.8, 0.165, 11.0, source="[R] battery, consumption [E]"),
    "Nissan Leaf": VehicleModel(
        39.0,
        0.17,
        6.6,
        ac_phases=1,
        max_ac_kw_1ph=6.6,
        source="[R] 40 kWh gross, single-phase 6.6 kW on-board charger; consumption [E]",
    ),
}
"""Vehicle models of the default fleet (docs/sources.md §4; estimates marked in ``source``)."""

DEFAULT_FLEET_MIX = {
    "Tesla Model Y": 0.24,
    "Volvo EX30": 0.12,
    "Volvo XC40/EX40": 0.12,
    "Polestar 2": 0.08,
    "VW ID.4": 0.10,
    "Tesla Model 3": 0.09,
    "Skoda Enyaq": 0.10,
    "Kia Niro EV": 0.08,
    "Nissan Leaf": 0.07,
}
"""Share of each model in a feeder's EV fleet [-] [E]: Model Y the top seller (18 293 of
~94 000 BEV registrations 2024), EX30 second, XC40/EX40, Polestar 2 and ID.4 among the top
(docs/sources.md §4); the rest of the fleet is spread over common older models (estimate)."""


_MODEL_KEYS = {
    "battery_kwh": (1.0, 300.0),
    "kwh_per_km": (0.05, 1.0),
    "max_ac_kw": (1.0, 44.0),
    "ac_phases": (1, 3),
    "max_ac_kw_1ph": (1.0, 7.4),
}


def vehicle_models(models: Mapping[str, Mapping] | None = None) -> dict[str, VehicleModel]:
    """The built-in models plus (or overridden by) the user's ``models``.

    Parameters
    ----------
    models : mapping, optional
        ``{name: {battery_kwh, kwh_per_km, max_ac_kw, ac_phases=3, max_ac_kw_1ph=7.4}}`` with
        usable battery [kWh], consumption at 20 °C [kWh/km], max AC power [kW], on-board
        charger phases (1 or 3) and max single-phase AC power [kW].

    Raises
    ------
    gridv2x.errors.InputError
        A key missing, unknown or out of range (named as ``vehicles.models.<name>.<key>``).
    """
    out = dict(VEHICLE_MODELS)
    for name, spec in (models or {}).items():
        where = f"vehicles.models.{name}"
        if not isinstance(spec, Mapping):
            raise InputError(
                f"{where}: given {spec!r}; allowed: a mapping of {sorted(_MODEL_KEYS)}"
            )
        unknown = sorted(set(spec) - set(_MODEL_KEYS))
        if unknown:
            raise InputError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(_MODEL_KEYS)}")
        missing = sorted({"battery_kwh", "kwh_per_km", "max_ac_kw"} - set(spec))
        if missing:
            raise InputError(f"{where}: key(s) {missing} missing; needed with their units")
        for key, value in spec.items():
            low, high = _MODEL_KEYS[key]
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not low <= value <= high or (key == "ac_phases" and value not in (1, 3)):
                allowed = "1 or 3" if key == "ac_phases" else f"between {low} and {high}"
                raise InputError(f"{where}.{key}: given {value!r}; allowed: {allowed}")
        out[str(name)] = VehicleModel(
            battery_kwh=float(spec["battery_kwh"]),
            kwh_per_km=float(spec["kwh_per_km"]),
            max_ac_kw=float(spec["max_ac_kw"]),
            ac_phases=int(spec.get("ac_phases", 3)),
            max_ac_kw_1ph=float(spec.get("max_ac_kw_1ph", min(7.4, float(spec["max_ac_kw"])))),
            source="user-defined (scenario vehicles.models)",
        )
    return out
