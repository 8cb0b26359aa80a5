"""Small helpers shared by the metric modules (not public)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridv2x.errors import InputError


def infer_step_hours(index: pd.Index, step_h: float | None = None) -> float:
    """Step length [h] of a time index: ``step_h`` if given, else the index's freq or median step.

    Raises
    ------
    InputError
        When the step cannot be determined (not a time index and no ``step_h``, or fewer than
        two steps without a freq).
    """
    if step_h is not None:
        step_h = float(step_h)
        if not np.isfinite(step_h) or step_h <= 0:
            raise InputError(f"step length must be a positive number of hours, got {step_h!r}")
        return step_h
    if isinstance(index, pd.DatetimeIndex):
        if index.freq is not None:
            return pd.Timedelta(index.freq).total_seconds() / 3600.0
        if len(index) >= 2:
            diffs = np.diff(index.asi8)
            return float(np.median(diffs)) / 1e9 / 3600.0
    raise InputError(
        "cannot tell the step length: give a time index with a frequency (period_index) "
        "or pass step_h [h]"
    )


def is_float_frame(frame: pd.DataFrame) -> bool:
    """Whether every column of ``frame`` holds floats (so it needs no conversion)."""
    return all(np.issubdtype(dtype, np.floating) for dtype in frame.dtypes)


def require_frame(obj: object, name: str) -> pd.DataFrame:
    """Return ``obj`` as a float DataFrame or raise :class:`InputError` naming ``name``.

    A DataFrame that holds floats already is returned as it is, not copied (the metrics only
    read it).
    """
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if not isinstance(obj, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame [time x element], got {type(obj)!r}")
    if is_float_frame(obj):
        return obj
    try:
        return obj.astype(float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must hold numbers: {exc}") from exc
