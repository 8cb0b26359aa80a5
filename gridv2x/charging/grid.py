"""Grid-aware charging: a linear model of the feeder's limits for EV power.

V1G and V2G with ``grid_aware`` keep every quantity that the study counts as a violation
within its limit wherever the plug-in windows allow: the lowest customer voltage
(``limits.v_min_pu``), the transformer loading (``limits.transformer_loading_pct``) and the
cable loadings (``limits.line_loading_pct``). They see the feeder through a linear model built
from real load flows (power-grid-model, :class:`gridv2x.powerflow.TimeseriesEngine`). This
module builds the balanced model; with the per-phase load flow (``powerflow.asymmetric``, the
default) the study builds it per phase (:mod:`gridv2x.charging.grid_phases`: limits per phase,
each charger on its phase), since a balanced model keeps only the three-phase mean within a
limit (135 of 1,344 steps with the transformer's highest phase above its rating on
se-urban-apartments at 1.5 EVs per household, two winter weeks; 0 with the per-phase model).

1. **Room with the household load only.** One batch load flow of the base load over the
   period gives, for each step ``t`` and each limited quantity ``m``, the room ``r_m(t)``
   between its value and its limit: ``v(t) - v_min`` for a customer bus [pu], ``limit -
   loading(t)`` for a transformer or a cable [%].
2. **Sensitivity to EV power.** One more batch, at the step of highest base load, adds
   ``step_kw`` at one EV bus per scenario; the finite differences give ``K[m, b]``, the room of
   ``m`` used by one kW of EV charging at bus ``b`` [pu/kW or %/kW] (voltage drop, extra
   loading). This is the voltage-sensitivity (linearised DistFlow) view of a radial feeder,
   ``dV_m ~ -sum_b R_mb P_b / V**2`` with ``R_mb`` the resistance of the path the two buses
   share [1]_ [2]_, but taken numerically from the load flow, so it holds the transformer, the
   reactance, the cable loadings and the operating voltage without assumptions about topology.
3. **Linear limits.** EV power ``p_e(t)`` (charging positive) must satisfy, for every ``m``,
   ``sum_e K[m, b(e)] p_e(t) <= r_m(t)``. The charging schedule enforces this EV by EV (the
   coordination passes of :func:`gridv2x.charging.schedule`): each EV may charge at most its
   *headroom* ``min_m (r_m(t) - sum_{e' != e} K[m, b(e')] p_e'(t)) / K[m, b(e)]`` [kW] in each
   step, its own share of the room that the other EVs of the feeder left (EVs on the same
   cable and the same customers' voltages compete for the same room; discharging EVs give
   room back). In every session whose energy fits below its headroom the headroom is a hard
   cap on the charging power; in the others it is a soft limit (``_fill.charge_at_level``),
   so the mobility guarantee always comes first and the excess is spread thin.
4. **Check with the real load flow.** The schedule is run through the load flow on the steps
   where some limit is close to binding (:meth:`GridRoom.check`); where a limit is exceeded,
   the sensitivities are scaled by the largest ratio of real to predicted use near binding,
   the excess is taken off that step's room, and one more coordination pass follows (at most
   ``GRID_CHECKS`` times).

Approximation: the model is linear around the heaviest base-load step; the true voltage drop
and current grow a little faster than linear as the voltage falls (``I = P / V``, 1-4 % on
the built-in feeders), which step 4 corrects. The balanced (positive-sequence) load flow is
used here: with ``powerflow.asymmetric`` a single-phase charger loads its phase and the
neutral more than the balanced model assumes, hence the per-phase model of
:mod:`gridv2x.charging.grid_phases` for per-phase studies.
Overvoltage from V2G discharge is not limited (discharge only happens at high load, where
voltages are low). Limits that cannot bind even when every EV of the feeder charges at full
power at once, and limits dominated by another (less room in every step, more use per kW of
every EV), are left out (speed); so are steps where none can bind.

References
----------
.. [1] M. E. Baran, F. F. Wu, "Network reconfiguration in distribution systems for loss
   reduction and load balancing", IEEE Trans. Power Delivery 4(2), 1401-1407, 1989
   (DistFlow and its linearisation).
.. [2] P. M. S. Carvalho, P. F. Correia, L. A. F. M. Ferreira, "Distributed reactive power
   generation control for voltage rise mitigation in distribution networks", IEEE Trans.
   Power Systems 23(2), 766-772, 2008 (voltage sensitivity to nodal power in LV feeders).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.conventions import KW_PER_MW, step_hours
from gridv2x.errors import InputError

__all__ = ["GridLimits", "grid_limits", "GridRoom", "STEP_KW", "GRID_CHECKS"]

STEP_KW = 10.0
"""EV power added at one bus to measure the sensitivities [kW] (about one charger)."""

TIGHT_MARGIN = 1.2
"""Steps where the room is below this times the use with every plugged-in EV at full power
are tracked (and checked against the real load flow) [-]: a margin for the linearisation."""

NEAR_BINDING = 0.8
"""Share of its room above which a limit counts as close to binding in :meth:`GridRoom.check`
[-]."""

GRID_CHECKS = 3
"""Real load-flow checks (each followed by one more coordination pass) of a grid-aware
schedule [-]."""


@dataclass
class GridLimits:
    """Linear model of a feeder's limits for EV charging power (module documentation).

    Attributes
    ----------
    index : pandas.DatetimeIndex
        Time steps of ``room``.
    constraints : pandas.DataFrame
        One row per limited quantity that can bind: ``kind`` ("voltage", "transformer",
        "line"), ``element`` (pandapower bus, trafo or line index), ``limit`` (the value of
        the ``limits`` section: [pu] for voltage, [%] for loading).
    room : numpy.ndarray
        ``[time x constraint]`` room below (voltage: above) the limit with the household load
        only [pu or %]; negative where the base load alone violates it.
    sensitivity : pandas.DataFrame
        ``[constraint x ev_id]`` room used per kW of the EV's charging [pu/kW or %/kW], >= 0.
    load_flow : callable or None
        ``load_flow(steps, ev_power_kw)`` -> room actually used ``[len(steps) x constraint]``
        by EV power ``[len(steps) x ev_id]`` [kW] in those step positions, from a real load
        flow (what the schedule checks its result against); None = no check.
    """

    index: pd.DatetimeIndex
    constraints: pd.DataFrame
    room: np.ndarray
    sensitivity: pd.DataFrame
    load_flow: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def n_constraints(self) -> int:
        """Number of limited quantities kept [-]."""
        return len(self.constraints)


def _values(pf, customer_buses) -> np.ndarray:
    """Limited quantities of a load-flow result, each rising as room is used [-pu, %, %]."""
    return np.hstack(
        [
            -pf.vm_pu[customer_buses].to_numpy(dtype=float),
            pf.trafo_loading_percent.to_numpy(dtype=float),
            pf.line_loading_percent.to_numpy(dtype=float),
        ]
    )


def _not_dominated(room: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Limits that no other limit dominates ``[constraint]`` (bool).

    Limit ``m`` is dominated by ``n`` when ``n`` has no more room in any step and uses at
    least as much room per kW of every EV: whenever ``n`` holds, ``m`` holds too (e.g. a
    customer upstream of another on the same cable, whose voltage is higher and drops less).
    Of two identical limits one is kept.
    """
    n_m = len(k)
    keep = np.ones(n_m, bool)
    uses_more = np.asarray((k[:, None, :] >= k[None, :, :] - 1e-15).all(axis=2))  # [n, m]: n >= m
    for m in range(n_m):
        candidates = np.flatnonzero(uses_more[:, m] & keep)
        candidates = candidates[candidates != m]
        if len(candidates) == 0:
            continue
        tighter = (room[:, candidates] <= room[:, m : m + 1] + 1e-12).all(axis=0)
        if tighter.any():
            keep[m] = False
    return keep


