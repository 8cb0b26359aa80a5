"""Synthetic household base load: Swedish daily shapes, lighting, electric heating, diversity.

Each customer's active power is the sum of two named parts, both pure functions:

* :func:`household_mean_kw` -- appliances, lighting and hot water: an hourly daily shape per
  dwelling type and day type (weekday; Saturday, Sunday and Swedish holidays), a lighting part
  that follows darkness (solar elevation) and therefore the season, individual time shifts and
  morning/evening habits; made stochastic by :func:`household_noise` (day-to-day factor,
  correlated lognormal noise and Poisson appliance events, all with mean one so the expected
  energy is unchanged).
* :func:`heating_kw` -- space heating from heating degree-hours of the outdoor temperature,
  smoothed by the building's thermal time constant, with a temperature-dependent coefficient of
  performance (COP) for heat pumps.

:func:`split_annual_kwh` decides how much of each customer's ``annual_kwh`` each part gets and
:func:`base_load` scales both to it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import roots_hermitenorm

from gridv2x.calendar import is_sunday_like
from gridv2x.conventions import DWELLINGS, HEATINGS, TIMEZONE, step_hours
from gridv2x.demand.weather import CLIMATE_ZONES, _zone, climatology, solar_elevation_deg
from gridv2x.errors import InputError

__all__ = [
    "DWELLINGS",
    "HEATINGS",
    "DEFAULT_HOUSEHOLD_KWH",
    "daily_shape",
    "split_annual_kwh",
    "household_mean_kw",
    "household_noise",
    "heating_degree_power",
    "heating_kw",
    "synthetic_base_load",
    "reactive_power_kvar",
]


DEFAULT_HOUSEHOLD_KWH = {"villa": 5000.0, "apartment": 2500.0, "farm": 6000.0, "business": 0.0}
"""Household electricity (without space heating) of an electrically heated dwelling [kWh/yr].
Villa 4 500-5 500 (docs/sources.md §2, karlssonklimat.se); apartment ~2 500 (docs/sources.md §2, SCB small
to large 2 000-5 000); farm [E]; business 0 = use ``_BUSINESS_HEATING_SHARE``."""

_DISTRICT_HEATING_SHARE = 0.03
"""Share of a district-heated customer's electricity that follows the outdoor temperature
(circulation pumps, bathroom floor heating, engine heaters) [E]."""
_BUSINESS_HEATING_SHARE = 0.20
"""Heating share of an electrically heated business without a household_kwh figure [E]."""
_MIN_HOUSEHOLD_SHARE = 0.20
"""Household electricity is at least this share of annual_kwh (caps the heating share) [E]."""
_LIGHTING_SHARE = 0.15
"""Share of household electricity used for lighting in a typical SE3 dwelling [E] (Swedish
metering campaign: lighting 10-20 % of household electricity, Zimmermann 2009, Energimyndigheten
[R])."""

# Hourly shapes (hour h covers h:00-h+1:00), relative; normalised to mean 1 below. Villa and
# apartment: utility peaks at 07-08 and 18-19 h (docs/sources.md §2, tekniskaverken.se); later,
# broader morning on weekends and holidays [E]. Farm: villa shape flattened by round-the-clock
# farm loads (fans, pumps, milking at 06 and 17) [E]. Business: opening hours 08-17 on weekdays [E].
_WEEKDAY = [0.55, 0.45, 0.42, 0.40, 0.40, 0.46, 0.72, 1.08, 0.98, 0.76, 0.70, 0.72,
            0.78, 0.72, 0.70, 0.76, 0.92, 1.15, 1.42, 1.38, 1.22, 1.05, 0.90, 0.70]  # fmt: skip
_WEEKEND = [0.62, 0.50, 0.45, 0.42, 0.40, 0.40, 0.45, 0.60, 0.85, 1.05, 1.12, 1.08,
            1.02, 0.96, 0.92, 0.92, 1.00, 1.20, 1.40, 1.35, 1.20, 1.05, 0.92, 0.74]  # fmt: skip
_FARM_WD = [0.80, 0.75, 0.72, 0.72, 0.75, 0.95, 1.20, 1.15, 1.00, 0.95, 0.95, 0.98,
            1.00, 0.95, 0.95, 1.00, 1.15, 1.30, 1.30, 1.20, 1.10, 1.00, 0.90, 0.85]  # fmt: skip
_FARM_WE = [0.80, 0.75, 0.72, 0.72, 0.75, 0.92, 1.15, 1.10, 1.02, 1.02, 1.02, 1.00,
            1.00, 0.95, 0.95, 1.00, 1.12, 1.28, 1.30, 1.20, 1.10, 1.00, 0.90, 0.85]  # fmt: skip
_BUSINESS_WD = [0.35, 0.35, 0.35, 0.35, 0.35, 0.40, 0.60, 1.00, 1.55, 1.70, 1.75, 1.75,
                1.70, 1.70, 1.70, 1.65, 1.50, 1.10, 0.70, 0.50, 0.45, 0.40, 0.38, 0.35]  # fmt: skip
_BUSINESS_WE = [0.35] * 9 + [0.50] * 7 + [0.35] * 8

_SHAPE_CLASS = {"villa": 0, "apartment": 0, "farm": 1, "business": 2}
_SHAPES = np.array(
    [[_WEEKDAY, _WEEKEND], [_FARM_WD, _FARM_WE], [_BUSINESS_WD, _BUSINESS_WE]], dtype=float
)
_SHAPES /= _SHAPES.mean(axis=2, keepdims=True)

_SEASONAL_AMPLITUDE = 0.10
"""Seasonal swing of household electricity besides lighting: +10 % in mid-January, -10 % in
mid-July (more time indoors, cooking, sauna, engine-block heaters) [E]."""

# when people are awake and need light: weight per hour [E]
_AWAKE = np.array(
    [
        0.5,
        0.2,
        0.1,
        0.1,
        0.1,
        0.2,
        0.8,
        1.0,
        0.8,
        0.5,
        0.4,
        0.4,
        0.4,
        0.4,
        0.4,
        0.5,
        0.7,
        0.9,
        1.0,
        1.0,
        1.0,
        1.0,
        0.9,
        0.7,
    ]
)
_AWAKE_BUSINESS = np.array([0.1] * 7 + [0.8] + [1.0] * 9 + [0.5] + [0.1] * 6)
_AWAKE_TABLE = np.stack([_AWAKE, _AWAKE_BUSINESS])

# diversity parameters at diversity = 1 [E], calibrated so that 50 villas meet Velander
_TIME_SHIFT_SD_H = 0.75  # individual shift of the daily routine [h]
_HABIT_SD = 0.25  # individual morning/evening emphasis (relative)
_DAY_FACTOR_SD = 0.20  # lognormal sigma of a customer's day-to-day level
_NOISE_SD = 0.30  # lognormal sigma of step-to-step noise
_NOISE_TAU_H = 1.0  # correlation time of the noise [h]
_EVENT_SHARE = 0.30  # share of household energy in discrete appliance events
_EVENT_KWH = 1.0  # mean energy per appliance event (cooking, laundry, dishwasher, sauna) [kWh]
_EVENT_GAMMA_SHAPE = 3.0  # gamma shape of event energy (coefficient of variation 0.58)
_EVENT_HOURS = 0.5  # duration of an appliance event [h]
_BLOCK = 64  # customers computed together (memory bound for large feeders)
_BASE_TEMP_SD_C = 1.0  # spread of the customers' heating balance temperatures [K]


def daily_shape(dwelling: str, sunday_like: bool = False) -> np.ndarray:
    """Normalised 24-hour load shape (mean 1) of a dwelling type [-].

    Parameters
    ----------
    dwelling : str
        ``villa``, ``apartment``, ``farm`` or ``business``.
    sunday_like : bool
        Weekend or holiday shape instead of the weekday shape.
    """
    if dwelling not in _SHAPE_CLASS:
        raise InputError(f"dwelling: unknown type {dwelling!r}; allowed: {list(DWELLINGS)}")
    return _SHAPES[_SHAPE_CLASS[dwelling], int(bool(sunday_like))].copy()


def _check_customers(customers: pd.DataFrame) -> None:
    missing = {"customer_id", "dwelling", "heating", "annual_kwh"} - set(customers.columns)
    if missing:
        raise InputError(
            f"customers: missing column(s) {sorted(missing)}; given {list(customers.columns)}"
        )
    bad = sorted(set(customers["dwelling"]) - set(DWELLINGS))
    if bad:
        raise InputError(f"customers.dwelling: unknown {bad}; allowed: {list(DWELLINGS)}")
    bad = sorted(set(customers["heating"]) - set(HEATINGS))
    if bad:
        raise InputError(f"customers.heating: unknown {bad}; allowed: {list(HEATINGS)}")
    kwh = pd.to_numeric(customers["annual_kwh"], errors="coerce")
    if kwh.isna().any() or (kwh < 0).any():
        ids = customers.loc[kwh.isna() | (kwh < 0), "customer_id"].tolist()[:5]
        raise InputError(f"customers.annual_kwh: must be a number >= 0 [kWh/yr]; bad for {ids}")
    if customers["customer_id"].duplicated().any():
        ids = customers.loc[customers["customer_id"].duplicated(), "customer_id"].tolist()[:5]
        raise InputError(f"customers.customer_id: must be unique; duplicated {ids}")


def split_annual_kwh(
    customers: pd.DataFrame, household_kwh: Mapping[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split each customer's annual energy into household electricity and space heating [kWh/yr].

    * ``heat_pump`` / ``direct_electric``: household part ``household_kwh[dwelling]`` (at least
      20 % of annual_kwh), the rest is heating; business with ``household_kwh`` 0: 20 % heating.
    * ``district``: 3 % heating (pumps, floor heating) [E]; ``none``: no heating.

    Parameters
    ----------
    customers : pandas.DataFrame
        Columns ``dwelling``, ``heating``, ``annual_kwh`` [kWh/yr].
    household_kwh : mapping, optional
        Household electricity per dwelling type [kWh/yr]; defaults ``DEFAULT_HOUSEHOLD_KWH``.

    Returns
    -------
    household, heating : numpy.ndarray
        Annual energy of each part per customer [kWh/yr]; they add up to ``annual_kwh``.
    """
    table = dict(DEFAULT_HOUSEHOLD_KWH)
    table.update(household_kwh or {})
    annual = customers["annual_kwh"].to_numpy(dtype=float)
    heating_type = customers["heating"].to_numpy()
    typical = customers["dwelling"].map(table).to_numpy(dtype=float)
    electric = np.isin(heating_type, ("heat_pump", "direct_electric"))
    house_el = np.where(
        typical > 0,
        np.clip(typical, _MIN_HOUSEHOLD_SHARE * annual, annual),
        (1.0 - _BUSINESS_HEATING_SHARE) * annual,
    )
    household = np.where(
        electric,
        house_el,
        np.where(heating_type == "district", (1.0 - _DISTRICT_HEATING_SHARE) * annual, annual),
    )
    return household, annual - household


