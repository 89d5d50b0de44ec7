"""Issue 9, section 1: a store restored from an older backup must not let the home's
authority keys seal a second, different block at a height they already finalized."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.errors import GlassledgerError

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def transfer(home: str, to: str, amount: int) -> None:
    args = json.dumps({"symbol": "USD", "to": to, "amount": amount})
    ok("tx", "token", "transfer", "--home", home, "--sender", "client-0", "--args", args)


def header_hash(home: str, height: int) -> str | None:
    result = run("block", str(height), "--home", home)
    if result.exit_code != 0:
        return None
    return json.loads(result.output)["hash"]


def test_restored_store_cannot_seal_a_second_block_at_a_finalized_height(tmp_path):
    home = str(tmp_path / "H")
    backup = tmp_path / "B"
    backup.mkdir()
    ok("init", "--home", home)
    transfer(home, "client-1", 100)
    ok("node", "--home", home, "--until-empty")
    for f in (tmp_path / "H").glob("chain.sqlite*"):
        shutil.copy2(f, backup / f.name)
    transfer(home, "client-1", 500_000)
    ok("node", "--home", home, "--until-empty")
    first = {h: header_hash(home, h) for h in range(1, 6)}
    assert first[2] is not None
    for f in (tmp_path / "H").glob("chain.sqlite*"):
        f.unlink()
    for f in backup.glob("chain.sqlite*"):
        shutil.copy2(f, tmp_path / "H" / f.name)
    transfer(home, "client-2", 700_000)
    result = run("node", "--home", home, "--until-empty", "--seconds", "20")
    # Either the node refuses (its keys signed beyond the restored head) and says why, or it
    # finishes the block its keys had sealed: never a different block at a finalized height.
    if result.exit_code != 0:
        out = " ".join(result.output.split())
        assert "refuse to sign" in out and "restored" in out
    for height, original in first.items():
        now = header_hash(home, height)
        assert now is None or original is None or now == original, f"second block {height}"


def test_store_far_behind_the_sign_marks_refuses_and_says_why(tmp_path):
    home = str(tmp_path / "H")
    ok("init", "--home", home)
    backup = {f.name: f.read_bytes() for f in (tmp_path / "H").glob("chain.sqlite*")}
    for amount in (1, 2, 3):
        transfer(home, "client-1", amount)
        ok("node", "--home", home, "--until-empty")
    before = {h: header_hash(home, h) for h in range(1, 4)}
    peer = tmp_path / "peer"  # another node's copy of the chain, before the restore
    peer.mkdir()
    for f in (tmp_path / "H").glob("chain.sqlite*"):
        shutil.copy2(f, peer / f.name)
    for f in (tmp_path / "H").glob("chain.sqlite*"):
        f.unlink()
    for name, data in backup.items():
        (tmp_path / "H" / name).write_bytes(data)
    args = json.dumps({"symbol": "USD", "to": "client-2", "amount": 7})
    queued = ok("tx", "token", "transfer", "--home", home, "--sender", "client-0", "--args", args)
    stale_hash = queued.split()[1]
    result = run("node", "--home", home, "--until-empty", "--seconds", "10")
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "dealer-0" in out and "refuse to sign" in out and "caught up to height" in out
    assert "Traceback" not in out
    assert header_hash(home, 1) is None  # nothing sealed at heights the keys signed before
    assert all(before.values())
    # the operator's next step: catch up from a peer's copy, then the node runs again
    assert "caught up" in ok("catch-up", str(peer / "chain.sqlite"), "--home", home)
    ok("node", "--home", home, "--until-empty", "--seconds", "20")
    assert {h: header_hash(home, h) for h in range(1, 4)} == before
    # the transfer signed against the restored store reused nonce 0: it ends in a receipt
    stale = run("receipt", stale_hash, "--home", home)
    assert "bad_nonce" in stale.output
    transfer(home, "client-2", 8)
    ok("node", "--home", home, "--until-empty", "--seconds", "20")
    state = json.loads(ok("state", "token/b/USD/client-2", "--home", home))
    assert state["value"] == 1_000_000_00 + 8


def test_a_lost_wal_after_sigkill_does_not_reseal_lost_heights(tmp_path):
    """The issue's second case: a node killed with recent blocks only in chain.sqlite-wal,
    which is then lost; the restarted node must not seal new blocks at those heights."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from glassledger.ledger.sqlite_store import SQLiteStore

    home = tmp_path / "H"
    ok("init", "--home", str(home))
    node = subprocess.Popen(
        [sys.executable, "-m", "glassledger.node.runner", "--home", str(home), "--seconds", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        height = 0
        while height < 4:
            assert time.monotonic() < deadline and node.poll() is None
            time.sleep(0.2)
            try:
                with SQLiteStore.open(home / "chain.sqlite", readonly=True) as store:
                    height = store.head_height()
            except GlassledgerError:
                pass
    finally:
        os.killpg(node.pid, signal.SIGKILL)
        node.wait()
    sealed = {h: None for h in range(1, height + 1)}
    with SQLiteStore.open(home / "chain.sqlite", readonly=True) as store:
        for h in sealed:
            sealed[h] = store.get_header(h).hash.hex()
    (home / "chain.sqlite-wal").unlink()
    (home / "chain.sqlite-shm").unlink(missing_ok=True)
    result = run("node", "--home", str(home), "--blocks", "2", "--seconds", "15")
    out = " ".join(result.output.split())
    assert result.exit_code == 1 and "refuse to sign" in out, out
    for h, original in sealed.items():
        now = header_hash(str(home), h)
        assert now is None or now == original
