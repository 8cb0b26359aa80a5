"""Loading of transformers, lines and main fuses; duration curves; losses.

References
----------
.. [1] IEC 60076-7:2018, *Loading guide for mineral-oil-immersed power transformers* (loading
   in % of rated power, time above a limit).
.. [2] SS-EN 60269-1 / IEC 60269-1, low-voltage fuses (gG fuse rated current; a fuse carries
   its rated current indefinitely and trips above about 1.25-1.6 times it within an hour).
.. [3] gridv2x reference data, ``docs/sources.md §1.5`` (main fuse per customer type) and ``§3``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridv2x.conventions import NOMINAL_PHASE_VOLTAGE_V
from gridv2x.errors import InputError
from gridv2x.metrics import _kernels
from gridv2x.metrics._util import infer_step_hours, require_frame

__all__ = [
    "duration_curve",
    "hours_above",
    "share_above",
    "loading_statistics",
    "energy_above_limit_kwh",
    "losses_kwh",
    "fuse_current_a",
    "fuse_loading",
]


def _check_limit(limit: float, name: str) -> float:
    limit = float(limit)
    if not np.isfinite(limit) or limit < 0:
        raise InputError(f"{name} must be a number >= 0, got {limit!r}")
    return limit


def duration_curve(series: pd.Series, *, step_h: float | None = None) -> pd.DataFrame:
    """Load-duration curve: values sorted from highest to lowest against share of time.

    Parameters
    ----------
    series : pandas.Series
        Values over time (e.g. transformer loading [%] or power [kW]); NaN steps are dropped.
    step_h : float, optional
        Step length [h]; taken from the index when omitted and the index is a time index.

    Returns
    -------
    pandas.DataFrame
        Columns ``value`` (sorted, highest first), ``share_of_time`` [-] and ``hours`` [h]:
        the value is reached or exceeded during ``share_of_time`` of the (valid) period, i.e.
        ``(rank + 1) / n`` with rank 0 for the highest value. ``hours`` is
        ``(rank + 1) × step_h`` (NaN when the step is unknown).

    References
    ----------
    .. [1] IEC 60076-7:2018 (load-duration representation of transformer loading).
    """
    if isinstance(series, pd.DataFrame):
        if series.shape[1] != 1:
            raise InputError("duration_curve takes one series; reduce the DataFrame first")
        series = series.iloc[:, 0]
    if not isinstance(series, pd.Series):
        raise InputError(f"duration_curve takes a pandas Series, got {type(series)!r}")
    try:
        h = infer_step_hours(series.index, step_h)
    except InputError:
        h = float("nan")
    values = np.sort(series.dropna().to_numpy(dtype=float))[::-1]
    n = len(values)
    rank = np.arange(1, n + 1, dtype=float)
    return pd.DataFrame(
        {"value": values, "share_of_time": rank / n if n else rank, "hours": rank * h}
    )


def _any_above(values: pd.DataFrame | pd.Series, limit: float) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    above = np.asarray(arr > limit)  # NaN is never above
    return above if above.ndim == 1 else np.asarray(above.any(axis=1))


def hours_above(
    values: pd.DataFrame | pd.Series, limit: float, *, step_h: float | None = None
) -> float:
    """Hours in which the value (for a DataFrame: any column) is strictly above ``limit`` [h].

    Parameters
    ----------
    values : pandas.Series or pandas.DataFrame
        Values over time; NaN never counts as above.
    limit : float
        Limit in the unit of ``values``.
    step_h : float, optional
        Step length [h]; taken from the index when omitted.

    Returns
    -------
    float
        Number of steps above × step length [h].

    References
    ----------
    .. [1] IEC 60076-7:2018 (time above a loading limit).
    """
    if len(values) == 0:
        return 0.0
    h = infer_step_hours(values.index, step_h)
    return float(_any_above(values, float(limit)).sum()) * h


def share_above(values: pd.DataFrame | pd.Series, limit: float) -> float:
    """Share of valid steps in which the value (any column) is strictly above ``limit`` [-].

    Steps where every column is NaN are not counted. NaN when there is no valid step.

    References
    ----------
    .. [1] IEC 60076-7:2018.
    """
    arr = np.asarray(values, dtype=float)
    valid = np.isfinite(arr) if arr.ndim == 1 else np.isfinite(arr).any(axis=1)
    n = int(valid.sum())
    if n == 0:
        return float("nan")
    return float(_any_above(values, float(limit))[valid].sum()) / n


def loading_statistics(
    loading_pct: pd.DataFrame, *, limit_pct: float = 100.0, step_h: float | None = None
) -> pd.DataFrame:
    """Per element: highest loading, and hours and share of time above the limit.

    Parameters
    ----------
    loading_pct : pandas.DataFrame
        Loading ``[time x element]`` [% of rating]; NaN steps are skipped.
    limit_pct : float
        Loading limit [%] (``limits.line_loading_pct`` or ``limits.transformer_loading_pct``).
    step_h : float, optional
        Step length [h]; taken from the index when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per element: ``max_loading_pct`` [%], ``hours_above`` [h], ``share_above`` [-].

    References
    ----------
    .. [1] IEC 60076-7:2018; docs/sources.md §1 (cable and transformer ratings).
    """
    loading_pct = require_frame(loading_pct, "loading_pct")
    limit_pct = _check_limit(limit_pct, "loading limit [%]")
    h = infer_step_hours(loading_pct.index, step_h) if len(loading_pct) else 0.0
    above = loading_pct > limit_pct
    n = loading_pct.notna().sum(axis=0)
    out = pd.DataFrame(
        {
            "max_loading_pct": loading_pct.max(axis=0),
            "hours_above": above.sum(axis=0) * h,
            "share_above": (above.sum(axis=0) / n.where(n > 0)).astype(float),
        }
    )
    out.index.name = loading_pct.columns.name
    return out


def energy_above_limit_kwh(
    p_kw: pd.DataFrame,
    loading_pct: pd.DataFrame,
    *,
    limit_pct: float = 100.0,
    step_h: float | None = None,
) -> float:
    """Active energy beyond a loading limit [kWh]: what would have to be shaved.

    For each element and step loaded above the limit, the share ``1 - limit / loading`` of the
    active power flowing through it is beyond the limit (loading is proportional to apparent
    power, so at an unchanged power factor that share of the active power must go).

    Parameters
    ----------
    p_kw : pandas.DataFrame
        Active power through each element ``[time x element]`` [kW] (sign ignored).
    loading_pct : pandas.DataFrame
        Loading of the same elements ``[time x element]`` [%].
    limit_pct : float
        Loading limit [%].
    step_h : float, optional
        Step length [h]; taken from the index when omitted.

    Returns
    -------
    float
        ``sum(max(0, 1 - limit / loading) × |P| × step_h)`` over elements and steps [kWh].

    References
    ----------
    .. [1] IEC 60076-7:2018 (loading in % of rated apparent power).
    """
    p_kw = require_frame(p_kw, "p_kw")
    loading_pct = require_frame(loading_pct, "loading_pct")
    limit_pct = _check_limit(limit_pct, "loading limit [%]")
    if p_kw.shape != loading_pct.shape:
        raise InputError(
            f"p_kw {p_kw.shape} and loading_pct {loading_pct.shape} must have the same shape"
        )
    if len(p_kw) == 0:
        return 0.0
    h = infer_step_hours(loading_pct.index, step_h)
    loading = loading_pct.to_numpy()
    over = loading > limit_pct  # NaN (not converged) is never over
    if not over.any():
        return 0.0
    excess = 1.0 - limit_pct / loading[over]  # only where it is over: usually few steps
    energy = np.nansum(excess * np.abs(p_kw.to_numpy()[over])) * h
    return float(energy)


def losses_kwh(losses_mw: pd.Series, *, step_h: float | None = None) -> float:
    """Energy lost in lines and transformers over the period [kWh].

    Parameters
    ----------
    losses_mw : pandas.Series
        Active-power losses of the feeder per step [MW] (``TimeseriesResult.losses_mw``);
        NaN steps (not converged) count as 0.
    step_h : float, optional
        Step length [h]; taken from the index when omitted.

    Returns
    -------
    float
        ``sum(losses_mw) × 1000 × step_h`` [kWh].

    References
    ----------
    .. [1] docs/sources.md §1 (cable resistances that cause the losses).
    """
    if not isinstance(losses_mw, pd.Series):
        raise InputError(f"losses_mw must be a pandas Series [MW], got {type(losses_mw)!r}")
    if len(losses_mw) == 0:
        return 0.0
    h = infer_step_hours(losses_mw.index, step_h)
    return float(np.nansum(losses_mw.to_numpy(dtype=float))) * 1000.0 * h


def fuse_current_a(
    p_kw: pd.DataFrame,
    q_kvar: pd.DataFrame | None,
    vm_pu: pd.DataFrame,
    phases: pd.Series,
) -> pd.DataFrame:
    """Highest phase current of each customer's connection [A].

    Parameters
    ----------
    p_kw : pandas.DataFrame
        Customer active power ``[time x customer_id]`` [kW]; or, when the split over phases is
        known, columns ``MultiIndex (customer_id, phase)`` with the power per phase.
    q_kvar : pandas.DataFrame or None
        Reactive power of the same shape [kvar]; None means 0. With per-phase ``p_kw`` a
        per-customer ``q_kvar`` is spread evenly over the customer's phase columns.
    vm_pu : pandas.DataFrame
        Voltage at each customer ``[time x customer_id]`` [pu of 230 V]; NaN -> 1.0.
    phases : pandas.Series
        1 or 3 per ``customer_id``: how the customer is connected.

    Returns
    -------
    pandas.DataFrame
        ``[time x customer_id]`` current of the most loaded phase [A]:
        ``S / (n × vm × 230 V)`` with ``S = sqrt(P² + Q²)`` and ``n`` the number of phases the
        total is spread over. Without a per-phase split a three-phase customer is assumed
        balanced (``n = 3``), which underestimates the phase current of a customer with a
        single-phase EV charger; give the per-phase columns for the exact value.

    References
    ----------
    .. [1] docs/sources.md §1.5 (main fuse ratings; power = 3 × 230 V × I).
    """
    values, columns = _fuse_current(p_kw, q_kvar, vm_pu, phases)
    return pd.DataFrame(values, index=p_kw.index, columns=columns)


CHUNK_STEPS = 4096
"""Steps computed at a time by :func:`fuse_current_a`: a chunk's temporaries are a few MB
instead of whole-period arrays [steps]."""


def _fuse_current(
    p_kw: pd.DataFrame,
    q_kvar: pd.DataFrame | None,
    vm_pu: pd.DataFrame,
    phases: pd.Series,
) -> tuple[np.ndarray, pd.Index]:
    """:func:`fuse_current_a` as an array ``[time x customer]`` [A] and its customer columns."""
    if isinstance(p_kw.columns, pd.MultiIndex):
        return _fuse_current_per_phase(p_kw, q_kvar, vm_pu)
    p = require_frame(p_kw, "p_kw")
    if q_kvar is not None:
        q = require_frame(q_kvar, "q_kvar")
        if q.shape != p.shape:
            raise InputError(f"q_kvar {q.shape} must have the shape of p_kw {p.shape}")
    missing = [c for c in p.columns if c not in phases.index]
    if missing:
        raise InputError(f"phases missing for customers {missing[:5]}")
    n_phases = phases.reindex(p.columns).to_numpy(dtype=float)
    if not np.isin(n_phases, (1.0, 3.0)).all():
        raise InputError("phases must be 1 or 3 for every customer")
    p_arr = p.to_numpy(dtype=float)
    q_arr = None if q_kvar is None else _aligned(q, p).to_numpy(dtype=float)
    vm_arr = _aligned(require_frame(vm_pu, "vm_pu"), p).to_numpy(dtype=float)
    nominal_kv = n_phases * NOMINAL_PHASE_VOLTAGE_V / 1000.0  # n x V [kV]
    current = np.empty(p_arr.shape)
    for start in range(0, len(p_arr), CHUNK_STEPS):
        rows = slice(start, start + CHUNK_STEPS)
        chunk = np.square(p_arr[rows])
        if q_arr is not None:
            q2 = np.square(q_arr[rows])
            np.nan_to_num(q2, copy=False, nan=0.0)
            chunk += q2
        np.sqrt(chunk, out=chunk)  # S [kVA]
        volts = vm_arr[rows] * nominal_kv
        unknown = np.isnan(volts)
        if unknown.any():  # voltage unknown (not converged): nominal
            volts[unknown] = np.broadcast_to(nominal_kv, volts.shape)[unknown]
        chunk /= volts
        current[rows] = chunk
    return current, p.columns


def _fuse_current_per_phase(
    p_kw: pd.DataFrame, q_kvar: pd.DataFrame | None, vm_pu: pd.DataFrame
) -> tuple[np.ndarray, pd.Index]:
    """Highest phase current per customer from per-phase power ``(customer_id, phase)`` [A]."""
    p = require_frame(p_kw, "p_kw")
    owners = p.columns.get_level_values(0)
    customers = owners.unique()  # in order of appearance (as a groupby without sorting)
    group = customers.get_indexer(owners)
    if q_kvar is None:
        q_arr = None
    elif isinstance(q_kvar.columns, pd.MultiIndex):
        q_arr = _aligned(require_frame(q_kvar, "q_kvar"), p).to_numpy(dtype=float)
    else:
        # one reactive power per customer: spread evenly over its phase columns
        q_flat = require_frame(q_kvar, "q_kvar").reindex(index=p.index)
        n_cols = pd.Series(owners).value_counts()
        q_arr = q_flat.reindex(columns=owners).to_numpy() / n_cols.reindex(owners).to_numpy(
            dtype=float
        )
    vm = require_frame(vm_pu, "vm_pu")
    vm_arr = vm.to_numpy(dtype=float)
    p_arr = p.to_numpy(dtype=float)
    n_t, n_groups = len(p_arr), len(customers)
    width = len(owners) // n_groups if n_groups else 0
    blocked = bool(n_groups) and np.array_equal(group, np.repeat(np.arange(n_groups), width))
    # (customer, phase) columns side by side: one voltage per customer, highest phase per
    # customer by elementwise maxima; otherwise one voltage column per power column
    vm_cols = vm.columns.get_indexer(customers if blocked else owners)  # -1: unknown -> 1 pu
    current = np.empty((n_t, n_groups))
    if blocked and not _kernels.REFERENCE:  # one compiled pass (the numpy code: reference)
        _kernels.highest_phase_current(
            np.ascontiguousarray(p_arr),
            np.empty((n_t, 0)) if q_arr is None else np.ascontiguousarray(q_arr),
            np.ascontiguousarray(vm_arr),
            vm_cols.astype(np.int64),
            width,
            float(NOMINAL_PHASE_VOLTAGE_V),
            current,
        )
        return current, customers
    for start in range(0, n_t, CHUNK_STEPS):
        rows = slice(start, start + CHUNK_STEPS)
        chunk = np.square(p_arr[rows])
        if q_arr is not None:
            q2 = np.square(q_arr[rows])
            np.copyto(q2, 0.0, where=np.isnan(q2))  # reactive power unknown: 0
            chunk += q2
        np.sqrt(chunk, out=chunk)  # S per phase [kVA]
        chunk *= 1000.0
        volts = vm_arr[rows][:, np.maximum(vm_cols, 0)]
        volts[:, vm_cols < 0] = np.nan
        np.copyto(volts, 1.0, where=np.isnan(volts))
        volts *= NOMINAL_PHASE_VOLTAGE_V
        if blocked:
            per_phase = chunk.reshape(len(chunk), n_groups, width)
            per_phase /= volts[:, :, None]  # current per phase [A]
            highest = per_phase[:, :, 0].copy()
            for k in range(1, width):
                np.fmax(highest, per_phase[:, :, k], out=highest)
            current[rows] = highest
        else:
            chunk /= volts  # current per phase [A]
            out = np.full((len(chunk), n_groups), np.nan)
            for j, g in enumerate(group):
                np.fmax(out[:, g], chunk[:, j], out=out[:, g])
            current[rows] = out
    return current, customers


def _aligned(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``frame`` on the index and columns of ``like`` (no copy when they already match)."""
    if frame.index.equals(like.index) and frame.columns.equals(like.columns):
        return frame
    return frame.reindex(index=like.index, columns=like.columns)


