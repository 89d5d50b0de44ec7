"""Rogers-Veraart clearing with default costs.

Reference: L. C. G. Rogers and L. A. M. Veraart (2013), "Failure and Rescue in an Interbank
Network", Management Science 59(4), 882-898: the greatest clearing vector algorithm
(definition 3.6) with default costs ``(alpha, beta)``.

Direction convention: ``liabilities[i, j]`` is what ``i`` owes ``j`` (**borrowers as rows**),
the transpose of the exposure matrix (see :func:`.eisenberg_noe.liabilities_of`).

A solvent institution pays its obligations ``pbar_i`` in full. An institution whose assets
``e_i + sum_j Pi_ji p_j`` fall short of ``pbar_i`` defaults and then realises only the
fraction ``alpha`` of its external assets and ``beta`` of its interbank assets, paying
``alpha e_i + beta sum_j Pi_ji p_j``. ``alpha = beta = 1`` is Eisenberg-Noe. Default costs make
the payment function discontinuous, so defaults cascade further than without costs. The
algorithm starts from full payment and grows the default set wave by wave, solving the
defaulted payments exactly each wave, which yields the greatest clearing vector.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from glassledger.risk.contagion.eisenberg_noe import ClearingResult, clear


def rogers_veraart(
    liabilities: np.ndarray | sp.sparray | sp.spmatrix | pd.DataFrame,
    external_assets: Sequence[float] | np.ndarray,
    external_liabilities: Sequence[float] | np.ndarray | float = 0.0,
    *,
    alpha: float,
    beta: float,
    names: Sequence[Hashable] | None = None,
) -> ClearingResult:
    """Greatest clearing vector with default costs ``alpha`` (fraction of external assets
    realised in default) and ``beta`` (fraction of interbank assets realised), both in
    ``[0, 1]``. Liabilities have borrowers as rows; amounts in currency units."""
    return clear(
        liabilities,
        external_assets,
        external_liabilities,
        alpha=alpha,
        beta=beta,
        names=names,
    )
