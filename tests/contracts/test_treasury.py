"""The ``treasury`` contract: issuance into custody, coupons and redemption paid in the block
hooks out of the paying agent's escrow, failure to pay, prices and yields from the oracle."""

from __future__ import annotations

import pytest

from glassledger.contracts import treasury_math as tm
from support.securities import SecuritiesChain

NOTE = "912828YK0"
BILL = "912796CX5"


@pytest.fixture
def fc() -> SecuritiesChain:
    return SecuritiesChain.create()


def _note(fc: SecuritiesChain, face: int = 1_000_000_00, fund: int = 0) -> None:
    """A 2-year 4% note issued 2025-11-15, coupons on 15 May / 15 November."""
    fc.ok(
        "ust",
        "treasury",
        "create_issue",
        cusip=NOTE,
        kind="note",
        issue_date="2025-11-15",
        maturity_date="2027-11-15",
        rate_e8=4_000_000,
    )
    fc.ok("ust", "treasury", "issue", cusip=NOTE, to="dealer-0", face=face)
    if fund:
        fc.ok("ust", "treasury", "fund", cusip=NOTE, amount=fund)


def test_coupons_and_redemption_are_paid_in_the_hooks(fc):
    _note(fc, fund=1_100_000_00)
    fc.ok("dealer-0", "token", "transfer", symbol=NOTE, to="client-0", amount=250_000_00)
    before = {w: fc.balance(w) for w in ("dealer-0", "client-0", "ust")}
    fc.advance_to("2026-05-14")
    assert fc.balance("dealer-0") == before["dealer-0"]
    fc.advance_to("2026-05-15", hour=0)
    # 4% / 2 on each holding: 2% of 750,000 and of 250,000 dollars
    assert fc.balance("dealer-0") - before["dealer-0"] == 15_000_00
    assert fc.balance("client-0") - before["client-0"] == 5_000_00
    assert fc.get("treasury", f"s/{NOTE}")["paid_coupons"] == 1
    assert fc.balance("ust") == before["ust"]  # paid from escrow, not the free balance
    # jump past two more coupon dates and maturity in one block: paid in order
    fc.advance_to("2027-11-20")
    paid = [(e.data["kind"], e.data["index"]) for e in fc.events("paid")]
    assert paid == [("coupon", 1), ("coupon", 2), ("coupon", 3), ("coupon", 4), ("redemption", 0)]
    assert fc.balance(NOTE, NOTE) == 0 and fc.balance("dealer-0", NOTE) == 0
    assert fc.supply(NOTE) == 0
    assert fc.balance("client-0") - before["client-0"] == 4 * 5_000_00 + 250_000_00
    sec = fc.get("treasury", f"s/{NOTE}")
    assert sec["state"] == "matured"
    # escrow left: 1,100,000 - 4 x 20,000 - 1,000,000 = 20,000 dollars, returned on request
    assert fc.get("token", f"l/treasury/pa/{NOTE}")["amount"] == 20_000_00
    fc.ok("ust", "treasury", "defund", cusip=NOTE, amount=20_000_00)
    assert fc.balance("ust") == before["ust"] + 20_000_00


def test_shortfall_is_a_failure_to_pay_then_paid_late(fc):
    _note(fc, fund=10_000_00)  # a coupon needs 20,000 dollars
    escrow_before = fc.get("token", f"l/treasury/pa/{NOTE}")["amount"]
    dealer_before = fc.balance("dealer-0")
    fc.advance_to("2026-05-15")
    (failure,) = fc.events("failure_to_pay")
    assert failure.data["shortfall"] == 10_000_00 and failure.data["index"] == 1
    assert fc.get("treasury", f"s/{NOTE}")["state"] == "in_arrears"
    assert fc.get("token", f"l/treasury/pa/{NOTE}")["amount"] == escrow_before  # nothing paid
    assert fc.balance("dealer-0") == dealer_before
    fc.advance_to("2026-05-16")
    assert len(fc.events("failure_to_pay")) == 1  # recorded once, retried quietly
    fc.ok("ust", "treasury", "fund", cusip=NOTE, amount=10_000_00)
    fc.commit()  # the queue is retried at the start of every block
    (paid,) = fc.events("paid")
    assert paid.data["late"] is True
    assert fc.balance("dealer-0") - dealer_before == 20_000_00
    assert fc.get("treasury", f"s/{NOTE}")["state"] == "outstanding"


