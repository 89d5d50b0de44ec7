"""Which authorities sign which height: the interface between the ledger and ``governance``.

The governance contract keeps the authority set at ``governance/authorities``::

    {"current": [{"id": str, "key": bytes}, ...],
     "pending": [{"id": str, "key": bytes}, ...] or None,
     "effective_height": int}

A change decided in block ``H`` is written as ``pending`` with ``effective_height = H +
delay`` (chain parameter ``authority_change_delay``, 2 by default): block ``H+1`` is still
signed by the old set, so every authority knows the signers of the next block before it
starts agreeing on it, and the new set starts at ``H + delay``. The governance contract
promotes ``pending`` to ``current`` in its ``begin_block`` hook at the effective height; this
module answers the same question without executing anything.
"""

from __future__ import annotations

from typing import Any

import msgspec

from glassledger.ledger.state import Overlay, State

AUTHORITIES_KEY = b"governance/authorities"
DEFAULT_CHANGE_DELAY = 2

_decode = msgspec.msgpack.Decoder().decode


def authority_record(state: State | Overlay) -> dict[str, Any]:
    raw = state.get(AUTHORITIES_KEY)
    if raw is None:
        return {"current": [], "pending": None, "effective_height": 0}
    return _decode(raw)


def authorities_at(state: State | Overlay, height: int) -> list[tuple[str, bytes]]:
    """``(participant id, public key)`` of the authorities that sign block ``height``, given
    the state after block ``height - 1``."""
    record = authority_record(state)
    members = record["current"]
    if record.get("pending") is not None and height >= record["effective_height"]:
        members = record["pending"]
    return [(m["id"], m["key"]) for m in members]


def authority_keys_at(state: State | Overlay, height: int) -> list[bytes]:
    return [key for _, key in authorities_at(state, height)]
