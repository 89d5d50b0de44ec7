"""Trade-level measures and the add-ons of the five asset classes (CRE52.30-73), vectorized.

Trade level (one NumPy array per measure, no loop over trades):

* supervisory duration SD = (exp(-0.05 S) - exp(-0.05 E)) / 0.05, floored at 10 business
  days, and the adjusted notional d (CRE52.34-36);
* supervisory delta: +-1 for linear trades, the supervisory Black-Scholes delta for options,
  +-15 / ((1 + 14 A)(1 + 14 D)) for CDO tranches (CRE52.39-41);
* the hedging set and the component inside it (IR maturity bucket on E; credit or equity
  entity; commodity type), the supervisory factor (x 1/2 for basis, x 5 for volatility
  hedging sets) and the correlation (CRE52.45-47, CRE52.72-73).

Aggregation (:func:`hedging_set_addons`): components sum their effective notionals
D = d x delta x MF and multiply by the supervisory factor; hedging sets combine components
with the IR offset formula (CRE52.57), the absolute value (FX, CRE52.59) or the single-factor
formula sqrt((sum rho A)^2 + sum (1 - rho^2) A^2) (credit, equity, commodity; CRE52.61, 66, 70).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from glassledger.risk.saccr.regimes import Bcbs2014
from glassledger.risk.saccr.supervisory import (
    ASSET_CLASSES,
    BASIS_FACTOR,
    COMMODITY_HEDGING_SET,
    IR_BUCKET_BOUNDS,
    VOLATILITY_FACTOR,
    supervisory_parameters,
)

_RATE = 0.05  # CRE52.34


def supervisory_duration(start: np.ndarray, end: np.ndarray, floor_years: float) -> np.ndarray:
    """SD in years (CRE52.34): S below zero (period started) is set to zero; SD >= floor."""
    s = np.maximum(start, 0.0)
    sd = (np.exp(-_RATE * s) - np.exp(-_RATE * end)) / _RATE
    return np.maximum(sd, floor_years)


def option_delta(
    price: np.ndarray,
    strike: np.ndarray,
    vol: np.ndarray,
    expiry: np.ndarray,
    call: np.ndarray,
    bought: np.ndarray,
) -> np.ndarray:
    """Supervisory delta of options (CRE52.40): bought call +N(d1), sold call -N(d1),
    bought put -N(-d1), sold put +N(-d1), d1 = (ln(P/K) + vol^2 T / 2) / (vol sqrt(T))."""
    d1 = (np.log(price / strike) + 0.5 * vol**2 * expiry) / (vol * np.sqrt(expiry))
    magnitude = np.where(call, ndtr(d1), ndtr(-d1))
    sign = np.where(call == bought, 1.0, -1.0)
    return sign * magnitude


def tranche_delta(
    attachment: np.ndarray, detachment: np.ndarray, purchased: np.ndarray
) -> np.ndarray:
    """CDO tranche delta (CRE52.41): +15/((1+14A)(1+14D)) when protection is purchased,
    negative when sold."""
    magnitude = 15.0 / ((1.0 + 14.0 * attachment) * (1.0 + 14.0 * detachment))
    return np.where(purchased, magnitude, -magnitude)


@dataclass(frozen=True)
class TradeMeasures:
    """Per-trade SA-CCR quantities, aligned with the validated trade table."""

    supervisory_duration: np.ndarray  # years; NaN outside IR and credit
    adjusted_notional: np.ndarray  # reporting currency
    delta: np.ndarray
    asset_index: np.ndarray  # position in ASSET_CLASSES
    hedging_set: np.ndarray  # object array of labels
    component: np.ndarray  # object array: IR bucket, entity or commodity type
    bucket: np.ndarray  # IR maturity bucket 0, 1, 2 (others 0)
    supervisory_factor: np.ndarray  # incl. basis and volatility factors
    correlation: np.ndarray  # 1 for IR and FX (not used by their formulas)


def trade_measures(trades: pd.DataFrame, regime: Bcbs2014) -> TradeMeasures:
    """Compute the trade-level measures of a validated trade table under ``regime``."""
    asset = trades["asset_class"].to_numpy(dtype=object)
    asset_index = pd.Categorical(asset, categories=ASSET_CLASSES).codes.astype(np.int64)
    subclass = trades["subclass"].to_numpy(dtype=object)
    table = supervisory_parameters().set_index(["asset_class", "subclass"])
    params = table.reindex(pd.MultiIndex.from_arrays([asset, subclass]))
    sf = params["supervisory_factor"].to_numpy(dtype=float)
    rho = params["correlation"].fillna(1.0).to_numpy(dtype=float)
    vol = params["option_volatility"].to_numpy(dtype=float)

    duration_based = (asset_index == 0) | (asset_index == 2)
    sd = np.where(
        duration_based,
        supervisory_duration(
            trades["start"].to_numpy(), trades["end"].to_numpy(), regime.maturity_floor_years
        ),
        np.nan,
    )
    notional = trades["notional"].to_numpy()
    adjusted = np.where(duration_based, notional * sd, notional)

    instrument = trades["instrument"].to_numpy(dtype=object)
    long = trades["position"].to_numpy(dtype=object) == "LONG"
    delta = np.where(long, 1.0, -1.0)
    option = instrument == "OPTION"
    if option.any():
        price, strike = regime.option_prices(trades, option)
        idx = np.flatnonzero(option)
        call = trades["option_type"].to_numpy(dtype=object)[idx] == "CALL"
        delta[idx] = option_delta(
            price[idx], strike[idx], vol[idx], trades["exercise"].to_numpy()[idx], call, long[idx]
        )
    tranche = instrument == "TRANCHE"
    if tranche.any():
        idx = np.flatnonzero(tranche)
        delta[idx] = tranche_delta(
            trades["attachment"].to_numpy()[idx], trades["detachment"].to_numpy()[idx], long[idx]
        )

    hedging_set, component, bucket = _hedging_keys(trades, asset_index)
    basis = trades["basis"].to_numpy(dtype=object) != ""
    volatility = trades["volatility"].to_numpy(dtype=bool)
    sf = sf * np.where(basis, BASIS_FACTOR, 1.0) * np.where(volatility, VOLATILITY_FACTOR, 1.0)
    return TradeMeasures(sd, adjusted, delta, asset_index, hedging_set, component, bucket, sf, rho)


def _hedging_keys(
    trades: pd.DataFrame, asset_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hedging-set label, component label and IR bucket of every trade (CRE52.45-47, 57)."""
    n = len(trades)
    labels = np.empty(n, dtype=object)
    ir, fx = asset_index == 0, asset_index == 1
    labels[ir] = trades["currency"].to_numpy(dtype=object)[ir]
    labels[fx] = trades["currency_pair"].to_numpy(dtype=object)[fx]
    labels[asset_index == 2] = "CREDIT"
    labels[asset_index == 3] = "EQUITY"
    commodity = asset_index == 4
    labels[commodity] = (
        trades["subclass"][commodity].map(COMMODITY_HEDGING_SET).to_numpy(dtype=object)
    )
    basis = trades["basis"].to_numpy(dtype=object)
    has_basis = basis != ""
    if has_basis.any():
        labels[has_basis] = labels[has_basis] + " basis " + basis[has_basis]
    vol = trades["volatility"].to_numpy(dtype=bool)
    if vol.any():
        labels[vol] = labels[vol] + " volatility"

    end = trades["end"].to_numpy()
    short, long = IR_BUCKET_BOUNDS  # E < 1y: bucket 1; 1y <= E <= 5y: bucket 2; E > 5y: 3
    bucket = np.where(ir, (end >= short).astype(np.int64) + (end > long), 0)
    component = np.where(asset_index >= 2, trades["reference"].to_numpy(dtype=object), "")
    return labels, component, bucket.astype(np.int64)


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64), len(uniques)


