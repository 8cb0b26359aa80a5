"""Charging strategies: uncontrolled, smart charging (V1G) and vehicle-to-grid (V2G).

The model
---------
Each EV has one battery with stored energy ``e`` [kWh] (``0 <= e <= battery_kwh``). It starts
the period at ``initial_soc x battery_kwh``. At each session's arrival the stored energy drops
by the session's ``energy_kwh`` (what it drove since it last left home). The *mobility
guarantee*: by departure the stored energy is back at the session's departure target,
``target_soc x battery_kwh`` (default: the starting level, so every met session is
energy-neutral: it restores exactly what was driven), raised when needed so that the EV can
drive its next trip and still reach the next target after a short stop (the owner plans
ahead: a fuller battery before a long trip or a quick stop at home; capped by the battery).

Two kinds of shortfall are reported, per session and per EV, never dropped:

- ``shortfall_kwh``: the EV left below its departure target because the plug-in window was
  too short (e.g. a short stop at home); the next session makes up for it.
- ``unmet_kwh``: driving energy the battery did not hold, i.e. the trip before this session
  needed more than was stored when the EV left (window too short before a long trip, or a
  trip longer than the battery). The stored energy then drops to zero.

Every strategy delivers ``min(need, what the window allows)`` in each session, so V1G and
V2G have no shortfall or unmet energy wherever uncontrolled charging has none.

Time steps: an EV may use a step for the share of the step it is plugged in (pro-rated): the
charger limit in a step is ``charger_kw x plugged-in share``, so arrival and departure may fall
inside a step. A session that arrives before the period starts arrives at the first step.

The end of the period: EVs plugged in on the last evening are scheduled on a horizon up to one
day past the end, on which the load of everything else (and the price) repeats the last day;
the schedule is then cut back to the period. Without it, V1G/V2G would have to deliver the
cars' energy before midnight of the last day and put the year's peak there. A session that
runs past this horizon
must reach, by its end, the share of its need in proportion to its plugged-in time inside it
(V1G/V2G; uncontrolled charges at full power anyway).

Strategies (grid-side power ``p``; + charging, - discharging)
- ``uncontrolled``: full charger power from plug-in until the energy is restored.
- ``v1g``: charging rescheduled within each plug-in window. Objective ``peak``: coordinated
  valley filling of the feeder load ``base_load_kw + EV load`` (each session fills the lowest
  points of the load of everything else, EV after EV, ``passes`` times, starting from the
  uncontrolled schedule; each update lowers ``sum(load**2)`` and never raises the peak).
  Objective ``price``: the same filling on an effective load ``feeder load + price / price
  weight``, i.e. minimum energy cost with flattening as tie-breaker.
- ``v2g``: as ``v1g``, and may also discharge where the load of everything else is above a
  discharge level ``S`` tied to the charging level ``L`` by the optimality conditions of the
  lossy problem: ``S = L / eta_rt`` for ``price`` (arbitrage only pays beyond the round-trip
  losses) and ``S = L eta_rt**(-1/7)`` for ``peak`` (``min sum(load**8)``, a smooth stand-in
  for the peak). Wear-aware: ``S`` is raised by the wear cost of a discharged kWh
  (``wear_cost_sek_per_kwh`` x ``price_weight_kw_per_sek``) for ``price`` and to at least
  ``L (1 + min_spread_pct / 100)`` for ``peak``. Never below the reserve, at most ``max_discharge_kw``, at most
  ``daily_throughput_cap_kwh`` discharged per day, only for owners who did not opt out; a
  session whose schedule breaks one of these is re-solved with half, a quarter, then zero
  discharge power. Starts from the V1G schedule (``passes`` valley-filling passes), then
  ``v2g.passes`` V2G passes over the fleet (default 1: a second pass lowers the fleet
  objective by less than 0.1 % and moves the peak by +-2 % either way, for 60 % more run
  time; measured on the hosting-capacity feeders). Every update keeps the window's peak, so
  its peak is never above V1G's. The fleet is planned net (:mod:`gridv2x.charging._fleet_net`):
  no EV discharges in a step where another EV charges (that energy would only go from one
  battery to another through two chargers); ``ChargingResult.ev_to_ev_kwh`` measures what is
  left.

Energy balance per EV (exact by construction, tested to 0.1 %)::

    charged - discharged = driving + (stored_end - stored_start) + losses

with ``losses = (1 - eta_c) charged + (1 / eta_d - 1) discharged``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.charging import _fill, _fleet_net
from gridv2x.charging import forecast as _forecast
from gridv2x.charging import household as _household
from gridv2x.charging import tariff as _tariff
from gridv2x.charging.battery import (
    degradation_pct,
    virtual_km,
)
from gridv2x.charging.chargers import with_technology
from gridv2x.charging.grid import GRID_CHECKS, GridLimits, GridRoom
from gridv2x.charging.load_guard import LoadGuard
from gridv2x.charging.options import DEFAULTS, PHASE_ASSIGNMENTS, SECTION, STRATEGY_CHOICES
from gridv2x.charging.phases import assign_phases
from gridv2x.charging.prices import prices_on_index
from gridv2x.conventions import SESSION_COLUMNS, TIMEZONE, step_hours
from gridv2x.errors import InputError

__all__ = ["ChargingResult", "schedule", "v2g_opt_out", "STRATEGIES", "PHASE_ASSIGNMENTS"]

STRATEGIES = STRATEGY_CHOICES
"""The charging strategies (declared with the ``charging`` section)."""

_TOL_KWH = 1e-6
PEAK_EXPONENT = 8.0
"""Objective ``peak`` of V2G minimises ``sum(load**8)``: a smooth stand-in for the peak that
still weighs the round-trip losses (discharge level only ~2.4 % above the charging level at
eta_rt = 0.85, against 18 % for the sum of squares)."""


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


# ---------------------------------------------------------------------------------------------
# input checks


def _check_inputs(strategy, sessions, fleet, index, base_load_kw):
    if strategy not in STRATEGIES:
        raise InputError(
            f"charging strategy: must be one of {', '.join(STRATEGIES)}, given {strategy!r}"
        )
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None or index.freq is None:
        raise InputError("charging index: must be a timezone-aware DatetimeIndex with a freq")
    for name, frame, columns in (
        ("sessions", sessions, SESSION_COLUMNS),
        ("fleet", fleet, ("ev_id", "battery_kwh", "charger_kw")),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"charging {name}: must be a DataFrame, given {type(frame).__name__}")
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(
                f"charging {name}: missing column(s) {missing}; required: {list(columns)}"
            )
    if fleet["ev_id"].duplicated().any():
        dup = fleet.loc[fleet["ev_id"].duplicated(), "ev_id"].tolist()[:5]
        raise InputError(f"charging fleet: ev_id must be unique, duplicated: {dup}")
    for col in ("battery_kwh", "charger_kw"):
        bad = ~(pd.to_numeric(fleet[col], errors="coerce") > 0)
        if bad.any():
            raise InputError(
                f"charging fleet: {col} must be > 0, given {fleet.loc[bad, col].tolist()[:5]} "
                f"for {fleet.loc[bad, 'ev_id'].tolist()[:5]}"
            )
    unknown = sorted(set(sessions["ev_id"]) - set(fleet["ev_id"]))
    if unknown:
        raise InputError(f"charging sessions: ev_id not in the fleet: {unknown[:5]}")
    for col in ("arrival", "departure"):
        if not isinstance(sessions[col].dtype, pd.DatetimeTZDtype):
            raise InputError(
                f"charging sessions: column {col} must hold timezone-aware timestamps, "
                f"given dtype {sessions[col].dtype}"
            )
    if sessions["arrival"].isna().any() or sessions["departure"].isna().any():
        raise InputError("charging sessions: arrival and departure must be given in every row")
    if (sessions["departure"] <= sessions["arrival"]).any():
        bad = sessions.loc[sessions["departure"] <= sessions["arrival"], "ev_id"].tolist()[:5]
        raise InputError(f"charging sessions: departure must be after arrival (ev_id {bad})")
    energy = pd.to_numeric(sessions["energy_kwh"], errors="coerce")
    if not (energy >= 0).all():
        raise InputError("charging sessions: energy_kwh must be a number >= 0 in every row")
    if not isinstance(base_load_kw, pd.Series) or len(base_load_kw) != len(index):
        raise InputError(
            f"charging base_load_kw: must be a Series of length {len(index)} on the study index"
        )
    if not base_load_kw.index.equals(index):
        raise InputError("charging base_load_kw: its index must equal the study index")


def v2g_opt_out(ev_ids: pd.Series, share: float) -> np.ndarray:
    """Deterministic opt-out draw: a stable hash of ``ev_id`` mapped to [0, 1) below ``share``."""
    u = np.array([zlib.crc32(str(e).encode()) / 2**32 for e in ev_ids])
    return u < share


# ---------------------------------------------------------------------------------------------
# the plug-in windows as flat arrays


@dataclass
class _Windows:
    n_steps: int
    dt_h: float
    sess: pd.DataFrame  # sorted sessions with ev (int), ordinal, k0, in_period, share
    s_idx: np.ndarray  # in-period sessions (row positions in sess)
    starts: np.ndarray  # flat start of each in-period session
    seg: np.ndarray  # flat -> in-period session number
    step: np.ndarray  # flat -> time step
    cap: np.ndarray  # flat -> charger limit [kW] (pro-rated)
    ev_of: np.ndarray  # flat -> ev column
    frac: np.ndarray  # flat -> plugged-in share of the step [-]
    charger: np.ndarray  # per EV: effective charger limit [kW]
    ev_slices: list  # per EV: (ev, flat slice, session slice) over in-period sessions
    day_of_step: np.ndarray  # per step: calendar day number (local time)
    dlimit: np.ndarray | None = None  # flat -> discharge limit of a load guard [kW]


def _windows(sessions, fleet, index, charger_cap_kw, arrivals_before=None) -> _Windows:
    """The plug-in windows as flat arrays; sessions arriving at or after step
    ``arrivals_before`` (default: the end of ``index``) count as outside the period."""
    n = len(index)
    dt_h = step_hours(index)
    ev_col = pd.Series(np.arange(len(fleet)), index=fleet["ev_id"].to_numpy())
    sess = sessions.copy()
    sess["ev"] = ev_col.loc[sess["ev_id"].to_numpy()].to_numpy()
    sess = sess.sort_values(["ev", "arrival"], kind="stable").reset_index(drop=True)
    sess["ordinal"] = sess.groupby("ev").cumcount()
    t0 = index[0]
    step = pd.Timedelta(hours=dt_h)
    a = ((sess["arrival"] - t0) / step).to_numpy(dtype=float)
    b = ((sess["departure"] - t0) / step).to_numpy(dtype=float)
    same_ev = sess["ev"].to_numpy()[1:] == sess["ev"].to_numpy()[:-1]
    overlap = np.r_[False, same_ev & (a[1:] < b[:-1])]
    if overlap.any():
        bad = sess.loc[overlap, "ev_id"].tolist()[:5]
        raise InputError(f"charging sessions: sessions of one EV overlap in time (ev_id {bad})")
    a_c, b_c = np.clip(a, 0, n), np.clip(b, 0, n)
    in_period = (b_c > a_c) & (a < (n if arrivals_before is None else arrivals_before))
    sess["in_period"] = in_period
    # share of the plug-in time inside the period (need is pro-rated for sessions cut at the end)
    sess["share"] = np.where(
        b > n, np.clip((n - np.maximum(a, 0)) / (b - np.maximum(a, 0)), 0, 1), 1.0
    )
    k0 = np.floor(a_c).astype(np.int64)
    k1 = np.ceil(b_c).astype(np.int64)
    k0 = np.minimum(k0, n - 1)
    sess["k0"] = k0
    s_idx = np.flatnonzero(in_period)
    lengths = (k1 - k0)[s_idx]
    lengths = np.maximum(lengths, 1)
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)[: len(lengths)]
    total = int(lengths.sum())
    # flat arrays (one element per plugged-in step of every session: millions for a year)
    # built by repeating per-session values, not by gathering through ``seg``
    seg = np.repeat(np.arange(len(s_idx)), lengths)
    flat_step = np.arange(total, dtype=np.int64) + np.repeat(k0[s_idx] - starts, lengths)
    # plugged-in share of each step: 1 except possibly at the first and last step of a session
    frac = np.ones(total)
    if total:
        a_s, b_s = a_c[s_idx], b_c[s_idx]
        ends = starts + lengths - 1
        last = flat_step[ends]
        frac[ends] = np.clip(np.minimum(b_s, last + 1) - np.maximum(a_s, last), 0.0, 1.0)
        first = k0[s_idx]
        frac[starts] = np.clip(np.minimum(b_s, first + 1) - np.maximum(a_s, first), 0.0, 1.0)
    charger = fleet["charger_kw"].to_numpy(dtype=float)
    if charger_cap_kw is not None:
        charger = np.minimum(charger, float(charger_cap_kw))
    ev_of = np.repeat(sess["ev"].to_numpy()[s_idx], lengths)
    cap = charger[ev_of] * frac
    # per-EV slices (in-period sessions are sorted by EV)
    ev_sess = sess["ev"].to_numpy()[s_idx]
    first = np.searchsorted(ev_sess, np.arange(len(fleet)), side="left")
    last = np.searchsorted(ev_sess, np.arange(len(fleet)), side="right")
    ev_slices = []
    for i in range(len(fleet)):
        if last[i] > first[i]:
            f0 = starts[first[i]]
            f1 = starts[last[i]] if last[i] < len(starts) else total
            ev_slices.append((i, slice(f0, f1), slice(first[i], last[i])))
    day_of_step = pd.factorize(index.normalize())[0]
    return _Windows(
        n,
        dt_h,
        sess,
        s_idx,
        starts,
        seg,
        flat_step,
        cap,
        ev_of,
        frac,
        charger,
        ev_slices,
        day_of_step,
    )


def _lookahead_steps(sessions: pd.DataFrame, index: pd.DatetimeIndex) -> int:
    """Steps past the end of the period that sessions plugged in at the end still run, at
    most one day [-]."""
    dt_h = step_hours(index)
    end = index[-1] + pd.Timedelta(hours=dt_h)
    cut = (sessions["arrival"] < end) & (sessions["departure"] > end)
    if not cut.any():
        return 0
    over_h = (sessions.loc[cut, "departure"].max() - end) / pd.Timedelta(hours=1)
    day = int(round(24.0 / dt_h))
    return int(min(np.ceil(over_h / dt_h - 1e-9), day, len(index)))


def _extended_index(index: pd.DatetimeIndex, steps: int) -> pd.DatetimeIndex:
    """``index`` continued by ``steps`` more steps of the same length."""
    if steps == 0:
        return index
    return pd.date_range(index[0], periods=len(index) + steps, freq=index.freq, name=index.name)


def _repeat_last_day(values: np.ndarray, steps: int, index: pd.DatetimeIndex) -> np.ndarray:
    """``values`` continued by ``steps`` values: the same time of day on the last day."""
    if steps == 0:
        return values
    day = min(int(round(24.0 / step_hours(index))), len(values))
    start = len(values) - day
    return np.concatenate([values, values[start : start + steps]])


def _restored_kwh(w: _Windows, p: np.ndarray, eta_c: float, eta_d: float) -> np.ndarray:
    """Net energy restored to the battery in each session (rows of ``w.sess``) [kWh]."""
    delta = (eta_c * np.maximum(p, 0.0) - np.maximum(-p, 0.0) / eta_d) * w.dt_h
    out = np.zeros(len(w.sess))
    out[w.s_idx] = _fill.segment_sum(delta, w.starts)
    return out


def _restrict(w_from: _Windows, p: np.ndarray, w_to: _Windows) -> np.ndarray:
    """The power ``p`` on the windows ``w_from`` of a longer horizon, on the windows ``w_to``
    of the period (same sessions; the period's steps are a subset)."""
    if len(w_to.step) == 0:
        return p[:0]
    # each session of the period is a session of the horizon starting at the same step
    # (same session rows) and no longer: shift its flat positions by the start difference
    sess_from = np.searchsorted(w_from.s_idx, w_to.s_idx)
    len_from = np.diff(np.r_[w_from.starts, len(w_from.step)])
    len_to = np.diff(np.r_[w_to.starts, len(w_to.step)])
    found = sess_from < len(w_from.s_idx)
    if not (
        found.all()
        and np.array_equal(w_from.s_idx[sess_from], w_to.s_idx)
        and np.array_equal(w_from.step[w_from.starts[sess_from]], w_to.step[w_to.starts])
        and (len_to <= len_from[sess_from]).all()
    ):
        raise RuntimeError("charging: the period's plug-in windows are not inside the horizon")
    offset = w_from.starts[sess_from] - w_to.starts
    return p[np.arange(len(w_to.step)) + np.repeat(offset, len_to)]


def _energy_chain(w: _Windows, fleet, e0, e_target, eta_c):
    """Stored energy at each arrival, the departure target and the need of each session.

    Every strategy delivers ``min(need, capacity)`` per session, so the chain of arrival
    levels is the same for all of them. The departure target of a session is the target level,
    raised (capped by the battery) so that the EV can drive its next trip and the next session
    can still reach its own target in its window: ``T_s = min(B, max(T, E_next, T_next +
    E_next - C_next))`` with ``E`` the trip energy and ``C`` the window's capacity.
    Returns per session (all rows of ``w.sess``): ``e_arr, driving, external, need, target``
    [kWh] and the in-period capacity [kWh] (battery side).
    """
    sess = w.sess
    m = len(sess)
    if m == 0:
        z = np.zeros(0)
        return z, z, z, z, z, z
    cap_batt = np.zeros(m)
    cap_batt[w.s_idx] = eta_c * w.dt_h * _fill.segment_sum(w.cap, w.starts)
    energy = sess["energy_kwh"].to_numpy(dtype=float)
    ev = sess["ev"].to_numpy()
    ordinal = sess["ordinal"].to_numpy()
    in_period = sess["in_period"].to_numpy()
    battery = fleet["battery_kwh"].to_numpy(dtype=float)
    order = np.argsort(ordinal, kind="stable")
    bounds = np.searchsorted(ordinal[order], np.arange(ordinal.max() + 2))
    # backward pass: the level each departure needs so that the next trips can be driven
    # and the next sessions reach their own targets (look-ahead over short stops)
    follows = np.zeros(m, bool)
    follows[:-1] = (ev[1:] == ev[:-1]) & in_period[1:]
    target = np.minimum(battery[ev], e_target[ev])
    for j in range(len(bounds) - 2, -1, -1):
        rows = order[bounds[j] : bounds[j + 1]]
        rows = rows[in_period[rows] & follows[rows]]
        if len(rows) == 0:
            continue
        nxt = rows + 1
        ahead = np.maximum(energy[nxt], target[nxt] + energy[nxt] - cap_batt[nxt])
        target[rows] = np.minimum(battery[ev[rows]], np.maximum(target[rows], ahead))
    e_arr = np.zeros(m)
    driving = np.zeros(m)
    need = np.zeros(m)
    level = e0.copy()  # stored energy at the last departure, per EV
    for j in range(len(bounds) - 1):
        rows = order[bounds[j] : bounds[j + 1]]
        rows = rows[in_period[rows]]
        if len(rows) == 0:
            continue
        evs = ev[rows]
        drove = np.minimum(energy[rows], level[evs])
        arr = level[evs] - drove
        nd = np.maximum(target[rows] - arr, 0.0)
        e_arr[rows], driving[rows], need[rows] = arr, drove, nd
        level[evs] = arr + np.minimum(nd, cap_batt[rows])
    external = np.where(in_period, energy - driving, 0.0)
    external[external < _TOL_KWH] = 0.0
    return e_arr, driving, external, need, target, cap_batt


def _forecast_realised(
    wp: _Windows, p_plan, w: _Windows, e0, target, battery, eta_c, eta_d, net=False
):
    """The planned schedule as it happened (foresight forecast), and the chain of stored energy.

    The plan ``p_plan`` on the planned windows ``wp`` (forecast departures) is carried onto
    the real windows ``w`` step by step from each arrival (both start at the same step): a car
    that leaves before its forecast departure takes what it has (the plan's later steps are
    lost, its last step pro-rated by the plugged-in share); a car still plugged in after its
    forecast departure gets what its session still misses, at full power from then on (the
    controller notices the car is still there). With ``net`` (feeder-coordinated V2G) the
    discharge in a step where other EVs charge is given up
    (:func:`gridv2x.charging._fleet_net.net_out`). The chain then restores, per session, what
    was delivered, keeping the stored energy within ``[0, battery]`` [kWh].

    Returns
    -------
    p : ndarray
        Power on the elements of ``w`` [kW].
    e_arr, driving, external, need : ndarray
        Per session (rows of ``w.sess``) [kWh]: stored energy after the trip home, trip energy
        the battery held, unmet trip energy, departure target minus ``e_arr``.
    """
    sess = w.sess
    m = len(sess)
    dt = w.dt_h
    p = np.zeros(len(w.step))
    cont = np.zeros(len(w.step), bool)  # steps after the forecast departure
    pos_p = np.full(m, -1)
    pos_p[wp.s_idx] = np.arange(len(wp.s_idx))
    len_p = np.diff(np.r_[wp.starts, len(wp.step)])
    len_a = np.diff(np.r_[w.starts, len(w.step)])
    rows = w.s_idx
    planned = pos_p[rows] >= 0
    common = np.where(planned, np.minimum(len_a, len_p[np.maximum(pos_p[rows], 0)]), 0)
    if common.sum():
        off_a = np.repeat(w.starts, common)
        off_p = np.repeat(wp.starts[np.maximum(pos_p[rows], 0)], common)
        j = np.arange(common.sum()) - np.repeat(np.cumsum(common) - common, common)
        a_el, p_el = off_a + j, off_p + j
        ratio = np.divide(
            w.frac[a_el], wp.frac[p_el], out=np.ones(len(a_el)), where=wp.frac[p_el] > 0
        )
        p[a_el] = p_plan[p_el] * np.minimum(ratio, 1.0)
    cont[:] = True
    if common.sum():
        cont[a_el] = False
    delivered = _restored_kwh(w, p, eta_c, eta_d)  # per row, the plan's part
    cont_cap = np.zeros(m)
    cont_cap[rows] = eta_c * dt * _fill.segment_sum(np.where(cont, w.cap, 0.0), w.starts)

    energy = sess["energy_kwh"].to_numpy(dtype=float)
    ev = sess["ev"].to_numpy()
    ordinal = sess["ordinal"].to_numpy()
    in_period = sess["in_period"].to_numpy()
    e_arr, driving, need, extra = np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m)
    if m == 0:
        return p, e_arr, driving, np.zeros(0), need
    order = np.argsort(ordinal, kind="stable")
    bounds = np.searchsorted(ordinal[order], np.arange(ordinal.max() + 2))

    def chain(delivered, cont_cap):
        level = e0.copy()
        for k in range(len(bounds) - 1):
            r = order[bounds[k] : bounds[k + 1]]
            r = r[in_period[r]]
            if len(r) == 0:
                continue
            evs = ev[r]
            drove = np.minimum(energy[r], level[evs])
            arr = level[evs] - drove
            e_arr[r], driving[r] = arr, drove
            need[r] = np.maximum(target[r] - arr, 0.0)
            extra[r] = np.minimum(np.maximum(need[r] - delivered[r], 0.0), cont_cap[r])
            level[evs] = np.clip(arr + delivered[r] + extra[r], 0.0, battery[evs])

    chain(delivered, cont_cap)
    # the continuation after the forecast departure: full power until the session is served
    p += _fill.uncontrolled_fill(
        np.where(cont, w.cap, 0.0), extra[rows] / (eta_c * dt), w.starts, w.seg
    )
    if net and (p < 0).any():  # the fleet stays net: dischargers give way to late charging
        p = _fleet_net.net_out(p, w.step, w.n_steps)
        chain(_restored_kwh(w, p, eta_c, eta_d), np.zeros(m))
    external = np.where(in_period, energy - driving, 0.0)
    external[external < _TOL_KWH] = 0.0
    return p, e_arr, driving, external, need


