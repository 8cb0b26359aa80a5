"""Scenario section ``limits``: every limit that decides a violation.

The keys are read by :func:`gridv2x.metrics.summarize` (``limits=scenario["limits"]``) and by the
hosting-capacity statistics. Defaults come from ``docs/sources.md §3`` (voltage quality, EN 50160 and
EIFS 2013:1 / EIFS 2023:3) and ``docs/sources.md §7`` (suggested defaults).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridv2x.errors import InputError
from gridv2x.options import Field, Section

__all__ = ["SECTION", "CRITERIA", "VOLTAGE_RULES", "resolve_limits"]

CRITERIA = ("voltage", "transformer_loading", "line_loading", "unbalance", "fuse", "convergence")
"""Violation criteria a study can count for hosting capacity."""

VOLTAGE_RULES = ("swedish", "en50160")
"""Which voltage rule decides the ``voltage`` criterion."""


def _check_window(value: Any) -> str | None:
    import pandas as pd

    try:
        delta = pd.Timedelta(value)
    except (ValueError, TypeError):
        return "must be a duration such as '10min'"
    if delta <= pd.Timedelta(0):
        return "must be a positive duration such as '10min'"
    return None


def _check_criteria(value: list) -> str | None:
    if len(value) != len(set(value)):
        return "must not list a criterion twice"
    return None


SECTION = Section(
    doc=(
        "Limits that decide a violation: voltage band, EN 50160 statistic, loading, unbalance, "
        "main fuse, and which criteria count for hosting capacity (docs/sources.md §3, §7)."
    ),
    fields={
        "v_min_pu": Field(
            0.90,
            float,
            "Lowest allowed 10-minute mean phase-to-neutral voltage at a customer [pu of 230 V]; "
            "-10 % as EN 50160 and EIFS 2023:3 (docs/sources.md §3, §7).",
            min=0.5,
            max=1.0,
        ),
        "v_max_pu": Field(
            1.10,
            float,
            "Highest allowed 10-minute mean phase-to-neutral voltage at a customer [pu of 230 V]; "
            "+10 % as EN 50160 and EIFS 2023:3 (docs/sources.md §3, §7).",
            min=1.0,
            max=1.5,
        ),
        "en50160_share": Field(
            0.95,
            float,
            "EN 50160 statistic: share of the 10-minute means of each calendar week that must lie "
            "within [v_min_pu, v_max_pu] [-]; 0.95 as EN 50160:2022 (docs/sources.md §3).",
            min=0.0,
            max=1.0,
        ),
        "en50160_v_min_all_pu": Field(
            0.85,
            float,
            "EN 50160's second condition: every 10-minute mean at or above this voltage (and at "
            "or below v_max_pu) [pu]; Un -15 % for LV networks (EN 50160:2022, docs/sources.md §3).",
            min=0.5,
            max=1.0,
        ),
        "en50160_window": Field(
            "10min",
            str,
            "Averaging window of the voltage rules [duration]; 10 minutes as EN 50160 and EIFS "
            "(docs/sources.md §3). Data finer than the window is averaged to it; coarser data (15-minute "
            "steps, the default resolution) is used as it is, one value per step.",
            check=_check_window,
        ),
        "voltage_rule": Field(
            "swedish",
            str,
            "Which rule decides the 'voltage' criterion: 'swedish' (EIFS 2023:3: every 10-minute "
            "mean within the band) or 'en50160' (95 % of each week within the band). Both are "
            "always reported (docs/sources.md §3: toolkit default is the Swedish rule).",
            choices=VOLTAGE_RULES,
        ),
        "planning_v_min_pu": Field(
            0.92,
            float,
            "Lower edge of the DSO planning voltage band shown in the report [pu]; a design "
            "margin, not a violation (docs/sources.md §1.4, §3, Hartvigsson).",
            min=0.5,
            max=1.0,
        ),
        "planning_v_max_pu": Field(
            1.06,
            float,
            "Upper edge of the DSO planning voltage band shown in the report [pu]; a design "
            "margin, not a violation (docs/sources.md §1.4, §3, Hartvigsson).",
            min=1.0,
            max=1.5,
        ),
        "unbalance_pct": Field(
            2.0,
            float,
            "Highest allowed voltage unbalance factor (negative / positive sequence) of a "
            "10-minute value [%]; 2 % as EN 50160 and EIFS (docs/sources.md §3, §7).",
            min=0.0,
            max=100.0,
        ),
        "line_loading_pct": Field(
            100.0,
            float,
            "Highest allowed cable/line loading [% of its thermal rating].",
            min=0.0,
            max=1000.0,
        ),
        "transformer_loading_pct": Field(
            100.0,
            float,
            "Highest allowed secondary-substation transformer loading [% of rated kVA].",
            min=0.0,
            max=1000.0,
        ),
        "fuse_loading_pct": Field(
            100.0,
            float,
            "Main-fuse check: highest allowed phase current of a customer [% of the fuse rating, "
            "docs/sources.md §1.5]. A step mean above 100 % is an overload indication, not a trip.",
            min=0.0,
            max=1000.0,
        ),
        "criteria": Field(
            ["voltage", "transformer_loading", "line_loading", "unbalance", "convergence"],
            list,
            "Violation criteria that count for hosting capacity, from 'voltage', "
            "'transformer_loading', 'line_loading', 'unbalance', 'fuse', 'convergence' (a load "
            "flow step that did not converge). The main fuse is left out by default: it belongs "
            "to the customer's installation, and EV chargers are load-guarded against it. "
            "Unbalance only counts for unbalanced (asymmetric) load flows.",
            items=str,
            choices=CRITERIA,
            check=_check_criteria,
        ),
    },
)
"""The ``limits`` section of a scenario."""


def resolve_limits(limits: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a ``limits`` section and fill in its defaults.

    Parameters
    ----------
    limits : mapping or None
        The scenario's ``limits`` section (possibly partial); None gives all defaults.

    Returns
    -------
    dict
        Every key of ``gridv2x.metrics.limits.SECTION`` with its value.

    Raises
    ------
    InputError
        Listing every invalid or unknown key at once.

    References
    ----------
    .. [1] docs/sources.md §3, §7 (the defaults).
    """
    errors, resolved = SECTION.validate("limits", dict(limits or {}))
    problems = [str(e) for e in errors]
    if not problems and resolved["v_min_pu"] >= resolved["v_max_pu"]:
        problems = ["limits.v_min_pu must be below limits.v_max_pu"]
    if problems:
        raise InputError("invalid limits:\n" + "\n".join(f"  - {e}" for e in problems))
    return resolved
