"""Per-customer statistics of a load flow, computed once per task and shared by the summary row
and the tables: which steps converged, each customer's lowest and highest voltage over its
phases, windowed means, main-fuse loading (the load-flow result ``pf``: see
:mod:`gridv2x.metrics.summary`; limits: :mod:`gridv2x.metrics.limits`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import pandas as pd

from gridv2x.conventions import KW_PER_MW
from gridv2x.errors import InputError
from gridv2x.metrics import _kernels
from gridv2x.metrics._util import is_float_frame
from gridv2x.metrics.limits import resolve_limits
from gridv2x.metrics.voltage import column_max, column_quantile, voltage_quality

__all__ = ["CustomerStatistics", "customer_statistics", "customer_voltage", "converged_mask"]


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
    """``frame`` with the steps whose load flow did not converge blanked (NaN); None stays None."""
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


CHUNK_STEPS = 4096
"""Steps handled at a time by the per-customer statistics: the temporaries of a chunk are a few
MB instead of whole-period arrays [steps]."""


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
    if which not in ("band", "low", "high"):
        raise InputError(f"which must be 'band', 'low' or 'high', got {which!r}")
    return _customer_voltages(pf, customers, converged, centre_pu, (which,))[which]


def _customer_voltages(
    pf: Any,
    customers: pd.DataFrame,
    converged: pd.Series | None,
    centre_pu: float,
    which: tuple[str, ...],
) -> dict[str, pd.DataFrame]:
    """:func:`customer_voltage` for each of ``which`` in one pass over the load-flow result.

    Works through :data:`CHUNK_STEPS` steps at a time: only the results are whole-period
    arrays. Balanced (or without per-phase voltages) every entry is the same frame.
    """
    customers = _customers(customers)
    if converged is None:
        converged = converged_mask(pf)
    vm = pf.vm_pu
    missing = sorted(set(customers["bus"]) - set(vm.columns))
    if missing:
        raise InputError(f"customer buses {missing[:5]} are not in the load-flow result")
    ids = pd.Index(customers["customer_id"].to_numpy(), name="customer_id")
    per_phase = [getattr(pf, f"vm_{p}_pu", None) for p in "abc"]
    frames = [f for f in per_phase if isinstance(f, pd.DataFrame)]
    if not (len(frames) == 3 and "phase" in customers):
        values = vm[customers["bus"].to_numpy()].to_numpy(dtype=float)
        out = _mask(pd.DataFrame(values, index=vm.index, columns=ids), converged)
        return dict.fromkeys(which, out)
    # per phase: 3 x [time x bus] -> lowest / highest / band phase per customer
    arrays = [f.to_numpy(dtype=float) for f in frames]  # views when the frames are float
    cols = [f.columns.get_indexer(customers["bus"].to_numpy()) for f in frames]
    if any((c < 0).any() for c in cols):
        raise InputError("customer buses are missing from the per-phase load-flow voltages")
    phase_pos = customers["phase"].map({"a": 0, "b": 1, "c": 2}).to_numpy()
    single = np.flatnonzero(pd.notna(phase_pos))
    own = phase_pos[single].astype(int)
    n_t = len(vm.index)
    if not _kernels.REFERENCE:  # one compiled pass for all three (numpy below: reference)
        own_phase = np.full(len(ids), -1, dtype=np.int64)
        own_phase[single] = own
        band, low, high = (np.empty((n_t, len(ids))) for _ in range(3))
        va, vb, vc = (np.ascontiguousarray(a) for a in arrays)
        _kernels.customer_phase_voltages(
            va,
            vb,
            vc,
            np.array(cols, dtype=np.int64),
            own_phase,
            float(centre_pu),
            band,
            low,
            high,
        )
        computed = {"band": band, "low": low, "high": high}
        return {
            w: _mask(pd.DataFrame(computed[w], index=vm.index, columns=ids), converged)
            for w in which
        }
    out_arrays = {w: np.empty((n_t, len(ids))) for w in which}
    for start in range(0, n_t, CHUNK_STEPS):
        rows = slice(start, min(start + CHUNK_STEPS, n_t))
        stack = np.stack([a[rows][:, c] for a, c in zip(arrays, cols, strict=True)])
        low = np.fmin(np.fmin(stack[0], stack[1]), stack[2])  # as nanmin over the phases
        high = np.fmax(np.fmax(stack[0], stack[1]), stack[2])
        for w, target in out_arrays.items():
            if w == "low":
                chunk = low
            elif w == "high":
                chunk = high
            else:
                chunk = np.where(np.abs(low - centre_pu) >= np.abs(high - centre_pu), low, high)
            target[rows] = chunk
            if len(single):
                target[rows, single] = stack[own, :, single].T
    return {
        w: _mask(pd.DataFrame(values, index=vm.index, columns=ids), converged)
        for w, values in out_arrays.items()
    }


def _centre(lim: Mapping[str, Any]) -> float:
    return 0.5 * (lim["v_min_pu"] + lim["v_max_pu"])


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
    customer_p_kw : pandas.DataFrame or None
        Customer active power with the non-converged steps blanked [kW] (the summary's fuse
        energy needs it).
    customer_q_kvar : None
        Not kept: the reactive power is used for the fuse loading only, and keeping it would
        hold a whole-period copy per task (per phase of a year: about 90 MB).
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
    _low_p05: pd.Series | None = field(default=None, init=False, repr=False)
    _fuse_max: pd.Series | None = field(default=None, init=False, repr=False)

    def fuse_max_pct(self) -> pd.Series | None:
        """Highest main-fuse loading of each customer [%] (NaN steps skipped; None without
        ``fuse_pct``; computed once, shared by the summary row and the customer table)."""
        if self.fuse_pct is None:
            return None
        if self._fuse_max is None:
            self._fuse_max = pd.Series(
                column_max(self.fuse_pct.to_numpy(dtype=float)), index=self.fuse_pct.columns
            )
        return self._fuse_max

    def low_p05_pu(self) -> pd.Series:
        """5th percentile of each customer's lowest phase voltage [pu] (``vm_low``; computed
        once, shared by the summary row and the customer table)."""
        if self._low_p05 is None:
            values = self.vm_low.to_numpy(dtype=float)
            self._low_p05 = (
                pd.Series(column_quantile(values, 0.05), index=self.vm_low.columns, name=0.05)
                if not _kernels.REFERENCE and not np.isnan(values).any()
                else self.vm_low.quantile(0.05, axis=0)
            )
        return self._low_p05


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
    voltages = _customer_voltages(pf, customers, converged, _centre(lim), ("band", "low", "high"))
    vm, vm_low, vm_high = voltages["band"], voltages["low"], voltages["high"]
    quality = voltage_quality(
        vm,
        v_min_pu=lim["v_min_pu"],
        v_max_pu=lim["v_max_pu"],
        en50160_share=lim["en50160_share"],
        en50160_v_min_all_pu=lim["en50160_v_min_all_pu"],
        window=lim["en50160_window"],
    )
    fuse_pct = (
        None
        if customer_p_kw is None
        else _fuse_loading_frame(customers, vm, customer_p_kw, customer_q_kvar)
    )
    return CustomerStatistics(
        lim, converged, vm, vm_low, vm_high, quality, fuse_pct, customer_p_kw, None
    )


def _fuse_loading_frame(
    customers: pd.DataFrame,
    vm_customers: pd.DataFrame,
    customer_p_kw: pd.DataFrame,
    customer_q_kvar: pd.DataFrame | None,
) -> pd.DataFrame:
    from gridv2x.metrics.loading import _fuse_current

    for col in ("fuse_a", "phases"):
        if col not in customers:
            raise InputError(f"customers needs a {col!r} column for the main-fuse check")
    by_id = _customers(customers).set_index("customer_id")
    current, columns = _fuse_current(customer_p_kw, customer_q_kvar, vm_customers, by_id["phases"])
    rating = by_id["fuse_a"].reindex(columns).to_numpy(dtype=float)
    if not (np.isfinite(rating) & (rating > 0)).all():
        raise InputError("fuse_a must be a positive rating [A] for every customer")
    current *= 100.0 / rating  # in place: the loading [%]
    return pd.DataFrame(current, index=customer_p_kw.index, columns=columns)


def _total_trafo_kw(pf: Any, converged: pd.Series) -> pd.Series:
    p = _mask(pf.trafo_p_mw, converged) * KW_PER_MW
    return p.sum(axis=1, min_count=1)
