"""The file formats Swedish DSOs have: long-format meter data with a meter -> customer table,
Swedish CSV (``;``, decimal comma, Windows-1252), SMHI's own temperature download."""

import numpy as np
import pandas as pd
import pytest

from gridv2x.conventions import period_index
from gridv2x.demand import read_metered
from gridv2x.demand.formats import read_csv_any, read_smhi_temperature
from gridv2x.demand.weather import read_temperature
from gridv2x.errors import InputError
from tests.demand.customers import make_customers


def _hourly(customers, start="2030-01-01", days=3, seed=0):
    times = pd.date_range(start, periods=24 * days, freq="60min", tz="Europe/Stockholm")
    kwh = np.random.default_rng(seed).gamma(2.0, 0.5, (len(times), len(customers)))
    return times, pd.DataFrame(kwh, index=times, columns=customers["customer_id"])


def _wide_reference(tmp_path, customers, frame):
    path = tmp_path / "wide.csv"
    out = frame.copy()
    out.insert(0, "time", frame.index.strftime("%Y-%m-%dT%H:%M:%S%z"))
    out.to_csv(path, index=False)
    return read_metered(path, customers, period_index("2030-01-01", 3, "15min"))


def test_long_swedish_csv_with_meter_table_equals_wide(tmp_path):
    """Long format in Swedish CSV (Windows-1252, ``;``, decimal comma, ``Datum;Tid`` split,
    Swedish column names) with a meter -> customer table where one customer has two meters:
    the same study load as the wide international CSV of the customers' sums (1e-12 kW)."""
    customers = make_customers(4)
    times, kwh = _hourly(customers)
    rows, meters = [], []
    for cid in customers.customer_id:
        parts = [0.3, 0.7] if cid == "c001" else [1.0]  # c001 has a heat-pump meter too
        for k, share in enumerate(parts):
            meter = f"735999{cid[1:]}{k}"
            meters.append((meter, cid))
            for t, v in zip(times, kwh[cid].to_numpy() * share, strict=True):
                rows.append(
                    f"{meter};{t.strftime('%Y-%m-%d')};{t.strftime('%H:%M%z')};"
                    + f"{v:.15g}".replace(".", ",")
                )
    path = tmp_path / "mätvärden.csv"
    text = "Mätpunkt;Datum;Tid;Förbrukning_kWh\n" + "\n".join(rows) + "\n"
    path.write_bytes(text.encode("cp1252"))
    table = tmp_path / "mätare.csv"
    table.write_text(
        "mätar_id;kund_id\n" + "\n".join(f"{m};{c}" for m, c in meters) + "\n", encoding="utf-8"
    )
    idx = period_index("2030-01-01", 3, "15min")
    ours = read_metered(path, customers, idx, meter_customers=table)
    reference = _wide_reference(tmp_path, customers, kwh)
    assert np.abs(ours.to_numpy() - reference.to_numpy()).max() < 1e-12
    assert ours.sum().sum() * 0.25 == pytest.approx(kwh.to_numpy().sum(), rel=1e-12)


def test_long_15min_kw_without_table(tmp_path):
    """15-min long format in kW (international CSV, meter id = customer id)."""
    customers = make_customers(3)
    times = pd.date_range("2030-06-01", periods=96, freq="15min", tz="Europe/Stockholm")
    kw = np.random.default_rng(2).uniform(0, 3, (len(times), 3))
    long = pd.DataFrame(
        {
            "meter_id": np.repeat(customers.customer_id.to_numpy(), len(times)),
            "time": np.tile(times.strftime("%Y-%m-%dT%H:%M:%S%z"), 3),
            "kw": kw.T.ravel(),
        }
    ).sample(frac=1.0, random_state=0)  # any row order
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False)
    idx = period_index("2030-06-01", 1, "60min")
    p = read_metered(path, customers, idx, unit="kw")
    assert np.allclose(p.to_numpy(), kw.reshape(24, 4, 3).mean(axis=1), atol=1e-12)
    with pytest.raises(InputError, match="metered_unit: kw"):
        read_metered(path, customers, idx, unit="kwh")


def test_long_format_errors_name_the_problem(tmp_path):
    customers = make_customers(2)
    path = tmp_path / "long.csv"
    path.write_text(
        "meter_id;time;kwh\nm1;2030-01-01T00:00+01:00;1,5\nm2;2030-01-01T00:00+01:00;2,0\n"
    )
    table = tmp_path / "t.csv"
    table.write_text("meter_id,customer_id\nm1,c000\n")
    idx = period_index("2030-01-01", 1, "60min")
    with pytest.raises(InputError, match=r"meter\(s\) \['m2'\] are not in the meter"):
        read_metered(path, customers, idx, meter_customers=table)
    wide = tmp_path / "wide.csv"
    wide.write_text("time,c000,c001\n2030-01-01T00:00+01:00,1,2\n")
    with pytest.raises(InputError, match="demand.meter_customers"):
        read_metered(wide, customers, idx, meter_customers=table)


