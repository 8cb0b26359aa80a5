"""Area results: hosting capacity per substation as a table, a GeoPackage and a map.

A study of many feeders (an area export, :mod:`gridv2x.network.area`) is read per
substation: :func:`area_table` puts each feeder's hosting capacity per strategy next to its
position, the criterion that binds first (the smallest hosting capacity when only that
criterion counts; ties name every binding criterion) and, where a ``reinforcement.csv`` with a
cost per measure exists in the output folder (:mod:`gridv2x.reinforcement`), the
reinforcement cost (uncontrolled charging at the highest EV share studied, median over the
draws). Substations are ranked
by the uncontrolled hosting capacity, lowest first (the ones that fail first), ties broken by
the share of the first violating draw. :func:`write_hosting_capacity_gpkg` writes the table as
``hosting_capacity.gpkg`` (layer ``substations``: points; layer ``service_areas``: the
convex hull of each feeder's lines and customers, buffered by :data:`SERVICE_AREA_BUFFER_M`),
and :func:`area_map_figure` draws the substations coloured by capacity.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridv2x import results

__all__ = [
    "area_table",
    "write_hosting_capacity_gpkg",
    "area_map_figure",
    "AREA_MIN_FEEDERS",
    "GPKG_NAME",
]

GPKG_NAME = "hosting_capacity.gpkg"
AREA_MIN_FEEDERS = 2
"""Studies of at least this many feeders get the area results."""
SERVICE_AREA_BUFFER_M = 15.0
"""Buffer around a feeder's lines and customers for its service area [m] (drawing only)."""
MAX_DETAIL_FEEDERS = 10
"""Above this many feeders the report details only the ones that fail first (its size and
load time stay those of a 10-feeder study; every feeder is in the tables and files)."""
MAX_RANKED_ROWS = 30
"""Rows of the ranked substation table in the report (all are in ``area.csv``)."""
_PREFIX = "hosting_capacity_share_"
_FIRST = "uncontrolled"


