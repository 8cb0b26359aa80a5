"""Radial load flow: every time step of a radial feeder, balanced or per phase, in one pass.

LV feeders are operated as trees with one supply point. For a tree the admittance matrix ``Y``
factorises without fill-in when the nodes are eliminated leaves first: each node then has one
multiplier towards its parent. Solving ``Y V = I`` is a pass from the leaves to the root
(collecting currents, the "backward sweep") and one from the root to the leaves (voltage drops,
the "forward sweep") - one multiply-add per branch and direction. Each time step iterates
``V <- Y^-1 I(V)`` with the constant-power load currents ``I = conj(S / V)`` until the largest
voltage change is below the tolerance, starting from the previous step's solution
(:mod:`gridv2x.powerflow.radial_kernels`).

The network model is pandapower's own: the admittance matrices are built by pandapower's
converter (``_pd2ppc`` and ``makeYbus``, with the options of the reference runs in
:mod:`gridv2x.powerflow.reference`), so lines, transformers (taps, phase shift, magnetising
branch; ``pi`` model balanced, pandapower's ``t`` model per phase), shunts, bus-bus switches,
open switches and unsupplied buses are exactly as pandapower has them. Per phase, as
pandapower's ``runpp_3ph``: the three-phase four-wire feeder is reduced to its zero-, positive-
and negative-sequence networks (line ``r0``/``x0``/``c0``; transformer zero sequence by vector
group, ``Dyn`` as a T network with ``si0_hv_partial`` and ``mag0_percent``; the external grid
ideal in the positive sequence and ``s_sc_max_mva / 1.1`` with ``rx_max``, ``x0x_max`` in the
others), coupled only through the loads, which are wye (phase to neutral) constant power per
phase. The neutral (PEN) current of a line is the sum of its phase currents, ``3 I0``.

Differences to pandapower, by design: voltage-dependent (ZIP) loads are split per load at its
own bus (balanced; pandapower aggregates ZIP shares per bus, see tests/data/powerflow/README);
per phase all loads are constant power, as in ``runpp_3ph``. Storage is a balanced load in both
(``runpp_3ph`` leaves it out).

References
----------
.. [1] Teng, J.-H. (2003). "A direct approach for distribution system load flow solutions".
   IEEE Trans. Power Delivery 18(3), 882-887 (tree-structured load flow with
   branch-injection matrices).
.. [2] Kersting, W. H. (2012). Distribution System Modeling and Analysis, 3rd ed., ch. 10
   (ladder iterative technique, i.e. backward/forward sweep).
.. [3] pandapower ``pf/runpp_3ph.py`` (sequence-frame three-phase load flow),
   https://pandapower.readthedocs.io/en/latest/powerflow/ac_3ph.html
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gridv2x.errors import InputError
from gridv2x.powerflow import radial_kernels
from gridv2x.powerflow.convert import _check_elements, _col, _in_service, fill_zero_sequence

__all__ = [
    "RadialEngine",
    "NotRadialError",
    "TreeFactor",
    "is_radial",
    "MAX_ITERATIONS",
]

MAX_ITERATIONS = 100
"""Fixed-point iterations before a step is declared not converged [-]."""

_A = np.exp(2j * np.pi / 3)
_A_MATRIX = np.array([[1, 1, 1], [1, _A**2, _A], [1, _A, _A**2]])
"""Sequence (0, 1, 2) to phase (a, b, c) transformation."""

_PIVOT_FLOOR = 1e-14
"""A pivot smaller than this (relative to the largest diagonal) means a floating island [-]."""


class NotRadialError(InputError):
    """The feeder cannot be solved by the radial engine (meshed, several slacks, floating)."""


@dataclass
class TreeFactor:
    """Leaves-first LU factorisation of one tree-structured admittance matrix.

    Attributes
    ----------
    order : numpy.ndarray of int
        Free nodes in elimination order: every node before its parent.
    parent : numpy.ndarray of int
        Parent of each node towards its root; -1 for a root.
    fixed : numpy.ndarray of bool
        Nodes with a held voltage (the slack, positive sequence only).
    piv : numpy.ndarray of complex
        Pivot of each node after the elimination of its subtree [pu].
    ykp : numpy.ndarray of complex
        ``Y[k, parent(k)]`` [pu].
    lpk : numpy.ndarray of complex
        Multiplier ``Y[parent(k), k] / piv[k]`` [-].
    """

    order: np.ndarray
    parent: np.ndarray
    fixed: np.ndarray
    piv: np.ndarray
    ykp: np.ndarray
    lpk: np.ndarray


def factor_tree(y: sp.spmatrix, fixed: np.ndarray, prefer_root: np.ndarray) -> TreeFactor:
    """Factorise a tree-structured admittance matrix leaves first.

    Parameters
    ----------
    y : scipy.sparse matrix (n, n), complex
        Bus admittance matrix [pu].
    fixed : numpy.ndarray of bool (n,)
        Nodes whose voltage is held (at most one per connected part).
    prefer_root : numpy.ndarray of bool (n,)
        Nodes to take as root of a part without a held node (e.g. the slack bus).

    Returns
    -------
    TreeFactor

    Raises
    ------
    NotRadialError
        If the graph of ``y`` has a loop, a part has more than one held node, or a part is
        floating (singular).
    """
    y = sp.csr_matrix(y)
    n = y.shape[0]
    coo = y.tocoo()
    off = coo.row != coo.col
    pairs = np.unique(np.sort(np.column_stack([coo.row[off], coo.col[off]]), axis=1), axis=0)
    n_parts, labels = sp.csgraph.connected_components(
        sp.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)),
        directed=False,
    )
    if len(pairs) != n - n_parts:
        raise NotRadialError(
            f"the feeder is meshed: {len(pairs)} branches for {n} nodes in {n_parts} part(s) "
            "(a radial feeder has nodes - parts)"
        )
    held = np.bincount(labels[fixed], minlength=n_parts)
    if (held > 1).any():
        raise NotRadialError("the feeder has more than one slack (ext_grid) in one part")
    adjacency = [[] for _ in range(n)]
    for i, j in pairs:
        adjacency[i].append(j)
        adjacency[j].append(i)
    parent = np.full(n, -1, dtype=np.int64)
    seen = np.zeros(n, dtype=bool)
    bfs: list[int] = []
    for part in range(n_parts):
        members = np.flatnonzero(labels == part)
        root = members[fixed[members]] if fixed[members].any() else members[prefer_root[members]]
        root = int(root[0]) if len(root) else int(members[0])
        queue = [root]
        seen[root] = True
        head = 0
        while head < len(queue):
            k = queue[head]
            head += 1
            for j in adjacency[k]:
                if not seen[j]:
                    seen[j] = True
                    parent[j] = k
                    queue.append(j)
        bfs.extend(queue)
    order = np.array([k for k in reversed(bfs) if not fixed[k]], dtype=np.int64)
    diag = y.diagonal().astype(complex)
    has = parent >= 0
    ykp = np.zeros(n, dtype=complex)
    ypk = np.zeros(n, dtype=complex)
    kk, pp_ = np.flatnonzero(has), parent[has]
    ykp[kk] = np.asarray(y[kk, pp_]).ravel()
    ypk[kk] = np.asarray(y[pp_, kk]).ravel()
    piv = diag.copy()
    lpk = np.zeros(n, dtype=complex)
    scale = max(float(np.abs(diag).max()), 1e-300)
    for k in order:
        if abs(piv[k]) <= _PIVOT_FLOOR * scale:
            raise NotRadialError(
                "a part of the feeder has no connection to earth in a sequence network "
                "(floating zero sequence: check transformer vector groups)"
            )
        p = parent[k]
        lpk[k] = ypk[k] / piv[k]
        if p >= 0 and not fixed[p]:
            piv[p] -= ypk[k] * ykp[k] / piv[k]
    return TreeFactor(order, parent, fixed.astype(bool), piv, ykp, lpk)


# --------------------------------------------------------------------------- pandapower model


def _pandapower_networks(net, asymmetric: bool):
    """pandapower's internal networks: (net copy with lookups, [(ppc, ppci)] per sequence).

    Balanced: the options of the reference ``runpp`` (``trafo_model="pi"``, voltage-dependent
    loads). Per phase: those of ``runpp_3ph`` (``trafo_model="t"``), the zero-, positive- and
    negative-sequence networks with the external grid's short-circuit impedance added to the
    negative sequence exactly as ``runpp_3ph`` does.
    """
    from pandapower.auxiliary import _add_pf_options, _add_ppc_options, _init_runpp_options
    from pandapower.build_bus import _add_ext_grid_sc_impedance
    from pandapower.pd2ppc import _pd2ppc, _pd2ppc_recycle

    net = copy.deepcopy(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not asymmetric:
            _init_runpp_options(
                net,
                algorithm="nr",
                calculate_voltage_angles=True,
                init="flat",
                max_iteration=30,
                tolerance_mva=1e-10,
                trafo_model="pi",
                trafo_loading="current",
                enforce_p_lims=False,
                enforce_q_lims=False,
                check_connectivity=True,
                voltage_depend_loads=True,
                consider_line_temperature=False,
                passed_parameters={},
            )
            ppc, ppci = _pd2ppc(net)
            return net, [(ppc, ppci)]
        net._options = {}
        _add_ppc_options(
            net,
            calculate_voltage_angles=True,
            trafo_model="t",
            check_connectivity=True,
            mode="pf_3ph",
            switch_rx_ratio=2.0,
            init_vm_pu="flat",
            init_va_degree="flat",
            enforce_p_lims=False,
            enforce_q_lims=False,
            recycle=None,
            voltage_depend_loads=False,
            neglect_open_switch_branches=False,
        )
        _add_pf_options(
            net,
            tolerance_mva=1e-8,
            trafo_loading="current",
            numba=False,
            ac=True,
            algorithm="nr",
            max_iteration=30,
            only_v_results=False,
            use_umfpack=True,
            permc_spec=None,
            lightsim2grid=False,
            v_debug=False,
        )
        ppc1, ppci1 = _pd2ppc_recycle(net, 1, recycle=None)
        ppc2, ppci2 = _pd2ppc_recycle(net, 2, recycle=None)
        _add_ext_grid_sc_impedance(net, ppci2)
        ppc0, ppci0 = _pd2ppc_recycle(net, 0, recycle=None)
    return net, [(ppc0, ppci0), (ppc1, ppci1), (ppc2, ppci2)]


def _asymmetric_ready(net) -> None:
    """Types that ``runpp_3ph`` would skip (SimBench NaN, "PV") count as wye, as the reference."""
    for table in ("load", "sgen"):
        if len(net[table]):
            kind = net[table]["type"] if "type" in net[table] else None
            if kind is None:
                net[table]["type"] = "wye"
            else:
                if (kind == "delta").any() and table == "load":
                    raise NotRadialError(
                        "loads of type 'delta' are not supported per phase; allowed: 'wye'"
                    )
                net[table]["type"] = np.where(kind.isin(["wye", "delta"]), kind, "wye")


def _elements_of(net, table: str, node_of_bus: pd.Series):
    """(live mask, node of each element) for a pandapower element table."""
    df = net[table]
    if not len(df):
        return np.zeros(0, bool), np.zeros(0, np.int64)
    node = node_of_bus.reindex(df["bus"].to_numpy()).fillna(-1).to_numpy(np.int64)
    live = _in_service(df) & (node >= 0)
    return live, np.where(live, node, 0)


def _to_nodes(weights: np.ndarray, nodes: np.ndarray, n_nodes: int) -> sp.csr_matrix:
    """Sparse (nodes x elements) matrix that sums element values onto their nodes."""
    return sp.csr_matrix((weights, (nodes, np.arange(len(nodes)))), shape=(n_nodes, len(nodes)))


def is_radial(net) -> bool:
    """Whether the radial engine can solve ``net``: a tree with one slack (balanced model).

    Checks the in-service network as pandapower's converter sees it (closed bus-bus switches
    fuse buses, open switches and out-of-service elements are left out, unsupplied parts
    dropped): its branches must form a tree around exactly one external grid.
    """
    try:
        _check_elements(net)
        _, [(_, ppci)] = _pandapower_networks(net, asymmetric=False)
        from pandapower.pypower.makeYbus import makeYbus

        y, _, _ = makeYbus(ppci["baseMVA"], ppci["bus"], ppci["branch"])
        fixed = ppci["bus"][:, 1] == 3
        if fixed.sum() != 1:
            return False
        factor_tree(y, fixed, fixed)
    except InputError:
        return False
    return True


# --------------------------------------------------------------------------- engine


class RadialEngine:
    """Radial time-series load-flow engine for one feeder, built once and run per period.

    Parameters
    ----------
    net : pandapowerNet
        The feeder, prepared (:func:`gridv2x.powerflow.prepare_net`; per phase with
        zero-sequence data). Read once; later changes to ``net`` are not seen.
    asymmetric : bool
        Per-phase load flow in the sequence networks, as pandapower's ``runpp_3ph``.
    error_tolerance : float
        Convergence: the largest voltage change of an iteration [pu].
    max_iterations : int
        Iterations before a step is declared not converged [-].

    Raises
    ------
    NotRadialError
        When the feeder is meshed, has several slacks in one part, or a floating sequence
        network; :func:`gridv2x.powerflow.run_timeseries` with ``engine="auto"`` then uses
        power-grid-model.
    gridv2x.errors.InputError
        For elements the engines do not model.
    """

    def __init__(
        self,
        net,
        asymmetric: bool = False,
        *,
        error_tolerance: float = 1e-8,
        max_iterations: int = MAX_ITERATIONS,
    ) -> None:
        from pandapower.pypower.idx_brch import F_BUS, T_BUS
        from pandapower.pypower.idx_bus import BASE_KV, BUS_TYPE, VA, VM
        from pandapower.pypower.makeYbus import makeYbus

        _check_elements(net)
        self.asymmetric = bool(asymmetric)
        self.error_tolerance = float(error_tolerance)
        self.max_iterations = int(max_iterations)
        net = copy.deepcopy(net)
        if self.asymmetric:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fill_zero_sequence(net)
            _asymmetric_ready(net)
        try:
            pnet, seqs = _pandapower_networks(net, self.asymmetric)
        except (NotImplementedError, ValueError, KeyError) as err:
            raise NotRadialError(f"pandapower's network model cannot be built: {err}") from err
        ppci_ref = seqs[-2][1] if self.asymmetric else seqs[0][1]
        base_mva = float(ppci_ref["baseMVA"])
        n = ppci_ref["bus"].shape[0]
        slack = ppci_ref["bus"][:, BUS_TYPE] == 3
        if slack.sum() != 1:
            raise NotRadialError(
                f"the radial engine needs exactly one supplied slack (ext_grid); found {int(slack.sum())}"
            )
        self.base_mva = base_mva
        self.n_nodes = n
        lookup = np.asarray(pnet._pd2ppc_lookups["bus"])
        bus_index = net.bus.index
        node = lookup[bus_index.to_numpy()]
        node = np.where((node >= 0) & (node < n), node, -1)
        self.bus_index = bus_index
        self.bus_node = node
        node_of_bus = pd.Series(node, index=bus_index)
        node_of_bus = node_of_bus[node_of_bus >= 0]
        self.base_kv = ppci_ref["bus"][:, BASE_KV].astype(float)

        # --- tree factorisation per sequence
        factors = []
        for s, (_, ppci) in enumerate(seqs):
            y, _, _ = makeYbus(ppci["baseMVA"], ppci["bus"], ppci["branch"])
            held = slack if (not self.asymmetric or s == 1) else np.zeros(n, bool)
            factors.append(factor_tree(y, held, slack))
        self.factors = factors
        v_set = ppci_ref["bus"][:, VM] * np.exp(1j * np.deg2rad(ppci_ref["bus"][:, VA]))

        # --- branches: ppc rows of lines and trafos, their ppci rows and admittances
        ppc_ref = seqs[-2][0] if self.asymmetric else seqs[0][0]
        lookups = pnet._pd2ppc_lookups["branch"]
        self.line_index, self.trafo_index = net.line.index, net.trafo.index
        rows = []
        for name, count in (("line", len(net.line)), ("trafo", len(net.trafo))):
            if name in lookups and count:
                f, t = lookups[name]
                rows.append(np.arange(f, t))
            else:
                rows.append(np.zeros(0, np.int64))
        self._line_rows, self._trafo_rows = rows
        n_ppc_branch = ppc_ref["branch"].shape[0]
        branch_is = np.asarray(ppci_ref["internal"]["branch_is"], dtype=bool)
        ppci_row = np.cumsum(branch_is) - 1
        all_rows = np.concatenate(rows)
        live = branch_is[all_rows] if n_ppc_branch else np.zeros(0, bool)
        ppci_rows = ppci_row[all_rows]
        br = ppci_ref["branch"]
        f_node = np.real(br[ppci_rows[live], F_BUS]).astype(np.int64) if live.any() else []
        t_node = np.real(br[ppci_rows[live], T_BUS]).astype(np.int64) if live.any() else []
        self._br_live = live
        self._br_f = np.zeros(len(all_rows), np.int64)
        self._br_t = np.zeros(len(all_rows), np.int64)
        self._br_f[live], self._br_t[live] = f_node, t_node
        adm = np.zeros((len(seqs), 4, len(all_rows)), dtype=complex)
        for s, (_, ppci) in enumerate(seqs):
            _, yf, yt = makeYbus(ppci["baseMVA"], ppci["bus"], ppci["branch"])
            r = ppci_rows[live]
            fn, tn = self._br_f[live], self._br_t[live]
            adm[s, 0, live] = np.asarray(yf[r, fn]).ravel()
            adm[s, 1, live] = np.asarray(yf[r, tn]).ravel()
            adm[s, 2, live] = np.asarray(yt[r, fn]).ravel()
            adm[s, 3, live] = np.asarray(yt[r, tn]).ravel()
        self._adm = adm

        line = net.line
        self._line_imax_ka = (
            line["max_i_ka"].to_numpy(float) * _col(line, "df", 1.0) * _col(line, "parallel", 1.0)
            if len(line)
            else np.zeros(0)
        )
        trafo = net.trafo
        if len(trafo):
            self._trafo_rating = (
                np.column_stack(
                    [trafo["vn_hv_kv"].to_numpy(float), trafo["vn_lv_kv"].to_numpy(float)]
                )
                * np.sqrt(3)
                / (
                    trafo["sn_mva"].to_numpy(float)
                    * _col(trafo, "parallel", 1.0)
                    * _col(trafo, "df", 1.0)
                )[:, None]
            )
        else:
            self._trafo_rating = np.zeros((0, 2))

        kv_f, kv_t = self.base_kv[self._br_f], self.base_kv[self._br_t]
        # per-unit branch current to kA: pandapower's balanced base is the three-phase power at
        # the line voltage; per phase its sequence currents are per phase at the phase voltage
        to_ka = base_mva * np.sqrt(3) if self.asymmetric else base_mva / np.sqrt(3)
        rating = np.zeros((len(all_rows), 2))
        rating[len(self._line_rows) :] = self._trafo_rating
        self._branch_args = (
            self._br_f,
            self._br_t,
            np.ascontiguousarray(self._adm),
            to_ka / kv_f,
            to_ka / kv_t,
            np.ascontiguousarray(rating[:, 0]),
            np.ascontiguousarray(rating[:, 1]),
            base_mva,
        )

        # --- injections: element -> node maps (pu, generation positive)
        self._build_injections(net, node_of_bus)

        # --- start voltages: the no-load solution (phase shifts of the trafos included)
        flat = np.full(n, v_set[slack][0], dtype=complex)
        if self.asymmetric:
            v0 = np.zeros((3, n), dtype=complex)
            v0[1] = flat
            self._v_start = self._no_load(v0)
        else:
            self._v_start = self._no_load(flat)

    # ------------------------------------------------------------------ setup helpers
    def _stacked(self):
        f = self.factors
        n = self.n_nodes
        n_order = np.array([len(x.order) for x in f], dtype=np.int64)
        order = np.zeros((len(f), n), dtype=np.int64)
        for s, x in enumerate(f):
            order[s, : len(x.order)] = x.order
        return (
            order,
            n_order,
            np.stack([x.parent for x in f]),
            np.stack([x.fixed for x in f]),
            np.stack([1.0 / x.piv for x in f]),
            np.stack([x.ykp for x in f]),
            np.stack([x.lpk for x in f]),
        )

    def _no_load(self, v0: np.ndarray) -> np.ndarray:
        n = self.n_nodes
        ok = np.zeros(1, bool)
        iters = np.zeros(1, np.int64)
        if self.asymmetric:
            out = np.zeros((1, 3, n), dtype=complex)
            radial_kernels.solve_sequences(
                np.zeros((1, 3, n), complex), v0, *self._stacked(), 1e-12, 5, out, ok, iters
            )
            return out[0]
        f = self.factors[0]
        out = np.zeros((1, n), dtype=complex)
        zeros = np.zeros((1, n), complex)
        radial_kernels.solve_balanced(
            zeros, zeros, zeros, v0, f.order, f.parent, f.fixed, 1.0 / f.piv, f.ykp, f.lpk,
            1e-12, 5, out, ok, iters,
        )  # fmt: skip
        return out[0]

    def _build_injections(self, net, node_of_bus: pd.Series) -> None:
        n, base = self.n_nodes, self.base_mva
        load = net.load
        self.load_index = load.index
        live, node = _elements_of(net, "load", node_of_bus)
        scaling = _col(load, "scaling", 1.0) * live / base if len(load) else np.zeros(0)
        if self.asymmetric or not len(load):
            shares = {"pq": (np.ones(len(load)), np.ones(len(load)))}
        else:
            zp, ip = (
                _col(load, "const_z_p_percent", np.nan),
                _col(load, "const_i_p_percent", np.nan),
            )
            zq, iq = (
                _col(load, "const_z_q_percent", np.nan),
                _col(load, "const_i_q_percent", np.nan),
            )
            old_z, old_i = _col(load, "const_z_percent", 0.0), _col(load, "const_i_percent", 0.0)
            zp, ip = (
                np.where(np.isnan(zp), old_z, zp) / 100,
                np.where(np.isnan(ip), old_i, ip) / 100,
            )
            zq, iq = (
                np.where(np.isnan(zq), old_z, zq) / 100,
                np.where(np.isnan(iq), old_i, iq) / 100,
            )
            shares = {"pq": (1 - zp - ip, 1 - zq - iq), "i": (ip, iq), "z": (zp, zq)}
        self._load_node = node
        self._load_scales = {
            kind: (np.asarray(sp_ * scaling, float), np.asarray(sq_ * scaling, float))
            for kind, (sp_, sq_) in shares.items()
            if np.any(sp_ * scaling != 0) or np.any(sq_ * scaling != 0) or kind == "pq"
        }
        self._load_base = (
            load["p_mw"].to_numpy(float) if len(load) else np.zeros(0),
            load["q_mvar"].to_numpy(float) if len(load) else np.zeros(0),
        )
        sgen = net.sgen
        self.sgen_index = sgen.index
        live, node = _elements_of(net, "sgen", node_of_bus)
        sc = _col(sgen, "scaling", 1.0) * live / base if len(sgen) else np.zeros(0)
        self._sgen_map = _to_nodes(sc, node, n)
        self._sgen_base_p = sgen["p_mw"].to_numpy(float) if len(sgen) else np.zeros(0)
        # static injections per phase [pu], generation positive: sgen q, storage, asym tables
        static = np.zeros((3, n), dtype=complex)
        if len(sgen):
            q = _col(sgen, "q_mvar", 0.0)
            static += (self._sgen_map @ (1j * q))[None, :] / 3
        if "storage" in net and len(net.storage):
            live, node = _elements_of(net, "storage", node_of_bus)
            sc = _col(net.storage, "scaling", 1.0) * live / base
            s = net.storage["p_mw"].to_numpy(float) + 1j * _col(net.storage, "q_mvar", 0.0)
            static -= (_to_nodes(sc, node, n) @ s)[None, :] / 3
        for table, sign in (("asymmetric_load", -1.0), ("asymmetric_sgen", 1.0)):
            if table in net and len(net[table]):
                df = net[table]
                live, node = _elements_of(net, table, node_of_bus)
                sc = _col(df, "scaling", 1.0) * live / base
                m = _to_nodes(sc, node, n)
                for k, ph in enumerate("abc"):
                    s = df[f"p_{ph}_mw"].to_numpy(float) + 1j * df[f"q_{ph}_mvar"].to_numpy(float)
                    static[k] += sign * (m @ s)
        self._static = static if self.asymmetric else static.sum(axis=0)

    # ------------------------------------------------------------------ run
    def run(
        self,
        load_p_mw: pd.DataFrame,
        load_q_mvar: pd.DataFrame,
        *,
        sgen_p_mw: pd.DataFrame | None = None,
        chunk_steps: int = 2880,
        progress: Callable[[int, int], None] | None = None,
    ):
        """Solve every time step; inputs and result as :meth:`TimeseriesEngine.run`.

        Returns
        -------
        gridv2x.powerflow.TimeseriesResult
            With ``engine="radial"``; per phase also ``line_i_n_ka`` (neutral current).
        """
        from gridv2x.powerflow.engine import TimeseriesResult, _check_frame, _phase_matrix

        asym = self.asymmetric
        loads = _check_frame(
            "load_p_mw", load_p_mw, asymmetric=asym, allowed=self.load_index, what="load"
        )
        loads_q = _check_frame(
            "load_q_mvar", load_q_mvar, asymmetric=asym, allowed=self.load_index, what="load"
        )
        if not load_p_mw.index.equals(load_q_mvar.index):
            raise InputError("load_p_mw and load_q_mvar must have the same time index")
        if sgen_p_mw is not None:
            if asym and isinstance(sgen_p_mw.columns, pd.MultiIndex):
                raise InputError("sgen_p_mw: static generators are balanced; one column per sgen")
            _check_frame(
                "sgen_p_mw", sgen_p_mw, asymmetric=False, allowed=self.sgen_index, what="sgen"
            )
            if not sgen_p_mw.index.equals(load_p_mw.index):
                raise InputError("sgen_p_mw must have the same time index as load_p_mw")
        if not isinstance(chunk_steps, int | np.integer) or chunk_steps < 1:
            raise InputError(f"chunk_steps must be a whole number >= 1; given {chunk_steps!r}")

        index = load_p_mw.index
        n_steps = len(index)
        n_bus, n_line, n_tr = len(self.bus_index), len(self.line_index), len(self.trafo_index)
        out = {
            "vm": np.full((n_steps, n_bus), np.nan),
            "line_i": np.full((n_steps, n_line), np.nan),
            "tr_load": np.full((n_steps, n_tr), np.nan),
            "tr_p": np.full((n_steps, n_tr), np.nan),
            "losses": np.full(n_steps, np.nan),
        }
        if asym:
            out["vm_ph"] = np.full((n_steps, n_bus, 3), np.nan)
            out["vuf"] = np.full((n_steps, n_bus), np.nan)
            out["line_i_n"] = np.full((n_steps, n_line), np.nan)
        converged = np.zeros(n_steps, dtype=bool)
        self.iterations = np.zeros(n_steps, dtype=np.int64)
        pos_p = self.load_index.get_indexer(loads)
        pos_q = self.load_index.get_indexer(loads_q)
        sgen_pos = self.sgen_index.get_indexer(sgen_p_mw.columns) if sgen_p_mw is not None else None
        p_vals = _phase_matrix(load_p_mw, loads) if asym else load_p_mw.to_numpy(float)
        q_vals = _phase_matrix(load_q_mvar, loads_q) if asym else load_q_mvar.to_numpy(float)
        s_vals = None if sgen_p_mw is None else sgen_p_mw.to_numpy(float)
        v_start = self._v_start
        stacked = self._stacked()
        for start in range(0, n_steps, chunk_steps):
            stop = min(start + chunk_steps, n_steps)
            sl = slice(start, stop)
            m = stop - start
            inj = self._injections(p_vals[sl], q_vals[sl], pos_p, pos_q, s_vals, sgen_pos, sl, m)
            inj = {k: np.ascontiguousarray(x) for k, x in inj.items()}
            ok = np.zeros(m, dtype=bool)
            iters = np.zeros(m, dtype=np.int64)
            if asym:
                v = np.empty((m, 3, self.n_nodes), dtype=complex)
                radial_kernels.solve_sequences(
                    inj["pq"], v_start, *stacked, self.error_tolerance, self.max_iterations,
                    v, ok, iters,
                )  # fmt: skip
            else:
                f = self.factors[0]
                v = np.empty((m, self.n_nodes), dtype=complex)
                radial_kernels.solve_balanced(
                    inj["pq"], inj["i"], inj["z"], v_start, f.order, f.parent, f.fixed, 1.0 / f.piv,
                    f.ykp, f.lpk, self.error_tolerance, self.max_iterations, v, ok, iters,
                )  # fmt: skip
            if ok[-1]:
                v_start = v[-1].copy()  # warm start of the next chunk
            self._collect(v, ok, sl, out)
            converged[sl] = ok
            self.iterations[sl] = iters
            if progress is not None:
                progress(stop, n_steps)

        def frame(values, columns):
            return pd.DataFrame(values, index=index, columns=columns)

        with np.errstate(invalid="ignore", divide="ignore"):
            loading = out["line_i"] / self._line_imax_ka * 100
        result = TimeseriesResult(
            vm_pu=frame(out["vm"], self.bus_index),
            line_loading_percent=frame(loading, self.line_index),
            trafo_loading_percent=frame(out["tr_load"], self.trafo_index),
            trafo_p_mw=frame(out["tr_p"], self.trafo_index),
            line_i_ka=frame(out["line_i"], self.line_index),
            losses_mw=pd.Series(out["losses"], index=index, name="losses_mw"),
            converged=pd.Series(converged, index=index, name="converged"),
            engine="radial",
            asymmetric=asym,
        )
        if asym:
            result.vm_a_pu = frame(out["vm_ph"][:, :, 0], self.bus_index)
            result.vm_b_pu = frame(out["vm_ph"][:, :, 1], self.bus_index)
            result.vm_c_pu = frame(out["vm_ph"][:, :, 2], self.bus_index)
            result.vuf_pct = frame(out["vuf"], self.bus_index)
            result.line_i_n_ka = frame(out["line_i_n"], self.line_index)
        return result

    # ------------------------------------------------------------------ internals
    def _injections(self, p, q, pos_p, pos_q, s_vals, sgen_pos, sl, m) -> dict:
        """Node injections of one chunk [pu], generation positive."""
        n = self.n_nodes
        base_p, base_q = self._load_base
        n_load = len(self.load_index)
        every = len(pos_p) == n_load and (pos_p == np.arange(n_load)).all()
        every_q = len(pos_q) == n_load and (pos_q == np.arange(n_load)).all()
        if self.asymmetric:
            shape, base_p, base_q = (m, n_load, 3), base_p[:, None] / 3, base_q[:, None] / 3
        else:
            shape = (m, n_load)
        if every:
            full_p = p
        else:
            full_p = np.broadcast_to(base_p, shape).copy()
            full_p[:, pos_p] = p
        if every_q:
            full_q = q
        else:
            full_q = np.broadcast_to(base_q, shape).copy()
            full_q[:, pos_q] = q
        gen = np.broadcast_to(self._sgen_base_p, (m, len(self.sgen_index))).copy()
        if s_vals is not None and len(sgen_pos):
            gen[:, sgen_pos] = s_vals[sl]
        gen_nodes = (self._sgen_map @ gen.T).T  # (m, n) [pu]
        result = {}
        for kind, (scale_p, scale_q) in self._load_scales.items():
            s = np.zeros((m, 3, n) if self.asymmetric else (m, n), dtype=complex)
            radial_kernels.add_loads(full_p, full_q, self._load_node, scale_p, scale_q, s)
            result[kind] = s
        if self.asymmetric:
            result["pq"] += gen_nodes[:, None, :] / 3 + self._static[None, :, :]
        else:
            result["pq"] += gen_nodes + self._static[None, :]
            for kind in ("i", "z"):
                result.setdefault(kind, np.zeros((1, n), dtype=complex))
        return result

    def _collect(self, v: np.ndarray, ok: np.ndarray, sl: slice, out: dict) -> None:
        """Bus voltages, branch currents and powers of one chunk from the node voltages."""
        supplied = self.bus_node >= 0
        node = self.bus_node[supplied]
        live = self._br_live
        n_line = len(self._line_rows)
        m = v.shape[0]
        if self.asymmetric:
            radial_kernels.node_results(
                v, self.bus_node, out["vm"][sl], out["vm_ph"][sl], out["vuf"][sl]
            )
            v3 = v
        else:
            out["vm"][sl][:, supplied] = np.abs(v[:, node])
            v3 = v[:, None, :]
        br = np.empty((m, 5, len(live)))
        radial_kernels.branch_results(v3, *self._branch_args, br)
        nan_off = np.where(live, 0.0, np.nan)
        out["line_i"][sl] = br[:, 0, :n_line] + nan_off[:n_line]
        if self.asymmetric:
            out["line_i_n"][sl] = br[:, 1, :n_line] + nan_off[:n_line]
        if len(self._trafo_rows):
            out["tr_load"][sl] = br[:, 2, n_line:] * 100 + nan_off[n_line:]
            out["tr_p"][sl] = br[:, 3, n_line:] + nan_off[n_line:]
        out["losses"][sl] = br[:, 4, :].sum(axis=1)
        bad = np.flatnonzero(~ok) + sl.start
        if len(bad):
            for arr in out.values():
                arr[bad] = np.nan
