"""Time-series load flow: radial engine, power-grid-model batch engine, pandapower reference.

Public API: :func:`run_timeseries`, :func:`timeseries_engine`, :func:`build_engine`, :class:`RadialEngine`,
:class:`TimeseriesEngine`, :class:`TimeseriesResult`, :func:`prepare_net`, :func:`is_radial`,
:func:`customer_loads` (load-flow input from household and EV load).
"""

from gridv2x.powerflow.engine import (
    DEFAULT_CHUNK_STEPS,
    ENGINES,
    TimeseriesEngine,
    TimeseriesResult,
    build_engine,
    prepare_net,
    run_timeseries,
    timeseries_engine,
)
from gridv2x.powerflow.loads import ElementLoads, customer_loads
from gridv2x.powerflow.radial import NotRadialError, RadialEngine, is_radial

__all__ = [
    "run_timeseries",
    "TimeseriesEngine",
    "TimeseriesResult",
    "prepare_net",
    "DEFAULT_CHUNK_STEPS",
    "ENGINES",
    "build_engine",
    "timeseries_engine",
    "RadialEngine",
    "NotRadialError",
    "is_radial",
    "customer_loads",
    "ElementLoads",
]
