"""One finalized block as the indexer's rows (pure: no database).

Identifiers are hex strings, times milliseconds since the Unix epoch, amounts integers in
minor units; codec values become JSON (bytes as hex). ``tx_index`` is ``-1`` for the events
of the begin/end-block hooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from glassledger.errors import DecodeError
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.codec import decode, to_json

BALANCE_PREFIX = "b/"
KEY_PREFIX = "k/"


@dataclass
class BlockRows:
    """Rows of one block for each table (tuples in the tables' column order)."""

    height: int
    blocks: list[tuple] = field(default_factory=list)
    transactions: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    state_changes: list[tuple] = field(default_factory=list)
    balances: list[tuple] = field(default_factory=list)
    participant_keys: list[tuple] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(
            len(rows)
            for rows in (
                self.blocks,
                self.transactions,
                self.events,
                self.state_changes,
                self.balances,
                self.participant_keys,
            )
        )


_json = to_json


def block_rows(store: BlockStore, height: int, key_owner: dict[str, str]) -> BlockRows:
    """The rows of block ``height``. ``key_owner`` maps public keys (hex) to participant ids;
    it is updated with the keys this block registers (so senders resolve in later blocks)."""
    block = store.get_block(height)
    header = block.header
    receipts = store.get_receipts(height)
    out = BlockRows(height)
    changes = store.get_changes(height)
    for raw_key, raw_value in sorted(changes.items()):
        contract, key = _split_key(raw_key)
        value = None if raw_value is None else _value(raw_value)
        out.state_changes.append(
            (height, contract, key, None if raw_value is None else _json(value))
        )
        if contract == "token" and key.startswith(BALANCE_PREFIX):
            symbol, _, holder = key[len(BALANCE_PREFIX) :].partition("/")
            out.balances.append((height, symbol, holder, 0 if value is None else int(value)))
        elif contract == "identity" and key.startswith(KEY_PREFIX) and value is not None:
            key_owner[key[len(KEY_PREFIX) :]] = value
            out.participant_keys.append((key[len(KEY_PREFIX) :], value, height))
    ok = sum(1 for r in receipts if r.ok)
    out.blocks.append(
        (
            height,
            block.hash.hex(),
            header.prev_hash.hex(),
            header.timestamp_ms,
            header.proposer.hex(),
            len(block.txs),
            ok,
            header.state_root.hex(),
        )
    )
    seq = 0
    for event in store.get_system_events(height):
        out.events.append(_event_row(height, -1, seq, "", event))
        seq += 1
    for index, (signed, receipt) in enumerate(zip(block.txs, receipts, strict=True)):
        tx = signed.tx
        tx_hash = receipt.tx_hash.hex()
        out.transactions.append(
            (
                height,
                index,
                tx_hash,
                tx.sender.hex(),
                key_owner.get(tx.sender.hex(), ""),
                tx.nonce,
                tx.contract,
                tx.method,
                _json(tx.args),
                receipt.ok,
                receipt.reason,
                receipt.message,
            )
        )
        for event in receipt.events:
            out.events.append(_event_row(height, index, seq, tx_hash, event))
            seq += 1
    return out


def _split_key(raw: bytes) -> tuple[str, str]:
    """``(contract, key)`` of a state key; the ledger's own binary keys (``sys/nonce/<key>``)
    show their binary tail in hex."""
    contract, _, rest = raw.partition(b"/")
    if rest.isascii() and rest.decode().isprintable():
        return contract.decode(), rest.decode()
    head, _, tail = rest.partition(b"/")
    return contract.decode(), f"{head.decode()}/{tail.hex()}"


def _value(raw: bytes) -> Any:
    """A state value decoded through the codec; the ledger's raw values (nonces, block
    hashes) are kept as bytes."""
    try:
        return decode(raw, Any)
    except DecodeError:
        return raw


def _event_row(height: int, tx_index: int, seq: int, tx_hash: str, event: Any) -> tuple:
    netting_set = event.data.get("netting_set", "")
    return (
        height,
        seq,
        tx_index,
        tx_hash,
        event.contract,
        event.name,
        netting_set if isinstance(netting_set, str) else "",
        _json(event.data),
        _json(list(event.visible_to)),
    )
