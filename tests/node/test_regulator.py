"""The regulator's seed keeper driving a real election on the embedded QBFT network."""

from __future__ import annotations

import hashlib
import json

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.block import quorum
from glassledger.ledger.chain import Chain
from glassledger.ledger.codec import decode, encode
from glassledger.ledger.consensus.qbft import QbftEngine
from glassledger.ledger.consensus.transport import InProcessTransport
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.verify import verify_chain
from glassledger.node.devnet import GENESIS_TIME_MS, Signer, devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, ParticipantSpec, build_genesis
from glassledger.node.mempool import Mempool
from glassledger.node.regulator import DrawSeeds

CANDIDATES = [
    ParticipantSpec("ccp-a", ["ccp"], credit_score=900),
    ParticipantSpec("guarantor-b", ["guarantor"], credit_score=800),
    ParticipantSpec("dealer-x", ["dealer"], credit_score=650),
]
IDENTITIES = [f"dealer-{i}" for i in range(4)] + [c.id for c in CANDIDATES]


def fixed_bytes(n: int) -> bytes:
    return hashlib.sha256(b"test seed").digest()[:n]


def test_election_on_the_embedded_network_hands_the_chain_to_the_new_set():
    params = {"election_period": 30, "election_window": 6, "reveal_timeout": 10}
    genesis = devnet_genesis(clients=1, params=params, extra=CANDIDATES)
    registry = standard_registry()
    block0, state = build_genesis(genesis, registry)
    store = MemoryStore()
    store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
    chain = Chain(registry, store, state)
    transport = InProcessTransport()
    now = [GENESIS_TIME_MS + 1_000]
    mempool = Mempool(genesis.chain_id)
    engines = [  # every candidate runs an engine; only the current authorities vote
        QbftEngine(
            KeyPair.from_name(who),
            chain,
            transport,
            lambda: now[0],
            mempool.take,
            lambda block, _: mempool.committed(block.txs),
        )
        for who in IDENTITIES
    ]
    signer = Signer(genesis.chain_id)
    seeds = DrawSeeds(random_bytes=fixed_bytes)
    for engine in engines:
        engine.start()
    while chain.height < 45:
        for method, args in seeds.due(chain.state, chain.height + 1):
            mempool.submit(signer.tx("regulator", "governance", method, **args))
        now[0] += 250
        for engine in engines:
            engine.on_tick()
        transport.deliver_all()

    elected = [
        e.data["authorities"]
        for h in range(1, chain.height + 1)
        for r in store.get_receipts(h)
        for e in r.events
        if e.name == "elected"
    ]
    assert len(elected) == 1
    new_set = [KeyPair.from_name(who).public for who in elected[0]]
    assert chain.authorities() == new_set
    assert set(elected[0]) != {f"dealer-{i}" for i in range(4)}
    record = decode(chain.state.get(b"governance/authorities"), dict)
    effective = max(h for h, _ in decode(chain.state.get(b"governance/history"), list))
    assert record["pending"] is None and effective <= chain.height
    for height in range(effective, chain.height + 1):  # sealed by a quorum of the new set
        signers = {s.signer for s in store.get_certificate(height).seals}
        assert signers <= set(new_set) and len(signers) >= quorum(len(new_set))
    # a fresh replica replaying the chain reaches the same state, certificates included
    assert verify_chain(store, standard_registry()) == chain.height


