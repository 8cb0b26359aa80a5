"""Core scenario sections: ``study`` and the top-level keys (``period`` is in :mod:`gridv2x.period`).

The ``networks`` list is validated in :mod:`gridv2x.scenario.schema` because each entry is one
of several kinds (``builtin``, ``gis``, ``pandapower_json``, ``simbench``).
"""

from __future__ import annotations

from gridv2x.options import Field, Section

STUDY_KINDS = ("compare", "hosting_capacity", "adoption_forecast", "sensitivity")
ASSUMPTION_NAMES = (
    "cable_rating",
    "transformer_rating",
    "household_load",
    "ev_energy",
    "charger_mix",
    "arrival_time",
    "slack_voltage",
)
"""What a sensitivity study can vary (gridv2x.sensitivity.ASSUMPTIONS)."""
TIME_SERIES = ("auto", "all", "shown")
SWEEPS = ("ordered", "full")
"""How a sequential study spends its draws over the shares or years (gridv2x.execution.sequential)."""


def _increasing(values: list) -> str | None:
    if len(values) == 0:
        return "must not be empty"
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        return "must be strictly increasing"
    return None


STUDY = Section(
    doc="What the study asks: compare strategies, sweep EV shares for hosting capacity, or "
    "step through adoption-curve years.",
    fields={
        "kind": Field(
            "compare",
            str,
            "compare: strategies side by side at the adoption share; hosting_capacity: sweep "
            "`ev_shares` x `seeds`; adoption_forecast: step through `years` x `seeds`; "
            "sensitivity: move each of `assumptions` to a low and a high value and find each "
            "draw's hosting capacity by bisection between the lowest and highest `ev_shares` "
            "in `refine` steps (a tornado chart of what moves the capacity most).",
            choices=STUDY_KINDS,
        ),
        "seeds": Field(
            1,
            int,
            "Monte-Carlo draws per feeder (and per share or year). Each draw has its own "
            "household behaviour, EV owners and driving [-].",
            min=1,
            max=10000,
        ),
        "seed": Field(
            0,
            int,
            "Base seed; draw k uses the random streams derived from (seed, k, feeder, stage), "
            "never from execution order, so results do not depend on the number of workers.",
            min=0,
        ),
        "ev_shares": Field(
            [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0],
            list,
            "hosting_capacity only: EV shares to sweep (EVs per customer, see adoption.share) [-].",
            items=float,
            min=0.0,
            max=2.0,
            check=_increasing,
        ),
        "risk": Field(
            0.05,
            float,
            "hosting_capacity and adoption_forecast: acceptable probability of violating any "
            "criterion in limits.criteria (EPRI stochastic hosting capacity) [-].",
            min=0.0,
            max=1.0,
        ),
        "confidence": Field(
            0.95,
            float,
            "hosting_capacity and adoption_forecast: confidence of every claim [-]. A share "
            "counts as hosted only where the upper Clopper-Pearson bound of its violation "
            "probability is at most `risk` at this confidence: at risk 0.05 and confidence 0.95 "
            "that needs at least 59 draws without a violation (docs/sources.md §10).",
            min=0.5,
            max=0.999,
        ),
        "max_seeds": Field(
            None,
            int,
            "hosting_capacity and adoption_forecast: sequential draws. Each share (or year) "
            "gets `seeds` draws, then `seeds` more at a time while its confidence interval "
            "straddles `risk`, up to this many; a share stops as soon as it is shown safe, "
            "shown unsafe or can no longer be shown safe [-]. null: `seeds` (a fixed design).",
            nullable=True,
            min=1,
            max=10000,
        ),
        "sweep": Field(
            "ordered",
            str,
            "hosting_capacity only: which shares get draws. "
            "ordered: a share is drawn only once every smaller share of its feeder and "
            "strategy is shown safe, so no draw is spent above the capacity (the same capacity "
            "for the fewest draws; the violation probability is known only up to the first "
            "share that is not shown safe). full: the first round draws `seeds` at every "
            "share, which also shows how often the shares above the capacity violate.",
            choices=SWEEPS,
        ),
        "refine": Field(
            0,
            int,
            "hosting_capacity and adoption_forecast: bisection steps between the largest "
            "share (or year) shown safe and the first that is not, after the listed ones are "
            "decided; each adds one share, to 1 EV per 100 customers (or one year) [-].",
            min=0,
            max=20,
        ),
        "assumptions": Field(
            list(ASSUMPTION_NAMES),
            list,
            "sensitivity only: the assumptions moved one at a time (ranges: docs/sources.md "
            "§10): cable_rating and transformer_rating +-20 %, household_load +-20 %, "
            "ev_energy (km per year) +-20 %, charger_mix (single-phase share 0 / 0.5), "
            "arrival_time +-1 h, slack_voltage +-0.02 pu.",
            items=str,
            check=lambda v: (
                None
                if v and all(x in ASSUMPTION_NAMES for x in v)
                else f"must be a non-empty list of {', '.join(ASSUMPTION_NAMES)}"
            ),
        ),
        "years": Field(
            [2025, 2030, 2035, 2040, 2045],
            list,
            "adoption_forecast only: years on the adoption curve (adoption.curve) [year].",
            items=int,
            min=2000,
            max=2100,
            check=_increasing,
        ),
        "time_series": Field(
            "auto",
            str,
            "Which tasks keep their whole-period tables (results/<task>/timeseries.parquet, "
            "voltage_daily.parquet, soc.parquet; about 4.5 MB a task for a year at 15 min). "
            "all: every task. shown: per feeder and strategy only the task the report charts "
            "in detail (the lowest seed at the highest EV share or the last year; with "
            "sweep: ordered the lowest seed of every share or year, since which one the "
            "report charts is known only after the run). auto: all "
            "for compare, shown for hosting_capacity and adoption_forecast (hundreds of draws "
            "would fill gigabytes). The summary row, customers, elements and evs tables are "
            "kept for every task.",
            choices=TIME_SERIES,
        ),
    },
)


TOP = {
    "name": Field(
        "gridv2x-study",
        str,
        "Name of the study; also the default output folder reports/<name>/.",
        check=lambda v: (
            None
            if v
            and all(c.isalnum() or c in "-_." for c in v)
            and not v.startswith((".", "-"))
            and len(v.encode()) <= 120
            else "may contain only letters, digits, '-', '_' and '.', not start with '.' or '-', "
            "and be at most 120 bytes (it names a folder)"
        ),
    ),
    "description": Field("", "any", "Free text shown in the report.", nullable=True),
}
