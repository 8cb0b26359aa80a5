"""Time-series load flow: power-grid-model batch calculation, pandapower as the reference.

The feeder is converted once (:func:`gridv2x.powerflow.convert.convert_net`); every time step is
one scenario of a power-grid-model (PGM) batch calculation in which only the loads (and static
generators) change. The period is cut into chunks of ``chunk_steps`` steps so that memory stays
bounded whatever the length of the period; a step whose Newton-Raphson iteration does not converge
is marked ``converged = False`` (its results are NaN) and never raises.

References
----------
.. [1] Xiang, Y., Salemink, P., Stoeller, B., Bharambe, N., van Westering, W. (2023).
   "Power grid model: a high-performance distribution grid calculation library".
   27th International Conference on Electricity Distribution (CIRED 2023).
.. [2] power-grid-model documentation, "Calculations: batch calculation",
   https://power-grid-model.readthedocs.io/en/stable/user_manual/calculations.html
.. [3] Thurner, L. et al. (2018). "pandapower - an open-source Python tool for convenient
   modeling, analysis, and optimization of electric power systems". IEEE Trans. Power Syst. 33(6).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from power_grid_model import PowerGridModel

from gridv2x.conventions import PHASES
from gridv2x.errors import InputError
from gridv2x.powerflow.convert import (
    IDEAL_SOURCE_SK_VA,
    _tap_active,
    convert_net,
    fill_zero_sequence,
)

__all__ = [
    "TimeseriesResult",
    "TimeseriesEngine",
    "run_timeseries",
    "prepare_net",
    "DEFAULT_CHUNK_STEPS",
    "ENGINES",
    "build_engine",
    "timeseries_engine",
]

DEFAULT_CHUNK_STEPS = 2880
"""Steps per PGM batch call: 30 days at 15 min [-]. Bounds the memory of one call."""

ENGINES = ("auto", "radial", "pgm", "pandapower")
"""Allowed values of ``engine``: ``"auto"`` is the radial engine for a radial feeder, else pgm."""

METHODS = ("iterative_current", "newton_raphson")
"""PGM power-flow methods the engine offers."""

SLACK_TOLERANCE_PU = 1e-9
"""Asymmetric runs: allowed deviation of the slack's positive-sequence voltage [pu]."""

MAX_SLACK_PASSES = 4
"""Asymmetric runs: at most this many re-solves to hold the slack voltage [-]."""

_A = np.exp(2j * np.pi / 3)


@dataclass
class TimeseriesResult:
    """Results of a time-series load flow. Every table is indexed by the input time index.

    Attributes
    ----------
    vm_pu : pandas.DataFrame
        Voltage magnitude [pu] per bus (columns: pandapower bus index). For an asymmetric run the
        lowest of the three phase-to-neutral voltages (pu of ``vn_kv / sqrt(3)``). NaN for a bus
        without supply and for steps that did not converge.
    line_loading_percent : pandas.DataFrame
        Current of each line relative to ``max_i_ka * df * parallel`` [%] (higher end; for
        asymmetric runs the highest phase). NaN for lines out of service (as pandapower).
    trafo_loading_percent : pandas.DataFrame
        Transformer current relative to its rated current, the higher of the HV and LV side [%]
        (pandapower's ``trafo_loading="current"``; asymmetric: highest phase).
    trafo_p_mw : pandas.DataFrame
        Active power into each transformer at its HV side [MW] (positive = towards the LV grid).
    line_i_ka : pandas.DataFrame
        Line current, the higher end (asymmetric: highest phase) [kA].
    losses_mw : pandas.Series
        Total active losses in lines and transformers [MW].
    converged : pandas.Series
        Whether the load flow of each step converged (bool).
    vm_a_pu, vm_b_pu, vm_c_pu : pandas.DataFrame or None
        Asymmetric runs only: phase-to-neutral voltage per phase [pu].
    vuf_pct : pandas.DataFrame or None
        Asymmetric runs only: voltage unbalance factor, negative- over positive-sequence voltage
        [%] (IEC 61000-4-30 / EN 50160 definition).
    line_i_n_ka : pandas.DataFrame or None
        Asymmetric runs only: neutral (PEN) current of each line, the sum of its phase
        currents ``3 I0``, the higher end [kA]. NaN for lines out of service. The models
        (radial, pgm, ``runpp_3ph``) have no neutral conductor of their own: the return path
        is in the line's zero-sequence impedance, so this is the current it carries.
    engine : str
        ``"radial"``, ``"pgm"`` or ``"pandapower"``.
    asymmetric : bool
        Whether the run was per phase.
    """

    vm_pu: pd.DataFrame
    line_loading_percent: pd.DataFrame
    trafo_loading_percent: pd.DataFrame
    trafo_p_mw: pd.DataFrame
    line_i_ka: pd.DataFrame
    losses_mw: pd.Series
    converged: pd.Series
    vm_a_pu: pd.DataFrame | None = None
    vm_b_pu: pd.DataFrame | None = None
    vm_c_pu: pd.DataFrame | None = None
    vuf_pct: pd.DataFrame | None = None
    line_i_n_ka: pd.DataFrame | None = None
    engine: str = "pgm"
    asymmetric: bool = False

    @property
    def converged_share(self) -> float:
        """Share of steps that converged [-]."""
        return float(self.converged.mean()) if len(self.converged) else 1.0


# --------------------------------------------------------------------------- input handling


