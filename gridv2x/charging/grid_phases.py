"""Grid-aware charging per phase: the linear model of :mod:`gridv2x.charging.grid` built on
the per-phase load flow (``powerflow.asymmetric``, the study's default).

The balanced model keeps the three-phase mean within the limits, but a single-phase charger
loads its own phase (and the neutral): with the per-phase load flow a phase can still exceed a
limit (135 of 1,344 transformer steps on se-urban-apartments at 1.5 EVs per household, two
winter weeks). Here the same steps (room with the household load only, sensitivity to EV
power, linear limits, check with the real load flow) run on the per-phase load flow
(:func:`gridv2x.powerflow.build_engine` with ``asymmetric=True``, the engine the study uses),
with the household load split onto phases as the study splits it
(:func:`gridv2x.demand.household_phase_shares`) and each charger on the phase it is connected
to (``charging.phase_assignment``; a three-phase charger a third on each phase):

- **voltage**: one limit per customer bus and phase (phase-to-neutral voltage [pu]). The
  sensitivity of each phase's voltage to one kW on each phase at each EV bus is measured (three
  load flows per EV bus, at the heaviest base-load step); it holds the neutral-point shift
  (a single-phase load lowers its own phase's voltage and can raise the others', which is not
  counted as room: negative sensitivities are set to 0, as in the balanced model);
- **transformer and cable loading**: the load flow reports the highest phase current of each
  element only, so each element gets one limit per phase with the room of its *highest* phase
  (conservative: a less loaded phase gets no more room than the highest one has) and, per kW on
  that phase, the rise of the phase current measured with one kW added on every phase at the
  EV's bus; a single-phase charger uses the room of its own phase only, a three-phase charger a
  third of it on each.

The load-flow check (step 4 of :mod:`gridv2x.charging.grid`) runs the per-phase load flow, so
what it corrects is what the study's load flow counts. Linear-model error grows with the
unbalance: the correction of step 4 (at most ``GRID_CHECKS`` times) takes up what is left.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.conventions import KW_PER_MW, PHASES

__all__ = ["phase_model"]


def _values(pf, customer_buses) -> np.ndarray:
    """Limited quantities of a per-phase load-flow result, each rising as room is used:
    ``-v`` per phase and customer bus [pu], then transformer and line loading [%] (highest
    phase) repeated once per phase."""
    volts = [-getattr(pf, f"vm_{ph}_pu")[customer_buses].to_numpy(dtype=float) for ph in PHASES]
    trafo = pf.trafo_loading_percent.to_numpy(dtype=float)
    line = pf.line_loading_percent.to_numpy(dtype=float)
    return np.hstack([*volts, trafo, trafo, trafo, line, line, line])


def phase_model(
    feeder: Any,
    p_kw: np.ndarray,
    q_kvar: np.ndarray,
    index: pd.DatetimeIndex,
    ev_bus: np.ndarray,
    ev_weights: np.ndarray,
    step_kw: float,
    threads: int,
) -> dict[str, Any]:
    """Room, sensitivities and load-flow check of the per-phase model (module docs).

    Parameters
    ----------
    feeder : gridv2x.network.Feeder
        ``net`` and ``customers`` (``customer_id, bus, load``, ``phase`` and what
        :func:`gridv2x.demand.household_phase_shares` reads).
    p_kw, q_kvar : numpy.ndarray
        Household load ``[time x customer]`` in the order of ``feeder.customers`` [kW], [kvar].
    index : pandas.DatetimeIndex
        Time steps of ``p_kw``.
    ev_bus : numpy.ndarray
        Bus of each EV's owner ``[ev]``.
    ev_weights : numpy.ndarray
        Share of each EV's power on phases a, b, c ``[ev x 3]`` (rows sum to 1).
    step_kw : float
        Power added per phase to measure the sensitivities [kW].
    threads : int
        Load-flow threads (power-grid-model; the radial engine runs on one).

    Returns
    -------
    dict
        ``kinds, elements, phases`` (per constraint), ``base_values`` ``[time x
        constraint]``, ``converged`` ``[time]``, ``k_ev`` ``[constraint x ev]`` and ``used(steps, ev_power)``
        (the per-phase load flow's rise of every quantity by EV power ``[steps x ev]`` [kW]).
    """
    from gridv2x.demand import household_phase_shares
    from gridv2x.powerflow import build_engine, prepare_net

    customers = feeder.customers
    loads = list(customers["load"])
    shares = household_phase_shares(customers.reset_index(drop=True))  # [customer x phase]
    p3 = p_kw[:, :, None] * shares[None] / KW_PER_MW  # [time x customer x phase] [MW]
    q3 = q_kvar[:, :, None] * shares[None] / KW_PER_MW
    columns = pd.MultiIndex.from_product([loads, list(PHASES)])
    with warnings.catch_warnings():  # zero-sequence data assumed: the study's load flow says so
        warnings.simplefilter("ignore")
        engine = build_engine(
            prepare_net(feeder.net, asymmetric=True), asymmetric=True, threads=threads
        )

    def run(p, q, steps):
        n = len(steps)
        return engine.run(
            pd.DataFrame(p.reshape(n, -1), index=steps, columns=columns),
            pd.DataFrame(q.reshape(n, -1), index=steps, columns=columns),
        )

    customer_buses = np.unique(customers["bus"].to_numpy())
    pf = run(p3, q3, index)
    base_values = _values(pf, customer_buses)
    n_v, n_tr = len(customer_buses), pf.trafo_loading_percent.shape[1]
    n_ln = pf.line_loading_percent.shape[1]
    kinds = np.array(
        ["voltage"] * (3 * n_v) + ["transformer"] * (3 * n_tr) + ["line"] * (3 * n_ln),
        dtype=object,
    )
    elements = np.r_[
        np.tile(customer_buses, 3),
        np.tile(pf.trafo_loading_percent.columns, 3),
        np.tile(pf.line_loading_percent.columns, 3),
    ]
    phases = np.r_[
        np.repeat(list(PHASES), n_v), np.repeat(list(PHASES), n_tr), np.repeat(list(PHASES), n_ln)
    ].astype(object)

    # sensitivities at the heaviest base-load step: per EV bus, one kW-step on each phase
    # alone (voltages) and on all three at once (phase currents)
    buses, ev_col = np.unique(ev_bus, return_inverse=True)
    load_of_bus = customers.drop_duplicates("bus").set_index("bus")["load"]
    position = {load: j for j, load in enumerate(loads)}
    t_star = int(np.argmax(p_kw.sum(axis=1))) if len(index) else 0
    n_sc = 4 * len(buses) + 1
    batch_p = np.repeat(p3[t_star : t_star + 1], n_sc, axis=0)
    batch_q = np.repeat(q3[t_star : t_star + 1], n_sc, axis=0)
    for j, bus in enumerate(buses):
        at = position[load_of_bus[bus]]
        for k in range(3):
            batch_p[1 + 4 * j + k, at, k] += step_kw / KW_PER_MW
        batch_p[1 + 4 * j + 3, at, :] += step_kw / KW_PER_MW
    values = _values(run(batch_p, batch_q, pd.RangeIndex(n_sc)), customer_buses)
    delta = ((values[1:] - values[0]) / step_kw).reshape(len(buses), 4, -1)
    delta = np.where(np.isfinite(delta), np.maximum(delta, 0.0), 0.0)
    n_volt = 3 * n_v
    # voltage limits: the EV's power on each phase times that phase's sensitivity
    k_volt = np.einsum("ep,epm->me", ev_weights, delta[ev_col, :3, :n_volt])
    # loading limits of phase ph: the EV's share on ph times the rise of a phase current
    rise = delta[ev_col, 3, n_volt:]  # [ev x loading constraint]
    load_phase = phases[n_volt:]
    share = ev_weights[:, [PHASES.index(ph) for ph in load_phase]]  # [ev x loading constraint]
    k_load = (rise * share).T
    k_ev = np.vstack([k_volt, k_load])

    ev_pos = np.array([position[load_of_bus[b]] for b in ev_bus], dtype=int)

    def used(steps: np.ndarray, ev_power_kw: np.ndarray) -> np.ndarray:
        """Rise of every limited quantity by EV power ``[steps x ev]`` [kW] (per-phase flow).

        The load flow gives the rise of an element's highest phase current only: it is
        shared out over the element's three phase limits in proportion to the model's
        prediction for each phase (the phase the model loads most gets all of it), so that a
        phase with few chargers is not blamed for another phase's current.
        """
        p = p3[steps].copy()
        for e in range(len(ev_pos)):
            p[:, ev_pos[e], :] += ev_power_kw[:, e, None] * ev_weights[e] / KW_PER_MW
        out = _values(run(p, q3[steps], index[steps]), customer_buses) - base_values[steps]
        predicted = ev_power_kw @ k_ev[n_volt:].T  # [steps x loading limit]
        start = n_volt
        for n in (n_tr, n_ln):
            if n:
                pred = np.maximum(predicted[:, start - n_volt : start - n_volt + 3 * n], 0.0)
                pred = pred.reshape(len(steps), 3, n)
                top = pred.max(axis=1, keepdims=True)
                with np.errstate(invalid="ignore", divide="ignore"):
                    share = np.where(top > 0, pred / top, 1.0)
                real = out[:, start : start + 3 * n].reshape(len(steps), 3, n)
                out[:, start : start + 3 * n] = (real * share).reshape(len(steps), 3 * n)
            start += 3 * n
        return out

    return {
        "kinds": kinds,
        "elements": elements,
        "phases": phases,
        "base_values": base_values,
        "converged": pf.converged.to_numpy(),
        "k_ev": k_ev,
        "used": used,
    }
