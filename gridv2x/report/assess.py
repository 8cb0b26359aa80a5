"""Planner-facing judgements from the summary: traffic lights, comparison table, one-line answers.

Pure functions (DataFrames and dicts in, DataFrames and strings out); no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.charging.options import STRATEGY_CHOICES
from gridv2x.results import LEVEL_COLUMNS, charted_rows

__all__ = [
    "STRATEGY_ORDER",
    "LEVEL_COLUMNS",
    "STATUS_LABELS",
    "AT_RISK_MARGIN",
    "Metric",
    "COMPARISON_METRICS",
    "order_strategies",
    "representative_rows",
    "violation_reasons",
    "traffic_lights",
    "status_rule_text",
    "comparison_table",
    "feeder_answer",
    "hosting_gain_table",
    "hosting_intro",
    "hosting_criteria_table",
    "first_violation_years",
]

STRATEGY_ORDER = STRATEGY_CHOICES
"""The strategies in the planner's order (as the ``charging`` section declares them)."""
STATUS_LABELS = {"ok": "within limits", "risk": "at risk", "violated": "violated"}
AT_RISK_MARGIN = 0.10
"""A result within this fraction of a limit (10 % of the loading or unbalance limit; 10 % of the
distance between 1 pu and the voltage limit) is "at risk"."""


def order_strategies(strategies: Any) -> list[str]:
    """Strategies in the planner's order: uncontrolled, v1g, v2g, then any others by name."""
    names = list(dict.fromkeys(str(s) for s in strategies))
    known = [s for s in STRATEGY_ORDER if s in names]
    return known + sorted(s for s in names if s not in STRATEGY_ORDER)


representative_rows = charted_rows
"""Rows shown in the comparison and detail charts (:func:`gridv2x.results.charted_rows`)."""


def _num(row: Mapping[str, Any], key: str) -> float:
    try:
        value = float(row.get(key, np.nan))
    except (TypeError, ValueError):
        return float("nan")
    return value


def _truthy(value: Any) -> bool | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def violation_reasons(row: Mapping[str, Any], limits: Mapping[str, Any]) -> list[str]:
    """Which limits one task breaks, in planner words.

    Uses the summary's ``violates_<criterion>`` columns when present, otherwise compares the
    summary numbers with ``limits`` (voltage band, loading, unbalance, convergence).
    """
    reasons: list[str] = []
    flags = {
        k[len("violates_") :]: _truthy(v)
        for k, v in row.items()
        if str(k).startswith("violates_") and _truthy(v) is not None
    }
    vmin, vmax = float(limits["v_min_pu"]), float(limits["v_max_pu"])
    checks = {
        "voltage": (
            _num(row, "v_min_pu") < vmin or _num(row, "v_max_pu") > vmax,
            f"voltage outside {vmin:.2f}-{vmax:.2f} pu (min {_num(row, 'v_min_pu'):.3f}, "
            f"max {_num(row, 'v_max_pu'):.3f} pu)",
        ),
        "transformer_loading": (
            _num(row, "transformer_max_loading_pct") > float(limits["transformer_loading_pct"]),
            f"transformer loaded {_num(row, 'transformer_max_loading_pct'):.0f} % "
            f"(limit {float(limits['transformer_loading_pct']):.0f} %)",
        ),
        "line_loading": (
            _num(row, "line_max_loading_pct") > float(limits["line_loading_pct"]),
            f"cable loaded {_num(row, 'line_max_loading_pct'):.0f} % "
            f"(limit {float(limits['line_loading_pct']):.0f} %)",
        ),
        "unbalance": (
            _num(row, "unbalance_max_pct") > float(limits["unbalance_pct"]),
            f"unbalance {_num(row, 'unbalance_max_pct'):.1f} % "
            f"(limit {float(limits['unbalance_pct']):.1f} %)",
        ),
        "convergence": (
            _num(row, "converged_share") < 1.0,
            f"load flow did not converge in {100 * (1 - _num(row, 'converged_share')):.1f} % "
            "of the steps",
        ),
        "fuse": (False, "a customer's main fuse overloaded"),
    }
    criteria = set(limits.get("criteria") or checks)
    if flags:
        for name, flag in flags.items():
            if flag:
                reasons.append(checks[name][1] if name in checks else name.replace("_", " "))
        return reasons
    for name, (hit, text) in checks.items():
        if name in criteria and hit:
            reasons.append(text)
    return reasons


