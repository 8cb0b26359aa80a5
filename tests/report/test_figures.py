"""Figure functions: pure, small for long series, planner-readable, no map tiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from gridv2x.conventions import period_index
from gridv2x.report import figures as figs
from tests.report.synthetic import _feeder_geo


@pytest.fixture(scope="module")
def year_ts() -> dict[str, pd.DataFrame]:
    index = period_index("2030-01-01", 365, "15min")
    rng = np.random.default_rng(0)
    out = {}
    for k, strategy in enumerate(("v2g", "uncontrolled", "v1g")):
        loading = (
            50 + 30 * np.sin(np.arange(len(index)) / 96 * 2 * np.pi) + rng.normal(0, 5, len(index))
        )
        out[strategy] = pd.DataFrame(
            {"transformer_loading_pct": loading * (1 - 0.1 * k), "unbalance_max_pct": 0.0},
            index=index,
        )
    return out


def test_display_aggregate_year_is_daily_max_and_mean(year_ts) -> None:
    s = year_ts["uncontrolled"]["transformer_loading_pct"]
    agg, period = figs.display_aggregate(s)
    assert period == "day"
    assert len(agg) == 365
    local = s.copy()
    local.index = local.index.tz_convert("Europe/Stockholm").tz_localize(None)
    day = local.loc["2030-03-31"]  # DST day: 92 quarter hours, still one point
    assert agg.loc["2030-03-31", "max"] == pytest.approx(day.max())
    assert agg.loc["2030-03-31", "mean"] == pytest.approx(day.mean())


def test_display_aggregate_short_is_hourly() -> None:
    index = period_index("2030-01-01", 2, "15min")
    agg, period = figs.display_aggregate(pd.Series(np.arange(len(index), dtype=float), index=index))
    assert period == "hour" and len(agg) == 48
    assert agg["max"].iloc[0] == 3.0 and agg["mean"].iloc[0] == 1.5


def test_transformer_loading_figure(year_ts) -> None:
    fig = figs.transformer_loading_figure(year_ts, limit_pct=100.0, feeder="f")
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    # strategies in planner order whatever the input order; max and mean per strategy
    assert names[0].startswith("uncontrolled") and names[2].startswith("v1g")
    assert len(fig.data) == 6 and all(len(t.y) == 365 for t in fig.data)
    assert "[% of rating]" in fig.layout.yaxis.title.text
    assert len(fig.to_json()) < 200_000


def test_duration_curve_is_exact_at_its_ends(year_ts) -> None:
    fig = figs.duration_curve_figure(year_ts, feeder="f")
    trace = fig.data[0]
    values = year_ts["uncontrolled"]["transformer_loading_pct"]
    assert trace.x[0] == 0 and trace.x[-1] == 100
    assert trace.y[0] == pytest.approx(values.max(), abs=0.01)
    assert trace.y[-1] == pytest.approx(values.min(), abs=0.01)
    assert np.all(np.diff(np.asarray(trace.y, dtype=float)) <= 1e-6)  # non-increasing
    assert len(trace.y) <= 400


def test_unbalance_figure_is_none_for_a_balanced_flow(year_ts) -> None:
    assert figs.unbalance_figure(year_ts) is None


def test_heatmap_and_envelope() -> None:
    days = pd.date_range("2030-01-01", periods=30, freq="D", name="day")
    daily = pd.DataFrame(
        np.linspace(0.88, 1.0, 30 * 4).reshape(30, 4), index=days, columns=["a", "b", "c", "<d>"]
    )
    fig = figs.voltage_heatmap_figure({"uncontrolled": daily, "v2g": daily + 0.01}, v_min_pu=0.9)
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert fig.data[0].visible is not False and fig.data[1].visible is False
    assert len(fig.layout.updatemenus[0].buttons) == 2
    assert np.asarray(fig.data[0].z).shape == (4, 30)  # customer x day
    assert "&lt;d&gt;" in list(fig.data[0].y)
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "v_min_pu": [0.91, 0.95],
            "v_max_pu": [1.0, 1.01],
            "v_p05_pu": [0.93, 0.96],
        }
    )
    env = figs.voltage_envelope_figure({"uncontrolled": customers}, v_min_pu=0.9, v_max_pu=1.1)
    bar = env.data[0]
    assert list(np.round(np.asarray(bar.base, dtype=float), 3)) == [0.91, 0.95]
    assert list(
        np.round(np.asarray(bar.y, dtype=float) + np.asarray(bar.base, dtype=float), 3)
    ) == [1.0, 1.01]


def test_feeder_map_is_metres_with_equal_aspect_and_no_tiles() -> None:
    geo, customers = _feeder_geo("f", 6, np.random.default_rng(0))
    elements = pd.DataFrame(
        {
            "element": [f"line {i}" for i in range(6)] + [f"bus {i}" for i in range(7)],
            "index": list(range(6)) + list(range(7)),
            "kind": ["line"] * 6 + ["bus"] * 7,
            "max_loading_pct": [120, 90, 60, 30, 10, 5] + [np.nan] * 7,
            "v_min_pu": [np.nan] * 6 + [1.0, 0.98, 0.96, 0.94, 0.92, 0.91, 0.90],
        }
    )
    cust = customers.assign(v_min_pu=np.linspace(0.97, 0.9, 6), n_evs=[1, 0, 1, 0, 0, 0])
    fig = figs.feeder_map_figure(geo, elements=elements, customers=cust, feeder="f")
    assert {t.type for t in fig.data} == {"scatter"}
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    names = [t.name for t in fig.data]
    assert "cable loading above 100 %" in names and "cable loading 80–100 %" in names
    # lines given in EPSG:4326 are reprojected to SWEREF 99 TM metres (same place as the buses)
    line_x = [x for t in fig.data if t.mode == "lines" for x in t.x if x is not None]
    assert min(line_x) == pytest.approx(geo["features"][0]["properties"]["x"], abs=0.01)
    bus = next(t for t in fig.data if (t.name or "").startswith("bus"))
    assert list(np.round(bus.marker.color, 2))[-1] == 0.90
    assert fig.layout.xaxis.title.text == "Easting, SWEREF 99 TM [m]"


def test_fleet_figures() -> None:
    start = pd.Timestamp("2030-01-01", tz="Europe/Stockholm")
    sessions = pd.DataFrame(
        {
            "ev_id": ["a", "a", "b"],
            "arrival": [
                start + pd.Timedelta(hours=17),
                start + pd.Timedelta(hours=41),
                start + pd.Timedelta(hours=18),
            ],
            "departure": [
                start + pd.Timedelta(hours=31),
                start + pd.Timedelta(hours=55),
                start + pd.Timedelta(hours=32),
            ],
            "energy_kwh": [5.0, 8.0, 3.0],
            "distance_km": [30.0, 40.0, 20.0],
        }
    )
    arr = figs.arrival_departure_figure(sessions)
    arrivals = np.asarray(arr.data[0].y, dtype=float)
    # the first session (a car at home when the period starts) is not an arrival
    assert arrivals[17] == pytest.approx(50.0) and arrivals[18] == pytest.approx(50.0)
    departures = np.asarray(arr.data[1].y, dtype=float)
    assert departures[7] == pytest.approx(200 / 3, abs=0.01)
    dist = figs.daily_distance_figure(sessions)
    assert int(np.sum(dist.data[0].y)) == 3
    assert "mean 30 km" in dist.layout.title.text
    assert figs.evs_per_area_figure(pd.DataFrame({"ev_id": ["a"]})) is None


def test_hosting_capacity_and_forecast_figures() -> None:
    vp = pd.DataFrame(
        {
            "feeder": "f",
            "strategy": ["uncontrolled"] * 3 + ["v2g"] * 3,
            "ev_share": [0.1, 0.3, 0.5] * 2,
            "n": 10,
            "violations": [0, 5, 10, 0, 0, 3],
            "probability": [0.0, 0.5, 1.0, 0.0, 0.0, 0.3],
            "ci_low": [0.0, 0.2, 0.7, 0.0, 0.0, 0.1],
            "ci_high": [0.3, 0.8, 1.0, 0.3, 0.3, 0.6],
        }
    )
    fig = figs.hosting_capacity_figure(vp, feeder="f", risk=0.05)
    band, line = fig.data[0], fig.data[1]
    assert band.fill == "toself" and list(line.x) == [10, 30, 50]
    assert list(np.asarray(line.y, dtype=float)) == [0, 50, 100]
    assert figs.hosting_capacity_figure(vp, feeder="other") is None
    years = pd.DataFrame(
        {
            "feeder": ["f", "f"],
            "strategy": ["uncontrolled", "v2g"],
            "first_violation_year": [2031, np.nan],
        }
    )
    fy = figs.first_violation_year_figure(years, last_year=2035)
    assert list(fy.data[0].x) == [2031] and list(fy.data[1].x) == [2036]


def test_peak_day_figure_shows_the_uncontrolled_peak_day() -> None:
    index = period_index("2030-01-01", 5, "15min")
    base = pd.Series(100.0, index=index)
    ev = pd.Series(0.0, index=index)
    ev.iloc[96 * 3 + 70] = 80.0  # 2030-01-04 17:30
    uncontrolled = pd.DataFrame(
        {"transformer_p_kw": base + ev, "base_load_kw": base, "ev_load_kw": ev}
    )
    v2g = uncontrolled.assign(transformer_p_kw=base - 5.0, ev_load_kw=-5.0)
    fig = figs.peak_day_figure({"v2g": v2g, "uncontrolled": uncontrolled}, feeder="f")
    assert "2030-01-04" in fig.layout.title.text
    names = [t.name for t in fig.data]
    assert names[0] == "uncontrolled – transformer load" and "household base load (no EVs)" in names
    assert len(fig.data[0].x) == 96 and max(fig.data[0].y) == 180.0
    assert min(next(t for t in fig.data if t.name == "v2g – EV load").y) == -5.0


def test_feeder_map_switches_strategy_and_keeps_the_substation() -> None:
    geo, customers = _feeder_geo("f", 4, np.random.default_rng(1))
    lines = pd.DataFrame(
        {"kind": "line", "index": range(4), "max_loading_pct": [110.0, 20, 20, 20]}
    )
    calm = lines.assign(max_loading_pct=20.0)
    fig = figs.feeder_map_figure(
        geo, by_strategy={"v1g": (calm, customers), "uncontrolled": (lines, customers)}
    )
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["uncontrolled", "v1g"]
    star = [i for i, t in enumerate(fig.data) if t.name == "secondary substation"]
    assert len(star) == 1 and all(b.args[0]["visible"][star[0]] for b in buttons)
    shown = [t.name for t in fig.data if t.visible is not False]
    assert "cable loading above 100 %" in shown  # uncontrolled first
    hidden = [t.name for t in fig.data if t.visible is False]
    assert "cable loading below 50 %" in hidden  # v1g's traces wait for their button