def test_bill_quote_from_the_oracle(fc):
    fc.ok(
        "ust",
        "treasury",
        "create_issue",
        cusip=BILL,
        kind="bill",
        issue_date="2026-01-01",
        maturity_date="2026-04-02",
    )
    fc.ok("ust", "treasury", "issue", cusip=BILL, to="dealer-1", face=1_000_00)
    price = tm.bill_price_e8(4_975_000, 91)
    fc.post_price(BILL, price, observed_ms=fc.time_ms)
    day = fc.day
    days = tm.day_of("2026-04-02") - day
    q = _quote_at_head(fc, BILL)
    assert q["days_to_maturity"] == days
    assert q["clean_e8"] == price and q["accrued_e8"] == 0
    assert q["discount_rate_e8"] == tm.bill_discount_rate_e8(price, days)
    assert q["investment_rate_e8"] == tm.bill_investment_rate_e8(price, days, 365)


def _quote_at_head(fc: SecuritiesChain, cusip: str) -> dict:
    from glassledger.contracts.treasury import quote
    from glassledger.ledger.abi import BlockInfo, Context
    from glassledger.ledger.state import Overlay

    info = BlockInfo(
        fc.chain.height + 1, fc.time_ms, {"oracle_max_age_ms": 86_400_000}, fc.registry
    )
    ctx = Context(info, Overlay(fc.chain.state), "probe", "system", frozenset(), [])
    return quote(ctx, cusip)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"cusip": "912828YK1"}, "check digit"),
        ({"kind": "bill", "rate_e8": 0}, "a bill runs"),
        ({"maturity_date": "2025-12-15"}, "a note runs"),
        ({"issue_date": "2025-13-01"}, "YYYY-MM-DD"),
        ({"rate_e8": 0}, "coupon rate"),
    ],
)
def test_bad_terms_are_rejected_with_a_reason(fc, args, message):
    terms = {
        "cusip": NOTE,
        "kind": "note",
        "issue_date": "2025-11-15",
        "maturity_date": "2027-11-15",
        "rate_e8": 4_000_000,
    }
    receipt = fc.call("ust", "treasury", "create_issue", **(terms | args))
    assert not receipt.ok and message in receipt.message
    assert (
        fc.get("treasury", f"s/{terms['cusip'] if 'cusip' not in args else args['cusip']}") is None
    )


def test_only_the_issuer_issues_and_funds(fc):
    _note(fc)
    assert not fc.call("bank", "treasury", "issue", cusip=NOTE, to="bank", face=1).ok
    receipt = fc.call("dealer-0", "treasury", "fund", cusip=NOTE, amount=1)
    assert not receipt.ok
    assert not fc.call("ust", "treasury", "fund", cusip=NOTE, amount=10**15).ok  # no such cash


def test_note_quote_has_accrued_interest_and_yield(fc):
    _note(fc)
    fc.post_price(NOTE, 99 * tm.E8, observed_ms=fc.time_ms)
    q = _quote_at_head(fc, NOTE)
    sec = fc.get("treasury", f"s/{NOTE}")
    day = fc.day
    assert q["accrued_e8"] == tm.accrued_per_100_e8(
        4_000_000, 2, sec["schedule"], sec["issue_day"], day
    )
    assert q["full_e8"] == 99 * tm.E8 + q["accrued_e8"] > 99 * tm.E8
    assert q["yield_e8"] > 4_000_000  # below par: yield above the coupon
    price = tm.note_price_e8(4_000_000, 2, sec["schedule"], sec["issue_day"], day, q["yield_e8"])
    # one 1e-8 of yield moves this 2-year note by about 180e-8 per 100: within half a step
    assert abs(price - 99 * tm.E8) <= 100
