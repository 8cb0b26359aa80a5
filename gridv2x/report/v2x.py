"""Report pieces of "V2X beyond the feeder": flexibility by hour, EVs per product, backup hours.

Pure functions from the study tables ``flexibility.csv``, ``markets.csv`` and
``resilience.csv`` (:mod:`gridv2x.v2x`) to plotly figures and display tables. A study with
several EV shares or years is shown at one level per feeder: the highest share (or the last
year), the level the report charts elsewhere. Values over draws are their mean (flexibility,
backup) or median (EVs needed): each draw's figure is already a probability over its steps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridv2x.report.figure_style import _layout, _t, strategy_color
from gridv2x.results import charted_level

__all__ = [
    "at_charted_level",
    "flexibility_by_hour_figure",
    "evs_needed_table",
    "backup_table",
    "charger_note",
]


def at_charted_level(table: pd.DataFrame | None, feeder: str) -> pd.DataFrame | None:
    """Rows of ``feeder`` at its highest EV share or last year that every strategy of the
    table reached (:func:`gridv2x.results.charted_level`, the rule of the charted task)."""
    if table is None or table.empty or "feeder" not in table:
        return None
    rows = table[table["feeder"].astype(str) == str(feeder)]
    for level in ("ev_share", "year"):
        if level in rows and rows[level].notna().any():
            values = pd.to_numeric(rows[level], errors="coerce")
            strategy = rows["strategy"] if "strategy" in rows else rows["feeder"]
            rows = rows[values == charted_level(rows["feeder"], strategy, values)]
    return rows if len(rows) else None


def flexibility_by_hour_figure(
    flexibility: pd.DataFrame | None, *, feeder: str = "", duration_min: int = 60
) -> go.Figure | None:
    """P95 flexibility per EV by hour of day, up and down, V1G against V2G.

    Parameters
    ----------
    flexibility : pandas.DataFrame or None
        Rows of ``flexibility.csv`` of one feeder at one level (:func:`at_charted_level`).
    feeder : str
        Feeder name for the title.
    duration_min : int
        Offer duration shown [min] (the nearest computed one).

    Returns
    -------
    plotly.graph_objects.Figure or None
        Solid lines without grid limits, dashed within them; mean over seasons and draws.
    """
    if flexibility is None or flexibility.empty:
        return None
    frame = flexibility[flexibility["strategy"].isin(["v1g", "v2g"])]
    if frame.empty:
        return None
    durations = sorted(pd.to_numeric(frame["duration_min"]).unique())
    shown = min(durations, key=lambda d: abs(d - duration_min))
    frame = frame[pd.to_numeric(frame["duration_min"]) == shown]
    fig = go.Figure()
    for position, (strategy, rows) in enumerate(frame.groupby("strategy", sort=True)):
        color = strategy_color(strategy, position)
        for constrained, dash in ((False, "solid"), (True, "dash")):
            sub = rows[rows["grid_constrained"].astype(str).str.lower() == str(constrained).lower()]
            if sub.empty:
                continue
            by_hour = sub.groupby("hour")[["up_kw_per_ev_p95", "down_kw_per_ev_p95"]].mean()
            label = f"{_t(strategy).upper()}{' within grid limits' if constrained else ''}"
            for column, sign, word in (
                ("up_kw_per_ev_p95", 1.0, "up"),
                ("down_kw_per_ev_p95", -1.0, "down"),
            ):
                fig.add_trace(
                    go.Scatter(
                        x=by_hour.index.to_numpy(),
                        y=np.round(sign * by_hour[column].to_numpy(), 3),
                        mode="lines",
                        name=f"{label}: {word}",
                        line={"color": color, "dash": dash, "width": 2 if word == "up" else 1.5},
                        hovertemplate=f"{label} {word}<br>%{{x}} h: %{{y:.2f}} kW/EV<extra></extra>",
                    )
                )
    if not fig.data:
        return None
    fig.add_hline(y=0.0, line={"color": "#888", "width": 1})
    return _layout(
        fig,
        f"Flexibility per EV available in 95 % of steps, {shown:g}-min offers – {_t(feeder)}",
        "hour of day (local)",
        "up (+) / down (−) per EV [kW]",
    )


def evs_needed_table(
    markets: pd.DataFrame | None, *, grid_constrained: bool = True
) -> pd.DataFrame | None:
    """EVs needed per market product, V1G against V2G (median over draws).

    Parameters
    ----------
    markets : pandas.DataFrame or None
        Rows of ``markets.csv`` of one feeder at one level.
    grid_constrained : bool
        Use the offers within the feeder's limits.

    Returns
    -------
    pandas.DataFrame or None
        Indexed by product: minimum bid, duration, availability, and per strategy the kW per
        EV and the EVs needed around the clock and in the best hour ("not offerable" where the
        fleet offers nothing at that availability).
    """
    if markets is None or markets.empty:
        return None
    frame = markets[markets["strategy"].isin(["v1g", "v2g"])]
    flag = frame["grid_constrained"].astype(str).str.lower() == str(grid_constrained).lower()
    if flag.any():
        frame = frame[flag]
    if frame.empty:
        return None
    order = list(dict.fromkeys(frame["product"]))
    first = frame.drop_duplicates("product").set_index("product").reindex(order)
    out = pd.DataFrame(
        {
            "Min bid [kW]": first["min_bid_kw"].map(lambda v: f"{v:,.0f}"),
            "Held for [min]": first["duration_min"].map(lambda v: f"{v:g}"),
            "Availability": first["availability"].map(lambda v: f"{v:.0%}"),
        },
        index=pd.Index(order, name="product"),
    )

    def evs(values: pd.Series) -> str:
        values = pd.to_numeric(values, errors="coerce")
        if values.isna().mean() > 0.5:
            return "not offerable"
        value = float(values.median())
        return "not offerable" if math.isnan(value) else f"{value:,.0f}"

    for strategy, rows in frame.groupby("strategy", sort=True):
        grouped = rows.groupby("product", sort=False)
        per_ev = grouped["per_ev_kw"].median().reindex(order)
        out[f"{strategy.upper()} kW/EV"] = per_ev.map(lambda v: f"{v:.2f}")
        out[f"{strategy.upper()} EVs needed"] = grouped["evs_needed"].agg(evs).reindex(order)
        out[f"{strategy.upper()} EVs, best hour"] = (
            grouped["evs_needed_best_hour"].agg(evs).reindex(order)
        )
    return out


def backup_table(resilience: pd.DataFrame | None) -> pd.DataFrame | None:
    """V2H backup: share of households carried through an outage, by outage length and window.

    Parameters
    ----------
    resilience : pandas.DataFrame or None
        Rows of ``resilience.csv`` of one feeder at one level (V2G tasks).

    Returns
    -------
    pandas.DataFrame or None
        One row per window and outage length: households with a V2H car at home, the share of
        them carried, the share of all households carried, and the median backup hours (mean
        over draws).
    """
    if resilience is None or resilience.empty:
        return None
    cols = ["v2h_home_share", "covered_given_home", "covered_share", "backup_h_p50"]
    mean = resilience.groupby(["window", "outage_h"], sort=True)[cols].mean().reset_index()
    labels = {"year": "any time of year", "coldest_week": "coldest week"}
    return pd.DataFrame(
        {
            "Outage starts": mean["window"].map(lambda w: labels.get(w, str(w))),
            "Outage [h]": mean["outage_h"].map(lambda v: f"{v:g}"),
            "V2H car at home (share of households)": mean["v2h_home_share"].map(_pct),
            "Carried through (of those)": mean["covered_given_home"].map(_pct),
            "Carried through (all households)": mean["covered_share"].map(_pct),
            "Median backup [h]": mean["backup_h_p50"].map(lambda v: f"{v:.1f}"),
        }
    ).set_index("Outage starts")


def _pct(value: Any) -> str:
    return f"{float(value):.0%}"


def charger_note(summary: pd.DataFrame | None) -> str | None:
    """Which bidirectional charger the V2G tasks used, from the summary (None without V2G).

    Parameters
    ----------
    summary : pandas.DataFrame or None
        The study summary (``v2g_charger``, ``v2g_round_trip_efficiency``,
        ``v2g_max_discharge_kw`` on the V2G rows, :func:`gridv2x.charging.charger_summary`).

    Returns
    -------
    str or None
        One sentence naming the technology with its efficiency [-] and discharge limit [kW].
    """
    if summary is None or "v2g_charger" not in summary:
        return None
    rows = summary[summary["v2g_charger"].notna()]
    if rows.empty:
        return None
    parts = []
    for charger, group in rows.groupby("v2g_charger", sort=True):
        where = "the car's on-board converter" if charger == "ac" else "a converter in the wallbox"
        eta = pd.to_numeric(group.get("v2g_round_trip_efficiency"), errors="coerce").mean()
        kw = pd.to_numeric(group.get("v2g_max_discharge_kw"), errors="coerce").mean()
        parts.append(
            f"{str(charger).upper()} ({where}): round trip {eta:.2f}, at most {kw:.1f} kW "
            "discharge per car (or its charger rating, if lower)"
        )
    return (
        "V2G and V2H use bidirectional "
        + "; ".join(parts)
        + " (charging.v2g.charger, docs/sources.md §12)."
    )
