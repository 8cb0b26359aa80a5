"""A pandapower JSON file can never make gridv2x import or run code (issue 13, item 2).

pandapower's own reader imports the module a file names in ``_module``; a ``evil.py`` next to
the file then runs as soon as the file is read. Through the console entry (``python -m
gridv2x.cli``, whose first import path is the current folder, and the ``gridv2x`` script) the
crafted file is refused with exit 2 and the marker the module would write never appears.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gridv2x.errors import InputError
from gridv2x.network.builtin import read_builtin
from gridv2x.network.pp_json import load_pandapower_json
from gridv2x.network.readers import read_pandapower_json, write_pandapower_json

ROOT = Path(__file__).resolve().parents[2]
EVIL = "from pathlib import Path\nPath(__file__).with_name('MARKER').write_text('ran')\n"


def _crafted(folder: Path, where: str) -> Path:
    """A real feeder file with one object re-labelled as coming from module ``evil``."""
    path = write_pandapower_json(read_builtin("se-villa-small"), folder / "net.json")
    doc = json.loads(path.read_text())
    evil = {"_module": "evil", "_class": "Boom", "_object": "{}"}
    if where == "table":
        doc["_object"]["bus"]["_module"] = "evil"
    elif where == "attribute":
        doc["_object"]["std_types"] = evil
    elif where == "cell":  # an encoded object inside a table cell
        table = json.loads(doc["_object"]["line"]["_object"])
        table["data"][0][0] = evil
        doc["_object"]["line"]["_object"] = json.dumps(table)
    elif where == "top":
        doc["_module"] = "evil"
    path.write_text(json.dumps(doc))
    (folder / "evil.py").write_text(EVIL)
    (folder / "s.yaml").write_text(
        "name: x\nperiod: {days: 2}\nnetworks: [{pandapower_json: net.json}]\n"
    )
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.parametrize(
    ("where", "command"),
    [("table", "validate"), ("table", "run"), ("attribute", "validate"), ("cell", "validate")]
    + [("top", "validate")],
)
def test_crafted_json_imports_nothing_through_the_console(tmp_path, where, command):
    _crafted(tmp_path, where)
    args = [command, "s.yaml"] + (["--out", "out", "--workers", "0"] if command == "run" else [])
    # python -m puts the current folder (holding evil.py) first on the import path
    done = subprocess.run(
        [sys.executable, "-m", "gridv2x.cli", *args],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "net.json" in done.stderr
    assert not (tmp_path / "MARKER").exists()
    assert not (tmp_path / "out").exists()


def test_crafted_json_through_the_gridv2x_script(tmp_path):
    _crafted(tmp_path, "table")
    script = Path(sys.executable).with_name("gridv2x")
    env = _env()
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{tmp_path}"  # even with evil.py importable
    done = subprocess.run(
        [str(script), "validate", "s.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert not (tmp_path / "MARKER").exists()


def test_plain_file_reads_as_before(tmp_path):
    feeder = read_builtin("se-villa-small")
    path = write_pandapower_json(feeder, tmp_path / "net.json")
    import pandapower as pp

    reference = pp.from_json(str(path))  # a trusted file: pandapower's reader as reference
    net = load_pandapower_json(path)
    for table in ("bus", "line", "trafo", "load", "ext_grid"):
        pd_ref, ours = reference[table], net[table]
        assert list(ours.columns) == list(pd_ref.columns)
        assert (ours.dtypes == pd_ref.dtypes).all(), table
        assert ours.equals(pd_ref), table
    back = read_pandapower_json(path)
    assert back.customers.equals(feeder.customers)


def test_table_as_file_path_is_refused(tmp_path):
    path = write_pandapower_json(read_builtin("se-villa-small"), tmp_path / "net.json")
    doc = json.loads(path.read_text())
    secret = tmp_path / "secret.json"
    secret.write_text(doc["_object"]["bus"]["_object"])
    doc["_object"]["bus"]["_object"] = str(secret)  # pandapower would read this file
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="'bus'"):
        load_pandapower_json(path)


def test_unknown_dtype_is_refused(tmp_path):
    path = write_pandapower_json(read_builtin("se-villa-small"), tmp_path / "net.json")
    doc = json.loads(path.read_text())
    doc["_object"]["bus"]["dtype"]["vn_kv"] = "evil.Dtype"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="column type"):
        load_pandapower_json(path)
