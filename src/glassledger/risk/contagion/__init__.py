"""Systemic-risk contagion on exposure networks (seed 003 and the field's standard models).

Direction convention everywhere: ``ead[i, j]`` is creditor ``i``'s exposure to debtor ``j``
(exposure tables have lenders as rows); liability matrices are the transpose (borrowers as
rows). Amounts are in one currency's units; LGD and thresholds are decimals.

Modules: :mod:`.network` (inputs and validation), :mod:`.cascade` (the seed's D_k(A)),
:mod:`.warning` (dr_j early warning), :mod:`.eisenberg_noe`, :mod:`.rogers_veraart`,
:mod:`.debtrank`, :mod:`.ranking` (systemic importance, what-if, reverse stress) and
:mod:`.plot`.
"""

from glassledger.risk.contagion.cascade import CascadeResult, cascade
from glassledger.risk.contagion.network import ExposureNetwork
from glassledger.risk.contagion.warning import (
    EarlyWarning,
    default_risk_coefficients,
    early_warning,
)

__all__ = [
    "CascadeResult",
    "EarlyWarning",
    "ExposureNetwork",
    "cascade",
    "default_risk_coefficients",
    "early_warning",
]
