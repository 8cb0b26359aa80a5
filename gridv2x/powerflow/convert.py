"""Direct conversion of a pandapower net into power-grid-model input arrays.

The conversion is done once per feeder (:class:`gridv2x.powerflow.TimeseriesEngine`); only the
loads and static generators change from step to step. It is written for the elements that make
up low-voltage distribution feeders: ``bus``, ``line``, ``trafo``, ``load``, ``sgen``,
``asymmetric_load``, ``asymmetric_sgen``, ``storage``, ``shunt``, ``ext_grid`` and ``switch``.
Any other element in service raises :class:`gridv2x.errors.InputError`.

Modelling choices, so that power-grid-model (PGM) solves the same model as pandapower:

* ``ext_grid`` becomes a PGM ``source`` with ``u_ref = vm_pu`` and ``u_ref_angle = va_degree``.
  In the balanced calculation the source is made ideal (``sk`` = 1e15 VA), as pandapower's slack.
  In the asymmetric calculation pandapower keeps the positive sequence ideal but uses
  ``s_sc_max_mva``, ``rx_max`` and ``x0x_max`` for the negative and zero sequence; PGM has one
  source impedance for all sequences, so we use ``s_sc_max_mva`` when it is given (its effect on
  the positive sequence is of the order load / short-circuit power, ~1e-6 pu on LV feeders).
* ``line``: ``r1 = r_ohm_per_km * length_km / parallel`` (same for ``x``), ``c1 = c_nf_per_km *
  length_km * parallel``, ``tan1 = g / (2 pi f c)``, ``i_n = max_i_ka * df * parallel``. Zero
  sequence from ``r0_ohm_per_km``, ``x0_ohm_per_km``, ``c0_nf_per_km`` (as pandapower's
  ``runpp_3ph``); see :func:`fill_zero_sequence` for nets that lack them.
* ``trafo``: ``uk = vk_percent``, ``pk = vkr_percent * sn``, ``i0``, ``p0 = pfe_kw``; the clock is
  ``shift_degree / 30``; the winding types come from ``vector_group`` (or, when it is missing,
  ``Dyn`` for an odd clock and ``YNyn`` for an even one). The tap acts only when
  ``tap_changer_type`` is set (pandapower 3 ignores ``tap_pos`` otherwise). PGM's transformer is a
  pi model, so the pandapower reference runs with ``trafo_model="pi"``.
* ``load``: a constant-power PGM load for the ``100 - const_z - const_i`` share and, where the
  percentages are non-zero, constant-current and constant-impedance loads for the rest.
  ``scaling`` multiplies the power as in pandapower.
* closed bus-bus ``switch`` -> PGM ``link``; open line/trafo switches open that side of the branch.
* Buses that end up without supply get NaN results (pandapower does the same).

References
----------
.. [1] power-grid-model documentation, "Components",
   https://power-grid-model.readthedocs.io/en/stable/user_manual/components.html
.. [2] pandapower documentation, "Datastructure and elements",
   https://pandapower.readthedocs.io/en/latest/elements.html
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from power_grid_model import LoadGenType, WindingType, initialize_array

from gridv2x.errors import InputError

__all__ = ["PgmModel", "convert_net", "fill_zero_sequence", "SUPPORTED_ELEMENTS"]

SUPPORTED_ELEMENTS = (
    "bus",
    "line",
    "trafo",
    "load",
    "sgen",
    "asymmetric_load",
    "asymmetric_sgen",
    "storage",
    "shunt",
    "ext_grid",
    "switch",
)
"""pandapower element tables the conversion understands."""

_UNSUPPORTED = (
    "trafo3w",
    "gen",
    "impedance",
    "ward",
    "xward",
    "dcline",
    "motor",
    "svc",
    "tcsc",
    "ssc",
    "vsc",
)

PANDAPOWER_C_FACTOR = 1.1
"""pandapower divides ``s_sc_max_mva`` by this voltage factor c in ``runpp_3ph`` [-]."""

IDEAL_SOURCE_SK_VA = 1e15
"""Short-circuit power of the PGM source that stands for an ideal slack [VA]."""

ZERO_SEQUENCE_FACTOR = 4.0
"""r0/r1 and x0/x1 assumed for lines without zero-sequence data [-].