_CRITERION_WORDS = {
    "fuse": "main fuse overloaded",
    "voltage": "voltage outside the band",
    "transformer_loading": "transformer above rating",
    "line_loading": "cable above rating",
    "unbalance": "unbalance above limit",
    "convergence": "load flow not converged",
}
"""Planner words for each violation criterion (``limits.criteria``)."""


def _risk_reasons(row: Mapping[str, Any], limits: Mapping[str, Any]) -> list[str]:
    m = AT_RISK_MARGIN
    out = []
    counted = set(limits.get("criteria") or ())
    for key, value in row.items():
        if str(key).startswith("violates_") and _truthy(value):
            name = str(key)[len("violates_") :]
            if name not in counted:
                words = _CRITERION_WORDS.get(name, name.replace("_", " "))
                if name == "fuse" and _num(row, "fuse_overloads") > 0:
                    words += f" at {_num(row, 'fuse_overloads'):.0f} customers"
                out.append(f"{words} (not counted as a violation in this study)")
    if _num(row, "ev_unmet_kwh") > 0.5:
        out.append(
            f"{_num(row, 'ev_unmet_kwh'):,.0f} kWh of EV charging demand not met "
            "(cars left with less energy than needed)"
        )
    vmin, vmax = float(limits["v_min_pu"]), float(limits["v_max_pu"])
    if _num(row, "v_min_pu") < vmin + m * (1.0 - vmin):
        out.append(f"lowest voltage {_num(row, 'v_min_pu'):.3f} pu close to {vmin:.2f} pu")
    if _num(row, "v_max_pu") > vmax - m * (vmax - 1.0):
        out.append(f"highest voltage {_num(row, 'v_max_pu'):.3f} pu close to {vmax:.2f} pu")
    for key, limit_key, what in (
        ("transformer_max_loading_pct", "transformer_loading_pct", "transformer"),
        ("line_max_loading_pct", "line_loading_pct", "cable"),
    ):
        limit = float(limits[limit_key])
        if _num(row, key) >= (1 - m) * limit:
            out.append(f"{what} loaded {_num(row, key):.0f} % (limit {limit:.0f} %)")
    if _num(row, "unbalance_max_pct") >= (1 - m) * float(limits["unbalance_pct"]):
        out.append(f"unbalance {_num(row, 'unbalance_max_pct'):.1f} %")
    return out


def status_rule_text(limits: Mapping[str, Any]) -> str:
    """The rule behind the traffic lights, in one paragraph for the report."""
    vmin, vmax = float(limits["v_min_pu"]), float(limits["v_max_pu"])
    pct = int(round(100 * AT_RISK_MARGIN))
    counted = ", ".join(str(c).replace("_", " ") for c in (limits.get("criteria") or [])) or "all"
    return (
        f"Violated: in at least one simulated case a limit is broken: a customer voltage outside "
        f"{vmin:.2f}-{vmax:.2f} pu of 230 V (EIFS 2023:3 / EN 50160 band), transformer loading "
        f"above {float(limits['transformer_loading_pct']):.0f} % or cable loading above "
        f"{float(limits['line_loading_pct']):.0f} % of rating, voltage unbalance above "
        f"{float(limits['unbalance_pct']):.1f} %, or a load flow that did not converge. "
        f"At risk: within every limit but within {pct} % of one (loading or unbalance at "
        f"{100 - pct} % of its limit or more; voltage within {pct} % of the distance from 1 pu to "
        f"the band edge), or a limit that this study does not count is broken (e.g. a main "
        f"fuse), or EV charging demand was not met. Within limits: everything else. "
        f"Criteria counted as violations in this study: {counted}."
    )


