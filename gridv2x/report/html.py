"""Assemble the self-contained HTML report of a study's output folder.

:func:`build_report` reads the output folder (``docs/architecture.md``, "Results store"),
builds the figures of :mod:`gridv2x.report.figures` and renders the Jinja2 template
``templates/report.html.j2`` with autoescaping. The file embeds ONE copy of plotly.js and
requests nothing from outside (no CDN, no MathJax, no web fonts, no map tiles), so it opens
offline and can be attached to an e-mail.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from gridv2x import results
from gridv2x.report import assess
from gridv2x.report import figures as figs
from gridv2x.report import v2x as report_v2x
from gridv2x.report.csp import lock_scripts
from gridv2x.report.load import ReportData, TaskData, load_results

__all__ = ["build_report", "render_report", "REPORT_NAME"]

REPORT_NAME = results.REPORT_FILE
MAX_TASK_ROWS = 500
"""Rows of the "all tasks" table embedded in the report (the full table is summary.csv)."""
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showSendToCloud": False,
    # nothing in the report may send data anywhere: no "Share chart..." (Plotly Cloud) button
    "modeBarButtonsToRemove": ["sendChartToCloud", "sendDataToCloud"],
}


@dataclass
class _Figure:
    title: str
    html: Markup
    caption: str = ""


@dataclass
class _Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    first_is_label: bool = True


@dataclass
class _Section:
    anchor: str
    title: str
    intro: str = ""
    tables: list[_Table] = field(default_factory=list)
    figures: list[_Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    subsections: list[_Section] = field(default_factory=list)


class _SafeFigures:
    """The figure functions, each turning an unexpected error into a note and ``None``.

    A malformed optional input must cost one chart, never the whole report; the note names
    the chart and the error, so nothing is hidden (tests assert there is none).
    """

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes

    def __getattr__(self, name: str) -> Any:
        func = getattr(figs, name)

        def call(*args: Any, **kwargs: Any) -> go.Figure | None:
            try:
                return func(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - reported in the report itself
                feeder = kwargs.get("feeder")
                where = f" for {feeder}" if feeder else ""
                self.notes.append(
                    f"Chart {name}{where} could not be drawn ({type(exc).__name__}: {exc})."
                )
                return None

        return call


class _FigureCounter:
    """Gives each embedded figure a unique div id and renders it without plotly.js."""

    def __init__(self, notes: list[str] | None = None) -> None:
        self.n = 0
        self.safe = _SafeFigures(notes if notes is not None else [])

    def __call__(self, fig: go.Figure | None, title: str, caption: str = "") -> _Figure | None:
        if fig is None:
            return None
        self.n += 1
        div = pio.to_html(
            fig,
            include_plotlyjs=False,
            include_mathjax=False,
            full_html=False,
            div_id=f"fig-{self.n}",
            config=PLOTLY_CONFIG,
            default_width="100%",
            default_height=f"{int(fig.layout.height or 400)}px",
            validate=False,
        )
        # plotly's JSON escapes "<", ">" and "/" inside strings, so user text cannot close the
        # script element; the markup is therefore safe to embed as is.
        return _Figure(title=title, html=Markup(div), caption=caption)


def _table_from_frame(frame: pd.DataFrame, caption: str, index_label: str = "") -> _Table:
    header = [index_label or (frame.index.name or "")] + [str(c) for c in frame.columns]
    rows = [[str(i)] + ["" if pd.isna(v) else str(v) for v in row] for i, row in frame.iterrows()]
    return _Table(caption=caption, header=header, rows=rows)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key, sub in value.items():
            out.extend(_flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        out = []
        for i, sub in enumerate(value):
            out.extend(_flatten(sub, f"{prefix}[{i}]"))
        return out
    if isinstance(value, list):
        return [(prefix, ", ".join(str(v) for v in value))]
    return [(prefix, "" if value is None else str(value))]


def _nonconverged(summary: pd.DataFrame) -> list[str]:
    if "converged_share" not in summary.columns:
        return []
    share = pd.to_numeric(summary["converged_share"], errors="coerce")
    bad = summary[share < 1.0]
    out = []
    for _, row in bad.iterrows():
        bits = [f"{row['feeder']} / {row['strategy']}"]
        for key in ("seed", "ev_share"):
            if key in row and pd.notna(row[key]):
                bits.append(f"{key} {row[key]}")
        bits.append(f"{100 * (1 - float(row['converged_share'])):.2f} % of steps not converged")
        out.append(", ".join(bits))
    return out


def _failures(provenance: dict) -> list[str]:
    failures = provenance.get("failures") if isinstance(provenance, dict) else None
    if isinstance(failures, dict):
        return [
            f"{task}: {str(msg).splitlines()[-1] if msg else ''}" for task, msg in failures.items()
        ]
    if isinstance(failures, list):
        return [str(f) for f in failures]
    return []


def _representative_weeks(summary: pd.DataFrame, period: dict) -> dict[str, Any] | None:
    """The note on a study run on representative weeks: which weeks, and what that means.

    Returns ``None`` for a study over its whole period (no ``simulated_weeks`` column).
    """
    if "simulated_weeks" not in summary.columns:
        return None
    rows = summary[summary["simulated_weeks"].notna()]
    if rows.empty:
        return None
    n_weeks = period.get("representative_weeks") or "some"
    rule = period.get("week_selection", "peak")
    how = {
        "peak": "the weeks with the highest feeder base-load peak",
        "spread": "one typical week (median mean base load) per equal block of the period",
    }.get(str(rule), str(rule))
    text = (
        f"This study simulated {n_weeks} calendar weeks (Monday to Monday) of each draw instead "
        f"of the whole period: {how}, chosen from the draw's household load (rule "
        f"'{rule}'). Peaks, voltages and violations are over these weeks; energy totals and "
        "hours (losses, EV energy, hours above limits) are sums over the simulated weeks, not "
        "the year (summary column period_weight gives the scale; an estimate for the whole "
        "period only with rule 'spread'). Error against the full year: "
        "docs/representative-weeks.md. Weeks simulated (Monday, ISO week, draws that chose it):"
    )
    items = []
    for feeder, group in rows.groupby("feeder", sort=False):
        draws = group.drop_duplicates(subset=[c for c in ("seed",) if c in group.columns])
        counts: dict[str, int] = {}
        for value in draws["simulated_weeks"].astype(str):
            for week in value.split(";"):
                week = week.strip()
                if week:
                    counts[week] = counts.get(week, 0) + 1
        weeks = ", ".join(
            f"{week} (W{pd.Timestamp(week).isocalendar()[1]:02d}, {count} of {len(draws)})"
            for week, count in sorted(counts.items())
        )
        items.append(f"{feeder}: {weeks}")
    return {"text": text, "items": items}


def _feeder_facts(data: ReportData, feeder: str, rows: pd.DataFrame) -> str:
    """One line on the feeder: customers, transformer rating, EVs."""
    facts = []
    if "n_customers" in rows and rows["n_customers"].notna().any():
        facts.append(f"{int(rows['n_customers'].max())} customers")
    geo = data.feeders_geo.get(feeder) or {}
    kva = [
        (f.get("properties") or {}).get("sn_kva")
        for f in geo.get("features", [])
        if (f.get("properties") or {}).get("kind") == "substation"
    ]
    ratings = [float(k) for k in kva if isinstance(k, int | float)]
    if ratings:
        facts.append(f"secondary substation {sum(ratings):,.0f} kVA")
    if "n_evs" in rows and rows["n_evs"].notna().any():
        n_evs = pd.to_numeric(rows["n_evs"], errors="coerce")
        text = (
            f"{n_evs.min():.0f} EVs"
            if n_evs.min() == n_evs.max()
            else f"{n_evs.min():.0f}–{n_evs.max():.0f} EVs"
        )
        facts.append(text)
    return (", ".join(facts) + ".") if facts else ""


def _has_data(task: TaskData) -> bool:
    return any(getattr(task, name, None) is not None for name in results.TASK_FRAMES)


def _detail_tasks(summary: pd.DataFrame, feeder: str) -> dict[str, str]:
    """Per strategy the task shown in detail charts (:func:`gridv2x.results.charted_tasks`)."""
    return results.charted_tasks(summary, feeder, assess.order_strategies(summary["strategy"]))


def _feeder_section(data: ReportData, feeder: str, index: int, fig: _FigureCounter) -> _Section:
    limits = data.limits
    safe = fig.safe
    section = _Section(anchor=f"feeder-{index}", title=f"Feeder {feeder}")
    table = assess.comparison_table(data.summary, feeder)
    if not table.empty:
        section.tables.append(
            _table_from_frame(
                table,
                "Strategies side by side (worst case over seeds for extremes, mean for energies)",
                index_label="Metric",
            )
        )
    tasks = _detail_tasks(data.summary, feeder)
    if not tasks:
        section.notes.append("No stored per-task results for this feeder: detail charts omitted.")
        return section
    loaded = {s: data.task(t) for s, t in tasks.items()}
    missing_tasks = [s for s, t in loaded.items() if not _has_data(t)]
    loaded = {s: t for s, t in loaded.items() if _has_data(t)}
    if not loaded:
        section.notes.append("No stored per-task results for this feeder: detail charts omitted.")
        return section
    if missing_tasks:
        section.notes.append(
            f"No stored results for {', '.join(missing_tasks)}: left out of the detail charts."
        )
    rep = assess.representative_rows(data.summary)
    rep = rep[rep["feeder"] == feeder]
    shown = []
    if "seed" in rep.columns and rep["seed"].nunique() > 1:
        shown.append("the lowest seed")
    level = {
        c: pd.to_numeric(rep[c], errors="coerce").max() for c in assess.LEVEL_COLUMNS if c in rep
    }
    if pd.notna(level.get("ev_share_target", np.nan)):
        shown.append(f"the highest EV share studied ({level['ev_share_target']:.0%} of customers)")
    elif pd.notna(level.get("year", np.nan)):
        shown.append(f"the last forecast year ({int(level['year'])})")
    seed_text = ("Detail charts show " + " at ".join(shown) + ".") if shown else ""
    section.intro = (_feeder_facts(data, feeder, rep) + " " + seed_text).strip()

    ts = {s: t.timeseries for s, t in loaded.items() if t.timeseries is not None}
    missing = [s for s, t in loaded.items() if t.timeseries is None]
    if missing:
        section.notes.append(f"timeseries.parquet missing for {', '.join(missing)}.")
    items = [
        fig(
            safe.transformer_loading_figure(
                ts, limit_pct=float(limits["transformer_loading_pct"]), feeder=feeder
            ),
            "Transformer loading over time",
            "Daily maximum (solid) and mean (dotted) of the 15-minute loading; the full series "
            "is in results/<task>/timeseries.parquet.",
        ),
        fig(
            safe.duration_curve_figure(
                ts, limit_pct=float(limits["transformer_loading_pct"]), feeder=feeder
            ),
            "Transformer loading duration curve",
            "How much of the time each loading is exceeded, from every step of the period.",
        ),
    ]
    items.append(
        fig(
            safe.peak_day_figure(ts, feeder=feeder),
            "Peak day",
            "The day of the highest transformer load with uncontrolled charging, at full "
            "resolution: how each strategy moves the EV load.",
        )
    )
    daily = {s: t.voltage_daily for s, t in loaded.items() if t.voltage_daily is not None}
    items.append(
        fig(
            safe.voltage_heatmap_figure(daily, v_min_pu=float(limits["v_min_pu"]), feeder=feeder),
            "Voltage heat map",
            "Each customer's lowest voltage of each day; use the buttons to switch strategy.",
        )
    )
    cust = {s: t.customers for s, t in loaded.items() if t.customers is not None}
    items.append(
        fig(
            safe.voltage_envelope_figure(
                cust,
                v_min_pu=float(limits["v_min_pu"]),
                v_max_pu=float(limits["v_max_pu"]),
                planning_band=(
                    float(limits["planning_v_min_pu"]),
                    float(limits["planning_v_max_pu"]),
                ),
                feeder=feeder,
            ),
            "Voltage envelope per customer",
            "Bars span each customer's lowest to highest voltage over the period; the tick marks "
            "the 5th percentile.",
        )
    )
    geo = data.feeders_geo.get(feeder)
    if geo is not None:
        items.append(
            fig(
                safe.feeder_map_figure(
                    geo,
                    by_strategy={s: (t.elements, t.customers) for s, t in loaded.items()},
                    v_min_pu=float(limits["v_min_pu"]),
                    feeder=feeder,
                ),
                "Feeder map",
                "Coordinates in SWEREF 99 TM (EPSG:3006), equal scale on both axes; use the "
                "buttons to switch strategy.",
            )
        )
    else:
        section.notes.append(f"results/feeders/{feeder}.geojson missing: feeder map omitted.")
    unb = safe.unbalance_figure(ts, limit_pct=float(limits["unbalance_pct"]), feeder=feeder)
    if unb is None:
        section.notes.append("No unbalance values (balanced load flow): unbalance chart omitted.")
    items.append(fig(unb, "Voltage unbalance", "Highest voltage unbalance factor in the feeder."))
    soc = {s: t.soc for s, t in loaded.items() if t.soc is not None}
    items.append(
        fig(
            safe.soc_figure(soc, feeder=feeder),
            "Example EV state of charge",
            "Up to five example EVs over the first week; use the buttons to switch strategy.",
        )
    )
    section.figures = [f for f in items if f is not None]

    fleet = _Section(anchor=f"fleet-{index}", title=f"EV fleet and driving – {feeder}")
    sessions = data.sessions.get(feeder)
    evs = next((t.evs for t in loaded.values() if t.evs is not None), None)
    fleet_items = [
        fig(safe.daily_distance_figure(sessions, feeder=feeder), "Daily driving distance"),
        fig(safe.arrival_departure_figure(sessions, feeder=feeder), "Arrivals and departures"),
        fig(safe.evs_per_area_figure(evs, feeder=feeder), "EVs per area"),
        fig(
            safe.base_load_duration_figure(data.base_load.get(feeder), feeder=feeder),
            "Base load per dwelling type",
        ),
    ]
    fleet.figures = [f for f in fleet_items if f is not None]
    if sessions is None:
        fleet.notes.append(
            f"results/fleet/{feeder}-seed<k>.parquet missing: driving statistics omitted."
        )
    ev_table = _ev_table(loaded, synthetic_prices=_synthetic_prices(data))
    if ev_table is not None:
        fleet.tables.append(ev_table)
    if fleet.figures or fleet.tables or fleet.notes:
        section.subsections.append(fleet)
    return section


SYNTHETIC_PRICE_CAVEAT = (
    "EV energy costs use the shipped synthetic SE3 price example (gridv2x/charging/data, not "
    "market data): they show how the strategies rank, not what charging costs; give "
    "charging.price_file with day-ahead prices for costs to quote."
)
"""Caption added wherever costs come from the shipped example prices."""


def _synthetic_prices(data: ReportData) -> bool:
    """Whether the study's costs come from the shipped synthetic example prices."""
    scenario = data.scenario if isinstance(data.scenario, dict) else {}
    charging = scenario.get("charging")
    return isinstance(charging, dict) and not charging.get("price_file")


