"""EL = PD x EAD x LGD with F-IRB LGDs, collateral haircuts and guarantee substitution.

Formulas: Basel II (BCBS, June 2006) para 147 (E*), 151 (Hfx = 8%), 285 (PD floor 0.03%),
287/288 (LGD 45% senior unsecured, 75% subordinated), 291 (LGD* = LGD x E*/E), 302 (PD
substitution for guarantees); the same rules are CRE32.3/32.5/32.6 of the Basel Framework as in
force from 15 Dec 2019. PDs: S&P 2024 default study, Table 26, one-year column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import InputError
from glassledger.risk.expected_loss import (
    effective_lgd,
    expected_loss,
    expected_loss_by_counterparty,
    exposure_after_collateral,
    exposures_from_saccr,
)

RATINGS = pd.DataFrame({"counterparty": ["ACME", "BETA", "GUAR"], "rating": ["BBB", "B+", "AA"]})


def one_row(**fields) -> pd.DataFrame:
    return pd.DataFrame(
        [{"counterparty": "ACME", "netting_set": "NS1", "ead": 1_000_000.0, **fields}]
    )


def test_senior_unsecured_el_is_pd_times_ead_times_45_percent():
    result = expected_loss(one_row(), RATINGS).iloc[0]
    # BBB one-year default rate 0.13% (S&P Table 26); LGD 45% (para 287)
    assert result["pd"] == pytest.approx(0.0013)
    assert result["lgd"] == result["lgd_effective"] == pytest.approx(0.45)
    assert result["el"] == pytest.approx(0.0013 * 1_000_000 * 0.45)  # 585
    assert result["grade"] == "BBB"


def test_subordinated_claims_take_75_percent():
    result = expected_loss(one_row(seniority="subordinated"), RATINGS).iloc[0]
    assert result["lgd"] == pytest.approx(0.75)  # para 288
    assert result["el"] == pytest.approx(0.0013 * 1_000_000 * 0.75)


def test_collateral_lowers_lgd_by_the_haircut_exposure_ratio():
    rows = one_row(collateral_value=200_000.0, collateral_haircut=0.15, fx_mismatch=True)
    result = expected_loss(rows, RATINGS).iloc[0]
    # E* = max(0, 1,000,000 - 200,000 x (1 - 0.15 - 0.08)) = 846,000 (para 147, Hfx 8% para 151)
    # LGD* = 0.45 x 846,000 / 1,000,000 = 0.3807 (para 291)
    assert result["lgd_effective"] == pytest.approx(0.3807)
    assert result["el"] == pytest.approx(0.0013 * 1_000_000 * 0.3807)


def test_overcollateralised_exposure_has_no_loss():
    rows = one_row(collateral_value=2_000_000.0, collateral_haircut=0.04)
    assert expected_loss(rows, RATINGS).iloc[0]["el"] == 0.0


def test_the_guaranteed_part_takes_the_guarantors_pd():
    rows = one_row(guarantee_amount=400_000.0, guarantor="GUAR")
    result = expected_loss(rows, RATINGS).iloc[0]
    # AA one-year rate 0.02% on the 400,000 guaranteed, BBB 0.13% on the other 600,000 (para 302)
    assert result["guarantor_pd"] == pytest.approx(0.0002)
    assert result["el"] == pytest.approx(0.45 * (0.0013 * 600_000 + 0.0002 * 400_000))


def test_a_guarantee_beyond_the_ead_covers_only_the_ead_and_a_weaker_guarantor_changes_nothing():
    big = expected_loss(one_row(guarantee_amount=5e6, guarantor="GUAR"), RATINGS).iloc[0]
    assert big["guaranteed_ead"] == 1_000_000.0
    assert big["el"] == pytest.approx(0.45 * 0.0002 * 1_000_000)
    weaker = expected_loss(one_row(guarantee_amount=5e5, guarantor="BETA"), RATINGS).iloc[0]
    assert weaker["el"] == pytest.approx(expected_loss(one_row(), RATINGS).iloc[0]["el"])


def test_own_lgd_estimate_overrides_seniority_and_pd_floor_applies():
    rows = pd.concat([one_row(lgd=0.3), one_row(netting_set="NS2", lgd=None)], ignore_index=True)
    result = expected_loss(rows, RATINGS)
    assert result["lgd"].tolist() == pytest.approx([0.3, 0.45])
    aaa = pd.DataFrame({"counterparty": ["ACME"], "rating": ["AAA"]})
    floored = expected_loss(one_row(), aaa, pd_floor=0.0003).iloc[0]
    assert floored["el"] == pytest.approx(
        0.0003 * 1_000_000 * 0.45
    )  # para 285 floor; the study prints 0.00%


def test_totals_per_counterparty():
    rows = pd.DataFrame(
        {
            "counterparty": ["ACME", "ACME", "BETA"],
            "netting_set": ["N1", "N2", "N1"],
            "ead": [1e6, 3e6, 0.0],
        }
    )
    totals = expected_loss_by_counterparty(expected_loss(rows, RATINGS)).set_index("counterparty")
    assert totals.loc["ACME", "el"] == pytest.approx(0.0013 * 0.45 * 4e6)
    assert totals.loc["ACME", "netting_sets"] == 2
    assert np.isnan(totals.loc["BETA", "el_rate"])


def test_composite_column_of_the_ratings_output_is_accepted():
    composite = pd.DataFrame({"counterparty": ["ACME"], "composite": [13.6]})
    assert expected_loss(one_row(), composite).iloc[0]["grade"] == "BBB"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ead": -5.0}, "ead"),
        ({"ead": "lots"}, "ead"),
        ({"seniority": "junior"}, "seniority"),
        ({"collateral_haircut": 1.5}, "collateral_haircut"),
        ({"guarantee_amount": 10.0}, "guarantor"),
        ({"guarantee_amount": 10.0, "guarantor": "NOBODY"}, "guarantor"),
        ({"counterparty": "UNRATED"}, "counterparty"),
        ({"fx_mismatch": "maybe"}, "fx_mismatch"),
    ],
)
def test_bad_rows_are_reported_with_row_and_field(fields, field):
    rows = pd.concat([one_row(netting_set="GOOD"), one_row(**fields)], ignore_index=True)
    with pytest.raises(InputError) as caught:
        expected_loss(rows, RATINGS, source="exposures.csv")
    assert (caught.value.row, caught.value.field, caught.value.source) == (
        1,
        field,
        "exposures.csv",
    )


def test_missing_columns_and_duplicate_netting_sets_are_refused():
    with pytest.raises(InputError, match="ead"):
        expected_loss(one_row().drop(columns="ead"), RATINGS)
    with pytest.raises(InputError, match="listed twice"):
        expected_loss(pd.concat([one_row(), one_row()], ignore_index=True), RATINGS)
    with pytest.raises(InputError, match="more than once"):
        expected_loss(one_row(), pd.concat([RATINGS, RATINGS]))


AMOUNTS = st.floats(min_value=0.0, max_value=1e9, allow_nan=False)
HAIRCUTS = st.floats(min_value=0.0, max_value=0.5, allow_nan=False)


@given(AMOUNTS, AMOUNTS, AMOUNTS, HAIRCUTS)
def test_more_collateral_never_raises_lgd_and_lgd_stays_within_0_and_lgd(ead, c1, c2, hc):
    low, high = sorted((c1, c2))
    ead_arr = np.array([ead, ead])
    e_star = exposure_after_collateral(ead_arr, np.array([low, high]), collateral_haircut=hc)
    lgd = effective_lgd(np.array([0.45, 0.45]), ead_arr, e_star)
    assert lgd[1] <= lgd[0] + 1e-12
    assert np.all((lgd >= 0) & (lgd <= 0.45 + 1e-12))


@given(AMOUNTS, AMOUNTS, st.sampled_from(["GUAR", "BETA"]))
def test_a_guarantee_never_raises_the_expected_loss(ead, guarantee, guarantor):
    plain = expected_loss(one_row(ead=ead), RATINGS).iloc[0]["el"]
    guaranteed = expected_loss(
        one_row(ead=ead, guarantee_amount=guarantee, guarantor=guarantor), RATINGS
    )
    assert guaranteed.iloc[0]["el"] <= plain * (1 + 1e-12)


def test_saccr_netting_sets_join_their_credit_terms():
    saccr = pd.DataFrame({"netting_set": ["NS1", "NS2"], "EAD": [569.0, 381.0]})
    terms = pd.DataFrame(
        {
            "netting_set": ["NS1", "NS2"],
            "counterparty": ["ACME", "BETA"],
            "seniority": ["senior", "subordinated"],
        }
    )
    result = expected_loss(exposures_from_saccr(saccr, terms), RATINGS)
    assert result["el"].tolist() == pytest.approx([0.0013 * 569.0 * 0.45, 0.0183 * 381.0 * 0.75])
    with pytest.raises(InputError) as caught:
        exposures_from_saccr(saccr, terms.iloc[:1])
    assert (caught.value.row, caught.value.field) == (1, "counterparty")
    with pytest.raises(InputError, match="more than once"):
        exposures_from_saccr(saccr, pd.concat([terms, terms], ignore_index=True))
