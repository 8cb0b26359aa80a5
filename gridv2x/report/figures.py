"""Report figures: pure functions from DataFrames to plotly Figures.

Every function takes the stored results (DataFrames, dicts) and returns a
:class:`plotly.graph_objects.Figure`, or ``None`` when its input holds nothing to draw. They do
no I/O and can be used from Python as well (``fig.show()``). Long series are aggregated for
display (daily maximum and mean, duration curves sampled at fixed quantiles) so that a year of
15-minute steps on many feeders stays small; the full data stays in the parquet results.

Text that comes from the user (feeder names, strategy names) is HTML-escaped before it goes into
a figure, because plotly renders a subset of HTML in titles, legends and hover labels.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridv2x.report.feeder_map import feeder_map_figure
from gridv2x.report.figure_style import (
    STRATEGY_COLORS,
    _duration,
    _f32,
    _hline,
    _layout,
    _local_naive,
    _ordered,
    _strategy_buttons,
    _t,
    _time_x,
    strategy_color,
)
from gridv2x.report.fleet_figures import (
    arrival_departure_figure,
    base_load_duration_figure,
    daily_distance_figure,
    evs_per_area_figure,
    soc_figure,
)
from gridv2x.report.gaps import break_at_gaps, days_with_gaps
from gridv2x.report.hosting_figures import (
    first_violation_year_figure,
    forecast_probability_figure,
    hosting_capacity_figure,
)

__all__ = [
    "STRATEGY_COLORS",
    "strategy_color",
    "display_aggregate",
    "transformer_loading_figure",
    "duration_curve_figure",
    "peak_day_figure",
    "voltage_heatmap_figure",
    "voltage_envelope_figure",
    "feeder_map_figure",
    "unbalance_figure",
    "daily_distance_figure",
    "arrival_departure_figure",
    "evs_per_area_figure",
    "base_load_duration_figure",
    "soc_figure",
    "hosting_capacity_figure",
    "forecast_probability_figure",
    "first_violation_year_figure",
]


def display_aggregate(series: pd.Series, *, max_days_raw: int = 14) -> tuple[pd.DataFrame, str]:
    """Aggregate a time series for display.

    Parameters
    ----------
    series : pandas.Series
        Values on a DatetimeIndex (any resolution).
    max_days_raw : int
        Up to this many days the series is shown hourly (max and mean per hour); longer
        series are shown as daily maximum and mean.

    Returns
    -------
    (pandas.DataFrame, str)
        Columns ``max`` and ``mean`` on a wall-clock local time index, and the period name
        (``"hour"`` or ``"day"``).
    """
    s = pd.Series(np.asarray(series, dtype="float64"), index=_local_naive(series.index))
    s = s[~s.index.isna()]
    if s.empty:
        return pd.DataFrame(columns=["max", "mean"]), "day"
    span_days = (s.index.max() - s.index.min()) / pd.Timedelta(days=1)
    rule, name = ("1h", "hour") if span_days <= max_days_raw else ("1D", "day")
    grouped = s.resample(rule)
    out = pd.DataFrame({"max": grouped.max(), "mean": grouped.mean()}).dropna(how="all")
    # time not simulated (representative weeks) stays a visible gap, not a line across it
    return break_at_gaps(out, pd.Timedelta(rule)), name


_PERIOD_WORD = {"day": "daily", "hour": "hourly"}


def _timeseries_figure(
    series: Mapping[str, pd.DataFrame],
    column: str,
    *,
    title: str,
    y_title: str,
    limit: float | None,
    limit_text: str,
    decimals: int = 2,
) -> go.Figure | None:
    fig = go.Figure()
    period = "day"
    for i, strategy in enumerate(_ordered(series)):
        ts = series[strategy]
        values = (
            pd.to_numeric(ts[column], errors="coerce") if ts is not None and column in ts else None
        )
        if values is None or not (values.fillna(0) != 0).any():
            continue  # absent, or all zero (e.g. unbalance of a balanced load flow)
        agg, period = display_aggregate(ts[column])
        color = strategy_color(strategy, i)
        x = _time_x(agg.index)
        fig.add_trace(
            go.Scatter(
                **x,
                y=_f32(agg["max"], decimals),
                name=f"{_t(strategy)} – {_PERIOD_WORD[period]} max",
                legendgroup=str(strategy),
                mode="lines",
                line={"color": color, "width": 1.6},
                hovertemplate="%{x}<br>%{y:.1f}<extra>" + _t(strategy) + " max</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                **x,
                y=_f32(agg["mean"], decimals),
                name=f"{_t(strategy)} – {_PERIOD_WORD[period]} mean",
                legendgroup=str(strategy),
                mode="lines",
                line={"color": color, "width": 1, "dash": "dot"},
                hovertemplate="%{x}<br>%{y:.1f}<extra>" + _t(strategy) + " mean</extra>",
            )
        )
    if not fig.data:
        return None
    if limit is not None:
        _hline(fig, limit, limit_text, color="#b00020")
    fig = _layout(fig, title, f"Local time (Europe/Stockholm), per {period}", y_title)
    fig.update_xaxes(type="date")
    return fig


def transformer_loading_figure(
    series: Mapping[str, pd.DataFrame],
    *,
    limit_pct: float | None = 100.0,
    feeder: str = "",
) -> go.Figure | None:
    """Transformer loading over the period, per strategy (daily max and mean for long periods).

    Parameters
    ----------
    series : mapping of str to pandas.DataFrame
        Per strategy the task's ``timeseries.parquet`` (column ``transformer_loading_pct``).
    limit_pct : float, optional
        Loading limit drawn as a line [% of rated kVA].
    feeder : str
        Feeder name for the title.
    """
    return _timeseries_figure(
        series,
        "transformer_loading_pct",
        title=f"Transformer loading over time – {_t(feeder)}",
        y_title="Transformer loading [% of rating]",
        limit=limit_pct,
        limit_text=f"limit {limit_pct:.0f} %" if limit_pct is not None else "",
        decimals=2,
    )


def unbalance_figure(
    series: Mapping[str, pd.DataFrame],
    *,
    limit_pct: float | None = 2.0,
    feeder: str = "",
) -> go.Figure | None:
    """Highest voltage unbalance factor in the feeder over time, per strategy.

    Returns ``None`` when no strategy has unbalance values (balanced load flow).
    """
    return _timeseries_figure(
        series,
        "unbalance_max_pct",
        title=f"Voltage unbalance (highest bus) – {_t(feeder)}",
        y_title="Voltage unbalance factor [%]",
        limit=limit_pct,
        limit_text=f"limit {limit_pct:.1f} %" if limit_pct is not None else "",
        decimals=3,
    )


def duration_curve_figure(
    series: Mapping[str, pd.DataFrame],
    *,
    column: str = "transformer_loading_pct",
    limit_pct: float | None = 100.0,
    feeder: str = "",
    y_title: str = "Transformer loading [% of rating]",
) -> go.Figure | None:
    """Load duration curve per strategy: share of time a loading is exceeded.

    Computed from every step, then sampled at a fixed number of exceedance levels, so the
    curve is exact at those points whatever the period length.
    """
    fig = go.Figure()
    for i, strategy in enumerate(_ordered(series)):
        ts = series[strategy]
        if ts is None or column not in ts.columns:
            continue
        x, y = _duration(ts[column])
        if x.size == 0:
            continue
        fig.add_trace(
            go.Scatter(
                x=_f32(x, 3),
                y=_f32(y, 2),
                name=_t(strategy),
                mode="lines",
                line={"color": strategy_color(strategy, i), "width": 2},
                hovertemplate="exceeded %{x:.1f} % of the time: %{y:.1f}<extra>"
                + _t(strategy)
                + "</extra>",
            )
        )
    if not fig.data:
        return None
    if limit_pct is not None:
        _hline(fig, limit_pct, f"limit {limit_pct:.0f} %", color="#b00020")
    return _layout(
        fig,
        f"Transformer loading duration curve – {_t(feeder)}",
        "Share of time the loading is exceeded [%]",
        y_title,
    )


def peak_day_figure(series: Mapping[str, pd.DataFrame], *, feeder: str = "") -> go.Figure | None:
    """Transformer load on the peak day of the first strategy (uncontrolled), per strategy.

    Shows at full resolution how each strategy moves the EV load on the day that sizes the
    transformer: total load (solid), EV load (dotted, negative when V2G discharges) and the
    household base load without EVs (grey).
    """
    order = [s for s in _ordered(series) if series[s] is not None]
    order = [s for s in order if "transformer_p_kw" in series[s].columns]
    if not order:
        return None
    first = series[order[0]]
    p = pd.to_numeric(first["transformer_p_kw"], errors="coerce")
    if p.isna().all():
        return None
    local = _local_naive(first.index)
    peak_day = local[int(np.nanargmax(p.to_numpy()))].normalize()
    fig = go.Figure()
    for i, strategy in enumerate(order):
        ts = series[strategy]
        loc = _local_naive(ts.index)
        mask = np.asarray(loc.normalize() == peak_day)
        if not mask.any():
            continue
        x = loc[mask].strftime("%H:%M").tolist()
        color = strategy_color(strategy, i)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_f32(ts.loc[mask, "transformer_p_kw"], 2),
                name=f"{_t(strategy)} – transformer load",
                legendgroup=str(strategy),
                mode="lines",
                line={"color": color, "width": 2},
                hovertemplate="%{x}: %{y:.1f} kW<extra>" + _t(strategy) + "</extra>",
            )
        )
        if "ev_load_kw" in ts.columns:
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=_f32(ts.loc[mask, "ev_load_kw"], 2),
                    name=f"{_t(strategy)} – EV load",
                    legendgroup=str(strategy),
                    mode="lines",
                    line={"color": color, "width": 1.2, "dash": "dot"},
                    hovertemplate="%{x}: EVs %{y:.1f} kW<extra>" + _t(strategy) + "</extra>",
                )
            )
        if i == 0 and "base_load_kw" in ts.columns:
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=_f32(ts.loc[mask, "base_load_kw"], 2),
                    name="household base load (no EVs)",
                    mode="lines",
                    line={"color": "#777777", "width": 1.5, "dash": "dash"},
                    hovertemplate="%{x}: base %{y:.1f} kW<extra></extra>",
                )
            )
    if not fig.data:
        return None
    fig = _layout(
        fig,
        f"Peak day {peak_day:%Y-%m-%d} – {_t(feeder)}: load per strategy",
        "Local time of day",
        "Power [kW] (EV discharge negative)",
    )
    fig.update_xaxes(type="category", nticks=13)
    return fig


def voltage_heatmap_figure(
    daily: Mapping[str, pd.DataFrame],
    *,
    v_min_pu: float = 0.90,
    feeder: str = "",
) -> go.Figure | None:
    """Heat map of each customer's daily minimum voltage, customer × day, one view per strategy.

    Parameters
    ----------
    daily : mapping of str to pandas.DataFrame
        Per strategy ``voltage_daily.parquet``: index day, one column per customer [pu].
    v_min_pu : float
        Lower voltage limit [pu]; the colour scale turns red below it.
    """
    fig = go.Figure()
    groups: list[tuple[str, list[int]]] = []
    lo = v_min_pu - 0.03
    categorical = False
    for strategy in _ordered(daily):
        frame = daily[strategy]
        if frame is None or frame.empty:
            continue
        frame = frame.apply(pd.to_numeric, errors="coerce")
        days = pd.Index(frame.index)
        values = frame.to_numpy().T
        try:
            days = pd.DatetimeIndex(days)
            if days.tz is not None:
                days = days.tz_localize(None)
            order = np.argsort(days.asi8, kind="stable")
            day_labels, column = days_with_gaps(days[order])
            if len(day_labels) > len(days):  # days not simulated: one empty column per gap
                gappy = np.full((values.shape[0], len(day_labels)), np.nan)
                gappy[:, column] = values[:, order]
                values = gappy
                categorical = True
        except (TypeError, ValueError):
            day_labels = [str(d) for d in days]
        customers = [_t(c) for c in frame.columns]
        z = _f32(values, 4)
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=day_labels,
                y=customers,
                zmin=lo,
                zmax=1.03,
                colorscale=[
                    [0.0, "#67001f"],
                    [(v_min_pu - lo) / (1.03 - lo), "#d6604d"],
                    [(v_min_pu + 0.02 - lo) / (1.03 - lo), "#fddbc7"],
                    [(1.0 - lo) / (1.03 - lo), "#d1e5f0"],
                    [1.0, "#2166ac"],
                ],
                colorbar={"title": {"text": "Daily min<br>voltage [pu]"}},
                name=_t(strategy),
                hovertemplate="%{y}<br>%{x}<br>daily minimum %{z:.3f} pu<extra>"
                + _t(strategy)
                + "</extra>",
            )
        )
        groups.append((strategy, [len(fig.data) - 1]))
    if not fig.data:
        return None
    _strategy_buttons(fig, groups)
    n_customers = max(len(tr.y) for tr in fig.data)
    fig = _layout(
        fig,
        f"Daily minimum voltage per customer – {_t(feeder)} (limit {v_min_pu:.2f} pu)",
        "Day",
        "Customer",
        height=int(min(900, max(360, 120 + 9 * n_customers))),
    )
    fig.update_yaxes(type="category", showticklabels=n_customers <= 60, tickfont={"size": 9})
    if categorical:  # one column per simulated day, the gaps labelled, none stretched
        fig.update_xaxes(type="category", title_text="Day (simulated days only; gaps marked)")
    return fig


def voltage_envelope_figure(
    customers: Mapping[str, pd.DataFrame],
    *,
    v_min_pu: float = 0.90,
    v_max_pu: float = 1.10,
    planning_band: tuple[float, float] | None = (0.92, 1.06),
    feeder: str = "",
) -> go.Figure | None:
    """Per-customer voltage envelope (lowest to highest over the period) per strategy.

    Floating bars from ``v_min_pu`` to ``v_max_pu`` of each customer, grouped by strategy, with
    the 5th percentile as a marker, the limits and the DSO planning band.
    """
    fig = go.Figure()
    for i, strategy in enumerate(_ordered(customers)):
        frame = customers[strategy]
        if frame is None or not {"v_min_pu", "v_max_pu"} <= set(frame.columns):
            continue
        ids = frame["customer_id"] if "customer_id" in frame.columns else frame.index
        x = [_t(c) for c in ids]
        vmin = _f32(frame["v_min_pu"], 4)
        vmax = _f32(frame["v_max_pu"], 4)
        color = strategy_color(strategy, i)
        fig.add_trace(
            go.Bar(
                x=x,
                y=_f32(vmax - vmin, 4),
                base=vmin,
                name=f"{_t(strategy)} min–max",
                marker={"color": color, "opacity": 0.55},
                offsetgroup=str(i),
                legendgroup=str(strategy),
                customdata=np.stack([vmin, vmax], axis=1),
                hovertemplate="%{x}: %{customdata[0]:.3f} – %{customdata[1]:.3f} pu<extra>"
                + _t(strategy)
                + "</extra>",
            )
        )
        if "v_p05_pu" in frame.columns:
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=_f32(frame["v_p05_pu"], 4),
                    mode="markers",
                    name=f"{_t(strategy)} 5th percentile",
                    legendgroup=str(strategy),
                    marker={"color": color, "symbol": "line-ew-open", "size": 10},
                    hovertemplate="%{x}: 5th percentile %{y:.3f} pu<extra>"
                    + _t(strategy)
                    + "</extra>",
                )
            )
    if not fig.data:
        return None
    _hline(fig, v_min_pu, f"limit {v_min_pu:.2f} pu", color="#b00020")
    _hline(fig, v_max_pu, f"limit {v_max_pu:.2f} pu", color="#b00020")
    if planning_band is not None:
        fig.add_hrect(
            y0=planning_band[0],
            y1=planning_band[1],
            fillcolor="#2ca02c",
            opacity=0.06,
            line_width=0,
            annotation_text="DSO planning band",
            annotation_position="bottom right",
            annotation_font={"size": 10},
        )
    fig = _layout(
        fig,
        f"Voltage envelope per customer – {_t(feeder)}",
        "Customer",
        "Voltage [pu of 230 V]",
        barmode="group",
        bargap=0.25,
    )
    fig.update_xaxes(type="category", tickfont={"size": 9})
    return fig


# --- feeder map -------------------------------------------------------------------------------


# --- EV fleet ---------------------------------------------------------------------------------


# --- hosting capacity and forecast ------------------------------------------------------------
