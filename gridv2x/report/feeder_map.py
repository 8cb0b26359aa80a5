"""The feeder map of the report: lines coloured by their highest loading, customers by their
lowest voltage, the substation, from the feeder's GeoJSON (SWEREF 99 TM or geographic)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridv2x.report.figure_style import (
    _layout,
    _ordered,
    _strategy_buttons,
    _t,
)

__all__ = ["feeder_map_figure"]


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
    coords: Any = geometry.get("coordinates")
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
