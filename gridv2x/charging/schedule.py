"""Charging strategies: uncontrolled, smart charging (V1G) and vehicle-to-grid (V2G).

The model
---------
Each EV has one battery with stored energy ``e`` [kWh] (``0 <= e <= battery_kwh``). It starts
the period at ``initial_soc x battery_kwh``. At each session's arrival the stored energy drops
by the session's ``energy_kwh`` (what it drove since it last left home). The *mobility
guarantee*: by departure the stored energy is back at the session's departure target,
``target_soc x battery_kwh`` (default: the starting level, so every met session is
energy-neutral: it restores exactly what was driven), raised when needed so that the EV can
drive its next trip and still reach the next target after a short stop (the owner plans
ahead: a fuller battery before a long trip or a quick stop at home; capped by the battery).

Two kinds of shortfall are reported, per session and per EV, never dropped:

- ``shortfall_kwh``: the EV left below its departure target because the plug-in window was
  too short (e.g. a short stop at home); the next session makes up for it.
- ``unmet_kwh``: driving energy the battery did not hold, i.e. the trip before this session
  needed more than was stored when the EV left (window too short before a long trip, or a
  trip longer than the battery). The stored energy then drops to zero.

Every strategy delivers ``min(need, what the window allows)`` in each session, so V1G and
V2G have no shortfall or unmet energy wherever uncontrolled charging has none.

Time steps: an EV may use a step for the share of the step it is plugged in (pro-rated): the
charger limit in a step is ``charger_kw x plugged-in share``, so arrival and departure may fall
inside a step. A session that arrives before the period starts arrives at the first step.

The end of the period: EVs plugged in on the last evening are scheduled on a horizon up to one
day past the end, on which the load of everything else (and the price) repeats the last day;
the schedule is then cut back to the period. Without it, V1G/V2G would have to deliver the
cars' energy before midnight of the last day and put the year's peak there. A session that
runs past this horizon
must reach, by its end, the share of its need in proportion to its plugged-in time inside it
(V1G/V2G; uncontrolled charges at full power anyway).

Strategies (grid-side power ``p``; + charging, - discharging)
- ``uncontrolled``: full charger power from plug-in until the energy is restored.
- ``v1g``: charging rescheduled within each plug-in window. Objective ``peak``: coordinated
  valley filling of the feeder load ``base_load_kw + EV load`` (each session fills the lowest
  points of the load of everything else, EV after EV, ``passes`` times, starting from the
  uncontrolled schedule; each update lowers ``sum(load**2)`` and never raises the peak).
  Objective ``price``: the same filling on an effective load ``feeder load + price / price
  weight``, i.e. minimum energy cost with flattening as tie-breaker.
- ``v2g``: as ``v1g``, and may also discharge where the load of everything else is above a
  discharge level ``S`` tied to the charging level ``L`` by the optimality conditions of the
  lossy problem: ``S = L / eta_rt`` for ``price`` (arbitrage only pays beyond the round-trip
  losses) and ``S = L eta_rt**(-1/7)`` for ``peak`` (``min sum(load**8)``, a smooth stand-in
  for the peak). Wear-aware: ``S`` is raised by the wear cost of a discharged kWh
  (``wear_cost_sek_per_kwh`` x ``price_weight_kw_per_sek``) for ``price`` and to at least
  ``L (1 + min_spread_pct / 100)`` for ``peak``. Never below the reserve, at most ``max_discharge_kw``, at most
  ``daily_throughput_cap_kwh`` discharged per day, only for owners who did not opt out; a
  session whose schedule breaks one of these is re-solved with half, a quarter, then zero
  discharge power. Starts from the V1G schedule (``passes`` valley-filling passes), then
  ``v2g.passes`` V2G passes over the fleet (default 1: a second pass lowers the fleet
  objective by less than 0.1 % and moves the peak by +-2 % either way, for 60 % more run
  time; measured on the hosting-capacity feeders). Every update keeps the window's peak, so
  its peak is never above V1G's. The fleet is planned net (:mod:`gridv2x.charging._fleet_net`):
  no EV discharges in a step where another EV charges (that energy would only go from one
  battery to another through two chargers); ``ChargingResult.ev_to_ev_kwh`` measures what is
  left.

Energy balance per EV (exact by construction, tested to 0.1 %)::

    charged - discharged = driving + (stored_end - stored_start) + losses

with ``losses = (1 - eta_c) charged + (1 / eta_d - 1) discharged``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.charging import _fill, _fill_kernels
from gridv2x.charging import forecast as _forecast
from gridv2x.charging import household as _household
from gridv2x.charging import tariff as _tariff
from gridv2x.charging.chargers import with_technology
from gridv2x.charging.grid import GRID_CHECKS, GridLimits, GridRoom
from gridv2x.charging.load_guard import LoadGuard
from gridv2x.charging.options import DEFAULTS, PHASE_ASSIGNMENTS, SECTION, STRATEGY_CHOICES
from gridv2x.charging.passes import _block_groups, _v2g_passes, _valley_passes, v2g_opt_out
from gridv2x.charging.phases import assign_phases
from gridv2x.charging.prices import prices_on_index
from gridv2x.charging.result import ChargingResult, _assemble
from gridv2x.charging.windows import (
    _energy_chain,
    _extended_index,
    _forecast_realised,
    _lookahead_steps,
    _repeat_last_day,
    _restored_kwh,
    _restrict,
    _windows,
)
from gridv2x.conventions import SESSION_COLUMNS, TIMEZONE
from gridv2x.errors import InputError

__all__ = ["ChargingResult", "schedule", "v2g_opt_out", "STRATEGIES", "PHASE_ASSIGNMENTS"]

STRATEGIES = STRATEGY_CHOICES
"""The charging strategies (declared with the ``charging`` section)."""


# ---------------------------------------------------------------------------------------------
# input checks


def _check_inputs(strategy, sessions, fleet, index, base_load_kw):
    if strategy not in STRATEGIES:
        raise InputError(
            f"charging strategy: must be one of {', '.join(STRATEGIES)}, given {strategy!r}"
        )
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None or index.freq is None:
        raise InputError("charging index: must be a timezone-aware DatetimeIndex with a freq")
    for name, frame, columns in (
        ("sessions", sessions, SESSION_COLUMNS),
        ("fleet", fleet, ("ev_id", "battery_kwh", "charger_kw")),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"charging {name}: must be a DataFrame, given {type(frame).__name__}")
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(
                f"charging {name}: missing column(s) {missing}; required: {list(columns)}"
            )
    if fleet["ev_id"].duplicated().any():
        dup = fleet.loc[fleet["ev_id"].duplicated(), "ev_id"].tolist()[:5]
        raise InputError(f"charging fleet: ev_id must be unique, duplicated: {dup}")
    for col in ("battery_kwh", "charger_kw"):
        bad = ~(pd.to_numeric(fleet[col], errors="coerce") > 0)
        if bad.any():
            raise InputError(
                f"charging fleet: {col} must be > 0, given {fleet.loc[bad, col].tolist()[:5]} "
                f"for {fleet.loc[bad, 'ev_id'].tolist()[:5]}"
            )
    unknown = sorted(set(sessions["ev_id"]) - set(fleet["ev_id"]))
    if unknown:
        raise InputError(f"charging sessions: ev_id not in the fleet: {unknown[:5]}")
    for col in ("arrival", "departure"):
        if not isinstance(sessions[col].dtype, pd.DatetimeTZDtype):
            raise InputError(
                f"charging sessions: column {col} must hold timezone-aware timestamps, "
                f"given dtype {sessions[col].dtype}"
            )
    if sessions["arrival"].isna().any() or sessions["departure"].isna().any():
        raise InputError("charging sessions: arrival and departure must be given in every row")
    if (sessions["departure"] <= sessions["arrival"]).any():
        bad = sessions.loc[sessions["departure"] <= sessions["arrival"], "ev_id"].tolist()[:5]
        raise InputError(f"charging sessions: departure must be after arrival (ev_id {bad})")
    energy = pd.to_numeric(sessions["energy_kwh"], errors="coerce")
    if not (energy >= 0).all():
        raise InputError("charging sessions: energy_kwh must be a number >= 0 in every row")
    if not isinstance(base_load_kw, pd.Series) or len(base_load_kw) != len(index):
        raise InputError(
            f"charging base_load_kw: must be a Series of length {len(index)} on the study index"
        )
    if not base_load_kw.index.equals(index):
        raise InputError("charging base_load_kw: its index must equal the study index")


# ---------------------------------------------------------------------------------------------
# the public function


def schedule(
    strategy: str,
    sessions: pd.DataFrame,
    fleet: pd.DataFrame,
    index: pd.DatetimeIndex,
    base_load_kw: pd.Series,
    *,
    initial_soc: float = DEFAULTS["initial_soc"],
    target_soc: float | None = DEFAULTS["target_soc"],
    charge_efficiency: float = DEFAULTS["charge_efficiency"],
    charger_cap_kw: float | None = DEFAULTS["charger_cap_kw"],
    transformer_limit_kw: float | None = DEFAULTS["transformer_limit_kw"],
    grid_aware: bool = DEFAULTS["grid_aware"],
    price_file: str | Path | None = DEFAULTS["price_file"],
    prices: pd.Series | None = None,
    price_weight_kw_per_sek: float = DEFAULTS["price_weight_kw_per_sek"],
    passes: int = DEFAULTS["passes"],
    power_tariff: Mapping[str, Any] | None = None,
    phase_assignment: str = DEFAULTS["phase_assignment"],
    v1g: Mapping[str, Any] | None = None,
    v2g: Mapping[str, Any] | None = None,
    battery: Mapping[str, Any] | None = None,
    grid: GridLimits | None = None,
    load_guard: LoadGuard | None = None,
    foresight: str = "forecast",
    coordination: str = "feeder",
    household_kw: pd.DataFrame | None = None,
) -> ChargingResult:
    """Schedule home charging of a feeder's EVs with one strategy.

    Parameters
    ----------
    strategy : {"uncontrolled", "v1g", "v2g"}
        Charging strategy (see the module documentation).
    sessions : pandas.DataFrame
        Home-charging sessions, columns ``conventions.SESSION_COLUMNS`` (tz-aware ``arrival``
        and ``departure``; ``energy_kwh`` [kWh] driven since the EV last left home).
    fleet : pandas.DataFrame
        EVs, columns ``conventions.FLEET_COLUMNS`` (at least ``ev_id, battery_kwh [kWh],
        charger_kw [kW]``; ``kwh_per_km`` [kWh/km] for virtual km).
    index : pandas.DatetimeIndex
        Study time index (``conventions.period_index``).
    base_load_kw : pandas.Series
        Total base load of the feeder on ``index`` [kW]; what V1G/V2G flatten.
    initial_soc : float
        Stored energy at the start, share of usable capacity [-]. Default: the charging
        section's ``initial_soc`` (docs/sources.md §7.1).
    target_soc : float or None
        Departure target, share of usable capacity [-]; ``None`` = ``initial_soc`` (every met
        session restores exactly the energy driven).
    charge_efficiency : float
        Grid-to-battery efficiency of AC home charging [-]. Default: the charging section's
        ``charge_efficiency`` (docs/sources.md §7.1).
    charger_cap_kw : float or None
        Optional cap on the charging power of every home charger [kW].
    transformer_limit_kw : float or None
        Grid-aware option for ``v1g``/``v2g`` with objective ``price``: keep base + EV load at
        or below this [kW] wherever the mobility guarantee allows it (a steep penalty above the
        limit in the filling; ``None`` = off). Objective ``peak`` needs no limit: it already
        keeps the load as low as the plug-in windows allow (tested against the LP optimum).
    grid_aware : bool
        ``v1g``/``v2g`` keep customer voltages, the transformer and the cables within the
        study's limits wherever the plug-in windows allow (:mod:`gridv2x.charging.grid`):
        every EV charges at most its share of the room the feeder's limits leave in each step
        (soft limit: the mobility guarantee comes first). Needs ``grid``. Uncontrolled
        charging is not controlled and ignores it.
    price_file : path or None
        Day-ahead price file (see :func:`gridv2x.charging.prices.read_prices`); ``None`` = the
        shipped synthetic SE3 example (:func:`gridv2x.charging.prices.example_price_profile`).
    prices : pandas.Series or None
        Prices on ``index`` [SEK/kWh] given directly (Python use; overrides ``price_file``).
    price_weight_kw_per_sek : float
        For objective ``price``: how many kW of feeder load one SEK/kWh of price is worth in
        the filling; large values make cost dominate, the load only breaks ties [kW per SEK/kWh].
    passes : int
        Valley-filling passes over the fleet for ``v1g`` and ``v2g`` [-] (``v2g`` then adds
        ``v2g["passes"]`` V2G passes).
    power_tariff : mapping, optional
        Power-based grid tariff (effekttariff, :mod:`gridv2x.charging.tariff`):
        ``sek_per_kw_month`` [SEK/kW-month] (None = off), ``hours`` [start, end) local [h],
        ``weekdays_only``, ``months``. With a fee, ``price`` objectives keep the EV's power in
        the window as low as the sessions allow, and ``power_tariff_sek`` is reported per EV.
    phase_assignment : {"as_drawn", "random", "balanced"}
        Phase of single-phase chargers (:func:`gridv2x.charging.phases.assign_phases`):
        ``as_drawn`` keeps the fleet's ``phase``; ``random`` draws one per charger (seeded by
        the fleet's ev_ids); ``balanced`` is the DSO's balanced connection. Reported in
        ``per_ev["phase"]`` and used by ``power_by_customer``.
    v1g : mapping, optional
        ``{"objective": "peak" | "price"}``.
    v2g : mapping, optional
        ``objective`` ("peak" | "price"), ``reserve_soc`` [-], ``charger`` ("ac" | "dc":
        :mod:`gridv2x.charging.chargers`), ``max_discharge_kw`` [kW] and
        ``round_trip_efficiency`` [-] (None = the charger technology's; the car's charger
        power caps the discharge either way), ``daily_throughput_cap_kwh`` [kWh/day]
        discharged (None = no cap), ``opt_out_share`` [-] of owners who never discharge (they
        behave as V1G), ``wear_cost_sek_per_kwh`` [SEK/kWh] battery wear per discharged kWh
        (objective ``price``: discharge only where the price gain beats losses and wear,
        ``S = L / eta_rt + price_weight x wear``), ``min_spread_pct`` [%] (objective ``peak``:
        discharge only where the load of everything else is at least this much above the
        charging level, ``S >= L (1 + min_spread_pct / 100)``), ``passes`` [-] V2G passes
        over the fleet after the valley filling (default 1).
    battery : mapping, optional
        ``calendar_fade_pct_per_year`` [%/yr] and ``cycle_fade_pct_per_efc`` [%/cycle].
    grid : GridLimits, optional
        The feeder's limits as a linear model in EV power
        (:func:`gridv2x.charging.grid.grid_limits`, built from load flows of the base load);
        required with ``grid_aware`` (the study builds it).
    load_guard : LoadGuard, optional
        The chargers' load guard (:func:`gridv2x.charging.load_guard.load_guard_limits`,
        scenario ``vehicles.load_guard``): every strategy charges (and V2G discharges) at most
        what each customer's main fuse leaves after the household load; the charging energy
        this costs is ``guard_lost_kwh`` per session and EV.
    foresight : {"forecast", "perfect"}
        What V1G/V2G plan on (:mod:`gridv2x.charging.forecast`): ``forecast`` (default) the
        forecast household load and each car's forecast departure, then cars leave when they
        leave (the shortfall is counted); ``perfect`` the realised load and exact departures,
        an upper bound of what control can do.
    coordination : {"feeder", "household"}
        Who plans (:mod:`gridv2x.charging.household`): ``feeder`` (default) one controller
        for all EVs of the feeder; ``household`` every car on its own, on its price and its
        own household's load, blind to the feeder (herding).
    household_kw : pandas.DataFrame, optional
        Household load ``[time x customer_id]`` [kW] (without EVs) on the study index, what a
        household controller sees of its own load (``coordination: household``; without it
        the household's load is taken as zero).

    Returns
    -------
    ChargingResult

    Raises
    ------
    gridv2x.errors.InputError
        For inconsistent sessions, fleet, index or options.

    References
    ----------
    L. Gan, U. Topcu, S. H. Low, "Optimal decentralized protocol for electric vehicle charging",
    IEEE Trans. Power Systems 28(2), 2013 (valley filling).
    """
    _check_inputs(strategy, sessions, fleet, index, base_load_kw)
    # defaults and bounds of every option: the ``charging`` section (charging/options.py)
    opts = SECTION.resolve(
        "charging",
        {
            "initial_soc": initial_soc,
            "target_soc": target_soc,
            "charge_efficiency": charge_efficiency,
            "charger_cap_kw": charger_cap_kw,
            "transformer_limit_kw": transformer_limit_kw,
            "grid_aware": bool(grid_aware) if isinstance(grid_aware, np.bool_) else grid_aware,
            "price_file": price_file,
            "price_weight_kw_per_sek": price_weight_kw_per_sek,
            "passes": passes,
            "power_tariff": power_tariff,
            "phase_assignment": phase_assignment,
            "v1g": v1g,
            "v2g": v2g,
            "battery": battery,
        },
    )
    v1g_opts, v2g_opts, bat_opts, tariff_opts = (
        opts["v1g"],
        with_technology(opts["v2g"]),  # null efficiency / power: the charger technology's
        opts["battery"],
        opts["power_tariff"],
    )
    initial_soc = opts["initial_soc"]
    target = initial_soc if opts["target_soc"] is None else opts["target_soc"]
    eta_c = opts["charge_efficiency"]
    rte = v2g_opts["round_trip_efficiency"]
    if rte > eta_c:
        raise InputError(
            f"charging.v2g.round_trip_efficiency: must not exceed charge_efficiency "
            f"({eta_c}), given {rte} (charger {v2g_opts['charger']})"
        )
    eta_d = rte / eta_c
    n_v2g_passes = v2g_opts["passes"]
    charger_cap_kw, transformer_limit_kw = opts["charger_cap_kw"], opts["transformer_limit_kw"]
    price_weight_kw_per_sek, passes = opts["price_weight_kw_per_sek"], opts["passes"]
    grid_aware, phase_assignment = opts["grid_aware"], opts["phase_assignment"]
    if grid is not None and not isinstance(grid, GridLimits):
        raise InputError(f"charging grid: must be GridLimits, given {type(grid).__name__}")
    if grid_aware and grid is None and strategy != "uncontrolled":
        raise InputError(
            "charging.grid_aware: needs the feeder's grid limits (grid=, built by "
            "gridv2x.charging.grid_limits; a study builds them itself)"
        )

    fleet = fleet.reset_index(drop=True)
    if foresight not in _forecast.FORESIGHTS:
        raise InputError(
            f"charging.foresight: must be one of {', '.join(_forecast.FORESIGHTS)}, "
            f"given {foresight!r}"
        )
    if coordination not in _household.COORDINATIONS:
        raise InputError(
            f"charging.coordination: must be one of {', '.join(_household.COORDINATIONS)}, "
            f"given {coordination!r}"
        )
    if strategy == "uncontrolled":
        foresight = "perfect"  # nothing is planned
    forecast = foresight == "forecast"
    plan_sessions = sessions
    if forecast:  # plan on each car's forecast departure (module forecast)
        sessions = sessions.assign(planned_departure=_forecast.planned_departures(sessions))
        plan_sessions = sessions.assign(departure=sessions["planned_departure"])
    # look past the end of the period (module docs): sessions cut by the end are scheduled
    # on a horizon that repeats the last day, then the schedule is cut back to the period
    lookahead = max(_lookahead_steps(sessions, index), _lookahead_steps(plan_sessions, index))
    horizon = _extended_index(index, lookahead)
    w = _windows(sessions, fleet, horizon, charger_cap_kw, arrivals_before=len(index))
    # the windows the controller plans on (the real ones with perfect foresight)
    wp = w
    if forecast:
        wp = _windows(plan_sessions, fleet, horizon, charger_cap_kw, arrivals_before=len(index))
    battery_kwh = fleet["battery_kwh"].to_numpy(dtype=float)
    e0 = initial_soc * battery_kwh
    e_target = target * battery_kwh
    cap_free = None
    if load_guard is not None:
        if not isinstance(load_guard, LoadGuard):
            raise InputError(
                f"charging load_guard: must be a LoadGuard, given {type(load_guard).__name__}"
            )
        cap_free = eta_c * w.dt_h * _fill.segment_sum(w.cap, w.starts)
        guard_charge, guard_discharge = load_guard.on(horizon, fleet["ev_id"])
        for win in {id(w): w, id(wp): wp}.values():
            win.cap = np.minimum(win.cap, guard_charge[win.step, win.ev_of] * win.frac)
            win.dlimit = guard_discharge[win.step, win.ev_of]
    e_arr, driving, external, need_full, dep_target, cap_batt = _energy_chain(
        w, fleet, e0, e_target, eta_c
    )
    guard_lost = np.zeros(len(w.sess))
    if cap_free is not None:  # what the guard costs each session: need the window no longer holds
        guard_lost[w.s_idx] = np.maximum(
            np.minimum(need_full[w.s_idx], cap_free) - np.minimum(need_full, cap_batt)[w.s_idx],
            0.0,
        )
    share = w.sess["share"].to_numpy()
    need_ctrl = need_full * share  # pro-rated for sessions that run past the horizon
    base = _repeat_last_day(base_load_kw.to_numpy(dtype=float), lookahead, index)

    objective = {"v1g": v1g_opts["objective"], "v2g": v2g_opts["objective"]}.get(strategy)
    window = _tariff.tariff_window(
        horizon, tariff_opts["hours"], tariff_opts["weekdays_only"], tariff_opts["months"]
    )
    # prices are always read: the energy cost is reported for every strategy
    price_series = prices_on_index(index, price_file=price_file, prices=prices)
    signal = np.zeros(len(horizon))
    if objective == "price":
        signal = price_weight_kw_per_sek * _repeat_last_day(
            price_series.to_numpy(dtype=float), lookahead, index
        )

    si = w.s_idx
    dt = w.dt_h
    if strategy == "uncontrolled":
        p = _fill_kernels.uncontrolled_fill(w.cap, need_full[si] / (eta_c * dt), w.starts)
    else:
        spi = wp.s_idx
        share_plan = wp.sess["share"].to_numpy()
        cap_plan = np.zeros(len(wp.sess))  # battery-side capacity of the planned windows
        cap_plan[spi] = eta_c * dt * _fill.segment_sum(wp.cap, wp.starts)
        if objective == "price" and tariff_opts["sek_per_kw_month"]:
            wp.cap = _tariff.capped_charger(
                wp,
                (need_full * share_plan)[spi] / (eta_c * dt),
                window,
                horizon.tz_convert(TIMEZONE).month.to_numpy(),
            )
        groups = _block_groups(wp)
        # what the controller plans on: the feeder's load, or each household's own
        if coordination == "household":
            own = _household.own_load(household_kw, horizon, fleet)  # [step x ev]
            if forecast:
                own = _forecast.forecast_base_load(own, horizon)
            fill_w = _household.private_windows(wp)
            base_fill = own.T.ravel()
            signal_fill = np.tile(signal, len(fleet))
        else:
            fill_w = wp
            base_fill = _forecast.forecast_base_load(base, horizon) if forecast else base
            signal_fill = signal
        # the soft limit only matters for the price objective: valley filling on the load
        # itself already keeps it as low as the plug-in windows allow
        feeder = coordination == "feeder"
        limit = transformer_limit_kw if objective == "price" and feeder else None
        # wear cost of a discharged kWh in the effective load's units (objective price)
        wear_kw = (
            price_weight_kw_per_sek * float(v2g_opts["wear_cost_sek_per_kwh"])
            if objective == "price"
            else 0.0
        )

        def plan(need_full, e_arr):
            """The coordinated schedule of the sessions' needs on the planned windows [kW]."""
            need_ctrl = need_full * share_plan
            need_steps = need_ctrl[spi] / (eta_c * dt)
            # restart from uncontrolled at the controlled need (differs only for cut sessions)
            p = _fill_kernels.uncontrolled_fill(wp.cap, need_steps, wp.starts)
            load = base_fill + np.bincount(fill_w.step, weights=p, minlength=len(base_fill))
            room = None
            if grid_aware and feeder and grid is not None:
                room = GridRoom(grid, fleet["ev_id"], len(horizon))
                room.start(p, wp.step, wp.ev_of, wp.cap)
            need_b = np.minimum(need_ctrl, cap_plan)[spi]

            def coordinate(p, n_passes, discharge):
                """``n_passes`` coordination passes over the fleet, with or without V2G."""
                if not discharge:
                    return _valley_passes(
                        fill_w, p, load, signal_fill, need_steps, n_passes, groups, limit, room
                    )
                return _v2g_passes(
                    fill_w,
                    p,
                    load,
                    signal_fill,
                    need_b,
                    e_arr[spi],
                    v2g_opts,
                    fleet,
                    groups,
                    eta_c,
                    eta_d,
                    n_passes,
                    limit,
                    room,
                    wear_kw,
                    net=feeder,
                )

            p = coordinate(p, passes, discharge=False)
            if strategy == "v2g":
                p = coordinate(p, n_v2g_passes, discharge=True)
            # check against the real load flow; correct the linear model and re-coordinate
            for _ in range(GRID_CHECKS if room is not None else 0):
                assert room is not None
                if not room.check(p, wp.step, wp.ev_of):
                    break
                p = coordinate(p, 1, discharge=strategy == "v2g")
            return p

        p = plan(need_full, e_arr)
        if forecast:  # reality: cars leave when they leave; re-plan from the real chain
            for replan in range(_forecast.REPLANS + 1):
                p, e_arr, driving, external, need_full = _forecast_realised(
                    wp, p, w, e0, dep_target, battery_kwh, eta_c, eta_d, net=feeder
                )
                if replan < _forecast.REPLANS:
                    p = plan(need_full, e_arr)
            need_ctrl = need_full * share
    restored = None
    w_sess_in_period = w.sess["in_period"].to_numpy()
    w_sess_ev = w.sess["ev"].to_numpy()
    if lookahead:  # cut back to the period; shortfalls are judged over the whole horizon
        restored = _restored_kwh(w, p, eta_c, eta_d)
        w_period = _windows(sessions, fleet, index, charger_cap_kw)
        p = _restrict(w, p, w_period)
        w = w_period
    result = _assemble(
        strategy,
        w,
        p,
        fleet,
        index,
        e0,
        e_arr,
        driving,
        external,
        dep_target,
        need_full if strategy == "uncontrolled" else need_ctrl,
        need_ctrl,
        eta_c,
        eta_d,
        price_series,
        bat_opts,
        None
        if not tariff_opts["sek_per_kw_month"]
        else (window[: len(index)], float(tariff_opts["sek_per_kw_month"])),
        restored,
    )
    lost = np.where(w_sess_in_period, guard_lost, 0.0)
    result.sessions["guard_lost_kwh"] = lost
    result.per_ev["guard_lost_kwh"] = np.bincount(w_sess_ev, weights=lost, minlength=len(fleet))
    if {"phases", "phase"} <= set(fleet.columns):
        result.per_ev["phases"] = fleet["phases"].to_numpy()
        result.per_ev["phase"] = _phases_as(fleet, phase_assignment)
    return result


def _phases_as(fleet: pd.DataFrame, method: str) -> np.ndarray:
    """Phase of each charger under the chosen assignment (``as_drawn`` keeps the fleet's)."""
    if method == "as_drawn" or len(fleet) == 0:
        return fleet["phase"].to_numpy()
    seed = zlib.crc32("|".join(map(str, fleet["ev_id"])).encode())
    rng = np.random.default_rng(seed)
    return assign_phases(fleet, method, rng)["phase"].to_numpy()
