"""Block execution: the deterministic state transition.

``execute_block`` runs, in order: the ledger's own bookkeeping (the previous block's hash is
recorded at ``sys/blockhash/<height-1>`` for contracts that need verifiable randomness), every
contract's ``begin_block`` hook, each transaction, every contract's ``end_block`` hook. It
writes nothing to the committed state: it returns an :class:`Overlay` of changes plus the
receipts, and the caller commits them once the block is final.

Checks on each transaction, in order, each with its :class:`RejectReason`: chain id
(``wrong_chain``), signature (``bad_signature``), sender registered and active
(``unknown_sender``), nonce greater than the sender's last and at most :data:`MAX_NONCE_STEP`
above it (``bad_nonce``), contract and method
exist (``unknown_contract`` / ``unknown_method``), the sender holds a role the method allows
(``permission_denied``), arguments match the method's types (``malformed_arguments``), and the
contract's own rules (``contract_error``). A rejected transaction's writes are discarded and
its nonce is not consumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from glassledger.errors import RejectReason, TxRejected
from glassledger.ledger import codec
from glassledger.ledger.abi import (
    SYSTEM,
    BlockInfo,
    Context,
    Registry,
)
from glassledger.ledger.state import Overlay, State
from glassledger.ledger.tx import Event, Receipt, SignedTransaction

NONCE_PREFIX = b"sys/nonce/"
#: Largest step between a sender's last nonce and the next (2**20). Gaps are allowed, but a
#: jump to 2**64 - 1 would lock the sender out for good; with this bound, exhausting the
#: 64-bit nonce space takes at least 2**44 transactions.
MAX_NONCE_STEP = 1 << 20
BLOCKHASH_PREFIX = b"sys/blockhash/"
PARAMS_KEY = b"sys/params"

_decode = msgspec.msgpack.Decoder().decode


class BlockResult(msgspec.Struct):
    """Outcome of executing a block: state changes (uncommitted) and one receipt per tx.

    ``system_events`` are the events of the begin/end-block hooks (not tied to a tx).
    """

    overlay: Overlay
    receipts: list[Receipt]
    system_events: list[Event]


def load_params(state: State | Overlay) -> dict[str, Any]:
    raw = state.get(PARAMS_KEY)
    return {} if raw is None else _decode(raw)


def nonce_key(sender: bytes) -> bytes:
    return NONCE_PREFIX + sender


def last_nonce(state: State | Overlay, sender: bytes) -> int:
    """The last nonce ``sender`` used successfully (-1 when none)."""
    raw = state.get(nonce_key(sender))
    return -1 if raw is None else int.from_bytes(raw, "big")


def sender_identity(state: State | Overlay, sender: bytes) -> tuple[str, frozenset[str]]:
    """``(participant id, roles)`` of an active participant holding key ``sender``."""
    raw_id = state.get(b"identity/k/" + sender.hex().encode())
    if raw_id is None:
        raise TxRejected(RejectReason.UNKNOWN_SENDER, f"key {sender.hex()} is not registered")
    participant = _decode(raw_id)
    record = _decode(state.get(b"identity/p/" + participant.encode()))
    if not record["active"]:
        raise TxRejected(RejectReason.UNKNOWN_SENDER, f"participant {participant!r} is suspended")
    return participant, frozenset(record["roles"])


def execute_block(
    state: State,
    registry: Registry,
    height: int,
    time_ms: int,
    prev_hash: bytes,
    txs: Sequence[SignedTransaction],
    signatures_ok: Sequence[bool] | None = None,
    proposer: bytes = b"",
    last_commit: Any = None,
    tx_hashes: Sequence[bytes] | None = None,
) -> BlockResult:
    """Execute ``txs`` as block ``height`` on top of ``state`` (not modified).

    ``signatures_ok[i]`` may carry a verification already done in batch for ``txs[i]``;
    otherwise each signature is verified here. ``tx_hashes`` may carry their hashes.
    """
    block_overlay = Overlay(state)
    params = load_params(state)
    chain_id = params.get("chain_id", "")
    info = BlockInfo(height, time_ms, params, registry, proposer, last_commit)
    if height > 0:
        block_overlay.put(BLOCKHASH_PREFIX + (height - 1).to_bytes(8, "big"), prev_hash)
    system_events: list[Event] = []
    _run_hooks(info, block_overlay, registry, "begin_block", system_events)
    receipts = []
    for index, signed in enumerate(txs):
        ok = None if signatures_ok is None else signatures_ok[index]
        tx_hash = signed.hash if tx_hashes is None else tx_hashes[index]
        receipts.append(_execute_tx(info, block_overlay, registry, chain_id, signed, tx_hash, ok))
    _run_hooks(info, block_overlay, registry, "end_block", system_events)
    return BlockResult(block_overlay, receipts, system_events)


def _execute_tx(
    info: BlockInfo,
    block_overlay: Overlay,
    registry: Registry,
    chain_id: str,
    signed: SignedTransaction,
    tx_hash: bytes,
    signature_ok: bool | None,
) -> Receipt:
    tx = signed.tx
    scope = block_overlay.child()
    events: list[Event] = []
    try:
        if tx.chain_id != chain_id:
            raise TxRejected(
                RejectReason.WRONG_CHAIN,
                f"transaction is for chain {tx.chain_id!r}, not {chain_id!r}",
            )
        if not (signed.signature_valid() if signature_ok is None else signature_ok):
            raise TxRejected(RejectReason.BAD_SIGNATURE, "signature does not match the sender")
        caller, roles = sender_identity(scope, tx.sender)
        last = last_nonce(scope, tx.sender)
        if tx.nonce <= last:
            raise TxRejected(
                RejectReason.BAD_NONCE,
                f"nonce {tx.nonce} is not greater than the last used nonce {last}",
            )
        if tx.nonce > last + MAX_NONCE_STEP:
            raise TxRejected(
                RejectReason.BAD_NONCE,
                f"nonce {tx.nonce} jumps more than {MAX_NONCE_STEP} above the last used "
                f"nonce {last}",
            )
        contract, spec = registry.spec(tx.contract, tx.method)
        if not (spec.roles & roles or "any" in spec.roles):
            raise TxRejected(
                RejectReason.PERMISSION_DENIED,
                f"{tx.contract}.{tx.method} needs one of the roles {sorted(spec.roles)}; "
                f"{caller!r} has {sorted(roles)}",
            )
        args = spec.check_args(tx.args)
        ctx = Context(info, scope, tx.contract, caller, roles, events)
        spec.func(contract, ctx, **args)
        scope.put(nonce_key(tx.sender), tx.nonce.to_bytes(8, "big"))
    except TxRejected as rejection:
        return Receipt.rejected(tx_hash, rejection.reason, rejection.message)
    except Exception as exc:  # a contract bug must not halt the chain; it is deterministic
        return Receipt.rejected(
            tx_hash, RejectReason.CONTRACT_ERROR, f"internal error: {type(exc).__name__}: {exc}"
        )
    scope.commit_to_parent()
    return Receipt.success(tx_hash, tuple(events))


def _run_hooks(
    info: BlockInfo, block_overlay: Overlay, registry: Registry, hook: str, out: list[Event]
) -> None:
    """Run one hook of every contract; a failing hook is rolled back and reported as an
    event (``hook_failed``) rather than halting the chain."""
    for contract in registry:
        scope = block_overlay.child()
        events: list[Event] = []
        ctx = Context(info, scope, contract.name, SYSTEM, frozenset({SYSTEM}), events)
        try:
            getattr(contract, hook)(ctx)
        except Exception as exc:
            out.append(Event(contract.name, "hook_failed", {"hook": hook, "error": f"{exc}"}, ()))
            continue
        scope.commit_to_parent()
        out.extend(events)


def encode_params(params: dict[str, Any]) -> bytes:
    codec.check_value(params)
    return codec.encode(params)
