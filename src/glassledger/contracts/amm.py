"""``amm``: constant-product market makers (x * y = k) between two tokens, integer math.

A pool ``<base>-<quote>`` (e.g. ``GLC-USD``) holds reserves ``x`` of ``base`` and ``y`` of
``quote`` (minor units, held by the holder ``contract:amm``) and a fee in basis points set when
it opens. A swap of ``dx`` of one side pays ``dy = y x dx' / (x + dx')`` of the other, where
``dx' = dx x (10000 - fee) / 10000``, rounded down: ``x * y`` never decreases (the fee and the
rounding stay in the pool for its liquidity providers). Liquidity providers hold shares
(``sqrt(dx x dy)`` for the first, pro rata after) recorded here, not as tokens.

The pool's price is the basket coin's **market rate** (seed 004's 市场汇率) when ``quote`` is
``USD``: :func:`price_e10` gives quote per base unit x 1e10.

State: ``pool/<id>`` -> ``{"base", "quote", "x", "y", "fee_bps", "shares"}``;
``lp/<id>/<holder>`` -> shares.
"""

from __future__ import annotations

import math
from typing import Any

from glassledger.ledger.abi import ANY, Context, Contract, method

NAME = "amm"
HOLDER = f"contract:{NAME}"
BPS = 10_000


def pool_id(base: str, quote: str) -> str:
    return f"{base}-{quote}"


def swap_output(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int) -> int:
    """What a swap of ``amount_in`` pays out of a pool with these reserves (rounded down)."""
    effective = amount_in * (BPS - fee_bps)
    return reserve_out * effective // (reserve_in * BPS + effective)


def price_e10(pool: dict[str, Any], base_decimals: int, quote_decimals: int) -> int:
    """Quote units per base unit x 1e10 (e.g. USD per coin), from the pool's reserves,
    rounded down."""
    return pool["y"] * 10 ** (10 + base_decimals) // (pool["x"] * 10**quote_decimals)


class Amm(Contract):
    """Constant-product pools; anyone registered opens one, provides liquidity and swaps."""

    name = NAME
    accepts_tokens = True

    @method(ANY)
    def open_pool(
        self, ctx: Context, base: str, quote: str, base_amount: int, quote_amount: int, fee_bps: int
    ) -> None:
        """Open pool ``base-quote`` with its first liquidity (sets the price) and fee."""
        pid = pool_id(base, quote)
        ctx.require(base != quote, "a pool needs two tokens")
        ctx.require(not ctx.has(f"pool/{pid}"), f"pool {pid} exists")
        ctx.require(0 <= fee_bps < BPS, f"fee must be in [0, 10000) bps, got {fee_bps}")
        ctx.require(base_amount > 0 and quote_amount > 0, "both amounts must be positive")
        shares = math.isqrt(base_amount * quote_amount)
        self._take(ctx, base, base_amount)
        self._take(ctx, quote, quote_amount)
        pool = {"base": base, "quote": quote, "x": base_amount, "y": quote_amount}
        pool |= {"fee_bps": fee_bps, "shares": shares}
        ctx.put(f"pool/{pid}", pool)
        ctx.put(f"lp/{pid}/{ctx.caller}", shares)
        ctx.emit("pool_opened", pool=pid, x=base_amount, y=quote_amount, fee_bps=fee_bps)

    @method(ANY)
    def provide(self, ctx: Context, pool: str, base_amount: int) -> None:
        """Add ``base_amount`` of base and the proportional quote (rounded up) for shares
        (rounded down)."""
        record = self._pool(ctx, pool)
        ctx.require(base_amount > 0, "amount must be positive")
        quote_amount = -(-base_amount * record["y"] // record["x"])
        shares = base_amount * record["shares"] // record["x"]
        ctx.require(shares > 0, "too small to earn a share")
        self._take(ctx, record["base"], base_amount)
        self._take(ctx, record["quote"], quote_amount)
        record["x"] += base_amount
        record["y"] += quote_amount
        record["shares"] += shares
        ctx.put(f"pool/{pool}", record)
        ctx.put(f"lp/{pool}/{ctx.caller}", ctx.get(f"lp/{pool}/{ctx.caller}", 0) + shares)
        ctx.emit("provided", pool=pool, x=base_amount, y=quote_amount, shares=shares)

    @method(ANY)
    def withdraw(self, ctx: Context, pool: str, shares: int) -> None:
        """Burn ``shares`` for the pro-rata reserves (rounded down)."""
        record = self._pool(ctx, pool)
        held = ctx.get(f"lp/{pool}/{ctx.caller}", 0)
        ctx.require(0 < shares <= held, f"you hold {held} shares of {pool}")
        ctx.require(shares < record["shares"], "the last share stays: a pool is never emptied")
        dx = record["x"] * shares // record["shares"]
        dy = record["y"] * shares // record["shares"]
        record["x"] -= dx
        record["y"] -= dy
        record["shares"] -= shares
        ctx.put(f"pool/{pool}", record)
        ctx.put(f"lp/{pool}/{ctx.caller}", held - shares)
        for symbol, amount in ((record["base"], dx), (record["quote"], dy)):
            if amount:
                ctx.call("token", "pay", symbol=symbol, to=ctx.caller, amount=amount)
        ctx.emit("withdrawn", pool=pool, x=dx, y=dy, shares=shares)

    @method(ANY)
    def swap(self, ctx: Context, pool: str, sell: str, amount: int, min_out: int = 1) -> None:
        """Sell ``amount`` of ``sell`` (the pool's base or quote) for the other token; refused
        when it would pay less than ``min_out``."""
        record = self._pool(ctx, pool)
        ctx.require(sell in (record["base"], record["quote"]), f"{pool} does not trade {sell}")
        ctx.require(amount > 0, "amount must be positive")
        selling_base = sell == record["base"]
        x_in, y_out = ("x", "y") if selling_base else ("y", "x")
        out = swap_output(amount, record[x_in], record[y_out], record["fee_bps"])
        ctx.require(out >= max(min_out, 1), f"the swap pays {out}, below the minimum {min_out}")
        buy = record["quote"] if selling_base else record["base"]
        self._take(ctx, sell, amount)
        record[x_in] += amount
        record[y_out] -= out
        ctx.put(f"pool/{pool}", record)
        ctx.call("token", "pay", symbol=buy, to=ctx.caller, amount=out)
        ctx.emit("swapped", pool=pool, sold=sell, amount=amount, bought=buy, paid=out)

    @staticmethod
    def _pool(ctx: Context, pool: str) -> dict[str, Any]:
        record = ctx.get(f"pool/{pool}")
        ctx.require(record is not None, f"no pool {pool!r}")
        return record

    @staticmethod
    def _take(ctx: Context, symbol: str, amount: int) -> None:
        ctx.call("token", "transfer", symbol=symbol, to=HOLDER, amount=amount)
