"""Scenario section ``adoption``: keyword arguments of :func:`gridv2x.adoption.allocate_evs`."""

from __future__ import annotations

from gridv2x.adoption.curve import CURVE_MODELS, DEFAULT_CURVE
from gridv2x.adoption.weights import (
    CARS_PER_CUSTOMER,
    DEFAULT_DWELLING_WEIGHTS,
    DEFAULT_FUSE_WEIGHTS,
)
from gridv2x.conventions import DWELLINGS
from gridv2x.options import Field, Section


def _check_dwelling_weights(value: dict) -> str | None:
    unknown = sorted(set(value) - set(DWELLINGS))
    if unknown:
        return f"unknown dwelling type(s) {unknown}; allowed: {list(DWELLINGS)}"
    for key, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            return f"{key}: must be a number >= 0, given {weight!r}"
    return None


def _check_fuse_weights(value: dict) -> str | None:
    if not value:
        return "needs at least one main fuse [A] with its weight"
    for key, weight in value.items():
        try:
            fuse = float(key)
        except (TypeError, ValueError):
            return f"key {key!r} must be a main fuse in ampere (a number)"
        if fuse <= 0:
            return f"key {key!r} must be a main fuse > 0 [A]"
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            return f"{key}: weight must be a number >= 0, given {weight!r}"
    return None


CURVE = Section(
    doc=(
        "Fleet-share curve of battery-electric cars (share of cars in traffic at the end of a "
        "year), used when `year` is given: keyword arguments of "
        "gridv2x.adoption.fleet_share, calibrated to Swedish fleet figures (docs/sources.md §5)."
    ),
    fields={
        "model": Field(
            default=DEFAULT_CURVE["model"],
            type=str,
            choices=CURVE_MODELS,
            doc="`logistic` (midpoint, scale, saturation) or `bass` (launch_year, p, q, "
            "saturation; Bass 1969).",
        ),
        "midpoint": Field(
            default=DEFAULT_CURVE["midpoint"],
            type=float,
            min=2000,
            max=2100,
            doc="Logistic: year the share reaches half of `saturation` [yr]; 2035.1 fitted to "
            "end-2021..2023 fleet shares [F] and the 2030/2035/2045 estimates [E] of "
            "docs/sources.md §5.",
        ),
        "scale": Field(
            default=DEFAULT_CURVE["scale"],
            type=float,
            min=0.1,
            max=50,
            doc="Logistic: time scale [yr]; 4.18 fitted (docs/sources.md §5: ~4-5 yr [E]).",
        ),
        "saturation": Field(
            default=DEFAULT_CURVE["saturation"],
            type=float,
            min=0.01,
            max=1.0,
            doc="Long-run BEV share of cars [-]; 1.0 (EU new-sale ICE phase-out 2035, "
            "docs/sources.md §5).",
        ),
        "launch_year": Field(
            default=DEFAULT_CURVE["launch_year"],
            type=float,
            min=1990,
            max=2100,
            doc="Bass: year the diffusion starts [yr]; 2010.",
        ),
        "p": Field(
            default=DEFAULT_CURVE["p"],
            type=float,
            min=1e-6,
            max=1.0,
            doc="Bass: coefficient of innovation [1/yr]; 0.00064 fitted to docs/sources.md §5.",
        ),
        "q": Field(
            default=DEFAULT_CURVE["q"],
            type=float,
            min=0.0,
            max=5.0,
            doc="Bass: coefficient of imitation [1/yr]; 0.235 fitted to docs/sources.md §5.",
        ),
    },
)

