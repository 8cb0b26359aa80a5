"""Compiled water filling: :func:`gridv2x.charging._fill.valley_fill` and ``v2g_fill`` in numba.

The model is the one of :mod:`gridv2x.charging._fill` (one water level per plug-in session,
found by ``bisections`` bisection steps and an exact piecewise-linear solve on the
breakpoints left inside the bracket); this module only computes it faster. numpy needs some
twenty array passes and temporaries per bisection step and a sort of every breakpoint left;
here each session is done in one pass over its few dozen steps while they sit in L1 cache, with
no temporaries and no per-call Python.

Same arithmetic, same order, so the results are bit-identical to the numpy code (tested in
``tests/charging/test_fill_kernels.py``): every per-session sum is numpy's pairwise summation
as ``np.add.reduceat`` does it (:func:`_segment_sum`: the first element plus the pairwise sum of
the rest), the running sums of the exact solve are one cumulative sum over all sessions of the
call (as ``_fill.segment_cumsum`` computes them), the breakpoints are sorted by the same
rounded keys with the same tie order, and numba does not contract multiply-adds (no fastmath).

Compiled once per machine and cached under ``__pycache__`` (``cache=True``; about 50-60 s for
the charging kernels on one core, then about 1 s). The kernels take module constants such as
``_fill.LIMIT_PENALTY`` and ``_fleet_net.ACTIVE_KW`` as compile-time values, and numba's cache
does not notice when such a constant changes in another module: after changing one, delete the
``__pycache__`` folders of :mod:`gridv2x.charging`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from gridv2x.charging import _fill
from gridv2x.charging._fill import LIMIT_PENALTY

REFERENCE = False
"""Run the numpy code of :mod:`gridv2x.charging._fill` instead (the reference the benchmark
``bench/bench_charging.py`` and the tests compare against)."""

_PAIRWISE_UNROLL = 8
"""numpy's pairwise summation: below this many values a plain loop [-]."""
_PAIRWISE_BLOCK = 128
"""numpy's pairwise summation: up to this many values one 8-way unrolled loop [-]."""
_INSERTION_SORT_MAX = 48
"""Breakpoints in a bracket up to which they are sorted by insertion (else merge sort) [-]."""
_SOFT = 1.0 / (1.0 + LIMIT_PENALTY)
"""Slope of the charging power in the level above the soft limit (``_fill.charge_at_level``)."""


