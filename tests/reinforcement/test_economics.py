"""Economics of reinforcement against V1G and V2G, on hand-made summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.reinforcement import study_economics
from gridv2x.reinforcement.economics import ECONOMICS_COLUMNS, annuity_factor, economics_table
from gridv2x.reinforcement.economics_options import SECTION
from gridv2x.scenario import scenario_from_dict

ECON = SECTION.defaults()


def _rows(level: str, values, costs: dict[str, list[float]], n_evs=10, discharged=0.0):
    rows = []
    for strategy, series in costs.items():
        for value, cost in zip(values, series, strict=True):
            rows.append(
                {
                    "feeder": "f",
                    "strategy": strategy,
                    "seed": 0,
                    "ev_share": 0.5 if level == "year" else value,
                    "ev_share_target": None if level == "year" else value,
                    "year": value if level == "year" else None,
                    "n_evs": n_evs,
                    "reinforcement_cost_sek": cost,
                    "reinforcement_fixed": True,
                    "ev_discharged_kwh": discharged if strategy == "v2g" else 0.0,
                }
            )
    return pd.DataFrame(rows)


def test_forecast_present_value_deferral_and_value_per_ev():
    summary = _rows(
        "year",
        [2030, 2035, 2040],
        {"uncontrolled": [0, 100_000, 200_000], "v1g": [0, 0, 100_000], "v2g": [0, 0, 0]},
    )
    out = economics_table(summary, economics=ECON, wear_cost_sek_per_kwh=0.16, period_days=365)
    assert list(out.columns) == list(ECONOMICS_COLUMNS)
    r = ECON["discount_rate_pct"] / 100
    unc = out[out.strategy == "uncontrolled"].set_index("year")
    assert unc.loc[2035, "present_value_sek"] == pytest.approx(100_000 / (1 + r) ** 5)
    assert (unc["needed_year"] == 2035).all()
    v1g = out[out.strategy == "v1g"].set_index("year")
    assert (v1g["deferral_years"] == 5).all() and not v1g["deferral_is_lower_bound"].any()
    v2g = out[out.strategy == "v2g"].set_index("year")
    # V2G needs nothing within the horizon: deferral of at least 2040 - 2035
    assert (v2g["deferral_years"] == 5).all() and v2g["deferral_is_lower_bound"].all()
    a = annuity_factor(r, ECON["asset_lifetime_years"])
    assert v1g.loc[2040, "value_per_ev_year_sek"] == pytest.approx(100_000 * a / 10)
    assert v2g.loc[2040, "charger_extra_cost_sek"] == pytest.approx(
        ECON["charger_bidirectional_ac_sek"] - ECON["charger_plain_sek"]
    )


def test_break_even_charger_price_nets_wear_and_counts_only_beyond_v1g():
    summary = _rows(
        "ev_share",
        [1.0],
        {"uncontrolled": [300_000], "v1g": [200_000], "v2g": [100_000]},
        discharged=1000.0,
    )
    out = economics_table(summary, economics=ECON, wear_cost_sek_per_kwh=0.2, period_days=365.25)
    v2g = out[out.strategy == "v2g"].iloc[0]
    r = ECON["discount_rate_pct"] / 100
    a_asset = annuity_factor(r, ECON["asset_lifetime_years"])
    a_charger = annuity_factor(r, ECON["charger_lifetime_years"])
    assert v2g["wear_cost_sek"] == pytest.approx(200.0)  # 1000 kWh x 0.2 SEK over a year
    expected = (100_000 * a_asset / 10 - 200.0 / 10) / a_charger
    assert v2g["break_even_charger_extra_sek"] == pytest.approx(expected)
    assert np.isnan(out[out.strategy == "v1g"]["break_even_charger_extra_sek"].iloc[0])
    assert out["present_value_sek"].tolist() == out["reinforcement_cost_sek"].tolist()


def test_study_economics_reads_the_scenario_and_skips_without_costs():
    scenario = scenario_from_dict({"name": "e", "economics": {"discount_rate_pct": 0.0}})
    summary = _rows("ev_share", [1.0], {"uncontrolled": [40_000], "v1g": [0]})
    out = study_economics(summary, scenario)
    lifetime = scenario.section("economics")["asset_lifetime_years"]
    assert out[out.strategy == "v1g"]["value_per_ev_year_sek"].iloc[0] == pytest.approx(
        40_000 / lifetime / 10
    )
    assert study_economics(summary.drop(columns="reinforcement_cost_sek"), scenario) is None
