"""The first violation of a task: the first step at which each criterion of the limits section
is broken, with the element that breaks it (the load-flow result ``pf``: see
:mod:`gridv2x.metrics.summary`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.metrics import _kernels
from gridv2x.metrics.statistics import (
    CustomerStatistics,
    _mask,
    customer_statistics,
)
from gridv2x.metrics.voltage import to_window_means

__all__ = ["first_violation"]


def _first_in(
    above: pd.DataFrame | np.ndarray,
    exceedance: pd.DataFrame | np.ndarray,
    values: pd.DataFrame,
    prefix: str,
) -> tuple[Any, str, float]:
    """First step where any element is ``above`` its limit, and the worst element then.

    ``above`` and ``exceedance`` may be arrays of ``values``' shape; labels come from
    ``values``.
    """
    above = np.asarray(above)
    rows = np.flatnonzero(above.any(axis=1))
    if len(rows) == 0:
        return pd.NaT, "", float("nan")
    r = rows[0]
    ex = np.where(above[r], np.asarray(exceedance, dtype=float)[r], -np.inf)
    c = int(np.argmax(ex))
    return values.index[r], f"{prefix} {values.columns[c]}", float(values.to_numpy()[r, c])


def first_violation(
    pf: Any,
    customers: pd.DataFrame,
    *,
    limits: Mapping[str, Any] | None = None,
    customer_p_kw: pd.DataFrame | None = None,
    customer_q_kvar: pd.DataFrame | None = None,
    statistics: CustomerStatistics | None = None,
) -> pd.DataFrame:
    """When and where each criterion is first violated.

    Parameters
    ----------
    pf : TimeseriesResult-like
        Load-flow result (module docstring).
    customers : pandas.DataFrame
        ``conventions.CUSTOMER_COLUMNS`` (at least ``customer_id``, ``bus``; ``fuse_a`` and
        ``phases`` for the fuse check).
    limits : mapping, optional
        The scenario's ``limits`` section (defaults filled in).
    customer_p_kw, customer_q_kvar : pandas.DataFrame, optional
        Customer power ``[time x customer_id]`` [kW, kvar] for the main-fuse check.
    statistics : CustomerStatistics, optional
        :func:`customer_statistics` of this load flow when the caller has it already (then
        ``limits`` and the customer power are taken from it).

    Returns
    -------
    pandas.DataFrame
        One row per criterion (``voltage``, ``transformer_loading``, ``line_loading``,
        ``unbalance``, ``fuse``, ``convergence``; those that cannot be evaluated are left out)
        with ``time`` (first violating step, NaT if none), ``element`` (``"customer <id>"``,
        ``"trafo <i>"``, ``"line <i>"``, ``"bus <i>"``; the worst one when several violate in
        that step), ``value`` (its value: voltage [pu], loading [%], unbalance [%]), ``limit``
        and ``counted`` (the criterion is in ``limits.criteria``); sorted by time, never-
        violated criteria last. For voltage the first window mean outside the band counts
        (for either voltage rule: it is the first time the band is left).

    References
    ----------
    .. [1] EN 50160:2022; EIFS 2023:3 ch. 7; docs/sources.md §3.
    """
    stats = statistics or customer_statistics(
        pf,
        customers,
        limits=limits,
        customer_p_kw=customer_p_kw,
        customer_q_kvar=customer_q_kvar,
    )
    lim, converged = stats.limits, stats.converged
    rows = []

    vm_w = to_window_means(stats.vm, lim["en50160_window"])
    values = vm_w.to_numpy(dtype=float)
    if not _kernels.REFERENCE:  # only the first step outside the band is needed
        first = _kernels.band_scan(
            np.ascontiguousarray(values), float(lim["v_min_pu"]), float(lim["v_max_pu"])
        )[3]
        vm_w = vm_w.iloc[max(first, 0) : first + 1]  # empty without one
        values = values[max(first, 0) : first + 1]
    dev = np.maximum(lim["v_min_pu"] - values, values - lim["v_max_pu"])
    t, el, v = _first_in(dev > 0, dev, vm_w, "customer")
    rows.append(("voltage", t, el, v, f"[{lim['v_min_pu']}, {lim['v_max_pu']}]"))

    for crit, frame, prefix, key in (
        ("transformer_loading", pf.trafo_loading_percent, "trafo", "transformer_loading_pct"),
        ("line_loading", pf.line_loading_percent, "line", "line_loading_pct"),
        ("unbalance", getattr(pf, "vuf_pct", None), "bus", "unbalance_pct"),
    ):
        if frame is None:
            continue
        masked = _mask(frame, converged)
        t, el, v = _first_in(masked > lim[key], masked, masked, prefix)
        rows.append((crit, t, el, v, lim[key]))

    if stats.fuse_pct is not None:
        fl = stats.fuse_pct
        fuse_max = stats.fuse_max_pct()
        if _kernels.REFERENCE or (fuse_max > lim["fuse_loading_pct"]).any():
            t, el, v = _first_in(fl > lim["fuse_loading_pct"], fl, fl, "customer")
        else:  # no fuse above the limit in any step
            t, el, v = pd.NaT, "", float("nan")
        rows.append(("fuse", t, el, v, lim["fuse_loading_pct"]))

    bad = np.flatnonzero(~converged.to_numpy())
    t = converged.index[bad[0]] if len(bad) else pd.NaT
    rows.append(("convergence", t, "feeder" if len(bad) else "", float("nan"), "converged"))

    out = pd.DataFrame(rows, columns=["criterion", "time", "element", "value", "limit"])
    out["counted"] = out["criterion"].isin(lim["criteria"])
    out = out.sort_values("time", na_position="last", kind="stable").reset_index(drop=True)
    return out
