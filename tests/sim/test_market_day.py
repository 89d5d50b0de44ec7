"""The market day runs through the real contracts on the harness: repos, a pool loan, an RFQ
to three dealers; then the stress plays the shipped dealer-default shocks on its positions:
margin calls met and missed, a pool liquidation, a default with close-out netting and a
guarantee call; every token is conserved. Shocks chosen in the file change who defaults."""

from __future__ import annotations

from typing import Any

import pytest

from glassledger.errors import InputError
from glassledger.funding import ledger_sofr, participants, snapshot_at
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import ParticipantSpec
from glassledger.sim.market_day import (
    PARTICIPANTS,
    ClockedLedger,
    check_shocks,
    derivatives_day,
    funding_day,
    stress,
)
from glassledger.sim.scenario import Shock, load_scenario

DEALERS = ["dealer-0", "dealer-1", "dealer-2", "dealer-3"]


def _day(shocks: list[Shock]):
    extra = [*PARTICIPANTS, ParticipantSpec("guarantor", ["guarantor"], legal_name="G")]
    genesis = devnet_genesis(extra=extra, params={"repo_margin_deadline_ms": 2_000})
    genesis.time_ms = 1_780_000_000_000  # 2026-05-28
    chain = ClockedChain.start(genesis, draw_seed=None)
    ledger = ClockedLedger(chain)
    funding = funding_day(ledger, "bank", DEALERS)
    derivatives = derivatives_day(ledger, "bank", DEALERS, "client-0", "guarantor")
    return chain, funding, derivatives, stress(ledger, shocks, funding, derivatives)


@pytest.fixture(scope="module")
def day():
    return _day(load_scenario("dealer_default")[0].shocks)


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


def test_the_funding_stress_calls_margin_defaults_and_liquidates(day):
    chain, _, _, shocked = day
    first = shocked.rounds[0]
    assert first.repo_calls == ["R1", "R2", "R3"]  # every repo on the note
    assert first.repo_calls_met == ["R1", "R3"]  # dealer-1 lets R2's call lapse
    assert shocked.margin_calls == 3
    assert shocked.defaults == ["R2"]
    assert shocked.claims["R2"] == 24_000_00
    assert first.liquidated == ["dealer-2"] and shocked.liquidations == 1
    snap = snapshot_at(chain.store)
    sofr = ledger_sofr(snap)
    assert list(sofr["rate_bps"]) == [531]  # R1 (20m at 531) outweighs R2 (15m at 533)
    fund = participants(snap).set_index("participant").loc["fund-0"]
    assert fund["lent"] > 0


def test_the_derivatives_stress_defaults_and_closes_out_netted_with_the_guarantee(day):
    _, _, deriv, shocked = day
    assert deriv.winner == "dealer-1" and deriv.trades == ["SWAP1", "OPT1"]
    assert shocked.rounds[1].vm_calls == ["dealer-1~client-0:client-0"]
    assert shocked.rounds[1].vm_calls_met == []
    [close] = shocked.close_outs
    assert close["defaulter"] == "client-0"
    assert close["close_out_amount"] == 250_000_00 + 900_000_00  # both trades, netted
    assert close["guarantee_paid"] > 0


def test_the_shocks_choose_who_defaults_and_when():
    # dealer-0 misses instead of dealer-1, the client meets its VM call; the marks come first
    shocks = [
        Shock("mark", 0, "SWAP1", amount=250_000_00),
        Shock("price", 1, "note", bps=-400),
        Shock("miss_call", 1, "dealer-0"),
    ]
    chain, _, _, shocked = _day(shocks)
    assert shocked.rounds[0].vm_calls_met == ["dealer-1~client-0:client-0"]
    assert shocked.close_outs == []
    assert shocked.rounds[1].repo_calls_met == ["R2", "R3"]
    assert shocked.defaults == ["R1"] and shocked.liquidations == 0  # the bill held
    for symbol, (supply, held) in _supply_is_held(chain).items():
        assert supply == held, symbol


@pytest.mark.parametrize(
    ("shock", "named"),
    [
        (Shock("price", 0, "SPX", bps=-100), "'note' or 'bill'"),
        (Shock("mark", 0, "SWAP9", amount=1), "SWAP1 or OPT1"),
        (Shock("redemption_wave", 0, share_bps=100), "not played"),
    ],
)
def test_a_shock_the_stress_cannot_play_is_refused(shock, named):
    with pytest.raises(InputError, match=named) as info:
        check_shocks([Shock("miss_call", 0, "dealer-1"), shock])
    assert "shocks[1]" in str(info.value)


def test_every_token_is_conserved(day):
    chain, _, _, _ = day
    for symbol, (supply, held) in _supply_is_held(chain).items():
        assert supply == held, symbol