# ---------------------------------------------------------------------------------------------
# strategies on flat arrays


def _block_groups(w: _Windows):
    """Per EV, the groups of its sessions that can be updated together.

    Sessions of one EV never overlap, but the departure of one and the arrival of the next
    may share a step; such neighbours go into different groups (even / odd ordinal).
    """
    groups = []
    for i, fl, sl in w.ev_slices:
        idx = np.arange(fl.start, fl.stop)
        seg_local = w.seg[idx] - sl.start
        sess_starts = w.starts[sl] - fl.start
        steps = w.step[idx]
        firsts = steps[sess_starts]
        lasts = np.r_[steps[sess_starts[1:] - 1], steps[-1]] if len(sess_starts) else firsts
        shared = len(firsts) > 1 and bool(np.any(firsts[1:] <= lasts[:-1]))
        parts = [np.ones(len(sess_starts), bool)]
        if shared:
            even = np.arange(len(sess_starts)) % 2 == 0
            parts = [even, ~even]
        for part in parts:
            keep = part[seg_local]
            el = idx[keep]
            sessions_in = np.flatnonzero(part) + sl.start
            seg_g = np.cumsum(np.r_[0, np.diff(w.seg[el]) != 0])
            starts_g = np.flatnonzero(np.r_[True, np.diff(w.seg[el]) != 0])
            groups.append((i, el, sessions_in, starts_g, seg_g))
    return groups


