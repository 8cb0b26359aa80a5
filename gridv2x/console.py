"""What the command line prints besides its results: gridv2x's own warnings, once each.

Libraries print their own notices on the console: dask's "Port 8787 is already in use"
``UserWarning``, pandapower's numba notice (a log line), GDAL and pandas warnings. A planner
cannot act on them and they bury gridv2x's messages; and a gridv2x warning issued twice (by a
reader and by a check that lists it) should be shown once. :func:`route_warnings` installs a
``warnings.showwarning`` that prints a warning raised in gridv2x's own code as
``warning: <message>`` on stderr, once per message, and drops warnings raised inside other
packages; it lowers those packages' loggers to errors only.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

__all__ = ["route_warnings", "QUIET_LOGGERS"]

QUIET_LOGGERS = ("pandapower", "distributed", "dask", "numba", "pyogrio", "fiona", "simbench")
"""Loggers of other packages that print only errors on the gridv2x command line."""

_OWN = str(Path(__file__).resolve().parent)
_shown: set[str] = set()


def _is_own(filename: str) -> bool:
    try:
        return str(Path(filename).resolve()).startswith(_OWN)
    except (OSError, ValueError):  # pragma: no cover - odd file names of frozen modules
        return False


def _show(message, category, filename, lineno, file=None, line=None) -> None:
    if not _is_own(str(filename)):
        return
    text = str(message).replace(": warning: ", ": ")  # network problems carry their severity
    if text in _shown:
        return
    _shown.add(text)
    print(f"warning: {text}", file=file or sys.stderr)


def route_warnings() -> None:
    """Show gridv2x's warnings once each as ``warning: ...``; hide other packages' notices."""
    warnings.showwarning = _show
    warnings.simplefilter("always")  # every gridv2x warning reaches _show, which de-duplicates
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
