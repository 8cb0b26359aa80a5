"""Run a study's tasks on dask.distributed, checkpointing each finished task.

* Without ``scheduler`` a local cluster is started: ``workers`` processes (default: one per
  core) with one thread each. With ``scheduler`` (``tcp://host:8786``) the tasks go to that
  existing cluster; the workers must have gridv2x installed and see the scenario's input files
  under the same paths.
* What the strategies of one draw share (weather, household load, fleet, driving) is one dask
  task; the strategies are tasks that depend on it, so dask runs them where those inputs are.
* Each finished task is written to the results store as soon as it arrives; a run started
  again with the same output folder skips tasks already done for the same scenario. If a
  worker dies, dask reruns its tasks elsewhere; a task that fails is reported as data (its
  error message in the summary's ``error`` column) and the others go on.
* Every task's numbers depend only on the scenario and the task (``gridv2x.study.stage_rng``),
  so results are the same for any number of workers, after a resume and on a remote cluster.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext
from typing import Any

from gridv2x.execution.memory import after_task, keep_freed_memory
from gridv2x.scenario import Scenario
from gridv2x.study import Study, StudyInputs, Task, TaskOutput

__all__ = ["execute", "default_workers", "study_client"]

log = logging.getLogger("gridv2x")

# Per worker process: one Study (feeders and load-flow engines built once) per scenario.
_WORKER_STUDIES: dict[str, Study] = {}


def _study(scenario: Scenario, study_key: str | None = None) -> Study:
    # keyed on the study fingerprint: a long-lived worker of an existing cluster must not
    # reuse feeders read from an input file that has changed since
    key = study_key or scenario.digest()
    if key not in _WORKER_STUDIES:
        _WORKER_STUDIES.clear()
        # inside a dask worker (one process per core) power-grid-model runs single-threaded
        in_worker = _in_dask_worker()
        if in_worker:
            keep_freed_memory()  # a worker process is ours: big arrays reuse heap pages
        _WORKER_STUDIES[key] = Study(scenario, powerflow_threads=0 if in_worker else -1)
    return _WORKER_STUDIES[key]


def _in_dask_worker() -> bool:
    try:
        from dask.distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


def prepare_task(scenario: Scenario, task: Task, study_key: str | None = None) -> StudyInputs:
    """Worker side: the inputs shared by the strategies of ``task``'s draw."""
    study = _study(scenario, study_key)
    inputs = study.prepare(study.feeder(task.feeder), task)
    after_task()  # the allocator policy's end of a task (execution.memory)
    return inputs


def simulate_task(
    scenario: Scenario,
    task: Task,
    inputs: StudyInputs,
    keep_sessions: bool,
    study_key: str | None = None,
) -> TaskOutput:
    """Worker side: one strategy on prepared inputs."""
    study = _study(scenario, study_key)
    output = study.simulate(study.feeder(task.feeder), task, inputs)
    if keep_sessions:
        output.sessions = inputs.sessions.assign(
            customer_id=inputs.sessions["ev_id"].map(inputs.fleet.set_index("ev_id")["customer_id"])
        )
        if task.draw == 0:
            from gridv2x.demand import load_duration_by_group

            customers = study.feeder(task.feeder).customers
            output.extra["base_load_duration"] = load_duration_by_group(
                inputs.base_p_kw, customers
            ).reset_index()
    after_task()
    return output


