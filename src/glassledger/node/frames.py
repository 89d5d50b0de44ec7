"""The node wire protocol: length-prefixed msgspec frames over TCP (see docs/network.md).

Every frame on the wire is a 4-byte big-endian length followed by that many bytes of
canonical msgpack (``ledger.codec``): one :data:`Frame`, a tagged array. A connection starts
with one :class:`Hello` from each side, saying who it is:

* **peers** (nodes) then send :class:`Auth`: an Ed25519 signature by the node key over both
  nonces and both keys (``glassledger/peer-handshake`` domain). Each side checks the other's
  signature and that the key is a registered participant in the on-ledger identity registry;
  a refused peer is sent :class:`Refused` with the reason and disconnected. After that every
  frame is a :class:`Signed` message: a kind, a body, a sequence number that only grows, and
  a signature over the session tag (a hash of both nonces, distinct per direction), the
  sequence number, the kind and the body. A frame with a bad signature or a sequence number
  already seen is dropped with a logged reason.
* **clients** (``glassledger tx --node``, ``glassledger network status``) send
  :class:`Hello` with role ``client`` and no key, then requests — :class:`Submit`,
  :class:`AwaitReceipts`, :class:`StatusRequest`, :class:`NonceRequest`, :class:`StateRequest`
  (read the committed state under key prefixes at a height) — each answered by one reply
  frame. Client frames are not signed (transactions carry their own signatures) except a
  :class:`StateRequest`, signed by its reader (an oracle or the regulator).

Message kinds inside :class:`Signed` are :class:`Kind`: consensus packets (the QBFT engine's
bytes, unchanged), transaction gossip, block requests and block batches for catch-up, and tip
announcements (the sender's height).
"""

from __future__ import annotations

import asyncio
import struct
from enum import IntEnum

import msgspec

from glassledger.errors import DecodeError
from glassledger.ledger import codec
from glassledger.ledger.block import Block, Certificate
from glassledger.ledger.crypto import KeyPair, sha256, verify

HANDSHAKE_DOMAIN = b"glassledger/peer-handshake"
MESSAGE_DOMAIN = b"glassledger/peer-message"
STATE_READ_DOMAIN = b"glassledger/state-read"
#: How far a state read's ``issued_ms`` may be from the node's clock.
STATE_READ_WINDOW_MS = 60_000
#: Largest frame accepted, in bytes (a block of 10,000 transfers is about 2.5 MB).
MAX_FRAME_BYTES = 64 << 20
_LENGTH = struct.Struct(">I")


class Kind(IntEnum):
    CONSENSUS = 0
    TXS = 1
    BLOCKS_REQUEST = 2
    BLOCKS = 3
    TIP = 4


class Hello(msgspec.Struct, array_like=True, frozen=True, tag=0):
    """First frame of each side. ``key`` and ``nonce`` are empty for a client."""

    role: str  # "authority", "bookkeeper" or "client"
    chain_id: str
    genesis_hash: bytes
    key: bytes = b""
    nonce: bytes = b""
    height: int = 0
    name: str = ""


class Auth(msgspec.Struct, array_like=True, frozen=True, tag=1):
    signature: bytes


class Refused(msgspec.Struct, array_like=True, frozen=True, tag=2):
    reason: str


class Signed(msgspec.Struct, array_like=True, frozen=True, tag=3):
    seq: int
    kind: int
    body: bytes
    signature: bytes


class Submit(msgspec.Struct, array_like=True, frozen=True, tag=4):
    """Client -> node: signed transactions (canonical bytes)."""

    txs: list[bytes]


class Submitted(msgspec.Struct, array_like=True, frozen=True, tag=5):
    """Node -> client, per submitted transaction: its hash and ``""`` when accepted (durably
    queued), else the refusal ``reason: message`` (malformed, wrong chain, duplicate, replay,
    mempool full)."""

    hashes: list[bytes]
    refusals: list[str]


class AwaitReceipts(msgspec.Struct, array_like=True, frozen=True, tag=6):
    hashes: list[bytes]
    timeout_ms: int = 30_000


class ReceiptInfo(msgspec.Struct, array_like=True, frozen=True):
    """Outcome of a transaction: ``height`` -1 when it was refused before any block (bad
    signature) or is still pending (``reason`` "pending")."""

    tx_hash: bytes
    height: int
    ok: bool
    reason: str
    message: str


class Receipts(msgspec.Struct, array_like=True, frozen=True, tag=7):
    receipts: list[ReceiptInfo]


class StatusRequest(msgspec.Struct, array_like=True, frozen=True, tag=8):
    pass


class Status(msgspec.Struct, array_like=True, frozen=True, tag=9):
    name: str
    role: str
    key: bytes
    height: int
    round: int
    leader: str
    authority: bool
    peers: list[str]
    mempool: int
    head_hash: bytes
    #: Participant ids of the authority set of the next height.
    authorities: list[str] = []


class NonceRequest(msgspec.Struct, array_like=True, frozen=True, tag=10):
    sender: bytes


class NonceReply(msgspec.Struct, array_like=True, frozen=True, tag=11):
    """The next nonce the sender should use: one above its last committed nonce and every
    nonce of its transactions pending at this node."""

    next_nonce: int


class StateRequest(msgspec.Struct, array_like=True, frozen=True, tag=12):
    """Client -> node: the committed state under each of ``prefixes`` (e.g.
    ``b"derivative/c/"``) after block ``height`` (-1: the node's head), keys after ``after``
    only (a page: pass the last key of the previous reply and its height). Signed by
    ``reader`` (a participant's key) at ``issued_ms`` (:func:`sign_state_request`): the node
    answers a registered, active participant with the ``oracle`` or ``regulator`` role only,
    within :data:`STATE_READ_WINDOW_MS` of its clock (the API's need-to-know policy is not
    bypassed by this port)."""

    prefixes: list[bytes]
    height: int = -1
    after: bytes = b""
    reader: bytes = b""
    issued_ms: int = 0
    signature: bytes = b""


