"""Household base load and weather.

* :func:`outdoor_temperature` -- synthetic weather year per Swedish climate zone SE1..SE4, or a
  temperature file.
* :func:`base_load` -- active and reactive power per customer: synthetic Swedish household
  load with electric heating, metered data (:func:`read_metered`), or a feeder's own profiles.
"""

from gridv2x.calendar import swedish_holidays
from gridv2x.demand.base import base_load
from gridv2x.demand.household import daily_shape, split_annual_kwh
from gridv2x.demand.metered import map_profiles, read_metered
from gridv2x.demand.phases import SINGLE_PHASE_APPLIANCE_SHARE, household_phase_shares
from gridv2x.demand.stats import load_duration_by_group
from gridv2x.demand.weather import CLIMATE_ZONES, outdoor_temperature, read_temperature

__all__ = [
    "outdoor_temperature",
    "read_temperature",
    "base_load",
    "read_metered",
    "map_profiles",
    "swedish_holidays",
    "daily_shape",
    "split_annual_kwh",
    "CLIMATE_ZONES",
    "load_duration_by_group",
    "household_phase_shares",
    "SINGLE_PHASE_APPLIANCE_SHARE",
]
