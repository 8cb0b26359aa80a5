"""Scenario section ``economics``: options of :func:`gridv2x.reinforcement.economics_table`.

What a reinforcement costs over time and what V1G and V2G are worth against it: the discount
rate, the lifetime of grid assets and home chargers, and home-charger prices
(docs/sources.md §11).
"""

from __future__ import annotations

from gridv2x.options import Field, Section
from gridv2x.reinforcement.economics import (
    ASSET_LIFETIME_YEARS,
    CHARGER_BIDIRECTIONAL_AC_SEK,
    CHARGER_BIDIRECTIONAL_DC_SEK,
    CHARGER_LIFETIME_YEARS,
    CHARGER_PLAIN_SEK,
    DISCOUNT_RATE_PCT,
)

__all__ = ["SECTION"]

SECTION = Section(
    doc=(
        "Economics of reinforcement against V1G/V2G: discount rate, asset and charger "
        "lifetimes, home-charger prices (docs/sources.md §11). Gives economics.csv and the "
        "report's 'Reinforce or flex' section."
    ),
    fields={
        "discount_rate_pct": Field(
            default=DISCOUNT_RATE_PCT,
            type=float,
            min=0.0,
            max=50.0,
            doc="Real discount rate [%/yr]; default Ei's regulatory WACC (kalkylränta) for "
            "local grids 2024-2027, real before tax (docs/sources.md §11).",
        ),
        "asset_lifetime_years": Field(
            default=ASSET_LIFETIME_YEARS,
            type=float,
            min=1.0,
            max=100.0,
            doc="Economic lifetime of cables and substations, for the annual capital cost "
            "[yr] (docs/sources.md §11).",
        ),
        "base_year": Field(
            default=None,
            type=int,
            nullable=True,
            min=1900,
            max=2200,
            doc="Year present values refer to; null = the first year of an adoption forecast "
            "(hosting-capacity studies: costs are 'now').",
        ),
        "charger_plain_sek": Field(
            default=CHARGER_PLAIN_SEK,
            type=float,
            min=0.0,
            doc="Plain (smart, V1G-capable) home charger installed [SEK]; 7-15 kSEK "
            "(docs/sources.md §11).",
        ),
        "charger_bidirectional_ac_sek": Field(
            default=CHARGER_BIDIRECTIONAL_AC_SEK,
            type=float,
            min=0.0,
            doc="Bidirectional AC home charger installed [SEK], charged to V2G homes when "
            "charging.v2g.charger is ac; 15-30 kSEK (docs/sources.md §11).",
        ),
        "charger_bidirectional_dc_sek": Field(
            default=CHARGER_BIDIRECTIONAL_DC_SEK,
            type=float,
            min=0.0,
            doc="Bidirectional DC home charger installed [SEK], charged to V2G homes when "
            "charging.v2g.charger is dc; 40-80 kSEK (docs/sources.md §11).",
        ),
        "charger_lifetime_years": Field(
            default=CHARGER_LIFETIME_YEARS,
            type=float,
            min=1.0,
            max=50.0,
            doc="Lifetime of a home charger, for its annual cost [yr] [E].",
        ),
    },
)
"""The ``economics`` section of a scenario."""
