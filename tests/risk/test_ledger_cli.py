"""`glassledger risk exposures` and `risk monitor` on a node home."""

from __future__ import annotations

from typer.testing import CliRunner

from glassledger.cli import app

runner = CliRunner()


def test_exposures_and_monitor_on_a_fresh_chain(tmp_path):
    home = str(tmp_path / "net")
    assert runner.invoke(app, ["init", "--home", home]).exit_code == 0
    out = runner.invoke(
        app, ["risk", "exposures", "--home", home, "--out", str(tmp_path / "x.csv")]
    )
    assert out.exit_code == 0, out.output
    assert "exposures at height 0" in out.output and (tmp_path / "x.csv").exists()
    out = runner.invoke(app, ["risk", "monitor", "--home", home, "--threshold", "2"])
    assert out.exit_code == 0, out.output
    assert "no institution above the threshold 2" in out.output


def test_unknown_height_is_a_clean_error(tmp_path):
    home = str(tmp_path / "net")
    runner.invoke(app, ["init", "--home", home])
    out = runner.invoke(app, ["risk", "exposures", "--home", home, "--height", "9"])
    assert out.exit_code == 1 and "error" in out.output


def test_sealed_warnings_are_read_by_their_recipient_and_found_nowhere_else(tmp_path):
    """Issue 9 section 5 through a node home: the regulator's node publishes the sealed
    warnings; `risk monitor --read --as` opens one's own; nothing else in the home, the
    blocks, the state or an export shows the plaintext."""
    import re

    from glassledger.ledger.execution import last_nonce
    from glassledger.ledger.tx import Transaction
    from glassledger.node.home import Home
    from glassledger.node.inbox import Inbox
    from glassledger.risk.contagion.ledger_feed import sealed_warning_args
    from support.leak import assert_nowhere, find

    path = tmp_path / "net"
    assert runner.invoke(app, ["init", "--home", str(path)]).exit_code == 0
    home = Home(path)

    def send(method: str, args: dict) -> None:
        chain = home.open_chain()
        keys = home.load_keys("regulator")
        nonce = last_nonce(chain.state, keys.public) + 1
        chain.store.close()
        inbox = Inbox(home.inbox)
        tx = Transaction(chain.chain_id, keys.public, nonce, "monitor", method, args)
        inbox.push(tx.sign(keys).encode())
        inbox.close()
        out = runner.invoke(app, ["node", "--home", str(path), "--until-empty"])
        assert out.exit_code == 0, out.output

    for who in ("dealer-0", "dealer-1", "client-0"):
        send("set_capital", {"institution": who, "amount": 100_000_00, "currency": "USD"})
    reason = "cascade round 1: dealer-0's default costs 135000.00 > capital 100000.00"
    warnings = [{"institution": "dealer-1", "round": 1, "dr_bps": 73_125, "reason": reason}]
    chain = home.open_chain()
    args = sealed_warning_args(warnings, chain.height, chain.state.data)
    chain.store.close()
    send("warn", args)

    out = runner.invoke(app, ["risk", "monitor", "--home", str(path), "--read", "--as", "dealer-1"])
    assert out.exit_code == 0, out.output
    flat = re.sub(r"[\s│┃]+", " ", out.output)
    assert "dealer-1 yes 1 73125" in flat and "135000.00" in flat
    other = runner.invoke(
        app, ["risk", "monitor", "--home", str(path), "--read", "--as", "client-0"]
    )
    assert "client-0 no" in re.sub(r"[\s│┃]+", " ", other.output)
    assert "135000.00" not in other.output
    assert_nowhere(path, reason, "135000.00 > capital", workdir=tmp_path)
    assert find(path, "Dealer 1", workdir=tmp_path)  # positive control: public data is found
