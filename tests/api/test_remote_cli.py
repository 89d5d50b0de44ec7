"""The CLI against a remote API: ``tx --node http://...`` submits a transaction signed with the
sender's key file through the HTTP API; ``query`` reads any view as a participant."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import uvicorn
from typer.testing import CliRunner

from api.conftest import make_app
from glassledger.cli import app
from glassledger.ledger.crypto import KeyPair, save_key
from support.desk import DeskChain


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def remote(tmp_path):
    desk = DeskChain.create()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(make_app(desk), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    home = tmp_path / "home"
    (home / "keys").mkdir(parents=True)
    for who in ("client-0", "client-1"):
        save_key(home / "keys" / f"{who}.json", KeyPair.from_name(who), who)
    yield desk, f"http://127.0.0.1:{port}", home
    server.should_exit = True
    thread.join(timeout=10)


def test_tx_and_query_through_a_remote_api(remote):
    desk, url, home = remote
    runner = CliRunner()
    before = desk.balance("client-1")
    args = json.dumps({"symbol": "USD", "to": "client-1", "amount": 1234})
    done = runner.invoke(
        app,
        [
            "tx",
            "token",
            "transfer",
            "--sender",
            "client-0",
            "--args",
            args,
            "--home",
            str(home),
            "--node",
            url,
        ],
    )
    assert done.exit_code == 0, done.output
    assert "ok" in done.output and desk.balance("client-1") == before + 1234
    refused = runner.invoke(
        app,
        [
            "tx",
            "token",
            "transfer",
            "--sender",
            "client-0",
            "--args",
            json.dumps({"symbol": "USD", "to": "nobody", "amount": 1}),
            "--home",
            str(home),
            "--node",
            url,
        ],
    )
    assert refused.exit_code == 1 and "rejected" in refused.output
    shown = runner.invoke(
        app,
        [
            "query",
            "/v1/participants/client-1/balances",
            "--node",
            url,
            "--as",
            "client-1",
            "--home",
            str(home),
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["free"]["USD"] == before + 1234
    other = runner.invoke(
        app,
        [
            "query",
            "/v1/participants/client-0/balances",
            "--node",
            url,
            "--as",
            "client-1",
            "--home",
            str(home),
        ],
    )
    assert other.exit_code == 1 and "not_owner" in other.output


@pytest.mark.parametrize("url", ["not-a-url", "http://127.0.0.1:1"])
def test_a_bad_or_unreachable_api_is_one_clear_line(tmp_path, url):
    home = tmp_path / "home"
    (home / "keys").mkdir(parents=True)
    save_key(home / "keys" / "client-0.json", KeyPair.from_name("client-0"), "client-0")
    runner = CliRunner()
    for command in (
        ["query", "/v1/status", "--node", url, "--as", "client-0", "--home", str(home)],
        ["tx", "token", "transfer", "--sender", "client-0", "--home", str(home), "--node", url],
    ):
        done = runner.invoke(app, command)
        assert done.exit_code == 1, done.output
        assert "error:" in done.output and "bug" not in done.output
