"""Design checks a Swedish planner applies to an LV feeder.

* **Velander design peak** of a group of customers (docs/sources.md §2 [F]).
* **Earth-fault loop impedance** at every customer <= 0.65 ohm (docs/sources.md §1.4 [F]), so the
  main fuse upstream trips in time.
* **Voltage** within the planning band 0.92-1.06 pu at the design peak (docs/sources.md §1.4 [F]).
* **Loading**: no cable above its rating with the Velander current of its downstream customers,
  no transformer above its rating at the design peak.
* **Protection**: a service cable feeding one customer is rated at least the customer's main
  fuse (the fuse protects the cable), and the loop impedance lets the main fuse trip within
  5 s: Z_loop <= 0.85 U0 / I_a (docs/sources.md §1.4 [F]).

References
----------
.. [1] Velander, S., "Metod för bestämning av belastning vid dimensionering av
   distributionsnät", 1952; constants from Hartvigsson et al., Open LV-Grid Generator,
   MethodsX (2021) (docs/sources.md §2).
.. [2] IEC 60909-0:2016, short-circuit currents in three-phase a.c. systems (single-phase fault:
   loop impedance (2 Z1 + Z0) / 3).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandapower as pp
import pandas as pd

from gridv2x.network.catalogue import TEMPERATURE_FACTOR_AL, fuse_max_loop_ohm
from gridv2x.network.feeder import Feeder

__all__ = [
    "VELANDER",
    "DESIGN_POWER_FACTOR",
    "MAX_LOOP_IMPEDANCE_OHM",
    "PLANNING_BAND_PU",
    "velander_kw",
    "group_design_peak_kw",
    "design_loads_kw",
    "tree",
    "loop_impedance_ohm",
    "downstream_customers",
    "line_design_current_a",
    "run_design_peak",
    "DesignReport",
    "design_check",
]

VELANDER: dict[str, tuple[float, float]] = {
    "villa": (0.0003, 0.0375),
    "farm": (0.0003, 0.0375),
    "business": (0.0003, 0.0375),
    "apartment": (0.000264, 0.014),
}
"""Velander constants (k1 [kW/kWh], k2 [kW/sqrt(kWh)]) per dwelling, docs/sources.md §2 [F] (house
constants also used for farms and small businesses [E])."""

DESIGN_POWER_FACTOR = 0.9
"""Power factor at the design peak, docs/sources.md §1.4 [F]."""

MAX_LOOP_IMPEDANCE_OHM = 0.65
"""Largest earth-fault loop impedance at a customer in Swedish distribution grids [ohm],
docs/sources.md §1.4 [F]."""

PLANNING_BAND_PU = (0.92, 1.06)
"""Planning voltage band at the design peak [pu], docs/sources.md §1.4 [F]."""

GRID_SK_MVA_DEFAULT = 100.0
"""Short-circuit power of the 10 kV grid when ``ext_grid.s_sc_max_mva`` is not set [MVA] [E]."""


def velander_kw(annual_kwh: float, dwelling: str = "villa") -> float:
    """Velander peak of a group of like customers, P = k1 W + k2 sqrt(W) [kW].

    Parameters
    ----------
    annual_kwh : float
        Sum of the group's annual electricity use W [kWh].
    dwelling : str
        ``villa``, ``apartment``, ``farm`` or ``business`` (selects k1, k2 from
        :data:`VELANDER`).

    Returns
    -------
    float
        Design peak [kW].

    References
    ----------
    .. [1] docs/sources.md §2 (Velander constants of the Chalmers model) [F].
    """
    k1, k2 = VELANDER.get(dwelling, VELANDER["villa"])
    w = max(float(annual_kwh), 0.0)
    return k1 * w + k2 * np.sqrt(w)


def group_design_peak_kw(customers: pd.DataFrame) -> float:
    """Velander design peak of a mixed group [kW]: the sum over dwelling classes of the class's
    Velander peak (a slight over-estimate for mixed groups, on the safe side [E])."""
    if len(customers) == 0:
        return 0.0
    sums = customers.groupby("dwelling")["annual_kwh"].sum()
    return float(sum(velander_kw(w, d) for d, w in sums.items()))


def design_loads_kw(customers: pd.DataFrame) -> pd.Series:
    """Each customer's share of the feeder's Velander design peak [kW], proportional to its
    annual use (index as ``customers``)."""
    total = group_design_peak_kw(customers)
    w = customers["annual_kwh"].astype(float)
    return total * w / w.sum()


def tree(net: pp.pandapowerNet) -> tuple[int, dict[int, tuple[int, int]]]:
    """Radial tree of the LV network seen from the (first) transformer's LV bus.

    Returns
    -------
    root : int
        LV busbar (pandapower bus index).
    parent : dict
        ``bus -> (parent bus, line index)`` for every bus reached through in-service lines
        (buses reached twice, i.e. loops, keep their first parent).
    """
    root = int(net.trafo.lv_bus.iloc[0])
    adjacency: dict[int, list[tuple[int, int]]] = {}
    lines = net.line[net.line.in_service.astype(bool)]
    for li, a, b in zip(lines.index, lines.from_bus, lines.to_bus, strict=True):
        adjacency.setdefault(int(a), []).append((int(b), int(li)))
        adjacency.setdefault(int(b), []).append((int(a), int(li)))
    parent: dict[int, tuple[int, int]] = {}
    seen = {root}
    queue = deque([root])
    while queue:
        bus = queue.popleft()
        for nxt, li in adjacency.get(bus, []):
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = (bus, li)
                queue.append(nxt)
    return root, parent


def _line_loop_ohm(net: pp.pandapowerNet, li: int, temperature_factor: float) -> complex:
    """Phase + PEN loop impedance of one line [ohm]: (r + r_pen) k_T + j 2 x, times length."""
    row = net.line.loc[li]
    r = float(row.r_ohm_per_km)
    r_pen = r
    if "r_pen_ohm_per_km" in net.line.columns and pd.notna(row.get("r_pen_ohm_per_km")):
        r_pen = float(row.r_pen_ohm_per_km)
    parallel = float(row.parallel) if "parallel" in row else 1.0
    length = float(row.length_km)
    return (
        complex((r + r_pen) * temperature_factor, 2 * float(row.x_ohm_per_km)) * length / parallel
    )


def loop_impedance_ohm(
    net: pp.pandapowerNet, *, temperature_factor: float = TEMPERATURE_FACTOR_AL
) -> pd.Series:
    """Earth-fault (phase-PEN) loop impedance magnitude at every bus reached from the LV busbar.

    Z_loop = 2/3 Z_Q + Z_T + sum over the path of L (k_T (r + r_pen) + j 2 x), where Z_Q is
    the 10 kV grid referred to 0.4 kV (c = 1.1, X/R = 10), Z_T the transformer (for a Dyn
    transformer Z0 = Z1, so its part of (2 Z1 + Z0)/3 is Z_T) and k_T the resistance factor at
    conductor temperature (70 °C, R70 = 1.2 R20) [E].

    Parameters
    ----------
    net : pandapowerNet
        A radial LV net with one 10/0.4 kV transformer; ``line.r_pen_ohm_per_km`` if present
        (else PEN = phase conductor); ``ext_grid.s_sc_max_mva`` if present (else 100 MVA).
    temperature_factor : float
        R(theta)/R20 applied to the conductor resistances (1.0 gives the 20 °C value).

    Returns
    -------
    pandas.Series
        |Z_loop| [ohm] indexed by bus (the LV busbar included).

    References
    ----------
    .. [1] IEC 60909-0:2016 (docs/sources.md §1.4 for the 0.65 ohm limit).
    """
    root, parent = tree(net)
    trafo = net.trafo.iloc[0]
    u_lv = float(trafo.vn_lv_kv)
    s = float(trafo.sn_mva)
    zk = trafo.vk_percent / 100 * u_lv**2 / s
    rk = trafo.vkr_percent / 100 * u_lv**2 / s
    z_t = complex(rk, np.sqrt(max(zk**2 - rk**2, 0.0)))
    sk = GRID_SK_MVA_DEFAULT
    if "s_sc_max_mva" in net.ext_grid.columns and pd.notna(net.ext_grid.s_sc_max_mva.iloc[0]):
        sk = float(net.ext_grid.s_sc_max_mva.iloc[0])
    zq_abs = 1.1 * u_lv**2 / sk
    z_q = zq_abs * complex(1, 10) / abs(complex(1, 10))
    z = {root: 2 / 3 * z_q + z_t}
    # parent dict is filled in BFS order, so parents come before children
    for bus, (up, li) in parent.items():
        z[bus] = z[up] + _line_loop_ohm(net, li, temperature_factor)
    return pd.Series({b: abs(v) for b, v in z.items()}, name="loop_impedance_ohm")


def downstream_customers(net: pp.pandapowerNet, customers: pd.DataFrame) -> dict[int, list[int]]:
    """For every line of the tree, the customers (row positions) fed through it."""
    _, parent = tree(net)
    out: dict[int, list[int]] = {int(li): [] for li in net.line.index}
    for pos, bus in enumerate(customers["bus"].to_numpy()):
        b = int(bus)
        while b in parent:
            up, li = parent[b]
            out[li].append(pos)
            b = up
    return out


def line_design_current_a(net: pp.pandapowerNet, customers: pd.DataFrame) -> pd.Series:
    """Velander current of each line's downstream customers [A] (balanced, cos phi 0.9)."""
    down = downstream_customers(net, customers)
    u = 0.4
    out = {}
    for li, pos in down.items():
        p = group_design_peak_kw(customers.iloc[pos]) if pos else 0.0
        out[li] = p / DESIGN_POWER_FACTOR / (np.sqrt(3) * u)
    return pd.Series(out, name="design_current_a")


