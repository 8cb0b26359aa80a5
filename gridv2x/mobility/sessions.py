"""Synthetic driving (trip chains) and the home-charging sessions it leaves behind.

Model, per vehicle and day (all arrays vehicles × days, vectorised with numpy):

1. **Driver type**: ``commuter`` (share ``commuter_share``) or ``other``. Commuters drive to
   work on working days and leave 07-08, home 16-18 (docs/sources.md §4); on weekends, Swedish
   holidays and during a summer vacation block they drive like others (midday trips).
2. **Day driven?** About ``days_not_driven`` of all days have no trip (docs/sources.md §4: ~20 % [E]);
   fewer for commuters on working days, more on free days.
3. **Daily distance**: lognormal with shape ``daily_distance_sigma`` (median ~25 km, mean
   31 km gives 0.66, docs/sources.md §4 [E]) times a day-kind factor and a monthly season factor,
   scaled per vehicle so that its expected mileage over the period equals ``km_per_year ×
   h_v × (season-weighted days) / 365.25``, where ``h_v`` is a per-vehicle lognormal factor
   (mean 1, spread ``mileage_spread``) for heavy and light drivers.
4. **Trips**: one outing per driven day, and a second, evening outing with chance
   ``second_trip_share``; the day's distance is split between them.
5. **Absences**: ``absences_per_year`` multi-day trips (summer-weighted, starting on free days
   or their eve four times as often as on other days), 1 + Poisson nights;
   the car is away, no session; the trip's distance (lognormal, median
   ``absence_km_median``) is counted on the return.
6. **Energy** per outing = distance × ``kwh_per_km`` × (1 + ``cold_factor_per_k`` ×
   max(0, ``reference_temperature_c`` − T)) with T the outdoor temperature at departure
   (mean of departure and return for absences). The default 0.008 /K gives +20 % at −5 °C,
   the mean of Nordic winter tests between 0 and −10 °C (docs/sources.md §4 [F]).
7. **Work charging** (off by default): commuters with a charger at work
   (``work_charging_share``) restore their commute outing there (``work_kwh``).
8. **Plug-in behaviour** (default: at every return): with ``plug_in_share`` < 1 a driver
   skips plugging in while the battery is comfortably full; the skipped stays are no sessions
   and their energy goes to the next one.
9. **Public charging**: an outing needing more than ``max_trip_depth`` × the usable battery is
   restored at home only up to that, the rest is counted as ``public_kwh`` (fast charging on
   the way, assumed).

A session is one stay at home: it starts when the car comes home and ends when it leaves next.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridv2x.calendar import is_free_day
from gridv2x.conventions import SESSION_COLUMNS, step_hours
from gridv2x.errors import InputError
from gridv2x.mobility._streams import ev_generators
from gridv2x.mobility.options import DEFAULTS, SECTION

__all__ = ["sessions_for_fleet", "cold_factor", "SEASON_FACTORS", "DRIVER_TYPES"]

DRIVER_TYPES = ("commuter", "other")

SEASON_FACTORS = np.array([0.90, 0.92, 0.96, 1.00, 1.04, 1.08, 1.10, 1.06, 1.02, 0.99, 0.95, 0.98])
"""Relative daily distance by month Jan..Dec [-], mean 1 [E] (more leisure driving in summer)."""

_ABSENCE_MONTH_WEIGHT = np.array([1, 1, 1, 1, 1, 2.5, 2.5, 2.5, 1, 1, 1, 1.5])
_ABSENCE_MONTH_WEIGHT = _ABSENCE_MONTH_WEIGHT / _ABSENCE_MONTH_WEIGHT.mean()
"""Relative chance that a multi-day absence starts, by month [-], mean 1 [E]."""

# day kinds: 0 commuter working day, 1 other driver's working day, 2 free day (anyone)
_NOT_DRIVEN_REL = np.array([0.4, 1.25, 1.5])
"""Relative chance of not driving per day kind [E], scaled so that the fleet skips
``days_not_driven`` of its days: with 0.2 and 55 % commuters a commuter skips about 8 % of
working days, others 25 %, anyone 30 % of free days."""
_DISTANCE_REL = np.array([1.0, 0.8, 1.0])
"""Relative distance of a driven day per day kind [-] [E] (normalised away per vehicle)."""


DAYS_PER_YEAR = 365.25
"""Mean length of a year [d] (annual figures to days)."""

MAX_NOT_DRIVEN = 0.95
"""Highest chance of not driving on a day of any kind [-] (keeps every car in use) [E]."""


@dataclass(frozen=True)
class ClippedNormal:
    """A normal time of day or duration clipped to a range: ``clip(mean + sd z, low, high)`` [h]."""

    mean: float
    sd: float
    low: float
    high: float

    def at(self, z: np.ndarray, mean: np.ndarray | float | None = None) -> np.ndarray:
        """The value for standard-normal draws ``z`` (around ``mean`` when given) [h]."""
        centre = self.mean if mean is None else mean
        return np.clip(centre + self.sd * z, self.low, self.high)


@dataclass(frozen=True)
class ClippedLognormal:
    """A lognormal duration clipped to a range: ``clip(exp(log(median) + sigma z), low, high)``
    [h]."""

    median: float
    sigma: float
    low: float
    high: float

    def at(self, z: np.ndarray) -> np.ndarray:
        """The value for standard-normal draws ``z`` [h]."""
        return np.clip(np.exp(np.log(self.median) + self.sigma * z), self.low, self.high)


# The trip-time model (docs/sources.md §4: departures peak 07-08, arrivals home 16-18). The
# shapes are estimates [E]; two means (WORKDAY_AWAY_H, OTHER_DEPARTURE_H) and the default
# `mobility.second_trip_share` are calibrated so that the weekday plug-in hour at home has the
# mean of the only measured Nordic plug-in hours found (Trondheim, 16.6 h; docs/sources.md §4.1,
# no Swedish hour-of-day table was found).
COMMUTE_DEPARTURE_H = ClippedNormal(mean=7.4, sd=0.6, low=5.5, high=9.5)
"""A commuter's usual departure, per vehicle [h, local time] [E] (docs/sources.md §4)."""
COMMUTE_DEPARTURE_DAY_H = ClippedNormal(mean=7.4, sd=0.35, low=5.0, high=10.0)
"""A commuter's departure on one day around the vehicle's usual time (``mean`` unused)
[h, local time] [E]."""
WORKDAY_AWAY_H = ClippedNormal(mean=9.5, sd=0.7, low=6.0, high=11.0)
"""A commuter's usual time away on a working day, per vehicle [h] [E] (8 h work, a commute and
an errand on the way home; mean calibrated to the measured plug-in hours, docs/sources.md §4.1)."""
WORKDAY_AWAY_DAY_H = ClippedNormal(mean=9.0, sd=0.5, low=4.0, high=12.0)
"""Time away on one working day around the vehicle's usual time (``mean`` unused) [h] [E]."""
OTHER_DEPARTURE_H = ClippedNormal(mean=12.0, sd=2.2, low=6.0, high=19.0)
"""Departure of a non-commute outing [h, local time] [E] (midday trips; mean calibrated to the
measured plug-in hours, docs/sources.md §4.1)."""
OTHER_STAY_H = ClippedLognormal(median=2.5, sigma=0.6, low=0.25, high=10.0)
"""Time away on a non-commute outing [h] [E]."""
LATEST_FIRST_RETURN_H = 22.5
"""The first outing of a day is back home by this hour at the latest [h, local time] [E]."""
EVENING_GAP_H = (0.5, 2.5)
"""Time at home before an evening outing: uniform from the first value over the second [h] [E]."""
EVENING_STAY_H = ClippedLognormal(median=1.2, sigma=0.5, low=0.25, high=4.0)
"""Time away on an evening outing [h] [E]."""
LATEST_EVENING_RETURN_H = 23.5
"""An evening outing that would return later than this is not made [h, local time] [E]."""
COMMUTE_FIRST_SHARE = (0.55, 0.3)
"""Share of a commuter's daily distance driven on the commute when there is an evening outing:
uniform from the first value over the second [-] [E]."""
OTHER_FIRST_SHARE = (0.3, 0.4)
"""Share of the daily distance on the first of two non-commute outings: uniform from the first
value over the second [-] [E]."""

