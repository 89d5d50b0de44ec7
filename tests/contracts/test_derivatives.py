"""Smart derivative templates: the full lifecycle of each, margining, default with close-out
netting across several contracts and a guarantee call, termination and novation."""

from __future__ import annotations

import pytest

from glassledger.contracts.derivatives.contract import lock_id
from glassledger.contracts.derivatives.templates import TEMPLATES
from glassledger.contracts.derivatives.terms import DAY_MS
from support.otc import otc_desk, post, post_marks, trade

NS = "dealer-0~client-0"


def account(c, party, ns=NS, symbol="USD"):
    record = c.get("token", f"l/{lock_id(ns, party, symbol)}")
    return 0 if record is None else record["amount"]


def wealth(c, party, ns=NS):
    return c.balance(party) + account(c, party, ns)


def names(block):
    return [e.name for r in block.receipts for e in r.events] + [
        e.name for e in block.system_events
    ]


@pytest.fixture
def c():
    return otc_desk()


def test_every_template_is_a_transition_table():
    for tpl in TEMPLATES.values():
        rows = tpl.lifecycle.rows()
        assert ("live", "default", "closed_out") in rows
        assert ("live", "termination", "terminated") in rows
        assert ("live", "novation", "novated") in rows
        assert tpl.lifecycle.is_final("closed_out")


def test_irs_resets_pays_and_matures(c):
    trade(
        c,
        "S1",
        "irs",
        {"period_days": 90, "periods": 2},
        10_000_000_00,
        "pay_fixed",
        "client-0",
        {"dealer-0": 4_100_000, "dealer-1": 4_300_000},
    )
    s1 = c.get("derivative", "c/S1")
    assert s1["state"] == "live" and s1["fixing_e8"] == 5_000_000 and s1["price"] == 4_100_000
    assert c.get("trades", "tr/S1")["status"] == "open"
    # client pays fixed 4.10%, receives SOFR 5.00%: 10m x 0.9% x 90/360 = $22,500
    before = wealth(c, "client-0")
    c.commit_at(s1["due_ms"] - 3_000)
    post(c, "rate", "SOFR", 3_000_000)  # the next period fixes at 3%
    block = c.commit_at(s1["due_ms"] + 1)
    assert "payment" in names(block) and "reset" in names(block)
    assert wealth(c, "client-0") - before == 2_250_000
    s1 = c.get("derivative", "c/S1")
    assert s1["fixing_e8"] == 3_000_000 and s1["period"] == 2
    # second period: 3% - 4.1% -> client pays $27,500; then maturity closes the trade
    before = wealth(c, "client-0")
    block = c.commit_at(s1["due_ms"] + 1)
    assert "maturity" in names(block)
    assert wealth(c, "client-0") - before == -2_750_000
    assert c.get("derivative", "c/S1")["state"] == "matured"
    assert c.get("trades", "tr/S1")["status"] == "matured"
    assert c.get("derivative", f"ns/{NS}")["marks"] == {}
    assert c.get("derivative", f"ns/{NS}")["im_req"] == {"client-0": 0, "dealer-0": 0}


def test_variation_margin_threshold_mta_and_margin_call(c):
    trade(
        c,
        "S2",
        "irs",
        {"periods": 8},
        10_000_000_00,
        "receive_fixed",
        "client-0",
        {"dealer-0": 4_000_000},
        threshold=50_000_00,
        mta=10_000_00,
    )
    start = wealth(c, "client-0") + wealth(c, "dealer-0")
    post_marks(c, {"S2": 40_000_00})  # inside the threshold: nothing moves
    assert c.get("derivative", f"ns/{NS}")["vm"] == 0
    post_marks(c, {"S2": 55_000_00})  # 5,000 over the threshold, under the MTA
    assert c.get("derivative", f"ns/{NS}")["vm"] == 0
    block = c.advance(
        calls=[
            c.tx(
                "regulator",
                "oracle",
                "post_batch",
                kind="mark",
                points=[["S2", 90_000_00]],
                scale=0,
                observed_ms=c.time_ms,
            )
        ]
    )
    # client owes 40,000 of VM but its account holds only its initial margin: margin call
    assert "margin_call" in names(block)
    ns = c.get("derivative", f"ns/{NS}")
    assert ns["calls"]["client-0"]["short"] == {"USD": 40_000_00}
    c.ok("client-0", "derivative", "post_collateral", counterparty="dealer-0", amount=50_000_00)
    ns = c.get("derivative", f"ns/{NS}")
    assert ns["vm"] == 40_000_00 and ns["calls"] == {} and ns["pending"] == []
    assert c.get("trades", f"ns/{NS}")["variation_margin"] == 40_000_00
    # the mark falls back: the dealer returns VM automatically from its account
    post_marks(c, {"S2": -20_000_00})
    assert c.get("derivative", f"ns/{NS}")["vm"] == 0
    assert wealth(c, "client-0") + wealth(c, "dealer-0") == start


