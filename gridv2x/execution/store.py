"""The results store: an output folder that is also a checkpoint.

Each finished task is written at once to ``results/<task_id>/`` (parquet files plus a
``task.json`` written last, atomically), so a killed run started again with the same output
folder skips what is done. A task counts as done only when its ``task.json`` exists and carries
the digest of the same resolved scenario; a folder from another scenario is never mixed in.

Layout (``docs/architecture.md``)::

    summary.csv, summary.json          one row per task
    hosting_capacity.csv, violation_probability.csv      (hosting_capacity studies)
    forecast.csv, deferral.csv                            (adoption_forecast studies)
    scenario.resolved.yaml, provenance.json, report.html
    results/<task_id>/{timeseries,customers,voltage_daily,elements,evs,soc}.parquet, task.json
                                       (+ flexibility, markets, resilience: v2x.enabled)
                                       (timeseries, voltage_daily, soc: see study.time_series)
    results/feeders/<feeder>.geojson
    results/fleet/<feeder>-seed<k>.parquet
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from gridv2x.study import Task, TaskOutput

__all__ = ["ResultsStore"]

_FRAMES = (
    "timeseries",
    "customers",
    "voltage_daily",
    "elements",
    "evs",
    "soc",
    "flexibility",
    "markets",
    "resilience",
)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as fh:
        json.dump(data, fh, indent=2, default=_json_default)
        tmp = fh.name
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    """Write text atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8"
    ) as fh:
        fh.write(text)
        tmp = fh.name
    os.replace(tmp, path)


def write_frame_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write a CSV atomically."""
    write_text(path, frame.to_csv(index=False))


def _to_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write parquet atomically (a killed run never leaves a half-written file)."""
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp)
    os.replace(tmp, path)


class ResultsStore:
    """An output folder of a study.

    Parameters
    ----------
    root : Path
        The output folder (created on the first write, never before).
    digest : str
        Digest of the resolved scenario; tasks of another digest are not reused.
    """

    def __init__(self, root: str | Path, digest: str) -> None:
        self.root = Path(root)
        self.digest = digest

    @property
    def results(self) -> Path:
        return self.root / "results"

    def task_dir(self, task: Task) -> Path:
        return self.results / task.task_id

    def is_done(self, task: Task) -> bool:
        """Whether ``task`` finished earlier for the same scenario."""
        marker = self.task_dir(task) / "task.json"
        if not marker.is_file():
            return False
        try:
            data = json.loads(marker.read_text())
        except (OSError, json.JSONDecodeError):
            return False
        return data.get("scenario_digest") == self.digest

    def write_task(self, output: TaskOutput) -> None:
        """Write one task's results; ``task.json`` last, so a killed write is not 'done'."""
        final = self.task_dir(output.task)
        self.results.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.results, prefix=".tmp-"))
        try:
            for name in _FRAMES:
                frame = getattr(output, name)
                if frame is not None:  # None: not kept (scenario study.time_series)
                    _to_parquet(frame, tmp / f"{name}.parquet")
            write_json(
                tmp / "task.json",
                {
                    "scenario_digest": self.digest,
                    "task": output.task.as_dict(),
                    "summary": {k: _clean(v) for k, v in output.summary.items()},
                },
            )
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        if output.sessions is not None:
            fleet_dir = self.results / "fleet"
            fleet_dir.mkdir(exist_ok=True)
            name = f"{output.task.feeder}-seed{output.task.draw}"
            if output.task.ev_share is not None:
                name += f"-share{output.task.ev_share:.4f}"
            if output.task.year is not None:
                name += f"-y{output.task.year}"
            # always (re)written: a folder reused for another scenario must not keep old fleets
            _to_parquet(output.sessions, fleet_dir / f"{name}.parquet")
        duration = output.extra.get("base_load_duration")
        if duration is not None:
            path = self.results / "fleet" / f"{output.task.feeder}-base_load.parquet"
            path.parent.mkdir(exist_ok=True)
            _to_parquet(duration, path)

    def read_summary_row(self, task: Task) -> dict[str, Any]:
        data = json.loads((self.task_dir(task) / "task.json").read_text())
        return data["summary"]

    def read_frame(self, task: Task, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.task_dir(task) / f"{name}.parquet")

    def write_feeder_geojson(self, name: str, geojson: dict[str, Any]) -> None:
        write_json(self.results / "feeders" / f"{name}.geojson", geojson)