def traffic_lights(summary: pd.DataFrame, limits: Mapping[str, Any]) -> pd.DataFrame:
    """Status per feeder and strategy over the representative rows (all seeds).

    Returns
    -------
    pandas.DataFrame
        Columns ``feeder, strategy, status`` (``ok | risk | violated``), ``label`` and ``why``
        (short planner text), one row per feeder × strategy.
    """
    rows = representative_rows(summary)
    out = []
    for (feeder, strategy), group in rows.groupby(["feeder", "strategy"], sort=False):
        records = group.to_dict("records")
        n = len(records)
        violated = [r for r in records if _row_violated(r, limits)]
        if violated:
            reasons = _labelled_reasons(
                violated, lambda r: violation_reasons(r, limits) or ["a violation criterion"], n
            )
            how_often = "" if n == 1 else f" in {len(violated)} of {n} runs"
            status, why = "violated", "; ".join(reasons[:3]) + how_often + _first_hit(violated)
        else:
            risks = _labelled_reasons(records, lambda r: _risk_reasons(r, limits), n)
            status = "risk" if risks else "ok"
            why = "; ".join(risks[:3]) if risks else "all limits kept with margin"
        out.append(
            {
                "feeder": feeder,
                "strategy": strategy,
                "status": status,
                "label": STATUS_LABELS[status],
                "why": why,
            }
        )
    frame = pd.DataFrame(out, columns=["feeder", "strategy", "status", "label", "why"])
    return frame


def _labelled_reasons(records: list[Mapping[str, Any]], reasons_of, n_runs: int) -> list[str]:
    """Each distinct reason once; with several draws, labelled with the draws it comes from
    (``"... (draws 0, 3)"``), so that one draw's numbers are never read as another's."""
    found: dict[str, list[str]] = {}
    for record in records:
        draw = record.get("seed")
        label = "?" if draw is None or pd.isna(draw) else str(int(draw))
        for reason in reasons_of(record):
            draws = found.setdefault(reason, [])
            if label not in draws:
                draws.append(label)
    if n_runs <= 1:
        return list(found)
    return [
        f"{reason} (draw{'s' if len(draws) > 1 else ''} {', '.join(draws)})"
        for reason, draws in found.items()
    ]


def _first_hit(rows: list[Mapping[str, Any]]) -> str:
    """ " — first: <criterion> at <element>, <time>" from the summary, when it says so."""
    for row in rows:
        when = row.get("first_violation_time")
        if when is None or (isinstance(when, float) and np.isnan(when)) or str(when) in ("", "NaT"):
            continue
        try:
            when = pd.Timestamp(when)
            if when.tzinfo is not None:
                when = when.tz_convert("Europe/Stockholm")
            when_text = when.strftime("%Y-%m-%d %H:%M")
        except (TypeError, ValueError):
            when_text = str(when)
        parts = [str(_CRITERION_WORDS.get(str(row.get("first_violation_criterion")), ""))]
        element = row.get("first_violation_element")
        if element is not None and not (isinstance(element, float) and np.isnan(element)):
            parts.append(f"at {element}")
        return " — first: " + " ".join(p for p in parts if p) + f", {when_text}"
    return ""


def _row_violated(row: Mapping[str, Any], limits: Mapping[str, Any]) -> bool:
    flag = _truthy(row.get("violation"))
    if flag is not None:
        return flag or _num(row, "converged_share") < 1.0
    return bool(violation_reasons(row, limits))


@dataclass(frozen=True)
class Metric:
    """One row of the strategy comparison table."""

    label: str
    unit: str
    candidates: tuple[str, ...]
    agg: str = "mean"  # mean | min | max | all
    fmt: str = "{:,.1f}"
    scale: float = 1.0


