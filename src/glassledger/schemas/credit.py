"""Credit input tables: exposures and ratings for expected loss (``risk el``), credit terms
per SA-CCR netting set (``--terms``), closed-trade histories and external ratings
(``risk ratings``). Amounts in currency units, rates and LGDs decimals."""

from __future__ import annotations

from glassledger.schemas._core import Field, RowRule, Table

NAN = float("nan")

_OPTIONAL_EXPOSURE = (
    Field(
        "seniority",
        "code",
        "SENIOR (LGD 45%) or SUBORDINATED (75%), CRE32.5-6",
        default="SENIOR",
        isin=("SENIOR", "SUBORDINATED"),
    ),
    Field(
        "lgd",
        "float",
        "own LGD, overrides the seniority LGD",
        unit="decimal",
        default=NAN,
        ge=0.0,
        le=1.0,
    ),
    Field(
        "collateral_value",
        "float",
        "eligible financial collateral C",
        unit="currency units",
        default=0.0,
        ge=0.0,
    ),
    Field(
        "collateral_haircut",
        "float",
        "supervisory haircut Hc of the collateral",
        unit="decimal",
        default=0.0,
        ge=0.0,
        le=1.0,
    ),
    Field(
        "exposure_haircut",
        "float",
        "haircut He of the exposure (0 for derivatives)",
        unit="decimal",
        default=0.0,
        ge=0.0,
    ),
    Field("fx_mismatch", "bool", "collateral in another currency (Hfx = 8%)", default=False),
    Field(
        "guarantee_amount",
        "float",
        "amount guaranteed by a third party",
        unit="currency units",
        default=0.0,
        ge=0.0,
    ),
    Field("guarantor", "id", "guarantor id (rated in the ratings table)", default=None),
)

_GUARANTOR_RULE = RowRule(
    "guarantor",
    "a guarantee needs a guarantor id",
    lambda f: (f["guarantee_amount"] == 0) | f["guarantor"].notna(),
)

EXPOSURES = Table(
    name="Credit exposures",
    doc="One row per counterparty and netting set (`risk el EXPOSURES`). Other columns (such "
    "as SA-CCR output) are kept and ignored.",
    strict=False,
    fields=(
        Field("counterparty", "id", "counterparty id (rated in the ratings table)"),
        Field("netting_set", "id", "netting set id, unique per counterparty"),
        Field("ead", "float", "exposure at default", unit="currency units", ge=0.0),
        *_OPTIONAL_EXPOSURE,
    ),
    rules=(_GUARANTOR_RULE,),
)

SACCR_EXPOSURES = Table(
    name="SA-CCR exposures",
    doc="SA-CCR netting-set output (`risk saccr --out`) read by `risk el --terms`.",
    strict=False,
    fields=(
        Field("netting_set", "id", "netting set id", unique=True),
        Field(
            "EAD", "float", "exposure at default of the netting set", unit="currency units", ge=0.0
        ),
    ),
)

CREDIT_TERMS = Table(
    name="Credit terms",
    doc="Credit terms per SA-CCR netting set (`risk el --terms`).",
    strict=False,
    fields=(
        Field("netting_set", "id", "netting set id, as in the SA-CCR output", unique=True),
        Field("counterparty", "id", "counterparty id (rated in the ratings table)"),
        *_OPTIONAL_EXPOSURE,
    ),
    rules=(_GUARANTOR_RULE,),
)

RATINGS = Table(
    name="Ratings",
    doc="A rating per counterparty (`risk el RATINGS`); the output of `risk ratings --out` "
    "works too (its `composite` column is read when there is no `rating`).",
    key="counterparty",
    strict=False,
    fields=(
        Field("counterparty", "id", "counterparty id", unique=True),
        Field("rating", "text", "grade (AAA..D, such as BBB+) or score 0..21", default=None),
        Field("composite", "text", "composite rating of `risk ratings` output", default=None),
    ),
    rules=(
        RowRule(
            "rating",
            "needs a rating (or a composite column)",
            lambda f: f["rating"].notna() | f["composite"].notna(),
        ),
    ),
)

TRADE_HISTORY = Table(
    name="Closed trades",
    doc="Closed-trade history for internal ratings (`risk ratings TRADES`).",
    strict=False,
    min_rows=0,
    fields=(
        Field("counterparty", "id", "counterparty id"),
        Field("trade_id", "id", "trade id, unique per counterparty"),
        Field("closed_at", "date", "when the trade closed (matured or defaulted)"),
        Field("size", "float", "trade size", unit="currency units", ge=0.0),
        Field("tenor_years", "float", "tenor", unit="years", ge=0.0),
        Field(
            "collateral_value",
            "float",
            "collateral held",
            unit="currency units",
            default=0.0,
            ge=0.0,
        ),
        Field(
            "guarantee_amount",
            "float",
            "third-party guarantee",
            unit="currency units",
            default=0.0,
            ge=0.0,
        ),
        Field("margined", "bool", "margined trade", default=False),
        Field("defaulted", "bool", "the counterparty defaulted on the trade", default=False),
        Field(
            "recovery_rate",
            "float",
            "recovery on default (required where defaulted)",
            unit="decimal",
            default=NAN,
            ge=0.0,
            le=1.0,
        ),
    ),
    rules=(
        RowRule(
            "recovery_rate",
            "a defaulted trade needs its recovery_rate",
            lambda f: ~f["defaulted"] | f["recovery_rate"].notna(),
        ),
    ),
)

EXTERNAL_RATINGS = Table(
    name="External ratings",
    doc="External (agency) ratings over time (`risk ratings --external`).",
    key="counterparty",
    strict=False,
    fields=(
        Field("counterparty", "id", "counterparty id"),
        Field("as_of", "date", "date of the rating"),
        Field("rating", "text", "grade (AAA..D) or score 0..21"),
    ),
)
