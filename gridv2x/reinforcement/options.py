"""Scenario section ``reinforcement``: options of :func:`gridv2x.reinforcement.plan_for_task`.

Which measures a reinforcement plan may use, how it is searched, and the price of every
measure (docs/sources.md §11). Every price defaults to the catalogue of
:mod:`gridv2x.reinforcement.costs`; a scenario overrides any of them, e.g.
``reinforcement: {prices: {trench_sek_per_km: {urban: 1200000}}}``.
"""

from __future__ import annotations

from typing import Any

from gridv2x.options import Field, Section
from gridv2x.reinforcement.costs import (
    AERIAL_SEK_PER_KM,
    CABLE_SEK_PER_KM,
    GROUNDS,
    MEASURES,
    MV_CABLE_SEK_PER_KM,
    SUBSTATION_SEK,
    TRANSFORMER_EXCHANGE_SEK,
    TRANSFORMER_SEK,
    TRENCH_SEK_PER_KM,
)

__all__ = ["SECTION"]


def _prices(keys: tuple) -> Any:
    def check(value: dict) -> str | None:
        for k, v in value.items():
            key = k
            if all(isinstance(x, int) for x in keys):
                try:
                    key = int(k)
                except (TypeError, ValueError):
                    return f"key {k!r} must be a size, e.g. {keys[0]!r}"
            elif key not in keys:
                return f"key {k!r} must be one of {', '.join(map(str, keys))}"
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                return f"price of {k!r} must be a number >= 0 [SEK], given {v!r}"
        return None

    return check


def _price_field(default: dict, doc: str) -> Field:
    return Field(default=dict(default), type=dict, doc=doc, check=_prices(tuple(default)))


SECTION = Section(
    doc=(
        "Automatic reinforcement plans of the tasks that violate a limit: allowed measures, "
        "search and prices (docs/sources.md §11). The plan and its cost go into the summary "
        "(reinforcement_cost_sek) and reinforcement.csv."
    ),
    fields={
        "enabled": Field(
            default=True,
            type=bool,
            doc="Plan the reinforcement of every task that violates a counted grid criterion.",
        ),
        "measures": Field(
            default=list(MEASURES),
            type=list,
            items=str,
            choices=MEASURES,
            doc="Measures a plan may use: transformer (next standard size), parallel_cable, "
            "larger_cable (next cross-sections of the same family), new_substation (split the "
            "critical branch at its middle onto a new secondary substation).",
        ),
        "ground": Field(
            default="auto",
            type=str,
            choices=("auto", *GROUNDS),
            doc="Ground class of the cable trench and 10 kV prices; auto: from the LV line "
            "length per customer (< 20 m urban, < 100 m suburban, else rural) [E].",
        ),
        "max_measures": Field(
            default=40,
            type=int,
            min=1,
            max=200,
            doc="Most measures in one plan [-]; a feeder still violating after them is "
            "reported with reinforcement_fixed false.",
        ),
        "top_steps": Field(
            default=24,
            type=int,
            min=1,
            max=10000,
            doc="Steps of highest feeder load searched besides each element's worst step [-].",
        ),
        "verify": Field(
            default="full",
            type=str,
            choices=("full", "steps"),
            doc="full: check each plan with a load flow over every simulated step and search "
            "again with the steps that still violate; steps: trust the critical steps "
            "(faster, not guaranteed).",
        ),
        "prices": Section(
            doc="Prices of the measures [SEK, 2025 price level, excl. VAT]; docs/sources.md §11 "
            "([E] estimates cross-checked with eDisGo's German costs [F]). A partial mapping "
            "updates the defaults.",
            fields={
                "trench_sek_per_km": _price_field(
                    TRENCH_SEK_PER_KM,
                    "LV cable trench by ground (urban, suburban, rural) [SEK/km].",
                ),
                "cable_sek_per_km": _price_field(
                    CABLE_SEK_PER_KM,
                    "LV cable supplied and laid, by phase cross-section [mm2] [SEK/km].",
                ),
                "aerial_sek_per_km": _price_field(
                    AERIAL_SEK_PER_KM,
                    "Aerial (hanging) cable restrung on existing poles, by cross-section [mm2] "
                    "[SEK/km].",
                ),
                "transformer_sek": _price_field(
                    TRANSFORMER_SEK, "10/0.4 kV transformer delivered, by rating [kVA] [SEK]."
                ),
                "transformer_exchange_sek": Field(
                    default=TRANSFORMER_EXCHANGE_SEK,
                    type=float,
                    min=0.0,
                    doc="Work of exchanging a transformer in an existing station [SEK].",
                ),
                "substation_sek": _price_field(
                    SUBSTATION_SEK,
                    "New secondary substation without transformer, by rating [kVA] [SEK].",
                ),
                "mv_cable_sek_per_km": _price_field(
                    MV_CABLE_SEK_PER_KM,
                    "10 kV cable incl. trench to a new substation, by ground [SEK/km].",
                ),
            },
        ),
    },
)
"""The ``reinforcement`` section of a scenario."""