def _caps(limit, physical, room, i, k, p_el, cap, need, starts, seg):
    """Charger limit and soft headroom of one EV's elements [kW] under the load limit and
    the grid limits.

    The headroom below the load limit ``limit`` [kW] and the grid headroom of a grid-aware
    schedule (``room``, :class:`gridv2x.charging.grid.GridRoom`) are a hard cap on the
    charging power in every session whose energy ``need`` [kW x steps, grid side] fits below
    it, and a soft limit (``_fill.charge_at_level``) in the others (the mobility guarantee
    comes first). A hard cap
    matters for objective ``price``: there one kW above a soft limit weighs only
    ``1 + LIMIT_PENALTY`` times a price-weighted kW, so cheap steps would leak over it.
    """
    head = None if limit is None else limit - physical
    grid_head = None if room is None else room.head(i, k, p_el, cap)
    if grid_head is not None:
        head = grid_head if head is None else np.minimum(head, grid_head)
    if head is None:
        return cap, None
    hard = np.clip(head, 0.0, cap)
    fits = (_fill.segment_sum(hard, starts) >= need)[seg]
    return np.where(fits, hard, cap), np.minimum(head, cap)


def _valley_passes(w, p, load, signal, need_steps, passes, groups, limit=None, room=None):
    """Coordinated valley filling: EV after EV, ``passes`` times (updates ``p`` and ``load``;
    with a :class:`gridv2x.charging.grid.GridRoom` each EV stays within its grid headroom)."""
    for _ in range(passes):
        for i, el, sessions_in, starts_g, seg_g in groups:
            k = w.step[el]
            other = load[k] - p[el]
            need = need_steps[sessions_in]
            cap, head = _caps(limit, other, room, i, k, p[el], w.cap[el], need, starts_g, seg_g)
            new = _fill.valley_fill(other + signal[k], cap, need, starts_g, seg_g, head)
            if room is not None:
                room.update(i, k, new - p[el])
            load[k] += new - p[el]
            p[el] = new
    return p


