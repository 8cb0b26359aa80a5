"""The report's study-wide sections: hosting capacity and violation probability, forecast and
deferral, the area ranking of several feeders, flexibility and V2X (markets, backup)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gridv2x.report import assess
from gridv2x.report import v2x as report_v2x
from gridv2x.report.blocks import _FigureCounter, _Section, _Table, _table_from_frame
from gridv2x.report.load import ReportData


def _area_section(
    data: ReportData, fig: _FigureCounter, feeders: list[str]
) -> tuple[_Section | None, list[str]]:
    """The area map and ranking (several feeders), and the feeders shown in detail: all of
    them up to ``area.MAX_DETAIL_FEEDERS``, else those that fail first."""
    from gridv2x.report import area as area_results

    table = area_results.area_table(data.outdir, data.hosting_capacity, data.feeders_geo)
    if table is None:
        return None, feeders
    detail = feeders
    sec = _Section(
        anchor="area",
        title=f"Area: {len(table)} substations",
        intro=(
            "Hosting capacity of every substation (share of customers with an EV at the "
            f"study's risk of {data.risk:.0%}), on the map and ranked: the substations that "
            "fail first are at the top. The binding criterion is the limit with the lowest "
            "capacity when it alone counts (uncontrolled charging). area.csv and "
            "hosting_capacity.gpkg (points and service areas, SWEREF 99 TM) hold the table."
        ),
    )
    try:
        area_map = area_results.area_map_figure(table)
    except Exception as exc:  # noqa: BLE001 - reported in the report itself
        area_map = None
        data.notes.append(
            f"Chart area_map_figure could not be drawn ({type(exc).__name__}: {exc})."
        )
    f = fig(area_map, "Hosting capacity per substation")
    if f is not None:
        sec.figures.append(f)
    shown = table.head(area_results.MAX_RANKED_ROWS)
    sec.tables.append(
        _table_from_frame(
            area_results.ranked_for_report(shown),
            f"The {len(shown)} substations that fail first (of {len(table)})",
            "Rank",
        )
    )
    if len(feeders) > area_results.MAX_DETAIL_FEEDERS:
        detail = [f for f in table["feeder"] if f in feeders][: area_results.MAX_DETAIL_FEEDERS]
        sec.notes.append(
            f"Detail sections are shown for the {len(detail)} substations that fail first; "
            "every substation's numbers are in the tables above and in the output folder."
        )
    return sec, detail


def _study_sections(
    data: ReportData, fig: _FigureCounter, detail: list[str] | None = None
) -> list[_Section]:
    safe = fig.safe
    out = []
    feeders = detail or list(dict.fromkeys(data.summary["feeder"]))
    if data.violation_probability is not None or data.hosting_capacity is not None:
        sec = _Section(
            anchor="hosting-capacity",
            title="Hosting capacity",
            intro=assess.hosting_intro(data.hosting_capacity, data.risk),
        )
        if data.hosting_capacity is not None:
            gains = assess.hosting_gain_table(data.hosting_capacity)
            if gains is not None:
                sec.tables.append(
                    _table_from_frame(gains, "Hosting capacity and the gain of V1G / V2G", "Feeder")
                )
            per_criterion = assess.hosting_criteria_table(data.hosting_capacity)
            if per_criterion is not None:
                sec.tables.append(
                    _table_from_frame(
                        per_criterion,
                        "Hosting capacity if only one criterion counted (which limit binds first)",
                        "Feeder",
                    )
                )
        else:
            sec.notes.append("hosting_capacity.csv missing: gain table omitted.")
        if data.violation_probability is not None:
            vp_feeders = list(dict.fromkeys(data.violation_probability.get("feeder", [])))
            vp_feeders = [f for f in vp_feeders if f in feeders] if detail else vp_feeders
            for feeder in vp_feeders or feeders:
                f = fig(
                    safe.hosting_capacity_figure(
                        data.violation_probability, feeder=feeder, risk=data.risk
                    ),
                    f"Hosting capacity – {feeder}",
                )
                if f is not None:
                    sec.figures.append(f)
        else:
            sec.notes.append("violation_probability.csv missing: hosting-capacity curves omitted.")
        out.append(sec)
    if data.sensitivity is not None and not data.sensitivity.empty:
        from gridv2x.report import sensitivity

        sec = _Section(
            anchor="sensitivity",
            title="Sensitivity: which assumption moves hosting capacity most",
            intro=" ".join(sensitivity.dominant_sentences(data.sensitivity)),
        )
        for (feeder, strategy), _rows in data.sensitivity.groupby(["feeder", "strategy"]):
            f = fig(
                sensitivity.tornado_figure(data.sensitivity, feeder=feeder, strategy=strategy),
                f"Sensitivity – {feeder}, {strategy}",
            )
            if f is not None:
                sec.figures.append(f)
        out.append(sec)
    if data.forecast is not None or data.deferral is not None:
        sec = _Section(anchor="forecast", title="Adoption forecast and investment deferral")
        years = assess.first_violation_years(data.forecast, data.deferral, data.risk)
        last = None
        if data.forecast is not None and "year" in data.forecast.columns:
            last = int(pd.to_numeric(data.forecast["year"], errors="coerce").max())
        f = fig(safe.first_violation_year_figure(years, last_year=last), "First violation year")
        if f is not None:
            sec.figures.append(f)
        if data.deferral is not None:
            sec.tables.append(_deferral_table(data.deferral))
        if data.forecast is not None:
            for feeder in dict.fromkeys(data.forecast.get("feeder", [])):
                f = fig(
                    safe.forecast_probability_figure(data.forecast, feeder=feeder, risk=data.risk),
                    f"Forecast – {feeder}",
                )
                if f is not None:
                    sec.figures.append(f)
        out.append(sec)
    v2x_section = _v2x_section(data, fig)
    if v2x_section is not None:
        out.append(v2x_section)
    flex = _flex_section(data, fig)
    if flex is not None:
        out.append(flex)
    return out


def _flex_section(data: ReportData, fig: _FigureCounter) -> _Section | None:
    """ "Reinforce or flex" (gridv2x.report.flex), when the study planned reinforcement."""
    from gridv2x.report.flex import flex_tables

    tables = flex_tables(data.outdir, data.scenario)
    if tables is None:
        return None
    sec = _Section(anchor="reinforce-or-flex", title="Reinforce or flex", intro=tables.intro)
    for frame, caption, label in (
        (tables.plans, "Cheapest plan per strategy at the highest EV share / last year", "Feeder"),
        (tables.costs, "Mean reinforcement cost [kSEK] against EV share or year", "Feeder"),
        (tables.value, "Value of V1G and V2G against copper", "Feeder"),
        (tables.household, "Household side at the highest EV share / last year", "Feeder"),
        (tables.prices, "Prices used and their sources (docs/sources.md §11)", "Price"),
    ):
        if frame is not None:
            sec.tables.append(_table_from_frame(frame, caption, label))
    f = fig(tables.figure, "Reinforcement cost")
    if f is not None:
        sec.figures.append(f)
    sec.notes += tables.notes
    return sec


def _v2x_section(data: ReportData, fig: _FigureCounter) -> _Section | None:
    """'V2X beyond the feeder': flexibility by hour, EVs per market product, V2H backup."""
    if data.flexibility is None and data.markets is None and data.resilience is None:
        return None
    sec = _Section(
        anchor="v2x",
        title="V2X beyond the feeder",
        intro=(
            "What the plugged-in fleet can offer besides peak shaving: power it can shift up "
            "(less charging, or discharge) and down (more charging) for a whole offer without "
            "breaking any car's departure need, also within the feeder's limits (linearised "
            "load-flow sensitivities); the EVs an aggregator needs to reach each market "
            "product's minimum bid with the required availability (this feeder's fleet scaled "
            "linearly, an estimate); and how long V2H cars carry their homes in an outage. "
            "Shown at the highest EV share or last year; product figures in docs/sources.md §12."
        ),
    )
    charger = report_v2x.charger_note(data.summary)
    if charger is not None:
        sec.intro += " " + charger
    feeders = list(dict.fromkeys(data.summary["feeder"].astype(str)))
    for feeder in feeders:
        flex = report_v2x.at_charted_level(data.flexibility, feeder)
        try:
            figure = report_v2x.flexibility_by_hour_figure(flex, feeder=feeder)
        except Exception as exc:  # noqa: BLE001 - a chart, never the report
            sec.notes.append(f"Chart flexibility_by_hour for {feeder} could not be drawn ({exc}).")
            figure = None
        f = fig(figure, f"Flexibility per EV by hour – {feeder}")
        if f is not None:
            sec.figures.append(f)
        products = report_v2x.evs_needed_table(report_v2x.at_charted_level(data.markets, feeder))
        if products is not None:
            sec.tables.append(
                _table_from_frame(
                    products,
                    f"EVs needed per market product within the grid limits – {feeder} "
                    "(median over draws; 'best hour': offered in one hour of the day only)",
                    "Product",
                )
            )
        backup = report_v2x.backup_table(report_v2x.at_charted_level(data.resilience, feeder))
        if backup is not None:
            sec.tables.append(
                _table_from_frame(
                    backup,
                    f"V2H backup in an outage – {feeder} (V2G cars; mean over draws and starts)",
                    "Outage starts",
                )
            )
    return sec


_DEFERRAL_LABELS = {
    "feeder": "Feeder",
    "strategy": "Strategy",
    "first_violation_year": "First violation year",
    "uncontrolled_first_violation_year": "Uncontrolled: first violation year",
    "deferral_years": "Deferral of investment [years]",
    "deferral_is_lower_bound": "Deferral is a lower bound (no violation in horizon)",
    "deferral_years_demonstrated": "Deferral shown with confidence [years]",
    "deferral_confidence": "Confidence of the shown deferral [-]",
    "first_year": "First studied year",
    "last_year": "Last studied year",
    "probability_last_year": "Violation probability in last year [-]",
}


def _deferral_table(deferral: pd.DataFrame) -> _Table:
    def cell(v: Any) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "–"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, float):
            return f"{v:.2f}"
        return str(v)

    return _Table(
        caption="Years of grid-investment deferral that V1G / V2G buy over uncontrolled charging",
        header=[_DEFERRAL_LABELS.get(c, str(c)) for c in deferral.columns],
        rows=[[cell(v) for v in row] for row in deferral.itertuples(index=False)],
        first_is_label=True,
    )
