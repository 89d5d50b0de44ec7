"""The basket coin's views read off the ledger at any height (``basket_book.snapshot``)."""

from __future__ import annotations

from fractions import Fraction

from tests.support.basket import BasketChain

from glassledger.contracts.basket_book import snapshot
from glassledger.sim import basket_devnet as devnet

UNIT = devnet.UNIT_COINS
US = devnet.dealer("USD")


def test_snapshot_at_the_head_and_at_a_past_height(tmp_path):
    chain = BasketChain(path=tmp_path / "chain.sqlite", fee_bps=10)
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
