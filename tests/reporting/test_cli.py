"""`glassledger repository ...` on a node home: bad input through the one error boundary
(one line, exit 1, the file and field named); attest queues a transaction the node runs.
The demo's home (tests/test_demo.py) carries the end-to-end export and reconciliation."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from glassledger.cli import EXIT_REFUSED, app

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "home"
    assert runner.invoke(app, ["init", "--home", str(path)]).exit_code == 0
    return str(path)


def test_export_and_reconcile_on_a_chain_without_derivatives(home, tmp_path):
    out = runner.invoke(app, ["repository", "export", "--home", home, "--out", str(tmp_path / "x")])
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == [
        "cftc_margin.csv",
        "cftc_trade.csv",
        "cftc_valuation.csv",
    ]
    assert "0 repository records" in out.output
    out = runner.invoke(app, ["repository", "reconcile", "--home", home])
    assert out.exit_code == 0 and "no mismatches" in out.output


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("subject,seq,event,fields\nX,0,execution,not json\n", "fields"),
        ("subject,seq,event,fields\nX,-1,execution,{}\n", "seq"),
        ("subject,seq,event\nX,0,execution\n", "fields"),
        ("subject,seq,event,fields\nX,0,execution,{}\nX,0,execution,{}\n", "seq"),
    ],
)
def test_a_bad_report_file_is_one_clear_line(home, tmp_path, text, expect):
    bad = tmp_path / "report.csv"
    bad.write_text(text)
    for command in (
        ["repository", "reconcile", "--home", home, "--report", str(bad)],
        ["repository", "attest", "--home", home, "--as", "dealer-0", "--report", str(bad)],
    ):
        out = runner.invoke(app, command)
        assert out.exit_code == EXIT_REFUSED, out.output
        assert "report.csv" in out.output and expect in out.output
        assert "Traceback" not in out.output and len(out.output.strip().splitlines()) == 1


def test_bad_options_are_refused(home):
    out = runner.invoke(app, ["repository", "export", "--home", home, "--regime", "sec"])
    assert out.exit_code == EXIT_REFUSED and "--regime" in out.output
    out = runner.invoke(app, ["repository", "reconcile", "--home", home, "--party", "nobody"])
    assert out.exit_code == EXIT_REFUSED and "nobody" in out.output
    out = runner.invoke(app, ["repository", "export", "--home", home, "--height", "99"])
    assert out.exit_code == EXIT_REFUSED and "height 99" in out.output


def test_attest_queues_a_signed_transaction_the_contract_judges(home, tmp_path):
    from glassledger.node.home import Home

    report = tmp_path / "r.csv"
    report.write_text('subject,seq,event,fields\nnone,0,execution,"{""notional"": 1}"\n')
    out = runner.invoke(
        app, ["repository", "attest", "--home", home, "--as", "dealer-0", "--report", str(report)]
    )
    assert out.exit_code == 0 and "queued 1 attestation" in out.output, out.output
    assert runner.invoke(app, ["node", "--home", home, "--until-empty"]).exit_code == 0
    chain = Home(Path(home)).open_chain()
    try:  # the attestation's receipt, wherever it landed (the last block may be empty)
        receipts = [
            receipt
            for height in range(1, chain.height + 1)
            for signed, receipt in zip(
                chain.store.get_block(height).txs, chain.store.get_receipts(height), strict=True
            )
            if signed.tx.contract == "repository"
        ]
    finally:
        chain.store.close()
    assert [(r.ok, r.message) for r in receipts] == [(False, "no repository record none/0")]
