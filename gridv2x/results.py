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
    area.csv, hosting_capacity.gpkg                       (several feeders: the area ranking)
    scenario.resolved.yaml, provenance.json, report.html, results.xlsx (report --excel)
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
stressed study level that every strategy of the feeder reached (the highest EV share of a
hosting-capacity study, the last year of an adoption forecast; a compare study has one level).
With ``study.sweep: full`` and in an adoption forecast every strategy draws every level, so
that is the highest level listed; in a hosting-capacity study with ``ordered`` a strategy stops
at its first share that violates, so it is the highest share drawn for every strategy (where
the strategies are compared on the same draws). :func:`charted_rows` and
:func:`charted_tasks` apply the rule to a summary after the run; :func:`keeps_time_series`
applies it to a task before the run (scenario key ``study.time_series``), so that the tasks
the report charts are among the tasks that keep their whole-period tables: with ``ordered`` the charted share is known only after the run, so
the lowest seed of every share keeps them.
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
    "SUMMARY_FILES",
    "AREA_FILES",
    "RESOLVED_SCENARIO_FILE",
    "PROVENANCE_FILE",
    "REPORT_FILE",
    "EXCEL_FILE",
    "top_level_files",
    "task_files",
    "charted_fleet_file",
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
    "charted_level",
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

SUMMARY_FILES = ("summary.csv", "summary.json")
"""The study summary, one row per task (CSV, and JSON records)."""

AREA_FILES = ("area.csv", "hosting_capacity.gpkg")
"""The ranked substation table and its map layer of a study of several feeders."""

RESOLVED_SCENARIO_FILE = "scenario.resolved.yaml"
"""The scenario with every default filled in, as the study ran it."""

PROVENANCE_FILE = "provenance.json"
"""Versions, hashes and timings of the run."""

REPORT_FILE = "report.html"
"""The HTML report."""

EXCEL_FILE = "results.xlsx"
"""The study tables as one workbook (``gridv2x report --excel``)."""


def top_level_files() -> tuple[str, ...]:
    """Every file a study may write at the top of its output folder (module docs)."""
    tables = STUDY_TABLES + REINFORCEMENT_TABLES + SENSITIVITY_TABLES + V2X_FRAMES
    return (
        *SUMMARY_FILES,
        *(f"{name}.csv" for name in tables),
        *AREA_FILES,
        RESOLVED_SCENARIO_FILE,
        PROVENANCE_FILE,
        REPORT_FILE,
        EXCEL_FILE,
    )


def task_files() -> tuple[str, ...]:
    """Every file a task may write in its folder ``results/<task_id>/``."""
    return (*(frame_file("", name).name for name in TASK_FRAMES), TASK_FILE)


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
    if study.get("kind") == "hosting_capacity" and study.get("sweep", "ordered") == "ordered":
        return True  # the charted level is known only after the run (module docs)
    if ev_share is not None:
        return ev_share == max(float(s) for s in study["ev_shares"])
    if year is not None:
        return year == max(int(y) for y in study["years"])
    return True


def charted_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Summary rows of the most stressed study level, per feeder (module docs).

    A compare study has one level, so this keeps every row (all strategies and seeds). A
    hosting-capacity study (``ev_share_target``) or an adoption forecast (``year``) has many;
    the highest target share or year drawn for every strategy of the feeder is kept. The realised ``ev_share`` differs from
    seed to seed and is therefore not used to pick rows.
    """
    if summary.empty:
        return summary
    for column in LEVEL_COLUMNS:
        if column in summary.columns:
            level = pd.to_numeric(summary[column], errors="coerce")
            if level.notna().any():
                strategy = summary["strategy"] if "strategy" in summary else summary["feeder"]
                top = charted_level(summary["feeder"], strategy, level)
                return summary[(level == top) | top.isna()]
    return summary


def charted_level(feeder: pd.Series, strategy: pd.Series, level: pd.Series) -> pd.Series:
    """Per row, its feeder's charted level: the highest level drawn for every strategy of the
    feeder (module docs); the feeder's highest level where no level is common to all."""
    frame = pd.DataFrame({"feeder": feeder, "strategy": strategy, "level": level}).dropna()
    charted: dict[Any, float] = {}
    for name, rows in frame.groupby("feeder", sort=False):
        per_strategy = [set(g["level"]) for _, g in rows.groupby("strategy", sort=False)]
        common = set.intersection(*per_strategy) if per_strategy else set()
        charted[name] = max(common) if common else float(rows["level"].max())
    return feeder.map(charted).astype(float)


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


def charted_fleet_file(root: str | Path, summary: pd.DataFrame, feeder: str) -> Path | None:
    """Charging sessions of the draw the report charts for ``feeder`` (module docs), or None.

    The draw of :func:`charted_tasks` (the lowest seed at the most stressed study level); its
    file is :func:`fleet_file` of that task's draw, EV share and year.
    """
    rows = charted_rows(summary)
    rows = rows[rows["feeder"] == feeder]
    if rows.empty or "seed" not in rows.columns:
        return None
    seeds = pd.to_numeric(rows["seed"], errors="coerce")
    if seeds.notna().sum() == 0:
        return None
    row = rows.loc[seeds.idxmin()]

    def level(column: str) -> float | None:
        value = pd.to_numeric(row.get(column), errors="coerce") if column in row else None
        return None if value is None or pd.isna(value) else float(value)

    share, year = level("ev_share_target"), level("year")
    return fleet_file(root, feeder, int(seeds.min()), share, None if year is None else int(year))
