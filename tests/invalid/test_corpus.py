"""Every case of the invalid corpus is refused by `gridv2x validate` and by `gridv2x run`
through the console entry point: exit 2, the key/file/element named, no traceback, nothing
written (issue 13, items 4, 5 and 8)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gridv2x.cli import main
from tests.invalid.corpus import CASES, build


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_invalid_input_is_refused_before_anything_is_written(tmp_path, monkeypatch, case, command):
    monkeypatch.chdir(tmp_path)
    path, expected = build(case, tmp_path)
    before = _listing(tmp_path)
    args = [command, path.name]
    if command == "run":
        args += ["--out", "out", "--workers", "0", "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no exception escaped
    assert expected in result.output, result.output
    assert "Traceback" not in result.output
    assert _listing(tmp_path) == before  # nothing written, not even the output folder


@pytest.mark.slow
@pytest.mark.parametrize("case", ["nan_slack", "yaml_alias_bomb", "gis_vertex_inf"])
def test_installed_console_script_refuses(tmp_path, case):
    # the real console script in a fresh process, as a planner runs it
    path, expected = build(case, tmp_path)
    before = _listing(tmp_path)
    for command in (["validate"], ["run", "--out", "out", "--workers", "0"]):
        proc = subprocess.run(
            [sys.executable, "-m", "gridv2x.cli", command[0], path.name, *command[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=dict(os.environ),
            timeout=300,
        )
        assert proc.returncode == 2, proc.stderr
        assert expected in proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
    assert _listing(tmp_path) == before
