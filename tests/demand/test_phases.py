"""Household load per phase (gridv2x.demand.phases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.demand import SINGLE_PHASE_APPLIANCE_SHARE, household_phase_shares, split_annual_kwh
from gridv2x.errors import InputError


def _customers():
    return pd.DataFrame(
        {
            "customer_id": ["h1", "h2", "h3", "h4", "flat"],
            "dwelling": ["villa", "villa", "villa", "villa", "apartment"],
            "heating": ["direct_electric", "heat_pump", "district", "none", "none"],
            "annual_kwh": [20000.0, 12000.0, 6000.0, 5000.0, 2500.0],
            "phase": ["abc", "abc", "abc", "abc", "b"],
        }
    )


def test_shares_sum_to_one_and_single_phase_customers_sit_on_their_phase():
    shares = household_phase_shares(_customers())
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    np.testing.assert_array_equal(shares[4], [0.0, 1.0, 0.0])


def test_single_phase_appliances_on_a_rotated_main_phase_heating_balanced():
    customers = _customers()
    shares = household_phase_shares(customers)
    household, heating = split_annual_kwh(customers)
    sigma = SINGLE_PHASE_APPLIANCE_SHARE * household / (household + heating)
    for j in range(4):
        main = j % 3  # rotated over the three-phase households
        expected = np.full(3, (1 - sigma[j]) / 3)
        expected[main] += sigma[j]
        np.testing.assert_allclose(shares[j], expected)
    # a direct-electric villa (mostly heating) is far less unbalanced than one without heating
    assert shares[0].max() - shares[0].min() < shares[3].max() - shares[3].min()
    # over many households the main phases balance out
    many = pd.concat([customers.iloc[:4]] * 3, ignore_index=True)
    many["annual_kwh"] = 5000.0
    many["heating"] = "none"
    total = household_phase_shares(many).sum(axis=0)
    np.testing.assert_allclose(total, total.mean())


def test_without_phase_column_every_customer_is_three_phase():
    customers = _customers().drop(columns=["phase", "dwelling"])
    shares = household_phase_shares(customers)
    main = np.arange(5) % 3
    np.testing.assert_allclose(
        shares[np.arange(5), main], (1 + 2 * SINGLE_PHASE_APPLIANCE_SHARE) / 3
    )


def test_bad_phase_is_refused():
    customers = _customers()
    customers.loc[0, "phase"] = "d"
    with pytest.raises(InputError, match="customers.phase"):
        household_phase_shares(customers)
