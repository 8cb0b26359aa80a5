"""Reinforcement plans on the built-in feeders: fixed in a fresh load flow, no dearer than any
single measure that also fixes the feeder, cost non-decreasing with EV share, V1G/V2G no dearer
than uncontrolled charging."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from gridv2x.metrics.summary import resolve_limits
from gridv2x.network import list_builtin
from gridv2x.powerflow import TimeseriesEngine
from gridv2x.reinforcement import (
    CostCatalogue,
    apply_measure,
    apply_plan,
    candidate_measures,
    check,
)
from gridv2x.scenario import scenario_from_dict
from gridv2x.study import Study

STRESS_LIMITS = {"transformer_loading_pct": 45.0, "line_loading_pct": 45.0, "v_min_pu": 0.96}
"""Tighter limits than the defaults, so that every built-in feeder violates at a share
within the tested range over one winter week (the plan's physics is the same)."""


class RecordingStudy(Study):
    """A Study that keeps what the reinforcement stage was given and returned."""

    def _reinforce(self, feeder, load_p_mw, load_q_mvar, pf):
        plan = super()._reinforce(feeder, load_p_mw, load_q_mvar, pf)
        self.recorded = (load_p_mw, load_q_mvar, plan)
        return plan


def _study(feeder: str, shares, strategies=("uncontrolled",), days=7, limits=STRESS_LIMITS):
    scenario = scenario_from_dict(
        {
            "name": "reinforce",
            "study": {"kind": "hosting_capacity", "ev_shares": list(shares), "seeds": 1},
            "period": {"start": "2030-01-14", "days": days},
            "networks": [{"builtin": feeder}],
            "charging": {"strategies": list(strategies)},
            # the premise, as verified when the planner was built: chargers without a load
            # guard and the balanced load flow (the per-phase defaults: see the last test)
            "vehicles": {"load_guard": False},
            "powerflow": {"asymmetric": False},
            "limits": dict(limits),
        }
    )
    return RecordingStudy(scenario, powerflow_threads=0)


def _fresh(net, load_p, load_q):
    """A fresh load flow of the task's own inputs (per phase when they are, the default)."""
    asymmetric = isinstance(load_p.columns, pd.MultiIndex)
    return TimeseriesEngine(net, asymmetric=asymmetric, threads=0).run(load_p, load_q)


@pytest.mark.slow
@pytest.mark.parametrize("name", list_builtin())
def test_plan_fixes_every_builtin_feeder_and_beats_every_single_measure(name):
    study = _study(name, [2.0])
    feeder = study.feeder(name)
    task = study.tasks()[0]
    out = study.simulate(feeder, task, study.prepare(feeder, task))
    load_p, load_q, plan = study.recorded
    assert out.summary["violation"], f"{name} should violate the stress limits"
    assert plan.needed and plan.fixed, plan.remaining
    limits = resolve_limits(study.scenario.section("limits"))
    buses = list(feeder.customers["bus"])
    # a fresh load flow of the same task on the reinforced feeder passes every criterion
    reinforced = apply_plan(feeder.net, plan.measures)
    assert check(_fresh(reinforced, load_p, load_q), buses, limits).passed
    # the unreinforced feeder does not
    before = check(_fresh(feeder.net, load_p, load_q), buses, limits)
    assert not before.passed
    # no single candidate measure that fixes it on its own (whole period) is cheaper
    for measure in candidate_measures(feeder.net, before, limits, CostCatalogue(), plan.ground):
        net = copy.deepcopy(feeder.net)
        apply_measure(net, measure)
        if check(_fresh(net, load_p, load_q), buses, limits).passed:
            assert plan.cost_sek <= round(measure.cost_sek) + 1, (measure, plan.measures)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["se-urban-apartments", "se-villa-large", "se-rural-overhead"])
def test_cost_non_decreasing_with_share_and_flex_no_dearer(name):
    study = _study(name, [1.0, 1.5, 2.0], strategies=("uncontrolled", "v1g", "v2g"))
    feeder = study.feeder(name)
    cost: dict[tuple[str, float], float] = {}
    inputs = {}
    for task in study.tasks():
        key = task.inputs_key
        if key not in inputs:
            inputs = {key: study.prepare(feeder, task)}
        out = study.simulate(feeder, task, inputs[key])
        assert out.summary["reinforcement_fixed"]
        cost[(task.strategy, task.ev_share)] = out.summary["reinforcement_cost_sek"]
    for strategy in ("uncontrolled", "v1g", "v2g"):
        series = [cost[(strategy, s)] for s in (1.0, 1.5, 2.0)]
        assert np.all(np.diff(series) >= 0), (strategy, series)
    for share in (1.0, 1.5, 2.0):
        assert cost[("v1g", share)] <= cost[("uncontrolled", share)], cost
        assert cost[("v2g", share)] <= cost[("uncontrolled", share)], cost
    assert cost[("uncontrolled", 2.0)] > 0


