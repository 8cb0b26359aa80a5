"""The per-task tables of a load flow: one row per customer, one per element (line,
transformer), and the feeder time series (the load-flow result ``pf``: see
:mod:`gridv2x.metrics.summary`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.conventions import KW_PER_MW
from gridv2x.errors import InputError
from gridv2x.metrics.statistics import (
    CustomerStatistics,
    _customers,
    _mask,
    _total_trafo_kw,
    converged_mask,
    customer_statistics,
    customer_voltage,
)
from gridv2x.metrics.voltage import column_max, column_min

__all__ = ["customer_table", "element_table", "timeseries_table"]


def _per_column(reduce: Any, frame: pd.DataFrame) -> pd.Series:
    """``reduce`` (:func:`column_min`, :func:`column_max`) of every column of ``frame``."""
    return pd.Series(reduce(frame.to_numpy(dtype=float)), index=frame.columns)


def customer_table(
    pf: Any,
    customers: pd.DataFrame,
    *,
    limits: Mapping[str, Any] | None = None,
    customer_p_kw: pd.DataFrame | None = None,
    customer_q_kvar: pd.DataFrame | None = None,
    evs: pd.DataFrame | None = None,
    statistics: CustomerStatistics | None = None,
) -> pd.DataFrame:
    """One row per customer for the results store and the map.

    Parameters
    ----------
    pf : TimeseriesResult-like
        Load-flow result.
    customers : pandas.DataFrame
        ``conventions.CUSTOMER_COLUMNS``.
    limits : mapping, optional
        The scenario's ``limits`` section.
    customer_p_kw, customer_q_kvar : pandas.DataFrame, optional
        Customer power ``[time x customer_id]`` for the main-fuse loading.
    evs : pandas.DataFrame, optional
        Table with a ``customer_id`` column, one row per EV (fleet or ``per_ev`` with owners),
        to count ``n_evs``; without it ``n_evs`` is 0.
    statistics : CustomerStatistics, optional
        :func:`customer_statistics` of this load flow, shared with :func:`summarize`.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id, bus, v_min_pu, v_max_pu, v_p05_pu, n_evs,
        fuse_max_loading_pct`` [pu, %] plus ``swedish_rule_compliant``,
        ``en50160_compliant`` and ``hours_outside`` [h]; NaN fuse loading without power.

    References
    ----------
    .. [1] EN 50160:2022; EIFS 2023:3 ch. 7; docs/sources.md §1.5, §3.
    """
    customers = _customers(customers)
    stats = statistics or customer_statistics(
        pf,
        customers,
        limits=limits,
        customer_p_kw=customer_p_kw,
        customer_q_kvar=customer_q_kvar,
    )
    vq, vm_low, vm_high = stats.quality, stats.vm_low, stats.vm_high
    ids = customers["customer_id"]
    out = pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "bus": customers["bus"].to_numpy(),
            "v_min_pu": _per_column(column_min, vm_low).reindex(ids).to_numpy(),
            "v_max_pu": _per_column(column_max, vm_high).reindex(ids).to_numpy(),
            "v_p05_pu": stats.low_p05_pu().reindex(ids).to_numpy(),
        }
    )
    if evs is not None and len(evs):
        if "customer_id" not in evs:
            raise InputError("evs must have a customer_id column")
        counts = evs["customer_id"].value_counts()
        out["n_evs"] = counts.reindex(ids).fillna(0).astype(int).to_numpy()
    else:
        out["n_evs"] = 0
    if stats.fuse_pct is None:
        out["fuse_max_loading_pct"] = np.nan
    else:
        out["fuse_max_loading_pct"] = stats.fuse_max_pct().reindex(ids).to_numpy()  # type: ignore[union-attr]
    out["swedish_rule_compliant"] = vq["swedish_rule_compliant"].reindex(ids).to_numpy()
    out["en50160_compliant"] = vq["en50160_compliant"].reindex(ids).to_numpy()
    out["hours_outside"] = vq["hours_outside"].reindex(ids).to_numpy()
    return out


def element_table(pf: Any) -> pd.DataFrame:
    """One row per bus, line and transformer with its extreme values (map colouring).

    Parameters
    ----------
    pf : TimeseriesResult-like
        Load-flow result; non-converged steps are left out.

    Returns
    -------
    pandas.DataFrame
        Columns ``element`` (label ``"bus 3"``, ``"line 2"``, ``"trafo 0"``), ``index``
        (pandapower index, int), ``kind`` (``"bus"``, ``"line"``, ``"trafo"``),
        ``max_loading_pct`` [%] (lines, transformers; NaN for buses), ``v_min_pu``,
        ``v_max_pu`` [pu] (buses; NaN otherwise).

    References
    ----------
    .. [1] docs/sources.md §1, §3.
    """
    converged = converged_mask(pf)
    vm = _mask(pf.vm_pu, converged)
    parts = [
        pd.DataFrame(
            {
                "kind": "bus",
                "index": vm.columns,
                "max_loading_pct": np.nan,
                "v_min_pu": column_min(vm.to_numpy(dtype=float)),
                "v_max_pu": column_max(vm.to_numpy(dtype=float)),
            }
        )
    ]
    for kind, frame in (("line", pf.line_loading_percent), ("trafo", pf.trafo_loading_percent)):
        masked = _mask(frame, converged)
        parts.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "index": masked.columns,
                    "max_loading_pct": column_max(masked.to_numpy(dtype=float)),
                    "v_min_pu": np.nan,
                    "v_max_pu": np.nan,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["index"] = out["index"].astype(int)
    out.insert(0, "element", out["kind"] + " " + out["index"].astype(str))
    return out


def timeseries_table(
    pf: Any, customers: pd.DataFrame, *, statistics: CustomerStatistics | None = None
) -> pd.DataFrame:
    """Compact per-step aggregates of a load flow (``timeseries.parquet`` columns).

    Parameters
    ----------
    pf : TimeseriesResult-like
        Load-flow result.
    customers : pandas.DataFrame
        ``conventions.CUSTOMER_COLUMNS`` (voltages are taken at customer connections).
    statistics : CustomerStatistics, optional
        :func:`customer_statistics` of this load flow (its lowest and highest customer
        voltages are reused).

    Returns
    -------
    pandas.DataFrame
        Indexed by time: ``transformer_p_kw`` [kW] (total, import positive),
        ``transformer_loading_pct`` [%] (most loaded transformer), ``v_min_pu``,
        ``v_max_pu`` [pu] (over customers), ``line_max_loading_pct`` [%], ``losses_kw`` [kW],
        ``unbalance_max_pct`` [%] (NaN when balanced), ``converged`` (bool). The caller adds
        ``base_load_kw`` and ``ev_load_kw``. Non-converged steps are NaN.

    References
    ----------
    .. [1] docs/architecture.md, "Results store".
    """
    if statistics is not None:
        converged, vm_low, vm_high = statistics.converged, statistics.vm_low, statistics.vm_high
    else:
        converged = converged_mask(pf)
        vm_low = customer_voltage(pf, customers, converged=converged, which="low")
        vm_high = customer_voltage(pf, customers, converged=converged, which="high")
    vuf = _mask(getattr(pf, "vuf_pct", None), converged)
    out = pd.DataFrame(
        {
            "transformer_p_kw": _total_trafo_kw(pf, converged),
            "transformer_loading_pct": _mask(pf.trafo_loading_percent, converged).max(axis=1),
            "v_min_pu": vm_low.min(axis=1),
            "v_max_pu": vm_high.max(axis=1),
            "line_max_loading_pct": _mask(pf.line_loading_percent, converged).max(axis=1),
            "losses_kw": pd.Series(pf.losses_mw, dtype=float).where(converged.to_numpy()).to_numpy()
            * KW_PER_MW,
            "unbalance_max_pct": np.nan if vuf is None else vuf.max(axis=1),
            "converged": converged.to_numpy(),
        },
        index=pf.vm_pu.index,
    )
    out.index.name = "time"
    return out