@njit(cache=True, error_model="numpy", inline="always")
def _pairwise_block(a, lo, n):
    """numpy's ``pairwise_sum`` of ``a[lo : lo + n]`` for ``n <= _PAIRWISE_BLOCK``."""
    if n < _PAIRWISE_UNROLL:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    m = n - n % 8
    while i < m:
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, error_model="numpy")
def _pairwise_split(a, lo, n):
    """numpy's ``pairwise_sum``: halves (multiples of 8) down to blocks."""
    if n <= _PAIRWISE_BLOCK:
        return _pairwise_block(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_split(a, lo, n2) + _pairwise_split(a, lo + n2, n - n2)


@njit(cache=True, error_model="numpy", inline="always")
def _pairwise(a, lo, n):
    """numpy's ``pairwise_sum`` of ``a[lo : lo + n]`` (no call for the usual short sums)."""
    if n <= _PAIRWISE_BLOCK:
        return _pairwise_block(a, lo, n)
    return _pairwise_split(a, lo, n)


@njit(cache=True, error_model="numpy", inline="always")
def _segment_sum(a, b, e):
    """``np.add.reduceat``'s sum of ``a[b:e]`` (``e > b``)."""
    return a[b] + _pairwise(a, b + 1, e - b - 1)


@njit(cache=True, error_model="numpy", inline="always")
def _charge(level, other, cap, head, has_head):
    """``_fill.charge_at_level`` of one element."""
    x = level - other
    if has_head and x > head:
        x = head + (x - head) / (1.0 + LIMIT_PENALTY)
    x = max(x, 0.0)
    return min(x, cap)


@njit(cache=True, error_model="numpy", inline="always")
def _discharge(s_level, other, dcap):
    """Discharge of one element below the discharge level ``s_level`` (``_fill.v2g_fill``)."""
    return min(max(other - s_level, 0.0), dcap)


@njit(cache=True, error_model="numpy", inline="always")
def _inverse_discharge_level(s, ratio):
    return s / ratio if s >= 0 else s / (2.0 - ratio)


@njit(cache=True, error_model="numpy")
def _energy(level, b, e, other, cap, head, has_head, dcap, v2g, ratio, eta_c, eta_d, c_buf, q_buf):
    """Energy of one session at ``level`` (valley: grid side; V2G: battery side) [kW x steps];
    leaves the charging (and discharging) power of its elements in ``c_buf`` (``q_buf``)."""
    for j in range(b, e):
        c_buf[j] = _charge(level, other[j], cap[j], head[j], has_head)
    if not v2g:
        return _segment_sum(c_buf, b, e)
    s_level = level + abs(level) * (ratio - 1.0)
    for j in range(b, e):
        q_buf[j] = _discharge(s_level, other[j], dcap[j])
    return eta_c * _segment_sum(c_buf, b, e) - _segment_sum(q_buf, b, e) / eta_d


@njit(cache=True, error_model="numpy", inline="always")
def _breakpoint(t, j, other, cap, head, has_head, dcap, ratio, eta_d, charge_scale):
    """Position [kW] and slope change of breakpoint type ``t`` of element ``j``, as
    ``_fill._charge_breakpoints`` (types 0-1, or 0-2 with a head) and then
    ``_fill._discharge_breakpoints`` (the next three) list them."""
    o, cp = other[j], cap[j]
    n_charge = 3 if has_head else 2
    if t < n_charge:
        if not has_head:
            if t == 0:
                return o, charge_scale * 1.0
            return o + cp, charge_scale * -1.0
        hd = head[j]
        positive = hd > 0
        h = min(hd, cp)
        if t == 0:
            if positive:
                return o, charge_scale * 1.0
            return o - hd * LIMIT_PENALTY, charge_scale * _SOFT
        if t == 1:
            return o + max(h, 0.0), charge_scale * ((_SOFT - 1.0) if positive else 0.0)
        if positive:
            return o + h + (cp - h) / _SOFT, charge_scale * -_SOFT
        return o + hd + (cp - hd) / _SOFT, charge_scale * -_SOFT
    begin = _inverse_discharge_level(o - dcap[j], ratio)
    end = _inverse_discharge_level(o, ratio)
    t -= n_charge
    if t == 0:
        return begin, (ratio if begin >= 0 else 2.0 - ratio) / eta_d
    if t == 1:
        return end, -(ratio if (end > 0) or (begin >= 0) else 2.0 - ratio) / eta_d
    if begin < 0 and end > 0:
        return 0.0, (2.0 * ratio - 2.0) / eta_d
    return 0.0, 0.0


@njit(cache=True, error_model="numpy")
def _stable_sort(key, a, b, m):
    """Sort ``key[:m]`` ascending in place, equal keys in their order (as a stable argsort),
    and ``a``, ``b`` with it: insertion sort, as the few breakpoints left are nearly sorted."""
    if m > _INSERTION_SORT_MAX:
        order = np.argsort(key[:m], kind="mergesort")
        key[:m], a[:m], b[:m] = key[:m][order], a[:m][order], b[:m][order]
        return
    for i in range(1, m):
        k, x, y = key[i], a[i], b[i]
        j = i
        while j > 0 and key[j - 1] > k:
            key[j], a[j], b[j] = key[j - 1], a[j - 1], b[j - 1]
            j -= 1
        key[j], a[j], b[j] = k, x, y


@njit(cache=True, error_model="numpy")
def _levels(
    other, cap, head, has_head, dcap, v2g, n_types, ratio, eta_c, eta_d, starts, lo, hi, need, bis
):
    """``_fill.solve_level_exact`` of every session (``lo``, ``hi`` are overwritten)."""
    n_seg = len(starts)
    n = len(other)
    c_buf = np.empty(n)
    q_buf = np.empty(n)
    e_lo = np.empty(n_seg)
    charge_scale = eta_c if v2g else 1.0
    for s in range(n_seg):
        b = starts[s]
        e = starts[s + 1] if s + 1 < n_seg else n
        el = _energy(
            lo[s], b, e, other, cap, head, has_head, dcap, v2g, ratio, eta_c, eta_d, c_buf, q_buf
        )
        for _ in range(bis):
            mid = 0.5 * (lo[s] + hi[s])
            e_mid = _energy(
                mid, b, e, other, cap, head, has_head, dcap, v2g, ratio, eta_c, eta_d, c_buf, q_buf
            )
            if e_mid < need[s]:
                lo[s] = mid
                el = e_mid
            else:
                hi[s] = mid
        e_lo[s] = el
    # the exact solve: the breakpoints strictly inside each bracket, sorted per session by
    # the keys ``_fill.solve_piecewise_level`` sorts all of them by
    low = lo.min() if n_seg else 0.0
    span = (hi.max() - low) + 1.0 if n_seg else 1.0
    level = np.empty(n_seg)
    longest = 0
    for s in range(n_seg):
        longest = max(longest, (starts[s + 1] if s + 1 < n_seg else n) - starts[s])
    size = n_types * longest + 2
    pos_s = np.empty(size)  # scratch: the session's breakpoints in the bracket
    slope_s = np.empty(size)
    key = np.empty(size)
    slope = np.empty(size)
    rise = np.empty(size)
    run_slope = 0.0  # the running sums over all sessions of the call
    run_rise = 0.0
    for s in range(n_seg):
        b = starts[s]
        e = starts[s + 1] if s + 1 < n_seg else n
        slope_lo = 0.0
        m = 1
        for t in range(n_types):
            for j in range(b, e):
                pos, d = _breakpoint(
                    t, j, other, cap, head, has_head, dcap, ratio, eta_d, charge_scale
                )
                if pos <= lo[s]:
                    slope_lo += d
                elif pos < hi[s]:
                    pos_s[m] = pos
                    slope_s[m] = d
                    m += 1
        pos_s[0], slope_s[0] = lo[s], slope_lo
        pos_s[m], slope_s[m] = hi[s], 0.0
        m += 1
        for i in range(m):
            key[i] = (pos_s[i] - low) + s * span
        _stable_sort(key, pos_s, slope_s, m)
        # slope just above each breakpoint and energy at each (segment_cumsum's arithmetic)
        run_slope += slope_s[0]
        off_slope = run_slope - slope_s[0]
        slope[0] = run_slope - off_slope
        for i in range(1, m):
            run_slope += slope_s[i]
            slope[i] = run_slope - off_slope
        for i in range(m):
            rise[i] = slope[i] * ((pos_s[i + 1] - pos_s[i]) if i < m - 1 else 0.0)
        run_rise += rise[0]
        off_rise = run_rise - rise[0]
        first = -1
        e_prev = 0.0
        e_first_prev = 0.0
        for i in range(m):
            if i > 0:
                run_rise += rise[i]
            energy_at = (e_lo[s] + (run_rise - off_rise)) - rise[i]
            if first < 0 and energy_at >= need[s]:
                first = i
                e_first_prev = e_prev
            e_prev = energy_at
        if first < 0:
            level[s] = pos_s[m - 1]
        elif first == 0:
            level[s] = pos_s[0]
        else:
            k = first - 1
            extra = (need[s] - e_first_prev) / slope[k] if slope[k] > 0 else 0.0
            level[s] = pos_s[k] + min(max(extra, 0.0), pos_s[k + 1] - pos_s[k])
    return level, c_buf, q_buf


@njit(cache=True, error_model="numpy")
def _bracket(other, cap, head, has_head, starts, v2g):
    """Lowest and highest level of each session (``_fill.valley_fill`` / ``v2g_fill``)."""
    n_seg, n = len(starts), len(other)
    lo = np.empty(n_seg)
    hi = np.empty(n_seg)
    for s in range(n_seg):
        b = starts[s]
        e = starts[s + 1] if s + 1 < n_seg else n
        low, top = other[b], -np.inf
        for j in range(b, e):
            low = min(low, other[j])
            cp = cap[j]
            if has_head:
                top_j = other[j] + max(cp, head[j] + (1.0 + LIMIT_PENALTY) * (cp - head[j]))
            else:
                top_j = other[j] + cp
            top = max(top, top_j)
        if v2g:
            low = low - 1.0
            low = low - abs(low)
        lo[s], hi[s] = low, top
    return lo, hi


def valley_fill(
    other: np.ndarray,
    cap: np.ndarray,
    need: np.ndarray,
    starts: np.ndarray,
    seg: np.ndarray,
    head: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`gridv2x.charging._fill.valley_fill`, compiled (same arguments, same result).

    With ``REFERENCE`` set, the numpy code itself runs (benchmarks and tests).
    """
    if REFERENCE or len(starts) == 0:
        return _fill.valley_fill(other, cap, need, starts, seg, head)
    return _valley_fill(
        np.ascontiguousarray(other, dtype=float),
        np.ascontiguousarray(cap, dtype=float),
        np.ascontiguousarray(need, dtype=float),
        np.ascontiguousarray(starts, dtype=np.int64),
        np.ascontiguousarray(cap if head is None else head, dtype=float),
        head is not None,
        _fill.EXACT_BISECTIONS,
    )


def v2g_fill(
    other: np.ndarray,
    cap: np.ndarray,
    dcap: np.ndarray,
    need_batt: np.ndarray,
    starts: np.ndarray,
    seg: np.ndarray,
    eta_c: float,
    eta_d: float,
    head: np.ndarray | None = None,
    ratio: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gridv2x.charging._fill.v2g_fill`, compiled (same arguments, same result).

    With ``REFERENCE`` set, or a round-trip efficiency below 50 % (``ratio >= 2``: bisection
    only, rare), the numpy code itself runs.
    """
    if ratio is None:
        ratio = _fill.level_ratio(eta_c * eta_d)
    if REFERENCE or len(starts) == 0 or ratio >= 2.0:
        return _fill.v2g_fill(other, cap, dcap, need_batt, starts, seg, eta_c, eta_d, head, ratio)
    return _v2g_fill(
        np.ascontiguousarray(other, dtype=float),
        np.ascontiguousarray(cap, dtype=float),
        np.ascontiguousarray(dcap, dtype=float),
        np.ascontiguousarray(need_batt, dtype=float),
        np.ascontiguousarray(starts, dtype=np.int64),
        float(eta_c),
        float(eta_d),
        np.ascontiguousarray(cap if head is None else head, dtype=float),
        head is not None,
        float(ratio),
        _fill.EXACT_BISECTIONS,
    )


@njit(cache=True, error_model="numpy")
def _valley_fill(other, cap, need, starts, head, has_head, bisections):
    """Compiled :func:`gridv2x.charging._fill.valley_fill` (``head`` ignored without
    ``has_head``); returns the charging power per element [kW]."""
    n_seg, n = len(starts), len(other)
    lo, hi = _bracket(other, cap, head, has_head, starts, False)
    level, p, _ = _levels(
        other, cap, head, has_head, cap, False, 3 if has_head else 2, 1.0, 1.0, 1.0,
        starts, lo, hi, need, bisections,
    )  # fmt: skip
    for s in range(n_seg):
        b = starts[s]
        e = starts[s + 1] if s + 1 < n_seg else n
        for j in range(b, e):
            p[j] = _charge(level[s], other[j], cap[j], head[j], has_head)
        got = _segment_sum(p, b, e)
        scale = min(need[s] / got if got > 0 else 0.0, 1.0)
        full = need[s] >= _segment_sum(cap, b, e)
        for j in range(b, e):
            p[j] = cap[j] if full else p[j] * scale
    return p


@njit(cache=True, error_model="numpy")
def _v2g_fill(other, cap, dcap, need_batt, starts, eta_c, eta_d, head, has_head, ratio, bisections):
    """Compiled :func:`gridv2x.charging._fill.v2g_fill` for ``ratio < 2`` (``head`` ignored
    without ``has_head``); returns the charging and discharging power per element [kW]."""
    n_seg, n = len(starts), len(other)
    lo, hi = _bracket(other, cap, head, has_head, starts, True)
    n_types = (3 if has_head else 2) + (3 if (dcap != 0).any() else 0)
    level, _, _ = _levels(
        other, cap, head, has_head, dcap, True, n_types, ratio, eta_c, eta_d,
        starts, lo, hi, need_batt, bisections,
    )  # fmt: skip
    c = np.empty(n)
    q = np.empty(n)
    for s in range(n_seg):
        b = starts[s]
        e = starts[s + 1] if s + 1 < n_seg else n
        _energy(level[s], b, e, other, cap, head, has_head, dcap, True, ratio, eta_c, eta_d, c, q)
        charged = eta_c * _segment_sum(c, b, e)
        wanted = need_batt[s] + _segment_sum(q, b, e) / eta_d
        scale = min(max(wanted / charged if charged > 0 else 0.0, 0.0), 1.0)
        full = need_batt[s] >= eta_c * _segment_sum(cap, b, e)
        for j in range(b, e):
            if full:
                c[j] = cap[j]
                q[j] = 0.0
            else:
                c[j] = c[j] * scale
    return c, q


def uncontrolled_fill(cap: np.ndarray, need: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """:func:`gridv2x.charging._fill.uncontrolled_fill`, compiled (same result).

    Parameters
    ----------
    cap : ndarray
        Charger limit per element [kW].
    need : ndarray
        Energy per segment [kW x steps].
    starts : ndarray of int
        Segment starts.
    """
    if REFERENCE or len(starts) == 0:
        seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(cap)]))
        return _fill.uncontrolled_fill(cap, need, starts, seg)
    return _uncontrolled_fill(
        np.ascontiguousarray(cap, dtype=float),
        np.ascontiguousarray(need, dtype=float),
        np.ascontiguousarray(starts, dtype=np.int64),
    )


