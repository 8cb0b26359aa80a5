"""What it costs: automatic reinforcement plans and the value of V1G and V2G against them.

* :mod:`~gridv2x.reinforcement.costs` — Swedish cost catalogue (docs/sources.md §11).
* :mod:`~gridv2x.reinforcement.plan` — the search: the measures a DSO takes, cheapest first,
  re-checked with the load flow; :mod:`~gridv2x.reinforcement.measures` — the measures, costed
  and applied; :mod:`~gridv2x.reinforcement.checks` — what a load flow violates and the critical
  steps; :mod:`~gridv2x.reinforcement.trials` — the trial load flows (engine built once).
* :mod:`~gridv2x.reinforcement.economics` — present values, deferral, value per EV and year,
  V2G wear and charger cost, break-even charger price.

:func:`plan_for_task` is the study stage (scenario section ``reinforcement``); the plan goes
into the task's summary row (``reinforcement_*`` columns), from which
:func:`reinforcement_table` builds ``reinforcement.csv`` and
:func:`gridv2x.reinforcement.economics.economics_table` builds ``economics.csv``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.reinforcement.checks import check, critical_steps
from gridv2x.reinforcement.costs import MEASURES, CostCatalogue
from gridv2x.reinforcement.economics import ECONOMICS_COLUMNS, economics_table
from gridv2x.reinforcement.measures import Measure, apply_measure, apply_plan, candidate_measures
from gridv2x.reinforcement.plan import Plan, plan_reinforcement

__all__ = [
    "MEASURES",
    "CostCatalogue",
    "Measure",
    "Plan",
    "apply_measure",
    "apply_plan",
    "candidate_measures",
    "check",
    "critical_steps",
    "plan_reinforcement",
    "plan_for_task",
    "summary_columns",
    "reinforcement_table",
    "economics_table",
    "study_economics",
    "ECONOMICS_COLUMNS",
    "REINFORCEMENT_COLUMNS",
]

REINFORCEMENT_COLUMNS = (
    "feeder",
    "strategy",
    "seed",
    "ev_share",
    "year",
    "measure",
    "element",
    "from",
    "to",
    "length_m",
    "cost_sek",
)
"""Columns of ``reinforcement.csv`` (one row per task and measure)."""


def plan_for_task(
    feeder: Any,
    load_p_mw: pd.DataFrame,
    load_q_mvar: pd.DataFrame,
    pf: Any,
    scenario: Any,
    *,
    threads: int = 0,
) -> Plan | None:
    """The reinforcement plan of one task with the scenario's options, or None when the
    scenario's ``reinforcement.enabled`` is false."""
    options = scenario.section("reinforcement")
    if not options.get("enabled", True):
        return None
    from gridv2x.metrics.limits import resolve_limits

    powerflow = scenario["powerflow"]
    return plan_reinforcement(
        feeder,
        load_p_mw,
        load_q_mvar,
        limits=resolve_limits(scenario.section("limits")),
        pf=pf,
        catalogue=CostCatalogue.from_options(options.get("prices")),
        ground=options["ground"],
        measures=options["measures"],
        max_measures=options["max_measures"],
        top_steps=options["top_steps"],
        verify=options["verify"],
        powerflow_options={
            "engine": powerflow.get("engine", "auto"),
            "asymmetric": bool(powerflow.get("asymmetric", False)),
            "threads": threads,
            "error_tolerance_pu": powerflow.get("error_tolerance_pu", 1e-8),
            "chunk_steps": powerflow.get("chunk_steps", 2880),
        },
    )


def summary_columns(plan: Plan | None) -> dict[str, Any]:
    """The plan as summary columns: ``reinforcement_cost_sek`` [SEK], ``reinforcement_needed``,
    ``reinforcement_fixed``, ``reinforcement_measures`` (count), ``reinforcement_ground``,
    ``reinforcement_steps`` (critical steps searched) and ``reinforcement_plan`` (the measures
    as JSON, for reinforcement.csv)."""
    if plan is None:
        return {}
    return {
        "reinforcement_needed": bool(plan.needed),
        "reinforcement_fixed": bool(plan.fixed),
        "reinforcement_cost_sek": float(plan.cost_sek),
        "reinforcement_measures": len(plan.measures),
        "reinforcement_ground": plan.ground,
        "reinforcement_steps": int(plan.n_steps),
        "reinforcement_plan": json.dumps([m.as_row() for m in plan.measures]),
    }


def reinforcement_table(summary: pd.DataFrame) -> pd.DataFrame | None:
    """``reinforcement.csv``: one row per task and measure (:data:`REINFORCEMENT_COLUMNS`);
    None when the study planned no reinforcement."""
    if summary.empty or "reinforcement_plan" not in summary:
        return None
    rows = []
    for _, task in summary.iterrows():
        plan = task.get("reinforcement_plan")
        if not isinstance(plan, str) or not plan:
            continue
        share = task.get("ev_share_target")
        if share is None or (isinstance(share, float) and np.isnan(share)):
            share = task.get("ev_share")
        for measure in json.loads(plan):
            rows.append(
                {
                    "feeder": task["feeder"],
                    "strategy": task["strategy"],
                    "seed": task["seed"],
                    "ev_share": share,
                    "year": task.get("year"),
                    **measure,
                }
            )
    return pd.DataFrame(rows, columns=list(REINFORCEMENT_COLUMNS))


def study_economics(summary: pd.DataFrame, scenario: Any) -> pd.DataFrame | None:
    """``economics.csv`` of a study (:func:`economics_table` with the scenario's options);
    None when the study planned no reinforcement."""
    if summary.empty or "reinforcement_cost_sek" not in summary:
        return None
    charging: Mapping[str, Any] = scenario["charging"]
    return economics_table(
        summary,
        economics=scenario.section("economics"),
        wear_cost_sek_per_kwh=float(charging.get("v2g", {}).get("wear_cost_sek_per_kwh", 0.16)),
        period_days=float(scenario.period["days"]),
        charger=str(charging["v2g"]["charger"]),
    )
