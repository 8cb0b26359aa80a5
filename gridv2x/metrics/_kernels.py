"""Compiled per-step customer statistics: the customer voltages of a per-phase load flow, the
main-fuse current per phase and the voltage-quality counts, each in one pass over the steps.

The models are those of :mod:`gridv2x.metrics.statistics`, :mod:`gridv2x.metrics.loading` and
:mod:`gridv2x.metrics.voltage`; this module only computes them faster. numpy needs a dozen
array passes and whole-chunk temporaries for them (a gather of the phase voltages, minima and
maxima over the phases, the band choice, the per-phase current, ...), which cost more than the
load flow itself on a feeder with few buses; a compiled loop reads every value once and writes
only the results.

Same arithmetic, same order, so the results are bit-identical to the numpy code: every value
is one or two correctly rounded IEEE operations taken in numpy's order (``np.square`` is
``x * x``, ``np.fmin`` / ``np.fmax`` skip NaN, numba does not contract multiply-adds without
``fastmath``), and the counts are integers. Compiled once per machine and cached under
``__pycache__`` (``cache=True``; a few seconds).
"""

from __future__ import annotations

import numpy as np
from numba import njit

REFERENCE = False
"""Run the numpy code of :mod:`gridv2x.metrics.statistics`, :mod:`~gridv2x.metrics.loading`
and :mod:`~gridv2x.metrics.voltage` instead (the reference the tests compare against)."""


@njit(cache=True, error_model="numpy", inline="always")
def _fmin(x, y):  # noqa: ANN001, ANN202 (numba scalar helper)
    """``np.fmin`` of two floats: the smaller, NaN only when both are NaN."""
    if x != x:
        return y
    if y != y:
        return x
    return x if x <= y else y


@njit(cache=True, error_model="numpy", inline="always")
def _fmax(x, y):  # noqa: ANN001, ANN202 (numba scalar helper)
    """``np.fmax`` of two floats: the larger, NaN only when both are NaN."""
    if x != x:
        return y
    if y != y:
        return x
    return x if x >= y else y


@njit(cache=True, error_model="numpy")
def customer_phase_voltages(va, vb, vc, cols, own, centre_pu, band, low, high):  # noqa: ANN001, ANN201
    """Band, lowest and highest phase voltage of every customer, written into ``band``,
    ``low``, ``high`` ``[time x customer]`` [pu].

    ``va``, ``vb``, ``vc`` are the per-phase bus voltages ``[time x bus]``, ``cols[k, j]`` the
    bus column of customer ``j`` in phase ``k``'s table and ``own[j]`` the phase (0, 1, 2) of
    a single-phase customer (-1 for a three-phase one, which sees the phase furthest from
    ``centre_pu`` in ``band``).
    """
    n_t, n_c = band.shape
    for t in range(n_t):
        for j in range(n_c):
            a = va[t, cols[0, j]]
            b = vb[t, cols[1, j]]
            c = vc[t, cols[2, j]]
            k = own[j]
            if k >= 0:
                v = a if k == 0 else (b if k == 1 else c)
                band[t, j] = v
                low[t, j] = v
                high[t, j] = v
                continue
            lo = _fmin(_fmin(a, b), c)
            hi = _fmax(_fmax(a, b), c)
            low[t, j] = lo
            high[t, j] = hi
            band[t, j] = lo if abs(lo - centre_pu) >= abs(hi - centre_pu) else hi


@njit(cache=True, error_model="numpy")
def highest_phase_current(p, q, vm, vm_cols, width, volts_v, out):  # noqa: ANN001, ANN201
    """Current of each customer's most loaded phase [A], written into ``out`` ``[time x
    customer]``.

    ``p``, ``q`` are the power per ``(customer, phase)`` column ``[time x customer * width]``
    [kW], [kvar] (customers' phase columns side by side; ``q`` may have no columns: none
    given), ``vm`` the customers' voltages ``[time x customer column]`` [pu] (``vm_cols[j]``:
    the column of customer ``j``, -1 unknown) and ``volts_v`` the nominal phase voltage [V].
    NaN reactive power counts as 0 and an unknown voltage (NaN) as 1 pu.
    """
    n_t, n_c = out.shape
    has_q = q.shape[1] > 0
    for t in range(n_t):
        for j in range(n_c):
            col = vm_cols[j]
            v = vm[t, col] if col >= 0 else np.nan
            if v != v:
                v = 1.0
            v = v * volts_v
            highest = np.nan
            for k in range(width):
                x = p[t, j * width + k]
                s = x * x
                if has_q:
                    y = q[t, j * width + k]
                    y2 = y * y
                    if y2 != y2:
                        y2 = 0.0
                    s = s + y2
                s = np.sqrt(s) * 1000.0
                current = s / v
                highest = current if k == 0 else _fmax(highest, current)
            out[t, j] = highest