def test_seeds_survive_a_restart_and_each_call_is_handed_out_once(tmp_path):
    params = {"election_period": 30, "election_window": 6, "reveal_timeout": 5}
    genesis = devnet_genesis(clients=1, params=params)
    registry = standard_registry()
    _, state = build_genesis(genesis, registry)
    path = tmp_path / "seeds.json"
    seeds = DrawSeeds(path)
    assert seeds.due(state, 1) == []  # no draw open
    draw = {
        "number": 3,
        "kind": "election",
        "state": "open",
        "close": 30,
        "deadline": 40,
        "committers": ["dealer-0", "dealer-1"],
        "regulator": "",
        "digests": {},
        "seeds": {},
    }
    state.apply({b"governance/draw": encode(draw)})
    [(method, args)] = seeds.due(state, 29)
    assert method == "commit_seed" and args["draw"] == 3
    assert seeds.due(state, 29) == []
    assert path.stat().st_mode & 0o777 == 0o600
    restarted = DrawSeeds(path)
    assert hashlib.sha256(restarted.seeds[3]).digest() == args["digest"]
    assert json.loads(path.read_text()).keys() == {"3"}
    committed = {**draw, "regulator": "regulator", "digests": {"regulator": args["digest"]}}
    state.apply({b"governance/draw": encode(committed)})
    assert restarted.due(state, 29) == []  # committed already
    state.apply({b"governance/draw": encode({**committed, "state": "revealing"})})
    assert restarted.due(state, 30) == []  # not closed yet
    assert restarted.due(state, 31) == [("reveal_seed", {"draw": 3, "seed": restarted.seeds[3]})]
    assert restarted.due(state, 31) == []
    restarted.retry(3, "reveal_seed")
    assert restarted.due(state, 36) == []  # past the regulator's window (close + 5)
    assert len(restarted.due(state, 35)) == 1


def test_an_authority_reveals_only_after_the_regulator(tmp_path):
    genesis = devnet_genesis(clients=1, params={"reveal_timeout": 5})
    _, state = build_genesis(genesis, standard_registry())
    mine = DrawSeeds(participant="dealer-1", regulator=False, random_bytes=fixed_bytes)
    outsider = DrawSeeds(participant="dealer-9", regulator=False)
    draw = {
        "number": 1,
        "kind": "by-election",
        "state": "open",
        "close": 30,
        "deadline": 40,
        "committers": ["dealer-0", "dealer-1"],
        "regulator": "",
        "digests": {},
        "seeds": {},
    }
    state.apply({b"governance/draw": encode(draw)})
    assert outsider.due(state, 10) == []  # not a committer
    [(_, args)] = mine.due(state, 10)
    digests = {"regulator": b"r" * 32, "dealer-1": args["digest"]}
    revealing = {**draw, "state": "revealing", "regulator": "regulator", "digests": digests}
    state.apply({b"governance/draw": encode(revealing)})
    assert mine.due(state, 31) == []  # the regulator has not revealed, its window is open
    assert len(mine.due(state, 36)) == 1  # its window is over
    mine.retry(1, "reveal_seed")
    revealed = {**revealing, "seeds": {"regulator": b"s" * 32}}
    state.apply({b"governance/draw": encode(revealed)})
    assert len(mine.due(state, 32)) == 1
    mine.retry(1, "reveal_seed")
    assert mine.due(state, 41) == []  # past the deadline


def test_a_draw_duty_signs_above_the_nonces_queued_in_the_inbox(tmp_path, monkeypatch):
    """An authority's commit is due while a transaction its user queued with the same key
    waits in the inbox: the duty takes the next nonce above it, so neither is refused as a
    reused nonce (seen as `bad_nonce` on a repository attestation queued by a dealer that
    sat as an authority when a draw opened)."""
    from glassledger.ledger.execution import nonce_key
    from glassledger.node.inbox import Inbox
    from glassledger.node.regulator import DrawDuties, DrawSeeds

    pair = KeyPair.generate()
    state = {nonce_key(pair.public): (5).to_bytes(8, "big")}  # last committed nonce 5
    inbox = Inbox(tmp_path / "inbox.sqlite")
    for nonce in (6, 7):  # two of the user's own transactions are queued
        inbox.push_signed(pair.public, lambda: 5, lambda n, k=nonce: f"tx{k}".encode())
    assert inbox.max_nonce(pair.public) == 7 and inbox.max_nonce(b"other") == -1
    committers = {"dealer-1": (pair, DrawSeeds(participant="dealer-1"))}
    due = [("dealer-1", "commit_seed", {"draw": 1, "digest": b"\x00" * 32})]
    monkeypatch.setattr(DrawDuties, "calls", lambda self, state, height: due)
    alone = DrawDuties("chain", committers).due(state, 10)
    assert [t.tx.nonce for t in alone] == [6]  # what it signed before: a reused nonce
    duties = DrawDuties("chain", committers, queued=inbox.max_nonce)
    assert [t.tx.nonce for t in duties.due(state, 10)] == [8]
    assert [t.tx.nonce for t in duties.due(state, 11)] == [9]  # and on from there
    inbox.close()
