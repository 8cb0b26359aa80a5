"""Economics of reinforcement against V1G and V2G: present values, deferral, value per EV.

Model (one row per task = feeder x strategy x draw x EV share or adoption year):

* ``reinforcement_cost_sek`` C: the task's plan (:mod:`gridv2x.reinforcement.plan`), built now.
* ``present_value_sek``: an adoption forecast builds the plan of year y in year y, so its
  present value at the base year y0 is C / (1 + r)^(y - y0) at the real discount rate r
  (default Ei's regulatory WACC); a hosting-capacity study has no years: C.
* ``deferral_years``: per feeder and draw, the first year a strategy needs any reinforcement
  minus the first year uncontrolled charging needs it (a lower bound, flagged, when the
  strategy needs none within the horizon).
* ``value_per_ev_year_sek``: the reinforcement a strategy avoids at the same share or year and
  draw, as an annual capital cost over the asset lifetime, per EV: (C_uncontrolled - C) x
  a(r, L) / n_evs with the annuity factor a(r, L) = r / (1 - (1 + r)^-L).
* ``wear_cost_sek``: V2G's extra battery wear per year for the whole fleet: discharged energy
  x ``charging.v2g.wear_cost_sek_per_kwh`` (the price the V2G schedule itself charges for
  wear), scaled from the simulated days to a year.
* ``charger_extra_cost_sek``: per V2G home, the bidirectional charger's extra price over a plain
  one (AC 15-30 kSEK or DC 40-80 kSEK against 7-15 kSEK, docs/sources.md §11), AC or DC as
  ``charging.v2g.charger`` says.
* ``break_even_charger_extra_sek`` (V2G rows): the extra charger price per home at which V2G
  pays for the DSO: the annual capital cost V2G avoids beyond V1G (beyond uncontrolled when the
  study has no V1G) less its wear, per EV, as a present value over the charger's lifetime.
* Household side: the EV's energy bill and power-tariff (effekttariff) fee per EV and year
  (``ev_energy_cost_sek``, ``ev_power_tariff_sek`` of the summary, charging.power_tariff).

References
----------
.. [1] docs/sources.md §11 (WACC, lifetimes, charger prices).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.charging.chargers import CHARGER_TECHNOLOGIES, CHARGERS

__all__ = [
    "DISCOUNT_RATE_PCT",
    "ASSET_LIFETIME_YEARS",
    "CHARGER_PLAIN_SEK",
    "CHARGER_BIDIRECTIONAL_AC_SEK",
    "CHARGER_BIDIRECTIONAL_DC_SEK",
    "CHARGER_LIFETIME_YEARS",
    "ECONOMICS_COLUMNS",
    "annuity_factor",
    "economics_table",
]

DISCOUNT_RATE_PCT = 4.53
"""Ei's regulatory WACC (kalkylränta) for local grids 2024-2027, real before tax [%/yr] [R]
(docs/sources.md §11; 2020-2023: 2.16 % [F])."""

ASSET_LIFETIME_YEARS = 40.0
"""Economic lifetime of LV cables and secondary substations [yr] [E] (docs/sources.md §11)."""

CHARGER_PLAIN_SEK = 11_000.0
"""Plain (V1G-capable) home charger installed, middle of 7-15 kSEK [SEK] (docs/sources.md §11)."""

CHARGER_BIDIRECTIONAL_AC_SEK = CHARGERS["ac"].installed_cost_sek
"""Bidirectional AC home charger installed [SEK]: the charger technology table's
(:data:`gridv2x.charging.chargers.CHARGERS`, docs/sources.md §11)."""

CHARGER_BIDIRECTIONAL_DC_SEK = CHARGERS["dc"].installed_cost_sek
"""Bidirectional DC home charger installed [SEK]: the charger technology table's
(:data:`gridv2x.charging.chargers.CHARGERS`, docs/sources.md §11)."""

CHARGER_LIFETIME_YEARS = 10.0
"""Lifetime of a home charger [yr] [E] (docs/sources.md §11)."""

DAYS_PER_YEAR = 365.25

ECONOMICS_COLUMNS = (
    "feeder",
    "strategy",
    "seed",
    "ev_share",
    "year",
    "n_evs",
    "reinforcement_cost_sek",
    "reinforcement_fixed",
    "present_value_sek",
    "needed_year",
    "deferral_years",
    "deferral_is_lower_bound",
    "value_per_ev_year_sek",
    "wear_cost_sek",
    "charger_extra_cost_sek",
    "break_even_charger_extra_sek",
    "household_energy_sek_per_ev_year",
    "household_power_tariff_sek_per_ev_year",
)
"""Columns of ``economics.csv``."""


def annuity_factor(rate: float, years: float) -> float:
    """a(r, n) = r / (1 - (1 + r)^-n): annual payment per SEK of investment [1/yr]."""
    if years <= 0:
        raise ValueError("years must be > 0")
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def _years_simulated(summary: pd.DataFrame, days: float) -> pd.Series:
    if "simulated_days" in summary:
        simulated = pd.to_numeric(summary["simulated_days"], errors="coerce").fillna(days)
    else:
        simulated = pd.Series(float(days), index=summary.index)
    return simulated / DAYS_PER_YEAR


def economics_table(
    summary: pd.DataFrame,
    *,
    economics: Mapping[str, Any],
    wear_cost_sek_per_kwh: float,
    period_days: float,
    charger: str = "ac",
) -> pd.DataFrame:
    """One row per task with the economics of its reinforcement (module docstring).

    Parameters
    ----------
    summary : pandas.DataFrame
        The study summary with ``reinforcement_cost_sek`` (tasks planned by
        :func:`gridv2x.reinforcement.plan_for_task`).
    economics : mapping
        The scenario's resolved ``economics`` section.
    wear_cost_sek_per_kwh : float
        Battery wear price of a discharged kWh [SEK/kWh] (charging.v2g.wear_cost_sek_per_kwh).
    period_days : float
        Days of the study period (when the summary has no ``simulated_days``) [d].
    charger : {"ac", "dc"}
        Bidirectional charger technology of V2G homes (``charging.v2g.charger``); its price is
        ``economics.charger_bidirectional_<charger>_sek``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ECONOMICS_COLUMNS`; empty when the summary has no reinforcement costs.
    """
    if summary.empty or "reinforcement_cost_sek" not in summary:
        return pd.DataFrame(columns=list(ECONOMICS_COLUMNS))
    rate = float(economics["discount_rate_pct"]) / 100.0
    a_asset = annuity_factor(rate, float(economics["asset_lifetime_years"]))
    a_charger = annuity_factor(rate, float(economics["charger_lifetime_years"]))
    if charger not in CHARGER_TECHNOLOGIES:
        raise ValueError(f"charger: one of {list(CHARGER_TECHNOLOGIES)}, given {charger!r}")
    bidirectional = float(economics[f"charger_bidirectional_{charger}_sek"])
    extra_charger = max(bidirectional - float(economics["charger_plain_sek"]), 0.0)

    s = summary.copy()
    target = s["ev_share_target"] if "ev_share_target" in s else pd.Series(np.nan, index=s.index)
    s["level_share"] = pd.to_numeric(target, errors="coerce")
    s["ev_share_out"] = s["level_share"].where(s["level_share"].notna(), s["ev_share"])
    s["year"] = pd.to_numeric(s.get("year", np.nan), errors="coerce")
    s["reinforcement_cost_sek"] = pd.to_numeric(s["reinforcement_cost_sek"], errors="coerce")
    years_sim = _years_simulated(s, period_days)
    n_evs = pd.to_numeric(s["n_evs"], errors="coerce").astype(float)
    per_ev = n_evs.where(n_evs > 0)
    forecast = s["year"].notna().any()
    base_year = economics.get("base_year")
    if forecast and base_year is None:
        base_year = int(s["year"].min())

    level = "year" if forecast else "level_share"
    key = ["feeder", "seed", level]
    unc = (
        s[s["strategy"] == "uncontrolled"].set_index(key)["reinforcement_cost_sek"]
        if (s["strategy"] == "uncontrolled").any()
        else None
    )
    v1g = (
        s[s["strategy"] == "v1g"].set_index(key)["reinforcement_cost_sek"]
        if (s["strategy"] == "v1g").any()
        else None
    )
    idx = pd.MultiIndex.from_frame(s[key].astype(object))
    c_unc = unc.reindex(idx).to_numpy(float) if unc is not None else np.full(len(s), np.nan)
    c_v1g = v1g.reindex(idx).to_numpy(float) if v1g is not None else np.full(len(s), np.nan)
    cost = s["reinforcement_cost_sek"].to_numpy(float)

    out = pd.DataFrame(
        {
            "feeder": s["feeder"],
            "strategy": s["strategy"],
            "seed": s["seed"],
            "ev_share": s["ev_share_out"],
            "year": s["year"],
            "n_evs": n_evs,
            "reinforcement_cost_sek": cost,
            "reinforcement_fixed": s.get("reinforcement_fixed", True),
        }
    )
    if forecast:
        out["present_value_sek"] = cost / (1.0 + rate) ** (s["year"].to_numpy(float) - base_year)
    else:
        out["present_value_sek"] = cost
    out["value_per_ev_year_sek"] = (c_unc - cost) * a_asset / per_ev.to_numpy(float)
    discharged = pd.to_numeric(s.get("ev_discharged_kwh", 0.0), errors="coerce").fillna(0.0)
    out["wear_cost_sek"] = discharged * float(wear_cost_sek_per_kwh) / years_sim
    is_v2g = (s["strategy"] == "v2g").to_numpy()
    out["charger_extra_cost_sek"] = np.where(is_v2g, extra_charger, 0.0)
    reference = np.where(np.isnan(c_v1g), c_unc, c_v1g)
    avoided_per_ev_year = (reference - cost) * a_asset / per_ev.to_numpy(float)
    wear_per_ev_year = out["wear_cost_sek"].to_numpy(float) / per_ev.to_numpy(float)
    out["break_even_charger_extra_sek"] = np.where(
        is_v2g, (avoided_per_ev_year - wear_per_ev_year) / a_charger, np.nan
    )
    for column, source in (
        ("household_energy_sek_per_ev_year", "ev_energy_cost_sek"),
        ("household_power_tariff_sek_per_ev_year", "ev_power_tariff_sek"),
    ):
        values = pd.to_numeric(s.get(source, np.nan), errors="coerce")
        out[column] = values / per_ev / years_sim

    # the year each strategy first needs reinforcement, and the deferral over uncontrolled
    out["needed_year"] = np.nan
    out["deferral_years"] = np.nan
    out["deferral_is_lower_bound"] = False
    if forecast:
        last = float(s["year"].max())
        needed = (
            s[s["reinforcement_cost_sek"] > 0].groupby(["feeder", "seed", "strategy"])["year"].min()
        )
        for (feeder, seed), rows in out.groupby(["feeder", "seed"]).groups.items():
            base = needed.get((feeder, seed, "uncontrolled"), np.nan)
            for strategy in out.loc[rows, "strategy"].unique():
                mask = out.index.isin(rows) & (out["strategy"] == strategy).to_numpy()
                year = needed.get((feeder, seed, strategy), np.nan)
                out.loc[mask, "needed_year"] = year
                if strategy == "uncontrolled" or np.isnan(base):
                    continue
                if np.isnan(year):
                    out.loc[mask, "deferral_years"] = last - base
                    out.loc[mask, "deferral_is_lower_bound"] = True
                else:
                    out.loc[mask, "deferral_years"] = year - base
    return out[list(ECONOMICS_COLUMNS)].reset_index(drop=True)
