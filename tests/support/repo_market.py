"""A funding market for repo tests: two Treasuries issued to the dealers, paying agents
funded, prices posted, collateral classes listed, a tri-party schedule."""

from __future__ import annotations

from glassledger.contracts import treasury_math as tm
from support.securities import SecuritiesChain

NOTE = "912828YK0"  # 2-year 4% note, 2025-11-15 .. 2027-11-15
BILL = "912796CX5"  # 26-week bill, 2026-01-01 .. 2026-07-02
BOND = "912810TM0"  # listed nowhere: ineligible
FACE = 100_000_000_00  # USD 100m face of each per dealer
NOTE_PRICE = 100 * tm.E8  # clean, per 100
BILL_PRICE = tm.bill_price_e8(4_000_000, 182)


def market(fc: SecuritiesChain | None = None) -> SecuritiesChain:
    fc = fc or SecuritiesChain.create()
    calls = [
        fc.tx(
            "ust",
            "treasury",
            "create_issue",
            cusip=NOTE,
            kind="note",
            issue_date="2025-11-15",
            maturity_date="2027-11-15",
            rate_e8=4_000_000,
        ),
        fc.tx(
            "ust",
            "treasury",
            "create_issue",
            cusip=BILL,
            kind="bill",
            issue_date="2026-01-01",
            maturity_date="2026-07-02",
        ),
        fc.tx(
            "ust",
            "treasury",
            "create_issue",
            cusip=BOND,
            kind="bond",
            issue_date="2025-11-15",
            maturity_date="2055-11-15",
            rate_e8=4_500_000,
        ),
    ]
    for dealer in ("dealer-0", "dealer-1", "dealer-2"):
        for cusip in (NOTE, BILL, BOND):
            calls.append(fc.tx("ust", "treasury", "issue", cusip=cusip, to=dealer, face=FACE))
    for cusip in (NOTE, BILL, BOND):
        calls.append(fc.tx("ust", "treasury", "fund", cusip=cusip, amount=1_000_000_000_00))
    calls += [
        fc.tx("regulator", "repo", "set_class", name="bill", haircut_bps=100),
        fc.tx("regulator", "repo", "set_class", name="note", haircut_bps=200),
        fc.tx("regulator", "repo", "set_class", name="cash", haircut_bps=0),
        fc.tx("regulator", "repo", "list_collateral", symbol=NOTE, class_name="note"),
        fc.tx("regulator", "repo", "list_collateral", symbol=BILL, class_name="bill"),
        fc.tx("regulator", "repo", "list_collateral", symbol="USD", class_name="cash"),
        fc.tx(
            "agent",
            "repo",
            "set_schedule",
            schedule="GC",
            classes=["bill", "note"],
            concentration_bps=6_000,
        ),
    ]
    receipts = fc.commit(calls)
    bad = [r.message for r in receipts if not r.ok]
    assert not bad, bad
    post_prices(fc)
    return fc


def post_prices(fc: SecuritiesChain, note: int = NOTE_PRICE, bill: int = BILL_PRICE) -> None:
    when = fc.time_ms + 1000
    txs = [
        fc.tx(
            "regulator",
            "oracle",
            "post",
            kind="price",
            key=f"UST-{cusip}",
            value=price,
            scale=8,
            observed_ms=when,
        )
        for cusip, price in ((NOTE, note), (BILL, bill))
    ]
    receipts = fc.commit(txs, when)
    assert all(r.ok for r in receipts), [r.message for r in receipts]
