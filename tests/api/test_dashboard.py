"""The dashboard end to end in headless Chromium (Playwright driving Debian's ``chromium``).

A uvicorn server in a thread serves the API and the dashboard over the API tests' desk chain.
The browser loads a key file, signs every request itself (WebCrypto Ed25519), and each page
must show the chain's data with its Plotly charts drawn as SVG. A client's session must not
see another client's data. Screenshots go to ``out/dashboard/`` (ignored by git).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from api.conftest import book, make_app
from conftest import require_service
from glassledger.ledger.crypto import KeyPair, save_key
from glassledger.liquidity.corridor import corridor_series
from glassledger.node.clocked import DAY_MS, ClockedChain
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import ParticipantSpec
from support.desk import DeskChain
from support.repo_market import NOTE, market

CHROMIUM = os.environ.get("GLASSLEDGER_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "out" / "dashboard"

pytestmark = pytest.mark.service


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    desk = DeskChain.create()
    desk.run(book("ns0", "dealer-0", "client-0", "t0", 5_000_000_00, 40_000_00))
    desk.run(book("ns1", "dealer-1", "client-1", "t1", 2_000_000_00, -10_000_00))
    desk.run(book("ns2", "dealer-0", "client-1", "t2", 3_000_000_00, 25_000_00))
    desk.send(("client-0", "token", "transfer", {"symbol": "USD", "to": "client-1", "amount": 7}))
    desk.send(("client-1", "token", "transfer", {"symbol": "USD", "to": "client-2", "amount": 9}))
    # Capital (USD cents) such that client-1 is flagged (dr > 5) and dealer-1 falls in round 1.
    capital = {"dealer-0": 60_000_00, "dealer-1": 3_000_00, "client-0": 500_000_00}
    for who, amount in (capital | {"client-1": 5_000_00}).items():
        args = {"institution": who, "amount": amount, "currency": "USD"}
        desk.send(("regulator", "monitor", "set_capital", args))
    # Warm the liquidity model's cache while the other pages are tested (it runs a replay).
    threading.Thread(target=corridor_series, args=("2025",), daemon=True).start()
    yield from _serve(desk)


@pytest.fixture(scope="module")
def market_server():
    """The funding tests' repo market with one day of overnight repos (on-ledger SOFR)."""
    fc = market()
    for repo_id, seller, cash, rate_bps in (
        ("R1", "dealer-0", 10_000_000_00, 530),
        ("R2", "dealer-1", 5_000_000_00, 520),
        ("R3", "dealer-2", 10_000_000_00, 540),
    ):
        args = {"side": "seller", "counterparty": "fund-0", "cash": cash, "rate_bps": rate_bps}
        fc.ok(
            seller,
            "repo",
            "propose",
            repo_id=repo_id,
            term_days=1,
            **args,
            collateral={NOTE: 12_000_000_00},
        )
        fc.ok("fund-0", "repo", "accept", repo_id=repo_id)
    yield from _serve(fc)


@pytest.fixture(scope="module")
def gov_server():
    """A devnet with eight dealer candidates and a periodic election every 12 blocks, run
    past its first election (the regulator's seed duties done by the harness)."""
    extra = [
        ParticipantSpec(f"dealer-{i}", ["dealer"], legal_name=f"Dealer {i}", credit_score=900)
        for i in (4, 5, 6, 7)
    ]
    params = {"election_period": 12, "election_window": 3, "reveal_timeout": 4}
    chain = ClockedChain.start(devnet_genesis(params=params, extra=extra))
    for _ in range(16):
        chain.advance(DAY_MS)
    yield from _serve(chain)