COMPARISON_METRICS: tuple[Metric, ...] = (
    Metric("EVs", "", ("n_evs",), "mean", "{:,.0f}"),
    Metric("EV share", "% of customers", ("ev_share",), "mean", "{:.0f}", 100.0),
    Metric("Transformer peak", "kW", ("transformer_peak_kw",), "max"),
    Metric("Transformer reverse (export) peak", "kW", ("transformer_reverse_peak_kw",), "max"),
    Metric("Transformer max loading", "%", ("transformer_max_loading_pct",), "max", "{:,.0f}"),
    Metric("Hours transformer above limit", "h", ("transformer_hours_above",), "max"),
    Metric("Transformer energy above limit", "kWh", ("transformer_energy_above_kwh",), "max"),
    Metric("Cable max loading", "%", ("line_max_loading_pct",), "max", "{:,.0f}"),
    Metric("Hours a cable is above limit", "h", ("line_hours_above",), "max"),
    Metric("Lowest customer voltage", "pu", ("v_min_pu",), "min", "{:.3f}"),
    Metric("5th percentile customer voltage", "pu", ("v_p05_pu",), "min", "{:.3f}"),
    Metric("Highest customer voltage", "pu", ("v_max_pu",), "max", "{:.3f}"),
    Metric(
        "Steps with a voltage violation", "%", ("voltage_violation_share",), "max", "{:.2f}", 100.0
    ),
    Metric("Hours with a voltage outside the band", "h", ("voltage_hours_outside",), "max"),
    Metric(
        "Customers with a voltage outside the band",
        "",
        ("customers_outside_band",),
        "max",
        "{:,.0f}",
    ),
    Metric(
        "Steps outside the DSO planning band",
        "%",
        ("planning_band_violation_share",),
        "max",
        "{:.2f}",
        100.0,
    ),
    Metric("EN 50160 compliant", "", ("en50160_compliant",), "all", ""),
    Metric(
        "EN 50160: worst week within the band",
        "% of 10-min values",
        ("en50160_worst_week_share",),
        "min",
        "{:.1f}",
        100.0,
    ),
    Metric("Swedish rule (EIFS 2023:3) compliant", "", ("swedish_rule_compliant",), "all", ""),
    Metric("Max voltage unbalance", "%", ("unbalance_max_pct",), "max", "{:.2f}"),
    Metric("Hours unbalance above limit", "h", ("unbalance_hours_above",), "max"),
    Metric("Max neutral (PEN) current", "A", ("neutral_max_current_a",), "max", "{:,.0f}"),
    Metric(
        "Max neutral (PEN) loading", "% of rating", ("neutral_max_loading_pct",), "max", "{:,.0f}"
    ),
    Metric("Network losses", "kWh", ("losses_kwh",), "mean", "{:,.0f}"),
    Metric("Network losses share of energy", "%", ("losses_share",), "mean", "{:.2f}", 100.0),
    Metric("Highest main-fuse loading", "% of rating", ("fuse_max_loading_pct",), "max", "{:,.0f}"),
    Metric("Customers with a main-fuse overload", "", ("fuse_overloads",), "max", "{:,.0f}"),
    Metric("Hours with a main-fuse overload", "h", ("fuse_hours_above",), "max"),
    Metric("EV energy charged", "kWh", ("ev_charged_kwh",), "mean", "{:,.0f}"),
    Metric(
        "EV energy discharged (V2G throughput)", "kWh", ("ev_discharged_kwh",), "mean", "{:,.0f}"
    ),
    Metric("EV driving energy", "kWh", ("ev_driving_kwh",), "mean", "{:,.0f}"),
    Metric("Unmet EV energy", "kWh", ("ev_unmet_kwh",), "max", "{:,.1f}"),
    Metric("V2G virtual km", "km", ("v2g_virtual_km",), "mean", "{:,.0f}"),
    Metric(
        "Battery degradation per EV (mean)",
        "%",
        ("ev_degradation_mean_pct", "ev_degradation_pct_mean", "degradation_pct_mean"),
        "mean",
        "{:.3f}",
    ),
    Metric("Load-flow steps converged", "%", ("converged_share",), "min", "{:.1f}", 100.0),
)
"""Rows of the strategy comparison table (label, unit, summary column, aggregation over seeds)."""


def _aggregate(values: pd.Series, agg: str) -> Any:
    if agg == "all":
        flags = [_truthy(v) for v in values]
        flags = [f for f in flags if f is not None]
        if not flags:
            return None
        return all(flags)
    numeric = pd.to_numeric(values, errors="coerce").dropna()
    if numeric.empty:
        return None
    return float(getattr(numeric, agg)())


def _format(value: Any, metric: Metric) -> str:
    if value is None:
        return "–"
    if metric.agg == "all":
        return "yes" if value else "no"
    return metric.fmt.format(value * metric.scale)


def comparison_table(summary: pd.DataFrame, feeder: str) -> pd.DataFrame:
    """Strategy comparison of one feeder: metrics as rows, strategies side by side.

    Values are aggregated over the seeds of the representative rows (worst case for extremes,
    mean for energies). Metrics whose summary column is missing are left out; the hours above
    limits (``hours_*`` columns), if present, are added at the end.

    Returns
    -------
    pandas.DataFrame
        Index ``"<label> [unit]"``, one column per strategy, formatted strings.
    """
    rows = representative_rows(summary)
    rows = rows[rows["feeder"] == feeder]
    strategies = order_strategies(rows["strategy"])
    metrics = list(COMPARISON_METRICS)
    known = {c for m in metrics for c in m.candidates}
    for col in rows.columns:
        if "hours" in str(col) and col not in known:
            label = str(col).replace("_", " ")
            metrics.append(Metric(label[:1].upper() + label[1:], "h", (col,), "max", "{:,.1f}"))
    table: dict[str, dict[str, str]] = {}
    for metric in metrics:
        column = next((c for c in metric.candidates if c in rows.columns), None)
        if column is None:
            continue
        label = f"{metric.label} [{metric.unit}]" if metric.unit else metric.label
        table[label] = {}
        for strategy in strategies:
            values = rows.loc[rows["strategy"] == strategy, column]
            table[label][strategy] = _format(_aggregate(values, metric.agg), metric)
    return pd.DataFrame.from_dict(table, orient="index", columns=strategies)


