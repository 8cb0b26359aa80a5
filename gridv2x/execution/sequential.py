"""Sequential Monte-Carlo: which draws a hosting-capacity or adoption study runs, round by round.

A round is a batch of tasks run together (in parallel); after it, each feeder, strategy and
level (EV share or adoption year) is judged by :meth:`SequentialDesign.decide
<gridv2x.metrics.confidence.SequentialDesign.decide>` on its finished draws, and the next
round asks for

* ``study.seeds`` more draws of every level that is still ``pending`` (fewer than
  ``study.max_seeds`` draws and its confidence interval straddles ``study.risk``), unless a
  lower level of the same feeder and strategy has already failed for good (``unsafe``,
  ``not_demonstrable`` or ``undecided``): then the capacity lies below it and the level is moot.
  In a hosting-capacity study with ``study.sweep: ordered`` (the default) only the lowest
  share that is not yet decided
  gets draws: a share is first drawn once every share below it is decided and either shown
  safe or without a single violating draw (a design too small to show safety then still
  climbs to the first share that violates, the EPRI first violation), so no draw is spent
  above the capacity. With ``full``, and in an adoption forecast (which must climb past the
  first violating year to show when the violation is demonstrated), the first round draws
  every level;
* once no level of a feeder and strategy is pending: one new level halfway between the
  largest level shown safe (with every level below it) and the first level that is not,
  ``study.refine`` times at most (bisection; shares to 1 EV per 100 customers, years to 1).

Determinism and resume: a task is identified by feeder, strategy, draw and level; a round is
a pure function of the results of the rounds before it, taken in a fixed order, never of the
order in which tasks finished. A resumed run replays the same rounds (their tasks are already
in the results store) and continues where it stopped, so it asks for exactly the same tasks.
A failed task counts as drawn but not as a result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gridv2x.metrics.confidence import PENDING, SAFE, SequentialDesign
from gridv2x.study import Study, Task

__all__ = ["SequentialPlan", "design_of", "run_rounds"]

SHARE_STEP = 0.01
"""Finest EV-share bisection step [EVs per customer]: 1 EV per 100 customers."""
YEAR_STEP = 1
"""Finest adoption-year bisection step [year]."""


def design_of(study_section: Mapping) -> SequentialDesign:
    """The :class:`SequentialDesign` of a scenario's ``study`` section."""
    first = int(study_section["seeds"])
    most = study_section.get("max_seeds")
    return SequentialDesign(
        risk=float(study_section["risk"]),
        confidence=float(study_section.get("confidence", 0.95)),
        first=first,
        max=int(most) if most is not None else first,
    )


