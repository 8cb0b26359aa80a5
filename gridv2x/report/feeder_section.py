"""The report's section of one feeder: its facts, the strategies side by side on the charted
task (load, voltage, loading, EV figures) and the EV table with energy cost."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridv2x import results
from gridv2x.report import assess
from gridv2x.report.blocks import _FigureCounter, _Section, _Table, _table_from_frame
from gridv2x.report.load import ReportData, TaskData


def _feeder_facts(data: ReportData, feeder: str, rows: pd.DataFrame) -> str:
    """One line on the feeder: customers, transformer rating, EVs."""
    facts = []
    if "n_customers" in rows and rows["n_customers"].notna().any():
        facts.append(f"{int(rows['n_customers'].max())} customers")
    geo = data.feeders_geo.get(feeder) or {}
    ratings = [
        (f.get("properties") or {}).get("sn_kva")
        for f in geo.get("features", [])
        if (f.get("properties") or {}).get("kind") == "substation"
    ]
    kva = [float(k) for k in ratings if isinstance(k, int | float)]
    if kva:
        facts.append(f"secondary substation {sum(kva):,.0f} kVA")
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
        shown.append(
            "the highest EV share drawn for every strategy "
            f"({level['ev_share_target']:.0%} of customers)"
        )
    elif pd.notna(level.get("year", np.nan)):
        shown.append(f"the last forecast year drawn for every strategy ({int(level['year'])})")
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
