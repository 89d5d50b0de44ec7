"""Monte Carlo sweeps of the corridor model on Dask.

Each path re-draws the agents (its seed) and the least certain parameters (:data:`DRAWS`:
the slope and floor of the reserve demand curve, quarter-end balance-sheet cuts, the share
of coupons bought by relative-value funds). Paths are grouped in batches, one Dask task
per batch; the scenario is scattered once to every worker.

By default a ``dask.distributed.LocalCluster`` is started (``n_workers`` processes, one thread
each) and closed afterwards; pass ``address`` to use a running scheduler
(``tcp://host:8786``) or ``client`` to reuse one. The result is one row per path with the
drawn parameters and the run's :meth:`SimulationResult.summary`; :func:`probabilities`
turns it into the probabilities and quantiles the CLI prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from distributed import Client, LocalCluster, as_completed

from glassledger.errors import ConfigError
from glassledger.liquidity.model.scenario import Scenario
from glassledger.liquidity.model.simulate import simulate

#: Parameter draws per path: name -> (low, high) of a uniform draw, as a multiple of the
#: scenario's value for "slope_bp", in absolute units otherwise.
DRAWS: dict[str, tuple[float, float]] = {
    "slope_bp": (0.7, 1.3),
    "floor_mean_pct": (-0.3, 0.3),
    "quarter_end_dealer_cut": (0.2, 0.5),
    "rv_coupon_share": (0.25, 0.5),
}


def draw_params(scenario: Scenario, rng: np.random.Generator) -> dict[str, float]:
    """One draw of the uncertain parameters around the scenario's values."""
    p = scenario.params
    return {
        "slope_bp": p.slope_bp * rng.uniform(*DRAWS["slope_bp"]),
        "floor_mean_pct": p.floor_mean_pct + rng.uniform(*DRAWS["floor_mean_pct"]),
        "quarter_end_dealer_cut": rng.uniform(*DRAWS["quarter_end_dealer_cut"]),
        "rv_coupon_share": rng.uniform(*DRAWS["rv_coupon_share"]),
    }


def run_paths(scenario: Scenario, seeds: list[int]) -> list[dict[str, float]]:
    """Run one path per seed (agents and parameter draw from the seed); one row each."""
    rows = []
    for seed in seeds:
        drawn = draw_params(scenario, np.random.default_rng([seed, 1]))
        result = simulate(scenario, seed=seed, params=scenario.params.with_(**drawn))
        rows.append({"seed": seed, **drawn, **result.summary()})
    return rows


@contextmanager
def dask_client(
    address: str | None = None, n_workers: int = 2, processes: bool = True
) -> Iterator[Client]:
    """A client on ``address`` or on a fresh LocalCluster closed on exit."""
    if address:
        with Client(address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=processes, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def sweep(
    scenario: Scenario,
    n_paths: int,
    *,
    seed: int = 0,
    client: Client | None = None,
    address: str | None = None,
    n_workers: int = 2,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Run ``n_paths`` paths of ``scenario`` on Dask (see module docstring).

    Seeds are ``seed, seed + 1, ...``, so a sweep is reproducible whatever the cluster.
    ``progress(done_paths, n_paths)`` is called as batches finish.
    """
    if n_paths < 1:
        raise ConfigError(f"n_paths must be at least 1, got {n_paths}")
    if client is None:
        with dask_client(address, n_workers) as own:
            return sweep(
                scenario, n_paths, seed=seed, client=own, batch_size=batch_size, progress=progress
            )
    workers = max(len(client.scheduler_info().get("workers", {})), 1)
    size = batch_size or max(1, n_paths // (4 * workers))
    seeds = list(range(seed, seed + n_paths))
    batches = [seeds[i : i + size] for i in range(0, n_paths, size)]
    shared = client.scatter(scenario, broadcast=True, hash=False)  # own key per sweep
    futures = [client.submit(run_paths, shared, batch, pure=False) for batch in batches]
    rows: list[dict[str, float]] = []
    for future in as_completed(futures):
        rows.extend(future.result())
        if progress is not None:
            progress(len(rows), n_paths)
    return pd.DataFrame(rows).sort_values("seed").reset_index(drop=True)


def probabilities(paths: pd.DataFrame) -> pd.Series:
    """Probabilities and quantiles across paths: P(SRF used), P(SOFR - IORB peak > 25 bp),
    P(lowest reserve ratio below 10 %), and the 5 / 50 / 95 % quantiles of the peak spread
    (bp) and peak SRF take-up (USD bn)."""
    out = {
        "p_srf_used": float((paths["peak_srf_usd_bn"] > 0.5).mean()),
        "p_peak_spread_above_25bp": float((paths["peak_sofr_minus_iorb_bp"] > 25).mean()),
        "p_reserves_below_10pct": float((paths["min_reserves_to_bank_assets_pct"] < 10).mean()),
    }
    for q in (0.05, 0.5, 0.95):
        out[f"peak_spread_bp_q{int(q * 100):02d}"] = float(
            paths["peak_sofr_minus_iorb_bp"].quantile(q)
        )
        out[f"peak_srf_usd_bn_q{int(q * 100):02d}"] = float(paths["peak_srf_usd_bn"].quantile(q))
    return pd.Series(out)
