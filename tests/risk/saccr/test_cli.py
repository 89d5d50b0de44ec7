"""`glassledger risk saccr` end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.schemas import read_raw

FIXTURES = Path(__file__).parents[1] / "fixtures"
runner = CliRunner()


@pytest.fixture
def portfolio(tmp_path) -> Path:
    trades = read_raw(FIXTURES / "saccr_bcbs_annex4_trades.csv")
    trades["netting_set"] = "NS" + ((trades["trade_id"].astype(int) - 1) // 3 + 1).astype(str)
    path = tmp_path / "portfolio.csv"
    trades.to_csv(path, index=False)
    return path


def test_table_and_outputs(portfolio, tmp_path):
    out, trades_out = tmp_path / "ead.csv", tmp_path / "trades.parquet"
    result = runner.invoke(
        app, ["risk", "saccr", str(portfolio), "--out", str(out), "--trades-out", str(trades_out)]
    )
    assert result.exit_code == 0, result.output
    assert "SA-CCR" in result.output and "NS1" in result.output
    ead = pd.read_csv(out).set_index("netting_set")["EAD"]
    assert ead.round().to_dict() == {"NS1": 569.0, "NS2": 381.0, "NS3": 5406.0}
    assert len(pd.read_parquet(trades_out)) == 9


def test_alpha_option_and_bad_input(portfolio, tmp_path):
    out = tmp_path / "ead.parquet"
    result = runner.invoke(
        app, ["risk", "saccr", str(portfolio), "--alpha", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(out)["EAD"].iloc[0] == pytest.approx(569.47 / 1.4, abs=0.01)
    bad = pd.read_csv(portfolio).assign(asset_class="WEATHER")
    bad.to_csv(portfolio, index=False)
    result = runner.invoke(app, ["risk", "saccr", str(portfolio)])
    assert result.exit_code == 1
    assert "asset_class" in result.output and "'1'" in result.output


def test_cdm_input():
    result = runner.invoke(
        app,
        [
            "risk",
            "saccr",
            str(FIXTURES / "saccr_cdm_trades.json"),
            "--as-of",
            "2025-01-01",
            "--bank",
            "BANK",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "CPTY" in result.output


def test_margined_netting_set_file_and_regime(tmp_path):
    """CRE99 Example 5 through the CLI: margin terms from a netting-set file, EAD 1,879."""
    trades = read_raw(FIXTURES / "saccr_bcbs_annex4_trades.csv")
    trades = trades[trades["trade_id"].isin(["1", "2", "3", "7", "8", "9"])].assign(netting_set="M")
    trades.to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame(
        [
            {
                "netting_set": "M",
                "margined": True,
                "variation_margin": 50,
                "im_received": 150,
                "mta": 5,
                "remargin_days": 5,
            }
        ]
    ).to_parquet(tmp_path / "ns.parquet")
    out = tmp_path / "ead.csv"
    args = [
        "risk",
        "saccr",
        str(tmp_path / "p.csv"),
        "-n",
        str(tmp_path / "ns.parquet"),
        "--regime",
        "bcbs2014",
        "-o",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["EAD"].iloc[0] == pytest.approx(1879, abs=1)
    result = runner.invoke(app, [*args[:-4], "--regime", "basel9"])
    assert result.exit_code == 1 and "unknown SA-CCR regime" in result.output


def test_shared_margin_agreement_table_and_total(portfolio, tmp_path):
    """CRE52.75: netting sets under one agreement are reported per agreement, and the total
    EAD adds the agreement's EAD instead of the members' (NaN) rows."""
    terms = tmp_path / "ns.csv"
    pd.DataFrame(
        {"netting_set": ["NS1", "NS2"], "shared_margin_agreement": ["CSA-9", "CSA-9"]}
    ).to_csv(terms, index=False)
    out = tmp_path / "ma.csv"
    result = runner.invoke(
        app, ["risk", "saccr", str(portfolio), "-n", str(terms), "--agreements-out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "CSA-9" in result.output and "several netting sets" in result.output
    written = pd.read_csv(out)
    assert written["shared_margin_agreement"].tolist() == ["CSA-9"]
    assert written["netting_sets"].tolist() == [2]


def test_margin_agreements_option(tmp_path):
    """-m loads the CRE52.74 agreement terms that trades name; a bad row is reported."""
    trades = pd.DataFrame(
        {
            "trade_id": ["t1", "t2"],
            "netting_set": ["H", "H"],
            "asset_class": ["FX", "FX"],
            "position": ["LONG", "LONG"],
            "notional": [1000.0, 1000.0],
            "maturity": [2.0, 2.0],
            "currency_pair": ["EUR/USD", "EUR/USD"],
            "margin_agreement": ["CSA-1", ""],
        }
    )
    trades.to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"margin_agreement": ["CSA-1"], "mta": [5.0]}).to_csv(
        tmp_path / "ma.csv", index=False
    )
    result = runner.invoke(
        app, ["risk", "saccr", str(tmp_path / "p.csv"), "-m", str(tmp_path / "ma.csv")]
    )
    assert result.exit_code == 0, result.output
    pd.DataFrame({"margin_agreement": ["CSA-1"], "mta": [-5.0]}).to_csv(
        tmp_path / "ma.csv", index=False
    )
    result = runner.invoke(
        app, ["risk", "saccr", str(tmp_path / "p.csv"), "-m", str(tmp_path / "ma.csv")]
    )
    assert result.exit_code == 1 and "ma.csv" in result.output and "'mta'" in result.output


def test_collateral_option(portfolio, tmp_path):
    """--collateral reads collateral by type; its haircut value lowers RC (CRE52.10)."""
    path = tmp_path / "collateral.csv"
    pd.DataFrame(
        {
            "netting_set": ["NS1"],
            "role": ["IM"],
            "direction": ["RECEIVED"],
            "amount": [1e6],
            "type": ["CASH"],
        }
    ).to_csv(path, index=False)
    out = tmp_path / "ead.csv"
    result = runner.invoke(
        app, ["risk", "saccr", str(portfolio), "--collateral", str(path), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out).set_index("netting_set").loc["NS1", "RC"] == 0.0