def _positions(outdir: Path, geo: dict[str, dict] | None = None) -> dict[str, dict[str, Any]]:
    """Per feeder: substation x, y (SWEREF 99 TM), rating and the coordinates of all features."""
    out: dict[str, dict[str, Any]] = {}
    if geo is None:
        geo = {}
        folder = results.feeders_dir(outdir)
        for path in sorted(folder.glob("*.geojson")) if folder.is_dir() else []:
            geo[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    for name, collection in geo.items():
        sub, points, n_customers = None, [], 0
        for feature in collection.get("features", []):
            props = feature.get("properties", {})
            x, y = props.get("x"), props.get("y")
            kind = props.get("kind")
            if kind == "substation" and isinstance(x, int | float):
                sub = props
            if kind == "customer":
                n_customers += 1
            if isinstance(x, list):
                points += [tuple(c[:2]) for c in x if isinstance(c, list | tuple)]
            elif isinstance(x, int | float) and isinstance(y, int | float):
                points.append((float(x), float(y)))
        if sub is not None:
            out[name] = {
                "x": float(sub["x"]),
                "y": float(sub["y"]),
                "sn_kva": sub.get("sn_kva"),
                "n_customers": n_customers,
                "points": points,
            }
    return out


def _first_criterion(rows: pd.DataFrame) -> str:
    cols = [c for c in rows.index if str(c).startswith(_PREFIX)]
    values = pd.to_numeric(rows[cols], errors="coerce")
    if values.isna().all():
        return ""
    least = values.min()
    return ", ".join(c[len(_PREFIX) :] for c in cols if values[c] <= least + 1e-12)


def area_table(
    outdir: str | Path,
    hosting_capacity: pd.DataFrame | None,
    geo: dict[str, dict] | None = None,
) -> pd.DataFrame | None:
    """Hosting capacity per substation, ranked (module docstring).

    Parameters
    ----------
    outdir : path
        Output folder (``results/feeders/*.geojson``, optional ``reinforcement.csv``).
    hosting_capacity : pandas.DataFrame or None
        ``hosting_capacity.csv`` (one row per feeder and strategy).
    geo : dict, optional
        Feeder GeoJSON already loaded (name -> FeatureCollection).

    Returns
    -------
    pandas.DataFrame or None
        One row per feeder, ranked: ``rank``, ``feeder``, ``x``, ``y`` [m, SWEREF 99 TM],
        ``sn_kva``, ``n_customers``, ``hc_<strategy>`` [share of customers with an EV],
        ``reached_<strategy>`` (False: capacity is at least the largest share tested),
        ``first_violation_share`` (uncontrolled), ``binding_criterion`` and, if known,
        ``reinforcement_cost_sek``. None with fewer than :data:`AREA_MIN_FEEDERS` feeders.
    """
    if hosting_capacity is None or hosting_capacity.empty:
        return None
    hc = hosting_capacity
    feeders = list(dict.fromkeys(hc["feeder"].astype(str)))
    if len(feeders) < AREA_MIN_FEEDERS:
        return None
    pos = _positions(Path(outdir), geo)
    strategies = list(dict.fromkeys(hc["strategy"].astype(str)))
    first = _FIRST if _FIRST in strategies else strategies[0]
    rows = []
    for feeder in feeders:
        part = hc[hc["feeder"].astype(str) == feeder].set_index("strategy")
        p = pos.get(feeder, {})
        row: dict[str, Any] = {
            "feeder": feeder,
            "x": p.get("x", np.nan),
            "y": p.get("y", np.nan),
            "sn_kva": p.get("sn_kva", np.nan),
            "n_customers": p.get("n_customers", np.nan),
        }
        for s in strategies:
            row[f"hc_{s}"] = (
                float(part.at[s, "hosting_capacity_share"]) if s in part.index else np.nan
            )
            if "hosting_capacity_reached" in part.columns and s in part.index:
                row[f"reached_{s}"] = bool(part.at[s, "hosting_capacity_reached"])
        if first in part.index:
            row["first_violation_share"] = part.at[first, "first_violation_share"]
            row["binding_criterion"] = _first_criterion(part.loc[first])
        rows.append(row)
    table = pd.DataFrame(rows)
    cost = _reinforcement_costs(Path(outdir))
    if cost is not None:
        table["reinforcement_cost_sek"] = table["feeder"].map(cost)
    table = table.sort_values(
        [f"hc_{first}", "first_violation_share", "feeder"], na_position="last", kind="stable"
    ).reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def _reinforcement_costs(outdir: Path) -> pd.Series | None:
    """Reinforcement cost per feeder [SEK] from ``reinforcement.csv`` if the study wrote one."""
    path = outdir / "reinforcement.csv"
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(path)
    except (ValueError, OSError):
        return None
    if not {"feeder", "cost_sek"} <= set(table.columns):
        return None
    # one row per task and measure: a task's plan costs the sum of its measures; the feeder's
    # figure is the uncontrolled plan at the highest EV share studied, median over the draws
    table = table.assign(feeder=table["feeder"].astype(str))
    if "strategy" in table and (table["strategy"] == _FIRST).any():
        table = table[table["strategy"] == _FIRST]
    if "ev_share" in table and table["ev_share"].notna().any():
        top = table.groupby("feeder")["ev_share"].transform("max")
        table = table[table["ev_share"] == top]
    keys = [c for c in ("feeder", "seed") if c in table.columns]
    per_task = table.groupby(keys)["cost_sek"].sum().reset_index()
    return per_task.groupby("feeder")["cost_sek"].median()


def ranked_for_report(table: pd.DataFrame) -> pd.DataFrame:
    """The ranked table with the words and units a planner reads (percentages as text)."""
    out = pd.DataFrame(index=table["rank"].to_numpy())
    out["Substation"] = table["feeder"].to_numpy()
    out["Transformer [kVA]"] = (
        table["sn_kva"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}").to_numpy()
    )
    out["Customers"] = (
        table["n_customers"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}").to_numpy()
    )
    for col in [c for c in table.columns if c.startswith("hc_")]:
        reached = table.get(f"reached_{col[3:]}", pd.Series(True, index=table.index))
        out[f"{col[3:]} [% EVs]"] = [
            "–" if pd.isna(v) else (f"{100 * v:.0f}" if r else f">= {100 * v:.0f}")
            for v, r in zip(table[col], reached.fillna(True), strict=True)
        ]
    if "first_violation_share" in table:
        out["First violating draw at [% EVs]"] = (
            table["first_violation_share"]
            .map(lambda v: "none" if pd.isna(v) else f"{100 * v:.0f}")
            .to_numpy()
        )
    if "binding_criterion" in table:
        out["Binding criterion"] = (
            table["binding_criterion"].fillna("").str.replace("_", " ").to_numpy()
        )
    if "reinforcement_cost_sek" in table:
        out["Reinforcement [kSEK]"] = (
            table["reinforcement_cost_sek"]
            .map(lambda v: "" if pd.isna(v) else f"{v / 1000:.0f}")
            .to_numpy()
        )
    out.index.name = "Rank"
    return out


def write_hosting_capacity_gpkg(
    outdir: str | Path, table: pd.DataFrame, geo: dict[str, dict] | None = None
) -> Path:
    """Write :func:`area_table` as ``hosting_capacity.gpkg`` (points and service areas).

    Returns the path written (replaced if it existed).
    """
    import geopandas as gpd
    from shapely.geometry import MultiPoint, Point

    outdir = Path(outdir)
    pos = _positions(outdir, geo)
    attrs = table.copy()
    points = gpd.GeoDataFrame(
        attrs,
        geometry=[Point(x, y) for x, y in zip(attrs.x, attrs.y, strict=True)],
        crs="EPSG:3006",
    )
    hulls = []
    for feeder in attrs["feeder"]:
        pts = pos.get(feeder, {}).get("points") or []
        hulls.append(MultiPoint(pts).convex_hull.buffer(SERVICE_AREA_BUFFER_M) if pts else None)
    areas = gpd.GeoDataFrame(attrs, geometry=hulls, crs="EPSG:3006")
    target = outdir / GPKG_NAME
    if target.exists():
        target.unlink()
    points.to_file(target, layer="substations", driver="GPKG")
    areas.to_file(target, layer="service_areas", driver="GPKG")
    return target


def area_map_figure(table: pd.DataFrame) -> go.Figure | None:
    """Substations on the map (SWEREF 99 TM), coloured by hosting capacity; one view per
    strategy (buttons). Marker size grows with the number of customers."""
    strategies = [c[3:] for c in table.columns if c.startswith("hc_")]
    if not strategies or table[["x", "y"]].isna().all().all():
        return None
    size = 6 + 10 * np.sqrt(
        pd.to_numeric(table["n_customers"], errors="coerce").fillna(10) / 100.0
    ).clip(0, 1.5)
    fig = go.Figure()
    for k, s in enumerate(strategies):
        hc = 100 * pd.to_numeric(table[f"hc_{s}"], errors="coerce")
        text = [
            f"{f}<br>{s}: {v:.0f} % EVs<br>binding: {b}<br>{int(n) if n == n else '?'} customers"
            for f, v, b, n in zip(
                table["feeder"],
                hc.fillna(np.nan),
                table.get("binding_criterion", pd.Series([""] * len(table))).fillna(""),
                pd.to_numeric(table["n_customers"], errors="coerce"),
                strict=True,
            )
        ]
        fig.add_trace(
            go.Scattergl(
                x=table["x"],
                y=table["y"],
                mode="markers",
                name=s,
                visible=k == 0,
                text=text,
                hoverinfo="text",
                marker={
                    "size": size,
                    "color": hc,
                    "cmin": 0,
                    "cmax": 100,
                    "colorscale": "RdYlGn",
                    "colorbar": {"title": "hosting<br>capacity<br>[% EVs]"},
                    "line": {"width": 0.5, "color": "#333"},
                },
            )
        )
    fig.update_layout(
        height=560,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        xaxis={"title": "east [m, SWEREF 99 TM]", "scaleanchor": "y"},
        yaxis={"title": "north [m]"},
        showlegend=False,
        updatemenus=[
            {
                "buttons": [
                    {
                        "label": s,
                        "method": "update",
                        "args": [{"visible": [j == k for j in range(len(strategies))]}],
                    }
                    for k, s in enumerate(strategies)
                ],
                "direction": "right",
                "x": 0.0,
                "y": 1.08,
                "xanchor": "left",
                "type": "buttons",
            }
        ],
    )
    return fig


def write_area_results(outdir: str | Path, hosting_capacity: pd.DataFrame | None) -> Path | None:
    """Write ``area.csv`` (the ranked table) and ``hosting_capacity.gpkg`` for a study of
    several feeders; returns the GeoPackage path, or None when there is no area to show."""
    outdir = Path(outdir)
    table = area_table(outdir, hosting_capacity)
    if table is None:
        return None
    table.to_csv(outdir / "area.csv", index=False)
    return write_hosting_capacity_gpkg(outdir, table)