class StateReply(msgspec.Struct, array_like=True, frozen=True, tag=13):
    """Node -> client: the height read, its block time, and ``[key, value]`` pairs in key
    order (values are canonical msgpack, as stored); ``more`` when the page is full (ask
    again from the last key); ``error`` non-empty when the height is not held (``items``
    then empty)."""

    height: int
    time_ms: int
    items: list[tuple[bytes, bytes]]
    error: str = ""
    more: bool = False


Frame = (
    Hello
    | Auth
    | Refused
    | Signed
    | Submit
    | Submitted
    | AwaitReceipts
    | Receipts
    | StatusRequest
    | Status
    | NonceRequest
    | NonceReply
    | StateRequest
    | StateReply
)


class BlocksRequest(msgspec.Struct, array_like=True, frozen=True):
    from_height: int
    max_blocks: int


class BlockBatch(msgspec.Struct, array_like=True, frozen=True):
    """Finalized blocks and their certificates from ``blocks[0].header.height`` on; the
    sender's height is ``tip``. Not trusted: each block is committed only if its certificate
    verifies and its re-execution reproduces every root."""

    blocks: list[Block]
    certificates: list[Certificate]
    tip: int


def encode_frame(frame: Frame) -> bytes:
    body = codec.encode(frame)
    return _LENGTH.pack(len(body)) + body


_decoder = msgspec.msgpack.Decoder(Frame)


def decode_frame(body: bytes) -> Frame:
    try:
        return _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise DecodeError(f"malformed frame: {exc}") from exc


async def read_frame(reader: asyncio.StreamReader, limit: int = MAX_FRAME_BYTES) -> bytes:
    """The next frame's bytes (without the length); :class:`DecodeError` when oversized,
    :class:`asyncio.IncompleteReadError` at end of stream."""
    header = await reader.readexactly(4)
    (length,) = _LENGTH.unpack(header)
    if length > limit:
        raise DecodeError(f"frame of {length} bytes exceeds the limit of {limit}")
    return await reader.readexactly(length)


# ---------------------------------------------------------------- signatures


def handshake_payload(
    chain_id: str, own_key: bytes, peer_key: bytes, own_nonce: bytes, peer_nonce: bytes
) -> bytes:
    return codec.encode([chain_id, own_key, peer_key, own_nonce, peer_nonce])


def _state_read_payload(chain_id: str, request: StateRequest) -> bytes:
    fields = [request.prefixes, request.height, request.after, request.reader, request.issued_ms]
    return codec.encode([chain_id, *fields])


def sign_state_request(
    keys: KeyPair,
    chain_id: str,
    prefixes: list[bytes],
    height: int,
    after: bytes,
    issued_ms: int,
) -> StateRequest:
    """A :class:`StateRequest` signed by ``keys`` for chain ``chain_id``."""
    request = StateRequest(prefixes, height, after, keys.public, issued_ms)
    signature = keys.sign(STATE_READ_DOMAIN, _state_read_payload(chain_id, request))
    return msgspec.structs.replace(request, signature=signature)


def state_request_valid(request: StateRequest, chain_id: str) -> bool:
    """Whether ``request`` is signed by its ``reader`` for chain ``chain_id``."""
    payload = _state_read_payload(chain_id, request)
    return verify(request.reader, STATE_READ_DOMAIN, payload, request.signature)


def sign_handshake(
    keys: KeyPair, chain_id: str, peer_key: bytes, own_nonce: bytes, peer_nonce: bytes
) -> Auth:
    payload = handshake_payload(chain_id, keys.public, peer_key, own_nonce, peer_nonce)
    return Auth(keys.sign(HANDSHAKE_DOMAIN, payload))


def handshake_valid(
    auth: Auth, chain_id: str, peer_key: bytes, own_key: bytes, peer_nonce: bytes, own_nonce: bytes
) -> bool:
    """Whether ``auth`` is ``peer_key``'s signature over this session (the peer's view)."""
    payload = handshake_payload(chain_id, peer_key, own_key, peer_nonce, own_nonce)
    return verify(peer_key, HANDSHAKE_DOMAIN, payload, auth.signature)


def session_tag(sender_nonce: bytes, receiver_nonce: bytes) -> bytes:
    """Binds a direction of one session: messages cannot be replayed into another session
    nor reflected back to their sender."""
    return sha256(b"glassledger/session" + sender_nonce + receiver_nonce)


def _message_payload(tag: bytes, seq: int, kind: int, digest: bytes) -> bytes:
    return tag + seq.to_bytes(8, "big") + bytes([kind]) + digest


def sign_message(
    keys: KeyPair, tag: bytes, seq: int, kind: int, body: bytes, digest: bytes | None = None
) -> Signed:
    """``body`` signed for one session; ``digest`` may carry ``sha256(body)`` when the same
    body goes to several peers (a proposal's block is hashed once, not once per peer)."""
    payload = _message_payload(tag, seq, kind, digest or sha256(body))
    return Signed(seq, kind, body, keys.sign(MESSAGE_DOMAIN, payload))


def message_valid(signed: Signed, key: bytes, tag: bytes) -> bool:
    payload = _message_payload(tag, signed.seq, signed.kind, sha256(signed.body))
    return verify(key, MESSAGE_DOMAIN, payload, signed.signature)
