"""The agent populations as arrays, and their daily behaviour, vectorised across agents.

Amounts are USD bn, spreads bp, ratios percent of bank assets. Each population is a set of
NumPy arrays of equal length (one entry per agent); a day's update is a handful of array
operations, never a Python loop over agents.

* Money-market funds: assets under management, Treasury bills held (a fraction of assets
  that rises with the bill yield over SOFR), and a lending ramp in private repo (spread over
  the ON RRP rate where each starts and stops adding cash). What they do not lend stays at
  the ON RRP.
* Banks: assets, share of system reserves, lowest comfortable reserve ratio (LCLoR), and a
  flag for banks that shrink at quarter ends.
* Relative-value funds: equity, long cash-Treasury position financed in repo (borrowing =
  position - equity), leverage limit, implied repo rate of the basis (bp over IORB). While
  carry is positive they take their share of net coupon issuance, raising the capital to
  hold it at their target leverage (the 37 % anchor is a share of issuance).
* Dealers: intermediation capacity for money-fund cash and an inventory of Treasuries
  (financed in repo) from auction take-downs and funds' forced sales, sold off over days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassledger.liquidity.model.clearing import Market, ramp_sum
from glassledger.liquidity.model.params import InitialState, ModelParams

DAYS_PER_YEAR = 252.0


def _shares(rng: np.random.Generator, n: int, alpha: float = 1.2) -> np.ndarray:
    """Pareto-distributed size shares summing to one (few large agents, many small)."""
    raw = rng.pareto(alpha, n) + 1.0
    return raw / raw.sum()


@dataclass
class MoneyFunds:
    aum: np.ndarray
    bills: np.ndarray
    bill_base: np.ndarray  # bill fraction of assets when bills yield SOFR
    lo_bp: np.ndarray
    width_bp: np.ndarray

    @property
    def cash(self) -> np.ndarray:
        """Cash to place in repo or at the ON RRP (USD bn)."""
        return self.aum - self.bills


@dataclass
class Banks:
    assets: np.ndarray
    reserve_share: np.ndarray
    floor_pct: np.ndarray
    window_dresses: np.ndarray


@dataclass
class RVFunds:
    equity: np.ndarray
    position: np.ndarray
    leverage_cap: np.ndarray
    basis_bp: np.ndarray

    @property
    def borrowing(self) -> np.ndarray:
        """Repo borrowing (USD bn): position not covered by equity."""
        return np.maximum(self.position - self.equity, 0.0)


@dataclass
class Dealers:
    capacity: np.ndarray
    inventory: np.ndarray
    window_dresses: np.ndarray


@dataclass
class Population:
    """All agents; build with :func:`make_population`."""

    mmf: MoneyFunds
    banks: Banks
    rv: RVFunds
    dealers: Dealers

    def bank_curve(
        self, reserves: float, params: ModelParams, cut: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Excess positions e_k and weights w_k (USD bn per unit e) given system reserves.

        ``cut`` is the fraction of lending withdrawn by window-dressing banks today.
        """
        b = self.banks
        ratio = 100.0 * reserves * b.reserve_share / b.assets
        span = params.satiation_pct - b.floor_pct
        excess = (ratio - b.floor_pct) / span
        weight = b.assets * span / 100.0 * np.where(b.window_dresses, 1.0 - cut, 1.0)
        return excess, weight