def _per_phase_study(feeder: str, shares, limits=STRESS_LIMITS):
    """The shipped defaults (per-phase load flow, chargers behind a load guard), stress limits."""
    scenario = scenario_from_dict(
        {
            "name": "reinforce-per-phase",
            "study": {"kind": "hosting_capacity", "ev_shares": list(shares), "seeds": 1},
            "period": {"start": "2030-01-14", "days": 7},
            "networks": [{"builtin": feeder}],
            "charging": {"strategies": ["uncontrolled"]},
            "limits": dict(limits),
        }
    )
    return RecordingStudy(scenario, powerflow_threads=0)


@pytest.mark.parametrize("name", ["se-villa-small", "se-rural-overhead"])
def test_plan_fixes_the_per_phase_violation_under_the_defaults(name):
    study = _per_phase_study(name, [1.5])
    assert study.scenario["powerflow"]["asymmetric"] is True  # the default under test
    feeder = study.feeder(name)
    task = study.tasks()[0]
    out = study.simulate(feeder, task, study.prepare(feeder, task))
    load_p, load_q, plan = study.recorded
    assert isinstance(load_p.columns, pd.MultiIndex)  # the planner was given per-phase loads
    assert out.summary["violation"], f"{name} should violate the stress limits per phase"
    assert plan.needed and plan.fixed and plan.measures, plan.remaining
    limits = resolve_limits(study.scenario.section("limits"))
    buses = list(feeder.customers["bus"])
    # fresh per-phase load flows with the other engine (power-grid-model; the planner's
    # trials ran on the radial engine): the feeder violates, the reinforced one does not
    before = _fresh(feeder.net, load_p, load_q)
    assert before.vm_a_pu is not None  # per phase
    assert not check(before, buses, limits).passed
    after = _fresh(apply_plan(feeder.net, plan.measures), load_p, load_q)
    assert after.vm_a_pu is not None and after.converged.all()
    assert check(after, buses, limits).passed


@pytest.mark.slow
@pytest.mark.parametrize("asymmetric", [True, False])
def test_engine_updates_give_the_plan_of_engines_built_per_trial(monkeypatch, asymmetric):
    """The search's trials update the feeder's engine for cable measures
    (:meth:`RadialEngine.with_branch_parameters`) instead of building one per trial: the same
    plan, measure by measure, cost and checks."""
    from gridv2x.powerflow import RadialEngine
    from gridv2x.reinforcement import plan_reinforcement
    from gridv2x.reinforcement.trials import TrialFlows

    study = (
        _per_phase_study("se-villa-large", [2.0]) if asymmetric else _study("se-villa-large", [2.0])
    )
    feeder = study.feeder("se-villa-large")
    task = study.tasks()[0]
    study.simulate(feeder, task, study.prepare(feeder, task))
    load_p, load_q, plan = study.recorded
    updates = []
    original = RadialEngine.with_branch_parameters
    monkeypatch.setattr(
        RadialEngine,
        "with_branch_parameters",
        lambda self, lines: updates.append(lines) or original(self, lines),
    )
    options = {"asymmetric": asymmetric, "threads": 0}
    limits = resolve_limits(study.scenario.section("limits"))
    updated = plan_reinforcement(feeder, load_p, load_q, limits=limits, powerflow_options=options)
    assert updates and updated.measures, "cable trials should have updated the engine"
    monkeypatch.setattr(TrialFlows, "rebuild_every_trial", True)
    n_updates = len(updates)
    rebuilt = plan_reinforcement(feeder, load_p, load_q, limits=limits, powerflow_options=options)
    assert len(updates) == n_updates  # none this time
    assert updated.measures == rebuilt.measures
    assert updated.table().equals(rebuilt.table())
    assert (updated.cost_sek, updated.fixed, updated.remaining, updated.n_steps) == (
        rebuilt.cost_sek,
        rebuilt.fixed,
        rebuilt.remaining,
        rebuilt.n_steps,
    )
