"""``glassledger network init|up|status|down`` and ``glassledger tx --node`` on loopback."""

from __future__ import annotations

import json
import time
import tomllib

import pytest
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.node.network import load_network, status
from support.network import free_base_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
runner = CliRunner()


def test_network_init_up_status_tx_down(tmp_path):
    folder = tmp_path / "net"
    base = free_base_port(5)
    result = runner.invoke(
        app,
        [
            "network",
            "init",
            "--dir",
            str(folder),
            "--authorities",
            "4",
            "--bookkeepers",
            "1",
            "--base-port",
            str(base),
        ],
    )
    assert result.exit_code == 0, result.output
    nodes = load_network(folder)
    assert [n.role for n in nodes] == ["authority"] * 4 + ["bookkeeper"]
    config = tomllib.loads(nodes[0].config.read_text())
    assert config["listen"] == f"127.0.0.1:{base}" and len(config["peers"]) == 4
    assert (folder / "keys" / "dealer-0.json").exists()
    result = runner.invoke(app, ["network", "up", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    try:
        deadline = time.monotonic() + 40
        rows = []
        while time.monotonic() < deadline:
            rows = status(folder)
            if all(st is not None and st.height >= 2 and len(st.peers) == 4 for _, st in rows):
                break
            time.sleep(0.3)
        assert all(st is not None and st.height >= 2 for _, st in rows)
        leaders = {st.leader for _, st in rows}
        assert leaders <= {f"dealer-{i}" for i in range(4)}
        result = runner.invoke(app, ["network", "status", "--dir", str(folder)])
        assert result.exit_code == 0 and "dealer-3" in result.output
        args = json.dumps({"symbol": "USD", "to": "client-1", "amount": 7})
        result = runner.invoke(
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
                str(folder),
                "--node",
                nodes[4].listen,
            ],
        )
        assert result.exit_code == 0, result.output
        assert result.output.startswith("ok ")
        result = runner.invoke(
            app,
            [
                "tx",
                "token",
                "transfer",
                "--sender",
                "client-0",
                "--args",
                json.dumps({"symbol": "USD", "to": "client-1", "amount": 10**15}),
                "--home",
                str(folder),
                "--node",
                nodes[1].listen,
            ],
        )
        assert result.exit_code == 1 and "rejected" in result.output
    finally:
        result = runner.invoke(app, ["network", "down", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert all(st is None for _, st in status(folder))
    for node in nodes:
        last = node.config.parent.joinpath("node.log").read_text().splitlines()[-1]
        assert json.loads(last)["event"] == "stopped"


def test_node_config_errors_are_one_line(tmp_path):
    result = runner.invoke(app, ["node", "--config", str(tmp_path / "missing.toml")])
    assert result.exit_code == 1
    assert "missing.toml does not exist" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    bad = tmp_path / "node.toml"
    bad.write_text('name = "x"\nkey = "k.json"\ngenesis = "g.toml"\nlisten = "nowhere"\n')
    result = runner.invoke(app, ["node", "--config", str(bad)])
    assert result.exit_code == 1 and "is not host:port" in result.output
