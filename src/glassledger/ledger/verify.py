"""Checking a stored chain against its own commitments: full replay, and state proofs.

:func:`verify_chain` trusts nothing but the genesis block (and, when given, its hash): it
replays every block on a fresh replica and checks, block by block,

* the header links to the previous one (height, previous hash);
* the certificate holds valid seals from a quorum of the authorities that sign that height
  (the set the replayed state names, :func:`authorities.authorities_at`);
* the block is a valid next block: transaction root, last-commit certificate, proposer,
  authority-set hash, and re-execution (every transaction signature checked) reproduces the
  receipts root and the state root byte for byte;
* what the store holds for the block — receipts, events, state changes and the values they
  replaced — equals what the replay produced;

and finally that the store's current state (rolled back to the head height it started from,
so a node may keep writing meanwhile) equals the replayed state. The first failure raises
:class:`ChainIntegrityError` naming the height and what differed.

:func:`prove` gives a key's value (or absence) at any height with a
:class:`~glassledger.ledger.merkle.StateProof` that checks against that height's header
``state_root`` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import msgspec

from glassledger.errors import BlockInvalid, DecodeError, IntegrityError, StoreError
from glassledger.ledger import codec
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.abi import Registry
from glassledger.ledger.authorities import AUTHORITIES_KEY, authorities_at, authority_keys_at
from glassledger.ledger.block import (
    GENESIS_CERTIFICATE,
    BlockHeader,
    Certificate,
    authority_set_hash,
    certificate_hash,
    receipts_root,
    tx_root,
    verify_certificate,
)
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import BatchVerifier
from glassledger.ledger.execution import PARAMS_KEY
from glassledger.ledger.merkle import DEFAULT_DEPTH, StateProof
from glassledger.ledger.state import State
from glassledger.ledger.store import MemoryStore

T = TypeVar("T")

#: Called with each height once it has been verified.
Progress = Callable[[int], None]


class ChainIntegrityError(IntegrityError):
    """The stored chain does not match its commitments at block ``height``."""

    def __init__(self, height: int, what: str) -> None:
        self.height = height
        #: What differed (without the height, which nested messages may repeat).
        self.what = what.replace(f"block {height}: ", "", 1).replace(f"block {height} ", "", 1)
        super().__init__(f"block {height}: {self.what}")


def check_store(
    store: BlockStore,
    *,
    genesis_hash: bytes | None = None,
    progress: Progress | None = None,
) -> State:
    """The integrity check shared by node start-up and :func:`verify_chain` (so that neither
    accepts a store the other refuses); returns the current state, checked.

    Without executing any contract it checks everything the header chain commits to: the
    file itself (SQLite reads every page: truncation, overwritten pages), heights ``0..head``
    without a gap, the genesis block, and for every later block that its header decodes and
    links to its parent, its certificate carries a quorum of valid seals of that height's
    authorities, its transactions hash to the header's transaction root (and match their
    stored hashes), its receipts and events to the receipts root, its carried parent
    certificate to the last-commit hash; that the history of state changes is consistent
    with itself and with the current state, and that the current state hashes to the head's
    state root. Only the begin/end-block hook events, which no root commits to, are left
    to :func:`verify_chain`'s re-execution.

    Raises :class:`ChainIntegrityError` naming the height, or :class:`StoreError` for a file
    SQLite cannot read."""
    check_file = getattr(store, "check_file", None)
    if check_file is not None:
        check_file()
    head = store.head_height()
    if head < 0:
        raise IntegrityError("the store holds no block, not even genesis")
    genesis_state = check_genesis(store, genesis_hash)
    authorities = _AuthorityHistory(store, genesis_state)
    previous = _read(0, store.get_block).header
    if progress is not None:
        progress(0)
    for height in range(1, head + 1):
        block = _read(height, store.get_block)
        header = block.header
        if header.height != height:
            raise ChainIntegrityError(height, f"the stored header says height {header.height}")
        if header.prev_hash != previous.hash:
            raise ChainIntegrityError(
                height, f"previous hash {header.prev_hash.hex()} is not block {height - 1}'s hash"
            )
        certificate = _read(height, store.get_certificate)
        try:
            verify_certificate(header, certificate, authorities.at(height))
        except BlockInvalid as exc:
            raise ChainIntegrityError(height, f"certificate: {exc}") from exc
        if header.last_commit_hash != certificate_hash(block.last_commit):
            raise ChainIntegrityError(height, "the carried parent certificate does not match")
        receipts = _read(height, store.get_receipts)
        hashes = [tx.hash for tx in block.txs]
        if header.tx_root != tx_root(block.txs, hashes):
            raise ChainIntegrityError(
                height, "the stored transactions differ from the header (transaction root mismatch)"
            )
        if [r.tx_hash for r in receipts] != hashes:
            raise ChainIntegrityError(height, "the stored receipts name other transactions")
        if header.receipts_root != receipts_root(receipts):
            raise ChainIntegrityError(height, "the stored receipts differ from the receipts root")
        _read(height, store.get_system_events)  # decodable, at least
        previous = header
        if progress is not None:
            progress(height)
    history = getattr(store, "history_problem", None)
    if history is not None and (problem := history()) is not None:
        raise ChainIntegrityError(*problem)
    data = store.load_state()
    try:
        state = State.from_items(data, state_depth(data))
    except (DecodeError, ValueError, TypeError) as exc:
        raise ChainIntegrityError(head, f"the current state is unreadable: {exc}") from exc
    if state.root != previous.state_root:
        raise ChainIntegrityError(
            head, "the stored current state does not match the head's state root"
        )
    return state


class _AuthorityHistory:
    """The authority record in force before each height, from the stored state changes."""

    def __init__(self, store: BlockStore, genesis: State) -> None:
        self.store = store
        self.value = genesis.get(AUTHORITIES_KEY)
        self.height = 0

    def at(self, height: int) -> list[bytes]:
        """Keys that sign block ``height``, from the state after block ``height - 1``."""
        while self.height < height - 1:
            self.height += 1
            changes = _read(self.height, self.store.get_changes)
            if AUTHORITIES_KEY in changes:
                self.value = changes[AUTHORITIES_KEY]
        view = {} if self.value is None else {AUTHORITIES_KEY: self.value}
        return [key for _, key in authorities_at(_Lookup(view), height)]


class _Lookup:
    def __init__(self, data: dict[bytes, bytes]) -> None:
        self.data = data

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)


def verify_chain(
    store: BlockStore,
    registry: Registry,
    progress: Progress | None = None,
    *,
    genesis_hash: bytes | None = None,
    verifier: BatchVerifier | None = None,
) -> int:
    """Replay ``store`` from genesis with the contracts of ``registry`` and check every
    link, certificate, root and stored record (see the module docstring). Returns the head
    height verified. ``genesis_hash`` pins the genesis block; ``verifier`` checks each
    block's transaction signatures in batch (on all cores) instead of one by one."""
    check_store(store, genesis_hash=genesis_hash)
    head = store.head_height()
    chain = _replay_genesis(store, registry, genesis_hash)
    if progress is not None:
        progress(0)
    for height in range(1, head + 1):
        _replay_block(store, chain, height, verifier)
        if progress is not None:
            progress(height)
    # The state table rolled back to `head`: the node may have committed more meanwhile.
    stored = store.state_at(head)
    if stored != chain.state.data:
        key = _first_difference(stored, chain.state.data)
        raise ChainIntegrityError(
            head, f"the stored current state differs from the replayed state at key {key!r}"
        )
    return head