def _local_hours(index: pd.DatetimeIndex) -> np.ndarray:
    """Local clock time of the middle of each step [h]."""
    local = index.tz_convert(TIMEZONE) if index.tz is not None else index
    mid = local + pd.Timedelta(hours=step_hours(index) / 2.0) if index.freq else local
    return (mid.hour + mid.minute / 60.0 + mid.second / 3600.0).to_numpy(dtype=float)


def household_mean_kw(
    index: pd.DatetimeIndex,
    dwellings: np.ndarray,
    shift_h: np.ndarray,
    habit: np.ndarray,
    *,
    latitude_deg: float = CLIMATE_ZONES["SE3"].latitude_deg,
    longitude_deg: float = CLIMATE_ZONES["SE3"].longitude_deg,
) -> np.ndarray:
    """Expected household power shape per customer, before scaling to energy [relative].

    ``[(1 - 0.15) * shape(dwelling, day type, local hour - shift) * habits + 0.15 * lighting]
    * (1 + 0.1 cos(2 pi (doy - 15) / 365))``, with ``lighting = awake(hour) * darkness(solar
    elevation) / 0.35``: lighting follows the season and the latitude; the last factor is the
    rest of the seasonal swing of household electricity [E].

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Study index (timezone-aware).
    dwellings : numpy.ndarray of str
        Dwelling type per customer.
    shift_h : numpy.ndarray
        Individual time shift of the daily routine per customer [h] (positive = later).
    habit : numpy.ndarray
        Shape ``(n_customers, 2)``: relative extra weight of the morning (06-09) and evening
        (17-22) peaks per customer [-].
    latitude_deg, longitude_deg : float
        Location for the solar elevation [°].

    Returns
    -------
    numpy.ndarray
        Shape ``(n_steps, n_customers)``, relative power (mean about 1) [-].
    """
    # The routine depends on the step only through its local clock time (a few dozen values)
    # and its day type, so it is computed on the distinct clock times and then looked up for
    # every step (the same numbers as computing it step by step); table look-ups go through
    # flat indices and the clock wraps without np.mod (same values).
    clock, clock_code = np.unique(_local_hours(index), return_inverse=True)
    hours = clock[:, None] - shift_h[None, :]  # [clock times x customers]
    cls = np.array([_SHAPE_CLASS[d] for d in dwellings], dtype=np.int64)[None, :]
    x = _wrap_24(hours - 0.5)
    i0 = np.floor(x).astype(np.int64)
    frac = x - i0
    i1 = i0 + 1
    i1[i1 == 24] = 0
    h = _wrap_24(hours)
    morning = np.exp(-0.5 * ((h - 7.5) / 1.0) ** 2)
    evening = np.exp(-0.5 * ((h - 19.5) / 1.8) ** 2)
    habits = 1.0 + habit[None, :, 0] * morning + habit[None, :, 1] * evening
    shapes = _SHAPES.ravel()
    by_day_type = []
    for sunday in (0, 1):
        row = (cls * 2 + sunday) * 24  # start of the (class, day type) row of _SHAPES
        shape = shapes.take(row + i0) * (1.0 - frac) + shapes.take(row + i1) * frac
        by_day_type.append(shape * habits)
    sunday_like = is_sunday_like(index.tz_convert(TIMEZONE)).astype(np.int64)
    step_row = sunday_like * len(clock) + clock_code  # row of each step in the stacked table
    shape = np.concatenate(by_day_type).take(step_row, axis=0)
    elevation = solar_elevation_deg(_mid(index), latitude_deg, longitude_deg)
    darkness = 1.0 / (1.0 + np.exp((elevation - 3.0) / 2.0))
    awake_row = (cls == _SHAPE_CLASS["business"]).astype(np.int64) * 24
    table = _AWAKE_TABLE.ravel()
    awake = table.take(awake_row + i0) * (1.0 - frac) + table.take(awake_row + i1) * frac
    lighting = awake.take(clock_code, axis=0) * darkness[:, None] / 0.35
    season = 1.0 + _SEASONAL_AMPLITUDE * np.cos(2.0 * np.pi * (_day_of_year(index) - 15.0) / 365.25)
    return ((1.0 - _LIGHTING_SHARE) * shape + _LIGHTING_SHARE * lighting) * season[:, None]