@njit(cache=True, error_model="numpy")
def _uncontrolled_fill(cap, need, starts):
    n, n_seg = len(cap), len(starts)
    p = np.empty(n)
    run = 0.0  # the running sum over all segments (``_fill.segment_cumsum``'s arithmetic)
    for s in range(n_seg):
        b = starts[s]
        e = starts[s + 1] if s + 1 < n_seg else n
        off = 0.0
        for j in range(b, e):
            run += cap[j]
            if j == b:
                off = run - cap[j]
            before = (run - off) - cap[j]
            p[j] = min(max(need[s] - before, 0.0), cap[j])
    return p


def net_energy(p: np.ndarray, starts: np.ndarray, eta_c: float, eta_d: float, dt_h: float):
    """Net battery-side energy per segment, ``sum((eta_c p+ - p- / eta_d) dt)`` [kWh], as
    ``segment_sum`` of those values (``windows._restored_kwh``), compiled.

    Parameters
    ----------
    p : ndarray
        Grid-side power per element [kW] (+ charging, - discharging).
    starts : ndarray of int
        Segment starts.
    eta_c, eta_d : float
        Charging and discharging efficiency [-].
    dt_h : float
        Step length [h].
    """
    if REFERENCE or len(starts) == 0:
        delta = (eta_c * np.maximum(p, 0.0) - np.maximum(-p, 0.0) / eta_d) * dt_h
        return _fill.segment_sum(delta, starts)
    return _net_energy(
        np.ascontiguousarray(p, dtype=float),
        np.ascontiguousarray(starts, dtype=np.int64),
        float(eta_c),
        float(eta_d),
        float(dt_h),
    )


@njit(cache=True, error_model="numpy")
def _net_energy(p, starts, eta_c, eta_d, dt_h):
    n, n_seg = len(p), len(starts)
    out = np.empty(n_seg)
    longest = 0
    for s in range(n_seg):
        longest = max(longest, (starts[s + 1] if s + 1 < n_seg else n) - starts[s])
    delta = np.empty(longest)
    for s in range(n_seg):
        b = starts[s]
        e = starts[s + 1] if s + 1 < n_seg else n
        for j in range(b, e):
            delta[j - b] = (eta_c * max(p[j], 0.0) - max(-p[j], 0.0) / eta_d) * dt_h
        out[s] = _segment_sum(delta, 0, e - b)
    return out
