"""End to end through the command line: `glassledger risk el` and `glassledger risk ratings`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from glassledger.cli import app

RUNNER = CliRunner()


@pytest.fixture
def files(tmp_path):
    pd.DataFrame(
        {
            "counterparty": ["ACME", "ACME", "BETA"],
            "netting_set": ["N1", "N2", "N1"],
            "ead": [1_000_000.0, 2_000_000.0, 500_000.0],
            "seniority": ["senior", "subordinated", "senior"],
        }
    ).to_csv(tmp_path / "exposures.csv", index=False)
    pd.DataFrame({"counterparty": ["ACME", "BETA"], "rating": ["BBB", "B+"]}).to_csv(
        tmp_path / "ratings.csv", index=False
    )
    pd.DataFrame(
        {
            "counterparty": ["ACME", "ACME", "BETA"],
            "trade_id": ["T1", "T2", "T3"],
            "closed_at": ["2024-01-02", "2024-07-01", "2024-03-01"],
            "size": [1e6, 2e6, 5e5],
            "tenor_years": [1.0, 0.5, 2.0],
            "defaulted": [False, False, True],
            "recovery_rate": [None, None, 0.3],
        }
    ).to_parquet(tmp_path / "trades.parquet", index=False)
    pd.DataFrame(
        {
            "counterparty": ["ACME", "BETA"],
            "as_of": ["2023-12-31", "2023-12-31"],
            "rating": ["BBB", "BB"],
        }
    ).to_csv(tmp_path / "external.csv", index=False)
    return tmp_path


def test_el_prints_a_table_and_writes_parquet(files):
    out = files / "el.parquet"
    result = RUNNER.invoke(
        app,
        ["risk", "el", str(files / "exposures.csv"), str(files / "ratings.csv"), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "Expected loss" in result.output
    written = pd.read_parquet(out)
    # BBB 0.13% x (1,000,000 x 45% + 2,000,000 x 75%) + B+ 1.83% x 500,000 x 45%
    assert written["el"].sum() == pytest.approx(0.0013 * (450_000 + 1_500_000) + 0.0183 * 225_000)


def test_el_by_counterparty_to_csv(files):
    out = files / "totals.csv"
    args = [
        "risk",
        "el",
        str(files / "exposures.csv"),
        str(files / "ratings.csv"),
        "--by-counterparty",
    ]
    result = RUNNER.invoke(app, [*args, "--pd-floor", "0.0003", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["counterparty"].tolist() == ["ACME", "BETA"]


def test_ratings_current_and_path(files):
    out = files / "ratings_now.csv"
    trades, external = str(files / "trades.parquet"), str(files / "external.csv")
    result = RUNNER.invoke(
        app, ["risk", "ratings", trades, "--external", external, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("counterparty")
    assert table.loc["BETA", "composite"] < 10.0  # BB external, defaulted once
    assert table["credit_score"].dtype.kind == "i"
    path = RUNNER.invoke(app, ["risk", "ratings", trades, "--path", "--alpha", "0.3"])
    assert path.exit_code == 0 and "Rating path" in path.output


def test_ratings_output_feeds_el(files):
    ratings_out = files / "composite.csv"
    RUNNER.invoke(
        app,
        [
            "risk",
            "ratings",
            str(files / "trades.parquet"),
            "--external",
            str(files / "external.csv"),
            "--out",
            str(ratings_out),
        ],
    )
    result = RUNNER.invoke(app, ["risk", "el", str(files / "exposures.csv"), str(ratings_out)])
    assert result.exit_code == 0, result.output


def test_bad_input_exits_1_naming_file_line_and_field(files):
    bad = pd.read_csv(files / "exposures.csv")
    bad.loc[2, "ead"] = -1.0
    bad.to_csv(files / "bad.csv", index=False)
    result = RUNNER.invoke(app, ["risk", "el", str(files / "bad.csv"), str(files / "ratings.csv")])
    assert result.exit_code == 1  # the same code as every other command
    # data row 2 (0-based) is line 4 of the file (header = line 1)
    assert "bad.csv" in result.output and "line 4" in result.output and "'ead'" in result.output
    missing = RUNNER.invoke(
        app, ["risk", "el", str(files / "nope.csv"), str(files / "ratings.csv")]
    )
    assert missing.exit_code == 1 and "file not found" in missing.output


FIXTURES = Path(__file__).parent / "fixtures"


def test_saccr_output_feeds_el_through_credit_terms(tmp_path):
    """The SA-CCR EADs of the Basel worked examples (bcbs279 Annex 4: 569, 381 and 5,406 for
    netting sets 1-3, rounded) feed EL once each netting set is given its counterparty."""
    trades = pd.read_csv(FIXTURES / "saccr_bcbs_annex4_trades.csv", dtype={"trade_id": str})
    trades["netting_set"] = "NS" + ((trades["trade_id"].astype(int) - 1) // 3 + 1).astype(str)
    trades.to_csv(tmp_path / "portfolio.csv", index=False)
    saccr = RUNNER.invoke(
        app, ["risk", "saccr", str(tmp_path / "portfolio.csv"), "--out", str(tmp_path / "ead.csv")]
    )
    assert saccr.exit_code == 0, saccr.output
    pd.DataFrame(
        {
            "netting_set": ["NS1", "NS2", "NS3"],
            "counterparty": ["ACME", "ACME", "BETA"],
            "seniority": ["senior"] * 3,
        }
    ).to_csv(tmp_path / "terms.csv", index=False)
    pd.DataFrame({"counterparty": ["ACME", "BETA"], "rating": ["A", "BB"]}).to_csv(
        tmp_path / "r.csv", index=False
    )
    args = [
        "risk",
        "el",
        str(tmp_path / "ead.csv"),
        str(tmp_path / "r.csv"),
        "--terms",
        str(tmp_path / "terms.csv"),
    ]
    result = RUNNER.invoke(app, [*args, "--out", str(tmp_path / "el.csv")])
    assert result.exit_code == 0, result.output
    el = pd.read_csv(tmp_path / "el.csv").set_index("netting_set")
    assert el["ead"].round().to_dict() == {"NS1": 569.0, "NS2": 381.0, "NS3": 5406.0}
    # A: 0.05%, BB: 0.44% one-year (S&P 2024 study, Table 26); LGD 45% senior unsecured
    assert el.loc["NS3", "el"] == pytest.approx(0.0044 * el.loc["NS3", "ead"] * 0.45)
    assert el.loc["NS1", "el"] == pytest.approx(0.0005 * el.loc["NS1", "ead"] * 0.45)


def test_an_unreadable_file_is_reported_not_raised(files):
    (files / "broken.parquet").write_bytes(b"not parquet")
    result = RUNNER.invoke(
        app, ["risk", "el", str(files / "broken.parquet"), str(files / "ratings.csv")]
    )
    assert result.exit_code == 1 and "cannot read the file" in result.output
    wrong = RUNNER.invoke(
        app, ["risk", "el", str(files / "exposures.csv"), str(files / "ratings.xlsx")]
    )
    assert wrong.exit_code == 1 and "unsupported file type" in wrong.output
