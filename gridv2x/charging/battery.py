"""Battery wear: calendar and cycle ageing, and V2G "virtual kilometres".

Defaults are engineering estimates from ``docs/sources.md §6`` ([E]): calendar fade 1.5-2 %/yr at
25 °C and mid state of charge (less in the Nordic climate), cycle fade 0.003-0.005 % per
equivalent full cycle (NMC cells), virtual km = discharged kWh / 0.18 kWh/km.
"""

from __future__ import annotations

import numpy as np

CALENDAR_FADE_PCT_PER_YEAR = 1.5
"""Calendar capacity fade [%/yr], [E] docs/sources.md §6 (1.5-2 %/yr at 25 °C; Nordic climate lower)."""
CYCLE_FADE_PCT_PER_EFC = 0.004
"""Cycle capacity fade [% per equivalent full cycle], [E] docs/sources.md §6 (0.003-0.005 %, NMC)."""
VIRTUAL_KWH_PER_KM = 0.18
"""Consumption used to convert discharged energy to virtual km [kWh/km], docs/sources.md §6."""
HOURS_PER_YEAR = 8766.0


def equivalent_full_cycles(throughput_kwh, battery_kwh):
    """Equivalent full cycles [-]: battery-side energy in plus out over twice the capacity.

    Parameters
    ----------
    throughput_kwh : array_like
        Energy into plus out of the battery (battery side; driving included) [kWh].
    battery_kwh : array_like
        Usable capacity [kWh].
    """
    return np.asarray(throughput_kwh, dtype=float) / (2.0 * np.asarray(battery_kwh, dtype=float))


def degradation_pct(
    throughput_kwh,
    battery_kwh,
    period_hours: float,
    *,
    calendar_fade_pct_per_year: float = CALENDAR_FADE_PCT_PER_YEAR,
    cycle_fade_pct_per_efc: float = CYCLE_FADE_PCT_PER_EFC,
):
    """Capacity loss over a period: linear calendar plus cycle ageing [% of capacity].

    ``loss = calendar_fade * years + cycle_fade * EFC`` where ``EFC`` are the equivalent full
    cycles of :func:`equivalent_full_cycles`. A first-order screening model: it ignores the
    dependence on temperature, state of charge and C-rate, so compare strategies with it rather
    than predict the state of health of a particular car.

    Parameters
    ----------
    throughput_kwh : array_like
        Battery-side energy in plus out [kWh].
    battery_kwh : array_like
        Usable capacity [kWh].
    period_hours : float
        Length of the period [h].
    calendar_fade_pct_per_year : float
        [%/yr], default [E] docs/sources.md §6.
    cycle_fade_pct_per_efc : float
        [% per equivalent full cycle], default [E] docs/sources.md §6.

    Returns
    -------
    ndarray
        Capacity loss [%].

    References
    ----------
    Mobility House / RWTH Aachen V2G ageing study and arXiv 2408.02139 (throughput vs days
    lost), as summarised in docs/sources.md §6.
    """
    years = float(period_hours) / HOURS_PER_YEAR
    efc = equivalent_full_cycles(throughput_kwh, battery_kwh)
    return calendar_fade_pct_per_year * years + cycle_fade_pct_per_efc * efc


def virtual_km(discharged_kwh, kwh_per_km=VIRTUAL_KWH_PER_KM):
    """V2G "virtual kilometres": discharged energy over consumption [km] (docs/sources.md §6)."""
    kwh_per_km = np.where(
        np.isfinite(np.asarray(kwh_per_km, dtype=float)), kwh_per_km, VIRTUAL_KWH_PER_KM
    )
    return np.asarray(discharged_kwh, dtype=float) / kwh_per_km
