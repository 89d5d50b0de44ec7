"""The basket coin issuer's books: pure integer functions over the contract's state.

Used inside the ``basket`` contract and, unchanged, off the ledger (read the state at any
height with :func:`load_book` and pass the oracle's FX rates). Integers only; exchange rates
are compared as exact fractions.

Units:

* native amounts are integers in minor units of their token (cents, yen, pence...);
* exchange rates are **US dollars per unit of currency, scaled by 1e10** (``rate_e10``; oracle
  kind ``fx``, key ``<CCY>/USD``; USD itself is ``10**10``);
* values are integers in **1e-18 US dollars** (``_e18``): ``value_e18 = amount x rate_e10 x
  10**(8 - decimals)`` is exact for tokens of up to 8 decimals, so sums of values are exact;
  ``e18_to_minor`` rounds down to US dollar minor units (cents) for display;
* the basket is defined per **creation unit**: ``unit_coins`` coin minor units are backed by
  ``unit_amounts[k]`` minor units of each currency k (ETF-style creation units keep every
  liability an integer; the SDR's 0.57813 USD, 0.37379 EUR, 1.0993 CNY, 13.452 JPY, 0.080870 GBP
  per coin are exact per 1,000 coins).

The issuer (an SPV, seed 004 II.(1)) keeps, per currency k, in minor units of k:

* assets ``A_k = cash_k + accrued_k``: custody cash (deposits and the principal of short-term
  securities bought with it) plus interest receivable;
* liabilities ``L_k = unit_amounts[k] x units`` (the basket owed for the coins outstanding);
* equity ``E_k``: a journal (capital paid in, fees, interest income, rebalancing and
  recomposition differences), kept by every transaction independently of ``A`` and ``L``.

The identity ``A_k = L_k + E_k`` holds in each currency exactly, hence in US dollars at any
rates: ``assets_e18 = liabilities_e18 + equity_e18`` (values are linear).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import msgspec

from glassledger.contracts import oracle
from glassledger.ledger.abi import Context

RATE_DECIMALS = 10
VALUE_DECIMALS = 18
USD_RATE = 10**RATE_DECIMALS
BPS = 10_000
DAY_MS = 86_400_000
#: The contract's name and its holder id in the token contract.
NAME = "basket"
HOLDER = f"contract:{NAME}"


def today(ctx: Context) -> int:
    """The block's day: days since the Unix epoch (``block time // 86_400_000``)."""
    return ctx.time_ms // DAY_MS


def fx_rates(ctx: Context, currencies: list[str]) -> dict[str, int]:
    """Inside a contract: USD per unit x 1e10 of each currency, from the oracle (kind ``fx``,
    key ``<CCY>/USD``; stale or missing values reject the transaction)."""
    return {
        k: USD_RATE if k == "USD" else oracle.value(ctx, "fx", f"{k}/USD", RATE_DECIMALS)
        for k in currencies
    }


def value_e18(amount: int, decimals: int, rate_e10: int) -> int:
    """US dollar value of ``amount`` minor units of a currency with ``decimals`` at
    ``rate_e10`` (USD per unit x 1e10), in 1e-18 USD (exact for decimals <= 8)."""
    return amount * rate_e10 * 10 ** (VALUE_DECIMALS - RATE_DECIMALS - decimals)


def e18_to_minor(value: int, usd_decimals: int = 2) -> int:
    """A 1e-18 USD value in US dollar minor units, rounded down (toward minus infinity)."""
    return value // 10 ** (VALUE_DECIMALS - usd_decimals)


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def fee_amount(amount: int, fee_bps: int) -> int:
    """Fee of ``fee_bps`` on ``amount`` minor units, rounded up (in the issuer's favour)."""
    return ceil_div(amount * fee_bps, BPS)


