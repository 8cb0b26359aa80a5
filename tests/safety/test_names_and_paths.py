"""Names are labels, never paths; nothing is written or removed outside the output folder;
``--out`` never takes over a user's folder (issue 13, item 1). Through the console entry."""

from __future__ import annotations

import os

import pytest

from gridv2x.errors import InputError
from gridv2x.execution.outfolder import file_name, inside
from gridv2x.report.load import load_results

from .conftest import invoke, scenario_text, summary, tree

TRAVERSAL_NAMES = ["../../../victim", "..", "/ABSOLUTE/victim", "Umeå/Ersmark", "x" * 300, "a\nb"]


@pytest.mark.parametrize("name", TRAVERSAL_NAMES)
def test_file_name_is_one_safe_component(name):
    safe = file_name(name)
    assert "/" not in safe and "\0" not in safe and "\n" not in safe
    assert safe not in (".", "..") and not safe.startswith(".")
    assert len(safe.encode()) <= 255
    assert file_name(name) == safe  # deterministic
    assert len({file_name(n) for n in TRAVERSAL_NAMES}) == len(TRAVERSAL_NAMES)


def test_safe_names_stay_as_they_are():
    for name in ("se-villa-small", "1-LV-rural1--0-sw", "Umeå_2030", "feeder.2"):
        assert file_name(name) == name


def test_traversal_feeder_names_never_leave_out(in_tmp):
    """Feeder names with .., an absolute path and a slash: the run writes only under --out,
    a file next to where the 'victim' folders would be is untouched, the names show as given."""
    work = in_tmp / "a" / "b"
    work.mkdir(parents=True)
    (in_tmp / "victim").mkdir()
    (in_tmp / "victim" / "keep.txt").write_text("user data")
    networks = (
        '{builtin: se-villa-small, name: "../../../victim"}, '
        f'{{builtin: se-villa-small, name: "{in_tmp}/victim"}}, '
        '{builtin: se-villa-small, name: "Umeå/Ersmark"}'
    )
    (work / "s.yaml").write_text(scenario_text(network=networks))
    before = tree(in_tmp)
    os.chdir(work)
    result = invoke("run", "s.yaml", "--out", "out", "--workers", "0", "--quiet")
    assert result.exit_code == 0, result.output
    after = tree(in_tmp)
    changed = {p for p in set(before) | set(after) if before.get(p, 1) != after.get(p, 1)}
    assert changed, "the run wrote nothing"
    outside = sorted(p for p in changed if not p.startswith("a/b/out"))
    assert outside == [], outside
    feeders = set(summary(work / "out")["feeder"])
    assert feeders == {"../../../victim", f"{in_tmp}/victim", "Umeå/Ersmark"}
    report = load_results(work / "out")
    assert set(report.feeders_geo) == feeders  # maps are found under their safe file names
    assert set(report.sessions) <= feeders and report.sessions


@pytest.mark.parametrize(
    ("name", "why"),
    [("..", "start with"), (".", "start with"), ("", "must be a text"), ("x" * 300, "120 bytes")],
)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_scenario_names_that_are_no_folder_names_are_refused(in_tmp, name, why, command):
    (in_tmp / "s.yaml").write_text(scenario_text(name=f'"{name}"'))
    before = tree(in_tmp)
    result = invoke(command, "s.yaml", *(["--workers", "0"] if command == "run" else []))
    assert result.exit_code == 2, result.output
    assert "name" in result.output and why in result.output
    assert "Traceback" not in result.output
    assert tree(in_tmp) == before  # nothing written


def test_out_at_root_is_refused(in_tmp):
    (in_tmp / "s.yaml").write_text(scenario_text())
    result = invoke("run", "s.yaml", "--out", "/", "--workers", "0")
    assert result.exit_code == 2, result.output
    assert "root of the file system" in result.output


def test_out_at_a_users_folder_is_refused(in_tmp):
    (in_tmp / "s.yaml").write_text(scenario_text())
    user = in_tmp / "documents"
    user.mkdir()
    (user / "budget.xlsx").write_text("mine")
    (user / "summary.csv").write_text("also mine")  # a name gridv2x writes: still not touched
    before = tree(user)
    result = invoke("run", "s.yaml", "--out", "documents", "--workers", "0")
    assert result.exit_code == 2, result.output
    assert "not a gridv2x output folder" in result.output
    assert tree(user) == before
    assert "Traceback" not in result.output


def test_out_current_folder_with_files_is_refused(in_tmp):
    (in_tmp / "s.yaml").write_text(scenario_text())
    result = invoke("run", "s.yaml", "--out", ".", "--workers", "0")
    assert result.exit_code == 2, result.output
    assert sorted(p.name for p in in_tmp.iterdir()) == ["s.yaml"]


def test_guard_refuses_links_out_of_the_folder(in_tmp):
    """results/ replaced by a link to another folder: the run writes nothing there (exit 2)."""
    (in_tmp / "s.yaml").write_text(scenario_text())
    assert invoke("run", "s.yaml", "--out", "out", "--workers", "0", "--quiet").exit_code == 0
    elsewhere = in_tmp / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("user data")
    import shutil

    shutil.rmtree(in_tmp / "out" / "results")
    (in_tmp / "out" / "results").symlink_to(elsewhere)
    (in_tmp / "s.yaml").write_text(scenario_text(extra="demand: {power_factor: 0.9}\n"))
    result = invoke("run", "s.yaml", "--out", "out", "--workers", "0", "--quiet")
    assert result.exit_code == 2, result.output
    assert "outside the output folder" in result.output
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"]
    with pytest.raises(InputError):
        inside(in_tmp / "out", in_tmp / "out" / "results" / "x")
