"""The basket coin's reserve run like a money-market fund: Rule 2a-7 limits on investments,
liquidity fees and gates, stable and floating NAV, capital buffer, interest from oracle rates,
rebalancing and recomposition (seeds 002 and 004)."""

from __future__ import annotations

from glassledger.contracts import business_days as bd
from glassledger.contracts.basket_book import (
    adequacy,
    balance_sheet,
    rebalance_targets,
    reserve_yield_bps,
)
from glassledger.sim import basket_devnet as devnet
from support.basket import DAY_MS, BasketChain

USD_E10 = 10**10
UNIT = devnet.UNIT_COINS
US = devnet.dealer("USD")


def rates(chain: BasketChain) -> dict[str, int]:
    return {"USD": USD_E10, **chain.rates}


def today(chain: BasketChain) -> int:
    return chain.time_ms // DAY_MS


def with_reserve(units: int = 100, **setup) -> BasketChain:
    chain = BasketChain.create(**setup)
    chain.ok(US, "basket", "mint", units=units)
    return chain


def invest(chain: BasketChain, currency: str, amount: int, days: int, **extra):
    args = {
        "currency": currency,
        "issuer": "US-TREASURY",
        "kind": "government",
        "amount": amount,
        "maturity_day": today(chain) + days,
        "rate_key": "USD.BILL",
    }
    return chain.call("spv", "basket", "invest", **(args | extra))


# -- Rule 2a-7 (2023): WAM <= 60 days, WAL <= 120 days (17 CFR 270.2a-7(d)(1)(ii)-(iii))


