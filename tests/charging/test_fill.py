"""The exact piecewise-linear level solve against bisection on the same energy functions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridv2x.charging import _fill


def _segments(rng, n_seg):
    lengths = rng.integers(1, 40, n_seg)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    seg = np.repeat(np.arange(n_seg), lengths)
    return starts, seg, int(lengths.sum())


def _bisect(energy, lo, hi, need):
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        short = energy(mid) < need
        lo, hi = np.where(short, mid, lo), np.where(short, hi, mid)
    return hi


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), with_head=st.booleans())
def test_valley_fill_level_matches_bisection(seed, with_head):
    rng = np.random.default_rng(seed)
    starts, seg, n = _segments(rng, 7)
    other = rng.normal(30, 20, n)
    cap = rng.choice([0.0, 3.7, 11.0], n) * rng.uniform(0, 1, n).round(1)
    head = rng.normal(5, 8, n) if with_head else None
    capacity = _fill.segment_sum(cap, starts)
    need = capacity * rng.uniform(0, 0.95, len(starts))
    p = _fill.valley_fill(other, cap, need, starts, seg, head)

    def energy(level):
        return _fill.segment_sum(_fill.charge_at_level(level[seg], other, cap, head), starts)

    lo = np.full(len(starts), -1e6)
    hi = np.full(len(starts), 1e7)
    level = _bisect(energy, lo, hi, need)
    expected = _fill.charge_at_level(level[seg], other, cap, head)
    np.testing.assert_allclose(_fill.segment_sum(p, starts), need, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(p, expected, atol=1e-6)
    assert np.all(p >= -1e-12) and np.all(p <= cap + 1e-12)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    ratio=st.sampled_from([1.0, 1.024, 1.18, 1.9]),
    with_head=st.booleans(),
)
def test_v2g_fill_level_matches_bisection(seed, ratio, with_head):
    """Levels on both sides of zero (negative prices) and the kink of S(L) at L = 0."""
    rng = np.random.default_rng(seed)
    starts, seg, n = _segments(rng, 6)
    other = rng.normal(5, 15, n)
    cap = rng.choice([3.7, 11.0], n) * rng.uniform(0, 1, n).round(1)
    dcap = cap * rng.choice([0.0, 0.5, 1.0])
    head = rng.normal(5, 8, n) if with_head else None
    eta_c, eta_d = 0.92, 0.92
    capacity = eta_c * _fill.segment_sum(cap, starts)
    need = capacity * rng.uniform(0, 0.9, len(starts))
    c, q = _fill.v2g_fill(other, cap, dcap, need, starts, seg, eta_c, eta_d, head, ratio)

    def parts(level):
        cc = _fill.charge_at_level(level[seg], other, cap, head)
        qq = np.clip(other - _fill.discharge_level(level, ratio)[seg], 0.0, dcap)
        return cc, qq

    def energy(level):
        cc, qq = parts(level)
        return eta_c * _fill.segment_sum(cc, starts) - _fill.segment_sum(qq, starts) / eta_d

    level = _bisect(energy, np.full(len(starts), -1e6), np.full(len(starts), 1e7), need)
    c_ref, q_ref = parts(level)
    net = eta_c * _fill.segment_sum(c, starts) - _fill.segment_sum(q, starts) / eta_d
    np.testing.assert_allclose(net, need, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(q, q_ref, atol=1e-6)
    np.testing.assert_allclose(c, c_ref, atol=1e-6)


def test_solve_piecewise_level_edges():
    """need at or below the base energy gives the lowest breakpoint, above the top the highest."""
    position = np.array([0.0, 2.0, 10.0, 1.0, 3.0])
    slope = np.array([1.0, -1.0, 0.0, 2.0, -2.0])
    seg = np.array([0, 0, 0, 1, 1])
    base = np.zeros(2)
    level = _fill.solve_piecewise_level(position, slope, seg, 2, base, np.array([0.0, 10.0]))
    assert level.tolist() == [0.0, 3.0]
    level = _fill.solve_piecewise_level(position, slope, seg, 2, base, np.array([1.5, 3.0]))
    assert level == pytest.approx([1.5, 2.5])
