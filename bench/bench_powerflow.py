"""Benchmark: gridv2x's power-grid-model engine against pandapower, same feeder and profiles.

Balanced: ``gridv2x.powerflow.run_timeseries`` over a full year (35 136 quarter hours; the
whole call counted, conversion of the net included) against pandapower's own
``pandapower.timeseries.run_timeseries`` with ``ConstControl`` controllers (warmed up by a first
short run), timed on a subset of steps because it takes hours for a year. Unbalanced: the
asymmetric engine over a full year against a ``pandapower.runpp_3ph`` loop on a subset.
Per-step times are compared. Every measurement runs in its own fresh process so that its peak
memory (``ru_maxrss``) is its own.

Run by hand (not in CI)::

    python bench/bench_powerflow.py          # 2 SimBench grids + largest built-in, ~10 min
    python bench/bench_powerflow.py --grids 1-LV-rural1--0-sw --pp-steps 100 --pp3-steps 20

Timings on a shared machine are noisy; the ratio is what to look at.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
import warnings

import numpy as np
import pandas as pd

YEAR_STEPS = 35136


def _prepare(code: str, folder: str, steps: int) -> None:
    """Write the feeder (pandapower JSON) and its year of profiles (parquet) to ``folder``.

    SimBench grids use SimBench's own profiles; a built-in gridv2x feeder (``builtin:NAME``)
    gets SimBench's H0 household profiles spread over its customers. Done once, in a separate
    process, so that measuring processes load only the data (clean peak memory).
    """
    import os

    import pandapower as pp
    import simbench

    warnings.simplefilter("ignore")
    if code.startswith("builtin:"):
        from gridv2x.network import read_builtin

        net = read_builtin(code.split(":", 1)[1]).net
        donor = simbench.get_simbench_net("1-LV-semiurb4--0-sw")
        prof = simbench.get_absolute_values(donor, profiles_instead_of_study_cases=True)
        rng = np.random.default_rng(0)
        pick = rng.integers(0, prof[("load", "p_mw")].shape[1], len(net.load))
        scale = 0.0015 / prof[("load", "p_mw")].mean().mean()  # 1.5 kW mean = 13 MWh/yr
        p = prof[("load", "p_mw")].iloc[:steps, pick] * scale
        q = prof[("load", "q_mvar")].iloc[:steps, pick] * scale
        p.columns = q.columns = net.load.index
        s = None
    else:
        net = simbench.get_simbench_net(code)
        prof = simbench.get_absolute_values(net, profiles_instead_of_study_cases=True)
        p = prof[("load", "p_mw")].iloc[:steps]
        q = prof[("load", "q_mvar")].iloc[:steps]
        s = prof[("sgen", "p_mw")].iloc[:steps] if len(net.sgen) else None
        net.profiles = {}
    pp.to_json(net, os.path.join(folder, "net.json"))
    for name, frame in (("p", p), ("q", q), ("s", s)):
        if frame is not None:
            frame = frame.reset_index(drop=True)
            frame.columns = [str(c) for c in frame.columns]
            frame.to_parquet(os.path.join(folder, f"{name}.parquet"))


def _profiles(folder: str, steps: int):
    import os

    import pandapower as pp

    net = pp.from_json(os.path.join(folder, "net.json"))

    def read(name):
        path = os.path.join(folder, f"{name}.parquet")
        if not os.path.exists(path):
            return None
        frame = pd.read_parquet(path).iloc[:steps]
        frame.columns = [int(c) for c in frame.columns]
        return frame

    return net, read("p"), read("q"), read("s")


def _per_phase(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Split each load over the phases: a third single-phase (random phase), the rest uneven."""
    rng = np.random.default_rng(seed)
    n = frame.shape[1]
    shares = rng.dirichlet([4.0, 4.0, 4.0], size=n)
    single = rng.random(n) < 1 / 3
    shares[single] = np.eye(3)[rng.integers(0, 3, single.sum())]
    values = frame.to_numpy()[:, :, None] * shares[None, :, :]
    cols = pd.MultiIndex.from_product([frame.columns, ["a", "b", "c"]])
    return pd.DataFrame(values.reshape(len(frame), -1), index=frame.index, columns=cols)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ours(folder: str, steps: int, asymmetric: bool, threads: int, queue) -> None:
    warnings.simplefilter("ignore")
    from gridv2x.powerflow import run_timeseries

    net, p, q, s = _profiles(folder, steps)
    if asymmetric:
        p, q = _per_phase(p), _per_phase(q)
    base = _peak_mb()
    start = time.perf_counter()
    result = run_timeseries(net, p, q, sgen_p_mw=s, asymmetric=asymmetric, threads=threads)
    seconds = time.perf_counter() - start
    queue.put(
        dict(
            steps=steps,
            seconds=seconds,
            peak_mb=_peak_mb(),
            base_mb=base,
            converged=float(result.converged.mean()),
            buses=len(net.bus),
        )
    )


