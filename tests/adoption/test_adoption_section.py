"""The ``adoption`` scenario section matches allocate_evs and validates its dicts."""

from __future__ import annotations

import inspect

import numpy as np

from gridv2x.adoption import allocate_evs, fleet_share
from gridv2x.adoption.allocate import DEFAULT_DWELLING_WEIGHTS, DEFAULT_FUSE_WEIGHTS
from gridv2x.adoption.options import SECTION


def test_keys_are_the_keyword_arguments():
    params = inspect.signature(allocate_evs).parameters
    assert set(SECTION.fields) == set(params) - {"customers", "rng"}
    curve_params = set(inspect.signature(fleet_share).parameters) - {"year"}
    assert set(SECTION.fields["curve"].fields) == curve_params


def test_defaults_are_the_function_defaults_and_run(customers):
    defaults = SECTION.defaults()
    params = inspect.signature(allocate_evs).parameters
    for key in ("share", "year", "areas", "second_ev_share", "cars_per_customer"):
        assert defaults[key] == params[key].default
    assert defaults["dwelling_weights"] == DEFAULT_DWELLING_WEIGHTS
    assert defaults["fuse_weights"] == DEFAULT_FUSE_WEIGHTS
    assert defaults["curve"] == {
        k: v.default for k, v in inspect.signature(fleet_share).parameters.items() if k != "year"
    }
    owners = allocate_evs(customers, rng=np.random.default_rng(0), **defaults)
    assert abs(len(owners) - 0.3 * len(customers)) < 1


def test_validation_reports_bad_weights_and_curve():
    errors, _ = SECTION.validate(
        "adoption",
        {
            "dwelling_weights": {"castle": 1.0},
            "fuse_weights": {"big": 1.0},
            "curve": {"model": "gompertz"},
            "share": 3,
        },
    )
    paths = {e.path for e in errors}
    assert paths == {
        "adoption.dwelling_weights",
        "adoption.fuse_weights",
        "adoption.curve.model",
        "adoption.share",
    }
