"""The file formats Swedish DSOs have: Swedish CSV, long-format meter data, SMHI temperature.

Swedish CSV
    Excel and most Swedish systems write CSV with ``;`` between fields and a decimal comma
    (``12,5``), often in Windows-1252 rather than UTF-8. :func:`read_csv_any` recognises it
    from the header line (more ``;`` than ``,``) and reads either kind; a UTF-8 byte-order
    mark is dropped.
Long-format meter data
    What a metering system exports: one row per meter and interval, columns meter id, time and
    value (kWh per interval or mean kW), hourly or 15-minute. Column names are recognised in
    English or Swedish (:data:`METER_ID_COLUMNS`, :data:`TIME_COLUMNS`, :data:`VALUE_COLUMNS`;
    a date and a time-of-day column, ``Datum;Tid``, are joined). A *meter -> customer* table
    (columns ``meter_id`` and ``customer_id``, any of the recognised names) maps meters to the
    feeder's customers; a customer with several meters gets their sum. Without a table the
    meter id is the customer id. :func:`long_to_wide` turns it into the wide table
    :func:`gridv2x.demand.metered.read_metered` resamples.
SMHI temperature
    SMHI's open-data download of a station's air temperature (``smhi-opendata_1_<station>_
    ....csv``): header blocks (station, parameter, period) separated by empty lines, then
    ``Datum;Tid (UTC);Lufttemperatur;Kvalitet`` with the date, the UTC time, the value [°C]
    with a decimal point and the quality code (``G`` checked and approved, ``Y`` probably
    correct; rejected values are not delivered), the first rows carrying a note in extra
    columns (docs/sources.md §13). :func:`read_smhi_temperature` reads it as it comes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from gridv2x.errors import InputError

__all__ = [
    "read_csv_any",
    "is_long_format",
    "long_to_wide",
    "read_meter_customers",
    "is_smhi_file",
    "read_smhi_temperature",
    "METER_ID_COLUMNS",
    "TIME_COLUMNS",
    "VALUE_COLUMNS",
]

METER_ID_COLUMNS = (
    "meter_id",
    "meter",
    "mätar_id",
    "mätarid",
    "mätare",
    "mätpunkt",
    "mätpunkt_id",
    "anläggnings_id",
    "anläggningsid",
    "anlaggnings_id",
    "anläggning",
)
"""Names of the meter-id column of long-format meter data (letter case ignored)."""

CUSTOMER_ID_COLUMNS = ("customer_id", "kund_id", "kundid", "kund")
"""Names of the customer-id column of a meter -> customer table."""

TIME_COLUMNS = ("time", "timestamp", "tid", "tidpunkt", "datum_tid", "från", "start")
"""Names of a time column (interval start; letter case ignored)."""

DATE_COLUMNS = ("date", "datum")
CLOCK_COLUMNS = ("clock", "tid", "klockslag", "timme")

VALUE_COLUMNS = {
    "kwh": ("kwh", "energy_kwh", "energi_kwh", "förbrukning_kwh", "forbrukning_kwh", "förbrukning"),
    "kw": ("kw", "power_kw", "effekt_kw", "medeleffekt_kw", "effekt"),
    None: ("value", "värde", "varde"),
}
"""Names of the value column by what they say about the unit (``None``: the scenario's
``demand.metered_unit`` decides)."""

SMHI_HEADER = "Datum;Tid (UTC);Lufttemperatur;Kvalitet"
SMHI_QUALITY = ("G", "Y")
"""SMHI's quality codes in downloaded data: ``G`` checked and approved, ``Y`` probably
approved (suspicious or aggregated values); rejected values are not delivered."""

_ENCODINGS = ("utf-8-sig", "cp1252")


def _text(path: Path, key: str) -> str:
    raw = path.read_bytes()
    for encoding in _ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{key}: {path}: neither UTF-8 nor Windows-1252 text")  # pragma: no cover


def read_csv_any(path: str | Path, key: str) -> pd.DataFrame:
    """A CSV table, Swedish (``;`` and decimal comma) or international (``,`` and point).

    Parameters
    ----------
    path : str or Path
        The file (UTF-8 with or without byte-order mark, or Windows-1252).
    key : str
        Scenario key named in error messages.

    Returns
    -------
    pandas.DataFrame
        Column names stripped of spaces; numbers parsed with the file's decimal mark.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{key}: file not found: {path}")
    text = _text(path, key)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    swedish = first.count(";") > first.count(",")
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=";" if swedish else ",",
            decimal="," if swedish else ".",
            thousands=None,
            skipinitialspace=True,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{key}: cannot read {path} as CSV: {exc}") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _find(columns, names) -> str | None:
    lower = {str(c).strip().casefold(): c for c in columns}
    for name in names:
        if name.casefold() in lower:
            return lower[name.casefold()]
    return None


