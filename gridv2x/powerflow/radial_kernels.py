"""Compiled kernels of the radial load flow (:mod:`gridv2x.powerflow.radial`).

One step at a time, each step warm-started from the previous one's solution, every iteration a
pass over the tree: the current injections of the loads at the present voltages, then the
tree-ordered elimination of the admittance matrix (leaves to root) and the substitution back
(root to leaves). For a tree in this order the LU factors of the admittance matrix have no
fill-in, so the solve is the backward/forward sweep in matrix form: one multiply-add per branch
and direction. Everything lives in a few kB per step, so numba keeps it in registers and L1
cache; numpy over (steps x branches) arrays would read and write every intermediate once per
operation (measured: numba is 10-30x faster here, see bench/bench_powerflow.py).

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


@njit(cache=True, error_model="numpy", inline="always")
def _solve_tree(b, v, order, n_order, parent, fixed, ipiv, ykp, lpk):
    """Solve ``Y v = b`` in place for the free nodes of one tree-structured network.

    ``b`` is overwritten; ``v`` holds the fixed nodes' voltages and receives the free ones;
    ``ipiv`` are the inverse pivots. Returns the largest squared change of a free node's
    voltage [pu^2].
    """
    for idx in range(n_order):
        k = order[idx]
        p = parent[k]
        if p >= 0:
            if fixed[p]:
                b[k] -= ykp[k] * v[p]
            else:
                b[p] -= lpk[k] * b[k]
    dv2 = 0.0
    for idx in range(n_order - 1, -1, -1):
        k = order[idx]
        p = parent[k]
        x = b[k]
        if p >= 0 and not fixed[p]:
            x -= ykp[k] * v[p]
        x = x * ipiv[k]
        d = x - v[k]
        d2 = d.real * d.real + d.imag * d.imag
        if not d2 <= dv2:  # also catches NaN
            dv2 = d2
        v[k] = x
    return dv2


@njit(cache=True, error_model="numpy", inline="always")
def _current(s, v):
    """Load current ``conj(s / v)`` without a complex division [pu]."""
    inv = 1.0 / (v.real * v.real + v.imag * v.imag)
    return complex(
        (s.real * v.real + s.imag * v.imag) * inv, (s.real * v.imag - s.imag * v.real) * inv
    )


@njit(cache=True, error_model="numpy")
def solve_balanced(
    s_pq, s_i, s_z, v_start, order, parent, fixed, ipiv, ykp, lpk, tol, max_iter, v_out, ok, iters
):
    """Balanced load flow of every step of a chunk.

    Parameters
    ----------
    s_pq : complex array (steps, nodes)
        Constant-power injection per node [pu] (generation positive).
    s_i, s_z : complex array (steps or 1, nodes)
        Constant-current and constant-impedance injections at 1 pu [pu]; one row of zeros
        when the net has no voltage-dependent load.
    v_start : complex array (nodes,)
        Start (and fixed-node) voltages [pu]; also the restart after a diverged step.
    order, parent, fixed, ipiv, ykp, lpk
        Tree factorisation (:class:`gridv2x.powerflow.radial.TreeFactor`), inverse pivots.
    tol : float
        Convergence: largest voltage change of an iteration [pu].
    max_iter : int
        Iterations before a step is declared not converged.
    v_out : complex array (steps, nodes)
        Receives the voltages [pu].
    ok : bool array (steps,)
        Receives convergence.
    iters : int array (steps,)
        Receives the iterations used.
    """
    n_steps, n = s_pq.shape
    zip_rows = s_i.shape[0]
    has_zip = False
    for t in range(zip_rows):
        for k in range(n):
            if s_i[t, k] != 0 or s_z[t, k] != 0:
                has_zip = True
    v = v_start.copy()
    b = np.empty(n, dtype=np.complex128)
    n_order = order.shape[0]
    tol2 = tol * tol
    low2 = MIN_VOLTAGE_PU * MIN_VOLTAGE_PU
    for t in range(n_steps):
        zt = t if zip_rows > 1 else 0
        converged = False
        it = 0
        while it < max_iter:
            it += 1
            if has_zip:
                for k in range(n):
                    m = abs(v[k])
                    b[k] = _current(s_pq[t, k] + s_i[zt, k] * m + s_z[zt, k] * m * m, v[k])
            else:
                for k in range(n):
                    b[k] = _current(s_pq[t, k], v[k])
            dv2 = _solve_tree(b, v, order, n_order, parent, fixed, ipiv, ykp, lpk)
            if not np.isfinite(dv2):
                break
            if dv2 < tol2:
                converged = True
                break
        if converged:
            for k in range(n):
                if v[k].real * v[k].real + v[k].imag * v[k].imag < low2:
                    converged = False
        ok[t] = converged
        iters[t] = it
        for k in range(n):
            v_out[t, k] = v[k]
        if not converged:
            for k in range(n):
                v[k] = v_start[k]


@njit(cache=True, error_model="numpy")
def solve_sequences(
    s_abc, v_start, order, n_order, parent, fixed, ipiv, ykp, lpk, tol, max_iter, v_out, ok, iters
):
    """Per-phase load flow of every step of a chunk in the sequence networks (as ``runpp_3ph``).

    The loads are wye (phase to neutral) constant power per phase. Each iteration takes the
    phase voltages ``V_abc = A V_012``, the load currents ``I_abc = conj(S_abc / V_abc)``, their
    sequence components ``I_012 = A^-1 I_abc``, and solves the zero-, positive- and
    negative-sequence networks (the positive one with the slack held, the others with the
    grid's short-circuit impedance as a shunt).

    Parameters
    ----------
    s_abc : complex array (steps, 3, nodes)
        Injection per phase [pu] (generation positive).
    v_start : complex array (3, nodes)
        Start voltages of the zero, positive, negative sequence [pu].
    order, n_order, parent, fixed, ipiv, ykp, lpk
        Tree factorisation of each sequence network, stacked (first axis = sequence).
    tol, max_iter, ok, iters
        As :func:`solve_balanced`.
    v_out : complex array (steps, 3, nodes)
        Receives the sequence voltages [pu].
    """
    n_steps = s_abc.shape[0]
    n = s_abc.shape[2]
    a = np.exp(2j * np.pi / 3)
    a2 = a * a
    third = 1.0 / 3.0
    v = v_start.copy()
    b = np.empty((3, n), dtype=np.complex128)
    tol2 = tol * tol
    low2 = MIN_VOLTAGE_PU * MIN_VOLTAGE_PU
    for t in range(n_steps):
        converged = False
        it = 0
        while it < max_iter:
            it += 1
            for k in range(n):
                v0, v1, v2 = v[0, k], v[1, k], v[2, k]
                ia = _current(s_abc[t, 0, k], v0 + v1 + v2)
                ib = _current(s_abc[t, 1, k], v0 + a2 * v1 + a * v2)
                ic = _current(s_abc[t, 2, k], v0 + a * v1 + a2 * v2)
                b[0, k] = (ia + ib + ic) * third
                b[1, k] = (ia + a * ib + a2 * ic) * third
                b[2, k] = (ia + a2 * ib + a * ic) * third
            dv2 = 0.0
            for s in range(3):
                d = _solve_tree(
                    b[s], v[s], order[s], n_order[s], parent[s], fixed[s], ipiv[s], ykp[s], lpk[s]
                )
                if not d <= dv2:
                    dv2 = d
            if not np.isfinite(dv2):
                break
            if dv2 < tol2:
                converged = True
                break
        if converged:
            for k in range(n):
                v0, v1, v2 = v[0, k], v[1, k], v[2, k]
                for x in (v0 + v1 + v2, v0 + a2 * v1 + a * v2, v0 + a * v1 + a2 * v2):
                    if x.real * x.real + x.imag * x.imag < low2:
                        converged = False
        ok[t] = converged
        iters[t] = it
        for s in range(3):
            for k in range(n):
                v_out[t, s, k] = v[s, k]
        if not converged:
            for s in range(3):
                for k in range(n):
                    v[s, k] = v_start[s, k]


@njit(cache=True, error_model="numpy")
def branch_results(v, f, t, adm, to_ka_f, to_ka_t, rating_f, rating_t, base_mva, out):
    """Per-branch results of every step from the node (sequence) voltages.

    Parameters
    ----------
    v : complex array (steps, sequences, nodes)
        Node voltages [pu]: one sequence (balanced) or zero, positive, negative.
    f, t : int arrays (branches,)
        From and to node of each branch.
    adm : complex array (sequences, 4, branches)
        ``Yff, Yft, Ytf, Ytt`` of each branch and sequence [pu].
    to_ka_f, to_ka_t : float arrays (branches,)
        Factor from a per-unit (phase) current to kA at the from and to end.
    rating_f, rating_t : float arrays (branches,)
        Factor from kA to loading [-] at each end (0 where the branch has no such rating).
    base_mva : float
        Power base [MVA].
    out : float array (steps, 5, branches)
        Receives the highest phase current of both ends [kA], the neutral current (sum of
        the phase currents, higher end) [kA], the loading (highest phase and end) [-], the
        active power into the from end [MW] and the active losses [MW].
    """
    n_steps, n_seq, _ = v.shape
    n_br = f.shape[0]
    a = np.exp(2j * np.pi / 3)
    a2 = a * a
    for s_ in range(n_steps):
        for j in range(n_br):
            fj, tj = f[j], t[j]
            if n_seq == 1:
                x, y = v[s_, 0, fj], v[s_, 0, tj]
                i_f = adm[0, 0, j] * x + adm[0, 1, j] * y
                i_t = adm[0, 2, j] * x + adm[0, 3, j] * y
                m_f, m_t = abs(i_f) * to_ka_f[j], abs(i_t) * to_ka_t[j]
                i_max = max(m_f, m_t)
                load = max(m_f * rating_f[j], m_t * rating_t[j])
                sf = x * i_f.conjugate()
                st = y * i_t.conjugate()
                i_n = 0.0
            else:
                x0, x1, x2 = v[s_, 0, fj], v[s_, 1, fj], v[s_, 2, fj]
                y0, y1, y2 = v[s_, 0, tj], v[s_, 1, tj], v[s_, 2, tj]
                f0 = adm[0, 0, j] * x0 + adm[0, 1, j] * y0
                f1 = adm[1, 0, j] * x1 + adm[1, 1, j] * y1
                f2 = adm[2, 0, j] * x2 + adm[2, 1, j] * y2
                t0 = adm[0, 2, j] * x0 + adm[0, 3, j] * y0
                t1 = adm[1, 2, j] * x1 + adm[1, 3, j] * y1
                t2 = adm[2, 2, j] * x2 + adm[2, 3, j] * y2
                # squared magnitudes, one square root per result
                kf2, kt2 = to_ka_f[j] * to_ka_f[j], to_ka_t[j] * to_ka_t[j]
                rf2, rt2 = rating_f[j] * rating_f[j], rating_t[j] * rating_t[j]
                i2 = 0.0
                load2 = 0.0
                sf = 0.0j
                st = 0.0j
                for ph in range(3):
                    if ph == 0:
                        c1, c2 = 1.0 + 0j, 1.0 + 0j
                    elif ph == 1:
                        c1, c2 = a2, a
                    else:
                        c1, c2 = a, a2
                    pf = f0 + c1 * f1 + c2 * f2
                    pt = t0 + c1 * t1 + c2 * t2
                    m_f = (pf.real * pf.real + pf.imag * pf.imag) * kf2
                    m_t = (pt.real * pt.real + pt.imag * pt.imag) * kt2
                    i2 = max(i2, m_f, m_t)
                    load2 = max(load2, m_f * rf2, m_t * rt2)
                    sf += (x0 + c1 * x1 + c2 * x2) * pf.conjugate()
                    st += (y0 + c1 * y1 + c2 * y2) * pt.conjugate()
                i_max = np.sqrt(i2)
                load = np.sqrt(load2)
                n_f = (f0.real * f0.real + f0.imag * f0.imag) * kf2
                n_t = (t0.real * t0.real + t0.imag * t0.imag) * kt2
                i_n = 3.0 * np.sqrt(max(n_f, n_t))
            out[s_, 0, j] = i_max
            out[s_, 1, j] = i_n
            out[s_, 2, j] = load
            out[s_, 3, j] = sf.real * base_mva
            out[s_, 4, j] = (sf + st).real * base_mva


@njit(cache=True, error_model="numpy")
def node_results(v, bus_node, out_vm, out_ph, out_vuf):
    """Bus results of every step from the nodes' sequence voltages.

    ``v`` (steps, 3, nodes) zero, positive, negative sequence [pu]; ``bus_node`` (buses,) the
    node of each bus (-1: unsupplied, left as it is). Writes the phase voltage magnitudes
    ``out_ph`` (steps, buses, 3) [pu], their lowest ``out_vm`` (steps, buses) [pu] and the
    unbalance ``out_vuf`` (steps, buses) ``|V2| / |V1| * 100`` [%].
    """
    n_steps = v.shape[0]
    a = np.exp(2j * np.pi / 3)
    a2 = a * a
    for s_ in range(n_steps):
        for i in range(bus_node.shape[0]):
            k = bus_node[i]
            if k < 0:
                continue
            v0, v1, v2 = v[s_, 0, k], v[s_, 1, k], v[s_, 2, k]
            ma = abs(v0 + v1 + v2)
            mb = abs(v0 + a2 * v1 + a * v2)
            mc = abs(v0 + a * v1 + a2 * v2)
            out_ph[s_, i, 0] = ma
            out_ph[s_, i, 1] = mb
            out_ph[s_, i, 2] = mc
            out_vm[s_, i] = min(ma, mb, mc)
            out_vuf[s_, i] = abs(v2) / abs(v1) * 100


@njit(cache=True)
def add_loads(p, q, node, scale_p, scale_q, out):
    """Subtract the loads' power from their nodes' injection [pu] (load positive in ``p``, ``q``).

    Balanced: ``p``, ``q`` (steps, loads), ``out`` (steps, nodes); per phase: ``p``, ``q``
    (steps, loads, 3), ``out`` (steps, 3, nodes). ``scale_p``, ``scale_q`` per load turn MW,
    Mvar into pu (scaling, in service and the share of the load kind included).
    """
    n_steps, n_loads = p.shape[0], p.shape[1]
    if p.ndim == 2:
        for t in range(n_steps):
            for j in range(n_loads):
                out[t, node[j]] -= complex(p[t, j] * scale_p[j], q[t, j] * scale_q[j])
    else:
        for t in range(n_steps):
            for j in range(n_loads):
                for k in range(3):
                    out[t, k, node[j]] -= complex(p[t, j, k] * scale_p[j], q[t, j, k] * scale_q[j])
