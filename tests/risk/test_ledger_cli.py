"""`glassledger risk exposures` and `risk monitor` on a node home."""

from __future__ import annotations

from typer.testing import CliRunner

from glassledger.cli import app

runner = CliRunner()


def test_exposures_and_monitor_on_a_fresh_chain(tmp_path):
    home = str(tmp_path / "net")
    assert runner.invoke(app, ["init", "--home", home]).exit_code == 0
    out = runner.invoke(
        app, ["risk", "exposures", "--home", home, "--out", str(tmp_path / "x.csv")]
    )
    assert out.exit_code == 0, out.output
    assert "exposures at height 0" in out.output and (tmp_path / "x.csv").exists()
    out = runner.invoke(app, ["risk", "monitor", "--home", home, "--threshold", "2"])
    assert out.exit_code == 0, out.output
    assert "no institution above the threshold 2" in out.output


def test_unknown_height_is_a_clean_error(tmp_path):
    home = str(tmp_path / "net")
    runner.invoke(app, ["init", "--home", home])
    out = runner.invoke(app, ["risk", "exposures", "--home", home, "--height", "9"])
    assert out.exit_code == 1 and "error" in out.output
