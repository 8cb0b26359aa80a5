"""Electrical parameters that would make a load flow silently wrong, found before it runs.

A pandapower network accepts values that no cable or transformer has, and power-grid-model
solves them without complaint:

* a line from a bus to itself (a self-loop) carries no current and hides a drawing error;
* a line with ``max_i_ka`` 0 (or NaN) has an infinite loading, or none: the line-loading
  criterion is silently switched off for it;
* negative resistance or reactance, or a line of zero impedance, is not a cable;
* a length of zero or less, or non-finite values;
* a transformer tap position outside ``tap_min .. tap_max`` (e.g. position 10 on a ±2 tap
  changer gives 0.77 or 1.34 pu on the LV side), non-positive rating or short-circuit voltage;
* a slack voltage that is not a finite number.

Each problem names the element (line or transformer name) and what is allowed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridv2x.network.checks import ERROR, Problem

__all__ = ["check_parameters"]


def _names(table: pd.DataFrame, mask: np.ndarray) -> tuple[str, ...]:
    rows = table.index[mask]
    if "name" in table:
        return tuple(
            str(table.at[i, "name"]) if pd.notna(table.at[i, "name"]) else f"#{i}" for i in rows
        )
    return tuple(f"#{i}" for i in rows)


def _number(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table:
        return np.full(len(table), np.nan)
    return pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)


def check_lines(net) -> list[Problem]:
    """Self-loops and impossible line parameters (module documentation)."""
    problems: list[Problem] = []
    line = net.line
    if not len(line):
        return problems
    same = line["from_bus"].to_numpy() == line["to_bus"].to_numpy()
    if same.any():
        problems.append(
            Problem(
                ERROR,
                "invalid_attribute",
                "line connects a bus to itself (from_bus == to_bus); connect it to the next bus "
                "or remove it",
                _names(line, same),
                "lines",
            )
        )
    r = _number(line, "r_ohm_per_km")
    x = _number(line, "x_ohm_per_km")
    rating = _number(line, "max_i_ka")
    length = _number(line, "length_km")
    for mask, message in (
        (
            ~np.isfinite(r) | (r < 0) | ~np.isfinite(x) | (x < 0),
            "r_ohm_per_km and x_ohm_per_km must be finite and >= 0 (no cable has negative "
            "resistance or reactance)",
        ),
        (
            np.isfinite(r) & np.isfinite(x) & (r == 0) & (x == 0),
            "r_ohm_per_km and x_ohm_per_km are both 0 (a line without impedance); give the "
            "cable's values",
        ),
        (
            ~np.isfinite(rating) | (rating <= 0),
            "max_i_ka must be a positive number [kA]; 0 or missing would switch the "
            "line-loading criterion off for it",
        ),
        (
            ~np.isfinite(length) | (length <= 0),
            "length_km must be a positive number [km]",
        ),
    ):
        if mask.any():
            problems.append(
                Problem(ERROR, "invalid_attribute", message, _names(line, mask), "lines")
            )
    return problems


def check_transformers(net, tap_key: str | None = None) -> list[Problem]:
    """Tap positions outside the tap changer's range, impossible ratings; a bad slack.

    Parameters
    ----------
    net : pandapowerNet
    tap_key : str, optional
        The scenario key that set the tap position (named in the message), if any.
    """
    problems: list[Problem] = []
    trafo = net.trafo
    if len(trafo):
        pos = _number(trafo, "tap_pos")
        low = _number(trafo, "tap_min")
        high = _number(trafo, "tap_max")
        has_pos = np.isfinite(pos)
        outside = has_pos & ((np.isfinite(low) & (pos < low)) | (np.isfinite(high) & (pos > high)))
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            where = f"{tap_key} is" if tap_key else "tap_pos is"
            problems.append(
                Problem(
                    ERROR,
                    "tap_position",
                    f"{where} {pos[i]:g}, outside the transformer's tap range "
                    f"{low[i]:g}..{high[i]:g}; choose a position within it",
                    _names(trafo, outside),
                    "transformer",
                )
            )
        for column, message in (
            ("sn_mva", "sn_mva (rating) must be a positive number [MVA]"),
            ("vk_percent", "vk_percent (short-circuit voltage) must be a positive number [%]"),
        ):
            values = _number(trafo, column)
            bad = ~np.isfinite(values) | (values <= 0)
            if bad.any():
                problems.append(
                    Problem(ERROR, "invalid_attribute", message, _names(trafo, bad), "transformer")
                )
        vk = _number(trafo, "vk_percent")
        vkr = _number(trafo, "vkr_percent")
        bad = ~np.isfinite(vkr) | (vkr < 0) | (np.isfinite(vk) & (vkr > vk))
        if bad.any():
            problems.append(
                Problem(
                    ERROR,
                    "invalid_attribute",
                    "vkr_percent must be a number between 0 and vk_percent [%]",
                    _names(trafo, bad),
                    "transformer",
                )
            )
    if len(net.ext_grid):
        vm = _number(net.ext_grid, "vm_pu")
        bad = ~np.isfinite(vm) | (vm <= 0)
        if bad.any():
            problems.append(
                Problem(
                    ERROR,
                    "invalid_attribute",
                    "the slack (ext_grid) vm_pu must be a positive number [pu]",
                    _names(net.ext_grid, bad),
                    "substation",
                )
            )
    return problems


def check_parameters(net, tap_key: str | None = None) -> list[Problem]:
    """Every parameter problem of ``net`` (lines, transformers, slack).

    Parameters
    ----------
    net : pandapowerNet
    tap_key : str, optional
        The scenario key that set the tap positions, named in a tap-range problem.

    Returns
    -------
    list of Problem
        Errors, each naming the elements.
    """
    return check_lines(net) + check_transformers(net, tap_key)