def grid_limits(
    feeder: Any,
    base_p_kw: pd.DataFrame,
    base_q_kvar: pd.DataFrame,
    fleet: pd.DataFrame,
    *,
    limits: Mapping[str, Any] | None = None,
    step_kw: float = STEP_KW,
    threads: int = -1,
    asymmetric: bool = False,
    phase_assignment: str = "as_drawn",
) -> GridLimits:
    """Room below the study's limits and its sensitivity to each EV's power, from load flows.

    Parameters
    ----------
    feeder : gridv2x.network.Feeder
        The feeder (``net`` and ``customers`` with ``customer_id, bus, load``).
    base_p_kw, base_q_kvar : pandas.DataFrame
        Household load ``[time x customer_id]`` [kW], [kvar] (without EVs).
    fleet : pandas.DataFrame
        EVs with ``ev_id``, ``customer_id`` (the EV charges at its owner's connection) and
        ``charger_kw`` [kW].
    limits : mapping, optional
        The scenario's ``limits`` section: ``v_min_pu`` [pu], ``transformer_loading_pct`` and
        ``line_loading_pct`` [%] (missing keys take their defaults), the same limits the
        summary uses to flag violations.
    step_kw : float
        EV power added at one bus to measure the sensitivities [kW].
    threads : int
        power-grid-model batch threads (-1 all cores, 0 one).
    asymmetric : bool
        Build the model on the per-phase load flow (``powerflow.asymmetric``;
        :mod:`gridv2x.charging.grid_phases`): limits per phase, the EVs on the phases they are
        connected to (fleet column ``phase``, ``phases``). Default: balanced.
    phase_assignment : {"as_drawn", "random", "balanced"}
        How single-phase chargers are connected (``charging.phase_assignment``, as the
        schedule connects them); per phase only.

    Returns
    -------
    GridLimits
        With a ``load_flow`` check bound to this feeder and base load.

    Raises
    ------
    gridv2x.errors.InputError
        When an EV's owner is not a customer of the feeder, or the tables do not match.

    References
    ----------
    See the module documentation (Baran & Wu 1989; voltage sensitivity).
    """
    from gridv2x.metrics import resolve_limits

    lim = resolve_limits(limits)
    if isinstance(step_kw, bool) or not (isinstance(step_kw, int | float) and step_kw > 0):
        raise InputError(f"step_kw: must be a number > 0 [kW], given {step_kw!r}")
    customers = feeder.customers
    missing = [c for c in ("customer_id", "bus", "load") if c not in customers]
    if missing:
        raise InputError(f"grid-aware charging: feeder customers lack column(s) {missing}")
    if not {"ev_id", "customer_id", "charger_kw"} <= set(fleet.columns):
        raise InputError("grid-aware charging: fleet needs columns ev_id, customer_id, charger_kw")
    by_id = customers.set_index("customer_id")
    unknown = sorted(set(fleet["customer_id"]) - set(by_id.index))
    if unknown:
        raise InputError(f"grid-aware charging: EV owners not on the feeder: {unknown[:5]}")
    ids = list(customers["customer_id"])
    index = base_p_kw.index
    p_kw = base_p_kw.reindex(columns=ids, fill_value=0.0).to_numpy(dtype=float)
    q_kvar = base_q_kvar.reindex(index=index, columns=ids, fill_value=0.0).to_numpy(dtype=float)
    ev_bus = by_id.loc[fleet["customer_id"].to_numpy(), "bus"].to_numpy()
    if asymmetric:  # per phase: gridv2x.charging.grid_phases
        from gridv2x.charging.grid_phases import phase_model
        from gridv2x.charging.phases import _phase_weights
        from gridv2x.charging.schedule import _phases_as

        connected = fleet.reset_index(drop=True)
        connected = connected.assign(phase=_phases_as(connected, phase_assignment))
        model = phase_model(
            feeder, p_kw, q_kvar, index, ev_bus, _phase_weights(connected), step_kw, threads
        )
        kinds, elements, base_values = model["kinds"], model["elements"], model["base_values"]
        k_ev, used, converged = model["k_ev"], model["used"], model["converged"]
    else:
        kinds, elements, base_values, k_ev, used, converged = _balanced_model(
            feeder, p_kw, q_kvar, index, ev_bus, step_kw, threads
        )
    limit = np.select(
        [kinds == "voltage", kinds == "transformer"],
        [lim["v_min_pu"], lim["transformer_loading_pct"]],
        lim["line_loading_pct"],
    ).astype(float)
    signed_limit = np.where(kinds == "voltage", -limit, limit)
    room = signed_limit - base_values
    # steps without a solution: no room; lines out of service (NaN): no limit
    room[~converged] = 0.0
    room = np.where(np.isnan(room), np.inf, room)

    # keep the limits that can bind with every EV at full power
    worst = k_ev @ fleet["charger_kw"].to_numpy(dtype=float)
    lowest = np.min(room, axis=0) if len(index) else np.full(len(kinds), np.inf)
    keep = (worst > 0) & (lowest < worst)
    keep[keep] = _not_dominated(room[:, keep], k_ev[keep])
    ev_ids = fleet["ev_id"].to_numpy()

    def load_flow(steps: np.ndarray, ev_power_kw: np.ndarray) -> np.ndarray:
        """Room used by EV power ``[steps x ev]`` [kW] (fleet order), from a real load flow."""
        return used(steps, ev_power_kw)[:, keep]

    constraints = pd.DataFrame(
        {"kind": kinds[keep], "element": elements[keep], "limit": limit[keep]}
    )
    if asymmetric:
        constraints["phase"] = model["phases"][keep]
    sensitivity = pd.DataFrame(
        k_ev[keep], index=constraints.index, columns=pd.Index(ev_ids, name="ev_id")
    )
    return GridLimits(index, constraints, room[:, keep], sensitivity, load_flow)


