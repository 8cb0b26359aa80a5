"""Component catalogue of Swedish low-voltage networks: transformers, cables, main fuses.

Every entry carries its source tag as in ``docs/sources.md``: ``"F"`` found in a cited source,
``"E"`` engineering estimate (reasoning in the note), ``"R"`` recalled, verify before publishing.

* Transformers 10/0.4 kV, 50-1250 kVA: sizes and short-circuit impedances from the Chalmers
  Open LV-Grid Generator (docs/sources.md §1.1, [F]); no-load losses and current [E] scaled from
  pandapower's 0.25/0.4/0.63 MVA standard types (docs/sources.md §1.1, [F] for those three).
* Cables: R at 20 °C from IEC 60228 (docs/sources.md §1.2, [F]); X from the Swedish model
  (docs/sources.md §1.2, [F]); ground ampacities of Al PEX cables are estimates (docs/sources.md §1.2, [E]);
  aerial (hanging) cable ALUS R as the same Al cross-section, X 0.09-0.10 ohm/km (docs/sources.md §1.3,
  [E]).
* Main fuses by annual use: Vattenfall Eldistribution table (docs/sources.md §1.5, [F]).

References
----------
.. [1] Hartvigsson, E. et al., "Open LV-Grid Generator", MethodsX (2021),
   https://pmc.ncbi.nlm.nih.gov/articles/PMC8374675 (network_model_SWE_EV_2022.m).
.. [2] IEC 60228:2004, Conductors of insulated cables (maximum DC resistance at 20 °C).
.. [3] Vattenfall Eldistribution, "Välj rätt huvudsäkring" (fuse by annual consumption).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gridv2x.errors import InputError

__all__ = [
    "Cable",
    "Transformer",
    "CABLES",
    "TRANSFORMERS",
    "FUSE_BY_ANNUAL_KWH",
    "TEMPERATURE_FACTOR_AL",
    "cable",
    "transformer",
    "standard_transformer_kva",
    "main_fuse_a",
    "fuse_max_kw",
    "fuse_max_loop_ohm",
    "FUSE_5S_TRIP_A",
    "cables_table",
    "transformers_table",
]

TEMPERATURE_FACTOR_AL = 1.20
"""R70/R20 for aluminium (alpha = 0.00403 1/K), docs/sources.md §1.2 [F]; also used for copper
(alpha 0.00393 gives 1.197)."""


@dataclass(frozen=True)
class Cable:
    """One LV cable or aerial cable type.

    Attributes
    ----------
    name : str
        Swedish type designation, e.g. ``"N1XV 4x240"``.
    r_ohm_per_km : float
        Phase conductor resistance at 20 °C [ohm/km].
    x_ohm_per_km : float
        Positive-sequence reactance [ohm/km].
    max_i_a : float
        Continuous current rating (in ground for cables, in air for aerial cables) [A].
    r_pen_ohm_per_km : float
        Resistance of the PEN / neutral return conductor at 20 °C [ohm/km] (used for the
        earth-fault loop impedance).
    kind : str
        ``"cable"`` (underground) or ``"aerial"`` (hanging cable, ``"ol"`` in pandapower).
    material : str
        ``"Al"`` or ``"Cu"``.
    tag : str
        Source tag of the electrical values: ``"F"``, ``"E"``, ``"F/E"`` (R, X found; rating
        estimated) or ``"R"``.
    note : str
        Source and reasoning.
    """

    name: str
    r_ohm_per_km: float
    x_ohm_per_km: float
    max_i_a: float
    r_pen_ohm_per_km: float
    kind: str = "cable"
    material: str = "Al"
    tag: str = "F/E"
    note: str = ""
    c_nf_per_km: float = 0.0


@dataclass(frozen=True)
class Transformer:
    """One 10/0.4 kV secondary-substation transformer size.

    Attributes
    ----------
    sn_kva : float
        Rated power [kVA].
    vk_percent : float
        Short-circuit voltage [%].
    vkr_percent : float
        Resistive part of the short-circuit voltage [%].
    pfe_kw : float
        No-load (iron) losses [kW].
    i0_percent : float
        No-load current [%].
    tag : str
        Source tag of vk/vkr (``"F"``) and of the no-load data (``"E"``).
    """

    sn_kva: float
    vk_percent: float
    vkr_percent: float
    pfe_kw: float
    i0_percent: float = 0.24
    tag: str = "F (vk, vkr) / E (pfe, i0)"
    note: str = ""

    @property
    def z_ohm_lv(self) -> complex:
        """Short-circuit impedance referred to 0.4 kV [ohm]."""
        z = self.vk_percent / 100 * 0.4**2 / (self.sn_kva / 1000)
        r = self.vkr_percent / 100 * 0.4**2 / (self.sn_kva / 1000)
        return complex(r, (z**2 - r**2) ** 0.5)


_HARTVIGSSON = "Hartvigsson et al. network_model_SWE_EV_2022.m (docs/sources.md §1.1)"

TRANSFORMERS: dict[int, Transformer] = {
    50: Transformer(50, 4.0, 1.26, 0.19, note=_HARTVIGSSON),
    100: Transformer(100, 4.0, 1.26, 0.32, note=_HARTVIGSSON),
    200: Transformer(200, 4.0, 0.97, 0.50, note=_HARTVIGSSON),
    315: Transformer(315, 4.0, 0.97, 0.70, note=_HARTVIGSSON),
    500: Transformer(500, 4.0, 0.78, 0.95, note=_HARTVIGSSON),
    800: Transformer(800, 5.0, 0.74, 1.30, i0_percent=0.19, note=_HARTVIGSSON + "; uk from Zk"),
    1250: Transformer(1250, 5.0, 0.66, 1.80, i0_percent=0.19, note=_HARTVIGSSON + "; uk from Zk"),
}
"""Standard sizes [kVA] of Swedish 10/0.4 kV transformers, docs/sources.md §1.1.

