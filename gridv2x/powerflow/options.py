"""Scenario section ``powerflow``: the load-flow engine (``gridv2x.powerflow.run_timeseries``).

The keys are the keyword arguments of :func:`gridv2x.powerflow.run_timeseries`.
"""

from __future__ import annotations

from gridv2x.options import Field, Section

__all__ = ["SECTION"]

SECTION = Section(
    doc=(
        "Load-flow engine: radial tree load flow (fastest), power-grid-model batch calculation "
        "(any topology) or pandapower's own Newton-Raphson (reference), balanced or per phase."
    ),
    fields={
        "engine": Field(
            default="auto",
            type=str,
            choices=("auto", "radial", "pgm", "pandapower"),
            doc=(
                "'auto': 'radial' for a radial feeder (a tree around one external grid), 'pgm' "
                "otherwise. 'radial': tree load flow over every step with pandapower's network "
                "model (within 1e-6 pu of pandapower). 'pgm': power-grid-model batch calculation "
                "(meshed feeders too). 'pandapower': pandapower's runpp / runpp_3ph step by "
                "step, the reference (hours for a year)."
            ),
        ),
        "asymmetric": Field(
            default=True,
            type=bool,
            doc=(
                "Solve each phase (the default: single-phase customers, appliances and chargers "
                "make LV feeders unbalanced, and a balanced load flow hides the lowest phase "
                "voltage and the neutral current); gives voltage per phase, the voltage "
                "unbalance factor and the neutral (PEN) current. Household load per phase: "
                "demand.phases (docs/sources.md §14). Lines without zero-sequence data get "
                "r0 = 4 r1, x0 = 4 x1 (four-core cable, PEN of phase cross-section) [estimate]. "
                "false: balanced (faster, for screening)."
            ),
        ),
        "slack_vm_pu": Field(
            default=1.03,
            type=float,
            min=0.9,
            max=1.1,
            nullable=True,
            doc=(
                "Voltage held at the MV side of the secondary substation (the feeder's ext_grid) "
                "[pu]. Default 1.03: Swedish DSO practice of setting the no-load tap so that LV "
                "voltages sit above nominal (docs/sources.md §7 v_slack_pu, estimate [E]); null keeps "
                "the value stored in the network."
            ),
        ),
        "trafo_tap_pos": Field(
            default=None,
            type=int,
            min=-10,
            max=10,
            nullable=True,
            doc=(
                "Off-load tap position of every secondary transformer [-] (within the "
                "transformer's tap_min..tap_max); null keeps the position stored in the network."
            ),
        ),
        "error_tolerance_pu": Field(
            default=1e-5,
            type=float,
            min=1e-12,
            max=1e-3,
            doc=(
                "Engine pgm: convergence tolerance on the voltage [pu]. At 1e-5 the voltages "
                "stay within 1e-6 pu of a 1e-8 solution (measured on se-villa-large and "
                "se-urban-apartments over a year: 5e-7 pu at most) and the load flow is up to "
                "1.5x faster; planning limits are 1e-3 pu apart. 1e-8 for reference work."
            ),
        ),
        "chunk_steps": Field(
            default=2880,
            type=int,
            min=1,
            max=1_000_000,
            doc=(
                "Time steps solved per batch call [-]; bounds memory (results of one chunk are "
                "held at once). Default 2880 = 30 days at 15 min."
            ),
        ),
    },
)
