"""Attribute validation of the GIS layers: the substation, line and customer attributes parsed
into plain records, every problem collected with the element it concerns (the attributes:
:mod:`gridv2x.network.gis`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from gridv2x.network.area_types import ANNUAL_KWH
from gridv2x.network.catalogue import CABLES, TRANSFORMERS
from gridv2x.network.checks import (
    DWELLINGS,
    ERROR,
    HEATINGS,
    Problem,
)
from gridv2x.network.elements import GRID_SK_MVA, SLACK_VM_PU
from gridv2x.network.gis_layers import _missing, _num


@dataclass
class _Parsed:
    substation: dict | None = None
    lines: list[dict] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)


def _parse_substation(gdf: gpd.GeoDataFrame, problems: list[Problem]) -> dict | None:
    if len(gdf) != 1:
        ids = tuple(str(v) for v in gdf.get("substation_id", pd.Series(dtype=str)))
        problems.append(
            Problem(
                ERROR,
                "invalid_attribute",
                f"the substation layer must hold exactly one point, it holds {len(gdf)}; one "
                "file per secondary substation",
                ids,
                "substation",
            )
        )
        if len(gdf) == 0:
            return None
    row = gdf.iloc[0]
    sid = str(row.get("substation_id", "substation"))
    geom = row.geometry
    if geom is None or geom.geom_type != "Point":
        problems.append(
            Problem(ERROR, "invalid_geometry", "substation must be a Point", (sid,), "substation")
        )
        return None
    sn = _num(row.get("sn_kva"))
    if not (sn > 0):
        problems.append(
            Problem(
                ERROR,
                "missing_attribute" if _missing(row.get("sn_kva")) else "invalid_attribute",
                f"sn_kva must be a positive rating [kVA] (given {row.get('sn_kva')!r}); "
                f"standard sizes {sorted(TRANSFORMERS)}",
                (sid,),
                "substation",
            )
        )
        return None
    out = {"substation_id": sid, "x": geom.x, "y": geom.y, "sn_kva": sn}
    for key, default in (
        ("vk_percent", None),
        ("vkr_percent", None),
        ("vn_hv_kv", 10.0),
        ("slack_vm_pu", SLACK_VM_PU),
        ("sk_mva", GRID_SK_MVA),
        ("pfe_kw", None),
        ("i0_percent", None),
    ):
        value = _num(row.get(key), np.nan)
        if np.isnan(value):
            out[key] = default
        elif value < 0 or (value == 0 and key not in ("pfe_kw", "i0_percent")):
            problems.append(
                Problem(
                    ERROR,
                    "invalid_attribute",
                    f"{key} must be positive (given {value})",
                    (sid,),
                    "substation",
                )
            )
            out[key] = default
        else:
            out[key] = value
    return out


def _parse_lines(gdf: gpd.GeoDataFrame, problems: list[Problem]) -> list[dict]:
    out = []
    if "line_id" not in gdf.columns:
        problems.append(
            Problem(ERROR, "missing_attribute", "lines need a line_id column", layer="lines")
        )
        gdf = gdf.assign(line_id=[f"line{i + 1}" for i in range(len(gdf))])
    ids = gdf.line_id.astype(str)
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        problems.append(
            Problem(
                ERROR, "duplicate_id", "line_id must be unique; rename them", tuple(dup), "lines"
            )
        )
    unknown: dict[str, list[str]] = {}
    for i, row in gdf.iterrows():
        lid = str(row.line_id) if not _missing(row.line_id) else f"<row {i}>"
        if _missing(row.line_id):
            problems.append(
                Problem(ERROR, "missing_attribute", "line without line_id", (lid,), "lines")
            )
        geom = row.geometry
        if geom is not None and geom.geom_type == "MultiLineString" and len(geom.geoms) == 1:
            geom = geom.geoms[0]
        if geom is None or geom.geom_type != "LineString" or geom.length <= 0:
            problems.append(
                Problem(
                    ERROR,
                    "invalid_geometry",
                    "line geometry must be a single LineString of non-zero length; split "
                    "multi-part lines",
                    (lid,),
                    "lines",
                )
            )
            continue
        cable_type = row.get("cable_type")
        cable_type = None if _missing(cable_type) else str(cable_type)
        params = {k: _num(row.get(k)) for k in ("r_ohm_per_km", "x_ohm_per_km", "max_i_a")}
        have_params = all(np.isfinite(v) for v in params.values())
        if cable_type is None or cable_type not in CABLES:
            if have_params:
                if not (
                    params["r_ohm_per_km"] > 0
                    and params["x_ohm_per_km"] >= 0
                    and params["max_i_a"] > 0
                ):
                    problems.append(
                        Problem(
                            ERROR,
                            "invalid_attribute",
                            f"r_ohm_per_km > 0, x_ohm_per_km >= 0, max_i_a > 0 needed (given "
                            f"{params})",
                            (lid,),
                            "lines",
                        )
                    )
                    continue
            elif cable_type is None:
                problems.append(
                    Problem(
                        ERROR,
                        "missing_attribute",
                        "line has neither cable_type nor r_ohm_per_km, x_ohm_per_km, max_i_a; "
                        "give one of them",
                        (lid,),
                        "lines",
                    )
                )
                continue
            else:
                unknown.setdefault(cable_type, []).append(lid)
                continue
        length = _num(row.get("length_m"))
        if not np.isnan(length) and length <= 0:
            problems.append(
                Problem(
                    ERROR,
                    "invalid_attribute",
                    f"length_m must be positive (given {length})",
                    (lid,),
                    "lines",
                )
            )
            length = np.nan
        out.append(
            {
                "line_id": lid,
                "geometry": geom,
                "cable_type": cable_type,
                "length_m": None if np.isnan(length) else length,
                "r_pen_ohm_per_km": _num(row.get("r_pen_ohm_per_km"), np.nan),
                "c_nf_per_km": _num(row.get("c_nf_per_km"), np.nan),
                **params,
            }
        )
    for cable_type, lids in unknown.items():
        problems.append(
            Problem(
                ERROR,
                "unknown_cable_type",
                f"cable_type {cable_type!r} is not in the catalogue; use one of "
                f"{', '.join(CABLES)} or give r_ohm_per_km, x_ohm_per_km, max_i_a",
                tuple(lids),
                "lines",
            )
        )
    return out


def _parse_customers(gdf: gpd.GeoDataFrame, problems: list[Problem]) -> list[dict]:
    out = []
    for col in ("customer_id", "dwelling", "fuse_a"):
        if col not in gdf.columns:
            problems.append(
                Problem(
                    ERROR,
                    "missing_attribute",
                    f"customers need a {col} column",
                    layer="customers",
                )
            )
            gdf = gdf.assign(**{col: None})
    ids = gdf.customer_id.astype(str)
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        problems.append(
            Problem(
                ERROR,
                "duplicate_id",
                "customer_id must be unique; rename them",
                tuple(dup),
                "customers",
            )
        )
    bad: dict[str, list[str]] = {}

    def flag(key: str, cid: str) -> None:
        bad.setdefault(key, []).append(cid)

    for i, row in gdf.iterrows():
        cid = str(row.customer_id) if not _missing(row.customer_id) else f"<row {i}>"
        if _missing(row.customer_id):
            flag("customer_id: missing", cid)
        geom = row.geometry
        if geom is None or geom.geom_type != "Point":
            flag("geometry: must be a Point", cid)
            continue
        dwelling = row.get("dwelling")
        if dwelling not in DWELLINGS:
            flag(f"dwelling: must be one of {', '.join(DWELLINGS)}", cid)
            continue
        heating = row.get("heating", "none")
        heating = "none" if _missing(heating) else str(heating)
        if heating not in HEATINGS:
            flag(f"heating: must be one of {', '.join(HEATINGS)}", cid)
            continue
        fuse = _num(row.get("fuse_a"))
        if not (fuse > 0):
            flag("fuse_a: must be a positive main fuse rating [A]", cid)
            continue
        phases = _num(row.get("phases"), 3.0)
        if phases not in (1.0, 3.0):
            flag("phases: must be 1 or 3", cid)
            continue
        phase = row.get("phase")
        if _missing(phase):
            phase = "abc" if phases == 3 else "a"
        if (phases == 3 and phase != "abc") or (phases == 1 and phase not in ("a", "b", "c")):
            flag("phase: 'abc' for 3-phase, 'a'/'b'/'c' for 1-phase customers", cid)
            continue
        annual = _num(row.get("annual_kwh"))
        if np.isnan(annual):
            annual = ANNUAL_KWH.get((dwelling, heating), ANNUAL_KWH[("villa", "district")])
        elif annual <= 0:
            flag("annual_kwh: must be positive [kWh]", cid)
            continue
        out.append(
            {
                "customer_id": cid,
                "dwelling": dwelling,
                "heating": heating,
                "fuse_a": fuse if fuse != int(fuse) else int(fuse),
                "annual_kwh": annual,
                "phases": int(phases),
                "phase": phase,
                "x": geom.x,
                "y": geom.y,
            }
        )
    for what, cids in bad.items():
        key, _, rule = what.partition(": ")
        problems.append(
            Problem(
                ERROR,
                "missing_attribute" if rule == "missing" else "invalid_attribute",
                f"{key} {rule}; fix these customers",
                tuple(cids),
                "customers",
            )
        )
    return out