def make_population(
    params: ModelParams, initial: InitialState, rng: np.random.Generator
) -> Population:
    """Agents sized to the initial state. Relative-value funds are sized later, by
    :func:`size_rv_funds` (called by the simulation), so the first day clears at the
    observed SOFR."""
    p = params
    mmf_share = _shares(rng, p.n_mmf)
    mmf_cash = initial.on_rrp_usd_bn + initial.mmf_repo_usd_bn
    aum = (mmf_cash + initial.mmf_bills_usd_bn) * mmf_share
    tilt = rng.uniform(1.0 - p.mmf_bill_dispersion, 1.0 + p.mmf_bill_dispersion, p.n_mmf)
    bill_base = np.minimum(
        initial.mmf_bills_usd_bn / aum.sum() * tilt / np.average(tilt, weights=aum),
        p.mmf_max_bill_fraction,
    )
    mmf = MoneyFunds(
        aum=aum,
        bills=aum * bill_base,
        bill_base=bill_base,
        lo_bp=rng.uniform(0.0, p.mmf_lo_max_bp, p.n_mmf),
        width_bp=rng.uniform(p.mmf_width_min_bp, p.mmf_width_max_bp, p.n_mmf),
    )
    assets = initial.bank_assets_usd_bn * _shares(rng, p.n_banks)
    tilt = assets * np.exp(rng.normal(0.0, p.reserve_dispersion, p.n_banks))
    banks = Banks(
        assets=assets,
        reserve_share=tilt / tilt.sum(),
        floor_pct=np.clip(
            rng.normal(p.floor_mean_pct, p.floor_sd_pct, p.n_banks), 0.5, p.satiation_pct - 0.5
        ),
        window_dresses=rng.random(p.n_banks) < p.foreign_bank_share,
    )
    rv = RVFunds(
        equity=np.zeros(p.n_rv),
        position=np.zeros(p.n_rv),
        leverage_cap=rng.uniform(p.rv_leverage_min, p.rv_leverage_max, p.n_rv),
        basis_bp=rng.uniform(p.rv_basis_min_bp, p.rv_basis_max_bp, p.n_rv),
    )
    dealer_share = _shares(rng, p.n_dealers)
    dealers = Dealers(
        capacity=(1.0 + p.dealer_slack) * initial.mmf_repo_usd_bn * dealer_share,
        inventory=np.zeros(p.n_dealers),
        window_dresses=rng.random(p.n_dealers) < p.foreign_bank_share,
    )
    return Population(mmf, banks, rv, dealers)


def size_rv_funds(
    pop: Population, params: ModelParams, borrowing: float, rng: np.random.Generator
) -> None:
    """Give relative-value funds positions whose total repo borrowing is ``borrowing``,
    each at ``rv_target_utilisation`` of its leverage limit."""
    rv = pop.rv
    share = _shares(rng, len(rv.equity))
    target_leverage = params.rv_target_utilisation * rv.leverage_cap
    rv.equity = max(borrowing, 0.0) * share / (target_leverage - 1.0)
    rv.position = rv.equity * target_leverage


#: Bill yield over SOFR (bp) searched when clearing the bill market.
BILL_SPREAD_GRID_BP = np.arange(-300.0, 301.0, 1.0)


def mmf_step(
    pop: Population,
    params: ModelParams,
    *,
    public_bills: float,
    other_bills_base: float,
    rng: np.random.Generator,
) -> float:
    """One day of money-fund flows and the bill market; returns the bill yield over SOFR (bp).

    Fund i holds ``aum_i * clip(base_i + mmf_bill_sensitivity * x, 0, max)`` bills when bills
    yield ``x`` bp over SOFR; other holders hold ``other_bills_base * (1 +
    other_bill_sensitivity * x)``. ``x`` clears the market for the ``public_bills`` stock
    (USD bn); funds' cash not in bills goes to repo or the ON RRP. More bills cheapen bills
    and pull money-fund cash out of repo and the ON RRP, the seed's mechanism.
    """
    m = pop.mmf
    n = len(m.aum)
    growth = params.mmf_growth / DAYS_PER_YEAR + rng.normal(0.0, params.mmf_flow_vol, n)
    m.aum = m.aum * np.exp(growth)
    eta, cap, x = params.mmf_bill_sensitivity, params.mmf_max_bill_fraction, BILL_SPREAD_GRID_BP
    held = ramp_sum(-m.bill_base / eta, (cap - m.bill_base) / eta, m.aum * cap, x)
    held = held + other_bills_base * np.maximum(1.0 + params.other_bill_sensitivity * x, 0.0)
    spread = float(np.interp(public_bills, held, x))  # held is nondecreasing in x
    m.bills = m.aum * np.clip(m.bill_base + eta * spread, 0.0, cap)
    return spread


