import numpy as np
import pandas as pd
import pytest

from gridv2x.conventions import period_index
from gridv2x.demand import base_load, map_profiles, outdoor_temperature, read_metered
from gridv2x.demand.metered import resample_energy
from gridv2x.errors import InputError
from tests.demand.customers import make_customers


def _write_hourly(path, customers, start="2030-01-01", days=3, seed=0, fmt="csv"):
    times = pd.date_range(start, periods=24 * days, freq="60min", tz="Europe/Stockholm")
    r = np.random.default_rng(seed)
    data = pd.DataFrame(
        r.gamma(2.0, 0.5, (len(times), len(customers))), columns=customers["customer_id"]
    )
    data.insert(0, "time", times.strftime("%Y-%m-%dT%H:%M:%S%z"))
    if fmt == "csv":
        data.to_csv(path, index=False)
    else:
        data.assign(time=times).to_parquet(path)
    return data


def test_hourly_to_15min_keeps_energy(tmp_path):
    customers = make_customers(5)
    path = tmp_path / "meter.csv"
    raw = _write_hourly(path, customers)
    idx = period_index("2030-01-01", 3, "15min")
    p = read_metered(path, customers, idx)
    assert p.shape == (len(idx), 5) and list(p.columns) == customers["customer_id"].tolist()
    # energy per customer equal to the metered kWh (exact up to float rounding, rtol 1e-9)
    assert np.allclose(p.sum().to_numpy() * 0.25, raw.drop(columns="time").sum().to_numpy())
    # each hour's four quarter hours carry the hour's mean power
    assert np.allclose(p.iloc[:4, 0], raw.iloc[0, 1])


def test_15min_to_hourly_and_parquet_kw(tmp_path):
    customers = make_customers(4)
    times = pd.date_range("2030-06-01", periods=96 * 2, freq="15min", tz="Europe/Stockholm")
    kw = np.random.default_rng(1).uniform(0, 3, (len(times), 4))
    frame = pd.DataFrame(kw, index=pd.Index(times, name="time"), columns=customers["customer_id"])
    path = tmp_path / "meter.parquet"
    frame.to_parquet(path)
    idx = period_index("2030-06-01", 2, "60min")
    p = read_metered(path, customers, idx, unit="kw")
    assert np.allclose(p.to_numpy(), kw.reshape(48, 4, 4).mean(axis=1))
    assert np.allclose(p.sum().to_numpy(), kw.sum(axis=0) * 0.25)


def test_metered_through_base_load(tmp_path):
    customers = make_customers(5)
    path = tmp_path / "meter.csv"
    raw = _write_hourly(path, customers)
    idx = period_index("2030-01-01", 2, "15min")
    temp = outdoor_temperature(idx, rng=np.random.default_rng(0))
    p, q = base_load(
        customers,
        idx,
        temp,
        rng=np.random.default_rng(0),
        model="metered",
        metered_file=str(path),
        annual_kwh_scale=2.0,
        power_factor=0.9,
    )
    expected = raw.drop(columns="time").iloc[:48].sum().to_numpy() * 2.0
    assert np.allclose(p.sum().to_numpy() * 0.25, expected)
    assert np.allclose(q.to_numpy(), p.to_numpy() * np.tan(np.arccos(0.9)))


def test_bad_metered_files(tmp_path):
    customers = make_customers(5)
    idx = period_index("2030-01-01", 2, "60min")
    path = tmp_path / "meter.csv"
    raw = _write_hourly(path, customers)
    # unknown customer id
    unknown = tmp_path / "unknown_ids.csv"
    raw.rename(columns={"c001": "x999"}).to_csv(unknown, index=False)
    with pytest.raises(InputError, match=r"unknown_ids\.csv.*x999.*c001"):
        read_metered(unknown, customers, idx)
    # period not covered
    with pytest.raises(InputError, match=r"meter\.csv.*cover"):
        read_metered(path, customers, period_index("2030-02-01", 1, "60min"))
    # non-numeric value
    broken = tmp_path / "broken.csv"
    raw.assign(c002="n/a").to_csv(broken, index=False)
    with pytest.raises(InputError, match=r"broken\.csv.*c002"):
        read_metered(broken, customers, idx)
    # wrong format, missing file, missing time column
    other = tmp_path / "meter.xlsx"
    other.write_text("x")
    with pytest.raises(InputError, match=r"meter\.xlsx"):
        read_metered(other, customers, idx)
    with pytest.raises(InputError, match=r"absent\.csv"):
        read_metered(tmp_path / "absent.csv", customers, idx)
    notime = tmp_path / "notime.csv"
    raw.drop(columns="time").to_csv(notime, index=False)
    with pytest.raises(InputError, match=r"notime\.csv.*time"):
        read_metered(notime, customers, idx)