vk and vkr [F] (uk 4 % up to 500 kVA, 5 % for 800/1250 kVA from the Zk list); pfe and i0 [E]
(about 0.19-0.24 % of rating, as pandapower's 0.25-0.63 MVA types)."""


def _al(name, area_r, x, i_a, *, kind="cable", tag="F/E", note="", r_pen=None):
    return Cable(
        name,
        area_r,
        x,
        i_a,
        r_pen if r_pen is not None else area_r,
        kind=kind,
        material="Al",
        tag=tag,
        note=note,
    )


_R_NOTE = "R20 IEC 60228 [F], X Swedish model [F] (docs/sources.md §1.2)"
_I_NOTE = (
    "ground ampacity [E] (IEC 60364-5-52 method D scaled to 15 °C, docs/sources.md §1.2; "
    "5-12 % below the manufacturer's cyclic rating in earth, why: docs/sources.md §10)"
)
_AERIAL = "ALUS hanging cable: R as Al cross-section [F], X 0.09-0.10 [E], rating in air [E] (docs/sources.md §1.3)"

CABLES: dict[str, Cable] = {
    c.name: c
    for c in [
        # Al PEX, PVC sheath, 4 equal cores (phase + PEN): trunk cables of modern villa areas.
        _al("N1XV 4x240", 0.125, 0.075, 350, note=f"{_R_NOTE}; {_I_NOTE}"),
        _al("N1XV 4x150", 0.206, 0.075, 270, note=f"{_R_NOTE}; {_I_NOTE}"),
        _al("N1XV 4x95", 0.320, 0.076, 210, note=f"{_R_NOTE}; {_I_NOTE}"),
        _al("N1XV 4x50", 0.641, 0.078, 150, note=f"{_R_NOTE}; {_I_NOTE}"),
        # Al PEX halogen-free with concentric Cu screen (S1XCZ1-AS), screen not used as PEN here.
        _al("AXQJ 4x240/72", 0.125, 0.075, 350, note=f"{_R_NOTE}; {_I_NOTE}; screen size [R]"),
        _al("AXQJ 4x150/41", 0.206, 0.075, 270, note=f"{_R_NOTE}; {_I_NOTE}; screen size [R]"),
        _al("AXQJ 4x95/29", 0.320, 0.076, 210, note=f"{_R_NOTE}; {_I_NOTE}; screen size [R]"),
        _al("AXQJ 4x50/15", 0.641, 0.078, 150, note=f"{_R_NOTE}; {_I_NOTE}; screen size [R]"),
        # Al PEX, PE sheath: service cables and feeders (N1XE-A 4G150, N1XE-AR 4G25 in DSO maps).
        _al("N1XE 4x150", 0.206, 0.075, 270, note=f"{_R_NOTE}; {_I_NOTE}"),
        _al("N1XE 4x25", 1.20, 0.082, 100, note=f"R20 IEC 60228 [F]; X [E]; {_I_NOTE}"),
        _al("N1XE 4x16", 1.91, 0.082, 80, tag="F/E", note=f"R20 IEC 60228 [F]; X [E]; {_I_NOTE}"),
        # Older Al PVC cable, 3 phases + concentric Cu PEN (AKKJ 3x150/41).
        _al(
            "AKKJ 3x150/41",
            0.206,
            0.075,
            255,
            r_pen=0.44,
            note=f"{_R_NOTE}; PEN 41 mm2 Cu 0.44 ohm/km [F IEC 60228]; rating [E]",
        ),
        _al(
            "AKKJ 3x50/15",
            0.641,
            0.078,
            140,
            r_pen=1.21,
            note=f"{_R_NOTE}; PEN 15 mm2 Cu ~1.21 ohm/km [E]; rating [E]",
        ),
        # Cu PVC service cables (EKKJ 3x10/10 in DSO maps).
        Cable(
            "EKKJ 3x16/16",
            1.15,
            0.082,
            67,
            1.15,
            material="Cu",
            tag="F",
            note="R, X and rating of 16 Cu from the Swedish model (docs/sources.md §1.2) [F]",
        ),
        Cable(
            "EKKJ 3x10/10",
            1.83,
            0.086,
            52,
            1.83,
            material="Cu",
            tag="F",
            note="R, X and rating of 10 Cu from the Swedish model (docs/sources.md §1.2) [F]",
        ),
        # Aerial bundled (hanging) cable, rural overhead networks.
        _al("ALUS 4x95", 0.320, 0.090, 235, kind="aerial", tag="F/E", note=_AERIAL),
        _al("ALUS 4x50", 0.641, 0.095, 155, kind="aerial", tag="F/E", note=_AERIAL),
        _al("ALUS 4x25", 1.20, 0.100, 105, kind="aerial", tag="F/E", note=_AERIAL),
    ]
}
"""Swedish LV cable types by designation (docs/sources.md §1.2, §1.3)."""

FUSE_BY_ANNUAL_KWH: tuple[tuple[float, int], ...] = (
    (20_000, 16),
    (25_000, 20),
    (30_000, 25),
    (40_000, 35),
    (55_000, 50),
    (70_000, 63),
)
"""(upper annual use [kWh], main fuse [A]) from Vattenfall's guidance, docs/sources.md §1.5 [F]."""

_MIN_FUSE_BY_HEATING = {"heat_pump": 20, "direct_electric": 25}
"""Smallest main fuse of a villa by heating [A]: heat pumps and direct electric heating need
20 / 25 A for their power (docs/sources.md §1.5 "typical customer" column; [E] as a rule)."""


FUSE_5S_TRIP_A: dict[int, float] = {
    16: 65,
    20: 85,
    25: 110,
    35: 150,
    50: 220,
    63: 320,
    80: 425,
    100: 580,
    125: 715,
    160: 950,
    200: 1250,
}
"""Current that trips a gG fuse within 5 s, I_a [A] (EN 60269 time-current zones): 63-200 A
from the Swedish model (docs/sources.md §1.4 [F]); 16-50 A and 80/125 A from the IEC 60364-4-41
table values [R]."""

FUSE_TRIP_VOLTAGE_FACTOR = 0.85
"""c in Z_loop <= c U0 / I_a (docs/sources.md §1.4 [F])."""


def fuse_max_loop_ohm(fuse_a: float, u0_v: float = 230.0) -> float:
    """Largest loop impedance at which a gG fuse of ``fuse_a`` [A] trips within 5 s [ohm].

    Z_max = c U0 / I_a with c = 0.85 (docs/sources.md §1.4 [F]); I_a of the next larger tabulated
    rating for ratings between table values (conservative).
    """
    sizes = sorted(FUSE_5S_TRIP_A)
    larger = [s for s in sizes if s >= fuse_a]
    i_a = FUSE_5S_TRIP_A[larger[0]] if larger else FUSE_5S_TRIP_A[sizes[-1]] * fuse_a / sizes[-1]
    return FUSE_TRIP_VOLTAGE_FACTOR * u0_v / i_a


def cable(name: str) -> Cable:
    """Return the catalogue entry of cable type ``name``; raise InputError for an unknown one."""
    try:
        return CABLES[name]
    except KeyError:
        raise InputError(
            f"cable_type {name!r} is not in the catalogue; allowed: {', '.join(CABLES)} "
            "(or give r_ohm_per_km, x_ohm_per_km and max_i_a instead)"
        ) from None


def transformer(sn_kva: float) -> Transformer:
    """Return the catalogue transformer of rating ``sn_kva`` [kVA].

    A rating between standard sizes gets vk/vkr of the next larger standard size and no-load
    data scaled with the rating [E].
    """
    sizes = sorted(TRANSFORMERS)
    if not 10 <= sn_kva <= 2500:
        raise InputError(f"sn_kva {sn_kva!r} is outside 10-2500 kVA (standard: {sizes})")
    if int(sn_kva) in TRANSFORMERS and float(sn_kva) == int(sn_kva):
        return TRANSFORMERS[int(sn_kva)]
    larger = [s for s in sizes if s >= sn_kva]
    ref = TRANSFORMERS[larger[0] if larger else sizes[-1]]
    return Transformer(
        float(sn_kva),
        ref.vk_percent,
        ref.vkr_percent,
        ref.pfe_kw * sn_kva / ref.sn_kva,
        ref.i0_percent,
        tag="E",
        note=f"interpolated from the {ref.sn_kva:g} kVA standard size",
    )


def standard_transformer_kva(peak_kva: float, *, sizing_factor: float = 1.8) -> int:
    """Smallest standard size with rating >= ``sizing_factor`` x design peak.

    Parameters
    ----------
    peak_kva : float
        Velander design peak of the substation's customers [kVA].
    sizing_factor : float
        alpha of the Swedish model's sizing rule, default 1.8 (docs/sources.md §1.1 [F]).

    Returns
    -------
    int
        Rating [kVA] from :data:`TRANSFORMERS`.
    """
    for size in sorted(TRANSFORMERS):
        if size >= sizing_factor * peak_kva:
            return size
    return max(TRANSFORMERS)


def main_fuse_a(annual_kwh: float, heating: str = "none") -> int:
    """Main fuse [A] for a customer's annual use and heating.

    The fuse is the smallest of Vattenfall's table (docs/sources.md §1.5 [F]) that covers the annual
    use, raised to 20 A for heat pumps and 25 A for direct electric heating ([E]).
    """
    fuse = FUSE_BY_ANNUAL_KWH[-1][1]
    for limit, size in FUSE_BY_ANNUAL_KWH:
        if annual_kwh <= limit:
            fuse = size
            break
    return max(fuse, _MIN_FUSE_BY_HEATING.get(heating, 0))


def fuse_max_kw(fuse_a: float, phases: int = 3) -> float:
    """Largest power through a main fuse [kW]: 3 x 230 V x I (3-phase) or 230 V x I."""
    return phases * 230.0 * fuse_a / 1000.0


def cables_table() -> pd.DataFrame:
    """The cable catalogue as a table (one row per type)."""
    return pd.DataFrame([c.__dict__ for c in CABLES.values()]).set_index("name")


def transformers_table() -> pd.DataFrame:
    """The transformer catalogue as a table (one row per size) with Zk [mohm] at 0.4 kV."""
    df = pd.DataFrame([t.__dict__ for t in TRANSFORMERS.values()]).set_index("sn_kva")
    df["zk_mohm"] = [abs(t.z_ohm_lv) * 1000 for t in TRANSFORMERS.values()]
    return df