def _balanced_model(feeder, p_kw, q_kvar, index, ev_bus, step_kw, threads):
    """Room inputs, sensitivities and load-flow check of the balanced model (module docs):
    ``kinds, elements, base_values [time x constraint], k_ev [constraint x ev],
    used(steps, ev_power), converged [time]``."""
    from gridv2x.powerflow import TimeseriesEngine

    customers = feeder.customers
    loads = list(customers["load"])
    p_mw, q_mw = p_kw / KW_PER_MW, q_kvar / KW_PER_MW
    engine = TimeseriesEngine(feeder.net, threads=threads)

    def run(p, q, steps):
        return engine.run(
            pd.DataFrame(p, index=steps, columns=loads),
            pd.DataFrame(q, index=steps, columns=loads),
        )

    customer_buses = np.unique(customers["bus"].to_numpy())
    pf = run(p_mw, q_mw, index)
    base_values = _values(pf, customer_buses)
    n_v, n_tr = len(customer_buses), pf.trafo_loading_percent.shape[1]
    n_ln = pf.line_loading_percent.shape[1]
    kinds = np.array(["voltage"] * n_v + ["transformer"] * n_tr + ["line"] * n_ln, dtype=object)
    elements = np.r_[
        customer_buses, pf.trafo_loading_percent.columns, pf.line_loading_percent.columns
    ]
    # sensitivities at the heaviest base-load step: one scenario per EV bus
    buses, ev_col = np.unique(ev_bus, return_inverse=True)
    position = {load: j for j, load in enumerate(loads)}
    load_of_bus = customers.drop_duplicates("bus").set_index("bus")["load"]
    t_star = int(np.argmax(p_mw.sum(axis=1))) if len(index) else 0
    batch_p = np.repeat(p_mw[t_star : t_star + 1], len(buses) + 1, axis=0)
    batch_q = np.repeat(q_mw[t_star : t_star + 1], len(buses) + 1, axis=0)
    for j, bus in enumerate(buses):
        batch_p[j + 1, position[load_of_bus[bus]]] += step_kw / KW_PER_MW
    values = _values(run(batch_p, batch_q, pd.RangeIndex(len(buses) + 1)), customer_buses)
    k_bus = (values[1:] - values[0]).T / step_kw  # [constraint x bus]
    k_bus = np.where(np.isfinite(k_bus), np.maximum(k_bus, 0.0), 0.0)
    k_ev = k_bus[:, ev_col]  # [constraint x ev]
    ev_load_pos = np.array([position[load_of_bus[b]] for b in ev_bus], dtype=int)

    def used(steps: np.ndarray, ev_power_kw: np.ndarray) -> np.ndarray:
        p = p_mw[steps].copy()
        for j in range(len(ev_load_pos)):
            p[:, ev_load_pos[j]] += ev_power_kw[:, j] / KW_PER_MW
        return _values(run(p, q_mw[steps], index[steps]), customer_buses) - base_values[steps]

    return kinds, elements, base_values, k_ev, used, pf.converged.to_numpy()


