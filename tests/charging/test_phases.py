"""Phase assignment and EV load per customer and phase."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridv2x.charging import assign_phases, power_by_customer
from gridv2x.errors import InputError

from .inputs import make_case
from .inputs import perfect_schedule as schedule


def test_balanced_assignment_is_balanced_and_random_is_reproducible():
    rng = np.random.default_rng(3)
    fleet = pd.DataFrame(
        {
            "ev_id": [f"e{i}" for i in range(31)],
            "charger_kw": rng.choice([3.7, 7.4], 31),
            "phases": np.where(np.arange(31) % 4 == 0, 3, 1),
        }
    )
    balanced = assign_phases(fleet, "balanced")
    single = balanced["phases"] == 1
    per_phase = balanced[single].groupby("phase")["charger_kw"].sum()
    assert set(per_phase.index) == {"a", "b", "c"}
    assert per_phase.max() - per_phase.min() <= 7.4 + 1e-9
    assert (balanced.loc[~single, "phase"] == "abc").all()
    r1 = assign_phases(fleet, "random", np.random.default_rng(1))
    r2 = assign_phases(fleet, "random", np.random.default_rng(1))
    assert r1["phase"].equals(r2["phase"])
    assert set(r1.loc[r1["phases"] == 1, "phase"]) <= {"a", "b", "c"}
    with pytest.raises(InputError, match="method"):
        assign_phases(fleet, "clever")
    with pytest.raises(InputError, match="rng"):
        assign_phases(fleet, "random")


def test_power_by_customer_and_phase_conserve_power():
    sessions, fleet, index, base = make_case(12, 2, 4)
    # two EVs of one customer
    fleet.loc[1, "customer_id"] = fleet.loc[0, "customer_id"]
    r = schedule("v2g", sessions, fleet, index, base)
    total = r.power_kw.sum(axis=1)
    by_customer = power_by_customer(r, fleet)
    assert by_customer.shape[1] == fleet["customer_id"].nunique()
    np.testing.assert_allclose(by_customer.sum(axis=1), total, atol=1e-9)
    c0 = fleet.loc[0, "customer_id"]
    np.testing.assert_allclose(
        by_customer[c0], r.power_kw[fleet.loc[0, "ev_id"]] + r.power_kw[fleet.loc[1, "ev_id"]]
    )
    by_phase = power_by_customer(r, fleet, phases=True)
    assert by_phase.columns.names == ["customer_id", "phase"]
    np.testing.assert_allclose(by_phase.sum(axis=1), total, atol=1e-9)
    for _, ev in fleet.iterrows():
        if ev["customer_id"] == c0:
            continue
        p = r.power_kw[ev["ev_id"]]
        for ph in "abc":
            expected = p / 3 if ev["phases"] == 3 else p * (ev["phase"] == ph)
            np.testing.assert_allclose(by_phase[(ev["customer_id"], ph)], expected, atol=1e-12)


def test_phase_assignment_option_reaches_the_per_phase_load():
    sessions, fleet, index, base = make_case(24, 2, 5)
    fleet["phases"] = 1
    fleet["charger_kw"] = 3.7
    fleet["phase"] = "a"  # everybody on phase a, as drawn
    drawn = schedule("v1g", sessions, fleet, index, base)
    balanced = schedule("v1g", sessions, fleet, index, base, phase_assignment="balanced")
    assert (drawn.per_ev["phase"] == "a").all()
    assert balanced.per_ev["phase"].value_counts().to_dict() == {"a": 8, "b": 8, "c": 8}
    by_phase = power_by_customer(balanced, fleet, phases=True).T.groupby(level="phase").sum().T
    drawn_phase = power_by_customer(drawn, fleet, phases=True).T.groupby(level="phase").sum().T
    assert (drawn_phase[["b", "c"]] == 0).all().all()
    assert by_phase["b"].sum() > 0 and by_phase["c"].sum() > 0
    np.testing.assert_allclose(by_phase.sum(axis=1), balanced.power_kw.sum(axis=1), atol=1e-9)
    rnd = schedule("v1g", sessions, fleet, index, base, phase_assignment="random")
    again = schedule("v1g", sessions, fleet, index, base, phase_assignment="random")
    assert rnd.per_ev["phase"].equals(again.per_ev["phase"])
    with pytest.raises(InputError, match="phase_assignment"):
        schedule("v1g", sessions, fleet, index, base, phase_assignment="clever")
