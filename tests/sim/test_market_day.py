"""The market day runs through the real contracts on the harness: repos, margin calls met
and missed, a pool liquidation, an RFQ to three dealers, a default with close-out netting
and a guarantee call; every token is conserved."""

from __future__ import annotations

from typing import Any

import pytest

from glassledger.funding import ledger_sofr, participants, snapshot_at
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import ParticipantSpec
from glassledger.sim.market_day import (
    PARTICIPANTS,
    ClockedLedger,
    derivatives_day,
    funding_day,
)

DEALERS = ["dealer-0", "dealer-1", "dealer-2", "dealer-3"]


@pytest.fixture(scope="module")
def day():
    extra = [*PARTICIPANTS, ParticipantSpec("guarantor", ["guarantor"], legal_name="G")]
    genesis = devnet_genesis(extra=extra, params={"repo_margin_deadline_ms": 2_000})
    genesis.time_ms = 1_780_000_000_000  # 2026-05-28
    chain = ClockedChain.start(genesis, draw_seed=None)
    ledger = ClockedLedger(chain)
    funding = funding_day(ledger, "bank", DEALERS)
    derivatives = derivatives_day(ledger, "bank", DEALERS, "client-0", "guarantor")
    return chain, funding, derivatives


def _supply_is_held(chain) -> dict[str, tuple[int, int]]:
    state = chain.store.state_at(chain.height)
    from glassledger.ledger.codec import decode

    held: dict[str, int] = {}
    supply: dict[str, int] = {}
    for key, raw in state.items():
        if key.startswith(b"token/b/"):
            symbol = key.split(b"/")[2].decode()
            held[symbol] = held.get(symbol, 0) + decode(raw, int)
        elif key.startswith(b"token/l/"):
            lock = decode(raw, Any)
            held[lock["symbol"]] = held.get(lock["symbol"], 0) + lock["amount"]
        elif key.startswith(b"token/t/"):
            token = decode(raw, Any)
            supply[token["symbol"]] = token["supply"]
    return {s: (supply[s], held.get(s, 0)) for s in supply}


def test_the_funding_day_calls_margin_defaults_and_liquidates(day):
    chain, funding, _ = day
    assert funding.margin_calls == 3  # every repo on the note: two met, one lapses
    assert funding.defaults == ["R2"]  # dealer-1 let its call lapse
    assert funding.claims["R2"] != 0
    assert funding.liquidations == 1
    snap = snapshot_at(chain.store)
    sofr = ledger_sofr(snap)
    assert list(sofr["rate_bps"]) == [531]  # R1 (20m at 531) outweighs R2 (15m at 533)
    fund = participants(snap).set_index("participant").loc["fund-0"]
    assert fund["lent"] > 0


def test_the_derivatives_day_defaults_and_closes_out_netted_with_the_guarantee(day):
    _, _, deriv = day
    assert deriv.winner == "dealer-1" and deriv.trades == ["SWAP1", "OPT1"]
    close = deriv.close_out
    assert close["defaulter"] == "client-0"
    assert close["close_out_amount"] == 250_000_00 + 900_000_00  # both trades, netted
    assert close["guarantee_paid"] > 0


def test_every_token_is_conserved(day):
    chain, _, _ = day
    for symbol, (supply, held) in _supply_is_held(chain).items():
        assert supply == held, symbol
