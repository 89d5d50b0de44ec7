"""``pool``: pooled lending of cash against tokenized collateral, in the style of Aave v3.3.

A **market** lends one cash token (``USD``: the settlement bank's tokenized deposit, or a
stable coin). Lenders deposit cash for interest-bearing shares; borrowers post collateral
(tokenized Treasuries, basket coins: any token with an oracle price) and borrow cash against
it. The arithmetic (indexes, rate curve, health factor, liquidation amounts) is
:mod:`glassledger.contracts.lending_math`, shared with the off-ledger views.

**Shares and debts as scaled balances** (Aave's aToken / variable debt token): a lender holds
``scaled`` shares worth ``scaled x liquidity_index`` (rounded down); a borrower owes
``scaled_debt x borrow_index`` (rounded up). Indexes start at 1 ray.

**Accrual, every block** (``begin_block``) and before every call, in integers: the borrow
index grows by ``(1 + r / year) ** dt`` (``dt`` and the year in ms; the year has
``day_count`` days, 360 by default: the US money-market convention of SOFR and repo, where
Aave uses 365) at the borrow rate ``r`` in force; the interest
borrowers owe for the interval (``debt after - debt before``, aggregate, rounded up) is split:
``reserve_factor_bps`` of it (rounded down) to the pool's reserve (``treasury``), the rest to
the lenders by raising the liquidity index by ``lenders' part / total shares`` (rounded
down). Unlike Aave, whose liquidity index grows at a linear supply rate, lenders receive
exactly the interest charged, so the books always balance (cash + debts >= lenders' claims +
reserve). The rate in force is recomputed after every call (utilization changed) and when
the oracle posts a new base rate, not in between: accrual over empty blocks is then the same
whatever their spacing (within the rounding of :func:`~.lending_math.growth`).

**Rate** (ray a year): Aave's two-slope curve on utilization ``debt / (debt + cash)``, with
base ``base_rate_bps`` plus, when ``rate_key`` names an oracle rate (``USD.SOFR``,
``USD.ON_RRP``: the corridor, :mod:`glassledger.liquidity.ledger_link`), that rate.

**Liquidation** by anyone once HF < 1 (:func:`~.lending_math.liquidation`, Aave v3.3 rules);
the liquidator pays the debt it covers and receives the collateral plus bonus; the protocol
fee (a share of the bonus) goes to the market's ``operator``. **Bad debt**: when a
liquidation leaves the borrower no collateral, the rest of the debt is written off as a
deficit (Aave v3.3's ``reserve.deficit``): the pool's reserve absorbs it first, the remainder
is **socialized**: the liquidity index is cut so every share loses the same fraction, and the
market records ``deficit`` and ``socialized`` (event ``deficit_created``). Shares are always
redeemable for their accounted value; after a deficit that value is lower, explicitly.

**Exposure**: every open borrow is a trade in the ``trades`` register, netting set
``pool/<market>/<borrower>`` between the market's ``operator`` (party_a, lender of record)
and the borrower, ``mtm`` = the debt; the collateral the pool holds, at oracle prices, is the
netting set's ``im_received``; both are marked at every call on the position and once a day
in ``end_block`` (the collateral only when its price is fresh); closed ``terminated`` when repaid or
liquidated in full, ``defaulted`` (recovery = share of the debt recovered) on bad debt. An
open pool loan has no maturity; it is recorded with a one-year maturity (the SA-CCR floor of
a revolving line is a supervisory choice we leave to the risk service).

**Tokens** move only by :func:`glassledger.ledger.abi.settlement.settle`: deposits and
repayments into ``contract:pool``, collateral into escrow locks ``pool/<market>/<borrower>/
<symbol>`` owned by the pool and held for the borrower.

Parameters of a market (``open_market(params=...)``) and their defaults: :data:`MARKET_DEFAULTS`;
of a collateral (``list_collateral(terms=...)``): :data:`COLLATERAL_DEFAULTS`. Both documented
in ``docs/funding.md``.

State: ``m/<market>`` -> market configuration, ``st/<market>`` -> its per-call state
(:data:`STATE_FIELDS`; read both with :func:`read_market`); ``idx/<market>`` -> name;
``c/<market>/<symbol>`` -> collateral terms; ``s/<market>/<lender>`` -> shares (scaled);
``p/<market>/<borrower>`` -> position
``{"scaled_debt", "collateral": {symbol: amount}, "loan": trade id or ""}``;
``n/<market>/<borrower>`` -> loans opened so far;
``loan/<trade id>`` -> loan lifecycle record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glassledger.contracts import lending_math as lm
from glassledger.contracts import oracle
from glassledger.errors import ContractError
from glassledger.ledger.abi import ANY, Context, Contract, method
from glassledger.ledger.abi.lifecycle import Lifecycle
from glassledger.ledger.abi.settlement import Instruction, settle

NAME = "pool"
HOLDER = f"contract:{NAME}"
DAY_MS = 86_400_000
#: Maturity recorded in the trades register for an open-ended pool loan.
LOAN_RECORD_MATURITY_MS = 365 * DAY_MS

#: Market parameters and defaults (rates and shares in basis points, amounts in cash minor
#: units; 0 for a cap means no cap). See docs/funding.md.
MARKET_DEFAULTS: dict[str, Any] = {
    "base_rate_bps": 0,  # added to the oracle rate named by rate_key (if any)
    "rate_key": "",  # oracle rate (scale 4, bp) added to the base: the corridor link
    "slope1_bps": 400,  # rate added from 0 to the optimal utilization
    "slope2_bps": 6_000,  # rate added from the optimal utilization to 100%
    "optimal_utilization_bps": 9_000,
    "reserve_factor_bps": 1_000,  # share of interest kept by the pool's reserve
    "supply_cap": 0,  # most cash the lenders' claims may reach
    "borrow_cap": 0,  # most cash the borrowers may owe
    "min_base": 2_000_00,  # Aave MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD ($2,000, 2 decimals)
    "min_leftover": 1_000_00,  # Aave MIN_LEFTOVER_BASE ($1,000)
    "close_factor_bps": lm.DEFAULT_CLOSE_FACTOR_BPS,
    "price_max_age_ms": 0,  # 0: the chain's oracle_max_age_ms
    "day_count": 360,  # days in the rate's year (actual/360; Aave: 365)
}
#: Collateral terms and defaults (see docs/funding.md).
COLLATERAL_DEFAULTS: dict[str, Any] = {
    "price_key": "",  # oracle price key (required)
    "units_per_price": 1,  # whole tokens the oracle price is quoted for
    "ltv_bps": 9_000,
    "threshold_bps": 9_500,
    "bonus_bps": 10_200,  # Aave notation: 10_200 = 2% bonus
    "protocol_fee_bps": 1_000,  # share of the bonus paid to the operator
    "supply_cap": 0,  # most collateral (minor units) the market accepts; 0 = no cap
}

#: A pool loan (one trade in the register) from first borrow to its end.
LOAN = Lifecycle.of(
    "pool_loan",
    initial="open",
    rows=[
        ("open", "borrow", "open"),
        ("open", "repay", "open"),
        ("open", "repay_all", "repaid"),
        ("open", "liquidate", "open"),
        ("open", "liquidate_all", "liquidated"),
        ("open", "write_off", "written_off"),
    ],
)


#: Market fields held as rays (beyond the codec's 64-bit integers): stored as decimal strings.
RAY_FIELDS = ("liquidity_index", "borrow_index", "rate_ray")
#: Market fields that change with every call, stored apart (``st/<market>``) from the
#: market's configuration (``m/<market>``) so a call rewrites only them.
STATE_FIELDS = (
    "liquidity_index",
    "borrow_index",
    "rate_ray",
    "rate_height",
    "scaled_supply",
    "scaled_debt",
    "cash_held",
    "treasury",
    "interest",
    "deficit",
    "socialized",
    "liquidations",
    "last_ms",
    "marked_day",
)


def market_key(market: str) -> str:
    return f"m/{market}"


def read_market(get: Callable[[str], Any], market: str) -> dict[str, Any] | None:
    """Market ``market`` (configuration and state, rays as integers) read through ``get``
    (a contract's ``ctx.get`` or a view's reader of the pool's namespace); ``None`` if
    absent."""
    config = get(market_key(market))
    if config is None:
        return None
    m = dict(config)
    m.update(get(f"st/{market}"))
    for key in RAY_FIELDS:
        m[key] = int(m[key])
    return m


def dump_state(m: dict[str, Any]) -> dict[str, Any]:
    """The per-call part of a market as stored (rays as decimal strings)."""
    state = {key: m[key] for key in STATE_FIELDS}
    for key in RAY_FIELDS:
        state[key] = str(m[key])
    return state


def dump_config(m: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in m.items() if key not in STATE_FIELDS}


def lock_id(market: str, borrower: str, symbol: str) -> str:
    return f"{NAME}/{market}/{borrower}/{symbol}"


def lender_claim(market: dict[str, Any], scaled: int) -> int:
    """Cash (minor units) ``scaled`` shares are worth: rounded down."""
    return lm.ray_mul_down(scaled, market["liquidity_index"])


def debt_of(market: dict[str, Any], scaled_debt: int) -> int:
    """Cash (minor units) owed on ``scaled_debt``: rounded up."""
    return lm.ray_mul_up(scaled_debt, market["borrow_index"])


def total_debt(market: dict[str, Any]) -> int:
    """Cash (minor units) all borrowers owe, from the aggregate scaled debt (rounded up)."""
    return debt_of(market, market["scaled_debt"])


def accrued(market: dict[str, Any], time_ms: int) -> dict[str, Any]:
    """``market`` accrued to ``time_ms`` (a new dict; the pure step the contract runs every
    block and the views run to read a market between blocks)."""
    m = dict(market)
    dt = time_ms - m["last_ms"]
    if dt <= 0:
        return m
    if m["scaled_debt"] and m["rate_ray"]:
        before = debt_of(m, m["scaled_debt"])
        factor = lm.growth(m["rate_ray"], dt, m["day_count"] * lm.DAY_MS)
        m["borrow_index"] = lm.ray_mul(m["borrow_index"], factor)
        interest = debt_of(m, m["scaled_debt"]) - before
        reserve = interest * m["reserve_factor_bps"] // lm.BPS
        lenders = interest - reserve
        if m["scaled_supply"]:
            m["liquidity_index"] += lenders * lm.RAY // m["scaled_supply"]
        else:
            reserve += lenders
        m["treasury"] += reserve
        m["interest"] += interest
    m["last_ms"] = time_ms
    return m


def position_snapshot(
    market: dict[str, Any],
    position: dict[str, Any],
    terms: dict[str, dict[str, Any]],
    prices: dict[str, int],
) -> lm.Position:
    """The :class:`~.lending_math.Position` of a stored position with the collateral
    ``terms`` and oracle ``prices`` (scale 8) by symbol: what the contract and the views both
    evaluate."""
    collateral = tuple(
        lm.Collateral(
            symbol=symbol,
            amount=amount,
            decimals=terms[symbol]["decimals"],
            price_e8=prices[symbol],
            units_per_price=terms[symbol]["units_per_price"],
            ltv_bps=terms[symbol]["ltv_bps"],
            threshold_bps=terms[symbol]["threshold_bps"],
            bonus_bps=terms[symbol]["bonus_bps"],
            protocol_fee_bps=terms[symbol]["protocol_fee_bps"],
        )
        for symbol, amount in sorted(position["collateral"].items())
        if amount > 0
    )
    return lm.Position(
        debt_of(market, position["scaled_debt"]), market["cash_decimals"], collateral
    )


def _typed(ctx: Context, given: dict[str, Any], defaults: dict[str, Any], what: str) -> dict:
    unknown = set(given) - set(defaults)
    ctx.require(not unknown, f"{what}: unknown parameter(s) {sorted(unknown)}")
    merged = dict(defaults)
    for key, value in given.items():
        ctx.require(
            type(value) is type(defaults[key]),
            f"{what}: {key} must be {type(defaults[key]).__name__}, got {value!r}",
        )
        merged[key] = value
    return merged


class Pool(Contract):
    """Pooled lending markets (module docstring)."""

    name = NAME
    accepts_tokens = True

    # -- set-up (regulator) -----------------------------------------------------------------
    @method("regulator")
    def open_market(
        self,
        ctx: Context,
        market: str,
        cash: str,
        operator: str,
        params: dict[str, Any] | None = None,
    ) -> None:
        """Open market ``market`` lending token ``cash``; ``operator`` (a registered
        participant) is the lender of record in the trades register and receives the
        reserve and protocol fees."""
        ctx.require(market.isalnum() and len(market) <= 32, f"bad market name {market!r}")
        ctx.require(not ctx.has(market_key(market)), f"market {market!r} exists")
        ctx.require(ctx.read("token", f"t/{cash}") is not None, f"no token {cash!r}")
        record = ctx.read("identity", f"p/{operator}")
        ctx.require(record is not None, f"operator {operator!r} is not a participant")
        p = _typed(ctx, params or {}, MARKET_DEFAULTS, f"market {market}")
        for key in ("slope1_bps", "slope2_bps", "supply_cap", "borrow_cap", "min_base"):
            ctx.require(p[key] >= 0, f"{key} must be non-negative")
        ctx.require(
            0 < p["optimal_utilization_bps"] < lm.BPS, "optimal utilization must be in (0, 1)"
        )
        ctx.require(0 <= p["reserve_factor_bps"] < lm.BPS, "reserve factor must be in [0, 1)")
        ctx.require(p["day_count"] in (360, 365), "day_count must be 360 or 365")
        ctx.require(0 < p["close_factor_bps"] <= lm.BPS, "close factor must be in (0, 100%]")
        m = dict(p)
        m.update(
            id=market,
            cash=cash,
            cash_decimals=ctx.read("token", f"t/{cash}")["decimals"],
            operator=operator,
            liquidity_index=lm.RAY,
            borrow_index=lm.RAY,
            scaled_supply=0,
            scaled_debt=0,
            cash_held=0,
            treasury=0,
            interest=0,
            deficit=0,
            socialized=0,
            liquidations=0,
            rate_ray=0,
            rate_height=-1,
            last_ms=ctx.time_ms,
            marked_day=ctx.time_ms // DAY_MS,
            collateral=[],
        )
        ctx.put(market_key(market), dump_config(m))
        ctx.put(f"idx/{market}", market)
        self._save(ctx, m)
        ctx.emit("market_opened", market=market, cash=cash, operator=operator)

    @method("regulator")
    def list_collateral(
        self, ctx: Context, market: str, symbol: str, terms: dict[str, Any]
    ) -> None:
        """Accept token ``symbol`` as collateral in ``market`` with ``terms``
        (:data:`COLLATERAL_DEFAULTS`); listing again replaces the terms."""
        m = self._market(ctx, market)
        ctx.require(symbol != m["cash"], "the market's cash cannot be its collateral")
        ctx.require(ctx.read("token", f"t/{symbol}") is not None, f"no token {symbol!r}")
        t = _typed(ctx, terms, COLLATERAL_DEFAULTS, f"collateral {symbol}")
        ctx.require(bool(t["price_key"]), f"collateral {symbol} needs an oracle price_key")
        ctx.require(t["units_per_price"] > 0, "units_per_price must be positive")
        ctx.require(
            0 <= t["ltv_bps"] <= t["threshold_bps"] < lm.BPS,
            "need 0 <= ltv <= liquidation threshold < 100%",
        )
        ctx.require(
            t["bonus_bps"] >= lm.BPS and t["threshold_bps"] * t["bonus_bps"] <= lm.BPS * lm.BPS,
            "liquidation bonus must be >= 100% and threshold x bonus <= 100% (Aave's rule)",
        )
        ctx.require(0 <= t["protocol_fee_bps"] <= lm.BPS, "protocol fee must be in [0, 100%]")
        ctx.require(t["supply_cap"] >= 0, "supply_cap must be non-negative")
        previous = ctx.get(f"c/{market}/{symbol}")
        t["posted"] = previous["posted"] if previous else 0
        t["decimals"] = ctx.read("token", f"t/{symbol}")["decimals"]
        ctx.put(f"c/{market}/{symbol}", t)
        if symbol not in m["collateral"]:
            m["collateral"] = sorted([*m["collateral"], symbol])
            ctx.put(market_key(market), dump_config(m))
        ctx.emit("collateral_listed", market=market, symbol=symbol, **t)

    # -- lenders ------------------------------------------------------------------------------
    @method(ANY)
    def deposit(self, ctx: Context, market: str, amount: int) -> None:
        """Deposit ``amount`` cash (minor units) for shares (rounded down)."""
        m = self._accrue(ctx, market)
        ctx.require(amount > 0, f"amount must be positive, got {amount}")
        shares = lm.ray_div_down(amount, m["liquidity_index"])
        ctx.require(shares > 0, "deposit too small to earn a share")
        supplied = lender_claim(m, m["scaled_supply"])
        cap = m["supply_cap"]
        ctx.require(
            cap == 0 or supplied + amount <= cap,
            f"supply cap: {supplied} supplied + {amount} exceeds the cap {cap}",
        )
        who = ctx.origin
        settle(ctx, [Instruction(m["cash"], who, HOLDER, amount)], f"pool/{market}/deposit")
        key = f"s/{market}/{who}"
        ctx.put(key, ctx.get(key, 0) + shares)
        m["scaled_supply"] += shares
        m["cash_held"] += amount
        self._save(ctx, m)
        ctx.emit(
            "deposited", visible_to=(who,), market=market, lender=who, amount=amount, shares=shares
        )

    @method(ANY)
    def withdraw(self, ctx: Context, market: str, amount: int = 0) -> None:
        """Withdraw ``amount`` cash (0: the whole claim), burning shares rounded up."""
        m = self._accrue(ctx, market)
        who = ctx.origin
        key = f"s/{market}/{who}"
        held = ctx.get(key, 0)
        claim = lender_claim(m, held)
        ctx.require(held > 0, f"{who!r} holds no shares in {market}")
        amount = claim if amount == 0 else amount
        ctx.require(
            0 < amount <= claim, f"insufficient balance: {who!r} can withdraw at most {claim}"
        )
        ctx.require(
            amount <= m["cash_held"],
            f"insufficient liquidity: {m['cash_held']} cash is not lent out, {amount} asked",
        )
        burn = held if amount == claim else min(held, lm.ray_div_up(amount, m["liquidity_index"]))
        if burn == held:
            ctx.delete(key)
        else:
            ctx.put(key, held - burn)
        m["scaled_supply"] -= burn
        m["cash_held"] -= amount
        settle(ctx, [Instruction(m["cash"], HOLDER, who, amount)], f"pool/{market}/withdraw")
        self._save(ctx, m)
        ctx.emit(
            "withdrawn", visible_to=(who,), market=market, lender=who, amount=amount, shares=burn
        )

    # -- borrowers ----------------------------------------------------------------------------
    @method(ANY)
    def post_collateral(self, ctx: Context, market: str, symbol: str, amount: int) -> None:
        """Escrow ``amount`` of collateral ``symbol`` for the signer's position."""
        m = self._accrue(ctx, market)
        terms = self._terms(ctx, market, symbol)
        ctx.require(amount > 0, f"amount must be positive, got {amount}")
        cap = terms["supply_cap"]
        ctx.require(
            cap == 0 or terms["posted"] + amount <= cap,
            f"collateral cap: {terms['posted']} {symbol} posted + {amount} exceeds {cap}",
        )
        who = ctx.origin
        ctx.require(who != m["operator"], "the operator cannot borrow from its own market")
        leg = Instruction(symbol, who, who, amount, to_lock=lock_id(market, who, symbol))
        settle(ctx, [leg], f"pool/{market}/collateral")
        terms["posted"] += amount
        ctx.put(f"c/{market}/{symbol}", terms)
        pos = self._position(ctx, market, who)
        pos["collateral"][symbol] = pos["collateral"].get(symbol, 0) + amount
        self._store_position(ctx, m, who, pos)
        self._save(ctx, m)
        ctx.emit(
            "collateral_posted",
            visible_to=(who,),
            market=market,
            borrower=who,
            symbol=symbol,
            amount=amount,
        )

    @method(ANY)
    def release_collateral(self, ctx: Context, market: str, symbol: str, amount: int) -> None:
        """Take back ``amount`` of collateral ``symbol``; refused if the health factor would
        fall below 1 (Aave's rule for withdrawing collateral)."""
        m = self._accrue(ctx, market)
        who = ctx.origin
        pos = self._position(ctx, market, who)
        held = pos["collateral"].get(symbol, 0)
        ctx.require(0 < amount <= held, f"insufficient balance: {who!r} posted {held} {symbol}")
        pos["collateral"][symbol] = held - amount
        if pos["scaled_debt"]:
            acct = lm.account(self._snapshot(ctx, m, pos))
            ctx.require(
                acct.health_factor >= lm.WAD,
                f"releasing {amount} {symbol} would bring the health factor to "
                f"{lm.format_wad(acct.health_factor)}, below 1",
            )
        leg = Instruction(symbol, who, who, amount, from_lock=lock_id(market, who, symbol))
        settle(ctx, [leg], f"pool/{market}/release")
        terms = ctx.get(f"c/{market}/{symbol}")
        terms["posted"] -= amount
        ctx.put(f"c/{market}/{symbol}", terms)
        self._store_position(ctx, m, who, pos)
        self._save(ctx, m)
        ctx.emit(
            "collateral_released",
            visible_to=(who,),
            market=market,
            borrower=who,
            symbol=symbol,
            amount=amount,
        )

    @method(ANY)
    def borrow(self, ctx: Context, market: str, amount: int) -> None:
        """Borrow ``amount`` cash against the posted collateral: the debt after must stay
        within the borrow limit (collateral value x LTV) and the borrow cap, and the pool must
        hold the cash. Prices must be fresh."""
        m = self._accrue(ctx, market)
        who = ctx.origin
        ctx.require(amount > 0, f"amount must be positive, got {amount}")
        ctx.require(
            amount <= m["cash_held"],
            f"insufficient liquidity: {m['cash_held']} cash available, {amount} asked",
        )
        cap = m["borrow_cap"]
        ctx.require(
            cap == 0 or total_debt(m) + amount <= cap,
            f"borrow cap: {total_debt(m)} borrowed + {amount} exceeds the cap {cap}",
        )
        pos = self._position(ctx, market, who)
        ctx.require(any(pos["collateral"].values()), f"{who!r} has posted no collateral")
        scaled = lm.ray_div_up(amount, m["borrow_index"])
        pos["scaled_debt"] += scaled
        acct = lm.account(self._snapshot(ctx, m, pos))
        ctx.require(
            acct.debt <= acct.borrow_limit,
            f"debt {acct.debt} would exceed the borrow limit {acct.borrow_limit} "
            "(collateral value x loan-to-value)",
        )
        m["scaled_debt"] += scaled
        m["cash_held"] -= amount
        settle(ctx, [Instruction(m["cash"], HOLDER, who, amount)], f"pool/{market}/borrow")
        self._store_position(ctx, m, who, pos, event="borrow", account=acct)
        self._save(ctx, m)
        ctx.emit(
            "borrowed",
            visible_to=(who,),
            market=market,
            borrower=who,
            amount=amount,
            debt=acct.debt,
            health_factor=str(acct.health_factor),
        )

    @method(ANY)
    def repay(self, ctx: Context, market: str, amount: int = 0, borrower: str = "") -> None:
        """Repay ``amount`` cash (0: all) of ``borrower``'s debt (default: the signer's)."""
        m = self._accrue(ctx, market)
        who = ctx.origin
        borrower = borrower or who
        pos = self._position(ctx, market, borrower)
        debt = debt_of(m, pos["scaled_debt"])
        ctx.require(debt > 0, f"{borrower!r} owes nothing in {market}")
        amount = debt if amount == 0 else amount
        ctx.require(0 < amount <= debt, f"{borrower!r} owes {debt}; cannot repay {amount}")
        burn = (
            pos["scaled_debt"]
            if amount == debt
            else min(pos["scaled_debt"], lm.ray_div_down(amount, m["borrow_index"]))
        )
        settle(ctx, [Instruction(m["cash"], who, HOLDER, amount)], f"pool/{market}/repay")
        pos["scaled_debt"] -= burn
        m["scaled_debt"] -= burn
        m["cash_held"] += amount
        event = "repay_all" if pos["scaled_debt"] == 0 else "repay"
        self._store_position(ctx, m, borrower, pos, event=event, revalue=False)
        self._save(ctx, m)
        ctx.emit(
            "repaid",
            visible_to=(borrower, who),
            market=market,
            borrower=borrower,
            payer=who,
            amount=amount,
        )

    @method(ANY)
    def liquidate(
        self, ctx: Context, market: str, borrower: str, collateral: str, debt_to_cover: int
    ) -> None:
        """Liquidate ``borrower`` (HF < 1): the signer pays up to ``debt_to_cover`` of the
        debt (cut by the close factor) and receives ``collateral`` plus the bonus; bad debt
        is written off when no collateral remains (module docstring)."""
        m = self._accrue(ctx, market)
        who = ctx.origin
        ctx.require(who != borrower, "a borrower cannot liquidate itself")
        pos = self._position(ctx, market, borrower)
        ctx.require(pos["scaled_debt"] > 0, f"{borrower!r} owes nothing in {market}")
        snapshot = self._snapshot(ctx, m, pos)
        limits = lm.LiquidationLimits(m["min_base"], m["min_leftover"], m["close_factor_bps"])
        result = lm.liquidation(snapshot, collateral, debt_to_cover, limits)
        debt = snapshot.debt
        lock = lock_id(market, borrower, collateral)
        legs = [
            Instruction(m["cash"], who, HOLDER, result.debt_repaid),
            Instruction(collateral, borrower, who, result.collateral_to_liquidator, from_lock=lock),
            Instruction(collateral, borrower, m["operator"], result.protocol_fee, from_lock=lock),
        ]
        settle(ctx, legs, f"pool/{market}/liquidate/{borrower}")
        seized = result.collateral_to_liquidator + result.protocol_fee
        pos["collateral"][collateral] -= seized
        terms = ctx.get(f"c/{market}/{collateral}")
        terms["posted"] -= seized
        ctx.put(f"c/{market}/{collateral}", terms)
        m["cash_held"] += result.debt_repaid
        m["liquidations"] += 1
        if result.bad_debt or result.debt_repaid == debt:
            m["scaled_debt"] -= pos["scaled_debt"]
            pos["scaled_debt"] = 0
        else:
            burn = min(pos["scaled_debt"], lm.ray_div_down(result.debt_repaid, m["borrow_index"]))
            pos["scaled_debt"] -= burn
            m["scaled_debt"] -= burn
        if result.bad_debt:
            self._write_off(ctx, m, borrower, result.bad_debt)
            event = "write_off"
        else:
            event = "liquidate" if pos["scaled_debt"] else "liquidate_all"
        recovery = result.debt_repaid * lm.BPS // debt
        self._store_position(ctx, m, borrower, pos, event=event, recovery_bps=recovery)
        self._save(ctx, m)
        ctx.emit(
            "liquidated",
            visible_to=(borrower, who),
            market=market,
            borrower=borrower,
            liquidator=who,
            collateral=collateral,
            debt_repaid=result.debt_repaid,
            collateral_seized=result.collateral_to_liquidator,
            protocol_fee=result.protocol_fee,
            bad_debt=result.bad_debt,
            health_factor=str(result.health_factor),
        )

    @method(ANY)
    def collect_reserve(self, ctx: Context, market: str, amount: int) -> None:
        """The operator takes ``amount`` of the pool's reserve (accrued reserve-factor
        interest) out of the cash the pool holds."""
        m = self._accrue(ctx, market)
        ctx.require(ctx.origin == m["operator"], f"only {m['operator']!r} collects the reserve")
        ctx.require(0 < amount <= m["treasury"], f"the reserve holds {m['treasury']}")
        ctx.require(amount <= m["cash_held"], f"insufficient liquidity: {m['cash_held']}")
        m["treasury"] -= amount
        m["cash_held"] -= amount
        settle(
            ctx, [Instruction(m["cash"], HOLDER, m["operator"], amount)], f"pool/{market}/reserve"
        )
        self._save(ctx, m)
        ctx.emit("reserve_collected", market=market, amount=amount)

    # -- hooks ----------------------------------------------------------------------------------
    def begin_block(self, ctx: Context) -> None:
        """Accrue every market to the block time."""
        for _, name in ctx.scan("idx/"):
            m = accrued(read_market(ctx.get, name), ctx.time_ms)
            ctx.put(f"st/{name}", dump_state(m))

    def end_block(self, ctx: Context) -> None:
        """Pick up a base rate the oracle posted in this block (it applies from now on);
        once a day, mark every open borrow in the trades register at its accrued debt."""
        day = ctx.time_ms // DAY_MS
        for _, name in ctx.scan("idx/"):
            m = read_market(ctx.get, name)
            changed = False
            if m["rate_key"]:
                point = ctx.read("oracle", oracle.point_key("rate", m["rate_key"]))
                if point is not None and point["height"] != m["rate_height"]:
                    self._refresh_rate(ctx, m)
                    changed = True
            if m["marked_day"] != day:
                m["marked_day"] = day
                changed = True
                for key, pos in ctx.scan(f"p/{name}/"):
                    if pos["loan"]:
                        self._mark(ctx, m, key.split("/", 2)[2], pos, None)
            if changed:
                ctx.put(f"st/{name}", dump_state(m))

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _market(ctx: Context, market: str) -> dict[str, Any]:
        m = read_market(ctx.get, market)
        ctx.require(m is not None, f"no market {market!r}")
        return m

    def _accrue(self, ctx: Context, market: str) -> dict[str, Any]:
        return accrued(self._market(ctx, market), ctx.time_ms)

    def _save(self, ctx: Context, m: dict[str, Any]) -> None:
        """Store the market after a call, with the rate its new utilization implies."""
        self._refresh_rate(ctx, m)
        ctx.put(f"st/{m['id']}", dump_state(m))

    @staticmethod
    def _refresh_rate(ctx: Context, m: dict[str, Any]) -> None:
        base = m["base_rate_bps"]
        if m["rate_key"]:
            record = ctx.read("oracle", oracle.point_key("rate", m["rate_key"]))
            try:
                base += oracle.value(ctx, "rate", m["rate_key"], 4)
                m["rate_height"] = record["height"]
            except ContractError:
                pass  # no fresh corridor rate: the base alone (hooks must not fail)
        utilization = lm.utilization_ray(total_debt(m), m["cash_held"])
        m["rate_ray"] = max(
            0,
            lm.borrow_rate_ray(
                utilization,
                base,
                m["slope1_bps"],
                m["slope2_bps"],
                m["optimal_utilization_bps"],
            ),
        )

    @staticmethod
    def _terms(ctx: Context, market: str, symbol: str) -> dict[str, Any]:
        terms = ctx.get(f"c/{market}/{symbol}")
        ctx.require(
            terms is not None, f"ineligible collateral: {symbol!r} is not listed in {market}"
        )
        return terms

    @staticmethod
    def _position(ctx: Context, market: str, who: str) -> dict[str, Any]:
        return ctx.get(f"p/{market}/{who}") or {
            "scaled_debt": 0,
            "collateral": {},
            "loan": "",
        }

    def _snapshot(self, ctx: Context, m: dict[str, Any], pos: dict[str, Any]) -> lm.Position:
        """The position valued at fresh oracle prices (a stale price rejects the call)."""
        terms, prices = {}, {}
        age = m["price_max_age_ms"] or None
        for symbol, amount in pos["collateral"].items():
            if amount <= 0:
                continue
            t = ctx.get(f"c/{m['id']}/{symbol}")
            terms[symbol] = t
            prices[symbol] = oracle.value(ctx, "price", t["price_key"], lm.PRICE_SCALE, age)
        return position_snapshot(m, pos, terms, prices)

    def _write_off(self, ctx: Context, m: dict[str, Any], borrower: str, amount: int) -> None:
        """Bad debt: the reserve absorbs first, the rest cuts every share's value."""
        covered = min(m["treasury"], amount)
        m["treasury"] -= covered
        rest = amount - covered
        if rest and m["scaled_supply"]:
            cut = lm.ray_div_up(rest, m["scaled_supply"])
            m["liquidity_index"] = max(0, m["liquidity_index"] - cut)
        m["deficit"] += amount
        m["socialized"] += rest
        ctx.emit(
            "deficit_created",
            market=m["id"],
            borrower=borrower,
            amount=amount,
            covered_by_reserve=covered,
            socialized=rest,
        )

    def _store_position(
        self,
        ctx: Context,
        m: dict[str, Any],
        who: str,
        pos: dict[str, Any],
        event: str | None = None,
        account: lm.Account | None = None,
        recovery_bps: int = lm.BPS,
        revalue: bool = True,
    ) -> None:
        key = f"p/{m['id']}/{who}"
        if event is not None:
            self._mark(ctx, m, who, pos, event, account, recovery_bps, revalue)
        elif pos["loan"]:
            self._mark(ctx, m, who, pos, None)
        if pos["scaled_debt"] == 0 and not any(pos["collateral"].values()):
            ctx.delete(key)
        else:
            pos["collateral"] = {s: a for s, a in pos["collateral"].items() if a}
            ctx.put(key, pos)

    def _mark(
        self,
        ctx: Context,
        m: dict[str, Any],
        who: str,
        pos: dict[str, Any],
        event: str | None,
        account: lm.Account | None = None,
        recovery_bps: int = lm.BPS,
        revalue: bool = True,
    ) -> None:
        """Keep the trades register in step with the loan: open it on the first borrow, mark
        its debt and (``revalue``: when the collateral or its price may have moved) the
        collateral's value, close it when it ends."""
        debt = debt_of(m, pos["scaled_debt"])
        if event == "borrow" and not pos["loan"]:
            netting_set = f"{NAME}/{m['id']}/{who}"
            if ctx.read("trades", f"ns/{netting_set}") is None:
                ctx.call(
                    "trades",
                    "open_netting_set",
                    netting_set=netting_set,
                    party_a=m["operator"],
                    party_b=who,
                    currency=m["cash"],
                )
            count = ctx.get(f"n/{m['id']}/{who}", 0) + 1
            ctx.put(f"n/{m['id']}/{who}", count)
            pos["loan"] = f"{netting_set}/{count}"
            ctx.call(
                "trades",
                "record_trade",
                trade_id=pos["loan"],
                netting_set=netting_set,
                asset_class="IR",
                position="LONG",
                notional=debt,
                maturity_ms=ctx.time_ms + LOAN_RECORD_MATURITY_MS,
                terms={
                    "mtm": debt,
                    "start_ms": ctx.time_ms,
                    "reference": f"pool:{m['id']}",
                    "collateral": account.collateral_value if account else 0,
                },
            )
            ctx.put(f"loan/{pos['loan']}", {"state": LOAN.initial, "borrower": who})
            self._set_collateral(ctx, m, who, account.collateral_value if account else 0)
            return
        if not pos["loan"]:
            return
        loan = ctx.get(f"loan/{pos['loan']}")
        if event is not None:
            LOAN.fire(loan, event)
            ctx.put(f"loan/{pos['loan']}", loan)
        if LOAN.is_final(loan["state"]):
            outcome = "defaulted" if loan["state"] == "written_off" else "terminated"
            recovery = recovery_bps if outcome == "defaulted" else lm.BPS
            ctx.call(
                "trades",
                "close_trade",
                trade_id=pos["loan"],
                outcome=outcome,
                recovery_bps=recovery,
            )
            pos["loan"] = ""
            self._set_collateral(ctx, m, who, 0)
        else:
            ctx.call("trades", "mark", trade_id=pos["loan"], mtm=debt)
            if account is not None:
                value = account.collateral_value
            elif not revalue:
                value = None
            else:
                try:
                    value = lm.account(self._snapshot(ctx, m, pos)).collateral_value
                except ContractError:  # no fresh price: keep the last value
                    value = None
            if value is not None:
                self._set_collateral(ctx, m, who, value)

    @staticmethod
    def _set_collateral(ctx: Context, m: dict[str, Any], who: str, value: int) -> None:
        """The collateral the pool holds for the borrower, at oracle prices, as the netting
        set's ``im_received`` (what the risk service nets against the loan)."""
        netting_set = f"{NAME}/{m['id']}/{who}"
        ns = ctx.read("trades", f"ns/{netting_set}")
        if ns is not None and ns["im_received"] != value:
            ctx.call(
                "trades", "set_collateral", netting_set=netting_set, terms={"im_received": value}
            )
