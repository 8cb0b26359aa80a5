"""Networks: the :class:`Feeder`, Swedish reference feeders, readers and design checks.

Public API
----------
Feeder, feeder_geojson
read_builtin(name), list_builtin()
read_gis(path, mapping, **options), check_gis(path, mapping, **options), write_gis(feeder, path)
read_area(path, mapping, select=, strict=, **options), check_area(path, mapping, **options)
read_pandapower_json(path), write_pandapower_json(feeder, path)
read_simbench(code), profiles_for_index(profile, index)
read_network(entry, base_dir)
build_feeder(name, branches, ...), design_check(feeder), loop_impedance_ohm(net)
"""

from gridv2x.network.area import check_area, read_area
from gridv2x.network.builder import AREA_TYPES, build_area_feeder, build_feeder
from gridv2x.network.builtin import list_builtin, read_builtin
from gridv2x.network.catalogue import CABLES, TRANSFORMERS, cable, main_fuse_a, transformer
from gridv2x.network.checks import Problem, check_feeder
from gridv2x.network.design import (
    DesignReport,
    design_check,
    design_loads_kw,
    group_design_peak_kw,
    loop_impedance_ohm,
    velander_kw,
)
from gridv2x.network.feeder import Feeder, feeder_geojson
from gridv2x.network.gis import check_gis, read_gis, write_gis
from gridv2x.network.readers import (
    FILE_KINDS,
    NETWORK_KINDS,
    network_kind,
    profiles_for_index,
    read_network,
    read_pandapower_json,
    read_simbench,
    write_pandapower_json,
)

__all__ = [
    "AREA_TYPES",
    "FILE_KINDS",
    "NETWORK_KINDS",
    "network_kind",
    "CABLES",
    "TRANSFORMERS",
    "DesignReport",
    "Feeder",
    "Problem",
    "check_feeder",
    "check_area",
    "check_gis",
    "read_area",
    "read_gis",
    "write_gis",
    "build_feeder",
    "build_area_feeder",
    "cable",
    "design_check",
    "design_loads_kw",
    "feeder_geojson",
    "group_design_peak_kw",
    "list_builtin",
    "loop_impedance_ohm",
    "main_fuse_a",
    "profiles_for_index",
    "read_builtin",
    "read_network",
    "read_pandapower_json",
    "read_simbench",
    "transformer",
    "velander_kw",
    "write_pandapower_json",
]
