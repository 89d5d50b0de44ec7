"""Issue 9, section 1: two quorum-sealed blocks at one height are evidence against every key
that sealed both; governance convicts them; verify and proof refuse a chain that conflicts
with a certified checkpoint."""

from __future__ import annotations

import json

import msgspec
import pytest
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.ledger import codec
from glassledger.ledger.codec import to_jsonable
from glassledger.ledger.consensus.forks import (
    Checkpoint,
    checkpoint_from_json,
    conflict,
    double_signers,
)
from glassledger.ledger.verify import ForkDetected, check_checkpoints
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis


def forked_pair():
    """Two chains from one genesis whose block 1 differs, each sealed by the same keys."""
    a = ClockedChain.start(devnet_genesis(), draw_seed=None)
    b = ClockedChain.start(devnet_genesis(), draw_seed=None)
    a.commit([a.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=5)])
    b.commit([b.tx("client-0", "token", "transfer", symbol="USD", to="client-2", amount=7)])
    return a, b


def checkpoint(chain: ClockedChain, height: int) -> Checkpoint:
    return Checkpoint(chain.store.get_block(height).header, chain.store.get_certificate(height))


def test_two_certified_blocks_at_one_height_name_their_double_signers():
    a, b = forked_pair()
    authorities = a.chain.authorities(1)
    evidence = conflict(checkpoint(a, 1), authorities, checkpoint(b, 1), authorities)
    signers, problem = double_signers(evidence)
    assert problem is None
    assert len(signers) >= 2 and set(signers) <= set(authorities)
    same = conflict(checkpoint(a, 1), authorities, checkpoint(a, 1), authorities)
    assert double_signers(same) == ([], "the two headers are the same block")


def test_governance_convicts_every_key_that_sealed_both():
    a, b = forked_pair()
    authorities = a.chain.authorities(1)
    evidence = conflict(checkpoint(a, 1), authorities, checkpoint(b, 1), authorities)
    signers, _ = double_signers(evidence)
    receipt = a.ok(
        "client-3", "governance", "report_conflicting_certificates", evidence=codec.encode(evidence)
    )
    convicted = {e.data["authority"] for e in receipt.events if e.name == "double_sign"}
    ids = {key: pid for pid, key in zip(a.authority_ids(1), authorities, strict=True)}
    assert convicted == {ids[k] for k in signers}
    for participant in convicted:
        assert a.get("governance", f"excluded/{participant}")["reason"] == "equivocation"
    again = a.call(
        "client-3", "governance", "report_conflicting_certificates", evidence=codec.encode(evidence)
    )
    assert not again.ok and "no authority left to convict" in again.message


def test_forged_evidence_is_refused():
    a, b = forked_pair()
    authorities = a.chain.authorities(1)
    forged = checkpoint(b, 1)
    forged = Checkpoint(
        forged.header, forged.certificate.__class__(0, forged.certificate.seals[:1])
    )
    evidence = conflict(checkpoint(a, 1), authorities, forged, authorities)
    receipt = a.call(
        "client-3", "governance", "report_conflicting_certificates", evidence=codec.encode(evidence)
    )
    assert not receipt.ok and "a certificate does not hold" in receipt.message


def test_a_chain_conflicting_with_a_checkpoint_is_refused():
    a, b = forked_pair()
    assert check_checkpoints(a.store, [checkpoint(a, 1)]) == []
    with pytest.raises(ForkDetected, match=r"block 1: .*evidence of double-signing") as caught:
        check_checkpoints(a.store, [checkpoint(b, 1)])
    assert caught.value.evidence is not None and len(caught.value.signers) >= 2
    ahead = msgspec.structs.replace(checkpoint(b, 1).header, height=9)
    notes = check_checkpoints(a.store, [Checkpoint(ahead, checkpoint(b, 1).certificate)])
    assert "beyond the head" in notes[0]


def test_verify_and_proof_take_checkpoints_on_the_command_line(tmp_path):
    runner = CliRunner()
    home = str(tmp_path / "H")
    assert runner.invoke(app, ["init", "--home", home]).exit_code == 0
    args = json.dumps({"symbol": "USD", "to": "client-1", "amount": 1})
    runner.invoke(
        app, ["tx", "token", "transfer", "--home", home, "--sender", "client-0", "--args", args]
    )
    assert runner.invoke(app, ["node", "--home", home, "--until-empty"]).exit_code == 0
    mine = tmp_path / "mine.json"
    mine.write_text(runner.invoke(app, ["block", "1", "--home", home]).output)
    assert checkpoint_from_json(json.loads(mine.read_text())).header.height == 1
    ok = runner.invoke(app, ["verify", "--home", home, "--checkpoint", str(mine)])
    assert ok.exit_code == 0, ok.output
    # a foreign block 1 sealed by other keys: its certificate does not hold here
    _, b = forked_pair()
    other = tmp_path / "other.json"
    block = b.store.get_block(1)
    other.write_text(
        json.dumps(
            {
                "header": to_jsonable(block.header),
                "certificate": to_jsonable(b.store.get_certificate(1)),
            }
        )
    )
    for command in (["verify"], ["proof", "token/b/USD/client-1"]):
        result = runner.invoke(app, [*command, "--home", home, "--checkpoint", str(other)])
        assert result.exit_code == 1
        assert "block 1" in result.output and "Traceback" not in result.output


def test_a_bookkeeper_whose_source_forks_holds_the_evidence(tmp_path):
    from glassledger.node.bookkeeper import Bookkeeper

    a, b = forked_pair()
    keeper = Bookkeeper.start(a.store, tmp_path / "books.sqlite")
    keeper.sync()
    assert keeper.chain.height == 1
    b.advance()
    keeper.source = b.store  # the source was restored and sealed another block 1
    with pytest.raises(ForkDetected, match="evidence of double-signing") as caught:
        keeper.sync()
    signers, problem = double_signers(caught.value.evidence)
    assert problem is None and signers == caught.value.signers
    keeper.close()


def test_an_authority_that_syncs_a_conflicting_block_holds_the_evidence():
    from glassledger.ledger.consensus.messages import SyncResponse
    from glassledger.ledger.consensus.qbft import QbftEngine
    from glassledger.ledger.consensus.transport import InProcessTransport
    from glassledger.ledger.consensus.wire import encode_packet
    from glassledger.ledger.crypto import KeyPair

    a, b = forked_pair()
    found = []
    engine = QbftEngine(
        KeyPair.from_name("dealer-0"),
        a.chain,
        InProcessTransport(),
        lambda: a.time_ms,
        lambda n: ([], None),
        on_evidence=found.append,
    )
    engine.start()
    response = SyncResponse((b.store.get_block(1),), (b.store.get_certificate(1),))
    engine.on_message(b"peer", encode_packet(response))
    assert len(found) == 1 and double_signers(found[0])[1] is None
