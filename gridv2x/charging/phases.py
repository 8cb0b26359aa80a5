"""Phases of home chargers and EV load per customer (and per phase) for the load flow.

A single-phase charger puts all its power on its phase; a three-phase charger splits it evenly
over ``a``, ``b`` and ``c``. Single-phase chargers are connected to a phase either at random
(what happens without a rule) or balanced by the DSO (largest first, each to the phase with the
least single-phase charger power so far).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit

from gridv2x.conventions import PHASES
from gridv2x.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from gridv2x.charging.result import ChargingResult

__all__ = ["assign_phases", "power_by_customer", "PHASE_METHODS"]

PHASE_METHODS = ("random", "balanced")


def assign_phases(
    fleet: pd.DataFrame, method: str = "random", rng: np.random.Generator | None = None
) -> pd.DataFrame:
    """Connect each single-phase charger to a phase.

    Parameters
    ----------
    fleet : pandas.DataFrame
        EV fleet with at least ``ev_id, charger_kw, phases`` (1 or 3).
    method : {"random", "balanced"}
        ``random``: each single-phase charger on a phase drawn uniformly with ``rng``.
        ``balanced``: the DSO connects the chargers largest first, each to the phase with the
        least single-phase charger power so far (longest-processing-time rule), so the installed
        single-phase power differs between phases by at most one charger.
    rng : numpy.random.Generator, optional
        Needed for ``random``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``fleet`` with column ``phase``: ``"a" | "b" | "c"`` for single-phase,
        ``"abc"`` for three-phase chargers.
    """
    if method not in PHASE_METHODS:
        raise InputError(
            f"charging phase assignment: method must be one of {', '.join(PHASE_METHODS)}, "
            f"given {method!r}"
        )
    for col in ("ev_id", "charger_kw", "phases"):
        if col not in fleet.columns:
            raise InputError(f"charging phase assignment: fleet needs column {col}")
    phases = pd.to_numeric(fleet["phases"], errors="coerce").to_numpy()
    if not np.isin(phases, (1, 3)).all():
        bad = fleet.loc[~np.isin(phases, (1, 3)), "phases"].tolist()[:5]
        raise InputError(f"charging phase assignment: fleet phases must be 1 or 3, given {bad}")
    out = fleet.copy()
    single = phases == 1
    phase = np.full(len(fleet), "abc", dtype=object)
    if method == "random":
        if rng is None:
            raise InputError("charging phase assignment: method random needs an rng")
        phase[single] = np.asarray(PHASES, dtype=object)[rng.integers(0, 3, int(single.sum()))]
    else:
        power = fleet["charger_kw"].to_numpy(dtype=float)
        load = np.zeros(3)
        rows = np.flatnonzero(single)
        for row in rows[np.argsort(-power[rows], kind="stable")]:
            k = int(np.argmin(load))
            phase[row] = PHASES[k]
            load[k] += power[row]
    out["phase"] = phase
    return out


def _phase_weights(fleet: pd.DataFrame) -> np.ndarray:
    """Share of each EV's power on phases a, b, c: ``[n_ev x 3]``."""
    missing = [c for c in ("phases", "phase") if c not in fleet.columns]
    if missing:
        raise InputError(f"charging power_by_customer: phases=True needs fleet column(s) {missing}")
    weights = np.zeros((len(fleet), 3))
    phases = pd.to_numeric(fleet["phases"], errors="coerce").to_numpy()
    phase = fleet["phase"].astype(str).to_numpy()
    for k, name in enumerate(PHASES):
        weights[:, k] = np.where(phases == 1, phase == name, 1.0 / 3.0)
    bad = (phases == 1) & ~np.isin(phase, PHASES)
    if bad.any() or not np.isin(phases, (1, 3)).all():
        ids = fleet.loc[bad | ~np.isin(phases, (1, 3)), "ev_id"].tolist()[:5]
        raise InputError(
            f"charging phases: single-phase chargers need phase a, b or c and phases must be "
            f"1 or 3 (ev_id {ids}); see assign_phases"
        )
    return weights


def power_by_customer(
    result: ChargingResult | pd.DataFrame, fleet: pd.DataFrame, phases: bool = False
) -> pd.DataFrame:
    """EV load per customer [kW], optionally per phase, for the load flow.

    Parameters
    ----------
    result : ChargingResult or pandas.DataFrame
        A charging result (its ``power_kw`` is used, and the ``phase`` of its ``per_ev``, which
        reflects ``schedule(..., phase_assignment=...)``) or a ``[time x ev_id]`` frame [kW].
    fleet : pandas.DataFrame
        The fleet with ``ev_id, customer_id`` and, for ``phases=True``, ``phases, phase``.
    phases : bool
        ``False``: columns ``customer_id``. ``True``: columns MultiIndex ``(customer_id,
        phase)`` with phase ``a, b, c`` for every customer with an EV.

    Returns
    -------
    pandas.DataFrame
        ``[time x customer_id]`` or ``[time x (customer_id, phase)]`` EV power [kW]
        (charging positive, V2G discharge negative).
    """
    power: pd.DataFrame = getattr(result, "power_kw", result)
    if "customer_id" not in fleet.columns:
        raise InputError("charging power_by_customer: fleet needs column customer_id")
    fleet = fleet.set_index("ev_id", drop=False)
    missing = [e for e in power.columns if e not in fleet.index]
    if missing:
        raise InputError(f"charging power_by_customer: ev_id not in the fleet: {missing[:5]}")
    fleet = fleet.loc[list(power.columns)].copy()
    per_ev = getattr(result, "per_ev", None)
    if per_ev is not None and "phase" in per_ev.columns:
        fleet["phase"] = per_ev["phase"].reindex(fleet.index).to_numpy()
    customers, owner = np.unique(fleet["customer_id"].to_numpy(), return_inverse=True)
    values = power.to_numpy(dtype=float)
    if not phases:
        weights = np.ones((len(fleet), 1))
        columns = pd.Index(customers, name="customer_id")
    else:
        weights = _phase_weights(fleet)
        columns = pd.MultiIndex.from_product(
            [customers, list(PHASES)], names=["customer_id", "phase"]
        )
    out = np.zeros((len(power), len(columns)))
    if len(fleet):
        _sum_by_owner(values, owner.astype(np.int64), np.ascontiguousarray(weights), out)
    return pd.DataFrame(out, index=power.index, columns=columns)


@njit(cache=True, error_model="numpy")
def _sum_by_owner(values, owner, weights, out):  # noqa: ANN001, ANN202 (numba kernel)
    """``out[t, n * owner[e] + k] += weights[e, k] * values[t, e]`` over the EVs ``e`` in
    order (``n`` phase columns per customer): each EV's power on its customer's phases.

    The sum of the sparse product ``W.T @ P.T`` it replaces, in the same order (from 0, EV by
    EV, zero weights included), so bit-identical, without scipy's transposed copies.
    """
    n_t, n_ev = values.shape
    n = weights.shape[1]
    for t in range(n_t):
        for e in range(n_ev):
            base = n * owner[e]
            v = values[t, e]
            for k in range(n):
                out[t, base + k] += weights[e, k] * v