def _wrap_24(hours: np.ndarray) -> np.ndarray:
    """``np.mod(hours, 24)`` for hours in [-24, 48) (exactly: one add or subtract of 24)."""
    if hours.size and (hours.min() < -24.0 or hours.max() >= 48.0):
        return np.mod(hours, 24.0)
    out = hours.copy()
    out[out < 0.0] += 24.0
    out[out >= 24.0] -= 24.0
    return out


def _day_of_year(index: pd.DatetimeIndex) -> np.ndarray:
    local = index.tz_convert(TIMEZONE) if index.tz is not None else index
    return local.dayofyear.to_numpy(dtype=float) + local.hour.to_numpy() / 24.0


def _mid(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return index + pd.Timedelta(hours=step_hours(index) / 2.0) if index.freq else index


def _ar1_unit(rng: np.random.Generator, n_steps: int, n_cols: int, phi: float) -> np.ndarray:
    """Stationary AR(1) columns with unit variance, shape ``(n_steps, n_cols)``."""
    from scipy.signal import lfilter

    shocks = rng.standard_normal((n_steps, n_cols))
    z0 = rng.standard_normal(n_cols)
    return lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], shocks, axis=0, zi=(phi * z0)[None, :])[0]


def household_noise(
    mean_kw: np.ndarray,
    index: pd.DatetimeIndex,
    rng: np.random.Generator,
    diversity: float = 1.0,
    event_kwh: np.ndarray | float = _EVENT_KWH,
) -> np.ndarray:
    """Stochastic household power around its expected value [kW].

    ``P = (1 - s) * m * D * N + E``: ``D`` a lognormal day factor per customer and local day,
    ``N`` lognormal step noise with a 1 h correlation time (AR(1) in log space), both with mean
    one; ``E`` appliance events: a Poisson number of events per step with rate
    ``s * m * dt / e`` (so that ``E`` has mean ``s * m``), each of gamma-distributed energy
    (mean ``e``, 1 kWh for a 5 000 kWh/yr household) spread over 30 min. Expected power
    equals ``mean_kw`` at every step.

    Parameters
    ----------
    mean_kw : numpy.ndarray
        Expected power ``(n_steps, n_customers)`` [kW].
    index : pandas.DatetimeIndex
        Study index.
    rng : numpy.random.Generator
    diversity : float
        Scale of all random parts; 0 returns ``mean_kw`` [-].
    event_kwh : numpy.ndarray or float
        Mean energy of one appliance event, per customer [kWh].

    Returns
    -------
    numpy.ndarray
        Power ``(n_steps, n_customers)`` [kW], >= 0.
    """
    if diversity <= 0:
        return mean_kw.copy()
    n_steps, n_cust = mean_kw.shape
    dt = step_hours(index)
    share = min(_EVENT_SHARE * diversity, 0.9)
    local_day = index.tz_convert(TIMEZONE).normalize()
    day_codes, days = pd.factorize(local_day)
    sd = _DAY_FACTOR_SD * diversity
    day_factor = np.exp(sd * rng.standard_normal((len(days), n_cust)) - sd**2 / 2.0)[day_codes]
    sn = _NOISE_SD * diversity
    z = _ar1_unit(rng, n_steps, n_cust, float(np.exp(-dt / _NOISE_TAU_H)))
    # whole-period arrays are updated in place (the same operations in the same order)
    z *= sn
    z -= sn**2 / 2.0
    noise = np.exp(z, out=z)
    power = (1.0 - share) * mean_kw
    power *= day_factor
    del day_factor
    power *= noise
    del noise, z
    # appliance events
    event = np.broadcast_to(np.asarray(event_kwh, dtype=float), (n_cust,))
    rate = share * mean_kw
    rate *= dt
    rate /= event[None, :]
    counts = rng.poisson(rate)
    del rate
    theta = np.broadcast_to(event / _EVENT_GAMMA_SHAPE, mean_kw.shape)
    energy = np.zeros_like(mean_kw)
    hit = counts > 0
    energy[hit] = rng.gamma(_EVENT_GAMMA_SHAPE * counts[hit], theta[hit])
    span = max(1, int(round(_EVENT_HOURS / dt)))
    if span > 1:
        csum = np.cumsum(energy, axis=0)
        energy = csum.copy()
        energy[span:] -= csum[:-span]
        del csum
        energy /= span  # energy per step, start at the event step
    energy /= dt
    power += energy
    return power