def test_fx_forward_cash_and_physical(c):
    c.ok("regulator", "token", "create", symbol="EUR", decimals=2, issuer="bank")
    c.ok("bank", "token", "mint", symbol="EUR", to="dealer-1", amount=5_000_000_00)
    value_date = c.time_ms + 30 * DAY_MS
    params = {"pair": "EUR/USD", "value_date_ms": value_date}
    trade(c, "F1", "fx_forward", params, 1_000_000_00, "buy", "client-0", {"dealer-0": 108_500_000})
    trade(
        c,
        "F2",
        "fx_forward",
        params | {"settlement": "physical"},
        100_000_00,
        "buy",
        "client-1",
        {"dealer-1": 108_000_000},
    )
    c.ok(
        "dealer-1",
        "derivative",
        "post_collateral",
        counterparty="client-1",
        amount=1_000_000_00,
        symbol="EUR",
    )
    c.commit_at(value_date - 5_000)
    post(c, "fx", "EUR/USD", 110_000_000)
    before = wealth(c, "client-0")
    block = c.commit_at(value_date)
    assert {"observation", "settlement"} <= set(names(block))
    # 1m EUR x (1.1000 - 1.0850) = $15,000 to the buyer
    assert wealth(c, "client-0") - before == 1_500_000
    assert c.get("derivative", "c/F1")["state"] == "settled"
    # physical: client-1 must pay $108,000 against 100,000 EUR; its account holds only the
    # initial margin the settled trade no longer needs (6% of $108,000): call for the rest
    ns2 = c.get("derivative", "ns/dealer-1~client-1")
    assert ns2["calls"]["client-1"]["short"] == {"USD": 10_800_000 - 648_000}
    c.ok("client-1", "derivative", "post_collateral", counterparty="dealer-1", amount=10_800_000)
    assert account(c, "client-1", "dealer-1~client-1", "EUR") == 100_000_00
    assert account(c, "dealer-1", "dealer-1~client-1", "EUR") == 900_000_00
    assert c.get("derivative", "ns/dealer-1~client-1")["calls"] == {}