def _pandapower_timeseries(folder: str, steps: int, queue) -> None:
    warnings.simplefilter("ignore")
    import pandapower as pp
    from pandapower.control import ConstControl
    from pandapower.timeseries import DFData, OutputWriter, run_timeseries

    net, p, q, s = _profiles(folder, steps + 10)
    p, q = p.reset_index(drop=True), q.reset_index(drop=True)
    ConstControl(net, "load", "p_mw", net.load.index, p.columns, DFData(p))
    ConstControl(net, "load", "q_mvar", net.load.index, q.columns, DFData(q))
    if s is not None:
        s = s.reset_index(drop=True)
        ConstControl(net, "sgen", "p_mw", net.sgen.index, s.columns, DFData(s))
    ow = OutputWriter(net, output_path=None)
    ow.log_variable("res_bus", "vm_pu")
    ow.log_variable("res_line", "loading_percent")
    ow.log_variable("res_trafo", "loading_percent")
    kw = dict(trafo_model="pi", calculate_voltage_angles=True, verbose=False)
    run_timeseries(net, time_steps=range(0, 10), **kw)  # warm-up
    base = _peak_mb()
    start = time.perf_counter()
    run_timeseries(net, time_steps=range(10, 10 + steps), **kw)
    seconds = time.perf_counter() - start
    queue.put(
        dict(steps=steps, seconds=seconds, peak_mb=_peak_mb(), base_mb=base, numba=_numba(pp))
    )


def _numba(pp) -> bool:
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def _pandapower_3ph(folder: str, steps: int, queue) -> None:
    warnings.simplefilter("ignore")
    from gridv2x.powerflow import run_timeseries

    net, p, q, s = _profiles(folder, steps + 2)
    p, q = _per_phase(p), _per_phase(q)
    # warm-up (2 steps), then the timed loop of runpp_3ph
    run_timeseries(
        net, p.iloc[:2], q.iloc[:2], sgen_p_mw=None, engine="pandapower", asymmetric=True
    )
    base = _peak_mb()
    start = time.perf_counter()
    result = run_timeseries(
        net,
        p.iloc[2:],
        q.iloc[2:],
        sgen_p_mw=None if s is None else s.iloc[2:],
        engine="pandapower",
        asymmetric=True,
    )
    seconds = time.perf_counter() - start
    queue.put(
        dict(
            steps=steps,
            seconds=seconds,
            peak_mb=_peak_mb(),
            base_mb=base,
            converged=float(result.converged.mean()),
        )
    )


def _in_process(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--grids",
        nargs="+",
        default=["1-LV-rural1--0-sw", "1-LV-semiurb4--0-sw", "builtin:se-villa-large"],
        help="SimBench codes, or builtin:NAME for a gridv2x built-in feeder",
    )
    parser.add_argument("--steps", type=int, default=YEAR_STEPS, help="steps for our engine")
    parser.add_argument("--pp-steps", type=int, default=300, help="steps for pandapower")
    parser.add_argument("--pp3-steps", type=int, default=50, help="steps for runpp_3ph loop")
    parser.add_argument("--threads", type=int, default=-1, help="PGM threading (-1 = all)")
    args = parser.parse_args()

    rows = []
    import tempfile

    for code in args.grids:
        folder = tempfile.mkdtemp(prefix="bench_pf_")
        ctx = mp.get_context("spawn")
        prep = ctx.Process(target=_prepare, args=(code, folder, max(args.steps, 600)))
        prep.start()
        prep.join()
        for asym in (False, True):
            ours = _in_process(_ours, folder, args.steps, asym, args.threads)
            if asym:
                ref = _in_process(_pandapower_3ph, folder, args.pp3_steps)
                ref_name = "runpp_3ph loop"
            else:
                ref = _in_process(_pandapower_timeseries, folder, args.pp_steps)
                ref_name = "pp.timeseries (warm)"
            ours_ms = ours["seconds"] / ours["steps"] * 1e3
            ref_ms = ref["seconds"] / ref["steps"] * 1e3
            rows.append(
                {
                    "grid": code,
                    "buses": ours["buses"],
                    "mode": "unbalanced" if asym else "balanced",
                    "ours steps": ours["steps"],
                    "ours total [s]": round(ours["seconds"], 2),
                    "ours [ms/step]": round(ours_ms, 4),
                    "ours peak [MB]": round(ours["peak_mb"]),
                    "ours +MB in call": round(ours["peak_mb"] - ours["base_mb"]),
                    "reference": ref_name,
                    "ref steps": ref["steps"],
                    "ref [ms/step]": round(ref_ms, 2),
                    "ref peak [MB]": round(ref["peak_mb"]),
                    "ratio": round(ref_ms / ours_ms, 1),
                    "converged": ours["converged"],
                }
            )
            print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    print()
    print("Per-step time: our whole call (net conversion included) over", args.steps, "steps;")
    print("pandapower timed on a subset after warm-up (numba installed:", _numba(None), ").")
    print("Peak memory = ru_maxrss of the measuring process (python, libraries, net and one")
    print("year of profiles); '+MB in call' = growth of that peak during the timed call.")
    print("Shared machine: timings are noisy.")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
