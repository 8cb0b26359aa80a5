"""Fleet-share curves calibrated to the Swedish BEV fleet (docs/sources.md §5)."""

from __future__ import annotations

import numpy as np
import pytest

from gridv2x.adoption import fleet_share
from gridv2x.errors import InputError


@pytest.mark.parametrize("model", ["logistic", "bass"])
def test_calibrated_to_swedish_fleet(model):
    # end-2023: 291 678 BEV of ~4.97 M cars = 5.9 % [F]; curve within 1 percentage point
    assert fleet_share(2023, model=model) == pytest.approx(0.059, abs=0.01)
    # estimates [E]: 2030 25-35 % (curve 23 %), 2035 45-55 %, 2045 ~90 %: within 3 pp of range
    assert 0.22 <= fleet_share(2030, model=model) <= 0.35
    assert 0.45 <= fleet_share(2035, model=model) <= 0.55
    assert fleet_share(2045, model=model) == pytest.approx(0.90, abs=0.03)


def test_monotone_bounded_and_vectorised():
    years = np.arange(2000, 2080)
    for model in ("logistic", "bass"):
        s = fleet_share(years, model=model, saturation=0.95)
        assert s.shape == years.shape
        assert np.all(np.diff(s) >= 0)
        assert s.min() >= 0 and s.max() <= 0.95


def test_bad_curve_raises():
    with pytest.raises(InputError, match="model"):
        fleet_share(2030, model="gompertz")
    with pytest.raises(InputError, match="scale"):
        fleet_share(2030, scale=0)
