"""Scenario section ``demand``: keyword arguments of :func:`gridv2x.demand.base_load`."""

from __future__ import annotations

from gridv2x.conventions import DWELLINGS
from gridv2x.options import Field, Section

MODELS = ("synthetic", "metered", "profiles")


def _check_household_kwh(value: dict) -> str | None:
    allowed = set(DWELLINGS)
    unknown = sorted(set(value) - allowed)
    if unknown:
        return f"unknown dwelling type(s) {unknown}; allowed: {sorted(allowed)}"
    for key, kwh in value.items():
        if isinstance(kwh, bool) or not isinstance(kwh, int | float) or kwh < 0:
            return f"{key}: must be a number >= 0 [kWh/yr], given {kwh!r}"
    return None


SECTION = Section(
    doc=(
        "Household base load per customer (without EVs): synthetic Swedish load shapes with a "
        "temperature-driven heating part, the DSO's metered data, or the feeder's own profiles."
    ),
    fields={
        "model": Field(
            default="synthetic",
            type=str,
            choices=MODELS,
            doc=(
                "`synthetic`: daily/weekly shape, holidays, lighting and electric heating from "
                "outdoor temperature, scaled to each customer's annual_kwh; `metered`: read "
                "`metered_file`; `profiles`: the feeder's own base profiles (e.g. SimBench)."
            ),
        ),
        "metered_file": Field(
            default=None,
            type="path",
            nullable=True,
            doc=(
                "Meter data for model `metered`: CSV (`,`, or Swedish `;` with decimal comma) "
                "or parquet; a wide table with a `time` column and one column per customer_id, "
                "or long format (one row per meter and interval: meter id, time, kwh or kw, "
                "names in English or Swedish); hourly or 15-min values, resampled to the study "
                "resolution keeping energy."
            ),
        ),
        "meter_customers": Field(
            default=None,
            type="path",
            nullable=True,
            doc=(
                "For long-format meter data: CSV table with columns meter_id and customer_id "
                "(a customer's meters are summed). Null: the meter id is the customer id."
            ),
        ),
        "metered_unit": Field(
            default="kwh",
            type=str,
            choices=("kwh", "kw"),
            doc=(
                "Meaning of the metered values: `kwh` energy per meter interval [kWh] (what "
                "meters report) or `kw` mean power over the interval [kW]."
            ),
        ),
        "annual_kwh_scale": Field(
            default=1.0,
            type=float,
            min=0.0,
            doc=(
                "Factor on every customer's energy (e.g. 1.25 for future electrification, as "
                "the Chalmers model's apartment factor, docs/sources.md §2) [-]."
            ),
        ),
        "power_factor": Field(
            default=0.95,
            type=float,
            min=0.5,
            max=1.0,
            doc=(
                "Power factor of the base load (inductive) [-]; 0.95 typical household [E]. "
                "docs/sources.md §1.4 uses 0.9 for conservative planning."
            ),
        ),
        "heating_base_c": Field(
            default=15.0,
            type=float,
            min=5.0,
            max=22.0,
            doc=(
                "Balance temperature below which electric space heating runs [°C]; 15 °C [E] "
                "(SMHI degree days use 17 °C minus internal/solar gains of 2-5 K)."
            ),
        ),
        "building_time_constant_h": Field(
            default=12.0,
            type=float,
            min=0.0,
            max=200.0,
            doc=(
                "Thermal inertia of the houses: heating follows the outdoor temperature smoothed "
                "with this exponential time constant [h] [E]."
            ),
        ),
        "household_kwh": Field(
            default={"villa": 5000.0, "apartment": 2500.0, "farm": 6000.0, "business": 0.0},
            type=dict,
            check=_check_household_kwh,
            doc=(
                "Household electricity (appliances, lighting, hot water) of an electrically "
                "heated dwelling [kWh/yr]; the rest of annual_kwh is heating. Villa 4 500-5 500 "
                "(docs/sources.md §2); business 0 means a fixed 20 % heating share [E]."
            ),
        ),
        "diversity": Field(
            default=1.0,
            type=float,
            min=0.0,
            max=3.0,
            doc=(
                "Scale of the differences between customers (random time shifts, noise, "
                "appliance spikes); 1 is calibrated against Velander (docs/sources.md §2), 0 gives "
                "identical smooth shapes [-]."
            ),
        ),
    },
)

DEFAULTS = SECTION.defaults()
"""The shipped value of every key; the keyword defaults of the function it configures."""