def heating_degree_power(
    temperature_c: np.ndarray,
    base_c: np.ndarray,
    heating: np.ndarray,
    cop_slope: np.ndarray,
) -> np.ndarray:
    """Electric heating power per customer, in units of kW per (K x kW/K) [relative].

    ``(base - T)+`` for direct electric and district heating; ``(base - T)+ / COP(T)`` for heat
    pumps with ``COP = clip(3.3 + slope * T, 1.5, 5)`` (slope 0 = ground source, ~0.1 = air
    source) [E, typical air-to-water COP 4 at +7 °C, 2.5 at -7 °C, EN 14511 test points].

    Parameters
    ----------
    temperature_c : numpy.ndarray
        Effective outdoor temperature ``(n_steps, 1)`` or ``(n_steps, n_customers)`` [°C].
    base_c : numpy.ndarray
        Balance temperature per customer [°C].
    heating : numpy.ndarray of str
        Heating type per customer.
    cop_slope : numpy.ndarray
        COP slope per customer [1/K].

    Returns
    -------
    numpy.ndarray
        ``(n_steps, n_customers)``.
    """
    deficit = np.maximum(base_c[None, :] - temperature_c, 0.0)
    cop = np.clip(3.3 + cop_slope[None, :] * temperature_c, 1.0, 5.0)
    is_hp = (heating == "heat_pump")[None, :]
    return np.where(is_hp, deficit * (3.3 / cop), deficit)


