"""Building blocks of the scenario schema: :class:`Field` and :class:`Section`.

A scenario section is declared once, as a :class:`Section` of :class:`Field` objects. The
declaration carries the default, the allowed values and the documentation of every key, so that

* defaults are resolved from it (``Section.defaults()``),
* a scenario is validated against it (errors collected, never raised one by one),
* the shipped ``defaults.yaml`` and the reference documentation are generated from it, and a
  test keeps them in sync.

Each domain package owns the section that configures it (``gridv2x/charging/options.py``,
``gridv2x/metrics/limits.py``, ...); the keys of a section are the keyword arguments of the
function it configures, so that ``Study`` can call ``function(..., **scenario.section)``.
:mod:`gridv2x.scenario.schema` only assembles the sections. This module is a leaf: it imports
nothing from gridv2x, so every package can declare its section without an import cycle.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gridv2x.calendar import START_YEARS
from gridv2x.errors import InputError

__all__ = ["Field", "Section", "ValidationError", "MISSING"]


class _Missing:
    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return "MISSING"


MISSING: Any = _Missing()
"""Marker for a key without a default (the user must give it)."""


@dataclass(frozen=True)
class ValidationError:
    """One problem found in a scenario.

    Attributes
    ----------
    path : str
        Key path in the scenario, e.g. ``charging.v2g.reserve_soc`` or ``networks[1].gis``.
    message : str
        What is wrong and what is allowed.
    given : Any
        The value that was given (``MISSING`` when a required key is absent).
    """

    path: str
    message: str
    given: Any = MISSING

    def __str__(self) -> str:
        if self.given is MISSING:
            return f"{self.path}: {self.message}"
        return f"{self.path}: {self.message} (given: {self.given!r})"


_TYPE_NAMES = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a text",
    list: "a list",
    dict: "a mapping",
    "path": "a file path",
    "date": "a date YYYY-MM-DD in the years 1900..2200",
    "any": "any value",
}


DATE_YEARS = START_YEARS
"""Years a scenario date may lie in [year] (:data:`gridv2x.calendar.START_YEARS`)."""

_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
"""A calendar date as text: only YYYY-MM-DD (Python also reads ISO week dates such as
2030-W01-1 and the basic form 20300101, which a planner does not mean)."""


def _date(value: Any) -> str | None:
    """The ISO text of a scenario date, or None when it is not a YYYY-MM-DD date in range."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, str):
        if not _DATE_TEXT.fullmatch(value.strip()):
            return None
        try:
            value = _dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, _dt.date):
        return None
    if not DATE_YEARS[0] <= value.year <= DATE_YEARS[1]:
        return None
    return value.isoformat()


def _check_type(value: Any, kind: Any) -> tuple[bool, Any]:
    """Return (ok, coerced value) for ``value`` against the declared ``kind``."""
    if kind == "any":
        return True, value
    if kind is bool:
        return isinstance(value, bool), value
    if kind is int:
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        return False, value
    if kind is float:
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int | float):
            return True, float(value)
        return False, value
    if kind == "path" and isinstance(value, os.PathLike):
        value = os.fspath(value)
    if kind is str or kind == "path":
        return isinstance(value, str) and value != "", value
    if kind == "date":
        text = _date(value)
        return (text is not None), (value if text is None else text)
    if kind is list:
        return isinstance(value, list), value
    if kind is dict:
        return isinstance(value, dict), value
    raise TypeError(f"unknown field type {kind!r}")  # pragma: no cover - programming error


