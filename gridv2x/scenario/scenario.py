"""The :class:`Scenario` object and reading/writing scenario YAML files."""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gridv2x.errors import InputError, ScenarioError
from gridv2x.options import ValidationError
from gridv2x.scenario import schema
from gridv2x.scenario.yaml_safe import load_yaml

__all__ = ["Scenario", "read_scenario", "scenario_from_dict", "write_scenario"]


@dataclass(frozen=True)
class Scenario(Mapping):
    """A validated scenario with every default filled in.

    Behaves as a read-only mapping of sections (``scenario["charging"]``) and exposes the
    most used ones as attributes (``scenario.name``, ``scenario.study``).

    Parameters
    ----------
    data : dict
        The resolved scenario (as returned by :func:`gridv2x.scenario.schema.validate`).
    source : Path, optional
        The file it was read from.
    """

    data: dict[str, Any]
    source: Path | None = field(default=None, compare=False)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self):
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def description(self) -> str:
        return self.data.get("description") or ""

    @property
    def study(self) -> dict[str, Any]:
        return self.data["study"]

    @property
    def period(self) -> dict[str, Any]:
        return self.data["period"]

    @property
    def networks(self) -> list[dict[str, Any]]:
        return self.data["networks"]

    def section(self, name: str) -> dict[str, Any]:
        """A deep copy of one section, safe to modify."""
        return copy.deepcopy(self.data[name])

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the resolved scenario as plain data."""
        return copy.deepcopy(self.data)

    def to_yaml(self) -> str:
        """The resolved scenario as YAML text (defaults filled in)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def digest(self) -> str:
        """SHA-256 of the resolved scenario (identifies the results it produces)."""
        text = json.dumps(self.data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def replace(self, **sections: Any) -> Scenario:
        """Return a new validated scenario with some top-level keys or sections replaced.

        Sections given as mappings are merged into the current ones (one level deep).
        """
        data = self.to_dict()
        for key, value in sections.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key].update(value)
            else:
                data[key] = value
        return scenario_from_dict(data, base_dir=self.source.parent if self.source else None)


def scenario_from_dict(data: Any, *, base_dir: str | Path | None = None) -> Scenario:
    """Validate a scenario given as a mapping and fill in defaults.

    Raises
    ------
    gridv2x.errors.ScenarioError
        With every problem found, when the scenario is invalid.
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    errors, resolved = schema.validate(data, base)
    if errors:
        raise ScenarioError(errors, "<dict>")
    return Scenario(resolved, None)


def read_scenario(path: str | Path) -> Scenario:
    """Read, validate and resolve a scenario YAML file.

    Parameters
    ----------
    path : str or Path
        The scenario file. Relative file paths inside it are resolved against its folder.

    Returns
    -------
    Scenario

    Raises
    ------
    gridv2x.errors.InputError
        The file is missing, empty or not valid YAML.
    gridv2x.errors.ScenarioError
        The scenario has problems; all of them are listed.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: scenario file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    if not text.strip():
        raise InputError(
            f"{path}: the scenario file is empty; a minimal scenario is `name: my-study` "
            "(every other key has a default, see `gridv2x defaults`)"
        )
    data = load_yaml(text, str(path))
    if data is None:
        raise InputError(f"{path}: the scenario file holds only comments; nothing to run")
    data = _plain(data)
    errors, resolved = schema.validate(data, path.parent.resolve())
    if errors:
        raise ScenarioError(errors, str(path))
    return Scenario(resolved, path.resolve())


def validate_file(path: str | Path) -> list[ValidationError]:
    """Every problem of a scenario file (empty when valid); file errors become one entry."""
    try:
        read_scenario(path)
    except ScenarioError as exc:
        return exc.errors
    except InputError as exc:
        return [ValidationError("(file)", str(exc))]
    return []


def write_scenario(scenario: Scenario, path: str | Path) -> None:
    """Write the resolved scenario (defaults filled in) as YAML."""
    Path(path).write_text(scenario.to_yaml(), encoding="utf-8")


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings, so the resolved scenario is plain JSON-able data."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()[:10] if isinstance(value, _dt.date) else value.isoformat()
    return value
