"""Charging on representative weeks: :func:`schedule` per week, joined into one result.

:func:`schedule` needs a contiguous index with a frequency, so :func:`schedule_weeks` runs it
once per week on the week plus its margins (:func:`gridv2x.period.week_windows`: a warm-up day
before and a look-ahead day after), with the sessions that overlap that window, and keeps the
week's own steps. Every EV starts each warm-up at ``initial_soc`` (module docs of
:mod:`gridv2x.charging.schedule`: the level every met session restores), a session that
arrived before the warm-up arrives at its first step, and the warm-up day brings the EVs that
are plugged in at Monday 00:00 to where they would be.

The per-EV energy figures count the simulated weeks only (margins dropped):

- ``charged_kwh``, ``discharged_kwh``: grid-side energy in the weeks' steps;
- ``driving_kwh``, ``unmet_kwh``, ``shortfall_kwh``, ``guard_lost_kwh``: of the sessions whose arrival (the step
  at which the battery gives up the trip's energy) lies in a week;
- ``losses_kwh`` = ``(1 - eta_c) charged + (1 / eta_d - 1) discharged``;
- ``stored_start_kwh``: stored energy at the start of the first week; ``stored_end_kwh``:
  ``stored_start_kwh`` plus the change of stored energy over each week, added up (the weeks
  chained back to back), so that the energy balance per EV holds as for a full period::

      charged - discharged = driving + (stored_end - stored_start) + losses

- ``throughput_kwh``, ``virtual_km``, ``degradation_pct`` (calendar fade over the simulated
  hours only), ``energy_cost_sek`` and ``power_tariff_sek`` (monthly peaks within the
  simulated weeks) from these.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gridv2x.charging import tariff as _tariff
from gridv2x.charging.battery import degradation_pct, virtual_km
from gridv2x.charging.chargers import with_technology
from gridv2x.charging.options import SECTION
from gridv2x.charging.prices import prices_on_index
from gridv2x.charging.result import ChargingResult
from gridv2x.charging.schedule import schedule
from gridv2x.conventions import step_hours
from gridv2x.errors import InputError
from gridv2x.period import MARGIN_DAYS, week_windows

__all__ = ["schedule_weeks"]


def schedule_weeks(
    strategy: str,
    sessions: pd.DataFrame,
    fleet: pd.DataFrame,
    index: pd.DatetimeIndex,
    base_load_kw: pd.Series,
    weeks: list[pd.Timestamp],
    *,
    margin_days: int = MARGIN_DAYS,
    **options: Any,
) -> ChargingResult:
    """Schedule charging on selected calendar weeks of the period.

    Parameters
    ----------
    strategy : {"uncontrolled", "v1g", "v2g"}
        Charging strategy.
    sessions : pandas.DataFrame
        Home-charging sessions of the whole period (``conventions.SESSION_COLUMNS``).
    fleet : pandas.DataFrame
        EVs (``conventions.FLEET_COLUMNS``).
    index : pandas.DatetimeIndex
        The study's full time index (``conventions.period_index``).
    base_load_kw : pandas.Series
        Total base load of the feeder on ``index`` [kW].
    weeks : list of pandas.Timestamp
        Mondays of the weeks to simulate (:func:`gridv2x.period.select_weeks`).
    margin_days : int
        Days scheduled before and after each week and then dropped [d].
    **options
        The keyword options of :func:`gridv2x.charging.schedule` (the ``charging`` section).

    Returns
    -------
    ChargingResult
        ``power_kw`` and ``soc_kwh`` on the weeks' steps only (in calendar order; the index
        has no frequency), ``per_ev`` over the weeks (module documentation), ``sessions`` the
        sessions arriving in the weeks.
    """
    if not isinstance(index, pd.DatetimeIndex) or index.freq is None:
        raise InputError("charging index: must be the study's DatetimeIndex with a freq")
    if not isinstance(base_load_kw, pd.Series) or not base_load_kw.index.equals(index):
        raise InputError("charging base_load_kw: its index must equal the study index")
    windows = week_windows(index, weeks, margin_days)
    if not windows:
        raise InputError("schedule_weeks: no week given")
    dt_h = step_hours(index)
    step = pd.Timedelta(index.freq)
    # the options with their defaults, as each week's ``schedule`` resolves them
    resolved = SECTION.resolve(
        "charging", {k: v for k, v in options.items() if k in SECTION.fields}
    )
    eta_c = resolved["charge_efficiency"]
    eta_d = with_technology(resolved["v2g"])["round_trip_efficiency"] / eta_c
    battery_opts = resolved["battery"]
    tariff_opts = resolved["power_tariff"]
    prices = options.get("prices")
    price_all = prices_on_index(index, price_file=options.get("price_file"), prices=prices)

    n_ev = len(fleet)
    ev_ids = fleet["ev_id"].to_numpy()
    position = pd.Series(np.arange(n_ev), index=ev_ids)  # column of each EV
    arrival = sessions["arrival"]
    departure = sessions["departure"]
    powers, socs, session_parts = [], [], []
    charged = np.zeros(n_ev)
    discharged = np.zeros(n_ev)
    driving = np.zeros(n_ev)
    unmet = np.zeros(n_ev)
    shortfall = np.zeros(n_ev)
    guard_lost = np.zeros(n_ev)
    cost = np.zeros(n_ev)
    stored_start: np.ndarray | None = None  # set by the first window
    stored_change = np.zeros(n_ev)
    template: pd.DataFrame | None = None  # the first window's per_ev
    for win in windows:
        idx = index[win.window]
        t0, t1 = idx[0], idx[-1] + step
        inside = (departure > t0) & (arrival < t1)
        week_options = dict(options)
        if prices is not None:
            week_options["prices"] = prices.iloc[win.window]
        result = schedule(
            strategy,
            sessions.loc[inside],
            fleet,
            idx,
            base_load_kw.iloc[win.window],
            **week_options,
        )
        if template is None:
            template = result.per_ev
        k0, k1 = win.keep.start, win.keep.stop
        power = result.power_kw.iloc[k0:k1]
        soc = result.soc_kwh.iloc[k0:k1]
        start_level = (
            result.soc_kwh.iloc[k0 - 1].to_numpy()
            if k0 > 0
            else result.per_ev["stored_start_kwh"].to_numpy()
        )
        if stored_start is None:
            stored_start = start_level
        stored_change += soc.iloc[-1].to_numpy() - start_level
        p = power.to_numpy()
        charged += np.clip(p, 0.0, None).sum(axis=0) * dt_h
        discharged += np.clip(-p, 0.0, None).sum(axis=0) * dt_h
        cost += price_all.iloc[win.window].iloc[k0:k1].to_numpy() @ p * dt_h
        # sessions whose trip energy leaves the battery inside the week (arrival step)
        sess = result.sessions
        step_of = np.floor((sess["arrival"] - t0) / step).to_numpy(dtype=float)
        in_week = sess["in_period"].to_numpy(bool) & (np.maximum(step_of, 0) >= k0)
        in_week &= step_of < k1
        sess = sess.loc[in_week]
        ev_pos = position.loc[sess["ev_id"].to_numpy()].to_numpy()
        drove = (sess["energy_kwh"] - sess["unmet_kwh"]).to_numpy(dtype=float)
        driving += np.bincount(ev_pos, weights=drove, minlength=n_ev)
        unmet += np.bincount(ev_pos, weights=sess["unmet_kwh"].to_numpy(float), minlength=n_ev)
        shortfall += np.bincount(
            ev_pos, weights=sess["shortfall_kwh"].to_numpy(float), minlength=n_ev
        )
        if "guard_lost_kwh" in sess:
            guard_lost += np.bincount(
                ev_pos, weights=sess["guard_lost_kwh"].to_numpy(float), minlength=n_ev
            )
        powers.append(power)
        socs.append(soc)
        session_parts.append(sess)

    power_kw = pd.concat(powers)  # raises on no windows, so the first window set these:
    assert template is not None and stored_start is not None
    soc_kwh = pd.concat(socs)
    losses = (1.0 - eta_c) * charged + (1.0 / eta_d - 1.0) * discharged
    throughput = eta_c * charged + discharged / eta_d + driving
    battery_kwh = fleet["battery_kwh"].to_numpy(dtype=float)
    hours = len(power_kw) * dt_h
    per_ev = template.copy()
    per_ev["charged_kwh"] = charged
    per_ev["discharged_kwh"] = discharged
    per_ev["driving_kwh"] = driving
    per_ev["unmet_kwh"] = unmet
    per_ev["shortfall_kwh"] = shortfall
    if "guard_lost_kwh" in per_ev:
        per_ev["guard_lost_kwh"] = guard_lost
    per_ev["losses_kwh"] = losses
    per_ev["stored_start_kwh"] = stored_start
    per_ev["stored_end_kwh"] = stored_start + stored_change
    per_ev["throughput_kwh"] = throughput
    per_ev["virtual_km"] = virtual_km(
        discharged,
        fleet["kwh_per_km"].to_numpy(dtype=float) if "kwh_per_km" in fleet else np.nan,
    )
    per_ev["degradation_pct"] = degradation_pct(throughput, battery_kwh, hours, **battery_opts)
    if "energy_cost_sek" in per_ev:
        per_ev["energy_cost_sek"] = cost
    if "power_tariff_sek" in per_ev and tariff_opts["sek_per_kw_month"]:
        window = _tariff.tariff_window(
            power_kw.index,
            tariff_opts["hours"],
            tariff_opts["weekdays_only"],
            tariff_opts["months"],
        )
        fee = float(tariff_opts["sek_per_kw_month"])
        per_ev["power_tariff_sek"] = _tariff.power_tariff_cost(power_kw, window, fee).to_numpy()
    out_sessions = pd.concat(session_parts, ignore_index=True)
    return ChargingResult(strategy, power_kw, soc_kwh, per_ev, out_sessions)