A four-core LV cable whose neutral/PEN conductor has the phase cross-section returns zero-sequence
current through it: ``Z0 = Z_phase + 3 Z_neutral ~ 4 Z1``.
"""

_WINDING = {
    "YN": WindingType.wye_n,
    "Y": WindingType.wye,
    "D": WindingType.delta,
    "ZN": WindingType.zigzag_n,
    "Z": WindingType.zigzag,
}


@dataclass
class PgmModel:
    """PGM input data of one net and the maps back to pandapower indices.

    Attributes
    ----------
    input_data : dict
        PGM input arrays per component type.
    bus_index, line_index, trafo_index : pandas.Index
        pandapower indices of the buses, lines and trafos, in the order of the PGM arrays.
    load_index : pandas.Index
        pandapower ``load`` indices in the order of ``load_rows``.
    load_component : str
        ``"sym_load"`` or ``"asym_load"``: the PGM component that carries ``net.load``.
    load_rows : numpy.ndarray
        For every PGM row of ``load_component``: the position of its pandapower load in
        ``load_index`` (-1 for static loads of other tables).
    load_share_p, load_share_q : numpy.ndarray
        Share of the pandapower load's P and Q carried by each PGM row, times ``scaling``.
    sgen_index : pandas.Index
        pandapower ``sgen`` indices; ``sgen_rows`` maps PGM ``sym_gen`` rows to them.
    line_i_max_a, trafo_i_rated_a : numpy.ndarray
        Thermal current of each line ``max_i_ka * df * parallel`` [A]; rated current of each
        trafo on the HV and LV side ``sn * parallel * df / (sqrt(3) * vn)`` [A], shape (n, 2).
    trafo_y0_shunt : numpy.ndarray or None
        Asymmetric only: zero-sequence admittance added at each trafo's LV node [S] (complex,
        0 where none), see ``_dyn_zero_sequence_shunts``. Its current belongs to the trafo.
    """

    input_data: dict
    bus_index: pd.Index
    line_index: pd.Index
    trafo_index: pd.Index
    load_index: pd.Index
    load_component: str
    load_rows: np.ndarray
    load_share_p: np.ndarray
    load_share_q: np.ndarray
    load_static_p: np.ndarray
    load_static_q: np.ndarray
    sgen_index: pd.Index
    sgen_rows: np.ndarray
    sgen_scaling: np.ndarray
    sgen_static_p: np.ndarray
    sgen_static_q: np.ndarray
    line_i_max_a: np.ndarray
    trafo_i_rated_a: np.ndarray
    trafo_y0_shunt: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def _in_service(df: pd.DataFrame) -> np.ndarray:
    if "in_service" not in df:
        return np.ones(len(df), dtype=bool)
    return df["in_service"].fillna(False).to_numpy(dtype=bool)


def _col(df: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name not in df:
        return np.full(len(df), default, dtype=float)
    return df[name].astype(float).fillna(default).to_numpy()


def fill_zero_sequence(net) -> list[str]:
    """Fill missing zero-sequence data of lines, trafos and the external grid, in place.

    Only NaN or absent values are filled; given values are kept. The same filled net is handed to
    both engines, so they solve the same model.

    * lines: ``r0 = 4 r1``, ``x0 = 4 x1`` (:data:`ZERO_SEQUENCE_FACTOR`), ``c0 = c1``;
    * trafos: ``vk0 = vk``, ``vkr0 = vkr``, ``mag0_percent = 100``, ``mag0_rx = 0``,
      ``si0_hv_partial = 0.9`` and ``vector_group`` ``Dyn`` (odd clock) or ``YNyn`` (even);
    * ext_grid: ``s_sc_max_mva = 1000``, ``rx_max = 0.1``, ``x0x_max = 1``, ``r0x0_max = 0.1``.

    Parameters
    ----------
    net : pandapowerNet
        The net to complete (modified).

    Returns
    -------
    list of str
        One note per filled column, for the record.
    """
    notes: list[str] = []

    def fill(table: str, column: str, values) -> None:
        df = net[table]
        if len(df) == 0:
            return
        if column not in df:
            df[column] = np.nan
        missing = df[column].isna()
        if missing.any():
            values = pd.Series(values, index=df.index) if not np.isscalar(values) else values
            text = isinstance(values, str) or (
                isinstance(values, pd.Series) and values.dtype == object
            )
            if text and df[column].dtype != object:
                df[column] = df[column].astype(object)
            df.loc[missing, column] = values if np.isscalar(values) else values[missing]
            notes.append(f"{table}.{column} assumed for {int(missing.sum())} element(s)")

    fill("line", "r0_ohm_per_km", ZERO_SEQUENCE_FACTOR * net.line["r_ohm_per_km"])
    fill("line", "x0_ohm_per_km", ZERO_SEQUENCE_FACTOR * net.line["x_ohm_per_km"])
    fill("line", "c0_nf_per_km", net.line["c_nf_per_km"])
    if len(net.trafo):
        fill("trafo", "vk0_percent", net.trafo["vk_percent"])
        fill("trafo", "vkr0_percent", net.trafo["vkr_percent"])
        fill("trafo", "mag0_percent", 100.0)
        fill("trafo", "mag0_rx", 0.0)
        fill("trafo", "si0_hv_partial", 0.9)
        clock = np.round(net.trafo["shift_degree"].astype(float).fillna(0.0) / 30.0) % 12
        fill("trafo", "vector_group", np.where(clock % 2 == 1, "Dyn", "YNyn"))
    fill("ext_grid", "s_sc_max_mva", 1000.0)
    fill("ext_grid", "rx_max", 0.1)
    fill("ext_grid", "x0x_max", 1.0)
    fill("ext_grid", "r0x0_max", 0.1)
    return notes


def _tap_active(trafo: pd.DataFrame) -> np.ndarray:
    """Whether each trafo's tap acts on its ratio.

    pandapower 3 applies ``tap_pos`` only when ``tap_changer_type`` is set. A net that sets
    ``tap_pos`` away from ``tap_neutral`` without a tap changer type (e.g. SimBench nets whose
    tap a scenario moves) clearly means a ratio tap, so both engines treat it as ``"Ratio"``
    (:func:`gridv2x.powerflow.prepare_net` writes that into the net for pandapower).
    """
    if "tap_changer_type" in trafo:
        ttype = trafo["tap_changer_type"]
        typed = ttype.notna().to_numpy() & (ttype.astype(str) != "None").to_numpy()
    else:
        typed = np.zeros(len(trafo), dtype=bool)
    moved = (_col(trafo, "tap_pos", 0.0) != _col(trafo, "tap_neutral", 0.0)) & (
        _col(trafo, "tap_step_percent", 0.0) != 0
    )
    return typed | moved


def _winding_types(vector_group, clock: int) -> tuple[int, int]:
    if not isinstance(vector_group, str) or not vector_group.strip():
        return (
            (WindingType.delta, WindingType.wye_n)
            if clock % 2
            else (WindingType.wye_n, WindingType.wye_n)
        )
    match = re.fullmatch(r"(YN|Y|D|ZN|Z)(yn|y|d|zn|z)(\d*)", vector_group.strip())
    if match is None:
        raise InputError(
            f"trafo vector_group {vector_group!r} is not understood; allowed: e.g. 'Dyn', "
            "'Dyn5', 'YNyn0', 'Yzn' (HV letters YN/Y/D/ZN/Z, LV letters yn/y/d/zn/z)"
        )
    return _WINDING[match.group(1)], _WINDING[match.group(2).upper()]


def _check_elements(net) -> None:
    for name in _UNSUPPORTED:
        if name in net and len(net[name]) and _in_service(net[name]).any():
            raise InputError(
                f"the net has {int(_in_service(net[name]).sum())} in-service '{name}' element(s); "
                f"the load-flow engine supports: {', '.join(SUPPORTED_ELEMENTS)}"
            )
    if len(net.ext_grid) == 0 or not _in_service(net.ext_grid).any():
        raise InputError("the net has no in-service ext_grid; one slack (ext_grid) is required")


def convert_net(net, *, asymmetric: bool = False) -> PgmModel:
    """Convert a pandapower net into power-grid-model input arrays.

    Parameters
    ----------
    net : pandapowerNet
        The feeder. Not modified. For ``asymmetric=True`` it must carry zero-sequence data
        (see :func:`fill_zero_sequence`).
    asymmetric : bool
        Build ``asym_load`` (per-phase) loads instead of ``sym_load``.

    Returns
    -------
    PgmModel

    Raises
    ------
    gridv2x.errors.InputError
        For elements the engine does not model, or inconsistent data.
    """
    _check_elements(net)
    notes: list[str] = []
    f_hz = float(net.get("f_hz", 50.0) or 50.0)
    next_id = 0

    def ids(n: int) -> np.ndarray:
        nonlocal next_id
        out = np.arange(next_id, next_id + n, dtype=np.int32)
        next_id += n
        return out

    # ---------------------------------------------------------------- nodes
    bus = net.bus
    bus_index = bus.index
    bus_pos = pd.Series(np.arange(len(bus)), index=bus_index)
    bus_ok = _in_service(bus)
    node = initialize_array("input", "node", len(bus))
    node["id"] = ids(len(bus))
    node["u_rated"] = bus["vn_kv"].to_numpy(float) * 1e3
    node_id = node["id"]

    def node_of(buses) -> np.ndarray:
        return node_id[bus_pos.loc[np.asarray(buses)].to_numpy()]

    def bus_live(buses) -> np.ndarray:
        return bus_ok[bus_pos.loc[np.asarray(buses)].to_numpy()]

    # ---------------------------------------------------------------- switches
    sw = net.switch
    sw_closed = sw["closed"].fillna(True).to_numpy(bool) if len(sw) else np.array([], bool)
    if len(sw) and "in_service" in sw:
        # pandapower 3: an out-of-service switch is ignored (counts as closed)
        sw_closed = sw_closed | ~_in_service(sw)

    def open_sides(et: str, table: pd.DataFrame, side_col: str) -> np.ndarray:
        """True where a switch of kind ``et`` at ``side_col`` of an element is open."""
        out = np.zeros(len(table), dtype=bool)
        if not len(sw) or not len(table):
            return out
        mask = (sw["et"] == et).to_numpy() & ~sw_closed
        if not mask.any():
            return out
        opened = set(zip(sw["element"].to_numpy()[mask], sw["bus"].to_numpy()[mask], strict=True))
        for k, (idx, b) in enumerate(zip(table.index, table[side_col].to_numpy(), strict=True)):
            if (idx, b) in opened:
                out[k] = True
        return out

    data: dict[str, np.ndarray] = {"node": node}

    # ---------------------------------------------------------------- lines
    line = net.line
    n_line = len(line)
    arr = initialize_array("input", "line", n_line)
    arr["id"] = ids(n_line)
    if n_line:
        arr["from_node"] = node_of(line["from_bus"])
        arr["to_node"] = node_of(line["to_bus"])
        live = _in_service(line) & bus_live(line["from_bus"]) & bus_live(line["to_bus"])
        arr["from_status"] = live & ~open_sides("l", line, "from_bus")
        arr["to_status"] = live & ~open_sides("l", line, "to_bus")
        length = line["length_km"].to_numpy(float)
        parallel = _col(line, "parallel", 1.0)
        arr["r1"] = line["r_ohm_per_km"].to_numpy(float) * length / parallel
        arr["x1"] = line["x_ohm_per_km"].to_numpy(float) * length / parallel
        c1 = _col(line, "c_nf_per_km", 0.0) * 1e-9 * length * parallel
        g1 = _col(line, "g_us_per_km", 0.0) * 1e-6 * length * parallel
        arr["c1"] = c1
        with np.errstate(divide="ignore", invalid="ignore"):
            arr["tan1"] = np.where(c1 > 0, g1 / (2 * np.pi * f_hz * c1), 0.0)
        if (g1[c1 <= 0] > 0).any():
            raise InputError("lines with g_us_per_km > 0 but c_nf_per_km = 0 are not supported")
        if asymmetric:
            for col in ("r0_ohm_per_km", "x0_ohm_per_km", "c0_nf_per_km"):
                if col not in line or line[col].isna().any():
                    raise InputError(
                        f"asymmetric load flow needs line.{col} for every line; given NaN or "
                        "missing (call gridv2x.powerflow.convert.fill_zero_sequence to assume them)"
                    )
            arr["r0"] = line["r0_ohm_per_km"].to_numpy(float) * length / parallel
            arr["x0"] = line["x0_ohm_per_km"].to_numpy(float) * length / parallel
            c0 = line["c0_nf_per_km"].to_numpy(float) * 1e-9 * length * parallel
            g0 = _col(line, "g0_us_per_km", 0.0) * 1e-6 * length * parallel
            arr["c0"] = c0
            with np.errstate(divide="ignore", invalid="ignore"):
                arr["tan0"] = np.where(c0 > 0, g0 / (2 * np.pi * f_hz * c0), 0.0)
        else:
            arr["r0"], arr["x0"], arr["c0"], arr["tan0"] = arr["r1"], arr["x1"], arr["c1"], 0.0
        i_max = line["max_i_ka"].to_numpy(float) * 1e3 * _col(line, "df", 1.0) * parallel
        arr["i_n"] = np.where(i_max > 0, i_max, 1e9)
    else:
        i_max = np.zeros(0)
    data["line"] = arr

    # ---------------------------------------------------------------- trafos
    trafo = net.trafo
    n_tr = len(trafo)
    tr = initialize_array("input", "transformer", n_tr)
    tr["id"] = ids(n_tr)
    trafo_i_rated = np.zeros((n_tr, 2))
    if n_tr:
        tr["from_node"] = node_of(trafo["hv_bus"])
        tr["to_node"] = node_of(trafo["lv_bus"])
        live = _in_service(trafo) & bus_live(trafo["hv_bus"]) & bus_live(trafo["lv_bus"])
        tr["from_status"] = live & ~open_sides("t", trafo, "hv_bus")
        tr["to_status"] = live & ~open_sides("t", trafo, "lv_bus")
        parallel = _col(trafo, "parallel", 1.0)
        sn = trafo["sn_mva"].to_numpy(float) * 1e6 * parallel
        vn_hv = trafo["vn_hv_kv"].to_numpy(float) * 1e3
        vn_lv = trafo["vn_lv_kv"].to_numpy(float) * 1e3
        tr["u1"], tr["u2"], tr["sn"] = vn_hv, vn_lv, sn
        tr["uk"] = trafo["vk_percent"].to_numpy(float) / 100
        tr["pk"] = trafo["vkr_percent"].to_numpy(float) / 100 * sn
        tr["i0"] = _col(trafo, "i0_percent", 0.0) / 100
        tr["p0"] = _col(trafo, "pfe_kw", 0.0) * 1e3 * parallel
        tr["i0_zero_sequence"] = tr["i0"]
        tr["p0_zero_sequence"] = tr["p0"]
        shift = _col(trafo, "shift_degree", 0.0)
        clock = np.round(shift / 30.0).astype(int) % 12
        if np.any(np.abs(shift - 30.0 * np.round(shift / 30.0)) > 1e-9):
            raise InputError(
                f"trafo shift_degree must be a multiple of 30 degrees; given {shift.tolist()}"
            )
        vg = trafo["vector_group"] if "vector_group" in trafo else pd.Series(None, trafo.index)
        for k, (group, c) in enumerate(zip(vg.to_numpy(), clock, strict=True)):
            wf, wt = _winding_types(group, int(c))
            tr["winding_from"][k], tr["winding_to"][k] = wf, wt
        tr["clock"] = clock
        # tap: pandapower 3 applies it only when tap_changer_type is set
        ttype = (
            trafo["tap_changer_type"]
            if "tap_changer_type" in trafo
            else pd.Series("Ratio", index=trafo.index)
        )
        tap_pos = _col(trafo, "tap_pos", 0.0)
        tap_neutral = _col(trafo, "tap_neutral", 0.0)
        tap_step = _col(trafo, "tap_step_percent", 0.0)
        tap_active = _tap_active(trafo)
        for k in np.flatnonzero(tap_active).tolist():
            kind = str(ttype.iloc[k])
            degree = float(_col(trafo, "tap_step_degree", 0.0)[k])
            if kind not in ("Ratio", "Symmetrical", "Ideal") or (kind != "Ratio" and degree != 0.0):
                raise InputError(
                    f"trafo {trafo.index[k]}: tap_changer_type {kind!r} with tap_step_degree "
                    f"{degree} is not supported; allowed: 'Ratio' (or None = no tap)"
                )
        tap_side_hv = (
            (trafo["tap_side"].fillna("hv") != "lv").to_numpy()
            if "tap_side" in trafo
            else np.ones(n_tr, bool)
        )
        tap_pos = np.where(tap_active, tap_pos, tap_neutral)
        tr["tap_pos"] = np.round(tap_pos).astype(np.int8)
        tr["tap_nom"] = np.round(tap_neutral).astype(np.int8)
        tr["tap_min"] = np.minimum(_col(trafo, "tap_min", 0.0), tap_pos).astype(np.int8)
        tr["tap_max"] = np.maximum(_col(trafo, "tap_max", 0.0), tap_pos).astype(np.int8)
        tr["tap_side"] = np.where(tap_side_hv, 0, 1)
        tr["tap_size"] = tap_step / 100 * np.where(tap_side_hv, vn_hv, vn_lv)
        if np.any(np.abs(tap_pos - np.round(tap_pos)) > 0):
            raise InputError(f"trafo tap_pos must be whole numbers; given {tap_pos.tolist()}")
        for side in ("from", "to"):
            tr[f"r_grounding_{side}"] = 0.0
            tr[f"x_grounding_{side}"] = 0.0
        df = _col(trafo, "df", 1.0)
        trafo_i_rated = np.column_stack(
            [sn * df / (np.sqrt(3) * vn_hv), sn * df / (np.sqrt(3) * vn_lv)]
        )
    data["transformer"] = tr

    # ---------------------------------------------------------------- bus-bus switches -> links
    if len(sw):
        bb = (sw["et"] == "b").to_numpy() & sw_closed
        if bb.any():
            if "z_ohm" in sw and (sw["z_ohm"].fillna(0).to_numpy()[bb] > 0).any():
                raise InputError("closed bus-bus switches with z_ohm > 0 are not supported")
            sb = sw[bb]
            lk = initialize_array("input", "link", len(sb))
            lk["id"] = ids(len(sb))
            lk["from_node"] = node_of(sb["bus"])
            lk["to_node"] = node_of(sb["element"].astype(int))
            live = bus_live(sb["bus"]) & bus_live(sb["element"].astype(int))
            lk["from_status"] = live
            lk["to_status"] = live
            data["link"] = lk

    # ---------------------------------------------------------------- sources
    eg = net.ext_grid[_in_service(net.ext_grid)]
    src = initialize_array("input", "source", len(eg))
    src["id"] = ids(len(eg))
    src["node"] = node_of(eg["bus"])
    src["status"] = bus_live(eg["bus"])
    src["u_ref"] = eg["vm_pu"].to_numpy(float)
    src["u_ref_angle"] = np.deg2rad(_col(eg, "va_degree", 0.0))
    if asymmetric and "s_sc_max_mva" in eg and eg["s_sc_max_mva"].notna().all():
        src["sk"] = eg["s_sc_max_mva"].to_numpy(float) * 1e6 / PANDAPOWER_C_FACTOR
        src["rx_ratio"] = _col(eg, "rx_max", 0.1)
        src["z01_ratio"] = 1.0 / _col(eg, "x0x_max", 1.0)
    else:
        src["sk"] = IDEAL_SOURCE_SK_VA
        src["rx_ratio"] = 0.1
        src["z01_ratio"] = 1.0
    data["source"] = src

    # ---------------------------------------------------------------- loads
    load = net.load
    load_index = load.index
    if asymmetric and "type" in load and (load["type"] == "delta").any():
        raise InputError(
            "loads of type 'delta' are not supported by the asymmetric engine; allowed: 'wye' "
            "(or no type)"
        )
    rows_node, rows_pos, rows_type, rows_sp, rows_sq = [], [], [], [], []
    if len(load):
        live = _in_service(load) & bus_live(load["bus"])
        scaling = _col(load, "scaling", 1.0)
        zp, ip = _col(load, "const_z_p_percent", np.nan), _col(load, "const_i_p_percent", np.nan)
        zq, iq = _col(load, "const_z_q_percent", np.nan), _col(load, "const_i_q_percent", np.nan)
        # pandapower < 3 had const_z_percent / const_i_percent for P and Q alike
        old_z, old_i = _col(load, "const_z_percent", 0.0), _col(load, "const_i_percent", 0.0)
        zp, ip = np.where(np.isnan(zp), old_z, zp), np.where(np.isnan(ip), old_i, ip)
        zq, iq = np.where(np.isnan(zq), old_z, zq), np.where(np.isnan(iq), old_i, iq)
        nodes = node_of(load["bus"])
        for load_type, sp, sq in (
            (LoadGenType.const_power, 1 - (zp + ip) / 100, 1 - (zq + iq) / 100),
            (LoadGenType.const_current, ip / 100, iq / 100),
            (LoadGenType.const_impedance, zp / 100, zq / 100),
        ):
            use = (sp != 0) | (sq != 0)
            if load_type == LoadGenType.const_power:
                use = np.ones(len(load), dtype=bool)  # always one row per load
            use &= live | (load_type == LoadGenType.const_power)
            pos = np.flatnonzero(use)
            rows_node.append(nodes[pos])
            rows_pos.append(pos)
            rows_type.append(np.full(len(pos), load_type, dtype=np.int8))
            rows_sp.append(sp[pos] * scaling[pos] * live[pos])
            rows_sq.append(sq[pos] * scaling[pos] * live[pos])
    load_rows = np.concatenate(rows_pos) if rows_pos else np.zeros(0, int)
    load_nodes = np.concatenate(rows_node) if rows_node else np.zeros(0, np.int32)
    load_types = np.concatenate(rows_type) if rows_type else np.zeros(0, np.int8)
    share_p = np.concatenate(rows_sp) if rows_sp else np.zeros(0)
    share_q = np.concatenate(rows_sq) if rows_sq else np.zeros(0)
    static_p = (
        load["p_mw"].to_numpy(float)[load_rows] * 1e6 if len(load) else np.zeros(0)
    ) * share_p
    static_q = (
        load["q_mvar"].to_numpy(float)[load_rows] * 1e6 if len(load) else np.zeros(0)
    ) * share_q

    # static extra loads: storage (balanced), asymmetric_load
    extra_sym = []  # (node, p_W, q_var)
    if "storage" in net and len(net.storage):
        st = net.storage
        live = _in_service(st) & bus_live(st["bus"])
        sc = _col(st, "scaling", 1.0)
        for k in np.flatnonzero(live).tolist():
            extra_sym.append(
                (
                    node_of([st["bus"].iloc[k]])[0],
                    st["p_mw"].iloc[k] * sc[k] * 1e6,
                    st["q_mvar"].iloc[k] * sc[k] * 1e6,
                )
            )
    asym_static = []  # (node, p3, q3)
    if "asymmetric_load" in net and len(net.asymmetric_load):
        al = net.asymmetric_load
        live = _in_service(al) & bus_live(al["bus"])
        if "type" in al and (al["type"].fillna("wye")[live] != "wye").any():
            raise InputError("asymmetric_load of type 'delta' is not supported; allowed: 'wye'")
        sc = _col(al, "scaling", 1.0)
        for k in np.flatnonzero(live).tolist():
            p3 = al[["p_a_mw", "p_b_mw", "p_c_mw"]].iloc[k].to_numpy(float) * sc[k] * 1e6
            q3 = al[["q_a_mvar", "q_b_mvar", "q_c_mvar"]].iloc[k].to_numpy(float) * sc[k] * 1e6
            asym_static.append((node_of([al["bus"].iloc[k]])[0], p3, q3))
    if asym_static and not asymmetric:
        notes.append("asymmetric_load elements are taken as balanced (sum of phases / 3)")

    if asymmetric:
        n_rows = len(load_rows) + len(extra_sym) + len(asym_static)
        ld = initialize_array("input", "asym_load", n_rows)
        ld["id"] = ids(n_rows)
        n0 = len(load_rows)
        ld["node"][:n0] = load_nodes
        ld["type"][:n0] = load_types
        ld["p_specified"][:n0] = (static_p / 3)[:, None]
        ld["q_specified"][:n0] = (static_q / 3)[:, None]
        for k, (nd, p, q) in enumerate(extra_sym):
            ld["node"][n0 + k], ld["p_specified"][n0 + k], ld["q_specified"][n0 + k] = (
                nd,
                p / 3,
                q / 3,
            )
        n1 = n0 + len(extra_sym)
        for k, (nd, p3, q3) in enumerate(asym_static):
            ld["node"][n1 + k], ld["p_specified"][n1 + k], ld["q_specified"][n1 + k] = nd, p3, q3
        ld["type"][n0:] = LoadGenType.const_power
        ld["status"] = 1
        data["asym_load"] = ld
        load_component = "asym_load"
    else:
        n_rows = len(load_rows) + len(extra_sym) + len(asym_static)
        ld = initialize_array("input", "sym_load", n_rows)
        ld["id"] = ids(n_rows)
        n0 = len(load_rows)
        ld["node"][:n0] = load_nodes
        ld["type"][:n0] = load_types
        ld["p_specified"][:n0] = static_p
        ld["q_specified"][:n0] = static_q
        for k, (nd, p, q) in enumerate(extra_sym):
            ld["node"][n0 + k], ld["p_specified"][n0 + k], ld["q_specified"][n0 + k] = nd, p, q
        n1 = n0 + len(extra_sym)
        for k, (nd, p3, q3) in enumerate(asym_static):
            ld["node"][n1 + k], ld["p_specified"][n1 + k], ld["q_specified"][n1 + k] = (
                nd,
                p3.sum(),
                q3.sum(),
            )
        ld["type"][n0:] = LoadGenType.const_power
        ld["status"] = 1
        data["sym_load"] = ld
        load_component = "sym_load"

    # ---------------------------------------------------------------- static generators
    sgen = net.sgen
    n_sg = len(sgen)
    gen = initialize_array("input", "sym_gen", n_sg)
    gen["id"] = ids(n_sg)
    sgen_scaling = np.zeros(n_sg)
    if n_sg:
        live = _in_service(sgen) & bus_live(sgen["bus"])
        gen["node"] = node_of(sgen["bus"])
        gen["status"] = 1
        gen["type"] = LoadGenType.const_power
        sgen_scaling = _col(sgen, "scaling", 1.0) * live
        gen["p_specified"] = sgen["p_mw"].to_numpy(float) * 1e6 * sgen_scaling
        gen["q_specified"] = _col(sgen, "q_mvar", 0.0) * 1e6 * sgen_scaling
    data["sym_gen"] = gen
    if "asymmetric_sgen" in net and len(net.asymmetric_sgen):
        ag = net.asymmetric_sgen
        live = _in_service(ag) & bus_live(ag["bus"])
        sc = _col(ag, "scaling", 1.0) * live
        p3 = ag[["p_a_mw", "p_b_mw", "p_c_mw"]].to_numpy(float) * 1e6 * sc[:, None]
        q3 = ag[["q_a_mvar", "q_b_mvar", "q_c_mvar"]].to_numpy(float) * 1e6 * sc[:, None]
        if asymmetric:
            a = initialize_array("input", "asym_gen", len(ag))
            a["p_specified"], a["q_specified"] = p3, q3
        else:
            a = initialize_array("input", "sym_gen", len(ag))
            a["p_specified"], a["q_specified"] = p3.sum(axis=1), q3.sum(axis=1)
        a["id"] = ids(len(ag))
        a["node"] = node_of(ag["bus"])
        a["status"] = 1
        a["type"] = LoadGenType.const_power
        if asymmetric:
            data["asym_gen"] = a
        else:
            data["sym_gen"] = np.concatenate([data["sym_gen"], a])

    # ---------------------------------------------------------------- shunts
    if "shunt" in net and len(net.shunt):
        sh = net.shunt
        live = _in_service(sh) & bus_live(sh["bus"])
        step = _col(sh, "step", 1.0)
        vn = _col(sh, "vn_kv", np.nan)
        vn = np.where(np.isnan(vn), net.bus.loc[sh["bus"], "vn_kv"].to_numpy(float), vn) * 1e3
        # pandapower: S = (p + jq) * step * (v / vn)^2, consumption positive
        a = initialize_array("input", "shunt", len(sh))
        a["id"] = ids(len(sh))
        a["node"] = node_of(sh["bus"])
        a["status"] = live
        a["g1"] = sh["p_mw"].to_numpy(float) * 1e6 * step / vn**2
        a["b1"] = -sh["q_mvar"].to_numpy(float) * 1e6 * step / vn**2
        a["g0"], a["b0"] = a["g1"], a["b1"]
        data["shunt"] = a
        if asymmetric:
            warnings.warn(
                "shunts in the asymmetric load flow are modelled with zero sequence = positive "
                "sequence admittance",
                stacklevel=2,
            )

    trafo_y0_shunt = None
    if asymmetric and n_tr:
        dyn = (tr["winding_from"] == WindingType.delta) & (tr["winding_to"] == WindingType.wye_n)
        if not dyn.all():
            warnings.warn(
                "asymmetric load flow: only Dyn transformers reproduce pandapower's runpp_3ph "
                "zero-sequence model; other vector groups use power-grid-model's model "
                "(zero-sequence impedance = short-circuit impedance)",
                stacklevel=3,
            )
        extra = _dyn_zero_sequence_shunts(trafo, tr, _in_service(trafo))
        if extra is not None:
            use, nodes, y0 = extra
            trafo_y0_shunt = np.zeros(n_tr, dtype=complex)
            trafo_y0_shunt[use] = y0
            a = initialize_array("input", "shunt", len(nodes))
            a["id"] = ids(len(nodes))
            a["node"], a["status"] = nodes, 1
            a["g1"], a["b1"] = 0.0, 0.0
            a["g0"], a["b0"] = y0.real, y0.imag
            data["shunt"] = np.concatenate([data["shunt"], a]) if "shunt" in data else a

    return PgmModel(
        input_data=data,
        bus_index=bus_index,
        line_index=line.index,
        trafo_index=trafo.index,
        load_index=load_index,
        load_component=load_component,
        load_rows=load_rows,
        load_share_p=share_p,
        load_share_q=share_q,
        load_static_p=static_p,
        load_static_q=static_q,
        sgen_index=sgen.index,
        sgen_rows=np.arange(n_sg),
        sgen_scaling=sgen_scaling,
        sgen_static_p=gen["p_specified"].copy(),
        sgen_static_q=gen["q_specified"].copy(),
        line_i_max_a=i_max,
        trafo_i_rated_a=trafo_i_rated,
        trafo_y0_shunt=trafo_y0_shunt,
        notes=notes,
    )


def _dyn_zero_sequence_shunts(trafo: pd.DataFrame, tr: np.ndarray, live: np.ndarray):
    """Zero-sequence shunts that give PGM pandapower's zero-sequence model of Dyn trafos.

    For a ``Dyn`` transformer PGM connects the LV node to earth through the short-circuit
    impedance ``Zk`` in the zero sequence. pandapower's ``runpp_3ph`` uses a T model: the
    zero-sequence impedance ``Zk0`` (from ``vk0_percent``, ``vkr0_percent``) is split into
    ``si0_hv_partial`` (HV) and the rest (LV), with the magnetising impedance
    ``Zm0 = mag0_percent / 100 * |Zk0|`` (R/X ``mag0_rx``) across, and the delta winding
    shorting the HV end: ``Z0 = Z_lv + Z_hv || Zm0``. The difference of the two admittances,
    ``1/Z0 - 1/Zk``, is added as a zero-sequence-only PGM shunt at the LV node [S].

    Returns
    -------
    tuple of (mask of trafos, node ids, complex admittance [S]) or None when no Dyn trafo is in service.

    References
    ----------
    .. [1] pandapower ``pd2ppc_zero._add_trafo_sc_impedance_zero`` (T model, vector group Dyn).
    """
    is_dyn = (tr["winding_from"] == WindingType.delta) & (tr["winding_to"] == WindingType.wye_n)
    use = is_dyn & live
    if not use.any():
        return None
    t = trafo[use]
    parallel = _col(t, "parallel", 1.0)
    sn = t["sn_mva"].to_numpy(float)
    vn_lv = t["vn_lv_kv"].to_numpy(float)
    z_base = vn_lv**2 / sn  # [ohm], LV side, one unit
    vk0 = _col(t, "vk0_percent", np.nan)
    vkr0 = _col(t, "vkr0_percent", np.nan)
    vk0 = np.where(np.isnan(vk0) | (np.abs(vk0) < 1e-8), t["vk_percent"].to_numpy(float), vk0)
    vkr0 = np.where(np.isnan(vkr0) | (np.abs(vkr0) < 1e-8), t["vkr_percent"].to_numpy(float), vkr0)
    z_sc = vk0 / 100 * z_base
    r_sc = vkr0 / 100 * z_base
    z0k = (r_sc + 1j * np.sqrt(z_sc**2 - r_sc**2)) / parallel
    mag0 = _col(t, "mag0_percent", 100.0) / 100
    mag0_rx = _col(t, "mag0_rx", 0.0)
    x_m = z_sc * mag0 / np.sqrt(mag0_rx**2 + 1)
    z_m = (x_m * mag0_rx + 1j * x_m) / parallel
    si0 = _col(t, "si0_hv_partial", 0.9)
    z_hv, z_lv = si0 * z0k, (1 - si0) * z0k
    with np.errstate(divide="ignore", invalid="ignore"):
        z_hv_m = np.where(np.abs(z_hv + z_m) > 0, z_hv * z_m / (z_hv + z_m), 0.0)
    z_pp = z_lv + z_hv_m
    # PGM: Zk from uk, pk on sn = sn_mva * parallel, at u2 = vn_lv
    sn_pgm = tr["sn"][use]
    u2 = tr["u2"][use]
    zk = tr["uk"][use] * u2**2 / sn_pgm
    rk = tr["pk"][use] / sn_pgm * u2**2 / sn_pgm
    z_pgm = rk + 1j * np.sqrt(zk**2 - rk**2)
    y0 = 1 / z_pp - 1 / z_pgm
    return use, tr["to_node"][use], y0
