"""Open a page in headless Chromium (Playwright driving Debian's ``chromium``) and read back
its Plotly charts: whether each drew its traces, and every request the page made."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import sync_playwright

from conftest import require_service

CHROMIUM = os.environ.get("GLASSLEDGER_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking"]


def rendered_charts(url: str, n_charts: int) -> tuple[list[dict], list[str]]:
    """Load ``url``, wait until ``n_charts`` Plotly charts have drawn, and return each chart's
    ``{id, traces, data}`` (SVG traces drawn, traces in its data) and the URLs requested.
    A JavaScript error on the page fails the caller's test."""
    require_service("chromium", Path(CHROMIUM).exists(), f"no browser at {CHROMIUM}")
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
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
    assert errors == [], errors
    return charts, requests
