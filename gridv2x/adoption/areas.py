"""Area layers (municipalities, DeSO, ...) with the current BEV share, joined to customers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gridv2x.errors import InputError, unquoted

__all__ = [
    "read_areas",
    "check_areas",
    "areas_of_customers",
    "area_summary",
    "AREA_CRS",
    "AREA_COLUMNS",
]

AREA_CRS = "EPSG:3006"
"""Customers' x/y and the joined areas are in SWEREF 99 TM."""

AREA_COLUMNS = {
    "bev_share": "required: BEV share of the cars registered in the area [-], 0..1",
    "income_index": "optional: median income relative to the national median [-] (1 = average)",
    "villa_share": "optional: share of the area's households living in villas [-], 0..1",
}
"""Columns read from an area layer and their meaning."""


def read_areas(path: str | Path) -> gpd.GeoDataFrame:
    """Read and check an area layer (GeoPackage, GeoJSON or any file GDAL reads).

    Parameters
    ----------
    path : str or Path
        Polygon layer with column ``bev_share`` and optional ``income_index``, ``villa_share``
        (see :data:`AREA_COLUMNS`), in any CRS that is declared in the file.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``area_id`` (the layer's ``area_id``/``name`` column when present, else the row
        number as text), ``bev_share``, ``income_index`` (1.0 when absent), ``villa_share``
        (NaN when absent), ``geometry`` reprojected to EPSG:3006.

    Raises
    ------
    gridv2x.errors.InputError
        When the file is missing or unreadable, has no CRS, no polygons, or a column is missing
        or out of range; the message names the file and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"adoption.areas: file {str(path)!r} does not exist")
    try:
        layer = gpd.read_file(path)
    except Exception as exc:  # GDAL/pyogrio raise many kinds
        raise InputError(
            f"adoption.areas: cannot read {str(path)!r} as a GIS layer ({unquoted(exc)}); "
            "allowed: a GeoPackage or GeoJSON of polygons"
        ) from exc
    try:  # a CSV reads as a plain table without geometries
        has_geometry = isinstance(layer, gpd.GeoDataFrame) and layer.geometry is not None
    except AttributeError:
        has_geometry = False
    if not has_geometry:
        raise InputError(
            f"adoption.areas: {str(path)!r} holds no geometries; allowed: a GeoPackage or "
            "GeoJSON of polygons"
        )
    return check_areas(layer, source=str(path))


def check_areas(layer: gpd.GeoDataFrame, *, source: str = "areas") -> gpd.GeoDataFrame:
    """Check an area layer already in memory and bring it to the form of :func:`read_areas`.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Polygons with ``bev_share`` and optional ``income_index``, ``villa_share``, ``area_id``
        or ``name``, with a CRS.
    source : str
        Name used in error messages (the file).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`read_areas`.
    """
    path = source
    if layer.crs is None:
        raise InputError(
            f"adoption.areas: {path!r} declares no coordinate reference system; allowed: "
            "any CRS stored in the file (e.g. EPSG:3006 or EPSG:4326)"
        )
    if len(layer) == 0:
        raise InputError(f"adoption.areas: {path!r} has no features; allowed: polygons")
    kinds = set(layer.geometry.geom_type.dropna())
    if not kinds or not kinds <= {"Polygon", "MultiPolygon"}:
        raise InputError(
            f"adoption.areas: {path!r} has geometry types {sorted(kinds)}; allowed: "
            "Polygon or MultiPolygon"
        )
    if "bev_share" not in layer.columns:
        raise InputError(
            f"adoption.areas: {path!r} has no column 'bev_share' (columns: "
            f"{[c for c in layer.columns if c != 'geometry']}); allowed: a layer with "
            "'bev_share' [-] and optional 'income_index', 'villa_share'"
        )
    out = gpd.GeoDataFrame(geometry=layer.geometry.to_crs(AREA_CRS))
    if "area_id" in layer.columns:
        out["area_id"] = layer["area_id"].astype(str).to_numpy()
    elif "name" in layer.columns:
        out["area_id"] = layer["name"].astype(str).to_numpy()
    else:
        out["area_id"] = [str(i) for i in range(len(layer))]
    for column, low, high, default in (
        ("bev_share", 0.0, 1.0, None),
        ("income_index", 0.0, np.inf, 1.0),
        ("villa_share", 0.0, 1.0, np.nan),
    ):
        if column not in layer.columns:
            out[column] = default
            continue
        values = pd.to_numeric(layer[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < low) | (values > high)
        if column == "income_index":
            bad |= values <= 0
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"adoption.areas: {path!r} column {column!r} has {int(bad.sum())} invalid "
                f"value(s), e.g. {layer[column].iloc[row]!r} in row {row}; allowed: numbers "
                f"{'> 0' if column == 'income_index' else f'between {low} and {high}'}"
            )
        out[column] = values
    return out[["area_id", "bev_share", "income_index", "villa_share", "geometry"]]


def areas_of_customers(
    customers: pd.DataFrame, areas: gpd.GeoDataFrame, *, source: str = "areas"
) -> pd.DataFrame:
    """Find the area of each customer (point in polygon, EPSG:3006).

    Parameters
    ----------
    customers : pandas.DataFrame
        With columns ``customer_id``, ``x``, ``y`` (SWEREF 99 TM, EPSG:3006) [m].
    areas : geopandas.GeoDataFrame
        As returned by :func:`read_areas` (any CRS; reprojected to EPSG:3006 here).
    source : str
        File name used in error messages.

    Returns
    -------
    pandas.DataFrame
        One row per customer, in the order of ``customers`` (same index): ``area_id``,
        ``bev_share``, ``income_index``, ``villa_share``. A customer inside several overlapping
        polygons takes the first of them in file order.

    Raises
    ------
    gridv2x.errors.InputError
        When customers lack coordinates or lie outside every polygon of the layer.
    """
    for column in ("customer_id", "x", "y"):
        if column not in customers.columns:
            raise InputError(f"customers: column {column!r} missing; needed to join {source!r}")
    xy = customers[["x", "y"]].to_numpy(dtype=float)
    if not np.isfinite(xy).all():
        raise InputError(
            f"customers: {int((~np.isfinite(xy)).any(axis=1).sum())} customer(s) without x/y "
            f"coordinates; needed to join the area layer {source!r}"
        )
    if areas.crs is None or areas.crs != AREA_CRS:
        areas = areas.to_crs(AREA_CRS)
    areas = areas.reset_index(drop=True)
    points = gpd.GeoDataFrame(
        {"_row": np.arange(len(customers))},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=AREA_CRS,
    )
    joined = gpd.sjoin(points, areas, how="left", predicate="intersects")
    joined = joined.sort_values(["_row", "index_right"]).drop_duplicates("_row")
    outside = joined["index_right"].isna().to_numpy()
    if outside.any():
        ids = customers["customer_id"].to_numpy()[joined["_row"].to_numpy()[outside]]
        raise InputError(
            f"adoption.areas: {int(outside.sum())} customer(s) lie outside every polygon of "
            f"{source!r} (e.g. {list(ids[:3])}); allowed: an area layer covering all customers "
            "(customer x/y are EPSG:3006)"
        )
    result = areas.loc[
        joined["index_right"].astype(int).to_numpy(),
        ["area_id", "bev_share", "income_index", "villa_share"],
    ]
    return pd.DataFrame(result.to_numpy(), columns=result.columns, index=customers.index).astype(
        {"bev_share": float, "income_index": float, "villa_share": float}
    )


def area_summary(
    areas: gpd.GeoDataFrame,
    customers: pd.DataFrame,
    owners: pd.DataFrame,
    *,
    crs: str = "EPSG:4326",
) -> gpd.GeoDataFrame:
    """Customers and EVs per area of a layer, for maps ("EVs per area").

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        From :func:`read_areas`.
    customers : pandas.DataFrame
        ``Feeder.customers`` (``customer_id``, ``x``, ``y`` in EPSG:3006).
    owners : pandas.DataFrame
        From :func:`gridv2x.adoption.allocate_evs` (``ev_id``, ``customer_id``).
    crs : str
        CRS of the returned geometries; EPSG:4326 for web maps.

    Returns
    -------
    geopandas.GeoDataFrame
        Only the areas holding customers: ``area_id``, ``bev_share``, ``income_index``,
        ``villa_share``, ``n_customers``, ``n_evs``, ``ev_share`` (EVs per customer [-]),
        ``geometry``.
    """
    joined = areas_of_customers(customers, areas)
    area_of = pd.Series(joined["area_id"].to_numpy(), index=customers["customer_id"].to_numpy())
    n_customers = area_of.value_counts()
    n_evs = area_of.reindex(owners["customer_id"].to_numpy()).value_counts()
    out = areas[areas["area_id"].isin(n_customers.index)].drop_duplicates("area_id").copy()
    out["n_customers"] = out["area_id"].map(n_customers).astype(int)
    out["n_evs"] = out["area_id"].map(n_evs).fillna(0).astype(int)
    out["ev_share"] = out["n_evs"] / out["n_customers"]
    return out.to_crs(crs).reset_index(drop=True)
