"""Swedish cost catalogue of LV reinforcement measures [SEK, price level 2025, excl. VAT].

What a Swedish DSO pays for the measures of :mod:`gridv2x.reinforcement.plan`:

* **Cable** per km = trench (schakt, by ground: urban / suburban / rural) + cable (by
  cross-section). A parallel cable and a cable of a larger cross-section both need a new
  trench along the section (the old cable of a replaced section stays in the ground, unused,
  as is common practice); an aerial (hanging) cable is restrung on the existing poles (no
  trench).
* **Transformer** exchange in the existing secondary substation (nätstation): the new
  transformer plus the exchange work (crane, outage, connection).
* **New secondary substation** (a new nätstation to split a feeder): the station (kiosk,
  switchgear, LV board), its transformer, and the 10 kV cable that connects it.

Ei's norm values for the revenue-cap capital base (normvärdeslista, lokalnät, Ei PM2010:11 and
its yearly updates) are the Swedish reference for these prices; their tables could not be
retrieved here, so every default is an engineering estimate **[E]**, cross-checked against the
German reference eDisGo uses (dena Verteilnetzstudie / BNetzA: LV cable incl. earthwork 60
kEUR/km rural, 100 kEUR/km urban; 10 kV cable 80 / 140 kEUR/km; docs/sources.md §11 [F]).
Values, reasoning and sources: ``docs/sources.md §11``. A scenario overrides any price
(section ``reinforcement``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gridv2x.errors import InputError

__all__ = [
    "MEASURES",
    "GROUNDS",
    "TRENCH_SEK_PER_KM",
    "CABLE_SEK_PER_KM",
    "AERIAL_SEK_PER_KM",
    "TRANSFORMER_SEK",
    "TRANSFORMER_EXCHANGE_SEK",
    "SUBSTATION_SEK",
    "MV_CABLE_SEK_PER_KM",
    "CostCatalogue",
    "cross_section_mm2",
]

MEASURES = ("transformer", "parallel_cable", "larger_cable", "new_substation")
"""Measures of a reinforcement plan, in the order a DSO considers them."""

GROUNDS = ("urban", "suburban", "rural")
"""Ground classes of the trench price (docs/sources.md §11)."""

TRENCH_SEK_PER_KM: dict[str, float] = {
    "urban": 950_000.0,
    "suburban": 600_000.0,
    "rural": 400_000.0,
}
"""Trench for an LV cable incl. backfill and surface restoration [SEK/km] [E] (docs/sources.md
§11): urban (asphalt, other services, traffic) > suburban (villa streets, lawns) > rural
(plough or open field). Together with the cable the totals match eDisGo's German figures
(60-100 kEUR/km incl. earthwork, at 11.5 SEK/EUR) [F]."""

CABLE_SEK_PER_KM: dict[int, float] = {
    16: 35_000.0,
    25: 45_000.0,
    50: 70_000.0,
    95: 110_000.0,
    150: 150_000.0,
    240: 220_000.0,
}
"""4-core Al PEX LV cable supplied and laid (without trench) by phase cross-section [mm2]
[SEK/km] [E] (docs/sources.md §11): aluminium content plus laying; eDisGo's NAYY 4x150 at 9
kEUR/km without earthwork (about 100 kSEK/km) [F] is the anchor."""

AERIAL_SEK_PER_KM: dict[int, float] = {25: 160_000.0, 50: 190_000.0, 95: 240_000.0}
"""Aerial bundled (hanging) cable restrung on the existing poles, by cross-section [mm2]
[SEK/km] [E] (docs/sources.md §11)."""

TRANSFORMER_SEK: dict[int, float] = {
    50: 70_000.0,
    100: 90_000.0,
    200: 130_000.0,
    315: 160_000.0,
    500: 210_000.0,
    800: 290_000.0,
    1250: 380_000.0,
}
"""10/0.4 kV distribution transformer (oil, EU Ecodesign tier 2) delivered, by rating [kVA]
[SEK] [E] (docs/sources.md §11)."""

TRANSFORMER_EXCHANGE_SEK = 60_000.0
"""Exchanging a transformer in an existing station: crane, planned outage with reserve power,
connection and commissioning [SEK] [E] (docs/sources.md §11)."""

SUBSTATION_SEK: dict[int, float] = {
    50: 120_000.0,
    100: 150_000.0,
    200: 250_000.0,
    315: 300_000.0,
    500: 330_000.0,
    800: 380_000.0,
    1250: 450_000.0,
}
"""A new secondary substation without its transformer, by the transformer rating it is built
for [kVA] [SEK] [E] (docs/sources.md §11): pole-mounted for 50-100 kVA, compact kiosk station
with 10 kV switchgear and LV board above; ground works and connection included."""

MV_CABLE_SEK_PER_KM: dict[str, float] = {
    "urban": 1_600_000.0,
    "suburban": 1_200_000.0,
    "rural": 900_000.0,
}
"""10 kV cable incl. trench to connect a new substation [SEK/km] [E] (docs/sources.md §11);
eDisGo's German figures 80 / 140 kEUR/km rural / urban (0.9 / 1.6 MSEK/km) [F]."""


def cross_section_mm2(cable_type: str) -> int | None:
    """Phase cross-section [mm2] in a Swedish cable designation such as ``"N1XV 4x240"`` or
    ``"AXQJ 4x150/41"``; None when the name does not give one."""
    match = re.search(r"\dx(\d+)", str(cable_type))
    return int(match.group(1)) if match else None


