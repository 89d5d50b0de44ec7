"""Canonical encoding: deterministic bytes, strict decoding, no floats."""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import DecodeError
from glassledger.ledger import codec
from glassledger.ledger.crypto import KeyPair, sha256
from glassledger.ledger.tx import SignedTransaction, Transaction, decode_transaction

values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), values, max_size=6))
def test_map_encoding_does_not_depend_on_insertion_order(mapping):
    reordered = dict(reversed(list(mapping.items())))
    assert codec.encode(mapping) == codec.encode(reordered)


@given(st.dictionaries(st.text(), values, max_size=6))
def test_round_trip(mapping):
    assert codec.decode(codec.encode(mapping), dict) == mapping


def test_floats_are_refused():
    with pytest.raises(DecodeError, match="floats"):
        codec.decode(codec.encode({"amount": 1.5}), dict)


def test_non_canonical_bytes_are_refused():
    # 0xcd 0x00 0x01 is 1 encoded as uint16: valid MessagePack, not the shortest form.
    with pytest.raises(DecodeError, match="canonical"):
        codec.decode(b"\xcd\x00\x01", int)


def test_oversized_input_is_refused():
    with pytest.raises(DecodeError, match="exceeds"):
        codec.decode(b"\x00" * 100, int, max_size=10)


def test_transaction_round_trip_and_signature():
    keys = KeyPair.from_name("alice")
    signed = Transaction("c", keys.public, 3, "token", "transfer", {"amount": 5}).sign(keys)
    decoded = decode_transaction(signed.encode())
    assert decoded == signed and decoded.signature_valid()
    forged = SignedTransaction(
        Transaction("c", keys.public, 3, "token", "transfer", {"amount": 6}), signed.signature
    )
    assert not forged.signature_valid()


class _Holder(msgspec.Struct, array_like=True, frozen=True):
    name: str
    value: Any


def test_floats_are_refused_in_struct_fields_and_nested_transaction_args():
    with pytest.raises(DecodeError, match="floats"):
        codec.decode(codec.encode(_Holder("x", 1.5)), _Holder)
    with pytest.raises(DecodeError, match="floats"):
        codec.decode(codec.encode(_Holder("x", [{"a": [2.5]}])), _Holder)
    keys = KeyPair.from_name("alice")
    signed = Transaction("c", keys.public, 3, "token", "transfer", {"amount": [1.5]}).sign(keys)
    with pytest.raises(DecodeError, match="floats"):
        decode_transaction(signed.encode())


def test_transaction_hash_is_computed_once_and_never_encoded():
    keys = KeyPair.from_name("alice")
    signed = Transaction("c", keys.public, 3, "token", "transfer", {"amount": 5}).sign(keys)
    raw = signed.encode()
    assert signed.hash == sha256(raw)
    assert signed.encode() == raw  # the cached hash is no field
    decoded = decode_transaction(raw)
    assert decoded.hash == sha256(raw) and decoded == signed
    again = SignedTransaction(signed.tx, signed.signature)
    assert again == signed and again.hash == signed.hash
    other = Transaction("c", keys.public, 4, "token", "transfer", {"amount": 5}).sign(keys)
    assert other.hash != signed.hash and other != signed


@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_decoder(data):
    with contextlib.suppress(DecodeError):
        decode_transaction(data)
