"""Readers that return a :class:`~gridv2x.network.feeder.Feeder`: pandapower JSON, SimBench, and
the dispatcher :func:`read_network` for a scenario's ``networks`` entry."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandapower as pp
import pandas as pd
from pyproj import Transformer as _CrsTransformer

from gridv2x.conventions import CUSTOMER_COLUMNS, KW_PER_MW, TIMEZONE
from gridv2x.errors import InputError
from gridv2x.network.catalogue import main_fuse_a
from gridv2x.network.design import VELANDER
from gridv2x.network.feeder import Feeder, bus_xy
from gridv2x.network.pp_json import load_pandapower_json

__all__ = [
    "read_network",
    "read_pandapower_json",
    "read_simbench",
    "write_pandapower_json",
    "profiles_for_index",
    "SIMBENCH_YEAR_STEPS",
    "NETWORK_KINDS",
    "FILE_KINDS",
    "network_kind",
]

NETWORK_KINDS: dict[str, str] = {
    "builtin": "a feeder shipped with gridv2x (`gridv2x networks list`)",
    "gis": "a GeoPackage / GeoJSON with layers substation, lines, customers",
    "pandapower_json": "a pandapower network file",
    "simbench": "a SimBench LV grid code, e.g. 1-LV-rural1--0-sw",
    "area": "a GIS export with many substations, one feeder each (optional mapping, select)",
    "cgmes": "CIM/CGMES files (zip, xml or a folder) of one substation's LV network",
}
"""Kinds of a scenario ``networks`` entry (exactly one key per entry) and what each reads."""

FILE_KINDS = ("gis", "pandapower_json", "cgmes")
"""Kinds whose value is a file path (resolved against the scenario's folder; an ``area``
entry is expanded per substation by :mod:`gridv2x.network.area`)."""

SIMBENCH_YEAR_STEPS = 35136
"""SimBench profiles: one year (2016, a leap year) at 15 min = 366 x 96 steps."""

CUSTOMERS_KEY = "gridv2x_customers"
META_KEY = "gridv2x_meta"


# --------------------------------------------------------------------------------------------
# helpers


def _velander_inverse_kwh(peak_kw: float, dwelling: str = "villa") -> float:
    """Annual use W [kWh] whose single-customer Velander peak is ``peak_kw`` [kW]."""
    k1, k2 = VELANDER.get(dwelling, VELANDER["villa"])
    s = (-k2 + math.sqrt(k2 * k2 + 4 * k1 * max(peak_kw, 0.0))) / (2 * k1)
    return s * s


def _reproject_net(net: pp.pandapowerNet, source_crs: str, target_crs: str = "EPSG:3006") -> None:
    """Reproject ``net.bus.geo`` and ``net.line.geo`` in place."""
    if source_crs == target_crs:
        return
    tr = _CrsTransformer.from_crs(source_crs, target_crs, always_xy=True)
    for table in ("bus", "line"):
        df = net[table]
        if "geo" not in df.columns:
            continue
        new = []
        for value in df["geo"]:
            if not isinstance(value, str) or not value:
                new.append(value)
                continue
            g = json.loads(value)
            if g["type"] == "Point":
                x, y = tr.transform(*g["coordinates"][:2])
                g["coordinates"] = [float(x), float(y)]
            else:
                g["coordinates"] = [
                    list(map(float, tr.transform(*c[:2]))) for c in g["coordinates"]
                ]
            new.append(json.dumps(g))
        df["geo"] = new


def _lv_side_check(net: pp.pandapowerNet, source: str) -> None:
    if len(net.ext_grid) == 0:
        raise InputError(f"{source}: the network has no ext_grid (slack); add one at the MV bus")
    if len(net.trafo) == 0:
        raise InputError(
            f"{source}: the network has no transformer; gridv2x needs the MV/LV substation "
            "transformer (trafo table)"
        )
    if len(net.load) == 0:
        raise InputError(f"{source}: the network has no loads; one load per customer is needed")


def _customers_from_loads(
    net: pp.pandapowerNet,
    *,
    dwelling: pd.Series | None = None,
    annual_kwh: pd.Series | None = None,
) -> pd.DataFrame:
    """Derive a customers table with one customer per pandapower load.

    annual_kwh: given, or the single-customer Velander inverse of the load's p_mw (if > 0),
    else 5000 kWh (villa without electric heating, docs/sources.md §2 [F]).
    """
    xy = bus_xy(net)
    rows = []
    for i, (li, load) in enumerate(net.load.iterrows()):
        d = "villa" if dwelling is None else str(dwelling.get(li, "villa"))
        if annual_kwh is not None and pd.notna(annual_kwh.get(li, np.nan)):
            w = float(annual_kwh[li])
        elif float(load.p_mw) > 0:
            w = _velander_inverse_kwh(float(load.p_mw) * KW_PER_MW, d)
        else:
            w = 5000.0
        bus = int(load.bus)
        rows.append(
            {
                "customer_id": f"c{i + 1:03d}",
                "bus": bus,
                "load": int(li),
                "dwelling": d,
                "heating": "none",
                "fuse_a": main_fuse_a(w, "none"),
                "annual_kwh": round(w, 1),
                "phases": 3,
                "phase": "abc",
                "x": xy.at[bus, "x"],
                "y": xy.at[bus, "y"],
                "name": str(load["name"]),
            }
        )
    return pd.DataFrame(rows, columns=list(CUSTOMER_COLUMNS) + ["name"])


def _zero_loads(net: pp.pandapowerNet) -> None:
    net.load["p_mw"] = 0.0
    net.load["q_mvar"] = 0.0


# --------------------------------------------------------------------------------------------
# pandapower JSON


def write_pandapower_json(feeder: Feeder, path: str | os.PathLike) -> Path:
    """Write ``feeder`` as a pandapower JSON file (customers table and metadata included).

    Returns the path written.
    """
    import copy

    path = Path(path)
    net = copy.deepcopy(feeder.net)
    net[CUSTOMERS_KEY] = feeder.customers.copy()
    net[META_KEY] = {"name": feeder.name, "description": feeder.description, "crs": feeder.crs}
    pp.to_json(net, str(path))
    return path


def read_pandapower_json(path: str | os.PathLike, *, name: str | None = None) -> Feeder:
    """Read a pandapower JSON network.

    Customers come from the table stored in the file by :func:`write_pandapower_json` (key
    ``gridv2x_customers``) or, if absent, one per pandapower load (annual use from the load's
    p_mw by inverse Velander, else 5000 kWh; dwelling ``villa``; heating ``none``). Loads are
    then set to the 0 MW placeholder. Coordinates are taken as SWEREF 99 TM unless the file
    says otherwise (``gridv2x_meta.crs``); WGS84 lon/lat geodata (|x| <= 180, |y| <= 90) is
    reprojected to EPSG:3006.

    Parameters
    ----------
    path : path
        The JSON file.
    name : str, optional
        Feeder name; default the name stored in the file or the file stem.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"pandapower_json: file {str(path)!r} does not exist")
    net = load_pandapower_json(path)  # data only: never imports what the file names
    try:
        pp.convert_format(net)  # older pandapower layouts (as pandapower.from_json does)
    except Exception:  # noqa: BLE001 - pandapower raises many kinds
        raise InputError(
            f"pandapower_json: {str(path)!r} is not a pandapower network file pandapower "
            f"{pp.__version__} can convert"
        ) from None
    _lv_side_check(net, str(path))
    meta = net.get(META_KEY) if META_KEY in net else None
    meta = meta if isinstance(meta, dict) else {}
    crs = str(meta.get("crs", "EPSG:3006"))
    xy = bus_xy(net)
    if crs == "EPSG:3006" and xy.x.notna().any():
        if xy.x.abs().max() <= 180 and xy.y.abs().max() <= 90:
            crs = "EPSG:4326"
    _reproject_net(net, crs)
    stored = net.get(CUSTOMERS_KEY) if CUSTOMERS_KEY in net else None
    if isinstance(stored, pd.DataFrame) and len(stored):
        customers = stored.reset_index(drop=True)
        missing = [c for c in CUSTOMER_COLUMNS if c not in customers.columns]
        if missing:
            raise InputError(f"pandapower_json: {str(path)!r} customers table lacks {missing}")
        if crs != "EPSG:3006":
            tr = _CrsTransformer.from_crs(crs, "EPSG:3006", always_xy=True)
            x, y = tr.transform(customers.x.to_numpy(float), customers.y.to_numpy(float))
            customers["x"], customers["y"] = x, y
        bad = set(customers["load"]) - set(net.load.index)
        if bad:
            raise InputError(
                f"pandapower_json: {str(path)!r} customers refer to missing loads {sorted(bad)}"
            )
    else:
        customers = _customers_from_loads(net)
    for key in (CUSTOMERS_KEY, META_KEY):
        if key in net:
            del net[key]
    _zero_loads(net)
    return Feeder(
        name=name or str(meta.get("name") or path.stem),
        net=net,
        customers=customers,
        description=str(meta.get("description", f"pandapower network from {path.name}")),
        crs="EPSG:3006",
    )


