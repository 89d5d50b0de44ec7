"""Early warning from the default-risk coefficient dr_j (seed 003, system-risk monitoring).

Direction convention: ``network.ead[j, i]`` is institution ``j``'s exposure (as creditor) to
``i``; ``j``'s total exposure is the row sum ``sum_i ead[j, i]``.

The seed defines the default-risk coefficient of institution ``j`` as its risk exposure over
its capital::

    dr_j = (sum_i EAD_ji) / C_j            (a pure ratio; loss_weighted: sum_i EAD_ji LGD_ji)

When some ``dr_j`` *exceeds* the alert threshold (strictly), every such institution is put in
``D_0``, the cascade (:mod:`.cascade`) runs, and every institution in the resulting sets
``D_k`` is warned. On the ledger each warning is an event visible only to the regulator and to
the warned institution; :meth:`EarlyWarning.notices` gives those records.

Zero capital: ``dr_j = inf`` when ``j`` has exposure, ``0`` when it has none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from glassledger.errors import InputError
from glassledger.risk.contagion.cascade import CascadeResult, cascade
from glassledger.risk.contagion.network import ExposureNetwork

REGULATOR = "regulator"


def default_risk_coefficients(
    network: ExposureNetwork, *, loss_weighted: bool = False
) -> pd.Series:
    """``dr_j`` = total exposure of ``j`` (as creditor; ``EAD * LGD`` if ``loss_weighted``)
    divided by ``j``'s capital. Indexed by institution; ``inf`` for exposure on zero capital."""
    exposure = (
        np.asarray(network.loss_matrix.sum(axis=1)).ravel()
        if loss_weighted
        else network.total_exposure()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(exposure > 0, exposure / network.capital, 0.0)
    return pd.Series(ratio, index=pd.Index(network.names, name="institution"), name="dr")


@dataclass(frozen=True, eq=False)
class EarlyWarning:
    """dr_j for all institutions, the flagged set ``D_0`` and the cascade that follows."""

    dr: pd.Series
    alert_threshold: float
    cascade: CascadeResult

    @property
    def flagged(self) -> list:
        """Institutions whose ``dr_j`` exceeds the threshold (they form ``D_0``)."""
        return self.cascade.defaults_by_round().get(0, [])

    @property
    def warned(self) -> list:
        """Every institution in some ``D_k`` (flagged ones first, then by round)."""
        return self.cascade.defaulted

    def table(self) -> pd.DataFrame:
        """One row per warned institution: ``institution, round, dr, reason``."""
        result = self.cascade
        rows = [
            (
                name,
                round_,
                float(self.dr[name]),
                "dr above threshold" if round_ == 0 else "cascade from flagged institutions",
            )
            for round_, names in result.defaults_by_round().items()
            for name in names
        ]
        return pd.DataFrame(rows, columns=["institution", "round", "dr", "reason"])

    def notices(self) -> list[dict]:
        """The warning events as records with their audience: the regulator and the warned
        institution only (the ledger will emit them as restricted events)."""
        return [
            {**row, "visible_to": (REGULATOR, row["institution"])}
            for row in self.table().to_dict("records")
        ]


def early_warning(
    network: ExposureNetwork,
    alert_threshold: float,
    *,
    loss_weighted: bool = False,
    capital_floor: float = 0.0,
    default_threshold: float | None = None,
) -> EarlyWarning:
    """Flag every institution with ``dr_j > alert_threshold`` (a ratio, e.g. ``5.0`` = exposure
    five times capital), assume they default, run the cascade and warn all of ``D_k``."""
    if not alert_threshold >= 0:
        raise InputError(
            "alert threshold must be >= 0", field="alert_threshold", value=alert_threshold
        )
    dr = default_risk_coefficients(network, loss_weighted=loss_weighted)
    flagged = dr.index[dr.to_numpy() > alert_threshold]
    result = cascade(
        network, flagged, capital_floor=capital_floor, default_threshold=default_threshold
    )
    return EarlyWarning(dr, alert_threshold, result)