def fuse_loading(
    p_kw: pd.DataFrame,
    q_kvar: pd.DataFrame | None,
    vm_pu: pd.DataFrame,
    fuse_a: pd.Series,
    phases: pd.Series,
    *,
    limit_pct: float = 100.0,
    step_h: float | None = None,
) -> pd.DataFrame:
    """Main-fuse loading per customer: phase current against the fuse rating.

    Parameters
    ----------
    p_kw, q_kvar, vm_pu, phases
        As in :func:`fuse_current_a`.
    fuse_a : pandas.Series
        Main fuse rating per ``customer_id`` [A] (docs/sources.md §1.5).
    limit_pct : float
        Check limit [% of the fuse rating] (``limits.fuse_loading_pct``).
    step_h : float, optional
        Step length [h]; taken from the index when omitted.

    Returns
    -------
    pandas.DataFrame
        Per customer: ``max_current_a`` [A], ``fuse_a`` [A], ``fuse_max_loading_pct`` [%],
        ``hours_above`` [h] (steps above the limit × step), ``overloaded`` (bool). A step mean
        above 100 % indicates an overload risk; a gG fuse trips only above about 1.25-1.6 ×
        its rating within an hour, so this is a planning check, not a trip simulation.

    References
    ----------
    .. [1] IEC 60269-1 (gG conventional non-fusing and fusing currents).
    .. [2] docs/sources.md §1.5.
    """
    limit_pct = _check_limit(limit_pct, "fuse loading limit [%]")
    current = fuse_current_a(p_kw, q_kvar, vm_pu, phases)
    rating = fuse_a.reindex(current.columns).to_numpy(dtype=float)
    if not (np.isfinite(rating) & (rating > 0)).all():
        raise InputError("fuse_a must be a positive rating [A] for every customer")
    loading = current / rating * 100.0
    h = infer_step_hours(current.index, step_h) if len(current) else 0.0
    above = loading > limit_pct
    max_loading = loading.max(axis=0)
    out = pd.DataFrame(
        {
            "max_current_a": current.max(axis=0),
            "fuse_a": rating,
            "fuse_max_loading_pct": max_loading,
            "hours_above": above.sum(axis=0) * h,
            "overloaded": above.any(axis=0),
        },
        index=current.columns,
    )
    out.index.name = "customer_id"
    return out
