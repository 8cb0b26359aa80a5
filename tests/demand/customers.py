"""Test customers for the demand tests (built here; no dependency on gridv2x.network)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridv2x.conventions import CUSTOMER_COLUMNS


def make_customers(n: int = 50, seed: int = 0, dwelling: str = "villa") -> pd.DataFrame:
    """A Swedish villa area: 45 % heat pump (11 MWh), 20 % direct electric (20 MWh), 30 %
    district heating (5 MWh), 5 % no heating (5 MWh), each +-20 % (docs/sources.md §2)."""
    r = np.random.default_rng(seed)
    heating = r.choice(
        ["heat_pump", "direct_electric", "district", "none"], n, p=[0.45, 0.2, 0.3, 0.05]
    )
    kwh = np.select(
        [heating == "heat_pump", heating == "direct_electric"], [11000.0, 20000.0], 5000.0
    ) * r.uniform(0.8, 1.2, n)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "bus": np.arange(n) + 2,
            "load": np.arange(n),
            "dwelling": dwelling,
            "heating": heating,
            "fuse_a": 20,
            "annual_kwh": kwh,
            "phases": 3,
            "phase": "abc",
            "x": 674000.0 + np.arange(n),
            "y": 6580000.0 + np.arange(n),
        }
    )
    return frame[list(CUSTOMER_COLUMNS)]
