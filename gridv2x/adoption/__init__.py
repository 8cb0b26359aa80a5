"""Geographic EV adoption: how many EVs a feeder has and which households own them.

* :func:`fleet_share` — BEV share of Swedish cars by year (logistic or Bass, docs/sources.md §5).
* :func:`allocate_evs` — EVs per customer from a share, a year or an area layer, weighted by
  dwelling and main fuse (0, 1 or 2 per household).
* :func:`read_areas` — read and check an area layer (GeoPackage/GeoJSON, any CRS).
* :func:`area_summary` — customers and EVs per area, for maps.
"""

from gridv2x.adoption.allocate import (
    DEFAULT_DWELLING_WEIGHTS,
    DEFAULT_FUSE_WEIGHTS,
    allocate_evs,
    customer_weights,
    local_fleet_share,
)
from gridv2x.adoption.areas import area_summary, areas_of_customers, check_areas, read_areas
from gridv2x.adoption.curve import DEFAULT_CURVE, fleet_share

__all__ = [
    "allocate_evs",
    "fleet_share",
    "read_areas",
    "check_areas",
    "areas_of_customers",
    "area_summary",
    "customer_weights",
    "local_fleet_share",
    "DEFAULT_CURVE",
    "DEFAULT_DWELLING_WEIGHTS",
    "DEFAULT_FUSE_WEIGHTS",
]
