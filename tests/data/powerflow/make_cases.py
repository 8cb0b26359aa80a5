"""Build the load-flow reference cases in this folder (run by hand, not by the tests).

Every case folder holds the inputs (``net.json``, load/sgen profiles) and the results of
pandapower's own Newton-Raphson on them (``expected_*.parquet``), computed with
``gridv2x.powerflow.run_timeseries(..., engine="pandapower")``, i.e. ``pandapower.runpp``
(``trafo_model="pi"``, ``tolerance_mva=1e-10``) or ``pandapower.runpp_3ph``
(``tolerance_mva=1e-10``). ``case.json`` records the options, the tolerance and the versions.

Usage::

    python tests/data/powerflow/make_cases.py            # all cases
    python tests/data/powerflow/make_cases.py ieee_european_lv_asym
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pandas as pd
from pandapower.results import reset_results

from gridv2x.powerflow import run_timeseries

HERE = Path(__file__).resolve().parent
RESULT_TABLES = (
    "vm_pu",
    "line_loading_percent",
    "trafo_loading_percent",
    "trafo_p_mw",
    "line_i_ka",
)
ASYM_TABLES = ("vm_a_pu", "vm_b_pu", "vm_c_pu", "vuf_pct")


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Flat table of a result: columns ``"12"`` per element or ``"12_a"`` per element and phase.

    Parquet is column-oriented, so the longer dimension goes into the rows: index ``step``
    (time steps as rows) or, for more elements than steps, index ``element`` (transposed).
    """
    out = frame.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [f"{a}_{b}" for a, b in out.columns]
    else:
        out.columns = [str(c) for c in out.columns]
    if len(out) >= out.shape[1]:
        out.index = pd.RangeIndex(len(out), name="step")
        return out
    out.index = [f"step_{k}" for k in range(len(out))]
    out = out.T
    out.index.name = "element"
    return out


def _slim(net):
    """Drop what the load flow does not read (profiles, geodata) to keep net.json small."""
    for key in ("profiles", "loadcases", "bus_geodata", "line_geodata"):
        if key in net:
            value = net[key]
            net[key] = value.iloc[0:0] if isinstance(value, pd.DataFrame) else {}
    for table in ("bus", "line"):
        if "geo" in net[table]:
            net[table]["geo"] = None
    reset_results(net, mode="pf")
    reset_results(net, mode="pf_3ph")
    return net


