"""Trade-repository input: a counterparty's own report of the derivative events
(``glassledger repository reconcile --report``), one row per event it reported."""

from __future__ import annotations

from glassledger.schemas._core import REQUIRED, Field, Table

DEALER_REPORT = Table(
    name="dealer_report",
    doc=(
        "A counterparty's own report of its derivative events, one row per repository "
        "record (`glassledger repository report` writes one from the ledger); "
        "reconciliation compares every field with the event the ledger holds."
    ),
    fields=(
        Field(
            "subject",
            "id",
            "the record's subject: the trade's UTI, or the netting set id for netting-set events",
            default=REQUIRED,
        ),
        Field(
            "seq", "int", "the event's number within its subject, from 0", default=REQUIRED, ge=0
        ),
        Field(
            "event",
            "id",
            "the event name (execution, valuation, variation_margin, ...)",
            default=REQUIRED,
        ),
        Field(
            "fields",
            "text",
            "the event's fields as reported: a JSON object (amounts in "
            "minor units, rates x 1e8, times in ms, as in docs/derivatives.md)",
            default=REQUIRED,
        ),
    ),
)
