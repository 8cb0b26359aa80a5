"""Load-flow input from customer load: household plus EV power per pandapower load element.

Each customer is one pandapower ``load`` element (column ``load`` of the feeder's customer
table). Its power is the household load plus the power of its EV chargers; chargers run at unity
power factor, so they add active power only (load positive, V2G discharge negative).

Balanced, a customer's element gets its total power. Per phase (``asymmetric``), the household
load is split over the phases as :func:`gridv2x.demand.household_phase_shares` does (a
single-phase customer on its phase, a three-phase customer's single-phase appliances on one main
phase and the rest balanced) and each charger adds its power on the phase it draws from.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from gridv2x.conventions import KW_PER_MW, PHASES
from gridv2x.demand import household_phase_shares

__all__ = ["ElementLoads", "customer_loads"]


class ElementLoads(NamedTuple):
    """Load-flow input and the customer power it was built from."""

    load_p_mw: pd.DataFrame
    """Active power per load element [MW] (input of :func:`gridv2x.powerflow.run_timeseries`)."""
    load_q_mvar: pd.DataFrame
    """Reactive power per load element [Mvar]."""
    customer_p_kw: pd.DataFrame
    """Active power per customer [kW] (columns ``customer_id``, or ``(customer_id, phase)``)."""
    customer_q_kvar: pd.DataFrame
    """Reactive power per customer [kvar] (same columns)."""


def customer_loads(
    customers: pd.DataFrame,
    base_p_kw: pd.DataFrame,
    base_q_kvar: pd.DataFrame,
    ev_kw: pd.DataFrame,
    *,
    asymmetric: bool = False,
) -> ElementLoads:
    """Household plus EV power per pandapower load element (module docs).

    Parameters
    ----------
    customers : DataFrame
        The feeder's customers (``customer_id``, ``load`` and, per phase, ``phases`` and
        ``phase``; :attr:`gridv2x.network.Feeder.customers`).
    base_p_kw, base_q_kvar : DataFrame
        Household load [time x customer_id] [kW], [kvar].
    ev_kw : DataFrame
        EV power [time x customer_id] [kW]; for ``asymmetric`` columns are
        ``(customer_id, phase)``.
    asymmetric : bool
        Build per-phase inputs (columns ``(load index, phase)``).

    Returns
    -------
    ElementLoads
        ``load_p_mw, load_q_mvar`` [MW], [Mvar] per load element and ``customer_p_kw,
        customer_q_kvar`` [kW], [kvar] per customer (per ``(customer_id, phase)`` for
        ``asymmetric``: what the main-fuse check needs). A tuple, in that order.
    """
    ids = list(customers["customer_id"])
    base_p = base_p_kw.reindex(columns=ids, fill_value=0.0)
    base_q = base_q_kvar.reindex(columns=ids, fill_value=0.0)
    if not asymmetric:
        ev = ev_kw.reindex(index=base_p.index, columns=ids, fill_value=0.0)
        total_p = base_p + ev.to_numpy()
        loads = list(customers["load"])
        load_p = pd.DataFrame(total_p.to_numpy() / KW_PER_MW, index=base_p.index, columns=loads)
        load_q = pd.DataFrame(base_q.to_numpy() / KW_PER_MW, index=base_p.index, columns=loads)
        return ElementLoads(load_p, load_q, total_p, base_q)
    n_t = len(base_p.index)
    shares = household_phase_shares(customers)[None, :, :]
    p: np.ndarray = base_p.to_numpy()[:, :, None] * shares
    q: np.ndarray = base_q.to_numpy()[:, :, None] * shares
    if len(ev_kw.columns):
        position = {cid: j for j, cid in enumerate(ids)}
        values = ev_kw.reindex(index=base_p.index, fill_value=0.0)
        for (cid, phase), column in values.items():
            p[:, position[cid], PHASES.index(phase)] += column.to_numpy()
    columns = pd.MultiIndex.from_product([list(customers["load"]), list(PHASES)])
    load_p = pd.DataFrame(p.reshape(n_t, -1) / KW_PER_MW, index=base_p.index, columns=columns)
    load_q = pd.DataFrame(q.reshape(n_t, -1) / KW_PER_MW, index=base_p.index, columns=columns)
    per_customer = pd.MultiIndex.from_product([ids, list(PHASES)], names=["customer_id", "phase"])
    customer_p = pd.DataFrame(p.reshape(n_t, -1), index=base_p.index, columns=per_customer)
    customer_q = pd.DataFrame(q.reshape(n_t, -1), index=base_p.index, columns=per_customer)
    return ElementLoads(load_p, load_q, customer_p, customer_q)
