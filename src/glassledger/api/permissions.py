"""Who may see what: the permission matrix, written once as data.

Roles of the API (from the caller's roles in the identity contract, first match wins):
``regulator``; ``dealer`` (dealers, CCPs, guarantors, authorized dealers); ``client``;
``member`` (every other registered participant: issuers, oracles, settlement banks).

For each endpoint and role the matrix gives a **scope**:

* ``all``: every object;
* ``own``: only objects the caller owns (see :data:`OWNERSHIP`);
* ``public``: the endpoint shows nothing participant-specific (block headers, status);
* ``none``: refused with 403.

Ownership of an object: a transaction is its sender's; an event belongs to the participants in
its ``visible_to`` and to those its data names in a party field (:data:`PARTY_FIELDS`); a
balance or position to its holder; a netting set, and every trade and risk row in it, to its
two parties and its guarantor; a participant record to that participant.

The ledger itself hides nothing from a holder of a chain copy (docs/ledger.md): this matrix is
the need-to-know policy of the API, not confidentiality. Confidential payloads are sealed
(:mod:`glassledger.ledger.private`); the API returns their envelopes only to callers the
matrix allows, and never decrypts them: the caller's own client does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ROLES = ("regulator", "dealer", "client", "member")
SCOPES = ("all", "own", "public", "none")

#: ``endpoint -> {role: scope}`` (the OpenAPI description of each endpoint shows its row).
MATRIX: dict[str, dict[str, str]] = {
    "status": {"regulator": "public", "dealer": "public", "client": "public", "member": "public"},
    "blocks": {"regulator": "public", "dealer": "public", "client": "public", "member": "public"},
    "block": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "transactions": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "transaction": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "submit": {"regulator": "own", "dealer": "own", "client": "own", "member": "own"},
    "events": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "stream": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "participant": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "balances": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "netting_sets": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "netting_set": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "state": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "risk_exposures": {"regulator": "all", "dealer": "own", "client": "own", "member": "none"},
    "risk_ratings": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "risk_contagion": {"regulator": "all", "dealer": "none", "client": "none", "member": "none"},
    "basket": {"regulator": "public", "dealer": "public", "client": "public", "member": "public"},
    "funding_positions": {"regulator": "all", "dealer": "own", "client": "own", "member": "own"},
    "funding_market": {
        "regulator": "public",
        "dealer": "public",
        "client": "public",
        "member": "public",
    },
    "funding_concentration": {
        "regulator": "all",
        "dealer": "none",
        "client": "none",
        "member": "none",
    },
    "authorities": {
        "regulator": "public",
        "dealer": "public",
        "client": "public",
        "member": "public",
    },
    "consensus": {
        "regulator": "public",
        "dealer": "public",
        "client": "public",
        "member": "public",
    },
    "liquidity_corridor": {
        "regulator": "public",
        "dealer": "public",
        "client": "public",
        "member": "public",
    },
}

#: Event data fields that name a party of the event.
PARTY_FIELDS = (
    "participant",
    "party",
    "counterparty",
    "party_a",
    "party_b",
    "sender",
    "to",
    "holder",
    "payer",
    "payee",
    "client",
    "dealer",
    "requester",
    "borrower",
    "lender",
    "guarantor",
    "beneficiary",
    "warned",
)

#: What "own" means per kind of object (documentation; enforced by the functions below).
OWNERSHIP = {
    "transaction": "the caller signed it",
    "event": "the caller is in visible_to or named in a party field",
    "balance": "the caller holds it",
    "netting_set": "the caller is party_a, party_b or the guarantor",
    "participant": "it is the caller",
    "state key": "token balances b/<symbol>/<caller>; trades ns/<id> and tr/<id> of the "
    "caller's netting sets; identity p/<caller>",
}


def api_role(roles: Iterable[str]) -> str:
    """The API role of a participant holding ledger ``roles``."""
    roles = set(roles)
    if "regulator" in roles:
        return "regulator"
    if roles & {"dealer", "ccp", "guarantor", "authorized_dealer"}:
        return "dealer"
    if "client" in roles:
        return "client"
    return "member"


def scope(endpoint: str, role: str) -> str:
    return MATRIX[endpoint][role]


def event_owners(event: Any) -> set[str]:
    """Participants owning an event (its ``visible_to`` and party fields)."""
    owners = set(event.visible_to)
    for field in PARTY_FIELDS:
        value = event.data.get(field)
        if isinstance(value, str):
            owners.add(value)
    return owners


def netting_set_owners(record: Mapping[str, Any]) -> set[str]:
    return {p for p in (record.get("party_a"), record.get("party_b"), record.get("guarantor")) if p}


def describe(endpoint: str) -> str:
    """The matrix row of ``endpoint`` as Markdown (for the OpenAPI description)."""
    row = MATRIX[endpoint]
    return "Access: " + ", ".join(f"{role} `{row[role]}`" for role in ROLES)
