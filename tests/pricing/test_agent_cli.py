"""``glassledger agent valuation --home``: runs against a node home; bad market files are
one clear line."""

from __future__ import annotations

from typer.testing import CliRunner

from glassledger.cli import app

runner = CliRunner()


def test_agent_runs_on_a_home_and_refuses_a_bad_market_file(tmp_path):
    home = tmp_path / "home"
    assert runner.invoke(app, ["init", "--home", str(home)]).exit_code == 0
    result = runner.invoke(app, ["agent", "valuation", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "queued 0 marks" in result.output
    bad = tmp_path / "m.json"
    bad.write_text('{"vols": {"price:ACME": "0.2"}}')
    result = runner.invoke(app, ["agent", "valuation", "--home", str(home), "--market", str(bad)])
    assert result.exit_code != 0
    assert "m.json" in result.output and "vols.price:ACME" in result.output
    assert "Traceback" not in result.output
