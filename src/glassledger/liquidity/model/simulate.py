"""The daily loop of the corridor and repo-market model.

Each business day, in order:

1. **Fed**: assets move along the scenario path (QT runoff down, reserve-management purchases
   up), except that planned runoff is skipped while reserves are below
   ``qt_stop_ratio_pct`` of bank assets (the Fed stops QT before reserves turn scarce);
   other liabilities (currency) grow. Treasury runoff is refinanced by the Treasury.
2. **Treasury**: in projections, spending minus receipts (plus tax-day receipts and noise)
   is financed by coupons settled in two lumps a month (mid-month and month end) and bills,
   which also steer the TGA toward its target over ``tga_adjust_days``; in replays the
   published TGA and net issuance are used as they are.
3. **Money funds** grow; the bill market clears the public bill stock between money funds
   and other holders at a bill yield over SOFR (:func:`.agents.mmf_step`).
4. **Relative-value funds** book yesterday's carry and today's basis shock, sell down to
   their leverage limit (or cut their book when carry is negative) and buy their share of
   the day's coupons; **dealers** take their auction share and half of funds' sales into
   inventory and sell inventory off over days.
5. **Clearing** (:func:`.clearing.clear`) in the **morning market**: repo trades early in
   the day, before the day's tax payments, Treasury settlements, redemptions and Fed
   purchases settle, so the market sees the opening reserves, ``fed assets - other
   liabilities - TGA`` as they stood at yesterday's close, less the ON RRP balance implied
   by money funds keeping yesterday's repo book (a one-day lag that avoids solving reserves
   and rates jointly). The day's demand is the day's: dealers and funds finance the coupons
   settling that day. SOFR is the clearing rate; cash that is short at the SRF cap is lent
   by the SRF (new reserves: money created against collateral). Money-fund cash not lent
   goes to the ON RRP.
6. **Close**: the day's flows settle; the reported reserves are end-of-day,
   ``fed assets + SRF - other liabilities - TGA - ON RRP``, and are the next morning's
   opening balance (SRF loans mature overnight).

Why the morning: on Monday 16 September 2019 corporate taxes and USD 54 bn of coupon
settlement moved reserves into the TGA; SOFR rose to +33 bp over IOER that day, the
market of the 17th opened with the lowest reserves of the episode (about USD 120 bn below
Friday the 13th's) and SOFR printed +315 bp (FRB New York Staff Report 918, 2020; FEDS
Notes, 27 February 2020). A market that cleared after the day's payments put the spike on
the 16th.

Everything is vectorised across agents; the loop runs over days only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from glassledger.liquidity.model.agents import (
    DAYS_PER_YEAR,
    Population,
    build_market,
    dealer_step,
    make_population,
    mmf_step,
    rv_step,
    size_rv_funds,
)
from glassledger.liquidity.model.calendar import calendar_flags
from glassledger.liquidity.model.clearing import (
    Clearing,
    Market,
    bank_supply,
    clear,
    demand,
    late_operation,
    ramp_sum,
)
from glassledger.liquidity.model.params import ModelParams
from glassledger.liquidity.model.scenario import Scenario

Progress = Callable[[int, int], None]

OUTPUT_COLUMNS = (
    "sofr_pct",
    "on_rrp_rate_pct",
    "iorb_pct",
    "srf_rate_pct",
    "sofr_minus_iorb_bp",
    "srf_usd_bn",
    "unmet_usd_bn",
    "on_rrp_usd_bn",
    "reserves_usd_bn",
    "reserves_to_bank_assets_pct",
    "tga_usd_bn",
    "fed_assets_usd_bn",
    "other_liabilities_usd_bn",
    "repo_volume_usd_bn",
    "mmf_repo_usd_bn",
    "bank_repo_usd_bn",
    "rv_borrowing_usd_bn",
    "rv_equity_usd_bn",
    "dealer_inventory_usd_bn",
    "net_bills_usd_bn",
    "net_coupons_usd_bn",
    "mmf_bills_usd_bn",
    "bill_minus_sofr_bp",
)


@dataclass(frozen=True)
class SimulationResult:
    """Daily output (columns :data:`OUTPUT_COLUMNS`; USD bn, percent, bp) of one run."""

    scenario: str
    seed: int
    daily: pd.DataFrame

    def summary(self) -> dict[str, float]:
        """Headline figures: peak and mean SOFR - IORB (bp), SRF take-up (peak USD bn, days
        used, sum of daily balances), unmet cash (USD bn, no facility), lowest reserve
        ratio (percent) and final reserves and ON RRP (USD bn)."""
        d = self.daily
        return {
            "peak_sofr_minus_iorb_bp": float(d["sofr_minus_iorb_bp"].max()),
            "mean_sofr_minus_iorb_bp": float(d["sofr_minus_iorb_bp"].mean()),
            "peak_srf_usd_bn": float(d["srf_usd_bn"].max()),
            "srf_days": float((d["srf_usd_bn"] > 0.5).sum()),
            "srf_sum_usd_bn": float(d["srf_usd_bn"].sum()),
            "peak_unmet_usd_bn": float(d["unmet_usd_bn"].max()),
            "min_reserves_to_bank_assets_pct": float(d["reserves_to_bank_assets_pct"].min()),
            "final_reserves_usd_bn": float(d["reserves_usd_bn"].iloc[-1]),
            "final_on_rrp_usd_bn": float(d["on_rrp_usd_bn"].iloc[-1]),
        }


def _calibrate_demand(
    pop: Population, scenario: Scenario, p: ModelParams, rng: np.random.Generator
) -> float:
    """Size relative-value funds so day 0 clears at the observed SOFR; returns the elastic
    ('other') demand in USD bn."""
    init = scenario.initial
    first = scenario.paths.iloc[0]
    market = build_market(
        pop,
        p,
        reserves=init.reserves_usd_bn,
        on_rrp_rate_pct=init.on_rrp_rate_pct,
        iorb_pct=init.iorb_pct,
        srf_rate_pct=float(first["srf_rate_pct"]),
        srf_limit=float(first["srf_limit_usd_bn"]),
        bank_cut=0.0,
        dealer_cut=0.0,
        other_demand=0.0,
    )
    spread = init.calibration_spread_bp
    at = np.array([100.0 * (init.sofr_pct - init.iorb_pct) if spread is None else spread])
    mmf = min(
        float(ramp_sum(market.mmf_lo_bp, market.mmf_hi_bp, market.mmf_cash, at)[0]),
        market.dealer_capacity,
    )
    supply = mmf + float(bank_supply(market, at)[0])
    other = p.other_demand_share * supply
    elastic = float(demand(replace(market, inelastic_demand=0.0, other_demand=other), at)[0])
    size_rv_funds(pop, p, supply - elastic, rng)
    return other


#: Coupons settle twice a month (mid-month and month end): each settles half a month.
BUSINESS_DAYS_PER_SETTLEMENT = 21.0 / 2.0


def treasury_day(
    p: ModelParams,
    *,
    tga: float,
    target: float,
    deficit: float,
    trend: float,
    fed_runoff: float,
    tax_day: bool,
    settlement_day: bool,
) -> tuple[float, float, float]:
    """One day of the modelled Treasury (USD bn): returns (TGA, net bills, net coupons).

    ``deficit`` is today's spending minus receipts (before tax-day receipts), ``trend`` the
    smoothed financing need (deficit plus refinancing of the Fed's runoff). Coupons carry
    ``1 - bill_share`` of the trend and settle in two lumps a month; bills carry the rest and
    close the gap to the TGA target over ``tga_adjust_days``. The TGA receives issuance and
    tax-day receipts and pays spending and the Fed's maturing holdings.
    """
    net_coupons = (
        (1.0 - p.bill_share) * trend * BUSINESS_DAYS_PER_SETTLEMENT if settlement_day else 0.0
    )
    net_bills = p.bill_share * trend + (target - tga) / p.tga_adjust_days
    receipts = p.tax_day_receipts_usd_bn if tax_day else 0.0
    return tga - deficit + receipts - fed_runoff + net_bills + net_coupons, net_bills, net_coupons


def _stress_cut(
    quarter_end: bool,
    month_end: bool,
    quarter: float,
    month: float,
    mult: float,
    month_start: bool = False,
    spill: float = 0.0,
) -> float:
    """Fraction of window-dressing agents' lending withdrawn today: the quarter- or month-end
    cut, and ``spill`` of the month-end cut on the first business day of a month."""
    if quarter_end:
        return min(quarter * mult, 1.0)
    if month_end:
        return min(month * mult, 1.0)
    if month_start:
        return min(spill * month * mult, 1.0)
    return 0.0


def simulate(
    scenario: Scenario,
    seed: int = 0,
    progress: Progress | None = None,
    params: ModelParams | None = None,
    solver: Callable[[Market], Clearing] = clear,
) -> SimulationResult:
    """Run ``scenario`` (optionally with other ``params``) with random seed ``seed``.

    ``progress(done, total)`` is called about a hundred times during the run. ``solver``
    clears each day's market (default the vectorised :func:`.clearing.clear`; the
    benchmark passes the agent-by-agent :func:`.clearing.clear_reference`).
    """
    p = params or scenario.params
    rng = np.random.default_rng(seed)
    init, days = scenario.initial, scenario.days
    n = len(days)
    flags = calendar_flags(days)
    path = {c: scenario.paths[c].to_numpy(dtype=float) for c in scenario.paths}
    pop = make_population(p, init, rng)
    other_demand = _calibrate_demand(pop, scenario, p, rng)
    out = {c: np.empty(n) for c in OUTPUT_COLUMNS}
    other_liab = init.other_liabilities_usd_bn
    tga, fed_prev = init.tga_usd_bn, init.fed_assets_usd_bn
    planned_prev = fed_prev
    ratio = 100.0 * init.reserves_usd_bn / init.bank_assets_usd_bn
    bank_assets = init.bank_assets_usd_bn
    mmf_lent = init.mmf_repo_usd_bn
    public_bills = init.public_bills_usd_bn
    other_bills_base = public_bills - init.mmf_bills_usd_bn
    sofr_bp = (
        100.0 * (init.sofr_pct - init.iorb_pct)
        if init.calibration_spread_bp is None
        else init.calibration_spread_bp
    )
    settlement = (flags["mid_month"] | flags["month_end"]).to_numpy()
    fed_path = np.r_[init.fed_assets_usd_bn, path["fed_assets_usd_bn"]]
    runoff_trend = (
        pd.Series(np.maximum(-np.diff(fed_path), 0.0))
        .rolling(21, min_periods=1, center=True)
        .mean()
        .to_numpy()
    )
    tax = flags["tax_day"].to_numpy()
    quarter_end, month_end = flags["quarter_end"].to_numpy(), flags["month_end"].to_numpy()
    month_start = flags["month_start"].to_numpy().copy()
    month_start[0] = False  # the first simulated day is not a month's turn
    late = path.get("facility_after_market")
    step = max(n // 100, 1)
    for t in range(n):
        tga_before = tga
        opening = fed_prev - other_liab - tga  # reserves + ON RRP before today's flows
        planned = path["fed_assets_usd_bn"][t] - planned_prev
        planned_prev = path["fed_assets_usd_bn"][t]
        if planned < 0.0 and ratio < p.qt_stop_ratio_pct:
            planned = 0.0  # QT paused: reserves below the Fed's stop level
        fed = fed_prev + planned
        runoff, purchases = max(-planned, 0.0), max(planned, 0.0)
        fed_prev = fed
        if "other_liabilities_usd_bn" in path:
            other_liab = path["other_liabilities_usd_bn"][t]
        else:
            other_liab *= 1.0 + p.other_liabilities_growth / DAYS_PER_YEAR
        growth = 1.0 + p.bank_asset_growth / DAYS_PER_YEAR
        bank_assets *= growth
        pop.banks.assets *= growth
        if scenario.is_replay:
            tga = path["tga_usd_bn"][t]
            net_bills, net_coupons = path["net_bills_usd_bn"][t], path["net_coupons_usd_bn"][t]
        else:
            tga, net_bills, net_coupons = treasury_day(
                p,
                tga=tga,
                target=path["tga_target_usd_bn"][t],
                deficit=path["deficit_usd_bn"][t] + rng.normal(0.0, p.deficit_noise_usd_bn),
                trend=path["deficit_usd_bn"][t] + runoff_trend[t],
                fed_runoff=runoff,
                tax_day=bool(tax[t]),
                settlement_day=bool(settlement[t]),
            )
        public_bills += net_bills - purchases
        bill_spread = mmf_step(
            pop, p, public_bills=public_bills, other_bills_base=other_bills_base, rng=rng
        )
        sold = rv_step(
            pop,
            p,
            sofr_bp=sofr_bp,
            basis_shock=path["basis_shock"][t],
            leverage_mult=path["leverage_mult"][t],
            coupons_offered=p.rv_coupon_share * max(net_coupons, 0.0),
        )
        taken_down = p.dealer_takedown * p.coupon_gross_to_net * max(net_coupons, 0.0)
        dealer_step(pop, p, taken_down + p.rv_sale_to_dealers * sold)
        mmf_cash = float(np.maximum(pop.mmf.cash, 0.0).sum())
        on_rrp = max(mmf_cash - mmf_lent, 0.0)
        # the morning market: today's payments not yet made, except the share of the TGA's
        # rise (taxes, settlements) paid before repo trades
        early = p.tga_same_day_share * max(tga - tga_before, 0.0)
        reserves = opening - on_rrp - early
        stress = path["stress_mult"][t]
        market = build_market(
            pop,
            p,
            reserves=reserves,
            on_rrp_rate_pct=path["on_rrp_rate_pct"][t],
            iorb_pct=path["iorb_pct"][t],
            srf_rate_pct=path["srf_rate_pct"][t],
            srf_limit=path["srf_limit_usd_bn"][t],
            bank_cut=_stress_cut(
                quarter_end[t],
                month_end[t],
                p.quarter_end_bank_cut,
                p.month_end_bank_cut,
                stress,
                month_start[t],
                p.month_start_cut_share,
            ),
            dealer_cut=_stress_cut(
                quarter_end[t],
                month_end[t],
                p.quarter_end_dealer_cut,
                p.month_end_dealer_cut,
                stress,
                month_start[t],
                p.month_start_cut_share,
            ),
            other_demand=other_demand,
        )
        if late is not None and late[t] > 0.0:  # the operation comes after the market
            cleared = solver(replace(market, srf_bp=float("nan")))
            lent = late_operation(market)
            cleared = replace(cleared, srf=lent, volume=cleared.volume + lent)
        else:
            cleared = solver(market)
        sofr_bp, mmf_lent = cleared.spread_bp, cleared.mmf_lent
        on_rrp = mmf_cash - mmf_lent
        reserves = fed + cleared.srf - other_liab - tga - on_rrp
        iorb = path["iorb_pct"][t]
        ratio = 100.0 * reserves / bank_assets
        row = {
            "sofr_pct": iorb + sofr_bp / 100.0,
            "on_rrp_rate_pct": path["on_rrp_rate_pct"][t],
            "iorb_pct": iorb,
            "srf_rate_pct": path["srf_rate_pct"][t],
            "sofr_minus_iorb_bp": sofr_bp,
            "srf_usd_bn": cleared.srf,
            "unmet_usd_bn": cleared.unmet,
            "on_rrp_usd_bn": on_rrp,
            "reserves_usd_bn": reserves,
            "reserves_to_bank_assets_pct": ratio,
            "tga_usd_bn": tga,
            "fed_assets_usd_bn": fed + cleared.srf,
            "other_liabilities_usd_bn": other_liab,
            "repo_volume_usd_bn": cleared.volume,
            "mmf_repo_usd_bn": cleared.mmf_lent,
            "bank_repo_usd_bn": cleared.bank_lent,
            "rv_borrowing_usd_bn": float(pop.rv.borrowing.sum()),
            "rv_equity_usd_bn": float(pop.rv.equity.sum()),
            "dealer_inventory_usd_bn": float(pop.dealers.inventory.sum()),
            "net_bills_usd_bn": net_bills,
            "net_coupons_usd_bn": net_coupons,
            "mmf_bills_usd_bn": float(pop.mmf.bills.sum()),
            "bill_minus_sofr_bp": bill_spread,
        }
        for key, value in row.items():
            out[key][t] = value
        if progress is not None and (t % step == 0 or t == n - 1):
            progress(t + 1, n)
    daily = pd.DataFrame(out, index=days)
    daily.index.name = "date"
    return SimulationResult(scenario.name, seed, daily)
