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
seniority              no        ``senior`` (default) or ``subordinated``
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

from glassledger.risk import frame_checks as fc
from glassledger.risk.default_probability import pd_of_scores
from glassledger.risk.rating_scale import grade_of, scores_of

SENIOR_UNSECURED_LGD = 0.45
"""Basel II para 287 / CRE32.5 (15 Dec 2019): senior claims without recognised collateral."""
SUBORDINATED_LGD = 0.75
"""Basel II para 288 / CRE32.6 (15 Dec 2019): subordinated claims."""
FX_MISMATCH_HAIRCUT = 0.08
"""Basel II para 151: supervisory haircut for currency mismatch (10-business-day holding)."""
SENIORITY_LGD: dict[str, float] = {"senior": SENIOR_UNSECURED_LGD, "subordinated": SUBORDINATED_LGD}

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
    column = "rating" if "rating" in ratings.columns else "composite"
    fc.require_columns(ratings, ["counterparty", column], source=source)
    ids = fc.labels(ratings, "counterparty", source=source)
    duplicated = ids.duplicated().to_numpy()
    if duplicated.any():
        fc.fail_at(ratings, duplicated, "counterparty", "counterparty rated twice", source)
    scores = scores_of(ratings[column], source=source, field=column)
    return pd.Series(scores, index=pd.Index(ids.array, name="counterparty"), name="rating")


def _lookup(
    ids: pd.Categorical, scores: pd.Series, exposures: pd.DataFrame, field: str, source: str
) -> np.ndarray:
    """Score of each row's id (NaN where the id is blank); an unrated id is an error."""
    by_name = scores.reindex(ids.categories).to_numpy(dtype=float)
    unrated = np.isnan(by_name)
    if unrated.any():
        missing = np.isin(ids.codes, np.flatnonzero(unrated))
        fc.fail_at(exposures, missing, field, "no rating for this id in the ratings table", source)
    return np.append(by_name, np.nan)[ids.codes]  # code -1 (blank) picks the appended NaN


def _base_lgd(exposures: pd.DataFrame, source: str) -> np.ndarray:
    """Seniority LGD, replaced by the row's own ``lgd`` where one is given."""
    if "seniority" in exposures.columns:
        seniority = exposures["seniority"].astype("string").str.strip().str.lower().fillna("senior")
    else:
        seniority = pd.Series("senior", index=exposures.index)
    by_seniority = seniority.map(SENIORITY_LGD).to_numpy(dtype=float)
    unknown = np.isnan(by_seniority)
    if unknown.any():
        fc.fail_at(exposures, unknown, "seniority", f"must be one of {list(SENIORITY_LGD)}", source)
    own = fc.numbers(exposures, "lgd", source=source, default=np.nan, low=0.0, high=1.0)
    return np.where(np.isnan(own), by_seniority, own)


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
    ead_column = "ead" if "ead" in saccr_netting_sets.columns else "EAD"
    fc.require_columns(saccr_netting_sets, ["netting_set", ead_column], source=source)
    fc.require_columns(credit_terms, ["netting_set", "counterparty"], source=terms_source)
    terms_ids = fc.labels(credit_terms, "netting_set", source=terms_source)
    if terms_ids.duplicated().any():
        fc.fail_at(
            credit_terms,
            terms_ids.duplicated().to_numpy(),
            "netting_set",
            "netting set listed twice",
            terms_source,
        )
    exposures = pd.DataFrame(
        {
            "netting_set": fc.labels(saccr_netting_sets, "netting_set", source=source).array,
            "ead": saccr_netting_sets[ead_column].to_numpy(),
        },
        index=saccr_netting_sets.index,
    )
    terms = credit_terms.drop(columns=["ead", "EAD"], errors="ignore").assign(
        netting_set=terms_ids.array
    )
    joined = (
        exposures.reset_index(names="_row")
        .merge(terms, on="netting_set", how="left")
        .set_index("_row")
    )
    joined.index.name = None
    unmatched = joined["counterparty"].isna().to_numpy()
    if unmatched.any():
        fc.fail_at(
            joined,
            unmatched,
            "counterparty",
            "no credit terms (counterparty) for this netting set",
            source,
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
    ``lgd_effective`` after collateral, decimals. See the module docstring for the columns.
    """
    if "ead" not in exposures.columns and "EAD" in exposures.columns:  # SA-CCR's column name
        exposures = exposures.rename(columns={"EAD": "ead"})
    fc.require_columns(exposures, ["counterparty", "netting_set", "ead"], source=source)
    counterparty = fc.identifiers(exposures, "counterparty", source=source)
    netting_set = fc.labels(exposures, "netting_set", source=source)
    pair = counterparty.codes.astype(np.int64) * (len(exposures) + 1) + pd.factorize(netting_set)[0]
    duplicated = pd.Series(pair).duplicated().to_numpy()
    if duplicated.any():
        fc.fail_at(
            exposures,
            duplicated,
            "netting_set",
            "netting set listed twice for this counterparty",
            source,
        )
    ead = fc.numbers(exposures, "ead", source=source, low=0.0)
    lgd = _base_lgd(exposures, source)
    collateral = fc.numbers(exposures, "collateral_value", source=source, default=0.0, low=0.0)
    hc = fc.numbers(exposures, "collateral_haircut", source=source, default=0.0, low=0.0, high=1.0)
    he = fc.numbers(exposures, "exposure_haircut", source=source, default=0.0, low=0.0)
    hfx = np.where(fc.flags(exposures, "fx_mismatch", source=source), FX_MISMATCH_HAIRCUT, 0.0)
    guarantee = fc.numbers(exposures, "guarantee_amount", source=source, default=0.0, low=0.0)
    guarantor = fc.identifiers(exposures, "guarantor", source=source, required=False)
    named = guarantor.codes >= 0
    unnamed = (guarantee > 0) & ~named
    if unnamed.any():
        fc.fail_at(exposures, unnamed, "guarantor", "a guarantee needs a guarantor id", source)

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
            "netting_set": netting_set.array,
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
