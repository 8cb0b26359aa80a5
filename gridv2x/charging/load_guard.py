"""Load guard (effektvakt / laststyrning): the home charger throttled to what the main fuse
leaves after the household's own load.

Swedish home chargers behind 16-25 A main fuses are installed with a load guard that
measures the current of each phase at the main fuse and lowers the charging current so
that the fuse is not overloaded (docs/sources.md §9). Without it, an 11 kW charger next to a
heated house exceeds a 16 A fuse whenever the house draws more than about 0.4 kW per phase.

Model, per customer, phase and step (screening model, the guard is assumed ideal and fast):

- household load per phase: as the load flow splits it
  (:func:`gridv2x.demand.household_phase_shares`: a single-phase customer's load on its phase;
  a three-phase customer's single-phase appliances on one main phase, the rest balanced);
- room for EV charging on a phase: ``sqrt(S_max**2 - q**2) - p`` [kW] with ``S_max =
  I_fuse x V_guard`` the apparent power the fuse carries at the guard's design voltage
  ``GUARD_VOLTAGE_PU`` x 230 V, ``p, q`` the household's active and reactive power on that
  phase (chargers run at unity power factor); never below zero;
- room for V2G discharge (export) on a phase: ``sqrt(S_max**2 - q**2) + p`` (the household
  absorbs part of the discharge before it passes the fuse);
- an EV's limit: a single-phase charger gets the room of its phase, a three-phase charger
  three times the room of its tightest phase; several EVs of one customer share the room
  equally.

The charging strategies then never plan above these limits (:func:`gridv2x.charging.schedule`
``load_guard=``); the energy this costs the EVs is counted per EV as ``guard_lost_kwh``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from gridv2x.conventions import NOMINAL_PHASE_VOLTAGE_V, PHASES
from gridv2x.demand.phases import household_phase_shares
from gridv2x.errors import InputError

__all__ = ["GUARD_VOLTAGE_PU", "LoadGuard", "load_guard_limits"]

GUARD_VOLTAGE_PU = 0.90
"""Voltage at which the guard's power limit is computed [pu of 230 V]. [E] A real guard
limits the current it measures; a planning model that schedules power must assume a voltage.
0.90 pu is the lowest voltage the limits section allows (EN 50160, docs/sources.md §3), so the
fuse current stays within its rating at every step whose voltage is inside the band."""


@dataclass
class LoadGuard:
    """The load guard's limits per EV and step.

    Attributes
    ----------
    charge_kw : pandas.DataFrame
        ``[time x ev_id]`` highest charging power the guard allows [kW] (grid side).
    discharge_kw : pandas.DataFrame
        ``[time x ev_id]`` highest V2G discharge power the guard allows [kW].
    """

    charge_kw: pd.DataFrame
    discharge_kw: pd.DataFrame

    def on(self, index: pd.DatetimeIndex, ev_ids) -> tuple[np.ndarray, np.ndarray]:
        """Limits ``[step x ev]`` [kW] on ``index`` for ``ev_ids``; steps past the guard's own
        index (a schedule's look-ahead) take the same time one day earlier, repeatedly."""
        rows = self.charge_kw.index.get_indexer(index)
        shifted = index
        for _ in range(3):  # the look-ahead is at most one day
            missing = rows < 0
            if not missing.any():
                break
            shifted = shifted - pd.Timedelta(days=1)
            rows = np.where(missing, self.charge_kw.index.get_indexer(shifted), rows)
        if (rows < 0).any():
            raise InputError(
                "load guard: its limits do not cover the charging period "
                f"({index[rows < 0][0]} missing)"
            )
        missing_ev = sorted(set(ev_ids) - set(self.charge_kw.columns))
        if missing_ev:
            raise InputError(f"load guard: no limits for EVs {missing_ev[:5]}")
        cols = self.charge_kw.columns.get_indexer(list(ev_ids))
        # gathered EV by EV (each EV's steps are contiguous), returned [step x ev]
        return (
            self.charge_kw.to_numpy(dtype=float).T[np.ix_(cols, rows)].T,
            self.discharge_kw.to_numpy(dtype=float).T[np.ix_(cols, rows)].T,
        )


@njit(cache=True, error_model="numpy")
def _ev_limits(p, q, shares, s_max2, owner, phase, n_per_owner):
    """Charging and discharging limit ``[ev x time]`` [kW] (module docs), EV by EV.

    ``p``, ``q`` ``[time x owner]`` household power [kW], [kvar]; ``shares`` ``(owner, 3)``
    its split onto phases (:func:`gridv2x.demand.household_phase_shares`, the split the load
    flow uses, so the guard sees the phase currents the study computes); ``s_max2`` the
    squared apparent power per phase the fuse carries [kVA^2]; per EV its ``owner``, its
    ``phase`` (-1: three-phase charger) and ``n_per_owner`` the EVs sharing the owner's room.
    """
    n_t, n_ev = p.shape[0], len(owner)
    charge = np.empty((n_ev, n_t))
    discharge = np.empty((n_ev, n_t))
    for j in range(n_ev):
        o = owner[j]
        for t in range(n_t):
            lo_charge, lo_export = np.inf, np.inf
            for k in range(3):
                if phase[j] >= 0 and k != phase[j]:
                    continue
                p_ph = p[t, o] * shares[o, k]
                q_ph = q[t, o] * shares[o, k]
                active = np.sqrt(max(s_max2[o] - q_ph * q_ph, 0.0))
                lo_charge = min(lo_charge, max(active - p_ph, 0.0))
                lo_export = min(lo_export, max(active + p_ph, 0.0))
            if phase[j] < 0:  # three-phase charger: three times its tightest phase
                lo_charge, lo_export = 3.0 * lo_charge, 3.0 * lo_export
            charge[j, t] = lo_charge / n_per_owner[o]
            discharge[j, t] = lo_export / n_per_owner[o]
    return charge, discharge


def load_guard_limits(
    customers: pd.DataFrame,
    household_p_kw: pd.DataFrame,
    household_q_kvar: pd.DataFrame | None,
    fleet: pd.DataFrame,
    *,
    phase_assignment: str = "as_drawn",
    voltage_pu: float = GUARD_VOLTAGE_PU,
) -> LoadGuard:
    """The load guard's charging and discharging limit of every EV in every step.

    Parameters
    ----------
    customers : pandas.DataFrame
        The feeder's customers with ``customer_id``, ``fuse_a`` [A], ``phases`` (1 or 3) and
        ``phase`` (``a``/``b``/``c`` for single-phase customers).
    household_p_kw, household_q_kvar : pandas.DataFrame
        Household load without EVs ``[time x customer_id]`` [kW], [kvar] (``q`` None = 0).
    fleet : pandas.DataFrame
        EVs with ``ev_id, customer_id, phases`` and ``phase`` (the charger's phase as it is
        connected, ``abc`` for three-phase chargers).
    phase_assignment : {"as_drawn", "random", "balanced"}
        The phases the schedule connects single-phase chargers to (``charging.phase_assignment``).
    voltage_pu : float
        Voltage at which the fuse current is turned into power [pu] (``GUARD_VOLTAGE_PU``).

    Returns
    -------
    LoadGuard

    Raises
    ------
    gridv2x.errors.InputError
        When a customer lacks a fuse rating or an EV's owner is not a customer.
    """
    for col in ("customer_id", "fuse_a", "phases"):
        if col not in customers:
            raise InputError(f"vehicles.load_guard: the feeder's customers lack column {col!r}")
    for col in ("ev_id", "customer_id", "phases", "phase"):
        if col not in fleet:
            raise InputError(f"vehicles.load_guard: the fleet lacks column {col!r}")
    if not (isinstance(voltage_pu, int | float) and 0.5 <= voltage_pu <= 1.2):
        raise InputError(f"load guard voltage: must be in [0.5, 1.2] pu, given {voltage_pu!r}")
    from gridv2x.charging.schedule import _phases_as

    if len(fleet):
        fleet = fleet.assign(phase=_phases_as(fleet.reset_index(drop=True), phase_assignment))
    by_id = customers.set_index("customer_id")
    unknown = sorted(set(fleet["customer_id"]) - set(by_id.index))
    if unknown:
        raise InputError(f"vehicles.load_guard: EV owners not on the feeder: {unknown[:5]}")
    owners = list(pd.unique(fleet["customer_id"]))
    fuse = pd.to_numeric(by_id.loc[owners, "fuse_a"], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(fuse) & (fuse > 0)).all():
        bad = [c for c, f in zip(owners, fuse, strict=True) if not (np.isfinite(f) and f > 0)]
        raise InputError(f"vehicles.load_guard: customers without a main fuse rating: {bad[:5]}")
    # the split of the whole feeder's table (the main phase rotates over its households)
    all_shares = household_phase_shares(customers.reset_index(drop=True))
    shares = all_shares[pd.Index(customers["customer_id"]).get_indexer(owners)]
    index = household_p_kw.index
    p = household_p_kw.reindex(columns=owners, fill_value=0.0).to_numpy(dtype=float)
    q = (
        np.zeros_like(p)
        if household_q_kvar is None
        else household_q_kvar.reindex(index=index, columns=owners, fill_value=0.0).to_numpy(
            dtype=float
        )
    )
    s_max = fuse * NOMINAL_PHASE_VOLTAGE_V * voltage_pu / 1000.0  # per phase [kVA]
    owner_col = pd.Index(owners).get_indexer(fleet["customer_id"].to_numpy())
    n_per_owner = np.bincount(owner_col, minlength=len(owners)).astype(float)
    ev_phases = pd.to_numeric(fleet["phases"], errors="coerce").to_numpy()
    ev_phase = fleet["phase"].astype(str).to_numpy()
    # the phase of a single-phase charger, -1 for a three-phase one (its tightest phase)
    phase_col = np.array(
        [
            PHASES.index(ph) if n_ph == 1 and ph in PHASES else -1
            for n_ph, ph in zip(ev_phases, ev_phase, strict=True)
        ],
        dtype=np.int64,
    )
    charge, discharge = _ev_limits(
        p, q, shares, s_max**2, owner_col.astype(np.int64), phase_col, n_per_owner
    )
    columns = pd.Index(fleet["ev_id"].to_numpy(), name="ev_id")
    return LoadGuard(
        # [time x ev] frames on the [ev x time] arrays (pandas keeps them as they are)
        pd.DataFrame(charge.T, index=index, columns=columns),
        pd.DataFrame(discharge.T, index=index, columns=columns),
    )
