"""The :class:`Feeder`: a pandapower network plus its customers and geodata."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandapower as pp
import pandas as pd
from pyproj import Transformer as _CrsTransformer

from gridv2x.conventions import CUSTOMER_COLUMNS
from gridv2x.errors import InputError

__all__ = ["Feeder", "feeder_geojson", "bus_xy", "line_coords"]


@dataclass
class Feeder:
    """One LV feeder (one secondary substation and its network), ready for load flows.

    Attributes
    ----------
    name : str
        e.g. ``"se-suburban-villa"``.
    net : pandapower.pandapowerNet
        One ext_grid (10 kV), one or more trafos, lines, buses; one pandapower load per
        customer with ``p_mw = 0`` (placeholder).
    customers : pandas.DataFrame
        Columns ``conventions.CUSTOMER_COLUMNS``, index 0..n-1.
    description : str
        Short description (one line).
    crs : str
        CRS of bus geodata and customer x/y (``"EPSG:3006"``, SWEREF 99 TM).
    base_profiles : tuple of DataFrame or None
        Optional ``(p_kw, q_kvar)`` per customer_id for one year (e.g. SimBench profiles).
    """

    name: str
    net: pp.pandapowerNet
    customers: pd.DataFrame
    description: str = ""
    crs: str = "EPSG:3006"
    base_profiles: tuple[pd.DataFrame, pd.DataFrame] | None = None

    @property
    def transformer_sn_kva(self) -> float:
        """Total rating of the secondary (to 0.4 kV) transformers [kVA]."""
        trafo = self.net.trafo
        if len(trafo) == 0:
            return float("nan")
        secondary = trafo[trafo.in_service.astype(bool)]
        return float(secondary.sn_mva.sum() * 1000.0)

    @property
    def n_customers(self) -> int:
        """Number of customers."""
        return len(self.customers)

    def summary(self) -> dict:
        """Key figures of the feeder as plain data (for tables and reports).

        Keys: ``name, description, transformer_sn_kva, n_customers, n_buses, n_lines,
        length_km, cable_km`` ({type: km}), ``dwelling``, ``heating``, ``fuse_a``
        ({value: count}), ``annual_mwh``, ``design_peak_kw`` (Velander, docs/sources.md §2).
        """
        from gridv2x.network.design import group_design_peak_kw

        net, c = self.net, self.customers
        km = net.line.groupby(net.line.std_type.fillna("custom")).length_km.sum()

        def counts(col: str) -> dict:
            return {
                (k.item() if isinstance(k, np.generic) else k): int(v)
                for k, v in c[col].value_counts().sort_index().items()
            }

        return {
            "name": self.name,
            "description": self.description,
            "transformer_sn_kva": self.transformer_sn_kva,
            "n_customers": int(len(c)),
            "n_buses": int(len(net.bus)),
            "n_lines": int(len(net.line)),
            "length_km": float(net.line.length_km.sum()),
            "cable_km": {str(k): float(v) for k, v in km.sort_values(ascending=False).items()},
            "dwelling": counts("dwelling"),
            "heating": counts("heating"),
            "fuse_a": counts("fuse_a"),
            "annual_mwh": float(c.annual_kwh.sum() / 1000),
            "design_peak_kw": float(group_design_peak_kw(c)),
        }

    def __post_init__(self) -> None:
        missing = [c for c in CUSTOMER_COLUMNS if c not in self.customers.columns]
        if missing:
            raise InputError(
                f"feeder {self.name!r}: customers table lacks column(s) {missing}; "
                f"required: {list(CUSTOMER_COLUMNS)}"
            )

    def __repr__(self) -> str:
        return (
            f"Feeder({self.name!r}, {len(self.net.bus)} buses, {len(self.net.line)} lines, "
            f"{self.n_customers} customers, {self.transformer_sn_kva:g} kVA)"
        )


def bus_xy(net: pp.pandapowerNet) -> pd.DataFrame:
    """Bus coordinates from ``net.bus.geo`` as a DataFrame with columns ``x, y`` (NaN if none)."""
    xs, ys = [], []
    geo = net.bus["geo"] if "geo" in net.bus.columns else pd.Series(None, index=net.bus.index)
    for value in geo:
        if isinstance(value, str) and value:
            coords = json.loads(value)["coordinates"]
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
        else:
            xs.append(np.nan)
            ys.append(np.nan)
    return pd.DataFrame({"x": xs, "y": ys}, index=net.bus.index)


def line_coords(net: pp.pandapowerNet, line: int, xy: pd.DataFrame | None = None) -> list:
    """Route of ``line`` as a list of (x, y): from ``net.line.geo`` or the end buses."""
    geo = net.line.at[line, "geo"] if "geo" in net.line.columns else None
    if isinstance(geo, str) and geo:
        return [tuple(map(float, c)) for c in json.loads(geo)["coordinates"]]
    xy = bus_xy(net) if xy is None else xy
    a, b = net.line.at[line, "from_bus"], net.line.at[line, "to_bus"]
    return [(xy.at[a, "x"], xy.at[a, "y"]), (xy.at[b, "x"], xy.at[b, "y"])]


def feeder_geojson(feeder: Feeder) -> dict:
    """The feeder as a GeoJSON FeatureCollection in EPSG:4326 (for maps).

    Features have property ``kind`` in ``substation``, ``bus``, ``line``, ``customer`` and the
    original coordinates in the feeder's CRS as properties ``x, y`` (numbers for points, lists
    of vertex coordinates for lines). Buses carry
    ``index`` (pandapower bus) and ``name``; lines ``index``, ``name``, ``cable_type``,
    ``length_m``, ``max_i_a``; customers the customer table's columns; the substation
    ``sn_kva``.

    Parameters
    ----------
    feeder : Feeder

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}``.
    """
    net = feeder.net
    to_wgs = _CrsTransformer.from_crs(feeder.crs, "EPSG:4326", always_xy=True)
    xy = bus_xy(net)

    def point(x, y):
        lon, lat = to_wgs.transform(x, y)
        return {"type": "Point", "coordinates": [float(lon), float(lat)]}

    features = []
    lv_buses = set(net.trafo.lv_bus) if len(net.trafo) else set()
    for b in net.bus.index:
        x, y = xy.at[b, "x"], xy.at[b, "y"]
        if np.isnan(x):
            continue
        kind = "substation" if b in lv_buses else "bus"
        props = {
            "kind": kind,
            "index": int(b),
            "name": str(net.bus.at[b, "name"]),
            "vn_kv": float(net.bus.at[b, "vn_kv"]),
            "x": float(x),
            "y": float(y),
        }
        if kind == "substation":
            props["sn_kva"] = float(net.trafo.loc[net.trafo.lv_bus == b, "sn_mva"].sum() * 1000)
        features.append({"type": "Feature", "geometry": point(x, y), "properties": props})
    for li in net.line.index:
        coords = line_coords(net, li, xy)
        if any(np.isnan(c[0]) for c in coords):
            continue
        lonlat = [list(map(float, to_wgs.transform(x, y))) for x, y in coords]
        props = {
            "kind": "line",
            "index": int(li),
            "name": str(net.line.at[li, "name"]),
            "cable_type": str(net.line.at[li, "std_type"]),
            "length_m": float(net.line.at[li, "length_km"] * 1000),
            "max_i_a": float(net.line.at[li, "max_i_ka"] * 1000),
            "from_bus": int(net.line.at[li, "from_bus"]),
            "to_bus": int(net.line.at[li, "to_bus"]),
            "x": [float(c[0]) for c in coords],
            "y": [float(c[1]) for c in coords],
        }
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": lonlat},
                "properties": props,
            }
        )
    for _, row in feeder.customers.iterrows():
        if pd.isna(row["x"]):
            continue
        props = {"kind": "customer"}
        for col in feeder.customers.columns:
            value = row[col]
            if isinstance(value, np.generic):
                value = value.item()
            props[col] = value
        features.append(
            {"type": "Feature", "geometry": point(row["x"], row["y"]), "properties": props}
        )
    return {"type": "FeatureCollection", "name": feeder.name, "features": features}
