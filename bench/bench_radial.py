"""Benchmark: the radial engine against power-grid-model and pandapower, in one run.

For one feeder (default the built-in ``se-villa-large``, 140 buses) and a year of quarter
hours (35 136 steps), balanced and per phase:

* ``radial``: ``run_timeseries(engine="radial")``, the whole call (pandapower's network model
  built, inputs checked, every step solved, results assembled), after a 2-step warm-up call
  that loads the compiled numba kernels from their cache;
* ``pgm``: ``run_timeseries(engine="pgm", threads=0)`` (one thread, as the radial engine), the
  whole call;
* pandapower: balanced its ``timeseries.run_timeseries`` with ``ConstControl`` (warmed up),
  per phase a plain ``runpp_3ph`` loop (no restarts), both on a subset of steps.

Every measurement runs in its own fresh process. Wall-clock and CPU time (``process_time``) are
both printed: the machine is shared (2 cores, ~8 users), so wall times are noisy and the CPU
times are the better basis for the ratios, which are taken within this one run.

Measured (2026-12-07, two runs on the shared 2-core machine, load average 7-14; radial after
issue 14's second round: fused per-chunk kernel, nodes in elimination order, sequences side by
side, no ``hypot``; whole call, one thread each; ratios within each run)::

                               run 1 (load ~7-10)          run 2 (load ~12-14)
                               balanced    per phase       balanced    per phase
    radial [us/step] cpu           15.4         59.8           13.0         66.3
    radial [us/step] wall          66.5        242.8           22.4        126.1
    pgm [us/step] cpu             143.2       1468.6          104.6       1464.0
    pgm / radial (cpu)              9.3x        24.6x           8.0x        22.1x
    pgm / radial (wall)             8.9x        23.9x           9.0x        28.5x
    pandapower / radial (wall)     1404x        4732x          2352x        8575x
    targets (issue 14)          4x, 1000x   20x, 2000x      4x, 1000x   20x, 2000x
    physical limit [us/step]        1-3        10-20            1-3        10-20

Again on the otherwise idle machine (2026-12-07, stop 16, load ~1): radial 9.8 / 45.2 us/step
CPU (balanced / per phase), pgm / radial 8.8x / 28.5x, pandapower / radial 1592x / 3100x;
radial / physical limit 3.3-9.8x / 2.3-4.5x.

pandapower: ``timeseries.run_timeseries`` (warm, 200 steps) balanced, a ``runpp_3ph`` loop
(30 steps) per phase. Before this round (same machine, load ~3-7): radial 35.9 / 96.6 us/step
CPU, pgm / radial 3.3x / 15.3x. Where the radial time goes (per phase, kernel alone, 2 880
steps): ~6.2 fixed-point iterations of ~4.3 us (three sequence sweeps ~2.4 us, load currents
~2 us for 140 nodes) and ~8 us of results (bus voltages per phase, branch currents and
powers); the rest of the whole call is pandapower's network model (``_pd2ppc`` of three
sequence networks, ~0.1-0.2 s, 3-5 us/step over a year) and writing ten 39 MB result tables.
Balanced: ~4.8 iterations of ~1 us and ~2 us of results. So the radial engine is 4-13x
(balanced) and 3-7x (per phase) above the issue's physical-limit estimate in CPU time.

Run by hand (not in CI)::

    python bench/bench_radial.py                       # a year on se-villa-large, ~5-10 min
    python bench/bench_radial.py --steps 2880 --pp-steps 50 --pp3-steps 10
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
import warnings

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_powerflow import (  # noqa: E402
    YEAR_STEPS,
    _in_process,
    _pandapower_timeseries,
    _per_phase,
    _prepare,
    _profiles,
)

PHYSICAL_LIMIT_US = {"balanced": (1.0, 3.0), "per phase": (10.0, 20.0)}
"""Issue 14's estimate of the physical limit for a 140-bus feeder on one core [us/step]."""


def _engine(folder: str, steps: int, asymmetric: bool, engine: str, queue) -> None:
    warnings.simplefilter("ignore")
    from gridv2x.powerflow import run_timeseries

    net, p, q, s = _profiles(folder, steps)
    if asymmetric:
        p, q = _per_phase(p), _per_phase(q)
    kw = dict(asymmetric=asymmetric, engine=engine, threads=0)
    run_timeseries(net, p.iloc[:2], q.iloc[:2], **kw)  # warm-up (numba cache, imports)
    cpu, wall = time.process_time(), time.perf_counter()
    result = run_timeseries(net, p, q, sgen_p_mw=s, **kw)
    queue.put(
        dict(
            steps=steps,
            wall=time.perf_counter() - wall,
            cpu=time.process_time() - cpu,
            converged=float(result.converged.mean()),
            buses=len(net.bus),
            vm_min=float(result.vm_pu.min().min()),
        )
    )


