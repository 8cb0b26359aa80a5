"""Charging strategies (uncontrolled, V1G, V2G), battery state and wear, phases, prices, tariffs.

* :func:`schedule` -> :class:`ChargingResult`: EV power and stored energy per EV and step,
  per-EV energy, wear and cost, per-session delivered / shortfall / unmet energy.
* :func:`schedule_weeks`: the same on representative weeks (:mod:`gridv2x.period`), one
  schedule per week with a warm-up and a look-ahead day.
* :func:`grid_limits` -> :class:`GridLimits`: the feeder's voltage, transformer and cable
  limits as a linear model in EV power, for grid-aware V1G/V2G (``schedule(grid_aware=True)``).
* :func:`load_guard_limits` -> :class:`LoadGuard`: chargers throttled to what the main fuse
  leaves after the household load (``schedule(load_guard=...)``).
* :func:`power_by_customer` (optionally per phase) and :func:`assign_phases` for the load flow.
* :func:`read_prices` / :func:`example_price_profile`: day-ahead prices (the shipped SE3 series
  is synthetic, see :mod:`gridv2x.charging.prices`).
* :data:`CHARGERS`, :func:`with_technology`, :func:`charger_summary`: bidirectional charger
  technologies (AC on-board / DC wallbox converter) and what V2G takes from them.
* :func:`degradation_pct`, :func:`virtual_km`: battery wear (docs/sources.md §6 [E]).
* :func:`tariff_window`, :func:`power_tariff_cost`: power-based grid tariff (effekttariff).
"""

from gridv2x.charging.battery import degradation_pct, equivalent_full_cycles, virtual_km
from gridv2x.charging.chargers import CHARGERS, charger_summary, with_technology
from gridv2x.charging.grid import GridLimits, grid_limits
from gridv2x.charging.load_guard import LoadGuard, load_guard_limits
from gridv2x.charging.passes import v2g_opt_out
from gridv2x.charging.phases import PHASE_METHODS, assign_phases, power_by_customer
from gridv2x.charging.prices import example_price_profile, read_prices
from gridv2x.charging.result import ChargingResult
from gridv2x.charging.schedule import PHASE_ASSIGNMENTS, STRATEGIES, schedule
from gridv2x.charging.tariff import power_tariff_cost, tariff_window
from gridv2x.charging.weeks import schedule_weeks

__all__ = [
    "STRATEGIES",
    "PHASE_ASSIGNMENTS",
    "PHASE_METHODS",
    "ChargingResult",
    "schedule",
    "schedule_weeks",
    "v2g_opt_out",
    "CHARGERS",
    "charger_summary",
    "with_technology",
    "GridLimits",
    "grid_limits",
    "LoadGuard",
    "load_guard_limits",
    "assign_phases",
    "power_by_customer",
    "read_prices",
    "example_price_profile",
    "degradation_pct",
    "equivalent_full_cycles",
    "virtual_km",
    "tariff_window",
    "power_tariff_cost",
]
