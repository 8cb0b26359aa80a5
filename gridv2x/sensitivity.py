"""Sensitivity of hosting capacity to the uncertain assumptions, one at a time (a tornado).

Scenario ``study.kind: sensitivity``. Each assumption of ``study.assumptions`` is moved to a
low and a high value (:data:`ASSUMPTIONS`; the ranges and their reasons: ``docs/sources.md
§10``) while every other key keeps the scenario's value. For the base scenario and every
variant, each feeder, strategy and draw gets a **per-draw hosting capacity**: the largest EV
share without a counted violation in that draw, found by bisection between the lowest and
highest ``study.ev_shares`` in ``study.refine`` steps (violations grow with the share, so the
first share that violates bounds it). All variants use the same draws (``study.seed``,
``study.seeds``): a difference between them is the assumption's effect, not Monte-Carlo noise
(common random numbers).

The reported capacity of a variant is the mean per-draw capacity [EVs per customer]; it is an
estimate of how far the capacity moves, **not** a capacity claimed with confidence (that is the
hosting-capacity study's job, :mod:`gridv2x.metrics.confidence`). The assumption whose low or
high value moves it most is the dominant one; the element that violates first in the base
scenario (and the source of its rating) is named beside it.

Each task is written as soon as it is done (the base scenario's to ``results/<task>``, which
the report charts, the variants' to ``variants/<variant>/results/<task>``), so a stopped run
resumes where it stopped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.scenario import Scenario, scenario_from_dict
from gridv2x.study import Study, Task

__all__ = ["Assumption", "ASSUMPTIONS", "variants", "run_sensitivity", "tornado_table"]


@dataclass(frozen=True)
class Assumption:
    """One uncertain assumption and how far it is moved.

    Attributes
    ----------
    name : str
        Identifier used in ``study.assumptions``.
    label : str
        What a planner reads in the tornado chart.
    key : str
        Scenario key it changes (``section.key``).
    how : {"scale", "add", "set"}
        ``scale``: multiply the scenario value; ``add``: add to it; ``set``: replace it.
    low, high : float
        The two moves.
    source : str
        Where the range comes from (``docs/sources.md`` section).
    """

    name: str
    label: str
    key: str
    how: str
    low: float
    high: float
    source: str

    def value(self, base: float, side: str) -> float:
        """The scenario value of the ``low`` or ``high`` variant."""
        move = self.low if side == "low" else self.high
        if self.how == "scale":
            return float(base) * move
        if self.how == "add":
            return float(base) + move
        return float(move)


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "cable_rating",
        "Cable ratings -20 % / +20 %",
        "limits.line_loading_pct",
        "scale",
        0.8,
        1.2,
        "docs/sources.md §1.2, §10 (138 A Chalmers, 210 A ours, 234 A manufacturer for 95 mm²)",
    ),
    Assumption(
        "transformer_rating",
        "Transformer rating -20 % / +20 %",
        "limits.transformer_loading_pct",
        "scale",
        0.8,
        1.2,
        "docs/sources.md §1.1, §10",
    ),
    Assumption(
        "household_load",
        "Household load level -20 % / +20 %",
        "demand.annual_kwh_scale",
        "scale",
        0.8,
        1.2,
        "docs/sources.md §2, §10",
    ),
    Assumption(
        "ev_energy",
        "EV energy use (km per year) -20 % / +20 %",
        "mobility.km_per_year",
        "scale",
        0.8,
        1.2,
        "docs/sources.md §4, §10",
    ),
    Assumption(
        "charger_mix",
        "Single-phase chargers 0 % / 50 % (default 20 %)",
        "vehicles.share_1ph",
        "set",
        0.0,
        0.5,
        "docs/sources.md §4, §10",
    ),
    Assumption(
        "arrival_time",
        "Arrival (and departure) times -1 h / +1 h",
        "mobility.time_shift_h",
        "add",
        -1.0,
        1.0,
        "docs/sources.md §10",
    ),
    Assumption(
        "slack_voltage",
        "Slack voltage -0.02 / +0.02 pu",
        "powerflow.slack_vm_pu",
        "add",
        -0.02,
        0.02,
        "docs/sources.md §1.1, §10",
    ),
)
"""The assumptions a sensitivity study can move (``study.assumptions``)."""

BY_NAME = {a.name: a for a in ASSUMPTIONS}
BASE = "base"


def _get(data: dict, key: str) -> Any:
    section, name = key.split(".", 1)
    return data[section][name]


def variants(scenario: Scenario) -> dict[str, tuple[Assumption | None, str, Scenario]]:
    """The base scenario and its one-at-a-time variants, as hosting-capacity scenarios.

    Returns
    -------
    dict
        ``variant name -> (assumption or None, "low"/"high"/"base", scenario)``; the name is
        ``base`` or ``<assumption>-low`` / ``<assumption>-high``.
    """
    data = scenario.to_dict()
    data["study"] = {**data["study"], "kind": "hosting_capacity", "time_series": "shown"}
    out: dict[str, tuple[Assumption | None, str, Scenario]] = {
        BASE: (None, BASE, scenario_from_dict(copy.deepcopy(data)))
    }
    for name in scenario.study["assumptions"]:
        assumption = BY_NAME[name]
        for side in ("low", "high"):
            variant = copy.deepcopy(data)
            section, key = assumption.key.split(".", 1)
            variant[section][key] = assumption.value(_get(data, assumption.key), side)
            out[f"{name}-{side}"] = (assumption, side, scenario_from_dict(variant))
    return out


def run_sensitivity(
    scenario: Scenario,
    root: Path,
    run_batch: Callable[[Scenario, Path, list[Task]], dict[str, dict[str, Any]]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-draw hosting capacities of the base scenario and every variant.

    Parameters
    ----------
    scenario : Scenario
        A ``study.kind: sensitivity`` scenario.
    root : Path
        Output folder; the base scenario's tasks go to ``root/results``, each variant's to
        ``root/variants/<variant>``.
    run_batch : callable
        ``run_batch(variant_scenario, folder, tasks) -> {task_id: summary row}``: runs (or
        reads back, on a resume) the tasks and returns their summary rows.

    Returns
    -------
    draws : pandas.DataFrame
        One row per variant, feeder, strategy and draw: ``capacity_share`` (largest share
        without a violation; 0 when even the lowest share violates, the highest share when it
        does not), ``first_violating_share``, the binding ``criterion`` and ``element`` at that
        share.
    summary : pandas.DataFrame
        Every task's summary row, with a ``variant`` column.
    """
    study = scenario.study
    shares = [float(s) for s in study["ev_shares"]]
    low_share, high_share = min(shares), max(shares)
    steps = int(study.get("refine", 0) or 0)
    rows: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    for name, (_assumption, _side, variant) in variants(scenario).items():
        plan = Study(variant)
        folder = root if name == BASE else root / "variants" / name  # base: the report's charts
        # per (feeder, strategy, draw): [lowest safe, first violating, its summary row]
        state: dict[tuple[str, str, int], list[Any]] = {
            (f, s, d): [None, None, None]
            for f in plan.feeder_names
            for s in plan.strategies
            for d in range(study["seeds"])
        }
        probes = {key: [low_share, high_share] for key in state}
        for _round in range(steps + 2):
            tasks = []
            for (feeder, strategy, draw), candidates in probes.items():
                tasks += [Task(feeder, strategy, draw, ev_share=round(s, 4)) for s in candidates]
            if not tasks:
                break
            results = run_batch(variant, folder, tasks)
            summaries += [{**row, "variant": name} for row in results.values()]
            for task in tasks:
                row = results.get(task.task_id)
                if row is None:  # failed: the draw ends here
                    continue
                entry = state[(task.feeder, task.strategy, task.draw)]
                if bool(row["violation"]):
                    if entry[1] is None or task.ev_share < entry[1]:
                        entry[1], entry[2] = task.ev_share, row
                elif entry[0] is None or task.ev_share > entry[0]:
                    entry[0] = task.ev_share
            probes = {}
            for key, (safe, unsafe, _row) in state.items():
                if unsafe is None or (safe is None and unsafe <= low_share):
                    continue  # never violates, or violates at the lowest share already
                lo = safe if safe is not None else low_share
                if _round >= steps or unsafe - lo <= 0.01:
                    continue
                mid = round((lo + unsafe) / 2.0, 4)
                probes[key] = [mid]
        for (feeder, strategy, draw), (safe, unsafe, row) in state.items():
            rows.append(
                {
                    "variant": name,
                    "feeder": feeder,
                    "strategy": strategy,
                    "draw": draw,
                    "capacity_share": (
                        high_share if unsafe is None else (safe if safe is not None else 0.0)
                    ),
                    "first_violating_share": unsafe if unsafe is not None else np.nan,
                    "criterion": (row or {}).get("first_violation_criterion"),
                    "element": (row or {}).get("first_violation_element"),
                    "n_customers": (row or {}).get("n_customers"),
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(summaries)


def tornado_table(draws: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The tornado: per feeder, strategy and assumption, the capacity at its low and high value.

    Returns
    -------
    pandas.DataFrame
        Columns ``feeder, strategy, assumption, label, key, low_value, high_value,
        base_capacity_share, low_capacity_share, high_capacity_share, swing_share`` (``|high
        - low|``, what orders the tornado), ``rank`` (1 = moves the capacity most),
        ``dominant`` (rank 1), ``binding_element`` and ``binding_rating_source`` (of the base
        scenario) and ``draws``.
    """
    mean = draws.groupby(["variant", "feeder", "strategy"])["capacity_share"].mean()
    data = scenario.to_dict()
    rows = []
    for (feeder, strategy), _group in draws.groupby(["feeder", "strategy"], sort=True):
        base = float(mean.get((BASE, feeder, strategy), np.nan))
        element, source = binding_element(draws, feeder, strategy, scenario)
        for name in scenario.study["assumptions"]:
            assumption = BY_NAME[name]
            base_value = _get(data, assumption.key)
            low = float(mean.get((f"{name}-low", feeder, strategy), np.nan))
            high = float(mean.get((f"{name}-high", feeder, strategy), np.nan))
            rows.append(
                {
                    "feeder": feeder,
                    "strategy": strategy,
                    "assumption": name,
                    "label": assumption.label,
                    "key": assumption.key,
                    "base_value": base_value,
                    "low_value": assumption.value(base_value, "low"),
                    "high_value": assumption.value(base_value, "high"),
                    "base_capacity_share": base,
                    "low_capacity_share": low,
                    "high_capacity_share": high,
                    "swing_share": max(abs(low - base), abs(high - base), abs(high - low)),
                    "binding_element": element,
                    "binding_rating_source": source,
                    "source": assumption.source,
                    "draws": int(scenario.study["seeds"]),
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["rank"] = (
        table.groupby(["feeder", "strategy"])["swing_share"]
        .rank(ascending=False, method="first")
        .astype(int)
    )
    table["dominant"] = table["rank"] == 1
    return table.sort_values(["feeder", "strategy", "rank"]).reset_index(drop=True)


def binding_element(
    draws: pd.DataFrame, feeder: str, strategy: str, scenario: Scenario
) -> tuple[str, str]:
    """The element that violates first in most base draws, and where its rating comes from."""
    base = draws[
        (draws["variant"] == BASE) & (draws["feeder"] == feeder) & (draws["strategy"] == strategy)
    ]
    found = base.dropna(subset=["element"])
    found = found[found["element"].astype(str) != ""]
    if found.empty:
        return "none (no violation up to the highest share)", ""
    element = str(found["element"].mode().iloc[0])
    criterion = str(found.loc[found["element"] == element, "criterion"].iloc[0])
    return f"{element} ({criterion})", _rating_source(element, Study(scenario).feeder(feeder).net)


def _rating_source(element: str, net: Any) -> str:
    """Type, rating and source note of a ``line <i>`` or ``trafo <i>`` element."""
    from gridv2x.network import catalogue

    kind, _, index = element.partition(" ")
    if kind == "line" and index.isdigit() and int(index) in net.line.index:
        std = str(net.line.at[int(index), "std_type"]) if "std_type" in net.line else ""
        rating = float(net.line.at[int(index), "max_i_ka"]) * 1000.0
        note = catalogue.CABLES[std].note if std in catalogue.CABLES else "the network's rating"
        return f"{std or 'line'}, {rating:.0f} A: {note}"
    if kind == "trafo" and index.isdigit() and int(index) in net.trafo.index:
        sn = float(net.trafo.at[int(index), "sn_mva"]) * 1000.0
        return f"{sn:.0f} kVA transformer: docs/sources.md §1.1"
    return ""
