"""Daily clearing of the overnight repo market: supply and demand curves, SOFR, SRF take-up.

Rates are expressed as spreads over IORB in **basis points** (``s``); SOFR = IORB + s / 100.

Supply of cash, all nondecreasing in s:

* money funds: fund i lends its cash ``q_i`` linearly between ``lo_i`` and ``hi_i`` (a ramp;
  below ``lo_i`` it keeps the cash at the ON RRP); the total is capped by dealers'
  intermediation capacity;
* banks: bank k lends the reserves above the level at which their marginal value equals
  the rate, ``v(e) = slope * (1 - e) / e`` over IORB + cost (see :mod:`.params`); with
  ``e* = slope / (slope + s - cost)`` it lends ``w_k * max(0, e_k - e*)``;
* the SRF: ``elasticity * (s - s_srf)`` between the SRF rate and the SRF rate plus the
  maximum premium, where it lends without limit (or up to an operation limit).

Demand: inelastic (relative-value funds' and dealers' positions to finance overnight) plus
elastic "other" borrowers who drop out linearly as the rate rises.

:func:`clear` evaluates the curves on a spread grid (exact ramp aggregation by sorted knots,
O(n log n) per day), interpolates the crossing where the grid is fine and bisects where it
is coarse; :func:`clear_reference` solves the same
market agent by agent with bisection in plain Python. The reference is the oracle of the
tests and the baseline of the benchmark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Spread grid over IORB (bp): 1 bp steps where rates usually are, geometric above.
SPREAD_GRID_BP = np.r_[np.arange(-60.0, 60.0, 1.0), np.geomspace(60.0, 2000.0, 70)]


@dataclass(frozen=True)
class Market:
    """One day's market, everything in USD bn and bp over IORB."""

    mmf_lo_bp: np.ndarray
    mmf_hi_bp: np.ndarray
    mmf_cash: np.ndarray
    dealer_capacity: float
    bank_excess: np.ndarray  # e_k
    bank_weight: np.ndarray  # w_k, USD bn per unit of e
    slope_bp: float
    bank_cost_bp: float
    inelastic_demand: float
    other_demand: float
    other_lo_bp: float
    other_hi_bp: float
    srf_bp: float  # SRF rate over IORB; NaN: no facility
    srf_elasticity: float
    srf_max_premium_bp: float
    srf_limit: float  # operation limit (inf: unlimited)


@dataclass(frozen=True)
class Clearing:
    """Result of a day's clearing (USD bn, bp over IORB)."""

    spread_bp: float
    mmf_lent: float
    bank_lent: float
    srf: float
    unmet: float
    volume: float


