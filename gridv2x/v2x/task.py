"""The V2X stage of a task: flexibility, market products and V2H backup as tables.

:func:`v2x_tables` is what :meth:`gridv2x.study.Study.simulate` calls once a task's charging
schedule and load flow exist. It reads the efficiencies, reserve and discharge limit from the
task's own ``charging`` options (one owner per fact; null ones from the V2G charger technology,
:mod:`gridv2x.charging.chargers`) and the limits from ``limits``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.charging import ChargingResult, v2g_opt_out
from gridv2x.charging.chargers import with_technology
from gridv2x.charging.options import SECTION as CHARGING
from gridv2x.demand.household import split_annual_kwh
from gridv2x.options import Section
from gridv2x.v2x.backup import backup_hours, coldest_week, resilience_table
from gridv2x.v2x.flexibility import fleet_flexibility, flexibility_table
from gridv2x.v2x.markets import PRODUCTS, _step_minutes, evs_needed, product_durations
from gridv2x.v2x.sensitivity import grid_sensitivity

__all__ = ["v2x_tables", "products_of"]


def products_of(options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The shipped products with the scenario's ``v2x.products`` overrides and additions."""
    products = {name: dict(p) for name, p in PRODUCTS.items()}
    for name, given in (options.get("products") or {}).items():
        products[name] = dict(products.get(name, {}), **given)
    return products


def v2x_tables(
    strategy: str,
    ev: ChargingResult,
    *,
    fleet: pd.DataFrame,
    sessions: pd.DataFrame,
    base_p_kw: pd.DataFrame,
    temperature_c: pd.Series,
    customers: pd.DataFrame,
    net: Any,
    pf: Any,
    load_p_mw: pd.DataFrame,
    load_q_mvar: pd.DataFrame,
    limits: Mapping[str, Any],
    charging_options: Mapping[str, Any],
    options: Mapping[str, Any],
) -> dict[str, pd.DataFrame]:
    """Flexibility, market-product and backup tables of one task.

    Parameters
    ----------
    strategy : str
        The task's charging strategy.
    ev : ChargingResult
        Its charging schedule.
    fleet, sessions : pandas.DataFrame
        The draw's EVs and home-charging sessions.
    base_p_kw : pandas.DataFrame
        Household load ``[time x customer_id]`` [kW] on the simulated steps.
    temperature_c : pandas.Series
        Outdoor temperature [°C] (the coldest week of the backup).
    customers : pandas.DataFrame
        The feeder's customers.
    net : pandapowerNet
        The feeder's network (load-flow sensitivities).
    pf : TimeseriesResult
        The task's load flow.
    load_p_mw, load_q_mvar : pandas.DataFrame
        The load-flow inputs (operating point of the sensitivities).
    limits, charging_options, options : mapping
        The scenario's resolved ``limits``, ``charging`` (``charge_efficiency`` and ``v2g``
        are read) and ``v2x`` sections.

    Returns
    -------
    dict
        ``flexibility`` (:func:`~gridv2x.v2x.flexibility.flexibility_table`), ``markets``
        (:func:`~gridv2x.v2x.markets.evs_needed`) and, for V2G, ``resilience``
        (:func:`~gridv2x.v2x.backup.resilience_table`); empty tables for uncontrolled charging.
    """
    index = ev.power_kw.index
    step_min = _step_minutes(index)
    products = products_of(options)
    durations = sorted(
        {int(d) for d in options.get("durations_min", [15, 60])}
        | set(product_durations(products, step_min))
    )
    v2g_section = CHARGING.fields["v2g"]
    assert isinstance(v2g_section, Section)
    v2g = with_technology(v2g_section.resolve("charging.v2g", charging_options.get("v2g")))
    eta_c = float(charging_options["charge_efficiency"])
    capable = pd.Series(
        ~v2g_opt_out(fleet["ev_id"], float(v2g.get("opt_out_share", 0.0))),
        index=fleet["ev_id"].to_numpy(),
    )
    grid = None
    if options.get("grid_constrained", True) and strategy != "uncontrolled":
        grid = grid_sensitivity(
            net, customers, fleet, pf, limits, load_p_mw=load_p_mw, load_q_mvar=load_q_mvar
        )
    flex = fleet_flexibility(
        strategy,
        ev.power_kw,
        ev.soc_kwh,
        sessions,
        fleet,
        durations_min=durations,
        charge_efficiency=eta_c,
        round_trip_efficiency=float(v2g["round_trip_efficiency"]),
        reserve_soc=float(v2g["reserve_soc"]),
        max_discharge_kw=v2g["max_discharge_kw"],
        v2g_capable=capable,
        grid=grid,
    )
    out = {"flexibility": flexibility_table(flex), "markets": evs_needed(flex, products)}
    if strategy == "v2g":
        household = base_p_kw
        if options.get("backup_heating", "on") == "off":
            house, _heating = split_annual_kwh(customers)
            share = pd.Series(
                np.divide(
                    house,
                    customers["annual_kwh"].to_numpy(dtype=float),
                    out=np.ones(len(customers)),
                    where=customers["annual_kwh"].to_numpy(dtype=float) > 0,
                ),
                index=customers["customer_id"].to_numpy(),
            )
            household = base_p_kw * share.reindex(base_p_kw.columns).fillna(1.0)
        hours = backup_hours(
            household,
            ev.soc_kwh,
            sessions,
            fleet,
            discharge_efficiency=float(v2g["round_trip_efficiency"]) / eta_c,
            reserve_soc=float(v2g["reserve_soc"]),
            max_discharge_kw=v2g["max_discharge_kw"],
        )
        windows = {"year": index}
        cold = coldest_week(temperature_c.reindex(index).dropna())
        if len(cold) and len(cold) < len(index):
            windows["coldest_week"] = cold
        out["resilience"] = resilience_table(
            hours, len(customers), options.get("outage_hours", [4, 12, 24]), windows
        )
    return out
