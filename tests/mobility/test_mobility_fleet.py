"""EV fleet: vehicle models, chargers and phases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.conventions import FLEET_COLUMNS
from gridv2x.errors import InputError
from gridv2x.mobility import DEFAULT_FLEET_MIX, VEHICLE_MODELS, draw_fleet


def owners(n: int, **extra) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ev_id": [f"c{i:03d}-ev1" for i in range(n)],
            "customer_id": [f"c{i:03d}" for i in range(n)],
            **extra,
        }
    )


def test_fleet_columns_and_charger_power():
    fleet = draw_fleet(owners(2000), rng=np.random.default_rng(0))
    assert list(fleet.columns) == list(FLEET_COLUMNS)
    assert set(fleet["model"]) <= set(VEHICLE_MODELS)
    max_ac = fleet["model"].map({k: v.max_ac_kw for k, v in VEHICLE_MODELS.items()})
    assert (fleet["charger_kw"] <= max_ac + 1e-9).all()
    three = fleet["phases"] == 3
    assert (fleet.loc[three, "phase"] == "abc").all()
    assert set(fleet.loc[~three, "phase"]) == {"a", "b", "c"}
    np.testing.assert_allclose(fleet.loc[three, "charger_kw"], 11.0)
    assert (fleet.loc[~three, "charger_kw"] <= 7.4).all()
    # 20 % single-phase chargers plus single-phase cars (Leaf 7 %) on 3-ph chargers:
    # 0.2 + 0.8 × 0.07 = 0.256; 2000 draws, SE 1 pp, tolerance 3 pp
    assert (~three).mean() == pytest.approx(0.256, abs=0.03)
    # fleet mix: Model Y share 24 % ± 3 pp
    assert (fleet["model"] == "Tesla Model Y").mean() == pytest.approx(0.24, abs=0.03)


def test_single_phase_customers_get_their_phase_and_mix_is_honoured():
    o = owners(300, phases=[1] * 300, phase=["b"] * 300)
    fleet = draw_fleet(o, rng=np.random.default_rng(1), fleet_mix={"Volvo EX30": 1.0})
    assert (fleet["phases"] == 1).all() and (fleet["phase"] == "b").all()
    np.testing.assert_allclose(fleet["charger_kw"], 3.7)
    assert (fleet["model"] == "Volvo EX30").all()
    assert (fleet["battery_kwh"] == 64.0).all()


def test_charger_is_min_of_vehicle_and_home_charger():
    fleet = draw_fleet(
        owners(200),
        rng=np.random.default_rng(2),
        fleet_mix={"Nissan Leaf": 1, "Tesla Model Y": 1},
        share_1ph=0.0,
        charger_kw_3ph=22.0,
    )
    leaf = fleet["model"] == "Nissan Leaf"
    np.testing.assert_allclose(fleet.loc[leaf, "charger_kw"], 6.6)  # 22/3 > 6.6 on one phase
    np.testing.assert_allclose(fleet.loc[~leaf, "charger_kw"], 11.0)  # car's on-board limit


def test_default_mix_sums_to_one_and_bad_input():
    assert sum(DEFAULT_FLEET_MIX.values()) == pytest.approx(1.0)
    with pytest.raises(InputError, match="Trabant"):
        draw_fleet(owners(3), rng=np.random.default_rng(0), fleet_mix={"Trabant": 1.0})
    with pytest.raises(InputError, match="share_1ph"):
        draw_fleet(owners(3), rng=np.random.default_rng(0), share_1ph=2.0)