def _fill_factors(factors, other, cap, dcap, need, head, subset, eta_c, eta_d, ratio):
    """:func:`_fill.v2g_fill` of the sessions in ``subset`` at each discharge factor, in one
    call (each factor's copy is a segment of its own): arrays ``[factor x element]``.

    ``other``, ``cap``, ``dcap`` (full discharge power), ``head`` are per element of the
    EV, ``need`` per session; ``subset`` is ``(elements, sessions, seg, starts)`` of the
    sessions to fill.
    """
    sub, sess_sub, seg_sub, starts_sub = subset
    k, n_el, n_s = len(factors), len(sub), len(sess_sub)
    tiled = np.tile(sub, k)
    c, q = _fill.v2g_fill(
        other[tiled],
        cap[tiled],
        np.concatenate([f * dcap[sub] for f in factors]),
        np.tile(need[sess_sub], k),
        np.concatenate([starts_sub + j * n_el for j in range(k)]),
        np.concatenate([seg_sub + j * n_s for j in range(k)]),
        eta_c,
        eta_d,
        None if head is None else head[tiled],
        ratio,
    )
    return c.reshape(k, n_el), q.reshape(k, n_el)


def _v2g_passes(
    w,
    p,
    load,
    signal,
    need_batt,
    e_arr,
    opts,
    fleet,
    groups,
    eta_c,
    eta_d,
    passes,
    limit=None,
    room=None,
    wear_kw=0.0,
    net=True,
):
    """V2G updates on top of a V1G schedule; every update is checked against the SoC path.

    With ``net`` (feeder coordination) the fleet is planned net
    (:class:`gridv2x.charging._fleet_net.FleetNet`): no EV discharges in a step where another
    EV of the feeder charges, and none charges where another discharges (unless its session
    needs that step to reach its departure target).

    The discharge level is ``S = ratio x L (+ wear_kw)``: ``ratio`` from the round-trip
    losses (:func:`_fill.level_ratio`), for objective ``peak`` at least ``1 + min_spread_pct
    / 100``; ``wear_kw`` [kW of effective load] is the wear cost of a discharged kWh for
    objective ``price``. ``_fill.v2g_fill`` only knows ``S = ratio x L``; shifting the effective
    load by ``c = wear_kw / (ratio - 1)`` gives ``ratio (L + c) - c = ratio L + wear_kw`` in the
    original units while the charging (``L - other``) is unchanged."""
    battery = fleet["battery_kwh"].to_numpy(dtype=float)
    reserve = opts["reserve_soc"] * battery
    charger = w.charger
    dmax = (
        charger
        if opts["max_discharge_kw"] is None
        else np.minimum(charger, float(opts["max_discharge_kw"]))
    )
    opted_out = v2g_opt_out(fleet["ev_id"], float(opts["opt_out_share"]))
    cap_day = opts["daily_throughput_cap_kwh"]
    dt = w.dt_h
    need_steps_b = need_batt / dt  # battery side [kW x steps]
    day_of_step = w.day_of_step
    n_days = int(day_of_step[-1]) + 1
    ratio = _fill.level_ratio(eta_c * eta_d, PEAK_EXPONENT if opts["objective"] == "peak" else 2.0)
    if opts["objective"] == "peak":
        ratio = max(ratio, 1.0 + float(opts["min_spread_pct"]) / 100.0)
    shift = 0.0
    if wear_kw > 0:
        ratio = max(ratio, 1.0 + 1e-3)  # (a lossless battery: no level gap to shift)
        shift = wear_kw / (ratio - 1.0)
    factors = (1.0, 0.5, 0.25, 0.0)
    fleet_net = _fleet_net.FleetNet(p, w.step, len(load)) if net else None
    for _ in range(passes):
        for i, el, sessions_in, starts_g, seg_g in groups:
            k = w.step[el]
            physical = load[k] - p[el]
            nb = need_steps_b[sessions_in]
            cap, head = _caps(
                limit, physical, room, i, k, p[el], w.cap[el], nb / eta_c, starts_g, seg_g
            )
            discharge_ok = np.ones(len(el))
            if fleet_net is not None:  # no discharge into, no charge from another EV
                cap, discharge_ok = fleet_net.limits(p[el], k, cap, nb / eta_c, starts_g, seg_g)
            other = physical + signal[k] + shift
            frac = w.frac[el]
            dmax_el = dmax[i] if w.dlimit is None else np.minimum(dmax[i], w.dlimit[el])
            ea = e_arr[sessions_in]
            day = day_of_step[k]
            todo = np.ones(len(sessions_in), bool)
            best_c = np.zeros(len(el))
            best_q = np.zeros(len(el))

            # owners who opted out only re-fill valleys (discharge power zero)
            tries = factors[-1:] if opted_out[i] else factors
            for attempt in range(len(tries)):
                # only the sessions without an accepted schedule yet
                sub = np.flatnonzero(todo[seg_g])
                sess_sub = np.flatnonzero(todo)
                seg_sub = np.searchsorted(sess_sub, seg_g[sub])
                starts_sub = np.flatnonzero(np.r_[True, np.diff(seg_sub) != 0])
                if attempt < 2:  # first all sessions at the full discharge power, then the
                    # rest at every smaller factor at once (sessions are independent)
                    c, q = _fill_factors(
                        tries[:1] if attempt == 0 else tries[1:],
                        other,
                        cap,
                        dmax_el * frac * discharge_ok,
                        nb,
                        head,
                        (sub, sess_sub, seg_sub, starts_sub),
                        eta_c,
                        eta_d,
                        ratio,
                    )
                    if attempt == 1:
                        retry_c, retry_q, retry_sub = c, q, sub
                    c, q = c[0], q[0]
                else:  # accepted in order, as if computed one factor after the other
                    still = todo[seg_g[retry_sub]]
                    c, q = retry_c[attempt - 1][still], retry_q[attempt - 1][still]
                # state-of-charge path of each session: reserve and battery limits
                delta = (eta_c * c - q / eta_d) * dt
                path = ea[sess_sub][seg_sub] + _fill.segment_cumsum(delta, starts_sub, seg_sub)
                bad_el = ((q > 0) & (path < reserve[i] - _TOL_KWH)) | (path > battery[i] + _TOL_KWH)
                if cap_day is not None:
                    # discharged per day: accepted sessions plus these candidates
                    per_day = np.bincount(day, weights=best_q * dt, minlength=n_days)
                    per_day += np.bincount(day[sub], weights=q * dt, minlength=n_days)
                    bad_el |= (q > 0) & (per_day[day[sub]] > cap_day + _TOL_KWH)
                bad = np.zeros(len(sess_sub), bool)
                np.logical_or.at(bad, seg_sub, bad_el)
                ok = ~bad[seg_sub]
                best_c[sub[ok]] = c[ok]
                best_q[sub[ok]] = q[ok]
                todo[sess_sub[~bad]] = False
                if not todo.any():
                    break
            if todo.any():  # cannot happen: factor 0 is plain valley filling
                raise RuntimeError("v2g: no feasible schedule for a session")
            new = best_c - best_q
            if room is not None:
                room.update(i, k, new - p[el])
            if fleet_net is not None:
                fleet_net.update(k, p[el], new)
            load[k] += new - p[el]
            p[el] = new
    return p


