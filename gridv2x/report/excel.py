"""An Excel workbook of a study's results, for planners who work in Excel.

``results.xlsx`` in the output folder holds one sheet per table the study wrote: ``summary``
(mean of the draws per feeder and strategy), ``hosting_capacity``, ``area`` (substations
ranked, :mod:`gridv2x.report.area`), ``violation_probability``, ``forecast``, ``deferral``
and ``tasks`` (every task's summary row). Numbers are stored as numbers (Excel shows them
with the reader's decimal mark); the column names are those of the CSV files
(docs/architecture.md explains them).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gridv2x import results
from gridv2x.errors import InputError

__all__ = ["write_excel", "EXCEL_NAME"]

EXCEL_NAME = results.EXCEL_FILE
_TABLES = ("hosting_capacity", "area", "violation_probability", "forecast", "deferral")
_MAX_ROWS = 1_048_575  # Excel's row limit less the header


def write_excel(outdir: str | Path) -> Path:
    """Write ``outdir/results.xlsx`` from the study's CSV tables (module docstring).

    Raises
    ------
    gridv2x.errors.InputError
        If ``outdir`` holds no ``summary.csv``.
    """
    outdir = Path(outdir)
    summary_path = outdir / "summary.csv"
    if not summary_path.is_file():
        raise InputError(f"{outdir}: no summary.csv; run the study first")
    tasks = pd.read_csv(summary_path)
    sheets: dict[str, pd.DataFrame] = {}
    group = [c for c in ("feeder", "strategy", "ev_share_target", "year") if c in tasks.columns]
    if group:
        means = tasks.groupby(group, sort=False).mean(numeric_only=True).reset_index()
        sheets["summary"] = means.drop(columns=[c for c in ("seed", "draw") if c in means])
    for name in _TABLES:
        path = outdir / f"{name}.csv"
        if path.is_file():
            sheets[name] = pd.read_csv(path)
    sheets["tasks"] = tasks.head(_MAX_ROWS)
    target = outdir / EXCEL_NAME
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "B2"
            for k, column in enumerate(frame.columns):
                width = min(40, max(8, len(str(column)) + 2))
                sheet.column_dimensions[sheet.cell(1, k + 1).column_letter].width = width
    return target
