"""End to end: the corridor model's September 2019 run published to a basket-coin ledger."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.liquidity.interfaces import SimulatedRateSource
from glassledger.liquidity.ledger_scenario import ReserveAllocation, run_parallel_dollar
from glassledger.liquidity.model import build_scenario, simulate

# Corporate taxes and coupon settlement were paid on 16 Sept 2019; the repo market of the
# next morning opened with the lowest reserves and SOFR peaked (FRB New York Staff Report
# 918, 2020): the model's spike is on the 17th.
SPIKE_DAY = pd.Timestamp("2019-09-17")


@pytest.fixture(scope="module")
def september(tmp_path_factory):
    daily = simulate(build_scenario("sept-2019"), seed=0).daily
    source = SimulatedRateSource(daily)
    path = tmp_path_factory.mktemp("ledger") / "chain.db"
    return source, run_parallel_dollar(source, "2019-09-03", "2019-09-30", path=path)


def test_the_model_spike_reaches_the_reserve_in_direction_and_magnitude(september):
    _, run = september
    table = run.table
    day = table.index.get_loc(SPIKE_DAY)
    sofr_jump = table["sofr_pct"].iloc[day] - table["sofr_pct"].iloc[day - 1]
    reserve_jump = table["basket_reserve_pct"].iloc[day] - table["basket_reserve_pct"].iloc[day - 1]
    bill_jump = table["bill_pct"].iloc[day] - table["bill_pct"].iloc[day - 1]
    assert sofr_jump > 1.0  # the model spikes by over 100 bp the morning after the tax date
    shares = ReserveAllocation()
    # the reserve moves with its repo share of SOFR and its bill share of bills, within
    # 1 bp (bp rounding of posts, the receivable that earns nothing)
    assert reserve_jump == pytest.approx(
        shares.repo * sofr_jump + shares.bills * bill_jump, abs=0.01
    )
    # after the Fed's operations and the 18 Sept cut, the reserve follows SOFR down
    assert table["basket_reserve_pct"].loc["2019-09-27"] < table["basket_reserve_pct"].iloc[0]


def test_same_seed_same_state_root_in_memory_as_on_sqlite(september):
    _, run = september
    rerun = SimulatedRateSource(simulate(build_scenario("sept-2019"), seed=0).daily)
    again = run_parallel_dollar(rerun, "2019-09-03", "2019-09-30")
    assert again.state_root == run.state_root
    assert run.ledger.store.get_block(run.ledger.height).header.state_root == run.state_root


def test_cli_publishes_data_to_the_ledger_and_writes_charts(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "liquidity",
            "ledger",
            "--scenario",
            "data",
            "--start",
            "2019-09-09",
            "--days",
            "10",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "reserve yield" in result.output
    table = pd.read_csv(tmp_path / "ledger-data.csv", index_col=0, parse_dates=True)
    assert table.at[pd.Timestamp("2019-09-17"), "sofr_pct"] == 5.25  # FRED SOFR
    assert table["basket_reserve_pct"].iloc[:-1].notna().all()
    assert (tmp_path / "ledger-data.png").stat().st_size > 0
    assert (tmp_path / "ledger-data.html").stat().st_size > 0
