"""The ``mobility`` and ``vehicles`` scenario sections match their functions."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from gridv2x.conventions import period_index
from gridv2x.mobility import draw_fleet, seasonal_temperature, sessions_for_fleet
from gridv2x.mobility.vehicles import DEFAULT_FLEET_MIX
from gridv2x.scenario.sections.mobility import SECTION as MOBILITY
from gridv2x.scenario.sections.vehicles import SECTION as VEHICLES


def test_mobility_keys_and_defaults_are_the_function_keywords():
    params = inspect.signature(sessions_for_fleet).parameters
    assert set(MOBILITY.fields) == set(params) - {"fleet", "index", "temperature_c", "rng"}
    for key, value in MOBILITY.defaults().items():
        assert value == params[key].default, key


def test_vehicles_keys_and_defaults_are_the_function_keywords():
    params = inspect.signature(draw_fleet).parameters
    assert set(VEHICLES.fields) == set(params) - {"owners", "rng"}
    defaults = VEHICLES.defaults()
    assert defaults["fleet_mix"] == DEFAULT_FLEET_MIX
    for key in ("share_1ph", "charger_kw_1ph", "charger_kw_3ph"):
        assert defaults[key] == params[key].default


def test_sections_drive_the_functions_as_study_does():
    rng = np.random.default_rng(0)
    owners = pd.DataFrame({"ev_id": ["a-ev1", "b-ev1"], "customer_id": ["a", "b"]})
    fleet = draw_fleet(owners, rng=rng, **VEHICLES.defaults())
    index = period_index("2025-01-06", 3)
    sessions = sessions_for_fleet(
        fleet, index, seasonal_temperature(index), rng=rng, **MOBILITY.defaults()
    )
    assert set(sessions["ev_id"]) == {"a-ev1", "b-ev1"}


def test_validation_reports_unknown_model_and_bounds():
    errors, _ = VEHICLES.validate("vehicles", {"fleet_mix": {"Trabant": 1}, "share_1ph": 2})
    assert {e.path for e in errors} == {"vehicles.fleet_mix", "vehicles.share_1ph"}
    errors, _ = MOBILITY.validate("mobility", {"km_per_year": -1, "commute_share": 0.5})
    assert {e.path for e in errors} == {"mobility.km_per_year", "mobility.commute_share"}