def _runpp_3ph_loop(folder: str, steps: int, queue) -> None:
    warnings.simplefilter("ignore")
    from gridv2x.powerflow import prepare_net
    from gridv2x.powerflow.reference import run_pandapower

    net, p, q, s = _profiles(folder, steps + 2)
    p, q = _per_phase(p), _per_phase(q)
    net = prepare_net(net, asymmetric=True)
    run_pandapower(net, p.iloc[:2], q.iloc[:2], asymmetric=True, restarts_3ph=0)  # warm-up
    cpu, wall = time.process_time(), time.perf_counter()
    run_pandapower(
        net,
        p.iloc[2:],
        q.iloc[2:],
        sgen_p_mw=None if s is None else s.iloc[2:],
        asymmetric=True,
        restarts_3ph=0,
    )
    queue.put(dict(steps=steps, wall=time.perf_counter() - wall, cpu=time.process_time() - cpu))


def _pp_timeseries(folder: str, steps: int, queue) -> None:
    _pandapower_timeseries(folder, steps, _Relay(queue))


class _Relay:
    """Renames bench_powerflow's ``seconds`` (wall clock, after its warm-up) to ``wall``."""

    def __init__(self, queue) -> None:
        self.queue = queue

    def put(self, item: dict) -> None:
        item = dict(item)
        item["wall"] = item.pop("seconds")
        self.queue.put(item)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", default="builtin:se-villa-large")
    parser.add_argument("--steps", type=int, default=YEAR_STEPS, help="steps for radial, pgm")
    parser.add_argument("--pp-steps", type=int, default=200, help="steps, pandapower timeseries")
    parser.add_argument("--pp3-steps", type=int, default=30, help="steps, runpp_3ph loop")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="bench_radial_")
    ctx = mp.get_context("spawn")
    prep = ctx.Process(target=_prepare, args=(args.grid, folder, max(args.steps, 600)))
    prep.start()
    prep.join()

    rows = []
    for mode, asym in (("balanced", False), ("per phase", True)):
        radial = _in_process(_engine, folder, args.steps, asym, "radial")
        pgm = _in_process(_engine, folder, args.steps, asym, "pgm")
        if asym:
            ref = _in_process(_runpp_3ph_loop, folder, args.pp3_steps)
            ref_name = "runpp_3ph loop"
        else:
            ref = _in_process(_pp_timeseries, folder, args.pp_steps)
            ref_name = "pp.timeseries (warm)"
        us = {k: r["wall"] / r["steps"] * 1e6 for k, r in (("radial", radial), ("pgm", pgm))}
        cpu = {k: r["cpu"] / r["steps"] * 1e6 for k, r in (("radial", radial), ("pgm", pgm))}
        ref_us = ref["wall"] / ref["steps"] * 1e6
        low, high = PHYSICAL_LIMIT_US[mode]
        rows.append(
            {
                "mode": mode,
                "buses": radial["buses"],
                "steps": args.steps,
                "radial [us/step] wall": round(us["radial"], 1),
                "radial [us/step] cpu": round(cpu["radial"], 1),
                "pgm [us/step] wall": round(us["pgm"], 1),
                "pgm [us/step] cpu": round(cpu["pgm"], 1),
                f"reference ({ref['steps']} steps)": ref_name,
                "ref [us/step] wall": round(ref_us),
                "pgm / radial (cpu)": round(cpu["pgm"] / cpu["radial"], 1),
                "pgm / radial (wall)": round(us["pgm"] / us["radial"], 1),
                "ref / radial (wall)": round(ref_us / us["radial"]),
                "limit [us/step]": f"{low:g}-{high:g}",
                "radial / limit (cpu)": f"{cpu['radial'] / high:.1f}-{cpu['radial'] / low:.1f}",
                "converged radial, pgm": f"{radial['converged']:.4f}, {pgm['converged']:.4f}",
                "vm_min radial, pgm": f"{radial['vm_min']:.5f}, {pgm['vm_min']:.5f}",
            }
        )
        print(pd.DataFrame(rows[-1:]).T.to_string(header=False), flush=True)
    print()
    print(f"{args.grid}: radial and pgm over {args.steps} steps (whole call, one thread each);")
    print("pandapower on a subset after warm-up. Shared 2-core machine: wall times are noisy,")
    print("CPU times (process_time) less so; ratios are from this one run.")
    print(pd.DataFrame(rows).T.to_string(header=False))


if __name__ == "__main__":
    main()
