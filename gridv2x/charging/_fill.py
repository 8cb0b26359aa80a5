"""Vectorised water-filling on ragged segments (one segment = one plug-in session).

Every function here works on *flat* arrays holding the time steps of many sessions one after
the other; ``starts`` are the first positions of each segment and ``seg`` maps each element to
its segment. Power is grid-side average power over the step [kW]; energies are expressed in
``kW x steps`` so that the step length does not enter the inner loops.
"""

from __future__ import annotations

import numpy as np

_MAX_ITER = 60
EXACT_BISECTIONS = 10
"""Bisection steps before the exact piecewise-linear solve (:func:`solve_level_exact`) [-]."""


def segment_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum of ``values`` per contiguous segment starting at ``starts``."""
    if len(starts) == 0:
        return np.zeros(0)
    return np.add.reduceat(values, starts)


def segment_cumsum(values: np.ndarray, starts: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at every segment start (inclusive)."""
    if len(values) == 0:
        return values.copy()
    cs = np.cumsum(values)
    offset = cs[starts] - values[starts]
    return cs - offset[seg]


def uncontrolled_fill(cap: np.ndarray, need: np.ndarray, starts, seg) -> np.ndarray:
    """Charge at full power from the first step until ``need`` [kW x steps] is reached."""
    before = segment_cumsum(cap, starts, seg) - cap
    return np.minimum(np.maximum(need[seg] - before, 0.0), cap)


LIMIT_PENALTY = 1e3
"""Slope of the soft limit: above the headroom each kW counts as ``1 + LIMIT_PENALTY`` kW."""


def charge_at_level(level, other, cap, head=None):
    """Charging power at a water level: ``clip(L - other, 0, cap)``, or with a soft limit.

    With ``head`` (room below a load limit [kW]) the marginal effective load of charging is
    ``other + p`` up to ``head`` and rises ``1 + LIMIT_PENALTY`` times faster above it, i.e.
    the filling minimises ``sum(other p + p**2 / 2 + LIMIT_PENALTY (p - head)+**2 / 2)``: it
    stays within the limit whenever the energy fits below it and otherwise spreads the excess.
    """
    x = level - other
    if head is not None:
        x = np.where(x > head, head + (x - head) / (1.0 + LIMIT_PENALTY), x)
    return np.minimum(np.maximum(x, 0.0), cap)


def _top_level(other, cap, head):
    if head is None:
        return other + cap
    return other + np.maximum(cap, head + (1.0 + LIMIT_PENALTY) * (cap - head))


def _solve_level(energy_of, lo, hi, need):
    """Lowest level per segment whose energy reaches ``need`` (monotone in the level).

    Bisection on ``[lo, hi]`` (``energy_of(lo) <= need <= energy_of(hi)``) until the bracket
    is narrower than ``1e-10 (1 + |hi|)``; returns the upper end, whose energy is >= ``need``.
    (Regula falsi stalls here: after a few passes many steps share the same load level, so
    the energy has a sharp kink right at the solution.)
    """
    tol = 1e-8 * (1.0 + np.abs(hi))
    for _ in range(_MAX_ITER):
        if np.all(hi - lo <= tol):
            break
        mid = 0.5 * (lo + hi)
        short = energy_of(mid) < need
        lo = np.where(short, mid, lo)
        hi = np.where(short, hi, mid)
    return hi