def _replay_genesis(store: BlockStore, registry: Registry, genesis_hash: bytes | None) -> Chain:
    """A replica (keeping only its head block) that holds the checked stored genesis."""
    state = check_genesis(store, genesis_hash)
    replica = MemoryStore(keep=1)
    replica.put_block(store.get_block(0), _read(0, store.get_certificate), [], [], dict(state.data))
    return Chain(registry, replica, state)


def check_genesis(store: BlockStore, genesis_hash: bytes | None = None) -> State:
    """The genesis state stored as block 0's changes, after checking that the genesis header
    commits to it and to the rest of block 0 (state root, last commit, empty transaction and
    receipts roots, authority set) and,
    when given, that the genesis block hash is ``genesis_hash``."""
    block = _read(0, store.get_block)
    header = block.header
    if genesis_hash is not None and block.hash != genesis_hash:
        raise ChainIntegrityError(
            0, f"genesis hash {block.hash.hex()} is not the expected {genesis_hash.hex()}"
        )
    if header.height != 0 or block.txs:
        raise ChainIntegrityError(0, "the genesis block must be height 0 with no transactions")
    changes = _read(0, store.get_changes)
    if any(value is None for value in changes.values()) or any(
        value is not None for value in _read(0, store.get_previous).values()
    ):
        raise ChainIntegrityError(0, "genesis changes must only create keys")
    try:
        state = State.from_items(changes, state_depth(changes))
    except (DecodeError, ValueError, TypeError) as exc:
        raise ChainIntegrityError(0, f"the genesis parameters are unreadable: {exc}") from exc
    if state.root != header.state_root:
        raise ChainIntegrityError(
            0, "the stored genesis state does not match the genesis state root"
        )
    if _read(0, store.get_certificate) != GENESIS_CERTIFICATE:
        raise ChainIntegrityError(0, "the genesis certificate must be the empty one")
    if header.last_commit_hash != certificate_hash(block.last_commit):
        raise ChainIntegrityError(0, "the genesis block's last-commit hash does not match it")
    if header.tx_root != tx_root(()) or header.receipts_root != receipts_root(()):
        raise ChainIntegrityError(
            0, "the genesis transaction or receipts root is not the empty root"
        )
    if header.authority_set_hash != authority_set_hash(authority_keys_at(state, 0)):
        raise ChainIntegrityError(
            0, "the genesis authority-set hash does not match the genesis authorities"
        )
    return state