def _smooth(temperature_c: np.ndarray, dt_h: float, tau_h: float) -> np.ndarray:
    """First-order low-pass (building thermal inertia), started at the first value."""
    if tau_h <= 0:
        return temperature_c
    from scipy.signal import lfilter

    a = 1.0 - np.exp(-dt_h / tau_h)
    return lfilter([a], [1.0, -(1.0 - a)], temperature_c, zi=[(1.0 - a) * temperature_c[0]])[0]


def heating_kw(
    temperature_c: np.ndarray,
    index: pd.DatetimeIndex,
    base_c: np.ndarray,
    heating: np.ndarray,
    cop_slope: np.ndarray,
    building_time_constant_h: float = 12.0,
) -> np.ndarray:
    """Relative heating power from outdoor temperature (thermal inertia, degree-hours, COP).

    Parameters
    ----------
    temperature_c : numpy.ndarray
        Outdoor temperature per step [°C].
    index : pandas.DatetimeIndex
        Study index.
    base_c, heating, cop_slope : numpy.ndarray
        Per customer, see :func:`heating_degree_power`.
    building_time_constant_h : float
        Exponential smoothing time constant of the outdoor temperature [h].

    Returns
    -------
    numpy.ndarray
        ``(n_steps, n_customers)`` relative heating power [K].
    """
    smooth = _smooth(
        np.asarray(temperature_c, dtype=float), step_hours(index), building_time_constant_h
    )
    return heating_degree_power(smooth[:, None], base_c, heating, cop_slope)


