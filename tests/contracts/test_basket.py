"""The basket coin on the ledger: direct mint and redeem, fees, the balance sheet, adequacy and
the three rates, through signed transactions on a devnet chain."""

from __future__ import annotations

from fractions import Fraction

import pytest

from glassledger.contracts.basket_book import adequacy, balance_sheet, intrinsic_rate
from glassledger.contracts.basket_book import theoretical_rate as theoretical
from glassledger.sim import basket_devnet as devnet
from support.basket import BasketChain

USD_E10 = 10**10
COINS_PER_UNIT = devnet.UNIT_COINS


def rates(chain: BasketChain) -> dict[str, int]:
    return {"USD": USD_E10, **chain.rates}


@pytest.fixture(scope="module")
def coin() -> BasketChain:
    return BasketChain.create(fee_bps=10)


def test_theoretical_rate_reproduces_the_imf_sdr_valuation_of_29_november_2022():
    # IMF, "SDR Valuation" for November 29, 2022: CNY 7.1695 per USD, EUR 1.03815 USD,
    # JPY 137.96 per USD, GBP 1.20235 USD; published SDR 1 = US$1.31425 (six significant
    # digits). Rates enter the ledger as USD per unit x 1e10, rounded to the nearest.
    quotes = {
        "CNY": Fraction(1, Fraction("7.1695")),
        "EUR": Fraction("1.03815"),
        "JPY": Fraction(1, Fraction("137.96")),
        "GBP": Fraction("1.20235"),
    }
    rates_e10 = {k: round(v * USD_E10) for k, v in quotes.items()} | {"USD": USD_E10}
    config = {
        "currencies": list(devnet.CURRENCIES),
        "decimals": devnet.DECIMALS,
        "unit_amounts": devnet.SDR_2022_UNIT,
        "unit_coins": COINS_PER_UNIT,
        "coin_decimals": devnet.COIN_DECIMALS,
    }
    usd_per_unit = theoretical(config, rates_e10)
    assert f"{float(usd_per_unit):.6g}" == "1.31425"


def test_mint_takes_the_basket_plus_fee_and_redeem_returns_it_less_the_fee(coin):
    dealer = devnet.dealer("USD")
    before = {k: coin.balance(dealer, k) for k in devnet.CURRENCIES}
    minted = coin.ok(dealer, "basket", "mint", units=3)
    delivered = minted.events[-1].data["delivered"]
    for k, per_unit in devnet.SDR_2022_UNIT.items():
        fee = -(-per_unit * 3 * 10 // 10_000)
        assert delivered[k] == per_unit * 3 + fee
        assert coin.balance(dealer, k) == before[k] - delivered[k]
    assert coin.balance(dealer, devnet.COIN) == 3 * COINS_PER_UNIT
    assert coin.supply(devnet.COIN) == 3 * COINS_PER_UNIT

    coin.ok(dealer, "basket", "redeem", units=3)
    assert coin.balance(dealer, devnet.COIN) == 0 and coin.supply(devnet.COIN) == 0
    # round trip: per currency the dealer lost exactly the two 10 bps fees (rounded up)
    value = rates(coin)
    lost = {k: before[k] - coin.balance(dealer, k) for k in devnet.CURRENCIES}
    assert lost == {k: 2 * -(-p * 3 * 10 // 10_000) for k, p in devnet.SDR_2022_UNIT.items()}
    lost_e18 = sum(lost[k] * value[k] * 10 ** (8 - devnet.DECIMALS[k]) for k in devnet.CURRENCIES)
    basket_e18 = sum(
        3 * p * value[k] * 10 ** (8 - devnet.DECIMALS[k]) for k, p in devnet.SDR_2022_UNIT.items()
    )
    # 20 bps of the basket's value, plus at most one minor unit per currency and fee
    assert basket_e18 * 20 // 10_000 <= lost_e18 <= basket_e18 * 20 // 10_000 + 2 * 10**18
    sheet = balance_sheet(coin.book(), rates(coin))
    assert sheet.balanced and sheet.liabilities_e18 == 0 and sheet.equity_e18 == lost_e18


def test_only_admitted_authorized_dealers_mint_and_coins_cannot_be_minted_directly(coin):
    refused = coin.call(devnet.user("USD", 0), "basket", "mint", units=1)
    assert refused.reason == "permission_denied"
    forged = coin.call(
        devnet.dealer("USD"), "token", "mint", symbol=devnet.COIN, to=devnet.dealer("USD"), amount=1
    )
    assert not forged.ok
    short = coin.call(devnet.dealer("USD"), "basket", "redeem", units=1)
    assert not short.ok and "insufficient GLC" in short.message


def test_adequacy_views_and_the_three_rates_after_fx_moves():
    chain = BasketChain.create()
    chain.ok(devnet.dealer("EUR"), "basket", "mint", units=10)
    book = chain.book()
    check = adequacy(book, rates(chain))
    assert check.per_currency and check.overall
    assert intrinsic_rate(book, rates(chain)) == theoretical(book.config, rates(chain))
    # an exact basket reserve tracks the basket at any rates
    chain.post_rates({"EUR": 9_000_000_000, "JPY": 60_000_000})
    check = adequacy(chain.book(), rates(chain))
    assert check.per_currency and check.overall
    assert intrinsic_rate(chain.book(), rates(chain)) == theoretical(book.config, rates(chain))


def test_token_issuer_and_holder_contract_ids_must_name_a_running_contract(coin):
    bad_issuer = coin.call(
        "regulator", "token", "create", symbol="XX", decimals=2, issuer="contract:nope"
    )
    assert not bad_issuer.ok and "names no contract" in bad_issuer.message
    stray = coin.call(
        devnet.user("USD", 0), "token", "transfer", symbol="USD", to="contract:nope", amount=1
    )
    assert not stray.ok and "names no contract" in stray.message
    # a participant cannot spend a contract's balance: pay is for contracts only
    spend = coin.call(
        devnet.dealer("USD"), "token", "pay", symbol="USD", to=devnet.dealer("USD"), amount=1
    )
    assert spend.reason == "permission_denied"
