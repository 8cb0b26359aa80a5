"""A DSO's own layer, attribute and code names mapped onto gridv2x's GIS layers.

A network-information-system export (Trimble NIS, dpPower, Powel and others) has its own layer
and attribute names, often in Swedish, and its own codes for categories. A *mapping* tells
gridv2x which of the export's names means what:

.. code-block:: yaml

    layers:            # our layer -> their layer name
      substation: natstation
      lines: lsp_kabel
      customers: anslutningspunkt
    columns:           # per our layer: our attribute -> their attribute
      substation: {substation_id: stationsnummer, sn_kva: markeffekt_kva}
      lines: {line_id: kabel_id, cable_type: kabeltyp, length_m: langd_m}
      customers: {customer_id: anlaggnings_id, dwelling: byggnadstyp, fuse_a: sakring_a}
    values:            # per our attribute: our category -> their code(s)
      dwelling: {villa: [småhus, villa], apartment: flerbostadshus}
      heating: {district: fjärrvärme, heat_pump: värmepump}

Every part is optional; a name not mapped keeps ours. Layer and attribute names match their
export without regard to letter case; codes match after trimming spaces and letter case. A
malformed mapping raises :class:`~gridv2x.errors.InputError` naming the key
(``mapping.columns.lines.kabel``); a mapped attribute missing from the file is a
``missing_attribute`` problem of the layer, reported with the others.
``networks/mapping-sv.yaml`` is the documented example for a Swedish export.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import yaml

from gridv2x.conventions import DWELLINGS, HEATINGS
from gridv2x.errors import InputError
from gridv2x.network.catalogue import CABLES

__all__ = ["Mapping", "read_mapping", "ATTRIBUTES", "CATEGORIES", "MAPPING_KEYS"]

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "substation": (
        "substation_id",
        "sn_kva",
        "vk_percent",
        "vkr_percent",
        "vn_hv_kv",
        "slack_vm_pu",
        "sk_mva",
        "pfe_kw",
        "i0_percent",
    ),
    "lines": (
        "line_id",
        "cable_type",
        "r_ohm_per_km",
        "x_ohm_per_km",
        "max_i_a",
        "r_pen_ohm_per_km",
        "length_m",
        "c_nf_per_km",
    ),
    "customers": (
        "customer_id",
        "dwelling",
        "fuse_a",
        "annual_kwh",
        "heating",
        "phases",
        "phase",
    ),
}
"""Our attributes of each GIS layer (module docstring of :mod:`gridv2x.network.gis`)."""

CATEGORIES: dict[str, tuple[str, ...]] = {
    "dwelling": DWELLINGS,
    "heating": HEATINGS,
    "cable_type": tuple(CABLES),
    "phase": ("a", "b", "c", "abc"),
}
"""Attributes whose values are categories a mapping's ``values`` may translate."""

MAPPING_KEYS = ("layers", "columns", "values")


def _norm(code: Any) -> str:
    return str(code).strip().casefold()


