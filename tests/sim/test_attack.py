"""The speculative attack on the basket coin (seed 004) end to end on the real contracts:
key figures consistent, every token conserved, deterministic for a seed, and the attack
stops being self-fulfilling as the reserve gets more liquid (on the Dask sweep)."""

from __future__ import annotations

import pytest

from glassledger.errors import InputError
from glassledger.sim.attack import BUYER, impact, report_lines, threshold
from glassledger.sim.engine import RunResult, run_scenario
from glassledger.sim.report import render, write_sweep_report
from glassledger.sim.scenario import load_scenario, parse_scenario
from glassledger.sim.sweep import apply_overrides, sweep


def run(**overrides) -> RunResult:
    _, text = load_scenario("basket_attack")
    text = apply_overrides(text, overrides)
    return run_scenario(parse_scenario(text), text)


@pytest.fixture(scope="module")
def attack() -> RunResult:
    return run()


def test_the_shipped_attack_is_self_fulfilling_and_its_figures_are_consistent(attack):
    f = attack.figures
    assert f["self_fulfilling"] and f["recomposed"]
    assert 0 < f["units_redeemed"] <= f["units_start"]
    # nobody runs before the shock (round 0); the run follows it
    assert f["rounds"][0]["runners"] == [] and f["rounds"][1]["runners"]
    # the fire-sale losses are exactly what the buyers received, currency by currency
    assert f["losses_equal_buyer_gains"] and f["fire_sale_loss"]
    buyer = attack.agents[(attack.agents["agent"] == BUYER)]
    last = buyer[buyer["height"] == buyer["height"].max()]
    assert dict(zip(last["symbol"], last["free"], strict=True)) == f["fire_sale_loss"]
    # coins burned = units redeemed; supply of the coin = units left
    coin = attack.tokens.set_index("symbol").loc["GLC"]
    assert coin["supply"] == (f["units_start"] - f["units_redeemed"]) * 1_000 * 10**6
    assert attack.tokens["conserved"].all() and f["tokens_conserved"] == len(attack.tokens)
    # the value left per coin fell below what the shock alone left
    assert f["final_market_nav_bps"] < f["nav_after_shock_bps"] - 50
    redeemed = attack.events[attack.events["name"] == "redeemed"]
    assert int(redeemed["data"].map(lambda d: d["units"]).sum()) == f["units_redeemed"]


def test_one_seed_gives_identical_results(attack):
    again = run()
    assert again.figures == attack.figures
    assert again.agents.equals(attack.agents) and again.blocks.equals(attack.blocks)


def test_the_report_has_the_attack_charts(attack):
    page = render(attack)
    assert "SELF-FULFILLING" in page and "Reserve paper prices" in page


def test_a_liquid_reserve_or_a_deep_market_stops_the_attack():
    liquid = run(**{"attack.liquid_share_bps": 9_000})
    assert not liquid.figures["self_fulfilling"] and liquid.figures["units_redeemed"] == 0
    deep = run(**{"attack.depth_bps": 1_000_000, "attack.impact_bps": 10})
    assert deep.figures["fire_sale_loss_usd_cents"] < run().figures["fire_sale_loss_usd_cents"]


def test_a_redemption_wave_forces_redemptions_without_a_price_shock():
    wave = run(
        shocks=[{"kind": "redemption_wave", "step": 1, "share_bps": 2_500}],
        **{"attack.liquid_share_bps": 9_000},
    )
    assert wave.figures["units_redeemed"] >= 100
    assert wave.figures["tokens_conserved"] == len(wave.tokens)


def test_the_threshold_moves_up_with_liquidity_on_the_dask_sweep(tmp_path):
    _, text = load_scenario("basket_attack")
    table = sweep(
        text, [4], {"attack.liquid_share_bps": [5_000, 9_000]}, n_workers=1, processes=False
    )
    bad = dict(zip(table["attack.liquid_share_bps"], table["self_fulfilling"], strict=True))
    assert bad == {5_000: True, 9_000: False}
    assert threshold(table) == 9_000
    shares = table.sort_values("attack.liquid_share_bps")["run_share_bps"].tolist()
    assert shares[0] > shares[1]
    page = write_sweep_report(text, table, "attack.liquid_share_bps", tmp_path / "s.html")
    assert "from attack.liquid_share_bps = 9000 on" in page.read_text()


def test_the_impact_function():
    # square-root law: selling a quarter of the depth costs half the impact at full depth
    assert impact(25.0, 100.0, 100, "sqrt") == pytest.approx(1 - 0.01 * 0.5)
    assert impact(25.0, 100.0, 100, "linear") == pytest.approx(1 - 0.01 * 0.25)
    assert impact(1e9, 1.0, 9_999, "linear") == 0.01  # floored


@pytest.mark.parametrize(
    ("shock", "message"),
    [
        ("{kind: price, step: 1, bps: -10}", "names its target"),
        ("{kind: redemption_wave, step: 1, share_bps: 0}", "share_bps"),
        ("{kind: price, step: -1, target: x, bps: 5}", "step"),
        ("{kind: storm, step: 1}", "$.shocks[0].kind"),
    ],
)
def test_a_bad_shock_is_one_line_naming_the_field(shock, message):
    text = f'name: x\nkind: basket_attack\nseed_source: "004"\nshocks: [{shock}]\n'
    with pytest.raises(InputError, match=r"f\.yaml: .*") as error:
        parse_scenario(text, "f.yaml")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_2a7_fee_is_charged_once_weekly_liquid_assets_fall_below_30_percent(attack):
    # the reserve starts at 30% weekly liquid (no fee); the first redemptions take it below,
    # and the later ones pay the board's 2% fee, kept by the reserve for those who stay
    assert attack.figures["rounds"][1]["fee_bps"] == 0
    assert attack.figures["fees_collected_usd_cents"] > 0


def test_a_gate_suspends_the_run_that_a_reserve_without_fees_suffers():
    free = {"attack.liquid_share_bps": 2_500, "attack.liquidity_fee_bps": 0}
    assert run(**free).figures["self_fulfilling"]
    gated = run(**free, **{"attack.gate_days": 2, "attack.gate_below_bps": 3_000}).figures
    assert gated["gated"] and gated["units_redeemed"] == 0 and not gated["self_fulfilling"]
    assert "gated redemptions" in " ".join(report_lines(gated))
