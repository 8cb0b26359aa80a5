"""The metric registry and the limits section."""

from __future__ import annotations

from gridv2x.conventions import SUMMARY_COLUMNS
from gridv2x.metrics import METRICS, describe_metrics, label
from gridv2x.metrics.limits import CRITERIA, SECTION


def test_every_summary_column_is_registered_with_unit():
    assert set(SUMMARY_COLUMNS) <= set(METRICS)
    for name, metric in METRICS.items():
        assert metric.label and metric.description, name
        assert isinstance(metric.unit, str)
    assert label("transformer_peak_kw") == "Transformer peak [kW]"
    assert label("en50160_compliant") == "EN 50160 compliant"
    assert label("not_a_metric") == "not_a_metric"
    table = describe_metrics(["losses_kwh", "nope"])
    assert table["unit"].tolist() == ["kWh", ""]


def test_every_criterion_has_a_violation_flag():
    for crit in CRITERIA:
        assert f"violates_{crit}" in METRICS


def test_limits_section_documents_every_key_with_source():
    for key, default, _allowed, doc in SECTION.describe():
        assert doc, key
        assert default != "(required)", key
    errors, resolved = SECTION.validate("limits", {"criteria": ["fuse", "fuse"]})
    assert errors and "twice" in str(errors[0])
    errors, resolved = SECTION.validate("limits", {"en50160_window": "soon"})
    assert errors and "duration" in str(errors[0])
    errors, resolved = SECTION.validate("limits", {})
    assert not errors and resolved["criteria"] == SECTION.defaults()["criteria"]
