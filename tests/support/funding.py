"""A clocked devnet with a Treasury-bill token, oracle prices and a pool market (pool,
facility and stable-coin tests).

Participants: ``regulator`` (oracle), ``bank`` (issuer of USD and of the bill token),
``dealer-0..3``, ``client-0..3`` holding USD 1,000,000.00 each. ``UST3M``: a tokenized
3-month bill, 2 decimals, 1 token = USD 1 of face, priced by the oracle key ``UST.BILL3M`` per
100 of face (``units_per_price`` 100). ``GLD``: a second collateral (0 decimals, price per
token) to test several collaterals and ineligible ones.
"""

from __future__ import annotations

from typing import Any

from glassledger.node.clocked import DAY_MS, Call, ClockedChain
from glassledger.node.devnet import devnet_genesis

START_MS = 1_767_268_800_000  # 2026-01-01 12:00 UTC
BILL = "UST3M"
BILL_KEY = "UST.BILL3M"
GOLD = "GLD"
GOLD_KEY = "GLD"
E8 = 10**8


class FundingChain:
    """:class:`ClockedChain` plus helpers: ``run(*calls)`` commits one block ``step_ms``
    after the head and returns its receipts."""

    def __init__(self, bill_price_e8: int = 99 * E8, step_ms: int = 1_000) -> None:
        genesis = devnet_genesis()
        genesis.time_ms = START_MS
        self.ledger = ClockedChain.start(genesis)
        self.step_ms = step_ms
        setup: list[Call] = [
            ("regulator", "token", "create", {"symbol": BILL, "decimals": 2, "issuer": "bank"}),
            ("regulator", "token", "create", {"symbol": GOLD, "decimals": 0, "issuer": "bank"}),
        ]
        holders = [f"client-{i}" for i in range(4)] + [f"dealer-{i}" for i in range(4)]
        for who in holders:
            setup.append(("bank", "token", "mint", {"symbol": BILL, "to": who, "amount": 10**11}))
            setup.append(("bank", "token", "mint", {"symbol": GOLD, "to": who, "amount": 1_000}))
        for who in (f"dealer-{i}" for i in range(4)):
            setup.append(("bank", "token", "mint", {"symbol": "USD", "to": who, "amount": 10**11}))
        self.must(*setup)
        self.post_prices(bill=bill_price_e8, gold=2_000 * E8)

    # -- running
    def run(self, *calls: Call, step_ms: int | None = None):
        block = self.ledger.advance(step_ms or self.step_ms, calls)
        return block.receipts

    def must(self, *calls: Call, step_ms: int | None = None):
        receipts = self.run(*calls, step_ms=step_ms)
        bad = [r.message for r in receipts if not r.ok]
        assert not bad, bad
        return receipts

    def post_prices(self, bill: int | None = None, gold: int | None = None, step_ms=None):
        now = self.ledger.time_ms + (step_ms or self.step_ms)
        calls = []
        for key, value in ((BILL_KEY, bill), (GOLD_KEY, gold)):
            if value is not None:
                calls.append(
                    (
                        "regulator",
                        "oracle",
                        "post",
                        {
                            "kind": "price",
                            "key": key,
                            "value": value,
                            "scale": 8,
                            "observed_ms": now,
                        },
                    )
                )
        return self.must(*calls, step_ms=step_ms)

    def post_rate(self, key: str, bps: int, step_ms=None):
        now = self.ledger.time_ms + (step_ms or self.step_ms)
        args = {"kind": "rate", "key": key, "value": bps, "scale": 4, "observed_ms": now}
        return self.must(("regulator", "oracle", "post", args), step_ms=step_ms)

    # -- reading
    def get(self, contract: str, key: str) -> Any:
        return self.ledger.get(contract, key)

    def balance(self, holder: str, symbol: str = "USD") -> int:
        return self.get("token", f"b/{symbol}/{holder}") or 0

    def supply(self, symbol: str) -> int:
        return self.get("token", f"t/{symbol}")["supply"]

    def open_facility(self, params: dict | None = None, floor_bps=430, ceiling_bps=450, **terms):
        """The facility run by the ``regulator`` (the central bank's desk) with USD 500 m of
        float and 600 m face of bills; floor and ceiling rates posted."""
        collateral = {"price_key": BILL_KEY, "units_per_price": 100, "haircut_bps": 200} | terms
        self.must(
            ("bank", "token", "mint", {"symbol": "USD", "to": "regulator", "amount": 10**11}),
            ("bank", "token", "mint", {"symbol": BILL, "to": "regulator", "amount": 6 * 10**10}),
            (
                "regulator",
                "facility",
                "configure",
                {"cash": "USD", "operator": "regulator", "params": params or {}},
            ),
            ("regulator", "facility", "list_collateral", {"symbol": BILL, "terms": collateral}),
        )
        self.must(
            ("regulator", "facility", "fund", {"amount": 5 * 10**10}),
            ("regulator", "facility", "supply_collateral", {"symbol": BILL, "amount": 6 * 10**10}),
        )
        self.post_rate("USD.ON_RRP", floor_bps)
        self.post_rate("USD.SRF", ceiling_bps)

    def open_market(self, market: str = "USDPOOL", params: dict | None = None, **terms):
        collateral = {
            "price_key": BILL_KEY,
            "units_per_price": 100,
            "ltv_bps": 9_000,
            "threshold_bps": 9_500,
            "bonus_bps": 10_200,
            "protocol_fee_bps": 1_000,
        } | terms
        self.must(
            (
                "regulator",
                "pool",
                "open_market",
                {"market": market, "cash": "USD", "operator": "bank", "params": params or {}},
            ),
            (
                "regulator",
                "pool",
                "list_collateral",
                {"market": market, "symbol": BILL, "terms": collateral},
            ),
        )


__all__ = ["DAY_MS", "FundingChain"]
