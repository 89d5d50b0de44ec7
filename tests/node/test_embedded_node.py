"""The embedded network: pipelined verification, bad signatures dropped, new authorities."""

from __future__ import annotations

import pytest

from glassledger.contracts.registry import standard_registry
from glassledger.errors import ConfigError, DecodeError
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import BatchVerifier, KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.tx import SignedTransaction
from glassledger.node.devnet import Signer, devnet_genesis
from glassledger.node.embedded import EmbeddedNetwork, wall_clock_ms
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis


def _network(verifier=None, keys=4):
    genesis = devnet_genesis(params={"block_interval_ms": 1})
    genesis.time_ms = wall_clock_ms() - 1000
    registry = standard_registry()
    block0, state = build_genesis(genesis, registry)
    store = MemoryStore()
    store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
    chain = Chain(registry, store, state)
    pool = [KeyPair.from_name(f"dealer-{i}") for i in range(keys)]
    return EmbeddedNetwork(chain, pool, verifier=verifier), Signer(genesis.chain_id)


def test_transfers_are_finalized_with_verified_signatures():
    with BatchVerifier(workers=2, min_parallel=1) as verifier:
        net, signer = _network(verifier)
        txs = [
            signer.tx(
                f"client-{i % 4}",
                "token",
                "transfer",
                symbol="USD",
                to=f"client-{(i + 1) % 4}",
                amount=1,
            )
            for i in range(2500)
        ]
        forged = SignedTransaction(txs[5].tx, bytes(64))
        outcomes = net.submit_many([*txs[:5], forged, *txs[6:]])
        assert all(isinstance(o, bytes) for o in outcomes)
        net.drain()
    assert sum(c.tx_count for c in net.commits) == 2499
    assert [d.reason for d in net.mempool.dropped] == ["bad_signature"]
    # client-1 lost the 5th transfer (forged), so its later transfers still succeed:
    assert sum(c.ok_count for c in net.commits) == 2499


def test_malformed_bytes_are_refused_at_admission():
    net, _ = _network()
    (outcome,) = net.submit_many([b"\x93\x01\x02"])
    assert isinstance(outcome, DecodeError)


def test_too_few_authority_keys_is_a_config_error():
    net, _ = _network(keys=2)
    with pytest.raises(ConfigError, match="needs a quorum of 3"):
        net.start()


def test_blocks_carry_quorum_certificates_with_all_seals():
    net, signer = _network()
    net.submit(signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=1))
    net.drain()
    cert = net.chain.store.get_certificate(net.chain.height)
    assert len(cert.seals) >= 3
    assert net.chain.state.get(b"token/b/USD/client-1") is not None


def test_equivocation_evidence_is_reported_and_the_authority_excluded():
    from glassledger.ledger.codec import decode
    from glassledger.ledger.consensus.messages import (
        EquivocationEvidence,
        SignedVote,
        Vote,
        VoteKind,
    )

    net, _ = _network()
    net.run_blocks(1)
    cheat = KeyPair.from_name("dealer-3")
    votes = [
        SignedVote.make(cheat, Vote(VoteKind.PREPARE, net.chain.chain_id, 1, 0, bytes([b]) * 32))
        for b in (1, 2)
    ]
    net.evidence.append(EquivocationEvidence(*votes))
    net.run_until(lambda: net.chain.state.get(b"governance/excluded/dealer-3") is not None)
    record = decode(net.chain.state.get(b"governance/excluded/dealer-3"), dict)
    assert record["reason"] == "equivocation"
    assert net.evidence == []
