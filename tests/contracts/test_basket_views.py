"""The basket coin's views read off the ledger at any height (``basket_book.snapshot``)."""

from __future__ import annotations

from fractions import Fraction

from glassledger.contracts.basket_book import snapshot
from glassledger.sim import basket_devnet as devnet
from support.basket import BasketChain

UNIT = devnet.UNIT_COINS
US = devnet.dealer("USD")


def test_snapshot_at_the_head_and_at_a_past_height(tmp_path):
    chain = BasketChain.create(path=tmp_path / "chain.sqlite", fee_bps=10)
    chain.ok(US, "basket", "mint", units=40)
    first = chain.height
    chain.post_rate("USD.DEPOSIT", 450)
    chain.post_rates({"EUR": 12_000_000_000})
    chain.ok(US, "basket", "mint", units=10)
    chain.ok(
        US,
        "amm",
        "open_pool",
        base=devnet.COIN,
        quote="USD",
        base_amount=10 * UNIT,
        quote_amount=1_400_000,
        fee_bps=30,
    )

    now = snapshot(chain.chain.state.get)
    assert now.book.units == 50 and now.rates["EUR"] == 12_000_000_000
    assert now.sheet.balanced and now.adequacy.per_currency and now.adequacy.overall
    assert now.market == Fraction(7, 5)  # US$14,000 for 10,000 coins
    assert now.intrinsic > now.theoretical  # the fees are equity
    usd_share = Fraction(
        57_813 * 10**10,
        sum(
            p * now.rates[k] * 10 ** (2 - devnet.DECIMALS[k])
            for k, p in devnet.SDR_2022_UNIT.items()
        ),
    )
    assert now.interest_bps == {"USD.DEPOSIT": 450}
    assert abs(now.yield_bps - usd_share * 450) <= 1

    past = snapshot(chain.store.state_at(first).get)
    assert past.book.units == 40 and past.rates["EUR"] == devnet.RATES_E10["EUR"]
    assert past.market is None and past.interest_bps == {}
    # 40,000 coins owed at the theoretical rate of that day, exactly
    assert past.sheet.liabilities_e18 == past.theoretical * 40_000 * 10**18


def test_a_basket_chain_replays_to_the_same_roots(tmp_path):
    # deterministic contract code: replaying every block from genesis (netting windows,
    # interest accrual, user trades, an AMM pool) reproduces every state and receipts root
    from glassledger.contracts.registry import standard_registry
    from glassledger.ledger.verify import verify_chain

    chain = BasketChain.create(path=tmp_path / "chain.sqlite", fee_bps=5, window_blocks=3)
    user = devnet.user("EUR", 0)
    chain.post_rate("EUR.DEPOSIT", 250)
    chain.commit(
        [
            (US, "basket", "mint", {"units": 8}),
            (US, "basket", "deposit", {"symbol": devnet.COIN, "amount": 4 * UNIT}),
            (US, "basket", "deposit", {"symbol": "USD", "amount": 100_000}),
        ]
    )
    chain.ok(user, "token", "transfer", symbol="EUR", to=US, amount=1)
    chain.commit(step_ms=2 * 86_400_000)
    chain.post_rates(devnet.RATES_E10)
    chain.ok(
        US,
        "amm",
        "open_pool",
        base=devnet.COIN,
        quote="USD",
        base_amount=UNIT,
        quote_amount=134_000,
        fee_bps=30,
    )
    chain.ok(US, "basket", "order", units=-1)
    chain.finish_window()
    assert verify_chain(chain.store, standard_registry()) == chain.height
