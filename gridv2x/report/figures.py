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

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridv2x.conventions import TIMEZONE
from gridv2x.report.gaps import break_at_gaps, days_with_gaps

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

STRATEGY_COLORS = {"uncontrolled": "#d62728", "v1g": "#1f77b4", "v2g": "#2ca02c"}
_EXTRA_COLORS = ("#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#ff7f0e")
_DURATION_POINTS = 400
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def strategy_color(strategy: str, position: int = 0) -> str:
    """Fixed colour of a strategy (red uncontrolled, blue V1G, green V2G; others cycle)."""
    return STRATEGY_COLORS.get(str(strategy), _EXTRA_COLORS[position % len(_EXTRA_COLORS)])


def _rgba(hex_color: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r, g, b, alpha)``."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _t(text: Any) -> str:
    """Escape user text for plotly's HTML-like labels."""
    return html.escape(str(text), quote=False)


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, **extra: Any) -> go.Figure:
    fig.update_layout(
        template="none",
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        font={"family": _FONT, "size": 12},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        hovermode="closest",
        height=extra.pop("height", 420),
        **extra,
    )
    if fig.layout.updatemenus:  # strategy buttons: below the title and plotly's toolbar
        fig.update_layout(margin={"t": _BUTTONS_TOP_PX})
        for menu in fig.layout.updatemenus:
            menu.update(y=1.0, yanchor="bottom", pad={"b": 6})
    fig.update_xaxes(
        title_text=x_title, gridcolor="#e5e5e5", zeroline=False, showline=True, automargin=True
    )
    fig.update_yaxes(
        title_text=y_title, gridcolor="#e5e5e5", zeroline=False, showline=True, automargin=True
    )
    return fig


_BUTTONS_TOP_PX = 100
"""Top margin of a figure with strategy buttons [px]: the title and plotly's toolbar (about
30 px at the top right) above, the buttons in a row of their own just above the plot."""


def _local_naive(index: pd.Index) -> pd.DatetimeIndex:
    """Wall-clock Stockholm time without offset (plotly.js has no time zones)."""
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_convert(TIMEZONE).tz_localize(None)
    return idx


def _time_x(index: pd.DatetimeIndex) -> dict[str, Any]:
    """x of a time trace: ``x0``/``dx`` when the steps are equal (no array embedded), else labels."""
    idx = pd.DatetimeIndex(index)
    if len(idx) > 2:
        steps = np.diff(idx.asi8)
        if (steps == steps[0]).all() and steps[0] > 0:
            return {"x0": idx[0].strftime("%Y-%m-%d %H:%M"), "dx": int(steps[0] // 1_000_000)}
    return {"x": idx.strftime("%Y-%m-%d %H:%M").tolist()}


def _f32(values: Any, decimals: int = 4) -> np.ndarray:
    """Compact numbers for embedding (float32, rounded)."""
    return np.round(np.asarray(values, dtype="float64"), decimals).astype("float32")


def _ordered(keys: Any) -> list[str]:
    from gridv2x.report.assess import order_strategies

    return order_strategies(keys)


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


def _hline(fig: go.Figure, y: float, text: str, color: str = "#444", dash: str = "dash") -> None:
    fig.add_hline(
        y=y,
        line={"color": color, "dash": dash, "width": 1},
        annotation_text=text,
        annotation_position="top left",
        annotation_font={"size": 10, "color": color},
    )


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


def _duration(values: Any, points: int = _DURATION_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Duration curve sampled at ``points`` exceedance levels: (share of time [%], value)."""
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.array([]), np.array([])
    exceed = np.linspace(0.0, 1.0, min(points, v.size))
    return 100.0 * exceed, np.quantile(v, 1.0 - exceed)


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


def _strategy_buttons(fig: go.Figure, groups: list[tuple[str, list[int]]]) -> None:
    """Add buttons showing one strategy's traces at a time (first visible)."""
    n = len(fig.data)
    for _name, idx in groups[1:]:
        for i in idx:
            fig.data[i].visible = False
    if len(groups) < 2:
        return
    grouped = {i for _name, idx in groups for i in idx}  # other traces stay visible
    buttons = []
    for name, idx in groups:
        visible = [i in idx or i not in grouped for i in range(n)]
        buttons.append({"label": _t(name), "method": "update", "args": [{"visible": visible}]})
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "buttons": buttons,
                "x": 1.0,
                "xanchor": "right",
                "y": 1.12,
                "yanchor": "bottom",
                "showactive": True,
                "font": {"size": 11},
            }
        ]
    )


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


