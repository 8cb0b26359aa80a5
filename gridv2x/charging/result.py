"""The result of a charging schedule: :class:`ChargingResult`, and its assembly from a schedule
on flat arrays (power and stored energy per EV and step, the per-EV and per-session tables,
battery wear, energy cost and power tariff)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from gridv2x.charging import _fill_kernels, _fleet_net
from gridv2x.charging import tariff as _tariff
from gridv2x.charging.battery import degradation_pct, virtual_km
from gridv2x.charging.windows import _TOL_KWH, _Windows

__all__ = ["ChargingResult"]


@dataclass
class ChargingResult:
    """Result of :func:`schedule`.

    Attributes
    ----------
    strategy : str
        ``"uncontrolled"``, ``"v1g"`` or ``"v2g"``.
    power_kw : pandas.DataFrame
        ``[time x ev_id]`` grid-side power [kW]; charging positive, discharging negative.
    soc_kwh : pandas.DataFrame
        ``[time x ev_id]`` stored energy at the end of each step [kWh].
    per_ev : pandas.DataFrame
        Indexed by ``ev_id``: ``customer_id``, ``charged_kwh`` / ``discharged_kwh`` (grid
        side), ``driving_kwh`` (drawn from the battery), ``unmet_kwh``, ``shortfall_kwh``,
        ``losses_kwh``, ``stored_start_kwh``, ``stored_end_kwh``, ``throughput_kwh`` (battery
        side in + out, driving included), ``virtual_km``, ``degradation_pct``,
        ``energy_cost_sek`` (with the given prices, or the shipped synthetic SE3 example when
        none were given; V2G discharge earns the price).
    sessions : pandas.DataFrame
        The input sessions (sorted by ``ev_id``, ``arrival``) plus ``in_period``,
        ``target_kwh`` (departure target), ``delivered_kwh`` (net battery-side energy
        restored during the session), ``shortfall_kwh`` and ``unmet_kwh`` (module docs).
        Sessions wholly outside the period are kept with ``in_period`` False and zeros.
    """

    strategy: str
    power_kw: pd.DataFrame
    soc_kwh: pd.DataFrame
    per_ev: pd.DataFrame
    sessions: pd.DataFrame

    @property
    def ev_to_ev_kwh(self) -> float:
        """Energy EVs discharged while other EVs of the feeder charged [kWh]
        (:func:`gridv2x.charging._fleet_net.ev_to_ev_kwh`)."""
        return _fleet_net.ev_to_ev_kwh(self.power_kw)

    @property
    def ev_load_kw(self) -> pd.Series:
        """Total EV load of the feeder [kW] (sum over EVs)."""
        return self.power_kw.sum(axis=1).rename("ev_load_kw")

    def totals(self) -> dict[str, float]:
        """Feeder totals of the EV figures a report shows per strategy.

        Returns
        -------
        dict
            ``ev_charged_kwh, ev_discharged_kwh, ev_driving_kwh, ev_unmet_kwh,
            ev_shortfall_kwh, ev_losses_kwh`` [kWh], ``ev_throughput_kwh`` [kWh] (battery side
            in + out), ``v2g_virtual_km`` [km], ``ev_degradation_mean_pct`` [%],
            ``ev_energy_cost_sek`` and ``ev_power_tariff_sek`` [SEK] (NaN when not computed).
        """
        pe = self.per_ev
        out = {
            f"ev_{col}": float(pe[col].sum())
            for col in (
                "charged_kwh",
                "discharged_kwh",
                "driving_kwh",
                "unmet_kwh",
                "shortfall_kwh",
                "losses_kwh",
                "throughput_kwh",
            )
        }
        out["v2g_virtual_km"] = float(pe["virtual_km"].sum())
        out["ev_degradation_mean_pct"] = (
            float(pe["degradation_pct"].mean()) if len(pe) else float("nan")
        )
        for col in ("energy_cost_sek", "power_tariff_sek"):
            out[f"ev_{col}"] = float(pe[col].sum()) if col in pe else float("nan")
        out["ev_to_ev_kwh"] = self.ev_to_ev_kwh
        return out


def _per_ev_sum(w: _Windows, values: np.ndarray, n_ev: int) -> np.ndarray:
    """Sum of flat ``values`` per EV (the flat arrays hold each EV's sessions in one block)."""
    out = np.zeros(n_ev)
    if len(values) == 0:
        return out
    ev_first = w.ev_of[w.starts]  # EV of each in-period session, sorted
    block = np.flatnonzero(np.r_[True, ev_first[1:] != ev_first[:-1]])
    out[ev_first[block]] = np.add.reduceat(values, w.starts[block])
    return out


@njit(cache=True, error_model="numpy")
def _power_and_stored(step, ev_of, p, drop_step, drop_ev, drop_kwh, e0, eta_c, eta_d, dt, n, n_ev):
    """Power ``[step x ev]`` [kW] and stored energy at the end of each step [kWh].

    The stored energy's change per step and EV (charging, discharging, the trip energy
    dropped at arrival) summed as ``np.bincount`` would (elements in order, then the drops),
    then its running sum over the steps from ``e0``, never below zero (rounding only: the
    model never goes below zero). One pass over the elements instead of several over
    ``steps x EVs`` arrays.
    """
    power = np.zeros((n, n_ev))
    soc = np.zeros((n, n_ev))
    for j in range(len(p)):
        t, e = step[j], ev_of[j]
        power[t, e] += p[j]
        soc[t, e] += (eta_c * max(p[j], 0.0) - max(-p[j], 0.0) / eta_d) * dt
    for d in range(len(drop_kwh)):
        soc[drop_step[d], drop_ev[d]] += -drop_kwh[d]
    for t in range(n):
        for e in range(n_ev):
            if t == 0:
                soc[0, e] += e0[e]
            else:
                soc[t, e] = soc[t - 1, e] + soc[t, e]
    for t in range(n):
        for e in range(n_ev):
            soc[t, e] = max(soc[t, e], 0.0)
    return power, soc


def _assemble(
    strategy,
    w,
    p,
    fleet,
    index,
    e0,
    e_arr,
    driving,
    external,
    dep_target,
    need_used,
    need_ctrl,
    eta_c,
    eta_d,
    price_series,
    bat_opts,
    tariff=None,
    restored=None,
) -> ChargingResult:
    """The result tables of a schedule ``p`` on the windows ``w`` of the period; ``restored``
    [kWh] per session (rows of ``w.sess``) overrides the net energy the shortfall is judged
    on (for a schedule that looked past the end of the period)."""
    n, n_ev, dt = w.n_steps, len(fleet), w.dt_h
    charge = np.maximum(p, 0.0)
    dis = np.maximum(-p, 0.0)
    sess = w.sess
    in_period = sess["in_period"].to_numpy()
    ev = sess["ev"].to_numpy()
    power, soc = _power_and_stored(
        w.step.astype(np.int64, copy=False),
        w.ev_of.astype(np.int64, copy=False),
        np.ascontiguousarray(p, dtype=float),
        sess["k0"].to_numpy()[in_period].astype(np.int64),
        ev[in_period].astype(np.int64),
        np.ascontiguousarray(driving[in_period], dtype=float),
        np.asarray(e0, dtype=float),
        float(eta_c),
        float(eta_d),
        float(dt),
        n,
        n_ev,
    )

    ev_ids = fleet["ev_id"].to_numpy()
    power_kw = pd.DataFrame(power, index=index, columns=pd.Index(ev_ids, name="ev_id"))
    soc_kwh = pd.DataFrame(soc, index=index, columns=pd.Index(ev_ids, name="ev_id"))

    # per session: net battery-side energy restored and unmet
    net = np.zeros(len(sess))
    net[w.s_idx] = _fill_kernels.net_energy(p, w.starts, eta_c, eta_d, dt)
    out_sess = sess.drop(columns=["ev", "ordinal", "k0", "share"]).copy()
    out_sess["delivered_kwh"] = net
    out_sess["target_kwh"] = np.where(in_period, dep_target, np.nan)
    shortfall = np.maximum(
        np.minimum(need_used, need_ctrl) - (net if restored is None else restored), 0.0
    )
    shortfall[shortfall < _TOL_KWH] = 0.0
    out_sess["shortfall_kwh"] = np.where(in_period, shortfall, 0.0)
    out_sess["unmet_kwh"] = np.where(in_period, external, 0.0)

    charged = _per_ev_sum(w, charge, n_ev) * dt
    discharged = _per_ev_sum(w, dis, n_ev) * dt
    drove = np.bincount(ev[in_period], weights=driving[in_period], minlength=n_ev)
    unmet = np.bincount(ev, weights=out_sess["unmet_kwh"].to_numpy(), minlength=n_ev)
    short = np.bincount(ev, weights=out_sess["shortfall_kwh"].to_numpy(), minlength=n_ev)
    losses = (1 - eta_c) * charged + (1 / eta_d - 1) * discharged
    stored_end = soc[-1] if n else e0
    throughput = eta_c * charged + discharged / eta_d + drove
    per_ev = pd.DataFrame(
        {
            "customer_id": fleet["customer_id"].to_numpy() if "customer_id" in fleet else None,
            "charged_kwh": charged,
            "discharged_kwh": discharged,
            "driving_kwh": drove,
            "unmet_kwh": unmet,
            "shortfall_kwh": short,
            "losses_kwh": losses,
            "stored_start_kwh": e0,
            "stored_end_kwh": stored_end,
            "throughput_kwh": throughput,
            "virtual_km": virtual_km(
                discharged,
                fleet["kwh_per_km"].to_numpy(dtype=float) if "kwh_per_km" in fleet else np.nan,
            ),
            "degradation_pct": degradation_pct(
                throughput, fleet["battery_kwh"].to_numpy(dtype=float), n * dt, **bat_opts
            ),
        },
        index=pd.Index(ev_ids, name="ev_id"),
    )
    if price_series is not None:
        per_ev["energy_cost_sek"] = price_series.to_numpy(dtype=float) @ power * dt
    if tariff is not None:
        window, fee = tariff
        per_ev["power_tariff_sek"] = _tariff.power_tariff_cost(power_kw, window, fee).to_numpy()
    return ChargingResult(strategy, power_kw, soc_kwh, per_ev, out_sess.reset_index(drop=True))
