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
    assert "self-exposure" in result.output and "row 2" in result.output
    unknown = CliRunner().invoke(app, ["risk", "contagion", EDGES, "-c", CAPITAL, "-d", "Z"])
    assert unknown.exit_code != 0 and "unknown institution" in unknown.output
