"""Sequential Monte-Carlo draws (study.max_seeds, study.refine): fewer draws than a fixed
design of the same confidence, the same decisions, and a plan that depends only on results."""

from __future__ import annotations

import html
import zlib

import pandas as pd
import pytest

import gridv2x
from gridv2x.execution.sequential import SequentialPlan, design_of
from gridv2x.metrics import hosting_capacity
from gridv2x.metrics.confidence import SequentialDesign, upper_bound
from gridv2x.scenario import scenario_from_dict
from gridv2x.study import Study

# a made-up feeder response: violation probability per EV share
P_TRUE = {0.25: 0.0, 0.5: 0.0, 0.75: 0.03, 1.0: 0.2, 1.5: 0.7, 2.0: 1.0}


def _violates(task) -> bool:
    """A deterministic pseudo-random draw of a violation at the share's probability."""
    u = zlib.crc32(f"{task.strategy}-{task.ev_share}-{task.draw}".encode()) / 2**32
    return u < P_TRUE.get(round(task.ev_share, 2), 0.2 if task.ev_share > 0.75 else 0.0)


def _study(**study) -> Study:
    return Study(
        scenario_from_dict(
            {
                "name": "t",
                "study": {"kind": "hosting_capacity", "risk": 0.05, **study},
                "networks": [{"builtin": "se-urban-apartments"}],
                "charging": {"strategies": ["uncontrolled", "v1g"]},
            }
        )
    )


def _play(study: Study, order=None) -> SequentialPlan:
    plan = SequentialPlan(study)
    while batch := plan.next_round():
        for task in order(batch) if order else batch:
            plan.results[task] = _violates(task)
    return plan


def _table(plan: SequentialPlan) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "feeder": t.feeder,
                "strategy": t.strategy,
                "ev_share": t.ev_share,
                "seed": t.draw,
                "violation": v,
                "n_customers": 108,
            }
            for t, v in plan.results.items()
        ]
    )


def test_design_needs_59_clean_draws_at_5_percent_and_95_percent():
    design = SequentialDesign(risk=0.05, confidence=0.95, first=10, max=60)
    assert design.fixed_draws == 59
    assert design.looks == (10, 20, 30, 40, 50, 60)
    assert design.safe_confidence == 0.95  # only the look at 60 can show safety
    assert design.decide(0, 60) == "safe"
    assert design.decide(0, 10) == "pending"
    assert design.decide(1, 10) == "not_demonstrable"  # 1 of <= 60 never shows 5 %
    assert design.decide(5, 10) == "unsafe"
    # looks at 60, 70, ..., 100 could each show safety: the error is split between them
    wide = SequentialDesign(risk=0.05, confidence=0.95, first=10, max=100)
    assert wide.safe_confidence > 0.95
    assert wide.decide(0, 60) != "safe"
    assert float(upper_bound(0, 100, confidence=wide.safe_confidence)) <= 0.05


def test_sequential_plan_saves_draws_and_keeps_the_fixed_decision():
    sequential = _play(_study(ev_shares=[0.25, 0.5, 1.0, 1.5, 2.0], seeds=10, max_seeds=60))
    fixed = _play(_study(ev_shares=[0.25, 0.5, 1.0, 1.5, 2.0], seeds=60, sweep="full"))
    assert len(fixed.results) == 5 * 60 * 2
    assert len(sequential.results) < 0.6 * len(fixed.results)
    design = design_of(sequential.study.scenario.study)
    hc_seq = hosting_capacity(_table(sequential), design=design).set_index("strategy")
    hc_fix = hosting_capacity(_table(fixed)).set_index("strategy")
    for strategy in ("uncontrolled", "v1g"):
        assert hc_seq.loc[strategy, "hosting_capacity_share"] == 0.5
        assert hc_fix.loc[strategy, "hosting_capacity_share"] == 0.5
        assert hc_seq.loc[strategy, "hosting_capacity_probability_high"] <= 0.05
        assert hc_seq.loc[strategy, "demonstrated"]
        assert hc_seq.loc[strategy, "hosting_capacity_evs"] == 54
    # the draws used per share: 60 where safety was shown, fewer where it could not be
    assert hc_seq.loc["uncontrolled", "draws_per_share"].startswith("0.25:60 0.5:60 1:10")


def test_ordered_sweep_draws_nothing_above_the_capacity():
    """study.sweep: ordered (the default) reaches the same capacity as the full sweep with
    fewer draws, and no share above a failed one is ever drawn."""
    shares = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0]
    ordered = _play(_study(ev_shares=shares, seeds=10, max_seeds=60))
    full = _play(_study(ev_shares=shares, seeds=10, max_seeds=60, sweep="full"))
    assert ordered.ordered and not full.ordered
    assert len(ordered.results) < len(full.results)
    assert {t.ev_share for t in full.results} == set(shares)  # the first round draws all
    design = design_of(ordered.study.scenario.study)
    hc_ord = hosting_capacity(_table(ordered), design=design).set_index("strategy")
    hc_full = hosting_capacity(_table(full), design=design).set_index("strategy")
    for strategy in ("uncontrolled", "v1g"):
        assert hc_ord.loc[strategy, "hosting_capacity_share"] == 0.5
        assert hc_full.loc[strategy, "hosting_capacity_share"] == 0.5
        # 0.75 (p = 3 %) has a violating draw in the made-up response: 1.0 is never drawn
        drawn = {t.ev_share for t in ordered.results if t.strategy == strategy}
        assert drawn == {0.25, 0.5, 0.75}
    # the first round of the ordered sweep is one batch of the lowest share per strategy
    first = SequentialPlan(ordered.study).next_round()
    assert {t.ev_share for t in first} == {0.25} and len(first) == 2 * 10


