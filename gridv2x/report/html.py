"""Assemble the self-contained HTML report of a study's output folder.

:func:`build_report` reads the output folder (``docs/architecture.md``, "Results store"),
builds the figures of :mod:`gridv2x.report.figures` and renders the Jinja2 template
``templates/report.html.j2`` with autoescaping. The file embeds ONE copy of plotly.js and
requests nothing from outside (no CDN, no MathJax, no web fonts, no map tiles), so it opens
offline and can be attached to an e-mail.

The sections come from :mod:`gridv2x.report.feeder_section` (one per feeder) and
:mod:`gridv2x.report.study_sections` (study-wide), built from the blocks of
:mod:`gridv2x.report.blocks`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from gridv2x import results
from gridv2x.report import assess
from gridv2x.report.blocks import _FigureCounter, _Table
from gridv2x.report.csp import lock_scripts
from gridv2x.report.feeder_section import SYNTHETIC_PRICE_CAVEAT, _feeder_section, _synthetic_prices
from gridv2x.report.load import ReportData, load_results
from gridv2x.report.study_sections import _area_section, _study_sections

__all__ = ["build_report", "render_report", "REPORT_NAME"]

REPORT_NAME = results.REPORT_FILE
MAX_TASK_ROWS = 500
"""Rows of the "all tasks" table embedded in the report (the full table is summary.csv)."""


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key, sub in value.items():
            out.extend(_flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        out = []
        for i, sub in enumerate(value):
            out.extend(_flatten(sub, f"{prefix}[{i}]"))
        return out
    if isinstance(value, list):
        return [(prefix, ", ".join(str(v) for v in value))]
    return [(prefix, "" if value is None else str(value))]


def _nonconverged(summary: pd.DataFrame) -> list[str]:
    if "converged_share" not in summary.columns:
        return []
    share = pd.to_numeric(summary["converged_share"], errors="coerce")
    bad = summary[share < 1.0]
    out = []
    for _, row in bad.iterrows():
        bits = [f"{row['feeder']} / {row['strategy']}"]
        for key in ("seed", "ev_share"):
            if key in row and pd.notna(row[key]):
                bits.append(f"{key} {row[key]}")
        bits.append(f"{100 * (1 - float(row['converged_share'])):.2f} % of steps not converged")
        out.append(", ".join(bits))
    return out


def _failures(provenance: dict) -> list[str]:
    failures = provenance.get("failures") if isinstance(provenance, dict) else None
    if isinstance(failures, dict):
        return [
            f"{task}: {str(msg).splitlines()[-1] if msg else ''}" for task, msg in failures.items()
        ]
    if isinstance(failures, list):
        return [str(f) for f in failures]
    return []


def _representative_weeks(summary: pd.DataFrame, period: dict) -> dict[str, Any] | None:
    """The note on a study run on representative weeks: which weeks, and what that means.

    Returns ``None`` for a study over its whole period (no ``simulated_weeks`` column).
    """
    if "simulated_weeks" not in summary.columns:
        return None
    rows = summary[summary["simulated_weeks"].notna()]
    if rows.empty:
        return None
    n_weeks = period.get("representative_weeks") or "some"
    rule = period.get("week_selection", "peak")
    how = {
        "peak": "the weeks with the highest feeder base-load peak",
        "spread": "one typical week (median mean base load) per equal block of the period",
    }.get(str(rule), str(rule))
    text = (
        f"This study simulated {n_weeks} calendar weeks (Monday to Monday) of each draw instead "
        f"of the whole period: {how}, chosen from the draw's household load (rule "
        f"'{rule}'). Peaks, voltages and violations are over these weeks; energy totals and "
        "hours (losses, EV energy, hours above limits) are sums over the simulated weeks, not "
        "the year (summary column period_weight gives the scale; an estimate for the whole "
        "period only with rule 'spread'). Error against the full year: "
        "docs/representative-weeks.md. Weeks simulated (Monday, ISO week, draws that chose it):"
    )
    items = []
    for feeder, group in rows.groupby("feeder", sort=False):
        draws = group.drop_duplicates(subset=[c for c in ("seed",) if c in group.columns])
        counts: dict[str, int] = {}
        for value in draws["simulated_weeks"].astype(str):
            for week in value.split(";"):
                week = week.strip()
                if week:
                    counts[week] = counts.get(week, 0) + 1
        weeks = ", ".join(
            f"{week} (W{pd.Timestamp(week).isocalendar()[1]:02d}, {count} of {len(draws)})"
            for week, count in sorted(counts.items())
        )
        items.append(f"{feeder}: {weeks}")
    return {"text": text, "items": items}


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("gridv2x.report", "templates"),
        autoescape=select_autoescape(["html", "j2", "html.j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(data: ReportData) -> str:
    """Render the report of already loaded results to an HTML string.

    Parameters
    ----------
    data : gridv2x.report.load.ReportData
        Results read with :func:`gridv2x.report.load.load_results`.

    Returns
    -------
    str
        The complete, self-contained HTML document.
    """
    from plotly.offline import get_plotlyjs

    import gridv2x

    fig = _FigureCounter(data.notes)
    summary = data.summary
    limits = data.limits
    feeders = list(dict.fromkeys(summary["feeder"]))
    lights = assess.traffic_lights(summary, limits)
    strategies = assess.order_strategies(summary["strategy"])
    light_rows = []
    for feeder in feeders:
        fl = lights[lights["feeder"] == feeder].set_index("strategy")
        cells = [
            fl.loc[s].to_dict() | {"strategy": s} if s in fl.index else None for s in strategies
        ]
        light_rows.append(
            {
                "feeder": feeder,
                "cells": cells,
                "answer": assess.feeder_answer(
                    summary,
                    lights,
                    feeder,
                    hosting_capacity=data.hosting_capacity,
                    deferral=data.deferral,
                    forecast=data.forecast,
                    risk=data.risk,
                ),
            }
        )
    area, detail = _area_section(data, fig, feeders)
    study_sections = ([area] if area else []) + _study_sections(data, fig, detail)
    feeder_sections = [_feeder_section(data, f, i, fig) for i, f in enumerate(detail)]

    scenario = data.scenario if isinstance(data.scenario, dict) else {}
    period = scenario.get("period")
    period = period if isinstance(period, dict) else {}
    extra_cols = [c for c in summary.columns if c not in ("task_id",) and not c.startswith("_")]
    shown = summary[extra_cols].head(MAX_TASK_ROWS)
    caption = "Every task of the study (summary.csv)"
    if len(summary) > MAX_TASK_ROWS:
        caption = f"The first {MAX_TASK_ROWS} of {len(summary)} tasks (all are in summary.csv)"
    if "ev_energy_cost_sek" in summary.columns and _synthetic_prices(data):
        caption += f". ev_energy_cost_sek: {SYNTHETIC_PRICE_CAVEAT}"
    all_rows = _Table(
        caption=caption,
        header=[str(c) for c in extra_cols],
        rows=[
            ["" if pd.isna(v) else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in row]
            for row in shown.itertuples(index=False)
        ],
        first_is_label=False,
    )
    rep = assess.representative_rows(summary)
    light_caption = "Status per feeder and charging strategy"
    for column, fmt in (
        ("ev_share_target", "{:.0%} of customers with an EV"),
        ("year", "year {:.0f}"),
    ):
        if column in rep.columns and pd.to_numeric(rep[column], errors="coerce").notna().any():
            levels = pd.to_numeric(rep[column], errors="coerce").dropna().unique()
            light_caption += (
                " at the most stressed level studied ("
                + ", ".join(fmt.format(v) for v in sorted(levels))
                + ")"
            )
            break
    context = {
        "light_caption": light_caption,
        "title": str(scenario.get("name") or data.outdir.name),
        "description": str(scenario.get("description") or ""),
        "kind": data.kind,
        "period": period,
        "weeks_note": _representative_weeks(summary, period),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": getattr(gridv2x, "__version__", "?"),
        "strategies": strategies,
        "light_rows": light_rows,
        "rule_text": assess.status_rule_text(limits),
        "nonconverged": _nonconverged(summary),
        "failures": _failures(data.provenance),
        "study_sections": study_sections,
        "feeder_sections": feeder_sections,
        "all_rows": all_rows,
        "provenance": _flatten(data.provenance) if data.provenance else [],
        "scenario_text": data.scenario_text,
        "notes": data.notes,
        "plotlyjs": Markup(get_plotlyjs()),
        "n_figures": fig.n,
    }
    html = _environment().get_template("report.html.j2").render(**context)
    return lock_scripts(html)  # CSP: only the report's own inline scripts run (by hash)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def build_report(outdir: str | os.PathLike[str]) -> Path:
    """Build ``outdir/report.html`` from a study's stored results, without rerunning anything.

    Parameters
    ----------
    outdir : str or os.PathLike
        Output folder of ``gridv2x run`` (``summary.csv``, ``results/``, ... as in
        ``docs/architecture.md``). Missing optional pieces (hosting-capacity tables, geodata,
        fleet data, per-task parquet files) leave their section out with a short note.

    Returns
    -------
    pathlib.Path
        Path of the written ``report.html`` (self-contained: one embedded plotly.js, no request
        to anything outside the file).

    Raises
    ------
    gridv2x.errors.InputError
        If ``outdir`` holds no ``summary.csv``.
    """
    outdir = Path(outdir)
    html_text = render_report(load_results(outdir))
    target = outdir / REPORT_NAME
    # write atomically: a reader never sees half a report, an old report survives a failure
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=outdir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html_text)
        os.chmod(tmp, 0o666 & ~_umask())  # a normal readable file, not mkstemp's 0600
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
