"""Expected loss EL = PD x EAD x LGD per counterparty and netting set (seed 003, formula 1).

Seed 003 measures counterparty credit risk by its expected loss, the product of the
counterparty's probability of default (PD), the exposure at default (EAD) and the loss given
default (LGD). Here:

* **EAD** is an input column, in currency units, the exposure of the reporting party to the
  counterparty for one netting set, as the SA-CCR engine (``risk.saccr``) outputs it.
* **PD** is the one-year PD of the counterparty's composite rating (``risk.rating``) read from
  the S&P default-study table (``risk.default_probability``), optionally floored.
* **LGD** follows the Basel foundation IRB approach: 45% for senior unsecured claims (Basel II
  para 287, Basel Framework CRE32.5 as in force from 15 Dec 2019), 75% for subordinated claims
  (para 288, CRE32.6), unless the row gives its own ``lgd``. Eligible financial collateral
  lowers it to the effective ``LGD* = LGD x E*/E`` (para 291) with the exposure after risk
  mitigation of the comprehensive approach ``E* = max(0, E(1 + He) - C(1 - Hc - Hfx))``
  (para 147), where ``Hfx`` is the 8% supervisory haircut for a currency mismatch (para 151).
* **Guarantees** work by PD substitution (para 302): the guaranteed part of the EAD (at most the
  EAD) takes the guarantor's PD when that is lower than the obligor's; the rest keeps the
  obligor's. Both parts keep the row's effective LGD.

Collateral already netted in the EAD (SA-CCR's replacement cost subtracts the net collateral
held) must not be entered again as ``collateral_value``: only collateral the EAD ignores.

Exposures table columns (one row per counterparty and netting set):

=====================  ========  ==============================================================
column                 required  meaning
=====================  ========  ==============================================================
counterparty           yes       counterparty id (rated in the ratings table)
netting_set            yes       netting set id, unique per counterparty
ead                    yes       exposure at default, currency units, >= 0
seniority              no        ``senior`` (default) or ``subordinated`` (any case)
lgd                    no        own LGD estimate, decimal 0..1, overrides the seniority LGD
collateral_value       no        eligible financial collateral C, currency units, >= 0
collateral_haircut     no        supervisory haircut Hc of the collateral, decimal 0..1
exposure_haircut       no        haircut He of the exposure, decimal >= 0 (0 for derivatives)
fx_mismatch            no        collateral in another currency than the exposure (Hfx = 8%)
guarantee_amount       no        amount guaranteed by a third party, currency units, >= 0
guarantor              no        guarantor id (rated in the ratings table); needed if guaranteed
=====================  ========  ==============================================================

The SA-CCR output (``risk.saccr``'s ``netting_sets`` table, with ``netting_set`` and ``EAD``)
has no counterparty column: :func:`exposures_from_saccr` joins it with a credit-terms table
per netting set (``netting_set``, ``counterparty`` and any optional column above).

Ratings table columns: ``counterparty`` and ``rating`` (a grade such as ``BBB+`` or a score
0..21; the ``composite`` column of ``risk.rating``'s output is read if ``rating`` is absent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassledger.risk.default_probability import pd_of_scores
from glassledger.risk.rating_scale import grade_of, scores_of
from glassledger.schemas import fail_at, validate
from glassledger.schemas.credit import CREDIT_TERMS, EXPOSURES, RATINGS, SACCR_EXPOSURES

SENIOR_UNSECURED_LGD = 0.45
"""Basel II para 287 / CRE32.5 (15 Dec 2019): senior claims without recognised collateral."""
SUBORDINATED_LGD = 0.75
"""Basel II para 288 / CRE32.6 (15 Dec 2019): subordinated claims."""
FX_MISMATCH_HAIRCUT = 0.08
"""Basel II para 151: supervisory haircut for currency mismatch (10-business-day holding)."""
SENIORITY_LGD: dict[str, float] = {"SENIOR": SENIOR_UNSECURED_LGD, "SUBORDINATED": SUBORDINATED_LGD}

OUTPUT_COLUMNS = [
    "counterparty",
    "netting_set",
    "ead",
    "rating",
    "grade",
    "pd",
    "lgd",
    "lgd_effective",
    "guaranteed_ead",
    "guarantor",
    "guarantor_pd",
    "el",
]


def exposure_after_collateral(
    exposure: np.ndarray,
    collateral: np.ndarray,
    *,
    collateral_haircut: np.ndarray | float = 0.0,
    exposure_haircut: np.ndarray | float = 0.0,
    fx_haircut: np.ndarray | float = 0.0,
) -> np.ndarray:
    """``E* = max(0, E(1 + He) - C(1 - Hc - Hfx))`` (Basel II para 147), currency units."""
    e = np.asarray(exposure, dtype=float)
    c = np.asarray(collateral, dtype=float)
    return np.maximum(
        0.0, e * (1.0 + exposure_haircut) - c * (1.0 - collateral_haircut - fx_haircut)
    )


def effective_lgd(lgd: np.ndarray, exposure: np.ndarray, exposure_star: np.ndarray) -> np.ndarray:
    """``LGD* = LGD x E*/E`` (Basel II para 291), decimal; ``LGD`` itself where ``E = 0``."""
    e = np.asarray(exposure, dtype=float)
    ratio = np.divide(exposure_star, e, out=np.ones_like(e), where=e > 0)
    return np.asarray(lgd, dtype=float) * ratio


def counterparty_scores(ratings: pd.DataFrame, *, source: str = "ratings") -> pd.Series:
    """Rating score (0..21) per counterparty id, from a ratings table (one row per id)."""
    ratings = validate(ratings, RATINGS, source=source)
    column = "rating" if ratings["rating"].notna().any() else "composite"
    values = ratings[column]
    if ratings.index.name == "line":
        values = values.set_axis([f"line {k}" for k in ratings.index])
    scores = scores_of(values, source=source, field=column)
    return pd.Series(
        scores,
        index=pd.Index(ratings["counterparty"].to_numpy(), name="counterparty"),
        name="rating",
    )


def _lookup(
    ids: pd.Categorical, scores: pd.Series, exposures: pd.DataFrame, field: str, source: str
) -> np.ndarray:
    """Score of each row's id (NaN where the id is blank); an unrated id is an error."""
    by_name = scores.reindex(ids.categories).to_numpy(dtype=float)
    unrated = np.isnan(by_name)
    if unrated.any():
        missing = np.isin(ids.codes, np.flatnonzero(unrated))
        fail_at(
            exposures,
            missing,
            field,
            "no rating for this id in the ratings table",
            source,
            hint="add the id to the ratings table (ids are text: 007 and 7 differ)",
        )
    return np.append(by_name, np.nan)[ids.codes]  # code -1 (blank) picks the appended NaN


