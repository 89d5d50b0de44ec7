"""End-to-end repo lifecycles through the chain: DvP opening, repurchase with interest,
margin call met and missed (default, collateral kept and sold, claim), substitution,
rollover, open repos, tri-party allocation, and bad input rejected with nothing changed."""

from __future__ import annotations

import pytest

from glassledger.contracts import repo_book as rb
from glassledger.contracts import treasury_math as tm
from support.repo_market import BILL, BOND, NOTE, market, post_prices
from support.securities import SecuritiesChain

CASH = 10_000_000_00  # USD 10m
FACE = 10_500_000_00
SELLER, BUYER = "dealer-0", "fund-0"


@pytest.fixture
def fc() -> SecuritiesChain:
    return market()


def _open(fc, repo_id="R1", term_days=7, rate_bps=530, collateral=None, **terms):
    fc.ok(
        SELLER,
        "repo",
        "propose",
        repo_id=repo_id,
        side="seller",
        counterparty=BUYER,
        cash=CASH,
        rate_bps=rate_bps,
        term_days=term_days,
        collateral=collateral or {NOTE: FACE},
        **terms,
    )
    return fc.ok(BUYER, "repo", "accept", repo_id=repo_id)


def _snapshot(fc):
    return {
        "cash": (fc.balance(SELLER), fc.balance(BUYER)),
        "note": (fc.balance(SELLER, NOTE), fc.balance(BUYER, NOTE)),
        "repos": [fc.get("repo", f"r/R{i}") for i in range(1, 3)],
        "trades": fc.get("trades", "ns/repo/fund-0/dealer-0"),
    }


def test_open_and_repurchase_with_interest(fc):
    seller_cash, buyer_cash = fc.balance(SELLER), fc.balance(BUYER)
    seller_note = fc.balance(SELLER, NOTE)
    receipt = _open(fc)
    settled = [e for e in receipt.events if e.name == "settled"]
    assert len(settled) == 1 and len(settled[0].data["legs"]) == 2  # DvP: one batch, two legs
    assert fc.balance(SELLER) == seller_cash + CASH
    assert fc.balance(BUYER) == buyer_cash - CASH
    assert fc.balance(SELLER, NOTE) == seller_note - FACE
    assert fc.get("token", "l/repo/R1/c/" + NOTE)["amount"] == FACE
    trade = fc.get("trades", "tr/repo/R1")
    assert trade["status"] == "open" and trade["notional"] == CASH
    opened_day = fc.day
    fc.advance_to(tm.iso_of(opened_day + 3))
    fc.ok(SELLER, "repo", "repurchase", repo_id="R1")
    interest = CASH * 530 * 3 // 3_600_000  # actual/360, 3 days
    assert fc.balance(BUYER) == buyer_cash + interest
    assert fc.balance(SELLER) == seller_cash - interest
    assert fc.balance(SELLER, NOTE) == seller_note
    assert fc.get("trades", "tr/repo/R1")["status"] == "matured"
    assert fc.get("repo", "r/R1")["state"] == "closed"


def test_margin_call_met(fc):
    _open(fc, threshold=10_000_00, mta=1_000_00)
    post_prices(fc, note=96 * tm.E8)  # the intraday price re-marks the repos holding NOTE
    calls = fc.events("margin_call")
    assert len(calls) == 1 and calls[0].data["repo_id"] == "R1"
    record = fc.get("repo", "r/R1")
    assert record["state"] == "called" and record["call"]["state"] == "issued"
    deficit = calls[0].data["deficit"]
    assert deficit > 10_000_00
    assert fc.get("trades", "tr/repo/R1")["mtm"] == calls[0].data["requirement"]
    # the seller meets it with cash (class "cash", no haircut)
    receipt = fc.ok(SELLER, "repo", "post_margin", repo_id="R1", symbol="USD", amount=deficit)
    assert "margin_met" in [e.name for e in receipt.events]
    record = fc.get("repo", "r/R1")
    assert record["state"] == "open" and record["call"] is None
    assert record["collateral"]["USD"] == deficit
    fc.advance_to(tm.iso_of(fc.day + 1))  # the deadline passes: no default
    assert not fc.events("default")
    fc.ok(SELLER, "repo", "repurchase", repo_id="R1")
    assert fc.get("token", "l/repo/R1/c/USD") is None  # cash margin returned


