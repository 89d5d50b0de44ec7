"""The demo runs end to end: election, transfers with typed rejections, verify, proof."""

from __future__ import annotations

from typer.testing import CliRunner

from glassledger.cli import app


def test_demo_command(tmp_path):
    result = CliRunner().invoke(
        app,
        ["demo", "--home", str(tmp_path / "demo"), "--transfers", "200"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # independent of the terminal's wrapping
    assert "registered dealer-6" in out
    assert "200 transfers committed, 2 rejected (contract_error, permission_denied)" in out
    assert "basket coin GLC: 90,000 coins outstanding" in out
    assert "per-currency adequacy holds, balance sheet balanced" in out
    assert "chain verified from genesis" in out and "valid" in out
    assert "election:" in out