def test_european_options_exercise_and_expire(c):
    c.ok("regulator", "token", "create", symbol="GOLD", decimals=0, issuer="bank")
    c.ok("bank", "token", "mint", symbol="GOLD", to="dealer-2", amount=1_000)
    expiry = c.time_ms + 10 * DAY_MS
    call = {"underlying": "price:SPX", "strike_e8": 500_000_000_000, "expiry_ms": expiry}
    before = c.balance("client-0")
    trade(c, "O1", "european_option", call, 100, "buy", "client-0", {"dealer-0": 10_000_00})
    assert c.balance("client-0") == before - 10_000_00  # premium; a buyer posts no IM
    trade(
        c,
        "O2",
        "european_option",
        call | {"option_type": "put"},
        100,
        "buy",
        "client-0",
        {"dealer-0": 5_000_00},
    )
    gold = {
        "underlying": "price:GOLD",
        "strike_e8": 200_000_000_000,
        "expiry_ms": expiry,
        "settlement": "physical",
        "deliverable": "GOLD",
        "asset_class": "COMMODITY",
    }
    trade(c, "O3", "european_option", gold, 10, "buy", "client-1", {"dealer-2": 1_000_00})
    c.ok(
        "dealer-2",
        "derivative",
        "post_collateral",
        counterparty="client-1",
        amount=10,
        symbol="GOLD",
    )
    c.ok("client-1", "derivative", "post_collateral", counterparty="dealer-2", amount=20_000_00)
    c.commit_at(expiry - 5_000)
    post(c, "price", "SPX", 520_000_000_000)
    post(c, "price", "GOLD", 210_000_000_000)
    before = wealth(c, "client-0")
    block = c.commit_at(expiry)
    assert {"exercise", "expiry"} <= set(names(block))
    # call: 100 x (5200 - 5000) = $20,000; the put expires worthless
    assert wealth(c, "client-0") - before == 20_000_00
    assert c.get("derivative", "c/O1")["state"] == "exercised"
    assert c.get("derivative", "c/O2")["state"] == "expired"
    assert c.get("trades", "tr/O2")["status"] == "matured"
    # physical: 10 GOLD delivered against 10 x 2000 = $20,000
    assert account(c, "client-1", "dealer-2~client-1", "GOLD") == 10
    assert c.get("derivative", "c/O3")["state"] == "exercised"


def test_cds_premium_and_credit_event(c):
    maturity = c.time_ms + 360 * DAY_MS
    trade(
        c,
        "C1",
        "cds",
        {"reference": "ACME", "maturity_ms": maturity},
        10_000_000_00,
        "buy",
        "client-0",
        {"dealer-0": 100},
    )
    c1 = c.get("derivative", "c/C1")
    before = wealth(c, "client-0")
    c.ok("client-0", "derivative", "post_collateral", counterparty="dealer-0", amount=30_000_00)
    block = c.commit_at(c1["due_ms"])
    assert "payment" in names(block)
    # 10m x 100 bp x 90/360 = $25,000 premium
    assert wealth(c, "client-0") - before == -25_000_00 + 30_000_00 - 30_000_00
    rejected = c.call(
        "client-0", "derivative", "credit_event", reference="ACME", final_price_bps=4_000
    )
    assert not rejected.ok and rejected.reason == "permission_denied"
    c.ok("bank", "token", "mint", symbol="USD", to="dealer-0", amount=10_000_000_00)
    before = wealth(c, "client-0")
    c.ok("regulator", "derivative", "credit_event", reference="ACME", final_price_bps=4_000)
    # protection pays 10m x (1 - 40%) = $6,000,000 - the dealer's account is short: call
    ns = c.get("derivative", f"ns/{NS}")
    assert c.get("derivative", "c/C1")["state"] == "settled"
    assert ns["calls"]["dealer-0"]["short"]["USD"] > 0
    c.ok(
        "dealer-0",
        "derivative",
        "post_collateral",
        counterparty="client-0",
        amount=6_000_000_00 - 200_000_00 + 100_000_00,
    )
    assert wealth(c, "client-0") - before == 6_000_000_00


