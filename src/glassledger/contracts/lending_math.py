"""Integer lending math of the ``pool`` contract: one pure module used on and off the ledger.

STYLE.md lesson 12 (Aave v3's ``GenericLogic.calculateUserAccountData`` and
``LiquidationLogic.executeLiquidationCall``): the health factor and the liquidation amounts
are computed here, from a snapshot (:class:`Position`), by the contract *and* by the
off-ledger views, so a dashboard never shows a health factor the contract would not act on.

**Fixed point.** Indexes and rates are *rays* (``RAY = 10**27`` is 1.0) as in Aave's
``WadRayMath``; the health factor is a *wad* (``WAD = 10**18`` is 1.0); percentages are basis
points (``10_000`` is 100%) as in Aave's ``PercentageMath``; amounts are integers in minor
units of their token; prices are oracle prices at scale 8 (``price_e8``) of ``units_per_price``
whole collateral tokens in whole cash units.

**Rounding** (documented, tested):

* ``ray_mul`` / ``ray_div`` / ``percent_mul`` / ``percent_div`` round half up (Aave's
  ``WadRayMath`` and ``PercentageMath``); ``*_down`` / ``*_up`` variants round toward or away
  from zero and are used wherever the pool converts between amounts and scaled balances, always
  in the pool's favour (deposits mint shares rounded down, withdrawals burn shares rounded up,
  borrows add scaled debt rounded up, repayments remove scaled debt rounded down, a lender's
  claim is rounded down, a borrower's debt up: the direction Aave v3.4's ``TokenMath`` adopted).
* Collateral is valued rounded down (a health factor is never flattered).
* Growth of the borrow index over ``dt`` ms is ``(1 + r / year) ** dt`` (year in ms) by binary
  exponentiation with half-up ``ray_mul`` (Aave v1/v2's ``rayPow``): the index after one step
  of ``a + b`` ms and after two steps of ``a`` and ``b`` agree to a few ray units, i.e. a debt
  differs by at most 1 minor unit whatever the block spacing (property-tested).

**Liquidation** follows Aave v3.3's ``LiquidationLogic`` (aave-dao/aave-v3-origin,
``src/contracts/protocol/libraries/logic/LiquidationLogic.sol``; read, not copied): allowed
when HF < 1; close factor 50% (``DEFAULT_LIQUIDATION_CLOSE_FACTOR``) only when the chosen
collateral and the debt are both worth at least ``min_base`` (``MIN_BASE_MAX_CLOSE_FACTOR_
THRESHOLD``, $2,000) and HF > 0.95 (``CLOSE_FACTOR_HF_THRESHOLD``), 100% otherwise; collateral
seized = debt covered x price ratio x liquidation bonus, capped by the collateral held (then
the debt covered is cut to match); the protocol fee is a share of the bonus part; a partial
liquidation must leave at least ``min_leftover`` (half of ``min_base``) of debt and of that
collateral, or take all of one of them (``MUST_NOT_LEAVE_DUST``); when the borrower has no
collateral left the rest of the debt is bad debt (v3.3's ``deficit``). The pool has a single
debt asset (its cash), so "the debt in the reserve" and "the total debt" coincide.
"""

from __future__ import annotations

from dataclasses import dataclass

from glassledger.errors import ContractError

RAY = 10**27
HALF_RAY = RAY // 2
WAD = 10**18
BPS = 10_000
HALF_BPS = BPS // 2
DAY_MS = 86_400_000
#: Milliseconds in Aave's year (actual/365 on block time); a market may use 360 days.
YEAR_MS = 365 * DAY_MS
#: Oracle price scale of collateral prices.
PRICE_SCALE = 8
#: Health factor of a position without debt (Aave returns ``type(uint256).max``).
NO_DEBT_HF = 2**256 - 1
#: Aave v3.3 constants (health factors in wad, percentages in bps).
CLOSE_FACTOR_HF_THRESHOLD = 95 * WAD // 100
DEFAULT_CLOSE_FACTOR_BPS = 5_000
LIQUIDATION_HF_THRESHOLD = WAD


# -- fixed point ------------------------------------------------------------------------------


def ray_mul(a: int, b: int) -> int:
    """``a x b`` in ray, rounded half up."""
    return (a * b + HALF_RAY) // RAY


