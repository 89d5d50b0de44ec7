"""End to end through the command line: init, tx, node, chain, block, state, proof, verify."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from glassledger.cli import app

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def transfer(home: str, to: str, amount: int, sender: str = "client-0") -> None:
    """Queue a USD transfer through `glassledger tx`."""
    args = json.dumps({"symbol": "USD", "to": to, "amount": amount})
    invoke("tx", "token", "transfer", "--sender", sender, "--home", home, "--args", args)


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "net"
    out = invoke("init", "--home", str(path))
    assert "4 authorities" in out
    return path


def test_transfer_through_the_cli(home):
    h = str(home)
    transfer(h, "client-1", 2500)
    transfer(h, "client-2", 100)
    out = invoke("node", "--home", h, "--until-empty")
    assert "2 transactions" in out
    state = json.loads(invoke("state", "token/b/USD/client-1", "--home", h))
    assert state["value"] == 1_000_000_00 + 2500
    chain = invoke("chain", "--home", h)
    assert "dealer-0" in chain
    height = int(next(line.split()[-2] for line in chain.splitlines() if "height" in line))
    assert height >= 1
    proof = json.loads(invoke("proof", "token/b/USD/client-1", "--home", h))
    assert proof["verified"] is True
    assert proof["value"] == state["value"]  # decoded through the codec, as `state` does
    record = json.loads(invoke("proof", "identity/p/client-1", "--home", h))
    assert record["value"]["id"] == "client-1" and record["value"]["roles"] == ["client"]
    assert "verified" in invoke("verify", "--home", h)
    receipts = [
        r
        for b in range(1, height + 1)
        for r in json.loads(invoke("block", str(b), "--home", h))["receipts"]
    ]
    assert len(receipts) == 2 and all(r["ok"] for r in receipts)


def test_state_at_an_old_height(home):
    h = str(home)
    transfer(h, "client-1", 1)
    invoke("node", "--home", h, "--until-empty")
    old = json.loads(invoke("state", "token/b/USD/client-1", "--home", h, "--height", "0"))
    assert old["value"] == 1_000_000_00


def test_bad_arguments_are_reported(home):
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
            '{"amount": 1.5}',
        ],
    )
    assert result.exit_code != 0 and "floats" in result.output
    result = runner.invoke(
        app, ["tx", "token", "transfer", "--sender", "nobody", "--home", str(home), "--args", "{}"]
    )
    assert result.exit_code == 1 and "no key file" in result.output


def test_commands_on_a_missing_home_fail_cleanly(tmp_path):
    result = runner.invoke(app, ["chain", "--home", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "glassledger init" in result.output


def test_export_and_follow_check_every_block(home, tmp_path):
    h = str(home)
    transfer(h, "client-1", 7)
    invoke("node", "--home", h, "--until-empty")
    copy = tmp_path / "copy.sqlite"
    assert "every signature and root checked" in invoke("export", str(copy), "--home", h)
    result = runner.invoke(app, ["export", str(copy), "--home", h])
    assert result.exit_code == 1 and "exists" in result.output
    transfer(h, "client-1", 8)
    invoke("node", "--home", h, "--until-empty")
    out = invoke("follow", str(copy), "--home", h)
    from glassledger.ledger.sqlite_store import SQLiteStore

    follower, source = SQLiteStore.open(copy), SQLiteStore.open(home / "chain.sqlite")
    assert follower.head_height() == source.head_height()
    assert (
        follower.get_block(source.head_height()).hash == source.get_block(source.head_height()).hash
    )
    assert "blocks" in out


def test_node_runs_the_regulator_election_duties(tmp_path):
    """With the regulator's key in the home, `glassledger node` commits and reveals the
    periodic election's seed itself, so do the authorities, and the draw completes."""
    import tomllib

    import tomli_w

    from glassledger.node.genesis import load_genesis
    from glassledger.node.home import Home

    home = tmp_path / "net"
    invoke("init", "--home", str(home))
    genesis = tomllib.loads((home / "genesis.toml").read_text())
    genesis["params"].update(
        election_period=12, election_window=4, reveal_timeout=6, block_interval_ms=1
    )
    (home / "genesis.toml").write_text(tomli_w.dumps(genesis))
    (home / "chain.sqlite").unlink()
    load_genesis(home / "genesis.toml")
    invoke("node", "--home", str(home), "--blocks", "16")
    store = Home(home).open_chain().store
    names = [e.event.name for e in store.events(contract="governance")]
    assert "seed_committed" in names and "seed_revealed" in names
    assert (home / "draw-seeds" / "regulator.json").exists()
    # the sitting authorities, whose keys the home holds, commit and reveal too
    events = [e.event for e in store.events(contract="governance")]
    committers = {e.data["committer"] for e in events if e.name == "seed_committed"}
    assert committers == {"regulator", "dealer-0", "dealer-1", "dealer-2", "dealer-3"}
    completed = next(e for e in events if e.name == "draw_completed")
    assert completed.data["revealed"] == [
        "regulator",
        "dealer-0",
        "dealer-1",
        "dealer-2",
        "dealer-3",
    ]
