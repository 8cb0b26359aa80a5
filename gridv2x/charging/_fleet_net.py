"""V2G planned for the fleet net: no EV discharges into another EV on the same feeder.

A feeder-level V2G controller that lets one car discharge while another charges in the same
step moves energy from battery to battery through two chargers: the feeder load is the same
as if both had done less, but the charger losses and battery wear are paid twice (issue 15:
57 % of the V2G discharge on se-villa-large went into other EVs before this rule). The
coordinated V2G passes therefore keep, step by step, the fleet either charging or
discharging:

- an EV may discharge in a step only where no other EV of the feeder charges;
- an EV may charge in a step where another EV discharges only when its session cannot reach
  its departure target without that step (the mobility guarantee comes first).

What is left is measured by :func:`ev_to_ev_kwh`, ``sum_t min(D_t, C_t) dt`` with ``D_t`` the
fleet's total discharge and ``C_t`` its total charging power in step ``t``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from gridv2x.charging import _fill
from gridv2x.conventions import step_hours

__all__ = ["FleetNet", "ev_to_ev_kwh", "net_out"]

ACTIVE_KW = 1e-6
"""Power below which an EV counts as neither charging nor discharging in a step [kW]."""


class FleetNet:
    """The fleet's total charging and discharging power per step, kept up to date.

    Parameters
    ----------
    p : ndarray
        Grid-side power of every flat element [kW] (+ charging, - discharging).
    step : ndarray of int
        Time step of every flat element.
    n_steps : int
        Steps of the horizon.
    """

    def __init__(self, p: np.ndarray, step: np.ndarray, n_steps: int) -> None:
        self.charge = np.bincount(step, weights=np.maximum(p, 0.0), minlength=n_steps)
        self.discharge = np.bincount(step, weights=np.maximum(-p, 0.0), minlength=n_steps)

    def limits(
        self,
        p_ev: np.ndarray,
        k: np.ndarray,
        cap: np.ndarray,
        need: np.ndarray,
        starts: np.ndarray,
        seg: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Charger limit [kW] and discharge permission [0/1] of one EV's elements.

        Parameters
        ----------
        p_ev : ndarray
            The EV's current power in its elements [kW].
        k : ndarray of int
            Steps of its elements.
        cap : ndarray
            Its charger limit there [kW].
        need : ndarray
            Grid-side energy each of its sessions must reach [kW x steps].
        starts, seg : ndarray
            Session starts and the session of each element.
        """
        others_charge = self.charge[k] - np.maximum(p_ev, 0.0)
        others_discharge = self.discharge[k] - np.maximum(-p_ev, 0.0)
        discharge_ok = (others_charge <= ACTIVE_KW).astype(float)
        blocked = others_discharge > ACTIVE_KW
        if blocked.any():
            without = np.where(blocked, 0.0, cap)
            fits = (_fill.segment_sum(without, starts) >= need - 1e-9)[seg]
            cap = np.where(fits, without, cap)
        return cap, discharge_ok

    def update(self, k: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        """Replace one EV's power ``old`` by ``new`` [kW] in steps ``k``."""
        np.add.at(self.charge, k, np.maximum(new, 0.0) - np.maximum(old, 0.0))
        np.add.at(self.discharge, k, np.maximum(-new, 0.0) - np.maximum(-old, 0.0))


def net_out(p: np.ndarray, step: np.ndarray, n_steps: int) -> np.ndarray:
    """``p`` [kW] without discharge in the steps where some EV charges.

    What happens when a forecast plan meets reality: a car still plugged in after its
    forecast departure charges in a step where others planned to discharge; the dischargers
    give way (any discharge left in that step would go into the charging car).
    """
    return _net_out(p, step.astype(np.int64, copy=False), n_steps)


@njit(cache=True, error_model="numpy")
def _net_out(p, step, n_steps):
    """:func:`net_out` in one pass (the fleet's charging per step summed as ``np.bincount``)."""
    charge = np.zeros(n_steps)
    for j in range(len(p)):
        charge[step[j]] += max(p[j], 0.0)
    out = p.copy()
    for j in range(len(p)):
        if p[j] < 0 and charge[step[j]] > ACTIVE_KW:
            out[j] = 0.0
    return out


def ev_to_ev_kwh(power_kw: pd.DataFrame, step_h: float | None = None) -> float:
    """Energy discharged by EVs while other EVs of the same feeder charged [kWh].

    ``sum_t min(D_t, C_t) x dt`` with ``D_t`` the total discharge and ``C_t`` the total
    charging power of the EVs in step ``t`` [kW].

    Parameters
    ----------
    power_kw : pandas.DataFrame
        ``[time x ev_id]`` grid-side EV power [kW], charging positive.
    step_h : float, optional
        Step length [h]; from the index's frequency (or its first difference) by default.
    """
    if power_kw.shape[0] == 0 or power_kw.shape[1] == 0:
        return 0.0
    if step_h is None:
        if power_kw.index.freq is not None:
            step_h = step_hours(power_kw.index)
        else:
            step_h = float((power_kw.index[1] - power_kw.index[0]) / pd.Timedelta(hours=1))
    values = power_kw.to_numpy(dtype=float)
    charge = np.maximum(values, 0.0).sum(axis=1)
    discharge = np.maximum(-values, 0.0).sum(axis=1)
    return float(np.minimum(charge, discharge).sum() * step_h)
