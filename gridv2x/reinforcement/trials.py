"""Load flows of trial feeders: the engine built once per plan, updated per line measure.

A reinforcement search runs one load flow per candidate measure
(:mod:`gridv2x.reinforcement.plan`). Building an engine converts the feeder through pandapower's network model and copies
the net, which costs far more than the load flow of the few hundred critical steps itself. So
the feeder's engine is built once; a trial that lays a parallel cable or a larger cable changes
only the electrical parameters of its lines, which
:meth:`gridv2x.powerflow.RadialEngine.with_branch_parameters` puts into a copy of the engine
(same model, bit for bit, as a new engine of the changed net). A transformer exchange or a new
substation (a new branch, an opened line) builds a new engine from the changed net; so does
every trial on a meshed feeder (power-grid-model engine).

The finished plan's check over the whole period (:meth:`TrialFlows.check_period`) runs the
radial engine chunk by chunk (:meth:`gridv2x.powerflow.RadialEngine.run_chunks`) and reduces
each chunk for the checks at once, so the planner never holds a second whole-period load flow
beside the task's own (per phase, a year at 15 min on se-villa-large: about 313 MB).

The trial nets are shallow copies (:func:`gridv2x.reinforcement.measures.with_measures`) that
share every table a measure does not change with the feeder's net.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.powerflow import RadialEngine, timeseries_engine
from gridv2x.powerflow.radial import LINE_PARAMETERS
from gridv2x.reinforcement.checks import Check, check, extremes_of_chunks, judge
from gridv2x.reinforcement.measures import LINE_MEASURES, Measure, with_measures

__all__ = ["FeederState", "TrialFlows"]


@dataclass
class FeederState:
    """A (trial) feeder: its net and its load-flow engine.

    Attributes
    ----------
    net : pandapowerNet
        The feeder with the measures of this state (a shallow copy, to be read).
    engine : RadialEngine or TimeseriesEngine
        Its engine, ``run(load_p_mw, load_q_mvar, *, chunk_steps)``.
    """

    net: Any
    engine: Any


class TrialFlows:
    """Load flows of a feeder and of its trial reinforcements with the scenario's engine.

    Parameters
    ----------
    net : pandapowerNet
        The feeder as built (not changed).
    options : mapping
        ``engine`` (default ``auto``: radial for a tree; ``pandapower``, the reference, is too
        slow for the planner's many trials, so pgm stands in), ``asymmetric``, ``threads``,
        ``error_tolerance_pu``, ``chunk_steps``.

    Attributes
    ----------
    builds : int
        Engines built from a net (the feeder's and those of topology or transformer trials).
    updates : int
        Engines made by a line-parameter update.
    """

    rebuild_every_trial = False
    """True: every trial builds its engine from its net, as before the update API (for
    bench/bench_reinforcement.py and the tests; same plans, slower)."""

    def __init__(self, net: Any, options: Mapping[str, Any]) -> None:
        engine = str(options.get("engine", "auto"))
        self._engine = "pgm" if engine == "pandapower" else engine
        self._asymmetric = bool(options.get("asymmetric", False))
        self._threads = int(options.get("threads", 0))
        self._tolerance = float(options.get("error_tolerance_pu", 1e-8))
        self._chunk_steps = int(options.get("chunk_steps", 2880))
        self._net = net
        self._base: FeederState | None = None
        self.builds = 0
        self.updates = 0

    @property
    def base(self) -> FeederState:
        """The feeder without measures (its engine built on first use)."""
        if self._base is None:
            self._base = FeederState(self._net, self._build(self._net))
        return self._base

    def _build(self, net: Any) -> Any:
        self.builds += 1
        return timeseries_engine(
            net,
            engine=self._engine,
            asymmetric=self._asymmetric,
            threads=self._threads,
            error_tolerance_pu=self._tolerance,
        )

    def apply(self, state: FeederState, measures: Sequence[Measure]) -> FeederState:
        """``state`` with ``measures`` added (``state`` is not changed)."""
        net = with_measures(state.net, measures)
        if (
            not self.rebuild_every_trial
            and isinstance(state.engine, RadialEngine)
            and all(m.measure in LINE_MEASURES for m in measures)
        ):
            lines = sorted({int(m.index) for m in measures})
            changes = _line_changes(state.net.line, net.line, lines)
            self.updates += 1
            return FeederState(net, state.engine.with_branch_parameters(changes))
        return FeederState(net, self._build(net))

    def run(self, state: FeederState, load_p_mw: pd.DataFrame, load_q_mvar: pd.DataFrame) -> Any:
        """Load flow of ``state`` over the steps of the load frames (TimeseriesResult)."""
        return state.engine.run(load_p_mw, load_q_mvar, chunk_steps=self._chunk_steps)

    def check_period(
        self,
        state: FeederState,
        load_p_mw: pd.DataFrame,
        load_q_mvar: pd.DataFrame,
        buses: Sequence[int],
        limits: Mapping[str, Any],
    ) -> Check:
        """:func:`gridv2x.reinforcement.checks.check` of the load flow of ``state`` over the
        steps of the load frames, reduced chunk by chunk (``chunk_steps``) where the engine
        can (radial); the same Check as of :meth:`run`'s whole result."""
        engine = state.engine
        if isinstance(engine, RadialEngine):
            chunks = engine.run_chunks(load_p_mw, load_q_mvar, chunk_steps=self._chunk_steps)
            return judge(extremes_of_chunks(chunks, buses, load_p_mw.index), limits)
        return check(self.run(state, load_p_mw, load_q_mvar), buses, limits)


def _line_changes(
    before: pd.DataFrame, after: pd.DataFrame, lines: Sequence[int]
) -> dict[int, dict[str, float]]:
    """``line -> {column: new value}`` of the load-flow parameters that differ."""
    out: dict[int, dict[str, float]] = {}
    for li in lines:
        changed = {}
        for column in LINE_PARAMETERS:
            if column not in after:
                continue
            new = float(after.at[li, column])
            old = float(before.at[li, column]) if column in before else np.nan
            if new != old and not (np.isnan(new) and np.isnan(old)):
                changed[column] = new
        out[li] = changed
    return out
