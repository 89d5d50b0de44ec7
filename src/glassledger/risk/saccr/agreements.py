"""Margin agreements that do not match netting sets one to one (CRE52.74-77).

* CRE52.74, several margin agreements in one netting set (trade column ``margin_agreement``,
  terms in the margin-agreement table): the netting set "must be divided into sub-netting
  sets that align with their respective margin agreement", for RC and PFE. Following
  CRE52.74 FAQ1, which also covers netting sets mixing margined and unmargined trades: the
  trades under one agreement form a sub-netting set with the maturity factor of that
  agreement's MPOR, the trades under none form one unmargined sub-netting set; the netting
  set's aggregate add-on is the sum of the sub-netting sets' aggregate add-ons; RC is the
  margined formula of CRE52.18 over the whole netting set,
  ``RC = max{V - C; TH + MTA - NICA; 0}`` with V all its trades, C its NICA plus the VM of
  every agreement (and any VM on the netting-set row), TH and MTA summed over the
  agreements; the multiplier uses the same V and C.
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
                source=terms.attrs.get("source", "netting sets"),
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


def trade_agreements(
    t: pd.DataFrame, codes: np.ndarray, terms: pd.DataFrame, table: pd.DataFrame
) -> np.ndarray:
    """Row of ``table`` of each trade's margin agreement (-1 for none); validates CRE52.74 use.

    Refused with an ``InputError``: an agreement missing from the table or named by no trade,
    an agreement used in two netting sets (that is CRE52.75: use ``shared_margin_agreement``),
    and a netting set with such trades whose own row is ``margined``, has TH, MTA or MPOR
    terms (they belong to the agreements) or is under a shared margin agreement.
    """
    names = t["margin_agreement"].astype(object).to_numpy()
    covered = names != ""
    agreement = np.full(len(t), -1, dtype=np.int64)
    if not covered.any():
        if len(table):
            _refuse(table, np.ones(len(table), bool), "margin_agreement", "no trade names it")
        return agreement
    agreement[covered] = pd.Index(table["margin_agreement"]).get_indexer(names[covered])
    trades_source = t.assign(margin_agreement=names)
    _refuse(
        trades_source,
        covered & (agreement < 0),
        "margin_agreement",
        "not in the margin-agreement table",
        key="trade_id",
        source=t.attrs.get("source", "trades"),
    )
    used = np.bincount(agreement[covered], minlength=len(table)) > 0
    _refuse(table, ~used, "margin_agreement", "no trade names it")
    home = np.full(len(table), -1, dtype=np.int64)
    rows = np.flatnonzero(covered)
    first = rows[~pd.Series(agreement[rows]).duplicated().to_numpy()]
    home[agreement[first]] = codes[first]  # netting set of each agreement's first trade
    _refuse(
        trades_source,
        covered & (home[agreement] != codes),
        "margin_agreement",
        "one agreement in several netting sets is CRE52.75: use shared_margin_agreement",
        key="trade_id",
        source=t.attrs.get("source", "trades"),
    )
    several = np.bincount(codes[covered], minlength=len(terms)) > 0
    for field in (*_NOT_FOR_MEMBERS, "shared_margin_agreement"):
        values = terms[field].to_numpy()
        _refuse(
            terms,
            several & (values != ("" if field == "shared_margin_agreement" else 0)),
            field,
            "with trades under margin agreements (CRE52.74) the VM terms are the "
            "agreements': leave it at its default",
            key="netting_set",
            source=terms.attrs.get("source", "netting sets"),
        )
    return agreement


def _refuse(
    frame: pd.DataFrame,
    bad: np.ndarray,
    field: str,
    message: str,
    key: str = "margin_agreement",
    source: str | None = None,
) -> None:
    source = source or frame.attrs.get("source", "margin agreements")
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            message, source=source, row=frame[key].iloc[i], field=field, value=frame[field].iloc[i]
        )