def is_long_format(table: pd.DataFrame) -> bool:
    """Whether ``table`` is long-format meter data (a meter-id column and one value column)."""
    return _find(table.columns, METER_ID_COLUMNS + CUSTOMER_ID_COLUMNS) is not None and any(
        _find(table.columns, names) is not None for names in VALUE_COLUMNS.values()
    )


def _times(table: pd.DataFrame, path: Path, key: str) -> pd.Series:
    col = _find(table.columns, TIME_COLUMNS)
    date = _find(table.columns, DATE_COLUMNS)
    if date is not None:
        clock = _find([c for c in table.columns if c != date], CLOCK_COLUMNS)
        if clock is not None:
            return table[date].astype(str).str.strip() + "T" + table[clock].astype(str).str.strip()
        if col is None:
            return table[date].astype(str)
    if col is None:
        raise InputError(
            f"{key}: {path} has no time column; give one of {', '.join(TIME_COLUMNS)} (or a date "
            f"and a time-of-day column, e.g. Datum;Tid); it has {len(table.columns)} other column(s) (not quoted)"
        )
    return table[col]


def read_meter_customers(path: str | Path, key: str = "demand.meter_customers") -> pd.Series:
    """A meter -> customer table (CSV, Swedish or not) as a Series ``meter_id -> customer_id``."""
    path = Path(path)
    table = read_csv_any(path, key)
    meter = _find(table.columns, METER_ID_COLUMNS)
    customer = _find(table.columns, CUSTOMER_ID_COLUMNS)
    if meter is None or customer is None:
        raise InputError(
            f"{key}: {path} needs a meter column ({', '.join(METER_ID_COLUMNS[:3])}, ...) and a "
            f"customer column ({', '.join(CUSTOMER_ID_COLUMNS)}); it has "
            f"{len(table.columns)} other column(s) (not quoted)"
        )
    ids = table[meter].astype(str).str.strip()
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        raise InputError(
            f"{key}: {path}: meter(s) {dup[:10]} listed more than once; a meter belongs to "
            "one customer"
        )
    return pd.Series(table[customer].astype(str).str.strip().to_numpy(), index=ids.to_numpy())


def long_to_wide(
    table: pd.DataFrame,
    path: str | Path,
    key: str,
    *,
    unit: str,
    meter_customers: pd.Series | None = None,
) -> pd.DataFrame:
    """Long-format meter data as a wide table: a ``time`` column and one column per customer.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns meter id, time (or date and time of day) and one value column.
    path : str or Path
        The file (for messages).
    key : str
        Scenario key for messages.
    unit : str
        ``"kwh"`` or ``"kw"``, the unit the scenario declares; a value column whose name says
        the other unit is refused.
    meter_customers : pandas.Series, optional
        ``meter_id -> customer_id``; meters of one customer are summed. Default: the meter
        id is the customer id.

    Returns
    -------
    pandas.DataFrame
        ``time`` (as text, parsed later) and one column per customer id, values in ``unit``.
    """
    path = Path(path)
    meter = _find(table.columns, METER_ID_COLUMNS + CUSTOMER_ID_COLUMNS)
    value, said = None, None
    for unit_said, names in VALUE_COLUMNS.items():
        found = _find(table.columns, names)
        if found is not None:
            value, said = found, unit_said
            break
    if said is not None and said != unit:
        raise InputError(
            f"{key}: {path}: the value column {value!r} holds {said}, but demand.metered_unit "
            f"is {unit!r}; set demand.metered_unit: {said}"
        )
    times = _times(table, path, key)
    values = table[value]
    if values.dtype == object:  # a decimal comma in an otherwise international file
        values = pd.to_numeric(values.astype(str).str.replace(",", ".", regex=False), "coerce")
    long = pd.DataFrame(
        {
            "meter": table[meter].astype(str).str.strip(),
            "time": times.astype(str).str.strip(),
            "value": pd.to_numeric(values, errors="coerce"),
        }
    )
    if long["value"].isna().any():
        rows = np.flatnonzero(long["value"].isna().to_numpy())[:5].tolist()
        raise InputError(
            f"{key}: {path}: missing or non-numeric value(s) in column {value!r}, first at data "
            f"row(s) {rows}; a number is required in every row"
        )
    if meter_customers is not None:
        unknown = sorted(set(long["meter"]) - set(meter_customers.index))
        if unknown:
            raise InputError(
                f"{key}: {path}: meter(s) {unknown[:10]} are not in the meter -> customer table "
                "(demand.meter_customers); add them or remove their rows"
            )
        long["meter"] = long["meter"].map(meter_customers)
    dup = long.duplicated(["meter", "time"])
    if dup.any() and meter_customers is None:
        first = long[dup].iloc[0]
        raise InputError(
            f"{key}: {path}: meter {first.meter} has more than one value at {first.time}"
        )
    # values are checked finite above, so a cell is NaN exactly where a meter has no value
    wide = long.pivot_table(index="time", columns="meter", values="value", aggfunc="sum")
    if wide.isna().to_numpy().any():
        gaps = wide.columns[wide.isna().any()].tolist()[:10]
        raise InputError(
            f"{key}: {path}: customer(s) {gaps} lack values at some times (every meter needs a "
            "value in every interval)"
        )
    wide = wide.reset_index()
    wide.columns = ["time"] + [str(c) for c in wide.columns[1:]]
    return wide


