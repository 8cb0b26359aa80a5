"""Read a pandapower JSON network as data only: no code named by the file is imported or run.

pandapower's own reader (``pandapower.from_json``) rebuilds every object the file describes by
importing the module and calling the class it names (``"_module"``, ``"_class"``): a network
file received from someone else can make it import a ``.py`` file lying next to it, or any
installed module. :func:`load_pandapower_json` reads the same files without that: the JSON is
parsed with the standard library, and only the shapes pandapower writes for plain data are
accepted —

* the network object itself (``pandapower.auxiliary.pandapowerNet``),
* element tables as pandas DataFrames in ``orient: split`` form, built here from their
  ``columns``, ``index`` and ``data`` with an allow-list of column dtypes,
* plain JSON values (numbers, texts, lists, mappings without ``_module``) for the network's
  attributes (``name``, ``f_hz``, ``sn_mva``, ``std_types``, ...).

Anything else (another ``_module``/``_class``, a DataFrame given as a file path, a cell that
is an encoded object, a controller) is refused with an :class:`~gridv2x.errors.InputError`
naming the element; nothing the file names is ever imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandapower as pp
import pandas as pd

from gridv2x.errors import InputError

__all__ = ["load_pandapower_json", "ALLOWED_DTYPES"]

_NET = {("pandapower.auxiliary", "pandapowerNet"), ("pandapower", "pandapowerNet")}
_FRAME = {("pandas.core.frame", "DataFrame"), ("pandas", "DataFrame")}
ALLOWED_DTYPES = frozenset(
    {
        "object",
        "bool",
        "boolean",
        "float64",
        "float32",
        "int64",
        "int32",
        "int16",
        "int8",
        "uint64",
        "uint32",
        "uint16",
        "uint8",
        "Int64",
        "Int32",
        "UInt32",
        "string",
    }
)
"""Column dtypes an element table may declare (pandapower writes these)."""

_EXTRA_TABLES = ("gridv2x_customers", "bus_geodata", "line_geodata")
"""Tables kept besides pandapower's current element tables: the customers gridv2x stores in the
file (:func:`gridv2x.network.write_pandapower_json`) and pandapower 2.x geodata tables, which
``pandapower.convert_format`` turns into the ``geo`` columns."""


def _is_encoded(value: Any) -> bool:
    return isinstance(value, dict) and ("_module" in value or "_class" in value)


def _plain(value: Any, where: str) -> Any:
    """``value`` if it is plain JSON data with no encoded object anywhere inside."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if _is_encoded(item):
            raise _code_error(item, at)
        if isinstance(item, dict):
            stack.extend((v, f"{at}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(item))
    return value


class _Refused(Exception):
    """A part of the file that is not plain pandapower data (turned into an InputError)."""


def _code_error(item: dict, where: str) -> _Refused:
    del item  # what it names is not quoted: file contents never appear in messages
    return _Refused(
        f"{where} names a Python module and class to build it (_module/_class other than a "
        "pandas DataFrame); gridv2x reads only pandapower element tables and plain values "
        "from a network file and never imports what a file names"
    )


def _frame(item: dict, where: str) -> pd.DataFrame:
    """An element table from pandapower's DataFrame encoding (orient split)."""
    if item.get("orient", "split") != "split":
        raise _Refused(f"{where}: table encoding {str(item.get('orient'))[:20]!r} is not 'split'")
    if item.get("is_multiindex") or item.get("is_multicolumn"):
        raise _Refused(f"{where}: multi-index tables are not element tables")
    body = item.get("_object")
    if not isinstance(body, str):  # a dict here, or a path to another file: refused
        raise _Refused(f"{where}: the table is not stored inline as JSON text")
    try:
        split = json.loads(body)
    except ValueError:
        raise _Refused(f"{where}: the table is not valid JSON") from None
    if not isinstance(split, dict) or not {"columns", "index", "data"} <= set(split):
        raise _Refused(f"{where}: the table lacks columns, index or data")
    columns, index, data = split["columns"], split["index"], split["data"]
    if not (isinstance(columns, list) and isinstance(index, list) and isinstance(data, list)):
        raise _Refused(f"{where}: columns, index and data must be lists")
    if not all(isinstance(c, str) for c in columns):
        raise _Refused(f"{where}: column names must be texts")
    if len(data) != len(index) or any(
        not isinstance(row, list) or len(row) != len(columns) for row in data
    ):
        raise _Refused(f"{where}: the rows do not match the index and the columns")
    _plain(data, where)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in index):
        raise _Refused(f"{where}: the index must hold whole numbers (element ids)")
    frame = pd.DataFrame(data, index=pd.Index(index, dtype="int64"), columns=columns)
    dtypes = item.get("dtype", {})
    if not isinstance(dtypes, dict):
        raise _Refused(f"{where}: dtype must be a mapping of column to type")
    for column, dtype in dtypes.items():
        if column not in frame.columns:
            continue
        if dtype not in ALLOWED_DTYPES:
            raise _Refused(
                f"{where}.{str(column)[:40]}: column type {str(dtype)[:40]!r} is not one of "
                f"{', '.join(sorted(ALLOWED_DTYPES))}"
            )
        try:
            frame[column] = frame[column].astype(dtype)
        except (TypeError, ValueError, OverflowError):
            raise _Refused(f"{where}.{column}: values are not of type {dtype}") from None
    return frame


def load_pandapower_json(path: str | Path) -> pp.pandapowerNet:
    """Read a pandapower JSON file into a pandapower network, as data only.

    Parameters
    ----------
    path : path
        A file written by ``pandapower.to_json`` (pandapower 2.x or 3.x layout).

    Returns
    -------
    pandapower.pandapowerNet
        An empty network (``pandapower.create_empty_network``) whose element tables and
        attributes are replaced by the file's.

    Raises
    ------
    gridv2x.errors.InputError
        The file is not JSON, not a pandapower network, or holds anything but element tables
        and plain values (naming the element); its contents are never quoted.
    """
    path = Path(path)
    label = f"pandapower_json: {str(path)!r}"
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        raise InputError(f"{label} is not a pandapower network file (not JSON text)") from None
    if not isinstance(document, dict) or (
        (document.get("_module"), document.get("_class")) not in _NET
    ):
        raise InputError(
            f"{label} is not a pandapower network file (the top level is not a pandapowerNet)"
        )
    body = document.get("_object")
    if isinstance(body, str):  # older pandapower wrote the net's mapping as JSON text
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):
            body = None
    if not isinstance(body, dict):
        raise InputError(f"{label} is not a pandapower network file (no element tables)")
    net = pp.create_empty_network()
    try:
        for key, value in body.items():
            where = f"element {str(key)[:60]!r}"
            if _is_encoded(value):
                if (value.get("_module"), value.get("_class")) not in _FRAME:
                    raise _code_error(value, where)
                frame = _frame(value, where)
                if isinstance(net.get(key), pd.DataFrame) or key in _EXTRA_TABLES:
                    net[key] = frame
                continue  # unknown tables (results of other tools) are dropped
            _plain(value, where)
            if key in net or key == "gridv2x_meta":
                if not isinstance(net.get(key), pd.DataFrame):
                    net[key] = value
    except _Refused as exc:
        raise InputError(f"{label}: {exc}") from None
    except RecursionError:
        raise InputError(f"{label}: nested too deeply to be a network file") from None
    return net