def solve_piecewise_level(position, slope_change, seg, n_seg, base, need):
    """Exact level per segment of a sum of monotone piecewise-linear functions.

    The energy of a segment at a level ``L`` is ``base + sum(slope_change x (L - position))``
    over the breakpoints of that segment with ``position < L``; it is non-decreasing in ``L``.
    One sort of the breakpoints per segment and one pass of cumulative sums give the energy at
    every breakpoint; the level is then interpolated linearly inside the interval where the
    energy crosses ``need``; exact up to rounding. :func:`solve_level_exact` calls it on the
    few breakpoints left after some bisection steps (sorting them all costs more).

    Parameters
    ----------
    position : ndarray
        Level of each breakpoint [kW].
    slope_change : ndarray
        Change of the energy's slope at each breakpoint [kW x steps per kW].
    seg : ndarray of int
        Segment of each breakpoint (any order).
    n_seg : int
        Number of segments.
    base : ndarray
        Energy of each segment below its lowest breakpoint [kW x steps].
    need : ndarray
        Energy to reach per segment [kW x steps].

    Returns
    -------
    level : ndarray
        The lowest level whose energy reaches ``need``; the lowest breakpoint where ``need <=
        base`` and the highest breakpoint where ``need`` exceeds the segment's maximum energy.
    """
    if n_seg == 0:
        return np.zeros(0)
    low, high = position.min(), position.max()
    span = (high - low) + 1.0
    order = np.argsort((position - low) + seg * span, kind="stable")
    pos = position[order]
    dslope = slope_change[order]
    sseg = seg[order]
    starts = np.searchsorted(sseg, np.arange(n_seg))
    slope = segment_cumsum(dslope, starts, sseg)  # slope just above each breakpoint
    gap = np.diff(pos, append=pos[-1])
    last = np.r_[starts[1:] - 1, len(pos) - 1]
    gap[last] = 0.0
    rise = slope * gap  # energy gained from one breakpoint to the next
    energy_at = base[sseg] + segment_cumsum(rise, starts, sseg) - rise  # at each breakpoint
    reached = energy_at >= need[sseg]
    first = np.minimum.reduceat(np.where(reached, np.arange(len(pos)), len(pos)), starts)
    level = pos[last].copy()  # never reached: the top
    found = first < len(pos)
    at_start = found & (first == starts)
    level[at_start] = pos[starts[at_start]]
    inner = found & ~at_start
    k = first[inner] - 1
    step_slope = slope[k]
    extra = np.divide(
        need[inner] - energy_at[k], step_slope, out=np.zeros(len(k)), where=step_slope > 0
    )
    level[inner] = pos[k] + np.clip(extra, 0.0, pos[k + 1] - pos[k])
    return level


def solve_level_exact(
    energy_of, position, slope_change, bp_seg, lo, hi, need, bisections=EXACT_BISECTIONS
):
    """Exact level per segment: a few bisection steps, then :func:`solve_piecewise_level`.

    The bisection narrows ``[lo, hi]`` (``energy_of(lo) <= need <= energy_of(hi)``) so that
    only few breakpoints lie inside; the energy at ``lo`` and the slope just above it (the
    slope changes of the breakpoints at or below ``lo``) then start the exact piecewise-linear
    solve on those few. Sorting every breakpoint costs more than the bisection steps it saves.

    Parameters
    ----------
    energy_of : callable
        ``level -> energy`` per segment [kW x steps], non-decreasing.
    position, slope_change, bp_seg : ndarray
        All breakpoints of the energy (see :func:`solve_piecewise_level`).
    lo, hi, need : ndarray
        Bracket and target per segment.
    bisections : int
        Bisection steps before the exact solve.
    """
    n_seg = len(need)
    e_lo = energy_of(lo)
    for _ in range(bisections):
        mid = 0.5 * (lo + hi)
        e_mid = energy_of(mid)
        short = e_mid < need
        lo = np.where(short, mid, lo)
        e_lo = np.where(short, e_mid, e_lo)
        hi = np.where(short, hi, mid)
    lo_bp, hi_bp = lo[bp_seg], hi[bp_seg]
    below = position <= lo_bp
    inside = (position > lo_bp) & (position < hi_bp)
    slope_lo = np.bincount(bp_seg[below], weights=slope_change[below], minlength=n_seg)
    segments = np.arange(n_seg)
    return solve_piecewise_level(
        np.concatenate([lo, position[inside], hi]),
        np.concatenate([slope_lo, slope_change[inside], np.zeros(n_seg)]),
        np.concatenate([segments, bp_seg[inside], segments]),
        n_seg,
        e_lo,
        need,
    )


