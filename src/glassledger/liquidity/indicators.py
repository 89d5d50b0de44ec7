"""Cash-scarcity indicators, reserve regimes with probabilities, and alerts.

Input is the daily panel of :func:`glassledger.liquidity.data.build_panel` (rates in percent,
amounts in USD bn); output is a DataFrame on the same dates. Spreads are in **basis points**,
positive when the first rate is higher (``sofr_minus_iorb_bp > 0``: secured cash costs more
than reserves earn at the Fed).

Net liquidity (daily formula)
    ``net_liquidity = fed_assets - tga - on_rrp`` (USD bn), with ``fed_assets`` the Wednesday
    H.4.1 level (WALCL) carried forward to the following days, and TGA (DTS closing balance)
    and ON RRP (NY Fed) taken daily. SRF loans are already in WALCL (line "repurchase
    agreements"), so they are **not** added again. When a daily SRF series is supplied, the
    Wednesday SRF balance inside WALCL is swapped for the day's balance,
    ``fed_assets_d = WALCL_wed - srf_wed + srf_d``, so a one-day SRF take-up shows on its day
    and is not carried for a week.

Reserve regimes
    Afonso, Giannone, La Spada and Williams, "Scarce, Abundant, or Ample? A Time-Varying Model
    of the Reserve Demand Curve", FRB New York Staff Report 1019 (2022, rev. 2024): demand is
    satiated (flat curve, *abundant*) when reserves exceed 12-13 % of bank assets and
    increasingly steep below. We put the abundance threshold at 12.5 % with a 0.5 pp
    standard deviation (the 12-13 % band). The scarcity threshold, 9.54 % +/- 0.5 pp of the
    ratio of reserves (WRESBAL) to commercial-bank assets (H.8 TLAACBW027SBOG), is calibrated
    on data *before* the event it is meant to warn of, the September 2019 repo spike
    (:func:`calibrate_scarce_threshold`): the highest ratio such that, on the days from
    April 2018 to 13 September 2019 with a ratio at or below it, SOFR printed above IOER on
    at least 90 % of them (reserves no longer satiate the repo market). The ratio of the spike
    week itself (8.00 %) would only flag the spike once it has happened. The
    thresholds are uncertain, so a regime is reported as probabilities
    ``P(abundant) = Phi((x - 12.5) / 0.5)``, ``P(scarce) = 1 - Phi((x - 9.54) / 0.5)`` and
    ``P(ample) = 1 - P(abundant) - P(scarce)``, with x the ratio in percent. Bank assets after
    the last H.8 observation are extended at ``bank_asset_growth`` per year (flagged in the
    column ``bank_assets_extrapolated``); supply a fresh TLAACBW027SBOG to avoid this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

#: Treasury's end-of-quarter cash balance assumption quoted in seed 001 (USD bn).
DEFAULT_TGA_TARGET_USD_BN = 850.0


@dataclass(frozen=True)
class RegimeThresholds:
    """Reserve-ratio thresholds (percent of bank assets) and their uncertainty (pp)."""

    abundant_pct: float = 12.5
    abundant_sd_pct: float = 0.5
    #: Calibrated on data before the September 2019 spike (:func:`calibrate_scarce_threshold`).
    scarce_pct: float = 9.54
    scarce_sd_pct: float = 0.5


#: The September 2019 repo spike (SOFR +315 bp over IOER): the event the scarcity alert is
#: calibrated to warn of, on data that ends the business day before it starts building.
SEPT_2019_SPIKE = pd.Timestamp("2019-09-17")
SEPT_2019_CALIBRATION_END = pd.Timestamp("2019-09-13")


def calibrate_scarce_threshold(
    indicators: pd.DataFrame,
    *,
    end: pd.Timestamp = SEPT_2019_CALIBRATION_END,
    share: float = 0.9,
) -> float:
    """The scarcity threshold (percent of bank assets) from data up to ``end`` only.

    The highest reserves/bank-assets ratio ``r`` such that, on the days up to ``end`` with a
    ratio at or below ``r``, SOFR printed above IORB (IOER) on at least ``share`` of them:
    below it the repo market is no longer satiated with reserves. Days without a SOFR print
    or a ratio are left out."""
    window = indicators.loc[:end, ["reserves_to_bank_assets_pct", "sofr_minus_iorb_bp"]]
    window = window.dropna().sort_values("reserves_to_bank_assets_pct", kind="stable")
    above = (window["sofr_minus_iorb_bp"] > 0).to_numpy()
    running = np.cumsum(above) / np.arange(1, len(above) + 1)
    qualifying = np.flatnonzero(running >= share)
    if qualifying.size == 0:
        raise ValueError(f"no ratio below which SOFR exceeds IORB on {share:.0%} of the days")
    return float(window["reserves_to_bank_assets_pct"].iloc[qualifying[-1]])


def alert_lead(fired: pd.DataFrame, alert: str, event: pd.Timestamp) -> pd.Timestamp | None:
    """First day of the unbroken run of days on which ``alert`` fired that reaches the
    business day before ``event`` (days without data do not break a run); ``None`` when the
    alert was not firing then. ``fired``: the output of :func:`alerts`."""
    days = pd.DatetimeIndex(fired.loc[fired["alert"] == alert, "date"]).unique().sort_values()
    days = days[days < event]
    if days.empty or (event - days[-1]).days > 4:
        return None
    start = len(days) - 1
    while start > 0 and (days[start] - days[start - 1]).days <= 4:
        start -= 1
    return days[start]


def regime_probabilities(
    reserves_to_assets_pct: pd.Series, thresholds: RegimeThresholds = RegimeThresholds()
) -> pd.DataFrame:
    """P(abundant), P(ample), P(scarce) for each reserves/bank-assets ratio (percent).

    Probabilities sum to one; NaN ratios give NaN probabilities. ``regime`` is the most
    likely of the three.
    """
    x = reserves_to_assets_pct.to_numpy(dtype=float)
    p_abundant = norm.cdf((x - thresholds.abundant_pct) / thresholds.abundant_sd_pct)
    p_scarce = norm.sf((x - thresholds.scarce_pct) / thresholds.scarce_sd_pct)
    p_scarce = np.minimum(p_scarce, 1.0 - p_abundant)
    p_ample = 1.0 - p_abundant - p_scarce
    probs = pd.DataFrame(
        {"p_abundant": p_abundant, "p_ample": p_ample, "p_scarce": p_scarce},
        index=reserves_to_assets_pct.index,
    )
    regime = probs.fillna(-1.0).idxmax(axis=1).str.removeprefix("p_")
    probs["regime"] = regime.where(reserves_to_assets_pct.notna())
    return probs


def extended_bank_assets(panel: pd.DataFrame, growth: float) -> tuple[pd.Series, pd.Series]:
    """Bank assets (USD bn) with the gap after the last observation filled at ``growth``
    per year (decimal), and a boolean Series flagging the extrapolated days."""
    assets = panel["bank_assets_usd_bn"]
    observed = assets.dropna()
    if observed.empty:
        return assets, pd.Series(False, index=panel.index)
    last_day, last = observed.index[-1], observed.iloc[-1]
    years = (panel.index - last_day).days.to_numpy() / 365.25
    grown = pd.Series(last * (1.0 + growth) ** years, index=panel.index)
    extrapolated = assets.isna() & (panel.index > last_day)
    return assets.where(~extrapolated, grown), extrapolated


def compute_indicators(
    panel: pd.DataFrame,
    *,
    tga_target_usd_bn: float = DEFAULT_TGA_TARGET_USD_BN,
    bank_asset_growth: float = 0.02,
    thresholds: RegimeThresholds = RegimeThresholds(),
) -> pd.DataFrame:
    """All indicators on the panel's dates (see the module docstring for formulas).

    ``bank_asset_growth`` (decimal per year) extends bank assets past the last H.8 value.
    ``bill_minus_on_rrp_bp`` (3-month bill, discount basis, minus the ON RRP rate) is the
    money funds' incentive to leave the ON RRP for bills; ``net_bills_20d_usd_bn`` and
    ``net_coupons_20d_usd_bn`` are 20-day sums of net marketable issuance (cash drained into
    the TGA before it is spent). With SOFR percentiles supplied (``extra`` of ``build_panel``),
    ``sofr_p99_minus_iorb_bp`` and ``sofr_p1_minus_iorb_bp`` show the tails of the day's trades.
    Columns in basis points end in ``_bp``, amounts in ``_usd_bn``, ratios in ``_pct``;
    ``effr_position_in_range`` is 0 at the bottom of the target range and 1 at the top.
    """
    out = pd.DataFrame(index=panel.index)
    fed_assets = panel["fed_assets_usd_bn"]
    if "srf_usd_bn" in panel:
        srf = panel["srf_usd_bn"].fillna(0.0)
        wednesday_srf = srf.where(panel.index.day_of_week == 2).ffill().fillna(0.0)
        fed_assets = fed_assets - wednesday_srf + srf
        out["srf_usd_bn"] = srf
    out["fed_assets_usd_bn"] = fed_assets
    out["net_liquidity_usd_bn"] = fed_assets - panel["tga_usd_bn"] - panel["on_rrp_usd_bn"]
    # Rates are published to 2 decimals: round the spreads (to 1e-6 bp) so that SOFR at the
    # top of the range is exactly 0, not a binary-float residue.
    out["sofr_minus_iorb_bp"] = (100.0 * (panel["sofr_pct"] - panel["iorb_pct"])).round(6)
    out["sofr_minus_top_bp"] = (100.0 * (panel["sofr_pct"] - panel["range_top_pct"])).round(6)
    for tail in ("sofr_p99", "sofr_p1"):  # SOFR percentiles, when supplied
        if f"{tail}_pct" in panel:
            out[f"{tail}_minus_iorb_bp"] = 100.0 * (panel[f"{tail}_pct"] - panel["iorb_pct"])
    width = panel["range_top_pct"] - panel["range_bottom_pct"]
    out["effr_position_in_range"] = (panel["effr_pct"] - panel["range_bottom_pct"]) / width
    rrp = panel["on_rrp_usd_bn"]
    out["on_rrp_usd_bn"] = rrp
    out["on_rrp_share_of_peak_pct"] = 100.0 * rrp / rrp.cummax()
    out["on_rrp_change_20d_usd_bn"] = rrp.diff(20)
    out["reserves_usd_bn"] = panel["reserves_usd_bn"]
    assets, extrapolated = extended_bank_assets(panel, bank_asset_growth)
    out["reserves_to_bank_assets_pct"] = 100.0 * panel["reserves_usd_bn"] / assets
    out["bank_assets_extrapolated"] = extrapolated
    out["bill_minus_on_rrp_bp"] = 100.0 * (panel["bill_3m_pct"] - panel["on_rrp_rate_pct"])
    for kind in ("bills", "coupons"):
        if f"net_{kind}_usd_bn" in panel:
            out[f"net_{kind}_20d_usd_bn"] = panel[f"net_{kind}_usd_bn"].rolling(20).sum()
    out["tga_usd_bn"] = panel["tga_usd_bn"]
    out["tga_minus_target_usd_bn"] = panel["tga_usd_bn"] - tga_target_usd_bn
    return out.join(regime_probabilities(out["reserves_to_bank_assets_pct"], thresholds))


@dataclass(frozen=True)
class AlertRule:
    """An alert: fires on a day when ``column`` compared with ``threshold`` holds: above it
    (``above``) or below it, strictly unless ``inclusive`` ("at or above")."""

    name: str
    level: str
    column: str
    above: bool
    threshold: float
    message: str
    inclusive: bool = False

    def fires(self, values: pd.Series) -> pd.Series:
        """Boolean per day; False on days without a value."""
        if self.above:
            hit = values >= self.threshold if self.inclusive else values > self.threshold
        else:
            hit = values <= self.threshold if self.inclusive else values < self.threshold
        return hit & values.notna()


#: The alert rules (levels: info < warning < critical), evaluated by :func:`alerts`.
ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule(
        "sofr_above_ceiling",
        "critical",
        "sofr_minus_top_bp",
        True,
        0.0,
        "SOFR at or above the top of the range: cash is tight, the SRF is the marginal lender",
        inclusive=True,
    ),
    AlertRule(
        "srf_take_up",
        "warning",
        "srf_usd_bn",
        True,
        0.0,
        "SRF take-up: the Fed is creating reserves against collateral (new money)",
    ),
    AlertRule(
        "sofr_above_iorb",
        "warning",
        "sofr_minus_iorb_bp",
        True,
        0.0,
        "SOFR above IORB: banks need a premium to lend reserves into repo",
    ),
    AlertRule(
        "scarce_reserves_likely",
        "critical",
        "p_scarce",
        True,
        0.5,
        "reserves more likely scarce than not (below the ratio at which SOFR rose above IOER "
        "before the Sept 2019 spike)",
    ),
    AlertRule(
        "reserves_below_satiation",
        "info",
        "p_abundant",
        False,
        0.5,
        "reserves below the satiation level of the reserve demand curve (ample)",
    ),
    AlertRule(
        "on_rrp_buffer_exhausted",
        "warning",
        "on_rrp_usd_bn",
        False,
        50.0,
        "ON RRP below USD 50 bn: money funds have no idle cash left to cushion drains",
    ),
    AlertRule(
        "tga_above_target",
        "info",
        "tga_minus_target_usd_bn",
        True,
        100.0,
        "TGA more than USD 100 bn above target: the Treasury is draining liquidity",
    ),
)


def alerts(indicators: pd.DataFrame, rules: tuple[AlertRule, ...] = ALERT_RULES) -> pd.DataFrame:
    """Every (date, rule) where a rule fires, with level, value and message.

    Rules whose column is absent (e.g. SRF without SRF data) are not evaluated.
    """
    rows = []
    for rule in rules:
        if rule.column not in indicators:
            continue
        values = indicators[rule.column]
        for day, value in values[rule.fires(values)].items():
            rows.append((day, rule.name, rule.level, float(value), rule.message))
    frame = pd.DataFrame(rows, columns=["date", "alert", "level", "value", "message"])
    return frame.sort_values(["date", "alert"], kind="stable").reset_index(drop=True)


def stress_base_rates(indicators: pd.DataFrame, horizon_days: int = 20) -> pd.DataFrame:
    """Historical frequency, per most-likely regime, that SOFR reaches the top of the range
    within the next ``horizon_days`` business days.

    A base rate from the data (not a forecast): ``days`` is the number of days observed in
    the regime, ``p_sofr_at_ceiling`` the fraction followed by a ceiling touch.
    """
    spread = indicators["sofr_minus_top_bp"]
    touch = (spread >= 0).astype(float).where(spread.notna())  # no print: unknown, not 0
    ahead = touch[::-1].rolling(horizon_days, min_periods=1).max()[::-1].shift(-1)
    frame = pd.DataFrame({"regime": indicators["regime"], "ahead": ahead}).dropna()
    grouped = frame.groupby("regime")["ahead"]
    return pd.DataFrame({"days": grouped.size(), "p_sofr_at_ceiling": grouped.mean()})
