"""Replacement cost, multiplier, PFE and EAD per netting set (CRE52.1-23, 48-53).

:func:`compute_saccr` is the entry point: it validates the inputs, computes the trade-level
measures and the add-ons, and returns a :class:`SaccrResult` with three DataFrames. All
amounts are in the reporting currency; EAD is the bank's exposure to the counterparty of the
netting set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from glassledger.errors import InputError
from glassledger.risk.saccr.addons import (
    TradeMeasures,
    hedging_set_addons,
    trade_addon_contributions,
    trade_measures,
)
from glassledger.risk.saccr.agreements import (
    shared_agreement_groups,
    shared_agreement_rc,
    trade_agreements,
)
from glassledger.risk.saccr.collateral import collateral_amounts, validate_collateral
from glassledger.risk.saccr.portfolio import (
    validate_margin_agreements,
    validate_netting_sets,
    validate_trades,
)
from glassledger.risk.saccr.regimes import Bcbs2014, Cre52
from glassledger.risk.saccr.supervisory import ASSET_CLASSES, BUSINESS_DAYS_PER_YEAR

ADDON_COLUMNS = tuple(f"addon_{a.lower()}" for a in ASSET_CLASSES)


@dataclass(frozen=True)
class SaccrResult:
    """SA-CCR output.

    * ``netting_sets``: one row per netting set — margined, mpor_days, V (net market value),
      C (net collateral held, VM + NICA), nica, RC, addon per asset class, addon (aggregate),
      multiplier, PFE, EAD, ead_unmargined (the cap of margined sets; NaN if unmargined),
      premium_cap (CRE52.1 FAQ1-2 cap of a lone sold option or protection sold; else NaN),
      shared_margin_agreement; RC and EAD are NaN for netting sets under a shared margin
      agreement, whose exposure is computed per agreement;
    * ``hedging_sets``: netting_set, margin_agreement (sub-netting set of CRE52.74; '' for
      the rest), asset_class, hedging_set, addon;
    * ``trades``: trade_id, netting_set, asset_class, hedging_set, component,
      supervisory_duration, adjusted_notional, delta, maturity_factor, effective_notional,
      supervisory_factor, and the attribution addon_contribution, rc_contribution,
      ead_contribution (each sums to the netting set's add-on, RC and EAD);
    * ``margin_agreements``: one row per margin agreement covering several netting sets
      (CRE52.75-76): shared_margin_agreement, netting_sets, V_positive (sum of max(V_NS, 0)),
      V_negative (sum of min(V_NS, 0)), C (C_MA), RC, PFE (sum of unmargined PFEs), EAD.
    """

    netting_sets: pd.DataFrame
    hedging_sets: pd.DataFrame
    trades: pd.DataFrame
    regime: Bcbs2014
    margin_agreements: pd.DataFrame


def multiplier(v_minus_c: np.ndarray, addon: np.ndarray, floor: float) -> np.ndarray:
    """PFE multiplier (CRE52.23): min(1, floor + (1 - floor) exp((V - C) / (2 (1 - floor)
    AddOn))); 1 where the add-on is zero (PFE is then zero anyway)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = floor + (1.0 - floor) * np.exp(v_minus_c / (2.0 * (1.0 - floor) * addon))
    return np.where(addon > 0, np.minimum(1.0, raw), 1.0)


def margin_period_of_risk(
    terms: pd.DataFrame, trade_count: np.ndarray, regime: Bcbs2014
) -> np.ndarray:
    """MPOR in business days (CRE52.50-51): the larger of the estimate and the floor.

    Floor: 5 days cleared; 9 + re-margining period bilateral (10 when daily); 20 days for
    more than 5000 non-cleared trades or illiquid collateral / hard-to-replace derivatives;
    doubled after more than two margin-call disputes in the last two quarters.
    """
    cleared = terms["cleared"].to_numpy(dtype=bool)
    floor = np.where(
        cleared,
        regime.mpor_floor_cleared,
        regime.mpor_floor_bilateral - 1.0 + terms["remargin_days"].to_numpy(),
    )
    large = (~cleared & (trade_count > regime.large_netting_set_trades)) | terms[
        "illiquid"
    ].to_numpy(dtype=bool)
    floor = np.where(large, np.maximum(floor, regime.mpor_floor_large), floor)
    disputed = terms["disputes"].to_numpy() > regime.disputes_before_doubling
    floor = np.where(disputed, 2.0 * floor, floor)
    return np.maximum(terms["mpor_days"].to_numpy(), floor)


def remaining_maturity(trades: pd.DataFrame) -> np.ndarray:
    """M of each trade for the unmargined maturity factor, in years: its maturity, or, for a
    trade settled to market daily (``settled_daily``), the time to its next reset, one
    business day: "for a derivative contract that is structured such that on specified dates
    any outstanding exposure is settled and the terms are reset so that the fair value of the
    contract is zero, the remaining maturity equals the time until the next reset date"
    (CRE52.37(5)). CRE52.32 FAQ1: such trades are unmargined, with M at its floor of 10
    business days; E (and so the IR maturity bucket) is unchanged."""
    daily = trades["settled_daily"].to_numpy(dtype=bool)
    return np.where(daily, 1.0 / BUSINESS_DAYS_PER_YEAR, trades["maturity"].to_numpy())


def unmargined_maturity_factor(maturity: np.ndarray, regime: Bcbs2014) -> np.ndarray:
    """sqrt(min(M, 1 year) / 1 year) with M floored at 10 business days (CRE52.48-49)."""
    return np.sqrt(np.minimum(np.maximum(maturity, regime.maturity_floor_years), 1.0))


def margined_maturity_factor(mpor_days: np.ndarray) -> np.ndarray:
    """3/2 sqrt(MPOR / 1 year), MPOR in business days, 250 a year (CRE52.52-53)."""
    return 1.5 * np.sqrt(mpor_days / BUSINESS_DAYS_PER_YEAR)


def premium_caps(
    t: pd.DataFrame, codes: np.ndarray, trade_count: np.ndarray, margined: np.ndarray
) -> np.ndarray:
    """Cap of each netting set's EAD for sold options and credit protection sold (CRE52.1).

    FAQ1: "The EAD can be set to zero only for sold options that are outside netting and
    margin agreements" (premium paid up front, ``premium_paid``). FAQ2: "For credit
    derivatives where the bank is the protection seller and that are outside netting and
    margin agreements, the EAD may be capped to the amount of unpaid premia"
    (``unpaid_premium``); the bank may take such trades out of their legal netting set and
    treat them as individual unmargined transactions, i.e. give each its own netting set.
    Returns the cap per netting set (NaN where none applies). A flagged trade that shares
    its netting set or sits in a margined one is an ``InputError``: the cap is an option the
    user asked for, so it is never dropped silently.
    """
    n_sets = len(trade_count)
    cap = np.full(n_sets, np.nan)
    paid = t["premium_paid"].to_numpy(dtype=bool)
    unpaid = t["unpaid_premium"].to_numpy()
    flagged = np.flatnonzero(paid | np.isfinite(unpaid))
    if not flagged.size:
        return cap
    inside = (trade_count[codes[flagged]] > 1) | margined[codes[flagged]]
    if inside.any():
        row = flagged[np.flatnonzero(inside)[0]]
        field = "premium_paid" if paid[row] else "unpaid_premium"
        raise InputError(
            "the EAD cap of CRE52.1 FAQ1-2 applies only outside netting and margin "
            "agreements: give the trade its own unmargined netting set",
            source=t.attrs.get("source", "trades"),
            row=t["trade_id"].iloc[row],
            field=field,
            value=t[field].iloc[row],
        )
    cap[codes[flagged]] = np.where(paid[flagged], 0.0, unpaid[flagged])
    return cap


def _per_set(values: np.ndarray, agreement: np.ndarray, codes: np.ndarray, n_sets: int):
    """Sum of a margin-agreement term over the agreements of each netting set."""
    home = np.full(len(values), -1, dtype=np.int64)
    home[agreement[agreement >= 0]] = codes[agreement >= 0]
    used = home >= 0
    return np.bincount(home[used], values[used], n_sets)


def _largest(values: np.ndarray, agreement: np.ndarray, codes: np.ndarray, n_sets: int):
    """Largest value of an agreement term per netting set (NaN where none)."""
    out = np.full(n_sets, -np.inf)
    covered = agreement >= 0
    np.maximum.at(out, codes[covered], values[agreement[covered]])
    return np.where(np.isfinite(out), out, np.nan)


def _sub_netting_sets(
    codes: np.ndarray, agreement: np.ndarray, n_agreements: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-netting set of each trade (netting set x margin agreement, CRE52.74) and the
    netting set of each sub-netting set. Without agreements they are the netting sets."""
    if not (agreement >= 0).any():
        return codes, np.arange(codes.max() + 1 if len(codes) else 0)
    sub, keys = pd.factorize(codes * (n_agreements + 1) + agreement + 1, sort=False)
    return sub.astype(np.int64), (keys // (n_agreements + 1)).astype(np.int64)


def _asset_addons(measures: TradeMeasures, codes: np.ndarray, effective: np.ndarray, n_sets: int):
    hs = hedging_set_addons(measures, codes, effective)
    k = len(ASSET_CLASSES)
    per_asset = np.bincount(hs.netting_set * k + hs.asset_index, hs.addon, n_sets * k)
    return hs, per_asset.reshape(n_sets, k)


def _ead(
    v: np.ndarray, c: np.ndarray, rc: np.ndarray, addon: np.ndarray, regime: Bcbs2014
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mult = multiplier(v - c, addon, regime.multiplier_floor)
    pfe = mult * addon
    return mult, pfe, regime.alpha * (rc + pfe)


def _netting_sets(
    t: pd.DataFrame, given: pd.DataFrame
) -> tuple[np.ndarray, pd.Index, pd.DataFrame]:
    """Netting-set code of every trade, the netting-set names (those with trades first, in
    order of appearance, then those only in the terms table) and their terms, defaults filled
    in for netting sets without a row."""
    codes, used = pd.factorize(t["netting_set"].cat.codes.to_numpy(), sort=False)
    names = np.asarray(t["netting_set"].cat.categories, dtype=object)[used]
    extra = pd.Index(given["netting_set"]).difference(pd.Index(names), sort=False)
    names = pd.Index(names, dtype=object).append(pd.Index(extra, dtype=object))
    terms = validate_netting_sets(pd.DataFrame({"netting_set": names})).set_index("netting_set")
    given = given.set_index("netting_set")
    source = given.attrs.get("source", "netting sets")
    terms.loc[given.index, given.columns] = given
    terms = terms.reset_index()
    terms.attrs["source"] = source
    return codes.astype(np.int64), names, terms


@dataclass(frozen=True)
class _MarginSetup:
    """Margin terms resolved per netting set and per CRE52.74 agreement."""

    table: pd.DataFrame  # validated margin-agreement table
    agreement: np.ndarray  # row of ``table`` per trade, -1 for none
    several: np.ndarray  # per netting set: some trades under agreements (CRE52.74)
    trade_count: np.ndarray  # per netting set
    mpor: np.ndarray  # per netting set, business days (NaN unmargined)
    mpor_agreement: np.ndarray  # per agreement, business days
    margined: np.ndarray  # per netting set
    terms: pd.DataFrame  # netting-set terms, collateral by type added


def _margin_setup(
    t: pd.DataFrame,
    codes: np.ndarray,
    terms: pd.DataFrame,
    margin_agreements: pd.DataFrame | None,
    collateral: pd.DataFrame | None,
    regime: Bcbs2014,
    sources: dict[str, str],
) -> _MarginSetup:
    n_sets = len(terms)
    table = validate_margin_agreements(
        margin_agreements, source=sources.get("margin_agreements", "margin-agreements DataFrame")
    )
    agreement = trade_agreements(t, codes, terms, table)
    covered = agreement >= 0
    several = np.bincount(codes[covered], minlength=n_sets) > 0
    trade_count = np.bincount(codes, minlength=n_sets)
    own = terms["margined"].to_numpy(dtype=bool)
    mpor = np.where(own, margin_period_of_risk(terms, trade_count, regime), np.nan)
    mpor_agreement = margin_period_of_risk(
        table, np.bincount(agreement[covered], minlength=len(table)), regime
    )
    mpor = np.where(several, _largest(mpor_agreement, agreement, codes, n_sets), mpor)
    margined = own | several
    if collateral is not None:
        longest = np.zeros(n_sets)
        np.maximum.at(longest, codes, t["maturity"].to_numpy())
        items = validate_collateral(
            collateral, source=sources.get("collateral", "collateral DataFrame")
        )
        amounts = collateral_amounts(items, terms["netting_set"], margined, mpor, longest)
        terms = terms.assign(**{k: terms[k].to_numpy() + v for k, v in amounts.items()})
    return _MarginSetup(
        table, agreement, several, trade_count, mpor, mpor_agreement, margined, terms
    )


def compute_saccr(
    trades: pd.DataFrame,
    netting_sets: pd.DataFrame | None = None,
    regime: Bcbs2014 | None = None,
    margin_agreements: pd.DataFrame | None = None,
    collateral: pd.DataFrame | None = None,
    *,
    fx_rates: dict[str, float] | None = None,
    reporting_currency: str | None = None,
    sources: dict[str, str] | None = None,
) -> SaccrResult:
    """SA-CCR EAD of every netting set in ``trades`` (and in ``netting_sets``).

    ``trades`` follows :data:`~glassledger.risk.saccr.portfolio.TRADE_COLUMNS`,
    ``netting_sets`` :data:`~glassledger.risk.saccr.portfolio.NETTING_SET_COLUMNS`; a netting
    set without a row there is unmargined with no collateral. ``regime`` defaults to
    :class:`~glassledger.risk.saccr.regimes.Cre52` (alpha 1.4). ``margin_agreements``
    (:data:`~glassledger.risk.saccr.portfolio.MARGIN_AGREEMENT_COLUMNS`) holds the terms of
    the agreements that trades name in ``margin_agreement`` (CRE52.74). ``collateral``
    (:data:`~glassledger.risk.saccr.collateral.COLLATERAL_COLUMNS`) lists collateral by type;
    its supervisory-haircut values add to the netting sets' VM and IM amounts.

    Currencies: each netting set's amounts are in its ``currency`` (blank: the
    ``reporting_currency``). A trade whose ``notional_currency`` differs has its notional, mtm
    and unpaid premium converted with ``fx_rates`` (units of the reporting currency per unit
    of each currency; the reporting currency is 1), through the reporting currency when the
    netting set's is another. ``sources`` names the inputs in errors (keys ``trades``,
    ``netting_sets``, ``margin_agreements``, ``collateral``; e.g. the file names).
    """
    regime = regime or Cre52()
    sources = sources or {}
    t = validate_trades(trades, source=sources.get("trades", "trades DataFrame"))
    given = validate_netting_sets(
        netting_sets, source=sources.get("netting_sets", "netting-sets DataFrame")
    )
    codes, names, terms = _netting_sets(t, given)
    t = convert_currencies(
        t, codes, terms, fx_rates or {}, reporting_currency, sources.get("trades", "trades")
    )
    n_sets = len(names)

    m = _margin_setup(t, codes, terms, margin_agreements, collateral, regime, sources)
    terms, agreement, margined = m.terms, m.agreement, m.margined
    covered = agreement >= 0
    nica = terms["im_received"].to_numpy() - terms["im_posted_unsegregated"].to_numpy()
    c = terms["variation_margin"].to_numpy() + nica
    group, agreements = shared_agreement_groups(terms, c)
    member = group >= 0
    c = c + _per_set(m.table["variation_margin"].to_numpy(), agreement, codes, n_sets)
    v = np.bincount(codes, t["mtm"].to_numpy(), n_sets)

    measures = trade_measures(t, regime)
    mf_unmargined = unmargined_maturity_factor(remaining_maturity(t), regime)
    trade_mpor = np.where(
        covered, np.append(m.mpor_agreement, 0.0)[agreement], np.nan_to_num(m.mpor)[codes]
    )
    trade_margined = np.where(m.several[codes], covered, margined[codes])
    # a trade settled daily is unmargined whatever its netting set (CRE52.32 FAQ1)
    trade_margined &= ~t["settled_daily"].to_numpy(dtype=bool)
    mf = np.where(trade_margined, margined_maturity_factor(trade_mpor), mf_unmargined)
    effective = measures.adjusted_notional * measures.delta * mf
    sub, sub_set = _sub_netting_sets(codes, agreement, len(m.table))
    hs, sub_addons = _asset_addons(measures, sub, effective, len(sub_set))
    addons = np.zeros((n_sets, len(ASSET_CLASSES)))
    np.add.at(addons, sub_set, sub_addons)
    addon = addons.sum(axis=1)

    rc_unmargined = np.maximum(v - c, 0.0)
    threshold = terms["threshold"].to_numpy() + _per_set(
        m.table["threshold"].to_numpy(), agreement, codes, n_sets
    )
    mta = terms["mta"].to_numpy() + _per_set(m.table["mta"].to_numpy(), agreement, codes, n_sets)
    rc = np.where(margined, np.maximum(rc_unmargined, threshold + mta - nica), rc_unmargined)
    mult, pfe, ead = _ead(v, c, rc, addon, regime)

    ead_unmargined = np.full(n_sets, np.nan)
    if margined.any():
        effective_u = measures.adjusted_notional * measures.delta * mf_unmargined
        _, addons_u = _asset_addons(
            measures, codes, np.where(margined[codes], effective_u, 0.0), n_sets
        )
        _, _, ead_u = _ead(v, c, rc_unmargined, addons_u.sum(axis=1), regime)
        ead_unmargined = np.where(margined, ead_u, np.nan)
        ead = np.where(margined, np.minimum(ead, ead_u), ead)

    cap = premium_caps(t, codes, m.trade_count, margined | member)
    ead = np.where(np.isnan(cap), ead, np.minimum(ead, cap))
    shared = _shared_agreements(v, c, pfe, group, agreements, regime)
    rc = np.where(member, np.nan, rc)
    ead = np.where(member, np.nan, ead)

    netting = pd.DataFrame(
        {
            "netting_set": names.to_numpy(dtype=object),
            "margined": margined,
            "mpor_days": m.mpor,
            "trades": m.trade_count,
            "V": v,
            "C": c,
            "nica": nica,
            "RC": rc,
            **{col: addons[:, i] for i, col in enumerate(ADDON_COLUMNS)},
            "addon": addon,
            "multiplier": mult,
            "PFE": pfe,
            "EAD": ead,
            "ead_unmargined": ead_unmargined,
            "premium_cap": cap,
            "shared_margin_agreement": terms["shared_margin_agreement"].astype(object).to_numpy(),
            "currency": _set_currencies(terms, reporting_currency),
        }
    )
    agreement_names = np.append(m.table["margin_agreement"].to_numpy(dtype=object), "")
    sub_agreement = np.zeros(len(sub_set), dtype=np.int64)
    sub_agreement[sub] = agreement
    hedging = pd.DataFrame(
        {
            "netting_set": names.to_numpy(dtype=object)[sub_set[hs.netting_set]],
            "margin_agreement": agreement_names[sub_agreement[hs.netting_set]],
            "asset_class": np.asarray(ASSET_CLASSES, dtype=object)[hs.asset_index],
            "hedging_set": hs.label,
            "addon": hs.addon,
        }
    )
    per_trade = pd.DataFrame(
        {
            "trade_id": t["trade_id"],
            "netting_set": t["netting_set"],
            "asset_class": t["asset_class"],
            "hedging_set": pd.Series(
                measures.hedging_set_labels[measures.hedging_set], dtype=object
            ),
            "component": pd.Series(measures.component_labels, dtype=object),
            "supervisory_duration": measures.supervisory_duration,
            "adjusted_notional": measures.adjusted_notional,
            "delta": measures.delta,
            "maturity_factor": mf,
            "effective_notional": effective,
            "supervisory_factor": measures.supervisory_factor,
            **_attribution(t, codes, sub, measures, effective, mult, rc, ead, regime),
        }
    )
    return SaccrResult(netting, hedging, per_trade, regime, shared)


def _attribution(
    t: pd.DataFrame,
    codes: np.ndarray,
    sub: np.ndarray,
    measures: TradeMeasures,
    effective: np.ndarray,
    mult: np.ndarray,
    rc: np.ndarray,
    ead: np.ndarray,
    regime: Bcbs2014,
) -> dict[str, np.ndarray]:
    """Per-trade shares of the netting set's add-on, RC and EAD (they sum to the netting
    set's figures; see ``docs/risk-saccr.md``, "Which trade drives the EAD").

    * ``addon_contribution``: Euler allocation of each hedging-set add-on
      (:func:`~glassledger.risk.saccr.addons.trade_addon_contributions`); summed over a
      netting set it is the aggregate add-on (hedges are negative);
    * ``rc_contribution``: RC shared in proportion to the trades' positive market values
      (equally when none is positive);
    * ``ead_contribution``: ``alpha (rc_i + multiplier x addon_i)``, scaled by the netting
      set's EAD over that sum when a cap (CRE52.1 margined cap, premium caps) lowered it;
      NaN under a margin agreement covering several netting sets (their EAD is per
      agreement).
    """
    n_sets = len(rc)
    addon_i = trade_addon_contributions(measures, sub, effective)
    positive = np.maximum(t["mtm"].to_numpy(dtype=float), 0.0)
    pos_sum = np.bincount(codes, positive, n_sets)
    count = np.bincount(codes, minlength=n_sets)
    safe_rc = np.nan_to_num(rc)
    with np.errstate(divide="ignore", invalid="ignore"):
        rc_i = np.where(
            pos_sum[codes] > 0,
            safe_rc[codes] * positive / pos_sum[codes],
            safe_rc[codes] / count[codes],
        )
    raw = regime.alpha * (rc_i + mult[codes] * addon_i)
    uncapped = np.bincount(codes, raw, n_sets)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(uncapped != 0, ead / uncapped, 0.0)
    return {
        "addon_contribution": addon_i,
        "rc_contribution": rc_i,
        "ead_contribution": raw * scale[codes],
    }


def _set_currencies(terms: pd.DataFrame, reporting_currency: str | None) -> np.ndarray:
    """Currency of each netting set: its own, else the reporting currency, else ''."""
    own = terms["currency"].astype(object).to_numpy()
    fallback = (reporting_currency or "").strip().upper()
    return np.where(own == "", fallback, own).astype(object)


def convert_currencies(
    t: pd.DataFrame,
    codes: np.ndarray,
    terms: pd.DataFrame,
    fx_rates: dict[str, float],
    reporting_currency: str | None,
    source: str,
) -> pd.DataFrame:
    """Trades with notional, mtm and unpaid premium in their netting set's currency.

    ``fx_rates[CCY]`` is the number of reporting-currency units per unit of CCY (the reporting
    currency itself is 1); a trade in currency X of a netting set in currency Y is multiplied
    by ``rate(X) / rate(Y)``. A trade with a ``notional_currency`` whose netting set has no
    currency (and no ``reporting_currency``), or a currency without a rate, is refused.
    """
    trade_ccy = t["notional_currency"].astype(object).to_numpy()
    foreign = trade_ccy != ""
    if not foreign.any():
        return t
    reporting = (reporting_currency or "").strip().upper()
    set_ccy = _set_currencies(terms, reporting)[codes]
    differs = foreign & (trade_ccy != set_ccy)
    if not differs.any():
        return t
    rates = {k.upper(): float(v) for k, v in fx_rates.items()}
    if reporting:
        rates[reporting] = 1.0

    def rate_of(ccy: np.ndarray, field: str, what: str) -> np.ndarray:
        out = np.array([rates.get(c, np.nan) for c in ccy], dtype=float)
        bad = differs & np.isnan(out)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            if ccy[i] == "":
                message = (
                    "the trade's netting set has no currency to convert into: give the "
                    "netting set a currency or use --reporting-currency"
                )
            else:
                message = f"no FX rate for the {what} currency {ccy[i]}"
            raise InputError(
                message,
                source=source,
                row=t["trade_id"].iloc[i],
                field=field,
                value=ccy[i] or None,
                hint="give --fx-rate CCY=rate (reporting-currency units per unit of CCY)",
            )
        return out

    factor = rate_of(trade_ccy, "notional_currency", "trade's") / rate_of(
        set_ccy, "notional_currency", "netting set's"
    )
    factor = np.where(differs, factor, 1.0)
    converted = t.copy()
    for column in ("notional", "mtm", "unpaid_premium"):
        converted[column] = t[column].to_numpy() * factor
    return converted


def _shared_agreements(
    v: np.ndarray,
    c: np.ndarray,
    pfe: np.ndarray,
    group: np.ndarray,
    agreements: pd.Index,
    regime: Bcbs2014,
) -> pd.DataFrame:
    """EAD per margin agreement covering several netting sets (CRE52.75-76)."""
    member = group >= 0
    k = len(agreements)
    rc, positive, negative, c_ma = shared_agreement_rc(v[member], c[member], group[member], k)
    pfe_ma = np.bincount(group[member], pfe[member], k)
    return pd.DataFrame(
        {
            "shared_margin_agreement": agreements.to_numpy(dtype=object),
            "netting_sets": np.bincount(group[member], minlength=k),
            "V_positive": positive,
            "V_negative": negative,
            "C": c_ma,
            "RC": rc,
            "PFE": pfe_ma,
            "EAD": regime.alpha * (rc + pfe_ma),
        }
    )
