"""build_report: self-contained, escaped, tolerant of missing optional files, small."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from gridv2x.errors import InputError
from gridv2x.report import build_report
from tests.report.synthetic import EVIL, write_synthetic_outdir

PLOTLY_BANNER = re.compile(r"plotly\.js v\d+\.\d+\.\d+")
OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def _figure_divs(html: str) -> int:
    return len(re.findall(r'<div id="fig-\d+" class="plotly-graph-div"', html))


def _check_self_contained(html: str) -> None:
    from plotly.offline import get_plotlyjs

    plotlyjs = get_plotlyjs()
    assert html.count(plotlyjs) == 1, "exactly one embedded copy of plotly.js"
    assert len(PLOTLY_BANNER.findall(html)) == 1
    html = html.replace(plotlyjs, "")  # plotly.js's own code (map tiles it never loads here)
    assert not OUTSIDE.search(html), "no src/href pointing outside the file"
    assert "cdn.plot.ly" not in html
    assert "<link " not in html, "no external style sheets"
    assert "@import" not in html and "@font-face" not in html
    assert (
        '"mapbox"' not in html and "scattermapbox" not in html and '"type":"scattergeo"' not in html
    )


def test_quickstart_report(quickstart_outdir: Path) -> None:
    t0 = time.perf_counter()
    path = build_report(quickstart_outdir)
    seconds = time.perf_counter() - t0
    assert path == quickstart_outdir / "report.html"
    mask = os.umask(0o022)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # a normal file, not mkstemp's 0600
    html = path.read_text(encoding="utf-8")
    _check_self_contained(html)
    n = _figure_divs(html)
    assert n >= 8, f"expected the main figures, found {n}"
    assert html.count("Plotly.newPlot(") == n
    for section in ('id="summary"', 'id="comparison"', 'id="provenance"', "traffic-lights"):
        assert section in html
    for label in ("Transformer peak [kW]", "Lowest customer voltage [pu]", "EN 50160 compliant"):
        assert label in html
    # the <script> put into the description is shown as text, never as markup
    assert EVIL not in html
    assert "&lt;script&gt;window.__pwned" in html
    assert "could not be drawn" not in html
    assert path.stat().st_size < 8e6
    assert seconds < 30


def test_escaping_of_all_scenario_text(synthetic_outdir: Path) -> None:
    html = build_report(synthetic_outdir).read_text(encoding="utf-8")
    assert EVIL not in html
    assert "<i>study</i>" not in html and "&lt;i&gt;study&lt;/i&gt;" in html
    assert "rural-<b>&x" not in html
    assert "rural-&lt;b&gt;&amp;x" in html  # feeder name in tables and headings
    # in figure JSON the feeder name is HTML-escaped for plotly and JSON-escaped for <script>;
    # the dash is raw or \u2013 depending on plotly's JSON engine (orjson or the standard one)
    assert re.search(r'Transformer loading over time (–|\\u2013) rural-&lt;b&gt;&amp;x"', html)
    assert "<b>not bold</b>" not in html  # provenance values too
    assert "could not be drawn" not in html


def test_missing_optional_pieces_only_omit_sections(tmp_path: Path) -> None:
    out = write_synthetic_outdir(tmp_path / "run", geo=False, fleet=False, provenance=False)
    (out / "scenario.resolved.yaml").unlink()
    shutil.rmtree(out / "results" / "se-suburban-villa-v1g-s0-e30")
    (out / "results" / "se-suburban-villa-v2g-s0-e30" / "soc.parquet").unlink()
    html = build_report(out).read_text(encoding="utf-8")
    assert "geojson missing: feeder map omitted" in html
    assert "driving statistics omitted" in html
    assert "provenance.json is missing" in html
    assert "scenario.resolved.yaml is missing" in html
    assert "No stored results for v1g" in html
    assert _figure_divs(html) >= 4  # loading, duration, heat map, envelope still drawn


def test_summary_only(tmp_path: Path) -> None:
    out = write_synthetic_outdir(tmp_path / "run")
    shutil.rmtree(out / "results")
    html = build_report(out).read_text(encoding="utf-8")
    assert "Executive summary" in html and "No stored per-task results" in html
    assert _figure_divs(html) == 0


def test_no_summary_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="summary.csv"):
        build_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_nonconverged_steps_are_flagged(tmp_path: Path) -> None:
    out = write_synthetic_outdir(tmp_path / "run", nonconverged=True)
    html = build_report(out).read_text(encoding="utf-8")
    assert 'id="nonconverged"' in html
    assert "load flow did not converge" in html
    ok = write_synthetic_outdir(tmp_path / "ok")
    assert 'id="nonconverged"' not in build_report(ok).read_text(encoding="utf-8")


def test_hosting_capacity_sections(tmp_path: Path) -> None:
    out = write_synthetic_outdir(
        tmp_path / "hc", kind="hosting_capacity", ev_shares=(0.1, 0.3, 0.5, 0.7), seeds=2, days=2
    )
    html = build_report(out).read_text(encoding="utf-8")
    assert 'id="hosting-capacity"' in html
    # issue 16 (contract change): shares in EVs per 100 customers
    assert "Gain of v2g over uncontrolled [EVs per 100 customers]" in html
    assert "can host" in html  # the one-sentence answer uses the hosting capacity
    assert (
        "Detail charts show the lowest seed at the highest EV share drawn for every strategy (70% of"
        in html
    )
    assert "95 % confidence interval" in html  # band from probability_low / probability_high


def test_forecast_sections(tmp_path: Path) -> None:
    out = write_synthetic_outdir(
        tmp_path / "fc", kind="adoption_forecast", ev_shares=(0.2, 0.4), days=2
    )
    html = build_report(out).read_text(encoding="utf-8")
    assert 'id="forecast"' in html
    assert "First year with a violation" in html
    assert "Deferral of investment [years]" in html


def test_year_long_multi_feeder_report_stays_small(tmp_path: Path) -> None:
    """A full year at 15 min, 4 feeders x 3 strategies x 50 customers: well under 20 MB."""
    out = write_synthetic_outdir(
        tmp_path / "year",
        feeders=("f-a", "f-b", "f-c", "f-d"),
        days=365,
        n_customers=50,
        fleet=True,
    )
    t0 = time.perf_counter()
    size = build_report(out).stat().st_size
    seconds = time.perf_counter() - t0
    print(f"year-long 4-feeder report: {size / 1e6:.1f} MB in {seconds:.1f} s")
    assert size < 12e6, f"{size / 1e6:.1f} MB"
    assert seconds < 40


def test_a_malformed_optional_input_costs_one_chart(tmp_path: Path) -> None:
    out = write_synthetic_outdir(tmp_path / "run")
    geo_path = out / "results" / "feeders" / "se-suburban-villa.geojson"
    geo = json.loads(geo_path.read_text())
    line = next(f for f in geo["features"] if f["properties"]["kind"] == "line")
    line["geometry"]["coordinates"] = [["a", "b"], ["c", "d"]]
    geo_path.write_text(json.dumps(geo))
    html = build_report(out).read_text(encoding="utf-8")
    assert "Chart feeder_map_figure for se-suburban-villa could not be drawn (ValueError" in html
    assert _figure_divs(html) >= 8  # every other chart is still there


def test_empty_and_unreadable_summary(tmp_path: Path) -> None:
    (tmp_path / "header").mkdir()
    (tmp_path / "header" / "summary.csv").write_text("feeder,strategy,seed\n")
    html = build_report(tmp_path / "header").read_text(encoding="utf-8")
    assert "summary.csv has no rows" in html
    (tmp_path / "blank").mkdir()
    (tmp_path / "blank" / "summary.csv").write_text("")
    with pytest.raises(InputError, match="cannot be read as CSV"):
        build_report(tmp_path / "blank")