def default_workers() -> int:
    """One worker process per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def _client(scheduler: str | None, workers: int | None, dashboard: bool = False):
    from gridv2x.execution.cluster import connect, local_cluster, quiet_client_logs

    if scheduler:
        with quiet_client_logs():
            client = connect(scheduler)
            try:
                yield client
            finally:
                client.close(timeout=5)
        return
    with local_cluster(workers or default_workers(), dashboard=dashboard) as client:
        yield client


def _inline(scheduler: str | None, workers: int | None) -> bool:
    """Whether tasks run in this process, without dask (``--workers 0`` and no scheduler)."""
    return workers == 0 and not scheduler


@contextmanager
def study_client(scheduler: str | None, workers: int | None, *, dashboard: bool = False):
    """One dask client for every batch of a study (yields None where tasks run inline).

    A sequential study runs in rounds (:mod:`gridv2x.execution.sequential`); handing the same
    client to :func:`execute` for each round keeps the local cluster's worker processes, with
    their feeders, load-flow engines and compiled kernels, instead of starting new ones per
    round.
    """
    if _inline(scheduler, workers):
        yield None
        return
    with _client(scheduler, workers, dashboard) as client:
        yield client


class _Progress:
    """A progress bar with ETA on a terminal; one log line per task otherwise."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.total = total
        self.count = done
        self.start = time.perf_counter()
        self.enabled = enabled
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="task", desc="gridv2x", file=sys.stderr)

    def update(self, task: Task, seconds: float, failed: bool = False) -> None:
        self.count += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.enabled:
            elapsed = time.perf_counter() - self.start
            rate = elapsed / max(1, self.count)
            eta = rate * (self.total - self.count)
            state = "FAILED" if failed else "done"
            print(
                f"[{self.count}/{self.total}] {task.task_id} {state} "
                f"(elapsed {elapsed:.0f} s, ETA {eta:.0f} s)",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _groups(tasks: Iterable[Task]) -> dict[tuple, list[Task]]:
    groups: dict[tuple, list[Task]] = {}
    for task in tasks:
        groups.setdefault(task.inputs_key, []).append(task)
    return groups


def execute(
    scenario: Scenario,
    tasks: list[Task],
    on_result: Callable[[TaskOutput], None],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    already_done: int = 0,
    first_strategy: str | None = None,
    study_key: str | None = None,
    dashboard: bool = False,
    client: Any = None,
) -> dict[str, str]:
    """Run ``tasks`` and hand each finished :class:`TaskOutput` to ``on_result`` at once.

    Parameters
    ----------
    scenario : Scenario
    tasks : list of Task
        Tasks still to do.
    on_result : callable
        Called in the client process with each finished task (e.g. writes the checkpoint).
    scheduler : str, optional
        Address of an existing dask scheduler; default: a local cluster.
    workers : int, optional
        Worker processes of the local cluster (default: one per core). ``workers=0`` runs in
        this process without dask (for debugging and profiling).
    progress : bool
        Show a progress bar (terminal) or per-task log lines.
    already_done : int
        Tasks skipped because they were done before (for the progress count).
    first_strategy : str, optional
        Strategy whose task also returns the driving sessions (fleet statistics).
    study_key : str, optional
        The study fingerprint: workers rebuild their feeders when it changes.
    dashboard : bool
        Serve the local cluster's dashboard on port 8787 (default: none).
    client : distributed.Client, optional
        A client from :func:`study_client` to run on (its cluster outlives this call); default:
        a cluster for this call only (``scheduler`` and ``workers``).

    Returns
    -------
    dict
        ``task_id -> error message`` of failed tasks (empty when all succeeded).
    """
    bar = _Progress(len(tasks) + already_done, already_done, progress)
    failures: dict[str, str] = {}
    try:
        if client is None and _inline(scheduler, workers):
            _execute_inline(scenario, tasks, on_result, bar, failures, first_strategy, study_key)
        else:
            _execute_dask(
                scenario,
                tasks,
                on_result,
                bar,
                failures,
                first_strategy,
                scheduler,
                workers,
                study_key,
                dashboard,
                client,
            )
    finally:
        bar.close()
    return failures


def _execute_inline(scenario, tasks, on_result, bar, failures, first_strategy, study_key) -> None:
    for group in _groups(tasks).values():
        try:
            inputs = prepare_task(scenario, group[0], study_key)
        except Exception as exc:  # reported as data, the study goes on
            for task in group:
                failures[task.task_id] = _describe(exc)
                bar.update(task, 0.0, failed=True)
            continue
        for task in group:
            start = time.perf_counter()
            try:
                output = simulate_task(
                    scenario, task, inputs, task.strategy == first_strategy, study_key
                )
            except Exception as exc:
                failures[task.task_id] = _describe(exc)
                bar.update(task, time.perf_counter() - start, failed=True)
                continue
            on_result(output)
            bar.update(task, time.perf_counter() - start)


def _execute_dask(
    scenario,
    tasks,
    on_result,
    bar,
    failures,
    first_strategy,
    scheduler,
    workers,
    study_key,
    dashboard=False,
    given_client=None,
) -> None:
    from dask.distributed import CancelledError, as_completed

    from gridv2x.execution.cluster import Watchdog

    opened = (
        nullcontext(given_client)
        if given_client is not None
        else _client(scheduler, workers, dashboard)
    )
    with opened as client:
        watchdog = Watchdog(client, scheduler or "the local cluster")
        # The scenario is small plain data: it travels inside each task rather than being
        # scattered, since scattered data cannot be recomputed when the worker holding it dies.
        # The client holds each draw's inputs until all its strategies are done, so the
        # scheduler can recompute them if the worker holding them dies.
        prepared: dict[tuple, Any] = {}
        remaining: dict[tuple, int] = {}
        attempts: dict[str, int] = {}

        def submit_prepare(key, task, attempt):
            return client.submit(
                prepare_task,
                scenario,
                task,
                study_key,
                key=f"prepare-{_key(key)}-a{attempt}",
                pure=False,
                retries=2,
            )

        def submit_simulate(task, inputs, attempt):
            return client.submit(
                simulate_task,
                scenario,
                task,
                inputs,
                task.strategy == first_strategy,
                study_key,
                key=f"simulate-{task.task_id}-a{attempt}",
                pure=False,
                retries=2,
            )

        futures = {}
        # heaviest draws first (most EVs: highest share or latest year), so that no worker
        # sits idle at the end while another finishes a long task; results do not depend
        # on the order
        groups = sorted(_groups(tasks).items(), key=lambda item: -_level(item[0]))
        for key, group in groups:
            prepared[key] = submit_prepare(key, group[0], 0)
            remaining[key] = len(group)
            for task in group:
                futures[submit_simulate(task, prepared[key], 0)] = task
        start = time.perf_counter()
        pending = as_completed(list(futures))
        total, finished = len(tasks), 0
        while not pending.is_empty():
            if not pending.has_ready():  # nothing finished: is the scheduler still there?
                watchdog.check(finished, total)
                watchdog.wait()
                continue
            future = next(pending)
            finished += 1
            task = futures.pop(future)
            try:
                output = future.result()
            except CancelledError as exc:
                while watchdog.away():  # the scheduler went away, not a worker: wait or give up
                    watchdog.check(finished - 1, total)
                    watchdog.wait()
                # lost with a dying worker (or its inputs were): submit again, a few times
                attempt = attempts.get(task.task_id, 0) + 1
                attempts[task.task_id] = attempt
                future.release()
                if attempt <= 3:
                    key = task.inputs_key
                    prepared[key] = submit_prepare(key, task, attempt)
                    retry = submit_simulate(task, prepared[key], attempt)
                    futures[retry] = task
                    pending.add(retry)
                    finished -= 1
                    continue
                failures[task.task_id] = _describe(exc)
                bar.update(task, time.perf_counter() - start, failed=True)
            except Exception as exc:
                failures[task.task_id] = _describe(exc)
                bar.update(task, time.perf_counter() - start, failed=True)
            else:
                on_result(output)
                bar.update(task, time.perf_counter() - start)
            future.release()
            remaining[task.inputs_key] -= 1
            if remaining[task.inputs_key] == 0:
                prepared.pop(task.inputs_key).release()


def _level(inputs_key: tuple) -> float:
    """EV share or adoption year of a draw (0 for compare studies)."""
    _feeder, _draw, ev_share, year = inputs_key
    return float(ev_share if ev_share is not None else year if year is not None else 0)


def _key(key: tuple) -> str:
    return "-".join(str(part) for part in key)


def _describe(exc: BaseException) -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last
