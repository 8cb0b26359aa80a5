"""Open a report in headless Chromium (system package) with outside network blocked.

Selenium drives Debian's ``chromium`` through ``chromium-driver``. Outside network is blocked
twice: the host resolver maps every name except localhost to NOTFOUND, and Chrome's performance
log is checked afterwards for any request that is not ``file:``, ``data:``, ``blob:`` or
``about:``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GRIDV2X_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("GRIDV2X_CHROMEDRIVER", "/usr/bin/chromedriver")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome-error:")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--window-size=1400,1000",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
)


def require_browser() -> None:
    """Skip when Chromium is absent locally; fail in CI (CI=true), where it must be installed."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if not missing:
        return
    message = (
        f"{', '.join(missing)} not found: install Debian's 'chromium chromium-driver' "
        "(apt-get install -y chromium chromium-driver)"
    )
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(message + " -- browser tests must run in CI")
    pytest.skip(message)


@dataclass
class PageResult:
    """What the browser saw."""

    title: str
    figure_divs: int
    drawn_figures: int
    tables: int
    summary_rows: int
    pwned: bool
    upload_buttons: int
    description_text: str
    console: list[dict] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def severe(self) -> list[dict]:
        return [e for e in self.console if e.get("level") == "SEVERE"]

    @property
    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


def open_report(
    path: Path, *, timeout_s: float = 45.0, screenshot: Path | None = None
) -> PageResult:
    """Load ``path`` in headless Chromium, wait until every plotly figure is drawn, report."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="gridv2x-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = None
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        driver.set_page_load_timeout(timeout_s)
        driver.get_log("performance")  # drop the start-up tab's own (chrome://) requests
        driver.get(Path(path).resolve().as_uri())
        count_js = (
            "const divs = document.querySelectorAll('div.plotly-graph-div');"
            "let drawn = 0; for (const d of divs) {"
            " if (d.classList.contains('js-plotly-plot') && d.querySelector('svg.main-svg')) drawn++; }"
            "return [divs.length, drawn];"
        )
        deadline = time.monotonic() + timeout_s
        while True:
            n_divs, n_drawn = driver.execute_script(count_js)
            if n_divs == n_drawn or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        state = driver.execute_script(
            "return {title: document.title,"
            " tables: document.querySelectorAll('table').length,"
            " summaryRows: document.querySelectorAll('#summary table.traffic-lights tbody tr').length,"
            " pwned: window.__pwned !== undefined,"
            " uploadButtons: document.querySelectorAll("
            '  \'.modebar-btn[data-title^="Share"], a.modebar-btn[href^="http"]\').length,'
            " description: (document.getElementById('scenario-description') || {}).textContent || ''};"
        )
        if screenshot is not None:
            driver.save_screenshot(str(screenshot))
        console = driver.get_log("browser")
        requests = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                params = message["params"]
                if str(params.get("documentURL", "")).startswith("chrome://"):
                    continue  # the browser's own start-up page, not the report
                requests.append(params["request"]["url"])
        return PageResult(
            title=state["title"],
            figure_divs=n_divs,
            drawn_figures=n_drawn,
            tables=state["tables"],
            summary_rows=state["summaryRows"],
            pwned=bool(state["pwned"]),
            upload_buttons=int(state["uploadButtons"]),
            description_text=state["description"],
            console=console,
            requests=requests,
            screenshot=screenshot,
        )
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
