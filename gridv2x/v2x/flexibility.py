"""Flexibility of the plugged-in fleet: how much power it can shift, for how long, per step.

The model
---------
A flexibility offer is a constant change ``dP`` [kW] of the fleet's grid-side power, held for a
duration ``D`` (``k`` steps) from the start of step ``t``, on top of the task's charging
schedule (the *baseline*). ``up`` lowers the fleet's consumption (charging paused; with V2G also
discharge), ``down`` raises it (charging started). This is the direction convention of the
balancing markets: up-regulation is less load or more generation.

Each EV ``i`` can offer, for a window ``W = [t, t + k)`` in which it is plugged in for every
whole step (a step it is plugged in for only partly is not offered):

* **up**, ``dP <= min over W of (p_i(s) - p_min)``: its power cannot go below ``p_min`` (0 for
  V1G; ``-p_dis`` for V2G cars that did not opt out). The stored energy it loses,
  ``dP k dt / eta`` (``eta = eta_c`` while only charging is paused, ``eta_d`` once it
  discharges, taken conservatively as ``min(eta_c, eta_d)`` below 1: ``1 / eta_d``), must
  (a) keep the stored energy above the floor in every step of ``W`` (0, or the V2G reserve) and
  (b) be recoverable before departure: charging at full power ``p_max`` in the steps after
  ``W`` where the baseline does not, ``sum over [t+k, departure) of (p_max - p_i) eta_c dt``.
  The departure need is the stored energy the baseline reaches at departure, so an offer never
  leaves a car with less than the schedule gave it (the mobility guarantee comes first).
* **down**, ``dP <= min over W of (p_max - p_i(s))``, and the extra energy ``dP k dt eta_c``
  must fit below the battery's usable capacity in every step from ``t`` to departure (the
  baseline's highest stored energy in that span is the binding one).

The fleet's offer is the sum of the EVs' offers: every car holds its own ``dP_i`` for the whole
window. Uncontrolled charging is not controllable and offers nothing.

**Grid-constrained** flexibility scales the fleet's offer down where the feeder's limits would
be broken (``down``: customer voltage below ``v_min_pu``, transformer or cable loading above its
limit; ``up``: voltage above ``v_max_pu``, reverse loading): with the room ``r_c(t)`` each
limit ``c`` has in the task's own load flow and its sensitivity ``s_ci`` to 1 kW at EV ``i``'s
connection (from a load flow of the feeder with 1 kW at each customer bus, linear in power),
the offer is ``alpha(t) sum_i a_i(t)`` with
``alpha(t) = clip(min_c r_c(t) / sum_i s_ci a_i(t), 0, 1)``, so it never exceeds the
unconstrained offer. The sensitivities are balanced (positive-sequence) and taken at no load:
an estimate that is exact for small offers and conservative for voltage (the drop per kW grows
as voltage falls only by the ratio of voltages, < 10 % inside the band).

References
----------
.. [1] Svenska kraftnät, product requirements of FCR-D, FFR, aFRR and mFRR (activation time,
   endurance, minimum bid): ``docs/sources.md §12``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridv2x.conventions import step_hours

__all__ = [
    "FleetFlexibility",
    "GridSensitivity",
    "fleet_flexibility",
    "plugged_in",
    "SEASONS",
    "season_of",
    "flexibility_table",
]

SEASONS = ("winter", "spring", "summer", "autumn")
"""Meteorological seasons (Dec-Feb, Mar-May, Jun-Aug, Sep-Nov)."""
_SEASON_OF_MONTH = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0])  # index: month (1..12)


def season_of(index: pd.DatetimeIndex) -> np.ndarray:
    """Season name of every step of ``index`` (meteorological seasons, local time)."""
    return np.asarray(SEASONS, dtype=object)[_SEASON_OF_MONTH[np.asarray(index.month)]]


@dataclass
class FleetFlexibility:
    """Flexibility of one task's fleet, per step and offer duration.

    Attributes
    ----------
    index : pandas.DatetimeIndex
        Start of each offer window (the task's steps).
    durations_min : tuple of int
        Offer durations [min].
    up_kw, down_kw : numpy.ndarray
        ``[step x duration]`` fleet offer without grid limits [kW], >= 0.
    up_grid_kw, down_grid_kw : numpy.ndarray or None
        The same within the feeder's limits [kW] (None: not computed).
    n_plugged : numpy.ndarray
        ``[step]`` EVs plugged in for the whole step [-].
    n_evs : int
        EVs of the fleet (plugged in or not) [-].
    """

    index: pd.DatetimeIndex
    durations_min: tuple[int, ...]
    up_kw: np.ndarray
    down_kw: np.ndarray
    n_plugged: np.ndarray
    n_evs: int
    up_grid_kw: np.ndarray | None = None
    down_grid_kw: np.ndarray | None = None


def plugged_in(sessions: pd.DataFrame, ev_ids: Sequence[str], index: pd.DatetimeIndex):
    """Whole steps each EV is plugged in, and the step its session ends.

    Parameters
    ----------
    sessions : pandas.DataFrame
        ``ev_id, arrival, departure`` (tz-aware).
    ev_ids : sequence of str
        Column order of the result.
    index : pandas.DatetimeIndex
        Steps (start times), equally spaced (``freq``) or not (representative weeks: the step
        length is the smallest gap).

    Returns
    -------
    plugged : numpy.ndarray
        ``[step x ev]`` bool: plugged in from the step's start to its end.
    end_step : numpy.ndarray
        ``[step x ev]`` int: for a plugged-in step, the first step after its session's last
        whole step (exclusive end); ``-1`` elsewhere.
    """
    n_t, n_ev = len(index), len(ev_ids)
    plugged = np.zeros((n_t, n_ev), dtype=bool)
    end_step = np.full((n_t, n_ev), -1, dtype=np.int64)
    if n_t == 0 or n_ev == 0 or len(sessions) == 0:
        return plugged, end_step
    dt = _step_length(index)
    starts = index.asi8
    position = {e: j for j, e in enumerate(ev_ids)}
    arrival = pd.DatetimeIndex(sessions["arrival"]).tz_convert(index.tz).asi8
    departure = pd.DatetimeIndex(sessions["departure"]).tz_convert(index.tz).asi8
    # first step starting at or after arrival; steps that end at or before departure
    first = np.searchsorted(starts, arrival, side="left")
    last = np.searchsorted(starts + dt, departure, side="right")  # exclusive
    cols = np.array([position.get(e, -1) for e in sessions["ev_id"]])
    for a, b, j in zip(first, last, cols, strict=True):
        if j < 0 or b <= a:
            continue
        # representative weeks: a session may span a gap; stop at the first gap
        plugged[a:b, j] = True
        end_step[a:b, j] = b
    return plugged, end_step


def _step_length(index: pd.DatetimeIndex) -> int:
    """Step length of ``index`` [ns]."""
    if index.freq is not None:
        return int(pd.Timedelta(index.freq).value)
    return int(np.diff(index.asi8).min()) if len(index) > 1 else int(pd.Timedelta("15min").value)


def _window_min(values: np.ndarray, k: int) -> np.ndarray:
    """Minimum over ``[t, t + k)`` along axis 0 (``+inf`` past the end)."""
    out = values.copy()
    for shift in range(1, k):
        shifted = np.full_like(values, np.inf)
        shifted[:-shift] = values[shift:]
        np.minimum(out, shifted, out=out)
    return out


def _window_all(values: np.ndarray, k: int) -> np.ndarray:
    out = values.copy()
    for shift in range(1, k):
        shifted = np.zeros_like(values)
        shifted[:-shift] = values[shift:]
        out &= shifted
    return out


def _segment_suffix(values: np.ndarray, plugged: np.ndarray, op: str) -> np.ndarray:
    """Suffix sum or max of ``values`` within each plugged-in run, along axis 0.

    Runs are separated by steps the EV is not plugged in; outside runs the result is 0 (sum)
    or ``-inf`` (max). Vectorised: a run number that grows backwards in time keeps the
    accumulation from crossing into the next run.
    """
    rev_plugged = plugged[::-1]
    rev = np.where(rev_plugged, values[::-1], 0.0)
    # run number along reversed time: a new run starts where plugging starts (reversed)
    starts = rev_plugged & ~np.vstack([np.zeros((1, plugged.shape[1]), bool), rev_plugged[:-1]])
    run = np.cumsum(starts, axis=0)
    if op == "sum":
        total = np.cumsum(rev, axis=0)
        # subtract what was accumulated before the run began
        # the running total just before each run began, carried along the run
        offset = _carry_forward(np.where(starts, total - rev, np.nan))
        out = np.where(rev_plugged, total - offset, 0.0)
    else:
        span = np.nanmax(np.abs(np.where(rev_plugged, rev, 0.0))) * 4.0 + 1.0
        shifted = np.where(rev_plugged, rev + run * span, -np.inf)
        out = np.maximum.accumulate(shifted, axis=0) - run * span
        out = np.where(rev_plugged, out, -np.inf)
    return out[::-1]


def _carry_forward(values: np.ndarray) -> np.ndarray:
    """Fill NaN with the last non-NaN value above it (axis 0); leading NaN become 0."""
    n_t = values.shape[0]
    idx = np.where(~np.isnan(values), np.arange(n_t)[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = np.take_along_axis(values, idx, axis=0)
    return np.nan_to_num(out, nan=0.0)


def fleet_flexibility(
    strategy: str,
    power_kw: pd.DataFrame,
    soc_kwh: pd.DataFrame,
    sessions: pd.DataFrame,
    fleet: pd.DataFrame,
    *,
    durations_min: Sequence[int] = (15, 60),
    charge_efficiency: float = 0.92,
    round_trip_efficiency: float = 0.85,
    reserve_soc: float = 0.4,
    max_discharge_kw: float | None = None,
    v2g_capable: pd.Series | None = None,
    grid: GridSensitivity | None = None,
) -> FleetFlexibility:
    """Up and down flexibility of the fleet around its charging schedule (module docs).

    Parameters
    ----------
    strategy : {"uncontrolled", "v1g", "v2g"}
        Uncontrolled charging offers nothing; V2G adds discharge for ``v2g_capable`` EVs.
    power_kw, soc_kwh : pandas.DataFrame
        The schedule: ``[time x ev_id]`` grid-side power [kW] and stored energy at the end of
        each step [kWh] (:class:`gridv2x.charging.ChargingResult`).
    sessions : pandas.DataFrame
        Home-charging sessions (``ev_id, arrival, departure``).
    fleet : pandas.DataFrame
        ``ev_id, battery_kwh`` [kWh], ``charger_kw`` [kW].
    durations_min : sequence of int
        Offer durations [min], each a whole number of steps.
    charge_efficiency : float
        Grid-to-battery efficiency ``eta_c`` [-].
    round_trip_efficiency : float
        V2G round trip ``eta_c eta_d`` [-].
    reserve_soc : float
        V2G floor of the stored energy, share of usable capacity [-].
    max_discharge_kw : float or None
        V2G discharge limit [kW]; None = the charger power.
    v2g_capable : pandas.Series or None
        Bool per ``ev_id``: may discharge (owners who opted out may not). None = all.
    grid : GridSensitivity or None
        The feeder's room and sensitivities: also compute the grid-constrained offers.

    Returns
    -------
    FleetFlexibility
    """
    index = power_kw.index
    ev_ids = list(power_kw.columns)
    n_t, n_ev = power_kw.shape
    dt_h = step_hours(index) if index.freq is not None else _step_length(index) / 3.6e12
    steps = []
    for minutes in durations_min:
        k = minutes / (dt_h * 60.0)
        if k < 1 or abs(k - round(k)) > 1e-9:
            raise ValueError(
                f"durations_min: {minutes} min is not a whole number of {dt_h * 60:g}-min steps"
            )
        steps.append(int(round(k)))
    plugged, end_step = plugged_in(sessions, ev_ids, index)
    shape = (n_t, len(steps))
    durations = tuple(int(m) for m in durations_min)
    totals = {key: np.zeros(shape) for key in ("up", "down", "up_grid", "down_grid")}
    if strategy == "uncontrolled" or n_ev == 0 or n_t == 0:
        return FleetFlexibility(
            index,
            durations,
            totals["up"],
            totals["down"],
            plugged.sum(1),
            n_ev,
            totals["up_grid"] if grid is not None else None,
            totals["down_grid"] if grid is not None else None,
        )

    fl = fleet.set_index("ev_id").reindex(ev_ids)
    cap = fl["battery_kwh"].to_numpy(dtype=float)
    p_max = fl["charger_kw"].to_numpy(dtype=float)
    p = power_kw.to_numpy(dtype=float)
    e = soc_kwh.reindex(index=index, columns=ev_ids).to_numpy(dtype=float)
    eta_c = float(charge_efficiency)
    eta_d = float(round_trip_efficiency) / eta_c
    discharge = strategy == "v2g"
    capable = (
        np.ones(n_ev, bool)
        if v2g_capable is None
        else v2g_capable.reindex(ev_ids).fillna(False).to_numpy(bool)
    )
    p_dis = p_max if max_discharge_kw is None else np.minimum(p_max, float(max_discharge_kw))
    p_min = np.where(discharge & capable, -p_dis, 0.0)[None, :]
    floor = np.where(discharge & capable, reserve_soc * cap, 0.0)[None, :]
    # energy lost per kWh of grid-side power given up: 1/eta_d once discharging (conservative)
    loss = np.where(discharge & capable, 1.0 / eta_d, eta_c)[None, :]

    # recovery after step s: (p_max - p) eta_c dt summed from s to the end of the session
    recover = _segment_suffix(np.maximum(p_max[None, :] - p, 0.0) * eta_c * dt_h, plugged, "sum")
    # highest stored energy from s to the end of the session
    e_high = _segment_suffix(e, plugged, "max")
    up_room = np.where(plugged, p - p_min, -np.inf)
    down_room = np.where(plugged, p_max[None, :] - p, -np.inf)
    for j, k in enumerate(steps):
        whole = _window_all(plugged, k)
        # the window must lie inside one session: same end step at t and t + k - 1
        same = np.zeros_like(whole)
        same[: n_t - k + 1] = end_step[: n_t - k + 1] == end_step[k - 1 :]
        valid = whole & same
        energy = k * dt_h
        # up: power room, stored-energy floor in every step of the window, recovery after it
        up = _window_min(up_room, k)
        for i in range(k):  # e at the end of step t + i loses dP (i + 1) dt loss
            e_i = np.full_like(e, -np.inf)
            e_i[: n_t - i] = e[i:]
            up = np.minimum(up, (e_i - floor) / ((i + 1) * dt_h * loss))
        after = np.zeros_like(recover)  # recovery in the same session after the window
        later = end_step[: n_t - k] > (np.arange(n_t - k) + k)[:, None]
        after[: n_t - k] = np.where(later, recover[k:], 0.0)
        up = np.minimum(up, after / (energy * loss))
        # down: power room, and the extra energy fits below the capacity until departure
        down = _window_min(down_room, k)
        down = np.minimum(down, (cap[None, :] - e_high) / (energy * eta_c))
        up = np.where(valid, np.clip(up, 0.0, None), 0.0)
        down = np.where(valid, np.clip(down, 0.0, None), 0.0)
        totals["up"][:, j] = up.sum(axis=1)
        totals["down"][:, j] = down.sum(axis=1)
        if grid is not None:
            totals["up_grid"][:, j] = _within_limits(up, grid.room_up, grid.use)
            totals["down_grid"][:, j] = _within_limits(down, grid.room_down, grid.use)
    return FleetFlexibility(
        index,
        durations,
        totals["up"],
        totals["down"],
        plugged.sum(axis=1),
        n_ev,
        totals["up_grid"] if grid is not None else None,
        totals["down_grid"] if grid is not None else None,
    )


def _within_limits(offers: np.ndarray, room: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Fleet offer ``[step]`` scaled by ``alpha = clip(min_c room_c / used_c, 0, 1)`` [kW].

    ``offers`` is ``[step x ev]`` [kW], ``room`` ``[step x limit]``, ``use`` ``[limit x ev]``.
    """
    used = offers @ use.T  # [step x limit]: room the whole offer uses
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(used > 1e-12, np.maximum(room, 0.0) / used, np.inf)
    alpha = np.clip(ratio.min(axis=1, initial=np.inf), 0.0, 1.0)
    return alpha * offers.sum(axis=1)


@dataclass
class GridSensitivity:
    """Room each feeder limit has per step, and how much of it 1 kW at each EV uses.

    Attributes
    ----------
    room_up, room_down : numpy.ndarray
        ``[step x limit]`` room [pu or %] for less load (up) and more load (down).
    use : numpy.ndarray
        ``[limit x ev]`` room used per kW at the EV's connection [pu/kW or %/kW], >= 0.
    """

    room_up: np.ndarray
    room_down: np.ndarray
    use: np.ndarray


def flexibility_table(flex: FleetFlexibility) -> pd.DataFrame:
    """A task's flexibility by hour of day and season: what is there with 90 and 95 % probability.

    Parameters
    ----------
    flex : FleetFlexibility
        :func:`fleet_flexibility` of a task.

    Returns
    -------
    pandas.DataFrame
        One row per hour of day (local), season, offer duration and ``grid_constrained``
        (False, and True where computed): ``hour, season, duration_min, grid_constrained,
        up_kw_p90, down_kw_p90, up_kw_p95, down_kw_p95`` (the fleet's offer that is available in
        90 / 95 % of that hour's steps in that season: the 10th / 5th percentile) [kW],
        ``up_kw_per_ev_p95, down_kw_per_ev_p95`` (the same per EV of the fleet) [kW],
        ``plugged_mean`` (EVs plugged in, mean) [-] and ``n_steps`` [-].
    """
    hours = np.asarray(flex.index.hour)
    seasons = season_of(flex.index)
    variants = [(False, flex.up_kw, flex.down_kw)]
    if flex.up_grid_kw is not None and flex.down_grid_kw is not None:
        variants.append((True, flex.up_grid_kw, flex.down_grid_kw))
    n_evs = max(flex.n_evs, 1)
    rows = []
    for season in SEASONS:
        in_season = seasons == season
        for hour in range(24):
            mask = in_season & (hours == hour)
            n = int(mask.sum())
            if n == 0:
                continue
            plugged_mean = float(flex.n_plugged[mask].mean())
            for j, duration in enumerate(flex.durations_min):
                for constrained, up, down in variants:
                    u, d = up[mask, j], down[mask, j]
                    q_up = np.quantile(u, [0.10, 0.05])
                    q_down = np.quantile(d, [0.10, 0.05])
                    rows.append(
                        {
                            "hour": hour,
                            "season": season,
                            "duration_min": duration,
                            "grid_constrained": constrained,
                            "up_kw_p90": float(q_up[0]),
                            "down_kw_p90": float(q_down[0]),
                            "up_kw_p95": float(q_up[1]),
                            "down_kw_p95": float(q_down[1]),
                            "up_kw_per_ev_p95": float(q_up[1]) / n_evs,
                            "down_kw_per_ev_p95": float(q_down[1]) / n_evs,
                            "plugged_mean": plugged_mean,
                            "n_steps": n,
                        }
                    )
    return pd.DataFrame(rows)
