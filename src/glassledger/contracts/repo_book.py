"""Repo arithmetic and the mark-to-market index, shared by the ``repo`` contract and
off-ledger views (one integer function for the margin test, STYLE.md lesson 12).

Units: amounts in minor units of the repo's cash token; repo rates in basis points a year
(``rate_bps``, actual/360 simple interest, whole days); haircuts in basis points of market
value; prices per 100 of face scaled 1e8; days since 1970-01-01.

**Interest** accrues per whole day: ``cash x rate_bps x days // 3_600_000`` (360 x 10,000),
rounded down, counted from the repo's start day, never compounded. A repo's interest is thus
the same whatever the spacing of the blocks in between (exactly: it depends on the day only).

**Margin test** (:func:`margin`): ``requirement = cash + interest``;
``collateral after haircut = sum(value_i x (10_000 - haircut_i) // 10_000)``;
``deficit = requirement - collateral after haircut``. A margin call is due when
``deficit > threshold`` and ``deficit >= mta``.

**Index** (``mx/<bucket>`` in the contract's state, msgpack-encoded bytes, see
:func:`load_rows`): open repos in buckets of
:data:`BUCKET` by sequence number, each ``{repo id: row}`` with the row
``[cash, rate_bps, start_day, threshold, mta, call deadline ms (0: no call), maturity day (0:
open), trade id, [[symbol, amount], ...]]``. The daily pass over the index also finds the
repos whose repurchase day has passed and the margin calls past their deadline, so no other
per-repo list is kept. ``ix/<symbol>`` -> ``{bucket: number of repos in
it holding symbol}``, so a price change re-marks only the buckets holding that collateral.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from glassledger.contracts import treasury
from glassledger.contracts.treasury_math import PAR_E8
from glassledger.ledger.abi import Context

BPS = 10_000
#: 360 days x 10,000 bps: the denominator of actual/360 interest in basis points.
ACT360_BPS = 360 * BPS
#: Open repos per index bucket (a call rewrites one bucket; the MtM hook reads all).
BUCKET = 128
#: Row fields of the index.
CASH, RATE, START, THRESHOLD, MTA, CALLED, MATURITY, TRADE, COLLATERAL = range(9)


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder().decode


def load_rows(ctx: Context, bucket: int) -> dict[str, list[Any]]:
    """The index rows of ``bucket`` (stored as msgpack bytes: a bucket is rewritten on every
    call touching one of its repos, and bytes skip the codec's value walk)."""
    raw = ctx.get(f"mx/{bucket}")
    return _decode(raw) if raw else {}


def save_rows(ctx: Context, bucket: int, rows: Mapping[str, list[Any]]) -> None:
    if rows:
        ctx.put(f"mx/{bucket}", _encode(rows))
    else:
        ctx.delete(f"mx/{bucket}")


def load_ix(ctx: Context, symbol: str) -> dict[str, int]:
    """``{bucket: repos in it holding symbol}`` (msgpack bytes, like the rows)."""
    raw = ctx.get(f"ix/{symbol}")
    return _decode(raw) if raw else {}


def save_ix(ctx: Context, symbol: str, ix: Mapping[str, int]) -> None:
    if ix:
        ctx.put(f"ix/{symbol}", _encode(ix))
    else:
        ctx.delete(f"ix/{symbol}")


def decode_index_value(raw: bytes) -> Any:
    """Decode a stored ``mx/`` or ``ix/`` value (for off-ledger readers)."""
    return _decode(raw)


def collateral_lock(repo_id: str, symbol: str) -> str:
    """Token lock id of a repo's collateral in ``symbol``."""
    return f"repo/{repo_id}/c/{symbol}"


def price_e8(ctx: Context, symbol: str, cash_symbol: str) -> int:
    """Full price per 100 (scale 1e8) of listed collateral ``symbol``: par for the cash
    token, the Treasury's full price otherwise (stale: :class:`ContractError`; chain
    parameter ``repo_price_max_age_ms``, default the oracle's)."""
    if symbol == cash_symbol:
        return PAR_E8
    max_age = ctx.params.get("repo_price_max_age_ms") or None
    return treasury.full_price_e8(ctx, symbol, max_age)


def interest(cash: int, rate_bps: int, days: int) -> int:
    """Repo interest on ``cash`` after ``days`` whole days (actual/360, rounded down;
    toward minus infinity for a negative rate)."""
    return cash * rate_bps * days // ACT360_BPS


def after_haircut(value: int, haircut_bps: int) -> int:
    """``value`` less its haircut, rounded down."""
    return value * (BPS - haircut_bps) // BPS


def collateral_value(
    collateral: Iterable[tuple[str, int]] | Iterable[list[Any]],
    prices: Mapping[str, int],
    haircuts: Mapping[str, int],
) -> tuple[int, int]:
    """``(market value, value after haircut)`` of ``[[symbol, amount], ...]`` at
    ``prices[symbol]`` (per 100 of face, scale 1e8; cash at 100)."""
    market = adjusted = 0
    for symbol, amount in collateral:
        value = amount * prices[symbol] // 10_000_000_000
        market += value
        adjusted += value * (BPS - haircuts[symbol]) // BPS
    return market, adjusted


def margin(
    cash: int,
    rate_bps: int,
    days: int,
    adjusted_collateral: int,
    threshold: int,
    mta: int,
) -> tuple[int, int, bool]:
    """``(requirement, deficit, call due)`` of a repo (see the module docstring)."""
    requirement = cash + interest(cash, rate_bps, days)
    deficit = requirement - adjusted_collateral
    return requirement, deficit, deficit > threshold and deficit >= mta


def scan_bucket(
    rows: Mapping[str, list[Any]],
    today: int,
    prices: Mapping[str, int],
    haircuts: Mapping[str, int],
    skip: frozenset[str] = frozenset(),
) -> list[tuple[str, int, int, int]]:
    """The repos of one index bucket needing a margin call now: ``(repo id, requirement,
    deficit, collateral market value)`` for each row not already called whose collateral is
    all priced (symbols in ``skip`` have no fresh price: their repos are left unmarked).

    The hot loop of the mark-to-market: integer arithmetic only, one pass per row, the same
    arithmetic as :func:`collateral_value` and :func:`margin`."""
    priced = {s: (p, BPS - haircuts[s]) for s, p in prices.items() if s not in skip}
    out = []
    for repo_id, row in rows.items():
        cash, rate, start, threshold, mta, called, _, _, collateral = row
        if called:
            continue
        market = adjusted = 0
        for symbol, amount in collateral:
            terms = priced.get(symbol)
            if terms is None:
                break
            value = amount * terms[0] // 10_000_000_000
            market += value
            adjusted += value * terms[1] // BPS
        else:
            requirement = cash + cash * rate * (today - start) // ACT360_BPS
            deficit = requirement - adjusted
            if deficit > threshold and deficit >= mta:
                out.append((repo_id, requirement, deficit, market))
    return out
