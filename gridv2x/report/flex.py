"""The report's "Reinforce or flex" section: reinforcement plans, their cost, and V1G/V2G.

Tables (DataFrames; :mod:`gridv2x.report.html` lays them out) built from ``reinforcement.csv``
and ``economics.csv`` of an output folder:

* the cheapest plan per feeder and strategy at the highest EV share (or last year): the draw
  with the median cost and its measures;
* mean reinforcement cost per feeder and strategy against the EV share or year (and its
  present value for adoption forecasts), with a chart;
* the value of V1G and V2G: avoided reinforcement per EV and year, V2G wear, charger extra
  cost, and the break-even extra charger price at which V2G pays for the DSO;
* the household side: the EV's energy bill and power-tariff fee per strategy (charging.prices,
  charging.power_tariff; "–" when the scenario sets no power tariff);
* the prices used and their sources (docs/sources.md §11).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["FlexTables", "flex_tables", "PRICE_SOURCES"]

PRICE_SOURCES: dict[str, str] = {
    "trench_sek_per_km": "[E] docs/sources.md §11; cross-checked with eDisGo (dena/BNetzA) [F]",
    "cable_sek_per_km": "[E] docs/sources.md §11; anchored to eDisGo NAYY 4x150 9 kEUR/km [F]",
    "aerial_sek_per_km": "[E] docs/sources.md §11",
    "transformer_sek": "[E] docs/sources.md §11 (eDisGo 10 kEUR per MV/LV transformer [F])",
    "transformer_exchange_sek": "[E] docs/sources.md §11",
    "substation_sek": "[E] docs/sources.md §11",
    "mv_cable_sek_per_km": "[E] docs/sources.md §11; eDisGo 80-140 kEUR/km [F]",
    "discount_rate_pct": "[R] Ei kalkylränta 2024-2027, real before tax (2020-2023: 2.16 % [F])",
    "asset_lifetime_years": "[E] docs/sources.md §11",
    "charger_plain_sek": "[R] seed report (issue 17): 7-15 kSEK",
    "charger_bidirectional_ac_sek": "[R] seed report (issue 17): 15-30 kSEK",
    "charger_bidirectional_dc_sek": "[R] seed report (issue 17): 40-80 kSEK",
    "charger_lifetime_years": "[E] docs/sources.md §11",
    "wear_cost_sek_per_kwh": "[E] charging.v2g.wear_cost_sek_per_kwh, docs/sources.md §6",
}
"""Tag and source of every price, shown next to the value in the report."""


class FlexTables:
    """What the section shows."""

    def __init__(self) -> None:
        self.plans: pd.DataFrame | None = None
        self.costs: pd.DataFrame | None = None
        self.value: pd.DataFrame | None = None
        self.household: pd.DataFrame | None = None
        self.prices: pd.DataFrame | None = None
        self.figure: go.Figure | None = None
        self.intro: str = ""
        self.notes: list[str] = []


def _read(outdir: Path, name: str) -> pd.DataFrame | None:
    path = Path(outdir) / name
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    return frame if len(frame.columns) else None


def _ksek(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value / 1000:,.0f}"


def _sek(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:,.0f}"


def flex_tables(outdir: str | Path, scenario: dict[str, Any]) -> FlexTables | None:
    """The section's tables from an output folder; None when it has no ``economics.csv``."""
    econ = _read(Path(outdir), "economics.csv")
    if econ is None or econ.empty:
        return None
    measures = _read(Path(outdir), "reinforcement.csv")
    out = FlexTables()
    forecast = econ["year"].notna().any()
    level = "year" if forecast else "ev_share"
    if not forecast:
        econ = econ.assign(ev_share=econ["ev_share"].round(4))
    top = econ[level].max()
    strategies = list(dict.fromkeys(econ["strategy"]))
    out.intro = (
        "What the violations cost to fix with copper, and what V1G and V2G save against it. "
        "Each violating task gets the cheapest-first plan of Swedish DSO measures (next "
        "standard transformer, parallel or larger cable, a new substation splitting the "
        "critical branch), re-checked with the load flow on every simulated step. Costs in "
        "SEK (2025, excl. VAT); the prices and their sources are in the last table. "
        + (
            "Present values at the base year with Ei's regulatory WACC."
            if forecast
            else "Costs are for building now."
        )
    )

    # cheapest plan per feeder and strategy at the top level: the median-cost draw
    rows = []
    for (feeder, strategy), group in econ[econ[level] == top].groupby(
        ["feeder", "strategy"], sort=False
    ):
        group = group.sort_values("reinforcement_cost_sek", kind="stable")
        pick = group.iloc[(len(group) - 1) // 2]
        plan = ""
        if measures is not None and len(measures):
            m = measures[
                (measures["feeder"] == feeder)
                & (measures["strategy"] == strategy)
                & (measures["seed"] == pick["seed"])
                & (
                    (measures["year"] == pick["year"])
                    if forecast
                    else (measures["ev_share"].round(4) == pick["ev_share"])
                )
            ]
            counts = m.groupby(["measure", "to"]).size()
            plan = "; ".join(f"{n} x {kind} → {to}" for (kind, to), n in counts.items())
        rows.append(
            {
                "Feeder": feeder,
                "Strategy": strategy,
                "Plan (median draw)": plan or "none needed",
                "Cost [kSEK]": _ksek(float(pick["reinforcement_cost_sek"])),
                "Mean over draws [kSEK]": _ksek(float(group["reinforcement_cost_sek"].mean())),
                "Fixed in every draw": bool(group["reinforcement_fixed"].astype(bool).all()),
            }
        )
    out.plans = pd.DataFrame(rows).set_index("Feeder")

    # cost against share or year
    column = "present_value_sek" if forecast else "reinforcement_cost_sek"
    mean = econ.groupby(["feeder", "strategy", level], sort=False)[column].mean().reset_index()
    pivot = mean.pivot_table(index=["feeder", "strategy"], columns=level, values=column, sort=False)
    pivot = pivot.reindex(sorted(pivot.columns), axis=1)
    table = pivot.map(_ksek)
    table.columns = [
        f"{int(c)}" if forecast else f"{float(c):.2f} EV/household" for c in table.columns
    ]
    table.index = [f"{f} – {s}" for f, s in table.index]
    out.costs = table
    fig = go.Figure()
    for (feeder, strategy), group in mean.groupby(["feeder", "strategy"], sort=False):
        group = group.sort_values(level)
        fig.add_trace(
            go.Scatter(
                x=group[level],
                y=group[column] / 1000.0,
                mode="lines+markers",
                name=f"{feeder} – {strategy}",
            )
        )
    from gridv2x.report.figure_style import _layout

    _layout(
        fig,
        "Reinforcement cost" + (" (present value)" if forecast else ""),
        "Year" if forecast else "EVs per household [-]",
        "kSEK",
    )
    out.figure = fig

    # value of V1G and V2G
    rows = []
    flex = econ[econ["strategy"] != "uncontrolled"]
    for (feeder, strategy, lvl), group in flex.groupby(["feeder", "strategy", level], sort=True):
        row = {
            "Feeder": feeder,
            "Strategy": strategy,
            ("Year" if forecast else "EVs per household"): (
                int(lvl) if forecast else f"{float(lvl):.2f}"
            ),
            "Avoided reinforcement [SEK per EV and year]": _sek(
                float(group["value_per_ev_year_sek"].mean())
            ),
            "V2G wear [SEK per EV and year]": _sek(
                float((group["wear_cost_sek"] / group["n_evs"].where(group["n_evs"] > 0)).mean())
            ),
            "Charger extra cost [SEK per home]": _sek(
                float(group["charger_extra_cost_sek"].mean())
            ),
            "Break-even charger extra [SEK per home]": (
                _sek(float(group["break_even_charger_extra_sek"].mean()))
                if strategy == "v2g"
                else "–"
            ),
        }
        if forecast:
            row["Deferral [years]"] = (
                "–"
                if group["deferral_years"].isna().all()
                else f"{group['deferral_years'].mean():.1f}"
                + (" +" if group["deferral_is_lower_bound"].astype(bool).any() else "")
            )
        rows.append(row)
    if rows:
        out.value = pd.DataFrame(rows).set_index("Feeder")
    # household side: the EV's energy bill and power-tariff fee per strategy
    house = (
        econ[econ[level] == top]
        .groupby(["feeder", "strategy"], sort=False)[
            ["household_energy_sek_per_ev_year", "household_power_tariff_sek_per_ev_year"]
        ]
        .mean()
    )
    if house.notna().any().any():
        house = house.map(_sek)
        house.columns = [
            "EV energy bill [SEK per EV and year]",
            "Power tariff, EV part [SEK per EV and year]",
        ]
        house.index = [f"{f} – {s}" for f, s in house.index]
        out.household = house
    out.notes.append(
        "Break-even charger extra: the extra price of a bidirectional charger per home at which "
        "the reinforcement V2G avoids beyond V1G (as an annual capital cost over the asset "
        "lifetime, less V2G's battery wear) pays for it over the charger's lifetime; negative: "
        "V2G saves the DSO nothing beyond V1G at that share. Means over draws."
    )
    weeks = (scenario or {}).get("period", {}).get("representative_weeks")
    if weeks:
        out.notes.append(
            f"Simulated {weeks} representative weeks: V2G wear and household bills per year are "
            "scaled from those weeks to a year; with the heaviest weeks (week_selection peak) "
            "that is an upper bound."
        )
    if strategies and "uncontrolled" not in strategies:
        out.notes.append("No uncontrolled strategy: avoided reinforcement cannot be computed.")

    # prices and sources
    prices = []
    section = scenario.get("reinforcement", {}).get("prices", {}) if scenario else {}
    for key, value in section.items():
        if isinstance(value, dict):
            text = ", ".join(f"{k}: {_sek(float(v))}" for k, v in value.items())
        else:
            text = _sek(float(value))
        prices.append(
            {"Price": key, "Value (unit in the name)": text, "Source": PRICE_SOURCES.get(key, "")}
        )
    economics = scenario.get("economics", {}) if scenario else {}
    for key, value in economics.items():
        if key in PRICE_SOURCES:
            prices.append(
                {"Price": key, "Value (unit in the name)": str(value), "Source": PRICE_SOURCES[key]}
            )
    wear = scenario.get("charging", {}).get("v2g", {}).get("wear_cost_sek_per_kwh")
    if wear is not None:
        prices.append(
            {
                "Price": "wear_cost_sek_per_kwh",
                "Value (unit in the name)": str(wear),
                "Source": PRICE_SOURCES["wear_cost_sek_per_kwh"],
            }
        )
    if prices:
        out.prices = pd.DataFrame(prices).set_index("Price")
    return out