# multi-day absences (docs/sources.md §4 [E]: no Swedish statistics found)
ABSENCE_EVE_WEIGHT = 2.0
"""Relative chance that an absence starts on a free day or its eve (Fridays, before holidays)
[-] [E]; four times that of another day (:data:`ABSENCE_OTHER_DAY_WEIGHT`)."""
ABSENCE_OTHER_DAY_WEIGHT = 0.5
"""Relative chance that an absence starts on another day [-] [E]."""
ABSENCE_KM_SIGMA = 0.6
"""Lognormal shape of an absence's round-trip distance around ``absence_km_median`` [-] [E]."""
ABSENCE_DEPARTURE_H = ClippedNormal(mean=10.0, sd=2.0, low=6.0, high=20.0)
"""Departure on an absence [h, local time] [E]."""
ABSENCE_RETURN_H = ClippedNormal(mean=16.0, sd=2.5, low=8.0, high=23.0)
"""Return from an absence [h, local time] [E]."""
ABSENCE_MAX_MILEAGE_SHARE = 0.75
"""Absences take at most this share of a vehicle's mileage (shortened if they would take
more) [-] [E]."""
VACATION_FIRST_START = "06-22"
"""A commuter's summer vacation starts on this day (month-day) at the earliest [E]."""
VACATION_START_DAYS = 29
"""Days after :data:`VACATION_FIRST_START` within which the vacation starts (22 June to 20 July)
[d] [E]."""


