"""Scenario section ``mobility``: keyword arguments of
:func:`gridv2x.mobility.sessions_for_fleet`."""

from __future__ import annotations

from gridv2x.options import Field, Section

SECTION = Section(
    doc=(
        "Synthetic driving: trip chains per EV and day (commuters and others, weekdays, "
        "weekends and Swedish holidays, seasons, multi-day absences) turned into home-charging "
        "sessions; more energy per km in cold weather."
    ),
    fields={
        "km_per_year": Field(
            default=11260.0,
            type=float,
            min=0.0,
            max=200000.0,
            doc="Mean mileage per car [km/yr]; 11 260 (Trafikanalys 2023, docs/sources.md §4).",
        ),
        "commuter_share": Field(
            default=0.55,
            type=float,
            min=0.0,
            max=1.0,
            doc="Share of EVs driven to work on working days (leave 07-08, home 16-18) [-]; "
            "0.55 [E].",
        ),
        "days_not_driven": Field(
            default=0.2,
            type=float,
            min=0.0,
            max=0.6,
            doc="Share of days a car is not driven [-]; 0.2 (docs/sources.md §4 [E]).",
        ),
        "daily_distance_sigma": Field(
            default=0.66,
            type=float,
            min=0.0,
            max=2.0,
            doc="Shape σ of the lognormal daily distance [-]; 0.66 (median ~25 km at a mean "
            "of 31 km, docs/sources.md §4 [E]).",
        ),
        "mileage_spread": Field(
            default=0.35,
            type=float,
            min=0.0,
            max=2.0,
            doc="σ of each car's lognormal annual-mileage factor (mean 1) [-]; 0.35 [E] "
            "(diesel 14 260 vs petrol 8 690 km/yr, docs/sources.md §4).",
        ),
        "second_trip_share": Field(
            default=0.5,
            type=float,
            min=0.0,
            max=1.0,
            doc="Chance of a second, evening outing on a driven day [-]; 0.5 [E], calibrated "
            "with the trip times to the measured weekday plug-in hours (docs/sources.md §4.1).",
        ),
        "absences_per_year": Field(
            default=5.0,
            type=float,
            min=0.0,
            max=100.0,
            doc="Multi-day trips per car and year (car away overnight, no home session) "
            "[1/yr]; 5 [E], 2.5 times as likely to start in June-August.",
        ),
        "absence_nights_mean": Field(
            default=2.5,
            type=float,
            min=1.0,
            max=30.0,
            doc="Mean nights away per absence [nights]; 2.5 [E].",
        ),
        "absence_km_median": Field(
            default=250.0,
            type=float,
            min=0.0,
            max=5000.0,
            doc="Median round-trip distance of an absence [km]; 250 [E]. Energy beyond "
            "`max_trip_depth` of the battery is charged publicly (`public_kwh`).",
        ),
        "vacation_weeks": Field(
            default=4.0,
            type=float,
            min=0.0,
            max=10.0,
            doc="Commuters' summer vacation block starting 22 June-20 July [weeks]; 4 "
            "(four consecutive weeks June-August, semesterlagen [R]).",
        ),
        "cold_factor_per_k": Field(
            default=0.008,
            type=float,
            min=0.0,
            max=0.1,
            doc="Extra consumption per kelvin below `reference_temperature_c` [1/K]; 0.008 "
            "gives +20 % at -5 °C (winter tests 0 to -10 °C, docs/sources.md §4).",
        ),
        "reference_temperature_c": Field(
            default=20.0,
            type=float,
            min=-50.0,
            max=50.0,
            doc="Temperature at which the vehicles' kwh_per_km applies [°C]; 20.",
        ),
        "max_trip_depth": Field(
            default=0.9,
            type=float,
            min=0.05,
            max=1.0,
            doc="Largest share of the usable battery a trip draws before the driver charges "
            "on the way [-]; 0.9 [E]. The rest is reported as `public_kwh`, not charged at "
            "home.",
        ),
        "work_charging_share": Field(
            default=0.0,
            type=float,
            min=0.0,
            max=1.0,
            doc="Share of commuters' EVs that charge at work [-]; their commute is recharged "
            "there, not at home. 0 = all charging at home; 29 % of Swedish EV owners say they "
            "charge at work (docs/sources.md §4).",
        ),
        "plug_in_share": Field(
            default=1.0,
            type=float,
            min=0.0,
            max=1.0,
            doc="Chance that a driver plugs in on coming home when the battery does not need "
            "it [-]; 1 = every stay at home is a charging session. Below 1, skipped stays add "
            "their energy to the next session; drivers always plug in below "
            "`plug_in_below_soc` or before a trip the battery could not make. 1 [E] gives 7.2 "
            "sessions a week, more than the measured 3.1-4.4; 0.4 gives 3.5 of 11 kWh "
            "(docs/sources.md §4.1: why 0.4 is not yet the default).",
        ),
        "time_shift_h": Field(
            default=0.0,
            type=float,
            min=-6.0,
            max=6.0,
            doc="Every departure and arrival this many hours later (negative: earlier) [h]; 0. "
            "The draws stay the same, so only the timing changes (sensitivity to arrival "
            "times, docs/sources.md §10).",
        ),
        "plug_in_below_soc": Field(
            default=0.5,
            type=float,
            min=0.0,
            max=1.0,
            doc="State of charge below which a driver always plugs in [-]; 0.5 [E].",
        ),
    },
)

DEFAULTS = SECTION.defaults()
"""The shipped value of every key; the keyword defaults of
:func:`gridv2x.mobility.sessions_for_fleet`."""
