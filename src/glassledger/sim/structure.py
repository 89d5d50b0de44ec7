"""The market-structure comparison (seed 000): the same shock through a dealer market and
through the on-ledger pool with its standing facility.

Seed 000 ("from balance sheets to blockchain") says today's dollar funding markets clear
through balance-sheet capacity, not prices: a few dealers stand between cash lenders and
borrowers, and when their balance sheets are full liquidity vanishes; an on-ledger market
(transparent collateral, margining and settlement by code, open participation) should
distribute liquidity better. This runner puts the claim to a test on one chain, two markets
side by side, every agent acting by signed transactions on the real contracts:

**(a) Dealer market** (``dealer-0..K-1``). Core cash lenders ``dm-fund-i`` lend to dealers by
open repo against the dealers' notes, each lender up to ``lender_cash / K`` per dealer;
sideline cash holders ``dm-cash-i`` lend to dealers at their hurdle rate when that is under
the standing repo facility's rate; beyond both, a dealer borrows at the facility
(``facility.srf_borrow``). Dealers lend to borrowers ``dm-rv-j`` by open repo (the borrower
proposes as seller with its notes, the dealer accepts and pays: DvP), each dealer at most
``balance_sheet_limit`` in total, at its marginal funding cost plus ``spread_bps + slope_bps x
u^2`` (``u`` its balance sheet's utilization after the loan: balance-sheet cost rising as
it fills). A borrower knows its relationship dealer (``j mod K``) at first; while it is short
after a round it learns one more dealer (a seeded order): search is bilateral and capacity
is not visible. It takes, cheapest quote first, the most each known dealer will lend at a
rate up to its reservation ``SOFR + max_spread_bps``.

**(b) On-ledger market.** Core lenders ``ol-fund-i`` deposit their cash in the ``pool``
(rate ``USD.SOFR`` plus a two-slope curve, +10 bp to 80% utilization, +1,500 bp more to
100%); sideline holders ``ol-cash-i`` deposit as much as keeps the pool's supply rate at or
above their hurdle (they see the pool's state: it is public); borrowers ``ol-rv-j`` post notes
and borrow from the pool as much as keeps its rate at or under their cap (their reservation,
or the facility's rate when they may use it: ``facility_open``), and bid for the rest at the
facility. Pool loans float: every pool borrower pays the pool's rate in force.

**The shock** at round ``shock_round``: core lenders withdraw ``withdraw_bps`` of their cash
(from the dealers: the share of each repo they treat as hot money is repurchased; from the
pool: what its idle cash allows, the rest is retried each round) and borrowers need
``demand_bps`` more. Each round is two blocks: (1) core lenders act, (2) sideline lenders,
dealers' funding and borrowers act, in that order.

**Measures**, per market, read at the end of each round (the second block): liquidity
supplied (funding borrowers hold); the marginal rate (the highest rate any borrower pays on
funding taken in the round, the pool's floating rate on all pool debt, and the reservation
rate for a borrower still short: it would pay up to that and is not funded) and its rise
over the round before the shock (the price impact); the blocks from the shock until every
borrower is funded and every withdrawal paid (time to clear); the Herfindahl-Hirschman index
(0..10,000) of the balance sheets borrowers' funding sits on (the dealers' books in (a); in
(b) the pool's lenders, pro rata to their claims, and the facility) before the shock and at
the end. At the end, borrowers still short sell notes to ``buyer`` at a price
``par x (1 - impact_bps x g(sold / depth))`` (:func:`glassledger.sim.attack.impact`): their
fire-sale loss (at par) is the buyer's gain. Interest: the run lasts hours of one day and
repo interest accrues per whole day, so repos and standing repos carry their rates but
settle no interest within the run; the pool accrues by the millisecond.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from glassledger.contracts import lending_math as lm
from glassledger.contracts import pool as pool_contract
from glassledger.contracts import treasury_math as tm
from glassledger.ledger.crypto import KeyPair
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import Genesis, ParticipantSpec
from glassledger.sim.attack import impact
from glassledger.sim.engine import Recorder
from glassledger.sim.market_day import DAY_MS, Call, must
from glassledger.sim.scenario import Scenario, Structure
from glassledger.sim.structure_markets import (
    BPS,
    BUYER,
    HAIRCUT_BPS,
    ISSUER,
    LTV_BPS,
    MARKET,
    MARKETS,
    NOTES,
    ORACLE,
    PAR_E8,
    POOL_OPERATOR,
    POOL_PARAMS,
    DealerMarket,
    HeadState,
    LedgerMarket,
    agent,
    dealer,
)


def structure_genesis(scenario: Scenario, extra: Iterable[ParticipantSpec]) -> Genesis:
    """The devnet (dealers 0..3 its authorities) plus dealers 4.., both markets' lenders,
    sideline holders and borrowers, the note issuer, the pool operator and the buyer."""
    s = scenario.structure
    people = [
        ParticipantSpec(ISSUER, ["issuer"], legal_name="US Treasury"),
        ParticipantSpec(POOL_OPERATOR, ["settlement_bank"], legal_name="Lending Pool Operator"),
        ParticipantSpec(BUYER, ["client"], legal_name="Fire-sale buyers"),
    ]
    people += [ParticipantSpec(dealer(k), ["dealer"]) for k in range(4, s.dealers)]
    for market in MARKETS:
        people += [ParticipantSpec(agent(market, "fund", i), ["client"]) for i in range(s.lenders)]
        people += [
            ParticipantSpec(agent(market, "cash", i), ["client"]) for i in range(len(s.hurdles_bps))
        ]
    people += [ParticipantSpec(agent("dealer", "rv", j), ["client"]) for j in range(s.borrowers)]
    # open participation: the on-ledger borrowers may bid at the facility (role dealer)
    roles = ["client", "dealer"] if s.facility_open else ["client"]
    people += [ParticipantSpec(agent("ledger", "rv", j), roles) for j in range(s.borrowers)]
    people += list(extra)
    genesis = devnet_genesis(params=dict(scenario.params), extra=people)
    for person in genesis.participants:
        person.public_key = KeyPair.from_name(person.id).public.hex()
    return genesis


# ---------------------------------------------------------------------- the run


def _setup(ledger: Recorder, scenario: Scenario, dm: DealerMarket, ol: LedgerMarket) -> None:
    s = scenario.structure
    today = ledger.time_ms // DAY_MS
    issue = {
        "kind": "note",
        "issue_date": tm.iso_of(today),
        "maturity_date": tm.iso_of(tm.add_months(today, 24)),
        "rate_e8": 4_000_000,
    }
    total_need = s.borrower_need * (BPS + s.demand_bps) // BPS * s.borrowers
    cash_calls: list[Call] = [
        (scenario.cash_issuer, "token", "mint", {"symbol": "USD", "to": who, "amount": amount})
        for who, amount in [
            *((w, s.lender_cash) for w in dm.lenders + ol.lenders),
            *((h, s.sideline_cash) for _, h in dm.sideline + ol.sideline),
            (BUYER, 2 * total_need),
            (ORACLE, 2 * total_need),
        ]
    ]
    must(
        ledger,
        [
            *[(ISSUER, "treasury", "create_issue", {"cusip": n, **issue}) for n in NOTES.values()],
            *cash_calls,
        ],
        "issuing the notes and the cash",
    )
    holders = [(NOTES["dealer"], b, 3 * total_need // s.borrowers) for b in dm.borrowers]
    holders += [(NOTES["dealer"], d, 4 * s.balance_sheet_limit) for d in dm.dealers]
    holders += [(NOTES["ledger"], b, 3 * total_need // s.borrowers) for b in ol.borrowers]
    posts = [
        ("USD.SOFR", dm.sofr, "rate", 4),
        ("USD.SRF", dm.srf, "rate", 4),
        *((f"UST-{n}", PAR_E8, "price", 8) for n in NOTES.values()),
    ]
    setup: list[Call] = [
        (ISSUER, "treasury", "issue", {"cusip": n, "to": who, "face": face_})
        for n, who, face_ in holders
    ]
    setup += [
        (
            ORACLE,
            "oracle",
            "post",
            {"kind": kind, "key": key, "value": v, "scale": sc, "observed_ms": ledger.time_ms},
        )
        for key, v, kind, sc in posts
    ]
    setup += [
        ("regulator", "repo", "set_class", {"name": "note", "haircut_bps": HAIRCUT_BPS}),
        *[
            ("regulator", "repo", "list_collateral", {"symbol": n, "class_name": "note"})
            for n in NOTES.values()
        ],
        (
            "regulator",
            "pool",
            "open_market",
            {"market": MARKET, "cash": "USD", "operator": POOL_OPERATOR, "params": POOL_PARAMS},
        ),
        (
            "regulator",
            "pool",
            "list_collateral",
            {
                "market": MARKET,
                "symbol": NOTES["ledger"],
                "terms": {
                    "price_key": f"UST-{NOTES['ledger']}",
                    "units_per_price": 100,
                    "ltv_bps": LTV_BPS,
                    "threshold_bps": 9_200,
                    "bonus_bps": 10_200,
                },
            },
        ),
        ("regulator", "facility", "configure", {"cash": "USD", "operator": ORACLE, "params": {}}),
        *[
            (
                "regulator",
                "facility",
                "list_collateral",
                {
                    "symbol": n,
                    "terms": {
                        "price_key": f"UST-{n}",
                        "units_per_price": 100,
                        "haircut_bps": HAIRCUT_BPS,
                    },
                },
            )
            for n in NOTES.values()
        ],
        (ORACLE, "facility", "fund", {"amount": 2 * total_need}),
    ]
    must(ledger, setup, "notes, prices and the markets")


def market_structure(ledger: Recorder, scenario: Scenario) -> dict[str, Any]:
    """The comparison (module docstring); returns its key figures."""
    s = scenario.structure
    srf = s.sofr_bps + s.srf_spread_bps
    dm = DealerMarket(s, s.sofr_bps, srf, ledger.seed)
    ol = LedgerMarket(s, s.sofr_bps, srf, ledger.seed)
    _setup(ledger, scenario, dm, ol)
    reservation = s.sofr_bps + s.max_spread_bps
    rows: list[dict[str, Any]] = []
    shock_height = 0
    hhi_before: dict[str, float] = {}
    for rnd in range(s.rounds):
        shock = rnd == s.shock_round
        need = s.borrower_need * (BPS + (s.demand_bps if rnd >= s.shock_round else 0)) // BPS
        view = HeadState(ledger)
        must(
            ledger,
            dm.lenders_act(shock) + ol.lenders_act(view, rnd == 0, shock),
            f"round {rnd}: lenders",
        )
        if shock:
            shock_height = ledger.chain.height
        view = HeadState(ledger)
        ol.block_peak = max(ol.block_peak, (_pool_rate(ol, view), ledger.chain.height))
        dm_calls, dm_rates = dm.borrowers_act(need, rnd)
        ol_calls, ol_rates = ol.borrowers_act(view, need, rnd)
        must(ledger, dm_calls + ol_calls, f"round {rnd}: borrowers")
        view = HeadState(ledger)
        m = ol.market(view)
        pool_rate = _pool_rate(ol, view)
        ol.block_peak = max(ol.block_peak, (pool_rate, ledger.chain.height))
        # the need funded (a pool debt's accrued interest is not new funding)
        dm_funded = sum(min(dm.funded(b), need) for b in dm.borrowers)
        ol_funded = sum(min(ol.funded(view, m, b), need) for b in ol.borrowers)
        total_need = need * s.borrowers
        dm_short = total_need - dm_funded
        ol_short = total_need - ol_funded
        pending = sum(ol.pending.values())
        debt = pool_contract.total_debt(m)
        row = {
            "round": rnd,
            "height": ledger.chain.height,
            "shocked": rnd >= s.shock_round,
            "need": total_need,
            "dealer_funded": dm_funded,
            "ledger_funded": ol_funded,
            "dealer_marginal_bps": max(
                dm_rates + ([reservation] if dm_short > 0 else []), default=0
            ),
            "ledger_marginal_bps": max(
                ol_rates + ([pool_rate] if debt else []) + ([reservation] if ol_short > 0 else []),
                default=0,
            ),
            "dealer_average_bps": round(dm.average_rate(), 1),
            "ledger_average_bps": round(ol.average_rate(view), 1),
            "pool_rate_bps": pool_rate,
            "utilization_bps": lm.utilization_ray(debt, m["cash_held"]) * BPS // lm.RAY,
            "dealer_facility": sum(dm.srf_outstanding.values()),
            "ledger_facility": sum(ol.srf_outstanding.values()),
            "ledger_pending_withdrawals": pending,
            "dealer_hhi": dm.concentration(view),
            "ledger_hhi": ol.concentration(view),
            "dealer_books": {d: dm.book(d) for d in dm.dealers},
        }
        for market in MARKETS:  # a round with nothing new keeps the last marginal rate
            if not row[f"{market}_marginal_bps"] and rows:
                row[f"{market}_marginal_bps"] = rows[-1][f"{market}_marginal_bps"]
        rows.append(row)
        if rnd == s.shock_round - 1:
            hhi_before = {mk: row[f"{mk}_hhi"] for mk in MARKETS}
    if not hhi_before:  # shock in round 0: before = as the first round left it
        hhi_before = {mk: rows[0][f"{mk}_hhi"] for mk in MARKETS}
    losses = _fire_sale(ledger, s, dm, ol, rows[-1])
    return _figures(s, rows, shock_height, hhi_before, losses, ol)


def _pool_rate(ol: LedgerMarket, view: HeadState) -> int:
    return int(ol.market(view)["rate_ray"]) * BPS // lm.RAY


def _fire_sale(
    ledger: Recorder, s: Structure, dm: DealerMarket, ol: LedgerMarket, last: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Borrowers still short sell notes to the buyer at the price after impact (one price
    per market: the sellers of a market sell the same note into the same depth)."""
    view = HeadState(ledger)
    m = ol.market(view)
    shorts = {
        "dealer": {b: last["need"] // s.borrowers - dm.funded(b) for b in dm.borrowers},
        "ledger": {b: last["need"] // s.borrowers - ol.funded(view, m, b) for b in ol.borrowers},
    }
    calls: list[Call] = []
    out: dict[str, dict[str, Any]] = {}
    for market in MARKETS:
        short = {b: g for b, g in shorts[market].items() if g > 0}
        raised = sum(short.values())
        # the price after selling what raises the cash at that price (a fixed point)
        mult = 1.0
        for _ in range(60):
            mult = impact(raised / mult, s.depth, s.impact_bps, s.impact_law)
        per: dict[str, int] = {}
        for b, gap in sorted(short.items()):
            units = -(-gap * 1_000_000 // round(mult * 1_000_000))  # ceil(gap / mult)
            per[b] = units - gap
            calls += [
                (b, "token", "transfer", {"symbol": NOTES[market], "to": BUYER, "amount": units}),
                (BUYER, "token", "transfer", {"symbol": "USD", "to": b, "amount": gap}),
            ]
        out[market] = {
            "unfunded": raised,
            "price_bps": round(mult * BPS, 1),
            "losses": per,
            "loss": sum(per.values()),
        }
    if calls:
        must(ledger, calls, "fire sales")
    view = HeadState(ledger)
    for market in MARKETS:
        held = view.get("token", f"b/{NOTES[market]}/{BUYER}") or 0
        sold = sum(out[market]["losses"].values()) + out[market]["unfunded"]
        out[market]["buyer_gain"] = held - out[market]["unfunded"]  # notes at par less cash
        out[market]["buyer_notes"] = held
        out[market]["sold_units"] = sold
    return out


def _figures(
    s: Structure,
    rows: list[dict[str, Any]],
    shock_height: int,
    hhi_before: dict[str, float],
    losses: dict[str, dict[str, Any]],
    ol: LedgerMarket,
) -> dict[str, Any]:
    before = rows[s.shock_round - 1] if s.shock_round else rows[0]
    after = [r for r in rows if r["shocked"]]
    last = rows[-1]
    figures: dict[str, Any] = {"rounds": rows, "dealers": s.dealers}
    figures["balance_sheet_limit"] = s.balance_sheet_limit
    figures["need_after_shock"] = last["need"]
    for market in MARKETS:
        clear = [
            r
            for r in after
            if r[f"{market}_funded"] >= r["need"]
            and (market == "dealer" or not r["ledger_pending_withdrawals"])
        ]
        first_clear = clear[0]["height"] - shock_height + 1 if clear else None
        peak = max(r[f"{market}_marginal_bps"] for r in after)
        f = losses[market]
        figures |= {
            f"{market}_liquidity_supplied": last[f"{market}_funded"],
            f"{market}_funded_share_bps": last[f"{market}_funded"] * BPS // last["need"],
            f"{market}_rate_before_bps": before[f"{market}_marginal_bps"],
            f"{market}_peak_rate_bps": peak,
            f"{market}_rate_impact_bps": peak - before[f"{market}_marginal_bps"],
            f"{market}_peak_average_bps": max(r[f"{market}_average_bps"] for r in after),
            f"{market}_cleared": first_clear is not None,
            f"{market}_time_to_clear_blocks": first_clear,
            f"{market}_unfunded": f["unfunded"],
            f"{market}_fire_sale_loss": f["loss"],
            f"{market}_fire_sale_price_bps": f["price_bps"],
            f"{market}_buyer_gain": f["buyer_gain"],
            f"{market}_facility_outstanding": last[f"{market}_facility"],
            f"{market}_hhi_before": hhi_before[market],
            f"{market}_hhi_after": last[f"{market}_hhi"],
        }
    figures["fire_sale_losses"] = {m: losses[m]["losses"] for m in MARKETS}
    figures["ledger_pending_withdrawals"] = last["ledger_pending_withdrawals"]
    # the lenders' side: blocks until every withdrawal is paid (the dealers repurchase the
    # withdrawn repos in the shock's first block; the pool pays what its idle cash allows)
    paid = [r for r in after if not r["ledger_pending_withdrawals"]]
    figures["dealer_withdrawals_paid_blocks"] = 1
    figures["ledger_withdrawals_paid_blocks"] = (
        1
        if not any(r["ledger_pending_withdrawals"] for r in after)
        else (paid[0]["height"] - shock_height + 1 if paid else None)
    )
    figures["ledger_intra_round_peak_bps"] = ol.block_peak[0]
    figures["losses_equal_buyer_gains"] = all(
        losses[m]["loss"] == losses[m]["buyer_gain"] for m in MARKETS
    )
    return figures


market_structure.blocks = 24  # type: ignore[attr-defined]  # progress-bar total (about)
market_structure.genesis = structure_genesis  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- report

LABELS = {"dealer": "dealer market", "ledger": "on-ledger pool + facility"}


def _blocks(n: int | None) -> str:
    return "never (within the run)" if n is None else f"{n} block(s)"


def report_lines(figures: dict[str, Any]) -> list[str]:
    """The comparison's key figures in words."""
    f = figures
    usd = lambda cents: f"${cents / 100:,.0f}"  # noqa: E731
    lines = [
        f"{f['dealers']} dealers with {usd(f['balance_sheet_limit'])} balance sheets each; "
        f"after the shock borrowers need {usd(f['need_after_shock'])}."
    ]
    for m in MARKETS:
        clear = (
            f"cleared {f[f'{m}_time_to_clear_blocks']} block(s) after the shock"
            if f[f"{m}_cleared"]
            else "never cleared within the run"
        )
        lines.append(
            f"{LABELS[m]}: supplied {usd(f[f'{m}_liquidity_supplied'])} "
            f"({f[f'{m}_funded_share_bps'] / 100:.1f}% of the need); marginal rate "
            f"{f[f'{m}_rate_before_bps'] / 100:.2f}% before, peak "
            f"{f[f'{m}_peak_rate_bps'] / 100:.2f}% (+{f[f'{m}_rate_impact_bps']} bp); {clear}; "
            f"fire-sale loss {usd(f[f'{m}_fire_sale_loss'])} borne by the borrowers short "
            f"{usd(f[f'{m}_unfunded'])}; facility outstanding "
            f"{usd(f[f'{m}_facility_outstanding'])}; HHI {f[f'{m}_hhi_before']:,.0f} before, "
            f"{f[f'{m}_hhi_after']:,.0f} after."
        )
    lines.append(
        f"Within the shock round the pool's floating rate peaked at "
        f"{f['ledger_intra_round_peak_bps'] / 100:.2f}% for one block (lenders had withdrawn, "
        f"sideline cash had not yet arrived). Lenders' withdrawals were paid "
        f"{_blocks(f['dealer_withdrawals_paid_blocks'])} after the shock by the dealers and "
        f"{_blocks(f['ledger_withdrawals_paid_blocks'])} by the pool (unpaid at the end: "
        f"{usd(f['ledger_pending_withdrawals'])}). Fire-sale losses equal the buyer's gains: "
        f"{f['losses_equal_buyer_gains']}."
    )
    return lines


def report_charts(run: Any) -> list[tuple[str, Any]]:
    """Liquidity supplied, marginal rates, concentration and losses, per market."""
    import plotly.graph_objects as go

    f = run.figures
    rows = f["rounds"]
    x = [r["round"] for r in rows]
    fig = go.Figure(go.Scatter(x=x, y=[r["need"] / 100 for r in rows], name="need"))
    for m in MARKETS:
        fig.add_trace(go.Scatter(x=x, y=[r[f"{m}_funded"] / 100 for r in rows], name=LABELS[m]))
    fig.update_layout(xaxis_title="round", yaxis_title="USD funded")
    out = [("Liquidity supplied to borrowers", fig)]
    fig = go.Figure()
    for m in MARKETS:
        fig.add_trace(
            go.Scatter(x=x, y=[r[f"{m}_marginal_bps"] for r in rows], name=f"{LABELS[m]}, marginal")
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[r[f"{m}_average_bps"] for r in rows],
                name=f"{LABELS[m]}, average",
                line={"dash": "dot"},
            )
        )
    fig.update_layout(xaxis_title="round", yaxis_title="bp a year")
    out.append(("Rates borrowers pay (price impact)", fig))
    names = [LABELS[m] for m in MARKETS]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[f[f"{m}_hhi_before"] for m in MARKETS], name="before the shock"),
            go.Bar(x=names, y=[f[f"{m}_hhi_after"] for m in MARKETS], name="at the end"),
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="HHI (0..10,000)")
    out.append(("Concentration of the balance sheets borrowers depend on", fig))
    fig = go.Figure(
        [
            go.Bar(
                x=names,
                y=[f[f"{m}_fire_sale_loss"] / 100 for m in MARKETS],
                name="borrowers' fire-sale loss",
            ),
            go.Bar(
                x=names, y=[f[f"{m}_unfunded"] / 100 for m in MARKETS], name="need left unfunded"
            ),
            go.Bar(
                x=names,
                y=[f[f"{m}_facility_outstanding"] / 100 for m in MARKETS],
                name="standing repo facility outstanding",
            ),
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="USD")
    out.append(("Losses and who bears them", fig))
    return out


def sweep_chart(table: Any, param: str) -> Any:
    """Liquidity supplied and peak marginal rate of both markets against ``param`` (the
    dealers' number or balance-sheet limit), averaged over the seeds."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    means = table.groupby(param).mean(numeric_only=True).reset_index()
    fig = make_subplots(rows=1, cols=2, subplot_titles=("liquidity supplied, USD", "peak rate, bp"))
    for m in MARKETS:
        fig.add_trace(
            go.Scatter(x=means[param], y=means[f"{m}_liquidity_supplied"] / 100, name=LABELS[m]),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(x=means[param], y=means[f"{m}_peak_rate_bps"], name=f"{LABELS[m]} (rate)"),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text=param)
    return fig
