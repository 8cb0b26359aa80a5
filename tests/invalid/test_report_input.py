"""`gridv2x report` on a folder whose scenario.resolved.yaml was edited by hand: limits it
cannot compare against are refused with exit 2, every problem listed, the old report kept."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from gridv2x.cli import main
from tests.report.synthetic import write_synthetic_outdir


def test_non_numeric_limit_given_to_report_is_refused(tmp_path):
    out = write_synthetic_outdir(tmp_path / "out", days=2)
    resolved = out / "scenario.resolved.yaml"
    scenario = yaml.safe_load(resolved.read_text()) or {}
    scenario.setdefault("limits", {}).update(v_min_pu="low", line_loading_pct=float("nan"))
    scenario.setdefault("study", {})["risk"] = "often"
    resolved.write_text(yaml.safe_dump(scenario))
    (out / "report.html").write_text("earlier report")
    before = sorted(p.name for p in out.iterdir())
    result = CliRunner().invoke(main, ["report", str(out)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    for key in ("limits.v_min_pu", "limits.line_loading_pct", "study.risk"):
        assert key in result.output
    assert (out / "report.html").read_text() == "earlier report"
    assert sorted(p.name for p in out.iterdir()) == before
