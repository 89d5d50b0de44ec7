"""``glassledger governance``: lottery odds from a scores file; a node home's state."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.errors import InputError
from glassledger.ledger.authorities import authorities_at
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.tx import decode_transaction
from glassledger.node.devnet import devnet_genesis
from glassledger.node.governance_cli import odds_table, read_scores
from glassledger.node.home import Home, init_home
from glassledger.node.inbox import Inbox


def test_odds_table_reads_formula_two_and_exact_inclusion():
    table = odds_table({"a": 90, "b": 60, "c": 30, "d": 50}, min_score=50, seats=2, total_tokens=20)
    assert not table.loc["c", "eligible"]
    assert table["tokens"].to_dict() == {"a": 9, "b": 6, "c": 0, "d": 5}
    assert table.loc["a", "p"] == pytest.approx(90 / 200)
    assert table["inclusion"].sum() == pytest.approx(2.0)
    # successive sampling flattens the odds: the strongest sits less often than N x P_i
    assert table.loc["a", "inclusion"] < table.loc["a", "n_times_p"]
    assert table.loc["d", "inclusion"] > table.loc["d", "n_times_p"]


def test_odds_command_prints_and_writes_the_table(tmp_path):
    scores = tmp_path / "scores.csv"
    scores.write_text("id,score\nccp-a,950\ndealer-b,800\ndealer-c,720\nguarantor-d,650\nlow,400\n")
    out = tmp_path / "odds.csv"
    result = CliRunner().invoke(
        app, ["governance", "odds", str(scores), "--seats", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "P(selected)" in result.output and "ccp-a" in result.output
    written = pd.read_csv(out, index_col="id")
    assert written["tokens"].sum() == 10_000
    assert written.loc["low", "inclusion"] == 0.0


def test_bad_scores_name_the_row(tmp_path):
    scores = tmp_path / "scores.csv"
    scores.write_text("id,score\na,70\nb,7.5\n")
    with pytest.raises(InputError, match=r"scores.csv, line 3, row 'b', field 'score'"):
        read_scores(scores)
    result = CliRunner().invoke(app, ["governance", "odds", str(scores)])
    assert result.exit_code == 1 and "not a whole number" in result.output


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("id,score\na,70\na,5\n", "line 3, row 'a', field 'id'"),
        ("id,score\na,-1\n", "field 'score': must be >= 0"),
        ("id,score\na,NaN\n", "field 'score'"),
        ("id\na\n", "missing column"),
        ("", "empty"),
    ],
)
def test_scores_file_is_checked_by_its_declared_schema(tmp_path, text, words):
    """Issue 15: the scores file goes through glassledger.schemas (SCORES), like every input."""
    scores = tmp_path / "scores.csv"
    scores.write_text(text)
    result = CliRunner().invoke(app, ["governance", "odds", str(scores)])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert words in " ".join(result.output.split()), result.output


def test_scores_ids_are_text():
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.csv"
        path.write_text("id,score\n007,5\n7,3\n")
        assert read_scores(path) == {"007": 5, "7": 3}


def test_status_shows_the_authorities_of_a_home(tmp_path):
    init_home(tmp_path / "home")
    result = CliRunner().invoke(app, ["governance", "status", "--home", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    assert "dealer-0, dealer-1, dealer-2, dealer-3" in result.output


def test_odds_of_the_next_election_on_a_node_home(tmp_path):
    init_home(tmp_path / "home")  # devnet: dealers 0..3 with scores 700, 770, 840, 910
    result = CliRunner().invoke(app, ["governance", "odds", "--home", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    assert "N = 4, T = 10000, C_min = 571" in result.output
    assert "1.0000" in result.output  # four candidates, four seats: each is selected
    status = CliRunner().invoke(app, ["governance", "status", "--home", str(tmp_path / "home")])
    assert all(f"dealer-{i} {700 + 70 * i}" in status.output for i in range(3))


def _commit(chain, home: Home, txs=()):
    """Propose and seal the next block with the home's authority keys."""
    signers = [home.load_keys(who) for who, _ in authorities_at(chain.state, chain.height + 1)]
    block = chain.propose(chain.head.timestamp_ms + 1000, signers[0].public, list(txs))
    receipts = chain.receipts_of(block.hash).receipts
    chain.commit(block, Certificate(0, tuple(CommitSeal.make(k, block.hash) for k in signers)))
    return receipts


def test_draw_queues_the_regulators_commit_then_reveal(tmp_path):
    genesis = devnet_genesis(params={"election_period": 12, "election_window": 4})
    for participant in genesis.participants:
        participant.public_key = ""  # fresh keys in the home
    home = init_home(tmp_path / "home", genesis)
    runner = CliRunner()
    draw_args = ["governance", "draw", "--home", str(home.path)]
    assert "nothing due" in runner.invoke(app, draw_args).output
    chain = home.open_chain()
    while chain.height < 8:  # the election window opens at block 12 - 4
        _commit(chain, home)
    chain.store.close()
    result = runner.invoke(app, draw_args)
    assert "queued governance.commit_seed for draw 1" in result.output, result.output
    assert home.draw_seed_file("regulator").stat().st_mode & 0o777 == 0o600
    chain = home.open_chain()
    inbox = Inbox(home.inbox)
    receipts = _commit(chain, home, [decode_transaction(raw) for raw in inbox.pop_all()])
    assert receipts[0].ok, receipts[0].message
    while chain.height < 12:
        _commit(chain, home)
    chain.store.close()
    assert "queued governance.reveal_seed for draw 1" in runner.invoke(app, draw_args).output
    chain = home.open_chain()
    receipts = _commit(chain, home, [decode_transaction(raw) for raw in inbox.pop_all()])
    inbox.close()
    assert receipts[0].ok, receipts[0].message
    assert "elected" in [e.name for e in receipts[0].events]
    chain.store.close()
