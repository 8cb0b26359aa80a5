"""Scenario section ``v2x``: flexibility, market products and V2H backup (:mod:`gridv2x.v2x`)."""

from __future__ import annotations

from typing import Any

from gridv2x.options import Field, Section
from gridv2x.v2x.markets import PRODUCT_KEYS, PRODUCTS

__all__ = ["SECTION"]


def _check_products(value: dict) -> str | None:
    for name, product in value.items():
        if not isinstance(product, dict):
            return f"{name}: must be a mapping of {list(PRODUCT_KEYS)}, given {product!r}"
        unknown = sorted(set(product) - set(PRODUCT_KEYS))
        if unknown:
            return f"{name}: unknown keys {unknown}; allowed: {list(PRODUCT_KEYS)}"
        merged: dict[str, Any] = dict(PRODUCTS.get(name, {}), **product)
        missing = [k for k in PRODUCT_KEYS if k not in merged]
        if missing:
            return f"{name}: a new product needs {missing}"
        if merged["direction"] not in ("up", "down"):
            return f"{name}.direction: 'up' or 'down', given {merged['direction']!r}"
        for key, low, high in (
            ("min_bid_mw", 0.0, 1e4),
            ("endurance_min", 0.0, 1440.0),
            ("availability", 0.0, 1.0),
        ):
            v = merged[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not (low < v <= high):
                return f"{name}.{key}: a number in ({low:g}, {high:g}], given {v!r}"
    return None


SECTION = Section(
    doc=(
        "V2X beyond the feeder: the power the plugged-in fleet can shift up and down without "
        "breaking any car's departure need (and within the feeder's limits), the EVs an "
        "aggregator needs for each market product, and how long V2H cars carry their homes in "
        "an outage. Writes flexibility.csv, markets.csv and resilience.csv."
    ),
    fields={
        "enabled": Field(
            default=False,
            type=bool,
            doc=(
                "Compute flexibility, market products and backup for every V1G/V2G task (about "
                "1-2 s a task for a year; uncontrolled charging offers no flexibility)."
            ),
        ),
        "durations_min": Field(
            default=[15, 60],
            type=list,
            items=int,
            min=1,
            max=1440,
            doc=(
                "Offer durations [min] reported in flexibility.csv, each a whole number of steps; "
                "the durations the products need are added."
            ),
        ),
        "grid_constrained": Field(
            default=True,
            type=bool,
            doc=(
                "Also give the flexibility within the feeder's limits (voltage band, transformer "
                "and cable loading of the `limits` section), from load-flow sensitivities."
            ),
        ),
        "products": Field(
            default={},
            type=dict,
            check=_check_products,
            doc=(
                "Market products, or overrides of the shipped ones (FFR, FCR-D up/down, "
                "aFRR up/down, mFRR up/down, local flexibility): `{name: {direction: up|down, "
                "min_bid_mw [MW], endurance_min [min], availability [-]}}` (docs/sources.md §12)."
            ),
        ),
        "outage_hours": Field(
            default=[4, 12, 24],
            type=list,
            items=float,
            min=0.25,
            max=72,
            doc="Outage durations H [h] for the V2H backup (resilience.csv).",
        ),
        "backup_heating": Field(
            default="on",
            type=str,
            choices=("on", "off"),
            doc=(
                "Household load the car carries in an outage: 'on' all of it; 'off' household "
                "electricity without space heating, estimated as the base load scaled by the "
                "customer's household share of annual energy [E] (understates heating in winter, "
                "so 'off' is a lower bound of the hours in cold weather)."
            ),
        ),
    },
)
