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
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gridv2x.conventions import PHASES
from gridv2x.errors import InputError
from gridv2x.powerflow import radial_kernels
from gridv2x.powerflow.convert import _check_elements, _col, _in_service, fill_zero_sequence

if TYPE_CHECKING:
    from gridv2x.powerflow.engine import TimeseriesResult

__all__ = [
    "RadialEngine",
    "NotRadialError",
    "TreeFactor",
    "is_radial",
    "MAX_ITERATIONS",
    "LINE_PARAMETERS",
]

MAX_ITERATIONS = 100
"""Fixed-point iterations before a step is declared not converged [-]."""

LINE_PARAMETERS = {
    "r_ohm_per_km": 0.0,
    "x_ohm_per_km": 0.0,
    "c_nf_per_km": 0.0,
    "g_us_per_km": 0.0,
    "r0_ohm_per_km": 0.0,
    "x0_ohm_per_km": 0.0,
    "c0_nf_per_km": 0.0,
    "length_km": 0.0,
    "parallel": 1.0,
    "max_i_ka": 0.0,
    "df": 1.0,
}
"""Line columns :meth:`RadialEngine.with_branch_parameters` changes, with the value an absent
column stands for (pandapower's units: ohm/km, nF/km, uS/km, km, -, kA, -)."""

_A = np.exp(2j * np.pi / 3)
_A_MATRIX = np.array([[1, 1, 1], [1, _A**2, _A], [1, _A, _A**2]])
"""Sequence (0, 1, 2) to phase (a, b, c) transformation."""

_PIVOT_FLOOR = 1e-14
"""A pivot smaller than this (relative to the largest diagonal) means a floating island [-]."""


def _chunks(frame: pd.DataFrame, elements: pd.Index, asymmetric: bool) -> Callable:
    """``rows -> array`` of a checked input frame: (steps, elements) balanced, (steps, elements,
    3) per phase; each call converts only the rows asked for."""
    from gridv2x.powerflow.engine import _phase_matrix

    if asymmetric:
        in_order = len(frame.columns) == 3 * len(elements) and frame.columns.equals(
            pd.MultiIndex.from_product([elements, list(PHASES)])
        )
        if not in_order:
            return lambda rows: _phase_matrix(frame.iloc[rows], elements)
        values = frame.to_numpy(dtype=float)
        return lambda rows: np.ascontiguousarray(values[rows]).reshape(-1, len(elements), 3)
    values = frame.to_numpy(dtype=float)
    return lambda rows: np.ascontiguousarray(values[rows])


class NotRadialError(InputError):
    """The feeder cannot be solved by the radial engine (meshed, several slacks, floating)."""


@dataclass
class TreeFactor:
    """Leaves-first LU factorisation of tree-structured admittance matrices (one per sequence).

    The nodes are renumbered in elimination order ("positions"): every node before its parent,
    the slack last. All sequence networks share the positions (their branches are those of one
    tree; a branch without admittance in a sequence just makes a root there).

    Attributes
    ----------
    node : numpy.ndarray of int (n,)
        Node at each position.
    position : numpy.ndarray of int (n,)
        Position of each node.
    parent : numpy.ndarray of int (n,)
        Position of each position's parent; ``n`` (a spare position) for the root.
    n_free : numpy.ndarray of int (sequences,)
        Positions solved per sequence: ``n - 1`` where the slack's voltage is held, else ``n``.
    ipiv : numpy.ndarray of complex (sequences, n + 1)
        Inverse pivot of each position after the elimination of its subtree [1/pu].
    ykp : numpy.ndarray of complex (sequences, n + 1)
        ``Y[k, parent(k)]`` [pu]; 0 at the root and the spare position.
    lpk : numpy.ndarray of complex (sequences, n + 1)
        Multiplier ``Y[parent(k), k] / piv[k]`` [-]; 0 towards a held slack and at the root.
    """

    node: np.ndarray
    position: np.ndarray
    parent: np.ndarray
    n_free: np.ndarray
    ipiv: np.ndarray
    ykp: np.ndarray
    lpk: np.ndarray


