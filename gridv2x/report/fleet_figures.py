"""The report's EV fleet charts: daily distance, arrival and departure times, EVs per area,
base-load duration curves and example states of charge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridv2x.conventions import TIMEZONE
from gridv2x.report.figure_style import (
    _EXTRA_COLORS,
    _duration,
    _f32,
    _layout,
    _local_naive,
    _ordered,
    _strategy_buttons,
    _t,
    _time_x,
)

__all__ = [
    "daily_distance_figure",
    "arrival_departure_figure",
    "evs_per_area_figure",
    "base_load_duration_figure",
    "soc_figure",
]


def _local_times(values: pd.Series) -> pd.Series:
    times = pd.to_datetime(values, errors="coerce")
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    return times


def daily_distance_figure(sessions: pd.DataFrame, *, feeder: str = "") -> go.Figure | None:
    """Distribution of the distance each EV drives per driving day [km].

    The distance of a session (driven since the EV last left home) is counted on its arrival
    day; days without driving are stated in the title, not drawn.
    """
    if sessions is None or not {"ev_id", "arrival", "distance_km"} <= set(sessions.columns):
        return None
    days = _local_times(sessions["arrival"]).dt.normalize()
    per_day = (
        pd.to_numeric(sessions["distance_km"], errors="coerce")
        .groupby([sessions["ev_id"], days])
        .sum()
    )
    per_day = per_day[per_day > 0]
    if per_day.empty:
        return None
    top = float(np.quantile(per_day, 0.995))
    counts, edges = np.histogram(per_day.clip(upper=top), bins=40)
    fig = go.Figure(
        go.Bar(
            x=_f32((edges[:-1] + edges[1:]) / 2, 1),
            y=counts,
            width=float(edges[1] - edges[0]),
            marker={"color": "#1f77b4"},
            hovertemplate="%{x:.0f} km: %{y} EV-days<extra></extra>",
            name="EV-days",
        )
    )
    n_ev = sessions["ev_id"].nunique()
    span = (days.max() - days.min()) / pd.Timedelta(days=1) + 1
    driven_share = len(per_day) / (n_ev * span) if n_ev and span > 0 else np.nan
    title = (
        f"Daily driving distance – {_t(feeder)}: mean {per_day.mean():.0f} km per driving day, "
        f"{n_ev} EVs drive on {driven_share:.0%} of days"
    )
    return _layout(fig, title, "Distance per driving day [km]", "Number of EV-days", bargap=0.05)


def arrival_departure_figure(sessions: pd.DataFrame, *, feeder: str = "") -> go.Figure | None:
    """Hour-of-day histograms of arrivals at home (plug-in) and departures (plug-out).

    Sessions starting at the very first instant (cars at home when the period begins) are not
    counted as arrivals.
    """
    if sessions is None or not {"arrival", "departure"} <= set(sessions.columns):
        return None
    fig = go.Figure()
    arrivals = _local_times(sessions["arrival"])
    # sessions that begin at the first instant are the cars at home when the period starts
    real_arrival = arrivals > arrivals.min() if len(arrivals) else arrivals.notna()
    for col, name, color in (
        ("arrival", "arrival at home (plug-in)", "#d62728"),
        ("departure", "departure (plug-out)", "#1f77b4"),
    ):
        times = _local_times(sessions[col])
        if col == "arrival":
            times = times[real_arrival]
        hours = times.dt.hour.dropna().astype(int)
        counts = np.bincount(hours, minlength=24)[:24]
        total = max(int(counts.sum()), 1)
        fig.add_trace(
            go.Bar(
                x=np.arange(24),
                y=_f32(100.0 * counts / total, 2),
                name=name,
                marker={"color": color},
                hovertemplate="%{x}:00–%{x}:59: %{y:.1f} %<extra>" + name + "</extra>",
            )
        )
    if not fig.data:
        return None
    fig = _layout(
        fig,
        f"Home arrivals and departures by hour – {_t(feeder)}",
        "Hour of day (local time)",
        "Share of sessions [%]",
        barmode="group",
    )
    fig.update_xaxes(dtick=2)
    return fig


def evs_per_area_figure(evs: pd.DataFrame, *, feeder: str = "") -> go.Figure | None:
    """Number of EVs per adoption area (needs an ``area_id`` or ``area`` column in
    ``evs.parquet``; present when the scenario allocates EVs by ``adoption.areas``)."""
    column = next((c for c in ("area_id", "area") if evs is not None and c in evs.columns), None)
    if column is None or evs.empty:
        return None
    counts = evs[column].astype(str).value_counts().sort_index()
    fig = go.Figure(
        go.Bar(
            x=[_t(a) for a in counts.index],
            y=counts.to_numpy(),
            marker={"color": "#2ca02c"},
            hovertemplate="%{x}: %{y} EVs<extra></extra>",
            name="EVs",
        )
    )
    return _layout(fig, f"EVs per area – {_t(feeder)}", "Area", "Number of EVs")


def base_load_duration_figure(base_load: pd.DataFrame, *, feeder: str = "") -> go.Figure | None:
    """Base-load duration curve per dwelling type [kW per customer].

    Accepts a wide table (one numeric column per dwelling type, one row per step) or a long one
    (column ``dwelling`` and one numeric value column such as ``p_kw``).
    """
    if base_load is None or base_load.empty:
        return None
    curves: dict[str, np.ndarray] = {}
    if "share_of_time" in base_load.columns:  # the stored curves' x (an index before parquet)
        base_load = base_load.set_index("share_of_time")
    if base_load.index.name == "share_of_time":
        return _stored_duration_figure(base_load, feeder)
    if "dwelling" in base_load.columns:
        value_col = next(
            (
                c
                for c in base_load.columns
                if c != "dwelling"
                and pd.api.types.is_numeric_dtype(base_load[c])
                and ("kw" in str(c).lower() or "load" in str(c).lower())
            ),
            None,
        )
        if value_col is None:
            return None
        for name, group in base_load.groupby("dwelling"):
            curves[str(name)] = group[value_col].to_numpy()
    else:
        for col in base_load.columns:
            if pd.api.types.is_numeric_dtype(base_load[col]):
                curves[str(col)] = base_load[col].to_numpy()
    fig = go.Figure()
    for i, (name, values) in enumerate(curves.items()):
        x, y = _duration(values)
        if x.size == 0:
            continue
        fig.add_trace(_duration_trace(i, name, x, y))
    return _duration_layout(fig, feeder, "kW")


def _stored_duration_figure(curves: pd.DataFrame, feeder: str) -> go.Figure | None:
    """Duration curves as stored by the study (index ``share_of_time`` [-], one column per
    dwelling / heating group [kW per customer])."""
    share = 100.0 * pd.to_numeric(pd.Series(curves.index), errors="coerce").to_numpy()
    fig = go.Figure()
    for i, name in enumerate(curves.columns):
        values = pd.to_numeric(curves[name], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).any():
            continue
        fig.add_trace(_duration_trace(i, name, share, values))
    return _duration_layout(fig, feeder, "kW per customer")


def _duration_trace(i: int, name: Any, x: Any, y: Any) -> go.Scatter:
    """One base-load duration curve: share of time exceeded [%] against load [kW]."""
    return go.Scatter(
        x=_f32(x, 3),
        y=_f32(y, 3),
        name=_t(name),
        mode="lines",
        line={"color": _EXTRA_COLORS[i % len(_EXTRA_COLORS)], "width": 2},
        hovertemplate="exceeded %{x:.1f} % of the time: %{y:.2f} kW<extra>" + _t(name) + "</extra>",
    )


def _duration_layout(fig: go.Figure, feeder: str, unit: str) -> go.Figure | None:
    """Layout of the base-load duration chart; None when no curve was drawn."""
    if not fig.data:
        return None
    return _layout(
        fig,
        f"Household base load duration per dwelling type – {_t(feeder)}",
        "Share of time the load is exceeded [%]",
        f"Base load [{unit}]",
    )


def soc_figure(
    soc: Mapping[str, pd.DataFrame], *, days: int = 7, feeder: str = ""
) -> go.Figure | None:
    """Example state-of-charge traces over the first ``days`` days, one view per strategy.

    Parameters
    ----------
    soc : mapping of str to pandas.DataFrame
        Per strategy ``soc.parquet`` (time × ev_id) [kWh].
    """
    fig = go.Figure()
    groups: list[tuple[str, list[int]]] = []
    for strategy in _ordered(soc):
        frame = soc[strategy]
        if frame is None or frame.empty or not isinstance(frame.index, pd.DatetimeIndex):
            continue
        local = _local_naive(frame.index)
        end = local.min() + pd.Timedelta(days=days)
        week = frame.loc[np.asarray(local < end)]
        x = _time_x(local[local < end])
        idx = []
        for j, ev in enumerate(week.columns):
            fig.add_trace(
                go.Scatter(
                    **x,
                    y=_f32(week[ev], 2),
                    name=f"{_t(ev)} ({_t(strategy)})",
                    mode="lines",
                    line={"width": 1.5, "color": _EXTRA_COLORS[j % len(_EXTRA_COLORS)]},
                    hovertemplate="%{x}<br>%{y:.1f} kWh<extra>" + _t(ev) + "</extra>",
                )
            )
            idx.append(len(fig.data) - 1)
        groups.append((strategy, idx))
    if not fig.data:
        return None
    _strategy_buttons(fig, groups)
    fig = _layout(
        fig,
        f"Example EV state of charge, first {days} days – {_t(feeder)}",
        "Local time (Europe/Stockholm)",
        "Stored energy [kWh]",
    )
    fig.update_xaxes(type="date")
    return fig
