"""Ledger view: netting sets on the ledger become SA-CCR inputs in both directions."""

from __future__ import annotations

import pytest

from glassledger.risk.ledger_view import portfolio_tables
from glassledger.risk.saccr import compute_saccr
from support.desk import DeskChain


@pytest.fixture
def desk():
    return DeskChain.create()


def test_both_directions_mirror_each_other(desk):
    desk.run(
        (
            "dealer-0",
            "book",
            {
                "netting_set": "ns1",
                "counterparty": "client-0",
                "trade_id": "t1",
                "notional": 10_000_000_00,
                "days": 730,
                "mtm": 25_000_00,
            },
        )
    )
    trades, netting, terms = portfolio_tables(desk.chain.state.data)
    assert list(trades["netting_set"]) == ["ns1|dealer-0", "ns1|client-0"]
    a, b = trades.iloc[0], trades.iloc[1]
    assert a["notional"] == b["notional"] == 10_000_000.0
    assert (a["mtm"], b["mtm"]) == (25_000.0, -25_000.0)
    assert {a["position"], b["position"]} == {"LONG", "SHORT"}
    assert a["maturity"] == pytest.approx(2.0)
    result = compute_saccr(trades, netting).netting_sets.set_index("netting_set")
    # Same add-on both ways (one IR trade); RC only where the market value is positive.
    assert result.loc["ns1|dealer-0", "addon"] == pytest.approx(result.loc["ns1|client-0", "addon"])
    assert result.loc["ns1|dealer-0", "RC"] == pytest.approx(25_000.0)
    assert result.loc["ns1|client-0", "RC"] == 0.0
    assert set(terms["counterparty"]) == {"client-0", "dealer-0"}


def test_closed_trades_leave_the_portfolio(desk):
    desk.run(
        (
            "dealer-0",
            "book",
            {
                "netting_set": "ns1",
                "counterparty": "client-0",
                "trade_id": "t1",
                "notional": 100_00,
                "days": 30,
            },
        )
    )
    desk.run(("dealer-0", "close", {"trade_id": "t1", "outcome": "matured"}))
    trades, netting, _ = portfolio_tables(desk.chain.state.data)
    assert trades.empty and len(netting) == 2
