"""Per-trade EAD attribution: Euler shares that add up to the netting set's figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glassledger.risk.saccr import compute_saccr
from glassledger.schemas import read_raw

FIXTURES = Path(__file__).parents[1] / "fixtures"
TRADES = read_raw(FIXTURES / "saccr_bcbs_annex4_trades.csv")
EXAMPLES = json.loads((FIXTURES / "saccr_bcbs_annex4_expected.json").read_text())["examples"]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_contributions_sum_to_the_netting_set(name):
    example = EXAMPLES[name]
    trades = TRADES[TRADES["trade_id"].isin([str(k) for k in example["trades"]])].assign(
        netting_set="NS"
    )
    terms = None
    if example["netting_set"]:
        import pandas as pd

        terms = pd.DataFrame([{"netting_set": "NS", **example["netting_set"]}])
    result = compute_saccr(trades, terms)
    per_trade, netting = result.trades, result.netting_sets.iloc[0]
    assert per_trade["addon_contribution"].sum() == pytest.approx(netting["addon"], rel=1e-9)
    assert per_trade["rc_contribution"].sum() == pytest.approx(netting["RC"], abs=1e-9)
    assert per_trade["ead_contribution"].sum() == pytest.approx(netting["EAD"], rel=1e-9)
    assert np.isfinite(per_trade["ead_contribution"]).all()


def test_a_hedge_has_a_negative_addon_contribution():
    trades = TRADES[TRADES["trade_id"].isin(["1", "2"])].assign(netting_set="NS")
    contributions = compute_saccr(trades).trades.set_index("trade_id")["addon_contribution"]
    assert contributions["1"] > 0 > contributions["2"]
