"""Decoder fuzzing: random bytes, random MessagePack values and mutated valid encodings of
every ledger record raise only DecodeError, and whatever decodes re-encodes to the same bytes
(so two nodes can never read one byte string two ways)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassledger.errors import DecodeError
from glassledger.ledger import codec
from glassledger.ledger.block import Block, BlockHeader, Certificate, CommitSeal
from glassledger.ledger.merkle import StateProof
from glassledger.ledger.state import State
from glassledger.ledger.tx import Event, Receipt, decode_transaction

RECORDS = [Block, BlockHeader, Certificate, Receipt, Event, StateProof]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _samples(dev) -> list[tuple[type, bytes]]:
    receipts = dev.commit(
        [
            dev.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=25),
            dev.tx("client-1", "token", "transfer", symbol="USD", to="client-2", amount=10**15),
        ]
    )
    block = dev.store.get_block(1)
    state = State.from_items(dev.store.load_state())
    return [
        (Block, codec.encode(block)),
        (BlockHeader, codec.encode(block.header)),
        (Certificate, codec.encode(dev.store.get_certificate(1))),
        (Receipt, codec.encode(receipts[0])),
        (Receipt, codec.encode(receipts[1])),
        (Event, codec.encode(receipts[0].events[0])),
        (StateProof, codec.encode(state.prove(b"token/b/USD/client-1"))),
        ("tx", block.txs[0].encode()),
    ]


@pytest.fixture
def samples(dev):
    """Valid encodings of each record (read-only, so shared by all Hypothesis examples)."""
    return _samples(dev)


def decode_only_typed(kind, data: bytes) -> None:
    """Decode ``data`` as ``kind``; anything but success or DecodeError fails the test."""
    try:
        value = decode_transaction(data) if kind == "tx" else codec.decode(data, kind)
    except DecodeError:
        return
    assert codec.encode(value) == data


mutation = st.tuples(
    st.sampled_from(["flip", "set", "insert", "delete", "truncate", "splice"]),
    st.integers(0, 10**6),
    st.integers(0, 255),
    st.binary(min_size=1, max_size=8),
)


def mutate(data: bytes, op: tuple[str, int, int, bytes]) -> bytes:
    kind, position, byte, chunk = op
    i = position % len(data)
    if kind == "flip":
        return data[:i] + bytes([data[i] ^ (1 << (byte % 8))]) + data[i + 1 :]
    if kind == "set":
        return data[:i] + bytes([byte]) + data[i + 1 :]
    if kind == "insert":
        return data[:i] + chunk + data[i:]
    if kind == "delete":
        return data[:i] + data[i + 1 + byte % 8 :]
    if kind == "truncate":
        return data[:i]
    return data[:i] + chunk + data[i + len(chunk) :]


@FUZZ
@given(ops=st.lists(mutation, min_size=1, max_size=4), which=st.integers(0, 7))
def test_mutated_valid_encodings_raise_only_decode_error(samples, ops, which):
    kind, data = samples[which % len(samples)]
    for op in ops:
        data = mutate(data, op) or b"\xc0"
    decode_only_typed(kind, data)


@FUZZ
@given(data=st.binary(max_size=400), kind=st.sampled_from([*RECORDS, "tx"]))
def test_random_bytes_raise_only_decode_error(data, kind):
    decode_only_typed(kind, data)


msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(max_size=8)
    | st.binary(max_size=40)
    | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=11) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=30,
)


@FUZZ
@given(value=msgpack_values, kind=st.sampled_from([*RECORDS, "tx"]))
def test_wrongly_shaped_messagepack_raises_only_decode_error(value, kind):
    import msgspec

    decode_only_typed(kind, msgspec.msgpack.encode(value))


@pytest.mark.parametrize(
    "data",
    [
        b"\x91" * 200_000 + b"\xc0",  # an array nested 200,000 deep
        b"\xdd\xff\xff\xff\xff",  # an array announcing 4 billion items
        b"\xc6\xff\xff\xff\xff",  # a binary of 4 GiB announced, none given
        b"\x93\xa1c\x00" + b"\xc4\x20" + b"\x00" * 32,  # truncated header
        codec.encode([[], [], [0, []]]),
    ],
)
def test_hostile_inputs(data):
    for kind in [*RECORDS, "tx"]:
        decode_only_typed(kind, data)


def test_a_seal_round_trips_and_a_truncated_one_does_not():
    seal = CommitSeal(b"\x01" * 32, b"\x02" * 64)
    data = codec.encode(Certificate(3, (seal,)))
    assert codec.decode(data, Certificate) == Certificate(3, (seal,))
    with pytest.raises(DecodeError):
        codec.decode(data[:-1], Certificate)


@FUZZ
@given(
    depth=st.integers(-3, 300),
    bucket=st.lists(st.tuples(st.binary(max_size=33), st.binary(max_size=33)), max_size=3),
    siblings=st.integers(0, 300),
    value=st.none() | st.binary(max_size=8),
)
def test_a_hostile_proof_is_refused_not_crashed_on(samples, depth, bucket, siblings, value):
    """Proofs arrive from untrusted parties (proof of reserves): verify answers False."""
    root = codec.decode(samples[1][1], BlockHeader).state_root
    proof = StateProof(b"token/b/USD/client-1", value, depth, bucket, [b"\x00" * 32] * siblings)
    assert proof.verify(root) is False