def test_margin_call_missed_default_collateral_kept_and_sold(fc):
    buyer_cash = fc.balance(BUYER)
    _open(fc)
    post_prices(fc, note=90 * tm.E8)
    (call,) = fc.events("margin_call")
    fc.commit([], call.data["deadline_ms"] + 1)
    (default,) = fc.events("default")
    assert default.data["reason"] == "margin_call_missed" and default.data["defaulter"] == SELLER
    record = fc.get("repo", "r/R1")
    assert record["state"] == "defaulted"
    assert fc.balance(BUYER, NOTE) == FACE  # the buyer keeps the collateral
    claim = fc.get("repo", "claim/R1")
    assert claim["creditor"] == BUYER and claim["debtor"] == SELLER
    assert claim["amount"] == claim["due"] - claim["collateral_value"] > 0
    trade = fc.get("trades", "tr/repo/R1")
    assert trade["status"] == "defaulted"
    assert trade["recovery_bps"] == claim["collateral_value"] * 10_000 // claim["due"]
    # the buyer sells the collateral to another dealer: DvP through a second repo contract
    # is not needed, a plain sale is two transfers
    fc.ok(BUYER, "token", "transfer", symbol=NOTE, to="dealer-1", amount=FACE)
    fc.ok("dealer-1", "token", "transfer", symbol="USD", to=BUYER, amount=claim["collateral_value"])
    assert fc.balance(BUYER) == buyer_cash - CASH + claim["collateral_value"]


def test_repurchase_missed_is_a_default(fc):
    _open(fc, term_days=1)
    fc.advance_to(tm.iso_of(fc.day + 1))  # maturity day: repurchase still possible
    assert not fc.events("default")
    post_prices(fc)
    fc.advance_to(tm.iso_of(fc.day + 1), hour=1)
    (default,) = fc.events("default")
    assert default.data["reason"] == "repurchase_missed"
    claim = fc.get("repo", "claim/R1")
    assert claim["creditor"] == SELLER  # collateral worth more than due: the excess is owed back
    assert fc.get("trades", "tr/repo/R1")["recovery_bps"] == 10_000


def test_substitution(fc):
    _open(fc)
    bill_face = 10_400_000_00
    fc.ok(
        SELLER,
        "repo",
        "substitute",
        repo_id="R1",
        out_symbol=NOTE,
        out_amount=FACE,
        in_symbol=BILL,
        in_amount=bill_face,
    )
    record = fc.get("repo", "r/R1")
    assert record["collateral"] == {BILL: bill_face}
    assert fc.get("token", "l/repo/R1/c/" + NOTE) is None
    assert fc.get("repo", "ix/" + NOTE) is None
    assert rb.decode_index_value(fc.get("repo", "ix/" + BILL)) == {"0": 1}
    before = _snapshot(fc)
    receipt = fc.call(
        SELLER,
        "repo",
        "substitute",
        repo_id="R1",
        out_symbol=BILL,
        out_amount=bill_face,
        in_symbol=NOTE,
        in_amount=9_000_000_00,
    )
    assert not receipt.ok and "below the requirement" in receipt.message
    assert _snapshot(fc) == before


def test_rollover_capitalizes_interest(fc):
    _open(fc, term_days=2)
    fc.advance_to(tm.iso_of(fc.day + 2))
    post_prices(fc)
    fc.ok(SELLER, "repo", "rollover", repo_id="R1", term_days=5, rate_bps=550)
    assert fc.get("repo", "r/R1")["roll"]["by"] == SELLER
    fc.ok(BUYER, "repo", "rollover", repo_id="R1", term_days=5, rate_bps=550)
    record = fc.get("repo", "r/R1")
    assert record["cash"] == CASH + CASH * 530 * 2 // 3_600_000
    assert record["rate_bps"] == 550 and record["maturity_day"] == fc.day + 5
    assert fc.get("trades", "tr/repo/R1")["status"] == "matured"
    assert fc.get("trades", "tr/repo/R1/1")["status"] == "open"
    fc.advance_to(tm.iso_of(fc.day + 5))
    post_prices(fc)
    fc.ok(SELLER, "repo", "repurchase", repo_id="R1")
    assert fc.get("trades", "tr/repo/R1/1")["status"] == "matured"