def _charge_breakpoints(other, cap, head):
    """Breakpoints of ``sum(charge_at_level(L, other, cap, head))`` in ``L`` (three per element).

    Without a head: slope 1 from ``other`` to ``other + cap``. With a head ``h``: slope 1 from
    ``other`` to ``other + min(h, cap)`` and ``1 / (1 + LIMIT_PENALTY)`` above it, up to the
    charger limit; for ``h <= 0`` the slow slope starts at ``other - h LIMIT_PENALTY``.
    """
    if head is None:
        return (other, other + cap), (np.ones_like(other), -np.ones_like(other))
    soft = 1.0 / (1.0 + LIMIT_PENALTY)
    positive = head > 0
    h = np.minimum(head, cap)
    start = np.where(positive, other, other - head * LIMIT_PENALTY)
    knee = other + np.maximum(h, 0.0)
    top = np.where(positive, other + h + (cap - h) / soft, other + head + (cap - head) / soft)
    d_start = np.where(positive, 1.0, soft)
    d_knee = np.where(positive, soft - 1.0, 0.0)
    return (start, knee, top), (d_start, d_knee, np.full_like(other, -soft))


def valley_fill(
    other: np.ndarray,
    cap: np.ndarray,
    need: np.ndarray,
    starts: np.ndarray,
    seg: np.ndarray,
    head: np.ndarray | None = None,
) -> np.ndarray:
    """Minimise ``sum((other + p)**2)`` per segment s.t. ``sum(p) = need``, ``0 <= p <= cap``.

    The solution is ``p = clip(L - other, 0, cap)`` with one water level ``L`` per segment
    (valley filling), found by bisection and interpolation. The returned ``p`` uses the upper bound,
    scaled down to hit ``need`` exactly, so it never exceeds ``cap`` and the load it creates
    never exceeds the lowest feasible level by more than the solver tolerance. Segments whose
    ``need`` is at least their capacity get full power in every step.

    Parameters
    ----------
    other : ndarray
        Load of everything else in each step (or an effective load, e.g. a price signal) [kW].
    cap : ndarray
        Maximum charging power in each step [kW].
    need : ndarray
        Energy to deliver per segment [kW x steps].
    starts, seg : ndarray
        Segment starts and the segment of each element.
    head : ndarray, optional
        Room below a load limit in each step [kW] (soft limit, see :func:`charge_at_level`).

    References
    ----------
    L. Gan, U. Topcu, S. H. Low, "Optimal decentralized protocol for electric vehicle charging",
    IEEE Trans. Power Systems 28(2), 940-951, 2013 (valley filling).
    """
    if len(starts) == 0:
        return np.zeros(0)
    capacity = segment_sum(cap, starts)
    positions, slopes = _charge_breakpoints(other, cap, head)
    level = solve_level_exact(
        lambda level: segment_sum(charge_at_level(level[seg], other, cap, head), starts),
        np.concatenate(positions),
        np.concatenate(slopes),
        np.tile(seg, len(positions)),
        np.minimum.reduceat(other, starts),
        np.maximum.reduceat(_top_level(other, cap, head), starts),
        need,
    )
    p = charge_at_level(level[seg], other, cap, head)
    got = segment_sum(p, starts)
    scale = np.divide(need, got, out=np.zeros_like(got), where=got > 0)
    p *= np.minimum(scale, 1.0)[seg]
    full = need >= capacity
    p[full[seg]] = cap[full[seg]]
    return p


def level_ratio(round_trip_efficiency: float, exponent: float = 2.0) -> float:
    """Ratio of discharge to charging level, ``S / L = eta_rt ** (-1 / (m - 1))``.

    The optimality conditions of ``min sum(load**m)`` with charge and discharge efficiencies
    (``eta_rt = eta_c eta_d``) give one level ``L`` where the EV charges and one level ``S``
    where it discharges, ``S**(m-1) = L**(m-1) / eta_rt``. ``m = 2`` (sum of squares; for an
    effective load made of prices this is the break-even of arbitrage, ``S = L / eta_rt``);
    larger ``m`` approaches the minimum peak and narrows the gap.
    """
    return float(round_trip_efficiency ** (-1.0 / (exponent - 1.0)))


def discharge_level(level: np.ndarray, ratio: float) -> np.ndarray:
    """Level above which V2G discharges: ``S = ratio x L`` for ``L > 0``; for ``L <= 0`` the
    same gap ``|L| (ratio - 1)`` above ``L``, so that ``S >= L`` always (:func:`level_ratio`)."""
    return level + np.abs(level) * (ratio - 1.0)


