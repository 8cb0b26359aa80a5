"""What a load flow violates, and the steps a reinforcement plan is searched on.

Both read one reduction of the load flow (:func:`extremes`): per element its worst value over
the converged steps and the step where it occurs, per step the worst value over the elements.
The reduction runs over :data:`BLOCK_STEPS` steps at a time, so checking a whole year needs
no full-size temporary beside the load flow's own tables; maxima, minima and first positions
are the same whatever the blocks. :func:`extremes_of_chunks` reduces a load flow that comes
one chunk of steps at a time (:meth:`gridv2x.powerflow.RadialEngine.run_chunks`), so that a
whole-year check never holds the whole year's result: the same :class:`Extremes`, bit for bit.

Criteria (``limits.criteria``): ``voltage`` (every step within [v_min_pu, v_max_pu] at every
customer; per phase the lowest and the highest phase), ``transformer_loading``,
``line_loading``, ``unbalance`` (per-phase load flows) and ``convergence``. ``fuse`` (the
customer's main fuse) is the customer's installation, not the grid's: no grid measure fixes
it, so it is left out (:data:`GRID_CRITERIA`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "GRID_CRITERIA",
    "BLOCK_STEPS",
    "Check",
    "Extremes",
    "extremes",
    "extremes_of_chunks",
    "check",
    "judge",
    "critical_steps",
]

GRID_CRITERIA = ("voltage", "transformer_loading", "line_loading", "unbalance", "convergence")
"""Criteria a grid measure can fix (not ``fuse``, the customer's installation)."""

BLOCK_STEPS = 2880
"""Steps reduced at a time (30 days at 15 min) [-]: bounds the temporaries of a check."""

_TOLERANCE_PCT = 1e-6
_TOLERANCE_PU = 1e-9


@dataclass
class Check:
    """Violations of one load flow over some steps.

    Attributes
    ----------
    violations : dict
        ``criterion -> list of elements`` that violate (empty dict: passes).
    deficit : float
        How far beyond the limits, summed over elements (0 when passing) [-]: loading excess
        [fraction of the limit] + voltage excess [per cent of nominal] + non-converged steps.
    trafo_loading, line_loading : pandas.Series
        Highest loading per trafo / line [%].
    v_low, v_high : pandas.Series
        Lowest / highest voltage per customer bus [pu].
    line_peak_step : pandas.Series
        Position of each line's highest loading among the steps [-].
    worst_steps : pandas.Index
        Steps where something violates (for adding to the critical steps).
    """

    violations: dict[str, list[Any]]
    deficit: float
    trafo_loading: pd.Series
    line_loading: pd.Series
    v_low: pd.Series
    v_high: pd.Series
    line_peak_step: pd.Series
    worst_steps: pd.Index = field(default_factory=lambda: pd.Index([]))

    @property
    def passed(self) -> bool:
        return not self.violations


@dataclass
class _Column:
    """Per element over the converged steps: worst value (NaN where none) and its first
    position; per step: worst value over the elements (NaN as ``row_nan``)."""

    value: np.ndarray
    position: np.ndarray
    any_value: bool
    row: np.ndarray


@dataclass
class Extremes:
    """One load flow reduced for :func:`judge` and :func:`critical_steps`.

    Attributes
    ----------
    index : pandas.Index
        The steps.
    ok : numpy.ndarray of bool
        Converged steps.
    buses : list of int
        Customer buses (sorted).
    trafo, line : _Column
        Highest loading [%] per trafo / line and per step.
    v_low : _Column
        Lowest voltage [pu] per customer bus and per step.
    v_high : _Column
        Highest voltage [pu] (per phase: highest phase) per customer bus and per step.
    vuf : _Column or None
        Highest voltage unbalance [%] per customer bus and per step (per-phase runs).
    phases : bool
        Whether the load flow has the voltage of each phase.
    trafo_columns, line_columns : pandas.Index
        pandapower indices of the trafos and lines.
    total_p_mw : numpy.ndarray
        Total transformer power per step [MW] (NaN as 0).
    """

    index: pd.Index
    ok: np.ndarray
    buses: list[int]
    trafo: _Column
    line: _Column
    v_low: _Column
    v_high: _Column
    vuf: _Column | None
    phases: bool
    trafo_columns: pd.Index
    line_columns: pd.Index
    total_p_mw: np.ndarray


def _columns(frame: pd.DataFrame, columns: Sequence[int] | None) -> tuple[np.ndarray, np.ndarray]:
    """The frame's values and the positions of ``columns`` in it (-1: absent, read as NaN)."""
    values = frame.to_numpy(float)
    if columns is None:
        return values, np.arange(values.shape[1])
    return values, frame.columns.get_indexer(pd.Index(columns))


def _block(values: np.ndarray, where: np.ndarray, rows: slice) -> np.ndarray:
    """Rows ``rows`` of the columns at ``where`` (a view when that is every column)."""
    if len(where) == values.shape[1] and (where == np.arange(len(where))).all():
        return values[rows]
    out = values[rows][:, np.maximum(where, 0)]
    if (where < 0).any():
        out[:, where < 0] = np.nan
    return out


def _reduce(
    tables: list[tuple[np.ndarray, np.ndarray]], ok: np.ndarray, highest: bool, row_nan: float
) -> _Column:
    """Blockwise extreme over the converged steps per column and over the columns per step.

    Several tables (the phases) are combined element by element first, ignoring NaN
    (``numpy.fmax`` / ``fmin``), as one table.
    """
    n_steps = len(ok)
    n_cols = len(tables[0][1])
    fill = -np.inf if highest else np.inf
    best = np.full(n_cols, fill)
    position = np.zeros(n_cols, dtype=np.int64)
    row = np.empty(n_steps)
    any_value = False
    pick = np.fmax if highest else np.fmin
    for start in range(0, n_steps, BLOCK_STEPS):
        rows = slice(start, min(start + BLOCK_STEPS, n_steps))
        block = _block(*tables[0], rows)
        for values, where in tables[1:]:
            block = pick(block, _block(values, where, rows))
        if not n_cols:
            row[rows] = fill
            continue
        nan = np.isnan(block)
        # per step NaN counts as row_nan (an infinite value stays infinite: the same outcome
        # against a limit as numpy.nan_to_num's largest float)
        per_step = np.where(nan, row_nan, block)
        row[rows] = per_step.max(axis=1) if highest else per_step.min(axis=1)
        ok_block = ok[rows]
        missing = nan if ok_block.all() else nan | ~ok_block[:, None]
        if missing.all():
            continue
        any_value = True
        filled = np.where(missing, fill, block)
        at = filled.argmax(axis=0) if highest else filled.argmin(axis=0)
        value = filled[at, np.arange(n_cols)]
        better = value > best if highest else value < best
        best[better] = value[better]
        position[better] = at[better] + start
    value = np.where(best == fill, np.nan, best)
    return _Column(value, position, any_value, row)


def extremes(pf: Any, customer_buses: Sequence[int]) -> Extremes:
    """Reduce a load flow (:class:`gridv2x.powerflow.TimeseriesResult`) for the checks.

    Parameters
    ----------
    pf : TimeseriesResult
        Load flow over some steps.
    customer_buses : sequence of int
        pandapower buses of the customers.

    Returns
    -------
    Extremes
    """
    ok = pd.Series(pf.converged).to_numpy(bool)
    buses = sorted(set(int(b) for b in customer_buses))
    vm = [_columns(pf.vm_pu, buses)]
    phases = [f for p in "abc" if isinstance(f := getattr(pf, f"vm_{p}_pu", None), pd.DataFrame)]
    high = [_columns(f, buses) for f in phases] if len(phases) == 3 else vm
    vuf = getattr(pf, "vuf_pct", None)
    trafo_p = pf.trafo_p_mw.to_numpy(float)
    return Extremes(
        index=pf.vm_pu.index,
        ok=ok,
        buses=buses,
        trafo=_reduce([_columns(pf.trafo_loading_percent, None)], ok, True, 0.0),
        line=_reduce([_columns(pf.line_loading_percent, None)], ok, True, 0.0),
        v_low=_reduce(vm, ok, False, 1.0),
        v_high=_reduce(high, ok, True, 1.0),
        vuf=None if vuf is None else _reduce([_columns(vuf, buses)], ok, True, 0.0),
        phases=len(phases) == 3,
        trafo_columns=pf.trafo_loading_percent.columns,
        line_columns=pf.line_loading_percent.columns,
        total_p_mw=np.nan_to_num(trafo_p).sum(axis=1),
    )


def extremes_of_chunks(
    chunks: Iterable[Any], customer_buses: Sequence[int], index: pd.Index
) -> Extremes:
    """:func:`extremes` of a load flow given one chunk of steps at a time, in time order.

    Each chunk is reduced and dropped before the next is asked for; per element the worst
    value and its first position over all chunks, per step the chunks' values one after the
    other. Equal to :func:`extremes` of the whole load flow.

    Parameters
    ----------
    chunks : iterable of TimeseriesResult
        Load flows of consecutive steps (e.g.
        :meth:`gridv2x.powerflow.RadialEngine.run_chunks`).
    customer_buses : sequence of int
        pandapower buses of the customers.
    index : pandas.Index
        The steps of all chunks together (the load-flow input's index).

    Returns
    -------
    Extremes
    """
    merged: Extremes | None = None
    offset = 0
    for pf in chunks:
        part = extremes(pf, customer_buses)
        del pf  # the chunk's tables go before the next chunk is solved
        merged = part if merged is None else _merge(merged, part, offset)
        offset += len(part.ok)
    if merged is None or offset != len(index):
        raise ValueError(f"extremes_of_chunks: the chunks have {offset} steps, not {len(index)}")
    merged.index = index
    return merged


def _merge(a: Extremes, b: Extremes, offset: int) -> Extremes:
    """``a`` (steps ``[0, offset)``) followed by ``b``: per element the worst of both (the
    earlier position on a tie), per step both one after the other (the index is ``a``'s: the
    caller sets the whole one)."""

    def column(x: _Column, y: _Column, highest: bool) -> _Column:
        fill = -np.inf if highest else np.inf
        best = np.where(np.isnan(x.value), fill, x.value)
        new = np.where(np.isnan(y.value), fill, y.value)
        better = new > best if highest else new < best
        best[better] = new[better]
        position = x.position.copy()
        position[better] = y.position[better] + offset
        value = np.where(best == fill, np.nan, best)
        return _Column(value, position, x.any_value or y.any_value, np.concatenate([x.row, y.row]))

    return Extremes(
        index=a.index,
        ok=np.concatenate([a.ok, b.ok]),
        buses=a.buses,
        trafo=column(a.trafo, b.trafo, True),
        line=column(a.line, b.line, True),
        v_low=column(a.v_low, b.v_low, False),
        v_high=column(a.v_high, b.v_high, True),
        vuf=None if a.vuf is None or b.vuf is None else column(a.vuf, b.vuf, True),
        phases=a.phases,
        trafo_columns=a.trafo_columns,
        line_columns=a.line_columns,
        total_p_mw=np.concatenate([a.total_p_mw, b.total_p_mw]),
    )


def judge(reduced: Extremes, limits: Mapping[str, Any]) -> Check:
    """Which counted grid criteria a reduced load flow violates, and by how much.

    Parameters
    ----------
    reduced : Extremes
        :func:`extremes` of the load flow.
    limits : mapping
        The scenario's resolved ``limits`` section.

    Returns
    -------
    Check
    """
    counted = [c for c in limits["criteria"] if c in GRID_CRITERIA]
    ok, buses = reduced.ok, reduced.buses
    violations: dict[str, list[Any]] = {}
    deficit = 0.0
    bad_rows = np.zeros(len(ok), dtype=bool)

    # numpy throughout (pandas' sum is numpy's sum of the same values: the same deficits)
    trafo_max = np.where(np.isnan(reduced.trafo.value), 0.0, reduced.trafo.value)
    line_max = np.where(np.isnan(reduced.line.value), 0.0, reduced.line.value)
    line_max = np.where(line_max < 0.0, 0.0, line_max)
    v_low = np.nan_to_num(reduced.v_low.value, nan=9.0)
    v_high = np.nan_to_num(reduced.v_high.value, nan=0.0)

    for criterion, key, values, columns, row in (
        ("transformer_loading", "transformer_loading_pct", trafo_max, reduced.trafo_columns,
         reduced.trafo.row),
        ("line_loading", "line_loading_pct", line_max, reduced.line_columns, reduced.line.row),
    ):  # fmt: skip
        if criterion not in counted:
            continue
        limit = float(limits[key])
        over = values > limit + _TOLERANCE_PCT
        if over.any():
            violations[criterion] = [int(i) for i in columns[over]]
            deficit += float((values[over] / limit - 1.0).sum())
            bad_rows |= row > limit
    if "voltage" in counted:
        lo, hi = float(limits["v_min_pu"]), float(limits["v_max_pu"])
        below = lo - v_low
        below = np.where(below < 0.0, 0.0, below)
        above = v_high - hi
        above = np.where(above < 0.0, 0.0, above)
        bad = (below > _TOLERANCE_PU) | (above > _TOLERANCE_PU)
        if bad.any():
            violations["voltage"] = [int(b) for b in np.asarray(buses)[bad]]
            deficit += float(100.0 * (below + above).sum())
            bad_rows |= (reduced.v_low.row < lo) | (reduced.v_high.row > hi)
    if "unbalance" in counted and reduced.vuf is not None:
        limit = float(limits["unbalance_pct"])
        worst = reduced.vuf.value
        bad_bus = [b for b, v in zip(buses, worst, strict=True) if v > limit + _TOLERANCE_PCT]
        if bad_bus:
            violations["unbalance"] = bad_bus
            deficit += float(np.nansum(np.clip(worst / limit - 1.0, 0.0, None)))
            bad_rows |= reduced.vuf.row > limit
    if "convergence" in counted and not ok.all():
        violations["convergence"] = ["feeder"]
        deficit += float((~ok).sum())
        bad_rows |= ~ok
    return Check(
        violations=violations,
        deficit=deficit,
        trafo_loading=pd.Series(trafo_max, index=reduced.trafo_columns),
        line_loading=pd.Series(line_max, index=reduced.line_columns, dtype=float),
        v_low=pd.Series(v_low, index=buses),
        v_high=pd.Series(v_high, index=buses),
        line_peak_step=pd.Series(reduced.line.position, index=reduced.line_columns, dtype=int),
        worst_steps=reduced.index[bad_rows],
    )


def check(pf: Any, customer_buses: Sequence[int], limits: Mapping[str, Any]) -> Check:
    """Which counted grid criteria a load flow violates, and by how much.

    Parameters
    ----------
    pf : TimeseriesResult
        Load flow of the (reinforced) feeder over some steps.
    customer_buses : sequence of int
        pandapower buses of the customers.
    limits : mapping
        The scenario's resolved ``limits`` section.

    Returns
    -------
    Check
    """
    return judge(extremes(pf, customer_buses), limits)


def critical_steps(
    pf: Any, customer_buses: Sequence[int] | Extremes, *, top_steps: int = 24
) -> pd.Index:
    """The steps a plan is searched on (:mod:`gridv2x.reinforcement.plan`, "Which steps").

    For every transformer and line the step of its highest loading, for every customer the
    steps of its lowest and highest voltage (and highest unbalance per phase), the first
    ``top_steps`` non-converged steps, the ``top_steps`` steps of highest and the
    ``top_steps // 4`` of lowest total transformer power.

    Parameters
    ----------
    pf : TimeseriesResult or None
        The task's load flow over the whole period (not read when ``customer_buses`` is
        already its :class:`Extremes`).
    customer_buses : sequence of int or Extremes
        pandapower buses of the customers, or :func:`extremes` of ``pf``.
    top_steps : int
        Steps of highest total transformer power added [-].

    Returns
    -------
    pandas.Index
        Time stamps, in time order.
    """
    reduced = (
        customer_buses if isinstance(customer_buses, Extremes) else extremes(pf, customer_buses)
    )
    ok = reduced.ok
    chosen: set[int] = set(np.flatnonzero(~ok)[:top_steps].tolist())
    columns = [reduced.trafo, reduced.line, reduced.v_low]
    if reduced.phases and reduced.vuf is not None:
        columns.append(reduced.vuf)
    columns.append(reduced.v_high)
    for column in columns:
        if column.any_value:
            chosen.update(int(p) for p in np.unique(column.position))
    total = np.where(ok, reduced.total_p_mw, -np.inf)
    if len(total):
        chosen.update(np.argsort(total)[::-1][: int(top_steps)].tolist())
        chosen.update(
            np.argsort(np.where(ok, -reduced.total_p_mw, -np.inf))[::-1][
                : int(top_steps) // 4
            ].tolist()
        )
    return reduced.index[sorted(chosen)]
