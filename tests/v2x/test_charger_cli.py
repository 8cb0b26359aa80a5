"""charging.v2g.charger through the console entry: a bad value, and the choice in the outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gridv2x.charging import CHARGERS
from gridv2x.reinforcement.economics import CHARGER_PLAIN_SEK

SCENARIO = """name: charger-check
study: {kind: compare, seeds: 1}
period: {start: 2030-01-07, days: 3}
networks: [{builtin: se-suburban-villa}]
adoption: {share: 0.5}
charging: {strategies: [v1g, v2g], v2g: {charger: dc}}
v2x: {enabled: true, outage_hours: [2]}
"""


def _gridv2x(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gridv2x.cli", *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_bad_charger_exits_2_naming_the_key_and_the_choices(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: x\ncharging: {v2g: {charger: hybrid}}\n")
    for command in (["validate", "bad.yaml"], ["run", "bad.yaml", "--out", "out"]):
        result = _gridv2x(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        text = result.stderr + result.stdout
        assert "charging.v2g.charger" in text and "'ac', 'dc'" in text and "hybrid" in text
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "out").exists()


def test_charger_is_in_the_defaults_and_their_docs(tmp_path):
    result = _gridv2x("defaults", "--docs", cwd=tmp_path)
    assert result.returncode == 0
    assert "charging.v2g.charger" in result.stdout


@pytest.mark.slow
def test_dc_charger_flows_into_summary_economics_and_report(tmp_path):
    (tmp_path / "s.yaml").write_text(SCENARIO)
    result = _gridv2x("run", "s.yaml", "--out", "out", "--workers", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / "out"
    summary = pd.read_csv(out / "summary.csv").set_index("strategy")
    dc = CHARGERS["dc"]
    assert summary.loc["v2g", "v2g_charger"] == "dc"
    assert summary.loc["v2g", "v2g_round_trip_efficiency"] == pytest.approx(
        dc.round_trip_efficiency
    )
    assert summary.loc["v2g", "v2g_max_discharge_kw"] == pytest.approx(dc.max_discharge_kw)
    assert pd.isna(summary.loc["v1g", "v2g_charger"])  # V1G needs no bidirectional charger
    economics = pd.read_csv(out / "economics.csv").set_index("strategy")
    assert economics.loc["v2g", "charger_extra_cost_sek"] == pytest.approx(
        dc.installed_cost_sek - CHARGER_PLAIN_SEK
    )
    html = (out / "report.html").read_text()
    assert "V2G and V2H use bidirectional DC (a converter in the wallbox)" in html
