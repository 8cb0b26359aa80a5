"""pandapower's own Newton-Raphson, step by step: the reference for the PGM engine.

Settings chosen so that pandapower solves the same model as :mod:`gridv2x.powerflow.convert`:

* balanced: ``runpp(algorithm="nr", trafo_model="pi", calculate_voltage_angles=True,
  tolerance_mva=1e-10)`` - PGM's transformer is a pi model;
* asymmetric: ``runpp_3ph(calculate_voltage_angles=True, tolerance_mva=1e-10)``; loads and
  sgens whose ``type`` is neither "wye" nor "delta" (SimBench: NaN, "PV") are set to "wye", as
  ``runpp_3ph`` would otherwise silently leave them out; pandapower's
  three-phase power flow only has the ``"t"`` transformer model, which equals the pi model when the
  transformer has no magnetising branch (``i0_percent = pfe_kw = 0``); with a magnetising branch
  the two differ by ~1e-5 pu. Every load given per phase becomes an ``asymmetric_load`` (wye) of
  the same bus and scaling; the original load is taken out of service for the run.

A step that does not converge is marked ``converged = False`` with NaN results.

References
----------
.. [1] pandapower documentation, "Power flow" and "Three phase power flow",
   https://pandapower.readthedocs.io/en/latest/powerflow.html
"""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Callable

import numpy as np
import pandapower as pp
import pandas as pd

from gridv2x.conventions import PHASES
from gridv2x.powerflow.engine import TimeseriesResult, _check_frame, _phase_matrix

__all__ = ["run_pandapower", "PANDAPOWER_OPTIONS", "PANDAPOWER_3PH_OPTIONS", "RUNPP_3PH_RESTARTS"]

_NUMBA = importlib.util.find_spec("numba") is not None

PANDAPOWER_OPTIONS = dict(
    algorithm="nr",
    trafo_model="pi",
    calculate_voltage_angles=True,
    tolerance_mva=1e-10,
    max_iteration=30,
    init="auto",
    numba=_NUMBA,
)
"""Options of the balanced pandapower reference (``pandapower.runpp``)."""

PANDAPOWER_3PH_OPTIONS = dict(
    calculate_voltage_angles=True, tolerance_mva=1e-10, max_iteration=30, numba=_NUMBA
)
"""Options of the asymmetric pandapower reference (``pandapower.runpp_3ph``)."""

RUNPP_3PH_RESTARTS = 2
"""Times the asymmetric reference restarts ``runpp_3ph`` from its own result [-].

``runpp_3ph`` stops when the positive-sequence power mismatch is below a fixed 3e-8 MVA; the
zero and negative sequences are then not necessarily converged. On the IEEE European LV feeder
its answer is up to 1.8e-6 pu from the fixed point of its own equations: one more iteration
from it moves the voltages by 1.7e-6 pu. Restarting it with ``init="results"`` performs further
iterations of the same equations: after one restart 1.2e-7 pu, after two 1.5e-8 pu from the
fixed point (measured, tests/data/powerflow/README.md). pandapower cannot restart from results
where an open line switch adds an auxiliary bus; there the first answer stands.
"""


