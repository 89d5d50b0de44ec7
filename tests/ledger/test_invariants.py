"""Hypothesis properties of the ledger over random blocks of transfers, mints, burns and bad
transactions:

* every token is conserved: ``supply == sum(free balances) + sum(locked amounts)``;
* no balance is ever negative (zero balances are deleted, so every stored one is positive);
* a rejected transaction changes nothing: the block without its rejected transactions reaches
  the same state root, and every rejection carries the reason its defect calls for;
* replay from genesis reproduces every root (``verify_chain``), on a MemoryStore and on a
  SQLiteStore after it is closed and reopened, and both stores hold byte-identical blocks and
  the same state at every height, whose balances prove against that height's header.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassledger.ledger import codec
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.tx import SignedTransaction, Transaction
from glassledger.ledger.verify import prove_many, verify_chain

CLIENTS = [f"client-{i}" for i in range(4)]
PROVED = [f"token/b/USD/{holder}".encode() for holder in [*CLIENTS, "bank"]] + [b"token/t/USD"]
BAD_KINDS = {
    "wrong_chain": "wrong_chain",
    "bad_signature": "bad_signature",
    "unknown_sender": "unknown_sender",
    "bad_nonce": "bad_nonce",
    "unknown_method": "unknown_method",
    "malformed_arguments": "malformed_arguments",
}

amounts = st.one_of(st.integers(-3, 3), st.integers(1, 3 * 10**8), st.just(2**63))
holders = st.sampled_from([*CLIENTS, "bank"])
operations = st.one_of(
    st.tuples(st.just("transfer"), st.sampled_from(CLIENTS), holders, amounts),
    st.tuples(st.just("mint"), st.sampled_from(["bank", "client-0"]), holders, amounts),
    st.tuples(st.just("burn"), st.sampled_from(["bank", "client-1"]), st.just(""), amounts),
    st.tuples(
        st.just("bad"), st.sampled_from(sorted(BAD_KINDS)), st.sampled_from(CLIENTS), amounts
    ),
)
histories = st.lists(st.lists(operations, max_size=8), min_size=1, max_size=5)

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def build_tx(dev, op) -> tuple[SignedTransaction, str | None]:
    """The signed transaction for ``op`` and the rejection reason it must get (None: any)."""
    kind, who, target, amount = op
    if kind == "transfer":
        return dev.tx(who, "token", "transfer", symbol="USD", to=target, amount=amount), None
    if kind == "mint":
        expected = None if who == "bank" else "permission_denied"
        return dev.tx(who, "token", "mint", symbol="USD", to=target, amount=amount), expected
    if kind == "burn":
        expected = None if who == "bank" else "permission_denied"
        return dev.tx(who, "token", "burn", symbol="USD", amount=amount), expected
    args = {"symbol": "USD", "to": "client-0", "amount": amount}
    keys = dev.keys(target)
    nonce = dev.nonces.get(target, 0)
    base = Transaction(dev.genesis.chain_id, keys.public, nonce, "token", "transfer", args)
    if who == "wrong_chain":
        signed = msgspec.structs.replace(base, chain_id="other-chain").sign(keys)
    elif who == "bad_signature":
        good = base.sign(keys)
        signed = SignedTransaction(good.tx, bytes([good.signature[0] ^ 1]) + good.signature[1:])
    elif who == "unknown_sender":
        stranger = KeyPair.from_name("stranger")
        signed = msgspec.structs.replace(base, sender=stranger.public).sign(stranger)
    elif who == "bad_nonce":
        used = last_nonce(dev.chain.state, keys.public)
        signed = msgspec.structs.replace(base, nonce=used).sign(keys)
    elif who == "unknown_method":
        signed = msgspec.structs.replace(base, method="steal").sign(keys)
    else:
        signed = msgspec.structs.replace(base, args={**args, "amount": str(amount)}).sign(keys)
    return signed, BAD_KINDS[who]


def token_invariants(state: dict[bytes, bytes]) -> None:
    token = codec.decode(state[b"token/t/USD"], dict)
    balances = [codec.decode(v, int) for k, v in state.items() if k.startswith(b"token/b/USD/")]
    locks = [codec.decode(v, dict) for k, v in state.items() if k.startswith(b"token/l/")]
    locked = sum(lock["amount"] for lock in locks if lock["symbol"] == "USD")
    assert all(balance > 0 for balance in balances), balances
    assert token["supply"] == sum(balances) + locked


def commit_checked(dev, ops) -> None:
    """Commit one block of ``ops``, checking that its rejected transactions change nothing."""
    built = [build_tx(dev, op) for op in ops]
    txs = [tx for tx, _ in built]
    time_ms = dev.chain.head.timestamp_ms + 1000
    proposer = dev.authority_keys[(dev.chain.height + 1) % 4].public
    full = dev.chain.propose(time_ms, proposer, txs)
    receipts = dev.chain.receipts_of(full.hash).receipts
    for (_, expected), receipt in zip(built, receipts, strict=True):
        if expected is not None:
            assert not receipt.ok and receipt.reason == expected, receipt
    accepted = [tx for tx, receipt in zip(txs, receipts, strict=True) if receipt.ok]
    lean = dev.chain.propose(time_ms, proposer, accepted)
    assert all(r.ok for r in dev.chain.receipts_of(lean.hash).receipts)
    assert lean.header.state_root == full.header.state_root
    committed = dev.commit(txs)
    assert codec.encode(committed) == codec.encode(receipts)
    token_invariants(dev.chain.state.data)


@FAST
@given(history=histories)
def test_conservation_no_negative_balance_and_replay(make_dev, history):
    dev = make_dev()
    token_invariants(dev.chain.state.data)
    for ops in history:
        commit_checked(dev, ops)
    assert verify_chain(dev.store, dev.registry) == len(history)


@settings(FAST, max_examples=15)
@given(history=histories)
def test_replay_on_sqlite_across_reopen_matches_memory(make_dev, history):
    memory = make_dev()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chain.sqlite"
        disk = make_dev(path=path)
        for ops in history:
            for dev in (memory, disk):
                dev.commit([build_tx(dev, op)[0] for op in ops])
        disk.store.close()
        with SQLiteStore.open(path) as store:
            assert verify_chain(store, disk.registry) == len(history)
            reopened = Chain.open(disk.registry, store)
            assert reopened.state.root == memory.chain.state.root
            for height in range(len(history) + 1):
                assert store.get_block(height) == memory.store.get_block(height)
                state = store.state_at(height)
                assert state == memory.store.state_at(height)
                root = store.get_header(height).state_root
                proofs = prove_many(store, [*PROVED, b"token/b/USD/nobody"], height)
                for key, proof in proofs.items():
                    assert proof.value == state.get(key) and proof.verify(root)
