"""The repo squeeze (seed 001): the corridor model's cash scarcity reaches the on-ledger
markets through the oracle.

Seed 001 (Arthur Hayes, *Hallelujah*) reads repo cash scarcity as what drives the corridor to
its ceiling. This runner takes a run of the corridor model
(:func:`glassledger.liquidity.model.simulate.simulate` of ``squeeze.corridor``: the
September 2019 replay, the 2025 replay, or the ``quarter-end`` projection with balance-sheet
cuts 1.5 times the calibrated ones) and plays the business days ``squeeze.start`` to
``squeeze.end`` on the ledger, one day a step, every agent acting by signed transactions:

1. **Oracle** (``regulator``): the day's ``USD.SOFR``, ``USD.IORB``, ``USD.ON_RRP`` and
   ``USD.SRF`` (basis points; no SRF before July 2021: not posted) and the 2-year note's price:
   par less ``price_bps_per_bp`` basis points per basis point of SOFR above its first-day
   level (dealers sell inventory into scarce cash), plus the scripted ``price`` shocks (target
   ``note``). ``rate`` shocks add ``bps`` (or ``path``) to a posted rate from their step.
2. **Money fund** (``fund-0``): its pool deposit follows the model's money-fund repo lending
   (``mmf_repo_usd_bn``) scaled to ``fund_deposit`` on the first day: at a quarter end the
   fund pulls cash, the pool's utilization rises and its rate (the ``pool`` contract's
   two-slope curve over ``USD.SOFR``, :mod:`glassledger.contracts.lending_math`) climbs.
3. **Dealers** ``dealer-0..2`` each need ``borrow_share_bps`` of the fund's first deposit,
   borrowed from the pool against notes at the start (dealer-2 close to the loan-to-value
   limit, with no notes to spare). Each day a dealer with a standing-repo loan repays it,
   then funds its need where it is cheaper: when the pool's rate exceeds its bid at the
   facility (the SRF minimum bid rate plus ``srf_bid_spread_bps``) and it has the notes, it
   borrows the whole need overnight at the facility (``facility.srf_borrow``, 2% haircut)
   and repays the pool; otherwise it borrows back from the pool (within its borrow limit).
4. **Repos**: dealer-0 and dealer-1 have term repos with the fund (DvP); when the note falls
   the repo contract calls margin; dealers meet their calls in cash, except a participant
   named by a ``miss_call`` shock from its step on: its repo defaults at the deadline (the
   fund keeps the collateral and records a claim).
5. **Liquidations**: a pool position whose health factor falls below 1 is liquidated by
   dealer-3 (the pool contract's Aave v3.3 rules).

Figures: one row per day (corridor rates, the pool's rate and utilization, the fund's
deposit, SRF take-up and outstanding, margin calls, defaults, liquidations) and totals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from glassledger.contracts import lending_math as lm
from glassledger.contracts import pool as pool_contract
from glassledger.contracts import treasury_math as tm
from glassledger.sim.engine import Recorder
from glassledger.sim.market_day import (
    DAY_MS,
    E8,
    Call,
    cusip,
    ledger_get,
    must,
    pool_account,
    pool_debt,
    pool_market,
    repo_margin,
)
from glassledger.sim.scenario import Scenario

MARKET = "USDPOOL"
FUND = "fund-0"
ORACLE = "regulator"
RATE_KEYS = {
    "USD.SOFR": "sofr_pct",
    "USD.IORB": "iorb_pct",
    "USD.ON_RRP": "on_rrp_rate_pct",
    "USD.SRF": "srf_rate_pct",
}
#: The pool's curve: a money-market pool a few bp over SOFR until 80% utilization.
POOL_PARAMS = {
    "rate_key": "USD.SOFR",
    "slope1_bps": 10,
    "slope2_bps": 1_500,
    "optimal_utilization_bps": 8_000,
}
NOON_MS = 12 * 3_600_000
#: Standing repos are repaid in the next day's noon block: 13 hours of grace after the
#: overnight maturity (midnight UTC) instead of the facility's default 4.
FACILITY_PARAMS = {"srf_grace_ms": 13 * 3_600_000}


def corridor(scenario: Scenario) -> pd.DataFrame:
    """The corridor model's daily path over the squeeze window (percent, USD bn)."""
    from glassledger.liquidity.model.scenario import build_scenario
    from glassledger.liquidity.model.simulate import simulate

    s = scenario.squeeze
    daily = simulate(build_scenario(s.corridor), seed=scenario.seed).daily
    window = daily.loc[s.start : s.end]
    if window.empty:
        from glassledger.errors import InputError

        raise InputError(
            f"squeeze window {s.start}..{s.end} is outside the {s.corridor} corridor run "
            f"({daily.index[0].date()}..{daily.index[-1].date()})"
        )
    return window


