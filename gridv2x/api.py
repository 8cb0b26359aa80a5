"""The public entry points: :func:`run` a scenario, get a :class:`StudyResult`.

>>> import gridv2x
>>> scenario = gridv2x.read_scenario("scenarios/quickstart.yaml")  # doctest: +SKIP
>>> result = gridv2x.run(scenario)  # doctest: +SKIP
>>> result.summary[["strategy", "transformer_peak_kw", "v_min_pu"]]  # doctest: +SKIP
>>> result.write("reports/quickstart")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import platform
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gridv2x import metrics, reinforcement, results
from gridv2x.errors import InputError, ScenarioError
from gridv2x.execution import outfolder
from gridv2x.execution.cluster import check_scheduler
from gridv2x.execution.fingerprint import content_sha256, study_fingerprint
from gridv2x.execution.runner import execute, study_client
from gridv2x.execution.store import ResultsStore, write_frame_csv, write_json, write_text
from gridv2x.scenario import Scenario, read_scenario
from gridv2x.study import Study, Task

__all__ = ["run", "StudyResult", "load_result", "validate_feeders"]

_VERSIONED = (
    "gridv2x",
    "numpy",
    "pandas",
    "scipy",
    "pandapower",
    "power-grid-model",
    "simbench",
    "geopandas",
    "dask",
    "distributed",
    "plotly",
)


@dataclass
class StudyResult:
    """The results of a study, backed by a results folder.

    Attributes
    ----------
    scenario : Scenario
    root : Path
        The results folder (a temporary folder when :func:`run` got no ``out``).
    summary : DataFrame
        One row per task (docs/design.md summary columns and more).
    failures : dict
        ``task_id -> error`` of tasks that failed (their rows are missing from ``summary``).
    violation_probability, hosting_capacity : DataFrame or None
        For ``hosting_capacity`` studies (EPRI stochastic method).
    forecast, deferral : DataFrame or None
        For ``adoption_forecast`` studies.
    reinforcement, economics : DataFrame or None
        One row per task and reinforcement measure (``reinforcement.csv``) and the economics
        of each task (``economics.csv``: cost, present value, deferral, value of V1G/V2G per
        EV and year, V2G wear and charger cost); None when reinforcement is disabled.
    sensitivity, sensitivity_draws : DataFrame or None
        For ``sensitivity`` studies: the tornado table and every draw's capacity
        (:mod:`gridv2x.sensitivity`).
    flexibility, markets, resilience : DataFrame or None
        With ``v2x.enabled``: every V1G/V2G task's flexibility by hour and season, EVs needed
        per market product, and (V2G) V2H backup, with the task's feeder, strategy, seed,
        ev_share and year (:mod:`gridv2x.v2x`).
    provenance : dict
        Versions, seeds, input hashes, run time.
    """

    scenario: Scenario
    root: Path
    summary: pd.DataFrame
    failures: dict[str, str] = field(default_factory=dict)
    violation_probability: pd.DataFrame | None = None
    hosting_capacity: pd.DataFrame | None = None
    forecast: pd.DataFrame | None = None
    deferral: pd.DataFrame | None = None
    reinforcement: pd.DataFrame | None = None
    economics: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    sensitivity_draws: pd.DataFrame | None = None
    flexibility: pd.DataFrame | None = None
    markets: pd.DataFrame | None = None
    resilience: pd.DataFrame | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    _tmp: Any = field(default=None, repr=False)

    def frame(self, task_id: str, name: str) -> pd.DataFrame:
        """One stored table of one task (``timeseries``, ``customers``, ``voltage_daily``,
        ``elements``, ``evs`` or ``soc``).

        Raises
        ------
        InputError
            The task or the table is not stored: an unknown ``task_id``, or a whole-period
            table of a task that scenario key ``study.time_series`` did not keep.
        """
        path = results.frame_path(self.root, task_id, name)
        if not path.is_file():
            if not (results.task_dir(self.root, task_id) / results.TASK_FILE).is_file():
                raise InputError(f"no stored task {task_id!r} in {self.root / results.RESULTS_DIR}")
            rule = self.scenario.study.get("time_series", "auto")
            raise InputError(
                f"task {task_id!r} has no stored {name} table: study.time_series is {rule!r}, "
                "which keeps the whole-period tables (timeseries, voltage_daily, soc) only for "
                "the tasks the report charts in detail; set study.time_series: all to keep "
                "them for every task"
            )
        return pd.read_parquet(path)

    def timeseries(self, task_id: str) -> pd.DataFrame:
        """Feeder time series of one task (transformer power and loading, voltages, ...)."""
        return self.frame(task_id, "timeseries")

    def write(self, out: str | Path, *, report: bool = True) -> Path:
        """Write the output folder (docs/design.md): summary, tables, provenance, results, report.

        Parameters
        ----------
        out : str or Path
            Output folder; created if needed. Results of earlier runs of *other* tasks in it
            are left alone.
        report : bool
            Also build ``report.html``.

        Returns
        -------
        Path
            The output folder.
        """
        out = Path(out)
        if out.resolve() != self.root.resolve():
            fingerprint = self.provenance.get("study_fingerprint") or self.scenario.digest()
            outfolder.claim(out, fingerprint, self.scenario.name)  # one study per folder
            shutil.copytree(
                self.root / results.RESULTS_DIR,
                outfolder.inside(out, out / results.RESULTS_DIR),
                dirs_exist_ok=True,
            )
        _write_tables(self, out)
        if report and not self.summary.empty:  # nothing to report when every task failed
            from gridv2x.report import build_report

            build_report(out)
        return out


def validate_feeders(study: Study) -> None:
    """Check every feeder and input file before any work starts; report all problems at once
    (:func:`gridv2x.input_checks.check_inputs`, the code path of ``gridv2x validate`` too)."""
    from gridv2x.input_checks import check_inputs

    errors = check_inputs(study)
    if errors:
        raise ScenarioError(errors, str(study.scenario.source or "<scenario>"))


def run(
    scenario: Scenario | str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    dashboard: bool = False,
) -> StudyResult:
    """Run a study.

    Parameters
    ----------
    scenario : Scenario or path
        A scenario (:func:`gridv2x.read_scenario`) or the path of a scenario file.
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:8786``). Default: a local
        dask.distributed cluster.
    workers : int, optional
        Worker processes of the local cluster (default: one per core); ``0`` runs in this
        process without dask.
    out : str or Path, optional
        Output folder used as checkpoint: each finished task is written there at once, and a
        run started again with the same folder continues where it stopped. Default: a
        temporary folder (use :meth:`StudyResult.write` to keep the results).
    progress : bool
        Show progress (bar on a terminal, log lines otherwise).
    dashboard : bool
        Serve the local cluster's dask dashboard on port 8787 (default: no dashboard).

    Returns
    -------
    StudyResult

    Raises
    ------
    gridv2x.errors.InputError
        Invalid scenario or network; raised before any work starts and before anything is
        written.
    """
    if not isinstance(scenario, Scenario):
        scenario = read_scenario(scenario)
    started = time.perf_counter()
    started_at = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    if scheduler:
        check_scheduler(scheduler)  # a bad or unreachable address: exit 2, nothing written
    study = Study(scenario)
    validate_feeders(study)
    fingerprint, _inputs = study_fingerprint(scenario)  # what the results are computed from
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="gridv2x-")
        root = Path(tmp.name)
    else:
        root = Path(out)
        if outfolder.claim(root, fingerprint, scenario.name) and progress:
            print(f"gridv2x: {root} held another study's results; removed them", file=sys.stderr)
    store = ResultsStore(root, fingerprint)
    root.mkdir(parents=True, exist_ok=True)
    from gridv2x.network import feeder_geojson

    for name in study.feeder_names:
        store.write_feeder_geojson(name, feeder_geojson(study.feeder(name)))

    ran: list = []
    clients = ExitStack()  # one cluster for every round of the study, started at first need
    client: list[Any] = []

    def run_batch(todo: list, done_before: int, total: int) -> dict[str, str]:
        ran.extend(todo)
        if todo and not client:
            client.append(
                clients.enter_context(study_client(scheduler, workers, dashboard=dashboard))
            )
        if progress and done_before:
            print(
                f"gridv2x: resuming in {root}: {done_before} of {total} tasks done before",
                file=sys.stderr,
            )
        return execute(
            scenario,
            todo,
            store.write_task,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
            already_done=done_before,
            first_strategy=study.strategies[0],
            study_key=fingerprint,
            dashboard=dashboard,
            client=client[0] if client else None,
        )

    sensitivity_tables = None
    if scenario.study["kind"] == "sensitivity":
        from gridv2x.sensitivity import run_sensitivity, tornado_table

        def run_variant(variant: Scenario, folder: Path, batch: list) -> dict[str, dict]:
            variant_key = study_fingerprint(variant)[0]  # scenario and input file contents
            variant_store = ResultsStore(folder, variant_key)
            todo = [task for task in batch if not variant_store.is_done(task)]
            ran.extend(todo)
            if todo:
                failures.update(
                    execute(
                        variant,
                        todo,
                        variant_store.write_task,
                        scheduler=scheduler,
                        workers=0 if workers is None and scheduler is None else workers,
                        progress=progress,
                        first_strategy=study.strategies[0],
                        study_key=variant_key,
                    )
                )
            return {
                task.task_id: variant_store.read_summary_row(task)
                for task in batch
                if variant_store.is_done(task)
            }

        failures: dict[str, str] = {}
        draws, rows = run_sensitivity(scenario, root, run_variant)
        sensitivity_tables = (tornado_table(draws, scenario), draws)
        base_rows = rows[rows["variant"] == "base"] if len(rows) else rows
        tasks: list[Task] = []
        n_tasks = len(rows.drop_duplicates(["variant", "task_id"])) if len(rows) else 0
        summary_rows = base_rows.drop_duplicates("task_id").to_dict("records")
    elif scenario.study["kind"] in ("hosting_capacity", "adoption_forecast"):
        from gridv2x.execution.sequential import run_rounds

        with clients:
            tasks, failures = run_rounds(  # draws added where the interval straddles the risk
                study,
                store.is_done,
                lambda task: bool(store.read_summary_row(task)["violation"]),
                run_batch,
            )
    else:
        tasks = study.tasks()
        todo = [task for task in tasks if not store.is_done(task)]
        with clients:
            failures = run_batch(todo, len(tasks) - len(todo), len(tasks))
    if sensitivity_tables is None:
        summary_rows = [store.read_summary_row(task) for task in tasks if store.is_done(task)]
    summary = pd.DataFrame(summary_rows)
    result = StudyResult(scenario=scenario, root=root, summary=summary, failures=failures, _tmp=tmp)
    _study_tables(result)
    if sensitivity_tables is not None:
        result.sensitivity, result.sensitivity_draws = sensitivity_tables
    result.provenance = _provenance(
        scenario,
        study,
        started_at,
        time.perf_counter() - started,
        scheduler,
        workers,
        len(ran),
        n_tasks if sensitivity_tables is not None else len(tasks),
    )
    result.provenance["study_fingerprint"] = fingerprint
    if out is not None:
        _write_tables(result, root)
    return result


def load_result(out: str | Path) -> StudyResult:
    """Read a study's output folder back (e.g. to rebuild the report)."""
    from gridv2x.scenario import scenario_from_dict

    out = Path(out)
    resolved = out / "scenario.resolved.yaml"
    if not resolved.is_file():
        raise InputError(f"{out}: not a gridv2x output folder (no scenario.resolved.yaml)")
    import yaml

    scenario = scenario_from_dict(yaml.safe_load(resolved.read_text()))
    summary = (
        pd.read_csv(out / "summary.csv") if (out / "summary.csv").is_file() else pd.DataFrame()
    )
    result = StudyResult(scenario=scenario, root=out, summary=summary)
    _study_tables(result)
    for name in results.SENSITIVITY_TABLES:
        if (out / f"{name}.csv").is_file():
            setattr(result, name, pd.read_csv(out / f"{name}.csv"))
    provenance = out / "provenance.json"
    if provenance.is_file():
        import json

        result.provenance = json.loads(provenance.read_text())
    return result


