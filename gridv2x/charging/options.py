"""Scenario section ``charging``: configures :func:`gridv2x.charging.schedule`.

The keys are the keyword arguments of ``schedule`` plus ``strategies`` (which strategies to
compare; ``Study`` pops it and calls ``schedule(strategy, ...)`` once per strategy). Every
default and bound of those keyword arguments is declared here only: ``schedule`` takes its
defaults from :data:`DEFAULTS` and checks its arguments with ``SECTION.resolve``.
"""

from __future__ import annotations

from gridv2x.charging.chargers import CHARGER_TECHNOLOGIES
from gridv2x.options import Field, Section

STRATEGY_CHOICES = ("uncontrolled", "v1g", "v2g")
OBJECTIVE_CHOICES = ("peak", "price")
PHASE_ASSIGNMENTS = ("as_drawn", "random", "balanced")


def _unique(value):
    if len(set(value)) != len(value):
        return "must not repeat a strategy"
    if not value:
        return "must name at least one strategy"
    return None


SECTION = Section(
    doc="How EVs charge: the strategies to compare and their options (gridv2x.charging.schedule).",
    fields={
        "strategies": Field(
            default=["uncontrolled", "v1g", "v2g"],
            type=list,
            items=str,
            choices=STRATEGY_CHOICES,
            check=_unique,
            doc="Strategies compared, each a task: uncontrolled (full power from plug-in), v1g "
            "(smart charging within the plug-in window), v2g (v1g plus discharging).",
        ),
        "foresight": Field(
            default="forecast",
            type=str,
            choices=("forecast", "perfect"),
            doc="What v1g/v2g plan on: forecast (default; the household load from the same "
            "weekday of the past 4 weeks, each car's departure from its own past stays, then "
            "cars leave when they leave and the shortfall is counted) or perfect (the realised "
            "load and exact departures: an upper bound of what control can do). "
            "docs/sources.md §9.",
        ),
        "coordination": Field(
            default="feeder",
            type=str,
            choices=("feeder", "household"),
            doc="Who plans v1g/v2g: feeder (default; one controller for all EVs of the feeder) "
            "or household (every car on its own price and its own household's load, blind to "
            "the feeder, as most Swedish smart charging works today: herding at high shares).",
        ),
        "initial_soc": Field(
            default=0.8,
            type=float,
            min=0.0,
            max=1.0,
            doc="Stored energy at the start of the period, share of usable battery [-]. [E]",
        ),
        "target_soc": Field(
            default=None,
            type=float,
            min=0.0,
            max=1.0,
            nullable=True,
            doc="Departure target, share of usable battery [-]; null = the starting level, so "
            "every session restores exactly what was driven (the mobility guarantee).",
        ),
        "charge_efficiency": Field(
            default=0.92,
            type=float,
            min=0.01,
            max=1.0,
            doc="Grid-to-battery efficiency of AC home charging [-]. [E] typical 0.88-0.95.",
        ),
        "charger_cap_kw": Field(
            default=None,
            type=float,
            min=0.0,
            above_min=True,  # 0 kW would leave every EV uncharged (the run refuses it)
            nullable=True,
            check=lambda v: None if v > 0 else "must be > 0 [kW] or null",
            doc="Optional cap on every home charger's power [kW] (e.g. a DSO connection rule); "
            "null = the charger's own rating (vehicles section).",
        ),
        "transformer_limit_kw": Field(
            default=None,
            type=float,
            min=0.0,
            nullable=True,
            doc="Grid-aware v1g/v2g with objective price: keep base + EV load at or below this "
            "[kW] wherever the mobility guarantee allows (objective peak already keeps the load "
            "as low as possible); null = off. E.g. the transformer rating in kVA x 0.95.",
        ),
        "grid_aware": Field(
            default=False,
            type=bool,
            doc="Grid-aware v1g/v2g: keep customer voltages, transformer and cable loadings "
            "within the limits section (v_min_pu, transformer_loading_pct, line_loading_pct) "
            "wherever the plug-in windows allow; the mobility guarantee comes first. Uses a "
            "linear model from load flows of the base load (voltage sensitivity, Baran & Wu "
            "1989); costs two extra batch load flows per task. Uncontrolled ignores it. With "
            "powerflow.asymmetric (the default) the model and its checks are per phase (each "
            "charger on its phase, voltage and loading limits per phase); otherwise balanced.",
        ),
        "price_file": Field(
            default=None,
            type="path",
            nullable=True,
            doc="Day-ahead price CSV (time, price_sek_per_kwh; or a month/day_type/quarter "
            "profile) [SEK/kWh]; null = the shipped synthetic SE3 example (not market data).",
        ),
        "price_weight_kw_per_sek": Field(
            default=1000.0,
            type=float,
            min=0.0,
            doc="Objective price: kW of feeder load one SEK/kWh of price is worth when filling; "
            "large = cost first, load flattening only breaks ties [kW per SEK/kWh]. [E]",
        ),
        "passes": Field(
            default=2,
            type=int,
            min=1,
            max=20,
            doc="Valley-filling passes over the fleet for v1g and v2g (v2g then adds "
            "charging.v2g.passes V2G passes) [-]; more = flatter, slower.",
        ),
        "power_tariff": Section(
            doc="Power-based grid tariff (effekttariff, docs/sources.md §6): a monthly fee on the "
            "EV's highest hourly power in a time window; price objectives keep that power low.",
            fields={
                "sek_per_kw_month": Field(
                    default=None,
                    type=float,
                    min=0.0,
                    nullable=True,
                    doc="Fee [SEK per kW and month]; null = no power tariff. docs/sources.md §6 "
                    "examples: 28-112 SEK/kW-month.",
                ),
                "hours": Field(
                    default=[7, 19],
                    type=list,
                    items=float,
                    min=0.0,
                    max=24.0,
                    check=lambda v: (
                        None
                        if len(v) == 2 and v[0] < v[1]
                        else "must be [start, end] with start < end"
                    ),
                    doc="Tariff window [start, end) in local time [h]; default 07-19 as "
                    "Sala-Heby (docs/sources.md §6).",
                ),
                "weekdays_only": Field(
                    default=True,
                    type=bool,
                    doc="Whether the window applies on Monday-Friday only.",
                ),
                "months": Field(
                    default=list(range(1, 13)),
                    type=list,
                    items=int,
                    min=1,
                    max=12,
                    doc="Months in which the fee applies (e.g. [11, 12, 1, 2, 3] for a winter "
                    "high-load fee).",
                ),
            },
        ),
        "phase_assignment": Field(
            default="as_drawn",
            type=str,
            choices=PHASE_ASSIGNMENTS,
            doc="Phase of single-phase chargers for the unbalanced load flow: as_drawn (the "
            "vehicles section's draw), random, or balanced by the DSO (largest first to the "
            "least loaded phase).",
        ),
        "v1g": Section(
            doc="Smart charging (V1G) options.",
            fields={
                "objective": Field(
                    default="peak",
                    type=str,
                    choices=OBJECTIVE_CHOICES,
                    doc="peak: flatten the feeder load (valley filling); price: lowest energy "
                    "cost with the day-ahead prices.",
                ),
            },
        ),
        "v2g": Section(
            doc="Vehicle-to-grid (V2G) options.",
            fields={
                "objective": Field(
                    default="peak",
                    type=str,
                    choices=OBJECTIVE_CHOICES,
                    doc="peak: shave the transformer peak; price: arbitrage on day-ahead prices.",
                ),
                "reserve_soc": Field(
                    default=0.4,
                    type=float,
                    min=0.0,
                    max=1.0,
                    doc="V2G never discharges below this share of usable battery [-]. [E]",
                ),
                "charger": Field(
                    default="ac",
                    type=str,
                    choices=CHARGER_TECHNOLOGIES,
                    doc="Bidirectional home-charger technology of V2G homes: ac (the car's "
                    "on-board converter: 7.4 kW, round trip 0.85, 22.5 kSEK installed) or dc "
                    "(converter in the wallbox: 11 kW, 0.87, 60 kSEK). Sets the two keys below "
                    "when they are null and the charger price of the economics "
                    "(gridv2x/charging/chargers.py, docs/sources.md §12).",
                ),
                "max_discharge_kw": Field(
                    default=None,
                    type=float,
                    min=0.0,
                    nullable=True,
                    doc="Maximum discharge power [kW]; null = the charger technology's "
                    "(charger); the car's charger rating caps it either way. [E]",
                ),
                "round_trip_efficiency": Field(
                    default=None,
                    type=float,
                    min=0.01,
                    max=1.0,
                    nullable=True,
                    doc="Grid-battery-grid efficiency [-], counted as losses; must not exceed "
                    "charge_efficiency; null = the charger technology's (charger). [E]",
                ),
                "daily_throughput_cap_kwh": Field(
                    default=20.0,
                    type=float,
                    min=0.0,
                    nullable=True,
                    doc="Most energy an EV discharges per day [kWh/day]; null = no cap. [E] "
                    "about a third of a 60 kWh battery, to limit wear (docs/sources.md §6).",
                ),
                "opt_out_share": Field(
                    default=0.2,
                    type=float,
                    min=0.0,
                    max=1.0,
                    doc="Share of owners who never allow discharging (they behave as v1g) [-]. "
                    "[E] Drawn per EV from a stable hash of ev_id.",
                ),
                "wear_cost_sek_per_kwh": Field(
                    default=0.16,
                    type=float,
                    min=0.0,
                    doc="Objective price: battery wear cost of a discharged kWh [SEK/kWh]; V2G "
                    "only discharges where the price gain beats losses plus wear. [E] 0.16: "
                    "cycle fade 0.004 %/cycle (docs/sources.md §6) of a battery worth ~1,200 SEK/kWh "
                    "that ends its life at 30 % fade (70 % warranty SoH, docs/sources.md §6).",
                ),
                "min_spread_pct": Field(
                    default=0.0,
                    type=float,
                    min=0.0,
                    max=1000.0,
                    doc="Objective peak: V2G only discharges where the load of everything else is "
                    "at least this much above the level it recharges at [%]; 0 = only the "
                    "round-trip losses (~2.4 %): the lowest peak, but much cycling. E.g. 10 "
                    "halves the discharged energy for part of the peak reduction (README).",
                ),
                "passes": Field(
                    default=1,
                    type=int,
                    min=1,
                    max=20,
                    doc="V2G passes over the fleet after the charging.passes valley-filling "
                    "passes [-]. 1: a second pass lowers the fleet objective by < 0.1 % and "
                    "moves the peak by +-2 % either way, for 60 % more V2G run time (measured "
                    "on the hosting-capacity feeders).",
                ),
            },
        ),
        "battery": Section(
            doc="Battery wear estimate (screening model, docs/sources.md §6 [E]).",
            fields={
                "calendar_fade_pct_per_year": Field(
                    default=1.5,
                    type=float,
                    min=0.0,
                    doc="Calendar capacity fade [%/yr]. [E] docs/sources.md §6: 1.5-2 %/yr at 25 °C, "
                    "less in the Nordic climate.",
                ),
                "cycle_fade_pct_per_efc": Field(
                    default=0.004,
                    type=float,
                    min=0.0,
                    doc="Cycle capacity fade [% per equivalent full cycle]. [E] docs/sources.md §6: "
                    "0.003-0.005 % (NMC).",
                ),
            },
        ),
    },
)

DEFAULTS = SECTION.defaults()
"""The shipped value of every key; the keyword defaults of :func:`gridv2x.charging.schedule`."""