def prepare_net(
    net,
    *,
    asymmetric: bool = False,
    slack_vm_pu: float | None = None,
    trafo_tap_pos: int | None = None,
):
    """Return a copy of ``net`` with the scenario's slack voltage and tap position applied.

    Parameters
    ----------
    net : pandapowerNet
        The feeder (not modified).
    asymmetric : bool
        Fill missing zero-sequence data (:func:`gridv2x.powerflow.convert.fill_zero_sequence`).
    slack_vm_pu : float, optional
        Voltage set-point of every ext_grid [pu]; None keeps the net's ``vm_pu``.
    trafo_tap_pos : int, optional
        Tap position of every transformer [-]; None keeps the net's ``tap_pos``. Where the net has
        no ``tap_changer_type`` and the tap is away from neutral, ``"Ratio"`` is set so that the
        tap acts (pandapower 3 ignores ``tap_pos`` without it).

    Returns
    -------
    pandapowerNet
    """
    net = copy.deepcopy(net)
    if slack_vm_pu is not None:
        if not 0.5 <= float(slack_vm_pu) <= 1.5:
            raise InputError(f"slack_vm_pu must be between 0.5 and 1.5 pu; given {slack_vm_pu!r}")
        net.ext_grid["vm_pu"] = float(slack_vm_pu)
    if trafo_tap_pos is not None and len(net.trafo):
        tap = int(trafo_tap_pos)
        if tap != trafo_tap_pos:
            raise InputError(f"trafo_tap_pos must be a whole number; given {trafo_tap_pos!r}")
        low = net.trafo["tap_min"].min() if "tap_min" in net.trafo else np.nan
        high = net.trafo["tap_max"].max() if "tap_max" in net.trafo else np.nan
        if (np.isfinite(low) and tap < low) or (np.isfinite(high) and tap > high):
            raise InputError(
                f"trafo_tap_pos {tap} is outside the transformers' tap range [{low:g}, {high:g}]"
            )
        net.trafo["tap_pos"] = float(tap)
    if len(net.trafo):
        active = _tap_active(net.trafo)
        if "tap_changer_type" not in net.trafo:
            net.trafo["tap_changer_type"] = None
        ttype = net.trafo["tap_changer_type"].astype(object)
        untyped = (ttype.isna() | (ttype.astype(str) == "None")).to_numpy()
        ttype[active & untyped] = "Ratio"
        net.trafo["tap_changer_type"] = ttype
    if asymmetric:
        notes = fill_zero_sequence(net)
        if notes:
            warnings.warn(
                "zero-sequence data assumed: " + "; ".join(notes),
                stacklevel=2,
            )
    return net


def _check_frame(name: str, frame, *, asymmetric: bool, allowed: pd.Index, what: str):
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame [time x {what}]; given {type(frame)}")
    cols = frame.columns
    if asymmetric:
        if not isinstance(cols, pd.MultiIndex) or cols.nlevels != 2:
            raise InputError(
                f"{name}: an asymmetric load flow needs MultiIndex columns ({what} index, phase) "
                f"with phase in 'a', 'b', 'c'; given columns {list(cols[:5])}..."
            )
        phases = set(cols.get_level_values(1))
        if not phases <= set(PHASES):
            raise InputError(
                f"{name}: phases must be 'a', 'b' or 'c'; given {sorted(map(str, phases))}"
            )
        elements = pd.Index(cols.get_level_values(0).unique())
    else:
        if isinstance(cols, pd.MultiIndex):
            raise InputError(
                f"{name}: a balanced load flow needs one column per {what} index; given "
                "MultiIndex columns (pass asymmetric=True for per-phase input)"
            )
        if cols.has_duplicates:
            raise InputError(f"{name}: duplicate columns {list(cols[cols.duplicated()][:5])}")
        elements = pd.Index(cols)
    unknown = elements.difference(allowed)
    if len(unknown):
        raise InputError(
            f"{name}: columns {list(unknown[:5])} are not {what} indices of the net; allowed: "
            f"{list(allowed[:10])}{'...' if len(allowed) > 10 else ''}"
        )
    values = frame.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise InputError(f"{name} contains NaN or infinite values; every value must be finite")
    return elements


def _check_inputs(
    load_p_mw,
    load_q_mvar,
    sgen_p_mw,
    chunk_steps,
    *,
    asymmetric: bool,
    load_index: pd.Index,
    sgen_index: pd.Index,
) -> tuple[pd.Index, pd.Index]:
    """Check a time-series call's inputs (every engine's); the load columns of p and q."""
    loads = _check_frame(
        "load_p_mw", load_p_mw, asymmetric=asymmetric, allowed=load_index, what="load"
    )
    loads_q = _check_frame(
        "load_q_mvar", load_q_mvar, asymmetric=asymmetric, allowed=load_index, what="load"
    )
    if not load_p_mw.index.equals(load_q_mvar.index):
        raise InputError("load_p_mw and load_q_mvar must have the same time index")
    if sgen_p_mw is not None:
        if asymmetric and isinstance(sgen_p_mw.columns, pd.MultiIndex):
            raise InputError("sgen_p_mw: static generators are balanced; one column per sgen")
        _check_frame("sgen_p_mw", sgen_p_mw, asymmetric=False, allowed=sgen_index, what="sgen")
        if not sgen_p_mw.index.equals(load_p_mw.index):
            raise InputError("sgen_p_mw must have the same time index as load_p_mw")
    if not isinstance(chunk_steps, int | np.integer) or chunk_steps < 1:
        raise InputError(f"chunk_steps must be a whole number >= 1; given {chunk_steps!r}")
    return loads, loads_q


