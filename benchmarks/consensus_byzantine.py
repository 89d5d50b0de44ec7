"""The consensus simulator's adversarial modes over many seeds (issue 9, "Tests and figures").

Run: ``.venv/bin/python benchmarks/consensus_byzantine.py [--seeds 1000] [--workers 2]``

Each seed is :func:`glassledger.node.simulator.byzantine_config`: one run in ten is a cabal of
``f + 1`` colluding authorities among ``3f + 1`` (beyond what BFT tolerates: they finalize two
blocks at one height, and the checker must report the fork with at least ``f + 1`` double
signers, all of them colluders); the others have ``f`` Byzantine authorities (selective
withholding, forged sync responses, equivocation, double votes, silence, invalid blocks,
hidden locks) *and* crashes of honest replicas that restart, on a lossy, reordering network.
Every run is judged by :func:`~glassledger.node.simulator.verdict`; any verdict other than
``ok``, ``caught`` or ``held`` (a cabal whose split the network foiled: no fork, nobody
convicted) fails the script (exit status 1) and prints the seed to replay.

Figures printed: runs per verdict, simulated blocks per run, and the wall time per adversarial
run against the baseline measured in the same invocation: the same number of fault-free seeds
(``SimConfig(seed=...)`` with 4 authorities, same target height). The ratio is the cost of the
adversary (more rounds, timeouts, catch-up), not a property of the machine.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from glassledger.node.simulator import Byzantine, SimConfig, byzantine_config, simulate, verdict

TARGET = 4


def adversarial(seed: int) -> tuple[int, str, int, dict, float]:
    logging.disable(logging.WARNING)
    start = time.perf_counter()
    config = byzantine_config(seed, target_height=TARGET)
    result = simulate(config)
    modes = Counter(str(m) for m in config.byzantine.values())
    return (
        seed,
        verdict(result),
        max(result.heights.values()),
        dict(modes),
        time.perf_counter() - start,
    )


def baseline(seed: int) -> float:
    logging.disable(logging.WARNING)
    start = time.perf_counter()
    result = simulate(SimConfig(seed=seed, target_height=TARGET))
    assert result.safe and result.live
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-seeds", type=int, default=200)
    options = parser.parse_args()
    with ProcessPoolExecutor(options.workers) as pool:
        began = time.perf_counter()
        runs = list(pool.map(adversarial, range(options.seeds), chunksize=8))
        adversarial_wall = time.perf_counter() - began
        began = time.perf_counter()
        base = list(pool.map(baseline, range(options.baseline_seeds), chunksize=8))
        baseline_wall = time.perf_counter() - began
    verdicts = Counter(v for _, v, _, _, _ in runs)
    modes: Counter[str] = Counter()
    for _, _, _, used, _ in runs:
        modes.update(used)
    failures = [(seed, v) for seed, v, _, _, _ in runs if v not in ("ok", "caught", "held")]
    per_run = sum(t for *_, t in runs) / len(runs)
    per_base = sum(base) / len(base)
    cabal = sum(1 for *_, used, _ in runs if Byzantine.COLLUDE.value in used)
    print(f"seeds: {options.seeds} adversarial runs, {options.baseline_seeds} baseline runs")
    print(f"verdicts: {dict(sorted(verdicts.items()))}")
    print(
        f"colluding cabals (f + 1 keys): {cabal}: forked and caught by the checker "
        f"{verdicts['caught']}, split foiled by the network (no fork) {verdicts['held']}, "
        f"missed {verdicts['MISSED']}"
    )
    print(f"Byzantine authorities by mode: {dict(sorted(modes.items()))}")
    print(f"mean highest height: {sum(h for _, _, h, _, _ in runs) / len(runs):.1f}")
    print(
        f"wall time per run: adversarial {per_run * 1000:.0f} ms, fault-free baseline "
        f"{per_base * 1000:.0f} ms, ratio {per_run / per_base:.1f}x "
        f"(elapsed {adversarial_wall:.0f} s + {baseline_wall:.0f} s on {options.workers} workers)"
    )
    for seed, v in failures:
        print(f"FAILED seed {seed}: {v} (replay: byzantine_config({seed}))")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