def _looks_geographic(coords: list[tuple[float, float]], geo: Mapping[str, Any]) -> bool:
    crs = str((geo.get("crs") or {}).get("properties", {}).get("name", ""))
    if "3006" in crs:
        return False
    if "4326" in crs or "CRS84" in crs:
        return True
    return bool(coords) and all(abs(x) <= 180 and abs(y) <= 90 for x, y in coords)


def _feature_coords(geometry: Mapping[str, Any] | None) -> list[tuple[float, float]]:
    if not geometry:
        return []
    kind = geometry.get("type")
    coords: Any = geometry.get("coordinates")  # GeoJSON: nested lists of numbers
    if kind == "Point":
        return [(float(coords[0]), float(coords[1]))]
    if kind == "LineString":
        return [(float(c[0]), float(c[1])) for c in coords]
    if kind == "MultiLineString":
        return [(float(c[0]), float(c[1])) for part in coords for c in part]
    return []


def _first(props: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if props.get(key) is not None:
            return props[key]
    return None


def _geo_frames(geo: Mapping[str, Any]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Points (kind, id, x, y, props) and lines (id, xs, ys) in SWEREF 99 TM metres."""
    features = [f for f in geo.get("features", []) if isinstance(f, dict)]
    geometry_coords = [c for f in features for c in _feature_coords(f.get("geometry"))]
    transform = None
    if _looks_geographic(geometry_coords, geo):
        from pyproj import Transformer

        transform = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True).transform
    points, lines = [], []
    for f in features:
        props = f.get("properties") or {}
        kind = str(props.get("kind", "")).lower()
        coords = _feature_coords(f.get("geometry"))
        if transform is not None and coords:
            xs, ys = transform([c[0] for c in coords], [c[1] for c in coords])
            coords = list(zip(np.atleast_1d(xs), np.atleast_1d(ys), strict=True))
        if kind == "line" or (f.get("geometry") or {}).get("type", "").endswith("LineString"):
            px, py = props.get("x"), props.get("y")
            if isinstance(px, list) and isinstance(py, list) and len(px) == len(py) > 1:
                xs, ys = [float(v) for v in px], [float(v) for v in py]
            elif coords:
                xs, ys = [c[0] for c in coords], [c[1] for c in coords]
            else:
                continue
            ident = _first(props, ("index", "line", "line_id", "id", "name"))
            lines.append({"id": str(ident), "xs": xs, "ys": ys, "props": props})
            continue
        x, y = props.get("x"), props.get("y")
        if isinstance(x, int | float) and isinstance(y, int | float):
            x, y = float(x), float(y)
        elif coords:
            x, y = coords[0]
        else:
            continue
        if kind == "customer":
            ident = _first(props, ("customer_id", "id", "name"))
        else:
            ident = _first(props, ("index", "bus", "bus_id", "substation_id", "id", "name"))
        points.append({"kind": kind or "bus", "id": str(ident), "x": x, "y": y, "props": props})
    return pd.DataFrame(points, columns=["kind", "id", "x", "y", "props"]), lines


def _element_values(elements: pd.DataFrame | None, which: str, column: str) -> dict[str, float]:
    if elements is None or column not in elements.columns:
        return {}
    type_col = None
    for col in ("element", "kind"):
        if col in elements.columns and elements[col].astype(str).str.lower().eq(which).any():
            type_col = col
            break
    if type_col is None:
        return {}
    sub = elements[elements[type_col].astype(str).str.lower() == which]
    ids = sub["index"] if "index" in sub.columns else sub.index
    values = pd.to_numeric(sub[column], errors="coerce")
    return {str(i): float(v) for i, v in zip(ids, values, strict=True) if np.isfinite(v)}


_LOADING_BINS = (
    (0.0, 50.0, "#4d9221", "below 50 %"),
    (50.0, 80.0, "#e6ab02", "50–80 %"),
    (80.0, 100.0, "#f46d43", "80–100 %"),
    (100.0, np.inf, "#a50026", "above 100 %"),
)


def _map_data_traces(
    fig: go.Figure,
    points: pd.DataFrame,
    lines: list[dict[str, Any]],
    elements: pd.DataFrame | None,
    customers: pd.DataFrame | None,
) -> list[int]:
    """Add the result-dependent map traces (cables, buses, customers); return their indices."""
    first = len(fig.data)
    loading = _element_values(elements, "line", "max_loading_pct")
    bins: dict[int, tuple[list[float | None], list[float | None]]] = {}
    mid_x, mid_y, mid_text = [], [], []
    for line in lines:
        value = loading.get(line["id"])
        b = 0 if value is None else next(i for i, bb in enumerate(_LOADING_BINS) if value < bb[1])
        key = -1 if value is None else b
        xs, ys = bins.setdefault(key, ([], []))
        xs.extend([*line["xs"], None])
        ys.extend([*line["ys"], None])
        k = len(line["xs"]) // 2
        mid_x.append(line["xs"][k])
        mid_y.append(line["ys"][k])
        load_text = "no loading data" if value is None else f"max loading {value:.0f} %"
        mid_text.append(f"cable {_t(line['id'])}: {load_text}")
    for key in sorted(bins):
        xs, ys = bins[key]
        if key == -1:
            color, name = "#999999", "cable (no loading data)"
        else:
            color, name = _LOADING_BINS[key][2], f"cable loading {_LOADING_BINS[key][3]}"
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": color, "width": 3},
                name=name,
                hoverinfo="skip",
            )
        )
    if mid_x:
        fig.add_trace(
            go.Scatter(
                x=mid_x,
                y=mid_y,
                mode="markers",
                marker={"size": 8, "opacity": 0},
                text=mid_text,
                hovertemplate="%{text}<extra></extra>",
                showlegend=False,
            )
        )
    bus_v = _element_values(elements, "bus", "v_min_pu")
    buses = points[points["kind"] == "bus"] if not points.empty else points
    if not buses.empty:
        values = [bus_v.get(i, np.nan) for i in buses["id"]]
        has_v = bool(np.isfinite(values).any())
        fig.add_trace(
            go.Scatter(
                x=buses["x"].to_numpy(),
                y=buses["y"].to_numpy(),
                mode="markers",
                name="bus (colour: lowest voltage)",
                marker={
                    "size": 7,
                    "color": values if has_v else "#555555",
                    "coloraxis": "coloraxis" if has_v else None,
                    "line": {"width": 0.5, "color": "#333"},
                },
                text=[
                    f"bus {_t(i)}" + (f": lowest {v:.3f} pu" if np.isfinite(v) else "")
                    for i, v in zip(buses["id"], values, strict=True)
                ],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    cust = points[points["kind"] == "customer"] if not points.empty else points
    if not cust.empty:
        cv, evs = {}, {}
        if customers is not None and "customer_id" in customers.columns:
            ids = customers["customer_id"].astype(str)
            if "v_min_pu" in customers.columns:
                cv = dict(
                    zip(ids, pd.to_numeric(customers["v_min_pu"], errors="coerce"), strict=True)
                )
            if "n_evs" in customers.columns:
                evs = dict(zip(ids, customers["n_evs"], strict=True))
        values = [float(cv.get(i, np.nan)) for i in cust["id"]]
        has_v = bool(np.isfinite(values).any())
        symbols = ["diamond" if (evs.get(i) or 0) > 0 else "square" for i in cust["id"]]
        fig.add_trace(
            go.Scatter(
                x=cust["x"].to_numpy(),
                y=cust["y"].to_numpy(),
                mode="markers",
                name="customer (◆ with EV, ■ without)",
                marker={
                    "size": 9,
                    "symbol": symbols,
                    "color": values if has_v else "#1f77b4",
                    "coloraxis": "coloraxis" if has_v else None,
                    "line": {"width": 1, "color": "#222"},
                },
                text=[
                    f"customer {_t(i)}"
                    + (f": lowest {v:.3f} pu" if np.isfinite(v) else "")
                    + (f", {int(evs[i])} EV(s)" if i in evs and pd.notna(evs[i]) else "")
                    for i, v in zip(cust["id"], values, strict=True)
                ],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    return list(range(first, len(fig.data)))


def feeder_map_figure(
    geo: Mapping[str, Any],
    *,
    elements: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    by_strategy: Mapping[str, tuple[pd.DataFrame | None, pd.DataFrame | None]] | None = None,
    v_min_pu: float = 0.90,
    feeder: str = "",
    strategy: str = "",
) -> go.Figure | None:
    """Feeder map in SWEREF 99 TM metres (equal aspect, no map tiles).

    Cables are coloured by their highest loading, buses and customers by their lowest voltage.

    Parameters
    ----------
    geo : dict
        GeoJSON FeatureCollection of ``results/feeders/<feeder>.geojson``; ``properties.kind``
        is ``substation | bus | line | customer``; point coordinates are taken from the ``x``/``y``
        properties (SWEREF 99 TM) when present, else from the geometry (reprojected from
        EPSG:4326 when it is geographic).
    elements : pandas.DataFrame, optional
        ``elements.parquet`` of one task (``max_loading_pct`` per line, ``v_min_pu`` per bus).
    customers : pandas.DataFrame, optional
        ``customers.parquet`` of the same task (``customer_id, v_min_pu, n_evs``).
    by_strategy : mapping of str to (elements, customers), optional
        Results of several strategies: one view each, switched with buttons (the first is
        shown); replaces ``elements`` and ``customers``.
    v_min_pu : float
        Lower voltage limit [pu] (the red end of the colour scale).
    strategy : str
        Strategy of ``elements``/``customers`` for the title (single view).
    """
    points, lines = _geo_frames(geo)
    if points.empty and not lines:
        return None
    fig = go.Figure()
    groups: list[tuple[str, list[int]]] = []
    if by_strategy:
        for name in _ordered(by_strategy):
            el, cu = by_strategy[name]
            groups.append((name, _map_data_traces(fig, points, lines, el, cu)))
    else:
        _map_data_traces(fig, points, lines, elements, customers)
    cmin, cmax = v_min_pu - 0.02, 1.02
    colorscale = "RdYlBu"
    subs = points[points["kind"] == "substation"] if not points.empty else points
    if not subs.empty:
        fig.add_trace(
            go.Scatter(
                x=subs["x"].to_numpy(),
                y=subs["y"].to_numpy(),
                mode="markers",
                name="secondary substation",
                marker={"size": 16, "symbol": "star", "color": "black"},
                text=[f"substation {_t(i)}" for i in subs["id"]],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    label = f" ({_t(strategy)})" if strategy and not groups else ""
    _strategy_buttons(fig, groups)
    fig = _layout(
        fig,
        f"Feeder map – {_t(feeder)}{label}: cables by loading, buses/customers by lowest voltage",
        "Easting, SWEREF 99 TM [m]",
        "Northing, SWEREF 99 TM [m]",
        height=560,
        coloraxis={
            "cmin": cmin,
            "cmax": cmax,
            "colorscale": colorscale,
            "colorbar": {"title": {"text": "Lowest<br>voltage [pu]"}},
        },
    )
    fig.update_layout(margin={"l": 95})
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    fig.update_xaxes(tickformat="d")
    fig.update_yaxes(tickformat="d")
    return fig


# --- EV fleet ---------------------------------------------------------------------------------


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


# --- hosting capacity and forecast ------------------------------------------------------------


_CI_COLUMNS = (("probability_low", "probability_high"), ("ci_low", "ci_high"))


def _ci_band(frame: pd.DataFrame, x: np.ndarray, color: str, strategy: str) -> go.Scatter | None:
    """Filled confidence band of a violation probability (columns ``probability_low/high``
    as the store writes them, or ``ci_low/ci_high``)."""
    cols = next((c for c in _CI_COLUMNS if set(c) <= set(frame.columns)), None)
    if cols is None:
        return None
    low = pd.to_numeric(frame[cols[0]], errors="coerce").to_numpy()
    high = pd.to_numeric(frame[cols[1]], errors="coerce").to_numpy()
    return go.Scatter(
        x=np.concatenate([x, x[::-1]]),
        y=_f32(100 * np.concatenate([high, low[::-1]]), 2),
        fill="toself",
        fillcolor=_rgba(color, 0.12),
        mode="lines",
        line={"width": 0},
        name=f"{_t(strategy)} 95 % confidence interval",
        legendgroup=str(strategy),
        hoverinfo="skip",
    )


def _probability_curves(
    table: pd.DataFrame | None,
    *,
    feeder: str,
    x_column: str,
    x_scale: float,
    hover: str,
    risk: float,
) -> go.Figure | None:
    """Violation probability [%] per strategy against ``x_column``, with the confidence band
    and the accepted risk; None when ``table`` lacks the columns or the feeder."""
    need = {"feeder", "strategy", x_column, "probability"}
    if table is None or not need <= set(table.columns):
        return None
    sub = table[table["feeder"] == feeder]
    if sub.empty:
        return None
    fig = go.Figure()
    for i, strategy in enumerate(_ordered(sub["strategy"])):
        s = sub[sub["strategy"] == strategy].sort_values(x_column)
        x = _f32(x_scale * pd.to_numeric(s[x_column], errors="coerce"), 2)
        color = strategy_color(strategy, i)
        band = _ci_band(s, x, color, strategy)
        if band is not None:
            fig.add_trace(band)
        n_text = s["n"].astype(str).tolist() if "n" in s.columns else [""] * len(s)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_f32(100 * pd.to_numeric(s["probability"], errors="coerce"), 2),
                mode="lines+markers",
                line={"color": color, "width": 2},
                name=_t(strategy),
                legendgroup=str(strategy),
                text=n_text,
                hovertemplate=hover + "<extra>" + _t(strategy) + "</extra>",
            )
        )
    _hline(fig, 100 * risk, f"accepted risk {risk:.0%}", color="#b00020")
    return fig


def hosting_capacity_figure(
    probability: pd.DataFrame, *, feeder: str, risk: float = 0.05
) -> go.Figure | None:
    """Violation probability against EV share per strategy, with its confidence band.

    Parameters
    ----------
    probability : pandas.DataFrame
        ``violation_probability.csv``: ``feeder, strategy, ev_share, n, violations,
        probability`` and the interval ``probability_low, probability_high`` (or ``ci_low,
        ci_high``).
    feeder : str
        The feeder to draw.
    risk : float
        Accepted violation probability [-] (drawn as a line).
    """
    fig = _probability_curves(
        probability,
        feeder=feeder,
        x_column="ev_share",
        x_scale=100.0,
        hover="%{x:.0f} EVs per 100 customers: violation probability %{y:.1f} % (n=%{text})",
        risk=risk,
    )
    if fig is None:
        return None
    fig = _layout(
        fig,
        f"Hosting capacity – {_t(feeder)}: probability of a violation vs EV share",
        "EV share [EVs per 100 customers]",
        "Probability of a violation [%]",
    )
    fig.update_yaxes(range=[-2, 102])
    return fig


def forecast_probability_figure(
    forecast: pd.DataFrame, *, feeder: str, risk: float = 0.05
) -> go.Figure | None:
    """Violation probability per forecast year and strategy (needs ``probability``)."""
    fig = _probability_curves(
        forecast,
        feeder=feeder,
        x_column="year",
        x_scale=1.0,
        hover="%{x:.0f}: violation probability %{y:.1f} % (n=%{text})",
        risk=risk,
    )
    if fig is None:
        return None
    fig = _layout(
        fig,
        f"Adoption forecast – {_t(feeder)}: probability of a violation per year",
        "Year",
        "Probability of a violation [%]",
    )
    fig.update_xaxes(dtick=1)
    return fig


def first_violation_year_figure(
    years: pd.DataFrame, *, last_year: int | None = None
) -> go.Figure | None:
    """First year of violation per feeder and strategy (dot plot).

    Parameters
    ----------
    years : pandas.DataFrame
        ``feeder, strategy, first_violation_year`` (NaN: none in the studied years).
    last_year : int, optional
        Last studied year; feeders without a violation are drawn just after it as "none".
    """
    if years is None or years.empty:
        return None
    values = pd.to_numeric(years["first_violation_year"], errors="coerce")
    end = last_year if last_year is not None else (values.max() if values.notna().any() else 2030)
    fig = go.Figure()
    feeders = list(dict.fromkeys(str(f) for f in years["feeder"]))
    row = {f: i for i, f in enumerate(feeders)}
    strategies = _ordered(years["strategy"])
    for i, strategy in enumerate(strategies):
        s = years[years["strategy"] == strategy]
        y = pd.to_numeric(s["first_violation_year"], errors="coerce")
        none = y.isna()
        # each strategy on its own line within the feeder's row: equal years stay visible
        offset = (i - (len(strategies) - 1) / 2) * _STRATEGY_ROW_OFFSET
        fig.add_trace(
            go.Scatter(
                x=np.where(none, end + 1, y),
                y=[row[str(f)] + offset for f in s["feeder"]],
                mode="markers",
                marker={
                    "size": 13,
                    "color": strategy_color(strategy, i),
                    "symbol": ["triangle-right" if n else "circle" for n in none],
                },
                name=_t(strategy),
                text=[
                    "no violation in studied years" if n else f"{int(v)}"
                    for n, v in zip(none, y, strict=True)
                ],
                customdata=[_t(f) for f in s["feeder"]],
                hovertemplate="%{customdata}: %{text}<extra>" + _t(strategy) + "</extra>",
            )
        )
    fig = _layout(
        fig,
        "First year with a violation (▶ = none in the studied years)",
        "Year",
        "Feeder",
        height=int(max(320, 140 + 60 * len(feeders))),
    )
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(
        tickvals=list(range(len(feeders))),
        ticktext=[_t(f) for f in feeders],
        range=[-0.6, len(feeders) - 0.4],
        showgrid=False,
        automargin=True,
        title_standoff=12,
    )
    return fig


_STRATEGY_ROW_OFFSET = 0.22
"""Vertical distance between the strategies' markers within one feeder's row [rows]."""
