import numpy as np
import pandas as pd
import pytest

from gridv2x.conventions import period_index
from gridv2x.demand import load_duration_by_group
from gridv2x.errors import InputError


def test_load_duration_by_group():
    idx = period_index("2030-01-01", 2, "60min")
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "dwelling": ["villa", "villa", "apartment"],
            "heating": ["heat_pump", "heat_pump", "district"],
        }
    )
    p = pd.DataFrame({"a": np.arange(48.0), "b": np.arange(48.0) + 2, "c": 1.0}, index=idx)
    curves = load_duration_by_group(p, customers, points=48)
    assert list(curves.columns) == ["apartment / district", "villa / heat_pump"]
    # mean villa: 1..48 kW, sorted descending; every point exact at 48 points
    assert np.allclose(curves["villa / heat_pump"], np.arange(48.0)[::-1] + 1)
    assert np.allclose(curves["apartment / district"], 1.0)
    assert curves.attrs["customers"] == {"apartment / district": 1, "villa / heat_pump": 2}
    assert curves.attrs["energy_kwh"]["villa / heat_pump"] == pytest.approx(np.arange(1, 49).sum())
    with pytest.raises(InputError, match="missing"):
        load_duration_by_group(p, customers.drop(columns="heating"))