def feeder_answer(
    summary: pd.DataFrame,
    lights: pd.DataFrame,
    feeder: str,
    *,
    hosting_capacity: pd.DataFrame | None = None,
    deferral: pd.DataFrame | None = None,
    forecast: pd.DataFrame | None = None,
    risk: float = 0.05,
) -> str:
    """The one-sentence answer for one feeder (plain text; the template escapes it)."""
    if hosting_capacity is not None and {"feeder", "strategy"} <= set(hosting_capacity.columns):
        col = next(
            (c for c in ("hosting_capacity_share", "hosting_capacity") if c in hosting_capacity),
            None,
        )
        hc = hosting_capacity[hosting_capacity["feeder"] == feeder]
        if col and not hc.empty and "statement" in hc.columns:  # with stated confidence
            parts = [
                f"{strategy}: {hc.loc[hc['strategy'] == strategy, 'statement'].iloc[0]}"
                for strategy in order_strategies(hc["strategy"])
            ]
            return f"{feeder} — " + "; ".join(parts) + "."
        if col and not hc.empty:
            parts = []
            for strategy in order_strategies(hc["strategy"]):
                row = hc[hc["strategy"] == strategy].iloc[0]
                value = pd.to_numeric(pd.Series([row[col]])).iloc[0]
                if pd.isna(value):
                    text = "none of the studied shares"
                elif _truthy(row.get("hosting_capacity_reached")) is False:
                    text = f"at least {value:.0%} EVs (the highest share studied)"
                else:
                    text = f"{value:.0%} EVs"
                parts.append(f"{text} with {strategy}")
            return (
                f"At {risk:.0%} accepted risk of a violation, {feeder} can host "
                + ", ".join(parts)
                + "."
            )
    years = first_violation_years(forecast, deferral, risk)
    if years is not None:
        fy = years[years["feeder"] == feeder]
        if not fy.empty:
            parts = []
            for strategy in order_strategies(fy["strategy"]):
                year = fy.loc[fy["strategy"] == strategy, "first_violation_year"].iloc[0]
                parts.append(
                    f"{strategy}: {'no violation in the studied years' if pd.isna(year) else int(year)}"
                )
            text = f"First year with a violation on {feeder} (estimate): " + "; ".join(parts) + "."
            return text + _safe_years_text(forecast, feeder) + _deferral_text(deferral, feeder)
    rows = representative_rows(summary)
    rows = rows[rows["feeder"] == feeder]
    fl = lights[lights["feeder"] == feeder].set_index("strategy")
    if rows.empty or fl.empty:
        return f"No results for {feeder}."
    strategies = order_strategies(fl.index)
    share = (
        pd.to_numeric(rows.get("ev_share"), errors="coerce").max() if "ev_share" in rows else None
    )
    intro = f"With {share:.0%} EVs, " if share is not None and not pd.isna(share) else ""
    peaks = (
        pd.to_numeric(rows["transformer_peak_kw"], errors="coerce").groupby(rows["strategy"]).max()
        if "transformer_peak_kw" in rows
        else pd.Series(dtype=float)
    )
    phrases = []
    for s in strategies:
        label = fl.loc[s, "label"]
        phrase = f"{s} is {label}"
        if fl.loc[s, "status"] == "violated":
            phrase += f" ({fl.loc[s, 'why'].split(';')[0]})"
        base = peaks.get(strategies[0]) if len(peaks) else None
        if s != strategies[0] and base and s in peaks and base > 0 and not pd.isna(peaks[s]):
            change = 1 - peaks[s] / base
            if abs(change) >= 0.005:
                phrase += (
                    f", peak {'-' if change > 0 else '+'}{abs(change):.0%} "
                    f"({peaks[s]:,.0f} kW vs {base:,.0f} kW)"
                )
        phrases.append(phrase)
    ok = [s for s in strategies if fl.loc[s, "status"] != "violated"]
    verdict = (
        "no strategy breaks a counted limit"
        if len(ok) == len(strategies)
        else ("no strategy keeps the limits" if not ok else f"{ok[0]} is the first that keeps them")
    )
    return f"{intro}" + "; ".join(phrases) + f" — {verdict}." + _control_text(rows)


