"""The charging strategies on flat arrays: V1G valley filling and V2G passes over the fleet.

V1G fills the valleys of the load of everything else, EV after EV, ``passes`` times
(:func:`_valley_passes`); V2G then also discharges above a discharge level tied to the
charging level (:func:`_v2g_passes`). The model, the objectives and their guarantees: the
module documentation of :mod:`gridv2x.charging.schedule`; the kernels: :mod:`gridv2x.charging._fill`.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from gridv2x.charging import _fill, _fill_kernels, _fleet_net, _pass_kernels
from gridv2x.charging.windows import _TOL_KWH, _Windows

__all__ = ["PEAK_EXPONENT", "v2g_opt_out"]

PEAK_EXPONENT = 8.0
"""Objective ``peak`` of V2G minimises ``sum(load**8)``: a smooth stand-in for the peak that
still weighs the round-trip losses (discharge level only ~2.4 % above the charging level at
eta_rt = 0.85, against 18 % for the sum of squares)."""


def v2g_opt_out(ev_ids: pd.Series, share: float) -> np.ndarray:
    """Deterministic opt-out draw: a stable hash of ``ev_id`` mapped to [0, 1) below ``share``."""
    u = np.array([zlib.crc32(str(e).encode()) / 2**32 for e in ev_ids])
    return u < share


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
    with a :class:`gridv2x.charging.grid.GridRoom` each EV stays within its grid headroom;
    without one the passes run compiled, :mod:`gridv2x.charging._pass_kernels`)."""
    if room is None and not _fill_kernels.REFERENCE:
        return _pass_kernels.valley_passes(
            w, p, load, signal, need_steps, passes, groups, limit, _fill.EXACT_BISECTIONS
        )
    for _ in range(passes):
        for i, el, sessions_in, starts_g, seg_g in groups:
            k = w.step[el]
            other = load[k] - p[el]
            need = need_steps[sessions_in]
            cap, head = _caps(limit, other, room, i, k, p[el], w.cap[el], need, starts_g, seg_g)
            new = _fill_kernels.valley_fill(other + signal[k], cap, need, starts_g, seg_g, head)
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
    c, q = _fill_kernels.v2g_fill(
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
    if room is None and ratio < 2.0 and not _fill_kernels.REFERENCE:  # compiled, same result
        no_net = np.zeros(0)
        done = _pass_kernels._v2g_passes(
            w.step, w.cap, w.frac, p, load, np.ascontiguousarray(signal, dtype=float),
            need_steps_b, np.ascontiguousarray(e_arr, dtype=float), int(passes),
            _pass_kernels.FlatGroups(groups).arrays(),
            0.0 if limit is None else float(limit), limit is not None, fleet_net is not None,
            no_net if fleet_net is None else fleet_net.charge,
            no_net if fleet_net is None else fleet_net.discharge,
            no_net if w.dlimit is None else w.dlimit, w.dlimit is not None,
            np.asarray(dmax, dtype=float),
            opted_out, reserve, battery, day_of_step, n_days,
            0.0 if cap_day is None else float(cap_day), cap_day is not None,
            float(eta_c), float(eta_d), float(dt), float(ratio), float(shift), _TOL_KWH,
            _fill.EXACT_BISECTIONS,
        )  # fmt: skip
        if not done:
            raise RuntimeError("v2g: no feasible schedule for a session")
        return p
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
