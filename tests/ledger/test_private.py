"""Private payloads: only recipients (the regulator always among them) can open them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import CryptoError
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.private import Envelope, open_envelope, seal

NAMES = ["regulator", "client-0", "dealer-1", "dealer-2"]
KEYS = {name: KeyPair.from_name(name) for name in NAMES}


def _seal(payload: bytes, to=("regulator", "client-0")) -> Envelope:
    return seal(payload, {who: KEYS[who].public for who in to})


@given(st.binary(max_size=2048))
def test_every_recipient_opens_what_was_sealed(payload):
    envelope = _seal(payload)
    for who in ("regulator", "client-0"):
        assert open_envelope(envelope, who, KEYS[who]) == payload


def test_a_non_recipient_cannot_open_and_sees_no_plaintext():
    secret = b"price=101.2345;size=5000000"
    envelope = _seal(secret)
    with pytest.raises(CryptoError, match="not a recipient"):
        open_envelope(envelope, "dealer-2", KEYS["dealer-2"])
    # a recipient's wrapped key with another participant's key fails too
    forged = Envelope(envelope.ciphertext, {"dealer-2": envelope.keys["client-0"]})
    with pytest.raises(CryptoError):
        open_envelope(forged, "dealer-2", KEYS["dealer-2"])
    from glassledger.ledger import codec

    assert secret not in codec.encode(envelope.to_value())


def test_the_regulator_is_always_a_recipient():
    with pytest.raises(CryptoError, match="regulator"):
        seal(b"x", {"client-0": KEYS["client-0"].public})


def test_tampering_is_detected_and_the_hash_commits_to_the_envelope():
    envelope = _seal(b"quote")
    flipped = bytearray(envelope.ciphertext)
    flipped[-1] ^= 1
    tampered = Envelope(bytes(flipped), envelope.keys)
    assert tampered.hash != envelope.hash
    with pytest.raises(CryptoError):
        open_envelope(tampered, "client-0", KEYS["client-0"])
    assert Envelope.from_value(envelope.to_value()).hash == envelope.hash


def test_sealing_twice_gives_unlinkable_ciphertexts():
    assert _seal(b"same").ciphertext != _seal(b"same").ciphertext
