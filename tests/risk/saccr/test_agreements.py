"""Margin agreements covering several netting sets, Basel Framework CRE52.75-76.

CRE52.75: RC_MA = max{sum_NS max{V_NS; 0} - max{C_MA; 0}; 0}
                + max{sum_NS min{V_NS; 0} - min{C_MA; 0}; 0};
CRE52.76: PFE_MA = sum_NS PFE_NS(unmargined), each multiplier on the collateral allocated to
the netting set (CRE52.76 FAQ1). No worked example is published for this case (CRE99 has
none), so the figures below are computed by hand from the formula.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import InputError
from glassledger.risk.saccr import compute_saccr
from glassledger.risk.saccr.agreements import shared_agreement_rc
from glassledger.schemas import read_raw


def fx(trade_id: str, netting_set: str, mtm: float, notional: float = 1000.0) -> dict:
    return {
        "trade_id": trade_id,
        "netting_set": netting_set,
        "asset_class": "FX",
        "position": "LONG",
        "notional": notional,
        "mtm": mtm,
        "maturity": 2.0,
        "currency_pair": "EUR/USD",
    }


TRADES = pd.DataFrame([fx("a1", "A", 100.0), fx("b1", "B", -40.0, 500.0), fx("x", "X", 7.0)])


def terms(vm_a: float, vm_b: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "netting_set": ["A", "B"],
            "shared_margin_agreement": ["CSA-1", "CSA-1"],
            "variation_margin": [vm_a, vm_b],
        }
    )


@pytest.mark.parametrize(
    ("vm_a", "vm_b", "rc"),
    [
        (30.0, 0.0, (100 - 30) + 0.0),  # bank holds 30: only the first term, no netting of B
        (0.0, -50.0, 100 + (-40 + 50)),  # bank posted 50: B's -40 covers 40 of it
        (0.0, 0.0, 100.0),
    ],
)
def test_rc_of_the_agreement_follows_cre52_75(vm_a, vm_b, rc):
    result = compute_saccr(TRADES, terms(vm_a, vm_b))
    ma = result.margin_agreements.set_index("shared_margin_agreement").loc["CSA-1"]
    assert ma["netting_sets"] == 2
    assert (ma["V_positive"], ma["V_negative"], ma["C"]) == (100.0, -40.0, vm_a + vm_b)
    assert ma["RC"] == pytest.approx(rc)
    ns = result.netting_sets.set_index("netting_set")
    assert ma["PFE"] == pytest.approx(ns.loc["A", "PFE"] + ns.loc["B", "PFE"])
    assert ma["EAD"] == pytest.approx(1.4 * (rc + ma["PFE"]))
    assert ns.loc[["A", "B"], ["RC", "EAD"]].isna().all().all()  # exposure is per agreement
    assert ns.loc["X", "EAD"] > 0 and ns.loc["X", "shared_margin_agreement"] == ""


def test_pfe_is_unmargined_with_the_allocated_collateral():
    """CRE52.76: each netting set's PFE by the unmargined method; its multiplier uses the
    collateral allocated to it (FAQ1) - the same as the netting set alone, unmargined."""
    shared = compute_saccr(TRADES, terms(0.0, -50.0)).netting_sets.set_index("netting_set")
    alone = compute_saccr(
        TRADES, pd.DataFrame({"netting_set": ["A", "B"], "variation_margin": [0.0, -50.0]})
    ).netting_sets.set_index("netting_set")
    for name in ("A", "B"):
        assert shared.loc[name, "PFE"] == pytest.approx(alone.loc[name, "PFE"])
        assert shared.loc[name, "multiplier"] == pytest.approx(alone.loc[name, "multiplier"])
    assert shared.loc["B", "multiplier"] == 1.0  # posted collateral never lowers it


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("margined", True, "margined"),
        ("threshold", 10.0, "threshold"),
        ("mta", 1.0, "mta"),
        ("mpor_days", 20.0, "mpor_days"),
    ],
)
def test_members_refuse_terms_the_formula_does_not_use(column, value, field):
    bad = terms(0.0, 0.0).assign(**{column: [value, value]})
    with pytest.raises(InputError) as info:
        compute_saccr(TRADES, bad)
    assert (info.value.row, info.value.field) == ("A", field)


def test_allocation_must_keep_the_sign_of_the_total():
    """CRE52.76 FAQ1 (our reading): allocated amounts share the sign of C_MA."""
    with pytest.raises(InputError) as info:
        compute_saccr(TRADES, terms(80.0, -20.0))
    assert (info.value.row, info.value.field) == ("B", "variation_margin")


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=8))
def test_rc_of_an_agreement_bounds(rows):
    """RC_MA >= max(sum V - C_MA, 0): not netting across netting sets never lowers RC; with
    one netting set it is the unmargined RC max(V - C, 0) of CRE52.10."""
    v = np.array([r[0] for r in rows])
    c = np.array([r[1] for r in rows])
    group = np.zeros(len(rows), dtype=np.int64)
    rc = shared_agreement_rc(v, c, group, 1)[0][0]
    assert rc >= max(v.sum() - c.sum(), 0.0) - 1e-6 * (1 + np.abs(v).sum() + np.abs(c).sum())
    one = shared_agreement_rc(v[:1], c[:1], group[:1], 1)[0][0]
    assert one == pytest.approx(max(v[0] - c[0], 0.0), abs=1e-6)


# --- CRE52.74: several margin agreements (and unmargined trades) in one netting set ---------

HYBRID = pd.DataFrame(
    [
        {**fx("t1", "H", 10.0), "margin_agreement": "CSA-A"},
        {**fx("t2", "H", 20.0), "margin_agreement": "CSA-B"},
        {**fx("t3", "H", -5.0), "position": "SHORT"},  # under no agreement: unmargined
    ]
)
AGREEMENTS = pd.DataFrame(
    {
        "margin_agreement": ["CSA-A", "CSA-B"],
        "variation_margin": [8.0, 2.0],
        "threshold": [5.0, 0.0],
        "mta": [1.0, 2.0],
        "remargin_days": [1, 5],  # MPOR floors 10 and 9 + 5 = 14 days (CRE52.50)
    }
)
NS_ROW = pd.DataFrame({"netting_set": ["H"], "im_received": [3.0]})


def test_sub_netting_sets_per_agreement():
    """CRE52.74 and its FAQ1: one sub-netting set per agreement (MF of its MPOR) and one for
    the unmargined trades (MF sqrt(min(M, 1))); add-ons of sub-netting sets are summed, so
    the SHORT unmargined trade does not offset the margined ones; RC by CRE52.18 over the
    whole netting set with C = NICA + all VM and TH, MTA summed over the agreements."""
    result = compute_saccr(HYBRID, NS_ROW, margin_agreements=AGREEMENTS)
    row = result.netting_sets.iloc[0]
    mf = {"t1": 1.5 * np.sqrt(10 / 250), "t2": 1.5 * np.sqrt(14 / 250), "t3": 1.0}
    trades = result.trades.set_index("trade_id")
    for trade_id, factor in mf.items():
        assert trades.loc[trade_id, "maturity_factor"] == pytest.approx(factor)
    assert row["addon"] == pytest.approx(0.04 * 1000 * sum(mf.values()))
    assert (row["V"], row["C"], row["nica"]) == (25.0, 13.0, 3.0)
    assert row["RC"] == pytest.approx(max(25 - 13, 5 + 0 + 1 + 2 - 3, 0))
    assert row["margined"] and row["mpor_days"] == 14
    unmargined = 1.4 * (12 + 0.04 * abs(1000 + 1000 - 1000))  # one hedging set, MF 1
    assert row["ead_unmargined"] == pytest.approx(unmargined)
    assert row["EAD"] == pytest.approx(min(1.4 * (12 + row["addon"]), unmargined))
    hedging = result.hedging_sets.set_index("margin_agreement")["addon"]
    assert hedging.to_dict() == pytest.approx(
        {k: 40 * f for k, f in zip(["CSA-A", "CSA-B", ""], mf.values(), strict=True)}
    )


def test_floor_terms_bind_through_the_agreements():
    """RC = TH + MTA - NICA when it exceeds V - C (CRE52.18, summed terms)."""
    big = AGREEMENTS.assign(threshold=[50.0, 30.0])
    row = compute_saccr(HYBRID, NS_ROW, margin_agreements=big).netting_sets.iloc[0]
    assert row["RC"] == pytest.approx(50 + 30 + 1 + 2 - 3)


@pytest.mark.parametrize(
    ("trades", "netting", "agreements", "row", "field"),
    [
        (
            HYBRID.assign(margin_agreement=["CSA-A", "CSA-Z", ""]),
            NS_ROW,
            AGREEMENTS,
            "t2",
            "margin_agreement",
        ),  # not in the table
        (
            HYBRID.assign(margin_agreement=["CSA-A", "CSA-A", ""]),
            NS_ROW,
            AGREEMENTS,
            "CSA-B",
            "margin_agreement",
        ),  # named by no trade
        (
            HYBRID.assign(netting_set=["H", "K", "H"], margin_agreement=["CSA-A", "CSA-A", ""]),
            NS_ROW,
            AGREEMENTS.iloc[:1],
            "t2",
            "margin_agreement",
        ),  # two netting sets: CRE52.75
        (HYBRID, NS_ROW.assign(margined=True), AGREEMENTS, "H", "margined"),
        (HYBRID, NS_ROW.assign(threshold=1.0), AGREEMENTS, "H", "threshold"),
        (HYBRID, NS_ROW, AGREEMENTS.assign(mta=[-1.0, 0.0]), "CSA-A", "mta"),
    ],
)
def test_agreement_inputs_are_checked(trades, netting, agreements, row, field):
    with pytest.raises(InputError) as info:
        compute_saccr(trades, netting, margin_agreements=agreements)
    assert (info.value.row, info.value.field) == (row, field)


def test_one_agreement_for_the_whole_netting_set_reproduces_basel_example_5():
    """CRE52.74 with a single agreement covering every trade is the ordinary margined set:
    bcbs279 Annex 4 / CRE99 Example 5 (EAD 1,879, add-on 1,401, multiplier 0.958, MPOR
    14 days, USD thousands) must come out the same with its VM terms given per agreement
    and its independent amount on the netting-set row."""
    fixtures = Path(__file__).parents[1] / "fixtures"
    example = json.loads((fixtures / "saccr_bcbs_annex4_expected.json").read_text())["examples"][
        "example_5_margined_interest_rate_and_commodity"
    ]
    trades = read_raw(fixtures / "saccr_bcbs_annex4_trades.csv")
    trades = trades[trades["trade_id"].astype(int).isin(example["trades"])].assign(
        netting_set="E5", margin_agreement="CSA"
    )
    terms = example["netting_set"]
    netting = pd.DataFrame({"netting_set": ["E5"], "im_received": [terms["im_received"]]})
    agreement = pd.DataFrame(
        {
            "margin_agreement": ["CSA"],
            **{k: [terms[k]] for k in ("variation_margin", "threshold", "mta", "remargin_days")},
        }
    )
    row = compute_saccr(trades, netting, margin_agreements=agreement).netting_sets.iloc[0]
    expected = example["expected"]
    assert row["mpor_days"] == expected["mpor_days"]
    assert round(row["addon"]) == expected["addon"]
    assert round(row["multiplier"], 3) == expected["multiplier"]
    assert abs(row["EAD"] - expected["EAD"]) < 1
