"""Driving patterns and the EV fleet: who drives when and how far, and what that leaves to
charge at home.

* :func:`draw_fleet` — vehicle models (Swedish fleet mix) and home chargers for the EV owners.
* :func:`sessions_for_fleet` — trip chains per vehicle and day -> home-charging sessions.
* :func:`synthesize_sessions` — the same for ``n`` default EVs (docs/design.md contract).
* :func:`daily_distance`, :func:`time_histograms`, :func:`fleet_summary` — statistics for
  reports.
"""

from gridv2x.calendar import is_free_day, swedish_holidays
from gridv2x.mobility.sessions import DRIVER_TYPES, cold_factor, sessions_for_fleet
from gridv2x.mobility.statistics import daily_distance, fleet_summary, time_histograms
from gridv2x.mobility.synthesize import seasonal_temperature, synthesize_sessions
from gridv2x.mobility.vehicle_models import DEFAULT_FLEET_MIX, VEHICLE_MODELS, VehicleModel
from gridv2x.mobility.vehicles import draw_fleet

__all__ = [
    "draw_fleet",
    "sessions_for_fleet",
    "synthesize_sessions",
    "seasonal_temperature",
    "cold_factor",
    "daily_distance",
    "time_histograms",
    "fleet_summary",
    "swedish_holidays",
    "is_free_day",
    "VehicleModel",
    "VEHICLE_MODELS",
    "DEFAULT_FLEET_MIX",
    "DRIVER_TYPES",
]