@njit(cache=True, error_model="numpy")
def band_counts(values, starts, v_min_pu, v_max_pu, v_min_all_pu, check_all):  # noqa: ANN001, ANN201
    """Per column of ``values`` ``[time x column]`` [pu]: valid values, values outside
    ``[v_min_pu, v_max_pu]``, whether all valid values lie in ``[v_min_all_pu, v_max_pu]``
    (True when not ``check_all``) and, per block of rows starting at ``starts`` (calendar
    weeks), the values inside the band and the valid values ``[block x column]``.
    """
    n_t, n_c = values.shape
    n_b = len(starts)
    n_valid = np.zeros(n_c, dtype=np.int64)
    n_outside = np.zeros(n_c, dtype=np.int64)
    all_ok = np.ones(n_c, dtype=np.bool_)
    block_in = np.zeros((n_b, n_c), dtype=np.int64)
    block_n = np.zeros((n_b, n_c), dtype=np.int64)
    for b in range(n_b):
        stop = starts[b + 1] if b + 1 < n_b else n_t
        for t in range(starts[b], stop):
            for j in range(n_c):
                v = values[t, j]
                if v != v:
                    continue
                block_n[b, j] += 1
                if v >= v_min_pu and v <= v_max_pu:
                    block_in[b, j] += 1
                else:
                    n_outside[j] += 1
                if check_all and not (v >= v_min_all_pu and v <= v_max_pu):
                    all_ok[j] = False
    for b in range(n_b):
        for j in range(n_c):
            n_valid[j] += block_n[b, j]
    return n_valid, n_outside, all_ok, block_in, block_n


QUANTILE_SAMPLE_STRIDE = 16
"""Every how many steps :func:`column_order_statistics` samples a column for its threshold [-]."""


@njit(cache=True, error_model="numpy")
def column_order_statistics(values, k):  # noqa: ANN001, ANN201
    """The ``k``-th and ``k + 1``-th smallest value (from 0) of every column of ``values``
    ``[time x column]`` without NaN, as two arrays [column].

    Instead of partitioning whole columns (numpy's quantile: a strided copy and a selection
    over every step), the values at or below a threshold are gathered in one row-major pass
    and only those are partitioned. The threshold of a column is a low order statistic of a
    sample of every :data:`QUANTILE_SAMPLE_STRIDE`-th step; when fewer than ``k + 2`` values
    lie at or below it (or more than the buffer holds) the whole column is partitioned. Either
    way the two values are exactly the order statistics of the column.
    """
    n_t, n_c = values.shape
    stride = QUANTILE_SAMPLE_STRIDE
    m = (n_t + stride - 1) // stride
    sample = np.empty((n_c, m))
    for i in range(m):
        for j in range(n_c):
            sample[j, i] = values[i * stride, j]
    ks = min(m - 1, int((k + 2) * m / n_t * 1.5) + 8)
    threshold = np.empty(n_c)
    for j in range(n_c):
        threshold[j] = np.partition(sample[j], ks)[ks]
    cap = min(n_t, 4 * (k + 2) + 64)
    kept = np.empty((n_c, cap))
    count = np.zeros(n_c, dtype=np.int64)
    for t in range(n_t):
        for j in range(n_c):
            v = values[t, j]
            if v <= threshold[j]:
                c = count[j]
                if c < cap:
                    kept[j, c] = v
                count[j] = c + 1
    low = np.empty(n_c)
    high = np.empty(n_c)
    column = np.empty(n_t)
    for j in range(n_c):
        c = count[j]
        if c < k + 2 or c > cap:  # threshold too low (or too many ties): the whole column
            for t in range(n_t):
                column[t] = values[t, j]
            part = np.partition(column, k)
            c = n_t
        else:
            part = np.partition(kept[j, :c], k)
        lo = part[k]
        hi = part[k + 1]
        for i in range(k + 2, c):
            if part[i] < hi:
                hi = part[i]
        low[j] = lo
        high[j] = hi
    return low, high


@njit(cache=True, error_model="numpy")
def band_scan(values, low, high):  # noqa: ANN001, ANN201
    """One pass over ``values`` ``[time x column]`` against the band ``[low, high]``.

    Returns the finite values, the finite values outside the band, the rows with a finite
    value outside the band and the first row with any value outside it (-1: none; NaN is never
    outside, an infinite value is).
    """
    n_t, n_c = values.shape
    n_valid = 0
    n_outside = 0
    rows = 0
    first = -1
    for t in range(n_t):
        row_outside = False
        for j in range(n_c):
            v = values[t, j]
            outside = v < low or v > high
            if outside and first < 0:
                first = t
            if v - v == 0.0:  # finite
                n_valid += 1
                if outside:
                    n_outside += 1
                    row_outside = True
        if row_outside:
            rows += 1
    return n_valid, n_outside, rows, first
