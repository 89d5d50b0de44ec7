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

from glassledger.risk.saccr.portfolio import first_occurrence
from glassledger.risk.saccr.regimes import Bcbs2014
from glassledger.risk.saccr.supervisory import (
    ASSET_CLASSES,
    BASIS_FACTOR,
    COMMODITY_HEDGING_SET,
    IR_BUCKET_BOUNDS,
    VOLATILITY_FACTOR,
    supervisory_parameters,
)

IR_BUCKET_NAMES = ("<1y", "1-5y", ">5y")

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
    hedging_set: np.ndarray  # hedging-set label code per trade (index into hedging_set_labels)
    hedging_set_labels: np.ndarray  # object array of labels
    component: np.ndarray  # component code inside the hedging set
    component_labels: np.ndarray  # object array: IR bucket, entity or commodity type per trade
    bucket: np.ndarray  # IR maturity bucket 0, 1, 2 (others 0)
    supervisory_factor: np.ndarray  # incl. basis and volatility factors
    correlation: np.ndarray  # 1 for IR and FX (not used by their formulas)


def _codes_of(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and categories (object array) of a categorical column."""
    return (
        column.cat.codes.to_numpy().astype(np.int64),
        np.asarray(column.cat.categories, dtype=object),
    )


def _parameters(asset_index: np.ndarray, subclass: pd.Series) -> tuple[np.ndarray, ...]:
    """Supervisory factor, correlation and option volatility per trade (Table 2)."""
    sub_code, sub_names = _codes_of(subclass)
    combo, uniques = pd.factorize(asset_index * (len(sub_names) + 1) + sub_code)
    table = supervisory_parameters().set_index(["asset_class", "subclass"])
    keys = pd.MultiIndex.from_arrays(
        [
            np.asarray(ASSET_CLASSES, dtype=object)[uniques // (len(sub_names) + 1)],
            sub_names[uniques % (len(sub_names) + 1)],
        ]
    )
    params = table.reindex(keys)
    return (
        params["supervisory_factor"].to_numpy(dtype=float)[combo],
        params["correlation"].fillna(1.0).to_numpy(dtype=float)[combo],
        params["option_volatility"].to_numpy(dtype=float)[combo],
    )


def trade_measures(trades: pd.DataFrame, regime: Bcbs2014) -> TradeMeasures:
    """Compute the trade-level measures of a validated trade table under ``regime``."""
    asset_index = (
        trades["asset_class"].cat.set_categories(ASSET_CLASSES).cat.codes.to_numpy()
    ).astype(np.int64)
    sf, rho, vol = _parameters(asset_index, trades["subclass"])

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

    long = (trades["position"] == "LONG").to_numpy()
    delta = np.where(long, 1.0, -1.0)
    option = (trades["instrument"] == "OPTION").to_numpy()
    if option.any():
        price, strike = regime.option_prices(trades, option)
        idx = np.flatnonzero(option)
        call = (trades["option_type"] == "CALL").to_numpy()[idx]
        delta[idx] = option_delta(
            price[idx], strike[idx], vol[idx], trades["exercise"].to_numpy()[idx], call, long[idx]
        )
    tranche = (trades["instrument"] == "TRANCHE").to_numpy()
    if tranche.any():
        idx = np.flatnonzero(tranche)
        delta[idx] = tranche_delta(
            trades["attachment"].to_numpy()[idx], trades["detachment"].to_numpy()[idx], long[idx]
        )

    basis_code, _ = _codes_of(trades["basis"])
    basis = (trades["basis"] != "").to_numpy()
    volatility = trades["volatility"].to_numpy(dtype=bool)
    sf = sf * np.where(basis, BASIS_FACTOR, 1.0) * np.where(volatility, VOLATILITY_FACTOR, 1.0)
    hs_code, hs_labels = _hedging_sets(trades, asset_index, basis_code, volatility)

    end = trades["end"].to_numpy()
    short, long_end = IR_BUCKET_BOUNDS  # E < 1y: bucket 1; 1y <= E <= 5y: bucket 2; E > 5y: 3
    ir = asset_index == 0
    bucket = np.where(ir, (end >= short).astype(np.int64) + (end > long_end), 0)
    ref_code, ref_names = _codes_of(trades["reference"])
    component = np.where(asset_index >= 2, ref_code, 0)
    component_labels = np.where(
        ir,
        np.asarray(IR_BUCKET_NAMES, dtype=object)[bucket],
        np.where(asset_index >= 2, ref_names[ref_code], ""),
    )
    return TradeMeasures(
        sd,
        adjusted,
        delta,
        asset_index,
        hs_code,
        hs_labels,
        component,
        component_labels,
        bucket.astype(np.int64),
        sf,
        rho,
    )


def _hedging_sets(
    trades: pd.DataFrame, asset_index: np.ndarray, basis_code: np.ndarray, vol: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Hedging-set code per trade and the labels of the codes (CRE52.45-47).

    IR: currency; FX: currency pair; credit and equity: one set; commodity: energy, metals,
    agricultural, other; basis and volatility trades get their own sets (suffixed labels).
    """
    ccy, ccy_names = _codes_of(trades["currency"])
    pair, pair_names = _codes_of(trades["currency_pair"])
    sub, sub_names = _codes_of(trades["subclass"])
    commodity_sets = list(dict.fromkeys(COMMODITY_HEDGING_SET.values()))
    sub_set = np.array(
        [commodity_sets.index(COMMODITY_HEDGING_SET.get(x, "OTHER")) for x in sub_names],
        dtype=np.int64,
    )
    inner = np.select(
        [asset_index == 0, asset_index == 1, asset_index == 4], [ccy, pair, sub_set[sub]], 0
    )
    width = max(len(ccy_names), len(pair_names), len(commodity_sets)) + 1
    n_basis = int(basis_code.max(initial=0)) + 1
    key = ((asset_index * width + inner) * n_basis + basis_code) * 2 + vol
    code, uniques = pd.factorize(key)
    basis_names = np.asarray(trades["basis"].cat.categories, dtype=object)
    labels = []
    for k in uniques:
        rest, is_vol = divmod(int(k), 2)
        rest, b = divmod(rest, n_basis)
        asset, i = divmod(rest, width)
        name = [ccy_names, pair_names, ["CREDIT"], ["EQUITY"], commodity_sets][asset][i]
        if basis_names[b] != "":
            name += f" basis {basis_names[b]}"
        labels.append(name + (" volatility" if is_vol else ""))
    return code.astype(np.int64), np.asarray(labels, dtype=object)


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


def hedging_set_addons(
    m: TradeMeasures, netting_set_code: np.ndarray, effective_notional: np.ndarray
) -> HedgingSetAddons:
    """Aggregate effective notionals into hedging-set add-ons (CRE52.57-70)."""
    label_code, n_label = m.hedging_set, len(m.hedging_set_labels)
    hs_key = (netting_set_code * len(ASSET_CLASSES) + m.asset_index) * n_label + label_code
    hs_id, n_hs = _codes(hs_key)

    component_code, n_component = _codes(m.component)
    comp_key = (hs_id * n_component + component_code) * 3 + m.bucket
    comp_id, n_comp = _codes(comp_key)
    first = first_occurrence(comp_id)  # first trade of each component
    comp_hs = hs_id[first]
    comp_addon = m.supervisory_factor[first] * np.bincount(comp_id, effective_notional, n_comp)
    comp_rho = m.correlation[first]

    systematic = np.bincount(comp_hs, comp_rho * comp_addon, n_hs)
    idiosyncratic = np.bincount(comp_hs, (1.0 - comp_rho**2) * comp_addon**2, n_hs)
    addon = np.sqrt(systematic**2 + idiosyncratic)

    hs_first = first_occurrence(hs_id)
    hs_asset = m.asset_index[hs_first]
    ir = hs_asset == 0
    if ir.any():
        buckets = np.bincount(comp_hs * 3 + m.bucket[first], comp_addon, n_hs * 3)
        b1, b2, b3 = buckets.reshape(n_hs, 3).T
        offset = b1**2 + b2**2 + b3**2 + 1.4 * b1 * b2 + 1.4 * b2 * b3 + 0.6 * b1 * b3
        addon = np.where(ir, np.sqrt(np.maximum(offset, 0.0)), addon)
    return HedgingSetAddons(
        netting_set_code[hs_first],
        hs_asset,
        m.hedging_set_labels[m.hedging_set[hs_first]],
        addon,
    )


def trade_addon_contributions(
    m: TradeMeasures, netting_set_code: np.ndarray, effective_notional: np.ndarray
) -> np.ndarray:
    """Each trade's share of its hedging set's add-on, by Euler allocation (currency units).

    Every SA-CCR hedging-set add-on is a positively homogeneous function of degree one of
    the trades' effective notionals d_i (CRE52.57-70), so ``AddOn = sum_i d_i dAddOn/dd_i``
    (Euler): the contributions add up exactly to the hedging set's add-on, and a hedge that
    lowers the add-on gets a negative contribution. With component add-ons
    ``A_k = SF_k sum_{i in k} d_i``: credit, equity and commodity (CRE52.61-70),
    ``AddOn = sqrt(S^2 + I)``, ``S = sum rho_k A_k``, ``I = sum (1 - rho_k^2) A_k^2``, so
    ``c_i = SF_k d_i (rho_k S + (1 - rho_k^2) A_k) / AddOn``; interest rates (CRE52.57),
    ``AddOn = sqrt(Q)`` over the maturity buckets b_1..b_3, so ``c_i = SF_i d_i (dQ/db_j) / (2
    AddOn)`` for the trade's bucket j. A hedging set with a zero add-on gives zeros.
    """
    label_code, n_label = m.hedging_set, len(m.hedging_set_labels)
    hs_key = (netting_set_code * len(ASSET_CLASSES) + m.asset_index) * n_label + label_code
    hs_id, n_hs = _codes(hs_key)
    component_code, n_component = _codes(m.component)
    comp_key = (hs_id * n_component + component_code) * 3 + m.bucket
    comp_id, n_comp = _codes(comp_key)
    first = first_occurrence(comp_id)
    comp_hs = hs_id[first]
    comp_addon = m.supervisory_factor[first] * np.bincount(comp_id, effective_notional, n_comp)
    comp_rho = m.correlation[first]
    systematic = np.bincount(comp_hs, comp_rho * comp_addon, n_hs)
    idiosyncratic = np.bincount(comp_hs, (1.0 - comp_rho**2) * comp_addon**2, n_hs)
    addon = np.sqrt(systematic**2 + idiosyncratic)
    slope = comp_rho * systematic[comp_hs] + (1.0 - comp_rho**2) * comp_addon  # per component
    hs_first = first_occurrence(hs_id)
    ir_hs = m.asset_index[hs_first] == 0
    if ir_hs.any():
        buckets = np.bincount(comp_hs * 3 + m.bucket[first], comp_addon, n_hs * 3)
        b = buckets.reshape(n_hs, 3)
        q = (
            b[:, 0] ** 2
            + b[:, 1] ** 2
            + b[:, 2] ** 2
            + 1.4 * b[:, 0] * b[:, 1]
            + 1.4 * b[:, 1] * b[:, 2]
            + 0.6 * b[:, 0] * b[:, 2]
        )
        grad = (
            np.stack(
                [
                    2 * b[:, 0] + 1.4 * b[:, 1] + 0.6 * b[:, 2],
                    2 * b[:, 1] + 1.4 * b[:, 0] + 1.4 * b[:, 2],
                    2 * b[:, 2] + 1.4 * b[:, 1] + 0.6 * b[:, 0],
                ],
                axis=1,
            )
            / 2.0
        )
        addon = np.where(ir_hs, np.sqrt(np.maximum(q, 0.0)), addon)
        ir_comp = ir_hs[comp_hs]
        slope = np.where(ir_comp, grad[comp_hs, m.bucket[first]], slope)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_unit = np.where(addon[comp_hs] > 0, slope / addon[comp_hs], 0.0)
    return m.supervisory_factor * effective_notional * per_unit[comp_id]
