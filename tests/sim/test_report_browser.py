"""A sample scenario report opened in headless Chromium: every chart renders, offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from conftest import require_service
from glassledger.sim.engine import run_scenario
from glassledger.sim.report import write_report
from glassledger.sim.scenario import load_scenario

CHROMIUM = os.environ.get("GLASSLEDGER_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.parametrize(
    ("name", "n_charts"),
    [
        ("dealer_default", 4),
        ("basket_attack", 5),
        ("repo_squeeze", 5),
        ("market_structure", 6),
    ],
)
def test_the_report_charts_render_in_chromium(tmp_path, name, n_charts):
    require_service("chromium", Path(CHROMIUM).exists(), f"no browser at {CHROMIUM}")
    scenario, text = load_scenario(name)
    page_file = write_report(run_scenario(scenario, text), tmp_path / "report.html")
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            page.wait_for_function(
                f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {n_charts}",
                timeout=30_000,
            )
            charts = page.eval_on_selector_all(
                ".plotly-graph-div",
                "els => els.map(e => ({id: e.id, traces: e.querySelectorAll('.trace').length,"
                " data: (e.data || []).length}))",
            )
        finally:
            browser.close()
    assert errors == []
    assert len(charts) == n_charts
    for chart in charts:
        assert chart["data"] > 0 and chart["traces"] > 0, chart
    assert all(url.startswith("file://") for url in requests), requests
