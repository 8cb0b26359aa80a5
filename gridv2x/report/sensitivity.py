"""The sensitivity section of the report: tornado chart and the dominant assumption per feeder.

Reads ``sensitivity.csv`` (:func:`gridv2x.sensitivity.tornado_table`): per feeder, strategy and
assumption the mean per-draw hosting capacity at the assumption's low and high value, against
the base scenario's.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from gridv2x.report.figure_style import _layout, _t

__all__ = ["tornado_figure", "dominant_sentences"]

LOW_COLOUR = "#4575b4"
HIGH_COLOUR = "#d73027"


def tornado_figure(table: pd.DataFrame, *, feeder: str, strategy: str) -> go.Figure | None:
    """Bars from the base capacity to the capacity at each assumption's low and high value.

    Parameters
    ----------
    table : pandas.DataFrame
        ``sensitivity.csv``.
    feeder, strategy : str
        Which tornado to draw.
    """
    rows = table[(table["feeder"] == feeder) & (table["strategy"] == strategy)]
    if rows.empty:
        return None
    rows = rows.sort_values("swing_share", ascending=True)  # widest bar on top
    base = 100.0 * float(rows["base_capacity_share"].iloc[0])
    fig = go.Figure()
    for side, colour in (("low", LOW_COLOUR), ("high", HIGH_COLOUR)):
        values = 100.0 * rows[f"{side}_capacity_share"].astype(float)
        fig.add_trace(
            go.Bar(
                y=[_t(v) for v in rows["label"]],
                x=values - base,
                base=base,
                orientation="h",
                name=f"{side} value",
                marker_color=colour,
                customdata=values,
                hovertemplate="%{y}: " + side + " value, %{customdata:.0f} EVs per 100 customers"
                "<extra></extra>",
            )
        )
    fig.add_vline(x=base, line_dash="dash", line_color="#333")
    return _layout(
        fig,
        f"Sensitivity – {_t(feeder)}, {_t(strategy)}: hosting capacity when one assumption moves",
        "Mean per-draw hosting capacity [EVs per 100 customers]",
        "",
        barmode="overlay",
        height=120 + 45 * len(rows),
    )


def dominant_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per feeder and strategy naming the assumption that moves capacity most."""
    out = []
    for (feeder, strategy), rows in table.groupby(["feeder", "strategy"], sort=True):
        top = rows.sort_values("swing_share", ascending=False).iloc[0]
        base = 100.0 * float(top["base_capacity_share"])
        low = 100.0 * float(top["low_capacity_share"])
        high = 100.0 * float(top["high_capacity_share"])
        sentence = (
            f"{feeder} ({strategy}): the dominant assumption is {top['label']} — the mean "
            f"per-draw hosting capacity moves from {base:.0f} to {low:.0f} (low) and "
            f"{high:.0f} (high) EVs per 100 customers over {int(top['draws'])} draws."
        )
        element = top.get("binding_element")
        if isinstance(element, str) and element:
            sentence += f" Binding element in the base scenario: {element}"
            source = top.get("binding_rating_source")
            sentence += f"; rating: {source}." if isinstance(source, str) and source else "."
        out.append(sentence)
    return out
