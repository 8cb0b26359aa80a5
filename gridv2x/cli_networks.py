"""``gridv2x networks``: list, show, check and export feeders.

The integrator adds the group to the main CLI with ``main.add_command(networks)``. Bad input
(an unknown feeder, a broken GIS file) gives a clear message on stderr and exit code 2, no
traceback.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from gridv2x.errors import InputError, exit_on_input_error

__all__ = ["networks", "load_any"]


def load_any(source: str, **gis_options):
    """A Feeder from a builtin name, a SimBench LV code, a .json (pandapower), a .gpkg file or a
    folder of GeoJSON layers."""
    from gridv2x.network import read_builtin, read_gis, read_pandapower_json, read_simbench
    from gridv2x.network.builtin import list_builtin

    path = Path(source)
    if path.exists():
        if path.is_dir() or path.suffix.lower() == ".gpkg":
            return read_gis(path, **gis_options)
        if path.suffix.lower() == ".geojson":
            return read_gis(path.parent, **gis_options)
        if path.suffix.lower() == ".json":
            return read_pandapower_json(path)
        if path.suffix.lower() in (".zip", ".xml"):
            from gridv2x.network.cgmes import read_cgmes

            return read_cgmes(path)
        raise InputError(
            f"{source!r}: unknown file type {path.suffix!r}; allowed: .gpkg, a folder of "
            ".geojson or .shp layers, .json (pandapower), .zip / .xml (CGMES)"
        )
    if "-LV-" in source:
        return read_simbench(source)
    if source in list_builtin() or not any(c in source for c in "/\\."):
        return read_builtin(source)
    raise InputError(f"{source!r} does not exist (a file, a folder or a builtin feeder name)")


@click.group("networks")
def networks() -> None:
    """Swedish reference feeders and your own networks (GIS, pandapower, SimBench)."""


@networks.command("list")
@exit_on_input_error
def list_command() -> None:
    """One built-in feeder per line: name, then a short description."""
    from gridv2x.network import list_builtin

    items = list_builtin()
    width = max(len(n) for n in items)
    for name, description in items.items():
        click.echo(f"{name:<{width}}  {description}")


@networks.command("show")
@click.argument("name")
@click.option("--design/--no-design", default=True, help="Run the design checks too.")
@exit_on_input_error
def show_command(name: str, design: bool) -> None:
    """Summary of feeder NAME (builtin name, SimBench code, .json, .gpkg or GeoJSON folder)."""
    from gridv2x.network import design_check

    feeder = load_any(name, strict=False) if Path(name).exists() else load_any(name)
    net = feeder.net
    info = feeder.summary()
    click.echo(f"{feeder.name}: {feeder.description}")
    click.echo(
        f"  transformer {feeder.transformer_sn_kva:g} kVA "
        f"(vk {net.trafo.vk_percent.iloc[0]:g} %, vkr {net.trafo.vkr_percent.iloc[0]:g} %), "
        f"slack {net.ext_grid.vm_pu.iloc[0]:g} pu"
    )
    click.echo(
        f"  {info['n_buses']} buses, {info['n_lines']} lines, {info['length_km']:.2f} km, "
        f"{info['n_customers']} customers, CRS {feeder.crs}"
    )
    for cable_type, length in info["cable_km"].items():
        click.echo(f"    {cable_type:<16} {length * 1000:8.0f} m")
    for col in ("dwelling", "heating", "fuse_a"):
        click.echo(f"  {col}: " + ", ".join(f"{k}: {v}" for k, v in info[col].items()))
    phases = feeder.customers.phases.value_counts().sort_index()
    click.echo("  phases: " + ", ".join(f"{k}: {v}" for k, v in phases.items()))
    click.echo(
        f"  annual use {info['annual_mwh']:.0f} MWh, Velander design peak "
        f"{info['design_peak_kw']:.0f} kW"
    )
    if design:
        click.echo("  design check: " + str(design_check(feeder)).replace("\n", "\n  "))


@networks.command("check")
@click.argument("path")
@click.option("--snap-tolerance-m", type=float, default=1.0, show_default=True)
@click.option("--max-service-m", type=float, default=100.0, show_default=True)
@click.option("--gap-search-m", type=float, default=20.0, show_default=True)
@click.option(
    "--strict/--warn",
    default=True,
    help="--strict (default): exit 2 if any error; --warn: report, exit 0.",
)
@click.option("--design/--no-design", default=True, help="Also run the design checks.")
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False),
    default=None,
    help="YAML mapping of your layer, attribute and code names (networks/mapping-sv.yaml).",
)
@click.option(
    "--area/--single",
    "area",
    default=None,
    help="Check a file of many substations per substation [default: when the substation "
    "layer holds more than one point].",
)
@exit_on_input_error
def check_command(
    path: str,
    snap_tolerance_m: float,
    max_service_m: float,
    gap_search_m: float,
    strict: bool,
    design: bool,
    mapping: str | None,
    area: bool | None,
) -> None:
    """Check a network (GIS .gpkg / GeoJSON or shapefile folder, pandapower .json, or a
    builtin name); a GIS file of many substations is checked per substation.

    Reports every problem at once, naming the features and how to fix them.
    """
    from gridv2x.network import check_feeder, check_gis, design_check
    from gridv2x.network.checks import ERROR, WARNING, Problem, format_problems
    from gridv2x.network.mapping import read_mapping

    mp = read_mapping(mapping)  # a malformed mapping stops here (exit 2, naming the key)
    p = Path(path)
    is_gis = p.exists() and (p.is_dir() or p.suffix.lower() in (".gpkg", ".geojson", ".shp"))
    feeder = None
    options = {
        "snap_tolerance_m": snap_tolerance_m,
        "max_service_m": max_service_m,
        "gap_search_m": gap_search_m,
    }
    if is_gis:
        target = p.parent if p.suffix.lower() in (".geojson", ".shp") else p
        if area is None:
            from gridv2x.network.area import area_substations

            area = len(area_substations(target, mp)) > 1
        if area:
            _check_area(target, mp, options, strict)
            return
        problems = check_gis(target, mp, **options)
        if not any(pr.is_error for pr in problems):
            # the feeder as `validate` and `run` build it, checked as they check it; its
            # reader's warnings are the problems listed above, so they are not issued again
            from gridv2x.network import read_gis

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                feeder = read_gis(target, mp, strict=False, **options)
            problems += check_feeder(feeder)
    else:
        feeder = load_any(path)
        problems = check_feeder(feeder)
    if design and feeder is not None and not any(pr.is_error for pr in problems):
        report = design_check(feeder)
        for failure in report.failures:
            problems.append(Problem(WARNING, "design", failure, layer="design"))
    text = format_problems(problems, path)
    n_errors = sum(pr.severity == ERROR for pr in problems)
    if n_errors and strict:
        click.echo(text, err=True)
        sys.exit(2)
    click.echo(text if problems else f"{path}: no problems found")


def _check_area(target: Path, mapping, gis_options: dict, strict: bool) -> None:
    """Per-substation problems of an area file; exit 2 with --strict if any is an error."""
    from gridv2x.network.area import check_area

    check = check_area(target, mapping, **gis_options)
    text = check.text()
    has_errors = bool(check.excluded) or any(p.is_error for p in check.area)
    if has_errors and strict:
        click.echo(text, err=True)
        sys.exit(2)
    click.echo(text)


@networks.command("synthesize")
@click.option("--feeders", type=click.IntRange(min=1), required=True, help="Substations.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(),
    required=True,
    help="Output .gpkg (or a folder of GeoJSON); the mapping is written next to it.",
)
@exit_on_input_error
def synthesize_command(feeders: int, seed: int, out: str) -> None:
    """Write a synthetic Swedish municipality of FEEDERS substations as a NIS-like export.

    Swedish layer and attribute names (networks/mapping-sv.yaml, copied next to the output
    as <name>-mapping.yaml); read it with `networks check OUT --mapping ...` or a scenario
    entry `{area: OUT, mapping: ...}`.
    """
    import shutil

    from gridv2x.network.synthesize import SWEDISH_MAPPING, synthesize_area, write_area

    target = write_area(synthesize_area(feeders, seed), out)
    mapping = target.with_name(f"{target.stem}-mapping.yaml")
    shutil.copyfile(SWEDISH_MAPPING, mapping)
    click.echo(f"{target}\n{mapping}")


@networks.command("export")
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pandapower", "gpkg", "geojson"]),
    default="gpkg",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Output file or folder (default NAME.json / NAME.gpkg / folder NAME-geojson).",
)
@exit_on_input_error
def export_command(name: str, fmt: str, out: str | None) -> None:
    """Export feeder NAME as pandapower JSON, GeoPackage or a GeoJSON folder."""
    from gridv2x.network import write_gis, write_pandapower_json

    feeder = load_any(name)
    from gridv2x.execution.outfolder import file_name

    stem = file_name(feeder.name)  # a feeder name (a GIS substation id) is never a path
    if fmt == "pandapower":
        target = write_pandapower_json(feeder, out or f"{stem}.json")
    elif fmt == "gpkg":
        target = write_gis(feeder, out or f"{stem}.gpkg")
    else:
        target = write_gis(feeder, out or f"{stem}-geojson")
    click.echo(str(target))
