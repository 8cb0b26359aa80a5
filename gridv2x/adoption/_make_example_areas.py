"""Build ``networks/areas-example.gpkg``: an illustrative area layer over the built-in feeders.

Run ``python -m gridv2x.adoption._make_example_areas`` after the built-in feeders change. For
every built-in feeder, the bounding box of its customers (plus a 150 m margin) is split in two
halves along its longer side, DeSO-like areas with different BEV shares; a last polygon covers
the rest of Sweden at the national fleet share, so any Swedish feeder finds an area (polygons
earlier in the file win where they overlap).

The attribute values are **illustrative estimates [E]**, not real DeSO statistics: they follow
the regional pattern in docs/sources.md §5 (Stockholm suburbs ~11-17 % BEV of cars at end-2023,
national 5.9 %, rural Norrland far below) and are meant for examples and tests.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

# feeder -> (bev_share, income_index, villa_share) of the feeder's region [E]
REGION = {
    "se-suburban-villa": (0.13, 1.35, 0.75),  # Stockholm north suburbs (Täby-like)
    "se-mixed": (0.07, 1.00, 0.45),  # Uppsala-like town
    "se-rural-cable": (0.04, 0.90, 0.90),  # Småland countryside
    "se-rural-overhead": (0.03, 0.85, 0.95),  # Dalarna countryside
    "se-urban-apartments": (0.06, 0.90, 0.10),  # Gothenburg-like inner suburb
    "se-villa-large": (0.06, 1.05, 0.80),  # Östergötland town villas
    "se-villa-small": (0.05, 1.00, 0.85),  # Västerbotten coast
}
DEFAULT_REGION = (0.059, 1.0, 0.5)
"""National values: BEV share of cars end-2023 5.9 % (docs/sources.md §5 [F])."""
SWEDEN_BOX = (260000.0, 6120000.0, 930000.0, 7690000.0)
"""Generous SWEREF 99 TM extent of Sweden [m]."""
MARGIN_M = 150.0
SPLIT = (0.75, 1.25)
"""BEV share of the two halves relative to the feeder's region [E]."""

OUTPUT = Path(__file__).resolve().parents[2] / "networks" / "areas-example.gpkg"


def example_areas() -> gpd.GeoDataFrame:
    """The example layer as a GeoDataFrame in EPSG:3006."""
    from gridv2x.network import list_builtin, read_builtin

    rows = []
    for name in list_builtin():
        customers = read_builtin(name).customers
        x0, x1 = customers["x"].min() - MARGIN_M, customers["x"].max() + MARGIN_M
        y0, y1 = customers["y"].min() - MARGIN_M, customers["y"].max() + MARGIN_M
        bev, income, villa = REGION.get(name, DEFAULT_REGION)
        if x1 - x0 >= y1 - y0:
            xm = 0.5 * (x0 + x1)
            halves = [box(x0, y0, xm, y1), box(xm, y0, x1, y1)]
        else:
            ym = 0.5 * (y0 + y1)
            halves = [box(x0, y0, x1, ym), box(x0, ym, x1, y1)]
        for k, (geometry, factor) in enumerate(zip(halves, SPLIT, strict=True)):
            rows.append(
                {
                    "area_id": f"{name}-{'ab'[k]}",
                    "name": f"example area {k + 1} around {name} (illustrative)",
                    "bev_share": round(bev * factor, 4),
                    "income_index": round(income * (0.9 if k == 0 else 1.1), 3),
                    "villa_share": round(min(1.0, villa * (1.05 if k == 0 else 0.95)), 3),
                    "geometry": geometry,
                }
            )
    bev, income, villa = DEFAULT_REGION
    rows.append(
        {
            "area_id": "sweden-rest",
            "name": "rest of Sweden at national values",
            "bev_share": bev,
            "income_index": income,
            "villa_share": villa,
            "geometry": box(*SWEDEN_BOX),
        }
    )
    return gpd.GeoDataFrame(rows, crs="EPSG:3006")


def main(path: Path = OUTPUT) -> Path:
    """Write the example layer to ``path`` (GeoPackage, layer ``areas``)."""
    layer = example_areas()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    layer.to_file(path, driver="GPKG", layer="areas")
    return path


if __name__ == "__main__":  # pragma: no cover - maintenance script
    print(main())
