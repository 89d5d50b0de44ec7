"""Reconciliation: every difference between what a counterparty reported and what the
ledger holds, at any block height.

A counterparty's **report** is one row per repository record it reports (:func:`own_report`
writes the honest one from the events it can read; the file format is the
``dealer_report`` table of :mod:`glassledger.schemas.repository`). It **attests** each
row's hash on the ledger (``repository.attest``; :func:`attest_items`), optionally with the
report sealed to the regulator (:func:`sealed_reports` opens those).

:func:`reconcile` lists, per record of the chosen party (default: every record's reporting
counterparty, party A):

* ``missing``: no attestation, and the record's deadline (end of the next business day)
  has passed at the height's block time;
* ``late``: attested after the deadline;
* ``hash``: the attested hash is not the record's (the reported fields differ from the
  ledger's); with the report in hand (a file or the sealed envelope), one ``field`` row per
  differing field instead, naming it with both values;
* ``field``: a reported field that differs from the ledger's (also when the attestation is
  missing but the report is given);
* ``unknown``: a report row naming no repository record, or a record of another party.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from glassledger.contracts.repository import fields_hash
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.codec import to_jsonable
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.private import Envelope, open_envelope
from glassledger.reporting.ledger import RepositoryView, repository_at
from glassledger.schemas import fail_at, read, validate
from glassledger.schemas.repository import DEALER_REPORT

KINDS = ("missing", "late", "hash", "field", "unknown")
COLUMNS = [
    "kind",
    "party",
    "subject",
    "seq",
    "event",
    "uti",
    "field",
    "ledger",
    "reported",
    "detail",
]


@dataclass(frozen=True)
class Mismatch:
    kind: str
    party: str
    subject: str
    seq: int
    event: str
    uti: str
    field: str = ""
    ledger: str = ""
    reported: str = ""
    detail: str = ""


def own_report(view: RepositoryView, party: str) -> pd.DataFrame:
    """The report ``party`` would file from its own books, which here are the ledger's
    events: one row per record where it is a counterparty (``dealer_report`` table)."""
    rows = [
        (e.subject, e.seq, e.event, json.dumps(to_jsonable(e.fields), sort_keys=True))
        for e in view.events
        if party in (e.reporter, e.other)
    ]
    return pd.DataFrame(rows, columns=DEALER_REPORT.columns)


def read_report(path: str | Path) -> pd.DataFrame:
    """A report file, checked against the ``dealer_report`` table; each ``fields`` cell must
    be a JSON object (:class:`InputError` naming the file, line and field otherwise)."""
    frame = read(path, DEALER_REPORT)
    _parse_fields(frame, str(path))
    return frame


def _parse_fields(frame: pd.DataFrame, source: str) -> list[dict[str, Any]]:
    parsed = []
    for position, text in enumerate(frame["fields"]):
        try:
            value = json.loads(text)
            ok = isinstance(value, dict)
        except ValueError:
            ok = False
        if not ok:
            mask = [i == position for i in range(len(frame))]
            fail_at(
                frame,
                mask,
                "fields",
                "is not a JSON object",
                source,
                hint='write the event\'s fields as one JSON object, e.g. {"amount": 100}',
            )
        parsed.append(value)
    seen = frame.duplicated(["subject", "seq"]).to_numpy()
    fail_at(frame, seen, "seq", "repeats a (subject, seq) already reported", source)
    return parsed


def attest_items(report: pd.DataFrame) -> list[list[Any]]:
    """``repository.attest``'s ``reports`` argument: ``[subject, seq, hash]`` per report
    row, the hash taken over the fields as reported."""
    fields = _parse_fields(report, "report")
    return [
        [subject, int(seq), fields_hash(event, f)]
        for (subject, seq, event), f in zip(
            report[["subject", "seq", "event"]].itertuples(index=False), fields, strict=True
        )
    ]


def seal_report(report: pd.DataFrame, party: str, keys: dict[str, bytes]) -> dict[str, Any]:
    """The report sealed to ``party`` and the regulator (``keys``: participant -> Ed25519
    public key, both included), as ``repository.attest``'s ``envelope`` argument."""
    from glassledger.ledger.private import seal

    payload = report.to_json(orient="records").encode()
    return seal(payload, keys).to_value()