def test_ordered_sweep_of_a_small_design_climbs_to_the_first_violation():
    """A fixed design too small to show safety still draws every share up to the first one
    with a violating draw (the EPRI first violation), not just the lowest share."""
    plan = _play(_study(ev_shares=[0.25, 0.5, 1.0, 1.5, 2.0], seeds=5))
    for strategy in ("uncontrolled", "v1g"):
        by_share = {}
        for task, violation in plan.results.items():
            if task.strategy == strategy:
                by_share.setdefault(task.ev_share, []).append(violation)
        top = max(by_share)
        assert any(by_share[top])  # it stopped at a share that violated
        assert not any(v for share, vs in by_share.items() if share < top for v in vs)
        assert all(len(v) == 5 for v in by_share.values())


def test_bisection_refines_between_safe_and_unsafe_shares():
    plan = _play(_study(ev_shares=[0.5, 2.0], seeds=10, max_seeds=60, refine=3))
    shares = sorted({t.ev_share for t in plan.results})
    assert len(shares) == 5  # 0.5, 2.0 and three midpoints
    hc = hosting_capacity(_table(plan), design=design_of(plan.study.scenario.study))
    assert (hc["hosting_capacity_share"] >= 0.5).all()


def test_plan_does_not_depend_on_the_order_results_arrive():
    study = _study(ev_shares=[0.25, 0.5, 1.0, 2.0], seeds=10, max_seeds=60, refine=2)
    forward = _play(study)
    backward = _play(study, order=lambda batch: list(reversed(batch)))
    assert set(forward.results) == set(backward.results)


@pytest.mark.slow
def test_sequential_hosting_capacity_on_se_urban_apartments(tmp_path):
    """Real load flows: the sequential design decides with fewer draws than the fixed design
    of the same confidence; the capacity's upper bound is within the risk; CSV and report
    say the same; a second run in the same folder runs nothing and gives the same tables."""
    scenario = scenario_from_dict(
        {
            "name": "seq",
            "study": {
                "kind": "hosting_capacity",
                "ev_shares": [0.5, 1.0, 2.0],
                "seeds": 2,
                "max_seeds": 6,
                "risk": 0.3,
                "confidence": 0.8,
            },
            "period": {"start": "2030-01-01", "days": 14, "representative_weeks": 1},
            "networks": [{"builtin": "se-urban-apartments"}],
            "charging": {"strategies": ["uncontrolled"]},
        }
    )
    out = tmp_path / "seq"
    result = gridv2x.run(scenario, workers=0, progress=False, out=out)
    design = design_of(scenario.study)
    fixed_draws = 3 * design.max  # every share at max_seeds, the fixed design's draws
    assert result.provenance["tasks_run_now"] < fixed_draws
    hc = pd.read_csv(out / "hosting_capacity.csv").iloc[0]
    vp = pd.read_csv(out / "violation_probability.csv")
    assert {"n", "probability_high", "decision", "confidence"} <= set(vp.columns)
    assert {"confidence", "draws_per_share", "demonstrated", "statement"} <= set(hc.index)
    assert hc["draws_total"] == vp["n"].sum() == result.provenance["tasks_run_now"]
    if hc["demonstrated"]:
        at = vp[vp["ev_share"] == hc["hosting_capacity_share"]].iloc[0]
        assert at["probability_high"] <= 0.3
        assert (vp[vp["ev_share"] <= hc["hosting_capacity_share"]]["decision"] == "safe").all()
    result.write(out)
    assert html.escape(hc["statement"]) in (out / "report.html").read_text()
    again = gridv2x.run(scenario, workers=0, progress=False, out=out)
    assert again.provenance["tasks_run_now"] == 0
    pd.testing.assert_frame_equal(again.hosting_capacity, result.hosting_capacity)


@pytest.mark.slow
def test_rounds_of_a_study_share_one_local_cluster(tmp_path, monkeypatch):
    """Every round of a sequential study runs on the same dask cluster: its workers keep
    their feeders, engines and compiled kernels from one round to the next."""
    from gridv2x.execution import cluster

    started = []
    real = cluster.local_cluster

    def counted(*args, **kwargs):
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(cluster, "local_cluster", counted)
    scenario = scenario_from_dict(
        {
            "name": "rounds",
            "study": {"kind": "hosting_capacity", "ev_shares": [0.1, 0.2, 0.3], "seeds": 1},
            "period": {"start": "2030-06-01", "days": 1},
            "networks": [{"builtin": "se-urban-apartments"}],
            "charging": {"strategies": ["uncontrolled"]},
        }
    )
    result = gridv2x.run(scenario, workers=1, progress=False, out=tmp_path / "out")
    rounds = result.summary["ev_share_target"].nunique()
    assert rounds >= 2  # the ordered sweep drew the shares one round after the other
    assert len(started) == 1
