"""HTML report of a study: plotly figures and a self-contained HTML file.

``build_report(outdir)`` reads a study's output folder and writes ``outdir/report.html``;
:mod:`gridv2x.report.figures` holds the figure functions (DataFrames in, plotly Figure out),
usable from Python too.
"""

from gridv2x.report.html import build_report, render_report
from gridv2x.report.load import ReportData, load_results

__all__ = ["build_report", "render_report", "load_results", "ReportData"]