def test_open_repo_terminated(fc):
    _open(fc, term_days=0)
    assert fc.get("repo", "r/R1")["maturity_day"] == 0
    fc.advance_to(tm.iso_of(fc.day + 30))
    assert not fc.events("default")
    fc.ok(BUYER, "repo", "terminate", repo_id="R1")
    fc.advance_to(tm.iso_of(fc.day + 2))
    assert [e.data["reason"] for e in fc.events("default")] == ["repurchase_missed"]


def test_buyer_proposes_seller_delivers(fc):
    buyer_cash = fc.balance(BUYER)
    fc.ok(
        BUYER,
        "repo",
        "propose",
        repo_id="R2",
        side="buyer",
        counterparty=SELLER,
        cash=CASH,
        rate_bps=500,
        term_days=1,
    )
    assert fc.balance(BUYER) == buyer_cash - CASH  # escrowed
    fc.ok(SELLER, "repo", "accept", repo_id="R2", collateral={BILL: 10_400_000_00})
    assert fc.get("token", "l/repo/R2/o/USD") is None
    assert fc.get("repo", "r/R2")["collateral"] == {BILL: 10_400_000_00}


def test_coupon_on_collateral_goes_to_the_seller(fc):
    _open(fc, term_days=0)
    seller_cash = fc.balance(SELLER)
    fc.advance_to("2026-05-15")
    coupons = [e for e in fc.events("paid") if e.data["cusip"] == NOTE]
    assert coupons
    # the seller's remaining free face and its locked face both earn 2% on the note (and
    # 2.25% on its free bond holding)
    assert (
        fc.balance(SELLER) - seller_cash
        == 100_000_000_00 * 2 // 100 + 100_000_000_00 * 225 // 10_000
    )


def test_triparty_allocation_and_top_up(fc):
    fc.ok(SELLER, "repo", "deposit", symbol=BILL, amount=8_000_000_00)
    fc.ok(SELLER, "repo", "deposit", symbol=NOTE, amount=8_000_000_00)
    fc.ok(
        SELLER,
        "repo",
        "propose",
        repo_id="T1",
        side="seller",
        counterparty=BUYER,
        cash=CASH,
        rate_bps=520,
        term_days=7,
        schedule="GC",
    )
    receipt = fc.ok(BUYER, "repo", "accept", repo_id="T1")
    (opened,) = [e for e in receipt.events if e.name == "opened"]
    chosen = opened.data["collateral"]
    # bills first (the schedule's first class), capped at 60% of the cash, then notes
    assert set(chosen) == {BILL, NOTE}
    bill_value = chosen[BILL] * tm.bill_price_e8(4_000_000, 182) // tm.PAR_E8
    assert rb.after_haircut(bill_value, 100) <= CASH * 6 // 10
    record = fc.get("repo", "r/T1")
    assert fc.get("repo", f"box/{SELLER}")[BILL] == 8_000_000_00 - chosen[BILL]
    post_prices(fc, note=95 * tm.E8)
    allocated = fc.events("allocated")
    assert allocated and not fc.events("margin_call")  # the agent topped it up
    after = fc.get("repo", "r/T1")["collateral"]
    assert sum(after.values()) > sum(record["collateral"].values())


def test_dvp_nothing_moves_when_the_buyer_cannot_pay(fc):
    fc.ok(
        SELLER,
        "repo",
        "propose",
        repo_id="R1",
        side="seller",
        counterparty="dealer-3",
        cash=CASH,
        rate_bps=530,
        term_days=7,
        collateral={NOTE: 99_000_000_00},
    )
    receipt = fc.call("dealer-3", "repo", "accept", repo_id="R1")  # dealer-3 holds no cash
    assert not receipt.ok
    assert "insufficient" in receipt.message or "below the cash" in receipt.message
    record = fc.get("repo", "r/R1")
    assert record["state"] == "proposed"
    assert fc.get("token", "l/repo/R1/o/" + NOTE)["amount"] == 99_000_000_00
    assert fc.get("token", "l/repo/R1/c/" + NOTE) is None
    assert fc.get("trades", "tr/repo/R1") is None
    fc.ok(SELLER, "repo", "cancel", repo_id="R1")
    assert fc.balance(SELLER, NOTE) == 100_000_000_00


