"""The results store: an output folder that is also a checkpoint.

Each finished task is written at once to ``results/<task_id>/`` (parquet files plus a
``task.json`` written last, atomically), so a killed run started again with the same output
folder skips what is done. A task counts as done only when its ``task.json`` is a well-formed
record carrying the same study fingerprint (:mod:`gridv2x.execution.fingerprint`: scenario,
input file contents, feeder definitions, gridv2x version) and every file it lists has its
recorded SHA-256; a folder of another study is cleaned first (:mod:`.outfolder`). Folder and
file names are :func:`~gridv2x.execution.outfolder.file_name` of the task id and feeder name.

The layout (folders, tables, file names) is declared in :mod:`gridv2x.results`.
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

from gridv2x import results as layout
from gridv2x.errors import InputError
from gridv2x.execution import outfolder
from gridv2x.execution.fingerprint import content_sha256
from gridv2x.execution.outfolder import inside
from gridv2x.study import Task, TaskOutput

__all__ = ["ResultsStore"]


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


def _atomic_text(path: Path, write) -> None:
    """Write a file atomically (temporary file, then rename), with the umask's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8"
    ) as fh:
        tmp = fh.name
        try:
            write(fh)
        except BaseException:
            fh.close()
            Path(tmp).unlink(missing_ok=True)
            raise
    os.chmod(tmp, outfolder.file_mode())  # not NamedTemporaryFile's 0600
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    _atomic_text(path, lambda fh: json.dump(data, fh, indent=2, default=_json_default))


def write_text(path: Path, text: str) -> None:
    """Write text atomically."""
    _atomic_text(path, lambda fh: fh.write(text))


def write_frame_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write a CSV atomically."""
    write_text(path, frame.to_csv(index=False))


def _to_parquet(frame: pd.DataFrame, path: Path) -> str:
    """Write parquet atomically (a killed run never leaves a half-written file).

    Returns the SHA-256 of the file written (recorded in ``task.json``, checked on resume).
    """
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp)
    digest = content_sha256(tmp)
    os.replace(tmp, path)
    return digest


def _read_task_json(path: Path) -> dict[str, Any] | None:
    """A task's ``task.json`` if it is a well-formed record, else None (recompute the task)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # unreadable, not UTF-8, not JSON
        return None
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        return None
    if not isinstance(data.get("files", {}), dict):
        return None
    return data


class ResultsStore:
    """An output folder of a study.

    Parameters
    ----------
    root : Path
        The output folder (created on the first write, never before).
    digest : str
        The study fingerprint (:func:`gridv2x.execution.fingerprint.study_fingerprint`);
        tasks of another fingerprint are not reused.
    """

    def __init__(self, root: str | Path, digest: str) -> None:
        self.root = Path(root)
        self.digest = digest

    @property
    def results(self) -> Path:
        return self.root / layout.RESULTS_DIR

    def _inside(self, path: Path) -> Path:
        return inside(self.root, path)

    def task_dir(self, task: Task) -> Path:
        return layout.task_dir(self.root, task.task_id)

    def _record(self, task: Task) -> dict[str, Any] | None:
        """The task's record if it finished for this study and its files are intact."""
        record = _read_task_json(self.task_dir(task) / layout.TASK_FILE)
        if record is None or record.get("scenario_digest") != self.digest:
            return None
        for relative, digest in record.get("files", {}).items():
            path = self.results / str(relative)
            try:
                self._inside(path)
                if not path.is_file() or content_sha256(path) != digest:
                    return None  # missing or corrupt (a truncated or altered parquet file)
            except (OSError, InputError):
                return None
        return record

    def is_done(self, task: Task) -> bool:
        """Whether ``task`` finished earlier for the same study, with every file intact.

        A ``task.json`` that is not a JSON object with a summary (a list, not UTF-8, cut
        short) or a stored file whose SHA-256 differs from the recorded one makes the task
        count as not done: it is computed again.
        """
        return self._record(task) is not None

    def write_task(self, output: TaskOutput) -> None:
        """Write one task's results; ``task.json`` last, so a killed write is not 'done'."""
        task = output.task
        final = self._inside(self.task_dir(task))
        self.results.mkdir(parents=True, exist_ok=True)
        files: dict[str, str] = {}
        if output.sessions is not None:
            path = layout.fleet_file(self.root, task.feeder, task.draw, task.ev_share, task.year)
            # always (re)written: a folder reused for another scenario must not keep old fleets
            files[self._relative(path)] = self._write_shared(output.sessions, path)
        duration = output.extra.get("base_load_duration")
        if duration is not None:
            path = layout.base_load_file(self.root, task.feeder)
            files[self._relative(path)] = self._write_shared(duration, path)
        tmp = Path(tempfile.mkdtemp(dir=self._inside(self.results), prefix=".tmp-"))
        os.chmod(tmp, outfolder.folder_mode())  # not mkdtemp's 0700
        try:
            for name in layout.TASK_FRAMES:
                frame = getattr(output, name)
                if frame is not None:  # None: not kept (scenario study.time_series)
                    digest = _to_parquet(frame, tmp / f"{name}.parquet")
                    files[f"{final.name}/{name}.parquet"] = digest
            write_json(
                tmp / layout.TASK_FILE,
                {
                    "scenario_digest": self.digest,
                    "task": task.as_dict(),
                    "summary": {k: _clean(v) for k, v in output.summary.items()},
                    "files": files,
                },
            )
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def _relative(self, path: Path) -> str:
        """``path`` relative to the results folder, as recorded in ``task.json``."""
        return path.relative_to(self.results).as_posix()

    def _write_shared(self, frame: pd.DataFrame, path: Path) -> str:
        path = self._inside(path)
        path.parent.mkdir(exist_ok=True)
        return _to_parquet(frame, path)

    def read_summary_row(self, task: Task) -> dict[str, Any]:
        record = _read_task_json(self.task_dir(task) / layout.TASK_FILE)
        if record is None:
            raise InputError(f"task {task.task_id!r}: its task.json is not a task record")
        return record["summary"]

    def read_frame(self, task: Task, name: str) -> pd.DataFrame:
        return pd.read_parquet(layout.frame_path(self.root, task.task_id, name))

    def write_feeder_geojson(self, name: str, geojson: dict[str, Any]) -> None:
        write_json(self._inside(layout.feeder_file(self.root, name)), geojson)
