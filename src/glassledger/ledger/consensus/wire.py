"""The wire: canonical packet bytes and signature checks, with the caches that make
engines sharing one process cheap.

Decoding and signature verification are pure functions of their input, so their results are
memoized process-wide: engines in one process receive the very bytes another engine encoded
(:func:`encode_packet` remembers them, so they are never decoded again), and a vote or seal
made in this process (:func:`sign_vote`, :func:`make_seal`) is known valid without a check.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from glassledger.errors import ConsensusError, GlassledgerError
from glassledger.ledger import codec
from glassledger.ledger.block import CommitSeal
from glassledger.ledger.consensus.messages import Packet, SignedVote, Vote
from glassledger.ledger.crypto import KeyPair

#: Largest accepted payload by default, in bytes (a full block of transfers is a few MB).
DEFAULT_MAX_MESSAGE_BYTES = 64 << 20


class _ValidityCache:
    """Bounded memo of signature checks (a pure function of its key). Signatures made in this
    process are entered as valid when made, so engines sharing a process never re-verify
    each other's votes."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._known: OrderedDict[tuple, bool] = OrderedDict()

    def check(self, key: tuple, verify: Callable[[], bool]) -> bool:
        valid = self._known.get(key)
        if valid is None:
            valid = self.remember(key, verify())
        return valid

    def remember(self, key: tuple, valid: bool) -> bool:
        self._known[key] = valid
        if len(self._known) > self.size:
            self._known.popitem(last=False)
        return valid


_SIGNATURES = _ValidityCache(1 << 16)


def vote_valid(signed: SignedVote) -> bool:
    """Whether ``signed`` carries its signer's valid signature (memoized)."""
    return _SIGNATURES.check((signed,), signed.valid)


def seal_valid(seal: CommitSeal, digest: bytes, round_: int) -> bool:
    """Whether ``seal`` is its signer's valid commit seal over ``digest`` decided in
    ``round_`` (memoized)."""
    return _SIGNATURES.check((seal, digest, round_), lambda: seal.valid_for(digest, round_))


def sign_vote(keys: KeyPair, vote: Vote) -> SignedVote:
    """``vote`` signed by ``keys``, entered as valid."""
    signed = SignedVote.make(keys, vote)
    _SIGNATURES.remember((signed,), True)
    return signed


def make_seal(keys: KeyPair, digest: bytes, round_: int) -> CommitSeal:
    """The commit seal of ``keys`` over ``digest`` in ``round_``, entered as valid."""
    seal = CommitSeal.make(keys, digest, round_)
    _SIGNATURES.remember((seal, digest, round_), True)
    return seal


class _PacketCache:
    """Recently decoded or encoded payloads and their packets, up to ``max_bytes`` of
    payload (decoding is a pure function of the bytes, so sharing it is safe)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._packets: OrderedDict[bytes, Packet] = OrderedDict()
        self._bytes = 0

    def get(self, payload: bytes) -> Packet | None:
        return self._packets.get(payload)

    def put(self, payload: bytes, packet: Packet) -> None:
        if payload in self._packets or len(payload) > self.max_bytes // 4:
            return
        self._packets[payload] = packet
        self._bytes += len(payload)
        while self._bytes > self.max_bytes:
            oldest, _ = self._packets.popitem(last=False)
            self._bytes -= len(oldest)


_PACKETS = _PacketCache(128 << 20)


def decode_packet(payload: bytes, max_size: int = DEFAULT_MAX_MESSAGE_BYTES) -> Packet:
    """Decode untrusted bytes into a :data:`Packet`; raise :class:`ConsensusError` for
    anything oversized or malformed. Recently seen payloads are answered from a small cache
    (engines sharing a process receive the very same bytes)."""
    if not isinstance(payload, bytes):
        raise ConsensusError(f"payload must be bytes, got {type(payload).__name__}")
    if len(payload) > max_size:
        raise ConsensusError(f"payload of {len(payload)} bytes exceeds the limit of {max_size}")
    packet = _PACKETS.get(payload)
    if packet is None:
        try:
            packet = codec.decode(payload, Packet, max_size=max_size)
        except GlassledgerError as exc:
            raise ConsensusError(f"malformed consensus payload: {exc}") from exc
        _PACKETS.put(payload, packet)
    return packet


def encode_packet(packet: Packet) -> bytes:
    """Canonical bytes of ``packet`` (remembered, so local peers need not decode them)."""
    payload = codec.encode(packet)
    _PACKETS.put(payload, packet)
    return payload
