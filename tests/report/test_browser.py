"""The quickstart report in a real browser (headless Chromium, outside network blocked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridv2x.report import build_report
from tests.report.browser import open_report, require_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(quickstart_outdir: Path, tmp_path_factory):
    require_browser()
    report = quickstart_outdir / "report.html"
    if not report.exists():
        build_report(quickstart_outdir)
    shot = tmp_path_factory.mktemp("browser") / "report.png"
    return open_report(report, screenshot=shot)


def test_no_console_error(page) -> None:
    assert page.severe == [], page.severe


def test_no_request_leaves_the_file(page) -> None:
    assert page.requests, "the performance log recorded the page load itself"
    assert any(u.startswith("file:") for u in page.requests)
    assert page.outside_requests == [], page.outside_requests


def test_every_figure_is_drawn(page) -> None:
    assert page.figure_divs >= 8
    assert page.drawn_figures == page.figure_divs


def test_no_button_sends_data_away(page) -> None:
    """plotly's "Share chart..." (upload to Plotly Cloud) and links out are removed."""
    assert page.upload_buttons == 0


def test_tables_present(page) -> None:
    assert page.tables >= 3  # traffic lights, comparison, provenance (and more)
    assert page.summary_rows >= 1  # one traffic-light row per feeder


def test_injected_script_does_not_run(page) -> None:
    assert not page.pwned
    assert page.title != "pwned" and "gridv2x report" in page.title
    assert "<script>window.__pwned = 1;" in page.description_text  # shown as plain text


def test_escaping_with_hostile_feeder_names(synthetic_outdir: Path) -> None:
    """Hostile scenario and feeder names: nothing runs, every figure still draws."""
    require_browser()
    result = open_report(build_report(synthetic_outdir))
    assert not result.pwned and result.title != "pwned"
    assert result.severe == [], result.severe
    assert result.outside_requests == []
    assert result.drawn_figures == result.figure_divs > 0


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The harness sees an outside request, a console error, a running script, an undrawn div."""
    require_browser()
    page_file = tmp_path / "bad.html"
    page_file.write_text(
        "<!DOCTYPE html><html><head><title>bad</title>"
        '<script src="https://cdn.plot.ly/plotly-latest.min.js"></script></head><body>'
        '<div class="plotly-graph-div"></div>'
        "<script>window.__pwned = 1; console.error('boom');</script></body></html>",
        encoding="utf-8",
    )
    result = open_report(page_file, timeout_s=3)
    assert result.pwned
    assert any("cdn.plot.ly" in u for u in result.outside_requests)
    assert result.severe
    assert result.figure_divs == 1 and result.drawn_figures == 0


def test_csp_lets_only_the_reports_own_scripts_run(quickstart_outdir: Path, tmp_path: Path) -> None:
    """No 'unsafe-eval' nor 'unsafe-inline': plotly still draws every figure (it needs no
    eval for the report's traces), and an inline script added to the file afterwards is
    refused by the policy (it is not among the hashed ones)."""
    require_browser()
    html = build_report(quickstart_outdir).read_text(encoding="utf-8")
    policy = html.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0]
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert policy.count("'sha256-") == html.count("<script")
    tampered = tmp_path / "tampered.html"
    tampered.write_text(
        html.replace("</body>", "<script>window.__pwned = 1;</script></body>"), encoding="utf-8"
    )
    result = open_report(tampered, timeout_s=240)  # a loaded 2-core machine: slow renderer
    assert not result.pwned
    assert result.drawn_figures == result.figure_divs >= 8
    refused = [e for e in result.severe if "Content Security Policy" in e.get("message", "")]
    assert len(refused) == 1, result.severe  # only the added script, nothing of plotly's