def _ev_table(loaded: dict, *, synthetic_prices: bool = False) -> _Table | None:
    rows = []
    for strategy, task in loaded.items():
        evs = task.evs
        if evs is None or evs.empty:
            continue

        def total(col: str, frame: pd.DataFrame = evs) -> str:
            if col not in frame.columns:
                return "–"
            return f"{pd.to_numeric(frame[col], errors='coerce').sum():,.0f}"

        def mean(col: str, fmt: str, frame: pd.DataFrame = evs) -> str:
            if col not in frame.columns:
                return "–"
            return fmt.format(pd.to_numeric(frame[col], errors="coerce").mean())

        rows.append(
            [
                strategy,
                str(len(evs)),
                total("charged_kwh"),
                total("discharged_kwh"),
                total("throughput_kwh"),
                total("unmet_kwh"),
                total("virtual_km"),
                mean("degradation_pct", "{:.3f}"),
                total("energy_cost_sek"),
            ]
        )
    if not rows:
        return None
    return _Table(
        caption="EV energy per strategy (all EVs of the detail run)"
        + (f". {SYNTHETIC_PRICE_CAVEAT}" if synthetic_prices else ""),
        header=[
            "Strategy",
            "EVs",
            "Charged [kWh]",
            "Discharged to grid [kWh]",
            "Battery throughput [kWh]",
            "Unmet [kWh]",
            "V2G virtual km [km]",
            "Mean degradation per EV [%]",
            "EV energy cost [SEK]",
        ],
        rows=rows,
    )


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


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("gridv2x.report", "templates"),
        autoescape=select_autoescape(["html", "j2", "html.j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(data: ReportData) -> str:
    """Render the report of already loaded results to an HTML string.

    Parameters
    ----------
    data : gridv2x.report.load.ReportData
        Results read with :func:`gridv2x.report.load.load_results`.

    Returns
    -------
    str
        The complete, self-contained HTML document.
    """
    from plotly.offline import get_plotlyjs

    import gridv2x

    fig = _FigureCounter(data.notes)
    summary = data.summary
    limits = data.limits
    feeders = list(dict.fromkeys(summary["feeder"]))
    lights = assess.traffic_lights(summary, limits)
    strategies = assess.order_strategies(summary["strategy"])
    light_rows = []
    for feeder in feeders:
        fl = lights[lights["feeder"] == feeder].set_index("strategy")
        cells = [
            fl.loc[s].to_dict() | {"strategy": s} if s in fl.index else None for s in strategies
        ]
        light_rows.append(
            {
                "feeder": feeder,
                "cells": cells,
                "answer": assess.feeder_answer(
                    summary,
                    lights,
                    feeder,
                    hosting_capacity=data.hosting_capacity,
                    deferral=data.deferral,
                    forecast=data.forecast,
                    risk=data.risk,
                ),
            }
        )
    area, detail = _area_section(data, fig, feeders)
    study_sections = ([area] if area else []) + _study_sections(data, fig, detail)
    feeder_sections = [_feeder_section(data, f, i, fig) for i, f in enumerate(detail)]

    scenario = data.scenario if isinstance(data.scenario, dict) else {}
    period = scenario.get("period")
    period = period if isinstance(period, dict) else {}
    extra_cols = [c for c in summary.columns if c not in ("task_id",) and not c.startswith("_")]
    shown = summary[extra_cols].head(MAX_TASK_ROWS)
    caption = "Every task of the study (summary.csv)"
    if len(summary) > MAX_TASK_ROWS:
        caption = f"The first {MAX_TASK_ROWS} of {len(summary)} tasks (all are in summary.csv)"
    if "ev_energy_cost_sek" in summary.columns and _synthetic_prices(data):
        caption += f". ev_energy_cost_sek: {SYNTHETIC_PRICE_CAVEAT}"
    all_rows = _Table(
        caption=caption,
        header=[str(c) for c in extra_cols],
        rows=[
            ["" if pd.isna(v) else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in row]
            for row in shown.itertuples(index=False)
        ],
        first_is_label=False,
    )
    rep = assess.representative_rows(summary)
    light_caption = "Status per feeder and charging strategy"
    for column, fmt in (
        ("ev_share_target", "{:.0%} of customers with an EV"),
        ("year", "year {:.0f}"),
    ):
        if column in rep.columns and pd.to_numeric(rep[column], errors="coerce").notna().any():
            levels = pd.to_numeric(rep[column], errors="coerce").dropna().unique()
            light_caption += (
                " at the most stressed level studied ("
                + ", ".join(fmt.format(v) for v in sorted(levels))
                + ")"
            )
            break
    context = {
        "light_caption": light_caption,
        "title": str(scenario.get("name") or data.outdir.name),
        "description": str(scenario.get("description") or ""),
        "kind": data.kind,
        "period": period,
        "weeks_note": _representative_weeks(summary, period),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": getattr(gridv2x, "__version__", "?"),
        "strategies": strategies,
        "light_rows": light_rows,
        "rule_text": assess.status_rule_text(limits),
        "nonconverged": _nonconverged(summary),
        "failures": _failures(data.provenance),
        "study_sections": study_sections,
        "feeder_sections": feeder_sections,
        "all_rows": all_rows,
        "provenance": _flatten(data.provenance) if data.provenance else [],
        "scenario_text": data.scenario_text,
        "notes": data.notes,
        "plotlyjs": Markup(get_plotlyjs()),
        "n_figures": fig.n,
    }
    html = _environment().get_template("report.html.j2").render(**context)
    return lock_scripts(html)  # CSP: only the report's own inline scripts run (by hash)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def build_report(outdir: str | os.PathLike[str]) -> Path:
    """Build ``outdir/report.html`` from a study's stored results, without rerunning anything.

    Parameters
    ----------
    outdir : str or os.PathLike
        Output folder of ``gridv2x run`` (``summary.csv``, ``results/``, ... as in
        ``docs/architecture.md``). Missing optional pieces (hosting-capacity tables, geodata,
        fleet data, per-task parquet files) leave their section out with a short note.

    Returns
    -------
    pathlib.Path
        Path of the written ``report.html`` (self-contained: one embedded plotly.js, no request
        to anything outside the file).

    Raises
    ------
    gridv2x.errors.InputError
        If ``outdir`` holds no ``summary.csv``.
    """
    outdir = Path(outdir)
    html_text = render_report(load_results(outdir))
    target = outdir / REPORT_NAME
    # write atomically: a reader never sees half a report, an old report survives a failure
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=outdir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html_text)
        os.chmod(tmp, 0o666 & ~_umask())  # a normal readable file, not mkstemp's 0600
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
