"""Funding-market views at a height, as DataFrames (see docs/funding.md).

Signs and units: amounts in cash minor units (USD cents) unless the column says otherwise;
``lent`` and ``borrowed`` are gross and positive; ``margin_excess`` is collateral after
haircut less the requirement (negative: a deficit); ``health_factor`` is the pool's (a float,
``inf`` without debt; below 1 the position may be liquidated); rates in basis points a year.

The arithmetic is the contracts' own: repo interest and haircuts from
:mod:`glassledger.contracts.repo_book`, pool debts, shares, health factors and rates from
:mod:`glassledger.contracts.lending_math` and :func:`glassledger.contracts.pool.
position_snapshot` (STYLE.md lesson 12: the views never show a figure the contract would not
act on).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from glassledger.contracts import lending_math as lm
from glassledger.contracts import repo_book as rb
from glassledger.contracts.pool import debt_of, position_snapshot
from glassledger.funding.snapshot import Snapshot

OPEN_REPO = ("open", "called")
CASH = "USD"


def _repo_due(snap: Snapshot, repo: dict[str, Any]) -> int:
    days = max(snap.day - repo["start_day"], 0)
    return repo["cash"] + rb.interest(repo["cash"], repo["rate_bps"], days)


def _repo_collateral(snap: Snapshot, repo: dict[str, Any]) -> tuple[int, int]:
    """``(market value, after haircut)`` of a repo's collateral at the snapshot's prices."""
    market = adjusted = 0
    for symbol, amount in repo["collateral"].items():
        value = snap.value(symbol, amount, repo["cash_symbol"])
        market += value
        adjusted += rb.after_haircut(value, snap.haircuts.get(symbol, 0))
    return market, adjusted


def _price_e8(point: dict[str, Any] | None) -> int:
    """An oracle price point at scale 8 (0 when absent), as the pool contract reads it."""
    if point is None:
        return 0
    shift = 8 - point["scale"]
    return point["value"] * 10**shift if shift >= 0 else point["value"] // 10**-shift


def _pool_positions(snap: Snapshot) -> list[dict[str, Any]]:
    """Every pool position with its market, debt and account figures."""
    out = []
    markets = snap.pool_markets()
    terms_of: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in markets}
    for k, v in snap.pool_raw.items():
        if k.startswith("c/"):
            market_name, _, symbol = k[2:].partition("/")
            terms_of.setdefault(market_name, {})[symbol] = v
    prices_of = {
        name: {s: _price_e8(snap.prices.get(c["price_key"])) for s, c in terms.items()}
        for name, terms in terms_of.items()
    }
    for key, position in snap.pool_raw.items():
        if not key.startswith("p/") or not isinstance(position, dict):
            continue
        market_name, _, borrower = key[2:].partition("/")
        market = markets.get(market_name)
        if market is None:
            continue
        terms, prices = terms_of[market_name], prices_of[market_name]
        held = {s: a for s, a in position["collateral"].items() if a > 0 and s in terms}
        account = lm.account(
            position_snapshot(market, {**position, "collateral": held}, terms, prices)
        )
        out.append(
            {
                "market": market_name,
                "borrower": borrower,
                "debt": debt_of(market, position["scaled_debt"]),
                "collateral_value": account.collateral_value,
                "health_factor": math.inf if account.debt == 0 else account.health_factor / lm.WAD,
                "collateral": held,
            }
        )
    return out


def _pool_shares(snap: Snapshot) -> list[tuple[str, str, int]]:
    """``(market, lender, value of shares)`` rounded down as the contract redeems them."""
    markets = snap.pool_markets()
    out = []
    for key, scaled in snap.pool_raw.items():
        if key.startswith("s/") and isinstance(scaled, int):
            market_name, _, lender = key[2:].partition("/")
            market = markets.get(market_name)
            if market is not None:
                out.append(
                    (market_name, lender, lm.ray_mul_down(scaled, market["liquidity_index"]))
                )
    return out


def participants(snap: Snapshot, cash_symbol: str = CASH) -> pd.DataFrame:
    """One row per participant with any funding activity: ``cash`` (free), ``securities``
    (free, at market value), ``posted`` (collateral escrowed in repo, pool and facility
    locks, at market value), ``lent``, ``borrowed``, ``leverage`` (gross assets / (gross
    assets - borrowed); NaN when not positive), ``margin_excess`` (repos as seller),
    ``health_factor`` (lowest over pool positions), ``open_margin_calls``."""
    columns = ("cash", "securities", "posted", "lent", "borrowed", "margin_excess")
    index: dict[str, int] = {}
    sums: list[list[int]] = []
    health: list[float] = []
    calls: list[int] = []

    def row(who: str) -> int:
        at = index.get(who)
        if at is None:
            at = index[who] = len(sums)
            sums.append([0, 0, 0, 0, 0, 0])
            health.append(math.inf)
            calls.append(0)
        return at

    for (symbol, holder), amount in snap.balances.items():
        if holder.startswith("contract:"):
            continue
        if symbol == cash_symbol:
            sums[row(holder)][0] += amount
        elif symbol in snap.securities:
            sums[row(holder)][1] += snap.value(symbol, amount, cash_symbol)
    for lock_id, lock in snap.locks.items():
        if lock_id.startswith(("repo/", "pool/", "facility/")) and "/o/" not in lock_id:
            value = snap.value(lock["symbol"], lock["amount"], cash_symbol)
            sums[row(lock["holder"])][2] += value
    for repo in snap.repos.values():
        if repo["state"] not in OPEN_REPO:
            continue
        due = _repo_due(snap, repo)
        sums[row(repo["buyer"])][3] += due
        seller = row(repo["seller"])
        sums[seller][4] += due
        _, adjusted = _repo_collateral(snap, repo)
        sums[seller][5] += adjusted - due
        calls[seller] += repo["state"] == "called"
    for position in _pool_positions(snap):
        at = row(position["borrower"])
        sums[at][4] += position["debt"]
        health[at] = min(health[at], position["health_factor"])
    for _, lender, value in _pool_shares(snap):
        sums[row(lender)][3] += value
    for op_id in snap.facility_open:
        op = snap.facility_ops.get(op_id) or {}
        who = op.get("lender") or op.get("borrower") or op.get("participant")
        if who:
            sums[row(who)][3 if op.get("kind") == "rrp" else 4] += op.get("cash", 0)
    frame = pd.DataFrame(sums, columns=list(columns), dtype="int64")
    frame.insert(0, "participant", list(index))
    frame["health_factor"] = health
    frame["open_margin_calls"] = calls
    assets = frame["cash"] + frame["securities"] + frame["posted"] + frame["lent"]
    equity = (assets - frame["borrowed"]).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["leverage"] = np.where(equity > 0, assets.to_numpy(float) / equity, np.nan)
    active = (frame[["securities", "posted", "lent", "borrowed"]] != 0).any(axis=1)
    order = [
        "participant",
        "cash",
        "securities",
        "posted",
        "lent",
        "borrowed",
        "leverage",
        "margin_excess",
        "health_factor",
        "open_margin_calls",
    ]
    return frame.loc[active, order].sort_values("participant").reset_index(drop=True)


def collateral_by_issue(snap: Snapshot, cash_symbol: str = CASH) -> pd.DataFrame:
    """Holdings of every Treasury issue per participant: ``free`` and ``posted`` face
    (minor units) and their market ``value``."""
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (symbol, holder), amount in snap.balances.items():
        if symbol in snap.securities and not holder.startswith("contract:"):
            rows[(holder, symbol)][0] += amount
    for lock in snap.locks.values():
        if lock["symbol"] in snap.securities:
            rows[(lock["holder"], lock["symbol"])][1] += lock["amount"]
    records = [
        {
            "participant": holder,
            "issue": symbol,
            "free": free,
            "posted": posted,
            "value": snap.value(symbol, free + posted, cash_symbol),
        }
        for (holder, symbol), (free, posted) in sorted(rows.items())
    ]
    return pd.DataFrame(records, columns=["participant", "issue", "free", "posted", "value"])


def repo_book(snap: Snapshot) -> pd.DataFrame:
    """Every repo ever opened: parties, state, cash, rate, term, amount due, collateral value
    before and after haircut, margin excess, open call."""
    records = []
    for repo_id, repo in sorted(snap.repos.items()):
        live = repo["state"] in OPEN_REPO
        market, adjusted = _repo_collateral(snap, repo) if live else (0, 0)
        due = _repo_due(snap, repo) if live else 0
        records.append(
            {
                "repo": repo_id,
                "buyer": repo["buyer"],
                "seller": repo["seller"],
                "state": repo["state"],
                "cash": repo["cash"],
                "rate_bps": repo["rate_bps"],
                "term_days": repo["term_days"],
                "start_day": repo["start_day"],
                "due": due,
                "collateral_value": market,
                "after_haircut": adjusted,
                "margin_excess": adjusted - due if live else 0,
            }
        )
    return pd.DataFrame(records)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The volume-weighted median: the smallest value at which the cumulative weight reaches
    half the total (the NY Fed's SOFR rule on transaction-level data)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def _weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] * q)])


def ledger_sofr(snap: Snapshot) -> pd.DataFrame:
    """The on-ledger counterpart of SOFR, per day: the volume-weighted median rate of the
    overnight repos opened that day (``term_days`` 1), with the volume, the count and the
    1st/25th/75th/99th volume-weighted percentiles the NY Fed publishes beside SOFR."""
    frame = repo_book(snap)
    columns = ["day", "rate_bps", "volume", "count", "p1", "p25", "p75", "p99"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    overnight = frame[(frame["term_days"] == 1) & (frame["state"] != "cancelled")]
    overnight = overnight[overnight["state"] != "proposed"]
    rows = []
    for day, group in overnight.groupby("start_day"):
        rates = group["rate_bps"].to_numpy(float)
        volume = group["cash"].to_numpy(float)
        rows.append(
            [int(day), weighted_median(rates, volume), int(volume.sum()), len(group)]
            + [_weighted_percentile(rates, volume, q) for q in (0.01, 0.25, 0.75, 0.99)]
        )
    return pd.DataFrame(rows, columns=columns)


def pool_markets(snap: Snapshot) -> pd.DataFrame:
    """Per pool market: cash held, debt, utilization, borrow and supply rates (bps),
    liquidity and borrow indexes, reserve, deficit and socialized loss."""
    rows = []
    for name, m in snap.pool_markets().items():
        debt = lm.ray_mul_up(m["scaled_debt"], m["borrow_index"])
        utilization = lm.utilization_ray(debt, m["cash_held"])
        supply = lm.supply_rate_ray(m["rate_ray"], utilization, m["reserve_factor_bps"])
        rows.append(
            {
                "market": name,
                "cash": m["cash_held"],
                "debt": debt,
                "utilization": utilization / lm.RAY,
                "borrow_rate_bps": lm.ray_to_bps(m["rate_ray"]),
                "supply_rate_bps": lm.ray_to_bps(supply),
                "liquidity_index": m["liquidity_index"] / lm.RAY,
                "borrow_index": m["borrow_index"] / lm.RAY,
                "reserve": m["treasury"],
                "deficit": m["deficit"],
                "socialized": m["socialized"],
            }
        )
    return pd.DataFrame(rows)


def facility_take_up(snap: Snapshot) -> pd.DataFrame:
    """Standing-facility operations per kind (``rrp`` floor, ``srf`` ceiling) and day:
    count, cash, and what is still outstanding."""
    rows: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for op_id, op in snap.facility_ops.items():
        if not isinstance(op, dict):
            continue
        day = op.get("opened_ms", 0) // 86_400_000
        entry = rows[(op.get("kind", "?"), day)]
        entry[0] += 1
        entry[1] += op.get("cash", 0)
        entry[2] += op.get("cash", 0) if op_id in snap.facility_open else 0
    return pd.DataFrame(
        [[k, d, n, c, o] for (k, d), (n, c, o) in sorted(rows.items())],
        columns=["kind", "day", "count", "cash", "outstanding"],
    )


def _shares(amounts: dict[str, float]) -> dict[str, float]:
    positive = {k: v for k, v in amounts.items() if v > 0}
    total = sum(positive.values())
    return {k: v / total for k, v in positive.items()} if total else {}


def concentration(
    snap: Snapshot, top: tuple[int, ...] = (1, 3, 5), positions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Concentration of each side of the market (seed 000's failure mode: a few balance
    sheets): ``lenders`` (repo cash lent, pool shares, reverse repo at the facility),
    ``borrowers`` (repo cash borrowed, pool debt, standing repo), ``dealers`` (gross repo
    intermediation: lent plus borrowed, participants on both sides), ``collateral`` (posted
    value by issue). Columns: ``n``, top-N shares, and the Herfindahl-Hirschman index on the
    0..10,000 scale (10,000 = one name)."""
    parts = participants(snap) if positions is None else positions
    lenders = dict(zip(parts["participant"], parts["lent"], strict=True)) if len(parts) else {}
    borrowers = (
        dict(zip(parts["participant"], parts["borrowed"], strict=True)) if len(parts) else {}
    )
    both = {p for p in lenders if lenders[p] > 0 and borrowers.get(p, 0) > 0}
    dealers = {p: lenders[p] + borrowers[p] for p in both}
    collateral: dict[str, float] = defaultdict(float)
    for lock_id, lock in snap.locks.items():
        if (
            lock_id.startswith(("repo/", "pool/", "facility/"))
            and lock["symbol"] in snap.securities
        ):
            collateral[lock["symbol"]] += snap.value(lock["symbol"], lock["amount"])
    rows = []
    for side, amounts in (
        ("lenders", lenders),
        ("borrowers", borrowers),
        ("dealers", dealers),
        ("collateral", collateral),
    ):
        shares = sorted(_shares(amounts).values(), reverse=True)
        row: dict[str, Any] = {"side": side, "n": len(shares)}
        for k in top:
            row[f"top{k}"] = float(sum(shares[:k]))
        row["hhi"] = float(sum(s * s for s in shares) * 10_000)
        rows.append(row)
    return pd.DataFrame(rows)