def test_a_bill_that_lifts_wam_above_60_days_is_rejected_naming_the_rule():
    chain = with_reserve(rules="2a7-2023")
    usd = chain.book().deposits("USD")  # USD is about 43% of the reserve's value
    refused = invest(chain, "USD", usd * 9 // 10, 180)
    assert not refused.ok
    assert "WAM" in refused.message and "60-day limit of Rule 2a-7 (2023)" in refused.message
    assert "WAL" not in refused.message  # 0.39 x 180 = 70 days: within 120
    assert chain.book().securities == {}  # nothing changed
    assert invest(chain, "USD", usd * 9 // 10, 90).ok  # 35 days: fine


def test_a_floating_rate_note_breaks_wal_but_not_wam():
    chain = with_reserve(rules="2a7-2023")
    usd = chain.book().deposits("USD")
    refused = invest(chain, "USD", usd, 390, kind="agency", issuer="FHLB", reset_period_days=7)
    assert not refused.ok
    assert "WAL" in refused.message and "120-day limit" in refused.message
    assert "WAM" not in refused.message  # resets weekly: WAM uses the reset date


def test_issuer_concentration_and_eligibility_are_checked_too():
    chain = with_reserve(rules="2a7-2023")
    eur = chain.book().deposits("EUR")
    refused = invest(chain, "EUR", eur // 2, 30, kind="commercial_paper", issuer="ACME")
    assert not refused.ok and "issuer 'ACME'" in refused.message and "5% limit" in refused.message
    mica = with_reserve(rules="mica")
    refused = invest(mica, "EUR", 100, 30, kind="commercial_paper", issuer="ACME")
    assert not refused.ok and "not eligible under MiCA" in refused.message


def test_liquidity_fee_and_gate_follow_the_2014_weekly_liquid_triggers():
    # Rule 2a-7 as amended in 2014 (Release IC-31166): below 30% weekly liquid assets the
    # board may charge up to 2% or gate; below 10% a 1% fee applies by default. Limits that
    # would stop the investments are lifted so the reserve can become illiquid.
    params = {"min_weekly_liquid_bps": 0, "min_daily_liquid_bps": 0, "max_issuer_bps": 10_000}
    chain = with_reserve(rules="2a7-2014", rule_params=params)
    refused_gate = chain.call("spv", "basket", "impose_gate", days=3)
    assert not refused_gate.ok and "permits no gate" in refused_gate.message
    for k in devnet.CURRENCIES:
        amount = chain.book().deposits(k) * 95 // 100
        assert invest(chain, k, amount, 30, kind="commercial_paper", issuer="ACME").ok
    redeemed = chain.ok(US, "basket", "redeem", units=1)  # weekly liquid ~5%: 1% fee
    paid = redeemed.events[-1].data["paid"]
    for k, per_unit in devnet.SDR_2022_UNIT.items():
        assert paid[k] == per_unit - -(-per_unit * 100 // 10_000)
    gate = chain.ok("spv", "basket", "impose_gate", days=3).events[-1].data
    gated = chain.call(US, "basket", "redeem", units=1)
    assert not gated.ok and "gated" in gated.message
    # Three business days (a weekend in between makes it more calendar days).
    assert bd.business_days_between(gate["from_day"], gate["until_day"]) == 3
    step_to_day(chain, gate["until_day"])  # the gate expires
    chain.post_rates(devnet.RATES_E10)
    assert chain.call(US, "basket", "redeem", units=1).ok


def step_to_day(chain: BasketChain, day: int) -> None:
    """Commit one block on ledger day ``day`` (days since 1970-01-01)."""
    chain.commit(step_ms=(day - today(chain)) * DAY_MS)


def illiquid_2014(step_to_friday: bool = True) -> BasketChain:
    """A 2014 fund with weekly liquid assets near 5% for 200 days (a gate is permitted), on a
    Friday."""
    params = {"min_weekly_liquid_bps": 0, "min_daily_liquid_bps": 0, "max_issuer_bps": 10_000}
    params |= {"max_wam_days": 397, "max_wal_days": 397}
    chain = with_reserve(rules="2a7-2014", rule_params=params)
    if step_to_friday:
        step_to_day(chain, today(chain) + (4 - bd.weekday(today(chain))) % 7)
        chain.post_rates(devnet.RATES_E10)
    for k in devnet.CURRENCIES:
        amount = chain.book().deposits(k) * 95 // 100
        assert invest(chain, k, amount, 200, kind="commercial_paper", issuer="ACME").ok
    return chain


def test_a_2014_gate_counts_business_days():
    # 17 CFR 270.2a-7(c)(2)(ii) (2014): a gate suspends redemptions for business days. A
    # 3-business-day gate imposed on a Friday still holds on Monday and Tuesday.
    chain = illiquid_2014()
    friday = today(chain)
    assert bd.weekday(friday) == 4
    gate = chain.ok("spv", "basket", "impose_gate", days=3).events[-1].data
    assert gate["from_day"] == friday
    step_to_day(chain, friday + 3)  # Monday
    chain.post_rates(devnet.RATES_E10)
    assert "gated" in chain.call(US, "basket", "redeem", units=1).message
    step_to_day(chain, gate["until_day"])
    chain.post_rates(devnet.RATES_E10)
    assert chain.call(US, "basket", "redeem", units=1).ok


def test_a_2014_gate_is_limited_to_10_business_days_in_any_90_day_period():
    # "may not suspend redemptions for more than 10 business days in any 90-day period".
    chain = illiquid_2014()
    first = chain.ok("spv", "basket", "impose_gate", days=10).events[-1].data
    step_to_day(chain, first["until_day"])
    chain.post_rates(devnet.RATES_E10)
    second = chain.call("spv", "basket", "impose_gate", days=10)
    assert not second.ok and "more than the 10 allowed" in second.message
    assert not chain.call("spv", "basket", "impose_gate", days=1).ok
    step_to_day(chain, first["until_day"] + 89)  # 90 days after its last gated day
    chain.post_rates(devnet.RATES_E10)
    assert chain.call("spv", "basket", "impose_gate", days=10).ok


def test_a_gate_lifted_early_leaves_the_rest_of_the_allowance():
    chain = illiquid_2014()
    friday = today(chain)
    chain.ok("spv", "basket", "impose_gate", days=10)
    step_to_day(chain, friday + 3)  # Monday: Friday and Monday were gated
    chain.post_rates(devnet.RATES_E10)
    chain.ok("spv", "basket", "lift_gate")
    step_to_day(chain, friday + 4)
    chain.post_rates(devnet.RATES_E10)
    assert not chain.call("spv", "basket", "impose_gate", days=9).ok
    assert chain.call("spv", "basket", "impose_gate", days=8).ok


def negative_rates(chain: BasketChain, days: int) -> None:
    """Deposits earn -50% a year for ``days``: the reserve falls below the coins' value."""
    for k in devnet.CURRENCIES:
        chain.post_rate(f"{k}.DEPOSIT", -5_000)
    chain.commit(step_ms=days * DAY_MS)
    chain.post_rates(devnet.RATES_E10)


def test_stable_nav_refuses_redemptions_beyond_the_half_percent_tolerance():
    chain = with_reserve(units=10)
    negative_rates(chain, 10)  # about -1.4%
    check = adequacy(chain.book(), rates(chain))
    assert not check.overall and not check.per_currency
    refused = chain.call(US, "basket", "redeem", units=1)
    assert not refused.ok and "breaking the buck" in refused.message


def test_floating_nav_pays_the_basket_scaled_to_the_reserve():
    chain = with_reserve(units=10, floating_nav=True)
    negative_rates(chain, 10)
    check = adequacy(chain.book(), rates(chain))
    paid = chain.ok(US, "basket", "redeem", units=1).events[-1].data["paid"]
    for k, per_unit in devnet.SDR_2022_UNIT.items():
        assert paid[k] == per_unit * check.reserve_value_e18 // check.required_value_e18
        assert paid[k] < per_unit
    assert balance_sheet(chain.book(), rates(chain)).balanced


def test_interest_accrues_from_oracle_rates_and_the_yield_view_weights_them():
    chain = with_reserve(units=100)
    chain.post_rate("USD.DEPOSIT", 500)
    chain.post_rate("USD.BILL", 530)
    usd = chain.book().deposits("USD")
    assert invest(chain, "USD", usd // 2, 91).ok
    chain.commit(step_ms=36 * DAY_MS)
    book = chain.book()
    bill, deposit = usd // 2, usd - usd // 2
    # actual/360: 5.30% and 5.00% for 36 days (and a few seconds)
    assert book.accrued["USD"] == bill * 530 * 36 // 3_600_000 + deposit * 500 * 36 // 3_600_000
    assert book.accrued["EUR"] == 0  # no EUR rate posted
    yield_bps = reserve_yield_bps(book, rates(chain), {"USD.DEPOSIT": 500, "USD.BILL": 530})
    usd_share = (
        57_813
        * USD_E10
        / sum(
            p * rates(chain)[k] * 10 ** (2 - devnet.DECIMALS[k])
            for k, p in devnet.SDR_2022_UNIT.items()
        )
    )
    assert yield_bps == int(usd_share * 515)  # half at 530, half at 500, USD's share
    # the custodian pays the interest in: receivable becomes cash
    custodian = devnet.bank("USD")
    chain.ok(custodian, "token", "mint", symbol="USD", to=custodian, amount=book.accrued["USD"])
    chain.ok(custodian, "basket", "settle_interest", currency="USD", amount=book.accrued["USD"])
    after = chain.book()
    assert after.accrued["USD"] == 0 and after.assets("USD") == book.assets("USD")


def test_capital_buffer_limits_withdrawals():
    chain = with_reserve(units=100, rule_params={"min_capital_buffer_bps": 100})
    usd = chain.book().liabilities("USD") // 10  # about 4% of the reserve
    chain.ok("spv", "basket", "contribute_capital", currency="USD", amount=usd)
    refused = chain.call("spv", "basket", "withdraw_capital", currency="USD", amount=usd)
    assert not refused.ok and "capital buffer 0% is below the 1% minimum" in refused.message
    assert chain.call("spv", "basket", "withdraw_capital", currency="USD", amount=usd // 2).ok


def test_rebalancing_swaps_the_surplus_currency_for_the_short_one_at_oracle_rates():
    chain = with_reserve(units=100)
    chain.ok("spv", "basket", "contribute_capital", currency="USD", amount=2_000_000)
    targets = rebalance_targets(chain.book(), rates(chain))
    assert chain.book().assets("USD") > targets["USD"]
    short = targets["EUR"] - chain.book().assets("EUR")
    too_much = chain.call(US, "basket", "rebalance", give="EUR", amount=short + 1, take="USD")
    assert not too_much.ok and "overshoot" in too_much.message
    done = chain.ok(US, "basket", "rebalance", give="EUR", amount=short, take="USD")
    assert done.events[-1].data["taken"] == short * 11 // 10  # EUR 1.10
    assert chain.book().assets("EUR") == targets["EUR"]
    assert balance_sheet(chain.book(), rates(chain)).balanced


def test_recomposition_takes_effect_at_the_height_and_equity_absorbs_the_change():
    chain = with_reserve(units=100)
    new = dict(devnet.SDR_2022_UNIT, CNY=54_965, USD=57_813 + 7_741)  # CNY halved, into USD
    effective = chain.height + 3
    chain.ok("regulator", "basket", "recompose", unit_amounts=new, effective_height=effective)
    assert chain.get("basket", "config")["unit_amounts"]["CNY"] == 109_930
    while chain.height < effective:
        chain.commit()
    book = chain.book()
    assert book.config["unit_amounts"] == new
    assert book.liabilities("CNY") == 54_965 * 100
    check = adequacy(book, rates(chain))
    assert not check.per_currency  # the pool now lacks USD and holds too much CNY
    assert balance_sheet(book, rates(chain)).balanced


def test_institutional_coin_under_2023_pays_the_mandatory_fee_above_5_percent_net_redemptions():
    # Rule 2a-7 as amended in 2023 (Release IC-34959): an institutional prime fund charges a
    # liquidity fee (1% when the cost cannot be estimated) when daily net redemptions exceed
    # 5% of net assets; gates are no longer permitted.
    chain = with_reserve(units=100, rules="2a7-2023", institutional=True)
    chain.commit(step_ms=DAY_MS)  # a new day: 100 units at its start
    chain.post_rates(devnet.RATES_E10)
    first = chain.ok(US, "basket", "redeem", units=5).events[-1].data["paid"]
    assert first == {k: 5 * p for k, p in devnet.SDR_2022_UNIT.items()}  # exactly 5%: no fee
    second = chain.ok(US, "basket", "redeem", units=1).events[-1].data["paid"]  # 6% today
    assert second == {k: p - -(-p * 100 // 10_000) for k, p in devnet.SDR_2022_UNIT.items()}


def test_the_2023_mandatory_fee_compares_net_redemptions_exactly():
    # 26 of 519 units is 5.0096% of net assets: more than 5%, so the fee is due (flooring the
    # share to 500 bps first would have waived it).
    chain = with_reserve(units=519, rules="2a7-2023", institutional=True)
    chain.commit(step_ms=DAY_MS)
    chain.post_rates(devnet.RATES_E10)
    paid = chain.ok(US, "basket", "redeem", units=26).events[-1].data["paid"]
    fee = {k: -(-26 * p * 100 // 10_000) for k, p in devnet.SDR_2022_UNIT.items()}
    assert paid == {k: 26 * p - fee[k] for k, p in devnet.SDR_2022_UNIT.items()}
    refused = chain.call("spv", "basket", "impose_gate", days=1)
    assert not refused.ok and "permits no gate" in refused.message


def test_mica_requires_deposits_per_referenced_currency():
    # MiCA art. 36 and the EBA RTS on reserve liquidity (our reading): at least 30% of each
    # referenced currency's reserve held as deposits with credit institutions.
    chain = with_reserve(units=100, rules="mica")
    usd = chain.book().deposits("USD")
    refused = invest(chain, "USD", usd * 3 // 4, 30)
    assert not refused.ok and "deposits are 25% of the USD reserve" in refused.message
    assert "below the 30% minimum of MiCA art. 36" in refused.message
    assert invest(chain, "USD", usd * 7 // 10, 30).ok


def test_the_regulator_switches_to_floating_nav_after_the_buck_breaks():
    chain = with_reserve(units=10)
    negative_rates(chain, 10)
    assert not chain.call(US, "basket", "redeem", units=1).ok
    chain.ok("regulator", "basket", "set_floating_nav", floating=True)
    assert chain.call(US, "basket", "redeem", units=1).ok


def test_a_bill_earns_until_it_matures_and_its_cash_returns_to_deposits():
    chain = with_reserve(units=100)
    chain.post_rate("USD.BILL", 400)
    usd = chain.book().deposits("USD")
    assert invest(chain, "USD", usd, 10).ok
    assert chain.book().deposits("USD") == 0
    chain.commit(step_ms=30 * DAY_MS)
    book = chain.book()
    assert book.securities == {} and book.deposits("USD") == usd
    assert book.accrued["USD"] == usd * 400 * 10 // 3_600_000  # 10 days, not 30
    assert any(e.name == "matured" for e in chain.events)


def _post_price(chain: BasketChain, key: str, price_e8: int) -> None:
    chain.ok(
        "regulator",
        "oracle",
        "post",
        kind="price",
        key=key,
        value=price_e8,
        scale=8,
        observed_ms=chain.time_ms + 1_000,
    )


def test_a_fire_sale_realises_the_discount_as_a_loss_and_lowers_the_intrinsic_rate():
    chain = with_reserve(units=100)
    assert invest(chain, "USD", 3_000_000, 30).ok
    sid = next(iter(chain.book().securities))
    before = chain.book()
    sheet0 = balance_sheet(before, rates(chain))
    _post_price(chain, "CP.USD", 97 * 10**8 + 50_000_000)  # 97.50 per 100
    paid_to_buyer = (
        chain.ok(
            "spv",
            "basket",
            "sell_security",
            security=sid,
            amount=1_000_000,
            price_key="CP.USD",
            buyer=US,
        )
        .events[-1]
        .data
    )
    assert paid_to_buyer["proceeds"] == 975_000 and paid_to_buyer["loss"] == 25_000
    after = chain.book()
    assert after.securities[sid]["amount"] == 2_000_000
    assert after.deposits("USD") == before.deposits("USD") + 975_000
    assert after.equity["USD"] == before.equity["USD"] - 25_000
    sheet1 = balance_sheet(after, rates(chain))
    assert sheet1.balanced and sheet1.assets_e18 < sheet0.assets_e18
    # the rest at par: the record goes; above par or more than held is refused
    _post_price(chain, "CP.USD", 100 * 10**8)
    assert chain.call(
        "spv",
        "basket",
        "sell_security",
        security=sid,
        amount=2_000_001,
        price_key="CP.USD",
        buyer=US,
    ).message.startswith("amount must be")
    chain.ok(
        "spv",
        "basket",
        "sell_security",
        security=sid,
        amount=2_000_000,
        price_key="CP.USD",
        buyer=US,
    )
    assert sid not in chain.book().securities
    _post_price(chain, "CP.USD", 101 * 10**8)
    assert invest(chain, "USD", 1_000, 30).ok
    sid2 = max(chain.book().securities)
    refused = chain.call(
        "spv", "basket", "sell_security", security=sid2, amount=1_000, price_key="CP.USD", buyer=US
    )
    assert not refused.ok and "not in (0, 100]" in refused.message
    assert not chain.call(
        US, "basket", "sell_security", security=sid2, amount=1_000, price_key="CP.USD", buyer=US
    ).ok  # only the manager sells