@dataclass
class Book:
    """The issuer's books as stored by the contract (see the module docstring)."""

    config: dict[str, Any]
    units: int = 0
    cash: dict[str, int] = field(default_factory=dict)
    accrued: dict[str, int] = field(default_factory=dict)
    equity: dict[str, int] = field(default_factory=dict)
    securities: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The stored value of every key as loaded (``save_book`` writes only what changed).
    stored: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def records(self) -> dict[str, Any]:
        """The books as state keys and values (the layout of :func:`load_book`)."""
        out: dict[str, Any] = {"units": self.units, "sec_ids": sorted(self.securities)}
        for k in self.currencies:
            out |= {
                f"cash/{k}": self.cash.get(k, 0),
                f"accrued/{k}": self.accrued.get(k, 0),
                f"equity/{k}": self.equity.get(k, 0),
            }
        out |= {f"sec/{sid}": record for sid, record in self.securities.items()}
        return out

    @property
    def currencies(self) -> list[str]:
        return list(self.config["currencies"])

    @property
    def outstanding(self) -> int:
        """Coins outstanding, in coin minor units."""
        return self.units * self.config["unit_coins"]

    def assets(self, k: str) -> int:
        return self.cash.get(k, 0) + self.accrued.get(k, 0)

    def liabilities(self, k: str) -> int:
        return self.config["unit_amounts"][k] * self.units

    def invested(self, k: str) -> int:
        """Principal of the securities held in currency ``k`` (part of ``cash_k``)."""
        return sum(s["amount"] for s in self.securities.values() if s["currency"] == k)

    def deposits(self, k: str) -> int:
        """Cash of currency ``k`` not invested in securities (bank deposits)."""
        return self.cash.get(k, 0) - self.invested(k)


def load_book(read: Callable[[str], Any]) -> Book:
    """The books from the basket contract's state; ``read(key)`` returns the stored value of a
    key of the ``basket`` namespace or ``None`` (e.g. ``lambda k: ctx.get(k)``)."""
    config = read("config")
    if config is None:
        raise LookupError("the basket contract is not set up")
    currencies = config["currencies"]
    book = Book(
        config=config,
        units=read("units") or 0,
        cash={k: read(f"cash/{k}") or 0 for k in currencies},
        accrued={k: read(f"accrued/{k}") or 0 for k in currencies},
        equity={k: read(f"equity/{k}") or 0 for k in currencies},
        securities={sid: read(f"sec/{sid}") for sid in read("sec_ids") or []},
    )
    book.stored = _copied(book.records())
    return book


def save_book(ctx: Context, book: Book) -> None:
    """Write the books back into the basket contract's state: only keys whose value changed
    since :func:`load_book`; securities no longer held are deleted."""
    records = book.records()
    for key in book.stored.keys() - records.keys():
        ctx.delete(key)
    for key, value in records.items():
        if book.stored.get(key) != value:
            ctx.put(key, value)
    book.stored = _copied(records)


def _copied(records: dict[str, Any]) -> dict[str, Any]:
    """A copy deep enough for the books' values (ints, lists of ids, flat records)."""
    return {k: v.copy() if isinstance(v, dict | list) else v for k, v in records.items()}


@dataclass(frozen=True)
class BalanceSheet:
    """The issuer's balance sheet: per currency in minor units, totals in 1e-18 USD."""

    assets: dict[str, int]
    liabilities: dict[str, int]
    equity: dict[str, int]
    assets_e18: int
    liabilities_e18: int
    equity_e18: int

    @property
    def balanced(self) -> bool:
        return self.assets_e18 == self.liabilities_e18 + self.equity_e18 and all(
            self.assets[k] == self.liabilities[k] + self.equity[k] for k in self.assets
        )


