"""The identity of a study's results: everything a task is computed from, hashed.

A finished task is reused (on resume) only when its study fingerprint equals the current one,
and an output folder holds the results of one fingerprint (:mod:`gridv2x.execution.outfolder`).
The fingerprint is the SHA-256 of

* the resolved scenario (:meth:`gridv2x.scenario.Scenario.digest`: every key, defaults filled),
* the **content** of every input file the scenario names (GIS files and folders, pandapower
  JSON, temperature, meter, price and area files: any absolute path in the resolved scenario;
  a folder counts with every file in it),
* each feeder's definition (a built-in feeder's shipped JSON definition, the installed
  SimBench version for SimBench codes; file-based feeders through their files),
* the installed gridv2x version.

Changing any of them — one ``sn_kva`` in a GIS file, one temperature value — gives another
fingerprint, so a rerun into the same folder recomputes every task instead of reusing
results computed from the old inputs.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

__all__ = ["study_fingerprint", "input_files", "content_sha256"]

_BLOCK = 1 << 20


def content_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's files (relative names and bytes), sorted."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(item.relative_to(path)).encode("utf-8", "surrogatepass") + b"\0")
            digest.update(content_sha256(item).encode())
        return digest.hexdigest()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def input_files(data: Any, prefix: str = "") -> dict[str, str]:
    """Key path -> absolute path of every existing file or folder named in resolved scenario
    data (paths are resolved to absolute ones when the scenario is validated)."""
    found: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            found.update(input_files(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.update(input_files(value, f"{prefix}[{i}]"))
    elif isinstance(data, str) and len(data) < 4096:
        path = Path(data)
        # folders only where a folder is an input (a GIS folder of GeoJSON layers), never "/"
        if path.is_absolute() and (
            path.is_file() or (prefix.endswith(".gis") and path.is_dir() and path != path.parent)
        ):
            found[prefix] = data
    return found


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return None


def _feeder_definitions(networks: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in networks:
        name = str(entry.get("name"))
        if "builtin" in entry:
            from gridv2x.network.builtin import builtin_definition

            try:
                out[name] = builtin_definition(entry["builtin"])
            except Exception:  # noqa: BLE001 - an unknown name fails validation elsewhere
                out[name] = None
        elif "simbench" in entry:
            out[name] = {"simbench": entry["simbench"], "version": _version("simbench")}
    return out


def study_fingerprint(scenario: Any) -> tuple[str, dict[str, dict[str, str]]]:
    """The study fingerprint of ``scenario`` and the hashed input files.

    Parameters
    ----------
    scenario : gridv2x.scenario.Scenario

    Returns
    -------
    fingerprint : str
        64 hex digits.
    inputs : dict
        ``key path -> {"path", "sha256"}`` of each input file (for provenance).
    """
    data = scenario.to_dict()
    inputs = {
        key: {"path": path, "sha256": content_sha256(path)}
        for key, path in sorted(input_files(data).items())
    }
    identity = {
        "scenario": scenario.digest(),
        "inputs": {key: value["sha256"] for key, value in inputs.items()},
        "feeders": _feeder_definitions(list(scenario.networks)),
        "gridv2x": _version("gridv2x"),
    }
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest(), inputs