def _phase_matrix(frame: pd.DataFrame, elements: pd.Index) -> np.ndarray:
    """(time, element, phase) array of a (element, phase) MultiIndex frame; absent phases 0."""
    cols = frame.columns
    if len(cols) == 3 * len(elements) and cols.equals(
        pd.MultiIndex.from_product([elements, list(PHASES)])
    ):  # every element with a, b, c in order: a reshape
        return frame.to_numpy(dtype=float).reshape(len(frame), len(elements), 3)
    out = np.zeros((len(frame), len(elements), 3))
    pos = elements.get_indexer(frame.columns.get_level_values(0))
    ph = pd.Index(PHASES).get_indexer(frame.columns.get_level_values(1))
    out[:, pos, ph] = frame.to_numpy(dtype=float)
    return out


# --------------------------------------------------------------------------- engine


def pgm_threading(threads: int) -> int:
    """power-grid-model's ``threading`` argument for our ``threads`` convention.

    gridv2x: ``-1`` all hardware threads, ``0`` one thread, ``n > 0`` that many threads.
    power-grid-model (``calculate_power_flow(threading=...)``): ``< 0`` sequential, ``0`` all
    hardware threads, ``n > 0`` that many threads. Passing ours through unchanged once made
    every dask worker (``threads=0``) run on all cores, two workers on two cores fighting
    over them, and a single process (``threads=-1``) run sequentially.
    """
    threads = int(threads)
    if threads < -1:
        raise InputError(f"threads must be -1 (all), 0 (one) or a positive count; given {threads}")
    return {-1: 0, 0: -1}.get(threads, threads)


