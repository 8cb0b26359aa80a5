"""The cost catalogue and its scenario overrides."""

from __future__ import annotations

import pytest

from gridv2x.errors import InputError
from gridv2x.reinforcement.costs import (
    TRENCH_SEK_PER_KM,
    CostCatalogue,
    cross_section_mm2,
)
from gridv2x.reinforcement.economics import annuity_factor


def test_cable_cost_is_trench_plus_cable_per_km():
    cat = CostCatalogue()
    cost = cat.cable_cost_sek("N1XV 4x150", 200.0, "urban")
    assert cost == pytest.approx(0.2 * (TRENCH_SEK_PER_KM["urban"] + cat.cable_sek_per_km[150]))
    # dearer ground, dearer trench; aerial restringing needs no trench
    assert cat.cable_cost_sek("N1XV 4x150", 200, "rural") < cost
    assert cat.cable_cost_sek("ALUS 4x95", 200, "rural", aerial=True) < cat.cable_cost_sek(
        "AXQJ 4x95/29", 200, "rural"
    )


def test_overrides_update_the_defaults_and_bad_keys_are_named():
    cat = CostCatalogue.from_options(
        {"trench_sek_per_km": {"urban": 1.0e6}, "transformer_sek": {"500": 1.0}}
    )
    assert cat.trench_sek_per_km["urban"] == 1.0e6
    assert cat.trench_sek_per_km["rural"] == TRENCH_SEK_PER_KM["rural"]
    assert cat.transformer_exchange_cost_sek(500) == 1.0 + cat.transformer_exchange_sek
    with pytest.raises(InputError, match="reinforcement.prices.trench_sek_per_km.city"):
        CostCatalogue.from_options({"trench_sek_per_km": {"city": 1.0}})
    with pytest.raises(InputError, match="reinforcement.prices.nope"):
        CostCatalogue.from_options({"nope": 1.0})
    with pytest.raises(InputError, match=">= 0"):
        CostCatalogue.from_options({"transformer_exchange_sek": -1})


def test_cross_section_and_annuity():
    assert cross_section_mm2("AXQJ 4x150/41") == 150
    assert cross_section_mm2("N1XE 4x16") == 16
    assert cross_section_mm2("custom") is None
    assert annuity_factor(0.0, 40) == pytest.approx(1 / 40)
    # 1 SEK over 40 years at 4.53 %: a textbook annuity
    assert annuity_factor(0.0453, 40) == pytest.approx(0.0453 / (1 - 1.0453**-40))
