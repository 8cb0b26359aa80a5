"""One summary row per task (the tables: :mod:`gridv2x.metrics.tables`; the first violation:
:mod:`gridv2x.metrics.first_violation`; shared statistics: :mod:`gridv2x.metrics.statistics`).

The load-flow result ``pf`` is any object with the attributes of
``gridv2x.powerflow.TimeseriesResult`` (docs/architecture.md, "Load flow"): ``vm_pu``
``[time x bus]``, ``line_loading_percent`` ``[time x line]``, ``trafo_loading_percent`` and
``trafo_p_mw`` ``[time x trafo]`` (HV side, import positive), ``losses_mw`` (Series [MW]),
``converged`` (bool Series) and optionally ``vuf_pct`` ``[time x bus]`` (None when balanced) and
``vm_a_pu``, ``vm_b_pu``, ``vm_c_pu`` (per-phase voltages of an unbalanced load flow).

Steps whose load flow did not converge are left out of every voltage, loading and loss
statistic; ``converged_share`` reports how many there were and the ``convergence`` criterion
can count them as a violation.

References
----------
.. [1] EN 50160:2022, voltage characteristics of public networks (§4.2.2, §4.2.5).
.. [2] EIFS 2013:1 / EIFS 2023:3 ch. 7 (Energimarknadsinspektionen), Swedish voltage rules.
.. [3] gridv2x reference data, ``docs/sources.md §3`` (voltage quality) and ``§7`` (defaults).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.conventions import KW_PER_MW
from gridv2x.errors import InputError
from gridv2x.metrics import _kernels
from gridv2x.metrics._util import infer_step_hours
from gridv2x.metrics.first_violation import first_violation
from gridv2x.metrics.limits import resolve_limits
from gridv2x.metrics.loading import (
    energy_above_limit_kwh,
    hours_above,
    losses_kwh,
)
from gridv2x.metrics.statistics import (
    CHUNK_STEPS,
    CustomerStatistics,
    _mask,
    _total_trafo_kw,
    customer_statistics,
)
from gridv2x.metrics.voltage import column_max, to_window_means, voltage_violation_share

__all__ = ["summarize", "neutral_metrics", "EV_COLUMNS"]

EV_COLUMNS = {
    "ev_charged_kwh": "charged_kwh",
    "ev_discharged_kwh": "discharged_kwh",
    "ev_driving_kwh": "driving_kwh",
    "ev_unmet_kwh": "unmet_kwh",
    "ev_shortfall_kwh": "shortfall_kwh",
    "ev_losses_kwh": "losses_kwh",
    "ev_guard_lost_kwh": "guard_lost_kwh",
    "ev_energy_cost_sek": "energy_cost_sek",
    "v2g_virtual_km": "virtual_km",
}
"""Summary column -> column of ``ChargingResult.per_ev`` that is summed over EVs."""


def neutral_metrics(pf: Any, converged: pd.Series) -> dict[str, float]:
    """Highest neutral (PEN) current of any line [A] and its loading against the line rating [%].

    The neutral of a Swedish four-core LV cable has the phase conductors' cross-section, so its
    rating is taken as the line's (``line_i_ka / line_loading_percent``; docs/sources.md §14
    [E]). NaN for balanced load flows (no neutral current) and results without
    ``line_i_n_ka``.
    """
    i_n = getattr(pf, "line_i_n_ka", None)
    if i_n is None or not len(i_n.columns):
        return {"neutral_max_current_a": float("nan"), "neutral_max_loading_pct": float("nan")}
    i_n = _mask(i_n, converged)
    rating_ka = _line_rating_ka(pf.line_i_ka, pf.line_loading_percent)
    # loading = current / rating x 100 rises with the current (rounding included), so the
    # highest loading of a line is that of its highest current: one value per line
    highest_ka = pd.DataFrame([column_max(i_n.to_numpy(dtype=float))], columns=i_n.columns)
    loading = highest_ka / rating_ka.where(rating_ka > 0) * 100
    return {
        "neutral_max_current_a": _max(i_n) * 1e3,
        "neutral_max_loading_pct": _max(loading),
    }


def summarize(
    pf: Any,
    customers: pd.DataFrame,
    per_ev: pd.DataFrame | None,
    index: pd.DatetimeIndex,
    *,
    limits: Mapping[str, Any] | None = None,
    customer_p_kw: pd.DataFrame | None = None,
    customer_q_kvar: pd.DataFrame | None = None,
    statistics: CustomerStatistics | None = None,
) -> dict[str, Any]:
    """One summary row of a task: peak, voltage quality, loading, losses, fuses, EV energy.

    Parameters
    ----------
    pf : TimeseriesResult-like
        Load-flow result on ``index`` (module docstring).
    customers : pandas.DataFrame
        ``conventions.CUSTOMER_COLUMNS`` of the feeder (``customer_id``, ``bus``; ``fuse_a``,
        ``phases`` and ``phase`` where used).
    per_ev : pandas.DataFrame or None
        ``ChargingResult.per_ev`` (``charged_kwh, discharged_kwh, driving_kwh, unmet_kwh,
        virtual_km, degradation_pct``); empty or None without EVs.
    index : pandas.DatetimeIndex
        The study's time index (``conventions.period_index``); gives the step length [h].
    limits : mapping, optional
        The scenario's ``limits`` section; missing keys take their defaults (docs/sources.md §3, §7).
    customer_p_kw, customer_q_kvar : pandas.DataFrame, optional
        Customer power including EVs ``[time x customer_id]`` [kW, kvar] (or columns
        ``(customer_id, phase)`` per phase) for the main-fuse check; without them the fuse
        metrics are NaN and the ``fuse`` criterion cannot be counted.
    statistics : CustomerStatistics, optional
        :func:`customer_statistics` of this load flow, to share with :func:`customer_table`
        (then ``limits`` and the customer power are taken from it).

    Returns
    -------
    dict
        Every non-identity column of ``conventions.SUMMARY_COLUMNS`` plus the further columns
        registered in ``gridv2x.metrics.METRICS``: hours and energy beyond limits, EN 50160
        and Swedish-rule compliance, planning-band share, fuse overloads, mean EV degradation,
        ``violates_<criterion>`` for every criterion, ``violation`` (any criterion listed in
        ``limits.criteria``) and the first counted violation (time, criterion, element).

        ``transformer_peak_kw`` is the highest total active power drawn from the 10 kV side
        through the secondary transformer(s) [kW] (``trafo_p_mw``, import positive);
        ``transformer_reverse_peak_kw`` the highest power fed back. Voltages are taken at the
        customers' connections.

    Raises
    ------
    InputError
        Invalid limits; ``fuse`` counted without customer power; inconsistent tables.

    References
    ----------
    .. [1] EN 50160:2022 §4.2.2, §4.2.5.
    .. [2] EIFS 2013:1 / EIFS 2023:3 ch. 7.
    .. [3] docs/sources.md §3 (limits), §7 (defaults).
    """
    lim = resolve_limits(statistics.limits if statistics is not None else limits)
    if statistics is not None:
        customer_p_kw = statistics.customer_p_kw
    if "fuse" in lim["criteria"] and customer_p_kw is None:
        raise InputError(
            "limits.criteria counts 'fuse' but no customer power was given for the main-fuse "
            "check (customer_p_kw)"
        )
    step_h = infer_step_hours(index)
    stats = statistics or customer_statistics(
        pf,
        customers,
        limits=lim,
        customer_p_kw=customer_p_kw,
        customer_q_kvar=customer_q_kvar,
        index=index,
    )
    converged = stats.converged
    if len(converged) != len(index):
        raise InputError(
            f"load-flow result has {len(converged)} steps but the time index has {len(index)}"
        )
    customer_p_kw = stats.customer_p_kw
    row: dict[str, Any] = {}

    # transformer
    total_kw = _total_trafo_kw(pf, converged)
    trafo_loading = _mask(pf.trafo_loading_percent, converged)
    trafo_p_kw = _mask(pf.trafo_p_mw, converged) * KW_PER_MW
    row["transformer_peak_kw"] = float(total_kw.max())
    row["transformer_reverse_peak_kw"] = (
        float(max(0.0, -total_kw.min())) if total_kw.notna().any() else float("nan")
    )
    row["transformer_max_loading_pct"] = _max(trafo_loading)
    row["transformer_hours_above"] = hours_above(
        trafo_loading, lim["transformer_loading_pct"], step_h=step_h
    )
    row["transformer_energy_above_kwh"] = energy_above_limit_kwh(
        trafo_p_kw, trafo_loading, limit_pct=lim["transformer_loading_pct"], step_h=step_h
    )

    # lines
    line_loading = _mask(pf.line_loading_percent, converged)
    row["line_max_loading_pct"] = _max(line_loading)
    row["line_hours_above"] = hours_above(line_loading, lim["line_loading_pct"], step_h=step_h)

    # voltage at the customers
    vm, vq, vm_low, vm_high = stats.vm, stats.quality, stats.vm_low, stats.vm_high
    row["v_min_pu"] = _min(vm_low)
    row["v_max_pu"] = _max(vm_high)
    # balanced: vm_low is vm, whose 5th percentiles voltage_quality has computed already
    p05 = vq["v_p05_pu"] if vm_low is vm else stats.low_p05_pu()
    row["v_p05_pu"] = _min(p05.to_frame())
    row["voltage_violation_share"] = voltage_violation_share(vm, lim["v_min_pu"], lim["v_max_pu"])
    vm_w = to_window_means(vm, lim["en50160_window"])
    row["voltage_hours_outside"] = _hours_outside(vm_w, lim["v_min_pu"], lim["v_max_pu"])
    row["planning_band_violation_share"] = voltage_violation_share(
        vm, lim["planning_v_min_pu"], lim["planning_v_max_pu"]
    )
    row["en50160_compliant"] = bool(vq["en50160_compliant"].all()) if len(vq) else False
    row["en50160_worst_week_share"] = float(vq["en50160_worst_week_share"].min())
    row["swedish_rule_compliant"] = bool(vq["swedish_rule_compliant"].all()) if len(vq) else False
    row["customers_outside_band"] = int((vq["values_outside"] > 0).sum())

    # unbalance
    vuf = _mask(getattr(pf, "vuf_pct", None), converged)
    if vuf is None:
        row["unbalance_max_pct"] = float("nan")
        row["unbalance_hours_above"] = 0.0
    else:
        row["unbalance_max_pct"] = _max(vuf)
        row["unbalance_hours_above"] = hours_above(vuf, lim["unbalance_pct"], step_h=step_h)
    row.update(neutral_metrics(pf, converged))

    # losses
    losses = pd.Series(pf.losses_mw, dtype=float).where(converged.to_numpy())
    row["losses_kwh"] = losses_kwh(losses, step_h=step_h)
    drawn_kwh = float(np.nansum(total_kw.to_numpy())) * step_h
    row["losses_share"] = row["losses_kwh"] / drawn_kwh if drawn_kwh > 0 else float("nan")

    # main fuses (the per-step fuse loading is computed once and shared)
    fuse_pct = stats.fuse_pct
    if fuse_pct is None:
        row["fuse_max_loading_pct"] = float("nan")
        row["fuse_overloads"] = 0
        row["fuse_hours_above"] = 0.0
        row["fuse_energy_above_kwh"] = float("nan")
    else:
        fuse_max = stats.fuse_max_pct()
        assert fuse_max is not None  # there is a fuse loading
        row["fuse_max_loading_pct"] = float(fuse_max.max())
        # a customer's fuse is above the limit in some step exactly when its highest is
        row["fuse_overloads"] = int((fuse_max > lim["fuse_loading_pct"]).sum())
        if row["fuse_overloads"] or _kernels.REFERENCE:
            row["fuse_hours_above"] = hours_above(fuse_pct, lim["fuse_loading_pct"], step_h=step_h)
            assert customer_p_kw is not None  # the fuse loading exists only with customer power
            row["fuse_energy_above_kwh"] = _fuse_energy_above_kwh(
                customer_p_kw, fuse_pct, lim["fuse_loading_pct"], step_h
            )
        else:  # no step above the limit: what both give without one
            row["fuse_hours_above"] = 0.0
            row["fuse_energy_above_kwh"] = 0.0

    # EVs
    per_ev = pd.DataFrame() if per_ev is None else per_ev
    for column, source in EV_COLUMNS.items():
        row[column] = float(per_ev[source].sum()) if source in per_ev else 0.0
    row["ev_degradation_mean_pct"] = (
        float(per_ev["degradation_pct"].mean())
        if "degradation_pct" in per_ev and len(per_ev)
        else float("nan")
    )

    row["converged_share"] = float(converged.mean()) if len(converged) else float("nan")

    # violations
    rule = "swedish_rule_compliant" if lim["voltage_rule"] == "swedish" else "en50160_compliant"
    flags = {
        "voltage": not row[rule],
        "transformer_loading": _gt(
            row["transformer_max_loading_pct"], lim["transformer_loading_pct"]
        ),
        "line_loading": _gt(row["line_max_loading_pct"], lim["line_loading_pct"]),
        "unbalance": _gt(row["unbalance_max_pct"], lim["unbalance_pct"]),
        "fuse": row["fuse_overloads"] > 0,
        "convergence": row["converged_share"] < 1.0,
    }
    for crit, flag in flags.items():
        row[f"violates_{crit}"] = bool(flag)
    row["violation"] = any(flags[c] for c in lim["criteria"])

    first = first_violation(pf, customers, statistics=stats)
    counted = first[first["counted"] & first["time"].notna()]
    if len(counted):
        row["first_violation_time"] = counted["time"].iloc[0]
        row["first_violation_criterion"] = counted["criterion"].iloc[0]
        row["first_violation_element"] = counted["element"].iloc[0]
    else:
        row["first_violation_time"] = pd.NaT
        row["first_violation_criterion"] = ""
        row["first_violation_element"] = ""
    return row


def _line_rating_ka(i_ka: pd.DataFrame, loading_pct: pd.DataFrame) -> pd.Series:
    """Rating of each line [kA]: the highest ``current / loading x 100`` over the steps (NaN
    where never defined), computed :data:`CHUNK_STEPS` steps at a time (no whole-period
    temporaries; the maximum is the same)."""
    loading = loading_pct.reindex_like(i_ka).to_numpy(dtype=float)
    current = i_ka.to_numpy(dtype=float)
    rating = np.full(current.shape[1], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, len(current), CHUNK_STEPS):
            rows = slice(start, start + CHUNK_STEPS)
            chunk = current[rows] / loading[rows] * 100
            np.fmax(rating, np.fmax.reduce(chunk, axis=0), out=rating)  # NaN skipped
    return pd.Series(rating, index=i_ka.columns)


def _fuse_energy_above_kwh(
    customer_p_kw: pd.DataFrame, fuse_pct: pd.DataFrame, limit_pct: float, step_h: float
) -> float:
    """:func:`energy_above_limit_kwh` of the customers' main fuses [kWh].

    Only the steps in which some fuse is above the limit can count, so the customer power
    (summed over phases when given per phase) is formed for those steps only; energy per step
    and customer and its sum are those of the whole-period computation.
    """
    over = np.flatnonzero((fuse_pct.to_numpy() > limit_pct).any(axis=1))
    p_total = customer_p_kw.iloc[over]
    if isinstance(p_total.columns, pd.MultiIndex):
        p_total = p_total.T.groupby(level=0, sort=False).sum(min_count=1).T
    return energy_above_limit_kwh(
        p_total.reindex(columns=fuse_pct.columns),
        fuse_pct.iloc[over],
        limit_pct=limit_pct,
        step_h=step_h,
    )


def _max(frame: pd.DataFrame | None) -> float:
    if frame is None or frame.size == 0:
        return float("nan")
    values = frame.to_numpy(dtype=float)
    return float(np.nanmax(values)) if np.isfinite(values).any() else float("nan")


def _min(frame: pd.DataFrame | None) -> float:
    if frame is None or frame.size == 0:
        return float("nan")
    values = frame.to_numpy(dtype=float)
    return float(np.nanmin(values)) if np.isfinite(values).any() else float("nan")


def _gt(value: float, limit: float) -> bool:
    return bool(np.isfinite(value) and value > limit)


def _hours_outside(vm_w: pd.DataFrame, v_min_pu: float, v_max_pu: float) -> float:
    if len(vm_w) < 2:
        return 0.0
    values = vm_w.to_numpy(dtype=float)
    if _kernels.REFERENCE:
        outside = (np.isfinite(values) & ((values < v_min_pu) | (values > v_max_pu))).any(axis=1)
        n_rows = int(outside.sum())
    else:  # one compiled pass, the same count
        _, _, n_rows, _ = _kernels.band_scan(
            np.ascontiguousarray(values), float(v_min_pu), float(v_max_pu)
        )
    return float(n_rows) * infer_step_hours(vm_w.index)
