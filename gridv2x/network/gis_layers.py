"""Reading the GIS layers of a feeder (GeoPackage or a folder of GeoJSON files): find the
three layers, reproject to SWEREF 99 TM, and refuse coordinates that cannot be a Swedish
feeder (the layer format: :mod:`gridv2x.network.gis`)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gridv2x.errors import InputError, unquoted
from gridv2x.network.checks import (
    ERROR,
    WARNING,
    Problem,
)
from gridv2x.network.mapping import Mapping

TARGET_CRS = "EPSG:3006"
"""CRS every layer is reprojected to: SWEREF 99 TM."""

LAYERS = ("substation", "lines", "customers")
"""The layers of a feeder, by their names in a GeoPackage or folder."""


def _folder_file(folder: Path, layer: str) -> Path | None:
    """The GeoJSON or shapefile of ``layer`` in ``folder`` (names match ignoring letter case)."""
    files = {f.name.casefold(): f for f in folder.iterdir() if f.is_file()}
    for suffix in (".geojson", ".shp", ".json"):
        f = files.get(f"{layer}{suffix}".casefold())
        if f is not None:
            return f
    return None


def _read_layers(
    path: Path, mapping: Mapping | None = None
) -> tuple[dict[str, gpd.GeoDataFrame], list[Problem]]:
    problems: list[Problem] = []
    layers: dict[str, gpd.GeoDataFrame] = {}
    mapping = mapping or Mapping()
    if not path.exists():
        raise InputError(
            f"gis: {str(path)!r} does not exist (give a .gpkg file, or a folder with "
            "substation, lines and customers as .geojson or .shp files)"
        )
    if path.is_file() and path.suffix.lower() in (".geojson", ".shp"):
        path = path.parent
    names: dict[str, str] = {}
    if path.is_file():
        try:
            import pyogrio

            names = {str(n).casefold(): str(n) for n in pyogrio.list_layers(path)[:, 0]}
        except Exception:  # unreadable file: reported per layer below
            names = {}
    for layer in LAYERS:
        theirs = mapping.layer_name(layer)
        try:
            if path.is_dir():
                f = _folder_file(path, theirs)
                if f is None:
                    problems.append(
                        Problem(
                            ERROR,
                            "missing_layer",
                            f"{theirs}.geojson or {theirs}.shp is missing in {path}; add the "
                            f"{layer} layer"
                            + (f" (named {theirs!r} by the mapping)" if theirs != layer else ""),
                            layer=layer,
                        )
                    )
                    continue
                gdf = gpd.read_file(f)
            else:
                gdf = gpd.read_file(path, layer=names.get(theirs.casefold(), theirs))
        except Exception as exc:  # missing layer, unreadable file: many exception kinds
            problems.append(
                Problem(
                    ERROR,
                    "missing_layer",
                    f"cannot read layer {theirs!r} from {path.name} ({unquoted(exc)}); the file needs "
                    f"layers {', '.join(mapping.layer_name(n) for n in LAYERS)}"
                    + (f" (its layers: {', '.join(names.values())})" if names else ""),
                    layer=layer,
                )
            )
            continue
        gdf, missing = mapping.apply(layer, gdf)
        for message in missing:
            problems.append(Problem(ERROR, "missing_attribute", message, layer=layer))
        gdf = _finite_geometries(gdf, layer, problems)
        if gdf.crs is None:
            problems.append(
                Problem(
                    WARNING,
                    "crs",
                    "layer has no CRS; taken as SWEREF 99 TM (EPSG:3006). Set the CRS in GIS",
                    layer=layer,
                )
            )
            gdf = gdf.set_crs(TARGET_CRS)
        elif gdf.crs.is_geographic and len(gdf) and not _lonlat_range(gdf):
            # GeoJSON without a "crs" member reads as WGS84 (RFC 7946), but these numbers are
            # metres: a SWEREF 99 TM export that lost its CRS
            problems.append(
                Problem(
                    WARNING,
                    "crs",
                    f"layer says {gdf.crs.to_string()} but its coordinates are not longitudes/"
                    "latitudes; taken as SWEREF 99 TM (EPSG:3006). Set the CRS in GIS",
                    layer=layer,
                )
            )
            gdf = gdf.set_crs(TARGET_CRS, allow_override=True)
        elif gdf.crs.to_epsg() != 3006:
            source_crs = gdf.crs.to_string()
            looks_sweref = len(gdf) and _in_sweden(gdf)
            gdf = gdf.to_crs(TARGET_CRS)
            if looks_sweref and not _in_sweden(gdf):
                problems.append(
                    Problem(
                        ERROR,
                        "crs",
                        f"layer says {source_crs}, but its coordinates are SWEREF 99 TM "
                        f"(EPSG:3006) numbers for Sweden, and read as {source_crs} they lie "
                        "outside Sweden; set the layer's CRS to EPSG:3006 in GIS",
                        layer=layer,
                    )
                )
            gdf = _finite_geometries(gdf, layer, problems)
        layers[layer] = gdf
    return layers, problems


SWEREF_SWEDEN_M = (150_000.0, 6_050_000.0, 1_100_000.0, 7_750_000.0)
"""Box around Sweden in SWEREF 99 TM (EPSG:3006) [m]: (min x, min y, max x, max y); the CRS's
area of use is about 182-864 km east, 6102-7689 km north."""


MAX_COORDINATE_M = 1e8
"""Largest absolute coordinate accepted [m]; SWEREF 99 TM numbers stay below 8e6."""


_ID_COLUMNS = {"substation": "substation_id", "lines": "line_id", "customers": "customer_id"}


def _in_sweden(gdf: gpd.GeoDataFrame) -> bool:
    """Whether every coordinate lies in the SWEREF 99 TM box around Sweden."""
    minx, miny, maxx, maxy = gdf.total_bounds
    x0, y0, x1, y1 = SWEREF_SWEDEN_M
    return bool(x0 <= minx <= maxx <= x1 and y0 <= miny <= maxy <= y1)


def _finite_geometries(
    gdf: gpd.GeoDataFrame, layer: str, problems: list[Problem]
) -> gpd.GeoDataFrame:
    """Drop features without a geometry or with a coordinate that is NaN, infinite or beyond
    :data:`MAX_COORDINATE_M`, reporting each by id (they would break the topology)."""
    import shapely

    geoms = gdf.geometry.to_numpy()
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    wild = ~np.isfinite(coords).all(axis=1) | (np.abs(coords) > MAX_COORDINATE_M).any(axis=1)
    bad[owner[wild]] = True
    if not bad.any():
        return gdf
    column = _ID_COLUMNS.get(layer)
    if column in gdf.columns:
        ids = tuple(str(v) for v in gdf[column].to_numpy()[bad])
    else:
        ids = tuple(f"row {i}" for i in np.flatnonzero(bad))
    problems.append(
        Problem(
            ERROR,
            "invalid_geometry",
            "geometry is missing, empty, or has a coordinate that is not a finite number "
            f"within {MAX_COORDINATE_M:g} m; fix the feature's geometry",
            ids,
            layer,
        )
    )
    return gdf[~bad]


def _lonlat_range(gdf: gpd.GeoDataFrame) -> bool:
    minx, miny, maxx, maxy = gdf.total_bounds
    return bool(-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90)


def _num(value, default=np.nan) -> float:
    """``value`` as float; ``default`` if missing; NaN if not a number."""
    if _missing(value):
        return default
    try:
        out = float(value)
    except (TypeError, ValueError):
        return np.nan
    return default if np.isnan(out) else out


def _missing(value) -> bool:
    if value is None or (isinstance(value, str) and value == ""):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
