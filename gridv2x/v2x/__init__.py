"""V2X beyond the feeder: fleet flexibility, market products, V2H backup.

* :func:`fleet_flexibility` — up/down power the plugged-in fleet can shift for a duration,
  without breaking any car's departure need, and within the feeder's limits
  (:mod:`gridv2x.v2x.flexibility`, :mod:`gridv2x.v2x.sensitivity`).
* :func:`evs_needed` — EVs and feeders needed per market product (:mod:`gridv2x.v2x.markets`).
* :func:`backup_hours` — how long a V2H car carries its household in an outage
  (:mod:`gridv2x.v2x.backup`).
"""

from gridv2x.v2x.backup import backup_hours, coldest_week, resilience_table
from gridv2x.v2x.flexibility import (
    SEASONS,
    FleetFlexibility,
    GridSensitivity,
    fleet_flexibility,
    flexibility_table,
    plugged_in,
    season_of,
)
from gridv2x.v2x.markets import PRODUCTS, evs_needed, product_durations
from gridv2x.v2x.sensitivity import grid_sensitivity
from gridv2x.v2x.task import products_of, v2x_tables

__all__ = [
    "SEASONS",
    "PRODUCTS",
    "FleetFlexibility",
    "GridSensitivity",
    "backup_hours",
    "coldest_week",
    "evs_needed",
    "fleet_flexibility",
    "flexibility_table",
    "grid_sensitivity",
    "plugged_in",
    "product_durations",
    "resilience_table",
    "season_of",
    "products_of",
    "v2x_tables",
]
