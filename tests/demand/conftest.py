"""Fixtures of the demand tests."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.demand.customers import make_customers


@pytest.fixture
def villas() -> pd.DataFrame:
    return make_customers(50, seed=0)