# ---------------------------------------------------------------------------------------------
# the public function


def schedule(
    strategy: str,
    sessions: pd.DataFrame,
    fleet: pd.DataFrame,
    index: pd.DatetimeIndex,
    base_load_kw: pd.Series,
    *,
    initial_soc: float = DEFAULTS["initial_soc"],
    target_soc: float | None = DEFAULTS["target_soc"],
    charge_efficiency: float = DEFAULTS["charge_efficiency"],
    charger_cap_kw: float | None = DEFAULTS["charger_cap_kw"],
    transformer_limit_kw: float | None = DEFAULTS["transformer_limit_kw"],
    grid_aware: bool = DEFAULTS["grid_aware"],
    price_file: str | Path | None = DEFAULTS["price_file"],
    prices: pd.Series | None = None,
    price_weight_kw_per_sek: float = DEFAULTS["price_weight_kw_per_sek"],
    passes: int = DEFAULTS["passes"],
    power_tariff: Mapping[str, Any] | None = None,
    phase_assignment: str = DEFAULTS["phase_assignment"],
    v1g: Mapping[str, Any] | None = None,
    v2g: Mapping[str, Any] | None = None,
    battery: Mapping[str, Any] | None = None,
    grid: GridLimits | None = None,
    load_guard: LoadGuard | None = None,
    foresight: str = "forecast",
    coordination: str = "feeder",
    household_kw: pd.DataFrame | None = None,
) -> ChargingResult:
    """Schedule home charging of a feeder's EVs with one strategy.

    Parameters
    ----------
    strategy : {"uncontrolled", "v1g", "v2g"}
        Charging strategy (see the module documentation).
    sessions : pandas.DataFrame
        Home-charging sessions, columns ``conventions.SESSION_COLUMNS`` (tz-aware ``arrival``
        and ``departure``; ``energy_kwh`` [kWh] driven since the EV last left home).
    fleet : pandas.DataFrame
        EVs, columns ``conventions.FLEET_COLUMNS`` (at least ``ev_id, battery_kwh [kWh],
        charger_kw [kW]``; ``kwh_per_km`` [kWh/km] for virtual km).
    index : pandas.DatetimeIndex
        Study time index (``conventions.period_index``).
    base_load_kw : pandas.Series
        Total base load of the feeder on ``index`` [kW]; what V1G/V2G flatten.
    initial_soc : float
        Stored energy at the start, share of usable capacity [-]. Default: the charging
        section's ``initial_soc`` (docs/sources.md §7.1).
    target_soc : float or None
        Departure target, share of usable capacity [-]; ``None`` = ``initial_soc`` (every met
        session restores exactly the energy driven).
    charge_efficiency : float
        Grid-to-battery efficiency of AC home charging [-]. Default: the charging section's
        ``charge_efficiency`` (docs/sources.md §7.1).
    charger_cap_kw : float or None
        Optional cap on the charging power of every home charger [kW].
    transformer_limit_kw : float or None
        Grid-aware option for ``v1g``/``v2g`` with objective ``price``: keep base + EV load at
        or below this [kW] wherever the mobility guarantee allows it (a steep penalty above the
        limit in the filling; ``None`` = off). Objective ``peak`` needs no limit: it already
        keeps the load as low as the plug-in windows allow (tested against the LP optimum).
    grid_aware : bool
        ``v1g``/``v2g`` keep customer voltages, the transformer and the cables within the
        study's limits wherever the plug-in windows allow (:mod:`gridv2x.charging.grid`):
        every EV charges at most its share of the room the feeder's limits leave in each step
        (soft limit: the mobility guarantee comes first). Needs ``grid``. Uncontrolled
        charging is not controlled and ignores it.
    price_file : path or None
        Day-ahead price file (see :func:`gridv2x.charging.prices.read_prices`); ``None`` = the
        shipped synthetic SE3 example (:func:`gridv2x.charging.prices.example_price_profile`).
    prices : pandas.Series or None
        Prices on ``index`` [SEK/kWh] given directly (Python use; overrides ``price_file``).
    price_weight_kw_per_sek : float
        For objective ``price``: how many kW of feeder load one SEK/kWh of price is worth in
        the filling; large values make cost dominate, the load only breaks ties [kW per SEK/kWh].
    passes : int
        Valley-filling passes over the fleet for ``v1g`` and ``v2g`` [-] (``v2g`` then adds
        ``v2g["passes"]`` V2G passes).
    power_tariff : mapping, optional
        Power-based grid tariff (effekttariff, :mod:`gridv2x.charging.tariff`):
        ``sek_per_kw_month`` [SEK/kW-month] (None = off), ``hours`` [start, end) local [h],
        ``weekdays_only``, ``months``. With a fee, ``price`` objectives keep the EV's power in
        the window as low as the sessions allow, and ``power_tariff_sek`` is reported per EV.
    phase_assignment : {"as_drawn", "random", "balanced"}
        Phase of single-phase chargers (:func:`gridv2x.charging.phases.assign_phases`):
        ``as_drawn`` keeps the fleet's ``phase``; ``random`` draws one per charger (seeded by
        the fleet's ev_ids); ``balanced`` is the DSO's balanced connection. Reported in
        ``per_ev["phase"]`` and used by ``power_by_customer``.
    v1g : mapping, optional
        ``{"objective": "peak" | "price"}``.
    v2g : mapping, optional
        ``objective`` ("peak" | "price"), ``reserve_soc`` [-], ``charger`` ("ac" | "dc":
        :mod:`gridv2x.charging.chargers`), ``max_discharge_kw`` [kW] and
        ``round_trip_efficiency`` [-] (None = the charger technology's; the car's charger
        power caps the discharge either way), ``daily_throughput_cap_kwh`` [kWh/day]
        discharged (None = no cap), ``opt_out_share`` [-] of owners who never discharge (they
        behave as V1G), ``wear_cost_sek_per_kwh`` [SEK/kWh] battery wear per discharged kWh
        (objective ``price``: discharge only where the price gain beats losses and wear,
        ``S = L / eta_rt + price_weight x wear``), ``min_spread_pct`` [%] (objective ``peak``:
        discharge only where the load of everything else is at least this much above the
        charging level, ``S >= L (1 + min_spread_pct / 100)``), ``passes`` [-] V2G passes
        over the fleet after the valley filling (default 1).
    battery : mapping, optional
        ``calendar_fade_pct_per_year`` [%/yr] and ``cycle_fade_pct_per_efc`` [%/cycle].
    grid : GridLimits, optional
        The feeder's limits as a linear model in EV power
        (:func:`gridv2x.charging.grid.grid_limits`, built from load flows of the base load);
        required with ``grid_aware`` (the study builds it).
    load_guard : LoadGuard, optional
        The chargers' load guard (:func:`gridv2x.charging.load_guard.load_guard_limits`,
        scenario ``vehicles.load_guard``): every strategy charges (and V2G discharges) at most
        what each customer's main fuse leaves after the household load; the charging energy
        this costs is ``guard_lost_kwh`` per session and EV.
    foresight : {"forecast", "perfect"}
        What V1G/V2G plan on (:mod:`gridv2x.charging.forecast`): ``forecast`` (default) the
        forecast household load and each car's forecast departure, then cars leave when they
        leave (the shortfall is counted); ``perfect`` the realised load and exact departures,
        an upper bound of what control can do.
    coordination : {"feeder", "household"}
        Who plans (:mod:`gridv2x.charging.household`): ``feeder`` (default) one controller
        for all EVs of the feeder; ``household`` every car on its own, on its price and its
        own household's load, blind to the feeder (herding).
    household_kw : pandas.DataFrame, optional
        Household load ``[time x customer_id]`` [kW] (without EVs) on the study index, what a
        household controller sees of its own load (``coordination: household``; without it
        the household's load is taken as zero).

    Returns
    -------
    ChargingResult

    Raises
    ------
    gridv2x.errors.InputError
        For inconsistent sessions, fleet, index or options.

    References
    ----------
    L. Gan, U. Topcu, S. H. Low, "Optimal decentralized protocol for electric vehicle charging",
    IEEE Trans. Power Systems 28(2), 2013 (valley filling).
    """
    _check_inputs(strategy, sessions, fleet, index, base_load_kw)
    # defaults and bounds of every option: the ``charging`` section (charging/options.py)
    opts = SECTION.resolve(
        "charging",
        {
            "initial_soc": initial_soc,
            "target_soc": target_soc,
            "charge_efficiency": charge_efficiency,
            "charger_cap_kw": charger_cap_kw,
            "transformer_limit_kw": transformer_limit_kw,
            "grid_aware": bool(grid_aware) if isinstance(grid_aware, np.bool_) else grid_aware,
            "price_file": price_file,
            "price_weight_kw_per_sek": price_weight_kw_per_sek,
            "passes": passes,
            "power_tariff": power_tariff,
            "phase_assignment": phase_assignment,
            "v1g": v1g,
            "v2g": v2g,
            "battery": battery,
        },
    )
    v1g_opts, v2g_opts, bat_opts, tariff_opts = (
        opts["v1g"],
        with_technology(opts["v2g"]),  # null efficiency / power: the charger technology's
        opts["battery"],
        opts["power_tariff"],
    )
    initial_soc = opts["initial_soc"]
    target = initial_soc if opts["target_soc"] is None else opts["target_soc"]
    eta_c = opts["charge_efficiency"]
    rte = v2g_opts["round_trip_efficiency"]
    if rte > eta_c:
        raise InputError(
            f"charging.v2g.round_trip_efficiency: must not exceed charge_efficiency "
            f"({eta_c}), given {rte} (charger {v2g_opts['charger']})"
        )
    eta_d = rte / eta_c
    n_v2g_passes = v2g_opts["passes"]
    charger_cap_kw, transformer_limit_kw = opts["charger_cap_kw"], opts["transformer_limit_kw"]
    price_weight_kw_per_sek, passes = opts["price_weight_kw_per_sek"], opts["passes"]
    grid_aware, phase_assignment = opts["grid_aware"], opts["phase_assignment"]
    if grid is not None and not isinstance(grid, GridLimits):
        raise InputError(f"charging grid: must be GridLimits, given {type(grid).__name__}")
    if grid_aware and grid is None and strategy != "uncontrolled":
        raise InputError(
            "charging.grid_aware: needs the feeder's grid limits (grid=, built by "
            "gridv2x.charging.grid_limits; a study builds them itself)"
        )

    fleet = fleet.reset_index(drop=True)
    if foresight not in _forecast.FORESIGHTS:
        raise InputError(
            f"charging.foresight: must be one of {', '.join(_forecast.FORESIGHTS)}, "
            f"given {foresight!r}"
        )
    if coordination not in _household.COORDINATIONS:
        raise InputError(
            f"charging.coordination: must be one of {', '.join(_household.COORDINATIONS)}, "
            f"given {coordination!r}"
        )
    if strategy == "uncontrolled":
        foresight = "perfect"  # nothing is planned
    forecast = foresight == "forecast"
    plan_sessions = sessions
    if forecast:  # plan on each car's forecast departure (module forecast)
        sessions = sessions.assign(planned_departure=_forecast.planned_departures(sessions))
        plan_sessions = sessions.assign(departure=sessions["planned_departure"])
    # look past the end of the period (module docs): sessions cut by the end are scheduled
    # on a horizon that repeats the last day, then the schedule is cut back to the period
    lookahead = max(_lookahead_steps(sessions, index), _lookahead_steps(plan_sessions, index))
    horizon = _extended_index(index, lookahead)
    w = _windows(sessions, fleet, horizon, charger_cap_kw, arrivals_before=len(index))
    # the windows the controller plans on (the real ones with perfect foresight)
    wp = w
    if forecast:
        wp = _windows(plan_sessions, fleet, horizon, charger_cap_kw, arrivals_before=len(index))
    battery_kwh = fleet["battery_kwh"].to_numpy(dtype=float)
    e0 = initial_soc * battery_kwh
    e_target = target * battery_kwh
    cap_free = None
    if load_guard is not None:
        if not isinstance(load_guard, LoadGuard):
            raise InputError(
                f"charging load_guard: must be a LoadGuard, given {type(load_guard).__name__}"
            )
        cap_free = eta_c * w.dt_h * _fill.segment_sum(w.cap, w.starts)
        guard_charge, guard_discharge = load_guard.on(horizon, fleet["ev_id"])
        for win in {id(w): w, id(wp): wp}.values():
            win.cap = np.minimum(win.cap, guard_charge[win.step, win.ev_of] * win.frac)
            win.dlimit = guard_discharge[win.step, win.ev_of]
    e_arr, driving, external, need_full, dep_target, cap_batt = _energy_chain(
        w, fleet, e0, e_target, eta_c
    )
    guard_lost = np.zeros(len(w.sess))
    if cap_free is not None:  # what the guard costs each session: need the window no longer holds
        guard_lost[w.s_idx] = np.maximum(
            np.minimum(need_full[w.s_idx], cap_free) - np.minimum(need_full, cap_batt)[w.s_idx],
            0.0,
        )
    share = w.sess["share"].to_numpy()
    need_ctrl = need_full * share  # pro-rated for sessions that run past the horizon
    base = _repeat_last_day(base_load_kw.to_numpy(dtype=float), lookahead, index)

    objective = {"v1g": v1g_opts["objective"], "v2g": v2g_opts["objective"]}.get(strategy)
    window = _tariff.tariff_window(
        horizon, tariff_opts["hours"], tariff_opts["weekdays_only"], tariff_opts["months"]
    )
    # prices are always read: the energy cost is reported for every strategy
    price_series = prices_on_index(index, price_file=price_file, prices=prices)
    signal = np.zeros(len(horizon))
    if objective == "price":
        signal = price_weight_kw_per_sek * _repeat_last_day(
            price_series.to_numpy(dtype=float), lookahead, index
        )

    si = w.s_idx
    dt = w.dt_h
    if strategy == "uncontrolled":
        p = _fill.uncontrolled_fill(w.cap, need_full[si] / (eta_c * dt), w.starts, w.seg)
    else:
        spi = wp.s_idx
        share_plan = wp.sess["share"].to_numpy()
        cap_plan = np.zeros(len(wp.sess))  # battery-side capacity of the planned windows
        cap_plan[spi] = eta_c * dt * _fill.segment_sum(wp.cap, wp.starts)
        if objective == "price" and tariff_opts["sek_per_kw_month"]:
            wp.cap = _tariff.capped_charger(
                wp,
                (need_full * share_plan)[spi] / (eta_c * dt),
                window,
                horizon.tz_convert(TIMEZONE).month.to_numpy(),
            )
        groups = _block_groups(wp)
        # what the controller plans on: the feeder's load, or each household's own
        if coordination == "household":
            own = _household.own_load(household_kw, horizon, fleet)  # [step x ev]
            if forecast:
                own = _forecast.forecast_base_load(own, horizon)
            fill_w = _household.private_windows(wp)
            base_fill = own.T.ravel()
            signal_fill = np.tile(signal, len(fleet))
        else:
            fill_w = wp
            base_fill = _forecast.forecast_base_load(base, horizon) if forecast else base
            signal_fill = signal
        # the soft limit only matters for the price objective: valley filling on the load
        # itself already keeps it as low as the plug-in windows allow
        feeder = coordination == "feeder"
        limit = transformer_limit_kw if objective == "price" and feeder else None
        # wear cost of a discharged kWh in the effective load's units (objective price)
        wear_kw = (
            price_weight_kw_per_sek * float(v2g_opts["wear_cost_sek_per_kwh"])
            if objective == "price"
            else 0.0
        )

        def plan(need_full, e_arr):
            """The coordinated schedule of the sessions' needs on the planned windows [kW]."""
            need_ctrl = need_full * share_plan
            need_steps = need_ctrl[spi] / (eta_c * dt)
            # restart from uncontrolled at the controlled need (differs only for cut sessions)
            p = _fill.uncontrolled_fill(wp.cap, need_steps, wp.starts, wp.seg)
            load = base_fill + np.bincount(fill_w.step, weights=p, minlength=len(base_fill))
            room = None
            if grid_aware and feeder and grid is not None:
                room = GridRoom(grid, fleet["ev_id"], len(horizon))
                room.start(p, wp.step, wp.ev_of, wp.cap)
            need_b = np.minimum(need_ctrl, cap_plan)[spi]

            def coordinate(p, n_passes, discharge):
                """``n_passes`` coordination passes over the fleet, with or without V2G."""
                if not discharge:
                    return _valley_passes(
                        fill_w, p, load, signal_fill, need_steps, n_passes, groups, limit, room
                    )
                return _v2g_passes(
                    fill_w,
                    p,
                    load,
                    signal_fill,
                    need_b,
                    e_arr[spi],
                    v2g_opts,
                    fleet,
                    groups,
                    eta_c,
                    eta_d,
                    n_passes,
                    limit,
                    room,
                    wear_kw,
                    net=feeder,
                )

            p = coordinate(p, passes, discharge=False)
            if strategy == "v2g":
                p = coordinate(p, n_v2g_passes, discharge=True)
            # check against the real load flow; correct the linear model and re-coordinate
            for _ in range(GRID_CHECKS if room is not None else 0):
                assert room is not None
                if not room.check(p, wp.step, wp.ev_of):
                    break
                p = coordinate(p, 1, discharge=strategy == "v2g")
            return p

        p = plan(need_full, e_arr)
        if forecast:  # reality: cars leave when they leave; re-plan from the real chain
            for replan in range(_forecast.REPLANS + 1):
                p, e_arr, driving, external, need_full = _forecast_realised(
                    wp, p, w, e0, dep_target, battery_kwh, eta_c, eta_d, net=feeder
                )
                if replan < _forecast.REPLANS:
                    p = plan(need_full, e_arr)
            need_ctrl = need_full * share
    restored = None
    w_sess_in_period = w.sess["in_period"].to_numpy()
    w_sess_ev = w.sess["ev"].to_numpy()
    if lookahead:  # cut back to the period; shortfalls are judged over the whole horizon
        restored = _restored_kwh(w, p, eta_c, eta_d)
        w_period = _windows(sessions, fleet, index, charger_cap_kw)
        p = _restrict(w, p, w_period)
        w = w_period
    result = _assemble(
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
        need_full if strategy == "uncontrolled" else need_ctrl,
        need_ctrl,
        eta_c,
        eta_d,
        price_series,
        bat_opts,
        None
        if not tariff_opts["sek_per_kw_month"]
        else (window[: len(index)], float(tariff_opts["sek_per_kw_month"])),
        restored,
    )
    lost = np.where(w_sess_in_period, guard_lost, 0.0)
    result.sessions["guard_lost_kwh"] = lost
    result.per_ev["guard_lost_kwh"] = np.bincount(w_sess_ev, weights=lost, minlength=len(fleet))
    if {"phases", "phase"} <= set(fleet.columns):
        result.per_ev["phases"] = fleet["phases"].to_numpy()
        result.per_ev["phase"] = _phases_as(fleet, phase_assignment)
    return result


