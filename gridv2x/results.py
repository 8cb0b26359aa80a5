"""The output layout of a study, in one place: the tables each task writes and their files, the
folders, and which task the report charts in detail.

The results store (:mod:`gridv2x.execution.store`) writes this layout, the report
(:mod:`gridv2x.report`) and :class:`gridv2x.api.StudyResult` read it; none of them spells a
table or file name itself. Layout (docs/design.md, docs/architecture.md)::

    summary.csv, summary.json                  one row per task
    hosting_capacity.csv, violation_probability.csv, forecast.csv, deferral.csv
    reinforcement.csv, economics.csv                      (reinforcement.enabled)
    sensitivity.csv, sensitivity_draws.csv                (a sensitivity study)
    flexibility.csv, markets.csv, resilience.csv          (v2x.enabled: gathered task tables)
    scenario.resolved.yaml, provenance.json, report.html
    results/<task_id>/<frame>.parquet, task.json         (frame: TASK_FRAMES)
    results/feeders/<feeder>.geojson
    results/fleet/<feeder>-seed<k>[-share<s>][-y<year>].parquet, <feeder>-base_load.parquet

Task ids and feeder names are labels: in file and folder names they appear as
:func:`file_name` of the label: the label itself when it is a safe file name (letters, digits,
``_ . -``, no leading dot, at most :data:`MAX_NAME_BYTES`), else a slug of it plus 10 hex
digits of its SHA-256 (deterministic, so a rerun finds its files; never a path).

The charted task
----------------
Per feeder and strategy the report charts one task in detail: the lowest seed at the most
stressed study level (the highest EV share of a hosting-capacity study, the last year of an
adoption forecast; a compare study has one level). :func:`charted_rows` and
:func:`charted_tasks` apply the rule to a summary after the run; :func:`keeps_time_series`
applies it to a task before the run (scenario key ``study.time_series``), so that the tasks the
report charts are the tasks that keep their whole-period tables.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "MAX_NAME_BYTES",
    "file_name",
    "RESULTS_DIR",
    "TASK_FILE",
    "TASK_FRAMES",
    "WHOLE_PERIOD_FRAMES",
    "V2X_FRAMES",
    "STUDY_TABLES",
    "REINFORCEMENT_TABLES",
    "SENSITIVITY_TABLES",
    "LEVEL_COLUMNS",
    "task_dir",
    "frame_path",
    "frame_file",
    "feeders_dir",
    "feeder_file",
    "fleet_dir",
    "fleet_file",
    "base_load_file",
    "keeps_time_series",
    "charted_rows",
    "charted_tasks",
]

MAX_NAME_BYTES = 120
"""Longest name [bytes, UTF-8] kept as it is in a file name; task ids add suffixes to it and
most file systems allow 255 bytes per path component."""

_SAFE = re.compile(r"\w[\w.-]*")  # letters (any script), digits, _ . - ; no leading dot
_HASH_DIGITS = 10
_SLUG_BYTES = 60


def file_name(name: Any) -> str:
    """A safe file name (one path component) for ``name``; deterministic.

    Parameters
    ----------
    name : str
        Any text (other values are turned into text).

    Returns
    -------
    str
        ``name`` itself when it is already safe, else ``<slug>-<10 hex digits>``.

    Examples
    --------
    >>> file_name("se-villa-small")
    'se-villa-small'
    >>> file_name("../../victim")[:7]
    'victim-'
    """
    text = str(name)
    if _SAFE.fullmatch(text) and len(text.encode()) <= MAX_NAME_BYTES:
        return text
    slug = re.sub(r"[^\w.-]+", "-", unicodedata.normalize("NFC", text))
    slug = re.sub(r"\.{2,}", ".", slug).strip(".-")
    while len(slug.encode()) > _SLUG_BYTES:
        slug = slug[:-1]
    slug = slug.strip(".-")
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_DIGITS]
    return f"{slug}-{digest}" if slug else f"name-{digest}"


RESULTS_DIR = "results"
"""Folder of the per-task results inside an output folder."""

TASK_FILE = "task.json"
"""Written last into a task's folder: the task is done (and for which scenario)."""