def _bps(pct: float) -> int | None:
    return None if pd.isna(pct) else round(pct * 100)


def _day_ms(date: pd.Timestamp) -> int:
    return int(dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp() * 1000)


def _shifted(scenario: Scenario, step: int, key: str) -> int:
    """Basis points the ``rate`` shocks add to ``key`` at ``step``."""
    out = 0
    for s in scenario.shocks:
        if s.kind != "rate" or s.target != key or step < s.step:
            continue
        if s.path:
            out += s.path[min(step - s.step, len(s.path) - 1)]
        else:
            out += s.bps
    return out


def _market(ledger: Recorder) -> dict[str, Any]:
    return pool_market(ledger, MARKET)


def _pool_rate_bps(ledger: Recorder) -> tuple[int, int]:
    """The pool's borrow rate (bp a year) and utilization (bp) at the head."""
    m = _market(ledger)
    debt = pool_contract.total_debt(m)
    util = 0 if debt + m["cash_held"] == 0 else debt * 10_000 // (debt + m["cash_held"])
    return int(m["rate_ray"]) * 10_000 // lm.RAY, util


def _fund_claim(ledger: Recorder) -> int:
    m = _market(ledger)
    shares = ledger_get(ledger, "pool", f"s/{MARKET}/{FUND}") or 0
    return pool_contract.lender_claim(m, shares)


