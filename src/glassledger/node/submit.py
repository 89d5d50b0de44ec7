"""Submitting a transaction to a home's node: argument checks, nonce choice, the receipt.

``glassledger tx`` goes through here:

1. :func:`parse_args` turns the ``--args`` JSON into ledger values and refuses, with one
   clear line, what the ledger cannot carry: floats, integers outside the 64-bit range
   (``-2**63 .. 2**64-1``), ``"hex:"`` strings that are not hex, strings with lone
   surrogates;
2. :func:`queue_transaction` signs the transaction with the sender's next nonce, chosen
   inside the inbox's write transaction (:meth:`Inbox.push_signed`), after decoding the
   signed bytes exactly as the node will (:func:`~glassledger.ledger.tx.decode_transaction`):
   arguments nested deeper than the codec allows or a transaction over 64 KiB are refused
   here, not dropped later by the node;
3. :func:`wait_for_receipt` polls the block store (by transaction hash) and the inbox's
   refusals until the transaction has a receipt, while a node runs on the home.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from glassledger.errors import ConfigError, DecodeError, GlassledgerError, StoreError
from glassledger.ledger.tx import MAX_TX_SIZE, Transaction, decode_transaction
from glassledger.node.home import Home
from glassledger.node.inbox import Inbox

INT_MIN = -(2**63)
INT_MAX = 2**64 - 1


class ArgumentError(ConfigError):
    """``--args`` holds something the ledger cannot carry."""


def parse_args(raw: str) -> dict[str, Any]:
    """The ``--args`` JSON object as ledger values; strings ``"hex:..."`` become bytes.
    Raises :class:`ArgumentError` naming the field and the problem."""
    try:
        args = json.loads(raw)
    except (json.JSONDecodeError, ValueError) as exc:
        raise ArgumentError(f"--args is not valid JSON: {exc}") from exc
    except RecursionError:
        raise ArgumentError("--args nests too deeply") from None
    if not isinstance(args, dict):
        raise ArgumentError("--args must be a JSON object")
    return {k: _convert(v, f"--args.{_name(k)}") for k, v in args.items()}


def _name(key: str) -> str:
    return key.encode("utf-8", "backslashreplace").decode()


def _convert(value: Any, where: str) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            shown = (
                str(value) if len(str(value)) <= 30 else f"an integer of {len(str(value))} digits"
            )
            raise ArgumentError(
                f"{where}: {shown} is outside the ledger's integer range [-2**63, 2**64-1]"
            )
        return value
    if isinstance(value, float):
        raise ArgumentError(f"{where}: floats are not allowed: use integers in minor units")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ArgumentError(f"{where}: the string holds a lone surrogate (not UTF-8)") from None
        if value.startswith("hex:"):
            try:
                return bytes.fromhex(value[4:])
            except ValueError:
                raise ArgumentError(f"{where}: {value[:40]!r} is not hex after 'hex:'") from None
        return value
    if isinstance(value, list):
        return [_convert(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        for key in value:
            _convert(key, f"{where} key")
        return {k: _convert(v, f"{where}.{_name(k)}") for k, v in value.items()}
    raise ArgumentError(f"{where}: unsupported value {value!r}")


@dataclass(frozen=True)
class Queued:
    hash: bytes
    nonce: int


def queue_transaction(home: Home, contract: str, method: str, sender: str, raw_args: str) -> Queued:
    """Sign ``contract.method(args)`` as ``sender`` and queue it in the home's inbox."""
    args = parse_args(raw_args)
    keys = home.load_keys(sender)
    return queue_call(home, keys, contract, method, args)


def queue_call(home: Home, keys, contract: str, method: str, args: dict[str, Any]) -> Queued:
    """Queue a call signed by ``keys`` with the sender's next free nonce."""
    from glassledger.ledger.execution import nonce_key
    from glassledger.ledger.sqlite_store import SQLiteStore

    if not home.store.exists():
        home.open_chain().store.close()  # first use: create the store from genesis
    store = SQLiteStore.open(home.store, readonly=True)
    try:
        chain_id = store.get_header(0).chain_id

        def committed_nonce() -> int:
            raw = store.get_state(nonce_key(keys.public))
            return -1 if raw is None else int.from_bytes(raw, "big")

        signed_hash: list[bytes] = []

        def build(nonce: int) -> bytes:
            signed = Transaction(chain_id, keys.public, nonce, contract, method, args).sign(keys)
            try:
                data = signed.encode()
            except (OverflowError, TypeError, ValueError) as exc:
                raise ArgumentError(f"--args cannot be encoded: {exc}") from exc
            try:
                decode_transaction(data)  # what the node will do with these bytes
            except DecodeError as exc:
                raise ArgumentError(
                    f"the node would refuse this transaction ({len(data)} bytes, limit "
                    f"{MAX_TX_SIZE}): {exc}"
                ) from exc
            signed_hash.append(signed.hash)
            return data

        inbox = Inbox(home.inbox)
        try:
            nonce = inbox.push_signed(keys.public, committed_nonce, build)
        finally:
            inbox.close()
    finally:
        store.close()
    return Queued(signed_hash[-1], nonce)


@dataclass(frozen=True)
class TxReceipt:
    """How a queued transaction ended: in block ``height`` (ok or rejected), or refused
    before any block (``height`` None)."""

    tx_hash: bytes
    ok: bool
    reason: str
    message: str
    height: int | None

    def describe(self) -> str:
        if self.height is None:
            return f"refused before any block: {self.reason}: {self.message}"
        if self.ok:
            return f"committed in block {self.height}: ok"
        return f"rejected in block {self.height}: {self.reason}: {self.message}"


def find_receipt(home: Home, tx_hash: bytes) -> TxReceipt | None:
    """The receipt of ``tx_hash`` if it has one yet (block store, then inbox refusals)."""
    from glassledger.ledger.sqlite_store import SQLiteStore

    if home.store.exists():
        store = SQLiteStore.open(home.store, readonly=True)
        try:
            found = store.find_tx(tx_hash)
        finally:
            store.close()
        if found is not None:
            return TxReceipt(tx_hash, found.ok, found.reason, found.message, found.height)
    inbox = Inbox(home.inbox)
    try:
        refusal = inbox.refusal(tx_hash)
    finally:
        inbox.close()
    if refusal is not None:
        return TxReceipt(tx_hash, False, refusal.reason, refusal.message, None)
    return None


def wait_for_receipt(
    home: Home, tx_hash: bytes, timeout_s: float = 60.0, poll_s: float = 0.05
) -> TxReceipt | None:
    """Wait for ``tx_hash``'s receipt while a node runs on ``home``. None when no node is
    running (the transaction stays queued); :class:`StoreError` after ``timeout_s``."""
    from glassledger.node.runner import running_node

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            receipt = find_receipt(home, tx_hash)
        except GlassledgerError:
            receipt = None  # the node may be creating or recovering the store
        if receipt is not None:
            return receipt
        if running_node(home) is None:
            return find_receipt(home, tx_hash)
        if time.monotonic() > deadline:
            raise StoreError(
                f"no receipt for {tx_hash.hex()} after {timeout_s:g} s; it is still queued "
                "(check again with `glassledger receipt`)"
            )
        time.sleep(poll_s)
