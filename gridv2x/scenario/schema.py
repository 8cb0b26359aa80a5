"""The whole scenario schema, assembled from the sections owned by each domain package.

Each section is declared once, next to the code it configures (``gridv2x/charging/options.py``,
``gridv2x/metrics/limits.py``, ...); this module only assembles them and adds the checks that
involve more than one section.

``SCHEMA`` maps each top-level key to a :class:`~gridv2x.options.Field` or
:class:`~gridv2x.options.Section`; ``networks`` is a list validated by
:func:`validate_networks`. :func:`validate` returns every problem at once (power-grid-model
style); :func:`assert_valid` raises them together as one
:class:`~gridv2x.errors.ScenarioError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gridv2x.adoption.options import SECTION as ADOPTION
from gridv2x.charging.options import SECTION as CHARGING
from gridv2x.demand.climate_options import SECTION as CLIMATE
from gridv2x.demand.options import SECTION as DEMAND
from gridv2x.metrics.limits import SECTION as LIMITS
from gridv2x.mobility.options import SECTION as MOBILITY
from gridv2x.mobility.vehicle_options import SECTION as VEHICLES
from gridv2x.mobility.vehicle_options import cross_check as vehicles_cross_check
from gridv2x.network import FILE_KINDS, NETWORK_KINDS, network_kind
from gridv2x.options import Field, Section, ValidationError
from gridv2x.period import PERIOD, weeks_in_period
from gridv2x.powerflow.options import SECTION as POWERFLOW
from gridv2x.reinforcement.economics_options import SECTION as ECONOMICS
from gridv2x.reinforcement.options import SECTION as REINFORCEMENT
from gridv2x.scenario.core import STUDY, TOP
from gridv2x.v2x.options import SECTION as V2X

__all__ = [
    "SCHEMA",
    "NETWORK_KINDS",
    "defaults",
    "validate",
    "describe",
]

_NETWORK_OPTIONS = {"name", "options", "mapping", "select", "substation", "excluded"}


SCHEMA: dict[str, Field | Section] = {
    **TOP,
    "study": STUDY,
    "period": PERIOD,
    # each domain package owns the section that configures it
    "climate": CLIMATE,
    "demand": DEMAND,
    "adoption": ADOPTION,
    "vehicles": VEHICLES,
    "mobility": MOBILITY,
    "charging": CHARGING,
    "powerflow": POWERFLOW,
    "limits": LIMITS,
    "v2x": V2X,
    "reinforcement": REINFORCEMENT,
    "economics": ECONOMICS,
}
ROOT = Section(doc="A gridv2x scenario.", fields=SCHEMA)
DEFAULT_NETWORKS = [{"builtin": "se-suburban-villa"}]


def defaults() -> dict[str, Any]:
    """Return the shipped defaults of every section (the resolved empty scenario)."""
    data = ROOT.defaults()
    data["networks"] = [dict(entry) for entry in DEFAULT_NETWORKS]
    return _ordered(data)


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    order = ["name", "description", "study", "period", "climate", "networks"]
    out = {k: data[k] for k in order if k in data}
    out.update({k: v for k, v in data.items() if k not in out})
    return out


def validate_networks(value: Any, base_dir: Path | None) -> tuple[list[ValidationError], Any]:
    """Validate the ``networks`` list; resolve file paths against ``base_dir``."""
    if value is None:
        value = [dict(entry) for entry in DEFAULT_NETWORKS]
    if not isinstance(value, list) or not value:
        return [
            ValidationError(
                "networks",
                "must be a non-empty list of entries, each with one of the keys "
                + ", ".join(NETWORK_KINDS),
                value,
            )
        ], value
    errors: list[ValidationError] = []
    out = []
    names: dict[str, int] = {}
    for i, entry in enumerate(value):
        path = f"networks[{i}]"
        if isinstance(entry, str):  # shorthand: a built-in name
            entry = {"builtin": entry}
        if not isinstance(entry, dict):
            errors.append(
                ValidationError(path, "must be a mapping like {builtin: se-suburban-villa}", entry)
            )
            continue
        kinds = [k for k in entry if k in NETWORK_KINDS]
        unknown = [k for k in entry if k not in NETWORK_KINDS and k not in _NETWORK_OPTIONS]
        for key in unknown:
            errors.append(
                ValidationError(
                    f"{path}.{key}",
                    "unknown key; allowed: one of "
                    + ", ".join(NETWORK_KINDS)
                    + ", plus optional "
                    + ", ".join(sorted(_NETWORK_OPTIONS)),
                )
            )
        if len(kinds) != 1:
            errors.append(
                ValidationError(
                    path,
                    "must have exactly one of "
                    + "; ".join(f"{k} ({d})" for k, d in NETWORK_KINDS.items()),
                    entry,
                )
            )
            continue
        kind = kinds[0]
        source = entry[kind]
        if not isinstance(source, str) or not source:
            errors.append(ValidationError(f"{path}.{kind}", "must be a text", source))
            continue
        if kind == "area":  # one entry per substation (gridv2x.network.area)
            from gridv2x.network.area import scenario_entries

            area_errors, entries = scenario_entries(entry, path, base_dir)
            errors += area_errors
            for item in entries:
                if item["name"] in names:
                    errors.append(
                        ValidationError(f"{path}.area", "feeder name already used", item["name"])
                    )
                names[item["name"]] = i
            out += entries
            continue
        resolved = dict(entry)
        for key in sorted({"select", "substation", "excluded", "mapping"} & set(entry)):
            if key != "mapping" or kind != "gis":
                errors.append(
                    ValidationError(f"{path}.{key}", f"is a key of area entries, not of {kind}")
                )
        if kind == "gis" and "mapping" in entry:
            from gridv2x.network.area import resolve_mapping

            mapping_error, resolved["mapping"] = resolve_mapping(entry["mapping"], base_dir)
            if mapping_error:
                errors.append(ValidationError(f"{path}.mapping", mapping_error, entry["mapping"]))
        if kind in FILE_KINDS:
            file = Path(source).expanduser()
            if not file.is_absolute() and base_dir is not None:
                file = base_dir / file
            if not (file.is_file() or (kind in ("gis", "cgmes") and file.is_dir())):
                errors.append(ValidationError(f"{path}.{kind}", f"file not found: {file}", source))
                continue
            resolved[kind] = str(file.resolve())
        elif kind == "builtin":
            from gridv2x.network import list_builtin

            available = list(list_builtin())
            if source not in available:
                errors.append(
                    ValidationError(
                        f"{path}.builtin",
                        "unknown built-in feeder; available: " + ", ".join(available),
                        source,
                    )
                )
                continue
        if "options" in entry and not isinstance(entry["options"], dict):
            errors.append(ValidationError(f"{path}.options", "must be a mapping", entry["options"]))
        name = entry.get("name") or network_name(resolved)
        if not isinstance(name, str):
            errors.append(ValidationError(f"{path}.name", "must be a text", name))
            continue
        if name in names:
            errors.append(
                ValidationError(
                    f"{path}.name",
                    f"feeder name already used by networks[{names[name]}]; give each entry a "
                    "distinct `name`",
                    name,
                )
            )
        names[name] = i
        resolved["name"] = name
        out.append(resolved)
    return errors, out


def network_name(entry: dict[str, Any]) -> str:
    """Default feeder name of a networks entry: the built-in name, SimBench code or file stem."""
    if "name" in entry and entry["name"]:
        return str(entry["name"])
    kind = network_kind(entry)
    source = str(entry[kind])
    return Path(source).stem if kind in FILE_KINDS else source


def _resolve_paths(
    section: Section, data: dict[str, Any], path: str, base_dir: Path | None
) -> list[ValidationError]:
    """Resolve ``"path"`` fields against ``base_dir`` in place; report missing files."""
    errors = []
    for key, spec in section.fields.items():
        sub = f"{path}.{key}" if path else key
        if isinstance(spec, Section):
            if isinstance(data.get(key), dict):
                errors += _resolve_paths(spec, data[key], sub, base_dir)
        elif spec.type == "path" and isinstance(data.get(key), str):
            file = Path(data[key]).expanduser()
            if not file.is_absolute() and base_dir is not None:
                file = base_dir / file
            if not file.exists():
                errors.append(ValidationError(sub, f"file not found: {file}", data[key]))
            else:
                data[key] = str(file.resolve())
    return errors


def _cross_checks(data: dict[str, Any]) -> list[ValidationError]:
    """Checks that involve more than one key."""
    errors = []
    study = data.get("study", {})
    if study.get("kind") == "adoption_forecast" and not isinstance(
        data.get("adoption", {}).get("curve"), dict
    ):
        errors.append(
            ValidationError("adoption.curve", "adoption_forecast needs an adoption curve")
        )
    if study.get("max_seeds") is not None and study["max_seeds"] < study.get("seeds", 1):
        errors.append(
            ValidationError(
                "study.max_seeds",
                f"must be at least study.seeds ({study.get('seeds')}), or null for a fixed design",
                study["max_seeds"],
            )
        )
    if isinstance(data.get("vehicles"), dict):
        errors += vehicles_cross_check(data["vehicles"])
    demand = data.get("demand", {})
    if demand.get("model") == "metered" and not demand.get("metered_file"):
        errors.append(
            ValidationError(
                "demand.metered_file",
                "is required when demand.model is 'metered' (a CSV/parquet of meter data)",
                None,
            )
        )
    if demand.get("model") != "metered" and demand.get("metered_file"):
        errors.append(
            ValidationError(
                "demand.metered_file",
                f"is only used with demand.model: metered (model is {demand.get('model')!r}); "
                "set the model or remove the file",
                demand.get("metered_file"),
            )
        )
    period = data.get("period", {})
    if period.get("representative_weeks") is not None:
        n_weeks = weeks_in_period(period["start"], period["days"])
        if period["representative_weeks"] > n_weeks:
            errors.append(
                ValidationError(
                    "period.representative_weeks",
                    f"must be at most {n_weeks}, the calendar weeks (Monday to Monday) that "
                    f"the period of {period['days']} days from {period['start']} touches; or "
                    "null for the whole period",
                    period["representative_weeks"],
                )
            )
        if data.get("charging", {}).get("grid_aware"):
            errors.append(
                ValidationError(
                    "charging.grid_aware",
                    "cannot be combined with period.representative_weeks yet (its grid model "
                    "is built over the whole period); set representative_weeks to null or "
                    "grid_aware to false",
                    True,
                )
            )
    limits = data.get("limits", {})
    if {"v_min_pu", "v_max_pu"} <= set(limits) and limits["v_min_pu"] >= limits["v_max_pu"]:
        errors.append(
            ValidationError(
                "limits.v_min_pu",
                f"must be below limits.v_max_pu ({limits['v_max_pu']})",
                limits["v_min_pu"],
            )
        )
    return errors


def validate(
    data: Any, base_dir: Path | None = None
) -> tuple[list[ValidationError], dict[str, Any]]:
    """Validate a scenario mapping and fill in defaults.

    Parameters
    ----------
    data : mapping
        The scenario as read from YAML (or built in Python).
    base_dir : Path, optional
        Folder that relative file paths are resolved against (the scenario file's folder).

    Returns
    -------
    errors : list of ValidationError
        Every problem found; empty when the scenario is valid.
    resolved : dict
        The scenario with every default filled in and file paths made absolute.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return [ValidationError("(top level)", "must be a mapping of sections", data)], {}
    data = dict(data)
    networks = data.pop("networks", None)
    errors, resolved = ROOT.validate("", data)
    errors = [  # ROOT lists allowed keys without networks; add it to the message
        ValidationError(e.path, e.message + ", networks", e.given)
        if e.message.startswith("unknown key") and "." not in e.path
        else e
        for e in errors
    ]
    net_errors, resolved["networks"] = validate_networks(networks, base_dir)
    errors += net_errors
    errors += _resolve_paths(ROOT, resolved, "", base_dir)
    if not errors:
        errors += _cross_checks(resolved)
    return errors, _ordered(resolved)


def describe() -> list[tuple[str, Any, str, str]]:
    """``(key path, default, allowed, doc)`` for every key, for documentation."""
    rows = ROOT.describe()
    rows.insert(
        2,
        (
            "networks",
            DEFAULT_NETWORKS,
            "a list of entries",
            "Feeders to study; each entry one of: "
            + "; ".join(f"{k}: {d}" for k, d in NETWORK_KINDS.items())
            + ". Optional `name` (feeder name in results) and `options` (reader options). An "
            "`area` entry is one feeder per substation, named by its id; it takes `mapping` (a "
            "YAML file or mapping of the export's layer, attribute and code names, e.g. "
            "networks/mapping-sv.yaml; also for `gis`), `select` (substation ids) and "
            "`options.strict` (false: study the substations without errors, list the others).",
        ),
    )
    return rows