def _write(folder: Path, net, inputs: dict, options: dict, tolerance: dict, source: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _slim(net)
    pp.to_json(net, str(folder / "net.json"))
    for name, frame in inputs.items():
        if frame is not None:
            _flat(frame).to_parquet(folder / f"{name}.parquet", compression="zstd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = run_timeseries(
            net,
            inputs["load_p_mw"],
            inputs["load_q_mvar"],
            sgen_p_mw=inputs.get("sgen_p_mw"),
            engine="pandapower",
            **options,
        )
    tables = RESULT_TABLES + (ASYM_TABLES if options.get("asymmetric") else ())
    for name in tables:
        _flat(getattr(ref, name)).round(12).to_parquet(
            folder / f"expected_{name}.parquet", compression="zstd"
        )
    extra = pd.DataFrame({"losses_mw": ref.losses_mw.to_numpy(), "converged": ref.converged})
    extra.index = pd.RangeIndex(len(extra), name="step")
    extra.to_parquet(folder / "expected_steps.parquet", compression="zstd")
    import power_grid_model  # noqa: F401

    meta = {
        "source": source,
        "options": options,
        "tolerance": tolerance,
        "steps": len(inputs["load_p_mw"]),
        "converged_steps": int(ref.converged.sum()),
        "versions": {"pandapower": pp.__version__, "numpy": np.__version__},
    }
    (folder / "case.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(folder.name, "done:", meta["steps"], "steps,", meta["converged_steps"], "converged")


BALANCED_TOL = {
    "vm_pu": 1e-5,
    "line_loading_percent": 1e-3,
    "trafo_loading_percent": 1e-3,
    "trafo_p_mw": 1e-7,
    "line_i_ka": 1e-7,
    "losses_mw": 1e-7,
}


def simbench_case(code: str, name: str, steps: slice, options: dict) -> None:
    import simbench

    net = simbench.get_simbench_net(code)
    prof = simbench.get_absolute_values(net, profiles_instead_of_study_cases=True)
    inputs = {
        "load_p_mw": prof[("load", "p_mw")].iloc[steps],
        "load_q_mvar": prof[("load", "q_mvar")].iloc[steps],
        "sgen_p_mw": prof[("sgen", "p_mw")].iloc[steps] if len(net.sgen) else None,
    }
    _write(
        HERE / name,
        net,
        inputs,
        options,
        BALANCED_TOL,
        f"SimBench {code} (simbench {simbench.__version__}) with its own profiles "
        f"(simbench.get_absolute_values(net, profiles_instead_of_study_cases=True)), steps "
        f"{steps.start}..{steps.stop - 1} of the year",
    )


def kerber_case() -> None:
    net = pn.create_kerber_vorstadtnetz_kabel_1()
    rng = np.random.default_rng(6)
    n_steps = 96
    hours = np.arange(n_steps) / 4
    shape = (
        0.35 + 0.4 * np.exp(-((hours - 7.5) ** 2) / 2) + 0.9 * np.exp(-((hours - 18.5) ** 2) / 4)
    )
    base = net.load["p_mw"].to_numpy()
    p = base[None, :] * shape[:, None] * rng.uniform(0.3, 2.0, (n_steps, len(base)))
    p = pd.DataFrame(p, columns=net.load.index)
    q = p * 0.2
    _write(
        HERE / "kerber_vorstadt_kabel_1",
        net,
        {"load_p_mw": p, "load_q_mvar": q},
        {},
        BALANCED_TOL,
        "pandapower.networks.create_kerber_vorstadtnetz_kabel_1() (pandapower built-in LV "
        "network); synthetic day of loads: net p_mw x double-peak daily shape x uniform(0.3, 2) "
        "draws (numpy seed 6), q = 0.2 p",
    )


def ieee_case() -> None:
    net = pn.ieee_european_lv_asymmetric()
    al = net.asymmetric_load.copy()
    loads = [pp.create_load(net, bus=int(r.bus), p_mw=0.0, q_mvar=0.0) for _, r in al.iterrows()]
    net.asymmetric_load = net.asymmetric_load.iloc[0:0]
    rng = np.random.default_rng(7)
    n_steps = 4
    shape = 0.5 + 1.5 * np.sin(np.linspace(0, np.pi, n_steps)) ** 2
    cols = pd.MultiIndex.from_product([loads, ["a", "b", "c"]])
    p0 = np.stack([al[f"p_{ph}_mw"].to_numpy() for ph in "abc"], axis=1).reshape(-1)
    q0 = np.stack([al[f"q_{ph}_mvar"].to_numpy() for ph in "abc"], axis=1).reshape(-1)
    factor = shape[:, None] * rng.uniform(0.5, 1.5, (n_steps, len(p0)))
    p = pd.DataFrame(p0 * factor, columns=cols)
    q = pd.DataFrame(q0 * factor, columns=cols)
    _write(
        HERE / "ieee_european_lv_asym",
        net,
        {"load_p_mw": p, "load_q_mvar": q},
        {"asymmetric": True},
        {
            "vm_pu": 1e-5,
            "vm_a_pu": 1e-5,
            "vm_b_pu": 1e-5,
            "vm_c_pu": 1e-5,
            "vuf_pct": 1e-3,
            "line_loading_percent": 1e-2,
            "trafo_loading_percent": 1e-2,
            "trafo_p_mw": 1e-5,
            "line_i_ka": 1e-4,
            "losses_mw": 1e-5,
        },
        "pandapower.networks.ieee_european_lv_asymmetric() (IEEE European LV test feeder, 906 "
        "buses); its 55 single-phase asymmetric_loads became loads given per phase: original "
        "value x daily shape 0.5..2 x uniform(0.5, 1.5) draws (numpy seed 7)",
    )


def overload_case() -> None:
    import simbench

    code = "1-LV-rural1--0-sw"
    net = simbench.get_simbench_net(code)
    prof = simbench.get_absolute_values(net, profiles_instead_of_study_cases=True)
    p = prof[("load", "p_mw")].iloc[:12].copy()
    q = prof[("load", "q_mvar")].iloc[:12].copy()
    factor = np.ones(12)
    factor[[3, 4, 8]] = [1000.0, 3000.0, 10000.0]  # MW on a 160 kVA transformer: no solution
    p = p.mul(factor, axis=0)
    q = q.mul(factor, axis=0)
    _write(
        HERE / "overload_rural1",
        net,
        {"load_p_mw": p, "load_q_mvar": q},
        {},
        BALANCED_TOL,
        f"SimBench {code}, first 12 steps of its profiles; steps 3, 4 and 8 multiplied by "
        "1000, 3000 and 10000 (tens of MW on a 160 kVA transformer): no load-flow solution exists",
    )


CASES = {
    "simbench_rural1": lambda: simbench_case(
        "1-LV-rural1--0-sw", "simbench_rural1", slice(3000, 3288), {}
    ),
    "simbench_semiurb4": lambda: simbench_case(
        "1-LV-semiurb4--0-sw",
        "simbench_semiurb4",
        slice(17000, 17288),
        {"slack_vm_pu": 1.03, "trafo_tap_pos": -1},
    ),
    "kerber_vorstadt_kabel_1": kerber_case,
    "ieee_european_lv_asym": ieee_case,
    "overload_rural1": overload_case,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or CASES:
        CASES[name]()
