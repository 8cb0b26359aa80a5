"""The draw of a feeder's EV fleet: a vehicle model and a home charger for each EV (the models
themselves: :mod:`gridv2x.mobility.vehicle_models`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gridv2x.conventions import FLEET_COLUMNS, PHASES
from gridv2x.errors import InputError
from gridv2x.mobility._streams import ev_generators
from gridv2x.mobility.vehicle_models import (
    DEFAULT_FLEET_MIX,
    VehicleModel,
    vehicle_models,
)
from gridv2x.mobility.vehicle_options import DEFAULTS, SECTION

__all__ = ["draw_fleet"]


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
    share_1ph: float = DEFAULTS["share_1ph"],
    charger_kw_1ph: float = DEFAULTS["charger_kw_1ph"],
    charger_kw_3ph: float = DEFAULTS["charger_kw_3ph"],
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
    # bounds of every option, once: mobility/vehicle_options.py (None = the section's default)
    given = {
        "fleet_mix": fleet_mix,
        "share_1ph": share_1ph,
        "charger_kw_1ph": charger_kw_1ph,
        "charger_kw_3ph": charger_kw_3ph,
        "models": models,
    }
    SECTION.resolve("vehicles", {k: v for k, v in given.items() if v is not None})
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
