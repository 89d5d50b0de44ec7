"""The trade repository read off the ledger at a block height: every repository record
paired with the derivative event it commits to, and the counterparties' attestations.

A record (``repository/r/<subject>/<seq>``) carries the hash of its event's fields; the
event itself (with every field) is in the block's receipts or hook events. Pairing is by
subject, block height and hash, so it does not depend on the order in which a block's hook
and transaction events are listed; a record with no matching event, or a reportable event
with no record, is an :class:`~glassledger.errors.IntegrityError` (the repository and the
ledger disagree, which the contracts never let happen).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from glassledger.contracts.repository import NAME as REPOSITORY
from glassledger.contracts.repository import REPORTABLE, fields_hash, subject_of
from glassledger.errors import IntegrityError
from glassledger.ledger.abc import BlockStore

_decode = msgspec.msgpack.decode
_RECORD = f"{REPOSITORY}/r/".encode()
_ATTEST = f"{REPOSITORY}/a/".encode()


@dataclass(frozen=True)
class ReportedEvent:
    """One repository record with its event's fields as the ledger holds them.

    ``time_ms`` / ``deadline_ms``: block time of the event and the last millisecond a
    counterparty's report is on time; ``reporter`` is party A (the reporting counterparty),
    ``other`` party B; ``hash`` the record's commitment to ``(event, fields)``."""

    subject: str
    seq: int
    event: str
    fields: dict[str, Any]
    height: int
    time_ms: int
    deadline_ms: int
    reporter: str
    other: str
    hash: bytes


@dataclass(frozen=True)
class RepositoryView:
    """The repository at ``height`` (block time ``time_ms``): records paired with their
    events (in ledger order) and attestations by ``(subject, seq, party)``."""

    height: int
    time_ms: int
    events: list[ReportedEvent]
    attestations: dict[tuple[str, int, str], dict[str, Any]]
    state: Mapping[bytes, bytes]

    def by_key(self) -> dict[tuple[str, int], ReportedEvent]:
        return {(e.subject, e.seq): e for e in self.events}


def repository_at(store: BlockStore, height: int | None = None) -> RepositoryView:
    """Records, their events and the attestations after block ``height`` (default: head)."""
    h = store.head_height() if height is None else height
    state = store.state_at(h)
    records: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    attestations: dict[tuple[str, int, str], dict[str, Any]] = {}
    for key, raw in state.items():
        if key.startswith(_RECORD):
            record = _decode(raw)
            records[(record["subject"], record["height"])].append(record)
        elif key.startswith(_ATTEST):
            subject, seq, party = key[len(_ATTEST) :].decode().rsplit("/", 2)
            attestations[(subject, int(seq), party)] = _decode(raw)
    pending: dict[tuple[str, int], list[tuple[bytes, dict[str, Any]]]] = defaultdict(list)
    order: dict[tuple[str, int], int] = {}
    for index, found in enumerate(store.events(0, h + 1, contract="derivative")):
        event = found.event
        if event.name not in REPORTABLE:
            continue
        fields = dict(event.data)
        group = (subject_of(fields), found.height)
        pending[group].append((fields_hash(event.name, fields), fields))
        order.setdefault(group, index)
    events: list[tuple[int, int, ReportedEvent]] = []
    for group, group_records in records.items():
        candidates = pending.pop(group, [])
        for record in sorted(group_records, key=lambda r: r["seq"]):
            match = next((i for i, (d, _) in enumerate(candidates) if d == record["hash"]), None)
            if match is None:
                raise IntegrityError(
                    f"repository record {record['subject']}/{record['seq']} "
                    f"({record['event']}, height {record['height']}) has no matching "
                    "derivative event on the ledger"
                )
            _, fields = candidates.pop(match)
            events.append(
                (
                    order.get(group, 0),
                    record["seq"],
                    ReportedEvent(
                        subject=record["subject"],
                        seq=record["seq"],
                        event=record["event"],
                        fields=fields,
                        height=record["height"],
                        time_ms=record["time_ms"],
                        deadline_ms=record["deadline_ms"],
                        reporter=record["reporter"],
                        other=record["other"],
                        hash=record["hash"],
                    ),
                )
            )
        if candidates:
            raise IntegrityError(
                f"{len(candidates)} derivative event(s) of {group[0]} at height {group[1]} "
                "have no repository record"
            )
    if pending:
        (subject, at), _ = next(iter(pending.items()))
        raise IntegrityError(
            f"derivative events of {subject} at height {at} have no repository record"
        )
    events.sort(key=lambda item: (item[2].height, item[0], item[1]))
    time_ms = store.get_block(h).header.timestamp_ms
    return RepositoryView(h, time_ms, [e for *_, e in events], attestations, state)


def participants(state: Mapping[bytes, bytes]) -> dict[str, dict[str, Any]]:
    """Identity records by participant id (legal name, LEI, roles)."""
    prefix = b"identity/p/"
    return {
        key[len(prefix) :].decode(): _decode(raw)
        for key, raw in state.items()
        if key.startswith(prefix)
    }


def decimals(state: Mapping[bytes, bytes], symbol: str) -> int:
    """Minor-unit decimals of token ``symbol`` (2 when it is not a token)."""
    raw = state.get(f"token/t/{symbol}".encode())
    return 2 if raw is None else _decode(raw)["decimals"]
