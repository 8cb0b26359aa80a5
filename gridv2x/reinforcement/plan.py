"""Automatic reinforcement plans: the measures a Swedish DSO takes, cheapest first.

Given a feeder and the loads of one task (load-flow input per step), :func:`plan_reinforcement`
finds measures (:mod:`gridv2x.reinforcement.measures`: a larger transformer, a parallel or a
larger cable, a new substation) until no criterion of the scenario's ``limits`` is violated
(:mod:`gridv2x.reinforcement.checks`).

Search
    Each round lists the candidate measures aimed at what is violated (the overloaded
    transformer, the overloaded sections, every section on the path to the customer with the
    worst voltage, a split of each violating branch), applies each one to the feeder as it is
    and re-runs the load flow (:mod:`gridv2x.reinforcement.trials`: the engine is built once
    and only the changed lines are updated). If some candidates clear every violation, the
    cheapest of them is taken and the plan ends; otherwise the candidate with the largest
    reduction of the violation deficit per SEK is taken and the next round starts from there.
    The plan is therefore never dearer than a single candidate measure that fixes the feeder
    on its own.

Which steps
    Candidates are checked on the *critical steps* of the task, not the whole period: for
    every transformer and line the step of its highest loading, for every customer the steps of
    its lowest and highest voltage, plus the ``top_steps`` steps of highest feeder load. In a
    radial feeder a section's current is set by the load downstream of it, which a measure
    does not change, so its worst step stays its worst step; a customer's voltage drop is the
    sum over its path of R P + X Q, whose weights a measure changes, so its worst step can move
    to another step of high load on that path. The finished plan is therefore checked on the
    whole period (``verify="full"``); steps that still violate are added to the critical
    steps and the plan is searched again from the start (at most ``max_rounds`` times). A plan
    already checked on the whole period is not run again.

Cost
    A search runs (candidates per round) x (rounds of the search) load flows over the critical
    steps (about 150-250 steps); each is (fixed-point iterations, 3-5) x (buses) multiply-adds
    per step and sequence network. A trial that lays a cable costs one tree factorisation of
    the sequence networks on top. The full-period check is one load flow over every step per
    search round (bench/bench_reinforcement.py measures both).

References
----------
.. [1] eDisGo, ``edisgo.flex_opt.reinforce_grid`` (German approach: transformer, parallel
   line, split), https://github.com/openego/eDisGo.
.. [2] docs/sources.md §1.1 (standard transformer sizes), §11 (costs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gridv2x.errors import InputError
from gridv2x.network.feeder import Feeder
from gridv2x.reinforcement.checks import Check, check, critical_steps, extremes, judge
from gridv2x.reinforcement.costs import GROUNDS, MEASURES, CostCatalogue
from gridv2x.reinforcement.measures import (
    Measure,
    apply_plan,
    candidate_measures,
    feeder_ground,
    thermal_measures,
)
from gridv2x.reinforcement.trials import FeederState, TrialFlows

__all__ = ["Plan", "plan_reinforcement"]


@dataclass
class Plan:
    """A reinforcement plan for one task.

    Attributes
    ----------
    measures : list of Measure
    cost_sek : float
        Total cost [SEK].
    fixed : bool
        True when the reinforced feeder passes every counted grid criterion over the checked
        steps (the whole period with ``verify="full"``).
    needed : bool
        False when the feeder passed without measures.
    remaining : dict
        Violations left when ``fixed`` is False.
    n_steps : int
        Critical steps the search used.
    rounds : int
        Searches run (1 + one per full-period check that found new violating steps).
    load_flows : int
        Load flows run by the search (each over the critical steps), the full-period checks
        not counted.
    ground : str
        Ground class the cable prices used.
    net : pandapowerNet
        The reinforced net.
    """

    measures: list[Measure]
    cost_sek: float
    fixed: bool
    needed: bool
    remaining: dict[str, list[Any]]
    n_steps: int
    rounds: int
    load_flows: int
    ground: str
    net: Any = None

    def table(self) -> pd.DataFrame:
        """One row per measure: ``measure, element, from, to, length_m, cost_sek``."""
        columns = ["measure", "element", "from", "to", "length_m", "cost_sek"]
        return pd.DataFrame([m.as_row() for m in self.measures], columns=columns)


def _search(
    flows: TrialFlows,
    load_p: pd.DataFrame,
    load_q: pd.DataFrame,
    buses: list[int],
    limits: Mapping[str, Any],
    catalogue: CostCatalogue,
    ground: str,
    measures: Sequence[str],
    max_measures: int,
) -> tuple[list[Measure], Check, FeederState, int]:
    """One search on the steps of ``load_p`` (module docstring, "Search"): the measures, the
    check of the reinforced feeder on those steps, the reinforced feeder and the load flows."""

    def judged(state: FeederState) -> Check:
        return check(flows.run(state, load_p, load_q), buses, limits)

    state = flows.base
    first = judged(state)
    n_flows = 1
    if first.passed:
        return [], first, state, n_flows

    tried: dict[tuple[int, tuple[Measure, ...]], tuple[FeederState, FeederState, Check]] = {}

    def trial(base: FeederState, extra: Sequence[Measure]) -> tuple[FeederState, Check]:
        """``base`` with ``extra``, and its check (a trial already run is not run again)."""
        nonlocal n_flows
        key = (id(base), tuple(extra))
        if key not in tried:
            out = flows.apply(base, extra)
            n_flows += 1
            tried[key] = (base, out, judged(out))  # base kept alive: its id stays unique
        _, out, result = tried[key]
        return out, result

    def cheapest_fixing(
        base: FeederState, candidates: Sequence[Measure]
    ) -> tuple[list[tuple[Measure, FeederState, Check]], tuple[Measure, FeederState, Check] | None]:
        """Trials of ``candidates`` on ``base`` in order of cost, up to the first that fixes
        everything: ``([], the cheapest fixing one)`` (the first in list order among equal
        costs), or ``(every trial in list order, None)`` when none fixes everything."""
        scored: dict[int, tuple[Measure, FeederState, Check]] = {}
        order = sorted(range(len(candidates)), key=lambda k: candidates[k].cost_sek)  # stable
        for k in order:
            scored[k] = (candidates[k], *trial(base, [candidates[k]]))
            if scored[k][2].passed:
                return [], scored[k]
        return [scored[k] for k in range(len(candidates))], None

    # every single measure aimed at the first violations: the cheapest that fixes all alone
    singles = candidate_measures(state.net, first, limits, catalogue, ground, measures=measures)
    _, best_single = cheapest_fixing(state, singles)

    # the planner's way: overloads sized from ratings, then the voltage measure by measure
    chosen = thermal_measures(state.net, first, limits, catalogue, ground, measures=measures)
    result = first
    if chosen:
        state, result = trial(state, chosen)
    while not result.passed and len(chosen) < max_measures:
        if best_single is not None and sum(m.cost_sek for m in chosen) >= best_single[0].cost_sek:
            break  # already dearer than a single measure that fixes everything
        candidates = candidate_measures(
            state.net, result, limits, catalogue, ground, measures=measures
        )
        scored, fixing_now = cheapest_fixing(state, candidates)
        if fixing_now is not None:
            cand, state, result = fixing_now
            chosen.append(cand)
            break
        better = [s for s in scored if s[2].deficit < result.deficit - 1e-9]
        if not better:
            break
        cand, state, new = max(
            better, key=lambda s: (result.deficit - s[2].deficit) / max(s[0].cost_sek, 1.0)
        )
        chosen.append(cand)
        result = new
    if best_single is not None and (
        not result.passed or sum(m.cost_sek for m in chosen) >= best_single[0].cost_sek
    ):
        return [best_single[0]], best_single[2], best_single[1], n_flows
    return chosen, result, state, n_flows


def plan_reinforcement(
    feeder: Feeder,
    load_p_mw: pd.DataFrame,
    load_q_mvar: pd.DataFrame,
    *,
    limits: Mapping[str, Any],
    pf: Any = None,
    catalogue: CostCatalogue | None = None,
    ground: str = "auto",
    measures: Sequence[str] = MEASURES,
    max_measures: int = 40,
    top_steps: int = 24,
    verify: str = "full",
    max_rounds: int = 4,
    powerflow_options: Mapping[str, Any] | None = None,
) -> Plan:
    """The cheapest-first reinforcement plan of one task (module docstring).

    Parameters
    ----------
    feeder : Feeder
        The feeder as built (its net is not changed).
    load_p_mw, load_q_mvar : pandas.DataFrame
        The task's load-flow input over the simulated steps [MW], [Mvar] (as
        :func:`gridv2x.powerflow.customer_loads` returns).
    limits : mapping
        The scenario's resolved ``limits`` section.
    pf : TimeseriesResult, optional
        The task's load flow on the unreinforced feeder (saves one run).
    catalogue : CostCatalogue, optional
        Prices (defaults: docs/sources.md §11).
    ground : str
        ``auto`` (from the line length per customer, :func:`feeder_ground`), ``urban``,
        ``suburban`` or ``rural``.
    measures : sequence of str
        Allowed measures (:data:`MEASURES`).
    max_measures : int
        Most measures in one plan [-].
    top_steps : int
        Steps of highest feeder load among the critical steps [-].
    verify : {"full", "steps"}
        ``full``: check the finished plan on every step and search again with the steps that
        still violate; ``steps``: trust the critical steps.
    max_rounds : int
        Most searches with ``verify="full"`` [-].
    powerflow_options : mapping, optional
        ``engine`` (default ``auto``; ``pandapower`` runs as ``pgm``), ``asymmetric``,
        ``threads``, ``error_tolerance_pu``, ``chunk_steps`` of the load flows.

    Returns
    -------
    Plan
    """
    options = dict(powerflow_options or {})
    catalogue = catalogue or CostCatalogue()
    if ground == "auto":
        ground = feeder_ground(feeder.net, len(feeder.customers))
    if ground not in GROUNDS:
        raise InputError(f"reinforcement.ground: {ground!r} is not 'auto' or one of {GROUNDS}")
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise InputError(f"reinforcement.measures: unknown {unknown}; allowed: {list(MEASURES)}")
    buses = sorted(set(int(b) for b in feeder.customers["bus"]))
    flows = TrialFlows(feeder.net, options)
    if pf is None:
        pf = flows.run(flows.base, load_p_mw, load_q_mvar)
    reduced = extremes(pf, buses)  # one pass over the task's load flow for both
    first = judge(reduced, limits)
    if first.passed:
        return Plan([], 0.0, True, False, {}, 0, 0, 0, ground, feeder.net)
    steps = critical_steps(pf, reduced, top_steps=top_steps)
    del reduced
    n_flows = 0
    chosen: list[Measure] = []
    result = first
    rounds = 0
    checked: dict[tuple[Measure, ...], Check] = {}  # whole-period checks by plan
    for rounds in range(1, max_rounds + 1):  # noqa: B007
        chosen, result, state, n = _search(
            flows,
            load_p_mw.loc[steps],
            load_q_mvar.loc[steps],
            buses,
            limits,
            catalogue,
            ground,
            measures,
            max_measures,
        )
        n_flows += n
        if not result.passed or verify != "full":
            break
        key = tuple(chosen)
        if key not in checked:
            checked[key] = flows.check_period(state, load_p_mw, load_q_mvar, buses, limits)
        full = result = checked[key]
        if full.passed:
            break
        new = full.worst_steps.difference(steps)
        if len(new) == 0:
            break
        # the steps that still violate, the worst of each element first
        steps = steps.union(_worst_new_steps(new, load_p_mw, top_steps))
    return Plan(
        measures=chosen,
        cost_sek=float(sum(round(m.cost_sek) for m in chosen)),
        fixed=result.passed,
        needed=True,
        remaining=result.violations,
        n_steps=len(steps),
        rounds=rounds,
        load_flows=n_flows,
        ground=ground,
        net=apply_plan(feeder.net, chosen),
    )


def _worst_new_steps(new: pd.Index, load_p_mw: pd.DataFrame, top: int) -> pd.Index:
    """Up to ``top`` of the newly violating steps, those of highest feeder load first."""
    total = load_p_mw.loc[new].sum(axis=1)
    return total.sort_values(ascending=False).index[: max(int(top), 1)]
