"""The demo runs end to end: election, transfers with typed rejections, the basket coin, a
market day (repo, pool, facility, RFQ, derivatives default), risk, verify, proof."""

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
    # the market day: repo, pool, facility, RFQ, derivatives default; risk off the register
    assert "6. funding day: 3 repos" in out and "3 margin calls, default of R2" in out
    assert "1 pool liquidation" in out
    assert "7. derivatives day: sealed RFQ to 3 dealers, dealer-1 wins the swap" in out
    assert "close-out netted across both trades USD 1,150,000.00" in out
    assert "8. risk from the trades register" in out
    # the trade repository: a record per derivative event, attested, reconciled cleanly
    assert "7b. trade repository:" in out and "reconciliation: 0 mismatches" in out
    home = str(tmp_path / "demo")
    runner = CliRunner()
    exported = runner.invoke(
        app,
        [
            "repository",
            "export",
            "--home",
            home,
            "--regime",
            "emir",
            "--out",
            str(tmp_path / "emir.json"),
        ],
    )
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "emir.json").exists() and "repository records" in exported.output
    clean = runner.invoke(app, ["repository", "reconcile", "--home", home])
    assert clean.exit_code == 0 and "no mismatches" in clean.output, clean.output
    report = tmp_path / "dealer.csv"
    assert (
        runner.invoke(
            app, ["repository", "report", "--home", home, "--as", "dealer-1", "--out", str(report)]
        ).exit_code
        == 0
    )
    lines = report.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if '""notional"": ' in line)
    lines[at] = lines[at].replace('""notional"": ', '""notional"": 1', 1)  # one digit more
    report.write_text("\n".join(lines) + "\n")
    caught = runner.invoke(
        app,
        ["repository", "reconcile", "--home", home, "--party", "dealer-1", "--report", str(report)],
    )
    assert caught.exit_code == 0 and "1 field" in caught.output, caught.output
    assert "notional" in caught.output
    # the same report attested with its contents sealed to the regulator, who opens it
    sealed = runner.invoke(
        app,
        [
            "repository",
            "attest",
            "--home",
            home,
            "--as",
            "dealer-1",
            "--report",
            str(report),
            "--seal",
        ],
    )
    assert sealed.exit_code == 0 and "queued" in sealed.output, sealed.output
    assert runner.invoke(app, ["node", "--home", home, "--until-empty"]).exit_code == 0
    opened = runner.invoke(app, ["repository", "reconcile", "--home", home, "--sealed"])
    assert opened.exit_code == 0 and "1 field" in opened.output, opened.output
    assert "field notional" in opened.output
