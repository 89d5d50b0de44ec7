"""The ``pool`` contract end to end on a clocked devnet: deposit, borrow, accrue, repay,
liquidate (with bad debt), bad input, caps, the trades register, and invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassledger.contracts import lending_math as lm
from glassledger.contracts.pool import debt_of, lender_claim, read_market, total_debt
from support.funding import BILL, DAY_MS, E8, GOLD, FundingChain

M = "USDPOOL"


def market(f: FundingChain) -> dict:
    return read_market(lambda key: f.get("pool", key), M)


def claim(f: FundingChain, lender: str) -> int:
    return lender_claim(market(f), f.get("pool", f"s/{M}/{lender}") or 0)


def debt(f: FundingChain, borrower: str) -> int:
    pos = f.get("pool", f"p/{M}/{borrower}")
    return 0 if pos is None else debt_of(market(f), pos["scaled_debt"])


def call(who: str, method: str, **args):
    return (who, "pool", method, {"market": M, **args})


@pytest.fixture
def f() -> FundingChain:
    chain = FundingChain()
    chain.open_market()
    return chain


def test_deposit_borrow_accrue_repay_withdraw(f):
    f.must(call("client-0", "deposit", amount=500_000_00))
    f.must(call("dealer-0", "post_collateral", symbol=BILL, amount=200_000_00))
    f.must(call("dealer-0", "borrow", amount=150_000_00))
    m = market(f)
    # utilization 30% of the 90% optimum: 4% x 30/90 = 1.3333%
    assert lm.ray_to_bps(m["rate_ray"]) == 133
    trade = f.get("trades", "tr/pool/USDPOOL/dealer-0/1")
    assert trade["status"] == "open" and trade["mtm"] == 150_000_00
    ns = f.get("trades", "ns/pool/USDPOOL/dealer-0")
    assert (ns["party_a"], ns["party_b"]) == ("bank", "dealer-0")
    assert ns["im_received"] == 198_000_00  # 200,000 face at 99: the collateral held
    f.post_prices(bill=99 * E8, step_ms=30 * DAY_MS)
    owed = debt(f, "dealer-0")
    m = market(f)
    interest = owed - 150_000_00
    # 30 days at 1.3333% a year (actual/360) on 150,000, compounded per ms: about 166.76
    assert 166_60 < interest < 166_80
    assert m["treasury"] == interest * 1_000 // 10_000
    assert claim(f, "client-0") in range(
        500_000_00 + interest - m["treasury"] - 1, 500_000_01 + interest
    )
    # the daily mark reached the register
    assert f.get("trades", "tr/pool/USDPOOL/dealer-0/1")["mtm"] >= owed - 2
    before = f.balance("dealer-0")
    f.must(call("dealer-0", "repay", amount=0))
    assert 0 <= before - f.balance("dealer-0") - owed <= 1
    assert f.get("trades", "tr/pool/USDPOOL/dealer-0/1")["status"] == "terminated"
    assert f.get("trades", "ns/pool/USDPOOL/dealer-0")["im_received"] == 0
    f.must(call("dealer-0", "release_collateral", symbol=BILL, amount=200_000_00))
    expected = claim(f, "client-0")
    f.must(call("client-0", "withdraw", amount=0))
    assert f.balance("client-0") == 1_000_000_00 - 500_000_00 + expected
    assert market(f)["cash_held"] >= market(f)["treasury"]
    f.must(("bank", "pool", "collect_reserve", {"market": M, "amount": market(f)["treasury"]}))


def test_liquidation_pays_bonus_and_protocol_fee(f):
    f.must(call("client-0", "deposit", amount=500_000_00))
    f.must(call("dealer-0", "post_collateral", symbol=BILL, amount=100_000_00))
    # 100,000 face at 99 = 99,000; LTV 90%: borrow 89,000
    f.must(call("dealer-0", "borrow", amount=89_000_00))
    f.post_prices(bill=93 * E8)  # 93,000 x 95% = 88,350 < 89,000: HF 0.9927
    bill_before = f.balance("client-1", BILL)
    f.must(
        call("client-1", "liquidate", borrower="dealer-0", collateral=BILL, debt_to_cover=10**12)
    )
    owed_before = 89_000_00  # within a cent or two after a few seconds
    repaid = f.balance("client-1") - 1_000_000_00
    assert -45_000_00 < repaid < -44_400_00  # close factor 50% (HF > 0.95, large position)
    got = f.balance("client-1", BILL) - bill_before
    # seized = repaid / 0.93 x 1.02, less 10% of the 2% bonus
    seized = -repaid * 100 * 10_200 // (93 * 10_000)
    assert abs(got + (seized - seized * 10_000 // 10_200) // 10 - seized) <= 2
    assert f.balance("bank", BILL) > 0  # the operator's protocol fee
    assert owed_before // 2 - 100 < debt(f, "dealer-0") < owed_before // 2 + 100
    assert f.get("trades", "tr/pool/USDPOOL/dealer-0/1")["status"] == "open"


def test_bad_debt_is_recorded_absorbed_then_socialized(f):
    f.must(call("client-0", "deposit", amount=100_000_00))
    f.must(call("client-1", "deposit", amount=300_000_00))
    f.must(call("dealer-0", "post_collateral", symbol=BILL, amount=100_000_00))
    f.must(call("dealer-0", "borrow", amount=89_000_00))
    f.post_prices(bill=99 * E8, step_ms=10 * DAY_MS)
    treasury = market(f)["treasury"]
    assert treasury > 0
    f.post_prices(bill=60 * E8)  # collateral 60,000 against ~89,100
    owed = debt(f, "dealer-0")
    claims = claim(f, "client-0") + claim(f, "client-1")
    receipts = f.must(
        call("client-2", "liquidate", borrower="dealer-0", collateral=BILL, debt_to_cover=10**12)
    )
    (event,) = [e for e in receipts[0].events if e.name == "deficit_created"]
    m = market(f)
    repaid = 1_000_000_00 - f.balance("client-2")
    assert event.data["amount"] == owed - repaid == m["deficit"]
    assert event.data["covered_by_reserve"] == treasury and m["treasury"] == 0
    assert m["socialized"] == m["deficit"] - treasury
    after = claim(f, "client-0") + claim(f, "client-1")
    assert claims - m["socialized"] - 2 <= after <= claims - m["socialized"]
    # pro rata: each lender lost the same fraction (within a cent)
    assert abs(claim(f, "client-1") - 3 * claim(f, "client-0")) <= 3
    assert f.get("pool", f"p/{M}/dealer-0") is None
    trade = f.get("trades", "tr/pool/USDPOOL/dealer-0/1")
    assert trade["status"] == "defaulted" and trade["recovery_bps"] == repaid * 10_000 // owed
    # every share is still redeemable for its (reduced) accounted value
    m = market(f)
    assert lender_claim(m, m["scaled_supply"]) <= m["cash_held"] + total_debt(m) - m["treasury"]
    for lender in ("client-0", "client-1"):
        f.must(call(lender, "withdraw", amount=0))


def test_bad_input_is_rejected_and_changes_nothing(f):
    f.must(call("client-0", "deposit", amount=500_000_00))
    f.must(call("dealer-0", "post_collateral", symbol=BILL, amount=100_000_00))
    f.must(call("dealer-0", "borrow", amount=50_000_00))

    def rejected(who, method, match, **args):
        (r,) = f.run(call(who, method, **args))
        assert not r.ok and match in r.message, r.message

    rejected(
        "client-1",
        "liquidate",
        "healthy",
        borrower="dealer-0",
        collateral=BILL,
        debt_to_cover=10_000_00,
    )
    rejected("dealer-1", "post_collateral", "ineligible collateral", symbol=GOLD, amount=1)
    rejected("client-0", "withdraw", "insufficient balance", amount=600_000_00)
    rejected("dealer-1", "post_collateral", "insufficient", symbol=BILL, amount=10**12)
    rejected("client-2", "deposit", "insufficient", amount=2_000_000_00)
    rejected("dealer-0", "borrow", "borrow limit", amount=40_000_00)
    rejected("dealer-0", "release_collateral", "below 1", symbol=BILL, amount=60_000_00)
    # a stale price: 2 days without an oracle post
    f.run(step_ms=2 * DAY_MS)
    rejected("dealer-0", "borrow", "stale", amount=1_00)
    rejected(
        "client-1", "liquidate", "stale", borrower="dealer-0", collateral=BILL, debt_to_cover=1_00
    )
    # rejected calls left no trace: balances, positions and shares are as before
    assert f.balance("dealer-0") == 10**11 + 50_000_00
    assert f.get("pool", f"p/{M}/dealer-0")["collateral"] == {BILL: 100_000_00}
    assert claim(f, "client-0") >= 500_000_00 and f.balance("client-2") == 1_000_000_00


def test_supply_and_borrow_caps():
    f = FundingChain()
    f.open_market(params={"supply_cap": 100_000_00, "borrow_cap": 10_000_00}, supply_cap=50_000_00)
    f.must(call("client-0", "deposit", amount=100_000_00))
    (r,) = f.run(call("client-1", "deposit", amount=1_00))
    assert not r.ok and "supply cap" in r.message
    f.must(call("dealer-0", "post_collateral", symbol=BILL, amount=50_000_00))
    (r,) = f.run(call("dealer-1", "post_collateral", symbol=BILL, amount=1))
    assert not r.ok and "collateral cap" in r.message
    (r,) = f.run(call("dealer-0", "borrow", amount=10_000_01))
    assert not r.ok and "borrow cap" in r.message
    f.must(call("dealer-0", "borrow", amount=10_000_00))


@settings(max_examples=10, deadline=None)
@given(steps=st.lists(st.integers(1, 3 * DAY_MS), min_size=1, max_size=15))
def test_accrual_is_independent_of_block_spacing(steps):
    """Two chains with the same calls; one jumps to the end in one block, the other gets
    there in blocks spaced by ``steps``. Debts agree to a cent, lender claims to a cent a
    block (the lenders' share of each accrual is rounded down)."""
    chains = [FundingChain(), FundingChain()]
    for f in chains:
        f.open_market()
        f.must(call("client-0", "deposit", amount=400_000_00))
        f.must(call("dealer-0", "post_collateral", symbol=BILL, amount=300_000_00))
        f.must(call("dealer-0", "borrow", amount=250_000_00))
    chains[0].run(step_ms=sum(steps))
    for step in steps:
        chains[1].run(step_ms=step)
    assert chains[0].ledger.time_ms == chains[1].ledger.time_ms
    assert abs(debt(chains[0], "dealer-0") - debt(chains[1], "dealer-0")) <= 1
    assert abs(claim(chains[0], "client-0") - claim(chains[1], "client-0")) <= len(steps) + 1
    assert debt(chains[0], "dealer-0") >= 250_000_00


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "deposit",
                "withdraw",
                "post",
                "release",
                "borrow",
                "repay",
                "price",
                "liquidate",
                "wait",
            ]
        ),
        st.integers(0, 3),
        st.integers(1, 300_000_00),
    ),
    min_size=5,
    max_size=25,
)


