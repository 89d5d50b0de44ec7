"""Margin agreements that do not match netting sets one to one (CRE52.74-77).

* CRE52.75-76, one margin agreement covering several netting sets (netting-set column
  ``shared_margin_agreement``). Collateral is exchanged on the net value of all of them, so
  it cannot be allocated for the replacement cost, which is computed once per agreement::

      RC_MA = max{ sum_NS max{V_NS; 0} - max{C_MA; 0}; 0 }
            + max{ sum_NS min{V_NS; 0} - min{C_MA; 0}; 0 }

  (sums over the netting sets NS in the agreement MA; V_NS the market value of netting set
  NS, C_MA the haircut value of all collateral currently available under the agreement, VM
  and NICA, + held / - posted). The first term is the bank's uncollateralised exposure less
  the collateral it holds, the second the collateral it posted less what it owes. The PFE is
  the sum of the netting sets' unmargined PFEs (CRE52.76), ``PFE_MA = sum_NS PFE_NS``, each
  with its multiplier computed on the collateral allocated to it (CRE52.76 FAQ1); and
  ``EAD_MA = alpha (RC_MA + PFE_MA)``. CRE52.77: collateral taken outside netting sets that
  covers several of them is entered the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassledger.errors import InputError

#: Netting-set columns that a member of a shared margin agreement must leave at their
#: defaults: CRE52.75's RC has no threshold or MTA and CRE52.76's PFE is unmargined.
_NOT_FOR_MEMBERS = ("margined", "threshold", "mta", "mpor_days")


def shared_agreement_rc(v: np.ndarray, c: np.ndarray, group: np.ndarray, n_groups: int):
    """CRE52.75 per agreement: (RC_MA, sum max(V_NS, 0), sum min(V_NS, 0), C_MA).

    ``v`` and ``c`` are the value and the allocated collateral of each member netting set,
    ``group`` its agreement code in 0..n_groups-1.
    """
    positive = np.bincount(group, np.maximum(v, 0.0), n_groups)
    negative = np.bincount(group, np.minimum(v, 0.0), n_groups)
    c_ma = np.bincount(group, c, n_groups)
    rc = np.maximum(positive - np.maximum(c_ma, 0.0), 0.0) + np.maximum(
        negative - np.minimum(c_ma, 0.0), 0.0
    )
    return rc, positive, negative, c_ma


def shared_agreement_groups(terms: pd.DataFrame, c: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Agreement code of each netting set (-1 if none) and the agreement names; validates.

    Members must leave ``margined``, ``threshold``, ``mta`` and ``mpor_days`` at their
    defaults, and the collateral allocated to each (``variation_margin`` + NICA) must not
    have the opposite sign of the agreement's total C_MA: our reading of the allocation
    limits of CRE52.76 FAQ1, within which "banks may allocate available collateral at
    their discretion".
    """
    names = terms["shared_margin_agreement"].astype(object).to_numpy()
    member = names != ""
    group = np.full(len(terms), -1, dtype=np.int64)
    if not member.any():
        return group, pd.Index([], dtype=object)
    codes, agreements = pd.factorize(names[member])
    group[member] = codes

    def refuse(bad: np.ndarray, field: str, message: str) -> None:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                message,
                source="netting sets",
                row=terms["netting_set"].iloc[i],
                field=field,
                value=terms[field].iloc[i],
            )

    for field in _NOT_FOR_MEMBERS:
        values = terms[field].to_numpy()
        refuse(
            member & (values != 0),
            field,
            "not used under a margin agreement covering several netting sets (CRE52.75 RC "
            "has no TH/MTA, CRE52.76 PFE is unmargined): leave it at its default",
        )
    c_ma = np.bincount(codes, c[member], len(agreements))
    total = np.zeros(len(terms))
    total[member] = c_ma[codes]
    refuse(
        member & (c * total < 0),
        "variation_margin",
        "collateral allocated to a netting set (VM + NICA) has the opposite sign of the "
        "agreement's total (CRE52.76 FAQ1)",
    )
    return group, pd.Index(agreements, dtype=object)
