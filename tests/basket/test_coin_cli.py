"""End-to-end: ``glassledger coin status`` on a node home whose chain runs the basket coin."""

from __future__ import annotations

from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.node.home import init_home
from glassledger.sim import basket_devnet as devnet
from support.basket import BasketChain

runner = CliRunner()


def test_status_at_the_head_and_at_a_past_height(tmp_path):
    home = init_home(tmp_path / "home", devnet.basket_genesis())
    chain = BasketChain.create(path=home.store, fee_bps=10)
    chain.ok(devnet.dealer("USD"), "basket", "mint", units=4)
    before = chain.height
    chain.ok(devnet.dealer("USD"), "basket", "mint", units=6)
    chain.store.close()

    def status(*extra):
        result = runner.invoke(
            app, ["coin", "status", "--home", str(home.path), *extra], env={"COLUMNS": "200"}
        )
        assert result.exit_code == 0, result.output
        return result.output

    head = status()
    assert "10,000" in head and "578,130" in head  # coins outstanding; USD owed (cents)
    assert "per-currency adequacy" in head and "True" in head
    assert "1.336515" in head  # theoretical rate at the devnet's rates
    past = status("--height", str(before))
    assert "4,000" in past and "231,252" in past  # 4 units: USD owed 4 x 578.13

    missing = runner.invoke(
        app, ["coin", "status", "--home", str(tmp_path / "none")], env={"COLUMNS": "200"}
    )
    assert missing.exit_code == 1 and "not a node home" in missing.output
    assert "glassledger demo --home" in missing.output  # says how to get a home


def test_status_says_it_needs_a_home_made_by_the_demo():
    result = runner.invoke(app, ["coin", "status", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "demo --home" in result.output