class TimeseriesEngine:
    """Power-grid-model time-series engine for one feeder, built once and run per batch.

    Parameters
    ----------
    net : pandapowerNet
        The feeder. Read once at construction; later changes to ``net`` are not seen. For an
        asymmetric engine, missing zero-sequence data are assumed (:func:`prepare_net`).
    asymmetric : bool
        Per-phase (three-phase asymmetric) load flow with ``asym_load`` loads.
    error_tolerance : float
        Newton-Raphson convergence tolerance on the voltage [pu].
    max_iterations : int
        Newton-Raphson iterations before a step is declared not converged [-].
    threads : int
        Threads of the batch calculation: -1 all hardware threads, 0 one thread (sequential),
        n > 0 that many threads. (power-grid-model's own ``threading`` argument counts the
        other way round, see :func:`pgm_threading`.)
    method : {"iterative_current", "newton_raphson"}
        PGM power-flow method. ``"iterative_current"`` (default) factorises the admittance
        matrix once for the whole batch and is 2-2.5x faster on LV feeders; it converges to the
        same solution (within ``error_tolerance``). Steps it does not solve within 100
        iterations are solved again with Newton-Raphson (``max_iterations``), so a step is only
        reported not converged when Newton-Raphson fails too.

    Notes
    -----
    Asymmetric runs re-solve each batch (typically twice more) when the external grid has a
    finite short-circuit power: pandapower's ``runpp_3ph`` keeps the positive-sequence slack
    voltage ideal and uses the short-circuit impedance for the negative and zero sequence only,
    while a PGM source has one impedance for all sequences. Each re-solve moves every step's
    source voltage by the remaining positive-sequence deviation, so the slack bus holds its
    set-point (to 1e-9 pu) while the negative- and zero-sequence impedances stay the grid's.

    Examples
    --------
    >>> engine = TimeseriesEngine(net)                         # doctest: +SKIP
    >>> result = engine.run(load_p_mw, load_q_mvar)            # doctest: +SKIP
    >>> result.vm_pu.min().min()                               # doctest: +SKIP
    """

    def __init__(
        self,
        net,
        asymmetric: bool = False,
        *,
        error_tolerance: float = 1e-8,
        max_iterations: int = 20,
        threads: int = -1,
        method: str = "iterative_current",
    ) -> None:
        self.asymmetric = bool(asymmetric)
        self.error_tolerance = float(error_tolerance)
        self.max_iterations = int(max_iterations)
        if method not in METHODS:
            raise InputError(f"method must be one of {', '.join(METHODS)}; given {method!r}")
        self.method = method
        pgm_threading(threads)  # validates
        self.threads = int(threads)
        if self.asymmetric:
            net = prepare_net(net, asymmetric=True)
        self.model = convert_net(net, asymmetric=self.asymmetric)
        self._pgm = PowerGridModel(
            self.model.input_data, system_frequency=float(net.get("f_hz", 50.0) or 50.0)
        )
        m = self.model
        self._load_base_p = net.load["p_mw"].to_numpy(float) if len(net.load) else np.zeros(0)
        self._load_base_q = net.load["q_mvar"].to_numpy(float) if len(net.load) else np.zeros(0)
        self._sgen_base_p = net.sgen["p_mw"].to_numpy(float) if len(net.sgen) else np.zeros(0)
        n_rows = len(m.input_data[m.load_component])
        self._load_ids = m.input_data[m.load_component]["id"][: len(m.load_rows)]
        self._n_load_rows_total = n_rows
        self._sgen_ids = m.input_data["sym_gen"]["id"][: len(m.sgen_index)]
        line, trafo = m.input_data["line"], m.input_data["transformer"]
        self._line_off = ~(line["from_status"].astype(bool) | line["to_status"].astype(bool))
        self._trafo_off = ~(trafo["from_status"].astype(bool) | trafo["to_status"].astype(bool))
        src = m.input_data["source"]
        self._src_correct = bool(self.asymmetric and np.any(src["sk"] < IDEAL_SOURCE_SK_VA))
        self._src_node_pos = np.searchsorted(m.input_data["node"]["id"], src["node"])
        self._y0 = None
        if m.trafo_y0_shunt is not None and np.any(m.trafo_y0_shunt != 0):
            self._y0 = m.trafo_y0_shunt
            to_node = m.input_data["transformer"]["to_node"]
            self._trafo_lv_pos = np.searchsorted(m.input_data["node"]["id"], to_node)
        node_ids = m.input_data["node"]["id"]
        self._line_f_pos = np.searchsorted(node_ids, line["from_node"])
        self._line_t_pos = np.searchsorted(node_ids, line["to_node"])

    # ------------------------------------------------------------------ public
    def run(
        self,
        load_p_mw: pd.DataFrame,
        load_q_mvar: pd.DataFrame,
        *,
        sgen_p_mw: pd.DataFrame | None = None,
        chunk_steps: int = DEFAULT_CHUNK_STEPS,
        progress: Callable[[int, int], None] | None = None,
    ) -> TimeseriesResult:
        """Run the load flow for every step of the given load profiles.

        Parameters
        ----------
        load_p_mw, load_q_mvar : pandas.DataFrame
            Active [MW] and reactive [Mvar] power of the loads, indexed by time. Balanced: one
            column per pandapower ``load`` index. Asymmetric: MultiIndex columns
            ``(load index, phase)``, phase in ``"a", "b", "c"``, value per phase (absent phases
            of a given load are 0). Loads not in the columns keep the net's ``p_mw``/``q_mvar``.
            The net's ``scaling`` multiplies the values, as in pandapower.
        sgen_p_mw : pandas.DataFrame, optional
            Active power of static generators [MW] (generation positive), one column per
            pandapower ``sgen`` index; others keep the net's values. ``q_mvar`` stays as in the net.
        chunk_steps : int
            Steps per batch calculation; bounds the memory of one call [-].
        progress : callable, optional
            ``progress(done_steps, total_steps)`` after every chunk.

        Returns
        -------
        TimeseriesResult
        """
        m = self.model
        loads, loads_q = _check_inputs(
            load_p_mw,
            load_q_mvar,
            sgen_p_mw,
            chunk_steps,
            asymmetric=self.asymmetric,
            load_index=m.load_index,
            sgen_index=m.sgen_index,
        )

        index = load_p_mw.index
        n_steps = len(index)
        n_bus, n_line, n_tr = len(m.bus_index), len(m.line_index), len(m.trafo_index)
        vm = np.full((n_steps, n_bus), np.nan)
        vm_ph = np.full((n_steps, n_bus, 3), np.nan) if self.asymmetric else None
        vuf = np.full((n_steps, n_bus), np.nan) if self.asymmetric else None
        line_i = np.full((n_steps, n_line), np.nan)
        line_i_n = np.full((n_steps, n_line), np.nan) if self.asymmetric else None
        tr_load = np.full((n_steps, n_tr), np.nan)
        tr_p = np.full((n_steps, n_tr), np.nan)
        losses = np.full(n_steps, np.nan)
        converged = np.zeros(n_steps, dtype=bool)

        load_pos_p = m.load_index.get_indexer(loads)
        load_pos_q = m.load_index.get_indexer(loads_q)
        sgen_pos = m.sgen_index.get_indexer(sgen_p_mw.columns) if sgen_p_mw is not None else None

        for start in range(0, n_steps, chunk_steps):
            stop = min(start + chunk_steps, n_steps)
            sl = slice(start, stop)
            update = self._update(
                load_p_mw.iloc[sl],
                load_q_mvar.iloc[sl],
                loads,
                loads_q,
                load_pos_p,
                load_pos_q,
                None if sgen_p_mw is None else sgen_p_mw.iloc[sl],
                sgen_pos,
            )
            out, ok = self._calculate(update, stop - start)
            self._collect(out, ok, sl, vm, vm_ph, vuf, line_i, tr_load, tr_p, losses, line_i_n)
            converged[sl] = ok
            if progress is not None:
                progress(stop, n_steps)

        def frame(values, columns):
            return pd.DataFrame(values, index=index, columns=columns)

        line_i_ka = line_i / 1e3
        with np.errstate(invalid="ignore", divide="ignore"):
            line_loading = line_i / m.line_i_max_a * 100
        result = TimeseriesResult(
            vm_pu=frame(vm, m.bus_index),
            line_loading_percent=frame(line_loading, m.line_index),
            trafo_loading_percent=frame(tr_load, m.trafo_index),
            trafo_p_mw=frame(tr_p, m.trafo_index),
            line_i_ka=frame(line_i_ka, m.line_index),
            losses_mw=pd.Series(losses, index=index, name="losses_mw"),
            converged=pd.Series(converged, index=index, name="converged"),
            engine="pgm",
            asymmetric=self.asymmetric,
        )
        if self.asymmetric:
            assert vm_ph is not None and line_i_n is not None  # allocated for asymmetric runs
            result.vm_a_pu = frame(vm_ph[:, :, 0], m.bus_index)
            result.vm_b_pu = frame(vm_ph[:, :, 1], m.bus_index)
            result.vm_c_pu = frame(vm_ph[:, :, 2], m.bus_index)
            result.vuf_pct = frame(vuf, m.bus_index)
            result.line_i_n_ka = frame(line_i_n / 1e3, m.line_index)
        return result

    # ------------------------------------------------------------------ internals
    def _update(self, p, q, loads, loads_q, pos_p, pos_q, sgen_p, sgen_pos) -> dict:
        m = self.model
        n = len(p)
        rows = m.load_rows
        update: dict = {}
        if len(rows):
            if self.asymmetric:
                full_p = np.repeat((self._load_base_p / 3)[None, :, None], 3, axis=2)
                full_p = np.broadcast_to(full_p, (n, len(m.load_index), 3)).copy()
                full_q = np.repeat((self._load_base_q / 3)[None, :, None], 3, axis=2)
                full_q = np.broadcast_to(full_q, (n, len(m.load_index), 3)).copy()
                full_p[:, pos_p, :] = _phase_matrix(p, loads)
                full_q[:, pos_q, :] = _phase_matrix(q, loads_q)
                share_p = m.load_share_p[None, :, None] * 1e6
                share_q = m.load_share_q[None, :, None] * 1e6
            else:
                full_p = np.broadcast_to(self._load_base_p, (n, len(m.load_index))).copy()
                full_q = np.broadcast_to(self._load_base_q, (n, len(m.load_index))).copy()
                full_p[:, pos_p] = p.to_numpy(dtype=float)
                full_q[:, pos_q] = q.to_numpy(dtype=float)
                share_p = m.load_share_p[None, :] * 1e6
                share_q = m.load_share_q[None, :] * 1e6
            update[m.load_component] = {
                "id": np.broadcast_to(self._load_ids, (n, len(rows))),
                "p_specified": np.ascontiguousarray(full_p[:, rows] * share_p),
                "q_specified": np.ascontiguousarray(full_q[:, rows] * share_q),
            }
        if sgen_p is not None and len(sgen_pos):
            full = np.broadcast_to(self._sgen_base_p, (n, len(m.sgen_index))).copy()
            full[:, sgen_pos] = sgen_p.to_numpy(dtype=float)
            update["sym_gen"] = {
                "id": np.broadcast_to(self._sgen_ids, (n, len(m.sgen_index))),
                "p_specified": np.ascontiguousarray(full * m.sgen_scaling[None, :] * 1e6),
            }
        return update

    def _calculate(self, update: dict, n: int) -> tuple[dict, np.ndarray]:
        node_attrs = ["energized", "u_pu"] + (["u", "u_angle"] if self.asymmetric else [])
        branch_attrs = ["i_from", "i_to", "p_from", "p_to"]
        trafo_attrs = branch_attrs + (["q_to"] if self._y0 is not None else [])
        line_attrs = branch_attrs + (["q_from", "q_to"] if self.asymmetric else [])
        outputs = {"node": node_attrs, "line": line_attrs, "transformer": trafo_attrs}
        if not update:
            # nothing changes: a batch of identical steps still needs a batch dimension
            comp = self.model.load_component
            ids = self.model.input_data[comp]["id"]
            update = {comp: {"id": np.broadcast_to(ids, (n, len(ids)))}}
        e0 = None
        if self._src_correct:
            e0 = self._slack_first_guess(update, n)
            update = dict(update)
            update["source"] = self._source_update(e0)
        out, ok = self._solve(update, outputs, n)
        if self._src_correct:
            out, ok = self._hold_slack_positive_sequence(update, outputs, out, ok, e0)
        return out, ok

    def _source_update(self, e: np.ndarray) -> dict:
        src = self.model.input_data["source"]
        return {
            "id": np.broadcast_to(src["id"], (len(e), len(src))),
            "u_ref": np.abs(e),
            "u_ref_angle": np.angle(e),
        }

    def _slack_first_guess(self, update: dict, n: int) -> np.ndarray:
        """Source voltages [pu] that hold the slack near its set-point before any solve.

        ``E = V_set + Z_s I_1`` with ``I_1`` estimated from the step's total load and
        generation at the set-point voltage (losses neglected): in per unit
        ``Z_s I_1 = z_hat conj(S) / (sk conj(V_set))`` with ``z_hat`` the unit source impedance
        of R/X ``rx_ratio``. Only for a single source; otherwise the set-point itself.
        """
        src = self.model.input_data["source"]
        target = src["u_ref"] * np.exp(1j * src["u_ref_angle"])
        e = np.broadcast_to(target, (n, len(src))).astype(complex)
        if len(src) != 1:
            return e
        comp = self.model.load_component
        loads = self.model.input_data[comp]
        total = np.zeros(n, dtype=complex)
        n_upd = 0
        if comp in update:
            upd = update[comp]
            p, q = upd["p_specified"], upd["q_specified"]
            if p.ndim == 3:
                p, q = p.sum(axis=2), q.sum(axis=2)
            total += p.sum(axis=1) + 1j * q.sum(axis=1)
            n_upd = p.shape[1]
        rest_p, rest_q = loads["p_specified"][n_upd:], loads["q_specified"][n_upd:]
        total += complex(np.sum(rest_p), np.sum(rest_q))
        for gen_comp in ("sym_gen", "asym_gen"):
            if gen_comp not in self.model.input_data:
                continue
            gens = self.model.input_data[gen_comp]
            if gen_comp in update and "p_specified" in update[gen_comp]:
                g = update[gen_comp]["p_specified"]
                total -= g.reshape(n, -1).sum(axis=1)
                total -= 1j * np.sum(gens["q_specified"])
            else:
                total -= complex(np.sum(gens["p_specified"]), np.sum(gens["q_specified"]))
        rx = float(src["rx_ratio"][0])
        z_hat = (rx + 1j) / np.sqrt(1 + rx**2)
        drop = z_hat * np.conj(total) / (float(src["sk"][0]) * np.conj(target[0]))
        return e + drop[:, None]

    def _source_v1(self, out) -> np.ndarray:
        """Positive-sequence voltage at the source nodes [pu], shape (steps, sources)."""
        u = out["node"]["u_pu"][:, self._src_node_pos]
        phasors = u * np.exp(1j * out["node"]["u_angle"][:, self._src_node_pos])
        return (phasors[..., 0] + _A * phasors[..., 1] + _A**2 * phasors[..., 2]) / 3

    def _hold_slack_positive_sequence(self, update, outputs, out, ok, e0):
        """Re-solve with source voltages moved so the slack holds its positive-sequence set-point.

        pandapower's ``runpp_3ph`` keeps the positive sequence of the slack ideal; a PGM source
        has one impedance for all sequences. Each pass moves the source voltage ``E`` of every
        step by the remaining deviation ``d = V1_set - V1`` (accelerated with the ratio of
        successive deviations, Aitken) and re-solves the steps that still deviate by more than
        :data:`SLACK_TOLERANCE_PU`, at most :data:`MAX_SLACK_PASSES` times.
        """
        src = self.model.input_data["source"]
        target = src["u_ref"] * np.exp(1j * src["u_ref_angle"])
        e = e0.copy()
        previous = None
        for _ in range(MAX_SLACK_PASSES):
            dev = target - self._source_v1(out)
            dev = np.where(ok[:, None] & np.isfinite(dev), dev, 0.0)
            todo = np.flatnonzero(np.abs(dev).max(axis=1) > SLACK_TOLERANCE_PU)
            if not len(todo):
                break
            step = dev.copy()
            if previous is not None:
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio = np.where(np.abs(previous) > 0, dev / previous, 0.0)
                ratio = np.where(np.abs(ratio) < 0.5, ratio, 0.0)
                step = dev / (1 - ratio)
            e[todo] += step[todo]
            previous = dev
            sub = {comp: {k: v[todo] for k, v in d.items()} for comp, d in update.items()}
            sub["source"] = self._source_update(e[todo])
            sub_out, sub_ok = self._solve(sub, outputs, len(todo))
            for comp, attrs in sub_out.items():
                for attr, values in attrs.items():
                    out[comp][attr][todo] = values
            ok[todo] = sub_ok
        return out, ok

    def _solve(self, update: dict, outputs: dict, n: int) -> tuple[dict, np.ndarray]:
        """Solve a batch: iterative current first, Newton-Raphson for the steps it missed."""
        out, ok = self._batch(update, outputs, n, self.method)
        if self.method != "newton_raphson" and not ok.all():
            todo = np.flatnonzero(~ok)
            sub = {comp: {k: v[todo] for k, v in d.items()} for comp, d in update.items()}
            sub_out, sub_ok = self._batch(sub, outputs, len(todo), "newton_raphson")
            for comp, attrs in sub_out.items():
                for attr, values in attrs.items():
                    out[comp][attr][todo] = values
            ok[todo] = sub_ok
        return out, ok

    def _batch(self, update: dict, outputs: dict, n: int, method: str):
        out = self._pgm.calculate_power_flow(
            symmetric=not self.asymmetric,
            error_tolerance=self.error_tolerance,
            max_iterations=self.max_iterations if method == "newton_raphson" else 100,
            calculation_method=method,
            update_data=update,
            threading=pgm_threading(self.threads),
            output_component_types=outputs,
            continue_on_batch_error=True,
        )
        ok = np.ones(n, dtype=bool)
        err = self._pgm.batch_error
        if err is not None:
            ok[np.asarray(err.failed_scenarios, dtype=int)] = False
        return out, ok

    def _collect(
        self, out, ok, sl, vm, vm_ph, vuf, line_i, tr_load, tr_p, losses, line_i_n=None
    ) -> None:
        m = self.model
        node = out["node"]
        live = node["energized"].astype(bool)
        u_pu = np.where(live if not self.asymmetric else live[..., None], node["u_pu"], np.nan)
        if self.asymmetric:
            vm_ph[sl] = u_pu
            vm[sl] = u_pu.min(axis=2)
            phasors = node["u"] * np.exp(1j * node["u_angle"])
            v1 = (phasors[..., 0] + _A * phasors[..., 1] + _A**2 * phasors[..., 2]) / 3
            v2 = (phasors[..., 0] + _A**2 * phasors[..., 1] + _A * phasors[..., 2]) / 3
            with np.errstate(invalid="ignore", divide="ignore"):
                vuf[sl] = np.where(live, np.abs(v2) / np.abs(v1) * 100, np.nan)
        else:
            vm[sl] = u_pu
        total = np.zeros(ok.shape[0])
        if len(m.line_index):
            ln = out["line"]
            i = np.maximum(ln["i_from"], ln["i_to"])
            pl = ln["p_from"] + ln["p_to"]
            if self.asymmetric:
                i, pl = i.max(axis=2), pl.sum(axis=2)
            line_i[sl] = np.where(self._line_off, np.nan, i)
            if line_i_n is not None:
                line_i_n[sl] = np.where(self._line_off, np.nan, self._neutral_current(node, ln))
            total += pl.sum(axis=1)
        if len(m.trafo_index):
            tr = out["transformer"]
            i_hv, i_lv, p_hv = tr["i_from"], tr["i_to"], tr["p_from"]
            pl = tr["p_from"] + tr["p_to"]
            if self._y0 is not None:
                i_lv, pl = self._with_zero_sequence_shunt(node, tr, i_lv, pl)
            if self.asymmetric:
                i_hv, i_lv = i_hv.max(axis=2), i_lv.max(axis=2)
                p_hv, pl = p_hv.sum(axis=2), pl.sum(axis=2)
            with np.errstate(invalid="ignore", divide="ignore"):
                tr_load[sl] = (
                    np.maximum(i_hv / m.trafo_i_rated_a[:, 0], i_lv / m.trafo_i_rated_a[:, 1]) * 100
                )
            tr_p[sl] = p_hv / 1e6
            tr_load[sl] = np.where(self._trafo_off, np.nan, tr_load[sl])
            tr_p[sl] = np.where(self._trafo_off, np.nan, tr_p[sl])
            total += pl.sum(axis=1)
        losses[sl] = total / 1e6
        bad = np.flatnonzero(~ok) + sl.start
        if len(bad):
            for arr in (vm, line_i, tr_load, tr_p, losses, vm_ph, vuf, line_i_n):
                if arr is not None:
                    arr[bad] = np.nan

    def _neutral_current(self, node, ln) -> np.ndarray:
        """Sum of the phase currents ``|Ia + Ib + Ic| = |3 I0|`` of each line, higher end [A].

        power-grid-model reports per-phase current magnitudes only; the phasors follow from
        each end's per-phase power and its node's phase voltage, ``I = conj(S / V)``. Its
        model has no neutral conductor (the return path is in the line's zero-sequence
        impedance), so this is the return current, as the radial engine and ``runpp_3ph``.
        """
        u = node["u"] * np.exp(1j * node["u_angle"])  # phase voltages [V] (steps, nodes, 3)
        out = np.zeros(ln["p_from"].shape[:2])
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for end, pos in (("from", self._line_f_pos), ("to", self._line_t_pos)):
                s = ln[f"p_{end}"] + 1j * ln[f"q_{end}"]
                i_n = np.abs(np.conj(s / u[:, pos]).sum(axis=2))
                out = np.fmax(out, np.where(np.isfinite(i_n), i_n, np.nan))
        return out

    def _with_zero_sequence_shunt(self, node, tr, i_lv, pl):
        """Add the current and losses of the Dyn zero-sequence shunts to their trafos.

        pandapower counts its zero-sequence branch of a Dyn trafo as part of the trafo, so the
        LV-side current is ``I_to + y0 * V0`` per phase (``V0`` zero-sequence voltage of the LV
        node) and the shunt's active power adds to the trafo losses.
        """
        v = node["u"][:, self._trafo_lv_pos] * np.exp(1j * node["u_angle"][:, self._trafo_lv_pos])
        s_to = tr["p_to"] + 1j * tr["q_to"]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            i_to = np.conj(s_to / v)  # current into the trafo at its LV side, per phase [A]
        y0 = self._y0
        assert y0 is not None  # called only for feeders with Dyn zero-sequence shunts
        v0 = v.mean(axis=2, keepdims=True)
        i_sh = y0[None, :, None] * v0
        has = (y0 != 0)[None, :, None]
        with np.errstate(invalid="ignore", over="ignore"):
            i_lv = np.where(has, np.abs(i_to + i_sh), i_lv)
            pl = pl + np.real(v * np.conj(i_sh))
        return i_lv, pl