def _phases_as(fleet: pd.DataFrame, method: str) -> np.ndarray:
    """Phase of each charger under the chosen assignment (``as_drawn`` keeps the fleet's)."""
    if method == "as_drawn" or len(fleet) == 0:
        return fleet["phase"].to_numpy()
    seed = zlib.crc32("|".join(map(str, fleet["ev_id"])).encode())
    rng = np.random.default_rng(seed)
    return assign_phases(fleet, method, rng)["phase"].to_numpy()


def _per_ev_sum(w: _Windows, values: np.ndarray, n_ev: int) -> np.ndarray:
    """Sum of flat ``values`` per EV (the flat arrays hold each EV's sessions in one block)."""
    out = np.zeros(n_ev)
    if len(values) == 0:
        return out
    ev_first = w.ev_of[w.starts]  # EV of each in-period session, sorted
    block = np.flatnonzero(np.r_[True, ev_first[1:] != ev_first[:-1]])
    out[ev_first[block]] = np.add.reduceat(values, w.starts[block])
    return out


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
    key = w.step * n_ev + w.ev_of
    power = np.bincount(key, weights=p, minlength=n * n_ev).reshape(n, n_ev)
    charge = np.maximum(p, 0.0)
    dis = np.maximum(-p, 0.0)
    delta = (eta_c * charge - dis / eta_d) * dt
    sess = w.sess
    in_period = sess["in_period"].to_numpy()
    ev = sess["ev"].to_numpy()
    drop_key = sess["k0"].to_numpy()[in_period] * n_ev + ev[in_period]
    # change of stored energy per step and EV (charging, discharging, driving at arrival),
    # then its running sum, in place: these arrays are steps x EVs large
    soc = np.bincount(
        np.concatenate([key, drop_key]),
        weights=np.concatenate([delta, -driving[in_period]]),
        minlength=n * n_ev,
    )
    soc = soc.astype(float, copy=False).reshape(n, n_ev)  # (int when there is nothing)
    soc[0] += e0
    np.cumsum(soc, axis=0, out=soc)
    np.maximum(soc, 0.0, out=soc)  # rounding only: the model never goes below zero

    ev_ids = fleet["ev_id"].to_numpy()
    power_kw = pd.DataFrame(power, index=index, columns=pd.Index(ev_ids, name="ev_id"))
    soc_kwh = pd.DataFrame(soc, index=index, columns=pd.Index(ev_ids, name="ev_id"))

    # per session: net battery-side energy restored and unmet
    net = np.zeros(len(sess))
    net[w.s_idx] = _fill.segment_sum(delta, w.starts)
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
