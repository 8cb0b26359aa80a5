"""gridv2x/results.py owns the output layout: the folder cleaner removes exactly what it lists,
and the report finds the sessions of the draw it charts by the same rule as the charted tasks."""

from __future__ import annotations

import pandas as pd

from gridv2x import results
from gridv2x.execution.outfolder import remove_study_files


def test_a_study_folder_is_cleaned_of_every_file_of_the_layout(tmp_path):
    names = results.top_level_files()
    for expected in ("reinforcement.csv", "economics.csv", "area.csv", "hosting_capacity.gpkg"):
        assert expected in names
    for name in names:
        (tmp_path / name).write_text("x")
    task = results.task_dir(tmp_path, "f__v1g__d0000")
    task.mkdir(parents=True)
    for name in results.task_files():
        (task / name).write_text("x")
    fleet = results.fleet_file(tmp_path, "f", 0, None, None)
    fleet.parent.mkdir(parents=True)
    fleet.write_text("x")
    (tmp_path / "notes.txt").write_text("mine")  # not the study's: stays
    remove_study_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def _summary(rows):
    return pd.DataFrame(rows, columns=["task_id", "feeder", "strategy", "seed", "ev_share_target"])


def test_charted_fleet_file_is_the_lowest_seed_at_the_highest_share(tmp_path):
    summary = _summary(
        [
            (f"f__{s}__{share}__{seed}", "f", s, seed, share)
            for s in ("uncontrolled", "v1g")
            for share in (0.2, 0.5)
            for seed in (2, 1)
        ]
        + [("g__uncontrolled__0", "g", "uncontrolled", 0, 0.2)]
    )
    assert results.charted_fleet_file(tmp_path, summary, "f") == results.fleet_file(
        tmp_path, "f", 1, 0.5, None
    )
    assert results.charted_fleet_file(tmp_path, summary, "g").name == "g-seed0-share0.2000.parquet"
    assert results.charted_fleet_file(tmp_path, summary, "h") is None
    # the charted task of that draw is one of the tasks results.charted_tasks picks
    charted = results.charted_tasks(summary, "f")
    assert charted == {"uncontrolled": "f__uncontrolled__0.5__1", "v1g": "f__v1g__0.5__1"}


def test_charted_fleet_file_of_a_compare_study_has_no_level(tmp_path):
    summary = _summary([("f__v1g__d0000", "f", "v1g", 0, float("nan"))])
    assert results.charted_fleet_file(tmp_path, summary, "f").name == "f-seed0.parquet"