def _control_text(rows: pd.DataFrame) -> str:
    """ " V1G/V2G: ... foresight, ... coordination." from the summary rows (issue 15)."""
    if "charging_foresight" not in rows or not len(rows):
        return ""
    foresight = str(rows["charging_foresight"].iloc[0])
    coordination = str(rows.get("charging_coordination", pd.Series(["feeder"])).iloc[0])
    plan = (
        "perfect foresight of load and departures — an upper bound of what control can do"
        if foresight == "perfect"
        else "forecast household load and departures (cars leave when they leave)"
    )
    who = (
        "every car chasing its own price and household load, blind to the feeder (the "
        "V1G/V2G peaks above include the herding)"
        if coordination == "household"
        else "one coordinator for the feeder"
    )
    return f" V1G/V2G planned on {plan}, by {who}."


def _safe_years_text(forecast: pd.DataFrame | None, feeder: str) -> str:
    """ " Shown with 95 % confidence: uncontrolled within the risk through 2029; ..." from the
    per-year ``decision`` of ``forecast.csv`` (empty without it)."""
    needed = {"feeder", "strategy", "year", "decision", "confidence"}
    if forecast is None or not needed <= set(forecast.columns):
        return ""
    rows = forecast[forecast["feeder"] == feeder]
    if rows.empty:
        return ""
    parts = []
    for strategy in order_strategies(rows["strategy"]):
        group = rows[rows["strategy"] == strategy].sort_values("year")
        safe = (group["decision"] == "safe").to_numpy()
        leading = int(safe.argmin()) if not safe.all() else len(safe)
        if leading == 0:
            parts.append(f"{strategy} not for any studied year with {group['n'].sum()} draws")
        else:
            year = int(group["year"].iloc[leading - 1])
            parts.append(f"{strategy} within the risk through {year}")
    confidence = float(pd.to_numeric(rows["confidence"]).iloc[0])
    return f" Shown with {confidence:.0%} confidence: " + "; ".join(parts) + "."


def _deferral_text(deferral: pd.DataFrame | None, feeder: str) -> str:
    """ " V1G defers the investment by N years; ..." from ``deferral.csv``."""
    if deferral is None or not {"feeder", "strategy", "deferral_years"} <= set(deferral.columns):
        return ""
    rows = deferral[deferral["feeder"] == feeder]
    parts = []
    for strategy in order_strategies(rows["strategy"]):
        row = rows[rows["strategy"] == strategy].iloc[0]
        years = pd.to_numeric(pd.Series([row["deferral_years"]]), errors="coerce").iloc[0]
        if pd.isna(years):
            continue
        at_least = "at least " if _truthy(row.get("deferral_is_lower_bound")) else ""
        name = strategy.upper() if strategy in ("v1g", "v2g") else strategy
        text = f"{name} defers the grid investment by {at_least}{years:.0f} years"
        if "deferral_years_demonstrated" in row.index:  # with stated confidence
            shown = pd.to_numeric(pd.Series([row["deferral_years_demonstrated"]])).iloc[0]
            level = pd.to_numeric(pd.Series([row.get("deferral_confidence")])).iloc[0]
            level_text = f"{level:.0%}" if not pd.isna(level) else "the stated"
            text += (
                f" (estimate; not demonstrated with {level_text} confidence by these draws)"
                if pd.isna(shown)
                else f" (at least {shown:.0f} years with {level_text} confidence)"
            )
        parts.append(text)
    return (" " + "; ".join(parts) + ".") if parts else ""