# --------------------------------------------------------------------------------------------
# SimBench


def _simbench_dwelling(profile: str, code: str) -> str:
    p = str(profile).upper()
    if p.startswith("H"):
        return "apartment" if "urban" in code and "semiurb" not in code else "villa"
    if p.startswith("G"):
        return "business"
    if p.startswith("L"):
        return "farm"
    return "villa"


def read_simbench(code: str, *, profiles: bool = True) -> Feeder:
    """Read a SimBench LV grid (e.g. ``"1-LV-rural1--0-sw"``) from the installed simbench.

    Customers are SimBench's loads (one customer per load; dwelling from the profile: ``H*``
    household -> villa, or apartment for urban codes; ``G*`` business; ``L*`` farm; heating
    ``none``; annual use from the profile's energy over SimBench's year; main fuse from the
    annual use, docs/sources.md §1.5). Coordinates are reprojected from WGS84 to SWEREF 99 TM. Loads
    and static generators are set to 0 MW (the time series come from the study).

    ``Feeder.base_profiles`` (``profiles=True``) holds ``(p_kw, q_kvar)`` DataFrames
    ``[time x customer_id]`` from ``simbench.get_absolute_values``: SimBench's year 2016, 35136
    steps of 15 min without daylight-saving gaps, so taken as equal steps from 2016-01-01
    00:00 CET and indexed by timezone-aware Europe/Stockholm timestamps (in summer the local
    clock reads one hour later). :func:`profiles_for_index` maps them onto a study period by
    local calendar position (month, day, time of day).

    Parameters
    ----------
    code : str
        SimBench code of an LV grid (the voltage level must be ``LV``).
    profiles : bool
        Attach SimBench's load profiles as base profiles.
    """
    import simbench as sb

    if not isinstance(code, str) or "-LV-" not in code:
        raise InputError(
            f"simbench code {code!r} is not an LV grid code; e.g. '1-LV-rural1--0-sw', "
            "'1-LV-semiurb4--0-sw', '1-LV-urban6--0-sw'"
        )
    try:
        net = sb.get_simbench_net(code)
    except Exception as exc:
        raise InputError(f"simbench code {code!r} is not known to simbench ({exc})") from None
    _lv_side_check(net, f"simbench {code}")
    abs_values = sb.get_absolute_values(net, profiles_instead_of_study_cases=True)
    p_mw = abs_values[("load", "p_mw")]
    q_mvar = abs_values[("load", "q_mvar")]
    energy_kwh = p_mw.sum() * 0.25 * KW_PER_MW
    dwelling = pd.Series(
        {li: _simbench_dwelling(prof, code) for li, prof in net.load.profile.items()}
    )
    _reproject_net(net, "EPSG:4326")
    customers = _customers_from_loads(net, dwelling=dwelling, annual_kwh=energy_kwh)
    _zero_loads(net)
    if len(net.sgen):
        net.sgen["p_mw"] = 0.0
        net.sgen["q_mvar"] = 0.0
    base = None
    if profiles:
        index = pd.date_range(
            pd.Timestamp("2016-01-01", tz=TIMEZONE), periods=len(p_mw), freq="15min"
        )
        index.name = "time"
        ids = customers.set_index("load")["customer_id"]
        p_kw = pd.DataFrame(
            p_mw[ids.index].to_numpy() * KW_PER_MW, index=index, columns=ids.to_numpy()
        )
        q_kvar = pd.DataFrame(
            q_mvar[ids.index].to_numpy() * KW_PER_MW, index=index, columns=ids.to_numpy()
        )
        base = (p_kw, q_kvar)
    return Feeder(
        name=code,
        net=net,
        customers=customers,
        description=f"SimBench LV grid {code} ({len(customers)} loads)",
        crs="EPSG:3006",
        base_profiles=base,
    )