def rv_step(
    pop: Population,
    params: ModelParams,
    *,
    sofr_bp: float,
    basis_shock: float,
    leverage_mult: float,
    coupons_offered: float,
) -> float:
    """One day of relative-value funds after the market cleared at ``sofr_bp`` over IORB.

    Carry (bp) of fund j is ``basis_bp_j - sofr_bp``; it earns carry on its borrowing
    (act/360) and loses ``basis_shock`` on its position. Funds over their (possibly cut)
    leverage limit sell down to it; funds with negative carry cut ``rv_exit_speed`` of their
    book; funds with positive carry are offered ``coupons_offered`` pro rata to their spare
    room within ``rv_target_utilisation`` of their limit plus ``rv_new_capital_share`` x
    their book, and take what fits in the room plus ``rv_new_capital_share`` of the rest,
    raising the capital to hold that at the target utilisation. With a share of 1 repo
    borrowing grows with coupon issuance while the basis pays, as the 37 % anchor says; with
    0 funds buy only within their room (the calibration before, equity growth only).
    Returns the amount sold (USD bn).
    """
    rv = pop.rv
    carry_bp = rv.basis_bp - sofr_bp
    pnl = rv.borrowing * carry_bp / 1e4 / 360.0 - rv.position * basis_shock
    rv.equity = np.maximum(rv.equity * (1.0 + params.rv_equity_growth / DAYS_PER_YEAR) + pnl, 0.0)
    limit = rv.leverage_cap * leverage_mult * rv.equity
    forced = np.maximum(rv.position - limit, 0.0)
    voluntary = np.where(carry_bp < 0.0, params.rv_exit_speed * rv.position, 0.0)
    sold = np.maximum(forced, voluntary)
    rv.position = rv.position - sold
    share = params.rv_new_capital_share
    room = np.where(
        carry_bp > 0.0, np.maximum(params.rv_target_utilisation * limit - rv.position, 0.0), 0.0
    )
    weight = room + share * np.where(carry_bp > 0.0, rv.position, 0.0)
    if coupons_offered > 0.0 and weight.sum() > 0.0:
        offered = coupons_offered * weight / weight.sum()
        beyond = share * np.maximum(offered - room, 0.0)
        target = params.rv_target_utilisation * rv.leverage_cap * leverage_mult
        rv.equity = rv.equity + beyond / target
        rv.position = rv.position + np.minimum(room, offered) + beyond
    return float(sold.sum())


def dealer_step(pop: Population, params: ModelParams, absorbed: float) -> None:
    """Dealers take ``absorbed`` (USD bn) into inventory pro rata to capacity, then sell
    inventory off with half-life ``dealer_half_life_days`` and grow capacity."""
    d = pop.dealers
    d.inventory = (d.inventory + absorbed * d.capacity / d.capacity.sum()) * 0.5 ** (
        1.0 / params.dealer_half_life_days
    )
    d.capacity = d.capacity * (1.0 + params.dealer_capacity_growth / DAYS_PER_YEAR)


def build_market(
    pop: Population,
    params: ModelParams,
    *,
    reserves: float,
    on_rrp_rate_pct: float,
    iorb_pct: float,
    srf_rate_pct: float,
    srf_limit: float,
    bank_cut: float,
    dealer_cut: float,
    other_demand: float,
) -> Market:
    """Today's market from the agents' state (see :mod:`.clearing`)."""
    m, d = pop.mmf, pop.dealers
    shift = 100.0 * (on_rrp_rate_pct - iorb_pct)
    excess, weight = pop.bank_curve(reserves, params, bank_cut)
    capacity = np.where(d.window_dresses, 1.0 - dealer_cut, 1.0) * d.capacity
    return Market(
        mmf_lo_bp=m.lo_bp + shift,
        mmf_hi_bp=m.lo_bp + m.width_bp + shift,
        mmf_cash=np.maximum(m.cash, 0.0),
        dealer_capacity=float(np.maximum(capacity - d.inventory, 0.0).sum()),
        bank_excess=excess,
        bank_weight=weight,
        slope_bp=params.slope_bp,
        bank_cost_bp=params.bank_cost_bp,
        inelastic_demand=float(pop.rv.borrowing.sum() + d.inventory.sum()),
        other_demand=other_demand,
        other_lo_bp=params.other_demand_lo_bp,
        other_hi_bp=params.other_demand_hi_bp,
        srf_bp=100.0 * (srf_rate_pct - iorb_pct) - params.srf_tail_bp,
        srf_elasticity=params.srf_elasticity_bn_per_bp,
        srf_max_premium_bp=params.srf_max_premium_bp + params.srf_tail_bp,
        srf_limit=srf_limit,
    )
