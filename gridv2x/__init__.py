"""gridv2x: EV hosting capacity, smart charging (V1G) and vehicle-to-grid (V2G) on Swedish
low-voltage feeders.

Planners run scenario files (``gridv2x run scenarios/quickstart.yaml``); analysts use the same
pipeline from Python:

>>> import gridv2x
>>> result = gridv2x.run(gridv2x.read_scenario("scenarios/quickstart.yaml"))  # doctest: +SKIP
>>> result.summary  # doctest: +SKIP

The public names are imported lazily, so ``import gridv2x.network`` does not pull in the whole
pipeline (pandapower, dask, plotly).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
"""The version of gridv2x; pyproject.toml reads it from here (its only place)."""

_PUBLIC = {
    "run": "gridv2x.api",
    "load_result": "gridv2x.api",
    "StudyResult": "gridv2x.api",
    "read_scenario": "gridv2x.scenario",
    "scenario_from_dict": "gridv2x.scenario",
    "Scenario": "gridv2x.scenario",
    "Study": "gridv2x.study",
    "Task": "gridv2x.study",
    "InputError": "gridv2x.errors",
    "ScenarioError": "gridv2x.errors",
}

__all__ = [
    "InputError",
    "Scenario",
    "ScenarioError",
    "Study",
    "StudyResult",
    "Task",
    "load_result",
    "read_scenario",
    "run",
    "scenario_from_dict",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover
    from gridv2x.api import StudyResult, load_result, run
    from gridv2x.errors import InputError, ScenarioError
    from gridv2x.scenario import Scenario, read_scenario, scenario_from_dict
    from gridv2x.study import Study, Task


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gridv2x' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