def sealed_reports(store: BlockStore, height: int, reader: str, keys: KeyPair) -> pd.DataFrame:
    """Every report sealed in an attestation up to ``height`` that ``reader`` (the regulator,
    or the reporting party itself) can open: the ``dealer_report`` columns and ``party``
    (who attested it), the latest per ``(subject, seq, party)``."""
    columns = [*DEALER_REPORT.columns, "party"]
    frames = []
    for found in store.events(0, height + 1, contract="repository", name="attested"):
        value = found.event.data.get("envelope")
        if not value or reader not in value["keys"]:
            continue
        payload = open_envelope(Envelope.from_value(value), reader, keys)
        frame = pd.DataFrame(json.loads(payload), columns=DEALER_REPORT.columns)
        frames.append(frame.assign(party=found.event.data["party"]))
    if not frames:
        return pd.DataFrame(columns=columns)
    joined = pd.concat(frames, ignore_index=True)[columns]
    return joined.drop_duplicates(["subject", "seq", "party"], keep="last").reset_index(drop=True)


def reports_of(view: RepositoryView, sealed: pd.DataFrame, party: str | None) -> pd.DataFrame:
    """The rows of :func:`sealed_reports` that ``party`` attested (``None``: for each record,
    its reporting counterparty's), as a ``dealer_report`` table."""
    by_key = view.by_key()
    keep = [
        who == (party or getattr(by_key.get((subject, int(seq))), "reporter", None))
        for subject, seq, who in sealed[["subject", "seq", "party"]].itertuples(index=False)
    ]
    return sealed[keep][DEALER_REPORT.columns].reset_index(drop=True)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested fields as ``a.b`` paths, so a difference names the innermost field."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out |= (
                _flat(inner, f"{prefix}{key}.")
                if isinstance(inner, dict)
                else {f"{prefix}{key}": inner}
            )
        return out
    return {prefix.rstrip("."): value}


def field_differences(
    ledger: dict[str, Any], reported: dict[str, Any]
) -> list[tuple[str, str, str]]:
    """``(field, ledger value, reported value)`` for every field that differs (absent on
    one side: shown as the empty text)."""
    left, right = _flat(to_jsonable(ledger)), _flat(reported)
    out = []
    for name in sorted(set(left) | set(right)):
        if name not in right or name not in left or left[name] != right[name]:
            out.append(
                (
                    name,
                    json.dumps(left[name]) if name in left else "",
                    json.dumps(right[name]) if name in right else "",
                )
            )
    return out


def reconcile(
    view: RepositoryView, party: str | None = None, report: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every mismatch between ``party``'s reports (attestations, and ``report`` if given)
    and the ledger at the view's height; ``party=None``: each record's reporting
    counterparty. Columns :data:`COLUMNS`, in ledger order."""
    out: list[Mismatch] = []
    by_key = view.by_key()
    rows: dict[tuple[str, int], tuple[str, dict[str, Any]]] = {}
    if report is not None:
        report = validate(report, DEALER_REPORT, source="report")
        fields = _parse_fields(report, "report")
        for (subject, seq, event), f in zip(
            report[["subject", "seq", "event"]].itertuples(index=False), fields, strict=True
        ):
            rows[(subject, int(seq))] = (event, f)
    for e in view.events:
        who = party or e.reporter
        if who not in (e.reporter, e.other):
            continue
        base = {
            "party": who,
            "subject": e.subject,
            "seq": e.seq,
            "event": e.event,
            "uti": e.fields.get("uti", ""),
        }
        att = view.attestations.get((e.subject, e.seq, who))
        given = rows.pop((e.subject, e.seq), None)
        if att is None:
            if view.time_ms > e.deadline_ms:
                out.append(Mismatch("missing", **base, detail=f"due by {e.deadline_ms} ms"))
        elif att["late"]:
            out.append(
                Mismatch(
                    "late",
                    **base,
                    detail=f"attested at {att['time_ms']} ms, due by {e.deadline_ms} ms",
                )
            )
        diffs = []
        if given is not None:
            event, f = given
            diffs = field_differences({"event": e.event, **e.fields}, {"event": event, **f})
            for name, ledger, reported in diffs:
                out.append(Mismatch("field", **base, field=name, ledger=ledger, reported=reported))
        if att is not None and att["hash"] != e.hash and not diffs:
            out.append(
                Mismatch(
                    "hash",
                    **base,
                    ledger=e.hash.hex(),
                    reported=att["hash"].hex(),
                    detail="attested hash differs from the ledger's; give the report to "
                    "see which fields",
                )
            )
    for (subject, seq), (event, _) in rows.items():
        known = by_key.get((subject, seq))
        out.append(
            Mismatch(
                "unknown",
                party or "",
                subject,
                seq,
                event,
                "",
                detail="no such repository record"
                if known is None
                else f"record of {known.reporter} and {known.other}",
            )
        )
    return pd.DataFrame([asdict(m) for m in out], columns=COLUMNS)


def reconcile_at(
    store: BlockStore,
    height: int | None = None,
    party: str | None = None,
    report: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`reconcile` on the ledger at ``height`` (default: the head)."""
    return reconcile(repository_at(store, height), party, report)