def test_default_closes_out_every_trade_netted_and_calls_the_guarantee(c):
    c.ok(
        "guarantor-g",
        "guarantee",
        "grant",
        line_id="G1",
        client="client-1",
        limit=300_000_00,
        fee_bps=50,
        products=["irs", "european_option"],
        expiry_ms=c.time_ms + 400 * DAY_MS,
    )
    c.ok(
        "guarantor-g",
        "guarantee",
        "register_collateral",
        line_id="G1",
        asset_id="WH-7",
        description="warehouse receipt, 500t copper",
        valuation=400_000_00,
        haircut_bps=2_500,
    )
    c.ok("dealer-1", "rfq", "set_credit_limit", counterparty="client-1", limit=100_000_00)
    # swap IM 2% of 10m = 200,000: 100,000 within the dealer's limit, 100,000 on the line
    trade(
        c,
        "D1",
        "irs",
        {"periods": 12},
        10_000_000_00,
        "pay_fixed",
        "client-1",
        {"dealer-1": 4_000_000},
        guarantee_line="G1",
        call_window_ms=2 * DAY_MS,
    )
    line = c.get("guarantee", "line/G1")
    assert line["reserved"] == 100_000_00 and line["reservations"] == {"D1": 100_000_00}
    assert c.balance("guarantor-g") == 1_000_000_00 - 300_000_00 + 500_00  # fee 0.5%
    tr = c.get("trades", "ns/dealer-1~client-1")
    assert tr["guarantor"] == "guarantor-g" and tr["guarantee_amount"] == 100_000_00
    c.ok("dealer-1", "derivative", "post_collateral", counterparty="client-1", amount=100_000_00)
    # a sold call on 100 SPX at 5000: IM 15% of $500,000 = 75,000, all on the line
    trade(
        c,
        "D2",
        "european_option",
        {
            "underlying": "price:SPX",
            "strike_e8": 500_000_000_000,
            "expiry_ms": c.time_ms + 90 * DAY_MS,
        },
        100,
        "sell",
        "client-1",
        {"dealer-1": 50_000_00},
        guarantee_line="G1",
    )
    assert c.get("trades", "ns/dealer-1~client-1")["guarantee_amount"] == 175_000_00
    ns_id = "dealer-1~client-1"
    ns = c.get("derivative", f"ns/{ns_id}")
    assert sorted(ns["marks"]) == ["D1", "D2"]
    # marks: the swap is 300,000 in the client's favour, the sold call 1,200,000 against it
    block = c.advance(
        calls=[
            c.tx(
                "regulator",
                "oracle",
                "post_batch",
                kind="mark",
                points=[["D1", -300_000_00], ["D2", 1_200_000_00]],
                scale=0,
                observed_ms=c.time_ms,
            )
        ]
    )
    assert "margin_call" in names(block)
    dealer_before = wealth(c, "dealer-1", ns_id)
    client_account = account(c, "client-1", ns_id)
    block = c.advance(3 * DAY_MS)  # the call's deadline passes unmet
    assert [n for n in names(block) if n in ("failure_to_pay", "default")] == [
        "failure_to_pay",
        "default",
    ]
    closing = next(e for e in block.system_events if e.name == "early_termination")
    data = closing.data
    assert data["defaulter"] == "client-1"
    assert data["close_out_amount"] == 900_000_00  # netted: 1,200,000 - 300,000
    assert data["paid"] == client_account  # all it had, initial margin included
    assert client_account == 200_000_00 + 75_000_00 + 50_000_00  # IM + premium received
    assert data["guarantee_paid"] == 175_000_00
    assert data["loss"] == 900_000_00 - client_account - 175_000_00
    assert 0 < data["recovery_bps"] < 10_000
    assert wealth(c, "dealer-1", ns_id) - dealer_before == client_account + 175_000_00
    for tid in ("D1", "D2"):
        assert c.get("derivative", f"c/{tid}")["state"] == "closed_out"
        closed = c.get("trades", f"tr/{tid}")
        assert closed["status"] == "defaulted"
        assert closed["recovery_bps"] == data["recovery_bps"]
    assert c.get("derivative", f"ns/{ns_id}")["state"] == "closed_out"
    assert c.get("guarantee", "line/G1")["state"] == "called"
    assert c.get("guarantee", "line/G1")["reserved"] == 0
    assert account(c, "client-1", ns_id) == 0 and account(c, "dealer-1", ns_id) == 0