def is_smhi_file(path: str | Path) -> bool:
    """Whether ``path`` looks like an SMHI open-data CSV (its header block or data header)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    text = head.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff").startswith("Stationsnamn;") or SMHI_HEADER in text


def read_smhi_temperature(path: str | Path, key: str = "climate.temperature_file") -> pd.Series:
    """Read SMHI's own air-temperature CSV as it is downloaded (module docstring).

    Parameters
    ----------
    path : str or Path
        The SMHI file (``Lufttemperatur``, momentary value once an hour, UTC times).
    key : str
        Scenario key for messages.

    Returns
    -------
    pandas.Series
        Temperature [°C] indexed by UTC times, sorted; ``attrs["station"]`` holds the
        station name and number, ``attrs["quality_y_share"]`` the share of ``Y`` values.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{key}: file not found: {path}")
    lines = _text(path, key).splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith(SMHI_HEADER)), None)
    if start is None:
        raise InputError(
            f"{key}: {path}: no line starting with {SMHI_HEADER!r}; is it SMHI's air "
            "temperature (parameter 1, Lufttemperatur)?"
        )
    station = ""
    if lines and lines[0].startswith("Stationsnamn") and len(lines) > 1:
        fields = lines[1].split(";")
        station = " ".join(fields[:2])
    rows = list(csv.reader(lines[start + 1 :], delimiter=";"))
    rows = [r for r in rows if len(r) >= 4 and r[0].strip()]
    if not rows:
        raise InputError(f"{key}: {path}: no data rows after the {SMHI_HEADER!r} line")
    date = [r[0].strip() for r in rows]
    clock = [r[1].strip() for r in rows]
    value = pd.to_numeric(pd.Series([r[2].strip().replace(",", ".") for r in rows]), "coerce")
    quality = [r[3].strip() for r in rows]
    bad_q = sorted(set(quality) - set(SMHI_QUALITY))
    if bad_q:
        raise InputError(
            f"{key}: {path}: unknown quality code(s) {bad_q}; SMHI delivers "
            f"{', '.join(SMHI_QUALITY)}"
        )
    if value.isna().any():
        first = int(np.flatnonzero(value.isna().to_numpy())[0])
        raise InputError(
            f"{key}: {path}: non-numeric Lufttemperatur at {date[first]} {clock[first]}"
        )
    try:
        times = pd.to_datetime(
            [f"{d}T{c}" for d, c in zip(date, clock, strict=True)], format="ISO8601", utc=True
        )
    except (ValueError, TypeError) as exc:
        raise InputError(f"{key}: {path}: cannot parse Datum;Tid (UTC): {exc}") from None
    series = pd.Series(value.to_numpy(dtype=float), index=times, name="temperature_c")
    series = series[~series.index.duplicated(keep="last")].sort_index()
    series.attrs["station"] = station
    series.attrs["quality_y_share"] = float(np.mean([q == "Y" for q in quality]))
    return series