@dataclass(frozen=True)
class HedgingSetAddons:
    """Add-ons per hedging set; ``netting_set`` holds netting-set codes."""

    netting_set: np.ndarray
    asset_index: np.ndarray
    label: np.ndarray
    addon: np.ndarray
    trade_hedging_set: np.ndarray  # hedging-set id of every trade


def hedging_set_addons(
    m: TradeMeasures, netting_set_code: np.ndarray, effective_notional: np.ndarray
) -> HedgingSetAddons:
    """Aggregate effective notionals into hedging-set add-ons (CRE52.57-70)."""
    label_code, n_label = _codes(m.hedging_set)
    hs_key = (netting_set_code * len(ASSET_CLASSES) + m.asset_index) * n_label + label_code
    hs_id, n_hs = _codes(hs_key)

    component_code, n_component = _codes(m.component)
    comp_key = (hs_id * n_component + component_code) * 3 + m.bucket
    comp_id, n_comp = _codes(comp_key)
    first = np.zeros(n_comp, dtype=np.int64)
    first[comp_id[::-1]] = np.arange(len(comp_id))[::-1]  # first trade of each component
    comp_hs = hs_id[first]
    comp_addon = m.supervisory_factor[first] * np.bincount(comp_id, effective_notional, n_comp)
    comp_rho = m.correlation[first]

    systematic = np.bincount(comp_hs, comp_rho * comp_addon, n_hs)
    idiosyncratic = np.bincount(comp_hs, (1.0 - comp_rho**2) * comp_addon**2, n_hs)
    addon = np.sqrt(systematic**2 + idiosyncratic)

    hs_first = np.zeros(n_hs, dtype=np.int64)
    hs_first[hs_id[::-1]] = np.arange(len(hs_id))[::-1]
    hs_asset = m.asset_index[hs_first]
    ir = hs_asset == 0
    if ir.any():
        buckets = np.bincount(comp_hs * 3 + m.bucket[first], comp_addon, n_hs * 3)
        b1, b2, b3 = buckets.reshape(n_hs, 3).T
        offset = b1**2 + b2**2 + b3**2 + 1.4 * b1 * b2 + 1.4 * b2 * b3 + 0.6 * b1 * b3
        addon = np.where(ir, np.sqrt(np.maximum(offset, 0.0)), addon)
    return HedgingSetAddons(
        netting_set_code[hs_first], hs_asset, m.hedging_set[hs_first], addon, hs_id
    )
