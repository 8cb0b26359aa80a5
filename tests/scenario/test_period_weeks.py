"""period.representative_weeks and period.week_selection: validated with the key, what was
given and what is allowed; the default (null) leaves a scenario as it was."""

from __future__ import annotations

import pytest

from gridv2x.errors import ScenarioError
from gridv2x.scenario import scenario_from_dict


def _errors(period: dict) -> dict[str, str]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({"name": "x", "period": period})
    return {e.path: str(e) for e in info.value.errors}


def test_default_is_the_whole_period():
    scenario = scenario_from_dict({"name": "x"})
    assert scenario.period["representative_weeks"] is None
    assert scenario.period["week_selection"] == "peak"


@pytest.mark.parametrize("given", [0, -3, 60, "four", 2.5, True])
def test_bad_number_of_weeks_names_key_given_and_allowed(given):
    errors = _errors({"representative_weeks": given})
    message = errors["period.representative_weeks"]
    assert repr(given) in message
    assert "an integer" in message and "or null" in message


def test_more_weeks_than_the_period_touches():
    # 14 days from Tuesday 2030-01-01: 6 days + a whole week + 1 day = 3 calendar weeks
    errors = _errors({"start": "2030-01-01", "days": 14, "representative_weeks": 4})
    message = errors["period.representative_weeks"]
    assert "at most 3" in message and "(given: 4)" in message
    ok = scenario_from_dict(
        {"name": "x", "period": {"start": "2030-01-01", "days": 14, "representative_weeks": 3}}
    )
    assert ok.period["representative_weeks"] == 3


def test_unknown_selection_rule():
    errors = _errors({"representative_weeks": 4, "week_selection": "winter"})
    message = errors["period.week_selection"]
    assert "'winter'" in message and "'peak'" in message and "'spread'" in message


def test_grid_aware_is_refused_with_representative_weeks():
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(
            {
                "name": "x",
                "period": {"representative_weeks": 4},
                "charging": {"grid_aware": True},
            }
        )
    errors = {e.path: str(e) for e in info.value.errors}
    assert "representative_weeks" in errors["charging.grid_aware"]
    scenario_from_dict({"name": "x", "charging": {"grid_aware": True}})  # alone it is fine