V2X_TABLES = results.V2X_FRAMES
"""Per-task V2X tables gathered into one study table each (``v2x.enabled``)."""


def _gather_task_tables(result: StudyResult) -> None:
    """The V2X tables of every task, one study table each, with the task's identity."""
    summary = result.summary
    if summary.empty or "task_id" not in summary:
        return
    identity = [
        c for c in ("feeder", "strategy", "seed", "ev_share_target", "year") if c in summary
    ]
    for name in V2X_TABLES:
        parts = []
        for row in summary[["task_id", *identity]].itertuples(index=False):
            path = results.frame_path(result.root, str(row.task_id), name)
            if path.is_file():
                frame = pd.read_parquet(path)
                for column in reversed(identity):
                    value = getattr(row, column)
                    label = "ev_share" if column == "ev_share_target" else column
                    frame.insert(0, label, value)
                parts.append(frame)
        if parts:
            setattr(result, name, pd.concat(parts, ignore_index=True))


def _study_tables(result: StudyResult) -> None:
    """Hosting capacity and adoption-forecast tables from the summary; the V2X tables."""
    _gather_task_tables(result)
    study = result.scenario.study
    summary = result.summary
    if summary.empty or "violation" not in summary:
        return
    result.reinforcement = reinforcement.reinforcement_table(summary)
    result.economics = reinforcement.study_economics(summary, result.scenario)
    table = summary.assign(violation=summary["violation"].astype(bool))
    from gridv2x.execution.sequential import design_of

    design = design_of(study)
    bounds = {"risk": study["risk"], "confidence": design.confidence, "design": design}
    if study["kind"] == "hosting_capacity":
        table = table.assign(ev_share=table["ev_share_target"])
        result.violation_probability = metrics.violation_probability(table, **bounds)
        result.hosting_capacity = metrics.hosting_capacity(table, **bounds)
    elif study["kind"] == "adoption_forecast":
        result.forecast = metrics.violation_probability(
            table, by=("feeder", "strategy", "year"), **bounds
        )
        first = metrics.first_violation_year(table, **bounds)
        result.deferral = metrics.deferral_years(first)


