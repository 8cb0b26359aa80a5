"""One summary row per task, per-customer and per-element tables, the first violation.

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
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import pandas as pd

from gridv2x.conventions import KW_PER_MW
from gridv2x.errors import InputError
from gridv2x.metrics._util import infer_step_hours, is_float_frame
from gridv2x.metrics.limits import SECTION as LIMITS_SECTION
from gridv2x.metrics.loading import (
    energy_above_limit_kwh,
    hours_above,
    losses_kwh,
)
from gridv2x.metrics.voltage import to_window_means, voltage_quality, voltage_violation_share

__all__ = [
    "resolve_limits",
    "converged_mask",
    "CustomerStatistics",
    "customer_statistics",
    "customer_voltage",
    "summarize",
    "first_violation",
    "customer_table",
    "element_table",
    "timeseries_table",
]

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


def resolve_limits(limits: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a ``limits`` section and fill in its defaults.

    Parameters
    ----------
    limits : mapping or None
        The scenario's ``limits`` section (possibly partial); None gives all defaults.

    Returns
    -------
    dict
        Every key of ``gridv2x.metrics.limits.SECTION`` with its value.

    Raises
    ------
    InputError
        Listing every invalid or unknown key at once.

    References
    ----------
    .. [1] docs/sources.md §3, §7 (the defaults).
    """
    errors, resolved = LIMITS_SECTION.validate("limits", dict(limits or {}))
    problems = [str(e) for e in errors]
    if not problems and resolved["v_min_pu"] >= resolved["v_max_pu"]:
        problems = ["limits.v_min_pu must be below limits.v_max_pu"]
    if problems:
        raise InputError("invalid limits:\n" + "\n".join(f"  - {e}" for e in problems))
    return resolved


def converged_mask(pf: Any, index: pd.Index | None = None) -> pd.Series:
    """Boolean Series: True for the steps whose load flow converged."""
    converged = getattr(pf, "converged", None)
    if converged is None:
        ref = pf.vm_pu.index if index is None else index
        return pd.Series(True, index=ref)
    converged = pd.Series(converged).astype(bool)
    if index is not None and len(converged) != len(index):
        raise InputError(
            f"load-flow result has {len(converged)} steps but the time index has {len(index)}"
        )
    return converged


@overload
def _mask(frame: None, converged: pd.Series) -> None: ...
@overload
def _mask(frame: pd.DataFrame, converged: pd.Series) -> pd.DataFrame: ...
def _mask(frame: pd.DataFrame | None, converged: pd.Series) -> pd.DataFrame | None:
    if frame is None:
        return None
    if len(frame) != len(converged):
        raise InputError(
            f"load-flow result tables disagree on the number of steps ({len(frame)} vs "
            f"{len(converged)})"
        )
    ok = converged.to_numpy(dtype=bool)
    if ok.all() and is_float_frame(frame):
        return frame  # nothing to blank: no copy (callers only read it)
    values = frame.to_numpy(dtype=float, copy=True)
    values[~ok] = np.nan
    return pd.DataFrame(values, index=frame.index, columns=frame.columns)


@overload
def _mask_power(frame: None, converged: pd.Series) -> None: ...
@overload
def _mask_power(frame: pd.DataFrame, converged: pd.Series) -> pd.DataFrame: ...
def _mask_power(frame: pd.DataFrame | None, converged: pd.Series) -> pd.DataFrame | None:
    """Customer power with the non-converged steps blanked (left out of the fuse check)."""
    if frame is None:
        return None
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"customer power must be a DataFrame [time x customer_id], got {type(frame)!r}"
        )
    return _mask(frame, converged)


