"""Voltage quality: EN 50160 and the Swedish rule, voltage unbalance, daily minima.

All functions take voltages as a DataFrame ``[time x customer or bus]`` in per unit of the
nominal phase voltage (230 V); steps that should not count (a load flow that did not converge)
are NaN and are left out of every statistic.

References
----------
.. [1] EN 50160:2022, *Voltage characteristics of electricity supplied by public electricity
   networks*, §4.2.2 (supply voltage variations) and §4.2.5 (supply voltage unbalance).
.. [2] Energimarknadsinspektionen, EIFS 2013:1 and its successor EIFS 2023:3 (in force
   1 Jan 2024), ch. 7: every 10-minute mean within ±10 % of 230 V at the customer's connection.
.. [3] gridv2x reference data, ``docs/sources.md §3`` (voltage-quality limits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridv2x.calendar import local_days, local_weeks
from gridv2x.errors import InputError
from gridv2x.metrics import _kernels
from gridv2x.metrics._util import infer_step_hours, require_frame

__all__ = [
    "to_window_means",
    "within_band",
    "voltage_quality",
    "voltage_violation_share",
    "unbalance",
    "daily_min_voltage",
]


def _check_band(v_min_pu: float, v_max_pu: float) -> None:
    if not (np.isfinite(v_min_pu) and np.isfinite(v_max_pu)) or v_min_pu >= v_max_pu:
        raise InputError(
            f"voltage band must have v_min_pu < v_max_pu, got [{v_min_pu}, {v_max_pu}]"
        )


def to_window_means(values: pd.DataFrame, window: str | pd.Timedelta = "10min") -> pd.DataFrame:
    """Average a time series to the rule's window when its steps are shorter.

    Parameters
    ----------
    values : pandas.DataFrame
        ``[time x element]`` values on a DatetimeIndex.
    window : str or pandas.Timedelta
        Averaging window of the rule [duration], 10 minutes for EN 50160 and EIFS.

    Returns
    -------
    pandas.DataFrame
        Window means when the step is shorter than ``window`` (windows aligned to local
        midnight; a window without any valid value is NaN); otherwise ``values`` unchanged:
        a 15-minute step mean is used as it is, as one value of the rule (documented
        approximation; a 15-minute mean smooths the 10-minute extremes slightly).

    References
    ----------
    .. [1] EN 50160:2022 §4.2.2; docs/sources.md §3.
    """
    window = pd.Timedelta(window)
    if not isinstance(values.index, pd.DatetimeIndex) or len(values.index) < 2:
        return values
    step = pd.Timedelta(hours=infer_step_hours(values.index))
    if step >= window:
        return values
    return values.resample(window, origin="start_day").mean()


def within_band(
    vm_pu: pd.DataFrame | np.ndarray, v_min_pu: float, v_max_pu: float
) -> pd.DataFrame | np.ndarray:
    """Boolean mask of values inside the closed band ``[v_min_pu, v_max_pu]`` (NaN -> False);
    a DataFrame for a DataFrame, an array for an array."""
    return (vm_pu >= v_min_pu) & (vm_pu <= v_max_pu)


def voltage_quality(
    vm_pu: pd.DataFrame,
    *,
    v_min_pu: float = 0.90,
    v_max_pu: float = 1.10,
    en50160_share: float = 0.95,
    en50160_v_min_all_pu: float | None = 0.85,
    window: str | pd.Timedelta = "10min",
) -> pd.DataFrame:
    """Voltage quality per customer (or bus): EN 50160 and the Swedish rule, side by side.

    Parameters
    ----------
    vm_pu : pandas.DataFrame
        Voltage ``[time x customer]`` [pu of 230 V] on a DatetimeIndex; NaN steps are skipped.
    v_min_pu, v_max_pu : float
        Band of allowed window means [pu] (``limits.v_min_pu``, ``limits.v_max_pu``).
    en50160_share : float
        Share of the window means of each calendar week that must lie in the band [-].
    en50160_v_min_all_pu : float or None
        EN 50160's second condition: *all* window means at or above this value and at or below
        ``v_max_pu`` (Un +10 % / -15 % for LV) [pu]; None drops the condition.
    window : str or pandas.Timedelta
        Averaging window of the rules [duration]; see :func:`to_window_means`.

    Returns
    -------
    pandas.DataFrame
        One row per column of ``vm_pu`` with

        - ``v_min_pu``, ``v_max_pu``, ``v_p05_pu`` [pu]: lowest, highest, 5th percentile of the
          raw values;
        - ``values``: number of valid window means; ``values_outside``: how many lie outside
          the band; ``share_outside`` [-]; ``hours_outside`` [h] (values outside × window);
        - ``en50160_worst_week_share`` [-]: lowest share within the band over calendar weeks
          (Monday 00:00 local time; a partial first or last week counts on its own values);
        - ``en50160_compliant``: every week reaches ``en50160_share`` (EN 50160, 95 %) and
          every window mean lies within ``[en50160_v_min_all_pu, v_max_pu]`` (+10 % / -15 %);
        - ``swedish_rule_compliant``: every window mean is in the band (EIFS 2023:3, 100 %).

        A column without any valid value is reported as not compliant with either rule.

    References
    ----------
    .. [1] EN 50160:2022 §4.2.2: 95 % of the 10-min mean r.m.s. values of each week within
       Un ±10 %, and all of them within Un +10 % / -15 %.
    .. [2] EIFS 2013:1 / EIFS 2023:3 ch. 7: every 10-min mean within ±10 % of 230 V.
    .. [3] docs/sources.md §3.
    """
    vm_pu = require_frame(vm_pu, "vm_pu")
    _check_band(v_min_pu, v_max_pu)
    if not 0.0 <= en50160_share <= 1.0:
        raise InputError(f"en50160_share must be between 0 and 1, got {en50160_share!r}")
    if not isinstance(vm_pu.index, pd.DatetimeIndex):
        raise InputError("vm_pu must be indexed by time (DatetimeIndex)")
    window_means = to_window_means(vm_pu, window)
    window_h = infer_step_hours(window_means.index) if len(window_means) >= 2 else 0.0
    values = window_means.to_numpy(dtype=float)
    n_values, n_outside, all_ok, weekly_in, weekly_n = _band_counts(
        window_means.index, values, v_min_pu, v_max_pu, en50160_v_min_all_pu
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        weekly_share = np.where(weekly_n > 0, weekly_in / weekly_n, np.nan)
    has_week = (weekly_n > 0).any(axis=0)
    worst_week = np.full(values.shape[1], np.nan)
    if len(weekly_share):
        worst_week[has_week] = np.nanmin(weekly_share[:, has_week], axis=0)

    has_data = n_values > 0
    raw = vm_pu.to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "v_min_pu": column_min(raw),
            "v_max_pu": column_max(raw),
            "v_p05_pu": _column_quantile(raw, 0.05),
            "values": n_values.astype(int),
            "values_outside": n_outside.astype(int),
            "share_outside": np.where(has_data, n_outside / np.maximum(n_values, 1), np.nan),
            "hours_outside": n_outside * window_h,
            "en50160_worst_week_share": worst_week,
            "en50160_compliant": has_data & (worst_week >= en50160_share) & all_ok,
            "swedish_rule_compliant": has_data & (n_outside == 0),
        },
        index=vm_pu.columns,
    )
    out.index.name = vm_pu.columns.name
    return out


def _band_counts(
    index: pd.DatetimeIndex,
    values: np.ndarray,
    v_min_pu: float,
    v_max_pu: float,
    v_min_all_pu: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per column of ``values`` ``[time x column]`` [pu]: valid values, values outside the band,
    whether every valid value lies in ``[v_min_all_pu, v_max_pu]`` (True when
    ``v_min_all_pu`` is None) and per calendar week the values inside the band and the valid
    values ``[week x column]``.

    Time-ordered (each week one block of rows, as a study's index): one compiled pass
    (:func:`gridv2x.metrics._kernels.band_counts`); otherwise the same counts with numpy.
    """
    if len(index) and not _kernels.REFERENCE:
        codes, _ = pd.factorize(local_weeks(index))
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        if len(starts) == codes.max() + 1:
            return _kernels.band_counts(
                np.ascontiguousarray(values),
                starts.astype(np.int64),
                float(v_min_pu),
                float(v_max_pu),
                float(v_min_all_pu if v_min_all_pu is not None else v_min_pu),
                v_min_all_pu is not None,
            )
    valid = ~np.isnan(values)
    inside = within_band(values, v_min_pu, v_max_pu)
    outside = valid & ~inside
    if v_min_all_pu is None:
        all_ok = np.ones(values.shape[1], dtype=bool)
    else:
        all_ok = ~(valid & ~within_band(values, v_min_all_pu, v_max_pu)).any(axis=0)
    weekly_in, weekly_n = _weekly_counts(index, inside, valid)
    return valid.sum(axis=0), outside.sum(axis=0), all_ok, weekly_in, weekly_n


