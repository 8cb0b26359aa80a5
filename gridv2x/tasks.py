"""What a study is made of: its tasks, what the strategies of one draw share, what a task
returns, and the random stream of each stage.

A task is one feeder x strategy x Monte-Carlo draw (x EV share or adoption year)
(:class:`Task`). The strategies of one draw share their inputs (:class:`StudyInputs`: weather,
household load, fleet, driving); each task returns a :class:`TaskOutput` (its summary row and
tables, laid out by :mod:`gridv2x.results`). Every random number of a task comes from
:func:`stage_rng`, a stream derived from ``(study.seed, draw, feeder, stage)``, never from
execution order. :class:`gridv2x.study.Study` runs the stages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Task", "StudyInputs", "TaskOutput", "Window", "stage_rng", "STAGES"]

STAGES = ("climate", "demand", "adoption", "fleet", "mobility", "charging")
"""The stages with a random stream of their own, in stream order (never reorder)."""


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def stage_rng(seed: int, draw: int, feeder: str, stage: str, *extra: Any) -> np.random.Generator:
    """The random stream of one stage of one draw on one feeder.

    Parameters
    ----------
    seed : int
        ``study.seed`` of the scenario.
    draw : int
        Monte-Carlo draw number (0 .. study.seeds - 1).
    feeder : str
        Feeder name.
    stage : str
        One of ``climate, demand, adoption, fleet, mobility, charging``.
    *extra
        More identity (e.g. the EV share) where the stage depends on it.

    Returns
    -------
    numpy.random.Generator
        Independent of execution order and of every other stage's stream.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    key = [seed, draw, _stable_int(feeder), STAGES.index(stage)]
    key += [_stable_int(repr(x)) for x in extra]
    return np.random.default_rng(np.random.SeedSequence(key))


@dataclass(frozen=True)
class Task:
    """One unit of work: a feeder, a strategy, a draw, and the EV share or adoption year."""

    feeder: str
    strategy: str
    draw: int
    ev_share: float | None = None
    year: int | None = None

    @property
    def inputs_key(self) -> tuple:
        """What the strategies of one draw share (same key, same inputs)."""
        return (self.feeder, self.draw, self.ev_share, self.year)

    @property
    def task_id(self) -> str:
        """A file-name-safe identity, stable across runs."""
        parts = [self.feeder, self.strategy, f"d{self.draw:04d}"]
        if self.ev_share is not None:
            parts.append(f"share{self.ev_share:.4f}")
        if self.year is not None:
            parts.append(f"y{self.year}")
        return "__".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "feeder": self.feeder,
            "strategy": self.strategy,
            "draw": self.draw,
            "ev_share_target": self.ev_share,
            "year": self.year,
        }


@dataclass
class StudyInputs:
    """What every strategy of one draw shares: weather, base load, fleet and driving."""

    key: tuple
    temperature_c: pd.Series
    base_p_kw: pd.DataFrame
    base_q_kvar: pd.DataFrame
    fleet: pd.DataFrame
    sessions: pd.DataFrame


@dataclass
class TaskOutput:
    """The result of one task: its summary row and the compact data the report needs."""

    task: Task
    summary: dict[str, Any]
    timeseries: pd.DataFrame | None  # None: not kept (scenario study.time_series)
    customers: pd.DataFrame
    voltage_daily: pd.DataFrame | None
    elements: pd.DataFrame
    evs: pd.DataFrame
    soc: pd.DataFrame | None
    sessions: pd.DataFrame | None = None
    flexibility: pd.DataFrame | None = None  # v2x.enabled: V1G/V2G tasks
    markets: pd.DataFrame | None = None
    resilience: pd.DataFrame | None = None  # v2x.enabled: V2G tasks
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    """The steps a task simulates: the whole period or its representative weeks."""

    index: pd.DatetimeIndex
    """Simulated steps (``conventions.period_index`` or the weeks' part of it)."""
    base_p_kw: pd.DataFrame
    """Household active power on ``index`` [time x customer_id] [kW]."""
    base_q_kvar: pd.DataFrame
    """Household reactive power on ``index`` [time x customer_id] [kvar]."""
    weeks: list[pd.Timestamp] | None = None
    """Mondays of the representative weeks (:func:`gridv2x.period.select_weeks`); None = the
    whole period."""
