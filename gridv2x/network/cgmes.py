"""An LV network from CIM/CGMES files, through pandapower's converter.

A DSO that exchanges its network as CGMES (IEC 61970-552, version 2.4.15: the EQ, SSH and TP
profiles, as XML files or one zip) can give the LV part of one secondary substation:
pandapower's ``cim2pp.from_cim`` converts it (``ExternalNetworkInjection`` -> ext_grid,
``PowerTransformer`` -> trafo, ``ACLineSegment`` -> line, ``EnergyConsumer`` /
``ConformLoad`` / ``NonConformLoad`` -> load), and :func:`read_cgmes` makes a
:class:`~gridv2x.network.feeder.Feeder` of it: one customer per load, as for a pandapower file
(annual use from the load's p by inverse Velander, dwelling villa; the loads are then set to
the 0 MW placeholder). CGMES carries geography only in its optional GL profile; without it
the buses get *schematic* coordinates (each bus placed at its cable distance from the
substation, branches side by side), which the description says.

Checked against pandapower itself: the converted network's load flow is compared with the
same network built directly in pandapower (``tests/network/test_cgmes.py``).
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

import networkx as nx
import pandapower as pp

from gridv2x.errors import InputError
from gridv2x.network.feeder import Feeder, bus_xy
from gridv2x.network.readers import _customers_from_loads, _lv_side_check, _zero_loads

__all__ = ["read_cgmes", "SCHEMATIC_BRANCH_SPACING_M"]

SCHEMATIC_BRANCH_SPACING_M = 25.0
"""Distance between branches in the schematic layout of a network without geography [m]."""
_ORIGIN = (500_000.0, 6_500_000.0)  # SWEREF 99 TM point the schematic is drawn from


def _files(path: Path) -> list[str]:
    if path.is_dir():
        files = sorted(str(f) for f in path.iterdir() if f.suffix.lower() in (".xml", ".zip"))
    else:
        files = [str(path)]
    if not files:
        raise InputError(f"cgmes: {path} holds no .xml or .zip files")
    return files


def _schematic(net: pp.pandapowerNet, root: int) -> None:
    """Give buses without coordinates a tree layout: x = cable distance from the substation
    [m], one row per branch."""
    graph = nx.Graph()
    graph.add_nodes_from(net.bus.index)
    for _, ln in net.line.iterrows():
        graph.add_edge(int(ln.from_bus), int(ln.to_bus), m=float(ln.length_km) * 1000.0)
    for _, tr in net.trafo.iterrows():
        graph.add_edge(int(tr.hv_bus), int(tr.lv_bus), m=0.0)
    dist = nx.single_source_dijkstra_path_length(graph, root, weight="m")
    tree = nx.bfs_tree(graph, root)
    row: dict[int, int] = {root: 0}
    next_row = 0
    for parent in nx.dfs_preorder_nodes(tree, root):
        for k, child in enumerate(tree.successors(parent)):
            if k == 0:
                row[child] = row[parent]
            else:
                next_row += 1
                row[child] = next_row
    geo = []
    for b in net.bus.index:
        x = _ORIGIN[0] + dist.get(b, 0.0)
        y = _ORIGIN[1] - SCHEMATIC_BRANCH_SPACING_M * row.get(b, 0)
        geo.append(json.dumps({"type": "Point", "coordinates": [x, y]}))
    net.bus["geo"] = geo


def read_cgmes(path: str | os.PathLike, *, name: str | None = None) -> Feeder:
    """Read one secondary substation's LV network from CGMES files (module docstring).

    Parameters
    ----------
    path : path
        A CGMES zip, one XML file, or a folder of the profile files (EQ, SSH, TP; SV and GL
        optional).
    name : str, optional
        Feeder name (default: the substation's name in the model, else the file stem).

    Returns
    -------
    Feeder

    Raises
    ------
    gridv2x.errors.InputError
        Missing file, a model pandapower cannot convert, or a network without transformer,
        slack or loads.
    """
    from pandapower.converter.cim.cim2pp.from_cim import from_cim

    path = Path(path)
    if not path.exists():
        raise InputError(f"cgmes: {path} does not exist (a .zip, an .xml or a folder of them)")
    logging.getLogger("pandapower.converter.cim").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():  # the converter's pandas deprecation warnings
            warnings.simplefilter("ignore", FutureWarning)
            net = from_cim(file_list=_files(path), ignore_errors=False, create_tap_controller=False)
    except Exception as exc:  # the converter raises many kinds
        raise InputError(f"cgmes: pandapower cannot convert {path}: {exc}") from None
    source = f"cgmes {path}"
    _lv_side_check(net, source)
    lv = net.trafo.lv_bus.astype(int)
    if len(net.trafo) != 1 or float(net.bus.vn_kv[lv].max()) >= 1.0:
        raise InputError(
            f"{source}: gridv2x studies one secondary substation (one transformer to LV, "
            f"< 1 kV); the model has {len(net.trafo)} transformer(s) with LV sides "
            f"{sorted(set(net.bus.vn_kv[lv].round(3)))} kV"
        )
    schematic = bus_xy(net)[["x", "y"]].isna().any(axis=None)
    if schematic:
        _schematic(net, int(lv.iloc[0]))
    for col in ("geo",):
        if col in net.line.columns:
            net.line[col] = None
    customers = _customers_from_loads(net)
    _zero_loads(net)
    if not (net.line.max_i_ka > 0).all():
        bad = net.line.name[~(net.line.max_i_ka > 0)].tolist()
        raise InputError(
            f"{source}: line(s) {bad[:10]} have no current limit; give each ACLineSegment an "
            "OperationalLimitSet with a PATL CurrentLimit"
        )
    substation = str(net.trafo.name.iloc[0] or path.stem).split(" ")[0]
    return Feeder(
        name=name or substation,
        net=net,
        customers=customers,
        description=f"from CGMES {path.name}: {len(customers)} customers, "
        f"{float(net.trafo.sn_mva.iloc[0]) * 1000:g} kVA"
        + (" (schematic coordinates: the model has no geography)" if schematic else ""),
        crs="EPSG:3006",
    )
