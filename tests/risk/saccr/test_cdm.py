"""Minimal CDM JSON mapping into the SA-CCR trade table."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from glassledger.errors import InputError
from glassledger.risk.saccr import compute_saccr
from glassledger.risk.saccr.cdm import load_cdm_trades, trades_from_cdm

CDM_FILE = Path(__file__).parents[1] / "fixtures" / "saccr_cdm_trades.json"


def test_swap_and_cds_are_mapped():
    trades = load_cdm_trades(CDM_FILE, as_of="2025-01-01", bank_party="BANK")
    swap, cds = trades.to_dict("records")
    assert swap["trade_id"] == "IRS-1" and swap["netting_set"] == "CPTY"
    assert swap["asset_class"] == "IR" and swap["position"] == "LONG"  # bank pays fixed
    assert swap["end"] == pytest.approx(3652 / 365)
    assert cds["asset_class"] == "CREDIT" and cds["position"] == "SHORT"  # bank sells
    assert cds["reference"] == "FIRM B" and cds["subclass"] == "BBB"
    result = compute_saccr(trades).netting_sets
    assert result["trades"].iloc[0] == 2 and result["EAD"].iloc[0] > 0


def test_seen_from_the_other_party_positions_flip():
    trades = load_cdm_trades(CDM_FILE, as_of="2025-01-01", bank_party="CPTY")
    assert trades["position"].tolist() == ["SHORT", "LONG"]
    assert trades["netting_set"].tolist() == ["BANK", "BANK"]


def test_unsupported_payout_is_an_error_naming_the_trade():
    envelopes = json.loads(CDM_FILE.read_text())
    bad = copy.deepcopy(envelopes[0])
    bad["trade"]["tradableProduct"]["product"]["contractualProduct"]["economicTerms"]["payout"] = {
        "optionPayout": [{}]
    }
    with pytest.raises(InputError) as info:
        trades_from_cdm([bad], as_of="2025-01-01", bank_party="BANK")
    assert (info.value.row, info.value.field) == ("IRS-1", "payout")
    with pytest.raises(InputError, match="not a party"):
        trades_from_cdm(envelopes, as_of="2025-01-01", bank_party="NOBODY")


def test_notionals_convert_to_the_reporting_currency():
    envelopes = json.loads(CDM_FILE.read_text())
    trades = trades_from_cdm(
        envelopes,
        as_of="2025-01-01",
        bank_party="BANK",
        reporting_currency="EUR",
        fx_rates={"USD": 0.9},
    )
    assert trades["notional"].tolist() == pytest.approx([9000.0, 9000.0])
    with pytest.raises(InputError, match="inconsistent currencies") as info:
        trades_from_cdm(envelopes, as_of="2025-01-01", bank_party="BANK", reporting_currency="EUR")
    assert (info.value.row, info.value.field) == ("IRS-1", "currency")


def _with_currency(envelope: dict, currency) -> dict:
    changed = copy.deepcopy(envelope)
    lot = changed["trade"]["tradableProduct"]["tradeLot"][0]["priceQuantity"][0]
    lot["quantity"][0]["value"]["unit"]["currency"]["value"] = currency
    return changed


@pytest.mark.parametrize("currency", ["usd", "US", "", "EURO", "1$A"])
def test_a_notional_currency_that_is_not_an_iso_code_is_refused(currency):
    envelopes = json.loads(CDM_FILE.read_text())
    with pytest.raises(InputError, match="ISO 4217") as info:
        trades_from_cdm(
            [_with_currency(envelopes[0], currency)], as_of="2025-01-01", bank_party="BANK"
        )
    assert info.value.row == "IRS-1"


def test_two_currencies_in_a_netting_set_need_a_reporting_currency():
    """Per-trade currency: without --reporting-currency a USD and a EUR notional in one
    netting set would be added as one currency; refused, naming the second trade."""
    swap, cds = json.loads(CDM_FILE.read_text())
    mixed = [swap, _with_currency(cds, "EUR")]
    with pytest.raises(InputError, match="no reporting currency") as info:
        trades_from_cdm(mixed, as_of="2025-01-01", bank_party="BANK")
    assert (info.value.row, info.value.field) == ("CDS-1", "currency")
    converted = trades_from_cdm(
        mixed,
        as_of="2025-01-01",
        bank_party="BANK",
        reporting_currency="USD",
        fx_rates={"EUR": 1.1},
    )
    assert converted["notional"].tolist() == pytest.approx([10000.0, 11000.0])
