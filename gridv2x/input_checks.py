"""Every input file of a study checked for content before any work starts (one code path).

``gridv2x validate`` and :func:`gridv2x.run` (before its first task, before anything is
written) both call :func:`check_inputs`, so a scenario that validates is one the run does not
trip over on its input. The checks read each file with the very reader the run uses (the
readers refuse bad content with an :class:`~gridv2x.errors.InputError` naming the file), and
collect every problem instead of stopping at the first:

* ``climate.temperature_file``: :func:`gridv2x.demand.read_temperature` (columns, times,
  values in °C, gaps, coverage of the period);
* ``charging.price_file``: :func:`gridv2x.charging.read_prices` (duplicated times, coverage);
* ``adoption.areas``: :func:`gridv2x.adoption.read_areas` (CRS, polygons, shares) and the
  join of every feeder's customers to it;
* every ``networks`` entry: read as the run reads it (with the scenario's slack voltage and
  tap position applied), then :func:`gridv2x.network.check_feeder` (customers, topology,
  self-loops, line and transformer parameters, tap range);
* ``demand.metered_file``: :func:`gridv2x.demand.read_metered` for every feeder's customers.

A reader that fails in an unforeseen way is reported as a problem of its key (the exception's
kind, never the file's content), not as a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from gridv2x.errors import InputError
from gridv2x.options import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from gridv2x.study import Study

__all__ = ["check_inputs"]


def _attempt(
    key: str, errors: list[ValidationError], read: Callable[[], Any], label: str = ""
) -> Any:
    """Call ``read``; on failure add a problem of ``key`` (``label`` first) and return None."""
    head = f"{label}: " if label else ""
    try:
        return read()
    except InputError as exc:
        message = str(exc).removeprefix(f"{key}: ")
        errors.append(ValidationError(key, head + message))
    except (MemoryError, RecursionError, OverflowError, ValueError, TypeError, KeyError) as exc:
        errors.append(
            ValidationError(key, f"{head}cannot be read ({type(exc).__name__}); check its content")
        )
    return None


def check_inputs(study: Study) -> list[ValidationError]:
    """Every problem of the study's input files and feeders (empty when all are usable).

    Parameters
    ----------
    study : gridv2x.study.Study
        A study of a validated scenario.

    Returns
    -------
    list of ValidationError
        One entry per problem, each naming the scenario key (and the file, element or row).
    """
    from gridv2x.adoption import read_areas
    from gridv2x.adoption.areas import areas_of_customers
    from gridv2x.charging import read_prices
    from gridv2x.demand import read_metered
    from gridv2x.demand.weather import read_temperature
    from gridv2x.network import check_feeder

    scenario = study.scenario
    index = study.index
    errors: list[ValidationError] = []
    temperature_file = scenario["climate"].get("temperature_file")
    if temperature_file:
        _attempt(
            "climate.temperature_file", errors, lambda: read_temperature(temperature_file, index)
        )
    price_file = scenario["charging"].get("price_file")
    if price_file:
        _attempt("charging.price_file", errors, lambda: read_prices(price_file, index))
    areas_file = scenario["adoption"].get("areas")
    areas = (
        _attempt("adoption.areas", errors, lambda: read_areas(areas_file)) if areas_file else None
    )
    demand = scenario["demand"]
    for i, name in enumerate(study.feeder_names):
        key = f"networks[{i}]"
        feeder = _attempt(key, errors, partial(study.feeder, name))
        if feeder is None:
            continue
        tap_set = scenario["powerflow"].get("trafo_tap_pos") is not None
        for problem in check_feeder(feeder):
            if problem.is_error:
                where = (
                    "powerflow.trafo_tap_pos" if tap_set and problem.code == "tap_position" else key
                )
                errors.append(ValidationError(where, f"{name}: {problem}"))
        if areas is not None:
            _attempt(
                "adoption.areas",
                errors,
                partial(areas_of_customers, feeder.customers, areas, source=str(areas_file)),
            )
        if demand.get("model") == "metered":
            _attempt(
                "demand.metered_file",
                errors,
                partial(
                    read_metered,
                    demand["metered_file"],
                    feeder.customers,
                    index,
                    unit=demand["metered_unit"],
                    meter_customers=demand.get("meter_customers"),
                ),
                label=name,
            )
        if demand.get("model") == "profiles" and feeder.base_profiles is None:
            errors.append(
                ValidationError(
                    "demand.model",
                    f"'profiles' needs load profiles shipped with the feeder, and {name} "
                    f"({key}) has none; use a SimBench feeder, or model 'synthetic' or "
                    "'metered'",
                    "profiles",
                )
            )
    return _unique(errors)


def _unique(errors: list[ValidationError]) -> list[ValidationError]:
    """Drop repeated problems (the same area or meter file refused for each feeder)."""
    seen = set()
    out = []
    for error in errors:
        marker = (error.path, error.message)
        if marker not in seen:
            seen.add(marker)
            out.append(error)
    return out
