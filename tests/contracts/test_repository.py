"""The trade-repository feed: every derivative event of every template makes one repository
record in the same transaction, committing to the event's fields; counterparties attest
their own reports, optionally sealed to the regulator."""

from __future__ import annotations

from collections import Counter

import pytest

from glassledger.contracts.repository import REPORTABLE, fields_hash, report_deadline_ms
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.private import seal
from support.otc import LEIS, lifecycle, otc_desk, public


def reportable_events(c) -> list:
    return [r.event for r in c.store.events(contract="derivative") if r.event.name in REPORTABLE]


@pytest.fixture(scope="module")
def day():
    c = otc_desk(leis=LEIS)
    lifecycle(c)
    return c


def records(c) -> list[dict]:
    return [value for _, value in _scan(c, "r/")]


def _scan(c, prefix: str):
    import msgspec

    full = f"repository/{prefix}".encode()
    for key, raw in c.chain.state.data.items():
        if key.startswith(full):
            yield key, msgspec.msgpack.decode(raw)


def test_every_lifecycle_event_of_every_template_is_recorded(day):
    recorded = records(day)
    kinds = Counter(r["event"] for r in recorded)
    assert set(kinds) == REPORTABLE  # every kind of event of the catalogue occurred
    executions = {r["trade_id"] for r in recorded if r["event"] == "execution"}
    assert executions == {"S", "F", "O1", "O2", "C", "T", "N", "N.n", "D"}
    templates = {day.get("derivative", f"c/{t}")["template"] for t in executions}
    assert templates == {"irs", "fx_forward", "european_option", "cds"}
    # one record per event, each committing to the event's fields as the ledger holds them
    events = reportable_events(day)
    assert len(recorded) == len(events) == day.get("repository", "count")
    assert Counter(r["hash"] for r in recorded) == Counter(
        fields_hash(e.name, e.data) for e in events
    )
    s_uti = LEIS["dealer-0"] + "S"
    s_events = sorted((r for r in recorded if r["subject"] == s_uti), key=lambda r: r["seq"])
    assert [r["event"] for r in s_events][:2] == ["execution", "reset"]
    assert [r["seq"] for r in s_events] == list(range(len(s_events)))
    assert {"payment", "maturity"} <= {r["event"] for r in s_events}
    assert {r["reporter"] for r in s_events} == {"dealer-0"}
    assert {r["other"] for r in s_events} == {"client-0"}
    closing = next(r for r in recorded if r["event"] == "early_termination")
    assert closing["subject"] == "dealer-0~client-1" and closing["uti"] == ""


def test_records_are_written_in_the_transaction_of_the_event(day):
    execution = next(r for r in records(day) if r["event"] == "execution" and r["trade_id"] == "S")
    receipts = day.store.get_receipts(execution["height"])
    assert any(
        e.name == "execution" and e.data.get("trade_id") == "S" for r in receipts for e in r.events
    )
    assert execution["time_ms"] == day.store.get_block(execution["height"]).header.timestamp_ms


def test_deadline_is_the_end_of_the_next_business_day():
    friday_noon = 1_733_486_400_000  # 2024-12-06 12:00 UTC, a Friday
    monday_end = 1_733_788_799_999  # 2024-12-09 23:59:59.999 UTC
    assert report_deadline_ms(friday_noon) == monday_end


def test_only_the_derivative_contract_records(day):
    rejected = day.call(
        "dealer-0",
        "repository",
        "record",
        event="execution",
        fields={"netting_set": "dealer-0~client-0"},
    )
    assert not rejected.ok and rejected.reason == "permission_denied"


def test_attestations_by_counterparties_only_with_envelopes_to_the_regulator(day):
    s_uti = LEIS["dealer-0"] + "S"
    first = day.get("repository", f"r/{s_uti}/0")
    digest = first["hash"]
    refused = day.call("dealer-1", "repository", "attest", reports=[[s_uti, 0, digest]])
    assert not refused.ok and "not a counterparty" in refused.message
    refused = day.call("dealer-0", "repository", "attest", reports=[[s_uti, 99, digest]])
    assert not refused.ok and "no repository record" in refused.message
    wrong = seal(
        b"report",
        {
            "dealer-0": public("dealer-0"),
            "client-0": public("client-0"),
            "regulator": public("regulator"),
        },
    )
    refused = day.call(
        "dealer-0", "repository", "attest", reports=[[s_uti, 0, digest]], envelope=wrong.to_value()
    )
    assert not refused.ok and "sealed to the regulator and the reporting party" in refused.message
    sealed = seal(b"report", {"dealer-0": public("dealer-0"), "regulator": public("regulator")})
    day.ok(
        "dealer-0", "repository", "attest", reports=[[s_uti, 0, digest]], envelope=sealed.to_value()
    )
    day.ok("client-0", "repository", "attest", reports=[[s_uti, 0, b"\x00" * 32]])
    mine = day.get("repository", f"a/{s_uti}/0/dealer-0")
    assert mine["hash"] == digest and mine["envelope_hash"] == sealed.hash
    assert mine["late"] is True  # the scenario ran for 12 days after the execution
    assert day.get("repository", f"a/{s_uti}/0/client-0")["hash"] == b"\x00" * 32
    day.ok("dealer-0", "repository", "attest", reports=[[s_uti, 0, digest]])
    assert day.get("repository", f"a/{s_uti}/0/dealer-0")["amendments"] == 1
    assert KeyPair.from_name("dealer-0").public == public("dealer-0")
