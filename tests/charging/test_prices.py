"""Price objective, the soft transformer limit and the price files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.charging import example_price_profile, read_prices
from gridv2x.charging.prices import EXAMPLE_PRICE_FILE
from gridv2x.errors import InputError

from .inputs import make_case
from .inputs import perfect_schedule as schedule


@pytest.fixture(scope="module")
def case():
    return make_case(n_ev=30, days=14, seed=5)


def cost(result):
    return result.per_ev["energy_cost_sek"].sum()


def test_price_objective_lowers_energy_cost(case):
    unc = schedule("uncontrolled", *case)
    v1g_peak = schedule("v1g", *case)
    v1g_price = schedule("v1g", *case, v1g={"objective": "price"})
    v2g_price = schedule("v2g", *case, v2g={"objective": "price"})
    assert cost(v1g_price) < 0.8 * cost(unc)
    assert cost(v1g_price) < cost(v1g_peak)
    assert cost(v2g_price) < cost(v1g_price)
    for r in (v1g_price, v2g_price):
        assert r.sessions["unmet_kwh"].sum() <= unc.sessions["unmet_kwh"].sum() + 1e-6


def test_transformer_limit_spreads_price_herding(case):
    sessions, fleet, index, base = case
    # a deep price valley at 02-03 every night makes every EV charge in the same hour
    prices = pd.Series(np.where(index.hour == 2, 0.1, 1.0), index=index)
    herd = schedule("v1g", *case, v1g={"objective": "price"}, prices=prices)
    peak_herd = (base + herd.power_kw.sum(axis=1)).max()
    peak_flat = (base + schedule("v1g", *case).power_kw.sum(axis=1)).max()
    assert peak_herd > 1.3 * peak_flat
    limit = 1.05 * peak_flat
    held = schedule(
        "v1g", *case, v1g={"objective": "price"}, prices=prices, transformer_limit_kw=limit
    )
    assert (base + held.power_kw.sum(axis=1)).max() <= limit + 1e-6  # a hard cap where it fits
    assert held.sessions["unmet_kwh"].sum() <= herd.sessions["unmet_kwh"].sum() + 1e-6
    assert cost(held) >= cost(herd) - 1e-6  # the limit costs money, never saves it
    held_v2g = schedule(
        "v2g", *case, v2g={"objective": "price"}, prices=prices, transformer_limit_kw=limit
    )
    assert (base + held_v2g.power_kw.sum(axis=1)).max() <= limit + 1e-6


def test_shipped_example_is_the_documented_model():
    shipped = pd.read_csv(EXAMPLE_PRICE_FILE)
    model = example_price_profile()
    pd.testing.assert_frame_equal(shipped, model, check_dtype=False)
    assert len(shipped) == 12 * 2 * 96
    # winter dearer than summer, evening dearer than night
    by_month = shipped.groupby("month")["price_sek_per_kwh"].mean()
    assert by_month[1] > 2 * by_month[7]
    jan = shipped[(shipped.month == 1) & (shipped.day_type == "weekday")]
    assert jan.price_sek_per_kwh.iloc[74] > jan.price_sek_per_kwh.iloc[14]


def test_read_prices_layouts_and_errors(tmp_path):
    index = pd.date_range("2030-01-01", periods=8, freq="15min", tz="Europe/Stockholm")
    hourly = pd.DataFrame(
        {"time": ["2030-01-01 00:00", "2030-01-01 01:00"], "price_sek_per_kwh": [0.5, 0.9]}
    )
    path = tmp_path / "p.csv"
    hourly.to_csv(path, index=False)
    got = read_prices(path, index)
    np.testing.assert_allclose(got, [0.5] * 4 + [0.9] * 4)
    profile = read_prices(EXAMPLE_PRICE_FILE, index)
    model = example_price_profile()
    expected = model[(model.month == 1) & (model.day_type == "weekday")].price_sek_per_kwh
    np.testing.assert_allclose(profile, expected.iloc[:8])
    with pytest.raises(InputError, match="not found"):
        read_prices(tmp_path / "missing.csv", index)
    short = index.append(pd.DatetimeIndex([index[-1] + pd.Timedelta(hours=2)]))
    with pytest.raises(InputError, match="cover"):
        read_prices(path, short)
    hourly.rename(columns={"price_sek_per_kwh": "eur"}).to_csv(path, index=False)
    with pytest.raises(InputError, match="price_sek_per_kwh"):
        read_prices(path, index)


def test_power_tariff_keeps_window_power_low(case):
    from gridv2x.charging.tariff import power_tariff_cost, tariff_window

    sessions, fleet, index, base = case
    # cheap energy 18-21 lures price-driven charging into the tariff window 17-22
    prices = pd.Series(np.where((index.hour >= 18) & (index.hour < 21), 0.2, 1.0), index=index)
    tariff = {"sek_per_kw_month": 60.0, "hours": [17, 22], "weekdays_only": False}
    window = tariff_window(index, (17, 22), weekdays_only=False)
    plain = schedule("v1g", *case, v1g={"objective": "price"}, prices=prices)
    aware = schedule("v1g", *case, v1g={"objective": "price"}, prices=prices, power_tariff=tariff)
    fee_plain = power_tariff_cost(plain.power_kw, window, 60.0)
    np.testing.assert_allclose(
        aware.per_ev["power_tariff_sek"], power_tariff_cost(aware.power_kw, window, 60.0)
    )
    assert aware.per_ev["power_tariff_sek"].sum() < 0.5 * fee_plain.sum()
    assert cost(aware) >= cost(plain) - 1e-6
    np.testing.assert_allclose(aware.sessions["shortfall_kwh"], plain.sessions["shortfall_kwh"])
    unc = schedule("uncontrolled", *case, prices=prices, power_tariff=tariff)
    assert "power_tariff_sek" in unc.per_ev
    with pytest.raises(InputError, match="power_tariff.hours"):
        schedule("v1g", *case, power_tariff={"sek_per_kw_month": 1.0, "hours": [20, 7]})


def test_read_prices_reads_a_changed_file_again(tmp_path):
    """Prices are kept per file and index (each task of a study would re-read the CSV), but a
    file written again is read again, and a caller changing its copy changes nothing."""
    import os

    index = pd.date_range("2030-01-01", periods=4, freq="15min", tz="Europe/Stockholm")
    path = tmp_path / "p.csv"
    times = ["2030-01-01 00:00", "2030-01-01 01:00"]
    pd.DataFrame({"time": times, "price_sek_per_kwh": [0.5, 0.5]}).to_csv(path, index=False)
    first = read_prices(path, index)
    first.iloc[:] = 9.0
    np.testing.assert_allclose(read_prices(path, index), 0.5)
    # same size: the modification time tells
    pd.DataFrame({"time": times, "price_sek_per_kwh": [0.7, 0.7]}).to_csv(path, index=False)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    np.testing.assert_allclose(read_prices(path, index), 0.7)
