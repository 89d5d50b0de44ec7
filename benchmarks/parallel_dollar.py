"""Benchmark: years of daily corridor rates published to a basket-coin ledger and read back.

Measures the simulated-clock chain (``sim/ledger_clock``) running the basket reserve: each
business day one block of oracle posts and one block of reserve management (two blocks a
day, about nine signed transactions), then the reserve's realised yield read back at every
day (:class:`OnLedgerFundingMarket`). Baseline, measured in the same run: the corridor
model's own simulation of the same days (1,000 agents), i.e. how much the ledger adds to an
off-ledger run. Also reports the SQLite store against the memory store.

    .venv/bin/python benchmarks/parallel_dollar.py [--years 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from glassledger.liquidity.interfaces import SimulatedRateSource
from glassledger.liquidity.ledger_scenario import run_parallel_dollar
from glassledger.liquidity.model import build_scenario, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=2.0)
    args = parser.parse_args()
    scenario = build_scenario("baseline", years=args.years)
    start = time.perf_counter()
    daily = simulate(scenario).daily
    model = time.perf_counter() - start
    source = SimulatedRateSource(daily)
    first, last = daily.index[0], daily.index[-1]
    start = time.perf_counter()
    run = run_parallel_dollar(source, first, last)
    memory = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        on_disk = run_parallel_dollar(source, first, last, path=Path(tmp) / "chain.db")
        sqlite = time.perf_counter() - start
        on_disk.ledger.close()
    days = len(daily)
    assert on_disk.state_root == run.state_root
    print(f"business days: {days}, blocks: {run.ledger.height}")
    print(f"corridor model (baseline): {model:.2f} s ({1e3 * model / days:.2f} ms/day)")
    print(f"ledger, memory store:      {memory:.2f} s ({1e3 * memory / days:.2f} ms/day)")
    print(f"ledger, SQLite store:      {sqlite:.2f} s ({1e3 * sqlite / days:.2f} ms/day)")
    print(f"ratio ledger (memory) / model: {memory / model:.2f}")
    print(f"ratio SQLite / memory:         {sqlite / memory:.2f}")


if __name__ == "__main__":
    main()
