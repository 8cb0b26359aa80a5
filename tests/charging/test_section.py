"""The scenario section ``charging`` matches the keyword arguments of ``schedule``."""

from __future__ import annotations

import inspect

from gridv2x.charging import schedule
from gridv2x.charging.options import SECTION

from .inputs import make_case


def test_keys_are_schedule_keywords_with_same_defaults():
    params = inspect.signature(schedule).parameters
    defaults = SECTION.defaults()
    assert defaults.pop("strategies") == ["uncontrolled", "v1g", "v2g"]
    for key, value in defaults.items():
        assert key in params and params[key].kind is inspect.Parameter.KEYWORD_ONLY, key
        if key in ("v1g", "v2g", "battery", "power_tariff"):
            # nested options default to None: schedule resolves them through the section
            assert params[key].default is None
            assert SECTION.resolve("charging", {key: None})[key] == value
        else:
            assert params[key].default == value, key


def test_validation_collects_errors_and_defaults_run():
    errors, _ = SECTION.validate(
        "charging", {"strategies": ["v1g", "v9g"], "v2g": {"reserve_soc": 2}, "typo": 1}
    )
    paths = {e.path for e in errors}
    assert {"charging.strategies[1]", "charging.v2g.reserve_soc", "charging.typo"} <= paths
    errors, resolved = SECTION.validate(
        "charging",
        {"v2g": {"objective": "price"}, "power_tariff": {"sek_per_kw_month": 50, "hours": [7, 19]}},
    )
    assert errors == []
    strategies = resolved.pop("strategies")
    sessions, fleet, index, base = make_case(4, 2, 0)
    for s in strategies:
        r = schedule(s, sessions, fleet, index, base, **resolved)
        assert r.per_ev["unmet_kwh"].sum() >= 0
