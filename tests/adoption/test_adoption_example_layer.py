"""The shipped example area layer covers the built-in feeders and drives an allocation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gridv2x.adoption import allocate_evs, areas_of_customers, read_areas

LAYER = Path(__file__).resolve().parents[2] / "networks" / "areas-example.gpkg"
network = pytest.importorskip("gridv2x.network")


@pytest.mark.slow  # builds every built-in feeder (~15 s on a loaded 2-core machine)
def test_example_layer_is_valid_and_covers_every_builtin_feeder():
    areas = read_areas(LAYER)
    assert areas.crs == "EPSG:3006"
    assert areas["bev_share"].between(0, 1).all()
    for name in network.list_builtin():
        customers = network.read_builtin(name).customers
        joined = areas_of_customers(customers, areas, source=str(LAYER))
        # each feeder lies in its own two example areas (regenerate the layer with
        # `python -m gridv2x.adoption._make_example_areas` when a feeder is added or moved)
        assert set(joined["area_id"]) <= {f"{name}-a", f"{name}-b"}, name


def test_example_layer_allocates_on_the_suburban_feeder():
    customers = network.read_builtin("se-suburban-villa").customers
    owners = allocate_evs(customers, rng=np.random.default_rng(0), year=2030, areas=LAYER)
    # Stockholm-suburb shares 10-16 % in 2023 projected to 2030: ~35-50 % of villas
    assert 0.25 < len(owners) / len(customers) < 0.7
