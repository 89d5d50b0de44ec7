"""Guarantee lines: grant (escrowed), reserve with fee, release on close, physical collateral
valued after haircuts, eligibility and capacity refused clearly, close."""

from __future__ import annotations

from glassledger.contracts.derivatives.terms import DAY_MS
from support.otc import make_quote, open_quote, otc_chain, trade


def setup_chain():
    c = otc_chain()
    c.ok(
        "regulator",
        "oracle",
        "post",
        kind="rate",
        key="SOFR",
        value=5_000_000,
        scale=8,
        observed_ms=c.time_ms,
    )
    c.commit(
        [
            c.tx("dealer-0", "rfq", "set_credit_limit", counterparty="client-0", limit=0),
            c.tx(
                "dealer-0",
                "derivative",
                "post_collateral",
                counterparty="client-0",
                amount=100_000_00,
            ),
            c.tx(
                "guarantor-g",
                "guarantee",
                "grant",
                line_id="G",
                client="client-0",
                limit=50_000_00,
                fee_bps=100,
                products=["irs"],
                expiry_ms=c.time_ms + 400 * DAY_MS,
            ),
        ]
    )
    return c


def test_line_reserves_releases_and_closes():
    c = setup_chain()
    assert c.balance("guarantor-g") == 1_000_000_00 - 50_000_00
    # swap IM 1% of 1m = 10,000, all beyond the dealer's zero limit: reserved, 1% fee
    trade(
        c,
        "S",
        "irs",
        {},
        1_000_000_00,
        "pay_fixed",
        "client-0",
        {"dealer-0": 4_000_000},
        guarantee_line="G",
    )
    line = c.get("guarantee", "line/G")
    assert line["reserved"] == 10_000_00 and c.balance("guarantor-g") == 950_000_00 + 100_00
    assert not c.call("guarantor-g", "guarantee", "close", line_id="G").ok  # still reserved
    c.ok("dealer-0", "derivative", "propose", trade_id="S", action="termination")
    c.ok("client-0", "derivative", "consent", trade_id="S")
    assert c.get("guarantee", "line/G")["reserved"] == 0
    assert c.get("trades", "ns/dealer-0~client-0")["guarantee_amount"] == 0
    c.ok("guarantor-g", "guarantee", "close", line_id="G")
    assert c.balance("guarantor-g") == 1_000_000_00 + 100_00
    assert c.get("guarantee", "line/G")["state"] == "closed"


def test_physical_collateral_is_valued_after_haircut():
    c = setup_chain()
    r = c.ok(
        "guarantor-g",
        "guarantee",
        "register_collateral",
        line_id="G",
        asset_id="A1",
        description="200t aluminium, bonded warehouse",
        valuation=80_000_00,
        haircut_bps=3_000,
    )
    assert r.events[0].data["collateral_value"] == 56_000_00
    r = c.ok(
        "guarantor-g",
        "guarantee",
        "revalue_collateral",
        line_id="G",
        asset_id="A1",
        valuation=60_000_00,
    )
    assert r.events[0].data["collateral_value"] == 42_000_00
    assert not c.call(
        "client-0", "guarantee", "revalue_collateral", line_id="G", asset_id="A1", valuation=1
    ).ok  # only the guarantor


def test_ineligible_product_and_capacity_are_refused():
    c = setup_chain()
    c.ok("regulator", "token", "create", symbol="GOLD", decimals=0, issuer="bank")
    expiry = c.time_ms + 30 * DAY_MS
    c.ok(
        "client-0",
        "rfq",
        "request",
        rfq_id="F",
        template_name="fx_forward",
        params={"pair": "EUR/USD", "value_date_ms": expiry},
        notional=1_000_000_00,
        side="buy",
        expiry_ms=c.time_ms + 60_000,
        dealers=["dealer-0"],
        guarantee_line="G",
    )
    q = make_quote("F", "dealer-0", "client-0", 108_000_000, c.time_ms + 60_000)
    c.ok("dealer-0", "rfq", "quote", **q.args)
    terms, salt = open_quote(q.envelope, "client-0")
    r = c.call("client-0", "rfq", "accept", rfq_id="F", dealer="dealer-0", terms=terms, salt=salt)
    assert not r.ok and r.message == "line G does not cover fx_forward"
    # a swap whose IM (1% of 10m = 100,000) exceeds the line's 50,000
    c.ok(
        "client-0",
        "rfq",
        "request",
        rfq_id="B",
        template_name="irs",
        params={},
        notional=10_000_000_00,
        side="pay_fixed",
        expiry_ms=c.time_ms + 60_000,
        dealers=["dealer-0"],
        guarantee_line="G",
    )
    q = make_quote("B", "dealer-0", "client-0", 4_000_000, c.time_ms + 60_000)
    c.ok("dealer-0", "rfq", "quote", **q.args)
    terms, salt = open_quote(q.envelope, "client-0")
    r = c.call("client-0", "rfq", "accept", rfq_id="B", dealer="dealer-0", terms=terms, salt=salt)
    assert not r.ok
    assert r.message == ("trade beyond credit limit: line G has 5000000 available, 10000000 needed")
