"""Hypothesis invariants of repo: every token conserved, every open repo visible in the
``trades`` register, interest independent of how blocks are spaced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from glassledger.contracts import treasury_math as tm
from support.repo_market import BILL, NOTE, market, post_prices

SELLERS = ("dealer-0", "dealer-1", "dealer-2")
BUYERS = ("fund-0", "client-0", "client-1")

op = st.one_of(
    st.tuples(
        st.just("open"),
        st.sampled_from(SELLERS),
        st.sampled_from(BUYERS),
        st.integers(1, 20_000_000_00),
        st.sampled_from([NOTE, BILL]),
        st.integers(0, 10),
    ),
    st.tuples(st.just("repurchase"), st.integers(0, 50)),
    st.tuples(st.just("margin"), st.integers(0, 50), st.integers(1, 5_000_000_00)),
    st.tuples(st.just("price"), st.integers(85, 102)),
    st.tuples(st.just("days"), st.integers(1, 3)),
)


def _check(fc, supplies):
    for symbol in ("USD", NOTE, BILL):
        assert fc.supply(symbol) == supplies[symbol]
        assert fc.total_held(symbol) == supplies[symbol]
    repos = [v for _, v in fc_items(fc, "repo/r/")]
    open_ids = {r["trade"] for r in repos if r["state"] in ("open", "called")}
    open_trades = {
        t["id"]
        for _, t in fc_items(fc, "trades/tr/")
        if t["status"] == "open" and t["reference"].startswith("repo:")
    }
    assert open_ids == open_trades


def fc_items(fc, prefix):
    from typing import Any

    from glassledger.ledger.codec import decode

    for key, raw in fc.chain.state.items_with_prefix(prefix.encode()):
        yield key, decode(raw, Any)


@settings(max_examples=25)
@given(st.lists(op, max_size=14))
def test_tokens_conserved_and_open_repos_in_trades(ops):
    fc = market()
    supplies = {s: fc.supply(s) for s in ("USD", NOTE, BILL)}
    opened: list[str] = []
    price = 100
    for step in ops:
        kind = step[0]
        if kind == "open":
            _, seller, buyer, cash, symbol, term = step
            repo_id = f"P{len(opened)}"
            face = cash * 11 // 10 + 100
            r1 = fc.call(
                seller,
                "repo",
                "propose",
                repo_id=repo_id,
                side="seller",
                counterparty=buyer,
                cash=cash,
                rate_bps=500,
                term_days=term,
                collateral={symbol: face},
            )
            if r1.ok:
                fc.call(buyer, "repo", "accept", repo_id=repo_id)
                opened.append(repo_id)
        elif kind == "repurchase" and opened:
            repo_id = opened[step[1] % len(opened)]
            seller = fc.get("repo", f"r/{repo_id}")["seller"]
            fc.call(seller, "repo", "repurchase", repo_id=repo_id)
        elif kind == "margin" and opened:
            repo_id = opened[step[1] % len(opened)]
            seller = fc.get("repo", f"r/{repo_id}")["seller"]
            fc.call(seller, "repo", "post_margin", repo_id=repo_id, symbol="USD", amount=step[2])
        elif kind == "price":
            price = step[1]
            post_prices(fc, note=price * tm.E8)
        elif kind == "days":
            fc.advance_to(tm.iso_of(fc.day + step[1]))
            post_prices(fc, note=price * tm.E8)
        _check(fc, supplies)


@settings(max_examples=15)
@given(
    st.integers(1, 30),
    st.lists(st.integers(60_000, 3 * 86_400_000), min_size=0, max_size=12),
    st.integers(-50, 900),
)
def test_interest_does_not_depend_on_block_spacing(days, gaps, rate_bps):
    """Repurchase after ``days`` days costs cash + cash x rate x days / 360 (rounded down)
    whether the days pass in one block or in many irregular ones (exactly: interest is
    counted in whole days from the start day)."""
    paid = []
    for spaced in (False, True):
        fc = market()
        cash = 7_777_777_77
        fc.ok(
            "dealer-0",
            "repo",
            "propose",
            repo_id="X",
            side="seller",
            counterparty="fund-0",
            cash=cash,
            rate_bps=rate_bps,
            term_days=0,
            collateral={BILL: 9_000_000_00},
        )
        fc.ok("fund-0", "repo", "accept", repo_id="X")
        start = fc.time_ms
        end = (fc.day + days) * tm.DAY_MS + 10 * 3_600_000
        if spaced:
            t = start
            for gap in gaps:
                t += gap
                if t >= end:
                    break
                fc.commit([], t)
        fc.commit([], end - 1000)
        post_prices(fc)
        before = fc.balance("fund-0")
        fc.ok("dealer-0", "repo", "repurchase", repo_id="X")
        paid.append(fc.balance("fund-0") - before)
    assert paid[0] == paid[1] == cash + cash * rate_bps * days // 3_600_000