def column_min(values: np.ndarray) -> np.ndarray:
    """Lowest value of each column of ``values`` ``[time x column]``, NaN skipped (NaN for a
    column without values; as pandas' ``DataFrame.min``, in one pass without a NaN mask)."""
    if values.shape[0] == 0 or values.shape[1] == 0:
        return np.full(values.shape[1], np.nan)
    return np.fmin.reduce(values, axis=0)


def column_max(values: np.ndarray) -> np.ndarray:
    """Highest value of each column of ``values`` ``[time x column]``, NaN skipped (NaN for a
    column without values; as pandas' ``DataFrame.max``)."""
    if values.shape[0] == 0 or values.shape[1] == 0:
        return np.full(values.shape[1], np.nan)
    return np.fmax.reduce(values, axis=0)


def _weekly_counts(
    index: pd.DatetimeIndex, inside: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values inside the band and valid values per calendar week ``[week x column]``."""
    if len(index) == 0:
        return np.zeros((0, inside.shape[1])), np.zeros((0, inside.shape[1]))
    codes, _ = pd.factorize(local_weeks(index))
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    if len(starts) == codes.max() + 1:  # time-ordered: each week one block of rows
        return (
            np.add.reduceat(inside, starts, axis=0, dtype=np.int64),
            np.add.reduceat(valid, starts, axis=0, dtype=np.int64),
        )
    n_weeks = codes.max() + 1
    weekly_in = np.zeros((n_weeks, inside.shape[1]), dtype=np.int64)
    weekly_n = np.zeros_like(weekly_in)
    np.add.at(weekly_in, codes, inside)
    np.add.at(weekly_n, codes, valid)
    return weekly_in, weekly_n


QUANTILE_MIN_STEPS = 64
"""Below this many steps a column quantile is numpy's own (the selection saves nothing) [-]."""


def _column_quantile(values: np.ndarray, q: float) -> np.ndarray:
    """Quantile of each column, NaN skipped, linear interpolation (as pandas' ``quantile``)."""
    if values.shape[0] == 0:
        return np.full(values.shape[1], np.nan)
    if not np.isnan(values).any():
        return np.quantile(values, q, axis=0) if _kernels.REFERENCE else column_quantile(values, q)
    out = np.full(values.shape[1], np.nan)
    has = ~np.isnan(values).all(axis=0)
    if has.any():
        out[has] = np.nanquantile(values[:, has], q, axis=0)
    return out


def column_quantile(values: np.ndarray, q: float) -> np.ndarray:
    """``np.quantile(values, q, axis=0)`` (linear interpolation) of a ``[time x column]``
    array without NaN, bit-identical, from the two order statistics around ``(n - 1) q``.

    numpy partitions a strided copy of every whole column; the two order statistics are
    selected instead among the few values below a sampled threshold
    (:func:`gridv2x.metrics._kernels.column_order_statistics`) and interpolated as numpy's
    ``_lerp`` does: ``a + (b - a) g``, or ``b - (b - a)(1 - g)`` for ``g >= 0.5``.
    """
    n_t, n_c = values.shape
    virtual = (n_t - 1) * q  # numpy's virtual index of the linear method
    k = int(np.floor(virtual))
    if n_t < QUANTILE_MIN_STEPS or n_c == 0 or not 0 <= k < n_t - 1:
        return np.quantile(values, q, axis=0)
    gamma = virtual - k
    low, high = _kernels.column_order_statistics(np.ascontiguousarray(values), k)
    diff = high - low
    if gamma >= 0.5:
        return high - diff * (1 - gamma)
    return low + diff * gamma


def voltage_violation_share(vm_pu: pd.DataFrame, v_min_pu: float, v_max_pu: float) -> float:
    """Share of (customer, step) pairs outside ``[v_min_pu, v_max_pu]`` [-].

    Parameters
    ----------
    vm_pu : pandas.DataFrame
        Voltage ``[time x customer]`` [pu]; NaN pairs (non-converged steps) are not counted.
    v_min_pu, v_max_pu : float
        Allowed band [pu].

    Returns
    -------
    float
        Outside pairs / valid pairs; NaN when there is no valid pair.

    References
    ----------
    .. [1] docs/sources.md §3 (band ±10 % of 230 V, EN 50160 and EIFS 2023:3).
    """
    vm_pu = require_frame(vm_pu, "vm_pu")
    _check_band(v_min_pu, v_max_pu)
    values = vm_pu.to_numpy()
    if not _kernels.REFERENCE:  # one compiled pass, the same counts
        n, n_outside, _, _ = _kernels.band_scan(
            np.ascontiguousarray(values, dtype=float), float(v_min_pu), float(v_max_pu)
        )
        return float(n_outside) / n if n else float("nan")
    valid = np.isfinite(values)
    n = int(valid.sum())
    if n == 0:
        return float("nan")
    outside = valid & ((values < v_min_pu) | (values > v_max_pu))
    return float(outside.sum()) / n


def unbalance(
    vuf_pct: pd.DataFrame,
    *,
    limit_pct: float = 2.0,
    step_h: float | None = None,
) -> pd.DataFrame:
    """Voltage unbalance per bus against the limit.

    Parameters
    ----------
    vuf_pct : pandas.DataFrame
        Voltage unbalance factor (negative- / positive-sequence voltage) ``[time x bus]`` [%].
    limit_pct : float
        Limit [%] (``limits.unbalance_pct``, 2 %).
    step_h : float, optional
        Step length [h]; taken from the index when omitted.

    Returns
    -------
    pandas.DataFrame
        Per bus: ``unbalance_max_pct`` [%], ``unbalance_p95_pct`` [%] (the EN 50160 95 %
        statistic over the whole period), ``share_above`` [-] and ``hours_above`` [h] of steps
        strictly above the limit.

    References
    ----------
    .. [1] EN 50160:2022 §4.2.5: 95 % of 10-min means of each week within 0-2 %.
    .. [2] EIFS 2023:3 ch. 7; docs/sources.md §3 (2 %).
    """
    vuf_pct = require_frame(vuf_pct, "vuf_pct")
    if not np.isfinite(limit_pct) or limit_pct < 0:
        raise InputError(f"unbalance limit must be a number >= 0 [%], got {limit_pct!r}")
    h = infer_step_hours(vuf_pct.index, step_h) if len(vuf_pct) else 0.0
    valid = vuf_pct.notna()
    above = vuf_pct > limit_pct
    n = valid.sum(axis=0)
    out = pd.DataFrame(
        {
            "unbalance_max_pct": vuf_pct.max(axis=0),
            "unbalance_p95_pct": vuf_pct.quantile(0.95, axis=0),
            "share_above": (above.sum(axis=0) / n.where(n > 0)).astype(float),
            "hours_above": above.sum(axis=0) * h,
        }
    )
    out.index.name = vuf_pct.columns.name
    return out


def daily_min_voltage(vm_customers: pd.DataFrame) -> pd.DataFrame:
    """Lowest voltage of each local calendar day per customer (heat map input).

    Parameters
    ----------
    vm_customers : pandas.DataFrame
        Voltage ``[time x customer_id]`` [pu] on a (timezone-aware) DatetimeIndex.

    Returns
    -------
    pandas.DataFrame
        ``[day x customer_id]`` daily minimum [pu]; index ``day`` is the local date (midnight,
        timezone dropped); a day without valid values is NaN.

    References
    ----------
    .. [1] docs/sources.md §3 (the band the heat map is read against).
    """
    vm_customers = require_frame(vm_customers, "vm_customers")
    if not isinstance(vm_customers.index, pd.DatetimeIndex):
        raise InputError("vm_customers must be indexed by time (DatetimeIndex)")
    out = vm_customers.groupby(local_days(vm_customers.index)).min()
    out.index.name = "day"
    return out
