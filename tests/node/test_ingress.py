"""Issue 9, section 2: nothing queued vanishes; malformed rows are quarantined; `tx` refuses
what the ledger cannot carry with one clear line, waits for its receipt, and never collides
on nonces; one node per home."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.node.home import Home
from glassledger.node.inbox import Inbox
from glassledger.node.runner import NodeLock, NodeRunning, running_node
from glassledger.node.submit import ArgumentError, parse_args, queue_transaction

runner = CliRunner()


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "net"
    ok("init", "--home", str(path))
    return path


def transfer_args(amount, to="client-1") -> str:
    return json.dumps({"symbol": "USD", "to": to, "amount": amount})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"amount": 18446744073709551616}', "outside the ledger's integer range"),
        ('{"amount": -9223372036854775809}', "outside the ledger's integer range"),
        ('{"amount": ' + "9" * 400 + "}", "integer of 400 digits"),
        ('{"key": "hex:zz"}', "is not hex"),
        ('{"name": "\\ud800"}', "lone surrogate"),
        ('{"amount": 1.5}', "floats are not allowed"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_arguments_are_one_clear_line(home, raw, expected):
    with pytest.raises(ArgumentError, match=expected):
        parse_args(raw)
    result = runner.invoke(
        app, ["tx", "token", "transfer", "--sender", "client-0", "--home", str(home), "--args", raw]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "error:" in result.output


def nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "args",
    [{"x": nested(20)}, {"memo": "m" * (65 * 1024)}],
    ids=["nested-20-deep", "over-64-KiB"],
)
def test_what_the_node_would_drop_is_refused_at_tx_time(home, args):
    result = runner.invoke(
        app,
        [
            "tx",
            "token",
            "transfer",
            "--sender",
            "client-0",
            "--home",
            str(home),
            "--args",
            *[json.dumps(args)],
        ],
    )
    assert result.exit_code == 1
    assert "the node would refuse this transaction" in " ".join(result.output.split())
    assert Inbox(Home(home).inbox).pending() == 0


def test_malformed_rows_are_quarantined_and_the_batch_goes_through(home):
    h = Home(home)
    for amount in (1, 2):
        queue_transaction(h, "token", "transfer", "client-0", transfer_args(amount))
    db = sqlite3.connect(h.inbox)
    db.execute("INSERT INTO inbox (tx) VALUES ('some text')")
    db.execute("INSERT INTO inbox (tx) VALUES (NULL)")
    db.execute("INSERT INTO inbox (tx) VALUES (9223372036854775807)")
    db.execute("INSERT INTO inbox (tx) VALUES (x'00ff00')")
    db.commit()
    db.close()
    queue_transaction(h, "token", "transfer", "client-0", transfer_args(3))
    out = ok("node", "--home", str(home), "--until-empty")
    assert "3 transactions" in out
    inbox = Inbox(h.inbox)
    reasons = [reason for _, reason in inbox.quarantined()]
    assert inbox.pending() == 0
    assert len(reasons) == 4
    assert any("TEXT" in r for r in reasons) and any("NULL" in r for r in reasons)
    assert any("INTEGER" in r for r in reasons) and any("undecodable" in r for r in reasons)
    state = json.loads(ok("state", "token/b/USD/client-1", "--home", str(home)))
    assert state["value"] == 1_000_000_00 + 6


def test_concurrent_tx_for_one_sender_do_not_collide(home):
    h = Home(home)
    with ThreadPoolExecutor(6) as pool:
        queued = list(
            pool.map(
                lambda i: queue_transaction(h, "token", "transfer", "client-0", transfer_args(i)),
                range(1, 19),
            )
        )
    assert sorted(q.nonce for q in queued) == list(range(18))
    ok("node", "--home", str(home), "--until-empty")
    for q in queued:
        out = ok("receipt", q.hash.hex(), "--home", str(home))
        assert "committed in block" in out and ": ok" in out


def test_one_node_per_home(home):
    h = Home(home)
    with NodeLock(h):
        assert running_node(h) == os.getpid()
        with pytest.raises(NodeRunning, match=f"PID {os.getpid()}"):
            NodeLock(h).acquire()
        result = runner.invoke(app, ["node", "--home", str(home), "--blocks", "1"])
        assert result.exit_code == 1
        assert "already running" in result.output and str(os.getpid()) in result.output
    assert running_node(h) is None


def test_tx_waits_for_the_receipt_while_a_node_runs(home):
    env = dict(os.environ)
    node = subprocess.Popen(
        [sys.executable, "-m", "glassledger", "node", "--home", str(home), "--seconds", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        h = Home(home)
        deadline = time.monotonic() + 30
        while running_node(h) is None:
            assert node.poll() is None and time.monotonic() < deadline, node.stderr.read()
            time.sleep(0.05)
        out = ok(
            "tx",
            "token",
            "transfer",
            "--sender",
            "client-0",
            "--home",
            str(home),
            "--args",
            transfer_args(5),
        )
        assert "committed in block" in out and ": ok" in out
        bad = runner.invoke(
            app,
            [
                "tx",
                "token",
                "transfer",
                "--sender",
                "client-0",
                "--home",
                str(home),
                "--args",
                transfer_args(10**15),
            ],
        )
        assert bad.exit_code == 1
        assert "rejected in block" in bad.output and "contract_error" in bad.output
        queued = ok(
            "tx",
            "token",
            "transfer",
            "--sender",
            "client-0",
            "--home",
            str(home),
            "--args",
            transfer_args(1),
            "--no-wait",
        )
        assert "queued" in queued and "block" not in queued
    finally:
        node.terminate()
        node.wait(30)
    assert node.returncode == 0


def test_the_node_ingress_queue_runs_its_statements_in_order_off_the_event_loop(tmp_path):
    """Issue 10: the durable queue of a networked node writes on its own thread; an awaited
    add is durable, a removal is not waited for but runs before anything submitted later."""
    import asyncio

    from glassledger.node.ingress import IngressQueue

    path = tmp_path / "ingress.sqlite"
    queue = IngressQueue(path)
    a, b, c = (bytes([i]) * 32 for i in (1, 2, 3))

    async def accept_and_finalize() -> None:
        await queue.add_async([(a, b"tx-a"), (b, b"tx-b")])
        queue.remove([a])  # finalized: not awaited
        await queue.add_async([(c, b"tx-c")])

    asyncio.run(accept_and_finalize())
    assert queue.all() == [(b, b"tx-b"), (c, b"tx-c")] and len(queue) == 2
    queue.remove([b])
    queue.close()  # waits for the removal
    reopened = IngressQueue(path)
    try:
        assert reopened.all() == [(c, b"tx-c")]
    finally:
        reopened.close()