def _replay_block(
    store: BlockStore, chain: Chain, height: int, verifier: BatchVerifier | None
) -> None:
    block = _read(height, store.get_block)
    certificate = _read(height, store.get_certificate)
    header = block.header
    if header.height != height:
        raise ChainIntegrityError(height, f"the stored header says height {header.height}")
    if header.prev_hash != chain.head.hash:
        raise ChainIntegrityError(
            height, f"previous hash {header.prev_hash.hex()} is not block {height - 1}'s hash"
        )
    try:
        verify_certificate(header, certificate, chain.authorities(height))
    except BlockInvalid as exc:
        raise ChainIntegrityError(height, f"certificate: {exc}") from exc
    signatures_ok = None
    if verifier is not None:
        signatures_ok = verifier.verify_many([tx.verification_item() for tx in block.txs])
    try:
        chain.validate(block, signatures_ok=signatures_ok)
    except BlockInvalid as exc:
        raise ChainIntegrityError(height, f"re-execution: {exc}") from exc
    chain.commit(block, certificate, verify=False)
    for what, method in (
        ("receipts", "get_receipts"),
        ("hook events", "get_system_events"),
        ("state changes", "get_changes"),
        ("replaced values", "get_previous"),
    ):
        stored = _read(height, getattr(store, method))
        replayed = getattr(chain.store, method)(height)
        if not _same(stored, replayed):
            raise ChainIntegrityError(height, f"the stored {what} differ from the replayed ones")


def prove(store: BlockStore, key: bytes, height: int) -> StateProof:
    """Proof of ``key``'s value (or absence) in the state after block ``height``, to check
    with ``proof.verify(header.state_root)`` against that block's header alone."""
    return prove_many(store, [key], height)[key]


def prove_many(store: BlockStore, keys: Iterable[bytes], height: int) -> dict[bytes, StateProof]:
    """Proofs for several keys at one height (the state tree is rebuilt once)."""
    root = store.get_block(height).header.state_root
    data = store.state_at(height)
    state = State.from_items(data, state_depth(data))
    if state.root != root:
        raise IntegrityError(
            f"block {height}: the stored state rebuilt at this height does not match the "
            "header's state root; run verify"
        )
    return {key: state.prove(key) for key in keys}


def state_depth(state: Mapping[bytes, bytes]) -> int:
    """The state tree depth the chain parameters (``sys/params``) fix at genesis."""
    raw = state.get(PARAMS_KEY)
    params = {} if raw is None else codec.decode(raw, dict)
    return params.get("state_depth", DEFAULT_DEPTH)


def _read(height: int, read: Callable[[int], T]) -> T:
    try:
        return read(height)
    except StoreError as exc:
        raise ChainIntegrityError(height, f"unreadable: {exc}") from exc


