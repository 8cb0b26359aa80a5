"""A synthetic Swedish municipality: many secondary substations in one NIS-like GIS export.

For tests, benchmarks and demonstrations of area studies without a DSO's data. The built-in
reference feeders are placed around a town centre in the mix a Swedish municipality has
[E] (docs/sources.md §13): apartment blocks in the centre, villa areas around it, mixed town
edges further out and rural cable and overhead networks in the countryside. Each placed
feeder is a built-in feeder moved to its substation position, with its customers' annual use
varied (log-normal, :data:`ANNUAL_USE_SD`) so that no two substations are identical.

The file is written in the format of a Swedish export (layer, attribute and code names of
``networks/mapping-sv.yaml``), so reading it back exercises the mapping:
``read_area(path, mapping="networks/mapping-sv.yaml")``.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import affinity
from shapely.geometry import box

from gridv2x.errors import InputError
from gridv2x.network.builtin import read_builtin
from gridv2x.network.gis import TARGET_CRS, feeder_layers, write_layers
from gridv2x.network.mapping import Mapping, read_mapping

__all__ = ["synthesize_area", "write_area", "SWEDISH_MAPPING", "TOWN_CENTRE", "ZONES"]

SWEDISH_MAPPING = Path(__file__).with_name("mapping-sv.yaml")
"""The shipped mapping of a Swedish export (also the format :func:`write_area` writes); a copy
is ``networks/mapping-sv.yaml`` (a test keeps them equal)."""

TOWN_CENTRE = (540_000.0, 6_600_000.0)
"""Town centre in SWEREF 99 TM [m] (an invented inland town in Svealand)."""

ZONES: tuple[tuple[float, float, float, dict[str, float]], ...] = (
    # (share of substations, inner radius [m], outer radius [m], feeder type -> weight)
    (0.15, 0.0, 1_500.0, {"se-urban-apartments": 0.8, "se-mixed": 0.2}),
    (
        0.45,
        1_500.0,
        5_000.0,
        {"se-suburban-villa": 0.35, "se-villa-large": 0.2, "se-villa-small": 0.3, "se-mixed": 0.15},
    ),
    (0.40, 5_000.0, 15_000.0, {"se-rural-cable": 0.55, "se-rural-overhead": 0.35, "se-mixed": 0.1}),
)
"""Zones of the synthetic municipality [E] (docs/sources.md §13): about one secondary
substation in six is urban, almost half serve villa areas, the rest are rural (Swedish
municipal DSOs outside the big cities have most of their substations in villa and rural areas)."""

ANNUAL_USE_SD = 0.15
"""Standard deviation of the log of each customer's annual-use factor [-] [E]."""

CLEARANCE_M = 30.0
"""Least distance between the bounding boxes of two placed feeders [m]."""


def _inverse(mapping: Mapping) -> tuple[dict, dict, dict]:
    cols = {
        layer: {ours: theirs for ours, theirs in c.items()} for layer, c in mapping.columns.items()
    }
    codes: dict[str, dict[str, str]] = {}
    raw = mapping.to_dict()["values"]
    for attribute, cats in raw.items():
        codes[attribute] = {ours: theirs_list[0] for ours, theirs_list in cats.items()}
    return mapping.layers, cols, codes