def hosting_intro(hosting_capacity: pd.DataFrame | None, risk: float) -> str:
    """What the hosting-capacity section shows, with the confidence of its claims."""
    if hosting_capacity is None or "confidence" not in hosting_capacity.columns:
        return (
            "Probability that any violation criterion is hit, per EV share, over the "
            "Monte-Carlo draws; the band is the 95 % confidence interval. The hosting capacity "
            f"is the largest share whose probability stays at or below {risk:.0%}."
        )
    confidence = float(pd.to_numeric(hosting_capacity["confidence"]).iloc[0])
    return (
        "Probability that any violation criterion is hit, per EV share (EVs per 100 "
        "customers), over the Monte-Carlo draws; the band runs from the lower to the upper "
        f"one-sided {confidence:.0%} Clopper-Pearson bound. The hosting capacity is the "
        f"largest share whose upper bound, and every smaller share's, is at most {risk:.0%}: "
        f"the feeder hosts at least that many EVs with {confidence:.0%} confidence. Where no "
        "share is shown safe it is 'not demonstrated': more draws (study.max_seeds) or a "
        "higher accepted risk are needed, not a smaller number."
    )


def hosting_gain_table(hosting_capacity: pd.DataFrame) -> pd.DataFrame | None:
    """Hosting capacity per feeder and strategy, and the gain of V1G/V2G over uncontrolled.

    A capacity marked "≥" was not reached within the studied shares
    (``hosting_capacity_reached`` false): the feeder takes at least that much. With stated
    confidence (a ``demonstrated`` column) every capacity is a lower bound ("≥ 50 (54 EVs)"),
    "not demonstrated (N draws)" where no share was shown safe, and a gain is "n/a" unless
    both capacities were demonstrated and reached.

    Returns
    -------
    pandas.DataFrame or None
        One row per feeder: ``Hosting capacity <strategy> [EVs per 100 customers]`` per
        strategy and ``Gain of <strategy> over uncontrolled [EVs per 100 customers]``; ``None``
        when the table has no hosting-capacity column.
    """
    col = next(
        (c for c in ("hosting_capacity_share", "hosting_capacity") if c in hosting_capacity),
        None,
    )
    if col is None or not {"feeder", "strategy"} <= set(hosting_capacity.columns):
        return None
    wide = hosting_capacity.pivot_table(
        index="feeder", columns="strategy", values=col, aggfunc="first"
    )
    strategies = order_strategies(wide.columns)
    reached = None
    if "hosting_capacity_reached" in hosting_capacity.columns:
        reached = hosting_capacity.pivot_table(
            index="feeder",
            columns="strategy",
            values="hosting_capacity_reached",
            aggfunc=lambda v: _truthy(v.iloc[0]) is not False,
        )
    out = pd.DataFrame(index=wide.index)
    shown = None  # with stated confidence: only demonstrated capacities are numbers
    if "demonstrated" in hosting_capacity.columns:
        shown = hosting_capacity.pivot_table(
            index="feeder",
            columns="strategy",
            values="demonstrated",
            aggfunc=lambda v: bool(_truthy(v.iloc[0])),
        )
        evs = None
        if "hosting_capacity_evs" in hosting_capacity.columns:
            evs = hosting_capacity.pivot_table(
                index="feeder", columns="strategy", values="hosting_capacity_evs", aggfunc="first"
            )
        draws = hosting_capacity.pivot_table(
            index="feeder",
            columns="strategy",
            values="draws_total" if "draws_total" in hosting_capacity else col,
            aggfunc="first",
        )
    for s in strategies:
        texts = []
        for feeder, v in wide[s].items():
            if pd.isna(v):
                texts.append("–")
                continue
            if shown is not None and not bool(shown.at[feeder, s]):
                texts.append(f"not demonstrated ({draws.at[feeder, s]:.0f} draws)")
                continue
            open_ended = reached is not None and not bool(reached.at[feeder, s])
            text = f"≥ {100 * v:.0f}" if shown is not None or open_ended else f"{100 * v:.0f}"
            if shown is not None and evs is not None and not pd.isna(evs.at[feeder, s]):
                text += f" ({evs.at[feeder, s]:.0f} EVs)"
            if shown is not None and open_ended:
                text += ", the highest share tested"
            texts.append(text)
        out[f"Hosting capacity {s} [EVs per 100 customers]"] = texts
    for extra, label in (
        ("first_violation_share", "first violating draw"),
        ("all_violate_share", "every draw violates"),
    ):
        if extra in hosting_capacity.columns and "uncontrolled" in strategies:
            sub = hosting_capacity[hosting_capacity["strategy"] == "uncontrolled"]
            sub = sub.set_index("feeder")
            top = sub["highest_share_drawn"] if "highest_share_drawn" in sub else None
            texts = []
            for feeder in out.index:
                v = sub[extra].get(feeder, np.nan)
                drawn = np.nan if top is None else top.get(feeder, np.nan)
                if pd.notna(v):
                    texts.append(f"{100 * v:.0f}")
                else:  # none among the shares drawn (ordered: none drawn above the first)
                    texts.append("–" if pd.isna(drawn) else f"none up to {100 * drawn:.0f}")
            out[f"Uncontrolled: {label} [EVs per 100 customers]"] = texts
    if "uncontrolled" in wide.columns:
        for s in strategies:
            if s == "uncontrolled":
                continue
            gain = 100 * (wide[s] - wide["uncontrolled"])
            if reached is not None:  # an open-ended capacity has no gain to state
                ends = reached[s] & reached["uncontrolled"]
                if shown is not None:
                    ends &= shown[s] & shown["uncontrolled"]
                gain = gain.where(ends.reindex(gain.index).astype(bool))
            out[f"Gain of {s} over uncontrolled [EVs per 100 customers]"] = gain.map(
                lambda v: "n/a" if pd.isna(v) else f"{v:+.0f}"
            )
    out.index.name = "Feeder"
    return out