def _same(stored: object, replayed: object) -> bool:
    """Equal records: maps of bytes compare as maps, records by canonical bytes (a decoded
    list and a replayed tuple encode alike)."""
    if isinstance(stored, dict):
        return stored == replayed
    return codec.encode(stored) == codec.encode(replayed)


def _first_difference(a: Mapping[bytes, bytes], b: Mapping[bytes, bytes]) -> bytes:
    return min(key for key in a.keys() | b.keys() if a.get(key) != b.get(key))


class ProofBundle(msgspec.Struct, array_like=True, frozen=True):
    """Everything a light client needs to trust one state value without the chain: the
    proof, the header it is against, and that header's certificate. The client supplies the
    authority keys it trusts for that height (e.g. from its own copy of governance)."""

    proof: StateProof
    header: BlockHeader
    certificate: Certificate


def bundle(store: BlockStore, key: bytes, height: int) -> ProofBundle:
    """A :class:`ProofBundle` for ``key`` at ``height`` (the certificate of a block is stored
    with it; genesis has none and is trusted by configuration)."""
    return ProofBundle(
        prove(store, key, height), store.get_block(height).header, store.get_certificate(height)
    )


def check_bundle(bundle: ProofBundle, authorities: Iterable[bytes]) -> bytes | None:
    """The proven value (``None``: proven absent) if ``bundle``'s certificate carries a quorum
    of valid seals from ``authorities`` over its header and its proof holds against that
    header's state root; :class:`BlockInvalid` or :class:`IntegrityError` otherwise."""
    verify_certificate(bundle.header, bundle.certificate, list(authorities))
    if not bundle.proof.verify(bundle.header.state_root):
        raise IntegrityError(
            f"block {bundle.header.height}: the proof of {bundle.proof.key!r} does not match "
            "the header's state root"
        )
    return bundle.proof.value


class ForkDetected(IntegrityError):
    """The chain holds a different block than a certified checkpoint at the same height; when
    both certificates hold, :attr:`evidence` proves double-signing by :attr:`signers`."""

    def __init__(self, message: str, evidence=None, signers: list[bytes] | None = None) -> None:
        super().__init__(message)
        self.evidence = evidence
        self.signers = signers or []


def check_checkpoints(store: BlockStore, checkpoints: Iterable) -> list[str]:
    """Refuse a chain that conflicts with a certified header it was given.

    For each :class:`~glassledger.ledger.consensus.forks.Checkpoint` at a height the store
    holds: the stored block must be the checkpoint's block. A different block whose own
    certificate and the checkpoint's both hold quorums raises :class:`ForkDetected` with the
    :class:`ConflictingCertificates` to submit to governance; a checkpoint whose certificate
    does not hold raises :class:`IntegrityError`. Returns notes on checkpoints beyond the
    head (not checkable yet)."""
    from glassledger.ledger.consensus.forks import Checkpoint, conflict, double_signers

    notes = []
    head = store.head_height()
    for checkpoint in checkpoints:
        height = checkpoint.header.height
        if height > head:
            notes.append(f"checkpoint at height {height} is beyond the head ({head}): not checked")
            continue
        local = store.get_block(height).header
        if local.hash == checkpoint.header.hash:
            continue
        if height == 0:
            raise ForkDetected("block 0: the chain's genesis is not the checkpoint's")
        authorities = authority_keys_at(store.state_at(height - 1), height)
        try:
            verify_certificate(checkpoint.header, checkpoint.certificate, authorities)
        except BlockInvalid as exc:
            raise IntegrityError(
                f"block {height}: the checkpoint's certificate does not hold: {exc}"
            ) from exc
        mine = Checkpoint(local, store.get_certificate(height))
        evidence = conflict(mine, authorities, checkpoint, authorities)
        signers, problem = double_signers(evidence)
        detail = (
            f"{len(signers)} key(s) sealed both: evidence of double-signing "
            "(submit it with `glassledger report-fork`)"
            if problem is None
            else problem
        )
        raise ForkDetected(
            f"block {height}: the chain holds block {local.hash.hex()[:16]} but a certified "
            f"checkpoint says {checkpoint.header.hash.hex()[:16]}; {detail}",
            evidence if problem is None else None,
            signers,
        )
    return notes