def run_design_peak(feeder: Feeder) -> pp.pandapowerNet:
    """Run a pandapower load flow with every customer at its design load; return a copy of
    the net with results. Loads: :func:`design_loads_kw` at cos phi 0.9 (inductive)."""
    import copy

    net = copy.deepcopy(feeder.net)
    p_kw = design_loads_kw(feeder.customers)
    tan = np.tan(np.arccos(DESIGN_POWER_FACTOR))
    loads = feeder.customers["load"].astype(int).to_numpy()
    net.load.loc[:, "p_mw"] = 0.0
    net.load.loc[:, "q_mvar"] = 0.0
    net.load.loc[loads, "p_mw"] = p_kw.to_numpy() / 1000
    net.load.loc[loads, "q_mvar"] = p_kw.to_numpy() / 1000 * tan
    pp.runpp(net, calculate_voltage_angles=False, numba=False)
    return net


def _service_below_fuse(feeder: Feeder) -> list[str]:
    """Service cables that feed exactly one customer and are rated below its main fuse."""
    net, cust = feeder.net, feeder.customers
    _, parent = tree(net)
    per_bus = cust.groupby("bus").size()
    children: dict[int, int] = {}
    for _bus, (up, _li) in parent.items():
        children[up] = children.get(up, 0) + 1
    out = []
    for _, row in cust.iterrows():
        bus = int(row["bus"])
        if per_bus.get(bus, 0) != 1 or children.get(bus, 0) or bus not in parent:
            continue
        li = parent[bus][1]
        rating = float(net.line.at[li, "max_i_ka"]) * 1000
        if rating < float(row["fuse_a"]):
            out.append(
                f"{net.line.at[li, 'name']} {rating:.0f} A < {row['customer_id']} {row['fuse_a']} A"
            )
    return out


