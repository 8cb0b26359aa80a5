"""Who is likely to own an EV: relative chances by dwelling and main fuse, and how many cars a
household has (the numbers :func:`gridv2x.adoption.allocate_evs` weights households with; the
scenario section ``adoption`` takes its defaults from here)."""

from __future__ import annotations

__all__ = ["DEFAULT_DWELLING_WEIGHTS", "DEFAULT_FUSE_WEIGHTS", "CARS_PER_CUSTOMER"]

DEFAULT_DWELLING_WEIGHTS = {"villa": 1.0, "farm": 1.0, "apartment": 0.15, "business": 0.0}
"""Relative chance of a household owning an EV by dwelling [-] [E].

Villas far above apartments: home-charging access is 29 % of all Swedes but far higher for
villa owners, and 38 % of EV owners charge at home (docs/sources.md §4); a weight 0.15 for apartments
(shared garage chargers only) is an estimate. Businesses get no private EVs by default."""

DEFAULT_FUSE_WEIGHTS = {16: 0.7, 20: 1.0, 25: 1.15, 35: 1.3}
"""Relative chance by main fuse [-] [E]: weight of the largest key <= the customer's fuse [A].

A 16 A fuse (11 kW, docs/sources.md §1.5) makes an 11 kW charger next to household load awkward, and
larger fuses go with larger, wealthier villas (income predicts adoption, docs/sources.md §5)."""

CARS_PER_CUSTOMER = 1.05
"""Cars in traffic per household [-]: 471 cars per 1000 inhabitants × 2.22 persons per
dwelling (docs/sources.md §1.4, §5) [F]/derived."""
