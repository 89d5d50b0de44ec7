"""SA-CCR: the Basel standardised approach for counterparty credit risk (BCBS 2014 / CRE52).

Stand-alone and vectorized: give it a trade table (CSV, Parquet, DataFrame or CDM JSON) and
optionally a netting-set table with margin terms; get DataFrames per netting set, hedging set
and trade. See ``docs/risk-saccr.md``.

>>> from glassledger.risk.saccr import compute_saccr, Cre52
>>> result = compute_saccr(trades, netting_sets, regime=Cre52(alpha=1.4))  # doctest: +SKIP
>>> result.netting_sets[["netting_set", "RC", "PFE", "EAD"]]  # doctest: +SKIP
"""

from glassledger.risk.saccr.collateral import COLLATERAL_COLUMNS, validate_collateral
from glassledger.risk.saccr.dates import TimePeriods, time_periods
from glassledger.risk.saccr.exposure import SaccrResult, compute_saccr
from glassledger.risk.saccr.portfolio import (
    MARGIN_AGREEMENT_COLUMNS,
    NETTING_SET_COLUMNS,
    TRADE_COLUMNS,
    load_margin_agreements,
    load_netting_sets,
    load_portfolio,
    validate_margin_agreements,
    validate_netting_sets,
    validate_trades,
)
from glassledger.risk.saccr.regimes import REGIMES, Bcbs2014, Cre52, Cre52Alpha1, regime_named
from glassledger.risk.saccr.supervisory import supervisory_parameters

__all__ = [
    "COLLATERAL_COLUMNS",
    "MARGIN_AGREEMENT_COLUMNS",
    "NETTING_SET_COLUMNS",
    "REGIMES",
    "TRADE_COLUMNS",
    "Bcbs2014",
    "Cre52",
    "Cre52Alpha1",
    "SaccrResult",
    "TimePeriods",
    "compute_saccr",
    "load_margin_agreements",
    "load_netting_sets",
    "load_portfolio",
    "regime_named",
    "supervisory_parameters",
    "time_periods",
    "validate_collateral",
    "validate_margin_agreements",
    "validate_netting_sets",
    "validate_trades",
]
