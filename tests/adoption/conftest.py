"""Shared fixtures for the adoption tests: a synthetic feeder's customers and area layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from gridv2x.conventions import CUSTOMER_COLUMNS

X0, Y0 = 667000.0, 6592000.0  # SWEREF 99 TM, north of Stockholm


def make_customers(n: int = 60, apartment_every: int = 4, seed: int = 0) -> pd.DataFrame:
    """Customers on a line from X0 eastwards, 10 m apart: villas with every k-th an apartment."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    dwelling = np.where(i % apartment_every == 0, "apartment", "villa")
    return pd.DataFrame(
        {
            "customer_id": [f"c{k:03d}" for k in i],
            "bus": i + 1,
            "load": i,
            "dwelling": dwelling,
            "heating": "heat_pump",
            "fuse_a": np.where(dwelling == "apartment", 16, rng.choice([16, 20, 25], size=n)),
            "annual_kwh": 10000.0,
            "phases": 3,
            "phase": "abc",
            "x": X0 + 5.0 + 10.0 * i,
            "y": Y0 + 50.0 + 3.0 * (i % 7),
        },
        columns=list(CUSTOMER_COLUMNS),
    )


@pytest.fixture
def customers() -> pd.DataFrame:
    return make_customers()


@pytest.fixture
def area_layer() -> gpd.GeoDataFrame:
    """Three side-by-side areas, each 200 m wide, covering the 60 customers (0..600 m)."""
    return gpd.GeoDataFrame(
        {
            "area_id": ["low", "mid", "high"],
            "bev_share": [0.03, 0.08, 0.20],
            "income_index": [0.8, 1.0, 1.4],
            "villa_share": [0.3, 0.6, 0.9],
        },
        geometry=[box(X0 + 200 * k, Y0, X0 + 200 * (k + 1), Y0 + 200) for k in range(3)],
        crs="EPSG:3006",
    )
