"""CDM in and out of the ledger: an RFQ takes a CDM product, and the booked trade exports
as CDM JSON that reads back to the very params the ``derivative`` contract holds."""

from __future__ import annotations

import json

from glassledger.cdm import from_cdm, ledger_trade_to_cdm, read_trade_state, to_cdm
from glassledger.cdm.io import encode, to_builtins
from glassledger.cdm.mapping import DAY_MS, TemplateTrade, ms_to_date
from support.otc import otc_chain, trade


def test_an_rfq_takes_a_cdm_product_and_the_trade_exports_as_cdm():
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
    c.ok(
        "regulator",
        "oracle",
        "post",
        kind="price",
        key="ACME",
        value=42 * 10**8,
        scale=8,
        observed_ms=c.time_ms,
    )
    for client in ("client-0",):
        c.commit(
            [
                c.tx(
                    "dealer-0", "rfq", "set_credit_limit", counterparty=client, limit=1_000_000_00
                ),
                c.tx(
                    "dealer-0",
                    "derivative",
                    "post_collateral",
                    counterparty=client,
                    amount=200_000_00,
                ),
            ]
        )
    expiry = (c.time_ms // DAY_MS + 60) * DAY_MS
    products = {
        "S1": TemplateTrade(
            "irs",
            {
                "fixed_rate_e8": 1,
                "float_index": "SOFR",
                "spread_e8": 0,
                "period_days": 90,
                "periods": 2,
            },
            1_000_000_00,
            "pay_fixed",
            "any-dealer",
            "client-0",
            "USD",
            ms_to_date(c.time_ms),
            "requested",
        ),
        "O1": TemplateTrade(
            "european_option",
            {
                "premium": 1,
                "underlying": "price:ACME",
                "option_type": "call",
                "strike_e8": 40 * 10**8,
                "expiry_ms": expiry,
                "settlement": "cash",
                "deliverable": "",
                "deliverable_decimals": 0,
                "asset_class": "EQUITY",
            },
            100,
            "buy",
            "any-dealer",
            "client-0",
            "USD",
            ms_to_date(c.time_ms),
            "requested",
        ),
    }
    prices = {"S1": 4_100_000, "O1": 476_00}
    for rfq_id, product in products.items():
        cdm_json = encode(to_cdm(product))  # what a user would load from a file
        args = from_cdm(read_trade_state(cdm_json)).rfq_args()
        assert args.pop("currency") == "USD"
        trade(
            c,
            rfq_id,
            client="client-0",
            prices={"dealer-0": prices[rfq_id]},
            **{
                "template": args["template_name"],
                "params": args["params"],
                "notional": args["notional"],
                "side": args["side"],
            },
        )
        record = c.get("derivative", f"c/{rfq_id}")
        assert record["state"] == "live"
        exported = encode(ledger_trade_to_cdm(record))
        back = from_cdm(read_trade_state(exported))
        assert back.params == record["params"]
        assert (back.notional, back.side, back.dealer, back.client, back.uti) == (
            record["notional"],
            record["client_side"],
            "dealer-0",
            "client-0",
            record["uti"],
        )
        doc = to_builtins(read_trade_state(exported))
        assert doc == json.loads(exported)
        assert doc["state"] == {"positionState": "Executed"}
