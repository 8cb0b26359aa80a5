"""A DSO area: one GIS export with many secondary substations, split into one feeder each.

A network-information-system export holds every secondary substation (nätstation) of an
area in one file: a substation layer with one point per transformer, and all LV lines and
customer connection points together. :func:`read_area` splits it by topology:

1. Lines touch when an end of one lies within ``snap_tolerance_m`` of the other (end or
   route), as in :mod:`gridv2x.network.gis`; a substation point feeds the lines within the
   tolerance; a customer belongs to the nearest line within ``max_service_m``.
2. Each connected group of lines with exactly one substation point is that substation's
   feeder, named by its ``substation_id`` (``-T1``, ``-T2`` appended when one station
   has several transformer points). A group that reaches two substations is a link between
   them (an open point not drawn as open): both feeders get a ``loop`` error. A group
   reaching none is reported as ``not_fed`` for the area.
3. Each feeder is then checked and built exactly as a single-feeder GIS file
   (:func:`gridv2x.network.gis.read_gis`): every problem names its feature ids and is
   attributed to its feeder.

With ``strict=True`` any error stops the reading with one message listing all problems,
per substation. With ``strict=False`` the feeders without errors are read, and the others
are listed (warning, and :attr:`AreaCheck.excluded`).

Layer, attribute and code names come from a mapping (:mod:`gridv2x.network.mapping`);
``networks/mapping-sv.yaml`` maps a Swedish export.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from shapely import STRtree
from shapely.geometry import Point

from gridv2x.errors import InputError
from gridv2x.network.checks import ERROR, Problem, format_problems
from gridv2x.network.feeder import Feeder
from gridv2x.network.gis import _options, build_from_topology
from gridv2x.network.gis_attributes import (
    _parse_customers,
    _parse_lines,
    _parse_substation,
    _Parsed,
)
from gridv2x.network.gis_layers import _read_layers
from gridv2x.network.gis_topology import _build_topology
from gridv2x.network.mapping import Mapping, read_mapping

__all__ = ["read_area", "check_area", "AreaCheck", "area_substations"]

AREA_LAYER = "area"
"""``Problem.layer`` of problems that belong to no single substation."""


@dataclass
class AreaCheck:
    """Problems of an area file, per substation.

    Attributes
    ----------
    source : str
        The file.
    feeders : dict
        Feeder name (substation id) -> its problems (errors and warnings).
    area : list of Problem
        Problems that belong to no substation (lines and customers fed from none).
    positions : dict
        Feeder name -> substation position ``(x, y)`` in SWEREF 99 TM [m].
    """

    source: str
    feeders: dict[str, list[Problem]] = field(default_factory=dict)
    area: list[Problem] = field(default_factory=list)
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def fine(self) -> list[str]:
        """Feeders without errors."""
        return [n for n, ps in self.feeders.items() if not any(p.is_error for p in ps)]

    @property
    def excluded(self) -> dict[str, str]:
        """Feeders with errors -> their errors as text."""
        return {
            name: "; ".join(str(p) for p in ps if p.is_error)
            for name, ps in self.feeders.items()
            if any(p.is_error for p in ps)
        }

    def problems(self) -> list[Problem]:
        """Every problem, each feeder's prefixed with its name (for one flat listing)."""
        out = list(self.area)
        for name, ps in self.feeders.items():
            out += [Problem(p.severity, p.code, p.message, p.ids, f"{name}/{p.layer}") for p in ps]
        return out

    def text(self) -> str:
        """All problems, grouped by substation."""
        lines = [
            f"{self.source}: {len(self.feeders)} substation(s), {len(self.fine)} without errors"
        ]
        if self.area:
            lines.append(format_problems(self.area, "  area (no substation)"))
        for name, ps in self.feeders.items():
            if ps:
                lines.append(format_problems(ps, f"  {name}"))
        return "\n".join(lines)


@dataclass
class _Part:
    parsed: _Parsed
    problems: list[Problem]
    topology: Any = None


@dataclass
class _Area:
    check: AreaCheck
    parts: dict[str, _Part]
    opts: dict


_CACHE: dict[str, _Area] = {}
_CACHE_SIZE = 2


def _key(path: Path, mapping: Mapping, opts: dict) -> str:
    stat = path.stat()
    return json.dumps(
        [str(path.resolve()), stat.st_mtime_ns, stat.st_size, mapping.to_dict(), opts],
        sort_keys=True,
        default=str,
    )


