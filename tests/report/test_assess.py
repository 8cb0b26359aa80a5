"""Traffic lights, comparison table, one-sentence answers and study tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridv2x.report import assess
from gridv2x.report.load import DEFAULT_LIMITS

LIMITS = dict(DEFAULT_LIMITS)


def _row(strategy: str, **values) -> dict:
    row = {
        "feeder": "f",
        "strategy": strategy,
        "seed": 0,
        "ev_share": 0.3,
        "n_evs": 15,
        "transformer_peak_kw": 150.0,
        "transformer_max_loading_pct": 60.0,
        "line_max_loading_pct": 50.0,
        "v_min_pu": 0.96,
        "v_max_pu": 1.03,
        "unbalance_max_pct": 0.5,
        "converged_share": 1.0,
        "en50160_compliant": True,
        "ev_charged_kwh": 1000.0,
        "ev_unmet_kwh": 0.0,
    }
    row.update(values)
    return row


def test_traffic_light_rules() -> None:
    summary = pd.DataFrame(
        [
            _row("uncontrolled", transformer_max_loading_pct=112.0, transformer_peak_kw=220.0),
            _row("v1g", transformer_max_loading_pct=93.0, transformer_peak_kw=180.0),
            _row("v2g", transformer_peak_kw=150.0),
            _row("lowv", v_min_pu=0.899),
            _row("nonconv", converged_share=0.99),
            _row("unmet", ev_unmet_kwh=120.0),
            _row("fuse", violates_fuse=True, fuse_overloads=3, violation=False),
        ]
    )
    lights = assess.traffic_lights(summary, LIMITS).set_index("strategy")
    assert lights.loc["uncontrolled", "status"] == "violated"
    assert "transformer loaded 112 %" in lights.loc["uncontrolled", "why"]
    assert lights.loc["v1g", "status"] == "risk"  # 93 % >= 90 % of the 100 % limit
    assert lights.loc["v2g", "status"] == "ok"
    assert lights.loc["lowv", "status"] == "violated"
    assert lights.loc["nonconv", "status"] == "violated"
    assert "did not converge" in lights.loc["nonconv", "why"]
    assert lights.loc["unmet", "status"] == "risk" and "120 kWh" in lights.loc["unmet", "why"]
    # the default criteria leave out the main fuse: shown as a risk, not as a violation
    assert lights.loc["fuse", "status"] == "risk"
    assert "main fuse overloaded at 3 customers" in lights.loc["fuse", "why"]
    answer = assess.feeder_answer(summary, assess.traffic_lights(summary, LIMITS), "f")
    assert answer.startswith("With 30% EVs")
    assert "v1g is at risk" in answer and "peak -18% (180 kW vs 220 kW)" in answer
    assert "v1g is the first that keeps them" in answer
    assert "0.90-1.10 pu" in assess.status_rule_text(LIMITS)


def test_summary_flags_win_over_recomputation() -> None:
    summary = pd.DataFrame(
        [
            _row(
                "uncontrolled",
                violation=True,
                violates_voltage=True,
                violates_unbalance=False,
                first_violation_time="2030-01-14T16:45:00+00:00",
                first_violation_criterion="voltage",
                first_violation_element="bus 7",
            ),
            _row("v1g", violation=False, transformer_max_loading_pct=101.0),
        ]
    )
    lights = assess.traffic_lights(summary, LIMITS).set_index("strategy")
    assert lights.loc["uncontrolled", "status"] == "violated"
    assert lights.loc["uncontrolled", "why"].startswith("voltage outside")
    assert lights.loc["uncontrolled", "why"].endswith(
        "— first: voltage outside the band at bus 7, 2030-01-14 17:45"
    )
    # the pipeline decided: loading 101 % is not a counted criterion here -> not violated,
    # but it is shown as at risk
    assert lights.loc["v1g", "status"] == "risk"


def test_seeds_are_worst_case_and_counted() -> None:
    summary = pd.DataFrame(
        [
            _row("uncontrolled", seed=0),
            _row("uncontrolled", seed=1, v_min_pu=0.85),
            _row("uncontrolled", seed=2),
        ]
    )
    lights = assess.traffic_lights(summary, LIMITS)
    assert lights["status"].tolist() == ["violated"] and "in 1 of 3 runs" in lights["why"].iloc[0]
    table = assess.comparison_table(summary, "f")
    assert table.loc["Lowest customer voltage [pu]", "uncontrolled"] == "0.850"
    assert table.loc["EN 50160 compliant", "uncontrolled"] == "yes"
    assert table.loc["EV share [% of customers]", "uncontrolled"] == "30"


def test_comparison_table_units_and_order() -> None:
    summary = pd.DataFrame(
        [_row("v2g", v2g_virtual_km=800.0), _row("uncontrolled", v2g_virtual_km=0.0)]
    )
    table = assess.comparison_table(summary, "f")
    assert list(table.columns) == ["uncontrolled", "v2g"]
    assert "Transformer peak [kW]" in table.index and "V2G virtual km [km]" in table.index
    assert "Network losses [kWh]" not in table.index  # column absent -> row left out
    assert table.loc["V2G virtual km [km]", "v2g"] == "800"


def test_representative_rows_pick_the_highest_level() -> None:
    summary = pd.DataFrame(
        [
            _row("uncontrolled", ev_share_target=0.2, ev_share=0.21),
            _row("uncontrolled", ev_share_target=0.6, ev_share=0.58, seed=0),
            _row("uncontrolled", ev_share_target=0.6, ev_share=0.62, seed=1),
        ]
    )
    rows = assess.representative_rows(summary)
    assert sorted(rows["ev_share"]) == [0.58, 0.62]  # both seeds of the 60 % level


def test_hosting_gain_table_and_answer() -> None:
    hc = pd.DataFrame(
        {
            "feeder": ["f"] * 3,
            "strategy": ["v2g", "uncontrolled", "v1g"],
            "hosting_capacity_share": [0.6, 0.2, 0.4],
            "hosting_capacity_reached": [False, True, True],
            "first_violation_share": [np.nan, 0.1, 0.3],
        }
    )
    table = assess.hosting_gain_table(hc)
    # issue 16 (contract change): the share is labelled EVs per 100 customers, and a gain
    # over an open-ended capacity (not reached within the studied shares) is "n/a"
    assert table.loc["f", "Hosting capacity uncontrolled [EVs per 100 customers]"] == "20"
    assert table.loc["f", "Hosting capacity v2g [EVs per 100 customers]"] == "≥ 60"
    assert table.loc["f", "Gain of v1g over uncontrolled [EVs per 100 customers]"] == "+20"
    assert table.loc["f", "Gain of v2g over uncontrolled [EVs per 100 customers]"] == "n/a"
    # with stated confidence: lower bounds with the number of EVs, "not demonstrated" else
    shown = hc.assign(
        demonstrated=[True, True, False],
        hosting_capacity_evs=[60.0, 20.0, 0.0],
        draws_total=[180, 200, 30],
        confidence=0.95,
    )
    table = assess.hosting_gain_table(shown)
    assert table.loc["f", "Hosting capacity uncontrolled [EVs per 100 customers]"] == (
        "≥ 20 (20 EVs)"
    )
    assert table.loc["f", "Hosting capacity v1g [EVs per 100 customers]"] == (
        "not demonstrated (30 draws)"
    )
    assert table.loc["f", "Gain of v1g over uncontrolled [EVs per 100 customers]"] == "n/a"
    assert "95% confidence" in assess.hosting_intro(shown, 0.05)
    # study.sweep: ordered draws nothing above the first violating share: a share where every
    # draw violates is "none up to" the highest share drawn, not a blank
    ordered = hc.assign(all_violate_share=np.nan, highest_share_drawn=[0.6, 0.1, 0.3])
    table = assess.hosting_gain_table(ordered)
    assert table.loc["f", "Uncontrolled: every draw violates [EVs per 100 customers]"] == (
        "none up to 10"
    )
    assert table.loc["f", "Uncontrolled: first violating draw [EVs per 100 customers]"] == "10"
    summary = pd.DataFrame([_row("uncontrolled")])
    answer = assess.feeder_answer(
        summary, assess.traffic_lights(summary, LIMITS), "f", hosting_capacity=hc
    )
    assert "20% EVs with uncontrolled" in answer
    assert "at least 60% EVs (the highest share studied) with v2g" in answer


def test_first_violation_years_from_forecast_and_deferral() -> None:
    forecast = pd.DataFrame(
        {
            "feeder": "f",
            "strategy": ["uncontrolled"] * 3 + ["v1g"] * 3,
            "year": [2030, 2031, 2032] * 2,
            "probability": [0.0, 0.2, 1.0, 0.0, 0.0, 0.04],
        }
    )
    years = assess.first_violation_years(forecast, None, risk=0.05).set_index("strategy")
    assert years.loc["uncontrolled", "first_violation_year"] == 2031
    assert np.isnan(years.loc["v1g", "first_violation_year"])
    deferral = pd.DataFrame(
        {
            "feeder": ["f"],
            "strategy": ["v1g"],
            "first_violation_year": [2034.0],
            "uncontrolled_first_violation_year": [2031.0],
            "deferral_years": [3.0],
        }
    )
    years = assess.first_violation_years(None, deferral).set_index("strategy")
    assert years.loc["uncontrolled", "first_violation_year"] == 2031
    assert years.loc["v1g", "first_violation_year"] == 2034


def test_forecast_answer_names_years_and_deferral() -> None:
    summary = pd.DataFrame([_row("uncontrolled"), _row("v1g")])
    deferral = pd.DataFrame(
        {
            "feeder": ["f", "f"],
            "strategy": ["v1g", "v2g"],
            "first_violation_year": [2034.0, np.nan],
            "uncontrolled_first_violation_year": [2031.0, 2031.0],
            "deferral_years": [3.0, 5.0],
            "deferral_is_lower_bound": [False, True],
        }
    )
    answer = assess.feeder_answer(
        summary, assess.traffic_lights(summary, LIMITS), "f", deferral=deferral
    )
    assert "uncontrolled: 2031; v1g: 2034; v2g: no violation in the studied years." in answer
    assert "V1G defers the grid investment by 3 years" in answer
    assert "V2G defers the grid investment by at least 5 years." in answer


def test_forecast_answer_says_what_is_shown_with_confidence() -> None:
    summary = pd.DataFrame([_row("uncontrolled"), _row("v1g")])
    forecast = pd.DataFrame(
        {
            "feeder": "f",
            "strategy": ["uncontrolled"] * 3 + ["v1g"] * 3,
            "year": [2030, 2031, 2032] * 2,
            "n": 60,
            "probability": [0.0, 0.5, 1.0, 0.0, 0.0, 0.5],
            "decision": ["safe", "unsafe", "unsafe", "not_demonstrable", "safe", "unsafe"],
            "confidence": 0.95,
        }
    )
    deferral = pd.DataFrame(
        {
            "feeder": ["f"],
            "strategy": ["v1g"],
            "first_violation_year": [2032.0],
            "uncontrolled_first_violation_year": [2031.0],
            "deferral_years": [1.0],
            "deferral_is_lower_bound": [False],
            "deferral_years_demonstrated": [np.nan],
            "deferral_confidence": [0.9],
        }
    )
    answer = assess.feeder_answer(
        summary, assess.traffic_lights(summary, LIMITS), "f", forecast=forecast, deferral=deferral
    )
    assert "(estimate): uncontrolled: 2031; v1g: 2032." in answer
    assert "Shown with 95% confidence: uncontrolled within the risk through 2030" in answer
    assert "v1g not for any studied year with 180 draws" in answer
    assert "not demonstrated with 90% confidence" in answer
