"""Hosting capacity (EPRI stochastic method) and adoption forecast on crafted tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.errors import InputError
from gridv2x.metrics import (
    deferral_years,
    first_violation_year,
    hosting_capacity,
    violation_probability,
    wilson_interval,
)
from gridv2x.metrics.confidence import lower_bound, upper_bound


def test_wilson_interval_known_values():
    # k = 5 of n = 10 at 95 %: (0.2366, 0.7634) (Agresti & Coull 1998, Wilson 1927)
    low, high = wilson_interval(5, 10, confidence=0.95)
    assert float(low) == pytest.approx(0.2366, abs=1e-4)
    assert float(high) == pytest.approx(0.7634, abs=1e-4)
    # k = 0: lower bound 0, upper bound z^2 / (n + z^2) = 3.8415 / 13.8415 = 0.27753
    low, high = wilson_interval(0, 10)
    assert float(low) == 0.0
    assert float(high) == pytest.approx(1.959964**2 / (10 + 1.959964**2), rel=1e-6)
    with pytest.raises(InputError):
        wilson_interval(3, 2)


def draws(feeder, strategy, violations_per_share, n=60, shares=(0.1, 0.2, 0.3, 0.4, 0.5)):
    rows = []
    for share, k in zip(shares, violations_per_share, strict=True):
        for seed in range(n):
            rows.append(
                {
                    "feeder": feeder,
                    "strategy": strategy,
                    "ev_share": share,
                    "seed": seed,
                    "violation": seed < k,
                    "violates_voltage": seed < k,
                    "violates_transformer_loading": False,
                }
            )
    return rows


@pytest.fixture
def sweep():
    rows = (
        draws("F", "uncontrolled", [0, 1, 4, 0, 60])  # 0, 1.7 %, 6.7 %, 0 % (noise), 100 %
        + draws("F", "v2g", [0, 0, 0, 0, 0])
        + draws("F", "v1g", [2, 0, 0, 0, 0])  # 10 % already at the smallest share
    )
    return pd.DataFrame(rows)


def test_violation_probability_per_share(sweep):
    probs = violation_probability(sweep)
    u = probs[probs.strategy == "uncontrolled"].set_index("ev_share")
    assert u["n"].tolist() == [60] * 5
    assert u["violations"].tolist() == [0, 1, 4, 0, 60]
    assert u.loc[0.3, "probability"] == pytest.approx(4 / 60)
    # one-sided Clopper-Pearson bounds at 95 % (contract change, issue 16: exact bounds)
    assert u.loc[0.3, "probability_low"] == pytest.approx(float(lower_bound(4, 60)))
    assert u.loc[0.3, "probability_high"] == pytest.approx(float(upper_bound(4, 60)))
    assert u.loc[0.1, "probability_high"] == pytest.approx(1 - 0.05 ** (1 / 60))
    assert u.loc[0.1, "decision"] == "safe"
    assert u.loc[0.2, "decision"] == "not_demonstrable"  # 1 of 60: never below 5 % in 60
    assert u.loc[0.5, "decision"] == "unsafe"
    assert u.loc[0.3, "probability_voltage"] == pytest.approx(4 / 60)
    assert u.loc[0.3, "probability_transformer_loading"] == 0.0


def test_clopper_pearson_known_values():
    # two-sided 95 % interval of 5 of 10 is (0.1871, 0.8129): the one-sided bounds at 97.5 %
    assert float(lower_bound(5, 10, confidence=0.975)) == pytest.approx(0.1871, abs=1e-4)
    assert float(upper_bound(5, 10, confidence=0.975)) == pytest.approx(0.8129, abs=1e-4)
    # k = 0: 1 - (1 - c)^(1/n); 59 draws without a violation show p <= 5 % at 95 %, 58 do not
    assert float(upper_bound(0, 59)) == pytest.approx(1 - 0.05 ** (1 / 59))
    assert float(upper_bound(0, 59)) <= 0.05 < float(upper_bound(0, 58))
    assert float(upper_bound(10, 10)) == 1.0
    assert float(lower_bound(0, 10)) == 0.0
    # Wilson's one-sided bound is lower at k = 0 (claims safety too early)
    assert float(wilson_interval(0, 52, confidence=0.90)[1]) <= 0.05 < float(upper_bound(0, 52))
    with pytest.raises(InputError):
        upper_bound(3, 2)


def test_hosting_capacity_monotone_rule(sweep):
    hc = hosting_capacity(sweep, risk=0.05).set_index("strategy")
    # uncontrolled: 0.1 (0 of 60) is shown safe; 0.2 (1 of 60) is not (upper bound 7.7 %);
    # 0.4 passes again but the monotone rule stops at the first share not shown safe -> 0.1
    assert hc.loc["uncontrolled", "hosting_capacity_share"] == 0.1
    assert hc.loc["uncontrolled", "demonstrated"]
    assert hc.loc["uncontrolled", "hosting_capacity_probability_high"] <= 0.05
    assert hc.loc["uncontrolled", "first_violation_share"] == 0.2
    assert hc.loc["uncontrolled", "first_unsafe_share"] == 0.5  # lower bound of 4/60 is < 5 %
    assert hc.loc["uncontrolled", "all_violate_share"] == 0.5
    assert hc.loc["uncontrolled", "hosting_capacity_reached"]
    assert hc.loc["uncontrolled", "draws_per_share"] == "0.1:60 0.2:60 0.3:60 0.4:60 0.5:60"
    assert hc.loc["uncontrolled", "confidence"] == 0.95
    assert hc.loc["uncontrolled", "statement"].startswith(
        "hosting capacity >= 10 EVs per 100 customers with 95 % confidence"
    )
    # v2g never violates: capacity at least the largest share, EPRI shares not reached
    assert hc.loc["v2g", "hosting_capacity_share"] == 0.5
    assert not hc.loc["v2g", "hosting_capacity_reached"]
    assert np.isnan(hc.loc["v2g", "first_violation_share"])
    assert np.isnan(hc.loc["v2g", "all_violate_share"])
    # v1g fails at the smallest share -> not demonstrated
    assert hc.loc["v1g", "hosting_capacity_share"] == 0.0
    assert not hc.loc["v1g", "demonstrated"]
    assert hc.loc["v1g", "statement"].startswith("not demonstrated at 5 % risk with 300 draws")
    assert hc.loc["v1g", "first_violation_share"] == 0.1
    # per criterion: voltage binds (same as overall), the transformer never does
    assert hc.loc["uncontrolled", "hosting_capacity_share_voltage"] == 0.1
    assert hc.loc["uncontrolled", "hosting_capacity_share_transformer_loading"] == 0.5
    # with a 25 % risk the uncontrolled capacity is 0.4 (0.5 has 60 of 60)
    hc25 = hosting_capacity(sweep, risk=0.25).set_index("strategy")
    assert hc25.loc["uncontrolled", "hosting_capacity_share"] == 0.4
    # 20 draws cannot show 5 % at 95 %: nothing is demonstrated, however clean the draws
    few = pd.DataFrame(draws("F", "v2g", [0, 0, 0, 0, 0], n=20))
    hc_few = hosting_capacity(few, risk=0.05).iloc[0]
    assert not hc_few["demonstrated"]
    assert hc_few["statement"].startswith("not demonstrated at 5 % risk with 100 draws")


def test_hosting_capacity_rejects_bad_tables(sweep):
    with pytest.raises(InputError):
        hosting_capacity(sweep.drop(columns="ev_share"))
    bad = sweep.astype({"violation": object})
    bad.loc[0, "violation"] = None
    with pytest.raises(InputError):
        hosting_capacity(bad)
    with pytest.raises(InputError):
        hosting_capacity(sweep, risk=1.5)


def test_first_violation_year_and_deferral():
    rows = []
    years = [2025, 2026, 2027, 2028, 2029, 2030]
    first = {"uncontrolled": 2027, "v1g": 2029, "v2g": None}
    for strategy, year0 in first.items():
        for year in years:
            for seed in range(10):
                # from year0 on, 3 of 10 draws violate (30 % > 5 %); before it none
                violation = year0 is not None and year >= year0 and seed < 3
                rows.append(
                    {
                        "feeder": "F",
                        "strategy": strategy,
                        "year": year,
                        "seed": seed,
                        "violation": violation,
                    }
                )
    table = pd.DataFrame(rows)
    probs = violation_probability(table, by=("feeder", "strategy", "year"))
    u = probs[probs.strategy == "uncontrolled"].set_index("year")["probability"]
    assert u.tolist() == pytest.approx([0, 0, 0.3, 0.3, 0.3, 0.3])
    fy = first_violation_year(table, risk=0.05).set_index("strategy")
    assert fy.loc["uncontrolled", "first_violation_year"] == 2027
    assert fy.loc["v1g", "first_violation_year"] == 2029
    assert np.isnan(fy.loc["v2g", "first_violation_year"])
    assert fy.loc["v2g", "last_year"] == 2030
    d = deferral_years(fy.reset_index()).set_index("strategy")
    assert d.loc["v1g", "deferral_years"] == 2
    assert not d.loc["v1g", "deferral_is_lower_bound"]
    assert d.loc["v2g", "deferral_years"] == 3  # more than 2030 - 2027
    assert d.loc["v2g", "deferral_is_lower_bound"]
    # a 30 % risk is never exceeded -> no first year, nothing to defer
    fy30 = first_violation_year(table, risk=0.3)
    assert fy30["first_violation_year"].isna().all()
    assert deferral_years(fy30)["deferral_years"].isna().all()


def test_forecast_years_and_deferral_with_confidence():
    rows = []
    # uncontrolled: clean until 2027, then 30 of 60 draws violate; v1g: clean through 2029
    first = {"uncontrolled": 2028, "v1g": 2030}
    for strategy, year0 in first.items():
        for year in range(2025, 2032):
            for seed in range(60):
                violation = year >= year0 and seed < 30
                rows.append(
                    {
                        "feeder": "F",
                        "strategy": strategy,
                        "year": year,
                        "seed": seed,
                        "violation": violation,
                    }
                )
    fy = first_violation_year(pd.DataFrame(rows), risk=0.05).set_index("strategy")
    assert fy.loc["uncontrolled", "safe_through_year"] == 2027
    assert fy.loc["uncontrolled", "violation_demonstrated_year"] == 2028
    assert fy.loc["v1g", "safe_through_year"] == 2029
    assert fy.loc["v1g", "confidence"] == 0.95
    d = deferral_years(fy.reset_index()).set_index("strategy")
    assert d.loc["v1g", "deferral_years"] == 2
    # v1g shown safe through 2029, uncontrolled shown unsafe from 2028: at least 1 year, 90 %
    assert d.loc["v1g", "deferral_years_demonstrated"] == 1
    assert d.loc["v1g", "deferral_confidence"] == pytest.approx(0.90)
    # 10 draws a year show nothing safe: the deferral is not demonstrated
    few = pd.DataFrame([r for r in rows if r["seed"] < 10])
    d_few = deferral_years(first_violation_year(few, risk=0.05))
    assert d_few["deferral_years_demonstrated"].isna().all()
