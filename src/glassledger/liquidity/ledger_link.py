"""The parallel dollar system: the Fed corridor reaches on-ledger markets through the oracle.

One path, three pieces (seed 000: stable coins and tokenized Treasuries as the on-ledger
descendants of repo collateral; seed 001: the corridor RRP < IORB < SRF and SOFR):

1. :class:`OraclePublisher` takes any :class:`~glassledger.liquidity.interfaces.RateSource`
   (published data or a corridor-model run) and turns each day's rates into signed oracle
   posts (kind ``rate``, scale 4 = **basis points**, keys :data:`ORACLE_KEYS`). The keys the
   basket reserve accrues on are ``USD.DEPOSIT``, ``USD.BILL`` and ``USD.REPO``.
2. On the ledger, markets read those keys in their hooks: the basket reserve accrues interest
   every day (``contracts/basket_reserve.py``); a repo or lending pool (a later issue) prices
   its loans, values its collateral and liquidates the same way.
3. :class:`OnLedgerFundingMarket` reads a market back at each day's block and implements
   :class:`~glassledger.liquidity.interfaces.FundingMarket`, so
   :func:`~glassledger.liquidity.interfaces.side_by_side` puts the on-ledger rate beside SOFR.
   A market plugs in by implementing :class:`LedgerMarket`: :class:`BasketReserveMarket` (the
   basket reserve) and :class:`LendingPoolMarket` (a ``pool`` lending market).

**Integer conversion.** A rate in percent becomes whole basis points, rounded half to even
on the decimal the float prints (``to_bps(5.305) == 530``, ``to_bps(5.315) == 532``):
published rates have two decimals of a percent, so data round-trip exactly; model rates lose
at most half a basis point. The basket reads rates at scale 4 and refuses finer ones, which
is why nothing finer is posted. A missing rate (NaN: no SRF before 2021, say) is not posted
that day; the value in force stays until it goes stale.

**Collateral prices.** ``UST.BILL3M`` (kind ``price``, scale 8, per 100 of face value) is
the price of a tokenized 3-month bill at the posted bill yield, ``100 / (1 + y x 91 / 360)``:
the collateral value that repo and lending pools read.

**Rates derived from the corridor** (the model has no bill market or bank deposits):

* ``USD.BILL``: where the source is a data panel with the 3-month bill (``bill_3m_pct``,
  discount basis), its money-market yield ``360 d / (360 - d t)`` with ``t = 91`` days (the
  actual/360 rate on the price paid, the basis the reserve accrues on); on days without a
  bill quote (model runs; the shipped DTB3 ends in May 2024) the mean
  SOFR over the next 63 business days of the source's own path (expectations without a term
  premium; the look-ahead goes past the published window as far as the source's path goes).
  Bills therefore move with the expected path of overnight rates and feel a one-day spike
  only by 1/63 of it.
* ``USD.DEPOSIT``: IORB plus ``deposit_spread_bp`` (default -10 bp: the custodian bank earns
  IORB on the cash it places at the Fed and keeps 10 bp; a floor at the ON RRP rate would be
  the money funds' alternative, and the default stays above it since 2021).
* ``USD.REPO``: SOFR (the reserve lends cash overnight against Treasuries at the market rate).

**Realised yield** of an on-ledger market between the last blocks of two days ``d0 < d1``:
``income / principal x day_count / (d1 - d0) x 100``, in **percent a year** on the market's day
count (actual/360 for the basket, SOFR's convention), attributed to ``d0`` (the rate posted on
``d0`` is the one that accrues until ``d1``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from glassledger.contracts.basket_book import load_book
from glassledger.errors import InputError
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.codec import decode
from glassledger.liquidity.data import next_us_business_days
from glassledger.liquidity.interfaces import RateSource
from glassledger.node.clocked import Call, day_of, last_height_of_each_day

#: Oracle rate key -> column (percent) of :meth:`OraclePublisher.rates_pct`.
ORACLE_KEYS: dict[str, str] = {
    "USD.SOFR": "sofr_pct",
    "USD.IORB": "iorb_pct",
    "USD.ON_RRP": "on_rrp_rate_pct",
    "USD.SRF": "srf_rate_pct",
    "USD.BILL": "bill_pct",
    "USD.DEPOSIT": "deposit_pct",
    "USD.REPO": "sofr_pct",
}
#: Oracle price key -> column (per 100 of face value) of :meth:`OraclePublisher.rates_pct`:
#: collateral whose price the corridor moves (a tokenized 3-month bill).
PRICE_KEYS: dict[str, str] = {"UST.BILL3M": "bill_price"}
RATE_SCALE = 4
PRICE_SCALE = 8
BILL_DAYS = 91
BILL_HORIZON_BUSINESS_DAYS = 63


def to_bps(rate_pct: float) -> int | None:
    """A rate in percent as whole basis points (the oracle's ``rate`` at scale 4), rounded
    half to even on the shortest decimal that prints the float; ``None`` for NaN."""
    if rate_pct is None or np.isnan(rate_pct):
        return None
    return int((Decimal(repr(float(rate_pct))) * 100).quantize(Decimal(1), ROUND_HALF_EVEN))


def bill_money_market_yield_pct(discount_pct: pd.Series, days: int = BILL_DAYS) -> pd.Series:
    """Money-market (actual/360, on the price paid) yield of a bill quoted on a discount
    basis: ``y = 360 d / (360 - d t)``, percent in and out (price = 1 - d t / 360 per 1 of
    face, so ``(1 / price - 1) x 360 / t`` is the same)."""
    d = discount_pct / 100.0
    return 100.0 * 360.0 * d / (360.0 - d * days)


def bill_price(yield_pct: pd.Series, days: int = BILL_DAYS) -> pd.Series:
    """Price per 100 of face value of a ``days`` bill at a money-market yield (percent):
    ``100 / (1 + y t / 360)``."""
    return 100.0 / (1.0 + yield_pct / 100.0 * days / 360.0)


def to_price_units(price: float) -> int | None:
    """A price as an integer at the oracle's price scale (1e-8 units, nearest, half to
    even); ``None`` for NaN."""
    if np.isnan(price):
        return None
    return int(
        (Decimal(repr(float(price))) * 10**PRICE_SCALE).quantize(Decimal(1), ROUND_HALF_EVEN)
    )


def expected_sofr_pct(sofr_pct: pd.Series, horizon: int = BILL_HORIZON_BUSINESS_DAYS) -> pd.Series:
    """Mean SOFR over the next ``horizon`` business days (today included), cut at the end."""
    return sofr_pct[::-1].rolling(horizon, min_periods=1).mean()[::-1]


@dataclass(frozen=True)
class OraclePublisher:
    """Posts a :class:`RateSource`'s corridor to the ledger's oracle, day by day.

    ``signer`` must hold the ``oracle`` (or ``regulator``) role. ``keys`` maps oracle ``rate``
    keys and ``prices`` oracle ``price`` keys to columns of :meth:`rates_pct` (defaults
    :data:`ORACLE_KEYS`, :data:`PRICE_KEYS`).
    """

    source: RateSource
    signer: str = "regulator"
    deposit_spread_bp: float = -10.0
    keys: Mapping[str, str] = field(default_factory=lambda: dict(ORACLE_KEYS))
    prices: Mapping[str, str] = field(default_factory=lambda: dict(PRICE_KEYS))

    def rates_pct(self, start, end) -> pd.DataFrame:
        """The corridor of the source in [start, end] plus ``bill_pct`` and ``deposit_pct``
        (module docstring), percent."""
        frame = self.source.corridor(start, end).copy()
        if frame.empty:
            raise InputError(
                "no corridor rates in the window", field="dates", value=f"{start}..{end}"
            )
        ahead = next_us_business_days(frame.index[-1], BILL_HORIZON_BUSINESS_DAYS + 1)[-1]
        sofr = self.source.corridor(frame.index[0], ahead)["sofr_pct"]
        frame["bill_pct"] = expected_sofr_pct(sofr).reindex(frame.index)
        panel = getattr(self.source, "panel", None)
        if panel is not None and "bill_3m_pct" in panel:
            discount = panel["bill_3m_pct"].reindex(frame.index)
            frame["bill_pct"] = bill_money_market_yield_pct(discount).combine_first(
                frame["bill_pct"]
            )
        frame["deposit_pct"] = frame["iorb_pct"] + self.deposit_spread_bp / 100.0
        frame["bill_price"] = bill_price(frame["bill_pct"])
        return frame

    def schedule(self, start, end) -> pd.DataFrame:
        """What will be posted: one row per day, one column per oracle key; rates in whole
        basis points, prices in 1e-8 units (nullable integers; ``<NA>``: not posted)."""
        rates = self.rates_pct(start, end)
        data = {key: [to_bps(v) for v in rates[col].to_numpy()] for key, col in self.keys.items()}
        for key, col in self.prices.items():
            data[key] = [to_price_units(v) for v in rates[col].to_numpy()]
        return pd.DataFrame(data, index=rates.index, dtype="Int64")

    def calls(self, row: pd.Series, observed_ms: int) -> list[Call]:
        """Oracle posts of one :meth:`schedule` row, observed at ``observed_ms``."""
        return [
            (
                self.signer,
                "oracle",
                "post",
                {
                    "kind": "price" if key in self.prices else "rate",
                    "key": key,
                    "value": int(value),
                    "scale": PRICE_SCALE if key in self.prices else RATE_SCALE,
                    "observed_ms": observed_ms,
                },
            )
            for key, value in row.items()
            if not pd.isna(value)
        ]


# --------------------------------------------------------------------------------------------
# reading markets back


@dataclass(frozen=True)
class LedgerView:
    """The committed state of some contracts after block ``height`` (stamped ``time_ms``)."""

    store: BlockStore
    height: int
    time_ms: int
    state: Mapping[bytes, bytes]

    @property
    def day(self) -> int:
        """Days since the epoch of the block (the contracts' day)."""
        return day_of(self.time_ms)

    def get(self, contract: str, key: str) -> Any:
        raw = self.state.get(f"{contract}/{key}".encode())
        return None if raw is None else decode(raw, Any)

    def events_since(self, before: LedgerView, contract: str, name: str) -> list:
        """Events ``contract``/``name`` of the blocks after ``before`` up to this one."""
        return [
            r.event
            for r in self.store.events(before.height + 1, self.height + 1, contract=contract)
            if r.event.name == name
        ]


def views_at(
    store: BlockStore, heights: Iterable[int], contracts: Sequence[str]
) -> Iterator[LedgerView]:
    """Views of ``contracts`` (and the oracle) at ascending ``heights``: the first rebuilt
    from the store, the next ones by applying each block's changes forward (linear in the
    number of blocks, not quadratic)."""
    prefixes = tuple(f"{c}/".encode() for c in {*contracts, "oracle"})
    ordered = sorted(set(heights))
    if not ordered:
        return
    state = {k: v for k, v in store.state_at(ordered[0]).items() if k.startswith(prefixes)}
    current = ordered[0]
    for height in ordered:
        for later in range(current + 1, height + 1):
            for key, value in store.get_changes(later).items():
                if key.startswith(prefixes):
                    if value is None:
                        state.pop(key, None)
                    else:
                        state[key] = value
        current = height
        yield LedgerView(store, height, store.get_block(height).header.timestamp_ms, dict(state))


@dataclass(frozen=True)
class MarketReading:
    """An on-ledger market between two blocks: its realised funding rate (percent a year on
    its day count), the value of the collateral it holds or lends against at the end (major
    units of its currency, NaN if none) and the liquidations in the interval."""

    funding_rate_pct: float
    collateral_value: float
    liquidations: int


@runtime_checkable
class LedgerMarket(Protocol):
    """The plug-in interface of an on-ledger market that funds at corridor rates.

    Implemented by :class:`BasketReserveMarket` and :class:`LendingPoolMarket`; on-ledger repo
    implements it so that a corridor shock reaches them by the same path: the publisher posts the
    corridor to the oracle, the pool's contract reads ``rate_keys`` (and ``price_keys`` for
    its collateral) in its hooks and moves its rates, collateral values and liquidations, and
    :class:`OnLedgerFundingMarket` reads them back beside SOFR.
    """

    #: Column prefix in :func:`~glassledger.liquidity.interfaces.side_by_side`.
    name: str
    #: The contract namespace(s) the market keeps its state in.
    contracts: tuple[str, ...]
    #: Oracle ``rate`` keys the market prices off (the publisher must post them).
    rate_keys: tuple[str, ...]
    #: Oracle ``price`` keys of its collateral (empty if none).
    price_keys: tuple[str, ...]

    def reading(self, before: LedgerView, after: LedgerView) -> MarketReading:
        """What the market did between the two blocks (``before.day < after.day``)."""
        ...


@dataclass(frozen=True)
class BasketReserveMarket:
    """The basket coin reserve's ``currency`` sleeve as a :class:`LedgerMarket`.

    Funding rate: realised interest on the sleeve (interest receivable accrued by the
    contract, plus what the custodian settled in between, from ``interest_settled`` events)
    over its assets (cash and receivable, minor units) at the start, annualised on the
    basket's day count. Collateral value: the principal of the securities the sleeve holds
    (bills, repo), major units. The reserve never liquidates.
    """

    currency: str = "USD"
    name: str = "basket_reserve"
    contracts: tuple[str, ...] = ("basket",)
    price_keys: tuple[str, ...] = ()

    @property
    def rate_keys(self) -> tuple[str, ...]:
        return (f"{self.currency}.DEPOSIT", f"{self.currency}.BILL", f"{self.currency}.REPO")

    def reading(self, before: LedgerView, after: LedgerView) -> MarketReading:
        start = load_book(lambda key: before.get("basket", key))
        end = load_book(lambda key: after.get("basket", key))
        k = self.currency
        settled = sum(
            e.data["amount"]
            for e in after.events_since(before, "basket", "interest_settled")
            if e.data["currency"] == k
        )
        income = end.accrued[k] - start.accrued[k] + settled
        principal = start.assets(k)
        years = (after.day - before.day) / start.config["day_count"]
        rate = np.nan if principal <= 0 else 100.0 * income / principal / years
        invested = end.invested(k) / 10 ** start.config["decimals"][k]
        return MarketReading(rate, invested, 0)


@dataclass(frozen=True)
class LendingPoolMarket:
    """A ``pool`` market (:mod:`glassledger.contracts.pool`) as a :class:`LedgerMarket`.

    The market prices off the oracle rate named by its ``rate_key`` (``rate_keys``; set when
    the market is opened, e.g. ``USD.SOFR``) and values collateral at the ``price_keys`` of
    its listed collateral. Funding rate: the realised borrow rate between the two blocks,
    ``(borrow index after / before - 1) x day_count / days x 100`` percent a year on the
    market's day count (actual/360 by default, SOFR's), days measured in ms of block time.
    Collateral value: the collateral the borrowers have posted, at the oracle prices in force
    at the end (major units of the cash). Liquidations: the count between the blocks.
    """

    market: str = "USDPOOL"
    rate_keys: tuple[str, ...] = ("USD.SOFR",)
    price_keys: tuple[str, ...] = ("UST.BILL3M",)
    contracts: tuple[str, ...] = ("pool",)

    @property
    def name(self) -> str:
        return f"pool_{self.market.lower()}"

    def reading(self, before: LedgerView, after: LedgerView) -> MarketReading:
        from glassledger.contracts import pool

        start = pool.read_market(lambda key: before.get("pool", key), self.market)
        end = pool.read_market(lambda key: after.get("pool", key), self.market)
        if start is None or end is None:
            return MarketReading(np.nan, np.nan, 0)
        days = (after.time_ms - before.time_ms) / 86_400_000
        growth = end["borrow_index"] / start["borrow_index"] - 1.0
        rate = (
            np.nan
            if start["scaled_debt"] == 0 or days <= 0
            else (100.0 * growth * end["day_count"] / days)
        )
        value = 0.0
        for symbol in end["collateral"]:
            terms = after.get("pool", f"c/{self.market}/{symbol}")
            point = after.get("oracle", f"v/price/{terms['price_key']}")
            if point is None or terms["posted"] == 0:
                continue
            price = point["value"] / 10 ** point["scale"]
            units = terms["posted"] / 10 ** terms["decimals"]
            value += units * price / terms["units_per_price"]
        return MarketReading(rate, value, end["liquidations"] - start["liquidations"])


@dataclass(frozen=True)
class OnLedgerFundingMarket:
    """A :class:`LedgerMarket` read from a block store, as a
    :class:`~glassledger.liquidity.interfaces.FundingMarket`.

    For each corridor date ``d``, the market is read between the last block of day ``d`` and
    the last block of the next day that has one; NaN where the ledger has no block on ``d`` or
    none after it.
    """

    store: BlockStore
    market: LedgerMarket

    @property
    def name(self) -> str:
        return self.market.name

    def history(self, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Per date: ``funding_rate_pct``, ``collateral_value``, ``liquidations``,
        ``height`` (the block read at the start of the interval)."""
        last = last_height_of_each_day(self.store)
        days = sorted(last)
        following = dict(itertools.pairwise(days))
        pairs = {}
        for date in dates:
            day = day_of(int(pd.Timestamp(date).value // 1_000_000))
            if day in last and day in following:
                pairs[date] = (last[day], last[following[day]])
        heights = {h for pair in pairs.values() for h in pair}
        views = {v.height: v for v in views_at(self.store, heights, self.market.contracts)}
        rows = []
        for date in dates:
            if date in pairs:
                start, end = pairs[date]
                r = self.market.reading(views[start], views[end])
                rows.append((r.funding_rate_pct, r.collateral_value, r.liquidations, start))
            else:
                rows.append((np.nan, np.nan, 0, -1))
        columns = ["funding_rate_pct", "collateral_value", "liquidations", "height"]
        return pd.DataFrame(rows, index=dates, columns=columns)

    def funding_rates(self, corridor: pd.DataFrame) -> pd.Series:
        """The market's realised funding rate (percent a year) on the corridor's dates."""
        rates = self.history(corridor.index)["funding_rate_pct"]
        return rates.rename(f"{self.name}_pct")