@dataclass(frozen=True)
class Field:
    """One scenario key.

    Parameters
    ----------
    default : Any
        Value used when the key is absent; ``MISSING`` makes the key required.
    type : type or str
        ``bool``, ``int``, ``float``, ``str``, ``list``, ``dict``, ``"path"``, ``"date"`` or ``"any"``.
    doc : str
        One or two sentences for planners, with the unit in ``[brackets]`` and the source of the
        default (``docs/sources.md §4``) where there is one.
    choices : sequence, optional
        Allowed values (for a list type: allowed items).
    min, max : float, optional
        Inclusive bounds for numbers (for a list type: for each item). NaN and infinity are
        never allowed for a number.
    above_min : bool
        Whether ``min`` itself is excluded (the value must be greater than ``min``).
    nullable : bool
        Whether ``null`` is allowed.
    items : type or str, optional
        Type of each item when ``type`` is ``list``.
    check : callable, optional
        Extra check ``check(value) -> str | None`` returning a message when invalid.
    """

    default: Any = MISSING
    type: Any = "any"
    doc: str = ""
    choices: Sequence[Any] | None = None
    min: float | None = None
    max: float | None = None
    nullable: bool = False
    items: Any = None
    above_min: bool = False
    check: Callable[[Any], str | None] | None = None

    def allowed(self) -> str:
        """Describe the allowed values in words."""
        if self.choices is not None and self.type is not list:
            words = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.type is list and self.items is not None:
            words = f"a list of {_TYPE_NAMES.get(self.items, str(self.items))}"
            if self.choices is not None:
                words += " from " + ", ".join(repr(c) for c in self.choices)
        else:
            words = _TYPE_NAMES.get(self.type, str(self.type))
        low = ">" if self.above_min else ">="
        if self.min is not None and self.max is not None:
            words += f" between {self.min} and {self.max}"
            if self.above_min:
                words += f" (above {self.min})"
        elif self.min is not None:
            words += f" {low} {self.min}"
        elif self.max is not None:
            words += f" <= {self.max}"
        if self.nullable:
            words += " or null"
        return words

    def _check_scalar(self, path: str, value: Any, kind: Any) -> tuple[list[ValidationError], Any]:
        ok, value = _check_type(value, kind)
        if not ok:
            return [ValidationError(path, f"must be {self.allowed()}", value)], value
        errors = []
        if isinstance(value, float) and not math.isfinite(value):
            # NaN compares false with every bound, so it must be refused before the bounds
            return [
                ValidationError(path, f"must be a finite number: {self.allowed()}", value)
            ], value
        if self.choices is not None and value not in self.choices:
            errors.append(ValidationError(path, f"must be {self.allowed()}", value))
        if isinstance(value, int | float) and not isinstance(value, bool):
            below = self.min is not None and (
                value <= self.min if self.above_min else value < self.min
            )
            if below or (self.max is not None and value > self.max):
                errors.append(ValidationError(path, f"must be {self.allowed()}", value))
        return errors, value

    def validate(self, path: str, value: Any) -> tuple[list[ValidationError], Any]:
        """Check ``value``; return the errors and the coerced value."""
        if value is None:
            if self.nullable:
                return [], None
            return [ValidationError(path, f"must be {self.allowed()}, not null", value)], value
        if self.type is list and self.items is not None:
            if not isinstance(value, list):
                return [ValidationError(path, f"must be {self.allowed()}", value)], value
            errors: list[ValidationError] = []
            out = []
            for i, item in enumerate(value):
                errs, item = self._check_scalar(f"{path}[{i}]", item, self.items)
                errors += errs
                out.append(item)
            value = out
        else:
            kind = self.type
            errors, value = self._check_scalar(path, value, kind)
        if not errors and self.check is not None:
            message = self.check(value)
            if message:
                errors.append(ValidationError(path, message, value))
        return errors, value


@dataclass(frozen=True)
class Section:
    """A mapping of keys, each a :class:`Field` or a nested :class:`Section`."""

    doc: str
    fields: Mapping[str, Field | Section] = field(default_factory=dict)
    nullable: bool = False

    def defaults(self) -> dict[str, Any]:
        """Return the shipped defaults of this section as plain data."""
        out: dict[str, Any] = {}
        for key, spec in self.fields.items():
            if isinstance(spec, Section):
                out[key] = spec.defaults()
            elif spec.default is not MISSING:
                out[key] = _copy(spec.default)
        return out

    def validate(self, path: str, value: Any) -> tuple[list[ValidationError], Any]:
        """Validate ``value`` (a mapping or None) and fill defaults; return errors and result."""
        if value is None:
            value = {}
        if not isinstance(value, dict):
            return [ValidationError(path, "must be a mapping of keys to values", value)], value
        errors: list[ValidationError] = []
        out: dict[str, Any] = {}
        allowed = ", ".join(self.fields)
        for key in value:
            if key not in self.fields:
                errors.append(
                    ValidationError(_join(path, key), f"unknown key; allowed keys here: {allowed}")
                )
        for key, spec in self.fields.items():
            sub = _join(path, key)
            if key in value:
                errs, out[key] = spec.validate(sub, value[key])
                errors += errs
            elif isinstance(spec, Section):
                errs, out[key] = spec.validate(sub, {})
                errors += errs
            elif spec.default is MISSING:
                errors.append(ValidationError(sub, f"is required: {spec.allowed()}"))
            else:
                out[key] = _copy(spec.default)
        return errors, out

    def resolve(self, path: str, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Check the keyword arguments of the function this section configures; fill defaults.

        What a domain function calls on its keyword arguments, so that a default and a bound
        exist once, here, whether the function is called by a study or from Python.

        Parameters
        ----------
        path : str
            Section path used in messages, e.g. ``charging``.
        given : mapping or None
            Keys of this section (a subset; keys not given take their defaults).

        Returns
        -------
        dict
            Every key of the section, checked and coerced (e.g. an int for a float key).

        Raises
        ------
        gridv2x.errors.InputError
            Listing every problem, each naming its key, the value given and what is allowed.
        """
        errors, value = self.validate(path, dict(given) if given is not None else None)
        if errors:
            raise InputError("; ".join(str(error) for error in errors))
        return value

    def describe(self, path: str = "") -> list[tuple[str, Any, str, str]]:
        """Return ``(key path, default, allowed, doc)`` rows for documentation."""
        rows = []
        for key, spec in self.fields.items():
            sub = _join(path, key)
            if isinstance(spec, Section):
                rows.append((sub, "", "a mapping", spec.doc))
                rows += spec.describe(sub)
            else:
                default = "(required)" if spec.default is MISSING else spec.default
                rows.append((sub, default, spec.allowed(), spec.doc))
        return rows


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
