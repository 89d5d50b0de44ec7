"""The embedded network: four QBFT engines sharing one Chain over the in-process transport."""

from __future__ import annotations

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.chain import Chain
from glassledger.ledger.consensus.qbft import QbftEngine
from glassledger.ledger.consensus.transport import InProcessTransport
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.devnet import GENESIS_TIME_MS, Signer, devnet_genesis
from glassledger.ledger.genesis import GENESIS_CERTIFICATE, build_genesis
from glassledger.ledger.mempool import Mempool
from glassledger.ledger.store import MemoryStore


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
    from glassledger.ledger.codec import decode

    raw = chain.state.get(f"token/b/USD/{holder}".encode())
    return 0 if raw is None else decode(raw, int)


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
    # every block carries a quorum certificate that the store keeps
    for height in range(1, 7):
        assert len(chain.store.get_certificate(height).seals) >= 3
    assert all(e.rejected_count == 0 for e in engines)
    assert len(mempool) == 0
