"""The embedded network: four QBFT engines sharing one Chain over the in-process transport."""

from __future__ import annotations

from glassledger.contracts.registry import standard_registry
from glassledger.ledger import codec
from glassledger.ledger.chain import Chain
from glassledger.ledger.consensus.messages import ConsensusMessage, SignedVote, Vote, VoteKind
from glassledger.ledger.consensus.qbft import QbftEngine
from glassledger.ledger.consensus.transport import InProcessTransport
from glassledger.ledger.consensus.wire import encode_packet
from glassledger.ledger.crypto import KeyPair, sha256
from glassledger.ledger.store import MemoryStore
from glassledger.node.devnet import GENESIS_TIME_MS, Signer, devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis
from glassledger.node.mempool import Mempool


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def shared_network(authorities: int = 4):
    genesis = devnet_genesis(authorities=authorities)
    registry = standard_registry()
    block0, state = build_genesis(genesis, registry)
    store = MemoryStore()
    store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
    chain = Chain(registry, store, state)
    transport = InProcessTransport()
    clock = Clock(GENESIS_TIME_MS + 1_000)
    mempool = Mempool(genesis.chain_id)
    commits = []

    def on_commit(block, certificate):
        commits.append((block, certificate))
        mempool.committed(block.txs)

    engines = [
        QbftEngine(
            KeyPair.from_name(f"dealer-{i}"), chain, transport, clock, mempool.take, on_commit
        )
        for i in range(authorities)
    ]
    return chain, transport, clock, mempool, engines, commits, Signer(genesis.chain_id)


def balance(chain: Chain, holder: str) -> int:
    raw = chain.state.get(f"token/b/USD/{holder}".encode())
    return 0 if raw is None else codec.decode(raw, int)


def test_four_engines_share_one_chain_and_commit_transfers():
    chain, transport, clock, mempool, engines, commits, signer = shared_network()
    for engine in engines:
        engine.start()
    transport.deliver_all()  # the genesis is old: block 1 is proposed at once, empty
    assert chain.height == 1
    for _ in range(5):
        for _ in range(10):
            mempool.submit(
                signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=7)
            )
        clock.now += 250
        for engine in engines:
            engine.on_tick()
        transport.deliver_all()
    assert chain.height == 6
    assert [b.header.height for b, _ in commits] == [1, 2, 3, 4, 5, 6]  # each committed once
    assert [len(b.txs) for b, _ in commits] == [0, 10, 10, 10, 10, 10]
    assert balance(chain, "client-1") == 1_000_000_00 + 50 * 7
    assert {e.height for e in engines} == {7}
    # each block was decided by a quorum; the next block's last commit carries every seal,
    # late ones included, so no authority looks absent to governance's missed-round count
    for height in range(1, 7):
        assert len(chain.store.get_certificate(height).seals) >= 3
    for height in range(2, 7):
        last_commit = chain.store.get_block(height).last_commit
        assert len(last_commit.seals) == 4
    assert all(e.rejected_count == 0 for e in engines)
    assert len(mempool) == 0


def run_blocks(count, chain, transport, clock, engines):
    target = chain.height + count
    while chain.height < target:
        clock.now += 250
        for engine in engines:
            engine.on_tick()
        transport.deliver_all()


def test_equivocation_evidence_evicts_the_authority_and_engines_follow_the_new_set():
    chain, transport, clock, mempool, engines, _, signer = shared_network(authorities=5)
    for engine in engines:
        engine.start()
    transport.deliver_all()
    culprit = KeyPair.from_name("dealer-4")
    # dealer-4 signs two different PREPAREs for one height and round; engine 0 sees both
    for block_name in (b"block A", b"block B"):
        vote = Vote(VoteKind.PREPARE, chain.chain_id, engines[0].height, 0, sha256(block_name))
        message = ConsensusMessage(SignedVote.make(culprit, vote))
        engines[0].on_message(culprit.public, encode_packet(message))
    [evidence] = engines[0].evidence
    # any participant can submit it to the governance contract
    mempool.submit(
        signer.tx("client-0", "governance", "report_equivocation", evidence=codec.encode(evidence))
    )
    run_blocks(1, chain, transport, clock, engines)
    decided = chain.height
    receipts = chain.store.get_receipts(decided)
    assert [r.ok for r in receipts] == [True], receipts
    delay = chain.params["authority_change_delay"]
    assert culprit.public in chain.authorities(decided + delay - 1)  # the old set still signs
    assert culprit.public not in chain.authorities(decided + delay)
    assert len(chain.authorities(decided + delay)) == 4
    run_blocks(delay + 3, chain, transport, clock, engines)
    for height in range(decided + delay, chain.height + 1):
        signers = {seal.signer for seal in chain.store.get_certificate(height).seals}
        assert culprit.public not in signers and len(signers) >= 3  # quorum of the new 4
        assert chain.store.get_block(height).header.proposer != culprit.public
    # the evicted identity's engine still follows the chain, without voting
    assert engines[4].height == chain.height + 1
