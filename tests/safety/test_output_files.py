"""Output files (issue 13, item 7), through the console entry: modes follow the umask, a
broken task record or a corrupt parquet file is recomputed, file contents are never echoed."""

from __future__ import annotations

import os
import stat

import pytest

from .conftest import invoke, provenance, scenario_text, summary


@pytest.fixture
def umask():
    def set_mask(mask: int) -> None:
        os.umask(mask)

    old = os.umask(0o022)
    os.umask(old)
    yield set_mask
    os.umask(old)


@pytest.mark.parametrize("mask", [0o002, 0o027])
def test_modes_follow_the_umask(in_tmp, umask, mask):
    umask(mask)
    (in_tmp / "s.yaml").write_text(scenario_text())
    result = invoke("run", "s.yaml", "--out", "out", "--workers", "0", "--quiet")
    assert result.exit_code == 0, result.output
    wrong = {}
    for path in [in_tmp / "out", *(in_tmp / "out").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        want = (0o777 if path.is_dir() else 0o666) & ~mask
        if mode != want:
            wrong[str(path.relative_to(in_tmp))] = oct(mode)
    assert wrong == {}


def _task_dir(out):
    return next(p for p in (out / "results").iterdir() if (p / "task.json").is_file())


BREAKAGES = {
    "a_list": lambda d: (d / "task.json").write_text("[1, 2]"),
    "no_summary": lambda d: (d / "task.json").write_text('{"scenario_digest": "x", "task": {}}'),
    "not_utf8": lambda d: (d / "task.json").write_bytes(b"\xff\xfe{\x00"),
    "cut_short": lambda d: (d / "task.json").write_text((d / "task.json").read_text()[:40]),
    "parquet_cut_short": lambda d: (d / "customers.parquet").write_bytes(
        (d / "customers.parquet").read_bytes()[:100]
    ),
    "parquet_altered": lambda d: _flip_middle(d / "elements.parquet"),
    "parquet_missing": lambda d: (d / "evs.parquet").unlink(),
    "fleet_altered": lambda d: _flip_middle(next((d.parent / "fleet").glob("*-seed0.parquet"))),
}


def _flip_middle(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_broken_task_is_recomputed(in_tmp, breakage):
    (in_tmp / "s.yaml").write_text(scenario_text())
    args = ("run", "s.yaml", "--out", "out", "--workers", "0", "--quiet")
    assert invoke(*args).exit_code == 0
    out = in_tmp / "out"
    before = summary(out)
    BREAKAGES[breakage](_task_dir(out))
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert provenance(out)["tasks_run_now"] == 1
    import pandas as pd

    pd.testing.assert_frame_equal(summary(out), before)
    assert invoke(*args).exit_code == 0  # and intact again: nothing left to do
    assert provenance(out)["tasks_run_now"] == 0


SECRET = "root:$6$SECRETHASH$abc:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
FILE_KEYS = {
    "temperature": "climate: {temperature_file: secret.csv}\n",
    "meter": "demand: {model: metered, metered_file: secret.csv}\n",
    "price": "charging: {strategies: [v1g], price_file: secret.csv, v1g: {objective: price}}\n",
    "areas": "adoption: {share: 0.5, areas: secret.csv}\n",
    "gis": "networks: [{gis: secret.csv}]\n",
    "pandapower": "networks: [{pandapower_json: secret.csv}]\n",
}


@pytest.mark.parametrize("kind", sorted(FILE_KEYS))
def test_file_contents_never_echoed(in_tmp, kind):
    (in_tmp / "secret.csv").write_text(SECRET)
    text = scenario_text(name="s")
    for line in FILE_KEYS[kind].splitlines():
        section = line.split(":")[0]
        text = "\n".join(t for t in text.splitlines() if not t.startswith(section + ":"))
    (in_tmp / "s.yaml").write_text(text + "\n" + FILE_KEYS[kind])
    result = invoke("run", "s.yaml", "--out", "out", "--workers", "0", "--quiet")
    assert result.exit_code != 0
    assert "SECRETHASH" not in result.output and "daemon" not in result.output
    assert "Traceback" not in result.output
    for path in (in_tmp / "out").rglob("*") if (in_tmp / "out").exists() else []:
        if path.is_file():
            assert b"SECRETHASH" not in path.read_bytes(), path
