"""The ``mobility`` and ``vehicles`` scenario sections match their functions."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from gridv2x.conventions import period_index
from gridv2x.errors import InputError
from gridv2x.mobility import draw_fleet, seasonal_temperature, sessions_for_fleet
from gridv2x.mobility.options import SECTION as MOBILITY
from gridv2x.mobility.vehicle_options import SECTION as VEHICLES
from gridv2x.mobility.vehicle_options import cross_check
from gridv2x.mobility.vehicles import DEFAULT_FLEET_MIX


def test_mobility_keys_and_defaults_are_the_function_keywords():
    params = inspect.signature(sessions_for_fleet).parameters
    assert set(MOBILITY.fields) == set(params) - {"fleet", "index", "temperature_c", "rng"}
    for key, value in MOBILITY.defaults().items():
        assert value == params[key].default, key


def test_vehicles_keys_and_defaults_are_the_function_keywords():
    params = inspect.signature(draw_fleet).parameters
    # load_guard configures the chargers' load guard, read by the charging stage (issue 15)
    assert set(VEHICLES.fields) - {"load_guard"} == set(params) - {"owners", "rng"}
    defaults = VEHICLES.defaults()
    assert defaults["fleet_mix"] == DEFAULT_FLEET_MIX
    for key in ("share_1ph", "charger_kw_1ph", "charger_kw_3ph"):
        assert defaults[key] == params[key].default


def test_sections_drive_the_functions_as_study_does():
    rng = np.random.default_rng(0)
    owners = pd.DataFrame({"ev_id": ["a-ev1", "b-ev1"], "customer_id": ["a", "b"]})
    vehicles = VEHICLES.defaults()
    vehicles.pop("load_guard")  # as the study does: the charging stage reads it
    fleet = draw_fleet(owners, rng=rng, **vehicles)
    index = period_index("2025-01-06", 3)
    sessions = sessions_for_fleet(
        fleet, index, seasonal_temperature(index), rng=rng, **MOBILITY.defaults()
    )
    assert set(sessions["ev_id"]) == {"a-ev1", "b-ev1"}


def test_validation_reports_unknown_model_and_bounds():
    errors, resolved = VEHICLES.validate(
        "vehicles", {"fleet_mix": {"Trabant": 1, "Volvo EX30": -1}, "share_1ph": 2}
    )
    assert {e.path for e in errors} == {"vehicles.fleet_mix", "vehicles.share_1ph"}
    # models named in fleet_mix must be built in or defined under `models`
    errors = cross_check({"fleet_mix": {"Trabant": 1}, "models": {}})
    assert [e.path for e in errors] == ["vehicles.fleet_mix"] and "Trabant" in errors[0].message
    assert cross_check({"fleet_mix": {"Trabant": 1}, "models": {"Trabant": {}}}) == []
    errors, _ = VEHICLES.validate("vehicles", {"models": {"Van": {"battery_kwh": 50}}})
    assert [e.path for e in errors] == ["vehicles.models"] and "kwh_per_km" in errors[0].message


def test_custom_vehicle_models_drive_the_fleet():
    van = {"battery_kwh": 50.0, "kwh_per_km": 0.25, "max_ac_kw": 7.4, "ac_phases": 1}
    owners = pd.DataFrame({"ev_id": [f"e{i}" for i in range(50)], "customer_id": "c"})
    fleet = draw_fleet(
        owners,
        rng=np.random.default_rng(0),
        fleet_mix={"Van": 1.0},
        models={"Van": van},
        share_1ph=0.0,
    )
    assert (fleet["model"] == "Van").all() and (fleet["battery_kwh"] == 50.0).all()
    assert (fleet["phases"] == 1).all()
    np.testing.assert_allclose(fleet["charger_kw"], 11.0 / 3)  # one phase of a 3 × 16 A box
    with pytest.raises(InputError, match="vehicles.models.Van.ac_phases"):
        draw_fleet(owners, rng=np.random.default_rng(0), models={"Van": {**van, "ac_phases": 2}})
    errors, _ = MOBILITY.validate("mobility", {"km_per_year": -1, "commute_share": 0.5})
    assert {e.path for e in errors} == {"mobility.km_per_year", "mobility.commute_share"}
