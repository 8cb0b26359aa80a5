"""Vehicle models of the Swedish BEV fleet and the draw of a feeder's EV fleet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridv2x.conventions import FLEET_COLUMNS, PHASES
from gridv2x.errors import InputError
from gridv2x.mobility._streams import ev_generators

__all__ = ["VehicleModel", "VEHICLE_MODELS", "DEFAULT_FLEET_MIX", "draw_fleet", "vehicle_models"]


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


def _check_mix(
    fleet_mix: Mapping[str, float], catalogue: Mapping[str, VehicleModel]
) -> tuple[list[str], np.ndarray]:
    if not isinstance(fleet_mix, Mapping) or not fleet_mix:
        raise InputError(
            f"vehicles.fleet_mix: given {fleet_mix!r}; allowed: a mapping of model name to share, "
            f"models {sorted(catalogue)}"
        )
    unknown = sorted(set(fleet_mix) - set(catalogue))
    if unknown:
        raise InputError(
            f"vehicles.fleet_mix: unknown model(s) {unknown}; allowed: {sorted(catalogue)} "
            "(add your own under vehicles.models)"
        )
    names = list(fleet_mix)
    weights = np.array([float(fleet_mix[n]) for n in names])
    if (weights < 0).any() or weights.sum() <= 0:
        raise InputError(
            f"vehicles.fleet_mix: given {dict(fleet_mix)!r}; allowed: shares >= 0 with a "
            "positive sum (they are normalised)"
        )
    return names, weights / weights.sum()


def draw_fleet(
    owners: pd.DataFrame,
    *,
    rng: np.random.Generator,
    fleet_mix: Mapping[str, float] | None = None,
    share_1ph: float = 0.2,
    charger_kw_1ph: float = 3.7,
    charger_kw_3ph: float = 11.0,
    models: Mapping[str, Mapping] | None = None,
) -> pd.DataFrame:
    """Draw a vehicle model and a home charger for each EV.

    Parameters
    ----------
    owners : pandas.DataFrame
        From :func:`gridv2x.adoption.allocate_evs`: ``ev_id``, ``customer_id`` and optionally
        the owner's ``phases``/``phase``; a single-phase customer (``phases == 1``) always gets
        a single-phase charger on its own phase.
    rng : numpy.random.Generator
        Source of randomness; advanced by one draw that seeds one stream per EV (keyed by
        ``ev_id``), so an EV keeps its car whatever other EVs the feeder has.
    fleet_mix : mapping, optional
        Share per model name of :data:`VEHICLE_MODELS` [-] (normalised);
        default :data:`DEFAULT_FLEET_MIX`.
    share_1ph : float
        Share of home chargers that are single-phase [-]; default 0.2 [E] (docs/sources.md §4).
    charger_kw_1ph : float
        Single-phase home charger power [kW]; default 3.7 (16 A × 230 V, docs/sources.md §4, §7).
    charger_kw_3ph : float
        Three-phase home charger power [kW]; default 11.0 (3 × 16 A, docs/sources.md §4).
    models : mapping, optional
        Extra vehicle models (or replacements of built-in ones) for ``fleet_mix``, see
        :func:`vehicle_models`.

    Returns
    -------
    pandas.DataFrame
        ``conventions.FLEET_COLUMNS`` in the order of ``owners``: ``charger_kw`` is the lower
        of the vehicle's max AC power (on that number of phases) and the charger's power;
        ``phases`` is 1 when the charger or the vehicle's on-board charger is single-phase,
        with ``phase`` drawn uniformly from a/b/c (or the customer's phase), else 3 and
        ``"abc"``. ``kwh_per_km`` is the consumption at 20 °C.
    """
    for column in ("ev_id", "customer_id"):
        if column not in owners.columns:
            raise InputError(f"owners: column {column!r} missing; allowed: allocate_evs output")
    if not 0.0 <= share_1ph <= 1.0:
        raise InputError(f"vehicles.share_1ph: given {share_1ph!r}; allowed: 0 to 1")
    for key, value in (("charger_kw_1ph", charger_kw_1ph), ("charger_kw_3ph", charger_kw_3ph)):
        if not value > 0:
            raise InputError(f"vehicles.{key}: given {value!r}; allowed: a power > 0 [kW]")
    catalogue = vehicle_models(models)
    names, weights = _check_mix(fleet_mix or DEFAULT_FLEET_MIX, catalogue)
    n = len(owners)
    # one stream per EV: an EV keeps its car whatever other EVs the feeder has
    u = np.array([g.random(3) for g in ev_generators(rng, owners["ev_id"], "fleet")]).reshape(n, 3)
    model_idx = np.minimum(
        np.searchsorted(np.cumsum(weights), u[:, 0], side="right"), len(names) - 1
    )
    cars = [catalogue[names[i]] for i in model_idx]
    charger_1ph = u[:, 1] < share_1ph
    random_phase = np.array(PHASES)[np.minimum((3 * u[:, 2]).astype(int), 2)]
    if "phases" in owners.columns:
        customer_1ph = owners["phases"].to_numpy() == 1
        charger_1ph |= customer_1ph
        if "phase" in owners.columns:
            own = owners["phase"].astype(str).to_numpy()
            random_phase = np.where(customer_1ph & np.isin(own, PHASES), own, random_phase)
    vehicle_1ph = np.array([m.ac_phases == 1 for m in cars], dtype=bool)
    one_phase = charger_1ph | vehicle_1ph
    max_ac = np.array([m.max_ac_kw for m in cars])
    max_ac_1ph = np.array([m.max_ac_kw_1ph for m in cars])
    charger_kw = np.select(
        [charger_1ph, vehicle_1ph],
        [
            np.minimum(max_ac_1ph, charger_kw_1ph),
            # single-phase car on a three-phase charger: one phase of it (3 × 16 A -> 3.7 kW)
            np.minimum(max_ac_1ph, charger_kw_3ph / 3.0),
        ],
        default=np.minimum(max_ac, charger_kw_3ph),
    )
    fleet = pd.DataFrame(
        {
            "ev_id": owners["ev_id"].to_numpy(),
            "customer_id": owners["customer_id"].to_numpy(),
            "model": [names[i] for i in model_idx],
            "battery_kwh": np.array([m.battery_kwh for m in cars], dtype=float),
            "charger_kw": charger_kw.astype(float),
            "phases": np.where(one_phase, 1, 3).astype(int),
            "phase": np.where(one_phase, random_phase, "abc"),
            "kwh_per_km": np.array([m.kwh_per_km for m in cars], dtype=float),
        }
    )
    return fleet[list(FLEET_COLUMNS)]