class GridRoom:
    """The room the EVs leave each other, kept up to date during the coordination passes.

    Only the steps where some limit can bind with every plugged-in EV at full power are kept
    (``row[step] >= 0``); elsewhere the headroom is unlimited. Per kept step, ``slack`` is a
    lower bound of every EV's headroom beyond its own power, ``min_m room_m / max_e K[m, e]``
    [kW] (``-inf`` where a limit is already exceeded): where it leaves an EV its full charger
    power the headroom is not computed. :meth:`check` runs the real load flow on the kept
    steps and corrects the linear model where a limit is exceeded.

    Parameters
    ----------
    grid : GridLimits
    ev_ids : array-like
        EV ids in the order of the schedule's EV columns.
    n_steps : int
        Steps of the schedule's horizon: the study index, possibly continued by up to one day
        past its end (the look-ahead of :func:`gridv2x.charging.schedule`), where the room and
        the load flow are those of the same time on the last day.
    """

    def __init__(self, grid: GridLimits, ev_ids, n_steps: int) -> None:
        ev_ids = list(ev_ids)
        missing = sorted(set(ev_ids) - set(grid.sensitivity.columns))
        if missing:
            raise InputError(f"grid-aware charging: no grid limits for EVs {missing[:5]}")
        n_grid = grid.room.shape[0]
        day = int(round(24.0 / step_hours(grid.index))) if len(grid.index) > 1 else 1
        if not n_grid <= n_steps <= n_grid + min(day, n_grid):
            raise InputError(
                f"grid-aware charging: grid limits have {n_grid} steps, the study {n_steps}"
            )
        # steps past the end of the period (the schedule's look-ahead) repeat the last day
        self._source = np.r_[np.arange(n_grid), n_grid - day + np.arange(n_steps - n_grid)]
        self.k = grid.sensitivity[ev_ids].to_numpy(dtype=float)  # [constraint x ev]
        self.room0 = grid.room[self._source]  # tightened by check(); the grid's stays as it is
        self.row = np.full(n_steps, -1)
        self.room = np.zeros((0, self.k.shape[0]))
        self.slack = np.zeros(0)
        self._load_flow = grid.load_flow
        self._to_grid_order = grid.sensitivity.columns.get_indexer(ev_ids)
        self._n_grid_evs = grid.sensitivity.shape[1]
        self.corrections = 0

    def _per_step(self, values, step, ev_of, rows=None) -> np.ndarray:
        """``sum_e K[:, e] x values`` per step ``[T x constraint]`` (or only ``rows``)."""
        from scipy import sparse

        by_step = sparse.csr_matrix((values, (step, ev_of)), shape=(len(self.row), self.k.shape[1]))
        if rows is not None:
            by_step = by_step[rows]
        return np.asarray(by_step @ self.k.T)

    def _slack(self, room: np.ndarray) -> np.ndarray:
        kmax = self.k.max(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(kmax > 0, room / kmax, np.inf)
        out = ratio.min(axis=1) if ratio.shape[1] else np.full(len(room), np.inf)
        return np.where((room < 0).any(axis=1), -np.inf, out)

    def start(self, p: np.ndarray, step: np.ndarray, ev_of: np.ndarray, cap: np.ndarray) -> None:
        """Room left by the schedule ``p`` [kW] (flat elements with ``step`` and ``ev_of``);
        the charger limits ``cap`` [kW] decide which steps can bind."""
        self.row[:] = -1
        if self.k.shape[0] == 0:
            return
        full = self._per_step(cap, step, ev_of)
        # a margin for the linearisation error: steps close to binding are kept too
        tight = np.flatnonzero((self.room0 < TIGHT_MARGIN * full).any(axis=1))
        self.row[tight] = np.arange(len(tight))
        self.room = self.room0[tight] - self._per_step(p, step, ev_of, tight)
        self.slack = self._slack(self.room)

    def head(
        self, ev: int, steps: np.ndarray, p_ev: np.ndarray, cap: np.ndarray
    ) -> np.ndarray | None:
        """Headroom [kW] of EV ``ev`` in ``steps`` (unique), given its current power ``p_ev``
        and charger limit ``cap`` [kW] there; ``None`` when no limit can bind."""
        rows = self.row[steps]
        sel = rows >= 0
        sel[sel] = self.slack[rows[sel]] + p_ev[sel] < cap[sel]
        kcol = self.k[:, ev]
        active = np.flatnonzero(kcol > 0)
        if not sel.any() or len(active) == 0:
            return None
        out = np.full(len(steps), np.inf)
        kc = kcol[active]
        r = self.room[np.ix_(rows[sel], active)] + p_ev[sel, None] * kc
        out[sel] = np.min(r / kc, axis=1)
        return out

    def update(self, ev: int, steps: np.ndarray, delta: np.ndarray) -> None:
        """Take a change ``delta`` [kW] of EV ``ev``'s power in ``steps`` (unique) into
        account."""
        rows = self.row[steps]
        sel = (rows >= 0) & (delta != 0)
        if sel.any():
            changed = rows[sel]
            self.room[changed] -= delta[sel, None] * self.k[:, ev]
            # each room falls by at most delta x max_e K: the bound stays valid (and cheap)
            self.slack[changed] -= np.maximum(delta[sel], 0.0)

    def check(self, p: np.ndarray, step: np.ndarray, ev_of: np.ndarray) -> bool:
        """Run the real load flow with the schedule ``p`` [kW] on the kept steps where some
        limit is close to binding, and correct the linear model where one is exceeded.

        Close to binding: the predicted use is above ``NEAR_BINDING`` of the room (or the room
        is already negative). When some limit is exceeded, its use was under-predicted (the
        current grows as the voltage falls): the sensitivities of every limit are scaled by
        the largest ratio of real to predicted use over the steps where it is close to
        binding, so that the model is conservative there, and the excess at a violating step
        is taken off that step's room.

        Returns
        -------
        bool
            Whether the model was corrected (a further pass is worth running).
        """
        if self._load_flow is None or self.room.size == 0:
            return False
        predicted_all = self.room0[self.row >= 0] - self.room
        close = (predicted_all > NEAR_BINDING * np.maximum(self.room0[self.row >= 0], 0)).any(
            axis=1
        )
        rows = np.flatnonzero(close)
        if len(rows) == 0:
            return False
        tight = np.flatnonzero(self.row >= 0)[rows]
        position = np.full(len(self.row), -1)
        position[tight] = np.arange(len(tight))
        sel = position[step] >= 0
        power = np.zeros((len(tight), self._n_grid_evs))
        np.add.at(power, (position[step[sel]], self._to_grid_order[ev_of[sel]]), p[sel])
        used = np.nan_to_num(self._load_flow(self._source[tight], power), nan=0.0)
        room0 = self.room0[tight]
        predicted = predicted_all[rows]
        violated = used > room0
        if not violated.any():
            return False
        near = (used > NEAR_BINDING * room0) & (room0 > 0) & (predicted > 0)
        ratio = np.divide(used, predicted, out=np.ones_like(used), where=near)
        scale = np.maximum(ratio.max(axis=0), 1.0)
        self.k *= scale[:, None]
        self.room0[tight] -= np.where(violated, used - room0, 0.0)
        kept = self.row >= 0
        self.room = self.room0[kept] - predicted_all * scale
        self.slack = self._slack(self.room)
        self.corrections += 1
        return True