@pytest.mark.parametrize(
    ("who", "method", "args", "message"),
    [
        (SELLER, "propose", {"collateral": {BOND: FACE}}, "ineligible collateral"),
        (SELLER, "propose", {"collateral": {NOTE: 10**14}}, "insufficient balance"),
        (SELLER, "propose", {"collateral": {NOTE: 1_000_00}}, "below the cash"),
        (BUYER, "repurchase", {}, "only the seller"),
        (
            SELLER,
            "substitute",
            {"out_symbol": NOTE, "out_amount": FACE, "in_symbol": BILL, "in_amount": 1_000_00},
            "below the requirement",
        ),
        (SELLER, "withdraw_excess", {"symbol": NOTE, "amount": FACE // 2}, "below the requirement"),
        (BUYER, "post_margin", {"symbol": NOTE, "amount": 1}, "only the seller"),
    ],
)
def test_bad_input_is_rejected_and_changes_nothing(fc, who, method, args, message):
    _open(fc)
    before = _snapshot(fc)
    base = {"repo_id": "R1"}
    if method == "propose":
        base = {
            "repo_id": "R2",
            "side": "seller",
            "counterparty": BUYER,
            "cash": CASH,
            "rate_bps": 500,
            "term_days": 3,
        }
    receipt = fc.call(who, "repo", method, **(base | args))
    assert not receipt.ok and message in receipt.message, receipt.message
    assert _snapshot(fc) == before


def test_stale_price_rejects_and_leaves_repos_unmarked(fc):
    _open(fc)
    fc.advance_to(tm.iso_of(fc.day + 2))  # prices are now older than a day
    assert {e.data["symbol"] for e in fc.events("stale_price")} == {NOTE, BILL}
    before = _snapshot(fc)
    receipt = fc.call(
        SELLER,
        "repo",
        "propose",
        repo_id="R2",
        side="seller",
        counterparty=BUYER,
        cash=CASH,
        rate_bps=500,
        term_days=3,
        collateral={NOTE: FACE},
    )
    assert not receipt.ok and "stale" in receipt.message
    assert _snapshot(fc) == before
    assert not fc.events("margin_call")


def test_daily_mark_updates_the_trades_register(fc):
    _open(fc, term_days=0)
    assert fc.get("trades", "tr/repo/R1")["mtm"] == CASH
    fc.advance_to(tm.iso_of(fc.day + 2), hour=0)
    fc.commit()  # the re-marking of the trades may take more than the day's first block
    assert fc.get("repo", "mark_cursor") is None
    assert fc.get("trades", "tr/repo/R1")["mtm"] == CASH + CASH * 530 * 2 // 3_600_000


def test_open_repos_reach_the_risk_service(fc):
    from glassledger.risk.ledger_view import portfolio_tables

    _open(fc, "R1")
    _open(fc, "R2", collateral={BILL: 10_400_000_00})
    trades, netting_sets, _ = portfolio_tables(fc.chain.state.data)
    repo_rows = trades[trades["netting_set"].str.startswith("repo/fund-0/dealer-0")]
    assert len(repo_rows) == 4  # two repos, seen from both parties
    buyer_side = repo_rows[repo_rows["netting_set"].str.endswith("|fund-0")]
    assert sorted(buyer_side["mtm"]) == [CASH / 100, CASH / 100]
    assert len(netting_sets[netting_sets["netting_set"].str.startswith("repo/")]) == 2
    fc.ok(SELLER, "repo", "repurchase", repo_id="R1")
    trades, _, _ = portfolio_tables(fc.chain.state.data)
    assert (trades["netting_set"].str.startswith("repo/")).sum() == 2


def test_triparty_account_too_small_opens_nothing(fc):
    fc.ok(SELLER, "repo", "deposit", symbol=BILL, amount=3_000_000_00)
    fc.ok(
        SELLER,
        "repo",
        "propose",
        repo_id="T2",
        side="seller",
        counterparty=BUYER,
        cash=CASH,
        rate_bps=520,
        term_days=7,
        schedule="GC",
    )
    buyer_cash = fc.balance(BUYER)
    receipt = fc.call(BUYER, "repo", "accept", repo_id="T2")
    assert not receipt.ok and "cannot cover" in receipt.message
    assert fc.balance(BUYER) == buyer_cash
    assert fc.get("repo", f"box/{SELLER}") == {BILL: 3_000_000_00}
    assert fc.get("repo", "r/T2")["state"] == "proposed"
