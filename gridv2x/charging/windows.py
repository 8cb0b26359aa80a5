"""The plug-in windows of a fleet as flat arrays, and the energy chain over them.

Every in-period session's steps are laid out one after another, each EV's sessions in one
block (:class:`_Windows`), so that the strategies (:mod:`gridv2x.charging.passes`) and the
result (:mod:`gridv2x.charging.result`) work on flat arrays. The energy chain follows each
battery over its sessions: what it holds at arrival and the departure target it must reach
(the mobility guarantee of :mod:`gridv2x.charging.schedule`, whose module documentation
explains the model); :func:`_forecast_realised` is what a schedule planned on a forecast
delivers when the real sessions happen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from gridv2x.charging import _fill, _fill_kernels, _fleet_net
from gridv2x.conventions import step_hours
from gridv2x.errors import InputError

__all__ = []

_TOL_KWH = 1e-6
"""Energy below which a shortfall or an unmet need counts as zero (rounding) [kWh]."""


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
    fleet_ids = pd.Index(fleet["ev_id"].to_numpy())
    ev = fleet_ids.get_indexer(sessions["ev_id"].to_numpy()) if fleet_ids.is_unique else None
    arrival = pd.DatetimeIndex(sessions["arrival"])
    if ev is not None and (ev >= 0).all() and not arrival.hasnans:
        # by EV, then arrival, ties in their order: the stable sort of ``sort_values``
        order = np.lexsort((arrival.asi8, ev))
        sess = sessions.take(order).reset_index(drop=True)
        sess["ev"] = ev[order].astype(np.int64)
    else:  # (an EV missing from the fleet raises here)
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
    # plugged-in share of the first and last step of a session (1 in between)
    first = k0[s_idx]
    last = first + lengths - 1
    a_s, b_s = a_c[s_idx], b_c[s_idx]
    frac_last = np.clip(np.minimum(b_s, last + 1) - np.maximum(a_s, last), 0.0, 1.0)
    frac_first = np.clip(np.minimum(b_s, first + 1) - np.maximum(a_s, first), 0.0, 1.0)
    charger = fleet["charger_kw"].to_numpy(dtype=float)
    if charger_cap_kw is not None:
        charger = np.minimum(charger, float(charger_cap_kw))
    # flat arrays (one element per plugged-in step of every session: millions for a year)
    seg, flat_step, ev_of, frac, cap = _flat_windows(
        first.astype(np.int64),
        lengths.astype(np.int64),
        sess["ev"].to_numpy()[s_idx].astype(np.int64),
        frac_first,
        frac_last,
        charger,
        total,
    )
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


@njit(cache=True, error_model="numpy")
def _flat_windows(first, lengths, ev, frac_first, frac_last, charger, total):  # noqa: ANN001, ANN202
    """The flat arrays of :class:`_Windows` in one pass over the sessions' steps: session
    number, time step, EV column, plugged-in share (``frac_first`` / ``frac_last`` at a
    session's first / last step, 1 in between; the first wins in a one-step session) and
    charger limit ``charger[ev] * frac`` [kW]."""
    seg = np.empty(total, dtype=np.int64)
    step = np.empty(total, dtype=np.int64)
    ev_of = np.empty(total, dtype=np.int64)
    frac = np.empty(total)
    cap = np.empty(total)
    f = 0
    for i in range(len(lengths)):
        n = lengths[i]
        for j in range(n):
            seg[f + j] = i
            step[f + j] = first[i] + j
            ev_of[f + j] = ev[i]
            frac[f + j] = 1.0
        frac[f + n - 1] = frac_last[i]
        frac[f] = frac_first[i]
        c = charger[ev[i]]
        for j in range(n):
            cap[f + j] = c * frac[f + j]
        f += n
    return seg, step, ev_of, frac, cap


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
    out = np.zeros(len(w.sess))
    out[w.s_idx] = _fill_kernels.net_energy(p, w.starts, eta_c, eta_d, w.dt_h)
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


@njit(cache=True, error_model="numpy")
def _target_chain(ev, energy, in_period, battery, target, cap_batt, e0):
    """:func:`_energy_chain`'s two passes over the sessions (rows sorted by EV, then
    arrival): the raised departure targets backwards, then the chain of stored energy."""
    m = len(ev)
    for r in range(m - 2, -1, -1):  # backward: each EV's next session is the next row
        if in_period[r] and ev[r + 1] == ev[r] and in_period[r + 1]:
            nxt = r + 1
            ahead = max(energy[nxt], target[nxt] + energy[nxt] - cap_batt[nxt])
            target[r] = min(battery[ev[r]], max(target[r], ahead))
    e_arr, driving, need = np.zeros(m), np.zeros(m), np.zeros(m)
    level = e0.copy()  # stored energy at the last departure, per EV
    for r in range(m):
        if not in_period[r]:
            continue
        i = ev[r]
        drove = min(energy[r], level[i])
        arr = level[i] - drove
        nd = max(target[r] - arr, 0.0)
        e_arr[r], driving[r], need[r] = arr, drove, nd
        level[i] = arr + min(nd, cap_batt[r])
    return target, e_arr, driving, need


@njit(cache=True, error_model="numpy")
def _realised_chain(ev, energy, in_period, battery, target, e0, delivered, cont_cap):
    """:func:`_forecast_realised`'s chain of stored energy over the sessions (rows sorted by
    EV, then arrival): what each session delivered plus what it still got after its
    forecast departure (``extra``), within ``[0, battery]``."""
    m = len(ev)
    e_arr, driving, need, extra = np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m)
    level = e0.copy()
    for r in range(m):
        if not in_period[r]:
            continue
        i = ev[r]
        drove = min(energy[r], level[i])
        arr = level[i] - drove
        e_arr[r], driving[r] = arr, drove
        need[r] = max(target[r] - arr, 0.0)
        extra[r] = min(max(need[r] - delivered[r], 0.0), cont_cap[r])
        level[i] = min(max(arr + delivered[r] + extra[r], 0.0), battery[i])
    return e_arr, driving, need, extra


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
    in_period = sess["in_period"].to_numpy()
    battery = fleet["battery_kwh"].to_numpy(dtype=float)
    # the backward pass (targets) and the chain, EV by EV in session order (compiled)
    target, e_arr, driving, need = _target_chain(
        ev, energy, in_period, battery, np.minimum(battery[ev], e_target[ev]), cap_batt, e0
    )
    external = np.where(in_period, energy - driving, 0.0)
    external[external < _TOL_KWH] = 0.0
    return e_arr, driving, external, need, target, cap_batt


@njit(cache=True, error_model="numpy")
def _carry_plan(p_plan, frac_plan, start_plan, frac, starts, common):
    """The plan's power on the real windows over the first ``common`` steps of each session
    (scaled down where the car is plugged in for less of the step than planned), and the
    steps after them (``_forecast_realised``)."""
    n = len(frac)
    p = np.zeros(n)
    cont = np.ones(n, np.bool_)
    for s in range(len(starts)):
        for j in range(common[s]):
            a, b = starts[s] + j, start_plan[s] + j
            ratio = frac[a] / frac_plan[b] if frac_plan[b] > 0 else 1.0
            p[a] = p_plan[b] * min(ratio, 1.0)
            cont[a] = False
    return p, cont


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
    pos_p = np.full(m, -1)
    pos_p[wp.s_idx] = np.arange(len(wp.s_idx))
    len_p = np.diff(np.r_[wp.starts, len(wp.step)])
    len_a = np.diff(np.r_[w.starts, len(w.step)])
    rows = w.s_idx
    planned = pos_p[rows] >= 0
    common = np.where(planned, np.minimum(len_a, len_p[np.maximum(pos_p[rows], 0)]), 0)
    # cont: the steps after the forecast departure
    p, cont = _carry_plan(
        p_plan,
        wp.frac,
        wp.starts[np.maximum(pos_p[rows], 0)],
        w.frac,
        w.starts,
        common.astype(np.int64),
    )
    delivered = _restored_kwh(w, p, eta_c, eta_d)  # per row, the plan's part
    cont_cap = np.zeros(m)
    cont_cap[rows] = eta_c * dt * _fill.segment_sum(np.where(cont, w.cap, 0.0), w.starts)

    energy = sess["energy_kwh"].to_numpy(dtype=float)
    ev = sess["ev"].to_numpy()
    in_period = sess["in_period"].to_numpy()
    e_arr, driving, need, extra = np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m)
    if m == 0:
        return p, e_arr, driving, np.zeros(0), need

    def chain(delivered, cont_cap):
        e_arr[:], driving[:], need[:], extra[:] = _realised_chain(
            ev, energy, in_period, battery, target, e0, delivered, cont_cap
        )

    chain(delivered, cont_cap)
    # the continuation after the forecast departure: full power until the session is served
    p += _fill_kernels.uncontrolled_fill(
        np.where(cont, w.cap, 0.0), extra[rows] / (eta_c * dt), w.starts
    )
    if net and (p < 0).any():  # the fleet stays net: dischargers give way to late charging
        p = _fleet_net.net_out(p, w.step, w.n_steps)
        chain(_restored_kwh(w, p, eta_c, eta_d), np.zeros(m))
    external = np.where(in_period, energy - driving, 0.0)
    external[external < _TOL_KWH] = 0.0
    return p, e_arr, driving, external, need
