"""Measured and given load profiles: meter-data reader and mapping of a feeder's own profiles.

Both keep energy when they change resolution: a profile is read as constant power over each of
its intervals, its cumulative energy is interpolated at the study's step boundaries, and the
difference gives each study step's energy (exact for up- and down-sampling).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gridv2x.conventions import TIMEZONE, step_hours
from gridv2x.demand.formats import (
    is_long_format,
    long_to_wide,
    read_csv_any,
    read_meter_customers,
)
from gridv2x.demand.weather import _parse_times
from gridv2x.errors import InputError, unquoted

__all__ = ["read_metered", "resample_energy", "map_profiles", "year_position_h"]

_KEY = "demand.metered_file"
_STANDARD_TIME = "Etc/GMT-1"  # CET without daylight saving (note the inverted POSIX sign)


def resample_energy(
    source_start_h: np.ndarray,
    source_kw: np.ndarray,
    target_start_h: np.ndarray,
    target_step_h: float,
    source_end_h: float | None = None,
) -> np.ndarray:
    """Mean power over target intervals from power constant over source intervals [kW].

    Parameters
    ----------
    source_start_h : numpy.ndarray
        Increasing start times of the source intervals [h]; each lasts until the next start
        (the last until ``source_end_h``, by default one median step).
    source_kw : numpy.ndarray
        Mean power over each source interval, shape ``(n_source,)`` or ``(n_source, k)`` [kW].
    target_start_h : numpy.ndarray
        Start of each target interval [h].
    target_step_h : float
        Length of the target intervals [h].
    source_end_h : float, optional
        End of the last source interval [h].

    Returns
    -------
    numpy.ndarray
        Mean power over each target interval, ``(n_target,)`` or ``(n_target, k)`` [kW]; the
        energy over any span of whole source intervals is preserved exactly.
    """
    t = np.asarray(source_start_h, dtype=float)
    if source_end_h is None:
        source_end_h = t[-1] + (np.median(np.diff(t)) if t.size > 1 else target_step_h)
    edges = np.append(t, source_end_h)
    kw = np.asarray(source_kw, dtype=float)
    flat = kw.reshape(kw.shape[0], -1)
    cum = np.vstack([np.zeros((1, flat.shape[1])), np.cumsum(flat * np.diff(edges)[:, None], 0)])
    lo = np.asarray(target_start_h, dtype=float)
    hi = lo + target_step_h
    out = np.empty((lo.size, flat.shape[1]))
    for j in range(flat.shape[1]):
        out[:, j] = np.interp(hi, edges, cum[:, j]) - np.interp(lo, edges, cum[:, j])
    out /= target_step_h
    return out.reshape((lo.size,) + kw.shape[1:])


def _hours_since_epoch(index: pd.DatetimeIndex) -> np.ndarray:
    utc = index.tz_convert("UTC")
    return (utc - pd.Timestamp("2000-01-01", tz="UTC")).total_seconds().to_numpy() / 3600.0


def read_metered(
    path: str | Path,
    customers: pd.DataFrame,
    index: pd.DatetimeIndex,
    *,
    unit: str = "kwh",
    meter_customers: str | Path | None = None,
) -> pd.DataFrame:
    """Read per-customer meter data and resample it to the study index keeping energy.

    Parameters
    ----------
    path : str or Path
        CSV (``.csv``, international or Swedish: ``;`` and decimal comma) or parquet
        (``.parquet``/``.pq``) file, either a wide table, one row per meter interval (hourly
        or 15-min; the time is the interval start, ISO 8601 with UTC offset or Swedish local
        time) and one column per ``customer_id``, the time a column ``time`` (or, in
        parquet, the index); or long format, one row per meter and interval
        (:mod:`gridv2x.demand.formats`).
    customers : pandas.DataFrame
        Feeder customers (``customer_id``); every customer must have a column, and every column
        must be a customer.
    index : pandas.DatetimeIndex
        Study index. The file must cover it, or cover at least 364 days: then each study step
        takes the metered mean power at the same day of year and time of day (as
        :func:`map_profiles`; 29 February dropped, the most recent year where the file holds
        more than one; weekdays are not aligned).
    unit : str
        ``"kwh"``: values are energy per interval [kWh]; ``"kw"``: mean power [kW].
    meter_customers : str or Path, optional
        For long-format data: a CSV table ``meter_id -> customer_id`` (meters of one customer
        are summed); default: the meter id is the customer id.

    Returns
    -------
    pandas.DataFrame
        Active power [kW], ``[time x customer_id]`` in the order of ``customers``.

    Raises
    ------
    gridv2x.errors.InputError
        The message names the file and what is wrong (missing file, unknown format, unknown or
        missing customer ids, non-numeric or missing values, period not covered).
    """
    path = Path(path)
    if unit not in ("kwh", "kw"):
        raise InputError(f"demand.metered_unit: must be 'kwh' or 'kw', given {unit!r}")
    if not path.is_file():
        raise InputError(f"{_KEY}: file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            table = read_csv_any(path, _KEY)
        elif suffix in (".parquet", ".pq"):
            table = pd.read_parquet(path)
            if "time" not in table.columns and isinstance(table.index, pd.DatetimeIndex):
                table = table.reset_index(names="time")
        else:
            raise InputError(
                f"{_KEY}: {path}: unknown file type {suffix!r}; allowed: .csv, .parquet"
            )
    except InputError:
        raise
    except Exception as exc:  # parser errors of pandas / pyarrow
        raise InputError(f"{_KEY}: cannot read {path}: {unquoted(exc)}") from exc
    if is_long_format(table):
        meters = read_meter_customers(meter_customers) if meter_customers is not None else None
        table = long_to_wide(table, path, _KEY, unit=unit, meter_customers=meters)
    elif meter_customers is not None:
        raise InputError(
            f"demand.meter_customers: given, but {path} is not long-format meter data (one row "
            "per meter and interval); remove it or give the long-format file"
        )
    if "time" not in table.columns:
        raise InputError(
            f"{_KEY}: {path} has no 'time' column (it has {len(table.columns)} other column(s), not quoted); a "
            "wide table needs 'time' and one column per customer_id, long format a meter id, a "
            "time and a kwh or kw column"
        )
    if len(table) == 0:
        raise InputError(
            f"{_KEY}: {path} has a header but no rows; one row per meter interval is required"
        )
    times = _parse_times(table["time"], path, _KEY)
    data = table.drop(columns="time")
    data.columns = [str(c) for c in data.columns]
    wanted = [str(c) for c in customers["customer_id"]]
    unknown = sorted(set(data.columns) - set(wanted))
    missing = [c for c in wanted if c not in set(data.columns)]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"unknown customer id(s) {unknown[:10]}")
        if missing:
            parts.append(f"no data for customer(s) {missing[:10]}")
        raise InputError(
            f"{_KEY}: {path}: " + "; ".join(parts) + f"; the feeder's customers are "
            f"{wanted[:10]}{' ...' if len(wanted) > 10 else ''}"
        )
    values = data[wanted].apply(pd.to_numeric, errors="coerce")
    finite = np.isfinite(values.to_numpy(dtype=float))
    if not finite.all():
        bad = values.columns[~finite.all(axis=0)].tolist()[:10]
        raise InputError(
            f"{_KEY}: {path}: missing, non-numeric or infinite values for customer(s) {bad}; "
            f"a number [{'kWh' if unit == 'kwh' else 'kW'}] is required in every row"
        )
    if times.duplicated().any():
        raise InputError(f"{_KEY}: {path}: duplicated times, e.g. {times[times.duplicated()][0]}")
    order = np.argsort(times.asi8, kind="stable")
    t_src = _hours_since_epoch(times[order])
    arr = values.to_numpy(dtype=float)[order]
    step_src = np.diff(t_src)
    last_step = float(np.median(step_src)) if step_src.size else 1.0
    lengths = np.append(step_src, last_step)
    kw = arr / lengths[:, None] if unit == "kwh" else arr
    t_dst = _hours_since_epoch(index)
    dt = step_hours(index)
    end_src = t_src[-1] + last_step
    covered = t_dst[0] >= t_src[0] - 1e-9 and t_dst[-1] + dt <= end_src + 1e-9
    if covered:
        out = resample_energy(t_src, kw, t_dst, dt, end_src)
    elif end_src - t_src[0] >= 364.0 * 24.0 - 1e-6:
        # another year (e.g. last year's meter data for a 2030 study): by day of year
        out = _map_by_year_position(times[order], kw, index)
    else:
        raise InputError(
            f"{_KEY}: {path} covers {times.min()} .. {times.max()} (interval starts), but the "
            f"study period is {index[0]} .. {index[-1]}; the file must cover the study period, "
            f"or a whole year (then it is mapped by day of year and time of day)"
        )
    frame = pd.DataFrame(out, index=index, columns=pd.Index(wanted, name="customer_id"))
    return frame


def year_position_h(index: pd.DatetimeIndex) -> np.ndarray:
    """Hours since 1 January 00:00 (Swedish standard time, CET) of each time's own year [h].

    29 February is folded onto 28 February (later days of a leap year move back 24 h), so that
    every year is mapped onto the same 365-day axis by day of year and time of day; standard
    time avoids the ambiguous hour of the daylight-saving change.
    """
    std = index.tz_convert(_STANDARD_TIME).tz_localize(None)
    jan1 = pd.to_datetime(std.year.astype(str) + "-01-01")
    hours = (std - jan1).total_seconds().to_numpy() / 3600.0
    leap = std.is_leap_year & ((std.month > 2) | ((std.month == 2) & (std.day == 29)))
    return hours - 24.0 * np.asarray(leap)


def _profile_index(frame: pd.DataFrame, name: str) -> pd.DatetimeIndex:
    if isinstance(frame.index, pd.DatetimeIndex):
        idx = frame.index
        return (
            idx.tz_localize(TIMEZONE, ambiguous="infer", nonexistent="shift_forward")
            if (idx.tz is None)
            else idx
        )
    n = len(frame)
    for days, year in ((365, 2015), (366, 2016)):
        if n % days == 0 and (n // days) in (24, 48, 96, 144):
            minutes = 1440 // (n // days)
            return pd.date_range(
                f"{year}-01-01", periods=n, freq=f"{minutes}min", tz=_STANDARD_TIME
            ).tz_convert(TIMEZONE)
    raise InputError(
        f"base_profiles ({name}): index is not a DatetimeIndex and {n} rows is not one year of "
        f"10/15/30/60-min steps (e.g. 35040 or 35136)"
    )


def _map_by_year_position(
    times: pd.DatetimeIndex, values: np.ndarray, index: pd.DatetimeIndex
) -> np.ndarray:
    """Mean power on ``index`` from a year of data by :func:`year_position_h` (periodic).

    ``times`` must be sorted. 29 February is dropped; where the data cover more than a year,
    the latest value for each position of the year is used.
    """
    std = times.tz_convert(_STANDARD_TIME)
    keep = ~np.asarray((std.month == 2) & (std.day == 29))
    pos = year_position_h(times)[keep]
    vals = values[keep]
    # last occurrence of each position (the most recent year), sorted by position
    _, first_in_reversed = np.unique(pos[::-1], return_index=True)
    sel = len(pos) - 1 - first_in_reversed
    pos, vals = pos[sel], vals[sel]
    period = 365.0 * 24.0
    src_t = np.concatenate([pos - period, pos, pos + period])  # periodic extension
    src_v = np.vstack([vals, vals, vals])
    return resample_energy(src_t, src_v, year_position_h(index), step_hours(index))


def map_profiles(
    base_profiles: tuple[pd.DataFrame, pd.DataFrame],
    customers: pd.DataFrame,
    index: pd.DatetimeIndex,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map a feeder's one-year base profiles onto the study index.

    Each study step takes the profile's mean power over the same span of the year: both are
    placed on :func:`year_position_h` (day of year and time of day, standard time, 29 February
    folded onto 28 February), and the profile is resampled keeping energy; a study period that
    crosses New Year wraps around to the profile's start. The weekday is *not* aligned (a
    profile year starting on a Friday keeps its weekends on its own dates).

    Parameters
    ----------
    base_profiles : tuple of pandas.DataFrame
        ``(p_kw, q_kvar)``, columns ``customer_id``, one year; index a DatetimeIndex, or a
        plain index of one year of equal steps from 1 January (SimBench: 35136 quarter hours
        of 2016).
    customers : pandas.DataFrame
        Feeder customers; each ``customer_id`` must be a column of both frames.
    index : pandas.DatetimeIndex
        Study index.

    Returns
    -------
    p_kw, q_kvar : pandas.DataFrame
        ``[time x customer_id]`` [kW], [kvar].
    """
    wanted = [str(c) for c in customers["customer_id"]]
    out = []
    for frame, name in zip(base_profiles, ("p_kw", "q_kvar"), strict=True):
        frame = frame.rename(columns=str)
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise InputError(
                f"base_profiles ({name}): no profile for customer(s) {missing[:10]}; "
                f"the profiles have columns {list(frame.columns)[:10]}"
            )
        pidx = _profile_index(frame, name)
        mapped = _map_by_year_position(pidx, frame[wanted].to_numpy(dtype=float), index)
        out.append(pd.DataFrame(mapped, index=index, columns=pd.Index(wanted, name="customer_id")))
    return out[0], out[1]
