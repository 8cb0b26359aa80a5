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


def _guard_reference(customers, p_kw, q_kvar, fleet):
    """The load guard's limits as numpy arrays over ``[phase x time x owner]`` (the formula of
    the module documentation of :mod:`gridv2x.charging.load_guard`, column by column)."""
    from gridv2x.conventions import NOMINAL_PHASE_VOLTAGE_V, PHASES
    from gridv2x.demand.phases import household_phase_shares

    owners = list(pd.unique(fleet["customer_id"]))
    by_id = customers.set_index("customer_id")
    fuse = by_id.loc[owners, "fuse_a"].to_numpy(dtype=float)
    shares = household_phase_shares(customers.reset_index(drop=True))
    shares = shares[pd.Index(customers["customer_id"]).get_indexer(owners)]
    p = p_kw[owners].to_numpy(dtype=float)
    q = q_kvar[owners].to_numpy(dtype=float)
    p_ph = np.stack([p * shares[None, :, k] for k in range(3)])
    q_ph = np.stack([q * shares[None, :, k] for k in range(3)])
    s_max = fuse * NOMINAL_PHASE_VOLTAGE_V * 0.90 / 1000.0
    active = np.sqrt(np.maximum(s_max**2 - q_ph**2, 0.0))
    rooms = np.maximum(active - p_ph, 0.0), np.maximum(active + p_ph, 0.0)
    owner = pd.Index(owners).get_indexer(fleet["customer_id"])
    n_per_owner = np.bincount(owner).astype(float)
    out = []
    for room in rooms:
        limit = np.empty((p.shape[0], len(fleet)))
        for j, (o, n_ph, ph) in enumerate(zip(owner, fleet["phases"], fleet["phase"], strict=True)):
            if n_ph == 1 and ph in PHASES:
                limit[:, j] = room[PHASES.index(ph), :, o]
            else:
                limit[:, j] = 3.0 * room[:, :, o].min(axis=0)
            limit[:, j] /= n_per_owner[o]
        out.append(limit)
    return out


def test_load_guard_limits_are_bit_identical_to_the_numpy_formula():
    from gridv2x.charging import load_guard_limits
    from gridv2x.scenario import scenario_from_dict
    from gridv2x.study import Study, Task

    feeder_name = "se-villa-large"
    study = Study(
        scenario_from_dict(
            {
                "name": "guard",
                "period": {"start": "2030-01-06", "days": 3},
                "networks": [{"builtin": feeder_name}],
                "adoption": {"share": 1.5},  # some owners share the fuse between two EVs
            }
        )
    )
    feeder = study.feeder(feeder_name)
    inputs = study.prepare(feeder, Task(feeder_name, "v2g", 0))
    fleet = inputs.fleet
    assert fleet["customer_id"].duplicated().any() and (fleet["phases"] == 1).any()
    guard = load_guard_limits(feeder.customers, inputs.base_p_kw, inputs.base_q_kvar, fleet)
    charge, discharge = _guard_reference(
        feeder.customers, inputs.base_p_kw, inputs.base_q_kvar, fleet
    )
    assert np.array_equal(guard.charge_kw.to_numpy(), charge)
    assert np.array_equal(guard.discharge_kw.to_numpy(), discharge)


@pytest.mark.parametrize("seed", range(5))
def test_past_quantile_is_pandas_rolling_quantile(seed):
    from gridv2x.charging import forecast

    rng = np.random.default_rng(seed)
    n = 2000
    group = rng.integers(0, 12, n)
    values = rng.gamma(2.0, 5.0, n).round(rng.integers(0, 3))  # ties too
    expected = (
        pd.DataFrame({"g": group, "d": values})
        .groupby("g", sort=False)["d"]
        .transform(lambda s: s.shift(1).rolling(20, min_periods=3).quantile(0.25))
    )
    got = forecast._past_quantile(group.astype(np.int64), values, 20, 3, 0.25)
    assert np.array_equal(got, expected.to_numpy(), equal_nan=True)