@dataclass
class DesignReport:
    """Outcome of :func:`design_check`.

    Attributes
    ----------
    passed : bool
        True if every check passed.
    failures : list of str
        One readable message per failed check.
    loop_impedance_ohm : pandas.Series
        Per customer_id [ohm].
    v_min_pu, v_max_pu : float
        Extreme bus voltages at the design peak [pu].
    transformer_loading_pct : float
        At the design peak [%].
    line_design_loading_pct : pandas.Series
        Velander current / rating per line [%].
    design_peak_kw : float
        Feeder Velander peak [kW].
    converged : bool
    """

    passed: bool
    failures: list[str] = field(default_factory=list)
    loop_impedance_ohm: pd.Series | None = None
    v_min_pu: float = float("nan")
    v_max_pu: float = float("nan")
    transformer_loading_pct: float = float("nan")
    line_design_loading_pct: pd.Series | None = None
    design_peak_kw: float = float("nan")
    converged: bool = False

    def __str__(self) -> str:
        head = "PASS" if self.passed else "FAIL"
        lines = [
            f"{head}: design peak {self.design_peak_kw:.1f} kW, "
            f"v {self.v_min_pu:.4f}-{self.v_max_pu:.4f} pu, transformer "
            f"{self.transformer_loading_pct:.1f} %, max line "
            f"{float(self.line_design_loading_pct.max()) if self.line_design_loading_pct is not None and len(self.line_design_loading_pct) else float('nan'):.1f} %, "
            f"max loop {float(self.loop_impedance_ohm.max()) if self.loop_impedance_ohm is not None and len(self.loop_impedance_ohm) else float('nan'):.3f} ohm"
        ]
        lines += [f"  - {f}" for f in self.failures]
        return "\n".join(lines)


