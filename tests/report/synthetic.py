"""Write a small but realistic study output folder (docs/architecture.md "Results store").

Used for the report's edge cases (missing optional files, escaping, size); the main tests run
the real quickstart when the pipeline is available.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pyproj import Transformer

from gridv2x.conventions import SUMMARY_COLUMNS, period_index

STRATEGIES = ("uncontrolled", "v1g", "v2g")
EVIL = '<script>window.__pwned = 1; document.title = "pwned";</script>'


def _feeder_geo(feeder: str, n: int, rng: np.random.Generator) -> tuple[dict, pd.DataFrame]:
    """GeoJSON (point geometry in EPSG:4326 plus SWEREF x/y properties; line geometry 4326)."""
    to_wgs = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
    x0, y0 = 674_000.0 + rng.uniform(0, 1000), 6_580_000.0 + rng.uniform(0, 1000)
    xs = x0 + 35.0 * np.arange(n + 1)
    ys = y0 + 8.0 * np.sin(np.arange(n + 1))
    feats = []

    def point(kind: str, x: float, y: float, **props: object) -> dict:
        lon, lat = to_wgs.transform(x, y)
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"kind": kind, "x": x, "y": y, **props},
        }

    feats.append(point("substation", xs[0], ys[0], index=0, name="NS1"))
    for b in range(n + 1):
        feats.append(point("bus", xs[b], ys[b], index=b))
    for b in range(n):
        coords = [
            list(to_wgs.transform(xs[b], ys[b])),
            list(to_wgs.transform(xs[b + 1], ys[b + 1])),
        ]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {"kind": "line", "index": b, "from_bus": b, "to_bus": b + 1},
            }
        )
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "bus": np.arange(1, n + 1),
            "x": xs[1:] + 5.0,
            "y": ys[1:] + 15.0,
        }
    )
    for row in customers.itertuples():
        feats.append(point("customer", row.x, row.y, customer_id=row.customer_id, bus=row.bus))
    return {"type": "FeatureCollection", "features": feats}, customers


def write_synthetic_outdir(
    outdir: Path,
    *,
    feeders: tuple[str, ...] = ("se-suburban-villa",),
    strategies: tuple[str, ...] = STRATEGIES,
    days: int = 7,
    n_customers: int = 12,
    seeds: int = 1,
    kind: str = "compare",
    ev_shares: tuple[float, ...] = (0.3,),
    description: str = "Synthetic test study.",
    name: str = "synthetic-study",
    nonconverged: bool = False,
    geo: bool = True,
    fleet: bool = True,
    provenance: bool = True,
    study_tables: bool = True,
) -> Path:
    """Write a complete output folder and return it."""
    outdir = Path(outdir)
    (outdir / "results" / "feeders").mkdir(parents=True, exist_ok=True)
    (outdir / "results" / "fleet").mkdir(parents=True, exist_ok=True)
    index = period_index("2030-01-01", days, "15min")
    hours = (index.hour + index.minute / 60).to_numpy()
    evening = np.exp(-((hours - 19.0) ** 2) / 4.0)
    rows = []
    for fi, feeder in enumerate(feeders):
        rng = np.random.default_rng(fi)
        geojson, cust = _feeder_geo(feeder, n_customers, rng)
        if geo:
            (outdir / "results" / "feeders" / f"{feeder}.geojson").write_text(json.dumps(geojson))
        for seed in range(seeds):
            n_evs_max = int(max(ev_shares) * n_customers)
            ev_ids = [f"c{i:03d}-ev1" for i in range(n_evs_max)]
            share_suffix = "" if kind == "compare" else f"-share{max(ev_shares):.4f}"
            if fleet:
                srng = np.random.default_rng(100 + seed)
                sess = []
                for ev in ev_ids:
                    for d in range(days):
                        if srng.random() < 0.2:
                            continue
                        day = index[0] + pd.Timedelta(days=d)
                        arr = day + pd.Timedelta(hours=float(srng.normal(17.5, 1.5)))
                        dep = day + pd.Timedelta(days=1, hours=float(srng.normal(7.5, 0.7)))
                        km = float(srng.lognormal(3.3, 0.6))
                        sess.append((ev, arr, dep, 0.19 * km, km))
                pd.DataFrame(
                    sess, columns=["ev_id", "arrival", "departure", "energy_kwh", "distance_km"]
                ).to_parquet(
                    outdir / "results" / "fleet" / f"{feeder}-seed{seed}{share_suffix}.parquet"
                )
            for share in ev_shares:
                n_evs = int(share * n_customers)
                for si, strategy in enumerate(strategies):
                    task_id = f"{feeder}-{strategy}-s{seed}-e{int(round(100 * share))}"
                    folder = outdir / "results" / task_id
                    folder.mkdir(parents=True, exist_ok=True)
                    trng = np.random.default_rng([fi, seed, si, int(100 * share)])
                    flatten = (1.0, 0.55, 0.35)[si % 3]
                    base = (
                        60
                        + 40 * np.cos(2 * np.pi * (hours - 18) / 24)
                        + trng.normal(0, 3, len(index))
                    )
                    ev = n_evs * 7.0 * evening * flatten
                    p = base + ev
                    loading = p / 200 * 100 * (1 + share)
                    vmin_ts = 1.0 - 0.0009 * p
                    converged = np.ones(len(index), dtype=bool)
                    if nonconverged and si == 0:
                        converged[:3] = False
                    ts = pd.DataFrame(
                        {
                            "transformer_p_kw": p,
                            "transformer_loading_pct": loading,
                            "base_load_kw": base,
                            "ev_load_kw": ev,
                            "v_min_pu": vmin_ts,
                            "v_max_pu": 1.02 - 0.0001 * p,
                            "line_max_loading_pct": loading * 0.8,
                            "losses_kw": 0.02 * p,
                            "unbalance_max_pct": 0.5 + 0.004 * p,
                            "converged": converged,
                        },
                        index=index,
                    )
                    ts.to_parquet(folder / "timeseries.parquet")
                    depth = np.linspace(0.2, 1.0, n_customers)
                    cvmin = 1.0 - depth * (1.0 - vmin_ts.min())
                    customers = pd.DataFrame(
                        {
                            "customer_id": cust["customer_id"],
                            "bus": cust["bus"],
                            "v_min_pu": cvmin,
                            "v_max_pu": 1.02 - depth * 0.005,
                            "v_p05_pu": cvmin + 0.02,
                            "n_evs": [1 if i < n_evs else 0 for i in range(n_customers)],
                            "fuse_max_loading_pct": 40 + 50 * depth,
                        }
                    )
                    customers.to_parquet(folder / "customers.parquet")
                    daily_min = pd.Series(vmin_ts, index=index).groupby(index.date).min()
                    vd = pd.DataFrame(
                        {
                            c: 1.0 - depth[i] * (1.0 - daily_min.to_numpy())
                            for i, c in enumerate(cust["customer_id"])
                        },
                        index=pd.Index(pd.to_datetime(daily_min.index), name="day"),
                    )
                    vd.to_parquet(folder / "voltage_daily.parquet")
                    elements = pd.concat(
                        [
                            pd.DataFrame(
                                {
                                    "element": [f"bus {i}" for i in range(n_customers + 1)],
                                    "index": np.arange(n_customers + 1),
                                    "kind": "bus",
                                    "max_loading_pct": np.nan,
                                    "v_min_pu": np.r_[1.0, cvmin],
                                    "v_max_pu": 1.02,
                                }
                            ),
                            pd.DataFrame(
                                {
                                    "element": [f"line {i}" for i in range(n_customers)],
                                    "index": np.arange(n_customers),
                                    "kind": "line",
                                    "max_loading_pct": loading.max() * (1 - depth),
                                    "v_min_pu": np.nan,
                                    "v_max_pu": np.nan,
                                }
                            ),
                        ],
                        ignore_index=True,
                    )
                    elements.to_parquet(folder / "elements.parquet")
                    discharged = 30.0 * n_evs if strategy == "v2g" else 0.0
                    evs = pd.DataFrame(
                        {
                            "ev_id": ev_ids[:n_evs],
                            "customer_id": [e.split("-")[0] for e in ev_ids[:n_evs]],
                            "charged_kwh": 60.0 + (30.0 if strategy == "v2g" else 0.0),
                            "discharged_kwh": 30.0 if strategy == "v2g" else 0.0,
                            "driving_kwh": 58.0,
                            "unmet_kwh": 0.0,
                            "losses_kwh": 2.0,
                            "stored_start_kwh": 40.0,
                            "stored_end_kwh": 40.0,
                            "throughput_kwh": 90.0,
                            "virtual_km": 150.0 if strategy == "v2g" else 0.0,
                            "degradation_pct": 0.01 * (2 if strategy == "v2g" else 1),
                            "area": ["Täby" if i % 2 else "Danderyd" for i in range(n_evs)],
                        }
                    )
                    evs.to_parquet(folder / "evs.parquet")
                    soc = pd.DataFrame(
                        {
                            e: 30 + 20 * np.sin(np.arange(len(index)) / 40 + k)
                            for k, e in enumerate(ev_ids[:5])
                        },
                        index=index,
                    )
                    soc.to_parquet(folder / "soc.parquet")
                    row = {
                        "task_id": task_id,
                        "feeder": feeder,
                        "strategy": strategy,
                        "seed": seed,
                        "ev_share": n_evs / n_customers,
                        "ev_share_target": share if kind != "compare" else None,
                        "n_evs": n_evs,
                        "transformer_peak_kw": p.max(),
                        "transformer_max_loading_pct": loading.max(),
                        "line_max_loading_pct": 0.8 * loading.max(),
                        "v_min_pu": cvmin.min(),
                        "v_max_pu": 1.02,
                        "voltage_violation_share": float((vmin_ts < 0.9).mean()),
                        "en50160_compliant": bool(vmin_ts.min() >= 0.9),
                        "unbalance_max_pct": ts["unbalance_max_pct"].max(),
                        "losses_kwh": ts["losses_kw"].sum() / 4,
                        "ev_charged_kwh": evs["charged_kwh"].sum(),
                        "ev_discharged_kwh": discharged,
                        "ev_driving_kwh": evs["driving_kwh"].sum(),
                        "ev_unmet_kwh": 0.0,
                        "v2g_virtual_km": evs["virtual_km"].sum(),
                        "converged_share": float(converged.mean()),
                        "swedish_rule_compliant": bool(cvmin.min() >= 0.9),
                        "ev_degradation_pct_mean": evs["degradation_pct"].mean() if n_evs else 0,
                        "violates_voltage": bool(cvmin.min() < 0.9),
                        "violates_transformer_loading": bool(loading.max() > 100),
                    }
                    row["violation"] = (
                        row["violates_voltage"] or row["violates_transformer_loading"]
                    )
                    task_info = {
                        "task_id": task_id,
                        "feeder": feeder,
                        "strategy": strategy,
                        "draw": seed,
                    }
                    (folder / "task.json").write_text(
                        json.dumps(
                            {"scenario_digest": "x", "task": task_info, "summary": row}, default=str
                        )
                    )
                    rows.append(row)
        if fleet:
            base_load = pd.DataFrame(
                {
                    "villa, heat pump": np.sort(np.random.default_rng(1).gamma(2, 0.8, 2000))[::-1],
                    "apartment": np.sort(np.random.default_rng(2).gamma(2, 0.25, 2000))[::-1],
                }
            )
            base_load.to_parquet(outdir / "results" / "fleet" / f"{feeder}-base_load.parquet")
    summary = pd.DataFrame(rows)
    assert set(SUMMARY_COLUMNS) <= set(summary.columns)
    summary.to_csv(outdir / "summary.csv", index=False)
    scenario = {
        "name": name,
        "description": description,
        "study": {
            "kind": kind,
            "seeds": seeds,
            "seed": 0,
            "risk": 0.05,
            "ev_shares": list(ev_shares),
        },
        "period": {"start": "2030-01-01", "days": days, "resolution": "15min"},
        "networks": [{"builtin": f} for f in feeders],
        "limits": {"v_min_pu": 0.9, "v_max_pu": 1.1, "transformer_loading_pct": 100.0},
    }
    (outdir / "scenario.resolved.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    if provenance:
        (outdir / "provenance.json").write_text(
            json.dumps(
                {
                    "gridv2x": "0.1.0",
                    "versions": {"python": "3.11", "pandapower": "3.1", "plotly": "7.1"},
                    "seeds": {"study": 0},
                    "input_hashes": {"scenario": "sha256:abc123", "feeder": "sha256:def456"},
                    "run_time_s": 12.3,
                    "note": "<b>not bold</b>",
                }
            )
        )
    if study_tables and len(ev_shares) > 1:
        vp, hc = [], []
        for feeder in feeders:
            for si, strategy in enumerate(strategies):
                cap = None
                for share in ev_shares:
                    prob = float(np.clip((share - 0.2 * (si + 1)) * 3, 0, 1))
                    vp.append(
                        {
                            "feeder": feeder,
                            "strategy": strategy,
                            "ev_share": n_evs / n_customers,
                            "ev_share_target": share if kind != "compare" else None,
                            "n": seeds,
                            "violations": round(prob * seeds),
                            "probability": prob,
                            "probability_low": max(0.0, prob - 0.15),
                            "probability_high": min(1.0, prob + 0.15),
                        }
                    )
                    if prob <= 0.05:
                        cap = share
                hc.append(
                    {
                        "feeder": feeder,
                        "strategy": strategy,
                        "hosting_capacity_share": cap,
                        "first_violation_share": (cap or 0) + 0.1,
                        "all_violate_share": min(1.0, (cap or 0) + 0.4),
                    }
                )
        pd.DataFrame(vp).to_csv(outdir / "violation_probability.csv", index=False)
        pd.DataFrame(hc).to_csv(outdir / "hosting_capacity.csv", index=False)
    if study_tables and kind == "adoption_forecast":
        fc, de = [], []
        for feeder in feeders:
            for si, strategy in enumerate(strategies):
                first = None
                for year in range(2026, 2036):
                    prob = float(np.clip((year - 2028 - 2 * si) / 4, 0, 1))
                    fc.append(
                        {"feeder": feeder, "strategy": strategy, "year": year, "probability": prob}
                    )
                    if first is None and prob > 0.05:
                        first = year
                de.append({"feeder": feeder, "strategy": strategy, "first_violation_year": first})
        pd.DataFrame(fc).to_csv(outdir / "forecast.csv", index=False)
        frame = pd.DataFrame(de)
        base = frame[frame["strategy"] == "uncontrolled"].set_index("feeder")[
            "first_violation_year"
        ]
        frame["deferral_years"] = frame["first_violation_year"] - frame["feeder"].map(base)
        frame.to_csv(outdir / "deferral.csv", index=False)
    return outdir