def _components(
    line_geoms: list, sub_points: list[tuple[float, float]], tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Connected group of each line and each substation point (labels over both)."""
    n = len(line_geoms)
    parent = np.arange(n + len(sub_points))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    valid = [g for g in line_geoms if g is not None]
    where = [i for i, g in enumerate(line_geoms) if g is not None]
    tree = STRtree(valid) if valid else None
    if tree is not None:
        for k, i in enumerate(where):
            coords = valid[k].coords
            for end in (coords[0], coords[-1]):
                for j in tree.query(Point(end[:2]), predicate="dwithin", distance=tol):
                    union(i, where[int(j)])
        for s, xy in enumerate(sub_points):
            for j in tree.query(Point(xy), predicate="dwithin", distance=tol):
                union(n + s, where[int(j)])
    labels = np.array([find(i) for i in range(len(parent))], dtype=int)
    return labels[:n], labels[n:]


def _line_geometry(geom):
    if geom is not None and geom.geom_type == "MultiLineString" and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if geom is None or geom.geom_type != "LineString" or geom.length <= 0:
        return None
    return geom


def _analyse_area(path: Path, mapping: Mapping, opts: dict) -> _Area:
    key = _key(path, mapping, opts)
    if key in _CACHE:
        return _CACHE[key]
    layers, problems = _read_layers(path, mapping)
    source = str(path)
    check = AreaCheck(source)
    if "substation" not in layers or "lines" not in layers:
        raise InputError(
            "\n".join(
                [f"area {path}: cannot split the area (no substation or lines layer)"]
                + [f"  - {p}" for p in problems]
            )
        )
    subs_gdf = layers["substation"]
    lines_gdf = layers["lines"]
    if "line_id" not in lines_gdf.columns:
        lines_gdf = lines_gdf.assign(line_id=[f"line{i + 1}" for i in range(len(lines_gdf))])
    cust_gdf = layers.get("customers")
    area_problems = list(problems)  # layer-level: every feeder is affected, listed for the area

    # substations: one feeder per point (transformer), named by substation_id
    subs: list[dict] = []
    sub_problems: list[list[Problem]] = []
    ids = [str(v) for v in subs_gdf.get("substation_id", [None] * len(subs_gdf))]
    counts: dict[str, int] = {}
    for sid in ids:
        counts[sid] = counts.get(sid, 0) + 1
    seen: dict[str, int] = {}
    for i in range(len(subs_gdf)):
        probs: list[Problem] = []
        sub = _parse_substation(subs_gdf.iloc[[i]], probs)
        sid = ids[i]
        if counts[sid] > 1:
            seen[sid] = seen.get(sid, 0) + 1
            sid = f"{sid}-T{seen[sid]}"
        if sub is None:
            geom = subs_gdf.geometry.iloc[i]
            sub = None
            xy = (geom.x, geom.y) if geom is not None and geom.geom_type == "Point" else None
        else:
            sub["substation_id"] = sid
            xy = (sub["x"], sub["y"])
        subs.append({"name": sid, "parsed": sub, "xy": xy})
        sub_problems.append(probs)

    # lines and customers, parsed once for the whole area (problems attributed below)
    parse_problems: list[Problem] = []
    parsed_lines = _parse_lines(lines_gdf, parse_problems)
    parsed_customers = _parse_customers(cust_gdf, parse_problems) if cust_gdf is not None else []
    raw_ids = [str(v) for v in lines_gdf.line_id]
    raw_geoms = [_line_geometry(g) for g in lines_gdf.geometry]
    with_xy = [s for s in subs if s["xy"] is not None]
    tol = float(opts["snap_tolerance_m"])
    line_label, sub_label = _components(raw_geoms, [s["xy"] for s in with_xy], tol)
    label_of_line = dict(zip(raw_ids, line_label.tolist(), strict=True))
    # customers: the group of the nearest line within max_service_m
    label_of_customer: dict[str, int] = {}
    if cust_gdf is not None and len(cust_gdf):
        valid = [(i, g) for i, g in enumerate(raw_geoms) if g is not None]
        tree = STRtree([g for _, g in valid]) if valid else None
        cids = (
            cust_gdf["customer_id"].astype(str).tolist()
            if "customer_id" in cust_gdf.columns
            else [f"<row {i}>" for i in range(len(cust_gdf))]
        )
        for cid, geom in zip(cids, cust_gdf.geometry, strict=True):
            if tree is None or geom is None or geom.geom_type != "Point":
                continue
            near = tree.query_nearest(geom, max_distance=float(opts["max_service_m"]))
            if len(near):
                label_of_customer[cid] = int(line_label[valid[int(near[0])][0]])
    # groups -> substations
    subs_in: dict[int, list[int]] = {}
    for k, lab in enumerate(sub_label.tolist()):
        subs_in.setdefault(lab, []).append(k)
    feeder_of_label: dict[int, str] = {}
    for lab, ks in subs_in.items():
        if len(ks) == 1:
            feeder_of_label[lab] = with_xy[ks[0]]["name"]
    parts_problems: dict[str, list[Problem]] = {
        s["name"]: list(p) for s, p in zip(subs, sub_problems, strict=True)
    }
    for lab, ks in subs_in.items():
        if len(ks) < 2:
            continue
        names = [with_xy[k]["name"] for k in ks]
        link = sorted(i for i, lab_i in label_of_line.items() if lab_i == lab)
        for k in ks:
            others = [n for n in names if n != with_xy[k]["name"]]
            parts_problems[with_xy[k]["name"]].append(
                Problem(
                    ERROR,
                    "loop",
                    f"its lines connect to substation(s) {', '.join(others)}: a link between "
                    "substations must be open (gridv2x studies radial feeders); delete or cut "
                    "the link cable at its open point",
                    tuple(link[:20]),
                    "lines",
                )
            )
    # attribute per-feature parse problems to the feeders they belong to
    for p in parse_problems:
        labels = label_of_line if p.layer == "lines" else label_of_customer
        by_feeder: dict[str | None, list[str]] = {}
        for fid in p.ids:
            lab = labels.get(fid)
            by_feeder.setdefault(feeder_of_label.get(lab) if lab is not None else None, []).append(
                fid
            )
        if not p.ids:
            area_problems.append(p)
        for name, fids in by_feeder.items():
            q = Problem(p.severity, p.code, p.message, tuple(fids), p.layer)
            (area_problems if name is None else parts_problems[name]).append(q)
    # features of no feeder
    unfed_lines = sorted(
        lid
        for lid, lab in label_of_line.items()
        if lab not in feeder_of_label and lab not in subs_in
    )
    if unfed_lines:
        area_problems.append(
            Problem(
                ERROR,
                "not_fed",
                f"{len(unfed_lines)} line(s) connect to no substation point (within the snap "
                f"tolerance {tol} m); connect them or delete them",
                tuple(unfed_lines),
                "lines",
            )
        )
    if cust_gdf is not None and len(cust_gdf):
        lost = sorted(
            c
            for c in (str(v) for v in cust_gdf.get("customer_id", []))
            if c not in label_of_customer
            or (label_of_customer[c] not in feeder_of_label and label_of_customer[c] not in subs_in)
        )
        if lost:
            area_problems.append(
                Problem(
                    ERROR,
                    "customer_too_far",
                    f"{len(lost)} customer(s) fed from no substation (no line within "
                    f"max_service_m = {opts['max_service_m']:g} m, or only lines fed from none)",
                    tuple(lost),
                    "customers",
                )
            )
    parts: dict[str, _Part] = {}
    for s in subs:
        name = s["name"]
        lab = None
        if s["xy"] is not None:
            lab = int(sub_label[[x["name"] for x in with_xy].index(name)])
        lines = [ln for ln in parsed_lines if label_of_line.get(ln["line_id"]) == lab]
        customers = [c for c in parsed_customers if label_of_customer.get(c["customer_id"]) == lab]
        parsed = _Parsed(substation=s["parsed"], lines=lines, customers=customers)
        parts[name] = _Part(parsed, parts_problems[name])
        if s["xy"] is not None:
            check.positions[name] = (float(s["xy"][0]), float(s["xy"][1]))
        if s["parsed"] is not None and not lines:
            parts_problems[name].append(
                Problem(
                    ERROR,
                    "not_fed",
                    f"no line starts at the substation point (snap tolerance {tol} m); move the "
                    "point onto the start of its feeder cables",
                    (name,),
                    "substation",
                )
            )
        elif s["parsed"] is not None:
            topo = _build_topology(
                parsed,
                parts_problems[name],
                snap_tolerance_m=tol,
                max_service_m=opts["max_service_m"],
                gap_search_m=opts["gap_search_m"],
            )
            parts[name].topology = topo
        check.feeders[name] = parts_problems[name]
    check.area = area_problems
    area = _Area(check, parts, opts)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = area
    return area


def _prepare(path, mapping, options) -> tuple[Path, Mapping, dict]:
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"area: {str(path)!r} does not exist (give a .gpkg file, or a folder of .geojson or "
            ".shp layers)"
        )
    opts = _options({k: v for k, v in options.items() if k not in ("strict", "name")})
    opts.pop("strict", None)
    opts.pop("name", None)
    return path, read_mapping(mapping), opts


def check_area(
    path: str | os.PathLike, mapping: str | os.PathLike | dict | Mapping | None = None, **options
) -> AreaCheck:
    """Every problem of an area file, per substation, without building the feeders.

    Parameters
    ----------
    path : path
        GeoPackage, or folder of GeoJSON or shapefile layers, holding many substations.
    mapping : path, dict or Mapping, optional
        Their layer, attribute and code names (:mod:`gridv2x.network.mapping`).
    **options
        ``snap_tolerance_m`` [m], ``max_service_m`` [m], ``gap_search_m`` [m],
        ``service_cable`` (:data:`gridv2x.network.gis.GIS_OPTIONS`).

    Returns
    -------
    AreaCheck
    """
    path, mp, opts = _prepare(path, mapping, options)
    return _analyse_area(path, mp, opts).check


def area_substations(
    path: str | os.PathLike, mapping: str | os.PathLike | dict | Mapping | None = None
) -> list[str]:
    """Feeder names (substation ids) of an area file, reading only its substation layer."""
    mp = read_mapping(mapping)
    path = Path(path)
    if path.is_file() and path.suffix.lower() in (".gpkg",):
        try:
            gdf = gpd.read_file(path, layer=mp.layer_name("substation"))
        except Exception:  # a layer name in another case: the full reader handles it
            return list(check_area(path, mp).feeders)
        gdf, _ = mp.apply("substation", gdf)
        ids = [str(v) for v in gdf.get("substation_id", [])]
        counts = {i: ids.count(i) for i in set(ids)}
        seen: dict[str, int] = {}
        out = []
        for sid in ids:
            if counts[sid] > 1:
                seen[sid] = seen.get(sid, 0) + 1
                sid = f"{sid}-T{seen[sid]}"
            out.append(sid)
        return out
    return list(check_area(path, mp).feeders)


def read_area(
    path: str | os.PathLike,
    mapping: str | os.PathLike | dict | Mapping | None = None,
    *,
    select: list[str] | None = None,
    strict: bool = True,
    **options,
) -> dict[str, Feeder]:
    """Read an area export into one :class:`Feeder` per substation (module docstring).

    Parameters
    ----------
    path : path
        GeoPackage, or folder of GeoJSON or shapefile layers, with many substations.
    mapping : path, dict or Mapping, optional
        Their layer, attribute and code names (:mod:`gridv2x.network.mapping`).
    select : list of str, optional
        Only these substations (feeder names); default all.
    strict : bool
        True (default): any error of a selected feeder raises one InputError listing every
        problem per substation. False: the feeders without errors are read; the others are
        left out and listed in one warning.
    **options
        ``snap_tolerance_m`` [m], ``max_service_m`` [m], ``gap_search_m`` [m],
        ``service_cable``, as for :func:`gridv2x.network.gis.read_gis`.

    Returns
    -------
    dict
        Feeder name (substation id) -> Feeder, in the order of the substation layer.

    Raises
    ------
    gridv2x.errors.InputError
        Missing file, malformed mapping, unknown names in ``select``, or (strict) any error.
    """
    path, mp, opts = _prepare(path, mapping, options)
    area = _analyse_area(path, mp, opts)
    names = _selected(area.check, select, path)
    bad = {n: area.check.excluded[n] for n in names if n in area.check.excluded}
    if bad and strict:
        lines = [f"area {path}: {len(bad)} of {len(names)} substation(s) have errors"]
        if area.check.area:
            lines.append(format_problems(area.check.area, "  area (no substation)"))
        lines += [format_problems(area.check.feeders[n], f"  {n}") for n in bad]
        raise InputError("\n".join(lines))
    out = {}
    for name in names:
        if name in bad:
            continue
        out[name] = _build(area, name, path)
    if bad:
        warnings.warn(
            f"area {path}: {len(bad)} substation(s) left out for errors: "
            + "; ".join(f"{n}: {text}" for n, text in bad.items()),
            UserWarning,
            stacklevel=2,
        )
    return out


def read_area_feeder(
    path: str | os.PathLike,
    substation: str,
    mapping: str | os.PathLike | dict | Mapping | None = None,
    **options,
) -> Feeder:
    """One substation's feeder of an area file (the area is analysed once per process).

    Raises InputError naming the substation's problems if it has errors.
    """
    path, mp, opts = _prepare(path, mapping, options)
    area = _analyse_area(path, mp, opts)
    _selected(area.check, [substation], path)
    if substation in area.check.excluded:
        raise InputError(
            format_problems(area.check.feeders[substation], f"area {path} {substation}")
        )
    return _build(area, substation, path)


def _selected(check: AreaCheck, select: list[str] | None, path: Path) -> list[str]:
    names = list(check.feeders)
    if select is None:
        return names
    if isinstance(select, str) or not isinstance(select, list | tuple):
        raise InputError(f"area {path}: select must be a list of substation ids, given {select!r}")
    unknown = [str(s) for s in select if str(s) not in check.feeders]
    if unknown:
        raise InputError(
            f"area {path}: select names unknown substation(s) {unknown[:10]}; the file has "
            f"{names[:10]}{' ...' if len(names) > 10 else ''}"
        )
    return [str(s) for s in select]


def _build(area: _Area, name: str, path: Path) -> Feeder:
    part = area.parts[name]
    opts = {**area.opts, "name": name}
    feeder = build_from_topology(
        part.parsed, part.topology, opts, f"area {path} {name}", path.name, name
    )
    feeder.description = (
        f"substation {name} of {path.name}: " + feeder.description.split(": ", 1)[-1]
    )
    return feeder


# --------------------------------------------------------------------------------------------
# scenario entries

AREA_ENTRY_KEYS = ("area", "mapping", "select", "substation", "options", "name", "excluded")
"""Keys of a scenario ``networks`` entry of kind ``area``."""


def resolve_mapping(mapping: Any, base_dir: Path | None) -> tuple[str | None, Any]:
    """A scenario's ``mapping`` (file path made absolute, or a dict) and its error, if any."""
    if isinstance(mapping, str):
        mfile = Path(mapping).expanduser()
        if not mfile.is_absolute() and base_dir is not None:
            mfile = base_dir / mfile
        mapping = str(mfile.resolve()) if mfile.is_file() else str(mfile)
    try:
        read_mapping(mapping)
    except InputError as exc:
        return str(exc), mapping
    return None, mapping


def scenario_entries(entry: dict, path: str, base_dir: Path | None) -> tuple[list, list[dict]]:
    """Expand a scenario ``networks`` entry ``{area: PATH, mapping:, select:, options:}``.

    Each substation becomes one entry ``{area, substation, mapping, options, name}`` named by
    its substation id. With ``options.strict`` false, substations with errors become entries
    with ``excluded`` (the errors as text): they are listed, not studied. An entry that
    already names one ``substation`` is kept as it is (a resolved scenario validates again).

    Returns
    -------
    errors : list of ValidationError
    entries : list of dict
    """
    from gridv2x.options import ValidationError

    errors: list = []
    file = Path(str(entry["area"])).expanduser()
    if not file.is_absolute() and base_dir is not None:
        file = base_dir / file
    if not file.exists():
        return [ValidationError(f"{path}.area", f"file not found: {file}", entry["area"])], []
    mapping_error, mapping = resolve_mapping(entry.get("mapping"), base_dir)
    if mapping_error:
        return [ValidationError(f"{path}.mapping", mapping_error, entry.get("mapping"))], []
    options = entry.get("options") or {}
    if not isinstance(options, dict):
        return [ValidationError(f"{path}.options", "must be a mapping", options)], []
    base = {"area": str(file.resolve()), "options": dict(options)}
    if mapping is not None:
        base["mapping"] = mapping
    if "substation" in entry:
        if "select" in entry:
            errors.append(
                ValidationError(f"{path}.select", "give either substation or select, not both")
            )
        out = {**base, "substation": str(entry["substation"])}
        out["name"] = str(entry.get("name") or entry["substation"])
        if entry.get("excluded"):
            out["excluded"] = str(entry["excluded"])
        return errors, [out]
    if "name" in entry:
        errors.append(
            ValidationError(
                f"{path}.name",
                "an area entry is named by its substation ids; use name only with substation",
                entry["name"],
            )
        )
    strict = bool(options.get("strict", True))
    try:
        check = check_area(file, mapping, **{k: v for k, v in options.items() if k != "strict"})
        names = _selected(check, entry.get("select"), file)
    except InputError as exc:
        key = "select" if "select" in str(exc).split(":", 2)[-1][:30] else "area"
        return [ValidationError(f"{path}.{key}", str(exc), entry.get(key))], []
    bad = {n: check.excluded[n] for n in names if n in check.excluded}
    if bad and strict:
        lines = [
            f"{len(bad)} of {len(names)} substation(s) have errors (options.strict: false "
            "studies the others and lists these)"
        ]
        lines += [format_problems(check.feeders[n], f"  {n}") for n in bad]
        errors.append(ValidationError(f"{path}.area", "\n".join(lines), entry["area"]))
        return errors, []
    entries = []
    for name in names:
        item = {**base, "substation": name, "name": name}
        if name in bad:
            item["excluded"] = bad[name]
        entries.append(item)
    return errors, entries
