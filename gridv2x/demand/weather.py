"""Outdoor temperature: synthetic weather years for the Swedish climate zones, or a file.

The synthetic year is the sum of three parts, each a named model:

* :func:`seasonal_mean_c` -- annual mean plus a sinusoidal seasonal cycle (coldest around
  17 January, warmest around 19 July) per climate zone,
* :func:`diurnal_cycle_c` -- a daily cycle with its minimum near sunrise and maximum at 15 h solar
  time, larger in summer than in winter,
* :func:`daily_anomaly_c` -- day-to-day weather: a first-order autoregressive (AR(1)) process
  of daily mean anomalies, with a larger spread in winter than in summer, interpolated smoothly
  between days.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from gridv2x.conventions import TIMEZONE
from gridv2x.demand.climate_options import DEFAULTS
from gridv2x.errors import InputError, unquoted

__all__ = [
    "ClimateZone",
    "CLIMATE_ZONES",
    "outdoor_temperature",
    "read_temperature",
    "seasonal_mean_c",
    "diurnal_cycle_c",
    "daily_anomaly_c",
    "climatology",
    "solar_elevation_deg",
]

_WARMEST_DAY = 200.0
"""Day of year of the seasonal maximum (19 July) [d]; SMHI normals put the warmest week in the
second half of July and the coldest in mid/late January in all of Sweden [R]."""
_YEAR_DAYS = 365.2425


@dataclass(frozen=True)
class ClimateZone:
    """Parameters of one synthetic climate zone.

    Attributes
    ----------
    name : str
        Zone code (``"SE1"`` .. ``"SE4"``, the electricity-price areas).
    station : str
        Representative weather station.
    latitude_deg, longitude_deg : float
        Station position [°] (for the solar time and day length).
    annual_mean_c : float
        Annual mean temperature [°C].
    seasonal_amplitude_c : float
        Half the difference between the warmest and coldest monthly mean [K].
    diurnal_amplitude_winter_c, diurnal_amplitude_summer_c : float
        Half the mean daily temperature range in midwinter and midsummer [K].
    anomaly_sd_winter_c, anomaly_sd_summer_c : float
        Standard deviation of daily mean temperature around the seasonal mean [K].
    anomaly_lag1 : float
        Lag-one autocorrelation of the daily anomalies [-].
    """

    name: str
    station: str
    latitude_deg: float
    longitude_deg: float
    annual_mean_c: float
    seasonal_amplitude_c: float
    diurnal_amplitude_winter_c: float
    diurnal_amplitude_summer_c: float
    anomaly_sd_winter_c: float
    anomaly_sd_summer_c: float
    anomaly_lag1: float = 0.8


CLIMATE_ZONES: dict[str, ClimateZone] = {
    # Annual means and Jan/Jul monthly means: SMHI normal period 1991-2020 [R] (recalled, verify
    # against smhi.se "Normalvärden för temperatur"; docs/sources.md §8): Luleå about +2 °C (Jan -10, Jul +16),
    # Sundsvall about +4.5 (Jan -5, Jul +16), Stockholm +7.5 (Jan -1.5, Jul +18), Malmö +9
    # (Jan +0.5, Jul +17.5). Diurnal ranges and the spread/persistence of daily anomalies are
    # engineering estimates [E]: daily-mean anomalies in Scandinavia have a winter standard
    # deviation of 3-6 K (larger inland and north), 2-2.5 K in summer, and a lag-one
    # autocorrelation of 0.7-0.85 (synoptic time scale of 3-5 days).
    "SE1": ClimateZone("SE1", "Luleå", 65.58, 22.15, 2.0, 13.0, 1.5, 4.5, 6.5, 2.5),
    "SE2": ClimateZone("SE2", "Sundsvall", 62.39, 17.31, 4.0, 10.5, 1.5, 4.5, 5.8, 2.3),
    "SE3": ClimateZone("SE3", "Stockholm", 59.33, 18.07, 7.5, 9.7, 1.5, 4.5, 4.8, 2.2),
    "SE4": ClimateZone("SE4", "Malmö", 55.60, 13.00, 9.0, 8.5, 1.5, 4.0, 4.0, 2.0),
}
"""The synthetic climate zones SE1-SE4 (sources in the comment above; [R]/[E])."""


def _zone(zone: str, key: str = "climate.zone") -> ClimateZone:
    if zone not in CLIMATE_ZONES:
        raise InputError(f"{key}: unknown climate zone {zone!r}; allowed: {sorted(CLIMATE_ZONES)}")
    return CLIMATE_ZONES[zone]


def _day_of_year(index: pd.DatetimeIndex, longitude_deg: float) -> np.ndarray:
    """Fractional day of year in local mean solar time (1.0 = 1 January 00:00) [d]."""
    utc = index.tz_convert("UTC") if index.tz is not None else index.tz_localize(TIMEZONE)
    solar = utc.tz_convert("UTC").tz_localize(None) + pd.Timedelta(hours=longitude_deg / 15.0)
    seconds_of_day = (solar - solar.normalize()).total_seconds().to_numpy()
    return solar.dayofyear.to_numpy() + seconds_of_day / 86400.0


def seasonal_mean_c(day_of_year: np.ndarray, zone: ClimateZone) -> np.ndarray:
    """Seasonal (climatological) daily mean temperature [°C].

    ``T = mean + amplitude * cos(2 pi (doy - 200) / 365.24)``, maximum on 19 July.

    Parameters
    ----------
    day_of_year : numpy.ndarray
        Fractional day of the year [d].
    zone : ClimateZone
    """
    phase = 2.0 * np.pi * (day_of_year - _WARMEST_DAY) / _YEAR_DAYS
    return zone.annual_mean_c + zone.seasonal_amplitude_c * np.cos(phase)


def _summerness(day_of_year: np.ndarray) -> np.ndarray:
    """0 at the winter solstice, 1 at the summer solstice (21 June, doy 172)."""
    return 0.5 * (1.0 + np.cos(2.0 * np.pi * (day_of_year - 172.0) / _YEAR_DAYS))


def diurnal_cycle_c(day_of_year: np.ndarray, zone: ClimateZone) -> np.ndarray:
    """Diurnal temperature deviation from the daily mean [K].

    A cosine with its maximum at 15 h local solar time; the amplitude moves between the zone's
    winter and summer values with the sun (largest at midsummer) [E].

    Parameters
    ----------
    day_of_year : numpy.ndarray
        Fractional day of the year in local solar time [d].
    zone : ClimateZone
    """
    hour = np.mod(day_of_year, 1.0) * 24.0
    s = _summerness(day_of_year)
    amplitude = zone.diurnal_amplitude_winter_c + s * (
        zone.diurnal_amplitude_summer_c - zone.diurnal_amplitude_winter_c
    )
    return amplitude * np.cos(2.0 * np.pi * (hour - 15.0) / 24.0)


def anomaly_sd_c(day_of_year: np.ndarray, zone: ClimateZone) -> np.ndarray:
    """Standard deviation of the daily mean anomaly, winter value in January [K]."""
    winter = 1.0 - 0.5 * (1.0 + np.cos(2.0 * np.pi * (day_of_year - _WARMEST_DAY) / _YEAR_DAYS))
    return zone.anomaly_sd_summer_c + winter * (zone.anomaly_sd_winter_c - zone.anomaly_sd_summer_c)


def daily_anomaly_c(
    day_of_year: np.ndarray, day_number: np.ndarray, zone: ClimateZone, rng: np.random.Generator
) -> np.ndarray:
    """Day-to-day weather anomaly [K]: stationary AR(1) per day, linearly interpolated.

    ``z[d] = phi z[d-1] + sqrt(1 - phi^2) e[d]``, ``e ~ N(0, 1)``, started in its stationary
    distribution; the anomaly of day ``d`` is ``sd(doy) * z[d]``, placed at noon and
    interpolated linearly in between.

    Parameters
    ----------
    day_of_year : numpy.ndarray
        Fractional day of the year [d] of each time.
    day_number : numpy.ndarray
        Continuous time in days (any origin) of each time [d].
    zone : ClimateZone
    rng : numpy.random.Generator

    References
    ----------
    D. S. Wilks, *Statistical Methods in the Atmospheric Sciences*, 4th ed., Elsevier 2019,
    §10.3 (AR(1) models of daily temperature anomalies).
    """
    first = int(np.floor(day_number.min() - 0.5))
    last = int(np.ceil(day_number.max() + 0.5))
    days = np.arange(first, last + 1)
    phi = zone.anomaly_lag1
    shocks = rng.standard_normal(days.size)
    z0 = rng.standard_normal()
    z = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], shocks, zi=[phi * z0])[0]
    z_t = np.interp(day_number, days + 0.5, z)
    return anomaly_sd_c(day_of_year, zone) * z_t


def climatology(index: pd.DatetimeIndex, zone: str = "SE3") -> tuple[np.ndarray, np.ndarray]:
    """Expected temperature and the spread of the weather around it at each time.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Timezone-aware times.
    zone : str
        Climate zone ``SE1`` .. ``SE4``.

    Returns
    -------
    mean_c : numpy.ndarray
        Seasonal plus diurnal mean [°C].
    sd_c : numpy.ndarray
        Standard deviation of the day-to-day anomaly [K].
    """
    cz = _zone(zone)
    doy = _day_of_year(_mid_steps(index), cz.longitude_deg)
    return seasonal_mean_c(doy, cz) + diurnal_cycle_c(doy, cz), anomaly_sd_c(doy, cz)


def _mid_steps(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Middle of each step (temperature representative of the step)."""
    if index.freq is not None and len(index) > 0:
        return index + pd.Timedelta(index.freq) / 2
    if len(index) > 1:
        return index + (index[1] - index[0]) / 2
    return index


