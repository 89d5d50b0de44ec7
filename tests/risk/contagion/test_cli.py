"""``glassledger risk contagion`` end to end on the figure-7 files."""

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from glassledger.cli import app

FIXTURES = Path(__file__).parents[1] / "fixtures"
EDGES = str(FIXTURES / "seed003_figure7_edges.csv")
CAPITAL = str(FIXTURES / "seed003_figure7_capital.csv")


def test_cascade_warnings_ranking_and_files(tmp_path):
    args = ["risk", "contagion", EDGES, "-c", CAPITAL, "-d", "A", "--alert", "3", "--rank"]
    args.append("--attribution")
    files = ["--png", str(tmp_path / "c.png"), "--html", str(tmp_path / "c.html")]
    result = CliRunner().invoke(app, [*args, *files, "--out", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    assert "Cascade from A" in result.output
    assert "defaults: 6, rounds: 3, total loss: 280.00" in result.output
    assert "dr above threshold" in result.output
    assert "Systemic importance" in result.output
    assert "Attribution" in result.output
    table = pd.read_csv(tmp_path / "c.csv")
    assert table.loc[table.defaulted, "institution"].tolist() == ["A", "C", "B", "F", "D", "G"]
    assert (tmp_path / "c.png").exists() and (tmp_path / "c.html").exists()


def test_matrix_input(tmp_path):
    matrix = pd.DataFrame([[0, 0], [8.0, 0]], index=["X", "Y"], columns=["X", "Y"])
    matrix.to_csv(tmp_path / "m.csv", index_label="creditor")
    pd.DataFrame({"institution": ["X", "Y"], "capital": [1.0, 5.0]}).to_csv(
        tmp_path / "k.csv", index=False
    )
    args = ["risk", "contagion", str(tmp_path / "m.csv"), "-c", str(tmp_path / "k.csv")]
    result = CliRunner().invoke(app, [*args, "--matrix", "--lgd", "0.5", "-d", "X"])
    assert result.exit_code == 0, result.output
    assert "total loss: 4.00" in result.output  # Y loses 8 x 0.5 on capital 5: survives


def test_bad_input_is_reported_with_the_row(tmp_path):
    (tmp_path / "e.csv").write_text("creditor,debtor,ead,lgd\nA,A,1,0.5\n")
    (tmp_path / "k.csv").write_text("institution,capital\nA,1\n")
    args = ["risk", "contagion", str(tmp_path / "e.csv"), "-c", str(tmp_path / "k.csv")]
    result = CliRunner().invoke(app, [*args, "-d", "A"])
    assert result.exit_code == 1
    assert "self-exposure" in result.output and "line 2" in result.output
    unknown = CliRunner().invoke(app, ["risk", "contagion", EDGES, "-c", CAPITAL, "-d", "Z"])
    assert unknown.exit_code != 0 and "unknown institution" in unknown.output


def test_debtrank_of_the_default_set():
    args = ["risk", "contagion", EDGES, "-c", CAPITAL, "-d", "A", "--debtrank"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "DebtRank of the default set" in result.output
    assert "differential" in result.output and "Most distressed" in result.output


def test_clearing_with_and_without_default_costs(tmp_path):
    # B lent A 10, C lent B 10 (creditors first); A has 4 of cash, B 3: Eisenberg-Noe pays
    # 4 and 7 (shortfall 9). With alpha = 0.5, A pays 2 and B 0.5 x 3 + 2 = 3.5 (shortfall 14.5).
    (tmp_path / "e.csv").write_text("creditor,debtor,ead,lgd\nB,A,10,1\nC,B,10,1\n")
    (tmp_path / "k.csv").write_text("institution,capital\nA,1\nB,1\nC,1\n")
    (tmp_path / "s.csv").write_text(
        "institution,external_assets,external_liabilities\nA,4,0\nB,3,0\nC,0,0\n"
    )
    args = ["risk", "contagion", str(tmp_path / "e.csv"), "-c", str(tmp_path / "k.csv")]
    args += ["--clearing", str(tmp_path / "s.csv")]
    plain = CliRunner().invoke(app, args)
    assert plain.exit_code == 0, plain.output
    assert "Eisenberg-Noe clearing" in plain.output
    assert "defaults: 2 in 2 wave(s), shortfall: 9.00" in plain.output
    costly = CliRunner().invoke(app, [*args, "--alpha", "0.5"])
    assert "Rogers-Veraart" in costly.output and "shortfall: 14.50" in costly.output
    (tmp_path / "s.csv").write_text("institution,external_assets,external_liabilities\nA,4,0\n")
    missing = CliRunner().invoke(app, args)
    assert missing.exit_code == 1 and "no balance-sheet row" in missing.output


def test_negative_capital_threshold_shock_and_weights_on_the_cli(tmp_path):
    """Issue 15 section 4: negative starting capital read from a file is a round-0 default
    (not refused), --threshold is the absolute rule, --shock and --weights reach DebtRank."""
    (tmp_path / "e.csv").write_text("creditor,debtor,ead\nA,B,10\nB,A,5\n")
    (tmp_path / "k.csv").write_text("institution,capital\nA,-1\nB,20\n")
    base = ["risk", "contagion", str(tmp_path / "e.csv"), "-c", str(tmp_path / "k.csv")]
    insolvent = CliRunner().invoke(app, [*base, "-d", "B", "--out", str(tmp_path / "l.csv")])
    assert insolvent.exit_code == 0, insolvent.output
    losses = pd.read_csv(tmp_path / "l.csv")
    first = losses[losses["round"] == 0].set_index("institution")
    assert first.loc["A", "remaining_capital"] == -1.0 and bool(first.loc["A", "defaulted"])
    # B keeps 20 - 5 = 15: defaults under an absolute threshold of 16, not of 15.
    args = [*base, "--threshold", "16", "-d", "A"]
    assert "defaults: 2" in CliRunner().invoke(app, args).output
    args = [*base, "--threshold", "15", "-d", "A"]
    assert "defaults: 1" in CliRunner().invoke(app, args).output
    rank = ["risk", "contagion", EDGES, "-c", CAPITAL, "-d", "A", "--debtrank"]
    full = CliRunner().invoke(app, rank)
    half = CliRunner().invoke(app, [*rank, "--shock", "0.5", "--weights", "equal"])
    assert half.exit_code == 0, half.output
    assert "h(1) = 0.5, weights: equal" in half.output
    assert "battiston    │     0.4196" in half.output and "0.4196" not in full.output
    bad = CliRunner().invoke(app, [*rank, "--weights", "size"])
    assert bad.exit_code == 1 and "--weights" in bad.output
