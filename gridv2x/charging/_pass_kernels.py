"""Compiled coordination passes: :func:`gridv2x.charging.passes._valley_passes` and
``_v2g_passes`` over the whole fleet in one numba call.

The passes update one EV's group of sessions after the other (each sees the load the
previous ones left), so the loop over the fleet is inherently sequential; what the numpy code
spends per group is Python: some sixty small array operations around each fill. Here the
whole pass runs compiled, group after group, calling the compiled fills of
:mod:`gridv2x.charging._fill_kernels` on the same arrays the numpy code builds (the same
sessions in one call, the same factor copies for V2G), so the result is bit-identical
(``tests/charging/test_fill_kernels.py`` compares whole schedules). The model and its
guarantees are explained in :mod:`gridv2x.charging.schedule` and
:mod:`gridv2x.charging.passes`; grid-aware passes (a
:class:`gridv2x.charging.grid.GridRoom`) keep the numpy code.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from gridv2x.charging._fill_kernels import _segment_sum, _v2g_fill, _valley_fill
from gridv2x.charging._fleet_net import ACTIVE_KW

__all__ = ["FlatGroups", "valley_passes"]

_FACTORS = np.array([1.0, 0.5, 0.25, 0.0])
"""Discharge factors a V2G session is tried with, in order (``passes._v2g_passes``)."""
_FIT_TOL = 1e-9
"""Tolerance of the fleet-net check whether a session's need fits without the blocked steps
(``_fleet_net.FleetNet.limits``) [kW x steps]."""


class FlatGroups:
    """The groups of :func:`gridv2x.charging.passes._block_groups` as flat arrays.

    ``ev[g]`` is the EV of group ``g``; its elements are ``el[el_ptr[g]:el_ptr[g + 1]]``,
    its sessions ``sessions[sess_ptr[g]:sess_ptr[g + 1]]`` starting at the local positions
    ``starts[sess_ptr[g]:sess_ptr[g + 1]]``.
    """

    def __init__(self, groups: list) -> None:
        self.ev = np.array([g[0] for g in groups], dtype=np.int64)
        self.el_ptr = np.r_[0, np.cumsum([len(g[1]) for g in groups])].astype(np.int64)
        self.sess_ptr = np.r_[0, np.cumsum([len(g[2]) for g in groups])].astype(np.int64)
        empty = np.zeros(0, np.int64)
        self.el = np.concatenate([empty] + [g[1] for g in groups]).astype(np.int64)
        self.sessions = np.concatenate([empty] + [g[2] for g in groups]).astype(np.int64)
        self.starts = np.concatenate([empty] + [g[3] for g in groups]).astype(np.int64)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """``ev, el_ptr, el, sess_ptr, sessions, starts`` (the kernels' argument order)."""
        return self.ev, self.el_ptr, self.el, self.sess_ptr, self.sessions, self.starts


@njit(cache=True, error_model="numpy")
def _hard_caps(physical, cap, need, starts, limit):
    """``passes._caps`` under a load limit [kW]: the charger limit (hard where the session's
    need fits below the limit) and the soft headroom of each element."""
    n, n_seg = len(physical), len(starts)
    head = np.empty(n)
    hard = np.empty(n)
    for j in range(n):
        head[j] = limit - physical[j]
        hard[j] = min(max(head[j], 0.0), cap[j])
    new_cap = np.empty(n)
    for s in range(n_seg):
        b = starts[s]
        e = starts[s + 1] if s + 1 < n_seg else n
        fits = _segment_sum(hard, b, e) >= need[s]
        for j in range(b, e):
            new_cap[j] = hard[j] if fits else cap[j]
            head[j] = min(head[j], cap[j])
    return new_cap, head


@njit(cache=True, error_model="numpy")
def _valley_passes(
    step, w_cap, p, load, signal, need_steps, passes, groups, limit, has_limit, bisections
):
    ev, el_ptr, els, sess_ptr, sessions, starts = groups
    for _ in range(passes):
        for g in range(len(ev)):
            el = els[el_ptr[g] : el_ptr[g + 1]]
            st = starts[sess_ptr[g] : sess_ptr[g + 1]]
            need = need_steps[sessions[sess_ptr[g] : sess_ptr[g + 1]]]
            n = len(el)
            k = step[el]
            other = np.empty(n)
            cap = np.empty(n)
            for j in range(n):
                other[j] = load[k[j]] - p[el[j]]
                cap[j] = w_cap[el[j]]
            head = cap
            if has_limit:
                cap, head = _hard_caps(other, cap, need, st, limit)
            x = np.empty(n)
            for j in range(n):
                x[j] = other[j] + signal[k[j]]
            new = _valley_fill(x, cap, need, st, head, has_limit, bisections)
            for j in range(n):
                load[k[j]] = load[k[j]] + (new[j] - p[el[j]])
                p[el[j]] = new[j]


def valley_passes(w, p, load, signal, need_steps, passes, groups, limit, bisections):
    """Compiled ``passes._valley_passes`` without grid room (updates ``p`` and ``load``)."""
    _valley_passes(
        w.step, w.cap, p, load, np.ascontiguousarray(signal, dtype=float), need_steps,
        int(passes), FlatGroups(groups).arrays(),
        0.0 if limit is None else float(limit), limit is not None, int(bisections),
    )  # fmt: skip
    return p


@njit(cache=True, error_model="numpy")
def _net_limits(charge_tot, discharge_tot, p_ev, k, cap, need, starts):
    """``_fleet_net.FleetNet.limits`` of one group: charger limit and discharge permission."""
    n, n_seg = len(k), len(starts)
    ok = np.empty(n)
    without = np.empty(n)
    blocked_any = False
    for j in range(n):
        others_charge = charge_tot[k[j]] - max(p_ev[j], 0.0)
        others_discharge = discharge_tot[k[j]] - max(-p_ev[j], 0.0)
        ok[j] = 1.0 if others_charge <= ACTIVE_KW else 0.0
        blocked = others_discharge > ACTIVE_KW
        blocked_any |= blocked
        without[j] = 0.0 if blocked else cap[j]
    if not blocked_any:
        return cap, ok
    out = np.empty(n)
    for s in range(n_seg):
        b = starts[s]
        e = starts[s + 1] if s + 1 < n_seg else n
        fits = _segment_sum(without, b, e) >= need[s] - _FIT_TOL
        for j in range(b, e):
            out[j] = without[j] if fits else cap[j]
    return out, ok


@njit(cache=True, error_model="numpy")
def _subset(todo, seg):
    """Elements and sessions still to do, the renumbered session of each element and the
    sessions' local starts (``passes._v2g_passes``)."""
    sess_sub = np.flatnonzero(todo)
    renum = np.full(len(todo), -1)
    renum[sess_sub] = np.arange(len(sess_sub))
    sub = np.flatnonzero(todo[seg])
    seg_sub = renum[seg[sub]]
    starts_sub = np.empty(len(sess_sub), np.int64)
    m = 0
    for j in range(len(sub)):
        if j == 0 or seg_sub[j] != seg_sub[j - 1]:
            starts_sub[m] = j
            m += 1
    return sub, sess_sub, seg_sub, starts_sub


@njit(cache=True, error_model="numpy")
def _fill_factors(factors, other, cap, dfull, nb, head, has_head, sub, sess_sub, starts_sub, v):
    """``passes._fill_factors``: one compiled V2G fill of the subset at every factor."""
    eta_c, eta_d, ratio, bisections = v
    n_f, n_el, n_s = len(factors), len(sub), len(sess_sub)
    o = np.empty(n_f * n_el)
    c = np.empty(n_f * n_el)
    d = np.empty(n_f * n_el)
    h = np.empty(n_f * n_el)
    need = np.empty(n_f * n_s)
    st = np.empty(n_f * n_s, np.int64)
    for f in range(n_f):
        for j in range(n_el):
            x = sub[j]
            o[f * n_el + j] = other[x]
            c[f * n_el + j] = cap[x]
            d[f * n_el + j] = factors[f] * dfull[x]
            h[f * n_el + j] = head[x]
        for s in range(n_s):
            need[f * n_s + s] = nb[sess_sub[s]]
            st[f * n_s + s] = starts_sub[s] + f * n_el
    cq, qq = _v2g_fill(o, c, d, need, st, eta_c, eta_d, h, has_head, ratio, int(bisections))
    return cq.reshape(n_f, n_el), qq.reshape(n_f, n_el)


@njit(cache=True, error_model="numpy")
def _v2g_passes(
    step, w_cap, w_frac, p, load, signal, need_steps_b, e_arr, passes, groups, limit, has_limit, net, charge_tot, discharge_tot, dlimit,
    has_dlimit, dmax, opted_out, reserve, battery, day_of_step, n_days, cap_day, has_cap_day,
    eta_c, eta_d, dt, ratio, shift, tol_kwh, bisections,
):  # fmt: skip
    ev, el_ptr, els, sess_ptr, sessions, starts = groups
    v = (eta_c, eta_d, ratio, float(bisections))
    for _ in range(passes):
        for g in range(len(ev)):
            i = ev[g]
            el = els[el_ptr[g] : el_ptr[g + 1]]
            st = starts[sess_ptr[g] : sess_ptr[g + 1]]
            sess = sessions[sess_ptr[g] : sess_ptr[g + 1]]
            n, ns = len(el), len(sess)
            k = step[el]
            seg = np.empty(n, np.int64)
            for s in range(ns):
                seg[st[s] : (st[s + 1] if s + 1 < ns else n)] = s
            physical = np.empty(n)
            cap = np.empty(n)
            p_ev = np.empty(n)
            for j in range(n):
                p_ev[j] = p[el[j]]
                physical[j] = load[k[j]] - p_ev[j]
                cap[j] = w_cap[el[j]]
            nb = need_steps_b[sess]
            need_g = nb / eta_c
            head = cap
            if has_limit:
                cap, head = _hard_caps(physical, cap, need_g, st, limit)
            discharge_ok = np.ones(n)
            if net:
                cap, discharge_ok = _net_limits(charge_tot, discharge_tot, p_ev, k, cap, need_g, st)
            other = np.empty(n)
            dfull = np.empty(n)
            for j in range(n):
                other[j] = physical[j] + signal[k[j]] + shift
                dmax_el = min(dmax[i], dlimit[el[j]]) if has_dlimit else dmax[i]
                dfull[j] = dmax_el * w_frac[el[j]] * discharge_ok[j]
            ea = e_arr[sess]
            todo = np.ones(ns, np.bool_)
            best_c = np.zeros(n)
            best_q = np.zeros(n)
            tries = _FACTORS[-1:] if opted_out[i] else _FACTORS
            retry_c = np.empty((0, 0))
            retry_q = np.empty((0, 0))
            retry_sub = np.empty(0, np.int64)
            for attempt in range(len(tries)):
                sub, sess_sub, seg_sub, starts_sub = _subset(todo, seg)
                if attempt < 2:  # all at full discharge power, then the rest at every factor
                    factors = tries[:1] if attempt == 0 else tries[1:]
                    cs, qs = _fill_factors(
                        factors, other, cap, dfull, nb, head, has_limit, sub, sess_sub,
                        starts_sub, v,
                    )  # fmt: skip
                    if attempt == 1:
                        retry_c, retry_q, retry_sub = cs, qs, sub
                    c, q = cs[0], qs[0]
                else:  # accepted in order, as if computed one factor after the other
                    still = todo[seg[retry_sub]]
                    c, q = retry_c[attempt - 1][still], retry_q[attempt - 1][still]
                # state-of-charge path of each session: reserve and battery limits
                m = len(sub)
                bad_el = np.empty(m, np.bool_)
                run = 0.0
                off = 0.0
                for j in range(m):
                    delta = (eta_c * c[j] - q[j] / eta_d) * dt
                    run += delta
                    if j == 0 or seg_sub[j] != seg_sub[j - 1]:
                        off = run - delta
                    path = ea[sess_sub[seg_sub[j]]] + (run - off)
                    bad_el[j] = ((q[j] > 0) and (path < reserve[i] - tol_kwh)) or (
                        path > battery[i] + tol_kwh
                    )
                if has_cap_day:  # discharged per day: accepted sessions plus these candidates
                    per_day = np.zeros(n_days)
                    for j in range(n):
                        per_day[day_of_step[k[j]]] += best_q[j] * dt
                    cand = np.zeros(n_days)
                    for j in range(m):
                        cand[day_of_step[k[sub[j]]]] += q[j] * dt
                    per_day += cand
                    for j in range(m):
                        if q[j] > 0 and per_day[day_of_step[k[sub[j]]]] > cap_day + tol_kwh:
                            bad_el[j] = True
                bad = np.zeros(len(sess_sub), np.bool_)
                for j in range(m):
                    bad[seg_sub[j]] |= bad_el[j]
                for j in range(m):
                    if not bad[seg_sub[j]]:
                        best_c[sub[j]] = c[j]
                        best_q[sub[j]] = q[j]
                for s in range(len(sess_sub)):
                    if not bad[s]:
                        todo[sess_sub[s]] = False
                if not todo.any():
                    break
            if todo.any():  # cannot happen: factor 0 is plain valley filling
                return False
            for j in range(n):
                new = best_c[j] - best_q[j]
                if net:
                    kk = k[j]
                    charge_tot[kk] = charge_tot[kk] + (max(new, 0.0) - max(p_ev[j], 0.0))
                    discharge_tot[kk] = discharge_tot[kk] + (max(-new, 0.0) - max(-p_ev[j], 0.0))
                load[k[j]] = load[k[j]] + (new - p_ev[j])
                p[el[j]] = new
    return True