def factor_tree(
    ys: list, slack: int, held: list[bool], *, order: TreeFactor | None = None
) -> TreeFactor:
    """Factorise tree-structured admittance matrices leaves first, in shared positions.

    Parameters
    ----------
    ys : list of scipy.sparse matrices (n, n), complex
        Bus admittance matrix of each sequence network (one for a balanced run) [pu].
    slack : int
        The supply node (the root).
    held : list of bool
        Per matrix: whether the slack's voltage is held (balanced and positive sequence) or
        solved (zero and negative sequence, earthed through the grid's impedance).
    order : TreeFactor, optional
        An earlier factorisation of matrices with the same branches (other values): its
        positions are taken instead of searching the tree again.

    Returns
    -------
    TreeFactor

    Raises
    ------
    NotRadialError
        If the branches have a loop, a node has no path to the slack, or a part is floating
        (singular) in a sequence network.
    """
    ys = [y if sp.isspmatrix_csr(y) else sp.csr_matrix(y) for y in ys]
    n = ys[0].shape[0]
    if order is not None:
        node, position, parent = order.node, order.position, order.parent
        return _pivots(ys, node, position, parent, node[parent[: n - 1]], held)
    rows, cols = [], []
    for y in ys:
        coo = y.tocoo()
        off = coo.row != coo.col
        rows.append(coo.row[off])
        cols.append(coo.col[off])
    pairs = np.unique(
        np.sort(np.column_stack([np.concatenate(rows), np.concatenate(cols)]), axis=1), axis=0
    )
    graph = sp.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_parts, _ = sp.csgraph.connected_components(graph, directed=False)
    if len(pairs) != n - n_parts:
        raise NotRadialError(
            f"the feeder is meshed: {len(pairs)} branches for {n} nodes in {n_parts} part(s) "
            "(a radial feeder has nodes - parts)"
        )
    if n_parts != 1:
        raise NotRadialError(f"{n_parts - 1} part(s) of the feeder have no path to the slack")
    bfs, pred = sp.csgraph.breadth_first_order(
        graph, slack, directed=False, return_predecessors=True
    )
    node = np.ascontiguousarray(bfs[::-1], dtype=np.int64)
    position = np.empty(n, dtype=np.int64)
    position[node] = np.arange(n)
    parent = np.full(n, n, dtype=np.int64)
    parent[: n - 1] = position[pred[node[: n - 1]]]
    return _pivots(ys, node, position, parent, pred[node[: n - 1]], held)


def _pivots(ys, node, position, parent, dad, held) -> TreeFactor:
    """The numbers of :func:`factor_tree` in given positions (``dad``: each position's parent
    node)."""
    n = len(node)
    kid = node[: n - 1]
    n_seq = len(ys)
    n_free = np.array([n - 1 if h else n for h in held], dtype=np.int64)
    ipiv = np.zeros((n_seq, n + 1), dtype=complex)
    ykp = np.zeros((n_seq, n + 1), dtype=complex)
    lpk = np.zeros((n_seq, n + 1), dtype=complex)
    for s, y in enumerate(ys):
        diag = y.diagonal().astype(complex)
        piv = np.append(diag[node], 0.0)
        ykp[s, : n - 1] = np.asarray(y[kid, dad]).ravel()
        ypk = np.zeros(n + 1, dtype=complex)
        ypk[: n - 1] = np.asarray(y[dad, kid]).ravel()
        scale = max(float(np.abs(diag).max()), 1e-300)
        free = int(n_free[s])
        for i in range(free):
            if abs(piv[i]) <= _PIVOT_FLOOR * scale:
                raise NotRadialError(
                    "a part of the feeder has no connection to earth in a sequence network "
                    "(floating zero sequence: check transformer vector groups)"
                )
            p = parent[i]
            if p < free:
                lpk[s, i] = ypk[i] / piv[i]
                piv[p] -= ypk[i] * ykp[s, i] / piv[i]
        ipiv[s, :free] = 1.0 / piv[:free]
    return TreeFactor(node, position, parent, n_free, ipiv, ykp, lpk)


# --------------------------------------------------------------------------- pandapower model


