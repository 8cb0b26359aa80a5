"""Bidirectional home-charger technologies: AC (on-board converter) and DC (wallbox converter).

A V2G car discharges through a converter that turns the battery's DC into grid AC:

* ``ac``: the car's own bidirectional on-board charger does it; the wallbox only switches and
  communicates. Cheap wallbox, but the discharge power and efficiency depend on the vehicle
  (on-board converters are sized for charging and run at part load when discharging).
* ``dc``: the wallbox holds the converter (CHAdeMO / CCS with ISO 15118-20). Dearer wallbox,
  higher discharge power and a converter built for both directions.

:data:`CHARGERS` is the one table of what each technology means: the V2G round-trip efficiency
and discharge power the schedule uses when ``charging.v2g.round_trip_efficiency`` and
``charging.v2g.max_discharge_kw`` are null (an explicit number wins), and the installed price
the reinforcement economics charges a V2G home (``economics.charger_bidirectional_*_sek``
default to it). The choice is ``charging.v2g.charger``. Figures and tags: docs/sources.md §12.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gridv2x.options import Section

__all__ = [
    "CHARGER_TECHNOLOGIES",
    "CHARGERS",
    "ChargerTechnology",
    "charger_summary",
    "with_technology",
]


@dataclass(frozen=True)
class ChargerTechnology:
    """What a bidirectional charger technology gives V2G (docs/sources.md §12).

    Attributes
    ----------
    name : str
        ``ac`` or ``dc`` (the value of ``charging.v2g.charger``).
    converter : str
        Where the DC/AC converter sits, for reports.
    round_trip_efficiency : float
        Grid-battery-grid efficiency of a V2G cycle [-].
    max_discharge_kw : float
        Bidirectional (discharge) power of a home installation [kW]; the car's charger rating
        still caps it.
    installed_cost_sek : float
        Installed price of the home charger [SEK].
    """

    name: str
    converter: str
    round_trip_efficiency: float
    max_discharge_kw: float
    installed_cost_sek: float


CHARGERS: dict[str, ChargerTechnology] = {
    "ac": ChargerTechnology(
        name="ac",
        converter="on-board (in the car)",
        # [E] docs/sources.md §12: 0.79-0.88 measured (Schram et al. 2020), lower end for
        # on-board converters at part load
        round_trip_efficiency=0.85,
        # [E] docs/sources.md §12: single-phase 32 A on-board bidirectional converters
        max_discharge_kw=7.4,
        # [R] docs/sources.md §11: 15-30 kSEK, the middle
        installed_cost_sek=22_500.0,
    ),
    "dc": ChargerTechnology(
        name="dc",
        converter="wallbox",
        # [E] docs/sources.md §12: 0.87 measured at 3x16 A (Schram et al. 2020)
        round_trip_efficiency=0.87,
        # [E] docs/sources.md §12: 11 kW three-phase DC wallboxes (Wallbox Quasar 2 class)
        max_discharge_kw=11.0,
        # [R] docs/sources.md §11: 40-80 kSEK, the middle
        installed_cost_sek=60_000.0,
    ),
}
"""The bidirectional charger technologies by ``charging.v2g.charger`` value."""

CHARGER_TECHNOLOGIES: tuple[str, ...] = tuple(CHARGERS)
"""Allowed values of ``charging.v2g.charger``."""


def with_technology(v2g: Mapping[str, Any]) -> dict[str, Any]:
    """The resolved ``charging.v2g`` options with the technology's figures filled in.

    Parameters
    ----------
    v2g : mapping
        The resolved ``charging.v2g`` section (``charger``, ``round_trip_efficiency`` and
        ``max_discharge_kw``; the latter two null = the technology's figure).

    Returns
    -------
    dict
        A copy whose ``round_trip_efficiency`` [-] and ``max_discharge_kw`` [kW] are numbers:
        the explicit ones where given, else :data:`CHARGERS`' of ``charger``.
    """
    out = dict(v2g)
    tech = CHARGERS[out.get("charger") or "ac"]
    if out.get("round_trip_efficiency") is None:
        out["round_trip_efficiency"] = tech.round_trip_efficiency
    if out.get("max_discharge_kw") is None:
        out["max_discharge_kw"] = tech.max_discharge_kw
    return out


def charger_summary(strategy: str, v2g: Mapping[str, Any] | None) -> dict[str, Any]:
    """The summary columns naming a task's bidirectional charger (V2G tasks only).

    Parameters
    ----------
    strategy : str
        The task's charging strategy.
    v2g : mapping or None
        The scenario's ``charging.v2g`` options (resolved or as given; None = the defaults).

    Returns
    -------
    dict
        For ``v2g``: ``v2g_charger`` (``ac`` / ``dc``), ``v2g_round_trip_efficiency`` [-] and
        ``v2g_max_discharge_kw`` [kW] as the schedule used them; empty for other strategies
        (they need no bidirectional charger).
    """
    if strategy != "v2g":
        return {}
    from gridv2x.charging.options import SECTION  # the section imports this module

    v2g_section = SECTION.fields["v2g"]
    assert isinstance(v2g_section, Section)
    opts = with_technology(v2g_section.resolve("charging.v2g", v2g))
    return {
        "v2g_charger": opts["charger"],
        "v2g_round_trip_efficiency": float(opts["round_trip_efficiency"]),
        "v2g_max_discharge_kw": float(opts["max_discharge_kw"]),
    }
