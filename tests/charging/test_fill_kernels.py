"""The compiled charging kernels give bit-identical results to the numpy reference code."""

import numpy as np
import pandas as pd
import pytest

from gridv2x.charging import _fill, _fill_kernels, schedule

from .inputs import make_case


def _case(rng, n_seg, with_head):
    lengths = rng.integers(1, 200, n_seg)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    seg = np.repeat(np.arange(n_seg), lengths)
    n = int(lengths.sum())
    # repeated load levels (after a few passes many steps share one level) and zeros
    other = rng.uniform(-5, 50, n) * rng.choice([1.0, 0.0, 1.0], n) + rng.choice([0, 0, 3.3], n)
    cap = rng.choice([3.7, 11.0, 0.0, 7.4], n) * rng.uniform(0.2, 1, n)
    need = np.maximum(_fill.segment_sum(cap, starts) * rng.uniform(-0.1, 1.2, n_seg), 0.0)
    head = rng.uniform(-3, 10, n) if with_head else None
    return other, cap, need, starts, seg, head


@pytest.mark.parametrize("seed", range(40))
def test_valley_fill_kernel_is_bit_identical(seed):
    rng = np.random.default_rng(seed)
    other, cap, need, starts, seg, head = _case(rng, int(rng.integers(1, 60)), seed % 2 == 0)
    expected = _fill.valley_fill(other, cap, need, starts, seg, head)
    got = _fill_kernels.valley_fill(other, cap, need, starts, seg, head)
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("seed", range(40))
def test_v2g_fill_kernel_is_bit_identical(seed):
    rng = np.random.default_rng(seed)
    other, cap, need, starts, seg, head = _case(rng, int(rng.integers(1, 60)), seed % 3 == 0)
    dcap = cap * [0.0, 0.5, 1.0][seed % 3] * (rng.uniform(0, 1, len(cap)) > 0.3)
    need_b = 0.9 * need - rng.uniform(0, 5, len(need)) * (rng.uniform(size=len(need)) < 0.3)
    ratio = [1.18, 1.02, 1.5, 2.5][seed % 4]  # 2.5: the numpy bisection runs (rte < 50 %)
    expected = _fill.v2g_fill(other, cap, dcap, need_b, starts, seg, 0.9, 0.944, head, ratio)
    got = _fill_kernels.v2g_fill(other, cap, dcap, need_b, starts, seg, 0.9, 0.944, head, ratio)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])


def _schedule_frames(reference, strategy, **options):
    sessions, fleet, index, base = make_case(12, 21, seed=3)
    previous = _fill_kernels.REFERENCE
    _fill_kernels.REFERENCE = reference
    try:
        r = schedule(strategy, sessions, fleet, index, base, **options)
    finally:
        _fill_kernels.REFERENCE = previous
    return r.power_kw, r.soc_kwh, r.per_ev, r.sessions


@pytest.mark.parametrize(
    ("strategy", "options"),
    [
        ("v1g", {"v1g": {"objective": "peak"}}),
        ("v1g", {"v1g": {"objective": "price"}, "transformer_limit_kw": 25.0}),
        ("v2g", {"v2g": {"objective": "peak"}, "foresight": "perfect"}),
        ("v2g", {"v2g": {"objective": "price", "daily_throughput_cap_kwh": 5.0}}),
        ("v2g", {"v2g": {"objective": "price", "opt_out_share": 0.5}, "foresight": "perfect"}),
    ],
)
def test_schedule_is_bit_identical_to_the_reference(strategy, options):
    for expected, got in zip(
        _schedule_frames(True, strategy, **options),
        _schedule_frames(False, strategy, **options),
        strict=True,
    ):
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