@settings(max_examples=12, deadline=None)
@given(ops=OPS)
def test_invariants_under_random_calls(ops):
    f = FundingChain()
    f.open_market()
    usd, bill = f.supply("USD"), f.supply(BILL)
    borrows = 0
    start = [("deposit", 0, 300_000_00), ("post", 1, 200_000_00), ("borrow", 1, 300_000_00)]
    for op, who_i, amount in start + ops:
        lender, borrower = f"client-{who_i}", f"dealer-{who_i}"
        if op == "deposit":
            f.run(call(lender, "deposit", amount=amount))
        elif op == "withdraw":
            f.run(call(lender, "withdraw", amount=amount % 3 and amount))
        elif op == "post":
            f.run(call(borrower, "post_collateral", symbol=BILL, amount=amount))
        elif op == "release":
            f.run(call(borrower, "release_collateral", symbol=BILL, amount=amount))
        elif op == "borrow":
            f.run(call(borrower, "borrow", amount=amount // 2))
        elif op == "repay":
            f.run(call(borrower, "repay", amount=amount % 2 and amount // 4))
        elif op == "price":
            f.post_prices(bill=(60 + amount % 45) * E8)
        elif op == "wait":
            f.post_prices(bill=99 * E8, step_ms=amount % (5 * DAY_MS))
        else:
            before = f.get("pool", f"p/{M}/{borrower}")
            m = market(f)
            (r,) = f.run(
                call(
                    "client-3",
                    "liquidate",
                    borrower=borrower,
                    collateral=BILL,
                    debt_to_cover=amount,
                )
            )
            if r.ok:  # only a position with HF < 1 can be liquidated
                price = f.get("oracle", "v/price/UST.BILL3M")["value"]
                value = before["collateral"][BILL] * price // (100 * E8)
                assert value * 9_500 < lm.BPS * debt_of(m, before["scaled_debt"]) + lm.BPS
        # cash and collateral conserved; the pool's books balance
        assert f.supply("USD") == usd and f.supply(BILL) == bill
        m = market(f)
        assert f.balance("contract:pool") == m["cash_held"]
        assert f.get("pool", f"c/{M}/{BILL}")["posted"] == sum(
            (f.get("token", f"l/pool/{M}/dealer-{i}/{BILL}") or {"amount": 0})["amount"]
            for i in range(4)
        )
        claims = lender_claim(m, m["scaled_supply"])
        assert claims + m["treasury"] <= m["cash_held"] + total_debt(m) + 1
        for i in range(4):
            pos = f.get("pool", f"p/{M}/dealer-{i}")
            if pos and pos["scaled_debt"]:
                trade = f.get("trades", f"tr/{pos['loan']}")
                assert trade["status"] == "open"
                assert f.get("trades", f"open/pool/{M}/dealer-{i}/{pos['loan']}") == 1
                borrows += 1
    assert borrows  # the register was checked against open borrows
    # with no bad debt, once borrowers repay every lender redeems its accounted value
    if market(f)["deficit"] == 0:
        for i in range(4):
            if debt(f, f"dealer-{i}"):
                f.must(
                    (
                        "bank",
                        "token",
                        "mint",
                        {"symbol": "USD", "to": f"dealer-{i}", "amount": 10**10},
                    )
                )
                f.must(call(f"dealer-{i}", "repay", amount=0))
        for i in range(4):
            if f.get("pool", f"s/{M}/client-{i}"):
                expected = claim(f, f"client-{i}")
                before = f.balance(f"client-{i}")
                f.must(call(f"client-{i}", "withdraw", amount=0))
                assert f.balance(f"client-{i}") - before == expected


def test_a_bill_from_the_treasury_contract_is_collateral(f):
    """A tokenized bill issued by ``treasury`` (priced at its oracle key ``UST-<CUSIP>`` per
    100 of face) is collateral like any token with a price."""
    from glassledger.contracts.treasury import price_key

    cusip = "912796CX5"
    f.must(
        (
            "bank",
            "treasury",
            "create_issue",
            {
                "cusip": cusip,
                "kind": "bill",
                "issue_date": "2026-01-01",
                "maturity_date": "2026-04-02",
            },
        ),
    )
    f.must(("bank", "treasury", "issue", {"cusip": cusip, "to": "dealer-2", "face": 1_000_000_00}))
    now = f.ledger.time_ms + f.step_ms
    price = {
        "kind": "price",
        "key": price_key(cusip),
        "value": 98_742_431_00,
        "scale": 8,
        "observed_ms": now,
    }
    f.must(("regulator", "oracle", "post", price))
    f.must(
        (
            "regulator",
            "pool",
            "list_collateral",
            {
                "market": M,
                "symbol": cusip,
                "terms": {"price_key": price_key(cusip), "units_per_price": 100},
            },
        ),
        call("client-0", "deposit", amount=900_000_00),
    )
    f.must(call("dealer-2", "post_collateral", symbol=cusip, amount=1_000_000_00))
    # 1,000,000 face at 98.742431 = 987,424.31; LTV 90% = 888,681.87
    (r,) = f.run(call("dealer-2", "borrow", amount=888_681_88))
    assert not r.ok and "borrow limit 88868187" in r.message
    f.must(call("dealer-2", "borrow", amount=888_681_87))
    assert f.get("token", f"l/pool/{M}/dealer-2/{cusip}")["amount"] == 1_000_000_00
