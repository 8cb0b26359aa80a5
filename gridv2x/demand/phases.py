"""How a customer's household load divides over the phases, for per-phase load flows.

A Swedish customer is connected either single phase (all its load on that phase) or three phase
(villas, most apartments with a stove). Of a three-phase household's load only the heating
(direct electric heaters and heat pumps are three-phase devices) and the stove, oven and water
heater are balanced; lighting, sockets, cold appliances, washing and dishwashing are 230 V
single-phase appliances. Each household's single-phase circuits are taken to sit on one phase,
its *main phase*, and the main phases are rotated over the households, as a DSO rotates the
phase order of its service connections.

The split is per customer and constant in time, from the customer's annual split into household
electricity and heating (:func:`gridv2x.demand.household.split_annual_kwh`): the single-phase
share of a three-phase customer's power is
``SINGLE_PHASE_APPLIANCE_SHARE * household_kwh / annual_kwh``, on its main phase; the rest is
spread evenly. In winter, when heating dominates, the true single-phase share is lower than this
annual mean and in summer higher (docs/sources.md §14).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gridv2x.conventions import PHASES
from gridv2x.demand.household import split_annual_kwh
from gridv2x.errors import InputError

__all__ = ["household_phase_shares", "SINGLE_PHASE_APPLIANCE_SHARE"]

SINGLE_PHASE_APPLIANCE_SHARE = 0.7
"""Share of household electricity (no space heating) drawn by single-phase appliances [-].

Lighting, plug loads, cold appliances, washing, drying and dishwashing against stove, oven and
water heater (three-phase in Swedish villas); docs/sources.md §14 [E].
"""


def household_phase_shares(
    customers: pd.DataFrame, household_kwh: Mapping[str, float] | None = None
) -> np.ndarray:
    """Share of each customer's household load on phases a, b, c.

    Parameters
    ----------
    customers : pandas.DataFrame
        ``phase`` (``"a"``, ``"b"``, ``"c"`` for single-phase customers, ``"abc"`` for
        three-phase; absent = all three-phase) and, for the split of three-phase customers,
        ``dwelling``, ``heating``, ``annual_kwh`` [kWh/yr] (absent = the whole load counts as
        household electricity).
    household_kwh : mapping, optional
        Household electricity per dwelling type [kWh/yr], as :func:`split_annual_kwh`.

    Returns
    -------
    numpy.ndarray
        ``(n_customers, 3)``, rows summing to 1 [-].

    Raises
    ------
    gridv2x.errors.InputError
        For a phase other than a, b, c or abc.
    """
    n = len(customers)
    phase = (
        customers["phase"].astype(str).to_numpy()
        if "phase" in customers
        else np.full(n, "abc", dtype=object)
    )
    bad = sorted(set(phase) - set(PHASES) - {"abc"})
    if bad:
        raise InputError(f"customers.phase: {bad[:5]} not allowed; allowed: a, b, c, abc")
    if {"dwelling", "heating", "annual_kwh"} <= set(customers.columns):
        household, heating = split_annual_kwh(customers, household_kwh)
        total = household + heating
        with np.errstate(invalid="ignore", divide="ignore"):
            household_share = np.where(total > 0, household / total, 1.0)
    else:
        household_share = np.ones(n)
    shares = np.zeros((n, 3))
    single = np.isin(phase, PHASES)
    shares[single, pd.Index(PHASES).get_indexer(phase[single])] = 1.0
    three = np.flatnonzero(~single)
    sigma = SINGLE_PHASE_APPLIANCE_SHARE * household_share[three]
    shares[three] = ((1.0 - sigma) / 3.0)[:, None]
    main = np.arange(len(three)) % 3  # rotated over the households
    shares[three, main] += sigma
    return shares