def solar_elevation_deg(index: pd.DatetimeIndex, latitude_deg: float, longitude_deg: float):
    """Approximate solar elevation angle at each time [°].

    Declination ``23.44° sin(2 pi (284 + doy) / 365)`` and the hour angle from mean solar time
    (equation of time neglected, error < 4°).

    References
    ----------
    J. A. Duffie, W. A. Beckman, *Solar Engineering of Thermal Processes*, 4th ed., Wiley 2013,
    eq. 1.6.1 (Cooper's declination) and eq. 1.6.5.
    """
    doy = _day_of_year(index, longitude_deg)
    decl = np.deg2rad(23.44) * np.sin(2.0 * np.pi * (284.0 + doy) / 365.0)
    hour_angle = 2.0 * np.pi * (np.mod(doy, 1.0) - 0.5)
    lat = np.deg2rad(latitude_deg)
    sin_el = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    return np.rad2deg(np.arcsin(np.clip(sin_el, -1.0, 1.0)))


def outdoor_temperature(
    index: pd.DatetimeIndex,
    *,
    rng: np.random.Generator,
    zone: str = DEFAULTS["zone"],
    temperature_file: str | Path | None = DEFAULTS["temperature_file"],
) -> pd.Series:
    """Outdoor temperature at each step of the study [°C].

    Without ``temperature_file``: a synthetic weather year for the climate zone,
    ``seasonal_mean_c + diurnal_cycle_c + daily_anomaly_c`` evaluated at the middle of each
    step. With a file: :func:`read_temperature`.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Study index (``conventions.period_index``), timezone-aware.
    rng : numpy.random.Generator
        Source of the weather anomalies (the only randomness).
    zone : str
        ``"SE1"`` (Luleå), ``"SE2"`` (Sundsvall), ``"SE3"`` (Stockholm) or ``"SE4"`` (Malmö).
    temperature_file : str or Path, optional
        CSV with columns ``time, temperature_c``.

    Returns
    -------
    pandas.Series
        Temperature [°C] on ``index``, named ``temperature_c``; ``attrs["zone"]`` records the
        climate zone (used by :func:`gridv2x.demand.base_load` to normalise the heating energy
        of a period shorter than a year).
    """
    cz = _zone(zone)
    if temperature_file is not None:
        series = read_temperature(temperature_file, index)
    else:
        mid = _mid_steps(index)
        doy = _day_of_year(mid, cz.longitude_deg)
        utc = mid.tz_convert("UTC")
        day_number = (utc - pd.Timestamp("2000-01-01", tz="UTC")).total_seconds().to_numpy()
        day_number = day_number / 86400.0 + cz.longitude_deg / 360.0
        values = (
            seasonal_mean_c(doy, cz)
            + diurnal_cycle_c(doy, cz)
            + daily_anomaly_c(doy, day_number, cz, rng)
        )
        series = pd.Series(values, index=index, name="temperature_c")
    series.attrs["zone"] = zone
    return series


