"""``repository``: the trade-repository feed on the ledger (seed 003: "the trade repository's
data quality improves because every event is on the ledger").

Every trade and lifecycle event of the ``derivative`` contract is **reported at once**: in
the same transaction (or block hook) that emits the event, ``derivative`` calls
:meth:`Repository.record`, which writes one regulator-visible repository record:

``r/<subject>/<seq>`` -> ``{"subject", "seq", "event", "uti", "trade_id", "netting_set",
"reporter", "other", "height", "time_ms", "deadline_ms", "hash"}``

* ``subject``: the trade's UTI for trade-level events, the netting set id (the collateral
  portfolio) for netting-set events (valuation, margin, default, close-out);
* ``seq``: the event's number within its subject, from 0 (``n/<subject>`` counts them);
* ``hash``: :func:`fields_hash` of the event's name and its data exactly as the ledger's
  event holds them (``netting_set`` included), so anyone holding the event can check it and
  nobody can change a reported field without the hash changing;
* ``reporter`` / ``other``: party A (the dealer or CCP: the reporting counterparty) and
  party B of the netting set;
* ``deadline_ms``: the end (23:59:59.999 UTC) of the next business day after the event (CFTC
  §45.3/§45.4 "no later than the end of the next business day"; EMIR Art. 9 "no later than
  the working day following"), on the Federal Reserve calendar of
  :mod:`~glassledger.contracts.business_days`.

The record carries no economic field in clear: what the ledger's public state already holds
(the ``derivative`` and ``trades`` records) is not repeated, and the event's fields stay in
the event (visible to the parties and the guarantor; the regulator reads every event).

**Attestation.** A counterparty reports its own view: :meth:`Repository.attest` (signed by
party A or party B of the record) carries, per record, the hash of its own report of that
event (the same :func:`fields_hash` over the fields it reported). Optionally the report
itself travels as a **private payload** (:mod:`glassledger.ledger.private`), sealed to the
regulator and the signer only, so the regulator can see field by field where a report
differs while no other copy holder reads it; the ledger keeps its hash. Attestations:
``a/<subject>/<seq>/<party>`` -> ``{"hash", "height", "time_ms", "late", "envelope_hash",
"amendments"}``; a later attestation of the same record is an amendment (counted; the last
one stands). The off-ledger reconciliation (:mod:`glassledger.reporting.reconcile`) lists
missing, late and mismatching reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glassledger.contracts.business_days import add_business_days
from glassledger.errors import CryptoError
from glassledger.ledger.abi import ANY, CONTRACT, Context, Contract, method
from glassledger.ledger.codec import encode
from glassledger.ledger.crypto import sha256
from glassledger.ledger.private import Envelope

NAME = "repository"
DERIVATIVE = "contract:derivative"
DAY_MS = 86_400_000
HASH_DOMAIN = b"glassledger/repository/fields/v1"
#: Events of ``derivative`` reported to the repository (docs/derivatives.md, event
#: catalogue). Not reported: ``proposal`` (a negotiation, not a lifecycle event) and
#: ``observation_missing`` (an operational warning).
REPORTABLE = frozenset(
    {
        "execution",
        "reset",
        "observation",
        "payment",
        "valuation",
        "variation_margin",
        "initial_margin",
        "collateral",
        "margin_call",
        "margin_call_met",
        "failure_to_pay",
        "default",
        "early_termination",
        "exercise",
        "expiry",
        "maturity",
        "settlement",
        "termination",
        "novation",
        "credit_event",
    }
)
#: Most attestations in one transaction.
MAX_ATTEST = 500


def fields_hash(event: str, fields: Mapping[str, Any]) -> bytes:
    """SHA-256 over the domain, the event name and the canonical encoding of its fields
    (keys sorted; :mod:`glassledger.ledger.codec`): the repository's commitment to what an
    event says, and what a counterparty's own report of it must reproduce."""
    return sha256(HASH_DOMAIN + encode([event, dict(fields)]))


def subject_of(fields: Mapping[str, Any]) -> str:
    """What a record is about: the trade's UTI, else its netting set (the collateral
    portfolio)."""
    return fields.get("uti") or fields["netting_set"]