def design_check(
    feeder: Feeder,
    *,
    max_loop_impedance_ohm: float = MAX_LOOP_IMPEDANCE_OHM,
    v_band_pu: tuple[float, float] = PLANNING_BAND_PU,
    max_loading_pct: float = 100.0,
) -> DesignReport:
    """Apply the Swedish planner's design checks to ``feeder``.

    Voltages and the transformer loading come from one pandapower load flow with the feeder's
    Velander peak shared in proportion to annual use (:func:`design_loads_kw`); cable loadings
    from the Velander current of each cable's own downstream customers (higher per customer
    for small groups, as a planner sizes a branch).

    Parameters
    ----------
    feeder : Feeder
    max_loop_impedance_ohm : float
        Limit at every customer [ohm], default 0.65 (docs/sources.md §1.4 [F]).
    v_band_pu : (float, float)
        Planning band at the design peak [pu], default 0.92-1.06 (docs/sources.md §1.4 [F]).
    max_loading_pct : float
        Largest line (Velander current of downstream customers) and transformer loading at
        the design peak [%].

    Returns
    -------
    DesignReport
    """
    cust = feeder.customers
    failures: list[str] = []
    z = loop_impedance_ohm(feeder.net)
    z_cust = pd.Series(
        [z.get(int(b), np.inf) for b in cust["bus"]], index=cust["customer_id"].to_numpy()
    )
    bad = z_cust[z_cust > max_loop_impedance_ohm]
    if len(bad):
        worst = ", ".join(f"{c} {v:.3f}" for c, v in bad.sort_values()[::-1].head(5).items())
        failures.append(
            f"loop impedance above {max_loop_impedance_ohm} ohm at {len(bad)} customer(s): "
            f"{worst} ohm; use a larger cable or shorter route"
        )
    z_fuse = pd.Series([fuse_max_loop_ohm(float(f)) for f in cust["fuse_a"]], index=z_cust.index)
    slow = z_cust[z_cust > z_fuse]
    if len(slow):
        worst = ", ".join(f"{c} {z_cust[c]:.3f} > {z_fuse[c]:.3f}" for c in slow.index[:5])
        failures.append(
            f"main fuse would not trip within 5 s at {len(slow)} customer(s) ({worst} ohm); "
            "use a larger cable or a smaller main fuse"
        )
    weak = _service_below_fuse(feeder)
    if weak:
        failures.append(
            "service cable(s) rated below the customer's main fuse (the fuse would not protect "
            f"the cable): {', '.join(weak[:5])}; use a larger service cable or a smaller fuse"
        )
    i_design = line_design_current_a(feeder.net, cust)
    loading = 100 * i_design / (feeder.net.line.max_i_ka * 1000)
    over = loading[loading > max_loading_pct]
    if len(over):
        names = ", ".join(
            f"{feeder.net.line.at[li, 'name']} {v:.0f} %" for li, v in over.head(5).items()
        )
        failures.append(f"cable(s) above rating at the design peak: {names}")
    converged = True
    v_min = v_max = trafo_pct = float("nan")
    try:
        net = run_design_peak(feeder)
        vm = net.res_bus.vm_pu[net.bus.vn_kv < 1.0]
        v_min, v_max = float(vm.min()), float(vm.max())
        trafo_pct = float(net.res_trafo.loading_percent.max())
    except pp.LoadflowNotConverged:
        converged = False
        failures.append("load flow did not converge at the design peak")
    if converged:
        if v_min < v_band_pu[0] or v_max > v_band_pu[1]:
            failures.append(
                f"voltage {v_min:.4f}-{v_max:.4f} pu outside the planning band "
                f"{v_band_pu[0]}-{v_band_pu[1]} pu at the design peak"
            )
        if trafo_pct > max_loading_pct:
            failures.append(f"transformer at {trafo_pct:.0f} % at the design peak")
    return DesignReport(
        passed=not failures,
        failures=failures,
        loop_impedance_ohm=z_cust,
        v_min_pu=v_min,
        v_max_pu=v_max,
        transformer_loading_pct=trafo_pct,
        line_design_loading_pct=loading,
        design_peak_kw=group_design_peak_kw(cust),
        converged=converged,
    )