def repo_squeeze(ledger: Recorder, scenario: Scenario) -> dict[str, Any]:
    """The squeeze (module docstring); returns its key figures."""
    s = scenario.squeeze
    path = corridor(scenario)
    if ledger.time_ms > _day_ms(path.index[0]) + NOON_MS:
        from glassledger.errors import InputError

        raise InputError(
            f"start_ms {scenario.start_ms} is after noon UTC of the squeeze's first day "
            f"{s.start}: start the chain on or before it"
        )
    d0, d1, d2, d3 = scenario.dealers[:4]
    borrowers = [d0, d1, d2]
    note = cusip("91282CYY")
    today = ledger.time_ms // DAY_MS
    face = 10 * s.fund_deposit
    setup: list[Call] = [
        (
            "ust",
            "treasury",
            "create_issue",
            {
                "cusip": note,
                "kind": "note",
                "issue_date": tm.iso_of(today),
                "maturity_date": tm.iso_of(tm.add_months(today, 24)),
                "rate_e8": 4_000_000,
            },
        ),
        *[
            (scenario.cash_issuer, "token", "mint", {"symbol": "USD", "to": who, "amount": face})
            for who in (FUND, ORACLE, d0, d1, d2, d3)
        ],
    ]
    must(ledger, setup, "issuing the note and cash")
    first = path.iloc[0]
    loan = s.fund_deposit * s.borrow_share_bps // 10_000
    ltv = {d0: 8_000, d1: 8_000, d2: 8_900}  # dealer-2 borrows close to the 90% limit
    posted = {d: loan * 10_000 // ltv[d] for d in borrowers}
    # dealer-2 holds no notes beyond those it posted in the pool: nothing to take to the SRF
    notes = {d0: face, d1: face, d2: posted[d2]}
    free = {
        d0: face - posted[d0] - s.repo_cash * 103 // 100,
        d1: face - posted[d1] - s.repo_cash * 103 // 100,
        d2: 0,
    }
    must(
        ledger,
        [
            ("ust", "treasury", "issue", {"cusip": note, "to": who, "face": notes[who]})
            for who in borrowers
        ]
        + _posts(ledger, scenario, 0, first, note, 100 * E8)
        + [
            ("regulator", "repo", "set_class", {"name": "note", "haircut_bps": 200}),
            ("regulator", "repo", "set_class", {"name": "cash", "haircut_bps": 0}),
            ("regulator", "repo", "list_collateral", {"symbol": "USD", "class_name": "cash"}),
            ("regulator", "repo", "list_collateral", {"symbol": note, "class_name": "note"}),
            (
                "regulator",
                "pool",
                "open_market",
                {"market": MARKET, "cash": "USD", "operator": "pool-op", "params": POOL_PARAMS},
            ),
            (
                "regulator",
                "pool",
                "list_collateral",
                {
                    "market": MARKET,
                    "symbol": note,
                    "terms": {
                        "price_key": f"UST-{note}",
                        "units_per_price": 100,
                        "ltv_bps": 9_000,
                        "threshold_bps": 9_200,
                        "bonus_bps": 10_200,
                        "protocol_fee_bps": 1_000,
                    },
                },
            ),
            (
                "regulator",
                "facility",
                "configure",
                {"cash": "USD", "operator": "regulator", "params": FACILITY_PARAMS},
            ),
            (
                "regulator",
                "facility",
                "list_collateral",
                {
                    "symbol": note,
                    "terms": {
                        "price_key": f"UST-{note}",
                        "units_per_price": 100,
                        "haircut_bps": 200,
                    },
                },
            ),
        ],
        "setting up the markets",
    )
    must(
        ledger,
        [
            ("regulator", "facility", "fund", {"amount": face // 2}),
            (FUND, "pool", "deposit", {"market": MARKET, "amount": s.fund_deposit}),
            *[
                (
                    d,
                    "pool",
                    "post_collateral",
                    {"market": MARKET, "symbol": note, "amount": posted[d]},
                )
                for d in borrowers
            ],
        ],
        "the fund lends, dealers post collateral",
    )
    must(
        ledger,
        [(d, "pool", "borrow", {"market": MARKET, "amount": loan}) for d in borrowers],
        "dealers borrow from the pool",
    )
    term = len(path) + 7
    repo_rate = _bps(first["sofr_pct"]) or 0
    must(
        ledger,
        [
            (
                d,
                "repo",
                "propose",
                {
                    "repo_id": f"R{i}",
                    "side": "seller",
                    "counterparty": FUND,
                    "cash": s.repo_cash,
                    "rate_bps": repo_rate,
                    "term_days": term,
                    "collateral": {note: s.repo_cash * 103 // 100},
                },
            )
            for i, d in enumerate((d0, d1))
        ],
        "proposing term repos",
    )
    must(
        ledger,
        [(FUND, "repo", "accept", {"repo_id": f"R{i}"}) for i in (0, 1)],
        "accepting the repos (DvP)",
    )

    sofr0 = _bps(first["sofr_pct"]) or 0
    mmf0 = float(first["mmf_repo_usd_bn"])
    price_shock = 0
    srf_loans: dict[str, list[tuple[str, int]]] = {d: [] for d in borrowers}
    days: list[dict[str, Any]] = []
    liquidated: set[str] = set()
    for step, (date, row) in enumerate(path.iterrows()):
        noon = _day_ms(date) + NOON_MS
        if noon > ledger.time_ms:
            ledger.wait(noon - ledger.time_ms)
        for shock in scenario.shocks_at(step, "price"):
            price_shock += shock.bps
        sofr = (_bps(row["sofr_pct"]) or sofr0) + _shifted(scenario, step, "USD.SOFR")
        move = -s.price_bps_per_bp * max(sofr - sofr0, 0) + price_shock
        price = 100 * E8 * (10_000 + move) // 10_000
        must(ledger, _posts(ledger, scenario, step, row, note, price), f"{date.date()}: oracle")
        # the money fund follows the model's money-fund repo lending
        target = int(s.fund_deposit * float(row["mmf_repo_usd_bn"]) / mmf0)
        claim = _fund_claim(ledger)
        m = _market(ledger)
        if target < claim:
            out = min(claim - target, m["cash_held"])
            if out > 0:
                must(
                    ledger,
                    [(FUND, "pool", "withdraw", {"market": MARKET, "amount": out})],
                    f"{date.date()}: the fund pulls cash",
                )
        elif target > claim:
            must(
                ledger,
                [(FUND, "pool", "deposit", {"market": MARKET, "amount": target - claim})],
                f"{date.date()}: the fund lends more",
            )
        rate_bps, util = _pool_rate_bps(ledger)
        # dealers: repay yesterday's standing repos, then fund where it is cheaper
        calls: list[Call] = []
        for d in borrowers:
            for lid, units in srf_loans[d]:
                calls.append((d, "facility", "srf_repay", {"loan": lid}))
                free[d] += units
        srf_loans = {d: [] for d in borrowers}
        srf_rate = _bps(row["srf_rate_pct"])
        takeup = 0
        srf_calls: list[Call] = []
        m = _market(ledger)
        for d in borrowers:
            if d in liquidated:
                continue
            debt = pool_debt(ledger, MARKET, d)
            bid = None if srf_rate is None else srf_rate + s.srf_bid_spread_bps
            units = loan * 100 * E8 // price * 10_000 // 9_700 + 1
            if bid is not None and rate_bps > bid and units <= free[d]:
                # the whole funding need at the facility overnight; the pool loan repaid
                srf_calls.append(
                    (
                        d,
                        "facility",
                        "srf_borrow",
                        {
                            "amount": loan,
                            "rate_bps": bid,
                            "collateral": note,
                            "collateral_amount": units,
                        },
                    )
                )
                if debt:
                    srf_calls.append((d, "pool", "repay", {"market": MARKET, "amount": 0}))
                takeup += loan
                free[d] -= units
            elif debt < loan:  # back to the pool (or the SRF is dearer, or out of reach)
                acct = pool_account(ledger, MARKET, d, {note: price})
                limit = acct.borrow_limit - acct.debt - 1 if acct else 0
                room = min(loan - debt, m["cash_held"] // 2, limit)
                if room > 0:
                    srf_calls.append((d, "pool", "borrow", {"market": MARKET, "amount": room}))
        receipts = must(ledger, calls + srf_calls, f"{date.date()}: dealers' funding")
        for call, receipt in zip(calls + srf_calls, receipts, strict=True):
            if call[2] == "srf_borrow":
                opened = [e for e in receipt.events if e.name == "srf_opened"]
                srf_loans[call[0]].append((opened[-1].data["id"], call[3]["collateral_amount"]))
        pool_after, util_after = _pool_rate_bps(ledger)
        # margin calls: met in cash, except by a participant scripted to miss them
        missing = {
            sh.target for sh in scenario.shocks if sh.kind == "miss_call" and sh.step <= step
        }
        called, met, margin = repo_margin(ledger, ("R0", "R1"), missing)
        if margin:
            must(ledger, margin, f"{date.date()}: meeting margin calls")
        # liquidations: dealer-3 takes any pool position under a health factor of 1
        liq: list[Call] = []
        for d in borrowers:
            acct = pool_account(ledger, MARKET, d, {note: price})
            if d not in liquidated and acct and acct.debt and acct.health_factor < lm.WAD:
                liq.append(
                    (
                        d3,
                        "pool",
                        "liquidate",
                        {
                            "market": MARKET,
                            "borrower": d,
                            "collateral": note,
                            "debt_to_cover": pool_debt(ledger, MARKET, d),
                        },
                    )
                )
                liquidated.add(d)
        if liq:
            must(ledger, liq, f"{date.date()}: liquidations")
        days.append(
            {
                "date": str(date.date()),
                "height": ledger.chain.height,
                "sofr_bps": sofr,
                "iorb_bps": _bps(row["iorb_pct"]),
                "on_rrp_bps": _bps(row["on_rrp_rate_pct"]),
                "srf_bps": srf_rate,
                "pool_rate_bps": rate_bps,
                "pool_rate_after_bps": pool_after,
                "utilization_bps": util,
                "utilization_after_bps": util_after,
                "fund_deposit": _fund_claim(ledger),
                "note_price": price / E8,
                "srf_takeup": takeup,
                "srf_model_usd_bn": round(float(row["srf_usd_bn"]), 3),
                "margin_calls": len(called),
                "calls_met": len(met),
                "liquidations": len(liq),
            }
        )
    # the last day's standing repos are repaid; then the clock passes the margin deadlines
    last = [
        (d, "facility", "srf_repay", {"loan": lid}) for d in borrowers for lid, _ in srf_loans[d]
    ]
    if last:
        must(ledger, last, "repaying the last standing repos")
    ledger.wait(DAY_MS)
    return _figures(ledger, days)


def _posts(
    ledger: Recorder, scenario: Scenario, step: int, row: pd.Series, note: str, price: int
) -> list[Call]:
    calls: list[Call] = []
    for key, col in RATE_KEYS.items():
        bps = _bps(row[col])
        if bps is None:
            continue  # no SRF before July 2021: not posted
        calls.append(
            (
                ORACLE,
                "oracle",
                "post",
                {
                    "kind": "rate",
                    "key": key,
                    "value": bps + _shifted(scenario, step, key),
                    "scale": 4,
                    "observed_ms": ledger.time_ms,
                },
            )
        )
    calls.append(
        (
            ORACLE,
            "oracle",
            "post",
            {
                "kind": "price",
                "key": f"UST-{note}",
                "value": price,
                "scale": 8,
                "observed_ms": ledger.time_ms,
            },
        )
    )
    return calls


def _figures(ledger: Recorder, days: list[dict[str, Any]]) -> dict[str, Any]:
    defaults = []
    for record in ledger.store.events(0, contract="repo", name="default"):
        d = record.event.data
        claim = ledger_get(ledger, "repo", f"claim/{d['repo_id']}") or {}
        defaults.append(
            {
                "defaulter": d["defaulter"],
                "height": record.height,
                "repo": d["repo_id"],
                "loss": int(d["claim"]),
                "claim": int(claim.get("amount", 0)),
            }
        )
    spread = [d["pool_rate_bps"] - d["sofr_bps"] for d in days]
    return {
        "days": days,
        "defaults": defaults,
        "peak_sofr_minus_iorb_bps": max(d["sofr_bps"] - (d["iorb_bps"] or 0) for d in days),
        "peak_pool_rate_bps": max(d["pool_rate_bps"] for d in days),
        "peak_pool_minus_sofr_bps": max(spread),
        "peak_utilization_bps": max(d["utilization_bps"] for d in days),
        "srf_days": sum(1 for d in days if d["srf_takeup"]),
        "peak_srf_takeup": max(d["srf_takeup"] for d in days),
        "margin_calls": sum(d["margin_calls"] for d in days),
        "calls_missed": sum(d["margin_calls"] - d["calls_met"] for d in days),
        "liquidations": sum(d["liquidations"] for d in days),
        "total_loss": sum(d["loss"] for d in defaults),
        "losses_equal_claims": all(d["loss"] == d["claim"] for d in defaults),
    }


# ---------------------------------------------------------------------- report


def report_lines(figures: dict[str, Any]) -> list[str]:
    """The squeeze's key figures in words."""
    f = figures
    days = f["days"]
    lines = [
        f"{len(days)} business days {days[0]['date']}..{days[-1]['date']}: SOFR peaked "
        f"{f['peak_sofr_minus_iorb_bps']} bp over IORB; the pool's rate peaked at "
        f"{f['peak_pool_rate_bps'] / 100:.2f}% ({f['peak_pool_minus_sofr_bps']} bp over SOFR) "
        f"at {f['peak_utilization_bps'] / 100:.1f}% utilization.",
        f"Standing repo facility used on {f['srf_days']} day(s), peak take-up "
        f"${f['peak_srf_takeup'] / 100:,.0f}; {f['margin_calls']} repo margin call(s), "
        f"{f['calls_missed']} missed; {f['liquidations']} pool liquidation(s).",
    ]
    for d in f["defaults"]:
        lines.append(
            f"{d['defaulter']} defaulted on repo {d['repo']} at block {d['height']}: loss "
            f"${d['loss'] / 100:,.0f}, claim ${d['claim'] / 100:,.0f}."
        )
    return lines


def report_charts(run: Any) -> list[tuple[str, Any]]:
    """Pool rate against the corridor; SRF take-up, margin calls and liquidations."""
    import plotly.graph_objects as go

    days = run.figures["days"]
    x = [d["date"] for d in days]
    fig = go.Figure()
    for key, name in (
        ("sofr_bps", "SOFR"),
        ("iorb_bps", "IORB"),
        ("srf_bps", "SRF (ceiling)"),
        ("on_rrp_bps", "ON RRP (floor)"),
        ("pool_rate_bps", "on-ledger pool rate"),
        ("pool_rate_after_bps", "pool rate after dealers refinance"),
    ):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[(d[key] or float("nan")) / 100 for d in days],
                name=name,
                mode="lines+markers",
            )
        )
    fig.update_layout(xaxis_title="day", yaxis_title="% a year")
    out = [("The on-ledger pool rate against the corridor", fig)]
    fig = go.Figure(go.Bar(x=x, y=[d["srf_takeup"] / 100 for d in days], name="SRF take-up, USD"))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[d["utilization_bps"] / 100 for d in days],
            yaxis="y2",
            name="pool utilization, %",
        )
    )
    fig.update_layout(yaxis_title="USD", yaxis2={"overlaying": "y", "side": "right", "title": "%"})
    out.append(("Standing repo facility take-up and pool utilization", fig))
    fig = go.Figure(go.Bar(x=x, y=[d["margin_calls"] for d in days], name="margin calls"))
    fig.add_trace(
        go.Bar(x=x, y=[d["margin_calls"] - d["calls_met"] for d in days], name="calls missed")
    )
    fig.add_trace(go.Bar(x=x, y=[d["liquidations"] for d in days], name="liquidations"))
    fig.update_layout(barmode="group", yaxis_title="count")
    out.append(("Margin calls and liquidations", fig))
    return out


repo_squeeze.blocks = 60  # type: ignore[attr-defined]  # progress-bar total (about)