def synthesize_area(
    n_feeders: int, seed: int = 0, mapping: str | os.PathLike | dict | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """The layers of a synthetic municipality with ``n_feeders`` substations (module docstring).

    Parameters
    ----------
    n_feeders : int
        Number of secondary substations (feeders), >= 1.
    seed : int
        Random seed (positions, feeder types, annual-use factors).
    mapping : path or dict, optional
        Names to write (default ``networks/mapping-sv.yaml``: Swedish layer, attribute and
        code names).

    Returns
    -------
    dict
        Their layer name -> GeoDataFrame in SWEREF 99 TM.
    """
    if isinstance(n_feeders, bool) or not isinstance(n_feeders, int) or n_feeders < 1:
        raise InputError(
            f"synthesize: --feeders must be a positive whole number, given {n_feeders!r}"
        )
    mp = read_mapping(mapping if mapping is not None else SWEDISH_MAPPING)
    layer_names, cols, codes = _inverse(mp)
    rng = np.random.default_rng(seed)
    shares = np.array([z[0] for z in ZONES])
    zone_of = rng.choice(len(ZONES), size=n_feeders, p=shares / shares.sum())
    templates: dict[str, dict[str, gpd.GeoDataFrame]] = {}
    placed: list = []
    out: dict[str, list[gpd.GeoDataFrame]] = {"substation": [], "lines": [], "customers": []}
    for k in range(n_feeders):
        _, r_in, r_out, mix = ZONES[zone_of[k]]
        names = list(mix)
        weights = np.array([mix[n] for n in names])
        kind = names[rng.choice(len(names), p=weights / weights.sum())]
        if kind not in templates:
            templates[kind] = feeder_layers(read_builtin(kind))
        layers = templates[kind]
        sub0 = layers["substation"].geometry.iloc[0]
        bounds = pd.concat([layers["lines"].geometry, layers["customers"].geometry]).total_bounds
        for attempt in range(2000):
            # grow the zone when it is full (many feeders in a small zone)
            grow = 1.0 + attempt / 200.0
            r = np.sqrt(rng.uniform(r_in**2, (r_out * grow) ** 2))
            phi = rng.uniform(0.0, 2.0 * np.pi)
            x = TOWN_CENTRE[0] + r * np.cos(phi)
            y = TOWN_CENTRE[1] + r * np.sin(phi)
            angle = float(rng.choice([0.0, 90.0, 180.0, 270.0]))
            dx, dy = x - sub0.x, y - sub0.y
            footprint = affinity.rotate(box(*bounds).buffer(CLEARANCE_M / 2), angle, origin=sub0)
            footprint = affinity.translate(footprint, dx, dy)
            if not any(footprint.intersects(other) for other in placed):
                break
        else:  # pragma: no cover - 2000 attempts with a growing zone always find room
            raise InputError(f"synthesize: found no room for substation {k + 1}")
        placed.append(footprint)
        sid = f"NS{k + 1:04d}"

        sub = layers["substation"].copy()
        sub["substation_id"] = sid
        sub = sub.set_geometry(_move(sub, angle, sub0, dx, dy))
        lines = layers["lines"].copy()
        lines["line_id"] = [f"{sid}-{v}" for v in lines.line_id]
        lines = lines.set_geometry(_move(lines, angle, sub0, dx, dy))
        cust = layers["customers"].copy()
        cust["customer_id"] = [f"{sid}-{v}" for v in cust.customer_id]
        factor = rng.lognormal(0.0, ANNUAL_USE_SD, size=len(cust))
        cust["annual_kwh"] = np.round(cust["annual_kwh"].astype(float) * factor, 0)
        cust = cust.set_geometry(_move(cust, angle, sub0, dx, dy))
        out["substation"].append(sub)
        out["lines"].append(lines)
        out["customers"].append(cust)
    result = {}
    for layer, parts in out.items():
        gdf = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=TARGET_CRS)
        keep = [c for c in gdf.columns if c == gdf.geometry.name or c in cols.get(layer, {})]
        gdf = gdf[keep]
        for attribute, table in codes.items():
            if attribute in gdf.columns:
                gdf[attribute] = [
                    table.get(v, v) if isinstance(v, str) else v for v in gdf[attribute]
                ]
        gdf = gdf.rename(columns=cols.get(layer, {}))
        result[layer_names.get(layer, layer)] = gdf
    return result


def _move(gdf: gpd.GeoDataFrame, angle: float, origin, dx: float, dy: float) -> gpd.GeoSeries:
    """Rotate about ``origin`` by ``angle`` [°], then translate by (dx, dy) [m]."""
    return gdf.geometry.rotate(angle, origin=origin).translate(dx, dy)


def write_area(layers: dict[str, gpd.GeoDataFrame], path: str | os.PathLike) -> Path:
    """Write area layers: one GeoPackage (``.gpkg``), else a folder of GeoJSON files."""
    return write_layers(layers, path)
