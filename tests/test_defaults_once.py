"""Every scenario default exists once: the section, the function it configures and the shipped
``defaults.yaml`` (and ``gridv2x defaults``) agree.

A section's keys are the keyword arguments of the domain function it configures
(docs/architecture.md, "Scenario sections"). For each key the function's keyword default must be
the section's default; a nested section or a mapping may default to ``None`` in the signature,
meaning "the section's default" (the function resolves it through the section or through the
same module constant the section is declared with).
"""

from __future__ import annotations

import inspect

import pytest
import yaml
from click.testing import CliRunner

from gridv2x import adoption, charging, demand, mobility, powerflow
from gridv2x.cli import main
from gridv2x.options import Section
from gridv2x.scenario import schema
from gridv2x.scenario.defaults import DEFAULTS_FILE, defaults_yaml

CONFIGURES = {
    "climate": demand.outdoor_temperature,
    "demand": demand.base_load,
    "adoption": adoption.allocate_evs,
    "vehicles": mobility.draw_fleet,
    "mobility": mobility.sessions_for_fleet,
    "charging": charging.schedule,
    "powerflow": powerflow.run_timeseries,
}
"""Section -> the function whose keyword arguments its keys are."""

NOT_ARGUMENTS = {("charging", "strategies"), ("vehicles", "load_guard")}
"""Keys the study uses itself (one ``schedule`` call per strategy) or passes to another stage
(``vehicles.load_guard`` is read by the charging stage, not ``draw_fleet``)."""

ENGINE_DEFAULTS = {
    ("powerflow", "slack_vm_pu"): None,
    ("powerflow", "error_tolerance_pu"): 1e-8,
    ("powerflow", "asymmetric"): False,
}
"""Keys where the load-flow engine deliberately differs: called from Python it keeps the
network's own slack voltage, solves to reference precision and takes balanced load frames
(per-phase frames have (load, phase) columns, so the caller says ``asymmetric=True``); a study
uses the scenario's planning values (Swedish slack practice, a 1e-5 pu tolerance, per phase:
docs of the powerflow section)."""


def _cases():
    for name, function in CONFIGURES.items():
        section = schema.SCHEMA[name]
        assert isinstance(section, Section)
        for key, spec in section.fields.items():
            yield pytest.param(name, key, spec, function, id=f"{name}.{key}")


@pytest.mark.parametrize(("name", "key", "spec", "function"), list(_cases()))
def test_signature_default_is_the_section_default(name, key, spec, function):
    if (name, key) in NOT_ARGUMENTS:
        assert key not in inspect.signature(function).parameters
        return
    parameter = inspect.signature(function).parameters.get(key)
    assert parameter is not None, f"{name}.{key} is no keyword argument of {function.__name__}"
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    default = parameter.default
    if (name, key) in ENGINE_DEFAULTS:
        assert default == ENGINE_DEFAULTS[name, key]
        return
    if isinstance(spec, Section):
        assert default is None or default == spec.defaults()
        return
    if spec.type in (dict, list):
        assert default is None or default == spec.default
        return
    assert default == spec.default, (
        f"{function.__name__}({key}={default!r}) but the {name} section says {spec.default!r}"
    )


def test_resolving_nested_options_gives_the_section_defaults():
    """``schedule(v2g=None)`` and friends resolve through the section (no second dict)."""
    section = schema.SCHEMA["charging"]
    resolved = section.resolve("charging", {})
    assert resolved == section.defaults()
    # null efficiency and discharge power: the charger technology's (charging/chargers.py)
    assert resolved["v2g"]["round_trip_efficiency"] is None
    tech = charging.CHARGERS[resolved["v2g"]["charger"]]
    filled = charging.with_technology(resolved["v2g"])
    assert filled["round_trip_efficiency"] == tech.round_trip_efficiency
    assert filled["max_discharge_kw"] == tech.max_discharge_kw


def test_shipped_defaults_file_and_cli_agree_with_the_sections():
    shipped = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    assert shipped == schema.defaults()
    printed = CliRunner().invoke(main, ["defaults"])
    assert printed.exit_code == 0
    assert printed.output.rstrip("\n") == defaults_yaml().rstrip("\n")
    for name in CONFIGURES:
        assert shipped[name] == schema.SCHEMA[name].defaults()


def test_report_limits_are_the_limits_section():
    from gridv2x.metrics.limits import SECTION
    from gridv2x.report.load import DEFAULT_LIMITS

    assert DEFAULT_LIMITS == SECTION.defaults()


def test_a_bound_is_checked_once_for_python_and_scenario_callers():
    """The same section bound rejects a bad value from Python and from a scenario."""
    from gridv2x.errors import InputError
    from gridv2x.scenario import scenario_from_dict

    with pytest.raises(InputError, match=r"mobility\.commuter_share: must be a number between"):
        mobility.synthesize_sessions(2, "2025-01-01", 1, commuter_share=1.5)
    with pytest.raises(InputError, match=r"mobility\.commuter_share: must be a number between"):
        scenario_from_dict({"mobility": {"commuter_share": 1.5}})
