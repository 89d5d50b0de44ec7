"""``glassledger agent valuation --node``: the agent against a running network of node
processes on loopback (one authority, one bookkeeper). A swap is traded through the RFQ,
the agent seeds the oracle from its market file, reads the ledger at a height through the
client protocol, values with QuantLib and posts the marks; the netting set variation-margins
on them, and the marks are reproduced from the ledger state at the height they were valued
at. Then the agent loops until SIGTERM and stops cleanly."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.ledger import codec
from glassledger.node import rfq_client
from glassledger.node.frames import StateReply, StateRequest, sign_state_request
from glassledger.pricing import agent
from support.network import LocalNet, wait_until

pytestmark = pytest.mark.timeout(300)
NODES = ["dealer-0", "regulator"]
NS = "dealer-0~client-0"


def _ok(net: LocalNet, txs) -> None:
    refusals, receipts = net.submit("regulator", txs, wait_s=120)
    assert refusals == [""] * len(txs), refusals
    assert all(r.ok for r in receipts), [(r.reason, r.message) for r in receipts]


def _state(net: LocalNet, height: int) -> dict[bytes, bytes]:
    store = net.store("regulator")
    try:
        return {p: v for prefix in agent.PREFIXES for p, v in store.scan_at(prefix, height).items()}
    finally:
        store.close()


def _netting_set(net: LocalNet) -> dict:
    store = net.store("regulator")
    try:
        return codec.decode(store.get_state(f"derivative/ns/{NS}".encode()), dict)
    finally:
        store.close()


def _raw_read(net: LocalNet, request: StateRequest) -> StateReply:
    async def ask():
        async with net.client("regulator") as client:
            return await client._ask(request)

    return asyncio.run(ask())


def test_the_agent_marks_a_network_swap_and_the_netting_set_margins(tmp_path):
    net = LocalNet(tmp_path / "net", authorities=1, bookkeepers=1)
    net.start()
    try:
        net.wait_height(1, NODES, timeout_s=120)
        s = net.signer
        # a dealer with cash, a credit line and collateral on both sides; SOFR at 5%
        _ok(net, [s.tx("bank", "token", "mint", symbol="USD", to="dealer-0", amount=10**8)])
        now = time.time_ns() // 1_000_000
        _ok(
            net,
            [
                s.tx(
                    "regulator",
                    "oracle",
                    "post",
                    kind="rate",
                    key="SOFR",
                    value=5_000_000,
                    scale=8,
                    observed_ms=now - 1_000,
                ),
                s.tx("dealer-0", "rfq", "set_credit_limit", counterparty="client-0", limit=10**9),
                s.tx(
                    "dealer-0",
                    "derivative",
                    "post_collateral",
                    counterparty="client-0",
                    amount=200_000_00,
                ),
                s.tx(
                    "client-0",
                    "derivative",
                    "post_collateral",
                    counterparty="dealer-0",
                    amount=200_000_00,
                ),
            ],
        )
        # the RFQ: request, a sealed firm quote at 4.1% fixed, acceptance by revealing it
        expiry = now + 120_000
        _ok(
            net,
            [
                s.tx(
                    "client-0",
                    "rfq",
                    "request",
                    rfq_id="S1",
                    template_name="irs",
                    params={"period_days": 90, "periods": 4},
                    notional=1_000_000_00,
                    side="pay_fixed",
                    expiry_ms=expiry,
                    dealers=["dealer-0"],
                ),
            ],
        )
        recipients = {who: s.keys(who).public for who in ("client-0", "regulator")}
        quote = rfq_client.make_quote(
            s.keys("dealer-0"), "S1", "dealer-0", recipients, 4_100_000, expiry + 60_000
        )
        _ok(net, [s.tx("dealer-0", "rfq", "quote", **quote.args)])
        accept = rfq_client.accept_args(quote.envelope, "client-0", s.keys("client-0"))
        _ok(net, [s.tx("client-0", "rfq", "accept", **accept)])
        assert _netting_set(net)["marks"] == {"S1": 0}

        # only an oracle or the regulator may read the state through the node
        result = CliRunner().invoke(
            app,
            [
                "agent",
                "valuation",
                "--home",
                str(net.folder),
                "--node",
                net.address("regulator"),
                "--as",
                "client-0",
                "--once",
            ],
        )
        assert result.exit_code == 1, result.output
        assert "client-0 may not read the state here" in result.output
        assert net.wait_log("regulator", "state_read_refused")
        # an unsigned read, and one signed too long ago, are refused with their reason
        assert "bad signature" in _raw_read(net, StateRequest([b"oracle/v/"])).error
        stale = sign_state_request(s.keys("regulator"), net.chain_id, [b"oracle/v/"], -1, b"", 1)
        assert "issued more than 60000 ms from now" in _raw_read(net, stale).error

        # one pass; the market file seeds (overrides) SOFR at 6% and the USD discount rate
        market = tmp_path / "market.json"
        market.write_text(json.dumps({"rates": {"SOFR": 0.06, "USD": 0.06}}))
        home, address = str(net.folder), net.address("regulator")
        result = CliRunner().invoke(
            app,
            [
                "agent",
                "valuation",
                "--home",
                home,
                "--node",
                address,
                "--market",
                str(market),
                "--once",
                "--timeout",
                "120",
            ],
        )
        assert result.exit_code == 0, result.output
        found = re.search(r"posted 1 marks valued at height (\d+)", result.output)
        assert found, result.output
        height = int(found.group(1))
        ns = _netting_set(net)
        mark = ns["marks"]["S1"]
        # the client pays 4.1% fixed on $1m and receives SOFR: the running period is fixed at
        # 5% (0.9% x 90/360 = $2,250), the three later ones projected at the seeded 6% (1.9% x
        # 90/360 = $4,750 each): $16,500 undiscounted, a little less discounted at 6% over
        # 3 to 12 months. Marks are in cents, on the dealer's (party A's) side.
        assert -1_650_000 < mark < -1_560_000
        assert ns["mtm"] == mark and ns["vm"] == mark  # the dealer paid variation margin
        # reproducible: the ledger at that height (seed included) gives the same mark
        store = net.store("regulator")
        try:
            time_ms = store.get_header(height).timestamp_ms
        finally:
            store.close()
        assert agent.points(_state(net, height), time_ms) == [["S1", mark]]
        assert agent.market(_state(net, height)).rates["SOFR"] == 0.06

        # the loop: several passes, then SIGTERM ends it cleanly after the pass under way
        log = tmp_path / "agent.log"
        with log.open("w") as out_file:
            loop = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "glassledger",
                    "agent",
                    "valuation",
                    "--home",
                    home,
                    "--node",
                    address,
                    "--interval",
                    "0.2",
                ],
                stdout=out_file,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(
                lambda: log.read_text().count("posted 1 marks") >= 2 or loop.poll() is not None,
                120,
                lambda: f"the looping agent did not post twice: {log.read_text()}",
            )
            assert loop.poll() is None, log.read_text()
            loop.send_signal(signal.SIGTERM)
            loop.wait(120)
        finally:
            if loop.poll() is None:
                loop.kill()
                loop.wait(10)
        out = log.read_text()
        assert loop.returncode == 0, out
        rounds = re.findall(r"posted 1 marks valued at height \d+", out)
        assert rounds and f"stopped after {len(rounds)} valuations" in out, out
        assert "Traceback" not in out
    finally:
        net.close()
