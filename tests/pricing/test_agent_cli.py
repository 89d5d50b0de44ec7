"""``glassledger agent valuation``: runs once against a node home (embedded: marks queued to
its inbox, margined when the home's node runs); bad input (market file, node address,
unreachable node, options) is one clear line and exit 1."""

from __future__ import annotations

import socket
import time

import pytest
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.ledger import codec
from glassledger.node import rfq_client
from glassledger.node.home import Home
from glassledger.node.submit import queue_call

runner = CliRunner()


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    assert runner.invoke(app, ["init", "--home", str(path)]).exit_code == 0
    return path


def agent(*args: str):
    return runner.invoke(app, ["agent", "valuation", *args])


def test_agent_runs_once_on_a_home(home):
    result = agent("--home", str(home), "--once")
    assert result.exit_code == 0, result.output
    assert "queued 0 marks valued at height 0" in result.output


def _run_node(home) -> None:
    result = runner.invoke(app, ["node", "--home", str(home), "--until-empty"])
    assert result.exit_code == 0, result.output


def _get(home, contract: str, key: str):
    h = Home(home)
    chain = h.open_chain()
    try:
        raw = chain.store.get_state(f"{contract}/{key}".encode())
        return None if raw is None else codec.decode(raw, dict)
    finally:
        chain.store.close()


def test_the_agent_queues_marks_a_home_margins_on(home, tmp_path):
    """A swap traded through the home's inbox; the agent seeds SOFR from its market file,
    values at the head with the seed laid over it, and queues seed and marks; once the
    node has run, the netting set holds the mark and the variation margin it moved."""
    h = Home(home)
    keys = {who: h.load_keys(who) for who in ("regulator", "dealer-0", "client-0")}
    queue_call(
        h,
        h.load_keys("bank"),
        "token",
        "mint",
        {"symbol": "USD", "to": "dealer-0", "amount": 10**8},
    )
    now = time.time_ns() // 1_000_000
    for who, contract, method, args in [
        (
            "regulator",
            "oracle",
            "post",
            {"kind": "rate", "key": "SOFR", "value": 5_000_000, "scale": 8, "observed_ms": now},
        ),
        ("dealer-0", "rfq", "set_credit_limit", {"counterparty": "client-0", "limit": 10**9}),
        (
            "dealer-0",
            "derivative",
            "post_collateral",
            {"counterparty": "client-0", "amount": 200_000_00},
        ),
        (
            "client-0",
            "rfq",
            "request",
            {
                "rfq_id": "S1",
                "template_name": "irs",
                "params": {"period_days": 90, "periods": 4},
                "notional": 1_000_000_00,
                "side": "pay_fixed",
                "expiry_ms": now + 600_000,
                "dealers": ["dealer-0"],
            },
        ),
    ]:
        queue_call(h, keys[who], contract, method, args)
    _run_node(home)
    recipients = {who: keys[who].public for who in ("client-0", "regulator")}
    quote = rfq_client.make_quote(
        keys["dealer-0"], "S1", "dealer-0", recipients, 4_100_000, now + 1_200_000
    )
    queue_call(h, keys["dealer-0"], "rfq", "quote", quote.args)
    _run_node(home)
    accept = rfq_client.accept_args(quote.envelope, "client-0", keys["client-0"])
    queue_call(h, keys["client-0"], "rfq", "accept", accept)
    _run_node(home)
    assert _get(home, "derivative", "ns/dealer-0~client-0")["marks"] == {"S1": 0}

    market = tmp_path / "market.json"
    market.write_text('{"rates": {"SOFR": 0.06, "USD": 0.06}}')
    result = agent("--home", str(home), "--market", str(market), "--once")
    assert result.exit_code == 0, result.output
    assert "queued 1 marks valued at height" in result.output
    _run_node(home)
    ns = _get(home, "derivative", "ns/dealer-0~client-0")
    assert _get(home, "oracle", "v/rate/SOFR")["value"] == 6_000_000  # the seed committed
    assert -1_650_000 < ns["marks"]["S1"] < -1_560_000  # as on a network (test_agent_node)
    assert ns["vm"] == ns["mtm"] == ns["marks"]["S1"]  # the dealer paid variation margin


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"vols": {"price:ACME": "0.2"}}', "vols.price:ACME"),
        ('{"vols": {"price:ACME": 0}}', "vols.price:ACME"),
        ('{"vols": {"price:ACME": NaN}}', "vols.price:ACME"),
        ('{"hazards": {"FIRM B": -0.01}}', "hazards.FIRM B"),
        ('{"recoveries": {"FIRM B": 1.5}}', "recoveries.FIRM B"),
        ('{"rates": {"USD": 1e300}}', "rates.USD"),
        ('{"rates": {"": 0.05}}', "rates."),
        ('{"recovery": 0.4}', "recovery"),
        ('{"rates": [0.05]}', "rates"),
        ("[1, 2]", "m.json"),
        ("{not json", "m.json"),
    ],
)
def test_a_bad_market_file_is_one_line_naming_the_field(home, tmp_path, text, field):
    bad = tmp_path / "m.json"
    bad.write_text(text)
    result = agent("--home", str(home), "--market", str(bad), "--once")
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "m.json" in lines[0] and field in lines[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("nowhere", "is not host:port"),
        ("127.0.0.1:99999", "is not host:port"),
        ("127.0.0.1:{closed}", "cannot reach node"),
    ],
)
def test_a_bad_or_unreachable_node_is_one_line(home, address, says):
    address = address.format(closed=_closed_port())
    for extra in (["--once"], ["--interval", "0"]):  # the first round's error ends a loop too
        result = agent("--home", str(home), "--node", address, *extra)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], result.output


def test_an_unknown_participant_or_home_is_one_line(home, tmp_path):
    result = agent("--home", str(home), "--as", "nobody", "--once")
    assert result.exit_code == 1 and "nobody" in result.output, result.output
    result = agent("--home", str(tmp_path / "missing"), "--once")
    assert result.exit_code == 1 and "missing does not exist" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
