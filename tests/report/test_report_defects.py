"""Report defects seen in a browser (issue 13, item 10): gaps of representative weeks stay
visible, the base-load duration legend holds dwelling types only, strategy buttons clear
plotly's toolbar, the first-violation-year chart shows every strategy, the strategy table
appears once, several draws' reasons carry their draw, and costs from the shipped synthetic
prices carry a caveat."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridv2x.report import build_report
from gridv2x.report.assess import traffic_lights
from gridv2x.report.figures import (
    base_load_duration_figure,
    first_violation_year_figure,
    transformer_loading_figure,
    voltage_heatmap_figure,
)
from gridv2x.report.html import SYNTHETIC_PRICE_CAVEAT
from tests.report.browser import CHROMEDRIVER, CHROMIUM, FLAGS, require_browser
from tests.report.synthetic import write_synthetic_outdir

KEPT_DAYS = (range(0, 7), range(42, 49))  # two weeks, five weeks apart (representative weeks)


def _gappy_outdir(root: Path) -> Path:
    """A 49-day synthetic study of which only two weeks were simulated (as representative
    weeks store them), with the base-load duration curves in the layout the study writes."""
    out = write_synthetic_outdir(root, days=49, n_customers=10)
    days = pd.date_range("2030-01-01", periods=49, freq="D")
    kept = set().union(*(set(days[list(r)].date) for r in KEPT_DAYS))
    for folder in (out / "results").iterdir():
        ts_path = folder / "timeseries.parquet"
        if ts_path.is_file():
            ts = pd.read_parquet(ts_path)
            local = ts.index.tz_convert("Europe/Stockholm") if ts.index.tz else ts.index
            ts[np.isin(local.date, list(kept))].to_parquet(ts_path)
            vd = pd.read_parquet(folder / "voltage_daily.parquet")
            vd[np.isin(pd.DatetimeIndex(vd.index).date, list(kept))].to_parquet(
                folder / "voltage_daily.parquet"
            )
    share = np.linspace(0, 1, 50)
    curves = pd.DataFrame(
        {
            "villa / heat_pump": 6 * (1 - share) ** 3 + 0.4,
            "apartment / none": 2 * (1 - share) + 0.2,
        },
        index=pd.Index(share, name="share_of_time"),
    )
    for path in (out / "results" / "fleet").glob("*-base_load.parquet"):
        curves.reset_index().to_parquet(path)  # share_of_time as a column, as the study stores it
    return out


def _series(days: list[range]) -> dict[str, pd.DataFrame]:
    index = pd.date_range("2030-01-01", periods=49 * 96, freq="15min", tz="Europe/Stockholm")
    keep = np.zeros(len(index), bool)
    for r in days:
        keep[r.start * 96 : r.stop * 96] = True
    frame = pd.DataFrame({"transformer_loading_pct": 50.0 + np.arange(len(index)) % 7}, index)
    return {"uncontrolled": frame[keep], "v1g": frame[keep] * 0.9}


def test_loading_over_time_breaks_its_lines_at_the_gap():
    fig = transformer_loading_figure(_series(list(KEPT_DAYS)), feeder="f")
    for trace in fig.data:
        y = np.asarray(trace.y, dtype=float)
        assert np.isnan(y).sum() == 1  # one break between the two weeks
        x = pd.to_datetime(list(trace.x))
        gap_at = int(np.flatnonzero(np.isnan(y))[0])
        assert (
            x[gap_at - 1] < pd.Timestamp("2030-01-08") < pd.Timestamp("2030-02-11") < x[gap_at + 1]
        )


def test_loading_over_time_of_a_whole_period_has_no_break():
    fig = transformer_loading_figure(_series([range(0, 49)]), feeder="f")
    assert not any(np.isnan(np.asarray(t.y, dtype=float)).any() for t in fig.data)


def test_heat_map_shows_simulated_days_as_categories_with_the_gap_marked():
    index = pd.DatetimeIndex(
        [d for r in KEPT_DAYS for d in pd.date_range("2030-01-01", periods=49)[list(r)]]
    )
    daily = pd.DataFrame({"c1": 0.95, "c2": 0.97}, index=index)
    fig = voltage_heatmap_figure({"uncontrolled": daily, "v1g": daily}, feeder="f")
    assert fig.layout.xaxis.type == "category"
    labels = list(fig.data[0].x)
    assert labels[7] == "… 35 days not simulated …" and len(labels) == 15
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.isnan(z[:, 7]).all() and not np.isnan(np.delete(z, 7, axis=1)).any()


@pytest.mark.parametrize("as_column", [True, False])
def test_duration_legend_holds_dwelling_types_only(as_column):
    share = np.linspace(0, 1, 20)
    curves = pd.DataFrame(
        {"villa / none": 3 * (1 - share), "farm / heat_pump": 5 * (1 - share)},
        index=pd.Index(share, name="share_of_time"),
    )
    fig = base_load_duration_figure(curves.reset_index() if as_column else curves, feeder="f")
    assert [t.name for t in fig.data] == ["villa / none", "farm / heat_pump"]
    assert list(fig.data[0].x)[-1] == pytest.approx(100.0)


def test_first_violation_year_shows_equal_years_side_by_side():
    years = pd.DataFrame(
        {
            "feeder": ["a-long-feeder-name-of-a-dso", "a-long-feeder-name-of-a-dso", "b", "b"],
            "strategy": ["v1g", "v2g", "v1g", "v2g"],
            "first_violation_year": [2035, 2035, np.nan, np.nan],
        }
    )
    fig = first_violation_year_figure(years, last_year=2045)
    v1g, v2g = (np.asarray(t.y, dtype=float) for t in fig.data)
    assert (np.abs(v1g - v2g) > 0.1).all()  # never drawn on top of each other
    assert fig.layout.yaxis.automargin and list(fig.layout.yaxis.ticktext)[0].startswith("a-long")


def test_each_draw_reason_is_labelled_with_its_draw():
    base = {"feeder": "f", "strategy": "v1g", "violation": False, "converged_share": 1.0}
    rows = pd.DataFrame(
        [
            {**base, "seed": 0, "violates_fuse": True, "fuse_overloads": 4},
            {**base, "seed": 1, "violates_fuse": True, "fuse_overloads": 6},
        ]
    )
    from gridv2x.report.load import DEFAULT_LIMITS

    limits = {**DEFAULT_LIMITS, "criteria": ["voltage"]}
    why = traffic_lights(rows, limits)["why"][0]
    assert "(draw 0)" in why and "(draw 1)" in why


def test_strategy_table_once_and_cost_caveat(tmp_path):
    import yaml

    out = write_synthetic_outdir(tmp_path / "out", days=2)
    resolved = out / "scenario.resolved.yaml"
    scenario = yaml.safe_load(resolved.read_text())
    html = build_report(out).read_text()
    assert html.count("Strategies side by side (worst case") == 1
    assert "synthetic SE3 price example" not in html  # no prices in the scenario: no claim
    resolved.write_text(yaml.safe_dump({**scenario, "charging": {"price_file": None}}))
    html = build_report(out).read_text()
    assert SYNTHETIC_PRICE_CAVEAT.split(":")[0] in html
    resolved.write_text(yaml.safe_dump({**scenario, "charging": {"price_file": "/p.csv"}}))
    assert "synthetic SE3 price example" not in build_report(out).read_text()


@pytest.mark.browser
def test_representative_week_gaps_and_legend_in_a_browser(tmp_path):
    require_browser()
    import shutil
    import tempfile
    import time

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    report = build_report(_gappy_outdir(tmp_path / "out"))
    profile = tempfile.mkdtemp(prefix="gridv2x-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        driver.set_page_load_timeout(90)
        driver.get(report.resolve().as_uri())
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            n, drawn = driver.execute_script(
                "const v = document.querySelectorAll('div.plotly-graph-div'); let k = 0;"
                "for (const g of v) { if (g.querySelector('svg.main-svg')) k++; }"
                "return [v.length, k];"
            )
            if n == drawn:
                break
            time.sleep(0.25)
        figures = driver.execute_script(
            "return Array.from(document.querySelectorAll('div.plotly-graph-div')).map(g => ({"
            " id: g.id, title: (g.layout.title && g.layout.title.text) || '',"
            " xtype: g._fullLayout.xaxis.type,"
            " xcats: g._fullLayout.xaxis._categories || [],"
            " lines: Array.from(g.querySelectorAll('.scatterlayer .trace')).map(t =>"
            "   Array.from(t.querySelectorAll('path.js-line')).reduce("
            "     (n, p) => n + (p.getAttribute('d') || '').split('M').length - 1, 0)),"
            " legend: Array.from(g.querySelectorAll('.legendtext')).map(t => t.textContent),"
            " buttons: Array.from(g.querySelectorAll('.updatemenu-container .updatemenu-button'))"
            "   .map(b => b.getBoundingClientRect().toJSON()),"
            " modebar: (g.querySelector('.modebar') || {getBoundingClientRect: () => null})"
            "   .getBoundingClientRect()}));"
        )
        by_title = {f["title"].split(" – ")[0]: f for f in figures}
        for name in ("Transformer loading over time", "Daily minimum voltage per customer"):
            driver.find_element("id", by_title[name]["id"]).screenshot(
                str(tmp_path / f"{by_title[name]['id']}.png")
            )
        loading = by_title["Transformer loading over time"]
        assert loading["lines"] and all(m >= 2 for m in loading["lines"]), loading["lines"]
        heat = next(f for f in figures if f["title"].startswith("Daily minimum voltage"))
        assert heat["xtype"] == "category"
        assert any("not simulated" in c for c in heat["xcats"])
        duration = next(f for f in figures if f["title"].startswith("Household base load"))
        assert duration["legend"] == ["villa / heat_pump", "apartment / none"]
        assert "share_of_time" not in json.dumps(duration["legend"])
        for f in figures:
            bar = f["modebar"]
            for b in f["buttons"]:
                overlap_x = b["left"] < bar["right"] and bar["left"] < b["right"]
                overlap_y = b["top"] < bar["bottom"] and bar["top"] < b["bottom"]
                assert not (overlap_x and overlap_y), f"{f['title']}: buttons under the toolbar"
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    assert re.search(r"not simulated", report.read_text())
