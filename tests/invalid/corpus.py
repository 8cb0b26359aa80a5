"""A corpus of invalid scenarios and input files (issue 13, items 4, 5 and 8).

Each case is built in a test's folder by :func:`build`: it writes ``bad.yaml`` (a short real
study that would run if the case's defect were removed) and whatever input file the case
breaks, and returns the text the refusal must name (a key path, a file, an element).
Built in the test rather than stored, so each file is exactly the defect and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

FEEDER = "se-rural-cable"
START = "2030-01-14"
DAYS = 3


def scenario_text(extra: str = "", networks: str | None = None, name: str = "bad") -> str:
    """A short compare study on a small built-in feeder with ``extra`` YAML appended."""
    networks = networks or f"[{{builtin: {FEEDER}}}]"
    return (
        f"name: {name}\n"
        "study: {kind: compare, seeds: 1}\n"
        f"period: {{start: {START}, days: {DAYS}}}\n"
        f"networks: {networks}\n"
        + ("" if extra.startswith("charging:") else "charging: {strategies: [uncontrolled]}\n")
        + extra
    )


def _times(freq: str = "1h", start: str = START, days: int = DAYS + 2) -> pd.DatetimeIndex:
    return pd.date_range(
        pd.Timestamp(start, tz="Europe/Stockholm") - pd.Timedelta("1D"),
        periods=int(pd.Timedelta(f"{days}D") / pd.Timedelta(freq)),
        freq=freq,
    )


def _temperature(folder: Path, values=None, times=None) -> str:
    times = _times() if times is None else times
    values = np.full(len(times), -3.0) if values is None else values
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M%z"), "temperature_c": values})
    frame.to_csv(folder / "temperature.csv", index=False)
    return "climate: {temperature_file: temperature.csv}\n"


def _prices(folder: Path, times) -> str:
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M%z"), "price_sek_per_kwh": 0.5})
    frame.to_csv(folder / "prices.csv", index=False)
    return (
        "charging: {strategies: [uncontrolled, v1g], v1g: {objective: price}, "
        "price_file: prices.csv}\n"
    )


def _customers() -> list[str]:
    from gridv2x.network import read_builtin

    return [str(c) for c in read_builtin(FEEDER).customers.customer_id]


def _meters(folder: Path, value: float = 0.5, rows: bool = True) -> str:
    times = _times()
    ids = _customers()
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M%z")})
    for cid in ids:
        frame[cid] = value
    if not rows:
        frame = frame.iloc[:0]
    frame.to_csv(folder / "meters.csv", index=False)
    return "demand: {model: metered, metered_file: meters.csv}\n"


def _areas(folder: Path, *, share=0.1, crs="EPSG:3006", points=False) -> str:
    import geopandas as gpd
    from shapely.geometry import Point, box

    from gridv2x.network import read_builtin

    c = read_builtin(FEEDER).customers
    x0, y0, x1, y1 = c.x.min() - 500, c.y.min() - 500, c.x.max() + 500, c.y.max() + 500
    geometry = [Point(x0, y0)] if points else [box(x0, y0, x1, y1)]
    layer = gpd.GeoDataFrame({"area_id": ["a"], "bev_share": [share]}, geometry=geometry)
    if crs is not None:
        layer = layer.set_crs(crs)
    layer.to_file(folder / "areas.gpkg", driver="GPKG")
    return "adoption: {areas: areas.gpkg, year: 2023}\n"


def _pandapower(folder: Path, change: Callable) -> str:
    import pandapower as pp

    from gridv2x.network import read_builtin, write_pandapower_json

    feeder = read_builtin(FEEDER)
    path = write_pandapower_json(feeder, folder / "feeder.json")
    net = pp.from_json(str(path))
    change(net)
    pp.to_json(net, str(path))
    return scenario_text(networks="[{pandapower_json: feeder.json}]")


def _gis(folder: Path, change: Callable, layer: str) -> str:
    import geopandas as gpd

    from gridv2x.network import read_builtin, write_gis

    path = write_gis(read_builtin(FEEDER), folder / "feeder.gpkg")
    layers = {
        name: gpd.read_file(path, layer=name) for name in ("substation", "lines", "customers")
    }
    layers[layer] = change(layers[layer])
    path.unlink()
    for name, gdf in layers.items():
        gdf.to_file(path, layer=name, driver="GPKG")
    return scenario_text(networks="[{gis: feeder.gpkg}]")


def _point_at(value: float):
    from shapely.geometry import Point

    def change(gdf):
        geometry = list(gdf.geometry)
        geometry[0] = Point(value, value)
        return gdf.set_geometry(geometry, crs=gdf.crs)

    return change


def _vertex_at_inf(gdf):
    from shapely.geometry import LineString

    geometry = list(gdf.geometry)
    coords = list(geometry[3].coords)
    coords.insert(1, (np.inf, coords[0][1]))
    geometry[3] = LineString(coords)
    return gdf.set_geometry(geometry, crs=gdf.crs)


def _relabel(crs: str):
    def change(gdf):
        return gdf.set_crs(crs, allow_override=True)

    return change


def _self_loop(net):
    net.line.loc[net.line.index[3], "to_bus"] = net.line.at[net.line.index[3], "from_bus"]


def _no_rating(net):
    net.line.loc[net.line.index[2], "max_i_ka"] = 0.0


def _negative_r(net):
    net.line.loc[net.line.index[1], "r_ohm_per_km"] = -0.2


def _negative_x(net):
    net.line.loc[net.line.index[1], "x_ohm_per_km"] = -0.08


def _deep(folder: Path) -> str:
    return "name: deep\nadoption: " + "[" * 5000 + "]" * 5000 + "\n"


def _bomb(folder: Path) -> str:
    lines = ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _gappy_temperature(folder: Path) -> str:
    times = _times()
    keep = np.ones(len(times), bool)
    keep[30:50] = False  # 20 hours without a value inside the period
    return _temperature(folder, times=times[keep])


def _duplicated_prices(folder: Path) -> str:
    times = _times()
    return _prices(folder, times.append(times[10:11]))


CASES: dict[str, tuple[Callable[[Path], str], str]] = {
    # item 4: NaN and infinity never pass a range check
    "nan_share": (lambda f: scenario_text("adoption: {share: .nan}\n"), "adoption.share"),
    "nan_power_factor": (
        lambda f: scenario_text("demand: {power_factor: .nan}\n"),
        "demand.power_factor",
    ),
    "nan_v_min": (lambda f: scenario_text("limits: {v_min_pu: .nan}\n"), "limits.v_min_pu"),
    "nan_slack": (
        lambda f: scenario_text("powerflow: {slack_vm_pu: .nan}\n"),
        "powerflow.slack_vm_pu",
    ),
    "nan_tolerance": (
        lambda f: scenario_text("powerflow: {error_tolerance_pu: .nan}\n"),
        "powerflow.error_tolerance_pu",
    ),
    "inf_line_loading": (
        lambda f: scenario_text("limits: {line_loading_pct: .inf}\n"),
        "limits.line_loading_pct",
    ),
    "charger_cap_zero": (
        lambda f: scenario_text("charging: {strategies: [v1g], charger_cap_kw: 0}\n"),
        "charging.charger_cap_kw",
    ),
    "start_year_1": (lambda f: scenario_text().replace(START, "0001-01-01"), "period.start"),
    "start_year_1677": (lambda f: scenario_text().replace(START, "1677-09-21"), "period.start"),
    "start_year_2262": (lambda f: scenario_text().replace(START, "2262-04-10"), "period.start"),
    "start_year_9999": (lambda f: scenario_text().replace(START, "9999-12-01"), "period.start"),
    "iso_week_date": (lambda f: scenario_text().replace(START, "2030-W03-1"), "period.start"),
    "temperature_kelvin": (
        lambda f: scenario_text(_temperature(f, values=np.full(len(_times()), 270.0))),
        "climate.temperature_file",
    ),
    "temperature_gap": (lambda f: scenario_text(_gappy_temperature(f)), "climate.temperature_file"),
    "temperature_too_short": (
        lambda f: scenario_text(_temperature(f, times=_times(days=2))),
        "climate.temperature_file",
    ),
    "price_duplicated_time": (
        lambda f: scenario_text(_duplicated_prices(f)),
        "charging.price_file",
    ),
    "areas_nan_share": (lambda f: scenario_text(_areas(f, share=np.nan)), "adoption.areas"),
    "areas_no_crs": (lambda f: scenario_text(_areas(f, crs=None)), "adoption.areas"),
    "areas_points": (lambda f: scenario_text(_areas(f, points=True)), "adoption.areas"),
    "meters_inf": (lambda f: scenario_text(_meters(f, value=np.inf)), "demand.metered_file"),
    "meters_header_only": (
        lambda f: scenario_text(_meters(f, rows=False)),
        "demand.metered_file",
    ),
    # item 8 and pandapower JSON content
    "pandapower_self_loop": (lambda f: _pandapower(f, _self_loop), "TB1-04"),
    "pandapower_no_rating": (lambda f: _pandapower(f, _no_rating), "TB1-03"),
    "pandapower_negative_r": (lambda f: _pandapower(f, _negative_r), "TB1-02"),
    "pandapower_negative_x": (lambda f: _pandapower(f, _negative_x), "TB1-02"),
    "tap_out_of_range": (
        lambda f: scenario_text("powerflow: {trafo_tap_pos: 10}\n"),
        "powerflow.trafo_tap_pos",
    ),
    # GIS content
    "gis_point_nan": (lambda f: _gis(f, _point_at(np.nan), "customers"), "c001"),
    "gis_point_1e300": (lambda f: _gis(f, _point_at(1e300), "customers"), "c001"),
    "gis_vertex_inf": (lambda f: _gis(f, _vertex_at_inf, "lines"), "TB1-04"),
    "gis_sweref_labelled_3857": (
        lambda f: _gis(f, _relabel("EPSG:3857"), "customers"),
        "EPSG:3857",
    ),
    # item 5: YAML
    "yaml_deep_nesting": (_deep, "nested deeper"),
    "yaml_alias_bomb": (_bomb, "alias"),
    "yaml_duplicate_key": (
        lambda f: scenario_text("adoption: {share: 0.3}\nadoption: {share: 0.5}\n"),
        "duplicate key 'adoption'",
    ),
}
"""case -> (builder writing the case's files and returning the scenario text, text the refusal
must contain)."""


def build(case: str, folder: Path) -> tuple[Path, str]:
    """Write case ``case`` into ``folder``; return the scenario file and the expected text."""
    make, expected = CASES[case]
    path = folder / "bad.yaml"
    path.write_text(make(folder), encoding="utf-8")
    return path, expected
