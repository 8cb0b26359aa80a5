"""Metrics: voltage quality (EN 50160 / Swedish rule), loading, losses, fuses, EV KPIs and
hosting capacity.

Every function is a pure, vectorised function of pandas tables; every reported column is
registered with its label and unit in :data:`METRICS`. Limits come from the scenario's
``limits`` section (``gridv2x/metrics/limits.py``), never from literals.

References
----------
.. [1] EN 50160:2022; EIFS 2013:1 / EIFS 2023:3 ch. 7; ``docs/sources.md §3``.
.. [2] EPRI report 1026640 (2012), stochastic hosting capacity.
"""

from gridv2x.metrics.first_violation import first_violation
from gridv2x.metrics.hosting import (
    deferral_years,
    first_violation_year,
    hosting_capacity,
    violation_probability,
    wilson_interval,
)
from gridv2x.metrics.limits import resolve_limits
from gridv2x.metrics.loading import (
    duration_curve,
    energy_above_limit_kwh,
    fuse_current_a,
    fuse_loading,
    hours_above,
    loading_statistics,
    losses_kwh,
    share_above,
)
from gridv2x.metrics.registry import METRICS, Metric, describe_metrics, label
from gridv2x.metrics.statistics import (
    CustomerStatistics,
    converged_mask,
    customer_statistics,
    customer_voltage,
)
from gridv2x.metrics.summary import summarize
from gridv2x.metrics.tables import customer_table, element_table, timeseries_table
from gridv2x.metrics.voltage import (
    daily_min_voltage,
    to_window_means,
    unbalance,
    voltage_quality,
    voltage_violation_share,
    within_band,
)

__all__ = [
    "METRICS",
    "Metric",
    "label",
    "describe_metrics",
    "summarize",
    "resolve_limits",
    "converged_mask",
    "CustomerStatistics",
    "customer_statistics",
    "customer_voltage",
    "customer_table",
    "element_table",
    "timeseries_table",
    "first_violation",
    "voltage_quality",
    "voltage_violation_share",
    "within_band",
    "to_window_means",
    "unbalance",
    "daily_min_voltage",
    "duration_curve",
    "hours_above",
    "share_above",
    "loading_statistics",
    "energy_above_limit_kwh",
    "losses_kwh",
    "fuse_current_a",
    "fuse_loading",
    "wilson_interval",
    "violation_probability",
    "hosting_capacity",
    "first_violation_year",
    "deferral_years",
]
