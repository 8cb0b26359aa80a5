"""Compiled kernels of the radial load flow (:mod:`gridv2x.powerflow.radial`).

One step at a time, each step warm-started from the previous one's solution, every iteration a
pass over the tree: the current injections of the loads at the present voltages, then the
tree-ordered elimination of the admittance matrix (leaves to root) and the substitution back
(root to leaves). For a tree in this order the LU factors of the admittance matrix have no
fill-in, so the solve is the backward/forward sweep in matrix form: one multiply-add per branch
and direction.

Memory layout: the nodes are renumbered in elimination order (position 0 a leaf, the slack
last), so every pass runs through contiguous arrays; each position's parent is a later
position, and a root points at a spare position ``n`` whose voltage stays 0. The slack's fixed
voltage enters the forward pass of its children like any parent's (their multiplier towards
it is 0), so the passes have no branches. Each step's injections are assembled from the
element powers, solved, and its results (bus voltages, branch currents and powers) written
straight into the result tables while the step's voltages are in L1 cache: no per-step Python
and no intermediate (steps x nodes) arrays. Everything lives in a few kB, so numba keeps it in
registers and L1 cache; numpy over (steps x branches) arrays would read and write every
intermediate once per operation (measured: numba is 10-30x faster here, see
bench/bench_powerflow.py).

The iteration is the fixed point ``V = Y^-1 I(V)`` (the "implicit Z-bus Gauss" or current
injection method, as power-grid-model's ``iterative_current`` and pandapower's zero- and
negative-sequence solves in ``runpp_3ph``). It converges linearly with a rate of about the
feeder's relative voltage drop.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MIN_VOLTAGE_PU = 0.2
"""A step whose voltage falls below this anywhere is declared diverged [pu]."""

_A = np.exp(2j * np.pi / 3)
_A2 = _A * _A


@njit(cache=True, error_model="numpy", inline="always")
def _solve_tree(b, v, n_free, par, ipiv, ykp, lpk):
    """Solve ``Y v = b`` in place for the free positions ``0 .. n_free - 1`` of one network.

    ``b`` (n + 1) is overwritten; ``v`` (n + 1) holds the held slack's voltage (position
    ``n - 1`` when ``n_free = n - 1``) and 0 at the spare position ``n``, and receives the free
    ones. Returns the largest squared change of a free voltage [pu^2] (NaN if any is NaN).
    """
    for i in range(n_free):
        b[par[i]] -= lpk[i] * b[i]
    dv2 = 0.0
    for i in range(n_free - 1, -1, -1):
        x = (b[i] - ykp[i] * v[par[i]]) * ipiv[i]
        d = x - v[i]
        d2 = d.real * d.real + d.imag * d.imag
        if not d2 <= dv2:  # also catches NaN
            dv2 = d2
        v[i] = x
    return dv2


@njit(cache=True, error_model="numpy", inline="always")
def _abs2(x):
    """Squared magnitude of a complex number."""
    return x.real * x.real + x.imag * x.imag


@njit(cache=True, error_model="numpy", inline="always")
def _mag(x):
    """Magnitude of a complex number (a square root; numba's ``abs`` calls ``hypot``)."""
    return np.sqrt(x.real * x.real + x.imag * x.imag)


@njit(cache=True, error_model="numpy", inline="always")
def _current(s, v):
    """Load current ``conj(s / v)`` without a complex division [pu]."""
    inv = 1.0 / (v.real * v.real + v.imag * v.imag)
    return complex(
        (s.real * v.real + s.imag * v.imag) * inv, (s.real * v.imag - s.imag * v.real) * inv
    )


@njit(cache=True, error_model="numpy", inline="always")
def _iterate_balanced(spq, si, sz, has_zip, v, b, n, n_free, par, ipiv, ykp, lpk, tol2, max_it):
    """Fixed-point iterations of one balanced step; returns (converged, iterations)."""
    it = 0
    while it < max_it:
        it += 1
        if has_zip:
            for k in range(n):
                m = _mag(v[k])
                b[k] = _current(spq[k] + si[k] * m + sz[k] * m * m, v[k])
        else:
            for k in range(n):
                b[k] = _current(spq[k], v[k])
        dv2 = _solve_tree(b, v, n_free, par, ipiv, ykp, lpk)
        if not np.isfinite(dv2):
            return False, it
        if dv2 < tol2:
            low2 = MIN_VOLTAGE_PU * MIN_VOLTAGE_PU
            for k in range(n):
                if v[k].real * v[k].real + v[k].imag * v[k].imag < low2:
                    return False, it
            return True, it
    return False, it


@njit(cache=True, error_model="numpy", inline="always")
def _solve_trees3(b, v, n_free, par, ipiv, ykp, lpk):
    """:func:`_solve_tree` for the three sequence networks at once, sequence innermost.

    ``b``, ``v``, ``ipiv``, ``ykp``, ``lpk`` are (n + 1, 3): the three sequences of a position
    side by side, so each pass reads contiguous memory and has three independent chains.
    Only the root (position ``n - 1``) can be held, per sequence (``n_free[s] = n - 1``).
    """
    n = par.shape[0]
    for i in range(n - 1):
        p = par[i]
        for s in range(3):
            b[p, s] -= lpk[i, s] * b[i, s]
    dv2 = 0.0
    r = n - 1
    for s in range(3):
        if n_free[s] == n:
            x = b[r, s] * ipiv[r, s]
            d = x - v[r, s]
            d2 = d.real * d.real + d.imag * d.imag
            if not d2 <= dv2:
                dv2 = d2
            v[r, s] = x
    for i in range(n - 2, -1, -1):
        p = par[i]
        for s in range(3):
            x = (b[i, s] - ykp[i, s] * v[p, s]) * ipiv[i, s]
            d = x - v[i, s]
            d2 = d.real * d.real + d.imag * d.imag
            if not d2 <= dv2:  # also catches NaN
                dv2 = d2
            v[i, s] = x
    return dv2


@njit(cache=True, error_model="numpy", inline="always")
def _iterate_sequences(s3, v, b, n, n_free, par, ipiv, ykp, lpk, tol2, max_it):
    """Fixed-point iterations of one per-phase step; returns (converged, iterations).

    ``s3`` (n, 3) injection per phase [pu]; ``v``, ``b`` (n + 1, 3) zero, positive, negative
    sequence; ``n_free`` (3,), ``ipiv``, ``ykp``, ``lpk`` (n + 1, 3) per sequence.
    """
    a, a2 = _A, _A2
    third = 1.0 / 3.0
    h = np.sqrt(3.0) / 2.0  # a = -1/2 + j h
    it = 0
    while it < max_it:
        it += 1
        for k in range(n):
            # V_abc = A V_012 with a = -1/2 + j h: Vb, Vc = V0 - (V1 + V2) / 2 -+ j h (V1 - V2)
            v0, v1, v2 = v[k, 0], v[k, 1], v[k, 2]
            sm = v1 + v2
            df = v1 - v2
            m = v0 - 0.5 * sm
            jd = complex(-h * df.imag, h * df.real)
            ia = _current(s3[k, 0], v0 + sm)
            ib = _current(s3[k, 1], m - jd)
            ic = _current(s3[k, 2], m + jd)
            # I_012 = A^-1 I_abc / 3: I1, I2 = (Ia - (Ib + Ic) / 2 +- j h (Ib - Ic)) / 3
            sm = ib + ic
            df = ib - ic
            m = ia - 0.5 * sm
            jd = complex(-h * df.imag, h * df.real)
            b[k, 0] = (ia + sm) * third
            b[k, 1] = (m + jd) * third
            b[k, 2] = (m - jd) * third
        dv2 = _solve_trees3(b, v, n_free, par, ipiv, ykp, lpk)
        if not np.isfinite(dv2):
            return False, it
        if dv2 < tol2:
            low2 = MIN_VOLTAGE_PU * MIN_VOLTAGE_PU
            for k in range(n):
                v0, v1, v2 = v[k, 0], v[k, 1], v[k, 2]
                for x in (v0 + v1 + v2, v0 + a2 * v1 + a * v2, v0 + a * v1 + a2 * v2):
                    if x.real * x.real + x.imag * x.imag < low2:
                        return False, it
            return True, it
    return False, it


@njit(cache=True, error_model="numpy")
def settle_balanced(s, v, n_free, par, ipiv, ykp, lpk, tol, max_it):
    """Solve one balanced step in place: ``s`` (n,) injections [pu], ``v`` (n + 1) start
    voltages, receives the solution. Returns convergence."""
    n = s.shape[0]
    zero = np.zeros(n, dtype=np.complex128)
    b = np.zeros(n + 1, dtype=np.complex128)
    ok, _ = _iterate_balanced(
        s, zero, zero, False, v, b, n, n_free, par, ipiv, ykp, lpk, tol * tol, max_it
    )
    return ok


@njit(cache=True, error_model="numpy")
def settle_sequences(s3, v, n_free, par, ipiv, ykp, lpk, tol, max_it):
    """Solve one per-phase step in place: ``s3`` (n, 3) injections [pu], ``v`` (n + 1, 3)
    sequence start voltages, receives the solution. Returns convergence."""
    n = s3.shape[0]
    b = np.zeros((n + 1, 3), dtype=np.complex128)
    ok, _ = _iterate_sequences(s3, v, b, n, n_free, par, ipiv, ykp, lpk, tol * tol, max_it)
    return ok


@njit(cache=True, error_model="numpy", inline="always")
def _branch_balanced(v, j, f, t, adm, to_ka_f, to_ka_t):
    """(current [kA] higher end, S into from end, S into to end [pu]) of branch ``j``."""
    x, y = v[f[j]], v[t[j]]
    i_f = adm[j, 0, 0] * x + adm[j, 0, 1] * y
    i_t = adm[j, 0, 2] * x + adm[j, 0, 3] * y
    m_f2 = (i_f.real * i_f.real + i_f.imag * i_f.imag) * to_ka_f[j] * to_ka_f[j]
    m_t2 = (i_t.real * i_t.real + i_t.imag * i_t.imag) * to_ka_t[j] * to_ka_t[j]
    return m_f2, m_t2, x * i_f.conjugate(), y * i_t.conjugate()


@njit(cache=True, error_model="numpy")
def run_balanced(
    p, q, load_pos, scales, has_zip, gen, gen_pos, gen_scale, static, v, v_reset,
    n_free, par, ipiv, ykp, lpk, tol, max_it,
    bus_pos, br_f, br_t, br_live, adm, to_ka_f, to_ka_t, n_line, line_pct, tr_rating_f,
    tr_rating_t, base_mva,
    out_vm, out_line_i, out_line_pct, out_tr_pct, out_tr_p, out_losses, ok, iters,
):  # fmt: skip
    """Balanced load flow of every step of a chunk, results written into the tables.

    Parameters
    ----------
    p, q : float arrays (steps, loads)
        Load active [MW] and reactive [Mvar] power, load positive.
    load_pos : int array (loads,)
        Position of each load's node.
    scales : float array (6, loads)
        MW, Mvar to pu of each load for its constant power (p, q), current (p, q) and
        impedance (p, q) share (scaling, in service and base included).
    has_zip : bool
        Whether any load has a current or impedance share.
    gen : float array (steps, sgens)
        Static generator active power [MW], generation positive.
    gen_pos, gen_scale : arrays (sgens,)
        Position of each generator's node; MW to pu.
    static : complex array (n,)
        Constant injection per position [pu] (generation positive).
    v : complex array (n + 1,)
        Warm start (with the slack's voltage at ``n - 1`` and 0 at ``n``); receives the last
        step's voltages.
    v_reset : complex array (n + 1,)
        Restart after a step that did not converge.
    n_free, par, ipiv, ykp, lpk
        Tree factorisation (:class:`gridv2x.powerflow.radial.TreeFactor`), one network.
    tol : float
        Convergence: largest voltage change of an iteration [pu].
    max_it : int
        Iterations before a step is declared not converged.
    bus_pos : int array (buses,)
        Position of each bus (-1: unsupplied, NaN results).
    br_f, br_t, br_live, adm, to_ka_f, to_ka_t
        Branches (lines first, then transformers): from and to position, in service,
        ``Yff, Yft, Ytf, Ytt`` (branches, 1, 4) [pu], per-unit current to kA at each end.
    n_line : int
        Number of lines (the first branches).
    line_pct : float array (lines,)
        kA to loading [%] of each line.
    tr_rating_f, tr_rating_t : float arrays (trafos,)
        kA to loading [-] of each transformer at its HV and LV side.
    base_mva : float
        Power base [MVA].
    out_vm, out_line_i, out_line_pct, out_tr_pct, out_tr_p, out_losses, ok, iters
        Receive, per step: bus voltages [pu]; line current (higher end) [kA] and loading [%];
        transformer loading [%] and active power into the HV side [MW]; losses [MW];
        convergence; iterations.
    """
    n_steps, n_load = p.shape
    n = static.shape[0]
    n_br = br_f.shape[0]
    spq = np.empty(n, dtype=np.complex128)
    si = np.zeros(n, dtype=np.complex128)
    sz = np.zeros(n, dtype=np.complex128)
    b = np.zeros(n + 1, dtype=np.complex128)
    tol2 = tol * tol
    nan = np.nan
    for t in range(n_steps):
        for k in range(n):
            spq[k] = static[k]
        for g in range(gen_pos.shape[0]):
            spq[gen_pos[g]] += gen[t, g] * gen_scale[g]
        for j in range(n_load):
            k = load_pos[j]
            spq[k] -= complex(p[t, j] * scales[0, j], q[t, j] * scales[1, j])
        if has_zip:
            for k in range(n):
                si[k] = 0.0
                sz[k] = 0.0
            for j in range(n_load):
                k = load_pos[j]
                si[k] -= complex(p[t, j] * scales[2, j], q[t, j] * scales[3, j])
                sz[k] -= complex(p[t, j] * scales[4, j], q[t, j] * scales[5, j])
        conv, it = _iterate_balanced(
            spq, si, sz, has_zip, v, b, n, n_free, par, ipiv, ykp, lpk, tol2, max_it
        )
        ok[t] = conv
        iters[t] = it
        if not conv:
            for i in range(out_vm.shape[1]):
                out_vm[t, i] = nan
            for j in range(n_line):
                out_line_i[t, j] = nan
                out_line_pct[t, j] = nan
            for j in range(n_br - n_line):
                out_tr_pct[t, j] = nan
                out_tr_p[t, j] = nan
            out_losses[t] = nan
            for k in range(n + 1):
                v[k] = v_reset[k]
            continue
        for i in range(out_vm.shape[1]):
            k = bus_pos[i]
            out_vm[t, i] = _mag(v[k]) if k >= 0 else nan
        losses = 0.0
        for j in range(n_br):
            if not br_live[j]:
                if j < n_line:
                    out_line_i[t, j] = nan
                    out_line_pct[t, j] = nan
                else:
                    out_tr_pct[t, j - n_line] = nan
                    out_tr_p[t, j - n_line] = nan
                continue
            m_f2, m_t2, sf, st = _branch_balanced(v, j, br_f, br_t, adm, to_ka_f, to_ka_t)
            losses += (sf + st).real
            if j < n_line:
                i_max = np.sqrt(max(m_f2, m_t2))
                out_line_i[t, j] = i_max
                out_line_pct[t, j] = i_max * line_pct[j]
            else:
                r = j - n_line
                out_tr_pct[t, r] = 100.0 * np.sqrt(
                    max(
                        m_f2 * tr_rating_f[r] * tr_rating_f[r],
                        m_t2 * tr_rating_t[r] * tr_rating_t[r],
                    )
                )
                out_tr_p[t, r] = sf.real * base_mva
        out_losses[t] = losses * base_mva


@njit(cache=True, error_model="numpy")
def run_sequences(
    p, q, load_pos, scales, gen, gen_pos, gen_scale, static, v, v_reset,
    n_free, par, ipiv, ykp, lpk, tol, max_it,
    bus_pos, br_f, br_t, br_live, adm, to_ka_f, to_ka_t, n_line, line_pct, tr_rating_f,
    tr_rating_t, base_mva,
    out_vm, out_va, out_vb, out_vc, out_vuf, out_line_i, out_line_n, out_line_pct, out_tr_pct,
    out_tr_p, out_losses, ok, iters,
):  # fmt: skip
    """Per-phase load flow of every step of a chunk in the sequence networks (as ``runpp_3ph``).

    The loads are wye (phase to neutral) constant power per phase. Each iteration takes the
    phase voltages ``V_abc = A V_012``, the load currents ``I_abc = conj(S_abc / V_abc)``, their
    sequence components ``I_012 = A^-1 I_abc``, and solves the zero-, positive- and
    negative-sequence networks (the positive one with the slack held, the others with the
    grid's short-circuit impedance as a shunt).

    Parameters
    ----------
    p, q : float arrays (steps, loads, 3)
        Load power per phase a, b, c [MW], [Mvar], load positive.
    scales : float array (2, loads)
        MW, Mvar to pu of each load (scaling, in service and base included).
    static : complex array (n, 3)
        Constant injection per position and phase [pu] (generation positive).
    v, v_reset : complex arrays (n + 1, 3)
        Zero, positive, negative sequence warm start (receives the last step's) and restart.
    n_free : int array (3,); ipiv, ykp, lpk : complex arrays (n + 1, 3)
        Tree factorisation of each sequence network (one ``par`` for all).
    load_pos, gen, gen_pos, gen_scale, tol, max_it, bus_pos, br_f, br_t, br_live, adm,
    to_ka_f, to_ka_t, n_line, line_pct, tr_rating_f, tr_rating_t, base_mva
        As :func:`run_balanced`; ``adm`` (branches, 3, 4) per sequence; generators are
        balanced (a third per phase).
    out_vm, out_va, out_vb, out_vc, out_vuf
        Receive the lowest phase-to-neutral voltage and those of phase a, b, c [pu] and the
        unbalance ``|V2| / |V1| * 100`` [%] per bus.
    out_line_i, out_line_n, out_line_pct, out_tr_pct, out_tr_p, out_losses, ok, iters
        As :func:`run_balanced` (currents and loadings: highest phase); ``out_line_n`` the
        neutral current, the sum of the phase currents ``3 I0``, higher end [kA].
    """
    n_steps, n_load = p.shape[0], p.shape[1]
    n = static.shape[0]
    n_br = br_f.shape[0]
    h = np.sqrt(3.0) / 2.0  # a = -1/2 + j h
    s3 = np.empty((n, 3), dtype=np.complex128)
    b = np.zeros((n + 1, 3), dtype=np.complex128)
    tol2 = tol * tol
    nan = np.nan
    for t in range(n_steps):
        for k in range(n):
            for ph in range(3):
                s3[k, ph] = static[k, ph]
        for g in range(gen_pos.shape[0]):
            x = gen[t, g] * gen_scale[g] / 3.0
            for ph in range(3):
                s3[gen_pos[g], ph] += x
        for j in range(n_load):
            k = load_pos[j]
            for ph in range(3):
                s3[k, ph] -= complex(p[t, j, ph] * scales[0, j], q[t, j, ph] * scales[1, j])
        conv, it = _iterate_sequences(s3, v, b, n, n_free, par, ipiv, ykp, lpk, tol2, max_it)
        ok[t] = conv
        iters[t] = it
        if not conv:
            for i in range(out_vm.shape[1]):
                out_vm[t, i] = nan
                out_va[t, i] = nan
                out_vb[t, i] = nan
                out_vc[t, i] = nan
                out_vuf[t, i] = nan
            for j in range(n_line):
                out_line_i[t, j] = nan
                out_line_n[t, j] = nan
                out_line_pct[t, j] = nan
            for j in range(n_br - n_line):
                out_tr_pct[t, j] = nan
                out_tr_p[t, j] = nan
            out_losses[t] = nan
            for k in range(n + 1):
                for s in range(3):
                    v[k, s] = v_reset[k, s]
            continue
        for i in range(out_vm.shape[1]):
            k = bus_pos[i]
            if k < 0:
                out_vm[t, i] = nan
                out_va[t, i] = nan
                out_vb[t, i] = nan
                out_vc[t, i] = nan
                out_vuf[t, i] = nan
                continue
            v0, v1, v2 = v[k, 0], v[k, 1], v[k, 2]
            sm = v1 + v2
            df = v1 - v2
            mid = v0 - 0.5 * sm
            jd = complex(-h * df.imag, h * df.real)
            ma = _mag(v0 + sm)
            mb = _mag(mid - jd)
            mc = _mag(mid + jd)
            out_va[t, i] = ma
            out_vb[t, i] = mb
            out_vc[t, i] = mc
            out_vm[t, i] = min(ma, mb, mc)
            out_vuf[t, i] = np.sqrt(_abs2(v2) / _abs2(v1)) * 100
        losses = 0.0
        for j in range(n_br):
            if not br_live[j]:
                if j < n_line:
                    out_line_i[t, j] = nan
                    out_line_n[t, j] = nan
                    out_line_pct[t, j] = nan
                else:
                    out_tr_pct[t, j - n_line] = nan
                    out_tr_p[t, j - n_line] = nan
                continue
            fj, tj = br_f[j], br_t[j]
            x0, x1, x2 = v[fj, 0], v[fj, 1], v[fj, 2]
            y0, y1, y2 = v[tj, 0], v[tj, 1], v[tj, 2]
            f0 = adm[j, 0, 0] * x0 + adm[j, 0, 1] * y0
            f1 = adm[j, 1, 0] * x1 + adm[j, 1, 1] * y1
            f2 = adm[j, 2, 0] * x2 + adm[j, 2, 1] * y2
            t0 = adm[j, 0, 2] * x0 + adm[j, 0, 3] * y0
            t1 = adm[j, 1, 2] * x1 + adm[j, 1, 3] * y1
            t2 = adm[j, 2, 2] * x2 + adm[j, 2, 3] * y2
            # phase currents I_abc = A I_012 and powers, as the voltages in _iterate_sequences
            kf2, kt2 = to_ka_f[j] * to_ka_f[j], to_ka_t[j] * to_ka_t[j]
            sm, df = x1 + x2, x1 - x2
            xm, xd = x0 - 0.5 * sm, complex(-h * df.imag, h * df.real)
            xa, xb, xc = x0 + sm, xm - xd, xm + xd
            sm, df = y1 + y2, y1 - y2
            ym, yd = y0 - 0.5 * sm, complex(-h * df.imag, h * df.real)
            ya, yb, yc = y0 + sm, ym - yd, ym + yd
            sm, df = f1 + f2, f1 - f2
            fm, fd = f0 - 0.5 * sm, complex(-h * df.imag, h * df.real)
            fa, fb, fc = f0 + sm, fm - fd, fm + fd
            sm, df = t1 + t2, t1 - t2
            tm, td = t0 - 0.5 * sm, complex(-h * df.imag, h * df.real)
            ta, tb, tc = t0 + sm, tm - td, tm + td
            if_2 = max(_abs2(fa), _abs2(fb), _abs2(fc))
            it_2 = max(_abs2(ta), _abs2(tb), _abs2(tc))
            sf = xa * fa.conjugate() + xb * fb.conjugate() + xc * fc.conjugate()
            st = ya * ta.conjugate() + yb * tb.conjugate() + yc * tc.conjugate()
            m_f2, m_t2 = if_2 * kf2, it_2 * kt2
            losses += (sf + st).real
            if j < n_line:
                i_max = np.sqrt(max(m_f2, m_t2))
                out_line_i[t, j] = i_max
                out_line_pct[t, j] = i_max * line_pct[j]
                n_f = (f0.real * f0.real + f0.imag * f0.imag) * kf2
                n_t = (t0.real * t0.real + t0.imag * t0.imag) * kt2
                out_line_n[t, j] = 3.0 * np.sqrt(max(n_f, n_t))
            else:
                r = j - n_line
                out_tr_pct[t, r] = 100.0 * np.sqrt(
                    max(
                        m_f2 * tr_rating_f[r] * tr_rating_f[r],
                        m_t2 * tr_rating_t[r] * tr_rating_t[r],
                    )
                )
                out_tr_p[t, r] = sf.real * base_mva
        out_losses[t] = losses * base_mva
