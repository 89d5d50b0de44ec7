"""Collateral by type: CRE22.49 standard supervisory haircuts scaled to the SA-CCR horizon.

Sources: Basel Framework CRE22.49 (haircut table, 10-business-day holding period), CRE52.5
(horizon: one year unmargined, MPOR margined), CRE52.10 FAQ1 (unmargined: the CRE22.59
formula with N = longest trade maturity capped at 250 days, H capped at 100%), CRE52.11
(received collateral decreased, posted increased). No published SA-CCR example uses non-cash
collateral; the figures are computed by hand from those paragraphs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassledger.errors import InputError
from glassledger.risk.saccr import compute_saccr
from glassledger.risk.saccr.collateral import DEBT_HAIRCUTS, OTHER_HAIRCUTS


def trade(netting_set: str, maturity: float) -> dict:
    return {
        "trade_id": netting_set,
        "netting_set": netting_set,
        "asset_class": "FX",
        "position": "LONG",
        "notional": 1000.0,
        "mtm": 50.0,
        "maturity": maturity,
        "currency_pair": "EUR/USD",
    }


TRADES = pd.DataFrame([trade("U", 0.5), trade("M", 3.0), trade("L", 2.0)])
TERMS = pd.DataFrame({"netting_set": ["M"], "margined": [True]})  # daily: MPOR 10 days


def item(netting_set, kind, amount=100.0, role="VM", direction="RECEIVED", **extra) -> dict:
    return {
        "netting_set": netting_set,
        "role": role,
        "direction": direction,
        "amount": amount,
        "type": kind,
        **extra,
    }


def run(items: list[dict], terms: pd.DataFrame = TERMS) -> pd.DataFrame:
    out = compute_saccr(TRADES, terms, collateral=pd.DataFrame(items)).netting_sets
    return out.set_index("netting_set")


def test_table_cells_as_published():
    """Spot checks of CRE22.49 (percent): sovereign / other issuer / securitisation."""
    assert DEBT_HAIRCUTS["AAA-AA"][0] == (0.5, 1, 2)
    assert DEBT_HAIRCUTS["AAA-AA"][4] == (4, 12, 16)
    assert DEBT_HAIRCUTS["A-BBB"][1] == (3, 4, 12)
    assert DEBT_HAIRCUTS["A-BBB"][4] == (6, 20, 24)
    assert DEBT_HAIRCUTS["BB"][2] == (15, None, None)
    assert OTHER_HAIRCUTS == {"CASH": 0, "MAIN_INDEX_EQUITY": 20, "GOLD": 20, "OTHER_EQUITY": 30}


def test_unmargined_scaling_uses_the_longest_trade():
    """U: longest trade 0.5 y = 125 business days, H = 2% x sqrt((125 + 9) / 10) for a 2-year
    AAA sovereign (CRE52.10 FAQ1 / CRE22.59)."""
    out = run([item("U", "SOVEREIGN", rating="AAA-AA", residual_maturity=2.0)])
    h = 0.02 * np.sqrt((125 + 9) / 10)
    assert out.loc["U", "C"] == pytest.approx(100 * (1 - h))
    assert out.loc["U", "RC"] == pytest.approx(max(50 - 100 * (1 - h), 0))


def test_margined_scaling_uses_the_mpor_and_posted_is_increased():
    """M: MPOR 10 days, so H = H_10: other equity 30% received counts 70; cash VM posted
    counts -10 (CRE52.11); with illiquid collateral (MPOR 20) a currency-mismatched cash
    item gets 8% x sqrt(2)."""
    out = run([item("M", "OTHER_EQUITY"), item("M", "CASH", 10.0, direction="POSTED")])
    assert out.loc["M", "C"] == pytest.approx(70 - 10)
    illiquid = TERMS.assign(illiquid=True)
    out = run([item("M", "CASH", currency_mismatch=True)], illiquid)
    assert out.loc["M", "C"] == pytest.approx(100 * (1 - 0.08 * np.sqrt(2)))


def test_haircut_capped_at_100_percent():
    """L: N = min(500, 250) days, 30% x sqrt(259 / 10) > 100%: received worth 0, posted 2x."""
    out = run(
        [
            item("L", "OTHER_EQUITY"),
            item("L", "MAIN_INDEX_EQUITY", 40.0, role="IM", direction="POSTED"),
        ]
    )
    assert out.loc["L", "nica"] == pytest.approx(-40 * (1 + 1.0))  # 20% x 5.09 > 100%
    assert out.loc["L", "C"] == pytest.approx(0.0 - 80.0)


def test_segregated_im_posted_is_not_in_nica():
    """CRE52.17: IM posted to a bankruptcy-remote account is not part of NICA."""
    out = run(
        [
            item("U", "CASH", 30.0, role="IM"),
            item("U", "CASH", 20.0, role="IM", direction="POSTED", segregated=True),
            item("U", "CASH", 5.0, role="IM", direction="POSTED"),
        ]
    )
    assert out.loc["U", "nica"] == pytest.approx(30 - 5)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"type": "OTHER_ISSUER", "rating": "BB", "residual_maturity": 2.0}, "rating"),
        ({"type": "SOVEREIGN", "rating": "AAA-AA"}, "residual_maturity"),
        ({"type": "SOVEREIGN", "rating": "CCC", "residual_maturity": 1.0}, "rating"),
        ({"type": "PAINTING"}, "type"),
        ({"amount": -1.0}, "amount"),
        ({"netting_set": "NOPE"}, "netting_set"),
        ({"segregated": True}, "segregated"),
        ({"direction": "LENT"}, "direction"),
    ],
)
def test_bad_collateral_names_row_and_field(extra, field):
    bad = {**item("U", "CASH"), **extra}
    with pytest.raises(InputError) as info:
        run([item("U", "CASH"), bad])
    assert (info.value.row, info.value.field) == (1, field)
