"""Shared fixtures: small real scenarios (short periods keep the suite fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def small_scenario_text(
    name: str = "small", days: int = 7, strategies=None, extra: str = ""
) -> str:
    """A real study on the built-in villa feeder over a short winter period."""
    strategies = strategies or ["uncontrolled", "v1g", "v2g"]
    return (
        f"name: {name}\n"
        "study: {kind: compare, seeds: 1, seed: 3}\n"
        f"period: {{start: 2030-01-14, days: {days}, resolution: 15min}}\n"
        "networks: [{builtin: se-suburban-villa}]\n"
        "adoption: {share: 0.5}\n"
        f"charging: {{strategies: [{', '.join(strategies)}]}}\n" + extra
    )


@pytest.fixture
def small_scenario(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(small_scenario_text())
    return path
