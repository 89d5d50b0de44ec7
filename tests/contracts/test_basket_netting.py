"""Two-level netting (seed 004 II.(2)) and T+0 user redemptions with a settlement reserve and
advance funding (seed 002, the Yu'e Bao model), through signed transactions."""

from __future__ import annotations

from glassledger.contracts.basket_book import adequacy, intrinsic_rate, theoretical_rate
from glassledger.sim import basket_devnet as devnet
from support.basket import DAY_MS, BasketChain

UNIT = devnet.UNIT_COINS
US, JP = devnet.dealer("USD"), devnet.dealer("JPY")


def funded_chain() -> BasketChain:
    """Two dealers with basket currencies and 5 creation units of coin inventory at the pool."""
    chain = BasketChain.create(fee_bps=5, window_blocks=5)
    calls = []
    for d in (US, JP):
        calls.append((d, "basket", "mint", {"units": 5}))
        calls.append((d, "basket", "deposit", {"symbol": devnet.COIN, "amount": 5 * UNIT}))
        for k, per_unit in devnet.SDR_2022_UNIT.items():
            calls.append((d, "basket", "deposit", {"symbol": k, "amount": per_unit * 40}))
    receipts = chain.commit(calls)
    assert all(r.ok for r in receipts), [r.message for r in receipts if not r.ok]
    chain.finish_window()
    return chain


def window_event(chain: BasketChain):
    closes = [e for e in chain.events if e.name == "window_closed"]
    return closes[-1].data