def run_pandapower(
    net,
    load_p_mw: pd.DataFrame,
    load_q_mvar: pd.DataFrame,
    *,
    sgen_p_mw: pd.DataFrame | None = None,
    asymmetric: bool = False,
    progress: Callable[[int, int], None] | None = None,
    restarts_3ph: int = RUNPP_3PH_RESTARTS,
) -> TimeseriesResult:
    """Run pandapower's Newton-Raphson for every step (same inputs as ``run_timeseries``).

    Parameters
    ----------
    net : pandapowerNet
        The feeder, already prepared (``gridv2x.powerflow.prepare_net``); not modified.
    load_p_mw, load_q_mvar, sgen_p_mw, asymmetric, progress
        As :func:`gridv2x.powerflow.run_timeseries`.
    restarts_3ph : int
        Asymmetric: restarts of ``runpp_3ph`` from its own result (:data:`RUNPP_3PH_RESTARTS`);
        0 for the plain ``runpp_3ph`` (benchmarks).

    Returns
    -------
    TimeseriesResult
        With ``engine="pandapower"``.
    """
    net = copy.deepcopy(net)
    loads = _check_frame(
        "load_p_mw", load_p_mw, asymmetric=asymmetric, allowed=net.load.index, what="load"
    )
    loads_q = _check_frame(
        "load_q_mvar", load_q_mvar, asymmetric=asymmetric, allowed=net.load.index, what="load"
    )
    if sgen_p_mw is not None:
        _check_frame("sgen_p_mw", sgen_p_mw, asymmetric=False, allowed=net.sgen.index, what="sgen")
    index = load_p_mw.index
    n = len(index)
    buses, lines, trafos = net.bus.index, net.line.index, net.trafo.index
    vm = np.full((n, len(buses)), np.nan)
    vm_ph = np.full((n, len(buses), 3), np.nan)
    vuf = np.full((n, len(buses)), np.nan)
    line_i = np.full((n, len(lines)), np.nan)
    line_ld = np.full((n, len(lines)), np.nan)
    line_i_n = np.full((n, len(lines)), np.nan)
    tr_ld = np.full((n, len(trafos)), np.nan)
    tr_p = np.full((n, len(trafos)), np.nan)
    losses = np.full(n, np.nan)
    ok = np.zeros(n, dtype=bool)

    if asymmetric:
        # runpp_3ph only counts load/sgen rows whose ``type`` is "wye" or "delta" (SimBench has
        # NaN and "PV"); the PGM engine takes all of them as balanced wye, so does the reference.
        for table in ("load", "sgen"):
            if len(net[table]):
                kind = net[table]["type"] if "type" in net[table] else None
                wye = kind is None or ~kind.isin(["wye", "delta"])
                net[table]["type"] = np.where(wye, "wye", kind) if kind is not None else "wye"
        p3 = _phase_matrix(load_p_mw, loads)
        q3 = _phase_matrix(load_q_mvar, loads_q)
        all_loads = loads.union(loads_q)
        p_full = np.zeros((n, len(all_loads), 3))
        q_full = np.zeros((n, len(all_loads), 3))
        p_full[:, all_loads.get_indexer(loads)] = p3
        q_full[:, all_loads.get_indexer(loads_q)] = q3
        new = []
        for idx in all_loads:
            row = net.load.loc[idx]
            new.append(
                pp.create_asymmetric_load(
                    net,
                    bus=int(row["bus"]),
                    scaling=float(row.get("scaling", 1.0)),
                    in_service=bool(row["in_service"]),
                    type="wye",
                )
            )
        net.load.loc[all_loads, "in_service"] = False
        new = pd.Index(new)
        cols_p = [f"p_{ph}_mw" for ph in PHASES]
        cols_q = [f"q_{ph}_mvar" for ph in PHASES]
    else:
        p_vals = load_p_mw.to_numpy(float)
        q_vals = load_q_mvar.to_numpy(float)
    sgen_vals = None if sgen_p_mw is None else sgen_p_mw.to_numpy(float)

    for t in range(n):
        if asymmetric:
            for k, col in enumerate(cols_p):
                net.asymmetric_load.loc[new, col] = p_full[t, :, k]
            for k, col in enumerate(cols_q):
                net.asymmetric_load.loc[new, col] = q_full[t, :, k]
        else:
            net.load.loc[loads, "p_mw"] = p_vals[t]
            net.load.loc[loads_q, "q_mvar"] = q_vals[t]
        if sgen_p_mw is not None and sgen_vals is not None:
            net.sgen.loc[sgen_p_mw.columns, "p_mw"] = sgen_vals[t]
        try:
            if asymmetric:
                pp.runpp_3ph(net, **PANDAPOWER_3PH_OPTIONS)
                for _ in range(restarts_3ph):
                    try:
                        pp.runpp_3ph(net, **{**PANDAPOWER_3PH_OPTIONS, "init": "results"})
                    except (KeyError, IndexError):
                        # pandapower cannot start from results where an open line switch
                        # adds an auxiliary bus; its first answer stands
                        pp.runpp_3ph(net, **PANDAPOWER_3PH_OPTIONS)
                        break
            else:
                pp.runpp(net, **PANDAPOWER_OPTIONS)
        except pp.LoadflowNotConverged:
            if progress is not None:
                progress(t + 1, n)
            continue
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            if progress is not None:
                progress(t + 1, n)
            continue
        if not net.converged or (asymmetric and not _balanced_3ph(net)):
            if progress is not None:
                progress(t + 1, n)
            continue
        ok[t] = True
        if asymmetric:
            rb = net.res_bus_3ph
            ph = rb[["vm_a_pu", "vm_b_pu", "vm_c_pu"]].to_numpy(float)
            vm_ph[t] = ph
            vm[t] = ph.min(axis=1)
            vuf[t] = rb["unbalance_percent"].to_numpy(float)
            rl = net.res_line_3ph
            line_i[t] = rl[["i_a_ka", "i_b_ka", "i_c_ka"]].to_numpy(float).max(axis=1)
            line_ld[t] = rl["loading_percent"].to_numpy(float)
            line_i_n[t] = rl["i_n_ka"].to_numpy(float)
            rt = net.res_trafo_3ph
            tr_ld[t] = rt["loading_percent"].to_numpy(float)
            tr_p[t] = rt[["p_a_hv_mw", "p_b_hv_mw", "p_c_hv_mw"]].to_numpy(float).sum(axis=1)
            losses[t] = _losses_3ph(net)
        else:
            vm[t] = net.res_bus["vm_pu"].to_numpy(float)
            line_i[t] = net.res_line["i_ka"].to_numpy(float)
            line_ld[t] = net.res_line["loading_percent"].to_numpy(float)
            tr_ld[t] = net.res_trafo["loading_percent"].to_numpy(float)
            tr_p[t] = net.res_trafo["p_hv_mw"].to_numpy(float)
            losses[t] = net.res_line["pl_mw"].sum() + net.res_trafo["pl_mw"].sum()
        if progress is not None:
            progress(t + 1, n)

    def frame(values, columns):
        return pd.DataFrame(values, index=index, columns=columns)

    result = TimeseriesResult(
        vm_pu=frame(vm, buses),
        line_loading_percent=frame(line_ld, lines),
        trafo_loading_percent=frame(tr_ld, trafos),
        trafo_p_mw=frame(tr_p, trafos),
        line_i_ka=frame(line_i, lines),
        losses_mw=pd.Series(losses, index=index, name="losses_mw"),
        converged=pd.Series(ok, index=index, name="converged"),
        engine="pandapower",
        asymmetric=asymmetric,
    )
    if asymmetric:
        result.vm_a_pu = frame(vm_ph[:, :, 0], buses)
        result.vm_b_pu = frame(vm_ph[:, :, 1], buses)
        result.vm_c_pu = frame(vm_ph[:, :, 2], buses)
        result.vuf_pct = frame(vuf, buses)
        off = ~net.line["in_service"].to_numpy(bool)
        line_i_n[:, off] = np.nan
        result.line_i_n_ka = frame(line_i_n, lines)
    return result


