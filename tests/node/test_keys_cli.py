"""Issue 9 section 6: a participant registered after genesis and then elected seals blocks.

It used to miss every round and be evicted: the node ran engines only for the participants
listed in ``genesis.toml``. ``glassledger keys add`` imports its key into the home, and the
node runs an engine for every elected authority whose key it holds.
"""

from __future__ import annotations

import json
import re
import tomllib

import tomli_w
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.tx import Transaction
from glassledger.node.home import Home
from glassledger.node.inbox import Inbox

runner = CliRunner()


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def queue(home: Home, calls: list[tuple[str, str, str, dict]]) -> None:
    """Sign ``(sender, contract, method, args)`` calls with consecutive nonces and push them
    into the home's inbox."""
    chain = home.open_chain()
    nonces: dict[str, int] = {}
    inbox = Inbox(home.inbox)
    for who, contract, method, args in calls:
        keys = home.load_keys(who)
        nonce = nonces.get(who, last_nonce(chain.state, keys.public) + 1)
        nonces[who] = nonce + 1
        tx = Transaction(chain.chain_id, keys.public, nonce, contract, method, args)
        inbox.push(tx.sign(keys).encode())
    inbox.close()
    chain.store.close()


def test_a_participant_registered_after_genesis_and_elected_seals_with_its_imported_key(
    tmp_path,
):
    path = tmp_path / "net"
    invoke("init", "--home", str(path))
    genesis = tomllib.loads((path / "genesis.toml").read_text())
    genesis["params"].update(
        election_period=100_000, election_window=3, reveal_timeout=2, block_interval_ms=1
    )
    (path / "genesis.toml").write_text(tomli_w.dumps(genesis))
    (path / "chain.sqlite").unlink()
    home = Home(path)

    out = invoke("keys", "new", "dealer-9", "--out", str(tmp_path / "dealer-9.json"))
    public = bytes.fromhex(json.loads((tmp_path / "dealer-9.json").read_text())["public"])
    assert public.hex()[:16] in re.sub(r"\s", "", out)
    assert "not registered" in invoke(
        "keys", "add", "dealer-9", "--from", str(tmp_path / "dealer-9.json"), "--home", str(path)
    )
    assert "exists" in invoke(
        "keys",
        "add",
        "dealer-9",
        "--from",
        str(tmp_path / "dealer-9.json"),
        "--home",
        str(path),
        code=1,
    )
    queue(
        home,
        [
            ("regulator", "identity", "register",
             {"participant": "dealer-9", "roles": ["dealer"], "keys": [public]}),
            ("regulator", "governance", "set_score", {"participant": "dealer-9", "score": 990}),
            # dealer-0 is vetoed: the by-election's only candidate is dealer-9
            ("regulator", "governance", "veto", {"candidate": "dealer-0", "reason": "test"}),
        ],
    )  # fmt: skip
    invoke("node", "--home", str(path), "--blocks", "16")
    chain = home.open_chain()
    members = [m for m in json.loads(invoke("state", "governance/authorities", "--home", str(path)))
               ["value"]["current"]]  # fmt: skip
    assert "dealer-9" in [m["id"] for m in members]
    history = json.loads(invoke("state", "governance/history", "--home", str(path)))["value"]
    effective = history[-1][0]
    assert effective < chain.height
    sealed = [
        public in {s.signer for s in chain.store.get_certificate(h).seals}
        for h in range(effective, chain.height + 1)
    ]
    assert any(sealed), sealed  # the imported key seals
    listing = invoke("keys", "list", "--home", str(path))
    assert re.search(r"dealer-9 .*│ dealer-9 ", listing), listing
    chain.store.close()
