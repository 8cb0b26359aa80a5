"""Fixtures of the report tests: a real quickstart run (when the pipeline exists) and
synthetic output folders for edge cases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.report.synthetic import EVIL, write_synthetic_outdir

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def _pipeline_available() -> bool:
    if not QUICKSTART.is_file():
        return False
    try:
        import gridv2x

        gridv2x.run  # noqa: B018 - lazy attribute: raises if the pipeline is not importable
        gridv2x.read_scenario  # noqa: B018
    except (AttributeError, ImportError):
        return False
    return True


QUICKSTART_DAYS = int(os.environ.get("GRIDV2X_REPORT_QUICKSTART_DAYS", "14"))
"""Days of the quickstart simulated by the report tests (0: the shipped full year, ~2 min).
Two winter weeks keep the suite fast; the year-long size is tested on a synthetic store."""


@pytest.fixture(scope="session")
def quickstart_outdir(tmp_path_factory) -> Path:
    """Output folder of the real quickstart study (run once per session, in-process), with a
    ``<script>`` injected into the description to prove escaping end to end.

    Falls back to a synthetic folder only while the pipeline does not exist yet (no
    ``gridv2x.run`` or no ``scenarios/quickstart.yaml``); once it exists, any failure of the
    run fails the tests.
    """
    out = tmp_path_factory.mktemp("quickstart")
    if not _pipeline_available():
        return write_synthetic_outdir(
            out, description=f"Quickstart stand-in. {EVIL}", name="quickstart", days=7
        )
    import gridv2x

    scenario = gridv2x.read_scenario(QUICKSTART)
    changes = {"description": f"{scenario.to_dict().get('description') or ''} {EVIL}"}
    if QUICKSTART_DAYS > 0:
        changes["period"] = {"days": QUICKSTART_DAYS}
    result = gridv2x.run(scenario.replace(**changes), workers=0)
    result.write(out / "run", report=False)
    return out / "run"


@pytest.fixture(scope="session")
def synthetic_outdir(tmp_path_factory) -> Path:
    """A two-feeder compare study with hostile names (for escaping), 7 days."""
    return write_synthetic_outdir(
        tmp_path_factory.mktemp("synthetic"),
        feeders=("se-suburban-villa", "rural-<b>&x"),
        description=f"Evil description {EVIL}",
        name="<i>study</i>",
    )
