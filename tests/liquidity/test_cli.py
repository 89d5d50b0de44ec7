"""End-to-end: `glassledger liquidity ...` through the real CLI app."""

from __future__ import annotations

import re

import pandas as pd
from typer.testing import CliRunner

from glassledger.cli import app

runner = CliRunner()


def test_indicators_table_and_charts(tmp_path):
    result = runner.invoke(
        app,
        [
            "liquidity",
            "indicators",
            "--start",
            "2019-06-03",
            "--end",
            "2019-12-31",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "sofr_minus_iorb_bp" in result.output and "p_scarce" in result.output
    assert re.search(r"bank_assets_extrapolated\s*│\s*False", result.output)
    assert (tmp_path / "indicators.png").stat().st_size > 10_000
    html = (tmp_path / "indicators.html").read_text()
    # Plotly is inlined (works offline): no script is loaded from anywhere else.
    assert "Plotly.newPlot" in html and len(html) > 3_000_000
    assert not re.search(r"<script[^>]+src=", html)


def test_indicators_with_user_srf_file(tmp_path):
    srf = tmp_path / "RPONTTLD.csv"
    srf.write_text("observation_date,RPONTTLD\n2025-12-30,0\n2025-12-31,74.6\n")
    result = runner.invoke(
        app,
        [
            "liquidity",
            "indicators",
            "--start",
            "2025-12-01",
            "--end",
            "2025-12-31",
            "--srf-file",
            str(srf),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "srf_take_up" in result.output and "74.60" in result.output


def test_indicators_take_the_shipped_srf_points(tmp_path):
    from glassledger.liquidity.data import REPORTED_SRF_FILE, sample_path

    result = runner.invoke(
        app,
        [
            "liquidity",
            "indicators",
            "--start",
            "2025-12-01",
            "--end",
            "2025-12-31",
            "--srf-file",
            str(sample_path(REPORTED_SRF_FILE)),
            "--out",
            str(tmp_path),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "srf_take_up" in result.output and "74.60" in result.output


def test_indicators_show_the_date_of_a_series_that_ended_before_the_latest_day(tmp_path):
    result = runner.invoke(
        app,
        ["liquidity", "indicators", "--start", "2026-05-01", "--out", str(tmp_path)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if "reserves_usd_bn" in row)
    assert re.search(r"2026-\d\d-\d\d", line)  # as of its own (Wednesday) date


def test_bad_srf_file_is_reported_with_row(tmp_path):
    srf = tmp_path / "bad.csv"
    srf.write_text("observation_date,RPONTTLD\n2025-12-31,lots\n")
    result = runner.invoke(
        app, ["liquidity", "indicators", "--srf-file", str(srf), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "bad.csv" in result.output and "row 2" in result.output


def test_simulate_replay_writes_charts_and_csv(tmp_path):
    result = runner.invoke(
        app, ["liquidity", "simulate", "--scenario", "sept-2019", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "peak_sofr_minus_iorb_bp" in result.output
    daily = pd.read_csv(tmp_path / "simulate-sept-2019.csv", index_col=0, parse_dates=True)
    assert daily.loc["2019-09-17", "data_sofr_pct"] == 5.25
    assert (tmp_path / "simulate-sept-2019.png").exists()
    assert (tmp_path / "simulate-sept-2019.html").exists()


def test_unknown_scenario_exits_with_message(tmp_path):
    result = runner.invoke(app, ["liquidity", "simulate", "--scenario", "nope"])
    assert result.exit_code == 1 and "unknown scenario" in result.output


def test_sweep_on_a_running_scheduler():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster:
        result = runner.invoke(
            app,
            [
                "liquidity",
                "sweep",
                "--scenario",
                "sept-2019",
                "--paths",
                "2",
                "--scheduler",
                cluster.scheduler_address,
            ],
        )
    assert result.exit_code == 0, result.output
    assert "p_srf_used" in result.output and "2 paths" in result.output