# rows of the per-EV daily random blocks
_U_START, _U_DRIVEN, _U_GAP, _U_SECOND, _U_SPLIT, _U_PLUG1, _U_PLUG2 = range(7)
_Z_DISTANCE, _Z_DEP, _Z_STAY, _Z_STAY2, _Z_ABS_KM, _Z_ABS_DEP, _Z_ABS_RET = range(7)


def _draws(
    generators: list[np.random.Generator], n_days: int, n_years: int, absence_nights_mean: float
) -> tuple[np.ndarray, ...]:
    """All random numbers of the driving model, drawn EV by EV from its own stream.

    Returns per-EV uniforms ``(n, 2 + n_years)`` and normals ``(n, 3)``, daily uniforms
    ``(7, n, days)`` and normals ``(7, n, days)``, and the nights of an absence starting on
    each day ``(n, days)``.
    """
    n = len(generators)
    u_ev = np.empty((n, 2 + n_years))
    z_ev = np.empty((n, 3))
    u_day = np.empty((7, n, n_days))
    z_day = np.empty((7, n, n_days))
    nights = np.empty((n, n_days), dtype=int)
    for i, g in enumerate(generators):
        u_ev[i] = g.random(2 + n_years)
        z_ev[i] = g.standard_normal(3)
        u_day[:, i] = g.random((7, n_days))
        z_day[:, i] = g.standard_normal((7, n_days))
        nights[i] = 1 + g.poisson(absence_nights_mean - 1.0, n_days)
    return u_ev, z_ev, u_day, z_day, nights


def _plug_in(
    trip_e: np.ndarray,
    next_dep: np.ndarray,
    trip_ret: np.ndarray,
    trip_km: np.ndarray,
    energy: np.ndarray,
    home: np.ndarray,
    work: np.ndarray,
    u_plug: np.ndarray,
    battery: np.ndarray,
    *,
    plug_in_share: float,
    plug_in_below_soc: float,
    max_trip_depth: float,
) -> tuple[np.ndarray, ...]:
    """Keep the returns after which the driver plugs in; fold the others into the next one.

    After trip ``j`` (sorted by EV and time) the driver plugs in when ``u_j < plug_in_share``,
    or the energy used at home since the last plug-in reaches ``(1 − plug_in_below_soc) ×
    battery``, or that energy plus the next trip's would exceed ``max_trip_depth × battery``
    (the driver plugs in before a long trip), or it is the EV's last return. A trip that is not
    followed by a plug-in adds its energy and distance to the next plugged-in return.
    ``next_dep`` is the departure that ends the stay after each trip [h].
    """
    n_trips = len(trip_e)
    last = np.r_[trip_e[1:] != trip_e[:-1], True]
    next_home = np.where(last, 0.0, np.r_[home[1:], 0.0])
    firsts = np.flatnonzero(np.r_[True, trip_e[1:] != trip_e[:-1]])
    counts = np.diff(np.r_[firsts, n_trips])
    plugged = np.zeros(n_trips, dtype=bool)
    acc = np.zeros(len(firsts))
    for k in range(int(counts.max())):
        rows = firsts[counts > k] + k
        ev = np.flatnonzero(counts > k)
        acc[ev] += home[rows]
        plug = (
            (u_plug[rows] < plug_in_share)
            | (acc[ev] >= (1.0 - plug_in_below_soc) * battery[rows] - 1e-9)
            | (acc[ev] + next_home[rows] > max_trip_depth * battery[rows] + 1e-9)
            | last[rows]
        )
        plugged[rows] = plug
        acc[ev] = np.where(plug, 0.0, acc[ev])
    # sums since the previous plug-in: group trips by the plugged return they lead to
    group = np.cumsum(np.r_[0, plugged[:-1]])
    sums = [np.bincount(group, weights=x) for x in (trip_km, energy, home, work)]
    keep = np.flatnonzero(plugged)
    return (
        trip_e[keep],
        next_dep[keep],
        trip_ret[keep],
        sums[0][group[keep]],
        sums[1][group[keep]],
        sums[2][group[keep]],
        sums[3][group[keep]],
    )


