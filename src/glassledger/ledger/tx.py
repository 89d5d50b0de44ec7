"""Transactions, events and receipts: the immutable records of the ledger.

A :class:`Transaction` names the chain, its sender (an Ed25519 public key registered in the
``identity`` contract), the sender's nonce, and the contract method to call with its arguments.
The sender signs its canonical encoding under the ``glassledger/tx`` domain.

Nonces are per sender and strictly increasing: a transaction is accepted only if its nonce is
greater than the last nonce the sender used successfully (gaps are allowed, so a client may
abandon a nonce). A rejected transaction leaves no trace in state, so it does not consume its
nonce; its receipt in the block records the reason.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from glassledger.errors import DecodeError, RejectReason
from glassledger.ledger import codec
from glassledger.ledger.crypto import KeyPair, sha256, verify

TX_DOMAIN = b"glassledger/tx"
#: Largest accepted encoded transaction, in bytes.
MAX_TX_SIZE = 64 * 1024


class Transaction(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """What a sender asks the ledger to do. ``args`` holds integers (minor units), strings,
    bytes, booleans, lists and maps; never floats."""

    chain_id: str
    sender: bytes
    nonce: int
    contract: str
    method: str
    args: dict[str, Any]

    def sign(self, keys: KeyPair) -> SignedTransaction:
        """This transaction signed by ``keys`` (which must be the sender's)."""
        if keys.public != self.sender:
            raise ValueError("the signing key is not the transaction's sender")
        return SignedTransaction(self, keys.sign(TX_DOMAIN, codec.encode(self)))


class SignedTransaction(msgspec.Struct, array_like=True, frozen=True, dict=True):
    """A transaction and its sender's 64-byte Ed25519 signature.

    ``dict=True`` gives instances a ``__dict__`` for the cached :attr:`hash` only (it is not
    a field: never encoded, never compared)."""

    tx: Transaction
    signature: bytes

    def encode(self) -> bytes:
        """Canonical bytes (what is stored, gossiped and hashed)."""
        return codec.encode(self)

    @functools.cached_property
    def hash(self) -> bytes:
        """SHA-256 of the canonical bytes: the transaction's identifier (computed once per
        instance: a node asks for it at admission, in the mempool, the block's roots, the
        receipts and the ingress queue)."""
        return sha256(self.encode())

    def signature_valid(self) -> bool:
        """True when the signature is the sender's over the canonical transaction bytes."""
        return verify(self.tx.sender, TX_DOMAIN, codec.encode(self.tx), self.signature)

    def verification_item(self) -> tuple[bytes, bytes, bytes, bytes]:
        """``(public, domain, payload, signature)`` for :class:`crypto.BatchVerifier`."""
        return (self.tx.sender, TX_DOMAIN, codec.encode(self.tx), self.signature)


def decode_transaction(data: bytes, tx_hash: bytes | None = None) -> SignedTransaction:
    """Decode untrusted bytes; raises :class:`DecodeError` (never anything else).
    ``tx_hash``: ``sha256(data)`` when the caller has already computed it."""
    signed = codec.decode(data, SignedTransaction, max_size=MAX_TX_SIZE)
    # decoding checked that ``data`` is the canonical encoding: its hash is the identifier
    signed.__dict__["hash"] = sha256(bytes(data)) if tx_hash is None else tx_hash
    if not isinstance(signed.tx.nonce, int) or signed.tx.nonce < 0:
        raise DecodeError("nonce must be a non-negative integer")
    if len(signed.tx.sender) != 32:
        raise DecodeError(f"sender must be a 32-byte public key, got {len(signed.tx.sender)}")
    if len(signed.signature) != 64:
        raise DecodeError(f"signature must be 64 bytes, got {len(signed.signature)}")
    return signed


class Event(msgspec.Struct, array_like=True, frozen=True):
    """Something a contract announces. Frozen once emitted.

    ``visible_to`` lists the participant ids allowed to read it; an empty tuple means public.
    The regulator can read every event.
    """

    contract: str
    name: str
    data: dict[str, Any]
    visible_to: tuple[str, ...] = ()


class Receipt(msgspec.Struct, array_like=True, frozen=True):
    """The outcome of one transaction in a block. ``reason`` is empty on success."""

    tx_hash: bytes
    ok: bool
    reason: str
    message: str
    events: tuple[Event, ...] = ()

    @classmethod
    def success(cls, tx_hash: bytes, events: tuple[Event, ...]) -> Receipt:
        return cls(tx_hash, True, "", "", events)

    @classmethod
    def rejected(cls, tx_hash: bytes, reason: RejectReason, message: str) -> Receipt:
        return cls(tx_hash, False, str(reason), message, ())
