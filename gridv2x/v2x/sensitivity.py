"""The feeder's room for a flexibility offer, and how much of it 1 kW at each EV uses.

Room comes from the task's own load flow: per step, how far each customer voltage is from the
band (``limits.v_min_pu`` for more load, ``v_max_pu`` for less load or injection), and how far
the transformer and every cable are from their loading limits. Use per kW comes from one
power-grid-model batch of the feeder with no load and then 1 kW at each customer's connection in
turn (balanced, unity power factor) on top of the task's heaviest step (the one with the lowest
voltage; the households' power summed over phases): the change of each limited quantity
[pu/kW, %/kW]. The drop per kW grows with loading, so linearising at the heaviest step errs on
the safe side in every other step. For less
load (``up``) the loading room is the limit plus today's loading where the transformer imports
(the flow first falls to zero, then reverses), the limit minus it where it exports; cables
follow the transformer's direction (a radial feeder's flows point away from the substation while
it imports). A linear estimate (see :mod:`gridv2x.v2x.flexibility`); tested against a load flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridv2x import powerflow
from gridv2x.conventions import KW_PER_MW
from gridv2x.v2x.flexibility import GridSensitivity

__all__ = ["grid_sensitivity"]

PROBE_KW = 1.0
"""Power of the probe load at each customer connection [kW] (linear range of an LV feeder)."""


def grid_sensitivity(
    net: Any,
    customers: pd.DataFrame,
    fleet: pd.DataFrame,
    pf: Any,
    limits: Mapping[str, Any],
    *,
    load_p_mw: pd.DataFrame | None = None,
    load_q_mvar: pd.DataFrame | None = None,
) -> GridSensitivity:
    """Room per step and use per kW of every limit, for the EVs of ``fleet`` (module docs).

    Parameters
    ----------
    net : pandapowerNet
        The feeder's network.
    customers : pandas.DataFrame
        ``customer_id, bus, load`` of the feeder.
    fleet : pandas.DataFrame
        ``ev_id, customer_id``: column order of ``use`` follows ``fleet``.
    pf : TimeseriesResult
        The task's load flow (``vm_pu``, loadings, ``trafo_p_mw``; per-phase runs give the
        lowest and highest phase voltage).
    limits : mapping
        ``v_min_pu, v_max_pu`` [pu], ``transformer_loading_pct, line_loading_pct`` [%].
    load_p_mw, load_q_mvar : pandas.DataFrame or None
        The task's load-flow inputs (columns: load index, or ``(load, phase)``): the operating
        point is their step with the lowest voltage. None = no load.

    Returns
    -------
    GridSensitivity
    """
    loads = customers["load"].to_numpy()
    buses = np.unique(customers["bus"].to_numpy())
    n_loads = len(net.load)
    point_p = np.zeros(n_loads)
    point_q = np.zeros(n_loads)
    if load_p_mw is not None and load_q_mvar is not None and len(load_p_mw):
        worst = int(np.nanargmin(pf.vm_pu.min(axis=1).fillna(np.inf).to_numpy()))
        point_p = _per_load(load_p_mw.iloc[worst], net.load.index)
        point_q = _per_load(load_q_mvar.iloc[worst], net.load.index)
    probes = np.tile(point_p, (len(loads) + 1, 1))
    position = {int(load): i for i, load in enumerate(net.load.index)}
    for m, load in enumerate(loads):
        probes[m + 1, position[int(load)]] += PROBE_KW / KW_PER_MW
    probe_index = pd.date_range("2000-01-01", periods=len(probes), freq="15min", tz="UTC")
    probe = powerflow.run_timeseries(
        net,
        pd.DataFrame(probes, index=probe_index, columns=net.load.index),
        pd.DataFrame(np.tile(point_q, (len(probes), 1)), index=probe_index, columns=net.load.index),
    )
    v = probe.vm_pu[buses].to_numpy(dtype=float)
    trafo = probe.trafo_loading_percent.to_numpy(dtype=float)
    lines = probe.line_loading_percent.fillna(0.0).to_numpy(dtype=float)
    per_load = np.hstack([v[0] - v[1:], trafo[1:] - trafo[0], lines[1:] - lines[0]]) / PROBE_KW
    per_load = np.clip(per_load, 0.0, None)  # [customer x limit]
    row_of = {cid: m for m, cid in enumerate(customers["customer_id"])}
    rows = [row_of[c] for c in fleet["customer_id"]]
    use = per_load[rows].T  # [limit x ev]

    vm = pf.vm_pu[buses].to_numpy(dtype=float)
    phases = [x for p in "abc" if (x := getattr(pf, f"vm_{p}_pu", None)) is not None]
    if len(phases) == 3:
        vm_high = np.maximum.reduce([x[buses].to_numpy(dtype=float) for x in phases])
    else:
        vm_high = vm
    t_load = pf.trafo_loading_percent.to_numpy(dtype=float)
    l_load = pf.line_loading_percent.fillna(0.0).to_numpy(dtype=float)
    importing = (pf.trafo_p_mw.to_numpy(dtype=float).sum(axis=1) >= 0.0)[:, None]
    t_lim = float(limits["transformer_loading_pct"])
    l_lim = float(limits["line_loading_pct"])
    room_down = np.hstack([vm - float(limits["v_min_pu"]), t_lim - t_load, l_lim - l_load])
    room_up = np.hstack(
        [
            float(limits["v_max_pu"]) - vm_high,
            np.where(importing, t_lim + t_load, t_lim - t_load),
            np.where(importing, l_lim + l_load, l_lim - l_load),
        ]
    )
    # a step that did not converge has no room (NaN voltages)
    room_down = np.nan_to_num(room_down, nan=0.0)
    room_up = np.nan_to_num(room_up, nan=0.0)
    return GridSensitivity(room_up=room_up, room_down=room_down, use=use)


def _per_load(row: pd.Series, loads: pd.Index) -> np.ndarray:
    """One step's power per pandapower load [MW], phases summed."""
    if isinstance(row.index, pd.MultiIndex):
        row = row.groupby(level=0).sum()
    return row.reindex(loads, fill_value=0.0).to_numpy(dtype=float)