def ray_div(a: int, b: int) -> int:
    """``a / b`` in ray, rounded half up."""
    return (a * RAY + b // 2) // b


def ray_mul_down(a: int, b: int) -> int:
    return a * b // RAY


def ray_mul_up(a: int, b: int) -> int:
    return -(-a * b // RAY)


def ray_div_down(a: int, b: int) -> int:
    return a * RAY // b


def ray_div_up(a: int, b: int) -> int:
    return -(-a * RAY // b)


def percent_mul(value: int, bps: int) -> int:
    """``value x bps / 10_000`` rounded half up (Aave ``percentMul``)."""
    return (value * bps + HALF_BPS) // BPS


def percent_div(value: int, bps: int) -> int:
    """``value x 10_000 / bps`` rounded half up (Aave ``percentDiv``)."""
    return (value * BPS + bps // 2) // bps


def ray_pow(x: int, n: int) -> int:
    """``x ** n`` for a ray ``x`` and an integer ``n >= 0`` by binary exponentiation."""
    result = RAY
    while n:
        if n & 1:
            result = ray_mul(result, x)
        x = ray_mul(x, x)
        n >>= 1
    return result


def bps_to_ray(bps: int) -> int:
    """A rate in basis points as a ray (``530`` bp -> ``0.053 x 1e27``)."""
    return bps * RAY // BPS


def ray_to_bps(rate: int) -> int:
    """A ray rate in whole basis points, rounded half up (for events and views)."""
    return (rate * BPS + HALF_RAY) // RAY


def growth(rate_ray: int, dt_ms: int, year_ms: int = YEAR_MS) -> int:
    """Factor (ray) by which a debt compounding every ms at ``rate_ray`` a year of
    ``year_ms`` grows in ``dt_ms``."""
    if dt_ms <= 0 or rate_ray == 0:
        return RAY
    return ray_pow(RAY + rate_ray // year_ms, dt_ms)


# -- the rate curve -----------------------------------------------------------------------------


def utilization_ray(debt: int, cash: int) -> int:
    """Utilization ``debt / (debt + cash)`` in ray (0 when both are 0); Aave v3's usage
    ratio."""
    total = debt + cash
    return 0 if total == 0 else ray_div(debt, total)


def borrow_rate_ray(
    utilization: int, base_bps: int, slope1_bps: int, slope2_bps: int, optimal_bps: int
) -> int:
    """The borrow rate (ray a year) on Aave's two-slope curve: ``base + slope1 x U / U*`` up
    to the optimal utilization ``U*``, then ``base + slope1 + slope2 x (U - U*) / (1 - U*)``.
    ``base_bps`` may include an oracle rate (the corridor)."""
    optimal = bps_to_ray(optimal_bps)
    rate = bps_to_ray(base_bps)
    if utilization <= optimal:
        return rate + bps_to_ray(slope1_bps) * utilization // optimal
    excess = (utilization - optimal) * RAY // (RAY - optimal)
    return rate + bps_to_ray(slope1_bps) + ray_mul(bps_to_ray(slope2_bps), excess)


def supply_rate_ray(borrow_rate: int, utilization: int, reserve_factor_bps: int) -> int:
    """The rate lenders earn (ray a year): ``borrow rate x U x (1 - reserve factor)``."""
    return percent_mul(ray_mul(borrow_rate, utilization), BPS - reserve_factor_bps)


# -- valuation and the health factor ------------------------------------------------------------


@dataclass(frozen=True)
class Collateral:
    """One collateral holding of a position and its terms.

    ``amount`` minor units of a token with ``decimals``; ``price_e8``: price of
    ``units_per_price`` whole tokens in whole cash units x 1e8 (a bill token of $1 face priced
    per 100 of face has ``units_per_price`` 100); ``ltv_bps``, ``threshold_bps``: loan-to-value
    and liquidation threshold; ``bonus_bps``: liquidation bonus as Aave writes it (10_500 =
    5% bonus); ``protocol_fee_bps``: share of the bonus paid to the pool's treasury."""

    symbol: str
    amount: int
    decimals: int
    price_e8: int
    units_per_price: int
    ltv_bps: int
    threshold_bps: int
    bonus_bps: int
    protocol_fee_bps: int


@dataclass(frozen=True)
class Position:
    """A borrower's position: ``debt`` in minor units of the cash token (``cash_decimals``)
    and its collateral."""

    debt: int
    cash_decimals: int
    collateral: tuple[Collateral, ...]


@dataclass(frozen=True)
class Account:
    """``collateral_value``, ``borrow_limit`` (sum of value x LTV), ``threshold_value`` (sum of
    value x liquidation threshold), ``debt``: minor units of cash; ``health_factor``: wad
    (``NO_DEBT_HF`` without debt)."""

    collateral_value: int
    borrow_limit: int
    threshold_value: int
    debt: int
    health_factor: int


def value_of(c: Collateral, amount: int, cash_decimals: int) -> int:
    """Value of ``amount`` minor units of collateral ``c`` in cash minor units, rounded down."""
    numerator = amount * c.price_e8 * 10**cash_decimals
    return numerator // (10**c.decimals * c.units_per_price * 10**PRICE_SCALE)


def amount_for(c: Collateral, value: int, cash_decimals: int) -> int:
    """Minor units of collateral ``c`` worth ``value`` cash minor units, rounded down (Aave's
    ``baseCollateral``)."""
    numerator = value * 10**c.decimals * c.units_per_price * 10**PRICE_SCALE
    return numerator // (c.price_e8 * 10**cash_decimals)


def account(position: Position) -> Account:
    """Aggregate figures and the health factor of ``position``:
    ``HF = sum(value_i x threshold_i) / debt`` (wad, rounded down)."""
    total = limit = weighted = 0
    for c in position.collateral:
        value = value_of(c, c.amount, position.cash_decimals)
        total += value
        limit += value * c.ltv_bps // BPS
        weighted += value * c.threshold_bps
    hf = NO_DEBT_HF if position.debt == 0 else weighted * WAD // (BPS * position.debt)
    threshold = weighted // BPS
    return Account(total, limit, threshold, position.debt, hf)


# -- liquidation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiquidationLimits:
    """Aave v3.3's thresholds in cash minor units: ``min_base`` (close factor stays 100% below
    it) and ``min_leftover`` (dust rule); ``close_factor_bps`` (50%)."""

    min_base: int
    min_leftover: int
    close_factor_bps: int = DEFAULT_CLOSE_FACTOR_BPS


@dataclass(frozen=True)
class Liquidation:
    """What a liquidation moves (minor units): ``debt_repaid`` cash the liquidator pays,
    ``collateral_to_liquidator`` and ``protocol_fee`` of ``symbol`` out of the borrower's
    collateral, ``bad_debt`` cash of debt left without any collateral (written off as a
    deficit), ``max_debt`` the close-factor cap, ``health_factor`` before (wad)."""

    symbol: str
    debt_repaid: int
    collateral_to_liquidator: int
    protocol_fee: int
    bad_debt: int
    max_debt: int
    health_factor: int


def liquidation(
    position: Position, symbol: str, debt_to_cover: int, limits: LiquidationLimits
) -> Liquidation:
    """Amounts of a liquidation of ``position`` repaying up to ``debt_to_cover`` cash and
    seizing collateral ``symbol`` (module docstring). Raises :class:`ContractError` when the
    position is healthy (HF >= 1), holds no such collateral, or the liquidation would leave
    dust."""
    if debt_to_cover <= 0:
        raise ContractError(f"debt to cover must be positive, got {debt_to_cover}")
    acct = account(position)
    if acct.debt == 0 or acct.health_factor >= LIQUIDATION_HF_THRESHOLD:
        raise ContractError(
            f"position is healthy: health factor {format_wad(acct.health_factor)} is at least 1; "
            "only a position below 1 can be liquidated"
        )
    chosen = [c for c in position.collateral if c.symbol == symbol and c.amount > 0]
    if not chosen:
        raise ContractError(f"the position holds no {symbol} collateral to seize")
    c = chosen[0]
    decimals = position.cash_decimals
    debt = acct.debt
    collateral_value = value_of(c, c.amount, decimals)
    max_debt = debt
    if (
        collateral_value >= limits.min_base
        and debt >= limits.min_base
        and acct.health_factor > CLOSE_FACTOR_HF_THRESHOLD
    ):
        max_debt = min(debt, percent_mul(debt, limits.close_factor_bps))
    to_cover = min(debt_to_cover, max_debt)
    seized = percent_mul(amount_for(c, to_cover, decimals), c.bonus_bps)
    if seized > c.amount:
        seized = c.amount
        to_cover = percent_div(value_of(c, seized, decimals), c.bonus_bps)
    fee = 0
    if c.protocol_fee_bps:
        bonus = seized - percent_div(seized, c.bonus_bps)
        fee = percent_mul(bonus, c.protocol_fee_bps)
        seized -= fee
    if to_cover < debt and seized + fee < c.amount:
        debt_left = debt - to_cover
        collateral_left = value_of(c, c.amount - seized, decimals)
        if debt_left < limits.min_leftover or collateral_left < limits.min_leftover:
            raise ContractError(
                f"liquidation would leave dust: {debt_left} of debt and collateral worth "
                f"{collateral_left} remain, below the {limits.min_leftover} minimum; cover all "
                "of the debt or take all of the collateral"
            )
    others_empty = all(o.amount == 0 for o in position.collateral if o.symbol != symbol)
    no_collateral_left = others_empty and seized + fee == c.amount
    bad_debt = debt - to_cover if no_collateral_left else 0
    return Liquidation(symbol, to_cover, seized, fee, bad_debt, max_debt, acct.health_factor)


def format_wad(value: int) -> str:
    """A wad as a decimal with 4 places, for messages."""
    if value == NO_DEBT_HF:
        return "infinite"
    return f"{value // WAD}.{value % WAD * 10_000 // WAD:04d}"