# --------------------------------------------------------------------------- entry point


def build_engine(
    net,
    engine: str = "auto",
    *,
    asymmetric: bool = False,
    threads: int = -1,
    error_tolerance: float = 1e-8,
    copy_net: bool = True,
):
    """The time-series engine of ``engine`` for a prepared feeder, built once and run per period.

    Parameters
    ----------
    net : pandapowerNet
        The feeder (:func:`prepare_net` applied).
    engine : {"auto", "radial", "pgm"}
        ``"auto"``: the radial engine (:class:`gridv2x.powerflow.radial.RadialEngine`) when the
        in-service feeder is a tree around one external grid, power-grid-model otherwise.
    asymmetric, threads, error_tolerance
        As :class:`TimeseriesEngine` (the radial engine runs on one thread).
    copy_net : bool
        False: ``net`` is a private copy the radial engine may change (saves a deep copy).

    Returns
    -------
    RadialEngine or TimeseriesEngine
        Both have ``run(load_p_mw, load_q_mvar, *, sgen_p_mw, chunk_steps, progress)``.
    """
    if engine not in ("auto", "radial", "pgm"):
        raise InputError(f"engine must be one of auto, radial, pgm here; given {engine!r}")
    if engine in ("auto", "radial"):
        from gridv2x.powerflow.radial import NotRadialError, RadialEngine

        try:
            return RadialEngine(
                net, asymmetric=asymmetric, error_tolerance=error_tolerance, copy_net=copy_net
            )
        except NotRadialError:
            if engine == "radial":
                raise
    return TimeseriesEngine(
        net, asymmetric=asymmetric, threads=threads, error_tolerance=error_tolerance
    )