def balance_sheet(book: Book, rates: Mapping[str, int]) -> BalanceSheet:
    """The balance sheet at ``rates`` (USD per unit x 1e10 per currency)."""
    decimals = book.config["decimals"]
    assets = {k: book.assets(k) for k in book.currencies}
    liabilities = {k: book.liabilities(k) for k in book.currencies}
    equity = {k: book.equity.get(k, 0) for k in book.currencies}

    def total(legs: dict[str, int]) -> int:
        return sum(value_e18(x, decimals[k], rates[k]) for k, x in legs.items())

    return BalanceSheet(
        assets, liabilities, equity, total(assets), total(liabilities), total(equity)
    )


def theoretical_rate(config: Mapping[str, Any], rates: Mapping[str, int]) -> Fraction:
    """Seed 004's theoretical rate (理论汇率): US dollars per coin, sum_k amount_k x rate_k."""
    unit_value = sum(
        value_e18(config["unit_amounts"][k], config["decimals"][k], rates[k])
        for k in config["currencies"]
    )
    coins_per_unit = Fraction(config["unit_coins"], 10 ** config["coin_decimals"])
    return Fraction(unit_value, 10**VALUE_DECIMALS) / coins_per_unit


def reserve_value_e18(book: Book, rates: Mapping[str, int]) -> int:
    """Value of the reserve (all assets), 1e-18 USD."""
    decimals = book.config["decimals"]
    return sum(value_e18(book.assets(k), decimals[k], rates[k]) for k in book.currencies)


def intrinsic_rate(book: Book, rates: Mapping[str, int]) -> Fraction | None:
    """Seed 004's intrinsic rate (内涵汇率): reserve value / coins outstanding, USD per coin
    (``None`` when no coin is outstanding)."""
    if book.units == 0:
        return None
    coins = Fraction(book.outstanding, 10 ** book.config["coin_decimals"])
    return Fraction(reserve_value_e18(book, rates), 10**VALUE_DECIMALS) / coins


@dataclass(frozen=True)
class Adequacy:
    """Seed 004 III.(2): per-currency coverage (holdings, required) and both adequacy flags."""

    holdings: dict[str, int]
    required: dict[str, int]
    per_currency: bool
    overall: bool
    reserve_value_e18: int
    required_value_e18: int

    def coverage_bps(self, k: str) -> int | None:
        """holdings_k / required_k in basis points, rounded down (``None`` if none owed)."""
        return None if self.required[k] == 0 else self.holdings[k] * BPS // self.required[k]


def adequacy(book: Book, rates: Mapping[str, int]) -> Adequacy:
    """Per-currency adequacy (分币种充足: holdings_k >= amount_k x outstanding for every k) and
    overall adequacy (总体充足: reserve value >= outstanding x theoretical rate)."""
    holdings = {k: book.assets(k) for k in book.currencies}
    required = {k: book.liabilities(k) for k in book.currencies}
    decimals = book.config["decimals"]
    reserve = sum(value_e18(holdings[k], decimals[k], rates[k]) for k in holdings)
    owed = sum(value_e18(required[k], decimals[k], rates[k]) for k in required)
    return Adequacy(
        holdings,
        required,
        all(holdings[k] >= required[k] for k in holdings),
        reserve >= owed,
        reserve,
        owed,
    )


