"""Benchmark: sequential Monte-Carlo draws against the fixed design of the same confidence (issue 16).

Run by hand (not in CI)::

    python bench/bench_sequential.py [--feeder se-urban-apartments] [--days 7]
                                     [--seeds 2] [--max-seeds 6] [--risk 0.3]
                                     [--confidence 0.8] [--workers 0]

Part 1 (synthetic, instant): a made-up feeder whose violation probability per EV share is
known, at the realistic 5 % risk and 95 % confidence, 10 draws a look and up to 60. It prints,
for each design, the draws used, the capacity and its upper bound.

Part 2 (real load flows, same run): the same study with ``gridv2x.run`` twice on one feeder
(representative period of ``--days`` January days): once with ``study.max_seeds`` (sequential)
and once with ``study.seeds = max_seeds`` (the fixed design of the same confidence), in
separate folders. It prints tasks run, wall time, their ratio, and both capacities (they must
agree). Timings on a shared machine are noisy; the ratio of tasks is not.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zlib
from pathlib import Path

import pandas as pd

import gridv2x
from gridv2x.execution.sequential import SequentialPlan, design_of
from gridv2x.metrics import hosting_capacity
from gridv2x.scenario import scenario_from_dict
from gridv2x.study import Study

P_TRUE = {0.25: 0.0, 0.5: 0.0, 0.75: 0.03, 1.0: 0.2, 1.25: 0.5, 1.5: 0.7, 2.0: 1.0}


def _synthetic(max_seeds: int | None, seeds: int, refine: int) -> tuple[int, pd.Series]:
    study = Study(
        scenario_from_dict(
            {
                "name": "b",
                "study": {
                    "kind": "hosting_capacity",
                    "ev_shares": [0.25, 0.5, 1.0, 1.5, 2.0],
                    "seeds": seeds,
                    "max_seeds": max_seeds,
                    "refine": refine,
                    "risk": 0.05,
                },
                "networks": [{"builtin": "se-urban-apartments"}],
                "charging": {"strategies": ["uncontrolled"]},
            }
        )
    )
    plan = SequentialPlan(study)

    def violates(task) -> bool:
        u = zlib.crc32(f"{task.ev_share}-{task.draw}".encode()) / 2**32
        share = round(task.ev_share, 2)
        p = P_TRUE.get(share, 0.0 if share < 0.75 else 0.2)
        return u < p

    while batch := plan.next_round():
        for task in batch:
            plan.results[task] = violates(task)
    table = pd.DataFrame(
        [
            {
                "feeder": t.feeder,
                "strategy": t.strategy,
                "ev_share": t.ev_share,
                "seed": t.draw,
                "violation": v,
            }
            for t, v in plan.results.items()
        ]
    )
    hc = hosting_capacity(table, design=design_of(study.scenario.study)).iloc[0]
    return len(plan.results), hc


def _real(args, max_seeds: int | None, seeds: int, out: Path) -> tuple[int, float, pd.Series]:
    scenario = scenario_from_dict(
        {
            "name": "bench-sequential",
            "study": {
                "kind": "hosting_capacity",
                "ev_shares": [0.5, 1.0, 2.0],
                "seeds": seeds,
                "max_seeds": max_seeds,
                "risk": args.risk,
                "confidence": args.confidence,
            },
            "period": {"start": "2030-01-07", "days": args.days},
            "networks": [{"builtin": args.feeder}],
            "charging": {"strategies": ["uncontrolled"]},
        }
    )
    start = time.perf_counter()
    result = gridv2x.run(scenario, workers=args.workers, progress=False, out=out)
    seconds = time.perf_counter() - start
    return result.provenance["tasks_run_now"], seconds, result.hosting_capacity.iloc[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeder", default="se-urban-apartments")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--max-seeds", type=int, default=6)
    parser.add_argument("--risk", type=float, default=0.3)
    parser.add_argument("--confidence", type=float, default=0.8)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()

    print("Part 1: synthetic feeder, risk 5 %, confidence 95 %, shares 0.25-2.0")
    print(f"{'design':<40} {'draws':>6} {'capacity':>9} {'upper bound':>12}  draws per share")
    for label, max_seeds, seeds, refine in (
        ("fixed, 60 draws a share", None, 60, 0),
        ("sequential, 10 a look, up to 60", 60, 10, 0),
        ("sequential + 2 bisection steps", 60, 10, 2),
    ):
        n, hc = _synthetic(max_seeds, seeds, refine)
        print(
            f"{label:<40} {n:>6} {hc['hosting_capacity_share']:>9.2f} "
            f"{hc['hosting_capacity_probability_high']:>12.4f}  {hc['draws_per_share']}"
        )

    if args.skip_real:
        return
    print(
        f"\nPart 2: {args.feeder}, {args.days} January days, uncontrolled, risk {args.risk}, "
        f"confidence {args.confidence}, {args.seeds} draws a look up to {args.max_seeds}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        seq = _real(args, args.max_seeds, args.seeds, Path(tmp) / "seq")
        fix = _real(args, None, args.max_seeds, Path(tmp) / "fix")
    print(f"{'design':<12} {'tasks':>6} {'wall [s]':>9} {'capacity':>9}  statement")
    for label, (n, seconds, hc) in (("sequential", seq), ("fixed", fix)):
        print(
            f"{label:<12} {n:>6} {seconds:>9.1f} {hc['hosting_capacity_share']:>9.2f}  {hc['statement']}"
        )
    print(f"tasks ratio sequential/fixed: {seq[0] / fix[0]:.2f}; time ratio: {seq[1] / fix[1]:.2f}")


if __name__ == "__main__":
    main()