def test_termination_and_novation_to_a_ccp(c):
    trade(c, "T1", "irs", {}, 1_000_000_00, "pay_fixed", "client-0", {"dealer-0": 4_000_000})
    trade(c, "T2", "irs", {}, 1_000_000_00, "pay_fixed", "client-0", {"dealer-0": 4_000_000})
    c.ok("dealer-0", "derivative", "propose", trade_id="T1", action="termination", payment=1_000_00)
    assert c.get("derivative", "c/T1")["state"] == "live"
    before = wealth(c, "dealer-0")
    c.ok("client-0", "derivative", "consent", trade_id="T1")  # pays from its free balance
    assert c.get("derivative", "c/T1")["state"] == "terminated"
    assert c.get("trades", "tr/T1")["status"] == "terminated"
    assert wealth(c, "dealer-0") - before == 1_000_00
    # novation of T2 to the CCP in place of the dealer: all three consent
    c.ok("ccp-c", "derivative", "post_collateral", counterparty="client-0", amount=100_000_00)
    c.ok(
        "dealer-0",
        "derivative",
        "propose",
        trade_id="T2",
        action="novation",
        step_out="dealer-0",
        step_in="ccp-c",
    )
    c.ok("ccp-c", "derivative", "consent", trade_id="T2")
    c.ok("client-0", "derivative", "consent", trade_id="T2")  # funds its IM with the CCP
    assert c.get("derivative", "c/T2")["state"] == "novated"
    new = c.get("derivative", "c/T2.n")
    assert (new["party_a"], new["party_b"], new["state"]) == ("ccp-c", "client-0", "live")
    assert c.get("trades", "tr/T2.n")["netting_set"] == "ccp-c~client-0"
    assert c.get("trades", "tr/T2")["status"] == "terminated"
    assert c.get("derivative", f"ns/{NS}")["marks"] == {}


def test_bulk_marks_reach_the_register_and_the_risk_view(c):
    from glassledger.risk.ledger_view import read_records

    trade(c, "M1", "irs", {}, 1_000_000_00, "pay_fixed", "client-0", {"dealer-0": 4_000_000})
    trade(c, "M2", "irs", {}, 2_000_000_00, "receive_fixed", "client-0", {"dealer-0": 4_000_000})
    post_marks(c, {"M1": 12_345_00, "M2": -2_345_00})
    assert c.get("trades", f"mk/{NS}") == {"M1": 12_345_00, "M2": -2_345_00}
    assert c.get("derivative", f"ns/{NS}")["mtm"] == 10_000_00
    _, trades = read_records(c.chain.state.data, [NS])
    assert {t["id"]: t["mtm"] for t in trades} == {"M1": 12_345_00, "M2": -2_345_00}
    # a closed trade takes its last bulk mark into its record and leaves the map
    c.ok("dealer-0", "derivative", "propose", trade_id="M1", action="termination")
    c.ok("client-0", "derivative", "consent", trade_id="M1")
    assert c.get("trades", "tr/M1")["mtm"] == 12_345_00
    assert c.get("trades", f"mk/{NS}") == {"M2": -2_345_00}


def test_a_missing_fixing_holds_its_trade_only_and_is_retried(c):
    expiry = c.time_ms + 5 * DAY_MS
    trade(
        c,
        "X1",
        "european_option",
        {"underlying": "price:NOPE", "strike_e8": 100 * 10**8, "expiry_ms": expiry},
        10,
        "buy",
        "client-0",
        {"dealer-0": 100_00},
    )
    trade(
        c,
        "X2",
        "european_option",
        {"underlying": "price:SPX", "strike_e8": 100 * 10**8, "expiry_ms": expiry},
        10,
        "buy",
        "client-0",
        {"dealer-0": 100_00},
    )
    c.commit_at(expiry - 5_000)
    post(c, "price", "SPX", 90 * 10**8)
    block = c.commit_at(expiry)
    assert "observation_missing" in names(block) and "expiry" in names(block)
    assert c.get("derivative", "c/X2")["state"] == "expired"
    assert c.get("derivative", "c/X1")["state"] == "live"
    post(c, "price", "NOPE", 120 * 10**8)  # the fixing arrives: exercised in this block
    assert c.get("derivative", "c/X1")["state"] == "exercised"


def test_collateral_amounts_must_be_positive(c):
    before = c.balance("dealer-0")
    for method in ("post_collateral", "withdraw_collateral"):
        for amount in (0, -5):
            receipt = c.call(
                "dealer-0", "derivative", method, counterparty="client-0", amount=amount
            )
            assert not receipt.ok and "must be positive" in receipt.message
    assert c.balance("dealer-0") == before