def rebalance_targets(book: Book, rates: Mapping[str, int]) -> dict[str, int]:
    """Holdings that make the reserve an exact multiple of the basket at ``rates``: the whole
    reserve value spread over currencies in the basket's proportions (minor units, rounded
    down). Without coins outstanding, the targets are the current holdings."""
    if book.units == 0:
        return {k: book.assets(k) for k in book.currencies}
    config = book.config
    unit_value = sum(
        value_e18(config["unit_amounts"][k], config["decimals"][k], rates[k])
        for k in book.currencies
    )
    reserve = reserve_value_e18(book, rates)
    return {k: config["unit_amounts"][k] * reserve // unit_value for k in book.currencies}


def reserve_yield_bps(book: Book, rates: Mapping[str, int], rate_bps: Mapping[str, int]) -> int:
    """Value-weighted annual interest rate of the reserve, basis points (rounded down).

    ``rate_bps`` maps each holding's rate key (see :func:`holding_rate_keys`) to its oracle
    rate; deposits use the key ``<CCY>.DEPOSIT``. Holdings without a rate earn nothing."""
    weighted = total = 0
    for key, currency, amount in holding_rate_keys(book):
        value = value_e18(amount, book.config["decimals"][currency], rates[currency])
        weighted += value * rate_bps.get(key, 0)
        total += value
    return 0 if total == 0 else weighted // total


def holding_rate_keys(book: Book) -> list[tuple[str, str, int]]:
    """``(oracle rate key, currency, principal)`` of each interest-bearing position: one
    deposit per currency (``<CCY>.DEPOSIT``) and each security (its ``rate_key``, e.g.
    ``USD.BILL``)."""
    positions = [(f"{k}.DEPOSIT", k, book.deposits(k)) for k in book.currencies]
    positions += [(s["rate_key"], s["currency"], s["amount"]) for s in book.securities.values()]
    return [p for p in positions if p[2] > 0]


def interest_for(amount: int, rate_bps: int, days: int, day_count: int) -> int:
    """Simple interest on ``amount`` minor units at ``rate_bps`` a year for ``days`` on an
    actual/``day_count`` basis, rounded down (negative rates give negative interest)."""
    return amount * rate_bps * days // (BPS * day_count)


# --- reading the ledger off-ledger ------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Every view of the basket coin at one state: the books, the oracle's FX (USD per unit x
    1e10) and interest rates (bps) in force, the balance sheet, adequacy, the three rates (USD
    per coin; ``market`` from the ``amm`` pool ``<coin>-USD`` when it exists) and the
    reserve's yield (bps)."""

    book: Book
    rates: dict[str, int]
    interest_bps: dict[str, int]
    sheet: BalanceSheet
    adequacy: Adequacy
    theoretical: Fraction
    intrinsic: Fraction | None
    market: Fraction | None
    yield_bps: int


def snapshot(lookup: Callable[[bytes], bytes | None]) -> Snapshot:
    """The basket's views from raw ledger state: ``lookup(key)`` returns the stored bytes of a
    full state key (``chain.state.get``, or ``store.state_at(height).get`` for any past
    height). Oracle values are taken as posted, whatever their age."""

    def get(contract: str, key: str) -> Any:
        raw = lookup(f"{contract}/{key}".encode())
        return None if raw is None else msgspec.msgpack.decode(raw)

    def scaled(record: dict[str, Any], scale: int) -> int:
        shift = scale - record["scale"]
        return record["value"] * 10**shift if shift >= 0 else record["value"] // 10**-shift

    book = load_book(lambda key: get(NAME, key))
    rates = {}
    for k in book.currencies:
        record = None if k == "USD" else get(oracle.NAME, oracle.point_key("fx", f"{k}/USD"))
        if k != "USD" and record is None:
            raise LookupError(f"no oracle fx for {k}/USD in this state")
        rates[k] = USD_RATE if record is None else scaled(record, RATE_DECIMALS)
    interest = {}
    for key, _, _ in holding_rate_keys(book):
        record = get(oracle.NAME, oracle.point_key("rate", key))
        if record is not None:
            interest[key] = scaled(record, 4)
    coin = book.config["coin"]
    pool = get("amm", f"pool/{coin}-USD")
    usd_decimals = (get("token", "t/USD") or {"decimals": 2})["decimals"]
    market = (
        None
        if pool is None
        else Fraction(pool["y"] * 10 ** book.config["coin_decimals"], pool["x"] * 10**usd_decimals)
    )
    return Snapshot(
        book=book,
        rates=rates,
        interest_bps=interest,
        sheet=balance_sheet(book, rates),
        adequacy=adequacy(book, rates),
        theoretical=theoretical_rate(book.config, rates),
        intrinsic=intrinsic_rate(book, rates),
        market=market,
        yield_bps=reserve_yield_bps(book, rates, interest),
    )
