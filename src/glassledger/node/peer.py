"""Peer transport: authenticated TCP connections between node processes (asyncio).

:class:`PeerTransport` is the QBFT engine's :class:`~glassledger.ledger.abc.Transport` for a
node in its own process: ``broadcast`` and ``send`` become signed frames on the connections to
the peers (see :mod:`glassledger.node.frames` for the handshake and framing). It dials every
configured peer address, accepts connections from any address, and keeps one connection per
peer key (when two nodes dial each other at once, both keep the one dialed by the lower key).
Who may connect is decided by the node's ``admit`` callback (the on-ledger identity registry).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from glassledger.errors import DecodeError
from glassledger.ledger.abc import Transport
from glassledger.ledger.crypto import KeyPair, sha256
from glassledger.node.frames import (
    Auth,
    Frame,
    Hello,
    Kind,
    Refused,
    Signed,
    decode_frame,
    encode_frame,
    handshake_valid,
    message_valid,
    read_frame,
    session_tag,
    sign_handshake,
    sign_message,
)

log = logging.getLogger("glassledger.node.peer")

HANDSHAKE_TIMEOUT_S = 5.0
REDIAL_S = 0.3


@dataclass(eq=False)
class PeerConnection:
    """An authenticated session with one peer."""

    key: bytes
    name: str
    role: str
    address: str
    initiator: bytes
    keys: KeyPair
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    send_tag: bytes
    recv_tag: bytes
    height: int = 0
    send_seq: int = 0
    recv_seq: int = 0
    closed: bool = False
    tasks: list[asyncio.Task] = field(default_factory=list)

    def send(self, kind: Kind, body: bytes, digest: bytes | None = None) -> None:
        if self.closed:
            return
        self.send_seq += 1
        frame = sign_message(self.keys, self.send_tag, self.send_seq, kind, body, digest)
        try:
            self.writer.write(encode_frame(frame))
        except (ConnectionError, RuntimeError):
            self.closed = True

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(Exception):
            self.writer.close()


class PeerTransport(Transport):
    """Consensus messages over authenticated TCP (see the module docstring).

    ``hello()`` gives this node's :class:`Hello` (its current height); ``admit(key)`` returns
    ``None`` to admit a peer key or the refusal reason; ``on_message(conn, kind, body)``
    handles every authenticated non-consensus message; ``on_client(reader, writer, hello)``
    serves a client connection; ``on_event(event, **fields)`` writes a structured log line.
    """

    def __init__(
        self,
        keys: KeyPair,
        hello: Callable[[], Hello],
        admit: Callable[[bytes], str | None],
        on_message: Callable[[PeerConnection, int, bytes], None],
        on_client: Callable[[asyncio.StreamReader, asyncio.StreamWriter, Hello], Awaitable[None]],
        on_event: Callable[..., None],
    ) -> None:
        self.keys = keys
        self.hello = hello
        self.admit = admit
        self.on_message = on_message
        self.on_client = on_client
        self.on_event = on_event
        self.peers: dict[bytes, PeerConnection] = {}
        self._handler: Callable[[bytes, bytes], None] | None = None
        self._address_keys: dict[str, bytes] = {}
        self._tasks: set[asyncio.Task] = set()
        self._server: asyncio.Server | None = None
        self.closing = False
        self.dropped_frames = 0
        self.refused_peers = 0
        #: Test-only fault: as proposer, send a different block to half of the peers.
        self.equivocator: Callable[[bytes], bytes | None] | None = None
        #: Called with each newly authenticated connection.
        self.on_connect: Callable[[PeerConnection], None] | None = None

    # ------------------------------------------------------------------ Transport

    def register(self, key: bytes, handler: Callable[[bytes, bytes], None]) -> None:
        self._handler = handler

    def broadcast(self, sender: bytes, payload: bytes) -> None:
        peers = list(self.peers.values())
        alternative = self.equivocator(payload) if self.equivocator is not None else None
        digest = sha256(payload)
        for position, conn in enumerate(peers):
            if alternative is not None and position >= len(peers) // 2 + 1:
                conn.send(Kind.CONSENSUS, alternative)
            else:
                conn.send(Kind.CONSENSUS, payload, digest)

    def send(self, sender: bytes, recipient: bytes, payload: bytes) -> None:
        conn = self.peers.get(recipient)
        if conn is not None:
            conn.send(Kind.CONSENSUS, payload)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str, port: int, dial: list[str]) -> None:
        self._server = await asyncio.start_server(self._accepted, host, port)
        for address in dial:
            self._spawn(self._dial_loop(address))

    async def stop(self) -> None:
        """Close the listener and every connection, and end the dialers. Loops also check
        :attr:`closing`: Python 3.11's ``wait_for`` may swallow a cancellation that races
        with a completing connect, so cancelling alone could leave a dialer running."""
        self.closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self.peers.values()):
            conn.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def send_to(self, key: bytes, kind: Kind, body: bytes) -> bool:
        conn = self.peers.get(key)
        if conn is None:
            return False
        conn.send(kind, body)
        return True

    def send_all(self, kind: Kind, body: bytes, only: set[bytes] | None = None) -> None:
        digest = sha256(body)
        for key, conn in list(self.peers.items()):
            if only is None or key in only:
                conn.send(kind, body, digest)

    # ------------------------------------------------------------------ connecting

    async def _dial_loop(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        while not self.closing:
            known = self._address_keys.get(address)
            if known is None or known not in self.peers:
                try:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(host, int(port)), HANDSHAKE_TIMEOUT_S
                    )
                except (OSError, TimeoutError):
                    await asyncio.sleep(REDIAL_S)
                    continue
                if self.closing:
                    writer.close()
                    return
                await self._handshake(reader, writer, address, dialed=True)
            await asyncio.sleep(REDIAL_S)

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = f"{peer[0]}:{peer[1]}" if peer else "?"
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            await self._handshake(reader, writer, address, dialed=False)
        except asyncio.CancelledError:
            writer.close()  # stopping: end quietly (asyncio reports cancelled server tasks)

    async def _handshake(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        address: str,
        dialed: bool,
    ) -> None:
        own = self.hello()
        nonce = os.urandom(32)
        own = Hello(
            own.role, own.chain_id, own.genesis_hash, self.keys.public, nonce, own.height, own.name
        )
        try:
            writer.write(encode_frame(own))
            theirs = decode_frame(await asyncio.wait_for(read_frame(reader), HANDSHAKE_TIMEOUT_S))
            if not isinstance(theirs, Hello):
                raise DecodeError(f"expected hello, got {type(theirs).__name__}")
            if theirs.chain_id != own.chain_id or theirs.genesis_hash != own.genesis_hash:
                self._refuse(writer, address, theirs.key, "a different chain or genesis")
                return
            if theirs.role == "client":
                if dialed:
                    raise DecodeError("a dialed peer answered as a client")
                await self.on_client(reader, writer, theirs)
                return
            if len(theirs.key) != 32 or len(theirs.nonce) != 32 or theirs.key == self.keys.public:
                self._refuse(writer, address, theirs.key, "malformed hello (key or nonce)")
                return
            reason = self.admit(theirs.key)
            if reason is not None:
                self._refuse(writer, address, theirs.key, reason)
                return
            writer.write(
                encode_frame(
                    sign_handshake(self.keys, own.chain_id, theirs.key, nonce, theirs.nonce)
                )
            )
            answer = decode_frame(await asyncio.wait_for(read_frame(reader), HANDSHAKE_TIMEOUT_S))
            if isinstance(answer, Refused):
                self.on_event("refused_by_peer", peer=address, reason=answer.reason)
                writer.close()
                return
            if not isinstance(answer, Auth) or not handshake_valid(
                answer, own.chain_id, theirs.key, self.keys.public, theirs.nonce, nonce
            ):
                self._refuse(writer, address, theirs.key, "bad handshake signature")
                return
        except (DecodeError, asyncio.IncompleteReadError, OSError, TimeoutError) as exc:
            self.on_event("handshake_failed", peer=address, reason=str(exc) or type(exc).__name__)
            writer.close()
            return
        initiator = self.keys.public if dialed else theirs.key
        conn = PeerConnection(
            key=theirs.key,
            name=theirs.name,
            role=theirs.role,
            address=address,
            initiator=initiator,
            keys=self.keys,
            reader=reader,
            writer=writer,
            send_tag=session_tag(nonce, theirs.nonce),
            recv_tag=session_tag(theirs.nonce, nonce),
            height=theirs.height,
        )
        if dialed:
            self._address_keys[address] = theirs.key
        if not self._keep(conn):
            conn.close()
            return
        self.on_event(
            "peer_connected",
            peer=conn.name,
            key=conn.key.hex()[:16],
            address=address,
            peers=len(self.peers),
        )
        if self.on_connect is not None:
            self.on_connect(conn)
        await self._read_loop(conn)

    def _refuse(self, writer: asyncio.StreamWriter, address: str, key: bytes, reason: str) -> None:
        self.refused_peers += 1
        self.on_event("peer_refused", peer=address, key=key.hex()[:16], reason=reason)
        with contextlib.suppress(Exception):
            writer.write(encode_frame(Refused(reason)))
            writer.close()

    def _keep(self, conn: PeerConnection) -> bool:
        """One connection per peer key: prefer the one dialed by the lower key."""
        existing = self.peers.get(conn.key)
        if existing is not None and not existing.closed:
            lower = min(conn.key, self.keys.public)

            def preferred(c: PeerConnection) -> bool:
                return c.initiator == lower

            if preferred(existing) and not preferred(conn):
                return False
            existing.close()
        self.peers[conn.key] = conn
        return True

    async def _read_loop(self, conn: PeerConnection) -> None:
        try:
            while not conn.closed:
                body = await read_frame(conn.reader)
                try:
                    frame: Frame = decode_frame(body)
                except DecodeError as exc:
                    self._drop(conn, f"malformed frame: {exc}")
                    continue
                if not isinstance(frame, Signed):
                    self._drop(conn, f"unexpected {type(frame).__name__} frame")
                    continue
                if frame.seq <= conn.recv_seq:
                    self._drop(conn, f"replayed sequence number {frame.seq}")
                    continue
                if not message_valid(frame, conn.key, conn.recv_tag):
                    self._drop(conn, "bad signature")
                    continue
                conn.recv_seq = frame.seq
                if frame.kind == Kind.CONSENSUS:
                    if self._handler is not None:
                        self._handler(conn.key, frame.body)
                else:
                    self.on_message(conn, frame.kind, frame.body)
        except (asyncio.IncompleteReadError, ConnectionError, DecodeError, OSError):
            pass
        finally:
            conn.close()
            if self.peers.get(conn.key) is conn:
                del self.peers[conn.key]
                self.on_event("peer_disconnected", peer=conn.name, peers=len(self.peers))

    def _drop(self, conn: PeerConnection, reason: str) -> None:
        self.dropped_frames += 1
        self.on_event("frame_dropped", peer=conn.name, key=conn.key.hex()[:16], reason=reason)