def cold_factor(
    temperature_c: np.ndarray | float,
    *,
    cold_factor_per_k: float = 0.008,
    reference_temperature_c: float = 20.0,
) -> np.ndarray:
    """Consumption relative to 20 °C driving [-]: ``1 + k × max(0, T_ref − T)``.

    The default ``k = 0.008 /K`` gives 1.20 at −5 °C (NAF/Motor tests, range −20 % between 0 and
    −10 °C, docs/sources.md §4 [F]), 1.13 at 4 °C (Model Y measured 1.09, docs/sources.md §4) and 1.32 at
    −20 °C (planning figure there −50 % range: this is a mean, not a worst case).
    """
    t = np.asarray(temperature_c, dtype=float)
    return 1.0 + cold_factor_per_k * np.maximum(0.0, reference_temperature_c - t)


def sessions_for_fleet(
    fleet: pd.DataFrame,
    index: pd.DatetimeIndex,
    temperature_c: pd.Series,
    *,
    rng: np.random.Generator,
    km_per_year: float = DEFAULTS["km_per_year"],
    commuter_share: float = DEFAULTS["commuter_share"],
    days_not_driven: float = DEFAULTS["days_not_driven"],
    daily_distance_sigma: float = DEFAULTS["daily_distance_sigma"],
    mileage_spread: float = DEFAULTS["mileage_spread"],
    second_trip_share: float = DEFAULTS["second_trip_share"],
    absences_per_year: float = DEFAULTS["absences_per_year"],
    absence_nights_mean: float = DEFAULTS["absence_nights_mean"],
    absence_km_median: float = DEFAULTS["absence_km_median"],
    vacation_weeks: float = DEFAULTS["vacation_weeks"],
    cold_factor_per_k: float = DEFAULTS["cold_factor_per_k"],
    reference_temperature_c: float = DEFAULTS["reference_temperature_c"],
    max_trip_depth: float = DEFAULTS["max_trip_depth"],
    work_charging_share: float = DEFAULTS["work_charging_share"],
    plug_in_share: float = DEFAULTS["plug_in_share"],
    plug_in_below_soc: float = DEFAULTS["plug_in_below_soc"],
    time_shift_h: float = DEFAULTS["time_shift_h"],
) -> pd.DataFrame:
    """Home-charging sessions of every EV of a fleet over a study period.

    Parameters
    ----------
    fleet : pandas.DataFrame
        From :func:`gridv2x.mobility.draw_fleet` (needs ``ev_id``, ``battery_kwh``,
        ``kwh_per_km``).
    index : pandas.DatetimeIndex
        The study's time index (``conventions.period_index``), tz Europe/Stockholm.
    temperature_c : pandas.Series
        Outdoor temperature on ``index`` [°C].
    rng : numpy.random.Generator
        Source of randomness; advanced by one draw that seeds one stream per EV (keyed by
        ``ev_id``), so an EV drives the same whatever other EVs the fleet has (common random
        numbers across EV shares).
    km_per_year : float
        Mean mileage per car [km/yr]; default 11 260 (Trafikanalys 2023, docs/sources.md §4 [F]).
    commuter_share : float
        Share of EVs driven to work on working days [-]; default 0.55 [E].
    days_not_driven : float
        Share of days the car is not driven [-]; default 0.2 (docs/sources.md §4 [E]).
    daily_distance_sigma : float
        Shape σ of the lognormal daily distance [-]; default 0.66 (median 25 km, mean 31 km,
        docs/sources.md §4 [E]).
    mileage_spread : float
        σ of the per-vehicle lognormal mileage factor (mean 1) [-]; default 0.35 [E]
        (diesel cars drive 14 260 km/yr, petrol 8 690, docs/sources.md §4).
    second_trip_share : float
        Chance of a second (evening) outing on a driven day [-]; default 0.3 [E].
    absences_per_year : float
        Multi-day trips per car and year (car away overnight) [1/yr]; default 5 [E], 2.5 times
        as likely to start in June-August.
    absence_nights_mean : float
        Mean nights away per absence [nights], ≥ 1; default 2.5 [E].
    absence_km_median : float
        Median round-trip distance of an absence [km]; default 250 [E] (lognormal σ 0.6).
    vacation_weeks : float
        Commuters' summer vacation block, in weeks starting between 22 June and 20 July [wk];
        default 4 (four consecutive weeks in June-August, semesterlagen [R]).
    cold_factor_per_k : float
        Extra consumption per kelvin below ``reference_temperature_c`` [1/K]; default 0.008
        (:func:`cold_factor`, docs/sources.md §4).
    reference_temperature_c : float
        Temperature at which ``kwh_per_km`` applies [°C]; default 20.
    max_trip_depth : float
        Largest share of the usable battery an outing draws before the driver charges on the
        way [-]; default 0.9 [E]. The excess is reported as ``public_kwh``.
    work_charging_share : float
        Share of commuters' EVs that charge at work [-]; default 0 (all energy at home). Their
        commute outings are recharged at work (``work_kwh``), not at home [E]; 29 % of Swedish
        EV owners say they charge at work (CTEK/YouGov, docs/sources.md §4).
    plug_in_share : float
        Chance that the driver plugs in on coming home when the battery does not need it
        [-]; default 1 (every stay at home is a session). Below 1, stays without plugging in
        are no sessions and their energy is restored in the next one; the driver always plugs
        in below ``plug_in_below_soc`` or before a trip the battery could not make [E].
    plug_in_below_soc : float
        State of charge (assuming full after the last session) below which the driver always
        plugs in [-]; default 0.5 [E].
    time_shift_h : float
        Every departure and arrival this many hours later (negative: earlier) [h]; default 0.
        The random draws are the same, so a shifted run differs from the unshifted one by the
        timing only (the sensitivity study's "arrival times +-1 h", docs/sources.md §10).

    Returns
    -------
    pandas.DataFrame
        ``conventions.SESSION_COLUMNS`` plus ``driver_type``, ``public_kwh`` and ``work_kwh``
        [kWh], sorted by EV
        (fleet order) and arrival. ``arrival`` and ``departure`` are tz-aware timestamps;
        the first session of each EV starts at the period start with ``energy_kwh = 0`` (car at
        home), the last ends when the car leaves, or, at the period end, at the driver's usual
        departure the morning after the period (5.5-9.5 h past its end, so that charging can
        look past the end);
        ``arrival < departure``; sessions of one EV never overlap; ``energy_kwh`` [kWh] is what
        the EV used (at the battery) since it last left home minus ``public_kwh`` and
        ``work_kwh``, ``distance_km`` [km] that
        distance (all of it, so per EV the sum of ``distance_km`` is the distance driven and
        returned home within the period).

    References
    ----------
    .. [1] Trafikanalys, Körsträckor 2023 (via docs/sources.md §4).
    .. [2] S. Karlsson, "The Swedish car movement data project", Chalmers, 2013 (docs/sources.md §4;
       the data set was not available: distributions are estimates).
    """
    arguments = dict(locals())
    for column in ("ev_id", "battery_kwh", "kwh_per_km"):
        if column not in fleet.columns:
            raise InputError(f"fleet: column {column!r} missing; allowed: draw_fleet output")
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None or len(index) == 0:
        raise InputError("mobility: index must be a non-empty tz-aware DatetimeIndex")
    if not isinstance(temperature_c, pd.Series) or len(temperature_c) != len(index):
        raise InputError(
            f"mobility: temperature_c must be a Series on the study index ({len(index)} steps), "
            f"given {type(temperature_c).__name__} of length {len(temperature_c)}"
        )
    if not np.isfinite(temperature_c.to_numpy(dtype=float)).all():
        raise InputError(
            f"mobility: temperature_c has {int((~np.isfinite(temperature_c.to_numpy(dtype=float))).sum())} "
            "missing value(s); allowed: a temperature [°C] at every step of the study"
        )
    given = {key: value for key, value in arguments.items() if key in SECTION.fields}
    SECTION.resolve("mobility", given)  # bounds of every option: mobility/options.py

    n = len(fleet)
    start = index[0]
    end = index[-1] + pd.Timedelta(hours=step_hours(index))
    t_end = (end - start).total_seconds() / 3600.0
    day0 = start.normalize()
    n_days = int(np.ceil((end.tz_localize(None) - day0.tz_localize(None)) / pd.Timedelta(days=1)))
    # local midnights (calendar days) and their absolute offset from the period start [h]
    days = pd.date_range(day0.tz_localize(None), periods=n_days + 1, freq="D").tz_localize(
        index.tz, ambiguous="NaT", nonexistent="shift_forward"
    )
    midnight_h = (days - start).total_seconds().to_numpy() / 3600.0
    local_days = days[:-1].tz_localize(None)
    month = local_days.month.to_numpy() - 1
    doy = local_days.dayofyear.to_numpy()
    year = local_days.year.to_numpy()
    free = is_free_day(local_days)

    def at(d: np.ndarray, hour: np.ndarray) -> np.ndarray:
        """Absolute hours since the period start of local wall time ``hour`` on day ``d``.

        Exact across DST changes for hours >= 3 (the change happens at 02-03 local time).
        """
        return midnight_h[d + 1] - (24.0 - hour)

    # --- random draws: one stream per EV (same EV, same draws, whatever the fleet) -----------
    years = np.unique(year)
    u_ev, z_ev, u_day, z_day, nights_draw = _draws(
        ev_generators(rng, fleet["ev_id"], "sessions"),
        n_days,
        len(years),
        absence_nights_mean,
    )

    # --- per-vehicle properties -------------------------------------------------------------
    commuter = u_ev[:, 0] < commuter_share
    work_charger = commuter & (u_ev[:, 1] < work_charging_share)
    mileage = np.exp(-0.5 * mileage_spread**2 + mileage_spread * z_ev[:, 0])
    dep_mean = COMMUTE_DEPARTURE_H.at(z_ev[:, 1])  # commuters' usual departure [h]
    work_mean = WORKDAY_AWAY_H.at(z_ev[:, 2])  # hours away on a workday [h]
    vacation = np.zeros((n, n_days), dtype=bool)
    if vacation_weeks > 0:
        for iy, y in enumerate(years):
            first = int(pd.Timestamp(f"{y}-{VACATION_FIRST_START}").dayofyear)
            begin = first + np.floor(VACATION_START_DAYS * u_ev[:, 2 + iy]).astype(int)
            in_year = year == y
            rel = doy[None, :] - begin[:, None]
            vacation |= in_year[None, :] & (rel >= 0) & (rel < vacation_weeks * 7)

    # day kind per vehicle and day: 0 commuter workday, 1 other's workday, 2 free day
    kind = np.where(free[None, :] | vacation, 2, np.where(commuter[:, None], 0, 1))
    # scale the relative chances so that a fleet with this commuter share skips
    # `days_not_driven` of its days over this calendar (vacations aside)
    typical = np.where(free, _NOT_DRIVEN_REL[2], 0.0) + np.where(
        free, 0.0, commuter_share * _NOT_DRIVEN_REL[0] + (1 - commuter_share) * _NOT_DRIVEN_REL[1]
    )
    p_not = np.clip(_NOT_DRIVEN_REL * days_not_driven / typical.mean(), 0.0, MAX_NOT_DRIVEN)[kind]

    # --- multi-day absences (sequential in days, vectorised over vehicles) -----------------
    # more likely to start on free days and on the eve of one (Fridays, before holidays) [E]
    eve = free | np.r_[free[1:], is_free_day(days[-1:].tz_localize(None))]
    dow_weight = np.where(eve, ABSENCE_EVE_WEIGHT, ABSENCE_OTHER_DAY_WEIGHT)
    p_start = (
        absences_per_year
        / DAYS_PER_YEAR
        * _ABSENCE_MONTH_WEIGHT[month]
        * dow_weight
        / dow_weight.mean()
    )
    u_start = u_day[_U_START]
    away = np.zeros((n, n_days), dtype=bool)  # car away (or leaving/returning) that day
    abs_start = np.zeros((n, n_days), dtype=bool)
    abs_nights = np.zeros((n, n_days), dtype=int)
    free_from = np.zeros(n, dtype=int)
    for d in range(n_days):
        go = (free_from <= d) & (u_start[:, d] < p_start[d]) & (d + nights_draw[:, d] < n_days)
        if go.any():
            rows = np.flatnonzero(go)
            nights = nights_draw[rows, d]
            abs_start[rows, d] = True
            abs_nights[rows, d] = nights
            for k in range(int(nights.max()) + 1):
                sel = nights >= k
                away[rows[sel], d + k] = True
            free_from[rows] = d + nights + 1
    abs_e, abs_d = np.nonzero(abs_start)
    abs_ret_d = abs_d + abs_nights[abs_e, abs_d]
    abs_km = np.exp(
        np.log(max(absence_km_median, 1e-9)) + ABSENCE_KM_SIGMA * z_day[_Z_ABS_KM, abs_e, abs_d]
    )
    abs_dep_h = at(abs_d, ABSENCE_DEPARTURE_H.at(z_day[_Z_ABS_DEP, abs_e, abs_d]))
    abs_ret_h = at(abs_ret_d, ABSENCE_RETURN_H.at(z_day[_Z_ABS_RET, abs_e, abs_d]))

    # --- daily distance, normalised to the mileage ---------------------------------------------
    season = SEASON_FACTORS[month]
    expected_day = (1.0 - p_not) * _DISTANCE_REL[kind] * season[None, :]
    expected_day = np.where(away, 0.0, expected_day)
    target = km_per_year * mileage * season.sum() / DAYS_PER_YEAR
    absence_total = np.bincount(abs_e, weights=abs_km, minlength=n)
    # absences take at most 75 % of a vehicle's mileage (shortened if they would take more)
    shorten = np.minimum(1.0, ABSENCE_MAX_MILEAGE_SHARE * target / np.maximum(absence_total, 1e-9))
    abs_km = abs_km * shorten[abs_e]
    absence_total = absence_total * shorten
    daily_budget = target - absence_total
    scale = daily_budget / np.maximum(expected_day.sum(axis=1), 1e-9)
    driven = (u_day[_U_DRIVEN] >= p_not) & ~away
    distance = (
        scale[:, None]
        * _DISTANCE_REL[kind]
        * season[None, :]
        * np.exp(-0.5 * daily_distance_sigma**2 + daily_distance_sigma * z_day[_Z_DISTANCE])
    )

    # --- trip times (local hours of the day) --------------------------------------------------
    is_commute = kind == 0
    dep1 = np.where(
        is_commute,
        COMMUTE_DEPARTURE_DAY_H.at(z_day[_Z_DEP], mean=dep_mean[:, None]),
        OTHER_DEPARTURE_H.at(z_day[_Z_DEP]),
    )
    stay1 = np.where(
        is_commute,
        WORKDAY_AWAY_DAY_H.at(z_day[_Z_STAY], mean=work_mean[:, None]),
        OTHER_STAY_H.at(z_day[_Z_STAY]),
    )
    arr1 = np.minimum(dep1 + stay1, LATEST_FIRST_RETURN_H)
    gap = EVENING_GAP_H[0] + EVENING_GAP_H[1] * u_day[_U_GAP]
    dep2 = arr1 + gap
    arr2 = dep2 + EVENING_STAY_H.at(z_day[_Z_STAY2])
    second = driven & (u_day[_U_SECOND] < second_trip_share) & (arr2 <= LATEST_EVENING_RETURN_H)
    split = np.where(
        is_commute,
        COMMUTE_FIRST_SHARE[0] + COMMUTE_FIRST_SHARE[1] * u_day[_U_SPLIT],
        OTHER_FIRST_SHARE[0] + OTHER_FIRST_SHARE[1] * u_day[_U_SPLIT],
    )
    split = np.where(second, split, 1.0)

    # --- assemble trips: (vehicle, departure, return, km, temperature-day) -----------------------
    e1, d1 = np.nonzero(driven)
    e2, d2 = np.nonzero(second)
    trip_e = np.concatenate([e1, e2, abs_e])
    trip_dep = np.concatenate([at(d1, dep1[e1, d1]), at(d2, dep2[e2, d2]), abs_dep_h])
    trip_ret = np.concatenate([at(d1, arr1[e1, d1]), at(d2, arr2[e2, d2]), abs_ret_h])
    trip_km = np.concatenate(
        [distance[e1, d1] * split[e1, d1], distance[e2, d2] * (1.0 - split[e2, d2]), abs_km]
    )
    trip_is_abs = np.concatenate([np.zeros(len(e1) + len(e2), bool), np.ones(len(abs_e), bool)])
    trip_u_plug = np.concatenate(
        [u_day[_U_PLUG1, e1, d1], u_day[_U_PLUG2, e2, d2], u_day[_U_PLUG1, abs_e, abs_ret_d]]
    )
    trip_at_work = np.concatenate(
        [is_commute[e1, d1] & work_charger[e1], np.zeros(len(e2) + len(abs_e), bool)]
    )
    # the whole driving day earlier or later (sensitivity to arrival times; the draws unchanged)
    trip_dep, trip_ret = trip_dep + time_shift_h, trip_ret + time_shift_h
    # minutes, inside the period (a period that does not start at midnight drops earlier trips)
    trip_dep = np.round(trip_dep * 60.0) / 60.0
    trip_ret = np.round(trip_ret * 60.0) / 60.0
    keep = (trip_dep > 0.0) & (trip_ret < t_end) & (trip_km > 0.0)
    trip_e, trip_dep, trip_ret = trip_e[keep], trip_dep[keep], trip_ret[keep]
    trip_km, trip_is_abs, trip_at_work = trip_km[keep], trip_is_abs[keep], trip_at_work[keep]
    trip_u_plug = trip_u_plug[keep]
    order = np.lexsort((trip_dep, trip_e))
    trip_e, trip_dep, trip_ret = trip_e[order], trip_dep[order], trip_ret[order]
    trip_km, trip_is_abs, trip_at_work = trip_km[order], trip_is_abs[order], trip_at_work[order]
    trip_u_plug = trip_u_plug[order]

    # energy: consumption × cold factor at departure (mean of both ends for absences)
    step_h = step_hours(index)
    temp = temperature_c.to_numpy(dtype=float)
    pos_dep = np.clip((trip_dep // step_h).astype(int), 0, len(temp) - 1)
    pos_ret = np.clip((trip_ret // step_h).astype(int), 0, len(temp) - 1)
    trip_temp = np.where(trip_is_abs, 0.5 * (temp[pos_dep] + temp[pos_ret]), temp[pos_dep])
    kwh_per_km = fleet["kwh_per_km"].to_numpy(dtype=float)[trip_e]
    battery = fleet["battery_kwh"].to_numpy(dtype=float)[trip_e]
    energy = (
        trip_km
        * kwh_per_km
        * cold_factor(
            trip_temp,
            cold_factor_per_k=cold_factor_per_k,
            reference_temperature_c=reference_temperature_c,
        )
    )
    work = np.where(trip_at_work, energy, 0.0)
    home = np.minimum(energy - work, max_trip_depth * battery)

    # --- stays at home: from each return to the next departure ----------------------------------
    # the last stay runs on to the EV's usual departure the morning after the period (charging
    # then looks past the end as on any other night, instead of filling the cars by midnight)
    after_end = t_end + dep_mean
    last_of_ev = np.r_[trip_e[1:] != trip_e[:-1], True] if len(trip_e) else np.zeros(0, bool)
    next_dep = np.where(last_of_ev, after_end[trip_e], np.r_[trip_dep[1:], t_end])
    first_dep = after_end.copy()
    if len(trip_e):
        firsts = np.r_[True, trip_e[1:] != trip_e[:-1]]
        first_dep[trip_e[firsts]] = trip_dep[firsts]

    # --- plug-in behaviour: stays without plugging in add their energy to the next session ------
    if plug_in_share < 1.0 and len(trip_e):
        (trip_e, next_dep, trip_ret, trip_km, energy, home, work) = _plug_in(
            trip_e,
            next_dep,
            trip_ret,
            trip_km,
            energy,
            home,
            work,
            trip_u_plug,
            battery,
            plug_in_share=plug_in_share,
            plug_in_below_soc=plug_in_below_soc,
            max_trip_depth=max_trip_depth,
        )

    # --- sessions: first stay from the period start, then one per plugged-in return ------------
    ev_index = np.concatenate([np.arange(n), trip_e])
    arrival_h = np.concatenate([np.zeros(n), trip_ret])
    departure_h = np.concatenate([first_dep, next_dep])
    order = np.lexsort((arrival_h, ev_index))
    ev_index, arrival_h, departure_h = ev_index[order], arrival_h[order], departure_h[order]
    energy_kwh = np.concatenate([np.zeros(n), home])[order]
    public_kwh = np.concatenate([np.zeros(n), energy - work - home])[order]
    work_kwh = np.concatenate([np.zeros(n), work])[order]
    distance_km = np.concatenate([np.zeros(n), trip_km])[order]

    def stamp(hours: np.ndarray) -> pd.DatetimeIndex:
        return start + pd.to_timedelta(np.round(hours * 3600.0), unit="s")

    out = pd.DataFrame(
        {
            "ev_id": fleet["ev_id"].to_numpy()[ev_index],
            "arrival": stamp(arrival_h),
            "departure": stamp(departure_h),
            "energy_kwh": energy_kwh,
            "distance_km": distance_km,
            "driver_type": np.where(commuter, "commuter", "other")[ev_index],
            "public_kwh": public_kwh,
            "work_kwh": work_kwh,
        }
    )
    return out[[*SESSION_COLUMNS, "driver_type", "public_kwh", "work_kwh"]]
