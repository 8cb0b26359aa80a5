"""EV allocation: realised share, 0/1/2 EVs per household, dwelling and fuse weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.adoption import allocate_evs, fleet_share
from gridv2x.adoption.weights import CARS_PER_CUSTOMER
from gridv2x.errors import InputError
from tests.adoption.conftest import make_customers


@pytest.mark.parametrize("share", [0.05, 0.33, 0.75, 1.37])
def test_realised_share_over_200_draws_within_1pct(customers, share):
    # stochastic rounding makes the mean count exact; tolerance 1 % relative (issue 4)
    rng = np.random.default_rng(11)
    counts = [len(allocate_evs(customers, rng=rng, share=share)) for _ in range(200)]
    realised = np.mean(counts) / len(customers)
    assert realised == pytest.approx(share, rel=0.01)
    # every single draw is within one EV of share × n
    assert np.all(np.abs(np.array(counts) - share * len(customers)) < 1.0)


def test_zero_one_or_two_evs_per_household(customers):
    rng = np.random.default_rng(1)
    owners = allocate_evs(customers, rng=rng, share=1.2, second_ev_share=0.4)
    assert list(owners.columns[:2]) == ["ev_id", "customer_id"]
    assert owners["ev_id"].is_unique
    per_customer = owners.groupby("customer_id").size()
    assert per_customer.max() == 2
    seconds = owners.loc[owners["ev_id"].str.endswith("-ev2"), "customer_id"]
    firsts = set(owners.loc[owners["ev_id"].str.endswith("-ev1"), "customer_id"])
    assert set(seconds) <= firsts
    # a share second_ev_share of the EVs (rounded down) are second cars
    assert len(seconds) == int(len(owners) * 0.4)
    # rows follow the customer order and carry the owner's connection
    order = owners["customer_id"].map({c: i for i, c in enumerate(customers["customer_id"])})
    assert order.is_monotonic_increasing
    assert {"dwelling", "fuse_a", "phases", "phase"} <= set(owners.columns)


def test_villas_far_above_apartments_and_fuse_matters():
    customers = make_customers(n=200, apartment_every=2)
    rng = np.random.default_rng(5)
    owned = pd.Series(0.0, index=customers["customer_id"])
    for _ in range(200):
        o = allocate_evs(customers, rng=rng, share=0.2, second_ev_share=0.0)
        owned[o["customer_id"]] += 1
    rate = owned.to_numpy() / 200
    villa = customers["dwelling"].to_numpy() == "villa"
    # default weights villa 1.0 vs apartment 0.15 (×0.7 for the 16 A fuse): the ratio of
    # ownership rates is > 3 (weighted sampling without replacement compresses 1/0.15)
    assert rate[villa].mean() > 3 * rate[~villa].mean()
    fuse = customers["fuse_a"].to_numpy()
    assert rate[villa & (fuse == 25)].mean() > rate[villa & (fuse == 16)].mean()


def test_zero_weight_dwellings_never_get_evs(customers):
    rng = np.random.default_rng(2)
    weights = {"villa": 1.0, "apartment": 0.0, "farm": 1.0, "business": 0.0}
    for _ in range(20):
        o = allocate_evs(customers, rng=rng, share=0.5, dwelling_weights=weights)
        assert (o["dwelling"] == "villa").all()


def test_year_overrides_share_on_the_national_curve():
    customers = make_customers(n=400)
    rng = np.random.default_rng(3)
    counts = [len(allocate_evs(customers, rng=rng, share=0.9, year=2030)) for _ in range(100)]
    # the nation as one area with half of the households in villas: a villa counts
    # 1 / (0.5 + 0.5 × 0.15), an apartment 0.15 / 0.575 national EVs per household
    villas = int((customers["dwelling"] == "villa").sum())
    per_household = CARS_PER_CUSTOMER * fleet_share(2030)
    expected = per_household * (villas * 1 / 0.575 + (400 - villas) * 0.15 / 0.575)
    assert np.mean(counts) == pytest.approx(expected, rel=0.01)
    # a feeder with the national dwelling mix gets the national EVs per household
    mixed = make_customers(n=400, apartment_every=2)
    counts = [len(allocate_evs(mixed, rng=rng, year=2030)) for _ in range(100)]
    assert np.mean(counts) == pytest.approx(400 * per_household, rel=0.01)


def test_same_seed_same_owners(customers):
    a = allocate_evs(customers, rng=np.random.default_rng(9), share=0.4)
    b = allocate_evs(customers, rng=np.random.default_rng(9), share=0.4)
    pd.testing.assert_frame_equal(a, b)


def test_bad_input_raises_input_error(customers):
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="adoption.share"):
        allocate_evs(customers, rng=rng, share=2.5)
    # more EVs than the households that may own one can take: capped at two each
    only_apartments = {"villa": 0.0, "apartment": 1.0, "farm": 0, "business": 0}
    owners = allocate_evs(customers, rng=rng, share=1.9, dwelling_weights=only_apartments)
    apartments = int((customers["dwelling"] == "apartment").sum())
    assert len(owners) == 2 * apartments and (owners["dwelling"] == "apartment").all()
    odd = customers.assign(dwelling=["castle"] + list(customers["dwelling"][1:]))
    with pytest.raises(InputError, match="castle"):
        allocate_evs(odd, rng=rng, share=0.3)
    with pytest.raises(InputError, match="fuse_a"):
        allocate_evs(customers.drop(columns="fuse_a"), rng=rng)


def test_allocations_of_one_seed_are_nested_across_shares_and_years(customers):
    def ids(**kw):
        return set(allocate_evs(customers, rng=np.random.default_rng(21), **kw)["ev_id"])

    shares = [ids(share=s) for s in (0.1, 0.3, 0.6, 1.0, 1.5)]
    for small, large in zip(shares, shares[1:], strict=False):
        assert small < large
    years = [ids(year=y) for y in (2025, 2030, 2035, 2040)]
    for small, large in zip(years, years[1:], strict=False):
        assert small <= large


def test_all_eligible_households_then_second_evs():
    customers = make_customers(n=40)
    owners = allocate_evs(customers, rng=np.random.default_rng(0), share=2.0)
    # share 2: every household owns two EVs
    assert (owners.groupby("customer_id").size() == 2).all() and len(owners) == 80


def test_empty_feeder_and_missing_fuse():
    empty = make_customers(n=0)
    owners = allocate_evs(empty, rng=np.random.default_rng(0), share=0.5)
    assert len(owners) == 0 and list(owners.columns[:2]) == ["ev_id", "customer_id"]
    broken = make_customers(n=10).astype({"fuse_a": float})
    broken.loc[3, "fuse_a"] = np.nan
    with pytest.raises(InputError, match="fuse_a"):
        allocate_evs(broken, rng=np.random.default_rng(0), share=0.5)


def _clustering(owners: pd.DataFrame, customers: pd.DataFrame, radius: float) -> float:
    """Share of EV households with another EV household within ``radius`` [m]."""
    xy = customers.set_index("customer_id").loc[owners["customer_id"].unique(), ["x", "y"]]
    d = np.hypot(*(xy.to_numpy()[:, None, :] - xy.to_numpy()[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    return float((d.min(axis=1) <= radius).mean())


def test_neighbour_effect_clusters_evs_and_stays_nested():
    customers = make_customers(n=120, apartment_every=1000)  # villas 10 m apart on a line
    rng_off, rng_on = np.random.default_rng(31), np.random.default_rng(31)
    off, on = [], []
    for _ in range(60):
        kw = {"share": 0.15, "second_ev_share": 0.0, "neighbour_radius_m": 25.0}
        off.append(_clustering(allocate_evs(customers, rng=rng_off, **kw), customers, 25.0))
        on.append(
            _clustering(
                allocate_evs(customers, rng=rng_on, neighbour_effect=5.0, **kw), customers, 25.0
            )
        )
    # 18 EVs on 120 villas: without peer effect ~45 % have an EV neighbour within 2 houses;
    # with a strong effect (each EV neighbour multiplies the rate by 6) clearly more
    assert np.mean(on) > np.mean(off) + 0.15
    ids = [
        set(
            allocate_evs(customers, rng=np.random.default_rng(4), share=s, neighbour_effect=2.0)[
                "ev_id"
            ]
        )
        for s in (0.1, 0.3, 0.6)
    ]
    assert ids[0] < ids[1] < ids[2]
