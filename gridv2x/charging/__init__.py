"""Charging strategies (uncontrolled, V1G, V2G), battery state and wear, phases and prices.

Public API: :func:`schedule` -> :class:`ChargingResult`; :func:`power_by_customer`,
:func:`assign_phases`; :func:`read_prices`; :func:`degradation_pct`, :func:`virtual_km`.
"""

from gridv2x.charging.battery import degradation_pct, virtual_km
from gridv2x.charging.phases import PHASE_METHODS, assign_phases, power_by_customer
from gridv2x.charging.prices import example_price_profile, read_prices
from gridv2x.charging.schedule import STRATEGIES, ChargingResult, schedule

__all__ = [
    "STRATEGIES",
    "ChargingResult",
    "schedule",
    "assign_phases",
    "power_by_customer",
    "PHASE_METHODS",
    "read_prices",
    "example_price_profile",
    "degradation_pct",
    "virtual_km",
]
