"""Read the load-flow reference cases of ``tests/data/powerflow/`` (see its README)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandapower as pp
import pandas as pd

CASES_DIR = Path(__file__).resolve().parents[1] / "data" / "powerflow"
CASE_NAMES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "case.json").exists())


@dataclass
class Case:
    name: str
    net: object
    inputs: dict
    expected: dict
    steps: pd.DataFrame
    meta: dict


def _unflat(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.index.name == "element":
        frame = frame.T
    frame = frame.reset_index(drop=True)
    cols = list(frame.columns)
    if cols and "_" in str(cols[0]):
        parts = [str(c).rsplit("_", 1) for c in cols]
        frame.columns = pd.MultiIndex.from_tuples([(int(a), b) for a, b in parts])
    else:
        frame.columns = [int(c) for c in cols]
    return frame


def load_case(name: str) -> Case:
    folder = CASES_DIR / name
    meta = json.loads((folder / "case.json").read_text())
    net = pp.from_json(str(folder / "net.json"))
    inputs = {}
    for key in ("load_p_mw", "load_q_mvar", "sgen_p_mw"):
        path = folder / f"{key}.parquet"
        inputs[key] = _unflat(pd.read_parquet(path)) if path.exists() else None
    expected = {
        p.stem.removeprefix("expected_"): _unflat(pd.read_parquet(p))
        for p in folder.glob("expected_*.parquet")
        if p.stem != "expected_steps"
    }
    steps = pd.read_parquet(folder / "expected_steps.parquet").reset_index(drop=True)
    return Case(name, net, inputs, expected, steps, meta)
