"""Compare pickled task outputs of two code trees (``bench/bench_task_stages.py --dump``).

Run by hand: ``python bench/compare_task_outputs.py DIR`` compares every ``0_<task>.pkl`` with
its ``1_<task>.pkl``: the summary row value by value and every table (time series, customer
table, daily voltage, elements, EVs, ...) cell by cell, index and columns included. Prints
``identical`` or the largest absolute and relative difference per table.
"""

from __future__ import annotations

import math
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def _same_scalar(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if a is pd.NaT and b is pd.NaT:
        return True
    return bool(a == b) and type(a) is type(b)


def _compare_frames(a: pd.DataFrame, b: pd.DataFrame) -> str:
    if not a.index.equals(b.index) or not a.columns.equals(b.columns):
        return "DIFFERENT index/columns"
    if list(a.dtypes) != list(b.dtypes):
        return f"DIFFERENT dtypes {list(a.dtypes)[:3]} vs {list(b.dtypes)[:3]}"
    worst_abs, worst_rel, unequal = 0.0, 0.0, 0
    for column in a.columns:
        x, y = a[column].to_numpy(), b[column].to_numpy()
        if x.dtype.kind in "fc":
            same = (x == y) | (np.isnan(x) & np.isnan(y))
            if not same.all():
                unequal += int((~same).sum())
                diff = np.abs(x - y)[~same]
                worst_abs = max(worst_abs, float(np.nanmax(diff)) if diff.size else 0.0)
                scale = np.abs(x)[~same]
                with np.errstate(divide="ignore", invalid="ignore"):
                    worst_rel = max(worst_rel, float(np.nanmax(diff / scale)))
        elif not pd.Series(x).equals(pd.Series(y)):
            return f"DIFFERENT in column {column!r}"
    if unequal:
        return f"{unequal} cells differ, max abs {worst_abs:.3g}, max rel {worst_rel:.3g}"
    return "identical"


def compare(path_a: Path, path_b: Path) -> list[str]:
    """Lines describing the differences between two pickled ``TaskOutput``."""
    with open(path_a, "rb") as fh:
        a = pickle.load(fh)
    with open(path_b, "rb") as fh:
        b = pickle.load(fh)
    lines = []
    keys = sorted(set(a.summary) | set(b.summary))
    bad = [k for k in keys if not _same_scalar(a.summary.get(k), b.summary.get(k))]
    lines.append(
        f"  summary ({len(keys)} columns): "
        + (
            "identical"
            if not bad
            else f"DIFFERENT {[(k, a.summary.get(k), b.summary.get(k)) for k in bad]}"
        )
    )
    for name in vars(a):
        if name in ("task", "summary"):
            continue
        lines += _compare_values(name, getattr(a, name), getattr(b, name))
    return lines


def _compare_values(name: str, x: object, y: object) -> list[str]:
    if x is None and y is None:
        return []
    if isinstance(x, dict) and isinstance(y, dict):
        if set(x) != set(y):
            return [f"  {name}: DIFFERENT keys {sorted(set(x) ^ set(y))}"]
        return [line for key in x for line in _compare_values(f"{name}.{key}", x[key], y[key])]
    if isinstance(x, pd.Series) and isinstance(y, pd.Series):
        x, y = x.to_frame(), y.to_frame()
    if isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame):
        return [f"  {name} {x.shape}: {_compare_frames(x, y)}"]
    same = _same_scalar(x, y) if not hasattr(x, "__len__") else repr(x) == repr(y)
    return [f"  {name}: {'identical' if same else f'DIFFERENT {x!r} vs {y!r}'}"]


def main() -> None:
    folder = Path(sys.argv[1])
    for first in sorted(folder.glob("0_*.pkl")):
        second = first.with_name("1_" + first.name[2:])
        print(first.name[2:-4])
        print("\n".join(compare(first, second)))


if __name__ == "__main__":
    main()
