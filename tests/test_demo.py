"""``glassledger demo --serve`` runs end to end in a subprocess, once for the module: election,
transfers with typed rejections, the basket coin, a market day (repo, pool, facility, RFQ),
the dealer-default stress on the same chain (margin calls missed, close-out netting, the
guarantee called, the monitor's warnings before the defaults), risk, verify, proof; the
Rich summary, the run's tables, the HTML report (its charts render in Chromium); then the
API and the dashboard are served on the demo's home until SIGINT, which stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.client import Client
from glassledger.node.home import Home
from glassledger.sim.scenario import load_scenario
from support.browser import rendered_charts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_command(tmp_path):
    """One run of the demo (the suite keeps it to one: it takes seconds), every check on it."""
    with _demo(tmp_path) as (home, port, process, log):
        _check_output(home, log)
        _check_run_and_report(home)
        _check_serve_and_sigint(home, port, process, log)
    _check_repository_commands(home, tmp_path)


@contextmanager
def _demo(tmp: Path) -> Iterator[tuple[Path, int, subprocess.Popen, Path]]:
    """The demo with ``--serve`` in a subprocess, up to the served dashboard; yields (home,
    port, process, log file); stops the process at the end whatever happened."""
    home, port, log = tmp / "demo", _free_port(), tmp / "demo.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["COLUMNS"] = "80"  # a narrow terminal: the output paths must still print whole
    command = [sys.executable, "-m", "glassledger", "demo", "--home", str(home)]
    command += ["--transfers", "200", "--serve", "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    started = time.monotonic()
    try:
        while "Ctrl-C stops" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() - started < 180, log.read_text()
            time.sleep(0.2)
        yield home, port, process, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _output(log: Path) -> str:
    return " ".join(log.read_text().split())  # independent of the terminal's wrapping


def _check_output(home: Path, log: Path) -> None:
    out = _output(log)
    assert "registered dealer-6" in out and "election:" in out
    assert "200 transfers committed, 2 rejected (contract_error, permission_denied)" in out
    assert "basket coin GLC: 90,000 coins outstanding" in out
    assert "per-currency adequacy holds, balance sheet balanced" in out
    # the market day: repo, pool, facility, RFQ
    assert "6. funding day: 3 repos" in out
    assert "7. derivatives day: sealed RFQ to 3 dealers, dealer-1 wins the swap" in out
    # the stress: the shipped dealer-default shocks, on the same chain
    assert "8. stress event (dealer_default.yaml): price note -400 bp (round 0)" in out
    assert "mark SWAP1 at USD 250,000 (round 1)" in out
    assert "dealer-1 defaults in block" in out and "(repo R2); loss USD 24,000.00 = claim" in out
    assert "close-out USD 1,150,000.00 netted across both trades" in out
    assert "guarantee paid USD 93,000.00; loss USD 804,000.00 = claim" in out
    # the monitor's warnings: before each default here (the deadlines leave the regulator's
    # analysis seconds); on a machine too loaded for that, the demo says which came late
    warned, late = out.count("warned by the monitor in block"), out.count("NOT warned before its")
    assert warned + late == 2
    assert "3 repo margin calls, 1 pool liquidation; total loss USD 828,000.00" in out
    # the trade repository: a record per derivative event, attested, reconciled cleanly
    assert "8b. trade repository:" in out and "reconciliation: 0 mismatches" in out
    assert "9. risk from the trades register" in out
    assert "10. chain verified from genesis" in out and "every one conserved" in out
    # the Rich summary and where every output is
    assert "glassledger demo: key figures" in out and "warned before defaulting" in out
    figures = json.loads((home / "run" / "figures.json").read_text())["figures"]
    assert len(figures["defaulters_warned_before"]) == warned
    both = figures["defaulters_warned_before"] + figures["defaulters_not_warned_before"]
    assert sorted(both) == ["client-0", "dealer-1"]
    assert figures["total_loss"] == 828_000_00 and figures["tokens_conserved"] == 8
    text = log.read_text()
    for line in (
        f"node home: {home}",
        f"chain (SQLite): {home / 'chain.sqlite'}",
        f"key files: {home / 'keys'}",
        f"run tables (Parquet) and figures: {home / 'run'}",
        f"HTML report: {home / 'report.html'}",
    ):
        assert f"  {line}\n" in text  # whole, on one line


def _check_run_and_report(home: Path) -> None:
    blocks = pd.read_parquet(home / "run" / "blocks.parquet")
    assert list(blocks["height"]) == list(range(1, len(blocks) + 1))  # every block
    assert blocks["methods"].str.contains("monitor.warn").any()
    agents = pd.read_parquet(home / "run" / "agents.parquet")
    assert {"dealer-1", "client-0", "guarantor", "fund-0"} <= set(agents["agent"])
    page = (home / "report.html").read_text()
    assert "<script src=" not in page and page.count('class="plotly-graph-div"') == 4
    assert "Scenario report: demo" in page and "kind: dealer_default" in page
    again = CliRunner().invoke(app, ["report", str(home / "run"), "--out", str(home / "re.html")])
    assert again.exit_code == 0, again.output
    assert "Scenario report: demo" in (home / "re.html").read_text()  # the run keeps its name
    charts, requests = rendered_charts((home / "report.html").as_uri(), 4)
    assert len(charts) == 4 and all(c["data"] > 0 and c["traces"] > 0 for c in charts)
    assert all(url.startswith("file://") for url in requests), requests


def _check_serve_and_sigint(home: Path, port: int, process: subprocess.Popen, log: Path) -> None:
    base = f"http://127.0.0.1:{port}"
    assert f"dashboard: {base}/dashboard/" in log.read_text()
    page = httpx.get(f"{base}/dashboard/", timeout=30)
    assert page.status_code == 200 and "<html" in page.text.lower()
    regulator = Client(base, Home(home).load_keys("regulator"), "regulator")
    status = regulator.get("/v1/status")
    assert status["height"] > 200  # the demo's chain, read through the signed API
    # the network runs beside the dashboard: a transfer submitted through the API finalizes
    client = Client(base, Home(home).load_keys("client-2"), "client-2")
    args = {"symbol": "USD", "to": "client-3", "amount": 100}
    receipt = client.submit("token", "transfer", args, wait_s=30)
    assert receipt["status"] == "committed" and receipt["ok"], receipt
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=90) == 0, log.read_text()
    assert "dashboard stopped; network stopped at exit code 0" in log.read_text()
    assert "Traceback" not in log.read_text()


def _check_repository_commands(home_path: Path, tmp_path: Path) -> None:
    """The repository commands on the demo's home: export, reconcile, a changed dealer
    report caught, the same report sealed to the regulator and opened."""
    home = str(home_path)
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


def test_serve_opens_a_browser_only_when_a_display_exists(tmp_path, monkeypatch):
    import webbrowser

    import uvicorn

    from glassledger import demo as guided
    from glassledger.node.devnet import devnet_genesis
    from glassledger.node.home import init_home

    home = init_home(tmp_path / "home", devnet_genesis()).path
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", opened.append)

    def run(server: uvicorn.Server) -> None:  # a server that starts, then is stopped
        server.started = True
        until = time.monotonic() + (10 if os.environ.get("DISPLAY") else 0.5)
        while not opened and time.monotonic() < until:
            time.sleep(0.05)

    monkeypatch.setattr(uvicorn.Server, "run", run)
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    guided.serve(home, port=8765)
    assert opened == []  # headless: the URL is printed, no browser
    monkeypatch.setenv("DISPLAY", ":0")
    guided.serve(home, port=8765)
    assert opened == ["http://127.0.0.1:8765/dashboard/"]


def test_a_stress_file_the_demo_cannot_play_is_refused_before_it_starts(tmp_path):
    _, text = load_scenario("dealer_default")
    cases = {
        "squeeze.yaml": (load_scenario("repo_squeeze")[1], "not a repo_squeeze one"),
        "stranger.yaml": (
            text.replace("target: dealer-1}", "target: dealer-9}"),
            "dealer-9: not a participant of the demo",
        ),
        "rate.yaml": (
            text + "  - {kind: rate, step: 2, target: USD.SOFR, bps: 50}\n",
            "shocks[6]: a rate shock is not played",
        ),
    }
    for name, (body, message) in cases.items():
        (tmp_path / name).write_text(body)
        home = tmp_path / f"home-{name}"
        result = CliRunner().invoke(
            app, ["demo", "--home", str(home), "--stress", str(tmp_path / name)]
        )
        assert result.exit_code == 1 and message in result.output, result.output
        assert str(tmp_path / name) in result.output and "Traceback" not in result.output
        assert not home.exists()  # nothing was started