def _pandapower_networks(net, asymmetric: bool):
    """pandapower's internal networks: (``net`` with lookups, [(ppc, ppci)] per sequence).

    ``net`` gets pandapower's options and lookups: pass a copy.

    Balanced: the options of the reference ``runpp`` (``trafo_model="pi"``, voltage-dependent
    loads). Per phase: those of ``runpp_3ph`` (``trafo_model="t"``), the zero-, positive- and
    negative-sequence networks with the external grid's short-circuit impedance added to the
    negative sequence exactly as ``runpp_3ph`` does.
    """
    from pandapower.auxiliary import _add_pf_options, _add_ppc_options, _init_runpp_options
    from pandapower.build_bus import _add_ext_grid_sc_impedance
    from pandapower.pd2ppc import _pd2ppc, _pd2ppc_recycle

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
        _, [(_, ppci)] = _pandapower_networks(copy.deepcopy(net), asymmetric=False)
        from pandapower.pypower.makeYbus import makeYbus

        y, _, _ = makeYbus(ppci["baseMVA"], ppci["bus"], ppci["branch"])
        fixed = np.flatnonzero(ppci["bus"][:, 1] == 3)
        if len(fixed) != 1:
            return False
        factor_tree([y], int(fixed[0]), [True])
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
    copy_net : bool
        Work on a copy of ``net`` (default). False: ``net`` is a private copy the engine may
        change (:func:`gridv2x.powerflow.run_timeseries` passes its prepared copy; saves a
        deep copy).

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
        copy_net: bool = True,
    ) -> None:
        from pandapower.pypower.idx_brch import F_BUS, T_BUS
        from pandapower.pypower.idx_bus import BASE_KV, BUS_TYPE, VA, VM

        _check_elements(net)
        self.asymmetric = bool(asymmetric)
        self.error_tolerance = float(error_tolerance)
        self.max_iterations = int(max_iterations)
        if copy_net:
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

        # --- branches: ppc rows of lines and trafos and their ppci rows (fixed topology)
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
        self._ppci_rows = ppci_rows = ppci_row[all_rows]
        br = ppci_ref["branch"]
        f_node = np.real(br[ppci_rows[live], F_BUS]).astype(np.int64) if live.any() else []
        t_node = np.real(br[ppci_rows[live], T_BUS]).astype(np.int64) if live.any() else []
        self._br_live = live
        self._br_f = np.zeros(len(all_rows), np.int64)
        self._br_t = np.zeros(len(all_rows), np.int64)
        self._br_f[live], self._br_t[live] = f_node, t_node

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
        # what :meth:`with_branch_parameters` needs to redo pandapower's line rows
        self._ppci = [(ppci["baseMVA"], ppci["bus"], ppci["branch"]) for _, ppci in seqs]
        self._sn_mva, self._f_hz = net.sn_mva, net.f_hz
        self._line_base_kv = (
            ppc_ref["bus"][lookup[line["from_bus"].to_numpy(np.int64)], BASE_KV].real.astype(float)
            if len(line)
            else np.zeros(0)
        )
        self._line_parameters = {
            column: np.asarray(_col(line, column, default), dtype=float) * np.ones(len(line))
            for column, default in LINE_PARAMETERS.items()
        }

        # --- tree factorisation and branch admittances, all sequences in shared positions
        self._slack = int(np.flatnonzero(slack)[0])
        self._v_set = ppci_ref["bus"][:, VM] * np.exp(1j * np.deg2rad(ppci_ref["bus"][:, VA]))
        self._factorise()

        # --- injections: element -> position maps (pu, generation positive)
        self._build_injections(net, node_of_bus)

    def _factorise(self, order: TreeFactor | None = None) -> None:
        """Admittance matrices of the sequence networks (``makeYbus`` of pandapower's internal
        branches), their tree factorisation (in the positions of ``order`` when given), the
        branch admittances and the no-load start."""
        from pandapower.pypower.makeYbus import branch_vectors, makeYbus

        n, base_mva = self.n_nodes, self.base_mva
        ybus = [makeYbus(base, bus, branch)[0] for base, bus, branch in self._ppci]
        held = [(s == 1) if self.asymmetric else True for s in range(len(ybus))]
        self.tree = tree = factor_tree(ybus, self._slack, held, order=order)

        # the entries of makeYbus's Yf, Yt of each branch (a tree: one per branch and end)
        live, r = self._br_live, self._ppci_rows[self._br_live]
        adm = np.zeros((len(ybus), 4, len(live)), dtype=complex)
        for s, (_, _, branch) in enumerate(self._ppci):
            ytt, yff, yft, ytf = branch_vectors(branch, branch.shape[0])
            adm[s, 0, live], adm[s, 1, live] = yff[r], yft[r]
            adm[s, 2, live], adm[s, 3, live] = ytf[r], ytt[r]
        self._adm = adm

        kv_f, kv_t = self.base_kv[self._br_f], self.base_kv[self._br_t]
        # per-unit branch current to kA: pandapower's balanced base is the three-phase power at
        # the line voltage; per phase its sequence currents are per phase at the phase voltage
        to_ka = base_mva * np.sqrt(3) if self.asymmetric else base_mva / np.sqrt(3)
        with np.errstate(divide="ignore"):
            line_pct = 100.0 / self._line_imax_ka
        pos = tree.position
        self.bus_pos = np.where(self.bus_node >= 0, pos[np.maximum(self.bus_node, 0)], -1)
        self._branch_args = (
            self.bus_pos,
            np.ascontiguousarray(pos[self._br_f]),
            np.ascontiguousarray(pos[self._br_t]),
            np.ascontiguousarray(live),
            np.ascontiguousarray(self._adm.transpose(2, 0, 1)),  # (branches, seq, 4)
            np.ascontiguousarray(to_ka / kv_f),
            np.ascontiguousarray(to_ka / kv_t),
            len(self._line_rows),
            np.ascontiguousarray(line_pct),
            np.ascontiguousarray(self._trafo_rating[:, 0]),
            np.ascontiguousarray(self._trafo_rating[:, 1]),
            base_mva,
        )

        # --- start voltages: the no-load solution (phase shifts of the trafos included)
        t = tree
        flat = np.zeros(n + 1, dtype=complex)
        flat[:n] = self._v_set[self._slack]
        if self.asymmetric:  # sequences side by side: (positions, 3)
            ipiv, ykp, lpk = (np.ascontiguousarray(x.T) for x in (t.ipiv, t.ykp, t.lpk))
            self._tree_args = (t.n_free, t.parent, ipiv, ykp, lpk)
            v0 = np.zeros((n + 1, 3), dtype=complex)
            v0[:, 1] = flat
            radial_kernels.settle_sequences(
                np.zeros((n, 3), complex), v0, *self._tree_args, 1e-12, 5
            )
        else:
            self._tree_args = (t.n_free, t.parent, t.ipiv, t.ykp, t.lpk)
            v0 = flat
            radial_kernels.settle_balanced(
                np.zeros(n, complex), v0, t.n_free[0], t.parent, t.ipiv[0], t.ykp[0], t.lpk[0],
                1e-12, 5,
            )  # fmt: skip
        self._v_start = v0

    # ------------------------------------------------------------------ parameter updates
    def with_branch_parameters(self, lines: Mapping[int, Mapping[str, float]]) -> RadialEngine:
        """A copy of the engine with new electrical parameters of some lines, same topology.

        What a reinforcement measure on a section changes (a parallel cable, a larger cross
        section): the lines' per-unit rows are recomputed with pandapower's own formulas
        (``build_branch._calc_line_parameter``, zero sequence
        ``pd2ppc_zero._add_line_sc_impedance_zero``) into copies of the internal branch
        tables, then the admittance matrices and their tree factorisation are redone. The
        result is the same, bit for bit, as a new engine of the changed net
        (tests/powerflow/test_radial.py), at the cost of a factorisation instead of
        pandapower's conversion and a copy of the net.

        Parameters
        ----------
        lines : mapping
            ``line index -> {column: value}`` with columns of :data:`LINE_PARAMETERS` in
            pandapower's units (``r_ohm_per_km`` [ohm/km], ``c_nf_per_km`` [nF/km],
            ``g_us_per_km`` [uS/km], ``length_km`` [km], ``parallel`` [-], ``max_i_ka`` [kA],
            ``df`` [-], zero sequence ``r0_ohm_per_km``, ``x0_ohm_per_km``, ``c0_nf_per_km``);
            columns not given keep their values.

        Returns
        -------
        RadialEngine
            A new engine; this one is not changed.

        Raises
        ------
        gridv2x.errors.InputError
            For an unknown line or column or a value that is not finite (``parallel``: not a
            whole number >= 1).
        """
        from pandapower.pypower.idx_brch import BR_B, BR_G, BR_R, BR_X

        parameters = {column: values.copy() for column, values in self._line_parameters.items()}
        given = pd.Index([int(li) for li in lines])
        where = self.line_index.get_indexer(given)
        if (where < 0).any():
            raise InputError(f"with_branch_parameters: unknown line(s) {list(given[where < 0])}")
        for k, values in zip(where, lines.values(), strict=True):
            for column, value in values.items():
                if column not in parameters:
                    raise InputError(
                        f"with_branch_parameters: line column {column!r} is not a parameter; "
                        f"allowed: {', '.join(LINE_PARAMETERS)}"
                    )
                value = float(value)
                whole = column != "parallel" or (value >= 1 and value == int(value))
                if not np.isfinite(value) or not whole:
                    raise InputError(
                        f"with_branch_parameters: line {self.line_index[k]} {column} = {value!r} "
                        "is not allowed (finite; parallel a whole number >= 1)"
                    )
                parameters[column][k] = value
        new = copy.copy(self)
        new._line_parameters = parameters
        line = {c: v[where] for c, v in parameters.items()}
        rows = self._ppci_rows[where]
        live = self._br_live[where]
        rows, line = rows[live], {c: v[live] for c, v in line.items()}
        base_kv = self._line_base_kv[where][live]
        length, parallel, f_hz = line["length_km"], line["parallel"], self._f_hz
        ppci = []
        for s, (base, bus, branch) in enumerate(self._ppci):
            branch = branch.copy()
            zero = self.asymmetric and s == 0
            # as pandapower: per phase the base impedance is of the single-phase power
            base_r = (
                np.square(base_kv) / (3 * self._sn_mva)
                if self.asymmetric
                else np.square(base_kv) / self._sn_mva
            )
            r, x, c = (("r0_ohm_per_km", "x0_ohm_per_km", "c0_nf_per_km") if zero else
                       ("r_ohm_per_km", "x_ohm_per_km", "c_nf_per_km"))  # fmt: skip
            branch[rows, BR_R] = line[r] * length / base_r / parallel
            branch[rows, BR_X] = line[x] * length / base_r / parallel
            branch[rows, BR_B] = 2 * f_hz * math.pi * line[c] * 1e-9 * base_r * length * parallel
            if not zero:
                branch[rows, BR_G] = line["g_us_per_km"] * 1e-6 * base_r * length * parallel
            ppci.append((base, bus, branch))
        new._ppci = ppci
        new._line_imax_ka = parameters["max_i_ka"] * parameters["df"] * parameters["parallel"]
        new._factorise(order=self.tree)
        return new

    # ------------------------------------------------------------------ setup helpers
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
        pos = self.tree.position
        self._load_pos = np.ascontiguousarray(pos[node]) if len(node) else np.zeros(0, np.int64)
        scales = [
            np.asarray(share * scaling, float) * np.ones(len(load))
            for kind in ("pq", "i", "z")
            if kind in shares
            for share in shares[kind]
        ]
        self._load_scales = np.ascontiguousarray(np.array(scales, dtype=float))
        self._has_zip = bool(len(scales) > 2 and np.any(self._load_scales[2:] != 0))
        self._load_base = (
            load["p_mw"].to_numpy(float) if len(load) else np.zeros(0),
            load["q_mvar"].to_numpy(float) if len(load) else np.zeros(0),
        )
        sgen = net.sgen
        self.sgen_index = sgen.index
        live, node = _elements_of(net, "sgen", node_of_bus)
        sc = _col(sgen, "scaling", 1.0) * live / base if len(sgen) else np.zeros(0)
        sgen_map = _to_nodes(sc, node, n)
        self._gen_pos = np.ascontiguousarray(pos[node]) if len(node) else np.zeros(0, np.int64)
        self._gen_scale = np.ascontiguousarray(np.asarray(sc, float) * np.ones(len(sgen)))
        self._sgen_base_p = sgen["p_mw"].to_numpy(float) if len(sgen) else np.zeros(0)
        # static injections per phase [pu], generation positive: sgen q, storage, asym tables
        static = np.zeros((3, n), dtype=complex)
        if len(sgen):
            q = _col(sgen, "q_mvar", 0.0)
            static += (sgen_map @ (1j * q))[None, :] / 3
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
        static = static[:, self.tree.node]  # to positions
        self._static = np.ascontiguousarray(static.T if self.asymmetric else static.sum(axis=0))

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
        sweep = self._sweep(load_p_mw, load_q_mvar, sgen_p_mw, chunk_steps, progress)
        index = load_p_mw.index
        names, widths = self._tables()
        out: dict[str, np.ndarray] = {
            name: np.empty((len(index), w)) for name, w in zip(names, widths, strict=True)
        }
        out["losses"] = np.empty(len(index))
        out["converged"] = np.zeros(len(index), dtype=bool)
        for sl, chunk in sweep:
            self._solve(chunk, {name: values[sl] for name, values in out.items()})
        return self._result(out, index)

    def run_chunks(
        self,
        load_p_mw: pd.DataFrame,
        load_q_mvar: pd.DataFrame,
        *,
        sgen_p_mw: pd.DataFrame | None = None,
        chunk_steps: int = 2880,
    ) -> Iterator[TimeseriesResult]:
        """:meth:`run` one chunk of steps at a time, for a reduction that needs no whole-period
        result (the reinforcement planner's full-period check).

        The steps are solved in the same order with the same start voltages (each chunk
        continues from the last step of the one before), so the chunks, put one after the
        other, equal :meth:`run`'s result bit for bit (tests/powerflow/test_radial.py). Only
        one chunk's tables are held at a time: about ``chunk_steps`` / steps of the memory of
        :meth:`run`'s result.

        Parameters
        ----------
        load_p_mw, load_q_mvar, sgen_p_mw
            As :meth:`run`.
        chunk_steps : int
            Steps per chunk [-].

        Yields
        ------
        gridv2x.powerflow.TimeseriesResult
            The load flow of the next ``chunk_steps`` steps (the last chunk may be shorter),
            indexed by their time stamps.
        """
        sweep = self._sweep(load_p_mw, load_q_mvar, sgen_p_mw, chunk_steps, None)
        return self._chunk_results(sweep, load_p_mw.index)

    def _chunk_results(self, sweep: Iterator, index: pd.Index) -> Iterator[TimeseriesResult]:
        """Each chunk of ``sweep`` solved into tables of its own, as a TimeseriesResult."""
        names, widths = self._tables()
        for sl, chunk in sweep:
            m = sl.stop - sl.start
            out: dict[str, np.ndarray] = {
                name: np.empty((m, w)) for name, w in zip(names, widths, strict=True)
            }
            out["losses"] = np.empty(m)
            out["converged"] = np.zeros(m, dtype=bool)
            self._solve(chunk, out)
            yield self._result(out, index[sl])
            del out  # the consumer's chunk is not kept alive while the next is allocated

    def _tables(self) -> tuple[list[str], list[int]]:
        """Names and widths of the result tables (the kernels' output order)."""
        n_bus, n_line, n_tr = len(self.bus_index), len(self.line_index), len(self.trafo_index)
        names = ["vm", "line_i", "line_pct", "tr_pct", "tr_p"]
        widths = [n_bus, n_line, n_line, n_tr, n_tr]
        if self.asymmetric:
            names[1:1] = ["va", "vb", "vc", "vuf"]
            widths[1:1] = [n_bus] * 4
            names.insert(6, "line_n")
            widths.insert(6, n_line)
        return names, widths

    def _sweep(
        self, load_p_mw, load_q_mvar, sgen_p_mw, chunk_steps, progress
    ) -> Iterator[tuple[slice, tuple]]:
        """Check the inputs (at once), then the chunks of steps in time order: their rows
        and what :meth:`_solve` needs (load and generation of the chunk, the voltages the next
        step starts from, the chunk's iteration counts); progress reported after each."""
        from gridv2x.powerflow.engine import _check_inputs

        asym = self.asymmetric
        loads, loads_q = _check_inputs(
            load_p_mw,
            load_q_mvar,
            sgen_p_mw,
            chunk_steps,
            asymmetric=asym,
            load_index=self.load_index,
            sgen_index=self.sgen_index,
        )
        n_steps = len(load_p_mw.index)
        self.iterations = np.zeros(n_steps, dtype=np.int64)
        pos_p = self.load_index.get_indexer(loads)
        pos_q = self.load_index.get_indexer(loads_q)
        sgen_pos = self.sgen_index.get_indexer(sgen_p_mw.columns) if sgen_p_mw is not None else None
        p_vals = _chunks(load_p_mw, loads, asym)  # chunk by chunk: no copy of the whole input
        q_vals = _chunks(load_q_mvar, loads_q, asym)
        s_vals = None if sgen_p_mw is None else sgen_p_mw.to_numpy(float)
        return self._prepared(n_steps, chunk_steps, p_vals, q_vals, pos_p, pos_q, s_vals,
                              sgen_pos, progress)  # fmt: skip

    def _prepared(
        self, n_steps, chunk_steps, p_vals, q_vals, pos_p, pos_q, s_vals, sgen_pos, progress
    ) -> Iterator[tuple[slice, tuple]]:
        """The chunks of :meth:`_sweep`, their inputs formed one chunk at a time."""
        v = self._v_start.copy()  # each step starts from the previous step's solution
        for start in range(0, n_steps, chunk_steps):
            stop = min(start + chunk_steps, n_steps)
            sl = slice(start, stop)
            p, q, gen = self._inputs(p_vals(sl), q_vals(sl), pos_p, pos_q, s_vals, sgen_pos, sl)
            yield sl, (p, q, gen, v, self.iterations[sl])
            if progress is not None:
                progress(stop, n_steps)

    def _solve(self, chunk: tuple, out: Mapping[str, np.ndarray]) -> None:
        """Solve a chunk that :meth:`_sweep` prepared into the tables ``out`` (its rows)."""
        p, q, gen, v, iterations = chunk
        names, _ = self._tables()
        common = (p, q, self._load_pos, self._load_scales)
        outputs = (
            *(out[name] for name in names),
            out["losses"],
            out["converged"],
            iterations,
        )
        if self.asymmetric:
            radial_kernels.run_sequences(
                *common, gen, self._gen_pos, self._gen_scale, self._static, v,
                self._v_start, *self._tree_args, self.error_tolerance, self.max_iterations,
                *self._branch_args, *outputs,
            )  # fmt: skip
        else:
            n_free, par, ipiv, ykp, lpk = self._tree_args
            radial_kernels.run_balanced(
                *common, self._has_zip, gen, self._gen_pos, self._gen_scale, self._static,
                v, self._v_start, n_free[0], par, ipiv[0], ykp[0], lpk[0],
                self.error_tolerance, self.max_iterations, *self._branch_args, *outputs,
            )  # fmt: skip

    def _result(self, out: Mapping[str, np.ndarray], index: pd.Index) -> TimeseriesResult:
        """The tables ``out`` over the steps ``index`` as a TimeseriesResult (no copies)."""
        from gridv2x.powerflow.engine import TimeseriesResult

        def frame(values, columns):
            return pd.DataFrame(values, index=index, columns=columns, copy=False)

        result = TimeseriesResult(
            vm_pu=frame(out["vm"], self.bus_index),
            line_loading_percent=frame(out["line_pct"], self.line_index),
            trafo_loading_percent=frame(out["tr_pct"], self.trafo_index),
            trafo_p_mw=frame(out["tr_p"], self.trafo_index),
            line_i_ka=frame(out["line_i"], self.line_index),
            losses_mw=pd.Series(out["losses"], index=index, name="losses_mw", copy=False),
            converged=pd.Series(out["converged"], index=index, name="converged", copy=False),
            engine="radial",
            asymmetric=self.asymmetric,
        )
        if self.asymmetric:
            result.vm_a_pu = frame(out["va"], self.bus_index)
            result.vm_b_pu = frame(out["vb"], self.bus_index)
            result.vm_c_pu = frame(out["vc"], self.bus_index)
            result.vuf_pct = frame(out["vuf"], self.bus_index)
            result.line_i_n_ka = frame(out["line_n"], self.line_index)
        return result

    # ------------------------------------------------------------------ internals
    def _inputs(self, p, q, pos_p, pos_q, s_vals, sgen_pos, sl):
        """Load power of every load and generation of every sgen for one chunk, C-ordered."""
        m = p.shape[0]
        base_p, base_q = self._load_base
        n_load = len(self.load_index)
        every = len(pos_p) == n_load and (pos_p == np.arange(n_load)).all()
        every_q = len(pos_q) == n_load and (pos_q == np.arange(n_load)).all()
        shape: tuple[int, ...]
        if self.asymmetric:
            shape, base_p, base_q = (m, n_load, 3), base_p[:, None] / 3, base_q[:, None] / 3
        else:
            shape = (m, n_load)
        if every:
            full_p = np.ascontiguousarray(p, dtype=float)
        else:
            full_p = np.broadcast_to(base_p, shape).copy()
            full_p[:, pos_p] = p
        if every_q:
            full_q = np.ascontiguousarray(q, dtype=float)
        else:
            full_q = np.broadcast_to(base_q, shape).copy()
            full_q[:, pos_q] = q
        gen = np.broadcast_to(self._sgen_base_p, (m, len(self.sgen_index))).copy()
        if s_vals is not None and len(sgen_pos):
            gen[:, sgen_pos] = s_vals[sl]
        return full_p, full_q, gen
