"""A sample scenario report opened in headless Chromium: every chart renders, offline."""

from __future__ import annotations

import pytest

from glassledger.sim.engine import run_scenario
from glassledger.sim.report import write_report
from glassledger.sim.scenario import load_scenario
from support.browser import rendered_charts


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
    scenario, text = load_scenario(name)
    page_file = write_report(run_scenario(scenario, text), tmp_path / "report.html")
    charts, requests = rendered_charts(page_file.as_uri(), n_charts)
    assert len(charts) == n_charts
    for chart in charts:
        assert chart["data"] > 0 and chart["traces"] > 0, chart
    assert all(url.startswith("file://") for url in requests), requests