def _inverse_discharge_level(s: np.ndarray, ratio: float) -> np.ndarray:
    """Charging level ``L`` whose discharge level :func:`discharge_level` is ``s`` (ratio < 2)."""
    return np.where(s >= 0, s / ratio, s / (2.0 - ratio))


def _discharge_breakpoints(other, dcap, ratio, eta_d):
    """Breakpoints in ``L`` of ``-sum(q) / eta_d`` with ``q = clip(other - S(L), 0, dcap)``.

    ``q`` falls from ``dcap`` to 0 while ``S(L)`` rises from ``other - dcap`` to ``other``;
    ``S`` has slope ``2 - ratio`` below ``L = 0`` and ``ratio`` above, hence a third
    breakpoint at ``L = 0`` where the interval straddles it.
    """
    begin = _inverse_discharge_level(other - dcap, ratio)
    end = _inverse_discharge_level(other, ratio)
    d_begin = np.where(begin >= 0, ratio, 2.0 - ratio) / eta_d
    d_end = -np.where((end > 0) | (begin >= 0), ratio, 2.0 - ratio) / eta_d
    straddle = (begin < 0) & (end > 0)
    d_zero = np.where(straddle, (2.0 * ratio - 2.0) / eta_d, 0.0)
    return (begin, end, np.zeros_like(other)), (d_begin, d_end, d_zero)


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
    """Two-level water filling with discharge (ignoring the state-of-charge path).

    Charging ``c = clip(L - other, 0, cap)`` below the level ``L`` and discharging
    ``q = clip(other - S(L), 0, dcap)`` above ``S(L) = ratio x L`` (default ``ratio =
    1 / (eta_c eta_d)``, :func:`level_ratio`), with ``L`` per
    segment such that the battery-side energy ``eta_c sum(c) - sum(q) / eta_d`` equals
    ``need_batt`` [kW x steps]. The caller checks the state-of-charge path.

    Returns
    -------
    charge, discharge : ndarray
        Grid-side charging and discharging power per element [kW], both >= 0.
    """
    if len(starts) == 0:
        return np.zeros(0), np.zeros(0)
    if ratio is None:
        ratio = level_ratio(eta_c * eta_d)
    capacity = eta_c * segment_sum(cap, starts)

    def energy(level):
        c = charge_at_level(level[seg], other, cap, head)
        q = np.minimum(np.maximum(other - discharge_level(level, ratio)[seg], 0.0), dcap)
        return c, q, eta_c * segment_sum(c, starts) - segment_sum(q, starts) / eta_d

    lo = np.minimum.reduceat(other, starts) - 1.0
    lo = lo - np.abs(lo)  # far enough below that nothing charges and S(lo) <= min(other)
    hi = np.maximum.reduceat(_top_level(other, cap, head), starts)
    if ratio < 2.0:  # S(L) increasing: exact solve
        positions, slopes = _charge_breakpoints(other, cap, head)
        d_pos, d_slopes = (), ()
        if dcap.any():  # otherwise plain valley filling (opted out, or discharge factor 0)
            d_pos, d_slopes = _discharge_breakpoints(other, dcap, ratio, eta_d)
        level = solve_level_exact(
            lambda level: energy(level)[2],
            np.concatenate([*positions, *d_pos]),
            np.concatenate([eta_c * s for s in slopes] + list(d_slopes)),
            np.tile(seg, len(positions) + len(d_pos)),
            lo,
            hi,
            need_batt,
        )
    else:  # round-trip efficiency below 50 %: S(L) is not monotone for L < 0; bisection
        level = _solve_level(lambda level: energy(level)[2], lo, hi, need_batt)
    c, q, _ = energy(level)
    charged = eta_c * segment_sum(c, starts)
    wanted = need_batt + segment_sum(q, starts) / eta_d
    scale = np.divide(wanted, charged, out=np.zeros_like(charged), where=charged > 0)
    c = c * np.clip(scale, 0.0, 1.0)[seg]
    full = need_batt >= capacity
    c[full[seg]] = cap[full[seg]]
    q[full[seg]] = 0.0
    return c, q