def hosting_criteria_table(hosting_capacity: pd.DataFrame) -> pd.DataFrame | None:
    """Hosting capacity per violation criterion (``hosting_capacity_share_<criterion>``).

    Shows which limit binds first. Returns ``None`` when the table has no such columns.
    """
    prefix = "hosting_capacity_share_"
    cols = [c for c in hosting_capacity.columns if str(c).startswith(prefix)]
    if not cols or not {"feeder", "strategy"} <= set(hosting_capacity.columns):
        return None
    out = hosting_capacity[["feeder", "strategy"]].copy()
    for col in cols:
        words = _CRITERION_WORDS.get(col[len(prefix) :], col[len(prefix) :].replace("_", " "))
        out[f"{words[:1].upper() + words[1:]} [EVs per 100 customers]"] = pd.to_numeric(
            hosting_capacity[col], errors="coerce"
        ).map(lambda v: "–" if pd.isna(v) else f"{100 * v:.0f}")
    out = out.rename(columns={"feeder": "Feeder", "strategy": "Strategy"})
    return out.set_index("Feeder")


def first_violation_years(
    forecast: pd.DataFrame | None, deferral: pd.DataFrame | None, risk: float = 0.05
) -> pd.DataFrame | None:
    """First year of violation per feeder and strategy.

    From ``forecast.csv`` when it has probabilities (the first year whose violation
    probability exceeds ``risk``), else from ``deferral.csv`` (``first_violation_year`` per
    strategy; uncontrolled from ``uncontrolled_first_violation_year``).

    Returns
    -------
    pandas.DataFrame or None
        Columns ``feeder, strategy, first_violation_year`` (NaN: no violation in the studied
        years).
    """
    if forecast is not None and {"feeder", "strategy", "year"} <= set(forecast.columns):
        if "probability" in forecast.columns:
            hit = pd.to_numeric(forecast["probability"], errors="coerce") > risk
        elif "violation" in forecast.columns:
            hit = forecast["violation"].map(lambda v: bool(_truthy(v)))
        else:
            hit = None
        if hit is not None:
            rows = []
            for (feeder, strategy), group in forecast.assign(_hit=hit).groupby(
                ["feeder", "strategy"], sort=False
            ):
                years = pd.to_numeric(group.loc[group["_hit"], "year"], errors="coerce")
                rows.append(
                    {
                        "feeder": feeder,
                        "strategy": strategy,
                        "first_violation_year": years.min() if not years.empty else np.nan,
                    }
                )
            return pd.DataFrame(rows)
    if deferral is not None and {"feeder", "strategy", "first_violation_year"} <= set(deferral):
        out = deferral[["feeder", "strategy", "first_violation_year"]].copy()
        if (
            "uncontrolled_first_violation_year" in deferral.columns
            and not (out["strategy"] == "uncontrolled").any()
        ):
            base = deferral.groupby("feeder", sort=False)[
                "uncontrolled_first_violation_year"
            ].first()
            extra = pd.DataFrame(
                {
                    "feeder": base.index,
                    "strategy": "uncontrolled",
                    "first_violation_year": base.to_numpy(),
                }
            )
            out = pd.concat([extra, out], ignore_index=True)
        return out
    return None
