"""Client side of the node protocol: submit transactions, wait for receipts, ask for status,
read the committed state under key prefixes.

One TCP connection to any node; requests and replies are :mod:`glassledger.node.frames`
frames, one reply per request, in order. Used by ``glassledger tx --node``, ``glassledger
network status``, the tests and the benchmarks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from glassledger.errors import ConfigError, DecodeError
from glassledger.ledger.crypto import KeyPair
from glassledger.node.config import parse_address
from glassledger.node.frames import (
    AwaitReceipts,
    Frame,
    Hello,
    NonceReply,
    NonceRequest,
    ReceiptInfo,
    Receipts,
    Refused,
    StateReply,
    Status,
    StatusRequest,
    Submit,
    Submitted,
    decode_frame,
    encode_frame,
    read_frame,
    sign_state_request,
)


class NodeClient:
    """``async with NodeClient(address, chain_id, genesis_hash) as client: ...``.

    ``chain_id`` and ``genesis_hash`` may be left empty only for :meth:`status` on a node
    that would then refuse the connection; pass the network's values (``network status``
    reads them from the genesis)."""

    def __init__(self, address: str, chain_id: str, genesis_hash: bytes, name: str = "client"):
        self.address = address
        self.chain_id = chain_id
        self.genesis_hash = genesis_hash
        self.name = name
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> NodeClient:
        host, port = parse_address(self.address)
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), 5.0
            )
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach node {self.address}: {exc}") from exc
        self._writer.write(
            encode_frame(Hello("client", self.chain_id, self.genesis_hash, name=self.name))
        )
        hello = decode_frame(await read_frame(self._reader))
        if isinstance(hello, Refused):
            raise ConfigError(f"node {self.address} refused the connection: {hello.reason}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()

    async def _ask(self, frame: Frame) -> Frame:
        assert self._reader is not None and self._writer is not None
        self._writer.write(encode_frame(frame))
        await self._writer.drain()
        try:
            return decode_frame(await read_frame(self._reader))
        except asyncio.IncompleteReadError as exc:
            raise ConfigError(f"node {self.address} closed the connection") from exc

    async def submit(self, txs: Sequence[bytes]) -> Submitted:
        reply = await self._ask(Submit(list(txs)))
        if not isinstance(reply, Submitted):
            raise DecodeError(f"expected Submitted, got {type(reply).__name__}")
        return reply

    async def receipts(
        self, hashes: Sequence[bytes], timeout_ms: int = 30_000
    ) -> list[ReceiptInfo]:
        reply = await self._ask(AwaitReceipts(list(hashes), timeout_ms))
        if not isinstance(reply, Receipts):
            raise DecodeError(f"expected Receipts, got {type(reply).__name__}")
        return reply.receipts

    async def status(self) -> Status:
        reply = await self._ask(StatusRequest())
        if not isinstance(reply, Status):
            raise DecodeError(f"expected Status, got {type(reply).__name__}")
        return reply

    async def next_nonce(self, sender: bytes) -> int:
        reply = await self._ask(NonceRequest(sender))
        if not isinstance(reply, NonceReply):
            raise DecodeError(f"expected NonceReply, got {type(reply).__name__}")
        return reply.next_nonce

    async def read_state(
        self, keys: KeyPair, prefixes: Sequence[bytes], height: int = -1
    ) -> StateReply:
        """The committed state under ``prefixes`` after block ``height`` (-1: the head), all
        pages of it at the one height the first page was read at, as one reply; each page is
        asked for signed by ``keys`` (an oracle's or the regulator's: the node refuses other
        readers). :class:`ConfigError` with the node's reason when it cannot answer."""
        items: list[tuple[bytes, bytes]] = []
        after = b""
        while True:
            issued_ms = time.time_ns() // 1_000_000
            request = sign_state_request(
                keys, self.chain_id, list(prefixes), height, after, issued_ms
            )
            reply = await self._ask(request)
            if not isinstance(reply, StateReply):
                raise DecodeError(f"expected StateReply, got {type(reply).__name__}")
            if reply.error:
                raise ConfigError(f"node {self.address} cannot read the state: {reply.error}")
            items += reply.items
            if not reply.more or not reply.items:
                return StateReply(reply.height, reply.time_ms, items)
            height, after = reply.height, reply.items[-1][0]


def node_status(address: str, chain_id: str, genesis_hash: bytes) -> Status:
    async def ask() -> Status:
        async with NodeClient(address, chain_id, genesis_hash) as client:
            return await client.status()

    return asyncio.run(ask())


async def submit_calls(
    client: NodeClient, keys, calls: Sequence[tuple[str, str, dict]], wait_s: float = 30.0
) -> list[ReceiptInfo]:
    """Sign ``(contract, method, args)`` calls with ``keys`` at consecutive nonces (the
    first from the node), submit them in one frame and wait up to ``wait_s`` for their
    receipts. A refusal at the door (duplicate, replay, malformed) raises
    :class:`ConfigError` with the node's reason."""
    from glassledger.ledger.tx import Transaction

    nonce = await client.next_nonce(keys.public)
    signed = [
        Transaction(client.chain_id, keys.public, nonce + i, contract, method, args).sign(keys)
        for i, (contract, method, args) in enumerate(calls)
    ]
    reply = await client.submit([tx.encode() for tx in signed])
    for refusal in reply.refusals:
        if refusal:
            raise ConfigError(f"node {client.address} refused the transaction: {refusal}")
    return await client.receipts([tx.hash for tx in signed], int(wait_s * 1000))


def submit_and_wait(
    home, address: str, keys, contract: str, method: str, args: dict, wait_s: float = 30.0
) -> ReceiptInfo:
    """Sign ``contract.method(args)`` with ``keys`` (nonce from the node), submit it to the
    node at ``address`` and wait up to ``wait_s`` for its receipt (see :func:`submit_calls`)."""
    from glassledger.node.network import chain_identity

    home.load_genesis()  # a clear error when ``home`` is not a glassledger home
    chain_id, genesis_hash = chain_identity(home.path)

    async def go() -> ReceiptInfo:
        async with NodeClient(address, chain_id, genesis_hash) as client:
            (receipt,) = await submit_calls(client, keys, [(contract, method, args)], wait_s)
            return receipt

    return asyncio.run(go())
