"""The report's hosting-capacity and forecast charts: violation probability against EV share
with its confidence band, the forecast's probability by year and the first violation year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridv2x.report.figure_style import (
    _f32,
    _hline,
    _layout,
    _ordered,
    _rgba,
    _t,
    strategy_color,
)

__all__ = ["hosting_capacity_figure", "forecast_probability_figure", "first_violation_year_figure"]

_STRATEGY_ROW_OFFSET = 0.22
"""Vertical distance between the strategies' markers within one feeder's row [rows]."""

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