def ramp_sum(lo: np.ndarray, hi: np.ndarray, qty: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``sum_i qty_i * clip((x - lo_i) / (hi_i - lo_i), 0, 1)`` at each x, exactly.

    The sum of ramps is piecewise linear with knots at every lo and hi: sort the knots,
    accumulate the slope changes, integrate, and interpolate. Requires hi > lo.
    """
    slope = qty / (hi - lo)
    knots = np.concatenate([lo, hi])
    order = np.argsort(knots, kind="stable")
    knots = knots[order]
    slopes = np.cumsum(np.concatenate([slope, -slope])[order])
    values = np.concatenate([[0.0], np.cumsum(slopes[:-1] * np.diff(knots))])
    return np.interp(x, knots, values, left=0.0, right=float(qty.sum()))


def bank_supply(market: Market, x: np.ndarray) -> np.ndarray:
    """Reserves banks lend at spreads ``x`` (USD bn): ``sum_k w_k * max(0, e_k - e*(x))``."""
    s = x - market.bank_cost_bp
    with np.errstate(divide="ignore"):
        e_star = np.where(s > 0, market.slope_bp / (market.slope_bp + np.maximum(s, 0.0)), np.inf)
    order = np.argsort(market.bank_excess)
    e_sorted = market.bank_excess[order]
    w_sorted = market.bank_weight[order]
    tail_we = np.concatenate([np.cumsum((w_sorted * e_sorted)[::-1])[::-1], [0.0]])
    tail_w = np.concatenate([np.cumsum(w_sorted[::-1])[::-1], [0.0]])
    idx = np.searchsorted(e_sorted, e_star, side="right")
    finite = np.isfinite(e_star)
    out = tail_we[idx] - np.where(finite, e_star, 0.0) * tail_w[idx]
    return np.where(finite, np.maximum(out, 0.0), 0.0)


def srf_supply(market: Market, x: np.ndarray) -> np.ndarray:
    """SRF lending at spreads ``x`` below the cap (USD bn); zero when there is no SRF."""
    if math.isnan(market.srf_bp):
        return np.zeros_like(x)
    cap = market.srf_bp + market.srf_max_premium_bp
    ramp = market.srf_elasticity * np.maximum(x - market.srf_bp, 0.0)
    return np.minimum(np.where(x >= cap, market.srf_limit, ramp), market.srf_limit)


def demand(market: Market, x: np.ndarray) -> np.ndarray:
    """Cash demanded at spreads ``x`` (USD bn)."""
    span = market.other_hi_bp - market.other_lo_bp
    elastic = np.clip((market.other_hi_bp - x) / span, 0.0, 1.0)
    return market.inelastic_demand + market.other_demand * elastic


def _curves(market: Market, x: np.ndarray, unlimited_srf: bool) -> np.ndarray:
    """Rows: money-fund, bank and SRF supply and demand at spreads ``x`` (USD bn)."""
    mmf = np.minimum(
        ramp_sum(market.mmf_lo_bp, market.mmf_hi_bp, market.mmf_cash, x), market.dealer_capacity
    )
    if unlimited_srf:  # the grid stops at the cap, where the SRF lends whatever is short
        srf = market.srf_elasticity * np.maximum(x - market.srf_bp, 0.0)
    else:
        srf = srf_supply(market, x)
    return np.vstack([mmf, bank_supply(market, x), srf, demand(market, x)])


def late_operation(market: Market) -> float:
    """Cash (USD bn) a Fed operation conducted *after* the morning market lends that day:
    the demand money funds and banks leave unmet at the operation's minimum bid rate
    (``market.srf_bp``), at most its limit. Zero without a facility.

    The first ad hoc operation of 17 September 2019 was conducted at 9:30-9:45, after most
    of the day's repo had traded: SOFR printed +315 bp, and the USD 53 bn it lent raised the
    day's closing reserves (the next morning's market)."""
    if math.isnan(market.srf_bp):
        return 0.0
    at = np.array([market.srf_bp])
    mmf, bank, _, want = _curves(market, at, unlimited_srf=False)[:, 0]
    return float(min(max(want - mmf - bank, 0.0), market.srf_limit))


def clear(market: Market, grid: np.ndarray = SPREAD_GRID_BP, tol_bp: float = 0.01) -> Clearing:
    """Clear the market (vectorised over agents); see module docstring.

    The crossing is interpolated where grid steps are at most 1 bp and bisected to
    ``tol_bp`` where they are wider (spikes), so the rate is exact to ~``tol_bp``.
    """
    unlimited_srf = not math.isnan(market.srf_bp) and math.isinf(market.srf_limit)
    if unlimited_srf:
        cap = market.srf_bp + market.srf_max_premium_bp
        grid = np.append(grid[grid < cap], cap)
    curves = _curves(market, grid, unlimited_srf)
    excess = curves[:3].sum(axis=0) - curves[3]
    above = np.flatnonzero(excess >= 0.0)
    if above.size == 0:  # short at the top of the grid
        mmf, bank, srf, want = curves[:, -1]
        shortfall = float(-excess[-1])
        taken = shortfall if unlimited_srf else 0.0
        return Clearing(
            float(grid[-1]),
            float(mmf),
            float(bank),
            float(srf) + taken,
            shortfall - taken,
            float(want) - shortfall + taken,
        )
    i = int(above[0])
    if i == 0:
        s = float(grid[0])
    elif grid[i] - grid[i - 1] <= 1.0:
        a, b = excess[i - 1], excess[i]
        w = float(-a / (b - a))
        mmf, bank, srf, _ = (1.0 - w) * curves[:, i - 1] + w * curves[:, i]
        s = float(grid[i - 1] + (grid[i] - grid[i - 1]) * w)
        return Clearing(s, float(mmf), float(bank), float(srf), 0.0, float(mmf + bank + srf))
    else:
        lo, hi = float(grid[i - 1]), float(grid[i])
        while hi - lo > tol_bp:
            mid = 0.5 * (lo + hi)
            at = _curves(market, np.array([mid]), unlimited_srf)[:, 0]
            lo, hi = (lo, mid) if at[:3].sum() >= at[3] else (mid, hi)
        s = hi
    mmf, bank, srf, _ = _curves(market, np.array([s]), unlimited_srf)[:, 0]
    return Clearing(s, float(mmf), float(bank), float(srf), 0.0, float(mmf + bank + srf))


def clear_reference(market: Market, lo: float = -60.0, hi: float = 2000.0) -> Clearing:
    """The same clearing, agent by agent in plain Python with bisection (test oracle and
    benchmark baseline). Rates beyond ``hi`` are not searched."""

    def mmf_at(x: float) -> float:
        total = 0.0
        for a, b, q in zip(market.mmf_lo_bp, market.mmf_hi_bp, market.mmf_cash, strict=True):
            total += q * min(max((x - a) / (b - a), 0.0), 1.0)
        return min(total, market.dealer_capacity)

    def bank_at(x: float) -> float:
        s = x - market.bank_cost_bp
        if s <= 0:
            return 0.0
        e_star = market.slope_bp / (market.slope_bp + s)
        return sum(
            w * max(0.0, e - e_star)
            for e, w in zip(market.bank_excess, market.bank_weight, strict=True)
        )

    def srf_at(x: float) -> float:
        return float(srf_supply(market, np.array([x]))[0])

    def excess(x: float) -> float:
        return mmf_at(x) + bank_at(x) + srf_at(x) - float(demand(market, np.array([x]))[0])

    unlimited = not math.isnan(market.srf_bp) and math.isinf(market.srf_limit)
    top = market.srf_bp + market.srf_max_premium_bp if unlimited else hi
    if excess(top - 1e-9) < 0:
        short = -excess(top - 1e-9)
        taken = short if unlimited else 0.0
        volume = float(demand(market, np.array([top]))[0]) - short + taken
        return Clearing(
            top, mmf_at(top), bank_at(top), srf_at(top - 1e-9) + taken, short - taken, volume
        )
    a, b = lo, top - 1e-9
    if excess(a) >= 0:
        b = a
    for _ in range(60):
        if b - a < 1e-7:
            break
        mid = 0.5 * (a + b)
        a, b = (a, mid) if excess(mid) >= 0 else (mid, b)
    s = b
    return Clearing(
        s, mmf_at(s), bank_at(s), srf_at(s), 0.0, float(demand(market, np.array([s]))[0])
    )
