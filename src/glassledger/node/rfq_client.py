"""The participant side of the request for quote (off the ledger): a dealer seals, commits
and signs a firm quote; a client opens the quotes sealed to it and reveals the one it
accepts. The ``rfq`` contract checks what these produce (see
:mod:`glassledger.contracts.rfq` and :mod:`glassledger.contracts.derivatives.terms`).

Sealing uses the operating system's randomness (fresh content key); the salt of the
commitment is 16 random bytes unless given (tests and benchmarks pass a fixed one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from glassledger.contracts.derivatives.terms import (
    decode_quote,
    encode_quote,
    quote_commitment,
    quote_terms,
    sign_quote,
)
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.private import Envelope, open_envelope, seal


@dataclass
class SealedQuote:
    """What a dealer sends (``args`` of ``rfq.quote``: envelope, commitment, signature) and
    what it keeps (``terms``, ``salt``)."""

    envelope: dict[str, Any]
    commitment: bytes
    signature: bytes
    terms: dict[str, Any]
    salt: bytes
    args: dict[str, Any] = field(default_factory=dict)


def make_quote(
    keys: KeyPair,
    rfq_id: str,
    dealer: str,
    recipients: dict[str, bytes],
    price: int,
    valid_until_ms: int,
    threshold: int = 0,
    mta: int = 0,
    call_window_ms: int = 86_400_000,
    salt: bytes | None = None,
) -> SealedQuote:
    """A firm quote by ``dealer`` (its key pair ``keys``) sealed to ``recipients`` (the
    client and the regulator: participant id -> registered Ed25519 public key). ``price`` in
    the template's price unit; ``threshold``/``mta`` minor units; times ms."""
    terms = quote_terms(rfq_id, dealer, price, threshold, mta, call_window_ms, valid_until_ms)
    salt = os.urandom(16) if salt is None else salt
    commitment = quote_commitment(terms, salt)
    signature = sign_quote(keys, commitment)
    envelope = seal(encode_quote(terms, salt), recipients).to_value()
    args = {
        "rfq_id": rfq_id,
        "envelope": envelope,
        "commitment": commitment,
        "signature": signature,
    }
    return SealedQuote(envelope, commitment, signature, terms, salt, args)


def open_quote(envelope: dict[str, Any], client: str, keys: KeyPair) -> tuple[dict, bytes]:
    """``(terms, salt)`` of a quote sealed to ``client``, opened with its key pair."""
    return decode_quote(open_envelope(Envelope.from_value(envelope), client, keys))


def accept_args(quote_envelope: dict[str, Any], client: str, keys: KeyPair) -> dict[str, Any]:
    """Arguments of ``rfq.accept`` revealing the quote in ``quote_envelope``."""
    terms, salt = open_quote(quote_envelope, client, keys)
    return {"rfq_id": terms["rfq_id"], "dealer": terms["dealer"], "terms": terms, "salt": salt}
