"""Standing facilities on the ledger: reverse repo at the floor, standing repo at the
ceiling (minimum bid rate, limits), unwinds in the block hooks, and the corridor they put
around the on-ledger overnight rate (the pool's)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassledger.contracts import lending_math as lm
from glassledger.contracts.pool import read_market, total_debt
from support.funding import BILL, DAY_MS, E8, GOLD, FundingChain

M = "USDPOOL"


@pytest.fixture
def f() -> FundingChain:
    chain = FundingChain()
    chain.open_facility()
    return chain


def fac(who, method, **args):
    return (who, "facility", method, args)


def test_reverse_repo_unwinds_at_the_floor_in_the_hook(f):
    f.must(fac("client-0", "rrp_invest", amount=100_000_00, collateral=BILL))
    assert f.balance("client-0") == 900_000_00
    (op,) = [v for k, v in [("rrp0", f.get("facility", "op/rrp0"))]]
    # 100,000 cash at 99 per 100 face: 101,010.11 of face (rounded up), escrowed for client-0
    assert op["units"] == 101_010_11 and op["rate_bps"] == 430
    lock = f.get("token", "l/facility/rrp0")
    assert lock["holder"] == "client-0" and lock["amount"] == op["units"]
    assert f.get("trades", "tr/facility/rrp0")["status"] == "open"
    f.post_rate("USD.ON_RRP", 430, step_ms=DAY_MS)  # the next (business) day
    # Thursday -> Friday: one day at 4.30% actual/360 = 11.94 (rounded down)
    assert f.balance("client-0") == 1_000_000_00 + 11_94
    assert f.get("token", "l/facility/rrp0") is None
    assert f.get("facility", "op/rrp0")["state"] == "matured"
    assert f.get("trades", "tr/facility/rrp0")["status"] == "matured"


def test_standing_repo_minimum_bid_limits_repay_and_default():
    f = FundingChain()
    f.open_facility(
        params={"srf_aggregate_limit": 300_000_00, "srf_counterparty_limit": 200_000_00}
    )
    take = lambda who, amount, rate=450, units=250_000_00: fac(  # noqa: E731
        who, "srf_borrow", amount=amount, rate_bps=rate, collateral=BILL, collateral_amount=units
    )
    (r,) = f.run(take("dealer-0", 100_000_00, rate=449))
    assert not r.ok and "minimum bid rate" in r.message
    (r,) = f.run(take("dealer-0", 100_000_00, units=100_000_00))  # 99,000 x 98% < 100,000
    assert not r.ok and "haircut" in r.message
    (r,) = f.run(
        fac(
            "dealer-0",
            "srf_borrow",
            amount=1_00,
            rate_bps=450,
            collateral=GOLD,
            collateral_amount=1,
        )
    )
    assert not r.ok and "ineligible collateral" in r.message
    (r,) = f.run(take("client-0", 1_00))
    assert not r.ok and r.reason == "permission_denied"
    f.must(take("dealer-0", 200_000_00))
    (r,) = f.run(take("dealer-0", 1_00))
    assert not r.ok and "counterparty limit" in r.message
    f.must(take("dealer-1", 100_000_00, rate=475))
    (r,) = f.run(take("dealer-2", 1_00))
    assert not r.ok and "aggregate limit" in r.message
    cash0 = f.balance("dealer-0")
    f.must(fac("dealer-0", "srf_repay", loan="srf0"))
    # one night at 4.50% on 200,000, rounded up: 25.00
    assert cash0 - f.balance("dealer-0") == 200_000_00 + 25_00
    assert f.get("trades", "tr/facility/srf0")["status"] == "matured"
    # dealer-1 does not repay: after maturity and the grace period the operator keeps the bills
    bills = f.balance("regulator", BILL)
    f.post_rate("USD.SRF", 450, step_ms=DAY_MS + 5 * 3_600_000)
    assert f.get("facility", "op/srf1")["state"] == "defaulted"
    assert f.balance("regulator", BILL) == bills + 250_000_00
    trade = f.get("trades", "tr/facility/srf1")
    assert trade["status"] == "defaulted" and trade["recovery_bps"] == 10_000


def test_stale_rate_is_rejected(f):
    f.run(step_ms=2 * DAY_MS)
    f.post_prices(bill=99 * E8)
    (r,) = f.run(fac("client-0", "rrp_invest", amount=1_00, collateral=BILL))
    assert not r.ok and "stale" in r.message
    (r,) = f.run(
        fac(
            "dealer-0",
            "srf_borrow",
            amount=1_00,
            rate_bps=500,
            collateral=BILL,
            collateral_amount=10_00,
        )
    )
    assert not r.ok and "stale" in r.message
    assert f.balance("client-0") == 1_000_000_00


# -- the corridor: facility take-up bounds the on-ledger overnight rate ------------------------


def pool_rates(f: FundingChain) -> tuple[int, int]:
    """(borrow rate, supply rate) of the pool in bp."""
    m = read_market(lambda key: f.get("pool", key), M)
    u = lm.utilization_ray(total_debt(m), m["cash_held"])
    supply = lm.supply_rate_ray(m["rate_ray"], u, m["reserve_factor_bps"])
    return lm.ray_to_bps(m["rate_ray"]), lm.ray_to_bps(supply)


def corridor_pool(f: FundingChain) -> None:
    f.open_market()
    f.must(
        ("client-0", "pool", "deposit", {"market": M, "amount": 600_000_00}),
        ("client-1", "pool", "deposit", {"market": M, "amount": 400_000_00}),
    )
    f.must(
        ("dealer-0", "pool", "post_collateral", {"market": M, "symbol": BILL, "amount": 900_000_00})
    )
    f.must(("dealer-0", "pool", "borrow", {"market": M, "amount": 500_000_00}))


def lend_at_the_better_rate(f: FundingChain, lender: str, floor: int, step: int) -> None:
    """A money fund moves cash from the pool to the reverse-repo facility while the pool pays
    lenders less than the floor."""
    for _ in range(100):
        if pool_rates(f)[1] >= floor:
            return
        shares = f.get("pool", f"s/{M}/{lender}")
        if not shares:
            return
        (r,) = f.run(fac(lender, "rrp_invest", amount=step, collateral=BILL))
        if not r.ok:  # a limit binds: the cash stays in the pool
            return
        f.must((lender, "pool", "withdraw", {"market": M, "amount": step}))


@pytest.mark.parametrize("limit, bounded", [(0, True), (40_000_00, False)])
def test_reverse_repo_take_up_lifts_the_pool_rate_to_the_floor(limit, bounded):
    f = FundingChain()
    f.open_facility(params={"rrp_aggregate_limit": limit})
    corridor_pool(f)
    floor = 430
    assert pool_rates(f)[1] < floor  # 50% utilization: lenders earn ~1.0%
    lend_at_the_better_rate(f, "client-0", floor, 20_000_00)
    assert (pool_rates(f)[1] >= floor) is bounded  # a binding limit leaves lenders below
    taken = f.get("facility", "cfg")["rrp_total"]
    assert taken == (40_000_00 if not bounded else taken) and taken > 0


def borrow_at_the_better_rate(f, borrower, ceiling, step):
    """A dealer refinances its pool debt in the standing repo facility while the pool charges
    more than the ceiling."""
    for _ in range(100):
        if pool_rates(f)[0] <= ceiling:
            return
        (r,) = f.run(
            fac(
                borrower,
                "srf_borrow",
                amount=step,
                rate_bps=ceiling,
                collateral=BILL,
                collateral_amount=step * 2,
            )
        )
        if not r.ok:
            return
        f.must(("dealer-0", "pool", "repay", {"market": M, "amount": step}))


@pytest.mark.parametrize("limit, bounded", [(0, True), (20_000_00, False)])
def test_standing_repo_take_up_caps_the_pool_rate_at_the_ceiling(limit, bounded):
    f = FundingChain()
    f.open_facility(params={"srf_aggregate_limit": limit})
    corridor_pool(f)
    # lenders leave: utilization 500 / 510 = 98%, past the kink: the pool charges ~52%
    f.must(("client-1", "pool", "withdraw", {"market": M, "amount": 0}))
    f.must(("client-0", "pool", "withdraw", {"market": M, "amount": 90_000_00}))
    ceiling = 450
    assert pool_rates(f)[0] > ceiling
    borrow_at_the_better_rate(f, "dealer-0", ceiling, 10_000_00)
    assert (pool_rates(f)[0] <= ceiling) is bounded  # a binding limit lets the rate through


OPS = st.lists(
    st.tuples(
        st.sampled_from(["rrp", "srf", "repay", "wait"]),
        st.integers(0, 3),
        st.integers(1, 300_000_00),
    ),
    min_size=3,
    max_size=15,
)


@settings(max_examples=12, deadline=None)
@given(ops=OPS)
def test_facility_books_and_tokens_are_conserved(ops):
    """Cash and bills are conserved; the facility's cash is its float plus the reverse-repo
    cash it owes; its bills are its inventory; every open operation is open in the register."""
    f = FundingChain()
    f.open_facility(params={"srf_aggregate_limit": 500_000_00})
    usd, bill = f.supply("USD"), f.supply(BILL)
    for op, i, amount in ops:
        if op == "rrp":
            f.run(fac(f"client-{i}", "rrp_invest", amount=amount, collateral=BILL))
        elif op == "srf":
            f.run(
                fac(
                    f"dealer-{i}",
                    "srf_borrow",
                    amount=amount,
                    rate_bps=450 + i,
                    collateral=BILL,
                    collateral_amount=amount * 2,
                )
            )
        elif op == "repay":
            loans = [k.removeprefix("open/") for k, _ in _open(f) if k.startswith("open/srf")]
            for loan in loans:
                f.run(fac(f.get("facility", f"op/{loan}")["party"], "srf_repay", loan=loan))
        else:
            f.post_rate("USD.ON_RRP", 430, step_ms=amount % (2 * DAY_MS) + 1)
            f.post_rate("USD.SRF", 450)
            f.post_prices(bill=99 * E8)
        cfg = f.get("facility", "cfg")
        assert f.supply("USD") == usd and f.supply(BILL) == bill
        assert f.balance("contract:facility") == cfg["float"] + cfg["rrp_total"]
        assert f.balance("contract:facility", BILL) == f.get("facility", f"inv/{BILL}")
        for key, _ in _open(f):
            assert f.get("trades", f"tr/facility/{key.removeprefix('open/')}")["status"] == "open"


def _open(f: FundingChain):
    state = f.ledger.chain.state
    prefix = b"facility/open/"
    return [(k[len(b"facility/") :].decode(), v) for k, v in state.items_with_prefix(prefix)]
