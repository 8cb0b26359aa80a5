"""V2X beyond the feeder through the console entry: scenario keys, outputs and the report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SCENARIO = """name: v2x-check
study: {kind: compare, seeds: 1}
period: {start: 2030-01-07, days: 14}
networks: [{builtin: se-suburban-villa}]
adoption: {share: 0.5}
charging: {strategies: [uncontrolled, v1g, v2g]}
v2x: {enabled: true, outage_hours: [2, 8]}
"""


def _gridv2x(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "gridv2x.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_v2x_study_writes_tables_and_report(tmp_path):
    (tmp_path / "s.yaml").write_text(SCENARIO)
    result = _gridv2x("run", "s.yaml", "--out", "out", "--workers", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / "out"
    flex = pd.read_csv(out / "flexibility.csv")
    issue_columns = [
        "feeder",
        "strategy",
        "seed",
        "ev_share",
        "hour",
        "season",
        "up_kw_p90",
        "down_kw_p90",
        "up_kw_p95",
        "down_kw_p95",
        "grid_constrained",
    ]
    assert set(issue_columns) <= set(flex.columns)
    assert set(flex["strategy"]) == {"v1g", "v2g"}  # uncontrolled charging offers nothing
    assert set(flex["grid_constrained"]) == {True, False}
    # a row each with and without the grid constraint; constrained never above
    key = ["strategy", "hour", "season", "duration_min"]
    both = flex.pivot_table(index=key, columns="grid_constrained", values="down_kw_p95")
    assert (both[True] <= both[False] + 1e-9).all()
    # the p95 offer is never above the p90 offer
    assert (flex["up_kw_p95"] <= flex["up_kw_p90"] + 1e-9).all()
    markets = pd.read_csv(out / "markets.csv")
    assert {"FFR", "FCR-D up", "FCR-D down", "aFRR up", "mFRR up"} <= set(markets["product"])
    resilience = pd.read_csv(out / "resilience.csv")
    assert set(resilience["strategy"]) == {"v2g"}
    assert set(resilience["outage_h"]) == {2.0, 8.0}
    html = (out / "report.html").read_text()
    assert "V2X beyond the feeder" in html and "EVs needed per market product" in html


@pytest.mark.parametrize(
    "products, fragment",
    [
        ("{FFR: {min_bid_mw: -1}}", "v2x.products"),
        ("{FFR: {direction: sideways}}", "v2x.products"),
        ("{new: {direction: up}}", "v2x.products"),
        ("{FFR: {bid: 1}}", "v2x.products"),
    ],
)
def test_bad_products_exit_2_naming_the_key(tmp_path, products, fragment):
    (tmp_path / "bad.yaml").write_text(f"name: x\nv2x: {{enabled: true, products: {products}}}\n")
    for command in (["validate", "bad.yaml"], ["run", "bad.yaml", "--out", "out"]):
        result = _gridv2x(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert fragment in result.stderr + result.stdout
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "out").exists()


def test_v2x_is_in_the_defaults(tmp_path):
    result = _gridv2x("defaults", cwd=tmp_path)
    assert result.returncode == 0
    assert "v2x:" in result.stdout and "outage_hours" in result.stdout