def _nearest_price(table: Mapping[int, float], mm2: float) -> float:
    """Price of the smallest tabulated cross-section >= ``mm2`` (the largest one beyond)."""
    sizes = sorted(table)
    for size in sizes:
        if size >= mm2:
            return float(table[size])
    return float(table[sizes[-1]]) * mm2 / sizes[-1]


@dataclass
class CostCatalogue:
    """Prices of every reinforcement measure; defaults from this module, overridable.

    Parameters
    ----------
    trench_sek_per_km, cable_sek_per_km, aerial_sek_per_km, transformer_sek,
    transformer_exchange_sek, substation_sek, mv_cable_sek_per_km :
        As the module constants of the same (upper-case) name; a partial mapping updates the
        defaults.

    Examples
    --------
    >>> CostCatalogue().cable_cost_sek("N1XV 4x150", 100.0, "suburban")
    75000.0
    """

    trench_sek_per_km: dict[str, float] = field(default_factory=lambda: dict(TRENCH_SEK_PER_KM))
    cable_sek_per_km: dict[int, float] = field(default_factory=lambda: dict(CABLE_SEK_PER_KM))
    aerial_sek_per_km: dict[int, float] = field(default_factory=lambda: dict(AERIAL_SEK_PER_KM))
    transformer_sek: dict[int, float] = field(default_factory=lambda: dict(TRANSFORMER_SEK))
    transformer_exchange_sek: float = TRANSFORMER_EXCHANGE_SEK
    substation_sek: dict[int, float] = field(default_factory=lambda: dict(SUBSTATION_SEK))
    mv_cable_sek_per_km: dict[str, float] = field(default_factory=lambda: dict(MV_CABLE_SEK_PER_KM))

    @classmethod
    def from_options(cls, prices: Mapping[str, Any] | None) -> CostCatalogue:
        """Catalogue with the scenario's ``reinforcement.prices`` laid over the defaults.

        Raises
        ------
        InputError
            An unknown price key, an unknown size or ground, or a negative price.
        """
        out = cls()
        for key, value in dict(prices or {}).items():
            if value is None:
                continue
            if not hasattr(out, key):
                raise InputError(
                    f"reinforcement.prices.{key}: unknown price; allowed: "
                    + ", ".join(out.__dataclass_fields__)
                )
            default = getattr(out, key)
            if isinstance(default, dict):
                if not isinstance(value, Mapping):
                    raise InputError(
                        f"reinforcement.prices.{key}: must be a mapping like {default!r}, "
                        f"given {value!r}"
                    )
                merged = dict(default)
                for k, v in value.items():
                    kk: Any = k
                    if all(isinstance(d, int) for d in default):
                        try:
                            kk = int(k)
                        except (TypeError, ValueError):
                            kk = k
                    if kk not in default and not all(isinstance(d, int) for d in default):
                        raise InputError(
                            f"reinforcement.prices.{key}.{k}: unknown; allowed: "
                            + ", ".join(map(str, default))
                        )
                    merged[kk] = _price(f"{key}.{k}", v)
                setattr(out, key, merged)
            else:
                setattr(out, key, _price(key, value))
        return out

    def cable_cost_sek(
        self,
        cable_type: str,
        length_m: float,
        ground: str,
        *,
        aerial: bool = False,
        n_cables: int = 1,
    ) -> float:
        """``n_cables`` new cables of ``cable_type`` over ``length_m`` [m] in ``ground`` [SEK].

        Underground: one trench of the ground class + each cable by cross-section. Aerial:
        restrung on the existing poles (no trench).
        """
        mm2 = cross_section_mm2(cable_type) or 50
        km = float(length_m) / 1000.0
        n = max(int(n_cables), 0)
        if n == 0:
            return 0.0
        if aerial:
            return km * n * _nearest_price(self.aerial_sek_per_km, mm2)
        if ground not in self.trench_sek_per_km:
            raise InputError(f"reinforcement.ground: {ground!r} is not one of {GROUNDS}")
        return km * (
            self.trench_sek_per_km[ground] + n * _nearest_price(self.cable_sek_per_km, mm2)
        )

    def transformer_exchange_cost_sek(self, sn_kva: float) -> float:
        """A new transformer of ``sn_kva`` in the existing station [SEK]."""
        return _nearest_price(self.transformer_sek, sn_kva) + self.transformer_exchange_sek

    def new_substation_cost_sek(self, sn_kva: float, mv_length_m: float, ground: str) -> float:
        """A new secondary substation with a ``sn_kva`` transformer, connected by
        ``mv_length_m`` of 10 kV cable in ``ground`` [SEK]."""
        return (
            _nearest_price(self.substation_sek, sn_kva)
            + _nearest_price(self.transformer_sek, sn_kva)
            + float(mv_length_m) / 1000.0 * self.mv_cable_sek_per_km[ground]
        )

    def table(self) -> list[dict[str, Any]]:
        """Every price as rows ``item, size, value, unit`` (for the report's source table)."""
        rows = []
        units = {
            "trench_sek_per_km": "SEK/km",
            "cable_sek_per_km": "SEK/km",
            "aerial_sek_per_km": "SEK/km",
            "transformer_sek": "SEK",
            "substation_sek": "SEK",
            "mv_cable_sek_per_km": "SEK/km",
            "transformer_exchange_sek": "SEK",
        }
        for key, unit in units.items():
            value = getattr(self, key)
            if isinstance(value, dict):
                rows += [
                    {"item": key, "size": k, "value": v, "unit": unit} for k, v in value.items()
                ]
            else:
                rows.append({"item": key, "size": "", "value": value, "unit": unit})
        return rows


def _price(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f"reinforcement.prices.{key}: must be a price >= 0 [SEK], given {value!r}")
    return float(value)
