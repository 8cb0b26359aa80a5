"""Grid-aware V1G/V2G (``charging.grid_aware``) on real load flows.

Two built-in feeders where uncontrolled and plain smart charging break a limit of the study
(two winter weeks, the study's own inputs, objective ``price``, which piles charging into the
cheapest hours): the urban apartment block's 200 kVA transformer at 1.5 EVs per household,
and the large villa area's cables and customer voltages (limit 0.95 pu) at 2 EVs per
household. Grid-aware V1G and V2G must bring the violating steps, counted by the
power-grid-model load flow of the schedule the study actually runs, to zero, keep the
mobility guarantee, and keep the transformer peak at or below uncontrolled charging's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x import charging
from gridv2x.charging.grid import GridLimits, grid_limits
from gridv2x.errors import InputError, ScenarioError
from gridv2x.scenario import scenario_from_dict
from gridv2x.study import Study, Task

CASES = {
    "transformer": ("se-urban-apartments", 1.5, {}),
    "voltage_and_cables": ("se-villa-large", 2.0, {"v_min_pu": 0.95}),
}


def _study(feeder, share, limits, grid_aware, days=14):
    return Study(
        scenario_from_dict(
            {
                "name": "grid-aware",
                "study": {"seed": 0},
                "period": {"start": "2030-01-06", "days": days},
                "networks": [{"builtin": feeder}],
                "adoption": {"share": share},
                # chargers without a load guard: the premise is plain charging breaking a limit
                "vehicles": {"load_guard": False},
                "limits": limits,
                # the balanced model on the balanced load flow (the per-phase model on
                # the per-phase load flow: test_grid_aware_phases.py)
                "powerflow": {"asymmetric": False},
                "charging": {
                    "grid_aware": grid_aware,
                    "foresight": "perfect",  # the algorithm's guarantees (forecasts: issue 15)
                    "v1g": {"objective": "price"},
                    "v2g": {"objective": "price"},
                },
            }
        )
    )


def _violating_steps(out, limits) -> dict[str, int]:
    """Steps of the real load flow beyond each limit the grid-aware option covers."""
    ts = out.timeseries
    return {
        "voltage": int((ts["v_min_pu"] < limits["v_min_pu"]).sum()),
        "transformer": int(
            (ts["transformer_loading_pct"] > limits["transformer_loading_pct"]).sum()
        ),
        "line": int((ts["line_max_loading_pct"] > limits["line_loading_pct"]).sum()),
    }


@pytest.fixture(scope="module", params=sorted(CASES))
def runs(request):
    feeder, share, limits = CASES[request.param]
    out = {}
    for grid_aware in (False, True):
        study = _study(feeder, share, limits, grid_aware)
        f = study.feeder(feeder)
        inputs = study.prepare(f, Task(feeder, "uncontrolled", 0))
        strategies = ("uncontrolled", "v1g", "v2g") if not grid_aware else ("v1g", "v2g")
        for strategy in strategies:
            name = strategy if not grid_aware else f"{strategy}-grid"
            out[name] = study.simulate(f, Task(feeder, strategy, 0), inputs)
    return request.param, out, study.scenario.section("limits")


def test_plain_charging_breaks_a_limit(runs):
    """The cases are real: uncontrolled and plain v1g/v2g violate, so the next test can fail."""
    case, out, limits = runs
    kind = {"transformer": "transformer", "voltage_and_cables": "voltage"}[case]
    for strategy in ("uncontrolled", "v1g", "v2g"):
        assert _violating_steps(out[strategy], limits)[kind] > 0, strategy


def test_grid_aware_has_no_violating_step_in_the_real_load_flow(runs):
    _case, out, limits = runs
    for strategy in ("v1g-grid", "v2g-grid"):
        steps = _violating_steps(out[strategy], limits)
        assert steps == {"voltage": 0, "transformer": 0, "line": 0}, (strategy, steps)
        summary = out[strategy].summary
        assert not summary["violates_voltage"]
        assert not summary["violates_transformer_loading"]
        assert not summary["violates_line_loading"]
        assert summary["converged_share"] == 1.0


def test_grid_aware_keeps_the_mobility_guarantee_and_peak(runs):
    case, out, _limits = runs
    reference = out["uncontrolled"].summary
    if case == "voltage_and_cables":  # (the apartment case has a trip longer than its window)
        assert reference["ev_unmet_kwh"] == 0.0
    for strategy in ("v1g-grid", "v2g-grid"):
        summary = out[strategy].summary
        # unmet and shortfall are what the plug-in windows force on every strategy alike
        assert summary["ev_unmet_kwh"] == pytest.approx(reference["ev_unmet_kwh"], abs=1e-6)
        assert summary["ev_shortfall_kwh"] == pytest.approx(reference["ev_shortfall_kwh"], abs=1e-6)
        assert summary["transformer_peak_kw"] <= reference["transformer_peak_kw"] + 1e-6

        # the same net energy reaches the batteries (= driving + change of stored energy),
        def stored(s):
            return s["ev_charged_kwh"] - s["ev_discharged_kwh"] - s["ev_losses_kwh"]

        plain = out[strategy.split("-")[0]].summary
        # up to what the last night defers past the end of the period (the schedules look
        # past the end and may split it differently): at most one battery per EV
        last_night = out[strategy].evs["battery_kwh"].sum()
        assert abs(stored(summary) - stored(plain)) <= last_night
        assert summary["ev_driving_kwh"] == pytest.approx(plain["ev_driving_kwh"], rel=1e-9)


@pytest.fixture(scope="module")
def small_case():
    study = _study("se-villa-large", 2.0, {"v_min_pu": 0.95}, True, days=3)
    feeder = study.feeder("se-villa-large")
    inputs = study.prepare(feeder, Task("se-villa-large", "v1g", 0))
    grid = grid_limits(
        feeder,
        inputs.base_p_kw,
        inputs.base_q_kvar,
        inputs.fleet,
        limits=study.scenario.section("limits"),
    )
    return study, feeder, inputs, grid


def test_grid_limits_match_a_load_flow_with_ev_power(small_case):
    """The linear model's predicted use of each limit is within 5 % of the real load flow's
    for a moderate EV load (every EV at 1 kW at the heaviest and the lightest steps; the error
    grows with the load, ~11 % at 3 kW per EV, which the schedule's load-flow check corrects)."""
    study, _feeder, inputs, grid = small_case
    assert isinstance(grid, GridLimits)
    assert set(grid.constraints["kind"]) == {"voltage", "transformer", "line"}
    assert (grid.sensitivity.to_numpy() >= 0).all()
    base = inputs.base_p_kw.sum(axis=1).to_numpy()
    steps = np.r_[np.argsort(base)[-8:], np.argsort(base)[:8]]
    power = np.full((len(steps), len(inputs.fleet)), 1.0)
    real = grid.load_flow(steps, power)
    predicted = power @ grid.sensitivity.to_numpy().T
    used = predicted > 1e-3 * np.abs(predicted).max(axis=0)
    assert np.allclose(real[used], predicted[used], rtol=0.05)


def test_grid_aware_false_is_the_plain_schedule(small_case):
    study, _feeder, inputs, grid = small_case
    options = study.scenario.section("charging")
    options.pop("strategies")
    options["grid_aware"] = False
    base = inputs.base_p_kw.sum(axis=1)
    args = (inputs.sessions, inputs.fleet, study.index, base)
    for strategy in ("v1g", "v2g"):
        plain = charging.schedule(strategy, *args, **options)
        with_grid = charging.schedule(strategy, *args, grid=grid, **options)
        pd.testing.assert_frame_equal(plain.power_kw, with_grid.power_kw)
        options_default = {k: v for k, v in options.items() if k != "grid_aware"}
        default = charging.schedule(strategy, *args, **options_default)
        pd.testing.assert_frame_equal(plain.power_kw, default.power_kw)


def test_grid_aware_uncontrolled_is_uncontrolled(small_case):
    study, _feeder, inputs, grid = small_case
    args = (inputs.sessions, inputs.fleet, study.index, inputs.base_p_kw.sum(axis=1))
    plain = charging.schedule("uncontrolled", *args)
    aware = charging.schedule("uncontrolled", *args, grid_aware=True, grid=grid)
    pd.testing.assert_frame_equal(plain.power_kw, aware.power_kw)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_grid_aware_must_be_a_boolean(value):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({"name": "x", "charging": {"grid_aware": value}})
    assert "charging.grid_aware" in str(info.value)


def test_schedule_rejects_bad_grid_input(small_case):
    study, _feeder, inputs, grid = small_case
    args = (inputs.sessions, inputs.fleet, study.index, inputs.base_p_kw.sum(axis=1))
    with pytest.raises(InputError, match="charging.grid_aware: must be true or false"):
        charging.schedule("v1g", *args, grid_aware="yes", grid=grid)
    with pytest.raises(InputError, match="charging.grid_aware: needs the feeder's grid limits"):
        charging.schedule("v1g", *args, grid_aware=True)
    with pytest.raises(InputError, match="charging grid: must be GridLimits"):
        charging.schedule("v1g", *args, grid_aware=True, grid={"room": 1})