def run_timeseries(
    net,
    load_p_mw: pd.DataFrame,
    load_q_mvar: pd.DataFrame,
    *,
    sgen_p_mw: pd.DataFrame | None = None,
    engine: str = "auto",
    asymmetric: bool = False,
    slack_vm_pu: float | None = None,
    trafo_tap_pos: int | None = None,
    chunk_steps: int = DEFAULT_CHUNK_STEPS,
    progress: Callable[[int, int], None] | None = None,
    threads: int = -1,
    error_tolerance_pu: float = 1e-8,
) -> TimeseriesResult:
    """Time-series load flow of a feeder for given load (and generation) profiles.

    Parameters
    ----------
    net : pandapowerNet
        The feeder; not modified.
    load_p_mw, load_q_mvar : pandas.DataFrame
        Load active [MW] and reactive [Mvar] power, indexed by time. Balanced: one column per
        pandapower ``load`` index. Asymmetric: MultiIndex columns ``(load index, phase)`` with
        phase ``"a"``, ``"b"``, ``"c"`` and the value per phase. Loads not given keep the net's
        values; ``scaling`` multiplies as in pandapower. Load positive, EV discharge negative.
    sgen_p_mw : pandas.DataFrame, optional
        Static generator active power [MW], generation positive, one column per ``sgen`` index.
    engine : {"auto", "radial", "pgm", "pandapower"}
        ``"radial"``: the tree load flow of :mod:`gridv2x.powerflow.radial` (fastest; pandapower's
        network model; radial feeders with one external grid only). ``"pgm"``: power-grid-model
        batch calculation (any topology). ``"auto"`` (default): radial when the feeder is radial,
        pgm otherwise. ``"pandapower"``: pandapower's own Newton-Raphson step by step
        (``runpp``, or ``runpp_3ph`` when asymmetric), the reference.
    asymmetric : bool
        Per-phase load flow (single-phase customers and chargers). Lines need zero-sequence data;
        missing values are assumed (``r0 = 4 r1``, ``x0 = 4 x1``, ``c0 = c1``, with a warning).
    slack_vm_pu : float, optional
        Slack (ext_grid) voltage [pu]; None keeps the net's ``ext_grid.vm_pu``.
    trafo_tap_pos : int, optional
        Tap position of every transformer; None keeps the net's ``tap_pos``.
    chunk_steps : int
        Steps per batch calculation (memory bound) [-].
    progress : callable, optional
        ``progress(done_steps, total_steps)`` after every chunk (pgm) or step (pandapower).
    threads : int
        Threads of the pgm batch calculation: -1 all hardware threads, 0 one thread
        (sequential), n > 0 that many threads. (power-grid-model's own ``threading`` argument
        counts the other way round, see :func:`pgm_threading`.) The radial engine uses one.
    error_tolerance_pu : float
        ``"radial"``: largest voltage change of the last iteration [pu]; ``"pgm"``: convergence
        tolerance on the voltage [pu] (power-grid-model's ``error_tolerance``); pandapower uses
        its own.

    Returns
    -------
    TimeseriesResult
        Voltages, loadings, currents, losses and per-step convergence. A step that does not
        converge has ``converged = False`` and NaN results; it never raises.

    Raises
    ------
    gridv2x.errors.InputError
        For malformed inputs (unknown columns, NaN values, unsupported elements, bad engine).

    References
    ----------
    .. [1] power-grid-model batch calculation,
       https://power-grid-model.readthedocs.io/en/stable/user_manual/calculations.html
    """
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}; given {engine!r}")
    if not isinstance(asymmetric, bool | np.bool_):
        raise InputError(f"asymmetric must be true or false; given {asymmetric!r}")
    given = net
    net = prepare_net(
        given, asymmetric=asymmetric, slack_vm_pu=slack_vm_pu, trafo_tap_pos=trafo_tap_pos
    )
    if engine == "pandapower":
        from gridv2x.powerflow.reference import run_pandapower

        return run_pandapower(
            net,
            load_p_mw,
            load_q_mvar,
            sgen_p_mw=sgen_p_mw,
            asymmetric=asymmetric,
            progress=progress,
        )
    eng = timeseries_engine(
        given,
        engine=engine,
        asymmetric=asymmetric,
        slack_vm_pu=slack_vm_pu,
        trafo_tap_pos=trafo_tap_pos,
        threads=threads,
        error_tolerance_pu=error_tolerance_pu,
        prepared=net,
    )
    return eng.run(
        load_p_mw, load_q_mvar, sgen_p_mw=sgen_p_mw, chunk_steps=chunk_steps, progress=progress
    )


