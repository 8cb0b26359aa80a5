import time

import numpy as np
import pandas as pd
import pytest

from gridv2x.calendar import is_sunday_like
from gridv2x.conventions import period_index
from gridv2x.demand import base_load, outdoor_temperature
from gridv2x.errors import InputError
from tests.demand.customers import make_customers


def velander_kw(total_kwh: float, k1: float = 0.0003, k2: float = 0.0375) -> float:
    """Velander's peak for a group of houses, docs/sources.md §2 (hartvigsson model constants)."""
    return k1 * total_kwh + k2 * np.sqrt(total_kwh)


@pytest.fixture(scope="module")
def year():
    """One synthetic SE3 year at hourly resolution and the base load of 50 villas."""
    idx = period_index("2030-01-01", 365, "60min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(100), zone="SE3")
    customers = make_customers(50, seed=0)
    p, q = base_load(customers, idx, temp, rng=np.random.default_rng(0))
    return idx, temp, customers, p, q


def test_shape_and_columns(year):
    idx, _, customers, p, q = year
    assert p.shape == (len(idx), 50) and q.shape == p.shape
    assert p.index.equals(idx) and list(p.columns) == customers["customer_id"].tolist()
    assert (p.to_numpy() >= 0).all() and np.isfinite(p.to_numpy()).all()
    # reactive power at the default power factor 0.95: Q/P = tan(acos(0.95)) = 0.3287
    assert np.allclose(q.to_numpy(), 0.32868 * p.to_numpy(), rtol=1e-4)


def test_annual_energy_per_customer(year):
    # tolerance 2 % (the model scales a full year exactly, so it is met to rounding)
    _, _, customers, p, _ = year
    energy = p.sum().to_numpy() * 1.0
    assert np.allclose(energy, customers["annual_kwh"].to_numpy(), rtol=0.02)


def test_annual_energy_15min_and_scale():
    idx = period_index("2030-01-01", 365, "15min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(1))
    customers = make_customers(10, seed=2)
    p, _ = base_load(customers, idx, temp, rng=np.random.default_rng(1), annual_kwh_scale=1.25)
    energy = p.sum().to_numpy() * 0.25
    assert np.allclose(energy, 1.25 * customers["annual_kwh"].to_numpy(), rtol=0.02)


def test_winter_peak_above_summer_peak(year):
    _, _, customers, p, _ = year
    month = p.index.month
    winter = p[(month <= 2) | (month == 12)].max()
    summer = p[(month >= 6) & (month <= 8)].max()
    electric = customers["heating"].isin(["heat_pump", "direct_electric"]).to_numpy()
    assert (winter[electric] > summer[electric]).all()
    # and by a wide margin on the aggregate of the electrically heated (factor > 1.5)
    agg = p.loc[:, electric].sum(axis=1)
    assert agg[(month <= 2)].max() > 1.5 * agg[(month >= 6) & (month <= 8)].max()


def test_coincident_peak_velander():
    """Coincident hourly peak of 50 villas vs Velander (an hourly-energy peak formula).

    Velander's constants describe the peak of a typical winter, so the criterion is the mean
    over 8 synthetic weather years (seeds 0-7, all of them): within 15 %. The peak of a single
    year depends on how cold its winter is (coldest daily mean -7 to -14 °C in SE3); each year
    must be within 20 % (observed 0.84-1.17 for these seeds; mean 0.98).
    """
    idx = period_index("2030-01-01", 365, "60min")
    customers = make_customers(50, seed=0)
    ref = velander_kw(customers["annual_kwh"].sum())
    ratios = []
    for s in range(8):
        temp = outdoor_temperature(idx, rng=np.random.default_rng(100 + s), zone="SE3")
        p, _ = base_load(customers, idx, temp, rng=np.random.default_rng(s))
        ratios.append(p.sum(axis=1).max() / ref)  # hourly means (60-min index)
    assert 0.85 <= np.mean(ratios) <= 1.15, ratios
    assert all(0.8 <= r <= 1.2 for r in ratios), ratios


def test_diversity_single_above_group(year):
    # diversity: a single villa's hourly peak per kWh is far above the group's (Velander's
    # single-house peak is ~1.6x the 50-house per-customer peak for 11 MWh; require > 1.3x)
    _, _, customers, p, _ = year
    single = (p.max() / customers.set_index("customer_id")["annual_kwh"]).mean()
    group = p.sum(axis=1).max() / customers["annual_kwh"].sum()
    assert single > 1.3 * group


def test_daily_shape_peaks():
    # aggregate of 50 district-heated villas (no heating signal): weekday morning peak 07-09,
    # evening peak 17-20, night minimum 01-05; Sundays/holidays later morning peak
    idx = period_index("2030-03-01", 60, "15min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(0))
    customers = make_customers(50, seed=1).assign(heating="district", annual_kwh=5000.0)
    p, _ = base_load(customers, idx, temp, rng=np.random.default_rng(0))
    total = p.sum(axis=1)
    local = total.index.tz_convert("Europe/Stockholm")
    sunday = is_sunday_like(local)
    weekday = total[~sunday].groupby(local[~sunday].hour).mean()
    assert 6 <= weekday.loc[5:11].idxmax() <= 8
    assert 17 <= weekday.idxmax() <= 20
    assert 1 <= weekday.idxmin() <= 5
    weekend = total[sunday].groupby(local[sunday].hour).mean()
    assert weekend.loc[5:13].idxmax() > weekday.loc[5:11].idxmax()


def test_holiday_treated_as_sunday():
    # Ascension Day 2030 (Thursday 30 May) looks like the Sunday after, not the Thursday before
    idx = period_index("2030-05-20", 14, "60min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(0))
    customers = make_customers(50, seed=1).assign(heating="district", annual_kwh=5000.0)
    p, _ = base_load(customers, idx, temp, rng=np.random.default_rng(0), diversity=0.0)
    total = p.sum(axis=1)
    local = total.index.tz_convert("Europe/Stockholm")

    def day(d):
        return total[local.strftime("%Y-%m-%d") == d].to_numpy()

    holiday, thursday, sunday = day("2030-05-30"), day("2030-05-23"), day("2030-06-02")
    shape = lambda x: x / x.mean()  # noqa: E731
    assert np.abs(shape(holiday) - shape(sunday)).max() < 0.05
    assert np.abs(shape(holiday) - shape(thursday)).max() > 0.2


def test_same_seed_same_result():
    idx = period_index("2030-01-01", 7, "15min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(0))
    customers = make_customers(20, seed=3)
    a = base_load(customers, idx, temp, rng=np.random.default_rng(5))
    b = base_load(customers, idx, temp, rng=np.random.default_rng(5))
    c = base_load(customers, idx, temp, rng=np.random.default_rng(6))
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert not np.allclose(a[0].to_numpy(), c[0].to_numpy())


@pytest.mark.parametrize(("start", "days"), [("2030-01-07", 14), ("2030-07-01", 14)])
def test_short_period_pro_rata(start, days):
    """A fortnight gets its expected seasonal share, not days/365 of the annual energy.

    Reference: the same fortnight cut out of full-year runs (which are scaled exactly to
    annual_kwh). Mean over 6 weather seeds within 5 % (observed within 1 %; single seeds
    differ by up to 8 % because one fortnight's weather is not the year's)."""
    customers = make_customers(30, seed=4)
    year_idx = period_index("2030-01-01", 365, "60min")
    short_idx = period_index(start, days, "60min")
    full, short = [], []
    for s in range(6):
        temp = outdoor_temperature(year_idx, rng=np.random.default_rng(200 + s), zone="SE3")
        p, _ = base_load(customers, year_idx, temp, rng=np.random.default_rng(s))
        full.append(p.loc[short_idx].sum().sum())
        p2, _ = base_load(customers, short_idx, temp.loc[short_idx], rng=np.random.default_rng(s))
        short.append(p2.sum().sum())
    assert np.mean(short) == pytest.approx(np.mean(full), rel=0.05)
    pro_rata = customers["annual_kwh"].sum() * days / 365
    if start.endswith("01-07"):
        assert np.mean(short) > 1.4 * pro_rata  # January: well above the flat share
    else:
        assert np.mean(short) < 0.6 * pro_rata  # July: well below


def test_builtin_feeder_customers():
    """The built-in villa feeder's own customers (gridv2x.network): energy and Velander."""
    from gridv2x.network import read_builtin

    customers = read_builtin("se-suburban-villa").customers
    idx = period_index("2030-01-01", 365, "60min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(100), zone="SE3")
    p, _ = base_load(customers, idx, temp, rng=np.random.default_rng(0))
    assert list(p.columns) == [str(c) for c in customers["customer_id"]]
    assert np.allclose(p.sum().to_numpy(), customers["annual_kwh"].to_numpy(), rtol=0.02)
    ratio = p.sum(axis=1).max() / velander_kw(customers["annual_kwh"].sum())
    assert 0.8 <= ratio <= 1.2  # one weather year: 20 % (see test_coincident_peak_velander)


def test_speed_60_customers_full_year_15min():
    """60 customers x 35040 steps well under 2 s: CPU time of this process (wall-clock time is
    not meaningful on a shared 2-core machine), best of two runs; measured ~0.7 s."""
    idx = period_index("2030-01-01", 365, "15min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(0))
    customers = make_customers(60, seed=5)
    best = np.inf
    for _ in range(2):
        t0 = time.process_time()
        base_load(customers, idx, temp, rng=np.random.default_rng(0))
        best = min(best, time.process_time() - t0)
    assert best < 2.0


def test_bad_input():
    idx = period_index("2030-01-01", 2, "60min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(0))
    customers = make_customers(3)
    with pytest.raises(InputError, match="demand.model"):
        base_load(customers, idx, temp, rng=np.random.default_rng(0), model="magic")
    with pytest.raises(InputError, match="heating.*'gas'"):
        base_load(customers.assign(heating="gas"), idx, temp, rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="metered_file"):
        base_load(customers, idx, temp, rng=np.random.default_rng(0), model="metered")
    with pytest.raises(InputError, match="metered_file.*'synthetic'"):
        base_load(customers, idx, temp, rng=np.random.default_rng(0), metered_file="m.csv")
    with pytest.raises(InputError, match="profiles"):
        base_load(customers, idx, temp, rng=np.random.default_rng(0), model="profiles")


def test_many_customers_in_blocks():
    # 130 customers (computed in blocks of 64), all dwelling types: energy within 2 %
    idx = period_index("2031-01-01", 365, "60min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(9), zone="SE1")
    customers = make_customers(130, seed=9)
    kinds = np.resize(["villa", "apartment", "farm", "business"], 130)
    customers = customers.assign(dwelling=kinds)
    p, _ = base_load(customers, idx, temp, rng=np.random.default_rng(9))
    assert np.allclose(p.sum().to_numpy(), customers["annual_kwh"].to_numpy(), rtol=0.02)
    business = p.loc[:, kinds == "business"].sum(axis=1)
    local = business.index.tz_convert("Europe/Stockholm")
    weekday = business[local.dayofweek < 5].groupby(local[local.dayofweek < 5].hour).mean()
    assert 8 <= weekday.idxmax() <= 16  # business hours