def exposures_from_saccr(
    saccr_netting_sets: pd.DataFrame,
    credit_terms: pd.DataFrame,
    *,
    source: str = "SA-CCR netting sets",
    terms_source: str = "credit terms",
) -> pd.DataFrame:
    """Exposures table from SA-CCR output (``netting_set``, ``EAD``) and credit terms per netting
    set (``netting_set``, ``counterparty``, optional seniority/collateral/guarantee columns).

    Every SA-CCR netting set needs exactly one terms row; otherwise :class:`InputError` names it.
    """
    if "EAD" not in saccr_netting_sets.columns and "ead" in saccr_netting_sets.columns:
        saccr_netting_sets = saccr_netting_sets.rename(columns={"ead": "EAD"})
    saccr = validate(saccr_netting_sets, SACCR_EXPOSURES, source=source)
    terms = validate(credit_terms, CREDIT_TERMS, source=terms_source)
    exposures = pd.DataFrame(
        {"netting_set": saccr["netting_set"].to_numpy(), "ead": saccr["EAD"].to_numpy()},
        index=saccr.index,
    )
    terms = terms.drop(columns=["ead", "EAD"], errors="ignore")
    joined = (
        exposures.reset_index(names="_row")
        .merge(terms.reset_index(drop=True), on="netting_set", how="left")
        .set_index("_row")
    )
    joined.index.name = saccr.index.name
    fail_at(
        joined,
        joined["counterparty"].isna().to_numpy(),
        "counterparty",
        "no credit terms (counterparty) for this netting set",
        source,
        hint=f"add a row for it to {terms_source}",
    )
    return joined