def timeseries_engine(
    net,
    *,
    engine: str = "auto",
    asymmetric: bool = False,
    slack_vm_pu: float | None = None,
    trafo_tap_pos: int | None = None,
    threads: int = -1,
    error_tolerance_pu: float = 1e-8,
    prepared=None,
):
    """The engine :func:`run_timeseries` runs for ``net``, built once and run per period.

    Parameters
    ----------
    net : pandapowerNet
        The feeder; not modified.
    engine : {"auto", "radial", "pgm"}
        As :func:`run_timeseries` (``"auto"``: radial for a radial feeder, pgm otherwise).
    asymmetric, slack_vm_pu, trafo_tap_pos, threads, error_tolerance_pu
        As :func:`run_timeseries`.
    prepared : pandapowerNet, optional
        A private copy of ``net`` that :func:`prepare_net` gave with these arguments (saves
        one copy); the engine may change it.

    Returns
    -------
    RadialEngine or TimeseriesEngine
        ``run(load_p_mw, load_q_mvar, *, sgen_p_mw, chunk_steps, progress)``.
    """
    if not (isinstance(error_tolerance_pu, int | float) and 0 < error_tolerance_pu < 1):
        raise InputError(
            f"error_tolerance_pu must be a number in (0, 1) [pu]; given {error_tolerance_pu!r}"
        )
    from gridv2x.powerflow.radial import NotRadialError

    given = net
    if prepared is None:
        prepared = prepare_net(
            given, asymmetric=asymmetric, slack_vm_pu=slack_vm_pu, trafo_tap_pos=trafo_tap_pos
        )
    net = prepared

    try:  # net is prepare_net's private copy: the radial engine may change it
        eng = build_engine(
            net,
            "radial" if engine == "auto" else engine,
            asymmetric=asymmetric,
            threads=threads,
            error_tolerance=error_tolerance_pu,
            copy_net=False,
        )
    except NotRadialError:
        if engine != "auto":
            raise
        net = prepare_net(  # a fresh copy for power-grid-model
            given, asymmetric=asymmetric, slack_vm_pu=slack_vm_pu, trafo_tap_pos=trafo_tap_pos
        )
        eng = build_engine(
            net, "pgm", asymmetric=asymmetric, threads=threads, error_tolerance=error_tolerance_pu
        )
    return eng