def _expected_heating_per_year(
    zone: str,
    year: int,
    base_c: np.ndarray,
    heating: np.ndarray,
    cop_slope: np.ndarray,
    building_time_constant_h: float,
) -> np.ndarray:
    """Expected annual sum of :func:`heating_kw` over a normal year of ``zone`` [K h].

    The day-to-day anomaly is integrated by Gauss-Hermite quadrature (12 nodes) around the
    smoothed climatological mean; the smoothing of the anomaly itself is neglected (it is a
    daily process, smoother than the building's time constant).
    """
    index = pd.date_range(
        f"{year}-01-01", f"{year + 1}-01-01", freq="60min", tz=TIMEZONE, inclusive="left"
    )
    mean_c, sd_c = climatology(index, zone)
    mean_c = _smooth(mean_c, 1.0, building_time_constant_h)
    nodes, weights = roots_hermitenorm(12)
    weights = weights / weights.sum()
    total = np.zeros(base_c.size)
    for x, w in zip(nodes, weights, strict=True):
        total += w * heating_degree_power(
            (mean_c + x * sd_c)[:, None], base_c, heating, cop_slope
        ).sum(axis=0)
    return total


def synthetic_base_load(
    customers: pd.DataFrame,
    index: pd.DatetimeIndex,
    temperature_c: pd.Series | np.ndarray,
    *,
    rng: np.random.Generator,
    annual_kwh_scale: float = 1.0,
    heating_base_c: float = 15.0,
    building_time_constant_h: float = 12.0,
    household_kwh: Mapping[str, float] | None = None,
    diversity: float = 1.0,
    zone: str = "SE3",
) -> np.ndarray:
    """Active power of every customer from the synthetic model [kW], ``(n_steps, n_customers)``.

    Energy: over a period of at least 364 days each customer's two parts are scaled so that the
    simulated energy is exactly ``annual_kwh * annual_kwh_scale * days / 365``, split as
    :func:`split_annual_kwh`. Over a shorter period the parts are scaled pro rata with their
    *expected* seasonal share: the household part by the expected shape over the calendar year
    of the period start, the heating part per expected degree-hour of a normal year of ``zone``
    (:func:`_expected_heating_per_year`); a cold January then uses more than a normal one.

    Parameters
    ----------
    customers : pandas.DataFrame
        ``customer_id, dwelling, heating, annual_kwh``.
    index : pandas.DatetimeIndex
        Study index.
    temperature_c : pandas.Series or numpy.ndarray
        Outdoor temperature on ``index`` [°C].
    rng : numpy.random.Generator
    annual_kwh_scale : float
        Factor on annual_kwh [-].
    heating_base_c : float
        Mean balance temperature [°C]; customers spread ±1 K around it.
    building_time_constant_h : float
        Thermal inertia [h].
    household_kwh : mapping, optional
        See :func:`split_annual_kwh`.
    diversity : float
        Scale of differences between customers [-].
    zone : str
        Climate zone used for the location (daylight) and the normal year.

    Notes
    -----
    Calibration: with the default ``diversity`` the coincident hourly peak of 50 Swedish
    villas (mixed heating, 554 MWh/yr) is on average 0.96-0.98 of Velander's formula
    ``P = 0.0003 W + 0.0375 sqrt(W)`` (docs/sources.md §2) over synthetic SE3 weather years
    (0.84-1.17 for single years, by how cold the winter is); 50 apartments of 2 500 kWh reach
    1.05 of Velander's apartment constants; a single 11 MWh heat-pump villa 1.0 of its
    single-house value. See ``bench/bench_demand.py``.

    References
    ----------
    S. Velander, "Metoder för belastningsberäkning i elnät", 1952 (constants as used by the
    Chalmers Open LV-Grid Generator, docs/sources.md §2) [R].
    J. Widén, E. Wäckelgård, "A high-resolution stochastic model of domestic activity patterns
    and electricity demand", Applied Energy 87 (2010) 1880-1892 (Swedish bottom-up model; its
    morning and evening peaks and lighting-by-daylight idea inform the shapes here) [R].
    """
    n = len(customers)
    cz = _zone(zone)
    dwellings = customers["dwelling"].to_numpy()
    heating = customers["heating"].to_numpy()
    household_annual, heating_annual = split_annual_kwh(customers, household_kwh)
    household_annual = household_annual * annual_kwh_scale
    heating_annual = heating_annual * annual_kwh_scale

    # per-customer behaviour (drawn first, in a fixed order, so results depend on the seed only)
    shift_h = np.clip(_TIME_SHIFT_SD_H * diversity * rng.standard_normal(n), -3.0, 3.0)
    habit = np.clip(_HABIT_SD * diversity * rng.standard_normal((n, 2)), -0.5, 1.0)
    base_c = heating_base_c + np.clip(
        _BASE_TEMP_SD_C * diversity * rng.standard_normal(n), -3.0, 3.0
    )
    cop_slope = rng.uniform(0.0, 0.15, n)

    dt = step_hours(index)
    days = len(index) * dt / 24.0
    full_year = days >= 364.0
    temp = np.asarray(temperature_c, dtype=float)
    ref = None
    if not full_year:
        year = index[0].tz_convert(TIMEZONE).year
        ref = pd.date_range(
            f"{year}-01-01", f"{year + 1}-01-01", freq="60min", tz=TIMEZONE, inclusive="left"
        )
    # appliance events are smaller in small households: e = 1 kWh * sqrt(household / 5000) [E]
    event_kwh = np.clip(_EVENT_KWH * np.sqrt(household_annual / 5000.0), 0.4, 1.5)
    out = np.empty((len(index), n))
    # blocks of customers bound the memory of large feeders; the block size is a constant, so
    # the result depends on the seed only
    for lo in range(0, n, _BLOCK):
        b = slice(lo, min(lo + _BLOCK, n))
        where = {"latitude_deg": cz.latitude_deg, "longitude_deg": cz.longitude_deg}
        shape = household_mean_kw(index, dwellings[b], shift_h[b], habit[b], **where)
        if ref is None:
            hh_norm = shape.sum(axis=0) * dt * 365.0 / days
            heat_norm = None
        else:
            hh_norm = household_mean_kw(ref, dwellings[b], shift_h[b], habit[b], **where)
            hh_norm = hh_norm.sum(axis=0) * 365.0 * 24.0 / len(ref)
            heat_norm = _expected_heating_per_year(
                zone, ref[0].year, base_c[b], heating[b], cop_slope[b], building_time_constant_h
            )
        mean_kw = shape * (household_annual[b] / np.where(hh_norm > 0, hh_norm, 1.0))[None, :]
        del shape
        power = household_noise(mean_kw, index, rng, diversity, event_kwh[b])
        del mean_kw
        if full_year:  # exact energy: rescale the realised household part too
            power *= _exact_factor(power, household_annual[b] * days / 365.0, dt)[None, :]
        heat = heating_kw(
            temp, index, base_c[b], heating[b], cop_slope[b], building_time_constant_h
        )
        if heat_norm is None:
            heat_norm = heat.sum(axis=0) * dt * 365.0 / days
        heat *= (heating_annual[b] / np.where(heat_norm > 0, heat_norm, np.inf))[None, :]
        if diversity > 0:
            # thermostat cycling and set-point habits: mean-one lognormal, 2 h correlation [E]
            sh = 0.15 * diversity
            z = _ar1_unit(rng, len(index), heat.shape[1], float(np.exp(-dt / 2.0)))
            z *= sh
            z -= sh**2 / 2.0
            heat *= np.exp(z, out=z)
            del z
            if full_year:
                heat *= _exact_factor(heat, heating_annual[b] * days / 365.0, dt)[None, :]
        power += heat
        out[:, b] = power
    return out


def _exact_factor(power_kw: np.ndarray, want_kwh: np.ndarray, dt: float) -> np.ndarray:
    """Per-column factor that makes the energy of ``power_kw`` equal ``want_kwh``."""
    got = power_kw.sum(axis=0) * dt
    return np.where(got > 0, want_kwh / np.where(got > 0, got, 1.0), 0.0)


def reactive_power_kvar(p_kw: pd.DataFrame, power_factor: float) -> pd.DataFrame:
    """Reactive power from active power at a fixed (inductive) power factor [kvar].

    ``Q = P tan(arccos(pf))``; with pf = 0.95, Q = 0.329 P.
    """
    if not 0.0 < power_factor <= 1.0:
        raise InputError(f"demand.power_factor: must be in (0, 1], given {power_factor!r}")
    return p_kw * float(np.tan(np.arccos(power_factor)))
