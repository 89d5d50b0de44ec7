"""The constant-product market maker and the coin's market rate (seed 004 III.(4)): x*y never
falls, and mint-and-sell arbitrage pulls the market rate toward the theoretical rate."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from glassledger.contracts.amm import price_e10, swap_output
from glassledger.contracts.basket_book import theoretical_rate
from glassledger.sim import basket_devnet as devnet
from support.basket import BasketChain

UNIT = devnet.UNIT_COINS
US = devnet.dealer("USD")
POOL = "GLC-USD"


@given(
    x=st.integers(1, 10**15),
    y=st.integers(1, 10**15),
    amount=st.integers(1, 10**15),
    fee_bps=st.integers(0, 9_999),
)
def test_a_swap_never_lowers_the_constant_product_nor_pays_out_the_pool(x, y, amount, fee_bps):
    out = swap_output(amount, x, y, fee_bps)
    assert 0 <= out < y
    assert (x + amount) * (y - out) >= x * y


def test_matches_uniswap_v2_get_amount_out_with_its_0_3_percent_fee():
    # UniswapV2Library.getAmountOut: amountInWithFee = amountIn * 997; out = amountInWithFee *
    # reserveOut / (reserveIn * 1000 + amountInWithFee) (Uniswap v2 core whitepaper, 3.2.1)
    e18 = 10**18
    for amount_in, reserve_in, reserve_out in ((e18, 10 * e18, 10 * e18), (7, 1_000, 5_000_003)):
        uniswap = amount_in * 997 * reserve_out // (reserve_in * 1000 + amount_in * 997)
        assert swap_output(amount_in, reserve_in, reserve_out, 30) == uniswap
    assert swap_output(e18, 10 * e18, 10 * e18, 30) == 906_610_893_880_149_131


def market_rate(chain: BasketChain) -> Fraction:
    pool = chain.get("amm", f"pool/{POOL}")
    return Fraction(price_e10(pool, devnet.COIN_DECIMALS, 2), 10**10)


def test_arbitrage_pulls_the_market_rate_toward_the_theoretical_rate():
    chain = BasketChain.create()
    chain.ok(US, "basket", "mint", units=50)
    rates = {"USD": 10**10, **chain.rates}
    theoretical = theoretical_rate(chain.get("basket", "config"), rates)
    # the pool opens 10% above the theoretical rate (USD per coin)
    coins = 20 * UNIT
    usd = int(coins * theoretical * Fraction(11, 10) / 10**devnet.COIN_DECIMALS * 100)
    chain.ok(
        US,
        "amm",
        "open_pool",
        base=devnet.COIN,
        quote="USD",
        base_amount=coins,
        quote_amount=usd,
        fee_bps=30,
    )
    start = market_rate(chain)
    assert start > theoretical * Fraction(109, 100)
    # the dealer mints at the theoretical rate and sells coins into the pool, in lots of 100
    # coins, until the market rate is back within 1% of it
    arbitrageur = devnet.dealer("EUR")
    chain.ok(arbitrageur, "basket", "mint", units=3)
    lots = 0
    while market_rate(chain) > theoretical * Fraction(101, 100) and lots < 40:
        chain.ok(arbitrageur, "amm", "swap", pool=POOL, sell=devnet.COIN, amount=UNIT // 10)
        lots += 1
    assert 0 < lots < 40
    assert theoretical * Fraction(99, 100) <= market_rate(chain) <= theoretical * Fraction(101, 100)
    pool = chain.get("amm", f"pool/{POOL}")
    assert pool["x"] * pool["y"] >= coins * usd


def test_liquidity_comes_back_pro_rata_and_the_last_share_stays():
    chain = BasketChain.create()
    chain.ok(US, "basket", "mint", units=3)
    chain.ok(
        US,
        "amm",
        "open_pool",
        base=devnet.COIN,
        quote="USD",
        base_amount=2 * UNIT,
        quote_amount=260_000,
        fee_bps=30,
    )
    shares = chain.get("amm", f"lp/{POOL}/{US}")
    provider = devnet.dealer("GBP")
    chain.ok(provider, "basket", "mint", units=1)
    chain.ok(provider, "amm", "provide", pool=POOL, base_amount=UNIT)
    assert chain.get("amm", f"lp/{POOL}/{provider}") == shares // 2
    assert chain.balance(provider, "USD") < 57_813 * 100_000  # paid 130,000 cents in
    last = chain.call(US, "amm", "withdraw", pool=POOL, shares=shares + shares // 2)
    assert not last.ok
    chain.ok(provider, "amm", "withdraw", pool=POOL, shares=shares // 2)
    assert chain.balance(provider, devnet.COIN) == UNIT