def test_resample_energy_partial_overlap():
    # source 1 h steps with 1, 2, 3 kW; target 40-min steps: energy per target by hand
    out = resample_energy(
        np.array([0.0, 1.0, 2.0]),
        np.array([1.0, 2.0, 3.0]),
        np.array([0.0, 2 / 3, 4 / 3, 2.0]),
        2 / 3,
    )
    hand = np.array([2 / 3 * 1, 1 / 3 * 1 + 1 / 3 * 2, 2 / 3 * 2, 2 / 3 * 3]) / (2 / 3)
    assert np.allclose(out, hand)


def test_profiles_simbench_like():
    """SimBench-style profiles (35136 quarter hours of 2016, plain index) mapped onto 2030.

    Each 2030 day takes the same day of year of 2016 (29 Feb dropped), so the energy of
    a whole 2030 year equals the 2016 profile's energy minus 29 February (to 1e-9)."""
    customers = make_customers(3)
    n = 366 * 96
    r = np.random.default_rng(0)
    p16 = pd.DataFrame(r.uniform(0, 2, (n, 3)), columns=customers["customer_id"])
    q16 = 0.3 * p16
    idx = period_index("2030-01-01", 365, "60min")
    p, q = map_profiles((p16, q16), customers, idx)
    feb29 = slice(59 * 96, 60 * 96)  # 29 Feb 2016 (standard time)
    expected = (p16.sum() - p16.iloc[feb29].sum()).to_numpy() * 0.25
    assert np.allclose(p.sum().to_numpy(), expected, rtol=1e-9)
    assert np.allclose(q.to_numpy(), 0.3 * p.to_numpy())
    # a given hour in 2030 (standard time) equals the mean of the same hour in 2016
    hour = 24 * 40 + 7  # 10 Feb 07:00 CET
    assert p.iloc[hour, 0] == pytest.approx(p16.iloc[hour * 4 : hour * 4 + 4, 0].mean())
    # through base_load with a scale factor
    temp = outdoor_temperature(idx, rng=np.random.default_rng(0))
    p2, _ = base_load(
        customers, idx, temp, rng=np.random.default_rng(0), model="profiles",
        base_profiles=(p16, q16), annual_kwh_scale=1.5,
    )  # fmt: skip
    assert np.allclose(p2.to_numpy(), 1.5 * p.to_numpy())


def test_metered_other_year_mapped_by_day_of_year(tmp_path):
    # a whole year of 2024 hourly data (leap year) used for a 2030 study period
    customers = make_customers(2)
    times = pd.date_range("2024-01-01", "2025-01-01", freq="60min", tz="Europe/Stockholm",
                          inclusive="left")  # fmt: skip
    pos = np.arange(len(times), dtype=float)
    path = tmp_path / "meter2024.csv"
    pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M:%S%z"), "c000": pos,
                  "c001": 2.0}).to_csv(path, index=False)  # fmt: skip
    idx = period_index("2030-03-10", 2, "15min")
    p = read_metered(path, customers, idx)
    # 10 March 00:00-00:15 CET 2030 -> 10 March 2024 00:00 CET, row (31+29+9)*24 = 1656
    assert p.iloc[0, 0] == pytest.approx(1656.0)
    assert np.allclose(p["c001"], 2.0)
    # less than a year that does not cover the period -> InputError naming the file
    short = tmp_path / "short2024.csv"
    pd.read_csv(path).iloc[:2000].to_csv(short, index=False)
    with pytest.raises(InputError, match=r"short2024\.csv.*whole year"):
        read_metered(short, customers, idx)
