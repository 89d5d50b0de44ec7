"""The trades register: only contracts write it; events name the netting sets they touch."""

from __future__ import annotations

import pytest

from support.desk import DAY_MS, DeskChain


@pytest.fixture
def desk() -> DeskChain:
    return DeskChain.create()


def test_booking_records_netting_set_and_trade(desk):
    (r,) = desk.run(
        (
            "dealer-0",
            "book",
            {
                "netting_set": "ns1",
                "counterparty": "client-0",
                "trade_id": "t1",
                "notional": 1_000_000_00,
                "days": 365,
            },
        )
    )
    assert r.ok, r.message
    names = [e.name for e in r.events]
    assert names == ["netting_set_opened", "trade_recorded"]
    assert all(e.data["netting_set"] == "ns1" for e in r.events)
    assert set(r.events[0].visible_to) == {"dealer-0", "client-0"}


def test_participants_cannot_write_the_register_directly(desk):
    tx = desk.tx("dealer-0", "trades", "mark", trade_id="t1", mtm=5)
    (r,) = desk.commit([tx])
    assert r.reason == "permission_denied"


def test_closing_event_carries_the_rating_tuple(desk):
    desk.run(
        (
            "dealer-0",
            "book",
            {
                "netting_set": "ns1",
                "counterparty": "client-0",
                "trade_id": "t1",
                "notional": 500_00,
                "days": 30,
            },
        )
    )
    (r,) = desk.run(
        ("dealer-0", "close", {"trade_id": "t1", "outcome": "defaulted", "recovery_bps": 4000})
    )
    assert r.ok, r.message
    data = r.events[0].data
    assert (data["party"], data["counterparty"], data["defaulted"]) == (
        "dealer-0",
        "client-0",
        True,
    )
    assert data["recovery_bps"] == 4000 and data["tenor_ms"] == DAY_MS
    (again,) = desk.run(("dealer-0", "mark", {"trade_id": "t1", "mtm": 1}))
    assert not again.ok and "defaulted" in again.message
