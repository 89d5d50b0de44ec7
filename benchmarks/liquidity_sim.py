"""Benchmark: a 10-year daily run of the corridor model with 1,000 agents (target < 5 s).

Baseline, measured in the same run: the same model whose daily market is cleared agent by
agent in plain Python (``clear_reference``: loops over agents inside a bisection), on a
shorter horizon; the ratio compares time per simulated day.

    .venv/bin/python benchmarks/liquidity_sim.py [--years 10] [--baseline-days 40]
"""

from __future__ import annotations

import argparse
import time

from glassledger.liquidity.model import Scenario, build_scenario, simulate
from glassledger.liquidity.model.clearing import clear_reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--baseline-days", type=int, default=40)
    args = parser.parse_args()
    scenario = build_scenario("baseline", years=args.years)
    agents = scenario.params.n_agents
    simulate(build_scenario("baseline", years=0.1))  # warm-up (imports, caches)
    start = time.perf_counter()
    result = simulate(scenario)
    fast = time.perf_counter() - start
    days = len(scenario.days)
    short = Scenario(
        scenario.name,
        scenario.description,
        scenario.initial,
        scenario.paths.iloc[: args.baseline_days],
        scenario.params,
    )
    start = time.perf_counter()
    simulate(short, solver=clear_reference)
    slow = time.perf_counter() - start
    per_day_fast, per_day_slow = fast / days, slow / args.baseline_days
    print(
        f"vectorised: {days} days x {agents} agents in {fast:.2f} s "
        f"({1e3 * per_day_fast:.3f} ms/day) -> {'PASS' if fast < 5 else 'FAIL'} (< 5 s)"
    )
    print(
        f"per-agent Python loop baseline: {args.baseline_days} days in {slow:.2f} s "
        f"({1e3 * per_day_slow:.3f} ms/day)"
    )
    print(f"speed-up per simulated day: {per_day_slow / per_day_fast:.1f}x")
    print(f"run summary: { {k: round(v, 1) for k, v in result.summary().items()} }")


if __name__ == "__main__":
    main()