def _losses_3ph(net) -> float:
    """Total active losses of lines and trafos from a three-phase result [MW]."""
    total = 0.0
    for table in ("res_line_3ph", "res_trafo_3ph"):
        df = net[table]
        cols = [c for c in df.columns if c.startswith("pl_") and c.endswith("_mw")]
        total += float(np.nansum(df[cols].to_numpy(float)))
    return total


def _balanced_3ph(net) -> bool:
    """Whether a ``runpp_3ph`` result satisfies the active-power balance.

    ``runpp_3ph`` can report ``converged = True`` for loads that have no solution (we saw it
    for a 160 kVA feeder loaded with tens of MW: the ext_grid delivered 0.45 MW for 80 MW of
    load). A step counts as converged only when ext_grid power = loads - generation + losses
    within 1e-6 MW + 1e-5 of the load.
    """
    if "storage" in net and len(net.storage) and net.storage["in_service"].any():
        return True  # storage handling of runpp_3ph not modelled here; trust its flag
    supplied = float(net.res_ext_grid_3ph[["p_a_mw", "p_b_mw", "p_c_mw"]].to_numpy().sum())
    demand = 0.0
    supplied_bus = net.res_bus_3ph["vm_a_pu"].notna()

    def live(df) -> np.ndarray:
        return df["in_service"].to_numpy(bool) & supplied_bus.reindex(df["bus"]).fillna(
            False
        ).to_numpy(bool)

    for table, sign in (("load", 1.0), ("sgen", -1.0)):
        df = net[table]
        if len(df):
            on = live(df)
            demand += sign * float((df["p_mw"] * df["scaling"]).to_numpy()[on].sum())
    for table, sign in (("asymmetric_load", 1.0), ("asymmetric_sgen", -1.0)):
        df = net[table]
        if len(df):
            on = live(df)
            p = df[["p_a_mw", "p_b_mw", "p_c_mw"]].sum(axis=1) * df["scaling"]
            demand += sign * float(p.to_numpy()[on].sum())
    losses = _losses_3ph(net)
    return abs(supplied - demand - losses) <= 1e-6 + 1e-5 * abs(demand)