def expected_loss(
    exposures: pd.DataFrame,
    ratings: pd.DataFrame,
    *,
    pd_floor: float = 0.0,
    source: str = "exposures",
    ratings_source: str = "ratings",
) -> pd.DataFrame:
    """Expected loss per counterparty and netting set, one output row per input row.

    Returns the columns of :data:`OUTPUT_COLUMNS`: the EAD and guaranteed EAD and ``el`` in the
    EAD's currency units (the loss the reporting party expects from the counterparty's default
    over one year); ``rating`` the score 0..21 and ``grade`` its label; ``pd`` and
    ``guarantor_pd`` one-year decimals (``pd_floor`` applied, e.g. 0.0003); ``lgd`` before and
    ``lgd_effective`` after collateral, decimals. The exposures follow
    :data:`glassledger.schemas.credit.EXPOSURES`.
    """
    if "ead" not in exposures.columns and "EAD" in exposures.columns:  # SA-CCR's column name
        exposures = exposures.rename(columns={"EAD": "ead"})
    exposures = validate(exposures, EXPOSURES, source=source)
    counterparty = pd.Categorical(exposures["counterparty"].to_numpy(dtype=object))
    netting_set = exposures["netting_set"].to_numpy(dtype=object)
    pair = counterparty.codes.astype(np.int64) * (len(exposures) + 1) + pd.factorize(netting_set)[0]
    fail_at(
        exposures,
        pd.Series(pair).duplicated().to_numpy(),
        "netting_set",
        "netting set listed twice for this counterparty",
        source,
    )
    ead = exposures["ead"].to_numpy(dtype=float)
    own_lgd = exposures["lgd"].to_numpy(dtype=float)
    by_seniority = exposures["seniority"].map(SENIORITY_LGD).to_numpy(dtype=float)
    lgd = np.where(np.isnan(own_lgd), by_seniority, own_lgd)
    collateral = exposures["collateral_value"].to_numpy(dtype=float)
    hc = exposures["collateral_haircut"].to_numpy(dtype=float)
    he = exposures["exposure_haircut"].to_numpy(dtype=float)
    hfx = np.where(exposures["fx_mismatch"].to_numpy(dtype=bool), FX_MISMATCH_HAIRCUT, 0.0)
    guarantee = exposures["guarantee_amount"].to_numpy(dtype=float)
    guarantor = pd.Categorical(exposures["guarantor"].to_numpy(dtype=object))
    named = guarantor.codes >= 0

    scores = counterparty_scores(ratings, source=ratings_source)
    obligor_score = _lookup(counterparty, scores, exposures, "counterparty", source)
    obligor_pd = pd_of_scores(obligor_score, floor=pd_floor)
    guarantor_score = _lookup(guarantor, scores, exposures, "guarantor", source)
    guarantor_pd = np.where(
        named, pd_of_scores(np.nan_to_num(guarantor_score), floor=pd_floor), np.nan
    )

    lgd_star = effective_lgd(
        lgd,
        ead,
        exposure_after_collateral(
            ead, collateral, collateral_haircut=hc, exposure_haircut=he, fx_haircut=hfx
        ),
    )
    guaranteed = np.where(named, np.minimum(guarantee, ead), 0.0)
    substitute_pd = np.where(named, np.fmin(guarantor_pd, obligor_pd), obligor_pd)
    el = lgd_star * (obligor_pd * (ead - guaranteed) + substitute_pd * guaranteed)
    return pd.DataFrame(
        {
            "counterparty": counterparty,
            "netting_set": netting_set,
            "ead": ead,
            "rating": obligor_score,
            "grade": grade_of(obligor_score),
            "pd": obligor_pd,
            "lgd": lgd,
            "lgd_effective": lgd_star,
            "guaranteed_ead": guaranteed,
            "guarantor": guarantor,
            "guarantor_pd": guarantor_pd,
            "el": el,
        },
        index=exposures.index,
    )


def expected_loss_by_counterparty(netting_sets: pd.DataFrame) -> pd.DataFrame:
    """Totals of :func:`expected_loss` output per counterparty: ``ead``, ``el`` (currency
    units), ``netting_sets`` (count) and ``el_rate = el / ead`` (decimal, NaN when EAD is 0)."""
    totals = netting_sets.groupby("counterparty", sort=True).agg(
        netting_sets=("netting_set", "size"), ead=("ead", "sum"), el=("el", "sum")
    )
    totals["el_rate"] = totals["el"] / totals["ead"].where(totals["ead"] > 0)
    return totals.reset_index()
