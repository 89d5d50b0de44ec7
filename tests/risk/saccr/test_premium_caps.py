"""EAD caps for sold options and credit protection sold, Basel Framework CRE52.1 FAQ1-2.

CRE52.1 FAQ1: "The EAD can be set to zero only for sold options that are outside netting
and margin agreements." FAQ2: "For credit derivatives where the bank is the protection
seller and that are outside netting and margin agreements, the EAD may be capped to the
amount of unpaid premia. Banks have the option to remove such credit derivatives from their
legal netting sets and treat them as individual unmargined transactions in order to apply
the cap." (BCBS FAQ on SA-CCR, consolidated into CRE52.1.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassledger.errors import InputError
from glassledger.risk.saccr import compute_saccr


def sold_option(netting_set: str = "opt", **extra) -> dict:
    return {
        "trade_id": "o1",
        "netting_set": netting_set,
        "asset_class": "EQUITY",
        "instrument": "OPTION",
        "position": "SHORT",
        "notional": 1000.0,
        "mtm": -30.0,
        "maturity": 1.0,
        "exercise": 1.0,
        "reference": "ACME",
        "subclass": "SINGLE",
        "option_type": "CALL",
        "underlying_price": 100.0,
        "strike": 100.0,
        **extra,
    }


def protection_sold(netting_set: str = "cds", **extra) -> dict:
    return {
        "trade_id": "c1",
        "netting_set": netting_set,
        "asset_class": "CREDIT",
        "position": "SHORT",
        "notional": 10_000.0,
        "mtm": 5.0,
        "maturity": 5.0,
        "end": 5.0,
        "reference": "FIRM",
        "subclass": "BBB",
        **extra,
    }


def test_sold_option_with_premium_paid_has_zero_ead():
    """FAQ1: a lone sold option, premium paid up front, outside netting/margin: EAD 0."""
    plain = compute_saccr(pd.DataFrame([sold_option()])).netting_sets.iloc[0]
    capped = compute_saccr(pd.DataFrame([sold_option(premium_paid=True)])).netting_sets.iloc[0]
    assert plain["EAD"] > 0 and np.isnan(plain["premium_cap"])
    assert capped["EAD"] == 0.0 and capped["premium_cap"] == 0.0
    assert capped["PFE"] == pytest.approx(plain["PFE"])  # breakdown kept, only EAD capped


def test_protection_sold_capped_at_unpaid_premia():
    """FAQ2: EAD = min(SA-CCR EAD, unpaid premia); a cap above the EAD changes nothing."""
    plain = compute_saccr(pd.DataFrame([protection_sold()])).netting_sets.iloc[0]
    low = compute_saccr(pd.DataFrame([protection_sold(unpaid_premium=12.5)])).netting_sets
    high = compute_saccr(pd.DataFrame([protection_sold(unpaid_premium=1e9)])).netting_sets
    assert plain["EAD"] > 12.5
    assert low["EAD"].iloc[0] == 12.5
    assert high["EAD"].iloc[0] == pytest.approx(plain["EAD"])


def test_cap_refused_inside_a_netting_set_or_margin_agreement():
    """'only ... outside netting and margin agreements': shared or margined sets are refused
    with the trade and field named (the user must give the trade its own netting set)."""
    other = protection_sold(trade_id="c2", unpaid_premium=np.nan, position="LONG")
    with pytest.raises(InputError) as info:
        compute_saccr(pd.DataFrame([protection_sold(unpaid_premium=3.0), other]))
    assert (info.value.row, info.value.field) == ("c1", "unpaid_premium")
    terms = pd.DataFrame({"netting_set": ["opt"], "margined": [True]})
    with pytest.raises(InputError) as info:
        compute_saccr(pd.DataFrame([sold_option(premium_paid=True)]), terms)
    assert (info.value.row, info.value.field) == ("o1", "premium_paid")


@pytest.mark.parametrize(
    ("trade", "field"),
    [
        (sold_option(position="LONG", premium_paid=True), "premium_paid"),  # bought option
        (protection_sold(instrument="LINEAR", premium_paid=True), "premium_paid"),
        (protection_sold(position="LONG", unpaid_premium=1.0), "unpaid_premium"),
        (sold_option(unpaid_premium=1.0), "unpaid_premium"),  # not a credit derivative
        (protection_sold(unpaid_premium=-1.0), "unpaid_premium"),
    ],
)
def test_cap_fields_only_where_the_faq_applies(trade, field):
    with pytest.raises(InputError) as info:
        compute_saccr(pd.DataFrame([trade]))
    assert info.value.field == field