def test_pool_nets_a_creation_against_a_redemption_and_only_the_net_moves_the_reserve():
    chain = funded_chain()
    cash_before = dict(chain.book().cash)
    supply_before = chain.supply(devnet.COIN)
    chain.commit([(US, "basket", "order", {"units": 7}), (JP, "basket", "order", {"units": -4})])
    chain.finish_window()
    closed = window_event(chain)
    assert closed["orders"] == {US: 7, JP: -4}
    assert (closed["gross_units"], closed["net_units"]) == (11, 3)
    book = chain.book()
    assert book.units == 13  # 10 minted directly, +3 net
    assert chain.supply(devnet.COIN) - supply_before == 3 * UNIT
    for k, per_unit in devnet.SDR_2022_UNIT.items():
        fees = -(-per_unit * 7 * 5 // 10_000) + -(-per_unit * 4 * 5 // 10_000)
        flow = book.cash[k] - cash_before[k]
        assert flow == closed["reserve_flow"][k] == 3 * per_unit + fees
        # gross would have moved 7 units in and 4 out: 11 units through the reserve
        assert abs(flow) < 11 * per_unit
    assert chain.get("basket", "netting")["gross_units"] == 11
    assert chain.get("basket", f"acct/{US}/{devnet.COIN}") == 12 * UNIT
    assert chain.get("basket", f"acct/{JP}/{devnet.COIN}") == 1 * UNIT


def test_dealer_nets_its_users_purchases_and_sales_before_the_pool():
    chain = funded_chain()
    a, b = devnet.user("USD", 0), devnet.user("USD", 1)
    coins = 3 * UNIT
    receipts = chain.commit(
        [
            (a, "basket", "buy", {"dealer": US, "coins": coins}),
            (b, "basket", "buy", {"dealer": US, "coins": 4 * UNIT}),
            (a, "basket", "sell", {"dealer": US, "coins": 2 * UNIT}),
        ]
    )
    assert all(r.ok for r in receipts), [r.message for r in receipts]
    # a was filled from inventory at once; b partly (2 of 4 units), then by a's sale
    assert chain.balance(a, devnet.COIN) == UNIT
    assert chain.balance(b, devnet.COIN) == 4 * UNIT
    chain.finish_window()
    # users bought 7 units and sold 2: net 5 = the inventory; no pool order, no reserve flow
    closes = [e for e in chain.events if e.name == "window_closed"]
    assert all(e.data["orders"] in ({}, {US: 0}) for e in closes[1:])
    assert chain.book().units == 10


def test_t0_sale_is_paid_from_the_settlement_reserve_then_advance_funding_at_a_cost():
    chain = funded_chain()
    user = devnet.user("JPY", 0)
    chain.ok(user, "basket", "buy", dealer=JP, coins=2 * UNIT)
    local = chain.get("basket", f"acct/{JP}/JPY")
    chain.ok(JP, "basket", "withdraw", symbol="JPY", amount=local - 1_000)  # thin reserve
    bank = devnet.bank("JPY")
    chain.ok(bank, "token", "mint", symbol="JPY", to=bank, amount=500_000)
    chain.ok(bank, "basket", "open_facility", dealer=JP, limit=500_000, rate_bps=365)
    before = chain.balance(user, "JPY")
    sold = chain.ok(user, "basket", "sell", dealer=JP, coins=2 * UNIT)
    event = next(e for e in sold.events if e.name == "sold")
    assert event.data["from_reserve"] == 1_000 and event.data["advanced"] > 0
    assert chain.balance(user, "JPY") - before == event.data["paid"]  # T+0
    advanced = event.data["advanced"]
    # the dealer tops its reserve up; the advance is repaid at the close with its cost
    chain.ok(JP, "basket", "deposit", symbol="JPY", amount=advanced * 2)
    chain.commit(step_ms=DAY_MS)  # one day later
    chain.finish_window()
    facility = chain.get("basket", f"fac/{JP}")
    assert facility["drawn"] == 0
    # 3.65% a year on the advance for just over a day: about 1 bp of it, rounded up
    assert advanced // 10_000 <= facility["cost_total"] <= advanced // 10_000 + 2
    assert facility["held"] == 500_000 + facility["cost_total"]


def test_t0_sale_beyond_reserve_and_facility_is_refused():
    chain = funded_chain()
    user = devnet.user("USD", 0)
    chain.ok(user, "basket", "buy", dealer=US, coins=UNIT)
    local = chain.get("basket", f"acct/{US}/USD")
    chain.ok(US, "basket", "withdraw", symbol="USD", amount=local)
    refused = chain.call(user, "basket", "sell", dealer=US, coins=UNIT)
    assert not refused.ok and "T+0 capacity" in refused.message
    assert chain.balance(user, devnet.COIN) == UNIT  # nothing moved


def test_a_surge_of_yen_demand_leaves_the_pool_an_exact_basket_and_the_fx_with_the_dealer():
    # Seed 004 II.(2): users in one currency area pay their dealer in local currency; the
    # dealer delivers the basket to the pool, so the pool's composition does not drift and
    # the intrinsic rate keeps equal to the theoretical rate when the yen then falls 10%.
    chain = BasketChain.create(window_blocks=5)
    funding = [
        (JP, "basket", "deposit", {"symbol": k, "amount": p * 60})
        for k, p in devnet.SDR_2022_UNIT.items()
    ]
    assert all(r.ok for r in chain.commit(funding))
    account = {k: chain.get("basket", f"acct/{JP}/{k}") for k in devnet.CURRENCIES}
    users = [devnet.user("JPY", i) for i in range(2)]
    receipts = chain.commit(
        [(u, "basket", "buy", {"dealer": JP, "coins": 25 * UNIT}) for u in users]
    )
    paid = sum(next(e for e in r.events if e.name == "bought").data["paid"] for r in receipts)
    chain.finish_window()
    assert all(chain.balance(u, devnet.COIN) == 25 * UNIT for u in users)
    book = chain.book()
    assert book.units == 50
    assert {k: book.cash[k] for k in devnet.CURRENCIES} == {
        k: p * 50 for k, p in devnet.SDR_2022_UNIT.items()
    }
    # the dealer took yen and gave the basket: long yen, short the other four currencies
    after = {k: chain.get("basket", f"acct/{JP}/{k}") for k in devnet.CURRENCIES}
    assert after["JPY"] - account["JPY"] == paid - 13_452 * 50
    assert all(
        after[k] - account[k] == -p * 50 for k, p in devnet.SDR_2022_UNIT.items() if k != "JPY"
    )
    chain.post_rates({"JPY": devnet.RATES_E10["JPY"] * 9 // 10})
    rates = {"USD": 10**10, **chain.rates}
    assert adequacy(chain.book(), rates).per_currency
    assert intrinsic_rate(chain.book(), rates) == theoretical_rate(book.config, rates)


def test_purchases_wait_for_the_close_and_a_suspended_user_does_not_hold_up_the_others():
    chain = BasketChain.create(window_blocks=5)
    gb = devnet.dealer("GBP")
    funding = [
        (gb, "basket", "deposit", {"symbol": k, "amount": p * 10})
        for k, p in devnet.SDR_2022_UNIT.items()
    ]
    assert all(r.ok for r in chain.commit(funding))
    chain.finish_window()
    first, second = devnet.user("GBP", 0), devnet.user("GBP", 1)
    chain.ok(first, "basket", "buy", dealer=gb, coins=UNIT // 2)  # no inventory: waits
    chain.ok(second, "basket", "buy", dealer=gb, coins=UNIT)
    assert chain.balance(first, devnet.COIN) == 0
    chain.ok("regulator", "identity", "set_active", participant=first, active=False)
    chain.finish_window()
    assert chain.book().units == 2  # ceil(1.5 units)
    assert chain.balance(second, devnet.COIN) == UNIT
    assert chain.get("basket", f"win/{gb}")["pending"] == [[first, UNIT // 2]]
    chain.ok("regulator", "identity", "set_active", participant=first, active=True)
    chain.finish_window()
    assert chain.balance(first, devnet.COIN) == UNIT // 2
    assert chain.get("basket", f"acct/{gb}/{devnet.COIN}") == UNIT // 2  # inventory left
