"""``glassledger agent valuation``: runs once against a node home; bad input (market file,
node address, unreachable node, options) is one clear line and exit 1."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from glassledger.cli import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    assert runner.invoke(app, ["init", "--home", str(path)]).exit_code == 0
    return path


def agent(*args: str):
    return runner.invoke(app, ["agent", "valuation", *args])


def test_agent_runs_once_on_a_home(home):
    result = agent("--home", str(home), "--once")
    assert result.exit_code == 0, result.output
    assert "queued 0 marks valued at height 0" in result.output


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"vols": {"price:ACME": "0.2"}}', "vols.price:ACME"),
        ('{"vols": {"price:ACME": 0}}', "vols.price:ACME"),
        ('{"vols": {"price:ACME": NaN}}', "vols.price:ACME"),
        ('{"hazards": {"FIRM B": -0.01}}', "hazards.FIRM B"),
        ('{"recoveries": {"FIRM B": 1.5}}', "recoveries.FIRM B"),
        ('{"rates": {"USD": 1e300}}', "rates.USD"),
        ('{"rates": {"": 0.05}}', "rates."),
        ('{"recovery": 0.4}', "recovery"),
        ('{"rates": [0.05]}', "rates"),
        ("[1, 2]", "m.json"),
        ("{not json", "m.json"),
    ],
)
def test_a_bad_market_file_is_one_line_naming_the_field(home, tmp_path, text, field):
    bad = tmp_path / "m.json"
    bad.write_text(text)
    result = agent("--home", str(home), "--market", str(bad), "--once")
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "m.json" in lines[0] and field in lines[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("nowhere", "is not host:port"),
        ("127.0.0.1:99999", "is not host:port"),
        ("127.0.0.1:{closed}", "cannot reach node"),
    ],
)
def test_a_bad_or_unreachable_node_is_one_line(home, address, says):
    address = address.format(closed=_closed_port())
    for extra in (["--once"], ["--interval", "0"]):  # the first round's error ends a loop too
        result = agent("--home", str(home), "--node", address, *extra)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], result.output


def test_an_unknown_participant_or_home_is_one_line(home, tmp_path):
    result = agent("--home", str(home), "--as", "nobody", "--once")
    assert result.exit_code == 1 and "nobody" in result.output, result.output
    result = agent("--home", str(tmp_path / "missing"), "--once")
    assert result.exit_code == 1 and "not a glassledger home" in result.output, result.output
