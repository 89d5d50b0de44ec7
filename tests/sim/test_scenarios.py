"""Scenario engine and the dealer-default scenario (seed 003) end to end on the real chain:
key figures consistent (losses equal claims, tokens conserved, warnings before defaults or
the report says not), determinism, the schema's one-line errors, save/load and the report."""

from __future__ import annotations

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.errors import InputError
from glassledger.sim.engine import RunResult, conservation, run_scenario
from glassledger.sim.report import render, summary_lines
from glassledger.sim.scenario import load_scenario, parse_scenario, shipped_names


@pytest.fixture(scope="module")
def dealer_default():
    scenario, text = load_scenario("dealer_default")
    return run_scenario(scenario, text), run_scenario(scenario, text)


def test_every_shipped_scenario_parses():
    assert "dealer_default" in shipped_names()
    for name in shipped_names():
        scenario, _ = load_scenario(name)
        assert scenario.name == name


def test_losses_equal_claims_and_the_guarantee_is_called(dealer_default):
    run, _ = dealer_default
    f = run.figures
    assert {d["defaulter"] for d in f["defaults"]} == {"dealer-1", "client-0"}
    for d in f["defaults"]:
        assert d["loss"] == d["claim"] > 0, d
    close_out = next(d for d in f["defaults"] if d["defaulter"] == "client-0")
    # the close-out amount is paid from margin, by the guarantor, or left as the loss/claim
    assert close_out["close_out_amount"] == (
        close_out["paid"] + close_out["guarantee_paid"] + close_out["loss"]
    )
    assert f["guarantee_paid"] == close_out["guarantee_paid"] > 0
    assert f["total_loss"] == sum(d["loss"] for d in f["defaults"])
    # the repo claim is the one the ledger recorded in the default event
    events = run.events[(run.events["contract"] == "repo") & (run.events["name"] == "default")]
    assert [e["claim"] for e in events["data"]] == [
        d["claim"] for d in f["defaults"] if d["what"].startswith("repo")
    ]


def test_warnings_come_before_the_defaults_or_the_report_says_not(dealer_default):
    run, _ = dealer_default
    f = run.figures
    lines = " ".join(summary_lines(run))
    for d in f["defaults"]:
        if d["warned_before"]:
            assert d["first_warning_height"] < d["height"]
            assert f"warned at block {d['first_warning_height']}, before its default" in lines
        else:
            assert "NOT warned before its default" in lines
    # with this file's threshold both defaulters were warned before they defaulted
    assert f["defaulters_warned_before"] == ["client-0", "dealer-1"]
    # the warnings are on the ledger: one sealed envelope per monitored institution
    warns = run.events[(run.events["contract"] == "monitor") & (run.events["name"] == "warning")]
    assert len(warns) == len(f["analyses"]) * len(f["capital"])


def test_no_warning_when_the_threshold_is_out_of_reach():
    _scenario, text = load_scenario("dealer_default")
    text = text.replace("threshold_bps: 500 ", "threshold_bps: 100000000 ")
    run = run_scenario(parse_scenario(text), text)
    assert run.figures["defaulters_warned_before"] == []
    assert "NOT warned before its default" in " ".join(summary_lines(run))


def test_every_token_is_conserved(dealer_default):
    run, _ = dealer_default
    assert run.tokens["conserved"].all() and len(run.tokens) == 3
    assert (run.tokens["supply"] == run.tokens["free"] + run.tokens["locked"]).all()
    # the per-agent table adds up to the supply at the last block
    last = run.agents[run.agents["height"] == run.agents["height"].max()]
    held = (last["free"] + last["locked"]).groupby(last["symbol"]).sum()
    assert held["USD"] <= int(run.tokens.set_index("symbol").loc["USD", "supply"])


def test_conservation_catches_a_broken_supply():
    from glassledger.ledger.codec import encode

    state = {
        b"token/t/USD": encode({"symbol": "USD", "supply": 10}),
        b"token/b/USD/a": encode(7),
        b"token/l/x": encode({"symbol": "USD", "holder": "a", "amount": 2, "owner": "repo"}),
    }
    assert not conservation(state)["conserved"].any()


def test_one_seed_gives_identical_results(dealer_default):
    first, second = dealer_default
    for name in ("blocks", "agents", "tokens"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert first.figures == second.figures
    # sealed payloads (quotes, warnings) are encrypted with fresh keys: their ciphertext
    # hashes differ from run to run (by design); every other event datum is identical
    for a, b in zip(first.events.itertuples(), second.events.itertuples(), strict=True):
        assert (a.height, a.contract, a.name) == (b.height, b.contract, b.name)
        assert _plain(a.data) == _plain(b.data), (a.contract, a.name)


def _plain(data: dict) -> dict:
    return {k: v for k, v in data.items() if "hash" not in k and k != "commitment"}


def test_a_run_saves_and_loads(dealer_default, tmp_path):
    run, _ = dealer_default
    loaded = RunResult.load(run.save(tmp_path / "run"))
    pd.testing.assert_frame_equal(loaded.blocks, run.blocks)
    pd.testing.assert_frame_equal(loaded.agents, run.agents)
    assert loaded.figures["total_loss"] == run.figures["total_loss"]
    assert loaded.scenario_text == run.scenario_text


def test_the_report_is_self_contained(dealer_default):
    run, _ = dealer_default
    page = render(run)
    assert "<script src=" not in page and "<link" not in page  # nothing fetched
    assert get_plotlyjs() in page  # the bundled plotly.js, inlined
    assert page.count('class="plotly-graph-div"') == 4
    assert "kind: dealer_default" in page  # the scenario file is embedded
    assert "warned at block" in page


@pytest.mark.parametrize(
    ("change", "field", "named"),
    [
        ("kind: dealer_default", "kind: nonsense", "$.kind"),
        ("step_ms: 100", "step_ms: soon", "$.step_ms"),
        ("seed: 3", "seed: 3\nsurprise: 1", "surprise"),
        ("threshold_bps: 500", "threshold_bps: [1", "line"),
    ],
)
def test_a_bad_scenario_is_one_line_naming_file_and_field(change, field, named, tmp_path):
    _, text = load_scenario("dealer_default")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(change, field))
    with pytest.raises(InputError) as info:
        load_scenario(bad)
    message = str(info.value)
    assert str(bad) in message and "\n" not in message
    assert named in message
    result = CliRunner().invoke(app, ["scenario", "run", str(bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_an_unknown_scenario_name_lists_the_shipped_ones():
    with pytest.raises(InputError, match="dealer_default"):
        load_scenario("no-such-scenario")


def test_cli_runs_a_scenario_and_writes_the_report(tmp_path):
    out = tmp_path / "dd"
    result = CliRunner().invoke(app, ["scenario", "run", "dealer_default", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "blocks.parquet").is_file() and (out / "report.html").is_file()
    (out / "report.html").unlink()
    again = CliRunner().invoke(app, ["report", str(out)])
    assert again.exit_code == 0, again.output
    assert (out / "report.html").stat().st_size > 1_000_000  # plotly.js inlined


def test_one_row_per_block_including_the_blocks_where_deadlines_pass(dealer_default):
    run, _ = dealer_default
    heights = list(run.blocks["height"])
    assert heights == list(range(1, heights[-1] + 1))
    for d in run.figures["defaults"]:
        row = run.blocks.set_index("height").loc[d["height"]]
        assert row["events"] > 0  # the default's hook events are counted in its block