def profiles_for_index(profile: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Map a one-year profile (e.g. SimBench's 2016) onto a study ``index`` by calendar position.

    Each study step takes the profile value at the same month, day and local time of day
    (15-min slot); 29 February falls back to 28 February in non-leap profiles and a study day
    29 February uses the profile's own 29 February (SimBench's 2016 has one). Coarser study
    resolutions take the mean of the 15-min slots they cover.

    Parameters
    ----------
    profile : DataFrame
        ``[time x column]`` for one calendar year, tz-aware, 15-min steps.
    index : DatetimeIndex
        Study time index (``conventions.period_index``).

    Returns
    -------
    DataFrame
        ``[index x column]``, same columns and units as ``profile``.
    """
    local = profile.index.tz_convert(TIMEZONE)
    codes = np.asarray(local.month * 10_000 + local.day * 100 + local.hour * 4 + local.minute // 15)
    values = profile.to_numpy(dtype=float)
    # one row per calendar slot (the autumn DST hour occurs twice: take the mean)
    uniq, inverse = np.unique(codes, return_inverse=True)
    sums = np.zeros((len(uniq), values.shape[1]))
    np.add.at(sums, inverse, values)
    table = sums / np.bincount(inverse)[:, None]
    step = pd.Timedelta(index.freq) if index.freq is not None else pd.Timedelta("15min")
    n_sub = max(1, int(step / pd.Timedelta("15min")))
    out = np.zeros((len(index), values.shape[1]))
    t_local = index.tz_convert(TIMEZONE)
    for k in range(n_sub):
        t = t_local + pd.Timedelta(minutes=15 * k)
        want = np.asarray(t.month * 10_000 + t.day * 100 + t.hour * 4 + t.minute // 15)
        pos = np.searchsorted(uniq, want).clip(0, len(uniq) - 1)
        missing = uniq[pos] != want
        if missing.any():  # 29 Feb in a non-leap profile, or a slot skipped by DST
            day = (want // 100) % 100
            fallback = want - (day - np.minimum(day, 28)) * 100
            pos2 = np.searchsorted(uniq, fallback).clip(0, len(uniq) - 1)
            still = uniq[pos2] != fallback
            pos = np.where(missing, pos2, pos)
            if still.any():  # a slot the profile lacks entirely: the previous slot
                pos = np.where(missing & still, (pos2 - 1).clip(0), pos)
        out += table[pos]
    return pd.DataFrame(out / n_sub, index=index, columns=profile.columns)


# --------------------------------------------------------------------------------------------
# dispatcher


def network_kind(entry: Mapping[str, Any]) -> str:
    """The kind of a ``networks`` entry: its one key in :data:`NETWORK_KINDS`.

    Raises
    ------
    InputError
        When the entry has none or several of the kinds.
    """
    kinds = [k for k in NETWORK_KINDS if k in entry]
    if len(kinds) != 1:
        raise InputError(
            f"networks entry {dict(entry)!r} must have exactly one of {', '.join(NETWORK_KINDS)}"
        )
    return kinds[0]


def read_network(entry: dict | str, base_dir: str | os.PathLike = ".") -> Feeder:
    """Read one scenario ``networks`` entry.

    Parameters
    ----------
    entry : dict or str
        Exactly one of ``builtin: NAME``, ``gis: PATH``, ``pandapower_json: PATH``,
        ``simbench: CODE``, ``area: PATH`` (with ``substation: ID``, optional ``mapping``);
        other keys are passed to the reader as options (e.g.
        ``snap_tolerance_m`` for GIS, ``name``). A bare string is taken as a builtin name.
    base_dir : path
        Folder that relative paths are relative to (the scenario file's folder).

    Returns
    -------
    Feeder
    """
    if isinstance(entry, str):
        entry = {"builtin": entry}
    if not isinstance(entry, dict):
        raise InputError(
            f"networks entry must be a mapping with one of {', '.join(NETWORK_KINDS)}, "
            f"got {entry!r}"
        )
    kind = network_kind(entry)
    value = entry[kind]
    options = {k: v for k, v in entry.items() if k != kind}
    base = Path(base_dir)

    def resolve(p) -> Path:
        if not isinstance(p, str | os.PathLike):
            raise InputError(f"networks entry {kind}: must be a file path, got {p!r}")
        p = Path(p)
        return p if p.is_absolute() else base / p

    if kind == "builtin":
        from gridv2x.network.builtin import read_builtin

        _no_options(kind, options, set())
        return read_builtin(value)
    if kind == "simbench":
        _no_options(kind, options, {"profiles"})
        return read_simbench(value, **options)
    if kind == "cgmes":
        from gridv2x.network.cgmes import read_cgmes

        _no_options(kind, options, {"name"})
        return read_cgmes(resolve(value), **options)
    if kind == "pandapower_json":
        _no_options(kind, options, {"name"})
        return read_pandapower_json(resolve(value), **options)
    from gridv2x.network.gis import GIS_OPTIONS, read_gis

    if kind == "area":
        from gridv2x.network.area import read_area_feeder

        if "substation" not in options:
            raise InputError(
                "networks entry area: read_network reads one substation; give substation: ID "
                "(gridv2x.network.read_area reads them all)"
            )
        sid = options.pop("substation")
        mapping = options.pop("mapping", None)
        _no_options(kind, options, set(GIS_OPTIONS) - {"name"})
        options.pop("strict", None)
        return read_area_feeder(resolve(value), str(sid), mapping, **options)
    _no_options(kind, options, set(GIS_OPTIONS) | {"mapping"})
    return read_gis(resolve(value), **options)


def _no_options(kind: str, options: dict, allowed: set[str]) -> None:
    extra = set(options) - allowed
    if extra:
        allowed_words = ", ".join(sorted(allowed)) or "none"
        raise InputError(
            f"networks entry {kind}: unknown option(s) {sorted(extra)}; allowed: {allowed_words}"
        )
