"""Benchmark: a 1,000-path Monte Carlo sweep of the corridor model on a Dask LocalCluster,
with the speed-up of 2 worker processes over 1 measured in the same run.

Each path is a 3-month projection of the ``qt-continued`` scenario (1,000 agents, own seed
and parameter draw). Clusters are started before timing (times exclude start-up); 1- and
2-worker runs alternate ``--repeats`` times and the best of each is kept, because the shared
machine's load drifts.

    .venv/bin/python benchmarks/liquidity_sweep.py [--paths 1000] [--years 0.25]
"""

from __future__ import annotations

import argparse
import time

from glassledger.liquidity.model import build_scenario
from glassledger.liquidity.model.sweep import dask_client, probabilities, sweep


def timed_sweep(scenario, paths: int, workers: int):
    with dask_client(n_workers=workers) as client:
        sweep(scenario, max(2 * workers, 4), client=client)  # warm the workers
        start = time.perf_counter()
        result = sweep(scenario, paths, client=client)
        return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--years", type=float, default=0.25)
    parser.add_argument("--repeats", type=int, default=2, help="runs per worker count (best kept)")
    args = parser.parse_args()
    scenario = build_scenario("qt-continued", years=args.years)
    times: dict[int, list[float]] = {1: [], 2: []}
    results = []
    for workers in [1, 2] * args.repeats:  # interleaved, so load drifts hit both
        elapsed, result = timed_sweep(scenario, args.paths, workers)
        times[workers].append(elapsed)
        results.append(result)
    assert all(r.equals(results[0]) for r in results), "a sweep must not depend on workers"
    one, two = min(times[1]), min(times[2])
    print(f"{args.paths} paths x {len(scenario.days)} days x {scenario.params.n_agents} agents")
    print(f"1 worker : best {one:.1f} s of {[round(t, 1) for t in times[1]]}")
    print(f"2 workers: best {two:.1f} s of {[round(t, 1) for t in times[2]]}")
    print(f"speed-up 2 vs 1 workers: {one / two:.2f}x")
    print(probabilities(results[0]).round(3).to_string())


if __name__ == "__main__":
    main()
