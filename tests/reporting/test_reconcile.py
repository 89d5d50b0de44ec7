"""Reconciliation of counterparties' reports against the ledger: a tampered report is caught
with its UTI and field, missing and late reports are listed, sealed reports are opened by
the regulator; and the repository holds exactly one record per ledger lifecycle event."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassledger.contracts.derivatives.terms import DAY_MS
from glassledger.contracts.repository import REPORTABLE
from glassledger.errors import InputError
from glassledger.ledger.crypto import KeyPair
from glassledger.reporting.ledger import repository_at
from glassledger.reporting.reconcile import (
    attest_items,
    own_report,
    read_report,
    reconcile,
    reports_of,
    seal_report,
    sealed_reports,
)
from support.otc import LEIS, otc_desk, post, post_marks, public, trade

UTI = LEIS["dealer-0"] + "S"
FIXINGS = [
    ("rate", "SOFR", 4_000_000),
    ("price", "SPX", 510_000_000_000),
    ("fx", "EUR/USD", 110_000_000),
]


def swap_desk():
    c = otc_desk(leis=LEIS)
    trade(c, "S", "irs", {}, 1_000_000_00, "pay_fixed", "client-0", {"dealer-0": 4_100_000})
    return c


def tampered(report, subject=UTI, event="execution", field="notional", value=2_000_000_00):
    report = report.copy()
    at = report.index[(report["subject"] == subject) & (report["event"] == event)][0]
    fields = json.loads(report.at[at, "fields"])
    fields[field] = value
    report.at[at, "fields"] = json.dumps(fields, sort_keys=True)
    return report


def test_a_tampered_report_is_caught_naming_the_uti_and_the_field():
    c = swap_desk()
    report = tampered(own_report(repository_at(c.store), "dealer-0"))
    c.ok("dealer-0", "repository", "attest", reports=attest_items(report))
    view = repository_at(c.store)
    # with the report in hand: the field, both values
    found = reconcile(view, "dealer-0", report)
    assert len(found) == 1, found
    hit = found.iloc[0]
    assert (hit["kind"], hit["uti"], hit["field"]) == ("field", UTI, "notional")
    assert (hit["ledger"], hit["reported"]) == ("100000000", "200000000")
    # from the attestations alone: the record whose hash differs
    alone = reconcile(view, "dealer-0")
    assert alone[["kind", "uti", "event"]].values.tolist() == [["hash", UTI, "execution"]]
    # the honest report reconciles cleanly
    assert reconcile(view, "dealer-0", own_report(view, "dealer-0")).empty is False  # hashes
    c.ok("dealer-0", "repository", "attest", reports=attest_items(own_report(view, "dealer-0")))
    view = repository_at(c.store)
    assert reconcile(view, "dealer-0", own_report(view, "dealer-0")).empty


def test_missing_and_late_reports():
    c = swap_desk()
    report = own_report(repository_at(c.store), "dealer-0")
    c.advance(5 * DAY_MS)
    view = repository_at(c.store)
    missing = reconcile(view, "dealer-0")
    assert set(missing["kind"]) == {"missing"} and len(missing) == len(report)
    assert UTI in set(missing["uti"])
    c.ok("dealer-0", "repository", "attest", reports=attest_items(report))
    late = reconcile(repository_at(c.store), "dealer-0")
    assert set(late["kind"]) == {"late"} and len(late) == len(report)
    # the client's side: it attested nothing either
    assert set(reconcile(repository_at(c.store), "client-0")["kind"]) == {"missing"}


def test_a_sealed_report_is_opened_by_the_regulator_only():
    c = swap_desk()
    report = tampered(own_report(repository_at(c.store), "dealer-0"), field="price", value=1)
    envelope = seal_report(
        report, "dealer-0", {"dealer-0": public("dealer-0"), "regulator": public("regulator")}
    )
    c.ok("dealer-0", "repository", "attest", reports=attest_items(report), envelope=envelope)
    opened = sealed_reports(c.store, c.height, "regulator", KeyPair.from_name("regulator"))
    assert len(opened) == len(report) and set(opened["party"]) == {"dealer-0"}
    view = repository_at(c.store)
    assert reports_of(view, opened, "client-0").empty  # not what the client attested
    found = reconcile(view, "dealer-0", reports_of(view, opened, "dealer-0"))
    assert found[["kind", "uti", "field"]].values.tolist() == [["field", UTI, "price"]]
    assert sealed_reports(c.store, c.height, "client-0", KeyPair.from_name("client-0")).empty
    raw = b"".join(r.tx_hash for r in c.store.get_receipts(c.height))
    assert b"4100000" not in raw


def test_unknown_rows_and_a_bad_report_file(tmp_path):
    c = swap_desk()
    report = own_report(repository_at(c.store), "dealer-0")
    extra = report.iloc[:1].assign(subject="nope")
    found = reconcile(repository_at(c.store), "dealer-0", pd.concat([report, extra]))
    assert "unknown" in set(found["kind"])
    bad = tmp_path / "r.csv"
    bad.write_text("subject,seq,event,fields\nX,0,execution,not json\n")
    with pytest.raises(InputError, match="fields"):
        read_report(bad)


OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("trade"),
            st.sampled_from(["irs", "fx_forward", "european_option", "cds"]),
            st.sampled_from(["client-0", "client-1"]),
        ),
        st.tuples(st.just("mark"), st.integers(-20_000_00, 20_000_00)),
        st.tuples(st.just("post"), st.integers(1, 50_000_00)),
        st.tuples(st.just("wait"), st.integers(1, 40)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_one_record_per_ledger_lifecycle_event(ops):
    c = otc_desk()
    made: list[str] = []
    for op in ops:
        if op[0] == "trade":
            _, template, client = op
            ns = c.get("derivative", f"ns/dealer-0~{client}")
            if ns is not None and ns["state"] != "active":
                continue  # closed out after a default: no new trade under it
            rfq = f"R{len(made)}"
            params = {
                "irs": {"period_days": 10, "periods": 2},
                "fx_forward": {"pair": "EUR/USD", "value_date_ms": c.time_ms + 15 * DAY_MS},
                "european_option": {
                    "underlying": "price:SPX",
                    "strike_e8": 500_000_000_000,
                    "expiry_ms": c.time_ms + 15 * DAY_MS,
                },
                "cds": {"reference": "ACME", "maturity_ms": c.time_ms + 360 * DAY_MS},
            }[template]
            price = {
                "irs": 4_000_000,
                "fx_forward": 108_000_000,
                "european_option": 1_000_00,
                "cds": 100,
            }[template]
            notional = 10 if template == "european_option" else 100_000_00
            side = "pay_fixed" if template == "irs" else "buy"
            post(c, "rate", "SOFR", 5_000_000)  # an execution needs a fresh fixing
            trade(c, rfq, template, params, notional, side, client, {"dealer-0": price})
            made.append(rfq)
        elif op[0] == "mark" and made:
            post_marks(c, {t: op[1] for t in made})
        elif op[0] == "post":
            # refused once the netting set is closed out: a rejected transaction records nothing
            c.call(
                "client-0", "derivative", "post_collateral", counterparty="dealer-0", amount=op[1]
            )
        elif op[0] == "wait":
            c.advance(op[1] * DAY_MS // 4)
            for kind, key, value in FIXINGS:  # scheduled events find fresh data
                post(c, kind, key, value)
    events = [r for r in c.store.events(contract="derivative") if r.event.name in REPORTABLE]
    view = repository_at(c.store)  # pairs every record with exactly one event, or raises
    assert len(view.events) == len(events) == (c.get("repository", "count") or 0)
    assert sorted((e.height, e.event) for e in view.events) == sorted(
        (r.height, r.event.name) for r in events
    )