def _customers(customers: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(customers, pd.DataFrame) or not {"customer_id", "bus"} <= set(
        customers.columns
    ):
        raise InputError("customers must be a DataFrame with at least customer_id and bus")
    if customers["customer_id"].duplicated().any():
        raise InputError("customers.customer_id must be unique")
    return customers


def customer_voltage(
    pf: Any,
    customers: pd.DataFrame,
    *,
    converged: pd.Series | None = None,
    centre_pu: float = 1.0,
    which: str = "band",
) -> pd.DataFrame:
    """Voltage at every customer connection ``[time x customer_id]`` [pu].

    Balanced load flow: the voltage of the customer's bus. Unbalanced load flow with per-phase
    voltages (``vm_a_pu`` ...) and a ``phase`` column: a single-phase customer sees its own
    phase; a three-phase customer the phase furthest outside the middle of the band (lowest
    or highest, measured from ``centre_pu``, the middle of the band [pu]), so that the
    customer is inside the band exactly when all its phases are. Without per-phase voltages
    ``vm_pu`` (the lowest phase) is used. Steps that did not converge are NaN.

    ``which="low"`` / ``"high"`` give instead the lowest / highest phase of a three-phase
    customer (for the extremes of a table; single-phase customers always see their phase).

    References
    ----------
    .. [1] EIFS 2023:3 ch. 7 (voltage at the customer's connection point); docs/sources.md §3.
    """
    customers = _customers(customers)
    if which not in ("band", "low", "high"):
        raise InputError(f"which must be 'band', 'low' or 'high', got {which!r}")
    if converged is None:
        converged = converged_mask(pf)
    vm = pf.vm_pu
    missing = sorted(set(customers["bus"]) - set(vm.columns))
    if missing:
        raise InputError(f"customer buses {missing[:5]} are not in the load-flow result")
    ids = customers["customer_id"].to_numpy()
    buses = customers["bus"].to_numpy()
    per_phase = [f for p in "abc" if isinstance(f := getattr(pf, f"vm_{p}_pu", None), pd.DataFrame)]
    if len(per_phase) == 3 and "phase" in customers:
        stack = np.stack([f[buses].to_numpy(dtype=float) for f in per_phase])  # 3 x T x C
        low, high = np.nanmin(stack, axis=0), np.nanmax(stack, axis=0)
        if which == "low":
            worst = low
        elif which == "high":
            worst = high
        else:
            worst = np.where(np.abs(low - centre_pu) >= np.abs(high - centre_pu), low, high)
        phase_pos = customers["phase"].map({"a": 0, "b": 1, "c": 2}).to_numpy()
        single = pd.notna(phase_pos)
        values = worst.copy()
        if single.any():
            pos = phase_pos[single].astype(int)
            cols = np.flatnonzero(single)
            values[:, cols] = stack[pos, :, cols].T
    else:
        values = vm[buses].to_numpy(dtype=float)
    out = pd.DataFrame(values, index=vm.index, columns=pd.Index(ids, name="customer_id"))
    return _mask(out, converged)


def _centre(lim: Mapping[str, Any]) -> float:
    return 0.5 * (lim["v_min_pu"] + lim["v_max_pu"])


def _extremes(
    pf: Any, customers: pd.DataFrame, converged: pd.Series, vm_band: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lowest and highest phase voltage per customer (the band series when balanced)."""
    if all(isinstance(getattr(pf, f"vm_{p}_pu", None), pd.DataFrame) for p in "abc"):
        return (
            customer_voltage(pf, customers, converged=converged, which="low"),
            customer_voltage(pf, customers, converged=converged, which="high"),
        )
    return vm_band, vm_band


@dataclass
class CustomerStatistics:
    """Per-step customer quantities of one load flow, computed once and shared.

    :func:`summarize`, :func:`customer_table`, :func:`first_violation` and
    :func:`timeseries_table` all need the voltage at every customer and (where customer power
    is known) the main-fuse loading; :func:`customer_statistics` computes them once per task.

    Attributes
    ----------
    limits : dict
        The resolved ``limits`` section they were computed with.
    converged : pandas.Series
        True for the steps whose load flow converged.
    vm : pandas.DataFrame
        Voltage at each customer ``[time x customer_id]`` [pu] (:func:`customer_voltage`,
        ``which="band"``); NaN where not converged.
    vm_low, vm_high : pandas.DataFrame
        Lowest / highest phase voltage per customer [pu] (``vm`` itself when balanced).
    quality : pandas.DataFrame
        :func:`gridv2x.metrics.voltage_quality` of ``vm`` per customer.
    fuse_pct : pandas.DataFrame or None
        Main-fuse loading ``[time x customer_id]`` [%]; None without customer power.
    customer_p_kw, customer_q_kvar : pandas.DataFrame or None
        Customer power with the non-converged steps blanked [kW], [kvar].
    """

    limits: dict[str, Any]
    converged: pd.Series
    vm: pd.DataFrame
    vm_low: pd.DataFrame
    vm_high: pd.DataFrame
    quality: pd.DataFrame
    fuse_pct: pd.DataFrame | None
    customer_p_kw: pd.DataFrame | None
    customer_q_kvar: pd.DataFrame | None


def customer_statistics(
    pf: Any,
    customers: pd.DataFrame,
    *,
    limits: Mapping[str, Any] | None = None,
    customer_p_kw: pd.DataFrame | None = None,
    customer_q_kvar: pd.DataFrame | None = None,
    index: pd.Index | None = None,
) -> CustomerStatistics:
    """Customer voltages, voltage quality and main-fuse loading of one load flow.

    Parameters
    ----------
    pf : TimeseriesResult-like
        Load-flow result (module docstring).
    customers : pandas.DataFrame
        ``conventions.CUSTOMER_COLUMNS`` (``customer_id``, ``bus``; ``fuse_a``, ``phases``
        for the fuse loading; ``phase`` for per-phase voltages).
    limits : mapping, optional
        The scenario's ``limits`` section (defaults filled in).
    customer_p_kw, customer_q_kvar : pandas.DataFrame, optional
        Customer power ``[time x customer_id]`` [kW], [kvar] (or per-phase columns).
    index : pandas.Index, optional
        The study's time index, to check the load flow has one result per step.

    Returns
    -------
    CustomerStatistics

    References
    ----------
    .. [1] EN 50160:2022; EIFS 2023:3 ch. 7; docs/sources.md §1.5, §3.
    """
    lim = resolve_limits(limits)
    customers = _customers(customers)
    converged = converged_mask(pf, index)
    customer_p_kw = _mask_power(customer_p_kw, converged)
    customer_q_kvar = _mask_power(customer_q_kvar, converged)
    vm = customer_voltage(pf, customers, converged=converged, centre_pu=_centre(lim))
    quality = voltage_quality(
        vm,
        v_min_pu=lim["v_min_pu"],
        v_max_pu=lim["v_max_pu"],
        en50160_share=lim["en50160_share"],
        en50160_v_min_all_pu=lim["en50160_v_min_all_pu"],
        window=lim["en50160_window"],
    )
    vm_low, vm_high = _extremes(pf, customers, converged, vm)
    fuse_pct = (
        None
        if customer_p_kw is None
        else _fuse_loading_frame(customers, vm, customer_p_kw, customer_q_kvar)
    )
    return CustomerStatistics(
        lim, converged, vm, vm_low, vm_high, quality, fuse_pct, customer_p_kw, customer_q_kvar
    )


def _total_trafo_kw(pf: Any, converged: pd.Series) -> pd.Series:
    p = _mask(pf.trafo_p_mw, converged) * KW_PER_MW
    return p.sum(axis=1, min_count=1)


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
        t, el, v = _first_in(fl > lim["fuse_loading_pct"], fl, fl, "customer")
        rows.append(("fuse", t, el, v, lim["fuse_loading_pct"]))

    bad = np.flatnonzero(~converged.to_numpy())
    t = converged.index[bad[0]] if len(bad) else pd.NaT
    rows.append(("convergence", t, "feeder" if len(bad) else "", float("nan"), "converged"))

    out = pd.DataFrame(rows, columns=["criterion", "time", "element", "value", "limit"])
    out["counted"] = out["criterion"].isin(lim["criteria"])
    out = out.sort_values("time", na_position="last", kind="stable").reset_index(drop=True)
    return out


def _fuse_loading_frame(
    customers: pd.DataFrame,
    vm_customers: pd.DataFrame,
    customer_p_kw: pd.DataFrame,
    customer_q_kvar: pd.DataFrame | None,
) -> pd.DataFrame:
    from gridv2x.metrics.loading import fuse_current_a

    for col in ("fuse_a", "phases"):
        if col not in customers:
            raise InputError(f"customers needs a {col!r} column for the main-fuse check")
    by_id = _customers(customers).set_index("customer_id")
    current = fuse_current_a(customer_p_kw, customer_q_kvar, vm_customers, by_id["phases"])
    rating = by_id["fuse_a"].reindex(current.columns).to_numpy(dtype=float)
    if not (np.isfinite(rating) & (rating > 0)).all():
        raise InputError("fuse_a must be a positive rating [A] for every customer")
    return pd.DataFrame(
        current.to_numpy() * (100.0 / rating), index=current.index, columns=current.columns
    )


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
    with np.errstate(invalid="ignore", divide="ignore"):
        rating_ka = (pf.line_i_ka / pf.line_loading_percent * 100).max(axis=0)
    loading = i_n / rating_ka.where(rating_ka > 0) * 100
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
    p05 = vq["v_p05_pu"] if vm_low is vm else vm_low.quantile(0.05, axis=0)
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
        row["fuse_max_loading_pct"] = float(fuse_pct.max(axis=0).max())
        row["fuse_overloads"] = int((fuse_pct > lim["fuse_loading_pct"]).any(axis=0).sum())
        row["fuse_hours_above"] = hours_above(fuse_pct, lim["fuse_loading_pct"], step_h=step_h)
        p_total = customer_p_kw
        assert p_total is not None  # the fuse loading exists only with the customer power
        if isinstance(p_total.columns, pd.MultiIndex):
            p_total = p_total.T.groupby(level=0, sort=False).sum(min_count=1).T
        row["fuse_energy_above_kwh"] = energy_above_limit_kwh(
            p_total.reindex(columns=fuse_pct.columns),
            fuse_pct,
            limit_pct=lim["fuse_loading_pct"],
            step_h=step_h,
        )

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
    outside = (np.isfinite(values) & ((values < v_min_pu) | (values > v_max_pu))).any(axis=1)
    return float(outside.sum()) * infer_step_hours(vm_w.index)


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
            "v_min_pu": vm_low.min(axis=0).reindex(ids).to_numpy(),
            "v_max_pu": vm_high.max(axis=0).reindex(ids).to_numpy(),
            "v_p05_pu": vm_low.quantile(0.05, axis=0).reindex(ids).to_numpy(),
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
        out["fuse_max_loading_pct"] = stats.fuse_pct.max(axis=0).reindex(ids).to_numpy()
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
                "v_min_pu": vm.min(axis=0).to_numpy(),
                "v_max_pu": vm.max(axis=0).to_numpy(),
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
                    "max_loading_pct": masked.max(axis=0).to_numpy(),
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
