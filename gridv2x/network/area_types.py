"""The Swedish LV area types a synthetic feeder is built for (villa, apartment, rural, ...:
substation size, cable types, customer mix and lengths) and the customers' annual use by
dwelling and heating, each number with its source (docs/sources.md §1, §2, §7)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AreaType", "AREA_TYPES", "ANNUAL_KWH", "ANNUAL_SPREAD", "APARTMENT_SINGLE_PHASE_SHARE"]

ANNUAL_KWH: dict[tuple[str, str], float] = {
    ("villa", "district"): 5_000,
    ("villa", "none"): 5_000,
    ("villa", "heat_pump"): 11_000,
    ("villa", "direct_electric"): 20_000,
    ("apartment", "district"): 2_500,
    ("apartment", "none"): 2_500,
    ("farm", "heat_pump"): 25_000,
    ("farm", "direct_electric"): 35_000,
    ("farm", "district"): 15_000,
    ("farm", "none"): 15_000,
}
"""Mean annual electricity use without EV [kWh] by (dwelling, heating), docs/sources.md §2 and §7
[F]; farms [E] (villa heating plus ~10-15 MWh farm operations)."""

ANNUAL_SPREAD = 0.15
"""Lognormal sigma of a customer's annual use around the mean of its type [E]."""


APARTMENT_SINGLE_PHASE_SHARE = 0.5
"""Share of apartments connected single-phase 25 A (rest three-phase 16 A); both options are
named by Degerfors Energi (docs/sources.md §1.5 [F]), the share is [E]."""


@dataclass(frozen=True)
class AreaType:
    """Layout and equipment of one kind of street.

    Attributes
    ----------
    name : str
    dwelling : str
        Main dwelling type (``villa`` or ``apartment``).
    customers_per_connection : int
        Customers fed from one connection point (villas per cable cabinet, apartments per
        building, customers per pole).
    spacing_m : float
        Distance between connection points along the street [m].
    setback_m : float
        Distance of a house/building from the street [m] (service cable length).
    lead_m : float
        Route from the substation to the first connection point [m].
    turn_deg : float
        Standard deviation of the street's change of heading per connection point [deg].
    trunk_cables, service_cables : tuple of str
        Allowed catalogue types, small to large.
    heating_mix : dict
        Share of customers per heating type.
    farm_share : float
        Share of customers that are farms (rural areas).
    lead_cable : str, optional
        Smallest cable leaving the substation (DSOs lay the first stretch of a feeder for the
        full outgoing fuse, not the present load) [E].
    """

    name: str
    dwelling: str
    customers_per_connection: int
    spacing_m: float
    setback_m: float
    lead_m: float
    turn_deg: float
    trunk_cables: tuple[str, ...]
    service_cables: tuple[str, ...]
    heating_mix: dict = field(default_factory=dict)
    farm_share: float = 0.0
    description: str = ""
    lead_cable: str | None = None


AREA_TYPES: dict[str, AreaType] = {
    "urban_apartments": AreaType(
        "urban_apartments",
        dwelling="apartment",
        customers_per_connection=18,
        spacing_m=45.0,
        setback_m=12.0,
        lead_m=60.0,
        turn_deg=4.0,
        trunk_cables=("N1XV 4x150", "N1XV 4x240"),
        service_cables=("N1XV 4x95", "N1XV 4x150", "N1XV 4x240"),
        heating_mix={"district": 1.0},
        lead_cable="N1XV 4x240",
        description="apartment blocks (~18 flats each), district heated, short N1XV routes",
    ),
    "suburban_villa": AreaType(
        "suburban_villa",
        dwelling="villa",
        customers_per_connection=4,
        spacing_m=55.0,
        setback_m=20.0,
        lead_m=80.0,
        turn_deg=8.0,
        trunk_cables=("AXQJ 4x50/15", "N1XV 4x95", "N1XV 4x150", "N1XV 4x240"),
        service_cables=("N1XE 4x16", "N1XE 4x25"),
        heating_mix={"district": 0.3, "heat_pump": 0.5, "direct_electric": 0.2},
        lead_cable="N1XV 4x150",
        description="detached villas, 4 per cable cabinet, underground Al cables",
    ),
    "rural_cable": AreaType(
        "rural_cable",
        dwelling="villa",
        customers_per_connection=1,
        spacing_m=130.0,
        setback_m=35.0,
        lead_m=120.0,
        turn_deg=12.0,
        trunk_cables=("AXQJ 4x95/29", "AXQJ 4x150/41", "AXQJ 4x240/72"),
        service_cables=("N1XE 4x25", "AXQJ 4x50/15", "AXQJ 4x95/29"),
        heating_mix={"heat_pump": 0.5, "direct_electric": 0.4, "none": 0.1},
        farm_share=0.2,
        lead_cable="AXQJ 4x150/41",
        description="scattered houses and farms on a weather-proofed (cabled) rural network",
    ),
    "rural_overhead": AreaType(
        "rural_overhead",
        dwelling="villa",
        customers_per_connection=1,
        spacing_m=110.0,
        setback_m=30.0,
        lead_m=100.0,
        turn_deg=12.0,
        trunk_cables=("ALUS 4x50", "ALUS 4x95"),
        service_cables=("ALUS 4x25", "ALUS 4x50"),
        heating_mix={"heat_pump": 0.5, "direct_electric": 0.4, "none": 0.1},
        farm_share=0.2,
        description="scattered houses and farms on aerial bundled (hanging) cable on poles",
    ),
}
"""Area types of Swedish LV networks; spacings and lengths [E] within docs/sources.md §1.4 (urban
<= 300 m, villa 300-600 m, rural 0.5-1.5 km feeders), cable choices as in Swedish DSO maps
(docs/sources.md §1.2-1.3 [F])."""
