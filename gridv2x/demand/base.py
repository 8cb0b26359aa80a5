"""The configured entry point :func:`base_load`: synthetic, metered or the feeder's profiles."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from gridv2x.demand.climate_options import DEFAULTS as CLIMATE_DEFAULTS
from gridv2x.demand.household import _check_customers, reactive_power_kvar, synthetic_base_load
from gridv2x.demand.metered import map_profiles, read_metered
from gridv2x.demand.options import DEFAULTS
from gridv2x.demand.weather import _zone
from gridv2x.errors import InputError

__all__ = ["base_load", "MODELS"]

MODELS = ("synthetic", "metered", "profiles")


def base_load(
    customers: pd.DataFrame,
    index: pd.DatetimeIndex,
    temperature_c: pd.Series,
    *,
    rng: np.random.Generator,
    model: str = DEFAULTS["model"],
    metered_file: str | Path | None = DEFAULTS["metered_file"],
    metered_unit: str = DEFAULTS["metered_unit"],
    meter_customers: str | Path | None = DEFAULTS["meter_customers"],
    annual_kwh_scale: float = DEFAULTS["annual_kwh_scale"],
    power_factor: float = DEFAULTS["power_factor"],
    heating_base_c: float = DEFAULTS["heating_base_c"],
    building_time_constant_h: float = DEFAULTS["building_time_constant_h"],
    household_kwh: Mapping[str, float] | None = None,
    diversity: float = DEFAULTS["diversity"],
    base_profiles: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    zone: str = CLIMATE_DEFAULTS["zone"],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Base load (without EVs) of every customer over the study period.

    Parameters
    ----------
    customers : pandas.DataFrame
        Feeder customers, columns ``conventions.CUSTOMER_COLUMNS`` (uses ``customer_id``,
        ``dwelling``, ``heating``, ``annual_kwh`` [kWh/yr]).
    index : pandas.DatetimeIndex
        Study index (``conventions.period_index``).
    temperature_c : pandas.Series
        Outdoor temperature on ``index`` [°C] (:func:`gridv2x.demand.outdoor_temperature`
        of climate zone ``zone``).
    rng : numpy.random.Generator
        Source of all randomness (customer behaviour, noise, appliance events).
    model : str
        ``"synthetic"`` (:func:`gridv2x.demand.household.synthetic_base_load`), ``"metered"``
        (:func:`gridv2x.demand.metered.read_metered` of ``metered_file``) or ``"profiles"``
        (``base_profiles`` mapped by :func:`gridv2x.demand.metered.map_profiles`).
    metered_file : str or Path, optional
        Meter data for ``model="metered"``.
    metered_unit : str
        ``"kwh"`` per interval or ``"kw"`` mean power.
    meter_customers : str or Path, optional
        Meter -> customer table for long-format meter data.
    annual_kwh_scale : float
        Factor on all energy (future electrification) [-]; applies to every model.
    power_factor : float
        Inductive power factor for Q [-]; 0.95 typical household [E] (docs/sources.md §1.4: 0.9 for
        planning). For ``"profiles"`` the profiles' own Q is used.
    heating_base_c : float
        Balance temperature of electric heating [°C] (15 °C [E]).
    building_time_constant_h : float
        Thermal inertia of the houses [h] (12 h [E]).
    household_kwh : mapping, optional
        Household electricity per dwelling type [kWh/yr] (docs/sources.md §2).
    diversity : float
        Scale of the differences between customers [-].
    base_profiles : tuple of pandas.DataFrame, optional
        ``(p_kw, q_kvar)`` of the feeder (``Feeder.base_profiles``), needed for ``"profiles"``.
    zone : str
        Climate zone (``SE1``..``SE4``, the ``climate`` section's key) that sets the location
        (daylight) and the normal year that normalises heating energy; default SE3.

    Returns
    -------
    p_kw, q_kvar : pandas.DataFrame
        ``[time x customer_id]`` on ``index``, columns in the order of ``customers`` [kW], [kvar].
    """
    if model not in MODELS:
        raise InputError(f"demand.model: must be one of {list(MODELS)}, given {model!r}")
    if not annual_kwh_scale >= 0:
        raise InputError(f"demand.annual_kwh_scale: must be >= 0, given {annual_kwh_scale!r}")
    if metered_file is not None and model != "metered":
        raise InputError(
            f"demand.metered_file: given ({metered_file}) but demand.model is {model!r}; set "
            f"demand.model to 'metered' to use it, or remove metered_file"
        )
    ids = pd.Index([str(c) for c in customers["customer_id"]], name="customer_id")
    if model == "profiles":
        if base_profiles is None:
            raise InputError(
                "demand.model: 'profiles' needs a feeder with its own base profiles (e.g. "
                "SimBench); this feeder has none; use 'synthetic' or 'metered'"
            )
        p, q = map_profiles(base_profiles, customers, index)
        return p * annual_kwh_scale, q * annual_kwh_scale
    if model == "metered":
        if metered_file is None:
            raise InputError("demand.metered_file: is required when demand.model is 'metered'")
        p = (
            read_metered(
                metered_file, customers, index, unit=metered_unit, meter_customers=meter_customers
            )
            * annual_kwh_scale
        )
        return p, reactive_power_kvar(p, power_factor)
    _check_customers(customers)
    temperature = np.asarray(temperature_c, dtype=float)
    if temperature.shape != (len(index),) or not np.isfinite(temperature).all():
        raise InputError(
            f"temperature_c: must be {len(index)} finite values on the study index, given "
            f"shape {temperature.shape}"
        )
    _zone(zone)  # an unknown zone is an error, never a silent SE3
    p = synthetic_base_load(
        customers,
        index,
        temperature,
        rng=rng,
        annual_kwh_scale=annual_kwh_scale,
        heating_base_c=heating_base_c,
        building_time_constant_h=building_time_constant_h,
        household_kwh=household_kwh,
        diversity=diversity,
        zone=zone,
    )
    p_kw = pd.DataFrame(p, index=index, columns=ids)
    return p_kw, reactive_power_kvar(p_kw, power_factor)
