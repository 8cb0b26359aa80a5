"""Scenario files: schema with shipped defaults, validation (all problems at once), loading.

>>> from gridv2x.scenario import read_scenario
>>> scenario = read_scenario("scenarios/quickstart.yaml")  # doctest: +SKIP

Names are imported lazily, so ``import gridv2x.scenario`` does not load every domain package.
The sections themselves are declared in the domain packages on :mod:`gridv2x.options`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "Scenario": "gridv2x.scenario.scenario",
    "read_scenario": "gridv2x.scenario.scenario",
    "scenario_from_dict": "gridv2x.scenario.scenario",
    "validate_file": "gridv2x.scenario.scenario",
    "write_scenario": "gridv2x.scenario.scenario",
    "Field": "gridv2x.options",
    "Section": "gridv2x.options",
    "ValidationError": "gridv2x.options",
}

__all__ = [
    "Field",
    "Scenario",
    "Section",
    "ValidationError",
    "read_scenario",
    "scenario_from_dict",
    "validate_file",
    "write_scenario",
]

if TYPE_CHECKING:  # pragma: no cover
    from gridv2x.options import Field, Section, ValidationError
    from gridv2x.scenario.scenario import (
        Scenario,
        read_scenario,
        scenario_from_dict,
        validate_file,
        write_scenario,
    )


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gridv2x.scenario' has no attribute {name!r}")
