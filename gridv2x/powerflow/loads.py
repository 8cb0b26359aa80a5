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

from collections.abc import Iterator

import numpy as np
import pandas as pd
from numba import njit

from gridv2x.conventions import KW_PER_MW, PHASES
from gridv2x.demand import household_phase_shares
from gridv2x.errors import InputError

__all__ = ["ElementLoads", "customer_loads"]


class ElementLoads:
    """Load-flow input and the customer power it was built from.

    Held are the customer active power and what the reactive power is made of (the household
    reactive power and, per phase, its split over the phases); the load-flow input (the same
    numbers in MW, on the columns of the load elements) and the per-phase reactive power are
    computed each time they are read, so that a task does not hold several full-period copies
    of its load (per phase of a year: about 90 MB each). Unpacks like a tuple
    ``load_p_mw, load_q_mvar, customer_p_kw, customer_q_kvar``.
    """

    __slots__ = ("customer_p_kw", "_q_kvar", "_q_shares", "_loads")

    def __init__(
        self,
        customer_p_kw: pd.DataFrame,
        q_kvar: pd.DataFrame,
        loads: pd.Index,
        q_shares: np.ndarray | None = None,
    ) -> None:
        self.customer_p_kw = customer_p_kw
        """Active power per customer [kW] (columns ``customer_id``, or ``(customer_id, phase)``)."""
        self._q_kvar = q_kvar  # [time x customer_id] [kvar]
        self._q_shares = q_shares  # (customers, phases) split of q_kvar, or None: as it is
        self._loads = loads

    def _elements(self, customer_kw: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            customer_kw.to_numpy() / KW_PER_MW, index=customer_kw.index, columns=self._loads
        )

    def _q_per_phase(self, divisor: float = 1.0) -> np.ndarray:
        """Reactive power per ``(customer, phase)`` ``[time x (customer, phase)]`` [kvar],
        divided by ``divisor`` (1000: [Mvar]) unless it is 1."""
        assert self._q_shares is not None
        q_kvar = np.ascontiguousarray(self._q_kvar.to_numpy(dtype=float))
        shares = np.ascontiguousarray(self._q_shares, dtype=float)
        q = np.empty((q_kvar.shape[0], q_kvar.shape[1] * shares.shape[1]))
        _split_over_phases(q_kvar, shares, float(divisor), q)
        return q

    @property
    def customer_q_kvar(self) -> pd.DataFrame:
        """Reactive power per customer [kvar] (the columns of ``customer_p_kw``)."""
        if self._q_shares is None:
            return self._q_kvar
        return pd.DataFrame(
            self._q_per_phase(), index=self._q_kvar.index, columns=self.customer_p_kw.columns
        )

    @property
    def load_p_mw(self) -> pd.DataFrame:
        """Active power per load element [MW] (input of :func:`gridv2x.powerflow.run_timeseries`)."""
        return self._elements(self.customer_p_kw)

    @property
    def load_q_mvar(self) -> pd.DataFrame:
        """Reactive power per load element [Mvar]."""
        if self._q_shares is None:
            return self._elements(self._q_kvar)
        q = self._q_per_phase(KW_PER_MW)
        return pd.DataFrame(q, index=self._q_kvar.index, columns=self._loads)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return iter((self.load_p_mw, self.load_q_mvar, self.customer_p_kw, self.customer_q_kvar))


@njit(cache=True, error_model="numpy")
def _split_over_phases(values, shares, divisor, out):  # noqa: ANN001, ANN202 (numba kernel)
    """``out[t, j * n + k] = values[t, j] * shares[j, k]`` (then ``/ divisor`` unless it is 1):
    a customer's power ``[time x customer]`` split over its ``n`` phases.

    numpy's broadcast product over a last axis of three is a slow inner loop; this is one pass
    with the same two roundings (product, then quotient) as ``v * s`` and ``/= divisor``.
    """
    n_t, n_c = values.shape
    n_p = shares.shape[1]
    divide = divisor != 1.0
    for t in range(n_t):
        for j in range(n_c):
            x = values[t, j]
            for k in range(n_p):
                v = x * shares[j, k]
                if divide:
                    v = v / divisor
                out[t, j * n_p + k] = v


@njit(cache=True, error_model="numpy")
def _add_columns(out, columns, values):  # noqa: ANN001, ANN202 (numba kernel)
    """``out[:, columns[e]] += values[:, e]`` for unique ``columns`` (as numpy's fancy-index
    addition, without its gathered temporaries)."""
    n_t = out.shape[0]
    for t in range(n_t):
        for e in range(len(columns)):
            out[t, columns[e]] += values[t, e]


def _on_columns(frame: pd.DataFrame, ids: list) -> pd.DataFrame:
    """``frame`` with columns ``ids`` (missing ones 0); the frame itself when they already are."""
    if frame.columns.equals(pd.Index(ids)):
        return frame
    return frame.reindex(columns=ids, fill_value=0.0)


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
        ``asymmetric``: what the main-fuse check needs). Unpacks in that order. Balanced,
        ``customer_q_kvar`` is ``base_q_kvar`` itself when its columns are the customers;
        per phase it is computed from ``base_q_kvar`` when read.
    """
    ids = list(customers["customer_id"])
    loads = list(customers["load"])
    base_p = _on_columns(base_p_kw, ids)
    base_q = _on_columns(base_q_kvar, ids)
    index = base_p.index
    if not asymmetric:
        ev = ev_kw.reindex(index=index, columns=ids, fill_value=0.0)
        total_p = pd.DataFrame(
            base_p.to_numpy() + ev.to_numpy(), index=index, columns=base_p.columns
        )
        return ElementLoads(total_p, base_q, pd.Index(loads))
    n_t, n_c = len(index), len(ids)
    shares = household_phase_shares(customers)
    p = np.empty((n_t, n_c * len(PHASES)))  # one array per quantity, no temporaries
    _split_over_phases(
        np.ascontiguousarray(base_p.to_numpy(dtype=float)),
        np.ascontiguousarray(shares, dtype=float),
        1.0,
        p,
    )
    if len(ev_kw.columns):
        position = pd.Index(ids).get_indexer(ev_kw.columns.get_level_values(0))
        phase = pd.Index(PHASES).get_indexer(ev_kw.columns.get_level_values(1))
        if (position < 0).any() or (phase < 0).any() or not ev_kw.columns.is_unique:
            raise InputError(
                "ev_kw columns must be unique (customer_id, phase) pairs of the feeder's "
                f"customers and phases {PHASES}"
            )
        if not ev_kw.index.equals(index):
            ev_kw = ev_kw.reindex(index=index, fill_value=0.0)
        values = ev_kw.to_numpy(dtype=float)
        # (customer, phase) pairs are unique columns: one addition per value
        _add_columns(p, (position * len(PHASES) + phase).astype(np.int64), values)
    columns = pd.MultiIndex.from_product([loads, list(PHASES)])
    per_customer = pd.MultiIndex.from_product([ids, list(PHASES)], names=["customer_id", "phase"])
    customer_p = pd.DataFrame(p, index=index, columns=per_customer, copy=False)
    return ElementLoads(customer_p, base_q, columns, shares)
