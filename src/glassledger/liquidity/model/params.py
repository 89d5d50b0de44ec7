"""Calibration of the corridor and repo-market model: agent behaviour and initial state.

Units: amounts in USD billions, rates in percent, spreads in basis points, ratios in percent
of bank assets, time in business days (252 a year). Growth rates are decimal per year.

Anchors (see docs/liquidity.md, "Calibration"):

* ``satiation_pct`` = 12.5: reserves above 12-13 % of bank assets satiate demand (Afonso,
  Giannone, La Spada, Williams, FRB New York Staff Report 1019, abstract).
* ``floor_mean_pct`` / ``slope_bp``: chosen so that the system reserve ratio of the
  September 2019 spike (8.0 %, WRESBAL / H.8 assets on 2019-09-18) leaves banks with little
  reserves they will lend at any rate, and the mid-2019 ratio (~9 %) prices SOFR a few basis
  points above IOER, as observed (+4 to +6 bp, quarterly means of the shipped data).
* ``rv_coupon_share`` = 0.37: Cayman hedge funds absorbed 37 % of net Treasury note and bond
  issuance from January 2022 to December 2024 (Federal Reserve note quoted in seed 001).
* ``srf_elasticity_bn_per_bp`` / ``srf_max_premium_bp``: on 2025-10-31 the SRF lent
  USD 50.35 bn with SOFR (4.22 %) 22 bp above the SRF rate (4.00 %): about 2.3 bn per bp;
  SOFR has not printed more than ~30 bp above the SRF rate since the SRF exists.
* ``tax_day_receipts_usd_bn`` = 80: Treasury inflows on the 16 September 2019 tax date plus
  settlement were about USD 80 bn (FRB New York, "The Repo Market Disruption of September
  2019" and contemporaneous reports); also in line with the 2025-09-15 estimate of USD 78 bn.

* The reserve demand curve shifted out after 2020 (SR1019: the slope turns negative below
  13 % in the later sample). :data:`POST_2020` holds the post-2020 values (satiation
  14.0 %, mean LCLoR 12.0 %, bank cost and slope, window dressing, money-fund ramps and
  growth, dealers, relative-value funds' new capital), fitted on 2025 January-August only
  (:func:`.fit.in_sample_loss`, ``benchmarks/corridor_search.py``), and the SRF's tail
  (``srf_tail_bp`` = 10: 30 June 2025, USD 11.1 bn taken up with SOFR 5 bp below the SRF
  rate); the held-out figures are in docs/liquidity.md. :data:`PREVIOUS_PARAMS` and
  :data:`PREVIOUS_POST_2020` give back the first issue-15 calibration (the benchmark's
  baseline).

All other behavioural values are assumptions stated next to the field; the sweep in
:mod:`.sweep` varies the most uncertain ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from glassledger.errors import ConfigError, InputError
from glassledger.liquidity.indicators import extended_bank_assets


@dataclass(frozen=True)
class ModelParams:
    """Behavioural parameters of the agents (see module docstring for anchors)."""

    # agent counts (1,000 agents by default)
    n_mmf: int = 300
    n_banks: int = 400
    n_rv: int = 200
    n_dealers: int = 100
    # banks: reserve demand v(e) = slope_bp * (1 - e) / e over IORB + bank_cost_bp, with
    # e = (rho - floor) / (satiation - floor) the bank's excess-reserve position
    satiation_pct: float = 12.5
    floor_mean_pct: float = 7.9  # lowest comfortable level of reserves (LCLoR), mean
    floor_sd_pct: float = 0.25
    slope_bp: float = 3.0
    bank_cost_bp: float = 2.0  # balance-sheet cost of lending reserves into repo
    reserve_dispersion: float = 0.08  # log-sd of banks' reserve ratios around the system's
    foreign_bank_share: float = 0.3  # share of banks that window-dress at quarter ends
    quarter_end_bank_cut: float = 0.8
    month_end_bank_cut: float = 0.2
    # window dressing spills into the first business day of the next month (share of the
    # month-end cut still in force: positions unwound late, term trades over the turn)
    month_start_cut_share: float = 0.5
    # money-market funds: lend in private repo from rrp + lo to rrp + lo + width (bp)
    mmf_lo_max_bp: float = 3.0
    mmf_width_min_bp: float = 1.0
    mmf_width_max_bp: float = 6.0
    # money funds hold bills as a fraction of assets that rises with the bill yield over SOFR
    # (per bp); other bill holders scale their holdings by other_bill_sensitivity per bp
    mmf_bill_sensitivity: float = 0.007
    other_bill_sensitivity: float = 0.005
    mmf_bill_dispersion: float = 0.3  # funds' starting bill fractions vary +/- 30 %
    mmf_max_bill_fraction: float = 0.85
    mmf_growth: float = 0.05
    mmf_flow_vol: float = 0.003  # daily log-sd of a fund's flows
    # dealers: intermediation capacity for money-fund cash, cut at quarter/month ends
    dealer_slack: float = 0.10  # capacity above money funds' initial private repo lending
    dealer_capacity_growth: float = 0.08
    quarter_end_dealer_cut: float = 0.35
    month_end_dealer_cut: float = 0.05
    dealer_takedown: float = 0.15  # share of gross coupon settlement left with dealers
    coupon_gross_to_net: float = 3.0  # gross coupon settlement per unit of net issuance
    dealer_half_life_days: float = 3.0
    # relative-value funds: long cash Treasuries financed in repo, short futures
    rv_coupon_share: float = 0.37
    rv_leverage_min: float = 20.0
    rv_leverage_max: float = 60.0
    rv_target_utilisation: float = 0.8
    rv_basis_min_bp: float = 10.0  # implied repo rate of the basis over IORB
    rv_basis_max_bp: float = 50.0
    rv_exit_speed: float = 0.03  # share of the book cut per day of negative carry
    rv_equity_growth: float = 0.10
    # share of their coupon allocation beyond spare leverage room that funds take with newly
    # raised capital (1: the basis trade absorbs rv_coupon_share of net issuance while carry
    # is positive; 0: only within room from retained earnings, as in 2019's in-sample fit)
    rv_new_capital_share: float = 0.0
    rv_sale_to_dealers: float = 0.7  # dealers are the buyers of last resort of forced sales
    # other borrowers (elastic): drop out linearly between the two spreads over IORB
    other_demand_share: float = 0.10
    other_demand_lo_bp: float = -20.0
    other_demand_hi_bp: float = 1000.0
    # Standing Repo Facility: take-up grows with the premium of SOFR over the SRF rate
    srf_elasticity_bn_per_bp: float = 2.3
    srf_max_premium_bp: float = 30.0
    # the SRF starts lending this far below its rate in SOFR terms: SOFR is the median of the
    # day's repo trades and the dearest ones pay above it (30 June 2025: USD 11.1 bn taken up
    # with SOFR 5 bp below the SRF rate); 0: take-up only once the median reaches the rate
    srf_tail_bp: float = 0.0
    # Treasury
    # share of the day's rise in the TGA (tax receipts, settlement of auctions) paid before
    # the morning repo market trades (0: the market sees yesterday's closing TGA only)
    tga_same_day_share: float = 0.09
    tga_adjust_days: float = 20.0
    bill_share: float = 0.2  # of trend net financing; bills also absorb TGA adjustments
    tax_day_receipts_usd_bn: float = 80.0
    deficit_noise_usd_bn: float = 10.0  # daily sd of Treasury net spending
    # Fed autonomous factors (currency etc.)
    other_liabilities_growth: float = 0.03
    qt_stop_ratio_pct: float = 0.0  # the Fed skips planned runoff while reserves are below
    bank_asset_growth: float = 0.02

    def __post_init__(self) -> None:
        counts = {
            "n_mmf": self.n_mmf,
            "n_banks": self.n_banks,
            "n_rv": self.n_rv,
            "n_dealers": self.n_dealers,
        }
        fractions = {
            name: getattr(self, name)
            for name in (
                "foreign_bank_share",
                "quarter_end_bank_cut",
                "month_end_bank_cut",
                "quarter_end_dealer_cut",
                "month_end_dealer_cut",
                "mmf_max_bill_fraction",
                "rv_coupon_share",
                "rv_target_utilisation",
                "rv_sale_to_dealers",
                "rv_new_capital_share",
                "dealer_takedown",
                "bill_share",
                "month_start_cut_share",
                "tga_same_day_share",
            )
        }
        bad = [f"{k}={v}" for k, v in counts.items() if v < 1]
        bad += [f"{k}={v}" for k, v in fractions.items() if not 0.0 <= v <= 1.0]
        if self.floor_mean_pct >= self.satiation_pct:
            bad.append(f"floor_mean_pct={self.floor_mean_pct} >= satiation_pct")
        if self.rv_leverage_min * self.rv_target_utilisation <= 1.0:
            bad.append("rv_leverage_min x rv_target_utilisation must exceed 1")
        if bad:
            raise ConfigError(f"invalid model parameters: {', '.join(bad)}")

    def with_(self, **changes) -> ModelParams:
        """A copy with ``changes`` applied (unknown names raise InputError)."""
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise InputError(f"unknown model parameters {sorted(unknown)}", source="params")
        return replace(self, **changes)

    @property
    def n_agents(self) -> int:
        """Total number of agents."""
        return self.n_mmf + self.n_banks + self.n_rv + self.n_dealers


#: The default parameters are the 2019 calibration; these changes give the post-2020 one.
#: The post-2020 values were fitted on in-sample data only (2025 January-August, with
#: 2019 July-13 September; see :mod:`.fit` and docs/liquidity.md, "Fit and held-out data").
POST_2020: dict[str, float] = {
    "satiation_pct": 14.0,
    "floor_mean_pct": 12.0,
    "month_end_bank_cut": 0.0,
    "quarter_end_bank_cut": 0.656,
    "month_end_dealer_cut": 0.0981,
    "quarter_end_dealer_cut": 0.387,
    "bank_cost_bp": 2.98,
    "slope_bp": 1.59,
    "foreign_bank_share": 0.273,
    "mmf_lo_max_bp": 3.56,
    "mmf_width_max_bp": 3.87,
    "mmf_growth": 0.0,
    "dealer_takedown": 0.0904,
    "dealer_half_life_days": 4.83,
    "month_start_cut_share": 0.165,
    "tga_same_day_share": 0.246,
    "rv_new_capital_share": 0.265,
    "srf_tail_bp": 10.0,
}

#: The first issue-15 calibration (benchmark baseline, see
#: :func:`glassledger.liquidity.model.scenario.previous_calibration`): relative-value funds
#: bought coupons only within spare leverage room, the SRF lent only once SOFR reached its
#: rate, and the post-2020 values below.
PREVIOUS_PARAMS: dict[str, float] = {"rv_new_capital_share": 0.0, "srf_tail_bp": 0.0}
PREVIOUS_POST_2020: dict[str, float] = {
    "satiation_pct": 13.73,
    "floor_mean_pct": 10.66,
    "month_end_bank_cut": 0.13,
    "quarter_end_bank_cut": 0.43,
    "month_end_dealer_cut": 0.03,
    "quarter_end_dealer_cut": 0.22,
    "bank_cost_bp": 2.6,
    "slope_bp": 4.2,
    "foreign_bank_share": 0.56,
    "mmf_lo_max_bp": 4.2,
    "mmf_width_max_bp": 1.76,
    "mmf_growth": 0.037,
    "dealer_takedown": 0.09,
    "dealer_half_life_days": 3.5,
    "month_start_cut_share": 0.5,
    "tga_same_day_share": 0.09,
}


@dataclass(frozen=True)
class InitialState:
    """Aggregate balances (USD bn) and rates (percent) on the first simulated day.

    ``mmf_repo_usd_bn`` (money-fund private repo lending), ``mmf_bills_usd_bn`` (their bills)
    and ``public_bills_usd_bn`` (marketable bills held outside the Fed) are not in the shipped
    data; named scenarios state the values they use (orders of magnitude of the OFR
    money-market fund monitor and the Monthly Statement of the Public Debt).
    """

    reserves_usd_bn: float
    on_rrp_usd_bn: float
    tga_usd_bn: float
    fed_assets_usd_bn: float
    bank_assets_usd_bn: float
    sofr_pct: float
    iorb_pct: float
    on_rrp_rate_pct: float
    mmf_repo_usd_bn: float
    mmf_bills_usd_bn: float
    public_bills_usd_bn: float
    #: SOFR - IORB (bp) the first day's market is calibrated to clear at; ``None``: the first
    #: day's own print. Replays use the median over their first open-market days, so a
    #: turn-of-year print does not size repo demand (2 January 2025 printed IORB + 0 bp, the
    #: following days 9-13 bp below: money funds were not fully lent).
    calibration_spread_bp: float | None = None

    @property
    def other_liabilities_usd_bn(self) -> float:
        """Fed liabilities other than reserves, ON RRP and TGA (currency, foreign pool...)."""
        return self.fed_assets_usd_bn - self.reserves_usd_bn - self.on_rrp_usd_bn - self.tga_usd_bn

    @classmethod
    def from_panel(
        cls,
        panel: pd.DataFrame,
        date: str | pd.Timestamp,
        *,
        mmf_repo_usd_bn: float,
        mmf_bills_usd_bn: float,
        public_bills_usd_bn: float,
        bank_asset_growth: float = 0.02,
        calibration_days: int = 0,
    ) -> InitialState:
        """The state on ``date`` from a data panel (bank assets extended past H.8's end).

        ``calibration_days`` > 0: calibrate the first day's market to the median SOFR - IORB
        over that many open-market days from ``date`` on (a replay's in-sample data)."""
        day = pd.Timestamp(date)
        assets, _ = extended_bank_assets(panel, bank_asset_growth)
        row = panel.loc[day]
        needed = [
            "reserves_usd_bn",
            "on_rrp_usd_bn",
            "tga_usd_bn",
            "fed_assets_usd_bn",
            "sofr_pct",
            "iorb_pct",
            "on_rrp_rate_pct",
        ]
        missing = [c for c in needed if pd.isna(row.get(c))]
        if missing or pd.isna(assets.loc[day]):
            raise InputError(
                "data panel lacks values to start the model",
                source="data panel",
                row=str(day.date()),
                value=missing or ["bank_assets_usd_bn"],
            )
        return cls(
            reserves_usd_bn=float(row["reserves_usd_bn"]),
            on_rrp_usd_bn=float(row["on_rrp_usd_bn"]),
            tga_usd_bn=float(row["tga_usd_bn"]),
            fed_assets_usd_bn=float(row["fed_assets_usd_bn"]),
            bank_assets_usd_bn=float(assets.loc[day]),
            sofr_pct=float(row["sofr_pct"]),
            iorb_pct=float(row["iorb_pct"]),
            on_rrp_rate_pct=float(row["on_rrp_rate_pct"]),
            mmf_repo_usd_bn=mmf_repo_usd_bn,
            mmf_bills_usd_bn=mmf_bills_usd_bn,
            public_bills_usd_bn=public_bills_usd_bn,
            calibration_spread_bp=(
                float(
                    (100.0 * (panel["sofr_pct"] - panel["iorb_pct"]))
                    .loc[day:]
                    .dropna()
                    .iloc[:calibration_days]
                    .median()
                )
                if calibration_days > 0
                else None
            ),
        )
