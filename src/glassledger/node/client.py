"""Client side of the node protocol: submit transactions, wait for receipts, ask for status.

One TCP connection to any node; requests and replies are :mod:`glassledger.node.frames`
frames, one reply per request, in order. Used by ``glassledger tx --node``, ``glassledger
network status``, the tests and the benchmarks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from glassledger.errors import ConfigError, DecodeError
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
    Status,
    StatusRequest,
    Submit,
    Submitted,
    decode_frame,
    encode_frame,
    read_frame,
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


def node_status(address: str, chain_id: str, genesis_hash: bytes) -> Status:
    async def ask() -> Status:
        async with NodeClient(address, chain_id, genesis_hash) as client:
            return await client.status()

    return asyncio.run(ask())


def submit_and_wait(
    home, address: str, keys, contract: str, method: str, args: dict, wait_s: float = 30.0
) -> ReceiptInfo:
    """Sign ``contract.method(args)`` with ``keys`` (nonce from the node), submit it to the
    node at ``address`` and wait up to ``wait_s`` for its receipt. A refusal at the door
    (duplicate, replay, malformed) raises :class:`ConfigError` with the node's reason."""
    from glassledger.contracts.registry import standard_registry
    from glassledger.ledger.tx import Transaction
    from glassledger.node.genesis import build_genesis

    genesis = home.load_genesis()
    genesis_hash = build_genesis(genesis, standard_registry())[0].hash

    async def go() -> ReceiptInfo:
        async with NodeClient(address, genesis.chain_id, genesis_hash) as client:
            nonce = await client.next_nonce(keys.public)
            signed = Transaction(genesis.chain_id, keys.public, nonce, contract, method, args)
            signed = signed.sign(keys)
            reply = await client.submit([signed.encode()])
            if reply.refusals[0]:
                raise ConfigError(f"node {address} refused the transaction: {reply.refusals[0]}")
            (receipt,) = await client.receipts([signed.hash], int(wait_s * 1000))
            return receipt

    return asyncio.run(go())
