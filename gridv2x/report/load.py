"""Read a study's output folder into memory for the report (the I/O edge of ``report``).

Everything here is tolerant: a missing or unreadable optional piece becomes ``None`` (or an
empty mapping) plus a short note in :attr:`ReportData.notes`, never an exception. Only a folder
without ``summary.csv`` is an error, because then there is nothing to report.

The layout is the results store of ``docs/architecture.md``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridv2x import results
from gridv2x.errors import InputError
from gridv2x.execution.outfolder import file_name
from gridv2x.metrics.limits import SECTION as LIMITS

__all__ = ["ReportData", "TaskData", "load_results", "DEFAULT_LIMITS"]

DEFAULT_LIMITS: dict[str, Any] = LIMITS.defaults()
"""Limits used when ``scenario.resolved.yaml`` has none (the shipped defaults of ``limits``)."""


@dataclass
class TaskData:
    """Stored results of one task (``results/<task_id>/``); any part may be missing (``None``)."""

    task_id: str
    timeseries: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    voltage_daily: pd.DataFrame | None = None
    elements: pd.DataFrame | None = None
    evs: pd.DataFrame | None = None
    soc: pd.DataFrame | None = None
    task: dict = field(default_factory=dict)


@dataclass
class ReportData:
    """Everything the report shows, read from one output folder."""

    outdir: Path
    summary: pd.DataFrame
    scenario: dict = field(default_factory=dict)
    scenario_text: str = ""
    provenance: dict = field(default_factory=dict)
    hosting_capacity: pd.DataFrame | None = None
    violation_probability: pd.DataFrame | None = None
    forecast: pd.DataFrame | None = None
    deferral: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    flexibility: pd.DataFrame | None = None
    markets: pd.DataFrame | None = None
    resilience: pd.DataFrame | None = None
    feeders_geo: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Charging sessions per feeder (lowest seed at the highest share or latest year)."""
    base_load: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _task_folders: dict[str, Path] = field(default_factory=dict, repr=False)

    @property
    def limits(self) -> dict[str, Any]:
        """The scenario's limits with the shipped defaults for any key it lacks."""
        limits = dict(DEFAULT_LIMITS)
        given = self.scenario.get("limits") if isinstance(self.scenario, dict) else None
        if isinstance(given, dict):
            limits.update({k: v for k, v in given.items() if v is not None})
        return limits

    @property
    def kind(self) -> str:
        """Study kind: ``compare``, ``hosting_capacity`` or ``adoption_forecast``."""
        study = self.scenario.get("study") if isinstance(self.scenario, dict) else None
        if isinstance(study, dict) and study.get("kind"):
            return str(study["kind"])
        return "compare"

    @property
    def risk(self) -> float:
        """Accepted violation probability of a hosting-capacity study [-] (default 0.05)."""
        study = self.scenario.get("study") if isinstance(self.scenario, dict) else None
        try:
            return float(study.get("risk", 0.05))  # type: ignore[union-attr]
        except (AttributeError, TypeError, ValueError):
            return 0.05

    def task(self, task_id: str) -> TaskData:
        """Read one task's stored results (parts that are missing are ``None``)."""
        return _read_task(self._task_folder(str(task_id)), str(task_id))

    def _task_folder(self, task_id: str) -> Path:
        """The folder of ``task_id``: the one whose task.json names it (a task id is a label,
        its folder a safe file name, :func:`gridv2x.execution.outfolder.file_name`)."""
        stored = self.outdir / results.RESULTS_DIR
        if not self._task_folders and stored.is_dir():
            for task_json in stored.glob(f"*/{results.TASK_FILE}"):
                try:
                    info = json.loads(task_json.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                task = info.get("task") if isinstance(info, dict) else None
                if isinstance(task, dict) and task.get("task_id") is not None:
                    self._task_folders[str(task["task_id"])] = task_json.parent
        return self._task_folders.get(task_id, results.task_dir(self.outdir, task_id))


def _read_parquet(path: Path, notes: list[str] | None = None) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - a broken optional file must not stop the report
        if notes is not None:
            notes.append(f"{path.name} could not be read ({type(exc).__name__}); skipped.")
        return None


def _read_csv(path: Path, notes: list[str]) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001
        notes.append(f"{path.name} could not be read ({type(exc).__name__}); skipped.")
        return None


def _read_task(folder: Path, task_id: str) -> TaskData:
    data = TaskData(task_id=task_id)
    if not folder.is_dir():
        return data
    ts = _read_parquet(results.frame_file(folder, "timeseries"))
    if ts is not None:
        if "time" in ts.columns:
            ts = ts.set_index("time")
        if not isinstance(ts.index, pd.DatetimeIndex):
            try:
                ts.index = pd.to_datetime(ts.index)
            except (TypeError, ValueError):
                ts = None
    data.timeseries = ts
    data.customers = _read_parquet(results.frame_file(folder, "customers"))
    vd = _read_parquet(results.frame_file(folder, "voltage_daily"))
    if vd is not None:
        for col in ("day", "date", "time"):
            if col in vd.columns:
                vd = vd.set_index(col)
                break
    data.voltage_daily = vd
    data.elements = _read_parquet(results.frame_file(folder, "elements"))
    data.evs = _read_parquet(results.frame_file(folder, "evs"))
    soc = _read_parquet(results.frame_file(folder, "soc"))
    if soc is not None and "time" in soc.columns:
        soc = soc.set_index("time")
    data.soc = soc
    task_json = folder / results.TASK_FILE
    if task_json.is_file():
        try:
            data.task = json.loads(task_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data.task = {}
    return data


def _clean_json(value: Any) -> Any:
    """Replace NaN/inf (not valid JSON for the browser) with ``None``, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    return value


def _task_ids_from_store(results: Path) -> pd.DataFrame | None:
    """Identity of each stored task from ``results/*/task.json`` (when summary has no task_id)."""
    rows = []
    if not results.is_dir():
        return None
    for task_json in sorted(results.glob("*/task.json")):
        try:
            info = json.loads(task_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        flat = dict(info.get("summary", {})) if isinstance(info.get("summary"), dict) else {}
        if isinstance(info.get("task"), dict):
            flat.update({k: v for k, v in info["task"].items() if k not in flat})
        flat.update({k: v for k, v in info.items() if not isinstance(v, dict | list)})
        task = info.get("task") if isinstance(info.get("task"), dict) else {}
        flat["task_id"] = str(task.get("task_id") or task_json.parent.name)
        rows.append(flat)
    return pd.DataFrame(rows) if rows else None


def _attach_task_ids(summary: pd.DataFrame, results: Path, notes: list[str]) -> pd.DataFrame:
    if "task_id" in summary.columns:
        summary["task_id"] = summary["task_id"].astype(str)
        return summary
    stored = _task_ids_from_store(results)
    keys = [k for k in ("feeder", "strategy", "seed", "ev_share") if k in summary.columns]
    if stored is not None and keys and all(k in stored.columns for k in keys):
        stored = stored[keys + ["task_id"]].drop_duplicates(keys)
        for key in keys:
            if key in ("seed",):
                stored[key] = pd.to_numeric(stored[key], errors="coerce")
                summary[key] = pd.to_numeric(summary[key], errors="coerce")
            elif key == "ev_share":
                stored[key] = pd.to_numeric(stored[key], errors="coerce").round(9)
                summary[key] = pd.to_numeric(summary[key], errors="coerce").round(9)
            else:
                stored[key] = stored[key].astype(str)
                summary[key] = summary[key].astype(str)
        return summary.merge(stored, on=keys, how="left")
    notes.append(
        "summary.csv has no task_id and results/*/task.json do not identify the tasks: "
        "time-series charts are omitted."
    )
    summary["task_id"] = np.nan
    return summary


def _read_geojson(path: Path, notes: list[str]) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        notes.append(f"{path.name} could not be read ({type(exc).__name__}); map skipped.")
        return None
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        notes.append(f"{path.name} is not a GeoJSON FeatureCollection; map skipped.")
        return None
    return data


_FLEET_RE = re.compile(
    r"^(?P<feeder>.+)-seed(?P<seed>\d+)(?:-share(?P<share>[0-9.]+))?(?:-y(?P<year>\d+))?$"
)


def _check_limits(scenario: dict, source: Path) -> None:
    """Refuse limits and a risk level the report cannot compare against (a hand-edited
    ``scenario.resolved.yaml`` with ``v_min_pu: low``): every problem at once, as ``validate``."""
    from gridv2x.errors import ScenarioError
    from gridv2x.metrics.limits import SECTION as LIMITS
    from gridv2x.scenario.core import STUDY

    errors = []
    if "limits" in scenario:
        errors += LIMITS.validate("limits", scenario["limits"])[0]
    study = scenario.get("study")
    if isinstance(study, dict) and "risk" in study:
        errors += STUDY.fields["risk"].validate("study.risk", study["risk"])[0]
    if errors:
        raise ScenarioError(errors, str(source))


def load_results(outdir: str | Path) -> ReportData:
    """Read an output folder for the report.

    Parameters
    ----------
    outdir : str or pathlib.Path
        A study's output folder (``summary.csv``, ``results/``, ... as in
        ``docs/architecture.md``).

    Returns
    -------
    ReportData
        Summary, scenario, provenance, optional study tables, feeder geodata and fleet data.
        Per-task time series are read lazily with :meth:`ReportData.task`.

    Raises
    ------
    gridv2x.errors.InputError
        If ``outdir`` is not a folder or has no readable ``summary.csv``.
    """
    outdir = Path(outdir)
    summary_path = outdir / "summary.csv"
    if not summary_path.is_file():
        raise InputError(
            f"{outdir}: no summary.csv found; give the output folder of a finished "
            "'gridv2x run' (it holds summary.csv and results/)."
        )
    try:
        summary = pd.read_csv(summary_path)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{summary_path}: cannot be read as CSV ({exc}).") from exc
    notes: list[str] = []
    if summary.empty:
        notes.append("summary.csv has no rows: the study produced no results.")
    for col in ("feeder", "strategy"):
        if col not in summary.columns:
            summary[col] = "(unknown)"
        summary[col] = summary[col].astype(str)
    summary = _attach_task_ids(summary, outdir / results.RESULTS_DIR, notes)

    data = ReportData(outdir=outdir, summary=summary, notes=notes)

    resolved = outdir / "scenario.resolved.yaml"
    if resolved.is_file():
        data.scenario_text = resolved.read_text(encoding="utf-8", errors="replace")
        try:
            from gridv2x.scenario.yaml_safe import load_yaml

            loaded = load_yaml(data.scenario_text, str(resolved))
            data.scenario = loaded if isinstance(loaded, dict) else {}
        except Exception:  # noqa: BLE001
            notes.append("scenario.resolved.yaml could not be parsed; default limits are used.")
        _check_limits(data.scenario, resolved)
    else:
        notes.append("scenario.resolved.yaml is missing; default limits are used.")

    prov = outdir / "provenance.json"
    if prov.is_file():
        try:
            data.provenance = _clean_json(json.loads(prov.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            notes.append("provenance.json could not be read.")
    else:
        notes.append("provenance.json is missing.")

    data.hosting_capacity = _read_csv(outdir / "hosting_capacity.csv", notes)
    data.violation_probability = _read_csv(outdir / "violation_probability.csv", notes)
    data.forecast = _read_csv(outdir / "forecast.csv", notes)
    data.deferral = _read_csv(outdir / "deferral.csv", notes)
    data.sensitivity = _read_csv(outdir / "sensitivity.csv", notes)
    data.flexibility = _read_csv(outdir / "flexibility.csv", notes)
    data.markets = _read_csv(outdir / "markets.csv", notes)
    data.resilience = _read_csv(outdir / "resilience.csv", notes)
    for frame in (
        data.hosting_capacity,
        data.violation_probability,
        data.forecast,
        data.deferral,
        data.sensitivity,
        data.flexibility,
        data.markets,
        data.resilience,
    ):
        if frame is not None:
            for col in ("feeder", "strategy"):
                if col in frame.columns:
                    frame[col] = frame[col].astype(str)

    # files are named by file_name(feeder): map them back to the feeder names of the summary
    names = {file_name(f): f for f in summary["feeder"].astype(str).unique()}
    feeders_dir = results.feeders_dir(outdir)
    if feeders_dir.is_dir():
        for path in sorted(feeders_dir.glob("*.geojson")):
            geo = _read_geojson(path, notes)
            if geo is not None:
                data.feeders_geo[names.get(path.stem, path.stem)] = geo

    fleet_dir = results.fleet_dir(outdir)
    fleet_files: dict[str, tuple[tuple, Path]] = {}
    if fleet_dir.is_dir():
        for path in sorted(fleet_dir.glob("*.parquet")):
            stem = path.stem
            if stem.endswith("-base_load"):
                frame = _read_parquet(path, notes)
                if frame is not None:
                    feeder = stem[: -len("-base_load")]
                    data.base_load[names.get(feeder, feeder)] = frame
                continue
            match = _FLEET_RE.match(stem)
            if match:
                # per feeder: the lowest seed at the highest share / latest year (the detail run)
                rank = (
                    -float(match["share"] or 0),
                    -int(match["year"] or 0),
                    int(match["seed"]),
                )
                best = fleet_files.get(match["feeder"])
                if best is None or rank < best[0]:
                    fleet_files[match["feeder"]] = (rank, path)
        for feeder, (_rank, path) in fleet_files.items():
            frame = _read_parquet(path, notes)
            if frame is not None:
                data.sessions[names.get(feeder, feeder)] = frame
    return data