@dataclass
class SequentialPlan:
    """The rounds of one study (see the module docstring).

    Parameters
    ----------
    study : Study
    """

    study: Study
    results: dict[Task, bool | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        section = self.study.scenario.study
        self.kind = section["kind"]
        self.design = design_of(section)
        self.refine = int(section.get("refine", 0) or 0)
        # an adoption forecast climbs past its first violating year: it shows when the
        # violation probability is demonstrated above the risk (and V1G/V2G's deferral)
        self.ordered = self.kind == "hosting_capacity" and section.get("sweep") == "ordered"
        if self.kind == "hosting_capacity":
            self.initial = [float(s) for s in section["ev_shares"]]
        else:
            self.initial = [int(y) for y in section["years"]]

    def _task(self, feeder: str, strategy: str, draw: int, level: float | int) -> Task:
        if self.kind == "hosting_capacity":
            return Task(feeder=feeder, strategy=strategy, draw=draw, ev_share=float(level))
        return Task(feeder=feeder, strategy=strategy, draw=draw, year=int(level))

    @staticmethod
    def _level(task: Task) -> float | int:
        if task.ev_share is not None:
            return task.ev_share
        assert task.year is not None, "a round's task has an EV share or an adoption year"
        return task.year

    def states(self) -> dict[tuple[str, str], dict[float | int, tuple[int, int, int, str]]]:
        """Per (feeder, strategy): level -> (drawn, finished, violations, decision)."""
        counts: dict[tuple[str, str], dict] = {}
        for feeder in self.study.feeder_names:
            for strategy in self.study.strategies:
                counts[(feeder, strategy)] = {level: [0, 0, 0] for level in self.initial}
        for task, violation in self.results.items():
            entry = counts[(task.feeder, task.strategy)].setdefault(self._level(task), [0, 0, 0])
            entry[0] += 1
            if violation is not None:
                entry[1] += 1
                entry[2] += int(bool(violation))
        out = {}
        for key, levels in counts.items():
            out[key] = {
                level: (drawn, done, k, self.design.decide(k, done) if drawn else PENDING)
                for level, (drawn, done, k) in sorted(levels.items())
            }
        return out

    def next_round(self) -> list[Task]:
        """Tasks of the next round (empty: the study is complete)."""
        tasks: list[Task] = []
        for (feeder, strategy), levels in self.states().items():
            more = self._more_draws(levels)
            if not more:
                more = self._refinement(levels)
            tasks += [
                self._task(feeder, strategy, d, level) for level, draws in more for d in draws
            ]
        # strategies of one draw next to each other (they share the draw's inputs)
        order = {s: i for i, s in enumerate(self.study.strategies)}
        return sorted(
            tasks,
            key=lambda t: (t.feeder, self._level(t), t.draw, order[t.strategy]),
        )

    def _more_draws(self, levels: dict) -> list[tuple[float | int, range]]:
        more = []
        for level, (drawn, _done, k, decision) in levels.items():
            if decision == PENDING and drawn < self.design.max:
                stop = min(self.design.max, drawn + self.design.first)
                more.append((level, range(drawn, stop)))
                if self.ordered:
                    break  # the levels above wait until this one is decided
                continue
            if self.ordered and decision != PENDING and k == 0:
                continue  # no violating draw: the next level is worth drawing (module docs)
            if decision != SAFE:
                break  # a failed level: the levels above it are moot
        return more

    def _refinement(self, levels: dict) -> list[tuple[float | int, range]]:
        added = [level for level in levels if level not in self.initial]
        if len(added) >= self.refine:
            return []
        ordered = list(levels)
        low = None
        high = None
        for level in ordered:
            if levels[level][3] == SAFE:
                low = level
            else:
                high = level
                break
        if high is None:
            return []  # every level is safe: the capacity is at least the highest one
        if self.kind == "hosting_capacity":
            low = 0.0 if low is None else low
            if high - low <= SHARE_STEP * 1.5:
                return []
            mid = round((low + high) / 2.0 / SHARE_STEP) * SHARE_STEP
            mid = round(min(max(mid, low + SHARE_STEP), high - SHARE_STEP), 4)
        else:
            if low is None or high - low <= YEAR_STEP:
                return []
            mid = int((low + high) // 2)
        if mid in levels:
            return []
        return [(mid, range(self.design.first))]


def run_rounds(
    study: Study,
    is_done: Callable[[Task], bool],
    violation_of: Callable[[Task], bool],
    run_batch: Callable[[list[Task], int, int], dict[str, str]],
) -> tuple[list[Task], dict[str, str]]:
    """Run a study round by round until its plan is complete.

    Parameters
    ----------
    study : Study
    is_done : callable
        Whether a task's result is in the results store already (a resumed run skips it).
    violation_of : callable
        A finished task's ``violation`` flag, read from the results store.
    run_batch : callable
        ``run_batch(todo, already_done, total)`` runs tasks and returns ``task_id -> error``
        of the failed ones.

    Returns
    -------
    tasks : list of Task
        Every task the plan asked for, in plan order.
    failures : dict
        ``task_id -> error`` of failed tasks.
    """
    plan = SequentialPlan(study)
    failures: dict[str, str] = {}
    planned: list[Task] = []
    while True:
        batch = plan.next_round()
        if not batch:
            return planned, failures
        planned += batch
        todo = [task for task in batch if not is_done(task)]
        if todo:
            failures.update(run_batch(todo, len(batch) - len(todo), len(batch)))
        for task in batch:  # in plan order: the next round never depends on finishing order
            plan.results[task] = violation_of(task) if is_done(task) else None
