"""The study: one line per stage, from a scenario to the numbers a planner signs on.

A study is a set of tasks, one per feeder x strategy x Monte-Carlo draw (x EV share or
adoption year). :meth:`Study.prepare` draws what the strategies of one draw share (weather,
household load, EV owners, fleet, driving); :meth:`Study.simulate` charges the fleet with one
strategy, runs the time-series load flow and computes the metrics. Both are pure functions of
the scenario, the feeder and the task: every random number comes from a stream derived from
``(study.seed, draw, feeder, stage)``, never from execution order, so a task gives the same
numbers on any worker, after a resume and on a remote cluster.

Execution (dask, checkpointing, progress) lives in :mod:`gridv2x.execution`; this module knows
nothing about it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridv2x import (
    adoption,
    charging,
    demand,
    metrics,
    mobility,
    period,
    powerflow,
    reinforcement,
    results,
    v2x,
)
from gridv2x.conventions import period_index, step_hours
from gridv2x.errors import InputError
from gridv2x.network import Feeder, read_network
from gridv2x.scenario import Scenario
from gridv2x.tasks import StudyInputs, Task, TaskOutput, Window, stage_rng

__all__ = ["Task", "Study", "StudyInputs", "TaskOutput", "Window", "stage_rng"]

N_SOC_TRACES = 5
"""Number of example EVs whose state of charge is kept for the report."""


class Study:
    """A scenario turned into tasks, and the physics of each task.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (:func:`gridv2x.read_scenario`).
    powerflow_threads : int
        Threads of power-grid-model's batch calculation: -1 all cores (one process), 0 one
        thread (dask workers, which already use one process per core).

    Examples
    --------
    >>> study = Study(read_scenario("scenarios/quickstart.yaml"))  # doctest: +SKIP
    >>> feeder = study.feeder(study.feeder_names[0])  # doctest: +SKIP
    >>> task = study.tasks()[0]  # doctest: +SKIP
    >>> out = study.simulate(feeder, task, study.prepare(feeder, task))  # doctest: +SKIP
    """

    def __init__(self, scenario: Scenario, *, powerflow_threads: int = -1) -> None:
        self.scenario = scenario
        self.powerflow_threads = powerflow_threads
        period = scenario.period
        self.index = period_index(period["start"], period["days"], period["resolution"])
        self._feeders: dict[str, Feeder] = {}
        self._engines: dict[tuple[str, bool], Any] = {}  # (feeder, asymmetric) -> engine

    # ------------------------------------------------------------------ plan
    @property
    def feeder_names(self) -> list[str]:
        return [e["name"] for e in self.scenario.networks if not e.get("excluded")]

    @property
    def strategies(self) -> list[str]:
        return list(self.scenario["charging"]["strategies"])

    def tasks(self) -> list[Task]:
        """Every task of the study, strategies of one draw next to each other."""
        study = self.scenario.study
        draws = range(study["seeds"])
        levels: list[dict[str, Any]]
        if study["kind"] == "hosting_capacity":
            levels = [{"ev_share": float(s)} for s in study["ev_shares"]]
        elif study["kind"] == "adoption_forecast":
            levels = [{"year": int(y)} for y in study["years"]]
        else:
            levels = [{}]
        return [
            Task(feeder=name, strategy=strategy, draw=draw, **level)
            for name in self.feeder_names
            for level in levels
            for draw in draws
            for strategy in self.strategies
        ]

    def keeps_time_series(self, task: Task) -> bool:
        """Whether ``task`` keeps its whole-period tables (scenario ``study.time_series``).

        ``shown`` keeps the task the report charts in detail (the rule of
        :mod:`gridv2x.results`: the lowest seed at the highest EV share or the last year).
        """
        return results.keeps_time_series(self.scenario.study, task.draw, task.ev_share, task.year)

    def feeder(self, name: str) -> Feeder:
        """The feeder called ``name``, read once and cached, with the scenario's slack and tap."""
        if name not in self._feeders:
            entry = next(e for e in self.scenario.networks if e["name"] == name)
            keep = {k: v for k, v in entry.items() if k not in ("name", "options", "excluded")}
            feeder = read_network({**keep, **entry.get("options", {})}, Path.cwd())
            feeder.name = name
            cfg = self.scenario["powerflow"]
            try:
                feeder.net = powerflow.prepare_net(
                    feeder.net, slack_vm_pu=cfg["slack_vm_pu"], trafo_tap_pos=cfg["trafo_tap_pos"]
                )
            except InputError as exc:  # name the scenario key
                raise InputError(f"powerflow.{exc}") from None
            self._feeders[name] = feeder
        return self._feeders[name]

    # ---------------------------------------------------------------- stages
    def _rng(self, task: Task, stage: str, *extra: Any) -> np.random.Generator:
        return stage_rng(self.scenario.study["seed"], task.draw, task.feeder, stage, *extra)

    def _adoption_options(self, task: Task) -> dict[str, Any]:
        options = self.scenario.section("adoption")
        if task.ev_share is not None:  # the share sets how many EVs; areas still set where
            options.update(share=task.ev_share, year=None)
        if task.year is not None:
            options.update(year=task.year)
        return options

    def prepare(self, feeder: Feeder, task: Task) -> StudyInputs:
        """Weather, household load, EV owners, fleet and driving of one draw."""
        sc = self.scenario
        index = self.index
        temperature_c = demand.outdoor_temperature(
            index, rng=self._rng(task, "climate"), **sc.section("climate")
        )
        demand_options = sc.section("demand")
        if demand_options.get("model") == "profiles":
            demand_options["base_profiles"] = feeder.base_profiles
        base_p_kw, base_q_kvar = demand.base_load(
            feeder.customers,
            index,
            temperature_c,
            rng=self._rng(task, "demand"),
            zone=sc["climate"]["zone"],
            **demand_options,
        )
        owners = adoption.allocate_evs(
            feeder.customers,
            rng=self._rng(task, "adoption"),
            **self._adoption_options(task),
        )
        vehicles = sc.section("vehicles")
        vehicles.pop("load_guard", None)  # used by the charging stage
        fleet = mobility.draw_fleet(owners, rng=self._rng(task, "fleet"), **vehicles)
        if "area_id" in owners:  # where the EVs are, for the report's map and area chart
            fleet = fleet.merge(owners[["ev_id", "area_id"]], on="ev_id", how="left")
        sessions = mobility.sessions_for_fleet(
            fleet,
            index,
            temperature_c,
            rng=self._rng(task, "mobility"),
            **sc.section("mobility"),
        )
        return StudyInputs(task.inputs_key, temperature_c, base_p_kw, base_q_kvar, fleet, sessions)

    def simulate(
        self,
        feeder: Feeder,
        task: Task,
        inputs: StudyInputs,
        *,
        time_series: bool | None = None,
    ) -> TaskOutput:
        """Charge the fleet with the task's strategy, run the load flow, compute the metrics.

        One line per stage: the simulated window (the period or representative weeks), the
        charging schedule, the load of every load element, the load flow, the statistics and
        the task's output. ``time_series`` (default: :meth:`keeps_time_series`) builds the
        whole-period tables ``timeseries``, ``voltage_daily`` and ``soc``; without them they
        are None.
        """
        if time_series is None:
            time_series = self.keeps_time_series(task)
        window = self._window(inputs)
        ev = self._charge(feeder, task, inputs, window)
        loads = self._element_loads(feeder, inputs, ev, window)
        pf = self._run_powerflow(feeder, loads.load_p_mw, loads.load_q_mvar)
        stats = self._statistics(feeder, pf, loads, window)
        return self._output(feeder, task, inputs, window, ev, loads, pf, stats, time_series)

    def _window(self, inputs: StudyInputs) -> Window:
        """The simulated steps: the whole period, or representative weeks chosen from the
        draw's base load (the same for every strategy; scenario ``period.representative_weeks``)."""
        n_weeks = self.scenario.period.get("representative_weeks")
        if n_weeks is None:
            return Window(self.index, inputs.base_p_kw, inputs.base_q_kvar)
        base_load_kw = inputs.base_p_kw.sum(axis=1)
        weeks = period.select_weeks(base_load_kw, n_weeks, self.scenario.period["week_selection"])
        in_weeks = period.week_mask(self.index, weeks)
        return Window(
            self.index[in_weeks],
            inputs.base_p_kw.iloc[in_weeks],
            inputs.base_q_kvar.iloc[in_weeks],
            weeks,
        )

    def _charging_options(self) -> dict[str, Any]:
        """Keyword options of :func:`gridv2x.charging.schedule` (scenario section ``charging``)."""
        options = self.scenario.section("charging")
        options.pop("strategies", None)
        return options

    def _charge(
        self, feeder: Feeder, task: Task, inputs: StudyInputs, window: Window
    ) -> charging.ChargingResult:
        """The fleet's charging schedule with the task's strategy over ``window``."""
        sc = self.scenario
        options = self._charging_options()
        base_p_kw, base_q_kvar = inputs.base_p_kw, inputs.base_q_kvar
        base_load_kw = base_p_kw.sum(axis=1)
        if options["coordination"] == "household":  # each sees its own load
            options["household_kw"] = base_p_kw
        if sc["vehicles"]["load_guard"]:  # chargers throttled to the main fuse
            options["load_guard"] = charging.load_guard_limits(
                feeder.customers,
                base_p_kw,
                base_q_kvar,
                inputs.fleet,
                phase_assignment=options["phase_assignment"],
            )
        if window.weeks is not None:
            # (grid_aware with representative weeks is refused when the scenario is validated)
            return charging.schedule_weeks(
                task.strategy,
                inputs.sessions,
                inputs.fleet,
                self.index,
                base_load_kw,
                window.weeks,
                **options,
            )
        grid = None
        if options["grid_aware"] and task.strategy != "uncontrolled":
            # the feeder's limits as a linear model in EV power, from base-load load flows
            grid = charging.grid_limits(
                feeder,
                base_p_kw,
                base_q_kvar,
                inputs.fleet,
                limits=sc.section("limits"),
                threads=self.powerflow_threads,
                asymmetric=bool(sc["powerflow"]["asymmetric"]),
                phase_assignment=options["phase_assignment"],
            )
        return charging.schedule(
            task.strategy,
            inputs.sessions,
            inputs.fleet,
            self.index,
            base_load_kw,
            grid=grid,
            **options,
        )

    def _element_loads(
        self, feeder: Feeder, inputs: StudyInputs, ev: charging.ChargingResult, window: Window
    ) -> powerflow.ElementLoads:
        """Household plus EV power of every load element over ``window`` (per phase with
        ``powerflow.asymmetric``)."""
        asymmetric = bool(self.scenario["powerflow"]["asymmetric"])
        ev_kw = charging.power_by_customer(ev, inputs.fleet, phases=asymmetric)
        return powerflow.customer_loads(
            feeder.customers, window.base_p_kw, window.base_q_kvar, ev_kw, asymmetric=asymmetric
        )

    def _statistics(
        self, feeder: Feeder, pf: Any, loads: powerflow.ElementLoads, window: Window
    ) -> metrics.CustomerStatistics:
        """Per-customer statistics of the load flow, shared by the summary and the tables."""
        return metrics.customer_statistics(
            pf,
            feeder.customers,
            limits=self.scenario.section("limits"),
            customer_p_kw=loads.customer_p_kw,
            customer_q_kvar=loads.customer_q_kvar,
            index=window.index,
        )

    def _output(
        self,
        feeder: Feeder,
        task: Task,
        inputs: StudyInputs,
        window: Window,
        ev: charging.ChargingResult,
        loads: powerflow.ElementLoads,
        pf: Any,
        stats: metrics.CustomerStatistics,
        time_series: bool,
    ) -> TaskOutput:
        """The task's summary row and tables (reinforcement plan and V2X tables included)."""
        return TaskOutput(
            task=task,
            summary=self._summary(feeder, task, inputs, window, ev, loads, pf, stats),
            timeseries=(
                _timeseries(pf, feeder, window.base_p_kw, ev.power_kw, stats)
                if time_series
                else None
            ),
            customers=_customer_table(pf, feeder, inputs.fleet, stats),
            voltage_daily=metrics.daily_min_voltage(stats.vm_low) if time_series else None,
            elements=metrics.element_table(pf),
            evs=ev.per_ev.join(inputs.fleet.set_index("ev_id"), rsuffix="_fleet").reset_index(),
            soc=ev.soc_kwh[sorted(ev.soc_kwh.columns)[:N_SOC_TRACES]] if time_series else None,
            **self._v2x(feeder, task, inputs, ev, pf, loads, window.base_p_kw),
        )

    def _summary(
        self,
        feeder: Feeder,
        task: Task,
        inputs: StudyInputs,
        window: Window,
        ev: charging.ChargingResult,
        loads: powerflow.ElementLoads,
        pf: Any,
        stats: metrics.CustomerStatistics,
    ) -> dict[str, Any]:
        """The task's row of ``summary.csv``."""
        options = self._charging_options()
        plan = (  # the MW load frames are formed only for the planner (ElementLoads)
            self._reinforce(feeder, loads.load_p_mw, loads.load_q_mvar, pf)
            if self.scenario.section("reinforcement").get("enabled", True)
            else None
        )
        metrics_row = metrics.summarize(
            pf, feeder.customers, ev.per_ev, window.index, statistics=stats
        )
        n_customers = len(feeder.customers)
        summary = {
            "task_id": task.task_id,
            "feeder": task.feeder,
            "strategy": task.strategy,
            "seed": task.draw,
            "ev_share": len(inputs.fleet) / n_customers if n_customers else 0.0,
            "n_evs": len(inputs.fleet),
            "ev_share_target": task.ev_share,
            "year": task.year,
            "n_customers": n_customers,
            **metrics_row,
        }
        summary.update(reinforcement.summary_columns(plan))
        summary["ev_to_ev_kwh"] = ev.ev_to_ev_kwh
        summary["charging_foresight"] = options["foresight"]
        summary["charging_coordination"] = options["coordination"]
        summary.update(charging.charger_summary(task.strategy, options.get("v2g")))
        if window.weeks is not None:  # what was simulated, and the weight of a simulated step
            summary["simulated_weeks"] = period.format_weeks(window.weeks)
            summary["simulated_days"] = len(window.index) * step_hours(self.index) / 24.0
            summary["period_weight"] = len(self.index) / len(window.index)
        return summary

    def _v2x(
        self,
        feeder: Feeder,
        task: Task,
        inputs: StudyInputs,
        ev: charging.ChargingResult,
        pf: Any,
        loads: powerflow.ElementLoads,
        base_p_kw: pd.DataFrame,
    ) -> dict[str, pd.DataFrame]:
        """Flexibility, market products and V2H backup of a V1G/V2G task (``v2x.enabled``)."""
        options = self.scenario.section("v2x")
        if not options["enabled"] or task.strategy == "uncontrolled":
            return {}
        return v2x.v2x_tables(
            task.strategy,
            ev,
            fleet=inputs.fleet,
            sessions=inputs.sessions,
            base_p_kw=base_p_kw,
            temperature_c=inputs.temperature_c,
            customers=feeder.customers,
            net=feeder.net,
            pf=pf,
            load_p_mw=loads.load_p_mw,
            load_q_mvar=loads.load_q_mvar,
            limits=self.scenario.section("limits"),
            charging_options=self.scenario.section("charging"),
            options=options,
        )

    def _reinforce(self, feeder, load_p_mw, load_q_mvar, pf):
        """The task's reinforcement plan (scenario section ``reinforcement``), or None."""
        return reinforcement.plan_for_task(
            feeder, load_p_mw, load_q_mvar, pf, self.scenario, threads=self.powerflow_threads
        )

    def run_task(self, task: Task) -> TaskOutput:
        """Prepare and simulate one task (no sharing across strategies)."""
        feeder = self.feeder(task.feeder)
        return self.simulate(feeder, task, self.prepare(feeder, task))

    def _run_powerflow(self, feeder: Feeder, load_p_mw: pd.DataFrame, load_q_mvar: pd.DataFrame):
        cfg = self.scenario["powerflow"]
        asymmetric = bool(cfg.get("asymmetric", False))
        if cfg["engine"] != "pandapower":
            key = (feeder.name, asymmetric)
            if key not in self._engines:  # built once per feeder, updated per step
                self._engines[key] = powerflow.build_engine(
                    powerflow.prepare_net(feeder.net, asymmetric=asymmetric),
                    cfg["engine"],
                    asymmetric=asymmetric,
                    threads=self.powerflow_threads,
                    error_tolerance=cfg["error_tolerance_pu"],
                )
            return self._engines[key].run(load_p_mw, load_q_mvar, chunk_steps=cfg["chunk_steps"])
        return powerflow.run_timeseries(
            feeder.net,
            load_p_mw,
            load_q_mvar,
            engine=cfg["engine"],
            asymmetric=asymmetric,
            chunk_steps=cfg["chunk_steps"],
            error_tolerance_pu=cfg["error_tolerance_pu"],
        )


def _timeseries(
    pf: Any,
    feeder: Feeder,
    base_p_kw: pd.DataFrame,
    ev_power_kw: pd.DataFrame,
    stats: metrics.CustomerStatistics,
) -> pd.DataFrame:
    """Feeder time series for the results store (metrics' aggregates plus base and EV load)."""
    out = metrics.timeseries_table(pf, feeder.customers, statistics=stats)
    out["base_load_kw"] = base_p_kw.sum(axis=1).to_numpy()
    out["ev_load_kw"] = ev_power_kw.sum(axis=1).to_numpy() if len(ev_power_kw.columns) else 0.0
    out.index.name = "time"
    return out


def _customer_table(pf, feeder, fleet, stats: metrics.CustomerStatistics) -> pd.DataFrame:
    table = metrics.customer_table(pf, feeder.customers, statistics=stats)
    counts = fleet.groupby("customer_id").size() if len(fleet) else pd.Series(dtype=int)
    table["n_evs"] = table["customer_id"].map(counts).fillna(0).astype(int)
    for column in ("dwelling", "heating", "fuse_a", "x", "y"):
        if column in feeder.customers and column not in table:
            table[column] = table["customer_id"].map(
                feeder.customers.set_index("customer_id")[column]
            )
    return table