def _write_tables(result: StudyResult, out: Path) -> None:
    summary = result.summary
    outfolder.inside(out, out)
    write_frame_csv(out / "summary.csv", summary)
    write_text(
        out / "summary.json",
        summary.to_json(orient="records", indent=2, date_format="iso", default_handler=str),
    )
    for name in (
        *results.STUDY_TABLES,
        *V2X_TABLES,
        *results.REINFORCEMENT_TABLES,
        *results.SENSITIVITY_TABLES,
    ):
        table = getattr(result, name)
        if table is not None:
            write_frame_csv(out / f"{name}.csv", table)
    write_text(out / "scenario.resolved.yaml", result.scenario.to_yaml())
    from gridv2x.report.area import write_area_results

    write_area_results(out, result.hosting_capacity)  # several feeders: ranked, on a map
    provenance = dict(result.provenance)
    if result.failures:
        provenance["failures"] = result.failures
    write_json(out / "provenance.json", provenance)


def _input_files(data: Any, prefix: str = "") -> dict[str, str]:
    files = {}
    if isinstance(data, dict):
        for key, value in data.items():
            files.update(_input_files(value, f"{prefix}.{key}" if prefix else key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            files.update(_input_files(value, f"{prefix}[{i}]"))
    elif isinstance(data, str) and Path(data).is_absolute() and Path(data).is_file():
        files[prefix] = data
    return files


def _provenance(
    scenario, study, started_at, seconds, scheduler, workers, n_run, n_tasks=None
) -> dict[str, Any]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in _VERSIONED:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            versions[package] = None
    inputs = {}
    if scenario.source is not None:
        inputs["scenario"] = {
            "path": str(scenario.source),
            "sha256": content_sha256(scenario.source),
        }
    for key, path in _input_files(scenario.to_dict()).items():
        inputs[key] = {"path": path, "sha256": content_sha256(path)}
    return {
        "scenario_name": scenario.name,
        "scenario_digest": scenario.digest(),
        "started_at": started_at,
        "run_seconds": round(seconds, 3),
        "tasks": len(study.tasks()) if n_tasks is None else n_tasks,
        "tasks_run_now": n_run,
        "seeds": {
            "base_seed": scenario.study["seed"],
            "draws": scenario.study["seeds"],
            "max_draws": scenario.study.get("max_seeds"),
            "confidence": scenario.study.get("confidence"),
            "rule": "numpy SeedSequence([seed, draw, sha256(feeder), stage, *level])",
        },
        "execution": {
            "scheduler": scheduler or "local",
            "workers": workers,
            "host": platform.node(),
            "platform": platform.platform(),
        },
        "versions": versions,
        "inputs": inputs,
    }