MAX_TEMPERATURE_GAP_H = 6.0
"""Longest stretch without a value that a temperature file may have inside the study period
[h]; longer gaps are refused instead of bridged by a straight line, which would flatten the
daily cycle (a quarter of a day) [E]."""


def read_temperature(path: str | Path, index: pd.DatetimeIndex) -> pd.Series:
    """Read a temperature CSV and interpolate it to the middle of each study step.

    Parameters
    ----------
    path : str or Path
        CSV with columns ``time`` (ISO 8601; with a UTC offset, or local Swedish time) and
        ``temperature_c`` [°C] (``,`` or Swedish ``;`` with decimal comma), or SMHI's own
        download (:func:`gridv2x.demand.formats.read_smhi_temperature`). Any resolution; it must cover the study period (up to one
        source step of extrapolation is allowed at each end, holding the end value).
    index : pandas.DatetimeIndex
        Study index, timezone-aware.

    Returns
    -------
    pandas.Series
        Temperature [°C] on ``index``.

    Raises
    ------
    gridv2x.errors.InputError
        Missing file, missing columns, unparsable times or values, or too short a period; the
        message names the file.
    """
    from gridv2x.demand.formats import is_smhi_file, read_csv_any, read_smhi_temperature

    path = Path(path)
    if not path.is_file():
        raise InputError(f"climate.temperature_file: file not found: {path}")
    if is_smhi_file(path):
        smhi = read_smhi_temperature(path)
        times = pd.DatetimeIndex(smhi.index)
        values = smhi.to_numpy(dtype=float)
    else:
        table = read_csv_any(path, "climate.temperature_file")
        missing = {"time", "temperature_c"} - set(table.columns)
        if missing:
            raise InputError(
                f"climate.temperature_file: {path} lacks column(s) {sorted(missing)} (it has "
                f"{len(table.columns)} column(s), not quoted); required: time, temperature_c (or SMHI's own "
                "download, Datum;Tid (UTC);Lufttemperatur;Kvalitet)"
            )
        times = _parse_times(table["time"], path, "climate.temperature_file")
        values = pd.to_numeric(table["temperature_c"], errors="coerce").to_numpy(dtype=float)
    if len(values) < 2:
        raise InputError(
            f"climate.temperature_file: {path} has {len(values)} row(s); at least two times "
            "covering the study period are required"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise InputError(
            f"climate.temperature_file: {path} has {bad.sum()} missing or non-numeric "
            f"temperature_c value(s), first at data row(s) {rows}; a number [°C] is required"
        )
    if values.min() < -60.0 or values.max() > 50.0:
        raise InputError(
            f"climate.temperature_file: {path} has temperature_c from {values.min()} to "
            f"{values.max()} °C; allowed -60..50 °C (is it in Kelvin or Fahrenheit?)"
        )
    if times.duplicated().any():
        raise InputError(
            f"climate.temperature_file: {path} has duplicated times, e.g. "
            f"{times[times.duplicated()][0]}; each time once is required"
        )
    order = np.argsort(times.asi8, kind="stable")
    t_src = times.asi8[order].astype(float) / 1e9
    v_src = values[order]
    t_dst = _mid_steps(index).tz_convert("UTC").asi8.astype(float) / 1e9
    step_src = np.median(np.diff(t_src)) if t_src.size > 1 else 3600.0
    if t_dst.min() < t_src[0] - step_src or t_dst.max() > t_src[-1] + step_src:
        raise InputError(
            f"climate.temperature_file: {path} covers {times.min()} .. {times.max()}, but the "
            f"study period is {index[0]} .. {index[-1]}; the file must cover the study period"
        )
    gaps = np.diff(t_src) / 3600.0
    inside = (t_src[1:] > t_dst.min()) & (t_src[:-1] < t_dst.max())
    long = np.flatnonzero(inside & (gaps > MAX_TEMPERATURE_GAP_H))
    if long.size:
        first = pd.Timestamp(t_src[long[0]], unit="s", tz="UTC")
        raise InputError(
            f"climate.temperature_file: {path} has {long.size} gap(s) longer than "
            f"{MAX_TEMPERATURE_GAP_H:g} h inside the study period, the first "
            f"{gaps[long[0]]:g} h after {first}; fill them (interpolating across them would "
            "lose the daily temperature cycle)"
        )
    return pd.Series(np.interp(t_dst, t_src, v_src), index=index, name="temperature_c")


def _parse_times(column: pd.Series, path: Path, key: str) -> pd.DatetimeIndex:
    """Parse a time column: times with a UTC offset are converted, naive ones are taken as
    Swedish local time (the repeated autumn hour resolved by order)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = column
    else:
        text = column.astype(str).str.strip()
        with_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
        try:
            parsed = pd.to_datetime(text, utc=bool(with_offset.all()), format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"{key}: {path}: cannot parse column 'time' as ISO 8601 times "
                f"(e.g. 2030-01-01T00:00+01:00): {unquoted(exc)}"
            ) from exc
        if with_offset.any() and not with_offset.all():
            raise InputError(
                f"{key}: {path}: column 'time' mixes times with and without UTC offset; "
                f"give all with an offset (e.g. +01:00) or all in Swedish local time"
            )
    index = pd.DatetimeIndex(parsed)
    if index.isna().any():
        raise InputError(f"{key}: {path}: column 'time' has empty values")
    if index.tz is None:
        try:
            index = index.tz_localize(TIMEZONE, ambiguous="infer", nonexistent="shift_forward")
        except Exception as exc:  # pytz/zoneinfo raise several kinds
            raise InputError(
                f"{key}: {path}: local times without UTC offset are ambiguous at the autumn "
                f"daylight-saving change ({unquoted(exc)}); give times with offsets, e.g. +01:00"
            ) from exc
    return index.tz_convert("UTC")
