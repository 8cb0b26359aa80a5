"""Helpers for the output-safety tests: short real studies through the console entry."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from gridv2x.cli import main


def invoke(*args: str):
    """``gridv2x ARGS`` through click's runner on gridv2x.cli:main."""
    return CliRunner().invoke(main, list(args))


def scenario_text(name: str = "s", kind: str = "compare", extra: str = "", network=None) -> str:
    """A 2-day study on a small built-in feeder, one strategy: a few seconds."""
    network = network or "{builtin: se-villa-small}"
    study = {
        "compare": "{kind: compare, seeds: 1, seed: 3}",
        "hosting_capacity": "{kind: hosting_capacity, seeds: 1, seed: 3, ev_shares: [0.4]}",
    }[kind]
    return (
        f"name: {name}\nstudy: {study}\nperiod: {{start: 2030-01-14, days: 2, resolution: 60min}}\n"
        f"networks: [{network}]\nadoption: {{share: 0.5}}\ncharging: {{strategies: [v1g]}}\n"
        + extra
    )


def provenance(out: Path) -> dict:
    return json.loads((out / "provenance.json").read_text())


def summary(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "summary.csv")


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for folders)."""
    return {
        str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
        if not p.is_symlink()
    }


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path