def _serve(chain):
    port = _free_port()
    config = uvicorn.Config(make_app(chain), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", chain
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra pins playwright
        require_service("playwright", False, "pip install the test extra")
    require_service("chromium", Path(CHROMIUM).exists(), f"no browser at {CHROMIUM}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    paths = {}
    for name in ("regulator", "client-0", "client-1", "dealer-0"):
        paths[name] = folder / f"{name}.json"
        save_key(paths[name], KeyPair.from_name(name), name)
    paths["sealed"] = folder / "sealed.json"
    save_key(paths["sealed"], KeyPair.from_name("client-0"), "client-0", passphrase="pass")
    return paths


def _open(browser, server, keyfile: Path, page_name: str):
    base, _ = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/dashboard/#{page_name}")
    page.set_input_files("#keyfile", str(keyfile))
    page.wait_for_selector("#page[data-ready=true]", timeout=30_000)
    page.wait_for_timeout(150)  # Plotly draws in a microtask after the page is built
    return page, errors


def _charts_drawn(page, ids: list[str]) -> None:
    for chart in ids:
        assert page.locator(f"#{chart} svg.main-svg").count() >= 1, chart
        drawn = page.evaluate(
            """(id) => Array.from(document.querySelectorAll(`#${id} svg.main-svg g.trace path`))
                .filter((p) => (p.getAttribute("d") || "").length > 4).length""",
            chart,
        )
        assert drawn > 0, f"{chart}: no drawn traces"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_plotly_is_bundled_and_no_page_loads_a_cdn(server, browser, keys):
    page, errors = _open(browser, server, keys["regulator"], "explorer")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.reload()
    page.set_input_files("#keyfile", str(keys["regulator"]))
    page.wait_for_selector("#page[data-ready=true]")
    base, _ = server
    assert requested and all(url.startswith(base) for url in requested), requested
    assert page.evaluate("typeof Plotly.newPlot") == "function"
    assert not errors


def test_explorer_shows_blocks_transactions_events_and_searches(server, browser, keys):
    _, desk = server
    page, errors = _open(browser, server, keys["regulator"], "explorer")
    assert "regulator (regulator)" in page.inner_text("#who")
    _charts_drawn(page, ["chart-blocks"])
    assert page.locator("#blocks-table tr").count() > 3
    txs = page.inner_text("#tx-table")
    assert "book" in txs and "transfer" in txs
    assert "trades." in page.inner_text("#events-table")
    page.fill("#search", "ns1")
    page.click("#search-form button")
    page.wait_for_selector("#search-results h3")
    found = page.inner_text("#search-results")
    assert "Netting set ns1" in found and "t1" in found
    block = desk.store.get_block(1)
    tx_hash = desk.store.get_receipts(1)[0].tx_hash.hex()
    page.fill("#search", tx_hash)
    page.click("#search-form button")
    page.wait_for_selector("#search-results h3")
    assert "at height 1" in page.inner_text("#search-results") and block.txs
    _shot(page, "explorer-regulator")
    assert not errors


def test_consensus_page_shows_authorities_rounds_and_the_election(gov_server, browser, keys):
    _, chain = gov_server
    page, errors = _open(browser, gov_server, keys["dealer-0"], "consensus")
    authorities = page.inner_text("#authorities-table")
    assert page.locator("#authorities-table tr").count() == 1 + len(chain.authority_ids())
    assert all(who in authorities for who in chain.authority_ids())
    _charts_drawn(page, ["chart-rounds", "chart-proposers"])
    draws = page.inner_text("#draws-table")
    assert "elected" in draws and "authorities_effective" in draws
    _shot(page, "consensus")
    assert not errors


def test_risk_page_network_and_cascade(server, browser, keys):
    page, errors = _open(browser, server, keys["regulator"], "risk")
    _charts_drawn(page, ["chart-ead", "chart-network"])
    table = page.inner_text("#exposures-table")
    assert "ns0" in table and "ns1" in table and "ns2" in table
    nodes = page.locator("#chart-network .scatterlayer .point")
    assert nodes.count() >= 4
    warnings = page.inner_text("#warnings-table")
    assert "client-1" in warnings and "dealer-1" in warnings
    colours = (
        "Array.from(document.querySelectorAll('#chart-network .point')).map((p) => p.style.fill)"
    )
    assert len(set(page.evaluate(colours))) == 3  # no warning, flagged, cascade
    page.locator("#cascade-slider").fill("-1")
    assert "before any default" in page.inner_text("#cascade-round")
    assert len(set(page.evaluate(colours))) == 1
    page.locator("#cascade-slider").fill("0")
    assert len(set(page.evaluate(colours))) == 2
    page.locator("#cascade-slider").fill("1")
    _shot(page, "risk-regulator")
    assert not errors


def test_liquidity_page(server, browser, keys):
    page, errors = _open(browser, server, keys["client-0"], "liquidity")
    _charts_drawn(page, ["chart-corridor", "chart-reserves"])
    legend = page.inner_text("#chart-corridor")
    assert "SOFR (model)" in legend and "SOFR (data)" in legend and "IORB" in legend
    assert "mean_abs_error_bp" in page.inner_text("#fit-table")
    _shot(page, "liquidity")
    assert not errors


def test_markets_page_shows_the_on_ledger_sofr(market_server, browser, keys):
    page, errors = _open(browser, market_server, keys["regulator"], "markets")
    _charts_drawn(page, ["chart-sofr"])
    # the volume-weighted median of the day's overnight repos: 530 bp (tests/funding)
    median = page.evaluate("document.querySelector('#chart-sofr').data[0].y")
    assert median == [530]
    assert page.locator("#pools-table, #facilities-table").count() == 2
    _shot(page, "markets")
    assert not errors


def test_a_client_session_cannot_see_another_clients_data(server, browser, keys):
    page, errors = _open(browser, server, keys["client-0"], "explorer")
    assert "client-0 (client)" in page.inner_text("#who")
    txs = page.inner_text("#tx-table")
    assert "transfer" in txs and "book" not in txs  # only client-0's own transaction
    events = page.inner_text("#events-table")
    assert "client-0" in events and "ns1" not in events and "ns2" not in events
    for query, label in (("ns1", "Netting set ns1"), ("client-1", "Participant client-1")):
        page.fill("#search", query)
        page.click("#search-form button")
        page.wait_for_selector("#search-results h3, #search-results p")
        page.wait_for_function(
            "!document.querySelector('#search-results').innerText.includes('searching')"
        )
        shown = page.inner_text("#search-results")
        assert label in shown and "not available to your role" in shown, shown
    _shot(page, "explorer-client")
    page.goto(page.url.replace("#explorer", "#risk"))
    page.wait_for_selector("#page[data-page=risk][data-ready=true]")
    table = page.inner_text("#exposures-table")
    assert "ns0" in table and "ns1" not in table and "ns2" not in table
    assert "not available to your role" in page.inner_text("#page")
    _shot(page, "risk-client")
    assert not errors


def test_a_sealed_key_file_is_refused_with_a_reason(server, browser, keys):
    base, _ = server
    page = browser.new_page()
    page.goto(f"{base}/dashboard/")
    page.set_input_files("#keyfile", str(keys["sealed"]))
    page.wait_for_function("document.querySelector('#signin-error').innerText.length > 0")
    assert "sealed with a passphrase" in page.inner_text("#signin-error")
    assert page.locator("#page").is_hidden()