TASK_FRAMES = (
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
"""Tables a task may write, each as ``results/<task_id>/<name>.parquet`` (a ``TaskOutput``
attribute of the same name; None = not written)."""

WHOLE_PERIOD_FRAMES = ("timeseries", "voltage_daily", "soc")
"""Task tables over the whole period (about 4.5 MB a task for a year at 15 min), kept only for
the tasks :func:`keeps_time_series` keeps."""

V2X_FRAMES = ("flexibility", "markets", "resilience")
"""Task tables of ``v2x.enabled``, gathered into one study table each (``<name>.csv``)."""

STUDY_TABLES = ("violation_probability", "hosting_capacity", "forecast", "deferral")
"""Study tables computed from the summary, each written as ``<name>.csv``."""

REINFORCEMENT_TABLES = ("reinforcement", "economics")
"""Study tables of scenario section ``reinforcement`` (``<name>.csv``; None when disabled)."""

SENSITIVITY_TABLES = ("sensitivity", "sensitivity_draws")
"""Study tables of a sensitivity study (``<name>.csv``)."""

LEVEL_COLUMNS = ("ev_share_target", "year")
"""Summary columns that identify a study level (hosting-capacity share, forecast year)."""


def task_dir(root: str | Path, task_id: str) -> Path:
    """Folder of one task's results (named by the safe file name of the task id)."""
    return Path(root) / RESULTS_DIR / file_name(str(task_id))


def frame_path(root: str | Path, task_id: str, name: str) -> Path:
    """File of one task table (``name`` in :data:`TASK_FRAMES`)."""
    return frame_file(task_dir(root, task_id), name)


def frame_file(folder: str | Path, name: str) -> Path:
    """File of one task table in a task's folder (``name`` in :data:`TASK_FRAMES`)."""
    return Path(folder) / f"{name}.parquet"


def feeders_dir(root: str | Path) -> Path:
    """Folder of the feeder maps (``<feeder>.geojson``)."""
    return Path(root) / RESULTS_DIR / "feeders"


def feeder_file(root: str | Path, feeder: str) -> Path:
    """Map of one feeder (GeoJSON, named by the safe file name of the feeder)."""
    return feeders_dir(root) / f"{file_name(feeder)}.geojson"


def fleet_dir(root: str | Path) -> Path:
    """Folder of the charging sessions per draw and the base-load duration curves."""
    return Path(root) / RESULTS_DIR / "fleet"


def fleet_file(
    root: str | Path, feeder: str, draw: int, ev_share: float | None, year: int | None
) -> Path:
    """Charging sessions of one draw of one feeder (at one EV share or year)."""
    name = f"{file_name(feeder)}-seed{draw}"
    if ev_share is not None:
        name += f"-share{ev_share:.4f}"
    if year is not None:
        name += f"-y{year}"
    return fleet_dir(root) / f"{name}.parquet"


def base_load_file(root: str | Path, feeder: str) -> Path:
    """Base-load duration curves of one feeder."""
    return fleet_dir(root) / f"{file_name(feeder)}-base_load.parquet"


def keeps_time_series(
    study: Mapping[str, Any], draw: int, ev_share: float | None, year: int | None
) -> bool:
    """Whether a task keeps its whole-period tables (scenario key ``study.time_series``).

    Parameters
    ----------
    study : mapping
        The scenario's ``study`` section (``kind``, ``time_series``, ``ev_shares``, ``years``).
    draw : int
        The task's Monte-Carlo draw.
    ev_share, year : float or int or None
        The task's study level.

    Returns
    -------
    bool
        ``all``: every task; ``shown``: the charted task (module docs); ``auto``: ``all`` for a
        compare study, ``shown`` otherwise.
    """
    rule = study.get("time_series", "auto")
    if rule == "all" or (rule == "auto" and study.get("kind") == "compare"):
        return True
    if draw != 0:  # the lowest seed
        return False
    if ev_share is not None:
        return ev_share == max(float(s) for s in study["ev_shares"])
    if year is not None:
        return year == max(int(y) for y in study["years"])
    return True


def charted_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Summary rows of the most stressed study level, per feeder (module docs).

    A compare study has one level, so this keeps every row (all strategies and seeds). A
    hosting-capacity study (``ev_share_target``) or an adoption forecast (``year``) has many;
    the highest target share or the last year is kept. The realised ``ev_share`` differs from
    seed to seed and is therefore not used to pick rows.
    """
    if summary.empty:
        return summary
    for column in LEVEL_COLUMNS:
        if column in summary.columns:
            level = pd.to_numeric(summary[column], errors="coerce")
            if level.notna().any():
                top = level.groupby(summary["feeder"]).transform("max")
                return summary[(level == top) | top.isna()]
    return summary


def charted_tasks(
    summary: pd.DataFrame, feeder: str, strategies: Iterable[str] | None = None
) -> dict[str, str]:
    """Per strategy the task charted in detail: the lowest seed of :func:`charted_rows`.

    Parameters
    ----------
    summary : DataFrame
        The study summary (``task_id``, ``feeder``, ``strategy``, ``seed``, level columns).
    feeder : str
        Feeder name.
    strategies : iterable of str, optional
        Order of the result (default: the order in the summary).

    Returns
    -------
    dict
        ``{strategy: task_id}``.
    """
    rows = charted_rows(summary)
    rows = rows[(rows["feeder"] == feeder) & rows["task_id"].notna()]
    if "seed" in rows.columns:
        rows = rows.assign(_seed=pd.to_numeric(rows["seed"], errors="coerce")).sort_values("_seed")
    order = list(strategies) if strategies is not None else list(dict.fromkeys(rows["strategy"]))
    out: dict[str, str] = {}
    for strategy in order:
        sub = rows[rows["strategy"] == strategy]
        if not sub.empty:
            out[strategy] = str(sub["task_id"].iloc[0])
    return out
