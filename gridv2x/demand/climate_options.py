"""Scenario section ``climate``: keyword arguments of :func:`gridv2x.demand.outdoor_temperature`."""

from __future__ import annotations

from gridv2x.options import Field, Section

ZONES = ("SE1", "SE2", "SE3", "SE4")

SECTION = Section(
    doc=(
        "Outdoor temperature for the study period: a synthetic weather year for a Swedish "
        "climate zone, or a measured temperature file."
    ),
    fields={
        "zone": Field(
            default="SE3",
            type=str,
            choices=ZONES,
            doc=(
                "Climate zone of the synthetic weather year: SE1 Luleå (annual mean about +2 °C), "
                "SE2 Sundsvall/Östersund (+4 °C), SE3 Stockholm (+7.5 °C), SE4 Malmö (+9 °C) "
                "[°C]; SMHI normals 1991-2020 as recalled, see gridv2x.demand.weather. Also the "
                "climatology used to normalise a short study period's heating energy."
            ),
        ),
        "temperature_file": Field(
            default=None,
            type="path",
            nullable=True,
            doc=(
                "CSV file with columns `time` and `temperature_c` [°C] (hourly or finer, "
                "covering the study period; `,` or Swedish `;` with decimal comma), or SMHI's "
                "own download (`Datum;Tid (UTC);Lufttemperatur;Kvalitet`, read as it comes); "
                "interpolated to the study resolution. When null, "
                "the synthetic weather of `zone` is used."
            ),
        ),
    },
)

DEFAULTS = SECTION.defaults()
"""The shipped value of every key; the keyword defaults of the function it configures."""
