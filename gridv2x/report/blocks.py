"""The building blocks of the HTML report: a figure, a table and a section as the Jinja2
template ``templates/report.html.j2`` renders them, figure numbering, and a guard that turns
a figure that cannot be drawn into a note instead of a failed report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup

from gridv2x.report import figures as figs

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
