"""Benchmark: contagion models at network scale, against a networkx baseline.

Run: ``.venv/bin/python benchmarks/contagion.py`` (``--quick`` for a smaller smoke run).

Rankings: systemic importance of every institution on the 10,000 network, with and without
exact rounds, and on the same network with capital cut to 30% ("thin capital", where most
single defaults bring the system down).

Networks: ``n`` institutions with ``m`` distinct random exposures (creditor, debtor drawn
uniformly, no self-exposure), EAD lognormal(0, 1.5), LGD uniform(0.2, 1), capital a uniform
10-30% of each institution's total loss-given-default exposure (seed 0). Scenarios: 100
random initial defaults (cascade; DebtRank shock h = 1) and the external assets of 100 random
institutions wiped out (Eisenberg-Noe, with external liabilities such that equity = capital).

Each model is timed on a prepared network (sparse matrices built and their CSC / leverage
views cached once; that one-off preparation is reported separately), best of ``repeat`` runs.
The baseline is a straightforward networkx implementation of the same cascade (losses pushed
along ``graph.pred`` of each newly defaulted debtor, then a scan for new defaults), run on the
same 10,000-institution network; the script checks that both give the same default rounds.

BLAS is pinned to one thread (``OPENBLAS_NUM_THREADS=1`` unless set): the clearing solver's
vector operations are tiny, and on a shared 2-core machine OpenBLAS threads contending with
other processes made them 5x slower. Everything measured here is single-threaded.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time
from collections.abc import Callable

import networkx as nx
import numpy as np
import scipy.sparse as sp

from glassledger.risk.contagion import ExposureNetwork, cascade
from glassledger.risk.contagion.debtrank import debtrank
from glassledger.risk.contagion.eisenberg_noe import eisenberg_noe, liabilities_of
from glassledger.risk.contagion.ranking import systemic_importance


def random_network(n: int, m: int, seed: int = 0) -> ExposureNetwork:
    """``n`` institutions, ``m`` distinct exposures (creditors as rows)."""
    rng = np.random.default_rng(seed)
    flat = np.sort(rng.integers(0, n * n, int(m * 1.02) + 10))
    flat = flat[np.concatenate(([True], flat[1:] != flat[:-1]))]  # distinct pairs
    rows, cols = np.divmod(flat, n)
    keep = rows != cols
    chosen = rng.permutation(np.flatnonzero(keep))[:m]
    rows, cols = rows[chosen], cols[chosen]
    ead = rng.lognormal(0.0, 1.5, m)
    lgd = rng.uniform(0.2, 1.0, m)
    capital = np.bincount(rows, ead * lgd, minlength=n) * rng.uniform(0.1, 0.3, n)
    return ExposureNetwork.from_matrix(
        sp.csr_array((ead, (rows, cols)), shape=(n, n)),
        capital,
        lgd=sp.csr_array((lgd, (rows, cols)), shape=(n, n)),
    )


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    """Fastest wall time of ``repeat`` runs (the machine is shared) and the last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def clearing_inputs(network: ExposureNetwork, wiped: np.ndarray):
    """Liabilities (borrowers as rows), external assets and liabilities with equity = capital,
    external assets of ``wiped`` set to zero."""
    liabilities = liabilities_of(network)
    interbank_assets = network.total_exposure()
    interbank_liabilities = np.asarray(liabilities.sum(axis=1)).ravel()
    outside = np.maximum(interbank_assets - interbank_liabilities, 0.0) + 0.5 * interbank_assets
    external = network.capital + interbank_liabilities + outside - interbank_assets
    external[wiped] = 0.0
    return liabilities, external, outside


def networkx_cascade(graph: nx.DiGraph, initial: list) -> dict:
    """The seed's cascade written directly on a networkx graph (edge creditor -> debtor)."""
    loss = dict.fromkeys(graph, 0.0)
    capital = nx.get_node_attributes(graph, "capital")
    round_of = dict.fromkeys(initial, 0)
    new, k = list(initial), 0
    while new:
        k += 1
        for debtor in new:
            for creditor, attributes in graph.pred[debtor].items():
                loss[creditor] += attributes["loss"]
        new = [name for name in graph if name not in round_of and loss[name] > capital[name]]
        round_of.update(dict.fromkeys(new, k))
    return round_of


def to_networkx(network: ExposureNetwork) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from((k, {"capital": c}) for k, c in enumerate(network.capital))
    coo = network.loss_matrix.tocoo()
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True), weight="loss"
    )
    return graph


def networkx_baseline(network: ExposureNetwork) -> list[tuple[str, float, float, bool]]:
    """Time the same cascades with networkx and with :func:`cascade`; check agreement."""
    start = time.perf_counter()
    graph = to_networkx(network)
    print(f"[networkx] graph built in {time.perf_counter() - start:.2f} s")
    rng = np.random.default_rng(1)
    scenarios = {
        "100 initial defaults": rng.choice(network.size, 100, replace=False).tolist(),
        "10% initial defaults": rng.choice(
            network.size, network.size // 10, replace=False
        ).tolist(),
    }
    results = []
    for label, initial in scenarios.items():
        ours_seconds, ours = best_of(5, lambda i=initial: cascade(network, i))
        nx_seconds, baseline = best_of(3, lambda i=initial: networkx_cascade(graph, i))
        agree = baseline == {k: int(r) for k, r in enumerate(ours.default_round) if r >= 0}
        print(
            f"[networkx] {label}: {nx_seconds * 1e3:.1f} ms vs {ours_seconds * 1e3:.1f} ms "
            f"-> speed ratio {nx_seconds / ours_seconds:,.0f}x, default rounds agree: {agree}"
        )
        results.append((label, nx_seconds, ours_seconds, agree))
    return results


