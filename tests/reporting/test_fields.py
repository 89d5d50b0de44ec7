"""CFTC Part 45 and EMIR Refit report fields generated from the ledger's events, checked
against values computed by hand from the trades' terms; export round trips."""

from __future__ import annotations

import pytest

from glassledger.reporting.cli import read_export, write_export
from glassledger.reporting.fields import COLUMNS, mapping_table, report_frames
from glassledger.reporting.ledger import repository_at
from support.otc import LEIS, lifecycle, otc_desk

D0, D1, C0 = LEIS["dealer-0"], LEIS["dealer-1"], LEIS["client-0"]


@pytest.fixture(scope="module")
def day():
    c = otc_desk(leis=LEIS)
    lifecycle(c)
    return c


@pytest.fixture(scope="module")
def cftc(day):
    return report_frames(repository_at(day.store), "cftc")


@pytest.fixture(scope="module")
def emir(day):
    return report_frames(repository_at(day.store), "emir")


def row(frame, uti_column, uti, **match):
    found = frame[frame[uti_column] == uti]
    for column, value in match.items():
        found = found[found[column] == value]
    assert len(found) == 1, found
    return found.iloc[0]


def test_swap_creation_report_by_hand(day, cftc, emir):
    s = day.get("derivative", "c/S")
    # the client pays fixed 4.10% on USD 1,000,000.00 for one 10-day period
    expected = {
        "Action type": "NEWT",
        "Event type": "TRAD",
        "Unique transaction identifier (UTI)": D0 + "S",
        "Unique product identifier": "irs:SOFR",
        "Counterparty 1 (reporting counterparty)": D0,
        "Counterparty 2": C0,
        "Counterparty 2 identifier source": "LEI",
        "Buyer identifier": C0,  # the fixed payer is long
        "Seller identifier": D0,
        "Notional amount-Leg 1": "1000000.00",
        "Notional currency-Leg 1": "USD",
        "Fixed rate-Leg 1": "0.041",
        "Exchange rate": "",
        "Initial margin collateral portfolio code": "dealer-0~client-0",
    }
    got = row(
        cftc["trade"], "Unique transaction identifier (UTI)", D0 + "S", **{"Action type": "NEWT"}
    )
    assert {k: got[k] for k in expected} == expected
    assert got["Effective date"] == "2026-01-01" and got["Expiration date"] == "2026-01-11"
    assert got["Execution timestamp"].startswith("2026-01-01T")
    assert s["maturity_ms"] - s["executed_ms"] == 10 * 86_400_000
    e = row(emir["trade"], "UTI", D0 + "S", **{"Action type": "NEWT"})
    assert (e["Direction"], e["Contract type"], e["Asset class"]) == ("SLLR", "SWAP", "INTR")
    assert e["Fixed rate of leg 1"] == "0.041" and e["Notional amount of leg 1"] == "1000000.00"
    assert e["Counterparty 1 (Reporting counterparty)"] == D0


def test_option_cds_and_lifecycle_reports(cftc, emir):
    trade = cftc["trade"]
    uti = "Unique transaction identifier (UTI)"
    o1 = row(trade, uti, D0 + "O1", **{"Action type": "NEWT"})
    # 10 SPX calls struck at 5,000: notional 10 x 5,000 = 50,000.00; premium 1,000.00
    assert (o1["Strike price"], o1["Option type"], o1["Option style"]) == ("5000", "CALL", "EURO")
    assert (o1["Option premium amount"], o1["Notional amount-Leg 1"]) == ("1000.00", "50000.00")
    assert row(trade, uti, D0 + "O1", **{"Action type": "TERM"})["Event type"] == "EXER"
    c = row(trade, uti, D1 + "C", **{"Action type": "NEWT"})
    assert (c["Spread-Leg 1"], c["Counterparty 2"]) == ("100", "client-1")
    assert c["Counterparty 2 identifier source"] == "participant id"  # client-1 has no LEI
    assert row(trade, uti, D1 + "C", **{"Action type": "MODI"})["Event type"] == "CREV"
    no_lei = "GLASSLEDGER000000000"
    assert row(trade, uti, no_lei + "T", **{"Action type": "TERM"})["Event type"] == "ETRM"
    assert row(trade, uti, no_lei + "N", **{"Action type": "TERM"})["Event type"] == "NOVA"
    novated = row(trade, uti, no_lei + "N.n")
    assert (novated["Event type"], novated["Prior UTI"]) == ("NOVA", no_lei + "N")
    assert row(trade, uti, D0 + "D", **{"Action type": "TERM"})["Event type"] == "ETRM"
    f = row(trade, uti, D0 + "F", **{"Action type": "NEWT"})
    assert (f["Exchange rate"], f["Exchange rate basis"]) == ("1.085", "EUR/USD")
    # scheduled events (maturity, expiry, settlement) make no trade report
    assert len(trade[trade[uti] == D0 + "O2"]) == 1
    assert set(emir["trade"]["Event type"]) == {"TRAD", "NOVA", "ETRM", "EXER", "CREV"}


def test_valuation_and_margin_reports_by_hand(cftc, emir):
    values = cftc["valuation"]
    s = row(values, "Unique transaction identifier (UTI)", D0 + "S")
    # the mark posted for S: -5,000.00 from the dealer's (counterparty 1's) side
    assert (s["Valuation amount"], s["Valuation currency"]) == ("-5000.00", "USD")
    assert (s["Action type"], s["Valuation method"]) == ("VALU", "MTMO")
    margin = emir["margin"]
    ns = margin[margin["Collateral portfolio code"] == "dealer-0~client-0"]
    first = ns.iloc[0]
    # swap IM: 100 bp of 1,000,000.00 (interest rate, residual maturity < 2y), both ways
    assert first["Initial margin posted by the counterparty 1 (post-haircut)"] == "10000.00"
    assert first["Initial margin collected by the counterparty 1 (pre-haircut)"] == "10000.00"
    # marks S -5,000, O1 -2,000, F +1,000: the dealer owes 6,000.00 of variation margin
    vm = ns[ns["Variation margin posted by the counterparty 1 (post-haircut)"] != "0.00"]
    assert vm.iloc[0]["Variation margin posted by the counterparty 1 (post-haircut)"] == "6000.00"
    assert vm.iloc[0]["Variation margin collected by the counterparty 1 (post-haircut)"] == "0.00"
    assert set(margin["Action type"]) == {"MARU"}
    closed = margin[margin["Collateral portfolio code"] == "dealer-0~client-1"].iloc[-1]
    assert closed["Initial margin posted by the counterparty 1 (post-haircut)"] == "0.00"


def test_every_column_has_a_name_in_at_least_one_regime():
    for columns in COLUMNS.values():
        for column in columns:
            assert column.cftc or column.emir
    table = mapping_table()
    assert {"UTI", "UPI", "Valuation amount", "Collateral portfolio code"} <= set(
        table["EMIR Refit"]
    )


@pytest.mark.parametrize("name", ["reports.json", "csv"])
def test_export_round_trip(day, cftc, tmp_path, name):
    out = tmp_path / name
    write_export(cftc, "cftc", day.height, out)
    back = read_export(out)
    assert set(back) == set(cftc)
    for report, frame in cftc.items():
        assert list(back[report].columns) == list(frame.columns)
        assert back[report].fillna("").astype(str).equals(frame.astype(str)), report


def test_the_guide_shows_the_mapping_the_code_uses():
    from pathlib import Path

    from glassledger.reporting.fields import mapping_markdown

    guide = Path(__file__).parents[2] / "docs" / "trade-repository.md"
    assert mapping_markdown() in guide.read_text()