def test_read_csv_any_swedish_and_international(tmp_path):
    sv = tmp_path / "sv.csv"
    sv.write_bytes("tid;temperatur;värde\n2030-01-01;-3,5;1 \n".encode("cp1252"))
    table = read_csv_any(sv, "k")
    assert table.loc[0, "temperatur"] == -3.5 and list(table.columns)[2] == "värde"
    en = tmp_path / "en.csv"
    en.write_text("\ufefftime,temperature_c\n2030-01-01,-3.5\n", encoding="utf-8")
    assert read_csv_any(en, "k").loc[0, "temperature_c"] == -3.5


SMHI = """Stationsnamn;Stationsnummer;Stationsnät;Mäthöjd (meter över marken)
Uppsala Aut;97510;SMHIs stationsnät;2.0

Parameternamn;Beskrivning;Enhet
Lufttemperatur;momentanvärde, 1 gång/tim;degree celsius

Tidsperiod (fr.o.m);Tidsperiod (t.o.m);Höjd (meter över havet);Latitud (decimalgrader);Longitud (decimalgrader)
1985-06-01 00:00:00;2030-12-31 23:00:00;41.0;59.8471;17.6320

Datum;Tid (UTC);Lufttemperatur;Kvalitet;;Tidsutsnitt:
{rows}
"""
NOTES = (
    "Kvalitetskontrollerade historiska data (utom de senaste 3 mån)",
    "Tidsperiod (fr.o.m.) = 1985-06-01 00:00:00 (UTC)",
    "Tidsperiod (t.o.m.) = 2030-12-31 23:00:00 (UTC)",
)


def _smhi_file(tmp_path, values, start="2029-12-31 20:00"):
    times = pd.date_range(start, periods=len(values), freq="60min")
    rows = []
    for k, (t, v) in enumerate(zip(times, values, strict=True)):
        quality = "Y" if k % 7 == 3 else "G"
        note = f";;{NOTES[k]}" if k < len(NOTES) else ""
        rows.append(f"{t:%Y-%m-%d};{t:%H:%M:%S};{v:.1f};{quality}{note}")
    path = tmp_path / "smhi-opendata_1_97510_20310101_000000.csv"
    path.write_text(SMHI.format(rows="\n".join(rows)), encoding="utf-8")
    return path, times


def test_smhi_temperature_as_downloaded(tmp_path):
    """SMHI's file with its header blocks, notes in extra columns and G/Y quality codes: read
    as UTC times and interpolated to the middle of each study step."""
    values = np.round(np.random.default_rng(3).normal(-5, 3, 60), 1)
    path, times = _smhi_file(tmp_path, values)
    series = read_smhi_temperature(path)
    assert series.index.tz is not None and series.index[0] == pd.Timestamp(
        "2029-12-31 20:00", tz="UTC"
    )
    assert np.allclose(series.to_numpy(), values)
    assert series.attrs["station"] == "Uppsala Aut 97510"
    assert 0 < series.attrs["quality_y_share"] < 0.3
    idx = period_index("2030-01-01", 1, "60min")  # local time: 2029-12-31 23:00 UTC onwards
    temp = read_temperature(path, idx)
    mids = (idx + pd.Timedelta("30min")).tz_convert("UTC")
    t_src = times.tz_localize("UTC")
    expected = np.interp(mids.asi8.astype(float), t_src.asi8.astype(float), values)
    assert np.allclose(temp.to_numpy(), expected, atol=1e-12)


def test_smhi_bad_quality_code_and_short_file(tmp_path):
    path, _ = _smhi_file(tmp_path, [1.0, 2.0, 3.0])
    path.write_text(path.read_text().replace(";3.0;G", ";3.0;R"))
    with pytest.raises(InputError, match="quality code"):
        read_smhi_temperature(path)
    path, _ = _smhi_file(tmp_path, [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="covers"):
        read_temperature(path, period_index("2030-01-01", 2, "60min"))


def test_temperature_in_swedish_csv(tmp_path):
    path = tmp_path / "temp.csv"
    times = pd.date_range("2030-01-01", periods=30, freq="60min", tz="Europe/Stockholm")
    rows = [
        f"{t.isoformat()};" + f"{-2.25 + 0.5 * k}".replace(".", ",") for k, t in enumerate(times)
    ]
    path.write_text("time;temperature_c\n" + "\n".join(rows) + "\n")
    temp = read_temperature(path, period_index("2030-01-01", 1, "60min"))
    assert temp.iloc[0] == pytest.approx(-2.0)  # the middle of the first hour