@dataclass(frozen=True)
class Mapping:
    """A validated mapping (module docstring); the empty mapping keeps every name.

    Attributes
    ----------
    layers : dict
        Our layer name -> their layer name.
    columns : dict
        Our layer -> {our attribute -> their attribute}.
    values : dict
        Our attribute -> {their code (normalised) -> our category}.
    source : str
        Where it came from (file path or ``"<dict>"``), for messages.
    """

    layers: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str = "<none>"
    spellings: dict[str, str] = field(default_factory=dict, compare=False)

    def layer_name(self, layer: str) -> str:
        """Their name of our ``layer``."""
        return self.layers.get(layer, layer)

    def apply(self, layer: str, gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
        """Their attributes renamed to ours and their codes translated.

        Parameters
        ----------
        layer : str
            Our layer name.
        gdf : geopandas.GeoDataFrame
            The layer as read from their file.

        Returns
        -------
        gdf : geopandas.GeoDataFrame
            With our attribute names (columns matched ignoring letter case) and categories.
        missing : list of str
            Messages for mapped attributes the layer does not have.
        """
        geometry = getattr(gdf, "_geometry_column_name", None)
        by_lower = {str(c).casefold(): c for c in gdf.columns if c != geometry}
        rename: dict[str, str] = {}
        missing: list[str] = []
        for ours, theirs in self.columns.get(layer, {}).items():
            col = by_lower.get(theirs.casefold())
            if col is None:
                missing.append(
                    f"attribute {theirs!r} (mapped to {ours} by {self.source}) is not in layer "
                    f"{self.layer_name(layer)!r}; its attributes: "
                    + ", ".join(str(c) for c in by_lower.values())
                )
            else:
                rename[col] = ours
        if rename:
            # a column of theirs already called like one of our targets gives way
            clash = [c for c in gdf.columns if c in rename.values() and c not in rename]
            gdf = gdf.drop(columns=clash).rename(columns=rename)
        for attribute, codes in self.values.items():
            if attribute in gdf.columns and codes:
                gdf[attribute] = [
                    v if _missing(v) else codes.get(_norm(v), v) for v in gdf[attribute]
                ]
        return gdf, missing

    def to_dict(self) -> dict[str, Any]:
        """The mapping as plain data (codes grouped by our category)."""
        values: dict[str, dict[str, list[str]]] = {}
        for attribute, codes in self.values.items():
            for code, ours in codes.items():
                spelled = self.spellings.get(code, code)
                values.setdefault(attribute, {}).setdefault(ours, []).append(spelled)
        return {"layers": dict(self.layers), "columns": dict(self.columns), "values": values}


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any, key: str, source: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise InputError(
            f"mapping {source}: {key} must be a non-empty text (their name), given {value!r}"
        )
    return str(value).strip()


def _section(data: dict, name: str, source: str) -> dict:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise InputError(
            f"mapping {source}: {name} must be a mapping, given {type(value).__name__} {value!r}"
        )
    return value


def read_mapping(mapping: str | os.PathLike | dict | Mapping | None) -> Mapping:
    """Read and validate a mapping (module docstring).

    Parameters
    ----------
    mapping : path, dict, Mapping or None
        A YAML file, the same content as a dict, an already validated :class:`Mapping`, or
        None (no mapping: our names).

    Returns
    -------
    Mapping

    Raises
    ------
    gridv2x.errors.InputError
        Missing or unreadable file, or a malformed mapping; the message names the key
        (``mapping.columns.lines.kabel``), what was given and what is allowed.
    """
    if mapping is None:
        return Mapping()
    if isinstance(mapping, Mapping):
        return mapping
    source = "<dict>"
    if isinstance(mapping, str | os.PathLike):
        path = Path(mapping)
        source = str(path)
        if not path.is_file():
            raise InputError(f"mapping: file not found: {path}")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(f"mapping {path}: not valid YAML ({exc})") from None
        data = data or {}
    else:
        data = mapping
    if not isinstance(data, dict):
        raise InputError(
            f"mapping {source}: must be a mapping with keys {', '.join(MAPPING_KEYS)}, given "
            f"{type(data).__name__}"
        )
    unknown = [k for k in data if k not in MAPPING_KEYS]
    if unknown:
        raise InputError(
            f"mapping {source}: unknown key(s) {', '.join(map(str, unknown))}; allowed: "
            + ", ".join(MAPPING_KEYS)
        )
    layers: dict[str, str] = {}
    for ours, theirs in _section(data, "layers", source).items():
        if ours not in ATTRIBUTES:
            raise InputError(
                f"mapping {source}: layers.{ours} is not one of our layers; allowed: "
                + ", ".join(ATTRIBUTES)
            )
        layers[ours] = _text(theirs, f"layers.{ours}", source)
    columns: dict[str, dict[str, str]] = {}
    for layer, cols in _section(data, "columns", source).items():
        if layer not in ATTRIBUTES:
            raise InputError(
                f"mapping {source}: columns.{layer} is not one of our layers; allowed: "
                + ", ".join(ATTRIBUTES)
            )
        if not isinstance(cols, dict):
            raise InputError(
                f"mapping {source}: columns.{layer} must map our attribute -> their attribute, "
                f"given {cols!r}"
            )
        out: dict[str, str] = {}
        for ours, theirs in cols.items():
            if ours not in ATTRIBUTES[layer]:
                raise InputError(
                    f"mapping {source}: columns.{layer}.{ours} is not an attribute of our "
                    f"{layer} layer; allowed: " + ", ".join(ATTRIBUTES[layer])
                )
            out[ours] = _text(theirs, f"columns.{layer}.{ours}", source)
        seen: dict[str, str] = {}
        for ours, theirs in out.items():
            if theirs.casefold() in seen:
                raise InputError(
                    f"mapping {source}: columns.{layer}.{ours} and columns.{layer}."
                    f"{seen[theirs.casefold()]} both name {theirs!r}; one attribute each"
                )
            seen[theirs.casefold()] = ours
        columns[layer] = out
    values: dict[str, dict[str, str]] = {}
    spellings: dict[str, str] = {}
    for attribute, cats in _section(data, "values", source).items():
        if attribute not in CATEGORIES:
            raise InputError(
                f"mapping {source}: values.{attribute} is not a categorical attribute; allowed: "
                + ", ".join(CATEGORIES)
            )
        if not isinstance(cats, dict):
            raise InputError(
                f"mapping {source}: values.{attribute} must map our category -> their code(s), "
                f"given {cats!r}"
            )
        codes: dict[str, str] = {}
        for ours, theirs in cats.items():
            if ours not in CATEGORIES[attribute]:
                raise InputError(
                    f"mapping {source}: values.{attribute}.{ours} is not a {attribute}; allowed: "
                    + ", ".join(CATEGORIES[attribute])
                )
            their_codes = theirs if isinstance(theirs, list) else [theirs]
            for code in their_codes:
                spelled = _text(code, f"values.{attribute}.{ours}", source)
                text = _norm(spelled)
                spellings.setdefault(text, spelled)
                if text in codes and codes[text] != ours:
                    raise InputError(
                        f"mapping {source}: values.{attribute}.{ours}: code {code!r} is also "
                        f"given for {codes[text]!r}; a code means one category"
                    )
                codes[text] = ours
        values[attribute] = codes
    return Mapping(
        layers=layers, columns=columns, values=values, source=source, spellings=spellings
    )