def models(network: ExposureNetwork, repeat: int, label: str) -> dict[str, float]:
    rng = np.random.default_rng(1)
    initial = rng.choice(network.size, 100, replace=False)
    start = time.perf_counter()
    network.loss_by_debtor, network.leverage_by_debtor  # noqa: B018 - one-off preparation
    print(f"[{label}] prepare CSC and leverage views: {time.perf_counter() - start:.3f} s")
    timings = {}
    seconds, result = best_of(repeat, lambda: cascade(network, initial))
    timings["cascade"] = seconds
    print(
        f"[{label}] cascade: {seconds * 1e3:8.1f} ms  ({result.defaulted_count} defaults, "
        f"{result.rounds} rounds)"
    )
    everyone = rng.choice(network.size, network.size // 10, replace=False)
    seconds, result = best_of(repeat, lambda: cascade(network, everyone))
    timings["cascade (system-wide)"] = seconds
    print(
        f"[{label}] cascade, 10% initial defaults: {seconds * 1e3:8.1f} ms  "
        f"({result.defaulted_count} defaults, {result.rounds} rounds)"
    )
    liabilities, external, outside = clearing_inputs(network, initial)
    seconds, result = best_of(repeat, lambda: eisenberg_noe(liabilities, external, outside))
    timings["Eisenberg-Noe"] = seconds
    print(
        f"[{label}] Eisenberg-Noe: {seconds * 1e3:8.1f} ms  ({int(result.defaulted.sum())} "
        f"defaults in {result.waves} waves, shortfall {result.total_shortfall:,.0f})"
    )
    liabilities, external, outside = clearing_inputs(network, everyone)
    seconds, result = best_of(repeat, lambda: eisenberg_noe(liabilities, external, outside))
    timings["Eisenberg-Noe (10% wiped)"] = seconds
    print(
        f"[{label}] Eisenberg-Noe, 10% external assets wiped: {seconds * 1e3:8.1f} ms  "
        f"({int(result.defaulted.sum())} defaults in {result.waves} waves)"
    )
    shock = np.zeros(network.size)
    shock[initial] = 1.0
    for method in ("battiston", "differential"):
        seconds, result = best_of(repeat, lambda m=method: debtrank(network, shock, method=m))
        timings[f"DebtRank {method}"] = seconds
        print(
            f"[{label}] DebtRank {method}: {seconds * 1e3:8.1f} ms  ({result.iterations} steps, "
            f"relative equity loss {result.total_relative_loss:.4f})"
        )
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    n, m, big_n, big_m = (
        (2_000, 100_000, 20_000, 1_000_000)
        if args.quick
        else (10_000, 1_000_000, 100_000, 10_000_000)
    )

    start = time.perf_counter()
    network = random_network(n, m)
    print(
        f"built {n:,} institutions / {network.ead.nnz:,} exposures in "
        f"{time.perf_counter() - start:.2f} s"
    )
    small = models(network, repeat=5, label=f"{n:,}")

    baseline = networkx_baseline(network)
    ranking_seconds = {}
    fragile = network.with_capital(0.3 * network.capital)
    for label, net, with_rounds in (
        ("ranking of all", network, False),
        ("ranking of all, with rounds", network, True),
        ("ranking of all, thin capital", fragile, False),
    ):
        start = time.perf_counter()
        ranking = systemic_importance(net, with_rounds=with_rounds)
        ranking_seconds[label] = time.perf_counter() - start
        spreading = int((ranking["further_defaults"] > 0).sum())
        print(
            f"[{n:,}] {label}: {ranking_seconds[label]:.2f} s ({spreading} institutions whose "
            f"sole default topples others, at most {ranking['further_defaults'].max():,} "
            f"further defaults)"
        )

    start = time.perf_counter()
    big = random_network(big_n, big_m)
    print(
        f"built {big_n:,} institutions / {big.ead.nnz:,} exposures in "
        f"{time.perf_counter() - start:.2f} s"
    )
    large = models(big, repeat=3, label=f"{big_n:,}")

    print("\nsummary (target: < 50 ms at 10,000; < 1 s at 100,000; ranking < 10 s)")
    for model, seconds in small.items():
        print(f"  {model:28s} {seconds * 1e3:8.1f} ms   {large[model] * 1e3:8.1f} ms")
    for label, seconds in ranking_seconds.items():
        print(f"  {label:28s} {seconds:8.2f} s")
    for label, nx_seconds, ours_seconds, agree in baseline:
        print(
            f"  networkx / ours, {label}: {nx_seconds / ours_seconds:,.0f}x "
            f"({nx_seconds * 1e3:,.1f} ms / {ours_seconds * 1e3:,.1f} ms, agree: {agree})"
        )


if __name__ == "__main__":
    main()
