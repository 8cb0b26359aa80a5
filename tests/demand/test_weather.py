import numpy as np
import pandas as pd
import pytest

from gridv2x.conventions import period_index
from gridv2x.demand import CLIMATE_ZONES, outdoor_temperature
from gridv2x.errors import InputError


@pytest.fixture(scope="module")
def year_index():
    return period_index("2030-01-01", 365, "60min")


def test_zone_means_and_order(year_index):
    # annual mean over 10 synthetic years within 0.5 K of the zone's configured mean
    # (interannual sd of our AR(1) anomalies is ~0.6 K, so the 10-year mean has sd ~0.2 K)
    means = {}
    for zone in ("SE1", "SE2", "SE3", "SE4"):
        m = [
            outdoor_temperature(year_index, rng=np.random.default_rng(s), zone=zone).mean()
            for s in range(10)
        ]
        means[zone] = np.mean(m)
        assert abs(means[zone] - CLIMATE_ZONES[zone].annual_mean_c) < 0.5, (zone, means[zone])
    assert means["SE1"] < means["SE2"] < means["SE3"] < means["SE4"]
    # same seed: SE1 colder than SE4 in that year too
    s1 = outdoor_temperature(year_index, rng=np.random.default_rng(7), zone="SE1")
    s4 = outdoor_temperature(year_index, rng=np.random.default_rng(7), zone="SE4")
    assert s1.mean() < s4.mean() - 5.0


def test_seasonal_and_diurnal_cycle(year_index):
    t = outdoor_temperature(year_index, rng=np.random.default_rng(1), zone="SE3")
    monthly = t.groupby(t.index.month).mean()
    assert monthly[[12, 1, 2]].mean() < 1.0 and monthly[[6, 7, 8]].mean() > 14.0
    hourly = t.groupby(t.index.hour).mean()
    assert 2 <= hourly.idxmin() <= 7  # coldest around sunrise (local time)
    assert 13 <= hourly.idxmax() <= 17
    assert t.attrs["zone"] == "SE3" and t.index.equals(year_index)


def test_anomaly_persistence():
    # lag-1 autocorrelation of daily-mean anomalies over 3 years: configured 0.8; tolerance
    # 0.1 (sampling sd ~0.02 plus the 31-day detrending bias)
    idx = period_index("2030-01-01", 3 * 365, "60min")
    t = outdoor_temperature(idx, rng=np.random.default_rng(2), zone="SE3")
    daily = t.resample("D").mean()
    anomaly = daily - daily.rolling(31, center=True, min_periods=1).mean()
    assert abs(anomaly.autocorr(1) - 0.8) < 0.1


def test_same_seed_same_weather(year_index):
    a = outdoor_temperature(year_index, rng=np.random.default_rng(3))
    b = outdoor_temperature(year_index, rng=np.random.default_rng(3))
    c = outdoor_temperature(year_index, rng=np.random.default_rng(4))
    pd.testing.assert_series_equal(a, b)
    assert not np.allclose(a, c)


def test_temperature_file(tmp_path):
    times = pd.date_range("2030-01-01", periods=49, freq="60min", tz="Europe/Stockholm")
    values = np.arange(49, dtype=float) - 10.0
    path = tmp_path / "t.csv"
    pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M:%S%z"), "temperature_c": values}).to_csv(
        path, index=False
    )
    idx = period_index("2030-01-01", 2, "15min")
    t = outdoor_temperature(idx, rng=np.random.default_rng(0), temperature_file=str(path))
    # linear interpolation at the middle of each 15-min step: 00:00-00:15 -> -10 + 0.125
    assert t.iloc[0] == pytest.approx(-9.875)
    assert t.iloc[4] == pytest.approx(-8.875)
    assert len(t) == len(idx)


def test_temperature_file_errors(tmp_path):
    idx = period_index("2030-01-01", 2, "60min")
    bad = tmp_path / "bad.csv"
    bad.write_text("time,temp\n2030-01-01T00:00+01:00,3\n")
    with pytest.raises(InputError, match="bad.csv.*temperature_c"):
        outdoor_temperature(idx, rng=np.random.default_rng(0), temperature_file=str(bad))
    short = tmp_path / "short.csv"
    short.write_text("time,temperature_c\n2030-01-01T00:00+01:00,3\n2030-01-01T01:00+01:00,4\n")
    with pytest.raises(InputError, match="short.csv.*cover"):
        outdoor_temperature(idx, rng=np.random.default_rng(0), temperature_file=str(short))
    with pytest.raises(InputError, match="nope.csv"):
        outdoor_temperature(idx, rng=np.random.default_rng(0), temperature_file="nope.csv")
    with pytest.raises(InputError, match="SE9"):
        outdoor_temperature(idx, rng=np.random.default_rng(0), zone="SE9")


def test_temperature_file_local_times_over_dst(tmp_path):
    # naive local times across the autumn DST change (03:00 -> 02:00 on 27 Oct 2030): the
    # repeated hour is resolved by order ('infer'); values rise 1 K per absolute hour
    times = pd.date_range("2030-10-26T12:00", periods=48, freq="60min", tz="Europe/Stockholm")
    path = tmp_path / "local.csv"
    pd.DataFrame(
        {"time": times.tz_localize(None).strftime("%Y-%m-%d %H:%M"), "temperature_c": range(48)}
    ).to_csv(path, index=False)
    idx = pd.date_range("2030-10-27", periods=24, freq="60min", tz="Europe/Stockholm")
    idx.name = "time"
    t = outdoor_temperature(idx, rng=np.random.default_rng(0), temperature_file=path)
    # 27 Oct 00:00 CEST is 12 h after the start; step middle +0.5 h
    assert np.allclose(t.to_numpy(), np.arange(24) + 12.5)
