"""Names, units and descriptions of every metric gridv2x reports.

The registry :data:`METRICS` is the single place where a summary column is explained: the report
uses it for axis labels and table headers, the documentation lists it, and a test checks that
every column :func:`gridv2x.metrics.summarize` returns is registered.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Metric", "METRICS", "label", "describe_metrics"]


@dataclass(frozen=True)
class Metric:
    """A reported quantity.

    Attributes
    ----------
    label : str
        Short planner-readable name (axis label, table header).
    unit : str
        Unit (``"kW"``, ``"pu"``, ``"%"``, ``"-"`` for a share or count, ``""`` for a flag).
    description : str
        One sentence on what it is and how it is computed.
    """

    label: str
    unit: str
    description: str


def _m(label: str, unit: str, description: str) -> Metric:
    return Metric(label, unit, description)


_SIMULATED = (
    " Summed over the simulated time: the whole period, or only the representative weeks when "
    "period.representative_weeks is set (see period_weight)."
)


METRICS: dict[str, Metric] = {
    # identity
    "feeder": _m("Feeder", "", "Name of the feeder."),
    "strategy": _m("Charging strategy", "", "uncontrolled, v1g (smart charging) or v2g."),
    "seed": _m("Seed", "", "Monte-Carlo draw."),
    "ev_share": _m("EV share", "-", "Share of customers that own an EV."),
    "n_evs": _m("EVs", "-", "Number of EVs on the feeder."),
    # transformer
    "transformer_peak_kw": _m(
        "Transformer peak",
        "kW",
        "Highest active power drawn from the 10 kV side through all secondary transformers "
        "(import positive), over converged steps.",
    ),
    "transformer_reverse_peak_kw": _m(
        "Transformer reverse peak",
        "kW",
        "Highest active power fed back to the 10 kV side (0 when power never flows back).",
    ),
    "transformer_max_loading_pct": _m(
        "Transformer max loading", "%", "Highest transformer loading of any step [% of rated kVA]."
    ),
    "transformer_hours_above": _m(
        "Transformer hours above limit",
        "h",
        "Hours in which any transformer is loaded above limits.transformer_loading_pct."
        + _SIMULATED,
    ),
    "transformer_energy_above_kwh": _m(
        "Transformer energy above limit",
        "kWh",
        "Active energy that would have to be shaved (at the same power factor) to keep every "
        "transformer at limits.transformer_loading_pct." + _SIMULATED,
    ),
    # lines
    "line_max_loading_pct": _m(
        "Line max loading", "%", "Highest loading of any cable/line of any step [% of rating]."
    ),
    "line_hours_above": _m(
        "Line hours above limit",
        "h",
        "Hours in which any line is loaded above limits.line_loading_pct." + _SIMULATED,
    ),
    # voltage
    "v_min_pu": _m("Lowest voltage", "pu", "Lowest voltage at any customer connection."),
    "v_max_pu": _m("Highest voltage", "pu", "Highest voltage at any customer connection."),
    "v_p05_pu": _m(
        "5th-percentile voltage",
        "pu",
        "Lowest per-customer 5th percentile of the voltage (the worst customer's p05).",
    ),
    "voltage_violation_share": _m(
        "Voltage violation share",
        "-",
        "Share of (customer, step) pairs outside [limits.v_min_pu, limits.v_max_pu].",
    ),
    "voltage_hours_outside": _m(
        "Hours outside voltage band",
        "h",
        "Hours in which at least one customer is outside [v_min_pu, v_max_pu]." + _SIMULATED,
    ),
    "planning_band_violation_share": _m(
        "Outside planning band",
        "-",
        "Share of (customer, step) pairs outside the DSO planning band "
        "[limits.planning_v_min_pu, limits.planning_v_max_pu].",
    ),
    "en50160_compliant": _m(
        "EN 50160 compliant",
        "",
        "Every customer has >= limits.en50160_share of the 10-minute means of every calendar "
        "week within the band, and all of them within [limits.en50160_v_min_all_pu, "
        "limits.v_max_pu] (EN 50160:2022).",
    ),
    "en50160_worst_week_share": _m(
        "EN 50160 worst week",
        "-",
        "Lowest weekly share of 10-minute means within the band, over customers and weeks.",
    ),
    "swedish_rule_compliant": _m(
        "Swedish rule compliant",
        "",
        "Every 10-minute mean of every customer within the band (EIFS 2023:3).",
    ),
    "customers_outside_band": _m(
        "Customers outside band",
        "-",
        "Customers with at least one 10-minute mean outside the band.",
    ),
    # unbalance
    "unbalance_max_pct": _m(
        "Max voltage unbalance",
        "%",
        "Highest voltage unbalance factor of any bus (NaN for balanced load flows).",
    ),
    "unbalance_hours_above": _m(
        "Unbalance hours above limit",
        "h",
        "Hours in which any bus has unbalance above limits.unbalance_pct." + _SIMULATED,
    ),
    "neutral_max_current_a": _m(
        "Max neutral (PEN) current",
        "A",
        "Highest neutral current of any line, the sum of its phase currents 3 I0 (the load "
        "flows have no separate neutral conductor: the return path is in the line's "
        "zero-sequence impedance) (NaN for balanced load flows).",
    ),
    "neutral_max_loading_pct": _m(
        "Max neutral (PEN) loading",
        "%",
        "Highest neutral current of any line relative to the line's rating (PEN of the phase "
        "cross-section, docs/sources.md §14) (NaN for balanced load flows).",
    ),
    # losses
    "losses_kwh": _m("Losses", "kWh", "Energy lost in lines and transformers." + _SIMULATED),
    "losses_share": _m(
        "Losses share", "-", "Losses divided by the energy drawn through the transformers."
    ),
    # fuses
    "fuse_max_loading_pct": _m(
        "Max main-fuse loading",
        "%",
        "Highest phase current of any customer relative to its main fuse [% of rating].",
    ),
    "fuse_overloads": _m(
        "Main-fuse overloads",
        "-",
        "Customers whose phase current exceeds limits.fuse_loading_pct at least once.",
    ),
    "fuse_hours_above": _m(
        "Main-fuse hours above limit",
        "h",
        "Hours in which at least one customer's main fuse is above limits.fuse_loading_pct."
        + _SIMULATED,
    ),
    "fuse_energy_above_kwh": _m(
        "Main-fuse energy above limit",
        "kWh",
        "Customer active energy beyond limits.fuse_loading_pct (what a load guard would have "
        "to shift), summed over customers." + _SIMULATED,
    ),
    # EVs
    "ev_charged_kwh": _m(
        "EV charged energy", "kWh", "Energy drawn from the grid by all EVs." + _SIMULATED
    ),
    "ev_discharged_kwh": _m(
        "EV discharged energy", "kWh", "Energy fed back to the grid by all EVs (V2G)." + _SIMULATED
    ),
    "ev_driving_kwh": _m(
        "EV driving energy", "kWh", "Energy all EVs used for driving." + _SIMULATED
    ),
    "ev_unmet_kwh": _m(
        "EV unmet energy",
        "kWh",
        "Driving energy the batteries did not hold (the mobility guarantee was broken)."
        + _SIMULATED,
    ),
    "ev_shortfall_kwh": _m(
        "EV departure shortfall",
        "kWh",
        "Energy below the departure target because a stay was too short; made up at the next "
        "stay (not a broken guarantee)." + _SIMULATED,
    ),
    "ev_losses_kwh": _m(
        "EV charging losses",
        "kWh",
        "Charger and battery losses of charging and V2G discharging (round-trip losses)."
        + _SIMULATED,
    ),
    "ev_energy_cost_sek": _m(
        "EV energy cost",
        "SEK",
        "Cost of the EVs' grid energy at the day-ahead prices (charging.price_file, or the "
        "shipped synthetic SE3 example series); V2G discharge earns the price." + _SIMULATED,
    ),
    "ev_guard_lost_kwh": _m(
        "EV energy lost to the load guard",
        "kWh",
        "Charging energy the EVs could not get because the load guard (vehicles.load_guard) "
        "throttled the chargers to what the main fuses leave after the household load; it "
        "shows as shortfall or unmet energy." + _SIMULATED,
    ),
    "charging_foresight": _m(
        "Charging foresight",
        "",
        "What v1g/v2g planned on (charging.foresight): forecast (forecast household load and "
        "departures, shortfall counted) or perfect (realised load and exact departures: an "
        "upper bound of what control can do).",
    ),
    "charging_coordination": _m(
        "Charging coordination",
        "",
        "Who planned v1g/v2g (charging.coordination): feeder (one controller for the feeder) or "
        "household (each car on its own price and household load: herding).",
    ),
    "v2g_charger": _m(
        "V2G charger technology",
        "",
        "Bidirectional home charger of V2G rows (charging.v2g.charger): ac (the car's on-board "
        "converter) or dc (converter in the wallbox); empty for uncontrolled and v1g.",
    ),
    "v2g_round_trip_efficiency": _m(
        "V2G round-trip efficiency",
        "-",
        "Grid-battery-grid efficiency the V2G schedule used: charging.v2g.round_trip_efficiency "
        "or, when null, the charger technology's (docs/sources.md §12).",
    ),
    "v2g_max_discharge_kw": _m(
        "V2G discharge power limit",
        "kW",
        "Discharge power limit per car the V2G schedule used: charging.v2g.max_discharge_kw or, "
        "when null, the charger technology's; the car's charger rating caps it too.",
    ),
    "ev_to_ev_kwh": _m(
        "EV-to-EV energy",
        "kWh",
        "Energy EVs discharged while other EVs of the feeder charged in the same step, "
        "sum over steps of min(total EV discharge, total EV charging) x step: charger losses "
        "and wear paid twice for nothing (feeder-coordinated V2G plans the fleet net)."
        + _SIMULATED,
    ),
    "v2g_virtual_km": _m(
        "V2G virtual km",
        "km",
        "Battery wear of V2G throughput expressed as the driving distance that wears the same."
        + _SIMULATED,
    ),
    "ev_degradation_mean_pct": _m(
        "Mean EV degradation",
        "%",
        "Mean capacity fade of the EV batteries [% of capacity]." + _SIMULATED,
    ),
    # solver
    "converged_share": _m("Converged share", "-", "Share of time steps whose load flow converged."),
    # representative weeks (only when period.representative_weeks is set)
    "simulated_weeks": _m(
        "Simulated weeks",
        "",
        "Mondays of the calendar weeks simulated instead of the whole period "
        "(period.representative_weeks, chosen by period.week_selection from the draw's base "
        "load); peaks, voltages and violation flags are over these weeks only.",
    ),
    "simulated_days": _m(
        "Simulated days", "d", "Length of the simulated weeks together (warm-up days excluded)."
    ),
    "period_weight": _m(
        "Period weight",
        "-",
        "Steps of the period per simulated step. Energy totals and hours are sums over the "
        "simulated weeks; times period_weight they estimate the whole period when the weeks "
        "were chosen with week_selection spread (not with peak: those are the heaviest weeks).",
    ),
    # reinforcement (gridv2x.reinforcement, scenario section reinforcement)
    "reinforcement_needed": _m(
        "Reinforcement needed", "", "A counted grid criterion is violated without reinforcement."
    ),
    "reinforcement_fixed": _m(
        "Reinforcement fixes it",
        "",
        "The plan's reinforced feeder passes every counted grid criterion (checked on every "
        "simulated step with reinforcement.verify full).",
    ),
    "reinforcement_cost_sek": _m(
        "Reinforcement cost",
        "SEK",
        "Cost of the cheapest-first reinforcement plan (docs/sources.md §11); 0 when none is "
        "needed.",
    ),
    "reinforcement_measures": _m("Reinforcement measures", "-", "Measures in the plan."),
    "reinforcement_ground": _m(
        "Ground class", "", "Ground class of the cable prices (urban, suburban, rural)."
    ),
    "reinforcement_steps": _m("Critical steps", "-", "Load-flow steps the plan was searched on."),
    "reinforcement_plan": _m(
        "Reinforcement plan", "", "The plan's measures as JSON (rows of reinforcement.csv)."
    ),
    # violations
    "violates_voltage": _m(
        "Voltage violation", "", "The voltage rule chosen in limits.voltage_rule is broken."
    ),
    "violates_transformer_loading": _m(
        "Transformer overload", "", "A transformer exceeds limits.transformer_loading_pct."
    ),
    "violates_line_loading": _m("Line overload", "", "A line exceeds limits.line_loading_pct."),
    "violates_unbalance": _m("Unbalance violation", "", "A bus exceeds limits.unbalance_pct."),
    "violates_fuse": _m("Main-fuse overload", "", "A customer exceeds limits.fuse_loading_pct."),
    "violates_convergence": _m(
        "Load flow diverged", "", "At least one load-flow step did not converge."
    ),
    "violation": _m(
        "Violation", "", "Any criterion listed in limits.criteria is violated (hosting capacity)."
    ),
    "first_violation_time": _m(
        "First violation",
        "",
        "Time of the first step that violates a counted criterion (the first in the simulated "
        "weeks when period.representative_weeks is set).",
    ),
    "first_violation_criterion": _m("First violating criterion", "", "Criterion violated first."),
    "first_violation_element": _m(
        "First violating element",
        "",
        "Element violated first: 'customer <id>', 'bus <i>', 'line <i>' or 'trafo <i>'.",
    ),
    # hosting capacity
    "n": _m("Draws", "-", "Monte-Carlo draws."),
    "violations": _m("Violating draws", "-", "Draws with a violation."),
    "probability": _m("Violation probability", "-", "Share of draws with a violation."),
    "probability_low": _m(
        "Probability (lower bound)",
        "-",
        "One-sided Clopper-Pearson lower bound at study.confidence (above risk: unsafe shown).",
    ),
    "probability_high": _m(
        "Probability (upper bound)",
        "-",
        "One-sided Clopper-Pearson upper bound at the design's safe-claim confidence (at most "
        "risk: the share is shown safe).",
    ),
    "confidence": _m("Confidence", "-", "Confidence of the claims (study.confidence)."),
    "decision": _m(
        "Decision",
        "",
        "safe, unsafe, not_demonstrable, pending or undecided (gridv2x.metrics.confidence).",
    ),
    "demonstrated": _m(
        "Demonstrated", "", "Whether any share was shown safe at the risk and confidence."
    ),
    "hosting_capacity_evs": _m("Hosting capacity", "EVs", "Hosting capacity as a number of EVs."),
    "hosting_capacity_probability_high": _m(
        "Upper bound at the capacity", "-", "Upper bound of the violation probability there."
    ),
    "first_unsafe_share": _m(
        "First unsafe share", "-", "Smallest share whose lower bound exceeds the risk."
    ),
    "draws_total": _m("Draws", "-", "Monte-Carlo draws over all shares."),
    "statement": _m("Statement", "", "The sentence the report prints for the row."),
    "hosting_capacity_share": _m(
        "Hosting capacity",
        "-",
        "Largest EV share (EVs per customer) such that it and every smaller share have an upper "
        "confidence bound of the violation probability <= risk.",
    ),
    "hosting_capacity_reached": _m(
        "Hosting capacity reached",
        "",
        "False when even the largest tested share passes (capacity is at least that share).",
    ),
    "n_shares": _m("Shares tested", "-", "Number of EV shares with draws."),
    "highest_share_drawn": _m(
        "Highest share drawn",
        "-",
        "Largest EV share with draws (study.sweep: ordered draws none above the first "
        "violating share).",
    ),
    "draws_per_share": _m("Draws per share", "", "share:draws for every tested share."),
    "first_violation_share": _m(
        "First violation share", "-", "Smallest EV share with at least one violating draw."
    ),
    "all_violate_share": _m(
        "All-violate share", "-", "Smallest EV share at which every draw violates."
    ),
    "first_violation_year": _m(
        "First violation year", "", "First year whose violation probability exceeds the risk."
    ),
    "deferral_years": _m(
        "Deferral",
        "years",
        "Years by which a strategy postpones the first violation compared with uncontrolled.",
    ),
}
"""Every reported metric by column name."""


def label(name: str) -> str:
    """Return ``"Label [unit]"`` for a metric (the name itself when unregistered)."""
    metric = METRICS.get(name)
    if metric is None:
        return name
    return f"{metric.label} [{metric.unit}]" if metric.unit else metric.label


def describe_metrics(names: list[str] | None = None) -> pd.DataFrame:
    """Table of metrics for documentation and report footnotes.

    Parameters
    ----------
    names : list of str, optional
        Metrics to describe, in this order; all registered metrics when omitted.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, label, unit, description``; unregistered names get empty fields.

    References
    ----------
    .. [1] EN 50160:2022; EIFS 2023:3; docs/sources.md §3 (quoted in the descriptions).
    """
    names = list(METRICS) if names is None else list(names)
    empty = Metric(label="", unit="", description="")
    rows = [
        (n, *(lambda m: (m.label, m.unit, m.description))(METRICS.get(n, empty))) for n in names
    ]
    return pd.DataFrame(rows, columns=["name", "label", "unit", "description"])
