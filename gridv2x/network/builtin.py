"""Built-in Swedish reference feeders.

Each built-in feeder is defined by a small JSON file in ``gridv2x/network/feeders/`` (name,
description, substation position in SWEREF 99 TM, transformer rating, seed and branches as
:func:`gridv2x.network.builder.build_feeder` takes them). The feeder is built from that
definition, deterministically, when it is read; the definitions ship inside the package.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources

from gridv2x.errors import InputError
from gridv2x.network.builder import build_feeder
from gridv2x.network.feeder import Feeder

__all__ = ["list_builtin", "read_builtin", "builtin_definition"]

_PACKAGE = "gridv2x.network"
_FOLDER = "feeders"


def _definitions() -> dict[str, dict]:
    out = {}
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            out[data["name"]] = data
    return out


def list_builtin() -> dict[str, str]:
    """Names of the built-in feeders with their one-line descriptions, sorted by name."""
    return {name: d.get("description", "") for name, d in sorted(_definitions().items())}


def builtin_definition(name: str) -> dict:
    """The JSON definition of built-in feeder ``name``."""
    defs = _definitions()
    if name not in defs:
        raise InputError(
            f"builtin feeder {name!r} does not exist; available: {', '.join(sorted(defs))}"
        )
    return copy.deepcopy(defs[name])


@lru_cache(maxsize=16)
def _build(name: str) -> Feeder:
    d = builtin_definition(name)
    return build_feeder(
        d["name"],
        d["branches"],
        origin=tuple(d["origin"]),
        transformer_kva=d.get("transformer_kva"),
        seed=int(d.get("seed", 0)),
        description=d.get("description", ""),
    )


def read_builtin(name: str) -> Feeder:
    """Build the built-in feeder ``name`` (see :func:`list_builtin`).

    Returns a fresh copy each call (the build is cached), so callers may modify it.

    Raises
    ------
    gridv2x.errors.InputError
        If no built-in feeder has that name.
    """
    if not isinstance(name, str):
        raise InputError(f"builtin feeder name must be a text, got {name!r}")
    return copy.deepcopy(_build(name))