def report_deadline_ms(time_ms: int) -> int:
    """The last millisecond of the next business day after ``time_ms`` (UTC)."""
    return (add_business_days(time_ms // DAY_MS, 1) + 1) * DAY_MS - 1


class Repository(Contract):
    """Trade-repository records of every derivative event, and counterparties'
    attestations; see the module docstring."""

    name = NAME

    @method(CONTRACT)
    def record(self, ctx: Context, event: str, fields: dict[str, Any]) -> None:
        """Record derivative ``event`` whose data is ``fields`` (only ``derivative`` may):
        one record, numbered within its subject, committing to the fields' hash."""
        ctx.require(ctx.caller == DERIVATIVE, "only the derivative contract reports events")
        ctx.require(event in REPORTABLE, f"event {event!r} is not reportable")
        ns_id = fields["netting_set"]
        reporter, _, other = ns_id.partition("~")
        subject = subject_of(fields)
        seq = ctx.get(f"n/{subject}", 0)
        ctx.put(f"n/{subject}", seq + 1)
        ctx.put(
            f"r/{subject}/{seq}",
            {
                "subject": subject,
                "seq": seq,
                "event": event,
                "uti": fields.get("uti", ""),
                "trade_id": fields.get("trade_id", ""),
                "netting_set": ns_id,
                "reporter": reporter,
                "other": other,
                "height": ctx.height,
                "time_ms": ctx.time_ms,
                "deadline_ms": report_deadline_ms(ctx.time_ms),
                "hash": fields_hash(event, fields),
            },
        )
        ctx.put("count", ctx.get("count", 0) + 1)

    @method(ANY)
    def attest(
        self, ctx: Context, reports: list[list[Any]], envelope: dict[str, Any] | None = None
    ) -> None:
        """Attest the signer's own reports: ``reports`` = ``[[subject, seq, hash], ...]``
        (``hash``: 32 bytes, :func:`fields_hash` of the event as the signer reported it), for
        records where the signer is party A or party B. ``envelope``, optional: the reports
        themselves sealed to the regulator and the signer only."""
        ctx.require(0 < len(reports) <= MAX_ATTEST, f"1 to {MAX_ATTEST} reports per attestation")
        envelope_hash = b""
        if envelope is not None:
            try:
                sealed = Envelope.from_value(envelope)
            except CryptoError as exc:
                ctx.require(False, str(exc))
            regulators = {
                who
                for who in sealed.keys
                if "regulator" in (ctx.read("identity", f"p/{who}") or {}).get("roles", [])
            }
            ctx.require(
                set(sealed.keys) == {ctx.origin} | regulators and len(regulators) == 1,
                "a report envelope is sealed to the regulator and the reporting party only, "
                f"got recipients {sealed.recipients}",
            )
            envelope_hash = sealed.hash
        seen = set()
        for item in reports:
            ctx.require(
                len(item) == 3
                and isinstance(item[0], str)
                and isinstance(item[1], int)
                and not isinstance(item[1], bool)
                and isinstance(item[2], bytes)
                and len(item[2]) == 32,
                f"a report is [subject, seq, 32-byte hash], got {item!r}",
            )
            subject, seq, digest = item
            ctx.require((subject, seq) not in seen, f"report {subject}/{seq} twice")
            seen.add((subject, seq))
            record = ctx.get(f"r/{subject}/{seq}")
            ctx.require(record is not None, f"no repository record {subject}/{seq}")
            ctx.require(
                ctx.origin in (record["reporter"], record["other"]),
                f"{ctx.origin} is not a counterparty of {subject}",
            )
            key = f"a/{subject}/{seq}/{ctx.origin}"
            before = ctx.get(key)
            ctx.put(
                key,
                {
                    "hash": digest,
                    "height": ctx.height,
                    "time_ms": ctx.time_ms,
                    "late": ctx.time_ms > record["deadline_ms"],
                    "envelope_hash": envelope_hash,
                    "amendments": 0 if before is None else before["amendments"] + 1,
                },
            )
        ctx.emit(
            "attested",
            visible_to=(ctx.origin,),
            party=ctx.origin,
            reports=[[s, q] for s, q, _ in reports],
            envelope=envelope,
        )
