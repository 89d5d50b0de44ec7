"""The corridor on a ledger: a basket coin whose reserve earns the day's rates, end to end.

:func:`run_parallel_dollar` starts the basket consortium (:mod:`glassledger.sim.basket_devnet`)
on a :class:`~glassledger.node.clocked.ClockedChain` dated at the first corridor day,
sets the coin up under Rule 2a-7 (2023), lets the US dollar dealer create coins, and then, for
every business day of the source:

1. block at 12:00 UTC: the oracle publisher posts the day's corridor (and the FX rates the
   basket needs, held at the devnet's values); the basket's ``begin_block`` accrues the
   interest since the previous day at the rates in force and matures securities;
2. block at 12:00:01: the custodian pays the interest receivable in (daily, as a money fund
   accrues its dividend), and the reserve manager (the SPV) keeps the US dollar sleeve at its
   :class:`ReserveAllocation`: it rolls 91-day bills (rate key ``USD.BILL``) and overnight
   repo (``USD.REPO``, maturing the next business day) as they mature; the rest stays on
   deposit (``USD.DEPOSIT``).

The result holds the chain and the table of :func:`side_by_side`: the corridor, the reserve's
realised yield and its spread to SOFR, plus the oracle rates actually posted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from glassledger.contracts.basket_book import load_book
from glassledger.errors import GlassledgerError
from glassledger.liquidity.interfaces import RateSource, side_by_side
from glassledger.liquidity.ledger_link import (
    BasketReserveMarket,
    OnLedgerFundingMarket,
    OraclePublisher,
)
from glassledger.node.clocked import DAY_MS, Call, ClockedChain, day_of, ms_of
from glassledger.sim import basket_devnet as devnet

Progress = Callable[[int, int], None]
MANAGER = "spv"
DEALER = devnet.dealer("USD")
TREASURY = "US-TREASURY"
REPO_COUNTERPARTY = "FICC"


@dataclass(frozen=True)
class ReserveAllocation:
    """Target shares (decimal) of the US dollar sleeve's assets: ``bills`` in ``bill_days``
    bills, ``repo`` in overnight government repo; the rest stays on deposit. Purchases
    smaller than ``min_ticket`` of the sleeve wait (no daily odd lots of bills). ``units`` is
    the number of creation units (1,000 coins each) the dealer creates at the start."""

    bills: float = 0.5
    repo: float = 0.3
    bill_days: int = 91
    min_ticket: float = 0.01
    units: int = 10_000


@dataclass(frozen=True)
class ParallelDollarRun:
    """A finished run: the chain (its store is the evidence), the table (percent, bp) and
    the oracle schedule that was posted (whole basis points)."""

    ledger: ClockedChain
    table: pd.DataFrame
    posted_bps: pd.DataFrame

    @property
    def state_root(self) -> bytes:
        return self.ledger.state_root


def _settle_calls(ledger: ClockedChain) -> list[Call]:
    """The custodian pays the day's interest receivable in (a money fund's daily accrual):
    it credits the US dollars it issues and settles them into the reserve."""
    accrued = load_book(lambda key: ledger.get("basket", key)).accrued["USD"]
    if accrued <= 0:
        return []
    custodian = devnet.bank("USD")
    return [
        (custodian, "token", "mint", {"symbol": "USD", "to": custodian, "amount": accrued}),
        (custodian, "basket", "settle_interest", {"currency": "USD", "amount": accrued}),
    ]


def _roll_calls(
    ledger: ClockedChain, allocation: ReserveAllocation, day: int, next_day: int
) -> list[Call]:
    """The manager's investments that bring bills and repo back to their target shares:
    bills for ``bill_days``, repo until the next business day ``next_day`` (a security
    earns until its maturity). Interest settled in the same block is invested the next day."""
    book = load_book(lambda key: ledger.get("basket", key))
    held = {"government": 0, "government_repo": 0}
    for security in book.securities.values():
        if security["currency"] == "USD":
            held[security["kind"]] += security["amount"]
    deposits, assets = book.deposits("USD"), book.assets("USD")
    calls = []
    for kind, share, issuer, key, days in (
        ("government", allocation.bills, TREASURY, "USD.BILL", allocation.bill_days),
        ("government_repo", allocation.repo, REPO_COUNTERPARTY, "USD.REPO", next_day - day),
    ):
        amount = min(int(share * assets) - held[kind], deposits)
        if amount > allocation.min_ticket * assets:
            deposits -= amount
            args = {
                "currency": "USD",
                "issuer": issuer,
                "kind": kind,
                "amount": amount,
                "maturity_day": day + days,
                "rate_key": key,
            }
            calls.append((MANAGER, "basket", "invest", args))
    return calls


class LedgerRunError(GlassledgerError):
    """A transaction of the run was rejected (the message names the day and the reasons)."""


def _checked(block, what: str):
    if block.rejected:
        raise LedgerRunError(f"{what} rejected: {[r.message for r in block.rejected]}")
    return block


def run_parallel_dollar(
    source: RateSource,
    start,
    end,
    *,
    allocation: ReserveAllocation | None = None,
    path: Path | str | None = None,
    deposit_spread_bp: float = -10.0,
    progress: Progress | None = None,
) -> ParallelDollarRun:
    """Publish ``source``'s corridor day by day in [start, end] to a basket-coin ledger
    (in memory, or SQLite at ``path``) and read the reserve's realised yield back.

    The table has the corridor (percent), ``basket_reserve_pct`` (realised yield of the US
    dollar sleeve, percent a year, actual/360), ``basket_reserve_minus_sofr_bp`` and the
    posted ``bill_pct`` and ``deposit_pct``. The last day has no yield yet (NaN): its rate
    accrues on the next day, which the run does not reach.
    """
    allocation = allocation or ReserveAllocation()
    publisher = OraclePublisher(source, deposit_spread_bp=deposit_spread_bp)
    posted = publisher.schedule(start, end)
    first = posted.index[0]
    genesis = devnet.basket_genesis(time_ms=ms_of(first) - DAY_MS)
    ledger = ClockedChain.start(genesis, path=path)
    setup = devnet.setup_calls(ledger.time_ms + 1, rules="2a7-2023")
    _checked(ledger.advance(1, setup), "basket setup")
    _checked(ledger.advance(1, [(DEALER, "basket", "mint", {"units": allocation.units})]), "mint")
    fx = devnet.RATES_E10
    for i, (date, row) in enumerate(posted.iterrows()):
        at = ms_of(date)
        calls = publisher.calls(row, at) + devnet.fx_calls(at, fx)
        _checked(ledger.commit_at(at, calls), f"oracle posts on {date.date()}")
        following = date + pd.offsets.BDay(1)
        if i + 1 < len(posted):
            following = posted.index[i + 1]
        day = day_of(at)
        rolls = _settle_calls(ledger) + _roll_calls(
            ledger, allocation, day, day_of(ms_of(following))
        )
        if rolls:
            _checked(ledger.commit_at(at + 1_000, rolls), f"reserve management on {date.date()}")
        if progress is not None:
            progress(i + 1, len(posted))
    market = OnLedgerFundingMarket(ledger.store, BasketReserveMarket("USD"))
    table = side_by_side(source, [market], first, posted.index[-1])
    rates = publisher.rates_pct(start, end)
    table["bill_pct"] = rates["bill_pct"]
    table["deposit_pct"] = rates["deposit_pct"]
    return ParallelDollarRun(ledger, table, posted)
