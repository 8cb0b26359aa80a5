"""Sensitivity study (study.kind: sensitivity): variants one at a time, the tornado table,
and a real run that names the dominant assumption."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gridv2x
from gridv2x.errors import InputError
from gridv2x.scenario import scenario_from_dict
from gridv2x.sensitivity import ASSUMPTIONS, BY_NAME, tornado_table, variants


def _scenario(**study):
    return scenario_from_dict(
        {
            "name": "sens",
            "study": {
                "kind": "sensitivity",
                "ev_shares": [0.0, 2.0],
                "refine": 1,
                "seeds": 1,
                **study,
            },
            "period": {"start": "2030-01-07", "days": 7},
            "networks": [{"builtin": "se-urban-apartments"}],
            "charging": {"strategies": ["uncontrolled"]},
        }
    )


def test_variants_move_one_assumption_at_a_time():
    scenario = _scenario()
    out = variants(scenario)
    assert len(out) == 1 + 2 * len(ASSUMPTIONS)
    base = out["base"][2].to_dict()
    assert base["study"]["kind"] == "hosting_capacity"
    low = out["cable_rating-low"][2].to_dict()
    high = out["slack_voltage-high"][2].to_dict()
    assert low["limits"]["line_loading_pct"] == pytest.approx(80.0)
    assert high["powerflow"]["slack_vm_pu"] == pytest.approx(
        base["powerflow"]["slack_vm_pu"] + 0.02
    )
    # everything else is the base scenario's
    low["limits"]["line_loading_pct"] = base["limits"]["line_loading_pct"]
    low["name"] = base["name"]
    assert low == base
    shifted = out["arrival_time-high"][2].to_dict()
    assert shifted["mobility"]["time_shift_h"] == 1.0
    assert BY_NAME["charger_mix"].value(0.2, "low") == 0.0


def test_unknown_assumption_is_refused():
    with pytest.raises(InputError, match="study.assumptions"):
        _scenario(assumptions=["cable_rating", "weather"])


def test_tornado_ranks_the_assumption_that_moves_capacity_most():
    scenario = _scenario(assumptions=["cable_rating", "household_load"])
    rows = []
    capacity = {
        "base": 0.6,
        "cable_rating-low": 0.4,
        "cable_rating-high": 0.8,
        "household_load-low": 0.65,
        "household_load-high": 0.55,
    }
    for variant, share in capacity.items():
        for draw in range(2):
            rows.append(
                {
                    "variant": variant,
                    "feeder": "se-urban-apartments",
                    "strategy": "uncontrolled",
                    "draw": draw,
                    "capacity_share": share + 0.01 * draw,
                    "first_violating_share": share + 0.1,
                    "criterion": "line_loading",
                    "element": "line 0",
                    "n_customers": 108,
                }
            )
    table = tornado_table(pd.DataFrame(rows), scenario).set_index("assumption")
    assert table.loc["cable_rating", "rank"] == 1
    assert table.loc["cable_rating", "dominant"]
    assert not table.loc["household_load", "dominant"]
    assert table.loc["cable_rating", "low_capacity_share"] == pytest.approx(0.405)
    assert table.loc["cable_rating", "swing_share"] == pytest.approx(0.4)
    assert table.loc["cable_rating", "binding_element"] == "line 0 (line_loading)"
    assert "A:" in table.loc["cable_rating", "binding_rating_source"]  # type, rating, source


def test_time_shift_moves_arrivals_by_the_shift():
    from gridv2x.conventions import period_index
    from gridv2x.demand import outdoor_temperature
    from gridv2x.mobility import draw_fleet, sessions_for_fleet

    index = period_index("2030-01-07", 7, "15min")
    temperature = outdoor_temperature(index, rng=np.random.default_rng(0))
    owners = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "ev_id": ["e1", "e2", "e3"]})
    fleet = draw_fleet(owners, rng=np.random.default_rng(1))
    base = sessions_for_fleet(fleet, index, temperature, rng=np.random.default_rng(2))
    later = sessions_for_fleet(
        fleet, index, temperature, rng=np.random.default_rng(2), time_shift_h=1.0
    )
    shift = later["arrival"].iloc[1:5].to_numpy() - base["arrival"].iloc[1:5].to_numpy()
    assert (shift == np.timedelta64(1, "h")).all()
    with pytest.raises(InputError, match="time_shift_h"):
        sessions_for_fleet(fleet, index, temperature, rng=np.random.default_rng(2), time_shift_h=9)


@pytest.mark.slow
def test_sensitivity_run_names_the_dominant_assumption(tmp_path):
    scenario = _scenario(assumptions=["transformer_rating", "slack_voltage"])
    result = gridv2x.run(scenario, workers=0, progress=False, out=tmp_path / "s")
    table = result.sensitivity
    assert set(table["assumption"]) == {"transformer_rating", "slack_voltage"}
    assert table["dominant"].sum() == 1
    # se-urban-apartments is transformer-bound: its rating moves the capacity most
    assert table.loc[table["dominant"], "assumption"].iloc[0] == "transformer_rating"
    assert "trafo" in table["binding_element"].iloc[0]
    result.write(tmp_path / "s")
    html = (tmp_path / "s" / "report.html").read_text()
    assert 'id="sensitivity"' in html and "the dominant assumption is Transformer rating" in html
    again = gridv2x.run(scenario, workers=0, progress=False, out=tmp_path / "s")
    assert again.provenance["tasks_run_now"] == 0
    pd.testing.assert_frame_equal(again.sensitivity, table)
