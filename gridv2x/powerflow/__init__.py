"""Time-series load flow: power-grid-model batch engine, pandapower reference.

Public API: :func:`run_timeseries`, :class:`TimeseriesEngine`, :class:`TimeseriesResult`,
:func:`prepare_net`.
"""

from gridv2x.powerflow.engine import (
    DEFAULT_CHUNK_STEPS,
    ENGINES,
    TimeseriesEngine,
    TimeseriesResult,
    prepare_net,
    run_timeseries,
)

__all__ = [
    "run_timeseries",
    "TimeseriesEngine",
    "TimeseriesResult",
    "prepare_net",
    "DEFAULT_CHUNK_STEPS",
    "ENGINES",
]
