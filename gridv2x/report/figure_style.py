"""The common look of the report's charts: strategy colours, layout and fonts, local-time axes,
duration curves and strategy buttons (every figure module of :mod:`gridv2x.report` uses it)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridv2x.conventions import TIMEZONE

__all__ = ["STRATEGY_COLORS", "strategy_color"]

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


def _hline(fig: go.Figure, y: float, text: str, color: str = "#444", dash: str = "dash") -> None:
    fig.add_hline(
        y=y,
        line={"color": color, "dash": dash, "width": 1},
        annotation_text=text,
        annotation_position="top left",
        annotation_font={"size": 10, "color": color},
    )


def _duration(values: Any, points: int = _DURATION_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Duration curve sampled at ``points`` exceedance levels: (share of time [%], value)."""
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.array([]), np.array([])
    exceed = np.linspace(0.0, 1.0, min(points, v.size))
    return 100.0 * exceed, np.quantile(v, 1.0 - exceed)


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