SECTION = Section(
    doc=(
        "How many EVs the feeder has and which households own them: a fixed share, a year on "
        "the Swedish fleet-share curve, or an area layer with local BEV shares; villas far "
        "above apartments, larger main fuses above smaller (0, 1 or 2 EVs per household)."
    ),
    fields={
        "share": Field(
            default=0.3,
            type=float,
            min=0.0,
            max=2.0,
            doc="EVs per customer of the feeder [EV/customer]: the EV count is share × "
            "customers, rounded stochastically (exact on average); reported as `ev_share`. "
            "Ignored when `year` is given.",
        ),
        "year": Field(
            default=None,
            type=float,
            nullable=True,
            min=2000,
            max=2100,
            doc="Year on the fleet-share curve (end of year) [yr]; overrides `share`: EVs = "
            "cars_per_customer × fleet share × customers (with `areas`, each area's share "
            "projected to that year).",
        ),
        "curve": CURVE,
        "areas": Field(
            default=None,
            type="path",
            nullable=True,
            doc="Area layer (GeoPackage/GeoJSON polygons, any CRS) with column `bev_share` "
            "[-] and optional `income_index` [-], `villa_share` [-], covering every customer; "
            "it decides where the EVs are (and, with `year`, how many). Example: "
            "networks/areas-example.gpkg.",
        ),
        "areas_year": Field(
            default=2023.0,
            type=float,
            min=2000,
            max=2100,
            doc="Year the layer's `bev_share` refers to (end of year) [yr]; give "
            "`year` = `areas_year` to use the layer's shares as they are.",
        ),
        "dwelling_weights": Field(
            default=dict(DEFAULT_DWELLING_WEIGHTS),
            type=dict,
            check=_check_dwelling_weights,
            doc="Relative chance of owning an EV per dwelling type [-] (types not given keep "
            "their default): villa 1, farm 1, apartment 0.15, business 0 [E] (home-charging access far higher for villa owners, "
            "docs/sources.md §4).",
        ),
        "fuse_weights": Field(
            default={k: v for k, v in DEFAULT_FUSE_WEIGHTS.items()},
            type=dict,
            check=_check_fuse_weights,
            doc="Relative chance by main fuse [A -> -]: a customer takes the weight of the "
            "largest fuse key not above its own; 16 A 0.7, 20 A 1.0, 25 A 1.15, 35 A 1.3 [E] "
            "(docs/sources.md §1.5, §5).",
        ),
        "second_ev_share": Field(
            default=0.1,
            type=float,
            min=0.0,
            max=0.5,
            doc="Share of the EVs that are a household's second EV [-]; 0.1 [E].",
        ),
        "cars_per_customer": Field(
            default=CARS_PER_CUSTOMER,
            type=float,
            min=0.0,
            max=3.0,
            doc="Cars per household turning a fleet share into EVs per customer [-]; 1.05 = "
            "471 cars/1000 inhabitants × 2.22 persons/dwelling (docs/sources.md §1.4, §5).",
        ),
        "neighbour_effect": Field(
            default=0.0,
            type=float,
            min=0.0,
            max=100.0,
            doc="Relative increase of a household's chance per EV-owning household within "
            "`neighbour_radius_m` [-]; 0 = off. Peer effects make EVs cluster on a feeder "
            "(slight neighbourhood effect in Sweden, Westin et al. 2018, docs/sources.md §5); "
            "0.5-2 gives visible clustering [E].",
        ),
        "neighbour_radius_m": Field(
            default=100.0,
            type=float,
            min=1.0,
            max=5000.0,
            doc="Distance within which households count as neighbours [m]; 100 [E].",
        ),
        "national_villa_share": Field(
            default=0.5,
            type=float,
            min=0.0,
            max=1.0,
            doc="Share of Swedish households living in villas [-], with `year` and no "
            "`areas`: a villa gets 1 / (0.5 × 1 + 0.5 × 0.15) = 1.74 times the national EVs "
            "per household with the default weights; 0.5 (SCB, recalled [R]).",
        ),
        "income_elasticity": Field(
            default=0.5,
            type=float,
            min=0.0,
            max=5.0,
            doc="Exponent on an area's `income_index` in the placement weight [-]; 0.5 [E] "
            "(income predicts adoption, docs/sources.md §5).",
        ),
    },
)

DEFAULTS = SECTION.defaults()
"""The section's defaults (the keyword defaults of :func:`gridv2x.adoption.allocate_evs`)."""
